// Sets of ports per protocol: numbers and ranges as exact interval sets (TCP, UDP and SCTP,
// ports 1-65535), named container ports kept symbolic, and "other protocols" (ICMP and the
// rest), which only "every port" and `any` include.
//
// A named port stands for one number that only the destination pod knows. So the arithmetic is
// exact for numbers and sure-only for names: `contains`, `intersect` and `minus` treat a name as
// matching itself, or a whole protocol; `ambiguous_with` says when a name meets numbers that may
// or may not be it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/interval_set.h"
#include "net/port.h"

namespace fence::net {

class PortSet {
 public:
  using Numbers = IntervalSet<std::uint32_t>;
  static constexpr std::uint32_t kMaxPort = 65535;

  PortSet() = default;  // empty
  static PortSet all();
  // The set a rule's port list stands for; an empty list is every port of every protocol.
  static PortSet of(const std::vector<Port>& ports);
  static PortSet of(const Port& port);

  bool empty() const;
  bool is_all() const;
  bool contains(Protocol p, std::uint16_t port) const;
  // Surely contains every port of `o`.
  bool contains(const PortSet& o) const;
  // Surely shares a port with `o`.
  bool overlaps(const PortSet& o) const;
  // True when a named port of one side meets some (not all) numbers of the other side's protocol,
  // so that whether they overlap depends on the pod.
  bool ambiguous_with(const PortSet& o) const;
  // True when `intersect(p)` and `minus(p)` are both exact: no name meets numbers that may or may
  // not be it (every port minus `http` is not a set this class can hold, for one).
  bool splits_exactly_by(const PortSet& p) const;

  PortSet unite(const PortSet& o) const;
  PortSet intersect(const PortSet& o) const;
  PortSet minus(const PortSet& o) const;

  // As a port list (TCP, then UDP, then SCTP; numbers before names); the empty list for every
  // port. Nullopt when the set cannot be written as a list: it is empty (the empty list means
  // every port), or it holds other protocols but not every port of TCP, UDP and SCTP.
  std::optional<std::vector<Port>> to_ports() const;
  // "every port", "22/tcp, 8000-8999/tcp, http/tcp, every UDP port, other protocols"
  std::string str() const;

  const Numbers& numbers(Protocol p) const { return numbers_[index(p)]; }
  const std::vector<std::string>& names(Protocol p) const { return names_[index(p)]; }
  bool other_protocols() const { return other_; }

  friend bool operator==(const PortSet&, const PortSet&) = default;

 private:
  static std::size_t index(Protocol p) { return p == Protocol::UDP ? 1 : p == Protocol::SCTP ? 2 : 0; }
  bool full(std::size_t i) const { return numbers_[i] == Numbers(1, kMaxPort); }
  bool covers_name(std::size_t i, const std::string& name) const;

  std::array<Numbers, 3> numbers_;
  std::array<std::vector<std::string>, 3> names_;  // sorted, unique
  bool other_ = false;
};

}  // namespace fence::net
