#include "inventory/inventory.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence::inventory {

namespace {

Span placed(Span s, FileId id) {
  if (s.file == kThisFile) s.file = id;
  return s;
}

std::string label_key_index(std::string_view ns, std::string_view key, std::string_view value) {
  std::string k;
  k.reserve(ns.size() + key.size() + value.size() + 2);
  k.append(ns).append(1, '\n').append(key).append(1, '\n').append(value);
  return k;
}

const std::vector<std::size_t> kNone;

}  // namespace

bool builtin_namespace(std::string_view ns) {
  return ns == "default" || ns == "kube-system" || ns == "kube-public" || ns == "kube-node-lease";
}

std::string ContainerPort::str() const {
  auto proto = net::protocol_lower(protocol);
  return name.empty() ? fmt::format("{}/{}", number, proto) : fmt::format("{}={}/{}", name, number, proto);
}

std::string Workload::str() const {
  return fmt::format("{} {}/{}", kind, ns, name);
}

const ContainerPort* Workload::port_named(std::string_view port_name) const {
  for (const auto& p : ports) {
    if (p.name == port_name) return &p;
  }
  return nullptr;
}

const ContainerPort* Workload::port_numbered(std::uint16_t port_number, net::Protocol proto) const {
  for (const auto& p : ports) {
    if (p.number == port_number && (proto == net::Protocol::Any || p.protocol == proto)) return &p;
  }
  return nullptr;
}

std::optional<std::uint16_t> ServicePort::target_on(const Workload& pods) const {
  if (target_name.empty()) return target_number;
  if (const auto* p = pods.port_named(target_name)) return p->number;
  return std::nullopt;
}

std::string ServicePort::target_str() const {
  return target_name.empty() ? std::to_string(target_number) : "the port named " + target_name;
}

void Inventory::add(const FileContents& file, SourceManager& sm, DiagnosticSink& sink, const std::string& default_ns) {
  auto id = sm.add(file.path, file.text);
  files_.push_back(file.path);
  for (auto d : file.diagnostics) {
    d.span = placed(d.span, id);
    for (auto& n : d.notes) n.span = placed(n.span, id);
    auto& out = sink.report(d.code, d.severity, d.span, d.message);
    out.notes = std::move(d.notes);
    out.help = std::move(d.help);
  }
  // The first object of a kind, namespace and name is kept; a later one is reported.
  auto admit = [&](const std::string& kind, const std::string& ns, const std::string& name, std::size_t index, Span span, auto first_span) {
    auto [it, fresh] = objects_.emplace(kind + "\n" + ns + "\n" + name, index);
    if (fresh) return true;
    auto what = kind == "Namespace" ? fmt::format("Namespace {}", name) : fmt::format("{} {}/{}", kind, ns, name);
    sink.warning(Code::W0804, span, fmt::format("the inventory has {} twice; Fence reads the first", what))
        .note(first_span(it->second), "the first is here")
        .hint("render each object once: a directory holding both a chart's output and `kubectl get` output lists objects twice");
    return false;
  };
  // An object of the file, placed in this inventory: its spans in file `id`, its namespace given.
  auto place = [&](auto object) {
    object.span = placed(object.span, id);
    for (auto& p : object.ports) p.span = placed(p.span, id);
    if (object.ns.empty()) object.ns = default_ns;
    return object;
  };
  for (const auto& n : file.namespaces) {
    Namespace ns = n;
    ns.span = placed(ns.span, id);
    if (!admit("Namespace", "", ns.name, namespaces_.size(), ns.span, [&](std::size_t i) { return namespaces_[i].span; })) continue;
    namespace_index_.emplace(ns.name, namespaces_.size());
    namespaces_seen_[ns.name] = true;
    namespaces_.push_back(std::move(ns));
  }
  for (const auto& w : file.workloads) {
    auto wl = place(w);
    auto index = workloads_.size();
    if (!admit(wl.kind, wl.ns, wl.name, index, wl.span, [&](std::size_t i) { return workloads_[i].span; })) continue;
    by_ns_[wl.ns].push_back(index);
    for (const auto& [k, v] : wl.labels) by_label_[label_key_index(wl.ns, k, v)].push_back(index);
    namespaces_seen_.emplace(wl.ns, false);
    workloads_.push_back(std::move(wl));
  }
  for (const auto& s : file.services) {
    auto svc = place(s);
    if (!admit("Service", svc.ns, svc.name, services_.size(), svc.span, [&](std::size_t i) { return services_[i].span; })) continue;
    services_by_ns_[svc.ns].push_back(services_.size());
    namespaces_seen_.emplace(svc.ns, false);
    services_.push_back(std::move(svc));
  }
}

bool Inventory::has_namespace(std::string_view ns) const {
  return namespaces_seen_.find(ns) != namespaces_seen_.end();
}

bool Inventory::has_workloads(std::string_view ns) const {
  return by_ns_.count(std::string(ns)) != 0;
}

std::vector<std::string> Inventory::namespace_names() const {
  std::vector<std::string> out;
  out.reserve(namespaces_seen_.size());
  for (const auto& [name, _] : namespaces_seen_) out.push_back(name);
  return out;
}

std::optional<Labels> Inventory::namespace_labels(std::string_view ns) const {
  auto it = namespace_index_.find(std::string(ns));
  if (it == namespace_index_.end()) return std::nullopt;
  Labels out = namespaces_[it->second].labels;
  out[net::kNamespaceNameLabel] = std::string(ns);
  return out;
}

const std::vector<std::size_t>& Inventory::workloads_in(std::string_view ns) const {
  auto it = by_ns_.find(std::string(ns));
  return it == by_ns_.end() ? kNone : it->second;
}

std::vector<std::size_t> Inventory::select(std::string_view ns, const net::LabelSelector& selector) const {
  // The narrowest index entry a requirement of the selector names, then the whole selector.
  const std::vector<std::size_t>* candidates = &workloads_in(ns);
  for (const auto& r : selector.reqs) {
    if ((r.op != net::SelOp::Equals && r.op != net::SelOp::In) || r.values.size() != 1) continue;
    auto it = by_label_.find(label_key_index(ns, r.key, r.values[0]));
    const auto* c = it == by_label_.end() ? &kNone : &it->second;
    if (c->size() < candidates->size()) candidates = c;
  }
  std::vector<std::size_t> out;
  for (auto i : *candidates) {
    if (selector.matches(workloads_[i].labels)) out.push_back(i);
  }
  return out;
}

const Workload* Inventory::find(std::string_view ns, std::string_view name) const {
  for (auto i : workloads_in(ns)) {
    if (workloads_[i].name == name) return &workloads_[i];
  }
  return nullptr;
}

const Workload* Inventory::named(std::string_view ns, std::string_view name, std::string_view label_key) const {
  if (const auto* w = find(ns, name)) return w;
  auto it = by_label_.find(label_key_index(ns, label_key, name));
  return it == by_label_.end() ? nullptr : &workloads_[it->second.front()];
}

std::vector<std::size_t> Inventory::services_selecting(std::size_t workload) const {
  const auto& w = workloads_.at(workload);
  std::vector<std::size_t> out;
  auto it = services_by_ns_.find(w.ns);
  if (it == services_by_ns_.end()) return out;
  for (auto s : it->second) {
    const auto& sel = services_[s].selector;
    if (!sel || sel->empty()) continue;  // no selector, or one that Kubernetes takes as selecting nothing
    bool all = std::all_of(sel->begin(), sel->end(), [&](const auto& kv) {
      auto l = w.labels.find(kv.first);
      return l != w.labels.end() && l->second == kv.second;
    });
    if (all) out.push_back(s);
  }
  return out;
}

}  // namespace fence::inventory
