// The ClusterNetworkPolicy target (--target cnp). Until the language has tier blocks, the tests
// build their IR from `cluster { ... }` blocks of real source (so that spans and diagnostics point
// at real lines) and make each block a tier block of the IR: the contract lower/cnp reads.
// The objects are compared with reviewed golden files under tests/golden/cnp/, which the schema
// test validates against the CRD's JSON schema and its CEL rules (tests/tools/validate_schema.py).
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "../netpol/calico_eval.h"
#include "../netpol/np_eval.h"
#include "emit/yaml.h"
#include "helpers.h"
#include "ir/deny.h"
#include "lower/calico/lower.h"
#include "lower/cnp/lower.h"

namespace {

using fence::ir::Action;
using fence::ir::Tier;
using fence::lower::cnp::Channel;

struct Block {
  Tier tier = Tier::Admin;
  int priority = 0;
};

struct Lowered {
  std::unique_ptr<fence::driver::Compilation> c;
  fence::DiagnosticSink sink;
  std::vector<fence::emit::Object> objects;
  bool ok = false;

  std::string diagnostics() const { return fence::render_all(sink, c->sources()); }
  std::size_t count(std::string_view id) const {
    std::size_t n = 0;
    for (const auto& d : sink.raw()) n += fence::code_info(d.code).id == id;
    return n;
  }
  bool has_code(std::string_view id) const { return count(id) > 0; }
  std::string yaml() const { return fence::emit::to_yaml_stream(objects); }
  std::vector<YAML::Node> docs() const {
    INFO(diagnostics());
    REQUIRE(ok);
    return YAML::LoadAll(yaml());
  }
};

// Each `cluster {` of `text`, in order, is the tier block `blocks[i]`; `edit` may change the IR
// further (e.g. make a rule pass, which the language cannot write yet).
Lowered lower(const std::string& text, const std::vector<Block>& blocks, Channel channel = Channel::Standard,
              const std::function<void(fence::ir::Program&)>& edit = {}) {
  Lowered out;
  fence::driver::Options opt;
  opt.stdlib_path = fence::test::stdlib_path();
  out.c = std::make_unique<fence::driver::Compilation>(opt);
  REQUIRE(out.c->load({{"test.fence", text}}));
  INFO(fence::render_all(out.c->sink(), out.c->sources()));
  REQUIRE(out.c->analyze());
  auto prog = out.c->program();
  std::vector<std::size_t> starts;
  for (auto at = text.find("cluster {"); at != std::string::npos; at = text.find("cluster {", at + 1)) starts.push_back(at);
  REQUIRE(starts.size() == blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    fence::ir::TierBlock tb;
    tb.tier = blocks[i].tier;
    tb.priority = blocks[i].priority;
    prog.tier_blocks.push_back(tb);
  }
  for (auto& r : prog.rules) {
    if (!r.scope.cluster) continue;
    std::size_t begin = r.origin.statement.begin;
    int block = -1;
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (starts[i] < begin) block = static_cast<int>(i);
    }
    REQUIRE(block >= 0);
    r.tier = blocks[static_cast<std::size_t>(block)].tier;
    r.tier_block = block;
  }
  if (edit) edit(prog);
  fence::lower::cnp::Options lo;
  lo.channel = channel;
  out.objects = fence::lower::cnp::lower(prog, out.c->sources(), lo, out.sink);
  out.ok = !out.sink.has_errors();
  return out;
}

// The objects against tests/golden/cnp/NAME.yaml; FENCE_UPDATE_GOLDEN=1 rewrites it (review the diff).
void golden(const Lowered& l, const std::string& name) {
  INFO(l.diagnostics());
  REQUIRE(l.ok);
  std::string path = std::string(FENCE_SOURCE_DIR) + "/tests/golden/cnp/" + name + ".yaml";
  auto got = l.yaml();
  const char* update = std::getenv("FENCE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << got;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream want;
  want << in.rdbuf();
  CHECK(got == want.str());
}

std::vector<YAML::Node> of_kind(const std::vector<YAML::Node>& all, const std::string& kind) {
  std::vector<YAML::Node> out;
  for (const auto& d : all) {
    if (d["kind"].as<std::string>() == kind) out.push_back(d);
  }
  return out;
}

std::string s(const YAML::Node& n) {
  return n.as<std::string>();
}

}  // namespace

TEST_CASE("cnp is a target", "[lower][cnp]") {
  const auto& t = fence::driver::targets();
  CHECK(std::find(t.begin(), t.end(), "cnp") != t.end());
}

TEST_CASE("a tier block is a ClusterNetworkPolicy of its tier and priority, rules in source order", "[lower][cnp]") {
  auto l = lower(
      "cluster {\n"
      "  all namespaces/all pods must not reach 169.254.169.254/32\n"
      "  all namespaces/all pods may send to kube-system/pods[k8s-app=kube-dns]:{53/udp, 53/tcp}\n"
      "  all namespaces/all pods must not be reached by ns[tenant]\n"
      "}\n",
      {{Tier::Admin, 10}});
  auto all = l.docs();
  REQUIRE(all.size() == 1);
  auto d = all[0];
  CHECK(s(d["apiVersion"]) == "policy.networking.k8s.io/v1alpha2");
  CHECK(s(d["kind"]) == "ClusterNetworkPolicy");
  CHECK_FALSE(d["metadata"]["namespace"]);
  CHECK(s(d["metadata"]["name"]) == "admin-10-all-namespaces");
  CHECK(s(d["metadata"]["labels"]["app.kubernetes.io/managed-by"]) == "fence");
  CHECK(s(d["metadata"]["annotations"]["fence.dev/source"]) == "test.fence:2, test.fence:3, test.fence:4");
  CHECK(s(d["spec"]["tier"]) == "Admin");
  CHECK(d["spec"]["priority"].as<int>() == 10);
  CHECK(d["spec"]["subject"]["namespaces"].IsMap());
  CHECK(d["spec"]["subject"]["namespaces"].size() == 0);
  auto eg = d["spec"]["egress"];
  REQUIRE(eg.size() == 2);
  CHECK(s(eg[0]["action"]) == "Deny");
  CHECK(s(eg[0]["to"][0]["networks"][0]) == "169.254.169.254/32");
  CHECK_FALSE(eg[0]["protocols"]);
  CHECK(s(eg[0]["name"]) == "test.fence:2: 169.254.169.254/32");
  CHECK(s(eg[1]["action"]) == "Accept");
  CHECK(s(eg[1]["to"][0]["pods"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]) == "kube-system");
  CHECK(s(eg[1]["to"][0]["pods"]["podSelector"]["matchLabels"]["k8s-app"]) == "kube-dns");
  REQUIRE(eg[1]["protocols"].size() == 2);
  CHECK(eg[1]["protocols"][0]["udp"]["destinationPort"]["number"].as<int>() == 53);
  CHECK(eg[1]["protocols"][1]["tcp"]["destinationPort"]["number"].as<int>() == 53);
  auto in = d["spec"]["ingress"];
  REQUIRE(in.size() == 1);
  CHECK(s(in[0]["action"]) == "Deny");
  CHECK(s(in[0]["from"][0]["namespaces"]["matchExpressions"][0]["key"]) == "tenant");
  CHECK(s(in[0]["from"][0]["namespaces"]["matchExpressions"][0]["operator"]) == "Exists");
  golden(l, "admin-basics");
}

TEST_CASE("the namespace tier is NetworkPolicy exactly as --target k8s writes it", "[lower][cnp]") {
  std::string ns = "namespace shop {\n  web may reach db:5432\n  web must not reach 10.0.0.0/8\n  default deny ingress\n}\n";
  auto k8s = fence::test::compile(ns, "k8s");
  REQUIRE(k8s.ok);
  auto l = lower(ns + "cluster {\n  all namespaces/all pods must not reach 10.1.0.0/16\n}\n", {{Tier::Baseline, 3}});
  auto all = l.docs();
  auto nps = of_kind(all, "NetworkPolicy");
  auto cnps = of_kind(all, "ClusterNetworkPolicy");
  CHECK(cnps.size() == 1);
  CHECK(s(cnps[0]["spec"]["tier"]) == "Baseline");
  CHECK(cnps[0]["spec"]["priority"].as<int>() == 3);
  // The NetworkPolicy documents, byte for byte: the first documents of the stream.
  std::vector<fence::emit::Object> first(l.objects.begin(), l.objects.begin() + static_cast<long>(nps.size()));
  CHECK(fence::emit::to_yaml_stream(first) == k8s.yaml());
}

TEST_CASE("pass, and subjects: one object each, equal subjects together, disjoint apart", "[lower][cnp]") {
  auto l = lower(
      "cluster {\n"
      "  production/all pods may send to monitoring/prometheus:9090\n"
      "  staging/all pods must not reach production/all pods\n"
      "  production/all pods must not reach all namespaces\n"
      "  staging/all pods may send to all namespaces\n"
      "}\n"
      "cluster {\n"
      "  all namespaces/pods[app=web] must not reach 10.0.0.0/8\n"
      "}\n",
      {{Tier::Admin, 20}, {Tier::Baseline, 20}}, Channel::Standard, [](fence::ir::Program& p) {
        // `defer`: the second statement passes to the next tier.
        for (auto& r : p.rules) {
          if (r.tier_block == 0 && r.subject.ns.name == "staging" && r.action == Action::Deny) r.action = Action::Pass;
        }
      });
  auto all = l.docs();
  REQUIRE(all.size() == 3);
  CHECK(s(all[0]["metadata"]["name"]) == "admin-20-production");
  CHECK(s(all[1]["metadata"]["name"]) == "admin-20-staging");
  CHECK(s(all[2]["metadata"]["name"]) == "baseline-20-all-namespaces-web");
  CHECK(s(all[0]["spec"]["subject"]["namespaces"]["matchLabels"]["kubernetes.io/metadata.name"]) == "production");
  REQUIRE(all[0]["spec"]["egress"].size() == 2);
  CHECK(s(all[0]["spec"]["egress"][0]["action"]) == "Accept");
  CHECK(s(all[0]["spec"]["egress"][1]["action"]) == "Deny");
  REQUIRE(all[1]["spec"]["egress"].size() == 2);
  CHECK(s(all[1]["spec"]["egress"][0]["action"]) == "Pass");
  CHECK(s(all[1]["spec"]["egress"][1]["action"]) == "Accept");
  CHECK(all[1]["spec"]["egress"][1]["to"][0]["namespaces"].IsMap());
  CHECK(all[1]["spec"]["egress"][1]["to"][0]["namespaces"].size() == 0);
  CHECK(s(all[2]["spec"]["subject"]["pods"]["podSelector"]["matchLabels"]["app"]) == "web");
  CHECK(all[2]["spec"]["subject"]["pods"]["namespaceSelector"].size() == 0);
  golden(l, "subjects-and-pass");
}

TEST_CASE("overlapping subjects in one block: disjoint regions, each with every rule that applies to it", "[lower][cnp]") {
  auto l = lower(
      "cluster {\n"
      "  all namespaces/all pods must not reach 10.0.0.0/8\n"
      "  ns[team=payments] may send to 10.1.0.0/16\n"
      "}\n",
      {{Tier::Admin, 10}});
  auto all = l.docs();
  REQUIRE(all.size() == 2);
  // The payments namespaces: both rules, in source order.
  CHECK(s(all[0]["spec"]["subject"]["namespaces"]["matchLabels"]["team"]) == "payments");
  REQUIRE(all[0]["spec"]["egress"].size() == 2);
  CHECK(s(all[0]["spec"]["egress"][0]["action"]) == "Deny");
  CHECK(s(all[0]["spec"]["egress"][1]["action"]) == "Accept");
  // Every other namespace: the first rule only.
  auto other = all[1]["spec"]["subject"]["namespaces"]["matchExpressions"];
  REQUIRE(other.size() == 1);
  CHECK(s(other[0]["key"]) == "team");
  CHECK(s(other[0]["operator"]) == "NotIn");
  CHECK(s(other[0]["values"][0]) == "payments");
  REQUIRE(all[1]["spec"]["egress"].size() == 1);
  CHECK(s(all[1]["spec"]["egress"][0]["action"]) == "Deny");
  CHECK(s(all[0]["metadata"]["name"]) != s(all[1]["metadata"]["name"]));
  golden(l, "overlapping-subjects");
  // Overlap in different directions only: one object per subject.
  auto dirs = lower(
      "cluster {\n"
      "  all namespaces/all pods must not reach 10.0.0.0/8\n"
      "  ns[team=payments] may receive from ns[team=shop]\n"
      "}\n",
      {{Tier::Admin, 10}});
  CHECK(dirs.docs().size() == 2);
}

TEST_CASE("excepts become the CIDRs that cover the difference", "[lower][cnp]") {
  auto l = lower("cluster {\n  all namespaces/all pods may send to 10.0.0.0/8 except {10.0.0.0/9, 10.128.0.0/10}\n}\n", {{Tier::Admin, 1}});
  auto d = l.docs()[0];
  auto nets = d["spec"]["egress"][0]["to"][0]["networks"];
  REQUIRE(nets.size() == 1);
  CHECK(s(nets[0]) == "10.192.0.0/10");
  CHECK_FALSE(d["spec"]["egress"][0]["to"][0]["except"]);
}

TEST_CASE("ingress from addresses or from anything is an error", "[lower][cnp]") {
  CHECK(lower("cluster {\n  all namespaces/all pods must not be reached by 203.0.113.0/24\n}\n", {{Tier::Admin, 1}}).has_code("E1102"));
  CHECK(lower("cluster {\n  all namespaces/all pods must not be reached by anything\n}\n", {{Tier::Admin, 1}}).has_code("E1102"));
  // Egress to anything: every namespace and every address.
  auto l = lower("cluster {\n  all namespaces/all pods must not reach anything\n}\n", {{Tier::Baseline, 1}});
  auto to = l.docs()[0]["spec"]["egress"][0]["to"];
  REQUIRE(to.size() == 2);
  CHECK(to[0]["namespaces"].size() == 0);
  CHECK(s(to[1]["networks"][0]) == "0.0.0.0/0");
  CHECK(s(to[1]["networks"][1]) == "::/0");
}

TEST_CASE("DNS names: experimental, egress accepts only", "[lower][cnp]") {
  std::string accept = "cluster {\n  all namespaces/all pods may send to api.stripe.com:443, *.stripe.com:443\n}\n";
  auto standard = lower(accept, {{Tier::Admin, 1}});
  CHECK(standard.count("E1101") == 2);
  CHECK(standard.diagnostics().find("--cnp-channel experimental") != std::string::npos);
  auto exp = lower(accept, {{Tier::Admin, 1}}, Channel::Experimental);
  auto d = exp.docs()[0];
  auto names = d["spec"]["egress"][0]["to"][0]["domainNames"];
  REQUIRE(names.size() == 2);
  CHECK(s(names[0]) == "api.stripe.com");
  CHECK(s(names[1]) == "*.stripe.com");
  golden(exp, "experimental-domain-names");
  auto deny = lower("cluster {\n  all namespaces/all pods must not reach evil.example.com\n}\n", {{Tier::Admin, 1}}, Channel::Experimental);
  CHECK(deny.has_code("E1103"));
}

TEST_CASE("entities: none, but host and remote-node together are every node (experimental)", "[lower][cnp]") {
  std::string nodes = "import std\ncluster {\n  all namespaces/all pods may send to entity host, entity remote-node\n}\n";
  CHECK(lower(nodes, {{Tier::Admin, 1}}).has_code("E1101"));
  auto exp = lower(nodes, {{Tier::Admin, 1}}, Channel::Experimental);
  auto to = exp.docs()[0]["spec"]["egress"][0]["to"];
  REQUIRE(to.size() == 1);
  CHECK(to[0]["nodes"].size() == 0);
  CHECK(to[0]["nodes"].IsMap());
  CHECK(lower("import std\ncluster {\n  all namespaces/all pods may send to entity host\n}\n", {{Tier::Admin, 1}}, Channel::Experimental)
            .has_code("E1104"));
  CHECK(lower("import std\ncluster {\n  all namespaces/all pods may send to entity world\n}\n", {{Tier::Admin, 1}}).has_code("E1104"));
}

TEST_CASE("HTTP rules and named ports on addresses are errors", "[lower][cnp]") {
  CHECK(lower("cluster {\n  all namespaces/all pods may send to shop/api:80 http GET \"/\"\n}\n", {{Tier::Admin, 1}}).has_code("E1105"));
  auto named = lower("cluster {\n  all namespaces/all pods may send to 10.0.0.0/8:http\n}\n", {{Tier::Admin, 1}});
  CHECK(named.has_code("E1106"));
  // A named port on pods is the API's destinationNamedPort.
  auto pods = lower("cluster {\n  all namespaces/all pods may send to shop/api:{http, 8000-8999/udp, */sctp}\n}\n", {{Tier::Admin, 1}});
  auto protos = pods.docs()[0]["spec"]["egress"][0]["protocols"];
  REQUIRE(protos.size() == 3);
  CHECK(s(protos[0]["destinationNamedPort"]) == "http");
  CHECK(protos[1]["udp"]["destinationPort"]["range"]["start"].as<int>() == 8000);
  CHECK(protos[1]["udp"]["destinationPort"]["range"]["end"].as<int>() == 8999);
  // Every SCTP port: the whole range, since a protocol needs a destinationPort.
  CHECK(protos[2]["sctp"]["destinationPort"]["range"]["start"].as<int>() == 1);
  CHECK(protos[2]["sctp"]["destinationPort"]["range"]["end"].as<int>() == 65535);
}

namespace {

std::string many(const std::string& fmt_line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string line = fmt_line;
    auto at = line.find("{}");
    line.replace(at, 2, std::to_string(i + 1));
    out += line;
  }
  return out;
}

}  // namespace

TEST_CASE("the API's limits: 25 peers, networks and protocols a rule, 25 rules a direction", "[lower][cnp]") {
  SECTION("more than 25 pod peers: consecutive rules of the same action") {
    std::string peers;
    for (int i = 1; i <= 30; ++i) peers += (i > 1 ? ", " : "") + std::string("shop/pods[n=p") + std::to_string(i) + "]";
    auto l = lower("cluster {\n  all namespaces/all pods must not reach " + peers + "\n}\n", {{Tier::Admin, 1}});
    auto eg = l.docs()[0]["spec"]["egress"];
    REQUIRE(eg.size() == 2);
    CHECK(eg[0]["to"].size() == 25);
    CHECK(eg[1]["to"].size() == 5);
    CHECK(s(eg[0]["action"]) == "Deny");
    CHECK(s(eg[1]["action"]) == "Deny");
    CHECK(s(eg[0]["name"]).size() <= 100);
    CHECK(s(eg[0]["name"]).ends_with(" (1/2)"));
    CHECK(s(eg[1]["name"]).ends_with(" (2/2)"));
  }
  SECTION("more than 25 CIDRs: networks entries of 25") {
    std::string cidrs;
    for (int i = 1; i <= 30; ++i) cidrs += (i > 1 ? ", " : "") + std::string("10.") + std::to_string(i) + ".0.0/16";
    auto l = lower("cluster {\n  all namespaces/all pods must not reach " + cidrs + "\n}\n", {{Tier::Admin, 1}});
    auto to = l.docs()[0]["spec"]["egress"][0]["to"];
    REQUIRE(to.size() == 2);
    CHECK(to[0]["networks"].size() == 25);
    CHECK(to[1]["networks"].size() == 5);
  }
  SECTION("more than 25 protocols: consecutive rules") {
    std::string ports;
    for (int i = 1; i <= 30; ++i) ports += (i > 1 ? ", " : "") + std::to_string(1000 + i);
    auto l = lower("cluster {\n  all namespaces/all pods may send to shop/api:{" + ports + "}\n}\n", {{Tier::Admin, 1}});
    auto eg = l.docs()[0]["spec"]["egress"];
    REQUIRE(eg.size() == 2);
    CHECK(eg[0]["protocols"].size() == 25);
    CHECK(eg[1]["protocols"].size() == 5);
  }
  SECTION("more than 25 rules of one action: several objects of the priority") {
    auto l = lower("cluster {\n" + many("  all namespaces/all pods must not reach 10.{}.0.0/16\n", 27) + "}\n", {{Tier::Admin, 1}});
    auto all = l.docs();
    REQUIRE(all.size() == 2);
    CHECK(all[0]["spec"]["egress"].size() == 25);
    CHECK(all[1]["spec"]["egress"].size() == 2);
    CHECK(s(all[1]["metadata"]["name"]) == "admin-1-all-namespaces-2");
    CHECK(all[1]["spec"]["priority"].as<int>() == 1);
  }
  SECTION("more than 25 rules of both actions: an error at the 26th") {
    auto l = lower("cluster {\n" + many("  all namespaces/all pods must not reach 10.{}.0.0/16\n", 25) +
                       "  all namespaces/all pods may send to 192.168.0.0/16\n}\n",
                   {{Tier::Admin, 1}});
    CHECK(l.count("E1108") == 1);
    CHECK(l.diagnostics().find("test.fence:27:3") != std::string::npos);
  }
}

TEST_CASE("long rule names are cut to the API's 100 characters", "[lower][cnp]") {
  std::string long_sel = "shop/pods[" + std::string(60, 'a') + "=x, " + std::string(60, 'b') + "=y]";
  auto l = lower("cluster {\n  all namespaces/all pods must not reach " + long_sel + "\n}\n", {{Tier::Admin, 1}});
  auto name = s(l.docs()[0]["spec"]["egress"][0]["name"]);
  CHECK(name.size() == 100);
  CHECK(name.ends_with("..."));
}

TEST_CASE("the output, read by the reference evaluator: admin, then NetworkPolicy, then baseline", "[lower][cnp][np_eval]") {
  auto l = lower(
      "namespace shop {\n  web may reach db:5432\n}\n"
      "cluster {\n"
      "  all namespaces/all pods must not reach 169.254.169.254/32\n"
      "  all namespaces/all pods may send to kube-system/pods[k8s-app=kube-dns]:53/udp\n"
      "}\n"
      "cluster {\n"
      "  all namespaces/all pods must not be reached by all namespaces\n"
      "}\n",
      {{Tier::Admin, 10}, {Tier::Baseline, 50}});
  INFO(l.diagnostics());
  REQUIRE(l.ok);
  npeval::Cluster c;
  c.add_namespace("shop", {});
  c.add_namespace("kube-system", {});
  auto pod = [&](const std::string& ns, const std::string& name, npeval::Labels labels, const std::string& ip) {
    npeval::Pod p;
    p.ns = ns;
    p.name = name;
    p.labels = std::move(labels);
    p.ip = ip;
    c.pods.push_back(p);
  };
  pod("shop", "web", {{"app", "web"}}, "10.1.0.1");
  pod("shop", "db", {{"app", "db"}}, "10.1.0.2");
  pod("kube-system", "dns", {{"k8s-app", "kube-dns"}}, "10.1.0.3");
  npeval::Evaluator e(c, npeval::parse_objects(l.yaml()));
  auto at = [&](const std::string& s) { return s.find('/') != std::string::npos ? npeval::Endpoint::of(c.pod(s)) : npeval::Endpoint::external(s); };
  auto ok = [&](const std::string& a, const std::string& b, int port, const std::string& proto = "TCP") { return e.allowed(at(a), at(b), port, proto); };
  // Egress: the admin tier first (its accept and deny), then web's NetworkPolicy.
  CHECK_FALSE(e.egress_allowed(at("shop/web"), at("169.254.169.254"), 80, "TCP"));
  CHECK_FALSE(e.egress_allowed(at("shop/db"), at("169.254.169.254"), 80, "TCP"));
  CHECK(e.egress_allowed(at("shop/web"), at("kube-system/dns"), 53, "UDP"));  // accepted above web's NetworkPolicy
  CHECK(e.egress_allowed(at("shop/web"), at("shop/db"), 5432, "TCP"));
  CHECK_FALSE(e.egress_allowed(at("shop/web"), at("8.8.8.8"), 443, "TCP"));  // web's NetworkPolicy isolates it
  CHECK(ok("shop/db", "8.8.8.8", 443));                                       // nothing isolates db's egress
  // Ingress: no NetworkPolicy isolates db or dns, so the baseline's deny decides.
  CHECK_FALSE(e.ingress_allowed(at("shop/web"), at("shop/db"), 5432, "TCP"));
  CHECK_FALSE(ok("shop/web", "kube-system/dns", 53, "UDP"));
  CHECK(ok("8.8.8.8", "shop/db", 5432));  // not a pod: the baseline's peer does not match it
}

// A property test of the tier lowering: random tier blocks, lowered for cnp and for calico, read back
// by the reference evaluators (np_eval, calico_eval; neither shares code with the compiler),
// against the tiers' meaning evaluated on the IR directly (first match within a block, blocks by priority, admin before baseline, pass to the
// next tier, default allow), for every pair of a model cluster on a few ports.
namespace {

struct Model {
  npeval::Cluster c;
  std::vector<npeval::Endpoint> ends;
};

Model model_cluster() {
  Model m;
  m.c.add_namespace("a", {{"team", "x"}});
  m.c.add_namespace("b", {});
  m.c.add_namespace("c", {{"team", "x"}});
  int n = 1;
  auto pod = [&](const std::string& ns, const std::string& name, npeval::Labels labels, std::vector<npeval::ContainerPort> ports = {}) {
    npeval::Pod p;
    p.ns = ns;
    p.name = name;
    p.labels = std::move(labels);
    p.ip = "10.1.0." + std::to_string(n++);
    p.ports = std::move(ports);
    m.c.pods.push_back(p);
  };
  pod("a", "web", {{"app", "web"}}, {{"http", 80, "TCP"}});
  pod("a", "db", {{"app", "db"}});
  pod("b", "web", {{"app", "web"}}, {{"http", 8080, "TCP"}});
  pod("c", "web", {{"app", "web"}});
  pod("c", "api", {{"app", "api"}}, {{"http", 80, "TCP"}});
  for (const auto& p : m.c.pods) m.ends.push_back(npeval::Endpoint::of(p));
  for (const char* ip : {"10.2.0.1", "10.200.0.1", "8.8.8.8"}) m.ends.push_back(npeval::Endpoint::external(ip));
  return m;
}

std::map<std::string, std::string> ns_labels(const npeval::Cluster& c, const std::string& ns) {
  return c.ns(ns).labels;
}

bool ir_endpoint_matches(const fence::ir::Endpoint& e, const npeval::Cluster& c, const npeval::Pod& p) {
  using K = fence::ir::NamespaceSel::Kind;
  if (e.ns.kind == K::Named && e.ns.name != p.ns) return false;
  if (e.ns.kind == K::Selector && !e.ns.selector.matches(ns_labels(c, p.ns))) return false;
  return e.pods.matches(p.labels);
}

bool ir_peer_matches(const fence::ir::Peer& peer, const npeval::Cluster& c, const npeval::Endpoint& ep) {
  switch (peer.kind) {
    case fence::ir::Peer::Kind::Any:
      return true;
    case fence::ir::Peer::Kind::Endpoint:
      return ep.pod != nullptr && ir_endpoint_matches(peer.endpoint, c, *ep.pod);
    case fence::ir::Peer::Kind::Cidr:
      return fence::ir::peer_addresses(peer).contains(*fence::net::parse_cidr(ep.ip + "/32").cidr);
    default:
      break;
  }
  FAIL("a peer the model does not know");
  return false;
}

bool ir_port_matches(const std::vector<fence::net::Port>& ports, const npeval::Endpoint& dst, int port, const std::string& proto) {
  if (ports.empty()) return true;
  for (const auto& p : ports) {
    if (std::string(fence::net::protocol_name(p.protocol)) != proto) continue;
    switch (p.kind) {
      case fence::net::Port::Kind::All:
        return true;
      case fence::net::Port::Kind::Number:
      case fence::net::Port::Kind::Range:
        if (port >= p.first && port <= p.last) return true;
        break;
      case fence::net::Port::Kind::Named:
        if (dst.pod != nullptr) {
          for (const auto& cp : dst.pod->ports) {
            if (cp.name == p.name && cp.number == port && cp.protocol == proto) return true;
          }
        }
        break;
    }
  }
  return false;
}

// The tiers' meaning at one end, on the IR: no namespace blocks, so admin, baseline, allow.
bool ir_side(const fence::ir::Program& prog, const npeval::Cluster& c, bool egress, const npeval::Pod& subject, const npeval::Endpoint& peer,
             const npeval::Endpoint& dst, int port, const std::string& proto) {
  for (auto tier : {Tier::Admin, Tier::Baseline}) {
    std::vector<std::size_t> blocks;
    for (std::size_t i = 0; i < prog.tier_blocks.size(); ++i) {
      if (prog.tier_blocks[i].tier == tier) blocks.push_back(i);
    }
    std::sort(blocks.begin(), blocks.end(), [&](std::size_t x, std::size_t y) { return prog.tier_blocks[x].priority < prog.tier_blocks[y].priority; });
    bool passed = false;
    for (auto b : blocks) {
      for (const auto& r : prog.rules) {
        if (r.tier_block != static_cast<int>(b) || (r.direction == fence::ir::Direction::Egress) != egress) continue;
        if (!ir_endpoint_matches(r.subject, c, subject)) continue;
        bool peer_ok = std::any_of(r.peers.begin(), r.peers.end(), [&](const fence::ir::Peer& p) { return ir_peer_matches(p, c, peer); });
        if (!peer_ok || !ir_port_matches(r.ports, dst, port, proto)) continue;
        if (r.action == Action::Allow) return true;
        if (r.action == Action::Deny) return false;
        passed = true;
        break;
      }
      if (passed) break;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("property: tier blocks lowered (cnp and calico) and read back by the reference evaluators mean what the IR means", "[lower][cnp][np_eval][property]") {
  auto m = model_cluster();
  std::mt19937 rng(11);
  auto pick = [&](const std::vector<std::string>& v) { return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)]; };
  const std::vector<std::string> disjoint = {"a/all pods", "b/all pods", "c/pods[app=web]", "c/pods[app=api]"};
  const std::vector<std::string> overlapping = {"all namespaces/all pods", "ns[team=x]", "all namespaces/pods[app=web]", "a/all pods", "c/pods[app=api]",
                                                "ns[team=x]/pods[app!=db]"};
  const std::vector<std::string> pods = {"a/all pods", "b/pods[app=web]", "ns[team=x]", "all namespaces", "c/api", "all namespaces/pods[app=web]"};
  const std::vector<std::string> addresses = {"10.0.0.0/8 except 10.1.0.0/24", "10.1.0.0/24", "10.1.0.2/32", "0.0.0.0/0 except 10.0.0.0/8", "anything"};
  const std::vector<std::string> ports = {"", ":80", ":{80, 53/udp}", ":8000-8999", ":*/udp", ":http"};
  int programs = 0, passes = 0, checked = 0;
  for (int round = 0; round < 150; ++round) {
    std::string text;
    std::vector<Block> blocks;
    int nblocks = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int b = 0; b < nblocks; ++b) {
      int mode = std::uniform_int_distribution<int>(0, 2)(rng);
      bool one_subject = mode == 0;
      text += "cluster {\n";
      int nst = std::uniform_int_distribution<int>(1, 6)(rng);
      for (int s = 0; s < nst; ++s) {
        std::string subject = one_subject ? "all namespaces/all pods" : mode == 1 ? pick(disjoint) : pick(overlapping);
        bool egress = std::uniform_int_distribution<int>(0, 2)(rng) > 0;
        bool deny = std::uniform_int_distribution<int>(0, 1)(rng) == 0;
        std::string peer, port;
        if (egress && std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
          peer = pick(addresses);
          port = pick(ports);
          if (port == ":http" || peer.find("except") != std::string::npos || peer == "anything") port = "";
        } else {
          peer = pick(pods);
          port = pick(ports);
        }
        std::string verb = egress ? (deny ? "must not reach" : "may send to") : (deny ? "must not be reached by" : "may receive from");
        text += "  " + subject + " " + verb + " " + peer + port + "\n";
      }
      text += "}\n";
      blocks.push_back({std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? Tier::Admin : Tier::Baseline, b * 10 + 5});
    }
    std::uint32_t pass_seed = static_cast<std::uint32_t>(rng());
    fence::ir::Program seen;
    auto l = lower(text, blocks, Channel::Standard, [&](fence::ir::Program& p) {
      std::mt19937 r2(pass_seed);
      for (auto& rule : p.rules) {
        if (std::uniform_int_distribution<int>(0, 3)(r2) == 0) {
          rule.action = Action::Pass;
          ++passes;
        }
      }
      seen = p;
    });
    INFO(text);
    INFO(l.diagnostics());
    REQUIRE(l.ok);
    ++programs;
    npeval::Evaluator e(m.c, npeval::parse_objects(l.yaml()));
    // The same tiers written by --target calico, read by the Calico reference evaluator.
    fence::DiagnosticSink calico_sink;
    auto calico = fence::emit::to_yaml_stream(fence::lower::calico::lower(seen, l.c->sources(), fence::lower::calico::Options{}, calico_sink));
    INFO(fence::render_all(calico_sink, l.c->sources()));
    REQUIRE_FALSE(calico_sink.has_errors());
    calicoeval::Evaluator ce(m.c, calicoeval::parse(calico));
    INFO(calico);
    for (const auto& src : m.ends) {
      for (const auto& dst : m.ends) {
        if (src.pod == nullptr && dst.pod == nullptr) continue;
        for (auto [port, proto] : std::vector<std::pair<int, std::string>>{{80, "TCP"}, {53, "UDP"}, {8080, "TCP"}, {8500, "TCP"}}) {
          INFO(src.str() << " -> " << dst.str() << " " << port << "/" << proto);
          if (src.pod != nullptr) {
            bool want = ir_side(seen, m.c, true, *src.pod, dst, dst, port, proto);
            CHECK(e.egress_allowed(src, dst, port, proto) == want);
            CHECK(ce.egress_allowed(src, dst, port, proto) == want);
          }
          if (dst.pod != nullptr) {
            bool want = ir_side(seen, m.c, false, *dst.pod, src, dst, port, proto);
            CHECK(e.ingress_allowed(src, dst, port, proto) == want);
            CHECK(ce.ingress_allowed(src, dst, port, proto) == want);
          }
          ++checked;
        }
      }
    }
  }
  CHECK(programs == 150);
  CHECK(passes > 50);
  CHECK(checked > 10000);
}
