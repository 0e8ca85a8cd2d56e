#include "net/names.h"

#include <fmt/format.h>

namespace fence::net {

namespace {
bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? of at most 63 characters.
std::string check_name_part(std::string_view s, std::string_view what) {
  if (s.empty()) return fmt::format("{} must not be empty", what);
  if (s.size() > 63) return fmt::format("{} is {} characters long; the limit is 63", what, s.size());
  if (!is_alnum(s.front()) || !is_alnum(s.back())) return fmt::format("{} must begin and end with a letter or digit", what);
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return fmt::format("{} may hold only letters, digits, '-', '_' and '.', not '{}'", what, c);
  }
  return {};
}
}  // namespace

std::string check_dns_label(std::string_view s) {
  if (s.empty()) return "it is empty";
  if (s.size() > 63) return fmt::format("it is {} characters long; the limit is 63", s.size());
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') {
      if (c >= 'A' && c <= 'Z') return "it must be lower case";
      return fmt::format("it may hold only lower-case letters, digits and '-', not '{}'", c);
    }
  }
  if (!is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return "it must begin and end with a letter or digit";
  return {};
}

std::string check_dns_subdomain(std::string_view s) {
  if (s.empty()) return "it is empty";
  if (s.size() > 253) return fmt::format("it is {} characters long; the limit is 253", s.size());
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    auto label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "it has an empty part between dots";
    for (char c : label) {
      if (!is_lower_alnum(c) && c != '-') {
        if (c >= 'A' && c <= 'Z') return "it must be lower case";
        return fmt::format("it may hold only lower-case letters, digits, '-' and '.', not '{}'", c);
      }
    }
    if (!is_lower_alnum(label.front()) || !is_lower_alnum(label.back())) return "each dot-separated part must begin and end with a letter or digit";
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

std::string check_label_key(std::string_view s) {
  auto slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    auto prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (name.find('/') != std::string_view::npos) return "it may hold at most one '/'";
    if (prefix.empty()) return "the prefix before '/' is empty";
    auto why = check_dns_subdomain(prefix);
    if (!why.empty()) return fmt::format("its prefix '{}' is not a DNS subdomain: {}", prefix, why);
  }
  return check_name_part(name, slash == std::string_view::npos ? "the key" : "the name after '/'");
}

std::string check_label_value(std::string_view s) {
  if (s.empty()) return {};
  return check_name_part(s, "the value");
}

std::string check_port_name(std::string_view s) {
  if (s.empty()) return "it is empty";
  if (s.size() > 15) return fmt::format("it is {} characters long; port names have at most 15", s.size());
  bool letter = false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') {
      if (c >= 'A' && c <= 'Z') return "port names must be lower case";
      return fmt::format("port names hold only lower-case letters, digits and '-', not '{}'", c);
    }
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!letter) return "port names must contain at least one letter";
  if (s.front() == '-' || s.back() == '-') return "port names must not begin or end with '-'";
  if (s.find("--") != std::string_view::npos) return "port names must not contain '--'";
  return {};
}

std::string check_dns_name(std::string_view s, bool allow_wildcard) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return "it is empty";
  if (s.size() > 253) return fmt::format("it is {} characters long; the limit is 253", s.size());
  std::size_t start = 0;
  while (true) {
    auto dot = s.find('.', start);
    auto label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return "it has an empty part between dots";
    if (label.size() > 63) return fmt::format("the part '{}' is longer than 63 characters", label);
    for (char c : label) {
      if (c == '*') {
        if (!allow_wildcard) return "'*' is allowed only in DNS patterns";
        continue;
      }
      if (!is_alnum(c) && c != '-' && c != '_') return fmt::format("it may hold only letters, digits, '-', '_' and '.', not '{}'", c);
    }
    if (label.front() == '-' || label.back() == '-') return fmt::format("the part '{}' begins or ends with '-'", label);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

}  // namespace fence::net
