#include "compare/compare.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "emit/yaml.h"

namespace fence::compare {

namespace {

struct BlockSpan {
  std::uint32_t begin = 0, end = 0;
  std::string name;  // as written on the block
};

void collect_blocks(const std::vector<ast::Item>& items, std::vector<BlockSpan>& out) {
  for (const auto& item : items) {
    const auto* b = std::get_if<ast::Block>(&item.node);
    if (b == nullptr) continue;
    if (b->kind == ast::Block::Kind::Namespace) out.push_back(BlockSpan{b->span.begin, b->span.end, b->name.text});
    if (b->kind == ast::Block::Kind::When) collect_blocks(b->items, out);
  }
}

std::string renamed(const std::string& ns, const std::map<std::string, std::string>& names) {
  auto it = names.find(ns);
  return it == names.end() ? ns : it->second;
}

std::string endpoint_text(ir::Endpoint ep, const std::map<std::string, std::string>& names) {
  if (ep.ns.kind == ir::NamespaceSel::Kind::Named) ep.ns.name = renamed(ep.ns.name, names);
  return ep.str();
}

std::string peer_text(const ir::Peer& p, const std::map<std::string, std::string>& names) {
  return p.kind == ir::Peer::Kind::Endpoint ? endpoint_text(p.endpoint, names) : p.str();
}

std::string_view verb(const ir::Rule& r) {
  bool egress = r.direction == ir::Direction::Egress;
  if (r.action == ir::Action::Allow && r.origin.one_sided) return egress ? "may send to" : "may receive from";
  if (r.action == ir::Action::Allow) return egress ? "may reach" : "may be reached by";
  if (r.action == ir::Action::Pass) return egress ? "defer reach" : "defer be reached by";
  return egress ? "must not reach" : "must not be reached by";
}

std::string http_text(const std::vector<ir::HttpRule>& rules) {
  if (rules.empty()) return {};
  std::vector<std::string> parts;
  for (const auto& h : rules) {
    std::string s = h.method.empty() ? std::string("ANY") : h.method;
    if (!h.path.empty()) s += fmt::format(" \"{}\"", h.path);
    if (!h.host.empty()) s += fmt::format(" host \"{}\"", h.host);
    for (const auto& hd : h.headers) s += fmt::format(" header \"{}\"", hd);
    parts.push_back(std::move(s));
  }
  return fmt::format(" http {}", fmt::join(parts, ", "));
}

void sort_unique(std::vector<Line>& lines) {
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.text < b.text; });
  lines.erase(std::unique(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.text == b.text; }), lines.end());
}

// Lines of `a` whose text `b` lacks. Both sorted by text.
std::vector<Line> minus(const std::vector<Line>& a, const std::vector<Line>& b) {
  std::vector<Line> out;
  std::size_t j = 0;
  for (const auto& l : a) {
    while (j < b.size() && b[j].text < l.text) ++j;
    if (j < b.size() && b[j].text == l.text) continue;
    out.push_back(l);
  }
  return out;
}

// Source name -> IR name, for the names a side gives differently from the source.
std::map<std::string, std::string> inverse(const std::map<std::string, std::string>& m) {
  std::map<std::string, std::string> out;
  for (const auto& [ir_name, source_name] : m) out.emplace(source_name, ir_name);
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// Source names whose namespace the two sides name differently.
std::map<std::string, std::pair<std::string, std::string>> renames(const std::map<std::string, std::string>& names_a,
                                                                   const std::map<std::string, std::string>& names_b) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  auto by_source_b = inverse(names_b);
  for (const auto& [source, ns_a] : inverse(names_a)) {
    auto it = by_source_b.find(source);
    if (it != by_source_b.end() && it->second != ns_a) out[source] = {ns_a, it->second};
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> source_namespace_names(const ir::Program& program, const sema::LoadedProgram& loaded) {
  std::map<FileId, std::vector<BlockSpan>> blocks;
  for (const auto& f : loaded.files) {
    auto& v = blocks[f.id];
    collect_blocks(f.ast.items, v);
    std::sort(v.begin(), v.end(), [](const BlockSpan& a, const BlockSpan& b) { return a.begin < b.begin; });
  }
  std::map<std::string, std::string> out;
  auto note = [&](const std::string& ns, const Span& where) {
    if (!where.valid() || out.count(ns)) return;
    auto it = blocks.find(where.file);
    if (it == blocks.end()) return;
    const auto& v = it->second;
    auto after = std::upper_bound(v.begin(), v.end(), where.begin, [](std::uint32_t pos, const BlockSpan& b) { return pos < b.begin; });
    if (after == v.begin()) return;
    const auto& b = *(after - 1);
    if (where.begin < b.end && b.name != ns) out.emplace(ns, b.name);
  };
  for (const auto& dd : program.default_denies) {
    if (!dd.scope.cluster) note(dd.scope.ns, dd.span);
  }
  for (const auto& r : program.rules) {
    if (!r.origin.implied && !r.scope.cluster) note(r.scope.ns, r.origin.statement);
  }
  return out;
}

std::vector<Line> rule_lines(const ir::Program& program, const std::map<std::string, std::string>& ns_names) {
  std::vector<Line> out;
  for (const auto& dd : program.default_denies) {
    std::string where = dd.scope.cluster ? std::string("cluster") : "namespace " + renamed(dd.scope.ns, ns_names);
    std::string pods = dd.subject ? " for " + endpoint_text(*dd.subject, ns_names) : std::string();
    if (dd.egress) out.push_back(Line{fmt::format("{}: default deny egress{}", where, pods), dd.span, {}});
    if (dd.ingress) out.push_back(Line{fmt::format("{}: default deny ingress{}", where, pods), dd.span, {}});
  }
  for (const auto& r : program.rules) {
    if (r.origin.implied) continue;
    std::string head = fmt::format("{} {} ", endpoint_text(r.subject, ns_names), verb(r));
    // A tier's rule says where it stands: `admin priority 10: ...`.
    if (r.tier != ir::Tier::Namespace && r.tier_block >= 0 && static_cast<std::size_t>(r.tier_block) < program.tier_blocks.size()) {
      head = fmt::format("{} priority {}: {}", ir::tier_name(r.tier), program.tier_blocks[static_cast<std::size_t>(r.tier_block)].priority, head);
    }
    std::string l7 = http_text(r.http);
    for (const auto& p : r.peers) {
      auto peer = peer_text(p, ns_names);
      if (r.ports.empty()) {
        out.push_back(Line{head + peer + l7, r.origin.statement, {}});
        continue;
      }
      for (const auto& port : r.ports) out.push_back(Line{fmt::format("{}{}:{}{}", head, peer, port.str(), l7), r.origin.statement, {}});
    }
  }
  sort_unique(out);
  return out;
}

namespace {

// What every level starts from: each side's namespace names in the source's terms, and the
// namespaces the two sides name differently.
struct Start {
  Report rep;
  std::map<std::string, std::string> names_a, names_b;
};

Start start(const char* level, const Side& a, const Side& b, const sema::LoadedProgram& loaded) {
  Start s;
  s.rep.level = level;
  s.names_a = source_namespace_names(*a.program, loaded);
  s.names_b = source_namespace_names(*b.program, loaded);
  s.rep.namespaces = renames(s.names_a, s.names_b);
  return s;
}

}  // namespace

Report compare_rules(const Side& a, const Side& b, const sema::LoadedProgram& loaded) {
  auto [rep, names_a, names_b] = start("rules", a, b, loaded);
  auto la = rule_lines(*a.program, names_a);
  auto lb = rule_lines(*b.program, names_b);
  rep.only_a = minus(la, lb);
  rep.only_b = minus(lb, la);
  return rep;
}

Report compare_objects(const Side& a, const Side& b, const sema::LoadedProgram& loaded) {
  auto [rep, names_a, names_b] = start("objects", a, b, loaded);
  auto index = [](const std::vector<emit::Object>& objects, const std::map<std::string, std::string>& names) {
    std::map<std::string, std::string> out;  // "Kind ns/name" -> YAML
    for (const auto& o : objects) {
      std::string where = o.ns.empty() ? std::string("cluster") : renamed(o.ns, names);
      // The namespaces section reports a renamed namespace once; its objects compare without it.
      auto yaml = emit::document_yaml(o);
      if (!o.ns.empty() && where != o.ns) {
        // metadata.namespace, as lower::object_header writes it: the one key at this indent
        // between `metadata:` and the next top-level key.
        auto meta = yaml.find("metadata:\n");
        auto line = "\n  namespace: " + emit::scalar_text(o.ns) + "\n";
        auto at = meta == std::string::npos ? meta : yaml.find(line, meta);
        if (at == std::string::npos) throw std::logic_error("an object without metadata.namespace: " + o.name);
        yaml.replace(at, line.size(), "\n  namespace: " + emit::scalar_text(where) + "\n");
      }
      out[fmt::format("{} {}/{}", o.kind, where, o.name)] = std::move(yaml);
    }
    return out;
  };
  auto ia = index(*a.objects, names_a);
  auto ib = index(*b.objects, names_b);
  for (const auto& [key, yaml] : ia) {
    auto it = ib.find(key);
    if (it == ib.end()) {
      rep.only_a.push_back(Line{key, {}, {}});
    } else if (it->second != yaml) {
      rep.changed.push_back(Line{key, {}, line_diff(yaml, it->second)});
    }
  }
  for (const auto& [key, yaml] : ib) {
    if (!ia.count(key)) rep.only_b.push_back(Line{key, {}, {}});
  }
  return rep;
}

namespace {

// A workload the source names: pods of one namespace (as the source names it) with these labels.
using Workload = std::pair<std::string, analyze::Labels>;

// Pods a side's rules name by namespace and equal labels (`shop/api`, `shop/pods[tier=db]`), with
// how the side that names them first writes them. Selectors with other operators, or every pod,
// name no particular pod, and explain needs one.
void collect_workloads(const ir::Program& program, const std::map<std::string, std::string>& ns_names, std::map<Workload, std::string>& out) {
  analyze::Options options;
  options.ns_shown = ns_names;
  auto note = [&](const ir::Endpoint& ep) {
    if (ep.ns.kind != ir::NamespaceSel::Kind::Named || ep.pods.selects_all()) return;
    analyze::Labels labels;
    for (const auto& r : ep.pods.reqs) {
      if (r.op != net::SelOp::Equals) return;
      labels[r.key] = r.values.at(0);
    }
    Workload w{renamed(ep.ns.name, ns_names), std::move(labels)};
    if (!out.count(w)) out.emplace(std::move(w), analyze::display(ep, program, options));
  };
  for (const auto& r : program.rules) {
    note(r.subject);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) note(p.endpoint);
    }
  }
}

std::vector<Line> connection_lines(const ir::Program& program, const SourceManager& sm, const std::map<std::string, std::string>& ns_names,
                                   const std::map<Workload, std::string>& workloads) {
  analyze::Options options;
  options.ns_shown = ns_names;
  auto by_source = inverse(ns_names);
  analyze::ReportContext ctx{program, sm, options, std::nullopt};
  analyze::RuleIndex index(program);
  std::vector<Line> out;
  for (const auto& [w, shown] : workloads) {
    analyze::Endpoint ep;
    ep.kind = analyze::Endpoint::Kind::Pod;
    auto ir_name = by_source.find(w.first);
    ep.ns = ir_name == by_source.end() ? w.first : ir_name->second;
    ep.labels = w.second;
    auto explanation = analyze::explain(program, ep, options, &index);
    for (auto& l : analyze::connection_lines(explanation, shown, ctx)) out.push_back(Line{std::move(l.text), l.origin, {}});
  }
  sort_unique(out);
  return out;
}

}  // namespace

Report compare_connections(const Side& a, const Side& b, const sema::LoadedProgram& loaded, const SourceManager& sm) {
  auto [rep, names_a, names_b] = start("connections", a, b, loaded);
  // The workloads either side names, each explained on both: a workload one environment never
  // mentions is still there, and what that environment lets it do is part of the difference.
  std::map<Workload, std::string> workloads;
  collect_workloads(*a.program, names_a, workloads);
  collect_workloads(*b.program, names_b, workloads);
  auto la = connection_lines(*a.program, sm, names_a, workloads);
  auto lb = connection_lines(*b.program, sm, names_b, workloads);
  rep.only_a = minus(la, lb);
  rep.only_b = minus(lb, la);
  return rep;
}

std::vector<std::string> line_diff(const std::string& a, const std::string& b, std::size_t max_lines) {
  auto la = split_lines(a), lb = split_lines(b);
  std::vector<std::string> out;
  if (la.size() > max_lines || lb.size() > max_lines) {
    for (const auto& l : la) out.push_back("-" + l);
    for (const auto& l : lb) out.push_back("+" + l);
    return out;
  }
  // lcs[i][j]: the longest common subsequence of la[i..] and lb[j..].
  std::size_t n = la.size(), m = lb.size();
  std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;) {
    for (std::size_t j = m; j-- > 0;) lcs[i][j] = la[i] == lb[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && la[i] == lb[j]) {
      ++i;
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back("-" + la[i++]);
    } else {
      out.push_back("+" + lb[j++]);
    }
  }
  return out;
}

}  // namespace fence::compare
