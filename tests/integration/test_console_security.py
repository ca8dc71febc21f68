#!/usr/bin/env python3
"""The operator console's API and the public status page against a real jarip and simulator:
  * security: strict CSP and nosniff on the console and the status page; the session cookie is
    HttpOnly, SameSite=Strict, Path=/console; a change without the CSRF token (or with a wrong one) is
    403; sign-in from another origin is refused; wrong passwords are 401 and, after 5 for one account,
    429 even for the right one; a viewer cannot reach admin endpoints nor send; a `<script>` in a
    notice title is escaped on the status page and in the Atom feed; TOTP: the second step is required,
    a wrong or reused code refused; sign-out and disabling end sessions; the last owner stays;
  * operations: API keys made in the console work on /v1 and stop when revoked; a notice sent from the
    console is accepted and found by message search with its attempt timeline; a provider drained in
    the console shows forced open on the board and recovers; a chain order set in the console is used
    by new messages; every change is in the audit log;
  * the status page: an AlimTalk outage in the simulator opens an automatic notice on /status.json,
    the Atom feed and the static copy, and recovery resolves it."""

import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
from console_client import Operator, create_operator, totp  # noqa: E402

PASSWORD = "correct horse battery"


class LiveBoard:
    """GET /console/api/events read on a thread, as the console page's EventSource does."""

    def __init__(self, j, operator):
        self.events = []
        self.lock = threading.Lock()
        self.conn = http.client.HTTPConnection("127.0.0.1", j.port, timeout=30)
        self.conn.request("GET", "/console/api/events", headers={"Cookie": "jarip_console=" + operator.cookie})
        self.response = self.conn.getresponse()
        self.content_type = self.response.getheader("Content-Type")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        event, data = "", []
        try:
            while True:
                line = self.response.fp.readline()
                if not line:
                    return
                line = line.decode("utf-8").rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif line == "":
                    if event or data:
                        with self.lock:
                            self.events.append((event, "\n".join(data)))
                    event, data = "", []
        except Exception:  # noqa: BLE001 -- the connection was closed
            return

    def wait(self, predicate, timeout):
        def found():
            with self.lock:
                return any(predicate(e, d) for e, d in self.events)
        return h.wait_for(found, timeout, interval=0.1, what="live event")

    def close(self):
        self.conn.close()


def main():
    args = h.parse_args()
    with h.Bench("console_security", args) as b:
        R = b.results
        static_dir = os.path.join(b.dir, "status-copy")
        os.makedirs(static_dir)
        sim = b.sim()
        j = b.jarip(sim, overrides={"status.static_dir": static_dir})
        sim.start(j.port)
        j.write_config()
        create_operator(j, "Owner@Shop.example", PASSWORD, "owner")
        create_operator(j, "throttle@shop.example", PASSWORD, "agent")
        j.start()
        owner = Operator(j, "owner@shop.example", PASSWORD)

        # ---- headers ------------------------------------------------------------------------------
        R.check("the status is known shortly after start",
                h.wait_for(lambda: h.http_request(j.url + "/status.json").status == 200, 20, what="status"))
        for path in ("/console/", "/console/api/session", "/status", "/status.json"):
            r = h.http_request(j.url + path)
            csp = r.header("Content-Security-Policy") or ""
            if path.startswith("/console") or path == "/status":
                R.check("CSP on %s forbids inline script" % path,
                        "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, csp)
            R.check_eq("nosniff on %s" % path, r.header("X-Content-Type-Options"), "nosniff")
        R.check_eq("console page served", h.http_request(j.url + "/console/").status, 200)
        R.check_eq("no session: 401", h.http_request(j.url + "/console/api/board").status, 401)

        # ---- signing in ---------------------------------------------------------------------------
        r = owner.login("wrong password")
        R.check_eq("wrong password: 401", r.status, 401)
        R.check_eq("wrong password: invalid_credentials", (r.json() or {}).get("error", {}).get("code"), "invalid_credentials")
        r = Operator(j, "nobody@shop.example", PASSWORD).login()
        R.check_eq("unknown email: the same 401", (r.status, (r.json() or {}).get("error", {}).get("code")),
                   (401, "invalid_credentials"))
        r = owner.login(headers={"Origin": "http://evil.example"})
        R.check_eq("sign-in from another origin: 403", r.status, 403)
        r = owner.login()
        R.check_eq("owner signs in (email case ignored)", r.status, 200)
        cookie = r.header("Set-Cookie") or ""
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/console"):
            R.check("session cookie has %s" % flag, flag in cookie, cookie)
        R.check("no Secure flag over plain HTTP (it would be dropped)", "Secure" not in cookie, cookie)
        R.check("the cookie is not the CSRF token", owner.cookie != owner.csrf)
        R.check_eq("session answers", owner.get("/console/api/session").json()["operator"]["role"], "owner")

        # ---- CSRF ---------------------------------------------------------------------------------
        notice = {"title_ko": "<script>alert(1)</script> 점검 안내", "title_en": "<b>maintenance</b>", "severity": "info"}
        r = owner.post("/console/api/notices", notice, csrf=False)
        R.check_eq("change without X-CSRF-Token: 403", (r.status, r.json()["error"]["code"]), (403, "csrf_failed"))
        r = owner.post("/console/api/notices", notice, csrf=False, headers={"X-CSRF-Token": "0" * 48})
        R.check_eq("change with a wrong X-CSRF-Token: 403", r.status, 403)
        r = owner.post("/console/api/notices", notice)
        R.check_eq("change with the token: 201", r.status, 201)
        notice_id = r.json()["id"]

        # ---- XSS on the public pages ----------------------------------------------------------------
        h.wait_for(lambda: notice_id in h.http_request(j.url + "/status.json").body.decode(), 10, what="notice published")
        page = h.http_request(j.url + "/status").body.decode()
        R.check("status page escapes a <script> title", "&lt;script&gt;alert(1)&lt;/script&gt;" in page and
                "<script>alert(1)" not in page)
        feed = h.http_request(j.url + "/status/feed.atom")
        R.check("Atom feed escapes it too", b"<script>alert" not in feed.body and feed.status == 200)
        banner = h.http_request(j.url + "/status/banner.js")
        R.check_eq("banner.js may be embedded on the merchant's site", banner.header("Access-Control-Allow-Origin"), "*")

        # ---- throttling ---------------------------------------------------------------------------
        victim = Operator(j, "throttle@shop.example", PASSWORD)
        codes = [victim.login("guess %d" % i).status for i in range(5)]
        R.check_eq("five wrong passwords: 401 each", codes, [401] * 5)
        r = victim.login()
        R.check_eq("then even the right password: 429", r.status, 429)
        R.check("with Retry-After", (r.header("Retry-After") or "").isdigit(), r.header("Retry-After"))

        # ---- roles ----------------------------------------------------------------------------------
        r = owner.post("/console/api/operators", {"email": "viewer@shop.example", "name": "<i>뷰어</i>",
                                                  "role": "viewer", "password": PASSWORD})
        R.check_eq("owner creates a viewer", r.status, 201)
        viewer_id = r.json()["id"]
        r = owner.post("/console/api/operators", {"email": "agent@shop.example", "role": "agent", "password": PASSWORD})
        R.check_eq("owner creates an agent", r.status, 201)
        r = owner.post("/console/api/operators", {"email": "short@shop.example", "role": "agent", "password": "short"})
        R.check_eq("a short password is refused with its field", (r.status, r.json()["error"].get("field")), (400, "password"))
        r = owner.post("/console/api/operators", {"email": "viewer@shop.example", "role": "agent", "password": PASSWORD})
        R.check_eq("a taken email: 409", r.status, 409)
        viewer = Operator(j, "viewer@shop.example", PASSWORD)
        R.check_eq("viewer signs in", viewer.login().status, 200)
        R.check_eq("viewer sees the board", viewer.get("/console/api/board").status, 200)
        for method, path, body in (("GET", "/console/api/operators", None), ("GET", "/console/api/audit", None),
                                   ("GET", "/console/api/keys", None), ("POST", "/console/api/keys", {"name": "x"}),
                                   ("PATCH", "/console/api/providers/solapi", {"drained": True}),
                                   ("PUT", "/console/api/chains/sms", {"providers": ["solapi"]}),
                                   ("POST", "/console/api/send", {"audience": {"phones": ["01012345678"]}, "text": "x"}),
                                   ("POST", "/console/api/send/preview", {"text": "x"}),
                                   ("POST", "/console/api/notices", {"title_ko": "x"})):
            r = viewer.request(method, path, body)
            R.check_eq("viewer: %s %s is 403 forbidden" % (method, path), (r.status, (r.json() or {}).get("error", {}).get("code")),
                       (403, "forbidden"))
        agent = Operator(j, "agent@shop.example", PASSWORD)
        agent.login()
        R.check_eq("agent cannot change providers", agent.patch("/console/api/providers/solapi", {"drained": True}).status, 403)
        R.check_eq("agent cannot make keys", agent.post("/console/api/keys", {"name": "x"}).status, 403)
        r = owner.patch("/console/api/operators/" + owner.get("/console/api/session").json()["operator"]["id"],
                        {"role": "admin"})
        R.check_eq("the last owner cannot be lowered: 409", r.status, 409)

        # ---- API keys -----------------------------------------------------------------------------
        r = owner.post("/console/api/keys", {"name": "shop backend"})
        R.check_eq("owner makes an API key", r.status, 201)
        key, key_id = r.json()["key"], r.json()["id"]
        R.check_eq("the console's key works on /v1", j.call("GET", "/v1/channels", key=key, keep_alive=False).status, 200)
        R.check("the key is never listed again", key not in owner.get("/console/api/keys").body.decode())
        R.check_eq("revoke", owner.delete("/console/api/keys/" + key_id).status, 204)
        gone = h.wait_for(lambda: j.call("GET", "/v1/channels", key=key, keep_alive=False).status == 401, 40,
                          interval=0.5, what="revoked key refused")
        R.check("a revoked key stops working", gone)

        # ---- send, search, timeline ---------------------------------------------------------------
        r = agent.post("/console/api/send/preview", {"template": "order_shipped", "vars": {"name": "김민수", "order": "A-1"}})
        R.check_eq("preview: 200", r.status, 200)
        forms = r.json().get("forms", {})
        R.check("preview shows AlimTalk and SMS with its byte count",
                "alimtalk" in forms and forms.get("sms", {}).get("bytes", 0) > 0, r.json())
        r = agent.post("/console/api/send", {"audience": {"phones": ["010-2222-3333", "01044445555"]},
                                             "template": "order_shipped", "variables": {"name": "김", "order": "B-2"}})
        R.check_eq("agent sends a notice to two phones: 202", r.status, 202)
        R.check_eq("both accepted", r.json().get("accepted") if r.status == 202 else r.body, 2)
        ids = r.json().get("message_ids", []) if r.status == 202 else []
        r = agent.get("/console/api/messages?recipient=010-2222-3333")
        R.check("search by recipient finds it", r.status == 200 and any(m["id"] in ids for m in r.json()["messages"]), r)
        r = viewer.get("/console/api/messages?recipient=01044445555")
        phones = [m["recipient"].get("phone") for m in (r.json() or {}).get("messages", [])]
        R.check("a viewer sees phone numbers masked", phones and all("*" in p for p in phones), phones)
        if ids:
            h.wait_for(lambda: agent.get("/console/api/messages/" + ids[0]).json()["message"]["status"] == "delivered",
                       20, what="delivered")
            r = agent.get("/console/api/messages/" + ids[0])
            R.check("a message's attempt timeline", r.status == 200 and len(r.json().get("attempts", [])) >= 1, r)

        # ---- providers and chains, watched live ----------------------------------------------------
        live = LiveBoard(j, owner)
        R.check("the live stream starts with the board", live.wait(lambda e, d: e == "board" and "providers" in d, 10))
        r = owner.patch("/console/api/providers/nhn", {"drained": True, "reason": "점검"})
        R.check_eq("owner drains nhn", r.status, 200)

        def breaker(name):
            for p in owner.get("/console/api/board").json().get("providers", []):
                if p["provider"] == name:
                    return p.get("breaker_state"), p.get("drained")
            return None

        R.check("the board shows it forced open within seconds",
                h.wait_for(lambda: breaker("nhn") == ("forced_open", True), 10, interval=0.3, what="drained"),
                breaker("nhn"))
        owner.patch("/console/api/providers/nhn", {"drained": False})
        R.check("the live stream pushed the drained board without being asked",
                live.wait(lambda e, d: e == "board" and any(p["provider"] == "nhn" and p.get("drained")
                                                            for p in json.loads(d)["providers"]), 10))
        R.check("and closed again when undrained",
                h.wait_for(lambda: breaker("nhn") == ("closed", False), 10, interval=0.3, what="undrained"), breaker("nhn"))
        R.check_eq("a chain with an unknown provider is refused",
                   owner.put("/console/api/chains/sms", {"providers": ["nope"]}).status, 400)
        R.check_eq("owner puts solapi first for SMS", owner.put("/console/api/chains/sms", {"providers": ["solapi", "nhn"]}).status, 200)

        def sms_chain():
            r = j.send({"recipient": {"phone": "01055556666"}, "text": "chain check", "channels": ["sms"]})
            return j.message(r.json()["id"])["channels"] if r.status == 202 else None

        R.check("new messages take the new order",
                h.wait_for(lambda: sms_chain() == ["sms@solapi", "sms@nhn"], 10, interval=0.5, what="chain"), sms_chain())

        # ---- TOTP ---------------------------------------------------------------------------------
        r = owner.post("/console/api/me/totp/setup")
        secret = r.json()["secret"]
        R.check("TOTP set-up gives an otpauth URI", r.json()["uri"].startswith("otpauth://totp/"))
        R.check_eq("a wrong code does not enable it", owner.post("/console/api/me/totp/enable", {"code": "000000"}).status, 401)
        # The code of the previous step is accepted (clock drift) and cannot be used again afterwards.
        first_code = totp(secret, time.time() - 30)
        R.check_eq("the right code enables it", owner.post("/console/api/me/totp/enable", {"code": first_code}).status, 204)
        R.check_eq("sign out", owner.post("/console/api/logout").status, 204)
        R.check_eq("signed out: 401", owner.get("/console/api/session").status, 401)
        r = owner.login()
        R.check_eq("password step: second factor required", r.json().get("second_factor_required"), True)
        R.check_eq("nothing works before the code", owner.get("/console/api/board").status, 401)
        R.check_eq("a reused code is refused", owner.post("/console/api/login/totp", {"code": first_code}).status, 401)
        r = owner.post("/console/api/login/totp", {"code": totp(secret)})
        R.check_eq("the current code signs in", r.status, 200)
        R.check_eq("then the board answers", owner.get("/console/api/board").status, 200)

        # ---- disabling ends sessions --------------------------------------------------------------
        R.check_eq("owner disables the viewer", owner.patch("/console/api/operators/" + viewer_id, {"disabled": True}).status, 200)
        R.check_eq("the viewer's session is gone", viewer.get("/console/api/board").status, 401)
        R.check_eq("and it cannot sign in", viewer.login().status, 401)

        # ---- audit --------------------------------------------------------------------------------
        actions = {e["action"] for e in owner.get("/console/api/audit?limit=200").json()["entries"]}
        for a in ("login", "login.failed", "notice.create", "operator.create", "key.create", "key.revoke",
                  "provider.update", "chain.update", "send", "me.totp_enabled", "operator.update", "logout"):
            R.check("audit log has %s" % a, a in actions, sorted(actions))
        audit_text = owner.get("/console/api/audit?limit=200").body.decode()
        R.check("no password or key in the audit log", PASSWORD not in audit_text and key not in audit_text)

        # ---- automatic status notices -------------------------------------------------------------
        sim.fault(provider="*", channel="alimtalk", mode="down")
        stop = time.monotonic() + 30

        def auto_notice(open_only=True):
            doc = h.http_request(j.url + "/status.json").json() or {}
            return [n for n in doc.get("notices", []) if n["kind"] == "auto" and n["channel"] == "alimtalk"
                    and (n["open"] or not open_only)]

        while time.monotonic() < stop and not auto_notice():
            j.send({"recipient": {"phone": "01077778888"}, "template": "order_shipped",
                    "vars": {"name": "김", "order": "C-3"}})
            time.sleep(0.05)
        notices = auto_notice()
        R.check("an AlimTalk outage opens an automatic notice", len(notices) == 1, notices)
        if notices:
            R.check("worded as the default template", "카카오톡" in notices[0]["title"]["ko"], notices[0]["title"])
            index = os.path.join(static_dir, "index.html")
            R.check("the static copy shows it",
                    h.wait_for(lambda: os.path.exists(index) and notices[0]["title"]["ko"] in open(index, encoding="utf-8").read(),
                               10, what="static copy"))
            R.check("status.json copy is there", os.path.exists(os.path.join(static_dir, "status.json")))
            R.check("the Atom feed lists it", notices[0]["id"] in h.http_request(j.url + "/status/feed.atom").body.decode())
        sim.clear_faults()
        stop = time.monotonic() + 40
        while time.monotonic() < stop and auto_notice():
            j.send({"recipient": {"phone": "01077778888"}, "template": "order_shipped",
                    "vars": {"name": "김", "order": "C-4"}})
            time.sleep(0.2)
        R.check("recovery resolves it", not auto_notice() and len(auto_notice(False)) == 1, auto_notice(False))

        # ---- staff alerts -------------------------------------------------------------------------
        alerts = owner.get("/console/api/alerts").json().get("alerts", [])
        kinds = {(a["kind"], a["subject"]) for a in alerts}
        R.check("staff were alerted when the breakers opened", ("breaker_open", "solapi") in kinds, kinds)
        R.check("and when they closed", ("breaker_closed", "solapi") in kinds, kinds)
        opened = [a for a in alerts if a["kind"] == "breaker_open"]
        if opened:
            R.check("an alert is in Korean and English", opened[0]["text_ko"] and opened[0]["text_en"], opened[0])
            R.check_eq("acknowledging needs a session",
                       Operator(j, "agent@shop.example", PASSWORD).post("/console/api/alerts/%d/ack" % opened[0]["id"]).status, 401)
            r = agent.post("/console/api/alerts/%d/ack" % opened[0]["id"])
            R.check_eq("an agent acknowledges it", (r.status, bool(r.json().get("acknowledged_ms"))), (200, True))
        R.check("the live stream carried an alert event", live.wait(lambda e, d: e == "alert", 5))
        live.close()
    return b.results.finish()


if __name__ == "__main__":
    sys.exit(main())
