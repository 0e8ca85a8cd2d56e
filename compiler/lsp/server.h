// `fence lsp`: a Language Server Protocol server over a byte stream (stdio in practice).
// Messages are handled in order; documents are analyzed only when no message is waiting, so a
// burst of edits costs one analysis. Every request gets a reply (a result or a JSON-RPC error),
// whatever arrives: malformed JSON, unknown methods, bad parameters, huge messages or files.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lsp/analysis.h"
#include "lsp/parse_cache.h"
#include "lsp/text.h"

namespace fence::lsp {

struct ServerOptions {
  AnalysisOptions analysis;
  std::string version = "0.0.0";
  // Messages larger than this are skipped with an error.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  // Documents larger than this are not analyzed; they get one diagnostic saying so.
  std::size_t max_document_bytes = std::size_t{4} << 20;
  // JSON nested deeper than this is rejected before it is parsed.
  std::size_t max_json_depth = 512;
};

// JSON-RPC and LSP error codes.
namespace error {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerNotInitialized = -32002;
}  // namespace error

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();

  // Serves until `exit` or the end of the input. Returns the exit code the protocol asks for:
  // 0 after `shutdown` then `exit`, 1 otherwise. `pending` tells whether input is waiting
  // (default: the stream's buffer has some).
  int run(std::istream& in, std::ostream& out, std::function<bool()> pending = {});

  // The steps run() takes, for tests: handle one message body; analyze the documents that
  // changed and queue their diagnostics; take what is queued for the client.
  void handle(const std::string& body);
  void idle();
  std::vector<nlohmann::json> take_output();
  // The same as the protocol's message bodies (JSON text), as run() writes them.
  std::vector<std::string> take_frames();

  bool exited() const { return exited_; }
  int exit_code() const { return shutdown_ ? 0 : 1; }

  // For benchmarks: the time the last analysis took, in milliseconds.
  double last_analysis_ms() const { return last_analysis_ms_; }

 private:
  struct Document;

  void dispatch(const nlohmann::json& msg);
  nlohmann::json request(const std::string& method, const nlohmann::json& params);
  void notification(const std::string& method, const nlohmann::json& params);

  nlohmann::json initialize(const nlohmann::json& params);
  void did_open(const nlohmann::json& params);
  void did_change(const nlohmann::json& params);
  void did_close(const nlohmann::json& params);

  Document& document(const nlohmann::json& params);
  // Brings a document's analysis up to date (publishing its diagnostics if they changed).
  void refresh(Document& doc);
  void publish(Document& doc);
  void mark_dependents(const std::string& canonical);
  // Fills each document's parse cache from its analysis (see ParseCache::defer_copies).
  void settle_caches();
  std::optional<std::string> read_file(const std::string& path) const;
  std::uint32_t offset_of(const Document& doc, const nlohmann::json& params) const;

  void reply(const nlohmann::json& id, nlohmann::json result);
  void reply_error(const nlohmann::json& id, int code, const std::string& message);
  void notify(const std::string& method, nlohmann::json params);
  void log(int type, const std::string& message);

  ServerOptions options_;
  Encoding encoding_ = Encoding::Utf16;
  bool initialized_ = false;
  bool shutdown_ = false;
  bool exited_ = false;
  std::map<std::string, std::unique_ptr<Document>> docs_;  // by URI
  // What is queued for the client: a JSON value, or (when `text` is set) a message written as
  // JSON text already (publishDiagnostics, which may carry thousands of diagnostics).
  struct Outgoing {
    nlohmann::json value;
    std::string text;
  };
  std::vector<Outgoing> out_;
  std::vector<std::unique_ptr<Analysis>> retired_;  // replaced analyses, freed once output is sent
  double last_analysis_ms_ = 0;
};

}  // namespace fence::lsp
