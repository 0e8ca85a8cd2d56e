// Checks: a table of named passes over the IR. Each pass reads the program and reports
// diagnostics; none changes anything. A new check is a new file here plus a row in passes().
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "check/facts.h"
#include "diag/diagnostic.h"
#include "emit/document.h"
#include "inventory/inventory.h"
#include "ir/ir.h"
#include "sema/loader.h"
#include "sema/symbols.h"

namespace fence::check {

// What checks read besides the IR, when the caller has it.
struct Inputs {
  // The program as written: the checks of names (W0613-W0615) read it. Without it they do not run.
  const sema::LoadedProgram* source = nullptr;
  // The cluster's workloads (--inventory): the W08xx checks compare the program with them.
  const inventory::Inventory* inventory = nullptr;
  // Run the passes that explain what statements do (I0616, I0617): --verbose, and the language
  // server, which shows them as hints. Without it they cost nothing.
  bool explain = false;
};

struct Context {
  Context(const ir::Program& p, const SourceManager& s, DiagnosticSink& d, Inputs in = {})
      : program(p), sm(s), sink(d), source(in.source), inventory(in.inventory), explain(in.explain) {}

  const ir::Program& program;
  const SourceManager& sm;
  DiagnosticSink& sink;
  const sema::LoadedProgram* source;
  const inventory::Inventory* inventory;
  bool explain;

  // Built on first use and shared by the passes.
  const Facts& facts() {
    if (!facts_) facts_ = std::make_unique<Facts>(program);
    return *facts_;
  }
  // Name lookup in the source (needs `source`).
  const sema::Scopes& scopes() {
    if (!scopes_) scopes_ = std::make_unique<sema::Scopes>(*source);
    return *scopes_;
  }
  // The index in source->files of the file a span is in; nullopt without a source, or for a
  // span in no loaded file.
  std::optional<std::size_t> source_file(const Span& span) const;
  // The definitions visible where a span is (its file's and block's, and its imports'), by name.
  std::vector<sema::Scopes::Found> visible_at(const Span& span);

 private:
  std::unique_ptr<Facts> facts_;
  std::unique_ptr<sema::Scopes> scopes_;
};

struct Pass {
  std::string_view name;
  std::string_view summary;
  void (*run)(Context& ctx);
};

const std::vector<Pass>& passes();

// Pods in words: "pods labelled app=web in namespace shop", "every pod in namespace shop",
// "pods labelled k8s-app=kube-dns in any namespace", "... in the namespaces ns[team=a]"; or one
// of them, to follow "no": "pod labelled app=web in namespace shop", "pod in namespace shop".
std::string describe_pods(const ir::Endpoint& endpoint, bool one = false);

// Whether a span is in the standard library (or nowhere): checks leave what std writes alone.
bool in_stdlib(const SourceManager& sm, const Span& span);

// The names std.fence defines, with what each means, for W0615 and for suggestions.
struct StdName {
  std::string_view name;
  std::string_view meaning;
};
const std::vector<StdName>& std_names();
// Whether file `file` of the program imports std.
bool imports_std(const sema::LoadedProgram& program, std::size_t file);
// A bare std name written in a file that does not import std (W0615 reports it): the other
// checks leave such a reference to W0615.
bool unimported_std_name(Context& ctx, const Span& span);

// Runs every pass in table order.
void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink, Inputs inputs = {});

// The passes, one file each.
void deny_conflicts(Context& ctx);       // E0601, W0602
void redundant_allows(Context& ctx);     // W0603
void dns_reachable(Context& ctx);        // W0604, W0605
void metadata_reachable(Context& ctx);   // W0606
void default_deny_undone(Context& ctx);  // W0607
void empty_selectors(Context& ctx);      // W0608
void mentioned_once(Context& ctx);       // I0609, W0613
void in_cluster_ipblocks(Context& ctx);  // W0610
void unused_lets(Context& ctx);          // W0614
void std_not_imported(Context& ctx);     // W0615
void implied_sides(Context& ctx);        // I0616
void isolating_statements(Context& ctx);  // I0617
void inventory_pods(Context& ctx);       // W0805, W0806
void inventory_ports(Context& ctx);      // W0807, W0808, W0809
void one_side_refused(Context& ctx);     // W0620
void tiers(Context& ctx);                // W0640, W0641, W0642

// Runs after lowering, on any target's objects: two objects of one kind, namespace and name must
// be the same object (E0611).
void object_names(const std::vector<emit::Object>& objects, DiagnosticSink& sink);

}  // namespace fence::check
