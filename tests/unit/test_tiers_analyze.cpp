// Tiers in the semantic engine (`fence why`, `fence explain`) and in the checks (W0640-W0642):
// admin first, then the namespaces' policies where they isolate the pod, then the baseline, then
// the default.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "analyze/reach.h"
#include "analyze/report.h"
#include "helpers.h"

using namespace fence;
using namespace fence::analyze;

namespace {

struct Analyzed {
  std::unique_ptr<driver::Compilation> c;
  const ir::Program& ir() const { return c->program(); }
  std::string diagnostics() const { return render_all(c->sink(), c->sources()); }
  std::size_t count(std::string_view id) const {
    std::size_t n = 0;
    for (const auto& d : c->sink().raw()) n += code_info(d.code).id == id;
    return n;
  }
};

Analyzed analyzed(const std::string& text) {
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  Analyzed a{std::make_unique<driver::Compilation>(opt)};
  REQUIRE(a.c->load({{"test.fence", text}}));
  INFO(render_all(a.c->sink(), a.c->sources()));
  REQUIRE(a.c->analyze());
  REQUIRE_FALSE(a.c->sink().has_errors());
  return a;
}

Options labelled() {
  Options o;
  o.ns_labels["monitoring"] = {{"team", "monitoring"}};
  o.ns_labels["shop"] = {{"team", "shop"}};
  o.ns_labels["front"] = {{"team", "front"}};
  o.ns_labels["front2"] = {{"team", "front"}};
  o.ns_labels["dev"] = {{"env", "dev"}};
  return o;
}

Verdict ask(const Analyzed& a, const std::string& from, const std::string& dest, const Options& opt) {
  auto f = parse_endpoint(from, false);
  bind_endpoint(f.endpoint, a.ir(), opt.label_key, opt.ns_labels);
  auto t = parse_endpoint(dest, true);
  bind_endpoint(t.endpoint, a.ir(), opt.label_key, opt.ns_labels);
  return why(a.ir(), f.endpoint, t.endpoint, *t.port, opt);
}

std::string text_of(const Analyzed& a, const Verdict& v, const Options& opt) {
  return why_text(v, ReportContext{a.ir(), a.c->sources(), opt, std::nullopt});
}

const char* kProgram =
    "admin priority 10 {\n"                                                              // 1
    "  all namespaces must not reach 169.254.169.254/32\n"                               // 2
    "  ns[team=monitoring]/pods[app=prometheus] may reach all namespaces:9090\n"         // 3
    "  all namespaces defer reach ns[env=dev]\n"                                         // 4
    "}\n"                                                                                // 5
    "baseline priority 100 {\n"                                                          // 6
    "  all namespaces must not reach all namespaces\n"                                   // 7
    "}\n"                                                                                // 8
    "namespace shop {\n"                                                                 // 9
    "  default deny ingress\n"                                                           // 10
    "  web may be reached by front/all pods:8080\n"                                      // 11
    "}\n"                                                                                // 12
    "namespace front2 {\n"                                                               // 13
    "  default deny egress\n"                                                            // 14
    "  api may reach shop/web:8080\n"                                                    // 15
    "}\n";                                                                               // 16

}  // namespace

TEST_CASE("why: an admin deny decides first, and is named with its tier and priority", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  auto v = ask(a, "shop/web", "169.254.169.254:80", opt);
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.egress);
  REQUIRE(v.egress->admin_decides != nullptr);
  CHECK(v.egress->admin_decides->action == ir::Action::Deny);
  auto text = text_of(a, v, opt);
  INFO(text);
  CHECK(text.find("egress is denied by admin priority 10 (test.fence:2)") != std::string::npos);
  CHECK(v.suggestions.empty());
}

TEST_CASE("why: an admin allow opens both ends, over the destination's default deny", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  auto v = ask(a, "monitoring/prometheus", "shop/web:9090", opt);
  auto text = text_of(a, v, opt);
  INFO(text);
  CHECK(v.allowed == Tri::Yes);
  REQUIRE(v.ingress);
  CHECK(v.ingress->isolated == Tri::Yes);  // shop denies ingress: without the admin tier, refused
  REQUIRE(v.ingress->admin_decides != nullptr);
  CHECK(v.ingress->admin_decides->origin.implied);
  CHECK(text.find("ingress is allowed by admin priority 10 (test.fence:3)") != std::string::npos);
  // On another port, the admin allow does not match: the namespace's default deny refuses it.
  auto other = ask(a, "monitoring/prometheus", "shop/web:9091", opt);
  CHECK(other.allowed == Tri::No);
}

TEST_CASE("why: where no namespace policy isolates a pod, the baseline decides", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  // front's egress: nothing isolates it, so the baseline's deny applies.
  auto v = ask(a, "front/api", "shop/web:8080", opt);
  auto text = text_of(a, v, opt);
  INFO(text);
  CHECK(v.allowed == Tri::No);
  REQUIRE(v.egress);
  CHECK(v.egress->allowed == Tri::No);
  REQUIRE(v.egress->baseline_decides != nullptr);
  CHECK(text.find("egress is denied by baseline priority 100 (test.fence:7): no namespace policy isolates front/api") != std::string::npos);
  REQUIRE(v.ingress);
  CHECK(v.ingress->allowed == Tri::Yes);  // shop's own rule admits front

  // front2's egress is isolated by its own default deny: the baseline is not consulted there.
  auto w = ask(a, "front2/api", "shop/web:8080", opt);
  auto wtext = text_of(a, w, opt);
  INFO(wtext);
  CHECK(w.allowed == Tri::Yes);
  CHECK(wtext.find("the baseline is not consulted") != std::string::npos);
}

TEST_CASE("why: an admin defer goes on to the namespace and baseline tiers", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  auto v = ask(a, "shop/web", "dev/api:80", opt);
  auto text = text_of(a, v, opt);
  INFO(text);
  REQUIRE(v.egress);
  REQUIRE(v.egress->admin_decides != nullptr);
  CHECK(v.egress->admin_decides->action == ir::Action::Pass);
  CHECK(v.egress->admin_through == Tri::Yes);
  CHECK(text.find("admin priority 10 defers to the next tier: test.fence:4") != std::string::npos);
  // shop/web's egress is not isolated: the baseline refuses it.
  CHECK(v.allowed == Tri::No);
  CHECK(v.egress->baseline_decides != nullptr);
}

TEST_CASE("why: without the namespaces' labels, a tier rule's namespace selector leaves the answer open", "[analyze][tiers]") {
  auto a = analyzed("admin priority 1 {\n  all namespaces must not reach ns[env=prod]\n}\n");
  Options none;
  auto v = ask(a, "shop/web", "billing/api:80", none);
  CHECK(v.allowed == Tri::Maybe);
  CHECK_FALSE(v.caveats.empty());
  auto opt = labelled();
  opt.ns_labels["billing"] = {{"env", "prod"}};
  CHECK(ask(a, "shop/web", "billing/api:80", opt).allowed == Tri::No);
  opt.ns_labels["billing"] = {{"env", "dev"}};
  CHECK(ask(a, "shop/web", "billing/api:80", opt).allowed == Tri::Yes);
}

TEST_CASE("why: blocks go by priority, not by their order in the source", "[analyze][tiers]") {
  auto a = analyzed(
      "admin priority 20 {\n  all namespaces must not reach 10.0.0.0/8\n}\n"
      "admin priority 5 {\n  shop/web may reach 10.1.2.3/32:443\n}\n");
  auto opt = labelled();
  auto v = ask(a, "shop/web", "10.1.2.3:443", opt);
  CHECK(v.allowed == Tri::Yes);
  auto text = text_of(a, v, opt);
  INFO(text);
  CHECK(text.find("admin priority 5 (test.fence:5)") != std::string::npos);
  CHECK(ask(a, "shop/web", "10.1.2.3:80", opt).allowed == Tri::No);
}

TEST_CASE("why --json names the deciding tier rule", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  auto v = ask(a, "front/api", "shop/web:8080", opt);
  auto j = nlohmann::json::parse(why_json(v, ReportContext{a.ir(), a.c->sources(), opt, std::nullopt}));
  REQUIRE(j["egress"]["decided_by_tier"].is_object());
  CHECK(j["egress"]["decided_by_tier"]["tier"] == "baseline");
  CHECK(j["egress"]["decided_by_tier"]["priority"] == 100);
  CHECK(j["egress"]["decided_by_tier"]["action"] == "deny");
  CHECK(j["egress"]["decided_by_tier"]["line"] == 7);
}

TEST_CASE("explain lists the tier rules around the namespace's own", "[analyze][tiers]") {
  auto a = analyzed(kProgram);
  auto opt = labelled();
  auto w = parse_endpoint("shop/web", false);
  bind_endpoint(w.endpoint, a.ir(), opt.label_key, opt.ns_labels);
  auto e = explain(a.ir(), w.endpoint, opt);
  CHECK(e.egress.admin.size() >= 2);
  CHECK(e.egress.baseline.size() == 1);
  CHECK(e.egress.isolated == Tri::No);  // tier rules isolate nothing
  CHECK(e.ingress.isolated == Tri::Yes);
  auto text = explain_text(e, ReportContext{a.ir(), a.c->sources(), opt, std::nullopt});
  INFO(text);
  CHECK(text.find("egress, first the admin tier") != std::string::npos);
  CHECK(text.find("admin priority 10: test.fence:2: all namespaces must not reach 169.254.169.254/32") != std::string::npos);
  CHECK(text.find("egress, then the baseline tier") != std::string::npos);
  CHECK(text.find("ingress, baseline tier: not consulted") == std::string::npos);  // no baseline ingress rule
}

// ---- checks ----

TEST_CASE("W0640: an admin deny that takes everything a namespace allow admits", "[check][tiers]") {
  auto a = analyzed("admin priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nnamespace shop {\n  web may reach 10.1.0.0/16:443\n}\n");
  INFO(a.diagnostics());
  CHECK(a.count("W0640") == 1);
  auto d = a.diagnostics();
  CHECK(d.find("test.fence:5:17: warning[W0640]") != std::string::npos);
  CHECK(d.find("test.fence:2:33: note: the admin priority 10 deny is here") != std::string::npos);
  // A defer before it leaves those connections to the namespace.
  auto b = analyzed(
      "admin priority 10 {\n  shop/web defer reach 10.1.0.0/16:443\n  all namespaces must not reach 10.0.0.0/8\n}\nnamespace shop {\n  web may reach "
      "10.1.0.0/16:443\n}\n");
  CHECK(b.count("W0640") == 0);
  // Part of it only: no warning.
  auto c = analyzed("admin priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nnamespace shop {\n  web may reach 0.0.0.0/0:443\n}\n");
  CHECK(c.count("W0640") == 0);
  // A baseline deny never takes from a namespace allow.
  auto e = analyzed("baseline priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nnamespace shop {\n  web may reach 10.1.0.0/16:443\n}\n");
  CHECK(e.count("W0640") == 0);
}

TEST_CASE("W0641: a baseline statement that never applies", "[check][tiers]") {
  auto a = analyzed(
      "baseline priority 100 {\n  shop/all pods must not be reached by all namespaces\n}\nnamespace shop {\n  default deny ingress\n}\n");
  INFO(a.diagnostics());
  CHECK(a.count("W0641") == 1);
  CHECK(a.diagnostics().find("isolate every pod in namespace shop in ingress") != std::string::npos);
  // Egress is not isolated there: it applies.
  auto b = analyzed("baseline priority 100 {\n  shop/all pods must not reach all namespaces\n}\nnamespace shop {\n  default deny ingress\n}\n");
  CHECK(b.count("W0641") == 0);
  // An admin rule decides every connection it is about.
  auto c = analyzed(
      "admin priority 1 {\n  all namespaces must not reach 10.0.0.0/8\n}\nbaseline priority 100 {\n  shop/web must not reach 10.1.0.0/16:443\n}\n");
  INFO(c.diagnostics());
  CHECK(c.count("W0641") == 1);
  CHECK(c.diagnostics().find("note: the admin priority 1 rule is here") != std::string::npos);
  // ... unless the admin tier may defer them.
  auto d = analyzed(
      "admin priority 1 {\n  shop/web defer reach 10.1.0.0/16\n  all namespaces must not reach 10.0.0.0/8\n}\nbaseline priority 100 {\n  shop/web must "
      "not reach 10.1.0.0/16:443\n}\n");
  CHECK(d.count("W0641") == 0);
}

TEST_CASE("W0642: two blocks of one tier with one priority, on overlapping pods", "[check][tiers]") {
  auto a = analyzed("admin priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nadmin priority 10 {\n  ns[team=ops] may reach 10.0.0.0/8:22\n}\n");
  INFO(a.diagnostics());
  CHECK(a.count("W0642") == 1);
  CHECK(a.diagnostics().find("test.fence:4:16: warning[W0642]") != std::string::npos);
  auto b = analyzed("admin priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nadmin priority 11 {\n  ns[team=ops] may reach 10.0.0.0/8:22\n}\n");
  CHECK(b.count("W0642") == 0);
  auto c = analyzed("admin priority 10 {\n  shop/web must not reach 10.0.0.0/8\n}\nadmin priority 10 {\n  billing/api may reach 10.0.0.0/8:22\n}\n");
  CHECK(c.count("W0642") == 0);
  // One admin and one baseline block may share a number.
  auto d = analyzed("admin priority 10 {\n  all namespaces must not reach 10.0.0.0/8\n}\nbaseline priority 10 {\n  all namespaces may reach 10.0.0.0/8:22\n}\n");
  CHECK(d.count("W0642") == 0);
}

TEST_CASE("the namespace checks do not read tier rules as namespace policies", "[check][tiers]") {
  // As a namespace rule, this would isolate web's egress without DNS (W0604) and reach the
  // metadata endpoint (W0606); a tier rule isolates nothing.
  auto a = analyzed("admin priority 1 {\n  shop/web may reach 0.0.0.0/0\n}\n");
  INFO(a.diagnostics());
  CHECK(a.count("W0604") == 0);
  CHECK(a.count("W0606") == 0);
  // And an admin deny is no namespace deny taking from an allow (E0601).
  auto b = analyzed("admin priority 1 {\n  all namespaces must not reach 10.0.0.0/8\n}\nnamespace shop {\n  web may reach 10.1.0.0/16:443\n}\n");
  CHECK(b.count("E0601") == 0);
}
