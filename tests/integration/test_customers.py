#!/usr/bin/env python3
"""Customer directory: documents with consents and their history, messages addressed by
customer_id, advertising refused without consent (or after a withdrawal or an 080 opt-out), CSV
import with a dry run (CP949 as Korean Excel writes it) and export, and erasure."""

import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402


def err(r):
    return ((r.json() or {}).get("error") or {})


def main():
    args = h.parse_args()
    with h.Bench("customers", args) as b:
        R = b.results
        sim, j = b.start_pair()
        consents = [{"channel": "sms", "purpose": "ad", "granted": True, "at": "2026-01-05 10:00",
                     "source": "web_signup", "evidence": "form 17"},
                    {"channel": "*", "purpose": "ad_night", "granted": True, "at": "2026-01-05T10:00:00+09:00"}]
        doc = {"name": "김민수", "locale": "ko", "phones": ["010-5555-0001"], "emails": ["minsu@example.kr"],
               "consents": consents}

        # ---- documents and consent history -----------------------------------------------------
        r = j.call("PUT", "/v1/customers/c-1", doc)
        R.check_eq("PUT new customer: 201", r.status, 201)
        R.check_eq("PUT: phone normalised", (r.json() or {}).get("phones"), ["01055550001"])
        r = j.call("PUT", "/v1/customers/c-1", doc)
        R.check_eq("PUT same document again: 200", r.status, 200)
        g = j.call("GET", "/v1/customers/c-1").json() or {}
        R.check_eq("GET: two consent events (the repeat added none)", len(g.get("consent_history", [])), 2)
        R.check("GET: consent time canonical KST", any(c.get("at") == "2026-01-05T10:00:00+09:00"
                                                        for c in g.get("consents", [])), g.get("consents"))
        r = j.call("PUT", "/v1/customers/c-1", g)
        R.check_eq("PUT of GET's document unchanged: 200", r.status, 200)
        r = j.call("PUT", "/v1/customers/c-2", {"phones": ["010-5555-0002"]})
        R.check_eq("PUT customer without consents: 201", r.status, 201)

        for path, body, code, field in [
            ("/v1/customers/c-3", {"phones": ["02-123-4567"]}, "invalid_phone", "phones[0]"),
            ("/v1/customers/c-3", {"emails": ["nope"]}, "invalid_email", "emails[0]"),
            ("/v1/customers/c-3", {"consents": [{"channel": "sms", "purpose": "ad"}]}, "invalid_type", "consents[0].granted"),
            ("/v1/customers/c-3", {"shoe_size": 270}, "unknown_field", "shoe_size"),
        ]:
            r = j.call("PUT", path, body)
            R.check("PUT %s → 400 %s at %s" % (json.dumps(body, ensure_ascii=False), code, field),
                    r.status == 400 and err(r).get("code") == code and err(r).get("field") == field, r)
        R.check_eq("GET unknown customer: 404", j.call("GET", "/v1/customers/nobody").status, 404)
        R.check_eq("GET a bad id: 404", j.call("GET", "/v1/customers/a%20b").status, 404)

        # ---- messages addressed by customer_id --------------------------------------------------
        r = j.send({"recipient": {"customer_id": "c-1"}, "template": "order_shipped", "vars": {"name": "김민수", "order": "C-1"}})
        R.check_eq("info to customer_id: 202", r.status, 202)
        info_id = (r.json() or {}).get("id", "")
        m = j.wait_state(info_id, ("delivered", "failed"), 15) or {}
        R.check_eq("info to customer_id: delivered", m.get("status"), "delivered")
        recs = [x for x in sim.received(message_id=info_id)["messages"] if x["outcome"] == "delivered"]
        R.check("the sim got it at the customer's phone", len(recs) == 1 and recs[0]["to"] == "01055550001", recs)

        ad = {"recipient": {"customer_id": "c-1"}, "kind": "ad", "text": "주말 특가 30% 할인"}
        r = j.send(ad)
        R.check_eq("ad to a consenting customer: 202", r.status, 202)
        ad_id = (r.json() or {}).get("id", "")
        m = j.wait_state(ad_id, ("delivered", "failed"), 15) or {}
        R.check_eq("ad to a consenting customer: delivered (night consent from the records)", m.get("status"), "delivered")

        r = j.send(dict(ad, recipient={"customer_id": "c-2"}))
        R.check("ad without consent: 400 no_ad_consent, nothing stored",
                r.status == 400 and err(r).get("code") == "no_ad_consent" and "c-2" in err(r).get("message", ""), r)
        r = j.send(dict(ad, recipient={"customer_id": "ghost"}))
        R.check("unknown customer: 400 unknown_customer", r.status == 400 and err(r).get("code") == "unknown_customer", r)
        r = j.send({"recipient": {"customer_id": "c-1", "phone": "010-1111-2222"}, "text": "x"})
        R.check("customer_id with a phone: 400", r.status == 400 and err(r).get("field") == "recipient.customer_id", r)
        r = j.call("POST", "/v1/messages/batch", {"messages": [dict(ad, recipient={"customer_id": "c-2"}), ad]})
        res = (r.json() or {}).get("results", [])
        R.check("batch: the refused item has its reason, the other is accepted",
                r.status == 202 and len(res) == 2 and res[0].get("status") == "rejected"
                and (res[0].get("error") or {}).get("code") == "no_ad_consent" and res[1].get("status") == "accepted", r)

        kst = datetime.timezone(datetime.timedelta(hours=9))
        recent = (datetime.datetime.now(kst) - datetime.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
        withdrawn = dict(doc, consents=[dict(consents[0], granted=False, at=recent, source="고객센터 전화")])
        R.check_eq("PUT withdrawal: 200", j.call("PUT", "/v1/customers/c-1", withdrawn).status, 200)
        r = j.send(ad)
        R.check("ad after withdrawal: 400 ad_consent_withdrawn", r.status == 400 and err(r).get("code") == "ad_consent_withdrawn", r)
        r = j.send(dict(ad, recipient={"phone": "010-5555-0001"}, night_consent=True))
        R.check("ad by phone number to a customer who withdrew: refused too",
                r.status == 400 and err(r).get("code") == "ad_consent_withdrawn", r)
        r = j.send({"recipient": {"customer_id": "c-1"}, "template": "order_shipped", "vars": {"name": "a", "order": "2"}})
        R.check_eq("info after the ad withdrawal: still 202", r.status, 202)
        hist = (j.call("GET", "/v1/customers/c-1").json() or {}).get("consent_history", [])
        R.check("history shows the withdrawal with its source", any(e.get("granted") is False and e.get("source") == "고객센터 전화"
                                                                   for e in hist), hist)

        # ---- consent changes are confirmed to the customer (정보통신망법 §50⑧) ---------------------
        def texts_to(phone):
            return [x.get("text", "") for x in sim.received(limit=100000)["messages"] if x.get("to") == phone]

        ok = h.wait_for(lambda: any("거부(철회)" in t for t in texts_to("01055550001")), 15, 0.2, what="withdrawal notice")
        notice = [t for t in texts_to("01055550001") if "수신동의 처리 결과" in t]
        R.check("withdrawal two days ago: the customer got a notice with who, what and when",
                ok and len(notice) == 1 and notice[0].startswith("[자립상점] 광고성 정보 수신동의 처리 결과 안내")
                and "문자(SMS) 광고성 정보 수신 거부(철회)" in notice[0] and "처리자: 자립상점" in notice[0], notice)
        R.check("the January consent (older than 14 days) got no notice of its own", len(notice) == 1, notice)
        r = j.call("PUT", "/v1/customers/c-5", {"phones": ["010-5555-0005"], "locale": "en",
                                                 "consents": [{"channel": "sms", "purpose": "ad", "granted": True}]})
        R.check_eq("PUT c-5 with a consent given now: 201", r.status, 201)
        ok = h.wait_for(lambda: any("consent given" in t for t in texts_to("01055550005")), 15, 0.2, what="consent notice")
        R.check("c-5 (locale en) got the confirmation in English", ok, texts_to("01055550005"))
        r = j.call("PUT", "/v1/customers/c-6", {"consents": [{"channel": "sms", "purpose": "ad", "granted": True}]})
        R.check_eq("a customer without a phone can still be stored: 201", r.status, 201)

        # ---- templates per locale: the customer's language picks the form ------------------------
        tpl = {"kind": "info", "chain": ["sms"], "sms": {"text": "#{name}님, 주문 #{order}번이 도착했습니다."},
               "locales": {"en": {"sms": {"text": "Hi #{name}, order #{order} has arrived."}}}}
        R.check_eq("PUT a template with an English form: 200", j.call("PUT", "/v1/templates/arrived", tpl).status, 200)
        sent = {}
        for label, recipient, extra in [("c-5 (en)", {"customer_id": "c-5"}, {}), ("c-2 (ko)", {"customer_id": "c-2"}, {}),
                                        ("phone, locale en", {"phone": "010-5555-0077"}, {"locale": "en"}),
                                        ("phone, no locale", {"phone": "010-5555-0078"}, {})]:
            msg = dict({"recipient": recipient, "template": "arrived", "vars": {"name": "Kim", "order": "A-7"}}, **extra)
            r = j.send(msg)
            sent[label] = (r.json() or {}).get("id", "")
            R.check_eq("template by locale, %s: 202" % label, r.status, 202)
        h.await_all_delivered(sim, list(sent.values()), 20)
        got = {k: ([x["text"] for x in sim.received(message_id=v)["messages"] if x["outcome"] == "delivered"] or [""])[0]
               for k, v in sent.items()}
        R.check("English form for the en customer and for locale en; Korean otherwise",
                got["c-5 (en)"].startswith("Hi Kim") and got["phone, locale en"].startswith("Hi Kim")
                and got["c-2 (ko)"].startswith("Kim님") and got["phone, no locale"].startswith("Kim님"), got)
        r = j.send({"recipient": {"phone": "010-5555-0079"}, "template": "arrived", "vars": {"name": "a", "order": "1"},
                    "locale": "fr"})
        R.check("locale fr: 400 invalid_value at locale", r.status == 400 and err(r).get("field") == "locale", r)
        r = j.call("PUT", "/v1/templates/bad", dict(tpl, locales={"ko": {"sms": {"text": "x"}}}))
        R.check("a template repeating its default locale under locales: 400",
                r.status == 400 and err(r).get("field") == "locales.ko", r)

        # ---- 080 opt-out reported by NHN --------------------------------------------------------
        j.call("PUT", "/v1/customers/c-4", {"phones": ["010-5555-0004"], "consents": [consents[0], consents[1]]})
        hook = {"hooksId": "h1", "webhookConfigId": "w1", "productName": "SMS", "appKey": "app", "event": "UNSUBSCRIBE",
                "hooks": [{"hookId": "x1", "recipientNo": "01055550004", "createdDateTime": "2026-11-25T10:00:00.000+09:00"}]}
        r = j.call("POST", "/v1/providers/nhn/reports", hook, key=False,
                   headers={"X-Toast-Webhook-Signature": h.NHN_SIGNATURE})
        R.check_eq("NHN UNSUBSCRIBE webhook: 200", r.status, 200)
        c4 = j.call("GET", "/v1/customers/c-4").json() or {}
        R.check("080 opt-out withdrew c-4's SMS ad consent, with evidence",
                any(c["channel"] == "sms" and c["purpose"] == "ad" and c["granted"] is False
                    and c.get("source") == "080 opt-out (nhn)" and "UNSUBSCRIBE" in c.get("evidence", "")
                    for c in c4.get("consents", [])), c4)
        r = j.send(dict(ad, recipient={"customer_id": "c-4"}))
        R.check("ad to c-4 now refused", r.status == 400 and err(r).get("code") == "ad_consent_withdrawn", r)
        ok = h.wait_for(lambda: any("거부(철회)" in t for t in texts_to("01055550004")), 15, 0.2, what="080 notice")
        R.check("the 080 withdrawal was confirmed to c-4 (§50⑧)", ok, texts_to("01055550004"))

        # ---- consent is judged again when an accepted ad is about to go out ------------------------
        j.call("PUT", "/v1/customers/c-7", {"phones": ["010-5555-0007"], "consents": [consents[0], consents[1]]})
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=3)).isoformat()
        r = j.send(dict(ad, recipient={"customer_id": "c-7"}, send_at=later))
        R.check("scheduled ad to c-7: 202", r.status == 202, r)
        scheduled = (r.json() or {}).get("id", "")
        c7 = j.call("GET", "/v1/customers/c-7").json() or {}
        c7["consents"] = [dict(c, granted=False, at=None) if c["purpose"] == "ad" else c for c in c7["consents"]]
        c7["consents"] = [{k: v for k, v in c.items() if v is not None} for c in c7["consents"]]
        R.check_eq("c-7 withdraws before it is sent: 200", j.call("PUT", "/v1/customers/c-7", c7).status, 200)
        m7 = j.wait_state(scheduled, {"delivered", "failed"}, timeout=20) or {}
        R.check("the scheduled ad was not sent: failed with the withdrawal as its reason",
                m7.get("status") == "failed" and (m7.get("reason") or {}).get("code") == "ad_consent_withdrawn"
                and not any("특가" in t for t in texts_to("01055550007")), j.message(scheduled))
        hook["hooks"][0]["recipientNo"] = "01055559999"
        j.call("POST", "/v1/providers/nhn/reports", hook, key=False, headers={"X-Toast-Webhook-Signature": h.NHN_SIGNATURE})
        r = j.send(dict(ad, recipient={"phone": "010-5555-9999"}, night_consent=True))
        R.check("ad by number to an 080 opt-out number: 400 opted_out", r.status == 400 and err(r).get("code") == "opted_out", r)

        # ---- CSV import and export --------------------------------------------------------------
        csv_text = ("고객번호,이름,휴대폰,이메일,SMS광고동의,동의일시\r\n"
                    "k-1,홍길동,010-7777-0001,hong@example.kr,Y,2026-03-01 10:00\r\n"
                    "k-2,김철수,02-555-1234,kim@example.kr,N,\r\n"
                    "k-3,이영희,010-7777-0003,not-an-email,Y,2026-13-01\r\n"
                    "k-4,박민지,010-7777-0004,park@example.kr,동의,2026.03.02\r\n")
        body = csv_text.encode("cp949")
        r = j.call("POST", "/v1/customers/import?dry_run=true", body, headers={"Content-Type": "text/csv"})
        rep = r.json() or {}
        R.check("dry run: 200, read as CP949, 2 valid, 2 rejected rows",
                r.status == 200 and rep.get("encoding") == "cp949" and rep.get("valid") == 2 and rep.get("rejected_rows") == 2, rep)
        codes = sorted((x.get("row"), x.get("code")) for x in rep.get("rejected", []))
        R.check("dry run names every rejection with its row", codes == [(3, "invalid_phone"), (4, "invalid_date"), (4, "invalid_email")]
                or codes == [(3, "invalid_phone"), (4, "invalid_email"), (4, "invalid_date")], codes)
        R.check_eq("dry run stored nothing", j.call("GET", "/v1/customers/k-1").status, 404)
        r = j.call("POST", "/v1/customers/import", body, headers={"Content-Type": "text/csv"})
        rep = r.json() or {}
        R.check("import: 2 created", r.status == 200 and rep.get("created") == 2, rep)
        k1 = j.call("GET", "/v1/customers/k-1").json() or {}
        R.check("imported k-1 with its Korean name and SMS ad consent (source csv_import)",
                k1.get("name") == "홍길동" and any(e.get("source") == "csv_import" for e in k1.get("consent_history", [])), k1)
        lst = j.call("GET", "/v1/customers?phone=010-7777-0004").json() or {}
        R.check("search by phone finds k-4", [c["id"] for c in lst.get("customers", [])] == ["k-4"], lst)
        r = j.call("GET", "/v1/customers?limit=2")
        page = r.json() or {}
        R.check("list pages with next_after", len(page.get("customers", [])) == 2 and page.get("next_after"), page)
        r = j.call("GET", "/v1/customers/export")
        R.check("export: CSV with a BOM and every customer",
                r.status == 200 and r.body.startswith("\ufeff".encode()) and b"k-4" in r.body and b"c-1" in r.body, r.body[:200])
        r = j.call("POST", "/v1/customers/import", b"name\r\nx\r\n", headers={"Content-Type": "text/csv"})
        R.check("import without an id column: 400 missing_id_column", r.status == 400 and err(r).get("code") == "missing_id_column", r)

        # ---- web push subscriptions: checked at the edge (this server is not in test mode) -------
        good_keys = {"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                     "auth": "BTBZMqHH6r4Tts7J_aSIgg"}
        for body, code, field in [
            ({"endpoint": "http://push.example.com/p/1", "keys": good_keys}, "invalid_subscription", "endpoint"),
            ({"endpoint": "https://127.0.0.1/p/1", "keys": good_keys}, "endpoint_not_public", "endpoint"),
            ({"endpoint": "https://10.1.2.3/p/1", "keys": good_keys}, "endpoint_not_public", "endpoint"),
            ({"endpoint": "https://push.example.com/p/1", "keys": dict(good_keys, p256dh="AAAA")},
             "invalid_subscription", "keys.p256dh"),
            ({"endpoint": "https://push.example.com/p/1", "keys": dict(good_keys, auth="AAAA")},
             "invalid_subscription", "keys.auth"),
        ]:
            r = j.call("POST", "/v1/customers/c-1/push-subscriptions", body)
            R.check("push subscription %s → 400 %s at %s" % (body["endpoint"], code, field),
                    r.status == 400 and err(r).get("code") == code and field in (err(r).get("field") or ""), r)
        r = j.call("POST", "/v1/customers/c-1/push-subscriptions",
                   {"endpoint": "https://push.example.com/p/1", "keys": good_keys})
        R.check("a valid push subscription: 201", r.status == 201, r)
        doc = j.call("GET", "/v1/customers/c-1").json() or {}
        R.check_eq("the customer holds it", len(doc.get("push_subscriptions", [])), 1)
        r = j.call("PUT", "/v1/customers/c-1", {k: v for k, v in doc.items() if k not in ("push_subscriptions",)})
        R.check("a PUT without push_subscriptions keeps them (they belong to the browsers)",
                len((j.call("GET", "/v1/customers/c-1").json() or {}).get("push_subscriptions", [])) == 1, r)
        R.check_eq("push subscription for an unknown customer: 404",
                   j.call("POST", "/v1/customers/nobody/push-subscriptions",
                          {"endpoint": "https://push.example.com/p/2", "keys": good_keys}).status, 404)

        # ---- erasure ----------------------------------------------------------------------------
        R.check_eq("DELETE c-1: 204", j.call("DELETE", "/v1/customers/c-1").status, 204)
        R.check_eq("GET c-1 after erasure: 404", j.call("GET", "/v1/customers/c-1").status, 404)
        R.check_eq("DELETE again: 404", j.call("DELETE", "/v1/customers/c-1").status, 404)
        m = j.message(info_id) or {}
        R.check("the message sent to c-1 remains, anonymised", m.get("recipient") == {"customer_id": "(erased)"}
                and m.get("status") == "delivered", m.get("recipient"))
        R.check_eq("search by c-1's old phone finds nobody",
                   (j.call("GET", "/v1/customers?phone=010-5555-0001").json() or {}).get("customers"), [])
        j.sigterm()
        sim.stop()
    b.exit()


if __name__ == "__main__":
    main()
