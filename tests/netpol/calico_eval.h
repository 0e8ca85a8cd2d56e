// A reference evaluator for Calico policy (projectcalico.org/v3), for the tests only.
//
// It reads Tier, NetworkPolicy and GlobalNetworkPolicy YAML (and, when asked, their Staged forms
// as if enforced) and answers, for the model cluster of np_eval.h, whether a connection is
// allowed. It shares no code with the compiler, and only np_eval's model types with np_eval.
//
// Semantics, from Calico's reference (docs.tigera.io: resources/tier, networkpolicy,
// globalnetworkpolicy, stagednetworkpolicy; calico-labels; the selector table):
//   - Each end of a connection is evaluated on its own: egress at a source pod, ingress at a
//     destination pod; an address outside the cluster has neither.
//   - Tiers by order, lower first (the `default` tier: 1,000,000 unless a Tier object says
//     otherwise). A tier takes part when one of its policies selects the endpoint and lists the
//     direction in `types`. Its policies by order (then name), their rules in order: the first
//     rule that matches decides: Allow, Deny, or Pass (on to the next tier that takes part). A
//     tier that takes part and matches no rule applies its defaultAction: Deny (the default), or
//     Pass. After the last tier: allowed (a Kubernetes namespace's profile allows everything).
//   - NetworkPolicy selects endpoints of its namespace by `selector`; GlobalNetworkPolicy
//     endpoints of any namespace whose labels match `namespaceSelector` (when given; a namespace
//     carries projectcalico.org/name = its name) and whose labels match `selector`. A pod also
//     carries projectcalico.org/namespace.
//   - A rule matches when its protocol (if any) is the connection's, and its source and
//     destination EntityRules match the two ends. Every field given must match: `selector` (a pod
//     whose labels match; with `namespaceSelector`, in a namespace it matches; without it, in a
//     NetworkPolicy the policy's own namespace, in a GlobalNetworkPolicy any), `nets` (the
//     address in one of them), `notNets` (in none), `ports` (the destination port: a number,
//     "first:last", or the name of a container port of the destination pod with that protocol).
//   - Selectors: all(), has(k), !has(k), k == 'v', k != 'v' (label present, other value),
//     k in {...}, k not in {...} (absent, or another value), !, &&, ||, parentheses.
//   - A policy in a tier other than `default` must be named `<tier>.<name>`; its tier must exist.
// Anything else is an error, never a guess.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "np_eval.h"

namespace calicoeval {

using npeval::Labels;

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A parsed selector.
class Selector {
 public:
  static Selector parse(const std::string& text);  // throws Error
  bool matches(const Labels& labels) const;
  struct Node;

 private:
  std::shared_ptr<Node> root_;
};

struct Port {
  int first = 0;
  int last = 0;
  std::string name;  // a named port
};

struct EntityRule {
  std::optional<Selector> selector;
  std::optional<Selector> namespace_selector;
  std::vector<npeval::Cidr> nets;
  std::vector<npeval::Cidr> not_nets;
  std::vector<Port> ports;
};

struct Rule {
  std::string action;
  std::string protocol;  // empty: any
  EntityRule source;
  EntityRule destination;
};

struct Policy {
  std::string name;
  std::string ns;  // empty: global
  bool global = false;
  std::string tier = "default";
  double order = 0;
  bool has_order = false;
  Selector selector;
  std::optional<Selector> namespace_selector;
  bool ingress_type = false;
  bool egress_type = false;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
};

struct Tier {
  std::string name;
  double order = 0;
  std::string default_action = "Deny";
};

struct Set {
  std::vector<Tier> tiers;
  std::vector<Policy> policies;
};

// Every object of a YAML stream. `staged_as_enforced`: Staged kinds (stagedAction Set) are read
// as the policies they would be; otherwise they are an error.
Set parse(const std::string& yaml, bool staged_as_enforced = false);

class Evaluator {
 public:
  Evaluator(const npeval::Cluster& cluster, Set set);

  bool egress_allowed(const npeval::Endpoint& src, const npeval::Endpoint& dst, int port, const std::string& protocol) const;
  bool ingress_allowed(const npeval::Endpoint& src, const npeval::Endpoint& dst, int port, const std::string& protocol) const;
  bool allowed(const npeval::Endpoint& src, const npeval::Endpoint& dst, int port, const std::string& protocol) const {
    return egress_allowed(src, dst, port, protocol) && ingress_allowed(src, dst, port, protocol);
  }

 private:
  bool side(bool egress, const npeval::Pod& subject, const npeval::Endpoint& src, const npeval::Endpoint& dst, int port,
            const std::string& protocol) const;
  bool selects(const Policy& p, const npeval::Pod& pod) const;
  bool entity_matches(const EntityRule& e, const Policy& p, const npeval::Endpoint& ep, bool destination, int port,
                      const std::string& protocol) const;
  Labels pod_labels(const npeval::Pod& pod) const;
  Labels namespace_labels(const std::string& ns) const;

  const npeval::Cluster& cluster_;
  Set set_;
  std::vector<std::pair<double, std::string>> tier_order_;  // every tier, in evaluation order
};

}  // namespace calicoeval
