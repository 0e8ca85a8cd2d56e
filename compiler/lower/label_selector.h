// Kubernetes label selectors (matchLabels + matchExpressions) as both targets write them: the
// NetworkPolicy's pod and namespace selectors, and Cilium's endpoint selectors.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "emit/document.h"
#include "net/selector.h"

namespace fence::lower {

struct LabelSelector {
  std::vector<std::pair<std::string, std::string>> match_labels;  // sorted by key
  struct Expression {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
    friend auto operator<=>(const Expression&, const Expression&) = default;
  };
  std::vector<Expression> match_expressions;
  friend auto operator<=>(const LabelSelector&, const LabelSelector&) = default;
};

// `key` rewrites each label key on the way (Cilium prefixes sources); the identity by default.
LabelSelector to_label_selector(const net::LabelSelector& s, const std::function<std::string(const std::string&)>& key = {});
emit::Node to_node(const LabelSelector& s);

}  // namespace fence::lower
