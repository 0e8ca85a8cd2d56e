// Cilium policies as documents, keys in the order Cilium's documentation uses.
#include <fmt/format.h>

#include "lower/cilium/model.h"
#include "lower/origin.h"

namespace fence::lower::cilium {

namespace {

emit::Node fqdn_node(const FqdnSelector& f) {
  auto n = emit::Node::make_map();
  if (!f.match_name.empty()) n.set("matchName", emit::Node::string(f.match_name));
  if (!f.match_pattern.empty()) n.set("matchPattern", emit::Node::string(f.match_pattern));
  return n;
}

emit::Node http_node(const HttpRule& h) {
  auto n = emit::Node::make_map();
  if (!h.method.empty()) n.set("method", emit::Node::string(h.method));
  if (!h.path.empty()) n.set("path", emit::Node::string(h.path));
  if (!h.host.empty()) n.set("host", emit::Node::string(h.host));
  if (!h.headers.empty()) {
    auto& hs = n.set("headers", emit::Node::make_seq());
    for (const auto& x : h.headers) hs.push(emit::Node::string(x));
  }
  return n;
}

emit::Node port_rule_node(const PortRule& pr) {
  auto n = emit::Node::make_map();
  auto& ports = n.set("ports", emit::Node::make_seq());
  for (const auto& p : pr.ports) {
    auto pn = emit::Node::make_map();
    pn.set("port", emit::Node::string(p.port));
    if (p.end_port) pn.set("endPort", emit::Node::integer(*p.end_port));
    pn.set("protocol", emit::Node::string(p.protocol));
    ports.push(std::move(pn));
  }
  if (!pr.http.empty() || !pr.dns.empty()) {
    auto& rules = n.set("rules", emit::Node::make_map());
    if (!pr.http.empty()) {
      auto& http = rules.set("http", emit::Node::make_seq());
      for (const auto& h : pr.http) http.push(http_node(h));
    }
    if (!pr.dns.empty()) {
      auto& dns = rules.set("dns", emit::Node::make_seq());
      for (const auto& d : pr.dns) dns.push(fqdn_node(d));
    }
  }
  return n;
}

emit::Node rule_node(const Rule& r, bool ingress) {
  auto n = emit::Node::make_map();
  const char* from_to = ingress ? "from" : "to";
  switch (r.kind) {
    case PeerKind::Endpoints: {
      auto& list = n.set(fmt::format("{}Endpoints", from_to), emit::Node::make_seq());
      for (const auto& s : r.endpoints) list.push(to_node(s));
      break;
    }
    case PeerKind::Cidrs: {
      auto& list = n.set(fmt::format("{}CIDRSet", from_to), emit::Node::make_seq());
      for (const auto& c : r.cidrs) {
        auto cn = emit::Node::make_map();
        cn.set("cidr", emit::Node::string(c.cidr));
        if (!c.except.empty()) {
          auto& ex = cn.set("except", emit::Node::make_seq());
          for (const auto& e : c.except) ex.push(emit::Node::string(e));
        }
        list.push(std::move(cn));
      }
      break;
    }
    case PeerKind::Entities: {
      auto& list = n.set(fmt::format("{}Entities", from_to), emit::Node::make_seq());
      for (const auto& e : r.entities) list.push(emit::Node::string(e));
      break;
    }
    case PeerKind::Fqdns: {
      auto& list = n.set("toFQDNs", emit::Node::make_seq());
      for (const auto& f : r.fqdns) list.push(fqdn_node(f));
      break;
    }
    case PeerKind::Any:
      // Ports alone select every peer; without ports, a rule needs a peer to allow anything.
      if (r.to_ports.empty()) n.set(fmt::format("{}Entities", from_to), emit::Node::make_seq()).push(emit::Node::string("all"));
      break;
  }
  if (!r.to_ports.empty()) {
    auto& tp = n.set("toPorts", emit::Node::make_seq());
    for (const auto& pr : r.to_ports) tp.push(port_rule_node(pr));
  }
  n.comment = fmt::format("{}", fmt::join(r.origins, "\n"));
  return n;
}

void rules_into(emit::Node& spec, const char* key, const std::vector<Rule>& rules, bool ingress, bool deny_all) {
  if (rules.empty() && !deny_all) return;
  auto& list = spec.set(key, emit::Node::make_seq());
  if (deny_all) {
    auto empty = emit::Node::make_map();
    empty.comment = "a rule without peers allows nothing: the pods allow only what other policies allow";
    list.push(std::move(empty));
  }
  for (const auto& r : rules) list.push(rule_node(r, ingress));
}

}  // namespace

emit::Object to_object(const Policy& p) {
  auto o = object_header("cilium.io/v2", p.cluster_wide ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy", p.name,
                         p.cluster_wide ? std::string() : p.ns, "cilium", p.sources);
  auto& spec = o.doc.set("spec", emit::Node::make_map());
  spec.set("endpointSelector", to_node(p.endpoint_selector));
  if (p.default_deny_ingress || p.default_deny_egress) {
    auto& dd = spec.set("enableDefaultDeny", emit::Node::make_map());
    if (p.default_deny_ingress) dd.set("ingress", emit::Node::boolean(*p.default_deny_ingress));
    if (p.default_deny_egress) dd.set("egress", emit::Node::boolean(*p.default_deny_egress));
  }
  rules_into(spec, "ingress", p.ingress, true, p.deny_all_ingress);
  rules_into(spec, "ingressDeny", p.ingress_deny, true, false);
  rules_into(spec, "egress", p.egress, false, p.deny_all_egress);
  rules_into(spec, "egressDeny", p.egress_deny, false, false);
  return o;
}

}  // namespace fence::lower::cilium
