// Comparing two builds of one program, e.g. two environments (`fence diff`). A comparison has a
// level; each level reduces a build to sorted lines and reports the lines only one side has:
//   rules    what the program states, one line per subject, direction, peer and port, in the
//            source's terms (namespaces under the names their blocks are given in the source);
//   objects  which objects exist, and how the YAML of those on both sides differs.
//   connections  what each workload the source names may send and receive, answered by the
//            semantic engine (compiler/analyze/), which takes isolation, implied rules and denies
//            into account.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diag/source.h"
#include "emit/document.h"
#include "ir/ir.h"
#include "sema/loader.h"

namespace fence::compare {

// One build's side of the comparison.
struct Side {
  std::string name;  // e.g. the environment
  const ir::Program* program = nullptr;
  const std::vector<emit::Object>* objects = nullptr;
};

struct Line {
  std::string text;
  Span origin;                      // the statement it comes from, when there is one
  std::vector<std::string> detail;  // objects: the YAML lines that differ, "-..." and "+..."
};

struct Report {
  std::string level;
  // A namespace block whose name the source gives through a definition, named differently on the
  // two sides: source name -> (name on side a, name on side b).
  std::map<std::string, std::pair<std::string, std::string>> namespaces;
  std::vector<Line> only_a;   // sorted by text
  std::vector<Line> only_b;   // sorted by text
  std::vector<Line> changed;  // objects only: on both sides, different
  bool empty() const { return namespaces.empty() && only_a.empty() && only_b.empty() && changed.empty(); }
};

// The namespace names the IR uses, mapped to the names the source writes on their blocks (where
// they differ, as with `namespace shop-ns { ... }` and `let shop-ns = "shop-prod"`).
std::map<std::string, std::string> source_namespace_names(const ir::Program& program, const sema::LoadedProgram& loaded);

// The program's rules as lines, sorted and unique. Rules Fence implied (the other side of a
// connection) are left out: they follow from the rules and the default denies, which are listed.
std::vector<Line> rule_lines(const ir::Program& program, const std::map<std::string, std::string>& ns_names);

Report compare_rules(const Side& a, const Side& b, const sema::LoadedProgram& loaded);
Report compare_objects(const Side& a, const Side& b, const sema::LoadedProgram& loaded);
// What each workload the source names may send and receive (compiler/analyze/'s explain), on
// both sides, in the source's terms: the connections one environment allows and the other not.
Report compare_connections(const Side& a, const Side& b, const sema::LoadedProgram& loaded, const SourceManager& sm);

// The lines of `b` not in `a` as "+..." and those of `a` not in `b` as "-...", in order (a
// longest-common-subsequence line diff; texts longer than `max_lines` are reported whole).
std::vector<std::string> line_diff(const std::string& a, const std::string& b, std::size_t max_lines = 4000);

}  // namespace fence::compare
