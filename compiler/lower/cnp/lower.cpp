#include "lower/cnp/lower.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "emit/yaml.h"
#include "ir/deny.h"
#include "lower/label_selector.h"
#include "lower/naming.h"
#include "lower/origin.h"
#include "net/cidr_set.h"

namespace fence::lower::cnp {

namespace {

constexpr const char* kApiVersion = "policy.networking.k8s.io/v1alpha2";
constexpr const char* kKind = "ClusterNetworkPolicy";
constexpr const char* kNameLabel = "kubernetes.io/metadata.name";
constexpr const char* kExperimentalHint = "compile with --cnp-channel experimental";

emit::Node selector_node(const net::LabelSelector& s) {
  return to_node(to_label_selector(s));
}

emit::Node namespace_node(const ir::NamespaceSel& ns) {
  switch (ns.kind) {
    case ir::NamespaceSel::Kind::Named: {
      LabelSelector s;
      s.match_labels.emplace_back(kNameLabel, ns.name);
      return to_node(s);
    }
    case ir::NamespaceSel::Kind::Selector:
      return selector_node(ns.selector);
    case ir::NamespaceSel::Kind::Any:
      break;
  }
  return to_node(LabelSelector{});
}

// `namespaces: SEL` for every pod of some namespaces, else `pods: {namespaceSelector, podSelector}`:
// the shape of a subject and of a pod peer alike.
emit::Node endpoint_node(const ir::Endpoint& e) {
  auto n = emit::Node::make_map();
  if (e.pods.selects_all()) {
    n.set("namespaces", namespace_node(e.ns));
    return n;
  }
  auto& pods = n.set("pods", emit::Node::make_map());
  pods.set("namespaceSelector", namespace_node(e.ns));
  pods.set("podSelector", selector_node(e.pods));
  return n;
}

std::string namespace_slug(const ir::NamespaceSel& ns) {
  switch (ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      return slugify(ns.name, 63);
    case ir::NamespaceSel::Kind::Selector:
      return "ns-" + slugify(ns.selector.str(), 80);
    case ir::NamespaceSel::Kind::Any:
      break;
  }
  return "all-namespaces";
}

std::string subject_name(const ir::Endpoint& e) {
  if (e.pods.selects_all()) return namespace_slug(e.ns);
  return namespace_slug(e.ns) + "-" + subject_slug(e.pods);
}

// At most `max` bytes, cut at a character boundary, "..." marking the cut.
std::string cap(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s + "...";
}

const char* action_word(ir::Action a) {
  switch (a) {
    case ir::Action::Allow:
      return "Accept";
    case ir::Action::Deny:
      return "Deny";
    case ir::Action::Pass:
      break;
  }
  return "Pass";
}

// A domainNames entry: a name, or one leading `*.` and a name.
bool domain_expressible(const std::string& dns) {
  std::string_view rest = dns;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.find('*') != std::string_view::npos) return false;
  return rest.find('.') != std::string_view::npos;  // the pattern wants two labels at least
}

// One rule as the object writes it, before splitting at the API's limits.
struct Rule {
  const ir::Rule* source = nullptr;
  std::vector<emit::Node> peers;  // entries of from/to, each with one key; networks and names in chunks
  std::vector<emit::Node> protocols;
};

struct Object {
  std::size_t block = 0;
  ir::Endpoint subject;
  std::vector<std::string> sources;
  std::vector<Span> origins;
  std::vector<emit::Node> ingress;
  std::vector<emit::Node> egress;
  std::vector<const ir::Rule*> ingress_src;  // the rule behind each, in parallel
  std::vector<const ir::Rule*> egress_src;
};

class Lowering {
 public:
  Lowering(const ir::Program& prog, const SourceManager& sm, const Options& opt, DiagnosticSink& sink)
      : prog_(prog), sm_(sm), opt_(opt), sink_(sink) {}

  std::vector<emit::Object> run();

 private:
  bool experimental() const { return opt_.channel == Channel::Experimental; }
  Diagnostic& error_at(Code code, const ir::Rule& r, const Span& inner, std::string message);
  bool build(const ir::Rule& r, Rule& out);
  std::vector<emit::Node> split(const Rule& r);
  bool check_subjects(const std::vector<const ir::Rule*>& rules);

  const ir::Program& prog_;
  const SourceManager& sm_;
  const Options& opt_;
  DiagnosticSink& sink_;
};

Diagnostic& Lowering::error_at(Code code, const ir::Rule& r, const Span& inner, std::string message) {
  Span at = inner.valid() ? inner : r.origin.target.valid() ? r.origin.target : r.origin.statement;
  auto& d = sink_.error(code, at, std::move(message));
  if (r.origin.implied) d.note(r.origin.statement, fmt::format("the {} side of this statement", ir::direction_name(r.direction)));
  return d;
}

// The rule's peers and protocols, or false after reporting what the API cannot say.
bool Lowering::build(const ir::Rule& r, Rule& out) {
  out.source = &r;
  bool ok = true;
  bool egress = r.direction == ir::Direction::Egress;
  if (!r.http.empty()) {
    error_at(Code::E1105, r, r.http.front().span, "ClusterNetworkPolicy cannot express HTTP rules: it stops at ports")
        .hint("compile with --target cilium, or leave the HTTP rules out of the tier block");
    ok = false;
  }
  std::vector<emit::Node> pods;
  std::set<std::string> seen;  // peers written, as text
  std::vector<net::Cidr> cidrs;
  std::vector<std::string> domains;
  std::set<std::string> entities;
  const ir::Peer* entity_peer = nullptr;
  const ir::Peer* address_peer = nullptr;  // the first peer that is addresses, for E1106
  for (const auto& p : r.peers) {
    switch (p.kind) {
      case ir::Peer::Kind::Any:
        if (!egress) {
          error_at(Code::E1102, r, p.span,
                   "ClusterNetworkPolicy cannot match every source of ingress: its ingress peers are pods and namespaces only, not addresses")
              .hint("write `all namespaces` for every pod of the cluster; addresses outside it cannot be matched on ingress");
          ok = false;
          break;
        }
        if (seen.insert("namespaces:*").second) pods.push_back(endpoint_node(ir::Endpoint{ir::NamespaceSel{ir::NamespaceSel::Kind::Any, {}, {}}, {}}));
        cidrs.push_back(*net::parse_cidr("0.0.0.0/0").cidr);
        cidrs.push_back(*net::parse_cidr("::/0").cidr);
        if (address_peer == nullptr) address_peer = &p;
        break;
      case ir::Peer::Kind::Endpoint: {
        if (ir::selects_nothing(p.endpoint)) break;
        auto key = p.endpoint.str();
        if (seen.insert(key).second) pods.push_back(endpoint_node(p.endpoint));
        break;
      }
      case ir::Peer::Kind::Cidr:
        if (!egress) {
          error_at(Code::E1102, r, p.span,
                   fmt::format("ClusterNetworkPolicy cannot match ingress from {}: its ingress peers are pods and namespaces only", p.str()))
              .hint("compile with --target cilium or k8s for address-based ingress, or name the pods' namespaces");
          ok = false;
          break;
        }
        // No `except` in networks: the CIDRs that cover what is left.
        for (const auto& c : net::CidrSet::of(p.cidr.cidr, p.cidr.except).to_cidrs()) cidrs.push_back(c);
        if (address_peer == nullptr) address_peer = &p;
        break;
      case ir::Peer::Kind::DnsName:
        if (!experimental()) {
          error_at(Code::E1101, r, p.span,
                   fmt::format("the standard channel of ClusterNetworkPolicy cannot match the DNS name '{}': domainNames are experimental", p.dns))
              .hint(fmt::format("{} (egress Accept rules only), or write the service's CIDR", kExperimentalHint));
          ok = false;
        } else if (!egress || r.action != ir::Action::Allow) {
          error_at(Code::E1103, r, p.span,
                   fmt::format("ClusterNetworkPolicy matches DNS names only in egress rules that accept: '{}' is in {} {} rule", p.dns,
                               r.action == ir::Action::Allow ? "an" : "a", egress ? std::string(action_word(r.action)) : "ingress"))
              .hint("deny everything else at a higher priority number (an allowlist of names), or write the name's CIDRs");
          ok = false;
        } else if (!domain_expressible(p.dns)) {
          error_at(Code::E1103, r, p.span,
                   fmt::format("ClusterNetworkPolicy cannot match the DNS pattern '{}': domainNames take a name, or `*.` and a name", p.dns))
              .hint("write `*.example.com`, or each name");
          ok = false;
        } else if (std::find(domains.begin(), domains.end(), p.dns) == domains.end()) {
          domains.push_back(p.dns);
          if (address_peer == nullptr) address_peer = &p;
        }
        break;
      case ir::Peer::Kind::Entity:
        entities.insert(p.entity);
        if (entity_peer == nullptr) entity_peer = &p;
        if (address_peer == nullptr) address_peer = &p;
        break;
    }
  }
  // The nodes, every one: Cilium's `host` (the pod's own node) and `remote-node` (the others).
  bool nodes = false;
  if (entities.count("host") && entities.count("remote-node")) {
    if (!egress) {
      error_at(Code::E1104, r, entity_peer->span, "ClusterNetworkPolicy matches nodes in egress rules only")
          .hint("compile with --target cilium");
      ok = false;
    } else if (!experimental()) {
      error_at(Code::E1101, r, entity_peer->span, "the standard channel of ClusterNetworkPolicy cannot match nodes: `nodes` peers are experimental")
          .hint(kExperimentalHint);
      ok = false;
    } else {
      nodes = true;
    }
    entities.erase("host");
    entities.erase("remote-node");
  }
  for (const auto& e : entities) {
    const ir::Peer* at = entity_peer;
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Entity && p.entity == e) at = &p;
    }
    error_at(Code::E1104, r, at->span, fmt::format("ClusterNetworkPolicy has no entity '{}': entities are Cilium's", e))
        .hint(experimental() ? "compile with --target cilium, write the CIDRs the entity stands for, or write both `entity host` and `entity remote-node` for "
                               "every node"
                             : "compile with --target cilium, or write the CIDRs the entity stands for");
    ok = false;
  }

  // Protocols: TCP, UDP and SCTP, each with a destination port (or a named port).
  bool named = false;
  std::set<std::string> ports_seen;
  auto add_port = [&](net::Protocol proto, int first, int last) {
    first = std::max(first, 1);  // every port of a protocol: the whole range, as a protocol needs a destinationPort
    auto key = fmt::format("{}/{}-{}", net::protocol_lower(proto), first, last);
    if (!ports_seen.insert(key).second) return;
    auto n = emit::Node::make_map();
    auto& dp = n.set(std::string(net::protocol_lower(proto)), emit::Node::make_map()).set("destinationPort", emit::Node::make_map());
    if (first == last) {
      dp.set("number", emit::Node::integer(first));
    } else {
      auto& rg = dp.set("range", emit::Node::make_map());
      rg.set("start", emit::Node::integer(first));
      rg.set("end", emit::Node::integer(last));
    }
    out.protocols.push_back(std::move(n));
  };
  for (std::size_t i = 0; i < r.ports.size(); ++i) {
    const auto& p = r.ports[i];
    if (p.protocol == net::Protocol::Any && p.kind != net::Port::Kind::Named) {
      error_at(Code::E1109, r, i < r.port_spans.size() ? r.port_spans[i] : Span{},
               fmt::format("ClusterNetworkPolicy has no protocol `any` (in {}): its protocols are TCP, UDP and SCTP", p.str()))
          .hint("list the protocols, e.g. :{53/udp, 53/tcp}");
      ok = false;
      continue;
    }
    switch (p.kind) {
      case net::Port::Kind::All:
        add_port(p.protocol, 1, 65535);
        break;
      case net::Port::Kind::Number:
        add_port(p.protocol, p.first, p.first);
        break;
      case net::Port::Kind::Range:
        add_port(p.protocol, p.first, p.last);
        break;
      case net::Port::Kind::Named:
        if (ports_seen.insert("named:" + p.name).second) {
          auto n = emit::Node::make_map();
          n.set("destinationNamedPort", emit::Node::string(p.name));
          out.protocols.push_back(std::move(n));
        }
        named = true;
        break;
    }
  }
  if (named && (!cidrs.empty() || !domains.empty() || nodes)) {
    Span port_at;
    for (std::size_t i = 0; i < r.ports.size() && i < r.port_spans.size(); ++i) {
      if (r.ports[i].kind == net::Port::Kind::Named) {
        port_at = r.port_spans[i];
        break;
      }
    }
    auto& d = error_at(Code::E1106, r, port_at,
                       "ClusterNetworkPolicy cannot match a named port on addresses, domain names or nodes: only a pod knows its port names");
    if (address_peer != nullptr && address_peer->span.valid()) d.note(address_peer->span, "the addresses are here");
    d.hint("write the port's number, or put the addresses in a statement of their own");
    ok = false;
  }
  if (!ok) return false;

  out.peers = std::move(pods);
  // Networks and domain names: one peer entry per 25, in the order written, duplicates dropped.
  auto chunks = [&](const char* key, const std::vector<std::string>& items) {
    for (std::size_t i = 0; i < items.size(); i += kMaxPeers) {
      auto n = emit::Node::make_map();
      auto& list = n.set(key, emit::Node::make_seq());
      for (std::size_t j = i; j < items.size() && j < i + kMaxPeers; ++j) list.push(emit::Node::string(items[j]));
      out.peers.push_back(std::move(n));
    }
  };
  std::vector<std::string> networks;
  for (const auto& c : cidrs) {
    auto s = c.str();
    if (std::find(networks.begin(), networks.end(), s) == networks.end()) networks.push_back(std::move(s));
  }
  chunks("networks", networks);
  if (nodes) {
    auto n = emit::Node::make_map();
    n.set("nodes", to_node(LabelSelector{}));
    out.peers.push_back(std::move(n));
  }
  chunks("domainNames", domains);
  return true;
}

// The rule as the API takes it: at most 25 peers and 25 protocols a rule. Splitting the peers
// (or the protocols) of one rule into consecutive rules of the same action keeps its meaning
// under first match: a connection matches one of them exactly when it matches the rule.
std::vector<emit::Node> Lowering::split(const Rule& r) {
  std::vector<emit::Node> out;
  const auto& ir_rule = *r.source;
  bool egress = ir_rule.direction == ir::Direction::Egress;
  std::size_t peer_chunks = (r.peers.size() + kMaxPeers - 1) / kMaxPeers;
  std::size_t proto_chunks = r.protocols.empty() ? 1 : (r.protocols.size() + kMaxProtocols - 1) / kMaxProtocols;
  std::size_t total = peer_chunks * proto_chunks;
  auto comment = origin_comment(sm_, ir_rule);
  std::size_t k = 0;
  for (std::size_t pi = 0; pi < peer_chunks; ++pi) {
    for (std::size_t qi = 0; qi < proto_chunks; ++qi) {
      ++k;
      auto n = emit::Node::make_map();
      std::string suffix = total > 1 ? fmt::format(" ({}/{})", k, total) : std::string();
      n.set("name", emit::Node::string(cap(comment, kMaxRuleName - suffix.size()) + suffix));
      n.set("action", emit::Node::string(action_word(ir_rule.action)));
      auto& peers = n.set(egress ? "to" : "from", emit::Node::make_seq());
      for (std::size_t i = pi * kMaxPeers; i < r.peers.size() && i < (pi + 1) * kMaxPeers; ++i) peers.push(r.peers[i]);
      if (!r.protocols.empty()) {
        auto& protos = n.set("protocols", emit::Node::make_seq());
        for (std::size_t i = qi * kMaxProtocols; i < r.protocols.size() && i < (qi + 1) * kMaxProtocols; ++i) protos.push(r.protocols[i]);
      }
      n.comment = comment;
      out.push_back(std::move(n));
    }
  }
  return out;
}

// One object per subject: where two subjects of a block's rules in one direction overlap
// without being equal, the objects would share pods at one priority, in an order the API leaves
// undefined.
bool Lowering::check_subjects(const std::vector<const ir::Rule*>& rules) {
  bool ok = true;
  for (auto dir : {ir::Direction::Egress, ir::Direction::Ingress}) {
    std::vector<const ir::Rule*> firsts;  // the first rule of each subject
    for (const auto* r : rules) {
      if (r->direction != dir) continue;
      bool known = false;
      for (const auto* f : firsts) {
        if (f->subject == r->subject) {
          known = true;
          break;
        }
      }
      if (known) continue;
      for (const auto* f : firsts) {
        if (!ir::overlaps(f->subject, r->subject)) continue;
        Span at = r->subject_span.valid() ? r->subject_span : r->origin.statement;
        auto& d = sink_.error(Code::E1107, at,
                              fmt::format("in one tier block, {} and {} share pods: ClusterNetworkPolicy has one subject per object, and "
                                          "two objects of one priority apply in an order the API leaves undefined",
                                          f->subject.str(), r->subject.str()));
        d.note(f->subject_span.valid() ? f->subject_span : f->origin.statement, "the other subject is here");
        d.hint("give one of these statements a block of its own with another priority, or make the subjects equal or disjoint");
        ok = false;
        break;
      }
      firsts.push_back(r);
    }
  }
  return ok;
}

std::vector<emit::Object> Lowering::run() {
  // The namespace tier: NetworkPolicy, as --target k8s writes it.
  ir::Program ns_tier;
  ns_tier.environment = prog_.environment;
  ns_tier.default_denies = prog_.default_denies;
  ns_tier.namespaces = prog_.namespaces;
  ns_tier.namespace_spans = prog_.namespace_spans;
  ns_tier.pod_cidrs = prog_.pod_cidrs;
  ns_tier.service_cidrs = prog_.service_cidrs;
  for (const auto& r : prog_.rules) {
    if (r.tier == ir::Tier::Namespace) ns_tier.rules.push_back(r);
  }
  auto errors_before = sink_.error_count();
  auto out = k8s::lower(ns_tier, sm_, opt_.k8s, sink_);
  bool ok = sink_.error_count() == errors_before;

  // The tier blocks, each as one object per subject, in the order subjects first appear.
  std::vector<std::vector<const ir::Rule*>> by_block(prog_.tier_blocks.size());
  for (const auto& r : prog_.rules) {
    if (r.tier == ir::Tier::Namespace) continue;
    if (r.tier_block < 0 || static_cast<std::size_t>(r.tier_block) >= by_block.size()) continue;  // not the IR's contract
    by_block[static_cast<std::size_t>(r.tier_block)].push_back(&r);
  }
  std::vector<Object> objects;
  for (std::size_t b = 0; b < by_block.size(); ++b) {
    const auto& rules = by_block[b];
    if (!check_subjects(rules)) {
      ok = false;
      continue;
    }
    // A statement's targets are rules of their own in the IR, one after the other, with one
    // action: where they share subject, direction and ports, they are one rule (first match of
    // consecutive rules of one action is their union), so that a statement is one rule (or one
    // run of split rules) of the object, named after it.
    std::vector<ir::Rule> merged;
    for (const auto* r : rules) {
      if (!merged.empty()) {
        auto& m = merged.back();
        if (m.origin.statement == r->origin.statement && m.origin.implied == r->origin.implied && m.action == r->action &&
            m.direction == r->direction && m.subject == r->subject && m.ports == r->ports && m.http.empty() && r->http.empty()) {
          m.peers.insert(m.peers.end(), r->peers.begin(), r->peers.end());
          if (m.origin.target.valid() && r->origin.target.valid() && m.origin.target.file == r->origin.target.file) {
            m.origin.target = Span::cover(m.origin.target, r->origin.target);
          }
          continue;
        }
      }
      merged.push_back(*r);
    }
    std::vector<Object> mine;
    for (const auto& rule : merged) {
      const ir::Rule* r = &rule;
      Rule built;
      if (!build(*r, built)) {
        ok = false;
        continue;
      }
      auto it = std::find_if(mine.begin(), mine.end(), [&](const Object& o) { return o.subject == r->subject; });
      if (it == mine.end()) {
        Object o;
        o.block = b;
        o.subject = r->subject;
        mine.push_back(std::move(o));
        it = mine.end() - 1;
      }
      add_source(it->sources, line_of(sm_, r->origin.statement));
      if (it->origins.empty() || !(it->origins.back() == r->origin.statement)) it->origins.push_back(r->origin.statement);
      if (built.peers.empty()) continue;  // it matches nothing
      bool eg = r->direction == ir::Direction::Egress;
      auto& list = eg ? it->egress : it->ingress;
      auto& srcs = eg ? it->egress_src : it->ingress_src;
      for (auto& n : split(built)) {
        list.push_back(std::move(n));
        srcs.push_back(r);
      }
    }
    // At most 25 rules a direction. Past that, several objects of the block's priority, whose
    // order is undefined: that keeps the meaning only when every rule of the direction has the
    // same action (first match of such a list is their union).
    std::vector<Object> overflow;
    for (auto& o : mine) {
      for (auto dir : {ir::Direction::Ingress, ir::Direction::Egress}) {
        auto& list = dir == ir::Direction::Egress ? o.egress : o.ingress;
        if (list.size() <= kMaxRules) continue;
        std::set<std::string> actions;
        for (const auto& n : list) actions.insert(n.get("action")->str);
        if (actions.size() > 1) {
          // The rule that went past the limit.
          const auto& srcs = dir == ir::Direction::Egress ? o.egress_src : o.ingress_src;
          const ir::Rule* past = srcs[kMaxRules];
          Span at = past->origin.statement;
          sink_.error(Code::E1108, at,
                      fmt::format("this tier block has {} {} rules for {} (after splitting long lists), and a ClusterNetworkPolicy holds at "
                                  "most {} a direction; with both accepts and denies among them, they cannot be spread over several objects "
                                  "of one priority",
                                  list.size(), ir::direction_name(dir), o.subject.str(), kMaxRules))
              .note(prog_.tier_blocks[b].span, "the block is here")
              .hint("move some statements to a block with another priority");
          ok = false;
          continue;
        }
        for (std::size_t i = kMaxRules; i < list.size(); i += kMaxRules) {
          Object extra;
          extra.block = o.block;
          extra.subject = o.subject;
          extra.sources = o.sources;
          extra.origins = o.origins;
          auto& dst = dir == ir::Direction::Egress ? extra.egress : extra.ingress;
          for (std::size_t j = i; j < list.size() && j < i + kMaxRules; ++j) dst.push_back(std::move(list[j]));
          overflow.push_back(std::move(extra));
        }
        list.resize(kMaxRules);
      }
    }
    for (auto& o : overflow) mine.push_back(std::move(o));
    for (auto& o : mine) objects.push_back(std::move(o));
  }
  if (!ok || opt_.k8s.diagnostics_only) return {};

  // Names: tier, priority and subject; a hash tells apart what the slug or the priority shares.
  std::map<std::string, int> count;
  std::vector<std::string> base;
  for (const auto& o : objects) {
    const auto& blk = prog_.tier_blocks[o.block];
    base.push_back(slugify(fmt::format("{}-{}-{}", ir::tier_name(blk.tier), blk.priority, subject_name(o.subject)), 240));
    ++count[base.back()];
  }
  std::map<std::string, int> used;
  std::set<std::string> taken(base.begin(), base.end());
  for (std::size_t i = 0; i < objects.size(); ++i) {
    auto& o = objects[i];
    const auto& blk = prog_.tier_blocks[o.block];
    auto name = base[i];
    if (count[base[i]] > 1 && ++used[base[i]] > 1) {
      // The second and later objects of one name: a block's overflow, or blocks of one priority.
      for (int n = used[base[i]];; ++n) {
        name = fmt::format("{}-{}", base[i], n);
        if (taken.insert(name).second) break;
      }
    }
    cap_sources(o.sources);
    auto obj = object_header(kApiVersion, kKind, name, "", "cnp", o.sources);
    obj.origins = o.origins;
    auto& spec = obj.doc.set("spec", emit::Node::make_map());
    spec.set("tier", emit::Node::string(blk.tier == ir::Tier::Admin ? "Admin" : "Baseline"));
    spec.set("priority", emit::Node::integer(blk.priority));
    spec.set("subject", endpoint_node(o.subject));
    if (!o.ingress.empty()) {
      auto& in = spec.set("ingress", emit::Node::make_seq());
      for (auto& n : o.ingress) in.push(std::move(n));
    }
    if (!o.egress.empty()) {
      auto& eg = spec.set("egress", emit::Node::make_seq());
      for (auto& n : o.egress) eg.push(std::move(n));
    }
    emit::seal(obj);
    out.push_back(std::move(obj));
  }
  return out;
}

}  // namespace

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink) {
  Lowering l(program, sm, options, sink);
  return l.run();
}

}  // namespace fence::lower::cnp
