// Structured logging: every line is an event with a stable name, a human sentence and key/value
// fields. Text by default ("2026-11-26 21:50:46.123 INFO  ha_cycle: no action... reason=..."),
// JSON lines when configured. Thread-safe: one mutex around the sink.
//
// Never pass a password or a full conninfo with a password as a field: use redact_conninfo().
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pghalo::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

std::string_view level_name(Level level);

struct Field {
  std::string key;
  std::string value;
  bool quoted = true;  // false for numbers and booleans in JSON output

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  Field(std::string_view k, N v) : key(k), value(std::to_string(v)), quoted(false) {}
};

struct Record {
  Level level;
  std::string_view event;
  std::string_view message;
  const std::vector<Field>& fields;
  std::string_view context;  // e.g. the member name in the simulator; empty in production
};

enum class Format { kText, kJson };

// Where records go. The default writes to stderr. Tests and the simulator install capturing
// sinks. Called with the logging mutex held: must not log.
using Sink = std::function<void(const Record&, const std::string& formatted_line)>;

void set_level(Level level);
Level level();
void set_format(Format format);
void set_sink(Sink sink);  // nullptr restores stderr
void reset();              // stderr, text, info

// A label added to every line logged from this thread while the scope is alive.
class ScopedContext {
 public:
  explicit ScopedContext(std::string context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  std::string previous_;
};

void write(Level level, std::string_view event, std::string_view message,
           std::vector<Field> fields = {});

inline void debug(std::string_view event, std::string_view message, std::vector<Field> f = {}) {
  write(Level::kDebug, event, message, std::move(f));
}
inline void info(std::string_view event, std::string_view message, std::vector<Field> f = {}) {
  write(Level::kInfo, event, message, std::move(f));
}
inline void warn(std::string_view event, std::string_view message, std::vector<Field> f = {}) {
  write(Level::kWarning, event, message, std::move(f));
}
inline void error(std::string_view event, std::string_view message, std::vector<Field> f = {}) {
  write(Level::kError, event, message, std::move(f));
}

// Replaces the value of password=... in a libpq keyword/value string or the password part of a
// postgres:// URI with "********".
std::string redact_conninfo(std::string_view conninfo);

}  // namespace pghalo::log
