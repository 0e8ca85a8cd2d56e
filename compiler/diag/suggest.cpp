#include "diag/suggest.h"

#include <algorithm>
#include <array>
#include <vector>

namespace fence {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // One row of the table; names are short, and the checks compare many: on the stack then.
  std::array<std::size_t, 64> small;
  std::vector<std::size_t> large;
  std::size_t* row = small.data();
  if (b.size() + 1 > small.size()) {
    large.resize(b.size() + 1);
    row = large.data();
  }
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& options) {
  std::optional<std::string> best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& o : options) {
    // A word much longer or shorter than the limit allows cannot be near enough.
    auto gap = o.size() > word.size() ? o.size() - word.size() : word.size() - o.size();
    if (gap >= best_d) continue;
    auto d = edit_distance(word, o);
    if (d < best_d) {
      best_d = d;
      best = o;
    }
  }
  return best;
}

bool looks_like(std::string_view a, std::string_view b) {
  std::size_t len = std::min(a.size(), b.size());
  if (len < 4 || a == b) return false;
  std::size_t allowed = len >= 8 ? 2 : 1;
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > allowed) return false;
  return edit_distance(a, b) <= allowed;
}

}  // namespace fence
