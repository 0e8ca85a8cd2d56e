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
  // The objects' subjects for a block's rules (whose distinct subjects are `subjects`): each with
  // the indexes of the subjects that contain it. Empty after reporting E1107.
  std::vector<std::pair<ir::Endpoint, std::vector<std::size_t>>> pieces(const std::vector<ir::Endpoint>& subjects,
                                                                        const std::vector<const ir::Rule*>& rules);

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

// Pods as namespace labels and pod labels (a conjunction of requirements each).
struct Region {
  net::LabelSelector ns;
  net::LabelSelector pods;
  std::vector<std::size_t> in;  // the subjects that contain it
};

bool empty(const Region& r) {
  return r.ns.selects_nothing() || r.pods.selects_nothing();
}

net::Requirement negated(net::Requirement r) {
  switch (r.op) {
    case net::SelOp::Equals: r.op = net::SelOp::NotEquals; break;
    case net::SelOp::NotEquals: r.op = net::SelOp::Equals; break;
    case net::SelOp::In: r.op = net::SelOp::NotIn; break;
    case net::SelOp::NotIn: r.op = net::SelOp::In; break;
    case net::SelOp::Exists: r.op = net::SelOp::DoesNotExist; break;
    case net::SelOp::DoesNotExist: r.op = net::SelOp::Exists; break;
  }
  return r;
}

// `r` less the pods of (ns, pods), as disjoint regions: not(a and b and ...) is (not a), or (a and
// not b), or ...; a requirement `r` implies already adds nothing.
std::vector<Region> outside(const Region& r, const net::LabelSelector& ns, const net::LabelSelector& pods) {
  std::vector<Region> out;
  Region prefix = r;
  for (int part = 0; part < 2; ++part) {
    for (const auto& req : (part == 0 ? ns : pods).reqs) {
      Region without = prefix;
      (part == 0 ? without.ns : without.pods).add(negated(req));
      if (empty(without)) continue;  // the prefix implies req
      out.push_back(without);
      (part == 0 ? prefix.ns : prefix.pods).add(req);
    }
  }
  return out;
}

ir::Endpoint endpoint_of(const Region& r) {
  ir::Endpoint e;
  e.pods = r.pods;
  if (r.ns.selects_all()) {
    e.ns.kind = ir::NamespaceSel::Kind::Any;
  } else if (r.ns.reqs.size() == 1 && r.ns.reqs[0].key == net::kNamespaceNameLabel && r.ns.reqs[0].op == net::SelOp::Equals) {
    e.ns.kind = ir::NamespaceSel::Kind::Named;
    e.ns.name = r.ns.reqs[0].values.at(0);
  } else {
    e.ns.kind = ir::NamespaceSel::Kind::Selector;
    e.ns.selector = r.ns;
  }
  return e;
}

// One object per subject when the subjects of each direction are equal or disjoint: every pod
// then meets, in one direction, the rules of one object only. Otherwise the subjects cut the
// cluster into disjoint regions (label selectors can say "not": NotIn, !=, DoesNotExist), and each
// region's object carries, in source order, every rule whose subject contains it: objects of one
// priority apply in an order the API leaves undefined, and disjoint ones never meet.
std::vector<std::pair<ir::Endpoint, std::vector<std::size_t>>> Lowering::pieces(const std::vector<ir::Endpoint>& subjects,
                                                                                const std::vector<const ir::Rule*>& rules) {
  std::vector<std::pair<ir::Endpoint, std::vector<std::size_t>>> out;
  bool simple = true;
  for (auto dir : {ir::Direction::Egress, ir::Direction::Ingress}) {
    std::vector<const ir::Endpoint*> seen;
    for (const auto* r : rules) {
      if (r->direction != dir) continue;
      if (std::any_of(seen.begin(), seen.end(), [&](const ir::Endpoint* e) { return *e == r->subject; })) continue;
      for (const auto* e : seen) simple = simple && !ir::overlaps(*e, r->subject);
      seen.push_back(&r->subject);
    }
  }
  if (simple) {
    for (std::size_t i = 0; i < subjects.size(); ++i) out.push_back({subjects[i], {i}});
    return out;
  }
  constexpr std::size_t kMaxRegions = 64;
  std::vector<Region> inside;        // regions within some subject
  std::vector<Region> rest{Region{}};  // regions within none yet
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    auto sns = ir::namespace_labels(subjects[i].ns);
    const auto& spods = subjects[i].pods;
    std::vector<Region> next_inside, next_rest;
    auto cut = [&](const Region& r, std::vector<Region>& in_dst, std::vector<Region>& out_dst) {
      Region both = r;
      both.ns = both.ns.conjoin(sns);
      both.pods = both.pods.conjoin(spods);
      if (empty(both)) {
        out_dst.push_back(r);
        return;
      }
      both.in.push_back(i);
      in_dst.push_back(both);
      if (sns.contains(r.ns) && spods.contains(r.pods)) return;  // wholly inside
      for (auto& o : outside(r, sns, spods)) out_dst.push_back(std::move(o));
    };
    for (const auto& r : inside) cut(r, next_inside, next_inside);
    for (const auto& r : rest) cut(r, next_inside, next_rest);
    inside = std::move(next_inside);
    rest = std::move(next_rest);
    if (inside.size() + rest.size() > kMaxRegions) {
      const ir::Rule* at = nullptr;
      for (const auto* r : rules) {
        if (r->subject == subjects[i]) {
          at = r;
          break;
        }
      }
      auto& d = sink_.error(Code::E1107, at->subject_span.valid() ? at->subject_span : at->origin.statement,
                            fmt::format("the subjects of this tier block share pods in too many ways to be written as objects of one priority "
                                        "(more than {} disjoint groups of pods)",
                                        kMaxRegions));
      d.hint("give some of these statements a block of their own with another priority");
      return {};
    }
  }
  for (const auto& r : inside) out.push_back({endpoint_of(r), r.in});
  return out;
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
    std::vector<ir::Endpoint> subjects;
    for (const auto* r : rules) {
      if (std::find(subjects.begin(), subjects.end(), r->subject) == subjects.end()) subjects.push_back(r->subject);
    }
    auto regions = pieces(subjects, rules);
    if (regions.empty() && !subjects.empty()) {
      ok = false;
      continue;
    }
    std::vector<Object> mine;
    for (const auto& [subject, _] : regions) {
      Object o;
      o.block = b;
      o.subject = subject;
      mine.push_back(std::move(o));
    }
    for (const auto& rule : merged) {
      const ir::Rule* r = &rule;
      Rule built;
      if (!build(*r, built)) {
        ok = false;
        continue;
      }
      auto index = static_cast<std::size_t>(std::find(subjects.begin(), subjects.end(), r->subject) - subjects.begin());
      auto nodes = built.peers.empty() ? std::vector<emit::Node>{} : split(built);  // no peers: it matches nothing
      for (std::size_t k = 0; k < regions.size(); ++k) {
        const auto& in = regions[k].second;
        if (std::find(in.begin(), in.end(), index) == in.end()) continue;
        auto& o = mine[k];
        add_source(o.sources, line_of(sm_, r->origin.statement));
        if (o.origins.empty() || !(o.origins.back() == r->origin.statement)) o.origins.push_back(r->origin.statement);
        bool eg = r->direction == ir::Direction::Egress;
        auto& list = eg ? o.egress : o.ingress;
        auto& srcs = eg ? o.egress_src : o.ingress_src;
        for (const auto& n : nodes) {
          list.push_back(n);
          srcs.push_back(r);
        }
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
