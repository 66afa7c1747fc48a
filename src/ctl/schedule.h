// --scheduled times for switchover and restart, read as patronictl reads them (dateutil): an
// ISO 8601 date and time, with a zone or in local time, or "now" (no schedule). Pure apart from
// the local time zone; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "ctl/context.h"

namespace pghalo::ctl {

struct Scheduled {
  WallTime at;
  std::string iso;  // "2024-05-02T10:00:00+02:00", what the agent receives
};

// nullopt for "now" or empty text. kInvalidArgument names the accepted forms.
Result<std::optional<Scheduled>> parse_scheduled(const std::string& text);

// --scheduled when given; else, unless `force`, patronictl's question "When should the <what>
// take place (e.g. <an hour from now>)" with "now" as the default. `close` is the text after
// the example (patronictl writes " ) " for switchover and ") " for restart).
Result<std::optional<Scheduled>> ask_schedule(Context& ctx, const std::optional<std::string>& given,
                                              bool force, const std::string& what,
                                              const std::string& close);

// ISO 8601 in the local zone with its offset, seconds precision ("2024-05-02T10:00:00+02:00").
std::string local_iso8601(WallTime t);

// A local date and time (month 1-12), checked; nullopt when out of range.
std::optional<WallTime> local_time(int year, int month, int day, int hour, int minute,
                                   int second);

// "2024-05-02T11:00" an hour from `now`, local time: the example patronictl offers.
std::string next_hour_example(WallTime now);

}  // namespace pghalo::ctl
