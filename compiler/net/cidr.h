// IPv4 and IPv6 CIDRs as values: parsing with precise complaints, canonical printing, containment.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fence::net {

enum class Family : std::uint8_t { V4, V6 };

struct Cidr {
  Family family = Family::V4;
  std::array<std::uint8_t, 16> addr{};  // IPv4 uses the first 4 bytes
  std::uint8_t prefix = 0;

  int bits() const { return family == Family::V4 ? 32 : 128; }
  int bytes() const { return family == Family::V4 ? 4 : 16; }
  // Canonical text: lower-case, RFC 5952 zero compression, host bits zero.
  std::string str() const;
  // True when every address of `other` is in this CIDR.
  bool contains(const Cidr& other) const;
  bool strictly_contains(const Cidr& other) const { return contains(other) && other.prefix > prefix; }
  bool overlaps(const Cidr& other) const { return contains(other) || other.contains(*this); }
  bool has_host_bits() const;
  Cidr masked() const;
  bool bit(int i) const { return (addr[static_cast<std::size_t>(i / 8)] >> (7 - i % 8)) & 1; }

  friend auto operator<=>(const Cidr&, const Cidr&) = default;
};

struct CidrParse {
  std::optional<Cidr> cidr;  // as written (host bits kept), when the text is a CIDR at all
  std::string error;         // why not, when it is not
  bool missing_prefix = false;
};

// Parses "a.b.c.d/n" or an IPv6 CIDR. A bare address parses with missing_prefix set and the
// full-length prefix, so that callers can suggest the /32 or /128 form.
CidrParse parse_cidr(std::string_view text);

}  // namespace fence::net
