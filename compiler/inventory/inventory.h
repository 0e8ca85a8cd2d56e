// The inventory: the workloads, Services and namespaces a cluster runs, read from the manifests
// people have (rendered by kustomize or Helm, or printed by `kubectl get -o yaml`). Fence checks
// a program's names, namespaces and ports against it (check/inventory.cpp), and `fence why` and
// `fence explain` take their workloads' real labels and ports from it. This is the model and its
// queries, which know nothing of Fence's programs; the other headers of this folder:
//
//   load.h     finding and reading the files a path names (a file, a directory, standard input),
//              with a cache for the language server: `load()` gives an Inventory
//   reader.h   one file's text to FileContents (what yaml-cpp reads, and its diagnostics)
//   select.h   which workloads an IR endpoint (a statement's subject or peer) selects
//
// A tool that turns a program into concrete connections (a prober, say) uses it so:
//
//   SourceManager sm;
//   DiagnosticSink sink;
//   auto inv = inventory::load({{"deploy/", Span{}}}, {}, sm, sink);   // E0801-E0803, W0804 in sink
//   for (const auto& rule : program.rules) {
//     auto from = inventory::select(inv, rule.subject);               // indices into inv.workloads()
//     if (!from.decided) continue;                                    // the inventory cannot tell
//     for (auto w : from.workloads) {
//       const auto& pods = inv.workloads()[w];                       // namespace, labels, ports
//       const auto* http = pods.port_named("http");                  // a named port's number
//       for (auto s : inv.services_selecting(w)) ...                 // the Services in front of them
//     }
//   }
//
// Workloads and Services are referred to by their index in workloads() and services(): add()
// only appends, so an index stays valid for the inventory's life (a pointer or reference into
// them until the next add()). Queries are const and keep no state; an Inventory is a value
// (movable, copyable) and owns no file: spans point into the SourceManager it was added to.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "diag/diagnostic.h"
#include "net/port.h"
#include "net/selector.h"

namespace fence::inventory {

using Labels = std::map<std::string, std::string>;

// Namespaces that every cluster has, whether or not an inventory lists them.
bool builtin_namespace(std::string_view ns);

// A port a container of the pods declares (spec.containers[].ports[], and initContainers').
struct ContainerPort {
  std::string name;  // empty: the port has no name
  std::uint16_t number = 0;
  net::Protocol protocol = net::Protocol::TCP;
  std::string container;
  bool init = false;  // an init container's (sidecars are init containers)
  Span span;          // the containerPort's value

  std::string str() const;  // "8080/tcp", "http=8080/tcp"
};

// Pods: a Pod, or the pods a controller's template makes.
struct Workload {
  std::string kind;  // "Deployment", "Pod", ...
  std::string name;
  std::string ns;      // empty until added to an Inventory, which gives objects without one its default
  Labels labels;       // the pods' labels, as the manifest writes them (not those a controller adds)
  std::vector<ContainerPort> ports;  // in the order the manifest declares them
  Span span;  // the object's metadata.name

  std::string str() const;  // "Deployment boutique/frontend"
  // The first declared port of that name (the API server keeps names unique within a container,
  // not across a pod's containers); null if none.
  const ContainerPort* port_named(std::string_view name) const;
  // The first declared port of that number and protocol (Protocol::Any: any); null if none.
  const ContainerPort* port_numbered(std::uint16_t number, net::Protocol protocol) const;
};

// A port of a Service: traffic to `port` goes to the pods' `target_number`, or to their container
// port named `target_name`.
struct ServicePort {
  std::string name;
  std::uint16_t port = 0;
  net::Protocol protocol = net::Protocol::TCP;
  // The pods' port: a number, or the name of a container port. Defaults to `port`.
  std::uint16_t target_number = 0;  // 0 when target_name is set
  std::string target_name;
  Span span;  // the port's value

  // The port of the workload's pods this Service port sends to: target_number, or the number of
  // their container port named target_name (nullopt when they declare none of that name).
  std::optional<std::uint16_t> target_on(const Workload& pods) const;
  std::string target_str() const;  // "8080", "the port named grpc"
};

struct Service {
  std::string name;
  std::string ns;
  std::optional<Labels> selector;  // none: a Service whose endpoints are managed by hand
  std::vector<ServicePort> ports;
  Span span;
};

struct Namespace {
  std::string name;
  Labels labels;  // as written; kubernetes.io/metadata.name is always the name, whatever this says
  Span span;
};

// What one file holds, before it joins an inventory. Spans point into `text` with the file id
// kThisFile, which Inventory::add replaces by the file's id in a SourceManager; diagnostics
// likewise. A file read once can so be added to several compilations (the language server
// keeps them, keyed by path, modification time and size).
inline constexpr FileId kThisFile = kNoFile - 1;

struct FileContents {
  std::string path;  // as shown to the user
  std::string text;
  std::vector<Namespace> namespaces;
  std::vector<Workload> workloads;
  std::vector<Service> services;
  std::vector<Diagnostic> diagnostics;
};

class Inventory {
 public:
  // Adds a file's objects: the file's text joins `sm`, its diagnostics `sink`. Objects without a
  // namespace go to `default_ns`. A second object of the same kind, namespace and name is
  // reported (W0804) and left out. Usually called by load().
  void add(const FileContents& file, SourceManager& sm, DiagnosticSink& sink, const std::string& default_ns = "default");

  const std::vector<Workload>& workloads() const { return workloads_; }
  const std::vector<Service>& services() const { return services_; }
  const std::vector<Namespace>& namespace_objects() const { return namespaces_; }
  const std::vector<std::string>& files() const { return files_; }

  // Whether the inventory has anything in the namespace (or a Namespace object of that name).
  bool has_namespace(std::string_view ns) const;
  // Whether it has workloads in the namespace: only then does it say which pods run there.
  bool has_workloads(std::string_view ns) const;
  // Every namespace it has, sorted.
  std::vector<std::string> namespace_names() const;
  // The Namespace object's labels, with kubernetes.io/metadata.name; nullopt when the inventory
  // has no Namespace object of that name, so that its labels are not known.
  std::optional<Labels> namespace_labels(std::string_view ns) const;

  // The workloads of a namespace whose pods the selector matches (every workload there for the
  // empty selector), in the order they were read.
  std::vector<std::size_t> select(std::string_view ns, const net::LabelSelector& selector) const;
  const std::vector<std::size_t>& workloads_in(std::string_view ns) const;
  // A workload by namespace and name (of whatever kind; the first read).
  const Workload* find(std::string_view ns, std::string_view name) const;
  // The workload a person means by NS/NAME, as Fence's sources name workloads: the one of that
  // name, or else the first whose pods are labelled <label_key>=NAME. Null if neither.
  const Workload* named(std::string_view ns, std::string_view name, std::string_view label_key) const;
  // The Services of the workload's namespace whose selector matches its pods (a Service without
  // a selector, or with an empty one, selects none), in the order they were read.
  std::vector<std::size_t> services_selecting(std::size_t workload) const;

 private:
  std::vector<Workload> workloads_;
  std::vector<Service> services_;
  std::vector<Namespace> namespaces_;
  std::vector<std::string> files_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_ns_;     // namespace -> workloads
  std::unordered_map<std::string, std::vector<std::size_t>> by_label_;  // "ns\nkey\nvalue" -> workloads
  std::unordered_map<std::string, std::vector<std::size_t>> services_by_ns_;
  std::unordered_map<std::string, std::size_t> namespace_index_;  // Namespace objects by name
  std::unordered_map<std::string, std::size_t> objects_;          // "kind\nns\nname" -> index in its vector
  std::map<std::string, bool, std::less<>> namespaces_seen_;      // every namespace, sorted
};

}  // namespace fence::inventory
