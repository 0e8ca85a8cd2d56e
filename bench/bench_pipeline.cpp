// The pipeline benchmark: times each stage of `fence build` on one program and reports the
// process's peak RSS. Prints one JSON object, for bench/run.py.
//
//   bench_pipeline FILE.fence [--target k8s] [--repeat N]
#include <sys/resource.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "check/check.h"
#include "driver/driver.h"
#include "emit/yaml.h"
#include "lower/k8s/lower.h"
#include "sema/loader.h"
#include "sema/resolve.h"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// CPU time of the process (every thread), in ms: on a shared machine it is steadier than wall time.
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0) + static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_pipeline FILE.fence [--repeat N]\n";
    return 2;
  }
  std::string path = argv[1];
  int repeat = 1;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--repeat") repeat = std::stoi(argv[i + 1]);
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  double best[5] = {1e18, 1e18, 1e18, 1e18, 1e18};  // parse, resolve, check, lower, emit
  double best_cpu[5] = {1e18, 1e18, 1e18, 1e18, 1e18};
  std::size_t objects = 0, bytes = 0, rules = 0;
  for (int r = 0; r < repeat; ++r) {
    fence::SourceManager sm;
    fence::DiagnosticSink sink;
    auto t0 = Clock::now();
    double c0 = cpu_ms();
    fence::sema::LoaderOptions lo;
    lo.stdlib_path = fence::sema::default_stdlib_path();
    fence::sema::Loader loader(sm, sink, lo);
    loader.add_root(path, text);
    auto loaded = loader.finish();
    double parse = ms_since(t0);
    double c1 = cpu_ms();
    if (!loaded.ok) {
      std::cerr << "the program has errors\n";
      return 1;
    }
    auto t1 = Clock::now();
    auto ir = fence::sema::resolve(loaded, sm, {}, sink);
    double resolve = ms_since(t1);
    double c2 = cpu_ms();
    auto t2 = Clock::now();
    fence::check::run_all(ir, sm, sink, {&loaded});  // with the source, as `fence build` runs them
    double check = ms_since(t2);
    double c3 = cpu_ms();
    auto t3 = Clock::now();
    auto objs = fence::lower::k8s::lower(ir, sm, {}, sink);
    double lower = ms_since(t3);
    double c4 = cpu_ms();
    auto t4 = Clock::now();
    auto yaml = fence::emit::to_yaml_stream(objs);
    double emit = ms_since(t4);
    double c5 = cpu_ms();
    if (sink.has_errors()) {
      std::cerr << "the program has errors\n";
      return 1;
    }
    double t[5] = {parse, resolve, check, lower, emit};
    double c[5] = {c1 - c0, c2 - c1, c3 - c2, c4 - c3, c5 - c4};
    for (int k = 0; k < 5; ++k) best[k] = std::min(best[k], t[k]);
    for (int k = 0; k < 5; ++k) best_cpu[k] = std::min(best_cpu[k], c[k]);
    objects = objs.size();
    bytes = yaml.size();
    rules = ir.rules.size();
  }
  double total = best[0] + best[1] + best[2] + best[3] + best[4];
  std::cout << fmt::format(
      "{{\"file\": \"{}\", \"input_bytes\": {}, \"rules\": {}, \"objects\": {}, \"output_bytes\": {}, "
      "\"parse_ms\": {:.1f}, \"resolve_ms\": {:.1f}, \"check_ms\": {:.1f}, \"lower_ms\": {:.1f}, \"emit_ms\": {:.1f}, \"total_ms\": {:.1f}, "
      "\"parse_cpu_ms\": {:.1f}, \"resolve_cpu_ms\": {:.1f}, \"check_cpu_ms\": {:.1f}, \"lower_cpu_ms\": {:.1f}, \"emit_cpu_ms\": {:.1f}, "
      "\"peak_rss_mib\": {:.1f}}}\n",
      path, text.size(), rules, objects, bytes, best[0], best[1], best[2], best[3], best[4], total, best_cpu[0], best_cpu[1], best_cpu[2], best_cpu[3], best_cpu[4], static_cast<double>(peak_rss_kib()) / 1024.0);
  return 0;
}
