// I0609: a namespace or workload that the program mentions in one statement only, while it
// mentions a name that differs by a letter or two in several: most likely a misspelling, which
// Kubernetes would take as a label nobody carries. A name mentioned once is common (most
// workloads only receive traffic), so a name alone is not reported: only one that looks like a
// misspelling of a name mentioned elsewhere. Names written in the standard library are left out.
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

namespace {

struct Mentions {
  std::size_t statements = 0;  // how many statements mention the name
  Span last_statement;
  Span first;  // where it is first written
  void add(Span span, Span statement) {
    // A statement's rules are consecutive, so a repeat of the last statement is the same one.
    if (statements == 0 || !(statement == last_statement)) ++statements;
    last_statement = statement;
    if (!first.valid()) first = span;
  }
};
using Names = std::unordered_map<std::string, Mentions>;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Names of four letters or more that differ by at most one letter (two from eight letters on).
bool looks_like(const std::string& a, const std::string& b) {
  std::size_t len = std::min(a.size(), b.size());
  if (len < 4 || a == b) return false;
  std::size_t allowed = len >= 8 ? 2 : 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > allowed) return false;
  return edit_distance(a, b) <= allowed;
}

bool in_library(const SourceManager& sm, const Span& s) {
  return !s.valid() || sm.file(s.file).path.rfind("<stdlib>", 0) == 0;
}

// Workloads: "namespace\nlabel-key" -> value -> mentions.
using Workloads = std::unordered_map<std::string, Names>;

void add_endpoint(const ir::Endpoint& e, Span span, Span statement, Workloads& workloads, Names& namespaces) {
  if (e.ns.kind != ir::NamespaceSel::Kind::Named) return;
  namespaces[e.ns.name].add(span, statement);
  if (e.pods.reqs.size() == 1 && e.pods.reqs[0].op == net::SelOp::Equals && e.pods.reqs[0].values.size() == 1) {
    workloads[e.ns.name + "\n" + e.pods.reqs[0].key][e.pods.reqs[0].values[0]].add(span, statement);
  }
}

// Reports each name of `names` mentioned in one statement that looks like another mentioned in
// several (the most mentioned such name, then the first in order).
void report(Context& ctx, const Names& names, const std::set<std::string>& known, const char* what) {
  std::vector<std::pair<const std::string*, const Mentions*>> often;
  for (const auto& [name, m] : names) {
    if (m.statements >= 2) often.emplace_back(&name, &m);
  }
  if (often.empty()) return;
  for (const auto& [name, m] : names) {
    if (m.statements != 1 || known.count(name) > 0 || in_library(ctx.sm, m.first)) continue;
    const std::string* best = nullptr;
    const Mentions* best_m = nullptr;
    for (const auto& [other, om] : often) {
      if (!looks_like(name, *other)) continue;
      if (best == nullptr || om->statements > best_m->statements || (om->statements == best_m->statements && *other < *best)) {
        best = other;
        best_m = om;
      }
    }
    if (best == nullptr) continue;
    ctx.sink
        .report(Code::I0609, m.first,
                fmt::format("{} '{}' is mentioned only here, and looks like '{}', which is mentioned {} times", what, name, *best, best_m->statements))
        .note(best_m->first, fmt::format("'{}' is mentioned here, among others", *best))
        .hint(fmt::format("if '{}' is meant, write that; if the name is right, this is only information", *best));
  }
}

}  // namespace

void mentioned_once(Context& ctx) {
  Workloads workloads;
  Names namespaces;
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied) continue;
    add_endpoint(r.subject, r.subject_span, r.origin.statement, workloads, namespaces);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) add_endpoint(p.endpoint, p.span, r.origin.statement, workloads, namespaces);
    }
  }
  // A namespace with a block is known, however often it is mentioned.
  std::set<std::string> blocks(ctx.program.namespaces.begin(), ctx.program.namespaces.end());
  report(ctx, namespaces, blocks, "namespace");
  for (const auto& [where, values] : workloads) report(ctx, values, {}, "workload");
}

}  // namespace fence::check
