// The subcommands. Each lives in its own file (cmd_<name>.cpp) and registers here.
#pragma once

#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

namespace fence::cli {

class Command {
 public:
  virtual ~Command() = default;
  // Adds the subcommand and its options to the application.
  virtual void add_to(CLI::App& app) = 0;
  virtual int run() = 0;
  // Called by main() when run() ran out of memory (std::bad_alloc), after the stack unwound:
  // reports E0106 in the command's report format and returns the exit code.
  virtual int out_of_memory();
  bool parsed() const { return sub_ != nullptr && sub_->parsed(); }

 protected:
  CLI::App* sub_ = nullptr;
};

std::unique_ptr<Command> make_build_command();
std::unique_ptr<Command> make_check_command();
std::unique_ptr<Command> make_fmt_command();
std::unique_ptr<Command> make_codes_command();
std::unique_ptr<Command> make_explain_command();
std::unique_ptr<Command> make_why_command();
std::unique_ptr<Command> make_diff_command();
std::unique_ptr<Command> make_graph_command();
std::unique_ptr<Command> make_lsp_command();
std::unique_ptr<Command> make_import_command();
std::unique_ptr<Command> make_completion_command();
std::unique_ptr<Command> make_man_command();
std::unique_ptr<Command> make_probe_command();

inline std::vector<std::unique_ptr<Command>> all_commands() {
  std::vector<std::unique_ptr<Command>> v;
  v.push_back(make_build_command());
  v.push_back(make_check_command());
  v.push_back(make_fmt_command());
  v.push_back(make_codes_command());
  v.push_back(make_explain_command());
  v.push_back(make_why_command());
  v.push_back(make_diff_command());
  v.push_back(make_import_command());
  v.push_back(make_graph_command());
  v.push_back(make_probe_command());
  v.push_back(make_lsp_command());
  v.push_back(make_completion_command());
  v.push_back(make_man_command());
  return v;
}

}  // namespace fence::cli
