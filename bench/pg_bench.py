#!/usr/bin/env python3
"""Drivers and meters for bench/pg_bench.sh (standard library only; the load runs on the core the script
is pinned to). Every loop is bounded by a count and a time limit.

  customers  --url U --key K --n 100                    PUT /v1/customers/bench-c0 … bench-c99
  batch      --url U[,U2] --key K --messages 50000 --batch 1000 --inflight 16 --kind inbox|phone
             POST /v1/messages/batch: exactly --messages messages, --inflight requests at a time
  drain      --url U[,U2] --key K --providers inbox --action post|delete
  e2e        --url U[,U2] --sim S --seconds 62 --drain-max 180   (run beside the load: samples the
             simulator's received count every second, then waits until it reaches the nodes' accepted
             count)
  process    --url U[,U2] --key K --providers inbox --expect N --psql "psql … -d jarip" [--sim S]
             releases the drained providers on every node and times the backlog to delivered: samples
             /metrics every 0.25 s, then reads the delivered rows' last updated_ms from the database
Each command prints one JSON object and writes it to --out when given.
"""

import argparse
import http.client
import json
import signal
import subprocess
import sys
import threading
import time


def now_ms():
    return int(time.time() * 1000)


class Client:
    def __init__(self, base, key=None, timeout=60):
        assert base.startswith("http://")
        host, port = base[len("http://"):].rstrip("/").split(":")
        self.host, self.port, self.key, self.timeout = host, int(port), key, timeout
        self.conn = None

    def request(self, method, path, body=None):
        headers = {}
        if self.key:
            headers["Authorization"] = "Bearer " + self.key
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body, ensure_ascii=False)
            if isinstance(body, str):
                body = body.encode()
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def urls(arg):
    return [u for u in arg.split(",") if u]


def metric(base, name, label=None):
    """Sum of a /metrics family (optionally only lines containing label)."""
    try:
        status, data = Client(base, timeout=5).request("GET", "/metrics")
    except OSError:
        return None
    if status != 200:
        return None
    total = 0.0
    for line in data.decode().splitlines():
        if line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        head = parts[0]
        if head == name or head.startswith(name + "{"):
            if label and label not in head:
                continue
            total += float(parts[1])
    return total


def sim_accepted(sim):
    try:
        status, data = Client(sim, timeout=5).request("GET", "/_sim/stats")
        if status == 200:
            return int(json.loads(data).get("accepted", 0))
    except (OSError, ValueError):
        pass
    return None


def emit(args, obj):
    line = json.dumps(obj, ensure_ascii=False)
    print(line)
    if getattr(args, "out", None):
        with open(args.out, "w") as f:
            f.write(line + "\n")


def message(kind, seq, customers, size=300):
    """The 300-byte bodies of bench/post_message.lua (phone) and bench/post_inbox.lua (inbox)."""
    if kind == "inbox":
        head = ('{"recipient":{"customer_id":"bench-c%d"},"template":"order_shipped","channels":["inbox"],'
                '"vars":{"name":"김민수","order":"A-%07d"},"metadata":{"ref":"' % (seq % customers, seq % 10000000))
    else:
        phone = "010-%04d-%04d" % (1000 + (seq // 10000) % 9000, seq % 10000)
        head = ('{"recipient":{"phone":"%s"},"template":"order_shipped",'
                '"vars":{"name":"김민수","order":"A-%07d"},"metadata":{"ref":"' % (phone, seq % 10000000))
    tail = '"}}'
    pad = size - len(head.encode()) - len(tail)
    return head + "x" * max(0, pad) + tail


# ---- commands -----------------------------------------------------------------------------------

def cmd_customers(args):
    c = Client(urls(args.url)[0], args.key)
    made = 0
    for i in range(args.n):
        doc = {"name": "벤치 %d" % i, "locale": "ko", "phones": ["010-7%03d-%04d" % (i // 10000, i % 10000)]}
        status, data = c.request("PUT", "/v1/customers/bench-c%d" % i, doc)
        if status not in (200, 201):
            raise SystemExit("PUT customer bench-c%d: %d %s" % (i, status, data[:300]))
        made += 1
    emit(args, {"customers": made})


def cmd_batch(args):
    targets = urls(args.url)
    n_req = (args.messages + args.batch - 1) // args.batch
    bodies = []
    seq = args.seq0
    for r in range(n_req):
        n = min(args.batch, args.messages - r * args.batch)
        items = [message(args.kind, seq + i, args.customers) for i in range(n)]
        seq += n
        bodies.append(('{"messages":[' + ",".join(items) + "]}").encode())
    lock = threading.Lock()
    state = {"next": 0, "accepted": 0, "rejected": 0, "errors": 0, "statuses": {}, "lat": []}
    deadline = time.monotonic() + args.timeout

    def lane(idx):
        c = Client(targets[idx % len(targets)], args.key, timeout=120)
        while time.monotonic() < deadline:
            with lock:
                r = state["next"]
                state["next"] += 1
            if r >= n_req:
                return
            s = time.monotonic()
            try:
                status, data = c.request("POST", "/v1/messages/batch", bodies[r])
            except OSError as e:
                with lock:
                    state["errors"] += 1
                print("batch %d: %s" % (r, e), file=sys.stderr)
                continue
            el = time.monotonic() - s
            with lock:
                state["lat"].append(el)
                state["statuses"][status] = state["statuses"].get(status, 0) + 1
                if status == 202:
                    d = json.loads(data)
                    state["accepted"] += d.get("accepted", 0)
                    state["rejected"] += d.get("rejected", 0)
                elif state["errors"] < 3:
                    print("batch %d: %d %s" % (r, status, data[:200]), file=sys.stderr)

    t0 = time.monotonic()
    threads = [threading.Thread(target=lane, args=(i,)) for i in range(min(args.inflight, n_req))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    lat = sorted(state["lat"])
    pct = lambda p: round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000, 1) if lat else None
    emit(args, {"messages": args.messages, "batch": args.batch, "inflight": args.inflight, "requests": n_req,
                "accepted": state["accepted"], "rejected": state["rejected"], "errors": state["errors"],
                "statuses": state["statuses"], "seconds": secs, "msg_per_s": state["accepted"] / secs,
                "latency_ms": {"p50": pct(50), "p99": pct(99), "max": pct(100)}})


def cmd_drain(args):
    out = {}
    for base in urls(args.url):
        c = Client(base, args.key)
        for p in args.providers.split(","):
            status, data = c.request("POST" if args.action == "post" else "DELETE", "/v1/channels/%s/drain" % p)
            if status != 200:
                raise SystemExit("drain %s %s on %s: %d %s" % (args.action, p, base, status, data[:200]))
            out["%s %s" % (base, p)] = json.loads(data)
    emit(args, {"drain": args.action, "result": out})


def cmd_e2e(args):
    """Beside a load phase: the simulator's received count once a second for --seconds, then (after the
    load) until it reaches every node's accepted count, at most --drain-max seconds."""
    nodes = urls(args.url)
    samples = []
    t_start = time.time()
    for _ in range(int(args.seconds)):
        samples.append((time.time(), sim_accepted(args.sim)))
        time.sleep(1)
    accepted = sum(metric(n, "jarip_messages_accepted_total") or 0 for n in nodes)
    drain = []
    for _ in range(int(args.drain_max)):
        got = sim_accepted(args.sim)
        drain.append((time.time(), got))
        if got is not None and got >= accepted:
            break
        time.sleep(1)
    summary = {}
    try:
        status, data = Client(args.sim, timeout=60).request("GET", "/_sim/received?summary=1")
        d = json.loads(data)
        summary = {k: d.get(k) for k in ("total", "distinct", "ids_with_duplicates")}
    except (OSError, ValueError) as e:
        summary = {"error": str(e)}
    pts = [(t, v) for t, v in samples if v is not None]
    during = (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0]) if len(pts) >= 2 else None
    per_s = sorted((b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(pts, pts[1:]))
    last = [(t, v) for t, v in drain if v is not None]
    all_received_s = None
    if last and last[-1][1] >= accepted:
        # the first sample at which every accepted message had been received
        for t, v in pts + last:
            if v >= accepted:
                all_received_s = t - t_start
                break
    emit(args, {"accepted": int(accepted), "received": last[-1][1] if last else None,
                "received_per_s_during_load": during,
                "per_second_median": per_s[len(per_s) // 2] if per_s else None,
                "per_second_min": per_s[0] if per_s else None,
                "all_received_after_s": all_received_s,
                "e2e_per_s_until_all": accepted / all_received_s if all_received_s else None,
                "sim": summary, "samples": samples, "drain_samples": drain})


def psql(cmd, sql):
    r = subprocess.run(cmd.split() + ["-Atc", sql], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("psql: %s" % r.stderr.strip())
    return r.stdout.strip()


def cmd_process(args):
    nodes = urls(args.url)
    base = sum(metric(n, "jarip_messages_finished_total", 'state="delivered"') or 0 for n in nodes)
    sim0 = sim_accepted(args.sim) if args.sim else None
    samples = []
    t0 = now_ms()
    for n in nodes:
        c = Client(n, args.key)
        for p in args.providers.split(","):
            status, data = c.request("DELETE", "/v1/channels/%s/drain" % p)
            if status != 200:
                raise SystemExit("release %s on %s: %d %s" % (p, n, status, data[:200]))
    deadline = time.monotonic() + args.timeout
    done = 0
    while time.monotonic() < deadline:
        d = sum(metric(n, "jarip_messages_finished_total", 'state="delivered"') or 0 for n in nodes) - base
        s = (sim_accepted(args.sim) - sim0) if args.sim else None
        samples.append((now_ms() - t0, int(d), s))
        done = d
        if d >= args.expect:
            break
        time.sleep(0.25)
    # The database's word: every message of the backlog delivered (committed), and when the last one
    # became so. The engine counts a delivery in /metrics when it queues the write, so the rows may lag
    # the counter by a commit: read again every 0.1 s until they are all there (bounded by --timeout).
    where = "created_ms >= %d" % args.since_ms
    while True:
        row = psql(args.psql, "SELECT count(*) FILTER (WHERE state = 'delivered'), count(*), "
                              "coalesce(max(updated_ms) FILTER (WHERE state = 'delivered'), 0) "
                              "FROM messages WHERE " + where)
        delivered, total, last_ms = (int(x) for x in row.split("|"))
        if delivered >= args.expect or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    attempts = psql(args.psql, "SELECT count(*), count(*) FILTER (WHERE outcome = 'delivered') FROM attempts a "
                               "WHERE a.started_ms >= %d" % t0)
    secs = (last_ms - t0) / 1000 if last_ms else None
    first_sim_all = None
    if args.sim:
        for t, d, s in samples:
            if s is not None and s >= args.expect:
                first_sim_all = t / 1000
                break
    emit(args, {"providers": args.providers, "expect": args.expect, "backlog_rows": total,
                "delivered_rows": delivered, "metrics_delivered": int(done), "release_ms": t0,
                "last_delivered_ms": last_ms, "seconds": secs,
                "msg_per_s": delivered / secs if secs else None,
                "sim_all_received_after_s": first_sim_all,
                "attempts_since_release": attempts, "samples": samples})


def cmd_watch(args):
    """Runs the load command (wrk) and times it to --expect accepted messages (jarip /metrics, every
    0.1 s); then stops it with SIGINT (wrk prints its summary and runs done()). wrk's own duration is its
    -d whatever its threads did, so the rate is --expect over this time."""
    nodes = urls(args.url)
    base = sum(metric(n, "jarip_messages_accepted_total") or 0 for n in nodes)
    t0 = time.monotonic()
    proc = subprocess.Popen(args.command)
    reached = None
    samples = []
    while time.monotonic() - t0 < args.timeout and proc.poll() is None:
        got = sum(metric(n, "jarip_messages_accepted_total") or 0 for n in nodes) - base
        samples.append((round(time.monotonic() - t0, 3), int(got)))
        if got >= args.expect:
            reached = time.monotonic() - t0
            break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    time.sleep(0.5)
    got = sum(metric(n, "jarip_messages_accepted_total") or 0 for n in nodes) - base
    emit(args, {"expect": args.expect, "seconds_to_expect": reached, "accepted_total": int(got),
                "msg_per_s": args.expect / reached if reached else None, "samples": samples[-5:]})


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("customers")
    p.add_argument("--url", required=True); p.add_argument("--key", required=True)
    p.add_argument("--n", type=int, default=100); p.add_argument("--out")
    p = sub.add_parser("batch")
    p.add_argument("--url", required=True); p.add_argument("--key", required=True)
    p.add_argument("--messages", type=int, default=50000); p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--inflight", type=int, default=16); p.add_argument("--kind", default="inbox")
    p.add_argument("--customers", type=int, default=100); p.add_argument("--seq0", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600); p.add_argument("--out")
    p = sub.add_parser("drain")
    p.add_argument("--url", required=True); p.add_argument("--key", required=True)
    p.add_argument("--providers", required=True); p.add_argument("--action", choices=["post", "delete"], required=True)
    p.add_argument("--out")
    p = sub.add_parser("e2e")
    p.add_argument("--url", required=True); p.add_argument("--sim", required=True)
    p.add_argument("--seconds", type=float, default=62); p.add_argument("--drain-max", type=float, default=180)
    p.add_argument("--out")
    p = sub.add_parser("process")
    p.add_argument("--url", required=True); p.add_argument("--key", required=True)
    p.add_argument("--providers", required=True); p.add_argument("--expect", type=int, required=True)
    p.add_argument("--psql", required=True); p.add_argument("--since-ms", type=int, default=0)
    p.add_argument("--sim"); p.add_argument("--timeout", type=float, default=600); p.add_argument("--out")
    p = sub.add_parser("watch")
    p.add_argument("--url", required=True); p.add_argument("--expect", type=int, required=True)
    p.add_argument("--timeout", type=float, default=600); p.add_argument("--out")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.cmd == "watch" and args.command and args.command[0] == "--":
        args.command = args.command[1:]
    {"watch": cmd_watch, "customers": cmd_customers, "batch": cmd_batch, "drain": cmd_drain, "e2e": cmd_e2e,
     "process": cmd_process}[args.cmd](args)


if __name__ == "__main__":
    main()
