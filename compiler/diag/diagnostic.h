// One diagnostic type for every stage. User errors are values collected in a DiagnosticSink;
// exceptions are reserved for internal faults.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/source.h"

namespace fence {

enum class Severity { Error, Warning, Info };

enum class Code {
#define FENCE_CODE(code, sev, slug, summary) code,
#include "diag/codes.def"
#undef FENCE_CODE
};

struct CodeInfo {
  Code code;
  std::string_view id;       // "E0304"
  Severity severity;         // the default severity
  std::string_view slug;     // "invalid-port"
  std::string_view summary;  // one line, for --explain, docs and SARIF rules
};

const CodeInfo& code_info(Code c);
const std::vector<CodeInfo>& all_codes();
// Looks a code up by its id ("E0304"); nullptr when there is none.
const CodeInfo* find_code(std::string_view id);
std::string_view severity_name(Severity s);
// Infos that explain what a statement does rather than point at a likely mistake (I0616, I0617):
// reports show them only with --verbose, the language server as hints.
bool verbose_only(Code c);

struct Note {
  Span span;  // may be invalid: a note without a place
  std::string message;
};

struct Diagnostic {
  Code code{};
  Severity severity = Severity::Error;
  Span span;
  std::string message;
  std::vector<Note> notes;
  std::vector<std::string> help;

  Diagnostic& note(Span s, std::string msg) {
    notes.push_back(Note{s, std::move(msg)});
    return *this;
  }
  Diagnostic& hint(std::string msg) {
    help.push_back(std::move(msg));
    return *this;
  }
};

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::size_t error_limit = 50) : limit_(error_limit) {}

  // Reports a diagnostic and returns it so that notes and help can be attached.
  Diagnostic& report(Code code, Span span, std::string message);
  Diagnostic& report(Code code, Severity sev, Span span, std::string message);
  Diagnostic& error(Code code, Span span, std::string message) { return report(code, Severity::Error, span, std::move(message)); }
  Diagnostic& warning(Code code, Span span, std::string message) { return report(code, Severity::Warning, span, std::move(message)); }

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  // Errors beyond the limit are counted but not kept.
  std::size_t dropped() const { return dropped_; }

  // The kept diagnostics, sorted by file path and position, duplicates removed.
  std::vector<Diagnostic> sorted(const SourceManager& sm) const;
  // The same, moved out of the sink, which keeps only its counts (the language server, which
  // reads the diagnostics once, then the counts): no copy of each.
  std::vector<Diagnostic> take_sorted(const SourceManager& sm);
  const std::vector<Diagnostic>& raw() const { return diags_; }

  // Changes a diagnostic's severity after the fact (used by --werror); keeps the counts right.
  void set_severity(std::size_t index, Severity s);
  std::vector<Diagnostic>& mutable_diags() { return diags_; }
  void erase_if_code(const std::vector<Code>& codes);
  // Replaces the kept diagnostics (e.g. with duplicates merged); recounts errors and warnings.
  void replace(std::vector<Diagnostic> diags);

 private:
  std::vector<Diagnostic> diags_;
  Diagnostic overflow_;  // receives notes for diagnostics past the limit
  std::size_t limit_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace fence
