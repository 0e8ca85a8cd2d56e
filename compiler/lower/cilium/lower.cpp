#include "lower/cilium/lower.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "emit/yaml.h"
#include "lower/cilium/model.h"
#include "lower/naming.h"
#include "lower/origin.h"
#include "net/names.h"

namespace fence::lower::cilium {

namespace {

// The entities the CRD schema's enum accepts (Cilium 1.18); the agent knows a few more.
constexpr std::string_view kCrdEntities[] = {"all",  "cluster",     "health",    "host", "ingress", "init", "kube-apiserver",
                                             "none", "remote-node", "unmanaged", "world"};

// ---------------------------------------------------------------------------------------------
// Selectors

bool has_positive(const net::LabelSelector& s) {
  return std::any_of(s.reqs.begin(), s.reqs.end(),
                     [](const net::Requirement& r) { return r.op == net::SelOp::Equals || r.op == net::SelOp::In || r.op == net::SelOp::Exists; });
}

void add_all(Selector& into, const Selector& from) {
  into.match_labels.insert(into.match_labels.end(), from.match_labels.begin(), from.match_labels.end());
  into.match_expressions.insert(into.match_expressions.end(), from.match_expressions.begin(), from.match_expressions.end());
  std::sort(into.match_labels.begin(), into.match_labels.end());
}

void add_any_namespace(Selector& s) {
  s.match_expressions.push_back({kNamespaceKey, "Exists", {}});
}

std::string namespace_label_key(const std::string& key) {
  return kNamespaceLabelPrefix + key;
}

// Pods as Cilium selects them, from a policy in `scope`. Keys the user wrote stay as written
// (Cilium reads them as "any:KEY"); the namespace is `k8s:io.kubernetes.pod.namespace`, and
// namespace labels are `k8s:io.cilium.k8s.namespace.labels.KEY`.
//   - A CiliumNetworkPolicy adds its own namespace to every selector that names none, so pods
//     of the policy's namespace need no namespace label, and pods of every namespace need an
//     explicit `Exists` to stop that.
//   - A selector of negative requirements only (`!canary`, `ns[env!=dev]`) would also match
//     the reserved identities (world, host, ...), which carry no labels: `Exists` on the
//     namespace keeps it to pods, as a NetworkPolicy's selectors are.
Selector endpoint_selector(const ir::Endpoint& ep, const ir::Scope& scope, bool subject) {
  Selector out = to_label_selector(ep.pods);
  switch (ep.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      if (scope.cluster || ep.ns.name != scope.ns) {
        out.match_labels.emplace_back(kNamespaceKey, ep.ns.name);
        std::sort(out.match_labels.begin(), out.match_labels.end());
      }
      break;
    case ir::NamespaceSel::Kind::Selector:
      add_all(out, to_label_selector(ep.ns.selector, namespace_label_key));
      if (!has_positive(ep.pods) && !has_positive(ep.ns.selector)) add_any_namespace(out);
      break;
    case ir::NamespaceSel::Kind::Any:
      if (!subject || !has_positive(ep.pods)) add_any_namespace(out);
      break;
  }
  return out;
}

// The selector of the cluster's DNS servers, where the DNS-proxy rule sends lookups.
Selector kube_dns() {
  Selector s;
  s.match_labels = {{"k8s-app", "kube-dns"}, {kNamespaceKey, "kube-system"}};
  std::sort(s.match_labels.begin(), s.match_labels.end());
  return s;
}

// True when no pod can match both selectors: they require different values of one key, or one
// requires a key the other forbids. False means "may overlap", which is the safe answer.
bool disjoint(const net::LabelSelector& a, const net::LabelSelector& b) {
  auto positive_values = [](const net::Requirement& r) -> const std::vector<std::string>* {
    return r.op == net::SelOp::Equals || r.op == net::SelOp::In ? &r.values : nullptr;
  };
  auto excludes = [&](const net::Requirement& x, const net::Requirement& y) {
    const auto* xv = positive_values(x);
    bool x_present = xv != nullptr || x.op == net::SelOp::Exists;
    if (x_present && y.op == net::SelOp::DoesNotExist) return true;
    if (xv == nullptr) return false;
    if (const auto* yv = positive_values(y)) {
      return std::none_of(xv->begin(), xv->end(), [&](const std::string& v) { return std::find(yv->begin(), yv->end(), v) != yv->end(); });
    }
    if (y.op == net::SelOp::NotIn || y.op == net::SelOp::NotEquals) {
      return std::all_of(xv->begin(), xv->end(),
                         [&](const std::string& v) { return std::find(y.values.begin(), y.values.end(), v) != y.values.end(); });
    }
    return false;
  };
  for (const auto& x : a.reqs) {
    for (const auto& y : b.reqs) {
      if (x.key == y.key && (excludes(x, y) || excludes(y, x))) return true;
    }
  }
  return false;
}

bool may_overlap(const ir::Endpoint& a, const ir::Endpoint& b) {
  using K = ir::NamespaceSel::Kind;
  if (a.ns.kind == K::Named && b.ns.kind == K::Named && a.ns.name != b.ns.name) return false;
  return !disjoint(a.pods, b.pods);
}

// ---------------------------------------------------------------------------------------------
// Ports and L7

std::vector<PortProtocol> port_list(const std::vector<net::Port>& in) {
  std::vector<PortProtocol> out;
  for (const auto& p : in) {
    PortProtocol c;
    c.protocol = std::string(net::protocol_name(p.protocol));
    switch (p.kind) {
      case net::Port::Kind::All:
        c.port = "0";  // Cilium's "every port of this protocol"
        break;
      case net::Port::Kind::Number:
        c.port = std::to_string(p.first);
        break;
      case net::Port::Kind::Range:
        c.port = std::to_string(p.first);
        c.end_port = p.last;
        break;
      case net::Port::Kind::Named:
        c.port = p.name;
        break;
    }
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(std::move(c));
  }
  return out;
}

// toPorts entries of at most kMaxPortsPerEntry ports each, every one with the same L7 rules.
std::vector<PortRule> to_ports(const std::vector<net::Port>& ports, const std::vector<ir::HttpRule>& http) {
  std::vector<HttpRule> rules;
  for (const auto& h : http) {
    HttpRule r{h.method, h.path, h.host, h.headers};
    if (std::find(rules.begin(), rules.end(), r) == rules.end()) rules.push_back(std::move(r));
  }
  auto list = port_list(ports);
  std::vector<PortRule> out;
  for (std::size_t i = 0; i < list.size(); i += kMaxPortsPerEntry) {
    PortRule pr;
    auto end = std::min(list.size(), i + kMaxPortsPerEntry);
    pr.ports.assign(list.begin() + static_cast<std::ptrdiff_t>(i), list.begin() + static_cast<std::ptrdiff_t>(end));
    pr.http = rules;
    out.push_back(std::move(pr));
  }
  return out;
}

bool covers_53_tcp(const net::Port& p) {
  bool tcp = p.protocol == net::Protocol::TCP || p.protocol == net::Protocol::Any;
  bool range = p.kind == net::Port::Kind::Number || p.kind == net::Port::Kind::Range;
  return tcp && range && p.first <= 53 && 53 <= p.last;
}

FqdnSelector fqdn(const ir::Peer& p) {
  FqdnSelector f;
  (p.is_dns_pattern() ? f.match_pattern : f.match_name) = p.dns;
  return f;
}

PeerKind kind_of(const ir::Peer& p) {
  switch (p.kind) {
    case ir::Peer::Kind::Endpoint:
      return PeerKind::Endpoints;
    case ir::Peer::Kind::Cidr:
      return PeerKind::Cidrs;
    case ir::Peer::Kind::Entity:
      return PeerKind::Entities;
    case ir::Peer::Kind::DnsName:
      return PeerKind::Fqdns;
    case ir::Peer::Kind::Any:
      return PeerKind::Any;
  }
  return PeerKind::Endpoints;
}

template <typename T>
void add_unique(std::vector<T>& into, const T& v) {
  if (std::find(into.begin(), into.end(), v) == into.end()) into.push_back(v);
}

void add_peer(Rule& rule, const ir::Peer& p, const ir::Scope& scope) {
  switch (p.kind) {
    case ir::Peer::Kind::Endpoint:
      add_unique(rule.endpoints, endpoint_selector(p.endpoint, scope, false));
      break;
    case ir::Peer::Kind::Cidr: {
      CidrRule c;
      c.cidr = p.cidr.cidr.str();
      for (const auto& e : p.cidr.except) c.except.push_back(e.str());
      add_unique(rule.cidrs, c);
      break;
    }
    case ir::Peer::Kind::Entity:
      add_unique(rule.entities, p.entity);
      break;
    case ir::Peer::Kind::DnsName:
      add_unique(rule.fqdns, fqdn(p));
      break;
    case ir::Peer::Kind::Any:
      break;  // the rule's kind says it all
  }
}

// Peers of a rule that merges into `into`: same kind, same ports and L7 rules. `origins_seen`
// holds into.origins, which grows with every statement merged (thousands in a big namespace).
void merge_rule(Rule& into, const Rule& r, std::unordered_set<std::string>& origins_seen) {
  for (const auto& e : r.endpoints) add_unique(into.endpoints, e);
  for (const auto& c : r.cidrs) add_unique(into.cidrs, c);
  for (const auto& e : r.entities) add_unique(into.entities, e);
  for (const auto& f : r.fqdns) add_unique(into.fqdns, f);
  for (const auto& o : r.origins) {
    if (origins_seen.insert(o).second) into.origins.push_back(o);
  }
}

// ---------------------------------------------------------------------------------------------
// The lowering

struct Group {
  Policy policy;
  ir::Scope scope;
  ir::Endpoint subject;
  std::unordered_set<std::string> sources_seen;  // what policy.sources holds
  // The origins of each merged rule, by list (egress, ingress, egressDeny, ingressDeny) and place.
  std::map<std::pair<int, std::size_t>, std::unordered_set<std::string>> origins_seen;
};

class Lowering {
 public:
  Lowering(const ir::Program& prog, const SourceManager& sm, DiagnosticSink& sink) : prog_(prog), sm_(sm), sink_(sink) {}

  std::vector<emit::Object> run();

 private:
  bool expressible(const ir::Rule& r);
  bool tier_reported(const ir::Rule& r);
  std::set<std::pair<FileId, std::uint32_t>> tier_statements_;  // reported by tier_reported
  bool label_keys_ok(const ir::Endpoint& ep, const Span& where);
  void add(const ir::Rule& r);
  Group& group_for(const ir::Rule& r) { return group_for(r.scope, r.subject); }
  Group& group_for(const ir::Scope& scope, const ir::Endpoint& subject);
  void finish(Group& g);
  bool l7_conflicts();
  std::vector<Policy> default_denies();
  void named(std::vector<Policy>& objects, std::vector<emit::Object>& out);

  const ir::Program& prog_;
  const SourceManager& sm_;
  DiagnosticSink& sink_;
  std::deque<Group> groups_;  // not a vector: growing one copied every Group (hash sets, maps)
  std::map<std::pair<ir::Scope, ir::Endpoint>, std::size_t> group_index_;
};

// Cilium validates each selector key with its source prefixed ("any.KEY", "k8s.KEY") as a
// Kubernetes qualified name, so a key that is valid for Kubernetes can be too long for Cilium.
bool Lowering::label_keys_ok(const ir::Endpoint& ep, const Span& where) {
  bool ok = true;
  auto check = [&](const std::string& key, const std::string& cilium_key) {
    std::string extended = cilium_key;
    auto colon = extended.find(':');
    extended = colon == std::string::npos ? "any." + extended : extended.replace(colon, 1, ".");
    auto why = net::check_label_key(extended);
    if (why.empty()) return;
    sink_.error(Code::E0507, where, fmt::format("the label key '{}' is too long for Cilium, which checks it as '{}': {}", key, extended, why))
        .hint(
            "Cilium prefixes the label source: a pod label key without a '/' prefix may have at most 59 characters, a namespace label key at "
            "most 28; give the key a DNS prefix (example.com/KEY) or shorten it");
    ok = false;
  };
  for (const auto& r : ep.pods.reqs) check(r.key, r.key);
  if (ep.ns.kind == ir::NamespaceSel::Kind::Selector) {
    for (const auto& r : ep.ns.selector.reqs) check(r.key, namespace_label_key(r.key));
  }
  return ok;
}

// A statement of an `admin` or `baseline` block: the target has no tiers. Reported once per
// statement; always false.
bool Lowering::tier_reported(const ir::Rule& r) {
  if (!tier_statements_.insert({r.origin.statement.file, r.origin.statement.begin}).second) return false;
  const char* word = r.tier == ir::Tier::Admin ? "an `admin`" : "a `baseline`";
  auto& d = sink_.error(Code::E0509, r.origin.statement, fmt::format("a statement of {} block cannot be expressed as Cilium's policies, which have no tiers", word));
  if (r.tier_block >= 0 && static_cast<std::size_t>(r.tier_block) < prog_.tier_blocks.size()) {
    d.note(prog_.tier_blocks[static_cast<std::size_t>(r.tier_block)].span, fmt::format("the {} block is here", r.tier == ir::Tier::Admin ? "admin" : "baseline"));
  }
  d.hint("compile with --target cnp (ClusterNetworkPolicy) or --target calico, which have tiers");
  return false;
}

bool Lowering::expressible(const ir::Rule& r) {
  if (r.origin.implied) return true;  // its statement's own rule reports any problem once
  if (r.tier != ir::Tier::Namespace) return tier_reported(r);
  bool ok = label_keys_ok(r.subject, r.subject_span);
  bool deny = r.action == ir::Action::Deny;
  for (const auto& p : r.peers) {
    auto where = p.span.valid() ? p.span : r.origin.target;
    if (p.kind == ir::Peer::Kind::Endpoint) ok = label_keys_ok(p.endpoint, p.span) && ok;
    if (p.kind == ir::Peer::Kind::Entity && std::find(std::begin(kCrdEntities), std::end(kCrdEntities), p.entity) == std::end(kCrdEntities)) {
      sink_
          .error(Code::E0508, where,
                 fmt::format("the CiliumNetworkPolicy schema (Cilium 1.18) has no entity '{}', so the API server would refuse the policy", p.entity))
          .hint("write `entity world` for both address families, or the CIDR of one: 0.0.0.0/0 or ::/0");
      ok = false;
    }
    if (p.kind != ir::Peer::Kind::DnsName) continue;
    if (deny) {
      sink_.error(Code::E0505, where, fmt::format("Cilium cannot deny traffic to the DNS name '{}': its deny rules have no toFQDNs", p.dns))
          .hint("deny the service's CIDR instead; under a default deny, a name no `may reach` allows is denied already");
      ok = false;
    } else if (r.direction == ir::Direction::Ingress) {
      sink_.error(Code::E0503, where, fmt::format("'{}' is a DNS name, which Cilium matches only as a destination (toFQDNs), not as a source", p.dns))
          .hint("name the sources by CIDR, or by an entity such as `entity world`");
      ok = false;
    }
  }
  if (r.http.empty()) return ok;
  const auto& http_span = r.http.front().span;
  if (deny) {
    sink_.error(Code::E0504, r.origin.target, "Cilium's deny rules stop at ports: a deny cannot have HTTP rules")
        .note(http_span, "the HTTP rules are here")
        .hint("deny the whole port, or allow only the requests you want with `may reach ... http ...`");
    return false;
  }
  if (r.ports.empty()) {
    sink_.error(Code::E0502, r.origin.target, "Cilium applies HTTP rules to given ports only, and these rules have none")
        .note(http_span, "the HTTP rules are here")
        .hint("give the port the HTTP traffic uses, e.g. payments:8080 http GET \"/\"");
    return false;
  }
  for (const auto& p : r.ports) {
    if (p.kind == net::Port::Kind::All) {
      sink_
          .error(Code::E0502, r.origin.target,
                 fmt::format("Cilium cannot apply HTTP rules to every port ({}): L7 rules need a port number, range or name", p.str()))
          .note(http_span, "the HTTP rules are here")
          .hint("give the port the HTTP traffic uses, e.g. payments:8080 http GET \"/\"");
      ok = false;
    } else if (p.protocol != net::Protocol::TCP) {
      sink_
          .error(Code::E0501, r.origin.target,
                 fmt::format("Cilium applies HTTP rules to TCP ports only, but {} is {}", p.str(), net::protocol_name(p.protocol)))
          .note(http_span, "the HTTP rules are here")
          .hint("HTTP runs over TCP, Fence's default protocol: write the port without `/udp`, `/sctp` or `/any`");
      ok = false;
    }
  }
  return ok;
}

Group& Lowering::group_for(const ir::Scope& scope, const ir::Endpoint& subject) {
  auto [it, fresh] = group_index_.try_emplace({scope, subject}, groups_.size());
  if (!fresh) return groups_[it->second];
  Group g;
  g.scope = scope;
  g.subject = subject;
  g.policy.cluster_wide = scope.cluster;
  g.policy.ns = scope.cluster ? std::string() : scope.ns;
  g.policy.endpoint_selector = endpoint_selector(subject, scope, true);
  groups_.push_back(std::move(g));
  return groups_.back();
}

void Lowering::add(const ir::Rule& r) {
  auto& g = group_for(r);
  auto& p = g.policy;
  bool egress = r.direction == ir::Direction::Egress;
  auto& list = r.action == ir::Action::Allow ? (egress ? p.egress : p.ingress) : (egress ? p.egress_deny : p.ingress_deny);
  int list_id = (r.action == ir::Action::Allow ? 0 : 2) + (egress ? 0 : 1);
  auto ports = to_ports(r.ports, r.http);
  auto origin = origin_comment(sm_, r);
  add_source(p.sources, g.sources_seen, line_of(sm_, r.origin.statement));

  // The agent takes one kind of peer per rule: endpoints, CIDRs, entities and DNS names each get
  // rules of their own, in the order the statement names them.
  std::vector<Rule> parts;
  for (const auto& peer : r.peers) {
    auto kind = kind_of(peer);
    auto part = std::find_if(parts.begin(), parts.end(), [&](const Rule& x) { return x.kind == kind; });
    if (part == parts.end()) {
      Rule fresh;
      fresh.kind = kind;
      fresh.to_ports = ports;
      fresh.origins.push_back(origin);
      parts.push_back(std::move(fresh));
      part = parts.end() - 1;
    }
    add_peer(*part, peer, r.scope);
  }
  // Rules with the same peer kind, ports and L7 rules merge: their peers are alternatives.
  for (auto& part : parts) {
    auto same = std::find_if(list.begin(), list.end(), [&](const Rule& x) { return x.kind == part.kind && x.to_ports == part.to_ports; });
    if (same != list.end()) {
      auto at = static_cast<std::size_t>(same - list.begin());
      auto [seen, fresh] = g.origins_seen.try_emplace({list_id, at});
      if (fresh) seen->second.insert(same->origins.begin(), same->origins.end());
      merge_rule(*same, part, seen->second);
    } else {
      list.push_back(std::move(part));
    }
  }
}

// toFQDNs enforces nothing unless the DNS proxy sees the lookups: every policy that names DNS
// destinations also sends its subject's lookups of those names through the proxy.
void Lowering::finish(Group& g) {
  auto& p = g.policy;
  std::vector<FqdnSelector> names;  // in the order the program names them
  for (const auto& r : p.egress) {
    for (const auto& f : r.fqdns) add_unique(names, f);
  }
  if (!names.empty()) {
    Rule dns;
    dns.kind = PeerKind::Endpoints;
    dns.endpoints.push_back(kube_dns());
    PortRule pr;
    pr.ports = {PortProtocol{"53", std::nullopt, "UDP"}, PortProtocol{"53", std::nullopt, "TCP"}};
    pr.dns = names;
    dns.to_ports.push_back(std::move(pr));
    dns.origins.push_back("the DNS-proxy rule toFQDNs needs: Cilium learns the addresses of these names from the lookups it sees here");
    p.egress.push_back(std::move(dns));
  }
  // A direction with denies but no allows must not put the pods into default deny: the deny
  // takes traffic away, it does not isolate (a default deny, where written, does that).
  if (!p.egress_deny.empty() && p.egress.empty() && !p.deny_all_egress) p.default_deny_egress = false;
  if (!p.ingress_deny.empty() && p.ingress.empty() && !p.deny_all_ingress) p.default_deny_ingress = false;
}

// Cilium merges every rule for one port of an endpoint into one filter with one L7 parser: HTTP
// rules cannot share TCP port 53 with the DNS proxy's rules of any policy selecting the same pods.
// Worked out from the rules alone, before any policy is built: the policies are then built one
// scope at a time, and this check looks across all of them.
bool Lowering::l7_conflicts() {
  auto http_on_53 = [](const ir::Rule& r) {
    return r.direction == ir::Direction::Egress && r.action == ir::Action::Allow && !r.http.empty() &&
           std::any_of(r.ports.begin(), r.ports.end(), covers_53_tcp);
  };
  if (std::none_of(prog_.rules.begin(), prog_.rules.end(), http_on_53)) return true;
  // The policies in the order they are first made (the order of their first rules), each with its
  // HTTP rules on port 53 and the first DNS name it reaches.
  struct Summary {
    const ir::Endpoint* subject = nullptr;
    const ir::Peer* first_fqdn = nullptr;
    std::vector<const ir::Rule*> http_on_53;
  };
  std::vector<Summary> groups;
  std::map<std::pair<ir::Scope, ir::Endpoint>, std::size_t> index;
  for (const auto& r : prog_.rules) {
    auto [it, fresh] = index.try_emplace({r.scope, r.subject}, groups.size());
    if (fresh) groups.push_back(Summary{&r.subject, nullptr, {}});
    auto& g = groups[it->second];
    for (const auto& peer : r.peers) {
      if (peer.kind == ir::Peer::Kind::DnsName && g.first_fqdn == nullptr) g.first_fqdn = &peer;
    }
    if (http_on_53(r)) g.http_on_53.push_back(&r);
  }
  bool ok = true;
  for (const auto& with_http : groups) {
    for (const auto* r : with_http.http_on_53) {
      for (const auto& with_dns : groups) {
        if (with_dns.first_fqdn == nullptr || !may_overlap(*with_http.subject, *with_dns.subject)) continue;
        sink_
            .error(Code::E0506, r->origin.target,
                   "HTTP rules on TCP port 53 clash with the DNS proxy's rules for the same pods: Cilium allows one kind of L7 rule per port")
            .note(with_dns.first_fqdn->span, "this DNS name sends the pods' lookups on port 53 through the DNS proxy")
            .hint("drop the HTTP rules from port 53, or reach the DNS name from other pods");
        ok = false;
        break;
      }
    }
  }
  return ok;
}

std::vector<Policy> Lowering::default_denies() {
  std::vector<Policy> out;
  for (const auto& dd : prog_.default_denies) {
    if (!dd.whole()) continue;  // in the subject's own policy (see run)
    Policy p;
    p.cluster_wide = dd.scope.cluster;
    p.ns = dd.scope.cluster ? std::string() : dd.scope.ns;
    // Cluster-wide, "all pods" are the pods of every namespace, not Cilium's own endpoints
    // (health, ingress) that carry no namespace.
    if (dd.scope.cluster) add_any_namespace(p.endpoint_selector);
    p.deny_all_egress = dd.egress;
    p.deny_all_ingress = dd.ingress;
    p.name = dd.egress && dd.ingress ? "default-deny-all" : dd.egress ? "default-deny-egress" : "default-deny-ingress";
    auto same =
        std::find_if(out.begin(), out.end(), [&](const Policy& x) { return x.name == p.name && x.ns == p.ns && x.cluster_wide == p.cluster_wide; });
    if (same != out.end()) {
      add_source(same->sources, line_of(sm_, dd.span));
      continue;
    }
    add_source(p.sources, line_of(sm_, dd.span));
    out.push_back(std::move(p));
  }
  return out;
}

// The object's name: the subject's slug, with its namespace in front for cluster-wide objects
// whose subject lies in some namespaces; a hash tells apart names that would collide.
std::string base_name(const Group& g) {
  auto slug = subject_slug(g.subject.pods);
  if (!g.scope.cluster) return slug;
  switch (g.subject.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      return slugify(g.subject.ns.name + "-" + slug, 200);
    case ir::NamespaceSel::Kind::Selector:
      return slugify(g.subject.ns.str() + "-" + slug, 200);
    case ir::NamespaceSel::Kind::Any:
      break;
  }
  return slug;
}

// One scope's objects (`objects` holds its default denies), named, written and freed.
void Lowering::named(std::vector<Policy>& objects, std::vector<emit::Object>& out) {
  std::set<std::string> reserved;
  for (const auto& d : objects) reserved.insert(d.name);
  std::map<std::string, int> count;
  for (const auto& g : groups_) ++count[base_name(g)];
  for (auto& g : groups_) {
    auto base = base_name(g);
    g.policy.name = count[base] > 1 || reserved.count(base) ? fmt::format("{}-{}", base, short_hash(g.subject.str())) : base;
    objects.push_back(std::move(g.policy));
  }
  // The groups and their indexes are done with: free them before the objects are written.
  std::deque<Group>().swap(groups_);
  group_index_.clear();
  for (auto& p : objects) {
    cap_sources(p.sources);
    out.push_back(to_object(p));
    emit::seal(out.back());
    p = Policy{};
  }
}

std::vector<emit::Object> Lowering::run() {
  bool ok = true;
  for (const auto& r : prog_.rules) ok = expressible(r) && ok;
  if (!ok) return {};
  for (const auto& dd : prog_.default_denies) {
    if (!dd.whole()) ok = label_keys_ok(*dd.subject, dd.subject_span) && ok;
  }
  if (!ok) return {};
  if (!l7_conflicts()) return {};

  // The objects, one scope at a time (the cluster's first, then each namespace's, in name order,
  // as they are written), so that only one scope's policies are being built at any time. A
  // scope's rules come from all over the program (the ingress side of another namespace's
  // `may reach`): they are gathered first, each scope's in program order.
  struct Work {
    std::vector<std::uint32_t> rules;
    std::vector<std::uint32_t> partial_denies;  // default denies for some pods
    std::vector<Policy> denies;                 // objects of whole default denies
  };
  std::map<std::pair<bool, std::string>, Work> by_scope;
  {
    Work* last = nullptr;
    const ir::Scope* last_scope = nullptr;
    auto work = [&](const ir::Scope& scope) -> Work& {
      if (last == nullptr || !(*last_scope == scope)) {
        last = &by_scope[{!scope.cluster, scope.cluster ? std::string() : scope.ns}];
        last_scope = &scope;
      }
      return *last;
    };
    for (std::size_t i = 0; i < prog_.rules.size(); ++i) work(prog_.rules[i].scope).rules.push_back(static_cast<std::uint32_t>(i));
    for (std::size_t i = 0; i < prog_.default_denies.size(); ++i) {
      if (!prog_.default_denies[i].whole()) work(prog_.default_denies[i].scope).partial_denies.push_back(static_cast<std::uint32_t>(i));
    }
  }
  for (auto& d : default_denies()) by_scope[{!d.cluster_wide, d.ns}].denies.push_back(std::move(d));

  std::vector<emit::Object> out;
  for (auto& [key, w] : by_scope) {
    for (auto i : w.rules) add(prog_.rules[i]);
    // A default deny for some pods: an empty rule in their policy, as for a whole namespace.
    for (auto i : w.partial_denies) {
      const auto& dd = prog_.default_denies[i];
      auto& g = group_for(dd.scope, *dd.subject);
      g.policy.deny_all_egress = g.policy.deny_all_egress || dd.egress;
      g.policy.deny_all_ingress = g.policy.deny_all_ingress || dd.ingress;
      add_source(g.policy.sources, g.sources_seen, line_of(sm_, dd.span));
    }
    for (auto& g : groups_) finish(g);
    named(w.denies, out);
    w = Work{};
  }
  return out;
}

}  // namespace

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink) {
  Lowering l(program, sm, sink);
  return l.run();
}

}  // namespace fence::lower::cilium
