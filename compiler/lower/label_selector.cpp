#include "lower/label_selector.h"

#include <algorithm>
#include <set>

namespace fence::lower {

LabelSelector to_label_selector(const net::LabelSelector& s, const std::function<std::string(const std::string&)>& key) {
  LabelSelector out;
  // The keys of matchLabels so far; a set only for long selectors (most have a requirement or two).
  std::set<std::string> eq_keys;
  bool long_selector = s.reqs.size() > 8;
  auto first_equals = [&](const std::string& k) {
    if (long_selector) return eq_keys.insert(k).second;
    return std::none_of(out.match_labels.begin(), out.match_labels.end(), [&](const auto& kv) { return kv.first == k; });
  };
  for (const auto& r : s.reqs) {
    auto k = key ? key(r.key) : r.key;
    switch (r.op) {
      case net::SelOp::Equals:
        // matchLabels holds one value per key; a second value for the same key (which selects
        // nothing, and a check says so) goes to matchExpressions so that nothing is lost.
        if (first_equals(k)) {
          out.match_labels.emplace_back(k, r.values.at(0));
        } else {
          out.match_expressions.push_back({k, "In", r.values});
        }
        break;
      case net::SelOp::NotEquals:
      case net::SelOp::NotIn:
        out.match_expressions.push_back({k, "NotIn", r.values});
        break;
      case net::SelOp::In:
        out.match_expressions.push_back({k, "In", r.values});
        break;
      case net::SelOp::Exists:
        out.match_expressions.push_back({k, "Exists", {}});
        break;
      case net::SelOp::DoesNotExist:
        out.match_expressions.push_back({k, "DoesNotExist", {}});
        break;
    }
  }
  std::sort(out.match_labels.begin(), out.match_labels.end());
  return out;
}

emit::Node to_node(const LabelSelector& s) {
  auto n = emit::Node::make_map();
  if (!s.match_labels.empty()) {
    auto& ml = n.set("matchLabels", emit::Node::make_map());
    for (const auto& [k, v] : s.match_labels) ml.set(k, emit::Node::string(v));
  }
  if (!s.match_expressions.empty()) {
    auto& me = n.set("matchExpressions", emit::Node::make_seq());
    for (const auto& e : s.match_expressions) {
      auto x = emit::Node::make_map();
      x.set("key", emit::Node::string(e.key));
      x.set("operator", emit::Node::string(e.op));
      if (!e.values.empty()) {
        auto& vals = x.set("values", emit::Node::make_seq());
        for (const auto& v : e.values) vals.push(emit::Node::string(v));
      }
      me.push(std::move(x));
    }
  }
  return n;
}

}  // namespace fence::lower
