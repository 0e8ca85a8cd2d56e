// The language server's piecewise parse must equal the whole-file parse: the same AST (every
// node, every span) and the same diagnostics, on the examples, on a large program, and on
// line-level edits of them that break braces, selectors and statements.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "diag/render.h"
#include "lsp/parse_cache.h"
#include "syntax/parser.h"

using namespace fence;

namespace {

// A printout of every node and span, for comparing two ASTs.
class Dump {
 public:
  std::string out;

  void file(const ast::File& f) {
    for (const auto& i : f.items) item(i, 0);
    for (const auto& c : f.comments) line(0, "comment " + c.text, c.span);
  }

 private:
  void line(int depth, const std::string& what, const Span& s) { out += fmt::format("{:{}}{} @{}:{}-{}\n", "", depth * 2, what, s.file, s.begin, s.end); }
  void name(int d, const char* role, const ast::Name& n) { line(d, fmt::format("{} '{}'", role, n.text), n.span); }
  void names(int d, const char* role, const std::vector<ast::Name>& ns) {
    for (const auto& n : ns) name(d, role, n);
  }
  void selector(int d, const ast::Selector& s) {
    line(d, "selector", s.span);
    for (const auto& r : s.reqs) {
      line(d + 1, fmt::format("req op={}", static_cast<int>(r.op)), r.span);
      name(d + 2, "key", r.key);
      names(d + 2, "value", r.values);
    }
  }
  void ref(int d, const ast::Ref& r) {
    line(d, "ref", r.span);
    if (r.ns) {
      line(d + 1, fmt::format("ns kind={}", static_cast<int>(r.ns->kind)), r.ns->span);
      name(d + 2, "name", r.ns->name);
      selector(d + 2, r.ns->selector);
    }
    if (r.pod) {
      line(d + 1, fmt::format("pod kind={}", static_cast<int>(r.pod->kind)), r.pod->span);
      name(d + 2, "name", r.pod->name);
      selector(d + 2, r.pod->selector);
    }
  }
  void expr(int d, const ast::Expr& e) {
    line(d, fmt::format("expr kind={}", static_cast<int>(e.kind)), e.span);
    name(d + 1, "text", e.text);
    if (e.kind == ast::Expr::Kind::Ref) ref(d + 1, e.ref);
    targets(d + 1, e.items);
    if (e.lhs) expr(d + 1, *e.lhs);
    if (e.rhs) expr(d + 1, *e.rhs);
  }
  void targets(int d, const std::vector<ast::Target>& ts) {
    for (const auto& t : ts) {
      line(d, fmt::format("target ports={}", t.has_ports), t.span);
      if (t.peer) expr(d + 1, *t.peer);
      line(d + 1, "ports", t.ports_span);
      for (const auto& p : t.ports) {
        line(d + 2, fmt::format("port kind={}", static_cast<int>(p.kind)), p.span);
        name(d + 3, "first", p.first);
        name(d + 3, "last", p.last);
        if (p.protocol) name(d + 3, "protocol", *p.protocol);
      }
      for (const auto& h : t.http) {
        line(d + 1, "http", h.span);
        name(d + 2, "method", h.method);
        if (h.path) line(d + 2, "path " + h.path->value, h.path->span);
        if (h.host) line(d + 2, "host " + h.host->value, h.host->span);
        for (const auto& hd : h.headers) line(d + 2, "header " + hd.value, hd.span);
      }
    }
  }
  void value(int d, const ast::Value& v) {
    line(d, "value", v.span);
    if (v.string) line(d + 1, "string " + v.string->value, v.string->span);
    targets(d + 1, v.targets);
  }
  void item(const ast::Item& it, int d) {
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Import>) {
            line(d, fmt::format("import path={} '{}'", n.is_path, n.target), n.span);
            line(d + 1, "target", n.target_span);
          } else if constexpr (std::is_same_v<T, ast::Environments>) {
            line(d, "environments", n.span);
            names(d + 1, "env", n.names);
          } else if constexpr (std::is_same_v<T, ast::Targets>) {
            line(d, "targets", n.span);
            names(d + 1, "target", n.names);
          } else if constexpr (std::is_same_v<T, ast::Let> || std::is_same_v<T, ast::Set>) {
            line(d, std::is_same_v<T, ast::Let> ? "let" : "set", n.span);
            name(d + 1, "name", n.name);
            names(d + 1, "env", n.envs);
            if constexpr (std::is_same_v<T, ast::Let>) names(d + 1, "target", n.targets);
            value(d + 1, n.value);
          } else if constexpr (std::is_same_v<T, ast::DefaultDeny>) {
            line(d, fmt::format("default deny {}", static_cast<int>(n.direction)), n.span);
            for (const auto& r : n.subjects) ref(d + 1, r);
          } else if constexpr (std::is_same_v<T, ast::Statement>) {
            line(d, fmt::format("statement verb={}", static_cast<int>(n.verb)), n.span);
            line(d + 1, "verb", n.verb_span);
            for (const auto& r : n.subjects) ref(d + 1, r);
            targets(d + 1, n.targets);
          } else if constexpr (std::is_same_v<T, ast::Block>) {
            line(d, fmt::format("block kind={}", static_cast<int>(n.kind)), n.span);
            line(d + 1, "header", n.header_span);
            name(d + 1, "name", n.name);
            names(d + 1, "env", n.envs);
            names(d + 1, "target", n.targets);
            for (const auto& i : n.items) item(i, d + 1);
          }
        },
        it.node);
  }
};

struct Result {
  std::string ast;
  std::string diagnostics;
};

Result whole(const std::string& text) {
  SourceManager sm;
  DiagnosticSink sink;
  auto id = sm.add("t.fence", text);
  Dump d;
  d.file(syntax::parse_range(sm, id, 0, static_cast<std::uint32_t>(text.size()), sink));  // on one thread, whatever the size
  return {d.out, render_all(sink, sm)};
}

Result in_parallel(const std::string& text, std::size_t* stretches) {
  SourceManager sm;
  DiagnosticSink sink;
  auto id = sm.add("t.fence", text);
  Dump d;
  d.file(syntax::parse_in_parallel(sm, id, sink, 4, 1, stretches));
  return {d.out, render_all(sink, sm)};
}

Result pieces(lsp::ParseCache& cache, const std::string& text) {
  SourceManager sm;
  DiagnosticSink sink;
  auto id = sm.add("t.fence", text);
  Dump d;
  d.file(cache.parse(sm, id, sink));
  cache.sweep();
  return {d.out, render_all(sink, sm)};
}

void same(lsp::ParseCache& cache, const std::string& text) {
  auto a = whole(text);
  auto b = pieces(cache, text);
  INFO("input:\n" << text);
  REQUIRE(a.diagnostics == b.diagnostics);
  REQUIRE(a.ast == b.ast);
}

std::vector<std::string> corpus() {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> paths{std::string(FENCE_SOURCE_DIR) + "/stdlib/std.fence"};
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FENCE_SOURCE_DIR) + "/examples")) {
    if (e.path().extension() == ".fence") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

// A program with every kind of item, a selector over two lines and keywords at line starts
// inside blocks, repeated over many namespaces.
std::string big_program(int namespaces) {
  std::string s =
      "# header comment\nimport std\nenvironments dev, prod\nset label-key = \"app.kubernetes.io/name\"\n"
      "let partners = {198.51.100.0/24,\n  203.0.113.0/24}:443\nlet shop in prod = \"shop-prod\"\nlet shop = \"shop\"\n\n";
  for (int i = 0; i < namespaces; ++i) {
    s += fmt::format(
        "namespace team-{0} {{\n  default deny all\n  let local = pods[tier=db,\n    env in (prod, staging)]\n"
        "  web-{0} may reach local:5432, dns, partners  # trailing comment\n"
        "  when prod {{\n    web-{0} may reach api.example.com:443\n  }}\n"
        "  pods[app=x, # comment inside a selector\n   track notin (canary)] may reach ns[team=obs]/pods[app=prom]:9090\n"
        "  db may be reached by web-{0}:5432\n  web-{0} must not reach metadata\n}}\n\n",
        i);
  }
  s += "cluster {\n  all pods may reach dns\n}\nwhen dev {\n  shop/web may reach 10.0.0.0/8 except 10.1.0.0/16\n}\n";
  return s;
}

// Line-level edits: the kinds of damage typing does between two valid states.
std::string damage(const std::string& text, std::mt19937& rng) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  if (lines.empty()) return text;
  auto pick = [&] { return static_cast<std::size_t>(rng() % lines.size()); };
  static const std::vector<std::string> inserts = {"namespace x {", "}", "{", "let", "let y =", "pods[a=b,", "]", "default deny", "when dev {",
                                                   "  a may reach", "import", "\"", "set x =", "web may rech db", "ns[", "# }", "environments"};
  int n = 1 + static_cast<int>(rng() % 3);
  for (int k = 0; k < n; ++k) {
    switch (rng() % 4) {
      case 0:
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(pick()));
        break;
      case 1:
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(pick()), inserts[rng() % inserts.size()]);
        break;
      case 2: {
        auto& l = lines[pick()];
        if (!l.empty()) l.erase(rng() % l.size(), 1 + rng() % 4);
        break;
      }
      default: {
        auto i = pick();
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), lines[i]);
        break;
      }
    }
    if (lines.empty()) break;
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("pieces start at item keywords outside braces, selectors, strings and comments", "[lsp][parse-cache]") {
  std::string text =
      "let a = x\n"
      "namespace n {\n  let b = y\n}\n"
      "  let c = pods[k in (a,\nlet)]\n"
      "# let d\n"
      "let e = \"namespace {\"\n"
      "when dev {\n}\n";
  std::vector<std::string> got;
  for (const auto& p : lsp::split_items(text)) got.push_back(text.substr(p.begin, p.end - p.begin));
  CHECK(got == std::vector<std::string>{"let a = x\n", "namespace n {\n  let b = y\n}\n", "  let c = pods[k in (a,\nlet)]\n# let d\n",
                                        "let e = \"namespace {\"\n", "when dev {\n}\n"});
  // The pieces always cover the text.
  for (const std::string t : {"", "\n", "let", "}}}", "pods[", "\"unclosed\nlet x = y\n"}) {
    auto ps = lsp::split_items(t);
    REQUIRE_FALSE(ps.empty());
    CHECK(ps.front().begin == 0);
    CHECK(ps.back().end == t.size());
    for (std::size_t i = 1; i < ps.size(); ++i) CHECK(ps[i].begin == ps[i - 1].end);
  }
}

TEST_CASE("the piecewise parse equals the whole-file parse on the examples and a large program", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  for (const auto& text : corpus()) same(cache, text);
  auto big = big_program(40);
  same(cache, big);
  CHECK(cache.last().pieces > 40);
  CHECK_FALSE(cache.last().whole_tail);
}

TEST_CASE("an edit re-parses only the piece it touched", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto text = big_program(30);
  same(cache, text);
  auto at = text.find("web-17 may reach local:5432");
  REQUIRE(at != std::string::npos);
  text.replace(at + text.substr(at).find("5432"), 4, "5433");
  same(cache, text);
  CHECK(cache.last().parsed == 1);
  CHECK(cache.last().pieces > 30);
}

TEST_CASE("an edit that changes the length re-parses its piece and shifts the ones after it", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto text = big_program(20);
  same(cache, text);
  auto at = text.find("web-3 may reach local:5432");
  text.insert(at, "web-3 may reach 192.0.2.0/24:443, extra\n  ");
  same(cache, text);
  CHECK(cache.last().parsed == 1);
  text.erase(at, text.find('\n', at) + 3 - at);
  same(cache, text);
  CHECK(cache.last().parsed == 0);  // the old piece, still in the cache
}

TEST_CASE("fixing an error that made the rest parse whole finds the old pieces in the cache", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto text = big_program(20);
  same(cache, text);
  auto clean_pieces = cache.last().pieces;
  auto broken = text;
  broken.insert(broken.find("web-4 may reach local") + 16, "{");
  // One compilation parses the broken file and a file it imports, each with its own id; more
  // files per compilation do not age the cache faster.
  for (int round = 0; round < 2; ++round) {
    SourceManager sm;
    DiagnosticSink sink;
    auto a = sm.add("t.fence", broken);
    auto b = sm.add("lib.fence", "let a = 10.0.0.0/8\n");
    cache.parse(sm, a, sink);
    CHECK(cache.last().pieces + 10 < clean_pieces);  // the open brace hides the cuts below it: one piece to the end
    cache.parse(sm, b, sink);
    cache.sweep();
  }
  same(cache, text);
  CHECK(cache.last().parsed == 0);
}

// ast::shift must move every span of the AST. A node that changed size may have gained a span:
// make shift (compiler/ast/ast.cpp) move it, and the Dump above print it, then update the size.
TEST_CASE("ast::shift covers every node: their layouts are the ones it knows", "[lsp][parse-cache]") {
  CHECK(sizeof(ast::Name) == 48);
  CHECK(sizeof(ast::StringLit) == 48);
  CHECK(sizeof(ast::SelRequirement) == 96);
  CHECK(sizeof(ast::Selector) == 40);
  CHECK(sizeof(ast::NsRef) == 112);
  CHECK(sizeof(ast::PodRef) == 112);
  CHECK(sizeof(ast::Ref) == 256);
  CHECK(sizeof(ast::PortItem) == 176);
  CHECK(sizeof(ast::HttpRule) == 200);
  CHECK(sizeof(ast::Expr) == 368);
  CHECK(sizeof(ast::Target) == 96);
  CHECK(sizeof(ast::Import) == 64);
  CHECK(sizeof(ast::Environments) == 40);
  CHECK(sizeof(ast::Targets) == 40);
  CHECK(sizeof(ast::Value) == 96);
  CHECK(sizeof(ast::Let) == 208);
  CHECK(sizeof(ast::Set) == 184);
  CHECK(sizeof(ast::DefaultDeny) == 48);
  CHECK(sizeof(ast::Statement) == 80);
  CHECK(sizeof(ast::Block) == 216);
  CHECK(sizeof(ast::Item) == 224);
  CHECK(sizeof(ast::Comment) == 48);}

TEST_CASE("a piece with a syntax error keeps its own parse where recovery ends inside it", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto text = big_program(20);
  same(cache, text);
  auto at = text.find("web-7 may reach local");
  text.replace(at + 6, 9, "may rech");
  same(cache, text);
  CHECK(cache.last().broken == 1);
  CHECK(cache.last().parsed == 1);
  CHECK_FALSE(cache.last().whole_tail);
  // An edit elsewhere leaves the broken piece (and its error) to the cache.
  auto other = text.find("web-15 may reach local:5432");
  text.replace(other + text.substr(other).find("5432"), 4, "5433");
  same(cache, text);
  CHECK(cache.last().parsed == 1);
  CHECK(cache.last().broken == 0);
}

TEST_CASE("a piece with a syntax error makes the rest parse whole, exactly as check does", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto text = big_program(10);
  same(cache, text);
  // A statement left unfinished before the next namespace: the whole-file parser reports the
  // next line's `namespace` as unexpected, and so must the pieces.
  auto at = text.find("namespace team-5 {");
  text.insert(at, "web may reach\n");
  same(cache, text);
  CHECK(cache.last().whole_tail);
  // An unclosed selector that swallows the lines below it.
  same(cache, text.insert(text.find("namespace team-7"), "let s = pods[a=b,\n"));
  // Nesting too deep, and invalid UTF-8.
  same(cache, big_program(2) + std::string(80, '{'));
  same(cache, big_program(2) + "let x = \xff\n");
}

TEST_CASE("damaged programs parse piecewise exactly as whole", "[lsp][parse-cache]") {
  lsp::ParseCache cache;
  auto inputs = corpus();
  inputs.push_back(big_program(6));
  std::mt19937 rng(31337);
  for (int i = 0; i < 600; ++i) {
    INFO("iteration " << i);
    same(cache, damage(inputs[static_cast<std::size_t>(i) % inputs.size()], rng));
  }
}

// syntax::parse cuts a large file where split_items allows and parses the stretches on threads of
// their own, each with its own ANTLR caches; any diagnostic in any stretch means a parse of the
// whole file instead. Either way the AST and the diagnostics are the one-thread parse's.
TEST_CASE("the parse on several threads equals the one-thread parse", "[parse][parallel]") {
  std::size_t stretches = 0;
  auto big = big_program(60);
  auto a = whole(big);
  auto b = in_parallel(big, &stretches);
  CHECK(stretches == 4);  // parsed apart, not whole again
  CHECK(a.diagnostics.empty());
  CHECK(b.diagnostics == a.diagnostics);
  CHECK(b.ast == a.ast);
  for (const auto& text : corpus()) {
    INFO("input:\n" << text);
    auto c = in_parallel(text, &stretches);
    auto w = whole(text);
    CHECK(c.diagnostics == w.diagnostics);
    CHECK(c.ast == w.ast);
  }
  // Damaged programs: a stretch with errors, or a cut inside a block or selector, means a parse of
  // the whole file, with the whole file's diagnostics.
  std::mt19937 rng(7);
  std::size_t apart = 0, again = 0;
  for (int round = 0; round < 150; ++round) {
    auto text = damage(big_program(12), rng);
    auto w = whole(text);
    auto c = in_parallel(text, &stretches);
    INFO("input:\n" << text);
    REQUIRE(c.diagnostics == w.diagnostics);
    REQUIRE(c.ast == w.ast);
    (stretches > 1 ? apart : again) += 1;
    if (!w.diagnostics.empty()) CHECK(stretches == 1);
  }
  CHECK(apart > 10);
  CHECK(again > 10);
}

namespace {

// Two caches, one parsing on one thread and one on four whatever the size, fed the same texts:
// they must give the same AST, diagnostics and statistics, and so hold the same pieces.
struct Twins {
  lsp::ParseCache one;
  lsp::ParseCache four;
  std::size_t threaded = 0;  // pieces the second parsed on threads, over all texts

  Twins() {
    one.set_threads(1, 0);
    four.set_threads(4, 0);
  }
  void same(const std::string& text) {
    auto a = pieces(one, text);
    auto b = pieces(four, text);
    INFO("input:\n" << text);
    REQUIRE(a.diagnostics == b.diagnostics);
    REQUIRE(a.ast == b.ast);
    const auto& s = one.last();
    const auto& t = four.last();
    CHECK(s.threaded == 0);
    CHECK(s.pieces == t.pieces);
    CHECK(s.parsed == t.parsed);
    CHECK(s.broken == t.broken);
    CHECK(s.whole_tail == t.whole_tail);
    threaded += t.threaded;
  }
};

}  // namespace

// The language server parses the pieces that are not in its cache on several threads at once
// (each a run of pieces with ANTLR caches of its own; a piece with a syntax error is parsed again
// on the calling thread): the result, and what the cache keeps, are the one-thread parse's.
TEST_CASE("the piecewise parse on several threads equals the one on one thread", "[lsp][parse-cache][parallel]") {
  Twins twins;
  for (const auto& text : corpus()) twins.same(text);
  auto big = big_program(60);
  twins.same(big);
  CHECK(twins.four.last().threaded == twins.four.last().parsed);  // every piece clean, all on threads
  CHECK(twins.four.last().parsed > 60);
  twins.same(big);  // all in the cache now: nothing parsed
  CHECK(twins.four.last().parsed == 0);
  // Damaged programs, each followed by the program it came from, which then finds in the cache
  // what the damaged one left there.
  std::mt19937 rng(11);
  auto inputs = corpus();
  inputs.push_back(big_program(12));
  twins.threaded = 0;
  for (int round = 0; round < 150; ++round) {
    INFO("round " << round);
    const auto& original = inputs[static_cast<std::size_t>(round) % inputs.size()];
    twins.same(damage(original, rng));
    twins.same(original);
  }
  CHECK(twins.threaded > 100);
}

TEST_CASE("the piecewise parse on several threads keeps to one thread below its threshold", "[lsp][parse-cache][parallel]") {
  lsp::ParseCache cache;
  cache.set_threads(4, 1 << 20);
  auto text = big_program(20);
  same(cache, text);
  CHECK(cache.last().parsed > 20);
  CHECK(cache.last().threaded == 0);
  cache.set_threads(4, 1);
  auto at = text.find("web-7 may reach local:5432");
  text.replace(at + text.substr(at).find("5432"), 4, "5433");
  same(cache, text);
  CHECK(cache.last().parsed == 1);
  CHECK(cache.last().threaded == 0);  // one piece to parse: no threads
}

TEST_CASE("deferred copies: the same AST; the pieces are cached once settled, and only from the AST they were parsed into", "[lsp][parse-cache]") {
  auto text = big_program(20);
  SourceManager sm;
  auto id = sm.add("t.fence", text);
  lsp::ParseCache cache;
  cache.defer_copies(true);
  DiagnosticSink sink;
  auto first = cache.parse(sm, id, sink);
  Dump a;
  a.file(first);
  CHECK(a.out == whole(text).ast);
  auto pieces = cache.last().pieces;
  CHECK(cache.unsettled() == pieces);
  cache.sweep();

  // Not settled: the next parse parses every piece again, and forgets what the first noted.
  DiagnosticSink again_sink;
  auto again = cache.parse(sm, id, again_sink);
  CHECK(cache.last().parsed == pieces);
  CHECK(cache.unsettled() == pieces);
  cache.sweep();

  // An AST that is not the one parsed: nothing is where it was noted, so nothing is kept.
  ast::File other = again;
  other.items.erase(other.items.begin());
  cache.settle(other);
  CHECK(cache.unsettled() == 0);
  DiagnosticSink third_sink;
  auto third = cache.parse(sm, id, third_sink);
  CHECK(cache.last().parsed == pieces);
  cache.sweep();

  // Settled from the AST the pieces went into: the next parse finds every piece, and gives the
  // same AST.
  cache.settle(third);
  CHECK(cache.unsettled() == 0);
  DiagnosticSink fourth_sink;
  auto fourth = cache.parse(sm, id, fourth_sink);
  CHECK(cache.last().parsed == 0);
  Dump d;
  d.file(fourth);
  CHECK(d.out == a.out);
  cache.sweep();

  // An edit: one piece parsed again (noted, not copied), the rest from the cache.
  auto at = text.find("web-3 may reach local:5432");
  REQUIRE(at != std::string::npos);
  text.insert(at, "web-3 may reach 192.0.2.0/24:443, extra\n  ");
  SourceManager sm2;
  auto id2 = sm2.add("t.fence", text);
  REQUIRE(id2 == id);
  DiagnosticSink edit_sink;
  auto edited = cache.parse(sm2, id2, edit_sink);
  CHECK(cache.last().parsed == 1);
  CHECK(cache.unsettled() == 1);
  Dump e;
  e.file(edited);
  CHECK(e.out == whole(text).ast);
}
