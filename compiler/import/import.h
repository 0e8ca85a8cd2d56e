// Bringing existing policies into Fence: NetworkPolicy, CiliumNetworkPolicy and
// CiliumClusterwideNetworkPolicy YAML read into the IR (`read`), written as idiomatic Fence
// (`write`), and the two compared with the semantic engine (`verify`). Observed Hubble flows are
// turned into a starting program by flows.h.
//
// The reading is literal: every rule of the input is one rule of the IR, for its own side only
// (`origin.one_sided`), so that the IR means exactly what the input means. Whatever Fence cannot
// express exactly is an error naming the object and the field, at the input's line and column
// (E09xx); nothing is dropped or widened.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diag/diagnostic.h"
#include "ir/ir.h"

namespace fence::import {

// One object of the input.
struct Source {
  std::string kind;  // NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy
  std::string ns;    // empty when cluster-wide
  std::string name;
  Span span;  // the document
  std::string label;  // shown instead of the object, where the source is not one (observed flows)

  std::string str() const;  // "NetworkPolicy shop/api", "CiliumClusterwideNetworkPolicy dns"
};

struct Imported {
  // What the input means. Rules are one-sided: no side is implied.
  ir::Program program;
  std::vector<Source> sources;
  std::vector<std::size_t> rule_source;  // per rule of `program`, its index in `sources`
  std::vector<std::size_t> deny_source;  // per default deny
  std::vector<std::string> files;        // the input files, as shown
  bool cilium = false;                   // some object is a Cilium one
};

struct ReadOptions {
  // Where objects without metadata.namespace go, as `kubectl apply -n` would put them; when not
  // given, `default`, with a warning.
  std::optional<std::string> namespace_name;
};

// Reads every document of the files (already added to `sm`). Documents that are not network
// policies are skipped with a warning; every problem is reported to `sink`.
Imported read(const std::vector<FileId>& files, const SourceManager& sm, const ReadOptions& options, DiagnosticSink& sink);

// The program as idiomatic Fence text, laid out as `fence fmt` lays it out: a block per
// namespace, default denies first, workload names where labels use one key, the two sides of a
// connection merged into `may reach`, repeated address sets and selectors as `let`s, and a
// comment naming the objects behind each statement.
struct WriteOptions {
  std::vector<std::string> header;  // comment lines at the top (without '#'); empty: an import's
  bool statement_per_peer = false;  // one statement per subject and peer, rather than per subject
};
std::string write(const Imported& imported, const WriteOptions& options = {});

struct VerifyReport {
  // The programs hold the same rules and default denies, peer by peer (as sets): they mean the
  // same without a model to compare on.
  bool same_rules = false;
  std::size_t rules = 0;                           // the input's rules, peer by peer
  std::size_t pods = 0, addresses = 0, ports = 0;  // the model the programs were compared on
  std::size_t checked = 0;                         // sides of connections compared
  std::vector<std::string> differences;            // one line each, at most `limit`
  std::size_t difference_count = 0;
};

// Compares what `expected` (the input) and `actual` (the imported program, compiled) admit. When
// their rules are the same, peer by peer, that is the answer (unless `always_model`). Otherwise
// both are compared side by side, on a model cluster built from both programs' selectors,
// addresses and ports: pods that match each selector and pods that miss each of its requirements,
// the edges of every address block and port range.
VerifyReport verify(const ir::Program& expected, const ir::Program& actual, std::size_t limit = 20, bool always_model = false);

}  // namespace fence::import
