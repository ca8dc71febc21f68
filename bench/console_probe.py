#!/usr/bin/env python3
"""Open-loop latency probe for jarip's status page and console (bench/console_bench.sh, issue 10).

For --seconds, every URL is requested at a fixed rate (--rate per second per URL), on a schedule that
does not wait for earlier answers (open loop: a slow answer does not thin out the probes). Requests go
over keep-alive HTTP/1.1 connections, as a browser's do: each probe takes an idle connection of its URL's
pool, or opens a new one when all are busy (the connect time then counts in its latency). The URL marked
"new connection" opens a fresh connection for every request and closes it (a first-time visitor).

Latency = from the moment the probe starts its request (just before connect, if it needs one, or
before the write) to the arrival of the last byte of the body, as the kernel timestamped it
(SO_TIMESTAMPNS: the time the segment reached the probe's socket, not the time the probe got round to
reading it). The probe shares a core with wrk, so it is often scheduled late; the kernel timestamp keeps
that delay out of the server's figure. The latency as the probe itself saw it (until it had read the
body) is kept too ("seen"). How late each request started against its schedule ("lateness") is the
probe's own delay before sending; it is reported, not counted in the latency.

With --sse, it also holds one GET /console/api/events stream open for the whole time and records when
each `event: board` arrives (and the board's own generated_ms).

Bounded: every request has --timeout; in flight per URL at most --max-in-flight (beyond: counted as
"probe_cap" errors); the whole run ends at --seconds + --timeout.

Output: one JSON document (--out) with per-URL summaries and the raw samples.
"""
import argparse
import asyncio
import json
import re
import socket
import struct
import sys
import time
import urllib.parse


def pct(sorted_values, p):
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the cmsg type is the same number


class Conn:
    """A non-blocking socket whose reads carry the kernel's receive timestamp of the latest segment."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.last_ts = None  # CLOCK_REALTIME seconds of the latest segment read
        self.no_ts = 0

    @staticmethod
    async def open(host, port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (host, port))
        except BaseException:
            sock.close()
            raise
        return Conn(sock)

    async def send(self, data):
        await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def fill(self):
        loop = asyncio.get_running_loop()
        while True:
            try:
                data, anc, _, _ = self.sock.recvmsg(262144, socket.CMSG_SPACE(16))
            except (BlockingIOError, InterruptedError):
                fut = loop.create_future()
                fd = self.sock.fileno()
                loop.add_reader(fd, lambda: fut.done() or fut.set_result(None))
                try:
                    await fut
                finally:
                    loop.remove_reader(fd)
                continue
            if not data:
                raise asyncio.IncompleteReadError(bytes(self.buf), None)
            ts = None
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(raw) >= 16:
                    sec, nsec = struct.unpack("qq", raw[:16])
                    ts = sec + nsec / 1e9
            if ts is None:
                self.no_ts += 1
                ts = time.time()
            self.last_ts = ts
            self.buf += data
            return

    async def read_until(self, sep):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out = bytes(self.buf[:i + len(sep)])
                del self.buf[:i + len(sep)]
                return out
            await self.fill()

    async def read_exact(self, n):
        while len(self.buf) < n:
            await self.fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def close(self):
        try:
            self.sock.close()
        except Exception:
            pass


async def read_head(conn):
    head = await conn.read_until(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return status, headers


async def read_body(conn, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        size_total = 0
        while True:
            line = await conn.read_until(b"\r\n")
            n = int(line.split(b";")[0].strip(), 16)
            if n == 0:
                await conn.read_until(b"\r\n")  # no trailers from jarip
                return size_total
            await conn.read_exact(n + 2)
            size_total += n
    n = int(headers.get("content-length", "0"))
    if n:
        await conn.read_exact(n)
    return n


class Target:
    def __init__(self, name, path, cookie, fresh):
        self.name = name
        self.path = path
        self.cookie = cookie
        self.fresh = fresh
        self.idle = []
        self.in_flight = 0
        self.samples = []  # [sched_s, lateness_ms, latency_ms, seen_ms, status, bytes, new_conn, error]
        self.connects = 0
        self.no_ts = 0  # reads without a kernel timestamp (then the probe's own clock is used)


class Probe:
    def __init__(self, args):
        u = urllib.parse.urlsplit(args.base)
        self.host, self.port = u.hostname, u.port or 80
        self.args = args
        cookie = args.cookie or ""
        self.targets = [
            Target("GET /status", "/status", "", False),
            Target("GET /status.json", "/status.json", "", False),
            Target("GET /status/banner.js", "/status/banner.js", "", False),
            Target("GET /status/feed.atom", "/status/feed.atom", "", False),
            Target("GET /console/api/board", "/console/api/board", cookie, False),
            Target("GET /status (new connection each)", "/status", "", True),
        ]
        if args.only:
            keep = set(args.only.split(","))
            self.targets = [t for t in self.targets if t.path in keep]
        self.t0 = None

    def request_bytes(self, t, close):
        h = [f"GET {t.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "User-Agent: jarip-console-probe",
             "Accept: */*", "Accept-Language: ko-KR,ko;q=0.9,en;q=0.8"]
        if t.cookie:
            h.append("Cookie: " + t.cookie)
        if close:
            h.append("Connection: close")
        return ("\r\n".join(h) + "\r\n\r\n").encode()

    async def one(self, t, sched):
        start = time.monotonic()
        start_wall = time.time()
        lateness = (start - sched) * 1000.0
        rel = sched - self.t0
        if t.in_flight >= self.args.max_in_flight:
            t.samples.append([round(rel, 4), round(lateness, 3), None, None, 0, 0, 0, "probe_cap"])
            return
        t.in_flight += 1
        status, nbytes, new_conn, err, done_ts = 0, 0, 0, None, None
        conn = None
        try:
            async def attempt(conn):
                await conn.send(self.request_bytes(t, t.fresh))
                st, headers = await read_head(conn)
                n = await read_body(conn, headers)
                keep = not t.fresh and headers.get("connection", "").lower() != "close"
                return st, n, keep

            async def run():
                nonlocal conn, new_conn, start_wall
                while t.idle and not t.fresh:
                    conn = t.idle.pop()
                    start_wall = time.time()
                    try:
                        return await attempt(conn)
                    except (asyncio.IncompleteReadError, ConnectionError) as e:
                        # A kept-alive connection the server had closed: a browser retries on a new one.
                        conn.close()
                        conn = None
                        if isinstance(e, asyncio.IncompleteReadError) and e.partial:
                            raise
                start_wall = time.time()
                conn = await Conn.open(self.host, self.port)
                t.connects += 1
                new_conn = 1
                return await attempt(conn)

            status, nbytes, keep = await asyncio.wait_for(run(), self.args.timeout)
            done_ts = conn.last_ts
            t.no_ts += conn.no_ts
            conn.no_ts = 0
            if keep:
                t.idle.append(conn)
            else:
                conn.close()
            conn = None
            if status >= 400:
                err = f"http_{status}"
        except asyncio.TimeoutError:
            err = "timeout"
        except Exception as e:  # connection refused/reset, malformed answer
            err = type(e).__name__
        finally:
            if conn is not None:
                conn.close()
            t.in_flight -= 1
        seen = (time.monotonic() - start) * 1000.0
        latency = (done_ts - start_wall) * 1000.0 if done_ts is not None else None
        t.samples.append([round(rel, 4), round(lateness, 3), None if latency is None else round(latency, 3),
                          round(seen, 3), status, nbytes, new_conn, err])

    async def drive(self, t, offset, end):
        period = 1.0 / self.args.rate
        n = 0
        tasks = set()
        while True:
            sched = self.t0 + offset + n * period
            if sched >= end:
                break
            delay = sched - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.ensure_future(self.one(t, sched))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.wait(tasks, timeout=self.args.timeout + 1)
        for c in t.idle:
            c.close()
        t.idle.clear()

    async def sse(self, end, out):
        """Holds GET /console/api/events open until `end`; records each event's arrival (kernel time)."""
        out.update({"opened": False, "events": [], "error": None, "status": None})
        try:
            conn = await asyncio.wait_for(Conn.open(self.host, self.port), 5)
        except Exception as e:
            out["error"] = "connect: " + type(e).__name__
            return
        try:
            req = (f"GET /console/api/events HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Accept: text/event-stream\r\nCookie: {self.args.cookie}\r\n\r\n").encode()
            await conn.send(req)
            status, headers = await asyncio.wait_for(read_head(conn), 10)
            out["status"] = status
            out["opened"] = status == 200
            out["opened_s"] = round(conn.last_ts - self.t0_wall, 4)
            if status != 200:
                return
            chunked = headers.get("transfer-encoding", "").lower() == "chunked"
            buf = b""
            event_name = None
            gen_re = re.compile(rb'"generated_ms":(\d+)')

            async def next_bytes():
                if chunked:
                    line = await conn.read_until(b"\r\n")
                    n = int(line.split(b";")[0].strip(), 16)
                    if n == 0:
                        raise EOFError
                    data = await conn.read_exact(n + 2)
                    return data[:-2]
                if not conn.buf:
                    await conn.fill()
                data = bytes(conn.buf)
                conn.buf.clear()
                return data

            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                try:
                    data = await asyncio.wait_for(next_bytes(), left)
                except asyncio.TimeoutError:
                    break
                arrived_wall = conn.last_ts
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.rstrip(b"\r")
                    if line.startswith(b"event:"):
                        event_name = line[6:].strip().decode()
                    elif line.startswith(b"data:") and event_name:
                        m = gen_re.search(line)
                        gen = int(m.group(1)) if m else None
                        out["events"].append([event_name, round(arrived_wall - self.t0_wall, 4),
                                              round(arrived_wall * 1000.0 - gen, 1) if gen else None, len(line)])
                    elif line.startswith(b":"):
                        out["events"].append(["ping", round(arrived_wall - self.t0_wall, 4), None, 0])
                    elif line == b"":
                        event_name = None
        except (EOFError, asyncio.IncompleteReadError):
            out["error"] = "stream ended by the server"
        except Exception as e:
            out["error"] = type(e).__name__ + ": " + str(e)
        finally:
            conn.close()

    async def main(self):
        self.t0 = time.monotonic()
        self.t0_wall = start_wall = time.time()
        end = self.t0 + self.args.seconds
        period = 1.0 / self.args.rate
        jobs = [self.drive(t, i * period / len(self.targets), end) for i, t in enumerate(self.targets)]
        sse = {}
        if self.args.sse:
            jobs.append(self.sse(end, sse))
        await asyncio.gather(*jobs)
        return start_wall, sse


def summarize_target(t):
    ok = [s for s in t.samples if s[7] is None]
    lat = sorted(s[2] for s in ok)
    seen = sorted(s[3] for s in ok)
    late = sorted(s[1] for s in t.samples)
    errors = {}
    for s in t.samples:
        if s[7] is not None:
            errors[s[7]] = errors.get(s[7], 0) + 1
    r = lambda v: None if v is None else round(v, 2)
    dist = lambda v: {"p50": r(pct(v, 50)), "p90": r(pct(v, 90)), "p99": r(pct(v, 99)),
                      "max": r(v[-1] if v else None), "mean": r(sum(v) / len(v) if v else None)}
    return {
        "name": t.name, "path": t.path, "new_connection_each": t.fresh,
        "count": len(t.samples), "ok": len(ok), "errors": sum(errors.values()), "error_kinds": errors,
        "connects": t.connects, "reads_without_kernel_timestamp": t.no_ts,
        "latency_ms": dist(lat),
        "seen_by_probe_ms": dist(seen),
        "lateness_ms": {"p50": r(pct(late, 50)), "p99": r(pct(late, 99)), "max": r(late[-1] if late else None)},
        "bytes": (ok[-1][5] if ok else 0),
    }


def summarize_sse(sse, seconds):
    boards = [e[1] for e in sse.get("events", []) if e[0] == "board"]
    gaps = [round((b - a) * 1000.0, 1) for a, b in zip(boards, boards[1:])]
    tail = round((seconds - boards[-1]) * 1000.0, 1) if boards else None
    staleness = sorted(e[2] for e in sse.get("events", []) if e[0] == "board" and e[2] is not None)
    return {
        "opened": sse.get("opened"), "status": sse.get("status"), "error": sse.get("error"),
        "board_events": len(boards), "pings": sum(1 for e in sse.get("events", []) if e[0] == "ping"),
        "other_events": sum(1 for e in sse.get("events", []) if e[0] not in ("board", "ping")),
        "gap_ms": {"p50": pct(sorted(gaps), 50), "max": max(gaps) if gaps else None,
                   "min": min(gaps) if gaps else None},
        "since_last_board_at_end_ms": tail,
        "board_age_at_arrival_ms": {"p50": pct(staleness, 50), "max": staleness[-1] if staleness else None},
        "board_bytes": max((e[3] for e in sse.get("events", []) if e[0] == "board"), default=0),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--cookie", default="", help="jarip_console=… for the console URLs")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--rate", type=float, default=20, help="requests per second per URL")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--max-in-flight", type=int, default=200)
    ap.add_argument("--sse", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated paths (default: all)")
    ap.add_argument("--phase", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.seconds > 3600 or args.rate > 1000:
        sys.exit("refusing: --seconds <= 3600 and --rate <= 1000")
    p = Probe(args)
    start_wall, sse = asyncio.run(p.main())
    doc = {
        "phase": args.phase, "base": args.base, "seconds": args.seconds, "rate_per_url": args.rate,
        "connection": "keep-alive pool per URL (new connection only when all are busy)",
        "latency": "request start (before connect/write) to the kernel's receive timestamp of the body's last byte",
        "start_epoch_s": round(start_wall, 3), "end_epoch_s": round(time.time(), 3),
        "urls": [summarize_target(t) for t in p.targets],
        "sse": summarize_sse(sse, args.seconds) if args.sse else None,
        "raw": {"columns": ["sched_s", "lateness_ms", "latency_ms", "seen_ms", "status", "bytes", "new_conn", "error"],
                "urls": {t.name: t.samples for t in p.targets}, "sse_events": sse.get("events") if args.sse else None},
    }
    with open(args.out, "w") as f:
        json.dump(doc, f)
    for u in doc["urls"]:
        l = u["latency_ms"]
        print(f"{args.phase:6} {u['name']:38} n={u['count']:5} err={u['errors']:3} p50={l['p50']} p99={l['p99']} "
              f"max={l['max']} ms (as seen by the probe p99 {u['seen_by_probe_ms']['p99']}; probe lateness p99 "
              f"{u['lateness_ms']['p99']} ms)")
    if doc["sse"]:
        s = doc["sse"]
        print(f"{args.phase:6} SSE board events={s['board_events']} gap p50={s['gap_ms']['p50']} max={s['gap_ms']['max']} ms "
              f"error={s['error']}")


if __name__ == "__main__":
    main()
