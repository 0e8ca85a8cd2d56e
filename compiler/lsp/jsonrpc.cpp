#include "lsp/jsonrpc.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace fence::lsp {

namespace {

constexpr std::size_t kMaxHeaderLine = 8192;
constexpr std::string_view kContentLength = "content-length:";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A decimal length: digits only, no sign, at most 18 of them.
std::optional<std::size_t> parse_length(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v;
}

}  // namespace

FrameReader::FrameReader(std::istream& in, std::size_t max_body, std::function<bool()> pending)
    : in_(in), max_body_(max_body), pending_(std::move(pending)) {}

bool FrameReader::pending() const {
  if (pending_) return pending_();
  return in_.rdbuf() != nullptr && in_.rdbuf()->in_avail() > 0;
}

bool FrameReader::read_line(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  auto* buf = in_.rdbuf();
  if (buf == nullptr) return false;
  while (true) {
    auto c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in_.setstate(std::ios::eofbit);
      return false;
    }
    if (c == '\n') break;
    if (line.size() < kMaxHeaderLine) {
      line += static_cast<char>(c);
    } else {
      too_long = true;  // keep consuming up to the line end, storing nothing more
    }
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

Frame FrameReader::next() {
  std::optional<std::size_t> length;
  bool any_line = false;
  std::string problem;
  while (true) {
    std::string line;
    bool too_long = false;
    if (!read_line(line, too_long)) return Frame{Frame::Kind::End, {}, {}};
    if (too_long) {
      problem = fmt::format("a header line longer than {} bytes", kMaxHeaderLine);
      any_line = true;
      continue;
    }
    if (line.empty()) {
      if (!any_line) continue;  // blank lines between messages
      break;
    }
    any_line = true;
    // Resynchronize after garbage: a header may start in the middle of a line.
    auto low = lower(line);
    auto at = low.find(kContentLength);
    if (at != std::string::npos) {
      if (at > 0) problem = "bytes before a header";
      auto v = parse_length(std::string_view(line).substr(at + kContentLength.size()));
      if (v) {
        length = v;
      } else {
        problem = fmt::format("an invalid Content-Length '{}'", std::string(trim(std::string_view(line).substr(at + kContentLength.size()))).substr(0, 40));
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      problem = "bytes that are not a header";
    }
    // Other headers (Content-Type) carry nothing Fence needs.
  }
  if (!length) {
    return Frame{Frame::Kind::BadHeader, {}, problem.empty() ? std::string("a header block without Content-Length") : problem};
  }
  if (*length > max_body_) {
    in_.ignore(static_cast<std::streamsize>(*length));
    if (static_cast<std::size_t>(in_.gcount()) < *length) return Frame{Frame::Kind::End, {}, {}};
    return Frame{Frame::Kind::TooLarge, {}, fmt::format("a message of {} bytes; the limit is {} bytes", *length, max_body_)};
  }
  Frame f;
  f.kind = Frame::Kind::Message;
  f.body.resize(*length);
  in_.read(f.body.data(), static_cast<std::streamsize>(*length));
  if (static_cast<std::size_t>(in_.gcount()) < *length) return Frame{Frame::Kind::End, {}, {}};
  return f;
}

void FrameWriter::write(const std::string& body) {
  out_ << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out_.flush();
}

}  // namespace fence::lsp
