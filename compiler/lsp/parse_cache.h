// Incremental parsing for the language server. A file is cut into pieces at lines that start,
// outside any brace or selector, with a keyword that can only begin an item (`namespace`, `let`,
// `import`, ...). Each piece is parsed on its own and remembered by its text and place, so an
// edit re-parses only the piece it touched.
//
// The result is exactly syntax::parse's: a piece that parses cleanly ends with complete items
// and is followed by a token that cannot continue any item, so the whole-file parser would have
// parsed it the same way. At the first piece with a syntax error (which is also where a wrong
// cut, say inside a multi-line selector, would show), the rest of the file is parsed in one go,
// as the whole-file parser would, so diagnostics and recovery match `fence check` exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace fence::lsp {

struct Piece {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// Where a file may be cut: the pieces cover the whole text, in order.
std::vector<Piece> split_items(std::string_view text);

class ParseCache {
 public:
  // Parses file `id` as syntax::parse would; matches LoaderOptions::parse.
  ast::File parse(const SourceManager& sm, FileId id, DiagnosticSink& sink);

  // Forgets pieces not used since the last call (call after each compilation).
  void sweep();

  struct Stats {
    std::size_t pieces = 0;    // pieces looked up
    std::size_t parsed = 0;    // of which parsed (not found in the cache)
    bool whole_tail = false;   // a piece had errors: the rest of the file was parsed in one go
  };
  // What the last parse() did, for tests and benchmarks.
  const Stats& last() const { return last_; }

 private:
  struct Entry {
    std::vector<ast::Item> items;
    std::vector<ast::Comment> comments;
    bool used = false;
  };
  static std::string key(FileId id, std::uint32_t begin, std::string_view text);

  std::unordered_map<std::string, Entry> entries_;
  Stats last_;
};

}  // namespace fence::lsp
