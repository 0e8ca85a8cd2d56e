#include "check/facts.h"

namespace fence::check {

Facts::Facts(const ir::Program& program) : program_(program), denies_(program, false) {
  cidrs_.reserve(program.rules.size());
  port_set_of_.reserve(program.rules.size());
  std::map<std::vector<net::Port>, std::uint32_t> interned;
  ir::SubjectTable index;
  for (std::size_t i = 0; i < program.rules.size(); ++i) {
    const auto& r = program.rules[i];
    cidrs_.push_back(ir::peer_addresses(r.peers));
    auto it = interned.find(r.ports);
    if (it == interned.end()) {
      it = interned.emplace(r.ports, static_cast<std::uint32_t>(port_sets_.size())).first;
      port_sets_.push_back(net::PortSet::of(r.ports));
    }
    port_set_of_.push_back(it->second);
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
    auto [g, fresh] = index.insert(r.scope, r.direction, r.subject);
    if (fresh) {
      groups_.push_back(Group{r.scope, r.direction, r.subject, {}});
      by_scope_[{r.scope, r.direction}].add(r.subject, g);
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
  if (auto it = covering_.find(g); it != covering_.end()) return it->second;
  std::vector<std::size_t> out;
  const auto& group = groups_[g];
  auto consider = [&](const ir::Scope& scope) {
    auto it = by_scope_.find({scope, group.direction});
    if (it == by_scope_.end()) return;
    for (auto other : it->second.containing(group.subject)) out.push_back(other);
  };
  consider(group.scope);
  if (!group.scope.cluster) consider(ir::Scope{true, {}});
  return covering_.emplace(g, std::move(out)).first->second;
}

bool Facts::denied_in_part(std::size_t rule) const {
  if (denies_.empty()) return false;
  const auto& r = program_.rules[rule];
  if (r.action != ir::Action::Allow) return false;
  applicable_.resize(groups_.size(), nullptr);
  auto& a = applicable_[group_of_[rule]];
  if (a == nullptr) a = &denies_.applicable(r);
  if (a->covering.empty() && a->partial.empty()) return false;
  return denies_.touches(*a, r, cidrs_[rule], ports(rule));
}

const ir::DefaultDeny* Facts::default_deny(const ir::Scope& scope, ir::Direction d) const {
  if (auto it = default_denies_.find({scope, d}); it != default_denies_.end()) return it->second;
  if (auto it = default_denies_.find({ir::Scope{true, {}}, d}); it != default_denies_.end()) return it->second;
  return nullptr;
}

}  // namespace fence::check
