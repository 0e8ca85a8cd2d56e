// The project root: the one directory that source paths are shown relative to, so that what
// Fence writes (the `fence.dev/source` annotation, diagnostics, SARIF) is the same from every
// working directory. It is `--root DIR` when given; else the directory of the nearest fence.toml
// at or above the inputs' common directory; else that common directory. See docs/cli.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.h"

namespace fence::driver {

inline constexpr const char* kProjectFile = "fence.toml";

// The absolute, canonical directory that holds every path of `paths` (files), or the current
// directory when there are none.
std::string common_directory(const std::vector<std::string>& paths);

// The path of the nearest fence.toml in `dir` or one of its ancestors; nothing when none.
std::optional<std::string> find_project_file(const std::string& dir);

// A fence.toml's settings. Every key is optional; an empty file is valid.
struct ProjectFile {
  int version = 1;  // `version = 1`: the format of fence.toml; 1 is the only one
};

// Reads fence.toml (file `id` of `sm`), reporting what it cannot accept: E0115 a line that is not
// `key = value`, E0116 an unknown key, E0117 a value of the wrong kind, E0118 a key given twice.
ProjectFile parse_project_file(const SourceManager& sm, FileId id, DiagnosticSink& sink);

// `path` as shown to the user: relative to `root` (with `..` segments for a file outside it), in
// '/'-separated form. Paths that are not file paths (`<stdin>`, `<stdlib>/...`) are kept.
std::string relative_to_root(const std::string& path, const std::string& root);

}  // namespace fence::driver
