#include "cli/memory.h"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <new>

#include <fmt/format.h>

namespace fence::cli::memory {

namespace {

// The compilation lowers on a second thread while it checks (driver::Compilation::analyze), and a
// large file is parsed on several (syntax::parse_in_parallel; in the language server,
// syntax::parse_clean_ranges), so the counters are atomic;
// relaxed, as nothing else is ordered by them. Two threads may both pass
// the limit check before either adds: the limit can be overshot by what they allocate at once.
// Constant-initialized: they are zero before any allocation.
std::atomic<std::size_t> g_limit{0};
std::atomic<std::size_t> g_in_use{0};
std::atomic<std::size_t> g_peak{0};

void* allocate(std::size_t size, bool nothrow) {
  if (size == 0) size = 1;
  auto limit = g_limit.load(std::memory_order_relaxed);
  if (limit != 0 && (size > limit || g_in_use.load(std::memory_order_relaxed) > limit - size)) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  void* p = std::malloc(size);
  if (p == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  auto usable = ::malloc_usable_size(p);
  auto now = g_in_use.fetch_add(usable, std::memory_order_relaxed) + usable;
  auto peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return p;
}

void release(void* p) noexcept {
  if (p == nullptr) return;
  g_in_use.fetch_sub(::malloc_usable_size(p), std::memory_order_relaxed);
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

void set_limit(std::size_t bytes) {
  g_limit.store(bytes, std::memory_order_relaxed);
}
std::size_t limit() {
  return g_limit.load(std::memory_order_relaxed);
}
std::size_t in_use() {
  return g_in_use.load(std::memory_order_relaxed);
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
