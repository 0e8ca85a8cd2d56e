// The reference NetworkPolicy evaluator (tests/netpol/np_eval.*) against the truth tables of the
// upstream Kubernetes e2e suite, test/e2e/network/netpol/network_policy.go (kubernetes/kubernetes):
// namespaces x, y, z; pods a, b, c in each, labelled pod=<name>; every pod serving TCP, UDP and
// SCTP on ports 80 and 81 through container ports named serve-<port>-<protocol>. Each case below
// rebuilds one upstream test's policies as YAML and its expected reachability (upstream's
// NewReachability / Expect / ExpectPeer / ExpectAllIngress / ExpectAllEgress), and ignores
// loopback as upstream does (ignoreLoopback = true).
#include <catch2/catch.hpp>

#include <sstream>

#include "../netpol/np_eval.h"

using namespace npeval;

namespace {

Cluster model() {
  Cluster c;
  int n = 0;
  for (const char* ns : {"x", "y", "z"}) {
    c.add_namespace(ns, {{"ns", ns}});
    int m = 0;
    for (const char* pod : {"a", "b", "c"}) {
      Pod p;
      p.ns = ns;
      p.name = pod;
      p.labels = {{"pod", pod}};
      p.ip = "10.0." + std::to_string(n) + "." + std::to_string(10 + m++);
      for (int port : {80, 81}) {
        for (const char* proto : {"TCP", "UDP", "SCTP"}) {
          std::string lower = proto;
          for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          p.ports.push_back({"serve-" + std::to_string(port) + "-" + lower, port, proto});
        }
      }
      c.pods.push_back(p);
    }
    ++n;
  }
  return c;
}

// Upstream's Reachability: a matrix of expected connectivity between every pair of pods.
class Reachability {
 public:
  Reachability(const Cluster& c, bool initial) {
    for (const auto& p : c.pods) pods_.push_back(p.ns + "/" + p.name);
    for (const auto& from : pods_) {
      for (const auto& to : pods_) expected_[{from, to}] = initial;
    }
  }
  void expect(const std::string& from, const std::string& to, bool v) { expected_.at({from, to}) = v; }
  // Peers with an empty namespace or pod match every namespace or pod.
  void expect_peer(const std::string& from_ns, const std::string& from_pod, const std::string& to_ns, const std::string& to_pod, bool v) {
    for (auto& [key, value] : expected_) {
      if (matches(key.first, from_ns, from_pod) && matches(key.second, to_ns, to_pod)) value = v;
    }
  }
  void expect_all_ingress(const std::string& to, bool v) {
    for (const auto& from : pods_) expect(from, to, v);
  }
  void expect_all_egress(const std::string& from, bool v) {
    for (const auto& to : pods_) expect(from, to, v);
  }

  // The pairs where the evaluator disagrees, as a truth table for the failure message.
  std::string check(const Cluster& c, const std::vector<Policy>& policies, int port, const std::string& protocol) const {
    Evaluator ev(c, policies);
    std::ostringstream out;
    bool wrong = false;
    out << "port " << port << "/" << protocol << " (rows: from, columns: to; X marks a wrong answer)\n     ";
    for (const auto& to : pods_) out << to << " ";
    out << "\n";
    for (const auto& from : pods_) {
      out << from << "  ";
      for (const auto& to : pods_) {
        bool got = ev.allowed(Endpoint::of(c.pod(from)), Endpoint::of(c.pod(to)), port, protocol);
        bool bad = from != to && got != expected_.at({from, to});
        wrong = wrong || bad;
        out << (from == to ? "  - " : bad ? "  X " : got ? "  . " : "  # ");
      }
      out << "\n";
    }
    return wrong ? out.str() : std::string();
  }

 private:
  static bool matches(const std::string& pod, const std::string& ns, const std::string& name) {
    auto slash = pod.find('/');
    return (ns.empty() || pod.substr(0, slash) == ns) && (name.empty() || pod.substr(slash + 1) == name);
  }
  std::vector<std::string> pods_;
  std::map<std::pair<std::string, std::string>, bool> expected_;
};

void verify(const Cluster& c, const std::string& yaml, const Reachability& r, int port, const std::string& protocol = "TCP") {
  auto policies = parse_policies(yaml);
  auto failures = r.check(c, policies, port, protocol);
  INFO(failures);
  CHECK(failures.empty());
}

// A policy in namespace `ns` selecting `selector`, with the given spec body after podSelector.
std::string policy(const std::string& name, const std::string& ns, const std::string& pod_selector, const std::string& rest) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  podSelector: " + pod_selector + "\n" + rest;
}

const std::string kPodA = "{matchLabels: {pod: a}}";

}  // namespace

TEST_CASE("e2e: default-deny-ingress", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("", "", "x", "", false);
  verify(c, policy("deny-ingress", "x", "{}", "  policyTypes: [Ingress]\n"), r, 80);
  verify(c, policy("deny-ingress", "x", "{}", "  policyTypes: [Ingress]\n"), r, 80, "UDP");
  verify(c, policy("deny-ingress", "x", "{}", "  policyTypes: [Ingress]\n"), r, 80, "SCTP");
}

TEST_CASE("e2e: default-deny-all", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("", "", "x", "", false);
  r.expect_peer("x", "", "", "", false);
  verify(c, policy("deny-all", "x", "{}", "  policyTypes: [Ingress, Egress]\n"), r, 80);
}

TEST_CASE("e2e: allow traffic from pods within server namespace based on PodSelector", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_ingress("x/a", false);
  r.expect("x/b", "x/a", true);
  verify(c, policy("x-a-allows-x-b", "x", kPodA, "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: b}}\n"), r, 80);
  // The same with matchExpressions.
  verify(
      c,
      policy("x-a-allows-x-b", "x", kPodA, "  ingress:\n  - from:\n    - podSelector: {matchExpressions: [{key: pod, operator: In, values: [b]}]}\n"),
      r, 80);
}

TEST_CASE("e2e: allow ingress traffic for a target", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_ingress("x/a", true);
  r.expect_all_ingress("x/b", false);
  r.expect_all_ingress("x/c", false);
  verify(c,
         policy("deny-all", "x", "{}", "  policyTypes: [Ingress]\n") +
             policy("allow-all-to-a", "x", kPodA, "  ingress:\n  - from:\n    - podSelector: {}\n      namespaceSelector: {}\n"),
         r, 80);
}

TEST_CASE("e2e: allow ingress traffic from pods in all namespaces", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  verify(c, policy("allow-from-another-ns", "x", kPodA, "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {}}\n"), r, 80);
}

TEST_CASE("e2e: allow traffic only from a different namespace, based on NamespaceSelector", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("x", "", "x", "a", false);
  r.expect_peer("z", "", "x", "a", false);
  verify(c,
         policy("allow-client-a-via-ns-selector", "x", kPodA,
                "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n"),
         r, 80);
  // With matchExpressions, and with the namespace's own label.
  verify(c,
         policy("allow-ns-y-match-selector", "x", kPodA,
                "  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: "
                "[y]}]}\n"),
         r, 80);
  verify(c, policy("allow-ns-y", "x", kPodA, "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns: y}}\n"), r, 80);
}

TEST_CASE("e2e: PodSelector or NamespaceSelector (two peers)", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect("x/a", "x/a", false);
  r.expect("x/c", "x/a", false);
  verify(c,
         policy("allow-ns-y-match-selector", "x", kPodA,
                "  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: "
                "[x]}]}\n    - podSelector: {matchLabels: {pod: b}}\n"),
         r, 80);
}

TEST_CASE("e2e: PodSelector and NamespaceSelector (one peer)", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_ingress("x/a", false);
  r.expect("y/b", "x/a", true);
  r.expect("z/b", "x/a", true);
  verify(c,
         policy("allow-ns-y-podselector-and-nsselector", "x", kPodA,
                "  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: "
                "[x]}]}\n      podSelector: {matchLabels: {pod: b}}\n"),
         r, 80);
}

TEST_CASE("e2e: multiple PodSelectors and NamespaceSelectors", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("x", "", "x", "a", false);
  r.expect("y/a", "x/a", false);
  r.expect("z/a", "x/a", false);  // upstream's topology has no z pods here; z/a matches neither selector
  verify(c,
         policy("allow-ns-y-z-pod-b-c", "x", kPodA,
                "  ingress:\n  - from:\n    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: "
                "[x]}]}\n      podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}\n"),
         r, 80);
}

TEST_CASE("e2e: any of several PodSelectors", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_ingress("x/a", false);
  r.expect("x/b", "x/a", true);
  r.expect("x/c", "x/a", true);
  verify(c,
         policy("allow-ns-x-pod-b-c", "x", kPodA,
                "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: b}}\n    - podSelector: {matchLabels: {pod: c}}\n"),
         r, 80);
}

TEST_CASE("e2e: a pod in a different namespace by PodSelector and NamespaceSelector", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_ingress("x/a", false);
  r.expect("y/a", "x/a", true);
  auto yaml = policy("allow-ns-y-pod-a", "x", kPodA,
                     "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n      podSelector: "
                     "{matchLabels: {pod: a}}\n");
  verify(c, yaml, r, 80);
  verify(c, yaml, r, 80, "UDP");
  verify(c, yaml, r, 80, "SCTP");
}

TEST_CASE("e2e: ports, and multiple stacked policies", "[np_eval][e2e]") {
  auto c = model();
  auto port81 = policy("allow-client-a-via-ns-selector", "x", kPodA,
                       "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n    ports:\n    - port: 81\n"
                       "      protocol: TCP\n");
  Reachability allow(c, true);
  allow.expect_peer("x", "", "x", "a", false);
  allow.expect_peer("y", "", "x", "a", true);
  allow.expect_peer("z", "", "x", "a", false);
  verify(c, port81, allow, 81);
  Reachability deny(c, true);
  deny.expect_all_ingress("x/a", false);
  verify(c, port81, deny, 80);
  auto port80 = policy("allow-client-a-via-ns-selector-80", "x", kPodA,
                       "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n    ports:\n    - port: 80\n"
                       "      protocol: TCP\n");
  verify(c, port81 + port80, allow, 80);
  verify(c, port81, deny, 81, "UDP");
}

TEST_CASE("e2e: allow-all policy", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  auto yaml = policy("allow-all", "x", "{}", "  ingress:\n  - {}\n");
  verify(c, yaml, r, 80);
  verify(c, yaml, r, 81);
}

TEST_CASE("e2e: ingress on one named port", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-all", "x", "{}", "  ingress:\n  - ports:\n    - port: serve-81-tcp\n");
  Reachability open(c, true);
  verify(c, yaml, open, 81);
  Reachability closed(c, true);
  closed.expect_peer("", "", "x", "", false);
  verify(c, yaml, closed, 80);
  // The name belongs to TCP: UDP 81 is a different container port.
  verify(c, yaml, closed, 81, "UDP");
}

TEST_CASE("e2e: ingress from a namespace on one named port", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-client-a-via-ns-selector-80", "x", kPodA,
                     "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n    ports:\n    - port: "
                     "serve-80-tcp\n      protocol: TCP\n");
  Reachability r(c, true);
  r.expect_peer("x", "", "x", "a", false);
  r.expect_peer("z", "", "x", "a", false);
  verify(c, yaml, r, 80);
  Reachability fail(c, true);
  fail.expect_all_ingress("x/a", false);
  verify(c, yaml, fail, 81);
}

TEST_CASE("e2e: egress on one named port", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-egress", "x", "{}", "  egress:\n  - ports:\n    - port: serve-80-tcp\n  policyTypes: [Egress]\n");
  Reachability r80(c, true);
  verify(c, yaml, r80, 80);
  Reachability r81(c, true);
  r81.expect_peer("x", "", "", "", false);
  verify(c, yaml, r81, 81);
}

TEST_CASE("e2e: an updated policy, from allow-all to deny-all", "[np_eval][e2e]") {
  auto c = model();
  Reachability open(c, true);
  verify(c, policy("allow-all-mutate-to-deny-all", "x", "{}", "  ingress:\n  - {}\n"), open, 81);
  Reachability closed(c, true);
  closed.expect_peer("", "", "x", "", false);
  verify(c, policy("allow-all-mutate-to-deny-all", "x", "{}", "  ingress: []\n"), closed, 81);
}

TEST_CASE("e2e: namespace and pod labels decide, as updated", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-client-a-via-ns-selector", "x", kPodA, "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns2: updated}}\n");
  Reachability before(c, true);
  before.expect_all_ingress("x/a", false);
  verify(c, yaml, before, 80);
  for (auto& n : c.namespaces) {
    if (n.name == "y") n.labels["ns2"] = "updated";
  }
  Reachability after(c, true);
  after.expect_all_ingress("x/a", false);
  after.expect_peer("y", "", "", "", true);
  verify(c, yaml, after, 80);

  auto c2 = model();
  auto pods =
      policy("allow-client-a-via-pod-selector", "x", kPodA, "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: b, pod2: updated}}\n");
  verify(c2, pods, before, 80);
  for (auto& p : c2.pods) {
    if (p.ns == "x" && p.name == "b") p.labels["pod2"] = "updated";
  }
  Reachability updated(c2, true);
  updated.expect_all_ingress("x/a", false);
  updated.expect("x/b", "x/a", true);
  verify(c2, pods, updated, 80);
}

TEST_CASE("e2e: deny ingress from pods on other namespaces", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("y", "", "x", "", false);
  r.expect_peer("z", "", "x", "", false);
  verify(c, policy("deny-empty-policy", "x", "{}", "  ingress:\n  - from:\n    - podSelector: {matchLabels: {}}\n"), r, 80);
}

TEST_CASE("e2e: deny ingress to a pod selected by its labels", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("deny-ingress-via-label-selector", "x", "{matchLabels: {target: isolated}}", "  policyTypes: [Ingress]\n");
  Reachability open(c, true);
  verify(c, yaml, open, 80);
  for (auto& p : c.pods) {
    if (p.ns == "x" && p.name == "a") p.labels["target"] = "isolated";
  }
  Reachability isolated(c, true);
  isolated.expect_all_ingress("x/a", false);
  verify(c, yaml, isolated, 80);
}

TEST_CASE("e2e: deny egress from a pod, and from a whole namespace", "[np_eval][e2e]") {
  auto c = model();
  Reachability pod(c, true);
  pod.expect_all_egress("x/a", false);
  verify(c, policy("deny-egress-pod-a", "x", kPodA, "  policyTypes: [Egress]\n"), pod, 80);
  Reachability ns(c, true);
  ns.expect_peer("x", "", "", "", false);
  verify(c, policy("deny-egress-ns-x", "x", "{}", "  policyTypes: [Egress]\n"), ns, 80);
}

TEST_CASE("e2e: Ingress and Egress specified together", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-client-a-via-pod-selector", "x", kPodA,
                     "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: b}}\n  egress:\n  - ports:\n    - port: 80\n  policyTypes: "
                     "[Egress, Ingress]\n");
  Reachability r80(c, true);
  r80.expect_all_ingress("x/a", false);
  r80.expect("x/b", "x/a", true);
  verify(c, yaml, r80, 80);
  Reachability r81(c, true);
  r81.expect_all_ingress("x/a", false);
  r81.expect_all_egress("x/a", false);
  r81.expect("x/b", "x/a", true);
  verify(c, yaml, r81, 81);
}

TEST_CASE("e2e: egress denied on the client side even where the server allows it", "[np_eval][e2e]") {
  auto c = model();
  auto ingress =
      "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}\n      podSelector: {matchLabels: "
      "{pod: a}}\n";
  auto yaml = policy("allow-to-ns-y-pod-a", "x", kPodA,
                     "  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n      podSelector: "
                     "{matchLabels: {pod: a}}\n  policyTypes: [Egress]\n") +
              policy("allow-from-xa-on-ya-match-selector", "y", kPodA, ingress) +
              policy("allow-from-xa-on-yb-match-selector", "y", "{matchLabels: {pod: b}}", ingress);
  Reachability r(c, true);
  r.expect_peer("x", "a", "", "", false);
  r.expect_peer("", "", "y", "a", false);
  r.expect_peer("x", "a", "y", "a", true);
  r.expect_peer("", "", "y", "b", false);
  verify(c, yaml, r, 80);
}

TEST_CASE("e2e: egress to a server in another namespace by PodSelector and NamespaceSelector", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_all_egress("x/a", false);
  r.expect("x/a", "y/a", true);
  verify(c,
         policy("allow-to-ns-y-pod-a", "x", kPodA,
                "  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}\n      podSelector: {matchLabels: "
                "{pod: a}}\n  policyTypes: [Egress]\n"),
         r, 80);
}

TEST_CASE("e2e: ingress allowing any port on one protocol", "[np_eval][e2e]") {
  auto c = model();
  auto yaml = policy("allow-ingress-by-proto", "x", kPodA, "  ingress:\n  - ports:\n    - protocol: TCP\n");
  Reachability tcp(c, true);
  verify(c, yaml, tcp, 80);
  Reachability udp(c, true);
  udp.expect_peer("", "", "x", "a", false);
  verify(c, yaml, udp, 80, "UDP");
}

TEST_CASE("e2e: an allow-all policy takes precedence over a narrower one", "[np_eval][e2e]") {
  auto c = model();
  auto only80 = policy("allow-ingress-port-80", "x", "{}", "  ingress:\n  - ports:\n    - port: 80\n");
  Reachability blocked(c, true);
  blocked.expect_peer("", "", "x", "", false);
  verify(c, only80, blocked, 81);
  Reachability open(c, true);
  verify(c, only80 + policy("allow-ingress", "x", "{}", "  ingress:\n  - {}\n"), open, 81);

  auto egress80 = policy("allow-egress-port-80", "x", "{}", "  egress:\n  - ports:\n    - port: 80\n  policyTypes: [Egress]\n");
  Reachability eblocked(c, true);
  eblocked.expect_peer("x", "", "", "", false);
  verify(c, egress80, eblocked, 81);
  verify(c, egress80 + policy("allow-egress", "x", "{}", "  egress:\n  - {}\n  policyTypes: [Egress]\n"), open, 81);
}

TEST_CASE("e2e: policies deleted: everything allowed again", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  verify(c, "", r, 80);
}

TEST_CASE("e2e: egress to a server in a CIDR block (a pod's IP)", "[np_eval][e2e][cidr]") {
  auto c = model();
  auto ip = c.pod("y/b").ip;
  Reachability r(c, true);
  r.expect_all_egress("x/a", false);
  r.expect("x/a", "y/b", true);
  verify(c,
         policy("allow-client-a-via-cidr-egress-rule", "x", kPodA,
                "  egress:\n  - to:\n    - ipBlock: {cidr: " + ip + "/32}\n  policyTypes: [Egress]\n"),
         r, 80);
}

TEST_CASE("e2e: except clause, and an IP both in a CIDR's except and another CIDR", "[np_eval][e2e][cidr]") {
  auto c = model();
  auto ip = c.pod("x/b").ip;
  auto except = policy("allow-client-a-via-cidr-egress-rule", "x", kPodA,
                       "  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [" + ip + "/32]\n  policyTypes: [Egress]\n");
  Reachability r(c, true);
  r.expect("x/a", "x/b", false);
  verify(c, except, r, 80);
  // Upstream then replaces the policy with one that allows only x/b's /32.
  auto only = policy("allow-client-a-via-cidr-egress-rule", "x", kPodA,
                     "  egress:\n  - to:\n    - ipBlock: {cidr: " + ip + "/32}\n  policyTypes: [Egress]\n");
  Reachability allow(c, true);
  allow.expect_all_egress("x/a", false);
  allow.expect("x/a", "x/b", true);
  verify(c, only, allow, 80);
  // Both together: the /32 rule admits what the other's except leaves out.
  Reachability both(c, true);
  verify(c, except + only, both, 80);
}

TEST_CASE("e2e: ingress and egress policies are independent", "[np_eval][e2e]") {
  auto c = model();
  auto egress = policy("allow-egress-for-target", "x", kPodA, "  egress:\n  - {}\n  policyTypes: [Egress]\n");
  Reachability open(c, true);
  verify(c, egress, open, 80);
  Reachability r(c, true);
  r.expect_all_ingress("x/a", false);
  verify(c, egress + policy("deny-ingress-via-label-selector", "x", kPodA, "  policyTypes: [Ingress]\n"), r, 80);
}

TEST_CASE("e2e: protocol SCTP or UDP is never TCP", "[np_eval][e2e]") {
  auto c = model();
  Reachability denied(c, true);
  denied.expect_peer("", "", "x", "", false);
  verify(c,
         policy("deny-ingress", "x", "{}", "  policyTypes: [Ingress]\n") +
             policy("allow-only-sctp-ingress-on-port-81", "x", kPodA, "  ingress:\n  - ports:\n    - port: 81\n      protocol: SCTP\n"),
         denied, 81);
  Reachability isolated(c, true);
  isolated.expect_all_ingress("x/a", false);
  verify(c, policy("allow-only-sctp-ingress-on-port-80", "x", kPodA, "  ingress:\n  - ports:\n    - port: 80\n      protocol: SCTP\n"), isolated, 81);
  verify(c, policy("allow-only-udp-ingress-on-port-81", "x", kPodA, "  ingress:\n  - ports:\n    - port: 81\n      protocol: UDP\n"), isolated, 81);
}

TEST_CASE("e2e: NamespaceSelector with MatchExpressions on the default name label, for egress", "[np_eval][e2e]") {
  auto c = model();
  Reachability r(c, true);
  r.expect_peer("x", "a", "y", "", false);
  verify(c,
         policy("allow-ns-y-match-selector-for-immutable-ns-label", "x", kPodA,
                "  egress:\n  - to:\n    - namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: "
                "[y]}]}\n  policyTypes: [Egress]\n"),
         r, 80);
}

// ---- beyond the upstream suite: addresses outside the cluster, ranges, defaults ----

TEST_CASE("addresses outside the cluster: ipBlock with except, selectors never match them", "[np_eval]") {
  auto c = model();
  auto yaml = policy("egress", "x", kPodA,
                     "  egress:\n  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}\n  - to:\n    - namespaceSelector: {}\n"
                     "    ports:\n    - port: 53\n      protocol: UDP\n  policyTypes: [Egress]\n");
  Evaluator ev(c, parse_policies(yaml));
  auto a = Endpoint::of(c.pod("x/a"));
  CHECK(ev.allowed(a, Endpoint::external("203.0.113.7"), 443, "TCP"));
  CHECK_FALSE(ev.allowed(a, Endpoint::external("169.254.169.254"), 80, "TCP"));
  CHECK_FALSE(ev.allowed(a, Endpoint::external("2001:db8::1"), 443, "TCP"));
  // Ingress from outside: only ingress counts.
  auto in = policy("in", "y", "{}", "  ingress:\n  - from:\n    - ipBlock: {cidr: 2001:db8::/32}\n");
  Evaluator ev2(c, parse_policies(in));
  CHECK(ev2.allowed(Endpoint::external("2001:db8::5"), Endpoint::of(c.pod("y/c")), 80, "TCP"));
  CHECK_FALSE(ev2.allowed(Endpoint::external("192.0.2.1"), Endpoint::of(c.pod("y/c")), 80, "TCP"));
  // An all-namespaces selector does not admit outside addresses.
  auto all = policy("in", "y", "{}", "  ingress:\n  - from:\n    - namespaceSelector: {}\n");
  Evaluator ev3(c, parse_policies(all));
  CHECK_FALSE(ev3.allowed(Endpoint::external("192.0.2.1"), Endpoint::of(c.pod("y/c")), 80, "TCP"));
  CHECK(ev3.allowed(Endpoint::of(c.pod("z/c")), Endpoint::of(c.pod("y/c")), 80, "TCP"));
}

TEST_CASE("endPort ranges, and named ports that never match an address outside", "[np_eval]") {
  auto c = model();
  auto yaml = policy("egress", "x", kPodA,
                     "  egress:\n  - ports:\n    - port: 8000\n      endPort: 8010\n    - port: serve-81-tcp\n  policyTypes: [Egress]\n");
  Evaluator ev(c, parse_policies(yaml));
  auto a = Endpoint::of(c.pod("x/a"));
  CHECK(ev.allowed(a, Endpoint::external("192.0.2.1"), 8005, "TCP"));
  CHECK_FALSE(ev.allowed(a, Endpoint::external("192.0.2.1"), 8011, "TCP"));
  CHECK(ev.allowed(a, Endpoint::of(c.pod("y/b")), 81, "TCP"));
  CHECK_FALSE(ev.allowed(a, Endpoint::external("192.0.2.1"), 81, "TCP"));
}

TEST_CASE("policyTypes defaults: Ingress always, Egress when spec.egress is present", "[np_eval]") {
  auto c = model();
  auto yaml = policy("p", "x", kPodA, "  egress:\n  - ports:\n    - port: 80\n");
  Evaluator ev(c, parse_policies(yaml));
  auto a = Endpoint::of(c.pod("x/a")), b = Endpoint::of(c.pod("x/b"));
  CHECK_FALSE(ev.allowed(b, a, 80, "TCP"));  // isolated for ingress with no rules
  CHECK(ev.allowed(a, b, 80, "TCP"));
  CHECK_FALSE(ev.allowed(a, b, 81, "TCP"));
}

TEST_CASE("the evaluator refuses what it does not understand", "[np_eval]") {
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{}", "  ingres: []\n")), Error);
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{}", "  ingress:\n  - from:\n    - {}\n")), Error);
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{}", "  ingress:\n  - ports:\n    - port: http\n      endPort: 90\n")), Error);
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{}", "  ingress:\n  - ports:\n    - port: \"80\"\n")), Error);
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{}", "  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}\n")), Error);
  CHECK_THROWS_AS(parse_policies("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), Error);
  CHECK_THROWS_AS(parse_policies(policy("p", "x", "{matchExpressions: [{key: a, operator: Near, values: [b]}]}", "")), Error);
}
