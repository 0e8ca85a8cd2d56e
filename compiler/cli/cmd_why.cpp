// fence why: is one connection allowed, and which statements decide it.
#include "cli/analysis.h"
#include "cli/commands.h"

namespace fence::cli {

namespace {

class WhyCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("why", "Say whether a connection is allowed, and which statements decide it");
    sub_->description(
        "Say whether the program allows a connection, citing the statements responsible (file:line); for a denied\n"
        "connection, say what is missing and which statement would allow it.");
    sub_->footer(
        "Endpoints: NS/NAME (the pod labelled <label-key>=NAME), NS/pods[KEY=VALUE,...] (a pod with these labels),\n"
        "an address or CIDR (203.0.113.7, 10.0.0.0/8, [2001:db8::1]), or a DNS name (api.example.com). Add\n"
        "@ADDRESS to give a pod's or a name's address. --to ends with :PORT[/PROTOCOL]: a number, a port name,\n"
        "or NAME=NUMBER; tcp unless given.\n"
        "The answer is allowed, denied, or undecided (when it depends on facts the program cannot know: a pod's\n"
        "address, a namespace's labels, a port's name). The exit code is 0 whatever the answer: read it from\n"
        "the first word of the output, or from \"allowed\" (true, false or null) with --format json.\n"
        "With --target, the program must also compile for that target.");
    flags_.add_to(*sub_);
    sub_->add_option("--from", from_, "Where the connection starts")->required()->type_name("ENDPOINT");
    sub_->add_option("--to", to_, "Where it goes, and on which port")->required()->type_name("ENDPOINT:PORT[/PROTOCOL]");
  }

  int run() override {
    auto from = parse_query("--from", from_, false);
    auto to = parse_query("--to", to_, true);
    if (!from.endpoint.is_pod() && !to.endpoint.is_pod()) {
      throw UsageError{"--from and --to: one end must be a pod (NS/NAME or NS/pods[...]): Fence's rules are about pods"};
    }
    auto a = run_analysis(flags_, *sub_);
    if (!a.ok) return kExitErrors;
    bind_query(a, "--from", from);
    bind_query(a, "--to", to);
    auto verdict = analyze::why(a.program(), from.endpoint, to.endpoint, *to.port, a.options);
    auto ctx = a.report_context();
    print_answer(flags_.format == "json" ? analyze::why_json(verdict, ctx) : analyze::why_text(verdict, ctx));
    return kExitOk;
  }

 private:
  AnalysisFlags flags_;
  std::string from_;
  std::string to_;
};

}  // namespace

std::unique_ptr<Command> make_why_command() {
  return std::make_unique<WhyCommand>();
}

}  // namespace fence::cli
