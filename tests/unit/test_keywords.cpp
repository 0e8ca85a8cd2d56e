// syntax::keywords() is the one keyword list the editor grammars are tested against: it must
// hold every keyword of the lexer, each of which the lexer reads back as a keyword.
#include <catch2/catch.hpp>

#include <algorithm>

#include "syntax/parser.h"

using namespace fence;

TEST_CASE("keywords() lists every keyword, including those the selector mode shares", "[syntax][keywords]") {
  auto kw = syntax::keywords();
  for (const char* k : {"import", "namespace", "let", "in", "except", "may", "reach", "cluster", "http", "host", "header", "set"}) {
    CHECK(std::find(kw.begin(), kw.end(), k) != kw.end());
  }
  for (const auto& k : kw) {
    auto toks = syntax::tokenize(k);
    REQUIRE(toks.size() == 1);
    CHECK((toks[0].kind == syntax::TokenKind::Keyword || toks[0].kind == syntax::TokenKind::SoftKeyword));
  }
  // HTTP methods are values, not keywords.
  CHECK(std::find(kw.begin(), kw.end(), "GET") == kw.end());
}
