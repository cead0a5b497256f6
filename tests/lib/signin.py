# SPDX-License-Identifier: MIT
"""Clients for the sign-in tests and the sign-in benchmark (tests/api/test_auth_*.py,
bench/bench_auth.py): a browser-like HTTP client with a cookie jar and manual redirects (for
OpenID round trips through a provider's pages), a session client (cookie + CSRF token), a
software WebAuthn authenticator (P-256 and Ed25519 keys from python3-cryptography, real CBOR
attestation objects and assertion signatures) and RFC 6238 codes.
"""
import base64
import hashlib
import hmac
import html
import http.cookiejar
import json
import os
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

import wgtest

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---- minimal CBOR encoder (what an authenticator sends) -----------------------------------
def cbor(v):
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        if n < 256:
            return bytes([major << 5 | 24, n])
        if n < 65536:
            return bytes([major << 5 | 25]) + struct.pack(">H", n)
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    if isinstance(v, bool):
        return bytes([0xf5 if v else 0xf4])
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(v)


class Authenticator:
    """A software passkey: one credential, a sign counter, user verification on."""

    def __init__(self, kind="es256"):
        self.kind = kind
        self.key = ec.generate_private_key(ec.SECP256R1()) if kind == "es256" \
            else ed25519.Ed25519PrivateKey.generate()
        self.cred_id = os.urandom(32)
        self.count = 0
        self.handle = None

    def cose(self):
        if self.kind == "es256":
            n = self.key.public_key().public_numbers()
            return cbor({1: 2, 3: -7, -1: 1, -2: n.x.to_bytes(32, "big"),
                         -3: n.y.to_bytes(32, "big")})
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                 serialization.PublicFormat.Raw)
        return cbor({1: 1, 3: -8, -1: 6, -2: raw})

    def auth_data(self, rp_id, flags, with_cred):
        ad = hashlib.sha256(rp_id.encode()).digest() + bytes([flags | (0x40 if with_cred else 0)])
        ad += struct.pack(">I", self.count)
        if with_cred:
            ad += bytes(16) + struct.pack(">H", len(self.cred_id)) + self.cred_id + self.cose()
        return ad

    def sign(self, data):
        if self.kind == "es256":
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(data)

    def create(self, options, origin, flags=0x05):
        pk = options["publicKey"]
        self.handle = pk["user"]["id"]
        cdj = json.dumps({"type": "webauthn.create", "challenge": pk["challenge"],
                          "origin": origin, "crossOrigin": False}).encode()
        att = cbor({"fmt": "none", "attStmt": {},
                    "authData": self.auth_data(pk["rp"]["id"], flags, True)})
        return {"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj), "attestationObject": b64u(att)}}

    def wgportal_credential(self, count):
        """(credential_identifier, serialized_credential) as wg-portal v2 stores this passkey:
        standard base64 of the id, and of go-webauthn's Credential as JSON (domain/user.go
        SetCredential; Authenticator has no JSON tags: Go's field names)."""
        self.count = count
        cred = {"id": base64.b64encode(self.cred_id).decode(),
                "publicKey": base64.b64encode(self.cose()).decode(),
                "attestationType": "none", "transport": ["internal"],
                "flags": {"userPresent": True, "userVerified": True, "backupEligible": True,
                          "backupState": True},
                "authenticator": {"AAGUID": base64.b64encode(bytes(16)).decode(),
                                  "SignCount": count, "CloneWarning": False,
                                  "Attachment": "platform"},
                "attestation": {"type": "", "format": "none"}}
        return (base64.b64encode(self.cred_id).decode(),
                base64.b64encode(json.dumps(cred).encode()).decode())

    def get(self, options, origin, bump=1, handle=None, flags=0x05):
        pk = options["publicKey"]
        self.count += bump
        cdj = json.dumps({"type": "webauthn.get", "challenge": pk["challenge"],
                          "origin": origin}).encode()
        ad = self.auth_data(pk["rpId"], flags, False)
        sig = self.sign(ad + hashlib.sha256(cdj).digest())
        return {"id": b64u(self.cred_id), "rawId": b64u(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(ad),
                             "signature": b64u(sig), "userHandle": handle or self.handle}}


class Session:
    """A browser's session: its cookie, its CSRF token, and the Origin a browser sends (the
    sign-in steps refuse requests without one: login CSRF)."""

    def __init__(self, port):
        self.c = wgtest.Client(port)
        self.cookie, self.csrf = "", ""
        self.origin = f"http://127.0.0.1:{port}"

    def take(self, r):
        for k, v in r.headers:
            if k.lower() == "set-cookie" and v.startswith("wgPortalSession=") and \
                    "Max-Age=0" not in v:
                self.cookie = v.split(";")[0]
        j = r.json() if r.status == 200 else None
        if isinstance(j, dict) and j.get("CsrfToken"):
            self.csrf = j["CsrfToken"]
        return r

    def api(self, method, path, body=None):
        return self.take(self.c.api(method, path, body, auth=None,
                                    headers={"Cookie": self.cookie, "X-CSRF-Token": self.csrf,
                                             "Origin": self.origin}))


def totp(secret_b32, t=None, step=0):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    c = int((t or time.time()) // 30) + step
    mac = hmac.new(key, struct.pack(">Q", c), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


class Browser:
    """Cookie jar + manual redirects, so every hop can be looked at."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                              NoRedirect)
        self.hops = []

    def req(self, url, data=None, headers=None):
        r = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode()
                                   if isinstance(data, dict) else data, headers=headers or {})
        try:
            resp = self.op.open(r, timeout=30)
        except urllib.error.HTTPError as e:
            resp = e
        body = resp.read()
        return resp.status, dict(resp.headers), body

    def follow(self, url, data=None, limit=15):
        """Follows redirects; returns (status, headers, body, final url)."""
        for _ in range(limit):
            st, h, body = self.req(url, data)
            self.hops.append((st, url))
            loc = h.get("Location")
            if st in (301, 302, 303, 307) and loc:
                url = urllib.parse.urljoin(url, loc)
                data = None
                if not url.startswith("http"):
                    return st, h, body, url
                continue
            return st, h, body, url
        raise RuntimeError("too many redirects")

    def submit_form(self, page_url, body, fields):
        """Posts the page's form (action from the HTML) with fields."""
        m = re.search(rb'<form[^>]*action="([^"]+)"', body)
        if not m:
            raise RuntimeError("no form on " + page_url + ": " + body[:300].decode(errors="replace"))
        action = urllib.parse.urljoin(page_url, html.unescape(m.group(1).decode()))
        return self.follow(action, fields)

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)
