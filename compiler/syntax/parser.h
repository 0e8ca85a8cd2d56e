// The syntax stage: text to AST. This header is ANTLR-free; the parse tree lives and dies inside
// parse(), which hands back the AST and reports syntax errors to the sink.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace fence::syntax {

// Parses file `id` of `sm`. Syntax errors (E01xx) go to `sink`; the AST then holds whatever could
// be built and must not be resolved.
ast::File parse(const SourceManager& sm, FileId id, DiagnosticSink& sink);
// Parses bytes [begin, end) of file `id` as a sequence of items, with spans in the whole file.
// The range must start where the lexer is in its default mode (outside any token or selector),
// e.g. at a line start between items; the language server parses a file piece by piece this way.
ast::File parse_range(const SourceManager& sm, FileId id, std::uint32_t begin, std::uint32_t end, DiagnosticSink& sink);

// Parses file `id` as parse() does, cut into up to `threads` stretches of at least `min_bytes`
// each, parsed at once on their own threads. The cuts are where split_items allows; if any
// stretch has a diagnostic, the file is parsed again whole, so the AST and the diagnostics are
// always exactly parse()'s. parse() does this by itself for large files.
// `stretches`, when given, is set to how many stretches were parsed apart (1: the file was parsed
// whole, from the start or again).
ast::File parse_in_parallel(const SourceManager& sm, FileId id, DiagnosticSink& sink, unsigned threads, std::size_t min_bytes,
                            std::size_t* stretches = nullptr);

// A stretch [begin, end) of a file's bytes.
struct Piece {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};
// Where a file may be cut so that each piece parses on its own as it does within the file: before
// a line that starts, outside any brace or selector, with a keyword that can only begin an item
// (`namespace`, `let`, `import`, ...). A piece that parses without errors ends with complete items,
// and the next piece starts with a token that cannot continue any of them. The pieces cover the
// whole text, in order.
std::vector<Piece> split_items(std::string_view text);

// Parses each of `ranges` (byte ranges of file `id`, each as parse_range takes it) on up to
// `threads` threads, the calling thread among them, each thread a contiguous run of the ranges
// with ANTLR caches of its own. Only a range that parses with no diagnostic at all gets a result,
// which is then exactly parse_range's; a range with any syntax error stops at it and gets none,
// for the caller to parse with parse_range (error recovery runs only on the calling thread).
// `then`, when given, is called on the thread that parsed range i with i and its result, as soon
// as it has one (e.g. to copy it while the other threads still parse).
// Running out of memory on any thread is rethrown here, once every thread has finished; when no
// thread can be started, the ranges are parsed on the calling thread alone.
std::vector<std::optional<ast::File>> parse_clean_ranges(const SourceManager& sm, FileId id, const std::vector<Piece>& ranges,
                                                         unsigned threads,
                                                         const std::function<void(std::size_t, ast::File&)>& then = {});

// The offset of the first byte of `text` that is not valid UTF-8, or npos. parse() rejects a
// file with any.
std::size_t invalid_utf8(std::string_view text);

// The kinds of tokens, for editors and the language server.
enum class TokenKind {
  Keyword,
  SoftKeyword,
  Method,
  Name,
  Number,
  String,
  Address,
  DnsName,
  Punctuation,
  SelectorWord,
  SelectorOperator,
  Comment,
  Unknown
};

struct LexToken {
  TokenKind kind;
  std::string symbol;   // the lexer's token name, e.g. "REACH", "IDENT"
  std::uint32_t begin;  // byte offsets in the text
  std::uint32_t end;
};

// Every token of `text`, comments included, in order.
std::vector<LexToken> tokenize(std::string_view text);

// The reserved words and soft keywords of the language, from the lexer's own vocabulary.
std::vector<std::string> keywords();

// How messages name each type of token ("a name", "'reach'", "','"), for types 1 to
// token_type_count(): never by a grammar token name, which token_grammar_name gives (for tests).
std::size_t token_type_count();
std::string token_display_name(std::size_t type);
std::string token_grammar_name(std::size_t type);

// Greatest nesting of `{ }` the parser accepts; deeper input gets E0104 instead of a stack overflow.
inline constexpr int kMaxNesting = 64;

}  // namespace fence::syntax
