#include "graph/render.h"

#include <map>

#include <fmt/format.h>

namespace fence::graph {

namespace {

constexpr std::size_t kEdgeSources = 3;  // places shown on a Mermaid edge

struct Style {
  const char* color;
  const char* dot_style;
  const char* mermaid_arrow;
  const char* prefix;  // before the ports in a label
};

Style style_of(EdgeKind k) {
  switch (k) {
    case EdgeKind::Allowed:
      return {"#2e7d32", "solid", "-->", ""};
    case EdgeKind::EgressOnly:
      return {"#ef6c00", "dashed", "-.->", "egress only: "};
    case EdgeKind::IngressOnly:
      return {"#ef6c00", "dashed", "-.->", "ingress only: "};
    case EdgeKind::Undecided:
      return {"#757575", "dotted", "-.->", "undecided: "};
    case EdgeKind::Denied:
      return {"#c62828", "bold", "--x", "denied: "};
    case EdgeKind::Blocked:
      return {"#c62828", "dashed", "-.-x", "blocked: "};
  }
  return {"#000000", "solid", "-->", ""};
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  return fmt::format("{}", fmt::join(v, sep));
}

// "a.fence:3, 9, b.fence:2": places of one file share its name.
std::vector<std::string> short_places(const std::vector<std::string>& places) {
  std::vector<std::string> out;
  std::string last_file;
  for (const auto& p : places) {
    auto colon = p.rfind(':');
    std::string file = colon == std::string::npos ? p : p.substr(0, colon);
    out.push_back(file == last_file ? p.substr(colon + 1) : p);
    last_file = file;
  }
  return out;
}

std::string edge_text(const Edge& e) {
  std::string text = style_of(e.kind).prefix + e.ports_label;
  if (e.connections > 1) text = fmt::format("{} ({} connections)", text, e.connections);
  return text;
}

std::vector<std::string> box_about(const NamespaceBox& b) {
  std::vector<std::string> out{"namespace " + b.name};
  if (!b.deny_egress.empty()) out.push_back("default deny egress: " + join(b.deny_egress, ", "));
  if (!b.deny_ingress.empty()) out.push_back("default deny ingress: " + join(b.deny_ingress, ", "));
  return out;
}

// ---- DOT ----

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Lines joined with DOT's "\n" (centred lines in labels, line breaks in tooltips).
std::string dot_lines(const std::vector<std::string>& lines) {
  std::string out = "\"";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\\n";
    for (char c : lines[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

const char* dot_shape(NodeKind k) {
  switch (k) {
    case NodeKind::Workload:
      return "shape=box, style=\"rounded\"";
    case NodeKind::Pods:
      return "shape=box, style=\"rounded,dashed\"";
    case NodeKind::Namespace:
      return "shape=folder";
    case NodeKind::Addresses:
      return "shape=hexagon";
    case NodeKind::Dns:
      return "shape=ellipse";
    case NodeKind::Entity:
      return "shape=octagon";
  }
  return "shape=box";
}

std::string dot_node(const Node& n, const std::string& indent) {
  auto about = n.about;
  std::string extra = n.focus ? ", penwidth=3" : "";
  return fmt::format("{}{} [label={}, tooltip={}, {}{}];\n", indent, dot_quote(n.id), dot_lines(n.label), dot_lines(about), dot_shape(n.kind), extra);
}

// ---- Mermaid ----

// Text inside a quoted Mermaid label: quotes and markup as entity codes, lines as <br/>.
std::string mermaid_text(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "<br/>";
    for (char c : lines[i]) {
      switch (c) {
        case '"':
          out += "#quot;";
          break;
        case '#':
          out += "#35;";
          break;
        case '<':
          out += "#lt;";
          break;
        case '>':
          out += "#gt;";
          break;
        default:
          out += c;
      }
    }
  }
  return out;
}

std::string mermaid_shape(NodeKind k, const std::string& text) {
  switch (k) {
    case NodeKind::Workload:
      return fmt::format("[\"{}\"]", text);
    case NodeKind::Pods:
      return fmt::format("([\"{}\"])", text);
    case NodeKind::Namespace:
      return fmt::format("[[\"{}\"]]", text);
    case NodeKind::Addresses:
      return fmt::format("{{{{\"{}\"}}}}", text);
    case NodeKind::Dns:
      return fmt::format(">\"{}\"]", text);
    case NodeKind::Entity:
      return fmt::format("((\"{}\"))", text);
  }
  return fmt::format("[\"{}\"]", text);
}

}  // namespace

std::string to_dot(const Graph& g) {
  std::string out = "digraph fence {\n";
  out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, nodesep=0.3, ranksep=0.8];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  std::map<std::string, std::vector<const Node*>> by_ns;
  for (const auto& n : g.nodes) by_ns[n.ns].push_back(&n);
  std::size_t k = 0;
  for (const auto& b : g.namespaces) {
    auto deny = b.deny_phrase();
    std::vector<std::string> title{"namespace " + b.name};
    if (!deny.empty()) title.push_back(deny);
    out += fmt::format("  subgraph {} {{\n", dot_quote(fmt::format("cluster_{}", k++)));
    out += fmt::format("    label={}; tooltip={}; style=\"rounded\"; ", dot_lines(title), dot_lines(box_about(b)));
    out += deny.empty() ? "color=\"#9e9e9e\";\n" : "color=\"#c62828\"; penwidth=2;\n";
    auto it = by_ns.find(b.name);
    if (it != by_ns.end()) {
      for (const auto* n : it->second) out += dot_node(*n, "    ");
    } else {
      out += fmt::format("    {} [label=\"(nothing drawn)\", shape=plaintext];\n", dot_quote("empty:" + b.name));
    }
    out += "  }\n";
  }
  for (const auto& n : g.nodes) {
    bool boxed = false;
    for (const auto& b : g.namespaces) boxed = boxed || b.name == n.ns;
    if (!boxed) out += dot_node(n, "  ");
  }
  std::map<std::string, const Node*> by_id;
  for (const auto& n : g.nodes) by_id.emplace(n.id, &n);
  for (const auto& e : g.edges) {
    auto st = style_of(e.kind);
    std::vector<std::string> tip{fmt::format("{} -> {}: {}", by_id.at(e.from)->about.front(), by_id.at(e.to)->about.front(), edge_kind_name(e.kind))};
    tip.insert(tip.end(), e.detail.begin(), e.detail.end());
    if (!e.sources.empty()) tip.push_back("decided by " + join(e.sources, ", "));
    out += fmt::format("  {} -> {} [label={}, tooltip={}, color=\"{}\", fontcolor=\"{}\", style={}];\n", dot_quote(e.from), dot_quote(e.to),
                       dot_quote(edge_text(e)), dot_lines(tip), st.color, st.color, st.dot_style);
  }
  out += "}\n";
  return out;
}

std::string to_mermaid(const Graph& g) {
  std::string out = "flowchart LR\n";
  std::map<std::string, std::string> ids;  // node id -> Mermaid id
  for (std::size_t i = 0; i < g.nodes.size(); ++i) ids[g.nodes[i].id] = fmt::format("n{}", i);
  auto node_line = [&](const Node& n, const std::string& indent) {
    return fmt::format("{}{}{}\n", indent, ids.at(n.id), mermaid_shape(n.kind, mermaid_text(n.label)));
  };
  std::map<std::string, std::vector<const Node*>> by_ns;
  for (const auto& n : g.nodes) by_ns[n.ns].push_back(&n);
  std::vector<std::string> styles;
  for (std::size_t k = 0; k < g.namespaces.size(); ++k) {
    const auto& b = g.namespaces[k];
    auto deny = b.deny_phrase();
    std::string title = "namespace " + b.name + (deny.empty() ? "" : " · " + deny);
    out += fmt::format("  subgraph ns{}[\"{}\"]\n", k, mermaid_text({title}));
    auto it = by_ns.find(b.name);
    if (it != by_ns.end()) {
      for (const auto* n : it->second) out += node_line(*n, "    ");
    }
    out += "  end\n";
    if (!deny.empty()) styles.push_back(fmt::format("ns{}", k));
  }
  for (const auto& n : g.nodes) {
    bool boxed = false;
    for (const auto& b : g.namespaces) boxed = boxed || b.name == n.ns;
    if (!boxed) out += node_line(n, "  ");
  }
  std::map<EdgeKind, std::vector<std::string>> by_kind;
  for (std::size_t i = 0; i < g.edges.size(); ++i) {
    const auto& e = g.edges[i];
    std::vector<std::string> places(e.sources.begin(), e.sources.begin() + static_cast<std::ptrdiff_t>(std::min(e.sources.size(), kEdgeSources)));
    places = short_places(places);
    if (e.sources.size() > kEdgeSources) places.push_back(fmt::format("+{} more", e.sources.size() - kEdgeSources));
    std::string label = edge_text(e);
    if (!places.empty()) label += " · " + join(places, ", ");
    out += fmt::format("  {} {}|\"{}\"| {}\n", ids.at(e.from), style_of(e.kind).mermaid_arrow, mermaid_text({label}), ids.at(e.to));
    by_kind[e.kind].push_back(std::to_string(i));
  }
  for (const auto& [kind, indices] : by_kind) {
    auto c = style_of(kind).color;
    out += fmt::format("  linkStyle {} stroke:{},color:{}\n", join(indices, ","), c, c);
  }
  // Classes, not `style`: Mermaid takes a styled subgraph's id for a node of its own.
  if (!styles.empty()) out += fmt::format("  classDef defaultdeny stroke:#c62828,stroke-width:2px\n  class {} defaultdeny\n", join(styles, ","));
  for (const auto& n : g.nodes) {
    if (n.focus) out += fmt::format("  classDef focus stroke-width:3px\n  class {} focus\n", ids.at(n.id));
  }
  return out;
}

}  // namespace fence::graph
