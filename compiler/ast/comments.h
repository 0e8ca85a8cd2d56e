// Which statements a comment is about, by lines: `# fence:allow` silences these (check/suppress),
// and `fence fmt` must leave every such comment on the same statements (format/).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ast/ast.h"

namespace fence::ast {

class CommentTargets {
 public:
  // `src` is the text `file` was parsed from.
  CommentTargets(const File& file, const SourceFile& src);
  // The same with the lines of another layout of that text: `line_of` gives the line on which the
  // byte at an offset of the parsed text lies there.
  CommentTargets(const File& file, const std::function<std::uint32_t(std::uint32_t)>& line_of);

  // The leaf items (every item but a block) comment `i` of the file is on: those whose lines
  // include the comment's line; for a comment on a line of its own, those that start on the first
  // line after it that is not a comment line. Indices into leaves(), in source order; empty: on
  // no item.
  std::vector<std::size_t> of(std::size_t i) const;

  struct Leaf {
    Span span;
    std::uint32_t first_line;
    std::uint32_t last_line;
  };
  const std::vector<Leaf>& leaves() const { return leaves_; }

 private:
  std::vector<std::size_t> on_line(std::uint32_t line) const;

  std::vector<Leaf> leaves_;
  std::vector<std::uint32_t> comment_line_;     // by comment
  std::vector<std::uint32_t> comment_lines_;    // sorted
  bool ascending_ = true;
};

}  // namespace fence::ast
