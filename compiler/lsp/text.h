// Text positions as the Language Server Protocol counts them (line, and a column in UTF-16 code
// units unless the client agrees on UTF-8), document URIs, and edits to open documents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fence::lsp {

enum class Encoding { Utf16, Utf8 };

struct Position {
  std::uint32_t line = 0;       // 0-based
  std::uint32_t character = 0;  // 0-based, in the negotiated encoding's code units
  friend bool operator==(const Position&, const Position&) = default;
};

// Byte offsets of a text's lines, for converting between offsets and positions.
class LineIndex {
 public:
  LineIndex() = default;
  explicit LineIndex(std::string_view text);

  Position position(std::uint32_t offset, Encoding enc) const;
  // The byte offset of a position; positions past a line's end or the text's end are clamped
  // to it, as the protocol asks.
  std::uint32_t offset(Position p, Encoding enc) const;
  std::size_t lines() const { return starts_.size(); }

 private:
  // For text that is not ASCII: UTF-16 units before a character start every kCheckpoint bytes
  // or so, so that a position on a long line costs no more than on a short one.
  static constexpr std::uint32_t kCheckpoint = 256;
  struct Checkpoint {
    std::uint32_t byte;
    std::uint32_t units;
  };
  std::uint32_t units_before(std::uint32_t at) const;

  std::string_view text_;
  std::vector<std::uint32_t> starts_;
  std::vector<Checkpoint> checkpoints_;
};

// file:///a/b%20c.fence -> /a/b c.fence; nothing for other schemes or malformed URIs.
std::optional<std::string> uri_to_path(std::string_view uri);
// An absolute path as a file URI, percent-encoding what RFC 3986 does not allow in a path.
std::string path_to_uri(std::string_view path);

}  // namespace fence::lsp
