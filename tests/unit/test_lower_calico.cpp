// The Calico target (projectcalico.org/v3). Calico publishes no JSON schema of its resources
// here, so the field names and the rules the lowering relies on are checked as tests, each with
// the part of Calico's reference it was checked against (docs.tigera.io, Calico Open Source
// 3.29-3.32 unless said otherwise):
//   - reference/resources/networkpolicy, globalnetworkpolicy: spec.tier, spec.order (lower first),
//     spec.selector, spec.namespaceSelector (global only), spec.types [Ingress, Egress],
//     spec.ingress / spec.egress: ordered rules; rule.action Allow, Deny, Log, Pass;
//     rule.protocol TCP, UDP, SCTP, ...; rule.source / rule.destination: EntityRule with selector,
//     namespaceSelector, nets, notNets, ports (numbers, "first:last" ranges, named ports; ports
//     need a protocol); the fields of an EntityRule must all match. A policy in a tier other than
//     `default` is named `<tier>.<name>` (the samples: `internal-access.allow-tcp-6379` in tier
//     internal-access).
//   - calico-labels: a namespace is matched by name with `projectcalico.org/name == 'ns'` in a
//     namespaceSelector; in a NetworkPolicy an EntityRule without namespaceSelector means the
//     policy's own namespace, in a GlobalNetworkPolicy every namespace and non-namespaced
//     resources.
//   - selectors (the selector table): all(), k == 'v', has(k), !has(k), k in {'a', 'b'},
//     k not in {...} ("without label k or with label k and value not in the set"), &&, ||;
//     k != 'v' matches only resources WITH label k: Fence writes `k not in {'v'}` for k8s's `!=`.
//   - tier: spec.order (lower first; `default` is 1,000,000), spec.defaultAction Deny (the
//     default) or Pass, documented from Calico Open Source 3.29; Pass in a rule goes on to the next
//     tier that selects the endpoint; a tier that selects the endpoint and decides nothing drops
//     the packet unless its defaultAction is Pass; after the last tier, the profiles (Kubernetes:
//     allow).
//   - stagednetworkpolicy, stagedglobalnetworkpolicy: the same spec plus stagedAction (Set,
//     Delete; the libcalico-go API's StagedActionSet), evaluated without enforcing.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "helpers.h"
#include "lower/calico/lower.h"

using fence::test::compile;

namespace {

fence::test::Compiled calico(const std::string& text, bool staged = false) {
  fence::driver::Options opt;
  opt.calico.staged = staged;
  return compile(text, "calico", std::nullopt, opt);
}

std::vector<YAML::Node> docs(const fence::test::Compiled& c) {
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  return YAML::LoadAll(c.yaml());
}

using fence::test::by_name;

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

fence::net::LabelSelector sel(std::vector<fence::net::Requirement> reqs) {
  fence::net::LabelSelector s;
  for (auto& r : reqs) s.add(std::move(r));
  return s;
}

// The keys every object and rule may have: what the reference documents, and nothing else.
const std::set<std::string> kSpecKeys = {"stagedAction", "tier", "order", "namespaceSelector", "selector", "types", "ingress", "egress"};
const std::set<std::string> kRuleKeys = {"action", "protocol", "source", "destination"};
const std::set<std::string> kEntityKeys = {"selector", "namespaceSelector", "nets", "notNets", "ports"};

void check_structure(const std::vector<YAML::Node>& all) {
  for (const auto& d : all) {
    CHECK(d["apiVersion"].as<std::string>() == "projectcalico.org/v3");
    auto kind = d["kind"].as<std::string>();
    auto name = d["metadata"]["name"].as<std::string>();
    if (kind == "Tier") {
      CHECK(d["spec"]["order"].IsScalar());
      CHECK(d["spec"]["defaultAction"].as<std::string>() == "Pass");
      continue;
    }
    INFO(name);
    CHECK((kind == "NetworkPolicy" || kind == "GlobalNetworkPolicy" || kind == "StagedNetworkPolicy" || kind == "StagedGlobalNetworkPolicy"));
    bool global = kind.find("Global") != std::string::npos;
    CHECK(bool(d["metadata"]["namespace"]) == !global);
    for (const auto& kv : d["spec"]) CHECK(kSpecKeys.count(kv.first.as<std::string>()) == 1);
    if (!global) CHECK(!d["spec"]["namespaceSelector"]);
    auto tier = d["spec"]["tier"].as<std::string>();
    if (tier != "default") CHECK(name.rfind(tier + ".", 0) == 0);
    auto types = strings(d["spec"]["types"]);
    CHECK(!types.empty());
    for (const char* dir : {"ingress", "egress"}) {
      if (!d["spec"][dir]) continue;
      CHECK(std::find(types.begin(), types.end(), std::string(dir) == "ingress" ? "Ingress" : "Egress") != types.end());
      for (const auto& r : d["spec"][dir]) {
        for (const auto& kv : r) CHECK(kRuleKeys.count(kv.first.as<std::string>()) == 1);
        auto action = r["action"].as<std::string>();
        CHECK((action == "Allow" || action == "Deny" || action == "Pass"));
        for (const char* side : {"source", "destination"}) {
          if (!r[side]) continue;
          for (const auto& kv : r[side]) CHECK(kEntityKeys.count(kv.first.as<std::string>()) == 1);
          // Ports match only with a protocol.
          if (r[side]["ports"]) CHECK(r["protocol"]);
        }
        // Ports are the destination's, in both directions.
        if (r["source"]) CHECK(!r["source"]["ports"]);
      }
    }
  }
}

}  // namespace

TEST_CASE("calico is a target", "[lower][calico]") {
  const auto& t = fence::driver::targets();
  CHECK(std::find(t.begin(), t.end(), "calico") != t.end());
}

TEST_CASE("calico selectors: every requirement in Calico's syntax", "[lower][calico]") {
  using fence::net::Requirement;
  using fence::net::SelOp;
  using fence::lower::calico::calico_selector;
  CHECK(calico_selector({}) == "all()");
  CHECK(calico_selector(sel({{"app", SelOp::Equals, {"web"}}})) == "app == 'web'");
  CHECK(calico_selector(sel({{"app", SelOp::Exists, {}}})) == "has(app)");
  CHECK(calico_selector(sel({{"canary", SelOp::DoesNotExist, {}}})) == "!has(canary)");
  CHECK(calico_selector(sel({{"tier", SelOp::In, {"a", "b"}}})) == "tier in {'a', 'b'}");
  CHECK(calico_selector(sel({{"tier", SelOp::NotIn, {"a", "b"}}})) == "tier not in {'a', 'b'}");
  // Kubernetes' `!=` holds without the label; Calico's `!=` does not, its `not in` does.
  CHECK(calico_selector(sel({{"env", SelOp::NotEquals, {"dev"}}})) == "env not in {'dev'}");
  CHECK(calico_selector(sel({{"app", SelOp::Equals, {"web"}}, {"canary", SelOp::DoesNotExist, {}}})) == "app == 'web' && !has(canary)");
}

TEST_CASE("calico namespace selectors: by name, by labels, every namespace", "[lower][calico]") {
  using fence::ir::NamespaceSel;
  using fence::lower::calico::calico_namespace_selector;
  NamespaceSel named;
  named.kind = NamespaceSel::Kind::Named;
  named.name = "shop";
  CHECK(calico_namespace_selector(named) == "projectcalico.org/name == 'shop'");
  NamespaceSel labelled;
  labelled.kind = NamespaceSel::Kind::Selector;
  labelled.selector = sel({{"team", fence::net::SelOp::Equals, {"obs"}}});
  CHECK(calico_namespace_selector(labelled) == "team == 'obs'");
  NamespaceSel any;
  any.kind = NamespaceSel::Kind::Any;
  CHECK(calico_namespace_selector(any) == "all()");
}

TEST_CASE("calico: a namespace block is NetworkPolicies in the default tier", "[lower][calico]") {
  auto all = docs(calico(R"(namespace shop {
  default deny ingress
  web may reach db:5432
  db may be reached by ns[team=ops]/backup
})"));
  check_structure(all);
  auto dd = by_name(all, "default-deny-ingress");
  CHECK(dd["kind"].as<std::string>() == "NetworkPolicy");
  CHECK(dd["metadata"]["namespace"].as<std::string>() == "shop");
  CHECK(dd["spec"]["selector"].as<std::string>() == "all()");
  CHECK(strings(dd["spec"]["types"]) == std::vector<std::string>{"Ingress"});
  CHECK(!dd["spec"]["ingress"]);  // no rule: the pods are isolated, nothing allowed

  auto web = by_name(all, "web");
  CHECK(web["spec"]["tier"].as<std::string>() == "default");
  CHECK(web["spec"]["order"].as<int>() == fence::lower::calico::kAllowPolicyOrder);
  CHECK(web["spec"]["selector"].as<std::string>() == "app == 'web'");
  CHECK(strings(web["spec"]["types"]) == std::vector<std::string>{"Egress"});
  REQUIRE(web["spec"]["egress"].size() == 1);
  auto r = web["spec"]["egress"][0];
  CHECK(r["action"].as<std::string>() == "Allow");
  CHECK(r["protocol"].as<std::string>() == "TCP");
  CHECK(r["destination"]["selector"].as<std::string>() == "app == 'db'");
  CHECK(!r["destination"]["namespaceSelector"]);  // the policy's own namespace
  CHECK(r["destination"]["ports"][0].as<int>() == 5432);

  // The backup, then the ingress side of `web may reach db` (db's namespace denies ingress),
  // which the IR lists after the statements.
  auto db = by_name(all, "db");
  CHECK(strings(db["spec"]["types"]) == std::vector<std::string>{"Ingress"});
  REQUIRE(db["spec"]["ingress"].size() == 2);
  CHECK(db["spec"]["ingress"][0]["source"]["selector"].as<std::string>() == "app == 'backup'");
  CHECK(db["spec"]["ingress"][0]["source"]["namespaceSelector"].as<std::string>() == "team == 'ops'");
  CHECK(!db["spec"]["ingress"][0]["destination"]);  // every port
  CHECK(db["spec"]["ingress"][1]["source"]["selector"].as<std::string>() == "app == 'web'");
  CHECK(db["spec"]["ingress"][1]["destination"]["ports"][0].as<int>() == 5432);
}

TEST_CASE("calico: pods of another namespace by name", "[lower][calico]") {
  auto all = docs(calico("namespace shop {\n  web may send to billing/api:443\n}\n"));
  auto r = by_name(all, "web")["spec"]["egress"][0];
  CHECK(r["destination"]["namespaceSelector"].as<std::string>() == "projectcalico.org/name == 'billing'");
  CHECK(r["destination"]["selector"].as<std::string>() == "app == 'api'");
}

TEST_CASE("calico ports: one rule per protocol, ranges as strings, named ports", "[lower][calico]") {
  auto all = docs(calico("namespace shop {\n  web may send to db:{8000-8999, 53/udp, http, 5432}\n}\n"));
  check_structure(all);
  auto egress = by_name(all, "web")["spec"]["egress"];
  REQUIRE(egress.size() == 2);
  CHECK(egress[0]["protocol"].as<std::string>() == "TCP");
  auto tcp = egress[0]["destination"]["ports"];
  REQUIRE(tcp.size() == 3);
  CHECK(tcp[0].as<std::string>() == "8000:8999");
  CHECK(tcp[0].Tag() != "tag:yaml.org,2002:int");
  CHECK(tcp[1].as<std::string>() == "http");
  CHECK(tcp[2].as<int>() == 5432);
  CHECK(egress[1]["protocol"].as<std::string>() == "UDP");
  CHECK(egress[1]["destination"]["ports"][0].as<int>() == 53);
  // The range is quoted in the YAML: a string, as Calico's port type wants it.
  CHECK(calico("namespace shop {\n  web may send to db:8000-8999\n}\n").yaml().find("\"8000:8999\"") != std::string::npos);
}

TEST_CASE("calico ports: every port of a protocol, and protocol any", "[lower][calico]") {
  auto all = docs(calico("namespace shop {\n  web may send to db:*/udp\n  web may send to 10.0.0.0/8:53/any\n}\n"));
  auto egress = by_name(all, "web")["spec"]["egress"];
  REQUIRE(egress.size() == 4);
  CHECK(egress[0]["protocol"].as<std::string>() == "UDP");
  CHECK(!egress[0]["destination"]["ports"]);
  // `any` is TCP, UDP and SCTP, each a rule, since Calico matches ports only with a protocol.
  CHECK(egress[1]["protocol"].as<std::string>() == "TCP");
  CHECK(egress[2]["protocol"].as<std::string>() == "UDP");
  CHECK(egress[3]["protocol"].as<std::string>() == "SCTP");
  for (int i = 1; i < 4; ++i) CHECK(egress[i]["destination"]["ports"][0].as<int>() == 53);
}

TEST_CASE("calico nets: except is notNets, one rule per block with exceptions and per family", "[lower][calico]") {
  auto all = docs(calico(R"(namespace shop {
  web may send to {0.0.0.0/0, ::/0} except {10.0.0.0/8, fc00::/7}
  api may send to {192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32}
})"));
  check_structure(all);
  auto web = by_name(all, "web")["spec"]["egress"];
  REQUIRE(web.size() == 2);
  // notNets applies to every net of its rule, so each block with exceptions is a rule of its own:
  // nets minus notNets is exactly the block.
  CHECK(strings(web[0]["destination"]["nets"]) == std::vector<std::string>{"0.0.0.0/0"});
  CHECK(strings(web[0]["destination"]["notNets"]) == std::vector<std::string>{"10.0.0.0/8"});
  CHECK(strings(web[1]["destination"]["nets"]) == std::vector<std::string>{"::/0"});
  CHECK(strings(web[1]["destination"]["notNets"]) == std::vector<std::string>{"fc00::/7"});
  CHECK(!web[0]["protocol"]);  // no ports: every protocol
  auto api = by_name(all, "api")["spec"]["egress"];
  REQUIRE(api.size() == 2);  // IPv4 and IPv6 never share a rule
  CHECK(strings(api[0]["destination"]["nets"]) == std::vector<std::string>{"192.0.2.0/24", "198.51.100.0/24"});
  CHECK(strings(api[1]["destination"]["nets"]) == std::vector<std::string>{"2001:db8::/32"});
}

TEST_CASE("calico: pods and addresses are separate rules, since an EntityRule ANDs its fields", "[lower][calico]") {
  auto all = docs(calico("namespace shop {\n  web may send to {db, 10.0.0.0/8}:443\n}\n"));
  auto egress = by_name(all, "web")["spec"]["egress"];
  REQUIRE(egress.size() == 2);
  CHECK(egress[0]["destination"]["selector"]);
  CHECK(!egress[0]["destination"]["nets"]);
  CHECK(egress[1]["destination"]["nets"]);
  CHECK(!egress[1]["destination"]["selector"]);
}

TEST_CASE("calico denies: Deny rules in policies ordered before every allow", "[lower][calico]") {
  auto all = docs(calico(R"(namespace shop {
  web may send to anything
  web must not reach 169.254.169.254/32
  scanner must not reach 10.0.0.0/8
})"));
  check_structure(all);
  auto deny = by_name(all, "web-deny");
  auto allow = by_name(all, "web");
  CHECK(deny["spec"]["order"].as<int>() < allow["spec"]["order"].as<int>());
  CHECK(deny["spec"]["tier"].as<std::string>() == "default");
  REQUIRE(deny["spec"]["egress"].size() == 1);
  CHECK(deny["spec"]["egress"][0]["action"].as<std::string>() == "Deny");
  CHECK(strings(deny["spec"]["egress"][0]["destination"]["nets"]) == std::vector<std::string>{"169.254.169.254/32"});
  // `anything`: a rule with no source or destination.
  REQUIRE(allow["spec"]["egress"].size() == 1);
  CHECK(!allow["spec"]["egress"][0]["destination"]);
  // A deny isolates its subject, as in Kubernetes: the scanner's policy has Egress in its types,
  // so Calico drops what it does not allow.
  CHECK(strings(by_name(all, "scanner-deny")["spec"]["types"]) == std::vector<std::string>{"Egress"});
  // Objects: the denies of a namespace before its allows.
  std::vector<std::string> names;
  for (const auto& d : all) names.push_back(d["metadata"]["name"].as<std::string>());
  CHECK(names == std::vector<std::string>{"web-deny", "scanner-deny", "web"});
}

TEST_CASE("calico: a default deny for some pods is types without rules in their policy", "[lower][calico]") {
  auto all = docs(calico("namespace shop {\n  default deny egress for web\n  web may send to db:5432\n  api may send to db:5432\n}\n"));
  auto web = by_name(all, "web");
  CHECK(strings(web["spec"]["types"]) == std::vector<std::string>{"Egress"});
  CHECK(web["spec"]["egress"].size() == 1);
}

TEST_CASE("calico: cluster statements are GlobalNetworkPolicies with a namespace selector", "[lower][calico]") {
  auto all = docs(calico(R"(cluster {
  default deny ingress
  kube-system/pods[k8s-app=kube-dns] may be reached by all namespaces/all pods:{53/udp, 53/tcp}
})"));
  check_structure(all);
  auto dd = by_name(all, "default-deny-ingress");
  CHECK(dd["kind"].as<std::string>() == "GlobalNetworkPolicy");
  CHECK(dd["spec"]["namespaceSelector"].as<std::string>() == "all()");  // pods, not host endpoints
  CHECK(dd["spec"]["selector"].as<std::string>() == "all()");
  bool found = false;
  for (const auto& d : all) {
    if (d["spec"]["selector"].as<std::string>() != "k8s-app == 'kube-dns'") continue;
    found = true;
    CHECK(d["spec"]["namespaceSelector"].as<std::string>() == "projectcalico.org/name == 'kube-system'");
    auto in = d["spec"]["ingress"];
    REQUIRE(in.size() == 2);
    // Every namespace: written out, since a global rule without it would match host endpoints too.
    CHECK(in[0]["source"]["namespaceSelector"].as<std::string>() == "all()");
    CHECK(in[0]["source"]["selector"].as<std::string>() == "all()");
  }
  CHECK(found);
}

TEST_CASE("calico: what Calico cannot express is a coded error at the source", "[lower][calico]") {
  auto dns = calico("namespace shop {\n  web may reach api.example.com:443\n}\n");
  CHECK(!dns.ok);
  CHECK(dns.has_code("E1201"));
  CHECK(dns.objects.empty());
  CHECK(dns.only("E1201").find("test.fence:2:17") != std::string::npos);
  auto http = calico("namespace shop {\n  web may reach payments:8080 http GET \"/status\"\n}\n");
  CHECK(http.has_code("E1202"));
  CHECK(http.objects.empty());
  auto entity = calico("namespace shop {\n  web may be reached by entity world:443\n}\n");
  CHECK(entity.has_code("E1203"));
  CHECK(entity.objects.empty());
}

TEST_CASE("calico --staged: the same policies as StagedNetworkPolicy, stagedAction Set", "[lower][calico]") {
  const char* program = "cluster {\n  default deny egress\n}\nnamespace shop {\n  default deny ingress\n  web may reach db:5432\n}\n";
  auto enforced = docs(calico(program));
  auto staged = docs(calico(program, true));
  check_structure(staged);
  REQUIRE(staged.size() == enforced.size());
  for (std::size_t i = 0; i < staged.size(); ++i) {
    auto kind = enforced[i]["kind"].as<std::string>();
    CHECK(staged[i]["kind"].as<std::string>() == "Staged" + kind);
    CHECK(staged[i]["spec"]["stagedAction"].as<std::string>() == "Set");
    CHECK(staged[i]["metadata"]["name"].as<std::string>() == enforced[i]["metadata"]["name"].as<std::string>());
    // Apart from the kind and stagedAction, the objects are the same.
    auto e = YAML::Clone(enforced[i]);
    auto s = YAML::Clone(staged[i]);
    s["spec"].remove("stagedAction");
    s["kind"] = kind;
    CHECK(YAML::Dump(s) == YAML::Dump(e));
  }
}

TEST_CASE("calico output is deterministic and points at the source", "[lower][calico]") {
  const char* program = "namespace shop {\n  default deny all\n  web may reach db:5432, 10.0.0.0/8 except 10.1.0.0/16\n}\n";
  auto a = calico(program);
  auto b = calico(program);
  REQUIRE(a.ok);
  CHECK(a.yaml() == b.yaml());
  CHECK(a.yaml().find("fence.dev/source: \"test.fence:3\"") != std::string::npos);
  CHECK(a.yaml().find("# test.fence:3: db:5432") != std::string::npos);
}

// Tiers, built on the IR until the language has `admin` and `baseline` blocks: a namespace
// program's rules moved into tier blocks, as sema will produce them (cluster scope, tier,
// tier_block, source order).
TEST_CASE("calico tiers: admin and baseline blocks, by priority, first-match, Pass", "[lower][calico]") {
  auto c = calico(R"(namespace shop {
  web may send to 10.0.0.0/8
  web must not reach 10.1.0.0/16
  db may send to 192.0.2.0/24
  web may send to anything
  api may send to 198.51.100.0/24
})");
  REQUIRE(c.ok);
  auto prog = c.ir();
  using fence::ir::Tier;
  prog.tier_blocks = {
      {Tier::Admin, 20, prog.rules[0].origin.statement, prog.rules[0].origin.statement},
      {Tier::Admin, 10, prog.rules[3].origin.statement, prog.rules[3].origin.statement},
      {Tier::Baseline, 5, prog.rules[4].origin.statement, prog.rules[4].origin.statement},
  };
  REQUIRE(prog.rules.size() == 5);
  int blocks[] = {0, 0, 0, 1, 2};
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    auto& r = prog.rules[i];
    r.tier = prog.tier_blocks[static_cast<std::size_t>(blocks[i])].tier;
    r.tier_block = blocks[i];
    r.scope.cluster = true;
    r.scope.ns.clear();
  }
  prog.rules[3].action = fence::ir::Action::Pass;
  fence::DiagnosticSink sink;
  auto objects = fence::lower::calico::lower(prog, c.c->sources(), {}, sink);
  REQUIRE(!sink.has_errors());
  auto all = YAML::LoadAll(fence::emit::to_yaml_stream(objects));
  check_structure(all);
  std::vector<std::string> names;
  for (const auto& d : all) names.push_back(d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>());
  // The tiers, then the policies in evaluation order: priority 10 before 20; within a block, one
  // policy per run of rules with the same subject, in source order.
  CHECK(names == std::vector<std::string>{"Tier/fence-admin", "Tier/fence-baseline", "GlobalNetworkPolicy/fence-admin.10-0-shop-web",
                                          "GlobalNetworkPolicy/fence-admin.20-0-shop-web", "GlobalNetworkPolicy/fence-admin.20-1-shop-db",
                                          "GlobalNetworkPolicy/fence-baseline.5-0-shop-api"});
  auto admin = by_name(all, "fence-admin");
  CHECK(admin["spec"]["order"].as<int>() < fence::lower::calico::kDefaultTierOrder);
  CHECK(admin["spec"]["defaultAction"].as<std::string>() == "Pass");
  auto baseline = by_name(all, "fence-baseline");
  CHECK(baseline["spec"]["order"].as<int>() > fence::lower::calico::kDefaultTierOrder);
  CHECK(baseline["spec"]["defaultAction"].as<std::string>() == "Pass");

  auto pass = by_name(all, "fence-admin.10-0-shop-web");
  CHECK(pass["spec"]["tier"].as<std::string>() == "fence-admin");
  CHECK(pass["spec"]["namespaceSelector"].as<std::string>() == "projectcalico.org/name == 'shop'");
  CHECK(pass["spec"]["egress"][0]["action"].as<std::string>() == "Pass");
  auto web20 = by_name(all, "fence-admin.20-0-shop-web");
  CHECK(pass["spec"]["order"].as<int>() < web20["spec"]["order"].as<int>());
  // First-match within the block: the allow, then the deny, in source order.
  REQUIRE(web20["spec"]["egress"].size() == 2);
  CHECK(web20["spec"]["egress"][0]["action"].as<std::string>() == "Allow");
  CHECK(web20["spec"]["egress"][1]["action"].as<std::string>() == "Deny");
  CHECK(web20["spec"]["order"].as<int>() < by_name(all, "fence-admin.20-1-shop-db")["spec"]["order"].as<int>());
}
