// Where a file may be cut into pieces that parse on their own (see parser.h).
#include <array>

#include "syntax/parser.h"

namespace fence::syntax {

namespace {

// Reserved keywords that can only start an item: no item can continue with one of them.
constexpr std::array<std::string_view, 7> kItemStarts = {"import", "namespace", "let", "set", "environments", "when", "default"};

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*';
}

}  // namespace

// A light scan that follows the lexer's modes: comments and strings hide everything, `pods[` and
// `ns[` open a selector that `]` closes, and braces nest. Where it misjudges (odd input), a piece
// fails to parse and its user (the language server's ParseCache, parse() on several threads) falls
// back to parsing the rest whole, so a mistake costs time, never correctness.
std::vector<Piece> split_items(std::string_view text) {
  std::vector<Piece> out;
  auto n = static_cast<std::uint32_t>(text.size());
  std::uint32_t start = 0;
  int depth = 0;
  bool selector = false;
  bool line_start = true;
  std::uint32_t i = 0;
  while (i < n) {
    if (line_start) {
      line_start = false;
      std::uint32_t j = i;
      while (j < n && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (depth == 0 && !selector && i > start) {
        std::uint32_t k = j;
        while (k < n && word_char(text[k])) ++k;
        auto word = text.substr(j, k - j);
        for (auto kw : kItemStarts) {
          if (word == kw) {
            out.push_back(Piece{start, i});
            start = i;
            break;
          }
        }
      }
      i = j;
      continue;
    }
    char c = text[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < n && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"') {
      std::uint32_t k = i + 1;
      bool closed = false;
      while (k < n && text[k] != '\n' && text[k] != '\r') {
        if (text[k] == '\\' && k + 1 < n && text[k + 1] != '\n' && text[k + 1] != '\r') {
          k += 2;
        } else if (text[k] == '"') {
          closed = true;
          break;
        } else {
          ++k;
        }
      }
      i = closed ? k + 1 : i + 1;  // an unclosed quote is a token of its own
      continue;
    }
    if (selector) {
      if (c == ']') selector = false;
      ++i;
      continue;
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      --depth;
    } else if (word_char(c)) {
      std::uint32_t k = i;
      while (k < n && word_char(text[k])) ++k;
      auto word = text.substr(i, k - i);
      if (word == "pods" || word == "ns") {
        std::uint32_t m = k;
        while (m < n && (text[m] == ' ' || text[m] == '\t')) ++m;
        if (m < n && text[m] == '[') {
          selector = true;
          k = m + 1;
        }
      }
      i = k;
      continue;
    }
    ++i;
  }
  if (start < n || out.empty()) out.push_back(Piece{start, n});
  return out;
}

}  // namespace fence::syntax
