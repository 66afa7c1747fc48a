// OperationMonitor: watches members through their REST status while a long operation runs
// (switchover, failover, restart, reinit), so the operator sees what happens instead of a
// silent prompt, and learns afterwards how long writes were unavailable.
//
// Each poll asks the watched members for GET /patroni at once (bounded by a short timeout) and
// records, per member, role and state. On a terminal one progress line is redrawn in place;
// otherwise one line is printed per change, which reads well in logs.
//
// Write availability is sampled, so it is reported as a range: from the first poll that saw no
// writable primary to the first that saw one again (at least), and from the last poll that
// saw one before (at most). Not thread-safe: poll() runs on the command's thread while the
// operation's request runs on another.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ctl/context.h"
#include "ctl/member_status.h"

namespace pghalo::ctl {

// A period without a writable primary, as seen by the polls (offsets from the start).
struct Outage {
  Duration last_seen_before{0};  // last poll that saw a writable primary before it
  Duration first_missed{0};      // first poll that saw none
  std::optional<Duration> first_seen_after;  // first poll that saw one again; nullopt: still out
  std::string before, after;                 // which member was writable, before and after

  Duration at_least() const;  // first_seen_after - first_missed
  Duration at_most() const;   // first_seen_after - last_seen_before
};

class OperationMonitor {
 public:
  OperationMonitor(Context& ctx, std::string label, std::vector<MemberAddress> members);

  // One round of status requests, then the progress output. Blocks at most the poll timeout.
  void poll();
  // Ends the redrawn progress line (call before printing anything else).
  void finish();

  Duration elapsed() const;
  const std::map<std::string, MemberStatus>& latest() const { return latest_; }
  // The member that accepted writes in the last poll, if any.
  std::optional<std::string> writable() const;
  const std::vector<Outage>& outages() const { return outages_; }
  // How long `member` was seen not running: (at least, at most), summed over its stops.
  std::optional<std::pair<Duration, Duration>> downtime(const std::string& member) const;

  // "writes were unavailable for 1.9-2.3 s (node1 until +0.8 s, node2 from +3.1 s)".
  std::string describe_write_outage() const;

 private:
  struct Stop {
    Duration last_running, first_down;
    std::optional<Duration> first_running_again;
  };

  std::string member_text(const std::string& name, const MemberStatus& status) const;
  void record(Duration at, const std::map<std::string, MemberStatus>& statuses);
  void report(Duration at, const std::map<std::string, MemberStatus>& previous);

  Context& ctx_;
  std::string label_;
  std::vector<MemberAddress> members_;
  MonoTime started_;
  bool polled_ = false;
  bool line_open_ = false;
  std::map<std::string, MemberStatus> latest_;
  std::optional<Duration> last_writable_at_;
  std::string last_writable_member_;
  std::vector<Outage> outages_;
  std::map<std::string, std::vector<Stop>> stops_;
  std::map<std::string, Duration> last_running_at_;
  std::map<std::string, std::string> last_start_time_;  // postmaster_start_time while running
};

// Polls once, then sends `request` on a helper thread and polls `monitor` until the answer
// arrives (bounded by the request's timeout).
Result<RestResponse> send_while_monitoring(Context& ctx, OperationMonitor& monitor,
                                          const RestRequest& request);

// Polls (every ~0.25 s) until `done()` or `limit` passed or Ctrl-C.
void poll_until(Context& ctx, OperationMonitor& monitor, const std::function<bool()>& done,
                Duration limit);

// "1.9-2.3 s" (or "2.1 s" when the two agree to a tenth of a second).
std::string format_range(Duration at_least, Duration at_most);

}  // namespace pghalo::ctl
