// `fence import` round trips, judged by the reference evaluator (tests/netpol/np_eval.*, which
// shares no code with the compiler):
//
//   - random NetworkPolicy sets over the model cluster (model.h): each is imported, the program
//     compiled back to NetworkPolicy, and the evaluator must find the input YAML and the compiled
//     YAML to allow exactly the same connections on every pair and port of the model; and
//     `--verify`'s comparison (the semantic engine) must find no difference either;
//   - with --corpus DIR, every document of the corpus (tests/import/corpus): NetworkPolicy files
//     the same way, on a model cluster built here from the policies' own selectors, addresses
//     and ports; Cilium files, which the evaluator does not read, are checked by --verify's
//     comparison and by a second round trip (the compiled CiliumNetworkPolicy imported again must
//     mean what the first import meant). The documents Fence cannot express (Cilium fields it has
//     no construct for, ClusterNetworkPolicy) must instead be refused with the error this test
//     expects for each.
//
//   - with --examples DIR, every example program compiled for Cilium (in every environment): its
//     CiliumNetworkPolicy YAML, imported, must mean what the program means, by --verify's model.
//
//   fence_import_roundtrip [--sets N] [--seed S] [--corpus DIR] [--examples DIR] [--show N] [--dump I]
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "import/import.h"
#include "model.h"
#include "np_eval.h"

namespace {

using namespace property;
namespace fs = std::filesystem;

// ---- importing and compiling, as `fence import` and `fence build` do -------------------------

struct RoundTrip {
  bool ok = false;
  std::string error;     // what failed, with the diagnostics
  std::string codes;     // the codes of the import's errors, e.g. "E0903"
  std::string program;   // the imported program
  std::string compiled;  // its YAML for the target
  std::size_t differences = 0;  // --verify's
  bool same_rules = false;       // and whether it found the same rules, peer by peer
  std::string first_difference;
  fence::ir::Program imported_ir;
};

RoundTrip round_trip(const std::string& name, const std::string& yaml, const std::string& target, const std::optional<std::string>& ns = std::nullopt,
                     bool always_model = true) {
  RoundTrip out;
  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  auto id = sm.add(name, yaml);
  fence::import::ReadOptions ro;
  ro.namespace_name = ns;
  auto imported = fence::import::read({id}, sm, ro, sink);
  if (sink.has_errors()) {
    std::set<std::string> codes;
    for (const auto& d : sink.raw()) {
      if (d.severity == fence::Severity::Error) codes.insert(std::string(fence::code_info(d.code).id));
    }
    out.codes = fmt::format("{}", fmt::join(codes, ","));
    out.error = "the import failed:\n" + fence::render_all(sink, sm);
    return out;
  }
  out.program = fence::import::write(imported);
  fence::driver::Options opt;
  opt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
  fence::driver::Compilation c(opt);
  bool ok = c.load({{"imported.fence", out.program}}) && c.analyze(std::nullopt);
  std::vector<fence::emit::Object> objects;
  if (ok) objects = c.lower(target);
  if (!ok || c.sink().has_errors()) {
    out.error = fmt::format("the imported program does not compile:\n{}\n{}", out.program, fence::render_all(c.sink(), c.sources()));
    return out;
  }
  out.compiled = fence::emit::to_yaml_stream(objects);
  auto report = fence::import::verify(imported.program, c.program(), 1, always_model);
  out.same_rules = report.same_rules;
  out.differences = report.difference_count;
  if (!report.differences.empty()) out.first_difference = report.differences.front();
  out.imported_ir = imported.program;
  out.ok = true;
  return out;
}

// The connections two NetworkPolicy streams disagree on, over a model cluster.
struct Disagreement {
  std::size_t count = 0;
  std::string first;
};

Disagreement disagreements(const npeval::Cluster& cluster, const std::vector<std::string>& external, const std::vector<std::pair<int, std::string>>& ports,
                           const std::vector<npeval::Policy>& a, const std::vector<npeval::Policy>& b) {
  npeval::Evaluator ea(cluster, a), eb(cluster, b);
  std::vector<npeval::Endpoint> endpoints;
  for (const auto& p : cluster.pods) endpoints.push_back(npeval::Endpoint::of(p));
  for (const auto& e : external) endpoints.push_back(npeval::Endpoint::external(e));
  Disagreement d;
  for (const auto& src : endpoints) {
    for (const auto& dst : endpoints) {
      if (src.pod == nullptr && dst.pod == nullptr) continue;
      if (src.pod != nullptr && src.pod == dst.pod) continue;
      for (const auto& [port, proto] : ports) {
        bool x = ea.allowed(src, dst, port, proto), y = eb.allowed(src, dst, port, proto);
        if (x == y) continue;
        if (d.count++ == 0) {
          d.first = fmt::format("{} -> {} on {}/{}: the input {} it, the compiled import {} it", src.str(), dst.str(), port, proto, x ? "allows" : "denies",
                                y ? "allows" : "denies");
        }
      }
    }
  }
  return d;
}

// ---- random NetworkPolicy sets ------------------------------------------------------------

class Generator : Random {
 public:
  explicit Generator(std::uint64_t seed) : Random(seed) {}

  std::string set() {
    std::string out;
    for (int i = 0, n = 1 + static_cast<int>(pick(5)); i < n; ++i) out += policy(i);
    return out;
  }

 private:
  std::string pod_selector() {
    static const std::vector<std::string> s = {"{}",
                                               "{matchLabels: {app: a}}",
                                               "{matchLabels: {app: b}}",
                                               "{matchLabels: {tier: web}}",
                                               "{matchLabels: {app.kubernetes.io/name: c}}",
                                               "{matchLabels: {tier: web, track: canary}}",
                                               "{matchExpressions: [{key: track, operator: In, values: [stable, canary]}]}",
                                               "{matchExpressions: [{key: tier, operator: NotIn, values: [db]}]}",
                                               "{matchExpressions: [{key: track, operator: DoesNotExist}]}",
                                               "{matchExpressions: [{key: track, operator: Exists}], matchLabels: {tier: web}}"};
    return one_of(s);
  }

  std::string namespace_selector() {
    static const std::vector<std::string> s = {"{}", "{matchLabels: {team: red}}", "{matchLabels: {kubernetes.io/metadata.name: y}}",
                                               "{matchLabels: {env: prod}}", "{matchExpressions: [{key: team, operator: NotIn, values: [blue]}]}",
                                               "{matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [x, z]}]}"};
    return one_of(s);
  }

  std::string peer() {
    static const std::vector<std::string> cidrs = {"{cidr: 10.0.0.0/16}",
                                                   "{cidr: 10.0.1.0/24, except: [10.0.1.11/32]}",
                                                   "{cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.169.254/32]}",
                                                   "{cidr: 192.0.2.0/24}",
                                                   "{cidr: 198.51.100.7/32}",
                                                   "{cidr: 2001:db8::/32}",
                                                   "{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.0.2.0/24]}",
                                                   "{cidr: 0.0.0.0/0}"};
    switch (pick(5)) {
      case 0:
        return "{podSelector: " + pod_selector() + "}";
      case 1:
        return "{namespaceSelector: " + namespace_selector() + "}";
      case 2:
        return "{namespaceSelector: " + namespace_selector() + ", podSelector: " + pod_selector() + "}";
      default:
        return "{ipBlock: " + one_of(cidrs) + "}";
    }
  }

  std::string ports() {
    static const std::vector<std::string> p = {"{port: 80}",       "{port: 8080, protocol: TCP}", "{port: 53, protocol: UDP}", "{port: http}",
                                               "{port: db}",       "{port: 8080, endPort: 8081}", "{protocol: UDP}",           "{port: 5432}",
                                               "{port: 9090}",     "{port: dns, protocol: UDP}"};
    std::vector<std::string> out;
    for (int i = 0, n = 1 + static_cast<int>(pick(2)); i < n; ++i) out.push_back(one_of(p));
    return fmt::format("[{}]", fmt::join(out, ", "));
  }

  std::string rules(const char* peers_key) {
    if (pick(6) == 0) return "[]";
    std::vector<std::string> out;
    for (int i = 0, n = 1 + static_cast<int>(pick(3)); i < n; ++i) {
      std::vector<std::string> fields;
      switch (pick(5)) {
        case 0:
          break;  // every peer
        case 1:
          fields.push_back(fmt::format("{}: []", peers_key));
          break;
        default: {
          std::vector<std::string> ps;
          for (int k = 0, m = 1 + static_cast<int>(pick(3)); k < m; ++k) ps.push_back(peer());
          fields.push_back(fmt::format("{}: [{}]", peers_key, fmt::join(ps, ", ")));
        }
      }
      if (pick(2) == 0) fields.push_back("ports: " + ports());
      out.push_back(fmt::format("{{{}}}", fmt::join(fields, ", ")));
    }
    return fmt::format("[{}]", fmt::join(out, ", "));
  }

  std::string policy(int i) {
    const auto& ns = model_namespaces()[pick(3)].first;
    std::string spec = "  podSelector: " + pod_selector() + "\n";
    bool in = pick(3) != 0, eg = pick(2) == 0;
    switch (pick(4)) {
      case 0:
        break;  // no policyTypes: Ingress, and Egress where there are egress rules
      case 1:
        spec += "  policyTypes: [Ingress]\n";
        eg = eg && pick(4) == 0;  // now and then, egress rules Kubernetes ignores
        in = true;
        break;
      case 2:
        spec += "  policyTypes: [Egress]\n";
        in = in && pick(4) == 0;
        eg = true;
        break;
      default:
        spec += "  policyTypes: [Ingress, Egress]\n";
        break;
    }
    if (in && pick(5) != 0) spec += "  ingress: " + rules("from") + "\n";
    if (eg && pick(5) != 0) spec += "  egress: " + rules("to") + "\n";
    return fmt::format("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p{}\n  namespace: {}\nspec:\n{}", i, ns, spec);
  }
};

// ---- a model cluster for a corpus file --------------------------------------------------

// Labels that satisfy a selector, and labels that miss each of its requirements.
std::vector<npeval::Labels> witnesses(const npeval::Selector& s) {
  npeval::Labels yes = s.match_labels;
  for (const auto& e : s.expressions) {
    if ((e.op == "In") && !e.values.empty()) yes[e.key] = e.values.front();
    if (e.op == "Exists" && !yes.count(e.key)) yes[e.key] = "present";
  }
  std::vector<npeval::Labels> out{yes};
  for (const auto& [k, v] : s.match_labels) {
    auto miss = yes;
    miss.erase(k);
    out.push_back(miss);
  }
  for (const auto& e : s.expressions) {
    auto miss = yes;
    if (e.op == "In" || e.op == "Exists") miss.erase(e.key);
    if (e.op == "NotIn") miss[e.key] = e.values.front();
    if (e.op == "DoesNotExist") miss[e.key] = "present";
    out.push_back(miss);
  }
  return out;
}

struct CorpusModel {
  npeval::Cluster cluster;
  std::vector<std::string> external;
  std::vector<std::pair<int, std::string>> ports;
};

std::string nth_address(const npeval::Cidr& c, bool last, int step) {
  auto ip = c.base;
  int bytes = ip.v6 ? 16 : 4;
  for (int i = c.prefix; i < bytes * 8; ++i) {
    auto& b = ip.bytes[static_cast<std::size_t>(i / 8)];
    auto bit = static_cast<unsigned char>(1u << (7 - i % 8));
    b = static_cast<unsigned char>(last ? (b | bit) : (b & ~bit));
  }
  // One step out of the block, where there is one.
  for (int i = bytes - 1; i >= 0 && step != 0; --i) {
    auto& b = ip.bytes[static_cast<std::size_t>(i)];
    if (step > 0) {
      if (b != 0xff) {
        ++b;
        break;
      }
      b = 0;
    } else {
      if (b != 0) {
        --b;
        break;
      }
      b = 0xff;
    }
  }
  return ip.str();
}

CorpusModel corpus_model(const std::vector<npeval::Policy>& policies) {
  CorpusModel m;
  std::map<std::string, npeval::Labels> namespaces;
  std::set<npeval::Labels> pod_labels{{}};
  std::set<std::pair<std::string, std::string>> named;  // name, protocol
  std::set<std::pair<int, std::string>> ports{{1, "TCP"}, {1, "UDP"}};
  std::set<std::string> external{"198.18.0.1", "2001:db8:ffff::1"};
  auto cidr = [&](const npeval::Cidr& c) {
    for (bool last : {false, true}) {
      for (int step : {-1, 0, 1}) external.insert(nth_address(c, last, step));
    }
  };
  int synthetic = 0;
  for (const auto& p : policies) {
    namespaces[p.ns];
    for (const auto& l : witnesses(p.pod_selector)) pod_labels.insert(l);
    for (const auto* rules : {&p.ingress, &p.egress}) {
      for (const auto& r : *rules) {
        for (const auto& peer : r.peers) {
          if (peer.pod_selector) {
            for (const auto& l : witnesses(*peer.pod_selector)) pod_labels.insert(l);
          }
          if (peer.namespace_selector) {
            for (auto l : witnesses(*peer.namespace_selector)) {
              auto name = l.count("kubernetes.io/metadata.name") ? l["kubernetes.io/metadata.name"] : fmt::format("ns{}", synthetic++);
              l.erase("kubernetes.io/metadata.name");
              for (const auto& [k, v] : l) namespaces[name].emplace(k, v);
            }
          }
          if (peer.ip_block) {
            cidr(peer.ip_block->cidr);
            for (const auto& e : peer.ip_block->except) cidr(e);
          }
        }
        for (const auto& port : r.ports) {
          if (port.name) named.insert({*port.name, port.protocol});
          if (port.number) {
            int hi = port.end_port.value_or(*port.number);
            for (int n : {*port.number - 1, *port.number, hi, hi + 1}) {
              if (n >= 1 && n <= 65535) ports.insert({n, port.protocol});
            }
          }
        }
      }
    }
  }
  namespaces["unlabelled"];
  std::vector<npeval::ContainerPort> container_ports;
  int number = 30000;
  for (const auto& [name, proto] : named) {
    container_ports.push_back({name, number, proto});
    ports.insert({number++, proto});
  }
  int host = 1;
  for (const auto& [ns, labels] : namespaces) {
    m.cluster.add_namespace(ns, labels);
    int k = 0;
    for (const auto& l : pod_labels) {
      npeval::Pod p;
      p.ns = ns;
      p.name = fmt::format("pod{}", k++);
      p.labels = l;
      p.ip = fmt::format("10.{}.{}.{}", 200 + host / 65536 % 50, host / 256 % 256, host % 256);
      ++host;
      p.ports = l.empty() ? std::vector<npeval::ContainerPort>{} : container_ports;
      m.cluster.pods.push_back(p);
    }
  }
  m.external.assign(external.begin(), external.end());
  m.ports.assign(ports.begin(), ports.end());
  return m;
}

// ---- the runs --------------------------------------------------------------------------------

struct Options {
  int sets = 2000;
  std::uint64_t seed = 1;
  std::string corpus;
  std::string examples;
  int show = 3;
  int dump = -1;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The corpus's documents that must be refused, by their path in the corpus, with the error each
// must give; every other document must round trip.
const std::map<std::string, std::string>& expected_refusals() {
  static const std::map<std::string, std::string> m = {
      // cluster-wide `{}` selects Cilium's own endpoints too, which Fence cannot name
      {"cilium-examples/kubernetes__clusterwide__wildcard-from-endpoints.yaml", "E0903"},
      {"cilium-examples/l3__entities__from_world_deny.yaml", "E0903"},
      // `egress:` with no rule: the agent refuses a policy with no rule at all
      {"cilium-examples/l3__egress-default-deny__egress-default-deny.yaml", "E0904"},
      // toFQDNs with no DNS rule for the pods' lookups allows nothing
      {"cilium-examples/l3__fqdn__fqdn.yaml", "E0903"},
      // operator `in`: the CRD's enum is In, NotIn, Exists, DoesNotExist
      {"cilium-examples/l3__match-expressions__and-statement.yaml", "E0904"},
      // operator `in` again (and `k8s.io.kubernetes.pod.namespace`: a source and key, or a key?)
      {"cilium-examples/l3__match-expressions__or-statement.yaml", "E0904"},
      {"cilium-examples/l3__requires__requires.yaml", "E0903"},  // fromRequires
      {"cilium-examples/l3__service__service.yaml", "E0903"},    // toServices
      {"cilium-examples/l4__icmp.yaml", "E0903"},                // icmps
      // `role: frontend` beside an empty matchLabels (an indentation slip upstream)
      {"cilium-examples/l4__l3_l4_combined.yaml", "E0905"},
      {"cilium-examples/l7__http__http.yaml", "E0905"},  // `HTTP`, which the CRD spells `http`
      // ClusterNetworkPolicy: tiers and priorities, a network policy import cannot read or skip
      {"network-policy-api/crdtest-invalid/invalid-ingress-action.yaml", "E0903"},
      {"network-policy-api/crdtest-valid/cluster-wide-deny.yaml", "E0903"},
      {"network-policy-api/crdtest-valid/deny-with-ports.yaml", "E0903"},
      {"network-policy-api/user-stories/user-story-1.yaml", "E0903"},
      {"network-policy-api/user-stories/user-story-2.yaml", "E0903"},
      {"network-policy-api/user-stories/user-story-3.yaml", "E0903"},
      // `{key: "tenant"; operator: Exists}`: a semicolon where YAML needs a comma
      {"network-policy-api/user-stories/user-story-4-v1.yaml", "E0902"},
      {"network-policy-api/user-stories/user-story-4-v2.yaml", "E0902"},
      {"network-policy-api/user-stories/user-story-5.yaml", "E0903"},
  };
  return m;
}

int run_corpus(const std::string& dir) {
  int failures = 0, files = 0, round_trips = 0, refused = 0;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& [listed, _] : expected_refusals()) {
    if (std::none_of(paths.begin(), paths.end(), [&](const fs::path& p) { return p.lexically_relative(dir).generic_string() == listed; })) {
      ++failures;
      std::cout << fmt::format("{}: expected to be refused, but the corpus has no such file\n", listed);
    }
  }
  for (const auto& path : paths) {
    ++files;
    auto text = read_file(path);
    bool cilium = text.find("cilium.io/") != std::string::npos;
    auto rt = round_trip(path.string(), text, cilium ? "cilium" : "k8s", std::string("default"));
    if (auto it = expected_refusals().find(path.lexically_relative(dir).generic_string()); it != expected_refusals().end()) {
      if (rt.ok || rt.codes != it->second) {
        ++failures;
        std::cout << fmt::format("{}: expected the import to be refused with {}, got {}\n", path.string(), it->second, rt.ok ? "a program" : rt.error);
      } else {
        ++refused;
      }
      continue;
    }
    if (cilium) {
      if (!rt.ok || rt.differences > 0) {
        ++failures;
        std::cout << fmt::format("{}: {}{}\n", path.string(), rt.error, rt.first_difference);
        continue;
      }
      // The compiled CiliumNetworkPolicy, read again, means what the input meant.
      auto again = round_trip("compiled.yaml", rt.compiled, "cilium", std::string("default"));
      if (!again.ok) {
        ++failures;
        std::cout << fmt::format("{}: the compiled Cilium YAML does not import again: {}\n{}\n", path.string(), again.error, rt.compiled);
        continue;
      }
      auto report = fence::import::verify(rt.imported_ir, again.imported_ir, 1);
      if (report.difference_count > 0) {
        ++failures;
        std::cout << fmt::format("{}: the compiled Cilium YAML means something else: {}\n{}\n", path.string(), report.differences.front(), rt.compiled);
        continue;
      }
      ++round_trips;
      continue;
    }
    if (!rt.ok || rt.differences > 0) {
      ++failures;
      std::cout << fmt::format("{}: {}{}\n", path.string(), rt.error, rt.first_difference);
      continue;
    }
    auto in = npeval::parse_policies(text, "default");
    auto out = npeval::parse_policies(rt.compiled);
    auto model = corpus_model(in);
    auto d = disagreements(model.cluster, model.external, model.ports, in, out);
    if (d.count > 0) {
      ++failures;
      std::cout << fmt::format("{}: {} disagreements, e.g. {}\n-- program:\n{}\n-- compiled:\n{}\n", path.string(), d.count, d.first, rt.program, rt.compiled);
      continue;
    }
    ++round_trips;
  }
  std::cout << fmt::format("corpus: {} files, {} round trips with no difference, {} refused as expected, {} failures\n", files, round_trips, refused, failures);
  return failures;
}

// Fence's own CiliumNetworkPolicy output, imported, must mean what the program that wrote it
// means: every example, in every environment.
int run_examples(const std::string& dir) {
  int failures = 0, checked = 0;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".fence" && e.path().filename().string()[0] != '_') paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    fence::driver::Options opt;
    opt.stdlib_path = {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
    fence::driver::Compilation c(opt);
    if (!c.load({{path.string(), read_file(path)}})) {
      ++failures;
      std::cout << fmt::format("{}: does not load\n{}", path.string(), fence::render_all(c.sink(), c.sources()));
      continue;
    }
    const auto& targets = c.program_targets();
    if (!targets.empty() && std::find(targets.begin(), targets.end(), "cilium") == targets.end()) continue;
    std::optional<std::string> target;
    if (c.per_target()) target = "cilium";
    std::vector<std::optional<std::string>> envs;
    for (const auto& e : c.environments()) envs.emplace_back(e);
    if (envs.empty()) envs.emplace_back(std::nullopt);
    for (const auto& env : envs) {
      std::vector<fence::emit::Object> objects;
      if (c.analyze(env, target)) objects = c.lower("cilium");
      if (c.sink().has_errors()) {
        ++failures;
        std::cout << fmt::format("{}: does not compile for cilium\n{}", path.string(), fence::render_all(c.sink(), c.sources()));
        break;
      }
      auto yaml = fence::emit::to_yaml_stream(objects);
      fence::SourceManager sm;
      fence::DiagnosticSink sink;
      auto imported = fence::import::read({sm.add("compiled.yaml", yaml)}, sm, {}, sink);
      auto report = fence::import::verify(c.program(), imported.program, 1, true);
      ++checked;
      if (sink.has_errors() || report.difference_count > 0) {
        ++failures;
        std::cout << fmt::format("{} ({}): {}{}\n", path.string(), env.value_or("no environment"), fence::render_all(sink, sm),
                                 report.differences.empty() ? std::string() : report.differences.front());
      }
    }
  }
  std::cout << fmt::format("examples: {} programs and environments compiled for cilium and imported back, {} failures\n", checked, failures);
  return failures;
}

int run_random(const Options& opt) {
  auto cluster = make_cluster();
  std::vector<std::string> external(kExternal.begin(), kExternal.end());
  int failures = 0, imported = 0, same_rules = 0;
  std::size_t policies = 0;
  for (int i = 0; i < opt.sets; ++i) {
    std::uint64_t seed = opt.seed * 1000003u + static_cast<std::uint64_t>(i);
    Generator gen(seed);
    auto yaml = gen.set();
    // --verify's model, which is the slow part, for one set in ten; its comparison of rules for all.
    auto rt = round_trip("generated.yaml", yaml, "k8s", std::nullopt, i % 10 == 0);
    same_rules += rt.same_rules ? 1 : 0;
    if (i == opt.dump) std::cout << fmt::format("== set {} (seed {}):\n{}\n-- program:\n{}\n-- compiled:\n{}\n", i, seed, yaml, rt.program, rt.compiled);
    if (!rt.ok) {
      if (++failures <= opt.show) std::cout << fmt::format("== set {} (seed {}):\n{}\n{}\n", i, seed, yaml, rt.error);
      continue;
    }
    auto in = npeval::parse_policies(yaml);
    policies += in.size();
    auto out = npeval::parse_policies(rt.compiled);
    auto d = disagreements(cluster, external, kPorts, in, out);
    if (d.count > 0 || rt.differences > 0) {
      if (++failures <= opt.show) {
        std::cout << fmt::format("== set {} (seed {}): {} disagreements ({}), --verify found {} ({})\n{}\n-- program:\n{}\n-- compiled:\n{}\n", i, seed,
                                 d.count, d.first, rt.differences, rt.first_difference, yaml, rt.program, rt.compiled);
      }
      continue;
    }
    ++imported;
  }
  std::cout << fmt::format("random: {} sets ({} policies), {} round trips with no difference ({} with the input's rules, peer by peer), {} failures\n",
                           opt.sets, policies, imported, same_rules, failures);
  return failures;
}

Options parse_args(int argc, char** argv) {
  Args args(argc, argv, {"--sets", "--seed", "--corpus", "--examples", "--show", "--dump"}, {});
  return Options{args.integer("--sets", 2000), args.seed(), args.text("--corpus"), args.text("--examples"), args.integer("--show", 3),
                 args.integer("--dump", -1)};
}

}  // namespace

int main(int argc, char** argv) try {
  auto opt = parse_args(argc, argv);
  auto started = std::chrono::steady_clock::now();
  int failures = 0;
  if (!opt.corpus.empty()) failures += run_corpus(opt.corpus);
  if (!opt.examples.empty()) failures += run_examples(opt.examples);
  failures += run_random(opt);
  std::cout << fmt::format("{:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "fence_import_roundtrip: " << e.what() << "\n";
  return 2;
}
