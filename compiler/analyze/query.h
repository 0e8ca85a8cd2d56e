// What `fence why` and `fence explain` ask about: concrete endpoints (a pod with its labels, an
// address, a DNS name) and a concrete port, in the command line's syntax:
//
//   production/web-api                 the pod labelled <label-key>=web-api in namespace production
//   production/pods[tier=db,app=x]     a pod with exactly these labels
//   production/web-api@10.244.1.7      ... whose address is known
//   203.0.113.7, 10.0.0.0/8, [2001:db8::1]   an address or a block of addresses
//   api.stripe.com[@203.0.113.7]       a DNS name (and the address it resolved to)
//   ...:5432, :53/udp, :http, :http=8080/tcp   a port: number, name, or name=number; tcp by default
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/inventory.h"
#include "ir/ir.h"
#include "net/cidr.h"
#include "net/port.h"
#include "net/selector.h"

namespace fence::analyze {

// Three-valued answers: some questions cannot be decided from the program alone (a pod's address,
// a namespace's labels, a port's name). Kleene logic keeps "cannot tell" apart from "no".
enum class Tri : std::uint8_t { No, Maybe, Yes };
Tri tri_and(Tri a, Tri b);
Tri tri_or(Tri a, Tri b);
Tri tri_not(Tri a);
inline Tri tri(bool b) {
  return b ? Tri::Yes : Tri::No;
}
std::string_view tri_name(Tri t);  // "no", "maybe", "yes"

using Labels = std::map<std::string, std::string, std::less<>>;

using net::kNamespaceNameLabel;

struct Endpoint {
  // Entity: one of Cilium's entities (`world`, `host`, ...), asked about by `fence graph` only.
  enum class Kind : std::uint8_t { Pod, Address, Dns, Entity } kind = Kind::Pod;
  // Pod: its namespace and labels; `workload` when it was named as NS/NAME.
  std::string ns;
  Labels labels;
  std::optional<std::string> workload;
  std::string workload_key;  // the label key `workload` stands for
  // The namespace's labels when they are known (besides kubernetes.io/metadata.name, which is
  // always known); unknown labels make namespace selectors undecidable.
  std::optional<Labels> ns_labels;
  // Dns: the name, lower case, no trailing dot.
  std::string dns;
  // Address: the address or block asked about. Pod, Dns: the address, when known.
  std::optional<net::Cidr> address;
  // Address: addresses taken out of the block (each inside it), as in `0.0.0.0/0 except ...`.
  std::vector<net::Cidr> except;
  // Entity: Cilium's name for it.
  std::string entity;

  std::string str() const;  // "production/web-api", "production/pods[app=x,tier=db]", "203.0.113.7"
  bool is_pod() const { return kind == Kind::Pod; }
  // The namespace's labels as far as they are known: always its name label.
  Labels known_ns_labels() const;
};

struct QueryPort {
  net::Protocol protocol = net::Protocol::TCP;
  std::optional<std::uint16_t> number;
  // The destination pod's name for this port: a name, "" when it is known to have none, nullopt
  // when that is not known.
  std::optional<std::string> name;

  std::string str() const;  // "5432/tcp", "http=8080/tcp", "http/tcp"
};

// A usage error in a query: the message says what is wrong and how to write it.
struct QueryError {
  std::string message;
};

struct EndpointWithPort {
  Endpoint endpoint;
  std::optional<QueryPort> port;
};

// Parses an endpoint, with a port after it when `with_port`. Workload names are left to
// bind_workload (the label key depends on the program). Throws QueryError.
EndpointWithPort parse_endpoint(std::string_view text, bool with_port);

// Parses `NS:KEY=VALUE,...` (the labels of one namespace). Throws QueryError.
std::pair<std::string, Labels> parse_namespace_labels(std::string_view text);

// The label key that a workload name in `ns` stands for: `override_key` when given, else the key
// the program's own names use there. Throws QueryError when the program uses several.
std::string workload_label_key(const ir::Program& program, const std::string& ns, const std::optional<std::string>& override_key);

// Gives a workload endpoint its labels, and any endpoint its namespace's labels from `ns_labels`.
void bind_endpoint(Endpoint& ep, const ir::Program& program, const std::optional<std::string>& override_key,
                   const std::map<std::string, Labels>& ns_labels);

// With an inventory: a workload endpoint takes the labels of the inventory's workload of that
// name (or else of the first whose pods carry <label-key>=NAME), and a port its name or number
// from the pods' declared ports (a port they do not declare has no name). Runs after
// bind_endpoint; an endpoint the inventory does not have keeps what bind_endpoint gave it.
void bind_inventory(EndpointWithPort& ep, const inventory::Inventory& inventory);

// The labels of the inventory's Namespace objects, for namespace selectors; `given` (from
// --ns-labels) wins.
void add_namespace_labels(std::map<std::string, Labels>& given, const inventory::Inventory& inventory);

}  // namespace fence::analyze
