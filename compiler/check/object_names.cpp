// E0611: two objects of one kind with the same name in one namespace must be the same object.
// The targets name objects after their subjects and tell colliding names apart with a hash, so
// this should never fire; it is the net under that naming, for every target, so that one object
// can never silently replace another in a cluster (or in an output directory).
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "check/check.h"

namespace fence::check {

void object_names(const std::vector<emit::Object>& objects, DiagnosticSink& sink) {
  std::map<std::tuple<std::string, std::string, std::string>, const emit::Object*> seen;
  for (const auto& o : objects) {
    auto [it, fresh] = seen.emplace(std::make_tuple(o.kind, o.ns, o.name), &o);
    if (fresh || (it->second->doc == o.doc && it->second->yaml == o.yaml)) continue;
    const auto& first = *it->second;
    Span here = o.origins.empty() ? Span{} : o.origins.front();
    auto& d = sink.error(Code::E0611, here,
                         fmt::format("two different {} objects are both named '{}'{}", o.kind, o.name, o.ns.empty() ? "" : " in namespace " + o.ns));
    if (!first.origins.empty()) d.note(first.origins.front(), "the other comes from here");
    d.note(Span{}, "one would replace the other when applied; this is a bug in Fence's naming: please report it with the input");
  }
}

}  // namespace fence::check
