// YAML documents with their places, for the import readers: each node knows the span of the
// input it came from, and maps report duplicate and unknown keys. yaml-cpp stays behind this
// header's implementation.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "diag/diagnostic.h"

namespace fence::import {

struct YEntry;

struct YNode {
  enum class Kind { Null, Scalar, Seq, Map } kind = Kind::Null;
  std::string scalar;  // Scalar
  bool quoted = false;  // a quoted scalar: a string, never a number
  std::vector<YNode> items;                          // Seq
  std::vector<YEntry> entries;  // Map: key, value; in document order
  Span span;

  bool is_null() const { return kind == Kind::Null; }
  bool is_map() const { return kind == Kind::Map; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  // The value of a key, or nullptr.
  const YNode* get(std::string_view key) const;
};

// A map's entry. Not a std::pair: a pair of YNode inside YNode is an incomplete type, which
// clang's checks (the fuzz build) refuse.
struct YEntry {
  YNode first;   // the key
  YNode second;  // the value
};

// The documents of a YAML stream (a JSON text is YAML too). A syntax error is reported (E0902)
// and ends the file; duplicate keys are reported (E0904) and the first value kept.
std::vector<YNode> parse_yaml(FileId file, const SourceManager& sm, DiagnosticSink& sink);

}  // namespace fence::import
