// JsonStreamSplitter: cuts a byte stream of concatenated JSON objects (the gateway's chunked
// /watch answer: one object per message, possibly split across or sharing network chunks)
// into complete object texts. Tracks braces outside strings; whitespace between objects is
// skipped. Not a validator: the caller parses each text. Not thread-safe (one per stream).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pghalo::dcs::etcd {

class JsonStreamSplitter {
 public:
  // A bound on one message so that a broken stream cannot grow memory without end.
  explicit JsonStreamSplitter(std::size_t max_message_bytes = 64u << 20)
      : max_(max_message_bytes) {}

  // Appends bytes; returns the objects completed by them, in order.
  std::vector<std::string> feed(std::string_view bytes);
  // True when a message exceeded the bound or the stream held a non-object at top level.
  bool broken() const { return broken_; }

 private:
  // Takes one byte; returns true when it completed an object (now in pending_).
  bool take(char c);

  std::size_t max_;
  std::string pending_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool broken_ = false;
};

}  // namespace pghalo::dcs::etcd
