#include "lsp/analysis.h"

#include <algorithm>

#include "emit/yaml.h"

namespace fence::lsp {

Analysis::Analysis(const std::string& path, const std::string& text, const AnalysisOptions& options, ParseCache& cache, const ReadFile& read_file)
    : options_(options) {
  driver_options_.stdlib_path = options.stdlib_path;
  driver_options_.k8s.allow_l4_fallback = options.allow_l4_fallback;
  driver_options_.k8s.diagnostics_only = true;
  driver_options_.inventory_cache = options.inventory_cache;
  driver_options_.explain = true;  // shown as hints
  driver_options_.loader.read_file = read_file;
  driver_options_.loader.parse = [&cache](const SourceManager& sm, FileId id, DiagnosticSink& sink) { return cache.parse(sm, id, sink); };
  driver_options_.loader.imports_despite_errors = true;
  // Paths relative to the project root, as the command line shows them; a buffer with no file
  // (an untitled one) keeps its URI.
  driver_options_.project_paths = !path.empty() && path.front() == '/';
  c_ = std::make_unique<driver::Compilation>(driver_options_);

  bool loaded = c_->load({{path, text}});
  cache.sweep();
  for (const auto& f : c_->loaded().files) {
    loaded_paths_.insert(f.canonical);
    if (!f.disk_path.empty()) loaded_paths_.insert(sema::canonical_path(f.disk_path));
  }
  scopes_ = std::make_unique<sema::Scopes>(c_->loaded());

  if (loaded) {
    // Like `fence check`: every declared environment. The one hover describes goes last, so that
    // its IR is the one kept.
    std::vector<std::optional<std::string>> envs;
    const auto& declared = c_->environments();
    if (declared.empty()) {
      envs.emplace_back(std::nullopt);
    } else {
      std::string chosen = declared.front();
      if (options.environment && std::find(declared.begin(), declared.end(), *options.environment) != declared.end()) chosen = *options.environment;
      for (const auto& e : declared) {
        if (e != chosen) envs.emplace_back(e);
      }
      envs.emplace_back(chosen);
    }
    // Every target the program builds for (the editor's target when it declares none), the one
    // hover describes last; a program that means something different per target is analyzed for
    // each.
    std::vector<std::string> targets = c_->program_targets();
    if (targets.empty()) targets.push_back(options.target);
    auto chosen = std::find(targets.begin(), targets.end(), options.target);
    if (chosen != targets.end()) std::rotate(chosen, chosen + 1, targets.end());
    target_ = targets.back();
    for (const auto& env : envs) {
      environment_ = env;
      if (c_->per_target()) {
        for (const auto& t : targets) {
          analyzed_ = c_->analyze(env, t);
          if (analyzed_) c_->lower(t);
        }
      } else {
        analyzed_ = c_->analyze(env);
        for (const auto& t : targets) {
          if (analyzed_) c_->lower(t);
        }
      }
    }
  } else if (!c_->loaded().ok && c_->loaded().resolvable && !c_->loaded().files.empty()) {
    // Syntax errors: the rest of the file is still resolved, for its errors (as `fence check` does).
    const auto& declared = c_->environments();
    std::optional<std::string> env;
    if (!declared.empty()) env = options.environment && std::find(declared.begin(), declared.end(), *options.environment) != declared.end() ? *options.environment : declared.front();
    environment_ = env;
    c_->analyze(env);
    analyzed_ = false;
  }
  diagnostics_ = c_->sink().take_sorted(c_->sources());
}

Analysis::Yaml Analysis::yaml_for(const Span& span) const {
  if (!analyzed_) return {{}, "the program has errors, so it generates nothing yet"};
  const auto& whole = c_->program();
  ir::Program part;
  part.environment = whole.environment;
  part.namespaces = whole.namespaces;
  part.pod_cidrs = whole.pod_cidrs;
  part.service_cidrs = whole.service_cidrs;
  for (const auto& r : whole.rules) {
    if (r.origin.statement == span) part.rules.push_back(r);
  }
  for (const auto& d : whole.default_denies) {
    if (d.span == span) part.default_denies.push_back(d);
  }
  if (part.rules.empty() && part.default_denies.empty()) {
    if (environment_) return {{}, "it generates nothing in environment " + *environment_};
    return {{}, "it generates nothing"};
  }
  DiagnosticSink sink;
  auto lowering = driver_options_;
  lowering.k8s.diagnostics_only = false;
  auto objects = driver::lower_program(part, target_, c_->sources(), lowering, sink);
  if (sink.has_errors()) return {{}, "the " + target_ + " target cannot express it (see the diagnostics)"};
  return {emit::to_yaml_stream(objects), {}};
}

}  // namespace fence::lsp
