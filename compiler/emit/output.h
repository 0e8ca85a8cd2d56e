// Writing objects to disk: one file per object, and a directory that is replaced as a whole
// or not at all.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emit/document.h"

namespace fence::emit {

struct OutputFile {
  std::string path;  // relative to the output directory
  std::string content;
};

// `<namespace>/<kind>-<name>.yaml`, or `cluster/<kind>-<name>.yaml` for cluster-scoped objects,
// under `prefix` when it is not empty. Kinds are lower case.
std::vector<OutputFile> layout(const std::vector<Object>& objects, const std::string& prefix = {});

// The file that marks a directory as Fence's, so that a build never replaces anything else.
inline constexpr const char* kMarkerFile = ".fence-output";

// Replaces `dir` with exactly `files`: they are written to a sibling temporary directory, which
// then takes the old one's place in a single rename. Refuses to replace a non-empty directory
// that Fence did not write. Returns the problem, or nothing on success.
std::optional<std::string> replace_directory(const std::string& dir, const std::vector<OutputFile>& files);

}  // namespace fence::emit
