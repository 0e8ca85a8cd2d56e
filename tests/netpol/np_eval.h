// A reference evaluator for Kubernetes NetworkPolicy (networking.k8s.io/v1), for the tests only.
//
// It reads NetworkPolicy YAML as kubectl would receive it and answers, for a model cluster
// (namespaces with labels; pods with labels, an IP and named container ports; addresses outside
// the cluster), whether one connection is allowed. It shares no code with the compiler: it is
// the independent reading that the compiler's output and `fence why` are checked against.
//
// Semantics, from the API reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort,
// IPBlock) and the upstream e2e suite (test/e2e/network/netpol):
//   - A policy selects pods of its own namespace by spec.podSelector. A pod is isolated for
//     ingress (egress) when some policy that selects it has Ingress (Egress) in policyTypes;
//     policyTypes defaults to Ingress, plus Egress when spec.egress has rules (the API server's
//     defaulting looks at len(spec.egress): `egress: []` adds nothing).
//   - An isolated direction allows what the union of the rules of the selecting policies allows;
//     a direction that is not isolated allows everything. A connection needs both the source's
//     egress and the destination's ingress (an address outside the cluster has neither).
//   - A rule with no peers (from/to missing or empty) matches every peer, pods and addresses; a
//     rule with no ports matches every port and protocol.
//   - Peer: podSelector alone selects pods of the policy's namespace; namespaceSelector alone
//     every pod of the namespaces it selects (by the namespace's labels, which always include
//     kubernetes.io/metadata.name); both in one peer: the pods that match both.
//   - ipBlock matches by IP address, and applies to pod IPs too. The API reference says ipBlock
//     is meant for cluster-external addresses and leaves pod IPs to implementations; the upstream
//     e2e suite ("should allow egress access to server in CIDR block", "should enforce except
//     clause ...") expects pod IPs to match, and so does this evaluator.
//   - Port: protocol defaults to TCP; a port with no number matches every port of the protocol;
//     endPort makes a range; a named port matches when the destination pod has a container port
//     of that name and protocol with the connection's port number (it never matches an address
//     outside the cluster).
//   - Label selectors: matchLabels and matchExpressions all hold; In/NotIn/Exists/DoesNotExist;
//     NotIn and DoesNotExist hold when the key is absent; an empty selector selects everything.
//   - Loopback (a pod to itself) is left to the caller: the upstream suite ignores it.
// Anything the evaluator does not understand is an error, never a silent guess.
//
// ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, network-policy-api v0.2.0), from the
// CRD's field documentation:
//   - At each end of a connection (egress at the source pod, ingress at the destination pod) the
//     Admin tier is evaluated first: the objects whose subject selects the pod, by priority (lower
//     first), each object's rules of that direction in order; the first rule whose peers and
//     protocols match decides. Accept allows, Deny refuses, Pass skips the rest of the tier.
//   - Then the NetworkPolicy tier, as above, when some NetworkPolicy isolates the pod in that
//     direction; then the Baseline tier, the same way as the Admin tier; then the default: allow.
//   - Objects of one priority apply in an undefined order: where two that select the pod decide
//     differently, the evaluator throws (a program whose meaning the API leaves open).
//   - Subject: `namespaces` (every pod of the namespaces it selects) or `pods` (namespaceSelector
//     and podSelector). Peers: `namespaces`, `pods` the same way; `networks` (CIDRs, which match pod
//     IPs too, as the field's documentation says); `nodes` (the model's node addresses);
//     `domainNames` (an endpoint's DNS name: exact, or `*.` matching one or more leading labels).
//   - Protocols: tcp/udp/sctp with destinationPort number or range; destinationNamedPort matches
//     the destination pod's container port of that name; no protocols: every port and protocol.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace npeval {

using Labels = std::map<std::string, std::string>;

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Ip {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};
  static Ip parse(const std::string& text);  // throws Error
  std::string str() const;
};

struct Cidr {
  Ip base;
  int prefix = 0;
  static Cidr parse(const std::string& text);  // throws Error
  bool contains(const Ip& ip) const;
};

struct ContainerPort {
  std::string name;
  int number = 0;
  std::string protocol = "TCP";
};

struct Namespace {
  std::string name;
  Labels labels;  // kubernetes.io/metadata.name is added by Cluster::add_namespace
};

struct Pod {
  std::string ns;
  std::string name;
  Labels labels;
  std::string ip;
  std::vector<ContainerPort> ports;
};

struct Cluster {
  std::vector<Namespace> namespaces;
  std::vector<Pod> pods;
  std::vector<std::string> node_ips;  // what a ClusterNetworkPolicy's `nodes` peer can match

  void add_namespace(const std::string& name, Labels labels);
  const Namespace& ns(const std::string& name) const;  // throws Error
  const Pod& pod(const std::string& ns_slash_name) const;
};

// One end of a connection: a pod, or an address outside the cluster.
struct Endpoint {
  const Pod* pod = nullptr;
  std::string ip;
  std::string dns;  // the name the source looked up, for `domainNames` peers; empty: none

  static Endpoint of(const Pod& p) { return {&p, p.ip, {}}; }
  static Endpoint external(std::string address) { return {nullptr, std::move(address), {}}; }
  std::string str() const { return pod != nullptr ? pod->ns + "/" + pod->name : ip; }
};

struct Selector {
  Labels match_labels;
  struct Expression {
    std::string key;
    std::string op;
    std::vector<std::string> values;
  };
  std::vector<Expression> expressions;

  bool matches(const Labels& labels) const;
};

struct IpBlock {
  Cidr cidr;
  std::vector<Cidr> except;
};

struct Peer {
  std::optional<Selector> pod_selector;
  std::optional<Selector> namespace_selector;
  std::optional<IpBlock> ip_block;
};

struct PortSpec {
  std::string protocol = "TCP";
  std::optional<int> number;
  std::optional<std::string> name;
  std::optional<int> end_port;
};

struct Rule {
  std::vector<Peer> peers;      // empty: every peer
  std::vector<PortSpec> ports;  // empty: every port
};

struct Policy {
  std::string name;
  std::string ns;
  Selector pod_selector;
  bool ingress_type = false;
  bool egress_type = false;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
};

// A ClusterNetworkPolicy.
struct ClusterPeer {
  enum class Kind { Namespaces, Pods, Networks, Nodes, DomainNames } kind = Kind::Namespaces;
  Selector namespace_selector;  // Namespaces, Pods
  Selector pod_selector;        // Pods
  Selector node_selector;       // Nodes: only the empty selector (every node) is evaluated
  std::vector<Cidr> networks;
  std::vector<std::string> domains;
};

struct ClusterPort {
  std::string protocol;  // TCP, UDP, SCTP; empty for a named port
  int first = 0;
  int last = 0;
  std::string name;  // destinationNamedPort
};

struct ClusterRule {
  std::string name;
  std::string action;  // Accept, Deny, Pass
  std::vector<ClusterPeer> peers;
  std::vector<ClusterPort> ports;  // empty: every port and protocol
};

struct ClusterPolicy {
  std::string name;
  bool admin = true;  // tier: Admin, else Baseline
  int priority = 0;
  ClusterPeer subject;  // Namespaces or Pods
  std::vector<ClusterRule> ingress;
  std::vector<ClusterRule> egress;
};

// Every NetworkPolicy in a YAML stream. Throws Error on any other kind, on a field the evaluator
// does not know, and on what the API server would reject. A policy without metadata.namespace is
// an error, or, when `default_namespace` is given, in that namespace (as `kubectl apply -n` puts it).
std::vector<Policy> parse_policies(const std::string& yaml, const std::string& default_namespace = "");

// A stream of NetworkPolicy and ClusterNetworkPolicy objects.
struct Objects {
  std::vector<Policy> policies;
  std::vector<ClusterPolicy> cluster_policies;
};
Objects parse_objects(const std::string& yaml);

class Evaluator {
 public:
  Evaluator(const Cluster& cluster, std::vector<Policy> policies) : cluster_(cluster), policies_(std::move(policies)) {}
  Evaluator(const Cluster& cluster, Objects objects)
      : cluster_(cluster), policies_(std::move(objects.policies)), cluster_policies_(std::move(objects.cluster_policies)) {}

  bool egress_allowed(const Endpoint& src, const Endpoint& dst, int port, const std::string& protocol) const;
  bool ingress_allowed(const Endpoint& src, const Endpoint& dst, int port, const std::string& protocol) const;
  bool allowed(const Endpoint& src, const Endpoint& dst, int port, const std::string& protocol) const {
    return egress_allowed(src, dst, port, protocol) && ingress_allowed(src, dst, port, protocol);
  }

 private:
  bool side_allowed(bool egress, const Pod& subject, const Endpoint& peer, const Endpoint& dst, int port, const std::string& protocol) const;
  bool peer_matches(const Peer& peer, const Policy& policy, const Endpoint& ep) const;
  bool port_matches(const PortSpec& spec, const Endpoint& dst, int port, const std::string& protocol) const;

  // The verdict of one tier at one end: "Accept", "Deny", "Pass" or "" (no rule matched).
  std::string tier_verdict(bool admin, bool egress, const Pod& subject, const Endpoint& peer, const Endpoint& dst, int port,
                           const std::string& protocol) const;
  bool cluster_peer_matches(const ClusterPeer& peer, const Endpoint& ep) const;
  bool subject_matches(const ClusterPeer& subject, const Pod& pod) const;

  const Cluster& cluster_;
  std::vector<Policy> policies_;
  std::vector<ClusterPolicy> cluster_policies_;
};

}  // namespace npeval
