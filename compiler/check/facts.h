// What several checks need to know about the program, computed once per run and shared: the
// rules' address and port sets, the rules gathered by (scope, direction, subject), and the deny
// index. Everything here is indexed, so that no check has to compare every pair of rules.
#pragma once

#include <deque>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ir/deny.h"
#include "ir/ir.h"
#include "ir/subject_index.h"
#include "net/cidr_set.h"
#include "net/port_set.h"

namespace fence::check {

class Facts {
 public:
  // The rules of one (scope, direction, subject), in program order.
  struct Group {
    ir::Scope scope;
    ir::Direction direction = ir::Direction::Egress;
    ir::Endpoint subject;
    std::vector<std::size_t> rules;
  };

  explicit Facts(const ir::Program& program);

  const ir::Program& program() const { return program_; }
  const ir::DenyIndex& denies() const { return denies_; }
  const net::CidrSet& cidrs(std::size_t rule) const { return cidr_sets_[cidr_of_[rule]]; }
  const net::PortSet& ports(std::size_t rule) const { return port_sets_[port_set_of_[rule]]; }
  // (A deque: a group stays where it is, and the index of subjects refers to it.)
  const std::deque<Group>& groups() const { return groups_; }
  std::size_t group_of(std::size_t rule) const { return group_of_[rule]; }
  // Whether some deny bears on allow rule `rule` (see ir::DenyIndex::touches), looked up once per
  // subject.
  bool denied_in_part(std::size_t rule) const;
  // The groups of the same direction, in the same namespace or cluster-wide, whose subject has
  // every pod of group `g`'s subject (`g` itself among them).
  const std::vector<std::size_t>& covering(std::size_t g) const;
  // The default deny that isolates every pod of a scope in a direction (the namespace's own first,
  // then a cluster-wide one); nullptr when there is none.
  const ir::DefaultDeny* default_deny(const ir::Scope& scope, ir::Direction d) const;

 private:
  const ir::Program& program_;
  ir::DenyIndex denies_;
  // The address sets of the rules that have addresses; the others share the empty set, the first.
  std::vector<net::CidrSet> cidr_sets_;
  std::vector<std::uint32_t> cidr_of_;
  // Port sets are interned: most rules share one of a few port lists.
  std::vector<net::PortSet> port_sets_;
  std::vector<std::uint32_t> port_set_of_;
  std::deque<Group> groups_;
  std::vector<std::size_t> group_of_;
  mutable std::vector<const ir::DenyIndex::Applicable*> applicable_;  // per group, once looked up
  struct ScopeHash {
    std::size_t operator()(const std::pair<ir::Scope, ir::Direction>& k) const;
  };
  std::unordered_map<std::pair<ir::Scope, ir::Direction>, ir::ContainmentIndex, ScopeHash> by_scope_;  // the groups, by subject
  std::map<std::pair<ir::Scope, ir::Direction>, const ir::DefaultDeny*> default_denies_;
  mutable std::vector<std::vector<std::size_t>> covering_;  // per group, once computed
  mutable std::vector<bool> covering_done_;
};

}  // namespace fence::check
