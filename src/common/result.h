// Result<T>: a value or an Error, shaped like std::expected (GCC 12's C++20 mode lacks it).
// Errors cross module boundaries as values; programmer errors crash through CHECK (check.h).
// Not thread-safe beyond the usual value semantics.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace pghalo {

// A small set: add a code only when some caller reacts to it differently.
enum class ErrorCode {
  kUnavailable,         // the peer/store cannot be reached or has no quorum; retry later
  kTimeout,             // the deadline passed; the outcome of a write is unknown
  kConflict,            // a compare-and-swap lost (mod_revision, create-if-absent)
  kNotFound,            // the thing does not exist
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kInvalidArgument,     // the input is malformed; retrying will not help
  kInternal,            // a bug or an unexpected answer
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  std::string to_string() const;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    CHECK(ok()) << "Result::value() on error: " << std::get<Error>(state_).to_string();
    return std::get<T>(state_);
  }
  const T& value() const& {
    CHECK(ok()) << "Result::value() on error: " << std::get<Error>(state_).to_string();
    return std::get<T>(state_);
  }
  T&& value() && {
    CHECK(ok()) << "Result::value() on error: " << std::get<Error>(state_).to_string();
    return std::get<T>(std::move(state_));
  }
  T value_or(T fallback) const { return ok() ? std::get<T>(state_) : std::move(fallback); }

  const Error& error() const {
    CHECK(!ok()) << "Result::error() on a value";
    return std::get<Error>(state_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    CHECK(!ok()) << "Result::error() on success";
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

}  // namespace pghalo

// Propagates an error from an expression returning Result<...>/Status.
#define PGHALO_TRY(expr)                                        \
  do {                                                          \
    auto pghalo_try_result_ = (expr);                           \
    if (!pghalo_try_result_.ok()) return pghalo_try_result_.error(); \
  } while (0)
