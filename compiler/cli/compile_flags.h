// The flags `build` and `check` share, and the compile loop they share: every chosen
// environment, every chosen target.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "emit/document.h"

namespace fence::cli {

struct CompileFlags {
  std::vector<std::string> inputs;
  std::string target = "k8s";
  std::vector<std::string> envs;
  bool all_envs = false;
  bool allow_l4_fallback = false;
  std::string color = "auto";

  // `several_envs`: build and check take --all-envs and a repeatable --env; the analyses
  // (why, explain) answer for one environment at a time.
  void add_to(CLI::App& sub, bool several_envs = true);
  ColorMode color_mode() const;
  std::vector<std::string> chosen_targets() const;
};

struct CompileOutcome {
  // Objects per (environment, target); environment "" when the program declares none.
  std::map<std::pair<std::string, std::string>, std::vector<emit::Object>> objects;
  bool ok = false;
  bool multi_env = false;
};

// Reads the inputs, then analyzes and lowers for each environment and target, printing every
// diagnostic. `allow_default_env`: with no --env, cover every declared environment (check)
// instead of insisting on a choice (build).
CompileOutcome compile(const CompileFlags& flags, bool allow_default_env);

}  // namespace fence::cli
