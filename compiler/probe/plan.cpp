// Making the plan: every connection between the inventory's workloads on the ports their
// destinations declare, asked of the semantic engine (analyze::verdict, as `fence why` asks it),
// then the probes that matter, bounded by --max.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "analyze/match.h"
#include "graph/reach.h"
#include "inventory/select.h"
#include "probe/probe.h"

namespace fence::probe {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Allowed:
      return "allowed";
    case Kind::OtherSource:
      return "other-source";
    case Kind::OtherPort:
      return "other-port";
    case Kind::Metadata:
      return "metadata";
    case Kind::Dns:
      return "dns";
  }
  return "?";
}

std::string Cite::where() const {
  return fmt::format("{}:{}", file, line);
}

std::string Workload::resource() const {
  static const std::map<std::string, std::string> short_names = {
      {"Deployment", "deploy"},  {"StatefulSet", "sts"}, {"DaemonSet", "ds"}, {"ReplicaSet", "rs"},
      {"ReplicationController", "rc"}, {"Job", "job"},   {"Pod", "pod"},
  };
  auto it = short_names.find(kind);
  return (it != short_names.end() ? it->second : kind) + "/" + name;
}

namespace {

using analyze::Tri;

constexpr const char* kMetadataAddress = "169.254.169.254";
constexpr const char* kClusterDnsHost = "kube-dns.kube-system.svc.cluster.local";

// One answer of the engine, reduced to what a probe needs.
struct Answer {
  Tri allowed = Tri::Maybe;  // Maybe: not decided (caveats, or resting on an assumption)
  Tri egress_isolated = Tri::No;
  std::vector<Cite> cites;
  std::string reason;
};

class Planner {
 public:
  Planner(const ir::Program& program, const inventory::Inventory& inv, const SourceManager& sm, const Options& options)
      : program_(program), inv_(inv), sm_(sm), options_(options), reach_(program, options.analysis) {}

  Plan run();

 private:
  analyze::Endpoint pod_endpoint(const std::string& ns, const inventory::Labels& labels) const {
    analyze::Endpoint e;
    e.kind = analyze::Endpoint::Kind::Pod;
    e.ns = ns;
    e.labels = analyze::Labels(labels.begin(), labels.end());
    if (auto it = options_.analysis.ns_labels.find(ns); it != options_.analysis.ns_labels.end()) e.ns_labels = it->second;
    return e;
  }

  Cite cite(const Span& s, std::string statement, std::string role) const {
    Cite c;
    if (s.valid()) {
      const auto& f = sm_.file(s.file);
      c.file = f.path;
      c.line = f.locate(s.begin).line;
    }
    c.statement = std::move(statement);
    c.role = std::move(role);
    return c;
  }
  Cite cite(const ir::Rule* r, std::string role) const {
    auto text = one_line(sm_.text(r->origin.statement));
    if (r->origin.implied) text = fmt::format("the {} side of `{}`", ir::direction_name(r->direction), text);
    return cite(r->origin.statement, text, std::move(role));
  }
  Cite cite(const ir::DefaultDeny* d) const { return cite(d->span, one_line(sm_.text(d->span)), "isolates"); }

  // `names`: how the reasons name the two ends (the inventory's workload names).
  Answer ask(const analyze::Endpoint& from, const analyze::Endpoint& to, const analyze::QueryPort& port, const std::string& from_name,
             const std::string& to_name);
  void add_cites(std::vector<Cite>& into, const Cite& c) const {
    for (const auto& o : into) {
      if (o.file == c.file && o.line == c.line && o.role == c.role && o.statement == c.statement) return;
    }
    into.push_back(c);
  }

  void workload_probes();
  void outside_probes();
  void egress_probes();

  void add(Probe p, std::size_t rank = 0) {
    if (!ids_.insert(p.id).second) return;
    auto k = p.kind;
    candidates_[k].emplace_back(rank, std::move(p));
  }

  // How the script reaches port `number` of workload `w`: a Service in front of it, else the pod.
  void route(Probe& p, std::size_t w, std::uint16_t number) const {
    const auto& pods = inv_.workloads()[w];
    for (auto s : inv_.services_selecting(w)) {
      // A Service in front of several workloads sends the probe to any of them: not this one's.
      if (service_workloads_.at(s) != 1) continue;
      const auto& svc = inv_.services()[s];
      for (const auto& sp : svc.ports) {
        if (sp.protocol != p.protocol) continue;
        if (auto t = sp.target_on(pods); t && *t == number) {
          p.host = fmt::format("{}.{}.svc.cluster.local", svc.name, svc.ns);
          p.host_port = sp.port;
          return;
        }
      }
    }
    std::vector<std::string> sel;
    for (const auto& [k, v] : pods.labels) sel.push_back(k + "=" + v);
    p.selector = fmt::format("{}", fmt::join(sel, ","));
    p.host_port = number;
  }

  static Workload workload_of(const inventory::Workload& w) { return {w.ns, w.kind, w.name}; }
  static std::string port_text(std::uint16_t n, net::Protocol p) { return fmt::format("{}/{}", n, net::protocol_lower(p)); }

  const ir::Program& program_;
  const inventory::Inventory& inv_;
  const SourceManager& sm_;
  const Options& options_;
  graph::Reach reach_;
  Plan plan_;
  std::vector<std::size_t> sources_;  // workloads that can run a probe, sorted by namespace and name
  std::vector<analyze::Endpoint> endpoints_;  // per workload of the inventory
  std::map<std::size_t, std::size_t> service_workloads_;  // Service -> how many workloads it selects
  std::set<std::string> ids_;
  std::map<Kind, std::vector<std::pair<std::size_t, Probe>>> candidates_;
};

Answer Planner::ask(const analyze::Endpoint& from, const analyze::Endpoint& to, const analyze::QueryPort& port, const std::string& from_name,
                    const std::string& to_name) {
  auto name = [&](const analyze::Side& s) { return s.direction == ir::Direction::Egress ? from_name : to_name; };
  const auto* eg = from.is_pod() ? &reach_.selection(ir::Direction::Egress, from) : nullptr;
  const auto* in = to.is_pod() ? &reach_.selection(ir::Direction::Ingress, to) : nullptr;
  auto v = analyze::verdict(program_, from, to, port, eg, in);
  Answer a;
  if (v.egress) a.egress_isolated = v.egress->isolated;
  // An answer that depends on a fact nobody gave, or on taking pods to lie outside every CIDR (which
  // Kubernetes does not promise: ipBlock matches pod addresses too), is not a prediction.
  if (v.allowed == Tri::Maybe || !v.caveats.empty() || !v.assumptions.empty()) return a;
  a.allowed = v.allowed;
  std::vector<const analyze::Side*> sides;
  if (v.egress) sides.push_back(&*v.egress);
  if (v.ingress) sides.push_back(&*v.ingress);
  std::vector<std::string> why;
  if (v.allowed == Tri::Yes) {
    for (const auto* s : sides) {
      auto dir = ir::direction_name(s->direction);
      if (s->isolated == Tri::No) {
        why.push_back(fmt::format("{}'s {} is not isolated", name(*s), dir));
        continue;
      }
      for (const auto& m : s->allows) add_cites(a.cites, cite(m.rule, "allows"));
      if (!s->allows.empty()) why.push_back(fmt::format("{} allows {}'s {}", cite(s->allows.front().rule, "").where(), name(*s), dir));
    }
    a.reason = fmt::format("{}", fmt::join(why, "; "));
    return a;
  }
  for (const auto* s : sides) {
    if (s->allowed != Tri::No) continue;
    auto dir = ir::direction_name(s->direction);
    if (!s->denies.empty()) {
      for (const auto& m : s->denies) add_cites(a.cites, cite(m.rule, "denies"));
      why.push_back(fmt::format("{} denies it at {}'s {}", cite(s->denies.front().rule, "").where(), name(*s), dir));
      continue;
    }
    std::vector<Cite> iso;
    for (const auto* d : s->default_denies) iso.push_back(cite(d));
    if (iso.empty()) {
      for (const auto& m : s->selecting) iso.push_back(cite(m.rule, "isolates"));
    }
    for (const auto& c : iso) add_cites(a.cites, c);
    why.push_back(fmt::format("{}'s {} is isolated{} and no allow admits it", name(*s), dir,
                              iso.empty() ? std::string() : fmt::format(" ({})", iso.front().where())));
  }
  a.reason = fmt::format("{}", fmt::join(why, "; "));
  return a;
}

// Between workloads: every destination port, every source.
void Planner::workload_probes() {
  const auto& ws = inv_.workloads();
  // (source, destination) -> port -> answer, for other-port probes.
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::pair<const inventory::ContainerPort*, Answer>>> answers;
  for (auto j : sources_) {
    const auto& dst = ws[j];
    std::set<std::pair<std::uint16_t, net::Protocol>> seen;
    for (const auto& cp : dst.ports) {
      if (!seen.insert({cp.number, cp.protocol}).second) continue;
      if (cp.protocol != net::Protocol::TCP) {
        ++plan_.udp_skipped;
        continue;
      }
      analyze::QueryPort q;
      q.protocol = cp.protocol;
      q.number = cp.number;
      q.name = cp.name;
      std::vector<std::pair<std::size_t, Answer>> allowed, denied;
      for (auto i : sources_) {
        if (i == j) continue;
        auto a = ask(endpoints_[i], endpoints_[j], q, ws[i].ns + "/" + ws[i].name, dst.ns + "/" + dst.name);
        if (a.allowed == Tri::Maybe) {
          ++plan_.undecided;
          continue;
        }
        // A connection that no statement decides (neither end isolated) is not the program's: not probed.
        if (a.cites.empty()) {
          ++plan_.unpoliced;
          continue;
        }
        answers[{i, j}].emplace_back(&cp, a);
        (a.allowed == Tri::Yes ? allowed : denied).emplace_back(i, std::move(a));
      }
      auto make = [&](Kind k, std::size_t i, const Answer& a) {
        Probe p;
        p.kind = k;
        p.from = workload_of(ws[i]);
        p.to_kind = Probe::To::Workload;
        p.to = workload_of(dst);
        p.port = cp.number;
        p.protocol = cp.protocol;
        p.port_name = cp.name;
        p.id = fmt::format("{} -> {}:{}", p.from.str(), p.to.str(), port_text(p.port, p.protocol));
        route(p, j, cp.number);
        p.expect_allowed = a.allowed == Tri::Yes;
        p.decided_by = a.cites;
        p.reason = a.reason;
        return p;
      };
      for (const auto& [i, a] : allowed) add(make(Kind::Allowed, i, a));
      if (allowed.empty()) continue;
      // Denied sources of an allowed destination and port; ranked so that --max keeps one per
      // destination before a second for any.
      std::size_t rank = 0;
      for (const auto& [i, a] : denied) add(make(Kind::OtherSource, i, a), rank++);
    }
  }
  for (const auto& [pair, list] : answers) {
    bool any = std::any_of(list.begin(), list.end(), [](const auto& e) { return e.second.allowed == Tri::Yes; });
    if (!any) continue;
    std::size_t rank = 0;
    for (const auto& [cp, a] : list) {
      if (a.allowed != Tri::No) continue;
      Probe p;
      p.kind = Kind::OtherPort;
      p.from = workload_of(ws[pair.first]);
      p.to = workload_of(ws[pair.second]);
      p.port = cp->number;
      p.protocol = cp->protocol;
      p.port_name = cp->name;
      p.id = fmt::format("{} -> {}:{}", p.from.str(), p.to.str(), port_text(p.port, p.protocol));
      route(p, pair.second, cp->number);
      p.expect_allowed = false;
      p.decided_by = a.cites;
      p.reason = a.reason;
      add(std::move(p), rank++);
    }
  }
}

// Addresses and DNS names that allows of the program name, from the workloads they are for.
void Planner::outside_probes() {
  const auto& ws = inv_.workloads();
  for (const auto& r : program_.rules) {
    if (r.action != ir::Action::Allow || r.direction != ir::Direction::Egress || r.origin.implied) continue;
    auto sel = inventory::select(inv_, r.subject);
    if (!sel.decided) continue;
    std::vector<std::pair<std::uint16_t, net::Protocol>> ports;
    for (const auto& p : r.ports) {
      if (p.protocol != net::Protocol::TCP) continue;
      if (p.kind == net::Port::Kind::Number || p.kind == net::Port::Kind::Range) ports.emplace_back(p.first, p.protocol);
    }
    for (const auto& peer : r.peers) {
      analyze::Endpoint to;
      std::string host;
      if (peer.kind == ir::Peer::Kind::Cidr) {
        // An address of the block that no except takes out: its first host address.
        auto c = peer.cidr.cidr.masked();
        if (c.prefix + 1 < c.bits()) c.addr[static_cast<std::size_t>(c.bytes() - 1)] |= 1;
        c.prefix = static_cast<std::uint8_t>(c.bits());
        bool excepted = std::any_of(peer.cidr.except.begin(), peer.cidr.except.end(), [&](const net::Cidr& e) { return e.contains(c); });
        if (excepted || peer.cidr.cidr.prefix == 0) continue;  // `anything`-like blocks: no one address stands for them
        to.kind = analyze::Endpoint::Kind::Address;
        to.address = c;
        host = c.str();
        host = host.substr(0, host.find('/'));
      } else if (peer.kind == ir::Peer::Kind::DnsName && !peer.is_dns_pattern()) {
        to.kind = analyze::Endpoint::Kind::Dns;
        to.dns = peer.dns;
        host = peer.dns;
      } else {
        continue;
      }
      for (auto w : sel.workloads) {
        if (ws[w].kind == "CronJob") continue;
        for (const auto& [number, proto] : ports) {
          analyze::QueryPort q;
          q.protocol = proto;
          q.number = number;
          q.name = "";
          auto a = ask(endpoints_[w], to, q, ws[w].ns + "/" + ws[w].name, host);
          if (a.allowed != Tri::Yes) {
            if (a.allowed == Tri::Maybe) ++plan_.undecided;
            continue;
          }
          Probe p;
          p.kind = Kind::Allowed;
          p.from = workload_of(ws[w]);
          p.to_kind = to.kind == analyze::Endpoint::Kind::Dns ? Probe::To::Name : Probe::To::Address;
          p.address = host;
          p.host = host;
          p.port = p.host_port = number;
          p.protocol = proto;
          p.id = fmt::format("{} -> {}:{}", p.from.str(), host, port_text(number, proto));
          p.expect_allowed = true;
          p.decided_by = a.cites;
          p.reason = a.reason;
          add(std::move(p));
        }
      }
    }
  }
}

// The metadata endpoint and the cluster DNS, from every workload whose egress is under policy.
void Planner::egress_probes() {
  const auto& ws = inv_.workloads();
  analyze::Endpoint meta;
  meta.kind = analyze::Endpoint::Kind::Address;
  meta.address = net::parse_cidr(std::string(kMetadataAddress) + "/32").cidr;
  // The cluster DNS: the inventory's kube-dns pods, or CoreDNS as kubeadm deploys it.
  Workload dns_w{"kube-system", "Deployment", "coredns"};
  inventory::Labels dns_labels{{"k8s-app", "kube-dns"}};
  std::string dns_port_name = "dns";
  for (auto i : inv_.workloads_in("kube-system")) {
    const auto& w = ws[i];
    auto it = w.labels.find("k8s-app");
    if (it == w.labels.end() || it->second != "kube-dns") continue;
    dns_w = workload_of(w);
    dns_labels = w.labels;
    const auto* p = w.port_numbered(53, net::Protocol::UDP);
    dns_port_name = p != nullptr ? p->name : "";
    break;
  }
  auto dns = pod_endpoint("kube-system", dns_labels);
  for (auto i : sources_) {
    if (ws[i].ns == "kube-system" && ws[i].labels == dns_labels) continue;
    analyze::QueryPort q80;
    q80.number = 80;
    q80.name = "";
    auto a = ask(endpoints_[i], meta, q80, ws[i].ns + "/" + ws[i].name, kMetadataAddress);
    if (a.egress_isolated != Tri::Yes) continue;  // not under egress policy (or not known to be)
    if (a.allowed != Tri::Maybe) {
      Probe p;
      p.kind = Kind::Metadata;
      p.from = workload_of(ws[i]);
      p.to_kind = Probe::To::Address;
      p.address = p.host = kMetadataAddress;
      p.port = p.host_port = 80;
      p.id = fmt::format("{} -> {}:80/tcp", p.from.str(), kMetadataAddress);
      p.expect_allowed = a.allowed == Tri::Yes;
      p.decided_by = a.cites;
      p.reason = a.reason;
      add(std::move(p));
    } else {
      ++plan_.undecided;
    }
    analyze::QueryPort q53;
    q53.protocol = net::Protocol::UDP;
    q53.number = 53;
    q53.name = dns_port_name;
    auto d = ask(endpoints_[i], dns, q53, ws[i].ns + "/" + ws[i].name, "the cluster DNS");
    if (d.allowed == Tri::Maybe) {
      ++plan_.undecided;
      continue;
    }
    Probe p;
    p.kind = Kind::Dns;
    p.from = workload_of(ws[i]);
    p.to_kind = Probe::To::ClusterDns;
    p.to = dns_w;
    p.port = p.host_port = 53;
    p.protocol = net::Protocol::UDP;
    p.port_name = dns_port_name;
    p.host = kClusterDnsHost;
    p.id = fmt::format("{} -> cluster DNS ({}):53/udp", p.from.str(), dns_w.str());
    p.expect_allowed = d.allowed == Tri::Yes;
    p.decided_by = d.cites;
    p.reason = d.reason;
    add(std::move(p));
  }
}

Plan Planner::run() {
  plan_.environment = options_.environment;
  plan_.target = options_.target;
  const auto& ws = inv_.workloads();
  for (std::size_t i = 0; i < ws.size(); ++i) {
    endpoints_.push_back(pod_endpoint(ws[i].ns, ws[i].labels));
    // A CronJob's pods run now and then: nothing to exec into, nothing listening.
    if (ws[i].kind != "CronJob") sources_.push_back(i);
    for (auto s : inv_.services_selecting(i)) ++service_workloads_[s];
  }
  std::size_t cronjobs = ws.size() - sources_.size();
  if (cronjobs > 0) plan_.notes.push_back(fmt::format("{} CronJob(s) of the inventory are not probed: their pods run only now and then", cronjobs));
  std::sort(sources_.begin(), sources_.end(), [&](auto a, auto b) { return std::tie(ws[a].ns, ws[a].name) < std::tie(ws[b].ns, ws[b].name); });

  workload_probes();
  outside_probes();
  egress_probes();

  // Within a kind: by rank (spreading --max over destinations), then as made (stable order).
  for (auto& [k, list] : candidates_) {
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    plan_.total[k] = list.size();
  }
  // Round robin over the kinds, so that --max keeps some of each.
  std::map<Kind, std::size_t> taken;
  std::size_t count = 0;
  for (bool more = true; more && count < options_.max;) {
    more = false;
    for (auto& [k, list] : candidates_) {
      auto& t = taken[k];
      if (t < list.size() && count < options_.max) {
        ++t;
        ++count;
        more = more || t < list.size();
      }
    }
  }
  for (auto& [k, list] : candidates_) {
    for (std::size_t n = 0; n < list.size(); ++n) {
      if (n < taken[k]) {
        plan_.probes.push_back(std::move(list[n].second));
      } else {
        ++plan_.left_out;
      }
    }
  }
  return std::move(plan_);
}

}  // namespace

Plan make_plan(const ir::Program& program, const inventory::Inventory& inventory, const SourceManager& sm, const Options& options) {
  return Planner(program, inventory, sm, options).run();
}

}  // namespace fence::probe
