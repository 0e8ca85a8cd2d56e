// Shared helpers for the unit tests: compile a snippet through the real pipeline.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include "diag/render.h"
#include "driver/driver.h"
#include "emit/yaml.h"

namespace fence::test {

inline std::vector<std::string> stdlib_path() {
  return {std::string(FENCE_SOURCE_DIR) + "/stdlib"};
}

// A directory of the test's own under the system's temporary directory, removed with all it holds
// when the test ends, however it ends (a failed REQUIRE throws).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    static std::atomic<int> count{0};
    path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(count++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& relative) const { return path_ / relative; }
  // Writes a file below the directory (its folders made as needed), replacing what was there.
  void write(const std::string& relative, const std::string& text) const {
    auto p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  }

 private:
  std::filesystem::path path_;
};

struct Compiled {
  std::unique_ptr<driver::Compilation> c;
  std::vector<emit::Object> objects;
  bool ok = false;

  // The rendered diagnostics, as the CLI prints them (without colour).
  std::string diagnostics() const { return render_all(c->sink(), c->sources()); }
  bool has_code(std::string_view id) const {
    for (const auto& d : c->sink().raw()) {
      if (code_info(d.code).id == id) return true;
    }
    return false;
  }
  // The diagnostics of one code, rendered, in report order; and how many there are.
  std::string only(std::string_view id) const {
    std::string out;
    for (const auto& d : c->sink().sorted(c->sources())) {
      if (code_info(d.code).id == id) out += render_text(d, c->sources());
    }
    return out;
  }
  std::size_t count(std::string_view id) const {
    std::size_t n = 0;
    for (const auto& d : c->sink().sorted(c->sources())) n += code_info(d.code).id == id;
    return n;
  }
  std::string yaml() const { return emit::to_yaml_stream(objects); }
  const ir::Program& ir() const { return c->program(); }
};

inline Compiled compile(const std::string& text, const std::string& target = "k8s", std::optional<std::string> env = std::nullopt,
                        driver::Options opt = {}) {
  Compiled out;
  opt.stdlib_path = stdlib_path();
  out.c = std::make_unique<driver::Compilation>(opt);
  if (!out.c->load({{"test.fence", text}})) return out;
  // Like `fence build --target`: a program that means something different per target is analyzed
  // for that target.
  std::optional<std::string> analysis_target;
  if (out.c->per_target()) analysis_target = target;
  if (!out.c->analyze(env, analysis_target)) return out;
  out.objects = out.c->lower(target);
  out.ok = !out.c->sink().has_errors();
  return out;
}

// The YAML documents of a stream, and the one object of them with a given name.
inline std::vector<YAML::Node> docs(const std::string& yaml) {
  return YAML::LoadAll(yaml);
}

inline YAML::Node by_name(const std::vector<YAML::Node>& all, const std::string& name) {
  for (const auto& d : all) {
    if (d["metadata"]["name"].as<std::string>() == name) return d;
  }
  FAIL("no object named " << name);
  return {};
}

}  // namespace fence::test
