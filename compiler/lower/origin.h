// Where each piece of output came from, in the words every target writes: the comment above a
// rule, and the sources annotation of an object.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "diag/source.h"
#include "emit/document.h"
#include "ir/ir.h"

namespace fence::lower {

// "path:line" of a span's start; empty for an invalid span.
std::string line_of(const SourceManager& sm, const Span& s);
// "path:line: TARGET", or for an implied rule "path:line: the ingress side of `STATEMENT`".
std::string origin_comment(const SourceManager& sm, const ir::Rule& r);
// Adds `source` to an object's sources unless it is there already.
void add_source(std::vector<std::string>& sources, std::string source);
// Adds `item` to `list` unless it is there already, in constant time for the lists that merge
// thousands of items in a big namespace: `index` stays empty while the list is short (a look
// through is faster, and allocates nothing), and once filled holds what the list holds. Every
// addition to the list goes through here.
template <typename T, typename Index>
void add_once(std::vector<T>& list, Index& index, T&& item) {
  constexpr std::size_t kLinear = 16;
  if (index.empty() && list.size() < kLinear) {
    if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
    return;
  }
  if (index.empty()) index.insert(list.begin(), list.end());
  if (index.insert(item).second) list.push_back(std::move(item));
}
// add_source in constant time, for objects built from thousands of statements (see add_once).
inline void add_source(std::vector<std::string>& sources, std::unordered_set<std::string>& seen, std::string source) {
  add_once(sources, seen, std::move(source));
}
// Keeps an annotation readable: the first 20 sources, then "and N more".
void cap_sources(std::vector<std::string>& sources);
// An object with apiVersion, kind and metadata written: its name, its namespace (none when `ns`
// is empty), Fence's managed-by label and the sources annotation. Targets add the spec.
emit::Object object_header(std::string api_version, std::string kind, std::string name, std::string ns, std::string target,
                           const std::vector<std::string>& sources);

}  // namespace fence::lower
