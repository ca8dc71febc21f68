#!/usr/bin/env python3
"""Verifies the DKIM signatures of one message with Debian's python3-dkim (dkimpy): an implementation
that shares no code with jarip's signer, for tests that must not trust jarip to check itself.

    tests/tools/dkim_verify.py MESSAGE_FILE KEY [KEY ...] [--decode-header NAME ...]

MESSAGE_FILE is the message as sent (RFC 5322, CRLF line endings), "-" for stdin. Each KEY is the
key record's TXT value ("v=DKIM1; k=ed25519; p=...") or the path of a file holding it, optionally
prefixed with the selector it answers for ("brisbane=v=DKIM1; ..."); without a selector a record
answers every DNS query, so pass one record per signature's selector when the message has several.
No DNS is used: the records given are the only ones.

Every DKIM-Signature header must verify. Prints one line per signature, "pass d=… s=… a=…" or
"fail d=… s=…: reason", then "pass" or "fail"; exits 0 when all pass, 1 when any fails or there is
none, 2 on a usage error. --decode-header NAME also prints NAME's value decoded (RFC 2047), as
"NAME: value", so that tests can check encoded-words with Python's email package.

Needs python3-dkim (apt-get install python3-dkim) and, for ed25519, python3-nacl. When the running
interpreter lacks them and /usr/bin/python3 has them (a pyenv or venv python first on PATH), the
script re-runs itself with /usr/bin/python3.
"""

import argparse
import os
import re
import sys

try:
    import dkim  # python3-dkim
except ImportError:  # pragma: no cover - depends on the machine
    system_python = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system_python) and os.path.exists(system_python):
        os.execv(system_python, [system_python] + sys.argv)
    sys.stderr.write("dkim_verify.py: python3-dkim is not installed (apt-get install python3-dkim)\n")
    sys.exit(2)

import email.header


def load_record(spec):
    selector = None
    match = re.match(r"^([A-Za-z0-9._-]+)=(v=DKIM1.*|k=.*|p=.*)$", spec, re.S)
    if match and not os.path.exists(spec):
        selector, spec = match.group(1), match.group(2)
    if os.path.exists(spec):
        with open(spec, "r", encoding="ascii") as f:
            spec = f.read()
    # A zone-file form ("v=DKIM1; …" "…") is joined as the DNS would join its strings.
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', spec)
    if strings:
        spec = "".join(s.replace('\\"', '"').replace("\\\\", "\\") for s in strings)
    return selector, spec.strip().encode("ascii")


def signatures(message):
    """(d, s, a) of each DKIM-Signature, in order."""
    headers, _ = dkim.rfc822_parse(message)
    out = []
    for name, value in headers:
        if name.lower() == b"dkim-signature":
            tags = dkim.util.parse_tag_value(value)
            out.append((tags.get(b"d", b"?").decode(), tags.get(b"s", b"?").decode(), tags.get(b"a", b"?").decode()))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("message")
    parser.add_argument("keys", nargs="+")
    parser.add_argument("--decode-header", action="append", default=[])
    args = parser.parse_args()
    sys.stdout.reconfigure(encoding="utf-8")

    message = sys.stdin.buffer.read() if args.message == "-" else open(args.message, "rb").read()
    records = [load_record(k) for k in args.keys]

    def dnsfunc(name, timeout=5):
        label = name.decode() if isinstance(name, bytes) else name
        selector = label.split("._domainkey.")[0]
        for wanted, record in records:
            if wanted is None or wanted == selector:
                return record
        return None

    for header in args.decode_header:
        parsed = email.message_from_bytes(message)
        value = parsed.get(header)
        decoded = "" if value is None else str(email.header.make_header(email.header.decode_header(value)))
        print(f"{header}: {decoded}")

    found = signatures(message)
    if not found:
        print("fail: no DKIM-Signature")
        return 1
    all_ok = True
    verifier = dkim.DKIM(message)
    for index, (d, s, a) in enumerate(found):
        try:
            ok = verifier.verify(idx=index, dnsfunc=dnsfunc)
            reason = "" if ok else "signature did not verify"
        except Exception as e:  # dkimpy and nacl raise several kinds for a bad key or signature
            ok, reason = False, f"{type(e).__name__}: {e}"

        if ok:
            print(f"pass d={d} s={s} a={a}")
        else:
            all_ok = False
            print(f"fail d={d} s={s} a={a}: {reason}")
    print("pass" if all_ok else "fail")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
