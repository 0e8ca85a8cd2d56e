#include "sema/resolve.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "diag/suggest.h"
#include "ir/deny.h"
#include "net/http.h"
#include "net/names.h"
#include "net/regex.h"

namespace fence::sema {

namespace {

namespace fs = std::filesystem;

using Variants = std::vector<const ast::Let*>;  // one definition per environment set
using LetTable = std::map<std::string, Variants, std::less<>>;

using SetTable = std::map<std::string, std::vector<const ast::Set*>, std::less<>>;

// Where a name is looked up: a namespace block's definitions (if any), then its file's, then
// the files that file imports.
struct Lexical {
  std::size_t file = 0;
  const LetTable* block = nullptr;
};

// Where a value is used: the namespace that bare workload names belong to, and their label key.
struct UseSite {
  ir::Scope scope;
  bool top_level = false;  // outside any block: bare workload names have no namespace
  std::string label_key = kDefaultLabelKey;
};

// A resolved target: peers sharing ports and L7 rules.
struct RTarget {
  std::vector<ir::Peer> peers;
  bool has_ports = false;
  std::vector<net::Port> ports;
  std::vector<Span> port_spans;  // parallel to ports
  std::vector<ir::HttpRule> http;
  Span span;
};
using RValue = std::vector<RTarget>;

const std::vector<std::string> kSettings = {"inventory", "label-key", "pod-cidrs", "service-cidrs"};

// How deep a value may nest, counting each let a value uses through and each pair of braces.
// Resolving one level takes a few stack frames (a few KiB unoptimized and under AddressSanitizer).
constexpr std::size_t kMaxValueDepth = 256;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string quote_list(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const auto& s : v) q.push_back("'" + s + "'");
  return fmt::format("{}", fmt::join(q, ", "));
}

// The index of a definition's values: an environment and a target, either empty for "every".
std::string variant_key(std::string_view env, std::string_view target) {
  std::string k(env);
  k += '\x1f';
  k += target;
  return k;
}

// Where a definition has values, for notes: "dev, staging", "target cilium", "prod for cilium".
std::string defined_for(const ast::Let& let) {
  std::vector<std::string> envs, targets;
  for (const auto& e : let.envs) envs.push_back(e.text);
  for (const auto& t : let.targets) targets.push_back(t.text);
  if (targets.empty()) return envs.empty() ? std::string("every environment") : fmt::format("{}", fmt::join(envs, ", "));
  if (envs.empty()) return fmt::format("target{} {}", targets.size() == 1 ? "" : "s", fmt::join(targets, ", "));
  return fmt::format("{} for {}", fmt::join(envs, ", "), fmt::join(targets, ", "));
}

class Resolver {
 public:
  Resolver(const LoadedProgram& prog, const SourceManager& sm, const ResolveOptions& opt, DiagnosticSink& sink)
      : prog_(prog), sm_(sm), opt_(opt), sink_(sink) {}
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  ir::Program run();

 private:
  // ---- tables ----
  void collect_environments();
  void collect_targets();
  void build_tables();
  void collect_block_lets(const std::vector<ast::Item>& items, LetTable& table, SetTable& sets);
  void add_let(LetTable& table, const ast::Let& let);
  void add_set(SetTable& table, const ast::Set& set);
  bool check_env_names(const std::vector<ast::Name>& envs);
  bool env_matches(const std::vector<ast::Name>& envs) const;
  // Targets named by `for`: known (E0230), declared if the program declares any (E0232), once (E0233).
  bool check_target_names(const std::vector<ast::Name>& targets);
  bool target_matches(const std::vector<ast::Name>& targets) const;
  // Whether a `when`/`for` block holds in the environment and target being built.
  bool block_matches(const ast::Block& b) const;
  const ast::Let* pick_variant(const std::string& name, const Variants& variants, Span use);
  const ast::Set* pick_set(const std::vector<const ast::Set*>& variants, Span use);

  // ---- placement ----
  enum class Place { TopLevel, Block, TopWhen, BlockWhen };
  struct Misplaced {
    Span span;
    std::string message;
    Code code = Code::E0103;
  };
  std::optional<Misplaced> misplacement(const ast::Item& item, Place where);
  void check_placement(const std::vector<ast::Item>& items, Place where);

  // ---- lookup ----
  struct Found {
    const Variants* variants = nullptr;
    Lexical lex;  // where the definition lives
  };
  std::optional<Found> lookup(std::string_view name, const Lexical& lex, Span use);

  // ---- values ----
  std::optional<RValue> target_list(const std::vector<ast::Target>& targets, const Lexical& lex, const UseSite& use);
  std::optional<RValue> target(const ast::Target& t, const Lexical& lex, const UseSite& use);
  std::optional<RValue> expr(const ast::Expr& e, const Lexical& lex, const UseSite& use);
  std::optional<RValue> let_value(const std::string& name, const Found& found, Span use_span, const UseSite& use);
  std::optional<RValue> except(const ast::Expr& e, const Lexical& lex, const UseSite& use);
  std::optional<ir::Endpoint> endpoint(const ast::Ref& r, const Lexical& lex, const UseSite& use);
  std::optional<std::string> namespace_name(const ast::Name& n, const Lexical& lex);
  std::optional<net::LabelSelector> selector(const ast::Selector& s, bool for_namespaces);
  std::optional<net::Cidr> cidr(const ast::Name& text);
  std::optional<std::vector<net::Port>> ports(const std::vector<ast::PortItem>& items, std::vector<Span>& spans);
  std::optional<std::uint16_t> port_number(const ast::Name& n);
  std::optional<ir::HttpRule> http_rule(const ast::HttpRule& h);
  bool regex_ok(const ast::StringLit& s, std::string_view what);

  // ---- statements ----
  struct Context {
    Lexical lex;
    UseSite use;
    bool in_namespace = false;
    bool in_cluster = false;  // also in a tier block
    // In an `admin` or `baseline` block: its tier, and its index in Program::tier_blocks.
    ir::Tier tier = ir::Tier::Namespace;
    int tier_block = -1;
  };
  void walk(const std::vector<ast::Item>& items, const Context& ctx, Place place);
  struct Subject {
    ir::Endpoint ep;
    Span span;
  };
  std::optional<std::vector<Subject>> subjects(const std::vector<ast::Ref>& refs, const Context& ctx);
  void statement(const ast::Statement& s, const Context& ctx);
  void default_deny(const ast::DefaultDeny& d, const Context& ctx);
  std::string label_key_for(const SetTable& sets, const std::string& inherited);
  void settings();
  void add_implied();
  void add_implied_in_tier(const ir::Rule& r);

  // ---- label keys of namespaces ----
  // A workload name that belongs to namespace x is read with the label key x's own blocks use.
  struct BlockKey {
    std::string key;
    Span block;  // the block's header
  };
  void collect_namespace_keys(const std::vector<ast::Item>& items, const Lexical& lex, const std::string& inherited);
  std::string label_key_in(const std::string& ns, const UseSite& use, Span at);
  std::map<std::string, std::vector<BlockKey>> namespace_keys_;

  // Where diagnostics go: the caller's sink, or a scratch one while a first pass looks ahead
  // (what it finds wrong, the real pass reports).
  DiagnosticSink& diag() { return quiet_ ? scratch_ : sink_; }

  const LoadedProgram& prog_;
  const SourceManager& sm_;
  const ResolveOptions& opt_;
  DiagnosticSink& sink_;
  DiagnosticSink scratch_;
  bool quiet_ = false;

  std::vector<std::string> environments_;
  std::unordered_set<std::string> environment_set_;  // the same, for lookups
  bool environments_declared_ = false;
  std::vector<std::string> targets_;  // declared by `targets`
  bool targets_declared_ = false;
  bool for_block_ = false;  // placement: inside a block with `for`
  bool in_tier_ = false;    // placement: inside an `admin` or `baseline` block
  std::vector<LetTable> file_lets_;
  std::vector<SetTable> file_sets_;
  std::map<const ast::Block*, LetTable> block_lets_;
  // For each name's variants: the environment and target pairs they have values for (see
  // variant_key; "" for the default), and which variant has it.
  std::unordered_map<const Variants*, std::unordered_map<std::string, const ast::Let*>> variant_envs_;
  std::unordered_map<const Variants*, const ast::Let*> picked_;  // pick_variant's answers
  std::map<const ast::Block*, SetTable> block_sets_;

  std::vector<const ast::Let*> active_;  // lets being resolved, for cycle detection
  // How deep the value being resolved goes: lets within lets, and braces within braces. Each
  // level is a few stack frames; past kMaxDepth the value is refused (E0216), never overflowed.
  std::size_t depth_ = 0;
  Span outermost_use_;     // where the value being resolved is used, at depth 1
  bool too_deep_ = false;  // E0216 reported for the value being resolved
  bool deeper(Span at);
  std::map<std::tuple<const ast::Let*, std::string, std::string, bool>, std::optional<RValue>> memo_;
  std::set<const ast::Let*> reported_cycle_;

  ir::Program out_;
  std::set<std::string> namespaces_;
};

// =============================================================================================
// Tables

void Resolver::collect_environments() {
  const ast::Environments* first = nullptr;
  for (const auto& f : prog_.files) {
    for (const auto& item : f.ast.items) {
      const auto* e = std::get_if<ast::Environments>(&item.node);
      if (e == nullptr) continue;
      std::vector<std::string> names;
      std::unordered_set<std::string> seen;
      for (const auto& n : e->names) {
        auto why = net::check_dns_label(n.text);
        if (!why.empty()) {
          diag().error(Code::E0314, n.span, fmt::format("'{}' is not a valid environment name: {}", n.text, why));
          continue;
        }
        if (!seen.insert(n.text).second) {
          diag().error(Code::E0204, n.span, fmt::format("environment '{}' is declared twice", n.text));
          continue;
        }
        names.push_back(n.text);
      }
      if (first == nullptr) {
        first = e;
        environments_ = names;
        environment_set_ = std::move(seen);
        environments_declared_ = true;
      } else {
        auto a = environments_, b = names;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (a != b) {
          diag().error(Code::E0215, e->span, "these environments differ from the ones declared elsewhere in the program")
              .note(first->span, "the first declaration is here");
        }
      }
    }
  }
}

bool Resolver::check_env_names(const std::vector<ast::Name>& envs) {
  bool ok = true;
  for (const auto& n : envs) {
    if (environment_set_.count(n.text)) continue;
    ok = false;
    if (!environments_declared_) {
      diag().error(Code::E0209, n.span, fmt::format("unknown environment '{}': the program declares no environments", n.text))
          .hint(fmt::format("declare them first, at the top of a file: `environments {}`", n.text == "dev" ? "dev, prod" : "dev, " + n.text));
    } else {
      auto& d = diag().error(Code::E0209, n.span, fmt::format("unknown environment '{}'", n.text));
      if (auto c = closest(n.text, environments_)) d.hint(fmt::format("did you mean '{}'?", *c));
      d.note(Span{}, fmt::format("the program declares {}", quote_list(environments_)));
    }
  }
  return ok;
}

void Resolver::collect_targets() {
  const ast::Targets* first = nullptr;
  for (const auto& f : prog_.files) {
    for (const auto& item : f.ast.items) {
      const auto* t = std::get_if<ast::Targets>(&item.node);
      if (t == nullptr) continue;
      std::vector<std::string> names;
      for (const auto& n : t->names) {
        if (std::find(known_targets().begin(), known_targets().end(), n.text) == known_targets().end()) {
          auto& d = diag().error(Code::E0230, n.span, fmt::format("unknown target '{}'", n.text));
          if (auto c = closest(n.text, known_targets())) d.hint(fmt::format("did you mean '{}'?", *c));
          d.note(Span{}, fmt::format("the targets are {}", quote_list(known_targets())));
          continue;
        }
        if (std::find(names.begin(), names.end(), n.text) != names.end()) {
          diag().error(Code::E0233, n.span, fmt::format("target '{}' is listed twice", n.text));
          continue;
        }
        names.push_back(n.text);
      }
      if (first == nullptr) {
        first = t;
        targets_ = names;
        targets_declared_ = true;
      } else {
        auto a = targets_, b = names;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        if (a != b) {
          diag().error(Code::E0234, t->span, "these targets differ from the ones declared elsewhere in the program")
              .note(first->span, "the first declaration is here");
        }
      }
    }
  }
}

bool Resolver::check_target_names(const std::vector<ast::Name>& targets) {
  bool ok = true;
  std::vector<std::string> seen;
  for (const auto& n : targets) {
    const auto& known = known_targets();
    if (std::find(known.begin(), known.end(), n.text) == known.end()) {
      ok = false;
      auto& d = diag().error(Code::E0230, n.span, fmt::format("unknown target '{}'", n.text));
      if (auto c = closest(n.text, targets_declared_ ? targets_ : known)) d.hint(fmt::format("did you mean '{}'?", *c));
      d.note(Span{}, fmt::format("the targets are {}", quote_list(known)));
      continue;
    }
    if (targets_declared_ && std::find(targets_.begin(), targets_.end(), n.text) == targets_.end()) {
      ok = false;
      diag().error(Code::E0232, n.span, fmt::format("target '{}' is not one the program builds for", n.text))
          .note(Span{}, fmt::format("the program's `targets` line names {}", quote_list(targets_)))
          .hint(fmt::format("add it there (`targets {}, {}`), or remove what is written for it", fmt::join(targets_, ", "), n.text));
      continue;
    }
    if (std::find(seen.begin(), seen.end(), n.text) != seen.end()) {
      ok = false;
      diag().error(Code::E0233, n.span, fmt::format("target '{}' is listed twice", n.text));
      continue;
    }
    seen.push_back(n.text);
  }
  return ok;
}

bool Resolver::target_matches(const std::vector<ast::Name>& targets) const {
  if (targets.empty()) return true;
  if (!opt_.target) return false;
  return std::any_of(targets.begin(), targets.end(), [&](const ast::Name& n) { return n.text == *opt_.target; });
}

bool Resolver::block_matches(const ast::Block& b) const {
  return (b.envs.empty() || env_matches(b.envs)) && target_matches(b.targets);
}

bool Resolver::env_matches(const std::vector<ast::Name>& envs) const {
  if (!opt_.environment) return false;
  return std::any_of(envs.begin(), envs.end(), [&](const ast::Name& n) { return n.text == *opt_.environment; });
}

void Resolver::add_let(LetTable& table, const ast::Let& let) {
  check_env_names(let.envs);
  check_target_names(let.targets);
  auto& variants = table[let.name.text];
  // Two defaults, or two values for one environment (and target), are a clash. The pairs already
  // taken are indexed, so that a name with a value for each of thousands of environments is
  // added in linear time.
  auto& taken = variant_envs_[&variants];
  const ast::Let* other = nullptr;
  std::string which_env, which_target;
  std::vector<std::string> envs, targets;
  for (const auto& e : let.envs) envs.push_back(e.text);
  for (const auto& t : let.targets) targets.push_back(t.text);
  if (envs.empty()) envs.emplace_back();
  if (targets.empty()) targets.emplace_back();
  for (const auto& e : envs) {
    for (const auto& t : targets) {
      if (auto it = taken.find(variant_key(e, t)); it != taken.end()) {
        other = it->second;
        which_env = e;
        which_target = t;
      }
    }
  }
  if (other != nullptr) {
    std::string msg = fmt::format("'{}' is defined twice", let.name.text);
    if (!which_env.empty()) msg += fmt::format(" for environment '{}'", which_env);
    if (!which_target.empty()) msg += fmt::format(" for target '{}'", which_target);
    diag().error(Code::E0204, let.name.span, msg).note(other->name.span, "the first definition is here");
    return;
  }
  for (const auto& e : envs) {
    for (const auto& t : targets) taken.emplace(variant_key(e, t), &let);
  }
  variants.push_back(&let);
}

void Resolver::add_set(SetTable& table, const ast::Set& set) {
  check_env_names(set.envs);
  if (std::find(kSettings.begin(), kSettings.end(), set.name.text) == kSettings.end()) {
    auto& d = diag().error(Code::E0206, set.name.span, fmt::format("there is no setting named '{}'", set.name.text));
    if (auto c = closest(set.name.text, kSettings)) d.hint(fmt::format("did you mean '{}'?", *c));
    d.note(Span{}, fmt::format("the settings are {}", quote_list(kSettings)));
    return;
  }
  auto& variants = table[set.name.text];
  for (const auto* other : variants) {
    bool clash = other->envs.empty() && set.envs.empty();
    for (const auto& a : set.envs) {
      for (const auto& b : other->envs) clash = clash || a.text == b.text;
    }
    if (clash) {
      diag().error(Code::E0204, set.name.span, fmt::format("'{}' is set twice here", set.name.text)).note(other->name.span, "it was first set here");
      return;
    }
  }
  variants.push_back(&set);
}

void Resolver::collect_block_lets(const std::vector<ast::Item>& items, LetTable& table, SetTable& sets) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node)) add_let(table, *l);
    if (const auto* s = std::get_if<ast::Set>(&item.node)) add_set(sets, *s);
    if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      if (b->kind == ast::Block::Kind::When) {
        collect_block_lets(b->items, table, sets);  // misplaced lets are reported by placed_ok
      } else {
        collect_block_lets(b->items, block_lets_[b], block_sets_[b]);
      }
    }
  }
}

void Resolver::build_tables() {
  file_lets_.resize(prog_.files.size());
  file_sets_.resize(prog_.files.size());
  for (std::size_t f = 0; f < prog_.files.size(); ++f) {
    for (const auto& item : prog_.files[f].ast.items) {
      if (const auto* l = std::get_if<ast::Let>(&item.node)) add_let(file_lets_[f], *l);
      if (const auto* s = std::get_if<ast::Set>(&item.node)) add_set(file_sets_[f], *s);
      if (const auto* b = std::get_if<ast::Block>(&item.node)) {
        if (b->kind != ast::Block::Kind::When) collect_block_lets(b->items, block_lets_[b], block_sets_[b]);
      }
    }
  }
}

const ast::Let* Resolver::pick_variant(const std::string& name, const Variants& variants, Span use) {
  // The same for every use: looked up once per analysis, through the index of environments.
  if (auto it = picked_.find(&variants); it != picked_.end() && it->second != nullptr) return it->second;
  const std::string env = opt_.environment.value_or("");
  const std::string tgt = opt_.target.value_or("");
  const auto& index = variant_envs_[&variants];
  auto find = [&](const std::string& e, const std::string& t) -> const ast::Let* {
    auto it = index.find(variant_key(e, t));
    return it == index.end() ? nullptr : it->second;
  };
  // The most specific value: for both the environment and the target; then for one of them
  // (both is ambiguous: E0235); then the default.
  const ast::Let* chosen = (!env.empty() && !tgt.empty()) ? find(env, tgt) : nullptr;
  if (chosen == nullptr) {
    const ast::Let* by_env = env.empty() ? nullptr : find(env, "");
    const ast::Let* by_target = tgt.empty() ? nullptr : find("", tgt);
    if (by_env != nullptr && by_target != nullptr) {
      picked_[&variants] = nullptr;
      diag()
          .error(Code::E0235, use, fmt::format("'{}' has a value for environment '{}' and another for target '{}', and none for both", name, env, tgt))
          .note(by_env->name.span, fmt::format("defined for {} here", defined_for(*by_env)))
          .note(by_target->name.span, fmt::format("defined for {} here", defined_for(*by_target)))
          .hint(fmt::format("say which holds: `let {} in {} for {} = ...`", name, env, tgt));
      return nullptr;
    }
    chosen = by_env != nullptr ? by_env : by_target;
  }
  if (chosen == nullptr) chosen = find("", "");
  picked_[&variants] = chosen;
  if (chosen != nullptr) return chosen;
  // Which dimension has no value: the target, when some value holds in this environment.
  bool env_covered = std::any_of(variants.begin(), variants.end(), [&](const ast::Let* v) {
    return v->envs.empty() || std::any_of(v->envs.begin(), v->envs.end(), [&](const ast::Name& n) { return n.text == env; });
  });
  bool per_target = std::any_of(variants.begin(), variants.end(), [](const ast::Let* v) { return !v->targets.empty(); });
  Diagnostic* d = nullptr;
  if (env_covered && per_target) {
    std::string where = env.empty() ? std::string() : fmt::format(" in environment '{}'", env);
    d = tgt.empty() ? &diag().error(Code::E0231, use, fmt::format("'{}' has values for some targets only{}, and no target is being built", name, where))
                    : &diag().error(Code::E0231, use, fmt::format("'{}' has no value for target '{}'{}", name, tgt, where));
  } else {
    d = opt_.environment ? &diag().error(Code::E0210, use, fmt::format("'{}' has no value in environment '{}'", name, *opt_.environment))
                         : &diag().error(Code::E0210, use, fmt::format("'{}' has no default value, only values for some environments", name));
  }
  for (const auto* v : variants) d->note(v->name.span, fmt::format("defined for {} here", defined_for(*v)));
  if (env_covered && per_target) {
    d->hint(tgt.empty() ? std::string("build with --target, or add a value for every target")
                        : fmt::format("add `let {} for {} = ...` or a value for every target, `let {} = ...`", name, tgt, name));
  } else {
    d->hint(opt_.environment ? fmt::format("add `let {} in {} = ...` or a default `let {} = ...`", name, *opt_.environment, name)
                             : std::string("build with --env, or add a default value"));
  }
  return nullptr;
}

const ast::Set* Resolver::pick_set(const std::vector<const ast::Set*>& variants, Span /*use*/) {
  const ast::Set* fallback = nullptr;
  for (const auto* v : variants) {
    if (v->envs.empty()) fallback = v;
    if (env_matches(v->envs)) return v;
  }
  return fallback;
}

// =============================================================================================
// Placement

std::optional<Resolver::Misplaced> Resolver::misplacement(const ast::Item& item, Place where) {
  using Problem = std::optional<Misplaced>;
  bool top = where == Place::TopLevel;
  bool when = where == Place::TopWhen || where == Place::BlockWhen;
  if (std::holds_alternative<ast::Import>(item.node) && !top) return Problem{{item.span(), "imports belong at the top of a file, outside any block"}};
  if (std::holds_alternative<ast::Targets>(item.node) && !top) {
    return Problem{{item.span(), "targets are declared at the top level of a file", Code::E0236}};
  }
  // What a `for` (or `when ... for`) block holds, and where it may be.
  if (const auto* b = std::get_if<ast::Block>(&item.node); b && b->kind == ast::Block::Kind::When && !b->targets.empty() && when) {
    return Problem{{b->header_span, "`for` blocks do not nest, in each other or in `when`; name both in one: `when ENV for TARGET { ... }`", Code::E0236}};
  }
  if (const auto* l = std::get_if<ast::Let>(&item.node); l && when && for_block_) {
    return Problem{{l->span, fmt::format("a let inside `for` is not allowed; write `let {} for TARGET = ...` instead", l->name.text), Code::E0236}};
  }
  if (const auto* st = std::get_if<ast::Set>(&item.node); st && when && for_block_) {
    return Problem{{st->span, "a set inside `for` is not allowed: settings hold for every target", Code::E0236}};
  }
  if (std::holds_alternative<ast::Environments>(item.node) && !top) {
    return Problem{{item.span(), "environments are declared at the top level of a file"}};
  }
  if (const auto* l = std::get_if<ast::Let>(&item.node); l && when) {
    return Problem{{l->span, fmt::format("a let inside `when` is not allowed; write `let {} in ENV = ...` instead", l->name.text)}};
  }
  if (const auto* st = std::get_if<ast::Set>(&item.node); st && when) {
    return Problem{{st->span, fmt::format("a set inside `when` is not allowed; write `set {} in ENV = ...` instead", st->name.text)}};
  }
  if (const auto* st = std::get_if<ast::Set>(&item.node); st && (where == Place::Block || where == Place::BlockWhen) && st->name.text != "label-key" &&
      std::find(kSettings.begin(), kSettings.end(), st->name.text) != kSettings.end()) {
    return Problem{{st->span, fmt::format("{} holds for the whole program: set it at the top level of a file, outside any block", st->name.text)}};
  }
  // Tier blocks: what they hold, and where they may be.
  if (const auto* b = std::get_if<ast::Block>(&item.node); b && b->kind == ast::Block::Kind::Tier) {
    if (in_tier_) return Problem{{b->header_span, "tier blocks do not nest: write each `admin` or `baseline` block at the top level", Code::E0122}};
    if (where == Place::Block || where == Place::BlockWhen) {
      return Problem{{b->header_span, "a tier block is cluster-wide: write it at the top level, outside namespace and cluster blocks", Code::E0122}};
    }
  }
  if (in_tier_) {
    if (std::holds_alternative<ast::DefaultDeny>(item.node)) {
      return Problem{{item.span(),
                      "a default deny has no place in a tier block: write `all namespaces must not reach ...` (or `be reached by`) in the block, "
                      "or the default deny in a namespace block",
                      Code::E0122}};
    }
    if (const auto* b = std::get_if<ast::Block>(&item.node); b && (b->kind == ast::Block::Kind::Namespace || b->kind == ast::Block::Kind::Cluster)) {
      return Problem{{b->header_span, "a tier block holds statements about namespaces, not namespace or cluster blocks", Code::E0122}};
    }
  }
  if (const auto* st = std::get_if<ast::Statement>(&item.node);
      st && !in_tier_ && (st->verb == ast::Verb::DeferReach || st->verb == ast::Verb::DeferBeReachedBy)) {
    return Problem{{st->verb_span, "`defer` leaves a connection to the next tier, so it belongs in an `admin` or `baseline` block", Code::E0123}};
  }
  if (std::holds_alternative<ast::DefaultDeny>(item.node) && (where == Place::TopLevel || where == Place::TopWhen)) {
    return Problem{{item.span(), "a default deny applies to a namespace: put it inside `namespace NAME { ... }` (or `cluster { ... }`)"}};
  }
  if (const auto* b = std::get_if<ast::Block>(&item.node)) {
    if (b->kind == ast::Block::Kind::When && when) {
      return Problem{{b->header_span, "`when` blocks do not nest; list the environments in one: `when dev, staging { ... }`"}};
    }
    if (b->kind != ast::Block::Kind::When && (where == Place::Block || where == Place::BlockWhen)) {
      return Problem{{b->header_span, "namespace and cluster blocks do not nest"}};
    }
  }
  return std::nullopt;
}

// Placement does not depend on the environment: it is checked once, over every block.
void Resolver::check_placement(const std::vector<ast::Item>& items, Place where) {
  for (const auto& item : items) {
    if (auto problem = misplacement(item, where)) {
      diag().error(problem->code, problem->span, problem->message);
      continue;
    }
    if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      Place inner = Place::Block;
      if (b->kind == ast::Block::Kind::When) inner = where == Place::TopLevel ? Place::TopWhen : Place::BlockWhen;
      bool outer = for_block_;
      bool outer_tier = in_tier_;
      for_block_ = b->kind == ast::Block::Kind::When && !b->targets.empty();
      if (b->kind == ast::Block::Kind::Tier) in_tier_ = true;
      check_placement(b->items, inner);
      for_block_ = outer;
      in_tier_ = outer_tier;
    }
  }
}

// =============================================================================================
// Lookup

std::optional<Resolver::Found> Resolver::lookup(std::string_view name, const Lexical& lex, Span use) {
  if (lex.block != nullptr) {
    if (auto it = lex.block->find(name); it != lex.block->end()) return Found{&it->second, lex};
  }
  if (auto it = file_lets_[lex.file].find(name); it != file_lets_[lex.file].end()) return Found{&it->second, Lexical{lex.file, nullptr}};
  std::optional<Found> found;
  for (auto imp : prog_.files[lex.file].imports) {
    // A file may be imported twice (once per import line); any file index, 0 included, is valid.
    if (imp == static_cast<std::size_t>(-1) || (found && found->lex.file == imp)) continue;
    auto it = file_lets_[imp].find(name);
    if (it == file_lets_[imp].end()) continue;
    if (found) {
      diag().error(Code::E0207, use, fmt::format("'{}' is defined by two imported files", name))
          .note(it->second.front()->name.span, "one definition is here")
          .note(found->variants->front()->name.span, "another is here")
          .hint("define it in this file to choose, e.g. `let x = ...`");
      return std::nullopt;
    }
    found = Found{&it->second, Lexical{imp, nullptr}};
  }
  return found;
}

// =============================================================================================
// Values

std::optional<std::uint16_t> Resolver::port_number(const ast::Name& n) {
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(n.text.data(), n.text.data() + n.text.size(), v);
  if (ec != std::errc() || p != n.text.data() + n.text.size() || v == 0 || v > 65535) {
    diag().error(Code::E0304, n.span, fmt::format("port {} is out of range: ports are 1 to 65535", n.text));
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(v);
}

std::optional<std::vector<net::Port>> Resolver::ports(const std::vector<ast::PortItem>& items, std::vector<Span>& spans) {
  std::vector<net::Port> out;
  spans.clear();
  bool ok = true;
  for (const auto& it : items) {
    net::Port p;
    if (it.protocol) {
      auto proto = net::parse_protocol(it.protocol->text);
      if (!proto) {
        auto& d = diag().error(Code::E0307, it.protocol->span, fmt::format("unknown protocol '{}'", it.protocol->text));
        if (auto c = closest(lower(it.protocol->text), {"tcp", "udp", "sctp", "any"})) d.hint(fmt::format("did you mean '{}'?", *c));
        d.note(Span{}, "the protocols are tcp, udp, sctp and any");
        ok = false;
        continue;
      }
      p.protocol = *proto;
    }
    switch (it.kind) {
      case ast::PortItem::Kind::Number: {
        auto n = port_number(it.first);
        if (!n) {
          ok = false;
          continue;
        }
        p.kind = net::Port::Kind::Number;
        p.first = p.last = *n;
        break;
      }
      case ast::PortItem::Kind::Range: {
        auto a = port_number(it.first);
        auto b = port_number(it.last);
        if (!a || !b) {
          ok = false;
          continue;
        }
        if (*b < *a) {
          diag().error(Code::E0305, it.span, fmt::format("the range {}-{} ends before it starts", *a, *b)).hint(fmt::format("write {}-{}", *b, *a));
          ok = false;
          continue;
        }
        p.kind = *a == *b ? net::Port::Kind::Number : net::Port::Kind::Range;
        p.first = *a;
        p.last = *b;
        break;
      }
      case ast::PortItem::Kind::Named: {
        auto why = net::check_port_name(it.first.text);
        if (!why.empty()) {
          diag().error(Code::E0306, it.first.span, fmt::format("'{}' is not a valid port name: {}", it.first.text, why));
          ok = false;
          continue;
        }
        p.kind = net::Port::Kind::Named;
        p.name = it.first.text;
        break;
      }
      case ast::PortItem::Kind::Any:
        p.kind = net::Port::Kind::All;
        break;
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) {
      out.push_back(std::move(p));
      spans.push_back(it.span);
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<net::Cidr> Resolver::cidr(const ast::Name& text) {
  auto r = net::parse_cidr(text.text);
  if (!r.cidr) {
    diag().error(Code::E0308, text.span, fmt::format("'{}' is not a valid CIDR: {}", text.text, r.error));
    return std::nullopt;
  }
  if (r.missing_prefix) {
    diag().error(Code::E0308, text.span, fmt::format("'{}' is an address, not a CIDR", text.text))
        .hint(fmt::format("for this one address write {}/{}", text.text, r.cidr->bits()));
    return std::nullopt;
  }
  if (r.cidr->has_host_bits()) {
    auto m = r.cidr->masked();
    auto host = *r.cidr;
    host.prefix = static_cast<std::uint8_t>(host.bits());
    diag().error(Code::E0309, text.span, fmt::format("'{}' has bits set after its /{} prefix", text.text, r.cidr->prefix))
        .hint(fmt::format("write {} for the whole network, or {} for the one address", m.str(), host.str()));
    return std::nullopt;
  }
  return r.cidr;
}

std::optional<net::LabelSelector> Resolver::selector(const ast::Selector& s, bool for_namespaces) {
  net::LabelSelector out;
  bool ok = true;
  for (const auto& r : s.reqs) {
    auto why = net::check_label_key(r.key.text);
    if (!why.empty()) {
      diag().error(Code::E0301, r.key.span, fmt::format("'{}' is not a valid label key: {}", r.key.text, why));
      ok = false;
      continue;
    }
    net::Requirement req;
    req.key = r.key.text;
    switch (r.op) {
      case ast::SelOp::Equals:
        req.op = net::SelOp::Equals;
        break;
      case ast::SelOp::NotEquals:
        req.op = net::SelOp::NotEquals;
        break;
      case ast::SelOp::In:
        req.op = net::SelOp::In;
        break;
      case ast::SelOp::NotIn:
        req.op = net::SelOp::NotIn;
        break;
      case ast::SelOp::Exists:
        req.op = net::SelOp::Exists;
        break;
      case ast::SelOp::DoesNotExist:
        req.op = net::SelOp::DoesNotExist;
        break;
    }
    if ((r.op == ast::SelOp::In || r.op == ast::SelOp::NotIn) && r.values.empty()) {
      diag().error(Code::E0312, r.span, fmt::format("`{}` needs at least one value", r.op == ast::SelOp::In ? "in" : "notin"));
      ok = false;
      continue;
    }
    for (const auto& v : r.values) {
      auto vwhy = net::check_label_value(v.text);
      if (!vwhy.empty()) {
        diag().error(Code::E0302, v.span, fmt::format("'{}' is not a valid label value: {}", v.text, vwhy));
        ok = false;
        continue;
      }
      req.values.push_back(v.text);
    }
    out.add(std::move(req));
  }
  (void)for_namespaces;
  if (!ok) return std::nullopt;
  return out;
}

namespace {
// A definition with a syntax error (reported) has no value; its uses report nothing more.
bool poisoned(const Variants& variants) {
  return std::any_of(variants.begin(), variants.end(), [](const ast::Let* l) { return l->poisoned; });
}
}  // namespace

std::optional<std::string> Resolver::namespace_name(const ast::Name& n, const Lexical& lex) {
  std::string name = n.text;
  if (auto found = lookup(n.text, lex, n.span)) {
    if (poisoned(*found->variants)) return std::nullopt;
    const auto* v = pick_variant(n.text, *found->variants, n.span);
    if (v == nullptr) return std::nullopt;
    if (!v->value.string) {
      diag().error(Code::E0205, n.span, fmt::format("'{}' is used as a namespace name, but it is defined as pods or addresses", n.text))
          .note(v->name.span, "defined here")
          .hint("a definition used as a namespace name is a string: `let shop = \"shop-prod\"`");
      return std::nullopt;
    }
    name = v->value.string->value;
  }
  auto why = net::check_dns_label(name);
  if (!why.empty()) {
    diag().error(Code::E0303, n.span, fmt::format("'{}' is not a valid namespace name: {}", name, why));
    return std::nullopt;
  }
  return name;
}

std::optional<ir::Endpoint> Resolver::endpoint(const ast::Ref& r, const Lexical& lex, const UseSite& use) {
  ir::Endpoint ep;
  std::string key = use.label_key;
  if (r.ns) {
    switch (r.ns->kind) {
      case ast::NsRef::Kind::Name: {
        auto name = namespace_name(r.ns->name, lex);
        if (!name) return std::nullopt;
        ep.ns.kind = ir::NamespaceSel::Kind::Named;
        ep.ns.name = *name;
        if (r.pod && r.pod->kind == ast::PodRef::Kind::Name) key = label_key_in(*name, use, r.span);
        break;
      }
      case ast::NsRef::Kind::Selector: {
        auto sel = selector(r.ns->selector, true);
        if (!sel) return std::nullopt;
        ep.ns.kind = sel->selects_all() ? ir::NamespaceSel::Kind::Any : ir::NamespaceSel::Kind::Selector;
        ep.ns.selector = *sel;
        break;
      }
      case ast::NsRef::Kind::All:
        ep.ns.kind = ir::NamespaceSel::Kind::Any;
        break;
    }
  } else if (use.scope.cluster) {
    ep.ns.kind = ir::NamespaceSel::Kind::Any;
  } else if (use.top_level) {
    diag().error(Code::E0211, r.span, "outside a namespace block, pods need their namespace")
        .hint(fmt::format("write NAMESPACE/{} or move the statement into `namespace NAME {{ ... }}`", sm_.text(r.span)));
    return std::nullopt;
  } else {
    ep.ns.kind = ir::NamespaceSel::Kind::Named;
    ep.ns.name = use.scope.ns;
  }
  if (r.pod) {
    switch (r.pod->kind) {
      case ast::PodRef::Kind::Name: {
        auto why = net::check_label_value(r.pod->name.text);
        if (!why.empty()) {
          diag().error(Code::E0302, r.pod->name.span,
                      fmt::format("'{}' is not a valid workload name (a value of label '{}'): {}", r.pod->name.text, key, why));
          return std::nullopt;
        }
        ep.pods.add(net::Requirement{key, net::SelOp::Equals, {r.pod->name.text}});
        out_.workload_label_keys[ep.ns.kind == ir::NamespaceSel::Kind::Named ? ep.ns.name : std::string()].insert(key);
        break;
      }
      case ast::PodRef::Kind::Selector: {
        auto sel = selector(r.pod->selector, false);
        if (!sel) return std::nullopt;
        ep.pods = *sel;
        break;
      }
      case ast::PodRef::Kind::All:
        break;
    }
  }
  return ep;
}

std::optional<RValue> Resolver::let_value(const std::string& name, const Found& found, Span use_span, const UseSite& use) {
  if (poisoned(*found.variants)) return std::nullopt;
  const auto* let = pick_variant(name, *found.variants, use_span);
  if (let == nullptr) return std::nullopt;
  if (std::find(active_.begin(), active_.end(), let) != active_.end()) {
    if (reported_cycle_.insert(let).second) {
      auto& d = diag().error(Code::E0203, let->name.span, fmt::format("'{}' is defined in terms of itself", name));
      auto start = std::find(active_.begin(), active_.end(), let);
      for (auto it = start + 1; it != active_.end(); ++it) d.note((*it)->name.span, fmt::format("through '{}'", (*it)->name.text));
      d.note(use_span, "the cycle closes here");
    }
    return std::nullopt;
  }
  if (let->value.string) {
    diag().error(Code::E0205, use_span, fmt::format("'{}' is a string (\"{}\"), not pods or addresses", name, let->value.string->value))
        .note(let->name.span, "defined here");
    return std::nullopt;
  }
  auto key = std::make_tuple(let, use.scope.str(), use.label_key, use.top_level);
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  if (!deeper(use_span)) return std::nullopt;
  active_.push_back(let);
  Lexical def{found.lex.file, found.lex.block};
  auto v = target_list(let->value.targets, def, use);
  active_.pop_back();
  --depth_;
  memo_[key] = v;
  return v;
}

// Enters one more level of a value (a let's value, or a group's braces); false, with E0216
// reported once per outermost use, when that is too deep. A true return must be paired with
// --depth_.
bool Resolver::deeper(Span at) {
  if (depth_ == 0) {
    outermost_use_ = at;
    too_deep_ = false;
  }
  if (depth_ >= kMaxValueDepth) {
    if (!too_deep_) {
      too_deep_ = true;
      std::string what = active_.empty() ? std::string("this value") : fmt::format("the value of '{}'", active_.front()->name.text);
      auto& d = diag().error(Code::E0216, outermost_use_,
                            fmt::format("{} nests more than {} levels deep (definitions that use definitions, and braces)", what, kMaxValueDepth));
      d.note(at, fmt::format("level {} would start here", kMaxValueDepth + 1));
      d.hint(fmt::format("each `let` may use other lets, and braces may nest, to {} levels in all: write some of these values out directly",
                         kMaxValueDepth));
    }
    return false;
  }
  ++depth_;
  return true;
}

std::optional<RValue> Resolver::except(const ast::Expr& e, const Lexical& lex, const UseSite& use) {
  auto base = expr(*e.lhs, lex, use);
  auto taken = expr(*e.rhs, lex, use);
  if (!base || !taken) return std::nullopt;
  // Both sides must be addresses; what is taken out carries no ports.
  for (const auto& t : *base) {
    for (const auto& p : t.peers) {
      if (p.kind != ir::Peer::Kind::Cidr) {
        diag().error(Code::E0205, e.lhs->span, fmt::format("`except` takes addresses out of CIDRs, but this includes {}", p.str()));
        return std::nullopt;
      }
    }
  }
  std::vector<std::pair<net::Cidr, Span>> excepts;
  for (const auto& t : *taken) {
    if (t.has_ports) {
      diag().error(Code::E0205, e.rhs->span, "what `except` takes out cannot have ports: a CIDR's except list removes addresses on every port");
      return std::nullopt;
    }
    for (const auto& p : t.peers) {
      if (p.kind != ir::Peer::Kind::Cidr) {
        diag().error(Code::E0205, e.rhs->span, fmt::format("`except` takes out addresses, but this includes {}", p.str()));
        return std::nullopt;
      }
      if (!p.cidr.except.empty()) {
        diag().error(Code::E0205, e.rhs->span, fmt::format("what `except` takes out must be plain CIDRs, not {}", p.cidr.str()));
        return std::nullopt;
      }
      excepts.emplace_back(p.cidr.cidr, p.span);
    }
  }
  RValue out = *base;
  bool ok = true;
  for (const auto& taken_out : excepts) {
    // Named, not a structured binding: clang 14 cannot capture those in the lambdas below.
    const net::Cidr& ex = taken_out.first;
    const Span& ex_span = taken_out.second;
    bool touched = false;
    for (auto& t : out) {
      for (auto& p : t.peers) {
        auto& blk = p.cidr;
        if (ex.contains(blk.cidr)) {
          // Takes the whole block: mark it for removal with an empty CIDR of prefix > bits.
          blk.cidr.prefix = 0xff;
          touched = true;
        } else if (blk.cidr.strictly_contains(ex)) {
          touched = true;
          bool covered = std::any_of(blk.except.begin(), blk.except.end(), [&](const net::Cidr& c) { return c.contains(ex); });
          if (covered) continue;
          blk.except.erase(std::remove_if(blk.except.begin(), blk.except.end(), [&](const net::Cidr& c) { return ex.contains(c); }),
                           blk.except.end());
          blk.except.insert(std::lower_bound(blk.except.begin(), blk.except.end(), ex), ex);
        }
      }
    }
    if (!touched) {
      std::vector<std::string> bases;
      for (const auto& t : *base) {
        for (const auto& p : t.peers) bases.push_back(p.cidr.cidr.str());
      }
      auto& d = diag().error(Code::E0310, ex_span.valid() ? ex_span : e.rhs->span,
                            fmt::format("`except {}` takes nothing away: it is not inside {}", ex.str(), fmt::join(bases, ", ")));
      if (bases.size() == 1) {
        auto b = net::parse_cidr(bases[0]).cidr;
        if (b && b->family != ex.family) d.note(Span{}, "an IPv4 CIDR and an IPv6 CIDR share no addresses");
      }
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  bool any_left = false;
  for (auto& t : out) {
    t.peers.erase(std::remove_if(t.peers.begin(), t.peers.end(), [](const ir::Peer& p) { return p.cidr.cidr.prefix == 0xff; }), t.peers.end());
    any_left = any_left || !t.peers.empty();
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const RTarget& t) { return t.peers.empty(); }), out.end());
  if (!any_left) {
    diag().error(Code::E0310, e.span, "`except` takes away every address: nothing is left")
        .hint("an except must be a strict subset of the CIDR it is taken from");
    return std::nullopt;
  }
  return out;
}

std::optional<RValue> Resolver::expr(const ast::Expr& e, const Lexical& lex, const UseSite& use) {
  RTarget t;
  t.span = e.span;
  ir::Peer p;
  p.span = e.span;
  switch (e.kind) {
    case ast::Expr::Kind::Cidr: {
      auto c = cidr(e.text);
      if (!c) return std::nullopt;
      p.kind = ir::Peer::Kind::Cidr;
      p.cidr.cidr = *c;
      break;
    }
    case ast::Expr::Kind::DnsName: {
      auto why = net::check_dns_name(e.text.text, true);
      if (!why.empty()) {
        diag().error(Code::E0311, e.text.span, fmt::format("'{}' is not a valid DNS name: {}", e.text.text, why));
        return std::nullopt;
      }
      p.kind = ir::Peer::Kind::DnsName;
      p.dns = lower(e.text.text);
      if (!p.dns.empty() && p.dns.back() == '.') p.dns.pop_back();
      break;
    }
    case ast::Expr::Kind::Entity: {
      const auto& known = known_entities();
      if (std::find(known.begin(), known.end(), e.text.text) == known.end()) {
        auto& d = diag().error(Code::E0213, e.text.span, fmt::format("Cilium has no entity named '{}'", e.text.text));
        if (auto c = closest(e.text.text, known)) d.hint(fmt::format("did you mean '{}'?", *c));
        d.note(Span{}, fmt::format("the entities are {}", fmt::join(known, ", ")));
        return std::nullopt;
      }
      p.kind = ir::Peer::Kind::Entity;
      p.entity = e.text.text;
      break;
    }
    case ast::Expr::Kind::Ref: {
      if (e.ref.is_bare_name()) {
        if (auto found = lookup(e.ref.pod->name.text, lex, e.ref.span)) return let_value(e.ref.pod->name.text, *found, e.ref.span, use);
      }
      auto ep = endpoint(e.ref, lex, use);
      if (!ep) return std::nullopt;
      p.kind = ir::Peer::Kind::Endpoint;
      p.endpoint = std::move(*ep);
      break;
    }
    case ast::Expr::Kind::Group: {
      // Items without ports or HTTP rules of their own share one target: `{a, b}:80` is one rule.
      if (!deeper(e.span)) return std::nullopt;
      auto items = target_list(e.items, lex, use);
      --depth_;
      if (!items) return std::nullopt;
      RValue merged;
      RTarget shared;
      shared.span = e.span;
      for (auto& it : *items) {
        if (it.has_ports || !it.http.empty()) {
          merged.push_back(std::move(it));
        } else {
          for (auto& q : it.peers) shared.peers.push_back(std::move(q));
        }
      }
      if (!shared.peers.empty()) merged.insert(merged.begin(), std::move(shared));
      return merged;
    }
    case ast::Expr::Kind::Except:
      return except(e, lex, use);
    case ast::Expr::Kind::Anything:
      p.kind = ir::Peer::Kind::Any;
      break;
  }
  t.peers.push_back(std::move(p));
  return RValue{std::move(t)};
}

// The source span of bytes [begin, end) of a string literal's value, through its escapes.
Span string_part(const SourceManager& sm, const ast::StringLit& lit, std::size_t begin, std::size_t end) {
  auto raw = sm.text(lit.span);
  std::size_t r = 1, v = 0, rb = 1, re = raw.size() > 1 ? raw.size() - 1 : raw.size();
  while (r + 1 < raw.size()) {
    if (v == begin) rb = r;
    if (v == end) re = r;
    r += raw[r] == '\\' && r + 2 < raw.size() ? 2 : 1;
    ++v;
  }
  if (end >= v) re = raw.size() > 1 ? raw.size() - 1 : raw.size();
  return Span{lit.span.file, lit.span.begin + static_cast<std::uint32_t>(rb), lit.span.begin + static_cast<std::uint32_t>(std::max(re, rb + 1))};
}

// Paths and hosts are regular expressions that Cilium compiles as Go (RE2) expressions.
bool Resolver::regex_ok(const ast::StringLit& s, std::string_view what) {
  // A Fence string keeps only \\, \", \n and \t: "\d" would silently become "d".
  auto raw = sm_.text(s.span);
  for (std::size_t i = 1; i + 2 < raw.size(); ++i) {
    if (raw[i] != '\\') continue;
    char c = raw[i + 1];
    if (c != '\\' && c != '"' && c != 'n' && c != 't') {
      sink_
          .error(Code::E0313, Span{s.span.file, s.span.begin + static_cast<std::uint32_t>(i), s.span.begin + static_cast<std::uint32_t>(i + 2)},
                 fmt::format("in a Fence string `\\{}` stands for `{}`, so this {} would lose its backslash", c, c, what))
          .hint(fmt::format("write `\\\\{}` to give the regular expression `\\{}`", c, c));
      return false;
    }
    ++i;
  }
  auto problem = net::check_go_regex(s.value);
  if (!problem) return true;
  sink_
      .error(Code::E0313, string_part(sm_, s, problem->offset, problem->offset + problem->length),
             fmt::format("this {} is not a regular expression Cilium accepts: {}", what, problem->message))
      .hint("HTTP paths and hosts are Go regular expressions (RE2 syntax), matched against the whole value");
  return false;
}

std::optional<ir::HttpRule> Resolver::http_rule(const ast::HttpRule& h) {
  ir::HttpRule r;
  bool ok = true;
  r.method = h.method.text == "ANY" ? std::string() : h.method.text;
  if (h.path) {
    r.path = h.path->value;
    ok = regex_ok(*h.path, "path") && ok;
  }
  if (h.host) {
    r.host = h.host->value;
    ok = regex_ok(*h.host, "host") && ok;
  }
  for (const auto& hd : h.headers) {
    auto parsed = net::parse_http_header(hd.value);
    if (!parsed.header) {
      sink_
          .error(Code::E0313, string_part(sm_, hd, parsed.offset, parsed.offset + parsed.length),
                 fmt::format("\"{}\" is not a header condition: {}", hd.value, parsed.error))
          .hint("write \"Name: value\" for a header with exactly that value, or \"Name\" for a header that must be present");
      ok = false;
      continue;
    }
    r.headers.push_back(parsed.header->str());
  }
  r.span = h.span;
  if (!ok) return std::nullopt;
  return r;
}

std::optional<RValue> Resolver::target(const ast::Target& t, const Lexical& lex, const UseSite& use) {
  if (!t.peer) return std::nullopt;
  auto v = expr(*t.peer, lex, use);
  // Ports are checked even when the peer failed, so that one pass reports both.
  std::optional<std::vector<net::Port>> ps;
  std::vector<Span> port_spans;
  if (t.has_ports) ps = ports(t.ports, port_spans);
  if (!v || (t.has_ports && !ps)) return std::nullopt;
  if (t.has_ports) {
    for (auto& rt : *v) {
      if (rt.has_ports) {
        std::vector<std::string> had;
        for (const auto& p : rt.ports) had.push_back(p.str());
        diag().error(Code::E0208, t.ports_span, fmt::format("this already has ports ({}), so it cannot take more", fmt::join(had, ", ")))
            .note(rt.span, "its ports are given here");
        return std::nullopt;
      }
      rt.has_ports = true;
      rt.ports = *ps;
      rt.port_spans = port_spans;
    }
  }
  if (!t.http.empty()) {
    std::vector<ir::HttpRule> rules;
    bool rules_ok = true;
    for (const auto& h : t.http) {
      auto r = http_rule(h);
      rules_ok = rules_ok && r.has_value();
      if (r) rules.push_back(std::move(*r));
    }
    if (!rules_ok) return std::nullopt;
    for (auto& rt : *v) {
      if (!rt.http.empty()) {
        diag().error(Code::E0208, t.http.front().span, "this already has HTTP rules, so it cannot take more")
            .note(rt.span, "its rules are given here");
        return std::nullopt;
      }
      rt.http = rules;
    }
  }
  for (auto& rt : *v) {
    if (t.has_ports || !t.http.empty() || !rt.span.valid()) rt.span = t.span;
  }
  return v;
}

std::optional<RValue> Resolver::target_list(const std::vector<ast::Target>& targets, const Lexical& lex, const UseSite& use) {
  RValue out;
  bool ok = true;
  for (const auto& t : targets) {
    auto v = target(t, lex, use);
    if (!v) {
      ok = false;
      continue;
    }
    for (auto& rt : *v) out.push_back(std::move(rt));
  }
  if (!ok) return std::nullopt;
  return out;
}

// =============================================================================================
// Statements

std::string Resolver::label_key_for(const SetTable& sets, const std::string& inherited) {
  auto it = sets.find("label-key");
  if (it == sets.end()) return inherited;
  const auto* s = pick_set(it->second, Span{});
  if (s == nullptr) return inherited;
  if (!s->value.string) {
    diag().error(Code::E0314, s->value.span, "label-key is a label key in quotes, e.g. set label-key = \"app.kubernetes.io/name\"");
    return inherited;
  }
  auto why = net::check_label_key(s->value.string->value);
  if (!why.empty()) {
    diag().error(Code::E0301, s->value.string->span, fmt::format("'{}' is not a valid label key: {}", s->value.string->value, why));
    return inherited;
  }
  return s->value.string->value;
}

void Resolver::settings() {
  for (std::size_t f = 0; f < prog_.files.size(); ++f) {
    if (auto it = file_sets_[f].find("inventory"); it != file_sets_[f].end()) {
      const auto* s = pick_set(it->second, Span{});
      if (s != nullptr && (!s->value.string || s->value.string->value.empty())) {
        sink_.error(Code::E0314, s->value.span, "inventory is a path in quotes, to a file or a directory of manifests, e.g. set inventory = \"deploy/\"");
      } else if (s != nullptr) {
        // Relative to the file that names it, as imports are.
        fs::path written(s->value.string->value);
        auto base = fs::path(prog_.files[f].disk_path).parent_path();
        auto path = written.is_absolute() || prog_.files[f].disk_path.empty() || prog_.files[f].disk_path[0] == '<' ? written : base / written;
        out_.inventory.push_back(ir::InventorySource{path.lexically_normal().string(), s->value.string->span});
      }
    }
    for (const char* name : {"pod-cidrs", "service-cidrs"}) {
      auto it = file_sets_[f].find(name);
      if (it == file_sets_[f].end()) continue;
      const auto* s = pick_set(it->second, Span{});
      if (s == nullptr) continue;
      if (s->value.string) {
        diag().error(Code::E0314, s->value.span, fmt::format("{} is a list of CIDRs, e.g. set {} = 10.244.0.0/16", name, name));
        continue;
      }
      UseSite use;
      use.top_level = true;
      auto v = target_list(s->value.targets, Lexical{f, nullptr}, use);
      if (!v) continue;
      auto& dest = std::string_view(name) == "pod-cidrs" ? out_.pod_cidrs : out_.service_cidrs;
      for (const auto& t : *v) {
        for (const auto& p : t.peers) {
          if (p.kind != ir::Peer::Kind::Cidr || t.has_ports || !p.cidr.except.empty()) {
            diag().error(Code::E0314, t.span, fmt::format("{} takes plain CIDRs, without ports or except", name));
            continue;
          }
          dest.push_back(p.cidr.cidr);
        }
      }
    }
  }
  for (auto* v : {&out_.pod_cidrs, &out_.service_cidrs}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
}

void Resolver::default_deny(const ast::DefaultDeny& d, const Context& ctx) {
  ir::DefaultDeny dd;
  dd.scope = ctx.use.scope;
  dd.egress = d.direction != ast::Direction::Ingress;
  dd.ingress = d.direction != ast::Direction::Egress;
  dd.span = d.span;
  if (d.subjects.empty()) {
    out_.default_denies.push_back(dd);
    return;
  }
  // `default deny ingress for web, db`: one default deny per subject.
  auto subs = subjects(d.subjects, ctx);
  if (!subs) return;
  for (const auto& subj : *subs) {
    ir::DefaultDeny one = dd;
    one.subject = subj.ep;
    one.subject_span = subj.span;
    out_.default_denies.push_back(std::move(one));
  }
}

std::optional<std::vector<Resolver::Subject>> Resolver::subjects(const std::vector<ast::Ref>& refs, const Context& ctx) {
  std::vector<Subject> out;
  bool ok = true;
  for (const auto& ref : refs) {
    ast::Expr e;
    e.kind = ast::Expr::Kind::Ref;
    e.ref = ref;  // shallow: Ref holds no owning pointers
    e.span = ref.span;
    auto v = expr(e, ctx.lex, ctx.use);
    if (!v) {
      ok = false;
      continue;
    }
    for (const auto& t : *v) {
      if (t.has_ports || !t.http.empty()) {
        diag().error(Code::E0205, ref.span, "a statement's subject is pods, without ports: ports belong to what it reaches")
            .hint("write `SUBJECT may reach TARGET:PORT`, or for ingress `SUBJECT may be reached by SOURCE:PORT`");
        ok = false;
        continue;
      }
      for (const auto& p : t.peers) {
        if (p.kind != ir::Peer::Kind::Endpoint) {
          diag().error(Code::E0205, ref.span, fmt::format("a statement's subject must be pods, but this is {}", p.str()))
              .hint(p.kind == ir::Peer::Kind::Any ? "`anything` is a peer: write it after `may reach` or `may be reached by`"
                                                  : "to describe traffic from outside the cluster, make it the target: `SUBJECT may be reached by ADDRESS`");
          ok = false;
          continue;
        }
        const auto& ep = p.endpoint;
        if (ctx.in_namespace && !(ep.ns.kind == ir::NamespaceSel::Kind::Named && ep.ns.name == ctx.use.scope.ns)) {
          diag().error(Code::E0211, ref.span, fmt::format("the subject must be pods of namespace '{}', but this is {}", ctx.use.scope.ns, ep.str()))
              .hint(ep.ns.kind == ir::NamespaceSel::Kind::Named ? fmt::format("move the statement into `namespace {} {{ ... }}`", ep.ns.name)
                                                                : std::string("cluster-wide subjects belong in `cluster { ... }`"));
          ok = false;
          continue;
        }
        if (!ctx.in_namespace && !ctx.in_cluster && ep.ns.kind != ir::NamespaceSel::Kind::Named) {
          diag().error(Code::E0211, ref.span, fmt::format("a statement outside a block needs a subject in one namespace, but this is {}", ep.str()))
              .hint("cluster-wide subjects belong in `cluster { ... }`");
          ok = false;
          continue;
        }
        out.push_back(Subject{ep, ref.span});
      }
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

void Resolver::statement(const ast::Statement& s, const Context& ctx) {
  // Subjects first: they fix the namespace of a top-level statement.
  auto subs = subjects(s.subjects, ctx);
  if (!subs) return;

  bool egress = s.verb == ast::Verb::MayReach || s.verb == ast::Verb::MustNotReach || s.verb == ast::Verb::MaySendTo || s.verb == ast::Verb::DeferReach;
  bool defer = s.verb == ast::Verb::DeferReach || s.verb == ast::Verb::DeferBeReachedBy;
  bool allow = s.verb != ast::Verb::MustNotReach && s.verb != ast::Verb::MustNotBeReachedBy && !defer;
  bool one_sided = s.verb == ast::Verb::MaySendTo || s.verb == ast::Verb::MayReceiveFrom;
  bool tiered = ctx.tier_block >= 0;
  for (const auto& subj : *subs) {
    Context tctx = ctx;
    if (!ctx.in_namespace && !ctx.in_cluster) {
      // The targets' bare names belong to the subject's namespace, and read with its label key.
      tctx.use.scope = ir::Scope{false, subj.ep.ns.name};
      tctx.use.top_level = false;
      tctx.use.label_key = label_key_in(subj.ep.ns.name, ctx.use, Span{});
    }
    for (const auto& written : s.targets) {
      auto resolved = target(written, tctx.lex, tctx.use);
      if (!resolved) continue;
      for (auto& t : *resolved) {
        ir::Rule r;
        r.action = defer ? ir::Action::Pass : allow ? ir::Action::Allow : ir::Action::Deny;
        r.direction = egress ? ir::Direction::Egress : ir::Direction::Ingress;
        r.scope = tctx.use.scope;
        r.tier = ctx.tier;
        r.tier_block = ctx.tier_block;
        r.subject = subj.ep;
        r.subject_span = subj.span;
        for (auto& p : t.peers) {
          bool dup = std::any_of(r.peers.begin(), r.peers.end(), [&](const ir::Peer& q) { return q.same_as(p); });
          if (!dup) r.peers.push_back(std::move(p));
        }
        r.ports = std::move(t.ports);
        r.port_spans = std::move(t.port_spans);
        r.http = std::move(t.http);
        r.origin.statement = s.span;
        r.origin.target = written.span;
        r.origin.one_sided = one_sided;
        out_.rules.push_back(std::move(r));
        if (tiered && allow && !one_sided) add_implied_in_tier(out_.rules.back());
      }
    }
  }
}

// Rule 1 in a tier: an allow between pods opens the other side in the same tier block, right
// after the statement (first-match keeps the statement's place). Unlike rule 1 among namespace
// policies, it does not depend on default denies: a tier's allow must not be undone by the
// destination's own policies (admin) or by a later rule of the tier (baseline). A deny or a
// defer decides its subject's side only.
void Resolver::add_implied_in_tier(const ir::Rule& r) {
  std::vector<ir::Rule> implied;
  auto other = r.direction == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
  for (const auto& p : r.peers) {
    if (p.kind != ir::Peer::Kind::Endpoint) continue;
    ir::Rule m;
    m.action = ir::Action::Allow;
    m.direction = other;
    m.scope = r.scope;
    m.subject = p.endpoint;
    m.subject_span = p.span;
    ir::Peer back;
    back.kind = ir::Peer::Kind::Endpoint;
    back.endpoint = r.subject;
    back.span = r.subject_span;
    m.peers.push_back(std::move(back));
    m.ports = r.ports;
    m.port_spans = r.port_spans;
    m.http = r.http;
    m.origin = r.origin;
    m.origin.implied = true;
    m.tier = r.tier;
    m.tier_block = r.tier_block;
    implied.push_back(std::move(m));
  }
  for (auto& m : implied) out_.rules.push_back(std::move(m));
}

void Resolver::walk(const std::vector<ast::Item>& items, const Context& ctx, Place place) {
  for (const auto& item : items) {
    if (misplacement(item, place)) continue;  // reported by check_placement
    std::visit(
        [&](const auto& node) {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, ast::Statement>) {
            statement(node, ctx);
          } else if constexpr (std::is_same_v<T, ast::DefaultDeny>) {
            default_deny(node, ctx);
          } else if constexpr (std::is_same_v<T, ast::Block>) {
            if (node.kind == ast::Block::Kind::When) {
              bool names_ok = check_env_names(node.envs);
              if (!check_target_names(node.targets) || !names_ok) return;
              if (!block_matches(node)) return;
              walk(node.items, ctx, place == Place::TopLevel ? Place::TopWhen : Place::BlockWhen);
              return;
            }
            Context inner = ctx;
            inner.lex.block = &block_lets_[&node];
            inner.use.top_level = false;
            if (node.kind == ast::Block::Kind::Tier) {
              // Cluster-wide, like a cluster block; its rules carry the tier and the block.
              inner.use.scope = ir::Scope{true, {}};
              inner.in_cluster = true;
              inner.use.label_key = label_key_for(block_sets_[&node], ctx.use.label_key);
              ir::TierBlock tb;
              tb.tier = node.tier == ast::Tier::Admin ? ir::Tier::Admin : ir::Tier::Baseline;
              tb.priority = std::max(0, node.priority_value);  // missing or out of range: reported by the parser
              tb.span = node.header_span;
              tb.priority_span = node.priority.span;
              inner.tier = tb.tier;
              inner.tier_block = static_cast<int>(out_.tier_blocks.size());
              out_.tier_blocks.push_back(tb);
              bool outer_tier = in_tier_;
              in_tier_ = true;
              walk(node.items, inner, Place::Block);
              in_tier_ = outer_tier;
              return;
            }
            if (node.kind == ast::Block::Kind::Namespace) {
              auto name = namespace_name(node.name, ctx.lex);
              if (!name) return;
              inner.use.scope = ir::Scope{false, *name};
              inner.in_namespace = true;
              namespaces_.insert(*name);
              out_.namespace_spans.emplace(*name, node.name.span);
            } else {
              inner.use.scope = ir::Scope{true, {}};
              inner.in_cluster = true;
            }
            inner.use.label_key = label_key_for(block_sets_[&node], ctx.use.label_key);
            walk(node.items, inner, Place::Block);
          }
        },
        item.node);
  }
}

// Rule 1 of the meaning: a connection between pods opens both sides. The other side is added
// only where that side's pods are denied traffic by default; elsewhere it is open already, and a
// policy would isolate the pods by accident. A default deny `for` some pods opens the other side
// of those pods only: the implied rule's subject is the destination and the isolated pods both.
// `may send to` and `may receive from` state one side only, and `anything` names no pods.
void Resolver::add_implied() {
  std::vector<ir::Rule> implied;
  std::vector<std::string> denying_ingress, denying_egress;
  for (const auto& ns : namespaces_) {
    if (out_.namespace_denies(ns, ir::Direction::Ingress)) denying_ingress.push_back(ns);
    if (out_.namespace_denies(ns, ir::Direction::Egress)) denying_egress.push_back(ns);
  }
  // Looked up once per peer below: a set, not a scan of every default deny.
  std::set<std::string> deny_ingress_set(denying_ingress.begin(), denying_ingress.end());
  std::set<std::string> deny_egress_set(denying_egress.begin(), denying_egress.end());
  bool cluster_ingress = out_.denies(ir::Scope{true, {}}, ir::Direction::Ingress);
  bool cluster_egress = out_.denies(ir::Scope{true, {}}, ir::Direction::Egress);
  // Default denies for some pods, by direction: namespace-scoped ones by namespace, and the
  // cluster-wide ones.
  std::map<std::pair<std::string, ir::Direction>, std::vector<const ir::DefaultDeny*>> partial;
  std::map<ir::Direction, std::vector<const ir::DefaultDeny*>> partial_cluster;
  for (const auto& dd : out_.default_denies) {
    if (dd.whole()) continue;
    for (auto d : {ir::Direction::Egress, ir::Direction::Ingress}) {
      if (!dd.covers(d)) continue;
      if (dd.scope.cluster) {
        partial_cluster[d].push_back(&dd);
      } else {
        partial[{dd.scope.ns, d}].push_back(&dd);
      }
    }
  }
  for (const auto& r : out_.rules) {
    if (r.action != ir::Action::Allow || r.origin.one_sided) continue;
    if (r.tier != ir::Tier::Namespace) continue;  // a tier's rules imply theirs in the tier (add_implied_in_tier)
    auto other = r.direction == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
    const auto& denying = other == ir::Direction::Ingress ? denying_ingress : denying_egress;
    bool cluster_denies = other == ir::Direction::Ingress ? cluster_ingress : cluster_egress;
    for (const auto& p : r.peers) {
      if (p.kind != ir::Peer::Kind::Endpoint) continue;
      ir::Peer back;
      back.kind = ir::Peer::Kind::Endpoint;
      back.endpoint = r.subject;
      back.span = r.subject_span;
      std::vector<ir::Endpoint> made;  // per scope, so that two denies do not make one rule twice
      auto make = [&](const ir::Scope& scope, ir::Endpoint subject) {
        ir::Rule m;
        m.action = ir::Action::Allow;
        m.direction = other;
        m.scope = scope;
        m.subject = std::move(subject);
        m.subject_span = p.span;
        m.peers.push_back(back);
        m.ports = r.ports;
        m.port_spans = r.port_spans;
        m.http = r.http;
        m.origin = r.origin;
        m.origin.implied = true;
        implied.push_back(std::move(m));
      };
      // The pods of `dest` (in namespace scope `scope`) that the default denies `for` some pods
      // isolate: one rule per deny whose pods may be among them.
      auto make_partial = [&](const ir::Scope& scope, const ir::Endpoint& dest, const std::vector<const ir::DefaultDeny*>& denies) {
        made.clear();
        for (const auto* dd : denies) {
          const auto& iso = *dd->subject;
          if (!ir::overlaps(iso, dest)) continue;
          ir::Endpoint subject = dest;
          if (!ir::contains(iso, dest)) {
            if (iso.ns.kind == ir::NamespaceSel::Kind::Selector && !ir::contains(iso, ir::Endpoint{dest.ns, {}})) {
              diag()
                  .warning(Code::W0214, r.origin.target,
                           fmt::format("Fence cannot tell whether {} selects namespace {}, so it opened no {} side there for this connection",
                                       iso.ns.str(), dest.ns.str(), ir::direction_name(other)))
                  .note(dd->span, "the default deny is here")
                  .hint(fmt::format("state the {} side there with `{}`", ir::direction_name(other),
                                    other == ir::Direction::Ingress ? "may be reached by" : "may reach"));
              continue;
            }
            for (const auto& req : iso.pods.reqs) subject.pods.add(req);
          }
          if (std::find(made.begin(), made.end(), subject) != made.end()) continue;
          made.push_back(subject);
          make(scope, subject);
        }
      };
      auto partial_for = [&](const std::string& ns) -> const std::vector<const ir::DefaultDeny*>& {
        static const std::vector<const ir::DefaultDeny*> none;
        auto it = partial.find({ns, other});
        return it == partial.end() ? none : it->second;
      };
      const auto& cluster_partial = partial_cluster[other];
      switch (p.endpoint.ns.kind) {
        case ir::NamespaceSel::Kind::Named: {
          const auto& ns = p.endpoint.ns.name;
          if (cluster_denies || (other == ir::Direction::Ingress ? deny_ingress_set : deny_egress_set).count(ns)) {
            make(ir::Scope{false, ns}, p.endpoint);
          } else {
            make_partial(ir::Scope{false, ns}, p.endpoint, partial_for(ns));
            make_partial(ir::Scope{true, {}}, p.endpoint, cluster_partial);
          }
          break;
        }
        case ir::NamespaceSel::Kind::Any: {
          if (cluster_denies) {
            make(ir::Scope{true, {}}, p.endpoint);
          } else {
            for (const auto& ns : denying)
              make(ir::Scope{false, ns}, ir::Endpoint{ir::NamespaceSel{ir::NamespaceSel::Kind::Named, ns, {}}, p.endpoint.pods});
            for (const auto& [key, denies] : partial) {
              if (key.second != other || std::binary_search(denying.begin(), denying.end(), key.first)) continue;
              make_partial(ir::Scope{false, key.first}, ir::Endpoint{ir::NamespaceSel{ir::NamespaceSel::Kind::Named, key.first, {}}, p.endpoint.pods},
                           denies);
            }
            make_partial(ir::Scope{true, {}}, p.endpoint, cluster_partial);
          }
          // Every pod of every namespace, where that cannot be what is meant: next to every
          // address (a peer anywhere, which `anything` says on this side only), or from every pod
          // of a namespace that denies this direction (whose pods it opens to each other).
          bool anywhere = std::any_of(r.peers.begin(), r.peers.end(), [](const ir::Peer& q) { return q.kind == ir::Peer::Kind::Cidr && q.cidr.cidr.prefix == 0; });
          bool own = r.subject.pods.selects_all() && r.subject.ns.kind == ir::NamespaceSel::Kind::Named &&
                     (cluster_denies || std::binary_search(denying.begin(), denying.end(), r.subject.ns.name));
          if (p.endpoint.pods.selects_all() && (anywhere || own) && (cluster_denies || !denying.empty())) {
            std::string which = "every namespace (cluster-wide)";
            if (!cluster_denies) {
              constexpr std::size_t kShown = 5;
              std::vector<std::string> shown(denying.begin(), denying.begin() + static_cast<std::ptrdiff_t>(std::min(kShown, denying.size())));
              which = fmt::format("{}", fmt::join(shown, ", "));
              if (denying.size() > kShown) which += fmt::format(" and {} more", denying.size() - kShown);
            }
            bool to = other == ir::Direction::Ingress;
            diag()
                .warning(Code::W0621, r.origin.target,
                         fmt::format("`all namespaces` opens the {} side of every pod in the namespaces that deny {} by default ({}) to {}{}",
                                     ir::direction_name(other), ir::direction_name(other), which, r.subject.str(),
                                     own ? ", so that namespace's pods may reach each other here" : ""))
                .hint(fmt::format("for any peer on these ports, this side only, write `anything`; to state this side alone, write `{}`; to "
                                  "open those namespaces, keep it and silence this warning with `# fence:allow W0621`",
                                  to ? "may send to" : "may receive from"));
          }
          break;
        }
        case ir::NamespaceSel::Kind::Selector: {
          bool partial_somewhere = !cluster_partial.empty() ||
                                   std::any_of(partial.begin(), partial.end(), [&](const auto& kv) { return kv.first.second == other; });
          if (!denying.empty() || cluster_denies || partial_somewhere) {
            auto& d = diag().warning(Code::W0214, r.origin.target,
                                     fmt::format("Fence cannot tell which namespaces {} selects, so it opened no {} side for this connection",
                                                 p.endpoint.ns.str(), ir::direction_name(other)));
            std::string which = "all (cluster-wide)";
            if (!cluster_denies) {
              constexpr std::size_t kShown = 5;
              std::vector<std::string> shown(denying.begin(), denying.begin() + static_cast<std::ptrdiff_t>(std::min(kShown, denying.size())));
              which = shown.empty() ? std::string("none for every pod, but some deny it for some pods") : fmt::format("{}", fmt::join(shown, ", "));
              if (denying.size() > kShown) which += fmt::format(" and {} more", denying.size() - kShown);
            }
            d.note(Span{}, fmt::format("namespaces that deny {} by default: {}", ir::direction_name(other), which));
            d.hint(fmt::format("if the peer lives in one of them, state the {} side there with `{}`", ir::direction_name(other),
                               other == ir::Direction::Ingress ? "may be reached by" : "may reach"));
          }
          break;
        }
      }
    }
  }
  out_.rules.reserve(out_.rules.size() + implied.size());
  for (auto& m : implied) out_.rules.push_back(std::move(m));
}

// The label key each namespace's blocks read workload names with, before any statement is
// resolved: a name in namespace x written elsewhere (`x/db`) is read with x's key.
void Resolver::collect_namespace_keys(const std::vector<ast::Item>& items, const Lexical& lex, const std::string& inherited) {
  for (const auto& item : items) {
    const auto* b = std::get_if<ast::Block>(&item.node);
    if (b == nullptr) continue;
    if (b->kind == ast::Block::Kind::When) {
      if (block_matches(*b)) collect_namespace_keys(b->items, lex, inherited);
      continue;
    }
    if (b->kind != ast::Block::Kind::Namespace) continue;
    auto name = namespace_name(b->name, lex);
    if (!name) continue;
    auto key = label_key_for(block_sets_[b], inherited);
    auto& keys = namespace_keys_[*name];
    if (std::none_of(keys.begin(), keys.end(), [&](const BlockKey& k) { return k.key == key; })) keys.push_back(BlockKey{key, b->header_span});
  }
}

std::string Resolver::label_key_in(const std::string& ns, const UseSite& use, Span at) {
  auto it = namespace_keys_.find(ns);
  if (it == namespace_keys_.end()) return use.label_key;  // no block: the writer's key
  const auto& keys = it->second;
  if (keys.size() == 1) return keys.front().key;
  // The namespace's blocks disagree. Inside one of them, its own key holds.
  bool own_block = !use.scope.cluster && !use.top_level && use.scope.ns == ns;
  if (own_block || !at.valid()) return use.label_key;
  auto& d = diag().warning(Code::W0622, at,
                           fmt::format("namespace {} reads workload names with several label keys, so this name is read with the key where it "
                                       "is written, '{}'",
                                       ns, use.label_key));
  for (const auto& k : keys) d.note(k.block, fmt::format("this block of {} reads them with '{}'", ns, k.key));
  d.hint(fmt::format("write the label you mean: {}/pods[KEY={}]", ns, sm_.text(at).substr(sm_.text(at).find('/') + 1)));
  return use.label_key;
}

ir::Program Resolver::run() {
  collect_environments();
  collect_targets();
  for (const auto& f : prog_.files) check_placement(f.ast.items, Place::TopLevel);
  out_.environment = opt_.environment;
  build_tables();
  settings();
  // Files in path order, so that the output does not depend on the order of the arguments.
  std::vector<std::size_t> order(prog_.files.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return sm_.file(prog_.files[a].id).path < sm_.file(prog_.files[b].id).path; });
  // A first, quiet pass: the label key of each namespace's blocks (the real pass reports errors).
  quiet_ = true;
  for (auto f : order) collect_namespace_keys(prog_.files[f].ast.items, Lexical{f, nullptr}, label_key_for(file_sets_[f], kDefaultLabelKey));
  quiet_ = false;
  for (auto f : order) {
    Context ctx;
    ctx.lex = Lexical{f, nullptr};
    ctx.use.top_level = true;
    ctx.use.label_key = label_key_for(file_sets_[f], kDefaultLabelKey);
    walk(prog_.files[f].ast.items, ctx, Place::TopLevel);
  }
  out_.namespaces.assign(namespaces_.begin(), namespaces_.end());
  add_implied();
  return std::move(out_);
}

}  // namespace

const std::vector<std::string>& known_entities() {
  static const std::vector<std::string> e = {"all",  "cluster",     "health",    "host",  "ingress",    "init",      "kube-apiserver",
                                             "none", "remote-node", "unmanaged", "world", "world-ipv4", "world-ipv6"};
  return e;
}

ir::Program resolve(const LoadedProgram& program, const SourceManager& sm, const ResolveOptions& options, DiagnosticSink& sink) {
  Resolver r(program, sm, options, sink);
  return r.run();
}

const std::vector<std::string>& known_targets() {
  // cnp: ClusterNetworkPolicy (v1alpha2) with NetworkPolicy; calico: Calico's policies, with tiers.
  static const std::vector<std::string> t = {"k8s", "cilium", "cnp", "calico"};
  return t;
}

std::vector<std::string> declared_targets(const LoadedProgram& program) {
  for (const auto& f : program.files) {
    for (const auto& item : f.ast.items) {
      if (const auto* t = std::get_if<ast::Targets>(&item.node)) {
        std::vector<std::string> out;
        for (const auto& n : t->names) {
          bool known = std::find(known_targets().begin(), known_targets().end(), n.text) != known_targets().end();
          if (known && std::find(out.begin(), out.end(), n.text) == out.end()) out.push_back(n.text);
        }
        return out;
      }
    }
  }
  return {};
}

namespace {
bool items_per_target(const std::vector<ast::Item>& items) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node); l && !l->targets.empty()) return true;
    if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      if (!b->targets.empty() || items_per_target(b->items)) return true;
    }
  }
  return false;
}

// The targets that the `for` clauses of some items name.
void named_targets(const std::vector<ast::Item>& items, std::set<std::string>& out) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node)) {
      for (const auto& t : l->targets) out.insert(t.text);
    }
    if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      for (const auto& t : b->targets) out.insert(t.text);
      named_targets(b->items, out);
    }
  }
}
}  // namespace

bool uses_per_target(const LoadedProgram& program) {
  return std::any_of(program.files.begin(), program.files.end(), [](const LoadedFile& f) { return items_per_target(f.ast.items); });
}

std::vector<std::string> program_targets(const LoadedProgram& program) {
  auto declared = declared_targets(program);
  if (!declared.empty()) return declared;
  for (const auto& f : program.files) {
    for (const auto& item : f.ast.items) {
      if (std::holds_alternative<ast::Targets>(item.node)) return {};  // declared, all unknown: reported as E0230
    }
  }
  if (!uses_per_target(program)) return {};
  // Without a `targets` line, a program that says what differs per target builds for k8s and
  // cilium (as it did before cnp and calico existed) and for any other target its `for` clauses
  // name: a tier target is built only where the program names it.
  std::set<std::string> named = {"k8s", "cilium"};
  for (const auto& f : program.files) named_targets(f.ast.items, named);
  std::vector<std::string> out;
  for (const auto& t : known_targets()) {
    if (named.count(t) != 0) out.push_back(t);
  }
  return out;
}

std::vector<std::string> declared_environments(const LoadedProgram& program) {
  for (const auto& f : program.files) {
    for (const auto& item : f.ast.items) {
      if (const auto* e = std::get_if<ast::Environments>(&item.node)) {
        std::vector<std::string> out;
        for (const auto& n : e->names) {
          if (std::find(out.begin(), out.end(), n.text) == out.end()) out.push_back(n.text);
        }
        return out;
      }
    }
  }
  return {};
}

}  // namespace fence::sema
