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
#include <sstream>

#include "emit/yaml.h"
#include "helpers.h"
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
      "  all namespaces/all pods must not receive from ns[tenant]\n"
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
      "  staging/all pods must not send to production/all pods\n"
      "  production/all pods must not send to all namespaces\n"
      "  staging/all pods may send to all namespaces\n"
      "}\n"
      "cluster {\n"
      "  all namespaces/pods[app=web] must not send to 10.0.0.0/8\n"
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
  CHECK(s(all[1]["spec"]["egress"][1]["to"][0]["namespaces"]) == "{}");
  CHECK(s(all[2]["spec"]["subject"]["pods"]["podSelector"]["matchLabels"]["app"]) == "web");
  CHECK(all[2]["spec"]["subject"]["pods"]["namespaceSelector"].size() == 0);
  golden(l, "subjects-and-pass");
}

TEST_CASE("overlapping subjects in one block are an error at the later subject", "[lower][cnp]") {
  auto l = lower(
      "cluster {\n"
      "  all namespaces/all pods must not send to 10.0.0.0/8\n"
      "  ns[team=payments] may send to 10.1.0.0/16\n"
      "}\n",
      {{Tier::Admin, 10}});
  CHECK(l.count("E1107") == 1);
  CHECK(l.objects.empty());
  CHECK(l.diagnostics().find("test.fence:3:3") != std::string::npos);
  // The same statements in blocks of their own are fine.
  auto ok = lower(
      "cluster {\n"
      "  ns[team=payments] may send to 10.1.0.0/16\n"
      "}\n"
      "cluster {\n"
      "  all namespaces/all pods must not send to 10.0.0.0/8\n"
      "}\n",
      {{Tier::Admin, 10}, {Tier::Admin, 11}});
  CHECK(ok.ok);
  CHECK(ok.objects.size() == 2);
  // Overlap in different directions only: each object holds one direction, no pod meets two.
  auto dirs = lower(
      "cluster {\n"
      "  all namespaces/all pods must not send to 10.0.0.0/8\n"
      "  ns[team=payments] may receive from ns[team=shop]\n"
      "}\n",
      {{Tier::Admin, 10}});
  CHECK(dirs.ok);
}

TEST_CASE("excepts become the CIDRs that cover the difference", "[lower][cnp]") {
  auto l = lower("cluster {\n  all namespaces/all pods may send to 10.0.0.0/8 except 10.0.0.0/9, 10.128.0.0/10\n}\n", {{Tier::Admin, 1}});
  auto d = l.docs()[0];
  auto nets = d["spec"]["egress"][0]["to"][0]["networks"];
  REQUIRE(nets.size() == 1);
  CHECK(s(nets[0]) == "10.192.0.0/10");
  CHECK_FALSE(d["spec"]["egress"][0]["to"][0]["except"]);
}

TEST_CASE("ingress from addresses or from anything is an error", "[lower][cnp]") {
  CHECK(lower("cluster {\n  all namespaces/all pods must not receive from 203.0.113.0/24\n}\n", {{Tier::Admin, 1}}).has_code("E1102"));
  CHECK(lower("cluster {\n  all namespaces/all pods must not receive from anything\n}\n", {{Tier::Admin, 1}}).has_code("E1102"));
  // Egress to anything: every namespace and every address.
  auto l = lower("cluster {\n  all namespaces/all pods must not send to anything\n}\n", {{Tier::Baseline, 1}});
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
  auto deny = lower("cluster {\n  all namespaces/all pods must not send to evil.example.com\n}\n", {{Tier::Admin, 1}}, Channel::Experimental);
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
    auto l = lower("cluster {\n  all namespaces/all pods must not send to " + peers + "\n}\n", {{Tier::Admin, 1}});
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
    auto l = lower("cluster {\n  all namespaces/all pods must not send to " + cidrs + "\n}\n", {{Tier::Admin, 1}});
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
    auto l = lower("cluster {\n" + many("  all namespaces/all pods must not send to 10.{}.0.0/16\n", 27) + "}\n", {{Tier::Admin, 1}});
    auto all = l.docs();
    REQUIRE(all.size() == 2);
    CHECK(all[0]["spec"]["egress"].size() == 25);
    CHECK(all[1]["spec"]["egress"].size() == 2);
    CHECK(s(all[1]["metadata"]["name"]) == "admin-1-all-namespaces-2");
    CHECK(all[1]["spec"]["priority"].as<int>() == 1);
  }
  SECTION("more than 25 rules of both actions: an error at the 26th") {
    auto l = lower("cluster {\n" + many("  all namespaces/all pods must not send to 10.{}.0.0/16\n", 25) +
                       "  all namespaces/all pods may send to 192.168.0.0/16\n}\n",
                   {{Tier::Admin, 1}});
    CHECK(l.count("E1108") == 1);
    CHECK(l.diagnostics().find("test.fence:27:3") != std::string::npos);
  }
}

TEST_CASE("long rule names are cut to the API's 100 characters", "[lower][cnp]") {
  std::string long_sel = "shop/pods[" + std::string(60, 'a') + "=x, " + std::string(60, 'b') + "=y]";
  auto l = lower("cluster {\n  all namespaces/all pods must not send to " + long_sel + "\n}\n", {{Tier::Admin, 1}});
  auto name = s(l.docs()[0]["spec"]["egress"][0]["name"]);
  CHECK(name.size() == 100);
  CHECK(name.ends_with("..."));
}
