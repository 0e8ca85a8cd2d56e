// Ports and protocols as the IR keeps them: a protocol with a single port, a range, a named
// container port, or every port.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fence::net {

enum class Protocol : std::uint8_t { TCP, UDP, SCTP, Any };

std::string_view protocol_name(Protocol p);                      // "TCP", "UDP", "SCTP", "ANY"
std::string_view protocol_lower(Protocol p);                     // "tcp", "udp", "sctp", "any"
std::optional<Protocol> parse_protocol(std::string_view lower);  // "tcp", "udp", "sctp", "any"

struct Port {
  enum class Kind : std::uint8_t { All, Number, Range, Named };
  Protocol protocol = Protocol::TCP;
  Kind kind = Kind::All;
  std::uint16_t first = 0;  // Number, Range
  std::uint16_t last = 0;   // Range (== first for Number)
  std::string name;         // Named

  // "5432/tcp", "8000-8999/tcp", "http/tcp", "*/udp"
  std::string str() const;
  friend auto operator<=>(const Port&, const Port&) = default;
};

}  // namespace fence::net
