// What every subcommand shares: reading inputs, printing diagnostics, exit codes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "driver/driver.h"

namespace fence::cli {

// Exit codes: 0 success (warnings allowed), 1 the program has errors, 2 usage or I/O errors.
inline constexpr int kExitOk = 0;
inline constexpr int kExitErrors = 1;
inline constexpr int kExitUsage = 2;

// A usage or I/O problem: reported as "fence: error: ..." and exit code 2.
struct UsageError {
  std::string message;
};

// Reads FILE and DIR arguments (a directory stands for every *.fence below it, sorted).
// Throws UsageError when an input cannot be read.
std::vector<driver::SourceInput> read_inputs(const std::vector<std::string>& args);

enum class ColorMode { Auto, Always, Never };
bool use_color(ColorMode mode, int fd);

// Prints the sink's diagnostics to stderr.
void print_diagnostics(const driver::Compilation& c, ColorMode color);

// Chooses the environments to build: `--env` values checked against the declared ones; with
// none given, the program must declare none. Throws UsageError otherwise.
std::vector<std::optional<std::string>> choose_environments(const std::vector<std::string>& declared, const std::vector<std::string>& requested,
                                                            bool all_envs, bool allow_default);

}  // namespace fence::cli
