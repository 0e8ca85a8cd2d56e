#include <filesystem>
#include <map>

#include <catch2/catch.hpp>

#include "helpers.h"

using fence::test::compile;
using namespace fence;

namespace {
const ir::Rule* find_rule(const ir::Program& p, ir::Direction d, const std::string& ns) {
  for (const auto& r : p.rules) {
    if (r.direction == d && r.scope.ns == ns) return &r;
  }
  return nullptr;
}
}  // namespace

TEST_CASE("bare names are workloads labelled app=NAME in the enclosing namespace", "[sema]") {
  auto c = compile("namespace prod { web may reach db:5432 }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  REQUIRE(c.ir().rules.size() == 1);
  const auto& r = c.ir().rules[0];
  CHECK(r.subject.str() == "prod/pods[app=web]");
  CHECK(r.peers.at(0).str() == "prod/pods[app=db]");
  CHECK(r.ports.at(0).str() == "5432/tcp");
  CHECK_FALSE(r.origin.implied);
}

TEST_CASE("set label-key changes the key bare names use", "[sema]") {
  auto c = compile(
      "set label-key = \"app.kubernetes.io/name\"\nnamespace prod { web may reach db }\n"
      "namespace other { set label-key = \"role\"\n web may reach db }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(c.ir().rules.at(0).subject.str() == "prod/pods[app.kubernetes.io/name=web]");
  CHECK(c.ir().rules.at(1).subject.str() == "other/pods[role=web]");
}

TEST_CASE("lets expand where they are used, in the user's namespace", "[sema]") {
  auto c = compile("let backend = pods[tier=backend]\nnamespace a { web may reach backend }\nnamespace b { web may reach backend }");
  REQUIRE(c.ok);
  CHECK(c.ir().rules.at(0).peers.at(0).str() == "a/pods[tier=backend]");
  CHECK(c.ir().rules.at(1).peers.at(0).str() == "b/pods[tier=backend]");
}

TEST_CASE("the standard library defines dns, metadata, private and internet", "[sema][stdlib]") {
  auto c = compile("import std\nnamespace a { web may reach dns, internet:443 }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  const auto& rules = c.ir().rules;
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].peers.at(0).str() == "kube-system/pods[k8s-app=kube-dns]");
  REQUIRE(rules[0].ports.size() == 2);
  CHECK(rules[0].ports[0].str() == "53/udp");
  CHECK(rules[0].ports[1].str() == "53/tcp");
  REQUIRE(rules[1].peers.size() == 2);
  CHECK(rules[1].peers[0].str() == "0.0.0.0/0 except {10.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16}");
  // fd00:ec2::254 lies inside fc00::/7, so the minimal except list leaves it out.
  CHECK(rules[1].peers[1].str() == "::/0 except {fc00::/7, fe80::/10}");
}

TEST_CASE("except keeps only the excepts that lie inside each CIDR, minimally", "[sema]") {
  auto c = compile("namespace a { web may reach {10.0.0.0/8, 192.168.0.0/16} except {10.1.0.0/16, 10.1.2.0/24, 192.168.0.0/16} }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  const auto& peers = c.ir().rules.at(0).peers;
  REQUIRE(peers.size() == 1);  // 192.168.0.0/16 is taken out entirely
  CHECK(peers[0].str() == "10.0.0.0/8 except {10.1.0.0/16}");
}

TEST_CASE("an except outside its CIDR is an error", "[sema]") {
  CHECK(compile("namespace a { web may reach 10.0.0.0/8 except 11.0.0.0/16 }").has_code("E0310"));
  CHECK(compile("namespace a { web may reach 10.0.0.0/8 except 10.0.0.0/8 }").has_code("E0310"));
  CHECK(compile("namespace a { web may reach 10.0.0.0/8 except ::/0 }").has_code("E0310"));
  CHECK(compile("namespace a { web may reach db except 10.0.0.0/8 }").has_code("E0205"));
}

TEST_CASE("values the API rejects are errors at their place", "[sema]") {
  CHECK(compile("namespace a { web may reach db:0 }").has_code("E0304"));
  CHECK(compile("namespace a { web may reach db:65536 }").has_code("E0304"));
  CHECK(compile("namespace a { web may reach db:9000-8000 }").has_code("E0305"));
  CHECK(compile("namespace a { web may reach db:HTTP }").has_code("E0306"));
  CHECK(compile("namespace a { web may reach db:80/icmp }").has_code("E0307"));
  CHECK(compile("namespace a { web may reach 10.0.0.1/8 }").has_code("E0309"));
  CHECK(compile("namespace a { web may reach 10.0.0.1 }").has_code("E0308"));
  CHECK(compile("namespace Prod { web may reach db }").has_code("E0303"));
  CHECK(compile("namespace a { web may reach pods[-x=y] }").has_code("E0301"));
  CHECK(compile("namespace a { web may reach pods[x=\"a b\"] }").has_code("E0302"));
  CHECK(compile("namespace a { web may reach pods[x in ()] }").has_code("E0312"));
  CHECK(compile("namespace a { web may reach " + std::string(64, 'a') + ".example.com }").has_code("E0311"));
}

TEST_CASE("names: cycles, duplicates and kinds", "[sema]") {
  auto cyc = compile("let a = b\nlet b = a\nnamespace x { web may reach a }");
  CHECK(cyc.has_code("E0203"));
  CHECK(compile("let a = b\nlet a = c\nnamespace x { web may reach a }").has_code("E0204"));
  CHECK(compile("let s = 10.0.0.0/8\nnamespace x { s may reach db }").has_code("E0205"));
  CHECK(compile("let s = db:80\nnamespace x { web may reach s:90 }").has_code("E0208"));
  CHECK(compile("namespace x { web may reach db }\nset lable-key = \"x\"").has_code("E0206"));
}

TEST_CASE("a subject outside its namespace block is an error", "[sema]") {
  CHECK(compile("namespace a { b/web may reach db }").has_code("E0211"));
  CHECK(compile("web may reach db").has_code("E0211"));
  auto ok = compile("a/web may reach db");
  INFO(ok.diagnostics());
  REQUIRE(ok.ok);
  CHECK(ok.ir().rules.at(0).peers.at(0).str() == "a/pods[app=db]");
}

TEST_CASE("misplaced items are errors", "[sema]") {
  CHECK(compile("default deny egress").has_code("E0103"));
  CHECK(compile("namespace a { namespace b { } }").has_code("E0103"));
  CHECK(compile("namespace a { import std }").has_code("E0103"));
}

TEST_CASE("rule 1: the ingress side is opened only where ingress is denied", "[sema][meaning]") {
  SECTION("no default deny ingress anywhere: no ingress rules") {
    auto c = compile("namespace a { web may reach db, b/api }");
    REQUIRE(c.ok);
    CHECK(find_rule(c.ir(), ir::Direction::Ingress, "a") == nullptr);
    CHECK(find_rule(c.ir(), ir::Direction::Ingress, "b") == nullptr);
  }
  SECTION("the destination's namespace denies ingress") {
    auto c = compile("namespace a { web may reach db:5432, b/api:80 }\nnamespace b { default deny ingress }");
    REQUIRE(c.ok);
    CHECK(find_rule(c.ir(), ir::Direction::Ingress, "a") == nullptr);
    const auto* r = find_rule(c.ir(), ir::Direction::Ingress, "b");
    REQUIRE(r != nullptr);
    CHECK(r->origin.implied);
    CHECK(r->subject.str() == "b/pods[app=api]");
    CHECK(r->peers.at(0).str() == "a/pods[app=web]");
    CHECK(r->ports.at(0).str() == "80/tcp");
  }
  SECTION("ingress statements open the egress side where egress is denied") {
    auto c = compile("namespace a { db may be reached by b/web:5432 }\nnamespace b { default deny egress }");
    REQUIRE(c.ok);
    const auto* r = find_rule(c.ir(), ir::Direction::Egress, "b");
    REQUIRE(r != nullptr);
    CHECK(r->origin.implied);
    CHECK(r->subject.str() == "b/pods[app=web]");
    CHECK(r->peers.at(0).str() == "a/pods[app=db]");
  }
  SECTION("a namespace chosen by labels cannot be resolved: a warning says so") {
    auto c = compile("namespace a { web may reach ns[team=x]/api }\nnamespace b { default deny ingress }");
    REQUIRE(c.ok);
    CHECK(c.has_code("W0214"));
  }
}

TEST_CASE("environments pick values and statements", "[sema][env]") {
  const char* src =
      "environments dev, prod\n"
      "let stripe = 203.0.113.0/24:443\n"
      "let stripe in dev = 198.51.100.7/32:443\n"
      "namespace a {\n  web may reach stripe\n  when prod { web may reach db }\n}\n";
  auto dev = compile(src, "k8s", "dev");
  REQUIRE(dev.ok);
  REQUIRE(dev.ir().rules.size() == 1);
  CHECK(dev.ir().rules[0].peers.at(0).str() == "198.51.100.7/32");
  auto prod = compile(src, "k8s", "prod");
  REQUIRE(prod.ok);
  REQUIRE(prod.ir().rules.size() == 2);
  CHECK(prod.ir().rules[0].peers.at(0).str() == "203.0.113.0/24");
  auto missing = compile("environments dev, prod\nlet x in dev = 10.0.0.0/8\nnamespace a { web may reach x }", "k8s", "prod");
  CHECK(missing.has_code("E0210"));
  CHECK(compile("environments dev\nnamespace a { when prd { web may reach x } }", "k8s", "dev").has_code("E0209"));
}

TEST_CASE("per-environment values: DNS names, namespace names, the label key", "[sema][env]") {
  const char* src =
      "environments dev, prod\n"
      "let pay = api.stripe.com:443\nlet pay in dev = 198.51.100.7/32:443\n"
      "let shop = \"shop\"\nlet shop in dev = \"shop-dev\"\n"
      "set label-key = \"app.kubernetes.io/name\"\nset label-key in dev = \"app\"\n"
      "namespace shop {\n  api may reach pay, shop/db:5432\n}\n";
  auto dev = compile(src, "k8s", "dev");
  REQUIRE(dev.ok);
  REQUIRE(dev.ir().rules.size() >= 2);
  CHECK(dev.ir().rules[0].subject.str() == "shop-dev/pods[app=api]");
  CHECK(dev.ir().rules[0].peers.at(0).str() == "198.51.100.7/32");
  CHECK(dev.ir().rules[1].peers.at(0).str() == "shop-dev/pods[app=db]");
  // prod's value is a DNS name: the IR has it, and only the k8s lowering refuses it.
  auto prod = compile(src, "k8s", "prod");
  CHECK(prod.has_code("E0401"));
  REQUIRE(prod.ir().rules.size() >= 2);
  CHECK(prod.ir().rules[0].subject.str() == "shop/pods[app.kubernetes.io/name=api]");
  CHECK(prod.ir().rules[0].peers.at(0).str() == "api.stripe.com");
}

TEST_CASE("a namespace named by a definition without a value for the environment", "[sema][env]") {
  auto c = compile("environments dev, prod\nlet ns in prod = \"shop\"\nnamespace ns {\n  api may reach db:80\n}\n", "k8s", "dev");
  REQUIRE(c.has_code("E0210"));
  CHECK(c.diagnostics().find("'ns' has no value in environment 'dev'") != std::string::npos);
  CHECK(compile("environments dev, prod\nlet ns in prod = \"shop\"\nnamespace ns {\n  api may reach db:80\n}\n", "k8s", "prod").ok);
}

TEST_CASE("a definition in the first file loaded is visible to the files that import it", "[sema][imports]") {
  // Issue 10: the first root had index 0, which the lookup also used as "nothing found yet", so
  // a file imported by a later root was skipped and `namespace data-ns` became namespace data-ns.
  const std::map<std::string, std::string> disk = {
      {"lib.fence", "let data-ns = \"data\"\nlet db = data-ns/postgres:5432\n"},
      {"main.fence", "import \"lib.fence\"\nnamespace data-ns {\n  default deny ingress\n}\nnamespace web {\n  api may reach db\n}\n"},
  };
  auto build = [&](std::vector<std::string> order) {
    driver::Options opt;
    opt.stdlib_path = test::stdlib_path();
    opt.loader.read_file = [&](const std::string& path) -> std::optional<std::string> {
      auto it = disk.find(std::filesystem::path(path).filename().string());
      if (it == disk.end()) return std::nullopt;
      return it->second;
    };
    driver::Compilation c(opt);
    std::vector<driver::SourceInput> inputs;
    for (const auto& name : order) inputs.push_back({name, disk.at(name)});
    REQUIRE(c.load(inputs));
    REQUIRE(c.analyze());
    auto yaml = emit::to_yaml_stream(c.lower("k8s"));
    return std::make_pair(c.program().namespaces, yaml);
  };
  auto [ns_a, yaml_a] = build({"lib.fence", "main.fence"});
  auto [ns_b, yaml_b] = build({"main.fence", "lib.fence"});
  auto [ns_c, yaml_c] = build({"main.fence"});
  CHECK(ns_a == std::vector<std::string>{"data", "web"});
  CHECK(ns_a == ns_b);
  CHECK(ns_a == ns_c);
  CHECK(yaml_a == yaml_b);
  CHECK(yaml_a == yaml_c);
  CHECK(yaml_a.find("namespace: data-ns") == std::string::npos);
}

TEST_CASE("targets pick values and blocks", "[sema][targets]") {
  const char* src =
      "targets k8s, cilium\n"
      "environments staging, prod\n"
      "let stripe for k8s = 203.0.113.0/24:443\n"
      "let stripe in staging for k8s = 198.51.100.0/28:443\n"
      "let stripe for cilium = api.stripe.com:443\n"
      "namespace a {\n"
      "  api may reach stripe\n"
      "  for cilium { web may reach api.example.com:443 }\n"
      "  when prod for k8s { web may reach 192.0.2.0/24:443 }\n"
      "}\n";
  auto k8s_prod = compile(src, "k8s", "prod");
  REQUIRE(k8s_prod.ok);
  REQUIRE(k8s_prod.ir().rules.size() == 2);
  CHECK(k8s_prod.ir().rules[0].peers.at(0).str() == "203.0.113.0/24");
  CHECK(k8s_prod.ir().rules[1].peers.at(0).str() == "192.0.2.0/24");
  auto k8s_staging = compile(src, "k8s", "staging");
  REQUIRE(k8s_staging.ok);
  REQUIRE(k8s_staging.ir().rules.size() == 1);
  CHECK(k8s_staging.ir().rules[0].peers.at(0).str() == "198.51.100.0/28");
  // Cilium: the DNS name, and the block for it; no E0401 anywhere, since k8s never sees a name.
  auto cilium_staging = compile(src, "cilium", "staging");
  REQUIRE(cilium_staging.ok);
  REQUIRE(cilium_staging.ir().rules.size() == 2);
  CHECK(cilium_staging.ir().rules[0].peers.at(0).str() == "api.stripe.com");
  CHECK(cilium_staging.ir().rules[1].peers.at(0).str() == "api.example.com");
}

TEST_CASE("targets: the program's targets, and what counts as per-target", "[sema][targets]") {
  auto targets_of = [](const std::string& text) {
    auto c = compile(text);
    return c.c->program_targets();
  };
  CHECK(targets_of("namespace a { web may reach db }").empty());
  CHECK(targets_of("targets cilium\nnamespace a { web may reach db }") == std::vector<std::string>{"cilium"});
  // Without a `targets` line: k8s and cilium, and the other targets the `for` clauses name.
  CHECK(targets_of("namespace a { for cilium { web may reach db } }") == std::vector<std::string>{"k8s", "cilium"});
  CHECK(targets_of("let x for k8s = 10.0.0.0/8\nnamespace a { web may reach x }") == std::vector<std::string>{"k8s", "cilium"});
  CHECK(targets_of("let x for calico = 10.0.0.0/8\nnamespace a { when prod for cnp { web may reach x } }") ==
        std::vector<std::string>{"k8s", "cilium", "cnp", "calico"});
  CHECK_FALSE(compile("targets k8s, cilium\nnamespace a { web may reach db }").c->per_target());
  CHECK(compile("namespace a { for k8s { web may reach db } }").c->per_target());
}

TEST_CASE("targets: errors at the user's line and column", "[sema][targets]") {
  auto unknown = compile("let x for k8z = 10.0.0.0/8\nnamespace a { web may reach x }");
  REQUIRE(unknown.has_code("E0230"));
  CHECK(unknown.only("E0230").find("test.fence:1:11: error[E0230]: unknown target 'k8z'") != std::string::npos);
  CHECK(unknown.only("E0230").find("did you mean 'k8s'?") != std::string::npos);

  auto missing = compile("let x for cilium = api.example.com:443\nnamespace a { web may reach x }", "k8s");
  REQUIRE(missing.has_code("E0231"));
  CHECK(missing.only("E0231").find("test.fence:2:29: error[E0231]: 'x' has no value for target 'k8s'") != std::string::npos);
  CHECK(missing.only("E0231").find("defined for target cilium here") != std::string::npos);
  CHECK(compile("let x for cilium = api.example.com:443\nnamespace a { web may reach x }", "cilium").ok);

  auto undeclared = compile("targets k8s\nnamespace a { for cilium { web may reach db } }");
  REQUIRE(undeclared.has_code("E0232"));
  CHECK(undeclared.only("E0232").find("test.fence:2:19:") != std::string::npos);

  auto twice = compile("namespace a { for k8s, k8s { web may reach db } }");
  CHECK(twice.only("E0233").find("test.fence:1:24: error[E0233]: target 'k8s' is listed twice") != std::string::npos);

  auto ambiguous = compile("environments dev\nlet x in dev = 10.0.0.0/8\nlet x for cilium = api.example.com:443\nnamespace a { web may reach x }",
                           "cilium", "dev");
  REQUIRE(ambiguous.has_code("E0235"));
  CHECK(ambiguous.only("E0235").find("let x in dev for cilium = ...") != std::string::npos);
  // With a value for both, nothing is ambiguous.
  CHECK(compile("environments dev\nlet x in dev = 10.0.0.0/8\nlet x for cilium = api.example.com:443\nlet x in dev for cilium = 10.1.0.0/16\n"
                "namespace a { web may reach x }",
                "cilium", "dev")
            .ok);

  auto misplaced = compile("namespace a {\n  targets k8s\n  for k8s { let y = 10.0.0.0/8 }\n}");
  CHECK(misplaced.count("E0236") == 2);
  CHECK(misplaced.only("E0236").find("test.fence:2:3:") != std::string::npos);
  CHECK(misplaced.only("E0236").find("test.fence:3:13:") != std::string::npos);
  auto nested = compile("environments dev\nwhen dev { for k8s { namespace a { web may reach db } } }");
  CHECK(nested.only("E0236").find("test.fence:2:12:") != std::string::npos);

  auto dup = compile("let x for k8s = 10.0.0.0/8\nlet x for k8s, cilium = 10.1.0.0/16\nnamespace a { web may reach x }");
  CHECK(dup.only("E0204").find("'x' is defined twice for target 'k8s'") != std::string::npos);
}
