// Property: for every generated program, the NetworkPolicy YAML Fence emits allows exactly the
// connections that the analysis behind `fence why` says are allowed, on every pair of a model
// cluster and every port of a list.
//
// The programs use every construct that says what NetworkPolicy says: `anything`, default denies
// for some pods, the one-sided `may send to` / `may receive from`, and per-block label keys.
//
// Each program is random (deterministic per seed) over a small model: namespaces x, y, z with
// labels; pods a, b, c in each with labels, an IP and named container ports; addresses outside
// the cluster. The program is compiled by the library exactly as `fence build --target k8s`
// does; the YAML is read back by the reference evaluator (tests/netpol/np_eval.*, which shares
// no code with the compiler); the analysis answers from the IR. Any disagreement prints the
// program, the YAML and the pair, and fails.
//
//   fence_property_netpol [--programs N] [--seed S] [--denies] [--show N] [--dump I]
//
// --show N prints the first N failing programs; --dump I prints program I and its YAML.
// --denies also generates CIDR denies (`must not reach 169.254.169.254/32`), and with it
// the program declares the model's pod CIDRs (`set pod-cidrs`). A program rejected by design is
// counted and skipped: E04xx (a deny the target cannot express) or E0601 (an allow that a deny
// cancels entirely); if more than half are rejected, the run fails, since it would test too little.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "model.h"
#include "np_eval.h"

namespace {

using namespace property;

// ---- the generator --------------------------------------------------------------------------

class Generator : Random {
 public:
  Generator(std::uint64_t seed, bool denies) : Random(seed), denies_(denies) {}

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
      // A block may read workload names with its own key (the model's pods carry both keys).
      if (pick(8) == 0) out += "  set label-key = \"app.kubernetes.io/name\"\n";
      switch (pick(9)) {
        case 0:
          out += "  default deny egress\n";
          break;
        case 1:
          out += "  default deny ingress\n";
          break;
        case 2:
          out += "  default deny all\n";
          break;
        case 3:
          out += "  default deny ingress for " + one_of(std::vector<std::string>{"a", "b", "pods[tier=web]", "pods[!track]"}) + "\n";
          break;
        case 4:
          out += "  default deny egress for " + one_of(std::vector<std::string>{"a", "c", "pods[tier=db]", "pods[track=canary]"}) + "\n";
          break;
        case 5:
          out += "  default deny all for " + one_of(std::vector<std::string>{"b", "pods[tier=web, track=stable]"}) + "\n";
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
    switch (pick(16)) {
      case 14:
      case 15:
        return "anything";
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
    bool one_sided = !deny && pick(5) == 0;
    std::vector<std::string> targets;
    for (int i = 0, n = 1 + static_cast<int>(pick(3)); i < n; ++i) {
      std::string p = deny ? (pick(10) == 0 ? std::string("anything") : cidr()) : peer(ns);
      // Outside a block, bare workload names need their namespace.
      if (top_level && (p == "a" || p == "b" || p == "c" || p == "all pods")) p = ns + "/" + p;
      if (top_level && p == "{b, 192.0.2.0/24}") p = "{" + ns + "/b, 192.0.2.0/24}";
      // A CIDR deny takes addresses away on every port; a deny of anything, on some ports.
      auto ps = deny ? (p == "anything" ? std::string(":80") : std::string()) : ports();
      if (!ps.empty() && p.find(" except ") != std::string::npos) p = "{" + p + "}";
      targets.push_back(p + ps);
    }
    const char* verb = deny        ? (egress ? "must not reach" : "must not be reached by")
                       : one_sided ? (egress ? "may send to" : "may receive from")
                                   : (egress ? "may reach" : "may be reached by");
    return fmt::format("{} {} {}", subj, verb, fmt::join(targets, ", "));
  }

  bool denies_;
  bool label_key_ = false;
};

struct Options {
  int programs = 2000;
  std::uint64_t seed = 1;
  bool denies = false;
  int show = 3;
  int dump = -1;
};

Options parse_args(int argc, char** argv) {
  Args args(argc, argv, {"--programs", "--seed", "--show", "--dump"}, {"--denies"});
  return Options{args.integer("--programs", 2000), args.seed(), args.flag("--denies"), args.integer("--show", 3), args.integer("--dump", -1)};
}

}  // namespace

int main(int argc, char** argv) try {
  auto opt = parse_args(argc, argv);
  auto started = std::chrono::steady_clock::now();
  auto cluster = make_cluster();
  std::vector<npeval::Endpoint> endpoints;
  for (const auto& p : cluster.pods) endpoints.push_back(npeval::Endpoint::of(p));
  for (const auto& e : kExternal) endpoints.push_back(npeval::Endpoint::external(e));

  long queries = 0, allowed = 0, disagreements = 0, undecided = 0;
  int failed_programs = 0;
  int rejected = 0;  // with --denies: programs rejected by design (E04xx, E0601)
  for (int i = 0; i < opt.programs; ++i) {
    std::uint64_t seed = opt.seed * 1000003u + static_cast<std::uint64_t>(i);
    Generator gen(seed, opt.denies);
    auto text = gen.program();

    fence::driver::Options dopt;
    dopt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
    fence::driver::Compilation c(dopt);
    std::vector<fence::emit::Object> objects;
    bool ok = c.load({{"generated.fence", text}}) && c.analyze(std::nullopt);
    if (ok) objects = c.lower("k8s");
    if (!ok || c.sink().has_errors()) {
      bool target_only = opt.denies && c.sink().has_errors();
      for (const auto& d : c.sink().raw()) {
        target_only = target_only && (d.severity != fence::Severity::Error || fence::code_info(d.code).id.substr(0, 3) == "E04" ||
                                     fence::code_info(d.code).id == "E0601");
      }
      if (target_only) {
        ++rejected;
        continue;
      }
      std::cout << fmt::format("program {} (seed {}) does not compile:\n{}\n{}\n", i, seed, text, fence::render_all(c.sink(), c.sources()));
      return 1;
    }
    auto yaml = fence::emit::to_yaml_stream(objects);
    if (i == opt.dump) std::cout << fmt::format("== program {} (seed {}):\n{}\n-- emitted YAML:\n{}\n", i, seed, text, yaml);
    npeval::Evaluator ev(cluster, npeval::parse_policies(yaml));
    const auto& program = c.program();

    int shown_here = 0;
    for (const auto& src : endpoints) {
      for (const auto& dst : endpoints) {
        if (src.pod == nullptr && dst.pod == nullptr) continue;
        if (src.pod != nullptr && src.pod == dst.pod) continue;  // loopback: left to the implementation
        auto from = analysis_endpoint(src, cluster);
        auto to = analysis_endpoint(dst, cluster);
        for (const auto& [port, proto] : kPorts) {
          ++queries;
          bool expected = ev.allowed(src, dst, port, proto);
          auto q = analysis_port(port, proto, dst);
          auto verdict = fence::analyze::why(program, from, to, q);
          allowed += expected ? 1 : 0;
          if (verdict.allowed == fence::analyze::Tri::Maybe) ++undecided;
          bool agree = verdict.allowed == (expected ? fence::analyze::Tri::Yes : fence::analyze::Tri::No);
          if (agree) continue;
          ++disagreements;
          if (shown_here++ == 0) {
            ++failed_programs;
            if (failed_programs <= opt.show) {
              std::cout << fmt::format("== program {} (seed {}):\n{}\n-- emitted YAML:\n{}\n", i, seed, text, yaml);
            }
          }
          if (failed_programs <= opt.show && shown_here <= 3) {
            fence::analyze::Options aopt;
            std::cout << fmt::format("-- {} -> {} on {}/{}: the YAML {} it, the analysis says:\n{}\n", src.str(), dst.str(), port, proto,
                                     expected ? "allows" : "denies",
                                     fence::analyze::why_text(verdict, fence::analyze::ReportContext{program, c.sources(), aopt, std::nullopt}));
          }
        }
      }
    }
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  double share = queries > 0 ? 100.0 * static_cast<double>(allowed) / static_cast<double>(queries) : 0.0;
  std::cout << fmt::format(
      "{} programs ({} rejected: E04xx or E0601), {} queries ({:.1f}% allowed), {} undecided, {} disagreements in {} programs, {:.1f} s\n",
      opt.programs, rejected, queries, share, undecided, disagreements, failed_programs, seconds);
  if (2 * rejected > opt.programs) {
    std::cout << "most programs were rejected by the target: too few were tested\n";
    return 1;
  }
  // A generator that produced (almost) only one answer would prove nothing.
  if (queries > 0 && (share < 10.0 || share > 90.0)) {
    std::cout << "the generated programs are degenerate: the answers are too one-sided to test anything\n";
    return 1;
  }
  return disagreements == 0 && undecided == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "fence_property_netpol: " << e.what() << "\n";
  return 2;
}
