// The reference evaluator's ClusterNetworkPolicy reading (tests/netpol/np_eval.*) on the
// network-policy-api project's user stories (tests/netpol/network-policy-api/), each with a model
// cluster and expectations written by hand from the story's text, alone and with the
// NetworkPolicies that show how the tiers stack.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "../netpol/np_eval.h"

using namespace npeval;

namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(FENCE_SOURCE_DIR) + "/tests/netpol/network-policy-api/" + name);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Namespaces sensitive-ns, monitoring-ns, kube-system, bar-ns-1, foo-ns (tenant=a), qux-ns
// (tenant=b); one or two pods in each.
Cluster model() {
  Cluster c;
  c.add_namespace("sensitive-ns", {});
  c.add_namespace("monitoring-ns", {});
  c.add_namespace("kube-system", {});
  c.add_namespace("bar-ns-1", {});
  c.add_namespace("foo-ns", {{"tenant", "a"}});
  c.add_namespace("qux-ns", {{"tenant", "b"}});
  int n = 10;
  auto pod = [&](const std::string& ns, const std::string& name, Labels labels, std::vector<ContainerPort> ports = {}) {
    Pod p;
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
  pod("bar-ns-1", "priv", {{"app", "svc-priv"}});
  pod("foo-ns", "web", {{"app", "web"}});
  pod("qux-ns", "api", {{"app", "api"}});
  c.node_ips = {"192.168.0.1"};
  return c;
}

Objects objects(const std::vector<std::string>& files, const std::string& extra = "") {
  std::string yaml;
  for (const auto& f : files) yaml += "---\n" + read(f) + "\n";
  if (!extra.empty()) yaml += "---\n" + extra;
  return parse_objects(yaml);
}

bool ok(const Evaluator& e, const Cluster& c, const std::string& from, const std::string& to, int port = 80, const std::string& proto = "TCP") {
  auto ep = [&](const std::string& s) { return s.find('/') != std::string::npos ? Endpoint::of(c.pod(s)) : Endpoint::external(s); };
  return e.allowed(ep(from), ep(to), port, proto);
}

const char* kFooDenyAll =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: foo-ns}\n"
    "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";

}  // namespace

TEST_CASE("np_eval reads the CRD's valid test objects and refuses the invalid one", "[np_eval][cnp]") {
  auto o = objects({"cluster-wide-deny.yaml", "deny-with-ports.yaml"});
  REQUIRE(o.cluster_policies.size() == 2);
  CHECK(o.cluster_policies[1].ingress[0].ports.size() == 6);
  CHECK(o.cluster_policies[1].ingress[0].ports[1].first == 8080);
  CHECK(o.cluster_policies[1].ingress[0].ports[1].last == 9090);
  CHECK_THROWS_AS(objects({"invalid-ingress-action.yaml"}), Error);
}

TEST_CASE("user story 1: deny ingress to a sensitive namespace from every namespace, above NetworkPolicy", "[np_eval][cnp]") {
  auto c = model();
  // The namespace's own policy allows everything in: the Admin tier decides first.
  std::string allow_all =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: allow-all, namespace: sensitive-ns}\n"
      "spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{}]}\n";
  Evaluator e(c, objects({"user-story-1.yaml"}, allow_all));
  CHECK_FALSE(ok(e, c, "foo-ns/web", "sensitive-ns/vault"));
  CHECK_FALSE(ok(e, c, "kube-system/dns", "sensitive-ns/vault"));
  CHECK_FALSE(ok(e, c, "sensitive-ns/vault", "sensitive-ns/vault"));  // its own namespace is among every namespace
  CHECK(ok(e, c, "203.0.113.9", "sensitive-ns/vault"));               // not a pod: the namespaces peer does not match
  CHECK(ok(e, c, "sensitive-ns/vault", "foo-ns/web"));                // egress is untouched
  CHECK(ok(e, c, "foo-ns/web", "qux-ns/api"));
}

TEST_CASE("user story 2: accept monitoring and DNS everywhere, whatever the namespaces say", "[np_eval][cnp]") {
  auto c = model();
  Evaluator e(c, objects({"user-story-2.yaml"}, kFooDenyAll));
  CHECK(ok(e, c, "monitoring-ns/prom", "foo-ns/web"));  // Admin Accept above foo-ns's deny-all
  CHECK_FALSE(ok(e, c, "qux-ns/api", "foo-ns/web"));    // the NetworkPolicy decides
  CHECK(ok(e, c, "foo-ns/web", "kube-system/dns", 53, "UDP"));
  CHECK_FALSE(ok(e, c, "foo-ns/web", "kube-system/other", 53, "UDP"));
  CHECK_FALSE(ok(e, c, "foo-ns/web", "203.0.113.9", 443));
  CHECK(ok(e, c, "qux-ns/api", "bar-ns-1/pub"));  // no policy isolates either end
}

TEST_CASE("user story 3: pass traffic to a public service to the namespaces' own policies", "[np_eval][cnp]") {
  auto c = model();
  // A lower-precedence Admin object denies all egress to bar-ns-1: the Pass skips it.
  std::string deny_bar =
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: deny-bar}\n"
      "spec: {tier: Admin, priority: 25, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {matchLabels: "
      "{kubernetes.io/metadata.name: bar-ns-1}}}]}]}\n";
  Evaluator e(c, objects({"user-story-3.yaml"}, deny_bar));
  CHECK(ok(e, c, "qux-ns/api", "bar-ns-1/pub", 8080));
  CHECK(ok(e, c, "qux-ns/api", "bar-ns-1/pub", 53, "UDP"));
  CHECK(ok(e, c, "qux-ns/api", "bar-ns-1/pub", 8081));         // the named port web-alt
  CHECK_FALSE(ok(e, c, "qux-ns/api", "bar-ns-1/pub", 9090));   // no pass: the deny below applies
  CHECK_FALSE(ok(e, c, "qux-ns/api", "bar-ns-1/priv", 8080));  // not the public service
  // Passed to NetworkPolicy, which denies in foo-ns.
  Evaluator with_np(c, objects({"user-story-3.yaml"}, deny_bar + "---\n" + kFooDenyAll));
  CHECK_FALSE(ok(with_np, c, "foo-ns/web", "bar-ns-1/pub", 8080));
  CHECK(ok(with_np, c, "qux-ns/api", "bar-ns-1/pub", 8080));
}

TEST_CASE("user story 5: a zero-trust baseline that namespaces' own policies override", "[np_eval][cnp]") {
  auto c = model();
  std::string allow_web =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: foo-ns}\n"
      "spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress], ingress: [{from: [{namespaceSelector: {matchLabels: "
      "{tenant: b}}}]}]}\n";
  Evaluator e(c, objects({"user-story-5.yaml"}, allow_web));
  CHECK_FALSE(ok(e, c, "qux-ns/api", "bar-ns-1/pub"));  // the baseline denies pod to pod
  CHECK(ok(e, c, "qux-ns/api", "foo-ns/web"));          // the NetworkPolicy isolates web and allows qux-ns
  CHECK_FALSE(ok(e, c, "bar-ns-1/pub", "foo-ns/web"));  // ... and nothing else: NetworkPolicy, not the baseline, decides
  CHECK(ok(e, c, "203.0.113.9", "qux-ns/api"));         // not a pod: the baseline's peer does not match
  CHECK(ok(e, c, "qux-ns/api", "203.0.113.9"));         // egress is untouched
}

TEST_CASE("np_eval: first match within an object, priorities across objects, networks, nodes and names", "[np_eval][cnp]") {
  auto c = model();
  std::string yaml =
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: a}\n"
      "spec:\n  tier: Admin\n  priority: 5\n  subject: {pods: {namespaceSelector: {matchLabels: {tenant: a}}, podSelector: {}}}\n"
      "  egress:\n"
      "  - {action: Accept, to: [{networks: [203.0.113.0/25]}]}\n"
      "  - {action: Deny, to: [{networks: [203.0.113.0/24]}]}\n"
      "  - {action: Accept, to: [{nodes: {}}]}\n"
      "  - {action: Accept, to: [{domainNames: ['*.example.com']}], protocols: [{tcp: {destinationPort: {number: 443}}}]}\n"
      "---\n"
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: b}\n"
      "spec: {tier: Admin, priority: 6, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}]}]}\n";
  Evaluator e(c, parse_objects(yaml));
  CHECK(ok(e, c, "foo-ns/web", "203.0.113.9"));
  CHECK_FALSE(ok(e, c, "foo-ns/web", "203.0.113.200"));
  CHECK(ok(e, c, "foo-ns/web", "192.168.0.1"));
  CHECK_FALSE(ok(e, c, "qux-ns/api", "192.168.0.1"));  // not tenant a: only object b applies
  CHECK_FALSE(ok(e, c, "foo-ns/web", "qux-ns/api"));   // networks match pod addresses too (object b)
  auto named = Endpoint::external("198.51.100.7");
  named.dns = "api.example.com";
  CHECK(e.allowed(Endpoint::of(c.pod("foo-ns/web")), named, 443, "TCP"));
  CHECK_FALSE(e.allowed(Endpoint::of(c.pod("foo-ns/web")), named, 80, "TCP"));
  named.dns = "example.com";  // `*.` needs a label before the name
  CHECK_FALSE(e.allowed(Endpoint::of(c.pod("foo-ns/web")), named, 443, "TCP"));
}

TEST_CASE("np_eval: objects of one priority that decide differently are an error", "[np_eval][cnp]") {
  auto c = model();
  std::string yaml =
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: a}\n"
      "spec: {tier: Baseline, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}]}]}\n"
      "---\n"
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: b}\n"
      "spec: {tier: Baseline, priority: 1, subject: {namespaces: {matchLabels: {tenant: a}}}, egress: [{action: Accept, to: [{namespaces: "
      "{}}]}]}\n";
  Evaluator e(c, parse_objects(yaml));
  CHECK_FALSE(ok(e, c, "qux-ns/api", "foo-ns/web"));  // only a applies
  CHECK_THROWS_AS(ok(e, c, "foo-ns/web", "qux-ns/api"), Error);
  // Rules the API refuses, refused.
  CHECK_THROWS_AS(parse_objects("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: x}\n"
                                "spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{networks: "
                                "[10.0.0.0/8]}]}]}\n"),
                  Error);
  CHECK_THROWS_AS(parse_objects("apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: x}\n"
                                "spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{domainNames: "
                                "[a.example.com]}]}]}\n"),
                  Error);
}
