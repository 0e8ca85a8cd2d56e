// The machine-readable forms of diagnostics: Fence's own JSON, and SARIF 2.1.0 for code-scanning
// tools. Both list the same diagnostics, in the same order, as the text form.
#include <nlohmann/json.hpp>

#include "diag/render.h"
#include "diag/utf8.h"

namespace fence {

namespace {

using Json = nlohmann::ordered_json;

// Text from the user's files or command line, as valid UTF-8: bytes that are not are written
// `\xNN`, as in the text form. (The documents are also dumped with invalid bytes replaced, so
// that no text can make the output fail.)
std::string text(std::string_view s) {
  return utf8::printable(s, true);
}

std::vector<std::string> texts(const std::vector<std::string>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(text(s));
  return out;
}

std::string dump(const Json& doc) {
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json json_location(const Span& span, const SourceManager& sm) {
  if (!span.valid()) return nullptr;
  auto l = locate(span, sm);
  return Json{{"file", text(l.path)}, {"line", l.line}, {"column", l.column}, {"end_line", l.end_line}, {"end_column", l.end_column}};
}

// SARIF wants URIs: a relative reference for a relative path (resolved against the repository
// root by code-scanning tools), a file: URI for an absolute one. Bytes outside RFC 3986's
// unreserved set are percent-encoded; '/' separates segments.
std::string path_uri(std::string_view path) {
  std::string out = !path.empty() && path.front() == '/' ? "file://" : "";
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    bool keep = std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (keep) {
      out.push_back(ch);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

constexpr const char* kRootBase = "PROJECTROOT";

// A relative path is relative to the project root, when there is one; `<stdin>` and
// `<stdlib>/std.fence` name no file and get no base.
Json artifact_location(const std::string& path, const RenderOptions& opt) {
  Json a{{"uri", path_uri(path)}};
  bool relative = !path.empty() && path.front() != '/' && path.front() != '<';
  if (relative && !opt.root.empty()) a["uriBaseId"] = kRootBase;
  return a;
}

Json sarif_location(const Span& span, const SourceManager& sm, const RenderOptions& opt) {
  auto l = locate(span, sm);
  Json region{{"startLine", l.line}, {"startColumn", l.column}, {"endLine", l.end_line}, {"endColumn", l.end_column}};
  return Json{{"physicalLocation", {{"artifactLocation", artifact_location(l.path, opt)}, {"region", region}}}};
}

// SARIF's levels are error, warning and note.
std::string_view sarif_level(Severity s) {
  return s == Severity::Info ? "note" : severity_name(s);
}

}  // namespace

std::string render_json(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt) {
  Json list = Json::array();
  for (const auto& d : reported(sink, sm, opt)) {
    const auto& info = code_info(d.code);
    Json notes = Json::array();
    for (const auto& n : d.notes) notes.push_back(Json{{"message", text(n.message)}, {"location", json_location(n.span, sm)}});
    list.push_back(Json{{"code", info.id},
                        {"name", info.slug},
                        {"severity", severity_name(d.severity)},
                        {"message", text(d.message)},
                        {"location", json_location(d.span, sm)},
                        {"notes", std::move(notes)},
                        {"help", texts(d.help)}});
  }
  Json doc{{"version", 1},
           {"tool", {{"name", "fence"}, {"version", opt.tool_version}}},
           {"diagnostics", std::move(list)},
           {"errors", sink.error_count() + sink.dropped()},
           {"warnings", opt.errors_only ? 0 : sink.warning_count()},
           {"not_shown", sink.dropped()}};
  return dump(doc);
}

std::string render_sarif(const DiagnosticSink& sink, const SourceManager& sm, const RenderOptions& opt) {
  // Every code is a rule, in the table's order, so that a rule's index never depends on the input.
  Json rules = Json::array();
  for (const auto& c : all_codes()) {
    rules.push_back(Json{{"id", c.id},
                         {"name", c.slug},
                         {"shortDescription", {{"text", c.summary}}},
                         {"defaultConfiguration", {{"level", sarif_level(c.severity)}}}});
  }
  Json results = Json::array();
  for (const auto& d : reported(sink, sm, opt)) {
    const auto& info = code_info(d.code);
    // Code-scanning tools show the message text alone: notes without a place and help go into it.
    std::string message = d.message;
    for (const auto& n : d.notes) {
      if (!n.span.valid()) message += "\nnote: " + n.message;
    }
    for (const auto& h : d.help) message += "\nhelp: " + h;
    Json r{{"ruleId", info.id},
           {"ruleIndex", static_cast<std::size_t>(d.code)},
           {"level", sarif_level(d.severity)},
           {"message", {{"text", text(message)}}}};
    Json locations = Json::array();
    if (d.span.valid()) locations.push_back(sarif_location(d.span, sm, opt));
    r["locations"] = std::move(locations);
    Json related = Json::array();
    for (const auto& n : d.notes) {
      if (!n.span.valid()) continue;
      auto loc = sarif_location(n.span, sm, opt);
      loc["id"] = related.size();
      loc["message"] = Json{{"text", text(n.message)}};
      related.push_back(std::move(loc));
    }
    if (!related.empty()) r["relatedLocations"] = std::move(related);
    results.push_back(std::move(r));
  }
  Json driver{{"name", "fence"}, {"semanticVersion", opt.tool_version}, {"rules", std::move(rules)}};
  if (opt.tool_version.empty()) driver.erase("semanticVersion");
  Json run{{"tool", {{"driver", std::move(driver)}}}, {"columnKind", "unicodeCodePoints"}, {"results", std::move(results)}};
  if (!opt.root.empty()) {
    // SARIF wants the base as an absolute URI ending in '/'.
    std::string base = path_uri(opt.root);
    if (base.empty() || base.back() != '/') base += '/';
    run["originalUriBaseIds"] = Json{{kRootBase, {{"uri", base}, {"description", {{"text", "the project root (fence.toml, --root)"}}}}}};
  }
  Json doc{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"}, {"version", "2.1.0"}, {"runs", Json::array({std::move(run)})}};
  return dump(doc);
}

}  // namespace fence
