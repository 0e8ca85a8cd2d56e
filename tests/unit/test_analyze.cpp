// The reachability analysis behind `fence why` and `fence explain`, on the IR.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "helpers.h"

using namespace fence;
using namespace fence::analyze;

namespace {

// Loads and analyzes a program without lowering it: denies, DNS names and cluster blocks have a
// meaning even where the Kubernetes target cannot express them.
struct Analyzed {
  std::unique_ptr<driver::Compilation> c;
  const ir::Program& ir() const { return c->program(); }
};

Analyzed analyzed(const std::string& text, std::optional<std::string> env = std::nullopt) {
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  Analyzed a{std::make_unique<driver::Compilation>(opt)};
  REQUIRE(a.c->load({{"test.fence", text}}));
  INFO(render_all(a.c->sink(), a.c->sources()));
  REQUIRE(a.c->analyze(env));
  return a;
}

Endpoint ep(const ir::Program& p, const std::string& text, const Options& opt = {}) {
  auto e = parse_endpoint(text, false);
  bind_endpoint(e.endpoint, p, opt.label_key, opt.ns_labels);
  return e.endpoint;
}

struct Query {
  Endpoint to;
  QueryPort port;
};

Query to(const ir::Program& p, const std::string& text, const Options& opt = {}) {
  auto e = parse_endpoint(text, true);
  bind_endpoint(e.endpoint, p, opt.label_key, opt.ns_labels);
  return {e.endpoint, *e.port};
}

Verdict ask(const Analyzed& a, const std::string& from, const std::string& dest, const Options& opt = {}) {
  auto q = to(a.ir(), dest, opt);
  return why(a.ir(), ep(a.ir(), from, opt), q.to, q.port, opt);
}

std::string text_of(const Analyzed& a, const Verdict& v, const Options& opt = {}) {
  return why_text(v, ReportContext{a.ir(), a.c->sources(), opt, std::nullopt});
}

int line_of(const Analyzed& a, const ir::Rule* r) {
  const auto& f = a.c->sources().file(r->origin.statement.file);
  return static_cast<int>(f.locate(r->origin.statement.begin).line);
}

}  // namespace

TEST_CASE("with no policy at all, every connection is allowed and both sides are open", "[analyze]") {
  auto a = analyzed("namespace shop { }");
  auto v = ask(a, "shop/web", "shop/db:5432");
  CHECK(v.allowed == Tri::Yes);
  REQUIRE(v.egress);
  REQUIRE(v.ingress);
  CHECK(v.egress->isolated == Tri::No);
  CHECK(v.ingress->isolated == Tri::No);
  CHECK(v.suggestions.empty());
}

TEST_CASE("a may reach into a namespace that denies ingress is allowed by the implied ingress rule", "[analyze]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  default deny all\n"
      "  web may reach db:5432\n"
      "}\n");
  auto v = ask(a, "shop/web", "shop/db:5432");
  CHECK(v.allowed == Tri::Yes);
  REQUIRE(v.ingress->allows.size() == 1);
  CHECK(v.ingress->allows[0].rule->origin.implied);
  CHECK(line_of(a, v.ingress->allows[0].rule) == 3);
  REQUIRE(v.egress->allows.size() == 1);
  CHECK_FALSE(v.egress->allows[0].rule->origin.implied);
  CHECK(text_of(a, v).find("the ingress side of `web may reach db:5432`") != std::string::npos);
  // Another port is denied on both sides, and one statement opens both.
  auto other = ask(a, "shop/web", "shop/db:5433");
  CHECK(other.allowed == Tri::No);
  REQUIRE(other.suggestions.size() == 1);
  CHECK(other.suggestions[0].ns == "shop");
  CHECK(other.suggestions[0].statement == "web may reach db:5433");
}

TEST_CASE("a may reach into a namespace that does not deny ingress needs no ingress rule", "[analyze]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  default deny egress\n"
      "  web may reach data/db:5432\n"
      "}\n"
      "namespace data { }\n");
  // Sema adds no ingress rule: nothing isolates data/db, so ingress is open.
  for (const auto& r : a.ir().rules) CHECK_FALSE(r.origin.implied);
  auto v = ask(a, "shop/web", "data/db:5432");
  CHECK(v.allowed == Tri::Yes);
  CHECK(v.ingress->isolated == Tri::No);
  CHECK(v.ingress->allowed == Tri::Yes);
}

TEST_CASE("a denial names the missing side: egress open, but the destination's namespace denies ingress", "[analyze]") {
  auto a = analyzed(
      "namespace production {\n"
      "  default deny ingress\n"
      "  postgres may be reached by worker:5432\n"
      "}\n");
  auto v = ask(a, "production/web-api", "production/postgres:5432");
  CHECK(v.allowed == Tri::No);
  CHECK(v.egress->allowed == Tri::Yes);
  CHECK(v.ingress->allowed == Tri::No);
  auto text = text_of(a, v);
  INFO(text);
  CHECK(text.rfind("denied: production/web-api -> production/postgres on 5432/tcp\n", 0) == 0);
  CHECK(text.find("egress is open (nothing isolates production/web-api), but namespace production denies ingress (test.fence:2) and nothing "
                  "lets production/web-api in on 5432/tcp") != std::string::npos);
  REQUIRE(v.suggestions.size() == 1);
  CHECK(v.suggestions[0].statement == "postgres may be reached by web-api:5432");
}

TEST_CASE("a denial lists the rules that admit the peer on other ports", "[analyze]") {
  auto a = analyzed("namespace shop {\n  default deny egress\n  web may reach db:{5433, 6000-6010}\n}\n");
  auto v = ask(a, "shop/web", "shop/db:5432");
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.egress->other_ports.size() == 1);
  CHECK(text_of(a, v).find("on other ports only: test.fence:3: web may reach db:{5433, 6000-6010}") != std::string::npos);
}

TEST_CASE("a deny wins over every allow", "[analyze][deny]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  web may reach 0.0.0.0/0\n"
      "  web must not reach 169.254.169.254/32\n"
      "}\n");
  auto v = ask(a, "shop/web", "169.254.169.254:80");
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.egress->allows.size() == 1);
  REQUIRE(v.egress->denies.size() == 1);
  CHECK(line_of(a, v.egress->denies[0].rule) == 3);
  CHECK(v.suggestions.empty());  // adding an allow would not help
  CHECK(text_of(a, v).find("egress is denied by test.fence:3 (a deny wins over every allow)") != std::string::npos);
  CHECK(ask(a, "shop/web", "8.8.8.8:53/udp").allowed == Tri::Yes);
  // A block that only partly lies in the deny is undecided, and says why.
  auto part = ask(a, "shop/web", "169.254.0.0/16:80");
  CHECK(part.allowed == Tri::Maybe);
  REQUIRE(part.caveats.size() == 1);
  CHECK(part.caveats[0].kind == Caveat::Kind::PartialBlock);
}

TEST_CASE("a deny isolates its subject, like any rule of its direction", "[analyze][deny]") {
  auto a = analyzed("namespace shop {\n  web must not reach 10.0.0.0/8\n}\n");
  auto v = ask(a, "shop/web", "8.8.8.8:443");
  CHECK(v.allowed == Tri::No);
  CHECK(v.egress->isolated == Tri::Yes);
  CHECK(v.egress->denies.empty());
  // Other pods are not concerned.
  CHECK(ask(a, "shop/other", "8.8.8.8:443").allowed == Tri::Yes);
}

TEST_CASE("an ingress deny stops a source that an allow admits", "[analyze][deny]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  db may be reached by all namespaces/all pods:5432\n"
      "  db must not be reached by 10.1.0.0/16\n"
      "}\n");
  CHECK(ask(a, "shop/web@10.2.0.5", "shop/db:5432").allowed == Tri::Yes);
  auto v = ask(a, "shop/web@10.1.0.5", "shop/db:5432");
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.ingress->denies.size() == 1);
  // Without the address, the pod is taken to be outside the deny's CIDR, and the answer says so.
  auto open = ask(a, "shop/web", "shop/db:5432");
  CHECK(open.allowed == Tri::Yes);
  CHECK(open.caveats.empty());
  REQUIRE(open.assumptions.size() == 1);
  CHECK(open.assumptions[0].kind == Caveat::Kind::PodAddress);
  CHECK(text_of(a, open).find("assumed:\n  - shop/web's address is not given: taken to be outside 10.1.0.0/16 (test.fence:3)") != std::string::npos);
}

TEST_CASE("cluster-wide rules and default denies apply in every namespace", "[analyze]") {
  auto a = analyzed(
      "cluster {\n"
      "  default deny egress\n"
      "  all pods may reach kube-system/pods[k8s-app=kube-dns]:53/udp\n"
      "}\n");
  CHECK(ask(a, "shop/web", "kube-system/pods[k8s-app=kube-dns]:53/udp").allowed == Tri::Yes);
  auto v = ask(a, "other/x", "shop/web:80");
  CHECK(v.allowed == Tri::No);
  CHECK(text_of(a, v).find("every namespace denies egress (test.fence:2)") != std::string::npos);
}

TEST_CASE("ports: numbers, ranges, protocols, and named ports resolved on the destination", "[analyze][ports]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  default deny ingress\n"
      "  db may be reached by web:{5432, 7000-7010, 53/udp, http}\n"
      "}\n");
  CHECK(ask(a, "shop/web", "shop/db:5432").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "shop/db:5432/udp").allowed == Tri::No);
  CHECK(ask(a, "shop/web", "shop/db:7005").allowed == Tri::Yes);
  // 7011 might be the port the pod calls http; known to be unnamed, it is denied.
  CHECK(ask(a, "shop/web", "shop/db:7011").allowed == Tri::Maybe);
  auto unnamed = to(a.ir(), "shop/db:7011");
  unnamed.port.name = "";
  CHECK(why(a.ir(), ep(a.ir(), "shop/web"), unnamed.to, unnamed.port).allowed == Tri::No);
  CHECK(ask(a, "shop/web", "shop/db:53/udp").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "shop/db:http=8080").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "shop/db:metrics=8080").allowed == Tri::No);
  // 8080 might be the port the pod calls http.
  auto v = ask(a, "shop/web", "shop/db:8080");
  CHECK(v.allowed == Tri::Maybe);
  REQUIRE(v.caveats.size() == 1);
  CHECK(v.caveats[0].kind == Caveat::Kind::PortName);
  CHECK(text_of(a, v).find("give the port as NAME=NUMBER") != std::string::npos);
  // Known to have no name: decided.
  auto q = to(a.ir(), "shop/db:8080");
  q.port.name = "";
  CHECK(why(a.ir(), ep(a.ir(), "shop/web"), q.to, q.port).allowed == Tri::No);
}

TEST_CASE("a named port never matches an address outside the cluster", "[analyze][ports]") {
  auto a = analyzed("namespace shop {\n  web may reach 0.0.0.0/0:http\n}\n");
  CHECK(ask(a, "shop/web", "8.8.8.8:80").allowed == Tri::No);
}

TEST_CASE("namespace selectors need the namespace's labels; without them the answer is undecided", "[analyze]") {
  auto a = analyzed(
      "namespace monitoring {\n"
      "  default deny ingress\n"
      "  prometheus may be reached by ns[team=shop]/all pods:9090\n"
      "}\n");
  auto open = ask(a, "shop/web", "monitoring/prometheus:9090");
  CHECK(open.allowed == Tri::Maybe);
  REQUIRE(open.caveats.size() == 1);
  CHECK(open.caveats[0].kind == Caveat::Kind::NamespaceLabels);
  CHECK(text_of(a, open).find("--ns-labels shop:KEY=VALUE") != std::string::npos);
  Options yes;
  yes.ns_labels["shop"] = {{"team", "shop"}};
  CHECK(ask(a, "shop/web", "monitoring/prometheus:9090", yes).allowed == Tri::Yes);
  Options no;
  no.ns_labels["shop"] = {{"team", "other"}};
  CHECK(ask(a, "shop/web", "monitoring/prometheus:9090", no).allowed == Tri::No);
  // A selector on the name label alone needs nothing more.
  auto b = analyzed("namespace m {\n  default deny ingress\n  p may be reached by ns[kubernetes.io/metadata.name in (shop)]/all pods\n}\n");
  CHECK(ask(b, "shop/web", "m/p:1").allowed == Tri::Yes);
  CHECK(ask(b, "dev/web", "m/p:1").allowed == Tri::No);
}

TEST_CASE("CIDR rules hold pods by address: given, from pod-cidrs, or assumed outside", "[analyze][cidr]") {
  const char* body =
      "namespace shop {\n"
      "  default deny egress\n"
      "  web may reach 10.0.0.0/8 except 10.1.0.0/16\n"
      "}\n";
  auto a = analyzed(body);
  CHECK(ask(a, "shop/web", "data/db@10.2.3.4:5432").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "data/db@10.1.3.4:5432").allowed == Tri::No);
  CHECK(ask(a, "shop/web", "data/db@192.168.0.1:5432").allowed == Tri::No);
  auto v = ask(a, "shop/web", "data/db:5432");
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.assumptions.size() == 1);
  CHECK(v.assumptions[0].kind == Caveat::Kind::PodAddress);
  CHECK(text_of(a, v).find("give it as data/db@ADDRESS, or declare `set pod-cidrs`, to check") != std::string::npos);
  // When something else leaves the answer open too, nothing is assumed.
  auto b = analyzed(
      "namespace shop {\n"
      "  default deny egress\n"
      "  web may reach 10.0.0.0/8, ns[team=data]/all pods\n"
      "}\n");
  auto both = ask(b, "shop/web", "data/db:5432");
  CHECK(both.allowed == Tri::Maybe);
  CHECK(both.assumptions.empty());
  CHECK(both.caveats.size() == 2);
  auto inside = analyzed(std::string("set pod-cidrs = 10.244.0.0/16\n") + body);
  CHECK(ask(inside, "shop/web", "data/db:5432").allowed == Tri::Yes);
  auto outside = analyzed(std::string("set pod-cidrs = 192.168.0.0/16\n") + body);
  CHECK(ask(outside, "shop/web", "data/db:5432").allowed == Tri::No);
}

TEST_CASE("DNS names match exactly or by pattern, and CIDRs hold them by their address", "[analyze][dns]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  default deny egress\n"
      "  web may reach api.stripe.com:443, *.example.com:443, 203.0.113.0/24:80\n"
      "}\n");
  CHECK(ask(a, "shop/web", "api.stripe.com:443").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "API.Stripe.com.:443").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "x.stripe.com:443").allowed == Tri::No);
  CHECK(ask(a, "shop/web", "www.example.com:443").allowed == Tri::Yes);
  CHECK(ask(a, "shop/web", "a.b.example.com:443").allowed == Tri::No);
  CHECK(ask(a, "shop/web", "cdn.other.org@203.0.113.9:80").allowed == Tri::Yes);
  auto v = ask(a, "shop/web", "cdn.other.org:80");
  CHECK(v.allowed == Tri::Maybe);
  CHECK(v.caveats.at(0).kind == Caveat::Kind::DnsAddress);
}

TEST_CASE("dns patterns: '*' stays within one label, and '*' alone matches every name", "[analyze][dns]") {
  CHECK(dns_pattern_matches("*", "a.b.c"));
  CHECK(dns_pattern_matches("*.example.com", "x.example.com"));
  CHECK(dns_pattern_matches("*.example.com", "-.example.com"));
  CHECK_FALSE(dns_pattern_matches("*.example.com", "example.com"));
  CHECK_FALSE(dns_pattern_matches("*.example.com", "a.b.example.com"));
  CHECK(dns_pattern_matches("api-*.example.com", "api-v2.example.com"));
  CHECK(dns_pattern_matches("api-*.example.com", "api-.example.com"));
  CHECK_FALSE(dns_pattern_matches("api-*.example.com", "api.example.com"));
  CHECK(dns_pattern_matches("*.*.com", "a.b.com"));
}

TEST_CASE("selectors follow Kubernetes: != and notin hold where the key is absent", "[analyze]") {
  net::LabelSelector s;
  s.add({"tier", net::SelOp::NotEquals, {"db"}});
  CHECK(selector_matches(s, {}));
  CHECK(selector_matches(s, {{"tier", "web"}}));
  CHECK_FALSE(selector_matches(s, {{"tier", "db"}}));
  net::LabelSelector t;
  t.add({"env", net::SelOp::In, {"prod", "stage"}});
  t.add({"canary", net::SelOp::DoesNotExist, {}});
  CHECK(selector_matches(t, {{"env", "stage"}}));
  CHECK_FALSE(selector_matches(t, {{"env", "stage"}, {"canary", ""}}));
  CHECK_FALSE(selector_matches(t, {{"env", "dev"}}));
  CHECK(selector_matches(net::LabelSelector{}, {}));
}

TEST_CASE("blocks: inside, outside, and partly inside a CIDR with excepts", "[analyze][cidr]") {
  ir::CidrBlock b;
  b.cidr = *net::parse_cidr("10.0.0.0/8").cidr;
  b.except.push_back(*net::parse_cidr("10.1.0.0/16").cidr);
  auto c = [](const char* s) { return *net::parse_cidr(s).cidr; };
  CHECK(block_holds(b, c("10.2.0.0/16")) == Tri::Yes);
  CHECK(block_holds(b, c("10.1.2.0/24")) == Tri::No);
  CHECK(block_holds(b, c("10.0.0.0/12")) == Tri::Maybe);  // holds 10.1.0.0/16
  CHECK(block_holds(b, c("0.0.0.0/0")) == Tri::Maybe);
  CHECK(block_holds(b, c("11.0.0.0/8")) == Tri::No);
  CHECK(block_holds(b, c("::/0")) == Tri::No);
}

TEST_CASE("workload names take the label key the program uses for that namespace", "[analyze][query]") {
  auto a = analyzed(
      "set label-key = \"app.kubernetes.io/name\"\n"
      "namespace shop { web may reach db:5432 }\n"
      "namespace ops { set label-key = \"role\"\n  agent may reach mon/node-exporter:9100 }\n"
      "namespace mon { set label-key = \"role\"\n  node-exporter may reach shop/web:80 }\n");
  CHECK(ep(a.ir(), "ops/agent").labels == Labels{{"role", "agent"}});
  CHECK(ep(a.ir(), "mon/node-exporter").labels == Labels{{"role", "node-exporter"}});
  // mon's reference to shop/web is read with shop's key, the one shop's own block uses.
  CHECK(ep(a.ir(), "shop/web").labels == Labels{{"app.kubernetes.io/name", "web"}});
  auto single = analyzed("set label-key = \"app.kubernetes.io/name\"\nnamespace shop { web may reach db:5432 }\n");
  CHECK(ep(single.ir(), "shop/db").labels == Labels{{"app.kubernetes.io/name", "db"}});
  Options o;
  o.label_key = "role";
  CHECK(ep(a.ir(), "shop/web", o).labels == Labels{{"role", "web"}});
  // A namespace the program never names takes the one key used everywhere, else app.
  CHECK_THROWS_AS(ep(a.ir(), "other/x"), QueryError);
  auto b = analyzed("namespace shop { web may reach db }");
  CHECK(ep(b.ir(), "other/x").labels == Labels{{"app", "x"}});
  auto c = analyzed("set label-key = \"k8s-app\"\nnamespace shop { web may reach db }");
  CHECK(ep(c.ir(), "other/x").labels == Labels{{"k8s-app", "x"}});
}

TEST_CASE("endpoints parse as pods, addresses and DNS names, with ports and addresses", "[analyze][query]") {
  auto p = parse_endpoint("production/web-api@10.244.1.7:http=8080/udp", true);
  CHECK(p.endpoint.kind == Endpoint::Kind::Pod);
  CHECK(p.endpoint.ns == "production");
  CHECK(p.endpoint.workload == std::optional<std::string>("web-api"));
  CHECK(p.endpoint.address->str() == "10.244.1.7/32");
  CHECK(p.port->number == std::optional<std::uint16_t>(8080));
  CHECK(p.port->name == std::optional<std::string>("http"));
  CHECK(p.port->protocol == net::Protocol::UDP);
  CHECK(p.port->str() == "http=8080/udp");

  auto q = parse_endpoint("production/pods[tier=db,app=x]:5432", true);
  CHECK(q.endpoint.labels == Labels{{"app", "x"}, {"tier", "db"}});
  CHECK(q.endpoint.str() == "production/pods[app=x,tier=db]");
  CHECK(q.port->str() == "5432/tcp");

  auto c = parse_endpoint("203.0.113.0/24:443", true);
  CHECK(c.endpoint.kind == Endpoint::Kind::Address);
  CHECK(c.endpoint.str() == "203.0.113.0/24");
  auto v6 = parse_endpoint("[2001:db8::1]:443", true);
  CHECK(v6.endpoint.str() == "2001:db8::1");
  CHECK(parse_endpoint("2001:db8::1", false).endpoint.kind == Endpoint::Kind::Address);
  auto d = parse_endpoint("API.Example.com@[2001:db8::5]:443", true);
  CHECK(d.endpoint.kind == Endpoint::Kind::Dns);
  CHECK(d.endpoint.str() == "api.example.com@2001:db8::5");
}

TEST_CASE("malformed endpoints are usage errors that say how to write them", "[analyze][query]") {
  auto err = [](const std::string& text, bool port) {
    try {
      parse_endpoint(text, port);
    } catch (const QueryError& e) {
      return e.message;
    }
    return std::string("(no error)");
  };
  CHECK(err("web-api", false) == "'web-api': give the namespace too, as NAMESPACE/web-api");
  CHECK(err("production/web-api", true).find("needs a port: add :PORT[/PROTOCOL]") != std::string::npos);
  CHECK(err("2001:db8::1", true).find("e.g. [2001:db8::1]:443") != std::string::npos);
  CHECK(err("production/web-api:5432", false) == "'production/web-api:5432': the port belongs to the destination (--to), not here");
  CHECK(err("production/web:0", true).find("ports are 1 to 65535") != std::string::npos);
  CHECK(err("production/web:80/any", true).find("one protocol") != std::string::npos);
  CHECK(err("production/web:80/icmp", true).find("unknown protocol 'icmp'") != std::string::npos);
  CHECK(err("production/pods[tier!=db]", false).find("KEY=VALUE pairs") != std::string::npos);
  CHECK(err("production/all pods", false).find("name one pod") != std::string::npos);
  CHECK(err("Production/web", false).find("not a valid namespace name") != std::string::npos);
  CHECK(err("10.0.0.1/8", false).find("bits set after its /8 prefix") != std::string::npos);
  CHECK(err("8.8.8.8:http", true).find("named ports belong to pods") != std::string::npos);
  CHECK(err("production/web@fd00::1:80", true).find("goes in brackets") != std::string::npos);
  CHECK(err("production/web@10.0.0.0/24", false).find("give one address") != std::string::npos);
  CHECK(err("", false).find("empty") != std::string::npos);
  CHECK(err("production/web:80x", true).find("is not a port") != std::string::npos);
}

TEST_CASE("why refuses a question with no pod at either end", "[analyze]") {
  auto a = analyzed("namespace shop { }");
  CHECK_THROWS_AS(ask(a, "8.8.8.8", "1.1.1.1:53"), QueryError);
}

TEST_CASE("explain lists each direction's lines with their statements and the far side", "[analyze][explain]") {
  auto a = analyzed(
      "namespace shop {\n"
      "  default deny egress\n"
      "  web may reach db:5432, data/cache:6379, 203.0.113.0/24:443\n"
      "  web must not reach 203.0.113.7/32\n"
      "}\n"
      "namespace data {\n"
      "  default deny ingress\n"
      "}\n"
      "namespace billing {\n"
      "  default deny ingress\n"
      "  ledger may be reached by shop/web:8443\n"
      "}\n");
  auto e = explain(a.ir(), ep(a.ir(), "shop/web"));
  CHECK(e.egress.isolated == Tri::Yes);
  CHECK(e.ingress.isolated == Tri::No);
  REQUIRE(e.egress.lines.size() == 5);
  const auto& db = e.egress.lines[0];
  CHECK(display(db.peer, a.ir(), {}) == "shop/db");
  REQUIRE(db.far);
  CHECK(db.far->isolated == Tri::No);
  // data/cache: data denies ingress, and the implied rule opens it.
  const auto& cache = e.egress.lines[1];
  REQUIRE(cache.far);
  CHECK(cache.far->isolated == Tri::Yes);
  CHECK(cache.far->covered == Tri::Yes);
  REQUIRE(cache.far->admitting.size() == 1);
  CHECK(cache.far->admitting[0].rule->origin.implied);
  CHECK(e.egress.lines[3].action == ir::Action::Deny);
  // billing's `may be reached by` opened shop's egress side, because shop denies egress.
  const auto& ledger = e.egress.lines[4];
  REQUIRE(ledger.rules.size() == 1);
  CHECK(ledger.rules[0].rule->origin.implied);
  auto text = explain_text(e, ReportContext{a.ir(), a.c->sources(), {}, std::nullopt});
  INFO(text);
  CHECK(text.find("  must not reach 203.0.113.7/32 on every port\n      test.fence:4: web must not reach 203.0.113.7/32\n") != std::string::npos);
  CHECK(text.find("ingress at data/cache: admitted by test.fence:3") != std::string::npos);
  CHECK(text.find("  may reach billing/ledger on 8443/tcp\n      test.fence:11: the egress side of `ledger may be reached by shop/web:8443`\n"
                  "      ingress at billing/ledger: admitted by test.fence:11\n") != std::string::npos);
}

TEST_CASE("explain shows a far side that does not admit the workload", "[analyze][explain]") {
  // shop/web is egress-isolated by its own rule, not by a default deny: nothing opens its egress
  // side for billing's `may be reached by`.
  auto a = analyzed(
      "namespace shop {\n"
      "  web may reach db:5432\n"
      "}\n"
      "namespace billing {\n"
      "  default deny ingress\n"
      "  ledger may be reached by shop/web:8443\n"
      "}\n");
  auto ledger = explain(a.ir(), ep(a.ir(), "billing/ledger"));
  REQUIRE(ledger.ingress.lines.size() == 1);
  REQUIRE(ledger.ingress.lines[0].far);
  CHECK(ledger.ingress.lines[0].far->covered == Tri::No);
  auto text = explain_text(ledger, ReportContext{a.ir(), a.c->sources(), {}, std::nullopt});
  INFO(text);
  CHECK(text.find("egress from shop/web: NOT admitted: its egress rules isolate it (test.fence:2) and nothing lets it reach billing/ledger") !=
        std::string::npos);
  // why agrees, and says what would open the egress side.
  auto v = ask(a, "shop/web", "billing/ledger:8443");
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.suggestions.size() == 1);
  CHECK(v.suggestions[0].ns == "shop");
  CHECK(v.suggestions[0].statement == "web may reach billing/ledger:8443");
}

TEST_CASE("explain of a workload nothing mentions: both directions open", "[analyze][explain]") {
  auto a = analyzed("namespace shop { web may reach db }");
  auto e = explain(a.ir(), ep(a.ir(), "shop/db"));
  CHECK(e.egress.isolated == Tri::No);
  CHECK(e.ingress.isolated == Tri::No);
  CHECK(e.egress.lines.empty());
  auto text = explain_text(e, ReportContext{a.ir(), a.c->sources(), {}, std::nullopt});
  CHECK(text.find("egress: open:") != std::string::npos);
}

TEST_CASE("why's JSON carries the answer, the sides and their citations", "[analyze][json]") {
  auto a = analyzed("namespace shop {\n  default deny ingress\n}\n");
  auto v = ask(a, "shop/web", "shop/db:80");
  auto j = nlohmann::json::parse(why_json(v, ReportContext{a.ir(), a.c->sources(), {}, std::nullopt}));
  CHECK(j["answer"] == "denied");
  CHECK(j["allowed"] == false);
  CHECK(j["egress"]["allowed"] == true);
  CHECK(j["ingress"]["isolated_by"][0]["line"] == 2);
  CHECK(j["ingress"]["isolated_by"][0]["default_deny"] == true);
  CHECK(j["suggestions"][0]["statement"] == "db may be reached by web:80");
  auto m = ask(a, "shop/web", "8.8.8.8:80");
  auto jm = nlohmann::json::parse(why_json(m, ReportContext{a.ir(), a.c->sources(), {}, std::nullopt}));
  CHECK(jm["ingress"].is_null());
}

TEST_CASE("endpoint parsing never fails other than with a QueryError", "[analyze][query][robustness]") {
  const std::string alphabet = "ab/:@[]=,.0123456789-*pods[]fd:x ";
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state >> 33);
  };
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (std::size_t n = next() % 24; n > 0; --n) text += alphabet[next() % alphabet.size()];
    for (bool with_port : {false, true}) {
      try {
        auto e = parse_endpoint(text, with_port);
        ++parsed;
        CHECK_FALSE(e.endpoint.str().empty());
      } catch (const QueryError& err) {
        CHECK_FALSE(err.message.empty());
      }
    }
    try {
      parse_namespace_labels(text);
    } catch (const QueryError& err) {
      CHECK_FALSE(err.message.empty());
    }
  }
  CHECK(parsed > 0);
}
