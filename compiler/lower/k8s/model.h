// The NetworkPolicy object model (networking.k8s.io/v1), just the fields Fence writes.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emit/document.h"
#include "lower/label_selector.h"
#include "lower/naming.h"

namespace fence::lower::k8s {

using LabelSelector = lower::LabelSelector;

struct IPBlock {
  std::string cidr;
  std::vector<std::string> except;
  friend auto operator<=>(const IPBlock&, const IPBlock&) = default;
};

struct Peer {
  std::optional<IPBlock> ip_block;
  std::optional<LabelSelector> namespace_selector;
  std::optional<LabelSelector> pod_selector;
  friend auto operator<=>(const Peer&, const Peer&) = default;
};

struct Port {
  std::string protocol;             // TCP, UDP, SCTP
  std::optional<int> number;        // port: 5432
  std::optional<std::string> name;  // port: http
  std::optional<int> end_port;
  friend auto operator<=>(const Port&, const Port&) = default;
};

struct Rule {
  bool every_peer = false;           // no `from` / `to`: every peer (`anything`); `peers` is then empty
  std::vector<Peer> peers;
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

emit::Object to_object(const NetworkPolicy& p);

}  // namespace fence::lower::k8s
