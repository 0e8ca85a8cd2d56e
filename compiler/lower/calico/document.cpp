// Calico objects as documents, keys in the order Calico's reference documents them.
#include <fmt/format.h>

#include "lower/calico/model.h"
#include "lower/origin.h"

namespace fence::lower::calico {

namespace {

emit::Node port_node(const Port& p) {
  switch (p.kind) {
    case Port::Kind::Number:
      return emit::Node::integer(p.first);
    case Port::Kind::Range:
      return emit::Node::string(fmt::format("{}:{}", p.first, p.last));
    case Port::Kind::Named:
      break;
  }
  return emit::Node::string(p.name);
}

emit::Node entity_node(const EntityRule& e) {
  auto n = emit::Node::make_map();
  if (!e.selector.empty()) n.set("selector", emit::Node::string(e.selector));
  if (!e.namespace_selector.empty()) n.set("namespaceSelector", emit::Node::string(e.namespace_selector));
  if (!e.nets.empty()) {
    auto& s = n.set("nets", emit::Node::make_seq());
    for (const auto& x : e.nets) s.push(emit::Node::string(x));
  }
  if (!e.not_nets.empty()) {
    auto& s = n.set("notNets", emit::Node::make_seq());
    for (const auto& x : e.not_nets) s.push(emit::Node::string(x));
  }
  if (!e.ports.empty()) {
    auto& s = n.set("ports", emit::Node::make_seq());
    for (const auto& x : e.ports) s.push(port_node(x));
  }
  return n;
}

emit::Node rule_node(const Rule& r) {
  auto n = emit::Node::make_map();
  n.set("action", emit::Node::string(r.action));
  if (!r.protocol.empty()) n.set("protocol", emit::Node::string(r.protocol));
  if (!r.source.empty()) n.set("source", entity_node(r.source));
  if (!r.destination.empty()) n.set("destination", entity_node(r.destination));
  n.comment = fmt::format("{}", fmt::join(r.origins, "\n"));
  return n;
}

std::string kind_of(const Policy& p) {
  return fmt::format("{}{}NetworkPolicy", p.staged ? "Staged" : "", p.global ? "Global" : "");
}

}  // namespace

emit::Object to_object(const Policy& p) {
  auto o = object_header("projectcalico.org/v3", kind_of(p), p.name, p.global ? std::string() : p.ns, "calico", p.sources);
  auto& spec = o.doc.set("spec", emit::Node::make_map());
  if (p.staged) spec.set("stagedAction", emit::Node::string("Set"));
  spec.set("tier", emit::Node::string(p.tier));
  spec.set("order", emit::Node::integer(p.order));
  if (!p.namespace_selector.empty()) spec.set("namespaceSelector", emit::Node::string(p.namespace_selector));
  spec.set("selector", emit::Node::string(p.selector));
  auto& types = spec.set("types", emit::Node::make_seq());
  if (p.ingress_type) types.push(emit::Node::string("Ingress"));
  if (p.egress_type) types.push(emit::Node::string("Egress"));
  if (!p.ingress.empty()) {
    auto& list = spec.set("ingress", emit::Node::make_seq());
    for (const auto& r : p.ingress) list.push(rule_node(r));
  }
  if (!p.egress.empty()) {
    auto& list = spec.set("egress", emit::Node::make_seq());
    for (const auto& r : p.egress) list.push(rule_node(r));
  }
  return o;
}

emit::Object to_object(const Tier& t) {
  auto o = object_header("projectcalico.org/v3", "Tier", t.name, std::string(), "calico", t.sources);
  auto& spec = o.doc.set("spec", emit::Node::make_map());
  spec.set("order", emit::Node::integer(t.order));
  spec.set("defaultAction", emit::Node::string(t.default_action));
  return o;
}

}  // namespace fence::lower::calico
