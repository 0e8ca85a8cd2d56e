// Checks of tier blocks (docs/tiers.md):
//   W0640  an admin `must not` takes away everything a namespace's `may` admits: the namespace's
//          statement never takes effect there, since the admin tier decides first.
//   W0641  a baseline statement that never applies: every pod it is about is isolated by namespace
//          policies in its direction (so the baseline is never consulted for them), or an admin
//          rule decides every connection it is about first.
//   W0642  two blocks of one tier with the same priority whose rules' subjects overlap: the order
//          between them is undefined (ClusterNetworkPolicy leaves it so).
// Only certain findings are reported: an earlier admin allow or defer that might let a connection
// past an admin deny silences W0640 for it, and W0641 wants containment, not overlap.
#include <map>
#include <set>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

const ir::TierBlock* block_of(const ir::Program& p, const ir::Rule& r) {
  if (r.tier_block < 0 || static_cast<std::size_t>(r.tier_block) >= p.tier_blocks.size()) return nullptr;
  return &p.tier_blocks[static_cast<std::size_t>(r.tier_block)];
}

std::string label(const ir::Program& p, const ir::Rule& r) {
  const auto* b = block_of(p, r);
  return b == nullptr ? std::string(ir::tier_name(r.tier)) : fmt::format("{} priority {}", ir::tier_name(r.tier), b->priority);
}

// The order of evaluation of two rules of one tier: by priority, then block, then source order.
bool before(const ir::Program& p, const ir::Rule& a, const ir::Rule& b) {
  const auto* ba = block_of(p, a);
  const auto* bb = block_of(p, b);
  int pa = ba ? ba->priority : 0, pb = bb ? bb->priority : 0;
  if (pa != pb) return pa < pb;
  if (a.tier_block != b.tier_block) return a.tier_block < b.tier_block;
  return &a < &b;
}

// Every peer `inner` stands for, `outer` stands for too (certainly; false when unsure).
bool peer_covers(const ir::Peer& outer, const ir::Peer& inner) {
  if (outer.kind == ir::Peer::Kind::Any) return true;
  if (outer.kind != inner.kind) return false;
  switch (outer.kind) {
    case ir::Peer::Kind::Endpoint:
      return ir::contains(outer.endpoint, inner.endpoint);
    case ir::Peer::Kind::Cidr: {
      auto o = ir::peer_addresses(outer);
      auto i = ir::peer_addresses(inner);
      return o.contains(i);
    }
    case ir::Peer::Kind::DnsName:
      return outer.dns == inner.dns;
    case ir::Peer::Kind::Entity:
      return outer.entity == inner.entity;
    case ir::Peer::Kind::Any:
      return true;
  }
  return false;
}

bool peers_cover(const std::vector<ir::Peer>& outer, const std::vector<ir::Peer>& inner) {
  for (const auto& i : inner) {
    if (std::none_of(outer.begin(), outer.end(), [&](const ir::Peer& o) { return peer_covers(o, i); })) return false;
  }
  return true;
}

bool ports_cover(const std::vector<net::Port>& outer, const std::vector<net::Port>& inner) {
  auto o = outer.empty() ? net::PortSet::all() : net::PortSet::of(outer);
  auto i = inner.empty() ? net::PortSet::all() : net::PortSet::of(inner);
  return o.contains(i) && !o.ambiguous_with(i);
}

bool peers_overlap_roughly(const std::vector<ir::Peer>& a, const std::vector<ir::Peer>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (x.kind == ir::Peer::Kind::Any || y.kind == ir::Peer::Kind::Any) return true;
      if (x.kind != y.kind) {
        // An address and pods may meet (pods have addresses); DNS names and entities may stand for anything.
        if (x.kind == ir::Peer::Kind::Endpoint && y.kind == ir::Peer::Kind::Endpoint) continue;
        return true;
      }
      if (x.kind == ir::Peer::Kind::Endpoint && !ir::overlaps(x.endpoint, y.endpoint)) continue;
      if (x.kind == ir::Peer::Kind::Cidr && !ir::peer_addresses(x).overlaps(ir::peer_addresses(y))) continue;
      return true;
    }
  }
  return false;
}

// W0640
void admin_cancels_namespace(Context& ctx) {
  const auto& prog = ctx.program;
  // The admin denies that nothing earlier in the admin tier could let a connection past: no
  // admin allow or defer of that direction before them has a subject that overlaps theirs.
  ir::Program denies;
  denies.pod_cidrs = prog.pod_cidrs;
  denies.service_cidrs = prog.service_cidrs;
  std::vector<const ir::Rule*> origin;  // per rule of `denies`
  for (const auto& d : prog.rules) {
    if (d.tier != ir::Tier::Admin || d.action != ir::Action::Deny) continue;
    bool shadowed = std::any_of(prog.rules.begin(), prog.rules.end(), [&](const ir::Rule& e) {
      return e.tier == ir::Tier::Admin && e.action != ir::Action::Deny && e.direction == d.direction && before(prog, e, d) &&
             ir::overlaps(e.subject, d.subject) && peers_overlap_roughly(e.peers, d.peers);
    });
    if (shadowed) continue;
    ir::Rule copy = d;
    copy.tier = ir::Tier::Namespace;
    copy.tier_block = -1;
    copy.scope = ir::Scope{true, {}};
    denies.rules.push_back(std::move(copy));
    origin.push_back(&d);
  }
  if (denies.rules.empty()) return;
  ir::DenyIndex index(denies, false);
  for (const auto& a : prog.rules) {
    if (a.tier != ir::Tier::Namespace || a.action != ir::Action::Allow || a.origin.implied) continue;
    if (in_stdlib(ctx.sm, a.origin.statement)) continue;
    auto rem = ir::subtract(index, a);
    if (!rem.nothing_left()) continue;
    auto takers = rem.takers(denies);
    if (takers.empty()) continue;
    const auto& first = *origin[takers.front()];
    auto& diag = ctx.sink.warning(Code::W0640, a.origin.target,
                                  fmt::format("everything this allows is refused first by {}: the admin tier decides before the namespace's "
                                              "policies, so this never takes effect",
                                              label(prog, first)));
    diag.note(first.origin.target, fmt::format("the {} deny is here", label(prog, first)));
    for (std::size_t k = 1; k < takers.size() && k < 3; ++k) diag.note(origin[takers[k]]->origin.target, "and this admin deny");
    diag.hint("remove the allow, or make the admin tier `defer` these connections to the namespaces");
  }
}

// Whether namespace policies isolate every pod of `subject` in direction `d`.
bool isolated_by_namespaces(const ir::Program& prog, const ir::Endpoint& subject, ir::Direction d) {
  if (prog.denies(ir::Scope{true, {}}, d)) return true;
  if (subject.ns.kind == ir::NamespaceSel::Kind::Named && prog.namespace_denies(subject.ns.name, d)) return true;
  for (const auto& dd : prog.default_denies) {
    if (dd.covers(d) && dd.subject && ir::contains(*dd.subject, subject)) return true;
  }
  return std::any_of(prog.rules.begin(), prog.rules.end(),
                     [&](const ir::Rule& r) { return r.tier == ir::Tier::Namespace && r.direction == d && ir::contains(r.subject, subject); });
}

// W0641
void baseline_never_applies(Context& ctx) {
  const auto& prog = ctx.program;
  std::set<std::pair<FileId, std::uint32_t>> reported;
  for (const auto& b : prog.rules) {
    if (b.tier != ir::Tier::Baseline || b.origin.implied) continue;
    if (in_stdlib(ctx.sm, b.origin.statement)) continue;
    std::string why;
    Span note;
    std::string note_text;
    if (isolated_by_namespaces(prog, b.subject, b.direction)) {
      why = fmt::format("the namespaces' own policies isolate {} in {}, so the baseline is never consulted for them", describe_pods(b.subject),
                        ir::direction_name(b.direction));
    } else {
      // An admin allow or deny that decides every connection this rule is about, with no defer of
      // that direction anywhere in the admin tier for the same pods.
      bool defers = std::any_of(prog.rules.begin(), prog.rules.end(), [&](const ir::Rule& e) {
        return e.tier == ir::Tier::Admin && e.action == ir::Action::Pass && e.direction == b.direction && ir::overlaps(e.subject, b.subject);
      });
      if (defers) continue;
      for (const auto& a : prog.rules) {
        if (a.tier != ir::Tier::Admin || a.action == ir::Action::Pass || a.direction != b.direction) continue;
        if (!ir::contains(a.subject, b.subject) || !peers_cover(a.peers, b.peers) || !ports_cover(a.ports, b.ports)) continue;
        why = fmt::format("{} decides every connection it is about first", label(prog, a));
        note = a.origin.target;
        note_text = fmt::format("the {} rule is here", label(prog, a));
        break;
      }
    }
    if (why.empty()) continue;
    if (!reported.insert({b.origin.target.file, b.origin.target.begin}).second) continue;
    auto& d = ctx.sink.warning(Code::W0641, b.origin.target, fmt::format("this baseline statement never applies: {}", why));
    if (note.valid()) d.note(note, note_text);
    d.hint("remove it, or move it to the admin tier if it must hold whatever the namespaces say");
  }
}

// W0642
void priority_ties(Context& ctx) {
  const auto& prog = ctx.program;
  std::set<std::pair<int, int>> reported;
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    const auto& a = prog.rules[i];
    if (a.tier == ir::Tier::Namespace || a.tier_block < 0) continue;
    for (std::size_t j = i + 1; j < prog.rules.size(); ++j) {
      const auto& b = prog.rules[j];
      if (b.tier != a.tier || b.tier_block <= a.tier_block || b.direction != a.direction) continue;
      const auto* ba = block_of(prog, a);
      const auto* bb = block_of(prog, b);
      if (ba == nullptr || bb == nullptr || ba->priority != bb->priority) continue;
      if (!ir::overlaps(a.subject, b.subject)) continue;
      if (!reported.insert({a.tier_block, b.tier_block}).second) continue;
      auto& d = ctx.sink.warning(Code::W0642, bb->priority_span.valid() ? bb->priority_span : bb->span,
                                 fmt::format("two {} blocks have priority {} and both apply to {}: which is evaluated first is undefined",
                                             ir::tier_name(a.tier), ba->priority, describe_pods(b.subject)));
      d.note(ba->priority_span.valid() ? ba->priority_span : ba->span, "the other block is here");
      d.note(a.origin.target, "its statement is about the same pods");
      d.hint("give each block its own priority");
    }
  }
}

}  // namespace

void tiers(Context& ctx) {
  if (ctx.program.tier_blocks.empty()) return;
  admin_cancels_namespace(ctx);
  baseline_never_applies(ctx);
  priority_ties(ctx);
}

}  // namespace fence::check
