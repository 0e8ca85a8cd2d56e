// What the cursor is on: the innermost meaningful piece of the AST at a byte offset, with the
// item and the block around it, for hover, go-to-definition and completion.
#pragma once

#include <cstdint>
#include <string>

#include "ast/ast.h"

namespace fence::lsp {

struct Cursor {
  enum class What {
    None,
    LetName,        // the name a `let` defines
    Name,           // a bare name: a let, or else a workload in the enclosing namespace
    NamespaceName,  // `monitoring` in `monitoring/prometheus`, or a namespace block's name; may name a let
    WorkloadName,   // `prometheus` in `monitoring/prometheus`: never a let
    Selector,       // `pods[...]` or `ns[...]`
    AllPods,        // `all pods`, `all namespaces`
    Cidr,
    DnsName,
    Entity,
    Port,
    Protocol,
    Import,       // an import's module name or path
    Environment,  // an environment's name
    SettingName,  // the name in `set NAME = ...`
  } what = What::None;
  Span span;         // of the piece under the cursor
  std::string text;  // its text as written (a name, a CIDR, ...)

  // Around it. `block` is the nearest namespace or cluster block that scopes names here (for a
  // namespace block's own name, the scope around the block).
  const ast::Block* block = nullptr;
  const ast::Statement* statement = nullptr;
  const ast::DefaultDeny* deny = nullptr;
  const ast::Let* let = nullptr;
  const ast::Import* import = nullptr;
  static constexpr std::size_t kNotTopLevel = static_cast<std::size_t>(-1);
  std::size_t import_index = kNotTopLevel;  // which top-level import item of the file
  const ast::Selector* selector = nullptr;
  bool selector_for_namespaces = false;
  const ast::Ref* ref = nullptr;
  const ast::Target* target = nullptr;  // the statement's target (or let's value item) around the cursor
  const ast::Ref* subject = nullptr;    // the statement's subject around the cursor
  const ast::Block* block_header = nullptr;  // the cursor is on this block's header
};

// Offsets equal to a piece's end count as inside it, so that a cursor just after a word still
// finds the word.
Cursor locate(const ast::File& file, std::uint32_t offset);

}  // namespace fence::lsp
