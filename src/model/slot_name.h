// Replication slot names derived from member names exactly as Patroni does (spec 2.13), so a
// Patroni primary creates the slot a pghalo replica uses and vice versa. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace pghalo::model {

// Lower-case; '-' and '.' become '_'; any other character outside [a-z0-9_] becomes 'u' followed
// by its code point in decimal (at least 4 digits); truncated to 63 bytes.
// "pg-node.1" -> "pg_node_1", "postgresql-node1" -> "postgresql_node1".
std::string slot_name_for_member(std::string_view member_name);

}  // namespace pghalo::model
