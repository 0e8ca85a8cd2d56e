#include "ir/ir.h"

#include <fmt/format.h>

namespace fence::ir {

std::string_view direction_name(Direction d) {
  return d == Direction::Egress ? "egress" : "ingress";
}

std::string_view tier_name(Tier t) {
  switch (t) {
    case Tier::Namespace:
      return "namespace";
    case Tier::Admin:
      return "admin";
    case Tier::Baseline:
      return "baseline";
  }
  return "namespace";
}

std::string_view action_name(Action a) {
  switch (a) {
    case Action::Allow:
      return "allow";
    case Action::Deny:
      return "deny";
    case Action::Pass:
      return "pass";
  }
  return "allow";
}

std::string NamespaceSel::str() const {
  switch (kind) {
    case Kind::Named:
      return name;
    case Kind::Selector:
      return fmt::format("ns[{}]", selector.str());
    case Kind::Any:
      return "all namespaces";
  }
  return name;
}

std::string Endpoint::str() const {
  std::string pod = pods.selects_all() ? std::string("all pods") : fmt::format("pods[{}]", pods.str());
  return fmt::format("{}/{}", ns.str(), pod);
}

std::string CidrBlock::str() const {
  if (except.empty()) return cidr.str();
  std::vector<std::string> ex;
  for (const auto& e : except) ex.push_back(e.str());
  return fmt::format("{} except {{{}}}", cidr.str(), fmt::join(ex, ", "));
}

std::string Peer::str() const {
  switch (kind) {
    case Kind::Endpoint:
      return endpoint.str();
    case Kind::Cidr:
      return cidr.str();
    case Kind::DnsName:
      return dns;
    case Kind::Entity:
      return "entity " + entity;
    case Kind::Any:
      return "anything";
  }
  return {};
}

bool Peer::same_as(const Peer& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::Endpoint:
      return endpoint == o.endpoint;
    case Kind::Cidr:
      return cidr == o.cidr;
    case Kind::DnsName:
      return dns == o.dns;
    case Kind::Entity:
      return entity == o.entity;
    case Kind::Any:
      return true;
  }
  return false;
}

bool Program::denies(const Scope& s, Direction d) const {
  for (const auto& dd : default_denies) {
    if (dd.whole() && dd.scope == s && dd.covers(d)) return true;
  }
  return false;
}

bool Program::namespace_denies(const std::string& ns, Direction d) const {
  return denies(Scope{false, ns}, d) || denies(Scope{true, {}}, d);
}

}  // namespace fence::ir
