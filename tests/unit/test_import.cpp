// fence import as a library: what the reader refuses and where, what the writer makes of both sides
// of a connection, that --verify's comparison finds a difference where there is one, and that no
// input, however broken, crashes the import. The round trips over random sets and the corpus are
// tests/property/import_roundtrip.cpp; the command's output is pinned by tests/golden/commands.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "helpers.h"
#include "import/flows.h"
#include "import/import.h"

namespace {

struct Imported {
  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  fence::import::Imported result;
  std::string program;

  std::string diagnostics() const { return fence::render_all(sink, sm); }
  bool has(std::string_view id) const {
    for (const auto& d : sink.raw()) {
      if (fence::code_info(d.code).id == id) return true;
    }
    return false;
  }
};

std::unique_ptr<Imported> import_yaml(const std::string& yaml, std::optional<std::string> ns = std::nullopt) {
  auto out = std::make_unique<Imported>();
  auto id = out->sm.add("in.yaml", yaml);
  fence::import::ReadOptions opt;
  opt.namespace_name = std::move(ns);
  out->result = fence::import::read({id}, out->sm, opt, out->sink);
  if (!out->sink.has_errors()) out->program = fence::import::write(out->result);
  return out;
}

std::string np(const std::string& ns, const std::string& name, const std::string& spec) {
  return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\nspec:\n" + spec;
}

// The program's statements, without comments.
std::vector<std::string> statements(const std::string& program) {
  std::vector<std::string> out;
  std::istringstream in(program);
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(' ');
    if (first == std::string::npos || line[first] == '#') continue;
    out.push_back(line.substr(first));
  }
  return out;
}

}  // namespace

TEST_CASE("import: errors name the object and the field, at the input's line and column", "[import][reader]") {
  auto unknown = import_yaml(np("shop", "a", "  podSelector: {}\n  ingress:\n    - from:\n        - podSelectr: {}\n"));
  INFO(unknown->diagnostics());
  CHECK(unknown->has("E0905"));
  CHECK(unknown->diagnostics().find("in.yaml:11:11: error[E0905]: NetworkPolicy shop/a, spec.ingress[0].from[0].podSelectr: there is no field") !=
        std::string::npos);
  auto port = import_yaml(np("shop", "a", "  podSelector: {}\n  egress:\n    - ports:\n        - port: 70000\n"));
  CHECK(port->has("E0904"));
  CHECK(port->diagnostics().find("spec.egress[0].ports[0].port: port 70000 is out of range") != std::string::npos);
  CHECK(import_yaml("apiVersion: v1\nkind: [\n")->has("E0902"));
  CHECK(import_yaml(np("shop", "a", "  podSelector: {}\n  podSelector: {}\n"))->has("E0904"));  // a key twice
  CHECK(import_yaml(np("shop", "a", "  podSelector:\n    matchExpressions: [{key: a, operator: in, values: [x]}]\n"))->has("E0904"));
  CHECK(import_yaml(np("shop", "a", "  ingress: []\n"))->has("E0904"));  // no podSelector
  auto cilium = import_yaml(
      "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec:\n  endpointSelector: {}\n  egress:\n    - toServices: "
      "[{k8sService: {serviceName: s, namespace: shop}}]\n");
  CHECK(cilium->has("E0903"));
  CHECK(cilium->program.empty());
}

TEST_CASE("import: a network policy of another API is refused, never skipped", "[import][reader]") {
  auto cnp = import_yaml(
      "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: guard}\nspec: {tier: Admin, priority: 1}\n" +
      np("shop", "a", "  podSelector: {}\n  policyTypes: [Ingress]\n"));
  INFO(cnp->diagnostics());
  CHECK(cnp->has("E0903"));
  CHECK_FALSE(cnp->has("W0901"));
  CHECK(cnp->program.empty());
  CHECK(cnp->diagnostics().find("in.yaml:2:7: error[E0903]: ClusterNetworkPolicy guard, kind: a ClusterNetworkPolicy of "
                                "policy.networking.k8s.io/v1alpha2 is a network policy that fence import cannot read") != std::string::npos);
  auto calico = import_yaml("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: c, namespace: shop}\nspec: {selector: all()}\n");
  CHECK(calico->has("E0903"));
  CHECK(calico->diagnostics().find("NetworkPolicy shop/c, kind: a NetworkPolicy of projectcalico.org/v3") != std::string::npos);
  CHECK(import_yaml("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata: {name: g}\nspec: {}\n")->has("E0903"));
  // The Kubernetes and Cilium kinds at another version are refused as the API server refuses them.
  auto old = import_yaml("apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: o, namespace: shop}\nspec: {podSelector: {}}\n");
  CHECK(old->has("E0904"));
  CHECK(old->diagnostics().find("a NetworkPolicy is networking.k8s.io/v1, not extensions/v1beta1") != std::string::npos);
  CHECK(import_yaml("apiVersion: cilium.io/v2alpha1\nkind: CiliumNetworkPolicy\nmetadata: {name: o, namespace: shop}\nspec: {}\n")->has("E0904"));
}

TEST_CASE("import: what is read as the cluster reads it says so", "[import][reader]") {
  auto ns = import_yaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n");
  CHECK(ns->has("W0906"));
  CHECK(ns->program.find("namespace default {") != std::string::npos);
  auto given = import_yaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n", "shop");
  CHECK_FALSE(given->has("W0906"));
  CHECK(given->program.find("namespace shop {") != std::string::npos);
  auto other = import_yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n" + np("shop", "a", "  podSelector: {}\n  policyTypes: [Egress]\n"));
  CHECK(other->has("W0901"));
  CHECK(statements(other->program) == std::vector<std::string>{"namespace shop {", "default deny egress", "}"});
  auto ignored = import_yaml(np("shop", "a", "  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]\n"));
  CHECK(ignored->has("W0908"));
  CHECK(statements(ignored->program) == std::vector<std::string>{"namespace shop {", "default deny ingress", "}"});
  auto twice = import_yaml(np("shop", "a", "  podSelector: {}\n  policyTypes: [Ingress]\n") + np("shop", "a", "  podSelector: {}\n  policyTypes: [Egress]\n"));
  CHECK(twice->has("W0907"));
  CHECK(statements(twice->program) == std::vector<std::string>{"namespace shop {", "default deny egress", "}"});
  auto host_bits = import_yaml(np("shop", "a", "  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.1.2.3/8}}]}]\n"));
  CHECK(host_bits->has("W0909"));
  CHECK(host_bits->program.find("all pods may reach 10.0.0.0/8") != std::string::npos);
  // `kubectl get -o yaml` prints a List.
  auto list = import_yaml("apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: a, namespace: s}\n"
                          "  spec: {podSelector: {}, policyTypes: [Ingress]}\n");
  CHECK(statements(list->program) == std::vector<std::string>{"namespace s {", "default deny ingress", "}"});
}

TEST_CASE("import: an egress rule and the ingress rule that answers it are one may reach where Fence implies it", "[import][writer]") {
  const std::string egress =
      np("shop", "web", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]\n");
  const std::string ingress = np("shop", "db", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]\n");
  const std::string deny = np("shop", "deny", "  podSelector: {}\n  policyTypes: [Ingress]\n");
  // The namespace denies ingress: `may reach` implies db's side, which the input has.
  auto merged = import_yaml(egress + ingress + deny);
  CHECK(statements(merged->program) == std::vector<std::string>{"namespace shop {", "default deny ingress", "web may reach db:5432", "}"});
  // Without the answer, `may reach` would open db's side: one side only.
  auto alone = import_yaml(egress + deny);
  CHECK(statements(alone->program) == std::vector<std::string>{"namespace shop {", "default deny ingress", "web may send to db:5432", "}"});
  // Without the default deny, `may reach` implies nothing: both rules stay, two-sided in words.
  auto both = import_yaml(egress + ingress);
  CHECK(statements(both->program) == std::vector<std::string>{"namespace shop {", "web may reach db:5432", "db may be reached by web:5432", "}"});
  // An answer on other ports answers nothing.
  const std::string other_port =
      np("shop", "db", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}]}]\n");
  auto ports = import_yaml(egress + other_port + deny);
  CHECK(statements(ports->program) ==
        std::vector<std::string>{"namespace shop {", "default deny ingress", "web may send to db:5432", "db may be reached by web:80", "}"});
}

TEST_CASE("import: labels with one key are names, with the key set where it is not app", "[import][writer]") {
  // Without policyTypes, a policy is always for Ingress too: web's ingress is isolated, with no rule.
  auto in = import_yaml(np("a", "p", "  podSelector: {matchLabels: {app.kubernetes.io/name: web}}\n  egress: [{to: [{namespaceSelector: {matchLabels: "
                                       "{kubernetes.io/metadata.name: b}}, podSelector: {matchLabels: {role: db}}}]}]\n") +
                        np("b", "q", "  podSelector: {matchLabels: {role: db}}\n  policyTypes: [Egress]\n"));
  INFO(in->program);
  CHECK(statements(in->program) == std::vector<std::string>{"namespace a {", "set label-key = \"app.kubernetes.io/name\"", "default deny ingress for web",
                                                             "web may reach b/db", "}", "namespace b {", "set label-key = \"role\"",
                                                             "default deny egress for db", "}"});
  // Values that are not plain names, and keywords, stay selectors.
  auto odd = import_yaml(np("a", "p", "  podSelector: {matchLabels: {app: web.v2}}\n  policyTypes: [Ingress]\n") +
                         np("a", "q", "  podSelector: {matchLabels: {app: anything}}\n  policyTypes: [Egress]\n"));
  CHECK(statements(odd->program) ==
        std::vector<std::string>{"namespace a {", "default deny ingress for pods[app=web.v2]", "default deny egress for pods[app=anything]", "}"});
}

TEST_CASE("verify finds a difference where the two programs differ, and none where they mean the same", "[import][verify]") {
  auto compile_ir = [](const std::string& text) { return fence::test::compile(text).ir(); };
  auto a = compile_ir("namespace s { web may reach db:5432 }");
  auto wider = compile_ir("namespace s { web may reach db:5432-5433 }");
  auto report = fence::import::verify(a, wider);
  CHECK_FALSE(report.same_rules);
  CHECK(report.difference_count > 0);
  REQUIRE_FALSE(report.differences.empty());
  CHECK(report.differences.front().find("5433/tcp: the input denies it, the imported program allows it") != std::string::npos);
  auto other_pods = compile_ir("namespace s { web may reach pods[app=db, tier=x]:5432 }");
  CHECK(fence::import::verify(a, other_pods).difference_count > 0);
  auto no_isolation = compile_ir("namespace s { other may reach db:5432 }");
  CHECK(fence::import::verify(a, no_isolation).difference_count > 0);
  // Different rules, the same meaning: the model finds no difference.
  auto split = compile_ir("namespace s { web may reach db:5432\n web may reach 10.0.0.0/9, 10.128.0.0/9 }");
  auto whole = compile_ir("namespace s { web may reach db:5432, 10.0.0.0/8 }");
  auto same = fence::import::verify(split, whole);
  CHECK_FALSE(same.same_rules);
  CHECK(same.difference_count == 0);
  CHECK(same.checked > 0);
  CHECK(fence::import::verify(a, a).same_rules);
}

TEST_CASE("flows: intents per workload, DNS names from the proxy, counts, and what was left out", "[import][flows]") {
  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  auto line = [](const std::string& verdict, const std::string& src, const std::string& dst, const std::string& extra) {
    return R"({"flow":{"time":"2024-01-01T00:00:00Z","verdict":")" + verdict + R"(","IP":{"source":"10.0.0.1","destination":"203.0.113.9"},)" +
           R"("l4":{"TCP":{"source_port":40000,"destination_port":443}},"source":)" + src + R"(,"destination":)" + dst +
           R"(,"traffic_direction":"EGRESS","is_reply":false)" + extra + "}}\n";
  };
  std::string web = R"({"namespace":"shop","labels":["k8s:app=web","k8s:pod-template-hash=abc"]})";
  std::string world = R"({"labels":["reserved:world"]})";
  auto id = sm.add("flows.json", line("FORWARDED", web, world, R"(,"destination_names":["API.Example.COM."])") + line("FORWARDED", web, world, "") +
                                     line("DROPPED", web, world, ""));
  auto text = fence::import::flows_to_fence({id}, sm, sink);
  INFO(text);
  CHECK_FALSE(sink.has_errors());
  CHECK(text.find("A STARTING POINT TO REVIEW") != std::string::npos);
  CHECK(text.find("Left out: 1 dropped flow.") != std::string::npos);
  CHECK(text.find("web may reach api.example.com:443") != std::string::npos);
  CHECK(text.find("web may reach 203.0.113.9/32:443") != std::string::npos);
  CHECK(text.find("pod-template-hash") == std::string::npos);
}

TEST_CASE("import: a broken flow mapping yaml-cpp reads as endless empty documents is an error", "[import][robustness]") {
  // Found by the mutation test below: yaml-cpp 0.7 reported empty documents at `},` without end.
  auto r = import_yaml("---\n{\n  kind: \"NetworkPolicy\",\n  metadata    name: \"a\",\n  },\n  spec: {\n   65536 podSelector: {olicyTypes: [\n"
                       "      \"Ingress\",\n    ],\n  },\n}\n");
  INFO(r->diagnostics());
  CHECK(r->has("E0902"));
  CHECK(r->diagnostics().find("this is not valid YAML: the parser cannot get past this point") != std::string::npos);
  CHECK(r->program.empty());
}

TEST_CASE("import: mutated YAML never crashes, and a refusal always says why", "[import][robustness]") {
  std::vector<std::string> inputs;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FENCE_SOURCE_DIR) + "/tests/import/corpus")) {
    if (e.path().extension() != ".yaml") continue;
    std::ifstream in(e.path());
    std::ostringstream ss;
    ss << in.rdbuf();
    inputs.push_back(ss.str());
  }
  REQUIRE(inputs.size() > 40);
  const std::vector<std::string> fragments = {"{", "}", "[", "]", ":", "- ", "\n", "  ", "'", "\"", "&a", "*a", "null", "~", "0", "65536", "-1",
                                              "in", "In", "0.0.0.0/0", "except", "ipBlock", "podSelector", "namespaceSelector", "ports", "\xff", "\t"};
  std::mt19937 rng(12);
  for (int round = 0; round < 400; ++round) {
    auto s = inputs[static_cast<std::size_t>(rng()) % inputs.size()];
    for (int k = 0, n = 1 + static_cast<int>(rng() % 4); k < n && !s.empty(); ++k) {
      auto at = static_cast<std::size_t>(rng()) % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(at, 1 + rng() % 8);
          break;
        case 1:
          s.insert(at, fragments[rng() % fragments.size()]);
          break;
        default:
          s = s.substr(0, at);
          break;
      }
    }
    INFO(s);
    auto r = import_yaml(s, "default");
    // Either a program, or at least one located error; never both, never neither with errors.
    if (r->sink.has_errors()) {
      CHECK(r->program.empty());
    } else {
      auto c = fence::test::compile(r->program, r->result.cilium ? "cilium" : "k8s");
      INFO(r->program << c.diagnostics());
      CHECK_FALSE(c.c->sink().has_errors());
    }
  }
}
