// The constructs that say what NetworkPolicy can say (issue 12): `anything`, `default deny ... for`,
// the one-sided `may send to` / `may receive from`, and the label key of a name that belongs to
// another namespace. Each is checked in the IR, in both targets' output, and in the checks.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "helpers.h"

using fence::test::by_name;
using fence::test::compile;
using fence::test::docs;

namespace {

std::size_t implied_rules(const fence::ir::Program& p) {
  std::size_t n = 0;
  for (const auto& r : p.rules) n += r.origin.implied ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("anything is a rule with no peer: no `to` for k8s, ports alone or toEntities all for Cilium", "[constructs][anything]") {
  auto c = compile("namespace p {\n web may be reached by anything:443\n web may reach anything\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto all = docs(c.yaml());
  auto in = by_name(all, "web-ingress")["spec"]["ingress"];
  REQUIRE(in.size() == 1);
  CHECK(!in[0]["from"]);
  CHECK(in[0]["ports"][0]["port"].as<int>() == 443);
  auto eg = by_name(all, "web-egress")["spec"]["egress"];
  REQUIRE(eg.size() == 1);
  CHECK(eg[0].IsMap());
  CHECK(eg[0].size() == 0);  // `{}`: every peer, every port

  auto cil = compile("namespace p {\n web may be reached by anything:443\n web may reach anything\n}", "cilium");
  REQUIRE(cil.ok);
  auto policy = docs(cil.yaml())[0]["spec"];
  CHECK(!policy["ingress"][0]["fromEndpoints"]);
  CHECK(!policy["ingress"][0]["fromEntities"]);
  CHECK(policy["ingress"][0]["toPorts"][0]["ports"][0]["port"].as<std::string>() == "443");
  CHECK(policy["egress"][0]["toEntities"][0].as<std::string>() == "all");
}

TEST_CASE("anything merges with other peers on the same ports into one rule of every peer", "[constructs][anything]") {
  auto c = compile("namespace p {\n web may reach db:5432\n web may reach anything:5432\n web may reach cache:6379\n}");
  REQUIRE(c.ok);
  auto eg = by_name(docs(c.yaml()), "web-egress")["spec"]["egress"];
  REQUIRE(eg.size() == 2);
  CHECK(!eg[0]["to"]);  // db merged into the rule of every peer on 5432
  CHECK(eg[1]["to"][0]["podSelector"]["matchLabels"]["app"].as<std::string>() == "cache");
}

TEST_CASE("anything names no pods: it opens no other side, and cannot be a subject or an except's base", "[constructs][anything]") {
  auto c = compile("namespace p {\n default deny all\n all pods may reach anything:53/udp\n}");
  REQUIRE(c.ok);
  CHECK(implied_rules(c.ir()) == 0);
  CHECK(docs(c.yaml()).size() == 2);  // the default deny and the egress policy: no ingress opened

  CHECK(compile("namespace p { anything may reach db }").has_code("E0101"));
  CHECK(compile("let everyone = anything\nnamespace p { everyone may reach db }").has_code("E0205"));
  CHECK(compile("namespace p { web may reach anything except 10.0.0.0/8 }").has_code("E0205"));
}

TEST_CASE("a CIDR deny takes addresses out of anything for k8s, leaving every namespace's pods", "[constructs][anything][deny]") {
  auto c = compile("namespace p {\n web may reach anything:443\n web must not reach 169.254.169.254/32\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto eg = by_name(docs(c.yaml()), "web-egress")["spec"]["egress"];
  REQUIRE(eg.size() == 1);
  auto to = eg[0]["to"];
  REQUIRE(to.size() == 3);
  CHECK(to[0]["namespaceSelector"].IsMap());
  CHECK(to[1]["ipBlock"]["cidr"].as<std::string>() == "0.0.0.0/0");
  CHECK(to[1]["ipBlock"]["except"][0].as<std::string>() == "169.254.169.254/32");
  CHECK(to[2]["ipBlock"]["cidr"].as<std::string>() == "::/0");
}

TEST_CASE("default deny for some pods isolates them only, in their own policy", "[constructs][default-deny]") {
  auto c = compile("namespace p {\n default deny ingress for web, pods[tier=db]\n web may be reached by api:80\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  const auto& dds = c.ir().default_denies;
  REQUIRE(dds.size() == 2);
  CHECK(!dds[0].whole());
  CHECK(dds[0].ingress);
  CHECK(!dds[0].egress);
  CHECK(!c.ir().namespace_denies("p", fence::ir::Direction::Ingress));
  auto all = docs(c.yaml());
  REQUIRE(all.size() == 2);  // web's policy holds both; tier=db has its own, with no rule
  auto web = by_name(all, "web-ingress");
  CHECK(web["spec"]["ingress"].size() == 1);
  CHECK(web["metadata"]["annotations"]["fence.dev/source"].as<std::string>() == "test.fence:3, test.fence:2");
  auto db = by_name(all, "db-ingress");
  CHECK(db["spec"]["podSelector"]["matchLabels"]["tier"].as<std::string>() == "db");
  CHECK(db["spec"]["policyTypes"][0].as<std::string>() == "Ingress");
  CHECK(!db["spec"]["ingress"]);

  auto cil = compile("namespace p { default deny egress for web }", "cilium");
  REQUIRE(cil.ok);
  auto w = docs(cil.yaml())[0];
  CHECK(w["metadata"]["name"].as<std::string>() == "web");
  REQUIRE(w["spec"]["egress"].size() == 1);
  CHECK(w["spec"]["egress"][0].size() == 0);
}

TEST_CASE("a default deny for some pods opens the other side of a may reach for those pods", "[constructs][default-deny][implied]") {
  auto c = compile(
      "namespace p {\n default deny ingress for pods[tier=db]\n}\n"
      "namespace q {\n a may reach p/db:5432\n b may reach p/pods[tier=db, app=x]:5432\n c may reach p/cache:6379\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  std::vector<std::string> subjects;
  for (const auto& r : c.ir().rules) {
    if (r.origin.implied) subjects.push_back(r.subject.str());
  }
  // db may be tier=db: the implied rule is for the pods that are both; pods[tier=db, app=x] are
  // isolated already; cache may be tier=db too.
  REQUIRE(subjects.size() == 3);
  CHECK(subjects[0] == "p/pods[app=db,tier=db]");
  CHECK(subjects[1] == "p/pods[app=x,tier=db]");
  CHECK(subjects[2] == "p/pods[app=cache,tier=db]");
  CHECK(compile("namespace p {\n default deny ingress for pods[tier=db]\n}\nnamespace q { a may reach p/pods[tier=web] }").ir().rules.size() == 1);
}

TEST_CASE("may send to and may receive from state one side: nothing is implied", "[constructs][one-sided]") {
  auto c = compile("namespace p {\n default deny all\n web may send to db:5432\n db may receive from api:5432\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(implied_rules(c.ir()) == 0);
  for (const auto& r : c.ir().rules) CHECK(r.origin.one_sided);
  auto two = compile("namespace p {\n default deny all\n web may reach db:5432\n}");
  CHECK(implied_rules(two.ir()) == 1);
  auto deny = compile("namespace p { web must not send to db }");
  CHECK(deny.has_code("E0110"));
}

TEST_CASE("W0620: a one-sided allow whose other side refuses it for certain", "[constructs][one-sided][check]") {
  auto refused = compile("namespace p {\n default deny ingress\n}\nnamespace q { web may send to p/db:5432, dns.example.com }", "cilium");
  CHECK(refused.has_code("W0620"));
  auto admitted = compile("namespace p {\n default deny ingress\n db may receive from q/web:5432\n}\nnamespace q { web may send to p/db:5432 }");
  CHECK_FALSE(admitted.has_code("W0620"));
  // Admitted on other ports only: refused on these.
  auto ports = compile("namespace p {\n default deny ingress\n db may receive from q/web:80\n}\nnamespace q { web may send to p/db:5432 }");
  CHECK(ports.has_code("W0620"));
  // A CIDR may hold the subject's pods: not sure, no warning.
  auto cidr = compile("namespace p {\n default deny ingress\n db may receive from 10.0.0.0/8\n}\nnamespace q { web may send to p/db:5432 }");
  CHECK_FALSE(cidr.has_code("W0620"));
  // Isolated by its own rules, without a default deny.
  auto own = compile("namespace p { db may receive from x:5432 }\nnamespace q { web may send to p/db:5432 }");
  CHECK(own.has_code("W0620"));
  // Not isolated at all: open.
  auto open = compile("namespace p { other may reach db }\nnamespace q { web may send to p/db:5432 }");
  CHECK_FALSE(open.has_code("W0620"));
}

TEST_CASE("W0621: all namespaces next to every address, or from every pod of a denying namespace", "[constructs][implied]") {
  CHECK(compile("namespace p {\n default deny all\n all pods may reach {all namespaces, 0.0.0.0/0}:53/udp\n}").has_code("W0621"));
  CHECK(compile("namespace p {\n default deny all\n all pods may reach all namespaces:53/udp\n}").has_code("W0621"));
  CHECK_FALSE(compile("namespace p {\n default deny all\n}\nnamespace m { prom may reach all namespaces:9090 }").has_code("W0621"));
  CHECK_FALSE(compile("namespace p {\n default deny all\n all pods may reach anything:53/udp\n}").has_code("W0621"));
}

TEST_CASE("a name that belongs to another namespace is read with that namespace's label key", "[constructs][label-key]") {
  auto c = compile(
      "namespace legacy {\n set label-key = \"role\"\n default deny ingress\n db may be reached by x\n}\n"
      "namespace shop {\n set label-key = \"app.kubernetes.io/name\"\n api may reach legacy/db:5432\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  bool found = false;
  for (const auto& r : c.ir().rules) {
    if (r.scope.ns != "shop") continue;
    REQUIRE(r.peers.size() == 1);
    CHECK(r.peers[0].endpoint.pods.str() == "role=db");
    CHECK(r.subject.pods.str() == "app.kubernetes.io/name=api");
    found = true;
  }
  CHECK(found);
  // The implied policy in legacy selects legacy's db, and lets in shop's api.
  auto legacy = by_name(docs(c.yaml()), "db-ingress");
  auto from = legacy["spec"]["ingress"][1]["from"][0];
  CHECK(legacy["spec"]["podSelector"]["matchLabels"]["role"].as<std::string>() == "db");
  CHECK(from["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as<std::string>() == "api");

  // A namespace without a block of its own: the writer's key.
  auto none = compile("namespace shop {\n set label-key = \"k8s-app\"\n api may reach other/db\n}");
  CHECK(none.ir().rules[0].peers[0].endpoint.pods.str() == "k8s-app=db");
  // Top-level statements: the subject's namespace's key for its bare targets too.
  auto top = compile("namespace shop { set label-key = \"tier\"\n x may reach y }\nshop/web may reach db");
  CHECK(top.ir().rules.back().subject.pods.str() == "tier=web");
  CHECK(top.ir().rules.back().peers[0].endpoint.pods.str() == "tier=db");
  // Blocks that disagree: W0622, and the writer's key.
  auto two = compile("namespace s { set label-key = \"a\"\n x may reach y }\nnamespace s { set label-key = \"b\"\n z may reach w }\nnamespace o { q may reach s/x }");
  CHECK(two.has_code("W0622"));
}

TEST_CASE("the namespace may be called default", "[constructs][syntax]") {
  auto c = compile("namespace default {\n web may reach default/db, other/api\n}\nnamespace other { default deny ingress }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(c.ir().rules[0].scope.ns == "default");
}
