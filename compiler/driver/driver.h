// The pipeline in one place, for the command line, the language server and the tests:
// load (syntax) -> resolve (sema) -> check -> lower/<target> -> emit. After a stage that
// reported errors, nothing runs that could produce output.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "check/suppress.h"
#include "diag/diagnostic.h"
#include "emit/document.h"
#include "inventory/inventory.h"
#include "inventory/load.h"
#include "ir/ir.h"
#include "lower/calico/lower.h"
#include "lower/cnp/lower.h"
#include "lower/k8s/lower.h"
#include "sema/loader.h"
#include "sema/resolve.h"

namespace fence::driver {

struct SourceInput {
  std::string path;  // as shown to the user
  std::string text;
};

struct Options {
  std::vector<std::string> stdlib_path = sema::default_stdlib_path();
  // How files are read and parsed: the language server serves open buffers and caches parses.
  // Only read_file, parse, imports_despite_errors and max_file_bytes are taken from here; empty:
  // the defaults.
  sema::LoaderOptions loader;
  bool run_checks = true;
  // Also run the checks that explain what statements do (I0616, I0617): --verbose.
  bool explain = false;
  // --allow and --werror; `# fence:allow` comments apply whatever this says.
  check::Policy policy;
  lower::k8s::Options k8s;
  lower::calico::Options calico;  // --staged
  // --cnp-channel: the ClusterNetworkPolicy CRD's release channel.
  lower::cnp::Channel cnp_channel = lower::cnp::Channel::Standard;
  // The inventory of the cluster's workloads. Paths given here (--inventory) replace the
  // program's `set inventory`; objects without a namespace belong to `inventory_namespace`. The
  // language server keeps a cache across compilations.
  std::vector<std::string> inventory;
  std::string inventory_namespace = "default";
  std::optional<std::string> inventory_stdin;  // what the inventory path "-" stands for
  std::shared_ptr<inventory::Cache> inventory_cache;
  // Show source paths relative to the project root (driver/project.h), so that output does not
  // depend on the working directory. `root` is --root; empty: found from the inputs. Off: paths
  // as the inputs name them.
  bool project_paths = false;
  std::string root;
};

// The targets Fence can lower to.
const std::vector<std::string>& targets();

// Lowers an analyzed program to one target's objects, reporting what the target cannot express.
// Compilation::lower uses it; the language server lowers single statements with it.
std::vector<emit::Object> lower_program(const ir::Program& program, const std::string& target, const SourceManager& sm, const Options& options,
                                        DiagnosticSink& sink);

class Compilation {
 public:
  explicit Compilation(Options options);

  // Loads and parses the inputs and their imports. False on any error.
  bool load(const std::vector<SourceInput>& inputs);
  // Resolves the loaded program for one environment (none: default values) and target (none:
  // values for every target, `for` blocks left out), then runs the checks. May be called once
  // per environment and target; each call replaces the IR. False on errors.
  //
  // `lower_ahead`: the targets lower() will be asked for next. Once the program resolved, they
  // are lowered on a second thread while the checks run on this one; lower() then hands out what
  // that found, with its diagnostics after the checks', as if it had lowered then. When the
  // analysis reports errors, the lowering is thrown away (and an exception it threw with it);
  // otherwise an exception it threw is thrown here.
  bool analyze(const std::optional<std::string>& environment = std::nullopt, const std::optional<std::string>& target = std::nullopt,
               const std::vector<std::string>& lower_ahead = {});
  // Lowers the last analyzed program to one target's objects. Empty when this analysis or the
  // lowering reported errors.
  std::vector<emit::Object> lower(const std::string& target);

  const std::vector<std::string>& environments() const { return environments_; }
  // The targets the program builds for when none is chosen (sema::program_targets): empty for a
  // program that says nothing about targets.
  const std::vector<std::string>& program_targets() const { return program_targets_; }
  // Whether the program means something different per target, so that each target is analyzed
  // on its own (`let ... for`, `for` blocks).
  bool per_target() const { return per_target_; }
  const ir::Program& program() const { return ir_; }
  const sema::LoadedProgram& loaded() const { return loaded_; }
  const SourceManager& sources() const { return sm_; }
  // For diagnostics about files that are not sources, such as a build's output (--check).
  SourceManager& sources() { return sm_; }
  DiagnosticSink& sink() { return sink_; }
  const DiagnosticSink& sink() const { return sink_; }
  const Options& options() const { return options_; }
  // The project root source paths are relative to (absolute); empty without project_paths.
  const std::string& root() const { return root_; }
  // The inventory the last analysis was checked against; null when it had none.
  const inventory::Inventory* inventory() const { return inventory_.get(); }

 private:
  // Loads the inventory the options or the program name, unless it is the one loaded already;
  // reports what reading it found (again for each environment, so that a problem in the
  // inventory is not taken for one of some environments only).
  void load_inventory();

  // Finds the project root and checks its fence.toml; false on errors in it.
  bool find_root(const std::vector<SourceInput>& inputs);

  Options options_;
  std::string root_;
  SourceManager sm_;
  DiagnosticSink sink_;
  sema::LoadedProgram loaded_;
  std::vector<std::string> environments_;
  std::vector<std::string> program_targets_;
  bool per_target_ = false;
  ir::Program ir_;
  check::Suppressions suppressions_;
  std::size_t errors_before_analysis_ = 0;
  bool analyzed_ok_ = false;
  // What analyze() lowered ahead, per target, for lower() to hand out.
  struct Lowered {
    std::vector<emit::Object> objects;
    DiagnosticSink sink;
  };
  std::map<std::string, Lowered> lowered_ahead_;
  std::vector<inventory::Source> inventory_sources_;
  std::unique_ptr<inventory::Inventory> inventory_;
  std::vector<Diagnostic> inventory_diagnostics_;
};

}  // namespace fence::driver
