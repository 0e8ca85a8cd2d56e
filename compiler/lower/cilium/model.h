// The CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy object model (cilium.io/v2), just the
// fields Fence writes. Each rule holds peers of one kind, as the agent insists.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emit/document.h"
#include "lower/label_selector.h"

namespace fence::lower::cilium {

// Label selectors with Cilium's keys ("k8s:io.kubernetes.pod.namespace", ...).
using Selector = lower::LabelSelector;

struct CidrRule {
  std::string cidr;
  std::vector<std::string> except;
  friend bool operator==(const CidrRule&, const CidrRule&) = default;
};

// A toFQDNs entry or a rules.dns entry: exactly one of the two is set.
struct FqdnSelector {
  std::string match_name;
  std::string match_pattern;
  friend bool operator==(const FqdnSelector&, const FqdnSelector&) = default;
};

struct PortProtocol {
  std::string port;  // a string, as the CRD wants: "443", "http", "0" for every port
  std::optional<int> end_port;
  std::string protocol;  // TCP, UDP, SCTP, ANY
  friend bool operator==(const PortProtocol&, const PortProtocol&) = default;
};

struct HttpRule {
  std::string method;
  std::string path;
  std::string host;
  std::vector<std::string> headers;
  friend bool operator==(const HttpRule&, const HttpRule&) = default;
};

// One toPorts entry: at most kMaxPortsPerEntry ports, and rules of at most one L7 kind.
struct PortRule {
  std::vector<PortProtocol> ports;
  std::vector<HttpRule> http;
  std::vector<FqdnSelector> dns;
  friend bool operator==(const PortRule&, const PortRule&) = default;
};

// Any: every peer (`anything`), a rule with no L3 part: ports alone, or `toEntities: [all]`
// where it has no ports either (a rule with nothing in it allows nothing).
enum class PeerKind { Endpoints, Cidrs, Entities, Fqdns, Any };

struct Rule {
  PeerKind kind = PeerKind::Endpoints;
  std::vector<Selector> endpoints;
  std::vector<CidrRule> cidrs;
  std::vector<std::string> entities;
  std::vector<FqdnSelector> fqdns;
  std::vector<PortRule> to_ports;    // empty: every port and protocol
  std::vector<std::string> origins;  // for the comment above the rule
};

struct Policy {
  bool cluster_wide = false;  // CiliumClusterwideNetworkPolicy
  std::string name;
  std::string ns;                    // empty when cluster-wide
  std::vector<std::string> sources;  // "path:line", for the annotation
  Selector endpoint_selector;
  // enableDefaultDeny per direction; unset leaves Cilium's default (true where the policy has
  // rules for that direction).
  std::optional<bool> default_deny_ingress;
  std::optional<bool> default_deny_egress;
  // A default deny is written as one empty rule, which selects nothing and so allows nothing.
  bool deny_all_ingress = false;
  bool deny_all_egress = false;
  std::vector<Rule> ingress;
  std::vector<Rule> ingress_deny;
  std::vector<Rule> egress;
  std::vector<Rule> egress_deny;
};

emit::Object to_object(const Policy& p);

// The agent refuses a toPorts entry with more ports than this (pkg/policy/api, maxPorts).
inline constexpr std::size_t kMaxPortsPerEntry = 40;
// Cilium's label sources, as selector keys carry them.
inline constexpr const char* kNamespaceKey = "k8s:io.kubernetes.pod.namespace";
inline constexpr const char* kNamespaceLabelPrefix = "k8s:io.cilium.k8s.namespace.labels.";

}  // namespace fence::lower::cilium
