// One open document compiled as the root of a program, through the same driver as `fence check`:
// its diagnostics, and what hover, go-to-definition, completion and symbols need.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "lsp/parse_cache.h"
#include "sema/symbols.h"

namespace fence::lsp {

struct AnalysisOptions {
  std::vector<std::string> stdlib_path = sema::default_stdlib_path();
  std::string target = "k8s";
  // The environment hover describes; without one, the first the program declares.
  std::optional<std::string> environment;
  bool allow_l4_fallback = false;
  // The inventory files a program names (`set inventory`), kept across analyses: an edit to the
  // program does not read the manifests again, an edit to a manifest does.
  std::shared_ptr<inventory::Cache> inventory_cache = std::make_shared<inventory::Cache>();
};

// Reads a file that the root imports: the editor's buffer if it is open, else the disk.
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;

class Analysis {
 public:
  // Compiles `text` (the document at `path`) like `fence check --target T`: loads it and its
  // imports, analyzes it in every environment it declares, lowers each, and keeps the
  // diagnostics; the IR kept is the one for `environment()`.
  Analysis(const std::string& path, const std::string& text, const AnalysisOptions& options, ParseCache& cache, const ReadFile& read_file);

  const driver::Compilation& compilation() const { return *c_; }
  const sema::LoadedProgram& program() const { return c_->loaded(); }
  const SourceManager& sources() const { return c_->sources(); }
  const sema::Scopes& scopes() const { return *scopes_; }
  const ast::File& root() const { return c_->loaded().files.at(0).ast; }
  FileId root_id() const { return c_->loaded().files.at(0).id; }

  // Sorted, duplicates removed, as `fence check` prints them.
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  std::size_t dropped() const { return c_->sink().dropped(); }

  // The environment the kept IR was built for (none when the program declares none), and
  // whether it analyzed without errors there.
  const std::optional<std::string>& environment() const { return environment_; }
  bool analyzed() const { return analyzed_; }
  // The target hover describes: the editor's, unless the program builds for others only.
  const std::string& target() const { return target_; }

  // The canonical paths of every file the program loaded: an edit to one of them makes this
  // analysis stale.
  const std::set<std::string>& loaded_paths() const { return loaded_paths_; }

  // The YAML that the statement or default deny at `span` (an item of the program) produces in
  // environment(), or why there is none.
  struct Yaml {
    std::string text;
    std::string problem;
  };
  Yaml yaml_for(const Span& span) const;

 private:
  AnalysisOptions options_;
  driver::Options driver_options_;
  std::unique_ptr<driver::Compilation> c_;
  std::unique_ptr<sema::Scopes> scopes_;
  std::vector<Diagnostic> diagnostics_;
  std::optional<std::string> environment_;
  std::string target_;
  bool analyzed_ = false;
  std::set<std::string> loaded_paths_;
};

}  // namespace fence::lsp
