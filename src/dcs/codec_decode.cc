// Decoders of spec 1.3. Every nlohmann exception is caught here: bad input is an error value.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>

#include "common/strings.h"
#include "dcs/codec.h"
#include "dcs/keys.h"

namespace pghalo::dcs {
namespace {

using model::MemberName;
using nlohmann::json;

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

Result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return invalid("invalid JSON at byte " + std::to_string(e.byte));
  } catch (const std::exception& e) {
    return invalid(std::string("invalid JSON: ") + e.what());
  }
}

Result<json> parse_object(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object())
    return invalid(std::string("expected a JSON object, got ") + parsed->type_name());
  return parsed;
}

bool is_whole_number(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

std::optional<std::uint64_t> as_unsigned(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

// Reads an optional string field; a field of another type is an error naming the field.
Status read_string(const json& object, const char* field, std::string& out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return ok_status();
  if (!it->is_string()) return invalid(std::string(field) + " is not a string");
  out = it->get<std::string>();
  return ok_status();
}

Status read_optional_string(const json& object, const char* field,
                            std::optional<std::string>& out) {
  std::string text;
  PGHALO_TRY(read_string(object, field, text));
  if (object.contains(field) && !object.at(field).is_null()) out = text;
  return ok_status();
}

Status read_bool(const json& object, const char* field, std::optional<bool>& out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return ok_status();
  if (!it->is_boolean()) return invalid(std::string(field) + " is not a boolean");
  out = it->get<bool>();
  return ok_status();
}

Status read_unsigned(const json& object, const char* field, std::optional<std::uint64_t>& out) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return ok_status();
  out = as_unsigned(*it);
  if (!out) return invalid(std::string(field) + " is not a non-negative integer");
  return ok_status();
}

// "postgres://host:5432/postgres?application_name=http://host:8008/patroni" (pre-1.0 Patroni).
model::Member decode_legacy_member(const MemberName& name, std::string_view value) {
  model::Member member;
  member.name = name;
  auto question = value.find('?');
  member.conn_url = std::string(value.substr(0, question));
  if (question != std::string_view::npos) {
    for (const auto& pair : split(value.substr(question + 1), '&')) {
      auto eq = pair.find('=');
      if (eq != std::string::npos && pair.substr(0, eq) == "application_name") {
        member.api_url = pair.substr(eq + 1);
      }
    }
  }
  return member;
}

Status fill_member_text(const json& object, model::Member& member) {
  PGHALO_TRY(read_string(object, "conn_url", member.conn_url));
  PGHALO_TRY(read_string(object, "api_url", member.api_url));
  PGHALO_TRY(read_string(object, "state", member.state));
  PGHALO_TRY(read_string(object, "role", member.role_text));
  PGHALO_TRY(read_string(object, "version", member.version));
  return read_optional_string(object, "replication_state", member.replication_state);
}

Status fill_member_positions(const json& object, model::Member& member) {
  std::optional<std::uint64_t> xlog;
  PGHALO_TRY(read_unsigned(object, "xlog_location", xlog));
  if (xlog) member.xlog_location = model::Lsn(*xlog);
  if (auto it = object.find("timeline"); it != object.end() && !it->is_null()) {
    if (!is_whole_number(*it)) return invalid("timeline is not an integer");
    member.timeline = model::TimelineId(it->get<std::int64_t>());
  }
  return ok_status();
}

Status fill_member_flags(const json& object, model::Member& member) {
  std::optional<bool> pending_restart, pause;
  PGHALO_TRY(read_bool(object, "pending_restart", pending_restart));
  PGHALO_TRY(read_bool(object, "pause", pause));
  PGHALO_TRY(read_bool(object, "checkpoint_after_promote", member.checkpoint_after_promote));
  member.pending_restart = pending_restart.value_or(false);
  member.pause = pause.value_or(false);
  if (auto it = object.find("tags"); it != object.end() && !it->is_null()) {
    if (!it->is_object()) return invalid("tags is not an object");
    member.tags = model::Tags::from_json(*it);
  }
  return ok_status();
}

Status fill_member(const json& object, model::Member& member) {
  PGHALO_TRY(fill_member_text(object, member));
  PGHALO_TRY(fill_member_positions(object, member));
  PGHALO_TRY(fill_member_flags(object, member));
  if (auto it = object.find("scheduled_restart"); it != object.end())
    member.scheduled_restart = *it;
  member.role = model::parse_role(member.role_text);
  member.raw = object;
  return ok_status();
}

int two_digits(std::string_view s, std::size_t at, bool& ok) {
  if (at + 2 > s.size() || !std::isdigit(static_cast<unsigned char>(s[at])) ||
      !std::isdigit(static_cast<unsigned char>(s[at + 1]))) {
    ok = false;
    return 0;
  }
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

// Parses "+HH:MM", "+HHMM", "+HH" or "Z" into an offset east of UTC.
std::optional<std::chrono::minutes> parse_zone(std::string_view zone) {
  if (zone == "Z" || zone == "z") return std::chrono::minutes(0);
  if (zone.size() < 3 || (zone[0] != '+' && zone[0] != '-')) return std::nullopt;
  bool ok = true;
  int hours = two_digits(zone, 1, ok);
  int minutes = 0;
  std::string_view rest = zone.substr(3);
  if (!rest.empty() && rest[0] == ':') rest = rest.substr(1);
  if (rest.size() == 2) {
    minutes = two_digits(rest, 0, ok);
  } else if (!rest.empty()) {
    return std::nullopt;
  }
  if (!ok || hours > 23 || minutes > 59) return std::nullopt;
  int sign = zone[0] == '-' ? -1 : 1;
  return std::chrono::minutes(sign * (hours * 60 + minutes));
}

}  // namespace

std::optional<WallTime> parse_iso8601_with_zone(std::string_view text) {
  text = trim(text);
  // YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]<zone>
  if (text.size() < 17 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':') {
    return std::nullopt;
  }
  auto year = parse_int64(text.substr(0, 4));
  bool ok = year.has_value();
  int month = two_digits(text, 5, ok), day = two_digits(text, 8, ok);
  int hour = two_digits(text, 11, ok), minute = two_digits(text, 14, ok), second = 0;
  std::size_t pos = 16;
  long long micros = 0;
  if (pos < text.size() && text[pos] == ':') {
    second = two_digits(text, pos + 1, ok);
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {
      std::size_t digits = 0;
      for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]));
           ++pos, ++digits) {
        if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      }
      for (; digits < 6; ++digits) micros *= 10;
    }
  }
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return std::nullopt;
  }
  auto zone = parse_zone(text.substr(pos));
  if (!zone) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*year)),
                                   std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  auto local = std::chrono::sys_days(date) + std::chrono::hours(hour) +
               std::chrono::minutes(minute) + std::chrono::seconds(second) +
               std::chrono::microseconds(micros);
  return std::chrono::time_point_cast<WallTime::duration>(local - *zone);
}

Result<model::Member> decode_member(const MemberName& name, std::string_view value) {
  if (value.substr(0, 8) == "postgres") return decode_legacy_member(name, value);
  auto object = parse_object(value);
  if (!object.ok()) return object.error();
  model::Member member;
  member.name = name;
  PGHALO_TRY(fill_member(*object, member));
  return member;
}

Result<std::vector<model::HistoryEntry>> decode_history(std::string_view value) {
  auto parsed = parse_json(value);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_array()) return invalid("expected a JSON array");
  std::vector<model::HistoryEntry> history;
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    const json& line = (*parsed)[i];
    auto where = "entry " + std::to_string(i) + ": ";
    if (!line.is_array() || line.size() < 3 || line.size() > 5) {
      return invalid(where + "expected an array of 3 to 5 elements");
    }
    auto lsn = as_unsigned(line[1]);
    if (!is_whole_number(line[0]) || !lsn)
      return invalid(where + "timeline and LSN must be integers");
    model::HistoryEntry entry;
    entry.timeline = model::TimelineId(line[0].get<std::int64_t>());
    entry.switch_lsn = model::Lsn(*lsn);
    entry.reason = line[2].is_string() ? line[2].get<std::string>() : line[2].dump();
    if (line.size() > 3 && line[3].is_string()) entry.timestamp = line[3].get<std::string>();
    if (line.size() > 4 && line[4].is_string()) entry.new_leader = line[4].get<std::string>();
    history.push_back(std::move(entry));
  }
  return history;
}

Result<model::ClusterStatus> decode_status(std::string_view value) {
  auto object = parse_object(value);
  if (!object.ok()) return object.error();
  model::ClusterStatus status;
  // A missing or non-integer optime reads as 0 (spec 1.3.5).
  if (auto it = object->find("optime"); it != object->end()) {
    status.optime = model::Lsn(as_unsigned(*it).value_or(0));
  }
  if (auto it = object->find("slots"); it != object->end() && it->is_object()) {
    for (const auto& [slot, lsn] : it->items()) {
      if (auto position = as_unsigned(lsn)) status.slots[slot] = *position;
    }
  }
  return status;
}

Result<model::Lsn> decode_legacy_optime(std::string_view value) {
  auto lsn = parse_uint64(trim(value));
  if (!lsn) return invalid("not an integer LSN");
  return model::Lsn(*lsn);
}

Result<model::FailoverRequest> decode_failover(std::string_view value) {
  model::FailoverRequest request;
  std::string_view text = trim(value);
  if (text.empty()) return request;
  if (text.front() != '{' && text.front() != '[') {
    // Legacy "leader:candidate" text.
    auto colon = text.find(':');
    auto leader = trim(text.substr(0, colon));
    auto candidate =
        colon == std::string_view::npos ? std::string_view() : trim(text.substr(colon + 1));
    if (!leader.empty()) request.leader = MemberName(std::string(leader));
    if (!candidate.empty()) request.candidate = MemberName(std::string(candidate));
    return request;
  }
  auto object = parse_object(text);
  if (!object.ok()) return object.error();
  std::string leader, candidate;
  std::optional<std::string> scheduled;
  PGHALO_TRY(read_string(*object, "leader", leader));
  PGHALO_TRY(read_string(*object, "member", candidate));
  PGHALO_TRY(read_optional_string(*object, "scheduled_at", scheduled));
  if (!leader.empty()) request.leader = MemberName(leader);
  if (!candidate.empty()) request.candidate = MemberName(candidate);
  if (scheduled && !scheduled->empty()) {
    request.scheduled_text = *scheduled;
    request.scheduled_at = parse_iso8601_with_zone(*scheduled);
  }
  return request;
}

Result<model::SyncState> decode_sync(std::string_view value) {
  auto object = parse_object(value);
  if (!object.ok()) return object.error();
  model::SyncState sync;
  std::string leader;
  PGHALO_TRY(read_string(*object, "leader", leader));
  if (leader.empty()) return sync;  // no leader: an empty state (spec 1.3.7)
  sync.leader = MemberName(leader);
  auto it = object->find("sync_standby");
  if (it != object->end() && it->is_string()) {
    for (const auto& name : split(it->get<std::string>(), ',')) {
      auto trimmed = trim(name);
      if (!trimmed.empty()) sync.sync_standby.emplace_back(std::string(trimmed));
    }
  } else if (it != object->end() && it->is_array()) {
    for (const auto& name : *it) {
      if (name.is_string()) sync.sync_standby.emplace_back(name.get<std::string>());
    }
  } else if (it != object->end() && !it->is_null()) {
    return invalid("sync_standby is neither a string nor null");
  }
  std::sort(sync.sync_standby.begin(), sync.sync_standby.end());
  return sync;
}

Result<std::map<MemberName, std::string>> decode_failsafe(std::string_view value) {
  auto object = parse_object(value);
  if (!object.ok()) return object.error();
  std::map<MemberName, std::string> failsafe;
  for (const auto& [name, url] : object->items()) {
    if (!url.is_string()) return invalid("the API URL of " + name + " is not a string");
    failsafe[MemberName(name)] = url.get<std::string>();
  }
  return failsafe;
}

Result<nlohmann::json> decode_config(std::string_view value) { return parse_object(value); }

}  // namespace pghalo::dcs
