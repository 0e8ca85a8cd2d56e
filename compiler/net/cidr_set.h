// Sets of IPv4 and IPv6 addresses with exact arithmetic: union, intersection, subtraction,
// subset tests, and the way back to CIDRs, either as a minimal list or as the `cidr` + `except`
// blocks that NetworkPolicy's ipBlock takes.
#pragma once

#include <string>
#include <vector>

#include "net/cidr.h"
#include "net/interval_set.h"

namespace fence::net {

__extension__ typedef unsigned __int128 Uint128;

// An address (or the first address of a CIDR) as a number; IPv4 uses the low 32 bits.
Uint128 address_value(const Cidr& c);
// The first and last address of a CIDR.
Uint128 first_address(const Cidr& c);
Uint128 last_address(const Cidr& c);

class CidrSet {
 public:
  using Intervals = IntervalSet<Uint128>;
  // One ipBlock: a CIDR and the CIDRs taken out of it (each a strict subset of `cidr`).
  struct Block {
    Cidr cidr;
    std::vector<Cidr> except;
    friend bool operator==(const Block&, const Block&) = default;
  };

  CidrSet() = default;
  explicit CidrSet(const Cidr& c);
  static CidrSet of(const std::vector<Cidr>& cidrs);
  static CidrSet all(Family f);
  // A block's addresses: its CIDR without its excepts.
  static CidrSet of(const Cidr& cidr, const std::vector<Cidr>& except);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool empty(Family f) const { return part(f).empty(); }
  bool contains(const CidrSet& o) const { return v4_.contains(o.v4_) && v6_.contains(o.v6_); }
  bool contains(const Cidr& c) const;
  bool overlaps(const CidrSet& o) const { return v4_.overlaps(o.v4_) || v6_.overlaps(o.v6_); }
  bool overlaps(const Cidr& c) const { return overlaps(CidrSet(c)); }

  CidrSet unite(const CidrSet& o) const;
  CidrSet intersect(const CidrSet& o) const;
  CidrSet minus(const CidrSet& o) const;

  // The fewest CIDRs whose union is this set, IPv4 first, each family in address order.
  std::vector<Cidr> to_cidrs() const;
  // The set written as ipBlocks inside `within` (which must contain the whole set): the fewest
  // entries (blocks plus excepts), keeping `within` itself as the block where that is as short.
  // Every except is a strict subset of its block's CIDR, as the NetworkPolicy API requires.
  std::vector<Block> to_blocks(const Cidr& within) const;
  // The share of the family's address space that the set covers, from 0 to 1.
  double coverage(Family f) const;
  // "10.0.0.0/8, 192.168.0.0/16" (at most `limit` CIDRs, then "and N more").
  std::string str(std::size_t limit = 4) const;

  const Intervals& part(Family f) const { return f == Family::V4 ? v4_ : v6_; }
  friend bool operator==(const CidrSet&, const CidrSet&) = default;

 private:
  Intervals& part(Family f) { return f == Family::V4 ? v4_ : v6_; }

  Intervals v4_;
  Intervals v6_;
};

}  // namespace fence::net
