#include <catch2/catch.hpp>

#include "compare/compare.h"
#include "helpers.h"

using namespace fence;

TEST_CASE("line_diff keeps what is common and lists removals before additions", "[compare]") {
  CHECK(compare::line_diff("a\nb\nc\n", "a\nb\nc\n").empty());
  CHECK(compare::line_diff("a\nb\nc\n", "a\nx\nc\n") == std::vector<std::string>{"-b", "+x"});
  CHECK(compare::line_diff("a\nc\n", "a\nb\nc\nd\n") == std::vector<std::string>{"+b", "+d"});
  CHECK(compare::line_diff("a\nb\n", "") == std::vector<std::string>{"-a", "-b"});
  CHECK(compare::line_diff("a\nb\n", "b\na\n", 1) == std::vector<std::string>{"-a", "-b", "+b", "+a"});
}

TEST_CASE("rules compare in the source's terms across environments", "[compare]") {
  const char* src =
      "environments dev, prod\n"
      "let ns = \"shop\"\nlet ns in dev = \"shop-dev\"\n"
      "let pay = 203.0.113.0/24:443\nlet pay in dev = 198.51.100.0/28:443\n"
      "namespace ns {\n  default deny egress\n  when prod { default deny ingress }\n  api may reach pay, db:5432\n}\n";
  auto dev = test::compile(src, "k8s", "dev");
  REQUIRE(dev.ok);
  auto dev_ir = dev.ir();
  auto prod = test::compile(src, "k8s", "prod");
  REQUIRE(prod.ok);
  compare::Side a{"dev", &dev_ir, &dev.objects};
  compare::Side b{"prod", &prod.ir(), &prod.objects};
  auto rep = compare::compare_rules(a, b, prod.c->loaded());
  CHECK(rep.namespaces == std::map<std::string, std::pair<std::string, std::string>>{{"ns", {"shop-dev", "shop"}}});
  std::vector<std::string> only_a, only_b;
  for (const auto& l : rep.only_a) only_a.push_back(l.text);
  for (const auto& l : rep.only_b) only_b.push_back(l.text);
  CHECK(only_a == std::vector<std::string>{"ns/pods[app=api] may reach 198.51.100.0/28:443/tcp"});
  CHECK(only_b == std::vector<std::string>{"namespace ns: default deny ingress", "ns/pods[app=api] may reach 203.0.113.0/24:443/tcp"});
  REQUIRE(rep.only_b[0].origin.valid());
  CHECK(prod.c->sources().where(rep.only_b[0].origin) == "test.fence:8:15");

  auto objs = compare::compare_objects(a, b, prod.c->loaded());
  std::vector<std::string> changed, added;
  for (const auto& l : objs.changed) changed.push_back(l.text);
  for (const auto& l : objs.only_b) added.push_back(l.text);
  CHECK(changed == std::vector<std::string>{"NetworkPolicy ns/api-egress"});
  CHECK(objs.changed[0].detail == std::vector<std::string>{"-            cidr: 198.51.100.0/28", "+            cidr: 203.0.113.0/24"});
  CHECK(added == std::vector<std::string>{"NetworkPolicy ns/db-ingress", "NetworkPolicy ns/default-deny-ingress"});
  CHECK(objs.only_a.empty());
}
