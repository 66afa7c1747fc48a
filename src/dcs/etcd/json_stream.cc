#include "dcs/etcd/json_stream.h"

namespace pghalo::dcs::etcd {

bool JsonStreamSplitter::take(char c) {
  if (depth_ == 0) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') return false;
    if (c != '{') {
      broken_ = true;
      return false;
    }
  }
  pending_.push_back(c);
  if (pending_.size() > max_) {
    broken_ = true;
    return false;
  }
  if (in_string_) {
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\') {
      escaped_ = true;
    } else if (c == '"') {
      in_string_ = false;
    }
    return false;
  }
  if (c == '"') {
    in_string_ = true;
  } else if (c == '{' || c == '[') {
    ++depth_;
  } else if (c == '}' || c == ']') {
    return --depth_ == 0;
  }
  return false;
}

std::vector<std::string> JsonStreamSplitter::feed(std::string_view bytes) {
  std::vector<std::string> complete;
  for (char c : bytes) {
    if (broken_) break;
    if (take(c)) {
      complete.push_back(std::move(pending_));
      pending_.clear();
    }
  }
  return complete;
}

}  // namespace pghalo::dcs::etcd
