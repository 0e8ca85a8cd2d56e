#include "emit/output.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "emit/yaml.h"

namespace fence::emit {

namespace fs = std::filesystem;

std::vector<OutputFile> layout(const std::vector<Object>& objects, const std::string& prefix) {
  std::vector<OutputFile> out;
  for (const auto& o : objects) {
    std::string kind;
    for (char c : o.kind) kind += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    fs::path p = fs::path(prefix) / (o.ns.empty() ? std::string("cluster") : o.ns) / fmt::format("{}-{}.yaml", kind, o.name);
    out.push_back(OutputFile{p.lexically_normal().string(), "---\n" + to_yaml(o.doc)});
  }
  return out;
}

namespace {

std::optional<std::string> write_file(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto msg = fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
      ::close(fd);
      return msg;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> replace_directory(const std::string& dir_arg, const std::vector<OutputFile>& files) {
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(dir_arg), ec).lexically_normal();
  if (ec) return fmt::format("cannot use {}: {}", dir_arg, ec.message());
  if (dir.filename().empty()) dir = dir.parent_path();
  fs::path parent = dir.parent_path();
  bool exists = fs::exists(dir, ec);
  if (exists) {
    if (!fs::is_directory(dir, ec)) return fmt::format("{} exists and is not a directory", dir_arg);
    bool empty = fs::is_empty(dir, ec);
    if (!empty && !fs::exists(dir / kMarkerFile, ec)) {
      return fmt::format("{} is not empty and was not written by fence (it has no {} file); refusing to replace it", dir_arg, kMarkerFile);
    }
  } else {
    fs::create_directories(parent, ec);
    if (ec) return fmt::format("cannot create {}: {}", parent.string(), ec.message());
  }
  // Leftovers of builds that were killed midway.
  std::string stem = "." + dir.filename().string() + ".fence-";
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    auto name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;
    auto dash = name.rfind('-');
    int pid = std::atoi(name.c_str() + dash + 1);
    bool alive = pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
    if (!alive) fs::remove_all(entry.path(), ec);
  }
  fs::path tmp = parent / fmt::format("{}tmp-{}", stem, ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return fmt::format("cannot create {}: {}", tmp.string(), ec.message());
  auto fail = [&](std::string msg) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    return std::optional<std::string>(std::move(msg));
  };
  if (auto err = write_file(tmp / kMarkerFile, "This directory is written by fence. Each build replaces it as a whole.\n")) return fail(*err);
  for (const auto& f : files) {
    if (auto err = write_file(tmp / f.path, f.content)) return fail(*err);
  }
  if (!exists) {
    if (::rename(tmp.c_str(), dir.c_str()) != 0) return fail(fmt::format("cannot move the output into {}: {}", dir_arg, std::strerror(errno)));
    return std::nullopt;
  }
  // Swap the two directories in one step where the kernel can; otherwise two renames.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(tmp, ec);  // now the old output
    return std::nullopt;
  }
  fs::path old = parent / fmt::format("{}old-{}", stem, ::getpid());
  if (::rename(dir.c_str(), old.c_str()) != 0) return fail(fmt::format("cannot replace {}: {}", dir_arg, std::strerror(errno)));
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    auto msg = fmt::format("cannot replace {}: {}", dir_arg, std::strerror(errno));
    ::rename(old.c_str(), dir.c_str());
    return fail(msg);
  }
  fs::remove_all(old, ec);
  return std::nullopt;
}

}  // namespace fence::emit
