#include "ctl/monitor.h"

#include <cstdio>
#include <future>
#include <thread>

#include "common/strings.h"

namespace pghalo::ctl {
namespace {

constexpr Duration kPollTimeout = std::chrono::milliseconds(1000);
constexpr Duration kPollInterval = std::chrono::milliseconds(250);

std::string offset(Duration d) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "+%.1f s", to_seconds(d));
  return buffer;
}

bool same(const MemberStatus& a, const MemberStatus& b) {
  return a.reachable == b.reachable && a.role == b.role && a.state == b.state;
}

bool running(const MemberStatus& s) { return s.reachable && s.state == "running"; }

}  // namespace

Duration Outage::at_least() const {
  return first_seen_after ? *first_seen_after - first_missed : Duration(0);
}

Duration Outage::at_most() const {
  return first_seen_after ? *first_seen_after - last_seen_before : Duration(0);
}

std::string format_range(Duration at_least, Duration at_most) {
  char buffer[64];
  double low = to_seconds(at_least), high = to_seconds(at_most);
  if (high - low < 0.05) {
    std::snprintf(buffer, sizeof(buffer), "%.1f s", high);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f-%.1f s", low, high);
  }
  return buffer;
}

OperationMonitor::OperationMonitor(Context& ctx, std::string label,
                                   std::vector<MemberAddress> members)
    : ctx_(ctx), label_(std::move(label)), members_(std::move(members)), started_(ctx.clock.now()) {}

Duration OperationMonitor::elapsed() const {
  return std::chrono::duration_cast<Duration>(ctx_.clock.now() - started_);
}

std::optional<std::string> OperationMonitor::writable() const {
  for (const auto& [name, status] : latest_) {
    if (status.accepts_writes()) return name;
  }
  return std::nullopt;
}

void OperationMonitor::poll() {
  auto statuses = fetch_statuses(ctx_.rest, members_, kPollTimeout);
  Duration at = elapsed();
  auto previous = latest_;
  record(at, statuses);
  latest_ = std::move(statuses);
  report(at, previous);
  polled_ = true;
}

void OperationMonitor::record(Duration at, const std::map<std::string, MemberStatus>& statuses) {
  std::optional<std::string> writer;
  std::optional<std::string> restarted_writer;  // the primary restarted between two polls
  for (const auto& [name, status] : statuses) {
    if (status.accepts_writes()) writer = name;
    auto& stops = stops_[name];
    if (running(status)) {
      // A postmaster start time that changed while every poll saw it running: it restarted
      // between two polls (a restart can be quicker than the poll interval). Down for 0 to the
      // gap between them.
      std::string started;
      if (auto it = status.body.find("postmaster_start_time");
          it != status.body.end() && it->is_string()) {
        started = it->get<std::string>();
      }
      auto known = last_start_time_.find(name);
      bool restarted_unseen = !started.empty() && known != last_start_time_.end() &&
                              known->second != started && last_running_at_.count(name) &&
                              (stops.empty() || stops.back().first_running_again);
      if (restarted_unseen) {
        stops.push_back({last_running_at_[name], at, at});
        if (status.accepts_writes()) restarted_writer = name;
      } else if (!stops.empty() && !stops.back().first_running_again) {
        stops.back().first_running_again = at;
      }
      last_running_at_[name] = at;
      if (!started.empty()) last_start_time_[name] = started;
    } else if (last_running_at_.count(name) &&
               (stops.empty() || stops.back().first_running_again)) {
      stops.push_back({last_running_at_[name], at, std::nullopt});
    }
  }
  // Another member accepts writes at a poll right after one that saw the old primary do so: the
  // handover fell between the two polls. It still stopped writes (a stop, then a promotion), for
  // at most the time between them, so it counts as an outage of 0 to that gap.
  if (writer && last_writable_at_ && *writer != last_writable_member_ &&
      (outages_.empty() || outages_.back().first_seen_after)) {
    outages_.push_back({*last_writable_at_, at, at, last_writable_member_, *writer});
  }
  // The same for a primary restarted between two polls: its writes stopped for 0 to the gap.
  if (writer && restarted_writer == writer && last_writable_at_ &&
      *writer == last_writable_member_ && (outages_.empty() || outages_.back().first_seen_after)) {
    outages_.push_back({*last_writable_at_, at, at, *writer, *writer});
  }
  if (writer) {
    if (!outages_.empty() && !outages_.back().first_seen_after) {
      outages_.back().first_seen_after = at;
      outages_.back().after = *writer;
    }
    last_writable_at_ = at;
    last_writable_member_ = *writer;
  } else if (last_writable_at_ && (outages_.empty() || outages_.back().first_seen_after)) {
    outages_.push_back({*last_writable_at_, at, std::nullopt, last_writable_member_, ""});
  }
}

std::string OperationMonitor::member_text(const std::string& name,
                                          const MemberStatus& status) const {
  if (!status.reachable) return name + ": not answering";
  std::string text = name + ": " + (status.role.empty() ? "?" : status.role);
  if (!status.state.empty()) text += " (" + status.state + ")";
  return text;
}

void OperationMonitor::report(Duration at, const std::map<std::string, MemberStatus>& previous) {
  if (ctx_.interactive) {
    std::vector<std::string> parts;
    for (const auto& m : members_) parts.push_back(member_text(m.name, latest_[m.name]));
    ctx_.out << "\r" << label_ << " " << offset(at) << "  " << join(parts, ", ") << "\033[K";
    ctx_.out.flush();
    line_open_ = true;
    return;
  }
  for (const auto& m : members_) {
    const MemberStatus& now = latest_[m.name];
    auto before = previous.find(m.name);
    if (polled_ && before != previous.end() && same(before->second, now)) continue;
    ctx_.out << "  " << offset(at) << "  " << member_text(m.name, now) << "\n";
  }
  ctx_.out.flush();
}

void OperationMonitor::finish() {
  if (line_open_) ctx_.out << "\n";
  line_open_ = false;
}

std::optional<std::pair<Duration, Duration>> OperationMonitor::downtime(
    const std::string& member) const {
  auto it = stops_.find(member);
  if (it == stops_.end() || it->second.empty()) return std::nullopt;
  Duration low{0}, high{0};
  Duration now = elapsed();
  for (const auto& stop : it->second) {
    Duration end = stop.first_running_again.value_or(now);
    low += end - stop.first_down;
    high += end - stop.last_running;
  }
  return std::make_pair(low, high);
}

std::string OperationMonitor::describe_write_outage() const {
  if (outages_.empty()) {
    if (last_writable_at_) return "writes stayed available (every poll saw a writable primary)";
    return "no poll saw a writable primary";
  }
  const Outage& o = outages_.back();
  if (!o.first_seen_after) {
    return "no primary accepts writes yet: " + o.before + " stopped accepting them at " +
           offset(o.first_missed) + " and no member took over within " + format_duration(elapsed());
  }
  Duration low{0}, high{0};
  for (const auto& outage : outages_) {
    low += outage.at_least();
    high += outage.at_most();
  }
  const Outage& first = outages_.front();
  return "writes were unavailable for " + format_range(low, high) + " (" + first.before +
         " accepted writes until " + offset(first.last_seen_before) + ", " + o.after +
         " from " + offset(*o.first_seen_after) +
         "; sampled every ~0.3 s)";
}

Result<RestResponse> send_while_monitoring(Context& ctx, OperationMonitor& monitor,
                                          const RestRequest& request) {
  monitor.poll();  // how things were before the request
  std::promise<Result<RestResponse>> promise;
  auto answer = promise.get_future();
  std::thread sender([&] { promise.set_value(ctx.rest.send(request)); });
  MonoTime give_up = ctx.clock.now() + request.timeout + std::chrono::seconds(5);
  while (answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
         ctx.clock.now() < give_up) {
    monitor.poll();
    if (answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
    ctx.sleep(kPollInterval);
  }
  sender.join();  // bounded by the request's own timeout
  return answer.get();
}

void poll_until(Context& ctx, OperationMonitor& monitor, const std::function<bool()>& done,
                Duration limit) {
  MonoTime end = ctx.clock.now() + limit;
  while (!done() && ctx.clock.now() < end && !ctx.interrupted()) {
    ctx.sleep(kPollInterval);
    monitor.poll();
  }
}

}  // namespace pghalo::ctl
