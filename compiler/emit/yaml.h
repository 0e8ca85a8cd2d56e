// YAML text for documents. Block style, two-space indents, `{}`/`[]` for empty collections,
// integers as integers, and strings double-quoted whenever YAML 1.1 or 1.2 could read them as
// anything but that string (numbers, booleans, null, or text with YAML's special characters).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emit/document.h"

namespace fence::emit {

std::string to_yaml(const Node& doc);
// A multi-document stream: each document starts with "---".
// Writes the object's document as YAML into `o.yaml` and frees its tree. Idempotent.
void seal(Object& o);

// The object's document as YAML, sealed or not.
std::string document_yaml(const Object& o);

// `value` as a YAML scalar, quoted where a plain scalar would be read as something else.
std::string scalar_text(std::string_view value);

std::string to_yaml_stream(const std::vector<Object>& objects);
// Appends one object's document of that stream ("---" and its YAML) to `out`.
void append_to_stream(std::string& out, const Object& o);
// True when `s` can be written without quotes and read back as the same string.
bool plain_safe(std::string_view s);
std::string double_quoted(std::string_view s);

}  // namespace fence::emit
