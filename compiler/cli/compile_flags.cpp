#include "cli/compile_flags.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "check/suppress.h"
#include "cli/commands.h"
#include "cli/memory.h"
#include "driver/driver.h"
#include "inventory/load.h"
#include "net/names.h"

#ifndef FENCE_VERSION
#define FENCE_VERSION "0.0.0"
#endif

namespace fence::cli {

void ReportFlags::add_to(CLI::App& sub) {
  sub.add_option("--format", format, "How to report diagnostics: text on stderr, or one json or sarif (2.1.0) document on stdout")
      ->check(CLI::IsMember({"text", "json", "sarif"}))
      ->capture_default_str();
  sub.add_flag("-q,--quiet", quiet, "Report errors only: no warnings, no summary line");
  sub.add_flag("--verbose", verbose, "Also report the infos that explain what statements do (I0616, I0617)");
  sub.add_option("--color", color, "Colour in text diagnostics (auto: only on a terminal, and never when NO_COLOR is set)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
}

ColorMode ReportFlags::color_mode() const {
  if (color == "always") return ColorMode::Always;
  if (color == "never") return ColorMode::Never;
  return ColorMode::Auto;
}

DiagFormat ReportFlags::diag_format() const {
  return parse_diag_format(format).value_or(DiagFormat::Text);
}

void CompileFlags::add_to(CLI::App& sub, const std::string& envs_help) {
  std::vector<std::string> choices = driver::targets();
  if (choices.size() > 1) choices.push_back("all");
  sub.add_option("inputs", inputs, "Fence source files, directories to search for *.fence files, or - for standard input")
      ->required()
      ->type_name("FILE|DIR|-");
  target_option = sub.add_option("-t,--target", target, "What to compile to (default: the program's `targets`, else k8s)")
                      ->check(CLI::IsMember(choices))
                      ->capture_default_str();
  // One value per --env, so that `--env prod shop.fence` leaves the file to the inputs.
  sub.add_option("-e,--env", envs, envs_help)->type_name("ENV")->allow_extra_args(false);
  sub.add_flag("--all-envs", all_envs, "Every environment the program declares");
  sub.add_flag("--allow-l4-fallback", allow_l4_fallback, "For --target k8s: allow HTTP rules' ports without the rules, with a warning each");
  sub.add_flag("--staged", staged,
               "For --target calico: StagedNetworkPolicy and StagedGlobalNetworkPolicy, which Calico evaluates without enforcing, "
               "for a rollout in steps (docs/targets.md)");
  cnp_channel_option = sub.add_option("--cnp-channel", cnp_channel,
                 "For --target cnp: the ClusterNetworkPolicy CRD's channel; experimental adds egress domainNames and nodes peers")
      ->check(CLI::IsMember({"standard", "experimental"}))
      ->capture_default_str();
  sub.add_flag("--werror", werror, "Treat warnings as errors (silenced ones aside)");
  sub.add_option("--allow", allow, "Silence a warning or info code everywhere (repeatable), e.g. --allow W0603")
      ->type_name("CODE")
      ->check(CLI::Validator([](std::string& code) { return check::why_not_silenceable(code); }, "CODE", "code"));
  sub.add_option("--max-memory", max_memory,
                 "Stop with error E0106 (exit 2) when compiling needs more memory than this, e.g. 4G or 512M; none: no limit; auto: 3/4 "
                 "of the machine's (or the control group's) memory")
      ->type_name("SIZE")
      ->capture_default_str()
      ->check(CLI::Validator([](std::string& v) { return memory::parse_size(v) ? std::string() : std::string("expected a size such as 4G, 512M, none or auto"); },
                             "SIZE", "size"));
  sub.add_option("--max-file-size", max_file_size, "Refuse source files larger than this (E0105), at most 1G")
      ->type_name("SIZE")
      ->capture_default_str();
  sub.add_option("--inventory", inventory,
                 "Manifests of the cluster's workloads, to check names, namespaces and ports against: a file, or a directory of "
                 "*.yaml, *.yml and *.json, or - for standard input (repeatable; replaces the program's `set inventory`)")
      ->type_name("PATH")
      ->allow_extra_args(false);
  sub.add_option("--root", root,
                 "The project root: source paths (in diagnostics and the fence.dev/source annotation) are relative to it. Default: "
                 "the directory of the nearest fence.toml at or above the inputs, else the inputs' common directory")
      ->type_name("DIR");
  sub.add_option("--inventory-namespace", inventory_namespace, "The namespace of inventory objects that name none")
      ->type_name("NS")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& ns) {
            auto why = net::check_dns_label(ns);
            return why.empty() ? std::string() : fmt::format("'{}' is not a valid namespace name: {}", ns, why);
          },
          "NS", "namespace"));
}

driver::Options CompileFlags::driver_options() const {
  driver::Options opt;
  opt.k8s.allow_l4_fallback = allow_l4_fallback;
  opt.calico.staged = staged;
  opt.cnp_channel = cnp_channel == "experimental" ? lower::cnp::Channel::Experimental : lower::cnp::Channel::Standard;
  opt.loader.max_file_bytes = max_file_bytes();
  opt.policy.werror = werror;
  for (const auto& code : allow) opt.policy.allowed.push_back(find_code(code)->code);
  for (const auto& path : inventory) {
    if (path == "-") {
      if (std::find(inputs.begin(), inputs.end(), "-") != inputs.end()) {
        throw UsageError{"--inventory -: standard input holds the program already; give the inventory as a file"};
      }
      if (!opt.inventory_stdin) opt.inventory_stdin = read_standard_input();
      continue;
    }
    auto found = inventory::expand(path);
    if (!found.problem.empty()) throw UsageError{"--inventory " + found.problem};
  }
  opt.inventory = inventory;
  opt.inventory_namespace = inventory_namespace;
  if (!root.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(root, ec)) throw UsageError{fmt::format("--root {}: not a directory", root)};
  }
  opt.project_paths = true;
  opt.root = root;
  return opt;
}

std::size_t CompileFlags::max_file_bytes() const {
  auto v = memory::parse_size(max_file_size);
  if (!v || *v == 0 || *v > sema::kMaxFileBytesCeiling || max_file_size == "auto") {
    throw UsageError{fmt::format("--max-file-size {}: expected a size from 1 to 1G, such as 64M", max_file_size)};
  }
  return *v;
}

void apply_memory_limit(const CompileFlags& flags) {
  auto limit = memory::parse_size(flags.max_memory);
  if (!limit) throw UsageError{fmt::format("--max-memory {}: expected a size such as 4G, 512M, none or auto", flags.max_memory)};
  memory::set_limit(*limit);
}

int Command::out_of_memory() {
  return report_out_of_memory(nullptr);
}

int report_out_of_memory(const ReportFlags* flags) {
  auto limit = memory::limit();
  memory::set_limit(0);  // reporting needs a little memory; what the compilation held is freed
  SourceManager sm;
  DiagnosticSink sink;
  auto& d = limit != 0 ? sink.error(Code::E0106, Span{}, fmt::format("fence ran out of memory: compiling this needs more than the {} --max-memory allows",
                                                                   memory::format_size(limit)))
                       : sink.error(Code::E0106, Span{}, "fence ran out of memory: the system could not give it more");
  d.hint("allow more with --max-memory SIZE (the default, auto, is 3/4 of the machine's memory), or split the program into parts built "
         "separately");
  ReportFlags text;
  if (flags == nullptr) flags = &text;
  RenderOptions opt;
  opt.errors_only = flags->quiet;
  opt.tool_version = FENCE_VERSION;
  auto format = flags->diag_format();
  if (format == DiagFormat::Text) {
    opt.color = use_color(flags->color_mode(), STDERR_FILENO);
    std::cerr << render_all(sink, sm, opt);
    std::cerr.flush();
  } else {
    write_all(STDOUT_FILENO, render(format, sink, sm, opt));
  }
  return kExitUsage;
}

std::vector<std::string> CompileFlags::chosen_targets(const std::vector<std::string>& program_targets) const {
  std::vector<std::string> out;
  if (!target_given()) {
    out = program_targets.empty() ? std::vector<std::string>{target} : program_targets;
  } else if (target == "all") {
    out = program_targets.empty() ? driver::targets() : program_targets;
  } else if (!program_targets.empty() && std::find(program_targets.begin(), program_targets.end(), target) == program_targets.end()) {
    throw UsageError{fmt::format("--target {}: the program builds for {} only (its `targets` line)", target, fmt::join(program_targets, ", "))};
  } else {
    out = {target};
  }
  // A flag for a target that is not built would be ignored: say so rather than build without it.
  auto builds = [&](const char* t) { return std::find(out.begin(), out.end(), t) != out.end(); };
  if (staged && !builds("calico")) {
    throw UsageError{fmt::format("--staged is for the calico target, and this builds for {}: add --target calico, or leave --staged out",
                                 fmt::join(out, ", "))};
  }
  if (cnp_channel_option != nullptr && cnp_channel_option->count() > 0 && !builds("cnp")) {
    throw UsageError{fmt::format("--cnp-channel is for the cnp target, and this builds for {}: add --target cnp, or leave --cnp-channel out",
                                 fmt::join(out, ", "))};
  }
  return out;
}

namespace {

// The diagnostics each environment's (and, per target, each target's) analysis and lowering
// added, as a range of the sink. `target` is empty when the analysis does not depend on it.
struct UnitRange {
  std::string env;
  std::string target;
  std::size_t begin = 0, end = 0;
};

std::string quoted_list(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back("'" + n + "'");
  if (q.size() == 1) return q[0];
  auto last = q.back();
  q.pop_back();
  return fmt::format("{} and {}", fmt::join(q, ", "), last);
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// Where a diagnostic arises, for its note: "environment 'staging'", "target 'k8s'",
// "environment 'prod' with target 'cilium'", or the pairs themselves.
std::string where_seen(const std::vector<std::pair<std::string, std::string>>& seen, std::size_t all_envs, std::size_t all_targets) {
  std::vector<std::string> envs, targets;
  for (const auto& [e, t] : seen) {
    add_unique(envs, e);
    add_unique(targets, t);
  }
  auto env_part = [&] { return fmt::format("environment{} {}", envs.size() == 1 ? "" : "s", quoted_list(envs)); };
  auto target_part = [&] { return fmt::format("target{} {}", targets.size() == 1 ? "" : "s", quoted_list(targets)); };
  if (seen.size() == envs.size() * targets.size()) {
    bool every_env = envs.size() == all_envs, every_target = targets.size() == all_targets;
    if (every_target || targets.front().empty()) return env_part();
    if (every_env || envs.front().empty()) return target_part();
    return env_part() + " with " + target_part();
  }
  std::vector<std::string> pairs;
  for (const auto& [e, t] : seen) pairs.push_back(fmt::format("environment '{}' with target '{}'", e, t));
  return fmt::format("{}", fmt::join(pairs, "; "));
}

// Compiling several environments (or targets) reports what they share once each, and says which
// environments (targets) the rest arise in, unless the message names them already.
void merge_units(DiagnosticSink& sink, const std::vector<UnitRange>& ranges) {
  if (ranges.size() < 2) return;
  auto diags = sink.raw();
  using Key = std::tuple<int, FileId, std::uint32_t, std::uint32_t, std::string, int>;
  auto key_of = [](const Diagnostic& d) {
    return Key{static_cast<int>(d.code), d.span.file, d.span.begin, d.span.end, d.message, static_cast<int>(d.severity)};
  };
  std::vector<std::string> all_envs, all_targets;
  for (const auto& r : ranges) {
    add_unique(all_envs, r.env);
    add_unique(all_targets, r.target);
  }
  std::vector<Diagnostic> out(diags.begin(), diags.begin() + static_cast<std::ptrdiff_t>(ranges.front().begin));
  std::map<Key, std::size_t> first;  // index into `out`
  std::map<std::size_t, std::vector<std::pair<std::string, std::string>>> seen_in;
  for (const auto& r : ranges) {
    for (std::size_t i = r.begin; i < r.end; ++i) {
      auto k = key_of(diags[i]);
      auto [it, fresh] = first.emplace(k, out.size());
      if (fresh) out.push_back(diags[i]);
      add_unique(seen_in[it->second], std::pair{r.env, r.target});
    }
  }
  for (auto& [index, seen] : seen_in) {
    if (seen.size() == ranges.size()) continue;
    auto& d = out[index];
    bool named = std::all_of(seen.begin(), seen.end(), [&](const auto& p) {
      auto in_message = [&](const std::string& n) { return n.empty() || d.message.find("'" + n + "'") != std::string::npos; };
      return in_message(p.first) && in_message(p.second);
    });
    if (named) continue;
    d.note(Span{}, "only when building for " + where_seen(seen, all_envs.size(), all_targets.size()));
  }
  sink.replace(std::move(out));
}

}  // namespace

CompileOutcome compile(const CompileFlags& flags, const CompileMode& mode) {
  CompileOutcome out;
  apply_memory_limit(flags);
  auto opt = flags.driver_options();
  opt.explain = mode.explain;
  auto inputs = read_inputs(flags.inputs, flags.max_file_bytes());
  out.compilation = std::make_unique<driver::Compilation>(opt);
  auto& c = *out.compilation;
  if (!c.load(inputs)) {
    // After syntax errors, what parsed is still analyzed, for its errors: once, for the first
    // environment asked for (or declared), so that values given per environment have one.
    if (!c.loaded().ok && c.loaded().resolvable && !c.loaded().files.empty()) {
      std::optional<std::string> env;
      const auto& declared = c.environments();
      if (!flags.envs.empty() && std::find(declared.begin(), declared.end(), flags.envs.front()) != declared.end()) {
        env = flags.envs.front();
      } else if (!declared.empty()) {
        env = declared.front();
      }
      c.analyze(env);
    }
    return out;
  }
  out.declared = c.environments();
  auto envs = choose_environments(out.declared, flags.envs, flags.all_envs, mode.env_default == EnvDefault::Every);
  out.targets = flags.chosen_targets(c.program_targets());
  std::vector<UnitRange> ranges;
  bool ok = true;
  // A program that means something different per target is analyzed once per target; any other
  // once per environment, and lowered to each target.
  std::vector<std::optional<std::string>> analyses;
  if (c.per_target()) {
    for (const auto& t : out.targets) analyses.emplace_back(t);
  } else {
    analyses.emplace_back(std::nullopt);
  }
  for (const auto& env : envs) {
    EnvResult r;
    r.env = env;
    r.ok = true;
    for (const auto& analysis_target : analyses) {
      UnitRange range{env.value_or(""), analysis_target.value_or(""), c.sink().raw().size(), 0};
      std::vector<std::string> lower_to;
      if (mode.lower) lower_to = analysis_target ? std::vector<std::string>{*analysis_target} : out.targets;
      // The lowering runs while the checks do (Compilation::analyze), on the second core.
      bool analyzed = c.analyze(env, analysis_target, lower_to);
      if (analyzed) {
        if (mode.keep_ir && analysis_target == analyses.front()) r.program = c.program();
        for (const auto& t : lower_to) {
          auto errors_before = c.sink().error_count() + c.sink().dropped();
          auto objects = c.lower(t);
          if (c.sink().error_count() + c.sink().dropped() > errors_before) {
            r.ok = false;
            continue;
          }
          r.objects[t] = std::move(objects);
        }
      }
      r.ok = r.ok && analyzed;
      range.end = c.sink().raw().size();
      ranges.push_back(range);
    }
    ok = ok && r.ok;
    out.envs.push_back(std::move(r));
  }
  merge_units(c.sink(), ranges);
  out.ok = ok && !c.sink().has_errors();
  return out;
}

bool report(const driver::Compilation& c, const ReportFlags& flags) {
  return report(c.sink(), c.sources(), flags, c.root());
}

bool report(const DiagnosticSink& sink, const SourceManager& sm, const ReportFlags& flags, const std::string& root) {
  RenderOptions opt;
  opt.root = root;
  opt.errors_only = flags.quiet;
  opt.verbose = flags.verbose;
  opt.tool_version = FENCE_VERSION;
  auto format = flags.diag_format();
  if (format == DiagFormat::Text) {
    opt.color = use_color(flags.color_mode(), STDERR_FILENO);
    std::cerr << render_all(sink, sm, opt);
    std::cerr.flush();
  } else if (!write_all(STDOUT_FILENO, render(format, sink, sm, opt))) {
    throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
  }
  return !sink.has_errors();
}

}  // namespace fence::cli
