#include "analyze/match.h"

#include <algorithm>

#include "net/cidr_set.h"

namespace fence::analyze {

void add_caveats(Caveats& into, const Caveats& from) {
  for (const auto& c : from) {
    if (std::find(into.begin(), into.end(), c) == into.end()) into.push_back(c);
  }
}

namespace {

bool requirement_holds(const net::Requirement& r, const Labels& labels) {
  auto it = labels.find(r.key);
  bool has = it != labels.end();
  auto in_values = [&] { return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end(); };
  switch (r.op) {
    case net::SelOp::Equals:
    case net::SelOp::In:
      return in_values();
    case net::SelOp::NotEquals:
    case net::SelOp::NotIn:
      return !in_values();
    case net::SelOp::Exists:
      return has;
    case net::SelOp::DoesNotExist:
      return !has;
  }
  return false;
}

// Alternatives: the answer is their disjunction; the caveats of the undecided ones are kept only
// when nothing decided the question.
template <typename Items, typename F>
Tri any_of(const Items& items, Caveats& caveats, F&& one) {
  Tri result = Tri::No;
  Caveats undecided;
  for (const auto& item : items) {
    Caveats local;
    Tri t = one(item, local);
    if (t == Tri::Maybe) add_caveats(undecided, local);
    result = tri_or(result, t);
    if (result == Tri::Yes) return Tri::Yes;
  }
  if (result == Tri::Maybe) add_caveats(caveats, undecided);
  return result;
}

Tri namespace_matches(const ir::NamespaceSel& sel, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  switch (sel.kind) {
    case ir::NamespaceSel::Kind::Named:
      return tri(sel.name == ep.ns);
    case ir::NamespaceSel::Kind::Any:
      return Tri::Yes;
    case ir::NamespaceSel::Kind::Selector: {
      bool holds = selector_matches(sel.selector, ep.known_ns_labels());
      if (ep.ns_labels) return tri(holds);
      bool only_name =
          std::all_of(sel.selector.reqs.begin(), sel.selector.reqs.end(), [](const net::Requirement& r) { return r.key == kNamespaceNameLabel; });
      if (only_name) return tri(holds);
      caveats.push_back(Caveat{Caveat::Kind::NamespaceLabels, ep.ns, sel.str(), ctx.rule});
      return Tri::Maybe;
    }
  }
  return Tri::No;
}

// An address-matching peer (CIDR) against an endpoint whose address may be unknown.
Tri block_matches(const ir::CidrBlock& block, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  if (ep.kind == Endpoint::Kind::Entity) {
    // An entity's addresses are Cilium's to know.
    if (ep.entity == "none") return Tri::No;
    caveats.push_back(Caveat{Caveat::Kind::Entity, ep.str(), block.str(), ctx.rule});
    return Tri::Maybe;
  }
  if (ep.address) {
    Tri t = ep.except.empty() ? block_holds(block, *ep.address) : block_holds(block, *ep.address, ep.except);
    if (t == Tri::Maybe) caveats.push_back(Caveat{Caveat::Kind::PartialBlock, ep.str(), block.str(), ctx.rule});
    return t;
  }
  if (ep.kind == Endpoint::Kind::Pod && !ctx.program.pod_cidrs.empty()) {
    // The pod's address lies in one of the declared pod CIDRs.
    Tri t = Tri::No;
    for (const auto& pc : ctx.program.pod_cidrs) t = tri_or(t, block_holds(block, pc));
    bool all = std::all_of(ctx.program.pod_cidrs.begin(), ctx.program.pod_cidrs.end(),
                           [&](const net::Cidr& pc) { return block_holds(block, pc) == Tri::Yes; });
    if (all) return Tri::Yes;
    if (t == Tri::No) return Tri::No;
  } else if (ep.kind == Endpoint::Kind::Pod && ctx.assume_pods_outside_cidrs) {
    return Tri::No;
  }
  caveats.push_back(Caveat{ep.kind == Endpoint::Kind::Pod ? Caveat::Kind::PodAddress : Caveat::Kind::DnsAddress, ep.str(), block.str(), ctx.rule});
  return Tri::Maybe;
}

bool is_world(std::string_view e) {
  return e == "world" || e == "world-ipv4" || e == "world-ipv6";
}

// A rule's entity against an entity asked about (fence graph's nodes): the same entity, or one
// that holds it, matches; entities that are surely apart do not; the rest depends on Cilium.
Tri entity_holds(const std::string& rule, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  const std::string& e = ep.entity;
  if (rule == "none" || e == "none") return Tri::No;
  if (rule == e || rule == "all") return Tri::Yes;
  if (rule == "world" && is_world(e)) return Tri::Yes;
  if (is_world(rule) != is_world(e) && rule != "all" && e != "all") return Tri::No;  // outside the cluster, or in it
  if (is_world(rule) && is_world(e) && e != "world") return Tri::No;                // world-ipv4 against world-ipv6
  caveats.push_back(Caveat{Caveat::Kind::Entity, ep.str(), "entity " + rule, ctx.rule});
  return Tri::Maybe;
}

Tri entity_matches(const std::string& entity, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  if (ep.kind == Endpoint::Kind::Entity) return entity_holds(entity, ep, ctx, caveats);
  bool pod = ep.kind == Endpoint::Kind::Pod;
  if (entity == "all") return Tri::Yes;
  if (entity == "none") return Tri::No;
  if (entity == "cluster") {
    if (pod) return Tri::Yes;
  } else if (entity == "world" || entity == "world-ipv4" || entity == "world-ipv6") {
    if (pod) return Tri::No;
    if (entity != "world" && ep.address) {
      return tri((ep.address->family == net::Family::V4) == (entity == "world-ipv4"));
    }
    if (ep.kind == Endpoint::Kind::Dns || ep.address) {
      // Outside the cluster, unless the address is a node's or the API server's.
      bool in_cluster = false;
      for (const auto* v : {&ctx.program.pod_cidrs, &ctx.program.service_cidrs}) {
        for (const auto& c : *v) in_cluster = in_cluster || (ep.address && c.overlaps(*ep.address));
      }
      if (!in_cluster && entity == "world") return Tri::Yes;
    }
  } else if (pod) {
    return Tri::No;  // host, remote-node, kube-apiserver, health, init, ingress, unmanaged: not workload pods
  }
  caveats.push_back(Caveat{Caveat::Kind::Entity, ep.str(), "entity " + entity, ctx.rule});
  return Tri::Maybe;
}

Tri port_matches(const net::Port& p, const QueryPort& q, bool destination_is_pod, const MatchContext& ctx, Caveats& caveats) {
  if (p.protocol != net::Protocol::Any && p.protocol != q.protocol) return Tri::No;
  switch (p.kind) {
    case net::Port::Kind::All:
      return Tri::Yes;
    case net::Port::Kind::Number:
    case net::Port::Kind::Range:
      if (q.number) return tri(*q.number >= p.first && *q.number <= p.last);
      caveats.push_back(Caveat{Caveat::Kind::PortNumber, q.str(), p.str(), ctx.rule});
      return Tri::Maybe;
    case net::Port::Kind::Named:
      if (!destination_is_pod) return Tri::No;
      if (q.name) return tri(*q.name == p.name);
      caveats.push_back(Caveat{Caveat::Kind::PortName, q.str(), p.str(), ctx.rule});
      return Tri::Maybe;
  }
  return Tri::No;
}

// '*' matches any run of characters other than '.'.
bool glob_without_dots(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] != '*') return !name.empty() && name[0] == pattern[0] && glob_without_dots(pattern.substr(1), name.substr(1));
  for (std::size_t k = 0;; ++k) {
    if (glob_without_dots(pattern.substr(1), name.substr(k))) return true;
    if (k == name.size() || name[k] == '.') return false;
  }
}

}  // namespace

bool selector_matches(const net::LabelSelector& selector, const Labels& labels) {
  return std::all_of(selector.reqs.begin(), selector.reqs.end(), [&](const net::Requirement& r) { return requirement_holds(r, labels); });
}

Tri block_holds(const ir::CidrBlock& block, const net::Cidr& what, const std::vector<net::Cidr>& what_except) {
  auto held = net::CidrSet::of(block.cidr, block.except);
  auto asked = net::CidrSet::of(what, what_except);
  if (held.contains(asked)) return Tri::Yes;
  return held.overlaps(asked) ? Tri::Maybe : Tri::No;
}

Tri block_holds(const ir::CidrBlock& block, const net::Cidr& what) {
  if (!block.cidr.overlaps(what)) return Tri::No;
  if (!block.cidr.contains(what)) return Tri::Maybe;  // `what` is larger than the block
  for (const auto& e : block.except) {
    if (e.contains(what)) return Tri::No;
    if (what.contains(e)) return Tri::Maybe;
  }
  return Tri::Yes;
}

bool dns_pattern_matches(std::string_view pattern, std::string_view name) {
  return pattern == "*" || glob_without_dots(pattern, name);
}

Tri endpoint_matches(const ir::Endpoint& sel, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  if (ep.kind != Endpoint::Kind::Pod) return Tri::No;
  if (!selector_matches(sel.pods, ep.labels)) return Tri::No;
  return namespace_matches(sel.ns, ep, ctx, caveats);
}

Tri peer_matches(const ir::Peer& peer, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  switch (peer.kind) {
    case ir::Peer::Kind::Endpoint:
      if (ep.kind == Endpoint::Kind::Entity) {
        // Pods are in the cluster; whether an entity holds these pods is Cilium's to know.
        if (ep.entity != "cluster" && ep.entity != "all") return Tri::No;
        caveats.push_back(Caveat{Caveat::Kind::Entity, ep.str(), peer.endpoint.str(), ctx.rule});
        return Tri::Maybe;
      }
      return endpoint_matches(peer.endpoint, ep, ctx, caveats);
    case ir::Peer::Kind::Cidr:
      return block_matches(peer.cidr, ep, ctx, caveats);
    case ir::Peer::Kind::DnsName:
      if (ep.kind == Endpoint::Kind::Entity && (is_world(ep.entity) || ep.entity == "all")) {
        // The name's addresses are some of the entity's.
        caveats.push_back(Caveat{Caveat::Kind::Entity, ep.str(), peer.dns, ctx.rule});
        return Tri::Maybe;
      }
      if (ep.kind != Endpoint::Kind::Dns) return Tri::No;
      return tri(peer.is_dns_pattern() ? dns_pattern_matches(peer.dns, ep.dns) : peer.dns == ep.dns);
    case ir::Peer::Kind::Entity:
      return entity_matches(peer.entity, ep, ctx, caveats);
  }
  return Tri::No;
}

Tri peers_match(const std::vector<ir::Peer>& peers, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats) {
  return any_of(peers, caveats, [&](const ir::Peer& p, Caveats& local) { return peer_matches(p, ep, ctx, local); });
}

Tri ports_match(const std::vector<net::Port>& ports, const QueryPort& q, bool destination_is_pod, const MatchContext& ctx, Caveats& caveats) {
  if (ports.empty()) return Tri::Yes;
  return any_of(ports, caveats, [&](const net::Port& p, Caveats& local) { return port_matches(p, q, destination_is_pod, ctx, local); });
}

Tri ports_cover(const std::vector<net::Port>& ports, const net::Port& item) {
  if (ports.empty()) return Tri::Yes;
  Tri result = Tri::No;
  for (const auto& p : ports) {
    if (p.protocol != net::Protocol::Any && p.protocol != item.protocol) continue;
    Tri t = Tri::No;
    switch (p.kind) {
      case net::Port::Kind::All:
        t = Tri::Yes;
        break;
      case net::Port::Kind::Number:
      case net::Port::Kind::Range:
        if (item.kind == net::Port::Kind::Number || item.kind == net::Port::Kind::Range) {
          t = tri(item.first >= p.first && item.last <= p.last);
        } else if (item.kind == net::Port::Kind::Named) {
          t = Tri::Maybe;  // depends on the number the pod gives that name
        }
        break;
      case net::Port::Kind::Named:
        if (item.kind == net::Port::Kind::Named) {
          t = tri(item.name == p.name);
        } else if (item.kind == net::Port::Kind::Number) {
          t = Tri::Maybe;  // depends on whether the pod names that port so
        }
        break;
    }
    result = tri_or(result, t);
  }
  return result;
}

}  // namespace fence::analyze
