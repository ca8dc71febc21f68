"""A private Patroni cluster for the integration drills (standard library only).

One etcd (loopback only, its own data dir and free client/peer ports) and two Patroni members, each
with its own YAML, REST API and PostgreSQL 15 on free loopback ports, in synchronous mode: the leader
waits on every commit for the synchronous standby, and Patroni promotes only that standby when the
leader's key expires (ttl 10 s, loop_wait 1 s).

Patroni and PostgreSQL run as the `postgres` user (`runuser -u postgres -- patroni member.yml` when the
test runs as root). Losing a machine is kill -9 of the member's Patroni AND every process of its
PostgreSQL, all frozen with SIGSTOP first so that none of them acts (ships WAL, answers a commit,
restarts the server) between the first kill and the last. Everything started here is killed at exit,
also when the test fails; stray processes are found by their directories (cwd or command line).

Packages (Debian 12): etcd-server etcd-client patroni postgresql-15.
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import harness as h
import pg_fixture

_started = []


def _which(name, extra=()):
    p = shutil.which(name)
    if p:
        return p
    for d in extra:
        c = os.path.join(d, name)
        if os.access(c, os.X_OK):
            return c
    return None


PATRONI = _which("patroni", ("/usr/bin", "/usr/local/bin"))
ETCD = _which("etcd", ("/usr/bin", "/usr/local/bin"))
BINDIR = pg_fixture.BINDIR


def missing():
    """What is not installed, as a sentence (empty when everything is there)."""
    out = []
    if not PATRONI:
        out.append("patroni")
    if not ETCD:
        out.append("etcd (etcd-server)")
    if not BINDIR:
        out.append("PostgreSQL server binaries (postgresql-15)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        out.append("runuser")
    if not out:
        return ""
    return "missing %s: apt-get install -y etcd-server etcd-client patroni postgresql-15 " \
           "(scripts/install-deps.sh --test)" % ", ".join(out)


def available():
    return not missing()


def _http_json(url, timeout=2):
    """(status, parsed JSON or None); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        body = e.read()
        status = e.code
    except (OSError, ValueError):
        return 0, None
    try:
        return status, json.loads(body.decode("utf-8"))
    except ValueError:
        return status, None


# --- processes ------------------------------------------------------------------------------------


def _proc_table():
    """{pid: (ppid, pgrp, cwd or '', cmdline)} of every process we can see."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        pid = int(d)
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                stat = f.read().decode("utf-8", "replace")
            fields = stat[stat.rindex(")") + 2:].split()
            ppid, pgrp = int(fields[1]), int(fields[2])
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except (OSError, ValueError):
            continue
        try:
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except OSError:
            cwd = ""
        out[pid] = (ppid, pgrp, cwd, cmd)
    return out


def _find(dirs, pgids=(), pids=()):
    """Processes that belong to one of dirs (cwd inside it, or the path on the command line), whose
    process group is one of pgids, or listed in pids, with all their descendants."""
    table = _proc_table()
    me = os.getpid()
    found = set()
    for pid, (ppid, pgrp, cwd, cmd) in table.items():
        if pid == me:
            continue
        if pid in pids or pgrp in pgids:
            found.add(pid)
            continue
        for d in dirs:
            if cwd == d or cwd.startswith(d + "/") or (d + "/") in cmd or cmd.rstrip().endswith(d):
                found.add(pid)
                break
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _, _) in table.items():
            if ppid in found and pid not in found and pid != me:
                found.add(pid)
                grew = True
    return found


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(dirs, pgids=(), pids=(), timeout=10):
    """SIGSTOP every matching process (repeating until no new one appears: a stopped process cannot
    fork), then SIGKILL them all at once, and wait until they are gone. Returns the pids killed."""
    stopped = set()
    for _ in range(20):
        now = _find(dirs, pgids, set(pids) | stopped)
        new = now - stopped
        if not new:
            break
        _signal_all(new, signal.SIGSTOP)
        stopped |= new
    _signal_all(stopped, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pg_fixture._alive(p) and not _zombie(p) for p in stopped):
        time.sleep(0.02)
    return sorted(stopped)


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rindex(")") + 2] == "Z"
    except (OSError, ValueError):
        return True


def _clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(("PATRONI_", "PG", "ETCD"))}


def _cleanup():
    for c in list(_started):
        try:
            c.destroy()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_cleanup)


# --- etcd -------------------------------------------------------------------------------------------


class Etcd:
    def __init__(self, root, client_port, peer_port):
        self.dir = os.path.join(root, "etcd")
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        self.client_port, self.peer_port = client_port, peer_port
        self.log_path = os.path.join(self.dir, "etcd.log")
        self.proc = None

    @property
    def client_url(self):
        return "http://127.0.0.1:%d" % self.client_port

    def start(self):
        peer = "http://127.0.0.1:%d" % self.peer_port
        argv = [ETCD, "--name", "etcd0", "--data-dir", self.data,
                "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "etcd0=" + peer, "--initial-cluster-state", "new",
                "--initial-cluster-token", os.path.basename(os.path.dirname(self.dir)),
                "--heartbeat-interval", "100", "--election-timeout", "1000", "--log-level", "warn",
                "--logger", "zap"]
        with open(self.log_path, "ab") as f:
            self.proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.dir, env=_clean_env(), start_new_session=True)
        ok = h.wait_for(lambda: self.proc.poll() is None and
                        (_http_json(self.client_url + "/health")[1] or {}).get("health") == "true",
                        20, interval=0.05, what="etcd healthy")
        if not ok:
            raise RuntimeError("etcd did not start (rc=%s):\n%s" % (self.proc.poll(), h.tail(self.log_path)))
        return self


# --- a Patroni member -------------------------------------------------------------------------------


class Member:
    def __init__(self, cluster, name, api_port, pg_port):
        self.cluster = cluster
        self.name = name
        self.dir = os.path.join(cluster.root, name)
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        self.api_port, self.port = api_port, pg_port
        self.config_path = os.path.join(self.dir, "patroni.yml")
        self.log_path = os.path.join(self.dir, "patroni.log")
        self.proc = None
        self.killed = False
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def api(self):
        return "http://127.0.0.1:%d" % self.api_port

    def config(self):
        c = self.cluster
        hba = ["local all all trust", "host all all 127.0.0.1/32 trust",
               "host replication all 127.0.0.1/32 trust"]
        return {
            "scope": c.scope,
            "name": self.name,
            "log": {"level": "INFO"},
            "restapi": {"listen": "127.0.0.1:%d" % self.api_port, "connect_address": "127.0.0.1:%d" % self.api_port},
            "etcd3": {"hosts": ["127.0.0.1:%d" % c.etcd.client_port]},
            "bootstrap": {
                "dcs": {
                    "ttl": c.ttl, "loop_wait": c.loop_wait, "retry_timeout": c.retry_timeout,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": True, "synchronous_mode_strict": False,
                    "postgresql": {
                        "use_pg_rewind": False, "use_slots": True,
                        "parameters": {
                            "fsync": "on", "synchronous_commit": "on", "wal_level": "replica",
                            "hot_standby": "on", "max_connections": 100, "max_wal_senders": 5,
                            "max_replication_slots": 5, "wal_keep_size": "256MB", "shared_buffers": "64MB",
                            "log_min_messages": "warning", "recovery_init_sync_method": "syncfs",
                        },
                    },
                },
                # No fsync of a fresh, empty cluster (the drill loses processes, not the page cache):
                # seconds saved on a busy machine.
                "initdb": [{"encoding": "UTF8"}, {"locale": "C"}, "no-sync"],
            },
            "postgresql": {
                "listen": "127.0.0.1:%d" % self.port,
                "connect_address": "127.0.0.1:%d" % self.port,
                "data_dir": self.data,
                "bin_dir": BINDIR,
                "pgpass": os.path.join(self.dir, "pgpass"),
                "authentication": {"superuser": {"username": "postgres"},
                                   "replication": {"username": "postgres"},
                                   "rewind": {"username": "postgres"}},
                "parameters": {"unix_socket_directories": self.dir},
                "pg_hba": hba,
                "basebackup": [{"checkpoint": "fast"}, "no-sync"],
            },
            "watchdog": {"mode": "off"},
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False},
        }

    def start(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config(), f, indent=1)  # JSON is YAML
        argv = [PATRONI, self.config_path]
        if os.geteuid() == 0:
            shutil.chown(self.config_path, "postgres", "postgres")
            argv = ["runuser", "-u", "postgres", "--"] + argv
        with open(self.log_path, "ab") as f:
            if os.geteuid() == 0:
                shutil.chown(self.log_path, "postgres", "postgres")
            self.proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.dir, env=_clean_env(), start_new_session=True)
        self.killed = False
        return self

    def status(self):
        """GET /patroni: {'role': 'master'|'replica', 'state': 'running', ...} or None."""
        st, js = _http_json(self.api + "/patroni")
        return js if st == 200 else None

    def is_writable_primary(self):
        """Patroni reports its PostgreSQL as a running primary (pg_is_in_recovery() false)."""
        s = self.status()
        return bool(s) and s.get("role") in ("master", "primary") and s.get("state") == "running"

    def psql(self, sql, db="postgres", timeout=30):
        r = subprocess.run([os.path.join(BINDIR, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                            "-d", db, "-Atqc", sql], capture_output=True, text=True, timeout=timeout,
                           env=_clean_env())
        if r.returncode != 0:
            raise RuntimeError("psql on %s failed (%s): %s" % (self.name, sql[:80], r.stderr.strip()))
        return r.stdout.strip()

    def kill9(self):
        """A machine loss: Patroni and every PostgreSQL process of this member, frozen then killed."""
        pids = []
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pids.append(int(f.readline().strip()))
        except (OSError, ValueError):
            pass
        pgids = [self.proc.pid] if self.proc else []
        killed = kill_tree([self.dir], pgids, pids)
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.killed = True
        return killed


# --- the cluster ------------------------------------------------------------------------------------


def reap_orphans():
    """Clusters left by a test that died without its atexit (kill -9 of the test): their owner pid
    (written at creation) is gone. Their processes are killed and their directories removed; the
    clusters of tests still running are left alone."""
    tmp = tempfile.gettempdir()
    for name in os.listdir(tmp):
        if not name.startswith(_PREFIX):
            continue
        root = os.path.join(tmp, name)
        try:
            with open(os.path.join(root, "owner.pid")) as f:
                owner = int(f.read().strip())
        except (OSError, ValueError):
            continue  # kept on purpose (no owner file), or being created
        if owner == os.getpid() or pg_fixture._alive(owner):
            continue
        try:
            os.unlink(os.path.join(root, "owner.pid"))
        except OSError:
            continue  # another test is reaping it
        killed = kill_tree([root])
        h.log("patroni: killed %d stray processes of %s (its test died)" % (len(killed), root))
        subprocess.Popen(["rm", "-rf", root], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)


_PREFIX = "jarip-patroni-"


class PatroniCluster:
    def __init__(self, scope=None, members=2, ttl=10, loop_wait=1, retry_timeout=4):
        problem = missing()
        if problem:
            raise RuntimeError(problem)
        reap_orphans()
        self.root = tempfile.mkdtemp(prefix=_PREFIX)
        os.chmod(self.root, 0o755)
        with open(os.path.join(self.root, "owner.pid"), "w") as f:
            f.write("%d\n" % os.getpid())
        self.scope = scope or os.path.basename(self.root).replace(_PREFIX, "jarip-")
        self.ttl, self.loop_wait, self.retry_timeout = ttl, loop_wait, retry_timeout
        ports = h.free_ports(2 + 2 * members)
        self.etcd = Etcd(self.root, ports[0], ports[1])
        self.members = [Member(self, "pg%d" % (i + 1), ports[2 + 2 * i], ports[3 + 2 * i]) for i in range(members)]
        self.started_at = None
        _started.append(self)

    # --- life cycle -------------------------------------------------------------------------------
    def start(self, timeout=60):
        """etcd, then every member at once (one wins the initialize race and runs initdb, the others
        clone it with pg_basebackup); returns when a leader and a streaming synchronous standby exist."""
        self.started_at = time.monotonic()
        self.etcd.start()
        for m in self.members:
            m.start()
        self.wait_sync_pair(timeout)
        return self

    def wait_sync_pair(self, timeout=60):
        """Until Patroni shows a running leader and a synchronous standby, and the leader's
        pg_stat_replication shows that standby streaming with sync_state 'sync'. Returns the leader."""
        t0 = time.monotonic()
        seen = {}

        def ready():
            for m in self.members:
                if m.proc and m.proc.poll() is not None and not m.killed:
                    return m  # exited: reported below
            view = self.cluster_view()
            if not view:
                return None
            seen["view"] = view
            leaders = [x for x in view.get("members", []) if x.get("role") == "leader" and x.get("state") == "running"]
            syncs = [x for x in view.get("members", []) if x.get("role") == "sync_standby"
                     and x.get("state") in ("running", "streaming")]
            if len(leaders) != 1 or not syncs:
                return None
            leader = self.member(leaders[0]["name"])
            rows = leader.psql("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' "
                               "AND sync_state = 'sync'")
            if syncs[0]["name"] not in rows.split():
                return None
            return leader

        leader = h.wait_for(ready, timeout, interval=0.2, what="Patroni leader + synchronous standby")
        if leader and leader.proc.poll() is not None:
            raise RuntimeError("patroni %s exited (rc=%s):\n%s" % (leader.name, leader.proc.poll(),
                                                                   h.tail(leader.log_path)))
        if not leader:
            logs = "\n".join("---- %s\n%s" % (m.log_path, h.tail(m.log_path, 30)) for m in self.members)
            raise RuntimeError("no synchronous pair after %d s (last view %s)\n%s" % (
                timeout, json.dumps(seen.get("view")), logs))
        h.log("patroni: leader %s (127.0.0.1:%d), synchronous standby ready after %.1f s" % (
            leader.name, leader.port, time.monotonic() - (self.started_at or t0)))
        return leader

    def destroy(self, keep=False):
        """Kills everything (members, etcd, strays found by directory) and removes the temp dir
        (kept with keep=True or JARIP_KEEP_PATRONI=1, for its logs)."""
        dirs = [self.root]
        pgids = [m.proc.pid for m in self.members if m.proc]
        if self.etcd.proc:
            pgids.append(self.etcd.proc.pid)
        kill_tree(dirs, pgids)
        for p in [m.proc for m in self.members] + [self.etcd.proc]:
            if p is not None:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        if self in _started:
            _started.remove(self)
        try:
            os.unlink(os.path.join(self.root, "owner.pid"))  # kept or being removed: not an orphan to reap
        except OSError:
            pass
        if keep or os.environ.get("JARIP_KEEP_PATRONI"):
            h.log("patroni: kept %s" % self.root)
        else:
            # Removing ~250 MB (etcd preallocates its WAL) takes seconds on a busy disk: done by a
            # detached `rm -rf` that outlives the test instead of delaying its end.
            try:
                subprocess.Popen(["rm", "-rf", self.root], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
            except OSError:
                shutil.rmtree(self.root, ignore_errors=True)

    # --- views --------------------------------------------------------------------------------------
    def member(self, name):
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(name)

    def cluster_view(self):
        """GET /cluster from the first live member that answers."""
        for m in self.members:
            if m.killed:
                continue
            st, js = _http_json(m.api + "/cluster")
            if st == 200 and js:
                return js
        return None

    def leader(self):
        """The member Patroni shows as leader, or None."""
        view = self.cluster_view() or {}
        for x in view.get("members", []):
            if x.get("role") == "leader":
                return self.member(x["name"])
        return None

    def primary(self):
        """The member whose REST API answers GET /primary with 200 (holds the leader key and runs a
        primary), or None."""
        for m in self.members:
            if not m.killed and _http_json(m.api + "/primary")[0] == 200:
                return m
        return None

    def others(self, member):
        return [m for m in self.members if m is not member]

    def create_database(self, name="jarip", timeout=30):
        """CREATE DATABASE on the leader, then waits until every live standby has replayed it: the
        commit only waits for the synchronous standby to flush, and libpq gives up on a multi-host
        URL at the first host that answers FATAL 'database does not exist' (it moves on only for
        'cannot connect now'), so a standby listed first that has not replayed it yet would make
        every connection fail."""
        leader = self.leader()
        leader.psql("CREATE DATABASE %s" % name)
        for m in self.members:
            if m is leader or m.killed:
                continue
            ok = h.wait_for(lambda: m.psql("SELECT count(*) FROM pg_database WHERE datname = '%s'" % name) == "1",
                            timeout, interval=0.05, what="database %s replayed on %s" % (name, m.name))
            if not ok:
                raise RuntimeError("database %s not replayed on %s within %d s" % (name, m.name, timeout))
        return self.url(name)

    def url(self, db="jarip"):
        """Every member in one libpq URL; only the read-write one is used."""
        hosts = ",".join("127.0.0.1:%d" % m.port for m in self.members)
        return "postgresql://postgres@%s/%s?target_session_attrs=read-write" % (hosts, db)
