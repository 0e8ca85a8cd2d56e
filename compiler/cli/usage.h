// Usage errors found before CLI11 parses the command line: an unknown command or option is
// named, with the nearest known one as a suggestion (diag/suggest.h), and exits 2.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fence::cli {

// The subcommands of `app`, hidden ones included, in the order they were added.
std::vector<const CLI::App*> subcommands_of(const CLI::App& app);

// The subcommand the arguments name (the first argument that is not an option), if any.
const CLI::App* chosen_subcommand(const CLI::App& app, const std::vector<std::string>& args);

// Looks for an unknown command or option in argv[1..]: prints `fence: error: ...` and a
// suggestion on stderr and returns the exit code (2), or nothing when the arguments are known.
std::optional<int> check_arguments(const CLI::App& app, const std::vector<std::string>& args);

// The long and short names of the options of `app` that --help shows, with their dashes.
std::vector<std::string> option_names(const CLI::App& app, bool hidden_too = false);

}  // namespace fence::cli
