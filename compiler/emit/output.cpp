#include "emit/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>


namespace fence::emit {

namespace fs = std::filesystem;

int write_fd(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

namespace {

// Writes one file of a fresh tree. Durability comes from one syncfs() over the whole tree before
// it is renamed into place: much cheaper than an fsync() per file, and as safe.
std::optional<std::string> write_file(const fs::path& path, const std::string& content, std::set<fs::path>& made_dirs) {
  std::error_code ec;
  if (made_dirs.insert(path.parent_path()).second) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) return fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message());
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot write {}: {}", path.string(), std::strerror(errno));
  int err = write_fd(fd, content);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) return fmt::format("cannot write {}: {}", path.string(), std::strerror(err));
  return std::nullopt;
}

// Flushes the file system that holds `dir` (syncfs), or, for a directory itself, its entries.
std::optional<std::string> sync_path(const fs::path& dir, bool whole_fs) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open {}: {}", dir.string(), std::strerror(errno));
  int rc = whole_fs ? ::syncfs(fd) : ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fmt::format("cannot flush {} to disk: {}", dir.string(), std::strerror(err));
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
  std::set<fs::path> made_dirs{tmp};
  if (auto err = write_file(tmp / kMarkerFile, kMarkerContent, made_dirs)) return fail(*err);
  for (const auto& f : files) {
    if (auto err = write_file(tmp / f.path, f.content, made_dirs)) return fail(*err);
  }
  if (auto err = sync_path(tmp, true)) return fail(*err);
  if (!exists) {
    if (::rename(tmp.c_str(), dir.c_str()) != 0) return fail(fmt::format("cannot move the output into {}: {}", dir_arg, std::strerror(errno)));
    sync_path(parent, false);
    return std::nullopt;
  }
  // Swap the two directories in one step where the kernel can; otherwise two renames.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    sync_path(parent, false);
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

std::optional<std::string> replace_file(const std::string& path_arg, const std::string& content) {
  std::error_code ec;
  fs::path path;
  mode_t mode = 0644;
  if (fs::exists(path_arg, ec)) {
    // An existing file (through any symbolic link) keeps its place and its permissions.
    path = fs::canonical(path_arg, ec);
    if (ec) return fmt::format("cannot write {}: {}", path_arg, ec.message());
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fmt::format("cannot write {}: {}", path_arg, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return fmt::format("cannot write {}: it is a directory", path_arg);
    mode = st.st_mode & 07777;
  } else {
    path = fs::path(path_arg).lexically_normal();
    if (path.filename().empty()) return fmt::format("cannot write {}: it names a directory", path_arg);
    fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (!fs::is_directory(parent, ec)) return fmt::format("cannot write {}: no directory {}", path_arg, parent.string());
  }
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  auto tmp = dir / fmt::format(".{}.fence-tmp-{}", path.filename().string(), ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fmt::format("cannot write {}: {}", path_arg, std::strerror(errno));
  int err = write_fd(fd, content);
  if (err == 0 && ::fchmod(fd, mode) != 0) err = errno;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    fs::remove(tmp, ec);
    return fmt::format("cannot write {}: {}", path_arg, std::strerror(err));
  }
  return sync_path(dir, false);
}

namespace {

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

}  // namespace

Comparison compare_directory(const std::string& dir_arg, const std::vector<OutputFile>& files) {
  Comparison out;
  std::map<std::string, const std::string*> expected;
  static const std::string marker = kMarkerContent;
  expected[kMarkerFile] = &marker;
  for (const auto& f : files) expected[f.path] = &f.content;

  fs::path dir(dir_arg);
  std::error_code ec;
  auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(status)) {
    out.drift.push_back(Drift{Drift::Kind::Missing, "", "", ""});
    return out;
  }
  if (!fs::is_directory(fs::status(dir, ec))) {
    out.error = fmt::format("{} is not a directory", dir_arg);
    return out;
  }
  std::map<std::string, fs::path> found;  // relative path -> full path, every entry but directories
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    found[it->path().lexically_relative(dir).generic_string()] = it->path();
  }
  if (ec) {
    out.error = fmt::format("cannot read {}: {}", dir_arg, ec.message());
    return out;
  }
  for (const auto& [rel, full] : found) {
    auto e = expected.find(rel);
    std::optional<std::string> text = fs::is_regular_file(fs::symlink_status(full, ec)) ? read_file(full) : std::nullopt;
    if (e == expected.end()) {
      out.drift.push_back(Drift{Drift::Kind::Extra, rel, text.value_or(""), ""});
    } else if (!text || *text != *e->second) {
      out.drift.push_back(Drift{Drift::Kind::Changed, rel, text.value_or(""), *e->second});
    }
  }
  for (const auto& [rel, content] : expected) {
    if (!found.count(rel)) out.drift.push_back(Drift{Drift::Kind::Missing, rel, "", *content});
  }
  std::sort(out.drift.begin(), out.drift.end(), [](const Drift& a, const Drift& b) { return a.path < b.path; });
  return out;
}

}  // namespace fence::emit
