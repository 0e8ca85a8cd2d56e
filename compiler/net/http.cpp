#include "net/http.h"

#include <fmt/format.h>

namespace fence::net {

namespace {

bool is_tchar(char c) {
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || kExtra.find(c) != std::string_view::npos;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

HeaderParse problem(std::string error, std::size_t offset, std::size_t length) {
  HeaderParse p;
  p.error = std::move(error);
  p.offset = offset;
  p.length = length == 0 ? 1 : length;
  return p;
}

}  // namespace

HeaderParse parse_http_header(std::string_view text) {
  auto colon = text.find(':');
  auto name = text.substr(0, colon);
  if (name.empty()) return problem(colon == 0 ? "the header name before ':' is empty" : "it is empty", 0, 1);
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_tchar(name[i])) {
      if (is_space(name[i]) && colon != std::string_view::npos) {
        return problem("a header name holds no spaces: write \"Name: value\", with the ':' right after the name", i, 1);
      }
      if (is_space(name[i])) return problem("a header name holds no spaces; to require a value, write \"Name: value\"", i, 1);
      return problem(fmt::format("a header name holds letters, digits and !#$%&'*+-.^_`|~, not '{}'", name[i]), i, 1);
    }
  }
  HeaderParse out;
  HeaderMatch h;
  h.name = std::string(name);
  if (colon != std::string_view::npos) {
    auto begin = colon + 1;
    auto end = text.size();
    while (begin < end && is_space(text[begin])) ++begin;
    while (end > begin && is_space(text[end - 1])) --end;
    if (begin == end) {
      return problem(fmt::format("the value after ':' is empty; to require only that the header is present, write \"{}\"", name), colon, 1);
    }
    for (std::size_t i = begin; i < end; ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return problem("a header value holds no control characters", i, 1);
    }
    h.value = std::string(text.substr(begin, end - begin));
  }
  out.header = std::move(h);
  return out;
}

}  // namespace fence::net
