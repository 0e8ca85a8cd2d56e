#include "syntax/parser.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <memory>
#include <set>
#include <system_error>
#include <thread>
#include <typeinfo>

#include <antlr4-runtime.h>
#include <fmt/format.h>

#include "FenceLexer.h"
#include "FenceParser.h"
#include "diag/utf8.h"

namespace fence::syntax {

using fence_gen::FenceLexer;
using fence_gen::FenceParser;

namespace {

// ---------------------------------------------------------------------------------------------
// Offsets: ANTLR counts code points; spans count bytes.

// `base` is where the text starts in its file, for a parse of part of a file.
class OffsetMap {
 public:
  explicit OffsetMap(std::string_view text, std::uint32_t base = 0) : base_(base) {
    // ANTLR's input stream drops a UTF-8 byte order mark: its first character is the one after.
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
      text.remove_prefix(3);
      base_ += 3;
    }
    bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
      size_ = static_cast<std::uint32_t>(text.size());
      return;
    }
    for (std::uint32_t i = 0; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) map_.push_back(i);
    }
    size_ = static_cast<std::uint32_t>(text.size());
  }
  std::uint32_t byte(std::size_t cp) const {
    if (map_.empty()) return base_ + static_cast<std::uint32_t>(std::min<std::size_t>(cp, size_));
    return base_ + (cp < map_.size() ? map_[cp] : size_);
  }

 private:
  std::vector<std::uint32_t> map_;
  std::uint32_t size_ = 0;
  std::uint32_t base_ = 0;
};


// ANTLR's own stream decodes UTF-8 with std::wstring_convert, which throws on some invalid input
// (overlong forms, code points above U+10FFFF) and lets other invalid input through (surrogates,
// which it then fails to encode again in getText). Fence decodes the text itself; callers pass
// only text that utf8::first_invalid accepted. Like ANTLR's stream, it drops a leading byte order
// mark, which OffsetMap skips too.
class Utf8Stream : public antlr4::ANTLRInputStream {
 public:
  explicit Utf8Stream(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    _data.resize(text.size());  // at most one character a byte
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size();) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c < 0x80) {
        _data[n++] = c;
        ++i;
        continue;
      }
      auto d = utf8::decode(text, i);
      if (d.len == 0) {
        _data[n++] = 0xFFFD;  // not reached for checked text; never throws either way
        ++i;
        continue;
      }
      _data[n++] = d.cp;
      i += d.len;
    }
    _data.resize(n);
  }
};

// ---------------------------------------------------------------------------------------------
// The lexer. A '{' or '}' cannot be part of a label selector: one there means the selector was not
// closed. The lexer leaves selector mode at it, so that the rest of the file is read as Fence
// again: one error at the selector, rather than every later line misread and the block's '}'
// taken for an unknown character.

class Lexer : public FenceLexer {
 public:
  using FenceLexer::FenceLexer;

  std::unique_ptr<antlr4::Token> nextToken() override {
    auto t = FenceLexer::nextToken();
    if (t->getType() == FenceLexer::SEL_UNKNOWN) {
      auto text = t->getText();
      auto* common = dynamic_cast<antlr4::CommonToken*>(t.get());
      if ((text == "{" || text == "}") && common != nullptr && !modeStack.empty()) {
        popMode();
        common->setType(text == "{" ? FenceLexer::LBRACE : FenceLexer::RBRACE);
      }
    }
    return t;
  }

  // As Lexer's, which find the simulator with a dynamic_cast for every token they make; a
  // lexer's interpreter is always a LexerATNSimulator (its own, or OwnCaches').
  std::size_t getLine() const override { return static_cast<const antlr4::atn::LexerATNSimulator*>(_interpreter)->getLine(); }
  std::size_t getCharPositionInLine() override { return static_cast<antlr4::atn::LexerATNSimulator*>(_interpreter)->getCharPositionInLine(); }
};

// The lexer's tokens, made in blocks that are freed together when the parse ends, instead of one
// allocation each (ANTLR's CommonTokenFactory). The arena must outlive the lexer, the token
// stream and the parser (whose error recovery makes its missing tokens with the same factory).
class TokenArena {
 public:
  void* allocate(std::size_t size) {
    size = (size + 15) & ~static_cast<std::size_t>(15);
    if (blocks_.empty() || used_ + size > kBlock) {
      blocks_.emplace_back(new std::byte[std::max(kBlock, size)]);  // uninitialised: each token is constructed in place
      used_ = 0;
    }
    void* p = blocks_.back().get() + used_;
    used_ += size;
    return p;
  }

 private:
  static constexpr std::size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  std::size_t used_ = 0;
};

class ArenaToken final : public antlr4::CommonToken {
 public:
  using antlr4::CommonToken::CommonToken;
  static void* operator new(std::size_t size, TokenArena& arena) { return arena.allocate(size); }
  static void operator delete(void* /*p*/, TokenArena& /*arena*/) {}  // a constructor that throws
  static void operator delete(void* /*p*/) {}                          // the arena frees the memory
};

// As CommonTokenFactory makes tokens (its copyText off): the text only when one is given.
class ArenaTokenFactory final : public antlr4::TokenFactory<antlr4::CommonToken> {
 public:
  explicit ArenaTokenFactory(TokenArena& arena) : arena_(arena) {}
  std::unique_ptr<antlr4::CommonToken> create(std::pair<antlr4::TokenSource*, antlr4::CharStream*> source, std::size_t type,
                                              const std::string& text, std::size_t channel, std::size_t start, std::size_t stop,
                                              std::size_t line, std::size_t charPositionInLine) override {
    std::unique_ptr<antlr4::CommonToken> t(new (arena_) ArenaToken(source, type, channel, start, stop));
    t->setLine(line);
    t->setCharPositionInLine(charPositionInLine);
    if (!text.empty()) t->setText(text);
    return t;
  }
  std::unique_ptr<antlr4::CommonToken> create(std::size_t type, const std::string& text) override {
    return std::make_unique<antlr4::CommonToken>(type, text);
  }

 private:
  TokenArena& arena_;
};

// ---------------------------------------------------------------------------------------------
// Token descriptions for messages.

// Every kind of token has a name for messages; a grammar's token name (`SEL_COMMA`) never shows.
// Where two token types share a spelling (',' in a selector and outside one, `in`), ANTLR has no
// literal name for either, so the table spells every type out rather than trusting the vocabulary.
std::string describe_token_type(std::size_t type, const antlr4::dfa::Vocabulary& vocab) {
  switch (type) {
    case antlr4::Token::EOF:
      return "end of file";
    case FenceLexer::IDENT:
      return "a name";
    case FenceLexer::INT:
      return "a number";
    case FenceLexer::STRING:
    case FenceLexer::SEL_STRING:
      return "a string";
    case FenceLexer::IPV4:
    case FenceLexer::IPV6:
      return "a CIDR";
    case FenceLexer::DNS_NAME:
      return "a DNS name";
    case FenceLexer::METHOD:
      return "a request method such as GET";
    case FenceLexer::SEL_WORD:
      return "a label key or value";
    case FenceLexer::PODS_OPEN:
      return "'pods['";
    case FenceLexer::NS_OPEN:
      return "'ns['";
    case FenceLexer::IN:
    case FenceLexer::SEL_IN:
      return "'in'";
    case FenceLexer::COMMA:
    case FenceLexer::SEL_COMMA:
      return "','";
    case FenceLexer::EQ:
      return "'='";
    case FenceLexer::SEL_EQ:
      return "'='";
    case FenceLexer::BAD_WORD:
      return "a word that is neither a number nor a name";
    case FenceLexer::COMMENT:
    case FenceLexer::SEL_COMMENT:
      return "a comment";
    case FenceLexer::WS:
    case FenceLexer::SEL_WS:
      return "white space";
    case FenceLexer::UNKNOWN:
    case FenceLexer::SEL_UNKNOWN:
      return "a character that starts no token";
    default:
      break;
  }
  auto literal = vocab.getLiteralName(type);
  if (!literal.empty()) return literal;  // already quoted: 'reach'
  return "a token";  // not reached: the test over every token type says so
}

std::string describe_token(const antlr4::Token* t) {
  if (t == nullptr || t->getType() == antlr4::Token::EOF) return "end of file";
  std::string text = t->getText();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return fmt::format("'{}'", text);
}

// ---------------------------------------------------------------------------------------------
// Error listener: turns ANTLR's complaints into located diagnostics.

class ErrorListener : public antlr4::BaseErrorListener {
 public:
  ErrorListener(FileId file, const OffsetMap& offsets, DiagnosticSink& sink) : file_(file), offsets_(offsets), sink_(sink) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t /*line*/, size_t /*col*/, const std::string& msg,
                   std::exception_ptr /*e*/) override {
    ++count_;
    if (offending == nullptr) {
      sink_.error(Code::E0101, Span{file_, 0, 0}, msg);
      return;
    }
    error_tokens_.push_back(offending->getTokenIndex());
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) mark_broken(parser->getContext());
    // Unknown characters were reported once by the lexer scan; do not report them again.
    auto type = offending->getType();
    if (type == FenceLexer::UNKNOWN || type == FenceLexer::SEL_UNKNOWN || type == FenceLexer::BAD_WORD) return;
    Span span = token_span(offending);
    // One complaint per position: recovery can trip over the same token more than once.
    if (!reported_.insert(span.begin).second) return;
    std::string expected;
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
      try {
        expected = describe_expected(parser->getExpectedTokens(), parser->getVocabulary());
      } catch (...) {
        expected.clear();
      }
    }
    std::string message = fmt::format("unexpected {}", describe_token(offending));
    if (!expected.empty()) message += "; expected " + expected;
    auto& d = sink_.error(Code::E0101, span, message);
    if (type == antlr4::Token::EOF && open_block_.valid() && !(open_block_ == span)) d.note(open_block_, open_block_note_);
    if (type != antlr4::Token::EOF) {
      if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
        auto open = unclosed_selector(parser, offending);
        if (open.valid() && !(open == span)) d.note(open, "this selector is not closed with ']'");
      }
    }
  }

  // Where a selector opened, when the error is at the first token of a later line inside it: the
  // `]` was forgotten at the end of the line before.
  Span unclosed_selector(antlr4::Parser* parser, const antlr4::Token* offending) const {
    auto* stream = parser->getTokenStream();
    if (stream->LT(1) != offending) return {};
    auto* prev = stream->LT(-1);
    if (prev == nullptr || prev->getLine() >= offending->getLine()) return {};
    for (antlr4::RuleContext* ctx = parser->getContext(); ctx != nullptr; ctx = dynamic_cast<antlr4::RuleContext*>(ctx->parent)) {
      if (dynamic_cast<FenceParser::SelectorBodyContext*>(ctx) == nullptr) continue;
      auto* owner = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent);
      if (owner == nullptr || owner->getStart() == nullptr) return {};
      return token_span(owner->getStart());
    }
    return {};
  }

  // The item an error makes unusable: the innermost one around the error. An error in a block's
  // body (a stray token, the missing '}') leaves the block whole; one in its header breaks it.
  void mark_broken(antlr4::RuleContext* ctx) {
    for (; ctx != nullptr; ctx = dynamic_cast<antlr4::RuleContext*>(ctx->parent)) {
      if (auto* item = dynamic_cast<FenceParser::ItemContext*>(ctx)) {
        broken_.insert(item);
        return;
      }
      if (dynamic_cast<FenceParser::FileContext*>(ctx) != nullptr) return;
      if (auto* n = dynamic_cast<FenceParser::NamespaceBlockContext*>(ctx); n != nullptr && n->LBRACE() != nullptr) return;
      if (auto* c = dynamic_cast<FenceParser::ClusterBlockContext*>(ctx); c != nullptr && c->LBRACE() != nullptr) return;
      if (auto* w = dynamic_cast<FenceParser::WhenBlockContext*>(ctx); w != nullptr && w->LBRACE() != nullptr) return;
      if (auto* t = dynamic_cast<FenceParser::TierBlockContext*>(ctx); t != nullptr && t->LBRACE() != nullptr) return;
    }
  }
  const std::set<const antlr4::ParserRuleContext*>& broken() const { return broken_; }
  const std::vector<std::size_t>& error_tokens() const { return error_tokens_; }

  Span token_span(const antlr4::Token* t) const {
    if (t->getType() == antlr4::Token::EOF) {
      auto b = offsets_.byte(t->getStartIndex());
      return Span{file_, b, b};
    }
    auto start = t->getStartIndex();
    auto stop = t->getStopIndex();
    if (start == INVALID_INDEX || stop == INVALID_INDEX || stop + 1 < start) return Span{file_, 0, 0};
    return Span{file_, offsets_.byte(start), offsets_.byte(stop + 1)};
  }

  void set_open_block(Span s, std::string note) {
    open_block_ = s;
    open_block_note_ = std::move(note);
  }
  std::size_t count() const { return count_; }

 private:
  static std::string describe_expected(const antlr4::misc::IntervalSet& set, const antlr4::dfa::Vocabulary& vocab) {
    std::vector<std::string> names;
    bool name_expected = set.contains(static_cast<std::size_t>(FenceLexer::IDENT));
    for (auto type : set.toList()) {
      if (type == FenceLexer::COMMENT || type == FenceLexer::UNKNOWN || type == FenceLexer::SEL_UNKNOWN) continue;
      // Soft keywords are names too: "a name" says it.
      bool soft = type >= FenceLexer::CLUSTER && type <= FenceLexer::HEADER;
      if (soft && name_expected) continue;
      auto d = describe_token_type(static_cast<std::size_t>(type), vocab);
      if (std::find(names.begin(), names.end(), d) == names.end()) names.push_back(d);
    }
    if (names.empty()) return {};
    if (names.size() > 8) {
      // A list that long helps nobody; name what the tokens have in common instead.
      auto has = [&](std::size_t t) { return set.contains(t); };
      bool statement_start = has(FenceLexer::PODS_OPEN) && has(FenceLexer::ALL);
      if (statement_start && has(FenceLexer::COMMA)) return "',' or the start of the next statement";
      if (statement_start && has(FenceLexer::RBRACE)) return "'}' or a statement";
      if (statement_start) return "a statement or definition";
      return {};
    }
    if (names.size() == 1) return names[0];
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
      out += names[i];
    }
    return out;
  }

  FileId file_;
  const OffsetMap& offsets_;
  DiagnosticSink& sink_;
  std::set<std::uint32_t> reported_;
  std::set<const antlr4::ParserRuleContext*> broken_;
  std::vector<std::size_t> error_tokens_;  // indices of the tokens errors were reported at
  Span open_block_;
  std::string open_block_note_;
  std::size_t count_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Error recovery. ANTLR's default repairs a statement by inventing or dropping one token, which
// turns `web-api may rech foo` into a statement about `rech` and an error on the next line. Fence
// instead abandons the broken item: it skips to the first token of a later line (one that does
// not continue a list) and resumes there, so each mistake is reported once.

class ResyncStrategy : public antlr4::DefaultErrorStrategy {
 public:
  // Between items (at the top level or in a block's body), a token that cannot start an item is
  // reported and the rest of its line skipped; the default would resume at the first token that
  // could start a statement, often the middle of the same broken line.
  void sync(antlr4::Parser* parser) override {
    if (!block_level(parser->getContext())) {
      // Inside an item, a stray token may be dropped only when the line goes on after it; the
      // default would also drop it before the next line's first token and swallow that line.
      // A token that starts a new line never is: the default would consume up to a token that
      // could follow (in `{db, cache` that is the block's own '}', which then is missing at the
      // end of the file).
      auto* stream = parser->getTokenStream();
      if (!inErrorRecoveryMode(parser)) {
        const auto& atn = parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->atn;
        const auto& expected = atn.nextTokens(atn.states[parser->getState()]);
        auto la = stream->LA(1);
        bool stray_inside_line = same_line(stream->LT(-1), stream->LT(1)) && same_line(stream->LT(1), stream->LT(2)) && expected.contains(stream->LA(2));
        if (!expected.contains(la) && !expected.contains(antlr4::Token::EPSILON) && la != antlr4::Token::EOF && !stray_inside_line) {
          throw antlr4::InputMismatchException(parser);
        }
      }
      antlr4::DefaultErrorStrategy::sync(parser);
      return;
    }
    if (inErrorRecoveryMode(parser)) return;
    auto* stream = parser->getTokenStream();
    const auto& atn = parser->getInterpreter<antlr4::atn::ParserATNSimulator>()->atn;
    const auto& expected = atn.nextTokens(atn.states[parser->getState()]);
    auto viable = [&](std::size_t type) {
      return type == antlr4::Token::EOF || expected.contains(type) || expected.contains(antlr4::Token::EPSILON);
    };
    auto* bad = stream->LT(1);
    if (viable(bad->getType())) return;
    // Unknown characters were reported by the scan already: the listener notes the place only.
    parser->notifyErrorListeners(bad, "unexpected token", nullptr);
    std::size_t line = bad->getLine();
    // Braces opened by what is skipped are skipped to their close, which is no stray '}' then.
    int depth = 0;
    auto consume = [&] {
      auto type = stream->LA(1);
      if (type == FenceLexer::LBRACE) ++depth;
      if (type == FenceLexer::RBRACE) --depth;
      parser->consume();
    };
    consume();
    while (true) {
      auto* t = stream->LT(1);
      if (t->getType() == antlr4::Token::EOF) break;
      if (t->getType() == FenceLexer::RBRACE && depth <= 0) break;
      auto* prev = stream->LT(-1);
      if (depth <= 0 && t->getLine() > line && prev->getLine() < t->getLine() && prev->getType() != FenceLexer::COMMA && viable(t->getType())) break;
      consume();
    }
  }

  void recover(antlr4::Parser* parser, std::exception_ptr e) override {
    if (block_level(parser->getContext()) || !inside_item(parser)) {
      antlr4::DefaultErrorStrategy::recover(parser, e);
      return;
    }
    auto* stream = parser->getTokenStream();
    auto* bad = stream->LT(1);
    std::size_t line = bad->getLine();
    // A '{' the broken item opened (a block whose header is broken) is skipped with its whole
    // body: resuming inside it would take its '}' for a stray one, and its items for top-level ones.
    int depth = 0;
    auto consume = [&] {
      auto type = stream->LA(1);
      if (type == FenceLexer::LBRACE) ++depth;
      if (type == FenceLexer::RBRACE) --depth;
      parser->consume();
    };
    // The bad token is skipped unless it is a '}' (the enclosing block's) or begins a line of its
    // own after the item's first: then the item ended early and the next one starts there.
    auto* prev_of_bad = stream->LT(-1);
    bool bad_starts_line = prev_of_bad != nullptr && prev_of_bad->getLine() < bad->getLine() && prev_of_bad->getType() != FenceLexer::COMMA &&
                           item_start(parser) < bad->getTokenIndex();
    if (bad->getType() == antlr4::Token::EOF || bad->getType() == FenceLexer::RBRACE || bad_starts_line) {
      endErrorCondition(parser);
      throw fence_gen::ResyncItem{};
    }
    consume();
    while (true) {
      auto* t = stream->LT(1);
      if (t->getType() == antlr4::Token::EOF) break;
      if (t->getType() == FenceLexer::RBRACE && depth <= 0) break;
      auto* prev = stream->LT(-1);
      bool starts_line = prev == nullptr || prev->getLine() < t->getLine();
      bool continues_list = prev != nullptr && prev->getType() == FenceLexer::COMMA;
      if (depth <= 0 && t->getLine() > line && starts_line && !continues_list) break;
      consume();
    }
    endErrorCondition(parser);
    throw fence_gen::ResyncItem{};
  }

 protected:
  antlr4::Token* singleTokenDeletion(antlr4::Parser* parser) override {
    auto* stream = parser->getTokenStream();
    if (!same_line(stream->LT(1), stream->LT(2))) return nullptr;
    return antlr4::DefaultErrorStrategy::singleTokenDeletion(parser);
  }

  // Inventing a token is right only for closers: a missing '}' or ']' at the end of a block.
  bool singleTokenInsertion(antlr4::Parser* parser) override {
    auto expected = parser->getExpectedTokens();
    bool closer = expected.contains(static_cast<std::size_t>(FenceLexer::RBRACE)) ||
                  expected.contains(static_cast<std::size_t>(FenceLexer::SEL_CLOSE)) ||
                  expected.contains(static_cast<std::size_t>(FenceLexer::SEL_RPAREN));
    return closer && expected.size() == 1 && antlr4::DefaultErrorStrategy::singleTokenInsertion(parser);
  }

 private:
  static bool same_line(const antlr4::Token* a, const antlr4::Token* b) {
    return a != nullptr && b != nullptr && b->getType() != antlr4::Token::EOF && a->getLine() == b->getLine();
  }

  static bool block_level(antlr4::RuleContext* ctx) {
    return dynamic_cast<FenceParser::FileContext*>(ctx) != nullptr || dynamic_cast<FenceParser::NamespaceBlockContext*>(ctx) != nullptr ||
           dynamic_cast<FenceParser::ClusterBlockContext*>(ctx) != nullptr || dynamic_cast<FenceParser::WhenBlockContext*>(ctx) != nullptr ||
           dynamic_cast<FenceParser::TierBlockContext*>(ctx) != nullptr;
  }

  // The index of the first token of the innermost item being parsed.
  static std::size_t item_start(antlr4::Parser* parser) {
    for (antlr4::RuleContext* ctx = parser->getContext(); ctx != nullptr; ctx = dynamic_cast<antlr4::RuleContext*>(ctx->parent)) {
      if (auto* item = dynamic_cast<FenceParser::ItemContext*>(ctx); item != nullptr && item->getStart() != nullptr) return item->getStart()->getTokenIndex();
    }
    return 0;
  }

  // True when an `item` encloses the rule being recovered (not counting that rule itself).
  static bool inside_item(antlr4::Parser* parser) {
    antlr4::RuleContext* ctx = parser->getContext();
    if (ctx == nullptr) return false;
    for (ctx = dynamic_cast<antlr4::RuleContext*>(ctx->parent); ctx != nullptr; ctx = dynamic_cast<antlr4::RuleContext*>(ctx->parent)) {
      if (dynamic_cast<FenceParser::ItemContext*>(ctx) != nullptr) return true;
    }
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// Reading the parse tree. The generated accessors (ctx->name(), ctx->COMMA()) test every child
// with dynamic_cast, and GCC's runtime answers a failed one by comparing the mangled type names as
// strings: that, with RuleContext::getText's stringstream, was a third of the parse. The helpers
// below find exactly the children the accessors find, from each node's exact type (typeid: a
// pointer compare when it matches, a string compare that stops at the first characters when it
// does not) and its rule index.

// The rule index of each context type (of a labeled rule: of its base context, which every
// alternative's context derives from, as the accessors' dynamic_cast to it matches them all).
template <class T>
struct RuleOf;
#define FENCE_RULE_OF(Ctx, Rule)                    \
  template <>                                       \
  struct RuleOf<FenceParser::Ctx> {                 \
    static constexpr std::size_t index = FenceParser::Rule; \
  };
FENCE_RULE_OF(ItemContext, RuleItem)
FENCE_RULE_OF(ImportDeclContext, RuleImportDecl)
FENCE_RULE_OF(EnvironmentsDeclContext, RuleEnvironmentsDecl)
FENCE_RULE_OF(TargetsDeclContext, RuleTargetsDecl)
FENCE_RULE_OF(LetDeclContext, RuleLetDecl)
FENCE_RULE_OF(SetDeclContext, RuleSetDecl)
FENCE_RULE_OF(EnvClauseContext, RuleEnvClause)
FENCE_RULE_OF(TargetClauseContext, RuleTargetClause)
FENCE_RULE_OF(ValueContext, RuleValue)
FENCE_RULE_OF(NamespaceBlockContext, RuleNamespaceBlock)
FENCE_RULE_OF(ClusterBlockContext, RuleClusterBlock)
FENCE_RULE_OF(WhenBlockContext, RuleWhenBlock)
FENCE_RULE_OF(ForBlockContext, RuleForBlock)
FENCE_RULE_OF(TierBlockContext, RuleTierBlock)
FENCE_RULE_OF(DefaultDenyContext, RuleDefaultDeny)
FENCE_RULE_OF(StatementContext, RuleStatement)
FENCE_RULE_OF(SubjectsContext, RuleSubjects)
FENCE_RULE_OF(VerbContext, RuleVerb)
FENCE_RULE_OF(ModalityContext, RuleModality)
FENCE_RULE_OF(TargetListContext, RuleTargetList)
FENCE_RULE_OF(TargetContext, RuleTarget)
FENCE_RULE_OF(PeerContext, RulePeer)
FENCE_RULE_OF(PrimaryContext, RulePrimary)
FENCE_RULE_OF(CidrContext, RuleCidr)
FENCE_RULE_OF(EntityNameContext, RuleEntityName)
FENCE_RULE_OF(RefContext, RuleRef)
FENCE_RULE_OF(NsRefContext, RuleNsRef)
FENCE_RULE_OF(PodRefContext, RulePodRef)
FENCE_RULE_OF(NsSelectorContext, RuleNsSelector)
FENCE_RULE_OF(SelectorBodyContext, RuleSelectorBody)
FENCE_RULE_OF(RequirementContext, RuleRequirement)
FENCE_RULE_OF(SelValuesContext, RuleSelValues)
FENCE_RULE_OF(SelWordContext, RuleSelWord)
FENCE_RULE_OF(PortSpecContext, RulePortSpec)
FENCE_RULE_OF(PortItemContext, RulePortItem)
FENCE_RULE_OF(PortValueContext, RulePortValue)
FENCE_RULE_OF(L7Context, RuleL7)
FENCE_RULE_OF(HttpRuleContext, RuleHttpRule)
FENCE_RULE_OF(NsNameContext, RuleNsName)
FENCE_RULE_OF(NameContext, RuleName)
#undef FENCE_RULE_OF

// Takes the token out of a terminal node (an error node is one too) by its own virtual accept,
// without a cast: TerminalNode is a virtual base, which only dynamic_cast could reach.
class SymbolOf final : public antlr4::tree::ParseTreeVisitor {
 public:
  antlrcpp::Any visit(antlr4::tree::ParseTree* /*tree*/) override { return {}; }
  antlrcpp::Any visitChildren(antlr4::tree::ParseTree* /*node*/) override { return {}; }
  antlrcpp::Any visitTerminal(antlr4::tree::TerminalNode* node) override {
    symbol = node->getSymbol();
    return {};
  }
  antlrcpp::Any visitErrorNode(antlr4::tree::ErrorNode* node) override {
    symbol = node->getSymbol();
    return {};
  }
  antlr4::Token* symbol = nullptr;
};

// A child of a rule's node: a rule's node, or a terminal's token. A parser's tree holds terminal
// and error nodes (TerminalNodeImpl, ErrorNodeImpl) and rule contexts, nothing else.
struct Node {
  antlr4::ParserRuleContext* rule = nullptr;
  antlr4::Token* token = nullptr;
  bool terminal = false;
};

Node node(antlr4::tree::ParseTree* n) {
  // Only a rule's node has children: most are told apart without comparing types.
  if (!n->children.empty()) return Node{static_cast<antlr4::ParserRuleContext*>(n), nullptr, false};
  const std::type_info& type = typeid(*n);
  if (type == typeid(antlr4::tree::TerminalNodeImpl) || type == typeid(antlr4::tree::ErrorNodeImpl)) {
    SymbolOf s;
    n->accept(&s);
    return Node{nullptr, s.symbol, true};
  }
  return Node{static_cast<antlr4::ParserRuleContext*>(n), nullptr, false};
}

// ctx->rule(): the first child of rule T.
template <class T>
T* kid(antlr4::ParserRuleContext* c) {
  for (auto* child : c->children) {
    if (child == nullptr) continue;
    auto n = node(child);
    if (n.rule != nullptr && n.rule->getRuleIndex() == RuleOf<T>::index) return static_cast<T*>(n.rule);
  }
  return nullptr;
}

// ctx->rule() of a rule that may occur more than once: `f` on every child of rule T, in order.
template <class T, class F>
void each(antlr4::ParserRuleContext* c, F&& f) {
  for (auto* child : c->children) {
    if (child == nullptr) continue;
    auto n = node(child);
    if (n.rule != nullptr && n.rule->getRuleIndex() == RuleOf<T>::index) f(static_cast<T*>(n.rule));
  }
}

// How many children of rule T, to reserve room for what they make.
template <class T>
std::size_t count(antlr4::ParserRuleContext* c) {
  std::size_t n = 0;
  each<T>(c, [&](T* /*k*/) { ++n; });
  return n;
}

template <class T>
std::vector<T*> kids(antlr4::ParserRuleContext* c) {
  std::vector<T*> out;
  each<T>(c, [&](T* k) { out.push_back(k); });
  return out;
}

// ctx->TOKEN(): the token of the first terminal child of that type (error nodes count, as they do
// for ParserRuleContext::getToken).
antlr4::Token* tok(antlr4::ParserRuleContext* c, std::size_t type) {
  for (auto* child : c->children) {
    if (child == nullptr) continue;
    auto n = node(child);
    if (n.token != nullptr && n.token->getType() == type) return n.token;
  }
  return nullptr;
}

// How many terminal children of that type; the first two of them in `first`.
std::size_t toks(antlr4::ParserRuleContext* c, std::size_t type, antlr4::Token* first[2]) {
  std::size_t count = 0;
  for (auto* child : c->children) {
    if (child == nullptr) continue;
    auto n = node(child);
    if (n.token != nullptr && n.token->getType() == type) {
      if (count < 2) first[count] = n.token;
      ++count;
    }
  }
  return count;
}

// The first child of each rule, found in one pass, for a node asked for several.
class Kids {
 public:
  explicit Kids(antlr4::ParserRuleContext* c) {
    for (auto* child : c->children) {
      if (child == nullptr) continue;
      auto n = node(child);
      if (n.rule == nullptr) continue;
      auto index = n.rule->getRuleIndex();
      if (index < first_.size() && first_[index] == nullptr) first_[index] = n.rule;
    }
  }
  template <class T>
  T* get() const {
    static_assert(RuleOf<T>::index < std::tuple_size_v<decltype(first_)>, "a rule added after `name` in the grammar needs room here");
    return static_cast<T*>(first_[RuleOf<T>::index]);
  }

 private:
  std::array<antlr4::ParserRuleContext*, FenceParser::RuleName + 1> first_{};
};

// The alternative of a labeled rule: `c` when it is exactly T (no alternative's context derives
// from another, so this is what dynamic_cast<T*> finds).
template <class T, class Base>
T* alt(Base* c) {
  return typeid(*c) == typeid(T) ? static_cast<T*>(c) : nullptr;
}

// ---------------------------------------------------------------------------------------------
// AST builder. Error recovery can leave null children behind, so every accessor is checked:
// a malformed piece is skipped, never dereferenced.

class Builder {
 public:
  // `text` is the whole file; `tokens` the stream the tree was parsed from, of `chars` characters.
  Builder(FileId file, std::string_view text, const OffsetMap& offsets, antlr4::BufferedTokenStream* tokens, std::size_t chars,
          DiagnosticSink& sink)
      : file_(file), text_(text), offsets_(offsets), stream_(tokens), chars_(chars), sink_(sink) {}

  // After errors: which items they broke (ErrorListener::mark_broken), and where they were.
  void set_errors(const std::set<const antlr4::ParserRuleContext*>* broken, const std::vector<std::size_t>* error_tokens,
                  antlr4::TokenStream* tokens) {
    broken_ = broken;
    error_tokens_ = error_tokens;
    tokens_ = tokens;
  }

  // t->getText(), which for a token the lexer made is its source text; ANTLR would build it again
  // from the stream's code points. Tokens error recovery makes up have their own text.
  std::string text(const antlr4::Token* t) const {
    auto start = t->getStartIndex();
    auto stop = t->getStopIndex();
    auto index = t->getTokenIndex();
    if (start != INVALID_INDEX && stop != INVALID_INDEX && start <= stop && stop < chars_ && t->getType() != antlr4::Token::EOF &&
        index < stream_->size() && stream_->get(index) == t) {
      auto b = offsets_.byte(start);
      auto e = offsets_.byte(stop + 1);
      return std::string(text_.substr(b, e - b));
    }
    return t->getText();
  }
  // n->getText(): the text of its tokens, without what lies between them.
  std::string text(antlr4::tree::ParseTree* n) const {
    auto k = node(n);
    if (k.terminal) return k.token != nullptr ? text(k.token) : n->getText();
    return text(k.rule);
  }
  std::string text(antlr4::ParserRuleContext* c) const {
    if (c->children.size() == 1 && c->children[0] != nullptr) return text(c->children[0]);
    std::string out;
    for (auto* child : c->children) {
      if (child != nullptr) out += text(child);
    }
    return out;
  }

  Span span(const antlr4::Token* t) const {
    if (t == nullptr) return Span{file_, 0, 0};
    auto start = t->getStartIndex();
    auto stop = t->getStopIndex();
    if (start == INVALID_INDEX || stop == INVALID_INDEX || stop + 1 < start) return Span{file_, 0, 0};
    return Span{file_, offsets_.byte(start), offsets_.byte(stop + 1)};
  }
  Span span(antlr4::ParserRuleContext* c) const {
    if (c == nullptr || c->getStart() == nullptr) return Span{file_, 0, 0};
    Span a = span(c->getStart());
    const antlr4::Token* stop = c->getStop();
    if (stop == nullptr || stop->getType() == antlr4::Token::EOF || stop->getTokenIndex() < c->getStart()->getTokenIndex()) return a;
    return Span::cover(a, span(stop));
  }

  ast::Name name(const antlr4::Token* t) const { return t ? ast::Name{text(t), span(t)} : ast::Name{"", Span{file_, 0, 0}}; }
  // A terminal's name: nothing at all when there is no such terminal.
  ast::Name term_name(const antlr4::Token* t) const { return t ? name(t) : ast::Name{}; }
  ast::Name name(FenceParser::NameContext* c) const { return c ? ast::Name{text(c), span(c)} : ast::Name{}; }
  ast::Name ns_name(FenceParser::NsNameContext* c) const { return c ? ast::Name{text(c), span(c)} : ast::Name{}; }

  static std::string unescape(const std::string& quoted) {
    std::string out;
    if (quoted.size() < 2) return out;
    for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
      char c = quoted[i];
      if (c == '\\' && i + 2 < quoted.size()) {
        char n = quoted[++i];
        switch (n) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          default:
            out += n;
            break;
        }
      } else {
        out += c;
      }
    }
    return out;
  }
  ast::StringLit string(const antlr4::Token* t) const {
    if (t == nullptr) return {};
    return ast::StringLit{unescape(text(t)), span(t)};
  }

  ast::File file(FenceParser::FileContext* ctx) {
    ast::File f;
    f.id = file_;
    if (ctx == nullptr) return f;
    f.items = items(kids<FenceParser::ItemContext>(ctx));
    return f;
  }

  // The items that parsed. A broken one is left out, so that nothing is reported about it but its
  // syntax error; a broken `let` leaves a poisoned definition, so that its uses report nothing
  // either (rather than taking the name for a workload's).
  std::vector<ast::Item> items(const std::vector<FenceParser::ItemContext*>& list) {
    std::vector<ast::Item> out;
    out.reserve(list.size());
    for (std::size_t k = 0; k < list.size(); ++k) {
      auto* it = list[k];
      if (it == nullptr) continue;
      std::size_t limit = static_cast<std::size_t>(-1);
      if (k + 1 < list.size() && list[k + 1] != nullptr && list[k + 1]->getStart() != nullptr) limit = list[k + 1]->getStart()->getTokenIndex();
      if (broken(it, limit)) {
        if (auto p = poisoned(it)) out.push_back(std::move(*p));
        continue;
      }
      if (auto i = item(it)) out.push_back(std::move(*i));
    }
    return out;
  }

  // True when an error broke the item: one inside it (in a block, only in its header), or a stray
  // token after it on its last line (`db:80:90` is one statement with a mistake, not a statement
  // and some noise).
  bool broken(FenceParser::ItemContext* it, std::size_t limit) const {
    if (broken_ == nullptr) return false;
    if (broken_->count(it) > 0) return true;
    Kids k(it);
    if (k.get<FenceParser::NamespaceBlockContext>() != nullptr || k.get<FenceParser::ClusterBlockContext>() != nullptr ||
        k.get<FenceParser::WhenBlockContext>() != nullptr || k.get<FenceParser::TierBlockContext>() != nullptr) {
      return false;
    }
    const antlr4::Token* stop = it->getStop();
    if (stop == nullptr || error_tokens_ == nullptr || tokens_ == nullptr) return false;
    for (auto i : *error_tokens_) {
      if (i <= stop->getTokenIndex() || i >= limit || i >= tokens_->size()) continue;
      if (tokens_->get(i)->getLine() == stop->getLine()) return true;
    }
    return false;
  }

  std::optional<ast::Item> poisoned(FenceParser::ItemContext* it) const {
    auto* c = kid<FenceParser::LetDeclContext>(it);
    if (c == nullptr) return std::nullopt;
    auto* n = kid<FenceParser::NameContext>(c);
    if (n == nullptr || n->getStart() == nullptr) return std::nullopt;
    if (n->getStart()->getType() == antlr4::Token::EOF || text(n).empty()) return std::nullopt;
    ast::Let l;
    l.name = name(n);
    l.span = span(c);
    l.poisoned = true;
    return ast::Item{std::move(l)};
  }

  std::optional<ast::Item> item(FenceParser::ItemContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    Kids k(ctx);
    if (auto* c = k.get<FenceParser::ImportDeclContext>()) return wrap(import_decl(c));
    if (auto* c = k.get<FenceParser::EnvironmentsDeclContext>()) {
      ast::Environments e;
      e.names = env_list(c);
      e.span = span(c);
      return ast::Item{std::move(e)};
    }
    if (auto* c = k.get<FenceParser::TargetsDeclContext>()) {
      ast::Targets t;
      t.names = env_list(c);
      t.span = span(c);
      return ast::Item{std::move(t)};
    }
    if (auto* c = k.get<FenceParser::LetDeclContext>()) {
      Kids ck(c);
      ast::Let l;
      l.name = name(ck.get<FenceParser::NameContext>());
      if (auto* e = ck.get<FenceParser::EnvClauseContext>()) l.envs = env_list(e);
      if (auto* t = ck.get<FenceParser::TargetClauseContext>()) l.targets = env_list(t);
      l.value = value(ck.get<FenceParser::ValueContext>());
      l.span = span(c);
      return ast::Item{std::move(l)};
    }
    if (auto* c = k.get<FenceParser::SetDeclContext>()) {
      Kids ck(c);
      ast::Set s;
      s.name = name(ck.get<FenceParser::NameContext>());
      if (auto* e = ck.get<FenceParser::EnvClauseContext>()) s.envs = env_list(e);
      s.value = value(ck.get<FenceParser::ValueContext>());
      s.span = span(c);
      return ast::Item{std::move(s)};
    }
    if (auto* c = k.get<FenceParser::NamespaceBlockContext>()) {
      ast::Block b;
      b.kind = ast::Block::Kind::Namespace;
      b.name = ns_name(kid<FenceParser::NsNameContext>(c));
      b.header_span = Span::cover(span(tok(c, FenceLexer::NAMESPACE)), b.name.span);
      b.items = items(kids<FenceParser::ItemContext>(c));
      b.span = span(c);
      return ast::Item{std::move(b)};
    }
    if (auto* c = k.get<FenceParser::ClusterBlockContext>()) {
      ast::Block b;
      b.kind = ast::Block::Kind::Cluster;
      b.header_span = span(tok(c, FenceLexer::CLUSTER));
      b.items = items(kids<FenceParser::ItemContext>(c));
      b.span = span(c);
      return ast::Item{std::move(b)};
    }
    if (auto* c = k.get<FenceParser::WhenBlockContext>()) {
      ast::Block b;
      b.kind = ast::Block::Kind::When;
      b.envs = env_list(c);
      b.header_span = span(tok(c, FenceLexer::WHEN));
      if (!b.envs.empty()) b.header_span = Span::cover(b.header_span, b.envs.back().span);
      if (auto* t = kid<FenceParser::TargetClauseContext>(c)) {
        b.targets = env_list(t);
        if (!b.targets.empty()) b.header_span = Span::cover(b.header_span, b.targets.back().span);
      }
      b.items = items(kids<FenceParser::ItemContext>(c));
      b.span = span(c);
      return ast::Item{std::move(b)};
    }
    if (auto* c = k.get<FenceParser::ForBlockContext>()) {
      ast::Block b;
      b.kind = ast::Block::Kind::When;
      auto* t = kid<FenceParser::TargetClauseContext>(c);
      if (t == nullptr) return std::nullopt;
      b.targets = env_list(t);
      b.header_span = span(tok(t, FenceLexer::FOR));
      if (!b.targets.empty()) b.header_span = Span::cover(b.header_span, b.targets.back().span);
      b.items = items(kids<FenceParser::ItemContext>(c));
      b.span = span(c);
      return ast::Item{std::move(b)};
    }
    if (auto* c = k.get<FenceParser::TierBlockContext>()) return tier_block(c);
    if (auto* c = k.get<FenceParser::DefaultDenyContext>()) {
      ast::DefaultDeny d;
      d.span = span(c);
      if (c->direction == nullptr) return std::nullopt;
      if (tok(c, FenceLexer::FOR) != nullptr) {
        auto* subjects = kid<FenceParser::SubjectsContext>(c);
        if (subjects == nullptr) return std::nullopt;
        each<FenceParser::RefContext>(subjects, [&](FenceParser::RefContext* r) {
          if (auto ref = this->ref(r)) d.subjects.push_back(std::move(*ref));
        });
        if (d.subjects.empty()) return std::nullopt;
      }
      switch (c->direction->getType()) {
        case FenceLexer::EGRESS:
          d.direction = ast::Direction::Egress;
          break;
        case FenceLexer::INGRESS:
          d.direction = ast::Direction::Ingress;
          break;
        default:
          d.direction = ast::Direction::All;
          break;
      }
      return ast::Item{std::move(d)};
    }
    if (auto* c = k.get<FenceParser::StatementContext>()) {
      auto s = statement(c);
      if (!s) return std::nullopt;
      return ast::Item{std::move(*s)};
    }
    return std::nullopt;
  }

  // `admin priority 10 { ... }`. A missing or out-of-range priority is reported here; the block is
  // kept (without a priority) so that its body is still checked.
  std::optional<ast::Item> tier_block(FenceParser::TierBlockContext* c) {
    if (c->tier == nullptr) return std::nullopt;
    ast::Block b;
    b.kind = ast::Block::Kind::Tier;
    b.tier = c->tier->getType() == FenceLexer::BASELINE ? ast::Tier::Baseline : ast::Tier::Admin;
    const char* word = b.tier == ast::Tier::Admin ? "admin" : "baseline";
    b.header_span = span(c->tier);
    if (auto* p = tok(c, FenceLexer::PRIORITY)) b.header_span = Span::cover(b.header_span, span(p));
    b.priority = ast::Name{"", Span{file_, 0, 0}};
    if (c->priority != nullptr) {
      b.priority = name(c->priority);
      b.header_span = Span::cover(b.header_span, b.priority.span);
      const auto& text = b.priority.text;
      bool small = text.size() <= 4;
      int v = small ? std::stoi(text) : 1001;
      if (v > 1000) {
        sink_.error(Code::E0120, b.priority.span, fmt::format("priority {} is out of range: a tier's priority is from 0 to 1000", text))
            .hint("lower numbers are evaluated first; leave room between blocks, e.g. 10, 20, 30");
      } else {
        b.priority_value = v;
      }
    } else {
      sink_.error(Code::E0119, b.header_span, fmt::format("{} `{}` block needs a priority", b.tier == ast::Tier::Admin ? "an" : "a", word))
          .hint(fmt::format("write `{} priority N {{ ... }}`, N from 0 (evaluated first) to 1000", word));
    }
    b.items = items(kids<FenceParser::ItemContext>(c));
    b.span = span(c);
    return ast::Item{std::move(b)};
  }

  static std::optional<ast::Item> wrap(std::optional<ast::Import> i) {
    if (!i) return std::nullopt;
    return ast::Item{std::move(*i)};
  }

  std::optional<ast::Import> import_decl(FenceParser::ImportDeclContext* c) {
    ast::Import i;
    i.span = span(c);
    if (auto* s = tok(c, FenceLexer::STRING)) {
      i.is_path = true;
      i.target = unescape(text(s));
      i.target_span = span(s);
    } else if (auto* n = kid<FenceParser::NameContext>(c)) {
      i.target = text(n);
      i.target_span = span(n);
    } else {
      return std::nullopt;
    }
    return i;
  }

  // The names of `c` (an environments or targets list, a clause, a `when`).
  std::vector<ast::Name> env_list(antlr4::ParserRuleContext* c) {
    std::vector<ast::Name> out;
    out.reserve(count<FenceParser::NameContext>(c));
    each<FenceParser::NameContext>(c, [&](FenceParser::NameContext* n) { out.push_back(name(n)); });
    return out;
  }

  ast::Value value(FenceParser::ValueContext* c) {
    ast::Value v;
    if (c == nullptr) return v;
    v.span = span(c);
    if (auto* s = tok(c, FenceLexer::STRING)) {
      v.string = string(s);
    } else if (auto* tl = kid<FenceParser::TargetListContext>(c)) {
      v.targets = target_list(tl);
    }
    return v;
  }

  std::optional<ast::Statement> statement(FenceParser::StatementContext* c) {
    ast::Statement s;
    s.span = span(c);
    Kids k(c);
    auto* subjects = k.get<FenceParser::SubjectsContext>();
    auto* v = k.get<FenceParser::VerbContext>();
    auto* targets = k.get<FenceParser::TargetListContext>();
    if (subjects == nullptr || v == nullptr || targets == nullptr) return std::nullopt;
    s.subjects.reserve(count<FenceParser::RefContext>(subjects));
    each<FenceParser::RefContext>(subjects, [&](FenceParser::RefContext* r) {
      if (auto ref = this->ref(r)) s.subjects.push_back(std::move(*ref));
    });
    s.verb_span = span(v);
    auto* modality = kid<FenceParser::ModalityContext>(v);
    if (modality == nullptr) return std::nullopt;
    // The verb's words, each the first of its type.
    antlr4::Token* reach = nullptr;
    antlr4::Token* by = nullptr;
    antlr4::Token* to = nullptr;
    antlr4::Token* from = nullptr;
    for (auto* child : v->children) {
      if (child == nullptr) continue;
      auto n = node(child);
      if (n.token == nullptr) continue;
      switch (n.token->getType()) {
        case FenceLexer::REACH:
          if (reach == nullptr) reach = n.token;
          break;
        case FenceLexer::BY:
          if (by == nullptr) by = n.token;
          break;
        case FenceLexer::TO:
          if (to == nullptr) to = n.token;
          break;
        case FenceLexer::FROM:
          if (from == nullptr) from = n.token;
          break;
        default:
          break;
      }
    }
    bool allow = tok(modality, FenceLexer::MAY) != nullptr;
    if (tok(modality, FenceLexer::DEFER) != nullptr) {
      if (reach != nullptr) {
        s.verb = ast::Verb::DeferReach;
      } else if (by != nullptr) {
        s.verb = ast::Verb::DeferBeReachedBy;
      } else if (to != nullptr || from != nullptr) {
        bool send = to != nullptr;
        // A defer decides one side already (the subject's): there is no other side to leave out.
        sink_.error(Code::E0121, s.verb_span, fmt::format("`defer {}` is not a statement: a defer only ever applies to its subject's side",
                                                          send ? "send to" : "receive from"))
            .hint(send ? "write `defer reach`" : "write `defer be reached by`");
        return std::nullopt;
      } else {
        return std::nullopt;
      }
      s.targets = target_list(targets);
      return s;
    }
    if (reach != nullptr) {
      s.verb = allow ? ast::Verb::MayReach : ast::Verb::MustNotReach;
    } else if (by != nullptr) {
      s.verb = allow ? ast::Verb::MayBeReachedBy : ast::Verb::MustNotBeReachedBy;
    } else if (to != nullptr || from != nullptr) {
      bool send = to != nullptr;
      if (!allow) {
        // A deny is about its subject's side only already: there is no one-sided deny.
        sink_.error(Code::E0110, s.verb_span, fmt::format("`must not {}` is not a statement: a deny only ever applies to its subject's side",
                                                          send ? "send to" : "receive from"))
            .hint(send ? "write `must not reach`" : "write `must not be reached by`");
        return std::nullopt;
      }
      s.verb = send ? ast::Verb::MaySendTo : ast::Verb::MayReceiveFrom;
    } else {
      return std::nullopt;
    }
    s.targets = target_list(targets);
    return s;
  }

  std::vector<ast::Target> target_list(FenceParser::TargetListContext* c) {
    std::vector<ast::Target> out;
    if (c == nullptr) return out;
    out.reserve(count<FenceParser::TargetContext>(c));
    each<FenceParser::TargetContext>(c, [&](FenceParser::TargetContext* t) {
      if (auto tg = target(t)) out.push_back(std::move(*tg));
    });
    return out;
  }

  std::optional<ast::Target> target(FenceParser::TargetContext* c) {
    if (c == nullptr) return std::nullopt;
    Kids k(c);
    auto* peer = k.get<FenceParser::PeerContext>();
    if (peer == nullptr) return std::nullopt;
    ast::Target t;
    t.span = span(c);
    t.peer = this->peer(peer);
    if (!t.peer) return std::nullopt;
    if (auto* ps = k.get<FenceParser::PortSpecContext>()) {
      t.has_ports = true;
      t.ports_span = span(ps);
      t.ports.reserve(count<FenceParser::PortItemContext>(ps));
      each<FenceParser::PortItemContext>(ps, [&](FenceParser::PortItemContext* pi) {
        if (auto p = port_item(pi)) t.ports.push_back(std::move(*p));
      });
    }
    if (auto* l7 = k.get<FenceParser::L7Context>()) {
      each<FenceParser::HttpRuleContext>(l7, [&](FenceParser::HttpRuleContext* hr) {
        auto* method = tok(hr, FenceLexer::METHOD);
        if (method == nullptr) return;
        ast::HttpRule r;
        r.span = span(hr);
        r.method = term_name(method);
        antlr4::Token* unused[2] = {nullptr, nullptr};
        std::size_t strings = toks(hr, FenceLexer::STRING, unused);
        std::size_t next = 0;
        // The grammar is METHOD STRING? (HOST STRING)? (HEADER STRING)*: walk the children in order.
        for (auto* child : hr->children) {
          if (child == nullptr) continue;
          auto n = node(child);
          if (!n.terminal) continue;
          auto type = n.token->getType();
          if (type == FenceLexer::STRING) {
            if (next >= strings) break;
            ++next;
            auto lit = string(n.token);
            if (pending_ == FenceLexer::HOST) {
              r.host = std::move(lit);
            } else if (pending_ == FenceLexer::HEADER) {
              r.headers.push_back(std::move(lit));
            } else {
              r.path = std::move(lit);
            }
            pending_ = 0;
          } else if (type == FenceLexer::HOST || type == FenceLexer::HEADER) {
            pending_ = type;
          }
        }
        pending_ = 0;
        t.http.push_back(std::move(r));
      });
    }
    return t;
  }

  std::unique_ptr<ast::Expr> peer(FenceParser::PeerContext* c) {
    FenceParser::PrimaryContext* prims[2] = {nullptr, nullptr};
    std::size_t count = 0;
    antlr4::Token* except = nullptr;
    for (auto* child : c->children) {
      if (child == nullptr) continue;
      auto n = node(child);
      if (n.rule != nullptr && n.rule->getRuleIndex() == FenceParser::RulePrimary) {
        if (count < 2) prims[count] = static_cast<FenceParser::PrimaryContext*>(n.rule);
        ++count;
      } else if (n.token != nullptr && n.token->getType() == FenceLexer::EXCEPT && except == nullptr) {
        except = n.token;
      }
    }
    if (count == 0) return nullptr;
    auto lhs = primary(prims[0]);
    if (!lhs) return nullptr;
    if (except == nullptr) return lhs;
    if (count < 2) return nullptr;
    auto rhs = primary(prims[1]);
    if (!rhs) return nullptr;
    auto e = std::make_unique<ast::Expr>();
    e->kind = ast::Expr::Kind::Except;
    e->span = span(c);
    e->lhs = std::move(lhs);
    e->rhs = std::move(rhs);
    return e;
  }

  std::unique_ptr<ast::Expr> primary(FenceParser::PrimaryContext* c) {
    if (c == nullptr) return nullptr;
    auto e = std::make_unique<ast::Expr>();
    e->span = span(c);
    if (auto* rp = alt<FenceParser::RefPeerContext>(c)) {
      auto r = ref(kid<FenceParser::RefContext>(rp));
      if (!r) return nullptr;
      e->kind = ast::Expr::Kind::Ref;
      e->ref = std::move(*r);
    } else if (auto* cp = alt<FenceParser::CidrPeerContext>(c)) {
      auto* cidr = kid<FenceParser::CidrContext>(cp);
      if (cidr == nullptr) return nullptr;
      e->kind = ast::Expr::Kind::Cidr;
      e->text = ast::Name{text(cidr), span(cidr)};
    } else if (auto* dp = alt<FenceParser::DnsPeerContext>(c)) {
      e->kind = ast::Expr::Kind::DnsName;
      e->text = term_name(tok(dp, FenceLexer::DNS_NAME));
    } else if (auto* ep = alt<FenceParser::EntityPeerContext>(c)) {
      auto* entity = kid<FenceParser::EntityNameContext>(ep);
      if (entity == nullptr) return nullptr;
      e->kind = ast::Expr::Kind::Entity;
      e->text = ast::Name{text(entity), span(entity)};
    } else if (alt<FenceParser::AnythingPeerContext>(c) != nullptr) {
      e->kind = ast::Expr::Kind::Anything;
      e->text = ast::Name{"anything", e->span};
    } else if (auto* gp = alt<FenceParser::GroupPeerContext>(c)) {
      e->kind = ast::Expr::Kind::Group;
      e->items = target_list(kid<FenceParser::TargetListContext>(gp));
    } else {
      return nullptr;
    }
    return e;
  }

  std::optional<ast::Ref> ref(FenceParser::RefContext* c) {
    if (c == nullptr) return std::nullopt;
    ast::Ref r;
    r.span = span(c);
    if (auto* p = alt<FenceParser::PodOnlyRefContext>(c)) {
      auto pod = pod_ref(kid<FenceParser::PodRefContext>(p));
      if (!pod) return std::nullopt;
      r.pod = std::move(pod);
    } else if (auto* q = alt<FenceParser::QualifiedRefContext>(c)) {
      Kids k(q);
      auto ns = ns_ref(k.get<FenceParser::NsRefContext>());
      auto pod = pod_ref(k.get<FenceParser::PodRefContext>());
      if (!ns || !pod) return std::nullopt;
      r.ns = std::move(ns);
      r.pod = std::move(pod);
    } else if (auto* n = alt<FenceParser::NsOnlyRefContext>(c)) {
      auto* sel = kid<FenceParser::NsSelectorContext>(n);
      if (sel == nullptr) return std::nullopt;
      ast::NsRef ns;
      ns.kind = ast::NsRef::Kind::Selector;
      ns.selector = selector(kid<FenceParser::SelectorBodyContext>(sel), span(sel));
      ns.span = span(sel);
      r.ns = std::move(ns);
    } else if (alt<FenceParser::AllNamespacesRefContext>(c) != nullptr) {
      ast::NsRef ns;
      ns.kind = ast::NsRef::Kind::All;
      ns.span = r.span;
      r.ns = std::move(ns);
    } else {
      return std::nullopt;
    }
    return r;
  }

  std::optional<ast::NsRef> ns_ref(FenceParser::NsRefContext* c) {
    if (c == nullptr) return std::nullopt;
    ast::NsRef ns;
    ns.span = span(c);
    if (auto* n = alt<FenceParser::NsByNameContext>(c)) {
      auto* nm = kid<FenceParser::NsNameContext>(n);
      if (nm == nullptr) return std::nullopt;
      ns.kind = ast::NsRef::Kind::Name;
      ns.name = ns_name(nm);
    } else if (auto* s = alt<FenceParser::NsBySelectorContext>(c)) {
      auto* sel = kid<FenceParser::NsSelectorContext>(s);
      if (sel == nullptr) return std::nullopt;
      ns.kind = ast::NsRef::Kind::Selector;
      ns.selector = selector(kid<FenceParser::SelectorBodyContext>(sel), span(sel));
    } else if (alt<FenceParser::NsAllContext>(c) != nullptr) {
      ns.kind = ast::NsRef::Kind::All;
    } else {
      return std::nullopt;
    }
    return ns;
  }

  std::optional<ast::PodRef> pod_ref(FenceParser::PodRefContext* c) {
    if (c == nullptr) return std::nullopt;
    ast::PodRef p;
    p.span = span(c);
    if (auto* n = alt<FenceParser::PodByNameContext>(c)) {
      auto* nm = kid<FenceParser::NameContext>(n);
      if (nm == nullptr) return std::nullopt;
      p.kind = ast::PodRef::Kind::Name;
      p.name = name(nm);
    } else if (auto* s = alt<FenceParser::PodBySelectorContext>(c)) {
      p.kind = ast::PodRef::Kind::Selector;
      p.selector = selector(kid<FenceParser::SelectorBodyContext>(s), span(s));
    } else if (alt<FenceParser::PodAllContext>(c) != nullptr) {
      p.kind = ast::PodRef::Kind::All;
    } else {
      return std::nullopt;
    }
    return p;
  }

  ast::Name sel_word(FenceParser::SelWordContext* c) const {
    if (c == nullptr) return ast::Name{"", Span{file_, 0, 0}};
    if (auto* s = tok(c, FenceLexer::SEL_STRING)) return ast::Name{unescape(text(s)), span(s)};
    return ast::Name{text(c), span(c)};
  }

  // The values of `key in (...)`, `key notin (...)`.
  void sel_values(FenceParser::RequirementContext* c, std::vector<ast::Name>& out) const {
    auto* values = kid<FenceParser::SelValuesContext>(c);
    if (values == nullptr) return;
    each<FenceParser::SelWordContext>(values, [&](FenceParser::SelWordContext* w) { out.push_back(sel_word(w)); });
  }

  ast::Selector selector(FenceParser::SelectorBodyContext* c, Span whole) {
    ast::Selector sel;
    sel.span = whole;
    if (c == nullptr) return sel;
    sel.reqs.reserve(count<FenceParser::RequirementContext>(c));
    each<FenceParser::RequirementContext>(c, [&](FenceParser::RequirementContext* rq) {
      ast::SelRequirement r;
      r.span = span(rq);
      if (auto* e = alt<FenceParser::EqRequirementContext>(rq)) {
        if (e->key == nullptr || e->val == nullptr || e->op == nullptr) return;
        r.key = sel_word(e->key);
        r.op = e->op->getType() == FenceLexer::SEL_NEQ ? ast::SelOp::NotEquals : ast::SelOp::Equals;
        r.values.push_back(sel_word(e->val));
      } else if (auto* x = alt<FenceParser::ExistsRequirementContext>(rq)) {
        if (x->key == nullptr) return;
        r.key = sel_word(x->key);
        r.op = ast::SelOp::Exists;
      } else if (auto* i = alt<FenceParser::InRequirementContext>(rq)) {
        if (i->key == nullptr) return;
        r.key = sel_word(i->key);
        r.op = ast::SelOp::In;
        sel_values(i, r.values);
      } else if (auto* n = alt<FenceParser::NotInRequirementContext>(rq)) {
        if (n->key == nullptr) return;
        r.key = sel_word(n->key);
        r.op = ast::SelOp::NotIn;
        sel_values(n, r.values);
      } else if (auto* nx = alt<FenceParser::NotExistsRequirementContext>(rq)) {
        if (nx->key == nullptr) return;
        r.key = sel_word(nx->key);
        r.op = ast::SelOp::DoesNotExist;
      } else {
        return;
      }
      sel.reqs.push_back(std::move(r));
    });
    return sel;
  }

  std::optional<ast::PortItem> port_item(FenceParser::PortItemContext* c) {
    if (c == nullptr) return std::nullopt;
    auto* v = kid<FenceParser::PortValueContext>(c);
    if (v == nullptr) return std::nullopt;
    ast::PortItem p;
    p.span = span(c);
    if (auto* n = alt<FenceParser::NumericPortContext>(v)) {
      antlr4::Token* ints[2] = {nullptr, nullptr};
      std::size_t count = toks(n, FenceLexer::INT, ints);
      if (count == 0) return std::nullopt;
      p.first = term_name(ints[0]);
      if (tok(n, FenceLexer::DASH) != nullptr) {
        if (count < 2) return std::nullopt;
        p.kind = ast::PortItem::Kind::Range;
        p.last = term_name(ints[1]);
      } else {
        p.kind = ast::PortItem::Kind::Number;
      }
    } else if (auto* np = alt<FenceParser::NamedPortContext>(v)) {
      auto* nm = kid<FenceParser::NameContext>(np);
      if (nm == nullptr) return std::nullopt;
      p.kind = ast::PortItem::Kind::Named;
      p.first = name(nm);
    } else if (alt<FenceParser::AnyPortContext>(v) != nullptr) {
      p.kind = ast::PortItem::Kind::Any;
      p.first = ast::Name{"*", span(v)};
    } else {
      return std::nullopt;
    }
    if (c->protocol != nullptr) p.protocol = name(c->protocol);
    return p;
  }

 private:
  FileId file_;
  std::string_view text_;
  const OffsetMap& offsets_;
  antlr4::BufferedTokenStream* stream_;
  std::size_t chars_;
  DiagnosticSink& sink_;
  std::size_t pending_ = 0;
  const std::set<const antlr4::ParserRuleContext*>* broken_ = nullptr;
  const std::vector<std::size_t>* error_tokens_ = nullptr;
  antlr4::TokenStream* tokens_ = nullptr;
};

// Reports characters no token accepts, and nesting too deep to parse safely.
// Returns false when the parser must not run.
bool prescan(antlr4::CommonTokenStream& tokens, ErrorListener& listener, DiagnosticSink& sink) {
  int depth = 0;
  bool ok = true;
  std::vector<Span> open_braces;
  Span last_selector;
  bool in_selector = false;
  for (auto* t : tokens.getTokens()) {
    switch (t->getType()) {
      case FenceLexer::UNKNOWN:
      case FenceLexer::SEL_UNKNOWN: {
        auto s = listener.token_span(t);
        std::string text = t->getText();
        if (text == "\"") {
          sink.error(Code::E0102, s, "this string is not closed: a string ends with '\"' on the same line");
        } else if (text == "[") {
          sink.error(Code::E0102, s, "unexpected '['; a selector is written pods[...] or ns[...]");
        } else {
          std::string shown;
          for (unsigned char ch : text) shown += (ch < 0x20 || ch == 0x7f) ? fmt::format("\\x{:02x}", ch) : std::string(1, static_cast<char>(ch));
          sink.error(Code::E0102, s, fmt::format("unexpected character '{}'", shown));
        }
        break;
      }
      case FenceLexer::BAD_WORD:
        sink.error(Code::E0102, listener.token_span(t),
                   fmt::format("'{}' is neither a number nor a name: names start with a letter, numbers hold only digits", t->getText()));
        break;
      case FenceLexer::LBRACE:
        open_braces.push_back(listener.token_span(t));
        if (++depth > kMaxNesting && ok) {
          sink.error(Code::E0104, listener.token_span(t), fmt::format("braces nested deeper than {} levels", kMaxNesting));
          ok = false;
        }
        break;
      case FenceLexer::RBRACE:
        --depth;
        if (!open_braces.empty()) open_braces.pop_back();
        break;
      case FenceLexer::PODS_OPEN:
      case FenceLexer::NS_OPEN:
        last_selector = listener.token_span(t);
        in_selector = true;
        break;
      case FenceLexer::SEL_CLOSE:
        in_selector = false;
        break;
      default:
        break;
    }
  }
  if (in_selector)
    listener.set_open_block(last_selector, "this selector is not closed with ']'");
  else if (!open_braces.empty())
    listener.set_open_block(open_braces.back(), "this '{' is not closed");
  return ok;
}

}  // namespace

std::size_t invalid_utf8(std::string_view s) {
  return utf8::first_invalid(s);
}

namespace {

// ANTLR's generated lexer and parser share one DFA cache per grammar across all their instances,
// behind locks in ANTLR 4.9 whose thread safety Fence does not rely on. A parse on a thread of its
// own brings its own caches instead: they start empty and fill within the first few items. (ANTLR's
// setInterpreter deletes the interpreter it replaces; the recognizer deletes the new one.) What the
// threads still share of ANTLR is read-only, but for two counters that nothing reads to parse
// (LexerATNSimulator::match_calls and the ids PredictionContext numbers its nodes with): valgrind's
// helgrind reports those, and nothing else, on the test that parses on four threads.
class OwnCaches {
 public:
  OwnCaches() {
    const auto& latn = lexer_atn();
    for (std::size_t i = 0; i < latn.getNumberOfDecisions(); ++i) lexer_dfa_.emplace_back(latn.getDecisionState(i), i);
    const auto& patn = parser_atn();
    for (std::size_t i = 0; i < patn.getNumberOfDecisions(); ++i) parser_dfa_.emplace_back(patn.getDecisionState(i), i);
  }
  void install(FenceLexer& lexer) {
    lexer.setInterpreter(new antlr4::atn::LexerATNSimulator(&lexer, lexer.getATN(), lexer_dfa_, lexer_cache_));
  }
  void install(FenceParser& parser) {
    parser.setInterpreter(new antlr4::atn::ParserATNSimulator(&parser, parser.getATN(), parser_dfa_, parser_cache_));
  }

 private:
  static const antlr4::atn::ATN& lexer_atn() {
    Utf8Stream input{std::string_view()};
    FenceLexer lexer(&input);
    return lexer.getATN();
  }
  static const antlr4::atn::ATN& parser_atn() {
    Utf8Stream input{std::string_view()};
    FenceLexer lexer(&input);
    antlr4::CommonTokenStream tokens(&lexer);
    FenceParser parser(&tokens);
    return parser.getATN();
  }
  std::vector<antlr4::dfa::DFA> lexer_dfa_;
  std::vector<antlr4::dfa::DFA> parser_dfa_;
  antlr4::atn::PredictionContextCache lexer_cache_;
  antlr4::atn::PredictionContextCache parser_cache_;
};

// With `bailed`, a syntax error ends the parse (setting *bailed) instead of a second parse with
// error recovery: the caller parses the whole file again anyway. This also keeps the threads of a
// parallel parse off the one lazily filled cache of ANTLR's shared ATN (ATN::nextTokens, which
// only error recovery reads), whose double-checked lock is not safe across threads.
ast::File parse_bytes(const SourceManager& sm, FileId id, std::uint32_t begin, std::uint32_t end, DiagnosticSink& sink, OwnCaches* own,
                      bool* bailed = nullptr);

// Files at least this large are parsed on several threads when the machine has them: below it,
// starting threads and warming their caches costs more than it saves.
constexpr std::size_t kParallelBytes = 256 * 1024;
constexpr std::size_t kParallelStretch = 128 * 1024;

}  // namespace

ast::File parse(const SourceManager& sm, FileId id, DiagnosticSink& sink) {
  auto size = sm.file(id).text.size();
  if (size >= kParallelBytes) {
    unsigned threads = std::min(4u, std::thread::hardware_concurrency());
    if (threads > 1) return parse_in_parallel(sm, id, sink, threads, kParallelStretch);
  }
  return parse_range(sm, id, 0, static_cast<std::uint32_t>(size), sink);
}

ast::File parse_in_parallel(const SourceManager& sm, FileId id, DiagnosticSink& sink, unsigned threads, std::size_t min_bytes,
                            std::size_t* stretches_parsed) {
  const std::string& text = sm.file(id).text;
  if (stretches_parsed != nullptr) *stretches_parsed = 1;
  auto whole = [&] { return parse_range(sm, id, 0, static_cast<std::uint32_t>(text.size()), sink); };
  if (threads < 2 || invalid_utf8(text) != std::string_view::npos) return whole();
  // Cut at the item boundaries nearest to equal shares of the bytes.
  std::size_t count = std::min<std::size_t>(threads, std::max<std::size_t>(1, text.size() / std::max<std::size_t>(1, min_bytes)));
  if (count < 2) return whole();
  auto pieces = split_items(text);
  std::vector<Piece> stretches;
  std::uint32_t start = 0;
  for (const auto& p : pieces) {
    auto share = static_cast<double>(text.size()) * static_cast<double>(stretches.size() + 1) / static_cast<double>(count);
    if (p.begin > start && static_cast<double>(p.begin) >= share && stretches.size() + 1 < count) {
      stretches.push_back(Piece{start, p.begin});
      start = p.begin;
    }
  }
  stretches.push_back(Piece{start, static_cast<std::uint32_t>(text.size())});
  if (stretches.size() < 2) return whole();

  struct Part {
    ast::File file;
    DiagnosticSink sink;
    bool bailed = false;
    std::exception_ptr failed;
  };
  std::vector<Part> parts(stretches.size());
  std::vector<std::thread> workers;
  try {
    for (std::size_t i = 1; i < stretches.size(); ++i) {
      workers.emplace_back([&, i] {
        try {
          OwnCaches caches;
          parts[i].file = parse_bytes(sm, id, stretches[i].begin, stretches[i].end, parts[i].sink, &caches, &parts[i].bailed);
        } catch (...) {
          parts[i].failed = std::current_exception();
        }
      });
    }
  } catch (...) {
    // No thread to be had: what started finishes, and the file is parsed whole below.
    parts.front().failed = std::current_exception();
  }
  if (!parts.front().failed) {
    try {
      parts.front().file = parse_bytes(sm, id, stretches.front().begin, stretches.front().end, parts.front().sink, nullptr, &parts.front().bailed);
    } catch (...) {
      parts.front().failed = std::current_exception();
    }
  }
  for (auto& w : workers) w.join();
  bool clean = workers.size() + 1 == parts.size();
  for (auto& part : parts) {
    // Running out of memory (the --memory-limit) is reported as it is for a parse on one thread.
    if (part.failed) {
      try {
        std::rethrow_exception(part.failed);
      } catch (const std::system_error&) {
        clean = false;
      }
    }
    clean = clean && !part.bailed && part.sink.raw().empty() && part.sink.dropped() == 0;
  }
  if (!clean) {
    parts.clear();
    return whole();
  }
  if (stretches_parsed != nullptr) *stretches_parsed = parts.size();
  ast::File out = std::move(parts.front().file);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    for (auto& item : parts[i].file.items) out.items.push_back(std::move(item));
    for (auto& c : parts[i].file.comments) out.comments.push_back(std::move(c));
  }
  return out;
}

std::vector<std::optional<ast::File>> parse_clean_ranges(const SourceManager& sm, FileId id, const std::vector<Piece>& ranges,
                                                         unsigned threads, const std::function<void(std::size_t, ast::File&)>& then) {
  std::vector<std::optional<ast::File>> out(ranges.size());
  if (ranges.empty()) return out;
  // Contiguous runs of ranges of about equal bytes, so that each thread's caches warm on text
  // like the rest of its run. Run g is ranges [first[g], first[g + 1]).
  std::size_t count = std::clamp<std::size_t>(threads, 1, ranges.size());
  std::uint64_t total = 0;
  for (const auto& r : ranges) total += r.end - r.begin;
  std::vector<std::size_t> first{0};
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (i > first.back() && first.size() < count && seen * count >= total * first.size()) first.push_back(i);
    seen += ranges[i].end - ranges[i].begin;
  }
  first.push_back(ranges.size());
  std::size_t runs = first.size() - 1;

  // A range's parse stops at its first syntax error (see parse_bytes): it gets no result then.
  auto run = [&](std::size_t g, OwnCaches* own) {
    for (std::size_t i = first[g]; i < first[g + 1]; ++i) {
      DiagnosticSink sink;
      bool bailed = false;
      auto file = parse_bytes(sm, id, ranges[i].begin, ranges[i].end, sink, own, &bailed);
      if (!bailed && sink.raw().empty() && sink.dropped() == 0) {
        out[i] = std::move(file);
        if (then) then(i, *out[i]);
      }
    }
  };
  std::vector<std::exception_ptr> failed(runs);
  std::vector<std::thread> workers;
  std::size_t started = 1;  // runs handed to a thread of their own, after the calling thread's
  try {
    workers.reserve(runs - 1);
    for (; started < runs; ++started) {
      workers.emplace_back([&, g = started] {
        try {
          OwnCaches caches;
          run(g, &caches);
        } catch (...) {
          failed[g] = std::current_exception();
        }
      });
    }
  } catch (...) {
    // No thread to be had (std::system_error) or no memory: the runs not started are parsed on
    // this thread below, or the memory error is rethrown once the started threads have finished.
    try {
      throw;
    } catch (const std::system_error&) {
    } catch (...) {
      failed[0] = std::current_exception();
    }
  }
  if (!failed[0]) {
    try {
      run(0, nullptr);
      for (std::size_t g = started; g < runs; ++g) run(g, nullptr);
    } catch (...) {
      failed[0] = std::current_exception();
    }
  }
  for (auto& w : workers) w.join();
  for (const auto& f : failed) {
    if (f) std::rethrow_exception(f);
  }
  return out;
}

ast::File parse_range(const SourceManager& sm, FileId id, std::uint32_t begin, std::uint32_t end, DiagnosticSink& sink) {
  return parse_bytes(sm, id, begin, end, sink, nullptr);
}

namespace {

ast::File parse_bytes(const SourceManager& sm, FileId id, std::uint32_t begin, std::uint32_t end, DiagnosticSink& sink, OwnCaches* own,
                      bool* bailed) {
  const std::string& whole = sm.file(id).text;
  end = std::min<std::uint32_t>(end, static_cast<std::uint32_t>(whole.size()));
  begin = std::min(begin, end);
  std::string_view text = std::string_view(whole).substr(begin, end - begin);
  if (auto bad = invalid_utf8(text); bad != std::string_view::npos) {
    auto b = begin + static_cast<std::uint32_t>(bad);
    sink.error(Code::E0102, Span{id, b, b + 1}, fmt::format("the file is not valid UTF-8 here: {}", utf8::why_invalid(text, bad)))
        .hint("Fence reads source files as UTF-8: convert the file (e.g. `iconv -f latin1 -t utf-8`), or remove the byte");
    ast::File f;
    f.id = id;
    return f;
  }
  OffsetMap offsets(text, begin);
  ErrorListener listener(id, offsets, sink);

  TokenArena arena;
  ArenaTokenFactory factory(arena);
  Utf8Stream input(text);
  Lexer lexer(&input);
  lexer.setTokenFactory(&factory);
  if (own != nullptr) own->install(lexer);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&listener);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();

  Builder builder(id, whole, offsets, &tokens, input.size(), sink);
  ast::File result;
  result.id = id;
  for (auto* t : tokens.getTokens()) {
    if (t->getType() == FenceLexer::COMMENT || t->getType() == FenceLexer::SEL_COMMENT) {
      result.comments.push_back(ast::Comment{builder.text(t), builder.span(t)});
    }
  }
  if (!prescan(tokens, listener, sink)) return result;

  FenceParser parser(&tokens);
  if (own != nullptr) own->install(parser);
  parser.removeErrorListeners();
  // Fast path: SLL prediction and bail at the first error; only then re-parse with full LL and
  // error recovery, so that every error of the file is reported.
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::SLL);
  parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
  // The fast path parses one top-level item at a time (`file : item* EOF`) and frees each item's
  // parse tree once its AST exists, so that a large file never holds its whole parse tree: the
  // tree takes several times the memory of the AST. SLL prediction ignores the outer context, so
  // an item parses the same on its own as inside `file`.
  std::vector<ast::Item> items;
  try {
    while (tokens.LA(1) != antlr4::Token::EOF) {
      auto* item = parser.item();
      if (auto i = builder.item(item)) items.push_back(std::move(*i));
      parser.getTreeTracker().reset();
    }
  } catch (const antlr4::ParseCancellationException&) {
    if (bailed != nullptr) {
      *bailed = true;
      return result;
    }
    items.clear();
    parser.getTreeTracker().reset();
    tokens.seek(0);
    parser.reset();
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(antlr4::atn::PredictionMode::LL);
    parser.setErrorHandler(std::make_shared<ResyncStrategy>());
    parser.addErrorListener(&listener);
    auto comments = std::move(result.comments);
    auto* tree = parser.file();
    builder.set_errors(&listener.broken(), &listener.error_tokens(), &tokens);
    result = builder.file(tree);
    result.comments = std::move(comments);
    return result;
  }
  result.items = std::move(items);
  return result;
}

}  // namespace

std::vector<LexToken> tokenize(std::string_view text) {
  std::vector<LexToken> out;
  if (invalid_utf8(text) != std::string_view::npos) return out;
  OffsetMap offsets(text);
  Utf8Stream input(text);
  FenceLexer lexer(&input);
  lexer.removeErrorListeners();
  const auto& vocab = lexer.getVocabulary();
  for (auto t = lexer.nextToken(); t->getType() != antlr4::Token::EOF; t = lexer.nextToken()) {
    auto type = t->getType();
    TokenKind kind = TokenKind::Punctuation;
    switch (type) {
      case FenceLexer::CLUSTER:
      case FenceLexer::HTTP:
      case FenceLexer::HOST:
      case FenceLexer::SEND:
      case FenceLexer::TO:
      case FenceLexer::RECEIVE:
      case FenceLexer::FROM:
      case FenceLexer::ADMIN:
      case FenceLexer::BASELINE:
      case FenceLexer::PRIORITY:
      case FenceLexer::HEADER:
        kind = TokenKind::SoftKeyword;
        break;
      case FenceLexer::METHOD:
        kind = TokenKind::Method;
        break;
      case FenceLexer::IDENT:
        kind = TokenKind::Name;
        break;
      case FenceLexer::INT:
        kind = TokenKind::Number;
        break;
      case FenceLexer::STRING:
      case FenceLexer::SEL_STRING:
        kind = TokenKind::String;
        break;
      case FenceLexer::IPV4:
      case FenceLexer::IPV6:
        kind = TokenKind::Address;
        break;
      case FenceLexer::DNS_NAME:
        kind = TokenKind::DnsName;
        break;
      case FenceLexer::SEL_WORD:
        kind = TokenKind::SelectorWord;
        break;
      case FenceLexer::SEL_NEQ:
      case FenceLexer::SEL_EQ:
      case FenceLexer::SEL_BANG:
      case FenceLexer::SEL_IN:
      case FenceLexer::SEL_NOTIN:
        kind = TokenKind::SelectorOperator;
        break;
      case FenceLexer::COMMENT:
      case FenceLexer::SEL_COMMENT:
        kind = TokenKind::Comment;
        break;
      case FenceLexer::UNKNOWN:
      case FenceLexer::SEL_UNKNOWN:
        kind = TokenKind::Unknown;
        break;
      default:
        if (type >= FenceLexer::IMPORT && type <= FenceLexer::DEFER) kind = TokenKind::Keyword;
        break;
    }
    out.push_back(LexToken{kind, vocab.getSymbolicName(type), offsets.byte(t->getStartIndex()), offsets.byte(t->getStopIndex() + 1)});
  }
  return out;
}

std::size_t token_type_count() {
  Utf8Stream input{std::string_view()};
  FenceLexer lexer(&input);
  return lexer.getVocabulary().getMaxTokenType();
}

std::string token_display_name(std::size_t type) {
  Utf8Stream input{std::string_view()};
  FenceLexer lexer(&input);
  return describe_token_type(type, lexer.getVocabulary());
}

std::string token_grammar_name(std::size_t type) {
  Utf8Stream input{std::string_view()};
  FenceLexer lexer(&input);
  return lexer.getVocabulary().getSymbolicName(type);
}

std::vector<std::string> keywords() {
  std::vector<std::string> out;
  Utf8Stream input{std::string_view()};
  FenceLexer lexer(&input);
  const auto& vocab = lexer.getVocabulary();
  for (std::size_t type = FenceLexer::IMPORT; type <= FenceLexer::HEADER; ++type) {
    auto lit = vocab.getLiteralName(type);
    std::string word;
    if (lit.size() >= 2) {
      word = lit.substr(1, lit.size() - 2);
    } else {
      // A literal that two token types share ('in' is also the selector's SEL_IN) has no literal
      // name; the keyword is then its token name in lower case, if the lexer reads it back so.
      word = vocab.getSymbolicName(type);
      for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      Utf8Stream in(word);
      FenceLexer check(&in);
      check.removeErrorListeners();
      auto first = check.nextToken();
      if (first->getType() != type || check.nextToken()->getType() != antlr4::Token::EOF) continue;
    }
    out.push_back(word);
  }
  return out;
}

}  // namespace fence::syntax
