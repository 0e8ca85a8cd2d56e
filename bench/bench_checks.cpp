// The checks benchmark: times check::run_all (and each pass, and the shared facts they build) on
// programs of different sizes, and the ratio of the last two, to show that the checks grow
// near-linearly with the number of statements.
//
//   python3 bench/gen_estate.py --statements 10000 --denies > /tmp/e10k.fence
//   python3 bench/gen_estate.py --statements 100000 --denies > /tmp/e100k.fence
//   build/bench/bench_checks /tmp/e10k.fence /tmp/e100k.fence [--repeat 3] [--grouped]
#include <time.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "check/check.h"
#include "sema/loader.h"
#include "sema/resolve.h"

namespace {

// CPU time of this process: other work on a shared machine does not count (wall time is printed
// too, for the whole run of the checks).
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}
using Clock = std::chrono::steady_clock;
double wall_ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Timing {
  std::string file;
  std::size_t statements = 0;
  std::size_t rules = 0;
  std::size_t diagnostics = 0;
  double facts_ms = 1e18;
  std::vector<double> pass_ms;
  double total_ms = 1e18;  // run_all, facts included (CPU)
  double wall_ms = 1e18;   // run_all, wall clock
};

std::size_t count_statements(const std::string& text) {
  // The generator writes one statement per line, indented, plus `default deny` lines.
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("  ", 0) == 0) ++n;
  }
  return n;
}

// One program, loaded and resolved once (outside the timings).
struct Loaded {
  fence::SourceManager sm;
  fence::DiagnosticSink sink;
  fence::ir::Program ir;
};

bool load(const std::string& path, Timing& t, Loaded& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  t.file = path;
  t.statements = count_statements(text);
  fence::sema::LoaderOptions lo;
  lo.stdlib_path = fence::sema::default_stdlib_path();
  fence::sema::Loader loader(out.sm, out.sink, lo);
  loader.add_root(path, text);
  auto loaded = loader.finish();
  if (!loaded.ok) {
    std::cerr << path << ": the program has errors\n";
    return false;
  }
  out.ir = fence::sema::resolve(loaded, out.sm, {}, out.sink);
  t.rules = out.ir.rules.size();
  t.pass_ms.assign(fence::check::passes().size(), 1e18);
  return true;
}

// One timed round: the checks as the driver runs them, then the shared facts and each pass apart.
void measure(const Loaded& p, Timing& t) {
  const auto& passes = fence::check::passes();
  fence::DiagnosticSink sink(1u << 30);
  auto w0 = Clock::now();
  auto t0 = cpu_ms();
  fence::check::run_all(p.ir, p.sm, sink);
  t.total_ms = std::min(t.total_ms, cpu_ms() - t0);
  t.wall_ms = std::min(t.wall_ms, wall_ms_since(w0));
  t.diagnostics = sink.raw().size();
  fence::DiagnosticSink apart(1u << 30);
  fence::check::Context ctx(p.ir, p.sm, apart);
  auto t1 = cpu_ms();
  ctx.facts();
  t.facts_ms = std::min(t.facts_ms, cpu_ms() - t1);
  for (std::size_t k = 0; k < passes.size(); ++k) {
    auto t2 = cpu_ms();
    passes[k].run(ctx);
    t.pass_ms[k] = std::min(t.pass_ms[k], cpu_ms() - t2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  int repeat = 3;
  bool grouped = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = std::stoi(argv[++i]);
    } else if (a == "--grouped") {
      grouped = true;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: bench_checks FILE.fence... [--repeat N] [--grouped]\n";
    return 2;
  }
  // Every program is loaded first; then the rounds alternate between them, so that each size
  // meets the same machine (load, caches) and none keeps its data in cache for the next round.
  // --grouped runs each program's rounds back to back instead: a program small enough for the
  // L3 cache then runs warm, which is what one `fence check` of it sees.
  std::vector<Timing> rows(files.size());
  std::vector<std::unique_ptr<Loaded>> programs;
  for (std::size_t f = 0; f < files.size(); ++f) {
    programs.push_back(std::make_unique<Loaded>());
    if (!load(files[f], rows[f], *programs.back())) return 1;
  }
  if (grouped) {
    for (std::size_t f = 0; f < files.size(); ++f) {
      for (int r = 0; r < repeat; ++r) measure(*programs[f], rows[f]);
    }
  } else {
    for (int r = 0; r < repeat; ++r) {
      for (std::size_t f = 0; f < files.size(); ++f) measure(*programs[f], rows[f]);
    }
  }
  const auto& passes = fence::check::passes();
  std::cout << "CPU time of this process, best of " << repeat << (grouped ? " rounds per program, back to back" : " alternating rounds")
            << "; the checks' wall time in its own column.\n\n";
  std::cout << "| statements | rules | diagnostics | checks (CPU) | checks (wall) | facts |";
  for (const auto& p : passes) std::cout << " " << p.name << " |";
  std::cout << "\n|---:|---:|---:|---:|---:|---:|";
  for (std::size_t p = 0; p < passes.size(); ++p) std::cout << "---:|";
  std::cout << "\n";
  for (const auto& t : rows) {
    std::cout << fmt::format("| {} | {} | {} | {:.0f} ms | {:.0f} ms | {:.0f} ms |", t.statements, t.rules, t.diagnostics, t.total_ms, t.wall_ms,
                             t.facts_ms);
    for (double ms : t.pass_ms) std::cout << fmt::format(" {:.0f} ms |", ms);
    std::cout << "\n";
  }
  if (rows.size() >= 2) {
    const auto& a = rows[rows.size() - 2];
    const auto& b = rows.back();
    std::cout << fmt::format("\n{:.1f}x the statements cost {:.2f}x the CPU time ({:.2f}x the wall time).\n",
                             static_cast<double>(b.statements) / static_cast<double>(a.statements), b.total_ms / a.total_ms, b.wall_ms / a.wall_ms);
  }
  return 0;
}
