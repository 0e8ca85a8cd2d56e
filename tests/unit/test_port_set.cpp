// PortSet against a brute-force reference: one bit per (protocol, port) plus one for "other
// protocols", with random ranges crowded at both ends of the port space.
#include <random>

#include <catch2/catch.hpp>

#include "net/port_set.h"

using fence::net::Port;
using fence::net::PortSet;
using fence::net::Protocol;

namespace {

constexpr std::size_t kPorts = 65536;
constexpr std::size_t kOther = 3 * kPorts;
using Bits = std::vector<bool>;  // [protocol * 65536 + port], then other protocols

std::size_t slot(Protocol p, std::uint32_t port) {
  std::size_t i = p == Protocol::UDP ? 1 : p == Protocol::SCTP ? 2 : 0;
  return i * kPorts + port;
}

Bits bits_of(const PortSet& s) {
  Bits b(kOther + 1, false);
  for (Protocol p : {Protocol::TCP, Protocol::UDP, Protocol::SCTP}) {
    for (const auto& iv : s.numbers(p).intervals()) {
      for (auto x = iv.lo; x <= iv.hi; ++x) b[slot(p, x)] = true;
    }
  }
  b[kOther] = s.other_protocols();
  return b;
}

std::uint16_t random_port(std::mt19937& rng) {
  switch (rng() % 3) {
    case 0:
      return static_cast<std::uint16_t>(1 + rng() % 20);
    case 1:
      return static_cast<std::uint16_t>(65535 - rng() % 20);
    default:
      return static_cast<std::uint16_t>(1 + rng() % 65535);
  }
}

Protocol random_protocol(std::mt19937& rng) {
  const Protocol all[] = {Protocol::TCP, Protocol::UDP, Protocol::SCTP, Protocol::Any};
  return all[rng() % 4];
}

std::vector<Port> random_ports(std::mt19937& rng) {
  std::vector<Port> out;
  int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    Port p;
    p.protocol = random_protocol(rng);
    switch (rng() % 6) {
      case 0:
        p.kind = Port::Kind::All;
        break;
      case 1:
      case 2:
        p.kind = Port::Kind::Number;
        p.first = p.last = random_port(rng);
        break;
      default: {
        p.kind = Port::Kind::Range;
        auto a = random_port(rng), b = random_port(rng);
        p.first = std::min(a, b);
        p.last = std::max(a, b);
        break;
      }
    }
    out.push_back(p);
  }
  return out;
}

Bits reference(const std::vector<Port>& ports) {
  Bits b(kOther + 1, false);
  if (ports.empty()) return Bits(kOther + 1, true);
  for (const auto& p : ports) {
    std::vector<Protocol> protos = {p.protocol};
    if (p.protocol == Protocol::Any) protos = {Protocol::TCP, Protocol::UDP, Protocol::SCTP};
    for (auto proto : protos) {
      std::uint32_t lo = p.kind == Port::Kind::All ? 1 : p.first;
      std::uint32_t hi = p.kind == Port::Kind::All ? 65535 : p.last;
      for (auto x = lo; x <= hi; ++x) b[slot(proto, x)] = true;
    }
    if (p.protocol == Protocol::Any && p.kind == Port::Kind::All) b[kOther] = true;
  }
  return b;
}

Bits op(const Bits& a, const Bits& b, int which) {
  Bits out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = which == 0 ? (a[i] || b[i]) : which == 1 ? (a[i] && b[i]) : (a[i] && !b[i]);
  return out;
}

bool subset(const Bits& small, const Bits& big) {
  for (std::size_t i = 0; i < small.size(); ++i) {
    if (small[i] && !big[i]) return false;
  }
  return true;
}

Port named(const char* n, Protocol p = Protocol::TCP) {
  return Port{p, Port::Kind::Named, 0, 0, n};
}
Port number(std::uint16_t n, Protocol p = Protocol::TCP) {
  return Port{p, Port::Kind::Number, n, n, {}};
}

}  // namespace

TEST_CASE("PortSet matches a brute-force reference", "[net][portset][property]") {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    auto pa = random_ports(rng), pb = random_ports(rng);
    auto a = PortSet::of(pa), b = PortSet::of(pb);
    auto ra = reference(pa), rb = reference(pb);
    REQUIRE(bits_of(a) == ra);
    CHECK(bits_of(a.unite(b)) == op(ra, rb, 0));
    CHECK(bits_of(a.intersect(b)) == op(ra, rb, 1));
    CHECK(bits_of(a.minus(b)) == op(ra, rb, 2));
    CHECK(a.contains(b) == subset(rb, ra));
    CHECK(a.overlaps(b) == !subset(ra, op(Bits(ra.size(), true), rb, 2)));
    CHECK_FALSE(a.ambiguous_with(b));
    CHECK(a.splits_exactly_by(b));
    // The list form reads back as the same set, whenever there is one.
    if (auto list = a.to_ports()) CHECK(PortSet::of(*list) == a);
    auto d = a.minus(b);
    if (auto list = d.to_ports()) {
      CHECK(PortSet::of(*list) == d);
    } else {
      CHECK((d.empty() || (d.other_protocols() && !d.is_all())));
    }
  }
}

TEST_CASE("PortSet: every port, protocols and the list form", "[net][portset]") {
  CHECK(PortSet::of(std::vector<Port>{}).is_all());
  CHECK(PortSet::all().to_ports()->empty());
  CHECK(PortSet::all().str() == "every port");
  auto dns = PortSet::of({number(53, Protocol::UDP), number(53)});
  CHECK(dns.contains(Protocol::UDP, 53));
  CHECK(dns.contains(Protocol::TCP, 53));
  CHECK_FALSE(dns.contains(Protocol::SCTP, 53));
  CHECK(dns.str() == "53/tcp, 53/udp");
  // Every port but TCP 22 still holds other protocols, which no port list can say.
  auto most = PortSet::all().minus(PortSet::of(number(22)));
  CHECK_FALSE(most.to_ports());
  CHECK(most.str() == "1-21/tcp, 23-65535/tcp, every UDP port, every SCTP port, other protocols");
  // Every TCP port is written as the protocol alone.
  auto tcp = PortSet::of(Port{Protocol::TCP, Port::Kind::All, 0, 0, {}});
  REQUIRE(tcp.to_ports());
  REQUIRE(tcp.to_ports()->size() == 1);
  CHECK((*tcp.to_ports())[0].kind == Port::Kind::All);
  CHECK(PortSet().empty());
  CHECK_FALSE(PortSet().to_ports());  // the empty list would mean every port
  CHECK(PortSet().str() == "no port");
}

TEST_CASE("PortSet: named ports are symbolic", "[net][portset]") {
  auto http = PortSet::of(named("http"));
  auto metrics = PortSet::of(named("metrics"));
  auto p80 = PortSet::of(number(80));
  auto tcp = PortSet::of(Port{Protocol::TCP, Port::Kind::All, 0, 0, {}});
  CHECK(http.contains(http));
  CHECK(tcp.contains(http));  // whatever number http is, it is a TCP port
  CHECK_FALSE(http.contains(p80));
  CHECK_FALSE(p80.contains(http));
  CHECK_FALSE(http.overlaps(metrics));
  CHECK_FALSE(http.overlaps(p80));  // not surely...
  CHECK(http.ambiguous_with(p80));  // ...but maybe
  CHECK(p80.ambiguous_with(http));
  CHECK_FALSE(http.ambiguous_with(tcp));
  CHECK_FALSE(http.ambiguous_with(PortSet::of(named("http", Protocol::UDP))));  // another protocol
  CHECK(http.overlaps(tcp));
  CHECK(tcp.intersect(http) == http);
  CHECK(http.minus(tcp).empty());
  CHECK(http.minus(http).empty());
  CHECK(http.unite(metrics).str() == "http/tcp, metrics/tcp");
  CHECK(tcp.unite(http) == tcp);  // a name adds nothing to every port
  // Splitting every TCP port by `http` would need "every port but http": not exact.
  CHECK_FALSE(tcp.splits_exactly_by(http));
  CHECK(http.splits_exactly_by(tcp));
  CHECK_FALSE(http.splits_exactly_by(p80));
  CHECK(http.splits_exactly_by(http));
  REQUIRE(http.to_ports());
  CHECK((*http.to_ports())[0].name == "http");
}
