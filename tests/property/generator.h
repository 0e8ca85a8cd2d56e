// The generator of random Fence programs over a small model cluster (namespaces x, y, z with
// labels; pods a, b, c with labels and named ports), deterministic per seed. The property tests
// compile them and check what Fence says about them against the reference evaluator
// (netpol_property.cpp: `fence why`; tests/graph/graph_netpol.cpp: `fence graph`).
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "np_eval.h"

namespace fence_test {

// ---- the model ------------------------------------------------------------------------------

struct ModelPod {
  const char* name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<npeval::ContainerPort> ports;
};

inline const std::vector<std::pair<std::string, npeval::Labels>>& model_namespaces() {
  static const std::vector<std::pair<std::string, npeval::Labels>> ns = {
      {"x", {{"team", "red"}, {"env", "prod"}}},
      {"y", {{"team", "blue"}, {"env", "prod"}}},
      {"z", {{"team", "red"}, {"env", "dev"}}},
  };
  return ns;
}

inline const std::vector<ModelPod>& model_pods() {
  static const std::vector<ModelPod> pods = {
      {"a", {{"app", "a"}, {"app.kubernetes.io/name", "a"}, {"tier", "web"}, {"track", "stable"}}, {{"http", 8080, "TCP"}, {"dns", 53, "UDP"}}},
      {"b", {{"app", "b"}, {"app.kubernetes.io/name", "b"}, {"tier", "db"}}, {{"http", 8081, "TCP"}, {"db", 5432, "TCP"}}},
      {"c", {{"app", "c"}, {"app.kubernetes.io/name", "c"}, {"tier", "web"}, {"track", "canary"}}, {{"metrics", 9090, "TCP"}}},
  };
  return pods;
}

// ---- the generator --------------------------------------------------------------------------

class Generator {
 public:
  Generator(std::uint64_t seed, bool denies) : rng_(seed), denies_(denies) {}

  std::string program() {
    std::string out;
    label_key_ = pick(10) == 0;
    if (label_key_) out += "set label-key = \"app.kubernetes.io/name\"\n";
    // Denied addresses can hold pods. NetworkPolicy cannot take pod addresses out of a selector,
    // so the k8s target needs to know where pods live to reject such a deny (E0406) rather than
    // leave the pods allowed. The model's pods are in 10.0.1.0/24, 10.0.2.0/24 and 10.1.3.0/24.
    if (denies_) out += "set pod-cidrs = 10.0.0.0/15\n";
    for (const auto& [ns, _] : model_namespaces()) {
      if (pick(5) == 0) continue;
      out += fmt::format("namespace {} {{\n", ns);
      switch (pick(6)) {
        case 0:
          out += "  default deny egress\n";
          break;
        case 1:
          out += "  default deny ingress\n";
          break;
        case 2:
          out += "  default deny all\n";
          break;
        default:
          break;
      }
      for (int i = 0, n = static_cast<int>(pick(5)); i < n; ++i) out += "  " + statement(ns, false) + "\n";
      out += "}\n";
    }
    for (int i = 0, n = static_cast<int>(pick(3)); i < n; ++i) {
      const auto& ns = model_namespaces()[pick(3)].first;
      out += statement(ns, true) + "\n";
    }
    return out;
  }

 private:
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  template <typename T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  std::string other_ns(const std::string& ns) {
    std::vector<std::string> others;
    for (const auto& [n, _] : model_namespaces()) {
      if (n != ns) others.push_back(n);
    }
    return one_of(others);
  }

  std::string subject() {
    static const std::vector<std::string> s = {"a",
                                               "b",
                                               "c",
                                               "d",
                                               "all pods",
                                               "pods[tier=web]",
                                               "pods[tier!=db]",
                                               "pods[track in (stable, canary)]",
                                               "pods[!track]",
                                               "pods[tier=web, track=canary]"};
    return one_of(s);
  }

  std::string cidr() {
    static const std::vector<std::string> c = {"10.0.0.0/16",
                                               "10.0.1.0/24 except 10.0.1.11/32",
                                               "0.0.0.0/0 except {10.0.0.0/8, 169.254.169.254/32}",
                                               "192.0.2.0/24",
                                               "198.51.100.7/32",
                                               "203.0.113.0/25",
                                               "2001:db8::/32",
                                               "10.0.0.0/8 except 10.1.0.0/16",
                                               "169.254.169.254/32",
                                               "0.0.0.0/0"};
    return one_of(c);
  }

  std::string peer(const std::string& ns) {
    switch (pick(14)) {
      case 0:
        return one_of(std::vector<std::string>{"a", "b", "c"});
      case 1:
        return other_ns(ns) + "/" + one_of(std::vector<std::string>{"a", "b", "c"});
      case 2:
        return other_ns(ns) + "/all pods";
      case 3:
        return other_ns(ns) + "/pods[tier=db]";
      case 4:
        return "ns[team=red]/pods[tier=web]";
      case 5:
        return "ns[env=prod]";
      case 6:
        return "ns[team notin (blue)]/b";
      case 7:
        return "all namespaces/a";
      case 8:
        return "all namespaces";
      case 9:
        return "all pods";
      case 10:
        return "{b, 192.0.2.0/24}";
      default:
        return cidr();
    }
  }

  std::string ports() {
    static const std::vector<std::string> p = {":80",    ":8080",     ":{80, 53/udp}", ":8080-8081", ":http", ":db",
                                               ":*/udp", ":5432/tcp", ":{http, 9090}", ":dns/udp",   ":{*}"};
    if (pick(2) == 0) return {};
    return one_of(p);
  }

  std::string statement(const std::string& ns, bool top_level) {
    auto qualify = [&](std::string s) { return top_level ? ns + "/" + s : s; };
    std::string subj = qualify(subject());
    if (!top_level && pick(4) == 0) subj += ", " + subject();
    bool deny = denies_ && pick(5) == 0;
    bool egress = pick(2) == 0;
    std::vector<std::string> targets;
    for (int i = 0, n = 1 + static_cast<int>(pick(3)); i < n; ++i) {
      std::string p = deny ? cidr() : peer(ns);
      // Outside a block, bare workload names need their namespace.
      if (top_level && (p == "a" || p == "b" || p == "c" || p == "all pods")) p = ns + "/" + p;
      if (top_level && p == "{b, 192.0.2.0/24}") p = "{" + ns + "/b, 192.0.2.0/24}";
      auto ps = deny ? std::string() : ports();  // a CIDR deny takes addresses away on every port
      if (!ps.empty() && p.find(" except ") != std::string::npos) p = "{" + p + "}";
      targets.push_back(p + ps);
    }
    const char* verb = deny ? (egress ? "must not reach" : "must not be reached by") : (egress ? "may reach" : "may be reached by");
    return fmt::format("{} {} {}", subj, verb, fmt::join(targets, ", "));
  }

  std::mt19937_64 rng_;
  bool denies_;
  bool label_key_ = false;
};

}  // namespace fence_test
