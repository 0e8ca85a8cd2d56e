#include "inventory/load.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <fmt/format.h>

#include "inventory/reader.h"

namespace fence::inventory {

namespace fs = std::filesystem;

namespace {

bool manifest_name(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

std::optional<std::string> read_whole(const std::string& path, std::string& problem) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    problem = fmt::format("'{}' has {} bytes; Fence reads inventory files of up to {} bytes", path, size, kMaxFileBytes);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = fmt::format("cannot read '{}': {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    problem = fmt::format("cannot read '{}'", path);
    return std::nullopt;
  }
  return ss.str();
}

}  // namespace

Expanded expand(const std::string& path) {
  Expanded out;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    out.problem = fmt::format("'{}': no such file or directory", path);
    return out;
  }
  if (!fs::is_directory(status)) {
    out.files.push_back(fs::path(path).lexically_normal().string());
    return out;
  }
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && manifest_name(it->path())) out.files.push_back(it->path().lexically_normal().string());
  }
  if (ec) {
    out.files.clear();
    out.problem = fmt::format("cannot read directory '{}': {}", path, ec.message());
    return out;
  }
  if (out.files.empty()) out.problem = fmt::format("'{}' holds no *.yaml, *.yml or *.json files", path);
  std::sort(out.files.begin(), out.files.end());
  return out;
}

std::shared_ptr<const FileContents> Cache::get(const std::string& path, std::string& problem) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto mtime = ec ? fs::file_time_type{} : fs::last_write_time(path, ec);
  if (ec) {
    entries_.erase(path);
    problem = fmt::format("cannot read '{}': {}", path, ec.message());
    return nullptr;
  }
  auto stamp = static_cast<std::int64_t>(mtime.time_since_epoch().count());
  auto it = entries_.find(path);
  if (it != entries_.end() && it->second.size == size && it->second.mtime == stamp) return it->second.contents;
  auto text = read_whole(path, problem);
  if (!text) {
    entries_.erase(path);
    return nullptr;
  }
  auto contents = std::make_shared<const FileContents>(read_manifests(path, std::move(*text)));
  entries_[path] = Entry{stamp, size, contents};
  return contents;
}

std::shared_ptr<const FileContents> read_file(const std::string& path, Cache* cache, std::string& problem) {
  if (cache != nullptr) return cache->get(path, problem);
  auto text = read_whole(path, problem);
  if (!text) return nullptr;
  return std::make_shared<const FileContents>(read_manifests(path, std::move(*text)));
}

Inventory load(const std::vector<Source>& sources, const LoadOptions& options, SourceManager& sm, DiagnosticSink& sink) {
  Inventory inv;
  std::unordered_set<std::string> seen;
  for (const auto& s : sources) {
    if (s.path == "-") {
      if (!options.standard_input) {
        sink.error(Code::E0803, s.span, "the inventory '-' stands for standard input, which only the command line can give");
        continue;
      }
      if (seen.insert("-").second) inv.add(read_manifests("<stdin>", *options.standard_input), sm, sink, options.default_namespace);
      continue;
    }
    auto files = expand(s.path);
    if (!files.problem.empty()) {
      sink.error(Code::E0803, s.span, fmt::format("the inventory {}", files.problem))
          .hint("name a file of manifests or a directory of them; a path in the source is relative to the file that names it");
      continue;
    }
    for (const auto& f : files.files) {
      // A file named twice (by two settings, or a file inside a directory also named) is read once.
      if (!seen.insert(f).second) continue;
      std::string problem;
      auto contents = read_file(f, options.cache, problem);
      if (!contents) {
        sink.error(Code::E0803, s.span, fmt::format("the inventory cannot be read: {}", problem));
        continue;
      }
      inv.add(*contents, sm, sink, options.default_namespace);
    }
  }
  return inv;
}

}  // namespace fence::inventory
