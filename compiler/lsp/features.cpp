#include "lsp/features.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "format/diff.h"
#include "format/format.h"
#include "check/source_names.h"
#include "inventory/load.h"
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
enum CompletionKind { kCompletionClass = 7, kCompletionModule = 9, kCompletionValue = 12, kCompletionKeyword = 14, kCompletionConstant = 21, kCompletionEnumMember = 20 };
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

struct PlainRange {
  Position start, end;
};
struct PlainRelated {
  std::string uri;
  PlainRange range;
  std::string message;
};
// One diagnostic as publishDiagnostics sends it (`code` empty: none; the source is "fence").
struct PlainDiagnostic {
  PlainRange range;
  int severity = 0;
  std::string code;
  std::string message;
  std::vector<PlainRelated> related;
};

class Features {
 public:
  explicit Features(const DocContext& d) : d_(d), a_(d.analysis), sm_(d.analysis.sources()) {}

  // ---- places ----
  json range(const Span& s) const {
    auto r = place(s);
    return json{{"start", position_json(r.start)}, {"end", position_json(r.end)}};
  }
  PlainRange place(const Span& s) const {
    const LineIndex* lines = &d_.lines;
    std::uint32_t begin = s.begin, end = s.end;
    if (!s.valid()) {
      begin = end = 0;
    } else if (s.file != a_.root_id()) {
      // Indexed once per file: an imported file may have thousands of warnings.
      auto it = other_lines_.find(s.file);
      if (it == other_lines_.end()) it = other_lines_.emplace(s.file, LineIndex(sm_.file(s.file).text)).first;
      lines = &it->second;
    }
    return PlainRange{lines->position(begin, d_.encoding), lines->position(end, d_.encoding)};
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
  json location(const Span& s) const { return json{{"uri", location_uri(s)}, {"range", range(s)}}; }
  std::string location_uri(const Span& s) const {
    auto index = file_index(s.file);
    if (index != kNotLoaded) return uri_of_file(index);
    std::error_code ec;
    const auto& path = sm_.file(s.file).path;
    const auto& root = a_.compilation().root();
    auto abs = root.empty() ? std::filesystem::absolute(path, ec) : std::filesystem::path(root) / path;
    return path_to_uri(ec ? path : abs.lexically_normal().string());
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
  // The published diagnostics, as plain records: diagnostics() makes them JSON values,
  // append_diagnostics_text() writes their JSON text directly (the same text, much faster).
  std::vector<PlainDiagnostic> plain_diagnostics() const;
  json diagnostics() const;
  void append_diagnostics_text(std::string& out) const;

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
  json code_actions(std::uint32_t begin, std::uint32_t end) const;

  struct WorkloadName {
    std::string ns, name;
    Span first;  // the first statement that names it
  };
  std::vector<WorkloadName> program_workloads() const;
  const inventory::Inventory* inventory() const;
  json inventory_location(const Span& s) const;
  std::vector<std::string> inventory_workloads(const std::string& ns, const std::string& key) const;

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
  // The inventory read for a program that does not analyze (see inventory()), and its files.
  mutable bool inventory_read_ = false;
  mutable std::optional<inventory::Inventory> own_inventory_;
  mutable SourceManager own_sources_;
};

// =============================================================================================
// Diagnostics

std::vector<PlainDiagnostic> Features::plain_diagnostics() const {
  std::vector<PlainDiagnostic> out;
  out.reserve(a_.diagnostics().size() + 1);
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
    PlainDiagnostic& j = out.emplace_back();
    std::string message = d.message;
    Span at = d.span;
    if (d.span.valid() && d.span.file != a_.root_id()) {
      auto idx = file_index(d.span.file);
      at = idx != kNotLoaded && via[idx].valid() ? via[idx] : idx == kNotLoaded ? inventory_setting() : Span{};
      message = fmt::format("in {}: {}", where(d.span), d.message);
    }
    if (d.span.valid() && d.span.file != a_.root_id()) j.related.push_back(PlainRelated{location_uri(d.span), place(d.span), d.message});
    for (const auto& n : d.notes) {
      if (n.span.valid()) {
        j.related.push_back(PlainRelated{location_uri(n.span), place(n.span), n.message});
      } else {
        message += "\nnote: " + n.message;
      }
    }
    for (const auto& h : d.help) message += "\nhelp: " + h;
    j.range = place(at);
    j.severity = d.severity == fence::Severity::Error     ? kError
                 : d.severity == fence::Severity::Warning ? kWarning
                 : verbose_only(d.code)                   ? kHint
                                                          : kInformation;
    j.code = std::string(code_info(d.code).id);
    j.message = std::move(message);
  }
  if (a_.dropped() > 0) {
    PlainDiagnostic& j = out.emplace_back();
    j.range = place(Span{});
    j.severity = kInformation;
    j.message = fmt::format("{} more errors are not shown: fence stops listing errors after {}", a_.dropped(), a_.compilation().sink().error_count());
  }
  return out;
}

json Features::diagnostics() const {
  json out = json::array();
  auto range_of = [](const PlainRange& r) { return json{{"start", position_json(r.start)}, {"end", position_json(r.end)}}; };
  for (auto& d : plain_diagnostics()) {
    json j;
    j["range"] = range_of(d.range);
    j["severity"] = d.severity;
    if (!d.code.empty()) j["code"] = std::move(d.code);
    j["source"] = "fence";
    j["message"] = std::move(d.message);
    if (!d.related.empty()) {
      json related = json::array();
      for (auto& r : d.related) related.push_back(json{{"location", json{{"uri", std::move(r.uri)}, {"range", range_of(r.range)}}}, {"message", std::move(r.message)}});
      j["relatedInformation"] = std::move(related);
    }
    out.push_back(std::move(j));
  }
  return out;
}

namespace {

// A JSON string as nlohmann's dump(-1, ' ', false, replace) writes it. Plain ASCII is escaped
// here, appending runs of bytes that need no escape whole; a string with other bytes goes through
// nlohmann itself (it replaces invalid UTF-8).
void append_json_string(std::string& out, std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
      return;
    }
  }
  out += '"';
  std::size_t run = 0;  // the first byte not yet appended
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_number(std::string& out, std::uint32_t v) {
  char buf[16];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, end);
}

void append_range(std::string& out, const PlainRange& r) {
  out += "{\"end\":{\"character\":";
  append_number(out, r.end.character);
  out += ",\"line\":";
  append_number(out, r.end.line);
  out += "},\"start\":{\"character\":";
  append_number(out, r.start.character);
  out += ",\"line\":";
  append_number(out, r.start.line);
  out += "}}";
}

}  // namespace

// Keys in the order nlohmann's objects (std::map) keep them, so that the text is byte for byte
// what diagnostics().dump() gives (a unit test compares them).
void Features::append_diagnostics_text(std::string& out) const {
  auto diags = plain_diagnostics();
  // About 500 bytes each on the bench estate: one allocation instead of a dozen doublings.
  out.reserve(out.size() + 2 + diags.size() * 512);
  out += '[';
  bool first = true;
  for (const auto& d : diags) {
    if (!first) out += ',';
    first = false;
    out += '{';
    if (!d.code.empty()) {
      out += "\"code\":";
      append_json_string(out, d.code);
      out += ',';
    }
    out += "\"message\":";
    append_json_string(out, d.message);
    out += ",\"range\":";
    append_range(out, d.range);
    if (!d.related.empty()) {
      out += ",\"relatedInformation\":[";
      for (std::size_t i = 0; i < d.related.size(); ++i) {
        if (i > 0) out += ',';
        out += "{\"location\":{\"range\":";
        append_range(out, d.related[i].range);
        out += ",\"uri\":";
        append_json_string(out, d.related[i].uri);
        out += "},\"message\":";
        append_json_string(out, d.related[i].message);
        out += '}';
      }
      out += ']';
    }
    out += ",\"severity\":";
    append_number(out, static_cast<std::uint32_t>(d.severity));
    out += ",\"source\":\"fence\"}";
  }
  out += ']';
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
  if (c.block->kind == ast::Block::Kind::Cluster || c.block->kind == ast::Block::Kind::Tier) return "every namespace";
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
  // A workload: the first statement that names it, and its object in the inventory.
  auto workload = [&](const std::string& ns, const std::string& name) {
    for (const auto& wl : program_workloads()) {
      if (wl.ns == ns && wl.name == name) {
        out.push_back(location(wl.first));
        break;
      }
    }
    if (const auto* inv = inventory()) {
      if (const auto* w = inv->named(ns, name, label_key(c.block)); w != nullptr && w->span.valid()) out.push_back(inventory_location(w->span));
    }
  };
  if (c.what == W::WorkloadName) {
    if (c.ref != nullptr && c.ref->ns && c.ref->ns->kind == ast::NsRef::Kind::Name && !lookup(c.ref->ns->name.text, c.block)) {
      workload(c.ref->ns->name.text, c.text);
    }
  } else if (c.what == W::Name && !lookup(c.text, c.block)) {
    if (c.block != nullptr && c.block->kind == ast::Block::Kind::Namespace) workload(c.block->name.text, c.text);
  } else if (c.what == W::Name || c.what == W::NamespaceName || c.what == W::LetName) {
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
// Code actions

// Quick fixes: a diagnostic in the range whose help says "did you mean 'X'?" about the one word
// it points at offers to write X there.
json Features::code_actions(std::uint32_t begin, std::uint32_t end) const {
  json out = json::array();
  static const std::string kMean = "did you mean '";
  for (const auto& d : a_.diagnostics()) {
    if (!d.span.valid() || d.span.file != a_.root_id()) continue;
    if (d.span.end < begin || d.span.begin > end) continue;
    std::string_view written = source(d.span);
    bool one_word = !written.empty() && std::all_of(written.begin(), written.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    });
    if (!one_word) continue;
    for (const auto& h : d.help) {
      auto at = h.find(kMean);
      if (at == std::string::npos) continue;
      auto close = h.find('\'', at + kMean.size());
      if (close == std::string::npos) continue;
      std::string suggestion = h.substr(at + kMean.size(), close - at - kMean.size());
      if (suggestion.empty() || suggestion == written) continue;
      json diagnostic{{"range", range(d.span)}, {"code", std::string(code_info(d.code).id)}, {"source", "fence"}, {"message", d.message}};
      out.push_back(json{{"title", fmt::format("Change '{}' to '{}'", written, suggestion)},
                         {"kind", "quickfix"},
                         {"isPreferred", true},
                         {"diagnostics", json::array({diagnostic})},
                         {"edit", json{{"changes", json{{d_.uri, json::array({json{{"range", range(d.span)}, {"newText", suggestion}}})}}}}}});
      break;
    }
  }
  return out;
}

// =============================================================================================
// Completion

namespace {

// The words and marks of a statement's text before the cursor, for telling what may come next.
// Selectors' contents and strings are left out, as are comments.
std::vector<std::string> tokens_of(std::string_view text) {
  std::vector<std::string> out;
  auto word_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.' || ch == '*'; };
  for (std::size_t i = 0; i < text.size();) {
    char ch = text[i];
    if (ch == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (ch == '"') {
      auto close = text.find('"', i + 1);
      out.emplace_back("\"\"");
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else if (ch == '[') {
      auto close = text.find(']', i + 1);
      if (!out.empty() && (out.back() == "pods" || out.back() == "ns")) out.back() += "[]";
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else if (word_char(ch)) {
      std::size_t j = i;
      while (j < text.size() && word_char(text[j])) ++j;
      out.emplace_back(text.substr(i, j - i));
      i = j;
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      ++i;
    } else {
      out.emplace_back(1, ch);
      ++i;
    }
  }
  return out;
}

bool one_of(const std::string& t, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return t == w; });
}

// What the grammar allows at the cursor, from the tokens before it.
struct Context {
  enum class Kind {
    Nothing,     // a new name, a string, a port: nothing to offer
    ItemStart,   // an item: keywords that start one, and subjects
    Subject,     // another subject after a comma, or the pods of `default deny ... for`
    Peer,        // what a statement reaches, or a definition's value
    Keywords,    // only the listed keywords
    Environment, // an environment's name
    Namespace,   // a namespace block's name
  } kind = Kind::Nothing;
  std::vector<std::string> keywords;
};

Context context_of(const std::vector<std::string>& t) {
  using K = Context::Kind;
  if (t.empty() || t.back() == "{" || t.back() == "}") return {K::ItemStart, {}};
  const std::string& last = t.back();
  const std::string& first = t.front();
  auto has = [&](std::initializer_list<const char*> words) {
    return std::any_of(t.begin(), t.end(), [&](const std::string& x) { return one_of(x, words); });
  };
  bool has_verb = has({"reach", "by"}) || (t.size() >= 2 && std::any_of(t.begin() + 1, t.end(), [](const std::string& x) { return x == "to" || x == "from"; }) && has({"send", "receive"}));
  if (first == "import") return t.size() == 1 ? Context{K::Keywords, {"std"}} : Context{};
  if (first == "environments") return {};
  if (first == "targets" || (first == "for" && !has({"{"}))) return last == "targets" || last == "for" || last == "," ? Context{K::Keywords, {"k8s", "cilium", "cnp", "calico"}} : Context{};
  if (first == "let" || first == "set") {
    if (t.size() == 2) return first == "let" ? Context{K::Keywords, {"in", "for"}} : Context{};
    if (last == "for" || (last == "," && has({"for"}) && !has({"="}))) return {K::Keywords, {"k8s", "cilium", "cnp", "calico"}};
    if (last == "in" || (last == "," && !has({"="}))) return {K::Environment, {}};
    if (last == "=" || (last == "," && has({"="})) || last == "except") return first == "let" ? Context{K::Peer, {}} : Context{};
    return {};
  }
  if (first == "when") {
    if (last == "for" || (last == "," && has({"for"}))) return {K::Keywords, {"k8s", "cilium", "cnp", "calico"}};
    if (last == "when" || last == ",") return {K::Environment, {}};
    return has({"for"}) ? Context{} : Context{K::Keywords, {"for"}};
  }
  if (first == "namespace") return t.size() == 1 ? Context{K::Namespace, {}} : Context{};
  if (first == "default") {
    if (last == "default") return {K::Keywords, {"deny"}};
    if (last == "deny") return {K::Keywords, {"ingress", "egress", "all"}};
    if (t.size() == 3) return {K::Keywords, {"for"}};
    if (last == "for" || last == ",") return {K::Subject, {}};
    return {};
  }
  // `admin priority 10 {`: a tier block's header (a workload may be called `admin` too).
  if ((first == "admin" || first == "baseline") && t.size() >= 2 && t[1] == "priority") return {};
  if ((first == "admin" || first == "baseline") && t.size() == 1) return {K::Keywords, {"priority", "may", "must", "defer"}};
  if (last == "defer") return {K::Keywords, {"reach", "be"}};
  if (last == "may") return {K::Keywords, {"reach", "be", "send", "receive"}};
  if (last == "must") return {K::Keywords, {"not"}};
  if (last == "not") return {K::Keywords, {"reach", "be", "send", "receive"}};
  if (last == "be") return {K::Keywords, {"reached"}};
  if (last == "reached") return {K::Keywords, {"by"}};
  if (last == "send") return {K::Keywords, {"to"}};
  if (last == "receive") return {K::Keywords, {"from"}};
  if (last == "all") return {K::Keywords, {"pods", "namespaces"}};
  if (has_verb) {
    if (one_of(last, {"reach", "by", "to", "from", ",", "except", "{"})) return {K::Peer, {}};
    if (last == ":" || last == "/") return {};
    return {K::Keywords, {"except"}};
  }
  if (last == ",") return {K::Subject, {}};
  // A subject has been written: the verb comes next.
  return {K::Keywords, {"may", "must"}};
}

}  // namespace

// The workloads a program names, by namespace: `web` in `namespace shop { web may reach db }`,
// `shop/web` anywhere; with the first statement that names each.
std::vector<Features::WorkloadName> Features::program_workloads() const {
  std::vector<WorkloadName> out;
  std::set<std::pair<std::string, std::string>> seen;
  const auto& files = a_.program().files;
  for (std::size_t i = 0; i < files.size(); ++i) {
    check::for_each_name(files[i].ast, [&](const check::NameUse& use) {
      if (use.statement == nullptr || use.name == nullptr) return;
      std::string ns;
      if (use.kind == check::NameUse::Kind::Bare) {
        if (use.block == nullptr || use.block->kind != ast::Block::Kind::Namespace) return;
        if (a_.scopes().lookup(use.name->text, i, use.block)) return;  // a definition
        ns = use.block->name.text;
      } else if (use.kind == check::NameUse::Kind::Workload) {
        if (use.ref == nullptr || !use.ref->ns || use.ref->ns->kind != ast::NsRef::Kind::Name) return;
        if (a_.scopes().lookup(use.ref->ns->name.text, i, use.block)) return;  // the namespace is a definition
        ns = use.ref->ns->name.text;
      } else {
        return;
      }
      if (seen.emplace(ns, use.name->text).second) out.push_back(WorkloadName{ns, use.name->text, use.statement->span});
    });
  }
  return out;
}

// The inventory the analysis was checked against; or, when the program does not analyze (as
// while a statement is being typed, when completion is asked for), the one its `set inventory`
// names, read through the server's cache. Null when there is none.
const inventory::Inventory* Features::inventory() const {
  if (const auto* inv = a_.compilation().inventory()) return inv;
  if (inventory_read_) return own_inventory_ ? &*own_inventory_ : nullptr;
  inventory_read_ = true;
  const auto& options = a_.compilation().options();
  std::vector<inventory::Source> sources;
  for (const auto& p : options.inventory) sources.push_back({p, Span{}});
  if (sources.empty()) {
    const auto& root = a_.program().files.at(0);
    for (const auto& item : a_.root().items) {
      const auto* set = std::get_if<ast::Set>(&item.node);
      if (set == nullptr || set->name.text != "inventory" || !set->value.string || set->value.string->value.empty()) continue;
      std::filesystem::path written(set->value.string->value);
      auto base = std::filesystem::path(root.disk_path).parent_path();
      auto path = written.is_absolute() || root.disk_path.empty() || root.disk_path[0] == '<' ? written : base / written;
      sources.push_back({path.lexically_normal().string(), Span{}});
      break;
    }
  }
  if (sources.empty()) return nullptr;
  inventory::LoadOptions lo;
  lo.default_namespace = options.inventory_namespace;
  lo.cache = options.inventory_cache.get();
  DiagnosticSink ignored;  // its problems are reported once the program analyzes
  own_inventory_ = inventory::load(sources, lo, own_sources_, ignored);
  return &*own_inventory_;
}

// A place in one of the inventory's files.
json Features::inventory_location(const Span& s) const {
  if (!own_inventory_) return location(s);
  const auto& file = own_sources_.file(s.file);
  std::error_code ec;
  auto abs = std::filesystem::absolute(file.path, ec);
  return json{{"uri", path_to_uri(ec ? file.path : abs.lexically_normal().string())}, {"range", range_json(LineIndex(file.text), d_.encoding, s.begin, s.end)}};
}

// Names of workloads of a namespace the inventory has, as sources name them: by the label key
// bare names stand for there, else by the object's name.
std::vector<std::string> Features::inventory_workloads(const std::string& ns, const std::string& key) const {
  std::vector<std::string> out;
  const auto* inv = inventory();
  if (inv == nullptr) return out;
  for (auto w : inv->workloads_in(ns)) {
    const auto& wl = inv->workloads().at(w);
    auto it = wl.labels.find(key);
    std::string name = it != wl.labels.end() ? it->second : wl.name;
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

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

  const ast::Block* block = a_.scopes().block_at(0, offset);
  const std::string here_ns = block != nullptr && block->kind == ast::Block::Kind::Namespace ? block->name.text : std::string();
  auto workload_item = [](const std::string& name, const std::string& ns, bool from_inventory) {
    return json{{"label", name}, {"kind", kCompletionClass}, {"detail", fmt::format("workload in {}{}", ns, from_inventory ? " (inventory)" : "")}};
  };

  // After `NS/`: the workloads of that namespace, the program's and the inventory's.
  if (!lead.empty() && lead.back() == '/') {
    std::size_t n = lead.size() - 1;
    while (n > 0 && word_char(lead[n - 1])) --n;
    std::string ns(lead.substr(n, lead.size() - 1 - n));
    if (ns.empty()) return items;
    std::vector<std::string> seen;
    for (const auto& wl : program_workloads()) {
      if (wl.ns != ns) continue;
      seen.push_back(wl.name);
      items.push_back(workload_item(wl.name, ns, false));
    }
    for (const auto& name : inventory_workloads(ns, label_key(block))) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      items.push_back(workload_item(name, ns, true));
    }
    return items;
  }

  // What the grammar allows here, from the statement's text before the cursor: the line, and the
  // lines before it while they end with a comma (a list that goes on).
  std::string statement(lead);
  {
    std::size_t end = line_start;
    for (int guard = 0; guard < 200 && end > 0; ++guard) {
      // text[end - 1] is the newline that ends the previous line.
      std::size_t prev_start = 0;
      if (end >= 2) {
        auto nl = text.rfind('\n', end - 2);
        prev_start = nl == std::string_view::npos ? 0 : nl + 1;
      }
      std::string_view prev = text.substr(prev_start, end - 1 - prev_start);
      auto hash = prev.find('#');
      if (hash != std::string_view::npos) prev = prev.substr(0, hash);
      while (!prev.empty() && std::isspace(static_cast<unsigned char>(prev.back()))) prev.remove_suffix(1);
      if (prev.empty() || prev.back() != ',') break;
      statement.insert(0, std::string(prev) + " ");
      end = prev_start;
    }
  }
  auto ctx = context_of(tokens_of(statement));
  using K = Context::Kind;
  auto keyword = [&](const std::string& k) { items.push_back(json{{"label", k}, {"kind", kCompletionKeyword}}); };
  switch (ctx.kind) {
    case K::Nothing:
      return items;
    case K::Keywords:
      for (const auto& k : ctx.keywords) keyword(k);
      return items;
    case K::Environment:
      for (const auto& item : a_.root().items) {
        if (const auto* envs = std::get_if<ast::Environments>(&item.node)) {
          for (const auto& e : envs->names) items.push_back(json{{"label", e.text}, {"kind", kCompletionEnumMember}, {"detail", "environment"}});
        }
      }
      return items;
    case K::Namespace: {
      std::vector<std::string> names;
      for (const auto& wl : program_workloads()) names.push_back(wl.ns);
      if (const auto* inv = inventory()) {
        for (const auto& ns : inv->namespace_names()) names.push_back(ns);
      }
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (const auto& ns : names) items.push_back(json{{"label", ns}, {"kind", kCompletionModule}, {"detail", "namespace"}});
      return items;
    }
    case K::ItemStart:
      for (const char* k : {"import", "environments", "targets", "let", "set", "namespace", "cluster", "when", "for", "default", "all", "admin", "baseline"}) keyword(k);
      break;
    case K::Subject:
      keyword("all");
      break;
    case K::Peer:
      for (const char* k : {"all", "entity", "anything"}) keyword(k);
      break;
  }

  // Subjects and peers: definitions, workloads, namespaces and the standard library's names.
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
  std::vector<std::string> namespaces;
  for (const auto& wl : program_workloads()) {
    namespaces.push_back(wl.ns);
    if (wl.ns != here_ns) continue;
    if (std::find(seen.begin(), seen.end(), wl.name) != seen.end()) continue;
    seen.push_back(wl.name);
    items.push_back(workload_item(wl.name, wl.ns, false));
  }
  if (!here_ns.empty()) {
    for (const auto& name : inventory_workloads(here_ns, label_key(block))) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      items.push_back(workload_item(name, here_ns, true));
    }
  }
  if (const auto* inv = inventory()) {
    for (const auto& ns : inv->namespace_names()) namespaces.push_back(ns);
  }
  std::sort(namespaces.begin(), namespaces.end());
  namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  for (const auto& ns : namespaces) {
    if (ns == here_ns) continue;
    // `shop/`: completing a namespace opens its workloads.
    items.push_back(json{{"label", ns + "/"},
                         {"kind", kCompletionModule},
                         {"detail", "namespace"},
                         {"command", json{{"title", "workloads"}, {"command", "editor.action.triggerSuggest"}}}});
  }
  if (ctx.kind != K::Peer) return items;  // the standard library's names are peers

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
      if (!l->targets.empty()) {
        std::vector<std::string> targets;
        for (const auto& t : l->targets) targets.push_back(t.text);
        detail = fmt::format("for {}: {}", fmt::join(targets, ", "), detail);
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
        case ast::Block::Kind::Tier:
          name = fmt::format("{} priority {}", b->tier == ast::Tier::Admin ? "admin" : "baseline", b->priority.text);
          break;
        case ast::Block::Kind::When: {
          std::vector<std::string> envs, targets;
          for (const auto& e : b->envs) envs.push_back(e.text);
          for (const auto& t : b->targets) targets.push_back(t.text);
          if (!envs.empty()) name = fmt::format("when {}", fmt::join(envs, ", "));
          if (!targets.empty()) name += fmt::format("{}for {}", name.empty() ? "" : " ", fmt::join(targets, ", "));
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
std::string diagnostics_text(const DocContext& doc) {
  std::string out;
  Features(doc).append_diagnostics_text(out);
  return out;
}
void append_diagnostics_text(const DocContext& doc, std::string& out) {
  Features(doc).append_diagnostics_text(out);
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
json code_actions(const DocContext& doc, std::uint32_t begin, std::uint32_t end) {
  return Features(doc).code_actions(begin, end);
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
