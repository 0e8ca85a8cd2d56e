#include "sema/loader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "syntax/parser.h"

#ifndef FENCE_SOURCE_STDLIB_DIR
#define FENCE_SOURCE_STDLIB_DIR ""
#endif

namespace fence::sema {

namespace fs = std::filesystem;

std::optional<std::string> read_source(std::istream& in, std::size_t limit) {
  std::string out;
  char buf[1 << 16];
  while (out.size() <= limit) {
    in.read(buf, sizeof buf);
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (!in) break;
  }
  if (in.bad()) return std::nullopt;
  if (out.size() > limit) out.resize(limit + 1);
  return out;
}

std::optional<std::string> read_disk(const std::string& path, std::size_t limit) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return read_source(in, limit);
}

std::string canonical_path(const std::string& path) {
  std::error_code ec;
  auto c = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal().string() : c.string();
}

namespace {

fs::path exe_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p.parent_path();
}

}  // namespace

std::vector<std::string> default_stdlib_path() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("FENCE_PATH"); env != nullptr && *env != '\0') {
    std::string s(env);
    std::size_t start = 0;
    while (start <= s.size()) {
      auto colon = s.find(':', start);
      auto part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) out.push_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  auto dir = exe_dir();
  if (!dir.empty()) {
    out.push_back((dir / ".." / "share" / "fence" / "stdlib").lexically_normal().string());
    out.push_back((dir / "stdlib").string());
  }
  std::string source_dir = FENCE_SOURCE_STDLIB_DIR;
  if (!source_dir.empty()) out.push_back(source_dir);
  return out;
}

Loader::Loader(SourceManager& sm, DiagnosticSink& sink, LoaderOptions options) : sm_(sm), sink_(sink), options_(std::move(options)) {
  options_.max_file_bytes = std::min(options_.max_file_bytes, kMaxFileBytesCeiling);
  if (!options_.read_file) options_.read_file = [limit = options_.max_file_bytes](const std::string& path) { return read_disk(path, limit); };
  if (!options_.parse) options_.parse = syntax::parse;
}

void Loader::add_root(const std::string& display, std::string text) {
  pending_roots_.push_back({display, std::move(text)});
}

void Loader::add_pending_roots() {
  // Roots in path order, whatever the command line's order: file ids, and everything that
  // follows them, are then the same for every order of the same inputs.
  std::stable_sort(pending_roots_.begin(), pending_roots_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [display, text] : pending_roots_) {
    auto canonical = canonical_path(display);
    if (by_canonical_.count(canonical)) continue;  // named twice: load once
    LoadedFile f;
    f.id = add_source(shown_path(display, display), std::move(text));
    f.canonical = canonical;
    f.disk_path = display;
    f.root = true;
    by_canonical_[canonical] = prog_.files.size();
    display_dirs_.push_back(fs::path(display).parent_path().string());
    prog_.files.push_back(std::move(f));
  }
  pending_roots_.clear();
}

std::optional<std::size_t> Loader::load_import(std::size_t from, const ast::Import& imp) {
  std::string display;
  std::string canonical;
  std::string disk;
  std::optional<std::string> text;
  if (imp.is_path) {
    if (imp.target.empty()) {
      sink_.error(Code::E0201, imp.target_span, "an import needs a file name");
      return std::nullopt;
    }
    fs::path rel(imp.target);
    fs::path base = fs::path(prog_.files[from].disk_path).parent_path();
    fs::path full = rel.is_absolute() ? rel : base / rel;
    fs::path shown = rel.is_absolute() ? rel : (fs::path(display_dirs_[from]) / rel);
    display = shown_path(full.string(), shown.lexically_normal().string());
    canonical = canonical_path(full.string());
    if (auto it = by_canonical_.find(canonical); it != by_canonical_.end()) return it->second;
    disk = full.string();
    text = options_.read_file(disk);
    if (!text) {
      sink_.error(Code::E0201, imp.target_span, fmt::format("cannot read imported file '{}'", display))
          .hint(fmt::format("the path is relative to the importing file, so Fence looked for {}", full.lexically_normal().string()));
      return std::nullopt;
    }
  } else {
    std::string file = imp.target + ".fence";
    canonical = "<stdlib>/" + file;
    if (auto it = by_canonical_.find(canonical); it != by_canonical_.end()) return it->second;
    for (const auto& dir : options_.stdlib_path) {
      disk = (fs::path(dir) / file).string();
      text = options_.read_file(disk);
      if (text) break;
    }
    if (!text) {
      auto& d = sink_.error(Code::E0201, imp.target_span, fmt::format("no module named '{}' on the standard-library path", imp.target));
      if (options_.stdlib_path.empty()) {
        d.hint("set FENCE_PATH to the directory that holds std.fence");
      } else {
        d.hint(fmt::format("looked for {} in: {}", file, fmt::join(options_.stdlib_path, ", ")));
      }
      d.hint("to import a file, quote its path: import \"lib/common.fence\"");
      return std::nullopt;
    }
    display = canonical;
  }
  LoadedFile f;
  f.id = add_source(display, std::move(*text));
  f.canonical = canonical;
  f.disk_path = disk;
  by_canonical_[canonical] = prog_.files.size();
  display_dirs_.push_back(fs::path(display).parent_path().string());
  prog_.files.push_back(std::move(f));
  return prog_.files.size() - 1;
}

std::string Loader::shown_path(const std::string& disk, const std::string& given) const {
  if (options_.root.empty() || given == "<stdin>") return given;
  std::error_code ec;
  auto abs = fs::absolute(disk, ec);
  auto rel = fs::path(canonical_path(ec ? disk : abs.string())).lexically_relative(fs::path(options_.root));
  return rel.empty() ? given : rel.generic_string();
}

FileId Loader::add_source(const std::string& display, std::string text) {
  if (text.size() <= options_.max_file_bytes) return sm_.add(display, std::move(text));
  auto id = sm_.add(display, std::string());
  oversized_.insert(id);
  return id;
}

LoadedProgram Loader::finish() {
  add_pending_roots();
  // Breadth-first: parse a file, queue its imports. Files are only ever appended.
  for (std::size_t i = 0; i < prog_.files.size(); ++i) {
    if (oversized_.count(prog_.files[i].id)) {
      auto limit = options_.max_file_bytes;
      auto size = limit % (1 << 20) == 0 ? fmt::format("{} MiB", limit >> 20) : fmt::format("{} bytes", limit);
      sink_.error(Code::E0105, Span{prog_.files[i].id, 0, 0},
                  fmt::format("this file is larger than {}, the most Fence reads{}", size, limit == kMaxFileBytes ? "" : " (--max-file-size)"))
          .hint("split it into several files (a directory of .fence files builds as one program), or generate less source");
      prog_.files[i].ast.id = prog_.files[i].id;  // an empty file
      prog_.ok = false;
      prog_.resolvable = false;
      continue;
    }
    std::size_t errors_before = sink_.error_count() + sink_.dropped();
    prog_.files[i].ast = options_.parse(sm_, prog_.files[i].id, sink_);
    if (sink_.error_count() + sink_.dropped() > errors_before) {
      prog_.ok = false;
      if (!options_.imports_despite_errors) continue;
    }
    std::vector<const ast::Import*> imports;
    for (const auto& item : prog_.files[i].ast.items) {
      if (const auto* imp = std::get_if<ast::Import>(&item.node)) imports.push_back(imp);
    }
    for (const auto* imp : imports) {
      if (auto idx = load_import(i, *imp)) {
        prog_.files[i].imports.push_back(*idx);
      } else {
        prog_.files[i].imports.push_back(static_cast<std::size_t>(-1));
        prog_.ok = false;
        prog_.resolvable = false;
      }
    }
  }
  check_cycles(prog_);
  return std::move(prog_);
}

void Loader::check_cycles(LoadedProgram& prog) {
  enum class Mark { None, Active, Done };
  std::vector<Mark> mark(prog.files.size(), Mark::None);
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // (file, import index taken)

  // Finds the span of the k-th import item of file f.
  auto import_span = [&](std::size_t f, std::size_t k) {
    std::size_t seen = 0;
    for (const auto& item : prog.files[f].ast.items) {
      if (const auto* imp = std::get_if<ast::Import>(&item.node)) {
        if (seen++ == k) return imp->span;
      }
    }
    return Span{};
  };

  // Depth-first, with a stack of its own rather than recursion: a chain of thousands of imports
  // must not exhaust the call stack. `stack` holds the imports taken from the root to here.
  auto report = [&](std::size_t f, std::size_t k, std::size_t to) {
    // The cycle is the part of the stack from the first import made by `to`.
    std::size_t start = 0;
    while (start < stack.size() && stack[start].first != to) ++start;
    auto& d = to == f ? sink_.error(Code::E0202, import_span(f, k), "a file cannot import itself")
                      : sink_.error(Code::E0202, import_span(f, k),
                                    fmt::format("importing '{}' here closes an import cycle", sm_.file(prog.files[to].id).path));
    for (std::size_t s = start; s + 1 < stack.size(); ++s) {
      auto [ff, kk] = stack[s];
      auto target = prog.files[ff].imports[kk];
      d.note(import_span(ff, kk), fmt::format("'{}' is imported here", sm_.file(prog.files[target].id).path));
    }
    prog.ok = false;
    prog.resolvable = false;
  };
  for (std::size_t root = 0; root < prog.files.size(); ++root) {
    if (mark[root] != Mark::None) continue;
    mark[root] = Mark::Active;
    // Each frame: a file and the next of its imports to look at.
    std::vector<std::pair<std::size_t, std::size_t>> frames{{root, 0}};
    while (!frames.empty()) {
      auto& [f, k] = frames.back();
      const auto& imps = prog.files[f].imports;
      if (k == imps.size()) {
        mark[f] = Mark::Done;
        frames.pop_back();
        if (!stack.empty()) stack.pop_back();
        continue;
      }
      std::size_t taken = k++;
      auto to = imps[taken];
      if (to == static_cast<std::size_t>(-1)) continue;
      stack.emplace_back(f, taken);
      if (mark[to] == Mark::None) {
        mark[to] = Mark::Active;
        frames.emplace_back(to, 0);  // `f` and `k` are not used past this point
        continue;
      }
      if (mark[to] == Mark::Active) report(f, taken, to);
      stack.pop_back();
    }
  }
}

}  // namespace fence::sema
