#include "lsp/text.h"

#include <algorithm>

namespace fence::lsp {

namespace {

// Length of the UTF-8 sequence that starts with `c` (1 for a stray continuation byte).
std::uint32_t sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

Position LineIndex::position(std::uint32_t offset, Encoding enc) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  auto line = static_cast<std::uint32_t>(it - starts_.begin()) - 1;
  std::uint32_t start = starts_[line];
  if (enc == Encoding::Utf8) return Position{line, offset - start};
  std::uint32_t units = 0;
  for (std::uint32_t i = start; i < offset;) {
    auto n = sequence_length(static_cast<unsigned char>(text_[i]));
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return Position{line, units};
}

std::uint32_t LineIndex::offset(Position p, Encoding enc) const {
  if (starts_.empty()) return 0;
  if (p.line >= starts_.size()) return static_cast<std::uint32_t>(text_.size());
  std::uint32_t start = starts_[p.line];
  std::uint32_t end = p.line + 1 < starts_.size() ? starts_[p.line + 1] - 1 : static_cast<std::uint32_t>(text_.size());
  if (end > start && text_[end - 1] == '\r' && p.line + 1 < starts_.size()) --end;
  if (enc == Encoding::Utf8) {
    std::uint32_t off = std::min(start + p.character, end);
    // Never split a character.
    while (off > start && off < end && (static_cast<unsigned char>(text_[off]) & 0xC0) == 0x80) --off;
    return off;
  }
  std::uint32_t units = 0;
  std::uint32_t i = start;
  while (i < end && units < p.character) {
    auto n = sequence_length(static_cast<unsigned char>(text_[i]));
    std::uint32_t width = n == 4 ? 2 : 1;
    if (units + width > p.character) break;  // inside a surrogate pair: the character's start
    units += width;
    i = std::min(i + n, end);
  }
  return i;
}

std::optional<std::string> uri_to_path(std::string_view uri) {
  constexpr std::string_view scheme = "file://";
  if (uri.substr(0, scheme.size()) != scheme) return std::nullopt;
  std::string_view rest = uri.substr(scheme.size());
  // file://host/path: only an empty host or localhost names this machine.
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto host = rest.substr(0, slash);
  if (!host.empty() && host != "localhost") return std::nullopt;
  rest = rest.substr(slash);
  if (auto q = rest.find_first_of("?#"); q != std::string_view::npos) rest = rest.substr(0, q);
  std::string out;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%') {
      if (i + 2 >= rest.size()) return std::nullopt;
      int hi = hex_value(rest[i + 1]);
      int lo = hex_value(rest[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return std::nullopt;
      out += c;
      i += 2;
    } else {
      out += rest[i];
    }
  }
  return out;
}

std::string path_to_uri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "file://";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '.' || c == '_' ||
                 c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace fence::lsp
