// Silencing: `# fence:allow CODE` on a statement's line or the line before, --allow, --werror.
#include <catch2/catch.hpp>

#include "check/suppress.h"
#include "helpers.h"

using fence::test::compile;

namespace {

fence::driver::Options policy(std::vector<fence::Code> allowed, bool werror = false) {
  fence::driver::Options o;
  o.policy.allowed = std::move(allowed);
  o.policy.werror = werror;
  return o;
}

}  // namespace

TEST_CASE("a comment silences its codes for its statement only", "[suppress]") {
  auto c = compile(
      "namespace p {\n"
      "  # fence:allow W0604 -- batch jobs resolve nothing\n"
      "  batch may reach 10.0.0.0/8:443\n"
      "  web may reach 10.0.0.0/8:443   # fence:allow W0604, W0603\n"
      "  api may reach 10.0.0.0/8:443\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  REQUIRE(c.c->sink().raw().size() == 1);
  CHECK(c.diagnostics().find("test.fence:5:3: warning[W0604]: api may not reach DNS") != std::string::npos);
}

TEST_CASE("stacked comments, multi-line statements and definitions", "[suppress]") {
  SECTION("comment lines in between") {
    auto c = compile("namespace p {\n  # fence:allow W0604\n  # (a reason, on its own line)\n  batch may reach 10.0.0.0/8:443\n}\n");
    INFO(c.diagnostics());
    CHECK(c.c->sink().raw().empty());
  }
  SECTION("a comment on any line of a statement") {
    auto c = compile("namespace p {\n  batch may reach\n    10.0.0.0/8:443   # fence:allow W0604\n}\n");
    INFO(c.diagnostics());
    CHECK(c.c->sink().raw().empty());
  }
  SECTION("a blank line breaks the link") {
    auto c = compile("namespace p {\n  # fence:allow W0604\n\n  batch may reach 10.0.0.0/8:443\n}\n");
    CHECK(c.has_code("E0612"));
  }
  SECTION("on a definition: for what is reported at the definition") {
    auto c = compile("let everywhere = 0.0.0.0/0   # fence:allow W0606\nnamespace p {\n  batch may reach everywhere\n}\n");
    INFO(c.diagnostics());
    CHECK_FALSE(c.has_code("W0606"));
  }
}

TEST_CASE("a comment that cannot work is an error", "[suppress]") {
  auto unknown = compile("namespace p {\n  batch may reach 10.0.0.0/8:443   # fence:allow W9999\n}\n");
  CHECK(unknown.diagnostics().find("test.fence:2:50: error[E0612]: there is no diagnostic code 'W9999'") != std::string::npos);
  auto error = compile("namespace p {\n  batch may reach 10.0.0.0/8:443   # fence:allow E0601\n}\n");
  CHECK(error.diagnostics().find("E0601 is an error, and errors cannot be silenced") != std::string::npos);
  auto none = compile("namespace p {\n  batch may reach 10.0.0.0/8:443   # fence:allow because\n}\n");
  CHECK(none.diagnostics().find("names no code") != std::string::npos);
  auto nowhere = compile("# fence:allow W0604\n\nnamespace p {\n}\n");
  CHECK(nowhere.diagnostics().find("is on no statement") != std::string::npos);
  CHECK_FALSE(nowhere.ok);
  // Other comments that merely mention the directive are not directives.
  CHECK(compile("import std\nnamespace p {\n  web may reach dns   # see fence:allowed lists\n}\n").ok);
}

TEST_CASE("the allow option silences a code everywhere; werror makes the rest errors", "[suppress]") {
  const char* text = "namespace p {\n  batch may reach 10.0.0.0/8:443\n  web may reach 0.0.0.0/0\n}\n";
  auto plain = compile(text);
  CHECK(plain.ok);
  CHECK(plain.has_code("W0604"));
  CHECK(plain.has_code("W0606"));
  auto allowed = compile(text, "k8s", std::nullopt, policy({fence::Code::W0604}));
  CHECK_FALSE(allowed.has_code("W0604"));
  CHECK(allowed.has_code("W0606"));
  auto strict = compile(text, "k8s", std::nullopt, policy({fence::Code::W0604}, true));
  CHECK_FALSE(strict.ok);
  CHECK(strict.objects.empty());
  CHECK(strict.diagnostics().find("error[W0606]") != std::string::npos);
  CHECK(strict.diagnostics().find("made an error by --werror") != std::string::npos);
  CHECK(compile(text, "k8s", std::nullopt, policy({fence::Code::W0604, fence::Code::W0606}, true)).ok);
}

TEST_CASE("which codes can be named", "[suppress]") {
  CHECK(fence::check::why_not_silenceable("W0603").empty());
  CHECK(fence::check::why_not_silenceable("I0609").empty());
  CHECK(fence::check::why_not_silenceable("W0214").empty());  // any stage's warning
  CHECK_FALSE(fence::check::why_not_silenceable("E0601").empty());
  CHECK_FALSE(fence::check::why_not_silenceable("w0603").empty());
  CHECK_FALSE(fence::check::why_not_silenceable("").empty());
}

TEST_CASE("a comment on a statement that does not parse yet adds nothing", "[suppress]") {
  auto c = compile("namespace p {\n  batch may rech 10.0.0.0/8:443   # fence:allow W0604\n}\n");
  CHECK(c.has_code("E0101"));
  CHECK_FALSE(c.has_code("E0612"));
}
