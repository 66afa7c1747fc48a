#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <algorithm>
#include <cctype>

namespace pghalo::log {
namespace {

struct State {
  std::mutex mutex;
  Level level = Level::kInfo;
  Format format = Format::kText;
  Sink sink;
};

State& state() {
  static State s;
  return s;
}

thread_local std::string t_context;

std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(ms));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n') return true;
  }
  return false;
}

std::string format_text(const Record& r) {
  std::string line = timestamp_now();
  line += ' ';
  std::string_view lvl = level_name(r.level);
  line += lvl;
  line.append(lvl.size() < 5 ? 5 - lvl.size() + 1 : 1, ' ');
  if (!r.context.empty()) {
    line += '[';
    line += r.context;
    line += "] ";
  }
  line += r.event;
  line += ": ";
  line += r.message;
  for (const auto& f : r.fields) {
    line += ' ';
    line += f.key;
    line += '=';
    if (needs_quotes(f.value)) {
      append_json_string(line, f.value);
    } else {
      line += f.value;
    }
  }
  return line;
}

std::string format_json(const Record& r) {
  std::string line = "{\"time\":";
  append_json_string(line, timestamp_now());
  line += ",\"level\":";
  append_json_string(line, level_name(r.level));
  if (!r.context.empty()) {
    line += ",\"context\":";
    append_json_string(line, r.context);
  }
  line += ",\"event\":";
  append_json_string(line, r.event);
  line += ",\"message\":";
  append_json_string(line, r.message);
  for (const auto& f : r.fields) {
    line += ',';
    append_json_string(line, f.key);
    line += ':';
    if (f.quoted) {
      append_json_string(line, f.value);
    } else {
      line += f.value;
    }
  }
  line += '}';
  return line;
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarning: return "WARNING";
    case Level::kError: return "ERROR";
  }
  return "?";
}

void set_level(Level level) {
  std::lock_guard lock(state().mutex);
  state().level = level;
}

Level level() {
  std::lock_guard lock(state().mutex);
  return state().level;
}

void set_format(Format format) {
  std::lock_guard lock(state().mutex);
  state().format = format;
}

void set_sink(Sink sink) {
  std::lock_guard lock(state().mutex);
  state().sink = std::move(sink);
}

void reset() {
  std::lock_guard lock(state().mutex);
  state().level = Level::kInfo;
  state().format = Format::kText;
  state().sink = nullptr;
}

ScopedContext::ScopedContext(std::string context) : previous_(std::move(t_context)) {
  t_context = std::move(context);
}

ScopedContext::~ScopedContext() { t_context = std::move(previous_); }

void write(Level level, std::string_view event, std::string_view message,
           std::vector<Field> fields) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (level < s.level) return;
  Record record{level, event, message, fields, t_context};
  std::string line = s.format == Format::kJson ? format_json(record) : format_text(record);
  if (s.sink) {
    s.sink(record, line);
    return;
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

namespace {

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// postgres://user:SECRET@host -> postgres://user:********@host
std::string redact_uri_password(std::string s) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    std::size_t at = 0;
    while ((at = s.find(scheme, at)) != std::string::npos) {
      std::size_t start = at + scheme.size();
      std::size_t end = s.find_first_of("@/ \t", start);
      if (end != std::string::npos && s[end] == '@') {
        std::size_t colon = s.find(':', start);
        if (colon != std::string::npos && colon < end) s.replace(colon + 1, end - colon - 1, "********");
      }
      at = start;
    }
  }
  return s;
}

}  // namespace

std::string redact_conninfo(std::string_view conninfo) {
  // keyword = value pairs: find "password", optional spaces, '=', then a quoted or bare value.
  std::string out;
  std::size_t i = 0;
  while (i < conninfo.size()) {
    bool at_word_start = i == 0 || std::isspace(static_cast<unsigned char>(conninfo[i - 1]));
    if (at_word_start && i + 8 <= conninfo.size() && ieq(conninfo.substr(i, 8), "password")) {
      std::size_t j = i + 8;
      while (j < conninfo.size() && conninfo[j] == ' ') ++j;
      if (j < conninfo.size() && conninfo[j] == '=') {
        ++j;
        while (j < conninfo.size() && conninfo[j] == ' ') ++j;
        out.append(conninfo.substr(i, j - i));
        out += "********";
        if (j < conninfo.size() && conninfo[j] == '\'') {
          ++j;
          while (j < conninfo.size() && conninfo[j] != '\'') j += conninfo[j] == '\\' ? 2 : 1;
          ++j;
        } else {
          while (j < conninfo.size() && !std::isspace(static_cast<unsigned char>(conninfo[j]))) ++j;
        }
        i = std::min(j, conninfo.size());
        continue;
      }
    }
    out.push_back(conninfo[i++]);
  }
  return redact_uri_password(std::move(out));
}

}  // namespace pghalo::log
