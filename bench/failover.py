#!/usr/bin/env python3
"""Failover drill: paced POST /v1/messages load, then a jarip-sim fault on the first AlimTalk
provider (solapi), then measure from the far side (jarip-sim's record) and jarip's attempt timelines.

Bounded: sends for --before + --after seconds at --rate msg/s (at most rate*(before+after) messages),
then waits --settle seconds, then reads back. Writes one JSON object to --out.

Definitions (all times relative to T0 = the moment POST /_sim/faults was answered):
  breaker_open_s  first attempt on the failing provider recorded as skipped/breaker_open
  first_next_s    first message received by the next provider (nhn, from the sim's record)
  failover_s      first message received by nhn whose AlimTalk step never touched solapi
                  (skipped by the open breaker): new traffic flowing on the next channel
  hit_failing     messages with a real (not skipped) solapi attempt started at or after T0
  sim_solapi_after_t0  messages the sim recorded at solapi at or after T0 (none for 'down':
                  refused connections carry no message)
  duplicates      messages the sim recorded as accepted by solapi and also received by nhn
"""
import argparse, datetime, http.client, json, threading, time, urllib.parse


def iso(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def body(seq, size=300):
    phone = "010-%04d-%04d" % (1000 + (seq // 10000) % 9000, seq % 10000)
    head = ('{"recipient":{"phone":"%s"},"template":"order_shipped","vars":{"name":"김민수","order":"A-%07d"},'
            '"metadata":{"ref":"' % (phone, seq % 10000000))
    tail = '"}}'
    pad = size - len(head.encode()) - len(tail)
    return (head + "x" * pad + tail).encode()


class Conn:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def req(self, method, path, data=None, headers=None):
        for attempt in range(2):
            try:
                self.c.request(method, path, body=data, headers=headers or {})
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=10)
                if attempt:
                    raise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jarip", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--mode", required=True, choices=["down", "timeout", "error", "slow", "flap", "accept_then_fail"])
    ap.add_argument("--error-rate", type=float, default=0.5)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--before", type=float, default=5)
    ap.add_argument("--after", type=float, default=10)
    ap.add_argument("--settle", type=float, default=8)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    hdr = {"Authorization": "Bearer " + a.key, "Content-Type": "application/json"}
    sent = []  # (id, t_send, t_done, status)
    lock = threading.Lock()
    start = time.time()
    stop_at = start + a.before + a.after
    per_thread = a.rate / a.threads

    def sender(t):
        c = Conn(a.jarip)
        seq = t * 1_000_000
        n = 0
        max_n = int(per_thread * (a.before + a.after)) + 1
        while n < max_n:
            due = start + n / per_thread
            now = time.time()
            if due > stop_at:
                break
            if due > now:
                time.sleep(due - now)
            t0 = time.time()
            st, b = c.req("POST", "/v1/messages", body(seq), hdr)
            t1 = time.time()
            mid = json.loads(b).get("id") if st == 202 else None
            with lock:
                sent.append((mid, t0, t1, st))
            seq += 1
            n += 1

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(a.threads)]
    for th in threads:
        th.start()
    time.sleep(max(0, start + a.before - time.time()))
    fault = {"provider": "solapi", "channel": "*", "mode": a.mode}
    if a.mode == "error":
        fault["error_rate"] = a.error_rate
    sim = Conn(a.sim)
    f_send = time.time()
    st, _ = sim.req("POST", "/_sim/faults", json.dumps(fault).encode(), {"Content-Type": "application/json"})
    T0 = time.time()
    assert st == 200, st
    for th in threads:
        th.join()
    time.sleep(a.settle)

    # The far side's record.
    _, raw = sim.req("GET", "/_sim/received?limit=200000")
    received = json.loads(raw)["messages"]
    _, raw = sim.req("GET", "/_sim/stats")
    stats = json.loads(raw)
    sim.req("DELETE", "/_sim/faults")

    # jarip's attempt timelines for every accepted message.
    jc = Conn(a.jarip)
    timelines = {}
    for mid, _, _, st in sent:
        if mid:
            s, b = jc.req("GET", "/v1/messages/" + mid, None, {"Authorization": "Bearer " + a.key})
            if s == 200:
                timelines[mid] = json.loads(b)

    hit_failing = set()
    skipped_open = []
    first_attempt_after = {"solapi": 0, "nhn": 0}
    for mid, m in timelines.items():
        atts = m.get("attempts", [])
        for at in atts:
            ts = iso(at["started_at"])
            if at["provider"] == "solapi" and ts >= T0:
                if at["outcome"] == "skipped":
                    if at.get("error", {}).get("code") == "breaker_open":
                        skipped_open.append((ts, mid))
                else:
                    hit_failing.add(mid)
        real = [at for at in atts if at["outcome"] != "skipped"]
        if real and iso(real[0]["started_at"]) >= T0:
            first_attempt_after[real[0]["provider"]] = first_attempt_after.get(real[0]["provider"], 0) + 1
    never_touched = {mid for mid, m in timelines.items()
                     if any(at["provider"] == "solapi" and at["outcome"] == "skipped" for at in m.get("attempts", []))
                     and not any(at["provider"] == "solapi" and at["outcome"] != "skipped" for at in m.get("attempts", []))}

    nhn_after = [(iso(r["received_at"]), r) for r in received if r["provider"] == "nhn" and iso(r["received_at"]) >= T0]
    nhn_after.sort(key=lambda x: x[0])
    solapi_after = [r for r in received if r["provider"] == "solapi" and iso(r["received_at"]) >= T0]
    solapi_accepted_ids = {r["message_id"] for r in received if r["provider"] == "solapi" and r["outcome"] != "rejected"}
    nhn_ids = {r["message_id"] for r in received if r["provider"] == "nhn"}
    first_next = nhn_after[0][0] - T0 if nhn_after else None
    failover = next((t - T0 for t, r in nhn_after if r["message_id"] in never_touched), None)
    breaker_open = min(skipped_open)[0] - T0 if skipped_open else None
    accepted_ids = {mid for mid, _, _, st in sent if mid}
    by_state = {}
    for m in timelines.values():
        by_state[m["status"]] = by_state.get(m["status"], 0) + 1
    distinct_received = {r["message_id"] for r in received if r["outcome"] in ("accepted", "delivered")}
    out = {
        "mode": a.mode, "error_rate": a.error_rate if a.mode == "error" else None, "rate_msg_s": a.rate,
        "before_s": a.before, "after_s": a.after, "settle_s": a.settle,
        "fault_request_ms": round((T0 - f_send) * 1000, 1),
        "sent": len(sent), "accepted_202": len(accepted_ids),
        "accepted_after_t0": sum(1 for mid, t0, _, _ in sent if mid and t0 >= T0),
        "breaker_open_s": breaker_open, "first_next_s": first_next, "failover_s": failover,
        "hit_failing": len(hit_failing),
        "hit_failing_accepted_after_t0": sum(1 for mid, t0, _, _ in sent if mid in hit_failing and t0 >= T0),
        "first_real_attempt_after_t0_by_provider": first_attempt_after,
        "sim_solapi_records_after_t0": len(solapi_after),
        "duplicates_solapi_and_nhn": len(solapi_accepted_ids & nhn_ids & accepted_ids),
        "received_by_provider_distinct": len(distinct_received & accepted_ids),
        "jarip_states": by_state,
        "sim_stats": stats,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "sim_stats"}))


if __name__ == "__main__":
    main()
