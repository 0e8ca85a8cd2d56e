// W0614: a `let` that nothing uses: no statement, definition, setting or namespace block names
// it, in any environment. Usually a leftover, or the sign of a misspelt use (which then means
// pods, see W0613). Names starting with `_` are exempt, for definitions kept on purpose.
//
// A file's top-level definitions are its interface when other files import it, or when it has no
// statements (a library, such as examples/shop/_addresses.fence): another program may use them,
// so they are not reported. Definitions inside a namespace block are visible there only, and are
// always checked. Uses are found by name lookup in the source (sema::Scopes), so a definition
// used only in some environments, or only by another definition, counts as used.
#include <set>

#include <fmt/format.h>

#include "check/check.h"
#include "check/source_names.h"

namespace fence::check {

namespace {

constexpr std::size_t kNotLoaded = static_cast<std::size_t>(-1);

bool has_statements(const std::vector<ast::Item>& items) {
  for (const auto& item : items) {
    if (std::holds_alternative<ast::Statement>(item.node) || std::holds_alternative<ast::DefaultDeny>(item.node)) return true;
    if (const auto* b = std::get_if<ast::Block>(&item.node); b != nullptr && has_statements(b->items)) return true;
  }
  return false;
}

// The lets of a namespace or cluster block (those in its `when` blocks too), first variant of
// each name, in source order.
void block_lets(const std::vector<ast::Item>& items, std::vector<const ast::Let*>& out, std::set<std::string>& names) {
  for (const auto& item : items) {
    if (const auto* l = std::get_if<ast::Let>(&item.node); l != nullptr && names.insert(l->name.text).second) out.push_back(l);
    if (const auto* b = std::get_if<ast::Block>(&item.node); b != nullptr && b->kind == ast::Block::Kind::When) block_lets(b->items, out, names);
  }
}

// The namespace and cluster blocks of a file, those inside top-level `when` blocks too.
void blocks(const std::vector<ast::Item>& items, std::vector<const ast::Block*>& out) {
  for (const auto& item : items) {
    const auto* b = std::get_if<ast::Block>(&item.node);
    if (b == nullptr) continue;
    if (b->kind == ast::Block::Kind::When) {
      blocks(b->items, out);
    } else {
      out.push_back(b);
    }
  }
}

}  // namespace

void unused_lets(Context& ctx) {
  if (ctx.source == nullptr) return;
  const auto& files = ctx.source->files;
  const auto& scopes = ctx.scopes();
  std::set<const ast::Let*> used;
  std::vector<bool> imported(files.size(), false);
  for (std::size_t f = 0; f < files.size(); ++f) {
    for (auto imp : files[f].imports) {
      if (imp != kNotLoaded && imp < files.size() && imp != f) imported[imp] = true;
    }
    for_each_name(files[f].ast, [&](const NameUse& use) {
      if (use.kind == NameUse::Kind::Workload) return;
      auto found = scopes.lookup(use.name->text, f, use.block);
      if (!found) return;
      used.insert(found->variants.begin(), found->variants.end());
      for (auto other : found->others) {
        if (auto also = scopes.lookup(use.name->text, other, nullptr)) used.insert(also->variants.begin(), also->variants.end());
      }
    });
  }
  auto report = [&](const ast::Let& let, std::size_t variants) {
    if (let.name.text.empty() || let.name.text[0] == '_') return;
    ctx.sink
        .warning(Code::W0614, let.name.span,
                 variants > 1 ? fmt::format("'{}' is defined (with {} values) but never used", let.name.text, variants)
                              : fmt::format("'{}' is defined but never used", let.name.text))
        .hint(fmt::format("remove it, or name it `_{}` if it is kept on purpose; a misspelt use of it means pods (see W0613)", let.name.text));
  };
  for (std::size_t f = 0; f < files.size(); ++f) {
    if (in_stdlib(ctx.sm, Span{files[f].id, 0, 0})) continue;
    if (!imported[f] && has_statements(files[f].ast.items)) {
      for (const auto& found : scopes.file_lets(f)) {
        if (used.count(found.variants.front()) == 0) report(*found.variants.front(), found.variants.size());
      }
    }
    std::vector<const ast::Block*> all;
    blocks(files[f].ast.items, all);
    for (const auto* b : all) {
      std::vector<const ast::Let*> lets;
      std::set<std::string> names;
      block_lets(b->items, lets, names);
      for (const auto* l : lets) {
        if (used.count(l) != 0) continue;
        auto found = scopes.lookup(l->name.text, f, b);
        report(*l, found ? found->variants.size() : 1);
      }
    }
  }
}

}  // namespace fence::check
