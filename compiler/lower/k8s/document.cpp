// NetworkPolicy objects as documents, keys in the order the Kubernetes documentation uses.
#include <fmt/format.h>

#include "lower/k8s/model.h"
#include "lower/origin.h"

namespace fence::lower::k8s {

namespace {

emit::Node rule_node(const Rule& r, const char* peers_key) {
  auto n = emit::Node::make_map();
  if (!r.peers.empty()) {
    auto& peers = n.set(peers_key, emit::Node::make_seq());
    for (const auto& p : r.peers) {
      auto pn = emit::Node::make_map();
      if (p.ip_block) {
        auto& ib = pn.set("ipBlock", emit::Node::make_map());
        ib.set("cidr", emit::Node::string(p.ip_block->cidr));
        if (!p.ip_block->except.empty()) {
          auto& ex = ib.set("except", emit::Node::make_seq());
          for (const auto& e : p.ip_block->except) ex.push(emit::Node::string(e));
        }
      }
      if (p.namespace_selector) pn.set("namespaceSelector", to_node(*p.namespace_selector));
      if (p.pod_selector) pn.set("podSelector", to_node(*p.pod_selector));
      peers.push(std::move(pn));
    }
  }
  if (!r.ports.empty()) {
    auto& ports = n.set("ports", emit::Node::make_seq());
    for (const auto& p : r.ports) {
      auto pn = emit::Node::make_map();
      pn.set("protocol", emit::Node::string(p.protocol));
      if (p.number) pn.set("port", emit::Node::integer(*p.number));
      if (p.name) pn.set("port", emit::Node::string(*p.name));
      if (p.end_port) pn.set("endPort", emit::Node::integer(*p.end_port));
      ports.push(std::move(pn));
    }
  }
  n.comment = fmt::format("{}", fmt::join(r.origins, "\n"));
  return n;
}

}  // namespace

emit::Object to_object(const NetworkPolicy& p) {
  auto o = object_header("networking.k8s.io/v1", "NetworkPolicy", p.name, p.ns, "k8s", p.sources);
  o.origins = p.origins;
  auto& spec = o.doc.set("spec", emit::Node::make_map());
  spec.set("podSelector", to_node(p.pod_selector));
  auto& types = spec.set("policyTypes", emit::Node::make_seq());
  if (p.ingress_type) types.push(emit::Node::string("Ingress"));
  if (p.egress_type) types.push(emit::Node::string("Egress"));
  if (!p.ingress.empty()) {
    auto& in = spec.set("ingress", emit::Node::make_seq());
    for (const auto& r : p.ingress) in.push(rule_node(r, "from"));
  }
  if (!p.egress.empty()) {
    auto& eg = spec.set("egress", emit::Node::make_seq());
    for (const auto& r : p.egress) eg.push(rule_node(r, "to"));
  }
  return o;
}

}  // namespace fence::lower::k8s
