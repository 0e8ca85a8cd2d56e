// The Calico target: IR to projectcalico.org/v3 objects.
//   - Namespace blocks: NetworkPolicy objects in Calico's `default` tier, one per (namespace,
//     subject) for the allows and one for the denies; `cluster` statements: GlobalNetworkPolicy
//     objects in the same tier. Deny policies have a lower order than allow policies, so that a
//     deny wins over every allow, and every policy lists the directions it has rules for in
//     `types`: as in Kubernetes, any rule (a deny too) isolates its subject in its direction, and
//     Calico drops what the tier leaves undecided for the endpoints it selects. Default denies:
//     policies with `types` and no rules.
//   - `admin` blocks: GlobalNetworkPolicy objects in the tier `fence-admin` (before `default`),
//     `baseline` blocks in `fence-baseline` (after it), both with defaultAction Pass; policies are
//     ordered by the block's priority and then by source order, so that rules are first-match.
//   - Staged (Options::staged): the same policies as StagedNetworkPolicy and
//     StagedGlobalNetworkPolicy (stagedAction Set), which Calico evaluates without enforcing.
// DNS names, HTTP rules and Cilium entities are errors (E1201-E1203).
#pragma once

#include <string>
#include <vector>

#include "diag/diagnostic.h"
#include "emit/document.h"
#include "ir/ir.h"

namespace fence::lower::calico {

struct Options {
  // --staged: StagedNetworkPolicy / StagedGlobalNetworkPolicy instead of the enforced kinds.
  bool staged = false;
};

// The tiers Fence writes, and their orders (Calico's `default` tier has order 1,000,000; a lower
// order is evaluated first).
inline constexpr const char* kAdminTier = "fence-admin";
inline constexpr const char* kDefaultTier = "default";
inline constexpr const char* kBaselineTier = "fence-baseline";
inline constexpr int kAdminTierOrder = 100;
inline constexpr int kDefaultTierOrder = 1000000;
inline constexpr int kBaselineTierOrder = 5000000;
// The policies of the admin (baseline) tier have orders 1, 2, 3, ... by the block's priority and
// then source order; their names carry the priority and the place ("fence-admin.10-0-web").
// The orders of Fence's policies in the default tier: denies before allows (Calico gives a
// Kubernetes NetworkPolicy order 1000). Within each kind rules do not compete: allows are a union,
// and denies all deny.
inline constexpr int kDenyPolicyOrder = 100;
inline constexpr int kAllowPolicyOrder = 1000;
// The label whose value Calico sets to a namespace's name, for namespace selectors.
inline constexpr const char* kNamespaceNameLabel = "projectcalico.org/name";

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink);

// Selectors in Calico's syntax: `app == 'web' && tier in {'a', 'b'} && !has(canary)`, `all()`
// for every endpoint; a namespace by name is `projectcalico.org/name == 'shop'`.
std::string calico_selector(const net::LabelSelector& s);
std::string calico_namespace_selector(const ir::NamespaceSel& ns);

}  // namespace fence::lower::calico
