#include "lower/k8s/lower.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "emit/yaml.h"
#include "ir/deny.h"
#include "lower/k8s/model.h"
#include "lower/naming.h"
#include "lower/origin.h"

namespace fence::lower::k8s {

namespace {

LabelSelector selector(const net::LabelSelector& s) {
  return to_label_selector(s);
}

LabelSelector namespace_named(const std::string& name) {
  LabelSelector s;
  s.match_labels.emplace_back("kubernetes.io/metadata.name", name);
  return s;
}

// A peer as seen from a policy in namespace `home`.
Peer peer(const ir::Peer& p, const std::string& home) {
  Peer out;
  if (p.kind == ir::Peer::Kind::Cidr) {
    IPBlock b;
    b.cidr = p.cidr.cidr.str();
    for (const auto& e : p.cidr.except) b.except.push_back(e.str());
    out.ip_block = std::move(b);
    return out;
  }
  const auto& ep = p.endpoint;
  switch (ep.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      if (ep.ns.name == home) {
        out.pod_selector = selector(ep.pods);
        return out;
      }
      out.namespace_selector = namespace_named(ep.ns.name);
      break;
    case ir::NamespaceSel::Kind::Selector:
      out.namespace_selector = selector(ep.ns.selector);
      break;
    case ir::NamespaceSel::Kind::Any:
      out.namespace_selector = LabelSelector{};
      break;
  }
  // With a namespace selector, an empty pod selector adds nothing: leave it out.
  if (!ep.pods.selects_all()) out.pod_selector = selector(ep.pods);
  return out;
}

std::vector<Port> ports(const std::vector<net::Port>& in) {
  std::vector<Port> out;
  for (const auto& p : in) {
    Port k;
    k.protocol = std::string(net::protocol_name(p.protocol));
    switch (p.kind) {
      case net::Port::Kind::All:
        break;
      case net::Port::Kind::Number:
        k.number = p.first;
        break;
      case net::Port::Kind::Range:
        k.number = p.first;
        k.end_port = p.last;
        break;
      case net::Port::Kind::Named:
        k.name = p.name;
        break;
    }
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
  }
  return out;
}

// A group's rules by ports are searched directly while they are few, like add_once's lists.
constexpr std::size_t kLinear = 16;

class Lowering {
 public:
  Lowering(const ir::Program& prog, const SourceManager& sm, const Options& opt, DiagnosticSink& sink)
      : prog_(prog), sm_(sm), opt_(opt), sink_(sink) {}

  std::vector<emit::Object> run();

 private:
  bool expressible(const ir::Rule& r);
  bool expressible(const ir::DefaultDeny& dd);
  void error_at(Code code, const ir::Rule& r, const Span& inner, std::string message, std::string hint);
  std::string origin_comment(const ir::Rule& r) const;
  // Rule 3: the allow's rules with what the denies take out; false (after reporting why) when
  // NetworkPolicy cannot say exactly that. `deny_sources` receives the denies that took something.
  // With `build` false, only reports: `out` is left alone where nothing can go wrong.
  bool lower_allow(const ir::Rule& r, const ir::DenyIndex& denies, std::vector<Rule>& out, std::vector<std::size_t>& deny_sources,
                   bool build = true);
  Rule plain_rule(const ir::Rule& r) const;
  // One namespace's objects: its allows' policies, the policies its denies need, its default denies.
  void lower_namespace(const std::string& ns, const std::vector<std::uint32_t>& allows, const std::vector<std::uint32_t>& deny_rules,
                       const std::vector<std::uint32_t>& default_denies, const ir::DenyIndex& deny_index, std::vector<emit::Object>& out);
  bool report_conflict(const ir::Rule& allow, const ir::Remainder::Conflict& c);
  const ir::Rule& rule_at(std::size_t i) const { return prog_.rules.at(i); }

  const ir::Program& prog_;
  const SourceManager& sm_;
  const Options& opt_;
  DiagnosticSink& sink_;
  bool tier_reported(const ir::Rule& r);
  std::set<std::pair<FileId, std::uint32_t>> tier_statements_;  // reported by tier_reported
};

void Lowering::error_at(Code code, const ir::Rule& r, const Span& inner, std::string message, std::string hint) {
  auto& d = sink_.error(code, r.origin.target.valid() ? r.origin.target : r.origin.statement, std::move(message));
  if (inner.valid() && !(inner == r.origin.target)) d.note(inner, "defined here");
  if (!hint.empty()) d.hint(std::move(hint));
}

// A statement of an `admin` or `baseline` block: the target has no tiers. Reported once per
// statement; always false.
bool Lowering::tier_reported(const ir::Rule& r) {
  if (!tier_statements_.insert({r.origin.statement.file, r.origin.statement.begin}).second) return false;
  const char* word = r.tier == ir::Tier::Admin ? "an `admin`" : "a `baseline`";
  auto& d = sink_.error(Code::E0411, r.origin.statement, fmt::format("a statement of {} block cannot be expressed as a Kubernetes NetworkPolicy, which has no tiers", word));
  if (r.tier_block >= 0 && static_cast<std::size_t>(r.tier_block) < prog_.tier_blocks.size()) {
    d.note(prog_.tier_blocks[static_cast<std::size_t>(r.tier_block)].span, fmt::format("the {} block is here", r.tier == ir::Tier::Admin ? "admin" : "baseline"));
  }
  d.hint("compile with --target cnp (ClusterNetworkPolicy) or --target calico, which have tiers");
  return false;
}

bool Lowering::expressible(const ir::Rule& r) {
  if (r.origin.implied) return true;  // its statement's own rule reports any problem once
  if (r.tier != ir::Tier::Namespace) return tier_reported(r);
  bool ok = true;
  if (r.scope.cluster) {
    sink_
        .error(Code::E0404, r.origin.statement,
               "a cluster-wide statement cannot be expressed as a Kubernetes NetworkPolicy, which lives in one namespace")
        .hint("compile with --target cilium for a CiliumClusterwideNetworkPolicy, or repeat the statement in each namespace block");
    return false;
  }
  // A deny's DNS names and entities need nothing in NetworkPolicy unless an allow admits what
  // they may stand for; lower_allow reports that case (E0406).
  bool deny = r.action == ir::Action::Deny;
  for (const auto& p : r.peers) {
    if (deny) break;
    if (p.kind == ir::Peer::Kind::DnsName) {
      error_at(Code::E0401, r, p.span, fmt::format("NetworkPolicy cannot match the DNS name '{}': it matches addresses and pods only", p.dns),
               "compile with --target cilium (toFQDNs), write the service's CIDR, or give each target its own value: `let api for k8s = CIDR:PORT` and `let api for cilium = NAME:PORT`");
      ok = false;
    } else if (p.kind == ir::Peer::Kind::Entity) {
      error_at(Code::E0403, r, p.span, fmt::format("NetworkPolicy has no entity '{}': entities are Cilium's", p.entity),
               "compile with --target cilium, or write the CIDR the entity stands for (each target its own value: `let x for k8s = CIDR` and `let x for cilium = entity NAME`)");
      ok = false;
    }
  }
  for (const auto& p : r.ports) {
    if (p.protocol == net::Protocol::Any) {
      error_at(Code::E0405, r, Span{}, fmt::format("NetworkPolicy has no protocol `any` (in {})", p.str()),
               "list the protocols, e.g. :{53/udp, 53/tcp}, or compile with --target cilium");
      ok = false;
    }
  }
  if (!r.http.empty() && deny) {
    // Degrading a deny to its ports would deny every request on them, not the ones written.
    error_at(Code::E0402, r, r.http.front().span, "NetworkPolicy cannot express HTTP rules, and a deny of the whole port would refuse more than this says",
             "compile with --target cilium");
    ok = false;
  } else if (!r.http.empty()) {
    if (opt_.allow_l4_fallback) {
      sink_.warning(Code::W0407, r.origin.target, "HTTP rules are dropped for NetworkPolicy: this allows every request on these ports")
          .note(r.http.front().span, "the rules are here")
          .hint("--target cilium enforces them");
    } else {
      error_at(Code::E0402, r, r.http.front().span, "NetworkPolicy cannot express HTTP rules: it stops at ports",
               "compile with --target cilium, or pass --allow-l4-fallback to allow the whole port, with a warning");
      ok = false;
    }
  }
  return ok;
}

bool Lowering::expressible(const ir::DefaultDeny& dd) {
  if (!dd.scope.cluster) return true;
  sink_.error(Code::E0404, dd.span, "a cluster-wide default deny cannot be expressed as a Kubernetes NetworkPolicy")
      .hint("compile with --target cilium, or write `default deny` in each namespace block");
  return false;
}

std::string Lowering::origin_comment(const ir::Rule& r) const {
  return lower::origin_comment(sm_, r);
}

Rule Lowering::plain_rule(const ir::Rule& r) const {
  Rule rule;
  rule.every_peer = std::any_of(r.peers.begin(), r.peers.end(), [](const ir::Peer& p) { return p.kind == ir::Peer::Kind::Any; });
  for (const auto& p : r.peers) {
    if (rule.every_peer) break;
    auto kp = peer(p, r.scope.ns);
    if (std::find(rule.peers.begin(), rule.peers.end(), kp) == rule.peers.end()) rule.peers.push_back(std::move(kp));
  }
  rule.ports = ports(r.ports);
  rule.origins.push_back(origin_comment(r));
  return rule;
}

bool Lowering::report_conflict(const ir::Rule& allow, const ir::Remainder::Conflict& c) {
  using Kind = ir::Remainder::Conflict::Kind;
  const auto& deny = rule_at(c.deny_rule);
  Span where = c.deny_peer != nullptr && c.deny_peer->span.valid() ? c.deny_peer->span : deny.origin.target;
  // The allow's target in its statement (a peer's own span may lie in a definition elsewhere).
  Span allowed = allow.origin.target;
  std::string what = c.deny_peer != nullptr ? c.deny_peer->str() : one_line(sm_.text(deny.origin.target));
  const char* cilium = "compile with --target cilium, which has egressDeny and ingressDeny";
  Diagnostic* d = nullptr;
  switch (c.kind) {
    case Kind::Selector:
      d = &sink_.error(Code::E0406, where,
                       fmt::format("NetworkPolicy cannot deny {}: an allow admits pods that include some of these, and it has no way to take "
                                   "pods out of a selector",
                                   what));
      d->hint(std::string(cilium) + ", or narrow the allow so that it leaves these pods out");
      break;
    case Kind::DnsName:
      d = &sink_.error(Code::E0406, where,
                       fmt::format("NetworkPolicy cannot deny the DNS name '{}': an allow admits addresses it may resolve to", c.deny_peer->dns));
      d->hint(std::string(cilium) + ", or deny the name's CIDRs");
      break;
    case Kind::Entity:
      d = &sink_.error(Code::E0406, where, fmt::format("NetworkPolicy cannot deny the entity '{}': an allow admits peers it may cover", c.deny_peer->entity));
      d->hint(std::string(cilium) + ", or deny the CIDRs the entity stands for");
      break;
    case Kind::PodAddresses: {
      auto pods = net::CidrSet::of(prog_.pod_cidrs).str();
      if (c.deny_peer == nullptr) {
        // Denied addresses that include pods, which an allow admits by selector.
        d = &sink_.error(Code::E0406, where,
                         fmt::format("NetworkPolicy cannot deny {}: it includes the pod CIDRs ({}), so it denies pods that an allow admits by "
                                     "selector ({}), and a selector has no except",
                                     what, pods, c.allow_peer != nullptr ? c.allow_peer->str() : std::string("pods")));
        d->hint(fmt::format("if pods are not meant, leave them out: `{} except {}`; otherwise {}", what, pods, cilium));
      } else {
        // Denied pods, whose addresses an allow admits by CIDR.
        d = &sink_.error(Code::E0406, where,
                         fmt::format("NetworkPolicy cannot deny {}: an allow admits the pod CIDRs ({}) by address, and cannot take pods chosen by "
                                     "selector out of an ipBlock",
                                     what, pods));
        d->hint(fmt::format("leave the pod CIDRs out of the allow (`... except {}`), or {}", pods, cilium));
      }
      break;
    }
    case Kind::NamedPort:
      d = &sink_.error(Code::E0408, deny.origin.target,
                       fmt::format("NetworkPolicy cannot take this deny's ports ({}) from the allow's ({}): a named port is a number only the "
                                   "destination pod knows, so Fence cannot tell which ports are left",
                                   net::PortSet::of(deny.ports).str(), net::PortSet::of(allow.ports).str()));
      d->hint("write port numbers on both sides, or compile with --target cilium");
      break;
    case Kind::SubjectSplit:
      d = &sink_.error(Code::E0410, deny.origin.target,
                       fmt::format("this deny is for {}, which is only some of the pods of an allow for {}: NetworkPolicy writes one policy per "
                                   "subject and cannot take the deny from some of its pods only",
                                   deny.subject.str(), allow.subject.str()));
      d->hint(std::string(cilium) + ", or write the allow for the denied pods and for the others as separate statements");
      break;
  }
  d->note(allowed, allow.origin.implied ? "the allow is the other side of this statement" : "the allow is here");
  return false;
}

bool Lowering::lower_allow(const ir::Rule& r, const ir::DenyIndex& denies, std::vector<Rule>& out, std::vector<std::size_t>& deny_sources,
                           bool build) {
  if (denies.empty()) {
    if (build) out.push_back(plain_rule(r));
    return true;
  }
  auto cidrs = ir::peer_addresses(r.peers);
  auto port_set = net::PortSet::of(r.ports);
  if (!denies.touches(r, cidrs, port_set)) {
    if (build) out.push_back(plain_rule(r));
    return true;
  }
  auto rem = ir::subtract(denies, r, cidrs, port_set);
  if (!rem.conflicts.empty()) {
    // One error per deny and kind is enough to explain the problem.
    std::set<std::pair<std::size_t, int>> told;
    for (const auto& c : rem.conflicts) {
      if (told.insert({c.deny_rule, static_cast<int>(c.kind)}).second) report_conflict(r, c);
    }
    return false;
  }
  if (!rem.changed()) {
    if (build) out.push_back(plain_rule(r));
    return true;
  }
  deny_sources = rem.takers(prog_);
  std::vector<std::string> minus;
  for (auto i : deny_sources) {
    auto w = line_of(sm_, rule_at(i).origin.statement);
    if (std::find(minus.begin(), minus.end(), w) == minus.end()) minus.push_back(w);
  }
  auto comment = fmt::format("{}, less what {} denies", origin_comment(r), fmt::join(minus, ", "));
  // `anything` with something denied: its pods (every namespace's) where the denies left them, and
  // the addresses left, as ipBlocks of each family; the rule's other peers are among these.
  bool any = std::any_of(r.peers.begin(), r.peers.end(), [](const ir::Peer& p) { return p.kind == ir::Peer::Kind::Any; });
  for (const auto& piece : rem.pieces) {
    if (piece.empty()) continue;
    Rule rule;
    if (any) {
      bool pods_kept = std::any_of(piece.kept.begin(), piece.kept.end(), [](const ir::Peer* p) { return p->kind == ir::Peer::Kind::Any; });
      if (pods_kept) {
        Peer all_pods;
        all_pods.namespace_selector = LabelSelector{};
        rule.peers.push_back(std::move(all_pods));
      } else {
        for (const auto* p : piece.kept) {
          auto kp = peer(*p, r.scope.ns);
          if (std::find(rule.peers.begin(), rule.peers.end(), kp) == rule.peers.end()) rule.peers.push_back(std::move(kp));
        }
      }
      for (const char* family : {"0.0.0.0/0", "::/0"}) {
        auto whole = *net::parse_cidr(family).cidr;
        auto left = piece.cidrs.intersect(net::CidrSet(whole));
        if (left.empty()) continue;
        for (auto& b : left.to_blocks(whole)) {
          Peer kp;
          kp.ip_block = IPBlock{b.cidr.str(), {}};
          for (const auto& e : b.except) kp.ip_block->except.push_back(e.str());
          rule.peers.push_back(std::move(kp));
        }
      }
    }
    for (const auto& p : r.peers) {
      if (any) break;
      if (p.kind != ir::Peer::Kind::Cidr) {
        if (std::find(piece.kept.begin(), piece.kept.end(), &p) == piece.kept.end()) continue;
        auto kp = peer(p, r.scope.ns);
        if (std::find(rule.peers.begin(), rule.peers.end(), kp) == rule.peers.end()) rule.peers.push_back(std::move(kp));
        continue;
      }
      auto mine = ir::peer_addresses(p);
      auto left = mine.intersect(piece.cidrs);
      if (left.empty()) continue;
      std::vector<ir::CidrBlock> blocks;
      if (left == mine) {
        blocks.push_back(p.cidr);
      } else {
        for (auto& b : left.to_blocks(p.cidr.cidr)) blocks.push_back(ir::CidrBlock{b.cidr, std::move(b.except)});
      }
      for (auto& b : blocks) {
        ir::Peer q = p;
        q.cidr = std::move(b);
        auto kp = peer(q, r.scope.ns);
        if (std::find(rule.peers.begin(), rule.peers.end(), kp) == rule.peers.end()) rule.peers.push_back(std::move(kp));
      }
    }
    if (piece.ports == rem.ports) {
      rule.ports = ports(r.ports);  // the ports as written, in their order
    } else if (auto list = piece.ports.to_ports()) {
      rule.ports = ports(*list);
    } else {
      // The denies took these peers on some ports; on the others they stay allowed, and "every
      // protocol but these ports" has no port list.
      Span at = r.origin.target;
      if (!deny_sources.empty()) at = rule_at(deny_sources.front()).origin.target;
      net::CidrSet taken;
      for (const auto& other : rem.pieces) taken = taken.unite(other.lost_cidrs);
      sink_
          .error(Code::E0409, at,
                 fmt::format("NetworkPolicy cannot allow {} on every protocol but {}: a rule with ports matches TCP, UDP and SCTP only, so "
                             "the other protocols (ICMP among them) would be lost",
                             taken.empty() ? std::string("these peers") : taken.str(), net::PortSet::all().minus(piece.ports).str()))
          .note(r.origin.target, "the allow of every protocol is here")
          .hint("give the allow its protocols, e.g. `:{*/tcp, */udp}`; or deny every port of these peers; or compile with --target cilium");
      return false;
    }
    rule.origins.push_back(comment);
    out.push_back(std::move(rule));
  }
  return true;
}

std::vector<emit::Object> Lowering::run() {
  ir::DenyIndex deny_index(prog_);
  std::vector<Rule> lowered;  // reused from rule to rule
  std::vector<std::size_t> deny_sources;

  // First what the target cannot express, in program order, with nothing built: errors in rules
  // end the lowering (before the default denies are looked at).
  bool ok = true;
  for (const auto& r : prog_.rules) {
    bool rule_ok = expressible(r);
    if (rule_ok && !r.scope.cluster && r.action == ir::Action::Allow) {
      deny_sources.clear();
      rule_ok = lower_allow(r, deny_index, lowered, deny_sources, false);  // reports what the denies make inexpressible
    }
    ok = rule_ok && ok;
  }
  if (!ok) return {};
  for (const auto& dd : prog_.default_denies) ok = expressible(dd) && ok;
  if (!ok || opt_.diagnostics_only) return {};

  // Then the objects, one namespace at a time (in name order, as they are written), so that only
  // one namespace's policies are being built at any time. A namespace's rules come from all over
  // the program (the ingress side of another namespace's `may reach`): they are gathered first,
  // each namespace's in program order.
  struct Work {
    std::vector<std::uint32_t> allows;
    std::vector<std::uint32_t> denies;
    std::vector<std::uint32_t> default_denies;
  };
  std::map<std::string_view, Work> by_ns;
  {
    Work* last = nullptr;
    std::string_view last_ns;
    auto work = [&](const std::string& ns) -> Work& {
      if (last == nullptr || last_ns != ns) {
        last = &by_ns[ns];
        last_ns = ns;
      }
      return *last;
    };
    for (std::size_t i = 0; i < prog_.rules.size(); ++i) {
      const auto& r = prog_.rules[i];
      if (r.scope.cluster) continue;
      auto& w = work(r.scope.ns);
      (r.action == ir::Action::Deny ? w.denies : w.allows).push_back(static_cast<std::uint32_t>(i));
    }
    for (std::size_t i = 0; i < prog_.default_denies.size(); ++i) work(prog_.default_denies[i].scope.ns).default_denies.push_back(static_cast<std::uint32_t>(i));
  }

  std::vector<emit::Object> out;
  for (const auto& [ns_view, w] : by_ns) {
    std::string ns(ns_view);
    lower_namespace(ns, w.allows, w.denies, w.default_denies, deny_index, out);
  }
  return out;
}

void Lowering::lower_namespace(const std::string& ns, const std::vector<std::uint32_t>& allows, const std::vector<std::uint32_t>& deny_rules,
                               const std::vector<std::uint32_t>& default_denies, const ir::DenyIndex& deny_index, std::vector<emit::Object>& out) {
  struct Group {
    NetworkPolicy policy;
    ir::Endpoint subject;
    ir::Direction direction;
    std::vector<Span> origins;  // the statements behind the policy
    // Indexes that keep merging linear in the rules of a group (thousands, in a big namespace).
    // Each stays empty while its list is short (kLinear), which a look through serves faster,
    // and with no allocation: most groups have a few rules of a few peers.
    std::unordered_set<std::string> sources_seen;  // what policy.sources holds
    std::map<std::vector<Port>, std::size_t> rule_with_ports;  // -> place in the direction's rules
    std::vector<std::set<Peer>> peers_seen;                     // per rule, as the rules
    std::vector<std::unordered_set<std::string>> origins_seen;
  };
  // The namespace's groups in order of appearance. A deque: a Group (hash sets, maps) was copied,
  // not moved, each time a vector of them grew.
  std::deque<Group> groups;
  ir::SubjectTable group_index;
  const ir::Scope scope{false, ns};

  auto find_group = [&](const ir::Endpoint& subject, ir::Direction dir) -> Group& {
    auto [number, fresh] = group_index.insert(scope, dir, subject);
    if (!fresh) return groups[number];
    Group g;
    g.subject = subject;
    g.direction = dir;
    g.policy.ns = ns;
    g.policy.pod_selector = selector(subject.pods);
    g.policy.egress_type = dir == ir::Direction::Egress;
    g.policy.ingress_type = dir == ir::Direction::Ingress;
    groups.push_back(std::move(g));
    return groups.back();
  };
  auto add_source = [&](Group& g, const ir::Rule& r) {
    auto src = line_of(sm_, r.origin.statement);
    lower::add_source(g.policy.sources, g.sources_seen, src);
    // Statements come in order: the last one repeats when a statement has several targets.
    if (g.origins.empty() || !(g.origins.back() == r.origin.statement)) g.origins.push_back(r.origin.statement);
  };

  std::vector<Rule> lowered;  // reused from rule to rule
  std::vector<std::size_t> deny_sources;
  for (auto i : allows) {
    const auto& r = rule_at(i);
    lowered.clear();
    deny_sources.clear();
    lower_allow(r, deny_index, lowered, deny_sources);  // the first pass found nothing to report
    // The policy exists even when the denies took the whole rule: it still isolates its pods.
    auto& g = find_group(r.subject, r.direction);
    auto& rules = r.direction == ir::Direction::Egress ? g.policy.egress : g.policy.ingress;
    add_source(g, r);
    for (auto d : deny_sources) add_source(g, rule_at(d));
    for (auto& rule : lowered) {
      // Rules with the same ports merge into one: their peers are alternatives either way.
      std::size_t at = 0;
      bool fresh = false;
      if (g.rule_with_ports.empty() && rules.size() < kLinear) {
        at = static_cast<std::size_t>(std::find_if(rules.begin(), rules.end(), [&](const Rule& x) { return x.ports == rule.ports; }) - rules.begin());
        fresh = at == rules.size();
      } else {
        if (g.rule_with_ports.empty()) {
          for (std::size_t k = 0; k < rules.size(); ++k) g.rule_with_ports.emplace(rules[k].ports, k);
        }
        auto [it, inserted] = g.rule_with_ports.try_emplace(rule.ports, rules.size());
        at = it->second;
        fresh = inserted;
      }
      if (fresh) {
        rules.emplace_back();
        rules.back().ports = std::move(rule.ports);
        g.peers_seen.emplace_back();
        g.origins_seen.emplace_back();
      }
      auto& merged = rules[at];
      if (rule.every_peer) {
        // Every peer takes in the peers merged before and after it.
        merged.every_peer = true;
        merged.peers.clear();
      }
      for (auto& p : rule.peers) {
        if (merged.every_peer) break;
        add_once(merged.peers, g.peers_seen[at], std::move(p));
      }
      for (auto& o : rule.origins) add_once(merged.origins, g.origins_seen[at], std::move(o));
    }
  }
  // Rule 2 holds for denies too: a deny isolates its subject in its direction. Where nothing
  // else does (no default deny, no policy for these pods or more), a policy with no rules does:
  // the subject may then reach nothing, which the check W0604 points out when DNS is among it.
  if (!deny_rules.empty()) {
    std::map<ir::Direction, ir::ContainmentIndex> policies;  // the allows' groups, by subject
    for (std::size_t i = 0; i < groups.size(); ++i) policies[groups[i].direction].add(groups[i].subject, i);
    for (auto i : deny_rules) {
      const auto& d = rule_at(i);
      if (prog_.namespace_denies(ns, d.direction)) continue;
      auto& index = policies[d.direction];
      if (!index.containing(d.subject).empty()) continue;
      add_source(find_group(d.subject, d.direction), d);
      index.add(d.subject, groups.size() - 1);  // it isolates narrower denied subjects too
    }
  }

  // Default denies, one object per distinct directions.
  std::vector<NetworkPolicy> objects;
  for (auto i : default_denies) {
    const auto& dd = prog_.default_denies[i];
    if (!dd.whole()) {
      // For some pods: the policy that selects them, with the policy type and no rule (merged
      // with their own rules of that direction, which isolate them the same way).
      for (auto dir : {ir::Direction::Ingress, ir::Direction::Egress}) {
        if (!dd.covers(dir)) continue;
        auto& g = find_group(*dd.subject, dir);
        lower::add_source(g.policy.sources, g.sources_seen, line_of(sm_, dd.span));
        g.origins.push_back(dd.span);
      }
      continue;
    }
    NetworkPolicy p;
    p.ns = dd.scope.ns;
    p.egress_type = dd.egress;
    p.ingress_type = dd.ingress;
    p.name = dd.egress && dd.ingress ? "default-deny-all" : dd.egress ? "default-deny-egress" : "default-deny-ingress";
    auto src = line_of(sm_, dd.span);
    auto same = std::find_if(objects.begin(), objects.end(), [&](const NetworkPolicy& x) { return x.name == p.name; });
    if (same != objects.end()) {
      if (std::find(same->sources.begin(), same->sources.end(), src) == same->sources.end()) same->sources.push_back(src);
      same->origins.push_back(dd.span);
      continue;
    }
    p.sources.push_back(src);
    p.origins.push_back(dd.span);
    objects.push_back(std::move(p));
  }

  std::set<std::string> reserved;
  for (const auto& d : objects) reserved.insert(d.name);
  // Names: the subject's slug and the direction; where two differ only in what the slug lost,
  // both get a hash of their selector.
  std::map<std::string, int> count;
  std::vector<std::string> base;
  for (const auto& g : groups) {
    base.push_back(fmt::format("{}-{}", subject_slug(g.subject.pods), ir::direction_name(g.direction)));
    ++count[base.back()];
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    auto& p = groups[i].policy;
    p.origins = std::move(groups[i].origins);
    p.name = base[i];
    if (count[base[i]] > 1 || reserved.count(base[i])) {
      p.name = fmt::format("{}-{}", base[i], short_hash(groups[i].subject.pods.str()));
    }
    cap_sources(p.sources);
    objects.push_back(std::move(p));
  }
  // The groups and their indexes are done with: free them before the objects are written.
  std::deque<Group>().swap(groups);
  for (auto& p : objects) {
    out.push_back(to_object(p));
    emit::seal(out.back());
    p = NetworkPolicy{};
  }
}

}  // namespace

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink) {
  Lowering l(program, sm, options, sink);
  return l.run();
}

}  // namespace fence::lower::k8s
