// Versioned schema for the PostgreSQL engine, and the time partitions of its two big tables.
//
// messages and attempts are partitioned by RANGE on part_ms, the acceptance time carried in the
// message id (msg_<11 hex digits of ms>…; pg_message_part_ms). Every lookup by message id names
// part_ms too, so it touches one partition; purging old messages is dropping a partition, never a
// long DELETE. Ids not in that form (tests, hand-made rows) have part_ms 0 and live in the default
// partition, which is never dropped.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "store/pg_db.hpp"

namespace jarip::store {

// Applies every migration not yet applied, each in its own transaction, under an advisory lock so
// that nodes starting together migrate once. Errors: storage_schema_too_new, storage_migration_failed,
// storage_unavailable.
Status migrate_postgres(PgConn& db);
int postgres_schema_version();

// The partition key of a message (and of its attempts): the time in its id, 0 when the id is not
// jarip's own form.
std::int64_t pg_message_part_ms(const std::string& message_id);

struct PartitionPlan {
  TimeMs period_ms = 7LL * 24 * 3600 * 1000;  // one partition per week, aligned to the Unix epoch
  int ahead = 3;                              // periods created in advance of now
};

// Creates the partitions of the current period, the one before, and `ahead` periods after (idempotent,
// safe from several nodes at once).
Status pg_ensure_partitions(PgConn& db, TimeMs now, const PartitionPlan& plan);
// Drops the partitions of messages and attempts that end at or before `before`, and removes the rows
// that point at those messages from the small side tables. Returns how many partitions were dropped.
Result<int> pg_drop_partitions_before(PgConn& db, TimeMs before, const PartitionPlan& plan);

}  // namespace jarip::store
