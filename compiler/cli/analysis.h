// What `fence why`, `fence explain` and `fence graph` share: the program's flags, the facts about the cluster a
// question may need (--ns-labels, --label-key), the output format, and one analyzed environment.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "cli/compile_flags.h"
#include "driver/driver.h"

namespace fence::cli {

struct AnalysisFlags {
  CompileFlags compile;
  ReportFlags diagnostics;  // how the program's own diagnostics are printed (text, on stderr)
  std::string format = "text";
  std::string label_key;
  std::vector<std::string> ns_labels;

  // `formats`: what --format takes, the first being the default.
  void add_to(CLI::App& sub, const std::vector<std::string>& formats = {"text", "json"});
};

struct Analysis {
  std::unique_ptr<driver::Compilation> compilation;
  std::optional<std::string> environment;  // when the program declares environments
  analyze::Options options;
  bool ok = false;  // false: the program has errors (they are printed)

  const ir::Program& program() const { return compilation->program(); }
  analyze::ReportContext report_context() const { return {program(), compilation->sources(), options, environment}; }
};

// Reads and analyzes the inputs for the one chosen environment; with --target given, also
// compiles for that target so that the answer is about a program that builds. Prints the
// diagnostics. Throws UsageError for bad flags.
Analysis run_analysis(const AnalysisFlags& flags, const CLI::App& sub);

// Parses an endpoint given with `flag` (before the program is read, so that a mistyped flag is
// reported first), then binds workload names to the program's label key. Both throw UsageError.
analyze::EndpointWithPort parse_query(const std::string& flag, const std::string& text, bool with_port);
void bind_query(const Analysis& a, const std::string& flag, analyze::EndpointWithPort& ep);

// Writes the answer to stdout. Throws UsageError when stdout cannot be written.
void print_answer(const std::string& text);

}  // namespace fence::cli
