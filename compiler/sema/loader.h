// Loading a program: the files the user named, then every file they import, each parsed once.
// Imports are resolved relative to the importing file; `import std` is looked up on the
// standard-library path. Cycles and missing files are errors at the import's span.
#pragma once

#include <functional>
#include <map>
#include <istream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace fence::sema {

struct LoadedFile {
  FileId id = kNoFile;
  std::string canonical;  // identity of the file ("<stdlib>/x.fence" for the stdlib)
  std::string disk_path;  // where it was read from; imports are relative to it
  ast::File ast;
  std::vector<std::size_t> imports;  // indices into Program::files, one per import item that loaded
  bool root = false;                 // named by the user rather than imported
};

struct LoadedProgram {
  std::vector<LoadedFile> files;  // roots in path order, then imports as discovered
  bool ok = true;                 // false after syntax errors, missing imports or cycles: never lower
  // False after errors other than syntax errors (missing imports, cycles, oversized files): do
  // not resolve. After syntax errors only, what did parse may be resolved and checked, for its
  // errors; the broken items are gone from the AST (a broken `let` leaves a poisoned one).
  bool resolvable = true;
};

// The largest source file Fence reads by default (E0105 beyond it; `--max-file-size`). At
// roughly 200 to 400 bytes of memory per byte of source, a file this size already needs more
// memory than most machines have. No limit may exceed kMaxFileBytesCeiling: spans count bytes in
// 32 bits.
inline constexpr std::size_t kMaxFileBytes = std::size_t{64} << 20;
inline constexpr std::size_t kMaxFileBytesCeiling = std::size_t{1} << 30;

struct LoaderOptions {
  // Directories searched for `import std` (std.fence) and other module names, in order.
  std::vector<std::string> stdlib_path;
  // Reads a file; the language server substitutes its open buffers. Defaults to the disk.
  std::function<std::optional<std::string>(const std::string& path)> read_file;
  // Parses a file; the language server substitutes a cache. Defaults to syntax::parse.
  std::function<ast::File(const SourceManager& sm, FileId id, DiagnosticSink& sink)> parse;
  // Loads the imports of files that have syntax errors too, so that an editor still knows their
  // names. The program stays not ok.
  bool imports_despite_errors = false;
  // Files larger than this get E0105 and are not parsed.
  std::size_t max_file_bytes = kMaxFileBytes;
  // The project root (an absolute directory, driver/project.h): files are shown by their path
  // relative to it. Empty: roots as the caller names them, imports relative to their importer's.
  std::string root;
};

// Reads a source: all of it, or, for one larger than `limit`, only limit + 1 bytes (enough for
// the loader to refuse it without reading gigabytes). Nothing on a read error.
std::optional<std::string> read_source(std::istream& in, std::size_t limit = kMaxFileBytes);
// Reads a file from the disk (as read_source does); nothing if it is not a readable regular file.
std::optional<std::string> read_disk(const std::string& path, std::size_t limit = kMaxFileBytes);
// A path's canonical form, which identifies a file however it was named.
std::string canonical_path(const std::string& path);

// The standard library's directories: $FENCE_PATH (colon-separated), then next to the binary
// (../share/fence/stdlib, ./stdlib), then the source tree the binary was built from.
std::vector<std::string> default_stdlib_path();

class Loader {
 public:
  Loader(SourceManager& sm, DiagnosticSink& sink, LoaderOptions options);

  // Adds a root file whose text the caller has read. `display` is the path shown to the user.
  // Roots are loaded in path order when finish() runs, whatever the order they were added in.
  void add_root(const std::string& display, std::string text);
  // Parses the roots and loads their imports, transitively.
  LoadedProgram finish();

 private:
  std::optional<std::size_t> load_import(std::size_t from, const ast::Import& imp);
  void add_pending_roots();
  void check_cycles(LoadedProgram& prog);
  // Adds a file's text to the source manager; a file over kMaxFileBytes gets E0105 and no text.
  FileId add_source(const std::string& display, std::string text);
  std::set<FileId> oversized_;

  SourceManager& sm_;
  DiagnosticSink& sink_;
  LoaderOptions options_;
  LoadedProgram prog_;
  std::vector<std::pair<std::string, std::string>> pending_roots_;  // (display, text)
  std::map<std::string, std::size_t> by_canonical_;
  std::vector<std::string> display_dirs_;
  // How a file read from `disk` is shown: relative to the root when there is one, else `given`.
  std::string shown_path(const std::string& disk, const std::string& given) const;
};

}  // namespace fence::sema
