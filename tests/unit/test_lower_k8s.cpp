#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "helpers.h"

using fence::test::compile;

using fence::test::by_name;
using fence::test::docs;

TEST_CASE("one policy per namespace, subject and direction, plus default denies", "[lower][k8s]") {
  auto c = compile("namespace p {\n default deny egress\n web may reach db:5432\n web may reach cache:6379\n api may reach db:5432\n}");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto all = docs(c.yaml());
  REQUIRE(all.size() == 3);
  CHECK(all[0]["metadata"]["name"].as<std::string>() == "default-deny-egress");
  auto web = by_name(all, "web-egress");
  CHECK(web["metadata"]["namespace"].as<std::string>() == "p");
  CHECK(web["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>() == "fence");
  CHECK(web["metadata"]["annotations"]["fence.dev/source"].as<std::string>() == "test.fence:3, test.fence:4");
  CHECK(web["spec"]["podSelector"]["matchLabels"]["app"].as<std::string>() == "web");
  CHECK(web["spec"]["policyTypes"][0].as<std::string>() == "Egress");
  REQUIRE(web["spec"]["egress"].size() == 2);
  CHECK(web["spec"]["egress"][1]["ports"][0]["port"].as<int>() == 6379);
  CHECK(by_name(all, "api-egress")["spec"]["egress"].size() == 1);
}

TEST_CASE("ports: integers, ranges, names, protocols", "[lower][k8s]") {
  auto c = compile("namespace p { web may reach db:{5432, 53/udp, 8000-8999/sctp, http, */udp} }");
  REQUIRE(c.ok);
  auto ports = docs(c.yaml())[0]["spec"]["egress"][0]["ports"];
  REQUIRE(ports.size() == 5);
  CHECK(ports[0]["protocol"].as<std::string>() == "TCP");
  CHECK(ports[0]["port"].Tag() == "?");  // a plain scalar: an integer, not a string
  CHECK(ports[0]["port"].as<int>() == 5432);
  CHECK(ports[1]["protocol"].as<std::string>() == "UDP");
  CHECK(ports[2]["port"].as<int>() == 8000);
  CHECK(ports[2]["endPort"].as<int>() == 8999);
  CHECK(ports[2]["protocol"].as<std::string>() == "SCTP");
  CHECK(ports[3]["port"].as<std::string>() == "http");
  CHECK_FALSE(ports[4]["port"]);
}

TEST_CASE("rules with equal ports merge; peers are deduplicated", "[lower][k8s]") {
  auto c = compile("namespace p { web may reach a:80, b:80, a:80, 10.0.0.0/8:80 }");
  REQUIRE(c.ok);
  auto eg = docs(c.yaml())[0]["spec"]["egress"];
  REQUIRE(eg.size() == 1);
  CHECK(eg[0]["to"].size() == 3);
}

TEST_CASE("peers: same namespace, other namespace, by labels, everywhere", "[lower][k8s]") {
  auto c = compile("namespace p { web may reach db, q/api, ns[team=obs]/prom, all namespaces/pods[k8s-app=kube-dns], q/all pods }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto to = docs(c.yaml())[0]["spec"]["egress"][0]["to"];
  REQUIRE(to.size() == 5);
  CHECK_FALSE(to[0]["namespaceSelector"]);
  CHECK(to[0]["podSelector"]["matchLabels"]["app"].as<std::string>() == "db");
  CHECK(to[1]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as<std::string>() == "q");
  CHECK(to[2]["namespaceSelector"]["matchLabels"]["team"].as<std::string>() == "obs");
  CHECK(to[3]["namespaceSelector"].IsMap());
  CHECK(to[3]["namespaceSelector"].size() == 0);
  CHECK_FALSE(to[4]["podSelector"]);  // every pod of q: the namespace selector alone
}

TEST_CASE("selectors lower to matchLabels and matchExpressions", "[lower][k8s]") {
  auto c = compile("namespace p { pods[tier=db, env in (prod, stage), !canary, v!=1, gpu] may reach x }");
  REQUIRE(c.ok);
  auto sel = docs(c.yaml())[0]["spec"]["podSelector"];
  CHECK(sel["matchLabels"]["tier"].as<std::string>() == "db");
  auto ex = sel["matchExpressions"];
  REQUIRE(ex.size() == 4);
  CHECK(ex[0]["key"].as<std::string>() == "canary");
  CHECK(ex[0]["operator"].as<std::string>() == "DoesNotExist");
  CHECK_FALSE(ex[0]["values"]);
  CHECK(ex[1]["key"].as<std::string>() == "env");
  CHECK(ex[1]["operator"].as<std::string>() == "In");
  CHECK(ex[1]["values"].size() == 2);
  CHECK(ex[3]["operator"].as<std::string>() == "NotIn");
  CHECK(ex[3]["values"][0].as<std::string>() == "1");
}

TEST_CASE("strings YAML could misread are quoted", "[lower][k8s][yaml]") {
  auto c = compile("namespace p { pods[v=1.0, on=yes, n=\"true\", e=\"\"] may reach x }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto y = c.yaml();
  CHECK(y.find("v: \"1.0\"") != std::string::npos);
  CHECK(y.find("\"on\": \"yes\"") != std::string::npos);
  CHECK(y.find("\"n\": \"true\"") != std::string::npos);
  CHECK(y.find("e: \"\"") != std::string::npos);
  auto ml = docs(y)[0]["spec"]["podSelector"]["matchLabels"];
  CHECK(ml["v"].Tag() == "!");  // quoted: a string
}

TEST_CASE("constructs NetworkPolicy cannot express are errors naming them", "[lower][k8s]") {
  CHECK(compile("namespace p { web may reach api.stripe.com:443 }").has_code("E0401"));
  CHECK(compile("namespace p { web may reach x:80 http GET \"/\" }").has_code("E0402"));
  CHECK(compile("namespace p { web may reach entity world }").has_code("E0403"));
  CHECK(compile("cluster { all pods may reach x }").has_code("E0404"));
  CHECK(compile("namespace p { web may reach x:53/any }").has_code("E0405"));
  auto c = compile("namespace p { web may reach api.stripe.com:443 }");
  CHECK(c.diagnostics().find("--target cilium") != std::string::npos);
  CHECK(c.objects.empty());
}

TEST_CASE("the L4 fallback (--allow-l4-fallback) degrades HTTP rules to ports with a warning", "[lower][k8s]") {
  fence::driver::Options opt;
  opt.k8s.allow_l4_fallback = true;
  auto c = compile("namespace p { web may reach x:80 http GET \"/\" }", "k8s", std::nullopt, opt);
  REQUIRE(c.ok);
  CHECK(c.has_code("W0407"));
  CHECK(docs(c.yaml())[0]["spec"]["egress"][0]["ports"][0]["port"].as<int>() == 80);
}

TEST_CASE("names collide only by accident, and then get a hash", "[lower][k8s]") {
  auto c = compile("namespace p { web may reach a\n pods[app=Web] may reach b\n pods[app=default-deny] may reach c\n default deny egress }");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  std::vector<std::string> names;
  for (const auto& d : docs(c.yaml())) names.push_back(d["metadata"]["name"].as<std::string>());
  REQUIRE(names.size() == 4);
  CHECK(names[0] == "default-deny-egress");
  CHECK(names[1] == "web-egress");
  CHECK(names[2].rfind("web-", 0) == 0);
  CHECK(names[2] != "web-egress");
  CHECK(names[3].rfind("default-deny-egress-", 0) == 0);
}

TEST_CASE("output is deterministic and independent of input order", "[lower][k8s]") {
  const char* a = "namespace b { x may reach y }\nnamespace a { default deny all\n z may reach w }";
  auto c1 = compile(a);
  auto c2 = compile(a);
  REQUIRE(c1.ok);
  CHECK(c1.yaml() == c2.yaml());
  auto all = docs(c1.yaml());
  CHECK(all[0]["metadata"]["namespace"].as<std::string>() == "a");
  CHECK(all[0]["metadata"]["name"].as<std::string>() == "default-deny-all");
  CHECK(all[0]["spec"]["policyTypes"].size() == 2);
}
