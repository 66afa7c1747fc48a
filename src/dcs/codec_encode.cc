// Encoders: compact JSON in the field order Patroni 3.0.2 writes.
#include <algorithm>

#include "common/strings.h"
#include "dcs/codec.h"

namespace pghalo::dcs {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const std::vector<std::string>& member_order() {
  static const std::vector<std::string> order = {"conn_url",
                                                 "api_url",
                                                 "state",
                                                 "role",
                                                 "version",
                                                 "proxy_url",
                                                 "checkpoint_after_promote",
                                                 "tags",
                                                 "pending_restart",
                                                 "xlog_location",
                                                 "replication_state",
                                                 "timeline",
                                                 "scheduled_restart",
                                                 "pause"};
  return order;
}

}  // namespace

std::string dump_compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string dump_compact(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string encode_ordered(const json& value, const std::vector<std::string>& order) {
  if (!value.is_object()) return dump_compact(value);
  ordered_json out = ordered_json::object();
  for (const auto& field : order) {
    if (auto it = value.find(field); it != value.end())
      out[field] = ordered_json::parse(it->dump());
  }
  for (const auto& [field, item] : value.items()) {
    if (!out.contains(field)) out[field] = ordered_json::parse(item.dump());
  }
  return dump_compact(out);
}

ordered_json MemberDocument::to_json() const {
  ordered_json out = ordered_json::object();
  out["conn_url"] = conn_url;
  out["api_url"] = api_url;
  out["state"] = state;
  out["role"] = role;
  out["version"] = version;
  if (proxy_url) out["proxy_url"] = *proxy_url;
  if (checkpoint_after_promote_pending) out["checkpoint_after_promote"] = false;
  if (tags.is_object() && !tags.empty()) out["tags"] = ordered_json::parse(tags.dump());
  if (pending_restart) out["pending_restart"] = true;
  if (xlog_location) out["xlog_location"] = *xlog_location;
  if (replication_state) out["replication_state"] = *replication_state;
  if (timeline) out["timeline"] = *timeline;
  if (!scheduled_restart.is_null())
    out["scheduled_restart"] = ordered_json::parse(scheduled_restart.dump());
  if (pause) out["pause"] = true;
  return out;
}

std::string encode_member(const MemberDocument& member) { return dump_compact(member.to_json()); }

std::string encode_member_json(const json& member) {
  return encode_ordered(member, member_order());
}

std::string encode_history(const std::vector<model::HistoryEntry>& history) {
  ordered_json out = ordered_json::array();
  for (const auto& entry : history) {
    ordered_json line = {entry.timeline.value, entry.switch_lsn.value, entry.reason};
    if (entry.timestamp || entry.new_leader) line.push_back(entry.timestamp.value_or(""));
    if (entry.new_leader) line.push_back(*entry.new_leader);
    out.push_back(std::move(line));
  }
  return dump_compact(out);
}

std::string encode_status(const model::ClusterStatus& status) {
  ordered_json out = ordered_json::object();
  out["optime"] = status.optime.value;
  if (!status.slots.empty()) {
    ordered_json slots = ordered_json::object();
    for (const auto& [slot, lsn] : status.slots) slots[slot] = lsn;
    out["slots"] = std::move(slots);
  }
  return dump_compact(out);
}

std::string encode_failover(const model::FailoverRequest& request) {
  ordered_json out = ordered_json::object();
  if (request.leader) out["leader"] = request.leader->value;
  if (request.candidate) out["member"] = request.candidate->value;
  if (request.scheduled_at) {
    out["scheduled_at"] = format_iso8601(*request.scheduled_at);
  } else if (request.scheduled_text) {
    out["scheduled_at"] = *request.scheduled_text;
  }
  return dump_compact(out);
}

std::string encode_sync(const model::MemberName& leader,
                        const std::vector<model::MemberName>& sync_standby) {
  std::vector<std::string> names;
  names.reserve(sync_standby.size());
  for (const auto& name : sync_standby) names.push_back(name.value);
  std::sort(names.begin(), names.end());
  ordered_json out = ordered_json::object();
  out["leader"] = leader.value;
  out["sync_standby"] = names.empty() ? ordered_json(nullptr) : ordered_json(join(names, ","));
  return dump_compact(out);
}

std::string encode_failsafe(const std::map<model::MemberName, std::string>& failsafe) {
  ordered_json out = ordered_json::object();
  for (const auto& [name, url] : failsafe) out[name.value] = url;
  return dump_compact(out);
}

}  // namespace pghalo::dcs
