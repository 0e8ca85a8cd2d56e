// The Kubernetes target: IR to networking.k8s.io/v1 NetworkPolicy objects.
// One object per (namespace, subject, direction), plus the default-deny objects.
#pragma once

#include <vector>

#include "diag/diagnostic.h"
#include "emit/document.h"
#include "ir/ir.h"

namespace fence::lower::k8s {

struct Options {
  // Degrade HTTP rules to their ports, with a warning per statement, instead of failing.
  bool allow_l4_fallback = false;
  // Report what NetworkPolicy cannot express, but build no objects: the language server wants
  // the diagnostics after every edit, and the objects only when asked.
  bool diagnostics_only = false;
};

// Constructs NetworkPolicy cannot express are errors at the statement that wrote them.
std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink);

}  // namespace fence::lower::k8s
