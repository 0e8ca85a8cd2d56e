// The network-policy-api user stories (tests/netpol/network-policy-api/) written in Fence
// (examples/guardrails/), compiled with --target cnp: the output is a reviewed golden file
// (tests/golden/cnp/guardrails/, validated against the CRD schema and its CEL rules by the schema
// test), and the reference evaluator gives it the same verdicts as the original object on every
// pair of a model cluster, on several ports, alone and under NetworkPolicies that show how the
// tiers stack.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../netpol/np_eval.h"
#include "helpers.h"

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string compile_story(const std::string& name) {
  fence::driver::Options opt;
  opt.stdlib_path = fence::test::stdlib_path();
  fence::driver::Compilation c(opt);
  std::string path = "examples/guardrails/" + name + ".fence";
  REQUIRE(c.load({{path, slurp(std::string(FENCE_SOURCE_DIR) + "/" + path)}}));
  REQUIRE(c.analyze(std::nullopt, std::string("cnp")));
  auto objects = c.lower("cnp");
  INFO(fence::render_all(c.sink(), c.sources()));
  REQUIRE_FALSE(c.sink().has_errors());
  auto yaml = fence::emit::to_yaml_stream(objects);
  std::string golden = std::string(FENCE_SOURCE_DIR) + "/tests/golden/cnp/guardrails/" + name + ".cnp.yaml";
  const char* update = std::getenv("FENCE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden, std::ios::binary | std::ios::trunc) << yaml;
  } else {
    CHECK(yaml == slurp(golden));
  }
  return yaml;
}

npeval::Cluster model() {
  npeval::Cluster c;
  c.add_namespace("sensitive-ns", {});
  c.add_namespace("monitoring-ns", {});
  c.add_namespace("kube-system", {});
  c.add_namespace("bar-ns-1", {});
  c.add_namespace("foo-ns", {{"tenant", "a"}});
  int n = 10;
  auto pod = [&](const std::string& ns, const std::string& name, npeval::Labels labels, std::vector<npeval::ContainerPort> ports = {}) {
    npeval::Pod p;
    p.ns = ns;
    p.name = name;
    p.labels = std::move(labels);
    p.ip = "10.1.0." + std::to_string(n++);
    p.ports = std::move(ports);
    c.pods.push_back(p);
  };
  pod("sensitive-ns", "vault", {{"app", "vault"}});
  pod("monitoring-ns", "prom", {{"app", "prom"}});
  pod("kube-system", "dns", {{"app", "kube-dns"}});
  pod("kube-system", "other", {{"app", "other"}});
  pod("bar-ns-1", "pub", {{"app", "svc-pub"}}, {{"web-alt", 8081, "TCP"}});
  pod("bar-ns-1", "priv", {{"app", "svc-priv"}}, {{"web-alt", 8081, "TCP"}});
  pod("foo-ns", "web", {{"app", "web"}});
  return c;
}

// NetworkPolicies under which the tiers are compared: none; foo-ns isolated both ways; every
// namespace's pods open to monitoring only.
const char* const kContexts[] = {
    "",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: foo-ns}\n"
    "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: mon, namespace: bar-ns-1}\n"
    "spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "
    "monitoring-ns}}}]}]}\n",
};

void same_verdicts(const std::string& story) {
  auto original = slurp(std::string(FENCE_SOURCE_DIR) + "/tests/netpol/network-policy-api/" + story + ".yaml");
  auto compiled = compile_story(story);
  auto c = model();
  std::vector<npeval::Endpoint> ends;
  for (const auto& p : c.pods) ends.push_back(npeval::Endpoint::of(p));
  ends.push_back(npeval::Endpoint::external("203.0.113.9"));
  int compared = 0, allowed = 0;
  for (const char* context : kContexts) {
    std::string extra = std::string(context).empty() ? "" : std::string("---\n") + context;
    npeval::Evaluator want(c, npeval::parse_objects(original + "\n" + extra));
    npeval::Evaluator got(c, npeval::parse_objects(compiled + extra));
    for (const auto& src : ends) {
      for (const auto& dst : ends) {
        if (src.pod == nullptr && dst.pod == nullptr) continue;
        for (auto [port, proto] : std::vector<std::pair<int, std::string>>{{53, "UDP"}, {80, "TCP"}, {8080, "TCP"}, {8081, "TCP"}, {9090, "TCP"}}) {
          INFO(story << ": " << src.str() << " -> " << dst.str() << " " << port << "/" << proto << " under [" << context << "]");
          bool w = want.allowed(src, dst, port, proto);
          CHECK(got.allowed(src, dst, port, proto) == w);
          ++compared;
          allowed += w;
        }
      }
    }
  }
  // Both verdicts occur: the comparison can fail.
  CHECK(allowed > 0);
  CHECK(allowed < compared);
}

}  // namespace

TEST_CASE("user story 1 in Fence means what the original says", "[cnp][guardrails]") {
  same_verdicts("user-story-1");
}

TEST_CASE("user story 2 in Fence means what the original says", "[cnp][guardrails]") {
  same_verdicts("user-story-2");
}

TEST_CASE("user story 3 in Fence means what the original says", "[cnp][guardrails]") {
  same_verdicts("user-story-3");
}

TEST_CASE("user story 5 in Fence means what the original says", "[cnp][guardrails]") {
  same_verdicts("user-story-5");
}
