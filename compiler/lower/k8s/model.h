// The NetworkPolicy object model (networking.k8s.io/v1), just the fields Fence writes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emit/document.h"

namespace fence::lower::k8s {

struct LabelSelector {
  std::vector<std::pair<std::string, std::string>> match_labels;  // sorted by key
  struct Expression {
    std::string key;
    std::string op;  // In, NotIn, Exists, DoesNotExist
    std::vector<std::string> values;
    friend bool operator==(const Expression&, const Expression&) = default;
  };
  std::vector<Expression> match_expressions;
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

struct IPBlock {
  std::string cidr;
  std::vector<std::string> except;
  friend bool operator==(const IPBlock&, const IPBlock&) = default;
};

struct Peer {
  std::optional<IPBlock> ip_block;
  std::optional<LabelSelector> namespace_selector;
  std::optional<LabelSelector> pod_selector;
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Port {
  std::string protocol;             // TCP, UDP, SCTP
  std::optional<int> number;        // port: 5432
  std::optional<std::string> name;  // port: http
  std::optional<int> end_port;
  friend bool operator==(const Port&, const Port&) = default;
};

struct Rule {
  std::vector<Peer> peers;           // empty: every peer
  std::vector<Port> ports;           // empty: every port
  std::vector<std::string> origins;  // for the comment above the rule
};

struct NetworkPolicy {
  std::string name;
  std::string ns;
  std::vector<std::string> sources;  // "path:line", for the annotation
  std::vector<Span> origins;         // the statements behind it
  LabelSelector pod_selector;
  bool ingress_type = false;
  bool egress_type = false;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
};

emit::Node to_node(const LabelSelector& s);
emit::Object to_object(const NetworkPolicy& p);

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kSourceAnnotation = "fence.dev/source";

}  // namespace fence::lower::k8s
