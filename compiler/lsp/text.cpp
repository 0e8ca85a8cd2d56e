#include "lsp/text.h"

#include <algorithm>

#include "diag/utf8.h"

namespace fence::lsp {

namespace {

// UTF-16 code units of the character at byte i: 2 beyond the BMP (a 4-byte sequence), else 1. A
// byte that is not valid UTF-8 counts as one character (an editor shows U+FFFD for it).
std::uint32_t utf16_units(std::string_view text, std::uint32_t i, std::uint32_t& len) {
  len = utf8::char_len(text, i);
  return len == 4 ? 2 : 1;
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
  bool ascii = true;
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
    ascii = ascii && static_cast<unsigned char>(text[i]) < 0x80;
  }
  if (ascii) return;
  // UTF-16 units before every kCheckpoint-th byte (or the first character start after it).
  std::uint32_t units = 0;
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < text.size();) {
    while (next <= i) {
      checkpoints_.push_back({i, units});
      next += kCheckpoint;
    }
    std::uint32_t len = 0;
    units += utf16_units(text, i, len);
    i += len;
  }
}

// UTF-16 units of the characters that start before byte `at`.
std::uint32_t LineIndex::units_before(std::uint32_t at) const {
  if (checkpoints_.empty()) return at;
  auto k = std::min<std::size_t>(at / kCheckpoint, checkpoints_.size() - 1);
  while (k > 0 && checkpoints_[k].byte > at) --k;
  std::uint32_t units = checkpoints_[k].units;
  for (std::uint32_t i = checkpoints_[k].byte; i < at;) {
    std::uint32_t len = 0;
    units += utf16_units(text_, i, len);
    i += len;
  }
  return units;
}

Position LineIndex::position(std::uint32_t offset, Encoding enc) const {
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text_.size()));
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  auto line = static_cast<std::uint32_t>(it - starts_.begin()) - 1;
  std::uint32_t start = starts_[line];
  if (enc == Encoding::Utf8) return Position{line, offset - start};
  return Position{line, units_before(offset) - units_before(start)};
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
  // Skip to the last checkpoint on the line that comes before the position, then walk.
  std::uint32_t start_units = units_before(start);
  std::uint32_t i = start;
  std::uint32_t units = 0;
  if (!checkpoints_.empty()) {
    auto it = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), Checkpoint{end, 0},
                               [](const Checkpoint& a, const Checkpoint& b) { return a.byte < b.byte; });
    auto lo = std::lower_bound(checkpoints_.begin(), it, Checkpoint{start, 0}, [](const Checkpoint& a, const Checkpoint& b) { return a.byte < b.byte; });
    // The checkpoints in [lo, it) lie on this line; take the last whose units do not pass p.
    auto best = std::upper_bound(lo, it, p.character, [&](std::uint32_t ch, const Checkpoint& c) { return ch < c.units - start_units; });
    if (best != lo) {
      --best;
      i = best->byte;
      units = best->units - start_units;
    }
  }
  while (i < end && units < p.character) {
    std::uint32_t len = 0;
    std::uint32_t width = utf16_units(text_, i, len);
    if (units + width > p.character) break;  // inside a surrogate pair: the character's start
    units += width;
    i = std::min(i + len, end);
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
