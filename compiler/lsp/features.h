// The editor features, each a pure function of an analysis and a place in the document, with
// results in the protocol's JSON shapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "lsp/analysis.h"
#include "lsp/text.h"

namespace fence::lsp {

struct DocContext {
  const Analysis& analysis;
  std::string_view text;  // the document's text (the program's root file)
  const LineIndex& lines;
  Encoding encoding;
  std::string uri;
};

// textDocument/publishDiagnostics' `diagnostics`: those of the document itself, and those of
// files it imports, shown at the import that leads to them.
nlohmann::json diagnostics(const DocContext& doc);
// The same as JSON text, byte for byte diagnostics(doc).dump(-1, ' ', false, replace), written
// without building the JSON values (a file may have thousands of warnings).
std::string diagnostics_text(const DocContext& doc);
// The same, appended to `out` (publishDiagnostics writes the message around it in place).
void append_diagnostics_text(const DocContext& doc, std::string& out);

// textDocument/hover: what the name, selector or value under the cursor resolves to, and the
// YAML that the statement around it generates. Null when there is nothing to say.
nlohmann::json hover(const DocContext& doc, std::uint32_t offset);

// textDocument/definition: the `let`s a name refers to, the file an import loads, or for a
// workload the first statement that names it and its object in the inventory.
nlohmann::json definition(const DocContext& doc, std::uint32_t offset);

// textDocument/completion, by what the grammar allows at the cursor: the keywords that may come
// next; where a subject or peer goes, the names visible there, the program's and the
// inventory's workloads of the namespace, namespaces (`shop/`) and the standard library's names
// (with the import they need); after `shop/` the workloads of shop; environments after `when`
// and `in`; protocols after `PORT/` and entities after `entity`.
nlohmann::json completion(const DocContext& doc, std::uint32_t offset);

// textDocument/codeAction: quick fixes that write what a diagnostic in [begin, end] suggests
// ("did you mean 'X'?").
nlohmann::json code_actions(const DocContext& doc, std::uint32_t begin, std::uint32_t end);

// textDocument/documentSymbol: namespaces (and cluster and when blocks) with their lets, and the
// top-level lets and imports.
nlohmann::json document_symbols(const DocContext& doc);

// textDocument/formatting: the edits that give the document the canonical layout of `fence fmt`,
// one per run of lines that changes. With `lines` (first and last 0-based line), for
// textDocument/rangeFormatting: only the edits that touch those lines. No edits when the document
// has syntax errors (its diagnostics show them) or cannot be formatted (`why` says why).
nlohmann::json formatting(const std::string& path, std::string_view text, const LineIndex& index, Encoding encoding,
                          std::optional<std::pair<std::uint32_t, std::uint32_t>> lines, std::string* why = nullptr);

// A diagnostic of the server's own, for the whole document (say, one too large to analyze).
nlohmann::json document_problem(const std::string& message, int severity);

}  // namespace fence::lsp
