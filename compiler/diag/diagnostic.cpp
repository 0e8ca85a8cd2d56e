#include "diag/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace fence {

namespace {
const std::vector<CodeInfo>& table() {
  static const std::vector<CodeInfo> t = {
#define FENCE_CODE(code, sev, slug, summary) CodeInfo{Code::code, #code, Severity::sev, slug, summary},
#include "diag/codes.def"
#undef FENCE_CODE
  };
  return t;
}
}  // namespace

const CodeInfo& code_info(Code c) {
  return table().at(static_cast<std::size_t>(c));
}
const std::vector<CodeInfo>& all_codes() {
  return table();
}

const CodeInfo* find_code(std::string_view id) {
  for (const auto& c : table()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

bool verbose_only(Code c) {
  return c == Code::I0616 || c == Code::I0617;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Info:
      return "info";
  }
  return "error";
}

Diagnostic& DiagnosticSink::report(Code code, Span span, std::string message) {
  return report(code, code_info(code).severity, span, std::move(message));
}

Diagnostic& DiagnosticSink::report(Code code, Severity sev, Span span, std::string message) {
  if (sev == Severity::Error) {
    if (errors_ >= limit_) {
      ++dropped_;
      overflow_ = Diagnostic{};
      return overflow_;
    }
    ++errors_;
  } else if (sev == Severity::Warning) {
    ++warnings_;
  }
  diags_.push_back(Diagnostic{code, sev, span, std::move(message), {}, {}});
  return diags_.back();
}

void DiagnosticSink::set_severity(std::size_t index, Severity s) {
  auto& d = diags_.at(index);
  if (d.severity == s) return;
  if (d.severity == Severity::Error) --errors_;
  if (d.severity == Severity::Warning) --warnings_;
  if (s == Severity::Error) ++errors_;
  if (s == Severity::Warning) ++warnings_;
  d.severity = s;
}

void DiagnosticSink::erase_if_code(const std::vector<Code>& codes) {
  std::vector<Diagnostic> kept;
  errors_ = warnings_ = 0;
  for (auto& d : diags_) {
    if (std::find(codes.begin(), codes.end(), d.code) != codes.end()) continue;
    if (d.severity == Severity::Error) ++errors_;
    if (d.severity == Severity::Warning) ++warnings_;
    kept.push_back(std::move(d));
  }
  diags_ = std::move(kept);
}

void DiagnosticSink::replace(std::vector<Diagnostic> diags) {
  diags_ = std::move(diags);
  errors_ = warnings_ = 0;
  for (const auto& d : diags_) {
    if (d.severity == Severity::Error) ++errors_;
    if (d.severity == Severity::Warning) ++warnings_;
  }
}

namespace {
void sort_unique(std::vector<Diagnostic>& out, const SourceManager& sm) {
  auto key = [&](const Diagnostic& d) {
    std::string_view path = d.span.valid() ? std::string_view(sm.file(d.span.file).path) : std::string_view();
    return std::make_tuple(path, d.span.begin, d.span.end, static_cast<int>(d.code));
  };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  auto same = [](const Diagnostic& a, const Diagnostic& b) {
    return a.code == b.code && a.span == b.span && a.message == b.message && a.severity == b.severity;
  };
  out.erase(std::unique(out.begin(), out.end(), same), out.end());
}
}  // namespace

std::vector<Diagnostic> DiagnosticSink::sorted(const SourceManager& sm) const {
  std::vector<Diagnostic> out = diags_;
  sort_unique(out, sm);
  return out;
}

std::vector<Diagnostic> DiagnosticSink::take_sorted(const SourceManager& sm) {
  std::vector<Diagnostic> out = std::move(diags_);
  diags_.clear();
  sort_unique(out, sm);
  return out;
}

}  // namespace fence
