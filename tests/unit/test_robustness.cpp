// No input crashes, hangs or throws: mutated examples and random text go through the whole
// pipeline, and every rejection comes with at least one located error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "helpers.h"

using fence::test::compile;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FENCE_SOURCE_DIR) + "/examples")) {
    if (e.path().extension() != ".fence") continue;
    std::ifstream in(e.path());
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  std::ifstream std_in(std::string(FENCE_SOURCE_DIR) + "/stdlib/std.fence");
  std::ostringstream ss;
  ss << std_in.rdbuf();
  out.push_back(ss.str());
  return out;
}

const std::vector<std::string> kFragments = {
    "{",     "}",     "[",     "]",   "(",      ")",      ",",       ":",   "/",    "-",       "=",           "*",          "\"",
    "#",     "\n",    " ",     "may", "reach",  "be",     "reached", "by",  "must", "not",     "let",         "namespace",  "default",
    "deny",  "all",   "pods[", "ns[", "except", "entity", "http",    "GET", "when", "cluster", "import",      "10.0.0.0/8", "::/0",
    "a.b.c", "65536", "0",     "!",   "in",     "notin",  "\xff",    "\t",  "x",    "set",     "environments", "must not reach",
    "api.example.com:443", "*.x.io", "host", "header", "\"/v1/(?!x)\"", "\"a{2}\"", "\"X-A: 1\"", "/udp", "/any", "entity world"};

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> ops(0, 3);
  int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (ops(rng)) {
      case 0:  // insert a fragment
        s.insert(pos, kFragments[rng() % kFragments.size()]);
        break;
      case 1:  // delete a run
        if (!s.empty() && pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 2:  // duplicate a run
        if (!s.empty() && pos < s.size()) s.insert(pos, s.substr(pos, 1 + rng() % 20));
        break;
      default:  // flip a byte
        if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(rng() % 256);
        break;
    }
  }
  return s;
}

void expect_sane(const std::string& text) {
  for (const auto& target : fence::driver::targets()) {
    INFO("target " << target);
    fence::test::Compiled c;
    REQUIRE_NOTHROW(c = compile(text, target));
    if (!c.ok) {
      REQUIRE(c.c->sink().has_errors());
      bool located = false;
      for (const auto& d : c.c->sink().raw()) located = located || d.span.valid();
      if (!located) FAIL_CHECK("no located error for:\n" << text << "\n" << c.diagnostics());
      REQUIRE(c.objects.empty());
    }
  }
}

}  // namespace

TEST_CASE("mutated examples never crash the compiler", "[robustness]") {
  auto inputs = corpus();
  REQUIRE_FALSE(inputs.empty());
  std::mt19937 rng(20261125);
  for (int i = 0; i < 2000; ++i) {
    const auto& base = inputs[static_cast<std::size_t>(i) % inputs.size()];
    auto text = mutate(base, rng);
    INFO("iteration " << i);
    expect_sane(text);
  }
}

TEST_CASE("random fragments never crash the compiler", "[robustness]") {
  std::mt19937 rng(7);
  for (int i = 0; i < 1000; ++i) {
    std::string text;
    int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) text += kFragments[rng() % kFragments.size()] + (rng() % 2 ? " " : "");
    INFO("iteration " << i);
    expect_sane(text);
  }
}
