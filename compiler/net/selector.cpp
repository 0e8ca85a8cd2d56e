#include "net/selector.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence::net {

std::string Requirement::str() const {
  switch (op) {
    case SelOp::Equals:
      return fmt::format("{}={}", key, values.empty() ? "" : values[0]);
    case SelOp::NotEquals:
      return fmt::format("{}!={}", key, values.empty() ? "" : values[0]);
    case SelOp::In:
      return fmt::format("{} in ({})", key, fmt::join(values, ","));
    case SelOp::NotIn:
      return fmt::format("{} notin ({})", key, fmt::join(values, ","));
    case SelOp::Exists:
      return key;
    case SelOp::DoesNotExist:
      return "!" + key;
  }
  return key;
}

void LabelSelector::add(Requirement r) {
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  auto it = std::lower_bound(reqs.begin(), reqs.end(), r);
  if (it != reqs.end() && *it == r) return;
  reqs.insert(it, std::move(r));
}

std::string LabelSelector::str() const {
  std::vector<std::string> parts;
  parts.reserve(reqs.size());
  for (const auto& r : reqs) parts.push_back(r.str());
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace fence::net
