#include "ast/comments.h"

#include <algorithm>

namespace fence::ast {

namespace {

void collect(const std::vector<Item>& items, const std::function<std::uint32_t(std::uint32_t)>& line_of, std::vector<CommentTargets::Leaf>& out) {
  for (const auto& item : items) {
    if (const auto* b = std::get_if<Block>(&item.node)) {
      collect(b->items, line_of, out);
      continue;
    }
    auto s = item.span();
    if (!s.valid()) continue;
    out.push_back({s, line_of(s.begin), line_of(s.end > s.begin ? s.end - 1 : s.begin)});
  }
}

}  // namespace

CommentTargets::CommentTargets(const File& file, const SourceFile& src)
    : CommentTargets(file, [&src](std::uint32_t offset) { return src.locate(offset).line; }) {}

CommentTargets::CommentTargets(const File& file, const std::function<std::uint32_t(std::uint32_t)>& line_of) {
  collect(file.items, line_of, leaves_);
  for (const auto& c : file.comments) comment_line_.push_back(line_of(c.span.begin));
  comment_lines_ = comment_line_;
  // Items in source order do not overlap, so their first and last lines ascend, and a binary
  // search finds those on a line; a file parsed with errors may break that, and is searched whole.
  for (std::size_t k = 0; k < leaves_.size(); ++k) {
    const auto& b = leaves_[k];
    if (b.first_line > b.last_line) ascending_ = false;
    if (k > 0 && (b.first_line < leaves_[k - 1].first_line || b.last_line < leaves_[k - 1].last_line)) ascending_ = false;
  }
  std::sort(comment_lines_.begin(), comment_lines_.end());
}

std::vector<std::size_t> CommentTargets::on_line(std::uint32_t line) const {
  std::vector<std::size_t> out;
  if (!ascending_) {
    for (std::size_t k = 0; k < leaves_.size(); ++k) {
      if (leaves_[k].first_line <= line && line <= leaves_[k].last_line) out.push_back(k);
    }
    return out;
  }
  auto it = std::lower_bound(leaves_.begin(), leaves_.end(), line, [](const Leaf& l, std::uint32_t n) { return l.last_line < n; });
  for (; it != leaves_.end() && it->first_line <= line; ++it) out.push_back(static_cast<std::size_t>(it - leaves_.begin()));
  return out;
}

std::vector<std::size_t> CommentTargets::of(std::size_t i) const {
  auto line = comment_line_.at(i);
  auto out = on_line(line);
  if (!out.empty()) return out;
  auto next = line + 1;
  while (std::binary_search(comment_lines_.begin(), comment_lines_.end(), next) && on_line(next).empty()) ++next;
  for (auto k : on_line(next)) {
    if (leaves_[k].first_line == next) out.push_back(k);
  }
  return out;
}

}  // namespace fence::ast
