#include "net/port.h"

#include <iterator>

#include <fmt/format.h>

namespace fence::net {

namespace {

// Indexed by Protocol: its name as Kubernetes writes it, and as Fence's sources do.
struct ProtocolNames {
  std::string_view upper, lower;
};
constexpr ProtocolNames kProtocolNames[] = {{"TCP", "tcp"}, {"UDP", "udp"}, {"SCTP", "sctp"}, {"ANY", "any"}};

const ProtocolNames& names_of(Protocol p) {
  auto i = static_cast<std::size_t>(p);
  return kProtocolNames[i < std::size(kProtocolNames) ? i : 0];
}

}  // namespace

std::string_view protocol_name(Protocol p) {
  return names_of(p).upper;
}

std::string_view protocol_lower(Protocol p) {
  return names_of(p).lower;
}

std::optional<Protocol> parse_protocol(std::string_view s) {
  for (std::size_t i = 0; i < std::size(kProtocolNames); ++i) {
    if (s == kProtocolNames[i].lower) return static_cast<Protocol>(i);
  }
  return std::nullopt;
}

std::string Port::str() const {
  auto proto = protocol_lower(protocol);
  switch (kind) {
    case Kind::All:
      return fmt::format("*/{}", proto);
    case Kind::Number:
      return fmt::format("{}/{}", first, proto);
    case Kind::Range:
      return fmt::format("{}-{}/{}", first, last, proto);
    case Kind::Named:
      return fmt::format("{}/{}", name, proto);
  }
  return {};
}

}  // namespace fence::net
