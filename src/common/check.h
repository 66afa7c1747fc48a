// CHECK(cond) << "context": crash with a message when a programmer's assumption breaks.
// Never used for bad input or failures of the outside world: those are Result errors.
#pragma once

#include <sstream>
#include <string>

namespace pghalo::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;

  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets `CHECK(x) << ...` be a single expression statement.
struct Voidify {
  void operator&(CheckFailure&) {}
};

}  // namespace pghalo::internal

#define CHECK(condition)                   \
  (condition) ? (void)0                    \
              : ::pghalo::internal::Voidify() & \
                    ::pghalo::internal::CheckFailure(__FILE__, __LINE__, #condition)
