// W0606: egress to every address (0.0.0.0/0 or ::/0) that leaves the cloud metadata endpoint
// reachable on port 80, where pods can read the node's cloud credentials. Denies count: a
// `must not reach metadata` that covers the subject closes it.
#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

net::Cidr metadata_address(net::Family f) {
  return *net::parse_cidr(f == net::Family::V4 ? "169.254.169.254/32" : "fd00:ec2::254/128").cidr;
}

}  // namespace

void metadata_reachable(Context& ctx) {
  const auto& facts = ctx.facts();
  for (std::size_t i = 0; i < ctx.program.rules.size(); ++i) {
    const auto& r = ctx.program.rules[i];
    if (r.action != ir::Action::Allow || r.direction != ir::Direction::Egress) continue;
    for (const auto& p : r.peers) {
      bool any = p.kind == ir::Peer::Kind::Any;
      if (!any && (p.kind != ir::Peer::Kind::Cidr || p.cidr.cidr.prefix != 0)) continue;
      auto address = metadata_address(any ? net::Family::V4 : p.cidr.cidr.family);
      if (!ir::peer_addresses(p).contains(address)) continue;
      auto written = any ? std::string("anything") : p.cidr.cidr.str();
      // What the denies leave of the rule on TCP port 80, where the endpoint answers.
      bool open = facts.ports(i).contains(net::Protocol::TCP, 80);
      if (open && facts.denied_in_part(i)) {
        auto rem = ir::subtract(facts.denies(), r, facts.cidrs(i), facts.ports(i));
        open = std::any_of(rem.pieces.begin(), rem.pieces.end(), [&](const ir::Remainder::Piece& piece) {
          return piece.ports.contains(net::Protocol::TCP, 80) && piece.cidrs.contains(address);
        });
      }
      if (!open) continue;
      auto shown = address.str().substr(0, address.str().find('/'));
      ctx.sink
          .warning(Code::W0606, p.span,
                   fmt::format("egress to {} leaves the cloud metadata endpoint {} reachable: pods can read the node's cloud credentials there",
                               written, shown))
          .hint(any ? fmt::format("deny it: `{} must not reach metadata` (with `import std`)", ctx.sm.text(r.subject_span))
                    : fmt::format("take it out: `{} except {}`, or `{} must not reach metadata` (with `import std`)", written, address.str(),
                                  ctx.sm.text(r.subject_span)));
    }
  }
}

}  // namespace fence::check
