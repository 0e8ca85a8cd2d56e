#include "check/check.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence::check {

const std::vector<Pass>& passes() {
  static const std::vector<Pass> table = {
      {"deny-conflicts", "a deny that takes all (E0601) or part (W0602) of an allow", deny_conflicts},
      {"redundant-allows", "an allow contained in another allow of the same subject (W0603)", redundant_allows},
      {"dns", "egress-isolated pods that may not reach DNS (W0604), or only over UDP (W0605)", dns_reachable},
      {"metadata", "egress to every address that leaves the cloud metadata endpoint reachable (W0606)", metadata_reachable},
      {"default-deny-undone", "an allow for every pod that undoes a default deny (W0607)", default_deny_undone},
      {"empty-selectors", "selectors that match nothing (W0608)", empty_selectors},
      {"mentioned-once", "names that look like misspellings of others (I0609), of definitions, std names or namespaces (W0613)", mentioned_once},
      {"in-cluster-ipblocks", "ipBlocks aimed at the declared pod or service CIDRs (W0610)", in_cluster_ipblocks},
      {"unused-lets", "definitions that nothing uses (W0614)", unused_lets},
      {"std-not-imported", "std names used as workloads without `import std` (W0615)", std_not_imported},
      {"implied-sides", "the other side of a connection, added in another namespace (I0616)", implied_sides},
      {"isolating-statements", "statements that isolate their subject where no default deny does (I0617)", isolating_statements},
      {"inventory-pods", "pods and namespaces the inventory does not have (W0805, W0806)", inventory_pods},
      {"inventory-ports", "ports, port names and protocols the selected pods do not serve (W0807-W0809)", inventory_ports},
      {"one-side-refused", "one-sided allows whose other side refuses the connection (W0620)", one_side_refused},
      {"tiers", "admin denies that cancel namespace allows (W0640), baseline statements that never apply (W0641), priority ties (W0642)", tiers},
  };
  return table;
}

std::string describe_pods(const ir::Endpoint& e, bool one) {
  std::string pods = e.pods.selects_all() ? (one ? "pod" : "every pod") : fmt::format("{} labelled {}", one ? "pod" : "pods", e.pods.str());
  switch (e.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      return fmt::format("{} in namespace {}", pods, e.ns.name);
    case ir::NamespaceSel::Kind::Selector:
      return fmt::format("{} in the namespaces {}", pods, e.ns.str());
    case ir::NamespaceSel::Kind::Any:
      break;
  }
  return fmt::format("{} in any namespace", pods);
}

bool in_stdlib(const SourceManager& sm, const Span& span) {
  return !span.valid() || sm.file(span.file).path.rfind("<stdlib>", 0) == 0;
}

std::optional<std::size_t> Context::source_file(const Span& span) const {
  if (source == nullptr || !span.valid()) return std::nullopt;
  for (std::size_t f = 0; f < source->files.size(); ++f) {
    if (source->files[f].id == span.file) return f;
  }
  return std::nullopt;
}

std::vector<sema::Scopes::Found> Context::visible_at(const Span& span) {
  auto f = source_file(span);
  if (!f) return {};
  return scopes().visible(*f, scopes().block_at(*f, span.begin));
}

namespace {

// The passes that read the program as namespace policies (isolation, a deny wins, the other side
// of a connection): with tiers, they see the namespace tier only, and the `tiers` pass the rest.
bool namespace_pass(std::string_view name) {
  for (std::string_view n : {"deny-conflicts", "redundant-allows", "dns", "metadata", "default-deny-undone", "implied-sides", "isolating-statements",
                             "one-side-refused"}) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace

void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink, Inputs inputs) {
  bool tiered = std::any_of(program.rules.begin(), program.rules.end(), [](const ir::Rule& r) { return r.tier != ir::Tier::Namespace; });
  if (!tiered) {
    Context ctx(program, sm, sink, inputs);
    for (const auto& p : passes()) p.run(ctx);
    return;
  }
  ir::Program namespaces = program;
  std::erase_if(namespaces.rules, [](const ir::Rule& r) { return r.tier != ir::Tier::Namespace; });
  Context whole(program, sm, sink, inputs);
  Context local(namespaces, sm, sink, inputs);
  for (const auto& p : passes()) p.run(namespace_pass(p.name) ? local : whole);
}

}  // namespace fence::check
