// A stand-in for a cluster, for testing `fence probe`'s script without one. It answers the kubectl
// commands the script runs from the reference NetworkPolicy evaluator (tests/netpol/np_eval.*,
// which shares no code with the compiler) on the compiled YAML, in a model cluster made of the
// inventory: one pod per workload (CronJobs aside), with the workload's labels and declared
// container ports, in namespaces with the inventory's labels; a CoreDNS pod in kube-system when
// the inventory has none. A pod accepts connections on the ports it declares only; an address
// outside the cluster on every port.
//
//   fence_probe_oracle --policies YAML --inventory PATH [--inventory-namespace NS] [--cni none] -- KUBECTL-ARGS...
//
// KUBECTL-ARGS, as the script gives them:
//   exec -n NS TYPE/NAME -- true                       0 when the workload exists
//   exec -n NS TYPE/NAME -- nc -z -w 2 HOST PORT       0 when the evaluator allows it (TCP)
//   exec -n NS TYPE/NAME -- /agnhost connect HOST:PORT --timeout=2s
//   exec -n NS TYPE/NAME -- nslookup NAME              0 when the pod may reach the DNS pod on 53/UDP
//   get pods -n NS -l K=V,... -o jsonpath=...          the address of the first pod it selects
// HOST: a pod's address, SERVICE.NS.svc.cluster.local (to the first pod the Service selects, on
// the Service port's target), or an address outside the cluster. --cni none: a network plugin that
// enforces nothing (every probe connects, where something listens).
// Exit 1 for a refused probe; 2 (with a message) for anything the stand-in does not understand.
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "inventory/load.h"
#include "np_eval.h"

namespace {

struct Fail {
  std::string message;
};

std::string upper(fence::net::Protocol p) {
  return std::string(fence::net::protocol_name(p));
}

struct Model {
  fence::inventory::Inventory inv;
  npeval::Cluster cluster;
  std::map<std::size_t, std::size_t> pod_of;  // workload -> pod
};

const npeval::Pod* pod_named(const Model& m, const std::string& ns, const std::string& resource) {
  auto slash = resource.find('/');
  if (slash == std::string::npos) throw Fail{"a resource without TYPE/: " + resource};
  auto name = resource.substr(slash + 1);
  for (const auto& [w, p] : m.pod_of) {
    const auto& wl = m.inv.workloads()[w];
    if (wl.ns == ns && wl.name == name) return &m.cluster.pods[p];
  }
  return nullptr;
}

bool listens(const npeval::Pod& p, int port, const std::string& proto) {
  for (const auto& cp : p.ports) {
    if (cp.number == port && cp.protocol == proto) return true;
  }
  return false;
}

// The destination and port the policy sees for HOST:PORT.
std::pair<npeval::Endpoint, int> resolve(const Model& m, const std::string& host, int port) {
  for (const auto& p : m.cluster.pods) {
    if (p.ip == host) return {npeval::Endpoint::of(p), port};
  }
  const std::string suffix = ".svc.cluster.local";
  if (host.size() > suffix.size() && host.ends_with(suffix)) {
    auto rest = host.substr(0, host.size() - suffix.size());
    auto dot = rest.find('.');
    if (dot == std::string::npos) throw Fail{"not SERVICE.NAMESPACE.svc.cluster.local: " + host};
    auto svc_name = rest.substr(0, dot), ns = rest.substr(dot + 1);
    for (std::size_t s = 0; s < m.inv.services().size(); ++s) {
      const auto& svc = m.inv.services()[s];
      if (svc.name != svc_name || svc.ns != ns) continue;
      for (const auto& [w, pod] : m.pod_of) {
        auto selecting = m.inv.services_selecting(w);
        if (std::find(selecting.begin(), selecting.end(), s) == selecting.end()) continue;
        for (const auto& sp : svc.ports) {
          if (sp.port != port || sp.protocol != fence::net::Protocol::TCP) continue;
          auto target = sp.target_on(m.inv.workloads()[w]);
          if (!target) throw Fail{"the Service port's target is not a port of its pods: " + host};
          return {npeval::Endpoint::of(m.cluster.pods[pod]), *target};
        }
        throw Fail{fmt::format("Service {} has no TCP port {}", host, port)};
      }
      throw Fail{"Service selects no pod: " + host};
    }
    throw Fail{"no such Service: " + host};
  }
  npeval::Ip::parse(host);  // throws for a name: NetworkPolicy knows no names
  return {npeval::Endpoint::external(host), port};
}

int run(const std::vector<std::string>& args) {
  std::string policies, inventory_path, default_ns = "default", cni;
  std::size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw Fail{"missing value after " + args[i]};
      return args[++i];
    };
    if (args[i] == "--policies") {
      policies = next();
    } else if (args[i] == "--inventory") {
      inventory_path = next();
    } else if (args[i] == "--inventory-namespace") {
      default_ns = next();
    } else if (args[i] == "--cni") {
      cni = next();
    } else {
      throw Fail{"unknown option " + args[i]};
    }
  }
  std::vector<std::string> k(args.begin() + static_cast<long>(std::min(i + 1, args.size())), args.end());
  if (policies.empty() || inventory_path.empty() || k.empty()) throw Fail{"usage: fence_probe_oracle --policies YAML --inventory PATH -- KUBECTL-ARGS..."};

  Model m;
  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  fence::inventory::LoadOptions lo;
  lo.default_namespace = default_ns;
  m.inv = fence::inventory::load({{inventory_path, fence::Span{}}}, lo, sm, sink);
  if (sink.has_errors()) throw Fail{"the inventory has errors"};
  for (const auto& ns : m.inv.namespace_names()) {
    auto labels = m.inv.namespace_labels(ns);
    m.cluster.add_namespace(ns, labels ? npeval::Labels(labels->begin(), labels->end()) : npeval::Labels{});
  }
  bool have_kube_system = !m.inv.namespace_names().empty() && m.inv.has_namespace("kube-system");
  if (!have_kube_system) m.cluster.add_namespace("kube-system", {});
  bool have_dns = false;
  const auto& ws = m.inv.workloads();
  for (std::size_t w = 0; w < ws.size(); ++w) {
    if (ws[w].kind == "CronJob") continue;
    npeval::Pod p;
    p.ns = ws[w].ns;
    p.name = ws[w].name;
    p.labels = npeval::Labels(ws[w].labels.begin(), ws[w].labels.end());
    p.ip = fmt::format("10.244.{}.{}", 1 + w / 200, 10 + w % 200);
    for (const auto& cp : ws[w].ports) p.ports.push_back({cp.name, cp.number, upper(cp.protocol)});
    if (p.ns == "kube-system" && p.labels.count("k8s-app") && p.labels.at("k8s-app") == "kube-dns") have_dns = true;
    m.pod_of[w] = m.cluster.pods.size();
    m.cluster.pods.push_back(p);
  }
  if (!have_dns) {
    npeval::Pod p;
    p.ns = "kube-system";
    p.name = "coredns";
    p.labels = {{"k8s-app", "kube-dns"}};
    p.ip = "10.244.0.53";
    p.ports = {{"dns", 53, "UDP"}, {"dns-tcp", 53, "TCP"}, {"metrics", 9153, "TCP"}};
    m.cluster.pods.push_back(p);
  }
  std::ifstream in(policies);
  if (!in) throw Fail{"cannot read " + policies};
  std::stringstream ss;
  ss << in.rdbuf();
  npeval::Evaluator ev(m.cluster, npeval::parse_policies(ss.str()));
  bool enforce = cni != "none";

  auto opt = [&](const std::string& flag) -> std::string {
    for (std::size_t j = 0; j + 1 < k.size(); ++j) {
      if (k[j] == flag) return k[j + 1];
    }
    throw Fail{"missing " + flag};
  };
  if (k[0] == "get") {
    auto ns = opt("-n");
    auto sel = opt("-l");
    npeval::Selector s;
    std::stringstream parts(sel);
    std::string kv;
    while (std::getline(parts, kv, ',')) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw Fail{"a selector term without '=': " + kv};
      s.match_labels[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& p : m.cluster.pods) {
      if (p.ns == ns && s.matches(p.labels)) {
        std::cout << p.ip;
        return 0;
      }
    }
    return 0;  // as kubectl prints nothing for no pods
  }
  if (k[0] != "exec") throw Fail{"unknown kubectl command " + k[0]};
  auto ns = opt("-n");
  auto dashdash = std::find(k.begin(), k.end(), "--");
  if (dashdash == k.end() || dashdash == k.begin() || std::next(dashdash) == k.end()) throw Fail{"exec without -- COMMAND"};
  const auto* src = pod_named(m, ns, *std::prev(dashdash));
  if (src == nullptr) {
    std::cerr << "Error from server (NotFound): " << *std::prev(dashdash) << "\n";
    return 1;
  }
  std::vector<std::string> cmd(std::next(dashdash), k.end());
  if (cmd == std::vector<std::string>{"true"}) return 0;
  std::string host;
  int port = 0;
  std::string proto = "TCP";
  if (cmd.size() == 6 && cmd[0] == "nc" && cmd[1] == "-z" && cmd[2] == "-w" && cmd[3] == "2") {
    host = cmd[4];
    port = std::stoi(cmd[5]);
  } else if (cmd.size() == 4 && cmd[0] == "/agnhost" && cmd[1] == "connect" && cmd[3] == "--timeout=2s") {
    auto colon = cmd[2].rfind(':');
    host = cmd[2].substr(0, colon);
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    port = std::stoi(cmd[2].substr(colon + 1));
  } else if (cmd.size() == 2 && cmd[0] == "nslookup") {
    for (const auto& p : m.cluster.pods) {
      if (p.ns == "kube-system" && p.labels.count("k8s-app") && p.labels.at("k8s-app") == "kube-dns") host = p.ip;
    }
    port = 53;
    proto = "UDP";
  } else {
    throw Fail{"a command the stand-in does not know: " + cmd[0]};
  }
  auto [dst, policy_port] = resolve(m, host, port);
  if (dst.pod != nullptr && !listens(*dst.pod, policy_port, proto)) return 1;  // nothing listens: refused
  if (!enforce) return 0;
  return ev.allowed(npeval::Endpoint::of(*src), dst, policy_port, proto) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Fail& f) {
    std::cerr << "fence_probe_oracle: " << f.message << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fence_probe_oracle: " << e.what() << "\n";
    return 2;
  }
}
