#!/usr/bin/env python3
"""Email end to end: jarip submits to a real Postfix (tests/integration/postfix_fixture.py: STARTTLS
and AUTH required, a self-signed CA jarip is told to trust) and the test reads what was delivered
into the Maildir: the Korean subject decoded intact, the body and its leading-dot line intact, the
Message-ID carrying jarip's id, and the DKIM signature (made with a key from `jarip dkim keygen`)
valid by python3-dkim (tests/tools/dkim_verify.py), not by jarip's own verifier. Also: a relay
refusing jarip's credentials fails the step over to the next relay, and a message to a customer
carries its unsubscribe link: in the footer, and with an https public URL also as RFC 8058 one-click
headers under the signature.

Needs root and Debian's postfix, sasl2-bin, libsasl2-modules (scripts/install-deps.sh --test);
without them it says why and fails."""

import email.header
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness as h  # noqa: E402
import postfix_fixture as pf  # noqa: E402

SENDER = "news@shop.jarip.test"
SELECTOR = "jarip-it"
SUBJECT = "주문하신 상품이 발송되었습니다 (주문번호 A-1001)"
BODY = "홍길동 고객님, 주문하신 상품이 오늘 발송되었습니다.\n.점으로 시작하는 줄도 그대로 갑니다.\n감사합니다."


def keygen(bench):
    """A fresh Ed25519 DKIM key from `jarip dkim keygen`: (private key text, TXT record)."""
    r = subprocess.run([bench.bin("jarip"), "dkim", "keygen", "--algorithm", "ed25519", "--selector", SELECTOR,
                        "--domain", "shop.jarip.test"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("dkim keygen failed: %s %s" % (r.stdout, r.stderr))
    lines = r.stdout.splitlines()
    txt = next(line for line in lines if " IN TXT " in line).split(" IN TXT ", 1)[1]
    record = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', txt))
    key_start = next(i for i, line in enumerate(lines) if line.startswith("# private key")) + 1
    private = "\n".join(line for line in lines[key_start:] if line.strip()) + "\n"
    return private, record


def decoded(message, name):
    value = message.get(name)
    return None if value is None else str(email.header.make_header(email.header.decode_header(str(value))))


def dkim_check(bench, raw, record):
    """dkim_verify.py's verdict on the message as delivered."""
    path = os.path.join(bench.dir, "delivered-%d.eml" % len(os.listdir(bench.dir)))
    with open(path, "wb") as f:
        f.write(raw)
    script = os.path.join(bench.args.source_dir, "tests", "tools", "dkim_verify.py")
    r = subprocess.run([sys.executable, script, path, "%s=%s" % (SELECTOR, record)], capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def text_part(message):
    part = message.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part is not None else ""


def main():
    args = h.parse_args()
    if os.geteuid() != 0 or not os.path.exists(pf.POSTFIX) or not os.path.exists(pf.SASLPASSWD2):
        # A test that passes without running proves nothing: missing Postfix is a failure.
        print("FAIL: needs root and postfix, sasl2-bin, libsasl2-modules (scripts/install-deps.sh --test)")
        print("0 passed, 1 failed")
        return 1

    with h.Bench("email", args) as b:
        R = b.results
        relay = pf.PostfixFixture(keep=args.keep).start()
        h.log("postfix on %s:%d" % (relay.host, relay.port))

        # jarip's own keygen, then the key and the relay password as secret files.
        private_key, record = keygen(b)
        key_file = os.path.join(b.dir, "dkim.key")
        with open(key_file, "w") as f:
            f.write(private_key)
        password_file = os.path.join(b.dir, "smtp-password")
        with open(password_file, "w") as f:
            f.write(relay.password + "\n")

        relay_settings = {
            "type": "smtp", "host": "localhost", "port": relay.port, "tls": "starttls",
            "username": relay.username, "password_file": password_file, "ca_file": relay.ca_file,
            "from": SENDER, "from_name": "자립 쇼핑", "helo": "jarip-it.jarip.test",
            "dkim_key_file": key_file, "dkim_selector": SELECTOR, "timeout_ms": 15000, "pool_size": 2,
        }
        overrides = {}
        for k, v in relay_settings.items():
            overrides["providers.relay1." + k] = v
            overrides["providers.badauth." + k] = v
        overrides["providers.badauth.password_file"] = None
        overrides["providers.badauth.password"] = "not-the-password"
        overrides["delivery.channels.email"] = ["relay1"]
        sim, j = b.start_pair(jarip_kw={"overrides": overrides})

        # ---- one message to an address ----------------------------------------------------------
        r = j.send({"recipient": {"email": "hong@example.test"}, "text": BODY, "subject": SUBJECT,
                    "channels": ["email"]})
        R.check_eq("email send: 202", r.status, 202)
        mid = (r.json() or {}).get("id")
        m = j.wait_state(mid, ("delivered", "failed"), timeout=30) or j.message(mid) or {}
        R.check_eq("email: delivered via email@relay1", (m.get("status"), m.get("delivered_via")),
                   ("delivered", "email@relay1"))
        attempts = m.get("attempts") or []
        R.check("email: one accepted attempt with Postfix's queue id",
                len(attempts) == 1 and bool(attempts[0].get("provider_message_id")), attempts)

        try:
            delivered = relay.wait_for_messages(1, timeout=30)
        except TimeoutError as e:
            delivered = []
            R.check("the relay delivered the message", False, str(e))
        if delivered:
            msg, raw = delivered[-1], relay.read_raw_messages()[-1]
            R.check_eq("Korean subject intact", decoded(msg, "Subject"), SUBJECT)
            R.check_eq("From: display name and address", decoded(msg, "From"), "자립 쇼핑 <%s>" % SENDER)
            R.check_eq("To", str(msg.get("To")), "hong@example.test")
            R.check("Message-ID carries jarip's id", str(msg.get("Message-ID")) == "<%s@shop.jarip.test>" % mid,
                    msg.get("Message-ID"))
            body = text_part(msg)
            R.check("body intact, leading dot included", BODY in body, body)
            # Every email carries List-Unsubscribe, a bare address too (it unsubscribes the address);
            # one-click (-Post) only on https links, and this server's public URL is http.
            R.check("a bare address gets List-Unsubscribe (its own link), no one-click on an http link",
                    "/u/" in str(msg.get("List-Unsubscribe") or "") and msg.get("List-Unsubscribe-Post") is None,
                    msg.get("List-Unsubscribe"))
            ok, out = dkim_check(b, raw, record)
            R.check("DKIM signature valid after the relay (python3-dkim)", ok, out)
            if attempts:
                R.check("the attempt's provider_message_id is the id Postfix logged",
                        attempts[0].get("provider_message_id", "?") in open(relay.log_path, encoding="utf-8",
                                                                            errors="replace").read(),
                        attempts[0].get("provider_message_id"))

        # ---- a refused login moves the step on ---------------------------------------------------
        relay.clear_messages()
        r = j.send({"recipient": {"email": "kim@example.test"}, "text": "두 번째 메일", "subject": "안내",
                    "channels": ["email@badauth", "email@relay1"]})
        R.check_eq("send with a bad relay first: 202", r.status, 202)
        mid2 = (r.json() or {}).get("id")
        m2 = j.wait_state(mid2, ("delivered", "failed"), timeout=60) or j.message(mid2) or {}
        R.check_eq("bad credentials: delivered by the next relay", m2.get("delivered_via"), "email@relay1")
        bad = [a for a in (m2.get("attempts") or []) if a.get("provider") == "badauth"]
        R.check("bad credentials: the badauth attempts are retryable 5.7.8 (not permanent)",
                bool(bad) and all(a.get("outcome") in ("retryable", "skipped") for a in bad)
                and any((a.get("error") or {}).get("code") == "5.7.8" for a in bad), bad)
        try:
            relay.wait_for_messages(1, timeout=30)
            R.check("the relay delivered the second message", True)
        except TimeoutError as e:
            R.check("the relay delivered the second message", False, str(e))

        # ---- messages to a customer: the unsubscribe link -----------------------------------------
        r = j.call("PUT", "/v1/customers/mail-1", {"name": "Jane", "locale": "en", "emails": ["jane@example.test"]})
        R.check("customer with an email: PUT 201/200", r.status in (200, 201), r)

        def to_customer(label):
            relay.clear_messages()
            r = j.send({"recipient": {"customer_id": "mail-1"}, "text": "Your order has shipped.",
                        "subject": "Shipped", "channels": ["email"]})
            R.check_eq("%s: 202" % label, r.status, 202)
            mid = (r.json() or {}).get("id")
            m = j.wait_state(mid, ("delivered", "failed"), timeout=30) or j.message(mid) or {}
            R.check("%s: delivered" % label, m.get("status") == "delivered",
                    {k: m.get(k) for k in ("status", "reason", "attempts")})
            try:
                msg = relay.wait_for_messages(1, timeout=30)[-1]
                raw = relay.read_raw_messages()[-1]
            except TimeoutError as e:
                R.check("%s: the relay delivered it" % label, False, str(e))
                return None
            ok, out = dkim_check(b, raw, record)
            R.check("%s: DKIM valid" % label, ok, out)
            return msg

        # The server's public URL is http here: the link, in the English footer and in
        # List-Unsubscribe, but no one-click (RFC 8058 takes https links only).
        msg = to_customer("email to a customer, http public URL")
        if msg is not None:
            text = text_part(msg)
            found = re.search(r"To stop receiving these emails, unsubscribe here: (http://\S+)", text)
            R.check("http public URL: the footer carries the link", found is not None, text)
            R.check("http public URL: List-Unsubscribe is that link, without -Post",
                    found is not None and str(msg.get("List-Unsubscribe")) == "<%s>" % found.group(1)
                    and msg.get("List-Unsubscribe-Post") is None,
                    (msg.get("List-Unsubscribe"), msg.get("List-Unsubscribe-Post")))

        # With an https public URL: one-click unsubscribe, both headers under the signature.
        j.sigterm()
        j.overrides["public.url"] = "https://mail.jarip.test"
        j.start()
        client = getattr(j._local, "client", None)  # its keep-alive connection went with the old process
        if client is not None:
            client.close()
        msg = to_customer("email to a customer, https public URL")
        if msg is not None:
            link = str(msg.get("List-Unsubscribe") or "")
            R.check("one-click: List-Unsubscribe is the https link",
                    link.startswith("<https://mail.jarip.test/") and link.endswith(">"), link)
            R.check_eq("one-click: List-Unsubscribe-Post", str(msg.get("List-Unsubscribe-Post")),
                       "List-Unsubscribe=One-Click")
            signed = re.search(r"\bh=([^;]*)", str(msg.get("DKIM-Signature", "")).replace("\n", "").replace(" ", ""))
            names = signed.group(1).lower().split(":") if signed else []
            R.check("one-click: the signature covers both headers",
                    "list-unsubscribe" in names and "list-unsubscribe-post" in names, names)
            R.check("one-click: the footer carries the same link",
                    "To stop receiving these emails, unsubscribe here: " + link.strip("<>") in text_part(msg),
                    text_part(msg))

        with open(j.log_path, encoding="utf-8", errors="replace") as f:
            jarip_log = f.read()
        R.check("no relay password in jarip's log", relay.password not in jarip_log and "not-the-password" not in jarip_log)
        relay.stop()
    b.exit()


if __name__ == "__main__":
    main()
