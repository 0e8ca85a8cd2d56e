// fence check: every diagnostic the build would give, and no output.
#include "cli/commands.h"
#include "cli/compile_flags.h"

namespace fence::cli {

namespace {

class CheckCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("check", "Report every diagnostic, writing no output");
    sub_->footer(
        "Compiles as build does and reports every diagnostic, writing nothing. Without --env, a program that\n"
        "declares environments is checked in each of them.\n"
        "Exit codes: 0 no errors (warnings allowed), 1 the program has errors, 2 usage or I/O errors.");
    flags_.add_to(*sub_);
  }

  int run() override { return compile(flags_, true).ok ? kExitOk : kExitErrors; }

 private:
  CompileFlags flags_;
};

}  // namespace

std::unique_ptr<Command> make_check_command() {
  return std::make_unique<CheckCommand>();
}

}  // namespace fence::cli
