#include "diag/source.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence {

Span Span::cover(const Span& a, const Span& b) {
  if (!a.valid()) return b;
  if (!b.valid() || a.file != b.file) return a;
  return Span{a.file, std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

namespace {
bool starts_char(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
}
}  // namespace

std::uint32_t SourceFile::bom_size() const {
  return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

void SourceFile::index() {
  line_starts.assign(1, 0);
  bool ascii = true;
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts.push_back(i + 1);
    ascii = ascii && static_cast<unsigned char>(text[i]) < 0x80;
  }
  checkpoints.clear();
  if (ascii) return;
  std::uint32_t count = 0;
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    if (i % kCheckpoint == 0) checkpoints.push_back(count);
    count += starts_char(text[i]);
  }
}

// Code points (counting each UTF-8 lead byte, and each stray byte, as one) in text[0, offset).
std::uint32_t SourceFile::code_points_before(std::uint32_t offset) const {
  if (checkpoints.empty()) return offset;
  std::uint32_t k = offset / kCheckpoint;
  if (k >= checkpoints.size()) k = static_cast<std::uint32_t>(checkpoints.size()) - 1;
  std::uint32_t count = checkpoints[k];
  for (std::uint32_t i = k * kCheckpoint; i < offset; ++i) count += starts_char(text[i]);
  return count;
}

std::uint32_t SourceFile::line_of(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text.size()));
  auto it = std::upper_bound(line_starts.begin(), line_starts.end(), offset);
  return static_cast<std::uint32_t>(it - line_starts.begin());  // >= 1: line_starts[0] == 0
}

LineCol SourceFile::locate(std::uint32_t offset) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text.size()));
  auto line = line_of(offset);
  std::uint32_t start = std::min(line == 1 ? bom_size() : line_starts[line - 1], offset);
  return LineCol{line, code_points_before(offset) - code_points_before(start) + 1};
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
  f->index();
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

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
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
