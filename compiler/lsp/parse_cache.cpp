#include "lsp/parse_cache.h"

#include <array>

#include <fmt/format.h>

#include "syntax/parser.h"

namespace fence::lsp {

namespace {

// Reserved keywords that can only start an item: no item can continue with one of them.
constexpr std::array<std::string_view, 7> kItemStarts = {"import", "namespace", "let", "set", "environments", "when", "default"};

bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*';
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    if (n == 2 && c < 0xC2) return false;
    i += n;
  }
  return true;
}

}  // namespace

// A light scan that follows the lexer's modes: comments and strings hide everything, `pods[` and
// `ns[` open a selector that `]` closes, and braces nest. Where it misjudges (odd input), a piece
// fails to parse and ParseCache falls back to parsing the rest whole, so a mistake costs time,
// never correctness.
std::vector<Piece> split_items(std::string_view text) {
  std::vector<Piece> out;
  auto n = static_cast<std::uint32_t>(text.size());
  std::uint32_t start = 0;
  int depth = 0;
  bool selector = false;
  bool line_start = true;
  std::uint32_t i = 0;
  while (i < n) {
    if (line_start) {
      line_start = false;
      std::uint32_t j = i;
      while (j < n && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (depth == 0 && !selector && i > start) {
        std::uint32_t k = j;
        while (k < n && word_char(text[k])) ++k;
        auto word = text.substr(j, k - j);
        for (auto kw : kItemStarts) {
          if (word == kw) {
            out.push_back(Piece{start, i});
            start = i;
            break;
          }
        }
      }
      i = j;
      continue;
    }
    char c = text[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < n && text[i] != '\n') ++i;
      continue;
    }
    if (c == '"') {
      std::uint32_t k = i + 1;
      bool closed = false;
      while (k < n && text[k] != '\n' && text[k] != '\r') {
        if (text[k] == '\\' && k + 1 < n && text[k + 1] != '\n' && text[k + 1] != '\r') {
          k += 2;
        } else if (text[k] == '"') {
          closed = true;
          break;
        } else {
          ++k;
        }
      }
      i = closed ? k + 1 : i + 1;  // an unclosed quote is a token of its own
      continue;
    }
    if (selector) {
      if (c == ']') selector = false;
      ++i;
      continue;
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      --depth;
    } else if (word_char(c)) {
      std::uint32_t k = i;
      while (k < n && word_char(text[k])) ++k;
      auto word = text.substr(i, k - i);
      if (word == "pods" || word == "ns") {
        std::uint32_t m = k;
        while (m < n && (text[m] == ' ' || text[m] == '\t')) ++m;
        if (m < n && text[m] == '[') {
          selector = true;
          k = m + 1;
        }
      }
      i = k;
      continue;
    }
    ++i;
  }
  if (start < n || out.empty()) out.push_back(Piece{start, n});
  return out;
}

std::string ParseCache::key(FileId id, std::uint32_t begin, std::string_view text) {
  std::string k = fmt::format("{}:{}:", id, begin);
  k.append(text);
  return k;
}

ast::File ParseCache::parse(const SourceManager& sm, FileId id, DiagnosticSink& sink) {
  last_ = Stats{};
  const std::string& text = sm.file(id).text;
  // The whole-file parser rejects a file with invalid UTF-8 as a whole.
  if (!valid_utf8(text)) return syntax::parse(sm, id, sink);
  ast::File out;
  out.id = id;
  for (const auto& piece : split_items(text)) {
    ++last_.pieces;
    auto k = key(id, piece.begin, std::string_view(text).substr(piece.begin, piece.end - piece.begin));
    auto it = entries_.find(k);
    if (it == entries_.end()) {
      ++last_.parsed;
      DiagnosticSink local;
      auto f = syntax::parse_range(sm, id, piece.begin, piece.end, local);
      if (!local.raw().empty() || local.dropped() > 0) {
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
      it = entries_.emplace(std::move(k), Entry{std::move(f.items), std::move(f.comments), false}).first;
    }
    it->second.used = true;
    out.items.insert(out.items.end(), it->second.items.begin(), it->second.items.end());
    out.comments.insert(out.comments.end(), it->second.comments.begin(), it->second.comments.end());
  }
  return out;
}

void ParseCache::sweep() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.used) {
      it = entries_.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace fence::lsp
