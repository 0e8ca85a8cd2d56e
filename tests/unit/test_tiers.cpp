// Tiers: `admin priority N { ... }` and `baseline priority N { ... }` blocks, `defer`, their
// syntax, their IR (tier, tier block, the Pass action, the implied other side), their errors, and
// the targets without tiers refusing them.
#include <catch2/catch.hpp>

#include "diag/render.h"
#include "helpers.h"
#include "syntax/parser.h"

using fence::test::compile;
using namespace fence;

namespace {

struct Parsed {
  SourceManager sm;
  DiagnosticSink sink;
  ast::File file;
  std::string diags() const { return render_all(sink, sm); }
};

std::unique_ptr<Parsed> parse(const std::string& text) {
  auto p = std::make_unique<Parsed>();
  auto id = p->sm.add("t.fence", text);
  p->file = syntax::parse(p->sm, id, p->sink);
  return p;
}

// The program's IR, without lowering it for a target (none of the built-in ones has tiers).
struct Analyzed {
  std::unique_ptr<driver::Compilation> c;
  bool ok = false;
  std::string diagnostics() const { return render_all(c->sink(), c->sources()); }
  const ir::Program& ir() const { return c->program(); }
  std::size_t count(std::string_view id) const {
    std::size_t n = 0;
    for (const auto& d : c->sink().raw()) n += code_info(d.code).id == id;
    return n;
  }
};

Analyzed analyze(const std::string& text) {
  Analyzed out;
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  out.c = std::make_unique<driver::Compilation>(opt);
  if (!out.c->load({{"test.fence", text}})) return out;
  out.ok = out.c->analyze() && !out.c->sink().has_errors();
  return out;
}

const char* kExample =
    "import std\n"
    "admin priority 10 {\n"
    "  all namespaces must not reach metadata\n"
    "  ns[team=monitoring]/pods[app=prometheus] may reach all namespaces:9090\n"
    "  all namespaces defer reach ns[env=dev]\n"
    "}\n"
    "baseline priority 100 {\n"
    "  all namespaces must not reach all namespaces\n"
    "}\n";

}  // namespace

TEST_CASE("tier blocks and defer parse", "[syntax][tiers]") {
  auto p = parse(kExample);
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  REQUIRE(p->file.items.size() == 3);
  const auto& admin = std::get<ast::Block>(p->file.items[1].node);
  CHECK(admin.kind == ast::Block::Kind::Tier);
  CHECK(admin.tier == ast::Tier::Admin);
  CHECK(admin.priority_value == 10);
  CHECK(p->sm.text(admin.header_span) == "admin priority 10");
  CHECK(p->sm.text(admin.priority.span) == "10");
  REQUIRE(admin.items.size() == 3);
  CHECK(std::get<ast::Statement>(admin.items[0].node).verb == ast::Verb::MustNotReach);
  CHECK(std::get<ast::Statement>(admin.items[1].node).verb == ast::Verb::MayReach);
  const auto& defer = std::get<ast::Statement>(admin.items[2].node);
  CHECK(defer.verb == ast::Verb::DeferReach);
  CHECK(p->sm.text(defer.verb_span) == "defer reach");
  const auto& baseline = std::get<ast::Block>(p->file.items[2].node);
  CHECK(baseline.tier == ast::Tier::Baseline);
  CHECK(baseline.priority_value == 100);
}

TEST_CASE("admin, baseline and priority stay usable as names", "[syntax][tiers]") {
  auto p = parse("namespace admin {\n  admin may reach baseline, priority:8080\n}\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  const auto& b = std::get<ast::Block>(p->file.items[0].node);
  CHECK(b.kind == ast::Block::Kind::Namespace);
  CHECK(b.name.text == "admin");
  const auto& s = std::get<ast::Statement>(b.items[0].node);
  CHECK(s.subjects[0].pod->name.text == "admin");
  CHECK(s.targets.size() == 2);
}

TEST_CASE("defer be reached by parses; defer send to is refused", "[syntax][tiers]") {
  auto p = parse("admin priority 0 {\n  all namespaces defer be reached by ns[env=dev]\n}\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  const auto& b = std::get<ast::Block>(p->file.items[0].node);
  CHECK(b.priority_value == 0);
  CHECK(std::get<ast::Statement>(b.items[0].node).verb == ast::Verb::DeferBeReachedBy);

  auto q = parse("admin priority 1 {\n  all namespaces defer send to ns[env=dev]\n}\n");
  auto d = q->diags();
  CHECK(d.find("E0121") != std::string::npos);
  CHECK(d.find("t.fence:2:18") != std::string::npos);
  CHECK(d.find("write `defer reach`") != std::string::npos);
}

TEST_CASE("a tier block without a priority, or with one above 1000, is refused where it is written", "[syntax][tiers]") {
  auto p = parse("admin {\n  all namespaces must not reach 10.0.0.0/8\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("error[E0119]") != std::string::npos);
  CHECK(d.find("t.fence:1:1") != std::string::npos);
  CHECK(d.find("admin priority N") != std::string::npos);
  // The body is still read.
  REQUIRE(p->file.items.size() == 1);
  CHECK(std::get<ast::Block>(p->file.items[0].node).items.size() == 1);

  auto q = parse("baseline priority {\n}\n");
  CHECK(q->diags().find("E0119") != std::string::npos);

  auto r = parse("baseline priority 1001 {\n}\n");
  CHECK(r->diags().find("error[E0120]") != std::string::npos);
  CHECK(r->diags().find("t.fence:1:19") != std::string::npos);
  auto big = parse("baseline priority 99999999999999999999 {\n}\n");
  CHECK(big->diags().find("E0120") != std::string::npos);
  auto edge = parse("baseline priority 1000 {\n}\n");
  CHECK_FALSE(edge->sink.has_errors());
}

TEST_CASE("tier rules are cluster-wide, carry their tier and block, and defer is Pass", "[sema][tiers]") {
  auto a = analyze(kExample);
  INFO(a.diagnostics());
  REQUIRE(a.ok);
  const auto& p = a.ir();
  REQUIRE(p.tier_blocks.size() == 2);
  CHECK(p.tier_blocks[0].tier == ir::Tier::Admin);
  CHECK(p.tier_blocks[0].priority == 10);
  CHECK(p.tier_blocks[1].tier == ir::Tier::Baseline);
  CHECK(p.tier_blocks[1].priority == 100);
  // admin: deny (1), allow (1) + its implied ingress (1), pass (1); baseline: deny (1).
  REQUIRE(p.rules.size() == 5);
  for (const auto& r : p.rules) {
    CHECK(r.scope.cluster);
    CHECK(r.tier != ir::Tier::Namespace);
  }
  CHECK(p.rules[0].action == ir::Action::Deny);
  CHECK(p.rules[0].direction == ir::Direction::Egress);
  CHECK(p.rules[0].tier == ir::Tier::Admin);
  CHECK(p.rules[0].tier_block == 0);
  CHECK(p.rules[0].subject.str() == "all namespaces");
  CHECK(p.rules[0].peers.at(0).str() == "169.254.169.254/32");

  CHECK(p.rules[1].action == ir::Action::Allow);
  CHECK(p.rules[1].direction == ir::Direction::Egress);
  CHECK(p.rules[1].subject.str() == "ns[team=monitoring]/pods[app=prometheus]");
  CHECK_FALSE(p.rules[1].origin.implied);
  // The other side of the admin allow: the destinations' ingress, in the same block, right after.
  CHECK(p.rules[2].action == ir::Action::Allow);
  CHECK(p.rules[2].direction == ir::Direction::Ingress);
  CHECK(p.rules[2].origin.implied);
  CHECK(p.rules[2].tier == ir::Tier::Admin);
  CHECK(p.rules[2].tier_block == 0);
  CHECK(p.rules[2].subject.str() == "all namespaces");
  CHECK(p.rules[2].peers.at(0).str() == "ns[team=monitoring]/pods[app=prometheus]");
  REQUIRE(p.rules[2].ports.size() == 1);
  CHECK(p.rules[2].ports[0].str() == "9090/tcp");

  CHECK(p.rules[3].action == ir::Action::Pass);
  CHECK(p.rules[3].direction == ir::Direction::Egress);
  CHECK(p.rules[3].tier_block == 0);

  CHECK(p.rules[4].action == ir::Action::Deny);
  CHECK(p.rules[4].tier == ir::Tier::Baseline);
  CHECK(p.rules[4].tier_block == 1);
  // No namespace-tier rule was implied by the tier's rules.
  CHECK(p.namespaces.empty());
}

TEST_CASE("a deny, a defer and a one-sided allow in a tier imply nothing", "[sema][tiers]") {
  auto a = analyze(
      "admin priority 5 {\n"
      "  shop/web must not reach db/all pods\n"
      "  shop/web defer be reached by db/all pods\n"
      "  shop/web may send to db/all pods:5432\n"
      "}\n");
  INFO(a.diagnostics());
  REQUIRE(a.ok);
  REQUIRE(a.ir().rules.size() == 3);
  for (const auto& r : a.ir().rules) CHECK_FALSE(r.origin.implied);
  CHECK(a.ir().rules[1].direction == ir::Direction::Ingress);
  CHECK(a.ir().rules[1].action == ir::Action::Pass);
}

TEST_CASE("a baseline may be reached by implies the sources' egress in the baseline", "[sema][tiers]") {
  auto a = analyze("baseline priority 7 {\n  shop/db may be reached by shop/web:5432\n  all namespaces must not be reached by all namespaces\n}\n");
  INFO(a.diagnostics());
  REQUIRE(a.ok);
  const auto& rules = a.ir().rules;
  REQUIRE(rules.size() == 3);
  CHECK(rules[1].origin.implied);
  CHECK(rules[1].direction == ir::Direction::Egress);
  CHECK(rules[1].subject.str() == "shop/pods[app=web]");
  CHECK(rules[1].tier == ir::Tier::Baseline);
  CHECK(rules[2].action == ir::Action::Deny);
}

TEST_CASE("tier blocks work inside a top-level when, and hold lets", "[sema][tiers]") {
  auto a = analyze(
      "environments dev, prod\n"
      "when prod {\n"
      "  admin priority 1 {\n"
      "    let banned = 10.0.0.0/8\n"
      "    all namespaces must not reach banned\n"
      "  }\n"
      "}\n");
  INFO(a.diagnostics());
  REQUIRE(a.ok);
  // Without an environment, `when prod` holds in none.
  CHECK(a.ir().rules.empty());
}

TEST_CASE("what a tier block cannot hold, and where it cannot be, are coded errors", "[sema][tiers]") {
  auto nested = analyze("admin priority 1 {\n  baseline priority 2 { }\n}\n");
  CHECK(nested.count("E0122") == 1);
  auto in_ns = analyze("namespace shop {\n  admin priority 1 { }\n}\n");
  CHECK(in_ns.count("E0122") == 1);
  auto in_cluster = analyze("cluster {\n  baseline priority 1 { }\n}\n");
  CHECK(in_cluster.count("E0122") == 1);
  auto ns_inside = analyze("admin priority 1 {\n  namespace shop { web may reach db }\n}\n");
  CHECK(ns_inside.count("E0122") == 1);
  auto dd = analyze("baseline priority 1 {\n  default deny ingress\n}\n");
  CHECK(dd.count("E0122") == 1);
  CHECK(dd.diagnostics().find("test.fence:2:3") != std::string::npos);
  auto defer = analyze("namespace shop {\n  web defer reach db\n}\n");
  CHECK(defer.count("E0123") == 1);
  CHECK(defer.diagnostics().find("test.fence:2:7") != std::string::npos);
  CHECK_FALSE(defer.ok);
}

TEST_CASE("the k8s and cilium targets refuse tier statements, once per statement, naming the targets that have tiers", "[lower][tiers]") {
  const char* src = "admin priority 10 {\n  shop/web, shop/api must not reach 10.0.0.0/8, 192.168.0.0/16\n}\nnamespace shop { web may reach db }\n";
  auto k = compile(src, "k8s");
  CHECK_FALSE(k.ok);
  CHECK(k.count("E0411") == 1);
  CHECK(k.count("E0404") == 0);
  auto d = k.only("E0411");
  CHECK(d.find("test.fence:2:3") != std::string::npos);
  CHECK(d.find("--target cnp") != std::string::npos);
  CHECK(d.find("--target calico") != std::string::npos);
  CHECK(d.find("an `admin` block") != std::string::npos);
  auto c = compile("baseline priority 10 {\n  all namespaces may reach kube-system/all pods:53/udp\n}\n", "cilium");
  CHECK_FALSE(c.ok);
  CHECK(c.count("E0509") == 1);
  CHECK(c.only("E0509").find("a `baseline` block") != std::string::npos);
}

TEST_CASE("cnp and calico are targets a program may name", "[sema][tiers]") {
  auto a = analyze("targets k8s, cnp, calico\nnamespace shop {\n  for cnp { web may reach db }\n}\n");
  INFO(a.diagnostics());
  CHECK(a.count("E0230") == 0);
}
