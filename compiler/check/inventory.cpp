// The program against the cluster's inventory (--inventory, `set inventory`): the mistakes that
// compile cleanly into policies that cut traffic off.
//
//   W0805  a reference to pods (a subject or a peer) that selects no workload of the inventory:
//          a misspelt workload, a definition's name misspelt (which then means pods), a label
//          the pods do not carry. "Did you mean" offers the namespace's workloads and the
//          definitions visible where the reference is written.
//   W0806  a namespace (a block, or written in a reference) that the inventory does not have.
//   W0807  a port number that no selected pod serves, when the pods declare their ports. A
//          Service's port is the usual cause: policy sees the pods' port, after the Service
//          translated it, so the note names the Service and the target port to write.
//   W0808  a port name that no selected pod defines (a named port only matches a declared one).
//   W0809  a port the pods serve on another protocol only.
//
// What the inventory does not describe is not judged: a namespace where it has no workloads, a
// namespace selector on labels of namespaces it has no Namespace object for, the ports of pods
// that declare none (containers may serve ports they do not declare; names must be declared).
// References written in the standard library are left alone, and so are std names used without
// `import std`, which W0615 reports.
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "check/check.h"
#include "diag/suggest.h"
#include "inventory/select.h"

namespace fence::check {

namespace {

using inventory::Inventory;
using inventory::Selection;

// Selections by endpoint, and each diagnostic once per place and text.
class Judge {
 public:
  explicit Judge(Context& ctx) : ctx_(ctx), inv_(*ctx.inventory) {}

  const Selection& select(const ir::Endpoint& ep) {
    auto key = ep.str();
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(std::move(key), inventory::select(inv_, ep)).first;
    return it->second;
  }
  bool first_time(Code code, const Span& span, const std::string& what) {
    return told_.insert({static_cast<int>(code), span.file, span.begin, span.end, what}).second;
  }

  Context& ctx() { return ctx_; }
  const Inventory& inv() const { return inv_; }

 private:
  Context& ctx_;
  const Inventory& inv_;
  std::unordered_map<std::string, Selection> cache_;
  std::set<std::tuple<int, FileId, std::uint32_t, std::uint32_t, std::string>> told_;
};

// A note where a reference written in a definition is used, when the statement is elsewhere.
void note_use(Diagnostic& d, const Span& written, const ir::Rule& r) {
  bool inside = written.file == r.origin.statement.file && written.begin >= r.origin.statement.begin && written.end <= r.origin.statement.end;
  if (!inside) d.note(r.origin.target, "used here");
}

// ---------------------------------------------------------------------------------------------
// W0806

void unknown_namespaces(Judge& j) {
  auto& ctx = j.ctx();
  const auto& inv = j.inv();
  auto names = inv.namespace_names();
  auto known = [&](const std::string& ns) { return inv.has_namespace(ns) || inventory::builtin_namespace(ns); };
  auto report = [&](const std::string& ns, const Span& span, const ir::Rule* use) {
    if (!j.first_time(Code::W0806, span, ns)) return;
    auto& d = ctx.sink.warning(Code::W0806, span, fmt::format("the inventory has no namespace '{}'", ns));
    if (use != nullptr) note_use(d, span, *use);
    if (auto c = closest(ns, names)) {
      d.hint(fmt::format("did you mean '{}'?", *c));
    } else if (names.size() <= 12) {
      d.hint(fmt::format("the inventory's namespaces: {}. If {} is new, add its manifests to the inventory", fmt::join(names, ", "), ns));
    } else {
      d.hint(fmt::format("the inventory has {} namespaces. If {} is new, add its manifests to the inventory", names.size(), ns));
    }
  };
  for (const auto& ns : ctx.program.namespaces) {
    auto it = ctx.program.namespace_spans.find(ns);
    if (!known(ns) && it != ctx.program.namespace_spans.end() && !in_stdlib(ctx.sm, it->second)) report(ns, it->second, nullptr);
  }
  // References to namespaces without a block (those with one are told at the block).
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied) continue;
    auto check = [&](const ir::Endpoint& ep, const Span& span) {
      if (ep.ns.kind != ir::NamespaceSel::Kind::Named || known(ep.ns.name) || in_stdlib(ctx.sm, span)) return;
      if (std::binary_search(ctx.program.namespaces.begin(), ctx.program.namespaces.end(), ep.ns.name)) return;
      report(ep.ns.name, span, &r);
    };
    check(r.subject, r.subject_span);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) check(p.endpoint, p.span);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// W0805

// What to write instead of a selector that selects nothing: the nearest label value or workload
// name of the namespace, or a definition visible where the reference is.
void suggest_pods(Judge& j, Diagnostic& d, const ir::Endpoint& ep, const Span& span) {
  auto& ctx = j.ctx();
  const auto& inv = j.inv();
  std::vector<std::size_t> there;
  if (ep.ns.kind == ir::NamespaceSel::Kind::Named) there = inv.workloads_in(ep.ns.name);
  const auto& reqs = ep.pods.reqs;
  if (reqs.size() == 1 && reqs[0].op == net::SelOp::Equals) {
    const auto& key = reqs[0].key;
    const auto& value = reqs[0].values[0];
    // The right value under another key: a workload of that name, or pods labelled so otherwise.
    for (auto w : there) {
      const auto& wl = inv.workloads()[w];
      for (const auto& [k, v] : wl.labels) {
        if (v != value || k == key) continue;
        d.hint(fmt::format("{} runs pods labelled {}={}, not {}={}: write pods[{}={}], or set label-key = \"{}\" where its names are written",
                           wl.str(), k, v, key, value, k, v, k));
        return;
      }
    }
    std::vector<std::string> options;
    std::map<std::string, std::string> why;  // option -> what it is
    for (auto w : there) {
      const auto& wl = inv.workloads()[w];
      if (auto l = wl.labels.find(key); l != wl.labels.end()) {
        options.push_back(l->second);
        why.emplace(l->second, fmt::format("{} runs pods labelled {}={}", wl.str(), key, l->second));
      }
    }
    for (auto w : there) {
      const auto& wl = inv.workloads()[w];
      if (why.count(wl.name) != 0) continue;
      auto l = wl.labels.find(key);
      if (l == wl.labels.end()) continue;  // nothing to write with this key
      options.push_back(wl.name);
      why.emplace(wl.name, fmt::format("{} runs pods labelled {}={}: write {}", wl.str(), key, l->second, l->second));
    }
    // Definitions, where the reference is a bare name that could have been one.
    for (const auto& def : ctx.sm.text(span) == value ? ctx.visible_at(span) : std::vector<sema::Scopes::Found>{}) {
      if (why.count(def.name) != 0) continue;
      options.push_back(def.name);
      why.emplace(def.name, fmt::format("it is a definition, at {}", ctx.sm.where(def.variants.front()->name.span)));
    }
    auto c = closest(value, options);
    if (!c) {
      // A name that the other continues: `redis` for `redis-cart`.
      for (const auto& o : options) {
        bool prefix = (o.size() > value.size() && o.compare(0, value.size(), value) == 0 && o[value.size()] == '-') ||
                      (value.size() > o.size() && value.compare(0, o.size(), o) == 0 && value[o.size()] == '-');
        if (prefix && !c) c = o;
      }
    }
    if (c) {
      d.hint(fmt::format("did you mean '{}'? {}", *c, why.at(*c)));
      return;
    }
  }
  if (ep.ns.kind != ir::NamespaceSel::Kind::Named) {
    d.hint("if these pods run in namespaces the inventory does not describe, add their manifests (e.g. `kubectl get pods -A -o yaml`)");
    return;
  }
  constexpr std::size_t kShown = 6;
  std::vector<std::string> shown;
  for (std::size_t k = 0; k < there.size() && k < kShown; ++k) {
    const auto& wl = inv.workloads()[there[k]];
    std::vector<std::string> labels;
    for (const auto& [key, value] : wl.labels) labels.push_back(key + "=" + value);
    shown.push_back(fmt::format("{} ({})", wl.name, labels.empty() ? std::string("no labels") : fmt::format("{}", fmt::join(labels, ","))));
  }
  auto more = there.size() > kShown ? fmt::format(" and {} more", there.size() - kShown) : std::string();
  d.hint(fmt::format("select pods that run there: {}{}", fmt::join(shown, ", "), more));
}

void pods_selecting_nothing(Judge& j) {
  auto& ctx = j.ctx();
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied) continue;
    auto check = [&](const ir::Endpoint& ep, const Span& span, bool subject) {
      if (in_stdlib(ctx.sm, span) || unimported_std_name(ctx, span)) return;
      const auto& sel = j.select(ep);
      if (!sel.decided || !sel.workloads.empty()) return;
      auto what = describe_pods(ep);
      if (!j.first_time(Code::W0805, span, what)) return;
      auto& d = ctx.sink.warning(Code::W0805, span, fmt::format("no workload in the inventory runs {}", what));
      note_use(d, span, r);
      if (subject) d.note(Span{}, "a statement whose subject selects no pod does nothing, and its rules on the other side admit no one");
      suggest_pods(j, d, ep, span);
    };
    check(r.subject, r.subject_span, true);
    for (const auto& p : r.peers) {
      if (p.kind == ir::Peer::Kind::Endpoint) check(p.endpoint, p.span, false);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// W0807, W0808, W0809

bool protocol_matches(net::Protocol rule, net::Protocol pod) {
  return rule == net::Protocol::Any || rule == pod;
}

// What to write instead, from the ports the pods declare: "these pods serve one port, http=8080/tcp:
// write :http or :8080", or a list of them.
std::string ports_hint(const Inventory& inv, const std::vector<std::size_t>& workloads) {
  std::set<std::string> seen;
  std::vector<const inventory::ContainerPort*> ports;
  for (auto w : workloads) {
    for (const auto& p : inv.workloads()[w].ports) {
      if (seen.insert(p.str()).second) ports.push_back(&p);
    }
  }
  if (ports.size() == 1) {
    const auto& p = *ports[0];
    auto proto = p.protocol == net::Protocol::TCP ? std::string() : "/" + std::string(net::protocol_lower(p.protocol));
    return p.name.empty() ? fmt::format("these pods serve one port, {}: write :{}{}", p.str(), p.number, proto)
                          : fmt::format("these pods serve one port, {}: write :{}{} or :{}{}", p.str(), p.name, proto, p.number, proto);
  }
  constexpr std::size_t kShown = 8;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ports.size() && i < kShown; ++i) out.push_back(ports[i]->str());
  if (ports.size() > kShown) out.push_back(fmt::format("and {} more", ports.size() - kShown));
  return fmt::format("these pods serve {}: write one of them", fmt::join(out, ", "));
}

void check_port(Judge& j, const ir::Rule& r, const ir::Endpoint& dest, const Selection& sel, const net::Port& port, const Span& span) {
  auto& ctx = j.ctx();
  const auto& inv = j.inv();
  bool declares = false;
  bool served_here = false, other_protocol = false;
  std::set<std::string> protocols;  // the other protocols it is served on
  std::vector<std::string> names;
  for (auto w : sel.workloads) {
    for (const auto& p : inv.workloads()[w].ports) {
      declares = true;
      if (!p.name.empty()) names.push_back(p.name);
      bool same = port.kind == net::Port::Kind::Named ? p.name == port.name : p.number >= port.first && p.number <= port.last;
      if (!same) continue;
      if (protocol_matches(port.protocol, p.protocol)) {
        served_here = true;
      } else {
        other_protocol = true;
        protocols.insert(std::string(net::protocol_lower(p.protocol)));
      }
    }
  }
  if (served_here) return;
  auto no_pod = "no " + describe_pods(dest, true);
  std::string written = port.kind == net::Port::Kind::Named ? port.name : port.first == port.last ? std::to_string(port.first)
                                                                                                     : fmt::format("{}-{}", port.first, port.last);
  if (other_protocol) {
    std::vector<std::string> others;
    for (const auto& p : protocols) others.push_back(fmt::format("{}/{}", written, p));
    auto msg = fmt::format("{} serves port {}/{}, only {}", no_pod, written, net::protocol_lower(port.protocol), fmt::join(others, " and "));
    if (!j.first_time(Code::W0809, span, msg)) return;
    auto& d = ctx.sink.warning(Code::W0809, span, msg);
    note_use(d, span, r);
    d.hint(fmt::format("write :{}/{}", written, *protocols.begin()));
    return;
  }
  if (port.kind == net::Port::Kind::Named) {
    auto msg = fmt::format("{} defines a port named '{}'", no_pod, port.name);
    if (!j.first_time(Code::W0808, span, msg)) return;
    auto& d = ctx.sink.warning(Code::W0808, span, msg);
    note_use(d, span, r);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    if (auto c = closest(port.name, names)) {
      d.hint(fmt::format("did you mean '{}'?", *c));
    } else if (declares) {
      d.note(Span{}, "a port name matches only a container port of that name");
      d.hint(ports_hint(inv, sel.workloads));
    } else {
      d.hint("these pods declare no ports: name the port in the workload's containerPorts, or write its number");
    }
    return;
  }
  if (!declares) return;  // containers may serve ports they do not declare
  auto msg = fmt::format("{} serves port {}/{}", no_pod, written, net::protocol_lower(port.protocol));
  if (!j.first_time(Code::W0807, span, msg)) return;
  auto& d = ctx.sink.warning(Code::W0807, span, msg);
  note_use(d, span, r);
  // A Service that selects these pods and has this port: the usual cause.
  for (auto w : sel.workloads) {
    for (auto s : inv.services_selecting(w)) {
      const auto& svc = inv.services()[s];
      for (const auto& sp : svc.ports) {
        if (sp.port < port.first || sp.port > port.last || !protocol_matches(port.protocol, sp.protocol)) continue;
        auto number = sp.target_on(inv.workloads()[w]);
        auto to_write = number ? std::to_string(*number) : sp.target_name;
        d.note(sp.span, fmt::format("the Service {} maps {} to {}; policy sees the pods' port {}", svc.name, sp.port, sp.target_str(), to_write));
        d.hint(fmt::format("write :{} instead of :{}", to_write, written));
        return;
      }
    }
  }
  d.hint(ports_hint(inv, sel.workloads));
}

}  // namespace

void inventory_pods(Context& ctx) {
  if (ctx.inventory == nullptr) return;
  Judge j(ctx);
  unknown_namespaces(j);
  pods_selecting_nothing(j);
}

void inventory_ports(Context& ctx) {
  if (ctx.inventory == nullptr) return;
  Judge j(ctx);
  for (const auto& r : ctx.program.rules) {
    if (r.origin.implied || r.ports.empty()) continue;
    // Ports are the destination's: the peers of an egress rule, the subject of an ingress one.
    auto each = [&](const ir::Endpoint& dest, const Span& at) {
      if (in_stdlib(ctx.sm, at) || unimported_std_name(ctx, at)) return;
      const auto& sel = j.select(dest);
      if (!sel.decided || sel.workloads.empty()) return;
      for (std::size_t i = 0; i < r.ports.size(); ++i) {
        if (r.ports[i].kind == net::Port::Kind::All) continue;
        auto span = i < r.port_spans.size() && r.port_spans[i].valid() ? r.port_spans[i] : r.origin.target;
        if (in_stdlib(ctx.sm, span)) continue;
        check_port(j, r, dest, sel, r.ports[i], span);
      }
    };
    if (r.direction == ir::Direction::Egress) {
      for (const auto& p : r.peers) {
        if (p.kind == ir::Peer::Kind::Endpoint) each(p.endpoint, p.span);
      }
    } else {
      each(r.subject, r.subject_span);
    }
  }
}

}  // namespace fence::check
