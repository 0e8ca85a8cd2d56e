// Writing objects to disk: one file per object in a fixed tree, kustomization files that render
// exactly those objects, a directory that is replaced as a whole or not at all, and the
// comparison that tells whether a directory is what a build would write (drift).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emit/document.h"

namespace fence::emit {

struct OutputFile {
  std::string path;  // relative to the output directory, '/'-separated
  std::string content;
};

// `<namespace>/<kind>-<name>.yaml`, or `cluster/<kind>-<name>.yaml` for cluster-scoped objects,
// under `prefix` when it is not empty. Kinds are lower case.
std::vector<OutputFile> layout(const std::vector<Object>& objects, const std::string& prefix = {});

// The objects of one environment (empty: the program declares none) and one target.
struct Unit {
  std::string env;
  std::string target;
  const std::vector<Object>* objects = nullptr;
  // Instead of `objects`: objects whose YAML the files take, each object's as its file is made
  // (the object keeps its name and place, with no YAML), so that a build does not hold every
  // object's YAML twice.
  std::vector<Object>* take = nullptr;
};

// Which levels the tree has above the namespaces: DIR[/<env>][/<target>]/<namespace>/...
struct TreeShape {
  bool env_dirs = false;
  bool target_dirs = false;
};

// Every file of a build's output directory but the marker, sorted by path: the objects, laid out
// as `layout` does under each unit's [<env>/][<target>/] prefix, and a kustomization.yaml in each
// namespace directory and each unit's directory. Each kustomization lists every object file
// beneath it, by relative path, so `kubectl kustomize` of that directory renders exactly those
// objects. None spans environments (they are different clusters' objects) or targets (a cluster
// runs one of them: NetworkPolicy and CiliumNetworkPolicy applied together would both be
// enforced), so there is none above a target level.
// Throws std::logic_error if two objects would share a file.
std::vector<OutputFile> output_tree(const std::vector<Unit>& units, TreeShape shape);

// The file that marks a directory as Fence's, so that a build never replaces anything else.
inline constexpr const char* kMarkerFile = ".fence-output";
inline constexpr const char* kMarkerContent = "This directory is written by fence. Each build replaces it as a whole.\n";

// Replaces `dir` with exactly `files` (and the marker): they are written to a sibling temporary
// directory `.<name>.fence-tmp-<pid>`, flushed to disk, which then takes the old one's place in a
// single rename. A build killed midway leaves `dir` untouched and its temporary directory
// beside it; the next build into the same parent directory removes every such leftover whose
// process is gone. Refuses to replace a non-empty directory that Fence did not write. Returns the
// problem, or nothing on success.
std::optional<std::string> replace_directory(const std::string& dir, const std::vector<OutputFile>& files);

// Writes all of `content` to a file descriptor, going on after interrupted writes; 0, or the
// errno of the failure.
int write_fd(int fd, const std::string& content);

// Replaces the file at `path` (the file a symbolic link points to, for a link) with `content`, or
// creates it: written to a temporary file beside it with the old file's permissions (0644 for a
// new file), flushed to disk, then renamed into place, so that the file is whole at every moment
// and nothing is left behind on failure. Returns the problem, or nothing on success.
std::optional<std::string> replace_file(const std::string& path, const std::string& content);

// How a directory differs from what replace_directory(dir, files) would leave there.
struct Drift {
  enum class Kind { Changed, Missing, Extra } kind = Kind::Changed;
  std::string path;      // relative to the directory; empty: the directory itself is missing
  std::string actual;    // Changed, Extra: what the file holds
  std::string expected;  // Changed, Missing: what the build would write
};

struct Comparison {
  std::vector<Drift> drift;  // sorted by path
  std::optional<std::string> error;  // the directory could not be read
};

// Reads `dir` and compares it, file by file and byte for byte (the marker included), with
// `files`. Writes nothing.
Comparison compare_directory(const std::string& dir, const std::vector<OutputFile>& files);

}  // namespace fence::emit
