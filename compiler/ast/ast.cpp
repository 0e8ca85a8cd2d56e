#include "ast/ast.h"

namespace fence::ast {

Span Item::span() const {
  return std::visit([](const auto& n) { return n.span; }, node);
}

std::string_view verb_text(Verb v) {
  switch (v) {
    case Verb::MayReach:
      return "may reach";
    case Verb::MayBeReachedBy:
      return "may be reached by";
    case Verb::MustNotReach:
      return "must not reach";
    case Verb::MustNotBeReachedBy:
      return "must not be reached by";
    case Verb::MaySendTo:
      return "may send to";
    case Verb::MayReceiveFrom:
      return "may receive from";
    case Verb::DeferReach:
      return "defer reach";
    case Verb::DeferBeReachedBy:
      return "defer be reached by";
  }
  return "";
}

namespace {

class Shifter {
 public:
  explicit Shifter(std::int64_t delta) : d_(delta) {}

  void span(Span& s) const {
    if (s.begin == 0 && s.end == 0) return;
    s.begin = static_cast<std::uint32_t>(s.begin + d_);
    s.end = static_cast<std::uint32_t>(s.end + d_);
  }
  void name(Name& n) const { span(n.span); }
  void names(std::vector<Name>& ns) const {
    for (auto& n : ns) name(n);
  }
  void string(StringLit& s) const { span(s.span); }
  void selector(Selector& s) const {
    for (auto& r : s.reqs) {
      name(r.key);
      names(r.values);
      span(r.span);
    }
    span(s.span);
  }
  void ref(Ref& r) const {
    if (r.ns) {
      name(r.ns->name);
      selector(r.ns->selector);
      span(r.ns->span);
    }
    if (r.pod) {
      name(r.pod->name);
      selector(r.pod->selector);
      span(r.pod->span);
    }
    span(r.span);
  }
  void expr(Expr& e) const {
    name(e.text);
    ref(e.ref);
    targets(e.items);
    if (e.lhs) expr(*e.lhs);
    if (e.rhs) expr(*e.rhs);
    span(e.span);
  }
  void targets(std::vector<Target>& ts) const {
    for (auto& t : ts) {
      if (t.peer) expr(*t.peer);
      for (auto& p : t.ports) {
        name(p.first);
        name(p.last);
        if (p.protocol) name(*p.protocol);
        span(p.span);
      }
      span(t.ports_span);
      for (auto& h : t.http) {
        name(h.method);
        if (h.path) string(*h.path);
        if (h.host) string(*h.host);
        for (auto& hd : h.headers) string(hd);
        span(h.span);
      }
      span(t.span);
    }
  }
  void value(Value& v) const {
    if (v.string) string(*v.string);
    targets(v.targets);
    span(v.span);
  }
  void item(Item& it) const {
    std::visit([this](auto& n) { node(n); }, it.node);
  }

 private:
  void node(Import& n) const {
    span(n.target_span);
    span(n.span);
  }
  void node(Environments& n) const {
    names(n.names);
    span(n.span);
  }
  void node(Targets& n) const {
    names(n.names);
    span(n.span);
  }
  void node(Let& n) const {
    name(n.name);
    names(n.envs);
    names(n.targets);
    value(n.value);
    span(n.span);
  }
  void node(Set& n) const {
    name(n.name);
    names(n.envs);
    value(n.value);
    span(n.span);
  }
  void node(DefaultDeny& n) const {
    for (auto& r : n.subjects) ref(r);
    span(n.span);
  }
  void node(Statement& n) const {
    for (auto& r : n.subjects) ref(r);
    span(n.verb_span);
    targets(n.targets);
    span(n.span);
  }
  void node(Block& n) const {
    name(n.name);
    name(n.priority);
    names(n.envs);
    names(n.targets);
    for (auto& i : n.items) item(i);
    span(n.header_span);
    span(n.span);
  }

  std::int64_t d_;
};

}  // namespace

void shift(Item& item, std::int64_t delta) {
  if (delta != 0) Shifter(delta).item(item);
}

void shift(Comment& comment, std::int64_t delta) {
  if (delta != 0) Shifter(delta).span(comment.span);
}

}  // namespace fence::ast
