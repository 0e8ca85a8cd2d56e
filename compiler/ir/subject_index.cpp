#include "ir/subject_index.h"

#include <algorithm>

#include "ir/deny.h"

namespace fence::ir {

namespace {

// More keys than this and a lookup would try too many signatures: such endpoints are tested
// one by one instead (they are rare).
constexpr std::size_t kMaxKeys = 5;

constexpr std::uint32_t kEnd = static_cast<std::uint32_t>(-1);

// The hash of a signature: the namespace (named or any) and each key with its pinned value or
// "any".
std::size_t signature(const NamespaceSel& ns, const std::vector<std::pair<std::string, std::optional<std::string>>>& keys) {
  std::hash<std::string_view> h;
  std::size_t s = ns.kind == NamespaceSel::Kind::Named ? h(ns.name) * 3 + 1 : 2;
  for (const auto& [k, v] : keys) {
    s = (s * 1000003u) ^ h(k);
    s = (s * 1000003u) ^ (v ? h(*v) * 2 + 1 : 0);
  }
  return s;
}

// The signature of an endpoint filed: one key pinned to one value, the common case, without
// building its key_values().
std::size_t signature_of(const Endpoint& e) {
  const auto& reqs = e.pods.reqs;
  if (reqs.size() != 1 || reqs[0].op != net::SelOp::Equals || reqs[0].values.size() != 1) return signature(e.ns, e.pods.key_values());
  std::hash<std::string_view> h;
  std::size_t s = e.ns.kind == NamespaceSel::Kind::Named ? h(e.ns.name) * 3 + 1 : 2;
  s = (s * 1000003u) ^ h(reqs[0].key);
  return (s * 1000003u) ^ (h(reqs[0].values[0]) * 2 + 1);
}

}  // namespace

void ContainmentIndex::add(const Endpoint& e, std::size_t id) {
  copies_.push_back(e);
  add_in_place(copies_.back(), id);
}

void ContainmentIndex::add_in_place(const Endpoint& e, std::size_t id) {
  std::size_t pos = entries_.size();
  entries_.push_back({&e, id});
  next_.push_back(kEnd);
  if (e.ns.kind == NamespaceSel::Kind::Selector) {
    unfiled_.push_back(pos);
    return;
  }
  auto here = static_cast<std::uint32_t>(pos);
  auto [it, fresh] = by_signature_.try_emplace(signature_of(e), Chain{here, here});
  if (!fresh) {
    next_[it->second.last] = here;
    it->second.last = here;
  }
}

std::vector<std::size_t> ContainmentIndex::containing(const Endpoint& e) const {
  std::vector<std::size_t> positions = unfiled_;
  auto keys = e.pods.key_values();
  if (keys.size() > kMaxKeys || e.pods.selects_nothing() || e.ns.kind != NamespaceSel::Kind::Named) {
    // Rare shapes: test everything.
    positions.clear();
    for (std::size_t i = 0; i < entries_.size(); ++i) positions.push_back(i);
  } else {
    // A container's namespace is this one or any; for each key, it leaves the key out, pins it
    // to this endpoint's one value (if it has one), or constrains it otherwise.
    std::vector<std::pair<std::string, std::optional<std::string>>> pick;
    auto visit = [&](auto&& self, std::size_t k) -> void {
      if (k == keys.size()) {
        for (const auto* ns : {&e.ns, static_cast<const NamespaceSel*>(nullptr)}) {
          NamespaceSel any;
          any.kind = NamespaceSel::Kind::Any;
          auto it = by_signature_.find(signature(ns != nullptr ? *ns : any, pick));
          if (it == by_signature_.end()) continue;
          for (auto p = it->second.first; p != kEnd; p = next_[p]) positions.push_back(p);
        }
        return;
      }
      self(self, k + 1);
      pick.emplace_back(keys[k].first, std::nullopt);
      self(self, k + 1);
      if (keys[k].second) {
        pick.back().second = keys[k].second;
        self(self, k + 1);
      }
      pick.pop_back();
    };
    visit(visit, 0);
  }
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  std::vector<std::size_t> out;
  for (auto p : positions) {
    if (contains(*entries_[p].endpoint, e)) out.push_back(entries_[p].id);
  }
  return out;
}

}  // namespace fence::ir
