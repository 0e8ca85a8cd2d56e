#include "format/format.h"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "ast/comments.h"
#include "syntax/parser.h"

namespace fence::format {

namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kTooWide = std::numeric_limits<std::size_t>::max() / 4;
constexpr std::size_t kIndent = 2;    // per block level
constexpr std::size_t kHang = 4;      // continuation lines that cannot align with anything
constexpr std::size_t kCommentGap = 2;

// Columns count code points.
std::size_t width_of(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The token kinds spacing depends on; everything else is a word.
enum class Sym {
  Word,
  Comment,
  Comma,
  Colon,
  Slash,
  Dash,
  LBrace,
  RBrace,
  SelOpen,  // `pods[`, `ns[`
  SelClose,
  SelLParen,
  SelRParen,
  SelEq,  // =, ==, !=
  SelBang,
};

Sym sym_of(std::string_view s) {
  if (s == "COMMENT" || s == "SEL_COMMENT") return Sym::Comment;
  if (s == "COMMA" || s == "SEL_COMMA") return Sym::Comma;
  if (s == "COLON") return Sym::Colon;
  if (s == "SLASH") return Sym::Slash;
  if (s == "DASH") return Sym::Dash;
  if (s == "LBRACE") return Sym::LBrace;
  if (s == "RBRACE") return Sym::RBrace;
  if (s == "PODS_OPEN" || s == "NS_OPEN") return Sym::SelOpen;
  if (s == "SEL_CLOSE") return Sym::SelClose;
  if (s == "SEL_LPAREN") return Sym::SelLParen;
  if (s == "SEL_RPAREN") return Sym::SelRParen;
  if (s == "SEL_EQ" || s == "SEL_NEQ") return Sym::SelEq;
  if (s == "SEL_BANG") return Sym::SelBang;
  return Sym::Word;
}

struct Tok {
  Sym sym = Sym::Word;
  std::string symbol;  // the lexer's name
  std::string text;    // as printed: comments without trailing blanks, `pods [` as `pods[`
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::uint32_t newlines = 0;  // line breaks in the source between the previous token and this one
  bool comment() const { return sym == Sym::Comment; }
};

std::vector<Tok> tokens_of(std::string_view text) {
  std::vector<Tok> out;
  std::uint32_t prev_end = 0;
  for (const auto& lt : syntax::tokenize(text)) {
    Tok t;
    t.symbol = lt.symbol;
    t.sym = sym_of(lt.symbol);
    t.begin = lt.begin;
    t.end = lt.end;
    t.text = std::string(text.substr(lt.begin, lt.end - lt.begin));
    if (t.sym == Sym::Comment) {
      while (!t.text.empty() && (t.text.back() == ' ' || t.text.back() == '\t' || t.text.back() == '\r')) t.text.pop_back();
    } else if (t.sym == Sym::SelOpen) {
      t.text.erase(std::remove_if(t.text.begin(), t.text.end(), [](char c) { return c == ' ' || c == '\t'; }), t.text.end());
    }
    auto gap = text.substr(prev_end, lt.begin - prev_end);
    t.newlines = static_cast<std::uint32_t>(std::count(gap.begin(), gap.end(), '\n'));
    prev_end = lt.end;
    out.push_back(std::move(t));
  }
  return out;
}

bool space_between(const Tok& a, const Tok& b) {
  switch (b.sym) {
    case Sym::Comma:
    case Sym::Colon:
    case Sym::Slash:
    case Sym::Dash:
    case Sym::RBrace:
    case Sym::SelClose:
    case Sym::SelRParen:
    case Sym::SelEq:
      return false;
    default:
      break;
  }
  switch (a.sym) {
    case Sym::Colon:
    case Sym::Slash:
    case Sym::Dash:
    case Sym::LBrace:
    case Sym::SelOpen:
    case Sym::SelLParen:
    case Sym::SelEq:
    case Sym::SelBang:
      return false;
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// The structure the AST gives: comma-separated lists, whose elements may hold lists of their own.

struct ListSpec;
struct ElemSpec {
  Span span;
  std::vector<ListSpec> lists;  // in source order
};
struct ListSpec {
  std::vector<ElemSpec> elems;
  bool hang = false;  // may start on a line of its own when it would begin too far right
};

ListSpec names_list(const std::vector<ast::Name>& names) {
  ListSpec l;
  for (const auto& n : names) l.elems.push_back({n.span, {}});
  return l;
}

void selector_lists(const ast::Selector& s, std::vector<ListSpec>& out) {
  if (s.reqs.empty()) return;
  ListSpec l;
  for (const auto& r : s.reqs) {
    ElemSpec e{r.span, {}};
    if ((r.op == ast::SelOp::In || r.op == ast::SelOp::NotIn) && !r.values.empty()) e.lists.push_back(names_list(r.values));
    l.elems.push_back(std::move(e));
  }
  out.push_back(std::move(l));
}

void ref_lists(const ast::Ref& r, std::vector<ListSpec>& out) {
  if (r.ns && r.ns->kind == ast::NsRef::Kind::Selector) selector_lists(r.ns->selector, out);
  if (r.pod && r.pod->kind == ast::PodRef::Kind::Selector) selector_lists(r.pod->selector, out);
}

ListSpec targets_list(const std::vector<ast::Target>& targets, bool hang);

void expr_lists(const ast::Expr& e, std::vector<ListSpec>& out) {
  switch (e.kind) {
    case ast::Expr::Kind::Ref:
      ref_lists(e.ref, out);
      break;
    case ast::Expr::Kind::Group:
      if (!e.items.empty()) out.push_back(targets_list(e.items, false));
      break;
    case ast::Expr::Kind::Except:
      if (e.lhs) expr_lists(*e.lhs, out);
      if (e.rhs) expr_lists(*e.rhs, out);
      break;
    default:
      break;
  }
}

ListSpec targets_list(const std::vector<ast::Target>& targets, bool hang) {
  ListSpec l;
  l.hang = hang;
  for (const auto& t : targets) {
    ElemSpec e{t.span, {}};
    if (t.peer) expr_lists(*t.peer, e.lists);
    if (!t.ports.empty()) {
      ListSpec ports;
      for (const auto& p : t.ports) ports.elems.push_back({p.span, {}});
      e.lists.push_back(std::move(ports));
    }
    if (!t.http.empty()) {
      ListSpec rules;
      for (const auto& h : t.http) rules.elems.push_back({h.span, {}});
      e.lists.push_back(std::move(rules));
    }
    l.elems.push_back(std::move(e));
  }
  return l;
}

ListSpec subjects_list(const std::vector<ast::Ref>& refs) {
  ListSpec subjects;
  for (const auto& r : refs) {
    ElemSpec e{r.span, {}};
    ref_lists(r, e.lists);
    subjects.elems.push_back(std::move(e));
  }
  return subjects;
}

std::vector<ListSpec> leaf_lists(const ast::Item& item) {
  std::vector<ListSpec> out;
  if (const auto* s = std::get_if<ast::Statement>(&item.node)) {
    out.push_back(subjects_list(s->subjects));
    out.push_back(targets_list(s->targets, true));
  } else if (const auto* dd = std::get_if<ast::DefaultDeny>(&item.node)) {
    // `default deny ingress for web, db`: the pods it isolates, a list like a statement's subjects.
    if (!dd->subjects.empty()) out.push_back(subjects_list(dd->subjects));
  } else if (const auto* e = std::get_if<ast::Environments>(&item.node)) {
    out.push_back(names_list(e->names));
  } else if (const auto* t = std::get_if<ast::Targets>(&item.node)) {
    out.push_back(names_list(t->names));
  } else {
    const std::vector<ast::Name>* envs = nullptr;
    const std::vector<ast::Name>* targets = nullptr;
    const ast::Value* value = nullptr;
    if (const auto* l = std::get_if<ast::Let>(&item.node)) {
      envs = &l->envs;
      targets = &l->targets;
      value = &l->value;
    } else if (const auto* st = std::get_if<ast::Set>(&item.node)) {
      envs = &st->envs;
      value = &st->value;
    }
    if (envs != nullptr && !envs->empty()) out.push_back(names_list(*envs));
    if (targets != nullptr && !targets->empty()) out.push_back(names_list(*targets));
    if (value != nullptr && !value->targets.empty()) out.push_back(targets_list(value->targets, true));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The layout tree: a sequence of tokens and lists; a list's elements are sequences, separated
// by a comma and any comments.

struct Node {
  struct Part {
    std::size_t tok = kNone;  // a token, or
    std::size_t sub = kNone;  // a list: an index into subs
  };
  bool is_list = false;
  bool hang = false;
  std::vector<Part> parts;                      // sequence
  std::vector<Node> subs;                       // sequence: its lists
  std::vector<Node> elems;                      // list: its elements
  std::vector<std::vector<std::size_t>> seps;   // list: the tokens between two elements
  std::size_t first = 0, last = 0;              // the token range [first, last)
};

class Builder {
 public:
  explicit Builder(const std::vector<Tok>& toks) : toks_(toks) {}

  // The first token that starts at or after `offset`.
  std::size_t at(std::uint32_t offset) const {
    auto it = std::lower_bound(toks_.begin(), toks_.end(), offset, [](const Tok& t, std::uint32_t o) { return t.begin < o; });
    return static_cast<std::size_t>(it - toks_.begin());
  }

  Node seq(std::size_t b, std::size_t e, const std::vector<ListSpec>& lists) const {
    Node n;
    n.first = b;
    n.last = e;
    std::size_t cursor = b;
    for (const auto& spec : lists) {
      auto l = list(spec, cursor, e);
      if (!l) continue;
      for (; cursor < l->first; ++cursor) n.parts.push_back({cursor, kNone});
      n.parts.push_back({kNone, n.subs.size()});
      cursor = l->last;
      n.subs.push_back(std::move(*l));
    }
    for (; cursor < e; ++cursor) n.parts.push_back({cursor, kNone});
    return n;
  }

 private:
  // The list `spec` describes, if its elements lie in [lo, hi) in order and are separated by
  // exactly one comma each; otherwise its tokens are laid out as a plain sequence.
  std::optional<Node> list(const ListSpec& spec, std::size_t lo, std::size_t hi) const {
    if (spec.elems.empty()) return std::nullopt;
    Node n;
    n.is_list = true;
    n.hang = spec.hang;
    std::size_t prev = lo;
    for (std::size_t i = 0; i < spec.elems.size(); ++i) {
      const auto& el = spec.elems[i];
      if (!el.span.valid() || el.span.end <= el.span.begin) return std::nullopt;
      auto b = at(el.span.begin);
      auto e = at(el.span.end);
      if (b >= e || b < prev || e > hi || toks_[b].begin != el.span.begin || toks_[e - 1].end != el.span.end) return std::nullopt;
      if (i == 0) {
        n.first = b;
      } else {
        std::vector<std::size_t> sep;
        std::size_t commas = 0;
        for (auto k = prev; k < b; ++k) {
          if (!toks_[k].comment() && toks_[k].sym != Sym::Comma) return std::nullopt;
          commas += toks_[k].sym == Sym::Comma ? 1 : 0;
          sep.push_back(k);
        }
        if (commas != 1) return std::nullopt;
        n.seps.push_back(std::move(sep));
      }
      n.elems.push_back(seq(b, e, el.lists));
      prev = e;
    }
    n.last = prev;
    return n;
  }

  const std::vector<Tok>& toks_;
};

// ---------------------------------------------------------------------------------------------
// The printer.

struct Line {
  std::size_t indent = 0;
  std::string code;     // or a comment on a line of its own
  std::string comment;  // a trailing comment
  bool own_comment = false;
};

class Printer {
 public:
  Printer(const std::vector<Tok>& toks, const ast::File& file, std::size_t width) : toks_(toks), file_(file), width_(width), build_(toks) {}

  std::string run() {
    items(file_.items, 0, toks_.size(), 0);
    return finish();
  }

 private:
  // ---- lines ----
  void start_line(std::size_t indent) {
    lines_.push_back(Line{indent, {}, {}});
    col_ = indent;
    prev_ = nullptr;
    break_ = false;
  }
  // A trailing comment may go on the current line.
  bool trailing_fits() const { return !lines_.empty() && !lines_.back().code.empty() && !lines_.back().own_comment && lines_.back().comment.empty(); }
  void own_line_comment(const Tok& t, std::size_t indent) {
    start_line(indent);
    lines_.back().code = t.text;
    lines_.back().own_comment = true;
  }
  void blank_line() { lines_.push_back(Line{}); }

  void put(const Tok& t, std::size_t cont) {
    if (break_ || lines_.empty()) start_line(cont);
    if (prev_ != nullptr && space_between(*prev_, t)) put_text(" ");
    put_text(t.text);
    prev_ = &t;
  }
  void put_text(std::string_view s) {
    lines_.back().code += s;
    col_ += width_of(s);
  }
  // A comment inside an item: trailing where it followed code on its line, else on a line of
  // its own at `cont`; either way the next token starts a new line.
  void comment(const Tok& t, std::size_t cont) {
    if (t.newlines == 0 && trailing_fits() && !break_) {
      lines_.back().comment = t.text;
    } else {
      own_line_comment(t, cont);
    }
    break_ = true;
  }

  // ---- widths ----
  // The width of a node on one line (from its first token, without a space before it), or
  // kTooWide when it holds a comment.
  std::size_t flat(const Node& n) const {
    std::size_t w = 0;
    const Tok* prev = nullptr;
    bool ok = true;
    walk(n, [&](std::size_t k) {
      const auto& t = toks_[k];
      if (t.comment()) ok = false;
      if (prev != nullptr && space_between(*prev, t)) ++w;
      w += width_of(t.text);
      prev = &t;
    });
    return ok ? w : kTooWide;
  }

  template <typename F>
  static void walk(const Node& n, F&& f) {
    if (n.is_list) {
      for (std::size_t i = 0; i < n.elems.size(); ++i) {
        if (i > 0) {
          for (auto k : n.seps[i - 1]) f(k);
        }
        walk(n.elems[i], f);
      }
      return;
    }
    for (const auto& p : n.parts) {
      if (p.tok != kNone) {
        f(p.tok);
      } else {
        walk(n.subs[p.sub], f);
      }
    }
  }

  std::size_t first_token(const Node& n) const {
    std::size_t out = kNone;
    walk(n, [&](std::size_t k) {
      if (out == kNone) out = k;
    });
    return out;
  }

  // The space a token needs before it on the current line.
  std::size_t space_before(const Tok& t) const { return !break_ && prev_ != nullptr && space_between(*prev_, t) ? 1 : 0; }

  // What must follow part `i` of `n` on the same line: the tokens up to the next list (or a
  // comment), and `trail` when they reach the end.
  std::size_t trail_after(const Node& n, std::size_t i, std::size_t trail) const {
    std::size_t w = 0;
    const Tok* prev = nullptr;
    walk(n.subs[n.parts[i].sub], [&](std::size_t k) { prev = &toks_[k]; });
    for (auto j = i + 1; j < n.parts.size(); ++j) {
      if (n.parts[j].tok == kNone) return w;
      const auto& t = toks_[n.parts[j].tok];
      if (t.comment()) return w;
      if (prev != nullptr && space_between(*prev, t)) ++w;
      w += width_of(t.text);
      prev = &t;
    }
    return w + trail;
  }

  // ---- items ----
  void seq(const Node& n, std::size_t cont, std::size_t trail) {
    for (std::size_t i = 0; i < n.parts.size(); ++i) {
      const auto& p = n.parts[i];
      if (p.tok == kNone) {
        list(n.subs[p.sub], cont, trail_after(n, i, trail));
      } else if (toks_[p.tok].comment()) {
        comment(toks_[p.tok], cont);
      } else {
        put(toks_[p.tok], cont);
      }
    }
  }

  void list(const Node& n, std::size_t cont, std::size_t trail) {
    auto first = first_token(n);
    auto sp = space_before(toks_[first]);
    if (!break_ && col_ + sp + flat(n) + trail <= width_) {
      walk(n, [&](std::size_t k) { put(toks_[k], cont); });
      return;
    }
    // Too far right to align under: the list starts a line of its own.
    if (n.hang && !break_ && col_ + sp > width_ / 2) break_ = true;
    auto align = break_ ? cont : col_ + sp;
    for (std::size_t i = 0; i < n.elems.size(); ++i) {
      bool last = i + 1 == n.elems.size();
      if (i > 0) {
        for (auto k : n.seps[i - 1]) {
          if (!toks_[k].comment()) put(toks_[k], align);
        }
        for (auto k : n.seps[i - 1]) {
          if (toks_[k].comment()) comment(toks_[k], align);
        }
        if (!break_ && col_ + 1 + flat(n.elems[i]) + (last ? trail : 1) > width_) break_ = true;
      }
      seq(n.elems[i], align, last ? trail : 1);
    }
  }

  // A leaf item: tokens [b, e) at `indent`, with `trail` columns to keep free after it.
  void leaf(const ast::Item& item, std::size_t b, std::size_t e, std::size_t indent, std::size_t trail) {
    auto n = build_.seq(b, e, leaf_lists(item));
    seq(n, indent + kHang, trail);
  }

  // Comments, items and blocks between tokens b and e, at `indent`.
  void items(const std::vector<ast::Item>& list, std::size_t b, std::size_t e, std::size_t indent) {
    bool first = true;
    std::size_t cursor = b;
    auto gap_before = [&](const Tok& t) {
      if (!first && t.newlines >= 2) blank_line();
      first = false;
    };
    auto loose = [&](std::size_t upto) {
      for (; cursor < upto; ++cursor) {
        if (consumed_.count(cursor) > 0) continue;
        const auto& t = toks_[cursor];
        if (t.comment() && t.newlines == 0 && trailing_fits()) {
          lines_.back().comment = t.text;
          continue;
        }
        gap_before(t);
        if (t.comment()) {
          own_line_comment(t, indent);
        } else {
          start_line(indent);
          put(t, indent);  // not part of any item the AST knows: kept as it is
        }
      }
    };
    for (const auto& item : list) {
      auto s = item.span();
      auto ib = build_.at(s.begin);
      auto ie = build_.at(s.end);
      if (!s.valid() || ib < cursor || ie > e || ib >= ie) continue;  // its tokens are printed as loose ones
      loose(ib);
      gap_before(toks_[ib]);
      start_line(indent);
      if (const auto* block = std::get_if<ast::Block>(&item.node)) {
        this->block(*block, ib, ie, indent);
      } else {
        leaf(item, ib, ie, indent, 0);
      }
      cursor = ie;
    }
    loose(e);
  }

  void block(const ast::Block& b, std::size_t first, std::size_t end, std::size_t indent) {
    // The header runs to the first '{' after it; the block ends with its '}'.
    auto open = build_.at(b.header_span.end);
    while (open < end && toks_[open].sym != Sym::LBrace) ++open;
    auto close = end - 1;
    if (open >= close || toks_[close].sym != Sym::RBrace) {
      for (auto k = first; k < end; ++k) toks_[k].comment() ? comment(toks_[k], indent + kHang) : put(toks_[k], indent + kHang);
      return;
    }
    std::vector<std::size_t> header_comments;
    std::vector<std::size_t> header_tokens;
    for (auto k = first; k < open; ++k) (toks_[k].comment() ? header_comments : header_tokens).push_back(k);
    std::vector<ListSpec> lists;
    if (b.kind == ast::Block::Kind::When && !b.envs.empty()) lists.push_back(names_list(b.envs));
    if (b.kind == ast::Block::Kind::When && !b.targets.empty()) lists.push_back(names_list(b.targets));
    auto header = build_.seq(first, open, header_comments.empty() ? lists : std::vector<ListSpec>{});
    if (header_comments.empty()) {
      seq(header, indent + kHang, 2);
    } else {
      for (auto k : header_tokens) put(toks_[k], indent + kHang);
    }
    put_text(" {");
    prev_ = nullptr;

    bool body_comments = false;
    for (auto k = open + 1; k < close; ++k) body_comments = body_comments || toks_[k].comment();
    if (b.items.empty() && !body_comments && header_comments.empty()) {
      put_text("}");
      return;
    }
    bool one_line = header_comments.empty() && !body_comments && b.items.size() == 1 && !std::holds_alternative<ast::Block>(b.items[0].node) &&
                    toks_[open + 1].newlines == 0 && !toks_[open + 1].comment();
    if (one_line) {
      put_text(" ");
      leaf(b.items[0], open + 1, close, indent + kIndent, 2);
      if (break_) start_line(indent);
      put_text(" }");
      prev_ = nullptr;
      return;
    }
    // Comments between the header's words go after the '{'.
    for (std::size_t i = 0; i < header_comments.size(); ++i) {
      const auto& t = toks_[header_comments[i]];
      if (i == 0 && t.newlines == 0) {
        lines_.back().comment = t.text;
      } else {
        own_line_comment(t, indent + kIndent);
      }
    }
    items(b.items, open + 1, close, indent + kIndent);
    // `stmt }  # comment`: the comment stays on the statement's line, where `# fence:allow`
    // looks for it, rather than moving to the '}' line.
    if (close + 1 < toks_.size() && toks_[close + 1].comment() && toks_[close + 1].newlines == 0 && toks_[close].newlines == 0 &&
        trailing_fits()) {
      lines_.back().comment = toks_[close + 1].text;
      consumed_.insert(close + 1);
    }
    start_line(indent);
    put_text("}");
    prev_ = nullptr;
  }

  // Trailing comments on consecutive lines of one indentation share a column; then the text.
  std::string finish() {
    for (std::size_t i = 0; i < lines_.size();) {
      if (lines_[i].comment.empty()) {
        ++i;
        continue;
      }
      auto j = i;
      std::size_t col = 0;
      while (j < lines_.size() && !lines_[j].comment.empty() && lines_[j].indent == lines_[i].indent) {
        col = std::max(col, lines_[j].indent + width_of(lines_[j].code));
        ++j;
      }
      for (auto k = i; k < j; ++k) {
        auto& l = lines_[k];
        auto pad = col + kCommentGap - (l.indent + width_of(l.code));
        l.code += std::string(pad, ' ') + l.comment;
        l.comment.clear();
      }
      i = j;
    }
    std::string out;
    for (const auto& l : lines_) {
      if (!l.code.empty()) out += std::string(l.indent, ' ') + l.code;
      out += '\n';
    }
    return out;
  }

  const std::vector<Tok>& toks_;
  const ast::File& file_;
  std::size_t width_;
  Builder build_;
  std::vector<Line> lines_;
  std::size_t col_ = 0;
  const Tok* prev_ = nullptr;  // the last token on the current line, for spacing
  bool break_ = false;         // the next token starts a new line
  std::set<std::size_t> consumed_;  // comments printed ahead of their place
};

// ---------------------------------------------------------------------------------------------
// Proof that only white space changed, and that every `# fence:allow` is on the same statements.

// The tokens of the output must be the input's, and so must its comments; the parse, a function of
// the tokens alone, is then the same too. Returns, for each input token, the line it is on in the
// output (tokens and comments are matched each in their own order: a comment may have moved past
// a comma or a '}').
std::vector<std::uint32_t> verify(const std::vector<Tok>& before, std::string_view out) {
  auto after = tokens_of(out);
  std::vector<std::size_t> a, b, ca, cb;
  for (std::size_t i = 0; i < before.size(); ++i) (before[i].comment() ? ca : a).push_back(i);
  for (std::size_t i = 0; i < after.size(); ++i) (after[i].comment() ? cb : b).push_back(i);
  auto same = [&](const std::vector<std::size_t>& x, const std::vector<std::size_t>& y) {
    return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                      [&](std::size_t p, std::size_t q) { return before[p].symbol == after[q].symbol && before[p].text == after[q].text; });
  };
  if (!same(a, b)) throw FormatBug("the formatted text has other tokens than the input");
  if (!same(ca, cb)) throw FormatBug("the formatted text has other comments than the input");
  std::vector<std::uint32_t> after_line(after.size());
  std::uint32_t line = 1;
  std::size_t at = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    for (; at < after[i].begin; ++at) line += out[at] == '\n' ? 1 : 0;
    after_line[i] = line;
  }
  std::vector<std::uint32_t> line_of(before.size(), 0);
  for (std::size_t k = 0; k < a.size(); ++k) line_of[a[k]] = after_line[b[k]];
  for (std::size_t k = 0; k < ca.size(); ++k) line_of[ca[k]] = after_line[cb[k]];
  return line_of;
}

}  // namespace

std::optional<std::string> format_file(const ast::File& file, const SourceManager& sm, DiagnosticSink& sink, const Options& options) {
  const auto& src = sm.file(file.id);
  auto toks = tokens_of(src.text);
  Printer printer(toks, file, options.width);
  auto out = printer.run();
  if (toks.empty()) out.clear();
  auto out_line = verify(toks, out);

  // Each `# fence:allow` on the same statements in both layouts.
  ast::CommentTargets before(file, src);
  ast::CommentTargets after(file, [&](std::uint32_t offset) -> std::uint32_t {
    auto it = std::upper_bound(toks.begin(), toks.end(), offset, [](std::uint32_t o, const Tok& t) { return o < t.begin; });
    return it == toks.begin() ? 1 : out_line[static_cast<std::size_t>(it - toks.begin()) - 1];
  });
  bool ok = true;
  for (std::size_t i = 0; i < file.comments.size(); ++i) {
    const auto& c = file.comments[i];
    if (c.text.find("fence:allow") == std::string::npos || before.of(i) == after.of(i)) continue;
    ok = false;
    sink.error(Code::E0113, c.span,
               "formatting would change which statements this `# fence:allow` silences: it splits the line the comment applies to")
        .hint("put the statements of that line on lines of their own, each with the comment it needs, then format");
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> format_file(const SourceManager& sm, FileId id, DiagnosticSink& sink, const Options& options) {
  auto errors = sink.error_count() + sink.dropped();
  auto file = syntax::parse(sm, id, sink);
  if (sink.error_count() + sink.dropped() > errors) return std::nullopt;
  return format_file(file, sm, sink, options);
}

std::string format_text(std::string_view text, const Options& options) {
  SourceManager sm;
  auto id = sm.add("<generated>", std::string(text));
  DiagnosticSink sink;
  auto out = format_file(sm, id, sink, options);
  if (!out) {
    auto first = sink.sorted(sm);
    throw std::invalid_argument(first.empty() ? "the text cannot be formatted" : sm.where(first.front().span) + ": " + first.front().message);
  }
  return *out;
}

}  // namespace fence::format
