// Regular expressions as Cilium's HTTP rules take them: Go's regexp syntax (RE2), which the agent
// compiles when it accepts a policy and Envoy compiles again as RE2. Fence checks the syntax at
// compile time, so that a policy the agent would reject never leaves the compiler.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fence::net {

struct RegexProblem {
  std::string message;     // phrased to follow "not a valid regular expression: "
  std::size_t offset = 0;  // where in the expression, in bytes
  std::size_t length = 1;  // how many bytes the problem covers (at least 1 unless the text is empty)
};

// Checks `re` against Go's regexp/syntax rules (Perl flags, as regexp.Compile uses) and the
// stricter of Go and RE2 where they differ. Nothing when the expression is valid.
std::optional<RegexProblem> check_go_regex(std::string_view re);

}  // namespace fence::net
