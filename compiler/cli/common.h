// What every subcommand shares: reading inputs, colour, exit codes.
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

// Reads FILE and DIR arguments (a directory stands for every *.fence below it, sorted; `-` is
// standard input, shown as <stdin>). Throws UsageError when an input cannot be read.
// Reads at most `limit` + 1 bytes of each (the loader refuses a larger file with E0105).
std::vector<driver::SourceInput> read_inputs(const std::vector<std::string>& args, std::size_t limit = sema::kMaxFileBytes);
// The same for other kinds of input: a directory stands for its files with these extensions.
std::vector<driver::SourceInput> read_inputs(const std::vector<std::string>& args, const std::vector<std::string>& extensions, const std::string& what,
                                             std::size_t limit = sema::kMaxFileBytes);

// All of standard input. Throws UsageError when it cannot be read.
std::string read_standard_input();

enum class ColorMode { Auto, Always, Never };
// Auto: colour only on a terminal, and never when NO_COLOR is set (non-empty) or TERM=dumb.
bool use_color(ColorMode mode, int fd);

// Writes all of `s` to a file descriptor; false on failure.
bool write_all(int fd, const std::string& s);

// Chooses the environments to compile: `--env` values checked against the declared ones, or all
// of them for --all-envs. With neither, a program that declares none has one unnamed
// environment; otherwise `every_by_default` says whether to take all (or throw a UsageError that
// lists them).
std::vector<std::optional<std::string>> choose_environments(const std::vector<std::string>& declared, const std::vector<std::string>& requested,
                                                            bool all_envs, bool every_by_default);

}  // namespace fence::cli
