#include "net/port.h"

#include <fmt/format.h>

namespace fence::net {

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::TCP:
      return "TCP";
    case Protocol::UDP:
      return "UDP";
    case Protocol::SCTP:
      return "SCTP";
    case Protocol::Any:
      return "ANY";
  }
  return "TCP";
}

std::optional<Protocol> parse_protocol(std::string_view s) {
  if (s == "tcp") return Protocol::TCP;
  if (s == "udp") return Protocol::UDP;
  if (s == "sctp") return Protocol::SCTP;
  if (s == "any") return Protocol::Any;
  return std::nullopt;
}

std::string Port::str() const {
  std::string proto(protocol_name(protocol));
  for (auto& c : proto) c = static_cast<char>(c - 'A' + 'a');
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
