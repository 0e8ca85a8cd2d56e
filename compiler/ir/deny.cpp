#include "ir/deny.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace fence::ir {

namespace {

constexpr const char* kNamespaceNameLabel = "kubernetes.io/metadata.name";

// Entities that may include pods a selector names (the others are outside the cluster, or nodes).
bool may_hold_pods(const Peer& entity) {
  return entity.entity == "all" || entity.entity == "cluster" || entity.entity == "unmanaged" || entity.entity == "init";
}

bool same_entity_or_all(const Peer& deny, const Peer& allow) {
  return deny.entity == allow.entity || deny.entity == "all";
}

// `anything` as pods: every pod of every namespace.
const Endpoint& every_pod() {
  static const Endpoint e{NamespaceSel{NamespaceSel::Kind::Any, {}, {}}, {}};
  return e;
}

// Whether a denied peer takes an allowed one entirely (for the kinds compared peer by peer). An
// allowed `anything` is compared as its pods; its addresses are compared as addresses.
bool covers_peer(const Peer& deny, const Peer& allow) {
  if (deny.kind == Peer::Kind::Any) return true;
  if (allow.kind == Peer::Kind::Any) {
    if (deny.kind == Peer::Kind::Endpoint) return contains(deny.endpoint, every_pod());
    return deny.kind == Peer::Kind::Entity && deny.entity == "all";
  }
  if (deny.kind != allow.kind) return false;
  switch (deny.kind) {
    case Peer::Kind::Endpoint:
      return contains(deny.endpoint, allow.endpoint);
    case Peer::Kind::DnsName:
      return deny.dns == allow.dns;
    case Peer::Kind::Entity:
      return same_entity_or_all(deny, allow);
    case Peer::Kind::Cidr:
    case Peer::Kind::Any:
      return false;
  }
  return false;
}

// Whether a deny CIDR set or peer may meet the pods an endpoint stands for: only the program's
// declared pod CIDRs tell which addresses pods have.
bool pod_addresses_meet(const net::CidrSet& pods, const net::CidrSet& cidrs) {
  return !pods.empty() && pods.overlaps(cidrs);
}

// Where a port set begins: protocol (TCP, UDP, SCTP), then its first number; names and other
// protocols last.
std::pair<int, std::uint32_t> lowest(const net::PortSet& s) {
  const net::Protocol protocols[] = {net::Protocol::TCP, net::Protocol::UDP, net::Protocol::SCTP};
  for (int i = 0; i < 3; ++i) {
    const auto& n = s.numbers(protocols[i]);
    if (!n.empty()) return {i, n.intervals().front().lo};
    if (!s.names(protocols[i]).empty()) return {i, net::PortSet::kMaxPort + 1};
  }
  return {3, 0};
}

template <class T>
void push_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

net::LabelSelector namespace_labels(const NamespaceSel& ns) {
  switch (ns.kind) {
    case NamespaceSel::Kind::Named: {
      net::LabelSelector s;
      s.add(net::Requirement{kNamespaceNameLabel, net::SelOp::Equals, {ns.name}});
      return s;
    }
    case NamespaceSel::Kind::Selector:
      return ns.selector;
    case NamespaceSel::Kind::Any:
      return {};
  }
  return {};
}

namespace {
bool both_named(const NamespaceSel& a, const NamespaceSel& b) {
  return a.kind == NamespaceSel::Kind::Named && b.kind == NamespaceSel::Kind::Named;
}
}  // namespace

bool contains(const Endpoint& outer, const Endpoint& inner) {
  if (outer == inner) return true;
  bool ns_ok = false;
  if (outer.ns.kind == NamespaceSel::Kind::Any || outer.ns == inner.ns) {
    ns_ok = true;
  } else if (!both_named(outer.ns, inner.ns)) {
    ns_ok = namespace_labels(outer.ns).contains(namespace_labels(inner.ns));
  }
  return ns_ok && outer.pods.contains(inner.pods);
}

bool overlaps(const Endpoint& a, const Endpoint& b) {
  if (both_named(a.ns, b.ns)) {
    if (a.ns.name != b.ns.name) return false;
  } else if (a.ns.kind != NamespaceSel::Kind::Any && b.ns.kind != NamespaceSel::Kind::Any) {
    if (!namespace_labels(a.ns).overlaps(namespace_labels(b.ns))) return false;
  }
  return a.pods.overlaps(b.pods);
}

std::size_t endpoint_hash(const Endpoint& e) {
  std::hash<std::string_view> h;
  std::size_t out = static_cast<std::size_t>(e.ns.kind) * 1000003u ^ h(e.ns.name);
  auto mix = [&](const net::LabelSelector& s) {
    for (const auto& r : s.reqs) {
      out = out * 31 + h(r.key) + static_cast<std::size_t>(r.op);
      for (const auto& v : r.values) out = out * 31 + h(v);
    }
    out = out * 31 + 7;
  };
  mix(e.ns.selector);
  mix(e.pods);
  return out;
}

std::size_t subject_hash(const Scope& scope, Direction direction, const Endpoint& subject) {
  return endpoint_hash(subject) * 131 + std::hash<std::string_view>{}(scope.ns) * 7 + (scope.cluster ? 3 : 0) + static_cast<std::size_t>(direction);
}

void NumberTable::grow(std::size_t slots) {
  slots_.assign(slots, Slot{});
  std::size_t mask = slots - 1;
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    std::size_t s = slot_of(hashes_[i], mask);
    while (slots_[s].number != 0) s = (s + 1) & mask;
    slots_[s] = Slot{static_cast<std::uint32_t>(i + 1), check_of(hashes_[i])};
  }
}

namespace {
bool same_key(const SubjectTable::Key& k, const Scope& scope, Direction direction, const Endpoint& subject) {
  return k.direction == direction && k.scope == scope && k.subject == subject;
}
}  // namespace

std::pair<std::size_t, bool> SubjectTable::insert(const Scope& scope, Direction direction, const Endpoint& subject) {
  auto out = numbers_.find_or_add(subject_hash(scope, direction, subject), [&](std::size_t i) { return same_key(keys_[i], scope, direction, subject); });
  if (out.second) keys_.push_back(Key{scope, direction, subject});
  return out;
}

std::optional<std::size_t> SubjectTable::find(const Scope& scope, Direction direction, const Endpoint& subject) const {
  return numbers_.find(subject_hash(scope, direction, subject), [&](std::size_t i) { return same_key(keys_[i], scope, direction, subject); });
}

bool selects_nothing(const Endpoint& e) {
  return e.pods.selects_nothing() || (e.ns.kind == NamespaceSel::Kind::Selector && e.ns.selector.selects_nothing());
}

net::CidrSet peer_addresses(const Peer& p) {
  if (p.kind == Peer::Kind::Any) return net::CidrSet::all(net::Family::V4).unite(net::CidrSet::all(net::Family::V6));
  if (p.kind != Peer::Kind::Cidr) return {};
  return net::CidrSet::of(p.cidr.cidr, p.cidr.except);
}

net::CidrSet peer_addresses(const std::vector<Peer>& peers) {
  std::vector<net::Cidr> plain;
  net::CidrSet with_except;
  for (const auto& p : peers) {
    if (p.kind == Peer::Kind::Any) return peer_addresses(p);
    if (p.kind != Peer::Kind::Cidr) continue;
    if (p.cidr.except.empty()) {
      plain.push_back(p.cidr.cidr);
    } else {
      with_except = with_except.unite(peer_addresses(p));
    }
  }
  return net::CidrSet::of(plain).unite(with_except);
}

// =============================================================================================

DenyIndex::DenyIndex(const Program& program, bool find_partial)
    : program_(program), find_partial_(find_partial), pod_cidrs_(net::CidrSet::of(program.pod_cidrs)) {
  SubjectTable seen;
  for (std::size_t i = 0; i < program.rules.size(); ++i) {
    const auto& r = program.rules[i];
    if (r.action != Action::Deny) continue;
    auto [index, fresh] = seen.insert(r.scope, r.direction, r.subject);
    if (fresh) {
      subjects_.push_back(Subject{r.scope, r.direction, r.subject, {}});
      auto& bucket = r.scope.cluster ? cluster_[r.direction] : by_scope_[{r.scope, r.direction}];
      bucket.subjects.push_back(index);
      bucket.index.add(r.subject, index);
    }
    auto& subject = subjects_[index];
    auto ports = net::PortSet::of(r.ports);
    auto part = std::find_if(subject.parts.begin(), subject.parts.end(), [&](const Part& p) { return p.ports == ports; });
    if (part == subject.parts.end()) {
      subject.parts.push_back(Part{ports, {}, {}, {}, {}});
      part = std::prev(subject.parts.end());
    }
    part->rules.push_back(i);
    part->cidrs = part->cidrs.unite(peer_addresses(r.peers));
    for (const auto& p : r.peers) {
      if (p.kind == Peer::Kind::Cidr) continue;
      part->others.push_back(&p);
      part->other_rule.push_back(i);
    }
  }
}

const DenyIndex::Applicable& DenyIndex::applicable(const Rule& allow) const {
  auto [slot, fresh] = cache_keys_.insert(allow.scope, allow.direction, allow.subject);
  if (!fresh) return *cache_.at(slot);
  Applicable out;
  auto consider = [&](const Bucket& bucket) {
    auto covering = bucket.index.containing(allow.subject);
    for (auto idx : covering) out.covering.push_back(&subjects_[idx]);
    if (!find_partial_) return;
    for (auto idx : bucket.subjects) {
      if (std::find(covering.begin(), covering.end(), idx) == covering.end() && overlaps(subjects_[idx].subject, allow.subject)) {
        out.partial.push_back(&subjects_[idx]);
      }
    }
  };
  if (auto it = by_scope_.find({allow.scope, allow.direction}); it != by_scope_.end()) consider(it->second);
  if (!allow.scope.cluster) {
    if (auto it = cluster_.find(allow.direction); it != cluster_.end()) consider(it->second);
  }
  cache_.resize(cache_keys_.size());
  cache_[slot] = std::make_unique<Applicable>(std::move(out));
  return *cache_[slot];
}

// =============================================================================================

bool Remainder::changed() const {
  return std::any_of(pieces.begin(), pieces.end(), [](const Piece& p) { return p.changed(); });
}

bool Remainder::nothing_left() const {
  return conflicts.empty() && std::all_of(pieces.begin(), pieces.end(), [](const Piece& p) { return p.empty(); });
}

std::vector<std::size_t> Remainder::takers(const Program& program) const {
  std::set<std::size_t> out;
  for (const auto& piece : pieces) {
    if (!piece.changed()) continue;
    for (const auto* part : piece.parts) {
      for (auto i : part->rules) {
        const auto& d = program.rules.at(i);
        bool took_addresses = peer_addresses(d.peers).overlaps(piece.lost_cidrs);
        bool took_peer = std::any_of(d.peers.begin(), d.peers.end(), [&](const Peer& dp) {
          return std::any_of(piece.lost.begin(), piece.lost.end(), [&](const Peer* lost) { return covers_peer(dp, *lost); });
        });
        if (took_addresses || took_peer) out.insert(i);
      }
    }
  }
  return {out.begin(), out.end()};
}

std::string Remainder::lost_str(std::size_t limit) const {
  std::vector<std::string> parts;
  for (const auto& piece : pieces) {
    if (!piece.changed()) continue;
    std::vector<std::string> what;
    if (!piece.lost_cidrs.empty()) what.push_back(piece.lost_cidrs.str(limit));
    for (const auto* p : piece.lost) what.push_back(p->str());
    parts.push_back(fmt::format("{} on {}", fmt::join(what, ", "), piece.ports.str()));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

namespace {

// How one part of the denies bears on one allow, whatever the ports.
struct Effect {
  bool cidrs = false;                      // it denies some of the allow's addresses
  std::vector<const Peer*> removes;        // allow peers it denies entirely
  std::vector<Remainder::Conflict> conflicts;
  bool any() const { return cidrs || !removes.empty() || !conflicts.empty(); }
};

Effect effect_of(const DenyIndex& index, const DenyIndex::Part& part, const Rule& allow, const net::CidrSet& allow_cidrs) {
  const auto& pods = index.pod_cidrs();
  Effect e;
  e.cidrs = allow_cidrs.overlaps(part.cidrs);
  bool allow_has_addresses = !allow_cidrs.empty();
  for (const auto& ap : allow.peers) {
    if (ap.kind == Peer::Kind::Cidr) continue;
    for (std::size_t k = 0; k < part.others.size(); ++k) {
      const Peer& dp = *part.others[k];
      std::size_t rule = part.other_rule[k];
      const Endpoint& ap_pods = ap.kind == Peer::Kind::Any ? every_pod() : ap.endpoint;
      bool has_pods = ap.kind == Peer::Kind::Endpoint || ap.kind == Peer::Kind::Any;
      if (covers_peer(dp, ap)) {
        push_unique(e.removes, &ap);
      } else if (dp.kind == Peer::Kind::Endpoint && has_pods) {
        if (overlaps(dp.endpoint, ap_pods)) e.conflicts.push_back({Remainder::Conflict::Kind::Selector, rule, &dp, &ap});
      } else if (dp.kind == Peer::Kind::DnsName && ap.kind == Peer::Kind::DnsName) {
        e.conflicts.push_back({Remainder::Conflict::Kind::DnsName, rule, &dp, &ap});
      } else if (dp.kind == Peer::Kind::Entity || ap.kind == Peer::Kind::Entity) {
        const Peer& entity = dp.kind == Peer::Kind::Entity ? dp : ap;
        const Peer& other = dp.kind == Peer::Kind::Entity ? ap : dp;
        if (other.kind != Peer::Kind::Endpoint || may_hold_pods(entity)) e.conflicts.push_back({Remainder::Conflict::Kind::Entity, rule, &dp, &ap});
      }
    }
    // Denied addresses may be the pods an allowed selector stands for.
    if ((ap.kind == Peer::Kind::Endpoint || ap.kind == Peer::Kind::Any) && pod_addresses_meet(pods, part.cidrs)) {
      e.conflicts.push_back({Remainder::Conflict::Kind::PodAddresses, part.rules.front(), nullptr, &ap});
    }
  }
  if (allow_has_addresses) {
    for (std::size_t k = 0; k < part.others.size(); ++k) {
      const Peer& dp = *part.others[k];
      std::size_t rule = part.other_rule[k];
      if (dp.kind == Peer::Kind::DnsName) {
        e.conflicts.push_back({Remainder::Conflict::Kind::DnsName, rule, &dp, nullptr});
      } else if (dp.kind == Peer::Kind::Entity) {
        e.conflicts.push_back({Remainder::Conflict::Kind::Entity, rule, &dp, nullptr});
      } else if (dp.kind == Peer::Kind::Endpoint && pod_addresses_meet(pods, allow_cidrs)) {
        e.conflicts.push_back({Remainder::Conflict::Kind::PodAddresses, rule, &dp, nullptr});
      }
    }
  }
  return e;
}

}  // namespace

bool DenyIndex::touches(const Applicable& a, const Rule& allow, const net::CidrSet& cidrs, const net::PortSet& ports) const {
  if (empty() || allow.action != Action::Allow) return false;
  for (const auto* list : {&a.covering, &a.partial}) {
    for (const auto* subject : *list) {
      for (const auto& part : subject->parts) {
        if (!ports.overlaps(part.ports) && !ports.ambiguous_with(part.ports)) continue;
        if (effect_of(*this, part, allow, cidrs).any()) return true;
      }
    }
  }
  return false;
}

Remainder subtract(const DenyIndex& index, const Rule& allow) {
  return subtract(index, allow, peer_addresses(allow.peers), net::PortSet::of(allow.ports));
}

Remainder subtract(const DenyIndex& index, const Rule& allow, const net::CidrSet& cidrs, const net::PortSet& ports) {
  Remainder out;
  out.cidrs = cidrs;
  out.ports = ports;
  Remainder::Piece whole;
  whole.ports = out.ports;
  whole.cidrs = out.cidrs;
  for (const auto& p : allow.peers) {
    if (p.kind != Peer::Kind::Cidr) whole.kept.push_back(&p);
  }
  out.pieces.push_back(whole);
  if (index.empty() || allow.action != Action::Allow) return out;
  const auto& applicable = index.applicable(allow);

  // Cut the ports where each part that bears on the allow begins and ends.
  std::vector<std::pair<const DenyIndex::Part*, Effect>> effects;
  for (const auto* subject : applicable.covering) {
    for (const auto& part : subject->parts) {
      if (!out.ports.overlaps(part.ports) && !out.ports.ambiguous_with(part.ports)) continue;
      auto e = effect_of(index, part, allow, out.cidrs);
      if (!e.any()) continue;
      for (auto& c : e.conflicts) out.conflicts.push_back(c);
      std::vector<Remainder::Piece> cut;
      for (auto& piece : out.pieces) {
        if (!piece.ports.splits_exactly_by(part.ports)) out.conflicts.push_back({Remainder::Conflict::Kind::NamedPort, part.rules.front()});
        auto inside = piece.ports.intersect(part.ports);
        auto outside = piece.ports.minus(part.ports);
        if (!outside.empty()) {
          auto o = piece;
          o.ports = outside;
          cut.push_back(std::move(o));
        }
        if (!inside.empty()) {
          piece.ports = inside;
          piece.parts.push_back(&part);
          cut.push_back(std::move(piece));
        }
      }
      out.pieces = std::move(cut);
      effects.emplace_back(&part, std::move(e));
    }
  }
  // A deny whose subject has only some of the allow's pods: a target that writes one policy per
  // subject cannot take it from some pods only.
  for (const auto* subject : applicable.partial) {
    for (const auto& part : subject->parts) {
      if (!out.ports.overlaps(part.ports) && !out.ports.ambiguous_with(part.ports)) continue;
      if (effect_of(index, part, allow, out.cidrs).any()) out.conflicts.push_back({Remainder::Conflict::Kind::SubjectSplit, part.rules.front()});
    }
  }
  // Pieces in port order, whatever order the cuts made them in.
  std::stable_sort(out.pieces.begin(), out.pieces.end(), [](const Remainder::Piece& a, const Remainder::Piece& b) { return lowest(a.ports) < lowest(b.ports); });
  // On each piece, take out what its parts deny.
  for (auto& piece : out.pieces) {
    net::CidrSet denied;
    std::vector<const Peer*> removed;
    for (const auto* part : piece.parts) {
      denied = denied.unite(part->cidrs);
      for (const auto& [p, e] : effects) {
        if (p != part) continue;
        for (const auto* r : e.removes) push_unique(removed, r);
      }
    }
    piece.lost_cidrs = piece.cidrs.intersect(denied);
    piece.cidrs = piece.cidrs.minus(denied);
    std::vector<const Peer*> kept;
    for (const auto* p : piece.kept) {
      if (std::find(removed.begin(), removed.end(), p) != removed.end()) {
        piece.lost.push_back(p);
      } else {
        kept.push_back(p);
      }
    }
    piece.kept = std::move(kept);
  }
  return out;
}

}  // namespace fence::ir
