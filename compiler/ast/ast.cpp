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
  }
  return "";
}

}  // namespace fence::ast
