// `fence graph`: the program's connections as a graph. Nodes are the workloads and pod groups the
// statements name (in their namespaces), address groups (named by their `let`), DNS names and
// entities; an edge is what the semantic engine answers for a pair the statements relate, on
// both sides (the source's egress and the destination's ingress), per class of ports: allowed,
// allowed by one side only, denied, undecided, or blocked (an address an `except` takes out).
// Rendering is separate (render.h): the model holds no syntax of any output format.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analyze/reach.h"
#include "diag/source.h"
#include "graph/reach.h"
#include "sema/loader.h"

namespace fence::graph {

enum class Level { Workload, Namespace };

struct Options {
  analyze::Options analysis;
  Level level = Level::Workload;
  std::optional<std::string> ns;              // only what touches this namespace
  std::optional<analyze::Endpoint> workload;  // only this workload and its neighbours (bound)
};

enum class NodeKind { Workload, Pods, Namespace, Addresses, Dns, Entity };

struct Node {
  std::string id;  // unique and stable: "w:production/app=web-api", "a:partners=198.51.100.0/24,..."
  NodeKind kind = NodeKind::Workload;
  std::string ns;                          // the namespace it is drawn in; empty: outside them
  std::string name;                        // the `let` that names it, if any
  std::vector<std::string> label;          // the lines it is shown with
  std::vector<std::string> about;          // what it stands for, for a tooltip
  std::vector<analyze::Endpoint> members;  // what the engine is asked about
  bool focus = false;                      // the workload of --workload
};

enum class EdgeKind { Allowed, EgressOnly, IngressOnly, Undecided, Denied, Blocked };
std::string_view edge_kind_name(EdgeKind k);  // "allowed", "egress only", ...

struct Edge {
  std::string from, to;  // node ids
  EdgeKind kind = EdgeKind::Allowed;
  std::vector<PortClass> ports;      // sorted, merged
  std::string ports_label;           // "5432/tcp", "every port", "53/udp, 53/tcp", ...
  std::vector<std::string> sources;  // "file:line" of the statements that decide it, in order
  std::vector<std::string> detail;   // one line per class of ports: why
  std::size_t connections = 1;       // the workload-level edges it stands for (--level namespace)
  bool assumed = false;              // some answer took pods' addresses to be outside a CIDR
};

struct NamespaceBox {
  std::string name;
  std::vector<std::string> deny_egress;   // "file:line" of the default denies covering it
  std::vector<std::string> deny_ingress;

  // "default deny all", "default deny egress", "default deny ingress", or "".
  std::string deny_phrase() const;
};

struct Graph {
  Level level = Level::Workload;
  std::vector<NamespaceBox> namespaces;  // the namespaces drawn as boxes (workload level), sorted
  std::vector<Node> nodes;               // sorted by namespace, then id
  std::vector<Edge> edges;               // sorted by from, to, kind
  std::vector<std::string> notes;        // for the user, e.g. a workload that no statement selects

  const Node* node(const std::string& id) const;
};

// Builds the graph of an analyzed program. `loaded` gives the `let` names; `sm` the places.
Graph build(const ir::Program& program, const sema::LoadedProgram& loaded, const SourceManager& sm, const Options& options);

// Every namespace the program has a block for or names in a statement, sorted.
std::vector<std::string> namespaces_named(const ir::Program& program);

}  // namespace fence::graph
