#!/usr/bin/env python3
"""Summarize a bench/console_bench.sh run: prints a Markdown report and writes <dir>/results.json.

    python3 bench/console_summarize.py bench/results/<stamp>-console

Targets judged against (issue 10 sets no number; these are ours, stated in BENCHMARKS.md):
  - public status routes (/status, /status.json, /status/banner.js, /status/feed.atom, keep-alive):
    p99 < 100 ms under load, no errors;
  - GET /console/api/board: p99 < 250 ms under load, no errors;
  - the live stream: no gap between `event: board` arrivals above 5.5 s (the promise is "at least every
    5 s"; 0.5 s of slack for the push timer).
"""
import json
import os
import statistics
import sys

STATUS_P99_MS = 100.0
BOARD_P99_MS = 250.0
SSE_MAX_GAP_MS = 5500.0


def load(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def kv_file(path):
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if ":" in line:
                k, v = line.split(":", 1)
                out.setdefault(k.strip(), v.strip())
    return out


def cpu_phases(d):
    """cpu.txt lines: TAG EPOCH jarip=T sim=T cpu0 busy total cpu1 busy total …"""
    snaps = {}
    path = os.path.join(d, "cpu.txt")
    if not os.path.exists(path):
        return {}
    for line in open(path):
        f = line.split()
        s = {"t": float(f[1]), "jarip": int(f[2].split("=")[1]), "sim": int(f[3].split("=")[1]), "cores": {}}
        rest = f[4:]
        for i in range(0, len(rest) - 2, 3):
            s["cores"][rest[i]] = (int(rest[i + 1]), int(rest[i + 2]))
        snaps[f[0]] = s
    hz = os.sysconf("SC_CLK_TCK")
    out = {}
    for name, a, b in (("idle", "idle_start", "idle_end"), ("load", "probe_start", "probe_end"),
                       ("after", "after_start", "after_end")):
        if a not in snaps or b not in snaps:
            continue
        sa, sb = snaps[a], snaps[b]
        secs = sb["t"] - sa["t"]
        r = {"seconds": round(secs, 2),
             "jarip_core_pct": round(100.0 * (sb["jarip"] - sa["jarip"]) / hz / secs, 1),
             "sim_core_pct": round(100.0 * (sb["sim"] - sa["sim"]) / hz / secs, 1)}
        for c, (busy, total) in sb["cores"].items():
            b0, t0 = sa["cores"].get(c, (0, 0))
            r[c + "_busy_pct"] = round(100.0 * (busy - b0) / max(1, total - t0), 1)
        out[name] = r
    return out


def wrk_figures(wrk):
    secs = wrk["duration_us"] / 1e6
    e = wrk["errors"]
    return {"requests": wrk["requests"], "seconds": round(secs, 2), "rate": round(wrk["requests"] / secs, 1),
            "errors": sum(e.values()), "error_kinds": e,
            "p50_ms": round(wrk["latency_us"]["p50"] / 1000, 1), "p99_ms": round(wrk["latency_us"]["p99"] / 1000, 1),
            "max_ms": round(wrk["latency_us"]["max"] / 1000, 1)}


def accept_figures(d, probe):
    wrk = load(d, "load.wrk.json")
    control = load(d, "control.wrk.json")
    store = load(d, "load.store.json")
    r = {}
    if wrk:
        secs = wrk["duration_us"] / 1e6
        e = wrk["errors"]
        r.update({"wrk_requests": wrk["requests"], "wrk_seconds": round(secs, 2),
                  "wrk_rate": round(wrk["requests"] / secs, 1),
                  "wrk_errors": sum(e.values()), "wrk_error_kinds": e,
                  "wrk_p50_ms": round(wrk["latency_us"]["p50"] / 1000, 1),
                  "wrk_p99_ms": round(wrk["latency_us"]["p99"] / 1000, 1),
                  "wrk_max_ms": round(wrk["latency_us"]["max"] / 1000, 1)})
    if control:
        r["control"] = wrk_figures(control)
    if store:
        r["accepted"] = store["accepted"]
        r["commits"] = store["commits"]
    # Accepted per second while the probe ran (from the per-second /metrics samples).
    path = os.path.join(d, "load.accept_samples.txt")
    if probe and os.path.exists(path):
        pts = []
        for line in open(path):
            t, v = line.split()
            if v != "NA" and v:
                pts.append((float(t), int(v)))
        lo, hi = probe["start_epoch_s"], probe["end_epoch_s"]
        win = [p for p in pts if lo - 0.5 <= p[0] <= hi + 0.5]
        rates = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(win, win[1:]) if b[0] > a[0]]
        if len(win) >= 2:
            r["probe_window_rate"] = round((win[-1][1] - win[0][1]) / (win[-1][0] - win[0][0]), 1)
            r["probe_window_per_second_min"] = round(min(rates), 1)
            r["probe_window_per_second_median"] = round(statistics.median(rates), 1)
    return r


def slow_episodes(probe, threshold):
    cols = probe["raw"]["columns"]
    ti, li, ei = cols.index("sched_s"), cols.index("latency_ms"), cols.index("error")
    slow = []
    for name, samples in probe["raw"]["urls"].items():
        short = name.replace("GET ", "").replace(" (new connection each)", " (new conn)")
        for x in samples:
            if x[li] is not None and x[li] > threshold:
                slow.append((x[ti], x[li], short))
    slow.sort()
    out = []
    for t, lat, name in slow:
        if out and t - out[-1]["to"] < 1.0:
            e = out[-1]
        else:
            e = {"from": t, "to": t, "count": 0, "worst": 0.0, "by_url": {}}
            out.append(e)
        e["to"] = t
        e["count"] += 1
        e["worst"] = max(e["worst"], lat)
        e["by_url"][name] = max(e["by_url"].get(name, 0.0), lat)
    return out


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, (int, float)):
        return f"{v:,.{digits}f}"
    return str(v)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest"
    machine = kv_file(os.path.join(d, "machine.txt"))
    idle = load(d, "idle.probe.json")
    loadp = load(d, "load.probe.json")
    accept = accept_figures(d, loadp)
    cpu = cpu_phases(d)
    strip = lambda p: None if p is None else {k: v for k, v in p.items() if k != "raw"}
    results = {"dir": os.path.abspath(d), "machine": machine, "idle": strip(idle), "load": strip(loadp),
               "after": strip(load(d, "after.probe.json")),
               "slow_episodes_under_load": slow_episodes(loadp, 100.0) if loadp else None,
               "accept": accept, "cpu": cpu,
               "targets": {"status_p99_ms": STATUS_P99_MS, "board_p99_ms": BOARD_P99_MS,
                           "sse_max_gap_ms": SSE_MAX_GAP_MS}}

    # verdicts
    verdicts = []
    if loadp:
        for u in loadp["urls"]:
            if u["new_connection_each"]:
                continue
            limit = BOARD_P99_MS if "console" in u["path"] else STATUS_P99_MS
            p99 = u["latency_ms"]["p99"]
            ok = p99 is not None and p99 < limit and u["errors"] == 0
            verdicts.append({"what": u["name"], "target": f"p99 < {limit:.0f} ms, 0 errors", "p99": p99,
                             "errors": u["errors"], "met": ok})
        s = loadp.get("sse") or {}
        gap = (s.get("gap_ms") or {}).get("max")
        tail = s.get("since_last_board_at_end_ms")
        worst = max(x for x in (gap, tail) if x is not None) if (gap is not None or tail is not None) else None
        verdicts.append({"what": "SSE event: board", "target": f"max gap <= {SSE_MAX_GAP_MS / 1000:.1f} s",
                         "max_gap_ms": gap, "met": bool(s.get("opened")) and worst is not None and
                         worst <= SSE_MAX_GAP_MS and not (s.get("error") or "").startswith("stream ended")})
    results["verdicts"] = verdicts
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump(results, f, indent=1)

    # ---- Markdown ----
    print(f"# Console and status page under load: {os.path.basename(os.path.abspath(d))}\n")
    if machine.get("valid", "").startswith("false"):
        print("**NOT a valid run: the load phase was shorter than 60 s.**\n")
    for k in ("date", "command", "binaries", "commit", "nproc", "Model name", "loadavg at start", "loadavg at end",
              "layout", "probe"):
        if k in machine:
            print(f"- {k}: {machine[k]}")
    print()
    if accept:
        print(f"**Accept load during the run** (wrk, {accept.get('wrk_seconds')} s, POST /v1/messages): "
              f"**{fmt(accept.get('wrk_rate'))} req/s**, {accept.get('wrk_errors')} errors, "
              f"p50 {accept.get('wrk_p50_ms')} ms, p99 {accept.get('wrk_p99_ms')} ms; /metrics accepted "
              f"{accept.get('accepted', '–'):,} in {accept.get('commits', '–'):,} commits; while the probe ran "
              f"{fmt(accept.get('probe_window_rate'))} msg/s (per second: min {fmt(accept.get('probe_window_per_second_min'))}, "
              f"median {fmt(accept.get('probe_window_per_second_median'))}).\n")
        c = accept.get("control")
        if c:
            print(f"Control, the same wrk alone on a fresh stack right after: **{fmt(c['rate'])} req/s**, {c['errors']} errors, "
                  f"p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms (with the probes: "
                  f"{100.0 * accept['wrk_rate'] / c['rate']:.0f} % of it).\n")
    if cpu:
        for name in ("idle", "load"):
            c = cpu.get(name)
            if c:
                cores = ", ".join(f"{k[:-9]} {v} %" for k, v in c.items() if k.endswith("_busy_pct"))
                print(f"- CPU while probing ({name}, {c['seconds']} s): jarip {c['jarip_core_pct']} % of a core, "
                      f"jarip-sim {c['sim_core_pct']} %; cores busy: {cores}")
        print()
    if idle and loadp:
        print(f"Probe: {loadp['rate_per_url']:g} requests/s per URL, open loop, {loadp['connection']}; "
              f"idle {idle['seconds']:g} s, under load {loadp['seconds']:g} s. Latency in ms: request start → the "
              "kernel's receive timestamp of the body's last byte; \"seen\" = until the probe had read it.\n")
        after = load(d, "after.probe.json")
        print("| URL | idle: p50 / p99 / max (n, err) | **under load**: p50 / p90 / **p99** / max (n, err) |"
              " under load, p99 seen by the probe | idle after the load: p50 / p99 / max (n, err) |")
        print("|---|---|---|---|---|")
        by = {u["name"]: u for u in idle["urls"]}
        by_after = {u["name"]: u for u in after["urls"]} if after else {}
        for u in loadp["urls"]:
            i = by.get(u["name"])
            li, ll = i["latency_ms"], u["latency_ms"]
            err = lambda x: f"{x['count']}, {x['errors']}" + (" " + json.dumps(x["error_kinds"]) if x["errors"] else "")
            a_ = by_after.get(u["name"])
            after_cell = (f"{fmt(a_['latency_ms']['p50'])} / {fmt(a_['latency_ms']['p99'])} / {fmt(a_['latency_ms']['max'])} "
                          f"({err(a_)})") if a_ else "–"
            print(f"| `{u['name']}` | {fmt(li['p50'])} / {fmt(li['p99'])} / {fmt(li['max'])} ({err(i)}) | "
                  f"{fmt(ll['p50'])} / {fmt(ll['p90'])} / **{fmt(ll['p99'])}** / {fmt(ll['max'])} ({err(u)}) | "
                  f"{fmt(u['seen_by_probe_ms']['p99'])} | {after_cell} |")
        lat_i = max(u["lateness_ms"]["p99"] or 0 for u in idle["urls"])
        lat_l = max(u["lateness_ms"]["p99"] or 0 for u in loadp["urls"])
        max_l = max(u["lateness_ms"]["max"] or 0 for u in loadp["urls"])
        print(f"\nProbe's own scheduling delay (start late against its schedule), p99 over URLs: idle {lat_i:.1f} ms, "
              f"under load {lat_l:.1f} ms (max {max_l:.1f} ms): the probe shares core 0 with wrk.\n")
        episodes = slow_episodes(loadp, 100.0)
        if episodes:
            print("Slow moments under load (requests over 100 ms, grouped when less than 1 s apart; t = seconds "
                  "into the probe):\n")
            for e in episodes[:12]:
                print(f"- t = {e['from']:.1f}–{e['to']:.1f} s: {e['count']} requests, worst {e['worst']:.0f} ms; "
                      + ", ".join(f"{k} {v:.0f}" for k, v in e['by_url'].items()))
            if len(episodes) > 12:
                print(f"- … and {len(episodes) - 12} more")
            print()
        if after:
            episodes = slow_episodes(after, 100.0)
            print(f"Slow moments idle after the load (same threshold): {len(episodes)}" + (": " if episodes else "."))
            for e in episodes[:12]:
                print(f"- t = {e['from']:.1f}–{e['to']:.1f} s: {e['count']} requests, worst {e['worst']:.0f} ms; "
                      + ", ".join(f"{k} {v:.0f}" for k, v in e['by_url'].items()))
            print()
        print("| live stream `GET /console/api/events` | board events | gap p50 | gap max | last board → end | board age at arrival p50 / max | error |")
        print("|---|---|---|---|---|---|---|")
        for name, p in (("idle", idle), ("under load", loadp), ("idle after the load", after)):
            if not p:
                continue
            s = p.get("sse") or {}
            g = s.get("gap_ms") or {}
            a = s.get("board_age_at_arrival_ms") or {}
            print(f"| {name} | {s.get('board_events')} | {fmt(g.get('p50'), 0)} ms | **{fmt(g.get('max'), 0)} ms** | "
                  f"{fmt(s.get('since_last_board_at_end_ms'), 0)} ms | {fmt(a.get('p50'), 0)} / {fmt(a.get('max'), 0)} ms | "
                  f"{s.get('error') or 'none'} |")
        print()
    if verdicts:
        print("| target (ours; issue 10 sets no number) | under load | met? |")
        print("|---|---|---|")
        for v in verdicts:
            got = (f"p99 {fmt(v['p99'])} ms, {v['errors']} errors" if "p99" in v else f"max gap {fmt(v['max_gap_ms'], 0)} ms")
            print(f"| {v['what']}: {v['target']} | {got} | {'**met**' if v['met'] else '**NOT met**'} |")


if __name__ == "__main__":
    main()
