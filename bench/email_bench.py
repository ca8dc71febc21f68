#!/usr/bin/env python3
"""Email benchmark (issue 9): email messages/s from jarip into a local Postfix.

    bench/email_bench.py [--out DIR] [--messages N] [--pools "1 8"] [--ceiling 0|1] [--keep]

Per run (one per pool size, default "1 $BENCH_SMTP_POOL"): a fresh private Postfix
(tests/integration/postfix_fixture.py: STARTTLS and AUTH required, self-signed CA, every recipient
of example.test delivered by virtual(8) into one Maildir) and a fresh jarip (Release binaries from
$BENCH_BIN_DIR, default build-bench-email/) whose only channel is one `smtp` provider `relay`
(tls starttls, the fixture's ca_file, an Ed25519 DKIM key from `jarip dkim keygen`, pool_size,
timeout_ms 15000). N messages (Korean subject and body, recipient bench-<i>@example.test) go in by
POST /v1/messages/batch (100 per request, a few keep-alive clients) as fast as jarip accepts them.

Measured:
  accept       N / (last 202 - first request sent)
  e2e (jarip)  messages delivered / (last attempt's end - first 202), from every message's timeline
               (GET /v1/messages/{id}; for email, delivered = the relay answered 250 to the data)
  Maildir      Postfix's arrival: N / (newest Maildir file's mtime - first 202), and the window
               between the first and the last file
  latency      p50/p99 of the email attempt (started_at -> ended_at of each attempt in the timelines;
               includes waiting for a free pooled connection), and the same from /metrics'
               jarip_provider_request_seconds histogram (coarse buckets: 5 ms, 10 ms, ...)
  CPU          jarip's CPU seconds; Postfix's in total (exact: its master and every child, reaped
               or alive) and per daemon (sampled, a lower bound); whole
               machine busy % over the delivery window
  RSS          jarip VmRSS when ready, and VmRSS / VmHWM after the last delivery
  ceiling      the same Postfix set-up fed by smtplib over max(pools) connections (STARTTLS, AUTH,
               100 messages per connection, the bytes of a message jarip signed): what Postfix
               takes on this machine from a client that does nothing else (--ceiling 0: skip)
Checked: every message in the Maildir exactly once (Message-ID = <jarip id@shop.jarip.test>, To =
the recipient of that id, Korean subject intact); one message's DKIM signature by
tests/tools/dkim_verify.py when python3-dkim is there. Exit 1 when a message is missing,
duplicated or wrong; 0 otherwise. Prints one JSON line ("email_bench ...") and a table.

Environment: BENCH_BIN_DIR, BENCH_EMAIL_MESSAGES (5000), BENCH_SMTP_POOL (8), BENCH_EMAIL_POOLS
("1 $BENCH_SMTP_POOL"), BENCH_EMAIL_SENDERS (4 HTTP clients), BENCH_EMAIL_TIMEOUT (600 s per run for
delivery), BENCH_EMAIL_CEILING (1). Needs root and Debian's postfix, sasl2-bin, libsasl2-modules
(scripts/install-deps.sh --test); without them it prints "skip: ..." and exits 0. Nothing is pinned
to a core: Postfix's daemons, jarip and this client share the machine.
"""

import argparse
import atexit
import email.parser
import email.policy
import http.client
import json
import os
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import postfix_fixture as pf  # noqa: E402

SENDER = "news@shop.jarip.test"
SENDER_DOMAIN = "shop.jarip.test"
SELECTOR = "jarip-bench"
SUBJECT = "주문하신 상품이 발송되었습니다"
BODY = ("{name} 고객님, 주문번호 B-{i:06d} 상품이 오늘 발송되었습니다.\n"
        "배송 조회는 자립상점 홈페이지에서 하실 수 있습니다.\n감사합니다.")
NAMES = ["김민수", "이영희", "박지훈", "최수진", "정우성", "한지민"]
BATCH = 100

_PROCS = []


def log(*parts):
    print("[email %s]" % time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def _kill_started():
    for p in list(_PROCS):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass


atexit.register(_kill_started)


def _on_signal(signum, frame):
    sys.exit(128 + signum)  # runs atexit: jarip killed, the fixture's Postfix stopped


# ---------------------------------------------------------------------------------------------
# helpers


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def to_toml(tables):
    out = []
    for name, kv in tables.items():
        out.append("[%s]" % name)
        out.extend("%s = %s" % (k, toml_value(v)) for k, v in kv.items())
        out.append("")
    return "\n".join(out)


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("JARIP_")}


def keygen(jarip_bin):
    """An Ed25519 DKIM key from `jarip dkim keygen`: (private key text, TXT record value)."""
    r = subprocess.run([jarip_bin, "dkim", "keygen", "--algorithm", "ed25519", "--selector", SELECTOR,
                        "--domain", SENDER_DOMAIN], capture_output=True, text=True, timeout=30, env=clean_env())
    if r.returncode != 0:
        raise RuntimeError("dkim keygen failed: %s %s" % (r.stdout, r.stderr))
    lines = r.stdout.splitlines()
    txt = next(line for line in lines if " IN TXT " in line).split(" IN TXT ", 1)[1]
    record = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', txt))
    start = next(i for i, line in enumerate(lines) if line.startswith("# private key")) + 1
    return "\n".join(line for line in lines[start:] if line.strip()) + "\n", record


def parse_metrics(text):
    """[(name, {label: value}, float)] of the Prometheus text format."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        name, _, rest = series.partition("{")
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        try:
            out.append((name, labels, float(value)))
        except ValueError:
            pass
    return out


def metric_sum(metrics, name, **labels):
    return sum(v for n, l, v in metrics if n == name and all(l.get(k) == x for k, x in labels.items()))


def histogram_quantile(metrics, name, q, **labels):
    """Prometheus histogram_quantile (linear inside the bucket); None without observations."""
    buckets = sorted((float(l["le"]), v) for n, l, v in metrics
                     if n == name + "_bucket" and all(l.get(k) == x for k, x in labels.items()))
    if not buckets or buckets[-1][1] == 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    prev_bound, prev_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return prev_bound
            if count == prev_count:
                return bound
            return prev_bound + (bound - prev_bound) * (rank - prev_count) / (count - prev_count)
        prev_bound, prev_count = bound, count
    return prev_bound


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


def ts(value):
    """jarip's KST timestamps ("2026-11-25T10:00:00.123+09:00") as epoch seconds."""
    return datetime.fromisoformat(value).timestamp() if value else None


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0])  # kB
    except OSError:
        pass
    return out


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """(comm, ppid, user+system seconds) of a process, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    comm = data[data.index("(") + 1:data.rindex(")")]
    fields = data[data.rindex(")") + 2:].split()
    return comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu():
    """(busy, total) jiffies over all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


class PostfixCpu:
    """CPU seconds of the fixture's Postfix. The total is exact: the master's own time, plus what
    its exited children used (the master reaps them: cutime/cstime), plus its live children's
    time. The split by daemon is sampled and a lower bound: Postfix daemons exit after 100
    requests (max_use), and one that exits between two samples loses its last interval."""

    def __init__(self, master_pid):
        self.master = master_pid
        self.first = {}   # pid -> cpu seconds when first seen (daemons alive before the run)
        self.last = {}    # pid -> (comm, cpu seconds)
        self.total_first = None
        self.total_last = None

    def sample(self, baseline=False):
        live = 0.0
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            info = proc_cpu(pid)
            if info is None or (pid != self.master and info[1] != self.master):
                continue
            comm, _, cpu = info
            if pid not in self.first:
                self.first[pid] = cpu if baseline else 0.0
            self.last[pid] = (comm, cpu)
            if pid != self.master:
                live += cpu
        try:
            with open("/proc/%d/stat" % self.master) as f:
                data = f.read()
            fields = data[data.rindex(")") + 2:].split()
            total = sum(int(x) for x in fields[11:15]) / CLK_TCK + live  # utime stime cutime cstime
        except OSError:
            return
        if baseline or self.total_first is None:
            self.total_first = total
        self.total_last = total

    def by_daemon(self):
        out = {}
        for pid, (comm, cpu) in self.last.items():
            out[comm] = out.get(comm, 0.0) + max(0.0, cpu - self.first.get(pid, 0.0))
        split = {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}
        total = None if self.total_first is None else round(self.total_last - self.total_first, 2)
        return {"total": total, **split}


# ---------------------------------------------------------------------------------------------
# jarip


class Jarip:
    def __init__(self, bin_dir, run_dir, relay, pool, key_file, password_file):
        self.bin = os.path.join(bin_dir, "jarip")
        self.dir = run_dir
        self.port = pf._free_port()
        self.config_path = os.path.join(run_dir, "jarip.toml")
        self.log_path = os.path.join(run_dir, "jarip.log")
        os.makedirs(os.path.join(run_dir, "templates"), exist_ok=True)
        tables = {
            "server": {"host": "127.0.0.1", "port": self.port, "io_threads": 1, "shutdown_grace_s": 10},
            "storage": {"data_dir": os.path.join(run_dir, "data")},
            "templates": {"dir": os.path.join(run_dir, "templates")},
            "log": {"level": "info"},
            # https, as in production: every email then carries RFC 8058 one-click unsubscribe
            # (List-Unsubscribe + List-Unsubscribe-Post, under the DKIM signature)
            "public": {"url": "https://n.shop.jarip.test"},
            "delivery": {"default_chain": ["email"]},
            "delivery.channels": {"email": ["relay"]},
            "providers.relay": {
                "type": "smtp", "host": "localhost", "port": relay.port, "tls": "starttls",
                "username": relay.username, "password_file": password_file, "ca_file": relay.ca_file,
                "from": SENDER, "from_name": "자립 쇼핑", "helo": "bench.jarip.test",
                "dkim_key_file": key_file, "dkim_selector": SELECTOR, "timeout_ms": 15000, "pool_size": pool,
            },
        }
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(to_toml(tables))
        self.proc = None
        self.key = None

    def start(self):
        r = subprocess.run([self.bin, "keys", "create", "--name", "bench", "--config", self.config_path],
                           capture_output=True, text=True, timeout=60, env=clean_env())
        if r.returncode != 0:
            raise RuntimeError("keys create failed: %s %s" % (r.stdout, r.stderr))
        self.key = r.stdout.strip().splitlines()[-1].strip()
        f = open(self.log_path, "ab")
        self.proc = subprocess.Popen([self.bin, "serve", "--config", self.config_path], stdout=f,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=clean_env(),
                                     start_new_session=True)
        f.close()
        _PROCS.append(self.proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("jarip exited (%s):\n%s" % (self.proc.returncode, tail(self.log_path)))
            try:
                if self.request("GET", "/readyz", auth=False)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("jarip not ready:\n%s" % tail(self.log_path))

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method, path, body=None, auth=True, conn=None, headers=None):
        own = conn is None
        c = conn or self.connection()
        try:
            h = dict(headers or {})
            if auth:
                h["Authorization"] = "Bearer " + self.key
            data = None
            if body is not None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                h["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            if own:
                c.close()

    def metrics(self, conn=None):
        status, body = self.request("GET", "/metrics", auth=False, conn=conn)
        return parse_metrics(body.decode("utf-8", "replace")) if status == 200 else []

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def tail(path, n=30):
    try:
        with open(path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------------------
# one run


def maildir_count(relay):
    n = 0
    for sub in ("new", "cur"):
        try:
            n += len(os.listdir(os.path.join(relay.maildir, sub)))
        except FileNotFoundError:
            pass
    return n


def queue_count(relay, name):
    n = 0
    for _, _, files in os.walk(os.path.join(relay.dir, "queue", name)):
        n += len(files)
    return n


def send_all(j, n, senders, run_tag):
    """Posts n messages in batches of BATCH over `senders` keep-alive clients. Returns
    (ids by index, t_start, t_first_202, t_last_202, retries)."""
    ids = [None] * n
    batches = list(range(0, n, BATCH))
    lock = threading.Lock()
    state = {"next": 0, "first": None, "last": None, "retries": 0, "error": None}

    def worker():
        conn = j.connection()
        try:
            while True:
                with lock:
                    if state["next"] >= len(batches) or state["error"]:
                        return
                    start = batches[state["next"]]
                    state["next"] += 1
                items = [{"recipient": {"email": "bench-%d@example.test" % i}, "subject": SUBJECT,
                          "text": BODY.format(name=NAMES[i % len(NAMES)], i=i)}
                         for i in range(start, min(n, start + BATCH))]
                headers = {"Idempotency-Key": "%s-%d" % (run_tag, start)}  # a retry cannot double a batch
                for attempt in range(20):
                    try:
                        status, body = j.request("POST", "/v1/messages/batch", {"messages": items}, conn=conn,
                                                 headers=headers)
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = j.connection()
                        status, body = None, b""
                    if status == 202:
                        break
                    with lock:
                        state["retries"] += 1
                    if status is not None and status not in (429, 503):
                        with lock:
                            state["error"] = "batch at %d: HTTP %s %s" % (start, status, body[:300])
                        return
                    time.sleep(0.5)
                else:
                    with lock:
                        state["error"] = "batch at %d: no 202 after 20 tries" % start
                    return
                now = time.time()
                answer = json.loads(body)
                with lock:
                    state["first"] = now if state["first"] is None else min(state["first"], now)
                    state["last"] = now if state["last"] is None else max(state["last"], now)
                    for item in answer.get("results", []):
                        if item.get("status") == "accepted":
                            ids[start + item["index"]] = item["id"]
                        elif not state["error"]:
                            state["error"] = "item %d rejected: %s" % (start + item["index"], item)
        finally:
            conn.close()

    t0 = time.time()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if state["error"]:
        raise RuntimeError(state["error"])
    return ids, t0, state["first"], state["last"], state["retries"]


class Sampler(threading.Thread):
    """Every 0.2 s: Maildir files, jarip's delivered/failed counters, Postfix's queue and its
    daemons' CPU. Stops when told or after `limit` seconds."""

    def __init__(self, j, relay, postfix_cpu, path, limit):
        super().__init__(daemon=True)
        self.j, self.relay, self.pcpu, self.path, self.limit = j, relay, postfix_cpu, path, limit
        self.stop_event = threading.Event()
        self.rows = []

    def run(self):
        conn = self.j.connection()
        t_end = time.monotonic() + self.limit
        with open(self.path, "w") as f:
            f.write("epoch maildir delivered failed pf_incoming pf_active pf_deferred\n")
            while not self.stop_event.is_set() and time.monotonic() < t_end:
                try:
                    m = self.j.metrics(conn=conn)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = self.j.connection()
                    m = []
                row = (time.time(), maildir_count(self.relay),
                       metric_sum(m, "jarip_messages_finished_total", state="delivered"),
                       metric_sum(m, "jarip_messages_finished_total", state="failed"),
                       queue_count(self.relay, "incoming"), queue_count(self.relay, "active"),
                       queue_count(self.relay, "deferred"))
                self.rows.append(row)
                f.write("%.3f %d %d %d %d %d %d\n" % row)
                self.pcpu.sample()
                self.stop_event.wait(0.2)
        conn.close()


def fetch_timelines(j, ids, workers=4):
    out = [None] * len(ids)
    lock = threading.Lock()
    pos = {"next": 0}

    def worker():
        conn = j.connection()
        try:
            while True:
                with lock:
                    k = pos["next"]
                    pos["next"] += 1
                if k >= len(ids):
                    return
                for _ in range(3):
                    try:
                        status, body = j.request("GET", "/v1/messages/" + ids[k], conn=conn)
                        if status == 200:
                            out[k] = json.loads(body)
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = j.connection()
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def verify_maildir(relay, ids):
    """Every message exactly once: Message-ID <id@shop.jarip.test>, To bench-<i>@example.test,
    subject intact."""
    expected = {"<%s@%s>" % (mid, SENDER_DOMAIN): i for i, mid in enumerate(ids)}
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    seen = {}
    wrong_to, wrong_subject, no_id, unexpected = [], [], 0, []
    mtimes = []
    for sub in ("new", "cur"):
        d = os.path.join(relay.maildir, sub)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        for name in names:
            p = os.path.join(d, name)
            mtimes.append(os.stat(p).st_mtime)
            with open(p, "rb") as f:
                head = f.read(16384).split(b"\n\n", 1)[0] + b"\n\n"
            h = parser.parsebytes(head)
            mid = str(h.get("Message-ID") or "").strip()
            if not mid:
                no_id += 1
                continue
            seen[mid] = seen.get(mid, 0) + 1
            if mid not in expected:
                unexpected.append(mid)
                continue
            i = expected[mid]
            if str(h.get("To") or "").strip() != "bench-%d@example.test" % i:
                wrong_to.append((mid, str(h.get("To"))))
            if str(h.get("Subject") or "") != SUBJECT:
                wrong_subject.append((mid, str(h.get("Subject"))))
    missing = [m for m in expected if m not in seen]
    duplicated = {m: c for m, c in seen.items() if c > 1}
    return {
        "files": len(mtimes), "distinct_message_ids": len(seen), "missing": len(missing),
        "duplicated": len(duplicated), "unexpected": len(unexpected), "without_message_id": no_id,
        "wrong_to": len(wrong_to), "wrong_subject": len(wrong_subject),
        "examples": {"missing": missing[:5], "duplicated": list(duplicated.items())[:5], "wrong_to": wrong_to[:3],
                     "wrong_subject": wrong_subject[:3], "unexpected": unexpected[:3]},
    }, mtimes


def dkim_sample(relay, record, out_dir):
    """dkim_verify.py (python3-dkim) on the oldest delivered message: "pass", "FAIL: …" or "skipped: …"."""
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    if subprocess.run([python, "-c", "import dkim"], capture_output=True).returncode != 0:
        return "skipped: python3-dkim not installed"
    raws = relay.read_raw_messages()
    if not raws:
        return "skipped: no message"
    path = os.path.join(out_dir, "sample.eml")
    with open(path, "wb") as f:
        f.write(raws[0])
    r = subprocess.run([python, os.path.join(ROOT, "tests", "tools", "dkim_verify.py"), path,
                        "%s=%s" % (SELECTOR, record)], capture_output=True, text=True)
    return "pass" if r.returncode == 0 else "FAIL: " + (r.stdout + r.stderr).strip()[:300]


def maillog_counts(path):
    counts = {"smtpd_connects": 0, "tls_established": 0, "queued": 0, "status_sent": 0,
              "status_deferred": 0, "status_bounced": 0, "warnings": 0, "errors_fatal_panic": 0}
    examples = []
    try:
        f = open(path, encoding="utf-8", errors="replace")
    except OSError:
        return counts, examples
    with f:
        for line in f:
            if "/smtpd[" in line and " connect from " in line:
                counts["smtpd_connects"] += 1
            if "TLS connection established from" in line:
                counts["tls_established"] += 1
            if "/cleanup[" in line and "message-id=" in line:
                counts["queued"] += 1
            if "status=sent" in line:
                counts["status_sent"] += 1
            if "status=deferred" in line:
                counts["status_deferred"] += 1
            if "status=bounced" in line:
                counts["status_bounced"] += 1
            if " warning: " in line:
                counts["warnings"] += 1
            if any(w in line for w in (" error: ", " fatal: ", " panic: ")):
                counts["errors_fatal_panic"] += 1
            if any(w in line for w in ("status=deferred", "status=bounced", " warning: ", " error: ", " fatal: ",
                                       " panic: ")) and len(examples) < 10:
                examples.append(line.rstrip())
    return counts, examples


def jarip_log_counts(path):
    levels, examples = {}, []
    try:
        f = open(path, encoding="utf-8", errors="replace")
    except OSError:
        return levels, examples
    with f:
        for line in f:
            try:
                level = json.loads(line).get("level", "?")
            except ValueError:
                level = "non-json"
            levels[level] = levels.get(level, 0) + 1
            if level in ("warn", "warning", "error", "fatal", "non-json") and len(examples) < 10:
                examples.append(line.rstrip()[:400])
    return levels, examples


def run_once(args, pool, n, key_file, record, out_dir):
    run_dir = os.path.join(out_dir, "pool%d" % pool)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    relay = pf.PostfixFixture(keep=args.keep).start()
    log("pool %d: postfix on %s:%d (%s)" % (pool, relay.host, relay.port, relay.dir))
    password_file = os.path.join(run_dir, "smtp-password")
    with open(password_file, "w") as f:
        f.write(relay.password + "\n")
    os.chmod(password_file, 0o600)
    j = Jarip(args.bin_dir, run_dir, relay, pool, key_file, password_file)
    try:
        j.start()
        rss_start = proc_status(j.proc.pid)
        log("pool %d: jarip pid %d on :%d; sending %d messages" % (pool, j.proc.pid, j.port, n))
        pcpu = PostfixCpu(relay._master_pid())
        pcpu.sample(baseline=True)
        jcpu0 = proc_cpu(j.proc.pid)[2]
        mcpu0 = machine_cpu()
        sampler = Sampler(j, relay, pcpu, os.path.join(run_dir, "samples.txt"), args.timeout + 60)
        sampler.start()

        ids, t0, t_first, t_last, send_retries = send_all(j, n, args.senders, "email-bench-%d-%d" % (pool, os.getpid()))
        accept_s = t_last - t0
        log("pool %d: accepted %d in %.2f s (%.0f msg/s)" % (pool, n, accept_s, n / accept_s))

        # Wait (bounded) for jarip to finish every message and for Postfix to deliver what it took.
        deadline = time.monotonic() + args.timeout
        conn = j.connection()
        done = delivered = failed = 0
        t_done = None
        while time.monotonic() < deadline:
            m = j.metrics(conn=conn)
            delivered = metric_sum(m, "jarip_messages_finished_total", state="delivered")
            failed = metric_sum(m, "jarip_messages_finished_total", state="failed")
            expired = metric_sum(m, "jarip_messages_finished_total", state="expired")
            done = delivered + failed + expired
            if done >= n and t_done is None:
                t_done = time.time()
            if done >= n and maildir_count(relay) >= delivered:
                break
            time.sleep(0.2)
        # Late duplicates would show up just after: give Postfix's queue a moment to drain.
        t_wait = time.monotonic() + 5
        while time.monotonic() < t_wait and (queue_count(relay, "incoming") + queue_count(relay, "active")) > 0:
            time.sleep(0.2)
        sampler.stop_event.set()
        sampler.join()
        mcpu1 = machine_cpu()
        jcpu1 = proc_cpu(j.proc.pid)[2]
        pcpu.sample()
        rss = proc_status(j.proc.pid)
        metrics = j.metrics(conn=conn)
        conn.close()
        with open(os.path.join(run_dir, "metrics.txt"), "w") as f:
            f.write(j.request("GET", "/metrics", auth=False)[1].decode("utf-8", "replace"))
        if done < n:
            log("pool %d: only %d of %d finished within %d s" % (pool, done, n, args.timeout))

        # Timelines: per-message status, attempts, exact latencies and delivery times.
        timelines = fetch_timelines(j, ids)
        status_counts, attempts_per_msg, latencies, delivered_at = {}, {}, [], []
        outcome_counts = {}
        for tl in timelines:
            st = (tl or {}).get("status", "unknown")
            status_counts[st] = status_counts.get(st, 0) + 1
            atts = (tl or {}).get("attempts") or []
            attempts_per_msg[len(atts)] = attempts_per_msg.get(len(atts), 0) + 1
            for a in atts:
                outcome_counts[a.get("outcome")] = outcome_counts.get(a.get("outcome"), 0) + 1
                s, e = ts(a.get("started_at")), ts(a.get("ended_at"))
                if s is not None and e is not None:
                    latencies.append(e - s)
            if st == "delivered" and atts and atts[-1].get("ended_at"):
                delivered_at.append(ts(atts[-1]["ended_at"]))
        not_delivered = [tl for tl in timelines if (tl or {}).get("status") != "delivered"]
        with open(os.path.join(run_dir, "not_delivered.json"), "w") as f:
            json.dump(not_delivered[:50], f, ensure_ascii=False, indent=1)

        check, mtimes = verify_maildir(relay, ids)
        dkim = dkim_sample(relay, record, run_dir)
        shutil.copy(relay.log_path, os.path.join(run_dir, "maillog"))
        pf_counts, pf_examples = maillog_counts(relay.log_path)
        j.stop()
        jl_levels, jl_examples = jarip_log_counts(j.log_path)

        last_delivered = max(delivered_at) if delivered_at else None
        e2e_s = (last_delivered - t_first) if last_delivered else None
        mail_first, mail_last = (min(mtimes), max(mtimes)) if mtimes else (None, None)
        busy = (mcpu1[0] - mcpu0[0]) / max(1, mcpu1[1] - mcpu0[1])
        window = (last_delivered or time.time()) - t0
        result = {
            "pool_size": pool, "messages": n, "senders": args.senders, "batch": BATCH,
            "accept": {"seconds": round(accept_s, 3), "msg_per_s": round(n / accept_s, 1), "http_retries": send_retries},
            "e2e_jarip": {"delivered": len(delivered_at),
                          "seconds": round(e2e_s, 3) if e2e_s else None,
                          "msg_per_s": round(len(delivered_at) / e2e_s, 1) if e2e_s else None,
                          "metrics_all_finished_after_s": round(t_done - t_first, 2) if t_done else None},
            "maildir": {"files": len(mtimes),
                        "seconds_from_first_accept": round(mail_last - t_first, 3) if mtimes else None,
                        "msg_per_s_from_first_accept": round(len(mtimes) / (mail_last - t_first), 1) if mtimes else None,
                        "first_file_after_s": round(mail_first - t_first, 3) if mtimes else None,
                        "msg_per_s_first_to_last_file": round((len(mtimes) - 1) / (mail_last - mail_first), 1)
                        if len(mtimes) > 1 and mail_last > mail_first else None},
            "attempt_latency_ms": {"p50": round(percentile(latencies, 0.50) * 1000, 1) if latencies else None,
                                   "p99": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
                                   "max": round(max(latencies) * 1000, 1) if latencies else None,
                                   "source": "timelines (started_at -> ended_at, ms resolution)"},
            "attempt_latency_histogram_ms": {
                "p50": _ms(histogram_quantile(metrics, "jarip_provider_request_seconds", 0.5, provider="relay")),
                "p99": _ms(histogram_quantile(metrics, "jarip_provider_request_seconds", 0.99, provider="relay")),
                "count": metric_sum(metrics, "jarip_provider_request_seconds_count", provider="relay"),
                "source": "/metrics jarip_provider_request_seconds{provider=\"relay\"}, interpolated in buckets"},
            "statuses": status_counts, "attempts_per_message": {str(k): v for k, v in sorted(attempts_per_msg.items())},
            "attempt_outcomes": outcome_counts,
            "metrics_attempts": {"%s" % l.get("outcome"): v for nm, l, v in metrics if nm == "jarip_attempts_total"},
            "jarip_store_commits": metric_sum(metrics, "jarip_store_commits"),
            "jarip_rss_kb": rss, "jarip_rss_kb_at_start": rss_start, "jarip_cpu_s": round(jcpu1 - jcpu0, 2),
            "postfix_cpu_s": pcpu.by_daemon(),
            "machine_busy_pct": round(100 * busy, 1), "machine_window_s": round(window, 2),
            "check": check, "dkim_sample": dkim,
            "postfix_log": pf_counts, "postfix_log_examples": pf_examples,
            "jarip_log_levels": jl_levels, "jarip_log_examples": jl_examples,
            "run_dir": run_dir,
        }
        with open(os.path.join(run_dir, "result.json"), "w") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)
        return result
    finally:
        j.stop()
        relay.stop()


def postfix_ceiling(args, n, conns, sample_path, out_dir):
    """The same Postfix set-up fed by Python's smtplib: `conns` threads, each STARTTLS + AUTH, 100
    messages per connection (jarip's limit), the bytes of a message jarip signed (Postfix's own
    trace headers removed, a distinct Message-ID each). What Postfix takes on this machine from a
    client that does nothing else: the ceiling to read jarip's e2e figure against."""
    with open(sample_path, "rb") as f:
        raw = f.read().replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    lines, skip = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skip:
                lines.append(line)
            continue
        skip = line.split(b":", 1)[0].lower() in (b"return-path", b"delivered-to", b"received")
        if not skip:
            lines.append(line)
    template = b"\r\n".join(lines) + b"\r\n\r\n" + body.replace(b"\n", b"\r\n")
    mid = re.search(rb"(?im)^message-id:\s*(<[^>]+>)", template).group(1)
    relay = pf.PostfixFixture(keep=args.keep).start()
    log("ceiling: smtplib, %d connections, %d messages into postfix on :%d" % (conns, n, relay.port))
    try:
        ctx = ssl.create_default_context(cafile=relay.ca_file)
        pcpu = PostfixCpu(relay._master_pid())
        pcpu.sample(baseline=True)
        mcpu0 = machine_cpu()
        own0 = os.times()
        lock = threading.Lock()
        state = {"next": 0, "errors": 0, "last": None}

        def worker():
            smtp, used = None, 0
            while True:
                with lock:
                    i = state["next"]
                    state["next"] += 1
                if i >= n:
                    break
                try:
                    if smtp is None or used >= 100:
                        if smtp is not None:
                            smtp.quit()
                        smtp = smtplib.SMTP(relay.host, relay.port, timeout=30)
                        smtp.starttls(context=ctx)
                        smtp.login(relay.username, relay.password)
                        used = 0
                    msg = template.replace(mid, b"<ceiling-%d@%s>" % (i, SENDER_DOMAIN.encode()), 1)
                    smtp.sendmail(SENDER, ["ceiling-%d@example.test" % i], msg)
                    used += 1
                    now = time.time()
                    with lock:
                        state["last"] = now if state["last"] is None else max(state["last"], now)
                except (OSError, smtplib.SMTPException) as e:
                    with lock:
                        state["errors"] += 1
                    log("ceiling: message %d: %r" % (i, e))
                    smtp = None
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass

        stop = threading.Event()

        def cpu_sampler():
            while not stop.wait(0.2):
                pcpu.sample()

        sampler = threading.Thread(target=cpu_sampler, daemon=True)
        sampler.start()
        t0 = time.time()
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        sampler.join()
        deadline = time.monotonic() + args.timeout
        while maildir_count(relay) < n - state["errors"] and time.monotonic() < deadline:
            pcpu.sample()
            time.sleep(0.2)
        mcpu1 = machine_cpu()
        own1 = os.times()
        pcpu.sample()
        mtimes = [os.stat(os.path.join(relay.maildir, sub, name)).st_mtime
                  for sub in ("new", "cur") if os.path.isdir(os.path.join(relay.maildir, sub))
                  for name in os.listdir(os.path.join(relay.maildir, sub))]
        shutil.copy(relay.log_path, os.path.join(out_dir, "ceiling.maillog"))
        last = max(mtimes) if mtimes else None
        result = {
            "connections": conns, "messages": n, "errors": state["errors"], "files": len(mtimes),
            "submit_msg_per_s": round(n / (state["last"] - t0), 1) if state["last"] else None,
            "maildir_msg_per_s": round(len(mtimes) / (last - t0), 1) if last else None,
            "postfix_cpu_s": pcpu.by_daemon(),
            "client_cpu_s": round((own1.user - own0.user) + (own1.system - own0.system), 2),
            "machine_busy_pct": round(100 * (mcpu1[0] - mcpu0[0]) / max(1, mcpu1[1] - mcpu0[1]), 1),
            "postfix_log": maillog_counts(relay.log_path)[0],
        }
        with open(os.path.join(out_dir, "ceiling.json"), "w") as f:
            json.dump(result, f, indent=1)
        return result
    finally:
        relay.stop()


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def table(results):
    rows = [
        ("pool_size", lambda r: str(r["pool_size"])),
        ("messages", lambda r: "%d" % r["messages"]),
        ("accept msg/s (batch 100)", lambda r: "%.0f" % r["accept"]["msg_per_s"]),
        ("e2e delivered msg/s (jarip)", lambda r: _f(r["e2e_jarip"]["msg_per_s"])),
        ("  first 202 -> last delivered, s", lambda r: _f(r["e2e_jarip"]["seconds"], "%.1f")),
        ("Maildir arrival msg/s (from first 202)", lambda r: _f(r["maildir"]["msg_per_s_from_first_accept"])),
        ("Maildir msg/s (first to last file)", lambda r: _f(r["maildir"]["msg_per_s_first_to_last_file"])),
        ("attempt p50 / p99 ms (timelines)",
         lambda r: "%s / %s" % (_f(r["attempt_latency_ms"]["p50"], "%.1f"), _f(r["attempt_latency_ms"]["p99"], "%.1f"))),
        ("attempt p50 / p99 ms (histogram)",
         lambda r: "%s / %s" % (_f(r["attempt_latency_histogram_ms"]["p50"], "%.1f"),
                                _f(r["attempt_latency_histogram_ms"]["p99"], "%.1f"))),
        ("attempts per message", lambda r: json.dumps(r["attempts_per_message"])),
        ("jarip RSS at start / end / HWM MB",
         lambda r: "%.1f / %.1f / %.1f" % (r["jarip_rss_kb_at_start"].get("VmRSS", 0) / 1024,
                                           r["jarip_rss_kb"].get("VmRSS", 0) / 1024,
                                           r["jarip_rss_kb"].get("VmHWM", 0) / 1024)),
        ("jarip CPU s / store commits", lambda r: "%.1f / %d" % (r["jarip_cpu_s"], r["jarip_store_commits"])),
        ("Postfix CPU s: total (sampled top 3)", lambda r: _cpu(r["postfix_cpu_s"])),
        ("machine busy % (2 cores)", lambda r: "%.0f" % r["machine_busy_pct"]),
        ("smtpd connections / TLS", lambda r: "%d / %d" % (r["postfix_log"]["smtpd_connects"],
                                                           r["postfix_log"]["tls_established"])),
        ("Postfix deferred / bounced", lambda r: "%d / %d" % (r["postfix_log"]["status_deferred"],
                                                              r["postfix_log"]["status_bounced"])),
        ("Maildir files / missing / dup", lambda r: "%d / %d / %d" % (r["check"]["files"], r["check"]["missing"],
                                                                      r["check"]["duplicated"])),
        ("DKIM sample", lambda r: r["dkim_sample"][:20]),
    ]
    width = max(len(name) for name, _ in rows)
    cols = [[fn(r) for r in results] for _, fn in rows]
    cw = [max([len(col[k]) for col in cols] + [8]) for k in range(len(results))]
    lines = []
    for (name, _), col in zip(rows, cols):
        lines.append(name.ljust(width) + "  " + "  ".join(c.rjust(w) for c, w in zip(col, cw)))
    return "\n".join(lines)


def _cpu(d):
    top = ", ".join("%s %.1f" % kv for kv in list((k, v) for k, v in d.items() if k != "total")[:3])
    return "%s (%s)" % (_f(d.get("total"), "%.1f"), top)


def _f(v, fmt="%.0f"):
    return "-" if v is None else fmt % v


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin-dir", default=os.environ.get("BENCH_BIN_DIR") or os.path.join(ROOT, "build-bench-email"))
    p.add_argument("--out", default=None, help="results directory (default bench/results/<UTC stamp>-email)")
    p.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_EMAIL_MESSAGES", "5000")))
    default_pool = int(os.environ.get("BENCH_SMTP_POOL", "8"))
    p.add_argument("--pools", default=os.environ.get("BENCH_EMAIL_POOLS", "1 %d" % default_pool))
    p.add_argument("--senders", type=int, default=int(os.environ.get("BENCH_EMAIL_SENDERS", "4")))
    p.add_argument("--timeout", type=int, default=int(os.environ.get("BENCH_EMAIL_TIMEOUT", "600")))
    p.add_argument("--ceiling", type=int, default=int(os.environ.get("BENCH_EMAIL_CEILING", "1")),
                   help="1: also feed the same Postfix by smtplib (the ceiling), 0: not")
    p.add_argument("--keep", action="store_true", help="keep the Postfix directories")
    args = p.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)

    if os.geteuid() != 0 or not os.path.exists(pf.POSTFIX) or not os.path.exists(pf.SASLPASSWD2):
        print("skip: needs root and postfix, sasl2-bin, libsasl2-modules (scripts/install-deps.sh --test)")
        return 0
    if not os.path.exists(os.path.join(args.bin_dir, "jarip")):
        print("error: no jarip binary in %s (build it, or set BENCH_BIN_DIR)" % args.bin_dir)
        return 2
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    out_dir = os.path.abspath(args.out or os.path.join(ROOT, "bench", "results",
                                                       time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-email"))
    os.makedirs(out_dir, exist_ok=True)
    pools = [int(x) for x in args.pools.split()]
    jarip_bin = os.path.join(args.bin_dir, "jarip")
    machine = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "binary": "%s (%s)" % (jarip_bin, time.strftime("%Y-%m-%d %H:%M", time.localtime(os.stat(jarip_bin).st_mtime))),
        "cores": os.cpu_count(), "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "postfix": subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "postfix"], capture_output=True,
                                  text=True).stdout,
    }
    log("bin %s, %d messages, pools %s, out %s, loadavg %s" % (args.bin_dir, args.messages, pools, out_dir,
                                                               " ".join(machine["loadavg_start"])))

    private_key, record = keygen(jarip_bin)
    key_dir = tempfile.mkdtemp(prefix="jarip-email-bench-")
    atexit.register(shutil.rmtree, key_dir, True)
    key_file = os.path.join(key_dir, "dkim.key")
    with open(key_file, "w") as f:
        f.write(private_key)
    os.chmod(key_file, 0o600)

    results = []
    for pool in pools:
        results.append(run_once(args, pool, args.messages, key_file, record, out_dir))
        r = results[-1]
        log("pool %d: e2e %s msg/s, Maildir %s msg/s, %d files, %d missing, %d duplicated" % (
            pool, r["e2e_jarip"]["msg_per_s"], r["maildir"]["msg_per_s_from_first_accept"], r["check"]["files"],
            r["check"]["missing"], r["check"]["duplicated"]))
    ceiling = None
    sample = os.path.join(results[-1]["run_dir"], "sample.eml")
    if args.ceiling and os.path.exists(sample):
        ceiling = postfix_ceiling(args, args.messages, max(pools), sample, out_dir)
        log("ceiling: smtplib x%d: submitted %s msg/s, Maildir %s msg/s, %d errors" % (
            max(pools), ceiling["submit_msg_per_s"], ceiling["maildir_msg_per_s"], ceiling["errors"]))
    machine["loadavg_end"] = open("/proc/loadavg").read().split()[:3]

    ok = all(r["check"]["missing"] == 0 and r["check"]["duplicated"] == 0 and r["check"]["unexpected"] == 0
             and r["check"]["wrong_to"] == 0 and r["check"]["wrong_subject"] == 0
             and r["check"]["without_message_id"] == 0 and r["check"]["files"] == r["messages"] for r in results)
    summary = {"ok": ok, "machine": machine, "runs": [
        {k: r[k] for k in ("pool_size", "messages", "accept", "e2e_jarip", "maildir", "attempt_latency_ms",
                           "attempt_latency_histogram_ms", "statuses", "attempts_per_message", "jarip_store_commits",
                           "jarip_rss_kb", "jarip_rss_kb_at_start",
                           "jarip_cpu_s", "postfix_cpu_s", "machine_busy_pct", "postfix_log", "dkim_sample")}
        | {"check": {k: v for k, v in r["check"].items() if k != "examples"}} for r in results],
        "postfix_ceiling_smtplib": ceiling}
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)
    print("email_bench " + json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
    print()
    print(table(results))
    if ceiling:
        print("ceiling, same Postfix fed by smtplib (%d connections, %d messages): submitted %s msg/s, in the Maildir "
              "%s msg/s; Postfix CPU %s; client CPU %.1f s; machine busy %.0f %%; %d errors" % (
                  ceiling["connections"], ceiling["messages"], ceiling["submit_msg_per_s"],
                  ceiling["maildir_msg_per_s"],
                  _cpu(ceiling["postfix_cpu_s"]),
                  ceiling["client_cpu_s"], ceiling["machine_busy_pct"], ceiling["errors"]))
    print()
    for r in results:
        if r["postfix_log_examples"] or r["jarip_log_examples"]:
            print("pool %d: postfix log: %s" % (r["pool_size"], r["postfix_log_examples"][:3]))
            print("pool %d: jarip log levels %s: %s" % (r["pool_size"], r["jarip_log_levels"], r["jarip_log_examples"][:3]))
        if r["check"]["missing"] or r["check"]["duplicated"] or r["check"]["unexpected"]:
            print("pool %d: check examples: %s" % (r["pool_size"], r["check"]["examples"]))
    print("raw results: %s" % out_dir)
    print("verdict: %s" % ("every message arrived exactly once" if ok else "MISSING, DUPLICATED OR WRONG MESSAGES"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
