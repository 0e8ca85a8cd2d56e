#include <catch2/catch.hpp>

#include <random>

#include "net/http.h"
#include "net/regex.h"

using fence::net::check_go_regex;
using fence::net::parse_http_header;

TEST_CASE("Go's regexp accepts these, so Fence does too", "[net][regex]") {
  for (const char* ok : {"",
                         "/v1/charges/.*",
                         "^/api/v[0-9]+/(users|orders)$",
                         "/a{2,5}b{3}c{1,}",
                         "(?i)/Admin",
                         "(?i:x)y",
                         "(?-s:.)",
                         "(?P<id>[0-9]+)/(?<name>\\w+)",
                         "[]a]",
                         "[^]a]",
                         "[a-]",
                         "[-a]",
                         "[[:alpha:][:^digit:]]",
                         "\\pL\\p{Greek}\\P{^Lu}",
                         "\\x41\\x{263a}\\101\\0",
                         "\\.\\/\\-\\_\\ ",
                         "\\Q(literal)\\E+",
                         "a*?b+?c??",
                         "^*",
                         "\\b\\B\\A\\z",
                         "a{,5}",
                         "x{01}",
                         "((a{10}){10}){10}",
                         "(a{1000})*",
                         "(?U)a*",
                         "\\d\\D\\s\\S\\w\\W[\\d\\s]",
                         "é+",
                         "a(?i)*"}) {
    INFO(ok);
    auto p = check_go_regex(ok);
    CHECK_FALSE(p.has_value());
    if (p) INFO(p->message);
  }
}

TEST_CASE("Go's regexp rejects these, each at the right place", "[net][regex]") {
  struct Case {
    const char* re;
    std::size_t offset;
    std::size_t length;
    const char* says;
  };
  const Case cases[] = {
      {"/v1/(?!admin)", 4, 3, "lookahead"},
      {"/v1/(?=x)", 4, 3, "lookahead"},
      {"a(?<=b)", 1, 4, "lookbehind"},
      {"a(?<!b)", 1, 4, "lookbehind"},
      {"(?>x)", 0, 3, "atomic"},
      {"(a)\\1", 3, 2, "backreference"},
      {"(?P=n)", 0, 4, "backreference"},
      {"(?R)", 0, 3, "recursion"},
      {"/v1/(items", 4, 1, "never closed"},
      {"a)", 1, 1, "closes no group"},
      {"[abc", 0, 1, "never closed"},
      {"[]", 0, 1, "never closed"},
      {"*a", 0, 1, "nothing before it"},
      {"a|*", 2, 1, "nothing before it"},
      {"(+)", 1, 1, "nothing before it"},
      {"{2}", 0, 3, "nothing before it"},
      {"a**", 1, 2, "repeats a repetition"},
      {"a*+", 1, 2, "repeats a repetition"},
      {"a{2}{3}", 1, 6, "repeats a repetition"},
      {"a{1001}", 1, 6, "more than 1000"},
      {"a{5,2}", 1, 5, "below its minimum"},
      {"((a{100}){100})", 9, 5, "multiply past 1000"},
      {"[z-a]", 1, 3, "ends before it starts"},
      {"[[:foo:]]", 1, 7, "not a POSIX class"},
      {"\\p{Klingon}", 0, 11, "no Unicode class"},
      {"\\pX", 0, 3, "no Unicode class"},
      {"\\e", 0, 2, "not an escape"},
      {"\\u0041", 0, 2, "\\x{263a}"},
      {"\\Z", 0, 2, "\\z"},
      {"[\\b]", 1, 2, "assertion"},
      {"\\8", 0, 2, "not an escape"},
      {"\\C", 0, 2, "not an escape"},
      {"abc\\", 3, 1, "lone"},
      {"\\xZZ", 0, 2, "hexadecimal"},
      {"\\x{110000}", 0, 10, "10FFFF"},
      {"(?P<a>x)(?P<a>y)", 8, 6, "used twice"},
      {"(?P<>x)", 0, 5, "not a valid group name"},
      {"(?i-)", 0, 5, "flags"},
      {"(?#c)", 0, 3, "flags"},
      {"\xff", 0, 1, "UTF-8"},
  };
  for (const auto& c : cases) {
    INFO(c.re);
    auto p = check_go_regex(c.re);
    REQUIRE(p.has_value());
    INFO(p->message);
    CHECK(p->offset == c.offset);
    CHECK(p->length == c.length);
    CHECK(p->message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("nesting is limited as Go limits it", "[net][regex]") {
  CHECK_FALSE(check_go_regex(std::string(999, '(') + "a" + std::string(999, ')')).has_value());
  auto deep = check_go_regex(std::string(1001, '(') + std::string(1001, ')'));
  REQUIRE(deep.has_value());
  CHECK(deep->message.find("1000 levels") != std::string::npos);
}

TEST_CASE("header conditions: a name, or a name and an exact value", "[net][http]") {
  auto presence = parse_http_header("X-Debug");
  REQUIRE(presence.header);
  CHECK(presence.header->str() == "X-Debug");
  CHECK_FALSE(presence.header->value);

  // Cilium splits at the first space: the canonical form has exactly one after the colon.
  auto exact = parse_http_header("X-Api-Version:  2 beta ");
  REQUIRE(exact.header);
  CHECK(exact.header->name == "X-Api-Version");
  CHECK(exact.header->value == "2 beta");
  CHECK(exact.header->str() == "X-Api-Version: 2 beta");
  CHECK(parse_http_header("X-Id:1").header->str() == "X-Id: 1");

  struct Bad {
    const char* text;
    std::size_t offset;
  };
  for (auto [text, offset] :
       {Bad{"", 0}, Bad{": v", 0}, Bad{"X Api: 2", 1}, Bad{"X-Debug:", 7}, Bad{"X-Debug:   ", 7}, Bad{"X(y)", 1}, Bad{"X-A: a\x01", 6}}) {
    INFO(text);
    auto p = parse_http_header(text);
    CHECK_FALSE(p.header);
    CHECK_FALSE(p.error.empty());
    CHECK(p.offset == offset);
  }
}

TEST_CASE("random expressions never crash the checker, and problems lie inside the text", "[net][regex][robustness]") {
  const std::string alphabet = "()[]{}?*+|\\^$.-:,0129aAbdpPxQEiU<>=!#_ \xc3\xa9";
  std::mt19937 rng(53);
  for (int i = 0; i < 20000; ++i) {
    std::string re;
    auto n = rng() % 16;
    for (std::size_t k = 0; k < n; ++k) re += alphabet[rng() % alphabet.size()];
    INFO(re);
    auto p = check_go_regex(re);
    if (!p) continue;
    CHECK_FALSE(p->message.empty());
    CHECK(p->offset <= re.size());
    CHECK(p->length >= 1);
  }
}
