// Silencing diagnostics, and --werror. A `# fence:allow W0603` comment (several codes may follow,
// separated by commas or spaces; text after them is free) silences those codes for diagnostics
// whose place starts inside one statement (or `let`, `set`, `default deny`): the statement on the
// comment's line, or, for a comment on a line of its own, the statement on the next line.
// `--allow CODE` silences a code everywhere. Only warnings and infos can be silenced: an error
// means the output would be wrong. The driver applies this after each stage, so it covers every
// stage's diagnostics.
#pragma once

#include <cstdint>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace fence::check {

struct Policy {
  std::vector<Code> allowed;  // --allow
  bool werror = false;        // --werror: warnings that are not silenced become errors
};

// Why a code cannot be named in --allow or `# fence:allow`; empty when it can.
std::string why_not_silenceable(std::string_view id);

class Suppressions {
 public:
  Suppressions() = default;
  // Reads the `# fence:allow` comments of `files`; reports E0612 for a code that does not exist
  // or cannot be silenced, and for a comment that is on no statement (only when `parsed`: a
  // statement with a syntax error has no place yet, and its comment must not add noise).
  Suppressions(const std::vector<const ast::File*>& files, const SourceManager& sm, DiagnosticSink& sink, bool parsed = true);

  bool silences(const Diagnostic& d) const;
  // Applies the comments and the policy to the diagnostics from index `first` on.
  void apply(DiagnosticSink& sink, std::size_t first, const Policy& policy) const;

 private:
  struct Region {
    FileId file;
    std::uint32_t begin;
    std::uint32_t end;
    Code code;
  };
  std::vector<Region> regions_;
};

}  // namespace fence::check
