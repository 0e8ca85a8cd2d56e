// NetworkPolicy objects as documents, keys in the order the Kubernetes documentation uses.
#include <fmt/format.h>

#include "lower/k8s/model.h"

namespace fence::lower::k8s {

emit::Node to_node(const LabelSelector& s) {
  auto n = emit::Node::make_map();
  if (!s.match_labels.empty()) {
    auto& ml = n.set("matchLabels", emit::Node::make_map());
    for (const auto& [k, v] : s.match_labels) ml.set(k, emit::Node::string(v));
  }
  if (!s.match_expressions.empty()) {
    auto& me = n.set("matchExpressions", emit::Node::make_seq());
    for (const auto& e : s.match_expressions) {
      auto x = emit::Node::make_map();
      x.set("key", emit::Node::string(e.key));
      x.set("operator", emit::Node::string(e.op));
      if (!e.values.empty()) {
        auto& vals = x.set("values", emit::Node::make_seq());
        for (const auto& v : e.values) vals.push(emit::Node::string(v));
      }
      me.push(std::move(x));
    }
  }
  return n;
}

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
  std::string comment;
  for (const auto& o : r.origins) {
    if (!comment.empty()) comment += "\n";
    comment += o;
  }
  n.comment = comment;
  return n;
}

}  // namespace

emit::Object to_object(const NetworkPolicy& p) {
  emit::Object o;
  o.api_version = "networking.k8s.io/v1";
  o.kind = "NetworkPolicy";
  o.name = p.name;
  o.ns = p.ns;
  o.target = "k8s";
  o.origins = p.origins;
  auto& d = o.doc;
  d.set("apiVersion", emit::Node::string(o.api_version));
  d.set("kind", emit::Node::string(o.kind));
  auto& meta = d.set("metadata", emit::Node::make_map());
  meta.set("name", emit::Node::string(p.name));
  meta.set("namespace", emit::Node::string(p.ns));
  meta.set("labels", emit::Node::make_map()).set(kManagedByLabel, emit::Node::string("fence"));
  if (!p.sources.empty()) {
    meta.set("annotations", emit::Node::make_map()).set(kSourceAnnotation, emit::Node::string(fmt::format("{}", fmt::join(p.sources, ", "))));
  }
  auto& spec = d.set("spec", emit::Node::make_map());
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
