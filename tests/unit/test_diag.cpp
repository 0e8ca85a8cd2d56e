#include <catch2/catch.hpp>

#include <set>

#include "diag/render.h"

using namespace fence;

TEST_CASE("a diagnostic renders with its place, the source line, a caret, notes and help", "[diag]") {
  SourceManager sm;
  auto f = sm.add("a.fence", "namespace a {\n\tweb may reach db:70000\n}\n");
  DiagnosticSink sink;
  sink.error(Code::E0304, Span{f, 32, 37}, "port 70000 is out of range").note(Span{f, 0, 9}, "in this namespace").hint("ports are 1 to 65535");
  CHECK(render_all(sink, sm) ==
        "a.fence:2:19: error[E0304]: port 70000 is out of range\n"
        " 2 |     web may reach db:70000\n"
        "   |                      ^^^^^\n"
        "a.fence:1:1: note: in this namespace\n"
        " 1 | namespace a {\n"
        "   | ^^^^^^^^^\n"
        "  = help: ports are 1 to 65535\n"
        "fence: 1 error\n");
}

TEST_CASE("diagnostics are sorted by file and position, and duplicates dropped", "[diag]") {
  SourceManager sm;
  auto b = sm.add("b.fence", "x\ny\n");
  auto a = sm.add("a.fence", "x\ny\n");
  DiagnosticSink sink;
  sink.error(Code::E0101, Span{b, 2, 3}, "b2");
  sink.error(Code::E0101, Span{a, 2, 3}, "a2");
  sink.warning(Code::W0214, Span{a, 0, 1}, "a1");
  sink.error(Code::E0101, Span{a, 2, 3}, "a2");
  auto sorted = sink.sorted(sm);
  REQUIRE(sorted.size() == 3);
  CHECK(sorted[0].message == "a1");
  CHECK(sorted[1].message == "a2");
  CHECK(sorted[2].message == "b2");
  CHECK(render_all(sink, sm).find("fence: 2 errors, 1 warning\n") != std::string::npos);
}

TEST_CASE("errors beyond the limit are counted, not kept", "[diag]") {
  SourceManager sm;
  auto f = sm.add("a.fence", std::string(100, '\n'));
  DiagnosticSink sink(50);
  for (std::uint32_t i = 0; i < 60; ++i) sink.error(Code::E0101, Span{f, i, i + 1}, "e");
  CHECK(sink.raw().size() == 50);
  CHECK(sink.dropped() == 10);
  CHECK(sink.has_errors());
  CHECK(render_all(sink, sm).find("fence: 60 errors (10 not shown: the limit is 50)") != std::string::npos);
}

TEST_CASE("columns count UTF-8 characters", "[diag]") {
  SourceManager sm;
  auto f = sm.add("a.fence", "# é\nx");
  CHECK(sm.file(f).locate(2).col == 3);  // é starts at byte 2, column 3
  CHECK(sm.file(f).locate(4).col == 4);  // é is two bytes but one column
  CHECK(sm.file(f).locate(6).line == 2);
}

TEST_CASE("every code has a unique id, and ids name their severity", "[diag]") {
  std::set<std::string_view> ids;
  for (const auto& c : all_codes()) {
    CHECK(ids.insert(c.id).second);
    char letter = c.severity == Severity::Error ? 'E' : c.severity == Severity::Warning ? 'W' : 'I';
    INFO(c.id);
    CHECK(c.id.front() == letter);
    CHECK_FALSE(c.summary.empty());
    CHECK(find_code(c.id) == &c);
  }
}
