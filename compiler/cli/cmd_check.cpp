// fence check: every diagnostic the build would give, and no output.
#include "cli/commands.h"
#include "cli/compile_flags.h"

namespace fence::cli {

namespace {

class CheckCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("check", "Report diagnostics without writing anything");
    sub_->description(
        "Compile and report every diagnostic, writing no output. Without --env, a program that declares environments\n"
        "is checked in each of them; a diagnostic that arises in only some says which.");
    flags_.add_to(*sub_, "An environment to check (repeatable; default: every declared one)");
    report_.add_to(*sub_);
  }

  int run() override {
    CompileMode mode;
    mode.explain = report_.verbose;
    auto outcome = compile(flags_, mode);
    bool clean = report(*outcome.compilation, report_);
    return outcome.ok && clean ? kExitOk : kExitErrors;
  }

  int out_of_memory() override { return report_out_of_memory(&report_); }

 private:
  CompileFlags flags_;
  ReportFlags report_;
};

}  // namespace

std::unique_ptr<Command> make_check_command() {
  return std::make_unique<CheckCommand>();
}

}  // namespace fence::cli
