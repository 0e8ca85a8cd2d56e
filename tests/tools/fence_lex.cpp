// fence_lex: the lexer's view of Fence, as JSON, for the editor grammars' tests. Prints the
// keyword list (reserved and soft, from the lexer's vocabulary) and the tokens of each file.
//   fence_lex [FILE...]
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "syntax/parser.h"

namespace {

const char* kind_name(fence::syntax::TokenKind k) {
  using K = fence::syntax::TokenKind;
  switch (k) {
    case K::Keyword:
      return "keyword";
    case K::SoftKeyword:
      return "soft-keyword";
    case K::Method:
      return "method";
    case K::Name:
      return "name";
    case K::Number:
      return "number";
    case K::String:
      return "string";
    case K::Address:
      return "address";
    case K::DnsName:
      return "dns-name";
    case K::Punctuation:
      return "punctuation";
    case K::SelectorWord:
      return "selector-word";
    case K::SelectorOperator:
      return "selector-operator";
    case K::Comment:
      return "comment";
    case K::Unknown:
      return "unknown";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  using nlohmann::json;
  json out;
  json reserved = json::array();
  json soft = json::array();
  for (const auto& k : fence::syntax::keywords()) {
    auto toks = fence::syntax::tokenize(k);
    bool is_soft = toks.size() == 1 && toks[0].kind == fence::syntax::TokenKind::SoftKeyword;
    (is_soft ? soft : reserved).push_back(k);
  }
  out["keywords"] = reserved;
  out["soft_keywords"] = soft;
  json files = json::object();
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "fence_lex: cannot read " << argv[i] << "\n";
      return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    json tokens = json::array();
    for (const auto& t : fence::syntax::tokenize(ss.str())) {
      tokens.push_back(json{{"kind", kind_name(t.kind)}, {"symbol", t.symbol}, {"begin", t.begin}, {"end", t.end}});
    }
    files[argv[i]] = tokens;
  }
  out["files"] = files;
  std::cout << out.dump() << "\n";
  return 0;
}
