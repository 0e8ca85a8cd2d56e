// I0616 and I0617: what a statement does beyond its own line, said where it is written, so that
// nothing is added or isolated without a word. Neither is a mistake, and a program has many of
// them: they are computed only when asked for (check::Inputs::explain: --verbose, and the
// language server, which shows them as hints); see docs/checks.md.
//
//   I0616: a `may reach` between pods also opens the destination's ingress side where its
//          namespace denies ingress by default (`may be reached by`, the source's egress side):
//          when that namespace is another one than the statement's, the note names it and the
//          pods whose policy gets the rule.
//   I0617: any rule isolates its subject in its direction. Where the subject's namespace has no
//          default deny for that direction, the statement is what isolates it: from then on the
//          pods may send (or receive) only what their statements allow. Said once per subject
//          and direction, at its first statement.
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

std::string ports_text(const std::vector<net::Port>& ports) {
  if (ports.empty()) return "every port";
  std::vector<std::string> parts;
  for (const auto& p : ports) parts.push_back(p.str());
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace

void implied_sides(Context& ctx) {
  if (!ctx.explain) return;
  std::set<std::tuple<FileId, std::uint32_t, std::string, std::string>> told;  // target, scope, subject
  for (const auto& r : ctx.program.rules) {
    if (!r.origin.implied || r.peers.empty() || in_stdlib(ctx.sm, r.origin.target)) continue;
    const auto& back = r.peers.front().endpoint;  // the statement's subject
    bool other_namespace = r.scope.cluster || back.ns.kind != ir::NamespaceSel::Kind::Named || back.ns.name != r.scope.ns;
    if (!other_namespace) continue;
    if (!told.insert({r.origin.target.file, r.origin.target.begin, r.scope.str(), r.subject.str()}).second) continue;
    bool ingress = r.direction == ir::Direction::Ingress;
    std::string where = r.scope.cluster ? std::string("cluster-wide") : fmt::format("in namespace {}", r.scope.ns);
    std::string pods = r.subject.pods.selects_all() ? std::string("every pod") : fmt::format("the pods labelled {}", r.subject.pods.str());
    if (!r.scope.cluster) pods += " there";
    ctx.sink
        .report(Code::I0616, r.origin.target,
                fmt::format("this also adds {} rule {}, for {}: it lets {} {} on {}", ingress ? "an ingress" : "an egress", where, pods,
                            ingress ? "in" : "out to", describe_pods(back), ports_text(r.ports)))
        .note(Span{}, r.scope.cluster ? fmt::format("a cluster-wide default deny {} stops it otherwise", ingress ? "ingress" : "egress")
                                      : fmt::format("namespace {} denies {} by default, so the connection needs both sides", r.scope.ns,
                                                    ingress ? "ingress" : "egress"));
  }
}

void isolating_statements(Context& ctx) {
  if (!ctx.explain) return;
  const auto& facts = ctx.facts();
  for (const auto& g : facts.groups()) {
    if (g.scope.cluster || ctx.program.namespace_denies(g.scope.ns, g.direction)) continue;
    const ir::Rule* first = nullptr;
    for (auto i : g.rules) {
      const auto& r = ctx.program.rules[i];
      if (r.origin.implied) continue;
      first = &r;
      break;
    }
    if (first == nullptr || in_stdlib(ctx.sm, first->subject_span)) continue;
    bool egress = g.direction == ir::Direction::Egress;
    ctx.sink
        .report(Code::I0617, first->subject_span,
                fmt::format("this isolates {} for {}: namespace {} has no `default deny {}`, so from here on these pods may {} only what their "
                            "statements allow",
                            describe_pods(g.subject), ir::direction_name(g.direction), g.scope.ns, ir::direction_name(g.direction),
                            egress ? "reach" : "be reached by"))
        .hint(egress ? "list everything they need to reach (DNS included), or state `default deny egress` for the namespace to make it explicit"
                     : "list everything that must reach them, or state `default deny ingress` for the namespace to make it explicit");
  }
}

}  // namespace fence::check
