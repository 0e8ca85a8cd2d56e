// The inventory: reading manifests as people have them (streams, Lists, JSON, CRLF, anchors),
// refusing what the API server would refuse at its line and column, never crashing, and the
// queries the checks ask.
#include <filesystem>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "diag/render.h"
#include "helpers.h"
#include "inventory/inventory.h"
#include "inventory/load.h"
#include "inventory/reader.h"
#include "inventory/select.h"
#include "sema/loader.h"

using namespace fence;
using namespace fence::inventory;

namespace {

// A file read and added to an inventory, with what it reported, rendered.
struct Read {
  SourceManager sm;
  DiagnosticSink sink;
  Inventory inv;
  std::string diagnostics() const { return render_all(sink, sm); }
  bool has(std::string_view id) const {
    for (const auto& d : sink.raw()) {
      if (code_info(d.code).id == id) return true;
    }
    return false;
  }
};

std::unique_ptr<Read> read(const std::string& text, const std::string& default_ns = "default") {
  auto r = std::make_unique<Read>();
  r->inv.add(read_manifests("inv.yaml", text), r->sm, r->sink, default_ns);
  return r;
}

const Workload* workload(const Inventory& inv, const std::string& ns, const std::string& name) {
  return inv.find(ns, name);
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: web
        tier: front
    spec:
      containers:
      - name: server
        ports:
        - name: http
          containerPort: 8080
        - containerPort: 9090
          protocol: UDP
      initContainers:
      - name: proxy
        ports:
        - name: metrics
          containerPort: 15090
)";

}  // namespace

TEST_CASE("a multi-document stream: namespaces, workloads, Services", "[inventory]") {
  auto r = read(std::string(R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: a}
---
)") + kDeployment + R"(---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {port: 9090, protocol: UDP}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: b}
---
)");
  INFO(r->diagnostics());
  REQUIRE_FALSE(r->sink.has_errors());
  REQUIRE(r->inv.workloads().size() == 1);
  const auto* w = workload(r->inv, "shop", "web");
  REQUIRE(w != nullptr);
  CHECK(w->kind == "Deployment");
  CHECK(w->labels == Labels{{"app", "web"}, {"tier", "front"}});
  REQUIRE(w->ports.size() == 3);
  CHECK(w->ports[0].str() == "http=8080/tcp");
  CHECK(w->ports[1].str() == "9090/udp");
  CHECK(w->ports[2].str() == "metrics=15090/tcp");
  CHECK(w->ports[2].init);
  CHECK(w->ports[2].container == "proxy");
  CHECK(r->sm.where(w->span) == "inv.yaml:10:9");
  CHECK(r->sm.where(w->ports[0].span) == "inv.yaml:23:26");
  REQUIRE(r->inv.services().size() == 1);
  const auto& svc = r->inv.services()[0];
  REQUIRE(svc.ports.size() == 2);
  CHECK(svc.ports[0].port == 80);
  CHECK(svc.ports[0].target_name == "http");
  CHECK(svc.ports[1].target_number == 9090);  // targetPort defaults to port
  CHECK(svc.ports[1].protocol == net::Protocol::UDP);
  CHECK(r->inv.services_selecting(0) == std::vector<std::size_t>{0});
  auto labels = r->inv.namespace_labels("shop");
  REQUIRE(labels);
  CHECK(labels->at("team") == "a");
  CHECK(labels->at("kubernetes.io/metadata.name") == "shop");
  CHECK_FALSE(r->inv.namespace_labels("other"));
  CHECK(r->inv.namespace_names() == std::vector<std::string>{"shop"});
}

TEST_CASE("kind: List, typed lists, JSON, and every workload kind", "[inventory]") {
  auto r = read(R"({"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a", "labels": {"app": "p"}},
   "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}},
  {"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [
    {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"metadata": {"labels": {"app": "d"}}}}}]},
  {"kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": {"metadata": {"labels": {"app": "s"}}}}},
  {"kind": "DaemonSet", "metadata": {"name": "ds"}, "spec": {"template": {}}},
  {"kind": "ReplicaSet", "metadata": {"name": "rs"}, "spec": {"template": {}}},
  {"kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"metadata": {"labels": {"app": "j"}}}}},
  {"kind": "CronJob", "metadata": {"name": "cj"},
   "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"app": "cj"}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080, "name": "http"}]}]}}}}}}
]})", "apps");
  INFO(r->diagnostics());
  REQUIRE_FALSE(r->sink.has_errors());
  CHECK(r->inv.workloads().size() == 7);
  CHECK(workload(r->inv, "a", "p") != nullptr);
  CHECK(workload(r->inv, "apps", "d") != nullptr);  // no namespace: the default given
  for (const char* name : {"s", "ds", "rs", "j"}) CHECK(workload(r->inv, "apps", name) != nullptr);
  const auto* cj = workload(r->inv, "apps", "cj");
  REQUIRE(cj != nullptr);
  CHECK(cj->labels.at("app") == "cj");
  REQUIRE(cj->ports.size() == 1);
  CHECK(cj->ports[0].str() == "http=8080/tcp");
}

TEST_CASE("CRLF line endings keep lines and columns right", "[inventory]") {
  std::string text = "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  labels:\r\n    version: 1.0\r\n";
  auto r = read(text);
  REQUIRE(r->sink.has_errors());
  auto out = r->diagnostics();
  CHECK(out.find("inv.yaml:6:14: error[E0802]: the value of label 'version' is a string, but YAML reads 1.0 as a number") != std::string::npos);
  CHECK(out.find(R"(write it in quotes: "1.0")") != std::string::npos);
  auto good = read("apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  labels: {app: \"p\"}\r\nspec:\r\n  containers:\r\n  - name: c\r\n"
                   "    ports:\r\n    - containerPort: 8080\r\n");
  INFO(good->diagnostics());
  REQUIRE(good->inv.workloads().size() == 1);
  CHECK(good->sm.where(good->inv.workloads()[0].ports[0].span) == "inv.yaml:10:22");
  CHECK(good->sm.text(good->inv.workloads()[0].ports[0].span) == "8080");
}

TEST_CASE("a UTF-8 byte order mark does not shift columns", "[inventory]") {
  auto r = read("\xEF\xBB\xBFkind: Pod\nmetadata:\n  name: p\n  labels: {version: 1.0}\n");
  CHECK(r->diagnostics().find("inv.yaml:4:21: error[E0802]") != std::string::npos);
  auto bad = read("\xEF\xBB\xBFkind: Pod\nmetadata: {name: [p}\n");
  CHECK(bad->diagnostics().find("inv.yaml:2:") != std::string::npos);
}

TEST_CASE("mangled manifests: whatever is cut or flipped, the reader reports and returns", "[inventory]") {
  // Every prefix of a realistic file, and bytes changed here and there: no exception, no crash
  // (the sanitizer build runs this too), and never more objects than the file holds.
  auto text = fence::sema::read_disk(std::string(FENCE_SOURCE_DIR) + "/tests/inventory/boutique/data.yaml");
  REQUIRE(text);
  std::uint32_t seed = 7;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (std::size_t cut = 0; cut < text->size(); cut += 13) {
    auto r = read(text->substr(0, cut));
    CHECK(r->inv.workloads().size() <= 3);
  }
  const char flips[] = {'{', '}', '[', ']', ':', '-', '&', '*', '!', '|', '>', '"', '\'', '\n', '\t', '#', '\0', '\xff'};
  for (int round = 0; round < 300; ++round) {
    std::string t = *text;
    for (int k = 0; k < 3; ++k) t[next() % t.size()] = flips[next() % sizeof(flips)];
    auto r = read(t);
    CHECK(r->inv.workloads().size() <= 3);
  }
}

TEST_CASE("anchors, aliases and merge keys", "[inventory]") {
  auto r = read(R"(kind: Deployment
metadata:
  name: web
  labels: &base {app: web, team: a}
spec:
  template:
    metadata:
      labels:
        <<: *base
        team: b
        tier: front
    spec:
      containers:
      - &c {name: a, ports: [{containerPort: 80}]}
      - *c
)");
  INFO(r->diagnostics());
  REQUIRE_FALSE(r->sink.has_errors());
  const auto* w = workload(r->inv, "default", "web");
  REQUIRE(w != nullptr);
  CHECK(w->labels == Labels{{"app", "web"}, {"team", "b"}, {"tier", "front"}});  // the map's own key wins
  CHECK(w->ports.size() == 2);

  SECTION("an alias inside the node it names is an error, not a loop") {
    auto bad = read("kind: Pod\nmetadata: &m {name: p, labels: *m}\n");
    CHECK(bad->has("E0801"));
  }
  SECTION("nested aliases are shared, not expanded (a billion laughs read in no time)") {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 30; ++i) {
      text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int k = 0; k < 10; ++k) text += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
      text += "]\n";
    }
    text += "kind: Pod\nmetadata: {name: p}\n";
    auto laughs = read(text);
    INFO(laughs->diagnostics());
    CHECK(laughs->inv.workloads().size() == 1);
  }
}

TEST_CASE("text that is not YAML: E0801 where it breaks, what came before kept", "[inventory]") {
  auto r = read("kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: [b\n---\nkind: Pod\nmetadata: {name: c}\n");
  CHECK(r->inv.workloads().size() == 1);
  auto out = r->diagnostics();
  CHECK(out.find("inv.yaml:6:1: error[E0801]: this is not valid YAML") != std::string::npos);
  SECTION("a Helm template that was not rendered says so") {
    auto t = read("kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"x\" . | nindent 4 }}\n");
    CHECK(t->has("E0801"));
    CHECK(t->diagnostics().find("render it first (helm template CHART") != std::string::npos);
  }
  SECTION("deep nesting is refused, not a stack overflow") {
    std::string deep(100000, '[');
    auto d = read(deep);
    CHECK(d->has("E0801"));
  }
  SECTION("empty files, comments and empty documents are nothing") {
    for (const char* text : {"", "# nothing\n", "---\n---\n", "--- \n# Source: x\n---\n...\n"}) {
      auto e = read(text);
      CHECK_FALSE(e->sink.has_errors());
      CHECK(e->inv.workloads().empty());
    }
  }
  SECTION("bytes that are no text") {
    std::string junk;
    for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) % 256);
    auto j = read(junk);  // whatever it reports, it reports and returns
    CHECK(j->inv.workloads().empty());
  }
}

TEST_CASE("objects the API server would refuse: E0802 at the value, the object left out", "[inventory]") {
  auto check = [](const std::string& text, const std::string& where_and_message) {
    auto r = read(text);
    INFO(text);
    auto out = r->diagnostics();
    INFO(out);
    CHECK(out.find(where_and_message) != std::string::npos);
    CHECK(r->inv.workloads().empty());
    CHECK(r->inv.services().empty());
  };
  check("- a\n- b\n", "inv.yaml:1:1: error[E0802]: a manifest is an object (a mapping of fields), but this document is a list");
  check("metadata: {name: a}\n", "inv.yaml:1:1: error[E0802]: this object has no `kind`, so it is not a Kubernetes object");
  check("kind: Pod\nmetadata: {labels: {a: b}}\n", "inv.yaml:2:11: error[E0802]: this Pod has no metadata.name");
  check("kind: Pod\nmetadata: {name: p, labels: {on: yes}}\n", "inv.yaml:2:30: error[E0802]: a label key is a string, but YAML reads on as a boolean or null");
  check("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: \"80\"}]}]}\n",
        "inv.yaml:3:55: error[E0802]: containerPort is a port number from 1 to 65535, but this is '80'");
  check("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: 70000}]}]}\n",
        "error[E0802]: containerPort 70000 is out of range: ports are 1 to 65535");
  check("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: 80, protocol: tcp}]}]}\n",
        "error[E0802]: 'tcp' is not a protocol the API server accepts: TCP, UDP or SCTP");
  check("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, ports: [{containerPort: 80, name: HTTP_PORT}]}]}\n",
        "error[E0802]: 'HTTP_PORT' is not a valid port name");
  check("kind: Pod\nmetadata: {name: p}\nspec: {containers: {name: c}}\n", "error[E0802]: containers is a list, but this is a mapping");
  check("kind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1}\n",
        "inv.yaml:2:18: error[E0802]: this Deployment has no spec.template, so Fence cannot tell which pods it runs");
  check("kind: Pod\nmetadata: {name: p, namespace: Shop}\n", "error[E0802]: 'Shop' is not a valid namespace name");
  check("kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetPort: \"8080\"}]}\n",
        "error[E0802]: targetPort '8080' is neither a port number nor a valid port name");
  check("kind: Pod\nmetadata: {name: p, labels: {app: \"a b\"}}\n", "error[E0802]: 'a b' is not a valid value for label 'app'");
}

TEST_CASE("a large inventory is read in one pass", "[inventory]") {
  // 20,000 Deployments, about 9 MB: the reader must not be quadratic in anything.
  std::string text;
  constexpr int kWorkloads = 20000;
  for (int i = 0; i < kWorkloads; ++i) {
    auto n = std::to_string(i);
    text += "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w" + n + "\n  namespace: ns" + std::to_string(i / 100) +
            "\nspec:\n  template:\n    metadata:\n      labels:\n        app: w" + n +
            "\n    spec:\n      containers:\n      - name: c\n        image: app\n        ports:\n        - containerPort: " +
            std::to_string(8000 + i % 100) + "\n";
  }
  auto r = read(text);
  REQUIRE_FALSE(r->sink.has_errors());
  REQUIRE(r->inv.workloads().size() == kWorkloads);
  CHECK(r->inv.namespace_names().size() == kWorkloads / 100);
  net::LabelSelector sel;
  sel.add({"app", net::SelOp::Equals, {"w12345"}});
  auto found = r->inv.select("ns123", sel);
  REQUIRE(found.size() == 1);
  CHECK(r->inv.workloads()[found[0]].ports[0].number == 8045);
  CHECK(r->sm.where(r->inv.workloads()[found[0]].span) == fmt::format("inv.yaml:{}:9", 12345 * 17 + 5));
}

TEST_CASE("inventories from several files: duplicates, selection, namespaces", "[inventory]") {
  SourceManager sm;
  DiagnosticSink sink;
  Inventory inv;
  inv.add(read_manifests("a.yaml", kDeployment), sm, sink);
  inv.add(read_manifests("b.yaml", std::string("# again\n") + kDeployment +
                                       "---\nkind: Namespace\nmetadata: {name: other, labels: {team: x}}\n---\n"
                                       "kind: Pod\nmetadata: {name: solo, namespace: other, labels: {app: solo, tier: db}}\n"),
          sm, sink);
  auto out = render_all(sink, sm);
  CHECK(out.find("b.yaml:5:9: warning[W0804]: the inventory has Deployment shop/web twice; Fence reads the first") != std::string::npos);
  CHECK(out.find("a.yaml:4:9: note: the first is here") != std::string::npos);
  CHECK(inv.workloads().size() == 2);
  CHECK(inv.has_namespace("other"));
  CHECK(inv.has_workloads("shop"));
  CHECK_FALSE(inv.has_workloads("elsewhere"));

  ir::Endpoint ep;
  ep.ns.kind = ir::NamespaceSel::Kind::Selector;
  ep.ns.selector.add({"team", net::SelOp::Equals, {"x"}});
  auto s = select(inv, ep);
  // `shop` has no Namespace object, so its labels are unknown; `other` matches.
  CHECK(s.decided);
  CHECK(s.workloads.size() == 1);
  ep.ns.selector = {};
  ep.ns.selector.add({"team", net::SelOp::Equals, {"y"}});
  CHECK_FALSE(select(inv, ep).decided);  // shop might be team=y: cannot tell
  ep.ns.kind = ir::NamespaceSel::Kind::Any;
  ep.pods.add({"tier", net::SelOp::Exists, {}});
  auto any = select(inv, ep);
  CHECK(any.decided);
  CHECK(any.workloads.size() == 2);
  ep.ns = ir::NamespaceSel{ir::NamespaceSel::Kind::Named, "elsewhere", {}};
  CHECK_FALSE(select(inv, ep).decided);
}

TEST_CASE("queries: a workload as sources name it, its ports, where a Service sends", "[inventory]") {
  auto r = read(std::string(kDeployment) +
                "---\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                "spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}, {port: 81, targetPort: grpc}, {port: 53, protocol: UDP}]}\n"
                "---\nkind: Pod\nmetadata: {name: lone, namespace: shop, labels: {role: cache}}\n");
  REQUIRE_FALSE(r->sink.has_errors());
  const auto& inv = r->inv;
  const auto* web = inv.named("shop", "web", "app");
  REQUIRE(web != nullptr);
  CHECK(web->name == "web");
  // Not a workload's name: the first whose pods carry the label key with that value.
  CHECK(inv.named("shop", "cache", "role") == inv.find("shop", "lone"));
  CHECK(inv.named("shop", "cache", "app") == nullptr);
  CHECK(inv.named("other", "web", "app") == nullptr);

  REQUIRE(web->port_named("metrics") != nullptr);  // an init container's port counts
  CHECK(web->port_named("metrics")->number == 15090);
  CHECK(web->port_named("grpc") == nullptr);
  REQUIRE(web->port_numbered(8080, net::Protocol::TCP) != nullptr);
  CHECK(web->port_numbered(8080, net::Protocol::TCP)->name == "http");
  CHECK(web->port_numbered(9090, net::Protocol::TCP) == nullptr);  // declared for UDP only
  CHECK(web->port_numbered(9090, net::Protocol::Any) != nullptr);

  auto services = inv.services_selecting(static_cast<std::size_t>(web - inv.workloads().data()));
  REQUIRE(services.size() == 1);
  const auto& ports = inv.services()[services[0]].ports;
  REQUIRE(ports.size() == 3);
  CHECK(ports[0].target_on(*web) == std::optional<std::uint16_t>(8080));
  CHECK(ports[0].target_str() == "the port named http");
  CHECK_FALSE(ports[1].target_on(*web).has_value());  // the pods declare no port named grpc
  CHECK(ports[2].target_on(*web) == std::optional<std::uint16_t>(53));  // targetPort defaults to port
  CHECK(ports[2].target_str() == "53");
  CHECK(net::protocol_lower(ports[2].protocol) == "udp");
}

TEST_CASE("paths: files, directories in path order, problems", "[inventory]") {
  namespace fs = std::filesystem;
  test::TempDir tmp("fence-inventory-paths");
  const auto& dir = tmp.path();
  tmp.write("b.yaml", "kind: Pod\nmetadata: {name: b}\n");
  tmp.write("sub/a.json", R"({"kind": "Pod", "metadata": {"name": "a"}})");
  tmp.write("notes.txt", "not read");
  auto e = expand(dir.string());
  CHECK(e.problem.empty());
  REQUIRE(e.files.size() == 2);
  CHECK(e.files[0].find("b.yaml") != std::string::npos);
  CHECK(expand((dir / "missing").string()).problem.find("no such file or directory") != std::string::npos);
  fs::create_directories(dir / "empty");
  CHECK(expand((dir / "empty").string()).problem.find("holds no *.yaml, *.yml or *.json files") != std::string::npos);

  SourceManager sm;
  DiagnosticSink sink;
  std::vector<Source> sources{Source{dir.string(), Span{}}, Source{(dir / "b.yaml").string(), Span{}}, Source{(dir / "missing").string(), Span{}}};
  auto inv = load(sources, LoadOptions{}, sm, sink);
  CHECK(inv.workloads().size() == 2);  // b.yaml is read once
  CHECK(sink.error_count() == 1);
  CHECK(code_info(sink.raw()[0].code).id == "E0803");

  SECTION("a cache reads a file again only when it changed") {
    Cache cache;
    std::string problem;
    auto first = cache.get((dir / "b.yaml").string(), problem);
    auto again = cache.get((dir / "b.yaml").string(), problem);
    CHECK(first.get() == again.get());
    tmp.write("b.yaml", "kind: Pod\nmetadata: {name: b2, namespace: x}\n---\nkind: Pod\nmetadata: {name: b3}\n");
    auto changed = cache.get((dir / "b.yaml").string(), problem);
    REQUIRE(changed != nullptr);
    CHECK(changed->workloads.size() == 2);
    fs::remove(dir / "b.yaml");
    CHECK(cache.get((dir / "b.yaml").string(), problem) == nullptr);
    CHECK_FALSE(problem.empty());
  }
}
