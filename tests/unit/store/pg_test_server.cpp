#include "pg_test_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "store/pg_db.hpp"

namespace jarip::test {

namespace fs = std::filesystem;

namespace {

// Runs argv (argv[0] an absolute path) and waits for it; its stdout and stderr go to log_path
// (appended), its stdin is /dev/null, its working directory is cwd. Returns the exit status, or -1
// when it could not run. Only async-signal-safe calls between fork and exec: the test process has
// threads.
int run_command(const std::vector<std::string>& argv, const std::string& log_path, const std::string& cwd) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || log_fd < 0) ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    // Nothing else of the test process (database files, sockets, pipes ctest reads) may live on in
    // the postmaster that pg_ctl leaves running.
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// First line of a command's standard output ("" when it fails).
std::string first_line_of(const std::string& command) {
  std::string out;
  FILE* f = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (!f) return out;
  char buf[512];
  if (std::fgets(buf, sizeof buf, f)) out = buf;
  ::pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string tail_of(const std::string& path, std::size_t max = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max) s = "…" + s.substr(s.size() - max);
  return s;
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

bool has_server_binaries(const std::string& dir) {
  return executable(dir + "/initdb") && executable(dir + "/pg_ctl") && executable(dir + "/postgres");
}

std::string find_bindir() {
  // JARIP_TEST_PG_BINDIR picks another installation (another major version), and nothing else.
  if (const char* forced = std::getenv("JARIP_TEST_PG_BINDIR"); forced && *forced) {
    return has_server_binaries(forced) ? forced : "";
  }
  std::string dir = first_line_of("pg_config --bindir");
  if (!dir.empty() && has_server_binaries(dir)) return dir;
  dir = "/usr/lib/postgresql/15/bin";
  return has_server_binaries(dir) ? dir : "";
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.') ? c : '_';
  return out;
}

// Where initdb'd data directories are kept between test processes: beside the test binary.
std::string cache_root() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (exe.parent_path() / "pg-test-cache").string();
}

PgTestServer* g_server = nullptr;

void stop_at_exit() {
  if (g_server) g_server->shutdown();
}

}  // namespace

PgTestServer& PgTestServer::instance() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_server = new PgTestServer();  // never deleted: stopped by the atexit handler
    g_server->start();
  });
  return *g_server;
}

bool PgTestServer::skip_allowed() {
  const char* v = std::getenv("JARIP_TEST_NO_POSTGRES");
  return v && std::string(v) == "1";
}

std::string PgTestServer::url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PgTestServer::start() {
  bindir_ = find_bindir();
  if (bindir_.empty()) {
    const char* forced = std::getenv("JARIP_TEST_PG_BINDIR");
    reason_ = forced && *forced ? std::string("JARIP_TEST_PG_BINDIR=") + forced + " has no initdb, pg_ctl and postgres"
                                : "PostgreSQL server binaries not found (neither `pg_config --bindir` nor "
                                  "/usr/lib/postgresql/15/bin has initdb, pg_ctl and postgres)";
    return;
  }
  as_postgres_ = ::geteuid() == 0;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  if (as_postgres_) {
    if (!executable("/usr/sbin/runuser") && !executable("/sbin/runuser")) {
      reason_ = "running as root, and runuser (to run initdb as user postgres) is missing";
      return;
    }
    passwd* pw = ::getpwnam("postgres");
    if (!pw) {
      reason_ = "running as root, and there is no user 'postgres' to run initdb and pg_ctl as";
      return;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  std::string runuser = executable("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser";
  auto command = [&](std::vector<std::string> argv) {
    if (as_postgres_) argv.insert(argv.begin(), {runuser, "-u", "postgres", "--"});
    return argv;
  };

  std::string tmpl = (fs::temp_directory_path() / "jarip-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    reason_ = std::string("mkdtemp failed: ") + std::strerror(errno);
    return;
  }
  dir_ = tmpl;
  data_ = dir_ + "/data";
  owner_pid_ = ::getpid();
  std::atexit(stop_at_exit);
  if (as_postgres_ && ::chown(dir_.c_str(), uid, gid) != 0) {
    reason_ = "cannot give " + dir_ + " to user postgres: " + std::strerror(errno);
    return;
  }
  ::chmod(dir_.c_str(), 0700);
  start_watchdog();
  const std::string setup_log = dir_ + "/setup.log";

  // The data directory: a copy of the cached one, or a new initdb (then cached).
  // Keyed by the installation (its postgres binary's size and time: an upgrade makes a new key), the
  // initdb options and the owner.
  struct stat binary {};
  ::stat((bindir_ + "/postgres").c_str(), &binary);
  std::string key = sanitize(bindir_) + "-" + std::to_string(binary.st_size) + "-" +
                    std::to_string(binary.st_mtime) + "-C-UTF8-wal1-uid" + std::to_string(uid);
  std::string root = cache_root();
  std::string cached = root.empty() ? "" : root + "/" + key;
  bool have_data = false;
  if (!cached.empty() && fs::is_directory(cached + "/global")) {
    have_data = run_command({"/bin/cp", "-a", cached, data_}, setup_log, dir_) == 0;
    if (!have_data) fs::remove_all(data_);
  }
  if (!have_data) {
    int rc = run_command(command({bindir_ + "/initdb", "-D", data_, "-A", "trust", "-U", "postgres", "--no-sync",
                                  "-E", "UTF8", "--locale=C", "--wal-segsize=1"}),
                         setup_log, dir_);
    if (rc != 0) {
      reason_ = "initdb failed (exit " + std::to_string(rc) + "): " + tail_of(setup_log);
      return;
    }
    if (!cached.empty()) {  // publish atomically: a directory appears complete or not at all
      std::error_code ec;
      fs::create_directories(root, ec);
      std::string part = cached + ".part" + std::to_string(::getpid());
      if (!ec && run_command({"/bin/cp", "-a", data_, part}, setup_log, dir_) == 0) {
        if (::rename(part.c_str(), cached.c_str()) != 0) fs::remove_all(part, ec);
      } else {
        fs::remove_all(part, ec);
      }
    }
  }

  // Start on a free loopback port; another process may take the port in between, so try a few.
  const std::string server_log = dir_ + "/server.log";
  for (int attempt = 0; attempt < 5 && !available_; ++attempt) {
    port_ = free_loopback_port();
    if (port_ == 0) continue;
    std::string opts = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -c unix_socket_directories=" +
                       dir_ + " -c fsync=on -c max_connections=200";
    int rc = run_command(command({bindir_ + "/pg_ctl", "-D", data_, "-l", server_log, "-w", "-t", "60", "-o", opts,
                                  "start"}),
                         setup_log, dir_);
    if (rc == 0) {
      available_ = true;
    } else {
      reason_ = "pg_ctl start failed (exit " + std::to_string(rc) + "): " + tail_of(setup_log) + "\nserver.log: " +
                tail_of(server_log);
    }
  }
  if (available_) reason_.clear();
}

// The watchdog: a shell that waits for EOF on a pipe whose only write end this process holds, so it
// sees EOF however this process ends (even kill -9). Unless the normal exit cleaned up already, it
// waits for setup commands still running on the directory (initdb, cp, a pg_ctl start that goes on
// after its parent died), stops the postmaster the way `pg_ctl stop -m immediate` does (SIGQUIT), and
// deletes the directory.
void PgTestServer::start_watchdog() {
  static const char* const kScript =
      "trap '' INT TERM HUP QUIT\n"
      "cat >/dev/null\n"
      "[ -d \"$1\" ] || exit 0\n"
      "i=0\n"
      "while [ $i -lt 350 ]; do\n"
      "  pid=$(head -n 1 \"$1/data/postmaster.pid\" 2>/dev/null)\n"
      "  if [ -n \"$pid\" ] && grep -qF \"$1/data\" /proc/$pid/cmdline 2>/dev/null; then kill -QUIT $pid; fi\n"
      "  pgrep -f \"$1/data\" >/dev/null 2>&1 || break\n"
      "  sleep 0.2; i=$((i+1))\n"
      "done\n"
      "rm -rf \"$1\"\n";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == 0) {
    std::vector<const char*> args = {"/bin/sh", "-c", kScript, "jarip-pg-watchdog", dir_.c_str(), nullptr};
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[0], 0);  // dup2 clears close-on-exec on 0
      int null_fd = ::open("/dev/null", O_WRONLY);
      if (null_fd >= 0) {
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
      }
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
      ::setsid();  // not in the test's process group: a signal to the group must not stop it early
      ::execv(args[0], const_cast<char* const*>(args.data()));
      ::_exit(127);
    }
    ::close(fds[0]);
    if (pid > 0) {
      watchdog_fd_ = fds[1];
    } else {
      ::close(fds[1]);
    }
  }
}

void PgTestServer::shutdown() {
  std::lock_guard lock(mutex_);
  // A child forked by a test (a death test) exits through here too: the server is not its own.
  if (owner_pid_ == 0 || ::getpid() != owner_pid_) return;
  if (!data_.empty() && fs::exists(data_ + "/postmaster.pid")) {
    std::string runuser = executable("/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser";
    std::vector<std::string> argv = {bindir_ + "/pg_ctl", "-D", data_, "stop", "-m", "immediate"};
    if (as_postgres_) argv.insert(argv.begin(), {runuser, "-u", "postgres", "--"});
    run_command(argv, "/dev/null", "/");
  }
  if (available_) {
    available_ = false;
    reason_ = "the test server was shut down";
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
  if (watchdog_fd_ >= 0) {
    ::close(watchdog_fd_);  // the watchdog finds the directory gone and exits
    watchdog_fd_ = -1;
  }
  owner_pid_ = 0;
}

std::string PgTestServer::create_database(const std::string& template_name) {
  if (!available_) {
    ADD_FAILURE() << "PostgreSQL unavailable: " << reason_;
    return "";
  }
  std::string name;
  {
    std::lock_guard lock(mutex_);
    name = "jarip_test_" + std::to_string(++next_db_);
  }
  store::PgConn admin;
  if (auto s = admin.connect(url("postgres"), 10, 0); !s) {
    ADD_FAILURE() << "connecting to the test server: " << s.error().message;
    return "";
  }
  // CREATE DATABASE waits (up to 5 s) for the template's last connections to go away.
  if (auto s = admin.exec("CREATE DATABASE " + name + " TEMPLATE " + template_name); !s) {
    ADD_FAILURE() << "CREATE DATABASE " << name << " TEMPLATE " << template_name << ": " << s.error().message;
    return "";
  }
  return url(name);
}

std::string PgTestServer::fresh_database() { return create_database("template0"); }

std::string PgTestServer::store_database() {
  std::lock_guard lock(template_mutex_);
  // The first one is a plain empty database that the store migrates when it opens it: under ctest
  // each test runs in a process of its own, and a template would cost one more database copy.
  if (++store_databases_ == 1) return fresh_database();
  if (template_name_.empty() && template_error_.empty()) {
    std::string template_url = fresh_database();
    if (template_url.empty()) {
      template_error_ = "could not create the template database";
    } else {
      store::PostgresOptions options;
      options.url = template_url;
      options.readers = 1;
      auto store = store::open_postgres_store(options);
      if (!store.ok()) {
        template_error_ = "open_postgres_store on the template database: " + store.error().code + ": " +
                          store.error().message;
      } else {
        (*store)->stop();
        store = make_error("closed", "closed");  // disconnects: a template must have no connections
        template_name_ = template_url.substr(template_url.rfind('/') + 1);
      }
    }
  }
  if (!template_error_.empty()) {
    ADD_FAILURE() << template_error_;
    return "";
  }
  return create_database(template_name_);
}

// ---- the two-engine fixture ---------------------------------------------------------------------

std::string engine_test_name(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}

void StoreEngineTest::SetUp() {
  if (engine() == Engine::kPostgres) {
    JARIP_REQUIRE_POSTGRES();
    pg_url_ = PgTestServer::instance().store_database();
    ASSERT_FALSE(pg_url_.empty());
  } else {
    auto dir = fs::temp_directory_path() / ("jarip-store-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    sqlite_path_ = (dir / sanitize(std::string(info->test_suite_name()) + "." + info->name() + ".db")).string();
    for (auto suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(sqlite_path_ + suffix);
  }
  open_store();
}

void StoreEngineTest::open_store() {
  if (engine() == Engine::kPostgres) {
    store::PostgresOptions options;
    options.url = pg_url_;
    auto s = store::open_postgres_store(options);
    ASSERT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;
    store_ = std::move(*s);
  } else {
    store::SqliteOptions options;
    options.path = sqlite_path_;
    auto s = store::open_sqlite_store(options);
    ASSERT_TRUE(s.ok()) << s.error().code << ": " << s.error().message;
    store_ = std::move(*s);
  }
}

void StoreEngineTest::close_store() {
  if (store_) {
    store_->stop();
    store_.reset();
  }
}

void StoreEngineTest::reopen() {
  close_store();
  open_store();
}

void StoreEngineTest::TearDown() {
  close_store();
  if (!sqlite_path_.empty()) {
    std::error_code ec;
    for (auto suffix : {"", "-wal", "-shm", ".lock"}) fs::remove(sqlite_path_ + suffix, ec);
    fs::remove(fs::path(sqlite_path_).parent_path(), ec);  // only once empty
  }
}

std::string StoreEngineTest::raw_scalar(const std::string& sql) {
  if (engine() == Engine::kPostgres) {
    store::PgConn db;
    if (auto s = db.connect(pg_url_, 10, 0); !s) {
      ADD_FAILURE() << s.error().message;
      return "";
    }
    auto r = db.query(sql);
    if (!r) {
      ADD_FAILURE() << sql << ": " << r.error().message;
      return "";
    }
    return r->rows() == 0 || r->is_null(0, 0) ? "" : r->text(0, 0);
  }
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(sqlite_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "open " << sqlite_path_ << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if (auto* text = sqlite3_column_text(st, 0)) out = reinterpret_cast<const char*>(text);
    } else if (rc != SQLITE_DONE) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace jarip::test
