// The ClusterNetworkPolicy target (policy.networking.k8s.io/v1alpha2, network-policy-api v0.2.0):
// the namespace tier as NetworkPolicy objects, exactly as lower/k8s writes them, and each `admin`
// or `baseline` block as ClusterNetworkPolicy objects of that tier and priority, one per subject.
#pragma once

#include <vector>

#include "diag/diagnostic.h"
#include "emit/document.h"
#include "ir/ir.h"
#include "lower/k8s/lower.h"

namespace fence::lower::cnp {

// The API's release channels: the experimental CRD adds egress `domainNames` (Accept only) and
// `nodes` peers.
enum class Channel { Standard, Experimental };

struct Options {
  Channel channel = Channel::Standard;
  // The NetworkPolicy half: --allow-l4-fallback, and diagnostics_only (which applies to both).
  k8s::Options k8s;
};

// The API's limits, checked at compile time.
inline constexpr std::size_t kMaxRules = 25;      // per direction of one object
inline constexpr std::size_t kMaxPeers = 25;      // per rule; and CIDRs or domain names per peer
inline constexpr std::size_t kMaxProtocols = 25;  // per rule
inline constexpr std::size_t kMaxRuleName = 100;

// What neither object can express is an error at the statement that wrote it (E04xx for the
// namespace tier, E11xx for the tier blocks).
std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink);

}  // namespace fence::lower::cnp
