// fence build: compile to YAML, on stdout or as a tree of files under -o DIR; with --check,
// compare DIR with what the source compiles to instead of writing it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/compile_flags.h"
#include "emit/output.h"
#include "emit/yaml.h"

namespace fence::cli {

namespace {

namespace fs = std::filesystem;

// The byte range of each line of `text`, without its newline.
std::vector<std::pair<std::uint32_t, std::uint32_t>> lines_of(const std::string& text) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  std::uint32_t start = 0;
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      out.emplace_back(start, i);
      start = i + 1;
    }
  }
  if (start < text.size()) out.emplace_back(start, static_cast<std::uint32_t>(text.size()));
  return out;
}

// Reports each difference between the output directory and the build as an error at the file
// (and line) that differs, so that text, JSON and SARIF reports all carry them.
void report_drift(driver::Compilation& c, const std::string& dir, const std::vector<emit::Drift>& drift, std::size_t files) {
  auto& sm = c.sources();
  auto& sink = c.sink();
  std::string rebuild = fmt::format("run the same `fence build -o {}` without --check, and commit the result", dir);
  for (const auto& d : drift) {
    std::string shown = d.path.empty() ? dir : (fs::path(dir) / d.path).lexically_normal().generic_string();
    switch (d.kind) {
      case emit::Drift::Kind::Missing: {
        auto id = sm.add(shown, "");
        auto msg = d.path.empty() ? fmt::format("the output directory does not exist; the source compiles to {} files", files)
                                  : std::string("this file is missing: the source compiles to it");
        sink.error(Code::E0702, Span{id, 0, 0}, msg).hint(rebuild);
        break;
      }
      case emit::Drift::Kind::Extra: {
        auto id = sm.add(shown, d.actual);
        auto first = lines_of(d.actual);
        std::uint32_t end = first.empty() ? 0 : first.front().second;
        sink.error(Code::E0703, Span{id, 0, end}, "no object compiles to this file: a build would remove it").hint(rebuild);
        break;
      }
      case emit::Drift::Kind::Changed: {
        auto id = sm.add(shown, d.actual);
        auto have = lines_of(d.actual);
        auto want = lines_of(d.expected);
        std::size_t i = 0;
        auto line = [](const std::string& text, std::pair<std::uint32_t, std::uint32_t> r) { return text.substr(r.first, r.second - r.first); };
        while (i < have.size() && i < want.size() && line(d.actual, have[i]) == line(d.expected, want[i])) ++i;
        Span at = i < have.size() ? Span{id, have[i].first, have[i].second}
                                  : Span{id, static_cast<std::uint32_t>(d.actual.size()), static_cast<std::uint32_t>(d.actual.size())};
        auto& diag = sink.error(Code::E0701, at, "this file is not what the source compiles to");
        if (i < want.size()) {
          diag.note(Span{}, fmt::format("the source compiles line {} to: {}", i + 1, line(d.expected, want[i])));
        } else {
          diag.note(Span{}, fmt::format("the source compiles this file to {} lines; this one has more", want.size()));
        }
        diag.hint(rebuild);
        break;
      }
    }
  }
}

class BuildCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("build", "Compile Fence sources to Kubernetes manifests");
    sub_->description(
        "Compile Fence sources to manifests. Without -o, writes one YAML stream to stdout, for one environment. With -o DIR,\n"
        "writes DIR[/<env>][/<target>]/<namespace>/<kind>-<name>.yaml plus kustomization.yaml files, and replaces DIR as\n"
        "a whole; a program that declares environments gets a directory per environment unless one --env is given.\n"
        "With --check, compares DIR with what the source compiles to, writes nothing, and exits 1 when they differ.\n"
        "On any error nothing is written.");
    flags_.add_to(*sub_, "The environment to build (repeatable with -o)");
    report_.add_to(*sub_);
    sub_->add_option("-o,--output", output_,
                     "Write one file per object into this directory (replaced as a whole: the files are written to .DIR.fence-tmp-<pid> "
                     "beside it first; a build that is killed leaves that behind, and the next build into the same parent removes it)")
        ->type_name("DIR");
    sub_->add_flag("--check", check_, "With -o: report how DIR differs from what the source compiles to, and write nothing");
  }

  int run() override {
    bool to_dir = !output_.empty();
    if (check_ && !to_dir) throw UsageError{"--check compares an output directory: give it with -o DIR"};
    if (!to_dir && report_.machine()) {
      throw UsageError{fmt::format("--format {} prints the report on standard output, which holds the YAML without -o: add -o DIR, or run `fence check`",
                                   report_.format)};
    }
    if (!to_dir && (flags_.all_envs || flags_.envs.size() > 1)) {
      throw UsageError{"several environments are built into a directory each: add -o DIR, or choose one environment with --env"};
    }
    CompileMode mode{to_dir ? EnvDefault::Every : EnvDefault::Insist};
    mode.explain = report_.verbose;
    auto outcome = compile(flags_, mode);
    auto& c = *outcome.compilation;
    if (!outcome.ok) {
      report(c, report_);
      return kExitErrors;
    }
    if (!to_dir && outcome.targets.size() > 1 && !(flags_.target_given() && flags_.target == "all")) {
      throw UsageError{fmt::format("the program builds for several targets ({}): add -o DIR for a tree per target, or choose one with --target",
                                   fmt::join(outcome.targets, ", "))};
    }
    if (!to_dir) {
      report(c, report_);
      // Written a megabyte at a time, not gathered into one string: the objects' YAML is in
      // memory already, and the copy of the whole stream (with the temporary it was appended
      // from) was a fifth of the peak RSS.
      std::string chunk;
      auto flush = [&] {
        if (!write_all(STDOUT_FILENO, chunk)) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
        chunk.clear();
      };
      for (const auto& r : outcome.envs) {
        for (const auto& [target, objects] : r.objects) {
          for (const auto& o : objects) {
            emit::append_to_stream(chunk, o);
            if (chunk.size() >= (std::size_t{1} << 20)) flush();
          }
        }
      }
      flush();
      return kExitOk;
    }

    // The files take the objects' YAML: nothing below needs it, and the build holds it once.
    std::vector<emit::Unit> units;
    for (auto& r : outcome.envs) {
      for (auto& [target, objects] : r.objects) units.push_back(emit::Unit{r.env.value_or(""), target, nullptr, &objects});
    }
    emit::TreeShape shape;
    shape.env_dirs = !outcome.declared.empty() && (flags_.all_envs || flags_.envs.size() != 1);
    shape.target_dirs = outcome.targets.size() > 1 || (flags_.target_given() && flags_.target == "all");
    auto files = emit::output_tree(units, shape);

    if (check_) {
      auto cmp = emit::compare_directory(output_, files);
      if (cmp.error) throw UsageError{*cmp.error};
      report_drift(c, output_, cmp.drift, files.size());
      return report(c, report_) ? kExitOk : kExitErrors;
    }
    report(c, report_);
    if (auto err = emit::replace_directory(output_, files)) throw UsageError{*err};
    return kExitOk;
  }

  int out_of_memory() override { return report_out_of_memory(&report_); }

 private:
  CompileFlags flags_;
  ReportFlags report_;
  std::string output_;
  bool check_ = false;
};

}  // namespace

std::unique_ptr<Command> make_build_command() {
  return std::make_unique<BuildCommand>();
}

}  // namespace fence::cli
