// Rule 3 of the meaning, a deny always wins over an allow, as arithmetic on the IR. The checks
// use it to tell the user what a deny takes from an allow; lower/k8s uses it to write allows
// that leave out what is denied. It is target-independent: what a target cannot express is
// reported back as a conflict, for the target to turn into its own error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"
#include "ir/subject_index.h"
#include "net/cidr_set.h"
#include "net/port_set.h"

namespace fence::ir {

// ---- endpoints as label algebra ----
// A namespace named N is the namespace whose label kubernetes.io/metadata.name is N.
net::LabelSelector namespace_labels(const NamespaceSel& ns);
// Every pod `inner` stands for, `outer` stands for too.
bool contains(const Endpoint& outer, const Endpoint& inner);
// Some pod could be both.
bool overlaps(const Endpoint& a, const Endpoint& b);
// Endpoints hashed, for tables keyed by them.
std::size_t endpoint_hash(const Endpoint& e);

// A (scope, direction, subject) key hashed, for the tables below.
std::size_t subject_hash(const Scope& scope, Direction direction, const Endpoint& subject);

// Numbers 0, 1, 2, ... found again by their keys' hashes, the keys kept by the caller: an open
// addressing table of numbers with a part of each key's hash beside it, so that a lookup reads
// one slot and compares a key only when the hashes agree (a table of nodes was a cache miss per
// step, and allocated a node per lookup).
class NumberTable {
 public:
  // The number of the key with this hash that `same(number)` accepts, and false; or, when there
  // is none, the next number (the former size()), now taken, and true: the caller adds its key.
  template <class Same>
  std::pair<std::size_t, bool> find_or_add(std::size_t hash, Same&& same) {
    if (2 * (hashes_.size() + 1) > slots_.size()) grow(slots_.empty() ? 16 : 2 * slots_.size());
    std::size_t s = probe(hash, same);
    if (slots_[s].number != 0) return {slots_[s].number - 1, false};
    slots_[s] = Slot{static_cast<std::uint32_t>(hashes_.size() + 1), check_of(hash)};
    hashes_.push_back(hash);
    return {hashes_.size() - 1, true};
  }
  template <class Same>
  std::optional<std::size_t> find(std::size_t hash, Same&& same) const {
    if (slots_.empty()) return std::nullopt;
    std::size_t s = probe(hash, same);
    if (slots_[s].number == 0) return std::nullopt;
    return slots_[s].number - 1;
  }
  std::size_t size() const { return hashes_.size(); }

 private:
  struct Slot {
    std::uint32_t number = 0;  // the number + 1; 0: empty
    std::uint32_t check = 0;   // the hash's high bits
  };
  static std::size_t slot_of(std::size_t hash, std::size_t mask) {
    // The hash's bits mixed again (std::hash of an integer is the integer).
    return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  }
  static std::uint32_t check_of(std::size_t hash) {
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(hash) >> 32) ^ static_cast<std::uint32_t>(hash);
  }
  // The slot holding the accepted number, or the empty slot where it would go.
  template <class Same>
  std::size_t probe(std::size_t hash, Same& same) const {
    std::uint32_t check = check_of(hash);
    std::size_t mask = slots_.size() - 1;
    std::size_t s = slot_of(hash, mask);
    for (; slots_[s].number != 0; s = (s + 1) & mask) {
      if (slots_[s].check == check && same(static_cast<std::size_t>(slots_[s].number - 1))) break;
    }
    return s;
  }
  void grow(std::size_t slots);
  std::vector<Slot> slots_;          // a power of two of them, at most half full
  std::vector<std::size_t> hashes_;  // per number, to move them when the table grows
};

// Numbers each distinct (scope, direction, subject) — the rules one policy of a target is about —
// in the order first seen, and finds them again without copying the key to look it up.
class SubjectTable {
 public:
  struct Key {
    Scope scope;
    Direction direction = Direction::Egress;
    Endpoint subject;
  };
  // The key's number, and whether it is new.
  std::pair<std::size_t, bool> insert(const Scope& scope, Direction direction, const Endpoint& subject);
  std::optional<std::size_t> find(const Scope& scope, Direction direction, const Endpoint& subject) const;
  const Key& key(std::size_t i) const { return keys_[i]; }
  std::size_t size() const { return keys_.size(); }

 private:
  NumberTable numbers_;
  std::vector<Key> keys_;
};

// The endpoint's namespace or pod selector matches nothing.
bool selects_nothing(const Endpoint& e);

// The addresses of a rule's CIDR peers, excepts taken out.
net::CidrSet peer_addresses(const std::vector<Peer>& peers);
net::CidrSet peer_addresses(const Peer& p);

// The denies of a program, gathered by (scope, direction, subject) and, within a subject, by
// port set, so that the denies that apply to an allow are found without looking at the others.
class DenyIndex {
 public:
  struct Part {
    net::PortSet ports;
    net::CidrSet cidrs;                   // every address the part's rules deny on these ports
    std::vector<std::size_t> rules;       // indices into Program::rules
    std::vector<const Peer*> others;      // endpoint, DNS and entity peers
    std::vector<std::size_t> other_rule;  // the rule of each of `others`
  };
  struct Subject {
    Scope scope;
    Direction direction = Direction::Egress;
    Endpoint subject;
    std::vector<Part> parts;
  };
  struct Applicable {
    std::vector<const Subject*> covering;  // the deny's subject has every pod of the allow's
    std::vector<const Subject*> partial;   // some, not all
  };

  // `find_partial`: whether applicable() also looks for denies whose subject shares only some pods
  // with an allow's (a target that writes one policy per subject needs them; the checks do not).
  explicit DenyIndex(const Program& program, bool find_partial = true);
  bool empty() const { return subjects_.empty(); }
  const Program& program() const { return program_; }
  // The denies that apply to (some of) the pods of a rule's subject, in the rule's direction.
  const Applicable& applicable(const Rule& allow) const;
  // Whether any of them bears on the allow (its addresses and ports given): when not, subtract()
  // would leave it whole, and need not be called.
  bool touches(const Rule& allow, const net::CidrSet& cidrs, const net::PortSet& ports) const { return touches(applicable(allow), allow, cidrs, ports); }
  bool touches(const Applicable& applicable, const Rule& allow, const net::CidrSet& cidrs, const net::PortSet& ports) const;
  const net::CidrSet& pod_cidrs() const { return pod_cidrs_; }
  const std::vector<Subject>& subjects() const { return subjects_; }

 private:
  const Program& program_;
  std::vector<Subject> subjects_;
  struct Bucket {
    std::vector<std::size_t> subjects;  // indices into subjects_
    ContainmentIndex index;             // the same, by subject
  };
  bool find_partial_;
  std::map<std::pair<Scope, Direction>, Bucket> by_scope_;
  std::map<Direction, Bucket> cluster_;  // cluster-scope denies apply to every namespace
  net::CidrSet pod_cidrs_;
  mutable SubjectTable cache_keys_;
  mutable std::vector<std::unique_ptr<Applicable>> cache_;  // stable: callers keep references
};

// What is left of one allow once the denies that apply to all of its pods are taken out.
struct Remainder {
  // The allow's ports, cut where the denies' ports begin and end: on each piece, the same
  // denies apply.
  struct Piece {
    net::PortSet ports;
    std::vector<const DenyIndex::Part*> parts;  // the denies that apply on these ports
    net::CidrSet cidrs;                         // the addresses still allowed
    net::CidrSet lost_cidrs;                    // the addresses denied
    std::vector<const Peer*> kept;              // endpoint, DNS and entity peers still allowed
    std::vector<const Peer*> lost;              // those denied
    bool empty() const { return cidrs.empty() && kept.empty(); }
    bool changed() const { return !lost_cidrs.empty() || !lost.empty(); }
  };
  // What cannot be decided exactly; a target that needs exactness rejects the program.
  struct Conflict {
    enum class Kind {
      Selector,       // a denied selector shares some, not all, pods with an allowed one
      DnsName,        // a denied DNS name may resolve to allowed addresses
      Entity,         // a denied entity may cover allowed peers
      NamedPort,      // a named port meets port numbers it may or may not be
      PodAddresses,   // a selector on one side, the declared pod CIDRs on the other
      SubjectSplit,   // the deny's subject has some, not all, of the allow's pods
    } kind;
    std::size_t deny_rule;
    const Peer* deny_peer = nullptr;   // Selector, DnsName, Entity, PodAddresses
    const Peer* allow_peer = nullptr;  // Selector, PodAddresses
  };

  std::vector<Piece> pieces;
  std::vector<Conflict> conflicts;
  net::CidrSet cidrs;  // the allow's own addresses
  net::PortSet ports;  // the allow's own ports

  bool changed() const;
  // Nothing is left, on any port, and nothing was uncertain.
  bool nothing_left() const;
  // The deny rules that took something, in program order.
  std::vector<std::size_t> takers(const Program& program) const;
  // What the denies took, on which ports: "10.0.0.0/8 on every port; production/app=db on 22/tcp".
  std::string lost_str(std::size_t limit = 3) const;
};

// Takes from `allow` (an allow rule) what the applicable denies of `index` deny. The second form
// takes the allow's addresses and ports when the caller has them already.
Remainder subtract(const DenyIndex& index, const Rule& allow);
Remainder subtract(const DenyIndex& index, const Rule& allow, const net::CidrSet& cidrs, const net::PortSet& ports);

}  // namespace fence::ir
