#include "net/port_set.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence::net {

namespace {

constexpr std::array<Protocol, 3> kProtocols = {Protocol::TCP, Protocol::UDP, Protocol::SCTP};

void add_name(std::vector<std::string>& names, const std::string& n) {
  auto it = std::lower_bound(names.begin(), names.end(), n);
  if (it == names.end() || *it != n) names.insert(it, n);
}

}  // namespace

PortSet PortSet::all() {
  PortSet s;
  for (auto& n : s.numbers_) n = Numbers(1, kMaxPort);
  s.other_ = true;
  return s;
}

PortSet PortSet::of(const Port& port) {
  PortSet s;
  std::size_t first = index(port.protocol), last = first + 1;
  if (port.protocol == Protocol::Any) {
    first = 0;
    last = 3;
    if (port.kind == Port::Kind::All) s.other_ = true;
  }
  for (auto i = first; i < last; ++i) {
    switch (port.kind) {
      case Port::Kind::All:
        s.numbers_[i] = Numbers(1, kMaxPort);
        break;
      case Port::Kind::Number:
      case Port::Kind::Range:
        s.numbers_[i] = Numbers(port.first, std::max(port.first, port.last));
        break;
      case Port::Kind::Named:
        add_name(s.names_[i], port.name);
        break;
    }
  }
  return s;
}

PortSet PortSet::of(const std::vector<Port>& ports) {
  if (ports.empty()) return all();
  if (ports.size() == 1) return of(ports.front());
  std::array<std::vector<Numbers::Interval>, 3> numbers;
  std::array<std::vector<std::string>, 3> names;
  bool other = false;
  for (const auto& p : ports) {
    auto one = of(p);
    other = other || one.other_;
    for (std::size_t i = 0; i < 3; ++i) {
      for (const auto& iv : one.numbers_[i].intervals()) numbers[i].push_back(iv);
      for (const auto& n : one.names_[i]) add_name(names[i], n);
    }
  }
  PortSet s;
  s.other_ = other;
  for (std::size_t i = 0; i < 3; ++i) {
    s.numbers_[i] = Numbers::of(std::move(numbers[i]));
    if (!s.full(i)) s.names_[i] = std::move(names[i]);
  }
  return s;
}

bool PortSet::empty() const {
  if (other_) return false;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!numbers_[i].empty() || !names_[i].empty()) return false;
  }
  return true;
}

bool PortSet::is_all() const {
  return other_ && full(0) && full(1) && full(2);
}

bool PortSet::contains(Protocol p, std::uint16_t port) const {
  if (p == Protocol::Any) return contains(of(Port{Protocol::Any, Port::Kind::Number, port, port, {}}));
  return numbers_[index(p)].contains(port);
}

bool PortSet::covers_name(std::size_t i, const std::string& name) const {
  return full(i) || std::binary_search(names_[i].begin(), names_[i].end(), name);
}

bool PortSet::contains(const PortSet& o) const {
  if (o.other_ && !other_) return false;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!numbers_[i].contains(o.numbers_[i])) return false;
    for (const auto& n : o.names_[i]) {
      if (!covers_name(i, n)) return false;
    }
  }
  return true;
}

bool PortSet::overlaps(const PortSet& o) const {
  if (other_ && o.other_) return true;
  for (std::size_t i = 0; i < 3; ++i) {
    if (numbers_[i].overlaps(o.numbers_[i])) return true;
    for (const auto& n : names_[i]) {
      if (o.covers_name(i, n)) return true;
    }
    for (const auto& n : o.names_[i]) {
      if (covers_name(i, n)) return true;
    }
  }
  return false;
}

bool PortSet::ambiguous_with(const PortSet& o) const {
  for (std::size_t i = 0; i < 3; ++i) {
    auto meets = [&](const PortSet& named, const PortSet& numbered) {
      if (numbered.numbers_[i].empty() || numbered.full(i)) return false;
      return std::any_of(named.names_[i].begin(), named.names_[i].end(),
                         [&](const std::string& n) { return !std::binary_search(numbered.names_[i].begin(), numbered.names_[i].end(), n); });
    };
    if (meets(*this, o) || meets(o, *this)) return true;
  }
  return false;
}

bool PortSet::splits_exactly_by(const PortSet& p) const {
  for (std::size_t i = 0; i < 3; ++i) {
    auto named_only = [&](const PortSet& a, const PortSet& b) {
      return std::any_of(a.names_[i].begin(), a.names_[i].end(),
                         [&](const std::string& n) { return !std::binary_search(b.names_[i].begin(), b.names_[i].end(), n); });
    };
    if (!numbers_[i].empty() && named_only(p, *this)) return false;
    if (!p.numbers_[i].empty() && !p.full(i) && named_only(*this, p)) return false;
  }
  return true;
}

PortSet PortSet::unite(const PortSet& o) const {
  PortSet s;
  s.other_ = other_ || o.other_;
  for (std::size_t i = 0; i < 3; ++i) {
    s.numbers_[i] = numbers_[i].unite(o.numbers_[i]);
    if (s.full(i)) continue;  // a name adds nothing to every port
    s.names_[i] = names_[i];
    for (const auto& n : o.names_[i]) add_name(s.names_[i], n);
  }
  return s;
}

PortSet PortSet::intersect(const PortSet& o) const {
  PortSet s;
  s.other_ = other_ && o.other_;
  for (std::size_t i = 0; i < 3; ++i) {
    s.numbers_[i] = numbers_[i].intersect(o.numbers_[i]);
    if (s.full(i)) continue;
    for (const auto& n : names_[i]) {
      if (o.covers_name(i, n)) add_name(s.names_[i], n);
    }
    for (const auto& n : o.names_[i]) {
      if (covers_name(i, n)) add_name(s.names_[i], n);
    }
  }
  return s;
}

PortSet PortSet::minus(const PortSet& o) const {
  PortSet s;
  s.other_ = other_ && !o.other_;
  for (std::size_t i = 0; i < 3; ++i) {
    s.numbers_[i] = numbers_[i].minus(o.numbers_[i]);
    for (const auto& n : names_[i]) {
      if (!o.covers_name(i, n)) add_name(s.names_[i], n);
    }
  }
  return s;
}

std::optional<std::vector<Port>> PortSet::to_ports() const {
  if (is_all()) return std::vector<Port>{};
  if (other_ || empty()) return std::nullopt;
  std::vector<Port> out;
  for (std::size_t i = 0; i < 3; ++i) {
    Protocol p = kProtocols[i];
    if (full(i)) {
      out.push_back(Port{p, Port::Kind::All, 0, 0, {}});
      continue;
    }
    for (const auto& iv : numbers_[i].intervals()) {
      auto first = static_cast<std::uint16_t>(iv.lo);
      auto last = static_cast<std::uint16_t>(iv.hi);
      out.push_back(Port{p, first == last ? Port::Kind::Number : Port::Kind::Range, first, last, {}});
    }
    for (const auto& n : names_[i]) out.push_back(Port{p, Port::Kind::Named, 0, 0, n});
  }
  return out;
}

std::string PortSet::str() const {
  if (is_all()) return "every port";
  if (empty()) return "no port";
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < 3; ++i) {
    auto proto = protocol_lower(kProtocols[i]);
    if (full(i)) {
      parts.push_back(fmt::format("every {} port", protocol_name(kProtocols[i])));
      continue;
    }
    for (const auto& iv : numbers_[i].intervals()) {
      parts.push_back(iv.lo == iv.hi ? fmt::format("{}/{}", iv.lo, proto) : fmt::format("{}-{}/{}", iv.lo, iv.hi, proto));
    }
    for (const auto& n : names_[i]) parts.push_back(fmt::format("{}/{}", n, proto));
  }
  if (other_) parts.push_back("other protocols");
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace fence::net
