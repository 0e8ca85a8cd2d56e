// Which of an inventory's workloads a program's pods select: what the checks (W08xx), and
// anything that turns the program's statements into concrete pods, ask the inventory. The one
// place where the IR meets the inventory: inventory.h knows nothing of Fence's programs.
#pragma once

#include <vector>

#include "inventory/inventory.h"
#include "ir/ir.h"

namespace fence::inventory {

struct Selection {
  std::vector<std::size_t> workloads;  // indices into Inventory::workloads(), in inventory order
  // False when the inventory cannot tell which pods the endpoint has: a named namespace where it
  // has no workloads, or a namespace selector on labels of namespaces it has no Namespace object
  // for (and nothing matched elsewhere).
  bool decided = false;
};

// The workloads whose pods an endpoint (a rule's subject, or a peer's endpoint) selects. A
// namespace selector matches the Namespace objects' labels; kubernetes.io/metadata.name is every
// namespace's name. Costs a lookup in the label index per namespace it may select.
Selection select(const Inventory& inventory, const ir::Endpoint& endpoint);

}  // namespace fence::inventory
