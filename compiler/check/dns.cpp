// W0604 / W0605: pods that are egress-isolated but may not reach DNS (the seed's "default deny
// egress breaks all DNS" trap), or may reach it over UDP only (answers too large for a datagram
// come over TCP). A subject is isolated by its own egress statements (rule 2 of the meaning:
// a deny too); its DNS comes from the allows of any subject that has all of its pods. Every
// pod of a namespace is isolated by `default deny egress`: that is reported once, at the
// default deny, when nothing in the namespace may reach DNS at all.
//
// "DNS" is port 53 to a peer that may be a DNS server: pods that may be kube-dns, any address
// (node-local caches and upstream resolvers have addresses), the entities that include the
// cluster, or any peer whose port 53 is written out.
#include <set>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

net::LabelSelector kube_dns_pods() {
  net::LabelSelector s;
  s.add(net::Requirement{"k8s-app", net::SelOp::Equals, {"kube-dns"}});
  return s;
}

net::LabelSelector kube_system() {
  return ir::namespace_labels(ir::NamespaceSel{ir::NamespaceSel::Kind::Named, "kube-system", {}});
}

bool names_port_53(const ir::Rule& r, net::Protocol proto) {
  for (const auto& p : r.ports) {
    bool number = p.kind == net::Port::Kind::Number || p.kind == net::Port::Kind::Range;
    if (number && p.first <= 53 && p.last >= 53 && (p.protocol == proto || p.protocol == net::Protocol::Any)) return true;
  }
  return false;
}

bool may_be_dns_server(const ir::Peer& p) {
  static const auto pods = kube_dns_pods();
  static const auto ns = kube_system();
  switch (p.kind) {
    case ir::Peer::Kind::Cidr:
      return true;
    case ir::Peer::Kind::Endpoint: {
      const auto& n = p.endpoint.ns;
      bool ns_ok = n.kind == ir::NamespaceSel::Kind::Any || (n.kind == ir::NamespaceSel::Kind::Named ? n.name == "kube-system" : n.selector.overlaps(ns));
      return ns_ok && p.endpoint.pods.overlaps(pods);
    }
    case ir::Peer::Kind::Entity:
      return p.entity == "all" || p.entity == "cluster" || p.entity == "world";
    case ir::Peer::Kind::DnsName:
      return false;
    case ir::Peer::Kind::Any:
      return true;
  }
  return false;
}

bool allows_dns(const Facts& facts, std::size_t i, net::Protocol proto) {
  const auto& r = facts.program().rules[i];
  if (r.action != ir::Action::Allow || r.direction != ir::Direction::Egress) return false;
  if (!facts.ports(i).contains(proto, 53)) return false;
  if (names_port_53(r, proto)) return true;
  return std::any_of(r.peers.begin(), r.peers.end(), may_be_dns_server);
}

const char* kHintDns = "allow it, e.g. `{} may reach dns` with `import std` (kube-dns on 53/udp and 53/tcp)";

}  // namespace

void dns_reachable(Context& ctx) {
  const auto& facts = ctx.facts();
  const auto& prog = ctx.program;
  const auto& groups = facts.groups();
  // Whether each rule gives DNS over UDP (bit 0) and TCP (bit 1), once.
  std::vector<std::uint8_t> gives(prog.rules.size());
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    gives[i] = static_cast<std::uint8_t>((allows_dns(facts, i, net::Protocol::UDP) ? 1 : 0) | (allows_dns(facts, i, net::Protocol::TCP) ? 2 : 0));
  }
  // Scopes where some allow gives DNS to someone: their default deny is not the trap.
  std::set<ir::Scope> scopes_with_dns;
  // (Rules and groups of one scope mostly come together: the last one inserted is not looked up
  // again.)
  const ir::Scope* last = nullptr;
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    if (gives[i] == 0 || (last != nullptr && *last == prog.rules[i].scope)) continue;
    last = &*scopes_with_dns.insert(prog.rules[i].scope).first;
  }
  std::set<ir::Scope> scopes_with_egress;
  last = nullptr;
  for (const auto& g : groups) {
    if (g.direction != ir::Direction::Egress || (last != nullptr && *last == g.scope)) continue;
    last = &*scopes_with_egress.insert(g.scope).first;
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    if (group.direction != ir::Direction::Egress) continue;
    // The statement that isolates the subject: its first egress rule the user wrote.
    const ir::Rule* first = nullptr;
    for (auto i : group.rules) {
      if (!prog.rules[i].origin.implied) {
        first = &prog.rules[i];
        break;
      }
    }
    if (first == nullptr) continue;
    const ir::Rule* udp = nullptr;
    const ir::Rule* tcp = nullptr;
    for (auto c : facts.covering(g)) {
      for (auto i : groups[c].rules) {
        if (udp == nullptr && (gives[i] & 1) != 0) udp = &prog.rules[i];
        if (tcp == nullptr && (gives[i] & 2) != 0) tcp = &prog.rules[i];
      }
    }
    auto who = ctx.sm.text(first->subject_span);
    if (udp == nullptr && tcp != nullptr) {
      ctx.sink
          .warning(Code::W0604, tcp->origin.target,
                   fmt::format("{} may reach DNS over TCP only: resolvers ask over UDP first, so lookups fail", ctx.sm.text(tcp->subject_span)))
          .hint("allow 53/udp as well, e.g. `:{53/udp, 53/tcp}`");
    } else if (udp == nullptr) {
      bool deny_only = std::none_of(group.rules.begin(), group.rules.end(), [&](std::size_t i) { return prog.rules[i].action == ir::Action::Allow; });
      auto& d = ctx.sink.warning(Code::W0604, first->subject_span,
                                 deny_only ? fmt::format("{} may not reach DNS: this deny makes it egress-isolated, so it may reach only what is "
                                                         "allowed, and nothing is",
                                                         who)
                                           : fmt::format("{} may not reach DNS: this makes it egress-isolated, and no allow for it includes port 53", who));
      if (const auto* dd = facts.default_deny(group.scope, ir::Direction::Egress)) d.note(dd->span, "its namespace denies egress by default too");
      d.hint(fmt::format(fmt::runtime(kHintDns), who));
    } else if (tcp == nullptr) {
      // Said at the allow, about its own subject, so that subjects sharing it hear it once.
      ctx.sink
          .warning(Code::W0605, udp->origin.target,
                   fmt::format("{} may reach DNS over UDP only: answers too large for one datagram come over TCP port 53", ctx.sm.text(udp->subject_span)))
          .hint("allow 53/tcp as well, e.g. `:{53/udp, 53/tcp}`");
    }
  }
  for (const auto& dd : prog.default_denies) {
    if (!dd.egress) continue;
    if (!dd.whole()) {
      // For some pods: reported here when no group of theirs was (they have no egress statement)
      // and no allow for pods around them gives DNS.
      const auto& who = *dd.subject;
      bool has_group = std::any_of(groups.begin(), groups.end(), [&](const Facts::Group& g) {
        return g.direction == ir::Direction::Egress && g.scope == dd.scope && ir::contains(g.subject, who) && ir::contains(who, g.subject);
      });
      if (has_group) continue;
      bool udp = false;
      for (std::size_t i = 0; i < prog.rules.size() && !udp; ++i) {
        const auto& r = prog.rules[i];
        udp = (gives[i] & 1) != 0 && (r.scope == dd.scope || r.scope.cluster) && ir::contains(r.subject, who);
      }
      if (udp) continue;
      auto shown = ctx.sm.text(dd.subject_span);
      ctx.sink
          .warning(Code::W0604, dd.subject_span,
                   fmt::format("{} may not reach DNS: this isolates its egress, and no allow for it includes port 53", shown))
          .hint(fmt::format(fmt::runtime(kHintDns), shown));
      continue;
    }
    if (scopes_with_dns.count(dd.scope) > 0) continue;
    // A cluster-wide default deny is answered by DNS allowed anywhere.
    if (dd.scope.cluster && !scopes_with_dns.empty()) continue;
    // Subjects with their own egress statements are reported at those.
    if (dd.scope.cluster ? !scopes_with_egress.empty() : scopes_with_egress.count(dd.scope) > 0) continue;
    ctx.sink
        .warning(Code::W0604, dd.span,
                 fmt::format("no pod of {} may reach DNS: this isolates every pod's egress, and nothing allows port 53",
                             dd.scope.cluster ? std::string("the cluster") : dd.scope.ns))
        .hint("allow it, e.g. `all pods may reach dns` with `import std` (kube-dns on 53/udp and 53/tcp)");
  }
}

}  // namespace fence::check
