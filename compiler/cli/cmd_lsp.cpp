// fence lsp: the language server, speaking the Language Server Protocol on stdin and stdout.
#include <poll.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/memory.h"
#include "lsp/server.h"

#ifndef FENCE_VERSION
#define FENCE_VERSION "0.0.0"
#endif

namespace fence::cli {

namespace {

// True when stdin has bytes to read now: in the stream's buffer, or in the pipe.
bool stdin_pending() {
  if (std::cin.rdbuf()->in_avail() > 0) return true;
  pollfd p{STDIN_FILENO, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP)) != 0;
}

class LspCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("lsp", "Run the language server (on stdin and stdout)");
    sub_->description(
        "Serve the Language Server Protocol on stdin and stdout, for editors: diagnostics as you type, hover, go to\n"
        "definition, completion, document symbols and formatting. Editors start it; see docs/editors.md. Settings\n"
        "come from the client's initializationOptions: target, environment, allowL4Fallback.");
    // Clients such as vscode-languageclient pass --stdio; stdio is the only transport.
    sub_->add_flag("--stdio", stdio_, "Use stdin and stdout (the default and only transport)");
  }

  int run() override {
    std::ios::sync_with_stdio(false);
    memory::stop_counting();  // the server sets no --max-memory limit
    lsp::ServerOptions options;
    options.version = FENCE_VERSION;
    lsp::Server server(options);
    return server.run(std::cin, std::cout, stdin_pending);
  }

 private:
  bool stdio_ = false;
};

}  // namespace

std::unique_ptr<Command> make_lsp_command() {
  return std::make_unique<LspCommand>();
}

}  // namespace fence::cli
