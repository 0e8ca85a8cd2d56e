// Every edge `fence graph` draws, checked against the reference NetworkPolicy evaluator
// (tests/netpol/np_eval.*, which shares no code with the compiler) on the YAML the same program
// compiles to.
//
// For each program (every example, in every environment it declares, that compiles for k8s; or
// generated programs) the test builds the graph as `fence graph` does (the whole graph, and one
// centred on each workload), then a model cluster made of the graph's own ends: one pod per
// workload or pod-group node, with exactly the labels the engine judged it by, in a namespace
// with exactly the labels it was judged in; one address per address group block (its first
// address outside the excepts). Every named port the program uses is a container port of every
// pod, numbered from 30000. Then, for every edge, every pair of its ends' members and sample
// ports of each class of ports on it:
//   allowed       the evaluator allows the connection;
//   egress only   the evaluator allows the source's egress and refuses the destination's ingress;
//   ingress only  the reverse;
//   denied, blocked   the evaluator refuses the connection.
// Undecided edges make no claim and are counted. Refusals that rest on the assumption that pods lie
// outside every CIDR (Fence's reading when the program declares no pod CIDRs, which Kubernetes
// does not share) are counted and not checked. DNS names and entities are not NetworkPolicy's.
//
//   fence_graph_netpol --examples DIR            every program under DIR
//   fence_graph_netpol --programs N --seed S [--denies]   generated programs (tests/property/generator.h)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "generator.h"
#include "graph/graph.h"
#include "net/cidr_set.h"
#include "np_eval.h"

namespace {

namespace fs = std::filesystem;
using fence::graph::EdgeKind;

constexpr int kNamedBase = 30000;  // named container ports are numbered from here

struct Totals {
  long programs = 0, graphs = 0, edges = 0, claims = 0, undecided = 0, assumed = 0, skipped_kinds = 0, failures = 0;
  std::map<EdgeKind, long> by_kind;  // claims checked, per kind of edge
};

struct Model {
  npeval::Cluster cluster;
  std::map<std::string, std::size_t> pod_index;  // member key -> pod
  std::map<std::pair<std::string, std::string>, int> named;  // (protocol, name) -> number
};

std::string member_key(const fence::analyze::Endpoint& m) {
  std::string key = m.ns + "|";
  for (const auto& [k, v] : m.labels) key += k + "=" + v + ",";
  if (m.ns_labels) {
    key += "|";
    for (const auto& [k, v] : *m.ns_labels) key += k + "=" + v + ",";
  }
  return key;
}

std::string protocol_text(fence::net::Protocol p) {
  return std::string(fence::net::protocol_name(p));
}

// An address of the member's block that its excepts leave.
std::optional<std::string> sample_address(const fence::analyze::Endpoint& m) {
  if (!m.address) return std::nullopt;
  auto left = fence::net::CidrSet::of(*m.address, m.except).to_cidrs();
  if (left.empty()) return std::nullopt;
  auto s = left.front().str();
  return s.substr(0, s.find('/'));
}

// Pods for every pod member of the graph, with the program's named ports; each namespace once.
void add_members(Model& model, const fence::graph::Graph& g, const fence::ir::Program& program) {
  std::set<std::pair<std::string, std::string>> names;
  for (const auto& r : program.rules) {
    for (const auto& p : r.ports) {
      if (p.kind == fence::net::Port::Kind::Named) names.insert({protocol_text(p.protocol == fence::net::Protocol::Any ? fence::net::Protocol::TCP : p.protocol), p.name});
    }
  }
  for (const auto& n : names) model.named.emplace(n, kNamedBase + static_cast<int>(model.named.size()));
  auto pod_ip = [&](std::size_t i) {
    if (!program.pod_cidrs.empty()) {
      // Pods live in the declared pod CIDRs (Fence reasons so): number them from the first.
      auto base = program.pod_cidrs.front().str();
      auto ip = npeval::Ip::parse(base.substr(0, base.find('/')));
      ip.bytes[ip.v6 ? 15 : 3] = static_cast<unsigned char>(10 + i % 200);
      ip.bytes[ip.v6 ? 14 : 2] = static_cast<unsigned char>(1 + i / 200);
      return ip.str();
    }
    return fmt::format("100.64.{}.{}", i / 200, 10 + i % 200);
  };
  // A namespace per name and labels. The graph puts pods of namespaces chosen by label in '*', a
  // name no program uses, so each set of labels gets a '*' of its own; a named namespace judged
  // with two sets of labels cannot be modelled, and its second set's pods are left out.
  std::map<std::string, std::string> spaces;  // name and labels -> model namespace
  for (const auto& n : g.nodes) {
    for (const auto& m : n.members) {
      if (!m.is_pod() || model.pod_index.count(member_key(m))) continue;
      npeval::Labels labels;
      if (m.ns_labels) labels.insert(m.ns_labels->begin(), m.ns_labels->end());
      std::string key = m.ns + "|";
      for (const auto& [k, v] : labels) key += k + "=" + v + ",";
      auto it = spaces.find(key);
      if (it == spaces.end()) {
        bool taken = std::any_of(model.cluster.namespaces.begin(), model.cluster.namespaces.end(),
                                 [&](const npeval::Namespace& ns) { return ns.name == m.ns; });
        if (taken && m.ns != "*") continue;
        std::string name = taken ? fmt::format("*{}", model.cluster.namespaces.size()) : m.ns;
        model.cluster.add_namespace(name, labels);
        it = spaces.emplace(key, name).first;
      }
      npeval::Pod p;
      p.ns = it->second;
      p.name = fmt::format("pod{}", model.cluster.pods.size());
      p.labels.insert(m.labels.begin(), m.labels.end());
      p.ip = pod_ip(model.cluster.pods.size());
      for (const auto& [port, number] : model.named) p.ports.push_back({port.second, number, port.first});
      model.pod_index[member_key(m)] = model.cluster.pods.size();
      model.cluster.pods.push_back(p);
    }
  }
}

// The ports to try for one class: both ends of a range and its middle, avoiding the named ports'
// numbers (a number the pod names is not the class's "no name" reading).
std::vector<std::pair<int, std::string>> sample_ports(const fence::graph::PortClass& c, const Model& model) {
  auto proto = protocol_text(c.protocol);
  if (c.named()) {
    auto it = model.named.find({proto, c.name});
    if (it == model.named.end()) return {};
    return {{it->second, proto}};
  }
  std::vector<std::pair<int, std::string>> out;
  for (int p : {static_cast<int>(c.first), (c.first + c.last) / 2, static_cast<int>(c.last)}) {
    bool named = p >= kNamedBase && p < kNamedBase + static_cast<int>(model.named.size());
    bool seen = std::any_of(out.begin(), out.end(), [&](const auto& q) { return q.first == p; });
    if (!named && !seen) out.emplace_back(p, proto);
  }
  return out;
}

class Checker {
 public:
  Checker(Totals& totals, const std::string& what) : totals_(totals), what_(what) {}

  bool check(const fence::driver::Compilation& c, const std::string& yaml, const fence::graph::Options& opt) {
    auto g = fence::graph::build(c.program(), c.loaded(), c.sources(), opt);
    ++totals_.graphs;
    Model model;
    add_members(model, g, c.program());
    npeval::Evaluator ev(model.cluster, npeval::parse_policies(yaml));
    bool ok = true;
    std::map<std::string, const fence::graph::Node*> nodes;
    for (const auto& n : g.nodes) nodes[n.id] = &n;
    for (const auto& e : g.edges) {
      ++totals_.edges;
      if (e.kind == EdgeKind::Undecided) {
        ++totals_.undecided;
        continue;
      }
      bool refusal = e.kind != EdgeKind::Allowed;
      if (refusal && e.assumed) {
        ++totals_.assumed;
        continue;
      }
      for (const auto& f : nodes.at(e.from)->members) {
        for (const auto& t : nodes.at(e.to)->members) ok = check_pair(e, f, t, model, ev) && ok;
      }
    }
    return ok;
  }

 private:
  std::optional<npeval::Endpoint> endpoint(const fence::analyze::Endpoint& m, const Model& model) {
    if (m.is_pod()) {
      auto it = model.pod_index.find(member_key(m));
      if (it == model.pod_index.end()) return std::nullopt;  // its namespace could not be modelled
      return npeval::Endpoint::of(model.cluster.pods.at(it->second));
    }
    if (m.kind == fence::analyze::Endpoint::Kind::Address) {
      if (auto ip = sample_address(m)) return npeval::Endpoint::external(*ip);
    }
    return std::nullopt;  // DNS names and entities: not NetworkPolicy's
  }

  bool check_pair(const fence::graph::Edge& e, const fence::analyze::Endpoint& f, const fence::analyze::Endpoint& t, const Model& model,
                  const npeval::Evaluator& ev) {
    auto src = endpoint(f, model);
    auto dst = endpoint(t, model);
    if (!src || !dst) {
      ++totals_.skipped_kinds;
      return true;
    }
    if (src->pod != nullptr && src->pod == dst->pod) return true;  // loopback: left to the implementation
    bool ok = true;
    for (const auto& c : e.ports) {
      for (const auto& [port, proto] : sample_ports(c, model)) {
        ++totals_.claims;
        ++totals_.by_kind[e.kind];
        bool egress = ev.egress_allowed(*src, *dst, port, proto);
        bool ingress = ev.ingress_allowed(*src, *dst, port, proto);
        bool agree = false;
        switch (e.kind) {
          case EdgeKind::Allowed:
            agree = egress && ingress;
            break;
          case EdgeKind::EgressOnly:
            agree = egress && !ingress;
            break;
          case EdgeKind::IngressOnly:
            agree = !egress && ingress;
            break;
          case EdgeKind::Denied:
          case EdgeKind::Blocked:
            agree = !(egress && ingress);
            break;
          case EdgeKind::Undecided:
            agree = true;
            break;
        }
        if (agree) continue;
        ok = false;
        if (++totals_.failures <= 10) {
          std::cout << fmt::format("{}: the graph draws {} -> {} on {} as {}, but the evaluator says, on {}/{} from {} to {}: egress {}, ingress {}\n",
                                   what_, e.from, e.to, c.str(), fence::graph::edge_kind_name(e.kind), port, proto, src->str(), dst->str(),
                                   egress ? "allowed" : "refused", ingress ? "allowed" : "refused");
          for (const auto& d : e.detail) std::cout << "    " << d << "\n";
        }
      }
    }
    return ok;
  }

  Totals& totals_;
  std::string what_;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `# targets: k8s, cilium` in an example's header; default both (tests/golden/run.py's convention).
bool compiles_for_k8s(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto at = line.find("# targets:");
    if (at == 0) return line.find("k8s") != std::string::npos;
  }
  return true;
}

fence::driver::Options driver_options() {
  fence::driver::Options dopt;
  dopt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
  return dopt;
}

// The graph of the whole program, and one centred on each workload node.
bool check_program(Totals& totals, fence::driver::Compilation& c, const std::string& what) {
  auto objects = c.lower("k8s");
  if (c.sink().has_errors()) {
    std::cout << fmt::format("{}: does not compile for k8s:\n{}\n", what, fence::render_all(c.sink(), c.sources()));
    return false;
  }
  auto yaml = fence::emit::to_yaml_stream(objects);
  ++totals.programs;
  fence::graph::Options opt;
  Checker checker(totals, what);
  bool ok = checker.check(c, yaml, opt);
  auto whole = fence::graph::build(c.program(), c.loaded(), c.sources(), opt);
  for (const auto& n : whole.nodes) {
    if (n.kind != fence::graph::NodeKind::Workload || n.members.empty()) continue;
    fence::graph::Options focus;
    focus.workload = n.members.front();
    Checker one(totals, what + " --workload " + n.members.front().str());
    ok = one.check(c, yaml, focus) && ok;
  }
  return ok;
}

int run_examples(const std::string& dir, Totals& totals) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (entry.is_regular_file() && entry.path().extension() == ".fence" && name[0] != '_') files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& f : files) {
    auto text = read(f);
    if (!compiles_for_k8s(text)) continue;
    fence::driver::Compilation c(driver_options());
    if (!c.load({{f.string(), text}})) {
      std::cout << fmt::format("{}: does not load\n{}\n", f.string(), fence::render_all(c.sink(), c.sources()));
      return 1;
    }
    // A program that builds for some targets only is checked if k8s is one; one that means
    // something different per target is analyzed for k8s.
    const auto& targets = c.program_targets();
    if (!targets.empty() && std::find(targets.begin(), targets.end(), "k8s") == targets.end()) continue;
    std::optional<std::string> target;
    if (c.per_target()) target = "k8s";
    std::vector<std::optional<std::string>> envs;
    for (const auto& e : c.environments()) envs.emplace_back(e);
    if (envs.empty()) envs.emplace_back(std::nullopt);
    for (const auto& env : envs) {
      std::string what = f.string() + (env ? " --env " + *env : "");
      if (!c.analyze(env, target)) {
        std::cout << fmt::format("{}: has errors\n{}\n", what, fence::render_all(c.sink(), c.sources()));
        return 1;
      }
      ok = check_program(totals, c, what) && ok;
    }
  }
  return ok ? 0 : 1;
}

int run_generated(int programs, std::uint64_t seed, bool denies, Totals& totals) {
  bool ok = true;
  int rejected = 0;
  for (int i = 0; i < programs; ++i) {
    std::uint64_t s = seed * 1000003u + static_cast<std::uint64_t>(i);
    fence_test::Generator gen(s, denies);
    auto text = gen.program();
    fence::driver::Compilation c(driver_options());
    bool ok_here = c.load({{"generated.fence", text}}) && c.analyze(std::nullopt);
    if (ok_here) c.lower("k8s");
    if (!ok_here || c.sink().has_errors()) {
      // A deny the target cannot express (E04xx), or an allow a deny cancels (E0601), with
      // --denies: rejected by design, as netpol_property.cpp counts them too.
      bool by_design = denies && c.sink().has_errors();
      for (const auto& d : c.sink().raw()) {
        auto id = fence::code_info(d.code).id;
        by_design = by_design && (d.severity != fence::Severity::Error || id.substr(0, 3) == "E04" || id == "E0601");
      }
      if (by_design) {
        ++rejected;
        continue;
      }
      std::cout << fmt::format("program {} (seed {}) does not compile:\n{}\n{}\n", i, s, text, fence::render_all(c.sink(), c.sources()));
      return 1;
    }
    long before = totals.failures;
    bool one = check_program(totals, c, fmt::format("program {} (seed {})", i, s));
    if (!one && before < 10) std::cout << text << "\n";
    ok = one && ok;
  }
  std::cout << fmt::format("{} generated programs rejected by the target\n", rejected);
  if (2 * rejected > programs) {
    std::cout << "most programs were rejected by the target: too few were tested\n";
    return 1;
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> args(argv + 1, argv + argc);
  Totals totals;
  int rc = 2;
  auto value = [&](const std::string& flag) -> std::optional<std::string> {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end() || std::next(it) == args.end()) return std::nullopt;
    return *std::next(it);
  };
  if (auto dir = value("--examples")) {
    rc = run_examples(*dir, totals);
  } else if (auto n = value("--programs")) {
    bool denies = std::find(args.begin(), args.end(), "--denies") != args.end();
    rc = run_generated(std::stoi(*n), std::stoull(value("--seed").value_or("1")), denies, totals);
  } else {
    std::cerr << "usage: fence_graph_netpol --examples DIR | --programs N [--seed S] [--denies]\n";
    return 2;
  }
  std::cout << fmt::format(
      "{} programs, {} graphs, {} edges, {} claims checked, {} failed; {} undecided edges, {} refusals resting on pods outside CIDRs, {} "
      "member pairs not modelled (a DNS name, an entity, a namespace judged with two sets of labels)\n",
      totals.programs, totals.graphs, totals.edges, totals.claims, totals.failures, totals.undecided, totals.assumed, totals.skipped_kinds);
  std::vector<std::string> kinds;
  for (const auto& [kind, n] : totals.by_kind) kinds.push_back(fmt::format("{} {}", n, fence::graph::edge_kind_name(kind)));
  std::cout << fmt::format("claims by kind of edge: {}\n", fmt::join(kinds, ", "));
  // A run that checked nothing, or never met a kind of edge it should, proves too little.
  std::vector<EdgeKind> expected;
  if (value("--programs")) expected = {EdgeKind::Allowed, EdgeKind::EgressOnly, EdgeKind::IngressOnly, EdgeKind::Blocked};
  if (std::find(args.begin(), args.end(), "--denies") != args.end()) expected.push_back(EdgeKind::Denied);
  if (totals.claims == 0) expected.push_back(EdgeKind::Allowed);
  for (auto k : expected) {
    if (rc == 0 && totals.by_kind[k] == 0) {
      std::cout << fmt::format("no claim about a {} edge was checked\n", fence::graph::edge_kind_name(k));
      rc = 1;
    }
  }
  return rc;
} catch (const std::exception& e) {
  std::cerr << "fence_graph_netpol: " << e.what() << "\n";
  return 2;
}
