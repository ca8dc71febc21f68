"""Private PostgreSQL 15 servers for the integration drills (standard library only).

Each PgServer is a cluster of its own in a temp directory owned by the `postgres` user (initdb and
pg_ctl refuse to run as root), listening on a free loopback port only. A replica is made from its
primary with pg_basebackup and streams from it, synchronously or not. Every server started here is
stopped at exit, also when the test fails.

Losing a machine is simulated with kill -9 of every process of the cluster: a clean stop would ship
all WAL to the replica first and hide any loss (../shared/FACTS.md).
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness as h

_started = []


def _bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
        d = out.stdout.strip()
        if out.returncode == 0 and os.path.exists(os.path.join(d, "initdb")):
            return d
    except (OSError, subprocess.SubprocessError):
        pass
    for v in ("17", "16", "15"):
        d = "/usr/lib/postgresql/%s/bin" % v
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    return None


BINDIR = _bindir()


def available():
    return BINDIR is not None


def _as_postgres(argv, **kw):
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def _cleanup():
    for s in list(_started):
        try:
            s.kill9()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
        shutil.rmtree(s.root, ignore_errors=True)


atexit.register(_cleanup)


class PgServer:
    def __init__(self, name="pg", port=None):
        if not available():
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql-15)")
        self.name = name
        self.root = tempfile.mkdtemp(prefix="jarip-%s-" % name)
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.sock = self.root
        self.log_path = os.path.join(self.root, "server.log")
        self.port = port or h.free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.settings = {
            "listen_addresses": "127.0.0.1", "port": str(self.port), "unix_socket_directories": self.sock,
            "fsync": "on", "synchronous_commit": "on", "wal_level": "replica", "max_wal_senders": "5",
            "hot_standby": "on", "shared_buffers": "64MB", "max_connections": "100",
            "wal_keep_size": "256MB", "log_min_messages": "warning",
        }
        _started.append(self)

    # --- life cycle -------------------------------------------------------------------------
    def init(self):
        r = _as_postgres([os.path.join(BINDIR, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C"], timeout=120)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: %s %s" % (r.stdout, r.stderr))
        self._write_conf()
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host replication postgres 127.0.0.1/32 trust\n")
        return self

    def _write_conf(self, extra=None):
        conf = dict(self.settings)
        conf.update(extra or {})
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            for k, v in conf.items():
                f.write("%s = '%s'\n" % (k, v))

    def set(self, **settings):
        """Adds settings (applied on the next start or reload)."""
        self._write_conf({k: str(v) for k, v in settings.items()})

    def start(self, timeout=60):
        r = _as_postgres([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-l", self.log_path, "-w", "-t",
                          str(timeout), "start"], timeout=timeout + 10)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed: %s %s\n%s" % (r.stdout, r.stderr, h.tail(self.log_path)))
        return self

    def reload(self):
        _as_postgres([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "reload"], timeout=30)

    def stop(self, mode="fast"):
        _as_postgres([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"], timeout=60)

    def pids(self):
        """The postmaster and its children."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pm = int(f.readline().strip())
        except (OSError, ValueError):
            return []
        out = [pm]
        r = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True)
        out += [int(x) for x in r.stdout.split()]
        return out

    def kill9(self):
        """Every process of the cluster at once, as a machine that loses power."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)
        try:
            os.unlink(os.path.join(self.data, "postmaster.pid"))
        except OSError:
            pass
        return pids

    def promote(self):
        r = _as_postgres([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-w", "promote"], timeout=60)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl promote failed: %s %s" % (r.stdout, r.stderr))

    # --- SQL ----------------------------------------------------------------------------------
    def psql(self, sql, db="postgres", timeout=30):
        r = subprocess.run([os.path.join(BINDIR, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-Atqc", sql], capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("psql failed (%s): %s" % (sql[:80], r.stderr.strip()))
        return r.stdout.strip()

    def create_database(self, name="jarip"):
        self.psql("CREATE DATABASE %s" % name)
        return self.url(name)

    def url(self, db="jarip"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, db)

    # --- replication --------------------------------------------------------------------------
    def make_replica(self, name="replica", synchronous=True):
        """A streaming replica of this (running) server, started. With synchronous=True the primary
        waits for it on every commit (synchronous_standby_names)."""
        rep = PgServer(name)
        r = _as_postgres([os.path.join(BINDIR, "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                          "postgres", "-D", rep.data, "-X", "stream", "-R", "-c", "fast"], timeout=300)
        if r.returncode != 0:
            raise RuntimeError("pg_basebackup failed: %s %s" % (r.stdout, r.stderr))
        rep._write_conf({"primary_conninfo": "host=127.0.0.1 port=%d user=postgres application_name=%s"
                                             % (self.port, name)})
        rep.start()
        if synchronous:
            self.set(synchronous_standby_names=name)
            self.reload()
        ok = h.wait_for(lambda: self.psql("SELECT count(*) FROM pg_stat_replication WHERE application_name = '%s' "
                                          "AND state = 'streaming'" % name) == "1", 30, what="replica streaming")
        if not ok:
            raise RuntimeError("replica did not start streaming:\n" + h.tail(rep.log_path))
        if synchronous:
            h.wait_for(lambda: self.psql("SELECT sync_state FROM pg_stat_replication WHERE application_name = '%s'"
                                         % name) == "sync", 30, what="replica synchronous")
        return rep


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
