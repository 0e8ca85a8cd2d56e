// A target-neutral document tree (maps keep insertion order) and the objects a target emits.
// Targets build documents in the key order their API documents; emit writes them out.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "diag/source.h"

namespace fence::emit {

struct Node {
  enum class Kind { Map, Seq, String, Int, Bool } kind = Kind::Map;
  std::string str;
  std::int64_t num = 0;
  bool flag = false;
  std::vector<std::pair<std::string, Node>> map;
  std::vector<Node> seq;
  std::string comment;  // a comment line written just before this node, where it is a list item

  static Node make_map() { return Node{}; }
  static Node make_seq() {
    Node n;
    n.kind = Kind::Seq;
    return n;
  }
  static Node string(std::string s) {
    Node n;
    n.kind = Kind::String;
    n.str = std::move(s);
    return n;
  }
  static Node integer(std::int64_t v) {
    Node n;
    n.kind = Kind::Int;
    n.num = v;
    return n;
  }
  static Node boolean(bool v) {
    Node n;
    n.kind = Kind::Bool;
    n.flag = v;
    return n;
  }
  Node& set(std::string key, Node value) {
    map.emplace_back(std::move(key), std::move(value));
    return map.back().second;
  }
  Node& push(Node value) {
    seq.push_back(std::move(value));
    return seq.back();
  }
  const Node* get(std::string_view key) const {
    for (const auto& [k, v] : map) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  friend bool operator==(const Node&, const Node&) = default;
};

struct Object {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string ns;      // empty for cluster-scoped objects
  std::string target;  // the lowering that made it: "k8s", "cilium"
  Node doc;
  // The document as YAML (without the leading `---`), once the target has sealed the object
  // (emit::seal): `doc` is then empty. Targets seal each object as soon as it is complete, so that
  // a build holds one document tree at a time rather than every object's (trees take about ten
  // times the bytes of their YAML).
  std::string yaml;
  std::vector<Span> origins;  // the statements that produced it, for diagnostics about the object
};

}  // namespace fence::emit
