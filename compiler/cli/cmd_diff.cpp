// fence diff: how two environments' builds of one program differ.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/compile_flags.h"
#include "compare/compare.h"

namespace fence::cli {

namespace {

using Json = nlohmann::ordered_json;

// The levels a comparison can be made at.
struct Level {
  const char* name;
  bool needs_objects;
  std::function<compare::Report(const compare::Side&, const compare::Side&, const sema::LoadedProgram&, const SourceManager&)> run;
};

const std::vector<Level>& levels() {
  static const std::vector<Level> l = {
      {"rules", false, [](const auto& a, const auto& b, const auto& loaded, const auto&) { return compare::compare_rules(a, b, loaded); }},
      {"objects", true, [](const auto& a, const auto& b, const auto& loaded, const auto&) { return compare::compare_objects(a, b, loaded); }},
      {"connections", false, compare::compare_connections},
  };
  return l;
}

std::string where(const Span& s, const SourceManager& sm) {
  if (!s.valid()) return {};
  auto loc = locate(s, sm);
  return fmt::format("{}:{}", loc.path, loc.line);
}

std::string text_report(const compare::Report& rep, const std::string& a, const std::string& b, const SourceManager& sm) {
  std::string out = fmt::format("--- {}\n+++ {}\n", a, b);
  if (!rep.namespaces.empty()) {
    out += fmt::format("@@ namespaces: the name each side gives a namespace block ({} -> {})\n", a, b);
    for (const auto& [source, names] : rep.namespaces) out += fmt::format(" {}: {} -> {}\n", source, names.first, names.second);
  }
  if (rep.only_a.empty() && rep.only_b.empty() && rep.changed.empty()) return out;
  out += fmt::format("@@ {}\n", rep.level);
  // Both sides' lines in one sorted list, so that what changed between them sits together.
  std::vector<std::pair<char, const compare::Line*>> lines;
  for (const auto& l : rep.only_a) lines.emplace_back('-', &l);
  for (const auto& l : rep.only_b) lines.emplace_back('+', &l);
  for (const auto& l : rep.changed) lines.emplace_back('~', &l);
  std::stable_sort(lines.begin(), lines.end(), [](const auto& x, const auto& y) { return x.second->text < y.second->text; });
  for (const auto& [sign, l] : lines) {
    auto loc = where(l->origin, sm);
    out += loc.empty() ? fmt::format("{}{}\n", sign, l->text) : fmt::format("{}{}  # {}\n", sign, l->text, loc);
    for (const auto& d : l->detail) out += fmt::format("    {}\n", d);
  }
  return out;
}

std::string json_report(const compare::Report& rep, const std::string& a, const std::string& b, const SourceManager& sm) {
  auto lines = [&](const std::vector<compare::Line>& v) {
    Json arr = Json::array();
    for (const auto& l : v) {
      Json j{{"text", l.text}};
      if (l.origin.valid()) {
        auto loc = locate(l.origin, sm);
        j["file"] = loc.path;
        j["line"] = loc.line;
      }
      if (!l.detail.empty()) j["diff"] = l.detail;
      arr.push_back(std::move(j));
    }
    return arr;
  };
  Json ns = Json::array();
  for (const auto& [source, names] : rep.namespaces) ns.push_back(Json{{"source", source}, {"from", names.first}, {"to", names.second}});
  Json doc{{"from", a},
           {"to", b},
           {"level", rep.level},
           {"namespaces", std::move(ns)},
           {"only_in_from", lines(rep.only_a)},
           {"only_in_to", lines(rep.only_b)},
           {"changed", lines(rep.changed)}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

class DiffCommand : public Command {
 public:
  void add_to(CLI::App& app) override {
    sub_ = app.add_subcommand("diff", "Show how two environments' builds of a program differ");
    sub_->description(
        "Compile the program for two environments and show what one has and the other does not: with --level rules\n"
        "(the default), the rules in the source's terms, one line per subject, peer and port; with --level connections,\n"
        "what each workload the source names may send and receive once isolation, the other side of each connection and\n"
        "denies are taken into account; with --level objects, the objects, and the YAML lines that differ. Lines only in\n"
        "the first environment start with '-', only in the second with '+'; objects in both that differ, with '~'. Exits\n"
        "0 (1 with --exit-code when they differ), 1 on program errors, 2 on usage errors.");
    flags_.add_to(*sub_, "The two environments to compare, in order: --env staging --env prod");
    std::vector<std::string> names;
    for (const auto& l : levels()) names.push_back(l.name);
    sub_->add_option("--level", level_, "What to compare")->check(CLI::IsMember(names))->capture_default_str();
    sub_->add_option("--format", format_, "text, or one json document")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
    sub_->add_flag("--exit-code", exit_code_, "Exit 1 when the environments differ");
    sub_->add_flag("-q,--quiet", report_.quiet, "Report errors only");
    sub_->add_option("--color", report_.color, "Colour in diagnostics")->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
  }

  int run() override {
    if (flags_.all_envs || flags_.envs.size() != 2) throw UsageError{"diff compares two environments: give them as --env A --env B"};
    if (flags_.envs[0] == flags_.envs[1]) throw UsageError{fmt::format("--env {} is given twice: compare two different environments", flags_.envs[0])};
    const Level* level = nullptr;
    for (const auto& l : levels()) {
      if (level_ == l.name) level = &l;
    }
    CompileMode mode;
    mode.keep_ir = true;
    mode.lower = level->needs_objects;
    auto outcome = compile(flags_, mode);
    auto& c = *outcome.compilation;
    // A program that means something different per target is compared for one target, as why
    // and explain answer for one.
    if (c.loaded().ok && c.per_target() && outcome.targets.size() > 1) {
      throw UsageError{fmt::format("the program builds for several targets ({}): diff compares one, choose it with --target", fmt::join(outcome.targets, ", "))};
    }
    bool ok = report(c, report_);
    if (!outcome.ok || !ok) return kExitErrors;
    const auto& ra = outcome.envs.at(0);
    const auto& rb = outcome.envs.at(1);
    std::vector<emit::Object> oa, ob;
    for (const auto& [t, objs] : ra.objects) oa.insert(oa.end(), objs.begin(), objs.end());
    for (const auto& [t, objs] : rb.objects) ob.insert(ob.end(), objs.begin(), objs.end());
    compare::Side a{flags_.envs[0], &ra.program, &oa};
    compare::Side b{flags_.envs[1], &rb.program, &ob};
    auto rep = level->run(a, b, c.loaded(), c.sources());
    auto text = format_ == "json" ? json_report(rep, a.name, b.name, c.sources()) : text_report(rep, a.name, b.name, c.sources());
    if (format_ == "text" && rep.empty()) {
      text.clear();
      if (!report_.quiet) std::cerr << fmt::format("fence: {} and {} do not differ ({})\n", a.name, b.name, rep.level);
    }
    if (!write_all(STDOUT_FILENO, text)) throw UsageError{fmt::format("cannot write to standard output: {}", std::strerror(errno))};
    return exit_code_ && !rep.empty() ? kExitErrors : kExitOk;
  }

  int out_of_memory() override { return report_out_of_memory(&report_); }

 private:
  CompileFlags flags_;
  ReportFlags report_;
  std::string level_ = "rules";
  std::string format_ = "text";
  bool exit_code_ = false;
};

}  // namespace

std::unique_ptr<Command> make_diff_command() {
  return std::make_unique<DiffCommand>();
}

}  // namespace fence::cli
