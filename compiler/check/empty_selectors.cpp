// W0608: a selector that no pod (or namespace) can match, because its requirements on one key
// contradict each other: `pods[app in (a), app notin (a)]`, `pods[tier, !tier]`, `pods[app=a,
// app=b]`. A statement with such a subject or peer does nothing, which is never what was meant.
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

void report(Context& ctx, std::set<std::tuple<FileId, std::uint32_t, std::uint32_t>>& told, Span span, const ir::Endpoint& e) {
  if (!span.valid() || !told.insert({span.file, span.begin, span.end}).second) return;
  if (auto key = e.pods.contradiction()) {
    ctx.sink.warning(Code::W0608, span, fmt::format("no pod can match pods[{}]: its requirements on '{}' contradict each other", e.pods.str(), *key))
        .hint("a pod has one value per label: check the selector's requirements on that key");
  } else if (e.ns.kind == ir::NamespaceSel::Kind::Selector) {
    if (auto ns_key = e.ns.selector.contradiction()) {
      ctx.sink.warning(Code::W0608, span, fmt::format("no namespace can match {}: its requirements on '{}' contradict each other", e.ns.str(), *ns_key))
          .hint("a namespace has one value per label: check the selector's requirements on that key");
    }
  }
}

}  // namespace

void empty_selectors(Context& ctx) {
  std::set<std::tuple<FileId, std::uint32_t, std::uint32_t>> told;
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied) continue;  // its subject is a peer of the statement, reported there
    if (ir::selects_nothing(r.subject)) report(ctx, told, r.subject_span, r.subject);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint && ir::selects_nothing(p.endpoint)) report(ctx, told, p.span, p.endpoint);
    }
  }
}

}  // namespace fence::check
