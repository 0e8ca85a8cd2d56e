#include "calico_eval.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace calicoeval {

// ---- selectors --------------------------------------------------------------------------------

struct Selector::Node {
  enum class Kind { All, Has, Eq, Ne, In, NotIn, Not, And, Or } kind = Kind::All;
  std::string key;
  std::vector<std::string> values;
  std::shared_ptr<Node> a, b;

  bool eval(const Labels& l) const {
    auto it = l.find(key);
    bool present = it != l.end();
    switch (kind) {
      case Kind::All:
        return true;
      case Kind::Has:
        return present;
      case Kind::Eq:
        return present && it->second == values[0];
      case Kind::Ne:
        return present && it->second != values[0];
      case Kind::In:
        return present && std::find(values.begin(), values.end(), it->second) != values.end();
      case Kind::NotIn:
        return !present || std::find(values.begin(), values.end(), it->second) == values.end();
      case Kind::Not:
        return !a->eval(l);
      case Kind::And:
        return a->eval(l) && b->eval(l);
      case Kind::Or:
        return a->eval(l) || b->eval(l);
    }
    return false;
  }
};

namespace {

class SelectorParser {
 public:
  explicit SelectorParser(const std::string& t) : t_(t) {}

  std::shared_ptr<Selector::Node> run() {
    auto n = expr();
    skip();
    if (i_ != t_.size()) fail("unexpected text");
    return n;
  }

 private:
  using N = Selector::Node;
  [[noreturn]] void fail(const std::string& what) { throw Error("selector '" + t_ + "': " + what + " at " + std::to_string(i_)); }
  void skip() {
    while (i_ < t_.size() && t_[i_] == ' ') ++i_;
  }
  bool eat(const std::string& s) {
    skip();
    if (t_.compare(i_, s.size(), s) == 0) {
      i_ += s.size();
      return true;
    }
    return false;
  }
  std::shared_ptr<N> make(N::Kind k, std::shared_ptr<N> a = nullptr, std::shared_ptr<N> b = nullptr) {
    auto n = std::make_shared<N>();
    n->kind = k;
    n->a = std::move(a);
    n->b = std::move(b);
    return n;
  }
  std::shared_ptr<N> expr() {
    auto n = conj();
    while (eat("||")) n = make(N::Kind::Or, n, conj());
    return n;
  }
  std::shared_ptr<N> conj() {
    auto n = unary();
    while (eat("&&")) n = make(N::Kind::And, n, unary());
    return n;
  }
  std::string key() {
    skip();
    auto start = i_;
    while (i_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[i_])) || std::string("._-/").find(t_[i_]) != std::string::npos)) ++i_;
    if (start == i_) fail("expected a label key");
    return t_.substr(start, i_ - start);
  }
  std::string value() {
    skip();
    if (i_ >= t_.size() || (t_[i_] != '\'' && t_[i_] != '"')) fail("expected a quoted value");
    char q = t_[i_++];
    auto end = t_.find(q, i_);
    if (end == std::string::npos) fail("unterminated value");
    auto v = t_.substr(i_, end - i_);
    i_ = end + 1;
    return v;
  }
  std::vector<std::string> set() {
    if (!eat("{")) fail("expected {");
    std::vector<std::string> out;
    if (eat("}")) return out;
    do {
      out.push_back(value());
    } while (eat(","));
    if (!eat("}")) fail("expected }");
    return out;
  }
  std::shared_ptr<N> unary() {
    if (eat("!")) return make(N::Kind::Not, unary());
    if (eat("(")) {
      auto n = expr();
      if (!eat(")")) fail("expected )");
      return n;
    }
    if (eat("all()")) return make(N::Kind::All);
    if (eat("has(")) {
      auto n = make(N::Kind::Has);
      n->key = key();
      if (!eat(")")) fail("expected )");
      return n;
    }
    auto n = make(N::Kind::All);
    n->key = key();
    if (eat("==")) {
      n->kind = N::Kind::Eq;
      n->values = {value()};
    } else if (eat("!=")) {
      n->kind = N::Kind::Ne;
      n->values = {value()};
    } else if (eat("not in")) {
      n->kind = N::Kind::NotIn;
      n->values = set();
    } else if (eat("in")) {
      n->kind = N::Kind::In;
      n->values = set();
    } else {
      fail("expected an operator");
    }
    return n;
  }

  const std::string& t_;
  std::size_t i_ = 0;
};

// ---- reading ----------------------------------------------------------------------------------

void only_keys(const YAML::Node& n, const std::set<std::string>& keys, const std::string& where) {
  if (!n.IsMap()) throw Error(where + ": not a map");
  for (const auto& kv : n) {
    if (keys.count(kv.first.as<std::string>()) == 0) throw Error(where + ": unknown field " + kv.first.as<std::string>());
  }
}

EntityRule entity(const YAML::Node& n, const std::string& where) {
  EntityRule e;
  if (!n) return e;
  only_keys(n, {"selector", "namespaceSelector", "nets", "notNets", "ports"}, where);
  if (n["selector"]) e.selector = Selector::parse(n["selector"].as<std::string>());
  if (n["namespaceSelector"]) e.namespace_selector = Selector::parse(n["namespaceSelector"].as<std::string>());
  for (const auto& c : n["nets"]) e.nets.push_back(npeval::Cidr::parse(c.as<std::string>()));
  for (const auto& c : n["notNets"]) e.not_nets.push_back(npeval::Cidr::parse(c.as<std::string>()));
  for (const auto& p : n["ports"]) {
    Port port;
    auto text = p.as<std::string>();
    bool numeric = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == ':'; });
    if (numeric) {
      auto colon = text.find(':');
      port.first = std::stoi(text.substr(0, colon));
      port.last = colon == std::string::npos ? port.first : std::stoi(text.substr(colon + 1));
      // A number is an integer in the YAML; a range is a string.
      if (colon == std::string::npos && p.Tag() == "!") throw Error(where + ": a port number written as a string");
      if (port.first < 1 || port.last > 65535 || port.first > port.last) throw Error(where + ": bad port " + text);
    } else {
      port.name = text;
    }
    e.ports.push_back(port);
  }
  return e;
}

std::vector<Rule> rules(const YAML::Node& n, const std::string& where) {
  std::vector<Rule> out;
  for (const auto& r : n) {
    only_keys(r, {"action", "protocol", "source", "destination"}, where);
    Rule rule;
    rule.action = r["action"].as<std::string>();
    if (rule.action != "Allow" && rule.action != "Deny" && rule.action != "Pass") throw Error(where + ": action " + rule.action);
    if (r["protocol"]) rule.protocol = r["protocol"].as<std::string>();
    if (!rule.protocol.empty() && rule.protocol != "TCP" && rule.protocol != "UDP" && rule.protocol != "SCTP") {
      throw Error(where + ": protocol " + rule.protocol);
    }
    rule.source = entity(r["source"], where + " source");
    rule.destination = entity(r["destination"], where + " destination");
    if (!rule.source.ports.empty()) throw Error(where + ": source ports");
    if (!rule.destination.ports.empty() && rule.protocol.empty()) throw Error(where + ": ports without a protocol");
    out.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

Selector Selector::parse(const std::string& text) {
  Selector s;
  s.root_ = SelectorParser(text).run();
  return s;
}

bool Selector::matches(const Labels& labels) const {
  return root_->eval(labels);
}

Set parse(const std::string& yaml, bool staged_as_enforced) {
  Set out;
  for (const auto& d : YAML::LoadAll(yaml)) {
    if (!d || d.IsNull()) continue;
    only_keys(d, {"apiVersion", "kind", "metadata", "spec"}, "object");
    if (d["apiVersion"].as<std::string>() != "projectcalico.org/v3") throw Error("apiVersion " + d["apiVersion"].as<std::string>());
    auto kind = d["kind"].as<std::string>();
    auto name = d["metadata"]["name"].as<std::string>();
    const auto& spec = d["spec"];
    if (kind == "Tier") {
      only_keys(spec, {"order", "defaultAction"}, name);
      Tier t;
      t.name = name;
      t.order = spec["order"].as<double>();
      if (spec["defaultAction"]) t.default_action = spec["defaultAction"].as<std::string>();
      if (t.default_action != "Deny" && t.default_action != "Pass") throw Error(name + ": defaultAction " + t.default_action);
      out.tiers.push_back(t);
      continue;
    }
    bool staged = kind.rfind("Staged", 0) == 0;
    if (staged) {
      if (!staged_as_enforced) throw Error(name + ": a staged policy");
      kind = kind.substr(6);
      if (!spec["stagedAction"] || spec["stagedAction"].as<std::string>() != "Set") throw Error(name + ": stagedAction is not Set");
    } else if (spec["stagedAction"]) {
      throw Error(name + ": stagedAction in an enforced policy");
    }
    if (kind != "NetworkPolicy" && kind != "GlobalNetworkPolicy") throw Error("kind " + kind);
    Policy p;
    p.name = name;
    p.global = kind == "GlobalNetworkPolicy";
    only_keys(spec, {"stagedAction", "tier", "order", "selector", "namespaceSelector", "types", "ingress", "egress"}, name);
    if (p.global == bool(d["metadata"]["namespace"])) throw Error(name + ": namespace");
    if (!p.global) p.ns = d["metadata"]["namespace"].as<std::string>();
    if (!p.global && spec["namespaceSelector"]) throw Error(name + ": namespaceSelector in a NetworkPolicy's spec");
    if (spec["tier"]) p.tier = spec["tier"].as<std::string>();
    if (p.tier != "default" && name.rfind(p.tier + ".", 0) != 0) throw Error(name + ": not prefixed with its tier " + p.tier);
    if (spec["order"]) {
      p.order = spec["order"].as<double>();
      p.has_order = true;
    }
    p.selector = Selector::parse(spec["selector"] ? spec["selector"].as<std::string>() : "all()");
    if (spec["namespaceSelector"]) p.namespace_selector = Selector::parse(spec["namespaceSelector"].as<std::string>());
    if (!spec["types"]) throw Error(name + ": no types");  // the compiler always writes them
    for (const auto& t : spec["types"]) {
      auto v = t.as<std::string>();
      if (v == "Ingress") {
        p.ingress_type = true;
      } else if (v == "Egress") {
        p.egress_type = true;
      } else {
        throw Error(name + ": type " + v);
      }
    }
    p.ingress = rules(spec["ingress"], name + " ingress");
    p.egress = rules(spec["egress"], name + " egress");
    if (!p.ingress.empty() && !p.ingress_type) throw Error(name + ": ingress rules without the Ingress type");
    if (!p.egress.empty() && !p.egress_type) throw Error(name + ": egress rules without the Egress type");
    out.policies.push_back(std::move(p));
  }
  return out;
}

Evaluator::Evaluator(const npeval::Cluster& cluster, Set set) : cluster_(cluster), set_(std::move(set)) {
  std::map<std::string, double> orders = {{"default", 1000000}};
  for (const auto& t : set_.tiers) orders[t.name] = t.order;
  for (const auto& p : set_.policies) {
    if (orders.count(p.tier) == 0) throw Error(p.name + ": tier " + p.tier + " does not exist");
  }
  for (const auto& [name, order] : orders) tier_order_.emplace_back(order, name);
  std::sort(tier_order_.begin(), tier_order_.end());
}

Labels Evaluator::pod_labels(const npeval::Pod& pod) const {
  auto l = pod.labels;
  l["projectcalico.org/namespace"] = pod.ns;
  return l;
}

Labels Evaluator::namespace_labels(const std::string& ns) const {
  auto l = cluster_.ns(ns).labels;
  l["projectcalico.org/name"] = ns;
  return l;
}

bool Evaluator::selects(const Policy& p, const npeval::Pod& pod) const {
  if (!p.global && p.ns != pod.ns) return false;
  if (p.namespace_selector && !p.namespace_selector->matches(namespace_labels(pod.ns))) return false;
  return p.selector.matches(pod_labels(pod));
}

bool Evaluator::entity_matches(const EntityRule& e, const Policy& p, const npeval::Endpoint& ep, bool destination, int port,
                               const std::string& protocol) const {
  if (e.selector || e.namespace_selector) {
    if (ep.pod == nullptr) return false;
    if (e.namespace_selector) {
      if (!e.namespace_selector->matches(namespace_labels(ep.pod->ns))) return false;
    } else if (!p.global && ep.pod->ns != p.ns) {
      return false;
    }
    if (e.selector && !e.selector->matches(pod_labels(*ep.pod))) return false;
  }
  auto ip = npeval::Ip::parse(ep.ip);
  if (!e.nets.empty() && std::none_of(e.nets.begin(), e.nets.end(), [&](const npeval::Cidr& c) { return c.contains(ip); })) return false;
  if (std::any_of(e.not_nets.begin(), e.not_nets.end(), [&](const npeval::Cidr& c) { return c.contains(ip); })) return false;
  if (!e.ports.empty()) {
    if (!destination) return false;
    bool any = std::any_of(e.ports.begin(), e.ports.end(), [&](const Port& x) {
      if (x.name.empty()) return x.first <= port && port <= x.last;
      if (ep.pod == nullptr) return false;
      return std::any_of(ep.pod->ports.begin(), ep.pod->ports.end(),
                         [&](const npeval::ContainerPort& cp) { return cp.name == x.name && cp.number == port && cp.protocol == protocol; });
    });
    if (!any) return false;
  }
  return true;
}

bool Evaluator::side(bool egress, const npeval::Pod& subject, const npeval::Endpoint& src, const npeval::Endpoint& dst, int port,
                     const std::string& protocol) const {
  for (const auto& [order, tier] : tier_order_) {
    std::vector<const Policy*> here;
    for (const auto& p : set_.policies) {
      if (p.tier == tier && (egress ? p.egress_type : p.ingress_type) && selects(p, subject)) here.push_back(&p);
    }
    if (here.empty()) continue;
    std::stable_sort(here.begin(), here.end(), [](const Policy* a, const Policy* b) {
      // A policy without an order comes last.
      if (a->has_order != b->has_order) return a->has_order;
      if (a->order != b->order) return a->order < b->order;
      return a->name < b->name;
    });
    std::string decided;
    for (const auto* p : here) {
      for (const auto& r : egress ? p->egress : p->ingress) {
        if (!r.protocol.empty() && r.protocol != protocol) continue;
        if (!entity_matches(r.source, *p, src, false, port, protocol)) continue;
        if (!entity_matches(r.destination, *p, dst, true, port, protocol)) continue;
        decided = r.action;
        break;
      }
      if (!decided.empty()) break;
    }
    if (decided.empty()) {
      std::string def = "Deny";
      for (const auto& t : set_.tiers) {
        if (t.name == tier) def = t.default_action;
      }
      decided = def;
    }
    if (decided == "Allow") return true;
    if (decided == "Deny") return false;
    // Pass: the next tier.
  }
  return true;
}

bool Evaluator::egress_allowed(const npeval::Endpoint& src, const npeval::Endpoint& dst, int port, const std::string& protocol) const {
  if (src.pod == nullptr) return true;
  return side(true, *src.pod, src, dst, port, protocol);
}

bool Evaluator::ingress_allowed(const npeval::Endpoint& src, const npeval::Endpoint& dst, int port, const std::string& protocol) const {
  if (dst.pod == nullptr) return true;
  return side(false, *dst.pod, src, dst, port, protocol);
}

}  // namespace calicoeval
