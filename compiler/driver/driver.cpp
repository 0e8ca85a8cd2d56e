#include "driver/driver.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "check/check.h"
#include "check/suppress.h"
#include "driver/project.h"
#include "emit/yaml.h"
#include "lower/calico/lower.h"
#include "lower/cilium/lower.h"
#include "lower/cnp/lower.h"

namespace fence::driver {

const std::vector<std::string>& targets() {
  return sema::known_targets();
}

Compilation::Compilation(Options options) : options_(std::move(options)) {}

bool Compilation::find_root(const std::vector<SourceInput>& inputs) {
  namespace fs = std::filesystem;
  std::optional<std::string> project_file;
  if (!options_.root.empty()) {
    std::error_code ec;
    auto abs = fs::absolute(options_.root, ec);
    root_ = sema::canonical_path(ec ? options_.root : abs.string());
    if (fs::is_regular_file(fs::path(root_) / kProjectFile, ec)) project_file = (fs::path(root_) / kProjectFile).string();
  } else {
    std::vector<std::string> paths;
    for (const auto& in : inputs) paths.push_back(in.path);
    auto common = common_directory(paths);
    project_file = find_project_file(common);
    root_ = project_file ? fs::path(*project_file).parent_path().string() : common;
  }
  if (!project_file) return true;
  auto text = sema::read_disk(*project_file, 1 << 20);
  if (!text) return true;  // unreadable or huge: nothing Fence relies on is in it
  auto errors_before = sink_.error_count();
  auto id = sm_.add(relative_to_root(*project_file, root_), std::move(*text));
  parse_project_file(sm_, id, sink_);
  return sink_.error_count() == errors_before;
}

bool Compilation::load(const std::vector<SourceInput>& inputs) {
  sema::LoaderOptions lo = options_.loader;
  lo.stdlib_path = options_.stdlib_path;
  // What parsed of a file with syntax errors is still resolved (for its errors), which needs its
  // imports.
  lo.imports_despite_errors = true;
  if (options_.project_paths) {
    if (!find_root(inputs)) {
      loaded_.ok = false;
      loaded_.resolvable = false;
      return false;
    }
    lo.root = root_;
  }
  sema::Loader loader(sm_, sink_, lo);
  for (const auto& in : inputs) loader.add_root(in.path, in.text);
  loaded_ = loader.finish();
  environments_ = sema::declared_environments(loaded_);
  program_targets_ = sema::program_targets(loaded_);
  per_target_ = sema::uses_per_target(loaded_);
  std::vector<const ast::File*> files;
  for (const auto& f : loaded_.files) files.push_back(&f.ast);
  suppressions_ = check::Suppressions(files, sm_, sink_, loaded_.ok && !sink_.has_errors());
  return loaded_.ok && !sink_.has_errors();
}

namespace {
std::size_t errors(const DiagnosticSink& s) {
  return s.error_count() + s.dropped();
}

// A sink for a stage that runs on another thread: it keeps everything, and append_to() reports
// it to the compilation's sink afterwards, where the error limit then applies as if it had been
// reported there in the first place.
DiagnosticSink unlimited_sink() {
  return DiagnosticSink(std::numeric_limits<std::size_t>::max());
}

void append_to(DiagnosticSink& to, DiagnosticSink& from) {
  for (auto& d : from.mutable_diags()) {
    auto& copy = to.report(d.code, d.severity, d.span, std::move(d.message));
    copy.notes = std::move(d.notes);
    copy.help = std::move(d.help);
  }
  from.replace({});
}
}  // namespace

bool Compilation::analyze(const std::optional<std::string>& environment, const std::optional<std::string>& target,
                          const std::vector<std::string>& lower_ahead) {
  analyzed_ok_ = false;
  lowered_ahead_.clear();
  if (!loaded_.ok && !loaded_.resolvable) return false;
  errors_before_analysis_ = errors(sink_);
  auto first = sink_.raw().size();
  sema::ResolveOptions ro;
  ro.environment = environment;
  ro.target = target;
  ir_ = sema::resolve(loaded_, sm_, ro, sink_);
  if (errors(sink_) == errors_before_analysis_) load_inventory();
  // The checks and the lowering only read the IR, the sources and the options (nothing of them
  // is computed lazily, and neither keeps state of its own beyond a call), so the lowering runs
  // on a second thread meanwhile. It is waited for before this returns: the next analysis
  // replaces the IR. On an exception here, the future's destructor waits for it.
  std::atomic<bool> stop{false};  // the checks found errors: lower no further target
  std::future<std::map<std::string, Lowered>> ahead;
  if (errors(sink_) == errors_before_analysis_ && options_.run_checks && loaded_.ok && !lower_ahead.empty()) {
    auto lower_all = [this, &stop, targets = lower_ahead]() {
      std::map<std::string, Lowered> out;
      for (const auto& t : targets) {
        if (stop.load(std::memory_order_relaxed)) break;
        Lowered l{{}, unlimited_sink()};
        l.objects = lower_program(ir_, t, sm_, options_, l.sink);
        check::object_names(l.objects, l.sink);
        out.insert_or_assign(t, std::move(l));
      }
      return out;
    };
    try {
      ahead = std::async(std::launch::async, std::move(lower_all));
    } catch (const std::system_error&) {
      // No second thread to be had: lower() lowers, after the checks.
    }
  }
  if (errors(sink_) == errors_before_analysis_ && options_.run_checks) check::run_all(ir_, sm_, sink_, {&loaded_, inventory_.get(), options_.explain});
  if (!loaded_.ok) {
    // After syntax errors, what parsed is analyzed for its errors only: a warning about the
    // program as a whole (a definition unused, a workload named once) may only say that the
    // broken items are missing from it.
    auto diags = sink_.raw();
    std::vector<Diagnostic> kept(diags.begin(), diags.begin() + static_cast<std::ptrdiff_t>(first));
    for (std::size_t i = first; i < diags.size(); ++i) {
      if (diags[i].severity == Severity::Error) kept.push_back(diags[i]);
    }
    sink_.replace(std::move(kept));
    return false;
  }
  suppressions_.apply(sink_, first, options_.policy);
  analyzed_ok_ = errors(sink_) == errors_before_analysis_;
  if (ahead.valid()) {
    if (analyzed_ok_) {
      lowered_ahead_ = ahead.get();  // rethrows what the lowering threw
    } else {
      stop.store(true, std::memory_order_relaxed);
      ahead.wait();  // not lowered, as far as anyone can tell: not even an exception
    }
  }
  return analyzed_ok_;
}

void Compilation::load_inventory() {
  std::vector<inventory::Source> sources;
  if (!options_.inventory.empty()) {
    for (const auto& p : options_.inventory) sources.push_back({p, Span{}});
  } else {
    for (const auto& s : ir_.inventory) sources.push_back({s.path, s.span});
  }
  if (sources.empty()) {
    inventory_.reset();
    return;
  }
  auto same = [](const std::vector<inventory::Source>& a, const std::vector<inventory::Source>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) { return x.path == y.path; });
  };
  if (!inventory_ || !same(sources, inventory_sources_)) {
    DiagnosticSink found;
    inventory::LoadOptions lo;
    lo.default_namespace = options_.inventory_namespace;
    lo.cache = options_.inventory_cache.get();
    lo.standard_input = options_.inventory_stdin;
    inventory_ = std::make_unique<inventory::Inventory>(inventory::load(sources, lo, sm_, found));
    inventory_sources_ = sources;
    inventory_diagnostics_ = found.raw();
  }
  for (const auto& d : inventory_diagnostics_) {
    auto& copy = sink_.report(d.code, d.severity, d.span, d.message);
    copy.notes = d.notes;
    copy.help = d.help;
  }
}

std::vector<emit::Object> Compilation::lower(const std::string& target) {
  if (!analyzed_ok_) return {};
  auto before = errors(sink_);
  auto first = sink_.raw().size();
  std::vector<emit::Object> out;
  if (auto it = lowered_ahead_.find(target); it != lowered_ahead_.end()) {
    out = std::move(it->second.objects);
    append_to(sink_, it->second.sink);
    lowered_ahead_.erase(it);
  } else {
    out = lower_program(ir_, target, sm_, options_, sink_);
    check::object_names(out, sink_);
  }
  suppressions_.apply(sink_, first, options_.policy);
  if (errors(sink_) > before) return {};
  return out;
}

std::vector<emit::Object> lower_program(const ir::Program& program, const std::string& target, const SourceManager& sm, const Options& options,
                                        DiagnosticSink& sink) {
  std::vector<emit::Object> out;
  if (target == "k8s") {
    out = lower::k8s::lower(program, sm, options.k8s, sink);
  } else if (target == "cilium") {
    out = lower::cilium::lower(program, sm, sink);
  } else if (target == "calico") {
    out = lower::calico::lower(program, sm, options.calico, sink);
  } else if (target == "cnp") {
    out = lower::cnp::lower(program, sm, lower::cnp::Options{options.cnp_channel, options.k8s}, sink);
  } else {
    throw std::invalid_argument("unknown target: " + target);
  }
  for (auto& o : out) emit::seal(o);  // targets seal as they go; this is the net under a new one
  return out;
}

}  // namespace fence::driver
