// The flags the compiling subcommands share, and the compile loop they share: every chosen
// environment, every chosen target.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "diag/render.h"
#include "emit/document.h"

namespace fence::cli {

// How diagnostics are reported. Text goes to stderr; json and sarif are one document on stdout.
struct ReportFlags {
  std::string color = "auto";
  std::string format = "text";
  bool quiet = false;
  bool verbose = false;

  void add_to(CLI::App& sub);
  ColorMode color_mode() const;
  DiagFormat diag_format() const;
  bool machine() const { return diag_format() != DiagFormat::Text; }
};

struct CompileFlags {
  std::vector<std::string> inputs;
  std::string target = "k8s";
  std::vector<std::string> envs;
  bool all_envs = false;
  bool allow_l4_fallback = false;
  bool staged = false;  // --staged (calico)
  std::string cnp_channel = "standard";
  bool werror = false;
  std::vector<std::string> allow;  // codes to silence
  std::string max_memory = "auto";  // --max-memory, see cli/memory.h
  std::string max_file_size = "64M";  // --max-file-size

  // --max-file-size in bytes (throws UsageError for a value it cannot read).
  std::size_t max_file_bytes() const;
  std::vector<std::string> inventory;  // manifests of the cluster's workloads
  std::string inventory_namespace = "default";
  // --root: the directory source paths are shown relative to; empty: the nearest fence.toml's
  // directory at or above the inputs, else their common directory (driver/project.h).
  std::string root;

  // `envs_help` says what --env means for this subcommand.
  void add_to(CLI::App& sub, const std::string& envs_help);
  // The targets to compile for: --target when given (`all`: every target of the program), else
  // the ones the program builds for (sema::program_targets), else k8s. Throws UsageError for a
  // target the program's `targets` line leaves out, and for --staged or --cnp-channel when the
  // target they are for is not among them.
  std::vector<std::string> chosen_targets(const std::vector<std::string>& program_targets = {}) const;
  bool target_given() const { return target_option != nullptr && target_option->count() > 0; }
  const CLI::Option* target_option = nullptr;
  const CLI::Option* cnp_channel_option = nullptr;
  // The driver's options these flags choose. Throws UsageError for an inventory path that does
  // not exist.
  driver::Options driver_options() const;
};

// What a subcommand does when the program declares environments and none is named.
enum class EnvDefault {
  Every,   // every declared environment (check, build -o)
  Insist,  // a usage error that lists them (build to stdout)
};

struct CompileMode {
  EnvDefault env_default = EnvDefault::Every;
  bool keep_ir = false;  // keep each environment's IR (EnvResult::program)
  bool lower = true;     // lower to the chosen targets
  bool explain = false;  // also the infos that explain what statements do (--verbose)
};

// One environment's result; `env` is empty when the program declares none.
struct EnvResult {
  std::optional<std::string> env;
  bool ok = false;
  ir::Program program;                                    // kept only when asked for
  std::map<std::string, std::vector<emit::Object>> objects;  // per target
};

struct CompileOutcome {
  std::unique_ptr<driver::Compilation> compilation;
  std::vector<std::string> declared;  // the environments the program declares
  std::vector<std::string> targets;   // the targets compiled for, in order
  std::vector<EnvResult> envs;        // in the order chosen
  bool ok = false;
};

// Reads the inputs, then analyzes and lowers for each chosen environment and target. Prints
// nothing: the caller reports (see `report`), after adding diagnostics of its own if it has any.
// A diagnostic that arises in only some of several environments (or, for a program that means
// something different per target, targets) gets a note naming them.
CompileOutcome compile(const CompileFlags& flags, const CompileMode& mode);

// Prints the compilation's diagnostics as the flags ask; true when there were no errors.
bool report(const driver::Compilation& c, const ReportFlags& flags);
// The same for diagnostics about other inputs (the YAML `fence import` reads).
// `root` is the project root, which SARIF names as the base of its relative file URIs.
bool report(const DiagnosticSink& sink, const SourceManager& sm, const ReportFlags& flags, const std::string& root = {});

// Applies --max-memory (throws UsageError for a value it cannot read).
void apply_memory_limit(const CompileFlags& flags);

// Reports that fence ran out of memory (E0106) as the flags ask (text when there are none), once
// the memory of the failed compilation has been freed; returns the exit code, 2.
int report_out_of_memory(const ReportFlags* flags);

}  // namespace fence::cli
