#include "check/source_names.h"

namespace fence::check {

namespace {

class Walker {
 public:
  explicit Walker(const std::function<void(const NameUse&)>& f) : f_(f) {}

  void items(const std::vector<ast::Item>& items, const ast::Block* block) {
    for (const auto& item : items) {
      if (const auto* l = std::get_if<ast::Let>(&item.node)) {
        NameUse ctx{NameUse::Kind::Bare, nullptr, block, nullptr, l, nullptr};
        targets(l->value.targets, ctx);
      } else if (const auto* s = std::get_if<ast::Set>(&item.node)) {
        targets(s->value.targets, NameUse{NameUse::Kind::Bare, nullptr, block, nullptr, nullptr, nullptr});
      } else if (const auto* st = std::get_if<ast::Statement>(&item.node)) {
        NameUse ctx{NameUse::Kind::Bare, nullptr, block, st, nullptr, nullptr};
        for (const auto& r : st->subjects) ref(r, ctx);
        targets(st->targets, ctx);
      } else if (const auto* b = std::get_if<ast::Block>(&item.node)) {
        if (b->kind == ast::Block::Kind::When) {
          this->items(b->items, block);
          continue;
        }
        if (b->kind == ast::Block::Kind::Namespace) f_(NameUse{NameUse::Kind::Block, &b->name, block, nullptr, nullptr, nullptr});
        this->items(b->items, b);
      }
    }
  }

 private:
  void targets(const std::vector<ast::Target>& ts, const NameUse& ctx) {
    for (const auto& t : ts) {
      if (t.peer) expr(*t.peer, ctx);
    }
  }
  void expr(const ast::Expr& e, const NameUse& ctx) {
    switch (e.kind) {
      case ast::Expr::Kind::Ref:
        ref(e.ref, ctx);
        break;
      case ast::Expr::Kind::Group:
        targets(e.items, ctx);
        break;
      case ast::Expr::Kind::Except:
        if (e.lhs) expr(*e.lhs, ctx);
        if (e.rhs) expr(*e.rhs, ctx);
        break;
      default:
        break;
    }
  }
  void ref(const ast::Ref& r, const NameUse& ctx) {
    NameUse use = ctx;
    use.ref = &r;
    if (r.ns && r.ns->kind == ast::NsRef::Kind::Name) {
      use.kind = NameUse::Kind::Namespace;
      use.name = &r.ns->name;
      f_(use);
    }
    if (r.pod && r.pod->kind == ast::PodRef::Kind::Name) {
      use.kind = r.ns ? NameUse::Kind::Workload : NameUse::Kind::Bare;
      use.name = &r.pod->name;
      f_(use);
    }
  }

  const std::function<void(const NameUse&)>& f_;
};

}  // namespace

namespace {

const std::string* default_label_key(const std::vector<ast::Item>& items) {
  for (const auto& item : items) {
    const auto* set = std::get_if<ast::Set>(&item.node);
    if (set != nullptr && set->name.text == "label-key" && set->envs.empty() && set->value.string) return &set->value.string->value;
  }
  return nullptr;
}

}  // namespace

std::string label_key_at(const ast::File& file, const ast::Block* block) {
  if (block != nullptr) {
    if (const auto* k = default_label_key(block->items)) return *k;
  }
  if (const auto* k = default_label_key(file.items)) return *k;
  return "app";
}

void for_each_name(const ast::File& file, const std::function<void(const NameUse&)>& f) {
  Walker(f).items(file.items, nullptr);
}

}  // namespace fence::check
