// W0620: a one-sided allow (`may send to`, `may receive from`) between pods whose other side
// certainly refuses the connection, so that it can never succeed. The other side refuses when
// every pod of the peer is isolated in the other direction (by a default deny of its namespace,
// one `for` pods that hold all of the peer's, or its own rules of that direction) and no allow
// there may admit the subject on these ports. Anything uncertain (an address block that may hold
// pods, an entity, a namespace chosen by labels, a named port) counts as "may admit": the warning
// is given only where the answer is sure.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

ir::Direction opposite(ir::Direction d) {
  return d == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
}

// Whether an allow's peers may include pods of `who`.
bool may_admit(const ir::Rule& r, const ir::Endpoint& who) {
  return std::any_of(r.peers.begin(), r.peers.end(), [&](const ir::Peer& p) {
    switch (p.kind) {
      case ir::Peer::Kind::Endpoint:
        return ir::overlaps(p.endpoint, who);
      case ir::Peer::Kind::Any:
      case ir::Peer::Kind::Cidr:    // pods have addresses
      case ir::Peer::Kind::Entity:  // some entities hold pods
        return true;
      case ir::Peer::Kind::DnsName:
        return false;
    }
    return true;
  });
}

}  // namespace

void one_side_refused(Context& ctx) {
  const auto& prog = ctx.program;
  const auto& facts = ctx.facts();
  // The rules of each namespace and direction (cluster-wide ones apply in every namespace).
  std::map<std::pair<std::string, ir::Direction>, std::vector<std::size_t>> by_ns;
  std::map<ir::Direction, std::vector<std::size_t>> cluster;
  if (std::none_of(prog.rules.begin(), prog.rules.end(), [](const ir::Rule& r) { return r.origin.one_sided; })) return;
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    const auto& r = prog.rules[i];
    (r.scope.cluster ? cluster[r.direction] : by_ns[{r.scope.ns, r.direction}]).push_back(i);
  }
  std::set<std::pair<std::uint32_t, std::string>> told;  // per statement target and peer
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    const auto& r = prog.rules[i];
    if (r.action != ir::Action::Allow || !r.origin.one_sided) continue;
    auto other = opposite(r.direction);
    for (const auto& p : r.peers) {
      if (p.kind != ir::Peer::Kind::Endpoint || p.endpoint.ns.kind != ir::NamespaceSel::Kind::Named) continue;
      const auto& far = p.endpoint;
      const auto& ns = far.ns.name;
      // Isolated for certain: why, and where it is said.
      Span isolated_by;
      std::string why;
      if (const auto* dd = facts.default_deny(ir::Scope{false, ns}, other)) {
        isolated_by = dd->span;
        why = fmt::format("namespace {} denies {} by default", ns, ir::direction_name(other));
      }
      for (const auto& dd : prog.default_denies) {
        if (isolated_by.valid()) break;
        if (dd.whole() || !dd.covers(other) || !(dd.scope.cluster || dd.scope.ns == ns) || !ir::contains(*dd.subject, far)) continue;
        isolated_by = dd.span;
        why = fmt::format("a default deny isolates its {}", ir::direction_name(other));
      }
      const auto* local = by_ns.count({ns, other}) ? &by_ns.at({ns, other}) : nullptr;
      const auto* wide = cluster.count(other) ? &cluster.at(other) : nullptr;
      for (const auto* list : {local, wide}) {
        if (list == nullptr || isolated_by.valid()) continue;
        for (auto j : *list) {
          if (!ir::contains(prog.rules[j].subject, far)) continue;
          isolated_by = prog.rules[j].origin.statement;
          why = fmt::format("its own {} rules isolate it", ir::direction_name(other));
          break;
        }
      }
      if (!isolated_by.valid()) continue;
      // Nothing there may admit the subject on these ports.
      bool admitted = false;
      for (const auto* list : {local, wide}) {
        if (list == nullptr || admitted) continue;
        for (auto j : *list) {
          const auto& a = prog.rules[j];
          if (a.action != ir::Action::Allow || !ir::overlaps(a.subject, far) || !may_admit(a, r.subject)) continue;
          if (!facts.ports(j).overlaps(facts.ports(i)) && !facts.ports(j).ambiguous_with(facts.ports(i))) continue;
          admitted = true;
          break;
        }
      }
      if (admitted || !told.insert({r.origin.target.begin, far.str()}).second) continue;
      bool send = r.direction == ir::Direction::Egress;
      auto subject = std::string(ctx.sm.text(r.subject_span));
      auto peer = p.span.valid() ? std::string(ctx.sm.text(p.span)) : far.str();
      ctx.sink
          .warning(Code::W0620, p.span.valid() ? p.span : r.origin.target,
                   fmt::format("this connection can never succeed: {} refuses it ({}, and nothing there {} {})", peer, why,
                               send ? "lets in" : "lets it reach", r.subject.str()))
          .note(isolated_by, fmt::format("{} is isolated here", peer))
          .hint(send ? fmt::format("write `may reach` to open {}'s side too, or say `{} may receive from ...` in namespace {}", peer, peer, ns)
                     : fmt::format("write `may be reached by` to open {}'s side too, or say `{} may send to ...` in namespace {}", peer, peer, ns));
    }
  }
}

}  // namespace fence::check
