// Source files and locations. Every stage refers to text through a Span (file id + byte range);
// line and column are computed only when a diagnostic is rendered.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fence {

using FileId = std::uint32_t;
inline constexpr FileId kNoFile = 0xffffffffu;

struct Span {
  FileId file = kNoFile;
  std::uint32_t begin = 0;  // byte offset, inclusive
  std::uint32_t end = 0;    // byte offset, exclusive

  bool valid() const { return file != kNoFile; }
  static Span cover(const Span& a, const Span& b);
  friend bool operator==(const Span&, const Span&) = default;
};

struct LineCol {
  std::uint32_t line = 0;  // 1-based
  std::uint32_t col = 0;   // 1-based, in characters (UTF-8 code points)
};

struct SourceFile {
  std::string path;  // as shown to the user
  std::string text;
  std::vector<std::uint32_t> line_starts;
  // Code points before every kCheckpoint-th byte, so that a column is found in constant time
  // however long its line; empty when the text is ASCII (a column is then a byte count).
  static constexpr std::uint32_t kCheckpoint = 256;
  std::vector<std::uint32_t> checkpoints;

  // Columns, and the text of the first line, start after a UTF-8 byte order mark.
  LineCol locate(std::uint32_t offset) const;
  std::uint32_t line_of(std::uint32_t offset) const;  // 1-based
  std::string_view line_text(std::uint32_t line) const;  // without the newline
  std::uint32_t bom_size() const;  // 3 when the text starts with a byte order mark, else 0

 private:
  std::uint32_t code_points_before(std::uint32_t offset) const;
  friend class SourceManager;
  void index();
};

// Source text on one line, for messages and comments: runs of whitespace become one space, and
// text longer than `max_chars` is cut, ending in "...".
std::string one_line(std::string_view text, std::size_t max_chars = 100);

// `text` as one POSIX shell word: in single quotes, each ' written '\'' (for the scripts and
// completions Fence writes).
std::string shell_quote(std::string_view text);

class SourceManager {
 public:
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return *files_.at(id); }
  std::size_t size() const { return files_.size(); }
  std::string_view text(const Span& s) const;
  // "path:line:col" for a span's start; the empty string for an invalid span.
  std::string where(const Span& s) const;

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace fence
