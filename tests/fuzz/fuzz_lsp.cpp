// Fuzz target: the language server's message handling. An input that starts with a
// `Content-Length` header is a raw byte stream for `fence lsp` (framing, JSON, requests in any
// order); any other input is a document, opened and edited in a scripted session that asks
// for hover, definitions, completion and symbols at places derived from the input. Every
// request gets exactly one reply, and every message the server writes is valid JSON.
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz.h"
#include "lsp/server.h"

using namespace fence;
using nlohmann::json;

namespace {

lsp::ServerOptions options() {
  lsp::ServerOptions o;
  o.analysis.stdlib_path = {FENCE_SOURCE_DIR "/stdlib"};
  o.max_document_bytes = 1 << 16;
  return o;
}

const char* const kUri = "file:///nonexistent-fence-fuzz/main.fence";

json message(const char* method, json params, int id = -1) {
  json m{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
  if (id >= 0) m["id"] = id;
  return m;
}

json at(const char* method, int id, std::uint32_t line, std::uint32_t character) {
  return message(method, {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", line}, {"character", character}}}}, id);
}

void raw_stream(const std::string& bytes) {
  lsp::Server server(options());
  std::istringstream in(bytes);
  std::ostringstream out;
  server.run(in, out, [] { return false; });
}

void session(const std::string& text) {
  lsp::Server server(options());
  int next_id = 1;
  int requests = 0;
  auto send = [&](const json& m) {
    if (m.contains("id")) ++requests;
    server.handle(m.dump(-1, ' ', false, json::error_handler_t::replace));
    server.idle();
  };
  // Positions spread over the text: its lines, and columns from its bytes.
  std::uint32_t lines = 1;
  for (char ch : text) lines += ch == '\n';
  auto pos = [&](std::size_t k) {
    std::uint32_t seed = k < text.size() ? static_cast<unsigned char>(text[k]) : static_cast<std::uint32_t>(k);
    return std::pair<std::uint32_t, std::uint32_t>{static_cast<std::uint32_t>((k * 7 + seed) % (lines + 1)), seed % 40};
  };
  bool utf8 = !text.empty() && (static_cast<unsigned char>(text[0]) & 1);
  json caps = utf8 ? json{{"general", {{"positionEncodings", {"utf-8"}}}}} : json::object();
  send(message("initialize", {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", caps}}, next_id++));
  send(message("initialized", json::object()));
  send(message("textDocument/didOpen", {{"textDocument", {{"uri", kUri}, {"languageId", "fence"}, {"version", 1}, {"text", text}}}}));
  for (std::size_t k = 0; k < 4; ++k) {
    auto [l, c] = pos(k * 13);
    send(at("textDocument/hover", next_id++, l, c));
    send(at("textDocument/definition", next_id++, l, c));
    send(at("textDocument/completion", next_id++, l, c));
  }
  send(message("textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}}, next_id++));
  // Two edits: text typed at one place, and a range removed at another.
  auto [l1, c1] = pos(5);
  auto [l2, c2] = pos(11);
  json edits = json::array({json{{"range", {{"start", {{"line", l1}, {"character", c1}}}, {"end", {{"line", l1}, {"character", c1}}}}},
                                  {"text", text.substr(0, std::min<std::size_t>(text.size(), 24))}},
                             json{{"range", {{"start", {{"line", l2}, {"character", c2}}}, {"end", {{"line", l2 + 1}, {"character", 0}}}}}, {"text", ""}}});
  send(message("textDocument/didChange", {{"textDocument", {{"uri", kUri}, {"version", 2}}}, {"contentChanges", edits}}));
  auto [l3, c3] = pos(17);
  send(at("textDocument/hover", next_id++, l3, c3));
  send(at("textDocument/completion", next_id++, l3, c3));
  send(message("textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}}, next_id++));
  send(message("textDocument/didClose", {{"textDocument", {{"uri", kUri}}}}));
  send(message("shutdown", nullptr, next_id++));
  send(message("exit", nullptr));
  int replies = 0;
  for (const auto& m : server.take_output()) {
    auto body = m.dump(-1, ' ', false, json::error_handler_t::replace);
    FENCE_FUZZ_CHECK(!json::parse(body, nullptr, false).is_discarded(), "the server wrote a message that is not JSON");
    if (m.contains("id") && !m.contains("method")) ++replies;
  }
  FENCE_FUZZ_CHECK(replies == requests, "a request without exactly one reply");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.rfind("Content-Length", 0) == 0) {
    raw_stream(bytes);
  } else {
    session(bytes);
  }
  return 0;
}
