#include "lower/k8s/lower.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "lower/k8s/model.h"
#include "lower/naming.h"
#include "lower/origin.h"

namespace fence::lower::k8s {

namespace {

LabelSelector selector(const net::LabelSelector& s) {
  return to_label_selector(s);
}

LabelSelector namespace_named(const std::string& name) {
  LabelSelector s;
  s.match_labels.emplace_back("kubernetes.io/metadata.name", name);
  return s;
}

// A peer as seen from a policy in namespace `home`.
Peer peer(const ir::Peer& p, const std::string& home) {
  Peer out;
  if (p.kind == ir::Peer::Kind::Cidr) {
    IPBlock b;
    b.cidr = p.cidr.cidr.str();
    for (const auto& e : p.cidr.except) b.except.push_back(e.str());
    out.ip_block = std::move(b);
    return out;
  }
  const auto& ep = p.endpoint;
  switch (ep.ns.kind) {
    case ir::NamespaceSel::Kind::Named:
      if (ep.ns.name == home) {
        out.pod_selector = selector(ep.pods);
        return out;
      }
      out.namespace_selector = namespace_named(ep.ns.name);
      break;
    case ir::NamespaceSel::Kind::Selector:
      out.namespace_selector = selector(ep.ns.selector);
      break;
    case ir::NamespaceSel::Kind::Any:
      out.namespace_selector = LabelSelector{};
      break;
  }
  // With a namespace selector, an empty pod selector adds nothing: leave it out.
  if (!ep.pods.selects_all()) out.pod_selector = selector(ep.pods);
  return out;
}

std::vector<Port> ports(const std::vector<net::Port>& in) {
  std::vector<Port> out;
  for (const auto& p : in) {
    Port k;
    k.protocol = std::string(net::protocol_name(p.protocol));
    switch (p.kind) {
      case net::Port::Kind::All:
        break;
      case net::Port::Kind::Number:
        k.number = p.first;
        break;
      case net::Port::Kind::Range:
        k.number = p.first;
        k.end_port = p.last;
        break;
      case net::Port::Kind::Named:
        k.name = p.name;
        break;
    }
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
  }
  return out;
}

class Lowering {
 public:
  Lowering(const ir::Program& prog, const SourceManager& sm, const Options& opt, DiagnosticSink& sink)
      : prog_(prog), sm_(sm), opt_(opt), sink_(sink) {}

  std::vector<emit::Object> run();

 private:
  bool expressible(const ir::Rule& r);
  bool expressible(const ir::DefaultDeny& dd);
  void error_at(Code code, const ir::Rule& r, const Span& inner, std::string message, std::string hint);
  std::string origin_comment(const ir::Rule& r) const;

  const ir::Program& prog_;
  const SourceManager& sm_;
  const Options& opt_;
  DiagnosticSink& sink_;
};

void Lowering::error_at(Code code, const ir::Rule& r, const Span& inner, std::string message, std::string hint) {
  auto& d = sink_.error(code, r.origin.target.valid() ? r.origin.target : r.origin.statement, std::move(message));
  if (inner.valid() && !(inner == r.origin.target)) d.note(inner, "defined here");
  if (!hint.empty()) d.hint(std::move(hint));
}

bool Lowering::expressible(const ir::Rule& r) {
  if (r.origin.implied) return true;  // its statement's own rule reports any problem once
  bool ok = true;
  if (r.scope.cluster) {
    sink_
        .error(Code::E0404, r.origin.statement,
               "a cluster-wide statement cannot be expressed as a Kubernetes NetworkPolicy, which lives in one namespace")
        .hint("compile with --target cilium for a CiliumClusterwideNetworkPolicy, or repeat the statement in each namespace block");
    return false;
  }
  for (const auto& p : r.peers) {
    if (p.kind == ir::Peer::Kind::DnsName) {
      error_at(Code::E0401, r, p.span, fmt::format("NetworkPolicy cannot match the DNS name '{}': it matches addresses and pods only", p.dns),
               "compile with --target cilium (toFQDNs), or write the service's CIDR");
      ok = false;
    } else if (p.kind == ir::Peer::Kind::Entity) {
      error_at(Code::E0403, r, p.span, fmt::format("NetworkPolicy has no entity '{}': entities are Cilium's", p.entity),
               "compile with --target cilium, or write the CIDR the entity stands for");
      ok = false;
    }
  }
  for (const auto& p : r.ports) {
    if (p.protocol == net::Protocol::Any) {
      error_at(Code::E0405, r, Span{}, fmt::format("NetworkPolicy has no protocol `any` (in {})", p.str()),
               "list the protocols, e.g. :{53/udp, 53/tcp}, or compile with --target cilium");
      ok = false;
    }
  }
  if (!r.http.empty()) {
    if (opt_.allow_l4_fallback) {
      sink_.warning(Code::W0407, r.origin.target, "HTTP rules are dropped for NetworkPolicy: this allows every request on these ports")
          .note(r.http.front().span, "the rules are here")
          .hint("--target cilium enforces them");
    } else {
      error_at(Code::E0402, r, r.http.front().span, "NetworkPolicy cannot express HTTP rules: it stops at ports",
               "compile with --target cilium, or pass --allow-l4-fallback to allow the whole port, with a warning");
      ok = false;
    }
  }
  if (r.action == ir::Action::Deny) {
    error_at(Code::E0406, r, Span{}, "NetworkPolicy cannot express this deny", "compile with --target cilium (egressDeny / ingressDeny)");
    ok = false;
  }
  return ok;
}

bool Lowering::expressible(const ir::DefaultDeny& dd) {
  if (!dd.scope.cluster) return true;
  sink_.error(Code::E0404, dd.span, "a cluster-wide default deny cannot be expressed as a Kubernetes NetworkPolicy")
      .hint("compile with --target cilium, or write `default deny` in each namespace block");
  return false;
}

std::string Lowering::origin_comment(const ir::Rule& r) const {
  return lower::origin_comment(sm_, r);
}

std::vector<emit::Object> Lowering::run() {
  struct Group {
    NetworkPolicy policy;
    ir::Endpoint subject;
    ir::Direction direction;
    std::size_t first_seen;
  };
  std::map<std::string, std::vector<Group>> by_ns;  // namespace -> groups in order of appearance
  std::size_t seen = 0;

  auto find_group = [&](const std::string& ns, const ir::Endpoint& subject, ir::Direction dir) -> Group& {
    auto& groups = by_ns[ns];
    for (auto& g : groups) {
      if (g.direction == dir && g.subject == subject) return g;
    }
    Group g;
    g.subject = subject;
    g.direction = dir;
    g.first_seen = seen++;
    g.policy.ns = ns;
    g.policy.pod_selector = selector(subject.pods);
    g.policy.egress_type = dir == ir::Direction::Egress;
    g.policy.ingress_type = dir == ir::Direction::Ingress;
    groups.push_back(std::move(g));
    return groups.back();
  };

  if (opt_.diagnostics_only) {
    // The same checks in the same order as below, where errors in rules end the lowering.
    bool rules_ok = true;
    for (const auto& r : prog_.rules) rules_ok = expressible(r) && rules_ok;
    if (rules_ok) {
      for (const auto& dd : prog_.default_denies) expressible(dd);
    }
    return {};
  }

  bool ok = true;
  for (const auto& r : prog_.rules) {
    if (!expressible(r)) {
      ok = false;
      continue;
    }
    if (r.action != ir::Action::Allow || r.scope.cluster) continue;
    auto& g = find_group(r.scope.ns, r.subject, r.direction);
    auto& rules = r.direction == ir::Direction::Egress ? g.policy.egress : g.policy.ingress;
    Rule rule;
    for (const auto& p : r.peers) {
      auto kp = peer(p, r.scope.ns);
      if (std::find(rule.peers.begin(), rule.peers.end(), kp) == rule.peers.end()) rule.peers.push_back(std::move(kp));
    }
    rule.ports = ports(r.ports);
    rule.origins.push_back(origin_comment(r));
    auto src = line_of(sm_, r.origin.statement);
    if (std::find(g.policy.sources.begin(), g.policy.sources.end(), src) == g.policy.sources.end()) g.policy.sources.push_back(src);
    // Rules with the same ports merge into one: their peers are alternatives either way.
    auto same_ports = std::find_if(rules.begin(), rules.end(), [&](const Rule& x) { return x.ports == rule.ports; });
    if (same_ports != rules.end()) {
      for (auto& p : rule.peers) {
        if (std::find(same_ports->peers.begin(), same_ports->peers.end(), p) == same_ports->peers.end()) same_ports->peers.push_back(std::move(p));
      }
      for (auto& o : rule.origins) {
        if (std::find(same_ports->origins.begin(), same_ports->origins.end(), o) == same_ports->origins.end())
          same_ports->origins.push_back(std::move(o));
      }
    } else {
      rules.push_back(std::move(rule));
    }
  }
  if (!ok) return {};

  // Default denies, one object per distinct (namespace, directions).
  std::map<std::string, std::vector<NetworkPolicy>> denies;
  for (const auto& dd : prog_.default_denies) {
    if (!expressible(dd)) {
      ok = false;
      continue;
    }
    NetworkPolicy p;
    p.ns = dd.scope.ns;
    p.egress_type = dd.egress;
    p.ingress_type = dd.ingress;
    p.name = dd.egress && dd.ingress ? "default-deny-all" : dd.egress ? "default-deny-egress" : "default-deny-ingress";
    auto& list = denies[p.ns];
    auto src = line_of(sm_, dd.span);
    auto same = std::find_if(list.begin(), list.end(), [&](const NetworkPolicy& x) { return x.name == p.name; });
    if (same != list.end()) {
      if (std::find(same->sources.begin(), same->sources.end(), src) == same->sources.end()) same->sources.push_back(src);
      continue;
    }
    p.sources.push_back(src);
    list.push_back(std::move(p));
  }
  if (!ok) return {};

  std::set<std::string> namespaces;
  for (const auto& [ns, _] : by_ns) namespaces.insert(ns);
  for (const auto& [ns, _] : denies) namespaces.insert(ns);

  std::vector<emit::Object> out;
  for (const auto& ns : namespaces) {
    std::vector<NetworkPolicy> objects = denies[ns];
    std::set<std::string> reserved;
    for (const auto& d : objects) reserved.insert(d.name);
    auto& groups = by_ns[ns];
    std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) { return a.first_seen < b.first_seen; });
    // Names: the subject's slug and the direction; where two differ only in what the slug lost,
    // both get a hash of their selector.
    std::map<std::string, int> count;
    std::vector<std::string> base;
    for (const auto& g : groups) {
      base.push_back(fmt::format("{}-{}", subject_slug(g.subject.pods), ir::direction_name(g.direction)));
      ++count[base.back()];
    }
    for (std::size_t i = 0; i < groups.size(); ++i) {
      auto& p = groups[i].policy;
      p.name = base[i];
      if (count[base[i]] > 1 || reserved.count(base[i])) {
        p.name = fmt::format("{}-{}", base[i], short_hash(groups[i].subject.pods.str()));
      }
      cap_sources(p.sources);
      objects.push_back(p);
    }
    for (const auto& p : objects) out.push_back(to_object(p));
  }
  return out;
}

}  // namespace

std::vector<emit::Object> lower(const ir::Program& program, const SourceManager& sm, const Options& options, DiagnosticSink& sink) {
  Lowering l(program, sm, options, sink);
  return l.run();
}

}  // namespace fence::lower::k8s
