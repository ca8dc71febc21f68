"""A signed-in operator for the integration tests: keeps the session cookie and the CSRF token the way
the console page does, and creates operators with the CLI."""

import base64
import hashlib
import hmac
import os
import struct
import subprocess
import time

import harness as h


def create_operator(j, email, password, role="owner"):
    """`jarip operators create`, the password on stdin (never on the command line)."""
    # jarip reads JARIP_* variables as configuration and refuses unknown ones: pass none of the test's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JARIP_")}
    r = subprocess.run([j.bench.bin("jarip"), "operators", "create", "--email", email, "--role", role,
                        "--config", j.config_path], input=password + "\n", capture_output=True, text=True,
                       timeout=60, env=env)
    if r.returncode != 0:
        raise RuntimeError("operators create failed: %s %s" % (r.stdout, r.stderr))
    return r


def totp(secret_b32, at=None, step=30, digits=6):
    """RFC 6238 with SHA-1, as authenticator apps compute it."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((time.time() if at is None else at) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


class Operator:
    def __init__(self, j, email, password):
        self.j = j
        self.email = email
        self.password = password
        self.cookie = None
        self.csrf = None
        self.last_login = None

    def request(self, method, path, body=None, headers=None, csrf=True, cookie=True):
        hdrs = {}
        if cookie and self.cookie:
            hdrs["Cookie"] = "jarip_console=" + self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            hdrs["X-CSRF-Token"] = self.csrf
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        return h.http_request(self.j.url + path, method, body, hdrs, context=self.j.ssl_context())

    def login(self, password=None, headers=None):
        r = self.request("POST", "/console/api/login",
                         {"email": self.email, "password": self.password if password is None else password},
                         headers=headers, csrf=False, cookie=False)
        self.last_login = r
        if r.status == 200:
            cookie = r.header("Set-Cookie") or ""
            self.cookie = cookie.split(";", 1)[0].split("=", 1)[1]
            self.csrf = r.json()["csrf"]
        return r

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, {} if body is None else body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)
