#!/usr/bin/env python3
"""The whole chain, alimtalk → sms → email → push → inbox, with each of the first four forced down in
turn: every message ends on the next channel. One customer of the directory, addressed by
customer_id, gets each channel's address from it. Email goes through a real Postfix on loopback
(STARTTLS and AUTH required by it) into a Maildir that this test reads back: the Korean subject and
body arrive intact, the DKIM signature verifies with python3-dkim, and List-Unsubscribe one-click is
offered and covered by the signature. Push goes to the simulator's push service, which decrypts the
payload: the customer would read the rendered text. The inbox page, reached by its signed link,
shows the message when everything else is down.

Needs root (Postfix) and the Debian packages postfix, sasl2-bin, libsasl2-modules, python3-dkim."""

import email.header
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from postfix_fixture import PostfixFixture  # noqa: E402

TEMPLATE = {
    "kind": "info",
    "chain": ["alimtalk", "sms", "email", "push", "inbox"],
    "alimtalk": {
        "text": "#{name}님 주문 #{order}번이 발송되었습니다.",
        "codes": {"solapi": "KA01TP000000000000000000SHIP", "nhn": "JARIP_SHIP"},
        "buttons": [{"type": "WL", "name": "배송조회", "link_mobile": "https://example.com/track",
                     "link_pc": "https://example.com/track"}]},
    "sms": {"text": "[자립상점] #{name}님 주문 #{order}번이 발송되었습니다."},
    "email": {"subject": "[자립상점] #{name}님, 주문 #{order}번 발송 안내",
              "text": "#{name}님, 주문하신 상품(#{order})이 오늘 발송되었습니다. 감사합니다.",
              "html": "<p><b>#{name}</b>님, 주문하신 상품(#{order})이 오늘 발송되었습니다.</p>"},
    "push": {"title": "배송 시작", "body": "#{name}님 주문 #{order}번이 발송되었습니다.",
             "url": "https://example.com/orders/#{order}"},
    "inbox": {"title": "주문 #{order} 발송", "text": "#{name}님 주문 #{order}번이 발송되었습니다."},
}


def decode_header(value):
    return str(email.header.make_header(email.header.decode_header(value or "")))


def text_part(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


def keygen(j, *args):
    r = j.cli(*args, with_key=False)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s %s" % (args, r.stdout, r.stderr))
    return r.stdout


def main():
    args = h.parse_args()
    with h.Bench("chain_drill", args) as b:
        R = b.results
        relay = PostfixFixture(domain="example.test")
        relay.start()
        try:
            run(b, R, relay)
        finally:
            relay.stop()
    b.exit()


def run(b, R, relay):
    sim = b.sim()
    j = b.jarip(sim)
    # Keys made by jarip's own commands, as an operator would.
    lines = keygen(j, "dkim", "keygen", "--selector", "drill", "--domain", "example.test").splitlines()
    txt = next(line for line in lines if " IN TXT " in line).split(" IN TXT ", 1)[1]
    dkim_record = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', txt))  # the zone file's strings, joined
    key_start = next(i for i, line in enumerate(lines) if line.startswith("# private key")) + 1
    key_file = os.path.join(b.dir, "dkim.key")
    with open(key_file, "w") as f:
        f.write("\n".join(line for line in lines[key_start:] if line.strip()) + "\n")
    vapid = dict(line.split(" = ", 1) for line in keygen(j, "webpush", "keygen").splitlines() if " = " in line)
    vapid = {k: v.split('"')[1] for k, v in vapid.items()}
    password_file = os.path.join(b.dir, "smtp-password")
    with open(password_file, "w") as f:
        f.write(relay.password)

    with open(os.path.join(j.templates_dir, "shipped_everywhere.json"), "w", encoding="utf-8") as f:
        json.dump(TEMPLATE, f, ensure_ascii=False)
    j.overrides.update({
        "delivery.channels.email": ["relay"],
        "delivery.channels.push": ["push"],
        "delivery.channels.inbox": ["inbox"],
        "providers.relay.type": "smtp", "providers.relay.host": "127.0.0.1", "providers.relay.port": relay.port,
        "providers.relay.tls": "starttls", "providers.relay.ca_file": relay.ca_file,
        "providers.relay.username": relay.username, "providers.relay.password_file": password_file,
        "providers.relay.from": "shop@example.test", "providers.relay.from_name": "자립상점",
        "providers.relay.dkim_domain": "example.test", "providers.relay.dkim_selector": "drill",
        "providers.relay.dkim_key_file": key_file, "providers.relay.timeout_ms": 5000,
        "providers.push.type": "webpush", "providers.push.vapid_public_key": vapid["public_key"],
        "providers.push.vapid_private_key": vapid["private_key"], "providers.push.subject": "mailto:ops@example.test",
        "webpush.allow_private_endpoints": True,
        # https: RFC 8058 one-click is offered only on https links (the test uses the path on plain http).
        "public.url": "https://127.0.0.1:%d" % j.port,
    })
    sim.start(j.port)
    j.start()

    # ---- the customer: a phone, an email address, a browser subscribed to push -------------------
    sub = h.http_request(sim.admin + "/_sim/push/subscriptions", "POST", {"applicationServerKey": vapid["public_key"]})
    R.check("sim push subscription created", sub.status // 100 == 2, sub)
    subscription = sub.json()
    r = j.call("PUT", "/v1/customers/drill-1", {"name": "김민수", "locale": "ko", "phones": ["010-5555-7001"],
                                               "emails": ["minsu@example.test"]})
    R.check_eq("customer stored", r.status, 201)
    r = j.call("POST", "/v1/customers/drill-1/push-subscriptions", subscription)
    R.check("push subscription added to the customer", r.status in (200, 201), r)

    def send(order):
        r = j.send({"recipient": {"customer_id": "drill-1"}, "template": "shipped_everywhere",
                    "vars": {"name": "김민수", "order": order}})
        R.check("send %s: 202" % order, r.status == 202, r)
        mid = (r.json() or {}).get("id")
        m = j.wait_state(mid, {"delivered", "failed", "expired"}, timeout=60) if mid else {}
        return m or {}

    # ---- 0. nothing down: AlimTalk ---------------------------------------------------------------
    m = send("D-0")
    R.check("all up: delivered by AlimTalk", m.get("status") == "delivered"
            and (m.get("delivered_via") or "").startswith("alimtalk@"), m)

    # ---- short links: a long URL in an SMS text becomes {public_url}/s/{code}, clicks counted --------
    long_url = "https://example.com/orders/D-0/tracking?carrier=cj&invoice=123456789012&utm_source=sms"
    r = j.send({"recipient": {"customer_id": "drill-1"}, "text": "배송 조회: " + long_url, "channels": ["sms"]})
    R.check("SMS with a long URL: 202", r.status == 202, r)
    mid = (r.json() or {}).get("id", "")
    sent = j.wait_state(mid, {"delivered", "failed"}, timeout=30) or {}
    texts = [x.get("text") or "" for x in sim.records(message_id=mid)]
    short = next((w for t in texts for w in t.split() if "/s/" in w), "")
    R.check("the SMS went out with the short link instead of the long URL",
            short.startswith("https://127.0.0.1:%d/s/" % j.port) and all(long_url not in t for t in texts), texts)
    if short:
        hop = j.get_raw(urllib.parse.urlparse(short).path)
        R.check("the short link redirects to the long URL", hop.status == 302 and hop.header("Location") == long_url, hop)
        links = (j.message(mid) or {}).get("short_links", [])
        R.check("the message counts the click", len(links) == 1 and links[0].get("clicks") == 1
                and links[0].get("url") == long_url, links)

    # ---- 1. AlimTalk down at both providers: SMS ---------------------------------------------------
    sim.fault(provider="*", channel="alimtalk", mode="down")
    m = send("D-1")
    R.check("alimtalk down: delivered by SMS", m.get("status") == "delivered"
            and (m.get("delivered_via") or "").startswith("sms@"), m)

    # ---- 2. SMS down too: email through Postfix ----------------------------------------------------
    sim.fault(provider="*", channel="sms", mode="down")
    relay.clear_messages()
    m = send("D-2")
    R.check("sms down: delivered by email", m.get("status") == "delivered" and m.get("delivered_via") == "email@relay", m)
    arrived = relay.wait_for_messages(1, timeout=30)
    R.check("Postfix delivered one message into the Maildir", len(arrived) == 1, relay.log_tail())
    if arrived:
        raw = relay.read_raw_messages()[0]
        msg = relay.read_messages()[0]
        subject = decode_header(msg["Subject"])
        R.check_eq("Korean subject intact", subject, "[자립상점] 김민수님, 주문 D-2번 발송 안내")
        R.check("Korean body intact", "주문하신 상품(D-2)이 오늘 발송되었습니다" in text_part(msg), text_part(msg))
        R.check("From carries the shop's name", "자립상점" in decode_header(msg["From"]), msg["From"])
        R.check("Message-ID carries jarip's id", m.get("id", "?") in (msg["Message-ID"] or ""), msg["Message-ID"])
        unsub = msg["List-Unsubscribe"] or ""
        R.check("List-Unsubscribe points at jarip over https or the configured public URL",
                "/u/" in unsub, unsub)
        R.check_eq("List-Unsubscribe-Post one-click", msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        sig = msg["DKIM-Signature"] or ""
        signed = sig.replace(" ", "").replace("\t", "").replace("\r\n", "").lower()
        R.check("DKIM signature covers List-Unsubscribe and List-Unsubscribe-Post",
                "list-unsubscribe:" in signed and "list-unsubscribe-post" in signed, sig)
        mail_file = os.path.join(b.dir, "mail.eml")
        with open(mail_file, "wb") as f:
            f.write(raw)
        check = subprocess.run([sys.executable, os.path.join(b.args.source_dir, "tests", "tools", "dkim_verify.py"),
                                mail_file, "drill=" + dkim_record], capture_output=True, text=True)
        R.check("DKIM signature verifies with python3-dkim", check.returncode == 0, check.stdout + check.stderr)

        # One-click unsubscribe (RFC 8058): a GET asks first and changes nothing; the POST withdraws.
        url = unsub.strip("<> ").split(">")[0]
        path = urllib.parse.urlparse(url).path
        g = j.get_raw(path)
        R.check("unsubscribe GET: a page that asks, 200", g.status == 200, g)
        doc = j.call("GET", "/v1/customers/drill-1").json() or {}
        R.check("unsubscribe GET changed nothing", not any(c.get("purpose") == "ad" for c in doc.get("consents", [])),
                doc.get("consents"))
        p = h.http_request(j.url + path, "POST", "List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        R.check("one-click POST: 200", p.status == 200, p)
        doc = j.call("GET", "/v1/customers/drill-1").json() or {}
        R.check("one-click POST recorded an ad withdrawal for email",
                any(c.get("channel") in ("email", "*") and c.get("purpose") == "ad" and c.get("granted") is False
                    for c in doc.get("consents", [])), doc.get("consents"))

    # ---- an email to an address that is no customer: its one-click unsubscribes the address -------
    relay.clear_messages()
    r = j.send({"recipient": {"email": "walkin@example.test"}, "text": "영수증을 보내드립니다.", "subject": "영수증",
                "channels": ["email"]})
    R.check("email to a bare address: 202", r.status == 202, r)
    walkin = j.wait_state((r.json() or {}).get("id", ""), {"delivered", "failed"}, timeout=30) or {}
    R.check("delivered by email", walkin.get("status") == "delivered", walkin)
    got = relay.wait_for_messages(1, timeout=30)
    unsub = (relay.read_messages()[0]["List-Unsubscribe"] or "") if got else ""
    R.check("it carries List-Unsubscribe too", "/u/" in unsub, unsub)
    if "/u/" in unsub:
        path = urllib.parse.urlparse(unsub.strip("<> ").split(">")[0]).path
        p = h.http_request(j.url + path, "POST", "List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        R.check("one-click for the address: 200", p.status == 200, p)
        r = j.send({"recipient": {"email": "walkin@example.test"}, "kind": "ad", "text": "봄 세일", "channels": ["email"]})
        R.check("an ad to the unsubscribed address: 400 opted_out",
                r.status == 400 and ((r.json() or {}).get("error") or {}).get("code") == "opted_out", r)
        r = j.send({"recipient": {"email": "walkin@example.test"}, "text": "주문 확인", "channels": ["email"]})
        R.check("informational email to it still accepted: 202", r.status == 202, r)

    # ---- 3. email down (the relay stops): push ----------------------------------------------------
    relay.stop()
    h.http_request(sim.admin + "/_sim/push/messages", "DELETE")
    m = send("D-3")
    R.check("email down: delivered by push", m.get("status") == "delivered" and m.get("delivered_via") == "push@push", m)
    pushed = h.http_request(sim.admin + "/_sim/push/messages").json() or {}
    items = pushed.get("messages", pushed if isinstance(pushed, list) else [])
    payloads = [json.loads(x.get("plaintext") or x.get("payload") or "{}") for x in items]
    R.check("the push service decrypted the rendered text",
            any(p.get("body") == "김민수님 주문 D-3번이 발송되었습니다." and p.get("title") == "배송 시작"
                and p.get("url") == "https://example.com/orders/D-3" for p in payloads), items)
    attempts = [a for a in (m.get("attempts") or []) if a.get("channel") == "email"]
    R.check("the email step failed over (attempts recorded)", len(attempts) >= 1, m.get("attempts"))

    # ---- 4. push down too: the inbox ---------------------------------------------------------------
    sim.fault(provider="push", channel="*", mode="down")
    m = send("D-4")
    R.check("push down: delivered to the inbox", m.get("status") == "delivered" and m.get("delivered_via") == "inbox@inbox", m)
    links = j.call("GET", "/v1/customers/drill-1/links").json() or {}
    inbox = links.get("inbox", "")
    R.check("signed inbox link for the customer", "/i/" in inbox, links)
    page = j.get_raw(urllib.parse.urlparse(inbox).path) if inbox else None
    body = page.body.decode("utf-8", "replace") if page else ""
    R.check("the inbox page shows the message", page is not None and page.status == 200 and "주문 D-4" in body, body[:500])
    R.check("the inbox page shows earlier messages too", "D-3" in body and "D-0" in body, body[:500])
    R.check("the inbox page offers an unsubscribe action (to the page that asks first)", "/u/" in body, body[-800:])


if __name__ == "__main__":
    main()
