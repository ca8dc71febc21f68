#!/usr/bin/env python3
"""Reads one bench/results/<stamp>/ directory and prints the summary (markdown) with goals and ratios."""
import json, os, re, sys

d = sys.argv[1]


def load(name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def verdict(ok):
    return "met" if ok else "NOT met"


lines = []
add = lines.append
if os.path.exists(os.path.join(d, "machine.txt")):
    add("## Machine\n```\n" + open(os.path.join(d, "machine.txt")).read().strip() + "\n```")

rows = []
beast = load("ceiling_beast.wrk.json")
beast_rps = beast and beast["requests"] / (beast["duration_us"] / 1e6)
acc = load("accept.wrk.json")
acc_store = load("accept.store.json")
if acc:
    secs = acc["duration_us"] / 1e6
    rps = acc["requests"] / secs
    non2xx = acc["errors"]["status"]
    ok_rate = (acc["requests"] - non2xx) / secs
    p99 = acc["latency_us"]["p99"] / 1000
    group = acc_store["accepted"] / max(1, acc_store["commits"]) if acc_store else None
    csql = load("ceiling_sqlite.accept.json")
    rows.append(("POST /v1/messages, 64 clients, 300 B, delivery on", f"{ok_rate:,.0f} msg/s accepted (202); p50 {acc['latency_us']['p50']/1000:.1f} ms, p99 {p99:.1f} ms; non-2xx {non2xx}; socket errors {sum(v for k, v in acc['errors'].items() if k != 'status')}",
                 "≥ 20,000 msg/s, p99 ≤ 10 ms", f"{verdict(ok_rate >= 20000)} / p99 {verdict(p99 <= 10)}"))
    if beast_rps:
        rows.append(("  vs bare Beast hello-world (same run, same wrk)", f"{beast_rps:,.0f} req/s → jarip = {ok_rate / beast_rps:.1%} of it", "", ""))
    if csql and group:
        rows.append((f"  vs raw SQLite, {csql['batch']} rows/commit (jarip's mean group {group:.1f})", f"{csql['rows_per_s']:,.0f} rows/s ({csql['commits_per_s']:,.0f} commits/s) → jarip = {ok_rate / csql['rows_per_s']:.1%} of it", "", ""))
    if acc_store:
        rows.append(("  group commits during the run", f"{acc_store['commits']:,} commits for {acc_store['accepted']:,} messages = {group:.1f} per commit, {acc_store['commits']/secs:,.0f} commits/s", "", ""))
tun = load("accept_tuned.wrk.json")
tun_store = load("accept_tuned.store.json")
if tun:
    secs = tun["duration_us"] / 1e6
    r = (tun["requests"] - tun["errors"]["status"]) / secs
    base = ok_rate if acc else None
    rows.append(("  experiment: same, GLIBC_TUNABLES trim_threshold=256 MiB", f"{r:,.0f} msg/s; p99 {tun['latency_us']['p99']/1000:.1f} ms" + (f"; {r / base:.2f}× the default run" if base else "") + (f"; {tun_store['accepted']/max(1,tun_store['commits']):.1f} msgs per commit" if tun_store else ""), "", ""))
bat = load("batch.wrk.json")
bat_store = load("batch.store.json")
if bat:
    secs = bat["duration_us"] / 1e6
    msgs = bat_store["accepted"] if bat_store else (bat["requests"] - bat["errors"]["status"]) * 1000
    rate = msgs / secs
    rows.append(("POST /v1/messages/batch ×1000, delivery on", f"{rate:,.0f} msg/s ({bat['requests']/secs:,.1f} req/s); p99 {bat['latency_us']['p99']/1000:.0f} ms per batch; non-2xx {bat['errors']['status']}",
                 "≥ 100,000 msg/s", verdict(rate >= 100000)))
    csql = load("ceiling_sqlite.batch.json")
    if csql:
        rows.append((f"  vs raw SQLite, {csql['batch']} rows/commit", f"{csql['rows_per_s']:,.0f} rows/s → jarip = {rate / csql['rows_per_s']:.1%} of it", "", ""))

# End to end, from the simulator's record sampled once a second during the accept run.
samples = os.path.join(d, "accept.sim_samples.txt")
if os.path.exists(samples) and acc:
    pts = []
    for line in open(samples):
        t, v = line.split()
        if v != "NA":
            pts.append((float(t), int(v)))
    drain = []
    dp = os.path.join(d, "accept.drain_samples.txt")
    if os.path.exists(dp):
        for line in open(dp):
            t, v = line.split()
            drain.append((float(t), int(v)))
    if len(pts) >= 3:
        during = (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])
        per_s = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(pts, pts[1:])]
        per_s_sorted = sorted(per_s)
        summ = load("accept.sim_summary.json") or {}
        extra = ""
        if drain:
            allpts = pts + drain
            total = allpts[-1][1]
            extra = f"; all {total:,} received {allpts[-1][0]-pts[0][0]:.0f} s after the load started (loss: {acc_store['accepted'] - summ.get('distinct', 0) if acc_store else '?'}, duplicate ids: {summ.get('ids_with_duplicates', '?')})"
        rows.append(("End to end (accepted → provider received, sim record)", f"{during:,.0f} msg/s mean over the 60 s load; per-second median {per_s_sorted[len(per_s)//2]:,.0f}, min {per_s_sorted[0]:,.0f}{extra}",
                     "≥ 10,000 msg/s sustained", verdict(during >= 10000)))
fs = load("fsync.store.json")
st = os.path.join(d, "fsync.strace.txt")
if fs and os.path.exists(st):
    calls = {}
    for line in open(st):
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)", line)
        if m:
            calls[m.group(2)] = int(m.group(1))
    n = sum(calls.values())
    rows.append(("fsync/fdatasync vs group commits (strace, short run)", f"{calls} = {n:,} sync calls for {fs['commits']:,} commits ({n / max(1, fs['commits']):.2f} per commit)",
                 "one sync per commit (synchronous=FULL)",
                 "consistent" if fs['commits'] > 0 and 0.9 <= n / fs['commits'] <= 1.1 else "NOT consistent"))
rss = os.path.join(d, "rss.txt")
if os.path.exists(rss):
    kb = int(re.search(r"VmRSS:\s+(\d+)", open(rss).read()).group(1))
    rows.append(("Idle RSS (demo config, 5 s after ready)", f"{kb/1024:.1f} MB", "≤ 30 MB", verdict(kb / 1024 <= 30)))
for mode in ("down", "timeout", "error"):
    f = load(f"failover-{mode}.json")
    if not f:
        continue
    fo = f["failover_s"]
    rows.append((f"Failover solapi '{mode}'" + (" (error_rate 0.5)" if mode == "error" else ""),
                 f"new traffic on nhn after {fo if fo is None else round(fo, 3)} s (breaker open {f['breaker_open_s'] if f['breaker_open_s'] is None else round(f['breaker_open_s'], 3)} s, first nhn receipt {f['first_next_s'] if f['first_next_s'] is None else round(f['first_next_s'], 3)} s); "
                 f"{f['hit_failing']} messages hit solapi after the fault (sim recorded {f['sim_solapi_records_after_t0']} there); duplicates solapi+nhn {f['duplicates_solapi_and_nhn']}; received {f['received_by_provider_distinct']}/{f['accepted_202']}",
                 "≤ 1 s", verdict(fo is not None and fo <= 1.0)))
add("\n## Results\n")
add("| what | measured | goal | verdict |\n|---|---|---|---|")
for r in rows:
    add("| " + " | ".join(str(x) for x in r) + " |")
print("\n".join(lines))
