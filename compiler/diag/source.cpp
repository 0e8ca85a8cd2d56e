#include "diag/source.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence {

Span Span::cover(const Span& a, const Span& b) {
  if (!a.valid()) return b;
  if (!b.valid() || a.file != b.file) return a;
  return Span{a.file, std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

std::uint32_t SourceFile::bom_size() const {
  return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

LineCol SourceFile::locate(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text.size()));
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  auto line = static_cast<std::uint32_t>(it - line_starts.begin());  // >= 1: line_starts[0] == 0
  std::uint32_t start = line == 1 ? bom_size() : line_starts[line - 1];
  std::uint32_t col = 1;
  for (std::uint32_t i = start; i < offset; ++i) {
    // Count code points: skip UTF-8 continuation bytes.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++col;
  }
  return LineCol{line, col};
}

std::string_view SourceFile::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts.size()) return {};
  std::uint32_t start = line == 1 ? bom_size() : line_starts[line - 1];
  std::uint32_t end = line < line_starts.size() ? line_starts[line] : static_cast<std::uint32_t>(text.size());
  std::string_view v(text.data() + start, end - start);
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

FileId SourceManager::add(std::string path, std::string text) {
  auto f = std::make_unique<SourceFile>();
  f->path = std::move(path);
  f->text = std::move(text);
  f->line_starts.push_back(0);
  for (std::uint32_t i = 0; i < f->text.size(); ++i) {
    if (f->text[i] == '\n') f->line_starts.push_back(i + 1);
  }
  files_.push_back(std::move(f));
  return static_cast<FileId>(files_.size() - 1);
}

std::string_view SourceManager::text(const Span& s) const {
  if (!s.valid()) return {};
  const auto& t = file(s.file).text;
  auto b = std::min<std::size_t>(s.begin, t.size());
  auto e = std::min<std::size_t>(std::max(s.begin, s.end), t.size());
  return std::string_view(t).substr(b, e - b);
}

std::string SourceManager::where(const Span& s) const {
  if (!s.valid()) return {};
  const auto& f = file(s.file);
  auto lc = f.locate(s.begin);
  return fmt::format("{}:{}:{}", f.path, lc.line, lc.col);
}

std::string one_line(std::string_view text, std::size_t max_chars) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max_chars && max_chars >= 3) out = out.substr(0, max_chars - 3) + "...";
  return out;
}

}  // namespace fence
