// Diagnostics as people and pipelines read them. The text form is `file:line:col:
// error[E0304]: message`, the source line, a caret under the span, then notes (each with its own
// place) and help. The same diagnostics render as JSON (Fence's own shape, documented in
// docs/ci.md) and as SARIF 2.1.0, whose rule ids are the diagnostic codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.h"

namespace fence {

enum class DiagFormat { Text, Json, Sarif };
std::optional<DiagFormat> parse_diag_format(std::string_view name);  // "text", "json", "sarif"

struct RenderOptions {
  bool color = false;        // text only
  bool errors_only = false;  // --quiet: leave out warnings and notes-level diagnostics, and the summary
  bool verbose = false;      // --verbose: also the infos that only explain (verbose_only codes)
  std::string tool_version;  // json and sarif name the compiler's version
  // The absolute project root that relative source paths are relative to: SARIF names it as
  // the base (uriBaseId PROJECTROOT) of their URIs. Empty: relative URIs have no base.
  std::string root;
};

// Where a span starts and ends, in the terms editors and SARIF use: 1-based lines, 1-based
// columns in code points, the end exclusive.
struct Location {
  std::string path;
  std::uint32_t line = 0, column = 0, end_line = 0, end_column = 0;
};
Location locate(const Span& span, const SourceManager& sm);

// The diagnostics a report shows: sorted, duplicates removed, warnings dropped for errors_only.
std::vector<Diagnostic> reported(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt);

std::string render_text(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opt = {});

// Renders every kept diagnostic in order, then a summary line when there is anything to say:
// "fence: 2 errors, 1 warning" (and how many errors the limit held back).
std::string render_all(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt = {});

// One JSON document: {"version": 1, "tool": ..., "diagnostics": [...], "errors": N, ...}.
std::string render_json(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt = {});
// One SARIF 2.1.0 log with a single run; every diagnostic code is a rule.
std::string render_sarif(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt = {});
// The report in the chosen format.
std::string render(DiagFormat format, const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt = {});

}  // namespace fence
