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
// What explain says, one line per direction and peer, without citations, for comparing two
// builds (`fence diff --level connections`): "W may reach P on 5432/tcp", "W egress: open", ...
// A line whose other end does not admit the connection says so. `origin` is the first statement
// behind the line, when there is one. `workload` names W (its namespace as the source writes it).
struct ConnectionLine {
  std::string text;
  Span origin;
};
std::vector<ConnectionLine> connection_lines(const Explanation& e, const std::string& workload, const ReportContext& ctx);
std::string explain_json(const Explanation& e, const ReportContext& ctx);
// What an undecided answer depends on, in one sentence citing the rule (`assumed`: a pod's
// address that the answer took to lie outside the rule's CIDR).
std::string caveat_text(const Caveat& c, const ReportContext& ctx, bool assumed = false);

}  // namespace fence::analyze
