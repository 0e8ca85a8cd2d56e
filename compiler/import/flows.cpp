// Hubble flows to Fence. A flow (observer.GetFlowsResponse.flow, as `hubble observe -o json`
// prints it) has a verdict, a traffic direction, `is_reply`, the two endpoints (namespace and
// labels, `reserved:world` and the like for what is not a pod), `IP`, `l4` (TCP, UDP, SCTP or
// ICMP with ports), `destination_names` (the DNS names Cilium's DNS proxy saw for the destination
// address) and, for the DNS proxy's own flows, `l7.dns` (query, answers).
//
// Each forwarded connection (not a reply) becomes one intent: the source pod may reach the
// destination on its port. Pods are named by their workload label; outside the cluster, a
// destination is its DNS name when the proxy saw one, else its address; a source outside the
// cluster is its address. The program is written by the import writer, one statement per subject
// and peer, with the flow counts in the comments.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "format/format.h"
#include "import/flows.h"
#include "import/import.h"
#include "net/names.h"

namespace fence::import {

namespace {

using json = nlohmann::json;

// Labels that say which pod it is rather than which workload, or that Cilium adds itself.
bool noise(const std::string& key) {
  static const std::vector<std::string> exact = {"pod-template-hash", "controller-revision-hash", "pod-template-generation",
                                                 "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
                                                 "batch.kubernetes.io/controller-uid", "controller-uid", "batch.kubernetes.io/job-name",
                                                 "job-name"};
  if (std::find(exact.begin(), exact.end(), key) != exact.end()) return true;
  return key.rfind("io.cilium.", 0) == 0 || key.rfind("io.kubernetes.", 0) == 0;
}

// The label keys that name a workload, most specific first.
const std::vector<std::string>& workload_keys() {
  static const std::vector<std::string> keys = {"app.kubernetes.io/name", "app", "k8s-app", "name", "component"};
  return keys;
}

struct Party {
  enum class Kind { Pod, World, Entity, Skip } kind = Kind::Skip;
  std::string ns;
  net::LabelSelector pods;  // Pod: the workload's selector
  std::string entity;       // Entity
};

Party party(const json& ep) {
  Party p;
  if (!ep.is_object()) return p;
  std::vector<std::pair<std::string, std::string>> k8s;
  std::string reserved;
  if (auto it = ep.find("labels"); it != ep.end() && it->is_array()) {
    for (const auto& l : *it) {
      if (!l.is_string()) continue;
      auto s = l.get<std::string>();
      auto colon = s.find(':');
      auto source = colon == std::string::npos ? std::string() : s.substr(0, colon);
      auto rest = colon == std::string::npos ? s : s.substr(colon + 1);
      if (source == "reserved") {
        if (reserved.empty()) reserved = rest;
        continue;
      }
      if (source != "k8s" && !source.empty()) continue;
      auto eq = rest.find('=');
      auto key = rest.substr(0, eq);
      auto value = eq == std::string::npos ? std::string() : rest.substr(eq + 1);
      if (noise(key) || !net::check_label_key(key).empty() || !net::check_label_value(value).empty()) continue;
      k8s.emplace_back(key, value);
    }
  }
  std::string ns = ep.value("namespace", std::string());
  if (!ns.empty() && net::check_dns_label(ns).empty() && !k8s.empty()) {
    p.kind = Party::Kind::Pod;
    p.ns = ns;
    for (const auto& key : workload_keys()) {
      auto it = std::find_if(k8s.begin(), k8s.end(), [&](const auto& kv) { return kv.first == key; });
      if (it != k8s.end()) {
        p.pods.add(net::Requirement{it->first, net::SelOp::Equals, {it->second}});
        return p;
      }
    }
    for (const auto& [k, v] : k8s) p.pods.add(net::Requirement{k, net::SelOp::Equals, {v}});
    return p;
  }
  if (reserved == "world" || reserved == "world-ipv4" || reserved == "world-ipv6" || reserved == "unmanaged") {
    p.kind = Party::Kind::World;
    return p;
  }
  if (reserved == "host" || reserved == "remote-node" || reserved == "kube-apiserver") {
    p.kind = Party::Kind::Entity;
    p.entity = reserved;
  }
  return p;
}

std::string lower_name(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool usable_dns(const std::string& name) {
  return name.find('.') != std::string::npos && name.find('*') == std::string::npos && net::check_dns_name(name, false).empty() &&
         !(name.size() > 14 && name.compare(name.size() - 14, 14, ".cluster.local") == 0);
}

struct Key {
  ir::Direction direction;
  std::string ns;
  net::LabelSelector subject;
  std::string peer;  // ordering key of the peer
  net::Port port;
  friend auto operator<=>(const Key&, const Key&) = default;
};

struct Seen {
  ir::Peer peer;
  // A connection between two pods is seen at both ends: counted as the more of the two.
  std::size_t at_source = 0, at_destination = 0;
  std::size_t order = 0;
  std::size_t count() const { return std::max(at_source, at_destination); }
};

}  // namespace

std::string flows_to_fence(const std::vector<FileId>& files, const SourceManager& sm, DiagnosticSink& sink) {
  std::map<Key, Seen> seen;
  std::map<std::string, std::string> names_of;  // address -> DNS name, from the proxy's answers
  struct Pending {
    json flow;
    Span span;
  };
  std::vector<Pending> flows;
  std::size_t lines = 0, dropped = 0, replies = 0, other_verdicts = 0, icmp = 0, unnamed = 0, events = 0;
  std::string first_time, last_time;
  std::vector<std::string> paths;
  for (auto f : files) {
    const auto& src = sm.file(f);
    paths.push_back(src.path);
    for (std::size_t i = 0; i < src.line_starts.size(); ++i) {
      auto begin = src.line_starts[i];
      auto end = i + 1 < src.line_starts.size() ? src.line_starts[i + 1] : static_cast<std::uint32_t>(src.text.size());
      std::string_view line(src.text.data() + begin, end - begin);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) continue;
      ++lines;
      Span span{f, begin, begin + static_cast<std::uint32_t>(line.size())};
      json doc = json::parse(line, nullptr, false);
      if (doc.is_discarded() || !doc.is_object()) {
        sink.error(Code::E0911, span, "this line is not a JSON object")
            .hint("give the output of `hubble observe -o json`: one flow per line");
        continue;
      }
      const json* flow = &doc;
      if (auto it = doc.find("flow"); it != doc.end()) {
        flow = &*it;
      } else if (doc.contains("node_status") || doc.contains("lost_events") || doc.contains("agent_event") || doc.contains("debug_event")) {
        ++events;
        continue;
      }
      if (!flow->is_object() || !flow->contains("source") || !flow->contains("destination") || !flow->contains("verdict")) {
        sink.error(Code::E0911, span, "this is not a Hubble flow: a flow has a verdict, a source and a destination")
            .hint("give the output of `hubble observe -o json`");
        continue;
      }
      flows.push_back({*flow, span});
      // The DNS proxy's answers say which names the addresses carry.
      if (auto l7 = flow->find("l7"); l7 != flow->end() && l7->is_object()) {
        if (auto dns = l7->find("dns"); dns != l7->end() && dns->is_object()) {
          auto query = lower_name(dns->value("query", std::string()));
          if (auto ips = dns->find("ips"); ips != dns->end() && ips->is_array() && usable_dns(query)) {
            for (const auto& ip : *ips) {
              if (ip.is_string()) names_of.emplace(ip.get<std::string>(), query);
            }
          }
        }
      }
    }
  }
  std::size_t order = 0, used = 0;
  for (const auto& [flow, span] : flows) {
    auto verdict = flow.value("verdict", std::string());
    if (verdict == "DROPPED") {
      ++dropped;
      continue;
    }
    if (verdict != "FORWARDED" && verdict != "AUDIT" && verdict != "REDIRECTED") {
      ++other_verdicts;
      continue;
    }
    bool reply = false;
    if (auto it = flow.find("is_reply"); it != flow.end() && it->is_boolean()) reply = it->get<bool>();
    if (auto it = flow.find("reply"); it != flow.end() && it->is_boolean()) reply = reply || it->get<bool>();
    if (reply) {
      ++replies;
      continue;
    }
    // The DNS proxy's own L7 records repeat connections seen at L3/L4.
    if (flow.value("Type", std::string()) == "L7") continue;
    net::Port port;
    const auto& l4 = flow.contains("l4") ? flow["l4"] : json::object();
    bool found = false;
    for (auto [name, proto] : {std::pair{"TCP", net::Protocol::TCP}, std::pair{"UDP", net::Protocol::UDP}, std::pair{"SCTP", net::Protocol::SCTP}}) {
      if (!l4.is_object() || !l4.contains(name) || !l4[name].is_object()) continue;
      auto p = l4[name].value("destination_port", 0);
      if (p < 1 || p > 65535) continue;
      port.protocol = proto;
      port.kind = net::Port::Kind::Number;
      port.first = port.last = static_cast<std::uint16_t>(p);
      found = true;
    }
    if (!found) {
      ++icmp;  // ICMP and other protocols without ports: Fence states none of them
      continue;
    }
    auto from = party(flow["source"]);
    auto to = party(flow["destination"]);
    std::string src_ip, dst_ip;
    if (auto ip = flow.find("IP"); ip != flow.end() && ip->is_object()) {
      src_ip = ip->value("source", std::string());
      dst_ip = ip->value("destination", std::string());
    }
    auto address_peer = [&](const std::string& ip, ir::Peer& out) {
      auto c = net::parse_cidr(ip);
      if (!c.cidr) return false;
      out.kind = ir::Peer::Kind::Cidr;
      out.cidr.cidr = c.cidr->masked();
      if (c.missing_prefix) out.cidr.cidr.prefix = static_cast<std::uint8_t>(c.cidr->bits());
      return true;
    };
    Key key;
    ir::Peer peer;
    if (from.kind == Party::Kind::Pod) {
      key.direction = ir::Direction::Egress;
      key.ns = from.ns;
      key.subject = from.pods;
      switch (to.kind) {
        case Party::Kind::Pod:
          peer.kind = ir::Peer::Kind::Endpoint;
          peer.endpoint = ir::Endpoint{ir::NamespaceSel{ir::NamespaceSel::Kind::Named, to.ns, {}}, to.pods};
          break;
        case Party::Kind::World: {
          std::string name;
          if (auto dn = flow.find("destination_names"); dn != flow.end() && dn->is_array()) {
            for (const auto& n : *dn) {
              if (n.is_string() && usable_dns(lower_name(n.get<std::string>()))) {
                name = lower_name(n.get<std::string>());
                break;
              }
            }
          }
          if (name.empty()) {
            if (auto it = names_of.find(dst_ip); it != names_of.end()) name = it->second;
          }
          if (!name.empty()) {
            peer.kind = ir::Peer::Kind::DnsName;
            peer.dns = name;
          } else if (!address_peer(dst_ip, peer)) {
            ++unnamed;
            continue;
          }
          break;
        }
        case Party::Kind::Entity:
          peer.kind = ir::Peer::Kind::Entity;
          peer.entity = to.entity;
          break;
        case Party::Kind::Skip:
          ++unnamed;
          continue;
      }
    } else if (to.kind == Party::Kind::Pod) {
      key.direction = ir::Direction::Ingress;
      key.ns = to.ns;
      key.subject = to.pods;
      if (from.kind == Party::Kind::World) {
        if (!address_peer(src_ip, peer)) {
          ++unnamed;
          continue;
        }
      } else if (from.kind == Party::Kind::Entity) {
        peer.kind = ir::Peer::Kind::Entity;
        peer.entity = from.entity;
      } else {
        ++unnamed;
        continue;
      }
    } else {
      ++unnamed;  // neither end is a pod Fence can name
      continue;
    }
    key.peer = peer.str();
    key.port = port;
    auto [it, fresh] = seen.try_emplace(key);
    if (fresh) {
      it->second.peer = peer;
      it->second.order = order++;
    }
    bool at_destination = flow.value("traffic_direction", std::string()) == "INGRESS" && from.kind == Party::Kind::Pod && to.kind == Party::Kind::Pod;
    ++(at_destination ? it->second.at_destination : it->second.at_source);
    ++used;
    auto time = flow.value("time", std::string());
    if (!time.empty() && (first_time.empty() || time < first_time)) first_time = time;
    if (!time.empty() && time > last_time) last_time = time;
  }

  // The intents as an import: one rule per subject, peer and port, in the order first seen.
  Imported im;
  std::vector<std::pair<const Key*, const Seen*>> ordered;
  for (const auto& [k, s] : seen) ordered.emplace_back(&k, &s);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.second->order < b.second->order; });
  for (const auto& [k, s] : ordered) {
    ir::Rule r;
    r.action = ir::Action::Allow;
    r.direction = k->direction;
    r.scope = ir::Scope{false, k->ns};
    r.subject = ir::Endpoint{ir::NamespaceSel{ir::NamespaceSel::Kind::Named, k->ns, {}}, k->subject};
    r.peers.push_back(s->peer);
    r.ports.push_back(k->port);
    Source src;
    src.label = fmt::format("{}: {} flow{}", k->port.str(), s->count(), s->count() == 1 ? "" : "s");
    im.sources.push_back(src);
    im.rule_source.push_back(im.sources.size() - 1);
    im.program.rules.push_back(std::move(r));
    if (std::find(im.program.namespaces.begin(), im.program.namespaces.end(), k->ns) == im.program.namespaces.end()) im.program.namespaces.push_back(k->ns);
  }
  std::sort(im.program.namespaces.begin(), im.program.namespaces.end());

  WriteOptions opt;
  opt.statement_per_peer = true;
  auto count = [](std::size_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); };
  opt.header.push_back(fmt::format("Written by `fence import --flows` from {}: {} of {} read, {}.", fmt::join(paths, ", "),
                                   count(used, "flow", "flows"), count(lines, "line", "lines"),
                                   first_time.empty() ? std::string("no time given") : fmt::format("seen from {} to {}", first_time, last_time)));
  opt.header.push_back("");
  opt.header.push_back("A STARTING POINT TO REVIEW, NOT A POLICY TO APPLY AS IT IS. It allows what was seen, and only that:");
  opt.header.push_back("traffic that did not happen while the flows were recorded is missing, and traffic that should not");
  opt.header.push_back("have happened is allowed. Read every statement, name the addresses, add `default deny` where you");
  opt.header.push_back("mean it, then `fence check`. DNS names need --target cilium (toFQDNs). See docs/import.md.");
  std::vector<std::string> left;
  if (dropped > 0) left.push_back(count(dropped, "dropped flow", "dropped flows"));
  if (replies > 0) left.push_back(count(replies, "reply", "replies"));
  if (icmp > 0) left.push_back(count(icmp, "flow", "flows") + " without ports (ICMP and the like)");
  if (unnamed > 0) left.push_back(count(unnamed, "flow", "flows") + " between endpoints Fence cannot name");
  if (other_verdicts > 0) left.push_back(count(other_verdicts, "flow", "flows") + " with other verdicts");
  if (events > 0) left.push_back(count(events, "event that is not a flow", "events that are not flows"));
  if (!left.empty()) {
    opt.header.push_back("");
    opt.header.push_back(fmt::format("Left out: {}.", fmt::join(left, ", ")));
  }
  if (im.program.rules.empty()) {
    std::string out;
    for (const auto& line : opt.header) out += line.empty() ? std::string("#\n") : fmt::format("# {}\n", line);
    return format::format_text(out + "#\n# No flow gave an intent.\n");
  }
  return write(im, opt);
}

}  // namespace fence::import
