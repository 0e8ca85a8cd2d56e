// "Did you mean": how far apart two names are, and which known name a mistyped one most likely
// stands for. Every stage that suggests a name uses these, so that suggestions agree.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fence {

// Levenshtein distance: insertions, deletions and substitutions of one byte each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The option nearest `word`, if one is near enough to be a likely misspelling: at most a third
// of the word's letters apart (two for short words). Ties go to the first option.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& options);

// Two different names of four letters or more that differ by one letter (two from eight letters
// on): what the checks take for a misspelling of one by the other.
bool looks_like(std::string_view a, std::string_view b);

}  // namespace fence
