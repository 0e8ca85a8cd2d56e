// Checks: a table of named passes over the IR. Each pass reads the program and reports
// diagnostics; none changes anything. A new check is a new file here plus a row in passes().
#pragma once

#include <string_view>
#include <vector>

#include "diag/diagnostic.h"
#include "ir/ir.h"

namespace fence::check {

struct Context {
  const ir::Program& program;
  const SourceManager& sm;
  DiagnosticSink& sink;
};

struct Pass {
  std::string_view name;
  std::string_view summary;
  void (*run)(Context& ctx);
};

const std::vector<Pass>& passes();

// Runs every pass in table order.
void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink);

}  // namespace fence::check
