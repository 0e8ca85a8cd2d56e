// Sets of unsigned integers as sorted, disjoint, non-adjacent closed intervals: the arithmetic
// under CidrSet (addresses) and PortSet (ports). Every operation is linear in the number of
// intervals; a set is always kept in its one canonical form, so equal sets compare equal.
#pragma once

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace fence::net {

template <class T>
class IntervalSet {
 public:
  struct Interval {
    T lo;
    T hi;  // inclusive
    friend bool operator==(const Interval&, const Interval&) = default;
  };

  IntervalSet() = default;
  IntervalSet(T lo, T hi) {
    if (lo <= hi) v_.push_back({lo, hi});
  }
  // Any intervals, in any order, overlapping or not.
  static IntervalSet of(std::vector<Interval> in) {
    std::sort(in.begin(), in.end(), [](const Interval& a, const Interval& b) { return a.lo < b.lo; });
    IntervalSet s;
    for (const auto& i : in) {
      if (i.lo > i.hi) continue;
      s.append(i.lo, i.hi);
    }
    return s;
  }

  bool empty() const { return v_.empty(); }
  const std::vector<Interval>& intervals() const { return v_; }

  bool contains(T x) const {
    auto it = std::upper_bound(v_.begin(), v_.end(), x, [](T value, const Interval& i) { return value < i.lo; });
    return it != v_.begin() && std::prev(it)->hi >= x;
  }
  bool contains(const IntervalSet& o) const {
    // Every interval of `o` must lie inside one of ours (ours are maximal).
    std::size_t i = 0;
    for (const auto& b : o.v_) {
      while (i < v_.size() && v_[i].hi < b.lo) ++i;
      if (i == v_.size() || v_[i].lo > b.lo || v_[i].hi < b.hi) return false;
    }
    return true;
  }
  bool overlaps(const IntervalSet& o) const {
    std::size_t i = 0, j = 0;
    while (i < v_.size() && j < o.v_.size()) {
      if (v_[i].hi < o.v_[j].lo) {
        ++i;
      } else if (o.v_[j].hi < v_[i].lo) {
        ++j;
      } else {
        return true;
      }
    }
    return false;
  }

  IntervalSet unite(const IntervalSet& o) const {
    IntervalSet s;
    std::size_t i = 0, j = 0;
    while (i < v_.size() || j < o.v_.size()) {
      const Interval& next = (j == o.v_.size() || (i < v_.size() && v_[i].lo <= o.v_[j].lo)) ? v_[i++] : o.v_[j++];
      s.append(next.lo, next.hi);
    }
    return s;
  }
  IntervalSet intersect(const IntervalSet& o) const {
    IntervalSet s;
    std::size_t i = 0, j = 0;
    while (i < v_.size() && j < o.v_.size()) {
      T lo = std::max(v_[i].lo, o.v_[j].lo);
      T hi = std::min(v_[i].hi, o.v_[j].hi);
      if (lo <= hi) s.v_.push_back({lo, hi});
      if (v_[i].hi < o.v_[j].hi) {
        ++i;
      } else {
        ++j;
      }
    }
    return s;
  }
  IntervalSet minus(const IntervalSet& o) const {
    IntervalSet s;
    std::size_t j = 0;
    for (const auto& a : v_) {
      T lo = a.lo;
      bool done = false;
      while (j < o.v_.size() && o.v_[j].hi < lo) ++j;
      std::size_t k = j;
      while (k < o.v_.size() && o.v_[k].lo <= a.hi) {
        if (o.v_[k].lo > lo) s.v_.push_back({lo, static_cast<T>(o.v_[k].lo - 1)});
        if (o.v_[k].hi >= a.hi) {
          done = true;
          break;
        }
        lo = static_cast<T>(o.v_[k].hi + 1);
        ++k;
      }
      if (!done) s.v_.push_back({lo, a.hi});
    }
    return s;
  }

  friend bool operator==(const IntervalSet&, const IntervalSet&) = default;

 private:
  // Appends an interval that starts at or after every interval already held.
  void append(T lo, T hi) {
    if (!v_.empty() && (v_.back().hi == std::numeric_limits<T>::max() || lo <= static_cast<T>(v_.back().hi + 1))) {
      v_.back().hi = std::max(v_.back().hi, hi);
      return;
    }
    v_.push_back({lo, hi});
  }

  std::vector<Interval> v_;
};

}  // namespace fence::net
