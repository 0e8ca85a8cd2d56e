#include <algorithm>

#include <nlohmann/json.hpp>
#include <catch2/catch.hpp>

#include "diag/render.h"

using namespace fence;
using Json = nlohmann::json;

namespace {

struct Fixture {
  SourceManager sm;
  DiagnosticSink sink;
  FileId spaced = sm.add("my policies/shop é.fence", "namespace x {\n  web may reach 10.0.0.1/8\n}\n");
  FileId absolute = sm.add("/srv/policies/a.fence", "let x = 1\n");
};

}  // namespace

TEST_CASE("SARIF: URIs, regions in code points, notes as related locations, help in the message", "[diag][sarif]") {
  Fixture f;
  f.sink.error(Code::E0309, Span{f.spaced, 30, 40}, "bits set")
      .note(Span{f.absolute, 4, 5}, "defined here")
      .note(Span{}, "only when building for environment 'prod'")
      .hint("write 10.0.0.0/8");
  f.sink.warning(Code::W0214, Span{f.absolute, 0, 3}, "unknown side");
  RenderOptions opt;
  opt.tool_version = "1.2.3";
  auto doc = Json::parse(render_sarif(f.sink, f.sm, opt));
  const auto& run = doc["runs"][0];
  CHECK(run["tool"]["driver"]["semanticVersion"] == "1.2.3");
  CHECK(run["tool"]["driver"]["rules"].size() == all_codes().size());
  REQUIRE(run["results"].size() == 2);
  // Sorted by path: the absolute one first.
  CHECK(run["results"][0]["ruleId"] == "W0214");
  CHECK(run["results"][0]["level"] == "warning");
  CHECK(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///srv/policies/a.fence");
  const auto& e = run["results"][1];
  CHECK(e["ruleId"] == "E0309");
  CHECK(run["tool"]["driver"]["rules"][e["ruleIndex"].get<std::size_t>()]["id"] == "E0309");
  CHECK(e["message"]["text"] == "bits set\nnote: only when building for environment 'prod'\nhelp: write 10.0.0.0/8");
  const auto& loc = e["locations"][0]["physicalLocation"];
  CHECK(loc["artifactLocation"]["uri"] == "my%20policies/shop%20%C3%A9.fence");
  CHECK(loc["region"] == Json{{"startLine", 2}, {"startColumn", 17}, {"endLine", 2}, {"endColumn", 27}});
  CHECK(e["relatedLocations"][0]["message"]["text"] == "defined here");
  CHECK(e["relatedLocations"][0]["physicalLocation"]["region"]["startColumn"] == 5);

  opt.errors_only = true;
  auto quiet = Json::parse(render_sarif(f.sink, f.sm, opt));
  CHECK(quiet["runs"][0]["results"].size() == 1);
}

TEST_CASE("JSON: counts, and null for a note without a place", "[diag][json]") {
  Fixture f;
  f.sink.error(Code::E0309, Span{f.spaced, 30, 40}, "bits set").note(Span{}, "a note");
  auto doc = Json::parse(render_json(f.sink, f.sm, {}));
  CHECK(doc["errors"] == 1);
  CHECK(doc["warnings"] == 0);
  CHECK(doc["diagnostics"][0]["location"]["file"] == "my policies/shop é.fence");
  CHECK(doc["diagnostics"][0]["notes"][0]["location"].is_null());
  CHECK(parse_diag_format("sarif") == DiagFormat::Sarif);
  CHECK_FALSE(parse_diag_format("xml").has_value());
}

TEST_CASE("SARIF: relative paths are relative to the project root, named as their base", "[diag][sarif]") {
  Fixture f;
  auto stdin_file = f.sm.add("<stdin>", "x\n");
  f.sink.error(Code::E0309, Span{f.spaced, 30, 40}, "bits set");
  f.sink.error(Code::E0309, Span{f.absolute, 0, 3}, "bits set");
  f.sink.error(Code::E0309, Span{stdin_file, 0, 1}, "bits set");
  RenderOptions opt;
  opt.root = "/work/my project";
  auto doc = Json::parse(render_sarif(f.sink, f.sm, opt));
  const auto& run = doc["runs"][0];
  CHECK(run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == "file:///work/my%20project/");
  const auto& results = run["results"];
  REQUIRE(results.size() == 3);
  std::vector<Json> where;
  for (const auto& r : results) where.push_back(r["locations"][0]["physicalLocation"]["artifactLocation"]);
  CHECK(std::count(where.begin(), where.end(), Json{{"uri", "my%20policies/shop%20%C3%A9.fence"}, {"uriBaseId", "PROJECTROOT"}}) == 1);
  CHECK(std::count(where.begin(), where.end(), Json{{"uri", "file:///srv/policies/a.fence"}}) == 1);
  CHECK(std::count(where.begin(), where.end(), Json{{"uri", "%3Cstdin%3E"}}) == 1);
  // Without a root there is no base.
  auto plain = Json::parse(render_sarif(f.sink, f.sm, RenderOptions{}));
  CHECK_FALSE(plain["runs"][0].contains("originalUriBaseIds"));
}
