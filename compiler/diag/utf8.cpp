#include "diag/utf8.h"

#include <fmt/format.h>

namespace fence::utf8 {

Decoded decode(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return {c, 1};
  std::uint32_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
  if (len == 0 || c > 0xf4 || i + len > s.size()) return {};
  char32_t cp = c & (0x7fu >> len);
  for (std::uint32_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return {};
    cp = (cp << 6) | (b(i + k) & 0x3fu);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {};
  return {cp, len};
}

std::size_t first_invalid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    auto d = decode(s, i);
    if (d.len == 0) return i;
    i += d.len;
  }
  return std::string_view::npos;
}

std::string why_invalid(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c >= 0x80 && c < 0xc0) return fmt::format("byte 0x{:02X} continues a character that never started", c);
  if (c == 0xc0 || c == 0xc1 || c > 0xf4) return fmt::format("byte 0x{:02X} never occurs in UTF-8", c);
  std::uint32_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  char32_t cp = c & (0x7fu >> len);
  for (std::uint32_t k = 1; k < len; ++k) {
    if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
      return fmt::format("byte 0x{:02X} starts a {}-byte character that is cut short", c, len);
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3fu);
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return fmt::format("a UTF-16 surrogate (U+{:04X}) written as UTF-8", static_cast<std::uint32_t>(cp));
  if (cp > 0x10ffff) return fmt::format("a code point above U+10FFFF (U+{:X})", static_cast<std::uint32_t>(cp));
  return fmt::format("an overlong encoding of U+{:04X}", static_cast<std::uint32_t>(cp));
}

std::string printable(std::string_view s, bool keep_controls) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c >= 0x20 && c < 0x7f) || (keep_controls && c < 0x80)) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c == '\t' || c == '\n') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c >= 0x80) {
      auto d = decode(s, i);
      // C1 controls (U+0080-U+009F) are escaped like C0 ones.
      if (d.len != 0 && (d.cp >= 0xa0 || keep_controls)) {
        out.append(s.substr(i, d.len));
        i += d.len;
        continue;
      }
      if (d.len != 0) {
        for (std::uint32_t k = 0; k < d.len; ++k) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i + k]));
        i += d.len;
        continue;
      }
    }
    out += fmt::format("\\x{:02x}", c);
    ++i;
  }
  return out;
}

}  // namespace fence::utf8
