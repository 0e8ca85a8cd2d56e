// E0601 / W0602: a deny that takes away all, or part, of what an allow admits. Rule 3 of the
// meaning makes the deny win; the user should know that the allow (or some of it) is dead, and
// what exactly it loses. A dead allow is an error at the allow; a narrowed one, a warning at the
// deny that narrows it. Only certain losses are reported: where a named port or a selector
// makes the overlap uncertain, nothing is claimed.
#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

constexpr std::size_t kNotesShown = 3;

void add_deny_notes(Diagnostic& d, const ir::Program& prog, const std::vector<std::size_t>& takers) {
  for (std::size_t k = 0; k < takers.size() && k < kNotesShown; ++k) d.note(prog.rules[takers[k]].origin.target, "denied here");
  if (takers.size() > kNotesShown) d.note(Span{}, fmt::format("and by {} more denies", takers.size() - kNotesShown));
}

}  // namespace

void deny_conflicts(Context& ctx) {
  const auto& facts = ctx.facts();
  if (facts.denies().empty()) return;
  const auto& prog = ctx.program;
  for (std::size_t i = 0; i < prog.rules.size(); ++i) {
    const auto& r = prog.rules[i];
    if (r.action != ir::Action::Allow) continue;
    if (!facts.denied_in_part(i)) continue;
    auto rem = ir::subtract(facts.denies(), r, facts.cidrs(i), facts.ports(i));
    if (!rem.changed()) continue;
    auto takers = rem.takers(prog);
    auto side = ir::direction_name(r.direction);
    if (rem.nothing_left()) {
      auto& d = r.origin.implied ? ctx.sink.error(Code::E0601, r.origin.target,
                                                  fmt::format("this connection is denied on the {} side, at {}: it has no effect", side, r.subject.str()))
                                 : ctx.sink.error(Code::E0601, r.origin.target, "everything this allows is denied, so it has no effect");
      add_deny_notes(d, prog, takers);
      d.hint("a deny always wins over an allow: remove the allow, or narrow the deny");
      continue;
    }
    // Said at the deny, the deliberate statement (where `# fence:allow W0602` goes when it is
    // meant), with the allow as a note.
    auto lost = rem.lost_str();
    if (takers.empty()) continue;  // cannot happen: what was taken was taken by some deny
    const auto& first = prog.rules[takers.front()];
    auto allow_text = one_line(ctx.sm.text(r.origin.target), 60);
    auto& d = r.origin.implied ? ctx.sink.warning(Code::W0602, first.origin.target,
                                                  fmt::format("this deny takes part of a connection, on the {} side at {}: {}", side, r.subject.str(), lost))
                               : ctx.sink.warning(Code::W0602, first.origin.target, fmt::format("this deny takes part of what `{}` allows: {}", allow_text, lost));
    d.note(r.origin.target, r.origin.implied ? "the connection is here" : "the allow is here");
    takers.erase(takers.begin());
    for (std::size_t k = 0; k < takers.size() && k < kNotesShown; ++k) d.note(prog.rules[takers[k]].origin.target, "so does this deny");
    d.hint("if that is the intent, silence this with `# fence:allow W0602` on the deny's line; or write it into the allow with `except`");
  }
}

}  // namespace fence::check
