#include "cli/common.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "emit/output.h"


namespace fence::cli {

namespace fs = std::filesystem;

namespace {
std::string read_whole(const std::string& path, std::size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError{fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
  auto text = sema::read_source(in, limit);
  if (!text) throw UsageError{fmt::format("cannot read '{}'", path)};
  return std::move(*text);
}
}  // namespace

std::string read_standard_input() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  if (std::cin.bad()) throw UsageError{"cannot read standard input"};
  return ss.str();
}

std::vector<driver::SourceInput> read_inputs(const std::vector<std::string>& args, std::size_t limit) {
  return read_inputs(args, {".fence"}, ".fence files", limit);
}

std::vector<driver::SourceInput> read_inputs(const std::vector<std::string>& args, const std::vector<std::string>& extensions, const std::string& what,
                                             std::size_t limit) {
  std::vector<driver::SourceInput> out;
  if (args.empty()) throw UsageError{fmt::format("no input files: name {} or directories", what)};
  for (const auto& a : args) {
    if (a == "-") {
      auto text = sema::read_source(std::cin, limit);
      if (!text) throw UsageError{"cannot read standard input"};
      out.push_back({"<stdin>", std::move(*text)});
      continue;
    }
    std::error_code ec;
    auto status = fs::status(a, ec);
    if (ec || !fs::exists(status)) throw UsageError{fmt::format("cannot read '{}': no such file or directory", a)};
    if (fs::is_directory(status)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(a, fs::directory_options::skip_permission_denied, ec); it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (ec) break;
        auto ext = it->path().extension().string();
        if (it->is_regular_file(ec) && std::find(extensions.begin(), extensions.end(), ext) != extensions.end()) {
          found.push_back(it->path().lexically_normal().string());
        }
      }
      if (ec) throw UsageError{fmt::format("cannot read directory '{}': {}", a, ec.message())};
      if (found.empty()) throw UsageError{fmt::format("no {} in '{}'", what, a)};
      std::sort(found.begin(), found.end());
      for (const auto& f : found) out.push_back({f, read_whole(f, limit)});
    } else {
      out.push_back({fs::path(a).lexically_normal().string(), read_whole(a, limit)});
    }
  }
  return out;
}

bool use_color(ColorMode mode, int fd) {
  if (mode == ColorMode::Always) return true;
  if (mode == ColorMode::Never) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

bool write_all(int fd, const std::string& s) {
  errno = emit::write_fd(fd, s);
  return errno == 0;
}

std::vector<std::optional<std::string>> choose_environments(const std::vector<std::string>& declared, const std::vector<std::string>& requested,
                                                            bool all_envs, bool every_by_default) {
  std::vector<std::optional<std::string>> out;
  if (all_envs) {
    if (declared.empty()) throw UsageError{"--all-envs: the program declares no environments"};
    for (const auto& e : declared) out.emplace_back(e);
    return out;
  }
  for (const auto& r : requested) {
    if (std::find(declared.begin(), declared.end(), r) == declared.end()) {
      if (declared.empty()) throw UsageError{fmt::format("--env {}: the program declares no environments", r)};
      throw UsageError{fmt::format("--env {}: the program declares only {}", r, fmt::join(declared, ", "))};
    }
    if (std::find(out.begin(), out.end(), std::optional<std::string>(r)) == out.end()) out.emplace_back(r);
  }
  if (!out.empty()) return out;
  if (!declared.empty() && !every_by_default) {
    throw UsageError{fmt::format("the program declares environments ({}): choose one with --env, or build each into a directory with -o DIR",
                                 fmt::join(declared, ", "))};
  }
  if (!declared.empty()) {
    for (const auto& e : declared) out.emplace_back(e);
    return out;
  }
  out.emplace_back(std::nullopt);
  return out;
}

}  // namespace fence::cli
