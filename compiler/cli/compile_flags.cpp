#include "cli/compile_flags.h"

#include "driver/driver.h"

namespace fence::cli {

void CompileFlags::add_to(CLI::App& sub, bool several_envs) {
  std::vector<std::string> choices = driver::targets();
  if (choices.size() > 1) choices.push_back("all");
  sub.add_option("inputs", inputs, "Fence source files, or directories to search for *.fence files")->required()->type_name("FILE|DIR");
  sub.add_option("-t,--target", target, "What to compile to")->check(CLI::IsMember(choices))->capture_default_str();
  if (several_envs) {
    sub.add_option("-e,--env", envs, "The environment to build (repeatable for check)")->type_name("ENV");
    sub.add_flag("--all-envs", all_envs, "Every environment the program declares");
  } else {
    sub.add_option("-e,--env", envs, "The environment to analyze")->type_name("ENV");
  }
  sub.add_flag("--allow-l4-fallback", allow_l4_fallback, "For --target k8s: allow HTTP rules' ports without the rules, with a warning each");
  sub.add_option("--color", color, "Colour in diagnostics")->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
}

ColorMode CompileFlags::color_mode() const {
  if (color == "always") return ColorMode::Always;
  if (color == "never") return ColorMode::Never;
  return ColorMode::Auto;
}

std::vector<std::string> CompileFlags::chosen_targets() const {
  if (target == "all") return driver::targets();
  return {target};
}

CompileOutcome compile(const CompileFlags& flags, bool allow_default_env) {
  CompileOutcome out;
  auto inputs = read_inputs(flags.inputs);
  driver::Options opt;
  opt.k8s.allow_l4_fallback = flags.allow_l4_fallback;
  driver::Compilation c(opt);
  if (!c.load(inputs)) {
    print_diagnostics(c, flags.color_mode());
    return out;
  }
  auto envs = choose_environments(c.environments(), flags.envs, flags.all_envs, allow_default_env);
  out.multi_env = !c.environments().empty();
  bool ok = true;
  for (const auto& env : envs) {
    if (!c.analyze(env)) {
      ok = false;
      continue;
    }
    for (const auto& t : flags.chosen_targets()) {
      auto objects = c.lower(t);
      if (c.sink().has_errors()) {
        ok = false;
        continue;
      }
      out.objects[{env.value_or(""), t}] = std::move(objects);
    }
  }
  print_diagnostics(c, flags.color_mode());
  out.ok = ok && !c.sink().has_errors();
  return out;
}

}  // namespace fence::cli
