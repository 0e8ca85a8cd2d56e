// The Calico target's meaning test: programs compiled to Calico policy and to Kubernetes
// NetworkPolicy must allow the same connections. The Calico output is read by the Calico reference
// evaluator (tests/netpol/calico_eval.h), the NetworkPolicy output by np_eval; neither shares code
// with the compiler or with each other beyond np_eval's model types.
//   - Generated programs (tests/property/generator.h), with and without denies, on the model
//     cluster, every pair of endpoints and the model's ports; every tenth also with --staged,
//     read as enforced.
//   - The examples (examples/**, every environment) that the k8s target compiles, on a cluster
//     made from what their NetworkPolicy output names: every namespace, a pod per pod selector's
//     labels (and one without labels) in each, namespaces with the labels namespace selectors
//     ask for, container ports for the named ports, and addresses in and out of each ipBlock.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <fmt/format.h>

#include "calico_eval.h"
#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "model.h"
#include "np_eval.h"

namespace {

using namespace property;
using fence_test::Generator;

struct Built {
  bool ok = false;
  bool target_rejected = false;  // only the target's own errors (E04xx, E12xx, E0601)
  std::string yaml;
  std::string diagnostics;
};

Built build(const std::string& text, const std::string& target, bool staged, const std::optional<std::string>& env = std::nullopt,
            const std::string& path = "generated.fence") {
  fence::driver::Options dopt;
  dopt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
  dopt.calico.staged = staged;
  fence::driver::Compilation c(dopt);
  Built out;
  bool ok = c.load({{path, text}});
  if (ok) ok = c.analyze(env, c.per_target() ? std::optional<std::string>(target) : std::nullopt);
  std::vector<fence::emit::Object> objects;
  if (ok) objects = c.lower(target);
  out.diagnostics = fence::render_all(c.sink(), c.sources());
  if (!ok || c.sink().has_errors()) {
    bool only_target = c.sink().has_errors();
    for (const auto& d : c.sink().raw()) {
      auto id = std::string(fence::code_info(d.code).id);
      only_target = only_target && (d.severity != fence::Severity::Error || id.rfind("E04", 0) == 0 || id.rfind("E12", 0) == 0 || id == "E0601");
    }
    out.target_rejected = only_target;
    return out;
  }
  out.ok = true;
  out.yaml = fence::emit::to_yaml_stream(objects);
  return out;
}

struct Tally {
  long queries = 0, allowed = 0, disagreements = 0;
  int programs = 0, skipped = 0, failed = 0;
};

// Compares the two outputs on every pair of endpoints and port; prints the first disagreements.
bool compare(const std::string& what, const std::string& text, const std::string& k8s, const std::string& calico, bool staged,
             const npeval::Cluster& cluster, const std::vector<npeval::Endpoint>& endpoints, const std::vector<std::pair<int, std::string>>& ports,
             Tally& t) {
  npeval::Evaluator np(cluster, npeval::parse_objects(k8s));
  calicoeval::Evaluator ce(cluster, calicoeval::parse(calico, staged));
  int shown = 0;
  for (const auto& src : endpoints) {
    for (const auto& dst : endpoints) {
      if (src.pod == nullptr && dst.pod == nullptr) continue;
      if (src.pod != nullptr && src.pod == dst.pod) continue;  // loopback: left to the implementation
      for (const auto& [port, proto] : ports) {
        ++t.queries;
        bool expected = np.allowed(src, dst, port, proto);
        bool actual = ce.allowed(src, dst, port, proto);
        t.allowed += expected;
        if (expected == actual) continue;
        ++t.disagreements;
        if (shown++ == 0) std::cout << fmt::format("== {}:\n{}\n-- NetworkPolicy:\n{}\n-- Calico:\n{}\n", what, text, k8s, calico);
        if (shown <= 4) {
          std::cout << fmt::format("-- {} -> {} on {}/{}: NetworkPolicy {}, Calico {}\n", src.str(), dst.str(), port, proto,
                                   expected ? "allows" : "denies", actual ? "allows" : "denies");
        }
      }
    }
  }
  return shown == 0;
}

// ---- a cluster for an example, from what its NetworkPolicy output names ----------------------

struct Derived {
  npeval::Cluster cluster;
  std::vector<npeval::Endpoint> endpoints;
  std::vector<std::pair<int, std::string>> ports;
};

void collect_labels(const YAML::Node& sel, std::set<std::map<std::string, std::string>>& into) {
  if (!sel || !sel.IsMap()) return;
  std::map<std::string, std::string> labels;
  for (const auto& kv : sel["matchLabels"]) labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
  for (const auto& e : sel["matchExpressions"]) {
    auto op = e["operator"].as<std::string>();
    if ((op == "In") && e["values"].size() > 0) labels[e["key"].as<std::string>()] = e["values"][0].as<std::string>();
    if (op == "Exists") labels[e["key"].as<std::string>()] = "yes";
  }
  into.insert(labels);
}

// An address of a CIDR: its first address plus `offset` (IPv4), or the one after its base (IPv6).
std::string host_in(const std::string& cidr, int offset) {
  auto base = cidr.substr(0, cidr.find('/'));
  if (base.find(':') != std::string::npos) return base.back() == ':' ? base + "1" : base;
  auto dot = base.rfind('.');
  int last = std::min(255, std::stoi(base.substr(dot + 1)) + offset);
  return base.substr(0, dot + 1) + std::to_string(last);
}

Derived derive(const std::string& k8s) {
  Derived d;
  std::set<std::string> namespaces = {"other"};
  std::set<std::map<std::string, std::string>> pod_labels = {{}};
  std::set<std::map<std::string, std::string>> ns_labels;
  std::set<std::string> named;
  std::set<std::pair<int, std::string>> ports = {{80, "TCP"}, {53, "UDP"}};
  std::set<std::string> addresses = {"192.0.2.10", "203.0.113.5", "169.254.169.254", "8.8.8.8", "2001:db8::1"};
  auto note_namespaces = [&](const YAML::Node& sel) {
    std::set<std::map<std::string, std::string>> one;
    collect_labels(sel, one);
    for (const auto& l : one) {
      auto it = l.find("kubernetes.io/metadata.name");
      if (it != l.end()) {
        namespaces.insert(it->second);
      } else {
        ns_labels.insert(l);
      }
    }
  };
  for (const auto& doc : YAML::LoadAll(k8s)) {
    if (!doc || !doc["spec"]) continue;
    if (doc["kind"] && doc["kind"].as<std::string>() == "ClusterNetworkPolicy") {
      // The tier blocks, as --target cnp writes them: the namespaces, pods, addresses and ports
      // that their subjects, peers and protocols name.
      const auto& spec = doc["spec"];
      for (const auto& where : {spec["subject"]}) {
        if (where["namespaces"]) note_namespaces(where["namespaces"]);
        if (where["pods"]) {
          note_namespaces(where["pods"]["namespaceSelector"]);
          collect_labels(where["pods"]["podSelector"], pod_labels);
        }
      }
      for (const char* dir : {"ingress", "egress"}) {
        for (const auto& r : spec[dir]) {
          for (const auto& peer : r[std::string(dir) == "ingress" ? "from" : "to"]) {
            if (peer["namespaces"]) note_namespaces(peer["namespaces"]);
            if (peer["pods"]) {
              note_namespaces(peer["pods"]["namespaceSelector"]);
              collect_labels(peer["pods"]["podSelector"], pod_labels);
            }
            for (const auto& net : peer["networks"]) addresses.insert(host_in(net.as<std::string>(), 1));
          }
          for (const auto& p : r["protocols"]) {
            if (p["destinationNamedPort"]) {
              named.insert(p["destinationNamedPort"].as<std::string>() + "/TCP");
              continue;
            }
            for (const char* proto : {"tcp", "udp", "sctp"}) {
              if (!p[proto]) continue;
              std::string upper = proto;
              for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
              const auto& dp = p[proto]["destinationPort"];
              if (dp && dp["number"]) ports.insert({dp["number"].as<int>(), upper});
              if (dp && dp["range"]) {
                ports.insert({dp["range"]["start"].as<int>(), upper});
                ports.insert({dp["range"]["end"].as<int>(), upper});
                if (dp["range"]["end"].as<int>() < 65535) ports.insert({dp["range"]["end"].as<int>() + 1, upper});
              }
            }
          }
        }
      }
      continue;
    }
    namespaces.insert(doc["metadata"]["namespace"].as<std::string>());
    collect_labels(doc["spec"]["podSelector"], pod_labels);
    for (const char* dir : {"ingress", "egress"}) {
      for (const auto& r : doc["spec"][dir]) {
        for (const auto& peer : r[std::string(dir) == "ingress" ? "from" : "to"]) {
          collect_labels(peer["podSelector"], pod_labels);
          if (peer["namespaceSelector"]) {
            std::set<std::map<std::string, std::string>> one;
            collect_labels(peer["namespaceSelector"], one);
            for (const auto& l : one) {
              auto it = l.find("kubernetes.io/metadata.name");
              if (it != l.end()) {
                namespaces.insert(it->second);
              } else {
                ns_labels.insert(l);
              }
            }
          }
          if (peer["ipBlock"]) {
            auto cidr = peer["ipBlock"]["cidr"].as<std::string>();
            addresses.insert(host_in(cidr, 1));
            for (const auto& e : peer["ipBlock"]["except"]) addresses.insert(host_in(e.as<std::string>(), 1));
          }
        }
        for (const auto& p : r["ports"]) {
          auto proto = p["protocol"] ? p["protocol"].as<std::string>() : std::string("TCP");
          if (!p["port"]) continue;
          auto text = p["port"].as<std::string>();
          if (std::isdigit(static_cast<unsigned char>(text[0]))) {
            ports.insert({std::stoi(text), proto});
            if (p["endPort"]) {
              ports.insert({p["endPort"].as<int>(), proto});
              ports.insert({p["endPort"].as<int>() + 1, proto});
            }
          } else {
            named.insert(text + "/" + proto);
          }
        }
      }
    }
  }
  int n = 0;
  for (const auto& l : ns_labels) {
    auto name = fmt::format("labelled-{}", n++);
    d.cluster.add_namespace(name, l);
  }
  for (const auto& ns : namespaces) d.cluster.add_namespace(ns, {});
  std::vector<npeval::ContainerPort> cports;
  int number = 7000;
  for (const auto& np : named) {
    auto slash = np.find('/');
    cports.push_back({np.substr(0, slash), number, np.substr(slash + 1)});
    ports.insert({number, np.substr(slash + 1)});
    ++number;
  }
  int host = 0;
  for (const auto& ns : d.cluster.namespaces) {
    int i = 0;
    for (const auto& labels : pod_labels) {
      npeval::Pod p;
      p.ns = ns.name;
      p.name = fmt::format("pod-{}", i++);
      p.labels = labels;
      // Pod addresses spread over 10.0.0.0/8, inside and outside the blocks programs name.
      p.ip = fmt::format("10.{}.{}.{}", host % 3, host / 250, 10 + host % 250);
      ++host;
      p.ports = cports;
      d.cluster.pods.push_back(p);
    }
  }
  for (const auto& p : d.cluster.pods) d.endpoints.push_back(npeval::Endpoint::of(p));
  for (const auto& a : addresses) d.endpoints.push_back(npeval::Endpoint::external(a));
  d.ports.assign(ports.begin(), ports.end());
  return d;
}

std::vector<std::string> declared_envs(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto at = line.find("environments ");
    if (at == std::string::npos || line.find_first_not_of(' ') != at) continue;
    std::vector<std::string> out;
    std::string rest = line.substr(at + 13);
    rest = rest.substr(0, rest.find('#'));
    std::istringstream list(rest);
    for (std::string e; std::getline(list, e, ',');) {
      e.erase(0, e.find_first_not_of(' '));
      e.erase(e.find_last_not_of(' ') + 1);
      if (!e.empty()) out.push_back(e);
    }
    return out;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) try {
  int programs = argc > 1 ? std::atoi(argv[1]) : 300;
  auto cluster = make_cluster();
  std::vector<npeval::Endpoint> endpoints;
  for (const auto& p : cluster.pods) endpoints.push_back(npeval::Endpoint::of(p));
  for (const auto& e : kExternal) endpoints.push_back(npeval::Endpoint::external(e));

  Tally t;
  for (bool denies : {false, true}) {
    for (int i = 0; i < programs; ++i) {
      std::uint64_t seed = (denies ? 2u : 1u) * 1000003u + static_cast<std::uint64_t>(i);
      Generator gen(seed, denies);
      auto text = gen.program();
      auto k8s = build(text, "k8s", false);
      if (!k8s.ok) {
        if (k8s.target_rejected) {
          ++t.skipped;
          continue;
        }
        std::cout << fmt::format("program (seed {}) does not compile for k8s:\n{}\n{}\n", seed, text, k8s.diagnostics);
        return 1;
      }
      bool staged = i % 10 == 0;
      auto calico = build(text, "calico", staged);
      if (!calico.ok) {
        std::cout << fmt::format("program (seed {}) does not compile for calico:\n{}\n{}\n", seed, text, calico.diagnostics);
        return 1;
      }
      ++t.programs;
      if (!compare(fmt::format("program (seed {}){}", seed, staged ? ", --staged" : ""), text, k8s.yaml, calico.yaml, staged, cluster, endpoints,
                   kPorts, t)) {
        ++t.failed;
      }
    }
  }

  // The examples that the k8s target compiles (some are Cilium's own).
  int examples = 0;
  int tiered = 0;  // of which with tier blocks, compared with their cnp build
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FENCE_SOURCE_DIR) + "/examples")) {
    auto name = e.path().filename().string();
    if (e.path().extension() == ".fence" && name[0] != '_') paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A program whose `targets` line leaves calico out is not one to compare.
    static const std::regex targets_line(R"((^|\n)targets [^\n]*)");
    std::smatch m;
    if (std::regex_search(text, m, targets_line) && m.str().find("calico") == std::string::npos) continue;
    auto envs = declared_envs(text);
    if (envs.empty()) envs.push_back("");
    for (const auto& env : envs) {
      std::optional<std::string> e = env.empty() ? std::nullopt : std::optional<std::string>(env);
      // A program with tier blocks is compared with its ClusterNetworkPolicy build (NetworkPolicy
      // for the namespace blocks, ClusterNetworkPolicy for the tiers), which np_eval reads.
      static const std::regex tier_block(R"((^|\n)\s*(admin|baseline) priority )");
      bool tiers = std::regex_search(text, tier_block);
      auto k8s = build(text, tiers ? "cnp" : "k8s", false, e, path);
      if (!k8s.ok) continue;
      if (tiers) ++tiered;
      auto calico = build(text, "calico", false, e, path);
      if (!calico.ok) {
        std::cout << fmt::format("{} ({}) compiles for k8s but not for calico:\n{}\n", path, env, calico.diagnostics);
        return 1;
      }
      auto d = derive(k8s.yaml);
      ++examples;
      if (!compare(fmt::format("{} {}", path, env), "", k8s.yaml, calico.yaml, false, d.cluster, d.endpoints, d.ports, t)) ++t.failed;
    }
  }

  std::cout << fmt::format("{} generated programs and {} example builds ({} with tier blocks) compared ({} skipped: the k8s target rejects "
                           "them), {} queries, {} allowed; {} disagreements in {} programs\n",
                           t.programs, examples, tiered, t.skipped, t.queries, t.allowed, t.disagreements, t.failed);
  return t.failed == 0 && examples > 0 && tiered > 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cout << "error: " << e.what() << "\n";
  return 1;
}
