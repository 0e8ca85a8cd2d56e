#include "lower/calico/lower.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "emit/yaml.h"
#include "lower/calico/model.h"
#include "lower/naming.h"
#include "lower/origin.h"

namespace fence::lower::calico {

namespace {

// ---------------------------------------------------------------------------------------------
// Selectors, in Calico's syntax. Label keys and values are restricted to characters that need no
// escaping inside single quotes. Calico's reference documents `k != 'v'` as matching only
// resources that have the label k, whereas a Kubernetes `k!=v` (Fence's meaning) also matches
// resources without it; `k not in {'v'}` matches both, as documented, so `!=` is written that way.

std::string requirement(const net::Requirement& r) {
  auto values = [&] {
    std::vector<std::string> q;
    for (const auto& v : r.values) q.push_back(fmt::format("'{}'", v));
    return fmt::format("{{{}}}", fmt::join(q, ", "));
  };
  switch (r.op) {
    case net::SelOp::Equals:
      return fmt::format("{} == '{}'", r.key, r.values.empty() ? std::string() : r.values[0]);
    case net::SelOp::NotEquals:
      return fmt::format("{} not in {{'{}'}}", r.key, r.values.empty() ? std::string() : r.values[0]);
    case net::SelOp::In:
      return fmt::format("{} in {}", r.key, values());
    case net::SelOp::NotIn:
      return fmt::format("{} not in {}", r.key, values());
    case net::SelOp::Exists:
      return fmt::format("has({})", r.key);
    case net::SelOp::DoesNotExist:
      return fmt::format("!has({})", r.key);
  }
  return {};
}

}  // namespace

// Exposed for the unit tests through calico_selector below.
std::string calico_selector(const net::LabelSelector& s) {
  if (s.selects_all()) return "all()";
  std::vector<std::string> parts;
  for (const auto& r : s.reqs) parts.push_back(requirement(r));
  return fmt::format("{}", fmt::join(parts, " && "));
}

std::string calico_namespace_selector(const ir::NamespaceSel& ns) {
  switch (ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      return fmt::format("{} == '{}'", kNamespaceNameLabel, ns.name);
    case ir::NamespaceSel::Kind::Selector:
      return calico_selector(ns.selector);
    case ir::NamespaceSel::Kind::Any:
      break;
  }
  return "all()";
}

namespace {

// ---------------------------------------------------------------------------------------------
// Ports: one group per protocol, in the order the rule names them. Calico matches ports only
// with a protocol, so `any` stands for TCP, UDP and SCTP; a group with no ports is every port of
// its protocol. An empty rule port list is one group with no protocol: everything.

struct ProtocolGroup {
  std::string protocol;
  bool every_port = false;
  std::vector<Port> ports;
};

std::vector<ProtocolGroup> protocol_groups(const std::vector<net::Port>& in) {
  std::vector<ProtocolGroup> out;
  if (in.empty()) {
    out.push_back(ProtocolGroup{"", true, {}});
    return out;
  }
  auto group = [&](const std::string& proto) -> ProtocolGroup& {
    auto it = std::find_if(out.begin(), out.end(), [&](const ProtocolGroup& g) { return g.protocol == proto; });
    if (it != out.end()) return *it;
    out.push_back(ProtocolGroup{proto, false, {}});
    return out.back();
  };
  for (const auto& p : in) {
    std::vector<std::string> protos;
    if (p.protocol == net::Protocol::Any) {
      protos = {"TCP", "UDP", "SCTP"};
    } else {
      protos = {std::string(net::protocol_name(p.protocol))};
    }
    for (const auto& proto : protos) {
      auto& g = group(proto);
      Port c;
      switch (p.kind) {
        case net::Port::Kind::All:
          g.every_port = true;
          continue;
        case net::Port::Kind::Number:
          c.kind = Port::Kind::Number;
          c.first = c.last = p.first;
          break;
        case net::Port::Kind::Range:
          c.kind = Port::Kind::Range;
          c.first = p.first;
          c.last = p.last;
          break;
        case net::Port::Kind::Named:
          c.kind = Port::Kind::Named;
          c.name = p.name;
          break;
      }
      if (std::find(g.ports.begin(), g.ports.end(), c) == g.ports.end()) g.ports.push_back(std::move(c));
    }
  }
  for (auto& g : out) {
    if (g.every_port) g.ports.clear();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Peers: Calico ANDs the fields of an EntityRule, so each pod peer (a namespace and a pod
// selector) is a rule of its own, CIDRs without exceptions share one rule per address family
// (Calico refuses a rule that mixes IPv4 and IPv6), and each CIDR with exceptions has its own
// rule, `nets` minus `notNets` being exactly the block. `anything` is a rule with no peer fields.

std::vector<EntityRule> peer_parts(const ir::Rule& r, bool namespaced) {
  std::vector<EntityRule> out;
  if (std::any_of(r.peers.begin(), r.peers.end(), [](const ir::Peer& p) { return p.kind == ir::Peer::Kind::Any; })) {
    out.emplace_back();
    return out;
  }
  EntityRule v4;
  EntityRule v6;
  std::vector<EntityRule> excepts;
  for (const auto& p : r.peers) {
    if (p.kind == ir::Peer::Kind::Endpoint) {
      EntityRule e;
      e.selector = calico_selector(p.endpoint.pods);
      bool same_namespace = namespaced && p.endpoint.ns.kind == ir::NamespaceSel::Kind::Named && p.endpoint.ns.name == r.scope.ns;
      if (!same_namespace) e.namespace_selector = calico_namespace_selector(p.endpoint.ns);
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    } else if (p.kind == ir::Peer::Kind::Cidr) {
      if (p.cidr.except.empty()) {
        auto& into = p.cidr.cidr.family == net::Family::V4 ? v4 : v6;
        auto s = p.cidr.cidr.str();
        if (std::find(into.nets.begin(), into.nets.end(), s) == into.nets.end()) into.nets.push_back(std::move(s));
      } else {
        EntityRule e;
        e.nets.push_back(p.cidr.cidr.str());
        for (const auto& x : p.cidr.except) e.not_nets.push_back(x.str());
        if (std::find(excepts.begin(), excepts.end(), e) == excepts.end()) excepts.push_back(std::move(e));
      }
    }
    // DNS names and entities were refused (expressible).
  }
  if (!v4.nets.empty()) out.push_back(std::move(v4));
  if (!v6.nets.empty()) out.push_back(std::move(v6));
  for (auto& e : excepts) out.push_back(std::move(e));
  return out;
}

std::string action_of(ir::Action a) {
  switch (a) {
    case ir::Action::Allow:
      return "Allow";
    case ir::Action::Deny:
      return "Deny";
    case ir::Action::Pass:
      return "Pass";
  }
  return "Allow";
}

std::vector<Rule> calico_rules(const ir::Rule& r, bool namespaced, const std::string& origin) {
  std::vector<Rule> out;
  bool ingress = r.direction == ir::Direction::Ingress;
  auto groups = protocol_groups(r.ports);
  for (const auto& part : peer_parts(r, namespaced)) {
    for (const auto& g : groups) {
      Rule c;
      c.action = action_of(r.action);
      c.protocol = g.protocol;
      (ingress ? c.source : c.destination) = part;
      c.destination.ports = g.ports;
      c.origins.push_back(origin);
      out.push_back(std::move(c));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The lowering

// A policy being built, and what names it.
struct Group {
  Policy policy;
  ir::Scope scope;
  ir::Endpoint subject;
  std::string prefix;  // a tier policy's name before the subject slug ("10-0")
  bool deny = false;   // the denies of a namespace-tier subject (named "<slug>-deny")
  std::unordered_set<std::string> sources_seen;
};

// Where a policy goes, in Calico's order of evaluation: the admin tier, the default tier's denies
// and then its allows, the baseline tier.
enum class Place { Admin, Deny, Default, Baseline };

class Lowering {
 public:
  Lowering(const ir::Program& prog, const SourceManager& sm, const Options& opt, DiagnosticSink& sink)
      : prog_(prog), sm_(sm), opt_(opt), sink_(sink) {}
  std::vector<emit::Object> run();

 private:
  bool expressible(const ir::Rule& r);
  Group& group_for(Place place, const ir::Scope& scope, const ir::Endpoint& subject);
  void start_policy(Group& g, Place place, const ir::Scope& scope, const ir::Endpoint& subject);
  void add_rules(Group& g, const ir::Rule& r);
  void add_tier_rules();
  std::vector<Group> default_denies();
  std::vector<emit::Object> named(std::vector<Group> denies);

  const ir::Program& prog_;
  const SourceManager& sm_;
  const Options& opt_;
  DiagnosticSink& sink_;
  // Namespace-tier policies, by place (Deny, Default), scope and subject.
  std::vector<std::pair<Place, Group>> groups_;
  std::map<std::tuple<Place, ir::Scope, ir::Endpoint>, std::size_t> index_;
  // Tier policies (admin, baseline), in evaluation order.
  std::vector<std::pair<Place, Group>> tier_groups_;
};

bool Lowering::expressible(const ir::Rule& r) {
  if (r.origin.implied) return true;  // its statement's own rule reports any problem once
  bool ok = true;
  for (const auto& p : r.peers) {
    auto where = p.span.valid() ? p.span : r.origin.target;
    if (p.kind == ir::Peer::Kind::DnsName) {
      sink_
          .error(Code::E1201, where,
                 fmt::format("Calico's open-source policies cannot match the DNS name '{}': domain names in rules need Calico Enterprise", p.dns))
          .hint("write the service's CIDR, or give each target its own value: `let api for calico = CIDR:PORT` and `let api for cilium = NAME:PORT`");
      ok = false;
    } else if (p.kind == ir::Peer::Kind::Entity) {
      sink_.error(Code::E1203, where, fmt::format("Calico has no entity '{}': entities are Cilium's", p.entity))
          .hint("write the CIDR the entity stands for (each target its own value: `let x for calico = CIDR` and `let x for cilium = entity NAME`)");
      ok = false;
    }
  }
  if (!r.http.empty()) {
    sink_.error(Code::E1202, r.origin.target, "Calico's policies without a service mesh cannot express HTTP rules: they stop at ports")
        .note(r.http.front().span, "the HTTP rules are here")
        .hint("compile with --target cilium, or allow the whole port without `http ...`");
    ok = false;
  }
  return ok;
}

void Lowering::start_policy(Group& g, Place place, const ir::Scope& scope, const ir::Endpoint& subject) {
  g.scope = scope;
  g.subject = subject;
  auto& p = g.policy;
  p.global = scope.cluster;
  p.staged = opt_.staged;
  p.ns = scope.cluster ? std::string() : scope.ns;
  switch (place) {
    case Place::Admin:
      p.tier = kAdminTier;
      break;
    case Place::Deny:
    case Place::Default:
      p.tier = kDefaultTier;
      break;
    case Place::Baseline:
      p.tier = kBaselineTier;
      break;
  }
  p.order = place == Place::Deny ? kDenyPolicyOrder : kAllowPolicyOrder;
  p.selector = calico_selector(subject.pods);
  if (scope.cluster) p.namespace_selector = calico_namespace_selector(subject.ns);
}

Group& Lowering::group_for(Place place, const ir::Scope& scope, const ir::Endpoint& subject) {
  auto [it, fresh] = index_.try_emplace({place, scope, subject}, groups_.size());
  if (!fresh) return groups_[it->second].second;
  Group g;
  start_policy(g, place, scope, subject);
  g.deny = place == Place::Deny;
  groups_.emplace_back(place, std::move(g));
  return groups_.back().second;
}

void Lowering::add_rules(Group& g, const ir::Rule& r) {
  bool ingress = r.direction == ir::Direction::Ingress;
  auto& p = g.policy;
  (ingress ? p.ingress_type : p.egress_type) = true;
  auto rules = calico_rules(r, !p.global, origin_comment(sm_, r));
  auto& list = ingress ? p.ingress : p.egress;
  for (auto& c : rules) list.push_back(std::move(c));
  add_source(p.sources, g.sources_seen, line_of(sm_, r.origin.statement));
}

// Admin and baseline rules: a policy per run of consecutive rules of one block with the same
// subject, ordered by the block's priority and then by source order, so that Calico's order
// (policies by order, rules in order, the first that matches decides) is the blocks'.
void Lowering::add_tier_rules() {
  struct Run {
    int priority;
    std::vector<const ir::Rule*> rules;
  };
  std::vector<Run> runs;
  const ir::Rule* last = nullptr;
  for (const auto& r : prog_.rules) {
    if (r.tier == ir::Tier::Namespace) continue;
    bool same_run = last != nullptr && last->tier_block == r.tier_block && last->subject == r.subject && last->scope == r.scope;
    if (!same_run) runs.push_back(Run{prog_.tier_blocks.at(static_cast<std::size_t>(r.tier_block)).priority, {}});
    runs.back().rules.push_back(&r);
    last = &r;
  }
  std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.priority < b.priority; });
  std::map<ir::Tier, long> order;  // the last order given in each tier
  std::map<std::pair<ir::Tier, int>, int> place;  // runs so far per (tier, priority)
  for (const auto& run : runs) {
    const auto& first = *run.rules.front();
    auto tier = first.tier;
    Group g;
    start_policy(g, tier == ir::Tier::Admin ? Place::Admin : Place::Baseline, first.scope, first.subject);
    g.policy.order = ++order[tier];
    g.prefix = fmt::format("{}-{}", run.priority, place[{tier, run.priority}]++);
    for (const auto* r : run.rules) add_rules(g, *r);
    tier_groups_.emplace_back(tier == ir::Tier::Admin ? Place::Admin : Place::Baseline, std::move(g));
  }
}

std::vector<Group> Lowering::default_denies() {
  std::vector<Group> out;
  for (const auto& dd : prog_.default_denies) {
    if (!dd.whole()) continue;  // in the subject's own policy (see run)
    Group g;
    ir::Endpoint every;
    every.ns.kind = dd.scope.cluster ? ir::NamespaceSel::Kind::Any : ir::NamespaceSel::Kind::Named;
    every.ns.name = dd.scope.cluster ? std::string() : dd.scope.ns;
    start_policy(g, Place::Default, dd.scope, every);
    g.policy.ingress_type = dd.ingress;
    g.policy.egress_type = dd.egress;
    g.policy.name = dd.egress && dd.ingress ? "default-deny-all" : dd.egress ? "default-deny-egress" : "default-deny-ingress";
    auto same = std::find_if(out.begin(), out.end(), [&](const Group& x) { return x.policy.name == g.policy.name && x.scope == g.scope; });
    if (same != out.end()) {
      add_source(same->policy.sources, line_of(sm_, dd.span));
      continue;
    }
    add_source(g.policy.sources, line_of(sm_, dd.span));
    out.push_back(std::move(g));
  }
  return out;
}

// The subject's slug, with its namespace in front for global policies whose subject lies in
// some namespaces (as the Cilium target names its cluster-wide objects).
std::string base_name(const Group& g) {
  auto slug = subject_slug(g.subject.pods);
  if (g.scope.cluster) {
    switch (g.subject.ns.kind) {
      case ir::NamespaceSel::Kind::Named:
        slug = slugify(g.subject.ns.name + "-" + slug, 200);
        break;
      case ir::NamespaceSel::Kind::Selector:
        slug = slugify(g.subject.ns.str() + "-" + slug, 200);
        break;
      case ir::NamespaceSel::Kind::Any:
        break;
    }
  }
  if (!g.prefix.empty()) slug = g.prefix + "-" + slug;
  if (g.deny) slug += "-deny";
  return slug;
}

std::vector<emit::Object> Lowering::named(std::vector<Group> denies) {
  // Policies per scope (the cluster's first, then each namespace's); within a scope, in the
  // order Calico evaluates their tiers; default denies first in the default tier.
  using Key = std::pair<bool, std::string>;
  std::map<Key, std::vector<std::pair<Place, Group*>>> by_scope;
  for (auto& [place, g] : tier_groups_) by_scope[{!g.scope.cluster, g.policy.ns}].emplace_back(place, &g);
  for (auto& g : denies) by_scope[{!g.scope.cluster, g.policy.ns}].emplace_back(Place::Deny, &g);
  for (auto& [place, g] : groups_) by_scope[{!g.scope.cluster, g.policy.ns}].emplace_back(place, &g);

  std::vector<emit::Object> out;
  auto tier_object = [&](const char* name, int order, Place place) {
    std::vector<std::string> sources;
    for (const auto& b : prog_.tier_blocks) {
      if ((place == Place::Admin) == (b.tier == ir::Tier::Admin)) add_source(sources, line_of(sm_, b.span));
    }
    cap_sources(sources);
    out.push_back(to_object(Tier{name, order, "Pass", sources}));
    emit::seal(out.back());
  };
  auto used = [&](Place place) {
    auto in = [&](const std::vector<std::pair<Place, Group>>& v) {
      return std::any_of(v.begin(), v.end(), [&](const auto& x) { return x.first == place; });
    };
    return in(tier_groups_) || in(groups_);
  };
  if (used(Place::Admin)) tier_object(kAdminTier, kAdminTierOrder, Place::Admin);
  if (used(Place::Baseline)) tier_object(kBaselineTier, kBaselineTierOrder, Place::Baseline);

  for (auto& [key, list] : by_scope) {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    // Names are unique per kind and namespace; a tier's policies carry its name in front.
    std::map<std::pair<std::string, std::string>, int> count;
    std::set<std::pair<std::string, std::string>> reserved;
    for (auto& [place, g] : list) {
      if (!g->policy.name.empty()) {
        reserved.insert({g->policy.tier, g->policy.name});
      } else {
        ++count[{g->policy.tier, base_name(*g)}];
      }
    }
    for (auto& [place, g] : list) {
      auto& p = g->policy;
      if (p.name.empty()) {
        auto base = base_name(*g);
        bool clash = count[{p.tier, base}] > 1 || reserved.count({p.tier, base}) > 0;
        p.name = clash ? fmt::format("{}-{}", base, short_hash(g->subject.str())) : base;
      }
      if (p.tier != kDefaultTier) p.name = p.tier + "." + p.name;
      cap_sources(p.sources);
      out.push_back(to_object(p));
      emit::seal(out.back());
      p = Policy{};
    }
  }
  return out;
}

std::vector<emit::Object> Lowering::run() {
  bool ok = true;
  for (const auto& r : prog_.rules) ok = expressible(r) && ok;
  if (!ok) return {};
  add_tier_rules();
  for (const auto& r : prog_.rules) {
    if (r.tier != ir::Tier::Namespace) continue;
    auto place = r.action == ir::Action::Deny ? Place::Deny : Place::Default;
    add_rules(group_for(place, r.scope, r.subject), r);
  }
  // A default deny for some pods: `types` without rules in their own policy.
  for (const auto& dd : prog_.default_denies) {
    if (dd.whole()) continue;
    auto& g = group_for(Place::Default, dd.scope, *dd.subject);
    g.policy.ingress_type = g.policy.ingress_type || dd.ingress;
    g.policy.egress_type = g.policy.egress_type || dd.egress;
    add_source(g.policy.sources, g.sources_seen, line_of(sm_, dd.span));
  }
  return named(default_denies());
}

}  // namespace

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink) {
  Lowering l(program, sm, options, sink);
  return l.run();
}

}  // namespace fence::lower::calico
