#include "driver/driver.h"

#include <stdexcept>

#include "check/check.h"
#include "lower/cilium/lower.h"

namespace fence::driver {

const std::vector<std::string>& targets() {
  static const std::vector<std::string> t = {"k8s", "cilium"};
  return t;
}

Compilation::Compilation(Options options) : options_(std::move(options)) {}

bool Compilation::load(const std::vector<SourceInput>& inputs) {
  sema::LoaderOptions lo;
  lo.stdlib_path = options_.stdlib_path;
  sema::Loader loader(sm_, sink_, lo);
  for (const auto& in : inputs) loader.add_root(in.path, in.text);
  loaded_ = loader.finish();
  environments_ = sema::declared_environments(loaded_);
  return loaded_.ok && !sink_.has_errors();
}

namespace {
std::size_t errors(const DiagnosticSink& s) {
  return s.error_count() + s.dropped();
}
}  // namespace

bool Compilation::analyze(const std::optional<std::string>& environment) {
  analyzed_ok_ = false;
  if (!loaded_.ok) return false;
  errors_before_analysis_ = errors(sink_);
  sema::ResolveOptions ro;
  ro.environment = environment;
  ir_ = sema::resolve(loaded_, sm_, ro, sink_);
  if (errors(sink_) > errors_before_analysis_) return false;
  if (options_.run_checks) check::run_all(ir_, sm_, sink_);
  analyzed_ok_ = errors(sink_) == errors_before_analysis_;
  return analyzed_ok_;
}

std::vector<emit::Object> Compilation::lower(const std::string& target) {
  if (!analyzed_ok_) return {};
  auto before = errors(sink_);
  std::vector<emit::Object> out;
  if (target == "k8s") {
    out = lower::k8s::lower(ir_, sm_, options_.k8s, sink_);
  } else if (target == "cilium") {
    out = lower::cilium::lower(ir_, sm_, sink_);
  } else {
    throw std::invalid_argument("unknown target: " + target);
  }
  if (errors(sink_) > before) return {};
  return out;
}

}  // namespace fence::driver
