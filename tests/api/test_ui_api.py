#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The server side of the web UI, end to end (the UI <-> server contract).

Starts the real daemon in a private network namespace "wgpw<pid>" (loopback only) and checks:
session login (ok, wrong password, unknown/disabled user, cookie attributes and name from
web.session_identifier), session lookup and logout, sessions surviving a daemon restart, CSRF
enforcement for cookie auth (and none for Basic auth), login rate limiting per account and per
client address (429 + Retry-After), a non-admin seeing only their own records through the
session, /ui/settings, /ui/settings/session, the audit list, API-token create/revoke, the
per-page peer metrics, and the static UI: index.html at / and at unknown SPA routes, security
headers, hashed assets with immutable caching and gzip, base_path (second instance, served
from --web-root).

Output is TAP; exit 1 on any failure. WGPORTAL_BIN selects the binary (run-all passes
build/san/wgportal too); a sanitizer report or a secret in the daemon's output fails the test.
"""
import base64
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402  (database_yaml: SQLite, or the server of tests/db/run_engine.py)
PORT = 19651
PORT2 = 19652
TAG = os.environ.get("WGPW_TAG", str(os.getpid()))
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-UI-Passw0rd-2026!"
ADMIN_TOKEN = "T0k3nUiAdm1nAbcdefghijklmnopqrstu"
BOB_PW = "B0b-UI-Passw0rd-long-enough"
CAROL_PW = "Car0l-UI-Passw0rd-long-enough"
COOKIE = "wgpwSess"
SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
               "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
SECRETS = [ADMIN_PW, ADMIN_TOKEN, BOB_PW, CAROL_PW]   # session ids and tokens are appended


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print(f"#   {line}", flush=True)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got:  {got!r}\nwant: {want!r}")

    def skip(self, name, why):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {why}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


T = Tap()


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body.decode())
        except Exception:
            return None

    @property
    def msg(self):
        j = self.json()
        return j.get("Message") if isinstance(j, dict) else None

    def __repr__(self):
        return f"<{self.status} {self.headers!r} {self.body[:300]!r}>"


def basic(user, token):
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)


def call(method, path, body=None, auth=None, headers=None, port=PORT, source=None, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                      source_address=(source, 0) if source else None)
    hdrs = dict(headers or {})
    if auth:
        hdrs["Authorization"] = auth
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Resp(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def api(method, path, body=None, **kw):
    if path == "/auth/login":
        # as the UI's browser does: a login carries its same-origin Origin (login CSRF check,
        # test_auth_hardening.py covers the refusals)
        kw["headers"] = dict({"Origin": f"http://127.0.0.1:{kw.get('port', PORT)}"},
                             **(kw.get("headers") or {}))
    return call(method, kw.pop("base", "") + "/api/v1" + path, body, **kw)


def q(s):
    return urllib.parse.quote(s, safe="")


def is_error(r, status, msg=None, name="", prefix=None):
    j = r.json()
    good = r.status == status and isinstance(j, dict) and j.get("Code") == status
    if msg is not None:
        good = good and j.get("Message") == msg
    if prefix is not None:
        good = good and (j.get("Message") or "").startswith(prefix)
    return T.ok(good, name, f"status {r.status}, body {r.body[:300]!r}, want {status} {msg!r}")


class Session:
    """A browser: the cookie and the CSRF token from a login."""

    def __init__(self, name, sid, csrf, user, set_cookie):
        self.name, self.sid, self.csrf, self.user, self.set_cookie = (name, sid, csrf, user,
                                                                      set_cookie)
        SECRETS.extend([sid, csrf])

    def cookie(self):
        return {"Cookie": f"{self.name}={self.sid}"}

    def req(self, method, path, body=None, csrf=True, port=PORT, base="", headers=None):
        h = dict(self.cookie())
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        return api(method, path, body, headers=h, port=port, base=base)


def parse_set_cookie(v):
    parts = [p.strip() for p in (v or "").split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, val = p.partition("=")
        attrs[k.lower()] = val
    return name, value, attrs


def login(user, pw, port=PORT, base="", source=None, cookie_name=COOKIE):
    r = api("POST", "/auth/login", {"Username": user, "Password": pw}, port=port, base=base,
            source=source)
    if r.status != 200:
        return r, None
    name, value, _ = parse_set_cookie(r.header("Set-Cookie"))
    j = r.json() or {}
    return r, Session(name, value, j.get("CsrfToken", ""), j.get("User") or {},
                      r.header("Set-Cookie"))


# ---------------------------------------------------------------- daemon

class Daemon:
    def __init__(self, ns, tmp, logdir, label):
        self.ns, self.tmp = ns, tmp
        flavour = "san" if "san" in os.environ.get("WGPORTAL_BIN", "") else "plain"
        self.log_path = os.path.join(logdir, f"ui-daemon-{flavour}-{label}.log")
        self.proc = None
        self.logf = None

    def start(self, config_path, port, extra=()):
        binary = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, binary, "--config",
                                      config_path, *extra], stdout=self.logf,
                                     stderr=subprocess.STDOUT, cwd=self.tmp)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.logf.close()
        return self.proc.returncode

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""


def write_config(tmp, extra_web="", extra=""):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
advanced:
  start_cidr_v4: 10.214.0.0/24
  use_ip_v6: false
  start_listen_port: 51960
{extra}{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{PORT}
  request_logging: true
  site_title: "UI Test Portal"
  site_company_name: "ACME & Co"
  session_identifier: {COOKIE}
{extra_web}""")
    return path


def check_daemon_end(d, label):
    rc = d.stop()
    log = d.log()
    T.eq(rc, 0, f"{label}: daemon exits 0 on SIGTERM")
    T.ok(not any(m in log for m in SAN_MARKERS), f"{label}: no sanitizer report",
         "\n".join(x for x in log.splitlines() if any(m in x for m in SAN_MARKERS))[:2000])
    leaked = [s[:6] + "..." for s in SECRETS if s and s in log]
    T.ok(not leaked, f"{label}: no password, token, session id or CSRF token in the log", leaked)


# ---------------------------------------------------------------- sections

def test_static(st):
    r = call("GET", "/")
    T.ok(r.status == 200 and (r.header("Content-Type") or "").startswith("text/html"),
         "GET /: 200 text/html", r)
    T.eq(r.header("Content-Security-Policy"), CSP, "UI answer: Content-Security-Policy")
    T.eq(r.header("X-Content-Type-Options"), "nosniff", "UI answer: nosniff")
    T.eq(r.header("Referrer-Policy"), "same-origin", "UI answer: Referrer-Policy same-origin")
    T.eq(r.header("Cache-Control"), "no-cache", "index.html: Cache-Control no-cache")
    body = r.body.decode(errors="replace")
    T.ok('<base href="/">' in body and 'name="wgportal-base-path" content=""' in body,
         "index.html has the base path injected", body[:400])
    index = r.body
    r2 = call("GET", "/interfaces/wg0/peers")
    T.ok(r2.status == 200 and r2.body == index
         and r2.header("Content-Security-Policy") == CSP,
         "unknown SPA route: index.html (history fallback)", r2)
    etag = r.header("ETag")
    r3 = call("GET", "/users", headers={"If-None-Match": etag or "x"})
    T.ok(etag and r3.status == 304 and not r3.body, "index.html revalidates with ETag: 304", r3)
    r = call("POST", "/")
    T.ok(r.status == 405 and "GET" in (r.header("Allow") or ""), "POST to a UI path: 405", r)
    r = call("GET", "/api/v1/nosuch")
    T.eq((r.status, r.body), (404, b"404 page not found"), "unknown API path stays a 404")
    r = call("GET", "/api")
    T.eq(r.status, 404, "/api itself is no UI path")
    r = call("GET", "/%2e%2e/%2e%2e/etc/passwd")
    T.ok(r.status in (400, 404) and b"root:" not in r.body, "encoded .. is refused", r)

    # Hashed asset of the embedded build (only when the real UI is embedded).
    m = re.search(rb'(?:src|href)="\.?/?(assets/[^"]+\.js)"', index)
    if not m:
        T.skip("embedded hashed asset: immutable + gzip", "embedded UI is the placeholder")
        T.skip("embedded hashed asset: identity without Accept-Encoding", "placeholder")
        return
    path = "/" + m.group(1).decode()
    r = call("GET", path, headers={"Accept-Encoding": "gzip"})
    T.ok(r.status == 200 and r.header("Cache-Control") == "public, max-age=31536000, immutable"
         and (r.header("Content-Type") or "").startswith("text/javascript"),
         f"embedded {path}: immutable, text/javascript", r.headers)
    plain = call("GET", path)
    enc = r.header("Content-Encoding")
    T.ok((enc == "gzip" and gzip.decompress(r.body) == plain.body) or
         (enc is None and len(plain.body) < 256 and r.body == plain.body),
         "embedded asset: gzip when accepted, same bytes after decompression", r.headers)
    T.ok(plain.header("Content-Encoding") is None, "embedded asset: identity without "
         "Accept-Encoding", plain.headers)


def test_login(st):
    r = api("POST", "/user/new", {"Identifier": "bob", "Password": BOB_PW,
                                  "Email": "bob@example.com"}, auth=ADMIN_AUTH)
    T.eq(r.status, 200, "setup: create non-admin bob (Basic auth)")
    r = api("POST", "/user/new", {"Identifier": "carol", "Password": CAROL_PW}, auth=ADMIN_AUTH)
    T.eq(r.status, 200, "setup: create carol")
    r = api("POST", "/user/new", {"Identifier": "dora", "Password": CAROL_PW, "Disabled": True},
            auth=ADMIN_AUTH)
    T.eq(r.status, 200, "setup: create disabled dora")

    r, s = login(ADMIN, ADMIN_PW)
    T.ok(r.status == 200 and s is not None, "login with the right password: 200", r)
    if not s:
        raise RuntimeError("login failed")
    j = r.json() or {}
    T.ok((j.get("User") or {}).get("Identifier") == ADMIN and (j.get("User") or {}).get("IsAdmin")
         and "ApiToken" not in (j.get("User") or {}) and "Password" not in (j.get("User") or {}),
         "login answer: the v1 User, without ApiToken", j)
    T.ok(len(s.csrf) >= 32, "login answer: CsrfToken of 32+ characters", s.csrf)
    name, value, attrs = parse_set_cookie(s.set_cookie)
    T.eq(name, COOKIE, "cookie name = web.session_identifier")
    T.ok(len(value) >= 32 and value != s.csrf, "cookie value: a long random id, not the token")
    T.ok("httponly" in attrs, "cookie: HttpOnly", s.set_cookie)
    T.eq(attrs.get("samesite", "").lower(), "strict", "cookie: SameSite=Strict")
    T.eq(attrs.get("path"), "/", "cookie: Path=/ without base path")
    T.ok("secure" not in attrs, "cookie: no Secure behind an http external_url", s.set_cookie)
    st["admin"] = s

    is_error(api("POST", "/auth/login", {"Username": ADMIN, "Password": "wrong-password"}), 401,
             "invalid credentials", name="wrong password: 401 invalid credentials")
    is_error(api("POST", "/auth/login", {"Username": "nobody", "Password": "whatever"}), 401,
             "invalid credentials", name="unknown user: the same 401")
    is_error(api("POST", "/auth/login", {"Username": "dora", "Password": CAROL_PW}), 401,
             "invalid credentials", name="disabled user with the right password: the same 401")
    r = api("POST", "/auth/login", {"Username": ADMIN})
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "Password",
         "login without Password: 400 naming the field", r)
    r = api("POST", "/auth/login", {"username": ADMIN, "password": ADMIN_PW})
    T.eq(r.status, 200, "login field names are case-insensitive (v1 convention)")
    if r.status == 200:
        SECRETS.append((r.json() or {}).get("CsrfToken", ""))
        SECRETS.append(parse_set_cookie(r.header("Set-Cookie"))[1])

    r = s.req("GET", "/auth/session")
    T.ok(r.status == 200 and (r.json() or {}).get("CsrfToken") == s.csrf
         and ((r.json() or {}).get("User") or {}).get("Identifier") == ADMIN,
         "GET /auth/session with the cookie: user and the same CsrfToken", r)
    is_error(api("GET", "/auth/session"), 401, "not logged in",
             name="GET /auth/session without cookie: 401 not logged in")
    is_error(api("GET", "/auth/session", headers={"Cookie": f"{COOKIE}=" + "A" * 43}), 401,
             "not logged in", name="GET /auth/session with a made-up id: 401")

    _, b = login("bob", BOB_PW)
    T.ok(b is not None, "bob logs in")
    st["bob"] = b


def test_csrf(st):
    s = st["admin"]
    r = s.req("GET", "/interface/all")
    T.ok(r.status == 200 and r.json() == [], "cookie auth: GET /interface/all 200", r)
    is_error(s.req("POST", "/user/new", {"Identifier": "eve", "Password": BOB_PW}, csrf=False),
             403, "CSRF token missing or invalid", name="cookie POST without X-CSRF-Token: 403")
    is_error(s.req("POST", "/user/new", {"Identifier": "eve", "Password": BOB_PW}, csrf=False,
                   headers={"X-CSRF-Token": s.csrf[:-1] + ("A" if s.csrf[-1] != "A" else "B")}),
             403, "CSRF token missing or invalid", name="cookie POST with a wrong token: 403")
    T.eq(api("GET", "/user/by-id/eve", auth=ADMIN_AUTH).status, 404,
         "the refused POSTs created nothing")
    r = s.req("POST", "/user/new", {"Identifier": "eve", "Password": BOB_PW})
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "eve",
         "cookie POST with the session's X-CSRF-Token: 200", r)
    is_error(s.req("DELETE", "/user/by-id/eve", csrf=False), 403,
             "CSRF token missing or invalid", name="cookie DELETE without token: 403")
    T.eq(s.req("DELETE", "/user/by-id/eve").status, 204, "cookie DELETE with token: 204")
    r = api("POST", "/user/new", {"Identifier": "frank", "Password": BOB_PW}, auth=ADMIN_AUTH)
    T.eq(r.status, 200, "Basic auth POST needs no CSRF token")
    r = api("POST", "/user/new", {"Identifier": "gina", "Password": BOB_PW}, auth=ADMIN_AUTH,
            headers=s.cookie())
    T.eq(r.status, 200, "Basic auth wins over a cookie: no CSRF token needed")
    # a session of another user does not lend its token
    b = st["bob"]
    is_error(s.req("POST", "/user/new", {"Identifier": "hank", "Password": BOB_PW}, csrf=False,
                   headers={"X-CSRF-Token": b.csrf}), 403, "CSRF token missing or invalid",
             name="another session's CSRF token is refused")


def make_iface_and_peers(st):
    r = api("GET", "/interface/prepare", auth=ADMIN_AUTH)
    ifc = r.json() or {}
    name = f"wgw{TAG}0"
    ifc.update(Identifier=name, PeerDefEndpoint="vpn.example.com:51960")
    r = api("POST", "/interface/new", ifc, auth=ADMIN_AUTH)
    T.ok(r.status == 200, "setup: create interface " + name, r)
    st["iface"] = name
    peers = {}
    for owner in ("bob", ADMIN, "bob"):
        p = api("GET", "/peer/prepare/" + q(name), auth=ADMIN_AUTH).json() or {}
        p["UserIdentifier"] = owner
        p["DisplayName"] = f"peer of {owner} {len(peers)}"
        r = api("POST", "/peer/new", p, auth=ADMIN_AUTH)
        T.ok(r.status == 200, f"setup: peer for {owner}", r)
        peers[(r.json() or {}).get("Identifier")] = owner
    st["peers"] = peers


def test_non_admin(st):
    b, s = st["bob"], st["admin"]
    make_iface_and_peers(st)
    own = sorted(k for k, v in st["peers"].items() if v == "bob")
    other = [k for k, v in st["peers"].items() if v != "bob"][0]
    is_error(b.req("GET", "/interface/all"), 403, "not enough permissions",
             name="bob's session on an admin route: 403")
    is_error(b.req("GET", "/audit/all"), 403, "not enough permissions",
             name="bob's session: audit is admin-only")
    r = b.req("GET", "/provisioning/data/user-info")
    got = sorted(p.get("Identifier") for p in (r.json() or {}).get("Peers") or [])
    T.ok(r.status == 200 and (r.json() or {}).get("UserIdentifier") == "bob" and got == own,
         "bob's session: user-info lists exactly his own peers", r)
    is_error(b.req("GET", "/peer/by-id/" + q(other)), 403, None,
             name="bob's session: another user's peer is refused")
    is_error(b.req("GET", "/provisioning/data/peer-config?PeerId=" + q(other)), 403,
             "no permission", name="bob's session: another user's peer config: 403")
    r = b.req("GET", "/provisioning/data/peer-config?PeerId=" + q(own[0]))
    T.ok(r.status == 200 and b"[Interface]" in r.body, "bob's session: own peer config", r)
    r = b.req("GET", "/provisioning/data/peer-qr?PeerId=" + q(own[0]))
    T.ok(r.status == 200 and r.body[:4] == b"\x89PNG", "bob's session: own peer QR code", r)
    is_error(b.req("GET", "/provisioning/data/user-info?UserId=" + q(ADMIN)), 403,
             "no permission", name="bob's session: another user's info: 403")
    is_error(b.req("GET", "/peer/by-user/" + q(ADMIN)), 403, None,
             name="bob's session: another user's peer list: 403")
    # api_admin_only limits the scripting API, not the UI (src/api/access.c): a session lists
    # and reads its own peers and user record; the token endpoint stays admin-only (test_tokens)
    r = b.req("GET", "/peer/by-user/bob")
    T.ok(r.status == 200 and sorted(p["Identifier"] for p in r.json() or []) == own,
         "bob's session under api_admin_only: own peer list", r)
    r = b.req("GET", "/peer/by-id/" + q(own[0]))
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == own[0],
         "bob's session under api_admin_only: own peer", r)
    r = b.req("GET", "/user/by-id/bob")
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "bob",
         "bob's session under api_admin_only: own user record", r)
    r = s.req("GET", "/peer/by-user/bob")
    T.ok(r.status == 200 and sorted(p["Identifier"] for p in r.json() or []) == own,
         "admin's session: bob's peers", r)


def test_settings(st):
    r = api("GET", "/ui/settings")
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("SiteTitle") == "UI Test Portal"
         and j.get("SiteCompanyName") == "ACME & Co" and j.get("BasePath") == ""
         and j.get("LoginForm") is True and isinstance(j.get("Version"), str) and j["Version"],
         "GET /ui/settings without auth: titles, version, base path, login form", j)
    is_error(api("GET", "/ui/settings/session"), 401, None,
             name="/ui/settings/session needs a login")
    r = st["bob"].req("GET", "/ui/settings/session")
    j = r.json() or {}
    bes = j.get("Backends") or []
    local = [b for b in bes if b.get("Identifier") == "local"]
    T.ok(r.status == 200 and j.get("SelfProvisioning") is False and j.get("ApiAdminOnly") is True
         and j.get("EditableKeys") is True and j.get("DefaultBackend") == "local" and local
         and isinstance(local[0].get("Capabilities"), list)
         and "create_interface" in local[0]["Capabilities"]
         and set(local[0]) == {"Identifier", "DisplayName", "Type", "Capabilities", "Reachable"},
         "GET /ui/settings/session (non-admin): switches and backends with capabilities", j)


def test_metrics_page(st):
    s, name = st["admin"], st["iface"]
    params = "?page=1&per_page=2&sort=DisplayName&order=desc"
    peers = s.req("GET", "/peer/by-interface/" + q(name) + params)
    r = s.req("GET", "/metrics/by-interface/" + q(name) + "/peers" + params)
    ids = [m.get("PeerIdentifier") for m in r.json() or []]
    T.ok(r.status == 200 and len(ids) == 2
         and ids == [p["Identifier"] for p in peers.json() or []]
         and r.header("X-Total-Count") == "3",
         "metrics page: exactly the peers of that page, same order, X-Total-Count", r)
    T.ok(all("BytesReceived" in m and "LastHandshake" in m for m in r.json() or []),
         "metrics page entries are PeerMetrics", r.body[:300])
    r = s.req("GET", "/metrics/by-interface/" + q(name) + "/peers?page=2&per_page=2")
    T.ok(r.status == 200 and len(r.json() or []) == 1, "metrics page 2: the last peer", r)
    is_error(s.req("GET", "/metrics/by-interface/nosuch/peers"), 404, None,
             name="metrics page of an unknown interface: 404")
    is_error(st["bob"].req("GET", "/metrics/by-interface/" + q(name) + "/peers"), 403,
             "not enough permissions", name="metrics page: admin only")
    r = s.req("GET", "/metrics/by-interface/" + q(name))
    T.ok(r.status in (200, 404), "the plain interface metrics route still answers", r)


def test_tokens(st):
    s, b = st["admin"], st["bob"]
    is_error(b.req("POST", "/user/by-id/bob/api-token"), 403,
             "only admins can access this endpoint\nno permission",
             name="api_admin_only: non-admin cannot create own token")
    is_error(s.req("POST", "/user/by-id/bob/api-token", csrf=False), 403,
             "CSRF token missing or invalid", name="token create without CSRF: 403")
    r = s.req("POST", "/user/by-id/bob/api-token")
    tok = (r.json() or {}).get("ApiToken", "")
    T.ok(r.status == 200 and len(tok) >= 32, "admin creates bob's API token: shown once", r)
    SECRETS.append(tok)
    r = api("GET", "/provisioning/data/user-info", auth=basic("bob", tok))
    T.ok(r.status == 200 and (r.json() or {}).get("UserIdentifier") == "bob",
         "the new token works for Basic auth", r)
    u = api("GET", "/user/by-id/bob", auth=ADMIN_AUTH).json() or {}
    T.ok(u.get("ApiEnabled") is True and "ApiToken" not in u, "GET user: ApiEnabled, no token", u)
    r = s.req("POST", "/user/by-id/bob/api-token")
    tok2 = (r.json() or {}).get("ApiToken", "")
    SECRETS.append(tok2)
    T.ok(r.status == 200 and tok2 != tok, "a second create replaces the token", r)
    is_error(api("GET", "/provisioning/data/user-info", auth=basic("bob", tok)), 401,
             "invalid credentials", name="the replaced token no longer works")
    T.eq(s.req("DELETE", "/user/by-id/bob/api-token").status, 204, "DELETE api-token: 204")
    is_error(api("GET", "/provisioning/data/user-info", auth=basic("bob", tok2)), 401,
             "invalid credentials", name="revoked token: 401")
    is_error(s.req("POST", "/user/by-id/nosuch/api-token"), 404, None,
             name="token for an unknown user: 404")
    r = s.req("PUT", "/user/by-id/bob/api-token")
    T.ok(r.status == 405 and set((r.header("Allow") or "").replace(" ", "").split(","))
         == {"POST", "DELETE"}, "PUT api-token: 405 Allow POST, DELETE", r)
    r = s.req("GET", "/user/by-id/bob")
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "bob",
         "the plain user route still works next to the suffix route", r)


def test_audit(st):
    s = st["admin"]
    r = s.req("GET", "/audit/all?page=1&per_page=500")
    entries = r.json() or []
    T.ok(r.status == 200 and isinstance(entries, list) and entries
         and int(r.header("X-Total-Count") or -1) == len(entries),
         "GET /audit/all: entries with X-Total-Count", r)
    T.ok(all(set(e) == {"Id", "CreatedAt", "User", "Severity", "Origin", "Message"}
             for e in entries), "audit entry fields", entries[:2])
    T.ok([e["Id"] for e in entries] == sorted((e["Id"] for e in entries), reverse=True),
         "audit: newest first")
    T.ok(any(e["User"] == ADMIN and e["Message"].startswith("logged in") for e in entries),
         "audit: the admin's login is recorded", entries[:5])
    T.ok(any(e["Message"].startswith("login failed") for e in entries),
         "audit: failed logins are recorded")
    T.ok(all(ADMIN_PW not in e["Message"] for e in entries), "audit: no passwords")
    # issue 13: the acting user, and display names (key prefixes only to tell twins apart)
    T.ok(any(e["Origin"] == "interface" and e["User"] == ADMIN
             and e["Message"].startswith(f"interface {st['iface']}")
             and e["Message"].endswith(" created") for e in entries),
         "audit: the interface save is recorded with the acting user", entries[:8])
    some_peer = next(iter(st["peers"]))
    T.ok(any(e["Origin"] == "peer" and e["User"] == ADMIN
             and e["Message"].startswith(f"peer 'peer of {st['peers'][some_peer]} ")
             and f"({some_peer[:8]}…) created on {st['iface']}" in e["Message"]
             and some_peer not in e["Message"] for e in entries),
         "audit: peer saves are recorded with the acting user and the display name",
         entries[:8])
    r = s.req("GET", "/audit/all?filter=failed")
    T.ok(r.status == 200 and r.json() and all("failed" in e["Message"] for e in r.json()),
         "audit filter", r)
    r = s.req("GET", "/audit/all?page=1&per_page=1")
    T.ok(r.status == 200 and len(r.json() or []) == 1 and r.header("X-Total-Count")
         == str(len(entries)), "audit paging: one entry, full total", r)


def test_logout(st):
    r, s = login("carol", CAROL_PW)
    T.ok(s is not None, "carol logs in")
    is_error(s.req("POST", "/auth/logout", csrf=False), 403, "CSRF token missing or invalid",
             name="logout without CSRF token: 403")
    T.eq(s.req("GET", "/auth/session").status, 200, "session still valid after refused logout")
    r = s.req("POST", "/auth/logout")
    name, value, attrs = parse_set_cookie(r.header("Set-Cookie"))
    T.ok(r.status == 204 and name == COOKIE and attrs.get("max-age") == "0" and value == "",
         "logout: 204, cookie cleared with Max-Age=0", r)
    is_error(s.req("GET", "/auth/session"), 401, "not logged in",
             name="after logout the old cookie is dead (server-side)")
    is_error(s.req("GET", "/provisioning/data/user-info"), 401, None,
             name="after logout the old cookie authenticates nothing")


def test_restart(st, d, cfg):
    s = st["admin"]
    T.ok(d.stop() == 0, "stop the daemon")
    T.ok(d.start(cfg, PORT), "start it again", d.log()[-2000:])
    r = s.req("GET", "/auth/session")
    T.ok(r.status == 200 and (r.json() or {}).get("CsrfToken") == s.csrf,
         "the session survives a daemon restart (same CSRF token)", r)
    T.eq(s.req("POST", "/user/new", {"Identifier": "ivan", "Password": BOB_PW}).status, 200,
         "and still writes with its CSRF token")


def test_rate_limit(st):
    # per account: carol, 5 failures
    for i in range(5):
        r = api("POST", "/auth/login", {"Username": "carol", "Password": f"wrong-{i}"})
        if r.status != 401:
            break
    T.eq(r.status, 401, "5 wrong passwords for carol: 401 each")
    r = api("POST", "/auth/login", {"Username": "carol", "Password": CAROL_PW})
    ra = r.header("Retry-After") or ""
    is_error(r, 429, None, prefix="too many login attempts, retry in ",
             name="6th attempt (right password): 429 per account")
    T.ok(ra.isdigit() and 0 < int(ra) <= 300 and r.msg == f"too many login attempts, retry in {ra} s",
         "429: Retry-After seconds match the message", (ra, r.msg))
    r, s = login("bob", BOB_PW)
    T.ok(s is not None, "another account from the same address still logs in", r)

    # per address: 20 failures from 127.0.0.2, each for a different account
    for i in range(20):
        r = api("POST", "/auth/login", {"Username": f"ghost{i}", "Password": "x"},
                source="127.0.0.2")
        if r.status != 401:
            break
    T.eq(r.status, 401, "20 failures from 127.0.0.2: 401 each")
    r = api("POST", "/auth/login", {"Username": ADMIN, "Password": ADMIN_PW}, source="127.0.0.2")
    is_error(r, 429, None, prefix="too many login attempts",
             name="then even the admin's right password from 127.0.0.2: 429 per address")
    T.ok((r.header("Retry-After") or "").isdigit(), "per-address 429 has Retry-After")
    r, s = login(ADMIN, ADMIN_PW, source="127.0.0.3")
    T.ok(s is not None, "the same account from another address logs in", r)


def test_base_path_instance(logdir):
    tmp = tempfile.mkdtemp(prefix="wgpw-ui-base-")
    d = Daemon(f"wgpw{TAG}", tmp, logdir, "base")
    root = os.path.join(tmp, "dist")
    os.makedirs(os.path.join(root, "assets"))
    js = b"export const x = 1;\n" * 200
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(b'<!doctype html><html><head><meta charset="utf-8">'
                b'<script type="module" src="./assets/app-0a1b2c.js"></script></head>'
                b'<body><div id="app"></div></body></html>')
    with open(os.path.join(root, "assets", "app-0a1b2c.js"), "wb") as f:
        f.write(js)
    with open(os.path.join(root, "assets", "app-0a1b2c.js.gz"), "wb") as f:
        f.write(gzip.compress(js))
    cfg = write_config(tmp, extra_web="  base_path: wg/\n  external_url: https://portal.example\n",
                       extra="  api_admin_only: false\n")
    with open(cfg) as f:
        text = f.read().replace(f"127.0.0.1:{PORT}", f"127.0.0.1:{PORT2}")
        text = text.replace(f"  session_identifier: {COOKIE}\n", "")
    with open(cfg, "w") as f:
        f.write(text)
    try:
        if not T.ok(d.start(cfg, PORT2, extra=("--web-root", root)),
                    "base-path instance with --web-root starts", d.log()[-2000:]):
            return
        r = call("GET", "/", port=PORT2)
        T.ok(r.status in (301, 302) and r.header("Location") == "/wg/", "/ redirects to /wg/", r)
        r = call("GET", "/wg", port=PORT2)
        T.ok(r.status == 301 and r.header("Location") == "/wg/", "/wg redirects to /wg/", r)
        r = call("GET", "/wg/", port=PORT2)
        body = r.body.decode(errors="replace")
        T.ok(r.status == 200 and '<base href="/wg/">' in body
             and 'content="/wg"' in body and 'id="app"' in body,
             "/wg/: index.html from --web-root with <base href=\"/wg/\">", body[:300])
        T.eq(r.header("Content-Security-Policy"), CSP, "base instance: CSP header")
        r = call("GET", "/wg/peers/some-id", port=PORT2)
        T.ok(r.status == 200 and '<base href="/wg/">' in r.body.decode(errors="replace"),
             "SPA route under base path: index.html", r)
        r = call("GET", "/wg/assets/app-0a1b2c.js", port=PORT2,
                 headers={"Accept-Encoding": "gzip, deflate"})
        T.ok(r.status == 200 and r.header("Content-Encoding") == "gzip"
             and gzip.decompress(r.body) == js
             and r.header("Cache-Control") == "public, max-age=31536000, immutable"
             and "Accept-Encoding" in (r.header("Vary") or ""),
             "hashed asset: gzip, immutable, Vary: Accept-Encoding", r.headers)
        r = call("GET", "/wg/assets/app-0a1b2c.js", port=PORT2)
        T.ok(r.status == 200 and r.body == js and r.header("Content-Encoding") is None
             and (r.header("Content-Type") or "").startswith("text/javascript"),
             "hashed asset without Accept-Encoding: identity, text/javascript", r.headers)
        r = call("GET", "/wg/assets/app-gone.js", port=PORT2)
        T.eq(r.status, 404, "missing hashed asset: 404, not index.html")
        T.eq(call("GET", "/other/", port=PORT2).status, 404, "path outside the base path: 404")
        T.eq(call("GET", "/api/v1/ui/settings", port=PORT2).status, 404,
             "API without base path: 404")
        r = api("GET", "/ui/settings", port=PORT2, base="/wg")
        T.eq((r.json() or {}).get("BasePath"), "/wg", "/wg/api/v1/ui/settings: BasePath /wg")

        r, s = login(ADMIN, ADMIN_PW, port=PORT2, base="/wg")
        T.ok(s is not None, "login under the base path", r)
        if not s:
            return
        name, _, attrs = parse_set_cookie(s.set_cookie)
        T.eq(name, "wgPortalSession", "default cookie name wgPortalSession")
        T.eq(attrs.get("path"), "/wg", "cookie Path = base path")
        T.ok("secure" in attrs, "cookie Secure behind an https external_url", s.set_cookie)
        r = s.req("POST", "/user/new", {"Identifier": "bob", "Password": BOB_PW}, port=PORT2,
                  base="/wg")
        T.eq(r.status, 200, "base instance: create bob through the session")
        _, b = login("bob", BOB_PW, port=PORT2, base="/wg")
        T.ok(b is not None, "bob logs in under the base path")
        if b:
            r = b.req("GET", "/peer/by-user/bob", port=PORT2, base="/wg")
            T.ok(r.status == 200 and r.json() == [],
                 "api_admin_only false: bob's session lists his (no) peers", r)
            is_error(b.req("GET", "/peer/by-user/" + q(ADMIN), port=PORT2, base="/wg"), 403,
                     "no permission", name="…but not the admin's")
            r = b.req("POST", "/user/by-id/bob/api-token", port=PORT2, base="/wg")
            T.ok(r.status == 200 and (r.json() or {}).get("ApiToken"),
                 "api_admin_only false: bob creates his own token", r)
            SECRETS.append((r.json() or {}).get("ApiToken", ""))
            is_error(b.req("POST", "/user/by-id/" + q(ADMIN) + "/api-token", port=PORT2,
                           base="/wg"), 403, "no permission",
                     name="…but not the admin's token")
    finally:
        check_daemon_end(d, "base-path instance")
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- main

def inner(ns):
    logdir = wgtest.LOGDIR
    os.makedirs(logdir, exist_ok=True)
    for f in os.listdir(logdir):
        if f.startswith("ui-daemon-"):
            os.unlink(os.path.join(logdir, f))
    tmp = tempfile.mkdtemp(prefix="wgpw-ui-")
    d = Daemon(ns, tmp, logdir, "main")
    st = {}
    cfg = write_config(tmp)
    sections = [("static", test_static), ("login", test_login), ("csrf", test_csrf),
                ("non-admin", test_non_admin), ("settings", test_settings),
                ("metrics page", test_metrics_page), ("tokens", test_tokens),
                ("logout", test_logout), ("restart", lambda s: test_restart(s, d, cfg)),
                ("rate limit", test_rate_limit), ("audit", test_audit)]
    try:
        if T.ok(d.start(cfg, PORT), "daemon starts and listens", d.log()[-3000:]):
            for label, fn in sections:
                try:
                    fn(st)
                except Exception as e:
                    T.ok(False, f"section '{label}' ran to completion", repr(e))
            if st.get("iface"):
                T.eq(api("DELETE", "/interface/by-id/" + q(st["iface"]), auth=ADMIN_AUTH).status,
                     204, "cleanup: delete the interface")
            T.ok(d.proc.poll() is None, "daemon still running after all requests")
    finally:
        check_daemon_end(d, "main instance")
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        test_base_path_instance(logdir)
    except Exception as e:
        T.ok(False, "section 'base path instance' ran to completion", repr(e))
    return T.done()


def outer():
    ns = f"wgpw{os.getpid()}"
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespace)")
        return 0
    rc = 1
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, WGPW_INNER_NS=ns, WGPW_TAG=str(os.getpid()))
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                             os.path.abspath(__file__)], env=env, timeout=900).returncode
    finally:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        prefix = f"wgw{os.getpid()}"
        try:
            for f in os.listdir("/var/run/wireguard"):
                if f.startswith(prefix):
                    os.unlink(os.path.join("/var/run/wireguard", f))
        except OSError:
            pass
    return rc


if __name__ == "__main__":
    if os.environ.get("WGPW_INNER_NS"):
        sys.exit(inner(os.environ["WGPW_INNER_NS"]))
    sys.exit(outer())
