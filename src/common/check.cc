#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace pghalo::internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << file << ":" << line << ": CHECK(" << condition << ") failed: ";
}

CheckFailure::~CheckFailure() {
  std::string text = stream_.str();
  std::fprintf(stderr, "FATAL %s\n", text.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace pghalo::internal
