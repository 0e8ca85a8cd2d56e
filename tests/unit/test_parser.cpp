#include <algorithm>
#include <cctype>

#include <catch2/catch.hpp>

#include "diag/render.h"
#include "syntax/parser.h"

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
}  // namespace

TEST_CASE("the mission line parses inside a namespace block", "[syntax]") {
  auto p = parse("namespace production {\n  default deny egress\n  web-api may reach postgres:5432, dns, 203.0.113.0/24:443\n}\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  REQUIRE(p->file.items.size() == 1);
  const auto& block = std::get<ast::Block>(p->file.items[0].node);
  CHECK(block.kind == ast::Block::Kind::Namespace);
  CHECK(block.name.text == "production");
  REQUIRE(block.items.size() == 2);
  CHECK(std::get<ast::DefaultDeny>(block.items[0].node).direction == ast::Direction::Egress);
  const auto& s = std::get<ast::Statement>(block.items[1].node);
  CHECK(s.verb == ast::Verb::MayReach);
  REQUIRE(s.subjects.size() == 1);
  CHECK(s.subjects[0].pod->name.text == "web-api");
  REQUIRE(s.targets.size() == 3);
  CHECK(s.targets[0].peer->ref.pod->name.text == "postgres");
  CHECK(s.targets[0].has_ports);
  CHECK(s.targets[0].ports[0].first.text == "5432");
  CHECK(s.targets[1].peer->ref.pod->name.text == "dns");
  CHECK_FALSE(s.targets[1].has_ports);
  CHECK(s.targets[2].peer->kind == ast::Expr::Kind::Cidr);
  CHECK(s.targets[2].peer->text.text == "203.0.113.0/24");
  // Spans point at the text.
  CHECK(p->sm.text(s.targets[2].span) == "203.0.113.0/24:443");
  CHECK(p->sm.text(s.span) == "web-api may reach postgres:5432, dns, 203.0.113.0/24:443");
}

TEST_CASE("every reference form parses", "[syntax]") {
  auto p = parse(
      "namespace a {\n"
      "  pods[tier=db, env in (prod, stage), !canary, version!=v1, app.kubernetes.io/name==x, team notin (a), gpu] may reach b\n"
      "  all pods may reach monitoring/prometheus:9090, ns[team=obs]/pods[app=prom], ns[team=obs], monitoring/all pods, all namespaces\n"
      "  web may reach 0.0.0.0/0 except 169.254.169.254/32, ::/0 except {fd00::/8, fe80::/10}, api.stripe.com:443, *.stripe.com, entity world\n"
      "  web may reach x:{53/udp, 53/tcp}, y:8000-8999, z:http, w:*/udp, v:443/sctp\n"
      "  web may reach payments:8080 http GET \"/v1/charges/.*\", POST \"/v1/charges\" host \"api\" header \"X-A: 1\", ANY\n"
      "  web must not reach metadata\n"
      "  db may be reached by web:5432\n"
      "  db must not be reached by all namespaces\n"
      "}\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  const auto& items = std::get<ast::Block>(p->file.items[0].node).items;
  REQUIRE(items.size() == 8);
  const auto& sel = std::get<ast::Statement>(items[0].node).subjects[0].pod->selector;
  REQUIRE(sel.reqs.size() == 7);
  CHECK(sel.reqs[0].op == ast::SelOp::Equals);
  CHECK(sel.reqs[1].op == ast::SelOp::In);
  CHECK(sel.reqs[1].values.size() == 2);
  CHECK(sel.reqs[2].op == ast::SelOp::DoesNotExist);
  CHECK(sel.reqs[3].op == ast::SelOp::NotEquals);
  CHECK(sel.reqs[4].key.text == "app.kubernetes.io/name");
  CHECK(sel.reqs[5].op == ast::SelOp::NotIn);
  CHECK(sel.reqs[6].op == ast::SelOp::Exists);
  const auto& l7 = std::get<ast::Statement>(items[4].node).targets[0];
  REQUIRE(l7.http.size() == 3);
  CHECK(l7.http[0].method.text == "GET");
  CHECK(l7.http[0].path->value == "/v1/charges/.*");
  CHECK(l7.http[1].host->value == "api");
  CHECK(l7.http[1].headers.at(0).value == "X-A: 1");
  CHECK_FALSE(l7.http[2].path);
  CHECK(std::get<ast::Statement>(items[5].node).verb == ast::Verb::MustNotReach);
  CHECK(std::get<ast::Statement>(items[6].node).verb == ast::Verb::MayBeReachedBy);
  CHECK(std::get<ast::Statement>(items[7].node).verb == ast::Verb::MustNotBeReachedBy);
}

TEST_CASE("definitions, imports, environments and blocks parse", "[syntax]") {
  auto p = parse(
      "import std\nimport \"lib/common.fence\"\nenvironments dev, prod\n"
      "let stripe = 203.0.113.0/24:443\nlet stripe in dev = 198.51.100.7/32:443\nlet ns-name = \"shop\"\n"
      "set label-key = \"app.kubernetes.io/name\"\n"
      "when prod { namespace x { a may reach b } }\ncluster { default deny all }\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  REQUIRE(p->file.items.size() == 9);
  CHECK(std::get<ast::Import>(p->file.items[0].node).target == "std");
  CHECK(std::get<ast::Import>(p->file.items[1].node).is_path);
  CHECK(std::get<ast::Environments>(p->file.items[2].node).names.size() == 2);
  CHECK(std::get<ast::Let>(p->file.items[4].node).envs.at(0).text == "dev");
  CHECK(std::get<ast::Let>(p->file.items[5].node).value.string->value == "shop");
  CHECK(std::get<ast::Block>(p->file.items[7].node).kind == ast::Block::Kind::When);
  CHECK(std::get<ast::Block>(p->file.items[8].node).kind == ast::Block::Kind::Cluster);
}

TEST_CASE("targets, per-target definitions and `for` blocks parse", "[syntax][targets]") {
  auto p = parse(
      "targets k8s, cilium\n"
      "let stripe for k8s = 203.0.113.0/24:443\nlet stripe in dev, prod for cilium = api.stripe.com:443\n"
      "for cilium { namespace x { a may reach b } }\n"
      "namespace y {\n  default deny ingress for web\n  when prod for k8s, cilium { a may reach b }\n"
      "  default deny egress\n  for k8s { a may reach c }\n}\n");
  INFO(p->diags());
  REQUIRE_FALSE(p->sink.has_errors());
  REQUIRE(p->file.items.size() == 5);
  const auto& t = std::get<ast::Targets>(p->file.items[0].node);
  REQUIRE(t.names.size() == 2);
  CHECK(t.names[1].text == "cilium");
  const auto& k8s = std::get<ast::Let>(p->file.items[1].node);
  CHECK(k8s.envs.empty());
  CHECK(k8s.targets.at(0).text == "k8s");
  const auto& both = std::get<ast::Let>(p->file.items[2].node);
  CHECK(both.envs.size() == 2);
  CHECK(both.targets.at(0).text == "cilium");
  CHECK(p->sm.text(both.targets.at(0).span) == "cilium");
  const auto& for_block = std::get<ast::Block>(p->file.items[3].node);
  CHECK(for_block.kind == ast::Block::Kind::When);
  CHECK(for_block.envs.empty());
  CHECK(p->sm.text(for_block.header_span) == "for cilium");
  const auto& ns = std::get<ast::Block>(p->file.items[4].node);
  REQUIRE(ns.items.size() == 4);
  CHECK(std::get<ast::DefaultDeny>(ns.items[0].node).subjects.size() == 1);  // `for` after a default deny is its subjects
  // ... unless a block follows: then it is a `for` block.
  CHECK(std::get<ast::DefaultDeny>(ns.items[2].node).subjects.empty());
  CHECK(std::get<ast::Block>(ns.items[3].node).targets.at(0).text == "k8s");
  const auto& when = std::get<ast::Block>(ns.items[1].node);
  CHECK(when.envs.at(0).text == "prod");
  CHECK(when.targets.size() == 2);
  CHECK(p->sm.text(when.header_span) == "when prod for k8s, cilium");
}

TEST_CASE("comments are kept for the formatter", "[syntax]") {
  auto p = parse("# head\nnamespace a { # inline\n  a may reach b # tail\n}\n");
  REQUIRE_FALSE(p->sink.has_errors());
  REQUIRE(p->file.comments.size() == 3);
  CHECK(p->file.comments[1].text == "# inline");
}

TEST_CASE("a byte order mark at the start of a file is skipped, and spans and columns stay right", "[syntax]") {
  auto p = parse("\xEF\xBB\xBFnamespace shop { api may reach db:80:90 }  # c\n");
  // The runtime's input stream drops the mark; the spans are byte offsets in the text that has it.
  REQUIRE(p->file.items.size() == 1);
  const auto& block = std::get<ast::Block>(p->file.items[0].node);
  CHECK(p->sm.text(block.name.span) == "shop");
  CHECK(p->sm.text(p->file.comments[0].span) == "# c");
  CHECK(p->diags().find("t.fence:1:37: error[E0101]: unexpected ':'") != std::string::npos);
  CHECK(p->diags().find(" 1 | namespace shop {") != std::string::npos);
  auto tokens = syntax::tokenize("\xEF\xBB\xBFlet x = 1.2.3.4/32");
  REQUIRE(tokens.size() == 4);
  CHECK(tokens[0].begin == 3);
  CHECK(tokens[3].end == 21);
}

TEST_CASE("a syntax error is reported once, at its line, with what was expected", "[syntax]") {
  auto p = parse("namespace a {\n  web-api may rech foo\n  x may reach y\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(p->sink.error_count() == 1);
  CHECK(d.find("t.fence:2:15: error[E0101]: unexpected 'rech'; expected 'reach', 'be', 'send' or 'receive'") != std::string::npos);
}

TEST_CASE("every broken line is reported", "[syntax]") {
  auto p = parse("namespace a {\n  a may rech b\n  c may reach d\n  e mustnt reach f\n  g may reach h\n}\n");
  INFO(p->diags());
  CHECK(p->sink.error_count() == 2);
}

TEST_CASE("an unclosed block points at its brace", "[syntax]") {
  auto p = parse("namespace a {\n  a may reach b\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("unexpected end of file") != std::string::npos);
  CHECK(d.find("t.fence:1:13: note: this '{' is not closed") != std::string::npos);
}

TEST_CASE("characters no token accepts are reported where they are", "[syntax]") {
  auto p = parse("namespace a {\n  a may reach b; c\n}\n");
  CHECK(p->diags().find("t.fence:2:16: error[E0102]: unexpected character ';'") != std::string::npos);
  auto q = parse("namespace a { a may reach \"b }\n");
  CHECK(q->diags().find("this string is not closed") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is an error, not a crash", "[syntax]") {
  auto p = parse(std::string("namespace a { a may reach b } \xff\xfe"));
  CHECK(p->diags().find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("columns count characters, not bytes", "[syntax]") {
  auto p = parse("# h\xc3\xa9llo\nnamespace \xc3\xa9 {}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("t.fence:2:11:") != std::string::npos);
}

TEST_CASE("deep nesting is refused before it can overflow the stack", "[syntax]") {
  std::string deep = "let x = " + std::string(10000, '{') + "a" + std::string(10000, '}') + "\n";
  auto p = parse(deep);
  CHECK(p->diags().find("E0104") != std::string::npos);
}

TEST_CASE("the keyword list comes from the lexer", "[syntax]") {
  auto kw = syntax::keywords();
  CHECK(std::find(kw.begin(), kw.end(), "reach") != kw.end());
  CHECK(std::find(kw.begin(), kw.end(), "namespace") != kw.end());
  CHECK(std::find(kw.begin(), kw.end(), "http") != kw.end());
  auto toks = syntax::tokenize("web may reach 10.0.0.0/8:443 # c");
  REQUIRE(toks.size() == 7);
  CHECK(toks[0].kind == syntax::TokenKind::Name);
  CHECK(toks[1].kind == syntax::TokenKind::Keyword);
  CHECK(toks[3].kind == syntax::TokenKind::Address);
  CHECK(toks[6].kind == syntax::TokenKind::Comment);
}

TEST_CASE("every token type has a name for messages, never the grammar's", "[syntax]") {
  auto count = syntax::token_type_count();
  REQUIRE(count > 40);  // the lexer's types, selector mode included
  std::vector<std::string> grammar;
  for (std::size_t t = 1; t <= count; ++t) grammar.push_back(syntax::token_grammar_name(t));
  REQUIRE(std::find(grammar.begin(), grammar.end(), "SEL_COMMA") != grammar.end());
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; };
  for (std::size_t t = 1; t <= count; ++t) {
    auto shown = syntax::token_display_name(t);
    INFO(grammar[t - 1] << " is shown as " << shown);
    CHECK_FALSE(shown.empty());
    CHECK(shown != "a token");
    CHECK(shown.find('_') == std::string::npos);
    for (const auto& g : grammar) {
      if (g.size() < 2) continue;
      for (auto at = shown.find(g); at != std::string::npos; at = shown.find(g, at + 1)) {
        bool whole = (at == 0 || !word(shown[at - 1])) && (at + g.size() == shown.size() || !word(shown[at + g.size()]));
        CHECK_FALSE(whole);
      }
    }
  }
}

TEST_CASE("an error in a selector names what was expected in words", "[syntax]") {
  auto p = parse("namespace a {\n  api may reach pods[app=web x]\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("t.fence:2:30: error[E0101]: unexpected 'x'; expected ']' or ','") != std::string::npos);
  CHECK(d.find("SEL_") == std::string::npos);
  CHECK(d.find("fence: 1 error") != std::string::npos);
}

TEST_CASE("an unclosed selector in a block is one error, not the rest of the file misread", "[syntax]") {
  auto p = parse("namespace a {\n  api may reach pods[app=web\n  web may reach db\n}\nnamespace b {\n  x may reach y\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("fence: 1 error") != std::string::npos);
  CHECK(d.find("end of file") == std::string::npos);
  CHECK(d.find("E0102") == std::string::npos);
  // Both blocks are there; the broken statement is not.
  REQUIRE(p->file.items.size() == 2);
  CHECK(std::get<ast::Block>(p->file.items[0].node).items.empty());
  CHECK(std::get<ast::Block>(p->file.items[1].node).items.size() == 1);
}

TEST_CASE("a block whose header is broken is skipped whole: its '}' is no stray", "[syntax]") {
  auto p = parse("namespace 9shop {\n  api may reach db\n}\nnamespace b {\n  x may reach y\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("fence: 1 error") != std::string::npos);
  CHECK(d.find("unexpected '}'") == std::string::npos);
  REQUIRE(p->file.items.size() == 1);
  CHECK(std::get<ast::Block>(p->file.items[0].node).name.text == "b");
}

TEST_CASE("a broken item is left out; a broken let leaves a poisoned definition", "[syntax]") {
  auto p = parse("let internal = 10.0.0.0/8 @\nlet ok = 10.0.0.0/8\nnamespace a {\n  api may reach db:80:90\n  api may reach db:81\n}\n");
  auto d = p->diags();
  INFO(d);
  REQUIRE(p->file.items.size() == 3);
  const auto& broken = std::get<ast::Let>(p->file.items[0].node);
  CHECK(broken.name.text == "internal");
  CHECK(broken.poisoned);
  CHECK_FALSE(std::get<ast::Let>(p->file.items[1].node).poisoned);
  // `db:80:90` is one statement with a mistake: it is gone, the next one stays.
  const auto& block = std::get<ast::Block>(p->file.items[2].node);
  REQUIRE(block.items.size() == 1);
  CHECK(std::get<ast::Statement>(block.items[0].node).targets[0].ports[0].first.text == "81");
}

TEST_CASE("a statement cut short resumes at the next line rather than swallowing it", "[syntax]") {
  auto p = parse("namespace a {\n  api may reach {db, cache\n  web may reach db\n}\n");
  auto d = p->diags();
  INFO(d);
  CHECK(d.find("fence: 1 error") != std::string::npos);
  REQUIRE(p->file.items.size() == 1);
  const auto& block = std::get<ast::Block>(p->file.items[0].node);
  REQUIRE(block.items.size() == 1);
  CHECK(std::get<ast::Statement>(block.items[0].node).subjects[0].pod->name.text == "web");
}
