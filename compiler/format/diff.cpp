#include "format/diff.h"

#include <algorithm>

#include <fmt/format.h>

namespace fence::format {

namespace {

// Edit distances above this get one region for the whole difference: the search keeps
// O(distance^2) integers.
constexpr std::size_t kMaxDistance = 2000;
constexpr std::size_t kContext = 3;

}  // namespace

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    auto end = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(at, end - at));
    at = end;
  }
  return out;
}

std::vector<Hunk> diff_lines(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  auto n = static_cast<long>(a.size() - pre - suf);
  auto m = static_cast<long>(b.size() - pre - suf);
  if (n == 0 && m == 0) return {};
  auto whole = std::vector<Hunk>{{pre, pre + static_cast<std::size_t>(n), pre, pre + static_cast<std::size_t>(m)}};
  if (n == 0 || m == 0) return whole;
  auto A = [&](long i) { return a[pre + static_cast<std::size_t>(i)]; };
  auto B = [&](long j) { return b[pre + static_cast<std::size_t>(j)]; };

  // Myers' greedy search; trace[d] holds the furthest x on diagonals -d..d after d edits.
  auto max_d = static_cast<long>(std::min<std::size_t>(static_cast<std::size_t>(n + m), kMaxDistance));
  std::vector<std::vector<long>> trace;
  std::vector<long> v(1, 0);  // d = 0 before any step: diagonal 0, x = 0 (before its snake)
  long found = -1;
  for (long d = 0; d <= max_d && found < 0; ++d) {
    std::vector<long> next(static_cast<std::size_t>(2 * d + 1));
    auto get = [&](long k) { return v[static_cast<std::size_t>(k + d - 1)]; };  // v spans -(d-1)..d-1
    for (long k = -d; k <= d; k += 2) {
      long x;
      if (d == 0) {
        x = 0;
      } else if (k == -d || (k != d && get(k - 1) < get(k + 1))) {
        x = get(k + 1);
      } else {
        x = get(k - 1) + 1;
      }
      long y = x - k;
      while (x < n && y < m && A(x) == B(y)) {
        ++x;
        ++y;
      }
      next[static_cast<std::size_t>(k + d)] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.push_back(next);
    v = std::move(next);
  }
  if (found < 0) return whole;

  // Walk back from (n, m), marking the lines each step deletes or inserts.
  std::vector<bool> del(static_cast<std::size_t>(n), false), ins(static_cast<std::size_t>(m), false);
  long x = n, y = m;
  for (long d = found; d > 0; --d) {
    const auto& prev = trace[static_cast<std::size_t>(d - 1)];
    auto get = [&](long k) { return prev[static_cast<std::size_t>(k + d - 1)]; };
    long k = x - y;
    bool down = k == -d || (k != d && get(k - 1) < get(k + 1));
    long pk = down ? k + 1 : k - 1;
    long px = get(pk);
    long py = px - pk;
    if (down) {
      ins[static_cast<std::size_t>(py)] = true;
    } else {
      del[static_cast<std::size_t>(px)] = true;
    }
    x = px;
    y = py;
  }

  std::vector<Hunk> out;
  long i = 0, j = 0;
  while (i < n || j < m) {
    bool changed = (i < n && del[static_cast<std::size_t>(i)]) || (j < m && ins[static_cast<std::size_t>(j)]);
    if (!changed) {
      ++i;
      ++j;
      continue;
    }
    Hunk h{pre + static_cast<std::size_t>(i), 0, pre + static_cast<std::size_t>(j), 0};
    while ((i < n && del[static_cast<std::size_t>(i)]) || (j < m && ins[static_cast<std::size_t>(j)])) {
      if (i < n && del[static_cast<std::size_t>(i)]) ++i;
      if (j < m && ins[static_cast<std::size_t>(j)]) ++j;
    }
    h.a_end = pre + static_cast<std::size_t>(i);
    h.b_end = pre + static_cast<std::size_t>(j);
    out.push_back(h);
  }
  return out;
}

std::string unified_diff(std::string_view a, std::string_view b, std::string_view a_name, std::string_view b_name) {
  auto al = split_lines(a);
  auto bl = split_lines(b);
  auto hunks = diff_lines(al, bl);
  if (hunks.empty()) return {};
  std::string out = fmt::format("--- {}\n+++ {}\n", a_name, b_name);
  auto line = [&](char mark, std::string_view l) {
    out += mark;
    out += l;
    if (l.empty() || l.back() != '\n') out += "\n\\ No newline at end of file\n";
  };
  for (std::size_t h = 0; h < hunks.size();) {
    // Hunks whose contexts touch print as one.
    auto last = h;
    while (last + 1 < hunks.size() && hunks[last + 1].a_begin - hunks[last].a_end <= 2 * kContext) ++last;
    auto a0 = hunks[h].a_begin - std::min(kContext, hunks[h].a_begin);
    auto b0 = hunks[h].b_begin - (hunks[h].a_begin - a0);
    auto a1 = std::min(al.size(), hunks[last].a_end + kContext);
    auto b1 = hunks[last].b_end + (a1 - hunks[last].a_end);
    auto range = [](std::size_t begin, std::size_t end) {
      auto len = end - begin;
      return len == 1 ? fmt::format("{}", begin + 1) : fmt::format("{},{}", len == 0 ? begin : begin + 1, len);
    };
    out += fmt::format("@@ -{} +{} @@\n", range(a0, a1), range(b0, b1));
    auto ai = a0;
    for (auto k = h; k <= last; ++k) {
      for (; ai < hunks[k].a_begin; ++ai) line(' ', al[ai]);
      for (auto i = hunks[k].a_begin; i < hunks[k].a_end; ++i) line('-', al[i]);
      for (auto j = hunks[k].b_begin; j < hunks[k].b_end; ++j) line('+', bl[j]);
      ai = hunks[k].a_end;
    }
    for (; ai < a1; ++ai) line(' ', al[ai]);
    h = last + 1;
  }
  return out;
}

}  // namespace fence::format
