// What the fuzz targets share: the entry point libFuzzer calls, and a check that stops the run
// (as a crash libFuzzer records) when an invariant of the compiler does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "diag/render.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

#define FENCE_FUZZ_CHECK(cond, what)                                                  \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "fence fuzz: invariant broken: %s (%s)\n", what, #cond);  \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace fence::fuzz {

// Renders the diagnostics as text and JSON, and for half of the inputs (by their first byte, so
// that a run repeats) as SARIF too, whose rule table of every code costs more than the rest.
inline void render_reports(const DiagnosticSink& sink, const SourceManager& sm, const std::uint8_t* data, std::size_t size) {
  if (sink.raw().empty()) return;
  render_all(sink, sm);
  render_json(sink, sm);
  if (size > 0 && (data[0] & 1) != 0) render_sarif(sink, sm);
}

}  // namespace fence::fuzz
