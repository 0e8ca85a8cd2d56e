// Finding and reading an inventory's files: a file, or a directory of *.yaml, *.yml and *.json
// files below it (read in path order), named on the command line (--inventory) or in the source
// (`set inventory = "deploy/"`, relative to the file that says it). The language server keeps a
// Cache, so that an edit to the program does not read the manifests again.
#pragma once

#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "inventory/inventory.h"

namespace fence::inventory {

// Files larger than this are refused (spans hold 32-bit offsets, and an inventory this large is
// a mistake).
inline constexpr std::size_t kMaxFileBytes = std::size_t{1} << 30;

// The files a path stands for, sorted; or why it stands for none ("no such file or directory",
// "no *.yaml, *.yml or *.json files in it").
struct Expanded {
  std::vector<std::string> files;
  std::string problem;
};
Expanded expand(const std::string& path);

// Files read once and kept while their size and modification time stay the same.
class Cache {
 public:
  // The file's contents, or nullptr with `problem` set when it cannot be read.
  std::shared_ptr<const FileContents> get(const std::string& path, std::string& problem);

 private:
  struct Entry {
    std::int64_t mtime = 0;
    std::uintmax_t size = 0;
    std::shared_ptr<const FileContents> contents;
  };
  std::map<std::string, Entry> entries_;
};

// Reads one file (through `cache` when given); nullptr with `problem` set when it cannot be read.
std::shared_ptr<const FileContents> read_file(const std::string& path, Cache* cache, std::string& problem);

struct Source {
  std::string path;
  Span span;  // where the program names it; invalid for the command line
};

struct LoadOptions {
  std::string default_namespace = "default";  // for objects without metadata.namespace
  Cache* cache = nullptr;
  // What the source "-" stands for (the command line reads standard input into it), shown as
  // <stdin>: `helm template ... | fence check --inventory - ...`.
  std::optional<std::string> standard_input;
};

// Reads every source into one inventory; "-" is LoadOptions::standard_input. A source that names nothing readable is E0803, at its
// span; what the files hold is reported as the reader and Inventory::add report it.
Inventory load(const std::vector<Source>& sources, const LoadOptions& options, SourceManager& sm, DiagnosticSink& sink);

}  // namespace fence::inventory
