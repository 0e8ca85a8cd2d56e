// The checks of names, without an inventory (W0613-W0615), and the infos that say what a
// statement does beyond its line (I0616, I0617): each fires where it should, and stays quiet on
// programs that are right.
#include <map>

#include <catch2/catch.hpp>

#include "check/check.h"
#include "helpers.h"
#include "sema/loader.h"

using fence::test::compile;

namespace {

fence::driver::Options explaining() {
  fence::driver::Options o;
  o.explain = true;
  return o;
}

// A program of several files: the roots, and files they import, all from memory.
fence::test::Compiled compile_files(const std::vector<std::pair<std::string, std::string>>& roots,
                                    const std::map<std::string, std::string>& imported = {}, std::optional<std::string> env = std::nullopt) {
  fence::test::Compiled out;
  fence::driver::Options opt;
  opt.stdlib_path = fence::test::stdlib_path();
  opt.loader.read_file = [imported](const std::string& path) -> std::optional<std::string> {
    for (const auto& [name, text] : imported) {
      if (path.size() >= name.size() && path.compare(path.size() - name.size(), name.size(), name) == 0) return text;
    }
    return fence::sema::read_disk(path);
  };
  out.c = std::make_unique<fence::driver::Compilation>(opt);
  std::vector<fence::driver::SourceInput> inputs;
  for (const auto& [path, text] : roots) inputs.push_back({path, text});
  if (!out.c->load(inputs)) return out;
  for (const auto& e : out.c->environments().empty() ? std::vector<std::optional<std::string>>{env}
                                                       : std::vector<std::optional<std::string>>(out.c->environments().begin(),
                                                                                                 out.c->environments().end())) {
    if (!out.c->analyze(e)) return out;
  }
  out.ok = !out.c->sink().has_errors();
  return out;
}

}  // namespace

TEST_CASE("W0613: a name taken as pods that looks like a definition, a std name or a namespace", "[check]") {
  auto c = compile(
      "import std\n"
      "let stripe = 203.0.113.0/24:443\n"
      "namespace shop {\n"
      "  payments may reach strpe, dns\n"
      "  api may reach metdata, dns\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto w = c.only("W0613");
  CHECK(w.find("test.fence:4:22: warning[W0613]: 'strpe' is not defined here, so it means the pods labelled app=strpe; it looks like the "
               "definition 'stripe'") != std::string::npos);
  CHECK(w.find("test.fence:2:5: note: 'stripe' is defined here") != std::string::npos);
  CHECK(w.find("help: if the definition is meant, write stripe") != std::string::npos);
  CHECK(w.find("test.fence:5:17: warning[W0613]: 'metdata' is not defined here") != std::string::npos);
  CHECK(w.find("it looks like 'metadata' of the standard library") != std::string::npos);
  // The misspelt definition is unused, and says so too.
  CHECK(c.only("W0614").find("'stripe' is defined but never used") != std::string::npos);

  SECTION("a misspelt namespace block, against a busier one") {
    auto b = compile(
        "import std\n"
        "namespace boutique {\n  web may reach api:80, dns\n  api may reach db:5432, dns\n}\n"
        "namespace boutque {\n  default deny ingress\n  db may be reached by boutique/api:5432\n}\n");
    INFO(b.diagnostics());
    auto text = b.only("W0613");
    CHECK(text.find("test.fence:6:11: warning[W0613]: namespace 'boutque' looks like namespace 'boutique' (2 statements against 1)") !=
          std::string::npos);
    CHECK(text.find("test.fence:2:11: note: namespace boutique is here") != std::string::npos);
    CHECK(b.count("W0613") == 1);
    CHECK_FALSE(b.has_code("I0609"));  // told once
  }
  SECTION("said once, whatever the environments: namespaces' names and statements that exist in some only") {
    auto e = compile_files({{"main.fence",
                             "import std\nenvironments dev, prod\nlet shop = \"shop\"\nlet shop in dev = \"dev-shop\"\n"
                             "let stripe = 203.0.113.0/24:443\n"
                             "namespace shop {\n  set label-key = \"app.kubernetes.io/name\"\n  api may reach stripe, dns\n"
                             "  when prod { payments may reach strpe, dns }\n}\n"}});
    INFO(e.diagnostics());
    REQUIRE(e.ok);
    CHECK(e.count("W0613") == 1);
    CHECK(e.only("W0613").find("so it means the pods labelled app.kubernetes.io/name=strpe; it looks like the definition 'stripe'") !=
          std::string::npos);
    CHECK(e.only("W0613").find("only when building") == std::string::npos);
  }
  SECTION("right programs stay quiet: siblings, definitions used, names far apart") {
    auto quiet = compile(
        "import std\n"
        "let stripe = 203.0.113.0/24:443\n"
        "namespace east {\n  web may reach stripe, dns, shard-1:80, shard-2:80\n}\n"
        "namespace west {\n  web may reach stripe, dns\n}\n"
        "namespace team-a {\n  web may reach dns\n}\n"
        "namespace team-b {\n  web may reach dns\n}\n");
    INFO(quiet.diagnostics());
    CHECK_FALSE(quiet.has_code("W0613"));
    CHECK_FALSE(quiet.has_code("W0614"));
  }
}

TEST_CASE("W0614: a definition nothing uses", "[check]") {
  auto c = compile(
      "import std\n"
      "let used = 10.0.0.0/8:443\n"
      "let unused = 10.1.0.0/16\n"
      "let _kept = 10.2.0.0/16\n"
      "let ns-name = \"shop\"\n"
      "let through = used\n"
      "namespace ns-name {\n"
      "  let local = pods[tier=db]\n"
      "  web may reach through, dns\n"
      "}\n");
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  CHECK(c.count("W0614") == 2);
  CHECK(c.only("W0614").find("test.fence:3:5: warning[W0614]: 'unused' is defined but never used") != std::string::npos);
  CHECK(c.only("W0614").find("test.fence:8:7: warning[W0614]: 'local' is defined but never used") != std::string::npos);
  CHECK(c.only("W0614").find("help: remove it, or name it `_unused` if it is kept on purpose") != std::string::npos);

  SECTION("definitions used in some environments only, or only as namespace names, count as used") {
    auto e = compile(
        "import std\nenvironments dev, prod\n"
        "let mail in prod = 192.0.2.25/32:587\n"
        "let mail in dev = 198.51.100.7/32:1025\n"
        "let debug in dev = 10.9.0.0/16\n"
        "let shop = \"shop\"\n"
        "namespace shop {\n  api may reach mail, dns\n  when dev { api may reach debug }\n}\n",
        "k8s", "dev");
    INFO(e.diagnostics());
    CHECK_FALSE(e.has_code("W0614"));
  }
  SECTION("a library's definitions are its interface") {
    // _lib.fence is imported, and has no statements: another program may use what this one does not.
    auto p = compile_files({{"main.fence", "import std\nimport \"_lib.fence\"\nnamespace a {\n  web may reach partners, dns\n}\n"},
                            {"_lib.fence", "let partners = 198.51.100.0/24:443\nlet others = 203.0.113.0/24:443\n"}});
    INFO(p.diagnostics());
    REQUIRE(p.ok);
    CHECK_FALSE(p.has_code("W0614"));
    // A file with statements that nothing imports is a program: its unused definitions are reported.
    auto alone = compile_files({{"main.fence", "import std\nlet others = 203.0.113.0/24:443\nnamespace a {\n  web may reach dns\n}\n"}});
    CHECK(alone.has_code("W0614"));
  }
}

TEST_CASE("W0615: a std name without import std", "[check]") {
  auto c = compile("namespace shop {\n  web may reach dns, internet:443\n}\n");
  INFO(c.diagnostics());
  auto w = c.only("W0615");
  CHECK(w.find("test.fence:2:17: warning[W0615]: 'dns' is a name of the standard library, but this file does not import std, so it means the "
               "pods labelled app=dns") != std::string::npos);
  CHECK(w.find("note: with `import std`, dns is the cluster's DNS, kube-system/pods[k8s-app=kube-dns]:{53/udp, 53/tcp}") != std::string::npos);
  CHECK(w.find("help: add `import std` at the top of this file") != std::string::npos);
  CHECK(w.find("test.fence:2:22: warning[W0615]: 'internet' is a name of the standard library") != std::string::npos);
  CHECK(c.count("W0613") == 0);  // not a look-alike: the name itself
  // Defined by the program, or imported: nothing to say.
  CHECK_FALSE(compile("import std\nnamespace shop {\n  web may reach dns\n}\n").has_code("W0615"));
  CHECK_FALSE(compile("let dns = 10.0.0.53/32:53/udp\nnamespace shop {\n  web may reach dns\n}\n").has_code("W0615"));
  // Imports are not transitive: a file that uses std's names imports std itself.
  auto p = compile_files({{"main.fence", "import std\nimport \"_lib.fence\"\nnamespace a {\n  web may reach dns\n}\n"},
                          {"_lib.fence", "namespace b {\n  api may reach dns\n}\n"}});
  CHECK(p.has_code("W0615"));
}

TEST_CASE("the std names W0615 knows are the ones std.fence defines", "[check]") {
  auto text = fence::sema::read_disk(fence::test::stdlib_path()[0] + "/std.fence");
  REQUIRE(text);
  std::size_t lets = 0;
  std::size_t pos = 0;
  while ((pos = text->find("\nlet ", pos)) != std::string::npos) {
    ++lets;
    pos += 5;
    auto name = text->substr(pos, text->find(' ', pos) - pos);
    bool known = false;
    for (const auto& s : fence::check::std_names()) known = known || s.name == name;
    CHECK(known);
  }
  CHECK(lets == fence::check::std_names().size());
}

TEST_CASE("I0616 / I0617: what a statement does beyond its line, with --verbose", "[check]") {
  const char* text =
      "import std\n"
      "namespace payments {\n  default deny all\n  gateway may reach dns\n}\n"
      "namespace shop {\n  api may reach payments/gateway:8443, dns\n}\n";
  auto quiet = compile(text);
  CHECK_FALSE(quiet.has_code("I0616"));  // not computed without --verbose
  CHECK_FALSE(quiet.has_code("I0617"));
  auto c = compile(text, "k8s", std::nullopt, explaining());
  INFO(c.diagnostics());
  REQUIRE(c.ok);
  auto implied = c.only("I0616");
  CHECK(implied.find("test.fence:7:17: info[I0616]: this also adds an ingress rule in namespace payments, for the pods labelled app=gateway "
                     "there: it lets in pods labelled app=api in namespace shop on 8443/tcp") != std::string::npos);
  CHECK(implied.find("note: namespace payments denies ingress by default, so the connection needs both sides") != std::string::npos);
  auto isolates = c.only("I0617");
  CHECK(isolates.find("test.fence:7:3: info[I0617]: this isolates pods labelled app=api in namespace shop for egress: namespace shop has no "
                      "`default deny egress`") != std::string::npos);
  CHECK(c.count("I0617") == 1);  // payments has its default deny
  // Within one namespace, the other side is no news.
  auto same = compile("import std\nnamespace p {\n  default deny all\n  web may reach api:80, dns\n}\n", "k8s", std::nullopt, explaining());
  CHECK_FALSE(same.has_code("I0616"));
  CHECK_FALSE(same.has_code("I0617"));
  // Text reports leave them out unless asked.
  fence::RenderOptions ro;
  CHECK(fence::render_all(c.c->sink(), c.c->sources(), ro).find("I0616") == std::string::npos);
  ro.verbose = true;
  CHECK(fence::render_all(c.c->sink(), c.c->sources(), ro).find("I0616") != std::string::npos);
}
