// fence explain: everything one workload may send and receive, with the statements that allow it.
#include "cli/analysis.h"
#include "cli/commands.h"

namespace fence::cli {

namespace {

class ExplainCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("explain", "List what a workload may send and receive, with the statements that allow it");
    sub_->description("List what a workload may send and receive, per direction, each line citing its statements (file:line).");
    sub_->footer(
        "The workload is NS/NAME (the pod labelled <label-key>=NAME) or NS/pods[KEY=VALUE,...]. Each direction says\n"
        "whether the workload is isolated and by what, then every peer and port it may reach or be reached by (or\n"
        "must not). For a peer named by namespace and labels, explain also says whether the other end's policy\n"
        "admits the connection.");
    flags_.add_to(*sub_);
    sub_->add_option("-w,--workload", workload_, "The workload to explain")->required()->type_name("NS/NAME");
  }

  int run() override {
    auto w = parse_query("--workload", workload_, false);
    if (!w.endpoint.is_pod()) throw UsageError{"--workload " + workload_ + ": explain describes pods: write NS/NAME or NS/pods[KEY=VALUE,...]"};
    auto a = run_analysis(flags_, *sub_);
    if (!a.ok) return kExitErrors;
    bind_query(a, "--workload", w);
    auto e = analyze::explain(a.program(), w.endpoint, a.options);
    auto ctx = a.report_context();
    print_answer(flags_.format == "json" ? analyze::explain_json(e, ctx) : analyze::explain_text(e, ctx));
    return kExitOk;
  }

 private:
  AnalysisFlags flags_;
  std::string workload_;
};

}  // namespace

std::unique_ptr<Command> make_explain_command() {
  return std::make_unique<ExplainCommand>();
}

}  // namespace fence::cli
