#include "common/clock.h"

#include <ctime>
#include <cstdio>

namespace pghalo {
namespace {

std::string format_with_separator(WallTime t, char separator) {
  auto since_epoch = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - secs);
  std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%c%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, separator, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros.count()));
  return buf;
}

}  // namespace

std::string format_iso8601(WallTime t) { return format_with_separator(t, 'T'); }
std::string format_python_datetime(WallTime t) { return format_with_separator(t, ' '); }

long long epoch_seconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace pghalo
