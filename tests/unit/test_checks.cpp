// The checks, one section per code: each fires where it should, says where the other statement
// is, and stays quiet on the programs that are right.
#include <set>

#include <catch2/catch.hpp>

#include "check/check.h"
#include "helpers.h"

using fence::test::compile;

TEST_CASE("the seed: only the default deny that its own allow undoes", "[check]") {
  auto c = compile(
      "let dns = all namespaces/pods[k8s-app=kube-dns]:{53/udp, 53/tcp}\n"
      "namespace production {\n"
      "  default deny egress\n"
      "  web-api may reach postgres:5432, dns, 203.0.113.0/24:443\n"
      "  all pods may reach 0.0.0.0/0 except 169.254.169.254/32\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  REQUIRE(c.c->sink().raw().size() == 1);
  auto w = c.only("W0607");
  CHECK(w.find("test.fence:5:22: warning[W0607]: this lets every pod of production reach almost every IPv4 address on every port") != std::string::npos);
  CHECK(w.find("test.fence:3:3: note: the default deny is here") != std::string::npos);
}

TEST_CASE("E0601 / W0602: a deny takes all or part of an allow", "[check]") {
  SECTION("all of it: an error at the allow, with the deny as a note") {
    auto c = compile("namespace p {\n web may reach 10.1.0.0/16:443\n web must not reach 10.0.0.0/8\n}");
    CHECK_FALSE(c.ok);
    auto e = c.only("E0601");
    CHECK(e.find("test.fence:2:16: error[E0601]: everything this allows is denied") != std::string::npos);
    CHECK(e.find("test.fence:3:21: note: denied here") != std::string::npos);
  }
  SECTION("all of it, by two denies together") {
    auto c = compile("namespace p {\n web may reach 10.0.0.0/8:443\n web must not reach 10.0.0.0/9\n web must not reach 10.128.0.0/9\n}");
    CHECK(c.has_code("E0601"));
  }
  SECTION("the other side of a connection") {
    auto c = compile("namespace p {\n default deny ingress\n web may reach db:5432\n db must not be reached by web\n}");
    CHECK(c.only("E0601").find("denied on the ingress side, at p/pods[app=db]") != std::string::npos);
  }
  SECTION("part of it: a warning saying which addresses and ports") {
    auto c = compile("import std\nnamespace p {\n web may reach 0.0.0.0/0:{80, 443}, dns\n web must not reach 10.0.0.0/8:80\n}");
    INFO(c.diagnostics());
    CHECK(c.ok);
    auto w = c.only("W0602");
    CHECK(w.find("test.fence:4:21: warning[W0602]: this deny takes part of what `0.0.0.0/0:{80, 443}` allows: 10.0.0.0/8 on 80/tcp") !=
          std::string::npos);
    CHECK(w.find("test.fence:3:16: note: the allow is here") != std::string::npos);
  }
  SECTION("a deny for a broader subject counts; one for other pods does not") {
    auto c = compile("import std\nnamespace p {\n web may reach 10.0.0.0/8:443, dns\n all pods must not reach 10.1.0.0/16\n db must not reach 10.0.0.0/8\n}");
    CHECK(c.count("W0602") == 1);
    CHECK_FALSE(c.has_code("E0601"));
  }
  SECTION("no overlap, or an uncertain one: nothing") {
    auto c = compile("import std\nnamespace p {\n web may reach 10.0.0.0/8:http, dns\n web must not reach 192.168.0.0/16, 10.1.0.0/16:80\n}");
    CHECK_FALSE(c.has_code("W0602"));
    CHECK_FALSE(c.has_code("E0601"));
  }
}

TEST_CASE("W0603: an allow contained in another of the same subject", "[check]") {
  SECTION("narrower addresses and ports") {
    auto c = compile("import std\nnamespace p {\n api may reach 10.2.0.0/16, dns\n api may reach 10.2.3.0/24:443\n}");
    auto w = c.only("W0603");
    CHECK(w.find("test.fence:4:16: warning[W0603]: this allows nothing that another allow for p/pods[app=api] does not already allow") !=
          std::string::npos);
    CHECK(w.find("test.fence:3:16: note: that allow is here") != std::string::npos);
  }
  SECTION("a selector inside a broader one, within one statement") {
    auto c = compile("import std\nnamespace p {\n api may reach all pods, db:5432, dns\n}");
    CHECK(c.only("W0603").find("the same statement") != std::string::npos);
  }
  SECTION("two equal allows: only the later one") {
    auto c = compile("import std\nnamespace p {\n api may reach db:5432, dns\n api may reach db:5432\n}");
    CHECK(c.count("W0603") == 1);
    CHECK(c.only("W0603").find("test.fence:4:") != std::string::npos);
  }
  SECTION("not contained: other ports, other subjects, wider addresses") {
    auto c = compile(
        "import std\nnamespace p {\n api may reach 10.2.3.0/24:443, dns\n api may reach 10.2.0.0/16:80\n web may reach 10.2.3.0/24:443, dns\n"
        " api may reach db:http\n api may reach db:8080\n}");
    CHECK_FALSE(c.has_code("W0603"));
  }
}

TEST_CASE("W0604 / W0605: DNS for egress-isolated pods", "[check]") {
  SECTION("isolated by its own statement") {
    auto c = compile("namespace p {\n web may reach db:5432\n}");
    auto w = c.only("W0604");
    CHECK(w.find("test.fence:2:2: warning[W0604]: web may not reach DNS: this makes it egress-isolated") != std::string::npos);
    CHECK(w.find("web may reach dns") != std::string::npos);  // the hint
  }
  SECTION("isolated by a deny alone") {
    auto c = compile("import std\nnamespace p {\n web must not reach metadata\n}");
    CHECK(c.only("W0604").find("this deny makes it egress-isolated") != std::string::npos);
  }
  SECTION("a default deny with nothing allowing DNS in the namespace") {
    auto c = compile("namespace p {\n default deny egress\n}");
    CHECK(c.only("W0604").find("test.fence:2:2: warning[W0604]: no pod of p may reach DNS") != std::string::npos);
  }
  SECTION("DNS from an allow for every pod, from kube-dns in any namespace, or from any address") {
    CHECK_FALSE(compile("import std\nnamespace p {\n default deny egress\n all pods may reach dns\n web may reach db:5432\n}").has_code("W0604"));
    CHECK_FALSE(compile("namespace p {\n web may reach all namespaces/pods[k8s-app=kube-dns]:{53/udp, 53/tcp}\n}").has_code("W0604"));
    CHECK_FALSE(compile("namespace p {\n web may reach 0.0.0.0/0\n}").has_code("W0604"));
    CHECK_FALSE(compile("namespace p {\n web may reach 169.254.20.10/32:{53/udp, 53/tcp}\n}").has_code("W0604"));  // node-local DNS
  }
  SECTION("every port to pods that cannot be kube-dns is not DNS") {
    CHECK(compile("namespace p {\n web may reach db\n}").has_code("W0604"));
  }
  SECTION("UDP only, and TCP only") {
    auto udp = compile("namespace p {\n web may reach kube-system/pods[k8s-app=kube-dns]:53/udp\n}");
    CHECK(udp.only("W0605").find("web may reach DNS over UDP only") != std::string::npos);
    CHECK_FALSE(udp.has_code("W0604"));
    auto tcp = compile("namespace p {\n web may reach kube-system/pods[k8s-app=kube-dns]:53\n}");
    CHECK(tcp.only("W0604").find("over TCP only") != std::string::npos);
  }
  SECTION("ingress statements do not isolate egress") {
    CHECK_FALSE(compile("namespace p {\n db may be reached by web:5432\n}").has_code("W0604"));
  }
}

TEST_CASE("W0606: egress to every address leaves the metadata endpoint open", "[check]") {
  auto c = compile("namespace p {\n batch may reach 0.0.0.0/0, ::/0\n}");
  CHECK(c.count("W0606") == 2);
  CHECK(c.only("W0606").find("169.254.169.254 reachable") != std::string::npos);
  CHECK(c.only("W0606").find("fd00:ec2::254 reachable") != std::string::npos);
  CHECK_FALSE(compile("import std\nnamespace p {\n batch may reach {0.0.0.0/0, ::/0} except metadata\n}").has_code("W0606"));
  CHECK_FALSE(compile("import std\nnamespace p {\n batch may reach 0.0.0.0/0, ::/0\n all pods must not reach metadata\n}").has_code("W0606"));
  CHECK_FALSE(compile("import std\nnamespace p {\n batch may reach 0.0.0.0/0:443, dns\n}").has_code("W0606"));  // it answers on port 80
  CHECK_FALSE(compile("namespace p {\n batch may reach 169.254.0.0/16\n}").has_code("W0606"));            // aimed at it: not "every address"
}

TEST_CASE("W0607: an allow for every pod that undoes a default deny", "[check]") {
  auto in = compile("namespace p {\n default deny all\n all pods may be reached by 0.0.0.0/0\n all pods may reach 0.0.0.0/1\n}");
  CHECK(in.only("W0607").find("this lets every IPv4 address reach every pod of p on every port, which undoes `default deny ingress`") !=
        std::string::npos);
  CHECK(in.only("W0607").find("50% of all IPv4 addresses") != std::string::npos);
  // Ports, a narrower subject, a small share, or no default deny: each keeps the deny meaningful.
  CHECK_FALSE(compile("import std\nnamespace p {\n default deny egress\n all pods may reach 0.0.0.0/0:443, dns\n}").has_code("W0607"));
  CHECK_FALSE(compile("namespace p {\n default deny egress\n web may reach 0.0.0.0/0\n}").has_code("W0607"));
  CHECK_FALSE(compile("namespace p {\n default deny egress\n all pods may reach 10.0.0.0/8\n}").has_code("W0607"));
  CHECK_FALSE(compile("namespace p {\n all pods may reach 0.0.0.0/0\n}").has_code("W0607"));
}

TEST_CASE("W0608: selectors that match nothing", "[check]") {
  auto c = compile("import std\nnamespace p {\n web may reach pods[app in (a), app notin (a)]:80, ns[team=a, team=b]/all pods, dns\n}");
  CHECK(c.count("W0608") == 2);
  CHECK(c.only("W0608").find("no pod can match pods[app in (a),app notin (a)]: its requirements on 'app' contradict each other") != std::string::npos);
  CHECK(c.only("W0608").find("no namespace can match ns[team=a,team=b]") != std::string::npos);
  CHECK(compile("namespace p {\n pods[tier, !tier] may be reached by web\n}").has_code("W0608"));
  CHECK_FALSE(compile("import std\nnamespace p {\n web may reach pods[app notin (a), !app]:80, dns\n}").has_code("W0608"));
}

TEST_CASE("I0609: a name mentioned once that looks like a misspelling", "[check]") {
  auto c = compile(
      "import std\nnamespace shop {\n fe may reach postgress:5432, dns\n  bk may reach postgres:5432, dns\n api may reach postgres:5432, dns\n"
      " api may reach monitorng/prometheus:9090\n  bk may reach monitoring/prometheus:9090\n fe may reach monitoring/grafana:3000\n}");
  auto i = c.only("I0609");
  CHECK(i.find("info[I0609]: workload 'postgress' is mentioned only here, and looks like 'postgres', which is mentioned 2 times") != std::string::npos);
  CHECK(i.find("namespace 'monitorng' is mentioned only here, and looks like 'monitoring'") != std::string::npos);
  CHECK(c.ok);  // information only
  // A name mentioned once with no look-alike, and short names, are not reported.
  CHECK_FALSE(compile("import std\nnamespace shop {\n web may reach db:5432, dns\n api may reach dc:5432, dns\n api may reach dc:80\n}").has_code("I0609"));
  CHECK_FALSE(compile("import std\nnamespace shop {\n web may reach redis:6379, dns\n}").has_code("I0609"));
  // Numbered siblings are not misspellings of each other.
  CHECK_FALSE(compile("import std\nnamespace shop {\n web may reach shard-1:6379, dns\n api may reach shard-2:6379, dns\n fe may reach shard-2:6379, dns\n}")
                  .has_code("I0609"));
}

TEST_CASE("W0610: ipBlocks aimed at the cluster's own addresses", "[check]") {
  auto c = compile(
      "import std\nset pod-cidrs = 10.244.0.0/16\nset service-cidrs = 10.96.0.0/12\n"
      "namespace p {\n web may reach 10.96.0.10/32:53, 10.244.3.0/24, 10.0.0.0/8:443, dns\n}");
  CHECK(c.count("W0610") == 2);
  CHECK(c.only("W0610").find("10.96.0.10/32 is inside the cluster's service CIDRs (10.96.0.0/12)") != std::string::npos);
  CHECK(c.only("W0610").find("10.244.3.0/24 is inside the cluster's pod CIDRs (10.244.0.0/16)") != std::string::npos);
  // Without declared ranges Fence cannot tell.
  CHECK_FALSE(compile("import std\nnamespace p {\n web may reach 10.96.0.10/32:53, dns\n}").has_code("W0610"));
}

TEST_CASE("E0611: two different objects under one name", "[check]") {
  fence::SourceManager sm;
  auto file = sm.add("x.fence", "a\nb\n");
  auto object = [&](std::string name, std::int64_t n, std::uint32_t line_start) {
    fence::emit::Object o;
    o.kind = "NetworkPolicy";
    o.ns = "p";
    o.name = std::move(name);
    o.doc.set("n", fence::emit::Node::integer(n));
    o.origins.push_back(fence::Span{file, line_start, line_start + 1});
    return o;
  };
  fence::DiagnosticSink sink;
  fence::check::object_names({object("web-egress", 1, 0), object("web-egress", 1, 2), object("api-egress", 1, 2)}, sink);
  CHECK_FALSE(sink.has_errors());  // the same object twice is one object
  fence::check::object_names({object("web-egress", 1, 0), object("web-egress", 2, 2)}, sink);
  REQUIRE(sink.error_count() == 1);
  auto text = fence::render_text(sink.raw()[0], sm);
  CHECK(text.find("x.fence:2:1: error[E0611]: two different NetworkPolicy objects are both named 'web-egress' in namespace p") != std::string::npos);
  CHECK(text.find("x.fence:1:1: note: the other comes from here") != std::string::npos);
}

TEST_CASE("the pass table: every pass has a name, a summary and a function", "[check]") {
  std::set<std::string_view> names;
  for (const auto& p : fence::check::passes()) {
    CHECK_FALSE(p.name.empty());
    CHECK_FALSE(p.summary.empty());
    CHECK(p.run != nullptr);
    CHECK(names.insert(p.name).second);
  }
  CHECK(names.size() == 16);
}
