// W0610: an ipBlock inside the cluster's own pod or service addresses, when the program declares
// them (`set pod-cidrs = ...`, `set service-cidrs = ...`). NetworkPolicy sees traffic to a
// Service after its address is translated to a pod's, so a service address never matches; and
// pod addresses change whenever pods move. The seed's "headless service" trap is this: a
// headless Service resolves to pod addresses, which then end up in an ipBlock.
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

void in_cluster_ipblocks(Context& ctx) {
  const auto& prog = ctx.program;
  if (prog.pod_cidrs.empty() && prog.service_cidrs.empty()) return;
  auto pods = net::CidrSet::of(prog.pod_cidrs);
  auto services = net::CidrSet::of(prog.service_cidrs);
  auto cluster = pods.unite(services);
  std::set<std::tuple<FileId, std::uint32_t, std::uint32_t>> told;
  for (const auto& r : prog.rules) {
    for (const auto& p : r.peers) {
      if (p.kind != ir::Peer::Kind::Cidr || !cluster.contains(p.cidr.cidr)) continue;
      if (!told.insert({p.span.file, p.span.begin, p.span.end}).second) continue;
      const auto& c = p.cidr.cidr;
      if (pods.contains(c)) {
        ctx.sink
            .warning(Code::W0610, p.span,
                     fmt::format("{} is inside the cluster's pod CIDRs ({}): pods get new addresses whenever they are rescheduled", c.str(),
                                 pods.str()))
            .hint("select the pods by label instead, e.g. `NAMESPACE/WORKLOAD` or `pods[...]` (a headless Service's DNS answers are pod "
                  "addresses)");
      } else {
        ctx.sink
            .warning(Code::W0610, p.span,
                     fmt::format("{} is inside the cluster's {} ({}): NetworkPolicy sees the pod behind a Service, after its address is "
                                 "translated, so Service addresses match nothing",
                                 c.str(), services.contains(c) ? "service CIDRs" : "pod and service CIDRs",
                                 services.contains(c) ? services.str() : cluster.str()))
            .hint("name the pods behind the Service instead, e.g. `NAMESPACE/WORKLOAD:PORT`");
      }
    }
  }
}

}  // namespace fence::check
