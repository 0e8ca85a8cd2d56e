// sema::Scopes answers "what does this name refer to" from the ASTs alone. It must agree with
// resolve(): for every bare name in a statement, the peers resolve() produced come from the let
// that Scopes names (their spans lie in that let's value, or in the lets it refers to), and a
// name Scopes does not know is a workload.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "sema/symbols.h"

using namespace fence;

namespace {

struct Program {
  std::unique_ptr<driver::Compilation> c;
  std::unique_ptr<sema::Scopes> scopes;
};

// Loads files (the first is the root) from an in-memory file system.
Program load(const std::map<std::string, std::string>& files, const std::string& root) {
  Program p;
  driver::Options opt;
  opt.stdlib_path = test::stdlib_path();
  opt.loader.read_file = [files](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(std::filesystem::path(path).lexically_normal().string());
    if (it == files.end()) {
      std::ifstream in(path);
      if (!in) return std::nullopt;
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
    return it->second;
  };
  p.c = std::make_unique<driver::Compilation>(opt);
  p.c->load({{root, files.at(root)}});
  p.scopes = std::make_unique<sema::Scopes>(p.c->loaded());
  return p;
}

bool inside(const Span& inner, const Span& outer) {
  return inner.file == outer.file && outer.begin <= inner.begin && inner.end <= outer.end;
}

// The spans of the values of `let` and of every let it refers to, as Scopes sees them.
void value_spans(const sema::Scopes& scopes, const sema::Scopes::Found& f, std::vector<Span>& out, int depth = 0) {
  if (depth > 20) return;
  for (const auto* let : f.variants) {
    out.push_back(let->value.span);
    auto walk = [&](const auto& self, const std::vector<ast::Target>& ts) -> void {
      for (const auto& t : ts) {
        if (!t.peer) continue;
        std::vector<const ast::Expr*> stack{t.peer.get()};
        while (!stack.empty()) {
          const auto* e = stack.back();
          stack.pop_back();
          if (e->kind == ast::Expr::Kind::Ref && e->ref.is_bare_name()) {
            if (auto g = scopes.lookup(e->ref.pod->name.text, f.file, f.block)) value_spans(scopes, *g, out, depth + 1);
          }
          if (e->kind == ast::Expr::Kind::Group) self(self, e->items);
          if (e->lhs) stack.push_back(e->lhs.get());
          if (e->rhs) stack.push_back(e->rhs.get());
        }
      }
    };
    walk(walk, let->value.targets);
  }
}

// Checks every bare-name target of every statement of the root file against the IR.
std::size_t check_agreement(const Program& p, const std::optional<std::string>& env = std::nullopt,
                            const std::optional<std::string>& target = std::nullopt) {
  REQUIRE(p.c->analyze(env, target));
  const auto& ir = p.c->program();
  const auto& root = p.c->loaded().files.at(0).ast;
  std::size_t checked = 0;
  auto visit = [&](const auto& self, const std::vector<ast::Item>& items, const ast::Block* block) -> void {
    for (const auto& item : items) {
      if (const auto* b = std::get_if<ast::Block>(&item.node)) {
        // Statements in a `when` (`for`) block for other environments (targets) produce nothing to compare.
        auto names = [](const std::vector<ast::Name>& list, const std::optional<std::string>& want) {
          return list.empty() || (want && std::any_of(list.begin(), list.end(), [&](const ast::Name& n) { return n.text == *want; }));
        };
        bool active = b->kind != ast::Block::Kind::When || (names(b->envs, env) && names(b->targets, target));
        if (active) self(self, b->items, b->kind == ast::Block::Kind::When ? block : b);
      }
      const auto* s = std::get_if<ast::Statement>(&item.node);
      if (s == nullptr) continue;
      for (const auto& t : s->targets) {
        if (!t.peer || t.peer->kind != ast::Expr::Kind::Ref || !t.peer->ref.is_bare_name()) continue;
        const auto& name = t.peer->ref.pod->name.text;
        auto found = p.scopes->lookup(name, 0, block);
        std::vector<Span> allowed;
        if (found) {
          value_spans(*p.scopes, *found, allowed);
        } else {
          allowed.push_back(t.span);  // a workload: the peer is written right here
        }
        std::size_t peers = 0;
        for (const auto& r : ir.rules) {
          if (r.origin.implied || !(r.origin.target == t.span)) continue;
          for (const auto& peer : r.peers) {
            ++peers;
            bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const Span& a) { return inside(peer.span, a); });
            INFO("name '" << name << "' at " << p.c->sources().where(t.span) << ", peer " << peer.str() << " at "
                          << p.c->sources().where(peer.span));
            CHECK(ok);
          }
        }
        INFO("name '" << name << "' at " << p.c->sources().where(t.span));
        CHECK(peers > 0);
        ++checked;
      }
    }
  };
  visit(visit, root.items, nullptr);
  return checked;
}

}  // namespace

TEST_CASE("Scopes follows resolve's scoping: block, then file, then direct imports", "[sema][symbols]") {
  std::map<std::string, std::string> files = {
      {"lib/a.fence", "let shared = 198.51.100.0/24\nlet only-a = 192.0.2.0/24\nimport \"b.fence\"\n"},
      {"lib/b.fence", "let deep = 203.0.113.0/24\n"},
      {"main.fence",
       "import \"lib/a.fence\"\nimport std\n"
       "let shared = 10.1.0.0/16\n"
       "namespace shop {\n"
       "  let shared = 10.2.0.0/16\n"
       "  web may reach shared, only-a, dns, postgres\n"
       "}\n"
       "namespace other {\n"
       "  web may reach shared, internet:443\n"
       "  when dev { web may reach only-a }\n"
       "}\n"
       "environments dev\n"},
  };
  auto p = load(files, "main.fence");
  INFO(render_all(p.c->sink(), p.c->sources()));
  REQUIRE(p.c->loaded().ok);
  const auto& root = p.c->loaded().files.at(0).ast;
  const auto* shop = &std::get<ast::Block>(root.items[3].node);
  const auto* other = &std::get<ast::Block>(root.items[4].node);

  auto in_shop = p.scopes->lookup("shared", 0, shop);
  REQUIRE(in_shop);
  CHECK(in_shop->block == shop);
  CHECK(p.c->sources().text(in_shop->variants.at(0)->value.span) == "10.2.0.0/16");
  auto in_other = p.scopes->lookup("shared", 0, other);
  REQUIRE(in_other);
  CHECK(in_other->block == nullptr);
  CHECK(p.c->sources().text(in_other->variants.at(0)->value.span) == "10.1.0.0/16");
  auto imported = p.scopes->lookup("only-a", 0, other);
  REQUIRE(imported);
  CHECK(p.c->sources().file(p.c->loaded().files.at(imported->file).id).path == "lib/a.fence");
  // Imports are not transitive, and workloads are no definitions.
  CHECK_FALSE(p.scopes->lookup("deep", 0, nullptr));
  CHECK_FALSE(p.scopes->lookup("postgres", 0, shop));
  CHECK(p.scopes->lookup("internet", 0, other));

  // The names visible in a block: nearest first, each once.
  std::vector<std::string> names;
  for (const auto& f : p.scopes->visible(0, shop)) names.push_back(f.name);
  CHECK(names.front() == "shared");
  CHECK(std::count(names.begin(), names.end(), "shared") == 1);
  CHECK(std::find(names.begin(), names.end(), "dns") != names.end());
  CHECK(std::find(names.begin(), names.end(), "deep") == names.end());

  // block_at: inside the braces only.
  auto web = files.at("main.fence").find("web may reach shared, only-a");
  CHECK(p.scopes->block_at(0, static_cast<std::uint32_t>(web)) == shop);
  CHECK(p.scopes->block_at(0, 0) == nullptr);

  CHECK(check_agreement(p, "dev") == 7);
}

TEST_CASE("Scopes reports a name two imports define as ambiguous, as resolve does", "[sema][symbols]") {
  std::map<std::string, std::string> files = {
      {"a.fence", "let x = 10.0.0.0/8\n"},
      {"b.fence", "let x = 10.0.0.0/8\n"},
      {"main.fence", "import \"a.fence\"\nimport \"b.fence\"\nnamespace n {\n  w may reach x\n}\n"},
  };
  auto p = load(files, "main.fence");
  auto f = p.scopes->lookup("x", 0, nullptr);
  REQUIRE(f);
  CHECK(f->ambiguous());
  CHECK_FALSE(p.c->analyze());
  bool e0207 = false;
  for (const auto& d : p.c->sink().raw()) e0207 = e0207 || d.code == Code::E0207;
  CHECK(e0207);
}

TEST_CASE("Scopes agrees with resolve on every example", "[sema][symbols]") {
  std::size_t checked = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(FENCE_SOURCE_DIR) + "/examples")) {
    if (e.path().extension() != ".fence" || e.path().filename().string().front() == '_') continue;
    std::ifstream in(e.path());
    std::ostringstream ss;
    ss << in.rdbuf();
    auto path = e.path().lexically_normal().string();
    auto p = load({{path, ss.str()}}, path);
    INFO(path << "\n" << render_all(p.c->sink(), p.c->sources()));
    if (!p.c->loaded().ok) continue;
    // Programs that declare environments are checked in their first one.
    std::optional<std::string> env;
    if (!p.c->environments().empty()) env = p.c->environments().front();
    // Programs that mean something different per target, in each of them.
    if (p.c->per_target()) {
      for (const auto& t : p.c->program_targets()) checked += check_agreement(p, env, t);
    } else {
      checked += check_agreement(p, env);
    }
  }
  CHECK(checked > 0);
}
