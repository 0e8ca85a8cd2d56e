#include "lsp/server.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "lsp/features.h"
#include "lsp/jsonrpc.h"

namespace fence::lsp {

using nlohmann::json;

namespace {

// A JSON-RPC error raised while handling a message.
struct RpcError {
  int code;
  std::string message;
};

enum LogType { kLogError = 1, kLogWarning = 2 };

// Nesting depth of a JSON text, strings skipped; parsing (and destroying) deeper values could
// exhaust the stack.
std::size_t json_depth(std::string_view s, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t most = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      most = std::max(most, ++depth);
      if (most > limit) return most;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return most;
}

const json& member(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key)) throw RpcError{error::kInvalidParams, fmt::format("missing parameter '{}'", key)};
  return obj.at(key);
}

std::string string_member(const json& obj, const char* key) {
  const auto& v = member(obj, key);
  if (!v.is_string()) throw RpcError{error::kInvalidParams, fmt::format("parameter '{}' must be a string", key)};
  return v.get<std::string>();
}

std::uint32_t uint_member(const json& obj, const char* key) {
  const auto& v = member(obj, key);
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 0xffffffffLL) {
    throw RpcError{error::kInvalidParams, fmt::format("parameter '{}' must be a non-negative integer", key)};
  }
  return static_cast<std::uint32_t>(v.get<std::int64_t>());
}

Position position_member(const json& obj, const char* key) {
  const auto& p = member(obj, key);
  return Position{uint_member(p, "line"), uint_member(p, "character")};
}

}  // namespace

struct Server::Document {
  std::string uri;
  std::string path;       // as shown in diagnostics; the URI itself for non-file URIs
  std::string canonical;  // to match imports against open documents
  std::string text;
  LineIndex lines;
  std::int64_t version = 0;
  bool dirty = true;
  ParseCache cache;
  std::unique_ptr<Analysis> analysis;

  Document() { cache.defer_copies(true); }

  void set_text(std::string t) {
    text = std::move(t);
    lines = LineIndex(text);
    dirty = true;
  }
};

Server::Server(ServerOptions options) : options_(std::move(options)) {}
Server::~Server() = default;

// =============================================================================================
// The loop

int Server::run(std::istream& in, std::ostream& out, std::function<bool()> pending) {
  FrameReader reader(in, options_.max_message_bytes, std::move(pending));
  FrameWriter writer(out);
  auto flush = [&] {
    for (const auto& m : take_frames()) writer.write(m);
  };
  while (!exited_) {
    if (!reader.pending()) {
      idle();
      flush();
      retired_.clear();  // after the diagnostics went out: freeing a large program takes a while
      settle_caches();   // likewise, the parse cache's copies of what was parsed
    }
    auto frame = reader.next();
    if (frame.kind == Frame::Kind::End) break;
    if (frame.kind == Frame::Kind::BadHeader) {
      reply_error(nullptr, error::kParseError, "invalid message framing: " + frame.error);
    } else if (frame.kind == Frame::Kind::TooLarge) {
      reply_error(nullptr, error::kInvalidRequest, "message skipped: " + frame.error);
    } else {
      handle(frame.body);
    }
    flush();
  }
  flush();
  return exit_code();
}

void Server::handle(const std::string& body) {
  if (exited_) return;
  if (json_depth(body, options_.max_json_depth) > options_.max_json_depth) {
    reply_error(nullptr, error::kParseError, fmt::format("the message nests JSON deeper than {} levels", options_.max_json_depth));
    return;
  }
  json msg = json::parse(body, nullptr, false);
  if (msg.is_discarded()) {
    reply_error(nullptr, error::kParseError, "the message is not valid JSON");
    return;
  }
  try {
    dispatch(msg);
  } catch (const std::exception& e) {
    reply_error(nullptr, error::kInternalError, std::string("internal error: ") + e.what());
  }
}

void Server::dispatch(const json& msg) {
  if (!msg.is_object()) {
    reply_error(nullptr, error::kInvalidRequest, msg.is_array() ? "batches are not supported" : "a message must be a JSON object");
    return;
  }
  bool has_id = msg.contains("id");
  json id = has_id ? msg.at("id") : json(nullptr);
  if (has_id && !id.is_number_integer() && !id.is_string() && !id.is_null()) {
    reply_error(nullptr, error::kInvalidRequest, "an id must be an integer or a string");
    return;
  }
  if (!msg.contains("jsonrpc") || msg.at("jsonrpc") != "2.0") {
    reply_error(id, error::kInvalidRequest, "the message lacks \"jsonrpc\": \"2.0\"");
    return;
  }
  if (!msg.contains("method")) {
    if (has_id && (msg.contains("result") || msg.contains("error"))) return;  // a reply; the server sends no requests
    reply_error(id, error::kInvalidRequest, "a request or notification needs a method");
    return;
  }
  if (!msg.at("method").is_string()) {
    reply_error(id, error::kInvalidRequest, "the method must be a string");
    return;
  }
  std::string method = msg.at("method").get<std::string>();
  json params = msg.contains("params") ? msg.at("params") : json::object();
  if (!params.is_object() && !params.is_array() && !params.is_null()) {
    if (has_id) reply_error(id, error::kInvalidParams, "params must be an object or an array");
    return;
  }

  if (!has_id) {
    if (method == "exit") {
      exited_ = true;
      return;
    }
    if (!initialized_) return;  // the protocol drops notifications before initialize
    try {
      notification(method, params);
    } catch (const RpcError& e) {
      log(kLogError, fmt::format("{}: {}", method, e.message));
    } catch (const json::exception& e) {
      log(kLogError, fmt::format("{}: invalid parameters: {}", method, e.what()));
    } catch (const std::exception& e) {
      log(kLogError, fmt::format("{}: internal error: {}", method, e.what()));
    }
    return;
  }

  if (!initialized_ && method != "initialize") {
    reply_error(id, error::kServerNotInitialized, "the server is not initialized: send initialize first");
    return;
  }
  if (shutdown_ && method != "shutdown") {
    reply_error(id, error::kInvalidRequest, "the server is shutting down");
    return;
  }
  try {
    reply(id, request(method, params));
  } catch (const RpcError& e) {
    reply_error(id, e.code, e.message);
  } catch (const json::exception& e) {
    reply_error(id, error::kInvalidParams, std::string("invalid parameters: ") + e.what());
  } catch (const std::bad_alloc&) {
    reply_error(id, error::kInternalError, "out of memory");
  } catch (const std::exception& e) {
    reply_error(id, error::kInternalError, std::string("internal error: ") + e.what());
  }
}

json Server::request(const std::string& method, const json& params) {
  if (method == "initialize") {
    if (initialized_) throw RpcError{error::kInvalidRequest, "initialize may be sent only once"};
    return initialize(params);
  }
  if (method == "shutdown") {
    shutdown_ = true;
    return nullptr;
  }
  if (method == "textDocument/formatting" || method == "textDocument/rangeFormatting") {
    auto& doc = document(params);
    std::optional<std::pair<std::uint32_t, std::uint32_t>> lines;
    if (method == "textDocument/rangeFormatting") {
      const auto& range = member(params, "range");
      auto start = position_member(range, "start");
      auto end = position_member(range, "end");
      if (end.line < start.line || (end.line == start.line && end.character < start.character)) {
        throw RpcError{error::kInvalidParams, "the range ends before it starts"};
      }
      // A selection that ends at the start of a line does not take that line.
      lines = {start.line, end.character == 0 && end.line > start.line ? end.line - 1 : end.line};
    }
    if (doc.text.size() > options_.max_document_bytes) return json::array();
    std::string why;
    auto edits = formatting(doc.path, doc.text, doc.lines, encoding_, lines, &why);
    if (!why.empty()) log(kLogWarning, "cannot format " + doc.path + ": " + why);
    return edits;
  }
  if (method == "textDocument/codeAction") {
    auto& doc = document(params);
    const auto& range = member(params, "range");
    auto begin = doc.lines.offset(position_member(range, "start"), encoding_);
    auto end = doc.lines.offset(position_member(range, "end"), encoding_);
    if (end < begin) throw RpcError{error::kInvalidParams, "the range ends before it starts"};
    refresh(doc);
    if (!doc.analysis) return json::array();
    DocContext ctx{*doc.analysis, doc.text, doc.lines, encoding_, doc.uri};
    return code_actions(ctx, begin, end);
  }
  using Feature = json (*)(const DocContext&, std::uint32_t);
  Feature at_position = nullptr;
  if (method == "textDocument/hover") at_position = &hover;
  if (method == "textDocument/definition") at_position = &definition;
  if (method == "textDocument/completion") at_position = &completion;
  if (at_position != nullptr || method == "textDocument/documentSymbol") {
    auto& doc = document(params);
    auto offset = at_position != nullptr ? offset_of(doc, params) : 0;
    refresh(doc);
    if (!doc.analysis) return method == "textDocument/hover" || method == "textDocument/definition" ? json(nullptr) : json::array();
    DocContext ctx{*doc.analysis, doc.text, doc.lines, encoding_, doc.uri};
    if (at_position == nullptr) return document_symbols(ctx);
    return at_position(ctx, offset);
  }
  throw RpcError{error::kMethodNotFound, "unknown method: " + method};
}

void Server::notification(const std::string& method, const json& params) {
  if (method == "textDocument/didOpen") {
    did_open(params);
  } else if (method == "textDocument/didChange") {
    did_change(params);
  } else if (method == "textDocument/didClose") {
    did_close(params);
  } else if (method == "textDocument/didSave" || method == "workspace/didChangeWatchedFiles") {
    // A file on disk changed: an import that is not open may read differently now.
    for (auto& [uri, d] : docs_) d->dirty = true;
  }
  // Everything else ($/cancelRequest, $/setTrace, initialized, ...) needs nothing.
}

// =============================================================================================
// Lifecycle and documents

json Server::initialize(const json& params) {
  if (params.is_object() && params.contains("capabilities")) {
    const auto& caps = params.at("capabilities");
    if (caps.is_object() && caps.contains("general") && caps.at("general").is_object() && caps.at("general").contains("positionEncodings")) {
      const auto& encs = caps.at("general").at("positionEncodings");
      if (encs.is_array() && std::find(encs.begin(), encs.end(), json("utf-8")) != encs.end()) encoding_ = Encoding::Utf8;
    }
  }
  if (params.is_object() && params.contains("initializationOptions") && params.at("initializationOptions").is_object()) {
    const auto& o = params.at("initializationOptions");
    if (o.contains("target") && o.at("target").is_string()) {
      auto t = o.at("target").get<std::string>();
      const auto& known = driver::targets();
      if (std::find(known.begin(), known.end(), t) != known.end()) {
        options_.analysis.target = t;
      } else {
        log(kLogWarning, fmt::format("unknown target '{}'; using {}", t, options_.analysis.target));
      }
    }
    if (o.contains("environment") && o.at("environment").is_string()) options_.analysis.environment = o.at("environment").get<std::string>();
    if (o.contains("allowL4Fallback") && o.at("allowL4Fallback").is_boolean()) options_.analysis.allow_l4_fallback = o.at("allowL4Fallback").get<bool>();
  }
  initialized_ = true;
  json caps{
      {"positionEncoding", encoding_ == Encoding::Utf8 ? "utf-8" : "utf-16"},
      {"textDocumentSync", json{{"openClose", true}, {"change", 2}}},
      {"hoverProvider", true},
      {"definitionProvider", true},
      {"completionProvider", json{{"triggerCharacters", json::array({"/"})}}},
      {"documentSymbolProvider", true},
      {"codeActionProvider", json{{"codeActionKinds", json::array({"quickfix"})}}},
      {"documentFormattingProvider", true},
      {"documentRangeFormattingProvider", true},
  };
  return json{{"capabilities", caps}, {"serverInfo", json{{"name", "fence"}, {"version", options_.version}}}};
}

Server::Document& Server::document(const json& params) {
  auto uri = string_member(member(params, "textDocument"), "uri");
  auto it = docs_.find(uri);
  if (it == docs_.end()) throw RpcError{error::kInvalidParams, "the document is not open: " + uri};
  return *it->second;
}

std::uint32_t Server::offset_of(const Document& doc, const json& params) const {
  return doc.lines.offset(position_member(params, "position"), encoding_);
}

void Server::did_open(const json& params) {
  const auto& td = member(params, "textDocument");
  auto uri = string_member(td, "uri");
  auto doc = std::make_unique<Document>();
  doc->uri = uri;
  auto path = uri_to_path(uri);
  doc->path = path ? *path : uri;
  doc->canonical = path ? sema::canonical_path(*path) : uri;
  doc->version = td.contains("version") && td.at("version").is_number_integer() ? td.at("version").get<std::int64_t>() : 0;
  doc->set_text(string_member(td, "text"));
  auto canonical = doc->canonical;
  docs_[uri] = std::move(doc);
  mark_dependents(canonical);
}

void Server::did_change(const json& params) {
  auto& doc = document(params);
  const auto& td = params.at("textDocument");
  if (td.contains("version") && td.at("version").is_number_integer()) doc.version = td.at("version").get<std::int64_t>();
  const auto& changes = member(params, "contentChanges");
  if (!changes.is_array()) throw RpcError{error::kInvalidParams, "contentChanges must be an array"};
  for (const auto& ch : changes) {
    auto text = string_member(ch, "text");
    if (!ch.contains("range")) {
      doc.set_text(std::move(text));
      continue;
    }
    const auto& r = ch.at("range");
    auto a = doc.lines.offset(position_member(r, "start"), encoding_);
    auto b = doc.lines.offset(position_member(r, "end"), encoding_);
    if (b < a) throw RpcError{error::kInvalidParams, "a change's range ends before it starts"};
    std::string next = doc.text.substr(0, a);
    next += text;
    next.append(doc.text, b, std::string::npos);
    doc.set_text(std::move(next));
  }
  mark_dependents(doc.canonical);
}

void Server::did_close(const json& params) {
  auto uri = string_member(member(params, "textDocument"), "uri");
  auto it = docs_.find(uri);
  if (it == docs_.end()) return;
  auto canonical = it->second->canonical;
  docs_.erase(it);
  notify("textDocument/publishDiagnostics", json{{"uri", uri}, {"diagnostics", json::array()}});
  mark_dependents(canonical);
}

void Server::settle_caches() {
  for (auto& [uri, d] : docs_) {
    if (!d->analysis) continue;
    for (const auto& f : d->analysis->program().files) d->cache.settle(f.ast);
  }
}

void Server::mark_dependents(const std::string& canonical) {
  for (auto& [uri, d] : docs_) {
    if (d->canonical == canonical || (d->analysis && d->analysis->loaded_paths().count(canonical) > 0)) d->dirty = true;
  }
}

std::optional<std::string> Server::read_file(const std::string& path) const {
  auto canonical = sema::canonical_path(path);
  for (const auto& [uri, d] : docs_) {
    if (d->canonical == canonical) return d->text;
  }
  return sema::read_disk(path);
}

// =============================================================================================
// Analysis and diagnostics

void Server::idle() {
  retired_.clear();
  settle_caches();  // what the last analyses parsed, before the next may use it
  for (auto& [uri, d] : docs_) refresh(*d);
}

void Server::refresh(Document& doc) {
  if (!doc.dirty) return;
  doc.dirty = false;
  if (doc.text.size() > options_.max_document_bytes) {
    doc.analysis.reset();
    auto message = fmt::format("this file has {} bytes; the language server analyzes files of up to {} bytes. Run `fence check` on it instead.",
                               doc.text.size(), options_.max_document_bytes);
    notify("textDocument/publishDiagnostics",
           json{{"uri", doc.uri}, {"version", doc.version}, {"diagnostics", json::array({document_problem(message, 2)})}});
    return;
  }
  auto start = std::chrono::steady_clock::now();
  if (doc.analysis) retired_.push_back(std::move(doc.analysis));
  doc.analysis = std::make_unique<Analysis>(doc.path, doc.text, options_.analysis, doc.cache, [this](const std::string& p) { return read_file(p); });
  last_analysis_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  publish(doc);
}

void Server::publish(Document& doc) {
  DocContext ctx{*doc.analysis, doc.text, doc.lines, encoding_, doc.uri};
  // Written as text, as notify() would dump {"uri", "version", "diagnostics"} (keys sorted).
  std::string text = R"({"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"diagnostics":)";
  append_diagnostics_text(ctx, text);
  text += R"(,"uri":)";
  text += json(doc.uri).dump(-1, ' ', false, json::error_handler_t::replace);
  text += fmt::format(R"(,"version":{}}}}})", doc.version);
  out_.push_back(Outgoing{nullptr, std::move(text)});
}

// =============================================================================================
// Output

void Server::reply(const json& id, json result) {
  out_.push_back(Outgoing{json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}, {}});
}

void Server::reply_error(const json& id, int code, const std::string& message) {
  out_.push_back(Outgoing{json{{"jsonrpc", "2.0"}, {"id", id}, {"error", json{{"code", code}, {"message", message}}}}, {}});
}

void Server::notify(const std::string& method, json params) {
  out_.push_back(Outgoing{json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}}, {}});
}

void Server::log(int type, const std::string& message) {
  notify("window/logMessage", json{{"type", type}, {"message", message}});
}

std::vector<json> Server::take_output() {
  std::vector<json> out;
  for (auto& m : out_) out.push_back(m.text.empty() ? std::move(m.value) : json::parse(m.text));
  out_.clear();
  return out;
}

std::vector<std::string> Server::take_frames() {
  std::vector<std::string> out;
  for (auto& m : out_) out.push_back(m.text.empty() ? m.value.dump(-1, ' ', false, json::error_handler_t::replace) : std::move(m.text));
  out_.clear();
  return out;
}

}  // namespace fence::lsp
