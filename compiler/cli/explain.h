// The long explanations of the diagnostic codes: compiler/diag/explain/CODE.md, one per code of
// diag/codes.def, compiled into the binary (cmake/embed_explain.cmake).
#pragma once

#include <string_view>

namespace fence::cli {

// The Markdown text explaining `code` (e.g. "W0604"), or empty when it has none.
std::string_view explanation(std::string_view code);

}  // namespace fence::cli
