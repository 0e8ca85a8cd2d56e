// The Cilium target: IR to cilium.io/v2 CiliumNetworkPolicy objects, and
// CiliumClusterwideNetworkPolicy objects for `cluster { ... }` statements.
// One object per (namespace, subject) carries that subject's ingress, egress and deny rules;
// default denies get objects of their own. The output respects what Cilium's agent accepts,
// not only its CRD schema: one peer kind per rule, at most 40 ports per toPorts entry, L7 rules
// only where the agent takes them, and a DNS-proxy rule wherever toFQDNs needs one.
#pragma once

#include <vector>

#include "diag/diagnostic.h"
#include "emit/document.h"
#include "ir/ir.h"

namespace fence::lower::cilium {

// Constructs Cilium cannot express are errors at the statement that wrote them.
std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink);

}  // namespace fence::lower::cilium
