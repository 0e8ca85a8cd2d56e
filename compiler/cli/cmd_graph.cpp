// fence graph: the program's connections as a diagram (Mermaid, Graphviz DOT, or SVG through
// Graphviz), each edge the semantic engine's answer on both sides, citing its statements.
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "cli/analysis.h"
#include "cli/commands.h"
#include "emit/output.h"
#include "graph/graph.h"
#include "graph/render.h"

namespace fence::cli {

namespace {

class GraphCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("graph", "Draw who may reach whom, on which ports, as Mermaid, Graphviz DOT or SVG");
    sub_->description(
        "Draw the program's connections: workloads and pod groups in their namespaces, address groups, DNS names and\n"
        "entities, with an edge for each pair the statements relate, as the semantic engine answers it on both sides\n"
        "(the source's egress and the destination's ingress): allowed, allowed by one side only, denied, undecided,\n"
        "or blocked by an `except`. Each edge names its ports and the statements that decide it.");
    sub_->footer(
        "Large programs: --level namespace draws one node per namespace; --namespace NS keeps what touches NS;\n"
        "--workload NS/NAME draws one workload and its neighbours. --format svg runs Graphviz's `dot`.\n"
        "Written to standard output, or with -o FILE to FILE as a whole (never half-written).");
    flags_.add_to(*sub_, {"mermaid", "dot", "svg"});
    auto* ns = sub_->add_option("--namespace", namespace_, "Draw only what touches this namespace")->type_name("NS");
    sub_->add_option("-w,--workload", workload_, "Draw only this workload and its neighbours")->type_name("NS/NAME")->excludes(ns);
    sub_->add_option("--level", level_, "One node per workload, or per namespace")
        ->check(CLI::IsMember({"workload", "namespace"}))
        ->capture_default_str();
    sub_->add_option("-o,--output", output_, "Write the graph to FILE instead of standard output")->type_name("FILE");
  }

  int run() override {
    std::optional<analyze::EndpointWithPort> w;
    if (!workload_.empty()) {
      w = parse_query("--workload", workload_, false);
      if (!w->endpoint.is_pod()) throw UsageError{"--workload " + workload_ + ": graph centres on pods: write NS/NAME or NS/pods[KEY=VALUE,...]"};
    }
    std::optional<std::string> dot;
    if (flags_.format == "svg") {
      dot = graph::find_dot();
      if (!dot) {
        throw UsageError{
            "--format svg lays the graph out with Graphviz's `dot`, which is not on PATH: install Graphviz (Debian: apt-get install "
            "graphviz), or write --format dot and render it elsewhere"};
      }
    }
    auto a = run_analysis(flags_, *sub_);
    if (!a.ok) return kExitErrors;
    graph::Options opt;
    opt.analysis = a.options;
    opt.level = level_ == "namespace" ? graph::Level::Namespace : graph::Level::Workload;
    if (w) {
      bind_query(a, "--workload", *w);
      opt.workload = w->endpoint;
    }
    if (!namespace_.empty()) {
      auto known = graph::namespaces_named(a.program());
      if (std::find(known.begin(), known.end(), namespace_) == known.end()) {
        throw UsageError{fmt::format("--namespace {}: the program does not name it; it names {}", namespace_,
                                     known.empty() ? std::string("no namespace") : fmt::format("{}", fmt::join(known, ", ")))};
      }
      opt.ns = namespace_;
    }
    auto g = graph::build(a.program(), a.compilation->loaded(), a.compilation->sources(), opt);
    for (const auto& note : g.notes) std::cerr << "fence: note: " << note << "\n";
    std::string text;
    if (flags_.format == "mermaid") {
      text = graph::to_mermaid(g);
    } else {
      text = graph::to_dot(g);
      if (dot) {
        auto svg = graph::render_svg(*dot, text);
        if (!svg.error.empty()) throw UsageError{"--format svg: " + svg.error};
        text = std::move(svg.svg);
      }
    }
    if (output_.empty()) {
      print_answer(text);
    } else if (auto err = emit::replace_file(output_, text)) {
      throw UsageError{*err};
    }
    return kExitOk;
  }

 private:
  AnalysisFlags flags_;
  std::string namespace_;
  std::string workload_;
  std::string level_ = "workload";
  std::string output_;
};

}  // namespace

std::unique_ptr<Command> make_graph_command() {
  return std::make_unique<GraphCommand>();
}

}  // namespace fence::cli
