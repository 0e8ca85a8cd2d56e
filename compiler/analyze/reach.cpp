#include "analyze/reach.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace fence::analyze {

namespace {

// The default denies that isolate a pod in a direction: those for every pod of its namespace (or
// of every namespace), and those `for` pods it is among. `sure` lists the ones that certainly
// apply; `isolated` is Maybe where one may apply, depending on a fact in `caveats`.
struct DenyCover {
  std::vector<const ir::DefaultDeny*> sure;
  Tri isolated = Tri::No;
  Caveats caveats;
};

DenyCover default_denies_for(const ir::Program& program, const Endpoint& pod, ir::Direction d) {
  DenyCover out;
  for (const auto& dd : program.default_denies) {
    if (!dd.covers(d) || !(dd.scope.cluster || dd.scope.ns == pod.ns)) continue;
    Tri applies = Tri::Yes;
    if (dd.subject) {
      MatchContext ctx{program, nullptr};
      Caveats c;
      applies = endpoint_matches(*dd.subject, pod, ctx, c);
      if (applies == Tri::Maybe) add_caveats(out.caveats, c);
    }
    if (applies == Tri::Yes) out.sure.push_back(&dd);
    out.isolated = tri_or(out.isolated, applies);
  }
  return out;
}

ir::Direction opposite(ir::Direction d) {
  return d == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
}

// One tier at one end: first match in order of evaluation. `allow`, `deny` and `through` (no rule
// decides, or a defer passes it on) are how certainly each outcome happens.
struct TierOutcome {
  Tri allow = Tri::No;
  Tri deny = Tri::No;
  Tri through = Tri::Yes;
  const ir::Rule* decides = nullptr;
  Caveats caveats;
};

TierOutcome evaluate_tier(const ir::Program& program, std::vector<const Selected*> rules, const Endpoint& peer, const QueryPort& q,
                          bool destination_is_pod, bool assume_outside, std::vector<RuleMatch>& matched) {
  TierOutcome out;
  std::vector<RuleMatch> order;
  for (const auto* sel : rules) order.push_back({sel->rule, sel->how});
  sort_tier_rules(program, order);
  Tri still = Tri::Yes;  // whether no earlier rule has decided
  Tri pass = Tri::No;
  for (const auto& m0 : order) {
    const auto& r = *m0.rule;
    auto it = std::find_if(rules.begin(), rules.end(), [&](const Selected* x) { return x->rule == &r; });
    Caveats c = (*it)->caveats;
    MatchContext ctx{program, &r, assume_outside};
    Tri peers = peers_match(r.peers, peer, ctx, c);
    if (peers == Tri::No) continue;
    Tri m = tri_and(m0.how, tri_and(peers, ports_match(r.ports, q, destination_is_pod, ctx, c)));
    if (m == Tri::No) continue;
    matched.push_back({&r, m});
    Tri here = tri_and(still, m);
    switch (r.action) {
      case ir::Action::Allow:
        out.allow = tri_or(out.allow, here);
        break;
      case ir::Action::Deny:
        out.deny = tri_or(out.deny, here);
        break;
      case ir::Action::Pass:
        pass = tri_or(pass, here);
        break;
    }
    if (m == Tri::Maybe) add_caveats(out.caveats, c);
    if (m == Tri::Yes && still == Tri::Yes) out.decides = &r;
    still = tri_and(still, tri_not(m));
    if (still == Tri::No) break;
  }
  out.through = tri_or(pass, still);
  return out;
}

Side evaluate_side(const ir::Program& program, const Selection& sel, const Endpoint& peer, const QueryPort& q, bool destination_is_pod,
                   bool assume_outside) {
  Side s;
  s.direction = sel.direction;
  s.pod = sel.pod;
  s.peer = peer;
  s.default_denies = sel.default_denies;
  Tri isolated = sel.deny_isolated;
  Tri allow = Tri::No;
  Tri deny = Tri::No;
  Caveats isolation_caveats = sel.deny_caveats, allow_caveats, deny_caveats;
  std::vector<const Selected*> admin_rules, baseline_rules;
  for (const auto& selected : sel.rules) {
    const auto& r = *selected.rule;
    if (r.tier != ir::Tier::Namespace) {
      (r.tier == ir::Tier::Admin ? admin_rules : baseline_rules).push_back(&selected);
      continue;
    }
    MatchContext ctx{program, &r, assume_outside};
    Caveats c = selected.caveats;
    Tri subject = selected.how;
    s.selecting.push_back({&r, subject});
    if (subject == Tri::Maybe) add_caveats(isolation_caveats, c);
    isolated = tri_or(isolated, subject);
    Tri peers = peers_match(r.peers, peer, ctx, c);
    if (peers == Tri::No) continue;
    Tri ports = ports_match(r.ports, q, destination_is_pod, ctx, c);
    Tri m = tri_and(subject, tri_and(peers, ports));
    if (m == Tri::No) {
      if (r.action == ir::Action::Allow && ports == Tri::No) s.other_ports.push_back(&r);
      continue;
    }
    bool is_allow = r.action == ir::Action::Allow;
    (is_allow ? s.allows : s.denies).push_back({&r, m});
    (is_allow ? allow : deny) = tri_or(is_allow ? allow : deny, m);
    if (m == Tri::Maybe) add_caveats(is_allow ? allow_caveats : deny_caveats, c);
  }
  s.isolated = isolated;
  Tri admitted = tri_or(tri_not(isolated), allow);
  s.allowed = tri_and(admitted, tri_not(deny));
  // Keep only the caveats of the parts that left the answer open.
  if (s.allowed == Tri::Maybe) {
    if (deny == Tri::Maybe) add_caveats(s.caveats, deny_caveats);
    if (admitted == Tri::Maybe) {
      if (allow == Tri::Maybe) add_caveats(s.caveats, allow_caveats);
      if (isolated == Tri::Maybe && allow != Tri::Yes) add_caveats(s.caveats, isolation_caveats);
    }
  }
  if (admin_rules.empty() && baseline_rules.empty()) return s;
  // Tiers: the admin tier first; what it leaves goes to the namespace's policies where they
  // isolate the pod, else to the baseline tier, else it is admitted.
  s.has_tiers = true;
  auto admin_tier = evaluate_tier(program, admin_rules, peer, q, destination_is_pod, assume_outside, s.admin);
  auto baseline_tier = evaluate_tier(program, baseline_rules, peer, q, destination_is_pod, assume_outside, s.baseline);
  s.admin_decides = admin_tier.decides;
  s.baseline_decides = baseline_tier.decides;
  s.admin_through = admin_tier.through;
  Tri namespaces = s.allowed;  // what the namespace's policies say, where they isolate the pod
  Tri below = tri_or(tri_and(isolated, namespaces), tri_and(tri_not(isolated), tri_or(baseline_tier.allow, baseline_tier.through)));
  Caveats namespace_caveats = std::move(s.caveats);
  s.caveats.clear();
  s.allowed = tri_or(admin_tier.allow, tri_and(admin_tier.through, below));
  if (s.allowed == Tri::Maybe) {
    add_caveats(s.caveats, admin_tier.caveats);
    if (isolated != Tri::No) add_caveats(s.caveats, namespace_caveats);
    if (isolated == Tri::Maybe) add_caveats(s.caveats, isolation_caveats);
    if (isolated != Tri::Yes) add_caveats(s.caveats, baseline_tier.caveats);
  }
  return s;
}

std::string labels_selector(const Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return fmt::format("pods[{}]", fmt::join(parts, ", "));
}

std::optional<std::string> key_for(const ir::Program& program, const std::string& ns, const Options& options) {
  try {
    return workload_label_key(program, ns, options.label_key);
  } catch (const QueryError&) {
    return std::nullopt;
  }
}

// How to write `pod` in a statement inside `namespace block { ... }`; empty when no selector picks
// out just such pods.
std::string reference_in(const Endpoint& pod, const std::string& block, const ir::Program& program, const Options& options) {
  if (pod.labels.empty()) return {};
  std::string local;
  auto key = key_for(program, block, options);
  if (pod.labels.size() == 1 && key && pod.labels.begin()->first == *key) {
    local = pod.labels.begin()->second;
  } else {
    local = labels_selector(pod.labels);
  }
  return pod.ns == block ? local : pod.ns + "/" + local;
}

std::string reference_outside(const Endpoint& ep) {
  if (ep.kind == Endpoint::Kind::Dns) return ep.dns;
  return ep.address ? ep.address->str() : std::string();
}

std::string port_suffix(const QueryPort& q) {
  std::string value = q.number ? std::to_string(*q.number) : q.name.value_or("");
  if (q.protocol == net::Protocol::TCP) return ":" + value;
  return fmt::format(":{}/{}", value, net::protocol_lower(q.protocol));
}

std::vector<Suggestion> suggest(const ir::Program& program, const Verdict& v, const Options& options) {
  std::vector<Suggestion> out;
  for (const auto* side : {&v.egress, &v.ingress}) {
    if (*side && std::any_of((*side)->denies.begin(), (*side)->denies.end(), [](const RuleMatch& m) { return m.how == Tri::Yes; })) {
      return out;  // a deny wins over any allow one could add
    }
    // An admin rule that refuses the connection decides before any namespace statement.
    if (*side && (*side)->admin_decides != nullptr && (*side)->admin_decides->action == ir::Action::Deny) return out;
  }
  bool egress_missing = v.egress && v.egress->allowed == Tri::No;
  bool ingress_missing = v.ingress && v.ingress->allowed == Tri::No;
  auto port = port_suffix(v.port);
  auto reach = [&] {
    auto self = reference_in(v.from, v.from.ns, program, options);
    auto target = v.to.is_pod() ? reference_in(v.to, v.from.ns, program, options) : reference_outside(v.to);
    if (!self.empty() && !target.empty()) out.push_back({v.from.ns, fmt::format("{} may reach {}{}", self, target, port)});
  };
  auto reached = [&] {
    auto self = reference_in(v.to, v.to.ns, program, options);
    auto source = v.from.is_pod() ? reference_in(v.from, v.to.ns, program, options) : reference_outside(v.from);
    if (!self.empty() && !source.empty()) out.push_back({v.to.ns, fmt::format("{} may be reached by {}{}", self, source, port)});
  };
  if (egress_missing) reach();
  // `may reach` opens the ingress side too where the destination's namespace denies ingress.
  bool reach_opens_ingress = egress_missing && v.to.is_pod() && v.ingress && !v.ingress->default_denies.empty();
  if (ingress_missing && !reach_opens_ingress) reached();
  return out;
}

}  // namespace

Side side_of(const ir::Program& program, ir::Direction d, const Endpoint& pod, const Endpoint& peer, const QueryPort& port, bool destination_is_pod,
             bool assume_outside) {
  return evaluate_side(program, select_rules(program, d, pod), peer, port, destination_is_pod, assume_outside);
}

namespace {

Verdict decide(const ir::Program& program, const Endpoint& from, const Endpoint& to, const QueryPort& port, const Selection* egress,
               const Selection* ingress, bool assume_outside) {
  Verdict v;
  v.from = from;
  v.to = to;
  v.port = port;
  if (from.is_pod()) v.egress = evaluate_side(program, *egress, to, port, to.is_pod(), assume_outside);
  if (to.is_pod()) v.ingress = evaluate_side(program, *ingress, from, port, true, assume_outside);
  v.allowed = Tri::Yes;
  for (const auto* side : {&v.egress, &v.ingress}) {
    if (*side) v.allowed = tri_and(v.allowed, (*side)->allowed);
  }
  if (v.allowed == Tri::Maybe) {
    for (const auto* side : {&v.egress, &v.ingress}) {
      if (*side && (*side)->allowed == Tri::Maybe) add_caveats(v.caveats, (*side)->caveats);
    }
  }
  return v;
}

}  // namespace

Selection select_rules(const ir::Program& program, ir::Direction direction, const Endpoint& pod, const RuleIndex* index) {
  Selection sel;
  sel.direction = direction;
  sel.pod = pod;
  auto cover = default_denies_for(program, pod, direction);
  sel.default_denies = cover.sure;
  sel.deny_isolated = cover.isolated;
  sel.deny_caveats = cover.caveats;
  auto consider = [&](const ir::Rule& r) {
    if (r.direction != direction) return;
    MatchContext ctx{program, &r};
    Caveats c;
    Tri how = endpoint_matches(r.subject, pod, ctx, c);
    if (how != Tri::No) sel.rules.push_back({&r, how, std::move(c)});
  };
  if (index != nullptr) {
    for (const auto* r : index->candidates(pod.ns)) consider(*r);
  } else {
    for (const auto& r : program.rules) consider(r);
  }
  return sel;
}

Verdict verdict(const ir::Program& program, const Endpoint& from, const Endpoint& to, const QueryPort& port, const Selection* egress,
                const Selection* ingress, bool settle_sides) {
  Verdict v = decide(program, from, to, port, egress, ingress, false);
  auto only_pods = [&](const Caveats& cs) {
    return program.pod_cidrs.empty() && !cs.empty() && std::all_of(cs.begin(), cs.end(), [](const Caveat& c) { return c.kind == Caveat::Kind::PodAddress; });
  };
  bool only_pod_addresses = v.allowed == Tri::Maybe && only_pods(v.caveats);
  Caveats side_caveats;
  if (settle_sides && v.allowed == Tri::No) {
    for (const auto* side : {&v.egress, &v.ingress}) {
      if (*side && (*side)->allowed == Tri::Maybe && only_pods((*side)->caveats)) add_caveats(side_caveats, (*side)->caveats);
    }
  }
  if (only_pod_addresses || !side_caveats.empty()) {
    auto caveats = only_pod_addresses ? std::move(v.caveats) : std::move(side_caveats);
    v = decide(program, from, to, port, egress, ingress, true);
    v.assumptions = std::move(caveats);
  }
  return v;
}

Verdict why(const ir::Program& program, const Endpoint& from, const Endpoint& to, const QueryPort& port, const Options& options) {
  if (!from.is_pod() && !to.is_pod()) {
    throw QueryError{fmt::format("neither {} nor {} is a pod: Fence's rules are about connections to or from pods", from.str(), to.str())};
  }
  std::optional<Selection> egress, ingress;
  if (from.is_pod()) egress = select_rules(program, ir::Direction::Egress, from);
  if (to.is_pod()) ingress = select_rules(program, ir::Direction::Ingress, to);
  Verdict v = verdict(program, from, to, port, egress ? &*egress : nullptr, ingress ? &*ingress : nullptr);
  if (v.allowed == Tri::No) v.suggestions = suggest(program, v, options);
  return v;
}

// =============================================================================================
// explain

namespace {

// A pod with exactly the labels a selector names, when it names them all by equality in one
// namespace.
std::optional<Endpoint> representative(const ir::Peer& peer, const ir::Program& program, const Options& options) {
  if (peer.kind != ir::Peer::Kind::Endpoint || peer.endpoint.ns.kind != ir::NamespaceSel::Kind::Named) return std::nullopt;
  Endpoint ep;
  ep.kind = Endpoint::Kind::Pod;
  ep.ns = peer.endpoint.ns.name;
  for (const auto& r : peer.endpoint.pods.reqs) {
    if (r.op != net::SelOp::Equals || r.values.size() != 1 || ep.labels.count(r.key) != 0) return std::nullopt;
    ep.labels[r.key] = r.values[0];
  }
  if (ep.labels.empty()) return std::nullopt;  // "all pods": pods differ in what else selects them
  auto key = key_for(program, ep.ns, options);
  if (ep.labels.size() == 1 && key && ep.labels.begin()->first == *key) {
    ep.workload = ep.labels.begin()->second;
    ep.workload_key = *key;
  }
  if (auto it = options.ns_labels.find(ep.ns); it != options.ns_labels.end()) ep.ns_labels = it->second;
  return ep;
}

FarSide far_side(const ir::Program& program, const RuleIndex& index, ir::Direction d, const Endpoint& far, const Endpoint& workload,
                 const std::vector<net::Port>& ports) {
  FarSide f;
  f.pod = far;
  auto cover = default_denies_for(program, far, d);
  f.default_denies = cover.sure;
  f.isolated = cover.isolated;
  for (const auto* rule : index.candidates(far.ns)) {
    const auto& r = *rule;
    if (r.direction != d || r.tier != ir::Tier::Namespace) continue;  // the far side's namespace policies only
    MatchContext ctx{program, &r, true};
    Caveats ignored;
    Tri subject = endpoint_matches(r.subject, far, ctx, ignored);
    if (subject == Tri::No) continue;
    f.selecting.push_back({&r, subject});
    f.isolated = tri_or(f.isolated, subject);
    Tri m = tri_and(subject, peers_match(r.peers, workload, ctx, ignored));
    if (m == Tri::No) continue;
    (r.action == ir::Action::Allow ? f.admitting : f.denying).push_back({&r, m});
  }
  std::vector<net::Port> items = ports;
  if (items.empty()) {
    net::Port every;
    every.protocol = net::Protocol::Any;
    every.kind = net::Port::Kind::All;
    items.push_back(every);
  }
  f.covered = Tri::Yes;
  for (const auto& item : items) {
    Tri one = Tri::No;
    for (const auto& a : f.admitting) one = tri_or(one, tri_and(a.how, ports_cover(a.rule->ports, item)));
    f.covered = tri_and(f.covered, one);
  }
  return f;
}

DirectionView view(const ir::Program& program, const RuleIndex& index, ir::Direction d, const Endpoint& workload, const Options& options,
                   Caveats& caveats) {
  DirectionView v;
  v.direction = d;
  auto cover = default_denies_for(program, workload, d);
  v.default_denies = cover.sure;
  v.isolated = cover.isolated;
  add_caveats(caveats, cover.caveats);
  for (const auto* rule : index.candidates(workload.ns)) {
    const auto& r = *rule;
    if (r.direction != d) continue;
    MatchContext ctx{program, &r};
    Caveats c;
    Tri subject = endpoint_matches(r.subject, workload, ctx, c);
    if (subject == Tri::No) continue;
    if (subject == Tri::Maybe) add_caveats(caveats, c);
    if (r.tier != ir::Tier::Namespace) {
      (r.tier == ir::Tier::Admin ? v.admin : v.baseline).push_back({&r, subject});
      continue;
    }
    v.selecting.push_back({&r, subject});
    v.isolated = tri_or(v.isolated, subject);
    for (const auto& p : r.peers) {
      auto same = std::find_if(v.lines.begin(), v.lines.end(),
                               [&](const Line& l) { return l.action == r.action && l.peer.same_as(p) && l.ports == r.ports; });
      if (same == v.lines.end()) {
        Line l;
        l.action = r.action;
        l.peer = p;
        l.ports = r.ports;
        v.lines.push_back(std::move(l));
        same = v.lines.end() - 1;
      }
      if (std::none_of(same->rules.begin(), same->rules.end(), [&](const RuleMatch& m) { return m.rule == &r; })) {
        same->rules.push_back({&r, subject});
      }
    }
  }
  sort_tier_rules(program, v.admin);
  sort_tier_rules(program, v.baseline);
  for (auto& l : v.lines) {
    if (l.action != ir::Action::Allow) continue;
    if (auto rep = representative(l.peer, program, options)) l.far = far_side(program, index, opposite(d), *rep, workload, l.ports);
  }
  return v;
}

}  // namespace

void sort_tier_rules(const ir::Program& program, std::vector<RuleMatch>& rules) {
  auto key = [&](const RuleMatch& m) {
    int b = m.rule->tier_block;
    int priority = b >= 0 && static_cast<std::size_t>(b) < program.tier_blocks.size() ? program.tier_blocks[static_cast<std::size_t>(b)].priority : 0;
    return std::make_tuple(priority, b, m.rule);  // rules point into program.rules: pointer order is source order
  };
  std::stable_sort(rules.begin(), rules.end(), [&](const RuleMatch& a, const RuleMatch& b) { return key(a) < key(b); });
}

std::string tier_label(const ir::Program& program, const ir::Rule& r) {
  if (r.tier == ir::Tier::Namespace) return "namespace";
  int b = r.tier_block;
  if (b < 0 || static_cast<std::size_t>(b) >= program.tier_blocks.size()) return std::string(ir::tier_name(r.tier));
  return fmt::format("{} priority {}", ir::tier_name(r.tier), program.tier_blocks[static_cast<std::size_t>(b)].priority);
}

RuleIndex::RuleIndex(const ir::Program& program) {
  for (const auto& r : program.rules) {
    if (r.subject.ns.kind == ir::NamespaceSel::Kind::Named) {
      by_ns_[r.subject.ns.name].push_back(&r);
    } else {
      others_.push_back(&r);
    }
  }
}

std::vector<const ir::Rule*> RuleIndex::candidates(const std::string& ns) const {
  auto it = by_ns_.find(ns);
  if (it == by_ns_.end()) return others_;
  std::vector<const ir::Rule*> out;
  out.reserve(it->second.size() + others_.size());
  // Both lists point into program.rules in order, so pointer order is source order.
  std::merge(it->second.begin(), it->second.end(), others_.begin(), others_.end(), std::back_inserter(out), std::less<const ir::Rule*>());
  return out;
}

Explanation explain(const ir::Program& program, const Endpoint& workload, const Options& options, const RuleIndex* index) {
  if (!workload.is_pod()) throw QueryError{fmt::format("{} is not a pod: explain describes a workload, NAMESPACE/NAME", workload.str())};
  std::optional<RuleIndex> own;
  if (index == nullptr) index = &own.emplace(program);
  Explanation e;
  e.workload = workload;
  e.egress = view(program, *index, ir::Direction::Egress, workload, options, e.caveats);
  e.ingress = view(program, *index, ir::Direction::Ingress, workload, options, e.caveats);
  return e;
}

std::string display(const ir::Endpoint& ep, const ir::Program& program, const Options& options) {
  std::string ns;
  std::string key_ns;
  switch (ep.ns.kind) {
    case ir::NamespaceSel::Kind::Named: {
      auto shown = options.ns_shown.find(ep.ns.name);
      ns = shown == options.ns_shown.end() ? ep.ns.name : shown->second;
      key_ns = ep.ns.name;
      break;
    }
    case ir::NamespaceSel::Kind::Selector:
      ns = fmt::format("ns[{}]", ep.ns.selector.str());
      break;
    case ir::NamespaceSel::Kind::Any:
      ns = "all namespaces";
      break;
  }
  std::string pods;
  if (ep.pods.selects_all()) {
    pods = "all pods";
  } else {
    auto key = key_for(program, key_ns, options);
    const auto& reqs = ep.pods.reqs;
    if (reqs.size() == 1 && reqs[0].op == net::SelOp::Equals && key && reqs[0].key == *key) {
      pods = reqs[0].values.at(0);
    } else {
      pods = fmt::format("pods[{}]", ep.pods.str());
    }
  }
  return ns + "/" + pods;
}

std::string display(const ir::Peer& peer, const ir::Program& program, const Options& options) {
  if (peer.kind == ir::Peer::Kind::Endpoint) return display(peer.endpoint, program, options);
  return peer.str();
}

}  // namespace fence::analyze
