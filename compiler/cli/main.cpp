// fence: the command line. Thin by design: each subcommand parses its flags and calls the library.
#include <exception>
#include <iostream>
#include <new>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/usage.h"
#include "diag/utf8.h"

#ifdef FENCE_HAVE_MIMALLOC
#include <mimalloc.h>

namespace {
// Fresh memory costs a page fault per 4 KiB page; on a virtual machine that was a third of a large
// build's CPU time. With large OS pages mimalloc asks the kernel for transparent huge pages
// (madvise), where the system allows them, and a fault maps 2 MiB (docs/performance.md). The
// option is read when mimalloc initialises, before any constructor of this program runs, so it is
// set from .preinit_array, which the loader runs before the shared libraries' initialisers.
void fence_allocator_options(int, char**, char**) {
  mi_option_enable(mi_option_large_os_pages);
}
}  // namespace

__attribute__((section(".preinit_array"), used)) void (*fence_preinit)(int, char**, char**) = &fence_allocator_options;
#endif

#ifndef FENCE_VERSION
#define FENCE_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  using namespace fence::cli;
  CLI::App app{"Fence compiles network intent into Kubernetes NetworkPolicy and CiliumNetworkPolicy YAML.", "fence"};
  app.set_version_flag("--version", std::string("fence ") + FENCE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success (warnings allowed), 1 the program has errors, 2 usage or I/O errors.\nRun `fence COMMAND --help` for a command's "
      "options.");

  std::vector<std::unique_ptr<Command>> commands = all_commands();
  for (auto& c : commands) c->add_to(app);

  // Unknown commands and options are reported here, with a suggestion, rather than by CLI11.
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto rc = check_arguments(app, args)) return *rc;
  const CLI::App* named = chosen_subcommand(app, args);
  app.failure_message([named](const CLI::App*, const CLI::Error& e) {
    std::string help = named == nullptr ? std::string("fence --help") : "fence " + named->get_name() + " --help";
    return "fence: error: " + fence::utf8::printable(e.what()) + "\nRun `" + help + "` for more information.\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  Command* chosen = nullptr;
  for (auto& c : commands) {
    if (c->parsed()) chosen = c.get();
  }
  if (chosen == nullptr) return kExitUsage;
  try {
    try {
      return chosen->run();
    } catch (const std::bad_alloc&) {
      return chosen->out_of_memory();
    }
  } catch (const UsageError& e) {
    std::cerr << "fence: error: " << fence::utf8::printable(e.message) << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "fence: internal error: " << e.what() << "\nThis is a bug in fence; please report it with the input that caused it.\n";
    return 3;
  }
}
