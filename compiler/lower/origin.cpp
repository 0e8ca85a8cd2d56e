#include "lower/origin.h"

#include <algorithm>

#include <fmt/format.h>

#include "lower/naming.h"

namespace fence::lower {

namespace {
constexpr std::size_t kMaxSourcesListed = 20;
}  // namespace

std::string line_of(const SourceManager& sm, const Span& s) {
  if (!s.valid()) return {};
  const auto& f = sm.file(s.file);
  // The line alone: locate() also counts the column's code points, which nothing here needs.
  auto line = std::to_string(f.line_of(s.begin));
  std::string out;
  out.reserve(f.path.size() + 1 + line.size());
  out += f.path;
  out += ':';
  out += line;
  return out;
}

std::string origin_comment(const SourceManager& sm, const ir::Rule& r) {
  auto where = line_of(sm, r.origin.statement);
  if (r.origin.implied) {
    return fmt::format("{}: the {} side of `{}`", where, ir::direction_name(r.direction), fence::one_line(sm.text(r.origin.statement)));
  }
  return fmt::format("{}: {}", where, fence::one_line(sm.text(r.origin.target)));
}

void add_source(std::vector<std::string>& sources, std::string source) {
  if (std::find(sources.begin(), sources.end(), source) == sources.end()) sources.push_back(std::move(source));
}

void cap_sources(std::vector<std::string>& sources) {
  if (sources.size() <= kMaxSourcesListed) return;
  auto more = sources.size() - kMaxSourcesListed;
  sources.resize(kMaxSourcesListed);
  sources.push_back(fmt::format("and {} more", more));
}

emit::Object object_header(std::string api_version, std::string kind, std::string name, std::string ns, std::string target,
                           const std::vector<std::string>& sources) {
  emit::Object o;
  o.api_version = std::move(api_version);
  o.kind = std::move(kind);
  o.name = std::move(name);
  o.ns = std::move(ns);
  o.target = std::move(target);
  auto& d = o.doc;
  d.set("apiVersion", emit::Node::string(o.api_version));
  d.set("kind", emit::Node::string(o.kind));
  auto& meta = d.set("metadata", emit::Node::make_map());
  meta.set("name", emit::Node::string(o.name));
  if (!o.ns.empty()) meta.set("namespace", emit::Node::string(o.ns));
  meta.set("labels", emit::Node::make_map()).set(kManagedByLabel, emit::Node::string("fence"));
  if (!sources.empty()) {
    meta.set("annotations", emit::Node::make_map()).set(kSourceAnnotation, emit::Node::string(fmt::format("{}", fmt::join(sources, ", "))));
  }
  return o;
}

}  // namespace fence::lower
