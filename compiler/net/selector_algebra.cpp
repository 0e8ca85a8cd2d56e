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

// No two requirements share a key: then nothing can contradict (a single requirement never does).
bool keys_distinct(const std::vector<Requirement>& reqs) {
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    if (reqs[i].key == reqs[i - 1].key) return false;
  }
  return true;
}

// Calls f(i, j) with the first requirement of each key both have, in key order, until f returns
// true; says whether it did.
template <class F>
bool any_shared_key(const std::vector<Requirement>& a, const std::vector<Requirement>& b, F&& f) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].key < b[j].key) {
      ++i;
    } else if (b[j].key < a[i].key) {
      ++j;
    } else {
      if (f(i, j)) return true;
      const auto& key = a[i].key;
      while (i < a.size() && a[i].key == key) ++i;
      while (j < b.size() && b[j].key == key) ++j;
    }
  }
  return false;
}

bool share_a_key(const std::vector<Requirement>& a, const std::vector<Requirement>& b) {
  return any_shared_key(a, b, [](std::size_t, std::size_t) { return true; });
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
  if (keys_distinct(reqs)) return std::nullopt;
  std::optional<std::string> key;
  for_each_key(reqs, [&](const std::string& k, const KeyDomain& d) {
    if (!key && d.empty()) key = k;
  });
  return key;
}

namespace {
// A key on which both have one requirement, an equality, with different values: no pod is both.
bool pinned_apart(const std::vector<Requirement>& a, const std::vector<Requirement>& b) {
  auto single = [](const std::vector<Requirement>& v, std::size_t k) {
    return v[k].op == SelOp::Equals && (k + 1 == v.size() || v[k + 1].key != v[k].key);
  };
  return any_shared_key(a, b, [&](std::size_t i, std::size_t j) { return single(a, i) && single(b, j) && a[i].values != b[j].values; });
}
}  // namespace

bool LabelSelector::overlaps(const LabelSelector& o) const {
  if (!share_a_key(reqs, o.reqs)) return !selects_nothing() && !o.selects_nothing();
  if (pinned_apart(reqs, o.reqs)) return false;
  return !conjoin(o).selects_nothing();
}

namespace {
// Every key of `a` is a key of `b` (both sorted by key).
bool keys_within(const std::vector<Requirement>& a, const std::vector<Requirement>& b) {
  std::size_t j = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && a[i].key == a[i - 1].key) continue;
    while (j < b.size() && b[j].key < a[i].key) ++j;
    if (j == b.size() || b[j].key != a[i].key) return false;
  }
  return true;
}
}  // namespace

bool LabelSelector::contains(const LabelSelector& o) const {
  if (reqs.empty() || reqs == o.reqs) return true;
  if (o.selects_nothing()) return true;
  // A key this constrains and `o` leaves free: `o` has pods without the label, or with any value
  // of it, and no requirement admits all of those.
  if (!keys_within(reqs, o.reqs)) return false;
  if (reqs.size() == 1 && o.reqs.size() == 1 && reqs[0].op == SelOp::Equals && o.reqs[0].op == SelOp::Equals) return reqs[0].values == o.reqs[0].values;
  // Key by key, what `o` allows must be within what this allows; keys this does not constrain
  // allow everything.
  bool ok = true;
  std::size_t j = 0;
  for_each_key(reqs, [&](const std::string& key, const KeyDomain& mine) {
    if (!ok) return;
    while (j < o.reqs.size() && o.reqs[j].key < key) ++j;
    KeyDomain theirs;
    bool first = true;
    while (j < o.reqs.size() && o.reqs[j].key == key) {
      theirs = first ? KeyDomain::of(o.reqs[j]) : theirs.meet(KeyDomain::of(o.reqs[j]));
      first = false;
      ++j;
    }
    ok = theirs.subset_of(mine);
  });
  return ok;
}

std::vector<std::pair<std::string, std::optional<std::string>>> LabelSelector::key_values() const {
  std::vector<std::pair<std::string, std::optional<std::string>>> out;
  for_each_key(reqs, [&](const std::string& k, const KeyDomain& d) {
    bool single = !d.absent && !d.cofinite && d.listed.size() == 1;
    out.emplace_back(k, single ? std::optional<std::string>(d.listed.front()) : std::nullopt);
  });
  return out;
}

LabelSelector LabelSelector::conjoin(const LabelSelector& o) const {
  LabelSelector out = *this;
  for (const auto& r : o.reqs) out.add(r);
  return out;
}

}  // namespace fence::net
