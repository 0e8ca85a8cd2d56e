// The answers of `fence why` and `fence explain` as text for people and JSON for programs. Every
// line that depends on the program cites the statements responsible as file:line.
#pragma once

#include <optional>
#include <string>

#include "analyze/reach.h"
#include "diag/source.h"

namespace fence::analyze {

struct ReportContext {
  const ir::Program& program;
  const SourceManager& sources;
  const Options& options;
  std::optional<std::string> environment;  // shown when the program declares environments
};

std::string why_text(const Verdict& v, const ReportContext& ctx);
std::string why_json(const Verdict& v, const ReportContext& ctx);
std::string explain_text(const Explanation& e, const ReportContext& ctx);
std::string explain_json(const Explanation& e, const ReportContext& ctx);

}  // namespace fence::analyze
