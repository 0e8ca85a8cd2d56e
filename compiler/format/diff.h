// Line differences between two texts: what `fence fmt --check` prints, and the edits the
// language server sends for formatting (only the lines that change, so the editor keeps its
// cursor and marks elsewhere).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fence::format {

// The lines of a text, each with its '\n' (the last one may lack it).
std::vector<std::string_view> split_lines(std::string_view text);

// Lines [a_begin, a_end) of the old text become lines [b_begin, b_end) of the new.
struct Hunk {
  std::size_t a_begin = 0, a_end = 0;
  std::size_t b_begin = 0, b_end = 0;
};

// The changed regions, in order and disjoint: a shortest edit script (Myers) where the texts
// differ in up to a few thousand lines, one region covering the difference beyond that.
std::vector<Hunk> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b);

// A unified diff with three lines of context, `--- a_name` / `+++ b_name`; empty when the texts
// are equal.
std::string unified_diff(std::string_view a, std::string_view b, std::string_view a_name, std::string_view b_name);

}  // namespace fence::format
