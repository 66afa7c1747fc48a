#include "ctl/schedule.h"

#include <cstdio>
#include <ctime>
#include <regex>

#include "common/strings.h"
#include "dcs/codec.h"

namespace pghalo::ctl {
namespace {

std::tm local_tm(WallTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  return tm;
}

// A date and time without a zone, read in local time.
std::optional<WallTime> parse_local(const std::string& text) {
  static const std::regex kNaive(
      R"(^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, kNaive)) return std::nullopt;
  return local_time(std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]),
                    m[4].matched ? std::stoi(m[4]) : 0, m[5].matched ? std::stoi(m[5]) : 0,
                    m[6].matched ? std::stoi(m[6]) : 0);
}

}  // namespace

std::optional<WallTime> local_time(int year, int month, int day, int hour, int minute,
                                   int second) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

std::string local_iso8601(WallTime t) {
  std::tm tm = local_tm(t);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  long offset = tm.tm_gmtoff / 60;
  char zone[48];
  std::snprintf(zone, sizeof(zone), "%c%02ld:%02ld", offset < 0 ? '-' : '+',
                std::labs(offset) / 60, std::labs(offset) % 60);
  return std::string(buffer) + zone;
}

std::string next_hour_example(WallTime now) {
  std::tm tm = local_tm(now + std::chrono::hours(1));
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M", &tm);
  return buffer;
}

Result<std::optional<Scheduled>> parse_scheduled(const std::string& text) {
  std::string t = std::string(trim(text));
  if (t.empty() || to_lower(t) == "now") return std::optional<Scheduled>();
  std::optional<WallTime> at = dcs::parse_iso8601_with_zone(t);
  if (!at) at = parse_local(t);
  if (!at) {
    return make_error(ErrorCode::kInvalidArgument,
                      "Unable to parse scheduled timestamp (" + t +
                          "). It should be in an unambiguous format (e.g. ISO 8601: "
                          "2024-05-02T10:00, 2024-05-02 10:00+02:00) or 'now'");
  }
  return std::optional<Scheduled>(Scheduled{*at, local_iso8601(*at)});
}

Result<std::optional<Scheduled>> ask_schedule(Context& ctx, const std::optional<std::string>& given,
                                              bool force, const std::string& what,
                                              const std::string& close) {
  auto when = given;
  if (!when && !force) {
    auto answer = ask(ctx, "When should the " + what + " take place (e.g. " +
                               next_hour_example(ctx.clock.wall_now()) + close,
                      std::string("now"));
    if (!answer.ok()) return answer.error();
    when = *answer;
  }
  return parse_scheduled(when.value_or("now"));
}

}  // namespace pghalo::ctl
