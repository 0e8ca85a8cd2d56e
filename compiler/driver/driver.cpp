#include "driver/driver.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

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
}  // namespace

bool Compilation::analyze(const std::optional<std::string>& environment, const std::optional<std::string>& target) {
  analyzed_ok_ = false;
  if (!loaded_.ok && !loaded_.resolvable) return false;
  errors_before_analysis_ = errors(sink_);
  auto first = sink_.raw().size();
  sema::ResolveOptions ro;
  ro.environment = environment;
  ro.target = target;
  ir_ = sema::resolve(loaded_, sm_, ro, sink_);
  if (errors(sink_) == errors_before_analysis_) load_inventory();
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
  auto out = lower_program(ir_, target, sm_, options_, sink_);
  check::object_names(out, sink_);
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
