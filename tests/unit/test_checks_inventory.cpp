// The program against an inventory (W0805-W0809), on the Online Boutique manifests of
// tests/inventory/boutique: every mistake of issue 11 is told at its place with what to write,
// and a right program is told nothing.
#include <catch2/catch.hpp>

#include "analyze/reach.h"
#include "check/check.h"
#include "helpers.h"

using fence::test::compile;

namespace {

const std::string kBoutique = std::string(FENCE_SOURCE_DIR) + "/tests/inventory/boutique";

fence::driver::Options with_inventory(std::vector<std::string> paths = {kBoutique}) {
  fence::driver::Options o;
  o.inventory = std::move(paths);
  o.inventory_namespace = "boutique";
  return o;
}

fence::test::Compiled check(const std::string& text) {
  return compile(text, "k8s", std::nullopt, with_inventory());
}


bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a right program against its inventory: nothing to say", "[inventory-check]") {
  auto text = fence::sema::read_disk(std::string(FENCE_SOURCE_DIR) + "/tests/inventory/boutique.fence");
  REQUIRE(text);
  auto c = check(*text);
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(c.c->sink().raw().empty());
  REQUIRE(c.c->inventory() != nullptr);
  CHECK(c.c->inventory()->workloads().size() == 17);
  CHECK(c.c->inventory()->services().size() == 13);
}

TEST_CASE("W0805: pods no workload runs, with what to write instead", "[inventory-check]") {
  auto c = check(
      "import std\n"
      "let stripe = 203.0.113.0/24:443\n"
      "namespace boutique {\n"
      "  paymentservice may reach strpe, stripe, dns\n"
      "  frontend may reach cartservise:7070, pods[tier=web]:80, dns\n"
      "  checkoutservice may reach boutique-data/redis:6379, dns\n"
      "  adservic may reach dns\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto w = c.only("W0805");
  CHECK(contains(w, "test.fence:4:28: warning[W0805]: no workload in the inventory runs pods labelled app=strpe in namespace boutique"));
  CHECK(contains(w, "help: did you mean 'stripe'? it is a definition, at test.fence:2:5"));
  CHECK(contains(w, "test.fence:5:22: warning[W0805]: no workload in the inventory runs pods labelled app=cartservise in namespace boutique"));
  CHECK(contains(w, "help: did you mean 'cartservice'? Deployment boutique/cartservice runs pods labelled app=cartservice"));
  CHECK(contains(w, "no workload in the inventory runs pods labelled tier=web in namespace boutique"));
  CHECK(contains(w, "help: select pods that run there: frontend (app=frontend,app.kubernetes.io/part-of=boutique), cartservice ("));
  CHECK(contains(w, "and 5 more"));
  // A name that another one starts with is offered too.
  CHECK(contains(w, "help: did you mean 'redis-cart'? StatefulSet boutique-data/redis-cart runs pods labelled app=redis-cart"));
  // A subject that selects nothing makes the statement do nothing.
  CHECK(contains(w, "test.fence:7:3: warning[W0805]: no workload in the inventory runs pods labelled app=adservic in namespace boutique"));
  CHECK(contains(w, "note: a statement whose subject selects no pod does nothing"));
  CHECK(c.count("W0805") == 5);
  CHECK_FALSE(c.has_code("W0613"));  // the inventory says more
}

TEST_CASE("W0805: the right name under another label key", "[inventory-check]") {
  auto c = check("import std\nset label-key = \"app.kubernetes.io/name\"\nnamespace monitoring {\n  prometheus may reach dns\n}\n");
  INFO(c.diagnostics());
  CHECK(c.only("W0805").find("help: Deployment monitoring/prometheus runs pods labelled app=prometheus, not app.kubernetes.io/name=prometheus: "
                             "write pods[app=prometheus], or set label-key = \"app\" where its names are written") != std::string::npos);
}

TEST_CASE("W0806: namespaces the inventory does not have", "[inventory-check]") {
  auto c = check(
      "import std\n"
      "namespace boutque {\n  default deny ingress\n}\n"
      "namespace boutique {\n  frontend may reach monitorng/prometheus:9090, kube-system/pods[k8s-app=kube-dns]:53/udp, dns\n}\n");
  INFO(c.diagnostics());
  auto w = c.only("W0806");
  CHECK(contains(w, "test.fence:2:11: warning[W0806]: the inventory has no namespace 'boutque'\n"));
  CHECK(contains(w, "help: did you mean 'boutique'?"));
  CHECK(contains(w, "test.fence:6:22: warning[W0806]: the inventory has no namespace 'monitorng'"));
  CHECK(contains(w, "help: did you mean 'monitoring'?"));
  // kube-system is in every cluster; the inventory has no workloads there, so its pods are not judged.
  CHECK(c.count("W0806") == 2);
  CHECK_FALSE(c.has_code("W0805"));
}

TEST_CASE("W0807-W0809: ports, port names and protocols the pods do not serve", "[inventory-check]") {
  auto c = check(
      "import std\n"
      "let email = emailservice:5000\n"
      "namespace boutique {\n"
      "  checkoutservice may reach email, dns\n"
      "  cartservice may reach boutique-data/redis-cart:6380, dns\n"
      "  frontend may reach checkoutservice:{5050, metrics}, dns\n"
      "  recommendationservice may reach productcatalogservice:3550/udp, dns\n"
      "  loadgenerator may reach frontend:80, dns\n"
      "}\n"
      "namespace monitoring {\n"
      "  prometheus may reach boutique/checkoutservice:http-envoy-prom, node-exporter:metrics/udp, dns\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto w = c.only("W0807");
  // The Service's port, through a definition: told in the definition, used in the statement.
  CHECK(contains(w, "test.fence:2:26: warning[W0807]: no pod labelled app=emailservice in namespace boutique serves port 5000/tcp"));
  CHECK(contains(w, "test.fence:4:29: note: used here"));
  CHECK(contains(w, "boutique.yaml:302:11: note: the Service emailservice maps 5000 to 8080; policy sees the pods' port 8080"));
  CHECK(contains(w, "help: write :8080 instead of :5000"));
  CHECK(contains(w, "test.fence:5:50: warning[W0807]: no pod labelled app=redis-cart in namespace boutique-data serves port 6380/tcp"));
  CHECK(contains(w, "help: these pods serve one port, redis=6379/tcp: write :redis or :6379"));
  // A Service whose targetPort is a name: the number is the pods' port of that name.
  CHECK(contains(w, "no pod labelled app=frontend in namespace boutique serves port 80/tcp"));
  CHECK(contains(w, "note: the Service frontend maps 80 to 8080; policy sees the pods' port 8080"));
  CHECK(c.count("W0807") == 3);
  auto named = c.only("W0808");
  CHECK(contains(named, "test.fence:6:45: warning[W0808]: no pod labelled app=checkoutservice in namespace boutique defines a port named 'metrics'"));
  CHECK(contains(named, "help: these pods serve grpc=5050/tcp, http-envoy-prom=15090/tcp: write one of them"));
  CHECK(c.count("W0808") == 1);  // the sidecar's http-envoy-prom, an init container's port, is served
  auto proto = c.only("W0809");
  CHECK(contains(proto, "no pod labelled app=productcatalogservice in namespace boutique serves port 3550/udp, only 3550/tcp"));
  CHECK(contains(proto, "help: write :3550/tcp"));
  CHECK(contains(proto, "no pod labelled app=node-exporter in namespace monitoring serves port metrics/udp, only metrics/tcp"));
  CHECK(c.count("W0809") == 2);
}

TEST_CASE("what the inventory does not describe is not judged", "[inventory-check]") {
  auto c = check(
      "import std\n"
      "namespace boutique {\n"
      "  frontend may reach boutique-data/cart-snapshot:9999, kube-system/coredns:53, dns\n"  // no ports declared; no workloads there
      "  frontend may reach ns[team=platform]/prometheus:9090\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(c.c->sink().raw().empty());
  // Every namespace's labels are known (each has its Namespace object): a selector none matches selects nothing.
  auto none = check("import std\nnamespace boutique {\n  frontend may reach ns[owner=x]/pods[app=y]:1, dns\n}\n");
  CHECK(none.only("W0805").find("no workload in the inventory runs pods labelled app=y in the namespaces ns[owner=x]") != std::string::npos);
}

TEST_CASE("fence why and explain take the inventory's labels and ports", "[inventory-check]") {
  auto c = check(
      "import std\n"
      "namespace boutique {\n"
      "  default deny all\n"
      "  pods[app.kubernetes.io/part-of=boutique] may reach dns\n"
      "  frontend may reach checkoutservice:grpc\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  const auto& inv = *c.c->inventory();
  auto from = fence::analyze::parse_endpoint("boutique/frontend", false);
  auto to = fence::analyze::parse_endpoint("boutique/checkoutservice:5050", true);
  fence::analyze::bind_endpoint(from.endpoint, c.ir(), std::nullopt, {});
  fence::analyze::bind_endpoint(to.endpoint, c.ir(), std::nullopt, {});
  fence::analyze::bind_inventory(from, inv);
  fence::analyze::bind_inventory(to, inv);
  CHECK(from.endpoint.labels.at("app.kubernetes.io/part-of") == "boutique");
  REQUIRE(to.port->name);
  CHECK(*to.port->name == "grpc");  // the named rule decides: no "undecided"
  auto v = fence::analyze::why(c.ir(), from.endpoint, to.endpoint, *to.port);
  CHECK(v.allowed == fence::analyze::Tri::Yes);
  auto dns = fence::analyze::parse_endpoint("kube-system/pods[k8s-app=kube-dns]:53/udp", true);
  auto pv = fence::analyze::why(c.ir(), from.endpoint, dns.endpoint, *dns.port);
  CHECK(pv.allowed == fence::analyze::Tri::Yes);  // by the part-of selector, which only the inventory's labels match
}
