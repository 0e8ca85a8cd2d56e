#include "inventory/reader.h"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include "net/names.h"

namespace fence::inventory {

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// A document as a compact tree, built from yaml-cpp's events. Aliases share the node they name
// (a DAG, so that nested aliases cost nothing however often they are repeated).

struct Node {
  enum class Kind : std::uint8_t { Null, Scalar, Seq, Map } kind = Kind::Null;
  bool plain = false;  // a plain scalar: YAML may read it as a number, a boolean or null
  bool open = false;   // a collection whose end has not been read yet
  std::uint32_t pos = 0;
  std::uint32_t first = 0, count = 0;  // children in Tree::kids; a map's are key, value, key, value...
  std::string value;
};

struct Tree {
  std::vector<Node> nodes;
  std::vector<std::uint32_t> kids;
  void clear() {
    nodes.clear();
    kids.clear();
  }
};

constexpr std::uint32_t kNoNode = 0xffffffffu;

class Builder : public YAML::EventHandler {
 public:
  // `shift`: bytes before what yaml-cpp counts from (a UTF-8 byte order mark, which it skips).
  Builder(Tree& tree, std::uint32_t shift) : t_(tree), shift_(shift) {}

  std::uint32_t root = kNoNode;
  // An alias that names a node still being read (it would make the tree a cycle), or an anchor
  // never defined: where, and why.
  std::optional<std::pair<std::uint32_t, std::string>> problem;

  void OnDocumentStart(const YAML::Mark&) override {
    t_.clear();
    anchors_.clear();
    root = kNoNode;
    pending_.clear();
    frames_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    n.kind = Node::Kind::Null;
    n.pos = pos(mark);
    add(std::move(n), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end() || t_.nodes[it->second].open) {
      if (!problem) problem.emplace(pos(mark), it == anchors_.end() ? "an alias to an anchor that is not defined" : "an alias inside the node it names");
      Node n;
      n.pos = pos(mark);
      add(std::move(n), 0);
      return;
    }
    attach(it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    Node n;
    n.kind = Node::Kind::Scalar;
    n.pos = pos(mark);
    // "?" is an untagged plain scalar, "!" a quoted one; explicit tags say what they are.
    n.plain = tag == "?" || (tag != "!" && tag.find(":str") == std::string::npos);
    n.value = value;
    add(std::move(n), anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(Node::Kind::Seq, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(Node::Kind::Map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  std::uint32_t pos(const YAML::Mark& m) const { return (m.pos < 0 ? 0u : static_cast<std::uint32_t>(m.pos)) + shift_; }

  std::uint32_t add(Node n, YAML::anchor_t anchor) {
    auto index = static_cast<std::uint32_t>(t_.nodes.size());
    t_.nodes.push_back(std::move(n));
    if (anchor != 0) anchors_[anchor] = index;
    attach(index);
    return index;
  }
  void attach(std::uint32_t index) {
    if (frames_.empty()) {
      if (root == kNoNode) root = index;
    } else {
      pending_.push_back(index);
    }
  }
  void open(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Node n;
    n.kind = kind;
    n.pos = pos(mark);
    n.open = true;
    auto index = add(std::move(n), anchor);
    frames_.push_back({index, pending_.size()});
  }
  void close() {
    if (frames_.empty()) return;
    auto [index, start] = frames_.back();
    frames_.pop_back();
    auto& n = t_.nodes[index];
    n.open = false;
    n.first = static_cast<std::uint32_t>(t_.kids.size());
    n.count = static_cast<std::uint32_t>(pending_.size() - start);
    t_.kids.insert(t_.kids.end(), pending_.begin() + static_cast<std::ptrdiff_t>(start), pending_.end());
    pending_.resize(start);
  }

  Tree& t_;
  std::uint32_t shift_;
  std::unordered_map<YAML::anchor_t, std::uint32_t> anchors_;
  std::vector<std::uint32_t> pending_;                            // children of the open collections
  std::vector<std::pair<std::uint32_t, std::size_t>> frames_;  // open collection, start in pending_
};

// ---------------------------------------------------------------------------------------------
// Scalars as Kubernetes' YAML reader (YAML 1.1) types them.

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A plain scalar that YAML 1.1 reads as something other than a string.
bool plain_non_string(std::string_view v) {
  static const char* const kWords[] = {"",     "~",     "null", "Null", "NULL",  "y",     "Y",     "yes",   "Yes",   "YES",  "n",
                                       "N",    "no",    "No",   "NO",   "true",  "True",  "TRUE",  "false", "False", "FALSE", "on",
                                       "On",   "ON",    "off",  "Off",  "OFF",   ".inf",  ".Inf",  ".INF",  "-.inf", "-.Inf", "-.INF",
                                       ".nan", ".NaN",  ".NAN", "+.inf", "+.Inf", "+.INF"};
  for (const char* w : kWords) {
    if (v == w) return true;
  }
  std::string_view s = v;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) return true;
  // Decimal integers and floats, with YAML 1.1's underscores.
  bool digit = false, dot = false, exp = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || c == '_') {
      digit = digit || c != '_';
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digit && !exp) {
      exp = true;
      if (i + 1 < s.size() && (s[i + 1] == '+' || s[i + 1] == '-')) ++i;
      digit = false;
    } else if (c == ':' && digit && !exp) {
      continue;  // sexagesimal, as YAML 1.1 has it: 1:30
    } else {
      return false;
    }
  }
  return digit;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return "null";
    case Node::Kind::Scalar:
      return "a scalar";
    case Node::Kind::Seq:
      return "a list";
    case Node::Kind::Map:
      return "a mapping";
  }
  return "a value";
}

constexpr const char* kTemplateHint =
    "this looks like a template: render it first (helm template CHART, kubectl kustomize DIR) and give Fence the output";

const char* const kWorkloadKinds[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"};

// ---------------------------------------------------------------------------------------------
// Reading one document's objects.

class Reader {
 public:
  Reader(const std::string& text, FileContents& out) : text_(text), out_(out), templated_(text.find("{{") != std::string::npos) {}

  void document(const Tree& tree, std::uint32_t root) {
    t_ = &tree;
    if (root == kNoNode) return;
    const auto& n = node(root);
    if (n.kind == Node::Kind::Null) return;  // an empty document, as Helm leaves between templates
    if (n.kind != Node::Kind::Map) {
      error(n, fmt::format("a manifest is an object (a mapping of fields), but this document is {}", describe(n)))
          .hint("the inventory reads rendered Kubernetes manifests: render charts and kustomizations first (helm template, kubectl kustomize)");
      return;
    }
    object(n, 0);
  }

  Diagnostic& syntax_error(std::uint32_t pos, const std::string& message) {
    auto& d = report(Code::E0801, span_at(pos), fmt::format("this is not valid YAML: {}", message));
    if (templated()) {
      d.hint(kTemplateHint);
    } else {
      d.hint("the inventory reads Kubernetes manifests as YAML or JSON, as kubectl would");
    }
    return d;
  }

 private:
  const Node& node(std::uint32_t i) const { return t_->nodes[i]; }

  // ---- spans and diagnostics ----
  Span span_at(std::uint32_t pos) const {
    auto b = std::min<std::size_t>(pos, text_.size());
    auto e = b;
    while (e < text_.size() && text_[e] != '\n' && text_[e] != '\r') ++e;
    if (e == b && e < text_.size()) ++e;
    return Span{kThisFile, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e)};
  }
  Span span(const Node& n) const {
    auto s = span_at(n.pos);
    if (n.kind != Node::Kind::Scalar) return s;
    std::size_t len = n.value.size();
    if (s.begin < text_.size() && (text_[s.begin] == '"' || text_[s.begin] == '\'')) {
      // A quoted scalar: to its closing quote on this line, if there is one.
      char q = text_[s.begin];
      for (auto i = s.begin + 1; i < s.end; ++i) {
        if (text_[i] == '\\' && q == '"') {
          ++i;
        } else if (text_[i] == q) {
          s.end = i + 1;
          return s;
        }
      }
      return s;
    }
    s.end = std::min<std::uint32_t>(s.end, s.begin + static_cast<std::uint32_t>(std::max<std::size_t>(len, 1)));
    return s;
  }
  Diagnostic& report(Code code, Span at, std::string message) {
    Diagnostic d;
    d.code = code;
    d.severity = code_info(code).severity;
    d.span = at;
    d.message = std::move(message);
    out_.diagnostics.push_back(std::move(d));
    return out_.diagnostics.back();
  }
  Diagnostic& error(const Node& n, std::string message) {
    ok_ = false;
    auto& d = report(Code::E0802, span(n), std::move(message));
    if (templated()) d.hint(kTemplateHint);
    return d;
  }
  // Text with Helm's or Go's template braces: a chart's source, not what it renders.
  bool templated() const { return templated_; }

  // ---- access, with merge keys (`<<: *base`) ----
  const Node* get(const Node& map, std::string_view key, int depth = 0) const {
    if (map.kind != Node::Kind::Map) return nullptr;
    const Node* merged = nullptr;
    for (std::uint32_t i = 0; i + 1 < map.count; i += 2) {
      const auto& k = node(t_->kids[map.first + i]);
      if (k.kind != Node::Kind::Scalar) continue;
      if (k.value == key) return &node(t_->kids[map.first + i + 1]);
      if (k.value == "<<" && k.plain) merged = &node(t_->kids[map.first + i + 1]);
    }
    if (merged == nullptr || depth > 32) return nullptr;
    if (merged->kind == Node::Kind::Map) return get(*merged, key, depth + 1);
    if (merged->kind == Node::Kind::Seq) {
      for (std::uint32_t i = 0; i < merged->count; ++i) {
        if (const auto* v = get(node(t_->kids[merged->first + i]), key, depth + 1)) return v;
      }
    }
    return nullptr;
  }
  // A map's entries, those it merges included (its own first; a merged key it has is left out).
  void entries(const Node& map, std::vector<std::pair<const Node*, const Node*>>& out, int depth = 0) const {
    if (map.kind != Node::Kind::Map || depth > 32) return;
    auto before = out.size();
    std::vector<const Node*> merges;
    for (std::uint32_t i = 0; i + 1 < map.count; i += 2) {
      const auto& k = node(t_->kids[map.first + i]);
      const auto& v = node(t_->kids[map.first + i + 1]);
      if (k.kind == Node::Kind::Scalar && k.plain && k.value == "<<") {
        merges.push_back(&v);
      } else {
        out.emplace_back(&k, &v);
      }
    }
    for (const auto* m : merges) {
      std::vector<std::pair<const Node*, const Node*>> more;
      if (m->kind == Node::Kind::Map) entries(*m, more, depth + 1);
      if (m->kind == Node::Kind::Seq) {
        for (std::uint32_t i = 0; i < m->count; ++i) entries(node(t_->kids[m->first + i]), more, depth + 1);
      }
      for (const auto& e : more) {
        bool shadowed = std::any_of(out.begin() + static_cast<std::ptrdiff_t>(before), out.end(),
                                    [&](const auto& o) { return o.first->kind == Node::Kind::Scalar && o.first->value == e.first->value; });
        if (!shadowed) out.push_back(e);
      }
    }
  }
  std::vector<const Node*> items(const Node* seq, std::string_view what) {
    std::vector<const Node*> out;
    if (seq == nullptr || seq->kind == Node::Kind::Null) return out;
    if (seq->kind != Node::Kind::Seq) {
      error(*seq, fmt::format("{} is a list, but this is {}", what, describe(*seq)));
      return out;
    }
    for (std::uint32_t i = 0; i < seq->count; ++i) out.push_back(&node(t_->kids[seq->first + i]));
    return out;
  }
  // The items of a list field that are mappings; an item that is not one is reported.
  std::vector<const Node*> mappings(const Node* seq, std::string_view what, std::string_view item) {
    std::vector<const Node*> out;
    for (const auto* i : items(seq, what)) {
      if (i->kind == Node::Kind::Map) {
        out.push_back(i);
      } else {
        error(*i, fmt::format("{} is a mapping of fields, but this is {}", item, describe(*i)));
      }
    }
    return out;
  }
  // A field that is there and not null.
  const Node* field(const Node& map, std::string_view key) const {
    const auto* n = get(map, key);
    return n != nullptr && n->kind != Node::Kind::Null ? n : nullptr;
  }
  // A port entry's number, which it must have (`containerPort`, `port`), and where it is.
  std::optional<std::pair<std::uint16_t, Span>> required_port(const Node& entry, std::string_view key, std::string_view what) {
    const Node* number = get(entry, key);
    if (number == nullptr) {
      error(entry, fmt::format("this {} has no {}", what, key));
      return std::nullopt;
    }
    auto n = port_number(number, key);
    if (!n) return std::nullopt;
    return std::pair{*n, span(*number)};
  }
  const Node* mapping(const Node* n, std::string_view what) {
    if (n == nullptr || n->kind == Node::Kind::Null) return nullptr;
    if (n->kind != Node::Kind::Map) {
      error(*n, fmt::format("{} is a mapping of fields, but this is {}", what, describe(*n)));
      return nullptr;
    }
    return n;
  }

  // ---- values ----
  std::optional<std::string> string(const Node* n, std::string_view what) {
    if (n == nullptr) return std::nullopt;
    if (n->kind != Node::Kind::Scalar) {
      error(*n, fmt::format("{} is a string, but this is {}", what, describe(*n)));
      return std::nullopt;
    }
    if (n->plain && plain_non_string(n->value)) {
      error(*n, fmt::format("{} is a string, but YAML reads {} as a {}", what, n->value.empty() ? "this" : n->value,
                            is_digits(n->value) || n->value.find_first_of("0123456789") != std::string::npos ? "number" : "boolean or null"))
          .hint(fmt::format("write it in quotes: \"{}\"", n->value));
      return std::nullopt;
    }
    return n->value;
  }
  // A string that must follow one of the API's rules for names (net/names.h).
  std::optional<std::string> valid(const Node* n, std::string_view what, std::string (*rule)(std::string_view), std::string_view rule_name) {
    auto s = string(n, what);
    if (!s) return std::nullopt;
    auto why = rule(*s);
    if (!why.empty()) {
      error(*n, fmt::format("'{}' is not a valid {}: {}", *s, rule_name, why));
      return std::nullopt;
    }
    return s;
  }
  std::optional<std::uint16_t> port_number(const Node* n, std::string_view what) {
    if (n == nullptr) return std::nullopt;
    if (n->kind != Node::Kind::Scalar || !n->plain || !is_digits(n->value)) {
      auto& d = error(*n, fmt::format("{} is a port number from 1 to 65535, but this is {}", what,
                                      n->kind == Node::Kind::Scalar ? fmt::format("'{}'", n->value) : std::string(describe(*n))));
      if (n->kind == Node::Kind::Scalar && !n->plain && is_digits(n->value)) d.hint(fmt::format("write the number without quotes: {}", n->value));
      return std::nullopt;
    }
    unsigned long v = n->value.size() > 6 ? 0 : std::stoul(n->value);
    if (v == 0 || v > 65535) {
      error(*n, fmt::format("{} {} is out of range: ports are 1 to 65535", what, n->value));
      return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
  }
  net::Protocol protocol(const Node* n) {
    auto s = string(n, "protocol");
    if (!s) return net::Protocol::TCP;
    if (*s == "TCP") return net::Protocol::TCP;
    if (*s == "UDP") return net::Protocol::UDP;
    if (*s == "SCTP") return net::Protocol::SCTP;
    auto& d = error(*n, fmt::format("'{}' is not a protocol the API server accepts: TCP, UDP or SCTP", *s));
    auto up = lower(*s);
    if (up == "tcp" || up == "udp" || up == "sctp") {
      for (auto& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      d.hint(fmt::format("protocols are written in upper case: {}", up));
    }
    return net::Protocol::TCP;
  }
  Labels labels(const Node* n, std::string_view what) {
    Labels out;
    const Node* m = mapping(n, what);
    if (m == nullptr) return out;
    std::vector<std::pair<const Node*, const Node*>> es;
    entries(*m, es);
    for (const auto& [k, v] : es) {
      auto key = string(k, "a label key");
      if (!key) continue;
      auto kwhy = net::check_label_key(*key);
      if (!kwhy.empty()) {
        error(*k, fmt::format("'{}' is not a valid label key: {}", *key, kwhy));
        continue;
      }
      auto value = v->kind == Node::Kind::Null ? std::optional<std::string>("") : string(v, fmt::format("the value of label '{}'", *key));
      if (!value) continue;
      auto vwhy = net::check_label_value(*value);
      if (!vwhy.empty()) {
        error(*v, fmt::format("'{}' is not a valid value for label '{}': {}", *value, *key, vwhy));
        continue;
      }
      out[*key] = *value;
    }
    return out;
  }

  // ---- objects ----
  void object(const Node& obj, int depth) {
    const Node* kind_node = get(obj, "kind");
    if (kind_node == nullptr) {
      // What a directory of sources holds besides manifests: say what it is and how to render it.
      auto base = fs::path(out_.path).filename().string();
      if (base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization") {
        error(obj, "this is a kustomization, not a Kubernetes object").hint("render it (kubectl kustomize DIR) and give Fence the output");
      } else if (base == "Chart.yaml" || base == "values.yaml" || base == "values.yml") {
        error(obj, "this is part of a Helm chart, not a Kubernetes object").hint("render the chart (helm template NAME CHART) and give Fence the output");
      } else {
        error(obj, "this object has no `kind`, so it is not a Kubernetes object")
            .hint("the inventory reads rendered manifests: render charts and kustomizations first (helm template, kubectl kustomize)");
      }
      return;
    }
    ok_ = true;
    auto kind = string(kind_node, "kind");
    if (!kind) return;
    if (kind->size() >= 4 && kind->compare(kind->size() - 4, 4, "List") == 0) {
      list(obj, *kind, depth);
      return;
    }
    bool workload = *kind == "Pod" || *kind == "CronJob" ||
                    std::any_of(std::begin(kWorkloadKinds), std::end(kWorkloadKinds), [&](const char* k) { return *kind == k; });
    if (!workload && *kind != "Service" && *kind != "Namespace") return;  // other kinds say nothing about pods

    const Node* meta = mapping(get(obj, "metadata"), "metadata");
    const Node* name_node = meta != nullptr ? get(*meta, "name") : nullptr;
    if (!ok_) return;
    if (name_node == nullptr) {
      error(meta != nullptr ? *meta : *kind_node, fmt::format("this {} has no metadata.name", *kind));
      return;
    }
    auto name = string(name_node, "metadata.name");
    if (!name) return;
    std::string ns;
    if (const auto* ns_node = field(*meta, "namespace")) {
      auto s = valid(ns_node, "metadata.namespace", net::check_dns_label, "namespace name");
      if (!s) return;
      ns = *s;
    }

    if (*kind == "Namespace") {
      if (!valid(name_node, "metadata.name", net::check_dns_label, "namespace name")) return;
      Namespace n{*name, labels(get(*meta, "labels"), "metadata.labels"), span(*name_node)};
      if (ok_) out_.namespaces.push_back(std::move(n));
      return;
    }
    if (*kind == "Service") {
      service(obj, *name, ns, *name_node);
      return;
    }
    // The pod template: the Pod itself, spec.template, or a CronJob's spec.jobTemplate.spec.template.
    const Node* pod_meta = meta;
    const Node* pod_spec = nullptr;
    const Node* spec = mapping(get(obj, "spec"), "spec");
    if (*kind == "Pod") {
      pod_spec = spec;
    } else {
      const Node* holder = spec;
      std::string path = "spec.template";
      if (*kind == "CronJob") {
        const Node* job = holder != nullptr ? mapping(get(*holder, "jobTemplate"), "spec.jobTemplate") : nullptr;
        holder = job != nullptr ? mapping(get(*job, "spec"), "spec.jobTemplate.spec") : nullptr;
        path = "spec.jobTemplate.spec.template";
      }
      const Node* tmpl = holder != nullptr ? mapping(get(*holder, "template"), path) : nullptr;
      if (!ok_) return;
      if (tmpl == nullptr) {
        error(*name_node, fmt::format("this {} has no {}, so Fence cannot tell which pods it runs", *kind, path));
        return;
      }
      pod_meta = mapping(get(*tmpl, "metadata"), path + ".metadata");
      pod_spec = mapping(get(*tmpl, "spec"), path + ".spec");
    }
    Workload w;
    w.kind = *kind;
    w.name = *name;
    w.ns = ns;
    w.span = span(*name_node);
    if (pod_meta != nullptr) w.labels = labels(get(*pod_meta, "labels"), *kind == "Pod" ? "metadata.labels" : "the pod template's labels");
    if (pod_spec != nullptr) {
      containers(get(*pod_spec, "containers"), false, w);
      containers(get(*pod_spec, "initContainers"), true, w);
    }
    if (ok_) out_.workloads.push_back(std::move(w));
  }

  void list(const Node& obj, const std::string& kind, int depth) {
    const Node* its = get(obj, "items");
    if (depth > 8) {
      error(obj, "lists nested this deep are not read");
      return;
    }
    for (const auto* item : mappings(its, fmt::format("a {}'s items", kind), fmt::format("an item of a {}", kind))) object(*item, depth + 1);
  }

  void containers(const Node* seq, bool init, Workload& w) {
    for (const auto* c : mappings(seq, init ? "initContainers" : "containers", "a container")) {
      auto cname = string(get(*c, "name"), "a container's name").value_or("");
      for (const auto* p : mappings(get(*c, "ports"), "a container's ports", "a container port")) {
        auto number = required_port(*p, "containerPort", "container port");
        if (!number) continue;
        ContainerPort cp;
        std::tie(cp.number, cp.span) = *number;
        cp.container = cname;
        cp.init = init;
        if (const auto* pn = field(*p, "name")) {
          auto s = valid(pn, "a port's name", net::check_port_name, "port name");
          if (!s) continue;
          cp.name = *s;
        }
        if (const auto* pr = field(*p, "protocol")) cp.protocol = protocol(pr);
        w.ports.push_back(std::move(cp));
      }
    }
  }

  void service(const Node& obj, const std::string& name, const std::string& ns, const Node& name_node) {
    Service s;
    s.name = name;
    s.ns = ns;
    s.span = span(name_node);
    const Node* spec = mapping(get(obj, "spec"), "spec");
    if (spec != nullptr) {
      if (const auto* sel = field(*spec, "selector")) s.selector = labels(sel, "spec.selector");
      for (const auto* p : mappings(get(*spec, "ports"), "spec.ports", "a Service port")) {
        auto number = required_port(*p, "port", "Service port");
        if (!number) continue;
        ServicePort sp;
        std::tie(sp.port, sp.span) = *number;
        sp.target_number = sp.port;
        if (const auto* pn = field(*p, "name")) sp.name = string(pn, "a port's name").value_or("");
        if (const auto* pr = field(*p, "protocol")) sp.protocol = protocol(pr);
        if (const auto* tp = field(*p, "targetPort")) {
          if (tp->kind == Node::Kind::Scalar && tp->plain && is_digits(tp->value)) {
            auto t = port_number(tp, "targetPort");
            if (!t) continue;
            sp.target_number = *t;
          } else {
            auto t = string(tp, "targetPort");
            if (!t) continue;
            auto why = net::check_port_name(*t);
            if (!why.empty()) {
              auto& d = error(*tp, fmt::format("targetPort '{}' is neither a port number nor a valid port name: {}", *t, why));
              if (is_digits(*t)) d.hint(fmt::format("write the number without quotes: {}", *t));
              continue;
            }
            sp.target_number = 0;
            sp.target_name = *t;
          }
        }
        s.ports.push_back(std::move(sp));
      }
    }
    if (ok_) out_.services.push_back(std::move(s));
  }

  const std::string& text_;
  FileContents& out_;
  const Tree* t_ = nullptr;
  bool ok_ = true;
  bool templated_;
};

}  // namespace

FileContents read_manifests(std::string path, std::string text) {
  FileContents out;
  out.path = std::move(path);
  out.text = std::move(text);
  Tree tree;
  std::uint32_t shift = out.text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  Builder builder(tree, shift);
  Reader reader(out.text, out);
  std::istringstream in(out.text);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (builder.problem) {
        reader.syntax_error(builder.problem->first, builder.problem->second);
        break;
      }
      reader.document(tree, builder.root);
    }
  } catch (const YAML::Exception& e) {
    reader.syntax_error((e.mark.is_null() || e.mark.pos < 0 ? 0u : static_cast<std::uint32_t>(e.mark.pos)) + shift, e.msg);
  }
  return out;
}

}  // namespace fence::inventory
