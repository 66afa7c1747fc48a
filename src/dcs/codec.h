// The pure codec between Patroni's etcd values (spec 1.3) and pghalo's model.
//
// Decoding never throws: a value that cannot be decoded reads as "absent" and is described in
// ClusterState::problems as "<relative key>: <why>" (spec 1.3: unparsable JSON reads as empty).
// Encoding writes compact JSON (no spaces) with Patroni 3.0.2's field order, so a pghalo node's
// keys are byte-for-byte what a Patroni node would write.
// Not here: key paths (keys.h) and any I/O (etcd_store.h). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "model/cluster.h"

namespace pghalo::dcs {

// One key of the cluster prefix as read from etcd, with its path relative to the base.
struct RawKv {
  std::string relative;  // "leader", "members/node1", ...
  std::string value;
  model::Revision create_revision;
  model::Revision mod_revision;
  model::LeaseId lease;
};

// ---- decoding -------------------------------------------------------------------------------

// Decodes one prefix read. Unknown keys and keys deeper than members/<name> are ignored.
model::ClusterState decode_cluster(const std::vector<RawKv>& kvs, model::Revision header_revision);

// Single values; the error message says why (without the key name). Used by decode_cluster and
// by callers that read one key.
Result<model::Member> decode_member(const model::MemberName& name, std::string_view value);
Result<std::vector<model::HistoryEntry>> decode_history(std::string_view value);
Result<model::ClusterStatus> decode_status(std::string_view value);
// The legacy `optime/leader` integer.
Result<model::Lsn> decode_legacy_optime(std::string_view value);
// JSON object, "{}" (empty request) or the legacy "leader:candidate" text.
Result<model::FailoverRequest> decode_failover(std::string_view value);
// Missing `leader` decodes as an empty state (spec 1.3.7), not as an error.
Result<model::SyncState> decode_sync(std::string_view value);
Result<std::map<model::MemberName, std::string>> decode_failsafe(std::string_view value);
Result<nlohmann::json> decode_config(std::string_view value);

// ISO 8601 / RFC 3339 with a timezone: "2023-05-02T10:11:12.345678+00:00", "... 10:11Z",
// "+0200". A date-time without an offset is rejected (Patroni requires one).
std::optional<WallTime> parse_iso8601_with_zone(std::string_view text);

// ---- encoding -------------------------------------------------------------------------------

// What a member publishes in `members/<name>` (spec 1.3.1); optional fields are omitted when
// unset, booleans that Patroni writes only when true are omitted when false.
struct MemberDocument {
  std::string conn_url;
  std::string api_url;
  std::string state;
  std::string role;     // "master" (BASE vocabulary) or "primary" (4.x)
  std::string version;  // Patroni version whose behaviour pghalo implements, e.g. "3.0.2"
  std::optional<std::string> proxy_url;
  bool checkpoint_after_promote_pending = false;   // written as "checkpoint_after_promote":false
  nlohmann::json tags = nlohmann::json::object();  // omitted when empty
  bool pending_restart = false;
  std::optional<std::uint64_t> xlog_location;
  std::optional<std::string> replication_state;
  std::optional<std::int64_t> timeline;
  nlohmann::json scheduled_restart;  // null: omitted
  bool pause = false;

  nlohmann::ordered_json to_json() const;
};

// Member JSON in Patroni's field order; extra fields of `member` follow in their given order.
std::string encode_member(const MemberDocument& member);
// The same for a document given as plain JSON (ClusterStore::publish_member): known fields first
// in Patroni's order, then the others.
std::string encode_member_json(const nlohmann::json& member);

std::string encode_history(const std::vector<model::HistoryEntry>& history);
// {"optime":N} plus "slots" when there are any (BASE writes no empty slots object).
std::string encode_status(const model::ClusterStatus& status);
// {"leader":..,"member":..,"scheduled_at":..} with absent fields omitted; "{}" clears a request.
std::string encode_failover(const model::FailoverRequest& request);
// {"leader":..,"sync_standby":"a,b"}; an empty standby list is written as null.
std::string encode_sync(const model::MemberName& leader,
                        const std::vector<model::MemberName>& sync_standby);
std::string encode_failsafe(const std::map<model::MemberName, std::string>& failsafe);

// Orders the top-level fields of an object as `order` says (others keep their order after them)
// and dumps it compactly. Non-objects are dumped unchanged.
std::string encode_ordered(const nlohmann::json& value, const std::vector<std::string>& order);

// Compact JSON, no spaces (Python's separators=(',',':')); invalid UTF-8 is replaced.
std::string dump_compact(const nlohmann::json& value);
std::string dump_compact(const nlohmann::ordered_json& value);

}  // namespace pghalo::dcs
