#include "emit/yaml.h"

#include <fmt/format.h>

namespace fence::emit {

namespace {

bool reserved_word(std::string_view s) {
  static const char* words[] = {"y", "yes", "n", "no", "true", "false", "on", "off", "null"};
  for (const char* w : words) {
    std::string_view ws(w);
    if (ws.size() != s.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < s.size(); ++i) eq = eq && std::tolower(static_cast<unsigned char>(s[i])) == ws[i];
    if (eq) return true;
  }
  return false;
}

std::string scalar(const Node& n) {
  switch (n.kind) {
    case Node::Kind::String:
      return plain_safe(n.str) ? n.str : double_quoted(n.str);
    case Node::Kind::Int:
      return std::to_string(n.num);
    case Node::Kind::Bool:
      return n.flag ? "true" : "false";
    case Node::Kind::Map:
      return "{}";
    case Node::Kind::Seq:
      return "[]";
  }
  return {};
}

bool is_block(const Node& n) {
  return (n.kind == Node::Kind::Map && !n.map.empty()) || (n.kind == Node::Kind::Seq && !n.seq.empty());
}

// What scalar(n) returns, appended: the writer makes no string per scalar, key or indent.
void append_scalar(std::string& out, const Node& n) {
  if (n.kind == Node::Kind::String && plain_safe(n.str)) {
    out += n.str;
  } else {
    out += scalar(n);
  }
}

void append_key(std::string& out, const std::string& k) {
  if (plain_safe(k)) {
    out += k;
  } else {
    out += double_quoted(k);
  }
}

void write_comment(std::string& out, const std::string& comment, int indent) {
  if (comment.empty()) return;
  std::string_view rest = comment;
  while (true) {
    auto nl = rest.find('\n');
    out.append(static_cast<std::size_t>(indent), ' ');
    out += "# ";
    out += rest.substr(0, nl);
    out += '\n';
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

void write(std::string& out, const Node& n, int indent);

// Writes the entries of a map at `indent`; the first line's indent may already be written
// (after "- "), which `first_inline` says.
void write_map(std::string& out, const Node& n, int indent, bool first_inline) {
  bool first = true;
  for (const auto& [k, v] : n.map) {
    if (!(first && first_inline)) out.append(static_cast<std::size_t>(indent), ' ');
    first = false;
    append_key(out, k);
    out += ':';
    if (is_block(v)) {
      out += '\n';
      // Sequences under a key are indented by two, as kubectl and the Kubernetes docs write them.
      write(out, v, indent + 2);
    } else {
      out += ' ';
      append_scalar(out, v);
      out += '\n';
    }
  }
}

void write_seq(std::string& out, const Node& n, int indent) {
  for (const auto& item : n.seq) {
    write_comment(out, item.comment, indent);
    out.append(static_cast<std::size_t>(indent), ' ');
    out += "- ";
    if (item.kind == Node::Kind::Map && !item.map.empty()) {
      write_map(out, item, indent + 2, true);
    } else if (item.kind == Node::Kind::Seq && !item.seq.empty()) {
      out += '\n';
      write_seq(out, item, indent + 2);
    } else {
      append_scalar(out, item);
      out += '\n';
    }
  }
}

void write(std::string& out, const Node& n, int indent) {
  if (n.kind == Node::Kind::Map) {
    write_map(out, n, indent, false);
  } else if (n.kind == Node::Kind::Seq) {
    write_seq(out, n, indent);
  } else {
    out.append(static_cast<std::size_t>(indent), ' ');
    append_scalar(out, n);
    out += '\n';
  }
}

}  // namespace

bool plain_safe(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-';
    if (!ok) return false;
  }
  char f = s.front();
  bool starts_alpha = (f >= 'a' && f <= 'z') || (f >= 'A' && f <= 'Z') || f == '_';
  if (starts_alpha) return !reserved_word(s);
  // Digits, '.', '-' first: safe only when a '/' rules out every number form (CIDRs).
  return f != '-' && s.find('/') != std::string_view::npos;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string to_yaml(const Node& doc) {
  std::string out;
  if (!is_block(doc)) return scalar(doc) + "\n";
  write(out, doc, 0);
  return out;
}

void seal(Object& o) {
  if (!o.yaml.empty()) return;
  // Written into a buffer kept from object to object, then copied at its exact size: a string
  // grown by appending holds up to twice its bytes, and every sealed object's YAML stays alive
  // until the build is written (a quarter more memory than the YAML itself).
  thread_local std::string scratch;
  scratch.clear();
  if (is_block(o.doc)) {
    write(scratch, o.doc, 0);
  } else {
    scratch = scalar(o.doc) + "\n";
  }
  o.yaml = std::string(scratch);
  o.doc = Node{};
}

std::string document_yaml(const Object& o) {
  return o.yaml.empty() ? to_yaml(o.doc) : o.yaml;
}

std::string scalar_text(std::string_view value) {
  return plain_safe(value) ? std::string(value) : double_quoted(value);
}

void append_to_stream(std::string& out, const Object& o) {
  out += "---\n";
  if (o.yaml.empty()) {
    out += to_yaml(o.doc);
  } else {
    out += o.yaml;
  }
}

std::string to_yaml_stream(const std::vector<Object>& objects) {
  // Sealed objects know their size: one allocation for the stream, rather than a string that
  // doubles (and copies, and has the kernel zero fresh pages) a dozen times on the way.
  std::size_t size = 0;
  for (const auto& o : objects) size += 4 + o.yaml.size();
  std::string out;
  out.reserve(size);
  for (const auto& o : objects) append_to_stream(out, o);
  return out;
}

}  // namespace fence::emit
