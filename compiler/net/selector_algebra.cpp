// The label-selector algebra. Each selector is read, key by key, as the set of values that key
// may take, where "absent" counts as one more value: `app=a` allows {a}; `app!=a` allows every
// value but a, and absence; `!app` allows absence only. Requirements on one key intersect. As
// keys are independent, a selector matches nothing when one key allows nothing, two selectors
// overlap when every key allows something in both, and one contains another when, key by key,
// what the other allows is a subset of what it allows.
#include <algorithm>
#include <iterator>

#include "net/selector.h"

namespace fence::net {

namespace {

using Values = std::vector<std::string>;  // sorted, unique

Values set_intersection(const Values& a, const Values& b) {
  Values out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
Values set_union(const Values& a, const Values& b) {
  Values out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
Values set_difference(const Values& a, const Values& b) {
  Values out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}
bool includes(const Values& big, const Values& small) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

// What one key may be: absent or not, and a finite set of values or every value but a finite set.
struct KeyDomain {
  bool absent = true;
  bool cofinite = true;  // values: every value but `listed` (true), or just `listed` (false)
  Values listed;

  bool empty() const { return !absent && !cofinite && listed.empty(); }

  static KeyDomain of(const Requirement& r) {
    KeyDomain d;
    switch (r.op) {
      case SelOp::Equals:
      case SelOp::In:
        return KeyDomain{false, false, r.values};
      case SelOp::NotEquals:
      case SelOp::NotIn:
        return KeyDomain{true, true, r.values};
      case SelOp::Exists:
        return KeyDomain{false, true, {}};
      case SelOp::DoesNotExist:
        return KeyDomain{true, false, {}};
    }
    return d;
  }

  KeyDomain meet(const KeyDomain& o) const {
    KeyDomain d;
    d.absent = absent && o.absent;
    if (cofinite && o.cofinite) {
      d.cofinite = true;
      d.listed = set_union(listed, o.listed);
    } else if (!cofinite && !o.cofinite) {
      d.cofinite = false;
      d.listed = set_intersection(listed, o.listed);
    } else {
      const auto& finite = cofinite ? o.listed : listed;
      const auto& excluded = cofinite ? listed : o.listed;
      d.cofinite = false;
      d.listed = set_difference(finite, excluded);
    }
    return d;
  }

  bool subset_of(const KeyDomain& o) const {
    if (absent && !o.absent) return false;
    if (cofinite) return o.cofinite && includes(listed, o.listed);
    if (o.cofinite) return set_intersection(listed, o.listed).empty();
    return includes(o.listed, listed);
  }
};

// Requirements are sorted by key: walks them key by key, giving each key's domain.
template <class F>
void for_each_key(const std::vector<Requirement>& reqs, F&& f) {
  std::size_t i = 0;
  while (i < reqs.size()) {
    KeyDomain d = KeyDomain::of(reqs[i]);
    std::size_t j = i + 1;
    while (j < reqs.size() && reqs[j].key == reqs[i].key) d = d.meet(KeyDomain::of(reqs[j++]));
    f(reqs[i].key, d);
    i = j;
  }
}

std::map<std::string, KeyDomain, std::less<>> domains(const LabelSelector& s) {
  std::map<std::string, KeyDomain, std::less<>> out;
  for_each_key(s.reqs, [&](const std::string& k, const KeyDomain& d) { out.emplace(k, d); });
  return out;
}

}  // namespace

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& r : reqs) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool listed = has && std::binary_search(r.values.begin(), r.values.end(), it->second);
    bool ok = true;
    switch (r.op) {
      case SelOp::Equals:
      case SelOp::In:
        ok = listed;
        break;
      case SelOp::NotEquals:
      case SelOp::NotIn:
        ok = !listed;
        break;
      case SelOp::Exists:
        ok = has;
        break;
      case SelOp::DoesNotExist:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> LabelSelector::contradiction() const {
  std::optional<std::string> key;
  for_each_key(reqs, [&](const std::string& k, const KeyDomain& d) {
    if (!key && d.empty()) key = k;
  });
  return key;
}

bool LabelSelector::overlaps(const LabelSelector& o) const {
  return !conjoin(o).selects_nothing();
}

bool LabelSelector::contains(const LabelSelector& o) const {
  if (reqs.empty()) return true;
  if (o.selects_nothing()) return true;
  auto mine = domains(*this);
  auto theirs = domains(o);
  for (const auto& [key, d] : mine) {
    auto it = theirs.find(key);
    KeyDomain other = it == theirs.end() ? KeyDomain{} : it->second;
    if (!other.subset_of(d)) return false;
  }
  return true;
}

LabelSelector LabelSelector::conjoin(const LabelSelector& o) const {
  LabelSelector out = *this;
  for (const auto& r : o.reqs) out.add(r);
  return out;
}

}  // namespace fence::net
