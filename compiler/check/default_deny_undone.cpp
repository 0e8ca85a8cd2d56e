// W0607: an allow for every pod of a namespace, on every port (every TCP and UDP port, at least),
// to (or from) at least half of an address family, makes that namespace's default deny in that direction meaningless. The seed's
// own block-metadata policy is the example: `all pods may reach 0.0.0.0/0 except 169.254.169.254/32`
// next to `default deny egress`.
#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

bool every_pod_of_scope(const ir::Rule& r) {
  if (!r.subject.pods.selects_all()) return false;
  if (r.scope.cluster) return r.subject.ns.kind == ir::NamespaceSel::Kind::Any;
  return r.subject.ns.kind == ir::NamespaceSel::Kind::Named && r.subject.ns.name == r.scope.ns;
}

// Every TCP and UDP port (what nearly all traffic uses), whatever else.
bool every_port(const net::PortSet& p) {
  const net::PortSet::Numbers all(1, net::PortSet::kMaxPort);
  return p.numbers(net::Protocol::TCP) == all && p.numbers(net::Protocol::UDP) == all;
}

std::string share(double coverage, const char* family) {
  if (coverage >= 1.0) return fmt::format("every {} address", family);
  if (coverage >= 0.99) return fmt::format("almost every {} address", family);
  return fmt::format("{:.0f}% of all {} addresses", coverage * 100, family);
}

}  // namespace

void default_deny_undone(Context& ctx) {
  const auto& facts = ctx.facts();
  for (std::size_t i = 0; i < ctx.program.rules.size(); ++i) {
    const auto& r = ctx.program.rules[i];
    if (r.action != ir::Action::Allow || r.origin.implied || !every_pod_of_scope(r) || !every_port(facts.ports(i))) continue;
    const auto* dd = facts.default_deny(r.scope, r.direction);
    if (dd == nullptr || facts.cidrs(i).empty()) continue;
    // The addresses allowed on every port once the denies are taken out.
    auto left = facts.cidrs(i);
    if (facts.denied_in_part(i)) {
      for (const auto& piece : ir::subtract(facts.denies(), r, facts.cidrs(i), facts.ports(i)).pieces) left = left.intersect(piece.cidrs);
    }
    double v4 = left.coverage(net::Family::V4), v6 = left.coverage(net::Family::V6);
    if (v4 < 0.5 && v6 < 0.5) continue;
    auto what = v4 >= v6 ? share(v4, "IPv4") : share(v6, "IPv6");
    auto where = r.scope.cluster ? std::string("the cluster") : r.scope.ns;
    auto msg = r.direction == ir::Direction::Egress
                   ? fmt::format("this lets every pod of {} reach {} on every port, which undoes `default deny egress`", where, what)
                   : fmt::format("this lets {} reach every pod of {} on every port, which undoes `default deny ingress`", what, where);
    ctx.sink.warning(Code::W0607, r.origin.target, msg)
        .note(dd->span, "the default deny is here")
        .hint(r.direction == ir::Direction::Egress
                  ? "allow what each workload needs, on its ports; for the internet, `internet:443` (with `import std`) leaves out private "
                    "ranges and the metadata endpoint"
                  : "allow the sources each workload needs, on its ports");
  }
}

}  // namespace fence::check
