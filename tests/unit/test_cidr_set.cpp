// CidrSet against a brute-force reference: sets of addresses in a 16-address universe held as
// bitsets, at the bottom and at the very top of both address families (where an off-by-one in
// 32- or 128-bit arithmetic would show).
#include <bitset>
#include <random>

#include <catch2/catch.hpp>

#include "net/cidr_set.h"

using fence::net::Cidr;
using fence::net::CidrSet;
using fence::net::Family;
using fence::net::parse_cidr;

namespace {

Cidr cidr(const std::string& s) {
  auto r = parse_cidr(s);
  REQUIRE(r.cidr);
  return *r.cidr;
}

using Bits = std::bitset<16>;

// A universe of 16 addresses: a /28 (IPv4) or /124 (IPv6) at the start of `base`.
struct Universe {
  Cidr root;
  Cidr at(int offset, int size_log2) const {  // the CIDR of 2^size_log2 addresses at offset
    Cidr c = root;
    c.addr[static_cast<std::size_t>(c.bytes() - 1)] = static_cast<std::uint8_t>(root.addr[static_cast<std::size_t>(c.bytes() - 1)] + offset);
    c.prefix = static_cast<std::uint8_t>(c.bits() - size_log2);
    return c;
  }
  int offset(const Cidr& c) const { return c.addr[static_cast<std::size_t>(c.bytes() - 1)] - root.addr[static_cast<std::size_t>(c.bytes() - 1)]; }
  Bits bits_of(const Cidr& c) const {
    REQUIRE(root.contains(c));
    Bits b;
    int n = 1 << (c.bits() - c.prefix);
    for (int i = 0; i < n; ++i) b.set(static_cast<std::size_t>(offset(c) + i));
    return b;
  }
  Bits bits_of(const CidrSet& s) const {
    Bits b;
    for (const auto& c : s.to_cidrs()) b |= bits_of(c);
    return b;
  }
};

std::vector<Universe> universes() {
  return {{cidr("10.0.0.0/28")}, {cidr("255.255.255.240/28")}, {cidr("::/124")}, {cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124")}};
}

// A random set: the union of up to four random CIDRs of the universe.
std::pair<CidrSet, Bits> random_set(const Universe& u, std::mt19937& rng) {
  std::vector<Cidr> cidrs;
  Bits bits;
  int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    int size_log2 = static_cast<int>(rng() % 5);
    int offset = static_cast<int>(rng() % static_cast<unsigned>(16 >> size_log2)) << size_log2;
    auto c = u.at(offset, size_log2);
    cidrs.push_back(c);
    bits |= u.bits_of(c);
  }
  return {CidrSet::of(cidrs), bits};
}

// The fewest CIDRs covering exactly `want` inside the aligned node [lo, lo + size).
int min_cidrs(const Bits& want, int lo, int size) {
  bool all = true, none = true;
  for (int i = lo; i < lo + size; ++i) (want.test(static_cast<std::size_t>(i)) ? none : all) = false;
  if (none) return 0;
  if (all) return 1;
  return min_cidrs(want, lo, size / 2) + min_cidrs(want, lo + size / 2, size / 2);
}

// The fewest ipBlock entries (a block and its excepts) for `want` inside the node.
int min_block_cost(const Bits& want, int lo, int size) {
  bool all = true, none = true;
  for (int i = lo; i < lo + size; ++i) (want.test(static_cast<std::size_t>(i)) ? none : all) = false;
  if (none) return 0;
  if (all) return 1;
  Bits missing;
  for (int i = lo; i < lo + size; ++i) missing.set(static_cast<std::size_t>(i), !want.test(static_cast<std::size_t>(i)));
  int whole = 1 + min_cidrs(missing, lo, size);
  return std::min(whole, min_block_cost(want, lo, size / 2) + min_block_cost(want, lo + size / 2, size / 2));
}

}  // namespace

TEST_CASE("CidrSet matches a brute-force reference on small address spaces", "[net][cidrset][property]") {
  std::mt19937 rng(20240601);
  for (const auto& u : universes()) {
    INFO("universe " << u.root.str());
    for (int round = 0; round < 3000; ++round) {
      auto [a, abits] = random_set(u, rng);
      auto [b, bbits] = random_set(u, rng);
      INFO("a = " << a.str(99) << "; b = " << b.str(99));
      CHECK(u.bits_of(a) == abits);
      CHECK(u.bits_of(a.unite(b)) == (abits | bbits));
      CHECK(u.bits_of(a.intersect(b)) == (abits & bbits));
      CHECK(u.bits_of(a.minus(b)) == (abits & ~bbits));
      CHECK(a.contains(b) == ((bbits & ~abits).none()));
      CHECK(a.overlaps(b) == (abits & bbits).any());
      CHECK(a.empty() == abits.none());
      CHECK((a == b) == (abits == bbits));

      // to_cidrs: exact, disjoint, in order, and as few as possible.
      auto list = a.to_cidrs();
      CHECK(static_cast<int>(list.size()) == min_cidrs(abits, 0, 16));
      Bits seen;
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto cb = u.bits_of(list[i]);
        CHECK((seen & cb).none());
        seen |= cb;
        if (i > 0) CHECK(u.offset(list[i - 1]) < u.offset(list[i]));
        CHECK_FALSE(list[i].has_host_bits());
      }
      CHECK(seen == abits);

      // to_blocks: exact, every except strictly inside its block, and as short as possible.
      auto blocks = a.to_blocks(u.root);
      Bits covered;
      int cost = 0;
      for (const auto& blk : blocks) {
        Bits bb = u.bits_of(blk.cidr);
        for (const auto& e : blk.except) {
          CHECK(blk.cidr.strictly_contains(e));
          bb &= ~u.bits_of(e);
        }
        CHECK((covered & bb).none());
        covered |= bb;
        cost += 1 + static_cast<int>(blk.except.size());
      }
      CHECK(covered == abits);
      CHECK(cost == min_block_cost(abits, 0, 16));
    }
  }
}

TEST_CASE("CidrSet: whole address spaces and the metadata address", "[net][cidrset]") {
  auto v4 = CidrSet::all(Family::V4);
  auto v6 = CidrSet::all(Family::V6);
  CHECK(v4.to_cidrs() == std::vector<Cidr>{cidr("0.0.0.0/0")});
  CHECK(v6.to_cidrs() == std::vector<Cidr>{cidr("::/0")});
  CHECK(v4.coverage(Family::V4) == 1.0);
  CHECK(v6.coverage(Family::V6) == 1.0);
  CHECK(v6.coverage(Family::V4) == 0.0);
  CHECK(CidrSet(cidr("0.0.0.0/1")).coverage(Family::V4) == 0.5);

  auto no_metadata = v4.minus(CidrSet(cidr("169.254.169.254/32")));
  CHECK(no_metadata.to_cidrs().size() == 32);
  auto blocks = no_metadata.to_blocks(cidr("0.0.0.0/0"));
  REQUIRE(blocks.size() == 1);
  CHECK(blocks[0].cidr.str() == "0.0.0.0/0");
  REQUIRE(blocks[0].except.size() == 1);
  CHECK(blocks[0].except[0].str() == "169.254.169.254/32");

  auto v6_blocks = v6.minus(CidrSet(cidr("fd00:ec2::254/128"))).to_blocks(cidr("::/0"));
  REQUIRE(v6_blocks.size() == 1);
  CHECK(v6_blocks[0].except == std::vector<Cidr>{cidr("fd00:ec2::254/128")});

  // Taking half of a block leaves the other half as a plain CIDR, not a block with an except.
  auto half = CidrSet(cidr("10.0.0.0/8")).minus(CidrSet(cidr("10.0.0.0/9")));
  auto hb = half.to_blocks(cidr("10.0.0.0/8"));
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].cidr.str() == "10.128.0.0/9");
  CHECK(hb[0].except.empty());
  CHECK(CidrSet().to_blocks(cidr("10.0.0.0/8")).empty());

  // The two families never mix.
  auto both = CidrSet::of({cidr("10.0.0.0/8"), cidr("2001:db8::/32")});
  CHECK(both.to_cidrs().size() == 2);
  CHECK_FALSE(CidrSet(cidr("10.0.0.0/8")).overlaps(CidrSet(cidr("::/0"))));
  CHECK(both.str() == "10.0.0.0/8, 2001:db8::/32");
  CHECK(CidrSet::of({cidr("10.0.0.0/32"), cidr("10.0.0.2/32"), cidr("10.0.0.4/32")}).str(2) == "10.0.0.0/32, 10.0.0.2/32 and 1 more");
  CHECK(CidrSet::of(cidr("10.0.0.0/8"), {cidr("10.1.0.0/16")}).contains(cidr("10.2.0.0/16")));
  CHECK_FALSE(CidrSet::of(cidr("10.0.0.0/8"), {cidr("10.1.0.0/16")}).contains(cidr("10.1.2.0/24")));
}
