#include "cli/usage.h"

#include <iostream>

#include "diag/suggest.h"
#include "diag/utf8.h"

namespace fence::cli {

std::vector<const CLI::App*> subcommands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

const CLI::App* chosen_subcommand(const CLI::App& app, const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return nullptr;
    if (!a.empty() && a[0] == '-') continue;
    for (const auto* sub : subcommands_of(app)) {
      if (sub->get_name() == a) return sub;
    }
    return nullptr;
  }
  return nullptr;
}

std::vector<std::string> option_names(const CLI::App& app, bool hidden_too) {
  std::vector<std::string> names;
  for (const auto* opt : app.get_options()) {
    if (!hidden_too && opt->get_group().empty()) continue;
    for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    for (const auto& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

namespace {

int usage_error(const std::string& message, const std::optional<std::string>& suggestion, const std::string& help) {
  std::cerr << "fence: error: " << utf8::printable(message) << "\n";
  if (suggestion) std::cerr << "  did you mean '" << *suggestion << "'?\n";
  std::cerr << "Run `" << help << "` for more information.\n";
  return 2;
}

std::string help_command(const CLI::App* sub) {
  return sub == nullptr ? std::string("fence --help") : "fence " + sub->get_name() + " --help";
}

// Checks one option argument against `app`. `skip` is set when the next argument is its value.
std::optional<int> check_option(const CLI::App& app, const CLI::App* sub, const std::string& arg, bool& skip) {
  skip = false;
  if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') {
    auto eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) {
      return usage_error("unknown option '" + name + "'" + (sub ? " for `fence " + sub->get_name() + "`" : std::string()),
                         closest(name, option_names(app)), help_command(sub));
    }
    skip = eq == std::string::npos && opt->get_items_expected_min() > 0;
    return std::nullopt;
  }
  // -abc: short flags, the last of which may take a value (written after it or as the next argument).
  for (std::size_t i = 1; i < arg.size(); ++i) {
    std::string name = std::string("-") + arg[i];
    const CLI::Option* opt = app.get_option_no_throw(name);
    if (opt == nullptr) {
      return usage_error("unknown option '" + (i == 1 ? arg : name) + "'" + (sub ? " for `fence " + sub->get_name() + "`" : std::string()),
                         closest(i == 1 ? arg : name, option_names(app)), help_command(sub));
    }
    if (opt->get_items_expected_min() > 0) {
      skip = i + 1 == arg.size();
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> check_arguments(const CLI::App& app, const std::vector<std::string>& args) {
  std::size_t i = 0;
  const CLI::App* sub = nullptr;
  bool help = false;
  for (; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-') {
      bool skip = false;
      if (auto rc = check_option(app, nullptr, a, skip)) return rc;
      help = true;  // --help or --version: CLI11 answers them
      continue;
    }
    for (const auto* s : subcommands_of(app)) {
      if (s->get_name() == a) sub = s;
    }
    if (sub == nullptr) {
      std::vector<std::string> names;
      for (const auto* s : subcommands_of(app)) {
        if (!s->get_group().empty()) names.push_back(s->get_name());
      }
      return usage_error("unknown command '" + a + "'", closest(a, names), "fence --help");
    }
    ++i;
    break;
  }
  if (sub == nullptr) {
    if (help) return std::nullopt;
    return usage_error("no command given", std::nullopt, "fence --help");
  }
  for (; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    bool skip = false;
    if (auto rc = check_option(*sub, sub, a, skip)) return rc;
    if (skip) ++i;
  }
  return std::nullopt;
}

}  // namespace fence::cli
