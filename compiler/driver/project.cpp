#include "driver/project.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "diag/suggest.h"

namespace fence::driver {

namespace fs = std::filesystem;

namespace {

fs::path canonical_dir(const fs::path& p) {
  std::error_code ec;
  auto abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  auto c = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : c;
}

bool is_file_path(const std::string& path) {
  return !path.empty() && path.front() != '<';
}

}  // namespace

std::string common_directory(const std::vector<std::string>& paths) {
  std::optional<fs::path> common;
  for (const auto& p : paths) {
    if (!is_file_path(p)) continue;
    auto dir = canonical_dir(p).parent_path();
    if (!common) {
      common = dir;
      continue;
    }
    fs::path shared;
    auto a = common->begin();
    auto b = dir.begin();
    for (; a != common->end() && b != dir.end() && *a == *b; ++a, ++b) shared /= *a;
    common = shared;
  }
  if (!common) return canonical_dir(fs::current_path()).string();
  return common->string();
}

std::optional<std::string> find_project_file(const std::string& dir) {
  fs::path d = canonical_dir(dir);
  while (true) {
    std::error_code ec;
    auto candidate = d / kProjectFile;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (!d.has_parent_path() || d.parent_path() == d) return std::nullopt;
    d = d.parent_path();
  }
}

std::string relative_to_root(const std::string& path, const std::string& root) {
  if (root.empty() || !is_file_path(path)) return path;
  auto rel = canonical_dir(path).lexically_relative(fs::path(root));
  if (rel.empty()) return canonical_dir(path).generic_string();
  return rel.generic_string();
}

// ---------------------------------------------------------------------------------------------
// fence.toml: a small subset of TOML. Comments, blank lines and top-level `key = value` lines,
// where a value is an integer, a "string" or true/false. Tables and arrays are not accepted
// (nothing needs them yet); every key is checked against the known ones.

namespace {

struct Value {
  enum class Kind { Integer, String, Boolean } kind = Kind::Integer;
  long long integer = 0;
  std::string text;
};

const std::vector<std::string>& known_keys() {
  static const std::vector<std::string> keys = {"version"};
  return keys;
}

bool bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

ProjectFile parse_project_file(const SourceManager& sm, FileId id, DiagnosticSink& sink) {
  ProjectFile out;
  const std::string& text = sm.file(id).text;
  std::set<std::string> seen;
  std::uint32_t pos = 0;
  auto size = static_cast<std::uint32_t>(text.size());
  while (pos < size) {
    std::uint32_t eol = pos;
    while (eol < size && text[eol] != '\n') ++eol;
    std::uint32_t i = pos;
    auto skip_ws = [&] {
      while (i < eol && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
    };
    auto span = [&](std::uint32_t b, std::uint32_t e) { return Span{id, b, std::max(e, std::min(b + 1, eol))}; };
    std::uint32_t next = eol + 1;
    skip_ws();
    if (i == eol || text[i] == '#') {
      pos = next;
      continue;
    }
    if (text[i] == '[') {
      sink.error(Code::E0115, span(i, eol), "fence.toml holds only top-level `key = value` lines: there are no tables")
          .hint(fmt::format("the keys fence.toml may hold: {}", fmt::join(known_keys(), ", ")));
      pos = next;
      continue;
    }
    std::uint32_t key_begin = i;
    while (i < eol && bare_key_char(text[i])) ++i;
    std::uint32_t key_end = i;
    if (key_end == key_begin) {
      sink.error(Code::E0115, span(i, i + 1), "expected a key: fence.toml lines are `key = value`");
      pos = next;
      continue;
    }
    std::string key = text.substr(key_begin, key_end - key_begin);
    skip_ws();
    if (i == eol || text[i] != '=') {
      sink.error(Code::E0115, span(i, i + 1), fmt::format("expected '=' after the key '{}'", key));
      pos = next;
      continue;
    }
    ++i;
    skip_ws();
    // The value: up to a comment or the end of the line.
    std::uint32_t value_begin = i;
    std::optional<Value> value;
    if (i < eol && text[i] == '"') {
      std::uint32_t j = i + 1;
      std::string s;
      bool closed = false;
      for (; j < eol; ++j) {
        if (text[j] == '\\' && j + 1 < eol) {
          s += text[++j];
          continue;
        }
        if (text[j] == '"') {
          closed = true;
          break;
        }
        s += text[j];
      }
      if (closed) {
        value = Value{Value::Kind::String, 0, s};
        i = j + 1;
      }
    } else {
      std::uint32_t j = i;
      while (j < eol && text[j] != '#' && text[j] != ' ' && text[j] != '\t' && text[j] != '\r') ++j;
      std::string word = text.substr(i, j - i);
      if (word == "true" || word == "false") {
        value = Value{Value::Kind::Boolean, word == "true", word};
      } else if (!word.empty() && word.size() < 18 && word.find_first_not_of("0123456789") == std::string::npos) {
        value = Value{Value::Kind::Integer, std::stoll(word), word};
      }
      if (value) i = j;
    }
    std::uint32_t value_end = i;
    skip_ws();
    bool trailing = i < eol && text[i] != '#';
    bool known = std::find(known_keys().begin(), known_keys().end(), key) != known_keys().end();
    if (!known) {
      auto& d = sink.error(Code::E0116, span(key_begin, key_end), fmt::format("fence.toml has no key '{}'", key));
      if (auto near = closest(key, known_keys())) {
        d.hint(fmt::format("did you mean '{}'?", *near));
      } else {
        d.hint(fmt::format("the keys fence.toml may hold: {}", fmt::join(known_keys(), ", ")));
      }
      pos = next;
      continue;
    }
    if (!value || trailing) {
      std::uint32_t at = value ? i : value_begin;
      sink.error(Code::E0115, span(at, eol), "expected a value: an integer, a \"string\" or true/false, then the end of the line");
      pos = next;
      continue;
    }
    if (!seen.insert(key).second) {
      sink.error(Code::E0118, span(key_begin, key_end), fmt::format("the key '{}' is given twice", key));
      pos = next;
      continue;
    }
    if (key == "version") {
      if (value->kind != Value::Kind::Integer || value->integer != 1) {
        sink.error(Code::E0117, span(value_begin, value_end), fmt::format("version must be 1, the only format of fence.toml there is; not {}", value->text));
      } else {
        out.version = 1;
      }
    }
    pos = next;
  }
  return out;
}

}  // namespace fence::driver
