// fence probe: a connectivity test plan from the program and the inventory (a script that runs it
// with kubectl exec, or the plan as JSON), and, with --results, the observed outcomes compared
// with the plan, each difference explained at the statements responsible.
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "cli/analysis.h"
#include "cli/commands.h"
#include "emit/output.h"
#include "probe/probe.h"

namespace fence::cli {

namespace {

class ProbeCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("probe", "Write a connectivity test plan (a kubectl script, or JSON) from the program and the inventory");
    sub_->description(
        "Write the connections to test before (and after) enforcing the program: for each connection it allows between the\n"
        "inventory's workloads (and to the addresses and names it allows), a probe expected to connect; and the probes expected\n"
        "to be blocked that matter: the same destination and port from a workload that is not allowed, another declared port\n"
        "of an allowed destination, the cloud metadata endpoint (169.254.169.254:80) and the cluster DNS (53/udp) from\n"
        "workloads under egress policy. Each expected answer is the semantic engine's (as `fence why` gives it), citing the\n"
        "statements that decide it; a connection it cannot decide is not probed.");
    sub_->footer(
        "--format script: a POSIX sh script that runs each probe with kubectl exec (nc -z, or /agnhost connect), prints one\n"
        "line per probe and a summary, exits 1 when an outcome differs from the plan, and writes the observed outcomes to\n"
        "the file given as its argument (or RESULTS=FILE). `fence probe --results FILE` (with the same program, inventory\n"
        "and flags) explains each difference, and exits 1 when there is one. See docs/probe.md.\n"
        "Written to standard output, or with -o FILE to FILE as a whole (never half-written).");
    flags_.add_to(*sub_, {"script", "json"});
    sub_->add_option("--max", max_, "At most this many probes; the plan says how many it left out")->capture_default_str()->check(CLI::Range(1, 1000000));
    sub_->add_option("--probe-command", command_, "What runs a probe in the source pod: nc -z -w 2 HOST PORT, or /agnhost connect HOST:PORT")
        ->check(CLI::IsMember({"nc", "agnhost"}))
        ->capture_default_str();
    sub_->add_option("--results", results_, "Compare the outcomes a probe script observed (FILE, or - for standard input) with the plan")
        ->type_name("FILE");
    sub_->add_option("-o,--output", output_, "Write the plan to FILE instead of standard output")->type_name("FILE");
  }

  int run() override {
    if (!results_.empty() && !output_.empty()) throw UsageError{"--results and -o: --results prints its comparison on standard output"};
    std::string results_text;
    if (!results_.empty()) results_text = read_results();
    auto a = run_analysis(flags_, *sub_);
    if (!a.ok) return kExitErrors;
    const auto* inv = a.compilation->inventory();
    if (inv == nullptr) {
      throw UsageError{"fence probe needs the cluster's workloads: give their manifests with --inventory PATH (or `set inventory` in the program)"};
    }
    probe::Options opt;
    opt.analysis = a.options;
    opt.environment = a.environment;
    opt.target = flags_.compile.target;
    opt.max = results_.empty() ? max_ : std::numeric_limits<std::size_t>::max();
    auto plan = probe::make_plan(a.program(), *inv, a.compilation->sources(), opt);
    if (!results_.empty()) return compare(plan, results_text);
    for (const auto& note : plan.notes) std::cerr << "fence: note: " << note << "\n";
    if (plan.probes.empty()) std::cerr << "fence: note: the plan has no probes: no connection between the inventory's workloads is decided\n";
    auto text = flags_.format == "json" ? probe::to_json(plan) : probe::to_script(plan, command_ == "agnhost" ? probe::ProbeCommand::Agnhost : probe::ProbeCommand::Nc);
    if (output_.empty()) {
      print_answer(text);
    } else if (auto err = emit::replace_file(output_, text)) {
      throw UsageError{*err};
    }
    if (plan.left_out > 0) std::cerr << fmt::format("fence: note: {} probes left out by --max {}\n", plan.left_out, max_);
    return kExitOk;
  }

 private:
  std::string read_results() const {
    if (results_ == "-") return read_standard_input();
    std::ifstream in(results_, std::ios::binary);
    if (!in) throw UsageError{fmt::format("--results {}: cannot read it", results_)};
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw UsageError{fmt::format("--results {}: cannot read it", results_)};
    return ss.str();
  }

  int compare(const probe::Plan& plan, const std::string& text) {
    SourceManager sm;
    DiagnosticSink sink;
    auto file = sm.add(results_ == "-" ? "<stdin>" : results_, text);
    auto line_span = [&](std::uint32_t line) {
      const auto& f = sm.file(file);
      Span s{file, 0, 0};
      if (line >= 1 && line <= f.line_starts.size()) {
        s.begin = f.line_starts[line - 1];
        s.end = line < f.line_starts.size() ? f.line_starts[line] - 1 : static_cast<std::uint32_t>(f.text.size());
        if (s.end > s.begin && f.text[s.end - 1] == '\r') --s.end;
      }
      return s;
    };
    std::vector<probe::Observation> observed;
    try {
      observed = probe::parse_results(text);
    } catch (const probe::ResultsError& e) {
      sink.error(Code::E1001, line_span(e.line), e.message)
          .hint("a probe script writes `connected` or `blocked`, a tab, and the probe's id, one line per probe");
      report(sink, sm, flags_.diagnostics);
      return kExitErrors;
    }
    std::map<std::string, bool> ids;
    for (const auto& p : plan.probes) ids[p.id] = true;
    for (const auto& o : observed) {
      if (ids.count(o.id) == 0) {
        sink.warning(Code::W1002, line_span(o.line), fmt::format("'{}' is not a probe of this plan", o.id))
            .hint("compare with the program, inventory, --env and flags the script was written from");
      }
    }
    report(sink, sm, flags_.diagnostics);
    auto c = probe::compare(plan, observed);
    print_answer(c.text);
    return c.discrepancies > 0 ? kExitErrors : kExitOk;
  }

  AnalysisFlags flags_;
  std::size_t max_ = 200;
  std::string command_ = "nc";
  std::string results_;
  std::string output_;
};

}  // namespace

std::unique_ptr<Command> make_probe_command() {
  return std::make_unique<ProbeCommand>();
}

}  // namespace fence::cli
