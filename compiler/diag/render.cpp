#include "diag/render.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence {

namespace {

struct Style {
  bool on;
  std::string wrap(std::string_view code, std::string_view text) const {
    if (!on) return std::string(text);
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
  }
};

std::string_view severity_color(Severity s) {
  switch (s) {
    case Severity::Error:
      return "1;31";
    case Severity::Warning:
      return "1;33";
    case Severity::Info:
      return "1;36";
  }
  return "1";
}

// Expands tabs so that the caret lines up under the text it marks.
std::string expand_tabs(std::string_view line, std::size_t* col_map_limit = nullptr) {
  (void)col_map_limit;
  std::string out;
  for (char c : line) {
    if (c == '\t') {
      out.append(4, ' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Display width of the first `bytes` bytes of `line`, counting tabs as 4 and UTF-8 code points as 1.
std::size_t display_width(std::string_view line, std::size_t bytes) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < bytes && i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      w += 4;
    } else if ((c & 0xC0) != 0x80) {
      ++w;
    }
  }
  return w;
}

void snippet(std::string& out, const Span& span, const SourceManager& sm, const Style& st, std::string_view caret_color) {
  if (!span.valid()) return;
  const auto& f = sm.file(span.file);
  if (f.text.empty()) return;  // e.g. a file that should exist and does not: nothing to show
  auto lc = f.locate(span.begin);
  auto line = f.line_text(lc.line);
  std::uint32_t line_start = f.line_starts[lc.line - 1];
  std::size_t begin_byte = span.begin - line_start;
  std::size_t end_byte = std::min<std::size_t>(span.end > span.begin ? span.end - line_start : begin_byte + 1, line.size());
  std::string number = std::to_string(lc.line);
  std::string gutter(number.size(), ' ');
  std::size_t pad = display_width(line, begin_byte);
  std::size_t width = end_byte > begin_byte ? display_width(line, end_byte) - pad : 1;
  out += fmt::format(" {} | {}\n", st.wrap("1;34", number), expand_tabs(line));
  out += fmt::format(" {} | {}{}\n", gutter, std::string(pad, ' '), st.wrap(caret_color, std::string(std::max<std::size_t>(width, 1), '^')));
}

}  // namespace

std::string render_text(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opt) {
  Style st{opt.color};
  std::string out;
  const auto& info = code_info(d.code);
  std::string where = d.span.valid() ? sm.where(d.span) + ": " : std::string("fence: ");
  out += fmt::format("{}{}: {}\n", st.wrap("1", where),
                     st.wrap(severity_color(d.severity), fmt::format("{}[{}]", severity_name(d.severity), info.id)), d.message);
  snippet(out, d.span, sm, st, severity_color(d.severity));
  for (const auto& n : d.notes) {
    if (n.span.valid()) {
      out += fmt::format("{}: {}: {}\n", st.wrap("1", sm.where(n.span)), st.wrap("1;36", "note"), n.message);
      snippet(out, n.span, sm, st, "1;36");
    } else {
      out += fmt::format("  = {}: {}\n", st.wrap("1;36", "note"), n.message);
    }
  }
  for (const auto& h : d.help) out += fmt::format("  = {}: {}\n", st.wrap("1;32", "help"), h);
  return out;
}

std::optional<DiagFormat> parse_diag_format(std::string_view name) {
  if (name == "text") return DiagFormat::Text;
  if (name == "json") return DiagFormat::Json;
  if (name == "sarif") return DiagFormat::Sarif;
  return std::nullopt;
}

Location locate(const Span& span, const SourceManager& sm) {
  Location out;
  if (!span.valid()) return out;
  const auto& f = sm.file(span.file);
  auto b = f.locate(span.begin);
  auto e = f.locate(std::max(span.begin, span.end));
  out.path = f.path;
  out.line = b.line;
  out.column = b.col;
  out.end_line = e.line;
  out.end_column = e.col;
  return out;
}

std::vector<Diagnostic> reported(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt) {
  auto all = sink.sorted(sm);
  if (!opt.verbose) all.erase(std::remove_if(all.begin(), all.end(), [](const Diagnostic& d) { return verbose_only(d.code); }), all.end());
  if (opt.errors_only) all.erase(std::remove_if(all.begin(), all.end(), [](const Diagnostic& d) { return d.severity != Severity::Error; }), all.end());
  return all;
}

std::string render(DiagFormat format, const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt) {
  switch (format) {
    case DiagFormat::Json:
      return render_json(sink, sm, opt);
    case DiagFormat::Sarif:
      return render_sarif(sink, sm, opt);
    case DiagFormat::Text:
      break;
  }
  return render_all(sink, sm, opt);
}

std::string render_all(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt) {
  std::string out;
  // Counted after duplicates are removed (checking several environments can report one problem
  // once per environment).
  std::size_t errors = 0, warnings = 0;
  for (const auto& d : reported(sink, sm, opt)) {
    out += render_text(d, sm, opt);
    errors += d.severity == Severity::Error;
    warnings += d.severity == Severity::Warning;
  }
  if (opt.errors_only) return out;
  auto plural = [](std::size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); };
  std::vector<std::string> parts;
  if (errors > 0 || sink.dropped() > 0) parts.push_back(plural(errors + sink.dropped(), "error"));
  if (warnings > 0) parts.push_back(plural(warnings, "warning"));
  if (!parts.empty()) {
    out += fmt::format("fence: {}", fmt::join(parts, ", "));
    if (sink.dropped() > 0) out += fmt::format(" ({} not shown: the limit is {})", sink.dropped(), errors);
    out += "\n";
  }
  return out;
}

}  // namespace fence
