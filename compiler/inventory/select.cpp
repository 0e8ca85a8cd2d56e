#include "inventory/select.h"

#include <algorithm>

namespace fence::inventory {

namespace {

using net::kNamespaceNameLabel;

// The labels of a namespace as far as the inventory knows them (its name label at least), and
// whether that is all of them (the inventory has its Namespace object).
std::pair<Labels, bool> known_namespace_labels(const Inventory& inventory, const std::string& ns) {
  if (auto labels = inventory.namespace_labels(ns)) return {*labels, true};
  return {Labels{{kNamespaceNameLabel, ns}}, false};
}

}  // namespace

Selection select(const Inventory& inventory, const ir::Endpoint& endpoint) {
  Selection out;
  switch (endpoint.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      if (!inventory.has_workloads(endpoint.ns.name)) return out;
      out.workloads = inventory.select(endpoint.ns.name, endpoint.pods);
      out.decided = true;
      return out;
    case ir::NamespaceSel::Kind::Any:
    case ir::NamespaceSel::Kind::Selector: {
      bool any_unknown = false;
      // Requirements on other keys than the name cannot be judged without the Namespace object.
      bool name_only = std::all_of(endpoint.ns.selector.reqs.begin(), endpoint.ns.selector.reqs.end(),
                                   [](const net::Requirement& r) { return r.key == kNamespaceNameLabel; });
      for (const auto& ns : inventory.namespace_names()) {
        if (!inventory.has_workloads(ns)) continue;
        if (endpoint.ns.kind == ir::NamespaceSel::Kind::Selector) {
          auto [labels, complete] = known_namespace_labels(inventory, ns);
          if (!complete && !name_only) {
            any_unknown = true;
            continue;
          }
          if (!endpoint.ns.selector.matches(labels)) continue;
        }
        auto found = inventory.select(ns, endpoint.pods);
        out.workloads.insert(out.workloads.end(), found.begin(), found.end());
      }
      std::sort(out.workloads.begin(), out.workloads.end());
      out.decided = !any_unknown || !out.workloads.empty();
      return out;
    }
  }
  return out;
}

}  // namespace fence::inventory
