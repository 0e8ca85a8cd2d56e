// Checks: a table of named passes over the IR. Each pass reads the program and reports
// diagnostics; none changes anything. A new check is a new file here plus a row in passes().
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "check/facts.h"
#include "diag/diagnostic.h"
#include "emit/document.h"
#include "ir/ir.h"

namespace fence::check {

struct Context {
  Context(const ir::Program& p, const SourceManager& s, DiagnosticSink& d) : program(p), sm(s), sink(d) {}

  const ir::Program& program;
  const SourceManager& sm;
  DiagnosticSink& sink;

  // Built on first use and shared by the passes.
  const Facts& facts() {
    if (!facts_) facts_ = std::make_unique<Facts>(program);
    return *facts_;
  }

 private:
  std::unique_ptr<Facts> facts_;
};

struct Pass {
  std::string_view name;
  std::string_view summary;
  void (*run)(Context& ctx);
};

const std::vector<Pass>& passes();

// Runs every pass in table order.
void run_all(const ir::Program& program, const SourceManager& sm, DiagnosticSink& sink);

// The passes, one file each.
void deny_conflicts(Context& ctx);       // E0601, W0602
void redundant_allows(Context& ctx);     // W0603
void dns_reachable(Context& ctx);        // W0604, W0605
void metadata_reachable(Context& ctx);   // W0606
void default_deny_undone(Context& ctx);  // W0607
void empty_selectors(Context& ctx);      // W0608
void mentioned_once(Context& ctx);       // I0609
void in_cluster_ipblocks(Context& ctx);  // W0610
void one_side_refused(Context& ctx);     // W0620

// Runs after lowering, on any target's objects: two objects of one kind, namespace and name must
// be the same object (E0611).
void object_names(const std::vector<emit::Object>& objects, DiagnosticSink& sink);

}  // namespace fence::check
