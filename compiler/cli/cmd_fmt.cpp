// fence fmt: rewrites Fence sources in the canonical layout (format/), to stdout, in place (-w),
// or only says which files would change (--check).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/common.h"
#include "diag/render.h"
#include "emit/output.h"
#include "format/diff.h"
#include "format/format.h"

namespace fence::cli {

namespace {

class FmtCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("fmt", "Format Fence sources in the canonical layout");
    sub_->description(
        "Lay Fence sources out in the one canonical layout: indentation, spacing, blank lines between paragraphs, long\n"
        "lists wrapped at 100 columns. Every comment is kept and nothing is reordered: only white space changes, so the\n"
        "program compiles to exactly what it did. A file with syntax errors is reported as `fence check` reports it and\n"
        "never rewritten. Prints the formatted file on stdout; -w rewrites files in place, --check only reports.");
    sub_->add_option("inputs", inputs_, "Fence source files, directories to search for *.fence files, or - for standard input")
        ->required()
        ->type_name("FILE|DIR|-");
    sub_->add_flag("-w,--write", write_, "Rewrite the files that are not formatted (each atomically), and name them on stderr");
    sub_->add_flag("--check", check_,
                   "Write nothing; print a diff of each file that is not formatted on stdout, name it on stderr, and exit 1 if any");
    sub_->add_option("--color", color_, "Colour in diagnostics (auto: only on a terminal, and never when NO_COLOR is set)")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    sub_->footer(
        "Exit codes: 0 formatted (or rewritten), 1 a file would change (--check) or has syntax errors, 2 usage or I/O errors.");
  }

  int run() override {
    if (write_ && check_) throw UsageError{"--check writes nothing: use it or -w, not both"};
    bool stdin_input = std::find(inputs_.begin(), inputs_.end(), "-") != inputs_.end();
    if (write_ && stdin_input) throw UsageError{"-w rewrites files, and standard input is not one: leave out -w to format it to stdout"};
    bool to_stdout = !write_ && !check_;
    if (to_stdout && (inputs_.size() != 1 || std::filesystem::is_directory(inputs_[0]))) {
      throw UsageError{"formatting several files to stdout would run them together: use -w to rewrite them, or --check to see which would change"};
    }
    auto inputs = read_inputs(inputs_);

    SourceManager sm;
    DiagnosticSink sink;
    std::size_t changed = 0, bad = 0;
    std::vector<std::string> io_errors;
    std::string out;
    for (const auto& in : inputs) {
      auto id = sm.add(in.path, in.text);
      auto formatted = format::format_file(sm, id, sink);
      if (!formatted) {
        ++bad;
        continue;
      }
      if (to_stdout) {
        out += *formatted;
        continue;
      }
      if (*formatted == in.text) continue;
      ++changed;
      if (check_) {
        out += format::unified_diff(in.text, *formatted, in.path, in.path + " (formatted)");
        std::cerr << "fence: " << in.path << " is not formatted\n";
      } else if (auto err = emit::replace_file(in.path, *formatted)) {
        io_errors.push_back(*err);
      } else {
        std::cerr << "fence: formatted " << in.path << "\n";
      }
    }
    if (!write_all(STDOUT_FILENO, out)) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
    if (sink.error_count() + sink.dropped() > 0) {
      RenderOptions opt;
      opt.color = use_color(color_ == "always" ? ColorMode::Always : color_ == "never" ? ColorMode::Never : ColorMode::Auto, STDERR_FILENO);
      std::cerr << render_all(sink, sm, opt);
    }
    if (check_ && changed > 0) {
      std::cerr << fmt::format("fence: {} of {} file{} would be reformatted (fence fmt -w)\n", changed, inputs.size(), inputs.size() == 1 ? "" : "s");
    }
    std::cerr.flush();
    if (!io_errors.empty()) {
      for (const auto& e : io_errors) std::cerr << "fence: error: " << e << "\n";
      return kExitUsage;
    }
    return bad > 0 || (check_ && changed > 0) ? kExitErrors : kExitOk;
  }

 private:
  std::vector<std::string> inputs_;
  bool write_ = false;
  bool check_ = false;
  std::string color_ = "auto";
};

}  // namespace

std::unique_ptr<Command> make_fmt_command() {
  return std::make_unique<FmtCommand>();
}

}  // namespace fence::cli
