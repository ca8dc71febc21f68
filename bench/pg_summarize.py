#!/usr/bin/env python3
"""Summary of a bench/pg_bench.sh run: python3 bench/pg_summarize.py bench/results/<stamp> (markdown)."""

import json
import os
import sys

d = sys.argv[1]


def load(name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    try:
        return json.load(open(p))
    except ValueError:
        return None


def cpu(tag, a, b):
    """CPU share of each process between two snapshots of <tag>.cpu.txt: {name: cores}."""
    p = os.path.join(d, tag + ".cpu.txt")
    if not os.path.exists(p):
        return None
    snaps = {}
    for line in open(p):
        parts = line.split()
        snaps[parts[0]] = {k: float(v) for k, v in (x.split("=") for x in parts[1:])}
    if a not in snaps or b not in snaps:
        return None
    s, e = snaps[a], snaps[b]
    dt = e["t"] - s["t"]
    out = {k: (e[k] - s[k]) / dt for k in e if k not in ("t", "loadavg") and k in s}
    out["loadavg"] = e.get("loadavg")
    out["seconds"] = dt
    return out


def fmt_cpu(c):
    if not c:
        return ""
    parts = ["%s %.0f%%" % (k, v * 100) for k, v in c.items() if k not in ("loadavg", "seconds")]
    return "; CPU " + ", ".join(parts) + " (loadavg %s)" % c.get("loadavg")


lines = ["# pg_bench " + os.path.basename(d.rstrip("/")), ""]
m = os.path.join(d, "machine.txt")
if os.path.exists(m):
    lines += ["```", open(m).read().strip(), "```", ""]

lines += ["## Durable accept and end to end (POST /v1/messages, 64 connections, delivery to jarip-sim)", "",
          "| store | nodes | accepted msg/s | p50 / p99 ms | non-2xx | commits (msg/commit) | received by the sim during load, msg/s | all received after | lost / duplicate ids | CPU during load |",
          "|---|---|---|---|---|---|---|---|---|---|"]
accept_rates = {}
for tag, store, nodes in (("sqlite", "SQLite", 1), ("pg1", "PostgreSQL", 1), ("pg2", "PostgreSQL", 2)):
    e = load(tag + ".e2e.json")
    ws = [load(f) for f in sorted(os.listdir(d)) if f.startswith(tag) and f.endswith(".wrk.json")]
    ws = [w for w in ws if w]
    if not e or not ws:
        continue
    secs = max(w["duration_us"] for w in ws) / 1e6
    acc = e["accepted"]
    rate = acc / secs
    accept_rates[tag] = rate
    st = load(tag + ".store.json") or {}
    commits = st.get("commits", 0)
    p50 = max(w["latency_us"]["p50"] for w in ws) / 1000
    p99 = max(w["latency_us"]["p99"] for w in ws) / 1000
    non2xx = sum(w["errors"]["status"] for w in ws)
    sim = e.get("sim", {})
    lost = acc - (sim.get("distinct") or 0)
    c = cpu(tag, "before", "load_end")
    lines.append("| %s | %d | **%s** | %.1f / %.1f | %d | %s (%.1f) | %s | %s | %s / %s | %s |" % (
        store, nodes, f"{rate:,.0f}", p50, p99, non2xx, f"{commits:,}", acc / max(1, commits),
        f"{e['received_per_s_during_load']:,.0f}" if e.get("received_per_s_during_load") else "?",
        ("%.0f s (%s msg/s)" % (e["all_received_after_s"], f"{e['e2e_per_s_until_all']:,.0f}")) if e.get("all_received_after_s") else "not within the drain bound",
        lost, sim.get("ids_with_duplicates"), fmt_cpu(c)[6:]))
lines.append("")

jar = {}
lines += ["## Peer comparison on the same PostgreSQL", "", "| | jarip | graphile-worker | jarip ÷ graphile-worker | goal |", "|---|---|---|---|---|"]
v = load("peer-single.watch.json")
if v and v.get("msg_per_s"):
    jar["single"] = v["msg_per_s"]
b = load("peer-batch.batch.json")
if b:
    jar["batch"] = b["msg_per_s"]
for tag in ("peer-single-process", "peer-batch-process", "peer-sim-process"):
    p = load(tag + ".process.json")
    if p and p.get("msg_per_s"):
        jar[tag] = p
g = {k: load("graphile.%s.json" % k) for k in ("enqueue-single", "enqueue-batch", "process-defaults", "process-batching")}


def ratio(a, b):
    return "%.2f×" % (a / b) if a and b else "?"


def verdict(a, b, goal):
    if not a or not b:
        return "?"
    return ("met (≥ %g×)" if a / b >= goal else "**NOT met** (≥ %g×)") % goal


ge = g["enqueue-single"]
if "single" in jar or ge:
    lines.append("| single enqueues, 64 in flight (jarip: POST /v1/messages, inbox drained; gw: addJob) | %s msg/s | %s jobs/s | %s | %s |" % (
        f"{jar.get('single', 0):,.0f}", f"{ge['jobs_per_s']:,.0f}" if ge else "?", ratio(jar.get("single"), ge and ge["jobs_per_s"]),
        verdict(jar.get("single"), ge and ge["jobs_per_s"], 5)))
ge = g["enqueue-batch"]
if "batch" in jar or ge:
    lines.append("| batched enqueues, 1,000 per request, %s in flight (jarip: POST /v1/messages/batch; gw: addJobs) | %s msg/s | %s jobs/s | %s | %s |" % (
        ge["inflight"] if ge else "?", f"{jar.get('batch', 0):,.0f}", f"{ge['jobs_per_s']:,.0f}" if ge else "?",
        ratio(jar.get("batch"), ge and ge["jobs_per_s"]), verdict(jar.get("batch"), ge and ge["jobs_per_s"], 2)))
gd, gb = g["process-defaults"], g["process-batching"]
best = max([x for x in (gd, gb) if x], key=lambda x: x["jobs_per_s"], default=None)
for tag, what in (("peer-batch-process", "processing a 50,000 backlog, jarip to the inbox (no-op)"),
                  ("peer-single-process", "the same, backlog made by single accepts"),
                  ("peer-sim-process", "processing, jarip to jarip-sim (delivered = the sim's report applied)")):
    p = jar.get(tag)
    if not p:
        continue
    r = p["msg_per_s"]
    lines.append("| %s vs gw defaults | %s msg/s (%s of %s in %.1f s) | %s jobs/s | %s | %s |" % (
        what, f"{r:,.0f}", f"{p['delivered_rows']:,}", f"{p['backlog_rows']:,}", p["seconds"],
        f"{gd['jobs_per_s']:,.0f}" if gd else "?", ratio(r, gd and gd["jobs_per_s"]), verdict(r, gd and gd["jobs_per_s"], 5)))
    lines.append("| ↳ vs gw batching (localQueue) | | %s jobs/s | %s | %s |" % (
        f"{gb['jobs_per_s']:,.0f}" if gb else "?", ratio(r, gb and gb["jobs_per_s"]),
        verdict(r, best and best["jobs_per_s"], 1) + (" (its best mode)" if best is gb else " (best mode: defaults)")))
lines.append("")
lines.append("graphile-worker details:")
for k, v in g.items():
    if v:
        lines.append("- %s: %s" % (k, json.dumps({x: v[x] for x in v if x not in ("step",)}, ensure_ascii=False)))
for tag in ("peer-single", "peer-batch", "peer-single-process", "peer-batch-process"):
    for a, b in (("before", "accepted"), ("before_release", "processed")):
        c = cpu(tag, a, b)
        if c:
            lines.append("- CPU %s %s→%s: %s" % (tag, a, b, fmt_cpu(c)[6:]))
print("\n".join(lines))
