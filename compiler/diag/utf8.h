// UTF-8, strictly (RFC 3629): the one decoder every stage uses. Overlong forms, surrogates
// (U+D800-U+DFFF), code points above U+10FFFF and truncated sequences are invalid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fence::utf8 {

struct Decoded {
  char32_t cp = 0;
  std::uint32_t len = 0;  // bytes; 0 when the bytes at the offset are not valid UTF-8
};

// Decodes the sequence that starts at byte `i` of `s` (i < s.size()).
Decoded decode(std::string_view s, std::size_t i);

// The offset of the first byte of `s` that does not start a valid sequence, or npos.
std::size_t first_invalid(std::string_view s);

// Why the bytes at `i` are not valid UTF-8, in a few words ("a surrogate (U+D800)", ...).
std::string why_invalid(std::string_view s, std::size_t i);

// `s` with every byte that is not part of a valid sequence written as `\xNN`, and, unless
// `keep_controls`, control characters other than tab and newline too: safe to print on a
// terminal, and (valid UTF-8) to put in JSON.
std::string printable(std::string_view s, bool keep_controls = false);

// How many bytes of `s`, from `i`, one character takes: the sequence's length, or 1 for a byte
// that starts no valid sequence (each such byte counts as one character).
inline std::uint32_t char_len(std::string_view s, std::size_t i) {
  if (static_cast<unsigned char>(s[i]) < 0x80) return 1;
  auto d = decode(s, i);
  return d.len == 0 ? 1 : d.len;
}

}  // namespace fence::utf8
