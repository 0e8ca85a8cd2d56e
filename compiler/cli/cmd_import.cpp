// fence import: NetworkPolicy / CiliumNetworkPolicy YAML, or Hubble flows, to a Fence program.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/compile_flags.h"
#include "diag/render.h"
#include "driver/driver.h"
#include "import/flows.h"
#include "import/import.h"
#include "net/names.h"

namespace fence::cli {

namespace {

namespace fs = std::filesystem;

// Writes `text` to `path` through a temporary file in the same directory, so that the file is
// either the old one or the whole new one.
void write_file_atomically(const std::string& path, const std::string& text) {
  fs::path target(path);
  auto dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  auto tmp = dir / fmt::format(".{}.fence-import-{}", target.filename().string(), ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError{fmt::format("cannot write '{}': {}", path, std::strerror(errno))};
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw UsageError{fmt::format("cannot write '{}': {}", path, std::strerror(errno))};
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw UsageError{fmt::format("cannot write '{}': {}", path, ec.message())};
  }
}

class ImportCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("import", "Turn NetworkPolicy or CiliumNetworkPolicy YAML, or Hubble flows, into a Fence program");
    sub_->description(
        "Read NetworkPolicy, CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy YAML and write the Fence program that\n"
        "means the same: a block per namespace, default denies, workload names, `may reach` for both sides of a\n"
        "connection, and a comment naming the objects behind each statement. What Fence cannot express exactly is an\n"
        "error naming the object and field; nothing is dropped or widened. --verify compares what the program admits\n"
        "with what the YAML admits. With --flows, read Hubble flow logs instead and write the intents they show.");
    sub_->footer(
        "Inputs: YAML or JSON files, directories (every *.yaml, *.yml and *.json below them), or - for standard input.\n"
        "Objects without metadata.namespace go where `kubectl apply` puts them: 'default', or --namespace.\n"
        "Exit codes: 0 written, 1 the input cannot be imported exactly (or --verify found a difference), 2 usage or I/O\n"
        "error. Nothing is written unless the whole import succeeds.\n"
        "See docs/import.md.");
    sub_->add_option("inputs", inputs_, "YAML files, directories, or - for standard input")->type_name("FILE|DIR|-");
    sub_->add_option("-o,--output", output_, "Write the program to FILE (replaced whole) instead of standard output")->type_name("FILE");
    sub_->add_option("-n,--namespace", namespace_, "The namespace of objects that name none (default: default)")->type_name("NS");
    sub_->add_flag("--verify", verify_, "Compile the program and compare what it admits with what the input admits");
    sub_->add_option("--flows", flows_, "Read Hubble flow logs (`hubble observe -o json`, one flow per line) instead of policies")
        ->type_name("FILE|-");
    report_.add_to(*sub_);
  }

  int run() override {
    if (report_.machine() && output_.empty()) throw UsageError{"--format json|sarif reports on standard output: write the program with -o FILE"};
    if (!flows_.empty()) return run_flows();
    if (inputs_.empty()) throw UsageError{"no input: name YAML files or directories, `-` for standard input, or --flows FILE"};
    auto inputs = read_inputs(inputs_, {".yaml", ".yml", ".json"}, "YAML files");
    SourceManager sm;
    DiagnosticSink sink;
    std::vector<FileId> files;
    for (auto& in : inputs) files.push_back(sm.add(in.path, std::move(in.text)));
    import::ReadOptions opt;
    if (!namespace_.empty()) {
      opt.namespace_name = namespace_;
      auto why = net::check_dns_label(namespace_);
      if (!why.empty()) throw UsageError{fmt::format("--namespace {}: not a valid namespace name: {}", namespace_, why)};
    }
    auto imported = import::read(files, sm, opt, sink);
    if (sink.has_errors()) {
      print(sink, sm);
      return kExitErrors;
    }
    auto text = import::write(imported);

    // The program must compile: that it does not is a bug in fence import, never the user's.
    driver::Options dopt;
    dopt.run_checks = true;
    driver::Compilation c(dopt);
    std::string shown = output_.empty() ? std::string("<import>") : output_;
    bool ok = c.load({{shown, text}}) && c.analyze(std::nullopt);
    if (ok) c.lower(imported.cilium ? "cilium" : "k8s");
    if (!ok || c.sink().has_errors()) {
      print(sink, sm);
      std::cerr << render_all(c.sink(), c.sources());
      std::cerr << "fence: internal error: the imported program does not compile\n" << text;
      return 3;
    }
    if (verify_) {
      auto report = import::verify(imported.program, c.program());
      for (const auto& d : report.differences) sink.error(Code::E0910, Span{}, d);
      if (report.difference_count > report.differences.size()) {
        sink.error(Code::E0910, Span{}, fmt::format("and {} more differences", report.difference_count - report.differences.size()));
      }
      if (report.difference_count > 0) {
        print(sink, sm);
        std::cerr << fmt::format("fence: --verify: the imported program differs from the input on {} of {} connection sides; nothing was written\n",
                                 report.difference_count, report.checked);
        return kExitErrors;
      }
      print(sink, sm);
      if (!report_.quiet && report.same_rules) {
        std::cerr << fmt::format("fence: --verify: the imported program has the input's {} rules, peer by peer, and its default denies: it admits "
                                 "exactly what the input admits\n",
                                 report.rules);
      } else if (!report_.quiet) {
        std::cerr << fmt::format(
            "fence: --verify: the imported program admits exactly what the input admits ({} pods, {} addresses and names, {} ports: {} connection "
            "sides compared)\n",
            report.pods, report.addresses, report.ports, report.checked);
      }
    } else {
      print(sink, sm);
    }
    emit(text);
    return kExitOk;
  }

 private:
  int run_flows() {
    if (!inputs_.empty()) throw UsageError{"--flows reads flow logs only: leave out the YAML inputs"};
    if (verify_) throw UsageError{"--verify compares an import with its YAML input: flows have none"};
    auto inputs = read_inputs({flows_}, {".json", ".jsonl", ".log", ".txt"}, "flow logs");
    SourceManager sm;
    DiagnosticSink sink;
    std::vector<FileId> files;
    for (auto& in : inputs) files.push_back(sm.add(in.path, std::move(in.text)));
    auto text = import::flows_to_fence(files, sm, sink);
    if (sink.has_errors()) {
      print(sink, sm);
      return kExitErrors;
    }
    driver::Compilation c(driver::Options{});
    std::string shown = output_.empty() ? std::string("<flows>") : output_;
    if (!c.load({{shown, text}}) || !c.analyze(std::nullopt)) {
      print(sink, sm);
      std::cerr << render_all(c.sink(), c.sources());
      std::cerr << "fence: internal error: the program written from the flows does not compile\n" << text;
      return 3;
    }
    print(sink, sm);
    emit(text);
    return kExitOk;
  }

  void print(const DiagnosticSink& sink, const SourceManager& sm) const { report(sink, sm, report_); }

  void emit(const std::string& text) const {
    if (output_.empty()) {
      if (!write_all(STDOUT_FILENO, text)) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
      return;
    }
    write_file_atomically(output_, text);
  }

  std::vector<std::string> inputs_;
  std::string output_;
  std::string namespace_;
  std::string flows_;
  bool verify_ = false;
  ReportFlags report_;
};

}  // namespace

std::unique_ptr<Command> make_import_command() {
  return std::make_unique<ImportCommand>();
}

}  // namespace fence::cli
