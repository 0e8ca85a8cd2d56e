// The syntax stage: text to AST. This header is ANTLR-free; the parse tree lives and dies inside
// parse(), which hands back the AST and reports syntax errors to the sink.
#pragma once

#include <cstdint>
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
