// The output tree: where each object's file goes, and the kustomization files that list them.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "emit/output.h"
#include "emit/yaml.h"

namespace fence::emit {

namespace fs = std::filesystem;

namespace {

std::string join_dir(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string kustomization(const std::vector<std::string>& resources) {
  auto doc = Node::make_map();
  doc.set("apiVersion", Node::string("kustomize.config.k8s.io/v1beta1"));
  doc.set("kind", Node::string("Kustomization"));
  auto& list = doc.set("resources", Node::make_seq());
  for (const auto& r : resources) list.push(Node::string(r));
  return "# Written by fence: every object below this directory. `kubectl kustomize` renders them.\n" + to_yaml(doc);
}

std::string file_path(const Object& o, const std::string& prefix) {
  std::string kind;
  for (char c : o.kind) kind += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  fs::path p = fs::path(prefix) / (o.ns.empty() ? std::string("cluster") : o.ns) / fmt::format("{}-{}.yaml", kind, o.name);
  return p.lexically_normal().generic_string();
}

// "---" and the object's document.
std::string file_content(const Object& o) {
  if (o.yaml.empty()) return "---\n" + to_yaml(o.doc);
  std::string content;
  content.reserve(4 + o.yaml.size());
  content += "---\n";
  content += o.yaml;
  return content;
}

// `layout` of objects whose YAML the files take: each object's is freed once copied.
void take_layout(std::vector<Object>& objects, const std::string& prefix, std::vector<OutputFile>& out) {
  for (auto& o : objects) {
    out.push_back(OutputFile{file_path(o, prefix), file_content(o)});
    o.doc = Node{};
    std::string().swap(o.yaml);
  }
}

}  // namespace

std::vector<OutputFile> layout(const std::vector<Object>& objects, const std::string& prefix) {
  std::vector<OutputFile> out;
  out.reserve(objects.size());
  for (const auto& o : objects) out.push_back(OutputFile{file_path(o, prefix), file_content(o)});
  return out;
}

std::vector<OutputFile> output_tree(const std::vector<Unit>& units, TreeShape shape) {
  std::vector<OutputFile> files;
  // Directories that get a kustomization, with the object files beneath each.
  std::map<std::string, std::vector<std::string>> listed;
  for (const auto& u : units) {
    const std::string env_dir = shape.env_dirs ? u.env : std::string();
    std::string unit_dir = shape.target_dirs ? join_dir(env_dir, u.target) : env_dir;
    // No kustomization above a target level: it would apply two targets' objects together.
    listed[unit_dir];
    auto first = files.size();
    if (u.take != nullptr) {
      take_layout(*u.take, unit_dir, files);
    } else if (u.objects != nullptr) {
      for (auto& f : layout(*u.objects, unit_dir)) files.push_back(std::move(f));
    }
    for (auto i = first; i < files.size(); ++i) listed[parent_of(files[i].path)];
  }
  std::sort(files.begin(), files.end(), [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].path == files[i - 1].path) throw std::logic_error("two objects share the output file " + files[i].path);
  }
  // Files are sorted, so each list comes out sorted too.
  for (const auto& f : files) {
    std::string dir = f.path;
    do {
      dir = parent_of(dir);
      if (auto it = listed.find(dir); it != listed.end()) it->second.push_back(dir.empty() ? f.path : f.path.substr(dir.size() + 1));
    } while (!dir.empty());
  }
  for (const auto& [dir, resources] : listed) files.push_back(OutputFile{join_dir(dir, "kustomization.yaml"), kustomization(resources)});
  std::sort(files.begin(), files.end(), [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  return files;
}

}  // namespace fence::emit
