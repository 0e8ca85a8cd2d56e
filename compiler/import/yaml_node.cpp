#include "import/yaml_node.h"

#include <map>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace fence::import {

const YNode* YNode::get(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.is_scalar() && k.scalar == key) return &v;
  }
  return nullptr;
}

namespace {

// Builds YNodes from yaml-cpp's parse events, each with its place in the file.
class Builder : public YAML::EventHandler {
 public:
  Builder(FileId file, const SourceFile& src, DiagnosticSink& sink) : file_(file), src_(src), sink_(sink) {}

  Span span_at(const YAML::Mark& m, std::size_t length) const {
    if (m.line < 0 || static_cast<std::size_t>(m.line) >= src_.line_starts.size()) return Span{file_, 0, 0};
    auto line = static_cast<std::size_t>(m.line);
    std::uint32_t begin = src_.line_starts[line];
    std::uint32_t line_end = line + 1 < src_.line_starts.size() ? src_.line_starts[line + 1] : static_cast<std::uint32_t>(src_.text.size());
    while (line_end > begin && (src_.text[line_end - 1] == '\n' || src_.text[line_end - 1] == '\r')) --line_end;
    std::uint32_t at = std::min(line_end, begin + static_cast<std::uint32_t>(std::max(m.column, 0)));
    std::uint32_t end = std::min(line_end, at + static_cast<std::uint32_t>(std::max<std::size_t>(length, 1)));
    if (end <= at) end = std::min<std::uint32_t>(at + 1, static_cast<std::uint32_t>(src_.text.size()));
    return Span{file_, at, end};
  }

  void OnDocumentStart(const YAML::Mark& m) override {
    start = m;
    stack_.clear();
    root_ = YNode{};
    has_root_ = false;
  }
  void OnDocumentEnd() override { docs.push_back(has_root_ ? std::move(root_) : YNode{}); }

  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    YNode n;
    n.span = span_at(m, 1);
    add(std::move(n), anchor);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    YNode n = it == anchors_.end() ? YNode{} : it->second;
    n.span = span_at(m, 1);
    add(std::move(n), 0);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    YNode n;
    n.kind = YNode::Kind::Scalar;
    n.scalar = value;
    n.quoted = tag != "?";
    n.span = span_at(m, value.size() + (n.quoted ? 2 : 0));
    add(std::move(n), anchor);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    YNode n;
    n.kind = YNode::Kind::Seq;
    n.span = span_at(m, 1);
    stack_.push_back(Open{std::move(n), anchor, {}, false});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    YNode n;
    n.kind = YNode::Kind::Map;
    n.span = span_at(m, 1);
    stack_.push_back(Open{std::move(n), anchor, {}, false});
  }
  void OnMapEnd() override { close(); }

  std::vector<YNode> docs;
  YAML::Mark start = YAML::Mark::null_mark();  // where the last document started

 private:
  struct Open {
    YNode node;
    YAML::anchor_t anchor;
    YNode key;  // a map's pending key
    bool has_key;
  };

  void close() {
    if (stack_.empty()) return;
    Open o = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(o.node), o.anchor);
  }

  void add(YNode n, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = n;
    if (stack_.empty()) {
      root_ = std::move(n);
      has_root_ = true;
      return;
    }
    auto& top = stack_.back();
    if (top.node.kind == YNode::Kind::Seq) {
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.has_key) {
      top.key = std::move(n);
      top.has_key = true;
      return;
    }
    top.has_key = false;
    if (top.key.is_scalar()) {
      for (const auto& [k, _] : top.node.entries) {
        if (k.is_scalar() && k.scalar == top.key.scalar) {
          sink_.error(Code::E0904, top.key.span, fmt::format("the key '{}' appears twice in this mapping", top.key.scalar))
              .note(k.span, "it first appears here")
              .hint("the Kubernetes API server refuses duplicate keys: keep one");
          return;
        }
      }
    }
    top.node.entries.push_back(YEntry{std::move(top.key), std::move(n)});
  }

  FileId file_;
  const SourceFile& src_;
  DiagnosticSink& sink_;
  std::vector<Open> stack_;
  YNode root_;
  bool has_root_ = false;
  std::map<YAML::anchor_t, YNode> anchors_;
};

}  // namespace

std::vector<YNode> parse_yaml(FileId file, const SourceManager& sm, DiagnosticSink& sink) {
  const auto& src = sm.file(file);
  std::istringstream in(src.text);
  Builder b(file, src, sink);
  try {
    YAML::Parser parser(in);
    // yaml-cpp can report empty documents at one place without end on some broken flow
    // collections: a document that starts where the last one did is that loop, not YAML.
    YAML::Mark last = YAML::Mark::null_mark();
    while (parser.HandleNextDocument(b)) {
      if (b.start.pos == last.pos && b.start.line == last.line && b.start.column == last.column) {
        throw YAML::ParserException(b.start, "the parser cannot get past this point");
      }
      last = b.start;
    }
  } catch (const YAML::Exception& e) {
    sink.error(Code::E0902, b.span_at(e.mark, 1), fmt::format("this is not valid YAML: {}", e.msg))
        .hint("fix the YAML (kubectl would refuse it too); nothing was imported from this file");
    return {};
  }
  return std::move(b.docs);
}

}  // namespace fence::import
