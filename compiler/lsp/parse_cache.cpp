#include "lsp/parse_cache.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "syntax/parser.h"

namespace fence::lsp {

std::string ParseCache::key(FileId id, std::string_view text) {
  std::string k = fmt::format("{}:", id);
  k.append(text);
  return k;
}

namespace {

struct Parsed {
  ast::File file;
  DiagnosticSink sink;
};

std::unique_ptr<Parsed> parse_piece(const SourceManager& sm, FileId id, std::uint32_t begin, std::uint32_t end) {
  auto p = std::make_unique<Parsed>();
  p->file = syntax::parse_range(sm, id, begin, end, p->sink);
  return p;
}

// A summary of a parse that differs wherever two parses of the same tokens differ: every
// diagnostic, and the place of every top-level item.
std::vector<std::string> outline(const std::vector<const Parsed*>& parts) {
  std::vector<std::string> out;
  for (const auto* p : parts) {
    for (const auto& d : p->sink.raw()) {
      std::string line = fmt::format("{} {}-{} {}", code_info(d.code).id, d.span.begin, d.span.end, d.message);
      for (const auto& n : d.notes) line += fmt::format(" | {}-{} {}", n.span.begin, n.span.end, n.message);
      out.push_back(std::move(line));
    }
  }
  std::sort(out.begin(), out.end());
  std::size_t comments = 0;
  for (const auto* p : parts) {
    for (const auto& item : p->file.items) out.push_back(fmt::format("item {}-{}", item.span().begin, item.span().end));
    comments += p->file.comments.size();
  }
  out.push_back(fmt::format("comments {}", comments));
  return out;
}

// Whether the whole-file parser, after the syntax errors in `piece`, would parse `next` (and so
// every piece after it) as it parses on its own. Error recovery can run into the next piece, or
// leave the parser in a state (inside a block, in a selector, in ANTLR's recovery mode) that
// changes how it reads the next piece; in every such case parsing the two pieces together gives
// other diagnostics or items than parsing them apart. The next piece matches tokens, which
// ends any recovery mode, so the state after it is fresh again.
bool resumes_after(const SourceManager& sm, FileId id, const Piece& piece, const Piece& next, const Parsed& alone) {
  if (alone.sink.dropped() > 0) return false;
  for (const auto& d : alone.sink.raw()) {
    if (d.code == Code::E0104) return false;
  }
  auto after = parse_piece(sm, id, next.begin, next.end);
  auto both = parse_piece(sm, id, piece.begin, next.end);
  if (after->sink.dropped() > 0 || both->sink.dropped() > 0) return false;
  return outline({&alone, after.get()}) == outline({both.get()});
}

}  // namespace

ast::File ParseCache::parse(const SourceManager& sm, FileId id, DiagnosticSink& sink) {
  last_ = Stats{};
  const std::string& text = sm.file(id).text;
  // The whole-file parser rejects a file with invalid UTF-8 as a whole.
  if (syntax::invalid_utf8(text) != std::string_view::npos) return syntax::parse(sm, id, sink);
  ast::File out;
  out.id = id;
  // What the last parse of this file left to settle is of an older text: forgotten.
  std::erase_if(entries_, [id](const auto& kv) { return kv.second.pending && kv.second.file == id; });
  auto pieces = split_items(text);
  std::vector<std::string> keys;
  keys.reserve(pieces.size());
  for (const auto& piece : pieces) keys.push_back(key(id, std::string_view(text).substr(piece.begin, piece.end - piece.begin)));
  auto ready = parse_new_pieces(sm, id, pieces, keys);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto& piece = pieces[i];
    ++last_.pieces;
    auto& k = keys[i];
    auto it = entries_.find(k);
    if (it != entries_.end() && it->second.pending) {
      // The same text earlier in this file, not copied yet: parsed again (and noted again).
      entries_.erase(it);
      it = entries_.end();
    }
    if (it == entries_.end() && !ready.empty() && ready[i]) {
      // Parsed on a thread, without a diagnostic, as parse_piece would have; the thread made the
      // cache's copy too. The piece is where it was parsed: nothing to shift.
      ++last_.parsed;
      ++last_.threaded;
      auto& fresh = *ready[i];
      entries_.emplace(std::move(k), Entry{std::move(fresh.kept.items), std::move(fresh.kept.comments), {}, piece.begin, generation_});
      for (auto& item : fresh.file.items) out.items.push_back(std::move(item));
      for (auto& c : fresh.file.comments) out.comments.push_back(std::move(c));
      continue;
    }
    if (it == entries_.end()) {
      ++last_.parsed;
      auto alone = parse_piece(sm, id, piece.begin, piece.end);
      const auto& local = alone->sink;
      bool clean = local.raw().empty() && local.dropped() == 0;
      bool deep = std::any_of(local.raw().begin(), local.raw().end(), [](const Diagnostic& d) { return d.code == Code::E0104; });
      bool resumes = clean || (i + 1 == pieces.size() ? !deep : resumes_after(sm, id, piece, pieces[i + 1], *alone));
      if (!resumes) {
        // Parse the rest as the whole-file parser would from here, reporting into the real sink.
        last_.whole_tail = true;
        auto before = sink.raw().size();
        auto rest = syntax::parse_range(sm, id, piece.begin, static_cast<std::uint32_t>(text.size()), sink);
        bool too_deep = false;
        for (std::size_t d = before; d < sink.raw().size(); ++d) too_deep = too_deep || sink.raw()[d].code == Code::E0104;
        // Too deep: the whole-file parser builds no items at all.
        if (too_deep) out.items.clear();
        for (auto& item : rest.items) {
          if (!too_deep) out.items.push_back(std::move(item));
        }
        for (auto& c : rest.comments) out.comments.push_back(std::move(c));
        return out;
      }
      if (!clean) ++last_.broken;
      if (clean && defer_) {
        Entry e;
        e.begin = piece.begin;
        e.used = generation_;
        e.pending = true;
        e.file = id;
        e.end = piece.end;
        e.first_item = out.items.size();
        e.item_count = alone->file.items.size();
        e.first_comment = out.comments.size();
        e.comment_count = alone->file.comments.size();
        for (auto& item : alone->file.items) out.items.push_back(std::move(item));
        for (auto& c : alone->file.comments) out.comments.push_back(std::move(c));
        entries_.insert_or_assign(std::move(k), std::move(e));
        continue;
      }
      it = entries_.emplace(std::move(k), Entry{std::move(alone->file.items), std::move(alone->file.comments), local.raw(), piece.begin, 0}).first;
    }
    auto& e = it->second;
    e.used = generation_;
    // The piece may have moved since it was parsed: an edit above it changed the length.
    auto delta = static_cast<std::int64_t>(piece.begin) - static_cast<std::int64_t>(e.begin);
    auto moved = [delta](Span s) {
      if (delta != 0 && !(s.begin == 0 && s.end == 0)) {
        s.begin = static_cast<std::uint32_t>(s.begin + delta);
        s.end = static_cast<std::uint32_t>(s.end + delta);
      }
      return s;
    };
    for (const auto& d : e.diagnostics) {
      auto& copy = sink.report(d.code, d.severity, moved(d.span), d.message);
      for (const auto& n : d.notes) copy.note(moved(n.span), n.message);
      copy.help = d.help;
    }
    for (const auto& item : e.items) {
      out.items.push_back(item);
      ast::shift(out.items.back(), delta);
    }
    for (const auto& c : e.comments) {
      out.comments.push_back(c);
      ast::shift(out.comments.back(), delta);
    }
  }
  return out;
}

std::vector<std::optional<ParseCache::Fresh>> ParseCache::parse_new_pieces(const SourceManager& sm, FileId id, const std::vector<Piece>& pieces,
                                                                   const std::vector<std::string>& keys) const {
  unsigned threads = threads_ != 0 ? threads_ : std::min(4u, std::thread::hardware_concurrency());
  if (threads < 2) return {};
  // The pieces not in the cache, each text once: the loop in parse() finds a repeated piece in
  // the cache once its first copy is there.
  std::vector<Piece> todo;
  std::vector<std::size_t> where;
  std::unordered_set<std::string_view> seen;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (entries_.count(keys[i]) != 0 || !seen.insert(keys[i]).second) continue;
    todo.push_back(pieces[i]);
    where.push_back(i);
    bytes += pieces[i].end - pieces[i].begin;
  }
  if (bytes < min_bytes_ || todo.size() < 2) return {};
  // The cache's copy of each piece is made on the thread that parsed it.
  std::vector<ast::File> kept(todo.size());
  auto parsed = syntax::parse_clean_ranges(sm, id, todo, threads, [&kept](std::size_t j, ast::File& file) { kept[j] = file; });
  std::vector<std::optional<Fresh>> out(pieces.size());
  for (std::size_t j = 0; j < todo.size(); ++j) {
    if (parsed[j]) out[where[j]] = Fresh{std::move(*parsed[j]), std::move(kept[j])};
  }
  return out;
}

void ParseCache::settle(const ast::File& file) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto& e = it->second;
    if (!e.pending || e.file != file.id) {
      ++it;
      continue;
    }
    auto inside = [&e](const Span& s) { return s.file == e.file && s.begin >= e.begin && s.end <= e.end; };
    bool ok = e.first_item + e.item_count <= file.items.size() && e.first_comment + e.comment_count <= file.comments.size();
    for (std::size_t i = 0; ok && i < e.item_count; ++i) ok = inside(file.items[e.first_item + i].span());
    for (std::size_t i = 0; ok && i < e.comment_count; ++i) ok = inside(file.comments[e.first_comment + i].span);
    if (!ok) {
      it = entries_.erase(it);
      continue;
    }
    auto first = file.items.begin() + static_cast<std::ptrdiff_t>(e.first_item);
    e.items.assign(first, first + static_cast<std::ptrdiff_t>(e.item_count));
    auto firstc = file.comments.begin() + static_cast<std::ptrdiff_t>(e.first_comment);
    e.comments.assign(firstc, firstc + static_cast<std::ptrdiff_t>(e.comment_count));
    e.pending = false;
    ++it;
  }
}

std::size_t ParseCache::unsettled() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second.pending; }));
}

void ParseCache::sweep() {
  // Pieces of the last few versions stay: undoing an edit, or fixing a syntax error that made
  // the rest of the file parse whole, then finds them.
  constexpr std::uint64_t kKeep = 3;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.used + kKeep <= generation_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  ++generation_;
}

}  // namespace fence::lsp
