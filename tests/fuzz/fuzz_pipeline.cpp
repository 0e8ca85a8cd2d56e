// Fuzz target: the whole compiler on one file, as `fence check` and `fence build -o` run it:
// load (with the standard library), analyze in up to three of the environments it declares (and
// per target, for a program that says what differs per target),
// check, lower to both targets, write the YAML and lay out the output tree, and render the
// diagnostics in every format. A program that does not build has at least one error with a
// place, and produces no objects.
#include <optional>
#include <string>

#include "driver/driver.h"
#include "emit/output.h"
#include "emit/yaml.h"
#include "fuzz.h"

using namespace fence;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  driver::Options opt;
  opt.stdlib_path = {FENCE_SOURCE_DIR "/stdlib"};
  driver::Compilation c(opt);
  bool ok = c.load({{"fuzz.fence", std::string(reinterpret_cast<const char*>(data), size)}});
  std::vector<std::optional<std::string>> envs;
  for (const auto& e : c.environments()) {
    if (envs.size() < 3) envs.emplace_back(e);
  }
  if (envs.empty()) envs.emplace_back(std::nullopt);
  std::vector<std::vector<emit::Object>> kept;
  std::vector<emit::Unit> units;
  if (ok) {
    for (const auto& env : envs) {
      // A program that means something different per target is analyzed for each.
      if (!c.per_target() && !c.analyze(env)) continue;
      for (const auto& target : driver::targets()) {
        if (c.per_target() && !c.analyze(env, target)) continue;
        auto errors = c.sink().error_count() + c.sink().dropped();
        auto objects = c.lower(target);
        bool failed = c.sink().error_count() + c.sink().dropped() > errors;
        FENCE_FUZZ_CHECK(!failed || objects.empty(), "a lowering that reported errors returned objects");
        emit::to_yaml_stream(objects);
        kept.push_back(std::move(objects));
        units.push_back(emit::Unit{env.value_or(""), target, nullptr});
      }
    }
  } else if (!c.loaded().ok && c.loaded().resolvable) {
    // After syntax errors, what parsed is still resolved and checked, for its errors; it never
    // counts as analyzed, so nothing can be lowered.
    FENCE_FUZZ_CHECK(!c.analyze(envs.front()), "an analysis after syntax errors succeeded");
    FENCE_FUZZ_CHECK(c.lower(driver::targets().front()).empty(), "a program with syntax errors was lowered");
  }
  for (std::size_t i = 0; i < units.size(); ++i) units[i].objects = &kept[i];
  if (!c.sink().has_errors()) emit::output_tree(units, emit::TreeShape{envs.size() > 1, true});
  if (c.sink().has_errors()) {
    bool located = false;
    for (const auto& d : c.sink().raw()) located = located || d.span.valid();
    FENCE_FUZZ_CHECK(located, "a program with errors, none of them with a place");
  }
  fuzz::render_reports(c.sink(), c.sources(), data, size);
  return 0;
}
