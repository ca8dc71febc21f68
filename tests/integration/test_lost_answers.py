#!/usr/bin/env python3
"""Lost answers: the provider takes the send, then the connection breaks before its answer
(jarip-sim's `lose_answer` fault), so jarip cannot tell whether the message went out. Checked:
  * NHN SMS (no idempotency key on that API): jarip asks NHN's lookup API by the step's dedup key
    and, finding the message there, waits for its report instead of sending it again elsewhere;
  * NHN AlimTalk (idempotency key): jarip repeats the step with the same key, NHN answers -1005
    "already requested", and the message is not sent twice;
  * Solapi SMS, when the adapter can search by recipient (no Solapi message id came back).
In each: every 202 is delivered exactly once at the simulator, no attempt is left silently
ambiguous, and the settled attempts say so in the timeline."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

N = int(os.environ.get("JARIP_LOST_ANSWER_MESSAGES", "300"))
# Reports slower than the lookup, so that lost answers are settled by the lookup and not by the
# report overtaking it; a fault rate low enough that the breaker mostly stays closed.
REPORT_DELAY_MS = 1500
SETTLE_AFTER_MS = 200
RATE = 0.2

CASES = [
    # name, chain, fault rule, how the lost answers are settled
    ("nhn_sms", ["sms@nhn", "sms@solapi"], {"provider": "nhn", "channel": "sms", "mode": "lose_answer", "error_rate": RATE},
     "status_query"),
    ("nhn_alimtalk", ["alimtalk@nhn", "sms@solapi"],
     {"provider": "nhn", "channel": "alimtalk", "mode": "lose_answer", "error_rate": RATE}, "idempotency key or lookup"),
    ("solapi_sms", ["sms@solapi", "sms@nhn"],
     {"provider": "solapi", "channel": "sms", "mode": "lose_answer", "error_rate": RATE}, "status_query"),
]


def run_case(b, name, chain, rule, how):
    R = b.results
    sim, j = b.start_pair(name=name, sim_kw={"report_delay_ms": REPORT_DELAY_MS},
                          jarip_kw={"overrides": {"delivery.settle_after_ms": SETTLE_AFTER_MS}})
    sim.fault(**rule)
    ids = []
    for i in range(N):
        msg = h.ship_message(i, name)
        msg["channels"] = chain
        r = j.send(msg)
        if r.status == 202:
            ids.append(r.json()["id"])
    R.check_eq("%s: every message accepted" % name, len(ids), N)
    nums, counts, missing = h.account(R, name, sim, j, ids, 60)
    lost = sim.stats().get("answers_lost", 0)
    R.check("%s: the simulator lost answers (%d)" % (name, lost), lost > 0, sim.stats())
    R.check_eq("%s: no message delivered twice" % name, nums["duplicates"], 0)
    in_doubt, settled, moved_on = 0, 0, []
    for mid in ids:
        m = j.message(mid) or {}
        att = m.get("attempts") or []
        first = att[0] if att else {}
        err = first.get("error") or {}
        if err.get("code") not in ("transport",):
            continue
        in_doubt += 1
        # Settled by a lookup (on this or a repeat whose answer was lost too) or by the key.
        if any("status query" in (a.get("error") or {}).get("text", "") or (a.get("error") or {}).get("code") == "-1005"
               for a in att):
            settled += 1
        if m.get("delivered_via") != chain[0]:
            moved_on.append((mid, m.get("delivered_via"), [(a.get("outcome"), a.get("error")) for a in att]))
    h.log("%s: %d first attempts in doubt, %d settled by %s, moved on %d, lookups %s" % (
        name, in_doubt, settled, how, len(moved_on), j.metric_sum("jarip_status_queries_total")))
    R.check("%s: some first attempts lost their answer (%d)" % (name, in_doubt), in_doubt > 0)
    R.check_eq("%s: every one of them settled by %s" % (name, how), settled, in_doubt)
    R.check("%s: and delivered by the provider that had it, not sent again elsewhere" % name, not moved_on, moved_on[:3])
    if how == "status_query":
        pending = j.metric_sum("jarip_status_queries_total", provider=chain[0].split("@")[1], answer="pending")
        R.check("%s: lookups found them pending at the provider (%d)" % (name, pending), pending >= in_doubt)
    j.sigterm()
    sim.stop()


def main():
    args = h.parse_args()
    t0 = time.monotonic()
    with h.Bench("lost_answers", args) as b:
        for case in CASES:
            run_case(b, *case)
        print("total %.1f s" % (time.monotonic() - t0))
    b.exit()


if __name__ == "__main__":
    main()
