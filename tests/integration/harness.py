"""Shared code for jarip's integration tests (standard library only).

Each test script builds a Bench: a temp directory with its own sim.json and jarip.toml on free
loopback ports, starts jarip-sim and jarip as real processes, and guarantees that every process it
started is ended on exit (normal, failure, exception, SIGTERM/SIGINT of the test itself).

Counting rule: loss and duplicates are counted on the far side, from the simulator's raw record
(GET /_sim/received?summary=1), never from jarip's own bookkeeping. jarip's message view is used
only to find which attempts it recorded as ambiguous (the one case where a duplicate is allowed).
"""

import argparse
import atexit
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

# Sim credentials (the jarip side must use the same values).
SOLAPI_KEY = "NCSITESTKEY00001"
SOLAPI_SECRET = "ITESTSECRETITESTSECRETITESTSEC00"
SOLAPI_PFID = "KA01PF000000000000000000ITS"
SOLAPI_REPORT_TOKEN = "it-report-token-7d3e"
NHN_AT_APPKEY = "itAlimtalkAppKey"
NHN_SMS_APPKEY = "itSmsAppKey"
NHN_SECRET = "itSecretKey"
NHN_SENDER_KEY = "00000000000000000000000000000000000000it"
NHN_SIGNATURE = "it-webhook-signature"
SENDER = "02-1234-5678"
SHIP_TEXT = "#{name}님 주문 #{order}번이 발송되었습니다."
NON_KAKAO = "01099990000"
IT_LINK_SECRET = "6a61726970" + "0" * 54
KAKAO_BLOCKED = "01099990001"


# ---------------------------------------------------------------------------------------------
# command line, results


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--bin-dir", default=os.path.join(HERE, "..", "..", "build"))
    p.add_argument("--source-dir", default=os.path.join(HERE, "..", ".."))
    p.add_argument("--keep", action="store_true", help="keep the temp directory")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    a.bin_dir = os.path.abspath(a.bin_dir)
    a.source_dir = os.path.abspath(a.source_dir)
    return a


def log(*parts):
    print("[%7.2f]" % (time.monotonic() - _T0), *parts, flush=True)


_T0 = time.monotonic()


class Results:
    """Collects checks; prints 'N passed, N failed' as the last line and exits non-zero on failure."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.expected_failures = []
        self._lock = threading.Lock()

    def check(self, name, ok, detail=""):
        with self._lock:
            if ok:
                self.passed += 1
                print("  ok   %s" % name, flush=True)
            else:
                self.failed += 1
                self.failures.append((name, detail))
                print("  FAIL %s%s" % (name, (": " + str(detail)) if detail else ""), flush=True)
        return ok

    def check_eq(self, name, actual, expected):
        return self.check(name, actual == expected, "expected %r, got %r" % (expected, actual))

    def known_bug(self, name, ok, detail):
        """A check that fails because of a known jarip bug owned by someone else. Still counted as
        FAILED (visible in the final line) but labelled so the reader knows it is documented."""
        if ok:
            return self.check(name, True)
        with self._lock:
            self.expected_failures.append((name, detail))
        return self.check("[KNOWN BUG] " + name, False, detail)

    def finish(self):
        if self.failures:
            print("\nFailures in %s:" % self.name)
            for n, d in self.failures:
                print("  - %s: %s" % (n, d))
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------------------------
# small helpers


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_ports(n):
    ports = set()
    socks = []
    while len(ports) < n:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.add(s.getsockname()[1])
    for s in socks:
        s.close()
    return sorted(ports)


def wait_for(cond, timeout, interval=0.05, what="condition"):
    """Polls cond() until it returns a truthy value (returned) or timeout seconds pass (None)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - the condition may race with start-up
            last_exc = e
        if time.monotonic() >= deadline:
            if last_exc is not None:
                log("wait_for(%s) timed out; last error: %r" % (what, last_exc))
            return None
        time.sleep(interval)


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except Exception:  # noqa: BLE001
            return None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "HttpResult(%s, %r)" % (self.status, self.body[:300])


def http_request(url, method="GET", body=None, headers=None, timeout=10, context=None):
    """One request on a fresh connection. body: bytes, str or JSON-able object."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
    try:
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path or "/", body=data, headers=hdrs)
        r = conn.getresponse()
        return HttpResult(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class KeepAliveClient:
    """A persistent HTTP/1.1 connection (one per thread); reconnects on failure."""

    def __init__(self, host, port, timeout=15, context=None):
        self.host, self.port, self.timeout, self.context = host, port, timeout, context
        self.conn = None

    def _connect(self):
        if self.context is not None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, data=None, headers=None):
        if self.conn is None:
            self._connect()
        try:
            self.conn.request(method, path, body=data, headers=headers or {})
            r = self.conn.getresponse()
            body = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return HttpResult(r.status, r.getheaders(), body)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001
                pass
            self.conn = None


# ---------------------------------------------------------------------------------------------
# processes

_ALL_PROCS = []
_ALL_LOCK = threading.Lock()


def _kill_all_started():
    with _ALL_LOCK:
        procs = list(_ALL_PROCS)
    for p in procs:
        if p.poll() is None:
            try:
                p.kill()
            except Exception:  # noqa: BLE001
                pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass


atexit.register(_kill_all_started)


def _on_signal(signum, frame):
    _kill_all_started()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)


def _spawn(argv, log_path, env=None):
    f = open(log_path, "ab")
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                         start_new_session=True)
    f.close()
    with _ALL_LOCK:
        _ALL_PROCS.append(p)
    return p


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------------------
# the simulator


class Sim:
    def __init__(self, bench, report_delay_ms=20, seed=7, extra=None, name=""):
        self.bench = bench
        self.dir = os.path.join(bench.dir, name) if name else bench.dir
        os.makedirs(self.dir, exist_ok=True)
        ports = free_ports(4)
        self.admin_port, self.solapi_port, self.nhn_at_port, self.nhn_sms_port = ports
        self.report_delay_ms = report_delay_ms
        self.seed = seed
        self.extra = extra or {}
        self.proc = None
        self.log_path = os.path.join(self.dir, "sim.log")
        self.config_path = os.path.join(self.dir, "sim.json")
        self.admin = "http://127.0.0.1:%d" % self.admin_port

    def config(self, jarip_port):
        ship_buttons_solapi = [{"buttonType": "WL", "buttonName": "배송조회",
                                "linkMo": "https://example.com/track", "linkPc": "https://example.com/track"}]
        ship_buttons_nhn = [{"ordering": 1, "type": "WL", "name": "배송조회",
                             "linkMo": "https://example.com/track", "linkPc": "https://example.com/track"}]
        c = {
            "listen_host": "127.0.0.1",
            "admin_port": self.admin_port,
            "report_delay_ms": self.report_delay_ms,
            "report_batch_max": 200,
            "non_kakao_users": [NON_KAKAO],
            "kakao_blocked": [KAKAO_BLOCKED],
            "solapi": {
                "port": self.solapi_port,
                "api_key": SOLAPI_KEY,
                "api_secret": SOLAPI_SECRET,
                "pf_id": SOLAPI_PFID,
                "senders": ["0212345678"],
                "webhook_url": "http://127.0.0.1:%d/v1/providers/solapi/reports?token=%s" % (jarip_port, SOLAPI_REPORT_TOKEN),
                "templates": [
                    {"template_id": "KA01TP000000000000000000SHIP", "content": SHIP_TEXT, "buttons": ship_buttons_solapi},
                    {"template_id": "KA01TP0000000000000000PLAIN", "content": "#{name}님 안녕하세요. 코드 #{code}"},
                ],
            },
            "nhn": {
                "alimtalk_port": self.nhn_at_port,
                "sms_port": self.nhn_sms_port,
                "alimtalk_appkey": NHN_AT_APPKEY,
                "sms_appkey": NHN_SMS_APPKEY,
                "secret_key": NHN_SECRET,
                "sender_key": NHN_SENDER_KEY,
                "send_nos": ["0212345678"],
                "webhook_url": "http://127.0.0.1:%d/v1/providers/nhn/reports" % jarip_port,
                "webhook_signature": NHN_SIGNATURE,
                "templates": [
                    {"template_code": "JARIP_SHIP", "content": SHIP_TEXT, "buttons": ship_buttons_nhn},
                    {"template_code": "JARIP_PLAIN", "content": "#{name}님 안녕하세요. 코드 #{code}"},
                ],
            },
        }
        c.update(self.extra)
        return c

    def start(self, jarip_port):
        with open(self.config_path, "w", encoding="utf-8") as f:
            json.dump(self.config(jarip_port), f, ensure_ascii=False, indent=1)
        self.proc = _spawn([self.bench.bin("jarip-sim"), "--config", self.config_path, "--seed", str(self.seed)],
                           self.log_path)
        ok = wait_for(lambda: self.get("/_sim/health").status == 200, 10, what="sim health")
        if not ok:
            raise RuntimeError("jarip-sim did not start:\n" + tail(self.log_path))

    def stop(self):
        """SIGTERM (then SIGKILL after 5 s)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    # admin API
    def get(self, path, timeout=30):
        return http_request(self.admin + path, timeout=timeout)

    def get_json(self, path, timeout=30):
        r = self.get(path, timeout)
        if r.status != 200:
            raise RuntimeError("sim %s -> %s" % (path, r))
        return r.json()

    def fault(self, provider="*", channel="*", mode="down", **kw):
        body = {"provider": provider, "channel": channel, "mode": mode}
        body.update(kw)
        r = http_request(self.admin + "/_sim/faults", "POST", body)
        if r.status // 100 != 2:
            raise RuntimeError("sim fault %r -> %r" % (body, r))
        time.sleep(0.03)  # the listener follows the rules within 5 ms
        return r

    def clear_faults(self):
        r = http_request(self.admin + "/_sim/faults", "DELETE")
        if r.status // 100 != 2:
            raise RuntimeError("sim clear faults -> %r" % r)
        time.sleep(0.03)

    def clear_received(self):
        http_request(self.admin + "/_sim/received", "DELETE")

    def received(self, **filters):
        q = urllib.parse.urlencode(filters)
        return self.get_json("/_sim/received" + ("?" + q if q else ""))

    def records(self, **filters):
        """Every raw record matching the filters (paged)."""
        out = []
        offset = 0
        while True:
            f = dict(filters)
            f.update(limit=5000, offset=offset)
            page = self.received(**f)
            items = page.get("messages", page.get("received", page.get("items"))) if isinstance(page, dict) else page
            if items is None:
                raise RuntimeError("unexpected /_sim/received shape: %r" % (str(page)[:300]))
            out.extend(items)
            if len(items) < 5000:
                return out
            offset += len(items)

    def summary(self, **filters):
        f = dict(filters)
        f["summary"] = 1
        return self.received(**f)

    def delivered_counts(self, **filters):
        """{jarip message id: number of delivered records at the sim, across providers/channels}."""
        return self.summary(outcome="delivered", **filters).get("counts", {})

    def stats(self):
        return self.get_json("/_sim/stats")


# ---------------------------------------------------------------------------------------------
# jarip


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
        for k, v in kv.items():
            out.append("%s = %s" % (k, toml_value(v)))
        out.append("")
    return "\n".join(out)


class Jarip:
    def __init__(self, bench, sim, overrides=None, tls=None, name=""):
        self.bench = bench
        self.sim = sim
        self.port = free_port()
        self.dir = os.path.join(bench.dir, name) if name else bench.dir
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = os.path.join(self.dir, "data")
        self.templates_dir = os.path.join(self.dir, "templates")
        self.config_path = os.path.join(self.dir, "jarip.toml")
        self.log_path = os.path.join(self.dir, "jarip.log")
        self.overrides = overrides or {}
        self.tls = tls  # (cert_file, key_file, ssl context for clients) or None
        self.proc = None
        self.key = None
        self.starts = 0
        self._local = threading.local()
        os.makedirs(self.templates_dir, exist_ok=True)
        shutil.copy(os.path.join(bench.args.source_dir, "config", "templates", "order_shipped.json"),
                    os.path.join(self.templates_dir, "order_shipped.json"))

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def config_tables(self):
        s = self.sim
        t = {
            "server": {"host": "127.0.0.1", "port": self.port, "io_threads": 2, "shutdown_grace_s": 10},
            "storage": {"data_dir": self.data_dir},
            "templates": {"dir": self.templates_dir},
            "log": {"level": "info"},
            "delivery": {"default_chain": ["alimtalk", "sms"], "report_deadline_s": 3, "max_step_attempts": 4,
                         "retry_base_ms": 100, "retry_cap_ms": 1000, "lease_s": 3},
            "delivery.channels": {"alimtalk": ["solapi", "nhn"], "sms": ["nhn", "solapi"]},
            "ads": {"sender_name": "자립상점", "opt_out_number": "080-123-4567"},
            "breaker": {"window_ms": 2000, "min_requests": 10, "failure_ratio": 0.5, "consecutive_failures": 5,
                        "open_ms": 500, "max_open_ms": 2000},
            "providers.solapi": {
                "type": "solapi", "base_url": "http://127.0.0.1:%d" % s.solapi_port,
                "api_key": SOLAPI_KEY, "api_secret": SOLAPI_SECRET, "pf_id": SOLAPI_PFID, "sender": SENDER,
                "report_token": SOLAPI_REPORT_TOKEN, "timeout_ms": 2000,
                "price_alimtalk": 8.0, "price_sms": 18.0, "price_lms": 45.0},
            "providers.nhn": {
                "type": "nhn", "alimtalk_base_url": "http://127.0.0.1:%d" % s.nhn_at_port,
                "sms_base_url": "http://127.0.0.1:%d" % s.nhn_sms_port,
                "alimtalk_appkey": NHN_AT_APPKEY, "sms_appkey": NHN_SMS_APPKEY, "secret_key": NHN_SECRET,
                "sender_key": NHN_SENDER_KEY, "sender": SENDER, "webhook_signature": NHN_SIGNATURE,
                "timeout_ms": 2000, "price_alimtalk": 7.5, "price_sms": 17.0, "price_lms": 40.0},
        }
        storage_url = os.environ.get("JARIP_IT_STORAGE_URL")
        if storage_url:
            # The same test against PostgreSQL (tests/integration/pg_fixture.py starts one): nodes of
            # a cluster share the link secret.
            t["storage"]["url"] = storage_url
            t["public"] = {"link_secret": IT_LINK_SECRET}
        if self.tls:
            t["server"]["tls_cert_file"] = self.tls[0]
            t["server"]["tls_key_file"] = self.tls[1]
        for key, value in self.overrides.items():
            table, k = key.rsplit(".", 1)
            t.setdefault(table, {})
            if value is None:
                t[table].pop(k, None)
            else:
                t[table][k] = value
        return t

    def write_config(self):
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(to_toml(self.config_tables()))

    def cli(self, *args, env=None, timeout=30, with_key=True, url=None):
        """Runs the jarip binary; returns CompletedProcess (text)."""
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("JARIP_"):
                del e[k]
        if with_key and self.key:
            e["JARIP_API_KEY"] = self.key
        e["JARIP_URL"] = url or self.url
        if env:
            e.update(env)
        return subprocess.run([self.bench.bin("jarip")] + list(args), capture_output=True, text=True, env=e,
                              timeout=timeout)

    def create_key(self, name="it"):
        r = self.cli("keys", "create", "--name", name, "--config", self.config_path, with_key=False)
        if r.returncode != 0:
            raise RuntimeError("keys create failed: %s %s" % (r.stdout, r.stderr))
        key = r.stdout.strip().splitlines()[-1].strip()
        return key

    def start(self, wait_ready=True):
        self.write_config()
        if self.key is None:
            self.key = self.create_key()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JARIP_")}
        self.proc = _spawn([self.bench.bin("jarip"), "serve", "--config", self.config_path], self.log_path, env=env)
        self.starts += 1
        if wait_ready:
            ok = wait_for(lambda: self.proc.poll() is None and self.get_raw("/readyz").status == 200, 20,
                          what="jarip ready")
            if not ok:
                raise RuntimeError("jarip did not become ready (rc=%s):\n%s" % (self.proc.poll(), tail(self.log_path)))

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        return self.proc.returncode

    def sigterm(self, timeout=30):
        """SIGTERM; returns the exit code (None if it did not exit in time, then it is killed)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def restart(self):
        self.start()

    # client
    def ssl_context(self):
        return self.tls[2] if self.tls else None

    def _client(self):
        c = getattr(self._local, "client", None)
        if c is None or c.port != self.port:
            c = KeepAliveClient("127.0.0.1", self.port, context=self.ssl_context())
            self._local.client = c
        return c

    def call(self, method, path, body=None, headers=None, key=True, keep_alive=True):
        hdrs = {}
        if key:
            hdrs["Authorization"] = "Bearer " + (self.key if key is True else key)
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        if keep_alive:
            return self._client().request(method, path, data, hdrs)
        return http_request(self.url + path, method, data, hdrs, context=self.ssl_context())

    def get_raw(self, path):
        return http_request(self.url + path, timeout=3, context=self.ssl_context())

    def send(self, msg, headers=None):
        return self.call("POST", "/v1/messages", msg, headers)

    def batch(self, msgs, headers=None):
        return self.call("POST", "/v1/messages/batch", {"messages": msgs}, headers)

    def get(self, mid):
        return self.call("GET", "/v1/messages/" + mid)

    def message(self, mid):
        r = self.get(mid)
        return r.json() if r.status == 200 else None

    def cancel(self, mid):
        return self.call("DELETE", "/v1/messages/" + mid)

    def channels(self):
        return self.call("GET", "/v1/channels").json()

    def metrics(self):
        return self.call("GET", "/metrics", key=False).body.decode()

    def metric_sum(self, name, **labels):
        """Sum of a Prometheus counter over series whose labels include the given ones."""
        total = 0.0
        for line in self.metrics().splitlines():
            if not line.startswith(name) or line.startswith("#"):
                continue
            series, _, value = line.rpartition(" ")
            if series.split("{")[0] != name:
                continue
            ok = all(('%s="%s"' % (k, v)) in series for k, v in labels.items())
            if ok:
                try:
                    total += float(value)
                except ValueError:
                    pass
        return total

    def wait_state(self, mid, states, timeout=15):
        if isinstance(states, str):
            states = (states,)
        return wait_for(lambda: (lambda m: m if m and m.get("status") in states else None)(self.message(mid)),
                        timeout, interval=0.05, what="message %s in %s" % (mid, states))


# ---------------------------------------------------------------------------------------------
# the bench


class Bench:
    """with Bench('name') as b: ... -- owns the temp dir and every process started through it."""

    def __init__(self, name, args=None):
        self.args = args or parse_args()
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="jarip-it-%s-" % name)
        self.results = Results(name)
        self.sims = []
        self.jarips = []
        self.keep = self.args.keep

    def bin(self, name):
        p = os.path.join(self.args.bin_dir, name)
        if not os.path.exists(p):
            raise RuntimeError("missing binary %s (build it first)" % p)
        return p

    def sim(self, **kw):
        s = Sim(self, **kw)
        self.sims.append(s)
        return s

    def jarip(self, sim, **kw):
        j = Jarip(self, sim, **kw)
        self.jarips.append(j)
        return j

    def start_pair(self, sim_kw=None, jarip_kw=None, name=""):
        """Sim then jarip (the sim's webhooks point at jarip's port)."""
        s = self.sim(name=name, **(sim_kw or {}))
        j = self.jarip(s, name=name, **(jarip_kw or {}))
        s.start(j.port)
        j.start()
        return s, j

    def __enter__(self):
        log("bench %s in %s" % (self.name, self.dir))
        return self

    def cleanup(self):
        for j in self.jarips:
            if j.proc and j.proc.poll() is None:
                j.proc.kill()
                j.proc.wait()
        for s in self.sims:
            if s.proc and s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        _kill_all_started()

    def __exit__(self, et, ev, tb):
        if et is not None:
            print("EXCEPTION: %s" % "".join(traceback.format_exception(et, ev, tb)), flush=True)
            self.results.check("test ran to completion without an exception", False, repr(ev))
        self.cleanup()
        if self.results.failed or et is not None:
            for j in self.jarips:
                print("---- tail of %s\n%s" % (j.log_path, tail(j.log_path, 25)))
            self.keep = True
        if self.keep:
            print("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return True  # the exception was counted as a failure

    def exit(self):
        code = self.results.finish()
        sys.exit(code)


# ---------------------------------------------------------------------------------------------
# streams and far-side accounting


def phone_for(i):
    """A distinct valid mobile number per index (never the sim's special numbers)."""
    return "010%08d" % (20000000 + i)


def ship_message(i, tag="s"):
    return {"recipient": {"phone": phone_for(i)}, "template": "order_shipped",
            "vars": {"name": "고객%d" % i, "order": "%s-%d" % (tag, i)}}


class Stream:
    """Sends n messages at about `rate` per second from `clients` threads, each on its own keep-alive
    connection. Records, per index, the HTTP status and the id for 202 answers. `on_progress(i)` is
    called (from a sender thread) when message i is about to be sent, so a test can inject faults at
    a fraction of the stream. Connection errors are recorded as status 0 (not accepted)."""

    def __init__(self, jarip, n, rate, clients=8, make=ship_message, tag="s"):
        self.jarip, self.n, self.rate, self.clients = jarip, n, rate, clients
        self.make, self.tag = make, tag
        self.status = [None] * n
        self.ids = [None] * n
        self.sent_at = [None] * n
        self.errors = {}
        self._next = 0
        self._lock = threading.Lock()
        self.hooks = []  # (index, fn) called once when index is reached
        self.stop_flag = False
        self.started = None
        self.elapsed = None
        self.retries = 0
        self.retry_for = 30.0
        self.targets = None
        self._workers_started = 0

    def at(self, index, fn):
        self.hooks.append([index, fn, False])

    def _take(self):
        with self._lock:
            if self.stop_flag or self._next >= self.n:
                return None
            i = self._next
            self._next += 1
            due = []
            for h in self.hooks:
                if not h[2] and i >= h[0]:
                    h[2] = True
                    due.append(h[1])
        for fn in due:
            fn()
        # pace: message i is due at started + i / rate
        delay = self.started + i / self.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return i

    def _worker(self):
        # With several nodes (self.targets), clients spread over them and a client whose node stops
        # answering moves to the next one, as behind a load balancer.
        targets = self.targets or [self.jarip]
        with self._lock:
            pick = self._workers_started
            self._workers_started += 1
        node = targets[pick % len(targets)]
        client = KeepAliveClient("127.0.0.1", node.port, timeout=15, context=node.ssl_context())
        hdrs = {"Authorization": "Bearer " + self.jarip.key, "Content-Type": "application/json"}
        try:
            while True:
                i = self._take()
                if i is None:
                    return
                data = json.dumps(self.make(i, self.tag), ensure_ascii=False).encode()
                self.sent_at[i] = time.monotonic()
                # A real client retries a request that got no answer (the server was killed or
                # restarting) with the same Idempotency-Key, so a POST that was committed but whose
                # answer was lost is answered from the idempotency record, not stored twice.
                h = dict(hdrs)
                h["Idempotency-Key"] = "%s-%d" % (self.tag, i)
                give_up = time.monotonic() + self.retry_for
                while True:
                    try:
                        r = client.request("POST", "/v1/messages", data, h)
                        self.status[i] = r.status
                        if r.status == 202:
                            self.ids[i] = r.json()["id"]
                        elif r.status not in self.errors:
                            self.errors[r.status] = r.body[:200]
                        if r.status == 503 and time.monotonic() < give_up:
                            time.sleep(0.05)
                            continue
                        break
                    except Exception as e:  # noqa: BLE001 - the server may be killed mid-request
                        self.status[i] = 0
                        self.errors.setdefault(0, repr(e))
                        self.retries += 1
                        if time.monotonic() >= give_up:
                            break
                        if len(targets) > 1:
                            pick += 1
                            node = targets[pick % len(targets)]
                            client.close()
                            client = KeepAliveClient("127.0.0.1", node.port, timeout=15, context=node.ssl_context())
                        time.sleep(0.05)
        finally:
            client.close()

    def run(self):
        self.started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(self.clients) as ex:
            futs = [ex.submit(self._worker) for _ in range(self.clients)]
            for f in futs:
                f.result()
        self.elapsed = time.monotonic() - self.started
        return self

    def start_background(self):
        t = threading.Thread(target=self.run, daemon=True)
        t.start()
        return t

    def accepted_ids(self):
        return [x for x in self.ids if x]

    def counts(self):
        c = {}
        for s in self.status:
            c[s] = c.get(s, 0) + 1
        return c

    def describe(self):
        return "%d messages in %.1f s (%.0f/s), statuses %s, %d retried requests" % (
            self.n, self.elapsed or 0, self.n / (self.elapsed or 1), self.counts(), self.retries)


def ambiguous_ids(jarip, ids, workers=8):
    """Of the given message ids, those with at least one attempt recorded 'ambiguous' by jarip."""
    out = set()

    def one(mid):
        m = jarip.message(mid)
        if m and any(a.get("outcome") == "ambiguous" for a in m.get("attempts", [])):
            return mid
        return None

    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        for r in ex.map(one, ids):
            if r:
                out.add(r)
    return out


def await_all_delivered(sim, ids, timeout):
    """Waits until the sim has at least one delivered record for every id; returns the counts."""
    want = set(ids)
    last = {}

    def done():
        nonlocal last
        last = sim.delivered_counts()
        return all(last.get(i, 0) >= 1 for i in want)

    wait_for(done, timeout, interval=0.5, what="all delivered at the sim")
    return last


def account(results, label, sim, jarip, ids, timeout=60):
    """The far-side accounting every drill uses. Returns a dict of numbers (also printed)."""
    t0 = time.monotonic()
    counts = await_all_delivered(sim, ids, timeout)
    waited = time.monotonic() - t0
    time.sleep(0.5)  # let stragglers (late duplicates) arrive before the final count
    counts = sim.delivered_counts()
    missing = [i for i in ids if counts.get(i, 0) == 0]
    dups = [i for i in ids if counts.get(i, 0) > 1]
    amb = ambiguous_ids(jarip, dups) if dups else set()
    unexplained = [i for i in dups if i not in amb]
    # Of those, the ones where jarip's own timeline shows two delivered attempts: the attempt was
    # ambiguous (crash, timeout, deadline) but a late report overwrote that outcome.
    overwritten = []
    for i in unexplained:
        m = jarip.message(i) or {}
        if sum(1 for a in m.get("attempts", []) if a.get("outcome") == "delivered") >= 2:
            overwritten.append(i)
    silent = [i for i in unexplained if i not in set(overwritten)]
    foreign = [i for i in counts if i not in set(ids)]
    try:
        amb_metric = int(jarip.metric_sum("jarip_ambiguous_attempts_total"))
    except Exception:  # noqa: BLE001 - jarip may be stopped
        amb_metric = -1
    numbers = {"accepted": len(ids), "delivered_once": sum(1 for i in ids if counts.get(i, 0) == 1),
               "missing": len(missing), "duplicates": len(dups), "dup_with_ambiguous_attempt": len(amb),
               "dup_two_delivered_attempts": len(overwritten), "dup_silent": len(silent), "ambiguous_attempts_metric": amb_metric,
               "unknown_ids_at_sim": len(foreign), "wait_s": round(waited, 1)}
    log("%s: %s" % (label, json.dumps(numbers)))
    results.check("%s: every 202 delivered per the sim (missing %d of %d)" % (label, len(missing), len(ids)),
                  not missing, "first missing: %s" % missing[:5])
    results.check("%s: no duplicate that jarip's record does not show (%d silent)" % (label, len(silent)),
                  not silent, "first: %s" % [(i, counts.get(i)) for i in silent[:5]])
    results.known_bug("%s: every duplicate has an attempt recorded ambiguous (%d have two 'delivered' attempts instead)"
                      % (label, len(overwritten)), not overwritten,
                      "apply_report_batch (src/notify/report_ops.cpp) overwrites an attempt's 'ambiguous' outcome "
                      "(error interrupted / report_timeout / transport) with the late report's delivered/failed, so "
                      "the record no longer says why the message was sent twice; e.g. %s" % overwritten[:2])
    if amb:
        log("%s: %d duplicates explained by ambiguous attempts, e.g. %s" % (label, len(amb), sorted(amb)[:3]))
    for mid in unexplained[:2]:
        m = jarip.message(mid) or {}
        tl = [(a.get("step"), a.get("channel") + "@" + a.get("provider", ""), a.get("outcome"), a.get("started_at"),
               a.get("ended_at"), (a.get("error") or {}).get("code")) for a in m.get("attempts", [])]
        recs = [(x["provider"], x["channel"], x["dedup_key"], x["outcome"], x["status_code"], x["received_at"],
                 x.get("final_at")) for x in sim.received(message_id=mid)["messages"]]
        log("%s: unexplained duplicate %s: jarip %s via %s timeline %s; sim %s" % (
            label, mid, m.get("status"), m.get("delivered_via"), tl, recs))
    return numbers, counts, missing


class BreakerWatch:
    """Polls GET /v1/channels in the background and records every breaker state seen per provider,
    in order (consecutive repeats folded)."""

    def __init__(self, jarip, interval=0.05):
        self.jarip, self.interval = jarip, interval
        self.seen = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        client = KeepAliveClient("127.0.0.1", self.jarip.port, timeout=5, context=self.jarip.ssl_context())
        hdrs = {"Authorization": "Bearer " + self.jarip.key}
        while not self._stop.is_set():
            try:
                r = client.request("GET", "/v1/channels", None, hdrs)
                for p in (r.json() or {}).get("providers", []):
                    seq = self.seen.setdefault(p["provider"], [])
                    if not seq or seq[-1] != p["breaker"]:
                        seq.append(p["breaker"])
            except Exception:  # noqa: BLE001 - jarip may be restarting
                time.sleep(0.1)
            self._stop.wait(self.interval)
        client.close()

    def start(self):
        self._t.start()
        return self

    def stop(self):
        self._stop.set()
        self._t.join(timeout=5)

    def state(self, provider):
        seq = self.seen.get(provider) or ["?"]
        return seq[-1]

    def opened_and_closed(self, provider):
        seq = self.seen.get(provider, [])
        if "open" not in seq:
            return False
        return "closed" in seq[seq.index("open"):]


def breakers_closed(jarip, providers=("solapi", "nhn")):
    st = {p["provider"]: p["breaker"] for p in jarip.channels().get("providers", [])}
    return all(st.get(p) == "closed" for p in providers)
