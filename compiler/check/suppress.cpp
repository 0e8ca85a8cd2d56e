#include "check/suppress.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "ast/comments.h"

namespace fence::check {

namespace {

constexpr std::string_view kDirective = "fence:allow";

bool looks_like_code(std::string_view w) {
  return w.size() == 5 && (w[0] == 'E' || w[0] == 'W' || w[0] == 'I') &&
         std::all_of(w.begin() + 1, w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::string why_not_silenceable(std::string_view id) {
  const auto* info = find_code(id);
  if (info == nullptr) return fmt::format("there is no diagnostic code '{}' (`fence codes` lists them)", id);
  if (info->severity == Severity::Error) return fmt::format("{} is an error, and errors cannot be silenced: fix what it reports", id);
  return {};
}

Suppressions::Suppressions(const std::vector<const ast::File*>& files, const SourceManager& sm, DiagnosticSink& sink, bool parsed) {
  for (const auto* file : files) {
    ast::CommentTargets on(*file, sm.file(file->id));
    for (std::size_t ci = 0; ci < file->comments.size(); ++ci) {
      const auto& c = file->comments[ci];
      std::string_view text = c.text;
      std::size_t at = 1;  // after '#'
      while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
      if (text.substr(at, kDirective.size()) != kDirective) continue;
      at += kDirective.size();
      if (at < text.size() && text[at] != ' ' && text[at] != '\t' && text[at] != ',') continue;  // e.g. fence:allowed
      // The codes: words of the form X0000, up to the first word that is not one.
      std::vector<std::pair<std::string, Span>> codes;
      while (at < text.size()) {
        while (at < text.size() && (text[at] == ' ' || text[at] == '\t' || text[at] == ',')) ++at;
        std::size_t end = at;
        while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != ',') ++end;
        auto word = text.substr(at, end - at);
        if (word.empty() || !looks_like_code(word)) break;
        codes.emplace_back(std::string(word), Span{c.span.file, c.span.begin + static_cast<std::uint32_t>(at), c.span.begin + static_cast<std::uint32_t>(end)});
        at = end;
      }
      std::vector<Code> valid;
      for (const auto& [id, span] : codes) {
        auto why = why_not_silenceable(id);
        if (why.empty()) {
          valid.push_back(find_code(id)->code);
        } else {
          sink.error(Code::E0612, span, why);
        }
      }
      if (codes.empty()) {
        sink.error(Code::E0612, c.span, "`# fence:allow` names no code").hint("write the codes to silence, e.g. `# fence:allow W0603`");
        continue;
      }
      // The statement on the comment's line; else the next statement, with only comment lines
      // (such as more `# fence:allow`) in between.
      auto targets = on.of(ci);
      if (targets.empty()) {
        if (!parsed) continue;
        sink.error(Code::E0612, c.span, "this `# fence:allow` is on no statement")
            .hint("put it at the end of the statement's line, or on the line just before the statement");
        continue;
      }
      for (auto code : valid) {
        for (auto t : targets) {
          const auto& span = on.leaves()[t].span;
          regions_.push_back({span.file, span.begin, span.end, code});
        }
      }
    }
  }
}

bool Suppressions::silences(const Diagnostic& d) const {
  if (!d.span.valid()) return false;
  return std::any_of(regions_.begin(), regions_.end(), [&](const Region& r) {
    return r.code == d.code && r.file == d.span.file && r.begin <= d.span.begin && d.span.begin < r.end;
  });
}

void Suppressions::apply(DiagnosticSink& sink, std::size_t first, const Policy& policy) const {
  auto silenced = [&](const Diagnostic& d) {
    if (d.severity == Severity::Error) return false;
    return std::find(policy.allowed.begin(), policy.allowed.end(), d.code) != policy.allowed.end() || silences(d);
  };
  const auto& all = sink.raw();
  if (std::any_of(all.begin() + static_cast<std::ptrdiff_t>(std::min(first, all.size())), all.end(), silenced)) {
    std::vector<Diagnostic> kept;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i < first || !silenced(all[i])) kept.push_back(all[i]);
    }
    sink.replace(std::move(kept));
  }
  if (!policy.werror) return;
  for (std::size_t i = first; i < sink.raw().size(); ++i) {
    if (sink.raw()[i].severity != Severity::Warning) continue;
    sink.set_severity(i, Severity::Error);
    sink.mutable_diags()[i].note(Span{}, "a warning, made an error by --werror");
  }
}

}  // namespace fence::check
