// The Cilium target. Besides the shape of the output, one test per rule Cilium's agent enforces
// beyond its CRD schema (pkg/policy/api Validate/Sanitize): the lowering never writes what the
// agent would refuse, and says so at the source when a program asks for it.
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <set>

#include "helpers.h"
#include "net/cidr.h"

using fence::test::compile;

namespace {

fence::test::Compiled cilium(const std::string& text) {
  return compile(text, "cilium");
}

std::vector<YAML::Node> docs(const fence::test::Compiled& c) {
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  return YAML::LoadAll(c.yaml());
}

YAML::Node by_name(const std::vector<YAML::Node>& all, const std::string& name) {
  for (const auto& d : all) {
    if (d["metadata"]["name"].as<std::string>() == name) return d;
  }
  FAIL("no object named " << name);
  return {};
}

const char* const kPeerKeys[] = {"toEndpoints", "toCIDR",        "toCIDRSet", "toEntities",  "toFQDNs",
                                 "toServices",  "fromEndpoints", "fromCIDR",  "fromCIDRSet", "fromEntities"};

// Every rule of every section of every policy, for properties that must hold everywhere.
std::vector<YAML::Node> all_rules(const std::vector<YAML::Node>& all) {
  std::vector<YAML::Node> out;
  for (const auto& d : all) {
    for (const char* section : {"ingress", "ingressDeny", "egress", "egressDeny"}) {
      if (!d["spec"][section]) continue;
      for (const auto& r : d["spec"][section]) out.push_back(r);
    }
  }
  return out;
}

std::string first_key(const YAML::Node& rule) {
  for (const auto* k : kPeerKeys) {
    if (rule[k]) return k;
  }
  return {};
}

}  // namespace

TEST_CASE("cilium is a target, and `all` builds both", "[lower][cilium]") {
  const auto& t = fence::driver::targets();
  CHECK(std::find(t.begin(), t.end(), "k8s") != t.end());
  CHECK(std::find(t.begin(), t.end(), "cilium") != t.end());
}

TEST_CASE("one object per namespace and subject, carrying ingress, egress and denies", "[lower][cilium]") {
  auto all =
      docs(cilium("namespace p {\n web may reach db:5432\n web may be reached by 10.0.0.0/8:443\n web must not reach 169.254.169.254/32\n api may "
                  "reach db:5432\n}"));
  REQUIRE(all.size() == 2);
  auto web = by_name(all, "web");
  CHECK(web["apiVersion"].as<std::string>() == "cilium.io/v2");
  CHECK(web["kind"].as<std::string>() == "CiliumNetworkPolicy");
  CHECK(web["metadata"]["namespace"].as<std::string>() == "p");
  CHECK(web["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>() == "fence");
  CHECK(web["metadata"]["annotations"]["fence.dev/source"].as<std::string>() == "test.fence:2, test.fence:3, test.fence:4");
  CHECK(web["spec"]["endpointSelector"]["matchLabels"]["app"].as<std::string>() == "web");
  CHECK(web["spec"]["egress"].size() == 1);
  CHECK(web["spec"]["ingress"].size() == 1);
  CHECK(web["spec"]["egressDeny"].size() == 1);
  CHECK_FALSE(web["spec"]["enableDefaultDeny"]);  // it has allows both ways
  CHECK(by_name(all, "api")["spec"]["egress"][0]["toEndpoints"][0]["matchLabels"]["app"].as<std::string>() == "db");
}

TEST_CASE("agent rule: one peer kind per rule", "[lower][cilium][agent]") {
  auto all =
      docs(cilium("namespace p { web may reach db:443, 10.0.0.0/8:443, entity world:443, api.example.com:443, cache:443, 192.168.0.0/16:443 }"));
  auto eg = by_name(all, "web")["spec"]["egress"];
  // Endpoints, CIDRs, entities and names each get a rule (same-kind peers share theirs), then the DNS-proxy rule.
  REQUIRE(eg.size() == 5);
  CHECK(first_key(eg[0]) == "toEndpoints");
  CHECK(eg[0]["toEndpoints"].size() == 2);
  CHECK(first_key(eg[1]) == "toCIDRSet");
  CHECK(eg[1]["toCIDRSet"].size() == 2);
  CHECK(first_key(eg[2]) == "toEntities");
  CHECK(first_key(eg[3]) == "toFQDNs");
  for (const auto& r : all_rules(all)) {
    int kinds = 0;
    for (const auto* k : kPeerKeys) kinds += r[k] ? 1 : 0;
    CHECK(kinds <= 1);
  }
}

TEST_CASE("agent rule: at most 40 ports per toPorts entry", "[lower][cilium][agent]") {
  std::string ports;
  for (int p = 9000; p < 9045; ++p) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
  auto all = docs(cilium("namespace p { web may reach api:{" + ports + "} http GET \"/\" }"));
  auto tp = by_name(all, "web")["spec"]["egress"][0]["toPorts"];
  REQUIRE(tp.size() == 2);
  CHECK(tp[0]["ports"].size() == 40);
  CHECK(tp[1]["ports"].size() == 5);
  CHECK(tp[1]["ports"][4]["port"].as<std::string>() == "9044");
  // Every entry keeps the L7 rules: splitting must not widen what the first entry restricts.
  CHECK(tp[0]["rules"]["http"][0]["method"].as<std::string>() == "GET");
  CHECK(tp[1]["rules"]["http"][0]["method"].as<std::string>() == "GET");
}

TEST_CASE("agent rule: ports are strings, ranges use endPort, `any` is ANY", "[lower][cilium][agent]") {
  auto c = cilium("namespace p { web may reach db:{5432, 53/any, 8000-8999/sctp, http, */udp} }");
  auto ports = docs(c)[0]["spec"]["egress"][0]["toPorts"][0]["ports"];
  REQUIRE(ports.size() == 5);
  CHECK(ports[0]["port"].Tag() == "!");  // quoted in the YAML: a string, not an integer
  CHECK(ports[0]["port"].as<std::string>() == "5432");
  CHECK(ports[0]["protocol"].as<std::string>() == "TCP");
  CHECK(ports[1]["protocol"].as<std::string>() == "ANY");
  CHECK(ports[2]["port"].as<std::string>() == "8000");
  CHECK(ports[2]["endPort"].as<int>() == 8999);
  CHECK(ports[2]["protocol"].as<std::string>() == "SCTP");
  CHECK(ports[3]["port"].as<std::string>() == "http");
  CHECK(ports[4]["port"].as<std::string>() == "0");  // every UDP port
  CHECK(c.yaml().find("port: \"5432\"") != std::string::npos);
}

TEST_CASE("agent rule: HTTP rules only on TCP ports", "[lower][cilium][agent]") {
  auto ok =
      docs(cilium("namespace p { web may reach api:8080 http GET \"/v1/.*\", POST \"/v1/x\" host \"api\\\\.example\\\\.com\" header \"X-A: 1\" }"));
  auto rule = ok[0]["spec"]["egress"][0]["toPorts"][0];
  CHECK(rule["ports"][0]["protocol"].as<std::string>() == "TCP");
  auto http = rule["rules"]["http"];
  REQUIRE(http.size() == 2);
  CHECK(http[0]["path"].as<std::string>() == "/v1/.*");
  CHECK(http[1]["host"].as<std::string>() == "api\\.example\\.com");
  CHECK(http[1]["headers"][0].as<std::string>() == "X-A: 1");

  for (const char* port : {"8080/udp", "8080/sctp", "8080/any"}) {
    INFO(port);
    auto bad = cilium(std::string("namespace p { web may reach api:") + port + " http GET \"/\" }");
    CHECK_FALSE(bad.ok);
    CHECK(bad.has_code("E0501"));
    CHECK(bad.objects.empty());
  }
}

TEST_CASE("agent rule: no L7 rules on port 0 (every port)", "[lower][cilium][agent]") {
  auto bad = cilium("namespace p { web may reach api:* http GET \"/\" }");
  CHECK_FALSE(bad.ok);
  CHECK(bad.has_code("E0502"));
  CHECK(bad.diagnostics().find("every port") != std::string::npos);
}

TEST_CASE("agent rule: toFQDNs gets the DNS-proxy rule, on port 53 without ranges", "[lower][cilium][agent]") {
  auto all = docs(cilium("namespace p { web may reach api.stripe.com:443, *.stripe.com:443\n api may reach db:5432 }"));
  auto eg = by_name(all, "web")["spec"]["egress"];
  REQUIRE(eg.size() == 2);
  CHECK(eg[0]["toFQDNs"][0]["matchName"].as<std::string>() == "api.stripe.com");
  CHECK(eg[0]["toFQDNs"][1]["matchPattern"].as<std::string>() == "*.stripe.com");
  auto dns = eg[1];
  CHECK(dns["toEndpoints"][0]["matchLabels"]["k8s:io.kubernetes.pod.namespace"].as<std::string>() == "kube-system");
  CHECK(dns["toEndpoints"][0]["matchLabels"]["k8s-app"].as<std::string>() == "kube-dns");
  auto entry = dns["toPorts"][0];
  REQUIRE(entry["ports"].size() == 2);
  std::set<std::string> protocols;
  for (const auto& p : entry["ports"]) {
    CHECK(p["port"].as<std::string>() == "53");
    CHECK_FALSE(p["endPort"]);
    protocols.insert(p["protocol"].as<std::string>());
  }
  CHECK(protocols == std::set<std::string>{"TCP", "UDP"});
  auto names = entry["rules"]["dns"];
  REQUIRE(names.size() == 2);
  CHECK(names[0]["matchName"].as<std::string>() == "api.stripe.com");
  CHECK(names[1]["matchPattern"].as<std::string>() == "*.stripe.com");
  CHECK_FALSE(entry["rules"]["http"]);
  // Only the policy that names DNS destinations gets the rule.
  CHECK(by_name(all, "api")["spec"]["egress"].size() == 1);
}

TEST_CASE("agent rule: one L7 kind per port", "[lower][cilium][agent]") {
  // HTTP on TCP 53 for pods whose lookups go through the DNS proxy: refused, at the HTTP rule.
  auto clash = cilium("namespace p {\n web may reach api.example.com:443\n all pods may reach doh:53 http POST \"/dns-query\"\n}");
  CHECK_FALSE(clash.ok);
  CHECK(clash.has_code("E0506"));
  CHECK(clash.diagnostics().find("test.fence:3:") != std::string::npos);
  // Different pods, different ports: no clash.
  CHECK(cilium("namespace p {\n web may reach api.example.com:443\n api may reach doh:53 http POST \"/dns-query\"\n}").ok);
  CHECK(cilium("namespace p {\n web may reach api.example.com:443\n web may reach doh:5353 http POST \"/dns-query\"\n}").ok);
  // No toPorts entry ever carries two kinds.
  for (const auto& r : all_rules(docs(cilium("namespace p { web may reach api.example.com:443, api:8080 http GET \"/\" }")))) {
    if (!r["toPorts"]) continue;
    for (const auto& e : r["toPorts"]) {
      if (e["rules"]) CHECK(e["rules"].size() == 1);
    }
  }
}

TEST_CASE("agent rule: cross-namespace peers carry k8s:io.kubernetes.pod.namespace", "[lower][cilium][agent]") {
  auto all = docs(cilium("namespace p { web may reach db:5432, monitoring/prometheus:9090, all namespaces/pods[k8s-app=kube-dns]:53/udp }"));
  auto eg = by_name(all, "web")["spec"]["egress"];
  REQUIRE(eg.size() == 3);
  // Same namespace: Cilium adds the policy's own namespace.
  CHECK_FALSE(eg[0]["toEndpoints"][0]["matchLabels"]["k8s:io.kubernetes.pod.namespace"]);
  CHECK(eg[1]["toEndpoints"][0]["matchLabels"]["k8s:io.kubernetes.pod.namespace"].as<std::string>() == "monitoring");
  // Every namespace: an explicit Exists stops Cilium from adding the policy's namespace.
  auto any = eg[2]["toEndpoints"][0];
  CHECK(any["matchLabels"]["k8s-app"].as<std::string>() == "kube-dns");
  CHECK(any["matchExpressions"][0]["key"].as<std::string>() == "k8s:io.kubernetes.pod.namespace");
  CHECK(any["matchExpressions"][0]["operator"].as<std::string>() == "Exists");
  // The subject of a namespaced policy never names its namespace: Cilium would drop it.
  CHECK_FALSE(by_name(all, "web")["spec"]["endpointSelector"]["matchLabels"]["k8s:io.kubernetes.pod.namespace"]);
}

TEST_CASE("agent rule: namespace-label selectors use k8s:io.cilium.k8s.namespace.labels.KEY", "[lower][cilium][agent]") {
  auto all = docs(cilium("namespace p { web may reach ns[team=obs, env in (a, b)]/pods[app=prom]:9090, ns[!legacy]/all pods:80 }"));
  auto eg = by_name(all, "web")["spec"]["egress"];
  auto sel = eg[0]["toEndpoints"][0];
  CHECK(sel["matchLabels"]["app"].as<std::string>() == "prom");
  CHECK(sel["matchLabels"]["k8s:io.cilium.k8s.namespace.labels.team"].as<std::string>() == "obs");
  CHECK(sel["matchExpressions"][0]["key"].as<std::string>() == "k8s:io.cilium.k8s.namespace.labels.env");
  // Negative requirements only would match Cilium's reserved identities too: Exists keeps it to pods.
  auto neg = eg[1]["toEndpoints"][0]["matchExpressions"];
  REQUIRE(neg.size() == 2);
  CHECK(neg[0]["key"].as<std::string>() == "k8s:io.cilium.k8s.namespace.labels.legacy");
  CHECK(neg[0]["operator"].as<std::string>() == "DoesNotExist");
  CHECK(neg[1]["key"].as<std::string>() == "k8s:io.kubernetes.pod.namespace");
  CHECK(neg[1]["operator"].as<std::string>() == "Exists");
}

TEST_CASE("agent rule: label keys stay valid once Cilium prefixes their source", "[lower][cilium][agent]") {
  std::string key59(59, 'k'), key60(60, 'k');
  CHECK(cilium("namespace p { pods[" + key59 + "=x] may reach db:5432 }").ok);
  auto pod = cilium("namespace p { pods[" + key60 + "=x] may reach db:5432 }");
  CHECK(pod.has_code("E0507"));
  CHECK(compile("namespace p { pods[" + key60 + "=x] may reach db:5432 }", "k8s").ok);  // fine for NetworkPolicy
  CHECK(cilium("namespace p { web may reach ns[" + std::string(28, 'n') + "=x]/all pods:80 }").ok);
  CHECK(cilium("namespace p { web may reach ns[" + std::string(29, 'n') + "=x]/all pods:80 }").has_code("E0507"));
  CHECK(cilium("namespace p { web may reach ns[example.com/" + std::string(60, 'n') + "=x]/all pods:80 }").ok);
}

TEST_CASE("agent rule: CIDR excepts lie inside their CIDR", "[lower][cilium][agent]") {
  auto all = docs(cilium("import std\nnamespace p { web may reach internet:443, 10.0.0.0/8 except {10.1.0.0/16, 10.1.2.0/24, 10.2.0.0/16}:80 }"));
  int checked = 0;
  for (const auto& r : all_rules(all)) {
    if (!r["toCIDRSet"]) continue;
    for (const auto& c : r["toCIDRSet"]) {
      auto cidr = fence::net::parse_cidr(c["cidr"].as<std::string>()).cidr;
      REQUIRE(cidr);
      if (!c["except"]) continue;
      for (const auto& e : c["except"]) {
        auto ex = fence::net::parse_cidr(e.as<std::string>()).cidr;
        REQUIRE(ex);
        CHECK(cidr->strictly_contains(*ex));
        ++checked;
      }
    }
  }
  CHECK(checked >= 5);  // internet's v4 and v6 excepts, and 10.1.0.0/16 (which holds 10.1.2.0/24) and 10.2.0.0/16
}

TEST_CASE("default deny: an empty rule, in an object of its own", "[lower][cilium]") {
  auto all = docs(cilium("namespace p {\n default deny egress\n default deny ingress\n}\nnamespace q { default deny all }"));
  REQUIRE(all.size() == 3);
  auto egress = by_name(all, "default-deny-egress");
  CHECK(egress["spec"]["endpointSelector"].IsMap());
  CHECK(egress["spec"]["endpointSelector"].size() == 0);
  REQUIRE(egress["spec"]["egress"].size() == 1);
  CHECK(egress["spec"]["egress"][0].IsMap());
  CHECK(egress["spec"]["egress"][0].size() == 0);  // no peers: allows nothing
  CHECK_FALSE(egress["spec"]["ingress"]);
  CHECK(by_name(all, "default-deny-ingress")["spec"]["ingress"][0].size() == 0);
  auto both = by_name(all, "default-deny-all");
  CHECK(both["metadata"]["namespace"].as<std::string>() == "q");
  CHECK(both["spec"]["ingress"].size() == 1);
  CHECK(both["spec"]["egress"].size() == 1);
}

TEST_CASE("a deny alone does not isolate: enableDefaultDeny is off where a direction has only denies", "[lower][cilium]") {
  auto all =
      docs(cilium("namespace p {\n web must not reach 169.254.169.254/32\n web must not be reached by entity world\n"
                  " api must not reach 169.254.169.254/32\n api may reach db:5432\n}"));
  auto web = by_name(all, "web");
  CHECK(web["spec"]["enableDefaultDeny"]["egress"].as<bool>() == false);
  CHECK(web["spec"]["enableDefaultDeny"]["ingress"].as<bool>() == false);
  CHECK(web["spec"]["egressDeny"][0]["toCIDRSet"][0]["cidr"].as<std::string>() == "169.254.169.254/32");
  CHECK(web["spec"]["ingressDeny"][0]["fromEntities"][0].as<std::string>() == "world");
  // With an allow in the direction, the policy isolates as any allow does: Cilium's default.
  CHECK_FALSE(by_name(all, "api")["spec"]["enableDefaultDeny"]);
}

TEST_CASE("denies have no L7 rules and no DNS names; DNS names are never sources", "[lower][cilium]") {
  CHECK(cilium("namespace p { web must not reach api:8080 http GET \"/\" }").has_code("E0504"));
  CHECK(cilium("namespace p { web must not reach evil.example.com }").has_code("E0505"));
  CHECK(cilium("namespace p { web may be reached by crawler.example.com:443 }").has_code("E0503"));
  auto ok = docs(cilium("namespace p { web must not reach db:{5432, 6379}, entity world:25 }"));
  auto deny = ok[0]["spec"]["egressDeny"];
  REQUIRE(deny.size() == 2);
  CHECK(deny[0]["toPorts"][0]["ports"].size() == 2);
  CHECK_FALSE(deny[0]["toPorts"][0]["rules"]);
  CHECK(deny[1]["toEntities"][0].as<std::string>() == "world");
}

TEST_CASE("entities lower to toEntities and fromEntities", "[lower][cilium]") {
  auto all = docs(
      cilium("import std\nnamespace p { web may reach kube-apiserver:443, entity cluster\n web may be reached by entity remote-node, entity host }"));
  auto web = by_name(all, "web");
  auto eg = web["spec"]["egress"];
  REQUIRE(eg.size() == 2);  // different ports: two rules
  CHECK(eg[0]["toEntities"][0].as<std::string>() == "kube-apiserver");
  CHECK(eg[1]["toEntities"][0].as<std::string>() == "cluster");
  CHECK_FALSE(eg[1]["toPorts"]);
  auto in = web["spec"]["ingress"][0]["fromEntities"];
  REQUIRE(in.size() == 2);
  CHECK(in[0].as<std::string>() == "remote-node");
  CHECK(in[1].as<std::string>() == "host");
}

TEST_CASE("entities the CRD schema does not list are refused", "[lower][cilium]") {
  for (const char* e : {"world-ipv4", "world-ipv6"}) {
    INFO(e);
    auto c = cilium(std::string("namespace p { web may reach entity ") + e + ":443 }");
    CHECK(c.has_code("E0508"));
    CHECK(c.objects.empty());
  }
  CHECK(cilium("namespace p { web may reach entity unmanaged, entity init, entity none, entity all }").ok);
}

TEST_CASE("cluster blocks lower to CiliumClusterwideNetworkPolicy", "[lower][cilium]") {
  auto all =
      docs(cilium("cluster {\n default deny ingress\n all pods may be reached by entity health\n"
                  " kube-system/pods[k8s-app=kube-dns] may be reached by all namespaces/all pods:53/udp\n}"));
  REQUIRE(all.size() == 3);
  for (const auto& d : all) {
    CHECK(d["kind"].as<std::string>() == "CiliumClusterwideNetworkPolicy");
    CHECK_FALSE(d["metadata"]["namespace"]);
  }
  // "All pods" cluster-wide: pods of every namespace, not Cilium's own endpoints.
  auto deny = by_name(all, "default-deny-ingress")["spec"]["endpointSelector"]["matchExpressions"][0];
  CHECK(deny["key"].as<std::string>() == "k8s:io.kubernetes.pod.namespace");
  CHECK(deny["operator"].as<std::string>() == "Exists");
  auto dns = by_name(all, "kube-system-kube-dns");
  CHECK(dns["spec"]["endpointSelector"]["matchLabels"]["k8s:io.kubernetes.pod.namespace"].as<std::string>() == "kube-system");
  CHECK(dns["spec"]["ingress"][0]["fromEndpoints"][0]["matchExpressions"][0]["operator"].as<std::string>() == "Exists");
}

TEST_CASE("names collide only with a hash to tell them apart; output is deterministic", "[lower][cilium]") {
  auto text = "namespace p {\n default deny egress\n pods[app=default-deny-egress] may reach db:1\n pods[app=Web] may reach db:2\n}";
  auto a = cilium(text);
  auto b = cilium(text);
  REQUIRE(a.ok);
  CHECK(a.yaml() == b.yaml());
  std::set<std::string> names;
  for (const auto& d : docs(a)) CHECK(names.insert(d["metadata"]["name"].as<std::string>()).second);
  CHECK(names.count("default-deny-egress") == 1);
  CHECK(names.size() == 3);
}

TEST_CASE("implied rules open the other side under a default deny, L7 rules included", "[lower][cilium]") {
  auto all = docs(cilium("namespace p {\n default deny ingress\n web may reach api:8080 http GET \"/\"\n}"));
  auto in = by_name(all, "api")["spec"]["ingress"][0];
  CHECK(in["fromEndpoints"][0]["matchLabels"]["app"].as<std::string>() == "web");
  CHECK(in["toPorts"][0]["rules"]["http"][0]["method"].as<std::string>() == "GET");
}
