// The project root and fence.toml (driver/project.h).
#include <catch2/catch.hpp>

#include "diag/render.h"
#include "driver/project.h"
#include "helpers.h"

using namespace fence;

namespace {
std::string read_toml(const std::string& text, driver::ProjectFile* out = nullptr) {
  SourceManager sm;
  DiagnosticSink sink;
  auto id = sm.add("fence.toml", text);
  auto p = driver::parse_project_file(sm, id, sink);
  if (out != nullptr) *out = p;
  return render_all(sink, sm);
}
}  // namespace

TEST_CASE("fence.toml: an empty file, comments and the known keys are valid", "[project]") {
  CHECK(read_toml("") == "");
  CHECK(read_toml("\n# nothing\n   \n") == "");
  CHECK(read_toml("version = 1  # the format\n") == "");
  CHECK(read_toml("version=1") == "");
}

TEST_CASE("fence.toml: what it cannot accept is an error at its line and column", "[project]") {
  auto d = read_toml("version = 1\nsources = [\"a\"]\n");
  CHECK(d.find("fence.toml:2:1: error[E0116]: fence.toml has no key 'sources'") != std::string::npos);
  d = read_toml("versoin = 1\n");
  CHECK(d.find("fence.toml:1:1: error[E0116]") != std::string::npos);
  CHECK(d.find("did you mean 'version'?") != std::string::npos);
  d = read_toml("[project]\n");
  CHECK(d.find("fence.toml:1:1: error[E0115]") != std::string::npos);
  d = read_toml("  version 1\n");
  CHECK(d.find("fence.toml:1:11: error[E0115]: expected '=' after the key 'version'") != std::string::npos);
  d = read_toml("version = \"one\n");
  CHECK(d.find("fence.toml:1:11: error[E0115]") != std::string::npos);
  d = read_toml("version = 1 2\n");
  CHECK(d.find("fence.toml:1:13: error[E0115]") != std::string::npos);
  d = read_toml("version = \"1\"\n");
  CHECK(d.find("fence.toml:1:11: error[E0117]") != std::string::npos);
  d = read_toml("version = 2\n");
  CHECK(d.find("fence.toml:1:11: error[E0117]") != std::string::npos);
  d = read_toml("version = 1\nversion = 1\n");
  CHECK(d.find("fence.toml:2:1: error[E0118]: the key 'version' is given twice") != std::string::npos);
  d = read_toml("= 1\n");
  CHECK(d.find("fence.toml:1:1: error[E0115]") != std::string::npos);
}

TEST_CASE("the project root: the nearest fence.toml above the inputs' common directory", "[project]") {
  test::TempDir dir("fence-project");
  dir.write("a/b/one.fence", "");
  dir.write("a/c/two.fence", "");
  auto real = std::filesystem::canonical(dir.path()).string();
  auto one = (dir / "a/b/one.fence").string();
  auto two = (dir / "a/c/two.fence").string();
  CHECK(driver::common_directory({one, two}) == real + "/a");
  CHECK(driver::common_directory({one}) == real + "/a/b");
  CHECK(driver::common_directory({one, "<stdin>"}) == real + "/a/b");
  CHECK(driver::relative_to_root(one, real + "/a") == "b/one.fence");
  CHECK(driver::relative_to_root(one, real + "/a/c") == "../b/one.fence");
  CHECK(driver::relative_to_root("<stdin>", real) == "<stdin>");
  auto none = driver::find_project_file(real + "/a/b");
  CHECK((!none || none->find(real) == std::string::npos));  // nothing in the test's directory
  dir.write("a/fence.toml", "");
  CHECK(driver::find_project_file(real + "/a/b") == real + "/a/fence.toml");
  dir.write("a/b/fence.toml", "");
  CHECK(driver::find_project_file(real + "/a/b") == real + "/a/b/fence.toml");
  CHECK(driver::find_project_file(real + "/a/c") == real + "/a/fence.toml");
}
