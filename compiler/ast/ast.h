// The AST: what the user wrote, with a span on every node. The formatter, the language server
// and the resolver read it; nothing here knows about ANTLR or about any target.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "diag/source.h"

namespace fence::ast {

struct Name {
  std::string text;
  Span span;
};

// A string literal: `value` is unescaped, `span` covers the quotes.
struct StringLit {
  std::string value;
  Span span;
};

// ---- label selectors (kubectl syntax) ----
enum class SelOp { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };

struct SelRequirement {
  Name key;
  SelOp op = SelOp::Exists;
  std::vector<Name> values;
  Span span;
};

struct Selector {
  std::vector<SelRequirement> reqs;
  Span span;
};

// ---- references to pods ----
struct NsRef {
  enum class Kind { Name, Selector, All } kind = Kind::Name;
  Name name;          // Kind::Name
  Selector selector;  // Kind::Selector
  Span span;
};

struct PodRef {
  enum class Kind { Name, Selector, All } kind = Kind::Name;
  Name name;
  Selector selector;
  Span span;
};

// `web-api`, `pods[...]`, `all pods`, `monitoring/prometheus`, `ns[team=obs]`, `all namespaces`.
// A bare name may also name a `let`; the resolver decides.
struct Ref {
  std::optional<NsRef> ns;
  std::optional<PodRef> pod;  // absent: every pod of the namespaces
  Span span;

  bool is_bare_name() const { return !ns && pod && pod->kind == PodRef::Kind::Name; }
};

// ---- ports and L7 ----
struct PortItem {
  enum class Kind { Number, Range, Named, Any } kind = Kind::Number;
  Name first;  // the number's text, the range's start, or the port name
  Name last;   // Range only
  std::optional<Name> protocol;
  Span span;
};

struct HttpRule {
  Name method;  // GET, POST, ..., ANY
  std::optional<StringLit> path;
  std::optional<StringLit> host;
  std::vector<StringLit> headers;
  Span span;
};

// An owning pointer that copies what it points to, so that the AST is a value: the language
// server keeps parsed pieces of a file and hands out copies.
template <typename T>
class Box {
 public:
  Box() = default;
  Box(std::unique_ptr<T> p) : p_(std::move(p)) {}  // NOLINT(google-explicit-constructor)
  Box(const Box& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  Box& operator=(std::unique_ptr<T> p) {
    p_ = std::move(p);
    return *this;
  }
  ~Box() = default;

  T* get() const { return p_.get(); }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  std::unique_ptr<T> p_;
};

// ---- peers and targets ----
struct Target;

struct Expr {
  // Anything: every peer (pods of every namespace, every address), written `anything`.
  enum class Kind { Cidr, DnsName, Entity, Ref, Group, Except, Anything } kind = Kind::Ref;
  Name text;                  // Cidr, DnsName, Entity: as written
  Ref ref;                    // Ref
  std::vector<Target> items;  // Group
  Box<Expr> lhs;              // Except: base
  Box<Expr> rhs;              // Except: what is taken out
  Span span;
};

struct Target {
  Box<Expr> peer;
  bool has_ports = false;
  std::vector<PortItem> ports;
  Span ports_span;
  std::vector<HttpRule> http;
  Span span;
};

// ---- items ----
struct Import {
  bool is_path = false;  // import "file.fence" vs import std
  std::string target;    // module name or unescaped path
  Span target_span;
  Span span;
};

struct Environments {
  std::vector<Name> names;
  Span span;
};

// `targets k8s, cilium`: the targets the program builds for.
struct Targets {
  std::vector<Name> names;
  Span span;
};

struct Value {
  std::optional<StringLit> string;  // `let x = "text"`
  std::vector<Target> targets;      // otherwise
  Span span;
};

struct Let {
  Name name;
  std::vector<Name> envs;  // `let x in dev, staging = ...`; empty: the default value
  std::vector<Name> targets;  // `let x for cilium = ...`; empty: the value for every target
  Value value;
  Span span;
  // The definition has a syntax error (reported), so it has no value: a use of the name reports
  // nothing more, rather than taking it for a workload's name or a missing definition.
  bool poisoned = false;
};

struct Set {
  Name name;
  std::vector<Name> envs;
  Value value;
  Span span;
};

enum class Direction { Egress, Ingress, All };

struct DefaultDeny {
  Direction direction = Direction::Egress;
  std::vector<Ref> subjects;  // `default deny ingress for web, db`; empty: every pod of the namespace
  Span span;
};

// MaySendTo and MayReceiveFrom state one side of a connection only: the subject's egress, or its
// ingress, without the other side that `may reach` and `may be reached by` open.
// DeferReach and DeferBeReachedBy (`defer reach`, `defer be reached by`) belong in tier blocks
// only: they leave the connection to the next tier (ClusterNetworkPolicy's Pass).
enum class Verb { MayReach, MayBeReachedBy, MustNotReach, MustNotBeReachedBy, MaySendTo, MayReceiveFrom, DeferReach, DeferBeReachedBy };

struct Statement {
  std::vector<Ref> subjects;
  Verb verb = Verb::MayReach;
  Span verb_span;
  std::vector<Target> targets;
  Span span;
};

struct Item;

// Tier: `admin priority N { ... }` or `baseline priority N { ... }`, cluster-wide rules evaluated
// before (admin) or after (baseline) the namespaces' own policies.
enum class Tier { Admin, Baseline };

struct Block {
  enum class Kind { Namespace, Cluster, When, Tier } kind = Kind::Namespace;
  Name name;               // Namespace
  Tier tier = Tier::Admin;  // Tier
  Name priority;            // Tier: the number as written (empty text when missing, reported)
  int priority_value = -1;  // Tier: 0-1000, or -1 when missing or out of range (reported)
  // When: `when prod { ... }` has envs, `for cilium { ... }` targets, `when prod for k8s { ... }`
  // both; an empty list holds in every environment (target).
  std::vector<Name> envs;
  std::vector<Name> targets;
  std::vector<Item> items;
  Span header_span;  // `namespace production` / `when prod` / `for cilium` / `when prod for k8s` / `admin priority 10`
  Span span;
};

struct Item {
  std::variant<Import, Environments, Targets, Let, Set, DefaultDeny, Statement, Block> node;
  Span span() const;
};

struct Comment {
  std::string text;  // including '#'
  Span span;
};

struct File {
  FileId id = kNoFile;
  std::vector<Item> items;
  std::vector<Comment> comments;  // for the formatter and `# fence:allow`
};

std::string_view verb_text(Verb v);

// Moves every span of an item or a comment by `delta` bytes, for the parse of a piece of a file
// that moved (the language server re-uses those). Spans that mark a missing piece ({file, 0, 0})
// stay. A new span in any node above must be shifted here too.
void shift(Item& item, std::int64_t delta);
void shift(Comment& comment, std::int64_t delta);

}  // namespace fence::ast
