// Helpers shared by the PostgreSQL session's files (pg_session.cpp, pg_customers.cpp,
// pg_portal.cpp). Internal to store/.
#pragma once

#include <string>

#include "common/result.hpp"
#include "store/pg_db.hpp"
#include "store/records.hpp"

namespace jarip::store::pg_session_detail {

// The store's error for a failed statement: a unique violation is "conflict" with the SQLite
// engine's text; any other error keeps PgConn's code.
Error fail(const Error& e, const char* what);

// A LIMIT parameter. SQLite reads a negative limit as "no limit" where PostgreSQL would refuse it;
// NULL is PostgreSQL's LIMIT ALL.
PgParams& add_limit(PgParams& p, int limit);

// Runs an `INSERT … ON CONFLICT DO NOTHING`; "conflict" (SQLite's text) when no row went in. DO NOTHING
// rather than a failed statement, so that the caller may go on in the same transaction (another
// short-link code, say), as it can with SQLite.
Status insert_once(PgConn& db, const std::string& sql, const PgParams& params, const char* what);

std::string message_columns(const std::string& prefix);
MessageRecord read_message(const PgResult& r, int row, int first);

}  // namespace jarip::store::pg_session_detail
