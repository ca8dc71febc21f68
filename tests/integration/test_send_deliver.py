#!/usr/bin/env python3
"""Functional path: send → delivered (timeline), fallbacks, ads, idempotency, cancel, batch,
templates, channels view, TTL expiry and the CLI. Every delivery is checked at the simulator."""

import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def error_of(r):
    j = r.json() or {}
    return j.get("error") or {}


def sim_records(sim, mid):
    return sim.received(message_id=mid)["messages"]


def delivered_records(sim, mid):
    return [x for x in sim_records(sim, mid) if x["outcome"] == "delivered"]


def main():
    args = h.parse_args()
    with h.Bench("send_deliver", args) as b:
        R = b.results
        sim, j = b.start_pair()

        # ---- 1. send → delivered, full timeline -------------------------------------------------
        r = j.send({"recipient": {"phone": "010-2222-3333"}, "template": "order_shipped",
                    "vars": {"name": "김민수", "order": "A-1001"}, "metadata": {"order": "A-1001"}})
        R.check_eq("send: 202", r.status, 202)
        body = r.json() or {}
        R.check("send: body has id and status accepted", body.get("status") == "accepted" and body.get("id"), body)
        mid = body.get("id")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 15) or {}
        R.check_eq("send: delivered", m.get("status"), "delivered")
        R.check_eq("send: delivered via alimtalk@solapi (first step)", m.get("delivered_via"), "alimtalk@solapi")
        R.check_eq("send: metadata kept", m.get("metadata"), {"order": "A-1001"})
        att = m.get("attempts") or []
        R.check("send: timeline has one attempt", len(att) == 1, att)
        if att:
            a = att[0]
            R.check("send: attempt fields (step, channel, provider, outcome, started/ended, provider id, dedup)",
                    a.get("step") == 0 and a.get("channel") == "alimtalk" and a.get("provider") == "solapi"
                    and a.get("outcome") == "delivered" and a.get("started_at") and a.get("ended_at")
                    and a.get("provider_message_id") and a.get("dedup_key") == mid + ".0", a)
            R.check("send: started_at <= ended_at", a.get("started_at", "") <= a.get("ended_at", ""), a)
        recs = sim_records(sim, mid)
        R.check("send: sim recorded exactly one AlimTalk delivered with the rendered text",
                len(recs) == 1 and recs[0]["channel"] == "alimtalk" and recs[0]["outcome"] == "delivered"
                and recs[0]["text"] == "김민수님 주문 A-1001번이 발송되었습니다." and recs[0]["to"] == "01022223333", recs)
        if att and recs:
            R.check_eq("send: provider message id matches the sim's", att[0].get("provider_message_id"),
                       recs[0].get("provider_message_id"))
        delivered_mid = mid

        # ---- 2. not a KakaoTalk user → SMS ------------------------------------------------------
        r = j.send({"recipient": {"phone": h.NON_KAKAO}, "template": "order_shipped",
                    "vars": {"name": "이영희", "order": "B-7"}})
        R.check_eq("non-kakao: 202", r.status, 202)
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 20) or {}
        R.check("non-kakao: delivered via sms", m.get("status") == "delivered"
                and str(m.get("delivered_via", "")).startswith("sms@"), {k: m.get(k) for k in ("status", "delivered_via")})
        outcomes = [(a["channel"], a["provider"], a["outcome"]) for a in m.get("attempts", [])]
        R.check("non-kakao: timeline shows AlimTalk failed before SMS delivered",
                any(c == "alimtalk" and o == "failed" for c, _, o in outcomes)
                and outcomes and outcomes[-1][0] == "sms" and outcomes[-1][2] == "delivered", outcomes)
        recs = sim_records(sim, mid)
        R.check("non-kakao: sim has AlimTalk failed (3104/3019) and exactly one SMS delivered",
                any(x["channel"] == "alimtalk" and x["outcome"] == "failed" and x["status_code"] in ("3104", "3019")
                    for x in recs)
                and sum(1 for x in recs if x["outcome"] == "delivered") == 1
                and [x for x in recs if x["outcome"] == "delivered"][0]["channel"] == "sms",
                [(x["provider"], x["channel"], x["outcome"], x["status_code"]) for x in recs])

        # ---- 3. ads ---------------------------------------------------------------------------------
        r = j.send({"recipient": {"phone": "010-3333-4444"}, "kind": "ad", "text": "주말 특가 30% 할인",
                    "night_consent": True})
        R.check_eq("ad: 202", r.status, 202)
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 15) or {}
        R.check("ad: delivered by sms", m.get("status") == "delivered" and str(m.get("delivered_via", "")).startswith("sms@"),
                m.get("delivered_via"))
        recs = delivered_records(sim, mid)
        text = recs[0]["text"] if recs else ""
        R.check("ad: sim's SMS text starts with (광고) and the sender name", text.startswith("(광고)") and "자립상점" in text, text)
        R.check("ad: sim's SMS text carries the 080 opt-out line", "080-123-4567" in text and "무료" in text, text)
        R.check("ad: never sent as AlimTalk", all(x["channel"] == "sms" for x in sim_records(sim, mid)),
                sim_records(sim, mid))
        r = j.send({"recipient": {"phone": "010-3333-4444"}, "kind": "ad", "text": "광고", "channels": ["alimtalk"],
                    "night_consent": True})
        e = error_of(r)
        R.check("ad on alimtalk: 400 ad_not_allowed_on_alimtalk field channels",
                r.status == 400 and e.get("code") == "ad_not_allowed_on_alimtalk" and e.get("field") == "channels", r)

        # ---- 4. Idempotency-Key --------------------------------------------------------------------
        msg = {"recipient": {"phone": "010-4444-5555"}, "template": "order_shipped", "vars": {"name": "박", "order": "I-1"}}
        r1 = j.send(msg, {"Idempotency-Key": "order-I-1"})
        r2 = j.send(msg, {"Idempotency-Key": "order-I-1"})
        R.check_eq("idempotency: first 202", r1.status, 202)
        R.check("idempotency: replay returns the same status and body",
                r2.status == r1.status and r2.body == r1.body, (r1, r2))
        R.check_eq("idempotency: replay marked Idempotent-Replayed", r2.header("Idempotent-Replayed"), "true")
        msg2 = dict(msg, vars={"name": "박", "order": "I-2"})
        r3 = j.send(msg2, {"Idempotency-Key": "order-I-1"})
        e = error_of(r3)
        R.check("idempotency: different body → 409 idempotency_conflict",
                r3.status == 409 and e.get("code") == "idempotency_conflict", r3)
        mid = (r1.json() or {}).get("id", "")
        j.wait_state(mid, "delivered", 15)
        time.sleep(0.3)
        R.check_eq("idempotency: the sim delivered that message once",
                   len(delivered_records(sim, mid)), 1)
        R.check("idempotency: no other message for that phone at the sim",
                len([x for x in sim.received(limit=100000)["messages"] if x["to"] == "01044445555"]) == 1)

        # ---- 5. cancel -------------------------------------------------------------------------------
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = j.send({"recipient": {"phone": "010-5555-6666"}, "template": "order_shipped",
                    "vars": {"name": "최", "order": "C-1"}, "send_at": later})
        R.check_eq("scheduled: 202", r.status, 202)
        mid = (r.json() or {}).get("id", "")
        m = j.message(mid) or {}
        R.check("scheduled: accepted with next_attempt_at", m.get("status") == "accepted" and m.get("next_attempt_at"), m)
        r = j.cancel(mid)
        R.check("cancel scheduled: 200 canceled", r.status == 200 and (r.json() or {}).get("status") == "canceled", r)
        R.check_eq("cancel scheduled: GET shows canceled", (j.message(mid) or {}).get("status"), "canceled")
        r = j.cancel(mid)
        R.check("cancel twice: 409 with state canceled", r.status == 409 and error_of(r).get("state") == "canceled", r)
        R.check_eq("cancel scheduled: nothing at the sim", len(sim_records(sim, mid)), 0)
        r = j.cancel(delivered_mid)
        e = error_of(r)
        R.check("cancel delivered: 409 conflict with state delivered",
                r.status == 409 and e.get("code") == "conflict" and e.get("state") == "delivered", r)
        r = j.cancel("msg_doesnotexist")
        R.check("cancel unknown: 404 not_found", r.status == 404 and error_of(r).get("code") == "not_found", r)

        # ---- 6. batch of 100 with some invalid items --------------------------------------------------
        items, bad = [], {}
        for i in range(100):
            m_ = h.ship_message(5000 + i, "batch")
            if i % 10 == 3:
                m_["recipient"]["phone"] = "12345"
                bad[i] = "invalid_phone"
            elif i % 10 == 7:
                m_["template"] = "no_such_template"
                bad[i] = "unknown_template"
            elif i == 50:
                m_["colour"] = "red"
                bad[i] = "unknown_field"
            items.append(m_)
        r = j.batch(items)
        res = r.json() or {}
        R.check_eq("batch: 202", r.status, 202)
        R.check("batch: accepted/rejected totals", res.get("accepted") == 100 - len(bad) and res.get("rejected") == len(bad),
                {k: res.get(k) for k in ("accepted", "rejected")})
        results = res.get("results") or []
        ok_shape = len(results) == 100 and all(x.get("index") == i for i, x in enumerate(results))
        R.check("batch: one result per item, in order", ok_shape, len(results))
        wrong = []
        for i, x in enumerate(results):
            if i in bad:
                if x.get("status") != "rejected" or (x.get("error") or {}).get("code") != bad[i] or "id" in x:
                    wrong.append((i, x))
            elif x.get("status") != "accepted" or not x.get("id"):
                wrong.append((i, x))
        R.check("batch: per-item status and error code", not wrong, wrong[:3])
        batch_ids = [x["id"] for x in results if x.get("id")]
        counts = h.await_all_delivered(sim, batch_ids, 30)
        R.check("batch: every accepted item delivered exactly once at the sim",
                all(counts.get(i, 0) == 1 for i in batch_ids),
                [(i, counts.get(i, 0)) for i in batch_ids if counts.get(i, 0) != 1][:5])
        R.check("batch: no sim record for rejected items' phones",
                not any(x["to"] in ("12345",) for x in sim.received(limit=100000)["messages"]))

        # ---- 7. templates --------------------------------------------------------------------------------
        plain = {"kind": "info", "chain": ["alimtalk", "sms"],
                 "alimtalk": {"text": "#{name}님 안녕하세요. 코드 #{code}",
                              "codes": {"solapi": "KA01TP0000000000000000PLAIN", "nhn": "JARIP_PLAIN"}},
                 "sms": {"text": "[자립] #{name}님 코드 #{code}"}}
        r = j.call("PUT", "/v1/templates/plain_hello", plain)
        R.check_eq("PUT template: 200", r.status, 200)
        r = j.call("GET", "/v1/templates/plain_hello")
        t = r.json() or {}
        R.check("GET template: same text and codes",
                r.status == 200 and (t.get("alimtalk") or {}).get("text") == plain["alimtalk"]["text"]
                and (t.get("alimtalk") or {}).get("codes") == plain["alimtalk"]["codes"], t)
        r = j.call("GET", "/v1/templates")
        names = [x.get("name") for x in (r.json() or {}).get("templates", [])]
        R.check("GET templates: lists plain_hello and order_shipped", "plain_hello" in names and "order_shipped" in names, names)
        r = j.call("GET", "/v1/templates/nope")
        R.check("GET unknown template: 404", r.status == 404 and error_of(r).get("code") == "not_found", r)
        r = j.call("PUT", "/v1/templates/broken", {"kind": "info"})
        R.check("PUT template without forms: 400 with field", r.status == 400 and error_of(r).get("field"), r)
        r = j.send({"recipient": {"phone": "010-6666-7777"}, "template": "plain_hello", "vars": {"name": "정", "code": "77"}})
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 15) or {}
        recs = delivered_records(sim, mid)
        R.check("PUT template: message delivered by AlimTalk with the sim's registered text",
                m.get("delivered_via") == "alimtalk@solapi" and len(recs) == 1
                and recs[0]["text"] == "정님 안녕하세요. 코드 77", (m.get("delivered_via"), recs))

        # (a) the jarip template's AlimTalk text uses other variables than the registered one: both
        # providers must refuse (Solapi 1043 / NHN -3049) and the message falls back to SMS.
        mismatch = json.loads(json.dumps(plain))
        mismatch["alimtalk"]["text"] = "#{name}님 안녕하세요. 주문 #{order}"
        mismatch["sms"]["text"] = "[자립] #{name}님 주문 #{order}"
        r = j.call("PUT", "/v1/templates/mismatch_vars", mismatch)
        R.check_eq("PUT mismatching template: 200 (jarip cannot know)", r.status, 200)
        r = j.send({"recipient": {"phone": "010-7777-8888"}, "template": "mismatch_vars",
                    "vars": {"name": "강", "order": "88"}})
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 20) or {}
        recs = sim_records(sim, mid)
        R.check("template mismatch (variables): both providers refused the AlimTalk (1043 / -3049)",
                {(x["provider"], x["status_code"]) for x in recs if x["channel"] == "alimtalk"}
                == {("solapi", "1043"), ("nhn", "-3049")}
                and all(x["outcome"] == "rejected" for x in recs if x["channel"] == "alimtalk"),
                [(x["provider"], x["channel"], x["outcome"], x["status_code"]) for x in recs])
        dl = [x for x in recs if x["outcome"] == "delivered"]
        R.check("template mismatch (variables): fell back to SMS, delivered once with jarip's SMS text",
                m.get("status") == "delivered" and str(m.get("delivered_via", "")).startswith("sms@")
                and len(dl) == 1 and dl[0]["channel"] == "sms" and dl[0]["text"] == "[자립] 강님 주문 88",
                (m.get("status"), m.get("delivered_via"), dl))

        # (b) same variables, different wording: the customer must never get a text other than the
        # one jarip holds. Solapi checks `text` against the registered template (1043) only when the
        # request carries it.
        wording = json.loads(json.dumps(plain))
        wording["alimtalk"]["text"] = "#{name}님 반갑습니다. 코드 #{code}"
        r = j.call("PUT", "/v1/templates/mismatch_text", wording)
        # NHN's v2.3 send takes only templateParameter and renders its registered wording itself, so
        # the wording check is Solapi's (it receives jarip's rendered text): chain alimtalk@solapi → sms.
        r = j.send({"recipient": {"phone": "010-7777-9999"}, "template": "mismatch_text",
                    "vars": {"name": "강", "code": "99"}, "channels": ["alimtalk@solapi", "sms@nhn"]})
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 20) or {}
        recs = sim_records(sim, mid)
        dl = [x for x in recs if x["outcome"] == "delivered"]
        R.check("template mismatch (wording): Solapi refuses the AlimTalk (1043) and the message falls back to SMS",
                any(x["channel"] == "alimtalk" and x["provider"] == "solapi" and x["outcome"] == "rejected"
                    and x["status_code"] == "1043" for x in recs)
                and len(dl) == 1 and dl[0]["channel"] == "sms",
                "delivered %r via %s while jarip's template says %r; sim records %s"
                % (dl[0]["text"] if dl else None, m.get("delivered_via"), wording["alimtalk"]["text"],
                   [(x["provider"], x["channel"], x["outcome"], x["status_code"]) for x in recs]))

        # ---- 8. channels view ------------------------------------------------------------------------------
        ch = j.channels()
        provs = {p.get("provider"): p for p in ch.get("providers", [])}
        R.check("channels: both providers and the built-in inbox, breakers closed, channels listed",
                set(provs) == {"solapi", "nhn", "inbox"} and all(p.get("breaker") == "closed" for p in provs.values())
                and all(set(provs[n].get("channels", [])) == {"alimtalk", "sms"} for n in ("solapi", "nhn"))
                and provs["inbox"].get("channels") == ["inbox"], ch)

        # ---- 8b. operator drain: force a provider's breaker open, then end it ---------------------------
        r = j.call("POST", "/v1/channels/solapi/drain")
        R.check("drain solapi: 200", r.status == 200 and (r.json() or {}).get("drained") is True, r)
        st = {p["provider"]: p["breaker"] for p in j.channels().get("providers", [])}
        R.check_eq("drain: GET /v1/channels shows solapi forced_open", st.get("solapi"), "forced_open")
        r = j.send(h.ship_message(77001, "drain"))
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("delivered", "failed", "expired"), 20) or {}
        steps = [(a["channel"] + "@" + a["provider"], a["outcome"], (a.get("error") or {}).get("code"))
                 for a in m.get("attempts", [])]
        R.check("drain: a new message skips solapi (breaker_open) and is delivered by alimtalk@nhn",
                m.get("delivered_via") == "alimtalk@nhn" and steps and steps[0] == ("alimtalk@solapi", "skipped", "breaker_open"),
                steps)
        r = j.call("DELETE", "/v1/channels/solapi/drain")
        R.check("undrain solapi: 200", r.status == 200 and (r.json() or {}).get("drained") is False, r)
        st = {p["provider"]: p["breaker"] for p in j.channels().get("providers", [])}
        R.check_eq("undrain: solapi closed again", st.get("solapi"), "closed")
        r = j.call("POST", "/v1/channels/nope/drain")
        R.check_eq("drain of an unknown provider: 404", r.status, 404)

        # ---- 9. CLI --------------------------------------------------------------------------------------
        c = j.cli("send", "--to", "010-8888-9999", "--template", "order_shipped", "--var", "name=CLI", "--var", "order=9")
        out = c.stdout.strip().splitlines()
        cli_id = ""
        try:
            cli_id = json.loads(out[-1]).get("id", "")
        except Exception:  # noqa: BLE001
            pass
        R.check("cli send: exit 0 and prints the id", c.returncode == 0 and cli_id, (c.returncode, c.stdout, c.stderr))
        if cli_id:
            j.wait_state(cli_id, "delivered", 15)
            c = j.cli("status", cli_id)
            st = {}
            try:
                st = json.loads(c.stdout)
            except Exception:  # noqa: BLE001
                pass
            R.check("cli status: exit 0, delivered", c.returncode == 0 and st.get("status") == "delivered",
                    (c.returncode, c.stdout[:200], c.stderr))
            R.check_eq("cli send: delivered at the sim", len(delivered_records(sim, cli_id)), 1)
        c = j.cli("channels")
        R.check("cli channels: exit 0 with providers", c.returncode == 0 and '"providers"' in c.stdout, (c.returncode, c.stderr))
        c = j.cli("send", "--to", "12345", "--text", "hi")
        R.check("cli send refused (invalid phone): exit 1", c.returncode == 1 and "invalid_phone" in c.stderr,
                (c.returncode, c.stdout, c.stderr))
        c = j.cli("status", "msg_nonexistent")
        R.check_eq("cli status of unknown id: exit 1", c.returncode, 1)
        c = j.cli("send", "--text", "hi")
        R.check_eq("cli send without --to: exit 2", c.returncode, 2)
        c = j.cli("send", "--to", "01012345678", "--text", "a", "--template", "order_shipped")
        R.check_eq("cli send with both --text and --template: exit 2", c.returncode, 2)
        c = j.cli("status")
        R.check_eq("cli status without id: exit 2", c.returncode, 2)
        c = j.cli("frobnicate")
        R.check_eq("cli unknown command: exit 2", c.returncode, 2)
        c = j.cli("channels", with_key=False)
        R.check_eq("cli channels without a key: exit 2", c.returncode, 2)
        c = j.cli("channels", url="http://127.0.0.1:%d" % h.free_port())
        R.check_eq("cli channels, nothing listening: exit 3", c.returncode, 3)
        c = j.cli("channels", env={"JARIP_API_KEY": "jrp_wrong_key"})
        R.check_eq("cli channels with a wrong key: exit 1", c.returncode, 1)

        # ---- 10. TTL expiry with every provider down (last: it opens the breakers) ---------------------------
        sim.fault("*", "*", "down")
        r = j.send({"recipient": {"phone": "010-9999-0000"}, "template": "order_shipped",
                    "vars": {"name": "윤", "order": "T-1"}, "ttl_s": 2})
        R.check_eq("ttl: 202", r.status, 202)
        mid = (r.json() or {}).get("id", "")
        m = j.wait_state(mid, ("expired", "delivered", "failed"), 15) or {}
        R.check("ttl: expired with reason", m.get("status") == "expired" and (m.get("reason") or {}).get("code"),
                {k: m.get(k) for k in ("status", "reason", "attempts")})
        R.check("ttl: expires_at shown", bool(m.get("expires_at")), m.get("expires_at"))
        sim.clear_faults()
        R.check_eq("ttl: nothing delivered at the sim", len(delivered_records(sim, mid)), 0)
    b.exit()


if __name__ == "__main__":
    main()
