// The graph as text: Graphviz DOT, Mermaid, and SVG (DOT laid out by Graphviz's `dot`).
// Output is deterministic: it depends on the graph only, which is sorted.
#pragma once

#include <optional>
#include <string>

#include "graph/graph.h"

namespace fence::graph {

std::string to_dot(const Graph& g);
std::string to_mermaid(const Graph& g);

// Finds Graphviz's `dot` on PATH; nullopt when it is not there.
std::optional<std::string> find_dot();

struct SvgResult {
  std::string svg;
  std::string error;  // set when dot could not be run or failed
};
// Runs `dot -Tsvg` (the program at `dot_path`) on the DOT text.
SvgResult render_svg(const std::string& dot_path, const std::string& dot);

}  // namespace fence::graph
