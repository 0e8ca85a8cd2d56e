// The projectcalico.org/v3 object model: just the fields Fence writes. Selectors are strings in
// Calico's selector syntax (`app == 'web' && has(tier)`).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "emit/document.h"

namespace fence::lower::calico {

// A port of an EntityRule: a number, a range "first:last", or a named port.
struct Port {
  enum class Kind { Number, Range, Named } kind = Kind::Number;
  int first = 0;
  int last = 0;
  std::string name;
  friend bool operator==(const Port&, const Port&) = default;
};

// source or destination of a rule. Every field set must match (Calico ANDs them).
struct EntityRule {
  std::string selector;            // empty: not written
  std::string namespace_selector;  // empty: not written
  std::vector<std::string> nets;
  std::vector<std::string> not_nets;
  std::vector<Port> ports;
  bool empty() const { return selector.empty() && namespace_selector.empty() && nets.empty() && not_nets.empty() && ports.empty(); }
  friend bool operator==(const EntityRule&, const EntityRule&) = default;
};

struct Rule {
  std::string action;    // Allow, Deny, Pass
  std::string protocol;  // TCP, UDP, SCTP; empty: every protocol
  EntityRule source;
  EntityRule destination;
  std::vector<std::string> origins;  // for the comment above the rule
};

struct Policy {
  bool global = false;  // GlobalNetworkPolicy
  bool staged = false;  // Staged(Global)NetworkPolicy, stagedAction Set
  std::string name;     // with the `<tier>.` prefix outside the default tier
  std::string ns;       // empty when global
  std::string tier;
  long order = 0;
  std::string selector;            // always written (all() for every endpoint)
  std::string namespace_selector;  // global policies only; empty: not written
  bool ingress_type = false;       // `types` holds Ingress
  bool egress_type = false;        // `types` holds Egress
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  std::vector<std::string> sources;  // "path:line", for the annotation
};

struct Tier {
  std::string name;
  long order = 0;
  std::string default_action;  // Pass
  std::vector<std::string> sources;
};

emit::Object to_object(const Policy& p);
emit::Object to_object(const Tier& t);

}  // namespace fence::lower::calico
