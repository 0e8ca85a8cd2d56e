#include "check/check.h"

namespace fence::check {

const std::vector<Pass>& passes() {
  static const std::vector<Pass> table = {
      {"deny-conflicts", "a deny that takes all (E0601) or part (W0602) of an allow", deny_conflicts},
      {"redundant-allows", "an allow contained in another allow of the same subject (W0603)", redundant_allows},
      {"dns", "egress-isolated pods that may not reach DNS (W0604), or only over UDP (W0605)", dns_reachable},
      {"metadata", "egress to every address that leaves the cloud metadata endpoint reachable (W0606)", metadata_reachable},
      {"default-deny-undone", "an allow for every pod that undoes a default deny (W0607)", default_deny_undone},
      {"empty-selectors", "selectors that match nothing (W0608)", empty_selectors},
      {"mentioned-once", "names mentioned once that look like misspellings of others (I0609)", mentioned_once},
      {"in-cluster-ipblocks", "ipBlocks aimed at the declared pod or service CIDRs (W0610)", in_cluster_ipblocks},
      {"one-side-refused", "one-sided allows whose other side refuses the connection (W0620)", one_side_refused},
  };
  return table;
}

void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink) {
  Context ctx(program, sm, sink);
  for (const auto& p : passes()) p.run(ctx);
}

}  // namespace fence::check
