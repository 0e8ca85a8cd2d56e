// Rewrites the white space of a Fence text at random, for the formatter's tests: the result is the
// same program, and `fence fmt` must lay both out alike. Kept: every token, whether a gap holds
// a blank line (paragraphs), whether a comment shares the line of the token before it, and the
// gap after every '{' (a block written on one line stays so). Changed: the amount and kind of
// blanks, indentation, blank-line runs, line breaks after commas, the file's ends.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "syntax/parser.h"

namespace fence::test {

inline std::string scramble_whitespace(std::string_view text, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  auto blanks = [&](std::uint64_t most) {
    std::string s;
    for (auto n = pick(most + 1); n > 0; --n) s += pick(4) == 0 ? '\t' : ' ';
    return s;
  };
  auto toks = syntax::tokenize(text);
  std::string out;
  if (pick(3) == 0) out += std::string(pick(3), '\n');
  std::uint32_t prev = 0;
  for (std::size_t i = 0; i < toks.size(); ++i) {
    const auto& t = toks[i];
    auto gap = text.substr(prev, t.begin - prev);
    auto newlines = std::count(gap.begin(), gap.end(), '\n');
    bool after_comment = i > 0 && toks[i - 1].kind == syntax::TokenKind::Comment;
    bool after_open = i > 0 && toks[i - 1].symbol == "LBRACE";
    if (i == 0) {
      // the file's start
    } else if (newlines > 1) {
      out += blanks(2) + "\n" + std::string(1 + pick(2), '\n') + blanks(6);
    } else if (newlines == 1) {
      out += (after_comment ? "" : blanks(2)) + "\n" + blanks(6);
    } else if (after_open) {
      out += gap;
    } else if (toks[i - 1].symbol == "COMMA" && t.kind != syntax::TokenKind::Comment && pick(3) == 0) {
      out += blanks(1) + "\n" + blanks(8);
    } else if (gap.empty()) {
      out += blanks(1);
    } else {
      out += std::string(1, ' ') + blanks(2);
    }
    out += text.substr(t.begin, t.end - t.begin);
    prev = t.end;
  }
  if (!toks.empty()) out += std::string(pick(3), '\n') + (pick(2) == 0 ? "\n" : "");
  return out;
}

}  // namespace fence::test
