#include "cli/analysis.h"

#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "cli/common.h"
#include "net/names.h"

namespace fence::cli {

void AnalysisFlags::add_to(CLI::App& sub, const std::vector<std::string>& formats) {
  format = formats.at(0);
  compile.add_to(sub, "The environment to analyze (one; required when the program declares environments)");
  sub.get_option("--all-envs")->group("");  // one environment at a time: hidden, and refused if given
  sub.add_option("--color", diagnostics.color, "Colour in diagnostics (auto: only on a terminal, and never when NO_COLOR is set)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  sub.add_option("--format", format, "How to print the answer")->check(CLI::IsMember(formats))->capture_default_str();
  sub.add_option("--label-key", label_key, "The label key workload names stand for (default: the one the program uses)")->type_name("KEY");
  sub.add_option("--ns-labels", ns_labels, "A namespace's labels, for namespace selectors (repeatable), e.g. production:team=shop")
      ->type_name("NS:KEY=VALUE,...");
}

Analysis run_analysis(const AnalysisFlags& flags, const CLI::App& sub) {
  Analysis a;
  auto name = sub.get_name();
  if (flags.compile.all_envs) throw UsageError{fmt::format("--all-envs: {} answers for one environment at a time; choose it with --env", name)};
  if (flags.compile.envs.size() > 1) throw UsageError{fmt::format("--env: give one environment; {} answers for one at a time", name)};
  for (const auto& text : flags.ns_labels) {
    try {
      auto [ns, labels] = analyze::parse_namespace_labels(text);
      if (!a.options.ns_labels.emplace(ns, labels).second) throw UsageError{fmt::format("--ns-labels: namespace {} is given twice", ns)};
    } catch (const analyze::QueryError& e) {
      throw UsageError{"--ns-labels " + e.message};
    }
  }
  if (!flags.label_key.empty()) {
    auto why = net::check_label_key(flags.label_key);
    if (!why.empty()) throw UsageError{fmt::format("--label-key: '{}' is not a valid label key: {}", flags.label_key, why)};
    a.options.label_key = flags.label_key;
  }

  apply_memory_limit(flags.compile);
  auto opt = flags.compile.driver_options();
  opt.policy = {};  // the answer is what matters here: --allow and --werror only shape diagnostics
  auto inputs = read_inputs(flags.compile.inputs, flags.compile.max_file_bytes());
  a.compilation = std::make_unique<driver::Compilation>(opt);
  auto& c = *a.compilation;
  if (!c.load(inputs)) {
    report(c, flags.diagnostics);
    return a;
  }
  if (flags.compile.envs.empty() && !c.environments().empty()) {
    throw UsageError{fmt::format("the program declares environments ({}): choose one with --env", fmt::join(c.environments(), ", "))};
  }
  auto envs = choose_environments(c.environments(), flags.compile.envs, false, false);
  a.environment = envs.at(0);
  // A program that means something different per target is analyzed for one target: --target, or
  // the one it builds for.
  std::optional<std::string> analysis_target;
  if (c.per_target()) {
    auto targets = flags.compile.chosen_targets(c.program_targets());
    if (targets.size() != 1) {
      throw UsageError{fmt::format("the program builds for several targets ({}): choose one with --target", fmt::join(targets, ", "))};
    }
    analysis_target = targets.front();
  }
  bool ok = c.analyze(a.environment, analysis_target);
  // The answer is about the program's meaning; --target also holds it to what that target can express.
  const auto* target = sub.get_option("--target");
  if (ok && target->count() > 0) {
    for (const auto& t : flags.compile.chosen_targets(c.program_targets())) c.lower(t);
  }
  report(c, flags.diagnostics);
  a.ok = ok && !c.sink().has_errors();
  if (const auto* inv = c.inventory()) analyze::add_namespace_labels(a.options.ns_labels, *inv);
  return a;
}

analyze::EndpointWithPort parse_query(const std::string& flag, const std::string& text, bool with_port) {
  try {
    return analyze::parse_endpoint(text, with_port);
  } catch (const analyze::QueryError& e) {
    throw UsageError{flag + " " + e.message};
  }
}

void bind_query(const Analysis& a, const std::string& flag, analyze::EndpointWithPort& ep) {
  try {
    analyze::bind_endpoint(ep.endpoint, a.program(), a.options.label_key, a.options.ns_labels);
    if (const auto* inv = a.compilation->inventory()) analyze::bind_inventory(ep, *inv);
  } catch (const analyze::QueryError& e) {
    throw UsageError{flag + " " + ep.endpoint.str() + ": " + e.message};
  }
}

void print_answer(const std::string& text) {
  std::cout << text;
  std::cout.flush();
  if (!std::cout) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
}

}  // namespace fence::cli
