#!/usr/bin/env python3
"""HTTPS from a self-signed certificate made with the openssl CLI; certificate replaced + SIGHUP →
new connections see the new certificate; SIGTERM during a stream → exit code 0, and after a restart
every 202 is delivered (counted at the simulator).

The simulator posts delivery reports over http:// only, so the SIGTERM drill runs on a plain-HTTP
jarip (a TLS-only jarip cannot receive the simulator's reports)."""

import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

N = int(os.environ.get("JARIP_SHUTDOWN_MESSAGES", "3000"))
RATE = float(os.environ.get("JARIP_SHUTDOWN_RATE", "1500"))


def make_cert(d, name, cn):
    cert, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def fingerprint_of_server(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def fingerprint_of_file(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def tls_part(b):
    R = b.results
    d = os.path.join(b.dir, "tls")
    os.makedirs(d, exist_ok=True)
    c1, k1 = make_cert(d, "one", "jarip-it-one")
    c2, k2 = make_cert(d, "two", "jarip-it-two")
    live_c, live_k = os.path.join(d, "live.crt"), os.path.join(d, "live.key")
    shutil.copy(c1, live_c)
    shutil.copy(k1, live_k)
    ctx1 = ssl.create_default_context(cafile=c1)
    sim = b.sim(name="tls")
    j = b.jarip(sim, name="tls", tls=(live_c, live_k, ctx1))
    sim.start(j.port)
    j.start()
    R.check_eq("https: /healthz over TLS with the first CA", j.get_raw("/healthz").status, 200)
    r = j.send({"recipient": {"phone": "010-4321-1234"}, "template": "order_shipped", "vars": {"name": "T", "order": "1"}})
    R.check_eq("https: send → 202", r.status, 202)
    mid = (r.json() or {}).get("id", "")
    counts = h.await_all_delivered(sim, [mid], 10)
    R.check_eq("https: the message reached the sim and was delivered once", counts.get(mid), 1)
    # plain HTTP to the TLS port is not served
    try:
        pr = h.http_request("http://127.0.0.1:%d/healthz" % j.port, timeout=3)
        plain_ok = pr.status == 200
    except Exception:  # noqa: BLE001
        plain_ok = False
    R.check("https: plain HTTP on the TLS port is not answered 200", not plain_ok)
    R.check_eq("https: server presents certificate one", fingerprint_of_server(j.port), fingerprint_of_file(c1))
    # keep one connection open across the reload
    old = h.KeepAliveClient("127.0.0.1", j.port, context=ctx1)
    R.check_eq("https: keep-alive connection before reload", old.request("GET", "/healthz").status, 200)
    # replace the files (atomically, as certbot does) and SIGHUP
    shutil.copy(c2, live_c + ".new")
    shutil.copy(k2, live_k + ".new")
    os.replace(live_k + ".new", live_k)
    os.replace(live_c + ".new", live_c)
    j.proc.send_signal(signal.SIGHUP)
    seen = h.wait_for(lambda: fingerprint_of_server(j.port) == fingerprint_of_file(c2), 5, 0.1)
    R.check("SIGHUP: new connections see certificate two", bool(seen), fingerprint_of_server(j.port))
    ctx2 = ssl.create_default_context(cafile=c2)
    r = h.http_request(j.url + "/healthz", context=ctx2)
    R.check_eq("SIGHUP: verified handshake with the second CA", r.status, 200)
    try:
        h.http_request(j.url + "/healthz", context=ctx1)
        old_ca_ok = True
    except ssl.SSLError:
        old_ca_ok = False
    R.check("SIGHUP: the first CA no longer verifies new connections", not old_ca_ok)
    R.check("SIGHUP: jarip still running", j.proc.poll() is None)
    # a broken replacement must keep the old certificate
    with open(live_c, "w") as f:
        f.write("not a certificate\n")
    j.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    R.check("SIGHUP with a broken certificate: still running, still certificate two",
            j.proc.poll() is None and fingerprint_of_server(j.port) == fingerprint_of_file(c2))
    old.close()
    rc = j.sigterm()
    R.check_eq("https: SIGTERM exit 0", rc, 0)
    sim.stop()


def shutdown_part(b):
    R = b.results
    sim, j = b.start_pair(name="sigterm")
    st = h.Stream(j, N, RATE, 16, tag="term")
    info = {}

    def term():
        t = time.monotonic()
        info["rc"] = j.sigterm(timeout=30)
        info["stop_s"] = time.monotonic() - t
        h.log("sigterm: exit %s after %.2f s" % (info["rc"], info["stop_s"]))
        j.restart()

    st.at(N // 2, term)
    st.run()
    h.log("sigterm: " + st.describe())
    R.check_eq("SIGTERM during a stream: exit code 0", info.get("rc"), 0)
    R.check("SIGTERM: stopped within shutdown_grace_s + 5 s (%.1f s)" % info.get("stop_s", -1),
            info.get("stop_s", 99) < 15)
    log_text = open(j.log_path, encoding="utf-8", errors="replace").read()
    R.check("SIGTERM: logged 'shutting down' and 'stopped'", '"shutting down"' in log_text and '"stopped"' in log_text)
    accepted = st.accepted_ids()
    R.check("SIGTERM: the stream was answered 202 (%d of %d)" % (len(accepted), N), len(accepted) == N, st.counts())
    nums, counts, missing = h.account(R, "sigterm", sim, j, accepted, 60)
    amb = sorted(h.ambiguous_ids(j, accepted))
    codes = {}
    for mid in amb:
        for a in (j.message(mid) or {}).get("attempts", []):
            if a.get("outcome") == "ambiguous":
                c = (a.get("error") or {}).get("code")
                codes[c] = codes.get(c, 0) + 1
    R.check("SIGTERM: a graceful stop interrupts no attempt (none ambiguous with error 'interrupted')",
            not codes.get("interrupted"), codes)
    R.known_bug("SIGTERM run: no ambiguous attempt at all (%d messages: %s)" % (len(amb), codes), not amb,
                "report_timeout although the sim delivered at once: the report-before-commit race (see the "
                "outage drills' baseline); e.g. %s" % amb[:2])
    h.log("sigterm numbers: " + json.dumps(nums))
    R.check_eq("SIGTERM after restart: exit 0", j.sigterm(), 0)
    sim.stop()


def main():
    args = h.parse_args()
    with h.Bench("tls_and_shutdown", args) as b:
        tls_part(b)
        shutdown_part(b)
    b.exit()


if __name__ == "__main__":
    main()
