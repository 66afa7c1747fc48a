// Timestamps as the REST API reads and writes them: ISO 8601 from clients (`scheduled_at`,
// `schedule`), PostgreSQL's text output (`postmaster_start_time`, `replayed_timestamp`), and
// Python's renderings that Patroni sends back (str(datetime), isoformat(), epoch floats).
// Not a general date library: Gregorian dates, numeric UTC offsets only. Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace pghalo::api {

struct Timestamp {
  std::chrono::sys_time<std::chrono::microseconds> utc{};  // the instant
  std::optional<int> offset_minutes;                        // absent: no zone was given

  // The instant on the wall clock; years past 2262 (beyond its nanosecond range) clamp to max.
  WallTime wall() const {
    using Micros = std::chrono::microseconds;
    constexpr auto kLimit = std::chrono::duration_cast<Micros>(WallTime::duration::max());
    if (utc.time_since_epoch() >= kLimit) return WallTime::max();
    if (utc.time_since_epoch() <= -kLimit) return WallTime::min();
    return std::chrono::time_point_cast<WallTime::duration>(utc);
  }
};

// Accepts "YYYY-MM-DD", optionally followed by 'T' or ' ' and "HH:MM[:SS[.fraction]]", optionally
// followed by "Z", "+HH", "+HHMM" or "+HH:MM" (and '-'), with optional spaces before the zone.
// Covers what PostgreSQL prints ("2026-11-26 20:45:44.828388+00") and what people and patronictl
// send ("2026-11-26T21:00+02:00"). Without a zone the fields are taken as UTC.
std::optional<Timestamp> parse_timestamp(std::string_view text);

// Python str(datetime): "2026-11-26 20:45:44.828388+00:00" (fraction only when non-zero; the
// offset only when known), in the timestamp's own offset.
std::string format_python_str(const Timestamp& t);
// Python datetime.isoformat(): like format_python_str with a 'T' separator.
std::string format_python_isoformat(const Timestamp& t);
// Seconds since the epoch as Python prints a float: "1795725944.828388", "1795725944.0".
std::string format_epoch_seconds(const Timestamp& t);

}  // namespace pghalo::api
