#include "check/check.h"

namespace fence::check {

const std::vector<Pass>& passes() {
  static const std::vector<Pass> table = {};
  return table;
}

void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink) {
  Context ctx{program, sm, sink};
  for (const auto& p : passes()) p.run(ctx);
}

}  // namespace fence::check
