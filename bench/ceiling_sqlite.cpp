// Ceiling for jarip's durable accept path: raw batched SQLite inserts with an fsync per commit,
// no HTTP, no JSON, no application logic. Same settings as jarip's writer connection
// (src/store/sqlite_store.cpp: WAL, synchronous=FULL, cache_size=-16000, wal_autocheckpoint=4000),
// same `messages` table and indexes as src/store/sqlite_schema.cpp, rows of the size jarip writes.
// Each transaction inserts BATCH rows with one prepared statement, then COMMIT (one WAL fsync).
//
//   ceiling_sqlite DB_PATH BATCH SECONDS [MAX_COMMITS]
// Prints one line of JSON: {"batch":…,"seconds":…,"commits":…,"rows":…,"rows_per_s":…,"commits_per_s":…,
//                          "commit_ms_p50":…,"commit_ms_p99":…}
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, api_key_id TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  state TEXT NOT NULL, kind TEXT NOT NULL, recipient_json TEXT NOT NULL, phone TEXT NOT NULL,
  template_name TEXT NOT NULL, rendered_json TEXT NOT NULL, chain_json TEXT NOT NULL, step INTEGER NOT NULL,
  step_attempts INTEGER NOT NULL, due_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
  step_deadline_ms INTEGER NOT NULL, lease_owner TEXT NOT NULL, lease_until_ms INTEGER NOT NULL,
  metadata_json TEXT NOT NULL, night_consent INTEGER NOT NULL, idempotency_key TEXT NOT NULL,
  final_code TEXT NOT NULL, final_detail TEXT NOT NULL, delivered_via TEXT NOT NULL, body_purged INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_due ON messages(due_ms) WHERE state IN ('accepted', 'held', 'sending');
CREATE INDEX IF NOT EXISTS messages_report_deadline ON messages(step_deadline_ms) WHERE state = 'sent';
CREATE INDEX IF NOT EXISTS messages_leased ON messages(lease_owner) WHERE lease_owner <> '';
CREATE INDEX IF NOT EXISTS messages_updated ON messages(updated_ms);
)sql";

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "ceiling_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void exec(sqlite3* db, const char* sql) { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ceiling_sqlite DB_PATH BATCH SECONDS [MAX_COMMITS]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int batch = std::max(1, std::atoi(argv[2]));
  const double seconds = std::atof(argv[3]);
  const long max_commits = argc > 4 ? std::atol(argv[4]) : 10'000'000;
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        db, "open");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA synchronous=FULL");
  exec(db, "PRAGMA cache_size=-16000");
  exec(db, "PRAGMA wal_autocheckpoint=4000");
  exec(db, kSchema);
  sqlite3_stmt* ins = nullptr;
  check(sqlite3_prepare_v3(db,
                           "INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                           SQLITE_PREPARE_PERSISTENT, &ins, nullptr),
        db, "prepare");
  // Row contents of the size jarip stores for the benchmark's ~300-byte order_shipped message.
  const std::string recipient = R"({"phone":"01012345678"})";
  const std::string rendered =
      R"({"alimtalk":{"text":"김민수님 주문 A-1001번이 발송되었습니다.","vars":{"name":"김민수","order":"A-1001"},)"
      R"("codes":{"solapi":"KA01TP000000000000000000SHIP","nhn":"JARIP_SHIP"},"buttons":[{"type":"WL","name":"배송조회",)"
      R"("link_mobile":"https://example.com/track","link_pc":"https://example.com/track"}]},"sms":{"text":)"
      R"("[자립상점] 김민수님 주문 A-1001번이 발송되었습니다.","subject":"","kind":"lms"}})";
  const std::string chain = R"(["alimtalk@solapi","alimtalk@nhn","sms@nhn","sms@solapi"])";
  const std::string metadata = R"({"ref":"bench-000000000000000000000000000000000000000000000000000000000000000000"})";
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  long commits = 0, rows = 0;
  std::vector<double> commit_ms;
  long long seq = 0;
  const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  while (clock::now() < deadline && commits < max_commits) {
    auto t0 = clock::now();
    exec(db, "BEGIN IMMEDIATE");
    for (int i = 0; i < batch; ++i, ++seq) {
      char id[40];
      std::snprintf(id, sizeof id, "msg_%011llx%016llx", now_ms, seq);
      char phone[16];
      std::snprintf(phone, sizeof phone, "010%08lld", seq % 100000000);
      int c = 1;
      sqlite3_bind_text(ins, c++, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, c++, "key_bench000000", -1, SQLITE_STATIC);
      sqlite3_bind_int64(ins, c++, now_ms + seq);
      sqlite3_bind_int64(ins, c++, now_ms + seq);
      sqlite3_bind_text(ins, c++, "accepted", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, "info", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, recipient.data(), static_cast<int>(recipient.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, phone, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins, c++, "order_shipped", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, rendered.data(), static_cast<int>(rendered.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, chain.data(), static_cast<int>(chain.size()), SQLITE_STATIC);
      sqlite3_bind_int(ins, c++, 0);
      sqlite3_bind_int(ins, c++, 0);
      sqlite3_bind_int64(ins, c++, now_ms + seq);
      sqlite3_bind_int64(ins, c++, now_ms + 86400000);
      sqlite3_bind_int64(ins, c++, now_ms + 120000);
      sqlite3_bind_text(ins, c++, "bench-node-1", -1, SQLITE_STATIC);
      sqlite3_bind_int64(ins, c++, now_ms + 60000);
      sqlite3_bind_text(ins, c++, metadata.data(), static_cast<int>(metadata.size()), SQLITE_STATIC);
      sqlite3_bind_int(ins, c++, 0);
      sqlite3_bind_text(ins, c++, "", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, "", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, "", -1, SQLITE_STATIC);
      sqlite3_bind_text(ins, c++, "", -1, SQLITE_STATIC);
      sqlite3_bind_int(ins, c++, 0);
      check(sqlite3_step(ins), db, "insert");
      sqlite3_reset(ins);
    }
    exec(db, "COMMIT");
    commit_ms.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
    ++commits;
    rows += batch;
  }
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  std::sort(commit_ms.begin(), commit_ms.end());
  auto pct = [&](double p) { return commit_ms.empty() ? 0.0 : commit_ms[std::min(commit_ms.size() - 1, static_cast<std::size_t>(p * commit_ms.size()))]; };
  std::printf("{\"batch\":%d,\"seconds\":%.2f,\"commits\":%ld,\"rows\":%ld,\"rows_per_s\":%.0f,\"commits_per_s\":%.1f,"
              "\"commit_ms_p50\":%.3f,\"commit_ms_p99\":%.3f}\n",
              batch, elapsed, commits, rows, rows / elapsed, commits / elapsed, pct(0.5), pct(0.99));
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return 0;
}
