// Denies for --target k8s: CIDR denies are subtracted from the allowed ipBlocks (rule 3), what
// NetworkPolicy cannot express is an error naming it, and a deny isolates its subject (rule 2).
#include <bitset>
#include <random>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "helpers.h"
#include "net/cidr_set.h"

using fence::test::by_name;
using fence::test::compile;
using fence::test::docs;

namespace {

fence::driver::Options without_checks() {
  fence::driver::Options o;
  o.run_checks = false;  // the lowering alone: a deny that takes a whole allow is the check's to report
  return o;
}

fence::net::Cidr parse(const std::string& s) {
  auto r = fence::net::parse_cidr(s);
  REQUIRE(r.cidr);
  return *r.cidr;
}

// The addresses a list of NetworkPolicy peers admits, checking each ipBlock as the API would.
fence::net::CidrSet admitted(const YAML::Node& peers) {
  fence::net::CidrSet out;
  for (const auto& p : peers) {
    REQUIRE(p["ipBlock"]);
    auto cidr = parse(p["ipBlock"]["cidr"].as<std::string>());
    std::vector<fence::net::Cidr> except;
    for (const auto& e : p["ipBlock"]["except"]) {
      except.push_back(parse(e.as<std::string>()));
      CHECK(cidr.strictly_contains(except.back()));  // as the API requires
    }
    out = out.unite(fence::net::CidrSet::of(cidr, except));
  }
  return out;
}

}  // namespace

TEST_CASE("a CIDR deny is taken out of the allowed ipBlocks", "[lower][k8s][deny]") {
  auto c = compile("import std\nnamespace p {\n web may reach 0.0.0.0/0:{443, 80}, dns\n web must not reach 10.0.0.0/8, metadata\n}", "k8s",
                   std::nullopt, without_checks());
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto web = by_name(docs(c.yaml()), "web-egress");
  auto eg = web["spec"]["egress"];
  REQUIRE(eg.size() == 2);
  auto block = eg[0]["to"][0]["ipBlock"];
  CHECK(block["cidr"].as<std::string>() == "0.0.0.0/0");
  REQUIRE(block["except"].size() == 2);
  CHECK(block["except"][0].as<std::string>() == "10.0.0.0/8");
  CHECK(block["except"][1].as<std::string>() == "169.254.169.254/32");
  // The ports stay as written, and the annotation names the deny too.
  CHECK(eg[0]["ports"][0]["port"].as<int>() == 443);
  CHECK(eg[0]["ports"][1]["port"].as<int>() == 80);
  CHECK(web["metadata"]["annotations"]["fence.dev/source"].as<std::string>() == "test.fence:3, test.fence:4");
  // The DNS rule is untouched: the deny's addresses are not pods.
  CHECK(eg[1]["to"][0]["podSelector"]["matchLabels"]["k8s-app"].as<std::string>() == "kube-dns");
}

TEST_CASE("what a deny leaves is written as the fewest blocks", "[lower][k8s][deny]") {
  auto c = compile("namespace p {\n api may reach 10.0.0.0/8\n api must not reach 10.0.0.0/9\n}", "k8s", std::nullopt, without_checks());
  REQUIRE(c.ok);
  auto to = docs(c.yaml())[0]["spec"]["egress"][0]["to"];
  REQUIRE(to.size() == 1);
  CHECK(to[0]["ipBlock"]["cidr"].as<std::string>() == "10.128.0.0/9");
  CHECK_FALSE(to[0]["ipBlock"]["except"]);
}

TEST_CASE("an allow the denies take entirely disappears, and its policy still isolates", "[lower][k8s][deny]") {
  auto c = compile("namespace p {\n api may reach 10.1.0.0/16:443\n api must not reach 10.0.0.0/8\n}", "k8s", std::nullopt, without_checks());
  REQUIRE(c.ok);
  auto all = docs(c.yaml());
  REQUIRE(all.size() == 1);
  CHECK(all[0]["spec"]["policyTypes"][0].as<std::string>() == "Egress");
  CHECK_FALSE(all[0]["spec"]["egress"]);  // no rule at all, never an empty `to` (which would admit everything)
}

TEST_CASE("a deny on some ports cuts the allow's ports", "[lower][k8s][deny]") {
  auto c = compile("namespace p {\n gw may reach 0.0.0.0/0:{22, 80}\n gw must not reach 10.0.0.0/8:22\n}", "k8s", std::nullopt, without_checks());
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto eg = docs(c.yaml())[0]["spec"]["egress"];
  REQUIRE(eg.size() == 2);
  // Port 22 without 10.0.0.0/8; port 80 everywhere.
  CHECK(eg[0]["to"][0]["ipBlock"]["except"][0].as<std::string>() == "10.0.0.0/8");
  CHECK(eg[0]["ports"].size() == 1);
  CHECK(eg[0]["ports"][0]["port"].as<int>() == 22);
  CHECK_FALSE(eg[1]["to"][0]["ipBlock"]["except"]);
  CHECK(eg[1]["ports"][0]["port"].as<int>() == 80);
}

TEST_CASE("the ingress form of a deny", "[lower][k8s][deny]") {
  auto c = compile("namespace p {\n db may be reached by 10.0.0.0/8:5432\n db must not be reached by 10.9.0.0/16\n}", "k8s", std::nullopt, without_checks());
  REQUIRE(c.ok);
  auto db = by_name(docs(c.yaml()), "db-ingress");
  auto from = db["spec"]["ingress"][0]["from"];
  CHECK(from[0]["ipBlock"]["cidr"].as<std::string>() == "10.0.0.0/8");
  CHECK(from[0]["ipBlock"]["except"][0].as<std::string>() == "10.9.0.0/16");
}

TEST_CASE("a deny on a broader subject applies to a narrower subject's allow", "[lower][k8s][deny]") {
  auto c = compile("namespace p {\n web may reach 0.0.0.0/0:443\n all pods must not reach 10.0.0.0/8\n}", "k8s", std::nullopt, without_checks());
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto all = docs(c.yaml());
  auto web = by_name(all, "web-egress");
  CHECK(web["spec"]["egress"][0]["to"][0]["ipBlock"]["except"][0].as<std::string>() == "10.0.0.0/8");
  // Nothing isolated every pod before the deny; the deny does (rule 2), with a policy of no rules.
  auto every = by_name(all, "all-pods-egress");
  CHECK(every["spec"]["podSelector"].size() == 0);
  CHECK_FALSE(every["spec"]["egress"]);
}

TEST_CASE("a deny isolates its subject only where nothing else does", "[lower][k8s][deny]") {
  SECTION("alone: a policy with no rules") {
    auto c = compile("namespace p {\n db must not reach 192.168.0.0/16\n}");
    REQUIRE(c.ok);
    auto all = docs(c.yaml());
    REQUIRE(all.size() == 1);
    CHECK(all[0]["metadata"]["name"].as<std::string>() == "db-egress");
    CHECK(all[0]["spec"]["policyTypes"][0].as<std::string>() == "Egress");
    CHECK_FALSE(all[0]["spec"]["egress"]);
  }
  SECTION("under a default deny: nothing more") {
    auto c = compile("namespace p {\n default deny egress\n db must not reach 192.168.0.0/16\n}");
    REQUIRE(c.ok);
    auto all = docs(c.yaml());
    REQUIRE(all.size() == 1);
    CHECK(all[0]["metadata"]["name"].as<std::string>() == "default-deny-egress");
  }
  SECTION("with a policy for more pods: nothing more") {
    auto c = compile("import std\nnamespace p {\n all pods may reach dns\n db must not reach 192.168.0.0/16\n}");
    INFO(c.diagnostics());
    REQUIRE(c.ok);
    auto all = docs(c.yaml());
    REQUIRE(all.size() == 1);
    CHECK(all[0]["metadata"]["name"].as<std::string>() == "all-pods-egress");
  }
  SECTION("the ingress direction is its own") {
    auto c = compile("namespace p {\n default deny egress\n db must not be reached by 192.168.0.0/16\n}");
    REQUIRE(c.ok);
    auto all = docs(c.yaml());
    REQUIRE(all.size() == 2);
    CHECK(by_name(all, "db-ingress")["spec"]["policyTypes"][0].as<std::string>() == "Ingress");
  }
}

TEST_CASE("denied pods a selector allow admits: E0406, naming the construct", "[lower][k8s][deny]") {
  SECTION("pods") {
    auto c = compile("namespace p {\n web may reach all pods\n web must not reach db:5432\n}");
    CHECK_FALSE(c.ok);
    CHECK(c.has_code("E0406"));
    CHECK(c.diagnostics().find("cannot deny p/pods[app=db]") != std::string::npos);
    CHECK(c.diagnostics().find("--target cilium") != std::string::npos);
    CHECK(c.objects.empty());
  }
  SECTION("a DNS name, where addresses are allowed") {
    auto c = compile("namespace p {\n web may reach 0.0.0.0/0\n web must not reach evil.example.com\n}");
    CHECK(c.has_code("E0406"));
    CHECK(c.diagnostics().find("DNS name 'evil.example.com'") != std::string::npos);
  }
  SECTION("an entity") {
    auto c = compile("namespace p {\n web may reach 0.0.0.0/0\n web must not reach entity world\n}");
    CHECK(c.has_code("E0406"));
    CHECK(c.diagnostics().find("entity 'world'") != std::string::npos);
  }
  SECTION("pods by selector on one side, by pod address on the other") {
    auto c = compile("set pod-cidrs = 10.244.0.0/16\nnamespace p {\n web may reach 10.0.0.0/8\n web must not reach db\n}");
    CHECK(c.has_code("E0406"));
  }
  SECTION("a denied pod set that holds the allowed one is exact: the peer goes") {
    auto c = compile("namespace p {\n web may reach db:5432, 10.0.0.0/8\n web must not reach pods[tier=data, app=db] \n}", "k8s", std::nullopt, without_checks());
    INFO(c.diagnostics());
    CHECK(c.has_code("E0406"));  // pods[app=db] is more than pods[app=db, tier=data]
    auto c2 = compile("namespace p {\n web may reach pods[app=db, tier=data]:5432, 10.0.0.0/8\n web must not reach db\n}", "k8s", std::nullopt,
                      without_checks());
    INFO(c2.diagnostics());
    REQUIRE(c2.ok);
    auto to = docs(c2.yaml())[0]["spec"]["egress"][0]["to"];
    REQUIRE(to.size() == 1);
    CHECK(to[0]["ipBlock"]);
  }
  SECTION("a DNS name or entity that meets no allow needs nothing") {
    auto c = compile("import std\nnamespace p {\n web may reach dns\n web must not reach evil.example.com, entity world\n}");
    INFO(c.diagnostics());
    CHECK(c.ok);
  }
}

TEST_CASE("what else NetworkPolicy cannot say about denies", "[lower][k8s][deny]") {
  SECTION("E0408: named ports meet numbers") {
    auto c = compile("namespace p {\n x may reach 10.0.0.0/8:http\n x must not reach 10.1.0.0/16:80\n}");
    CHECK(c.has_code("E0408"));
  }
  SECTION("E0409: every protocol but some ports") {
    auto c = compile("namespace p {\n gw may reach 0.0.0.0/0\n gw must not reach 10.0.0.0/8:22\n}");
    CHECK(c.has_code("E0409"));
    CHECK(c.diagnostics().find("cannot allow 10.0.0.0/8 on every protocol but 22/tcp") != std::string::npos);
    // With the protocols written out, it can.
    auto ok = compile("namespace p {\n gw may reach 0.0.0.0/0:{*/tcp, */udp}\n gw must not reach 10.0.0.0/8:22\n}", "k8s", std::nullopt, without_checks());
    INFO(ok.diagnostics());
    CHECK(ok.ok);
  }
  SECTION("E0410: a deny for some of an allow's pods") {
    auto c = compile("namespace p {\n all pods may reach 0.0.0.0/0:443\n web must not reach 10.0.0.0/8\n}");
    CHECK(c.has_code("E0410"));
  }
  SECTION("a deny for disjoint pods is not a problem") {
    auto c = compile("import std\nnamespace p {\n web may reach 0.0.0.0/0:443, dns\n db must not reach 10.0.0.0/8\n}");
    INFO(c.diagnostics());
    CHECK(c.ok);
  }
  SECTION("E0402: a deny with HTTP rules, even with --allow-l4-fallback") {
    fence::driver::Options o;
    o.k8s.allow_l4_fallback = true;
    auto c = compile("namespace p {\n web must not reach api:80 http GET \"/admin\"\n}", "k8s", std::nullopt, o);
    CHECK(c.has_code("E0402"));
  }
}

TEST_CASE("deny lowering matches a brute-force reference", "[lower][k8s][deny][property]") {
  // Allows and denies over the 16 addresses of 10.0.0.0/28, on TCP ports 22 and 80: the ipBlocks
  // written for each port must admit exactly what the allows admit there, less what the denies
  // deny there.
  std::mt19937 rng(99);
  auto random_cidr = [&]() {
    int size_log2 = static_cast<int>(rng() % 4);
    int offset = static_cast<int>(rng() % static_cast<unsigned>(16 >> size_log2)) << size_log2;
    return fmt::format("10.0.0.{}/{}", offset, 32 - size_log2);
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> allows, denies;
    fence::net::CidrSet allowed, denied22, denied80;
    int na = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < na; ++i) {
      auto c = random_cidr();
      allows.push_back(c);
      allowed = allowed.unite(fence::net::CidrSet(parse(c)));
    }
    int nd = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < nd; ++i) {
      auto c = random_cidr();
      int ports = static_cast<int>(rng() % 3);  // 0: both, 1: 22 only, 2: 80 only
      denies.push_back(c + (ports == 1 ? ":22" : ports == 2 ? ":80" : ""));
      if (ports != 2) denied22 = denied22.unite(fence::net::CidrSet(parse(c)));
      if (ports != 1) denied80 = denied80.unite(fence::net::CidrSet(parse(c)));
    }
    auto text = fmt::format("namespace p {{\n web may reach {{{}}}:{{22, 80}}\n web must not reach {}\n}}", fmt::join(allows, ", "), fmt::join(denies, ", "));
    INFO(text);
    auto c = compile(text, "k8s", std::nullopt, without_checks());
    INFO(c.diagnostics());
    REQUIRE(c.ok);
    auto all = docs(c.yaml());
    REQUIRE(all.size() == 1);
    fence::net::CidrSet got22, got80;
    for (const auto& rule : all[0]["spec"]["egress"]) {
      REQUIRE(rule["to"].size() > 0);
      auto a = admitted(rule["to"]);
      for (const auto& port : rule["ports"]) {
        if (port["port"].as<int>() == 22) got22 = got22.unite(a);
        if (port["port"].as<int>() == 80) got80 = got80.unite(a);
      }
    }
    CHECK(got22 == allowed.minus(denied22));
    CHECK(got80 == allowed.minus(denied80));
  }
}

TEST_CASE("random programs with denies: no crash, located errors, valid output", "[lower][k8s][deny][property]") {
  const std::vector<std::string> subjects = {"web", "api", "all pods", "pods[tier=a]", "pods[app in (web, api)]"};
  const std::vector<std::string> verbs = {"may reach", "must not reach", "may be reached by", "must not be reached by"};
  const std::vector<std::string> peers = {"10.0.0.0/8",        "10.1.0.0/16", "0.0.0.0/0",   "::/0",       "192.168.0.0/16 except 192.168.1.0/24",
                                          "db",                "all pods",    "other/db",    "dns",        "all namespaces/pods[k8s-app=kube-dns]",
                                          "evil.example.com",  "entity world", "entity all", "metadata", "10.244.1.0/24"};
  const std::vector<std::string> ports = {"", "", ":22", ":80", ":http", ":{22, 80}", ":53/udp", ":*/udp", ":{*/tcp, */udp}", ":1-1000"};
  const std::vector<std::string> preludes = {"", "set pod-cidrs = 10.244.0.0/16\n"};
  const std::vector<std::string> defaults = {"", "  default deny egress\n", "  default deny all\n"};
  std::mt19937 rng(2024);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  int compiled = 0, rejected = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text = "import std\n" + pick(preludes) + "namespace p {\n" + pick(defaults);
    int n = 2 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) text += "  " + pick(subjects) + " " + pick(verbs) + " " + pick(peers) + pick(ports) + "\n";
    text += "}\n";
    INFO(text);
    for (bool checks : {true, false}) {
      fence::driver::Options o;
      o.run_checks = checks;
      auto c = compile(text, "k8s", std::nullopt, o);
      INFO(c.diagnostics());
      (c.ok ? compiled : rejected) += 1;
      if (!c.ok) {
        CHECK(c.objects.empty());
        bool located = false;
        for (const auto& d : c.c->sink().raw()) located = located || (d.severity == fence::Severity::Error && d.span.valid());
        CHECK(located);
        continue;
      }
      for (const auto& doc : docs(c.yaml())) {
        for (const char* dir : {"egress", "ingress"}) {
          for (const auto& rule : doc["spec"][dir]) {
            const char* key = std::string(dir) == "egress" ? "to" : "from";
            REQUIRE(rule[key]);  // never a rule without peers: that would admit everything
            CHECK(rule[key].size() > 0);
            for (const auto& peer : rule[key]) {
              if (peer["ipBlock"]) admitted(YAML::Node(std::vector<YAML::Node>{peer}));
            }
          }
        }
      }
    }
  }
  // Both paths are exercised, not just the rejections.
  CHECK(compiled > 100);
  CHECK(rejected > 100);
}
