// The IR: what a program means, independent of any target. Sema produces it, checks read it,
// and each lower/<target> turns it into that target's objects. Every rule remembers the
// statement and the target it came from, so that any later stage can point at the user's line.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "diag/source.h"
#include "net/cidr.h"
#include "net/port.h"
#include "net/selector.h"

namespace fence::ir {

enum class Direction { Egress, Ingress };
// Pass: the rule decides nothing, and the connection goes on to the next tier (tiers only).
enum class Action { Allow, Deny, Pass };

// Where a rule stands in the order of evaluation, for a connection at one end (egress at the
// source, ingress at the destination): the admin tier first, by priority (lower first), then the
// namespaces' own policies, then the baseline tier, by priority, then the default (allow).
// Within one tier block, rules are first-match in source order. A rule outside any tier block is
// in the Namespace tier.
enum class Tier { Namespace, Admin, Baseline };

std::string_view direction_name(Direction d);  // "egress", "ingress"
std::string_view tier_name(Tier t);            // "namespace", "admin", "baseline"
std::string_view action_name(Action a);        // "allow", "deny", "pass"

// Which namespaces: one by name, those whose labels match, or all of them.
struct NamespaceSel {
  enum class Kind { Named, Selector, Any } kind = Kind::Named;
  std::string name;
  net::LabelSelector selector;

  std::string str() const;  // "production", "ns[team=obs]", "all namespaces"
  friend auto operator<=>(const NamespaceSel&, const NamespaceSel&) = default;
};

// Pods: a namespace choice and a pod selector (empty: every pod there).
struct Endpoint {
  NamespaceSel ns;
  net::LabelSelector pods;

  std::string str() const;  // "production/app=web-api", "all namespaces/k8s-app=kube-dns"
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

// One CIDR with the addresses taken out of it. Every except lies strictly inside `cidr`.
struct CidrBlock {
  net::Cidr cidr;
  std::vector<net::Cidr> except;  // sorted, none inside another

  std::string str() const;
  friend auto operator<=>(const CidrBlock&, const CidrBlock&) = default;
};

struct Peer {
  // Any: every peer there is, pods of every namespace and every address (`anything`): a
  // NetworkPolicy rule with no `from` or `to`.
  enum class Kind { Endpoint, Cidr, DnsName, Entity, Any } kind = Kind::Endpoint;
  Endpoint endpoint;
  CidrBlock cidr;
  std::string dns;     // DnsName: lower case, no trailing dot; may hold '*'
  std::string entity;  // Entity: Cilium's name, e.g. "kube-apiserver"
  Span span;           // where the user wrote it (inside a let, possibly)

  bool is_dns_pattern() const { return dns.find('*') != std::string::npos; }
  std::string str() const;
  // Equality ignores where the peer was written.
  bool same_as(const Peer& o) const;
};

struct HttpRule {
  std::string method;  // upper case; empty matches every method
  std::string path;    // a regular expression; empty matches every path
  std::string host;
  std::vector<std::string> headers;
  Span span;

  bool same_as(const HttpRule& o) const { return method == o.method && path == o.path && host == o.host && headers == o.headers; }
};

struct Origin {
  Span statement;  // the whole statement
  Span target;     // the target (or source) within it that produced this rule
  // Set on rules Fence added to open the other side of a connection (the meaning's rule 1):
  // the ingress side of a `may reach`, or the egress side of a `may be reached by`.
  bool implied = false;
  // Set on rules of `may send to` and `may receive from`, which state one side only: no rule is
  // implied for the other side.
  bool one_sided = false;
};

// Where a rule applies: one namespace, or the whole cluster.
struct Scope {
  bool cluster = false;
  std::string ns;  // when !cluster

  std::string str() const { return cluster ? std::string("cluster") : ns; }
  friend auto operator<=>(const Scope&, const Scope&) = default;
};

struct Rule {
  Action action = Action::Allow;
  Direction direction = Direction::Egress;
  Scope scope;
  Endpoint subject;  // in a namespace scope, subject.ns is that namespace
  Span subject_span;
  std::vector<Peer> peers;
  std::vector<net::Port> ports;  // empty: every port and protocol
  std::vector<Span> port_spans;  // where each port is written (parallel to `ports`; may be empty)
  std::vector<HttpRule> http;    // L7; empty: none
  Origin origin;
  // Tiers: a rule of an `admin` or `baseline` block is cluster-scoped (scope.cluster), and
  // `tier_block` indexes Program::tier_blocks. Rules of one block keep their source order, which
  // is their first-match order. Namespace-tier rules have tier_block == -1.
  Tier tier = Tier::Namespace;
  int tier_block = -1;
};

// One `admin priority N { ... }` or `baseline priority N { ... }` block, in source order.
struct TierBlock {
  Tier tier = Tier::Admin;  // Admin or Baseline
  int priority = 0;         // 0-1000: lower is evaluated first
  Span span;                // the block's header
  Span priority_span;       // the priority number
};

struct DefaultDeny {
  Scope scope;
  bool egress = false;
  bool ingress = false;
  Span span;
  // `default deny ingress for web`: the pods it isolates (in a namespace scope, subject->ns is
  // that namespace). Absent: every pod of the namespace, or of every namespace when cluster-wide.
  std::optional<Endpoint> subject;
  Span subject_span;

  bool whole() const { return !subject.has_value(); }
  bool covers(Direction d) const { return d == Direction::Egress ? egress : ingress; }
};

// An inventory of the cluster's workloads named by the program (`set inventory = "deploy/"`).
struct InventorySource {
  std::string path;  // relative to the file that names it, made relative to the working directory
  Span span;
};

struct Program {
  std::optional<std::string> environment;   // the environment this IR was built for
  std::vector<DefaultDeny> default_denies;  // in source order
  std::vector<Rule> rules;                  // in source order, implied rules after their statement
  std::vector<TierBlock> tier_blocks;       // in source order; rules point into it
  std::vector<std::string> namespaces;      // every namespace with a block, sorted
  std::map<std::string, Span> namespace_spans;  // where each is first named by a block
  // Declared by `set pod-cidrs` / `set service-cidrs`: addresses that belong to the cluster.
  std::vector<net::Cidr> pod_cidrs;
  std::vector<net::Cidr> service_cidrs;
  // The label keys that bare workload names were given, per namespace they live in ("" where the
  // namespace is not one name, as in a cluster block): what `production/web-api` means to the
  // tools that name workloads the way the source does (fence explain, fence why).
  std::map<std::string, std::set<std::string>> workload_label_keys;
  std::vector<InventorySource> inventory;  // in path order of the files that name them

  // True when a default deny for every pod of the scope covers direction `d` (a default deny
  // `for` some pods does not count).
  bool denies(const Scope& s, Direction d) const;
  // True when the namespace's ingress (egress) is denied by default for every pod, by its own
  // block or a cluster-wide default deny.
  bool namespace_denies(const std::string& ns, Direction d) const;
};

}  // namespace fence::ir
