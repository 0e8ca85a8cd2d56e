// Compilation::analyze with targets to lower ahead (what `fence build` and `fence check` do): the
// lowering runs on a second thread while the checks run, into a sink of its own that is appended
// after the checks'. The diagnostics must be exactly those of checking first and lowering after,
// in the same order, and an analysis that fails must throw the lowering away.
#include <catch2/catch.hpp>

#include <sstream>

#include "helpers.h"

namespace {

using fence::Code;
using fence::Diagnostic;
using fence::driver::Compilation;

struct Run {
  std::unique_ptr<Compilation> c;
  bool analyzed = false;
  std::map<std::string, std::vector<fence::emit::Object>> objects;
};

// Like compile() in cli/compile_flags.cpp: one analysis, then each target lowered; `ahead`: the
// targets handed to analyze() (the concurrent path), else none (lowered after the checks).
Run run(const std::string& text, const std::vector<std::string>& targets, bool ahead, fence::driver::Options opt = {}) {
  Run r;
  opt.stdlib_path = fence::test::stdlib_path();
  r.c = std::make_unique<Compilation>(opt);
  REQUIRE(r.c->load({{"test.fence", text}}));
  r.analyzed = r.c->analyze(std::nullopt, std::nullopt, ahead ? targets : std::vector<std::string>{});
  if (r.analyzed) {
    for (const auto& t : targets) r.objects[t] = r.c->lower(t);
  }
  return r;
}

std::vector<std::string> codes(const Compilation& c) {
  std::vector<std::string> out;
  for (const auto& d : c.sink().raw()) out.emplace_back(fence::code_info(d.code).id);
  return out;
}

// Everything a diagnostic says, notes and help included, in the sink's order.
std::string dump(const Compilation& c) {
  std::ostringstream out;
  for (const auto& d : c.sink().raw()) {
    out << fence::code_info(d.code).id << ' ' << static_cast<int>(d.severity) << ' ' << d.span.file << ':' << d.span.begin << '-' << d.span.end << ' '
        << d.message << '\n';
    for (const auto& n : d.notes) out << "  note " << n.span.begin << '-' << n.span.end << ' ' << n.message << '\n';
    for (const auto& h : d.help) out << "  help " << h << '\n';
  }
  out << "errors " << c.sink().error_count() << " warnings " << c.sink().warning_count() << " dropped " << c.sink().dropped() << '\n';
  return out.str();
}

std::string yaml(const Run& r) {
  std::string out;
  for (const auto& [t, objects] : r.objects) out += t + ":\n" + fence::emit::to_yaml_stream(objects);
  return out;
}

// A check warning (W0604: api may not reach DNS) on the calling thread, lowering errors for both
// targets on the other (E0402 for k8s: no HTTP in a NetworkPolicy; E0501 for cilium: HTTP on UDP).
const char* kBoth = R"(namespace shop {
  api may reach web:{8080, 8081/udp} http GET "/"
  web may reach db:5432
}
)";

}  // namespace

TEST_CASE("lowering ahead: the checks' diagnostics, then each target's, in the order lower() is called") {
  auto ahead = run(kBoth, {"k8s", "cilium"}, true);
  REQUIRE(ahead.analyzed);
  CHECK(codes(*ahead.c) == std::vector<std::string>{"W0604", "W0604", "E0402", "E0501"});
  auto after = run(kBoth, {"k8s", "cilium"}, false);
  CHECK(dump(*ahead.c) == dump(*after.c));
  // A target with errors gives no objects, either way.
  CHECK(ahead.objects.at("k8s").empty());
  CHECK(ahead.objects.at("cilium").empty());

  // The other order of targets: the diagnostics follow it.
  auto reversed = run(kBoth, {"cilium", "k8s"}, true);
  CHECK(codes(*reversed.c) == std::vector<std::string>{"W0604", "W0604", "E0501", "E0402"});
  CHECK(dump(*reversed.c) == dump(*run(kBoth, {"cilium", "k8s"}, false).c));
}

TEST_CASE("lowering ahead: the output is the same as lowering after the checks") {
  const char* ok = R"(import std
namespace shop {
  api may reach web:8080, dns
  web may reach db:5432, dns
  db may be reached by web
}
)";
  auto ahead = run(ok, {"k8s", "cilium", "calico"}, true);
  auto after = run(ok, {"k8s", "cilium", "calico"}, false);
  REQUIRE(ahead.analyzed);
  CHECK_FALSE(ahead.c->sink().has_errors());
  CHECK_FALSE(ahead.objects.at("k8s").empty());
  CHECK(yaml(ahead) == yaml(after));
  CHECK(dump(*ahead.c) == dump(*after.c));
}

TEST_CASE("lowering ahead: the error limit applies as if the lowering had reported into the compilation's sink") {
  // 60 namespaces, each with HTTP on a UDP port: 60 E0501 for cilium, past the limit of 50.
  std::string text;
  for (int i = 0; i < 60; ++i) text += "namespace n" + std::to_string(i) + " {\n  api may reach web:8081/udp http GET \"/\"\n}\n";
  auto ahead = run(text, {"cilium", "k8s"}, true);
  auto after = run(text, {"cilium", "k8s"}, false);
  REQUIRE(ahead.analyzed);
  CHECK(ahead.c->sink().error_count() == 50);
  CHECK(ahead.c->sink().dropped() > 0);
  CHECK(dump(*ahead.c) == dump(*after.c));
}

TEST_CASE("lowering ahead: an analysis with errors throws the lowering away") {
  // E0601 (a deny that cancels an allow) from the checks; the HTTP on UDP would be E0501.
  const char* text = R"(import std
namespace shop {
  web may reach 10.1.0.0/16:443, dns
  web must not reach 10.0.0.0/8
  api may reach web:8081/udp http GET "/"
}
)";
  auto ahead = run(text, {"cilium"}, true);
  CHECK_FALSE(ahead.analyzed);
  auto c = codes(*ahead.c);
  CHECK(std::find(c.begin(), c.end(), "E0601") != c.end());
  CHECK(std::find(c.begin(), c.end(), "E0501") == c.end());
  CHECK(ahead.c->lower("cilium").empty());
  CHECK(dump(*ahead.c) == dump(*run(text, {"cilium"}, false).c));

  // --werror: the checks' warning becomes an error, and the lowering is not reported either.
  fence::driver::Options werror;
  werror.policy.werror = true;
  auto strict = run(kBoth, {"k8s", "cilium"}, true, werror);
  CHECK_FALSE(strict.analyzed);
  CHECK(codes(*strict.c) == std::vector<std::string>{"W0604", "W0604"});
  CHECK(strict.c->sink().error_count() == 2);
}

TEST_CASE("lowering ahead: a second analysis replaces what the first lowered") {
  fence::driver::Options opt;
  opt.stdlib_path = fence::test::stdlib_path();
  Compilation c(opt);
  REQUIRE(c.load({{"test.fence", kBoth}}));
  REQUIRE(c.analyze(std::nullopt, std::nullopt, {"k8s"}));
  // Analyzed again without lowering ahead: lower() lowers this analysis, after its checks.
  REQUIRE(c.analyze(std::nullopt, std::nullopt));
  c.lower("k8s");
  CHECK(codes(c) == std::vector<std::string>{"W0604", "W0604", "W0604", "W0604", "E0402"});
}
