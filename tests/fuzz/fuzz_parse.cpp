// Fuzz target: the syntax stage alone. Any bytes parse to an AST and diagnostics without a crash,
// every diagnostic points inside the file, tokens cover the text in order, and the diagnostics
// render in every format.
#include <string>

#include "fuzz.h"
#include "syntax/parser.h"

using namespace fence;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  SourceManager sm;
  DiagnosticSink sink;
  auto id = sm.add("fuzz.fence", text);
  auto file = syntax::parse(sm, id, sink);
  for (const auto& d : sink.raw()) {
    FENCE_FUZZ_CHECK(d.span.valid() && d.span.file == id, "a syntax error without a place in the file");
    FENCE_FUZZ_CHECK(d.span.begin <= d.span.end && d.span.end <= text.size(), "a syntax error's span outside the file");
  }
  for (const auto& item : file.items) {
    auto s = item.span();
    FENCE_FUZZ_CHECK(!s.valid() || s.end <= text.size(), "an item's span outside the file");
  }
  std::uint32_t last = 0;
  for (const auto& t : syntax::tokenize(text)) {
    FENCE_FUZZ_CHECK(t.begin >= last && t.begin <= t.end && t.end <= text.size(), "tokens out of order or outside the text");
    last = t.end;
  }
  fuzz::render_reports(sink, sm, data, size);
  // Half of the text again, from a line start, as the language server parses pieces of a file.
  auto mid = text.find('\n', text.size() / 2);
  if (mid != std::string::npos) {
    DiagnosticSink part;
    syntax::parse_range(sm, id, static_cast<std::uint32_t>(mid + 1), static_cast<std::uint32_t>(text.size()), part);
  }
  return 0;
}
