#include "pg/controldata.h"

#include "common/strings.h"

namespace pghalo::pg {
namespace {

constexpr std::string_view kState = "Database cluster state";
constexpr std::string_view kSystemId = "Database system identifier";
constexpr std::string_view kCheckpointTimeline = "Latest checkpoint's TimeLineID";
constexpr std::string_view kCheckpointLsn = "Latest checkpoint location";
constexpr std::string_view kRedoLsn = "Latest checkpoint's REDO location";
constexpr std::string_view kMinRecoveryLsn = "Minimum recovery ending location";
constexpr std::string_view kMinRecoveryTimeline = "Min recovery ending loc's timeline";
constexpr std::string_view kWalLogHints = "wal_log_hints setting";
constexpr std::string_view kChecksumVersion = "Data page checksum version";

Error field_error(std::string_view field, std::string_view problem) {
  return make_error(ErrorCode::kInvalidArgument, "pg_controldata output: \"" + std::string(field) +
                                                     "\" " + std::string(problem));
}

// Fields every supported version prints; without them the output is not usable.
Result<std::string> required(const model::ControlData& data, std::string_view field) {
  auto it = data.raw.find(std::string(field));
  if (it == data.raw.end()) return field_error(field, "is missing");
  return it->second;
}

Status read_lsn(const model::ControlData& data, std::string_view field, model::Lsn* out) {
  auto text = required(data, field);
  if (!text.ok()) return text.error();
  auto lsn = parse_lsn(*text);
  if (!lsn) return field_error(field, "is not an LSN: " + *text);
  *out = model::Lsn(*lsn);
  return ok_status();
}

Status read_timeline(const model::ControlData& data, std::string_view field,
                     model::TimelineId* out) {
  auto text = required(data, field);
  if (!text.ok()) return text.error();
  auto value = parse_int64(*text);
  if (!value || *value < 0) return field_error(field, "is not a timeline: " + *text);
  *out = model::TimelineId(*value);
  return ok_status();
}

// Older versions lack the optional fields; absent means "off".
std::string optional_field(const model::ControlData& data, std::string_view field) {
  auto it = data.raw.find(std::string(field));
  return it == data.raw.end() ? std::string() : it->second;
}

}  // namespace

Result<model::ControlData> parse_controldata(std::string_view output) {
  model::ControlData data;
  for (const auto& line : split(output, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name(trim(std::string_view(line).substr(0, colon)));
    if (!name.empty()) data.raw[name] = std::string(trim(std::string_view(line).substr(colon + 1)));
  }
  if (data.raw.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pg_controldata printed no \"name: value\" lines");
  }
  auto state = required(data, kState);
  if (!state.ok()) return state.error();
  data.cluster_state = *state;
  auto system_id = required(data, kSystemId);
  if (!system_id.ok()) return system_id.error();
  if (!parse_uint64(*system_id)) return field_error(kSystemId, "is not a number: " + *system_id);
  data.system_identifier = *system_id;

  PGHALO_TRY(read_timeline(data, kCheckpointTimeline, &data.checkpoint_timeline));
  PGHALO_TRY(read_lsn(data, kCheckpointLsn, &data.checkpoint_lsn));
  PGHALO_TRY(read_lsn(data, kRedoLsn, &data.checkpoint_redo_lsn));
  PGHALO_TRY(read_lsn(data, kMinRecoveryLsn, &data.min_recovery_end));
  PGHALO_TRY(read_timeline(data, kMinRecoveryTimeline, &data.min_recovery_timeline));

  data.wal_log_hints = optional_field(data, kWalLogHints) == "on";
  std::string checksums = optional_field(data, kChecksumVersion);
  data.data_checksums = !checksums.empty() && checksums != "0";
  return data;
}

}  // namespace pghalo::pg
