// The formatter over every Fence file of the repository, as written, with its white space
// scrambled, and with comments added anywhere: it keeps every token and comment in order, it is
// idempotent, and the layout depends on nothing but the tokens, the comments' places and the
// paragraphs. The reviewed layouts are golden files (tests/golden/fmt/, run by golden/run.py).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "format/diff.h"
#include "format/format.h"
#include "helpers.h"
#include "scramble.h"
#include "syntax/parser.h"

using namespace fence;

namespace {

struct CorpusFile {
  std::string path;
  std::string text;
};

// Every Fence source of the repository: examples, goldens (also the .lib files they import), the
// standard library and the editors' fixtures.
const std::vector<CorpusFile>& corpus() {
  static const std::vector<CorpusFile> files = [] {
    namespace fs = std::filesystem;
    std::vector<CorpusFile> out;
    for (const char* dir : {"examples", "tests/golden", "stdlib", "editors", "tests/editors"}) {
      for (const auto& e : fs::recursive_directory_iterator(fs::path(FENCE_SOURCE_DIR) / dir)) {
        auto ext = e.path().extension();
        if (!e.is_regular_file() || (ext != ".fence" && ext != ".lib") || e.path().string().find("node_modules") != std::string::npos) continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        out.push_back({fs::relative(e.path(), FENCE_SOURCE_DIR).string(), ss.str()});
      }
    }
    std::sort(out.begin(), out.end(), [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
    return out;
  }();
  return files;
}

struct Formatted {
  std::optional<std::string> text;
  std::string diagnostics;
  bool has(std::string_view code) const { return diagnostics.find(code) != std::string::npos; }
};

Formatted fmt_text(const std::string& text, format::Options opt = {}) {
  SourceManager sm;
  auto id = sm.add("t.fence", text);
  DiagnosticSink sink;
  Formatted f;
  f.text = format::format_file(sm, id, sink, opt);
  f.diagnostics = render_all(sink, sm);
  return f;
}

bool parses(const std::string& text) {
  SourceManager sm;
  auto id = sm.add("t.fence", text);
  DiagnosticSink sink;
  syntax::parse(sm, id, sink);
  return !sink.has_errors();
}

// The tokens of a text, comments apart, as the parser and the formatter see them.
struct Tokens {
  std::vector<std::string> code;
  std::vector<std::string> comments;
};
Tokens tokens(const std::string& text) {
  Tokens t;
  for (const auto& tok : syntax::tokenize(text)) {
    auto s = text.substr(tok.begin, tok.end - tok.begin);
    if (tok.kind == syntax::TokenKind::Comment) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
      t.comments.push_back(s);
    } else {
      s.erase(std::remove_if(s.begin(), s.end(), [&](char c) { return (c == ' ' || c == '\t') && tok.symbol.find("_OPEN") != std::string::npos; }),
              s.end());
      t.code.push_back(s);
    }
  }
  return t;
}

std::size_t longest_line(const std::string& text) {
  std::size_t most = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) most = std::max(most, line.size());
  return most;
}

}  // namespace

TEST_CASE("fmt: every Fence file of the repository formats idempotently, keeping every token and comment", "[fmt]") {
  std::size_t formatted = 0, changed = 0;
  REQUIRE(corpus().size() > 60);
  for (const auto& f : corpus()) {
    INFO(f.path);
    auto once = fmt_text(f.text);
    if (!parses(f.text)) {
      CHECK_FALSE(once.text);
      CHECK(once.has("error[E01"));
      continue;
    }
    if (f.path.find("e0113") != std::string::npos) {  // the golden of the one refusal
      CHECK(once.has("error[E0113]"));
      continue;
    }
    REQUIRE(once.text);
    ++formatted;
    changed += *once.text != f.text ? 1 : 0;
    auto twice = fmt_text(*once.text);
    REQUIRE(twice.text);
    CHECK(*twice.text == *once.text);
    auto a = tokens(f.text), b = tokens(*once.text);
    CHECK(a.code == b.code);
    CHECK(a.comments == b.comments);
    CHECK((once.text->empty() || once.text->back() == '\n'));
    CHECK(once.text->find(" \n") == std::string::npos);
    CHECK(once.text->find('\t') == std::string::npos);
  }
  CHECK(formatted > 60);
  CHECK(changed > 5);  // the corpus is not all canonical already: the test formats something
}

TEST_CASE("fmt: the layout depends on the tokens, not on the white space around them", "[fmt]") {
  std::size_t compared = 0;
  for (const auto& f : corpus()) {
    if (!parses(f.text) || f.path.find("e0113") != std::string::npos) continue;
    auto canonical = fmt_text(f.text);
    REQUIRE(canonical.text);
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      auto scrambled = test::scramble_whitespace(f.text, seed * 7919 + f.text.size());
      INFO(f.path << " scrambled with seed " << seed << ":\n" << scrambled);
      REQUIRE(parses(scrambled));
      auto out = fmt_text(scrambled);
      REQUIRE(out.text);
      CHECK(*out.text == *canonical.text);
      ++compared;
    }
  }
  CHECK(compared > 400);
}

TEST_CASE("fmt: comments added between any two tokens are kept, in order, and the result is stable", "[fmt]") {
  std::mt19937_64 rng(12);
  std::size_t inserted = 0;
  for (const auto& f : corpus()) {
    if (!parses(f.text)) continue;
    auto toks = syntax::tokenize(f.text);
    if (toks.empty()) continue;
    for (int round = 0; round < 4; ++round) {
      // A trailing comment after a few random tokens, or a comment on a line of its own before them.
      std::string text;
      std::uint32_t prev = 0;
      int n = 0;
      for (const auto& t : toks) {
        text += f.text.substr(prev, t.begin - prev);
        bool comment_before = rng() % 9 == 0 && t.kind != syntax::TokenKind::Comment;
        if (comment_before) text += "\n# own " + std::to_string(n++) + "\n";
        text += f.text.substr(t.begin, t.end - t.begin);
        if (rng() % 9 == 0 && t.kind != syntax::TokenKind::Comment) text += "  # trailing " + std::to_string(n++) + "\n";
        prev = t.end;
      }
      text += f.text.substr(prev);
      INFO(f.path << " with comments:\n" << text);
      REQUIRE(parses(text));
      auto once = fmt_text(text);
      if (!once.text) {
        // Only where an existing `# fence:allow` would move (two statements sharing a line now).
        CHECK(once.has("E0113"));
        continue;
      }
      inserted += static_cast<std::size_t>(n);
      CHECK(tokens(*once.text).comments == tokens(text).comments);
      CHECK(tokens(*once.text).code == tokens(text).code);
      auto twice = fmt_text(*once.text);
      REQUIRE(twice.text);
      CHECK(*twice.text == *once.text);
    }
  }
  CHECK(inserted > 500);
}

TEST_CASE("fmt: syntax errors are reported as the compiler reports them, and nothing is formatted", "[fmt]") {
  auto f = fmt_text("namespace shop {\n  api may rech db\n}\n");
  CHECK_FALSE(f.text);
  CHECK(f.diagnostics.find("t.fence:2:11: error[E0101]: unexpected 'rech'; expected 'reach' or 'be'") != std::string::npos);
  auto compiled = test::compile("namespace shop {\n  api may rech db\n}\n");
  CHECK(compiled.diagnostics().find("2:11: error[E0101]: unexpected 'rech'") != std::string::npos);
  CHECK_THROWS_AS(format::format_text("let x = \n"), std::invalid_argument);
  CHECK_FALSE(fmt_text("let x = \xff\n").text);
}

TEST_CASE("fmt: a `# fence:allow` stays on the statements it silences, or formatting refuses (E0113)", "[fmt]") {
  // Kept: at the end of a statement's line (also of a wrapped one), on the line before it, and
  // after the '}' that closes a block on the statement's line.
  auto ok = fmt_text(
      "namespace a {\n  # fence:allow W0604\n  web may reach db\n  api may reach x }  # fence:allow W0604\n"
      "when dev { b may reach c }  # fence:allow W0604\n");
  REQUIRE(ok.text);
  CHECK(*ok.text ==
        "namespace a {\n  # fence:allow W0604\n  web may reach db\n  api may reach x  # fence:allow W0604\n}\n"
        "when dev { b may reach c }  # fence:allow W0604\n");
  // Refused: the comment's line holds two statements, which formatting puts on lines of their own.
  auto shared = fmt_text("namespace a {\n  web may reach db  api may reach x  # fence:allow W0604\n}\n");
  CHECK_FALSE(shared.text);
  CHECK(shared.diagnostics.find("t.fence:2:38: error[E0113]") != std::string::npos);
  auto before = fmt_text("# fence:allow W0604\nwhen dev { a may reach b\n  c may reach d }\n");
  CHECK_FALSE(before.text);
  CHECK(before.has("t.fence:1:1: error[E0113]"));
  // Other comments may move freely.
  CHECK(fmt_text("namespace a {\n  web may reach db  api may reach x  # two statements\n}\n").text);
}

TEST_CASE("fmt: long lists wrap at the width and align under their first element", "[fmt]") {
  std::string program = "namespace shop {\n  api may reach ";
  for (int i = 0; i < 40; ++i) program += (i ? ", " : "") + std::string("service-") + std::to_string(i) + ":" + std::to_string(8000 + i);
  program += "\n}\n";
  for (std::size_t width : {40, 60, 100, 160}) {
    INFO("width " << width);
    format::Options opt;
    opt.width = width;
    auto f = fmt_text(program, opt);
    REQUIRE(f.text);
    CHECK(longest_line(*f.text) <= width);
    CHECK(tokens(*f.text).code == tokens(program).code);
    // Continuation lines start under the first target.
    std::istringstream in(*f.text);
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    auto column = line.find("service-0");
    REQUIRE(column != std::string::npos);
    while (std::getline(in, line) && line != "}") CHECK(line.find_first_not_of(' ') == column);
  }
}

TEST_CASE("fmt: text a program wrote is formatted for it", "[fmt]") {
  auto out = format::format_text("namespace  shop{\napi may reach db:5432,   dns}\nlet x=1.2.3.4/32");
  CHECK(out == "namespace shop {\n  api may reach db:5432, dns\n}\nlet x = 1.2.3.4/32\n");
  CHECK(format::format_text("") == "");
  CHECK(format::format_text("\xEF\xBB\xBFnamespace a {}\r\n") == "namespace a {}\n");  // no byte order mark, no CR
  CHECK(format::format_text("\n\n  # only a comment  \n\n") == "# only a comment\n");
}

TEST_CASE("fmt: line diffs find the lines that change, and print as unified diffs", "[fmt]") {
  auto lines = [](std::string_view s) { return format::split_lines(s); };
  std::string a = "a\nb\nc\nd\ne\nf\ng\nh\nx\ni\nj\n";
  std::string b = "a\nB\nc\nd\ne\nf\ng\nh\nx\nj\nk";
  auto hunks = format::diff_lines(lines(a), lines(b));
  REQUIRE(hunks.size() == 3);
  CHECK((hunks[0].a_begin == 1 && hunks[0].a_end == 2 && hunks[0].b_begin == 1 && hunks[0].b_end == 2));
  CHECK((hunks[1].a_begin == 9 && hunks[1].a_end == 10 && hunks[1].b_begin == 9 && hunks[1].b_end == 9));
  CHECK((hunks[2].a_begin == 11 && hunks[2].a_end == 11 && hunks[2].b_begin == 10 && hunks[2].b_end == 11));
  CHECK(format::unified_diff(a, b, "old", "new") ==
        "--- old\n+++ new\n"
        "@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n"
        "@@ -7,5 +7,5 @@\n g\n h\n x\n-i\n j\n+k\n\\ No newline at end of file\n");
  CHECK(format::unified_diff(a, a, "old", "new").empty());
  CHECK(format::diff_lines(lines(""), lines("x\n")).size() == 1);
  // Applying the hunks to the old lines gives the new ones, on random edits.
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> x, y;
    for (int i = 0, n = static_cast<int>(rng() % 30); i < n; ++i) x.push_back(std::to_string(rng() % 6) + "\n");
    for (const auto& l : x) {
      if (rng() % 4 == 0) continue;
      if (rng() % 4 == 0) y.push_back(std::to_string(rng() % 6) + "\n");
      y.push_back(l);
    }
    std::vector<std::string_view> xv(x.begin(), x.end()), yv(y.begin(), y.end());
    std::vector<std::string> applied;
    std::size_t at = 0;
    for (const auto& h : format::diff_lines(xv, yv)) {
      REQUIRE(h.a_begin >= at);
      for (; at < h.a_begin; ++at) applied.push_back(x[at]);
      for (auto j = h.b_begin; j < h.b_end; ++j) applied.push_back(y[j]);
      at = h.a_end;
    }
    for (; at < x.size(); ++at) applied.push_back(x[at]);
    CHECK(applied == y);
  }
}
