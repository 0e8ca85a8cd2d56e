// The model cluster the property tests share: namespaces x, y, z with labels; pods a, b, c in each
// with labels, an address and named container ports; addresses outside the cluster; the ports
// asked about. And the model's endpoints and ports as the analysis behind `fence why` takes them.
#pragma once

#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analyze/query.h"
#include "generator.h"
#include "net/cidr.h"
#include "np_eval.h"

namespace property {

// ---- the model ------------------------------------------------------------------------------

using fence_test::model_namespaces;
using fence_test::model_pods;
using fence_test::ModelPod;

inline const std::vector<std::string> kExternal = {"192.0.2.10", "198.51.100.7", "203.0.113.5", "169.254.169.254", "2001:db8::1"};
inline const std::vector<std::pair<int, std::string>> kPorts = {{80, "TCP"}, {8080, "TCP"}, {8081, "TCP"}, {5432, "TCP"}, {53, "UDP"}, {9090, "TCP"}};

inline npeval::Cluster make_cluster() {
  npeval::Cluster c;
  const char* subnets[] = {"10.0.1.", "10.0.2.", "10.1.3."};
  std::size_t n = 0;
  for (const auto& [ns, labels] : model_namespaces()) {
    c.add_namespace(ns, labels);
    int host = 10;
    for (const auto& mp : model_pods()) {
      npeval::Pod p;
      p.ns = ns;
      p.name = mp.name;
      for (const auto& [k, v] : mp.labels) p.labels[k] = v;
      p.ip = subnets[n] + std::to_string(host++);
      p.ports = mp.ports;
      c.pods.push_back(p);
    }
    ++n;
  }
  return c;
}

// ---- the comparison -------------------------------------------------------------------------

inline fence::analyze::Endpoint analysis_endpoint(const npeval::Endpoint& e, const npeval::Cluster& c) {
  using fence::analyze::Endpoint;
  Endpoint out;
  auto address = fence::net::parse_cidr(e.ip).cidr;
  if (!address) throw std::runtime_error("bad model address " + e.ip);
  out.address = address;
  if (e.pod == nullptr) {
    out.kind = Endpoint::Kind::Address;
    return out;
  }
  out.kind = Endpoint::Kind::Pod;
  out.ns = e.pod->ns;
  for (const auto& [k, v] : e.pod->labels) out.labels[k] = v;
  fence::analyze::Labels nsl;
  for (const auto& [k, v] : c.ns(e.pod->ns).labels) nsl[k] = v;
  out.ns_labels = nsl;
  return out;
}

inline fence::analyze::QueryPort analysis_port(int port, const std::string& proto, const npeval::Endpoint& dst) {
  fence::analyze::QueryPort q;
  q.protocol = proto == "UDP" ? fence::net::Protocol::UDP : proto == "SCTP" ? fence::net::Protocol::SCTP : fence::net::Protocol::TCP;
  q.number = static_cast<std::uint16_t>(port);
  q.name = "";  // every fact is known: the port has a name only if the pod gives it one
  if (dst.pod != nullptr) {
    for (const auto& cp : dst.pod->ports) {
      if (cp.number == port && cp.protocol == proto) q.name = cp.name;
    }
  }
  return q;
}

// ---- what the generators and command lines share ----------------------------------------

// Random choices, deterministic per seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) : rng_(seed) {}

 protected:
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  template <typename T>
  const T& one_of(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

 private:
  std::mt19937_64 rng_;
};

// A property test's command line: `--NAME VALUE` options and `--NAME` flags. Throws
// std::runtime_error on an unknown name or a missing value.
class Args {
 public:
  Args(int argc, char** argv, const std::set<std::string>& options, const std::set<std::string>& flags) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (flags.count(a)) {
        flags_.insert(a);
      } else if (options.count(a)) {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        values_[a] = argv[++i];
      } else {
        throw std::runtime_error("unknown argument " + a);
      }
    }
  }
  int integer(const std::string& name, int fallback) const { return values_.count(name) ? std::stoi(values_.at(name)) : fallback; }
  std::uint64_t seed() const { return values_.count("--seed") ? std::stoull(values_.at("--seed")) : 1; }
  std::string text(const std::string& name) const { return values_.count(name) ? values_.at(name) : std::string(); }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace property
