// Property: for every generated program, the NetworkPolicy YAML Fence emits allows exactly the
// connections that the analysis behind `fence why` says are allowed, on every pair of a model
// cluster and every port of a list.
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
//
// Each program is also run through `fence fmt`'s formatter, after its white space is scrambled
// and at a random width from 20 to 119 columns (so that lists wrap), and must compile to the
// same YAML, source line numbers aside.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "format/format.h"
#include "generator.h"
#include "np_eval.h"
#include "../unit/scramble.h"

namespace {

using fence_test::Generator;
using fence_test::model_namespaces;
using fence_test::model_pods;

const std::vector<std::string> kExternal = {"192.0.2.10", "198.51.100.7", "203.0.113.5", "169.254.169.254", "2001:db8::1"};
const std::vector<std::pair<int, std::string>> kPorts = {{80, "TCP"}, {8080, "TCP"}, {8081, "TCP"}, {5432, "TCP"}, {53, "UDP"}, {9090, "TCP"}};

npeval::Cluster make_cluster() {
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

fence::analyze::Endpoint analysis_endpoint(const npeval::Endpoint& e, const npeval::Cluster& c) {
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

fence::analyze::QueryPort analysis_port(int port, const std::string& proto, const npeval::Endpoint& dst) {
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

// YAML with the source line numbers out; in comments, which quote the source, white space out too.
std::string without_lines(const std::string& yaml) {
  static const std::regex line(R"(\.fence:\d+)");
  static const std::regex blanks(R"(\s+)");
  std::string out;
  std::istringstream in(yaml);
  for (std::string l; std::getline(in, l);) {
    l = std::regex_replace(l, line, ".fence:N");
    if (l.find_first_not_of(' ') != std::string::npos && l[l.find_first_not_of(' ')] == '#') l = std::regex_replace(l, blanks, "");
    out += l + "\n";
  }
  return out;
}

// The program formatted (white space scrambled first, at a width from 20 to 119) compiles to
// the same objects. Returns the problem, if any.
std::optional<std::string> formatted_differs(const std::string& text, const std::string& yaml, std::uint64_t seed) {
  fence::format::Options fopt;
  fopt.width = 20 + seed % 100;
  auto formatted = fence::format::format_text(fence::test::scramble_whitespace(text, seed), fopt);
  fence::driver::Options dopt;
  dopt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
  fence::driver::Compilation c(dopt);
  if (!c.load({{"generated.fence", formatted}}) || !c.analyze(std::nullopt)) {
    return fmt::format("formatted at width {}, it does not compile:\n{}\n{}", fopt.width, formatted, fence::render_all(c.sink(), c.sources()));
  }
  auto again = fence::emit::to_yaml_stream(c.lower("k8s"));
  if (without_lines(again) != without_lines(yaml)) {
    return fmt::format("formatted at width {}, it compiles to other YAML:\n{}\n-- YAML:\n{}", fopt.width, formatted, again);
  }
  return std::nullopt;
}

struct Options {
  int programs = 2000;
  std::uint64_t seed = 1;
  bool denies = false;
  int show = 3;
  int dump = -1;
};

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--programs") {
      o.programs = std::stoi(value());
    } else if (a == "--seed") {
      o.seed = std::stoull(value());
    } else if (a == "--denies") {
      o.denies = true;
    } else if (a == "--show") {
      o.show = std::stoi(value());
    } else if (a == "--dump") {
      o.dump = std::stoi(value());
    } else {
      throw std::runtime_error("unknown argument " + a);
    }
  }
  return o;
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
  int formatted = 0;  // formatted, and compiled to the same YAML
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
    if (auto problem = formatted_differs(text, yaml, seed)) {
      std::cout << fmt::format("program {} (seed {}):\n{}\n-- emitted YAML:\n{}\n-- {}\n", i, seed, text, yaml, *problem);
      return 1;
    }
    ++formatted;
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
      "{} programs ({} rejected: E04xx or E0601; {} formatted alike), {} queries ({:.1f}% allowed), {} undecided, {} disagreements in {} "
      "programs, {:.1f} s\n",
      opt.programs, rejected, formatted, queries, share, undecided, disagreements, failed_programs, seconds);
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
