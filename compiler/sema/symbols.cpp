#include "sema/symbols.h"

#include <algorithm>

namespace fence::sema {

namespace {
constexpr std::size_t kNotLoaded = static_cast<std::size_t>(-1);
}

const Scopes::Found* Scopes::Table::find(std::string_view name) const {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void Scopes::Table::add(const ast::Let& let, std::size_t file, const ast::Block* block) {
  for (auto& e : entries) {
    if (e.name == let.name.text) {
      e.variants.push_back(&let);
      return;
    }
  }
  Found f;
  f.name = let.name.text;
  f.variants.push_back(&let);
  f.file = file;
  f.block = block;
  entries.push_back(std::move(f));
}

// As resolve's tables: a `when` block's lets belong to the scope around it; a namespace or
// cluster block opens a scope of its own.
void Scopes::collect(const std::vector<ast::Item>& items, std::size_t file, Table& table, const ast::Block* owner) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node)) table.add(*l, file, owner);
    if (const auto* b = std::get_if<ast::Block>(&item.node)) {
      if (b->kind == ast::Block::Kind::When) {
        collect(b->items, file, table, owner);
      } else {
        collect(b->items, file, blocks_[b], b);
      }
    }
  }
}

Scopes::Scopes(const LoadedProgram& program) : program_(program) {
  files_.resize(program.files.size());
  for (std::size_t f = 0; f < program.files.size(); ++f) collect(program.files[f].ast.items, f, files_[f], nullptr);
}

const Scopes::Table* Scopes::block_table(const ast::Block* block) const {
  auto it = blocks_.find(block);
  return it == blocks_.end() ? nullptr : &it->second;
}

std::optional<Scopes::Found> Scopes::lookup(std::string_view name, std::size_t file, const ast::Block* block) const {
  if (file >= files_.size()) return std::nullopt;
  if (const auto* t = block_table(block)) {
    if (const auto* f = t->find(name)) return *f;
  }
  if (const auto* f = files_[file].find(name)) return *f;
  std::optional<Found> found;
  for (auto imp : program_.files[file].imports) {
    if (imp == kNotLoaded || imp >= files_.size()) continue;
    const auto* f = files_[imp].find(name);
    if (f == nullptr) continue;
    if (!found) {
      found = *f;
    } else if (found->file != imp && std::find(found->others.begin(), found->others.end(), imp) == found->others.end()) {
      found->others.push_back(imp);
    }
  }
  return found;
}

std::vector<Scopes::Found> Scopes::visible(std::size_t file, const ast::Block* block) const {
  std::vector<Found> out;
  auto add_all = [&](const Table& t) {
    for (const auto& e : t.entries) {
      bool seen = std::any_of(out.begin(), out.end(), [&](const Found& o) { return o.name == e.name; });
      if (!seen) {
        if (auto f = lookup(e.name, file, block)) out.push_back(std::move(*f));
      }
    }
  };
  if (file >= files_.size()) return out;
  if (const auto* t = block_table(block)) add_all(*t);
  add_all(files_[file]);
  for (auto imp : program_.files[file].imports) {
    if (imp != kNotLoaded && imp < files_.size()) add_all(files_[imp]);
  }
  return out;
}

const ast::Block* Scopes::block_at(std::size_t file, std::uint32_t offset) const {
  if (file >= program_.files.size()) return nullptr;
  // Blocks do not nest (resolve rejects it), but a `when` block may hold one.
  const ast::Block* found = nullptr;
  auto visit = [&](const auto& self, const std::vector<ast::Item>& items) -> void {
    for (const auto& item : items) {
      const auto* b = std::get_if<ast::Block>(&item.node);
      if (b == nullptr || offset < b->span.begin || offset > b->span.end) continue;
      if (b->kind != ast::Block::Kind::When && offset >= b->header_span.end) found = b;
      self(self, b->items);
    }
  };
  visit(visit, program_.files[file].ast.items);
  return found;
}

std::vector<Scopes::Found> Scopes::file_lets(std::size_t file) const {
  if (file >= files_.size()) return {};
  return files_[file].entries;
}

}  // namespace fence::sema
