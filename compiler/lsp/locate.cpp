#include "lsp/locate.h"

namespace fence::lsp {

namespace {

bool in(const Span& s, std::uint32_t off) {
  return s.valid() && s.end > s.begin && s.begin <= off && off <= s.end;
}

class Locator {
 public:
  explicit Locator(std::uint32_t off) : off_(off) {}

  void items(const std::vector<ast::Item>& items, const ast::Block* block, bool top) {
    std::size_t imports = 0;
    for (const auto& item : items) {
      const auto* imp = std::get_if<ast::Import>(&item.node);
      if (imp != nullptr && top) ++imports;
      if (!in(item.span(), off_)) continue;
      c.block = block;
      std::visit([&](const auto& node) { this->node(node, block, imports); }, item.node);
      return;
    }
  }

  Cursor c;

 private:
  void hit(Cursor::What what, const Span& s, std::string text) {
    c.what = what;
    c.span = s;
    c.text = std::move(text);
  }
  bool name(const ast::Name& n, Cursor::What what) {
    if (!in(n.span, off_)) return false;
    hit(what, n.span, n.text);
    return true;
  }
  void names(const std::vector<ast::Name>& ns, Cursor::What what) {
    for (const auto& n : ns) {
      if (name(n, what)) return;
    }
  }

  void node(const ast::Import& imp, const ast::Block*, std::size_t imports) {
    c.import = &imp;
    c.import_index = imports == 0 ? Cursor::kNotTopLevel : imports - 1;
    if (in(imp.target_span, off_)) hit(Cursor::What::Import, imp.target_span, imp.target);
  }
  void node(const ast::Environments& e, const ast::Block*, std::size_t) { names(e.names, Cursor::What::Environment); }
  void node(const ast::Targets&, const ast::Block*, std::size_t) {}
  void node(const ast::Let& l, const ast::Block*, std::size_t) {
    c.let = &l;
    if (name(l.name, Cursor::What::LetName)) return;
    names(l.envs, Cursor::What::Environment);
    if (c.what == Cursor::What::None) targets(l.value.targets);
  }
  void node(const ast::Set& s, const ast::Block*, std::size_t) {
    if (name(s.name, Cursor::What::SettingName)) return;
    names(s.envs, Cursor::What::Environment);
    if (c.what == Cursor::What::None) targets(s.value.targets);
  }
  void node(const ast::DefaultDeny& d, const ast::Block*, std::size_t) {
    c.deny = &d;
    for (const auto& r : d.subjects) {
      if (in(r.span, off_)) {
        c.subject = &r;
        ref(r);
        return;
      }
    }
  }
  void node(const ast::Statement& s, const ast::Block*, std::size_t) {
    c.statement = &s;
    for (const auto& r : s.subjects) {
      if (in(r.span, off_)) {
        c.subject = &r;
        ref(r);
        return;
      }
    }
    targets(s.targets);
  }
  void node(const ast::Block& b, const ast::Block* outer, std::size_t) {
    if (in(b.header_span, off_)) {
      c.block_header = &b;
      c.block = outer;
      if (b.kind == ast::Block::Kind::Namespace) name(b.name, Cursor::What::NamespaceName);
      names(b.envs, Cursor::What::Environment);
      return;
    }
    items(b.items, b.kind == ast::Block::Kind::When ? outer : &b, false);
  }

  void selector(const ast::Selector& s, bool for_namespaces) {
    if (!in(s.span, off_)) return;
    c.selector = &s;
    c.selector_for_namespaces = for_namespaces;
    hit(Cursor::What::Selector, s.span, {});
  }

  void ref(const ast::Ref& r) {
    c.ref = &r;
    if (r.ns && in(r.ns->span, off_)) {
      switch (r.ns->kind) {
        case ast::NsRef::Kind::Name:
          name(r.ns->name, Cursor::What::NamespaceName);
          break;
        case ast::NsRef::Kind::Selector:
          selector(r.ns->selector, true);
          break;
        case ast::NsRef::Kind::All:
          hit(Cursor::What::AllPods, r.ns->span, "all namespaces");
          break;
      }
      return;
    }
    if (r.pod && in(r.pod->span, off_)) {
      switch (r.pod->kind) {
        case ast::PodRef::Kind::Name:
          name(r.pod->name, r.is_bare_name() ? Cursor::What::Name : Cursor::What::WorkloadName);
          break;
        case ast::PodRef::Kind::Selector:
          selector(r.pod->selector, false);
          break;
        case ast::PodRef::Kind::All:
          hit(Cursor::What::AllPods, r.pod->span, "all pods");
          break;
      }
      return;
    }
    if (!r.pod && r.ns && r.ns->kind == ast::NsRef::Kind::All && in(r.span, off_)) hit(Cursor::What::AllPods, r.span, "all namespaces");
  }

  void expr(const ast::Expr& e) {
    if (!in(e.span, off_)) return;
    switch (e.kind) {
      case ast::Expr::Kind::Cidr:
        name(e.text, Cursor::What::Cidr);
        break;
      case ast::Expr::Kind::DnsName:
        name(e.text, Cursor::What::DnsName);
        break;
      case ast::Expr::Kind::Entity:
        name(e.text, Cursor::What::Entity);
        break;
      case ast::Expr::Kind::Ref:
        ref(e.ref);
        break;
      case ast::Expr::Kind::Group:
        targets(e.items);
        break;
      case ast::Expr::Kind::Except:
        if (e.lhs) expr(*e.lhs);
        if (c.what == Cursor::What::None && e.rhs) expr(*e.rhs);
        break;
      case ast::Expr::Kind::Anything:
        break;  // a keyword: nothing to define or hover
    }
  }

  void targets(const std::vector<ast::Target>& ts) {
    for (const auto& t : ts) {
      if (!in(t.span, off_)) continue;
      if (c.target == nullptr) c.target = &t;
      if (t.peer) expr(*t.peer);
      if (c.what != Cursor::What::None) return;
      for (const auto& p : t.ports) {
        if (p.protocol && name(*p.protocol, Cursor::What::Protocol)) return;
        if (in(p.span, off_)) {
          hit(Cursor::What::Port, p.span, p.first.text);
          return;
        }
      }
      return;
    }
  }

  std::uint32_t off_;
};

}  // namespace

Cursor locate(const ast::File& file, std::uint32_t offset) {
  Locator l(offset);
  l.items(file.items, nullptr, true);
  return l.c;
}

}  // namespace fence::lsp
