#include "lower/naming.h"

#include <cstdint>

#include <fmt/format.h>

namespace fence::lower {

std::string short_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:08x}", static_cast<std::uint32_t>(h ^ (h >> 32)));
}

std::string slugify(std::string_view text, std::size_t max_len) {
  std::string out;
  for (char ch : text) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > max_len) {
    auto h = short_hash(text);
    out = out.substr(0, max_len - h.size() - 1);
    while (!out.empty() && out.back() == '-') out.pop_back();
    out += "-" + h;
  }
  if (out.empty()) out = "pods-" + short_hash(text);
  return out;
}

std::string subject_slug(const net::LabelSelector& pods) {
  if (pods.selects_all()) return "all-pods";
  if (pods.reqs.size() == 1 && pods.reqs[0].op == net::SelOp::Equals) {
    const auto& v = pods.reqs[0].values.empty() ? std::string() : pods.reqs[0].values[0];
    auto s = slugify(v, 200);
    // A value that did not survive slugging unchanged gets a hash, so that "Web" and "web" differ.
    if (s != v) s = slugify(v, 190) + "-" + short_hash(pods.str());
    return s;
  }
  return slugify(pods.str(), 200);
}

}  // namespace fence::lower
