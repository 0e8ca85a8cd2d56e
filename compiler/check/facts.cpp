#include "check/facts.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace fence::check {

namespace {

// Whether a rule has addresses: a CIDR peer or `anything`.
bool has_addresses(const ir::Rule& r) {
  return std::any_of(r.peers.begin(), r.peers.end(), [](const ir::Peer& p) { return p.kind == ir::Peer::Kind::Cidr || p.kind == ir::Peer::Kind::Any; });
}

struct PortsHash {
  std::size_t operator()(const std::vector<net::Port>& ports) const {
    std::size_t h = ports.size();
    for (const auto& p : ports) {
      h = h * 1000003u ^ (static_cast<std::size_t>(p.protocol) << 40 | static_cast<std::size_t>(p.kind) << 32 | std::size_t{p.first} << 16 | p.last);
      if (!p.name.empty()) h = h * 31 + std::hash<std::string>{}(p.name);
    }
    return h;
  }
};

}  // namespace

std::size_t Facts::ScopeHash::operator()(const std::pair<ir::Scope, ir::Direction>& k) const {
  return std::hash<std::string_view>{}(k.first.ns) * 7 + (k.first.cluster ? 3 : 0) + static_cast<std::size_t>(k.second);
}

Facts::Facts(const ir::Program& program) : program_(program), denies_(program, false) {
  // Most rules have no addresses: they share the empty set, number 0.
  cidr_sets_.reserve(1 + static_cast<std::size_t>(std::count_if(program.rules.begin(), program.rules.end(), has_addresses)));
  cidr_sets_.emplace_back();
  cidr_of_.reserve(program.rules.size());
  port_set_of_.reserve(program.rules.size());
  group_of_.reserve(program.rules.size());
  std::unordered_map<std::vector<net::Port>, std::uint32_t, PortsHash> interned;
  // The groups by (scope, direction, subject); the keys are the groups' own.
  ir::NumberTable index;
  // The groups' containment indexes, by scope: rules of one scope mostly come together.
  ir::ContainmentIndex* last_index = nullptr;
  const ir::Scope* last_scope = nullptr;
  ir::Direction last_direction = ir::Direction::Egress;
  for (std::size_t i = 0; i < program.rules.size(); ++i) {
    const auto& r = program.rules[i];
    if (has_addresses(r)) {
      cidr_of_.push_back(static_cast<std::uint32_t>(cidr_sets_.size()));
      cidr_sets_.push_back(ir::peer_addresses(r.peers));
    } else {
      cidr_of_.push_back(0);
    }
    if (i > 0 && program.rules[i - 1].ports == r.ports) {
      port_set_of_.push_back(port_set_of_.back());
    } else {
      auto [it, fresh] = interned.try_emplace(r.ports, static_cast<std::uint32_t>(port_sets_.size()));
      if (fresh) port_sets_.push_back(net::PortSet::of(r.ports));
      port_set_of_.push_back(it->second);
    }
    // The rules of one statement are consecutive and share their subject: compare with the last
    // rule before looking the key up.
    if (i > 0) {
      const auto& last = program.rules[i - 1];
      if (last.direction == r.direction && last.subject == r.subject && last.scope == r.scope) {
        groups_[group_of_.back()].rules.push_back(i);
        group_of_.push_back(group_of_.back());
        continue;
      }
    }
    auto [g, fresh] = index.find_or_add(ir::subject_hash(r.scope, r.direction, r.subject), [&](std::size_t k) {
      const auto& group = groups_[k];
      return group.direction == r.direction && group.scope == r.scope && group.subject == r.subject;
    });
    if (fresh) {
      groups_.push_back(Group{r.scope, r.direction, r.subject, {}});
      if (last_index == nullptr || last_direction != r.direction || !(*last_scope == r.scope)) {
        auto it = by_scope_.try_emplace({r.scope, r.direction}).first;
        last_index = &it->second;
        last_scope = &it->first.first;
        last_direction = r.direction;
      }
      last_index->add_in_place(groups_.back().subject, g);
    }
    groups_[g].rules.push_back(i);
    group_of_.push_back(g);
  }
  for (const auto& dd : program.default_denies) {
    if (!dd.whole()) continue;  // for some pods only
    for (auto d : {ir::Direction::Egress, ir::Direction::Ingress}) {
      if (d == ir::Direction::Egress ? dd.egress : dd.ingress) default_denies_.emplace(std::make_pair(dd.scope, d), &dd);
    }
  }
}

const std::vector<std::size_t>& Facts::covering(std::size_t g) const {
  covering_.resize(groups_.size());
  covering_done_.resize(groups_.size());
  if (covering_done_[g]) return covering_[g];
  std::vector<std::size_t> out;
  const auto& group = groups_[g];
  auto consider = [&](const ir::Scope& scope) {
    auto it = by_scope_.find({scope, group.direction});
    if (it == by_scope_.end()) return;
    for (auto other : it->second.containing(group.subject)) out.push_back(other);
  };
  consider(group.scope);
  if (!group.scope.cluster) consider(ir::Scope{true, {}});
  covering_done_[g] = true;
  covering_[g] = std::move(out);
  return covering_[g];
}

bool Facts::denied_in_part(std::size_t rule) const {
  if (denies_.empty()) return false;
  const auto& r = program_.rules[rule];
  if (r.action != ir::Action::Allow) return false;
  applicable_.resize(groups_.size(), nullptr);
  auto& a = applicable_[group_of_[rule]];
  if (a == nullptr) a = &denies_.applicable(r);
  if (a->covering.empty() && a->partial.empty()) return false;
  return denies_.touches(*a, r, cidrs(rule), ports(rule));
}

const ir::DefaultDeny* Facts::default_deny(const ir::Scope& scope, ir::Direction d) const {
  if (auto it = default_denies_.find({scope, d}); it != default_denies_.end()) return it->second;
  if (auto it = default_denies_.find({ir::Scope{true, {}}, d}); it != default_denies_.end()) return it->second;
  return nullptr;
}

}  // namespace fence::check
