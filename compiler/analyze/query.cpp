#include "analyze/query.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "net/names.h"

namespace fence::analyze {

Tri tri_and(Tri a, Tri b) {
  return std::min(a, b);
}
Tri tri_or(Tri a, Tri b) {
  return std::max(a, b);
}
Tri tri_not(Tri a) {
  return a == Tri::Yes ? Tri::No : a == Tri::No ? Tri::Yes : Tri::Maybe;
}
std::string_view tri_name(Tri t) {
  return t == Tri::Yes ? "yes" : t == Tri::No ? "no" : "maybe";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string address_str(const net::Cidr& c) {
  if (c.prefix == c.bits()) {
    auto full = c.str();
    return full.substr(0, full.find('/'));
  }
  return c.str();
}

std::string labels_str(const Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return fmt::format("{}", fmt::join(parts, ","));
}

// An address or a CIDR, as the user typed it: a bare address stands for itself (/32, /128).
std::optional<net::Cidr> address_or_block(std::string_view text, std::string& why) {
  auto r = net::parse_cidr(text);
  if (!r.cidr) {
    why = r.error;
    return std::nullopt;
  }
  if (r.cidr->has_host_bits()) {
    why = fmt::format("it has bits set after its /{} prefix: write {}", r.cidr->prefix, r.cidr->masked().str());
    return std::nullopt;
  }
  return r.cidr;
}

bool looks_like_ipv4(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '/'; }) &&
         s.find('.') != std::string_view::npos;
}

[[noreturn]] void fail(std::string message) {
  throw QueryError{std::move(message)};
}

QueryPort parse_port(std::string_view whole, std::string_view text) {
  QueryPort p;
  auto slash = text.find('/');
  std::string_view value = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    auto proto = lower(text.substr(slash + 1));
    if (proto == "any") fail(fmt::format("'{}': a connection has one protocol: tcp, udp or sctp", whole));
    auto parsed = net::parse_protocol(proto);
    if (!parsed) fail(fmt::format("'{}': unknown protocol '{}'; the protocols are tcp, udp and sctp", whole, text.substr(slash + 1)));
    p.protocol = *parsed;
  }
  auto number = [&](std::string_view digits) -> std::uint16_t {
    unsigned long v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || end != digits.data() + digits.size() || v == 0 || v > 65535) {
      fail(fmt::format("'{}': '{}' is not a port: ports are 1 to 65535, or a port name", whole, digits));
    }
    return static_cast<std::uint16_t>(v);
  };
  auto name = [&](std::string_view n) -> std::string {
    auto why = net::check_port_name(n);
    if (!why.empty()) fail(fmt::format("'{}': '{}' is not a valid port name: {}", whole, n, why));
    return std::string(n);
  };
  if (value.empty()) fail(fmt::format("'{}': the port is missing after ':'", whole));
  auto eq = value.find('=');
  if (eq != std::string_view::npos) {
    p.name = name(value.substr(0, eq));
    p.number = number(value.substr(eq + 1));
  } else if (std::isdigit(static_cast<unsigned char>(value[0])) != 0) {
    p.number = number(value);
  } else {
    p.name = name(value);
  }
  return p;
}

Labels parse_label_list(std::string_view whole, std::string_view body, bool for_pod) {
  Labels out;
  std::size_t i = 0;
  while (i < body.size()) {
    auto comma = body.find(',', i);
    auto item = body.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    i = comma == std::string_view::npos ? body.size() : comma + 1;
    auto eq = item.find('=');
    if (eq == std::string_view::npos || item.find_first_of("!()") != std::string_view::npos || item.find(" in ") != std::string_view::npos) {
      fail(fmt::format("'{}': {} is described by its labels, as KEY=VALUE pairs; '{}' is not one", whole, for_pod ? "a pod" : "a namespace", item));
    }
    auto key = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    auto kwhy = net::check_label_key(key);
    if (!kwhy.empty()) fail(fmt::format("'{}': '{}' is not a valid label key: {}", whole, key, kwhy));
    auto vwhy = net::check_label_value(value);
    if (!vwhy.empty()) fail(fmt::format("'{}': '{}' is not a valid label value: {}", whole, value, vwhy));
    if (!out.emplace(std::string(key), std::string(value)).second) fail(fmt::format("'{}': label '{}' is given twice", whole, key));
  }
  return out;
}

}  // namespace

std::string Endpoint::str() const {
  switch (kind) {
    case Kind::Pod: {
      std::string s = workload ? fmt::format("{}/{}", ns, *workload) : fmt::format("{}/pods[{}]", ns, labels_str(labels));
      if (address) s += "@" + address_str(*address);
      return s;
    }
    case Kind::Address: {
      std::string s = address ? address_str(*address) : std::string();
      std::vector<std::string> out;
      for (const auto& e : except) out.push_back(e.str());
      if (!out.empty()) s += fmt::format(" except {}", fmt::join(out, ", "));
      return s;
    }
    case Kind::Dns:
      return address ? dns + "@" + address_str(*address) : dns;
    case Kind::Entity:
      return "entity " + entity;
  }
  return {};
}

Labels Endpoint::known_ns_labels() const {
  Labels out = ns_labels.value_or(Labels{});
  out[kNamespaceNameLabel] = ns;
  return out;
}

std::string QueryPort::str() const {
  auto proto = net::protocol_lower(protocol);
  if (name && !name->empty() && number) return fmt::format("{}={}/{}", *name, *number, proto);
  if (number) return fmt::format("{}/{}", *number, proto);
  return fmt::format("{}/{}", name.value_or(""), proto);
}

EndpointWithPort parse_endpoint(std::string_view text, bool with_port) {
  EndpointWithPort out;
  Endpoint& ep = out.endpoint;
  std::string_view rest = text;
  if (text.empty()) fail("an endpoint is empty: write NAMESPACE/WORKLOAD, an address, or a DNS name");

  // The head: everything up to '@' or the port's ':', keeping brackets and pods[...] whole.
  std::size_t head_end = 0;
  if (text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) fail(fmt::format("'{}': '[' without ']'", text));
    auto why = std::string();
    auto inner = text.substr(1, close - 1);
    auto a = address_or_block(inner, why);
    if (!a) fail(fmt::format("'{}': '{}' is not an address: {}", text, inner, why));
    ep.kind = Endpoint::Kind::Address;
    ep.address = a;
    rest = text.substr(close + 1);
  } else {
    int depth = 0;
    for (; head_end < text.size(); ++head_end) {
      char c = text[head_end];
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (depth == 0 && (c == ':' || c == '@')) break;
    }
    std::string_view head = text.substr(0, head_end);
    rest = text.substr(head_end);
    auto slash = head.find('/');
    std::string why;
    if (looks_like_ipv4(head)) {
      auto a = address_or_block(head, why);
      if (!a) fail(fmt::format("'{}' is not an address: {}", head, why));
      ep.kind = Endpoint::Kind::Address;
      ep.address = a;
    } else if (head_end < text.size() && text[head_end] == ':' && net::parse_cidr(text).cidr) {
      // An IPv6 address without brackets: it cannot take a port.
      auto a = address_or_block(text, why);
      if (!a) fail(fmt::format("'{}' is not an address: {}", text, why));
      ep.kind = Endpoint::Kind::Address;
      ep.address = a;
      rest = {};
    } else if (slash != std::string_view::npos) {
      ep.kind = Endpoint::Kind::Pod;
      ep.ns = std::string(head.substr(0, slash));
      auto nwhy = net::check_dns_label(ep.ns);
      if (!nwhy.empty()) fail(fmt::format("'{}': '{}' is not a valid namespace name: {}", text, ep.ns, nwhy));
      auto pod = head.substr(slash + 1);
      if (pod.rfind("pods[", 0) == 0) {
        if (pod.back() != ']') fail(fmt::format("'{}': pods[...] needs its closing ']'", text));
        ep.labels = parse_label_list(text, pod.substr(5, pod.size() - 6), true);
      } else if (pod == "all pods" || pod.empty()) {
        fail(fmt::format("'{}': name one pod: NAMESPACE/WORKLOAD, or NAMESPACE/pods[KEY=VALUE,...] with its labels", text));
      } else {
        auto vwhy = net::check_label_value(pod);
        if (!vwhy.empty() || pod.find('/') != std::string_view::npos) {
          fail(fmt::format("'{}': '{}' is not a valid workload name: {}", text, pod, vwhy.empty() ? "it contains '/'" : vwhy));
        }
        ep.workload = std::string(pod);
      }
    } else if (head.find('.') != std::string_view::npos) {
      auto dwhy = net::check_dns_name(head, false);
      if (!dwhy.empty()) fail(fmt::format("'{}' is not a valid DNS name: {}", head, dwhy));
      ep.kind = Endpoint::Kind::Dns;
      ep.dns = lower(head);
      if (!ep.dns.empty() && ep.dns.back() == '.') ep.dns.pop_back();
    } else {
      fail(fmt::format("'{}': give the namespace too, as NAMESPACE/{}", head, head));
    }
  }

  if (!rest.empty() && rest[0] == '@') {
    if (ep.kind == Endpoint::Kind::Address) fail(fmt::format("'{}': an address needs no '@ADDRESS'", text));
    rest.remove_prefix(1);
    std::string_view addr;
    if (!rest.empty() && rest[0] == '[') {
      auto close = rest.find(']');
      if (close == std::string_view::npos) fail(fmt::format("'{}': '[' without ']'", text));
      addr = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
    } else {
      auto colon = rest.find(':');
      addr = rest.substr(0, colon);
      bool v6 = colon != std::string_view::npos && addr.find('.') == std::string_view::npos;
      if (v6) fail(fmt::format("'{}': an IPv6 address after '@' goes in brackets, as @[fd00::1]", text));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
    }
    std::string why;
    auto a = address_or_block(addr, why);
    if (!a) fail(fmt::format("'{}': '{}' is not an address: {}", text, addr, why));
    if (a->prefix != a->bits()) fail(fmt::format("'{}': after '@' give one address, not the block {}", text, a->str()));
    ep.address = a;
  }

  if (!rest.empty() && rest[0] == ':') {
    if (!with_port) fail(fmt::format("'{}': the port belongs to the destination (--to), not here", text));
    out.port = parse_port(text, rest.substr(1));
    if (out.port->name && !out.port->name->empty() && ep.kind != Endpoint::Kind::Pod) {
      fail(fmt::format("'{}': named ports belong to pods; for an address or a DNS name give the number", text));
    }
    rest = {};
  }
  if (!rest.empty()) fail(fmt::format("'{}': unexpected '{}'", text, rest));
  if (with_port && !out.port) {
    std::string base(text);
    if (ep.kind == Endpoint::Kind::Address && ep.address->family == net::Family::V6 && text[0] != '[') base = "[" + base + "]";
    fail(fmt::format("'{}' needs a port: add :PORT[/PROTOCOL], e.g. {}:443 or {}:53/udp", text, base, base));
  }
  return out;
}

std::pair<std::string, Labels> parse_namespace_labels(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) fail(fmt::format("'{}': write NAMESPACE:KEY=VALUE,..., e.g. production:team=shop", text));
  std::string ns(text.substr(0, colon));
  auto why = net::check_dns_label(ns);
  if (!why.empty()) fail(fmt::format("'{}': '{}' is not a valid namespace name: {}", text, ns, why));
  auto labels = parse_label_list(text, text.substr(colon + 1), false);
  if (auto it = labels.find(kNamespaceNameLabel); it != labels.end() && it->second != ns) {
    fail(fmt::format("'{}': namespace {} is labelled {}={} by Kubernetes", text, ns, kNamespaceNameLabel, ns));
  }
  return {ns, labels};
}

std::string workload_label_key(const ir::Program& program, const std::string& ns, const std::optional<std::string>& override_key) {
  if (override_key) return *override_key;
  std::set<std::string> keys;
  if (auto it = program.workload_label_keys.find(ns); it != program.workload_label_keys.end()) {
    keys = it->second;
  } else {
    for (const auto& [_, k] : program.workload_label_keys) keys.insert(k.begin(), k.end());
  }
  if (keys.empty()) return "app";
  if (keys.size() == 1) return *keys.begin();
  throw QueryError{fmt::format("the program names workloads{} by several label keys ({}): choose one with --label-key",
                               program.workload_label_keys.count(ns) != 0 ? " in namespace " + ns : std::string(), fmt::join(keys, ", "))};
}

void bind_endpoint(Endpoint& ep, const ir::Program& program, const std::optional<std::string>& override_key,
                   const std::map<std::string, Labels>& ns_labels) {
  if (ep.kind != Endpoint::Kind::Pod) return;
  if (ep.workload) {
    ep.workload_key = workload_label_key(program, ep.ns, override_key);
    ep.labels = Labels{{ep.workload_key, *ep.workload}};
  }
  if (auto it = ns_labels.find(ep.ns); it != ns_labels.end()) ep.ns_labels = it->second;
}

void bind_inventory(EndpointWithPort& ep, const inventory::Inventory& inventory) {
  auto& e = ep.endpoint;
  if (e.kind != Endpoint::Kind::Pod || !e.workload) return;
  const auto* w = inventory.named(e.ns, *e.workload, e.workload_key);
  if (w == nullptr) return;
  e.labels = Labels(w->labels.begin(), w->labels.end());
  if (!ep.port) return;
  auto& q = *ep.port;
  if (q.number && !q.name) {
    const auto* p = w->port_numbered(*q.number, q.protocol);
    q.name = p != nullptr ? p->name : "";  // a port the pods do not declare has no name
  } else if (q.name && !q.name->empty() && !q.number) {
    const auto* p = w->port_named(*q.name);
    if (p != nullptr && p->protocol == q.protocol) q.number = p->number;
  }
}

void add_namespace_labels(std::map<std::string, Labels>& given, const inventory::Inventory& inventory) {
  for (const auto& ns : inventory.namespace_objects()) {
    if (given.count(ns.name) != 0) continue;
    auto labels = inventory.namespace_labels(ns.name);
    given.emplace(ns.name, Labels(labels->begin(), labels->end()));
  }
}

}  // namespace fence::analyze
