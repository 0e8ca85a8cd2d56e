// `fence fmt`: one canonical layout for a Fence file. The formatter only chooses the white space
// between tokens: every token and every comment is kept, in order, so the program means exactly
// what it meant. It reads the AST for the structure (items, blocks, lists and their elements) and
// the token stream for everything else, comments included.
//
// The layout: two spaces per block level; one item per line; one blank line where the source
// had one or more between items (none at the start or end of a block or file); single spaces
// between tokens except around `:` `/` `-` and inside `{}` `[]` `()`; lists that do not fit in
// the width wrapped, filling lines, aligned under their first element; trailing comments two
// spaces after the code, aligned on consecutive lines; a block written with its only item on
// the line of its `{` stays on one line. See docs/fmt.md.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "ast/ast.h"
#include "diag/diagnostic.h"

namespace fence::format {

inline constexpr std::size_t kWidth = 100;

struct Options {
  std::size_t width = kWidth;  // the column lists are wrapped at
};

// Formats file `id` of `sm`. Its syntax errors (as `fence check` reports them) go to `sink`, and
// so does E0113 where the layout would move a `# fence:allow` onto other statements; then
// nothing is returned. Throws FormatBug when the result would differ from the input in more
// than white space, which is a bug in the formatter, not in the input.
std::optional<std::string> format_file(const SourceManager& sm, FileId id, DiagnosticSink& sink, const Options& options = {});

// The same for a file already parsed without syntax errors (`file.id` in `sm`).
std::optional<std::string> format_file(const ast::File& file, const SourceManager& sm, DiagnosticSink& sink, const Options& options = {});

// Formats Fence text that a program wrote (`fence import`): throws std::invalid_argument, naming
// the first problem, when the text has syntax errors or cannot be formatted.
std::string format_text(std::string_view text, const Options& options = {});

struct FormatBug : std::logic_error {
  using std::logic_error::logic_error;
};

}  // namespace fence::format
