// Incremental parsing for the language server. A file is cut into pieces at lines that start,
// outside any brace or selector, with a keyword that can only begin an item (`namespace`, `let`,
// `import`, ...). Each piece is parsed on its own and remembered by its text, so an edit
// re-parses only the piece it touched; the pieces after it are shifted to their new place.
//
// The result is exactly syntax::parse's (up to which errors the error limit keeps): a piece
// that parses cleanly ends with complete items and is followed by a token that cannot continue
// any item, so the whole-file parser would have parsed it the same way. A piece with syntax
// errors keeps its own parse only where parsing it together with the next piece shows that its
// errors do not reach into the next (see resumes_after); otherwise, as where a cut was wrong
// (say inside a multi-line selector), the rest of the file is parsed in one go, as the
// whole-file parser would, so diagnostics and recovery match `fence check`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostic.h"
#include "syntax/parser.h"

namespace fence::lsp {

using syntax::Piece;
using syntax::split_items;

class ParseCache {
 public:
  // Parses file `id` as syntax::parse would; matches LoaderOptions::parse.
  ast::File parse(const SourceManager& sm, FileId id, DiagnosticSink& sink);

  // The pieces that are not in the cache are parsed on up to `threads` threads at once (the
  // calling thread among them; 0: the machine's cores, at most 4) when their text is at least
  // `min_bytes`; the result is the same either way. By default on one thread: on the 2-core
  // machine of docs/performance.md, the first analysis of a 5,000-line file (228 KB, 52 pieces)
  // took more wall time on two threads than on one, and about 60 ms more CPU, most of it the
  // kernel clearing fresh pages for the calling thread in the analysis after the parse (perf),
  // which it does not need when it parsed everything itself.
  void set_threads(unsigned threads, std::size_t min_bytes) {
    threads_ = threads;
    min_bytes_ = min_bytes;
  }
  // Below this much text to parse, starting threads costs more than it could save (an edit
  // re-parses a piece or two: never on threads).
  static constexpr std::size_t kParallelBytes = 48 * 1024;

  // Forgets pieces that the last few compilations did not use (call after each compilation,
  // which may parse several files).
  void sweep();

  // With deferred copies (the language server's), a piece parse() parses is moved into its
  // result whole, and the cache only notes where its items went: settle() copies them from there
  // later (the server does once the diagnostics are out, so that the first analysis of a file
  // neither copies its AST nor touches twice its memory). Until then the piece is not in the
  // cache; a piece not settled before the next parse() of its file is forgotten.
  void defer_copies(bool on) { defer_ = on; }
  // Copies what the last parse() of `file.id` left to copy out of `file`, the AST that parse()
  // returned (unchanged since). A piece whose items are not where they were noted, within the
  // piece's bytes, is forgotten instead.
  void settle(const ast::File& file);
  // Pieces parsed but not settled yet, for tests.
  std::size_t unsettled() const;

  struct Stats {
    std::size_t pieces = 0;   // pieces looked up
    std::size_t parsed = 0;   // of which parsed (not found in the cache)
    std::size_t broken = 0;   // of which had syntax errors, and kept their own parse
    bool whole_tail = false;  // a piece had errors after which the rest was parsed in one go
    std::size_t threaded = 0; // of the parsed pieces, how many were parsed on several threads at once
  };
  // What the last parse() did, for tests and benchmarks.
  const Stats& last() const { return last_; }

 private:
  struct Entry {
    std::vector<ast::Item> items;
    std::vector<ast::Comment> comments;
    std::vector<Diagnostic> diagnostics;  // the piece's syntax errors
    std::uint32_t begin = 0;              // where the piece was when parsed: the spans' base
    std::uint64_t used = 0;               // the last compilation that used it
    // Deferred (see defer_copies): not copied yet; its items and comments are the result's
    // [first_item, first_item + item_count) and [first_comment, first_comment + comment_count).
    bool pending = false;
    FileId file = 0;
    std::uint32_t end = 0;
    std::size_t first_item = 0, item_count = 0, first_comment = 0, comment_count = 0;
  };
  // A piece parsed on a thread: its AST, and a copy of it for the cache.
  struct Fresh {
    ast::File file;
    ast::File kept;
  };
  // Parses the pieces whose keys are not in the cache on several threads, when there are enough
  // of them: the result has one slot per piece, empty but for those parsed without a diagnostic
  // (the others parse() parses itself). Empty when nothing was parsed on threads.
  std::vector<std::optional<Fresh>> parse_new_pieces(const SourceManager& sm, FileId id, const std::vector<Piece>& pieces,
                                                         const std::vector<std::string>& keys) const;

  // By file and text, not place: a piece that an edit above it moved is shifted, not re-parsed.
  static std::string key(FileId id, std::string_view text);

  std::unordered_map<std::string, Entry> entries_;
  std::uint64_t generation_ = 1;  // the compilation under way
  unsigned threads_ = 1;
  bool defer_ = false;
  std::size_t min_bytes_ = kParallelBytes;
  Stats last_;
};

}  // namespace fence::lsp
