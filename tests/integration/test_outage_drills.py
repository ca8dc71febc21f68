#!/usr/bin/env python3
"""Outage drills. For each drill: a fresh simulator and jarip, a stream of 5,000 order_shipped
messages (default chain alimtalk → sms) from concurrent clients; a quarter of the way in a fault is
injected, at three quarters it is removed. Then, counted at the simulator:
  * every message answered 202 is delivered (some channel), exactly once, except messages with an
    attempt jarip recorded as ambiguous (those are counted and printed);
  * the faulted providers' breakers opened and closed again;
  * after recovery, new messages go by AlimTalk again.
A baseline run without faults comes first: there, nothing may be duplicated or ambiguous."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

N = int(os.environ.get("JARIP_DRILL_MESSAGES", "5000"))
RATE = float(os.environ.get("JARIP_DRILL_RATE", "1500"))
CLIENTS = 16

DRILLS = [
    # name, fault rules, providers whose breaker must open and close, expected AlimTalk provider after recovery
    ("a_solapi_down", [{"provider": "solapi", "channel": "*", "mode": "down"}], ["solapi"], "solapi"),
    ("b_alimtalk_accept_then_fail", [{"provider": "solapi", "channel": "alimtalk", "mode": "accept_then_fail"},
                                     {"provider": "nhn", "channel": "alimtalk", "mode": "accept_then_fail"}],
     ["solapi", "nhn"], None),
    ("c_alimtalk_blackhole", [{"provider": "solapi", "channel": "alimtalk", "mode": "blackhole"},
                              {"provider": "nhn", "channel": "alimtalk", "mode": "blackhole"}],
     ["solapi", "nhn"], None),
]

# A blackhole shows only when report deadlines pass, so its fault window must span several of them:
# a 1 s deadline and a slower stream (about 4 s of fault) let both providers' breakers open and close.
DRILL_OPTIONS = {
    "c_alimtalk_blackhole": {"rate": min(RATE, 600.0), "overrides": {"delivery.report_deadline_ms": 1000}},
}


def transitions(j, provider, to):
    return j.metric_sum("jarip_breaker_transitions_total", provider=provider, to=to)


def after_recovery(R, label, sim, j, alimtalk_provider):
    """Trickles messages until both breakers are closed, then sends 50 more and checks that they
    are delivered by AlimTalk (at the sim). Returns every id accepted here."""
    ids = []
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < 25 and not h.breakers_closed(j):
        # A half-open breaker closes only through probes, and probes need traffic: alternate the
        # trickle's first step between the providers so that each one gets some.
        msg = h.ship_message(900000 + k, label + "-rec")
        msg["channels"] = ["alimtalk@solapi", "sms"] if k % 2 == 0 else ["alimtalk@nhn", "sms"]
        r = j.send(msg)
        if r.status == 202:
            ids.append(r.json()["id"])
        k += 1
        time.sleep(0.1)
    closed = h.breakers_closed(j)
    R.check("%s: both breakers closed after recovery (%.1f s, %d trickle messages)" % (label, time.monotonic() - t0, k),
            closed, j.channels())
    after = []
    for i in range(50):
        r = j.send(h.ship_message(950000 + i, label + "-after"))
        if r.status == 202:
            after.append(r.json()["id"])
    R.check_eq("%s: 50 post-recovery messages accepted" % label, len(after), 50)
    h.await_all_delivered(sim, after, 30)
    recs = [x for x in sim.received(outcome="delivered", limit=1000000)["messages"] if x["message_id"] in set(after)]
    via = {}
    for x in recs:
        key = "%s@%s" % (x["channel"], x["provider"])
        via[key] = via.get(key, 0) + 1
    ok = len(recs) == 50 and all(x["channel"] == "alimtalk" for x in recs)
    if alimtalk_provider:
        ok = ok and all(x["provider"] == alimtalk_provider for x in recs)
    R.check("%s: post-recovery traffic delivered by AlimTalk%s (%s)" % (
        label, ("@" + alimtalk_provider) if alimtalk_provider else "", via), ok, via)
    return ids + after


def baseline(b):
    R = b.results
    sim, j = b.start_pair(name="baseline")
    st = h.Stream(j, min(N, 2000), RATE, CLIENTS, tag="base").run()
    h.log("baseline: " + st.describe())
    R.check_eq("baseline: every request answered 202", st.counts(), {202: st.n})
    nums, counts, _ = h.account(R, "baseline", sim, j, st.accepted_ids(), 60)
    # Without any fault nothing may be ambiguous: a duplicate here reaches a customer for no reason.
    R.known_bug("baseline (no fault): no ambiguous attempt and no duplicate",
                nums["duplicates"] == 0 and nums["ambiguous_attempts_metric"] == 0,
                "%d duplicates, %d ambiguous attempts (report_timeout although the sim delivered and reported within "
                "%d ms). A report that arrives while the message is still 'sending' (the send's 'accepted' not yet "
                "committed) is treated as late by apply_report_batch (m.state != sent), then complete() overwrites the "
                "attempt's 'delivered' with 'accepted'; the report deadline later moves the message to the next "
                "channel and the customer gets it twice" % (nums["duplicates"], nums["ambiguous_attempts_metric"],
                                                             sim.report_delay_ms))
    j.sigterm()
    sim.stop()
    return nums


def drill(b, name, rules, must_trip, alimtalk_provider):
    R = b.results
    options = DRILL_OPTIONS.get(name, {})
    sim, j = b.start_pair(name=name, jarip_kw={"overrides": options.get("overrides", {})})
    watch = h.BreakerWatch(j).start()
    st = h.Stream(j, N, options.get("rate", RATE), CLIENTS, tag=name)
    marks = {}

    def inject():
        marks["fault_at"] = time.monotonic()
        for rule in rules:
            sim.fault(**rule)
        h.log("%s: fault injected %s" % (name, json.dumps(rules)))

    def restore():
        marks["restore_at"] = time.monotonic()
        sim.clear_faults()
        h.log("%s: faults cleared" % name)

    st.at(N // 4, inject)
    st.at(3 * N // 4, restore)
    st.run()
    h.log("%s: %s" % (name, st.describe()))
    accepted = st.accepted_ids()
    R.check("%s: at least 99%% of the stream answered 202" % name, len(accepted) >= 0.99 * N, st.counts())
    rec_ids = after_recovery(R, name, sim, j, alimtalk_provider)
    all_ids = accepted + rec_ids
    nums, counts, missing = h.account(R, name, sim, j, all_ids, 90)
    watch.stop()
    for p in must_trip:
        opened = transitions(j, p, "open")
        closed = transitions(j, p, "closed")
        R.check("%s: %s breaker opened (%d) and closed (%d); seen %s" % (name, p, opened, closed, watch.seen.get(p)),
                opened >= 1 and closed >= 1 and watch.opened_and_closed(p) if watch.seen.get(p) else opened >= 1 and closed >= 1,
                watch.seen)
    # where did the stream go, at the far side
    stats = sim.stats()["by_provider"]
    flat = {"%s/%s" % (p, c): v for p, chans in stats.items() for c, v in chans.items()}
    nums["by_provider_channel"] = {k: v for k, v in flat.items() if any(v.values())}
    nums["stream_s"] = round(st.elapsed, 1)
    nums["stream_rate"] = round(st.n / st.elapsed)
    if missing:
        for mid in missing[:3]:
            h.log("%s: missing %s: %s" % (name, mid, json.dumps(j.message(mid), ensure_ascii=False)[:800]))
    j.sigterm()
    sim.stop()
    return nums


def main():
    args = h.parse_args()
    t0 = time.monotonic()
    table = {}
    with h.Bench("outage_drills", args) as b:
        table["baseline"] = baseline(b)
        for name, rules, trip, alim in DRILLS:
            d0 = time.monotonic()
            table[name] = drill(b, name, rules, trip, alim)
            table[name]["drill_s"] = round(time.monotonic() - d0, 1)
        print("\nper-drill numbers (counted at the simulator):")
        for k, v in table.items():
            print("  %-30s %s" % (k, json.dumps(v)))
        print("total %.1f s" % (time.monotonic() - t0))
    b.exit()


if __name__ == "__main__":
    main()
