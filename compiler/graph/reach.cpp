#include "graph/reach.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace fence::graph {

namespace {

constexpr net::Protocol kProtocols[] = {net::Protocol::TCP, net::Protocol::UDP, net::Protocol::SCTP};

std::string lower_protocol(net::Protocol p) {
  std::string s(net::protocol_name(p));
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <typename T>
void add_unique(std::vector<T>& into, const std::vector<T>& from) {
  into.insert(into.end(), from.begin(), from.end());
  std::sort(into.begin(), into.end());
  into.erase(std::unique(into.begin(), into.end()), into.end());
}

// The rules of a side, once each, in source order (rules point into one vector); with
// `certain`, only those that match for sure (the others are named by the caveats).
std::vector<const ir::Rule*> rules_of(const std::vector<analyze::RuleMatch>& matches, bool certain = false) {
  std::vector<const ir::Rule*> out;
  for (const auto& m : matches) {
    if (!certain || m.how == analyze::Tri::Yes) out.push_back(m.rule);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string selection_key(ir::Direction d, const analyze::Endpoint& pod) {
  std::string key = d == ir::Direction::Egress ? "e|" : "i|";
  key += pod.ns;
  for (const auto& [k, v] : pod.labels) key += fmt::format("|{}={}", k, v);
  if (pod.ns_labels) {
    key += "|ns";
    for (const auto& [k, v] : *pod.ns_labels) key += fmt::format("|{}={}", k, v);
  }
  return key;
}

}  // namespace

analyze::QueryPort PortClass::query() const {
  analyze::QueryPort q;
  q.protocol = protocol;
  if (named()) {
    q.name = name;
  } else {
    q.number = first;
    q.name = std::string();  // a number the pod gives no name
  }
  return q;
}

std::string PortClass::str() const {
  auto proto = lower_protocol(protocol);
  if (named()) return fmt::format("{}/{}", name, proto);
  if (whole()) return fmt::format("every {} port", proto);
  if (first == last) return fmt::format("{}/{}", first, proto);
  return fmt::format("{}-{}/{}", first, last, proto);
}

std::string_view status_name(Status s) {
  switch (s) {
    case Status::Allowed:
      return "allowed";
    case Status::Undecided:
      return "undecided";
    case Status::EgressOnly:
      return "egress only";
    case Status::IngressOnly:
      return "ingress only";
    case Status::Denied:
      return "denied";
    case Status::Closed:
      return "closed";
  }
  return "?";
}

bool PortAnswer::same_answer(const PortAnswer& o) const {
  return status == o.status && egress == o.egress && ingress == o.ingress && allows == o.allows && denies == o.denies &&
         refused_by_default == o.refused_by_default && refused_by_rules == o.refused_by_rules && caveats == o.caveats &&
         assumptions == o.assumptions && mixed == o.mixed;
}

Reach::Reach(const ir::Program& program, analyze::Options options) : program_(program), options_(std::move(options)), index_(program) {}

const analyze::Selection& Reach::selection(ir::Direction d, const analyze::Endpoint& pod) {
  auto key = selection_key(d, pod);
  auto it = selections_.find(key);
  if (it == selections_.end()) it = selections_.emplace(key, analyze::select_rules(program_, d, pod, &index_)).first;
  return it->second;
}

std::vector<PortClass> Reach::classes(const std::vector<analyze::Endpoint>& from, const std::vector<analyze::Endpoint>& to) {
  // Where a class of numbers starts, per protocol; 65536 ends the last.
  std::map<net::Protocol, std::set<std::uint32_t>> starts;
  std::set<std::pair<net::Protocol, std::string>> names;
  // Only the rules about the other end tell ports apart: the others do not decide the answer.
  auto note = [&](const analyze::Selection& sel, const std::vector<analyze::Endpoint>& others) {
    for (const auto& s : sel.rules) {
      bool about = std::any_of(others.begin(), others.end(), [&](const analyze::Endpoint& o) {
        analyze::MatchContext ctx{program_, s.rule};
        analyze::Caveats ignored;
        return analyze::peers_match(s.rule->peers, o, ctx, ignored) != analyze::Tri::No;
      });
      if (!about) continue;
      for (const auto& p : s.rule->ports) {
        for (auto proto : kProtocols) {
          if (p.protocol != net::Protocol::Any && p.protocol != proto) continue;
          if (p.kind == net::Port::Kind::Number || p.kind == net::Port::Kind::Range) {
            starts[proto].insert(p.first);
            starts[proto].insert(static_cast<std::uint32_t>(p.last) + 1);
          } else if (p.kind == net::Port::Kind::Named) {
            names.insert({proto, p.name});
          }
        }
      }
    }
  };
  for (const auto& f : from) {
    if (f.is_pod()) note(selection(ir::Direction::Egress, f), to);
  }
  for (const auto& t : to) {
    if (t.is_pod()) note(selection(ir::Direction::Ingress, t), from);
  }
  std::vector<PortClass> out;
  for (auto proto : kProtocols) {
    auto s = starts[proto];
    s.insert(1);
    s.insert(65536);
    s.erase(0);
    for (auto it = s.begin(); std::next(it) != s.end(); ++it) {
      PortClass c;
      c.protocol = proto;
      c.first = static_cast<std::uint16_t>(*it);
      c.last = static_cast<std::uint16_t>(*std::next(it) - 1);
      out.push_back(c);
    }
  }
  for (const auto& [proto, name] : names) {
    PortClass c;
    c.protocol = proto;
    c.first = c.last = 0;
    c.name = name;
    out.push_back(c);
  }
  return out;
}

PortAnswer Reach::answer(const analyze::Endpoint& from, const analyze::Endpoint& to, const PortClass& ports) {
  const analyze::Selection* egress = from.is_pod() ? &selection(ir::Direction::Egress, from) : nullptr;
  const analyze::Selection* ingress = to.is_pod() ? &selection(ir::Direction::Ingress, to) : nullptr;
  return answer(from, to, ports, egress, ingress);
}

PortAnswer Reach::answer(const analyze::Endpoint& from, const analyze::Endpoint& to, const PortClass& ports, const analyze::Selection* egress,
                         const analyze::Selection* ingress) const {
  auto v = analyze::verdict(program_, from, to, ports.query(), egress, ingress, true);
  PortAnswer a;
  a.ports = ports;
  bool deny_certain = false;
  for (const auto* side : {&v.egress, &v.ingress}) {
    if (!*side) continue;
    add_unique(a.allows, rules_of((*side)->allows, true));
    add_unique(a.denies, rules_of((*side)->denies, true));
    deny_certain = deny_certain || std::any_of((*side)->denies.begin(), (*side)->denies.end(),
                                               [](const analyze::RuleMatch& m) { return m.how == analyze::Tri::Yes; });
  }
  if (v.egress) a.egress = v.egress->allowed;
  if (v.ingress) a.ingress = v.ingress->allowed;
  a.caveats = v.caveats;
  a.assumptions = v.assumptions;
  auto opened_by_allow = [](const std::optional<analyze::Side>& s) { return s && s->allowed == analyze::Tri::Yes && !s->allows.empty(); };
  auto refused = [&](const analyze::Side& s) {
    a.refused_by_default = s.default_denies;
    a.refused_by_rules = rules_of(s.selecting);
  };
  switch (v.allowed) {
    case analyze::Tri::Yes:
      a.status = Status::Allowed;
      break;
    case analyze::Tri::Maybe:
      a.status = Status::Undecided;
      break;
    case analyze::Tri::No:
      if (deny_certain) {
        a.status = Status::Denied;
      } else if (opened_by_allow(v.egress) && v.ingress && v.ingress->allowed == analyze::Tri::No) {
        a.status = Status::EgressOnly;
        refused(*v.ingress);
      } else if (opened_by_allow(v.ingress) && v.egress && v.egress->allowed == analyze::Tri::No) {
        a.status = Status::IngressOnly;
        refused(*v.egress);
      } else {
        a.status = Status::Closed;
      }
      break;
  }
  return a;
}

std::vector<PortAnswer> Reach::between(const std::vector<analyze::Endpoint>& from, const std::vector<analyze::Endpoint>& to) {
  std::vector<PortAnswer> out;
  // Each member's selection, looked up once.
  std::vector<const analyze::Selection*> egress, ingress;
  for (const auto& f : from) egress.push_back(f.is_pod() ? &selection(ir::Direction::Egress, f) : nullptr);
  for (const auto& t : to) ingress.push_back(t.is_pod() ? &selection(ir::Direction::Ingress, t) : nullptr);
  for (const auto& c : classes(from, to)) {
    std::optional<PortAnswer> acc;
    for (std::size_t i = 0; i < from.size(); ++i) {
      for (std::size_t j = 0; j < to.size(); ++j) {
        const auto& f = from[i];
        const auto& t = to[j];
        if (!f.is_pod() && !t.is_pod()) continue;
        auto a = answer(f, t, c, egress[i], ingress[j]);
        if (!acc) {
          acc = std::move(a);
          continue;
        }
        if (acc->status != a.status) {
          acc->status = Status::Undecided;
          acc->mixed = true;
        }
        if (acc->egress != a.egress) acc->egress = analyze::Tri::Maybe;
        if (acc->ingress != a.ingress) acc->ingress = analyze::Tri::Maybe;
        add_unique(acc->allows, a.allows);
        add_unique(acc->denies, a.denies);
        add_unique(acc->refused_by_default, a.refused_by_default);
        add_unique(acc->refused_by_rules, a.refused_by_rules);
        analyze::add_caveats(acc->caveats, a.caveats);
        analyze::add_caveats(acc->assumptions, a.assumptions);
      }
    }
    if (acc) out.push_back(std::move(*acc));
  }
  return merge_adjacent(std::move(out));
}

std::vector<PortAnswer> merge_adjacent(std::vector<PortAnswer> answers) {
  std::vector<PortAnswer> out;
  for (auto& a : answers) {
    if (!out.empty()) {
      auto& prev = out.back();
      bool adjacent = !prev.ports.named() && !a.ports.named() && prev.ports.protocol == a.ports.protocol &&
                      static_cast<std::uint32_t>(prev.ports.last) + 1 == a.ports.first;
      if (adjacent && prev.same_answer(a)) {
        prev.ports.last = a.ports.last;
        continue;
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace fence::graph
