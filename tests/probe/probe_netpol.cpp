// Every expected answer of `fence probe`'s plan, for generated programs, checked against the
// reference NetworkPolicy evaluator (tests/netpol/np_eval.*, which shares no code with the
// compiler) on the YAML the same program compiles to.
//
// The cluster is the property tests' model (tests/property/model.h: namespaces x, y, z; pods a, b,
// c in each, with labels, addresses and named ports), plus CoreDNS in kube-system; the inventory
// `fence probe` reads is the same cluster as manifests would describe it (Deployments and
// Namespaces). For each probe of the whole plan (no --max): the evaluator must answer as the plan
// expects, for the probe's source pod, destination (pod, or address outside the cluster) and port.
//
//   fence_probe_netpol --programs N --seed S [--denies]
#include <iostream>

#include <fmt/format.h>

#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "model.h"
#include "probe/probe.h"

namespace {

struct Totals {
  long programs = 0, probes = 0, failures = 0, rejected = 0, names = 0;
  std::map<std::string, long> by_kind;  // "allowed other-source" -> checked
  std::map<bool, long> by_answer;
};

const npeval::Pod* pod(const npeval::Cluster& c, const std::string& ns, const std::string& name) {
  for (const auto& p : c.pods) {
    if (p.ns == ns && p.name == name) return &p;
  }
  return nullptr;
}

fence::inventory::Inventory inventory_of(const npeval::Cluster& c, fence::SourceManager& sm, fence::DiagnosticSink& sink) {
  fence::inventory::FileContents f;
  f.path = "model-cluster.yaml";
  for (const auto& ns : c.namespaces) {
    fence::inventory::Namespace n;
    n.name = ns.name;
    n.labels = fence::inventory::Labels(ns.labels.begin(), ns.labels.end());
    f.namespaces.push_back(n);
  }
  for (const auto& p : c.pods) {
    fence::inventory::Workload w;
    w.kind = "Deployment";
    w.name = p.name;
    w.ns = p.ns;
    w.labels = fence::inventory::Labels(p.labels.begin(), p.labels.end());
    for (const auto& cp : p.ports) {
      fence::inventory::ContainerPort port;
      port.name = cp.name;
      port.number = static_cast<std::uint16_t>(cp.number);
      port.protocol = cp.protocol == "UDP" ? fence::net::Protocol::UDP : fence::net::Protocol::TCP;
      port.container = "main";
      w.ports.push_back(port);
    }
    f.workloads.push_back(w);
  }
  fence::inventory::Inventory inv;
  inv.add(f, sm, sink);
  return inv;
}

bool check_program(Totals& t, const std::string& text, const std::string& what, bool denies) {
  fence::driver::Options dopt;
  dopt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
  fence::driver::Compilation c(dopt);
  bool ok = c.load({{"generated.fence", text}}) && c.analyze(std::nullopt);
  std::vector<fence::emit::Object> objects;
  if (ok) objects = c.lower("k8s");
  if (!ok || c.sink().has_errors()) {
    // With --denies, a deny the target cannot express (E04xx) or an allow a deny cancels (E0601)
    // is rejected by design, as the other property tests count it.
    bool by_design = denies;
    for (const auto& d : c.sink().raw()) {
      auto id = fence::code_info(d.code).id;
      by_design = by_design && (d.severity != fence::Severity::Error || id.substr(0, 3) == "E04" || id == "E0601");
    }
    if (by_design) {
      ++t.rejected;
      return true;
    }
    std::cout << fmt::format("{} does not compile:\n{}\n{}\n", what, text, fence::render_all(c.sink(), c.sources()));
    return false;
  }
  ++t.programs;
  auto cluster = property::make_cluster();
  cluster.add_namespace("kube-system", {});
  npeval::Pod dns;
  dns.ns = "kube-system";
  dns.name = "coredns";
  dns.labels = {{"k8s-app", "kube-dns"}};
  dns.ip = "10.1.9.53";
  dns.ports = {{"dns", 53, "UDP"}, {"dns-tcp", 53, "TCP"}};
  cluster.pods.push_back(dns);
  npeval::Evaluator ev(cluster, npeval::parse_policies(fence::emit::to_yaml_stream(objects)));

  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  auto inv = inventory_of(cluster, sm, sink);
  fence::probe::Options opt;
  opt.max = std::numeric_limits<std::size_t>::max();
  fence::analyze::add_namespace_labels(opt.analysis.ns_labels, inv);
  auto plan = fence::probe::make_plan(c.program(), inv, c.sources(), opt);
  bool good = true;
  for (const auto& p : plan.probes) {
    const auto* src = pod(cluster, p.from.ns, p.from.name);
    if (src == nullptr) throw std::runtime_error("a probe from outside the model: " + p.id);
    npeval::Endpoint dst;
    using To = fence::probe::Probe::To;
    if (p.to_kind == To::Workload || p.to_kind == To::ClusterDns) {
      const auto* d = pod(cluster, p.to.ns, p.to.name);
      if (d == nullptr) throw std::runtime_error("a probe to outside the model: " + p.id);
      dst = npeval::Endpoint::of(*d);
    } else if (p.to_kind == To::Address) {
      dst = npeval::Endpoint::external(p.address);
    } else {
      ++t.names;  // a DNS name: not NetworkPolicy's
      continue;
    }
    auto proto = std::string(fence::net::protocol_name(p.protocol));
    bool allowed = ev.allowed(npeval::Endpoint::of(*src), dst, p.port, proto);
    ++t.probes;
    ++t.by_kind[fmt::format("{} {}", fence::probe::kind_name(p.kind), p.expect_allowed ? "allowed" : "denied")];
    ++t.by_answer[p.expect_allowed];
    if (allowed == p.expect_allowed) continue;
    good = false;
    if (++t.failures <= 10) {
      std::cout << fmt::format("{}: the plan expects {} {}, the evaluator says {}\n    {}\n", what, p.id, p.expect_allowed ? "allowed" : "denied",
                               allowed ? "allowed" : "denied", p.reason);
    }
  }
  if (!good && t.failures <= 10) std::cout << text << "\n";
  return good;
}

}  // namespace

int main(int argc, char** argv) try {
  property::Args args(argc, argv, {"--programs", "--seed"}, {"--denies"});
  int programs = args.integer("--programs", 50);
  auto seed = args.seed();
  bool denies = args.flag("--denies");
  Totals t;
  bool ok = true;
  for (int i = 0; i < programs; ++i) {
    std::uint64_t s = seed * 1000003u + static_cast<std::uint64_t>(i);
    fence_test::Generator gen(s, denies);
    ok = check_program(t, gen.program(), fmt::format("program {} (seed {})", i, s), denies) && ok;
  }
  std::cout << fmt::format("{} programs ({} rejected by the target), {} probes checked, {} failed, {} to DNS names not checked\n", t.programs,
                           t.rejected, t.probes, t.failures, t.names);
  std::vector<std::string> kinds;
  for (const auto& [k, n] : t.by_kind) kinds.push_back(fmt::format("{} {}", n, k));
  std::cout << fmt::format("by kind and expected answer: {}\n", fmt::join(kinds, ", "));
  // A run that checked too little proves nothing.
  if (t.by_answer[true] == 0 || t.by_answer[false] == 0) {
    std::cout << "no probe expected to connect, or none expected to be blocked, was checked\n";
    return 1;
  }
  if (2 * t.rejected > programs) {
    std::cout << "most programs were rejected by the target: too few were tested\n";
    return 1;
  }
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "fence_probe_netpol: " << e.what() << "\n";
  return 2;
}
