// fence build: compile to YAML, on stdout or as one file per object under -o DIR.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/compile_flags.h"
#include "emit/output.h"
#include "emit/yaml.h"

namespace fence::cli {

namespace {

bool write_stdout(const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    auto n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

class BuildCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("build", "Compile Fence sources to manifests");
    sub_->footer(
        "Without -o, writes one YAML stream to stdout. With -o DIR, writes one file per object as\n"
        "DIR/<namespace>/<kind>-<name>.yaml (cluster-wide objects under DIR/cluster/, and one folder level per\n"
        "environment and per target when several are built: DIR/<env>/<target>/...) and replaces DIR as a whole.\n"
        "On any error nothing is written.\n"
        "Exit codes: 0 success (warnings allowed), 1 the program has errors, 2 usage or I/O errors.");
    flags_.add_to(*sub_);
    sub_->add_option("-o,--output", output_, "Write one file per object into this directory (replaced as a whole)")->type_name("DIR");
  }

  int run() override {
    auto outcome = compile(flags_, false);
    if (!outcome.ok) return kExitErrors;
    bool by_target = flags_.chosen_targets().size() > 1;
    if (output_.empty()) {
      std::string stream;
      for (const auto& [key, objects] : outcome.objects) stream += emit::to_yaml_stream(objects);
      if (!write_stdout(stream)) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
      return kExitOk;
    }
    std::vector<emit::OutputFile> files;
    // One folder level per environment when several are built (or all were asked for), and one
    // per target when several are: DIR/<env>/<target>/<namespace>/...
    std::set<std::string> envs;
    for (const auto& [key, objects] : outcome.objects) envs.insert(key.first);
    bool by_env = envs.size() > 1 || (outcome.multi_env && flags_.all_envs);
    for (const auto& [key, objects] : outcome.objects) {
      std::string prefix;
      if (by_env) prefix = key.first;
      if (by_target) prefix = prefix.empty() ? key.second : prefix + "/" + key.second;
      for (auto& f : emit::layout(objects, prefix)) files.push_back(std::move(f));
    }
    if (auto err = emit::replace_directory(output_, files)) throw UsageError{*err};
    return kExitOk;
  }

 private:
  CompileFlags flags_;
  std::string output_;
};

}  // namespace

std::unique_ptr<Command> make_build_command() {
  return std::make_unique<BuildCommand>();
}

}  // namespace fence::cli
