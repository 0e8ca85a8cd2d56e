// I0609: a namespace or workload that the program mentions in one statement only, while it
// mentions a name that differs by a letter or two in several: most likely a misspelling, which
// Kubernetes would take as a label nobody carries. A name mentioned once is common (most
// workloads only receive traffic), so a name alone is not reported: only one that looks like a
// misspelling of a name mentioned elsewhere. Names that differ only in their numbers (svc-1,
// svc-2) are siblings, not misspellings. Names written in the standard library are left out.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "check/check.h"
#include "check/source_names.h"
#include "diag/suggest.h"

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

// Workloads: "namespace\nlabel-key" -> value -> mentions.
using Workloads = std::unordered_map<std::string, Names>;

// Where an endpoint's mentions are counted: its namespace's, and its workload's (or null).
struct Counted {
  Mentions* ns = nullptr;
  Mentions* workload = nullptr;
};

// `key` is a buffer for the workloads' key, kept between calls so that it is not allocated each.
Counted counted(const ir::Endpoint& e, Workloads& workloads, Names& namespaces, std::string& key) {
  Counted out;
  if (e.ns.kind != ir::NamespaceSel::Kind::Named) return out;
  out.ns = &namespaces[e.ns.name];
  if (e.pods.reqs.size() == 1 && e.pods.reqs[0].op == net::SelOp::Equals && e.pods.reqs[0].values.size() == 1) {
    key.assign(e.ns.name);
    key += '\n';
    key += e.pods.reqs[0].key;
    auto it = workloads.find(key);
    if (it == workloads.end()) it = workloads.emplace(key, Names{}).first;
    out.workload = &it->second[e.pods.reqs[0].values[0]];
  }
  return out;
}

void add(const Counted& c, Span span, Span statement) {
  if (c.ns != nullptr) c.ns->add(span, statement);
  if (c.workload != nullptr) c.workload->add(span, statement);
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
    if (m.statements == 1 && known.count(name) == 0 && !in_stdlib(ctx.sm, m.first) && name.size() >= 4) singles.push_back(&name);
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

// A misspelling rather than a sibling name: a letter more or fewer, or two neighbours swapped.
// (Two namespaces of one program often differ by a letter on purpose: east and west, team-a and
// team-b.)
bool typo_of(const std::string& a, const std::string& b) {
  if (!looks_like(a, b) || shape(a) == shape(b)) return false;
  if (a.size() != b.size()) return true;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] && a.substr(i + 2) == b.substr(i + 2);
}

struct Told {
  std::set<std::string> workloads;
  std::set<std::string> namespaces;
};

// W0613: names that Fence takes as pods or as a namespace, written like a definition visible
// there, a name of the standard library, or a namespace of the program. Reads the source, where
// the definitions are; with an inventory, W0805 and W0806 compare with what runs and say more.
Told lookalikes(Context& ctx) {
  Told told;
  if (ctx.source == nullptr || (ctx.inventory != nullptr && !ctx.inventory->workloads().empty())) return told;
  // How many statements each namespace's rules come from: a block that few use is the likelier typo.
  // Counted when first needed: most programs have no namespace that looks like another.
  std::map<std::string, std::set<std::pair<FileId, std::uint32_t>>> statements;
  bool counted_statements = false;
  auto count = [&](const std::string& ns) {
    if (!counted_statements) {
      for (const auto& r : ctx.program.rules) {
        if (!r.scope.cluster && !r.origin.implied) statements[r.scope.ns].insert({r.origin.statement.file, r.origin.statement.begin});
      }
      counted_statements = true;
    }
    return statements.count(ns) != 0 ? statements.at(ns).size() : 0;
  };
  const auto& blocks = ctx.program.namespaces;
  const ast::File* in_file = nullptr;
  const ast::Block* in_block = nullptr;
  auto pods_of = [&](const ast::Name& n) { return fmt::format("the pods labelled {}={}", label_key_at(*in_file, in_block), n.text); };
  // The blocks a name may be a misspelling of: those that share a string with it after deleting
  // up to two characters of each (typo_of allows two edits at most), in the order of `blocks`.
  // Comparing every use with every block was quadratic: 200,000 uses by 2,000 blocks at 100,000
  // workloads. A name is written many times, so its candidates are kept.
  // A name shorter than 8 characters looks like another only one edit away (see looks_like):
  // such names are looked up with one deletion, in an index of one deletion. (With two, a
  // workload w5871 met every block ns587, ns871, ...: more of them the more blocks there are.)
  std::unordered_map<std::string, std::vector<std::size_t>> block_index;       // deletion variant -> blocks
  std::unordered_map<std::string, std::vector<std::size_t>> block_index_near;  // the same, one deletion at most
  std::unordered_map<std::string, std::vector<std::size_t>> candidates_of;
  std::vector<std::string> variants;
  std::vector<std::string> block_shapes;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    block_shapes.push_back(shape(blocks[i]));
    for (std::size_t depth : {kMaxDistance, std::size_t{1}}) {
      variants.clear();
      deletions(blocks[i], depth, variants);
      std::sort(variants.begin(), variants.end());
      variants.erase(std::unique(variants.begin(), variants.end()), variants.end());
      for (const auto& v : variants) (depth == 1 ? block_index_near : block_index)[v].push_back(i);
    }
  }
  auto candidates = [&](const std::string& name) -> const std::vector<std::size_t>& {
    auto [it, fresh] = candidates_of.try_emplace(name);
    if (!fresh) return it->second;
    bool near = name.size() < 8;
    const auto& index = near ? block_index_near : block_index;
    variants.clear();
    deletions(name, near ? 1 : kMaxDistance, variants);
    for (const auto& v : variants) {
      if (auto b = index.find(v); b != index.end()) it->second.insert(it->second.end(), b->second.begin(), b->second.end());
    }
    std::sort(it->second.begin(), it->second.end());
    it->second.erase(std::unique(it->second.begin(), it->second.end()), it->second.end());
    // typo_of never takes a numbered sibling (ns12 for ns13): in an estate of numbered
    // namespaces, that is nearly every block within two edits.
    auto form = shape(name);
    it->second.erase(std::remove_if(it->second.begin(), it->second.end(), [&](std::size_t b) { return block_shapes[b] == form; }), it->second.end());
    return it->second;
  };
  // A name is written many times in a block, and whether it looks like something depends only
  // on the name, the file, the block and whether it stands for pods: per block of the file at
  // hand, the definitions visible there (looked up once) and the names found to look like
  // nothing, which are not looked at again.
  struct BlockNames {
    std::optional<std::vector<sema::Scopes::Found>> visible;
    std::unordered_set<std::string_view> quiet[2];  // [pods]
  };
  std::unordered_map<const ast::Block*, BlockNames> per_block;
  for (std::size_t f = 0; f < ctx.source->files.size(); ++f) {
    const auto& file = ctx.source->files[f];
    if (in_stdlib(ctx.sm, Span{file.id, 0, 0})) continue;
    per_block.clear();
    BlockNames* last = nullptr;  // the last block's, where the next name most likely is
    const ast::Block* last_block = nullptr;
    for_each_name(file.ast, [&](const NameUse& use) {
      const auto& name = use.name->text;
      if (use.kind == NameUse::Kind::Workload || name.size() < 4) return;
      bool pods = use.kind == NameUse::Kind::Bare;
      if (last == nullptr || use.block != last_block) {
        last = &per_block[use.block];
        last_block = use.block;
      }
      auto& here = *last;
      auto& quiet = here.quiet[pods ? 1 : 0];
      if (quiet.count(name) != 0) return;
      in_file = &file.ast;
      in_block = use.block;
      if (ctx.scopes().lookup(name, f, use.block)) {  // a definition's name: not a guess
        quiet.insert(name);
        return;
      }
      if (pods && unimported_std_name(ctx, use.name->span)) return;  // W0615's
      // Definitions first: they are what the user wrote on purpose.
      if (!here.visible) here.visible = ctx.scopes().visible(f, use.block);
      for (const auto& def : *here.visible) {
        bool similar = pods ? looks_like(name, def.name) && shape(name) != shape(def.name) : typo_of(name, def.name);
        if (!similar) continue;
        auto which = in_stdlib(ctx.sm, def.variants.front()->name.span) ? fmt::format("'{}' of the standard library", def.name)
                                                                         : fmt::format("the definition '{}'", def.name);
        ctx.sink
            .warning(Code::W0613, use.name->span,
                     pods ? fmt::format("'{}' is not defined here, so it means {}; it looks like {}", name, pods_of(*use.name), which)
                          : fmt::format("'{}' is not defined here, so it is a namespace of that name; it looks like {}", name, which))
            .note(def.variants.front()->name.span, fmt::format("'{}' is defined here", def.name))
            .hint(fmt::format("if the definition is meant, write {}; if this is right, say so with `# fence:allow W0613`", def.name));
        (pods ? told.workloads : told.namespaces).insert(name);
        return;
      }
      if (pods) {
        for (const auto& s : std_names()) {
          if (!looks_like(name, std::string(s.name))) continue;
          bool imported = imports_std(*ctx.source, f);
          ctx.sink
              .warning(Code::W0613, use.name->span,
                       fmt::format("'{}' is not defined here, so it means {}; it looks like '{}' of the standard library", name, pods_of(*use.name), s.name))
              .note(Span{}, fmt::format("{} is {}", s.name, s.meaning))
              .hint(imported ? fmt::format("if that is meant, write {}", s.name)
                             : fmt::format("if that is meant, write {} and add `import std` at the top of this file", s.name));
          told.workloads.insert(name);
          return;
        }
      }
      // Namespaces: a block or a reference whose name is a misspelling of a busier block's.
      for (std::size_t i : candidates(name)) {
        const auto& ns = blocks[i];
        if (ns == name || !typo_of(name, ns)) continue;
        bool block = use.kind == NameUse::Kind::Block;
        bool is_block = std::binary_search(blocks.begin(), blocks.end(), name);
        if (!pods && is_block && count(name) >= count(ns)) continue;
        auto& d = ctx.sink.warning(
            Code::W0613, use.name->span,
            pods ? fmt::format("'{}' is not defined here, so it means {}; it looks like namespace '{}', whose pods are written {}/NAME", name,
                               pods_of(*use.name), ns, ns)
                 : fmt::format("namespace '{}' looks like namespace '{}'{}", name, ns,
                               is_block ? fmt::format(" ({} statements against {})", count(ns), count(name)) : std::string()));
        if (auto it = ctx.program.namespace_spans.find(ns); it != ctx.program.namespace_spans.end()) {
          d.note(it->second, fmt::format("namespace {} is here", ns));
        }
        d.hint(block ? fmt::format("if {} is meant, rename this block; Kubernetes would take '{}' for a namespace of its own", ns, name)
                     : fmt::format("if {} is meant, write that; if this is right, say so with `# fence:allow W0613`", ns));
        (pods ? told.workloads : told.namespaces).insert(name);
        return;
      }
      quiet.insert(name);
    });
  }
  return told;
}

}  // namespace

void mentioned_once(Context& ctx) {
  auto told = lookalikes(ctx);
  Workloads workloads;
  Names namespaces;
  std::string key;
  // The rules of a statement are consecutive and share their subject: its entries are looked up
  // once. (The tables' entries stay in place as they grow.)
  const ir::Endpoint* last_subject = nullptr;
  Counted subject;
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied) continue;
    if (last_subject == nullptr || !(*last_subject == r.subject)) {
      subject = counted(r.subject, workloads, namespaces, key);
      last_subject = &r.subject;
    }
    add(subject, r.subject_span, r.origin.statement);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) add(counted(p.endpoint, workloads, namespaces, key), p.span, r.origin.statement);
    }
  }
  // A namespace with a block is known, however often it is mentioned.
  std::set<std::string> blocks(ctx.program.namespaces.begin(), ctx.program.namespaces.end());
  blocks.insert(told.namespaces.begin(), told.namespaces.end());
  report(ctx, namespaces, blocks, "namespace");
  for (const auto& [where, values] : workloads) report(ctx, values, told.workloads, "workload");
}

}  // namespace fence::check
