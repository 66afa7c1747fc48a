#include "api/timestamps.h"

#include <cstdio>

namespace pghalo::api {
namespace {

using std::chrono::microseconds;

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> read_digits(std::string_view s, std::size_t& pos, std::size_t digits) {
  if (pos + digits > s.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool consume(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// "Z", "+HH", "+HHMM", "+HH:MM" at `pos`; nullopt with pos unchanged when malformed.
std::optional<int> read_offset(std::string_view s, std::size_t& pos) {
  if (consume(s, pos, 'Z') || consume(s, pos, 'z')) return 0;
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return std::nullopt;
  int sign = s[pos] == '-' ? -1 : 1;
  std::size_t p = pos + 1;
  auto hours = read_digits(s, p, 2);
  if (!hours || *hours > 23) return std::nullopt;
  int minutes = 0;
  if (p < s.size()) {
    consume(s, p, ':');
    auto m = read_digits(s, p, 2);
    if (!m || *m > 59) return std::nullopt;
    minutes = *m;
  }
  pos = p;
  return sign * (*hours * 60 + minutes);
}

struct Fields {
  int hour = 0, minute = 0, second = 0;
  long micros = 0;
};

bool read_time(std::string_view s, std::size_t& pos, Fields& f) {
  auto h = read_digits(s, pos, 2);
  if (!h || *h > 23 || !consume(s, pos, ':')) return false;
  auto m = read_digits(s, pos, 2);
  if (!m || *m > 59) return false;
  f.hour = *h;
  f.minute = *m;
  if (!consume(s, pos, ':')) return true;
  auto sec = read_digits(s, pos, 2);
  if (!sec || *sec > 60) return false;
  f.second = *sec;
  if (!consume(s, pos, '.')) return true;
  std::size_t digits = 0;
  long scale = 100000;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (digits < 6) f.micros += (s[pos] - '0') * scale;  // beyond microseconds: truncated
    scale /= 10;
    ++digits;
    ++pos;
  }
  return digits > 0;
}

std::string two(int v) {
  char buf[12];  // any int: GCC's -O2 format-truncation check (-Werror) sees the whole range
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string format_python(const Timestamp& t, char separator) {
  auto local = t.utc + std::chrono::minutes(t.offset_minutes.value_or(0));
  auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::year_month_day ymd(day);
  std::chrono::hh_mm_ss<microseconds> tod(std::chrono::duration_cast<microseconds>(local - day));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u%c%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), separator,
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()));
  std::string out = buf;
  if (tod.subseconds().count() != 0) {
    std::snprintf(buf, sizeof buf, ".%06ld", static_cast<long>(tod.subseconds().count()));
    out += buf;
  }
  if (t.offset_minutes) {
    int off = *t.offset_minutes;
    out += off < 0 ? '-' : '+';
    off = off < 0 ? -off : off;
    out += two(off / 60) + ":" + two(off % 60);
  }
  return out;
}

}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::size_t pos = 0;
  auto year = read_digits(text, pos, 4);
  if (!year || !consume(text, pos, '-')) return std::nullopt;
  auto month = read_digits(text, pos, 2);
  if (!month || !consume(text, pos, '-')) return std::nullopt;
  auto day = read_digits(text, pos, 2);
  if (!day) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*year),
                                  std::chrono::month(static_cast<unsigned>(*month)),
                                  std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  Fields f;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    ++pos;
    if (!read_time(text, pos, f)) return std::nullopt;
  }
  Timestamp out;
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos < text.size()) {
    out.offset_minutes = read_offset(text, pos);
    if (!out.offset_minutes || pos != text.size()) return std::nullopt;
  }
  auto local = std::chrono::sys_days(ymd) + std::chrono::hours(f.hour) +
               std::chrono::minutes(f.minute) + std::chrono::seconds(f.second) +
               microseconds(f.micros);
  out.utc = local - std::chrono::minutes(out.offset_minutes.value_or(0));
  return out;
}

std::string format_python_str(const Timestamp& t) { return format_python(t, ' '); }

std::string format_python_isoformat(const Timestamp& t) { return format_python(t, 'T'); }

std::string format_epoch_seconds(const Timestamp& t) {
  long long micros = t.utc.time_since_epoch().count();
  long long seconds = micros / 1000000;
  long long fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    seconds -= 1;
  }
  std::string digits = std::to_string(1000000 + fraction).substr(1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  return std::to_string(seconds) + "." + digits;
}

}  // namespace pghalo::api
