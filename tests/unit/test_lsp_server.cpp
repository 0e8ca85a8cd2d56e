// The language server at the protocol level: framed JSON-RPC in, framed JSON-RPC out, through
// the same loop `fence lsp` runs, on string streams.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "format/format.h"
#include "helpers.h"
#include "lsp/features.h"
#include "lsp/jsonrpc.h"
#include "lsp/server.h"
#include "lsp/text.h"

using namespace fence;
using nlohmann::json;

namespace {

const std::string kDir = "/nonexistent-fence-test";  // documents live only in the editor
const std::string kUri = "file://" + kDir + "/main.fence";

std::string frame(const std::string& body) {
  return "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}
std::string frame(const json& j) {
  return frame(j.dump());
}

json request(int id, const std::string& method, json params = json::object()) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}
json notification(const std::string& method, json params = json::object()) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}
json open(const std::string& uri, const std::string& text, int version = 1) {
  return notification("textDocument/didOpen", {{"textDocument", {{"uri", uri}, {"languageId", "fence"}, {"version", version}, {"text", text}}}});
}
json at(int id, const std::string& method, const std::string& uri, int line, int character) {
  return request(id, method, {{"textDocument", {{"uri", uri}}}, {"position", {{"line", line}, {"character", character}}}});
}
json change(const std::string& uri, int version, json changes) {
  return notification("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", version}}}, {"contentChanges", std::move(changes)}});
}
json edit(int line, int from, int to, const std::string& text) {
  return json{{"range", {{"start", {{"line", line}, {"character", from}}}, {"end", {{"line", line}, {"character", to}}}}}, {"text", text}};
}

struct Session {
  std::vector<json> out;
  int code = -1;

  const json& reply(int id) const {
    for (const auto& m : out) {
      if (m.contains("id") && m["id"] == id && !m.contains("method")) return m;
    }
    FAIL("no reply to request " << id);
    static json none;
    return none;
  }
  // What was published for a document; hints (I0616, I0617: what statements do) are left out
  // unless asked for.
  std::vector<json> published(const std::string& uri, bool hints = false) const {
    std::vector<json> v;
    for (const auto& m : out) {
      if (m.value("method", "") == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri) v.push_back(without_hints(m["params"], hints));
    }
    return v;
  }
  static json without_hints(json params, bool keep) {
    if (keep || !params.contains("diagnostics")) return params;
    json kept = json::array();
    for (const auto& d : params["diagnostics"]) {
      if (d.value("severity", 0) != 4) kept.push_back(d);
    }
    params["diagnostics"] = kept;
    return params;
  }
  std::vector<json> errors_without_id() const {
    std::vector<json> v;
    for (const auto& m : out) {
      if (m.contains("error") && m["id"].is_null()) v.push_back(m);
    }
    return v;
  }
};

Session run(const std::string& input, lsp::ServerOptions options = {}) {
  options.analysis.stdlib_path = test::stdlib_path();
  std::istringstream in(input);
  std::ostringstream out;
  lsp::Server server(options);
  Session s;
  s.code = server.run(in, out);
  std::istringstream back(out.str());
  lsp::FrameReader reader(back, std::size_t{1} << 30);
  while (true) {
    auto f = reader.next();
    if (f.kind == lsp::Frame::Kind::End) break;
    REQUIRE(f.kind == lsp::Frame::Kind::Message);
    s.out.push_back(json::parse(f.body));
  }
  return s;
}

std::string session(const std::vector<json>& messages) {
  std::string s = frame(request(0, "initialize", {{"capabilities", json::object()}}));
  s += frame(notification("initialized"));
  for (const auto& m : messages) s += frame(m);
  return s;
}

const std::string kProgram =
    "import std\n"                                          // 0
    "let partners = 203.0.113.0/24:443\n"                   // 1
    "namespace shop {\n"                                    // 2
    "  default deny egress\n"                               // 3
    "  web-api may reach postgres:5432, dns, partners\n"    // 4
    "  let local = pods[tier=db]\n"                         // 5
    "  web-api may reach local:5432\n"                      // 6
    "}\n";                                                  // 7

}  // namespace

// A server, initialized, on files of a temporary directory of its own, driven one message at a
// time: for what happens on the disk between two messages.
struct DiskServer {
  test::TempDir dir;
  lsp::Server server;

  explicit DiskServer(const std::string& prefix) : dir(prefix), server(options()) { handle(request(0, "initialize")); }
  static lsp::ServerOptions options() {
    lsp::ServerOptions o;
    o.analysis.stdlib_path = test::stdlib_path();
    return o;
  }
  std::string uri(const std::string& relative) const { return lsp::path_to_uri((dir / relative).string()); }
  void handle(const json& message) { server.handle(message.dump()); }
  // Lets the server analyze what it was given, and returns the last diagnostics it published
  // (null: none), hints (I0616, I0617) left out unless asked for.
  json diagnostics(bool hints = false) {
    server.idle();
    json last;
    for (const auto& m : server.take_output()) {
      if (m.value("method", "") == "textDocument/publishDiagnostics") last = Session::without_hints(m["params"], hints)["diagnostics"];
    }
    return last;
  }
};

TEST_CASE("lsp: initialize, shutdown and exit follow the protocol", "[lsp]") {
  auto s = run(session({request(1, "shutdown"), notification("exit")}));
  const auto& init = s.reply(0);
  REQUIRE(init.contains("result"));
  const auto& caps = init["result"]["capabilities"];
  CHECK(caps["hoverProvider"] == true);
  CHECK(caps["definitionProvider"] == true);
  CHECK(caps["documentSymbolProvider"] == true);
  CHECK(caps["completionProvider"].is_object());
  CHECK(caps["textDocumentSync"]["change"] == 2);
  CHECK(caps["positionEncoding"] == "utf-16");
  CHECK(init["result"]["serverInfo"]["name"] == "fence");
  CHECK(s.reply(1)["result"].is_null());
  CHECK(s.code == 0);

  // exit without shutdown, and a stream that just ends, exit with 1.
  CHECK(run(session({notification("exit")})).code == 1);
  CHECK(run(session({})).code == 1);
  // Requests before initialize are refused; initialize twice is an error.
  auto early = run(frame(request(7, "textDocument/hover", json::object())) + frame(request(8, "initialize")) + frame(request(9, "initialize")));
  CHECK(early.reply(7)["error"]["code"] == lsp::error::kServerNotInitialized);
  CHECK(early.reply(8).contains("result"));
  CHECK(early.reply(9)["error"]["code"] == lsp::error::kInvalidRequest);
  // After shutdown, requests are refused.
  auto late = run(session({request(1, "shutdown"), at(2, "textDocument/hover", kUri, 0, 0)}));
  CHECK(late.reply(2)["error"]["code"] == lsp::error::kInvalidRequest);
}

TEST_CASE("lsp: diagnostics on open and on change, with codes, ranges, notes and help", "[lsp]") {
  std::string broken = "namespace shop {\n  web-api may rech postgres:5432   # fence:allow W0604\n}\n";
  auto s = run(session({
      open(kUri, broken),
      request(1, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}}),  // forces the analysis
      change(kUri, 2, json::array({edit(1, 14, 18, "reach")})),
      request(2, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}}),
      change(kUri, 3, json::array({edit(1, 29, 30, "70000")})),
      request(3, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}}),
      change(kUri, 4, json::array({json{{"text", "namespace shop {\n  web-api may reach 10.1.2.3:443\n}\n"}}})),
  }));
  auto pubs = s.published(kUri);
  REQUIRE(pubs.size() == 4);
  // 1: the syntax error, where it is.
  REQUIRE(pubs[0]["version"] == 1);
  REQUIRE(pubs[0]["diagnostics"].size() == 1);
  const auto& syntax = pubs[0]["diagnostics"][0];
  CHECK(syntax["code"] == "E0101");
  CHECK(syntax["severity"] == 1);
  CHECK(syntax["source"] == "fence");
  CHECK(syntax["range"] == json{{"start", {{"line", 1}, {"character", 14}}}, {"end", {{"line", 1}, {"character", 18}}}});
  CHECK(syntax["message"].get<std::string>().find("unexpected 'rech'") != std::string::npos);
  // 2: fixed.
  CHECK(pubs[1]["version"] == 2);
  CHECK(pubs[1]["diagnostics"].empty());
  // 3: a port out of range, a sema error, after an incremental edit.
  REQUIRE(pubs[2]["diagnostics"].size() == 1);
  CHECK(pubs[2]["diagnostics"][0]["code"] == "E0304");
  CHECK(pubs[2]["diagnostics"][0]["range"]["start"] == json{{"line", 1}, {"character", 29}});
  // 4: a full-text change; the hint travels in the message.
  REQUIRE(pubs[3]["version"] == 4);
  REQUIRE(pubs[3]["diagnostics"].size() == 1);
  CHECK(pubs[3]["diagnostics"][0]["code"] == "E0308");
  CHECK(pubs[3]["diagnostics"][0]["message"].get<std::string>().find("help: for this one address write 10.1.2.3/32") != std::string::npos);

  // Notes with places become related information.
  auto dup = run(session({open(kUri, "let a = 10.0.0.0/8\nlet a = 10.0.0.0/9\n")}));
  auto d = dup.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0204");
  REQUIRE(d[0]["relatedInformation"].size() == 1);
  CHECK(d[0]["relatedInformation"][0]["location"]["uri"] == kUri);
  CHECK(d[0]["relatedInformation"][0]["location"]["range"]["start"] == json{{"line", 0}, {"character", 4}});
}

TEST_CASE("lsp: the target's own errors are reported, as fence check does", "[lsp]") {
  auto s = run(session({open(kUri, "namespace shop {\n  web may reach api.stripe.com:443   # fence:allow W0604\n}\n")}));
  auto d = s.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0401");
}

TEST_CASE("lsp: a burst of edits costs one analysis", "[lsp]") {
  std::vector<json> msgs{open(kUri, kProgram)};
  for (int v = 2; v < 40; ++v) msgs.push_back(change(kUri, v, json::array({edit(4, 29, 33, v % 2 ? "5432" : "5433")})));
  auto s = run(session(msgs));
  auto pubs = s.published(kUri);
  REQUIRE(pubs.size() == 1);
  CHECK(pubs[0]["version"] == 39);
}

TEST_CASE("lsp: hover says what names, selectors and values resolve to, and shows the statement's YAML", "[lsp]") {
  auto s = run(session({
      open(kUri, kProgram),
      at(1, "textDocument/hover", kUri, 4, 21),  // postgres: a workload
      at(2, "textDocument/hover", kUri, 4, 45),  // partners: a let
      at(3, "textDocument/hover", kUri, 4, 38),  // dns: from std
      at(4, "textDocument/hover", kUri, 5, 18),  // pods[tier=db]
      at(5, "textDocument/hover", kUri, 1, 20),  // the CIDR
      at(6, "textDocument/hover", kUri, 3, 5),   // default deny egress
      at(7, "textDocument/hover", kUri, 7, 1),   // nothing
  }));
  auto text = [&](int id) { return s.reply(id)["result"]["contents"]["value"].get<std::string>(); };
  CHECK_THAT(text(1), Catch::Contains("**workload** `postgres`: the pods labelled `app=postgres` in namespace `shop`"));
  CHECK_THAT(text(1), Catch::Contains("kind: NetworkPolicy"));
  CHECK_THAT(text(1), Catch::Contains("name: web-api-egress"));
  CHECK_THAT(text(1), Catch::Contains("cidr: 203.0.113.0/24"));  // the statement's other targets too
  CHECK(s.reply(1)["result"]["range"] == json{{"start", {{"line", 4}, {"character", 20}}}, {"end", {{"line", 4}, {"character", 28}}}});
  CHECK_THAT(text(2), Catch::Contains("let partners = 203.0.113.0/24:443"));
  // Paths are relative to the project root (here the document's directory), as on the command line.
  CHECK_THAT(text(2), Catch::Contains("defined at main.fence:2:5"));
  CHECK_THAT(text(2), !Catch::Contains(kDir));
  CHECK_THAT(text(3), Catch::Contains("let dns = kube-system/pods[k8s-app=kube-dns]"));
  CHECK_THAT(text(3), Catch::Contains("defined at <stdlib>/std.fence:5:5"));
  // What sema made of it.
  CHECK_THAT(text(3), Catch::Contains("**resolves to**:\n- `kube-system/pods[k8s-app=kube-dns] on 53/udp, 53/tcp`"));
  CHECK_THAT(text(2), Catch::Contains("- `203.0.113.0/24 on 443/tcp`"));
  CHECK_THAT(text(1), Catch::Contains("- `shop/pods[app=postgres] on 5432/tcp`"));
  CHECK_THAT(text(4), Catch::Contains("**pods** labelled `tier=db` in namespace `shop`"));
  CHECK_THAT(text(5), Catch::Contains("**IPv4 CIDR** `203.0.113.0/24`: 256 addresses"));
  CHECK_THAT(text(6), Catch::Contains("name: default-deny-egress"));
  CHECK(s.reply(7)["result"].is_null());

  // Where the program has errors, hover still describes names and says why there is no YAML.
  auto broken = run(session({open(kUri, "let x = 10.0.0.0/8\nnamespace a {\n  w may reach x:99999\n}\n"), at(1, "textDocument/hover", kUri, 2, 14)}));
  auto t = broken.reply(1)["result"]["contents"]["value"].get<std::string>();
  CHECK_THAT(t, Catch::Contains("let x = 10.0.0.0/8"));
  CHECK_THAT(t, Catch::Contains("the program has errors"));
}

TEST_CASE("lsp: go to definition for lets and imports, across open buffers", "[lsp]") {
  const std::string lib = "file://" + kDir + "/lib/common.fence";
  auto s = run(session({
      open(lib, "# shared\nlet monitoring-ns = \"monitoring\"\nlet db = pods[tier=db]\n"),
      open(kUri, "import \"lib/common.fence\"\nlet db = pods[tier=cache]\nnamespace shop {\n  web may reach db, monitoring-ns/prom   # fence:allow W0604\n}\n"),
      at(1, "textDocument/definition", kUri, 3, 17),  // db: the file's own, which wins over the import's
      at(2, "textDocument/definition", kUri, 3, 23),  // monitoring-ns, used as a namespace
      at(3, "textDocument/definition", kUri, 0, 12),  // the import
      at(4, "textDocument/definition", kUri, 3, 4),   // web: a workload, named first here
  }));
  auto loc = s.reply(1)["result"];
  REQUIRE(loc.size() == 1);
  CHECK(loc[0]["uri"] == kUri);
  CHECK(loc[0]["range"]["start"] == json{{"line", 1}, {"character", 4}});
  auto ns = s.reply(2)["result"];
  REQUIRE(ns.size() == 1);
  CHECK(ns[0]["uri"] == lib);
  CHECK(ns[0]["range"]["start"] == json{{"line", 1}, {"character", 4}});
  auto imp = s.reply(3)["result"];
  REQUIRE(imp.size() == 1);
  CHECK(imp[0]["uri"] == lib);
  auto web = s.reply(4)["result"];
  REQUIRE(web.size() == 1);
  CHECK(web[0]["range"]["start"] == json{{"line", 3}, {"character", 2}});  // the statement
  // The import was served from the open buffer (it is not on disk), so the program is clean.
  CHECK(s.published(kUri).back()["diagnostics"].empty());
}

TEST_CASE("lsp: diagnostics in an imported file show at the import", "[lsp]") {
  const std::string lib = "file://" + kDir + "/lib.fence";
  auto s = run(session({open(lib, "let x = 10.0.0.0/33\n"), open(kUri, "\nimport \"lib.fence\"\nnamespace a {\n  w may reach x\n}\n")}));
  auto d = s.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0308");
  CHECK(d[0]["range"]["start"] == json{{"line", 1}, {"character", 0}});
  CHECK_THAT(d[0]["message"].get<std::string>(), Catch::StartsWith("in lib.fence:1:9: "));
  CHECK(d[0]["relatedInformation"][0]["location"]["uri"] == lib);
  // Editing the library re-analyzes the file that imports it.
  auto s2 = run(session({open(lib, "let x = 10.0.0.0/33\n"), open(kUri, "import \"lib.fence\"\nnamespace a {\n  w may reach x\n}\n"),
                         at(1, "textDocument/hover", kUri, 0, 0), change(lib, 2, json::array({edit(0, 17, 19, "8")}))}));
  CHECK(s2.published(kUri).back()["diagnostics"].empty());
}

TEST_CASE("lsp: completion offers keywords, names in scope, std names and protocols", "[lsp]") {
  std::string text =
      "let partners = 203.0.113.0/24\nnamespace shop {\n  let local = pods[tier=db]\n  web may reach \n  db may reach x:53/\n  api may reach db\n}\n"
      "# a comment \n";
  auto s = run(session({open(kUri, text), at(1, "textDocument/completion", kUri, 3, 16), at(2, "textDocument/completion", kUri, 4, 20),
                        at(3, "textDocument/completion", kUri, 7, 12), at(4, "textDocument/completion", kUri, 2, 21)}));
  CHECK(s.reply(3)["result"].empty());  // in a comment
  CHECK(s.reply(4)["result"].empty());  // in a selector
  auto items = s.reply(1)["result"];
  auto find = [&](const std::string& label) -> json {
    for (const auto& i : items) {
      if (i["label"] == label) return i;
    }
    return nullptr;
  };
  // After `may reach` come peers: no keyword that starts an item or a verb.
  CHECK(find("namespace").is_null());
  CHECK(find("may").is_null());
  CHECK(find("entity")["kind"] == 14);
  CHECK(find("all")["kind"] == 14);
  CHECK(find("db")["kind"] == 7);  // a workload of shop, named in another statement (one that parses)
  CHECK(find("db")["detail"] == "workload in shop");
  CHECK(find("partners")["detail"] == "203.0.113.0/24");
  CHECK(find("local")["detail"] == "pods[tier=db]");
  auto internet = find("internet");
  REQUIRE(internet.is_object());
  CHECK(internet["additionalTextEdits"][0]["newText"] == "import std\n");
  std::vector<std::string> protocols;
  for (const auto& i : s.reply(2)["result"]) protocols.push_back(i["label"]);
  CHECK(protocols == std::vector<std::string>{"tcp", "udp", "sctp", "any"});
}

namespace {
// The labels a completion request offers.
std::vector<std::string> labels(const json& items) {
  std::vector<std::string> v;
  for (const auto& i : items) v.push_back(i["label"]);
  return v;
}
bool offers(const json& items, const std::string& label) {
  auto v = labels(items);
  return std::find(v.begin(), v.end(), label) != v.end();
}
}  // namespace

// What completion offers where `|` stands in a document (the `|` is not part of it).
json complete_at(const std::string& marked) {
  auto bar = marked.find('|');
  std::string text = marked.substr(0, bar) + marked.substr(bar + 1);
  int line = static_cast<int>(std::count(marked.begin(), marked.begin() + static_cast<std::ptrdiff_t>(bar), '\n'));
  auto line_start = marked.rfind('\n', bar == 0 ? 0 : bar - 1);
  int col = static_cast<int>(line_start == std::string::npos ? bar : bar - line_start - 1);
  auto s = run(session({open(kUri, text), at(1, "textDocument/completion", kUri, line, col)}));
  return s.reply(1)["result"];
}

TEST_CASE("lsp: completion offers only what the grammar allows next", "[lsp]") {
  using V = std::vector<std::string>;
  const std::string shop = "environments dev, prod\nnamespace shop {\n  web may reach db:5432\n";
  CHECK(labels(complete_at(shop + "  web may |\n}\n")) == V{"reach", "be", "send", "receive"});
  CHECK(labels(complete_at(shop + "  web must not |\n}\n")) == V{"reach", "be", "send", "receive"});
  CHECK(labels(complete_at(shop + "  web must |\n}\n")) == V{"not"});
  CHECK(labels(complete_at(shop + "  web |\n}\n")) == V{"may", "must"});
  CHECK(labels(complete_at(shop + "  web, db |\n}\n")) == V{"may", "must"});
  CHECK(labels(complete_at(shop + "  default deny |\n}\n")) == V{"ingress", "egress", "all"});
  CHECK(labels(complete_at(shop + "  default |\n}\n")) == V{"deny"});
  CHECK(labels(complete_at(shop + "  api may be |\n}\n")) == V{"reached"});
  CHECK(labels(complete_at(shop + "  api may be reached |\n}\n")) == V{"by"});
  CHECK(labels(complete_at(shop + "  api may send |\n}\n")) == V{"to"});
  CHECK(labels(complete_at(shop + "  api may reach all |\n}\n")) == V{"pods", "namespaces"});
  CHECK(labels(complete_at(shop + "}\nwhen |\n")) == V{"dev", "prod"});
  CHECK(labels(complete_at(shop + "  let x in |\n}\n")) == V{"dev", "prod"});
  CHECK(labels(complete_at(shop + "  let |\n}\n")).empty());  // a new name
  CHECK(labels(complete_at(shop + "  let x |\n}\n")) == V{"in", "for"});
  CHECK(labels(complete_at(shop + "  let x in prod for |\n}\n")) == V{"k8s", "cilium", "cnp", "calico"});
  CHECK(labels(complete_at(shop + "}\nfor |\n")) == V{"k8s", "cilium", "cnp", "calico"});
  CHECK(labels(complete_at(shop + "}\nwhen prod |\n")) == V{"for"});
  CHECK(labels(complete_at(shop + "}\nwhen prod for |\n")) == V{"k8s", "cilium", "cnp", "calico"});
  CHECK(labels(complete_at(shop + "  web may reach db:|\n}\n")).empty());
  // An item starts: its keywords and subjects, not a verb.
  auto start = complete_at(shop + "  |\n}\nnamespace ops {\n  mon may reach shop/web\n}\n");
  CHECK(offers(start, "let"));
  CHECK(offers(start, "default"));
  CHECK(offers(start, "web"));
  CHECK(offers(start, "ops/"));
  CHECK_FALSE(offers(start, "reach"));
  CHECK_FALSE(offers(start, "shop/"));  // the namespace the cursor is in
  CHECK_FALSE(offers(start, "internet"));  // std names are peers, not subjects
  // A list that goes on after a comma on the next line: peers.
  auto peers = complete_at(shop + "  web may reach db,\n    |\n}\n");
  CHECK(offers(peers, "db"));
  CHECK(offers(peers, "entity"));
  CHECK(offers(peers, "internet"));  // the standard library's
  CHECK_FALSE(offers(peers, "may"));
  // After `shop/`: the workloads of shop the program names, and nothing else.
  CHECK(labels(complete_at(shop + "  api may reach web\n}\nnamespace ops {\n  mon may reach shop/|\n}\n")) == V{"web", "db", "api"});
}

TEST_CASE("lsp: completion and definition know the inventory's workloads", "[lsp]") {
  DiskServer s("fence-lsp-inventory-completion");
  s.dir.write("deploy/all.yaml",
              "kind: Deployment\nmetadata: {name: checkout-v2, namespace: shop}\n"
              "spec:\n  template:\n    metadata: {labels: {app: checkout}}\n"
              "    spec: {containers: [{name: c, ports: [{containerPort: 9000}]}]}\n"
              "---\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n"
              "---\nkind: Pod\nmetadata: {name: prom, namespace: monitoring, labels: {app: prom}}\n");
  auto uri = s.uri("main.fence");
  s.handle(open(uri, "set inventory = \"deploy/\"\nnamespace shop {\n  web may reach 10.0.0.0/8:443\n  web may reach \n}\nnamespace ops {\n  x may reach monitoring/\n}\n"));
  s.diagnostics();
  s.handle(at(1, "textDocument/completion", uri, 3, 16));
  s.handle(at(2, "textDocument/completion", uri, 6, 25));
  s.handle(at(3, "textDocument/definition", uri, 2, 3));
  s.server.idle();
  json replies[4];
  for (const auto& m : s.server.take_output()) {
    if (m.contains("id") && m["id"].is_number_integer() && m["id"].get<int>() >= 1 && m["id"].get<int>() <= 3) replies[m["id"].get<int>()] = m["result"];
  }
  auto inside = replies[1];
  // A workload is named by its pods' label, as sources name them: checkout, not checkout-v2.
  CHECK(offers(inside, "checkout"));  // from the inventory only
  CHECK_FALSE(offers(inside, "checkout-v2"));
  auto kind_of = [&](const std::string& label) {
    for (const auto& i : inside) {
      if (i["label"] == label) return i["detail"];
    }
    return json();
  };
  CHECK(kind_of("web") == "workload in shop");  // the program names it (and so does the inventory)
  CHECK(offers(inside, "monitoring/"));
  CHECK(labels(replies[2]) == std::vector<std::string>{"prom"});
  // Definition of web: its first statement, and its object in the inventory.
  auto def = replies[3];
  REQUIRE(def.size() == 2);
  CHECK(def[0]["uri"] == uri);
  CHECK(def[0]["range"]["start"] == json{{"line", 2}, {"character", 2}});
  CHECK(def[1]["uri"] == s.uri("deploy/all.yaml"));
  CHECK(def[1]["range"]["start"]["line"] == 8);  // the Pod's metadata.name
}

TEST_CASE("lsp: go to definition of a workload goes to the first statement that names it", "[lsp]") {
  const std::string text = "namespace shop {\n  web may reach db:5432\n  db may reach dns\n}\nnamespace ops {\n  mon may reach shop/db\n}\n";
  auto s = run(session({open(kUri, text), at(1, "textDocument/definition", kUri, 2, 3), at(2, "textDocument/definition", kUri, 5, 22)}));
  for (int id : {1, 2}) {
    auto r = s.reply(id)["result"];
    REQUIRE(r.size() == 1);
    CHECK(r[0]["range"]["start"] == json{{"line", 1}, {"character", 2}});
  }
}

TEST_CASE("lsp: code actions write what a diagnostic suggests", "[lsp]") {
  const std::string text = "environments dev, prod\nlet net in prd = 10.0.0.0/8\nnamespace shop {\n  web may reach net:443/tpc\n}\n";
  auto range = [](int l0, int c0, int l1, int c1) {
    return json{{"start", {{"line", l0}, {"character", c0}}}, {"end", {{"line", l1}, {"character", c1}}}};
  };
  auto s = run(session({open(kUri, text),
                        request(1, "textDocument/codeAction", {{"textDocument", {{"uri", kUri}}}, {"range", range(0, 0, 5, 0)}, {"context", {{"diagnostics", json::array()}}}}),
                        request(2, "textDocument/codeAction", {{"textDocument", {{"uri", kUri}}}, {"range", range(2, 0, 2, 3)}, {"context", {{"diagnostics", json::array()}}}}),
                        request(3, "textDocument/codeAction", {{"textDocument", {{"uri", kUri}}}, {"range", range(3, 0, 0, 0)}})}));
  auto actions = s.reply(1)["result"];
  INFO(actions.dump(1));
  std::vector<std::string> titles, texts;
  for (const auto& a : actions) {
    titles.push_back(a["title"]);
    CHECK(a["kind"] == "quickfix");
    auto edits = a["edit"]["changes"][kUri];
    REQUIRE(edits.size() == 1);
    texts.push_back(edits[0]["newText"]);
  }
  CHECK(titles == std::vector<std::string>{"Change 'prd' to 'prod'", "Change 'tpc' to 'tcp'"});
  CHECK(actions[0]["edit"]["changes"][kUri][0]["range"] == range(1, 11, 1, 14));
  CHECK(s.reply(2)["result"].empty());           // nothing suggested on that line
  CHECK(s.reply(3)["error"]["code"] == -32602);  // a range that ends before it starts
}

TEST_CASE("lsp: document symbols list namespaces with their lets", "[lsp]") {
  auto s = run(session({open(kUri, kProgram), request(1, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}})}));
  auto syms = s.reply(1)["result"];
  REQUIRE(syms.size() == 3);
  CHECK(syms[0]["name"] == "std");
  CHECK(syms[1]["name"] == "partners");
  CHECK(syms[1]["kind"] == 14);
  CHECK(syms[2]["name"] == "shop");
  CHECK(syms[2]["kind"] == 3);
  CHECK(syms[2]["selectionRange"]["start"] == json{{"line", 2}, {"character", 10}});
  REQUIRE(syms[2]["children"].size() == 1);
  CHECK(syms[2]["children"][0]["name"] == "local");
  // A file with syntax errors still has symbols up to the error.
  auto b = run(session({open(kUri, "let a = 10.0.0.0/8\nnamespace x {\n  let b = c\n  web may\n}\n"),
                        request(1, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}})}));
  auto bs = b.reply(1)["result"];
  REQUIRE(bs.size() == 2);
  CHECK(bs[1]["children"][0]["name"] == "b");
}

TEST_CASE("lsp: malformed and unexpected messages get JSON-RPC errors, and the server goes on", "[lsp]") {
  std::string in = session({});
  in += frame(std::string("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": "));            // truncated JSON
  in += frame(std::string("[1, 2]"));                                                    // a batch
  in += frame(std::string("\"just a string\""));                                         // not an object
  in += frame(json{{"jsonrpc", "2.0"}, {"id", 2}});                                      // no method
  in += frame(json{{"jsonrpc", "1.0"}, {"id", 3}, {"method", "shutdown"}});              // wrong version
  in += frame(json{{"jsonrpc", "2.0"}, {"id", json::object()}, {"method", "x"}});        // bad id
  in += frame(json{{"jsonrpc", "2.0"}, {"id", 4}, {"method", 42}});                      // bad method
  in += frame(request(5, "textDocument/noSuchMethod"));                                  // unknown method
  in += frame(notification("workspace/somethingNew"));                                   // unknown notification
  in += frame(request(6, "textDocument/hover", {{"textDocument", {{"uri", kUri}}}}));    // not open, no position
  in += frame(open(kUri, "namespace a {}\n"));
  in += frame(request(7, "textDocument/hover", {{"textDocument", {{"uri", kUri}}}}));    // no position
  in += frame(at(8, "textDocument/hover", kUri, -1, 0));                                 // negative line
  in += frame(at(9, "textDocument/hover", kUri, 9999, 9999));                            // past the end: clamped
  in += frame(change(kUri, 2, json::array({edit(0, 5, 2, "x")})));                       // a backwards range
  in += frame(notification("textDocument/didChange", {{"textDocument", {{"uri", "file:///not/open"}}}, {"contentChanges", json::array()}}));
  in += frame(json{{"jsonrpc", "2.0"}, {"id", 10}, {"method", "shutdown"}, {"params", 3}});  // params not structured
  in += frame(std::string(200000, '[') + std::string(200000, ']'));                      // too deep
  in += frame(std::string("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"x\",\"params\":\"\xff\"}"));  // invalid UTF-8
  in += frame(request(12, "shutdown"));
  in += frame(notification("exit"));
  auto s = run(in);
  auto nulls = s.errors_without_id();
  REQUIRE(nulls.size() == 6);
  CHECK(nulls[0]["error"]["code"] == lsp::error::kParseError);
  CHECK(nulls[1]["error"]["code"] == lsp::error::kInvalidRequest);
  CHECK(nulls[2]["error"]["code"] == lsp::error::kInvalidRequest);
  CHECK(nulls[3]["error"]["code"] == lsp::error::kInvalidRequest);  // the bad id
  CHECK(nulls[4]["error"]["code"] == lsp::error::kParseError);      // too deep
  CHECK(nulls[5]["error"]["code"] == lsp::error::kParseError);      // invalid UTF-8
  CHECK(s.reply(2)["error"]["code"] == lsp::error::kInvalidRequest);
  CHECK(s.reply(3)["error"]["code"] == lsp::error::kInvalidRequest);
  CHECK(s.reply(4)["error"]["code"] == lsp::error::kInvalidRequest);
  CHECK(s.reply(5)["error"]["code"] == lsp::error::kMethodNotFound);
  CHECK(s.reply(6)["error"]["code"] == lsp::error::kInvalidParams);
  CHECK(s.reply(7)["error"]["code"] == lsp::error::kInvalidParams);
  CHECK(s.reply(8)["error"]["code"] == lsp::error::kInvalidParams);
  CHECK(s.reply(9).contains("result"));
  CHECK(s.reply(10)["error"]["code"] == lsp::error::kInvalidParams);
  CHECK(s.reply(12)["result"].is_null());
  // Problems in notifications are logged, since they get no reply.
  std::size_t logged = 0;
  for (const auto& m : s.out) logged += m.value("method", "") == "window/logMessage";
  CHECK(logged == 2);
  CHECK(s.code == 0);
}

TEST_CASE("lsp: garbage between messages is reported and skipped", "[lsp]") {
  std::mt19937 rng(99);
  std::string junk;
  for (int i = 0; i < 5000; ++i) junk += static_cast<char>(rng() % 256);
  std::string in = junk + "\r\n\r\n";
  in += "Content-Length: abc\r\n\r\n";
  in += "Content-Length: -5\r\n\r\n";
  in += std::string(100000, 'x') + "\r\n\r\n";  // a header line far too long
  in += "garbageContent-Length: 2\r\n\r\n{}";      // resynchronizes inside the line
  in += frame(request(1, "initialize"));
  in += "\r\n\r\n";  // blank lines between messages are harmless
  in += frame(request(2, "shutdown"));
  in += "Content-Length: 500\r\n\r\n{\"jsonrpc\"";  // the stream ends inside a message
  auto s = run(in);
  CHECK(s.reply(1).contains("result"));
  CHECK(s.reply(2)["result"].is_null());
  CHECK(s.errors_without_id().size() >= 4);
  CHECK(s.code == 0);
}

TEST_CASE("lsp: huge messages and huge files get an answer, not a crash", "[lsp]") {
  lsp::ServerOptions small;
  small.max_message_bytes = 4096;
  auto s = run(session({open(kUri, std::string(10000, '#')), request(1, "shutdown")}), small);
  REQUIRE_FALSE(s.errors_without_id().empty());
  CHECK_THAT(s.errors_without_id()[0]["error"]["message"].get<std::string>(), Catch::Contains("the limit is 4096 bytes"));
  CHECK(s.reply(1)["result"].is_null());

  // A 5 MiB document: one diagnostic that says why it is not analyzed; requests get empty answers.
  std::string huge;
  while (huge.size() < (std::size_t{5} << 20)) huge += "namespace n { web may reach db:5432 }\n";
  auto h = run(session({open(kUri, huge), at(1, "textDocument/hover", kUri, 0, 15),
                        request(2, "textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}})}));
  auto d = h.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0]["message"].get<std::string>(), Catch::Contains("Run `fence check` on it instead"));
  CHECK(h.reply(1)["result"].is_null());
  CHECK(h.reply(2)["result"].empty());
}

TEST_CASE("lsp: many errors are capped, and the cap is said", "[lsp]") {
  std::string text = "namespace a {\n";
  for (int i = 0; i < 80; ++i) text += "  w may reach x:" + std::to_string(70000 + i) + "\n";
  text += "}\n";
  auto s = run(session({open(kUri, text)}));
  auto d = s.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 51);
  CHECK_THAT(d[50]["message"].get<std::string>(), Catch::Contains("30 more errors are not shown"));
}

TEST_CASE("lsp: positions count UTF-16 code units unless the client takes UTF-8", "[lsp]") {
  // "é" is 2 bytes and 1 UTF-16 unit; "😀" is 4 bytes and 2 units.
  std::string text = "# é 😀\nnamespace a {\n  w may reach x:99999 # é😀\n}\n";
  lsp::LineIndex idx(text);
  CHECK(idx.position(static_cast<std::uint32_t>(text.find("namespace")), lsp::Encoding::Utf16) == lsp::Position{1, 0});
  auto end_of_comment = static_cast<std::uint32_t>(text.find('\n'));
  CHECK(idx.position(end_of_comment, lsp::Encoding::Utf16) == lsp::Position{0, 6});
  CHECK(idx.position(end_of_comment, lsp::Encoding::Utf8) == lsp::Position{0, 9});
  CHECK(idx.offset({0, 6}, lsp::Encoding::Utf16) == end_of_comment);
  CHECK(idx.offset({0, 5}, lsp::Encoding::Utf16) == end_of_comment - 4);  // inside the emoji's pair: at its start
  CHECK(idx.offset({0, 100}, lsp::Encoding::Utf16) == end_of_comment);    // clamped to the line
  CHECK(idx.offset({99, 0}, lsp::Encoding::Utf16) == text.size());

  auto init8 = request(0, "initialize", {{"capabilities", {{"general", {{"positionEncodings", {"utf-8", "utf-16"}}}}}}});
  auto s = run(frame(init8) + frame(open(kUri, text)));
  CHECK(s.reply(0)["result"]["capabilities"]["positionEncoding"] == "utf-8");
  auto d = s.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["range"]["start"] == json{{"line", 2}, {"character", 16}});
}

TEST_CASE("lsp: file URIs and paths convert both ways", "[lsp]") {
  CHECK(lsp::uri_to_path("file:///a/b%20c.fence") == std::optional<std::string>("/a/b c.fence"));
  CHECK(lsp::uri_to_path("file://localhost/x.fence") == std::optional<std::string>("/x.fence"));
  CHECK_FALSE(lsp::uri_to_path("untitled:Untitled-1"));
  CHECK_FALSE(lsp::uri_to_path("file://otherhost/x"));
  CHECK_FALSE(lsp::uri_to_path("file:///bad%2"));
  CHECK_FALSE(lsp::uri_to_path("file:///nul%00"));
  CHECK(lsp::path_to_uri("/a/b c#é.fence") == "file:///a/b%20c%23%C3%A9.fence");
  CHECK(lsp::uri_to_path(lsp::path_to_uri("/a/b c#é.fence")) == std::optional<std::string>("/a/b c#é.fence"));
  // A document with a non-file URI is analyzed all the same.
  auto s = run(session({open("untitled:Untitled-1", "namespace a {\n  w may reach x:0\n}\n")}));
  CHECK(s.published("untitled:Untitled-1").back()["diagnostics"][0]["code"] == "E0304");
}

TEST_CASE("lsp: random message sequences never crash and every request gets one reply", "[lsp]") {
  std::mt19937 rng(4242);
  const std::vector<std::string> methods = {"textDocument/hover",      "textDocument/definition", "textDocument/completion",
                                            "textDocument/documentSymbol", "textDocument/didChange", "textDocument/didOpen",
                                            "textDocument/didClose", "shutdown",                "bogus",
                                            "textDocument/codeAction"};
  const std::vector<std::string> texts = {kProgram, "namespace {", "let x = pods[", "", "\"", "web may reach\n}", std::string(300, '{')};
  for (int round = 0; round < 30; ++round) {
    std::string in = frame(request(0, "initialize"));
    int next_id = 1;
    std::vector<int> ids;
    for (int k = 0; k < 25; ++k) {
      const auto& m = methods[rng() % methods.size()];
      json params{{"textDocument", {{"uri", rng() % 4 ? kUri : std::string("file:///other.fence")}, {"version", k}, {"text", texts[rng() % texts.size()]}}},
                  {"position", {{"line", static_cast<int>(rng() % 12) - 1}, {"character", static_cast<int>(rng() % 60)}}},
                  {"contentChanges", json::array({edit(static_cast<int>(rng() % 9), static_cast<int>(rng() % 5), static_cast<int>(5 + rng() % 5),
                                                       texts[rng() % texts.size()].substr(0, rng() % 20))})}};
      if (rng() % 5 == 0) params.erase("position");
      bool is_request = m.find("did") == std::string::npos;
      if (is_request) {
        ids.push_back(next_id);
        in += frame(request(next_id++, m, params));
      } else {
        in += frame(notification(m, params));
      }
    }
    INFO("round " << round);
    Session s;
    REQUIRE_NOTHROW(s = run(in));
    for (int id : ids) {
      std::size_t replies = 0;
      for (const auto& o : s.out) replies += o.contains("id") && o["id"] == id && !o.contains("method");
      CHECK(replies == 1);
    }
  }
}

TEST_CASE("lsp: imports that are not open are read from disk, and a save re-reads them", "[lsp]") {
  DiskServer s("fence-lsp-imports");
  s.dir.write("lib.fence", "let x = 10.0.0.0/33\n");
  auto uri = s.uri("main.fence");
  s.handle(open(uri, "import \"lib.fence\"\nnamespace a {\n  w may reach x\n}\n"));
  CHECK(s.diagnostics().size() == 1);
  s.dir.write("lib.fence", "let x = 10.0.0.0/8\n");
  CHECK(s.diagnostics().is_null());  // nothing says the disk changed: no new analysis
  s.handle(notification("textDocument/didSave", {{"textDocument", {{"uri", uri}}}}));
  CHECK(s.diagnostics().empty());
}

TEST_CASE("lsp: the inventory a file names is checked against, and read again when it changes", "[lsp]") {
  DiskServer s("fence-lsp-inventory");
  const std::string manifests =
      "kind: Deployment\nmetadata: {name: api, namespace: shop}\n"
      "spec:\n  template:\n    metadata: {labels: {app: api}}\n"
      "    spec: {containers: [{name: api, ports: [{containerPort: 9000}]}]}\n"
      "---\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
      "spec: {selector: {app: api}, ports: [{port: 80, targetPort: 9000}]}\n"
      "---\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n";
  s.dir.write("deploy/api.yaml", manifests);
  auto uri = s.uri("main.fence");
  s.handle(open(uri, "import std\nset inventory = \"deploy/\"\nnamespace shop {\n  web may reach api:80, dns\n}\n"));
  auto d = s.diagnostics(true);
  json problems = json::array(), hints = json::array();
  for (const auto& x : d) (x["severity"] == 4 ? hints : problems).push_back(x);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]["code"] == "W0807");
  CHECK(problems[0]["range"]["start"] == json{{"line", 3}, {"character", 20}});
  REQUIRE(problems[0]["relatedInformation"].size() == 1);
  CHECK(problems[0]["relatedInformation"][0]["location"]["uri"] == s.uri("deploy/api.yaml"));
  CHECK(problems[0]["relatedInformation"][0]["message"] == "the Service api maps 80 to 9000; policy sees the pods' port 9000");
  // What statements do shows as hints: web is isolated for egress by its statement.
  REQUIRE(hints.size() == 1);
  CHECK(hints[0]["code"] == "I0617");

  // A manifest that is not YAML any more: read anew, its error shows at the setting, with its own
  // place related.
  s.dir.write("deploy/api.yaml", "kind: Deployment\nmetadata: {name: [api\n");
  s.handle(change(uri, 2, json::array({edit(3, 2, 5, "web")})));
  d = s.diagnostics(true);
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0801");
  CHECK(d[0]["range"]["start"] == json{{"line", 1}, {"character", 16}});
  CHECK_THAT(d[0]["message"].get<std::string>(), Catch::StartsWith("in " + (s.dir / "deploy/api.yaml").string() + ":"));
  s.dir.write("deploy/api.yaml", manifests);
  s.handle(change(uri, 3, json::array({edit(3, 20, 22, "9000")})));
  d = s.diagnostics(true);
  INFO(d.dump(1));
  for (const auto& x : d) CHECK(x["severity"] == 4);  // nothing but the hint
}

TEST_CASE("lsp: a chain of thousands of definitions is a diagnostic, not a crash", "[lsp][limits]") {
  std::string text = "let d0 = 10.0.0.0/8:443\n";
  for (int i = 1; i < 3000; ++i) text += "let d" + std::to_string(i) + " = {d" + std::to_string(i - 1) + "}\n";
  text += "namespace a {\n  web may reach d2999\n}\n";
  auto s = run(session({open(kUri, text), at(1, "textDocument/hover", kUri, 3001, 18), request(2, "shutdown"), notification("exit")}));
  auto d = s.published(kUri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0216");
  CHECK(d[0]["range"]["start"] == json{{"line", 3001}, {"character", 16}});
  CHECK(s.reply(1).contains("result"));
  CHECK(s.code == 0);
}

TEST_CASE("lsp: an imported file that is not UTF-8 is a diagnostic at the import", "[lsp][limits]") {
  auto dir = std::filesystem::temp_directory_path() / ("fence-lsp-utf8-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "lib.fence", std::ios::binary) << "# \xed\xa0\x80 \xff\nlet x = 10.0.0.0/8\n";
  auto uri = lsp::path_to_uri((dir / "main.fence").string());
  // UTF-16 positions on a line after the invalid bytes, and a hover over a name from that file.
  auto s = run(session({open(uri, "import \"lib.fence\"  # \xc3\xa9\nnamespace a {\n  w may reach x\n}\n"), at(1, "textDocument/hover", uri, 2, 15),
                        request(2, "shutdown"), notification("exit")}));
  auto d = s.published(uri).back()["diagnostics"];
  REQUIRE(d.size() == 1);
  CHECK(d[0]["code"] == "E0102");
  CHECK(d[0]["range"]["start"] == json{{"line", 0}, {"character", 0}});
  CHECK_THAT(d[0]["message"].get<std::string>(), Catch::Contains("lib.fence:1:3: the file is not valid UTF-8 here: a UTF-16 surrogate"));
  CHECK(d[0]["relatedInformation"][0]["location"]["range"]["start"] == json{{"line", 0}, {"character", 2}});
  CHECK(s.reply(1).contains("result"));
  CHECK(s.code == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("lsp: invalid bytes come only from disk: an import that turns invalid, and a directory whose name is not UTF-8", "[lsp][limits]") {
  // The directory's name holds the byte 0xFF: the client sends it as %FF, the server reads files
  // there, and every path it writes back is valid JSON.
  auto dir = std::filesystem::temp_directory_path() / ("fence-lsp-bytes-\xff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& bytes) {
    std::ofstream(dir / "lib.fence", std::ios::binary) << bytes;
  };
  write("let x = 10.0.0.0/8\n");
  auto uri = lsp::path_to_uri((dir / "main.fence").string());
  REQUIRE(uri.find("%FF") != std::string::npos);
  const std::string main_text = "import \"lib.fence\"\nnamespace a {\n  w may reach x\n}\n";

  SECTION("the import changes on disk, and a watched-files notification re-reads it") {
    lsp::ServerOptions options;
    options.analysis.stdlib_path = test::stdlib_path();
    lsp::Server server(options);
    std::vector<json> out;
    auto pump = [&] {
      server.idle();
      out = server.take_output();
    };
    auto last_diagnostics = [&] {
      json last;
      for (const auto& m : out) {
        if (m.value("method", "") == "textDocument/publishDiagnostics") last = m["params"]["diagnostics"];
      }
      return last;
    };
    // Errors and warnings: the hints (I0616, I0617) explain statements and are always there.
    auto problems = [&] {
      json out_list = json::array();
      for (const auto& d : last_diagnostics()) {
        if (d.value("severity", 1) < 4) out_list.push_back(d);
      }
      return out_list;
    };
    server.handle(request(0, "initialize").dump());
    server.handle(open(uri, main_text).dump());
    pump();
    CHECK(problems().empty());
    server.handle(at(1, "textDocument/definition", uri, 2, 15).dump());
    pump();
    REQUIRE(out.size() == 1);
    CHECK(out[0]["result"][0]["uri"] == lsp::path_to_uri((dir / "lib.fence").string()));

    // An emoji (two UTF-16 units), then an overlong form: the bad byte is at UTF-16 unit 5 of line 0.
    write("# \xf0\x9f\x98\x80 \xe0\x80\xaf\nlet x = 10.0.0.0/8\n");
    server.handle(notification("workspace/didChangeWatchedFiles", {{"changes", json::array({{{"uri", "file:///elsewhere"}, {"type", 2}}})}}).dump());
    pump();
    auto d = last_diagnostics();
    REQUIRE(d.size() == 1);
    CHECK(d[0]["code"] == "E0102");
    CHECK(d[0]["range"]["start"] == json{{"line", 0}, {"character", 0}});  // the import
    CHECK_THAT(d[0]["message"].get<std::string>(), Catch::Contains("lib.fence:1:5: the file is not valid UTF-8 here: an overlong encoding of U+002F"));
    CHECK(d[0]["relatedInformation"][0]["location"]["range"]["start"] == json{{"line", 0}, {"character", 5}});
    CHECK(d[0]["relatedInformation"][0]["location"]["uri"] == lsp::path_to_uri((dir / "lib.fence").string()));
    // Every message serializes as JSON, whatever bytes the paths hold.
    for (const auto& m : out) CHECK(!json::parse(m.dump(-1, ' ', false, json::error_handler_t::replace), nullptr, false).is_discarded());

    write("let x = 10.0.0.0/8\n");
    server.handle(notification("textDocument/didSave", {{"textDocument", {{"uri", uri}}}}).dump());
    pump();
    CHECK(problems().empty());
  }

  SECTION("through the framed stream: the replies are JSON, and a lone surrogate escape in a message is a parse error") {
    write("let y = 10.0.0.0/8\n# \xed\xa0\x80\n");
    std::string in = session({open(uri, main_text), at(1, "textDocument/hover", uri, 2, 15), request(2, "shutdown"), notification("exit")});
    // The JSON text escapes a lone surrogate: no client can send invalid text that way.
    in.insert(in.find("Content-Length", 10),
              frame(std::string(R"({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///x.fence","languageId":"fence","version":1,"text":"\ud800"}}})")));
    auto s = run(in);  // run() parses every message the server wrote
    auto d = s.published(uri).back()["diagnostics"];
    REQUIRE(d.size() == 1);
    CHECK(d[0]["code"] == "E0102");
    CHECK_THAT(d[0]["message"].get<std::string>(), Catch::Contains("a UTF-16 surrogate"));
    CHECK(d[0]["relatedInformation"][0]["location"]["range"]["start"] == json{{"line", 1}, {"character", 2}});
    REQUIRE(s.errors_without_id().size() == 1);
    CHECK(s.errors_without_id()[0]["error"]["code"] == -32700);
    CHECK(s.published("file:///x.fence").empty());
    CHECK(s.reply(1).contains("result"));
    CHECK(s.code == 0);
  }
  std::filesystem::remove_all(dir);
}

namespace {

// Applies a TextEdit[] to a text (UTF-16 positions), as a client does: all ranges refer to the
// text before any edit.
std::string apply_edits(const std::string& text, const json& edits) {
  lsp::LineIndex index(text);
  std::vector<std::tuple<std::uint32_t, std::uint32_t, std::string>> changes;
  for (const auto& e : edits) {
    auto at = [&](const json& p) { return index.offset({p["line"].get<std::uint32_t>(), p["character"].get<std::uint32_t>()}, lsp::Encoding::Utf16); };
    changes.emplace_back(at(e["range"]["start"]), at(e["range"]["end"]), e["newText"].get<std::string>());
  }
  std::sort(changes.begin(), changes.end());
  std::string out = text;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) out.replace(std::get<0>(*it), std::get<1>(*it) - std::get<0>(*it), std::get<2>(*it));
  return out;
}

json format_request(int id, const std::string& uri) {
  return request(id, "textDocument/formatting", {{"textDocument", {{"uri", uri}}}, {"options", {{"tabSize", 8}, {"insertSpaces", false}}}});
}

json range_format_request(int id, const std::string& uri, int from, int to) {
  return request(id, "textDocument/rangeFormatting",
                 {{"textDocument", {{"uri", uri}}},
                  {"range", {{"start", {{"line", from}, {"character", 0}}}, {"end", {{"line", to}, {"character", 0}}}}},
                  {"options", {{"tabSize", 2}, {"insertSpaces", true}}}});
}

}  // namespace

TEST_CASE("lsp: formatting gives fence fmt's layout, as edits of the lines that change", "[lsp]") {
  const std::string text =
      "namespace shop {\n"              // 0
      "  default deny egress\n"         // 1
      "  web-api   may reach db:5432\n"  // 2: spacing
      "  api may reach db:5432\n"       // 3
      "\n"                              // 4
      "\n"                              // 5: one blank line too many
      "  x may reach  y   # note\n"     // 6: spacing
      "}";                              // 7: no newline at the end
  auto s = run(session({open(kUri, text), format_request(1, kUri), range_format_request(2, kUri, 2, 3)}));
  const auto& init = s.reply(0)["result"]["capabilities"];
  CHECK(init["documentFormattingProvider"] == true);
  CHECK(init["documentRangeFormattingProvider"] == true);

  auto edits = s.reply(1)["result"];
  REQUIRE(edits.is_array());
  CHECK(apply_edits(text, edits) == format::format_text(text));
  // Only the lines that change are replaced: lines 0, 1 and 3 are left alone.
  CHECK(edits.size() >= 2);
  for (const auto& e : edits) {
    auto from = e["range"]["start"]["line"].get<int>();
    auto to = e["range"]["end"]["line"].get<int>();
    CHECK(from >= 2);
    CHECK_FALSE((from <= 3 && to > 3));
  }
  // A range takes only the changes that touch its lines.
  auto ranged = s.reply(2)["result"];
  REQUIRE(ranged.size() == 1);
  CHECK(apply_edits(text, ranged) == "namespace shop {\n  default deny egress\n  web-api may reach db:5432\n  api may reach db:5432\n\n\n  x may reach  y   # note\n}");
}

TEST_CASE("lsp: a document with syntax errors is not formatted, and the log says why", "[lsp]") {
  auto s = run(session({open(kUri, "namespace shop {\n  api may rech db\n}\n"), format_request(1, kUri),
                        open("file://" + kDir + "/ok.fence", "let   x = 10.0.0.0/8\n"), format_request(2, "file://" + kDir + "/ok.fence"),
                        format_request(3, "file:///not/open.fence"), range_format_request(4, kUri, 3, 1)}));
  CHECK(s.reply(1)["result"] == json::array());
  bool logged = false;
  for (const auto& m : s.out) {
    if (m.value("method", "") == "window/logMessage" && m["params"]["message"].get<std::string>().find("unexpected 'rech'") != std::string::npos) logged = true;
  }
  CHECK(logged);
  CHECK(s.reply(2)["result"].size() == 1);
  CHECK(s.reply(3)["error"]["code"] == lsp::error::kInvalidParams);
  CHECK(s.reply(4)["error"]["code"] == lsp::error::kInvalidParams);
}

TEST_CASE("lsp: after a syntax error the rest of the document is still checked", "[lsp]") {
  auto s = run(session({open(kUri, "namespace a {\n  w may reach x:70000\n  w may rech y\n}\n")}));
  auto d = s.published(kUri).back()["diagnostics"];
  std::vector<std::string> codes;
  for (const auto& x : d) codes.push_back(x["code"].get<std::string>());
  std::sort(codes.begin(), codes.end());
  CHECK(codes == std::vector<std::string>{"E0101", "E0304"});
}

TEST_CASE("lsp: the diagnostics are written as JSON text byte for byte as the JSON values dump", "[lsp]") {
  // publishDiagnostics is written as text without building JSON values (diagnostics_text): it must
  // be exactly what dumping diagnostics() gives, for every shape of diagnostic.
  const std::string lib_path = kDir + "/lib.fence";
  std::map<std::string, std::string> files = {
      {lib_path, "let x = 10.0.0.0/33\n"},
      {kDir + "/bad.fence", "# \xed\xa0\x80 \xff\nlet x = 10.0.0.0/8\n"},
  };
  std::string capped = "namespace a {\n";
  for (int i = 0; i < 80; ++i) capped += "  w may reach x:" + std::to_string(70000 + i) + "\n";
  capped += "}\n";
  const std::vector<std::pair<const char*, std::string>> programs = {
      {"no diagnostics", kProgram},
      {"an error in an imported file", "\nimport \"lib.fence\"\nnamespace a {\n  w may reach x\n}\n"},
      {"an imported file that is not UTF-8", "import \"bad.fence\"  # \xc3\xa9\nnamespace a {\n  w may reach x\n}\n"},
      {"syntax errors at a control character and at non-ASCII text", "namespace a {\n  w may reach \x01 \"\xc3\xa9\\\"\t\" \xe2\x82\xac\n}\n"},
      {"more errors than are listed", capped},
      {"a warning with a note and help, and hints", "namespace a {\n  default deny egress\n  w may reach v:80\n}\n"},
  };
  for (const auto& [what, text] : programs) {
    INFO(what);
    lsp::AnalysisOptions options;
    options.stdlib_path = test::stdlib_path();
    lsp::ParseCache cache;
    lsp::Analysis analysis(kDir + "/main.fence", text, options, cache, [&](const std::string& p) -> std::optional<std::string> {
      auto it = files.find(p);
      if (it == files.end()) return sema::read_disk(p);  // the standard library
      return it->second;
    });
    lsp::LineIndex lines(text);
    for (auto encoding : {lsp::Encoding::Utf16, lsp::Encoding::Utf8}) {
      lsp::DocContext ctx{analysis, text, lines, encoding, kUri};
      auto values = lsp::diagnostics(ctx);
      CHECK(lsp::diagnostics_text(ctx) == values.dump(-1, ' ', false, json::error_handler_t::replace));
      if (std::string(what) != "no diagnostics") CHECK(!values.empty());
      if (std::string(what) == "an error in an imported file") CHECK(values.at(0).contains("relatedInformation"));
    }
  }
}
