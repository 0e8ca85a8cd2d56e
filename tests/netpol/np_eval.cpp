#include "np_eval.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

#include <yaml-cpp/yaml.h>

namespace npeval {

namespace {

const char* const kNameLabel = "kubernetes.io/metadata.name";

[[noreturn]] void fail(const std::string& what) {
  throw Error(what);
}

void only_keys(const YAML::Node& node, const std::set<std::string>& allowed, const std::string& where) {
  if (!node.IsMap()) fail(where + ": expected a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    if (allowed.count(key) == 0) fail(where + ": unknown field '" + key + "'");
  }
}

Selector selector(const YAML::Node& node, const std::string& where) {
  Selector s;
  if (node.IsNull()) return s;
  only_keys(node, {"matchLabels", "matchExpressions"}, where);
  if (node["matchLabels"]) {
    for (const auto& kv : node["matchLabels"]) s.match_labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (node["matchExpressions"]) {
    for (const auto& e : node["matchExpressions"]) {
      only_keys(e, {"key", "operator", "values"}, where + ".matchExpressions");
      Selector::Expression x;
      x.key = e["key"].as<std::string>();
      x.op = e["operator"].as<std::string>();
      if (e["values"]) {
        for (const auto& v : e["values"]) x.values.push_back(v.as<std::string>());
      }
      bool needs_values = x.op == "In" || x.op == "NotIn";
      if (!needs_values && x.op != "Exists" && x.op != "DoesNotExist") fail(where + ": unknown operator '" + x.op + "'");
      if (needs_values == x.values.empty()) fail(where + ": operator " + x.op + (needs_values ? " needs values" : " takes no values"));
      s.expressions.push_back(std::move(x));
    }
  }
  return s;
}

Peer peer(const YAML::Node& node, const std::string& where) {
  only_keys(node, {"podSelector", "namespaceSelector", "ipBlock"}, where);
  Peer p;
  if (node["podSelector"]) p.pod_selector = selector(node["podSelector"], where + ".podSelector");
  if (node["namespaceSelector"]) p.namespace_selector = selector(node["namespaceSelector"], where + ".namespaceSelector");
  if (node["ipBlock"]) {
    if (p.pod_selector || p.namespace_selector) fail(where + ": ipBlock cannot be combined with selectors");
    only_keys(node["ipBlock"], {"cidr", "except"}, where + ".ipBlock");
    IpBlock b;
    b.cidr = Cidr::parse(node["ipBlock"]["cidr"].as<std::string>());
    if (node["ipBlock"]["except"]) {
      for (const auto& e : node["ipBlock"]["except"]) {
        auto c = Cidr::parse(e.as<std::string>());
        if (c.base.v6 != b.cidr.base.v6 || c.prefix <= b.cidr.prefix || !b.cidr.contains(c.base)) {
          fail(where + ": except " + e.as<std::string>() + " is not strictly inside " + node["ipBlock"]["cidr"].as<std::string>());
        }
        b.except.push_back(c);
      }
    }
    p.ip_block = std::move(b);
  }
  if (!p.pod_selector && !p.namespace_selector && !p.ip_block) fail(where + ": a peer needs podSelector, namespaceSelector or ipBlock");
  return p;
}

PortSpec port_spec(const YAML::Node& node, const std::string& where) {
  only_keys(node, {"protocol", "port", "endPort"}, where);
  PortSpec p;
  if (node["protocol"]) p.protocol = node["protocol"].as<std::string>();
  if (p.protocol != "TCP" && p.protocol != "UDP" && p.protocol != "SCTP") fail(where + ": unknown protocol '" + p.protocol + "'");
  if (node["port"]) {
    auto text = node["port"].as<std::string>();
    // yaml-cpp gives the scalar as written: the API's IntOrString is an int when it is digits and
    // the YAML value is not quoted.
    bool quoted = node["port"].Tag() == "!";
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits && !quoted) {
      p.number = std::stoi(text);
      if (*p.number < 1 || *p.number > 65535) fail(where + ": port " + text + " out of range");
    } else {
      if (digits) fail(where + ": port \"" + text + "\" is a string of digits, which the API rejects as a port name");
      p.name = text;
    }
  }
  if (node["endPort"]) {
    if (!p.number) fail(where + ": endPort needs a numeric port");
    p.end_port = node["endPort"].as<int>();
    if (*p.end_port < *p.number) fail(where + ": endPort is below port");
  }
  return p;
}

Rule rule(const YAML::Node& node, const char* peers_key, const std::string& where) {
  only_keys(node, {peers_key, "ports"}, where);
  Rule r;
  if (node[peers_key]) {
    std::size_t i = 0;
    for (const auto& p : node[peers_key]) r.peers.push_back(peer(p, where + "." + peers_key + "[" + std::to_string(i++) + "]"));
  }
  if (node["ports"]) {
    std::size_t i = 0;
    for (const auto& p : node["ports"]) r.ports.push_back(port_spec(p, where + ".ports[" + std::to_string(i++) + "]"));
  }
  return r;
}

Policy policy(const YAML::Node& doc, const std::string& default_namespace) {
  only_keys(doc, {"apiVersion", "kind", "metadata", "spec"}, "NetworkPolicy");
  if (doc["apiVersion"].as<std::string>() != "networking.k8s.io/v1") fail("unknown apiVersion " + doc["apiVersion"].as<std::string>());
  Policy p;
  p.name = doc["metadata"]["name"].as<std::string>();
  if (!doc["metadata"]["namespace"] && default_namespace.empty()) fail(p.name + ": metadata.namespace is missing");
  p.ns = doc["metadata"]["namespace"] ? doc["metadata"]["namespace"].as<std::string>() : default_namespace;
  const auto& spec = doc["spec"];
  std::string where = p.ns + "/" + p.name;
  only_keys(spec, {"podSelector", "policyTypes", "ingress", "egress"}, where);
  if (!spec["podSelector"]) fail(where + ": spec.podSelector is required");
  p.pod_selector = selector(spec["podSelector"], where + ".podSelector");
  if (spec["policyTypes"]) {
    for (const auto& t : spec["policyTypes"]) {
      auto s = t.as<std::string>();
      if (s == "Ingress") {
        p.ingress_type = true;
      } else if (s == "Egress") {
        p.egress_type = true;
      } else {
        fail(where + ": unknown policy type " + s);
      }
    }
  } else {
    p.ingress_type = true;
    // The API's defaulting: Egress only when there are egress rules (`egress: []` has none).
    p.egress_type = spec["egress"] && spec["egress"].IsSequence() && spec["egress"].size() > 0;
  }
  if (spec["ingress"]) {
    std::size_t i = 0;
    for (const auto& r : spec["ingress"]) p.ingress.push_back(rule(r, "from", where + ".ingress[" + std::to_string(i++) + "]"));
  }
  if (spec["egress"]) {
    std::size_t i = 0;
    for (const auto& r : spec["egress"]) p.egress.push_back(rule(r, "to", where + ".egress[" + std::to_string(i++) + "]"));
  }
  return p;
}

ClusterPeer cluster_peer(const YAML::Node& node, bool subject, bool egress, const std::string& where) {
  if (!node.IsMap() || node.size() != 1) fail(where + ": exactly one of namespaces, pods" + std::string(subject ? "" : ", networks, nodes, domainNames") + " is required");
  ClusterPeer p;
  auto key = node.begin()->first.as<std::string>();
  YAML::Node v = node.begin()->second;  // a copy: the iterator, and what it points at, are temporaries
  if (key == "namespaces") {
    p.kind = ClusterPeer::Kind::Namespaces;
    p.namespace_selector = selector(v, where + ".namespaces");
  } else if (key == "pods") {
    p.kind = ClusterPeer::Kind::Pods;
    only_keys(v, {"namespaceSelector", "podSelector"}, where + ".pods");
    if (!v["podSelector"]) fail(where + ".pods: podSelector is required");
    if (!v["namespaceSelector"]) fail(where + ".pods: namespaceSelector is required");
    p.namespace_selector = selector(v["namespaceSelector"], where + ".pods.namespaceSelector");
    p.pod_selector = selector(v["podSelector"], where + ".pods.podSelector");
  } else if (!subject && egress && key == "networks") {
    p.kind = ClusterPeer::Kind::Networks;
    if (!v.IsSequence() || v.size() == 0 || v.size() > 25) fail(where + ".networks: 1 to 25 CIDRs");
    for (const auto& c : v) p.networks.push_back(Cidr::parse(c.as<std::string>()));
  } else if (!subject && egress && key == "nodes") {
    p.kind = ClusterPeer::Kind::Nodes;
    p.node_selector = selector(v, where + ".nodes");
    if (!p.node_selector.match_labels.empty() || !p.node_selector.expressions.empty()) fail(where + ".nodes: the model has no node labels");
  } else if (!subject && egress && key == "domainNames") {
    p.kind = ClusterPeer::Kind::DomainNames;
    if (!v.IsSequence() || v.size() == 0 || v.size() > 25) fail(where + ".domainNames: 1 to 25 names");
    for (const auto& d : v) p.domains.push_back(d.as<std::string>());
  } else {
    fail(where + ": unknown or misplaced peer '" + key + "'");
  }
  return p;
}

ClusterRule cluster_rule(const YAML::Node& node, bool egress, const std::string& where) {
  const char* peers_key = egress ? "to" : "from";
  only_keys(node, {"name", "action", peers_key, "protocols"}, where);
  ClusterRule r;
  if (node["name"]) r.name = node["name"].as<std::string>();
  if (r.name.size() > 100) fail(where + ": name longer than 100 characters");
  if (!node["action"]) fail(where + ": action is required");
  r.action = node["action"].as<std::string>();
  if (r.action != "Accept" && r.action != "Deny" && r.action != "Pass") fail(where + ": unknown action '" + r.action + "'");
  if (!node[peers_key] || !node[peers_key].IsSequence() || node[peers_key].size() == 0 || node[peers_key].size() > 25) {
    fail(where + ": " + peers_key + " needs 1 to 25 peers");
  }
  std::size_t i = 0;
  for (const auto& p : node[peers_key]) r.peers.push_back(cluster_peer(p, false, egress, where + "." + peers_key + "[" + std::to_string(i++) + "]"));
  for (const auto& p : r.peers) {
    if (p.kind == ClusterPeer::Kind::DomainNames && r.action != "Accept") fail(where + ": domainNames in a rule that does not Accept");
  }
  if (node["protocols"]) {
    if (!node["protocols"].IsSequence() || node["protocols"].size() == 0 || node["protocols"].size() > 25) fail(where + ": 1 to 25 protocols");
    i = 0;
    for (const auto& q : node["protocols"]) {
      std::string at = where + ".protocols[" + std::to_string(i++) + "]";
      if (!q.IsMap() || q.size() != 1) fail(at + ": exactly one of tcp, udp, sctp, destinationNamedPort");
      auto key = q.begin()->first.as<std::string>();
      YAML::Node v = q.begin()->second;  // a copy, as in cluster_peer
      ClusterPort port;
      if (key == "destinationNamedPort") {
        port.name = v.as<std::string>();
        for (const auto& p : r.peers) {
          if (p.kind == ClusterPeer::Kind::Networks || p.kind == ClusterPeer::Kind::Nodes || p.kind == ClusterPeer::Kind::DomainNames) {
            fail(at + ": a named port with networks, nodes or domainNames");
          }
        }
      } else if (key == "tcp" || key == "udp" || key == "sctp") {
        port.protocol = key == "tcp" ? "TCP" : key == "udp" ? "UDP" : "SCTP";
        only_keys(v, {"destinationPort"}, at + "." + key);
        const auto& dp = v["destinationPort"];
        if (!dp || !dp.IsMap() || dp.size() != 1) fail(at + ": destinationPort needs exactly one of number, range");
        if (dp["number"]) {
          port.first = port.last = dp["number"].as<int>();
        } else if (dp["range"]) {
          only_keys(dp["range"], {"start", "end"}, at + ".range");
          port.first = dp["range"]["start"].as<int>();
          port.last = dp["range"]["end"].as<int>();
          if (!(port.first < port.last)) fail(at + ": range start must be less than end");
        } else {
          fail(at + ": destinationPort needs number or range");
        }
        if (port.first < 1 || port.last > 65535) fail(at + ": port out of range");
      } else {
        fail(at + ": unknown protocol '" + key + "'");
      }
      r.ports.push_back(std::move(port));
    }
  }
  return r;
}

ClusterPolicy cluster_policy(const YAML::Node& doc) {
  only_keys(doc, {"apiVersion", "kind", "metadata", "spec"}, "ClusterNetworkPolicy");
  if (doc["apiVersion"].as<std::string>() != "policy.networking.k8s.io/v1alpha2") fail("unknown apiVersion " + doc["apiVersion"].as<std::string>());
  ClusterPolicy p;
  p.name = doc["metadata"]["name"].as<std::string>();
  if (doc["metadata"]["namespace"]) fail(p.name + ": a ClusterNetworkPolicy has no namespace");
  const auto& spec = doc["spec"];
  only_keys(spec, {"tier", "priority", "subject", "ingress", "egress"}, p.name);
  if (!spec["tier"] || !spec["priority"] || !spec["subject"]) fail(p.name + ": tier, priority and subject are required");
  auto tier = spec["tier"].as<std::string>();
  if (tier != "Admin" && tier != "Baseline") fail(p.name + ": unknown tier '" + tier + "'");
  p.admin = tier == "Admin";
  p.priority = spec["priority"].as<int>();
  if (p.priority < 0 || p.priority > 1000) fail(p.name + ": priority out of 0-1000");
  p.subject = cluster_peer(spec["subject"], true, false, p.name + ".subject");
  for (const char* dir : {"ingress", "egress"}) {
    if (!spec[dir]) continue;
    if (spec[dir].size() > 25) fail(p.name + ": more than 25 " + dir + " rules");
    std::size_t i = 0;
    bool egress = std::string(dir) == "egress";
    for (const auto& r : spec[dir]) (egress ? p.egress : p.ingress).push_back(cluster_rule(r, egress, p.name + "." + dir + "[" + std::to_string(i++) + "]"));
  }
  return p;
}

bool domain_matches(const std::string& pattern, const std::string& name) {
  if (pattern.rfind("*.", 0) == 0) {
    auto suffix = pattern.substr(1);  // ".example.com"
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return pattern == name;
}

bool expression_holds(const Selector::Expression& e, const Labels& labels) {
  auto it = labels.find(e.key);
  bool has = it != labels.end();
  bool in = has && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
  if (e.op == "In") return in;
  if (e.op == "NotIn") return !in;
  if (e.op == "Exists") return has;
  return !has;  // DoesNotExist
}

}  // namespace

Ip Ip::parse(const std::string& text) {
  Ip ip;
  if (text.find(':') != std::string::npos) {
    ip.v6 = true;
    if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) != 1) fail("not an IPv6 address: " + text);
  } else if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) != 1) {
    fail("not an IPv4 address: " + text);
  }
  return ip;
}

std::string Ip::str() const {
  char buf[64];
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

Cidr Cidr::parse(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) fail("not a CIDR (no prefix length): " + text);
  Cidr c;
  c.base = Ip::parse(text.substr(0, slash));
  c.prefix = std::stoi(text.substr(slash + 1));
  if (c.prefix < 0 || c.prefix > (c.base.v6 ? 128 : 32)) fail("prefix length out of range: " + text);
  return c;
}

bool Cidr::contains(const Ip& ip) const {
  if (ip.v6 != base.v6) return false;
  for (int i = 0; i < prefix; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((ip.bytes[static_cast<std::size_t>(byte)] >> bit) & 1) != ((base.bytes[static_cast<std::size_t>(byte)] >> bit) & 1)) return false;
  }
  return true;
}

void Cluster::add_namespace(const std::string& name, Labels labels) {
  labels[kNameLabel] = name;
  namespaces.push_back({name, std::move(labels)});
}

const Namespace& Cluster::ns(const std::string& name) const {
  for (const auto& n : namespaces) {
    if (n.name == name) return n;
  }
  fail("no namespace " + name + " in the model");
}

const Pod& Cluster::pod(const std::string& ns_slash_name) const {
  for (const auto& p : pods) {
    if (p.ns + "/" + p.name == ns_slash_name) return p;
  }
  fail("no pod " + ns_slash_name + " in the model");
}

bool Selector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return std::all_of(expressions.begin(), expressions.end(), [&](const Expression& e) { return expression_holds(e, labels); });
}

std::vector<Policy> parse_policies(const std::string& yaml, const std::string& default_namespace) {
  std::vector<Policy> out;
  for (const auto& doc : YAML::LoadAll(yaml)) {
    if (doc.IsNull()) continue;
    if (!doc["kind"] || doc["kind"].as<std::string>() != "NetworkPolicy") {
      fail("not a NetworkPolicy: " + (doc["kind"] ? doc["kind"].as<std::string>() : std::string("(no kind)")));
    }
    out.push_back(policy(doc, default_namespace));
  }
  return out;
}

Objects parse_objects(const std::string& yaml) {
  Objects out;
  for (const auto& doc : YAML::LoadAll(yaml)) {
    if (doc.IsNull()) continue;
    auto kind = doc["kind"] ? doc["kind"].as<std::string>() : std::string("(no kind)");
    if (kind == "NetworkPolicy") {
      out.policies.push_back(policy(doc, ""));
    } else if (kind == "ClusterNetworkPolicy") {
      out.cluster_policies.push_back(cluster_policy(doc));
    } else {
      fail("not a NetworkPolicy or ClusterNetworkPolicy: " + kind);
    }
  }
  return out;
}

bool Evaluator::subject_matches(const ClusterPeer& subject, const Pod& pod) const {
  if (!subject.namespace_selector.matches(cluster_.ns(pod.ns).labels)) return false;
  return subject.kind == ClusterPeer::Kind::Namespaces || subject.pod_selector.matches(pod.labels);
}

bool Evaluator::cluster_peer_matches(const ClusterPeer& peer, const Endpoint& ep) const {
  switch (peer.kind) {
    case ClusterPeer::Kind::Namespaces:
    case ClusterPeer::Kind::Pods:
      return ep.pod != nullptr && subject_matches(peer, *ep.pod);
    case ClusterPeer::Kind::Networks: {
      auto ip = Ip::parse(ep.ip);
      return std::any_of(peer.networks.begin(), peer.networks.end(), [&](const Cidr& c) { return c.contains(ip); });
    }
    case ClusterPeer::Kind::Nodes:
      return ep.pod == nullptr && std::find(cluster_.node_ips.begin(), cluster_.node_ips.end(), ep.ip) != cluster_.node_ips.end();
    case ClusterPeer::Kind::DomainNames:
      return !ep.dns.empty() && std::any_of(peer.domains.begin(), peer.domains.end(), [&](const std::string& d) { return domain_matches(d, ep.dns); });
  }
  return false;
}

std::string Evaluator::tier_verdict(bool admin, bool egress, const Pod& subject, const Endpoint& peer, const Endpoint& dst, int port,
                                    const std::string& protocol) const {
  std::map<int, std::vector<const ClusterPolicy*>> by_priority;
  for (const auto& p : cluster_policies_) {
    if (p.admin == admin && subject_matches(p.subject, subject)) by_priority[p.priority].push_back(&p);
  }
  for (const auto& [priority, objects] : by_priority) {
    std::string verdict;
    const ClusterPolicy* decided_by = nullptr;
    for (const auto* p : objects) {
      for (const auto& r : egress ? p->egress : p->ingress) {
        bool peer_ok = std::any_of(r.peers.begin(), r.peers.end(), [&](const ClusterPeer& x) { return cluster_peer_matches(x, peer); });
        bool port_ok = r.ports.empty() || std::any_of(r.ports.begin(), r.ports.end(), [&](const ClusterPort& q) {
                         if (!q.name.empty()) {
                           return dst.pod != nullptr && std::any_of(dst.pod->ports.begin(), dst.pod->ports.end(), [&](const ContainerPort& cp) {
                                    return cp.name == q.name && cp.protocol == protocol && cp.number == port;
                                  });
                         }
                         return q.protocol == protocol && port >= q.first && port <= q.last;
                       });
        if (!(peer_ok && port_ok)) continue;
        if (decided_by != nullptr && verdict != r.action) {
          fail("objects " + decided_by->name + " and " + p->name + " of priority " + std::to_string(priority) +
               " decide differently (" + verdict + ", " + r.action + "), in an order the API leaves undefined");
        }
        verdict = r.action;
        decided_by = p;
        break;
      }
    }
    if (!verdict.empty()) return verdict;
  }
  return "";
}

bool Evaluator::peer_matches(const Peer& peer, const Policy& policy, const Endpoint& ep) const {
  if (peer.ip_block) {
    auto ip = Ip::parse(ep.ip);
    if (!peer.ip_block->cidr.contains(ip)) return false;
    return std::none_of(peer.ip_block->except.begin(), peer.ip_block->except.end(), [&](const Cidr& c) { return c.contains(ip); });
  }
  if (ep.pod == nullptr) return false;  // selectors pick pods, never outside addresses
  if (peer.namespace_selector) {
    if (!peer.namespace_selector->matches(cluster_.ns(ep.pod->ns).labels)) return false;
  } else if (ep.pod->ns != policy.ns) {
    return false;
  }
  return !peer.pod_selector || peer.pod_selector->matches(ep.pod->labels);
}

bool Evaluator::port_matches(const PortSpec& spec, const Endpoint& dst, int port, const std::string& protocol) const {
  if (spec.protocol != protocol) return false;
  if (spec.name) {
    if (dst.pod == nullptr) return false;
    return std::any_of(dst.pod->ports.begin(), dst.pod->ports.end(),
                       [&](const ContainerPort& cp) { return cp.name == *spec.name && cp.protocol == protocol && cp.number == port; });
  }
  if (!spec.number) return true;
  if (spec.end_port) return port >= *spec.number && port <= *spec.end_port;
  return port == *spec.number;
}

bool Evaluator::side_allowed(bool egress, const Pod& subject, const Endpoint& peer, const Endpoint& dst, int port,
                             const std::string& protocol) const {
  auto admin = tier_verdict(true, egress, subject, peer, dst, port, protocol);
  if (admin == "Accept") return true;
  if (admin == "Deny") return false;
  bool isolated = false;
  for (const auto& p : policies_) {
    if (p.ns != subject.ns || !p.pod_selector.matches(subject.labels)) continue;
    if (!(egress ? p.egress_type : p.ingress_type)) continue;
    isolated = true;
    for (const auto& r : egress ? p.egress : p.ingress) {
      bool peer_ok = r.peers.empty() || std::any_of(r.peers.begin(), r.peers.end(), [&](const Peer& x) { return peer_matches(x, p, peer); });
      bool port_ok =
          r.ports.empty() || std::any_of(r.ports.begin(), r.ports.end(), [&](const PortSpec& s) { return port_matches(s, dst, port, protocol); });
      if (peer_ok && port_ok) return true;
    }
  }
  if (isolated) return false;
  return tier_verdict(false, egress, subject, peer, dst, port, protocol) != "Deny";
}

bool Evaluator::egress_allowed(const Endpoint& src, const Endpoint& dst, int port, const std::string& protocol) const {
  return src.pod == nullptr || side_allowed(true, *src.pod, dst, dst, port, protocol);
}

bool Evaluator::ingress_allowed(const Endpoint& src, const Endpoint& dst, int port, const std::string& protocol) const {
  return dst.pod == nullptr || side_allowed(false, *dst.pod, src, dst, port, protocol);
}

}  // namespace npeval
