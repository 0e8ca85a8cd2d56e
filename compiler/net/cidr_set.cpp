#include "net/cidr_set.h"

#include <fmt/format.h>

namespace fence::net {

namespace {

constexpr Uint128 kAllOnes = ~Uint128{0};

int family_bits(Family f) {
  return f == Family::V4 ? 32 : 128;
}

Uint128 family_max(Family f) {
  return f == Family::V4 ? Uint128{0xffffffffu} : kAllOnes;
}

// The number of addresses in a prefix of length `prefix`, minus one (so that /0 of IPv6 fits).
Uint128 span_minus_one(Family f, int prefix) {
  int host = family_bits(f) - prefix;
  if (host == 0) return 0;
  if (host == 128) return kAllOnes;
  return (Uint128{1} << host) - 1;
}

Cidr make_cidr(Family f, Uint128 value, int prefix) {
  Cidr c;
  c.family = f;
  c.prefix = static_cast<std::uint8_t>(prefix);
  int bytes = f == Family::V4 ? 4 : 16;
  for (int i = bytes - 1; i >= 0; --i) {
    c.addr[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
  return c;
}

int trailing_zeros(Uint128 v, int bits) {
  if (v == 0) return bits;
  auto low = static_cast<std::uint64_t>(v);
  if (low != 0) return __builtin_ctzll(low);
  return 64 + __builtin_ctzll(static_cast<std::uint64_t>(v >> 64));
}

int floor_log2(Uint128 v) {  // v > 0
  auto high = static_cast<std::uint64_t>(v >> 64);
  if (high != 0) return 127 - __builtin_clzll(high);
  return 63 - __builtin_clzll(static_cast<std::uint64_t>(v));
}

// The largest prefix block starting at `lo` that ends at or before `hi`: its prefix length.
int largest_block(Family f, Uint128 lo, Uint128 hi) {
  int bits = family_bits(f);
  Uint128 count_minus_one = hi - lo;
  // log2 of the block size that fits: floor(log2(hi - lo + 1)), without overflowing at 2^128.
  int fits = count_minus_one == kAllOnes ? 128 : floor_log2(count_minus_one + 1);
  return bits - std::min(trailing_zeros(lo, bits), fits);
}

// Calls `emit(prefix, first)` for each CIDR of the minimal decomposition of [lo, hi].
template <class F>
void decompose(Family f, Uint128 lo, Uint128 hi, F&& emit) {
  while (true) {
    int prefix = largest_block(f, lo, hi);
    emit(prefix, lo);
    Uint128 last = lo + span_minus_one(f, prefix);
    if (last >= hi) return;
    lo = last + 1;
  }
}

using Interval = CidrSet::Intervals::Interval;

// The ipBlock form of the intervals in [first, last) (all inside `node`), as cheaply as possible.
// The cost is the number of entries written: one per block and one per except.
struct BlockPlan {
  std::size_t cost = 0;
  std::vector<CidrSet::Block> blocks;
};

BlockPlan plan_blocks(Family f, const std::vector<Interval>& iv, std::size_t first, std::size_t last, Uint128 node_lo, int prefix) {
  BlockPlan out;
  if (first == last) return out;
  Uint128 node_hi = node_lo + span_minus_one(f, prefix);
  if (last - first == 1 && iv[first].lo <= node_lo && iv[first].hi >= node_hi) {
    out.cost = 1;
    out.blocks.push_back({make_cidr(f, node_lo, prefix), {}});
    return out;
  }
  // The node as one block, with its gaps as excepts.
  CidrSet::Block whole{make_cidr(f, node_lo, prefix), {}};
  Uint128 cursor = node_lo;
  bool at_end = false;
  for (std::size_t i = first; i < last; ++i) {
    Uint128 lo = std::max(iv[i].lo, node_lo);
    Uint128 hi = std::min(iv[i].hi, node_hi);
    if (lo > cursor) decompose(f, cursor, lo - 1, [&](int p, Uint128 a) { whole.except.push_back(make_cidr(f, a, p)); });
    if (hi == node_hi) {
      at_end = true;
      break;
    }
    cursor = hi + 1;
  }
  if (!at_end) decompose(f, cursor, node_hi, [&](int p, Uint128 a) { whole.except.push_back(make_cidr(f, a, p)); });
  out.cost = 1 + whole.except.size();
  out.blocks.push_back(std::move(whole));
  if (prefix == family_bits(f)) return out;
  // Or the two halves, each planned on its own: that costs at least one entry per half that
  // holds addresses, so it can only win when the single block needs more.
  Uint128 mid = node_lo + (span_minus_one(f, prefix + 1) + 1);
  std::size_t split = first;
  while (split < last && iv[split].hi < mid) ++split;
  // An interval that straddles the middle belongs to both halves.
  std::size_t right_first = split;
  std::size_t left_last = (split < last && iv[split].lo < mid) ? split + 1 : split;
  std::size_t halves_used = (left_last > first ? 1 : 0) + (last > right_first ? 1 : 0);
  if (out.cost <= halves_used) return out;
  auto left = plan_blocks(f, iv, first, left_last, node_lo, prefix + 1);
  auto right = plan_blocks(f, iv, right_first, last, mid, prefix + 1);
  if (left.cost + right.cost < out.cost) {
    out.cost = left.cost + right.cost;
    out.blocks = std::move(left.blocks);
    for (auto& b : right.blocks) out.blocks.push_back(std::move(b));
  }
  return out;
}

}  // namespace

Uint128 address_value(const Cidr& c) {
  Uint128 v = 0;
  for (int i = 0; i < c.bytes(); ++i) v = (v << 8) | c.addr[static_cast<std::size_t>(i)];
  return v;
}

Uint128 first_address(const Cidr& c) {
  return address_value(c.masked());
}

Uint128 last_address(const Cidr& c) {
  return first_address(c) + span_minus_one(c.family, c.prefix);
}

CidrSet::CidrSet(const Cidr& c) {
  part(c.family) = Intervals(first_address(c), last_address(c));
}

CidrSet CidrSet::of(const std::vector<Cidr>& cidrs) {
  std::vector<Interval> v4, v6;
  for (const auto& c : cidrs) (c.family == Family::V4 ? v4 : v6).push_back({first_address(c), last_address(c)});
  CidrSet s;
  s.v4_ = Intervals::of(std::move(v4));
  s.v6_ = Intervals::of(std::move(v6));
  return s;
}

CidrSet CidrSet::all(Family f) {
  CidrSet s;
  s.part(f) = Intervals(0, family_max(f));
  return s;
}

CidrSet CidrSet::of(const Cidr& cidr, const std::vector<Cidr>& except) {
  return CidrSet(cidr).minus(of(except));
}

bool CidrSet::contains(const Cidr& c) const {
  return contains(CidrSet(c));
}

CidrSet CidrSet::unite(const CidrSet& o) const {
  CidrSet s;
  s.v4_ = v4_.unite(o.v4_);
  s.v6_ = v6_.unite(o.v6_);
  return s;
}

CidrSet CidrSet::intersect(const CidrSet& o) const {
  CidrSet s;
  s.v4_ = v4_.intersect(o.v4_);
  s.v6_ = v6_.intersect(o.v6_);
  return s;
}

CidrSet CidrSet::minus(const CidrSet& o) const {
  CidrSet s;
  s.v4_ = v4_.minus(o.v4_);
  s.v6_ = v6_.minus(o.v6_);
  return s;
}

std::vector<Cidr> CidrSet::to_cidrs() const {
  std::vector<Cidr> out;
  for (Family f : {Family::V4, Family::V6}) {
    for (const auto& i : part(f).intervals()) decompose(f, i.lo, i.hi, [&](int p, Uint128 a) { out.push_back(make_cidr(f, a, p)); });
  }
  return out;
}

std::vector<CidrSet::Block> CidrSet::to_blocks(const Cidr& within) const {
  const auto& all = part(within.family).intervals();
  Uint128 lo = first_address(within);
  Uint128 hi = last_address(within);
  // Only the intervals inside `within` (the caller promises there are no others).
  std::size_t first = 0;
  while (first < all.size() && all[first].hi < lo) ++first;
  std::size_t last = first;
  while (last < all.size() && all[last].lo <= hi) ++last;
  return plan_blocks(within.family, all, first, last, lo, within.prefix).blocks;
}

double CidrSet::coverage(Family f) const {
  long double covered = 0;
  for (const auto& i : part(f).intervals()) covered += static_cast<long double>(i.hi - i.lo) + 1.0L;
  long double total = f == Family::V4 ? 4294967296.0L : static_cast<long double>(kAllOnes) + 1.0L;
  return static_cast<double>(covered / total);
}

std::string CidrSet::str(std::size_t limit) const {
  auto cidrs = to_cidrs();
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < cidrs.size() && i < limit; ++i) shown.push_back(cidrs[i].str());
  auto out = fmt::format("{}", fmt::join(shown, ", "));
  if (cidrs.size() > limit) out += fmt::format(" and {} more", cidrs.size() - limit);
  return out;
}

}  // namespace fence::net
