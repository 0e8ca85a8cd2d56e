// W0615: a name of the standard library (`dns`, `internet`, ...) written in a file that does not
// `import std`. Nothing defines it there, so Fence takes it for a workload name: `web may reach
// dns` then means the pods labelled app=dns in web's namespace, which is rarely what was meant
// and compiles without a word. Imports are not transitive: each file that uses std's names
// imports std itself.
#include <fmt/format.h>

#include "check/check.h"
#include "check/source_names.h"

namespace fence::check {

const std::vector<StdName>& std_names() {
  // As stdlib/std.fence defines them (a unit test compares the two).
  static const std::vector<StdName> names = {
      {"dns", "the cluster's DNS, kube-system/pods[k8s-app=kube-dns]:{53/udp, 53/tcp}"},
      {"metadata", "the cloud metadata endpoint, {169.254.169.254/32, fd00:ec2::254/128}"},
      {"private", "the private address ranges, {10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7}"},
      {"link-local", "the link-local ranges, {169.254.0.0/16, fe80::/10}"},
      {"internet", "every address but the private, link-local and metadata ones"},
      {"kube-apiserver", "the Kubernetes API server, as a Cilium entity"},
  };
  return names;
}

bool imports_std(const sema::LoadedProgram& program, std::size_t file) {
  for (const auto& item : program.files.at(file).ast.items) {
    const auto* imp = std::get_if<ast::Import>(&item.node);
    if (imp != nullptr && !imp->is_path && imp->target == "std") return true;
  }
  return false;
}

namespace {

const StdName* std_name(std::string_view text) {
  for (const auto& s : std_names()) {
    if (s.name == text) return &s;
  }
  return nullptr;
}

}  // namespace

bool unimported_std_name(Context& ctx, const Span& span) {
  auto f = ctx.source_file(span);
  if (!f || std_name(ctx.sm.text(span)) == nullptr || imports_std(*ctx.source, *f)) return false;
  return !ctx.scopes().lookup(ctx.sm.text(span), *f, ctx.scopes().block_at(*f, span.begin)).has_value();
}

void std_not_imported(Context& ctx) {
  if (ctx.source == nullptr) return;
  for (std::size_t f = 0; f < ctx.source->files.size(); ++f) {
    const auto& file = ctx.source->files[f];
    if (in_stdlib(ctx.sm, Span{file.id, 0, 0}) || imports_std(*ctx.source, f)) continue;
    for_each_name(file.ast, [&](const NameUse& use) {
      if (use.kind != NameUse::Kind::Bare) return;
      const auto* s = std_name(use.name->text);
      if (s == nullptr || ctx.scopes().lookup(use.name->text, f, use.block).has_value()) return;
      auto meaning = fmt::format("the pods labelled {}={}", label_key_at(file.ast, use.block), s->name);
      ctx.sink
          .warning(Code::W0615, use.name->span,
                   fmt::format("'{}' is a name of the standard library, but this file does not import std, so it means {}", s->name, meaning))
          .note(Span{}, fmt::format("with `import std`, {} is {}", s->name, s->meaning))
          .hint(fmt::format("add `import std` at the top of this file; if a workload named {} is meant, write pods[...] with its labels", s->name));
    });
  }
}

}  // namespace fence::check
