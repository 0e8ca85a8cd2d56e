// Who may reach whom on which port, decided by which source line: the semantic engine's answers
// (compiler/analyze/, the engine behind `fence why`) for every port between two ends, grouped
// into the classes of ports that the rules of both ends tell apart. `fence graph` draws them;
// anything that needs the same answers for many pairs (a probe plan) can ask here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analyze/reach.h"

namespace fence::graph {

// Ports that the rules of a pair of ends treat alike: a protocol and a range of numbers that no
// rule names by name, or one port named by the destination pod, whose number is not known.
struct PortClass {
  net::Protocol protocol = net::Protocol::TCP;
  std::uint16_t first = 1;
  std::uint16_t last = 65535;
  std::string name;  // a named port (first and last are then 0)

  bool named() const { return !name.empty(); }
  bool whole() const { return !named() && first == 1 && last == 65535; }
  // What the engine is asked: the first number, which the pod is taken to give no name; or the
  // name, whose number is not known.
  analyze::QueryPort query() const;
  std::string str() const;  // "5432/tcp", "8000-8999/tcp", "every tcp port", "http/tcp"
  friend auto operator<=>(const PortClass&, const PortClass&) = default;
};

enum class Status : std::uint8_t {
  Allowed,      // both ends' policies admit it
  Undecided,    // it depends on facts the program does not hold (see `caveats`), or differs
                // between the addresses of a group
  EgressOnly,   // an allow opens the source's egress, but the destination's ingress refuses it
  IngressOnly,  // an allow opens the destination's ingress, but the source's egress refuses it
  Denied,       // a deny stops it
  Closed,       // not allowed, and no allow or deny of the refusing end is about it
};
std::string_view status_name(Status s);  // "allowed", "undecided", "egress only", ...

// The engine's answer for one class of ports.
struct PortAnswer {
  PortClass ports;
  Status status = Status::Closed;
  analyze::Tri egress = analyze::Tri::Yes;   // the source's side (Yes when it is not a pod)
  analyze::Tri ingress = analyze::Tri::Yes;  // the destination's side (Yes when it is not a pod)
  // The rules that surely admit it (on either side) and that surely stop it, in source order;
  // those that may are named by the caveats.
  std::vector<const ir::Rule*> allows;
  std::vector<const ir::Rule*> denies;
  // For EgressOnly and IngressOnly, what isolates the refusing side.
  std::vector<const ir::DefaultDeny*> refused_by_default;
  std::vector<const ir::Rule*> refused_by_rules;
  analyze::Caveats caveats;      // what an undecided answer depends on
  analyze::Caveats assumptions;  // rules set aside by taking pods to lie outside every CIDR
  bool mixed = false;            // undecided because the group's addresses are answered differently

  // Same answer, whatever the ports: adjacent classes that are alike merge.
  bool same_answer(const PortAnswer& o) const;
};

class Reach {
 public:
  Reach(const ir::Program& program, analyze::Options options);

  // The classes of ports between any of `from` and any of `to` (ends of one pair of groups; each
  // pair needs a pod at one end at least), ordered by protocol then number, names last.
  std::vector<PortClass> classes(const std::vector<analyze::Endpoint>& from, const std::vector<analyze::Endpoint>& to);
  // The answer for one class, between two ends one of which is a pod.
  PortAnswer answer(const analyze::Endpoint& from, const analyze::Endpoint& to, const PortClass& ports);
  // Every class between two groups of ends, each answered for every pair of their members (alike,
  // or Undecided and `mixed`), adjacent alike classes merged.
  std::vector<PortAnswer> between(const std::vector<analyze::Endpoint>& from, const std::vector<analyze::Endpoint>& to);

  // The selection of a pod's rules in one direction, made once per pod.
  const analyze::Selection& selection(ir::Direction d, const analyze::Endpoint& pod);
  const ir::Program& program() const { return program_; }
  const analyze::Options& options() const { return options_; }
  const analyze::RuleIndex& index() const { return index_; }

 private:
  PortAnswer answer(const analyze::Endpoint& from, const analyze::Endpoint& to, const PortClass& ports, const analyze::Selection* egress,
                    const analyze::Selection* ingress) const;

  const ir::Program& program_;
  analyze::Options options_;
  analyze::RuleIndex index_;
  std::map<std::string, analyze::Selection> selections_;
};

// Merges adjacent classes of one protocol whose answers are alike.
std::vector<PortAnswer> merge_adjacent(std::vector<PortAnswer> answers);

}  // namespace fence::graph
