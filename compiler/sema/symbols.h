// Name lookup without resolution, for editors: where a name written somewhere refers to, and
// which names are visible there. It follows resolve()'s scoping rules (a namespace or cluster
// block's lets, then its file's, then the top-level lets of the files that file imports), but
// reads only the ASTs, so it answers for programs that do not resolve, or even parse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ast/ast.h"
#include "sema/loader.h"

namespace fence::sema {

class Scopes {
 public:
  // `program` must outlive this object.
  explicit Scopes(const LoadedProgram& program);

  struct Found {
    std::string name;
    // The definitions of the name in the scope that has it, one per environment set, in source
    // order. Duplicates (E0204) are kept: an editor shows each.
    std::vector<const ast::Let*> variants;
    std::size_t file = 0;               // index into LoadedProgram::files of the defining file
    const ast::Block* block = nullptr;  // the defining namespace or cluster block; null: top level
    // Two imported files define the name and neither is nearer (resolve reports E0207); the
    // variants are the first file's, `others` the rest's files.
    std::vector<std::size_t> others;
    bool ambiguous() const { return !others.empty(); }
  };

  // What `name`, written in file `file` inside `block` (the nearest enclosing namespace or
  // cluster block, null at the top level), refers to; nothing when no let defines it.
  std::optional<Found> lookup(std::string_view name, std::size_t file, const ast::Block* block) const;

  // Every name visible there, nearest scope first, each once.
  std::vector<Found> visible(std::size_t file, const ast::Block* block) const;

  // The namespace or cluster block of `file` whose braces enclose `offset`, or null.
  const ast::Block* block_at(std::size_t file, std::uint32_t offset) const;

  // The top-level lets of `file`, by name (those inside top-level `when` blocks included).
  std::vector<Found> file_lets(std::size_t file) const;

 private:
  struct Table {
    std::vector<Found> entries;  // in order of first definition
    const Found* find(std::string_view name) const;
    void add(const ast::Let& let, std::size_t file, const ast::Block* block);
  };
  void collect(const std::vector<ast::Item>& items, std::size_t file, Table& table, const ast::Block* owner);

  const LoadedProgram& program_;
  std::vector<Table> files_;
  std::map<const ast::Block*, Table> blocks_;
  const Table* block_table(const ast::Block* block) const;
};

}  // namespace fence::sema
