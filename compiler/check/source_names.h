// The names a program writes where a definition could stand, read from its ASTs: what the checks
// of names (W0613-W0615) look up with sema::Scopes, since the IR keeps only what they resolved to.
#pragma once

#include <functional>
#include <string>

#include "ast/ast.h"

namespace fence::check {

struct NameUse {
  enum class Kind {
    Bare,       // `web`: a definition, or else a workload name
    Workload,   // the pod part of `shop/web`: always a workload name
    Namespace,  // the namespace part of `shop/web`: a string definition, or else a namespace
    Block,      // `namespace shop { ... }`: likewise
  } kind = Kind::Bare;
  const ast::Name* name = nullptr;
  const ast::Block* block = nullptr;          // the enclosing namespace or cluster block, if any
  const ast::Statement* statement = nullptr;  // the statement it is written in, if any
  const ast::Let* let = nullptr;              // the definition it is written in, if any
  const ast::Ref* ref = nullptr;              // the reference it is part of (not for Block)
};

// Calls `f` for every such name of `file`, in source order.
void for_each_name(const ast::File& file, const std::function<void(const NameUse&)>& f);

// The label key a bare workload name stands for in `block` of `file` (null: the top level): the
// block's `set label-key`, else the file's, else app. Values for some environments only are
// left aside, so that what a check says does not depend on the environment.
std::string label_key_at(const ast::File& file, const ast::Block* block);

}  // namespace fence::check
