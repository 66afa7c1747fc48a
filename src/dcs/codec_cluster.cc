// decode_cluster: dispatches each key of one prefix read to its decoder and gathers problems.
#include "dcs/codec.h"
#include "dcs/keys.h"

namespace pghalo::dcs {
namespace {

struct Decoder {
  model::ClusterState& state;

  void problem(const RawKv& kv, const std::string& why) {
    state.problems.push_back(kv.relative + ": " + why);
  }

  // Stores the decoded value through `store`, or records the decoding problem.
  template <typename T, typename Store>
  void decode(const RawKv& kv, Result<T> decoded, Store store) {
    if (decoded.ok()) {
      store(std::move(decoded).value());
    } else {
      problem(kv, decoded.error().message);
    }
  }

  void leader(const RawKv& kv) {
    if (kv.value.empty()) return problem(kv, "empty value");
    state.leader = model::LeaderKey{model::MemberName(kv.value), kv.lease, kv.mod_revision,
                                    kv.create_revision};
  }

  void failover(const RawKv& kv) {
    state.failover_revision = kv.mod_revision;
    decode(kv, decode_failover(kv.value), [&](model::FailoverRequest request) {
      if (request.scheduled_text && !request.scheduled_at) {
        problem(kv, "scheduled_at '" + *request.scheduled_text +
                        "' is not an ISO 8601 time with a timezone");
      }
      request.mod_revision = kv.mod_revision;
      state.failover = std::move(request);
    });
  }

  void member(const RawKv& kv, const model::MemberName& name) {
    decode(kv, decode_member(name, kv.value), [&](model::Member member) {
      member.lease = kv.lease;
      member.mod_revision = kv.mod_revision;
      state.members.emplace(name, std::move(member));
    });
  }

  void one(const RawKv& kv, std::optional<model::Lsn>& legacy_optime, bool& has_status) {
    const std::string& key = kv.relative;
    if (key == kLeaderKey) {
      leader(kv);
    } else if (key == kInitializeKey) {
      state.initialize = kv.value;
    } else if (key == kConfigKey) {
      state.config_revision = kv.mod_revision;
      decode(kv, decode_config(kv.value),
             [&](nlohmann::json config) { state.config = std::move(config); });
    } else if (key == kHistoryKey) {
      decode(kv, decode_history(kv.value),
             [&](auto history) { state.history = std::move(history); });
    } else if (key == kStatusKey) {
      decode(kv, decode_status(kv.value), [&](model::ClusterStatus status) {
        state.status = std::move(status);
        has_status = true;
      });
    } else if (key == kLegacyOptimeKey) {
      decode(kv, decode_legacy_optime(kv.value), [&](model::Lsn lsn) { legacy_optime = lsn; });
    } else if (key == kFailoverKey) {
      failover(kv);
    } else if (key == kSyncKey) {
      decode(kv, decode_sync(kv.value), [&](model::SyncState sync) {
        sync.mod_revision = kv.mod_revision;
        state.sync = std::move(sync);
      });
    } else if (key == kFailsafeKey) {
      decode(kv, decode_failsafe(kv.value),
             [&](auto failsafe) { state.failsafe = std::move(failsafe); });
    } else if (auto name = member_name_of(key)) {
      member(kv, *name);
    }
    // Anything else (Citus groups, deeper member keys, future keys) is not ours to read.
  }
};

}  // namespace

model::ClusterState decode_cluster(const std::vector<RawKv>& kvs, model::Revision header_revision) {
  model::ClusterState state;
  state.revision = header_revision;
  Decoder decoder{state};
  std::optional<model::Lsn> legacy_optime;
  bool has_status = false;
  for (const auto& kv : kvs) decoder.one(kv, legacy_optime, has_status);
  // `optime/leader` is only a fallback for clusters whose leader predates `status`.
  if (!has_status && legacy_optime) state.status.optime = *legacy_optime;
  return state;
}

}  // namespace pghalo::dcs
