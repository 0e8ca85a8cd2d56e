#include "diag/render.h"

#include <algorithm>

#include <fmt/format.h>

#include "diag/utf8.h"

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

// A source line as the snippet shows it: tabs expanded to 4 spaces, bytes that are not valid
// UTF-8 and control characters escaped as `\xNN`, and, for a long line, only a window around the
// span, with "..." where it was cut. `col(b)` is where byte b of the line is shown.
class ShownLine {
 public:
  ShownLine(std::string_view line, std::size_t begin, std::size_t end) {
    // Lines up to this many bytes are shown whole; longer ones from a little before the span to
    // a little after it, so that a diagnostic on a megabyte-long line stays short.
    constexpr std::size_t kWhole = 240, kBefore = 80, kAfter = 120;
    std::size_t from = 0, to = line.size();
    if (line.size() > kWhole) {
      from = begin > kBefore ? begin - kBefore : 0;
      to = std::min(line.size(), std::max(end, begin) + kAfter);
      to = std::min(to, from + kWhole);
      while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xC0) == 0x80) --from;
      while (to < line.size() && (static_cast<unsigned char>(line[to]) & 0xC0) == 0x80) ++to;
    }
    from_ = from;
    if (from > 0) {
      text_ = "...";
      width_ = 3;
    }
    cols_.reserve(to - from + 1);
    std::size_t i = from;
    while (i < to) {
      auto c = static_cast<unsigned char>(line[i]);
      std::uint32_t n = 1;
      std::string shown;
      if (c == '\t') {
        shown = "    ";
      } else if (c < 0x20 || c == 0x7f) {
        shown = fmt::format("\\x{:02x}", c);
      } else if (c >= 0x80) {
        auto d = utf8::decode(line, i);
        n = d.len == 0 ? 1 : d.len;
        shown = d.len == 0 || d.cp < 0xa0 ? utf8::printable(line.substr(i, n)) : std::string(line.substr(i, n));
      } else {
        shown = std::string(1, static_cast<char>(c));
      }
      for (std::uint32_t k = 0; k < n && i + k < to; ++k) cols_.push_back(width_);
      width_ += columns(shown);
      text_ += shown;
      i += n;
    }
    cols_.push_back(width_);
    if (to < line.size()) text_ += "...";
  }

  const std::string& text() const { return text_; }
  // The column byte `b` of the line is shown at (clamped to the window).
  std::size_t col(std::size_t b) const {
    if (b < from_) return 0;  // not shown: only spans inside the window are asked for
    return cols_[std::min(b - from_, cols_.size() - 1)];
  }

 private:
  // Display width: one column per character.
  static std::size_t columns(std::string_view s) {
    std::size_t w = 0;
    for (char c : s) w += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return w;
  }

  std::string text_;
  std::vector<std::size_t> cols_;
  std::size_t from_ = 0;
  std::size_t width_ = 0;
};

void snippet(std::string& out, const Span& span, const SourceManager& sm, const Style& st, std::string_view caret_color) {
  if (!span.valid()) return;
  const auto& f = sm.file(span.file);
  if (f.text.empty()) return;  // e.g. a file that should exist and does not: nothing to show
  auto line_no = f.line_of(span.begin);
  auto line = f.line_text(line_no);
  // line_text() starts after a byte order mark on line 1.
  std::uint32_t line_start = std::min(line_no == 1 ? f.bom_size() : f.line_starts[line_no - 1], span.begin);
  std::size_t begin_byte = std::min<std::size_t>(span.begin - line_start, line.size());
  std::size_t end_byte = std::min<std::size_t>(span.end > span.begin ? span.end - line_start : begin_byte + 1, line.size());
  ShownLine shown(line, begin_byte, end_byte);
  std::string number = std::to_string(line_no);
  std::string gutter(number.size(), ' ');
  std::size_t pad = shown.col(begin_byte);
  std::size_t width = end_byte > begin_byte ? shown.col(end_byte) - shown.col(begin_byte) : 1;
  out += fmt::format(" {} | {}\n", st.wrap("1;34", number), shown.text());
  out += fmt::format(" {} | {}{}\n", gutter, std::string(pad, ' '), st.wrap(caret_color, std::string(std::max<std::size_t>(width, 1), '^')));
}

}  // namespace

std::string render_text(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opt) {
  Style st{opt.color};
  std::string out;
  const auto& info = code_info(d.code);
  // Messages and paths may quote the user's bytes: invalid UTF-8 and control characters are
  // escaped, never written raw to a terminal.
  std::string where = d.span.valid() ? utf8::printable(sm.where(d.span)) + ": " : std::string("fence: ");
  out += fmt::format("{}{}: {}\n", st.wrap("1", where),
                     st.wrap(severity_color(d.severity), fmt::format("{}[{}]", severity_name(d.severity), info.id)), utf8::printable(d.message));
  snippet(out, d.span, sm, st, severity_color(d.severity));
  for (const auto& n : d.notes) {
    if (n.span.valid()) {
      out += fmt::format("{}: {}: {}\n", st.wrap("1", utf8::printable(sm.where(n.span))), st.wrap("1;36", "note"), utf8::printable(n.message));
      snippet(out, n.span, sm, st, "1;36");
    } else {
      out += fmt::format("  = {}: {}\n", st.wrap("1;36", "note"), utf8::printable(n.message));
    }
  }
  for (const auto& h : d.help) out += fmt::format("  = {}: {}\n", st.wrap("1;32", "help"), utf8::printable(h));
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
