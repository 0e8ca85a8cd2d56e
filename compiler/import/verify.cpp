// `fence import --verify`: do two programs admit the same connections? Both are read by the
// semantic engine behind `fence why` (analyze/), one side of a connection at a time, on a model
// cluster built from what the programs mention:
//   - namespaces: every one named, one whose labels match each namespace selector and one for
//     each requirement of it that misses just that requirement, and one with no labels;
//   - pods, in every namespace: for each pod selector, one with exactly the labels it needs and
//     one per requirement that misses just that one, and a pod with no labels; every pod but the
//     last has every named port the programs use;
//   - addresses: the first and last address of every CIDR and except, and their neighbours; one
//     address of each family that no CIDR names; every DNS name, and one no rule names;
//   - ports, per protocol: both ends of every port and range and their neighbours, the numbers
//     given to named ports, and port 1.
// A rule that treats one pod (address, port) differently from another must name something that
// tells them apart, and the model holds both sides of every such edge; so where the programs
// differ on a selector, a CIDR or a port range, the model has a connection they disagree on.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "analyze/reach.h"
#include "import/import.h"
#include "net/cidr_set.h"

namespace fence::import {

namespace {

constexpr const char* kNameLabel = "kubernetes.io/metadata.name";

using Labels = analyze::Labels;

// Labels that satisfy a selector, and for each requirement, labels that miss only that one.
std::vector<Labels> witnesses(const net::LabelSelector& s) {
  Labels yes;
  for (const auto& r : s.reqs) {
    switch (r.op) {
      case net::SelOp::Equals:
      case net::SelOp::In:
        yes[r.key] = r.values.front();
        break;
      case net::SelOp::Exists:
        if (!yes.count(r.key)) yes[r.key] = "fence-verify";
        break;
      case net::SelOp::NotEquals:
      case net::SelOp::NotIn:
      case net::SelOp::DoesNotExist:
        break;
    }
  }
  std::vector<Labels> out{yes};
  for (const auto& r : s.reqs) {
    Labels miss = yes;
    switch (r.op) {
      case net::SelOp::Equals:
      case net::SelOp::In:
      case net::SelOp::Exists:
        miss.erase(r.key);
        out.push_back(miss);
        miss[r.key] = "fence-verify-other";
        break;
      case net::SelOp::NotEquals:
      case net::SelOp::NotIn:
        miss[r.key] = r.values.front();
        break;
      case net::SelOp::DoesNotExist:
        miss[r.key] = "fence-verify";
        break;
    }
    out.push_back(miss);
    // The other values of a set, one at a time.
    if (r.op == net::SelOp::In || r.op == net::SelOp::NotIn) {
      for (const auto& v : r.values) {
        Labels each = yes;
        each[r.key] = v;
        out.push_back(each);
      }
    }
  }
  return out;
}

struct Model {
  std::map<std::string, Labels> namespaces;  // name -> labels (besides its name label)
  std::set<Labels> pod_labels;
  std::set<std::string> dns;
  std::vector<net::Cidr> addresses;
  std::map<std::pair<net::Protocol, std::string>, std::uint16_t> named_ports;
  std::map<net::Protocol, std::set<std::uint16_t>> ports;
};

void add_address(Model& m, net::Uint128 v, net::Family f) {
  net::Cidr c;
  c.family = f;
  c.prefix = static_cast<std::uint8_t>(f == net::Family::V4 ? 32 : 128);
  auto bytes = f == net::Family::V4 ? 4 : 16;
  for (int i = 0; i < bytes; ++i) c.addr[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((v >> (8 * (bytes - 1 - i))) & 0xff);
  if (std::find(m.addresses.begin(), m.addresses.end(), c) == m.addresses.end()) m.addresses.push_back(c);
}

void add_edges(Model& m, const net::Cidr& c) {
  auto lo = net::first_address(c), hi = net::last_address(c);
  net::Uint128 max = c.family == net::Family::V4 ? net::Uint128(0xffffffffu) : ~net::Uint128(0);
  add_address(m, lo, c.family);
  add_address(m, hi, c.family);
  if (lo > 0) add_address(m, lo - 1, c.family);
  if (hi < max) add_address(m, hi + 1, c.family);
}

void add_port(Model& m, net::Protocol p, std::uint32_t n) {
  if (n < 1 || n > 65535) return;
  if (p == net::Protocol::Any) {
    for (auto q : {net::Protocol::TCP, net::Protocol::UDP, net::Protocol::SCTP}) m.ports[q].insert(static_cast<std::uint16_t>(n));
    return;
  }
  m.ports[p].insert(static_cast<std::uint16_t>(n));
}

void collect(Model& m, const ir::Program& prog) {
  auto endpoint = [&](const ir::Endpoint& e) {
    for (const auto& l : witnesses(e.pods)) m.pod_labels.insert(l);
    switch (e.ns.kind) {
      case ir::NamespaceSel::Kind::Named:
        m.namespaces[e.ns.name];
        break;
      case ir::NamespaceSel::Kind::Selector: {
        std::size_t k = 0;
        for (auto l : witnesses(e.ns.selector)) {
          // A namespace's name label is its name.
          auto name = l.count(kNameLabel) ? l[kNameLabel] : fmt::format("fence-verify-{}-{}", m.namespaces.size(), k++);
          l.erase(kNameLabel);
          auto& labels = m.namespaces[name];
          for (const auto& [key, v] : l) labels.emplace(key, v);
        }
        break;
      }
      case ir::NamespaceSel::Kind::Any:
        break;
    }
  };
  for (const auto& r : prog.rules) {
    endpoint(r.subject);
    for (const auto& p : r.peers) {
      switch (p.kind) {
        case ir::Peer::Kind::Endpoint:
          endpoint(p.endpoint);
          break;
        case ir::Peer::Kind::Cidr:
          add_edges(m, p.cidr.cidr);
          for (const auto& e : p.cidr.except) add_edges(m, e);
          break;
        case ir::Peer::Kind::DnsName: {
          std::string name = p.dns;
          for (auto& c : name) {
            if (c == '*') c = 'x';
          }
          if (name.find('x') == 0 && p.is_dns_pattern()) name = "fence-verify" + name.substr(1);
          m.dns.insert(name);
          break;
        }
        case ir::Peer::Kind::Entity:
        case ir::Peer::Kind::Any:
          break;
      }
    }
    for (const auto& p : r.ports) {
      switch (p.kind) {
        case net::Port::Kind::Number:
        case net::Port::Kind::Range:
          for (std::uint32_t n : {std::uint32_t(p.first) - 1, std::uint32_t(p.first), std::uint32_t(p.last), std::uint32_t(p.last) + 1}) add_port(m, p.protocol, n);
          break;
        case net::Port::Kind::Named: {
          auto protos = p.protocol == net::Protocol::Any ? std::vector<net::Protocol>{net::Protocol::TCP, net::Protocol::UDP, net::Protocol::SCTP}
                                                         : std::vector<net::Protocol>{p.protocol};
          for (auto q : protos) {
            auto [it, fresh] = m.named_ports.try_emplace({q, p.name}, static_cast<std::uint16_t>(40000 + m.named_ports.size()));
            add_port(m, q, it->second);
          }
          break;
        }
        case net::Port::Kind::All:
          break;
      }
    }
  }
  for (const auto& dd : prog.default_denies) {
    if (dd.subject) endpoint(*dd.subject);
    if (!dd.scope.cluster) m.namespaces[dd.scope.ns];
  }
  for (const auto& ns : prog.namespaces) m.namespaces[ns];
}

// The part of a program that can bear on the sides of pods in namespace `ns`: the rules and
// default denies whose subject may lie there.
ir::Program for_namespace(const ir::Program& prog, const std::string& ns) {
  ir::Program out;
  out.pod_cidrs = prog.pod_cidrs;
  out.service_cidrs = prog.service_cidrs;
  out.namespaces = prog.namespaces;
  for (const auto& r : prog.rules) {
    if (r.subject.ns.kind != ir::NamespaceSel::Kind::Named || r.subject.ns.name == ns) out.rules.push_back(r);
  }
  for (const auto& dd : prog.default_denies) {
    if (dd.scope.cluster || dd.scope.ns == ns) out.default_denies.push_back(dd);
  }
  return out;
}

std::string port_str(std::uint16_t n, net::Protocol p) {
  std::string proto(net::protocol_name(p));
  for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("{}/{}", n, proto);
}

// A program's meaning as a set: each rule peer by peer, each default deny direction by
// direction. Rules and their order, which statement said what and which rules were implied make
// no difference to what a program admits.
std::set<std::string> atoms(const ir::Program& prog) {
  std::set<std::string> out;
  for (const auto& r : prog.rules) {
    std::vector<std::string> ports;
    for (const auto& p : r.ports) ports.push_back(p.str());
    std::sort(ports.begin(), ports.end());
    std::vector<std::string> http;
    for (const auto& h : r.http) http.push_back(fmt::format("{} {} {} {}", h.method, h.path, h.host, fmt::join(h.headers, ";")));
    std::sort(http.begin(), http.end());
    for (const auto& p : r.peers) {
      out.insert(fmt::format("{} {} {} {} | {} | {} | {}", r.action == ir::Action::Allow ? "allow" : "deny", ir::direction_name(r.direction),
                             r.scope.str(), r.subject.str(), p.str(), fmt::join(ports, ","), fmt::join(http, ",")));
    }
  }
  for (const auto& dd : prog.default_denies) {
    for (auto d : {ir::Direction::Egress, ir::Direction::Ingress}) {
      if (dd.covers(d)) out.insert(fmt::format("default deny {} {} {}", ir::direction_name(d), dd.scope.str(), dd.subject ? dd.subject->str() : "*"));
    }
  }
  return out;
}

}  // namespace

VerifyReport verify(const ir::Program& expected, const ir::Program& actual, std::size_t limit, bool always_model) {
  auto mine = atoms(expected);
  VerifyReport report;
  report.rules = mine.size();
  report.same_rules = mine == atoms(actual) && expected.pod_cidrs == actual.pod_cidrs;
  if (report.same_rules && !always_model) return report;
  Model m;
  collect(m, expected);
  collect(m, actual);
  m.namespaces["fence-verify-unlabelled"];
  m.pod_labels.insert(Labels{});
  m.dns.insert("fence-verify.invalid");
  add_address(m, 0xC6120001u, net::Family::V4);  // 198.18.0.1, a benchmarking address
  add_address(m, (net::Uint128(0x20010db8u) << 96) | 0xfffe, net::Family::V6);
  for (auto p : {net::Protocol::TCP, net::Protocol::UDP, net::Protocol::SCTP}) add_port(m, p, 1);

  // The model's endpoints.
  std::vector<analyze::Endpoint> pods, others;
  for (const auto& [ns, labels] : m.namespaces) {
    for (const auto& l : m.pod_labels) {
      analyze::Endpoint e;
      e.kind = analyze::Endpoint::Kind::Pod;
      e.ns = ns;
      e.labels = l;
      e.ns_labels = labels;
      pods.push_back(std::move(e));
    }
  }
  for (const auto& a : m.addresses) {
    analyze::Endpoint e;
    e.kind = analyze::Endpoint::Kind::Address;
    e.address = a;
    others.push_back(std::move(e));
  }
  for (const auto& d : m.dns) {
    analyze::Endpoint e;
    e.kind = analyze::Endpoint::Kind::Dns;
    e.dns = d;
    others.push_back(std::move(e));
  }
  report.pods = pods.size();
  report.addresses = m.addresses.size() + m.dns.size();
  for (const auto& [_, ns] : m.ports) report.ports += ns.size();

  bool assume_outside = expected.pod_cidrs.empty() && actual.pod_cidrs.empty();
  // The destination pod's name for a port: the model gives every labelled pod every named port.
  auto query = [&](std::uint16_t n, net::Protocol proto, const analyze::Endpoint& dst) {
    analyze::QueryPort q;
    q.protocol = proto;
    q.number = n;
    q.name = "";
    if (dst.is_pod() && !dst.labels.empty()) {
      for (const auto& [key, number] : m.named_ports) {
        if (key.first == proto && number == n) q.name = key.second;
      }
    }
    return q;
  };
  const ir::Program* exp = &expected;
  const ir::Program* act = &actual;
  auto compare = [&](ir::Direction d, const analyze::Endpoint& pod, const analyze::Endpoint& peer, std::uint16_t n, net::Protocol proto) {
    const auto& dst = d == ir::Direction::Egress ? peer : pod;
    auto q = query(n, proto, dst);
    auto a = analyze::side_of(*exp, d, pod, peer, q, dst.is_pod(), assume_outside).allowed;
    auto b = analyze::side_of(*act, d, pod, peer, q, dst.is_pod(), assume_outside).allowed;
    ++report.checked;
    if (a == b) return;
    ++report.difference_count;
    if (report.differences.size() >= limit) return;
    auto word = [](analyze::Tri t) { return t == analyze::Tri::Yes ? "allows" : t == analyze::Tri::No ? "denies" : "may allow"; };
    report.differences.push_back(fmt::format("{} {} {} on {}: the input {} it, the imported program {} it",
                                             d == ir::Direction::Egress ? "egress of" : "ingress of", pod.str(),
                                             d == ir::Direction::Egress ? "to " + peer.str() : "from " + peer.str(), port_str(n, proto), word(a), word(b)));
  };
  std::size_t per_pod = 0;
  for (const auto& [proto, numbers] : m.ports) per_pod += numbers.size() * (2 * (pods.size() - 1) + 2 * m.addresses.size() + m.dns.size());
  std::string current_ns;
  ir::Program sub_expected, sub_actual;
  bool trivial = false;
  for (const auto& pod : pods) {
    if (pod.ns != current_ns || current_ns.empty()) {
      current_ns = pod.ns;
      sub_expected = for_namespace(expected, pod.ns);
      sub_actual = for_namespace(actual, pod.ns);
      exp = &sub_expected;
      act = &sub_actual;
      // Nothing bears on this namespace's pods in either program: every side is open in both.
      trivial = sub_expected.rules.empty() && sub_expected.default_denies.empty() && sub_actual.rules.empty() && sub_actual.default_denies.empty();
    }
    if (trivial) {
      report.checked += per_pod;
      continue;
    }
    for (const auto* list : {&pods, &others}) {
      for (const auto& peer : *list) {
        if (&peer == &pod) continue;
        for (const auto& [proto, numbers] : m.ports) {
          for (auto n : numbers) {
            compare(ir::Direction::Egress, pod, peer, n, proto);
            if (peer.kind != analyze::Endpoint::Kind::Dns) compare(ir::Direction::Ingress, pod, peer, n, proto);
          }
        }
      }
    }
  }
  return report;
}

}  // namespace fence::import
