#include <catch2/catch.hpp>

#include "net/cidr.h"

using fence::net::Cidr;
using fence::net::Family;
using fence::net::parse_cidr;

namespace {
Cidr cidr(const char* s) {
  auto r = parse_cidr(s);
  REQUIRE(r.cidr);
  REQUIRE(r.error.empty());
  return *r.cidr;
}
}  // namespace

TEST_CASE("IPv4 CIDRs parse and print canonically", "[net][cidr]") {
  CHECK(cidr("10.0.0.0/8").str() == "10.0.0.0/8");
  CHECK(cidr("0.0.0.0/0").str() == "0.0.0.0/0");
  CHECK(cidr("169.254.169.254/32").str() == "169.254.169.254/32");
  CHECK(cidr("203.0.113.0/24").family == Family::V4);
}

TEST_CASE("IPv6 CIDRs print in RFC 5952 form", "[net][cidr]") {
  CHECK(cidr("2001:DB8::/32").str() == "2001:db8::/32");
  CHECK(cidr("2001:0db8:0000:0000:0000:0000:0000:0000/32").str() == "2001:db8::/32");
  CHECK(cidr("::/0").str() == "::/0");
  CHECK(cidr("fd00:ec2::254/128").str() == "fd00:ec2::254/128");
  CHECK(cidr("1:0:0:1:0:0:0:0/128").str() == "1:0:0:1::/128");        // the longest run wins
  CHECK(cidr("1:0:0:1:0:0:1:1/128").str() == "1::1:0:0:1:1/128");     // leftmost on ties
  CHECK(cidr("1:2:3:4:5:6:0:8/128").str() == "1:2:3:4:5:6:0:8/128");  // a single zero group stays
  CHECK(cidr("::ffff:10.0.0.1/128").str() == "::ffff:a00:1/128");
}

TEST_CASE("malformed CIDRs are rejected with a reason", "[net][cidr]") {
  for (const char* bad : {"10.0.0/8", "10.0.0.256/32", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "01.0.0.0/8", "::1::/128", "1:2:3:4:5:6:7:8:9/128",
                          "g::/16", "12345::/16", "2001:db8::/129"}) {
    auto r = parse_cidr(bad);
    INFO(bad);
    CHECK_FALSE(r.cidr);
    CHECK_FALSE(r.error.empty());
  }
}

TEST_CASE("an address without a prefix is flagged, not guessed", "[net][cidr]") {
  auto r = parse_cidr("10.1.2.3");
  REQUIRE(r.cidr);
  CHECK(r.missing_prefix);
  CHECK(r.cidr->prefix == 32);
}

TEST_CASE("host bits are detected and masked", "[net][cidr]") {
  auto c = cidr("10.1.2.3/8");
  CHECK(c.has_host_bits());
  CHECK(c.masked().str() == "10.0.0.0/8");
  CHECK_FALSE(cidr("10.0.0.0/8").has_host_bits());
  CHECK(cidr("2001:db8::1/32").has_host_bits());
}

TEST_CASE("containment is by prefix and family", "[net][cidr]") {
  auto all4 = cidr("0.0.0.0/0");
  auto meta = cidr("169.254.169.254/32");
  CHECK(all4.contains(meta));
  CHECK(all4.strictly_contains(meta));
  CHECK_FALSE(meta.contains(all4));
  CHECK(all4.contains(all4));
  CHECK_FALSE(all4.strictly_contains(all4));
  CHECK_FALSE(cidr("::/0").contains(meta));  // other family
  CHECK(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  CHECK_FALSE(cidr("10.0.0.0/8").overlaps(cidr("11.0.0.0/8")));
}
