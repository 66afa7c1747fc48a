// LocalPostgres: SQL run as the local superuser (execute, CHECKPOINT, physical slots).
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "pg/local_postgres.h"

namespace pghalo::pg {
namespace {

// Client-side slack over the server's statement_timeout so the server reports first.
constexpr Duration kClientSlack = std::chrono::seconds(2);

bool valid_slot_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

Status LocalPostgres::execute(const std::string& sql, Duration timeout) {
  auto session = connect_local(timeout);
  if (!session.ok()) return session.error();
  auto result = (*session)->query(sql, timeout + kClientSlack);
  if (!result.ok()) return result.error();
  return ok_status();
}

Status LocalPostgres::checkpoint(Duration timeout) { return execute("CHECKPOINT", timeout); }

Status LocalPostgres::sync_physical_slots(const std::vector<std::string>& desired,
                                          Duration timeout) {
  for (const auto& name : desired) {
    if (!valid_slot_name(name)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "replication slot name \"" + name + "\" is not [a-z0-9_]{1,63}");
    }
  }
  auto session = connect_local(timeout);
  if (!session.ok()) return session.error();
  auto existing = (*session)->query(
      "SELECT pg_catalog.pg_is_in_recovery() AS in_recovery;"
      "SELECT slot_name, slot_type, active FROM pg_catalog.pg_replication_slots",
      timeout + kClientSlack);
  if (!existing.ok()) return existing.error();
  if (existing->size() != 2) {
    return make_error(ErrorCode::kInternal, "slot query: expected 2 result sets");
  }
  if ((*existing)[0].get(0, "in_recovery") != std::optional<std::string>("f")) {
    return make_error(ErrorCode::kFailedPrecondition,
                      "physical slots are managed on a primary only");
  }
  std::set<std::string> wanted(desired.begin(), desired.end());
  std::set<std::string> present;
  std::string script;
  const QueryResult& slots = (*existing)[1];
  for (std::size_t i = 0; i < slots.rows.size(); ++i) {
    std::string name = slots.get(i, "slot_name").value_or("");
    present.insert(name);
    bool physical = slots.get(i, "slot_type") == std::optional<std::string>("physical");
    bool active = slots.get(i, "active") == std::optional<std::string>("t");
    // Names of existing slots may be anything; only drop what we could have created.
    if (physical && !active && !wanted.count(name) && valid_slot_name(name)) {
      log::info("slot_drop", "dropping a replication slot nobody should use", {{"slot", name}});
      script += "SELECT pg_catalog.pg_drop_replication_slot('" + name + "');";
    }
  }
  for (const auto& name : wanted) {
    if (present.count(name)) continue;
    log::info("slot_create", "creating a physical replication slot", {{"slot", name}});
    script += "SELECT pg_catalog.pg_create_physical_replication_slot('" + name + "', true);";
  }
  if (script.empty()) return ok_status();
  auto changed = (*session)->query(script, timeout + kClientSlack);
  if (!changed.ok()) return changed.error();
  return ok_status();
}

}  // namespace pghalo::pg
