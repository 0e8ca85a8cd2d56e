// Does a part of a rule (subject, peer, ports) match a concrete endpoint and port? Answers are
// three-valued; every "maybe" leaves a Caveat saying which fact is missing.
#pragma once

#include <string>
#include <vector>

#include "analyze/query.h"
#include "ir/ir.h"
#include "net/selector.h"

namespace fence::analyze {

struct Caveat {
  enum class Kind : std::uint8_t {
    PodAddress,       // a CIDR may or may not hold a pod whose address is not known
    DnsAddress,       // a CIDR may or may not hold the address a DNS name resolves to
    PartialBlock,     // only part of the block asked about lies in a CIDR
    NamespaceLabels,  // a namespace selector depends on labels that are not known
    PortName,         // a named port: whether the destination gives the port this name is not known
    PortNumber,       // a numbered rule: the port was given by name only
    Entity,           // a Cilium entity whose members the analysis cannot know
  } kind{};
  std::string about;   // the endpoint, namespace or port concerned
  std::string detail;  // the CIDR, selector, port or entity in the rule
  const ir::Rule* rule = nullptr;

  friend bool operator==(const Caveat& a, const Caveat& b) {
    return a.kind == b.kind && a.about == b.about && a.detail == b.detail && a.rule == b.rule;
  }
};

using Caveats = std::vector<Caveat>;
void add_caveats(Caveats& into, const Caveats& from);

// Kubernetes label-selector semantics: every requirement holds; `!=` and `notin` hold when the
// key is absent.
bool selector_matches(const net::LabelSelector& selector, const Labels& labels);

// Whether `what` lies in the block: Yes when all of it does, No when none of it does.
Tri block_holds(const ir::CidrBlock& block, const net::Cidr& what);
// The same for `what` without the addresses of `what_except`.
Tri block_holds(const ir::CidrBlock& block, const net::Cidr& what, const std::vector<net::Cidr>& what_except);

// Cilium's matchPattern: '*' stands for any run of DNS characters other than '.', and the pattern
// "*" alone for every name.
bool dns_pattern_matches(std::string_view pattern, std::string_view name);

struct MatchContext {
  const ir::Program& program;
  const ir::Rule* rule = nullptr;  // the rule being matched, for caveats
  // Take a pod whose address is not known (and no `set pod-cidrs`) to lie outside every CIDR, as
  // CIDRs are meant for addresses outside the cluster. The analysis falls back on this only when
  // nothing else leaves the answer open, and says so.
  bool assume_pods_outside_cidrs = false;
};

// A rule's subject or an endpoint peer against a pod.
Tri endpoint_matches(const ir::Endpoint& sel, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats);
// Any peer kind against any endpoint.
Tri peer_matches(const ir::Peer& peer, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats);
// A rule's peers (alternatives) against an endpoint.
Tri peers_match(const std::vector<ir::Peer>& peers, const Endpoint& ep, const MatchContext& ctx, Caveats& caveats);
// A rule's ports (empty: every port) against the port asked about; named ports resolve on the
// destination, which must be a pod for them to match.
Tri ports_match(const std::vector<net::Port>& ports, const QueryPort& q, bool destination_is_pod, const MatchContext& ctx, Caveats& caveats);
// Whether a rule's ports cover every connection on `item` (for explain's view of the far side).
Tri ports_cover(const std::vector<net::Port>& ports, const net::Port& item);

}  // namespace fence::analyze
