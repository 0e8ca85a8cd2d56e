// HTTP rule values as Fence writes them and Cilium enforces them: header conditions ("Name" for
// presence, "Name: value" for an exact value) and the regular expressions of paths and hosts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fence::net {

struct HeaderMatch {
  std::string name;
  std::optional<std::string> value;  // none: the header must only be present

  // The form Cilium reads: it splits at the first space and drops the ':' before it.
  std::string str() const { return value ? name + ": " + *value : name; }
};

struct HeaderParse {
  std::optional<HeaderMatch> header;
  std::string error;       // why not, phrased to follow "not a valid header condition: "
  std::size_t offset = 0;  // where in the text the problem is
  std::size_t length = 0;
};

// "X-Api-Version: 2" or "X-Debug". The name is an HTTP token (RFC 9110), the value is visible
// text with no control characters; spaces around the value are dropped.
HeaderParse parse_http_header(std::string_view text);

}  // namespace fence::net
