// The text form of diagnostics: `file:line:col: error[E0304]: message`, the source line, a caret
// under the span, then notes (each with its own place) and help.
#pragma once

#include <string>
#include <vector>

#include "diag/diagnostic.h"

namespace fence {

struct RenderOptions {
  bool color = false;
};

std::string render_text(const Diagnostic& d, const SourceManager& sm, const RenderOptions& opt = {});

// Renders every kept diagnostic in order, then a summary line when there is anything to say:
// "fence: 2 errors, 1 warning" (and how many errors the limit held back).
std::string render_all(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt = {});

}  // namespace fence
