// The imported program as idiomatic Fence. The input's rules are one-sided; here each becomes a
// statement that means exactly the same once Fence's rules of meaning apply:
//   - an egress rule and the ingress rule that answers it become one `may reach` where the
//     destination's namespace denies ingress by default (so that Fence implies exactly that
//     ingress rule), and likewise `may be reached by` where the source's namespace denies egress;
//   - a rule for which Fence would imply another side that the input does not have is written
//     one-sided (`may send to`, `may receive from`); elsewhere `may reach` and `may be reached
//     by` imply nothing and read best.
// The text is laid out as docs/language.md's examples are (two-space indent, one statement per
// line, a comment line naming the objects above each statement); `render` is the one place that
// turns the structure into text.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "format/format.h"
#include "import/import.h"
#include "ir/deny.h"
#include "syntax/parser.h"

namespace fence::import {

namespace {

enum class Verb { Reach, ReachedBy, SendTo, ReceiveFrom, MustNotReach, MustNotBeReachedBy, Unset };

std::string_view verb_text(Verb v) {
  switch (v) {
    case Verb::Reach:
      return "may reach";
    case Verb::ReachedBy:
      return "may be reached by";
    case Verb::SendTo:
      return "may send to";
    case Verb::ReceiveFrom:
      return "may receive from";
    case Verb::MustNotReach:
      return "must not reach";
    case Verb::MustNotBeReachedBy:
      return "must not be reached by";
    case Verb::Unset:
      break;
  }
  return "";
}

ir::Direction opposite(ir::Direction d) {
  return d == ir::Direction::Egress ? ir::Direction::Ingress : ir::Direction::Egress;
}

// A word Fence reads as a plain name (not a keyword, a number or a DNS name).
bool plain_name(const std::string& s) {
  if (s.empty()) return false;
  auto toks = syntax::tokenize(s);
  return toks.size() == 1 && toks[0].kind == syntax::TokenKind::Name && toks[0].begin == 0 && toks[0].end == s.size();
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A label value as the selector syntax takes it.
std::string selector_word(const std::string& v) {
  bool bare = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '/' || c == '-';
  });
  return bare ? v : quoted(v);
}

std::string selector_body(const net::LabelSelector& s) {
  std::vector<std::string> parts;
  for (const auto& r : s.reqs) {
    std::vector<std::string> values;
    for (const auto& v : r.values) values.push_back(selector_word(v));
    switch (r.op) {
      case net::SelOp::Equals:
        parts.push_back(fmt::format("{}={}", r.key, values.at(0)));
        break;
      case net::SelOp::NotEquals:
        parts.push_back(fmt::format("{}!={}", r.key, values.at(0)));
        break;
      case net::SelOp::In:
        parts.push_back(fmt::format("{} in ({})", r.key, fmt::join(values, ", ")));
        break;
      case net::SelOp::NotIn:
        parts.push_back(fmt::format("{} notin ({})", r.key, fmt::join(values, ", ")));
        break;
      case net::SelOp::Exists:
        parts.push_back(r.key);
        break;
      case net::SelOp::DoesNotExist:
        parts.push_back("!" + r.key);
        break;
    }
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string port_text(const net::Port& p) {
  std::string v;
  switch (p.kind) {
    case net::Port::Kind::All:
      v = "*";
      break;
    case net::Port::Kind::Number:
      v = std::to_string(p.first);
      break;
    case net::Port::Kind::Range:
      v = fmt::format("{}-{}", p.first, p.last);
      break;
    case net::Port::Kind::Named:
      v = p.name;
      break;
  }
  if (p.protocol == net::Protocol::TCP) return v;
  std::string proto(net::protocol_name(p.protocol));
  for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v + "/" + proto;
}

std::string ports_text(const std::vector<net::Port>& ports) {
  if (ports.empty()) return {};
  std::vector<std::string> parts;
  for (const auto& p : ports) parts.push_back(port_text(p));
  if (parts.size() == 1) return ":" + parts[0];
  return fmt::format(":{{{}}}", fmt::join(parts, ", "));
}

std::string http_text(const std::vector<ir::HttpRule>& rules) {
  if (rules.empty()) return {};
  std::vector<std::string> parts;
  for (const auto& h : rules) {
    std::string s = h.method.empty() ? "ANY" : h.method;
    if (!h.path.empty()) s += " " + quoted(h.path);
    if (!h.host.empty()) s += " host " + quoted(h.host);
    for (const auto& x : h.headers) s += " header " + quoted(x);
    parts.push_back(s);
  }
  return fmt::format(" http {}", fmt::join(parts, ", "));
}

std::string cidr_text(const ir::CidrBlock& b) {
  if (b.except.empty()) return b.cidr.str();
  std::vector<std::string> ex;
  for (const auto& e : b.except) ex.push_back(e.str());
  if (ex.size() == 1) return fmt::format("{} except {}", b.cidr.str(), ex[0]);
  return fmt::format("{} except {{{}}}", b.cidr.str(), fmt::join(ex, ", "));
}

bool same_http(const std::vector<ir::HttpRule>& a, const std::vector<ir::HttpRule>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].same_as(b[i])) return false;
  }
  return true;
}

// ---- the output's structure ----

struct Target {
  std::vector<std::string> pods;   // rendered peers other than CIDRs
  std::vector<std::string> cidrs;  // rendered CIDR peers (a let may stand for them)
  std::vector<net::Port> ports;
  std::vector<ir::HttpRule> http;
};

struct Statement {
  std::string subject;
  Verb verb = Verb::Unset;
  std::vector<Target> targets;
  std::vector<std::size_t> sources;
  std::string peer;  // with statement_per_peer: the one peer
};

struct Block {
  bool cluster = false;
  std::string ns;
  std::string label_key = "app";
  std::vector<std::pair<std::string, std::vector<std::size_t>>> denies;  // text, sources
  std::vector<Statement> statements;
};

class Writer {
 public:
  Writer(const Imported& in, const WriteOptions& opt) : in_(in), prog_(in.program), opt_(opt) {}
  std::string run();

 private:
  struct Atom {
    std::size_t rule;
    std::size_t peer;
    Verb verb = Verb::Unset;
    bool covered = false;
    std::vector<std::size_t> also;  // sources of the atoms it says too
  };

  void choose_label_keys();
  void assign_verbs();
  bool whole_deny(const std::string& ns, ir::Direction d) const;
  bool any_deny(ir::Direction d) const;
  bool partial_deny_meets(const std::string& ns, ir::Direction d, const ir::Endpoint& e) const;
  bool implies(const ir::Rule& r, const ir::Peer& p) const;

  Block& block(const ir::Scope& s);
  std::string key_for(const std::string& ns, const Block& writing) const;
  std::string ns_text(const std::string& ns);
  std::string ref(const ir::Endpoint& e, const Block& b);
  std::string peer_text(const ir::Peer& p, const Block& b);
  std::string comment(const std::vector<std::size_t>& sources) const;
  void build();
  void make_lets();
  std::string render();

  const Imported& in_;
  const ir::Program& prog_;
  const WriteOptions& opt_;
  std::vector<Atom> atoms_;
  std::map<std::pair<bool, std::string>, Block> blocks_;  // (namespace?, name): the cluster block first
  std::map<std::string, std::string> ns_lets_;             // namespace -> the let that names it
  std::set<std::string> bare_names_;                       // every plain name written
  std::vector<std::pair<std::string, std::string>> lets_;  // name, value
  std::string file_key_ = "app";
};

// ---- default denies ----

bool Writer::whole_deny(const std::string& ns, ir::Direction d) const {
  return prog_.namespace_denies(ns, d);
}

bool Writer::any_deny(ir::Direction d) const {
  return std::any_of(prog_.default_denies.begin(), prog_.default_denies.end(), [&](const ir::DefaultDeny& dd) { return dd.covers(d); });
}

bool Writer::partial_deny_meets(const std::string& ns, ir::Direction d, const ir::Endpoint& e) const {
  return std::any_of(prog_.default_denies.begin(), prog_.default_denies.end(), [&](const ir::DefaultDeny& dd) {
    return !dd.whole() && dd.covers(d) && (dd.scope.cluster || dd.scope.ns == ns) && ir::overlaps(*dd.subject, e);
  });
}

// Whether Fence would open the other side for this peer of a two-sided statement (the meaning's
// rule 1, as sema applies it).
bool Writer::implies(const ir::Rule& r, const ir::Peer& p) const {
  if (p.kind != ir::Peer::Kind::Endpoint) return false;
  auto other = opposite(r.direction);
  switch (p.endpoint.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      return whole_deny(p.endpoint.ns.name, other) || partial_deny_meets(p.endpoint.ns.name, other, p.endpoint);
    case ir::NamespaceSel::Kind::Any:
    case ir::NamespaceSel::Kind::Selector:
      return any_deny(other);
  }
  return true;
}

// ---- verbs ----

void Writer::assign_verbs() {
  for (std::size_t i = 0; i < prog_.rules.size(); ++i) {
    for (std::size_t j = 0; j < prog_.rules[i].peers.size(); ++j) atoms_.push_back(Atom{i, j, Verb::Unset, false, {}});
  }
  // Allow atoms between pods, by the rule they would imply: (scope, subject, peer, ports, http).
  auto matches = [&](const Atom& a, const ir::Scope& scope, ir::Direction d, const ir::Endpoint& subject, const ir::Endpoint& peer,
                     const ir::Rule& like) {
    const auto& r = prog_.rules[a.rule];
    const auto& p = r.peers[a.peer];
    return r.action == ir::Action::Allow && r.direction == d && r.scope == scope && r.subject == subject && p.kind == ir::Peer::Kind::Endpoint &&
           p.endpoint == peer && r.ports == like.ports && same_http(r.http, like.http);
  };
  std::map<std::pair<ir::Direction, std::string>, std::vector<std::size_t>> by_scope;  // namespace-scoped allows
  for (std::size_t k = 0; k < atoms_.size(); ++k) {
    const auto& r = prog_.rules[atoms_[k].rule];
    if (r.action == ir::Action::Allow && !r.scope.cluster) by_scope[{r.direction, r.scope.ns}].push_back(k);
  }
  // Both sides as one statement, where Fence implies exactly the other side: egress first (`may
  // reach`), then ingress (`may be reached by`).
  for (auto d : {ir::Direction::Egress, ir::Direction::Ingress}) {
    for (auto& a : atoms_) {
      const auto& r = prog_.rules[a.rule];
      const auto& p = r.peers[a.peer];
      if (a.covered || a.verb != Verb::Unset || r.action != ir::Action::Allow || r.direction != d || p.kind != ir::Peer::Kind::Endpoint ||
          p.endpoint.ns.kind != ir::NamespaceSel::Kind::Named || !whole_deny(p.endpoint.ns.name, opposite(d))) {
        continue;
      }
      const auto& far = p.endpoint.ns.name;
      bool found = false;
      for (auto k : by_scope[{opposite(d), far}]) {
        auto& b = atoms_[k];
        if (&b == &a || b.covered || (b.verb != Verb::Unset)) continue;
        if (!matches(b, ir::Scope{false, far}, opposite(d), p.endpoint, r.subject, r)) continue;
        b.covered = true;
        a.also.push_back(in_.rule_source[b.rule]);
        found = true;
      }
      if (found) a.verb = d == ir::Direction::Egress ? Verb::Reach : Verb::ReachedBy;
    }
  }
  for (auto& a : atoms_) {
    if (a.covered || a.verb != Verb::Unset) continue;
    const auto& r = prog_.rules[a.rule];
    bool egress = r.direction == ir::Direction::Egress;
    if (r.action == ir::Action::Deny) {
      a.verb = egress ? Verb::MustNotReach : Verb::MustNotBeReachedBy;
    } else if (implies(r, r.peers[a.peer])) {
      a.verb = egress ? Verb::SendTo : Verb::ReceiveFrom;
    } else {
      a.verb = egress ? Verb::Reach : Verb::ReachedBy;
    }
  }
}

// ---- label keys ----

Block& Writer::block(const ir::Scope& s) {
  auto& b = blocks_[{!s.cluster, s.cluster ? std::string() : s.ns}];
  b.cluster = s.cluster;
  b.ns = s.cluster ? std::string() : s.ns;
  return b;
}

// Each block reads workload names with the key most of its names use, so that they can be
// written as names; a namespace without a block is read with the key of the block naming it.
void Writer::choose_label_keys() {
  // The blocks the program will have: where something is said (a rule whose other side another
  // statement implies says nothing of its own). Only those read names with a key of their own.
  for (const auto& a : atoms_) {
    if (!a.covered) block(prog_.rules[a.rule].scope);
  }
  for (const auto& dd : prog_.default_denies) block(dd.scope);
  std::map<std::pair<bool, std::string>, std::map<std::string, std::size_t>> counts;
  auto count = [&](const ir::Endpoint& e, const ir::Scope& writing) {
    const auto& reqs = e.pods.reqs;
    if (reqs.size() != 1 || reqs[0].op != net::SelOp::Equals || !plain_name(reqs[0].values[0])) return;
    std::pair<bool, std::string> where{!writing.cluster, writing.cluster ? std::string() : writing.ns};
    if (e.ns.kind == ir::NamespaceSel::Kind::Named && blocks_.count({true, e.ns.name})) where = {true, e.ns.name};
    ++counts[where][reqs[0].key];
  };
  for (const auto& r : prog_.rules) {
    count(r.subject, r.scope);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) count(p.endpoint, r.scope);
    }
  }
  for (const auto& dd : prog_.default_denies) {
    if (dd.subject) count(*dd.subject, dd.scope);
  }
  std::set<std::string> keys;
  for (auto& [where, b] : blocks_) {
    auto it = counts.find(where);
    if (it != counts.end()) {
      std::size_t best = 0;
      for (const auto& [key, n] : it->second) {
        // Most used; on a tie, `app` (nothing to set), then the first in order.
        if (n > best || (n == best && key == "app")) {
          best = n;
          b.label_key = key;
        }
      }
    }
    keys.insert(b.label_key);
  }
  if (keys.size() == 1) file_key_ = *keys.begin();
}

std::string Writer::key_for(const std::string& ns, const Block& writing) const {
  auto it = blocks_.find({true, ns});
  return it == blocks_.end() ? writing.label_key : it->second.label_key;
}

// ---- references ----

std::string Writer::ns_text(const std::string& ns) {
  if (ns == "default" || plain_name(ns)) return ns;
  auto it = ns_lets_.find(ns);
  if (it != ns_lets_.end()) return it->second;
  std::string name = "namespace-" + ns;
  for (int i = 2; !plain_name(name); ++i) name = fmt::format("namespace-{}", i);
  ns_lets_[ns] = name;
  return name;
}

std::string Writer::ref(const ir::Endpoint& e, const Block& b) {
  std::string prefix;
  std::string key = b.label_key;
  switch (e.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      if (b.cluster || e.ns.name != b.ns) {
        prefix = ns_text(e.ns.name) + "/";
        key = key_for(e.ns.name, b);
      }
      break;
    case ir::NamespaceSel::Kind::Selector:
      if (e.pods.selects_all()) return fmt::format("ns[{}]", selector_body(e.ns.selector));
      prefix = fmt::format("ns[{}]/", selector_body(e.ns.selector));
      break;
    case ir::NamespaceSel::Kind::Any:
      if (!b.cluster) {  // in a cluster block, pods without a namespace are every namespace's
        if (e.pods.selects_all()) return "all namespaces";
        prefix = "all namespaces/";
      }
      break;
  }
  if (e.pods.selects_all()) return prefix + "all pods";
  const auto& reqs = e.pods.reqs;
  if (reqs.size() == 1 && reqs[0].op == net::SelOp::Equals && reqs[0].key == key && plain_name(reqs[0].values[0])) {
    if (prefix.empty()) bare_names_.insert(reqs[0].values[0]);
    return prefix + reqs[0].values[0];
  }
  return prefix + fmt::format("pods[{}]", selector_body(e.pods));
}

std::string Writer::peer_text(const ir::Peer& p, const Block& b) {
  switch (p.kind) {
    case ir::Peer::Kind::Endpoint:
      return ref(p.endpoint, b);
    case ir::Peer::Kind::Cidr:
      return cidr_text(p.cidr);
    case ir::Peer::Kind::DnsName:
      return p.dns;
    case ir::Peer::Kind::Entity:
      return "entity " + p.entity;
    case ir::Peer::Kind::Any:
      return "anything";
  }
  return {};
}

std::string Writer::comment(const std::vector<std::size_t>& sources) const {
  std::vector<std::string> parts;
  std::set<std::size_t> seen;
  for (auto s : sources) {
    if (seen.insert(s).second) parts.push_back(in_.sources[s].str());
  }
  return fmt::format("# {}", fmt::join(parts, ", "));
}

// ---- building ----

void Writer::build() {
  // Default denies: for every pod of a namespace, then for some pods, each once.
  std::map<std::pair<bool, std::string>, std::pair<std::vector<std::size_t>, std::vector<std::size_t>>> whole;  // egress, ingress sources
  std::vector<std::tuple<ir::Scope, ir::Endpoint, bool, bool, std::vector<std::size_t>>> partial;
  for (std::size_t i = 0; i < prog_.default_denies.size(); ++i) {
    const auto& dd = prog_.default_denies[i];
    auto src = in_.deny_source[i];
    if (dd.whole()) {
      auto& w = whole[{!dd.scope.cluster, dd.scope.cluster ? std::string() : dd.scope.ns}];
      if (dd.egress) w.first.push_back(src);
      if (dd.ingress) w.second.push_back(src);
      continue;
    }
    auto it = std::find_if(partial.begin(), partial.end(), [&](const auto& t) { return std::get<0>(t) == dd.scope && std::get<1>(t) == *dd.subject; });
    if (it == partial.end()) {
      partial.emplace_back(dd.scope, *dd.subject, false, false, std::vector<std::size_t>{});
      it = partial.end() - 1;
    }
    std::get<2>(*it) = std::get<2>(*it) || dd.egress;
    std::get<3>(*it) = std::get<3>(*it) || dd.ingress;
    std::get<4>(*it).push_back(src);
  }
  for (auto& [where, w] : whole) {
    auto& b = blocks_[where];
    auto& [eg, ing] = w;
    std::vector<std::size_t> all = eg;
    all.insert(all.end(), ing.begin(), ing.end());
    const char* what = !eg.empty() && !ing.empty() ? "all" : !eg.empty() ? "egress" : "ingress";
    b.denies.emplace_back(fmt::format("default deny {}", what), all);
  }
  for (auto& [scope, subject, eg, ing, sources] : partial) {
    auto& b = block(scope);
    const char* what = eg && ing ? "all" : eg ? "egress" : "ingress";
    b.denies.emplace_back(fmt::format("default deny {} for {}", what, ref(subject, b)), sources);
  }

  // Statements: one per (subject, verb), in the order the input first says them; targets grouped
  // by ports and HTTP rules.
  for (const auto& a : atoms_) {
    if (a.covered) continue;
    const auto& r = prog_.rules[a.rule];
    const auto& p = r.peers[a.peer];
    auto& b = block(r.scope);
    auto subject = ref(r.subject, b);
    auto text = peer_text(p, b);
    auto st = std::find_if(b.statements.begin(), b.statements.end(), [&](const Statement& s) {
      return s.subject == subject && s.verb == a.verb && (!opt_.statement_per_peer || s.peer == text);
    });
    if (st == b.statements.end()) {
      b.statements.push_back(Statement{subject, a.verb, {}, {}, text});
      st = b.statements.end() - 1;
    }
    st->sources.push_back(in_.rule_source[a.rule]);
    st->sources.insert(st->sources.end(), a.also.begin(), a.also.end());
    auto t = std::find_if(st->targets.begin(), st->targets.end(), [&](const Target& x) { return x.ports == r.ports && same_http(x.http, r.http); });
    if (t == st->targets.end()) {
      st->targets.push_back(Target{{}, {}, r.ports, r.http});
      t = st->targets.end() - 1;
    }
    auto& list = p.kind == ir::Peer::Kind::Cidr ? t->cidrs : t->pods;
    if (std::find(list.begin(), list.end(), text) == list.end()) list.push_back(text);
  }
}

// Address sets and selectors written more than once become definitions.
void Writer::make_lets() {
  std::map<std::string, std::size_t> uses;
  auto cidr_key = [](const Target& t) { return t.cidrs.size() >= 2 || (t.cidrs.size() == 1 && t.cidrs[0].find(" except ") != std::string::npos) ? fmt::format("{}", fmt::join(t.cidrs, ", ")) : std::string(); };
  auto selector_key = [](const std::string& s) {
    auto open = s.find("pods[");
    return open != std::string::npos && s.find(',', open) != std::string::npos ? s : std::string();
  };
  for (const auto& [_, b] : blocks_) {
    for (const auto& st : b.statements) {
      if (auto k = selector_key(st.subject); !k.empty()) ++uses[k];
      for (const auto& t : st.targets) {
        if (auto k = cidr_key(t); !k.empty()) ++uses[k];
        for (const auto& p : t.pods) {
          if (auto k = selector_key(p); !k.empty()) ++uses[k];
        }
      }
    }
  }
  std::map<std::string, std::string> name_of;
  std::set<std::string> taken(bare_names_);
  for (const auto& [_, n] : ns_lets_) taken.insert(n);
  std::size_t addresses = 0;
  auto fresh = [&](std::string base, const char* fallback) {
    std::string out;
    for (char c : base) out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '-';
    std::string squeezed;
    for (char c : out) {
      if (c == '-' && (squeezed.empty() || squeezed.back() == '-')) continue;
      squeezed += c;
    }
    while (!squeezed.empty() && squeezed.back() == '-') squeezed.pop_back();
    if (squeezed.size() > 40 || !plain_name(squeezed) || taken.count(squeezed)) squeezed.clear();
    for (int i = 1; squeezed.empty() || taken.count(squeezed); ++i) squeezed = fmt::format("{}-{}", fallback, i);
    taken.insert(squeezed);
    return squeezed;
  };
  auto let_for = [&](const std::string& text, bool cidr) -> std::string {
    auto it = uses.find(text);
    if (it == uses.end() || it->second < 2) return text;
    auto named = name_of.find(text);
    if (named != name_of.end()) return named->second;
    std::string name;
    if (cidr) {
      name = fresh(fmt::format("addresses-{}", ++addresses), "addresses");
    } else {
      // After the selector's values: pods[app=shop, role=api] is shop-api, pods[app=a, track!=b]
      // is a-not-b.
      auto open = text.find("pods[");
      std::string body = text.substr(open + 5, text.size() - open - 6);
      std::string base;
      std::size_t pos = 0;
      while (pos < body.size()) {
        auto comma = body.find(", ", pos);
        auto piece = body.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto eq = piece.find('=');
        bool negated = eq != std::string::npos && eq > 0 && piece[eq - 1] == '!';
        if (eq != std::string::npos) base += (base.empty() ? "" : "-") + std::string(negated ? "not-" : "") + piece.substr(eq + 1);
        pos = comma == std::string::npos ? body.size() : comma + 2;
      }
      name = fresh(base.empty() ? std::string("pods") : base, "pods");
    }
    name_of[text] = name;
    lets_.emplace_back(name, cidr && text.find(", ") != std::string::npos ? fmt::format("{{{}}}", text) : text);
    return name;
  };
  for (auto& [_, b] : blocks_) {
    for (auto& st : b.statements) {
      if (auto k = selector_key(st.subject); !k.empty()) st.subject = let_for(k, false);
      for (auto& t : st.targets) {
        if (auto k = cidr_key(t); !k.empty()) {
          auto name = let_for(k, true);
          if (name != k) t.cidrs = {name};
        }
        for (auto& p : t.pods) {
          if (auto k = selector_key(p); !k.empty()) p = let_for(k, false);
        }
      }
    }
  }
}

std::string Writer::render() {
  std::string out;
  if (!opt_.header.empty()) {
    for (const auto& line : opt_.header) out += line.empty() ? std::string("#\n") : fmt::format("# {}\n", line);
  } else {
    std::vector<std::string> files = in_.files;
    constexpr std::size_t kShown = 5;
    std::string from = fmt::format("{}", fmt::join(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(std::min(kShown, files.size())), ", "));
    if (files.size() > kShown) from += fmt::format(" and {} more", files.size() - kShown);
    out += fmt::format("# Imported by `fence import` from {}.\n", from.empty() ? std::string("standard input") : from);
    out += "# Each statement names the objects it came from; `fence import --verify` proves the two mean the same.\n";
  }
  bool any_header = false;
  auto header_line = [&](const std::string& s) {
    if (!any_header) out += "\n";
    any_header = true;
    out += s + "\n";
  };
  if (file_key_ != "app") header_line(fmt::format("set label-key = {}", quoted(file_key_)));
  for (const auto& [ns, name] : ns_lets_) header_line(fmt::format("let {} = {}", name, quoted(ns)));
  for (const auto& [name, value] : lets_) header_line(fmt::format("let {} = {}", name, value));
  for (const auto& [_, b] : blocks_) {
    if (b.denies.empty() && b.statements.empty()) continue;
    out += b.cluster ? "\ncluster {\n" : fmt::format("\nnamespace {} {{\n", ns_text(b.ns));
    if (b.label_key != file_key_) out += fmt::format("  set label-key = {}\n", quoted(b.label_key));
    for (const auto& [text, sources] : b.denies) out += fmt::format("  {}\n  {}\n", comment(sources), text);
    for (const auto& st : b.statements) {
      std::vector<std::string> targets;
      for (const auto& t : st.targets) {
        std::vector<std::string> peers = t.pods;
        peers.insert(peers.end(), t.cidrs.begin(), t.cidrs.end());
        auto suffix = ports_text(t.ports) + http_text(t.http);
        std::string peer;
        if (peers.size() == 1 && (suffix.empty() || peers[0].find(" except ") == std::string::npos)) {
          peer = peers[0];
        } else {
          peer = fmt::format("{{{}}}", fmt::join(peers, ", "));
        }
        targets.push_back(peer + suffix);
      }
      out += fmt::format("  {}\n  {} {} {}\n", comment(st.sources), st.subject, verb_text(st.verb), fmt::join(targets, ", "));
    }
    out += "}\n";
  }
  return out;
}

std::string Writer::run() {
  assign_verbs();
  choose_label_keys();
  build();
  make_lets();
  return render();
}

}  // namespace

std::string write(const Imported& imported, const WriteOptions& options) {
  Writer w(imported, options);
  // Laid out exactly as `fence fmt` lays it out (long target lists wrapped, comments aligned).
  return format::format_text(w.run());
}

}  // namespace fence::import
