#include "cli/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <new>

#include <fmt/format.h>

namespace fence::cli::memory {

namespace {

// The compilation lowers on a second thread while it checks (driver::Compilation::analyze), and a
// large file is parsed on several (syntax::parse_in_parallel; in the language server,
// syntax::parse_clean_ranges), so the shared counters are atomic; relaxed, as nothing else is
// ordered by them. An atomic add on every allocation and free would have the threads fight over
// the counter's cache line, so each thread keeps what it allocated and freed since it last added
// to the shared count, and adds it once that is kBatch bytes either way. The limit check counts
// the thread's own pending bytes; other threads' (less than kBatch each) and what two threads
// allocate at once after both passed the check can overshoot the limit. A thread that ends
// leaves less than kBatch uncounted, either way: the shared count is signed and read as at
// least zero.
// A process that never sets a limit (the language server) stops counting at its start
// (stop_counting): two malloc_usable_size calls per object were about 3% of its first analysis.
// Counting from the start otherwise keeps what the command line allocated before the limit was
// set in the count, so that a tight limit runs out where it always did.
// Constant-initialized: they are zero before any allocation.
constexpr std::int64_t kBatch = 64 * 1024;
std::atomic<std::size_t> g_limit{0};
std::atomic<std::int64_t> g_in_use{0};
std::atomic<bool> g_counting{true};
std::atomic<std::size_t> g_peak{0};
thread_local std::int64_t t_pending = 0;

void add_pending() {
  auto now = g_in_use.fetch_add(t_pending, std::memory_order_relaxed) + t_pending;
  t_pending = 0;
  auto used = static_cast<std::size_t>(std::max<std::int64_t>(0, now));
  auto peak = g_peak.load(std::memory_order_relaxed);
  while (used > peak && !g_peak.compare_exchange_weak(peak, used, std::memory_order_relaxed)) {
  }
}

void* allocate(std::size_t size, bool nothrow) {
  if (size == 0) size = 1;
  auto limit = g_limit.load(std::memory_order_relaxed);
  if (limit != 0) {
    auto used = static_cast<std::size_t>(std::max<std::int64_t>(0, g_in_use.load(std::memory_order_relaxed) + t_pending));
    if (size > limit || used > limit - size) {
      if (nothrow) return nullptr;
      throw std::bad_alloc();
    }
  }
  void* p = std::malloc(size);
  if (p == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  if (g_counting.load(std::memory_order_relaxed)) {
    t_pending += static_cast<std::int64_t>(::malloc_usable_size(p));
    if (t_pending >= kBatch) add_pending();
  }
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  if (g_counting.load(std::memory_order_relaxed)) {
    t_pending -= static_cast<std::int64_t>(::malloc_usable_size(p));
    if (t_pending <= -kBatch) add_pending();
  }
  std::free(p);
}

std::optional<std::size_t> read_number(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  return static_cast<std::size_t>(std::strtoull(text.c_str(), nullptr, 10));
}

}  // namespace

std::optional<std::size_t> parse_size(std::string_view text) {
  if (text == "auto") return default_limit();
  if (text == "none") return 0;
  std::size_t i = 0;
  std::size_t value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (value > (SIZE_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = text.substr(i);
  int shift = 0;
  if (unit.empty() || unit == "B") {
    shift = 0;
  } else if (unit == "K" || unit == "k" || unit == "KiB") {
    shift = 10;
  } else if (unit == "M" || unit == "MiB") {
    shift = 20;
  } else if (unit == "G" || unit == "GiB") {
    shift = 30;
  } else if (unit == "T" || unit == "TiB") {
    shift = 40;
  } else {
    return std::nullopt;
  }
  if (shift > 0 && value > (SIZE_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string format_size(std::size_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  double v = static_cast<double>(bytes);
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} bytes", bytes);
  return v == static_cast<double>(static_cast<std::size_t>(v)) ? fmt::format("{} {}", static_cast<std::size_t>(v), units[u])
                                                                : fmt::format("{:.1f} {}", v, units[u]);
}

std::size_t default_limit() {
  auto pages = ::sysconf(_SC_PHYS_PAGES);
  auto page = ::sysconf(_SC_PAGESIZE);
  std::size_t total = pages > 0 && page > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) : 0;
  // cgroup v2, then v1 (which says "no limit" with a huge number).
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    if (auto v = read_number(path); v && *v > 0 && (total == 0 || *v < total)) total = *v;
  }
  return total / 4 * 3;
}

void stop_counting() {
  g_counting.store(false, std::memory_order_relaxed);
}

void set_limit(std::size_t bytes) {
  g_limit.store(bytes, std::memory_order_relaxed);
}
std::size_t limit() {
  return g_limit.load(std::memory_order_relaxed);
}
std::size_t in_use() {
  return static_cast<std::size_t>(std::max<std::int64_t>(0, g_in_use.load(std::memory_order_relaxed) + t_pending));
}
std::size_t peak() {
  return g_peak.load(std::memory_order_relaxed);
}

}  // namespace fence::cli::memory

// The replaceable allocation functions (every other form of new and delete forwards to these in
// libstdc++; the aligned forms keep their own allocator and are not counted).
void* operator new(std::size_t size) {
  return fence::cli::memory::allocate(size, false);
}
void* operator new[](std::size_t size) {
  return fence::cli::memory::allocate(size, false);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return fence::cli::memory::allocate(size, true);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return fence::cli::memory::allocate(size, true);
}
void operator delete(void* p) noexcept {
  fence::cli::memory::release(p);
}
void operator delete[](void* p) noexcept {
  fence::cli::memory::release(p);
}
void operator delete(void* p, std::size_t) noexcept {
  fence::cli::memory::release(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  fence::cli::memory::release(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  fence::cli::memory::release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  fence::cli::memory::release(p);
}
