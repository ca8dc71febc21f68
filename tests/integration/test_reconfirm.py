#!/usr/bin/env python3
"""The consent duties of 정보통신망법 §50 running by themselves: a customer whose advertising consent
is nearly two years old is sent a re-confirmation notice (once, however often the job runs) with a
signed link; "yes" renews the consent, "no" withdraws it, and without an answer the consent lapses
at two years and ads are refused. The clock is faked by dating the consents in the past: the job
judges them against the real time, exactly as it would two years on."""

import datetime
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

KST = datetime.timezone(datetime.timedelta(hours=9))
TWO_YEARS = datetime.timedelta(days=2 * 365 + 1)


def consent_at(delta):
    return (datetime.datetime.now(KST) + delta).replace(microsecond=0).isoformat()


def customer(phone, at):
    return {"name": "고객", "locale": "ko", "phones": [phone],
            "consents": [{"channel": "sms", "purpose": "ad", "granted": True, "at": at, "source": "web_signup"}]}


def err(r):
    return ((r.json() or {}).get("error") or {})


def main():
    args = h.parse_args()
    with h.Bench("reconfirm", args) as b:
        R = b.results
        sim = b.sim()
        j = b.jarip(sim, overrides={"consent.reconfirm_check_s": 1, "consent.reconfirm_first_delay_s": 0})
        sim.start(j.port)
        j.start()

        due_at = consent_at(-TWO_YEARS + datetime.timedelta(days=10))   # two years are up in 10 days
        lapsed_at = consent_at(-TWO_YEARS - datetime.timedelta(days=1))  # up yesterday, never answered
        fresh_at = consent_at(-datetime.timedelta(days=365))
        people = {"r-yes": ("010-5555-8001", due_at), "r-no": ("010-5555-8002", due_at),
                  "r-lapsed": ("010-5555-8003", lapsed_at), "r-fresh": ("010-5555-8004", fresh_at)}
        for cid, (phone, at) in people.items():
            r = j.call("PUT", "/v1/customers/" + cid, customer(phone, at))
            R.check("PUT %s: 201" % cid, r.status == 201, r)

        def notices(phone):
            digits = phone.replace("-", "")
            return [x for x in sim.records(channel="sms") if x.get("to") == digits and "/c/" in (x.get("text") or "")]

        for cid in ("r-yes", "r-no", "r-lapsed"):
            phone = people[cid][0]
            got = h.wait_for(lambda: notices(phone), 20, what="re-confirmation notice to " + cid)
            R.check("%s got a re-confirmation notice by SMS" % cid, bool(got), sim.records(channel="sms")[-3:])
        time.sleep(3)  # three more passes of the job
        for cid in ("r-yes", "r-no", "r-lapsed"):
            R.check_eq("%s was asked once, however often the job ran" % cid, len(notices(people[cid][0])), 1)
        R.check_eq("r-fresh was not asked (its consent is one year old)", len(notices(people["r-fresh"][0])), 0)

        text = notices(people["r-yes"][0])[0]["text"]
        R.check("the notice says when the customer consented", due_at[:10] in text, text)
        R.check("the notice says ads stop without an answer", "중단" in text, text)

        def answer_path(cid):
            t = notices(people[cid][0])[0]["text"]
            url = next(w for w in t.split() if "/c/" in w)
            return urllib.parse.urlparse(url).path

        # A GET only shows the question.
        g = j.get_raw(answer_path("r-yes"))
        R.check("answer page: 200 with the question", g.status == 200 and "유지" in g.body.decode("utf-8", "replace"), g)
        before = j.call("GET", "/v1/customers/r-yes").json() or {}
        R.check("GET changed nothing", [c.get("at") for c in before.get("consents", [])] == [due_at], before.get("consents"))

        yes = h.http_request(j.url + answer_path("r-yes"), "POST", "answer=yes",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        R.check("answer yes: 200", yes.status == 200, yes)
        after = j.call("GET", "/v1/customers/r-yes").json() or {}
        renewed = [c for c in after.get("consents", []) if c.get("purpose") == "ad"]
        R.check("yes renewed the consent (a new time, still granted)",
                len(renewed) == 1 and renewed[0].get("granted") is True and renewed[0].get("at") != due_at, renewed)
        R.check("the renewal is in the consent history",
                len(after.get("consent_history", [])) >= 2, after.get("consent_history"))

        no = h.http_request(j.url + answer_path("r-no"), "POST", "answer=no",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        R.check("answer no: 200", no.status == 200, no)

        ad = {"kind": "ad", "text": "봄 세일 30%", "channels": ["sms"]}
        r = j.send(dict(ad, recipient={"customer_id": "r-yes"}))
        R.check("ad to r-yes after yes: 202", r.status == 202, r)
        r = j.send(dict(ad, recipient={"customer_id": "r-no"}))
        R.check("ad to r-no after no: 400 ad_consent_withdrawn", r.status == 400 and err(r).get("code") == "ad_consent_withdrawn", r)
        r = j.send(dict(ad, recipient={"customer_id": "r-lapsed"}))
        R.check("ad to r-lapsed (no answer, two years up): 400 ad_consent_expired",
                r.status == 400 and err(r).get("code") == "ad_consent_expired", r)
        r = j.send(dict(ad, recipient={"customer_id": "r-fresh"}))
        R.check("ad to r-fresh: 202", r.status == 202, r)

        # Restarting does not ask again: the notices sent are stored.
        j.sigterm()
        sim.clear_received()
        j.start()
        time.sleep(2.5)
        R.check_eq("after a restart nobody is asked again", sum(len(notices(p)) for p, _ in people.values()), 0)
    b.exit()


if __name__ == "__main__":
    main()
