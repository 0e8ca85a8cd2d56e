// JSON-RPC 2.0 framing as the Language Server Protocol uses it on a byte stream: each message is
// a `Content-Length: N` header block, a blank line, then N bytes of JSON. The reader never trusts
// the stream: over-long header lines, missing or absurd lengths and bytes between messages are
// reported as frames of their own, and the reader resynchronizes at the next header.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <ostream>
#include <string>

namespace fence::lsp {

struct Frame {
  enum class Kind {
    Message,    // `body` holds the message
    BadHeader,  // a header block without a usable Content-Length; `error` says why
    TooLarge,   // a message over the size limit, skipped; `error` says how large
    End,        // the stream ended (possibly inside a message)
  } kind = Kind::End;
  std::string body;
  std::string error;
};

class FrameReader {
 public:
  // `pending` tells whether more input can be read without blocking; the default asks the
  // stream's buffer. The server analyzes documents only when no message is waiting.
  FrameReader(std::istream& in, std::size_t max_body, std::function<bool()> pending = {});

  Frame next();
  bool pending() const;

 private:
  // One header line without its line end; false at the end of the stream.
  bool read_line(std::string& line, bool& too_long);

  std::istream& in_;
  std::size_t max_body_;
  std::function<bool()> pending_;
};

class FrameWriter {
 public:
  explicit FrameWriter(std::ostream& out) : out_(out) {}
  void write(const std::string& body);

 private:
  std::ostream& out_;
};

}  // namespace fence::lsp
