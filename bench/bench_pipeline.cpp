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
  std::size_t objects = 0, bytes = 0, rules = 0;
  for (int r = 0; r < repeat; ++r) {
    fence::SourceManager sm;
    fence::DiagnosticSink sink;
    auto t0 = Clock::now();
    fence::sema::LoaderOptions lo;
    lo.stdlib_path = fence::sema::default_stdlib_path();
    fence::sema::Loader loader(sm, sink, lo);
    loader.add_root(path, text);
    auto loaded = loader.finish();
    double parse = ms_since(t0);
    if (!loaded.ok) {
      std::cerr << "the program has errors\n";
      return 1;
    }
    auto t1 = Clock::now();
    auto ir = fence::sema::resolve(loaded, sm, {}, sink);
    double resolve = ms_since(t1);
    auto t2 = Clock::now();
    fence::check::run_all(ir, sm, sink);
    double check = ms_since(t2);
    auto t3 = Clock::now();
    auto objs = fence::lower::k8s::lower(ir, sm, {}, sink);
    double lower = ms_since(t3);
    auto t4 = Clock::now();
    auto yaml = fence::emit::to_yaml_stream(objs);
    double emit = ms_since(t4);
    if (sink.has_errors()) {
      std::cerr << "the program has errors\n";
      return 1;
    }
    double t[5] = {parse, resolve, check, lower, emit};
    for (int k = 0; k < 5; ++k) best[k] = std::min(best[k], t[k]);
    objects = objs.size();
    bytes = yaml.size();
    rules = ir.rules.size();
  }
  double total = best[0] + best[1] + best[2] + best[3] + best[4];
  std::cout << fmt::format(
      "{{\"file\": \"{}\", \"input_bytes\": {}, \"rules\": {}, \"objects\": {}, \"output_bytes\": {}, "
      "\"parse_ms\": {:.1f}, \"resolve_ms\": {:.1f}, \"check_ms\": {:.1f}, \"lower_ms\": {:.1f}, \"emit_ms\": {:.1f}, \"total_ms\": {:.1f}, "
      "\"peak_rss_mib\": {:.1f}}}\n",
      path, text.size(), rules, objects, bytes, best[0], best[1], best[2], best[3], best[4], total, static_cast<double>(peak_rss_kib()) / 1024.0);
  return 0;
}
