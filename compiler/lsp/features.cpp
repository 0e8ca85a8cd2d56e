#include "lsp/features.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "format/diff.h"
#include "format/format.h"
#include "lsp/locate.h"
#include "net/cidr.h"
#include "net/port.h"
#include "net/selector.h"
#include "sema/resolve.h"
#include "syntax/parser.h"

namespace fence::lsp {

using nlohmann::json;

namespace {

constexpr std::size_t kNotLoaded = static_cast<std::size_t>(-1);
constexpr std::size_t kMaxYamlLines = 150;

// LSP kinds.
enum SymbolKind { kModule = 2, kNamespace = 3, kConstant = 14 };
enum CompletionKind { kCompletionModule = 9, kCompletionValue = 12, kCompletionKeyword = 14, kCompletionConstant = 21, kCompletionEnumMember = 20 };
enum LspSeverity { kError = 1, kWarning = 2, kInformation = 3, kHint = 4 };

json position_json(Position p) {
  return json{{"line", p.line}, {"character", p.character}};
}

json range_json(const LineIndex& lines, Encoding enc, std::uint32_t begin, std::uint32_t end) {
  return json{{"start", position_json(lines.position(begin, enc))}, {"end", position_json(lines.position(end, enc))}};
}

// The standard library's top-level lets (name, value as written), for completion in files that
// do not import it yet.
std::vector<std::pair<std::string, std::string>> stdlib_lets(const std::vector<std::string>& stdlib_path) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& dir : stdlib_path) {
    auto path = std::filesystem::path(dir) / "std.fence";
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::ostringstream ss;
    ss << in.rdbuf();
    SourceManager sm;
    DiagnosticSink sink;
    auto id = sm.add(path.string(), ss.str());
    for (const auto& item : syntax::parse(sm, id, sink).items) {
      if (const auto* let = std::get_if<ast::Let>(&item.node)) out.emplace_back(let->name.text, one_line(sm.text(let->value.span), 70));
    }
    break;
  }
  return out;
}

class Features {
 public:
  explicit Features(const DocContext& d) : d_(d), a_(d.analysis), sm_(d.analysis.sources()) {}

  // ---- places ----
  json range(const Span& s) const {
    if (s.valid() && s.file == a_.root_id()) return range_json(d_.lines, d_.encoding, s.begin, s.end);
    if (!s.valid()) return range_json(d_.lines, d_.encoding, 0, 0);
    // Indexed once per file: an imported file may have thousands of warnings.
    auto it = other_lines_.find(s.file);
    if (it == other_lines_.end()) it = other_lines_.emplace(s.file, LineIndex(sm_.file(s.file).text)).first;
    return range_json(it->second, d_.encoding, s.begin, s.end);
  }
  std::string uri_of_file(std::size_t index) const {
    if (index == 0) return d_.uri;
    const auto& f = a_.program().files.at(index);
    std::error_code ec;
    auto abs = std::filesystem::absolute(f.disk_path, ec);
    return path_to_uri(ec ? f.disk_path : abs.lexically_normal().string());
  }
  std::size_t file_index(FileId id) const {
    const auto& files = a_.program().files;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].id == id) return i;
    }
    return kNotLoaded;
  }
  // A place in a file of the program, or in another file the analysis read (an inventory's).
  json location(const Span& s) const {
    auto index = file_index(s.file);
    if (index != kNotLoaded) return json{{"uri", uri_of_file(index)}, {"range", range(s)}};
    std::error_code ec;
    const auto& path = sm_.file(s.file).path;
    const auto& root = a_.compilation().root();
    auto abs = root.empty() ? std::filesystem::absolute(path, ec) : std::filesystem::path(root) / path;
    return json{{"uri", path_to_uri(ec ? path : abs.lexically_normal().string())}, {"range", range(s)}};
  }
  // Where the root file names its inventory, for diagnostics in the inventory's files.
  Span inventory_setting() const {
    for (const auto& s : a_.compilation().program().inventory) {
      if (s.span.file == a_.root_id()) return s.span;
    }
    return {};
  }
  std::string where(const Span& s) const { return sm_.where(s); }
  std::string_view source(const Span& s) const { return s.valid() ? sm_.text(s) : std::string_view(); }

  // ---- diagnostics ----
  json diagnostics() const;

  // ---- names ----
  std::optional<sema::Scopes::Found> lookup(const std::string& name, const ast::Block* block) const {
    return a_.scopes().lookup(name, 0, block);
  }
  std::string describe_let(const sema::Scopes::Found& f) const;
  std::string namespace_of(const Cursor& c) const;
  std::string label_key(const ast::Block* block) const;

  json hover(std::uint32_t offset) const;
  json definition(std::uint32_t offset) const;
  json completion(std::uint32_t offset) const;
  json symbols() const;

 private:
  std::string describe(const Cursor& c) const;
  std::string resolved(const Cursor& c) const;
  std::string selector_text(const ast::Selector& s) const;
  json symbol(std::string name, int kind, const Span& whole, const Span& selection, std::string detail) const {
    json s{{"name", name.empty() ? std::string("?") : std::move(name)}, {"kind", kind}, {"range", range(whole)}, {"selectionRange", range(selection)}};
    if (!detail.empty()) s["detail"] = std::move(detail);
    return s;
  }
  void block_symbols(const std::vector<ast::Item>& items, json& out) const;

  const DocContext& d_;
  const Analysis& a_;
  const SourceManager& sm_;
  mutable std::map<FileId, LineIndex> other_lines_;
};

// =============================================================================================
// Diagnostics

json Features::diagnostics() const {
  json out = json::array();
  const auto& prog = a_.program();
  // Which of the root's imports leads to each file, for diagnostics in imported files.
  std::vector<Span> via(prog.files.size());
  {
    std::vector<Span> import_spans;
    for (const auto& item : a_.root().items) {
      if (const auto* imp = std::get_if<ast::Import>(&item.node)) import_spans.push_back(imp->span);
    }
    const auto& roots = prog.files.at(0).imports;
    std::vector<std::size_t> queue;
    for (std::size_t k = 0; k < roots.size() && k < import_spans.size(); ++k) {
      if (roots[k] == kNotLoaded || roots[k] >= via.size() || via[roots[k]].valid()) continue;
      via[roots[k]] = import_spans[k];
      queue.push_back(roots[k]);
    }
    for (std::size_t q = 0; q < queue.size(); ++q) {
      for (auto next : prog.files[queue[q]].imports) {
        if (next == kNotLoaded || next >= via.size() || next == 0 || via[next].valid()) continue;
        via[next] = via[queue[q]];
        queue.push_back(next);
      }
    }
  }
  for (const auto& d : a_.diagnostics()) {
    json j;
    std::string message = d.message;
    Span at = d.span;
    if (d.span.valid() && d.span.file != a_.root_id()) {
      auto idx = file_index(d.span.file);
      at = idx != kNotLoaded && via[idx].valid() ? via[idx] : idx == kNotLoaded ? inventory_setting() : Span{};
      message = fmt::format("in {}: {}", where(d.span), d.message);
    }
    json related = json::array();
    if (d.span.valid() && d.span.file != a_.root_id()) related.push_back(json{{"location", location(d.span)}, {"message", d.message}});
    for (const auto& n : d.notes) {
      if (n.span.valid()) {
        related.push_back(json{{"location", location(n.span)}, {"message", n.message}});
      } else {
        message += "\nnote: " + n.message;
      }
    }
    for (const auto& h : d.help) message += "\nhelp: " + h;
    j["range"] = range(at);
    j["severity"] = d.severity == fence::Severity::Error     ? kError
                    : d.severity == fence::Severity::Warning ? kWarning
                    : verbose_only(d.code)                   ? kHint
                                                             : kInformation;
    j["code"] = std::string(code_info(d.code).id);
    j["source"] = "fence";
    j["message"] = message;
    if (!related.empty()) j["relatedInformation"] = std::move(related);
    out.push_back(std::move(j));
  }
  if (a_.dropped() > 0) {
    out.push_back(json{{"range", range(Span{})},
                       {"severity", kInformation},
                       {"source", "fence"},
                       {"message", fmt::format("{} more errors are not shown: fence stops listing errors after {}", a_.dropped(),
                                               a_.compilation().sink().error_count())}});
  }
  return out;
}

// =============================================================================================
// Hover

std::string Features::describe_let(const sema::Scopes::Found& f) const {
  std::string out;
  for (const auto* let : f.variants) {
    if (!out.empty()) out += "\n\n";
    out += fmt::format("```fence\n{}\n```\ndefined at {}", one_line(source(let->span), 400), where(let->name.span));
  }
  if (f.ambiguous()) {
    std::vector<std::string> files;
    for (auto o : f.others) files.push_back(sm_.file(a_.program().files.at(o).id).path);
    out += fmt::format("\n\n**ambiguous**: also defined by {} (E0207)", fmt::join(files, ", "));
  }
  return out;
}

// The label key bare workload names use at a place: `set label-key` in the block, else in the
// file, else the default; the variant for the analyzed environment, else the default one.
std::string Features::label_key(const ast::Block* block) const {
  auto from = [&](const std::vector<ast::Item>& items) -> std::optional<std::string> {
    std::optional<std::string> fallback;
    for (const auto& item : items) {
      const auto* s = std::get_if<ast::Set>(&item.node);
      if (s == nullptr || s->name.text != "label-key" || !s->value.string) continue;
      if (s->envs.empty()) fallback = s->value.string->value;
      const auto& env = a_.environment();
      if (env && std::any_of(s->envs.begin(), s->envs.end(), [&](const ast::Name& n) { return n.text == *env; })) return s->value.string->value;
    }
    return fallback;
  };
  if (block != nullptr) {
    if (auto k = from(block->items)) return *k;
  }
  if (auto k = from(a_.root().items)) return *k;
  return sema::kDefaultLabelKey;
}

// The namespace that a name without one means at the cursor.
std::string Features::namespace_of(const Cursor& c) const {
  if (c.block == nullptr) return {};
  if (c.block->kind == ast::Block::Kind::Cluster) return "every namespace";
  std::string name = c.block->name.text;
  // The block's own name is looked up in the scope around the block (the file's).
  if (auto f = lookup(name, nullptr); f && !f->variants.empty() && f->variants.front()->value.string) name = f->variants.front()->value.string->value;
  return fmt::format("namespace `{}`", name);
}

std::string Features::selector_text(const ast::Selector& s) const {
  net::LabelSelector sel;
  for (const auto& r : s.reqs) {
    net::Requirement q;
    q.key = r.key.text;
    switch (r.op) {
      case ast::SelOp::Equals:
        q.op = net::SelOp::Equals;
        break;
      case ast::SelOp::NotEquals:
        q.op = net::SelOp::NotEquals;
        break;
      case ast::SelOp::In:
        q.op = net::SelOp::In;
        break;
      case ast::SelOp::NotIn:
        q.op = net::SelOp::NotIn;
        break;
      case ast::SelOp::Exists:
        q.op = net::SelOp::Exists;
        break;
      case ast::SelOp::DoesNotExist:
        q.op = net::SelOp::DoesNotExist;
        break;
    }
    for (const auto& v : r.values) q.values.push_back(v.text);
    sel.add(std::move(q));
  }
  return sel.str();
}

std::string Features::describe(const Cursor& c) const {
  using W = Cursor::What;
  auto in_ns = [&]() {
    auto ns = namespace_of(c);
    return ns.empty() ? std::string(" in the namespace of the statement's subject") : " in " + ns;
  };
  switch (c.what) {
    case W::None:
      return {};
    case W::LetName:
    case W::Name:
    case W::NamespaceName: {
      if (auto f = lookup(c.text, c.block)) {
        std::string head = c.what == W::NamespaceName ? fmt::format("**namespace** `{}`, a definition:\n\n", c.text)
                                                      : fmt::format("**{}** `{}`\n\n", c.what == W::LetName ? "let" : "definition", c.text);
        return head + describe_let(*f);
      }
      if (c.what == W::NamespaceName) return fmt::format("**namespace** `{}`", c.text);
      if (c.what == W::LetName) return fmt::format("**let** `{}`", c.text);
      return fmt::format("**workload** `{}`: the pods labelled `{}={}`{}", c.text, label_key(c.block), c.text, in_ns());
    }
    case W::WorkloadName: {
      std::string ns;
      if (c.ref != nullptr && c.ref->ns && c.ref->ns->kind == ast::NsRef::Kind::Name) {
        ns = c.ref->ns->name.text;
        if (auto f = lookup(ns, c.block); f && !f->variants.empty() && f->variants.front()->value.string) ns = f->variants.front()->value.string->value;
        ns = fmt::format(" in namespace `{}`", ns);
      } else if (c.ref != nullptr && c.ref->ns && c.ref->ns->kind == ast::NsRef::Kind::Selector) {
        ns = fmt::format(" in the namespaces labelled `{}`", selector_text(c.ref->ns->selector));
      } else {
        ns = " in every namespace";
      }
      return fmt::format("**workload** `{}`: the pods labelled `{}={}`{}", c.text, label_key(c.block), c.text, ns);
    }
    case W::Selector: {
      auto text = selector_text(*c.selector);
      if (c.selector_for_namespaces) {
        return text.empty() ? std::string("**namespaces**: every namespace") : fmt::format("**namespaces** labelled `{}`", text);
      }
      std::string ns = in_ns();
      if (c.ref != nullptr && c.ref->ns) {
        if (c.ref->ns->kind == ast::NsRef::Kind::Name) ns = fmt::format(" in namespace `{}`", c.ref->ns->name.text);
        if (c.ref->ns->kind == ast::NsRef::Kind::Selector) ns = fmt::format(" in the namespaces labelled `{}`", selector_text(c.ref->ns->selector));
        if (c.ref->ns->kind == ast::NsRef::Kind::All) ns = " in every namespace";
      }
      return text.empty() ? "**pods**: every pod" + ns : fmt::format("**pods** labelled `{}`{}", text, ns);
    }
    case W::AllPods:
      return c.text == "all pods" ? "**every pod**" + in_ns() : std::string("**every namespace**");
    case W::Cidr: {
      auto r = net::parse_cidr(c.text);
      if (!r.cidr) return fmt::format("`{}` is not a valid CIDR: {}", c.text, r.error);
      if (r.missing_prefix) return fmt::format("`{}` is an address; a CIDR needs its prefix, e.g. `{}/{}`", c.text, c.text, r.cidr->bits());
      int host_bits = r.cidr->bits() - r.cidr->prefix;
      std::string size = host_bits < 20 ? fmt::format("{} addresses", 1ULL << host_bits) : fmt::format("2^{} addresses", host_bits);
      if (host_bits == 0) size = "one address";
      return fmt::format("**{} CIDR** `{}`: {}", r.cidr->family == net::Family::V4 ? "IPv4" : "IPv6", r.cidr->masked().str(), size);
    }
    case W::DnsName:
      return fmt::format("**DNS name** `{}`{}", c.text,
                         c.text.find('*') != std::string::npos ? " (a pattern: `*` stands for one or more labels)" : std::string());
    case W::Entity:
      return fmt::format("**Cilium entity** `{}`", c.text);
    case W::Port:
      return fmt::format("**port** `{}`", c.text);
    case W::Protocol: {
      auto p = net::parse_protocol(c.text);
      return p ? fmt::format("**protocol** {}", net::protocol_name(*p)) : fmt::format("`{}` is not a protocol: they are tcp, udp, sctp and any", c.text);
    }
    case W::Import: {
      const auto& imports = a_.program().files.at(0).imports;
      if (c.import_index == Cursor::kNotTopLevel || c.import_index >= imports.size() || imports[c.import_index] == kNotLoaded) {
        return fmt::format("**import** `{}` (not loaded)", c.text);
      }
      auto idx = imports[c.import_index];
      std::vector<std::string> names;
      for (const auto& f : a_.scopes().file_lets(idx)) names.push_back("`" + f.name + "`");
      const auto& file = sm_.file(a_.program().files.at(idx).id);
      if (names.size() > 30) {
        auto more = names.size() - 30;
        names.resize(30);
        names.push_back(fmt::format("and {} more", more));
      }
      return fmt::format("**import** `{}`: {}\n\ndefines {}", c.text, file.path, names.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(names, ", ")));
    }
    case W::Environment: {
      const auto& envs = a_.compilation().environments();
      return fmt::format("**environment** `{}`{}", c.text, envs.empty() ? std::string() : fmt::format(" (declared: {})", fmt::join(envs, ", ")));
    }
    case W::SettingName:
      if (c.text == "label-key") return "**setting** `label-key`: the label key that bare workload names match (default `app`)";
      if (c.text == "pod-cidrs") return "**setting** `pod-cidrs`: the CIDRs pods get their addresses from";
      if (c.text == "service-cidrs") return "**setting** `service-cidrs`: the CIDRs of the cluster's services";
      return fmt::format("`{}` is not a setting", c.text);
  }
  return {};
}

// What the statement's target or subject under the cursor resolved to, from the IR.
std::string Features::resolved(const Cursor& c) const {
  if (!a_.analyzed() || c.statement == nullptr) return {};
  std::vector<std::string> seen;
  auto add = [&](std::string s) {
    if (std::find(seen.begin(), seen.end(), s) == seen.end()) seen.push_back(std::move(s));
  };
  for (const auto& r : a_.compilation().program().rules) {
    if (r.origin.implied || !(r.origin.statement == c.statement->span)) continue;
    if (c.subject != nullptr && r.subject_span == c.subject->span) add(r.subject.str());
    if (c.subject == nullptr && c.target != nullptr && r.origin.target == c.target->span) {
      std::vector<std::string> ports;
      for (const auto& p : r.ports) ports.push_back(p.str());
      for (const auto& p : r.peers) add(ports.empty() ? p.str() : fmt::format("{} on {}", p.str(), fmt::join(ports, ", ")));
    }
  }
  if (seen.empty()) return {};
  std::string out = "**resolves to**";
  if (a_.environment()) out += fmt::format(" (environment `{}`)", *a_.environment());
  out += ":";
  constexpr std::size_t kShown = 12;
  for (std::size_t i = 0; i < seen.size() && i < kShown; ++i) out += fmt::format("\n- `{}`", seen[i]);
  if (seen.size() > kShown) out += fmt::format("\n- and {} more", seen.size() - kShown);
  return out;
}

json Features::hover(std::uint32_t offset) const {
  auto c = locate(a_.root(), offset);
  std::string text = describe(c);
  if (auto r = resolved(c); !r.empty()) text += (text.empty() ? "" : "\n\n") + r;
  Span at = c.span;
  Span item;
  if (c.statement != nullptr) item = c.statement->span;
  if (c.deny != nullptr) item = c.deny->span;
  if (item.valid()) {
    if (!at.valid()) at = item;
    auto y = a_.yaml_for(item);
    std::string where = fmt::format("`{}`", a_.target());
    if (a_.environment()) where += fmt::format(", environment `{}`", *a_.environment());
    if (!text.empty()) text += "\n\n---\n\n";
    if (y.text.empty()) {
      text += fmt::format("This statement ({}): {}.", where, y.problem);
    } else {
      std::string yaml = y.text;
      std::size_t lines = 0;
      for (std::size_t i = 0; i < yaml.size(); ++i) {
        if (yaml[i] == '\n' && ++lines == kMaxYamlLines) {
          yaml = yaml.substr(0, i + 1) + "# ... (shortened)\n";
          break;
        }
      }
      text += fmt::format("Generates ({}):\n\n```yaml\n{}```", where, yaml);
    }
  }
  if (text.empty()) return nullptr;
  return json{{"contents", json{{"kind", "markdown"}, {"value", text}}}, {"range", range(at)}};
}

// =============================================================================================
// Definition

json Features::definition(std::uint32_t offset) const {
  auto c = locate(a_.root(), offset);
  using W = Cursor::What;
  json out = json::array();
  if (c.what == W::Name || c.what == W::NamespaceName || c.what == W::LetName) {
    if (auto f = lookup(c.text, c.block)) {
      for (const auto* let : f->variants) out.push_back(location(let->name.span));
      for (auto o : f->others) {
        for (const auto& g : a_.scopes().file_lets(o)) {
          if (g.name != c.text) continue;
          for (const auto* let : g.variants) out.push_back(location(let->name.span));
        }
      }
    }
  } else if (c.what == W::Import) {
    const auto& imports = a_.program().files.at(0).imports;
    if (c.import_index != Cursor::kNotTopLevel && c.import_index < imports.size() && imports[c.import_index] != kNotLoaded) {
      auto idx = imports[c.import_index];
      out.push_back(json{{"uri", uri_of_file(idx)}, {"range", range_json(LineIndex(""), d_.encoding, 0, 0)}});
    }
  }
  if (out.empty()) return nullptr;
  return out;
}

// =============================================================================================
// Completion

json Features::completion(std::uint32_t offset) const {
  json items = json::array();
  std::string_view text = d_.text;
  offset = std::min<std::uint32_t>(offset, static_cast<std::uint32_t>(text.size()));
  auto line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
  std::string_view before = text.substr(line_start, offset - line_start);
  // The word being typed, and what precedes it.
  std::size_t w = before.size();
  auto word_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-'; };
  while (w > 0 && word_char(before[w - 1])) --w;
  std::string_view lead = before.substr(0, w);

  // In a comment or a string: nothing.
  bool quoted = false;
  for (char ch : lead) {
    if (ch == '"') quoted = !quoted;
    if (ch == '#' && !quoted) return items;
  }
  if (quoted) return items;
  // Inside a selector: label keys and values are the user's own.
  auto open = lead.rfind('[');
  if (open != std::string_view::npos && lead.find(']', open) == std::string_view::npos) return items;
  // After `PORT/`: a protocol.
  if (!lead.empty() && lead.back() == '/' && lead.size() >= 2 && (std::isdigit(static_cast<unsigned char>(lead[lead.size() - 2])) || lead[lead.size() - 2] == '*')) {
    for (const char* p : {"tcp", "udp", "sctp", "any"}) items.push_back(json{{"label", p}, {"kind", kCompletionEnumMember}, {"detail", "protocol"}});
    return items;
  }
  // After `entity`: Cilium's entities.
  std::string_view trimmed = lead;
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) trimmed.remove_suffix(1);
  if (trimmed.size() >= 6 && trimmed.substr(trimmed.size() - 6) == "entity") {
    for (const auto& e : sema::known_entities()) items.push_back(json{{"label", e}, {"kind", kCompletionEnumMember}, {"detail", "Cilium entity"}});
    return items;
  }

  for (const auto& k : syntax::keywords()) items.push_back(json{{"label", k}, {"kind", kCompletionKeyword}});

  const ast::Block* block = a_.scopes().block_at(0, offset);
  std::vector<std::string> seen;
  for (const auto& f : a_.scopes().visible(0, block)) {
    seen.push_back(f.name);
    json item{{"label", f.name}, {"kind", kCompletionConstant}};
    if (!f.variants.empty()) {
      item["detail"] = one_line(source(f.variants.front()->value.span), 80);
      item["documentation"] = json{{"kind", "markdown"}, {"value", describe_let(f)}};
    }
    items.push_back(std::move(item));
  }

  // The standard library's names, with `import std` added when the file lacks it.
  bool imports_std = false;
  for (const auto& item : a_.root().items) {
    if (const auto* imp = std::get_if<ast::Import>(&item.node); imp && !imp->is_path && imp->target == "std") imports_std = true;
  }
  if (!imports_std) {
    Span first = a_.root().items.empty() ? Span{} : a_.root().items.front().span();
    auto at = first.valid() ? d_.lines.position(first.begin, d_.encoding) : Position{};
    json edit = json::array({json{{"range", json{{"start", position_json(at)}, {"end", position_json(at)}}}, {"newText", "import std\n"}}});
    for (const auto& [name, value] : stdlib_lets(a_.compilation().options().stdlib_path)) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      items.push_back(json{{"label", name},
                           {"kind", kCompletionConstant},
                           {"detail", "std: " + value},
                           {"documentation", json{{"kind", "markdown"}, {"value", "From the standard library; completing it adds `import std`."}}},
                           {"additionalTextEdits", edit}});
    }
  }
  return items;
}

// =============================================================================================
// Symbols

void Features::block_symbols(const std::vector<ast::Item>& items, json& out) const {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node)) {
      std::string detail = one_line(source(l->value.span), 80);
      if (!l->envs.empty()) {
        std::vector<std::string> envs;
        for (const auto& e : l->envs) envs.push_back(e.text);
        detail = fmt::format("in {}: {}", fmt::join(envs, ", "), detail);
      }
      out.push_back(symbol(l->name.text, kConstant, l->span, l->name.span, detail));
    } else if (const auto* imp = std::get_if<ast::Import>(&item.node)) {
      out.push_back(symbol(imp->is_path ? "\"" + imp->target + "\"" : imp->target, kModule, imp->span, imp->target_span, "import"));
    } else if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      std::string name;
      int kind = kNamespace;
      Span selection = b->header_span;
      switch (b->kind) {
        case ast::Block::Kind::Namespace:
          name = b->name.text;
          selection = b->name.span;
          break;
        case ast::Block::Kind::Cluster:
          name = "cluster";
          break;
        case ast::Block::Kind::When: {
          std::vector<std::string> envs;
          for (const auto& e : b->envs) envs.push_back(e.text);
          name = fmt::format("when {}", fmt::join(envs, ", "));
          kind = kModule;
          break;
        }
      }
      auto s = symbol(name, kind, b->span, selection.valid() ? selection : b->span, {});
      json children = json::array();
      block_symbols(b->items, children);
      s["children"] = std::move(children);
      out.push_back(std::move(s));
    }
  }
}

json Features::symbols() const {
  json out = json::array();
  block_symbols(a_.root().items, out);
  return out;
}

}  // namespace

json diagnostics(const DocContext& doc) {
  return Features(doc).diagnostics();
}
json hover(const DocContext& doc, std::uint32_t offset) {
  return Features(doc).hover(offset);
}
json definition(const DocContext& doc, std::uint32_t offset) {
  return Features(doc).definition(offset);
}
json completion(const DocContext& doc, std::uint32_t offset) {
  return Features(doc).completion(offset);
}
json document_symbols(const DocContext& doc) {
  return Features(doc).symbols();
}

json formatting(const std::string& path, std::string_view text, const LineIndex& index, Encoding encoding,
               std::optional<std::pair<std::uint32_t, std::uint32_t>> lines, std::string* why) {
  SourceManager sm;
  auto id = sm.add(path, std::string(text));
  DiagnosticSink sink;
  auto formatted = format::format_file(sm, id, sink);
  json edits = json::array();
  if (!formatted) {
    if (why != nullptr) {
      auto first = sink.sorted(sm);
      *why = first.empty() ? "the document cannot be formatted" : fmt::format("{}: {}", sm.where(first.front().span), first.front().message);
    }
    return edits;
  }
  auto before = format::split_lines(text);
  auto after = format::split_lines(*formatted);
  auto offset = [&](std::size_t line) {
    return line < before.size() ? static_cast<std::uint32_t>(before[line].data() - text.data()) : static_cast<std::uint32_t>(text.size());
  };
  // A change touches the lines it replaces, or, inserting only, the lines around its place.
  auto touches = [&](const format::Hunk& h) {
    if (!lines) return true;
    if (h.a_begin == h.a_end) return lines->first <= h.a_begin && h.a_begin <= lines->second + 1;
    return h.a_begin <= lines->second && h.a_end > lines->first;
  };
  for (const auto& h : format::diff_lines(before, after)) {
    if (!touches(h)) continue;
    std::string replacement;
    for (auto j = h.b_begin; j < h.b_end; ++j) replacement += after[j];
    edits.push_back(json{{"range", range_json(index, encoding, offset(h.a_begin), offset(h.a_end))}, {"newText", replacement}});
  }
  return edits;
}

json document_problem(const std::string& message, int severity) {
  return json{{"range", json{{"start", position_json({})}, {"end", position_json({})}}}, {"severity", severity}, {"source", "fence"}, {"message", message}};
}

}  // namespace fence::lsp
