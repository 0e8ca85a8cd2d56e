#include "net/cidr.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace fence::net {

namespace {

bool parse_v4(std::string_view s, std::array<std::uint8_t, 16>& out, std::string& err, int offset = 0) {
  int part = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start || i - start > 3) {
      err = "an IPv4 address has four numbers from 0 to 255, separated by dots";
      return false;
    }
    if (i - start > 1 && s[start] == '0') {
      err = fmt::format("'{}' has a leading zero, which some parsers read as octal; write it without", s.substr(start, i - start));
      return false;
    }
    int v = 0;
    std::from_chars(s.data() + start, s.data() + i, v);
    if (v > 255) {
      err = fmt::format("{} is not a valid IPv4 address part (0-255)", v);
      return false;
    }
    if (part >= 4) {
      err = "an IPv4 address has exactly four parts";
      return false;
    }
    out[static_cast<std::size_t>(offset + part)] = static_cast<std::uint8_t>(v);
    ++part;
    if (i == s.size()) break;
    if (s[i] != '.') {
      err = fmt::format("unexpected '{}' in an IPv4 address", s[i]);
      return false;
    }
    ++i;
  }
  if (part != 4) {
    err = "an IPv4 address has exactly four parts";
    return false;
  }
  return true;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_v6(std::string_view s, std::array<std::uint8_t, 16>& out, std::string& err) {
  // Split on "::" at most once.
  std::vector<std::uint16_t> head, tail;
  bool compressed = false;
  auto dbl = s.find("::");
  if (dbl != std::string_view::npos) {
    compressed = true;
    if (s.find("::", dbl + 1) != std::string_view::npos) {
      err = "'::' may appear only once in an IPv6 address";
      return false;
    }
  }
  std::array<std::uint8_t, 16> v4tail{};
  bool has_v4 = false;
  auto parse_groups = [&](std::string_view part, std::vector<std::uint16_t>& groups, bool last) -> bool {
    if (part.empty()) return true;
    std::size_t i = 0;
    while (i <= part.size()) {
      auto colon = part.find(':', i);
      std::string_view g = part.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i);
      if (last && colon == std::string_view::npos && g.find('.') != std::string_view::npos) {
        if (!parse_v4(g, v4tail, err)) return false;
        has_v4 = true;
        return true;
      }
      if (g.empty() || g.size() > 4) {
        err = "each IPv6 group has one to four hex digits";
        return false;
      }
      unsigned v = 0;
      for (char c : g) {
        int h = hexval(c);
        if (h < 0) {
          err = fmt::format("unexpected '{}' in an IPv6 address", c);
          return false;
        }
        v = v * 16 + static_cast<unsigned>(h);
      }
      groups.push_back(static_cast<std::uint16_t>(v));
      if (colon == std::string_view::npos) break;
      i = colon + 1;
    }
    return true;
  };
  if (compressed) {
    if (!parse_groups(s.substr(0, dbl), head, false)) return false;
    if (!parse_groups(s.substr(dbl + 2), tail, true)) return false;
  } else {
    if (!parse_groups(s, head, true)) return false;
  }
  std::size_t total = head.size() + tail.size() + (has_v4 ? 2 : 0);
  if ((compressed && total > 7) || (!compressed && total != 8)) {
    err = "an IPv6 address has eight groups (or fewer with '::')";
    return false;
  }
  std::vector<std::uint16_t> all = head;
  if (compressed) all.resize(8 - tail.size() - (has_v4 ? 2 : 0), 0);
  all.insert(all.end(), tail.begin(), tail.end());
  for (std::size_t g = 0; g < all.size(); ++g) {
    out[2 * g] = static_cast<std::uint8_t>(all[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(all[g] & 0xff);
  }
  if (has_v4) {
    for (int k = 0; k < 4; ++k) out[static_cast<std::size_t>(12 + k)] = v4tail[static_cast<std::size_t>(k)];
  }
  return true;
}

}  // namespace

CidrParse parse_cidr(std::string_view text) {
  CidrParse r;
  std::string_view addr = text;
  std::string_view prefix;
  auto slash = text.find('/');
  if (slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    prefix = text.substr(slash + 1);
  }
  Cidr c;
  c.family = addr.find(':') != std::string_view::npos ? Family::V6 : Family::V4;
  bool ok = c.family == Family::V4 ? parse_v4(addr, c.addr, r.error) : parse_v6(addr, c.addr, r.error);
  if (!ok) return r;
  if (slash == std::string_view::npos) {
    r.missing_prefix = true;
    c.prefix = static_cast<std::uint8_t>(c.bits());
  } else {
    int p = -1;
    auto [ptr, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), p);
    if (ec != std::errc() || ptr != prefix.data() + prefix.size() || prefix.empty() || (prefix.size() > 1 && prefix[0] == '0')) {
      r.error = fmt::format("'{}' is not a prefix length", prefix);
      return r;
    }
    if (p > c.bits()) {
      r.error = fmt::format("prefix /{} is longer than an {} address ({} bits)", p, c.family == Family::V4 ? "IPv4" : "IPv6", c.bits());
      return r;
    }
    c.prefix = static_cast<std::uint8_t>(p);
  }
  r.cidr = c;
  return r;
}

bool Cidr::has_host_bits() const {
  return masked().addr != addr;
}

Cidr Cidr::masked() const {
  Cidr m = *this;
  for (int i = prefix; i < bits(); ++i) m.addr[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  return m;
}

bool Cidr::contains(const Cidr& o) const {
  if (o.family != family || o.prefix < prefix) return false;
  for (int i = 0; i < prefix; ++i) {
    if (bit(i) != o.bit(i)) return false;
  }
  return true;
}

std::string Cidr::str() const {
  if (family == Family::V4) return fmt::format("{}.{}.{}.{}/{}", addr[0], addr[1], addr[2], addr[3], prefix);
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{addr[2 * i]} << 8) | addr[2 * i + 1];
  // RFC 5952: compress the longest run (leftmost on ties) of two or more zero groups.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[static_cast<std::size_t>(i)] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[static_cast<std::size_t>(j)] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += fmt::format("{:x}", g[static_cast<std::size_t>(i)]);
  }
  return fmt::format("{}/{}", out, prefix);
}

}  // namespace fence::net
