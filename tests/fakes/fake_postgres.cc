#include "fake_postgres.h"

#include <algorithm>
#include <cstdio>

#include "common/strings.h"

namespace pghalo::fakes {
namespace {

Error down(const std::string& what) { return make_error(ErrorCode::kFailedPrecondition, what); }

// The switch LSN at which `tl` ended in `history`, if it did.
std::optional<std::uint64_t> switch_point(const FakeServer& s, std::int64_t tl) {
  for (const auto& [ended, lsn] : s.history) {
    if (ended == tl) return lsn;
  }
  return std::nullopt;
}

// synchronous_standby_names parsed as PostgreSQL does for the forms pghalo writes: '' (none),
// 'a', 'a,b' (one of them), 'N (a,b)' / 'FIRST N (a,b)' (the first N by priority), '*' (any).
struct SyncSpec {
  int count = 0;
  std::vector<std::string> names;  // priority order; "*" matches any standby
};

std::string unquote(std::string_view text) {
  std::string name(trim(text));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') return name.substr(1, name.size() - 2);
  return name;
}

SyncSpec parse_sync_names(const std::string& text) {
  SyncSpec spec;
  std::string t(trim(text));
  if (t.empty()) return spec;
  spec.count = 1;
  auto open = t.find('(');
  if (open != std::string::npos && t.back() == ')') {
    std::string head(trim(t.substr(0, open)));
    if (head.rfind("FIRST ", 0) == 0) head = std::string(trim(std::string_view(head).substr(6)));
    spec.count = std::max(1, std::atoi(head.c_str()));
    t = t.substr(open + 1, t.size() - open - 2);
  }
  for (const auto& part : split(t, ',')) {
    std::string name = unquote(part);
    if (!name.empty()) spec.names.push_back(name);
  }
  if (spec.names.empty()) spec.count = 0;
  return spec;
}

}  // namespace

std::string timeline_history_text(const FakeServer& server) {
  std::string text;
  for (const auto& [tl, lsn] : server.history) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld\t%X/%X\tno recovery target specified\n",
                  static_cast<long long>(tl), static_cast<unsigned>(lsn >> 32),
                  static_cast<unsigned>(lsn & 0xffffffffu));
    text += buf;
  }
  return text;
}

FakePostgres::FakePostgres(FakePgWorld& world, std::string name)
    : world_(world), name_(std::move(name)) {}

FakeServer& FakePostgres::server() { return *world_.find(name_); }

model::PgObservation FakePostgres::observe() {
  const FakeServer& s = server();
  model::PgObservation o;
  o.data_dir = s.data_valid ? model::DataDirState::kValid : model::DataDirState::kEmpty;
  if (s.corrupt) {
    o.data_dir = model::DataDirState::kInvalid;
    return o;
  }
  if (s.data_valid) {
    model::ControlData c;
    c.system_identifier = s.system_identifier;
    c.checkpoint_timeline = model::TimelineId(s.timeline);
    c.checkpoint_lsn = model::Lsn(s.lsn);
    c.wal_log_hints = true;
    c.data_checksums = true;
    if (s.running) {
      c.cluster_state = s.in_recovery ? "in archive recovery" : "in production";
    } else if (!s.cleanly_shut_down) {
      c.cluster_state = s.was_primary_at_shutdown ? "in production" : "in archive recovery";
    } else {
      c.cluster_state = s.was_primary_at_shutdown ? "shut down" : "shut down in recovery";
    }
    o.control = c;
    o.standby_signal = s.standby_configured;
  }
  if (!s.running) return o;
  o.postmaster_pid = 1000;
  if (!s.accepting) {
    o.query_error = "FATAL:  the database system is starting up";
    return o;
  }
  o.accepting_connections = true;
  o.in_recovery = s.in_recovery;
  o.timeline = model::TimelineId(s.timeline);
  o.server_version = 150018;
  o.postmaster_start_time = "2026-11-26 20:45:44.828388+00:00";
  if (s.in_recovery) {
    o.received_lsn = model::Lsn(s.lsn);
    o.replayed_lsn = model::Lsn(s.lsn);
    if (s.upstream) {
      model::WalReceiver w;
      w.status = "streaming";
      w.received_timeline = model::TimelineId(s.timeline);
      o.wal_receiver = w;
    }
  } else {
    o.wal_position = model::Lsn(s.lsn);
    for (const FakeServer* standby : world_.streaming_from(s)) {
      model::ReplicationConnection row;
      row.usename = "replicator";
      row.application_name = standby->name;
      row.state = "streaming";
      row.sync_state = world_.sync_state(s, *standby);
      row.sent_lsn = row.write_lsn = row.flush_lsn = row.replay_lsn = model::Lsn(standby->lsn);
      o.replication.push_back(row);
    }
  }
  for (const auto& slot : s.slots) {
    model::ReplicationSlot rs;
    rs.name = slot;
    rs.type = "physical";
    o.slots.push_back(rs);
  }
  return o;
}

Status FakePostgres::initdb(const pg::BootstrapSpec&, Duration) {
  FakeServer& s = server();
  if (s.data_valid) return ok_status();  // idempotent, like the real bootstrap job expects
  s.data_valid = true;
  s.system_identifier = world_.new_system_identifier();
  s.timeline = 1;
  s.lsn = 0x1000000;
  s.history.clear();
  s.rows.clear();
  return ok_status();
}

Status FakePostgres::write_files(const pg::ManagedFiles& files) {
  if (!server().data_valid) return down("no data directory");
  pending_recovery_ = files.recovery;
  server().standby_configured = files.recovery.has_value();  // standby.signal is on disk now
  auto sync = files.parameters.find("synchronous_standby_names");
  pending_sync_names_ = sync == files.parameters.end() ? "" : sync->second;
  pending_parameters_ = files.parameters;
  files_written_ = true;
  return ok_status();
}

Status FakePostgres::start(Duration) {
  FakeServer& s = server();
  if (!s.data_valid) return down("no data directory");
  if (s.broken) return make_error(ErrorCode::kInternal, "postgres failed to start (injected)");
  if (s.running) return ok_status();
  s.running = true;
  s.accepting = true;
  s.starts++;
  s.in_recovery = pending_recovery_.has_value();
  s.standby_configured = s.in_recovery;
  s.synchronous_standby_names = pending_sync_names_;
  s.parameters = pending_parameters_;
  s.upstream.reset();
  if (pending_recovery_ && pending_recovery_->upstream) {
    s.upstream =
        pending_recovery_->upstream->host + ":" + std::to_string(pending_recovery_->upstream->port);
  }
  s.cleanly_shut_down = false;
  s.was_primary_at_shutdown = !s.in_recovery;
  return ok_status();
}

Status FakePostgres::stop(pg::StopMode mode, Duration) {
  FakeServer& s = server();
  if (!s.running) return ok_status();
  if (mode != pg::StopMode::kImmediate && !s.in_recovery && s.accepting) {
    // The shutdown checkpoint reaches the standbys before a fast stop completes (so while this
    // server still runs: they stream from it).
    world_.replicate();
  }
  s.running = false;
  s.stops++;
  s.cleanly_shut_down = mode != pg::StopMode::kImmediate;
  s.was_primary_at_shutdown = !s.in_recovery;
  return ok_status();
}

Status FakePostgres::signal_immediate_stop() { return stop(pg::StopMode::kImmediate, Duration(0)); }

Status FakePostgres::promote(Duration, std::int64_t above_timeline) {
  FakeServer& s = server();
  if (!s.running) return down("not running");
  if (!s.in_recovery) return ok_status();
  // The history names only the real parent, as PostgreSQL's does after skipping reserved numbers.
  s.history.emplace_back(s.timeline, s.lsn);
  s.timeline = std::max(s.timeline, above_timeline) + 1;
  s.in_recovery = false;
  s.standby_configured = false;
  s.upstream.reset();
  s.was_primary_at_shutdown = true;
  s.promotions++;
  return ok_status();
}

Status FakePostgres::reload() {
  FakeServer& s = server();
  if (!s.running) return down("not running");
  s.synchronous_standby_names = pending_sync_names_;
  s.parameters = pending_parameters_;
  if (s.in_recovery) {
    s.upstream.reset();
    if (pending_recovery_ && pending_recovery_->upstream) {
      s.upstream = pending_recovery_->upstream->host + ":" +
                   std::to_string(pending_recovery_->upstream->port);
    }
  }
  return ok_status();
}

Status FakePostgres::checkpoint(Duration) {
  return server().running ? ok_status() : down("not running");
}

Status FakePostgres::execute(const std::string&, Duration) {
  return server().running ? ok_status() : down("not running");
}

Status FakePostgres::basebackup(const pg::SourceServer& source, Duration) {
  FakeServer* from = world_.find_by_address(source.host, source.port);
  if (!from || !from->running) return make_error(ErrorCode::kUnavailable, "source not running");
  FakeServer& s = server();
  s.data_valid = true;
  s.corrupt = false;
  s.system_identifier = from->system_identifier;
  s.timeline = from->timeline;
  s.lsn = from->lsn;
  s.history = from->history;
  s.rows = from->rows;
  s.standby_configured = false;  // a copy of the primary's directory: the agent writes the signal
  s.cleanly_shut_down = true;
  s.was_primary_at_shutdown = false;
  s.clones++;
  return ok_status();
}

Result<pg::RewindCheck> FakePostgres::check_rewind(const pg::SourceServer& leader, Duration) {
  FakeServer* from = world_.find_by_address(leader.host, leader.port);
  if (!from || !from->running) return make_error(ErrorCode::kUnavailable, "leader not reachable");
  // As LocalPostgres::check_rewind (ensure_primary): a timeline history only means something on
  // a primary, so a leader still starting or still in recovery (its promotion not done yet) is
  // not compared with; the rejoin retries.
  if (!from->accepting || from->in_recovery) {
    return make_error(ErrorCode::kUnavailable, "cannot check against the leader " + from->address +
                                                   ": it is still in recovery");
  }
  pg::RewindCheck check;
  check.need =
      FakePgWorld::diverged(server(), *from) ? pg::RewindNeed::kNeeded : pg::RewindNeed::kNotNeeded;
  return check;
}

Status FakePostgres::rewind(const pg::SourceServer& leader, Duration) {
  FakeServer* from = world_.find_by_address(leader.host, leader.port);
  if (!from || !from->running) return make_error(ErrorCode::kUnavailable, "leader not reachable");
  FakeServer& s = server();
  if (s.running) return down("pg_rewind needs a stopped server");
  // pg_rewind copies what changed since the divergence: the result is the leader's lineage,
  // at the leader's position.
  s.timeline = from->timeline;
  s.lsn = from->lsn;
  s.history = from->history;
  s.rows = from->rows;
  s.cleanly_shut_down = true;
  s.was_primary_at_shutdown = false;
  s.rewinds++;
  return ok_status();
}

Status FakePostgres::remove_data_directory() {
  FakeServer& s = server();
  if (s.running) return down("running");
  s.data_valid = false;
  s.corrupt = false;
  s.standby_configured = false;
  s.system_identifier.clear();
  s.rows.clear();
  return ok_status();
}

Status FakePostgres::sync_physical_slots(const std::vector<std::string>& desired, Duration) {
  server().slots = desired;
  return ok_status();
}

FakeServer& FakePgWorld::add(const std::string& name, const std::string& address) {
  FakeServer& s = servers_[name];
  s.name = name;
  s.address = address;
  return s;
}

FakeServer* FakePgWorld::find(const std::string& name) {
  auto it = servers_.find(name);
  return it == servers_.end() ? nullptr : &it->second;
}

FakeServer* FakePgWorld::find_by_address(const std::string& host, int port) {
  std::string address = host + ":" + std::to_string(port);
  for (auto& [name, s] : servers_) {
    if (s.address == address) return &s;
  }
  return nullptr;
}

std::optional<std::uint64_t> FakePgWorld::write(const std::string& name, const std::string& payload,
                                                std::uint64_t bytes) {
  FakeServer* s = find(name);
  if (!s || !s->running || !s->accepting || s->frozen || s->in_recovery) return std::nullopt;
  s->lsn += bytes;
  s->rows.emplace_back(s->lsn, payload);
  int needed = sync_count(*s);
  if (needed == 0) return s->lsn;
  int confirmed = 0;
  for (FakeServer* standby : streaming_from(*s)) {
    if (sync_state(*s, *standby) != "sync") continue;
    if (replicate_server(*standby) && standby->lsn >= s->lsn) ++confirmed;
  }
  if (confirmed < needed) return std::nullopt;  // the commit waits; the client gives up
  return s->lsn;
}

std::vector<FakeServer*> FakePgWorld::streaming_from(const FakeServer& primary) {
  std::vector<FakeServer*> out;
  if (!primary.running || !primary.accepting || primary.frozen || primary.in_recovery) return out;
  for (auto& [name, s] : servers_) {
    if (&s == &primary || !s.running || !s.accepting || !s.in_recovery || s.frozen) continue;
    if (s.upstream != primary.address || diverged(s, primary)) continue;
    if (can_stream && !can_stream(s, primary)) continue;
    out.push_back(&s);
  }
  return out;
}

int FakePgWorld::sync_count(const FakeServer& primary) {
  return parse_sync_names(primary.synchronous_standby_names).count;
}

std::string FakePgWorld::sync_state(const FakeServer& primary, const FakeServer& standby) {
  SyncSpec spec = parse_sync_names(primary.synchronous_standby_names);
  if (spec.count == 0) return "async";
  auto connected = streaming_from(primary);
  // Walk the names by priority; the first `count` connected matches are sync.
  std::vector<const FakeServer*> ranked;
  for (const auto& name : spec.names) {
    for (const FakeServer* c : connected) {
      bool match = name == "*" || name == c->name;
      if (match && std::find(ranked.begin(), ranked.end(), c) == ranked.end()) ranked.push_back(c);
    }
  }
  auto it = std::find(ranked.begin(), ranked.end(), &standby);
  if (it == ranked.end()) return "async";
  return it - ranked.begin() < spec.count ? "sync" : "potential";
}

bool FakePgWorld::diverged(const FakeServer& local, const FakeServer& source) {
  if (local.timeline > source.timeline) return true;
  if (local.timeline == source.timeline) return local.lsn > source.lsn;
  auto point = switch_point(source, local.timeline);
  if (!point) return true;  // our timeline is not an ancestor of the source's
  return local.lsn > *point;
}

void FakePgWorld::replicate() {
  for (auto& [name, s] : servers_) replicate_server(s);
}

bool FakePgWorld::replicate_server(FakeServer& s) {
  if (!s.running || !s.in_recovery || !s.upstream || s.frozen) return false;
  auto colon = s.upstream->rfind(':');
  FakeServer* up =
      find_by_address(s.upstream->substr(0, colon), std::atoi(s.upstream->c_str() + colon + 1));
  if (!up || !up->running || !up->accepting || up->frozen || up == &s || diverged(s, *up)) {
    return false;
  }
  if (can_stream && !can_stream(s, *up)) return false;
  s.timeline = up->timeline;
  s.history = up->history;
  s.lsn = up->lsn;
  // Rows are append-only along one lineage: copy only the tail when ours is a prefix of theirs.
  std::size_t have = s.rows.size();
  if (have <= up->rows.size() && (have == 0 || s.rows.back() == up->rows[have - 1])) {
    s.rows.insert(s.rows.end(), up->rows.begin() + static_cast<std::ptrdiff_t>(have),
                  up->rows.end());
  } else {
    s.rows = up->rows;
  }
  return true;
}

std::string FakePgWorld::new_system_identifier() { return std::to_string(next_sysid_++); }

}  // namespace pghalo::fakes
