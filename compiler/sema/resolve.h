// Resolution: from the loaded files' ASTs to the target-independent IR, for one environment.
// Resolves names (lets, imports, the standard library), checks every value against what the
// Kubernetes API accepts, applies the environment, and adds the implied side of each connection.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.h"
#include "ir/ir.h"
#include "sema/loader.h"

namespace fence::sema {

struct ResolveOptions {
  // The environment to build. Without one, definitions take their default values and `when`
  // blocks are left out.
  std::optional<std::string> environment;
  // The target to build (`k8s`, `cilium`). Without one, definitions take their values for every
  // target and `for` blocks are left out.
  std::optional<std::string> target;
};

ir::Program resolve(const LoadedProgram& program, const SourceManager& sm, const ResolveOptions& options, DiagnosticSink& sink);

// The environments the program declares (`environments dev, staging, prod`), in declared order.
std::vector<std::string> declared_environments(const LoadedProgram& program);

// The targets sema knows (`targets`, `for`): the same names as the driver's lowerings.
const std::vector<std::string>& known_targets();

// The targets the program declares (`targets k8s, cilium`), in declared order.
std::vector<std::string> declared_targets(const LoadedProgram& program);
// Whether any `let ... for` or `for` block (or `when ... for`) is written: such a program means
// something different per target.
bool uses_per_target(const LoadedProgram& program);
// The targets the program builds for when none is chosen: those it declares; without a `targets`
// line, every known target if it writes per-target constructs; otherwise none (the caller's default).
std::vector<std::string> program_targets(const LoadedProgram& program);

// The label key bare workload names use unless `set label-key` says otherwise.
inline constexpr const char* kDefaultLabelKey = "app";

// Cilium's entity names.
const std::vector<std::string>& known_entities();

}  // namespace fence::sema
