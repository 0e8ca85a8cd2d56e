// Learning from observed traffic: Hubble flow logs (`hubble observe -o json`, one JSON object per
// line) to the Fence statements that would allow what was seen. Pods are grouped by their
// workload label, destinations outside the cluster become DNS names (where Cilium's DNS proxy
// saw the lookup) or addresses, and each statement carries the number of flows behind it. The
// result is a starting point to review, and says so.
#pragma once

#include <string>
#include <vector>

#include "diag/diagnostic.h"

namespace fence::import {

// Reads the flow logs (already added to `sm`) and writes a program. Lines that are not JSON, or
// not Hubble's, are errors (E0911) at their line.
std::string flows_to_fence(const std::vector<FileId>& files, const SourceManager& sm, DiagnosticSink& sink);

}  // namespace fence::import
