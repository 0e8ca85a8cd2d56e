// The Kubernetes API's rules for names, label keys and values, and port names, as values Fence
// can check at compile time. Each check returns an empty string when the text is valid, or
// the reason it is not, phrased to follow "X is not a valid ...: ".
#pragma once

#include <string>
#include <string_view>

namespace fence::net {

// RFC 1123 label: at most 63 characters, lower-case alphanumerics and '-', alphanumeric at both ends.
std::string check_dns_label(std::string_view s);
// RFC 1123 subdomain: at most 253 characters, dot-separated RFC 1123 labels.
std::string check_dns_subdomain(std::string_view s);
// A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
std::string check_label_key(std::string_view s);
// A label value: empty, or at most 63 characters of alphanumerics, '-', '_' and '.', alphanumeric at both ends.
std::string check_label_value(std::string_view s);
// An IANA service name, as container ports use: 1-15 characters, [a-z0-9-], at least one letter,
// no leading, trailing or doubled '-'.
std::string check_port_name(std::string_view s);
// A DNS name or Cilium matchPattern ("*.example.com"): labels of [a-zA-Z0-9-_] and '*'.
std::string check_dns_name(std::string_view s, bool allow_wildcard);

}  // namespace fence::net
