// The inventory: the workloads, Services and namespaces a cluster runs, read from the manifests
// people have (rendered by kustomize or Helm, or printed by `kubectl get -o yaml`). Fence checks
// a program's names, namespaces and ports against it (check/inventory_*.cpp), `fence why` and
// `fence explain` take their workloads' real labels and ports from it, and probes can be built
// from it. Reading is in reader.h, finding the files in load.h; this is the model and its
// queries, which know nothing of Fence's programs.
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
  Labels labels;       // the pods' labels
  std::vector<ContainerPort> ports;
  Span span;  // the object's metadata.name

  std::string str() const;  // "Deployment boutique/frontend"
};

struct ServicePort {
  std::string name;
  std::uint16_t port = 0;
  net::Protocol protocol = net::Protocol::TCP;
  // The pods' port: a number, or the name of a container port. Defaults to `port`.
  std::uint16_t target_number = 0;
  std::string target_name;
  Span span;  // the port's value
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
  // reported (W0804) and left out.
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
  // The Services of the workload's namespace whose selector matches its pods.
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
