// The limits that keep bad input from crashing or stalling the compiler (docs/reliability.md):
// strict UTF-8, how deep a value may nest, long lines, many environments, long import chains,
// the largest file, and the output directory's leftovers.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "diag/render.h"
#include "diag/utf8.h"
#include "emit/output.h"
#include "helpers.h"
#include "lsp/text.h"
#include "syntax/parser.h"

using namespace fence;
using fence::test::compile;

namespace {

std::string codes(const test::Compiled& c) {
  std::string out;
  for (const auto& d : c.c->sink().raw()) out += std::string(code_info(d.code).id) + " ";
  return out;
}

// A chain of definitions: d0 is an address, each next one names the one before, `braces` deep.
std::string chain(int links, int braces = 0) {
  std::string s = "let d0 = 10.0.0.0/8:443\n";
  for (int i = 1; i < links; ++i) {
    s += fmt::format("let d{} = {}d{}{}\n", i, std::string(static_cast<std::size_t>(braces), '{'), i - 1,
                     std::string(static_cast<std::size_t>(braces), '}'));
  }
  return s + fmt::format("namespace a {{\n  web may reach d{}\n}}\n", links - 1);
}

// A process id that is not running: a child that has exited and been reaped.
pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// UTF-8

TEST_CASE("the decoder accepts UTF-8 and nothing else", "[limits][utf8]") {
  CHECK(utf8::first_invalid("plain ascii") == std::string_view::npos);
  CHECK(utf8::first_invalid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf") == std::string_view::npos);
  // surrogate, overlong (2, 3 and 4 bytes), above U+10FFFF, bytes that never occur, truncated, stray
  for (std::string bad : {"\xed\xa0\x80", "\xed\xbf\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80",
                          "\xf5\x80\x80\x80", "\xff", "\xfe", "\xe2\x82", "\xf0\x9f\x98", "\x80", "\xbf"}) {
    INFO(utf8::printable(bad));
    CHECK(utf8::first_invalid("ab" + bad + "cd") == 2);
    CHECK_FALSE(utf8::why_invalid("ab" + bad, 2).empty());
  }
  CHECK(utf8::why_invalid("\xed\xa0\x80", 0) == "a UTF-16 surrogate (U+D800) written as UTF-8");
  CHECK(utf8::why_invalid("\xe0\x80\xaf", 0) == "an overlong encoding of U+002F");
  CHECK(utf8::why_invalid("\xf4\x90\x80\x80", 0) == "a code point above U+10FFFF (U+110000)");
  CHECK(utf8::why_invalid("\xe2\x82", 0) == "byte 0xE2 starts a 3-byte character that is cut short");
}

TEST_CASE("printable text escapes invalid bytes and control characters, and keeps the rest", "[limits][utf8]") {
  CHECK(utf8::printable("caf\xc3\xa9\t\xed\xa0\x80\x1b[31m\x7f") == "caf\xc3\xa9\t\\xed\\xa0\\x80\\x1b[31m\\x7f");
  CHECK(utf8::printable("\xc2\x85", false) == "\\xc2\\x85");  // U+0085, a C1 control
  CHECK(utf8::printable("\x1b\xc2\x85\xff", true) == "\x1b\xc2\x85\\xff");
}

TEST_CASE("invalid UTF-8 is E0102 at its byte, never an exception, in every format", "[limits][utf8]") {
  for (std::string bad : {"\xed\xa0\x80", "\xe0\x80\xaf", "\xf4\x90\x80\x80", "\xe2\x82", "\xff", "\xc0\x80"}) {
    std::string text = "namespace a {\n  web may reach b  # caf\xc3\xa9 " + bad + "\n}\n";
    INFO(utf8::printable(bad));
    test::Compiled c;
    REQUIRE_NOTHROW(c = compile(text));
    REQUIRE_FALSE(c.ok);
    REQUIRE(c.c->sink().raw().size() == 1);
    const auto& d = c.c->sink().raw()[0];
    CHECK(code_info(d.code).id == "E0102");
    CHECK(d.span.begin == text.find(bad));
    // The text form shows the bytes escaped, with the caret under them.
    auto shown = c.diagnostics();
    CHECK(shown.find("test.fence:2:27: error[E0102]: the file is not valid UTF-8 here: ") == 0);
    CHECK(shown.find(" 2 |   web may reach b  # caf\xc3\xa9 \\x") != std::string::npos);
    CHECK(shown.find("\n   |                           ^^^^\n") != std::string::npos);
    CHECK(utf8::first_invalid(shown) == std::string_view::npos);
    // JSON and SARIF are valid documents.
    REQUIRE_NOTHROW(nlohmann::json::parse(render_json(c.c->sink(), c.c->sources())));
    REQUIRE_NOTHROW(nlohmann::json::parse(render_sarif(c.c->sink(), c.c->sources())));
  }
}

TEST_CASE("JSON and SARIF never fail on bytes in messages and paths", "[limits][utf8]") {
  SourceManager sm;
  auto f = sm.add("dir\xff/a\xed\xa0\x80.fence", "x\n");
  DiagnosticSink sink;
  sink.error(Code::E0101, Span{f, 0, 1}, "bad \xe0\x80\xaf byte").note(Span{f, 0, 1}, "\xf4\x90\x80\x80").hint("\xc3");
  nlohmann::json j, s;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(render_json(sink, sm)));
  REQUIRE_NOTHROW(s = nlohmann::json::parse(render_sarif(sink, sm)));
  CHECK(j["diagnostics"][0]["message"] == "bad \\xe0\\x80\\xaf byte");
  CHECK(j["diagnostics"][0]["location"]["file"] == "dir\\xff/a\\xed\\xa0\\x80.fence");
  CHECK(j["diagnostics"][0]["help"][0] == "\\xc3");
  CHECK(s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir%FF/a%ED%A0%80.fence");
  auto text = render_all(sink, sm);
  CHECK(text.find("dir\\xff/a\\xed\\xa0\\x80.fence:1:1: error[E0101]: bad \\xe0\\x80\\xaf byte") == 0);
}

TEST_CASE("the language server's positions step over invalid bytes one at a time", "[limits][utf8][lsp]") {
  std::string text = "a\xff" "b\xe2\x82" "c\xf0\x9f\x98\x80" "d\n\xed\xa0\x80x";
  lsp::LineIndex lines(text);
  // a, \xff, b, \xe2, \x82, c: one unit each; the emoji two; d one.
  CHECK(lines.position(2, lsp::Encoding::Utf16).character == 2);
  CHECK(lines.position(6, lsp::Encoding::Utf16).character == 6);
  CHECK(lines.position(10, lsp::Encoding::Utf16).character == 8);
  CHECK(lines.offset({0, 8}, lsp::Encoding::Utf16) == 10);
  CHECK(lines.offset({0, 7}, lsp::Encoding::Utf16) == 6);  // inside the surrogate pair: its start
  CHECK(lines.position(static_cast<std::uint32_t>(text.size()), lsp::Encoding::Utf16) == lsp::Position{1, 4});
  CHECK(lines.offset({1, 3}, lsp::Encoding::Utf16) == text.size() - 1);
}

// ---------------------------------------------------------------------------------------------
// Long lines

TEST_CASE("columns on a long line with non-ASCII text are those a plain count gives", "[limits][lines]") {
  std::mt19937 rng(3);
  std::string text;
  const std::vector<std::string> pieces = {"a", " ", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\n", "xyz"};
  for (int i = 0; i < 20000; ++i) text += pieces[rng() % (i % 500 == 0 ? pieces.size() : pieces.size() - 2)];
  SourceManager sm;
  auto f = sm.add("a.fence", text);
  lsp::LineIndex lines(text);
  for (std::uint32_t off = 0; off <= text.size(); off += 1 + static_cast<std::uint32_t>(rng() % 97)) {
    // Brute force: count from the line start.
    auto start = text.rfind('\n', off == 0 ? 0 : off - 1);
    start = off == 0 || start == std::string::npos ? 0 : start + 1;
    std::uint32_t cps = 0, units = 0, line = 1;
    for (std::size_t i = 0; i < off; ++i) line += text[i] == '\n';
    for (std::size_t i = start; i < off;) {
      auto n = utf8::char_len(text, i);
      ++cps;
      units += n == 4 ? 2 : 1;
      i += n;
    }
    bool at_char = off == text.size() || (static_cast<unsigned char>(text[off]) & 0xC0) != 0x80;
    if (!at_char) continue;
    auto lc = sm.file(f).locate(off);
    CHECK(lc.line == line);
    CHECK(lc.col == cps + 1);
    auto p = lines.position(off, lsp::Encoding::Utf16);
    CHECK(p.line == line - 1);
    CHECK(p.character == units);
    CHECK(lines.offset(p, lsp::Encoding::Utf16) == off);
  }
}

namespace {

// `prefix`, then one line of `n` statements of namespace a, the last with a CIDR that has host
// bits set (E0309).
std::string long_line(const std::string& prefix, int n) {
  std::string text = prefix + "namespace a { ";
  for (int i = 0; i < n; ++i) text += fmt::format("w{} may reach x{} ", i, i);
  return text + "web may reach 10.0.0.1/8 }\n";
}

// The first diagnostic's lines, up to its help.
std::vector<std::string> first_diagnostic(const std::string& shown) {
  std::vector<std::string> lines;
  std::istringstream in(shown.substr(0, shown.find("  = help")));
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

}  // namespace

TEST_CASE("a diagnostic on a very long line shows a window of it", "[limits][lines]") {
  auto c = compile(long_line("", 2000));
  REQUIRE(c.has_code("E0309"));
  auto shown = c.diagnostics();
  // One line of context, cut on both sides, with the caret under the CIDR.
  CHECK(shown.find("  = help") < 700);
  auto lines = first_diagnostic(shown);
  REQUIRE(lines.size() == 3);  // the message, the source, the caret
  CHECK(lines[1].find(" | ...") != std::string::npos);
  CHECK(lines[1].find("10.0.0.1/8 }") != std::string::npos);
  CHECK(lines[2].find("^^^^^^^^^^") == lines[1].find("10.0.0.1/8"));
  CHECK(lines[2].find("^^^^^^^^^^^") == std::string::npos);
}

TEST_CASE("after a byte order mark, a long line with non-ASCII text has the right column and caret", "[limits][lines]") {
  auto text = long_line("\xEF\xBB\xBFlet s = \"\xc3\xa9\xe2\x82\xac\" ", 300);
  auto c = compile(text);
  REQUIRE(c.has_code("E0309"));
  // Columns count code points after the mark: the two in the string are one each.
  auto col = text.find("10.0.0.1/8") - 3 - 3 + 1;
  auto shown = c.diagnostics();
  CHECK(shown.find(fmt::format(":1:{}: error[E0309]", col)) != std::string::npos);
  auto lines = first_diagnostic(shown);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].find(" | ...") != std::string::npos);
  CHECK(lines[2].find("^^^^^^^^^^") == lines[1].find("10.0.0.1/8"));
}

// ---------------------------------------------------------------------------------------------
// Values that nest

TEST_CASE("a chain of thousands of definitions is E0216, not a stack overflow", "[limits][depth]") {
  for (int braces : {0, 1}) {
    INFO("braces " << braces);
    auto c = compile(chain(5000, braces));
    CHECK_FALSE(c.ok);
    CHECK(codes(c) == "E0216 ");
    CHECK(c.diagnostics().find("error[E0216]: the value of 'd4999' nests more than 256 levels deep") != std::string::npos);
  }
}

TEST_CASE("values up to the limit resolve", "[limits][depth]") {
  auto c = compile(chain(256));
  CHECK(c.ok);
  CHECK(c.yaml().find("10.0.0.0/8") != std::string::npos);
  CHECK_FALSE(compile(chain(257)).ok);
  // Braces count too: 63 levels of them (64 with the namespace's, the most the parser takes)
  // around 193 definitions.
  auto with_braces = [](int links) {
    return chain(links) + "namespace b {\n  api may reach " + std::string(63, '{') + fmt::format("d{}", links - 1) + std::string(63, '}') + "\n}\n";
  };
  CHECK(compile(with_braces(193)).ok);
  CHECK(codes(compile(with_braces(194))) == "E0216 ");
}

TEST_CASE("a long cycle of definitions is still reported", "[limits][depth]") {
  std::string s;
  for (int i = 0; i < 100; ++i) s += fmt::format("let c{} = c{}\n", i, (i + 1) % 100);
  s += "namespace a {\n  web may reach c0\n}\n";
  CHECK(codes(compile(s)) == "E0203 ");
  std::string big;
  for (int i = 0; i < 3000; ++i) big += fmt::format("let c{} = c{}\n", i, (i + 1) % 3000);
  big += "namespace a {\n  web may reach c0\n}\n";
  CHECK(codes(compile(big)) == "E0216 ");
}

TEST_CASE("a chain of ten thousand imports loads, and its cycle is found", "[limits][depth]") {
  const int n = 10000;
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  opt.loader.read_file = [&](const std::string& path) -> std::optional<std::string> {
    auto name = std::filesystem::path(path).filename().string();
    int i = std::stoi(name.substr(1));
    return fmt::format("import \"f{}.fence\"\nlet x{} = 10.0.0.0/8\n", (i + 1) % n, i);
  };
  driver::Compilation c(opt);
  CHECK_FALSE(c.load({{"f0.fence", "import \"f1.fence\"\nnamespace a {\n  web may reach x5000\n}\n"}}));
  REQUIRE(c.sink().raw().size() == 1);
  CHECK(code_info(c.sink().raw()[0].code).id == "E0202");
  CHECK(c.sink().raw()[0].notes.size() == n - 1);
}

// ---------------------------------------------------------------------------------------------
// Scale

TEST_CASE("thousands of environments, each with its own value", "[limits][envs]") {
  const int n = 2000;
  std::string s = "environments ";
  for (int i = 0; i < n; ++i) s += fmt::format("{}e{}", i ? ", " : "", i);
  s += "\nlet x = 10.255.255.0/24:443\n";
  for (int i = 0; i < n; ++i) s += fmt::format("let x in e{} = 10.{}.{}.0/24:443\n", i, i / 256, i % 256);
  s += "namespace a {\n  web may reach x\n}\n";
  for (int i : {0, 1234, n - 1}) {
    auto c = compile(s, "k8s", fmt::format("e{}", i));
    REQUIRE(c.ok);
    CHECK(c.yaml().find(fmt::format("10.{}.{}.0/24", i / 256, i % 256)) != std::string::npos);
  }
  auto dup = compile(s + "let x in e7, e3 = 10.0.0.0/8\n", "k8s", "e1");
  CHECK(dup.diagnostics().find("'x' is defined twice for environment 'e3'") != std::string::npos);
}

TEST_CASE("a file over the size limit is E0105 and is not parsed", "[limits][size]") {
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  opt.loader.max_file_bytes = 100;
  driver::Compilation c(opt);
  CHECK_FALSE(c.load({{"big.fence", std::string(101, '#')}}));
  REQUIRE(c.sink().raw().size() == 1);
  CHECK(render_all(c.sink(), c.sources()) ==
        "big.fence:1:1: error[E0105]: this file is larger than 100 bytes, the most Fence reads (--max-file-size)\n"
        "  = help: split it into several files (a directory of .fence files builds as one program), or generate less source\n"
        "fence: 1 error\n");
  driver::Compilation ok(opt);
  CHECK(ok.load({{"small.fence", std::string(100, '#')}}));
  // Reading stops one byte past the limit.
  std::istringstream in(std::string(1000, 'x'));
  CHECK(sema::read_source(in, 100)->size() == 101);
}

// ---------------------------------------------------------------------------------------------
// The output directory

TEST_CASE("a build removes the leftovers of killed builds beside any output directory", "[limits][output]") {
  namespace fs = std::filesystem;
  auto parent = fs::temp_directory_path() / fmt::format("fence-leftovers-{}", ::getpid());
  fs::remove_all(parent);
  fs::create_directories(parent);
  auto make = [&](const std::string& name, bool marker, bool other_file) {
    fs::create_directories(parent / name);
    if (marker) std::ofstream(parent / name / emit::kMarkerFile) << emit::kMarkerContent;
    if (other_file) std::ofstream(parent / name / "x.yaml") << "x\n";
  };
  auto dead = dead_pid();
  auto alive = ::getppid();
  make(fmt::format(".other.fence-tmp-{}", dead), true, true);      // another output's, dead: removed
  make(fmt::format(".out.fence-old-{}", dead), true, true);        // an old output, dead: removed
  make(fmt::format(".empty.fence-tmp-{}", dead), false, false);    // killed before its marker: removed
  make(fmt::format(".live.fence-tmp-{}", alive), true, true);      // its build still runs: kept
  make(fmt::format(".mine.fence-tmp-{}", dead), false, true);      // not Fence's: kept
  make(fmt::format("plain.fence-tmp-{}", dead), true, true);       // not a hidden leftover: kept
  make(fmt::format(".odd.fence-tmp-{}x", dead), true, true);       // not a pid: kept
  REQUIRE_FALSE(emit::replace_directory((parent / "out").string(), {{"a.yaml", "a: 1\n"}}).has_value());
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(parent)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::string>{fmt::format(".live.fence-tmp-{}", alive), fmt::format(".mine.fence-tmp-{}", dead),
                                         fmt::format(".odd.fence-tmp-{}x", dead), "out", fmt::format("plain.fence-tmp-{}", dead)});
  fs::remove_all(parent);
}

// ---------------------------------------------------------------------------------------------
// The fuzzers' dictionary

TEST_CASE("the fuzzers' dictionary holds every keyword", "[limits][fuzz]") {
  std::ifstream in(std::string(FENCE_SOURCE_DIR) + "/tests/fuzz/fence.dict");
  REQUIRE(in);
  std::string line, all;
  while (std::getline(in, line)) all += line + "\n";
  for (const auto& k : syntax::keywords()) {
    INFO(k);
    CHECK(all.find("\"" + k + "\"\n") != std::string::npos);
  }
}
