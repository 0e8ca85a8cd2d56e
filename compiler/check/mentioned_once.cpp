// I0609: a namespace or workload that the program mentions in one statement only, while it
// mentions a name that differs by a letter or two in several: most likely a misspelling, which
// Kubernetes would take as a label nobody carries. A name mentioned once is common (most
// workloads only receive traffic), so a name alone is not reported: only one that looks like a
// misspelling of a name mentioned elsewhere. Names that differ only in their numbers (svc-1,
// svc-2) are siblings, not misspellings. Names written in the standard library are left out.
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

// The strings left after deleting up to `depth` characters of `s` (s itself included). Two names
// within edit distance k share such a string at depth k: the index of look-alikes is built on it.
void deletions(const std::string& s, std::size_t depth, std::vector<std::string>& out) {
  out.push_back(s);
  if (depth == 0) return;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && s[i] == s[i - 1]) continue;  // the same string again
    deletions(s.substr(0, i) + s.substr(i + 1), depth - 1, out);
  }
}

constexpr std::size_t kMaxDistance = 2;

// A name with each run of digits replaced by '#': names equal in this form are numbered siblings
// (svc-1, svc-2), not misspellings of each other.
std::string shape(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool digit = c >= '0' && c <= '9';
    if (!digit) {
      out += c;
    } else if (out.empty() || out.back() != '#') {
      out += '#';
    }
  }
  return out;
}

// Reports each name of `names` mentioned in one statement that looks like another mentioned in
// several (the most mentioned such name, then the first in order).
void report(Context& ctx, const Names& names, const std::set<std::string>& known, const char* what) {
  std::vector<const std::string*> singles;
  for (const auto& [name, m] : names) {
    if (m.statements == 1 && known.count(name) == 0 && !in_library(ctx.sm, m.first) && name.size() >= 4) singles.push_back(&name);
  }
  if (singles.empty()) return;
  // The names mentioned in several statements, one per shape (the most mentioned), indexed by
  // what is left of their shape after deletions.
  struct Often {
    const std::string* name;
    const Mentions* mentions;
  };
  std::unordered_map<std::string, Often> by_shape;
  for (const auto& [name, m] : names) {
    if (m.statements < 2 || name.size() < 4) continue;
    auto [it, fresh] = by_shape.emplace(shape(name), Often{&name, &m});
    const auto& cur = it->second;
    if (!fresh && (m.statements > cur.mentions->statements || (m.statements == cur.mentions->statements && name < *cur.name))) it->second = {&name, &m};
  }
  std::unordered_map<std::string, std::vector<const std::string*>> index;  // deletion variant -> shapes
  std::vector<std::string> variants;
  for (const auto& [form, often] : by_shape) {
    variants.clear();
    deletions(form, kMaxDistance, variants);
    std::sort(variants.begin(), variants.end());
    variants.erase(std::unique(variants.begin(), variants.end()), variants.end());
    for (const auto& v : variants) index[v].push_back(&form);
  }
  for (const auto* single : singles) {
    const auto& name = *single;
    const auto& m = names.at(name);
    auto form = shape(name);
    variants.clear();
    deletions(form, kMaxDistance, variants);
    std::vector<const std::string*> forms;
    for (const auto& v : variants) {
      if (auto it = index.find(v); it != index.end()) forms.insert(forms.end(), it->second.begin(), it->second.end());
    }
    std::sort(forms.begin(), forms.end());
    forms.erase(std::unique(forms.begin(), forms.end()), forms.end());
    const Often* best = nullptr;
    for (const auto* f : forms) {
      if (*f == form) continue;  // numbered siblings
      const auto& candidate = by_shape.at(*f);
      if (!looks_like(name, *candidate.name)) continue;
      if (best == nullptr || candidate.mentions->statements > best->mentions->statements ||
          (candidate.mentions->statements == best->mentions->statements && *candidate.name < *best->name)) {
        best = &candidate;
      }
    }
    if (best == nullptr) continue;
    ctx.sink
        .report(Code::I0609, m.first,
                fmt::format("{} '{}' is mentioned only here, and looks like '{}', which is mentioned {} times", what, name, *best->name,
                            best->mentions->statements))
        .note(best->mentions->first, fmt::format("'{}' is mentioned here, among others", *best->name))
        .hint(fmt::format("if '{}' is meant, write that; if the name is right, this is only information", *best->name));
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
