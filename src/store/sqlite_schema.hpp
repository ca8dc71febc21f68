#pragma once

#include "common/result.hpp"
#include "store/sqlite_db.hpp"

namespace jarip::store {

// Brings the database to the newest schema version; refuses a database newer than this binary.
Status migrate_sqlite(SqliteDb& db);
int sqlite_schema_version();

}  // namespace jarip::store
