#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Attacks on authentication, sent by a real client over sockets to the real daemon
(issue 12, items 1, 3, 4, 7 and 8; docs/http-hardening.md):

  1. login throttling under 60 parallel attempts (per account and per address);
  3. a password change or reset ends the user's other sessions, and nothing else;
  4. log forging with control characters in a login name;
  7. API tokens guessed in parallel over Basic auth; tokens shorter than 18 characters;
  8. login CSRF: a JSON body and a same-origin (or web.external_url) Origin/Referer.

The daemon listens on every address (dual stack) in a private network namespace "wgph<pid>";
each section sends from its own loopback source address (127.0.0.x, ::1) so the per-address
throttles of one section do not leak into the next. Output is TAP; WGPORTAL_BIN selects the
binary (run-all also passes the ASan+UBSan build).
"""
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import Resp, basic, parallel, prepared_request  # noqa: E402

PORT = 18931
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Hard3ning-Passw0rd!"
ADMIN_TOKEN = "T0k3nHardAdm1nAbcdefghijklmnopq"
BOB_PW = "B0b-Hard3ning-Passw0rd-long"
BOB_TOKEN = "bob-hardening-token-0123456789"
CAROL_PW = "Car0l-Hard3ning-Passw0rd-long"
EXTERNAL = "https://portal.example.com"
ORIGIN = f"http://127.0.0.1:{PORT}"
SECRETS = [ADMIN_PW, ADMIN_TOKEN, BOB_PW, BOB_TOKEN, CAROL_PW]

T = wgtest.Tap()
ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)


def call(method, path, body=None, auth=None, headers=None, source=None, host="127.0.0.1",
         raw=None):
    return wgtest.Client(PORT, host=host, source=source).call(method, path, body, auth=auth,
                                                              headers=headers, raw=raw)


def api(method, path, body=None, **kw):
    return call(method, "/api/v1" + path, body, **kw)


def login(user, pw, source=None, headers=None, host="127.0.0.1"):
    """A browser's login: JSON body, same-origin Origin. Returns (Resp, cookie header or None,
    csrf token)."""
    h = {"Origin": ORIGIN if host == "127.0.0.1" else f"http://[::1]:{PORT}"}
    h.update(headers or {})
    r = api("POST", "/auth/login", {"Username": user, "Password": pw}, headers=h, source=source,
            host=host)
    sc = r.header("Set-Cookie")
    if r.status != 200 or not sc:
        return r, None, None
    cookie = sc.split(";")[0]
    csrf = (r.json() or {}).get("CsrfToken", "")
    SECRETS.extend([cookie.split("=", 1)[1], csrf])
    return r, cookie, csrf


def session_ok(cookie):
    return api("GET", "/auth/session", headers={"Cookie": cookie}).status == 200


def is_error(r, status, name, field=None, prefix=None):
    j = r.json()
    good = r.status == status and isinstance(j, dict) and j.get("Code") == status
    if field is not None:
        good = good and j.get("Field") == field
    if prefix is not None:
        good = good and (j.get("Message") or "").startswith(prefix)
    return T.ok(good, name, f"status {r.status}, body {r.body[:300]!r}")


def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(wgtest.config_core(ADMIN, ADMIN_PW, ADMIN_TOKEN) + f"""advanced:
  start_cidr_v4: 10.217.0.0/24
  use_ip_v6: false
database:
  dsn: {tmp}/db/wgportal.sqlite
web:
  listening_address: ":{PORT}"
  external_url: {EXTERNAL}
  request_logging: true
""")
    return path


LOGIN_PATH = "/api/v1/auth/login"


def login_req(user, pw, source, origin=ORIGIN):
    body = json.dumps({"Username": user, "Password": pw}).encode()
    return prepared_request(PORT, "POST", LOGIN_PATH,
                            {"Content-Type": "application/json", "Origin": origin}, body,
                            source=source, timeout=120)


def statuses(results):
    """Status per attempt; "refused" for a connection closed unanswered (beyond the per-address
    connection limit of 32, checked in test_http_hardening.py)."""
    return [r.status if isinstance(r, Resp) else "refused" for r in results]


def summary(s):
    return {k: s.count(k) for k in sorted(set(s), key=str)}


# ---------------------------------------------------------------- 1. login throttling

def test_login_parallel(st):
    res = parallel([login_req("erin", f"wrong-password-{i}", "127.0.0.11") for i in range(60)])
    s = statuses(res)
    T.ok(s.count(401) == 5 and s.count(429) + s.count("refused") == 55 and s.count(429) >= 20,
         "60 parallel wrong logins for one account: exactly 5 checked (401), every other one "
         "429 (or not even connected)", summary(s))
    T.ok(all(r.header("Retry-After", ) for r in res if isinstance(r, Resp) and r.status == 429),
         "every 429 carries Retry-After")
    r, cookie, _ = login("erin", CAROL_PW, source="127.0.0.12")
    is_error(r, 429, "then the right password (another address): 429, the account is throttled",
             prefix="too many login attempts")
    T.ok(cookie is None, "…and no session cookie")

    # a burst where one attempt carries the right password gets no session beyond the limit
    mixed = [login_req("carol", CAROL_PW if i == 30 else f"wrong-{i}", "127.0.0.13")
             for i in range(60)]
    s = statuses(parallel(mixed))
    T.ok(s.count(401) + s.count(200) <= 6 and s.count(429) + s.count("refused") >= 54,
         "60 parallel logins for carol (right password at #30): at most the limit is checked",
         summary(s))

    # per address: 60 parallel attempts for 60 different accounts from one address
    res = parallel([login_req(f"nobody{i}@example.com", "whatever-password", "127.0.0.14")
                    for i in range(60)])
    s = statuses(res)
    T.ok(s.count(401) == 20 and s.count(429) + s.count("refused") == 40 and s.count(429) > 0,
         "60 parallel logins (60 accounts) from one address: 20 checked, the rest 429",
         summary(s))
    r, cookie, _ = login(ADMIN, ADMIN_PW, source="127.0.0.14")
    is_error(r, 429, "the throttled address cannot log in even with the right password")
    r, cookie, _ = login(ADMIN, ADMIN_PW, source="127.0.0.15")
    T.ok(r.status == 200 and cookie, "another address logs in as admin", r)


# ---------------------------------------------------------------- 3. sessions and passwords

def put_password(user, pw, auth=None, cookie=None, csrf=None):
    h = {}
    if cookie:
        h = {"Cookie": cookie, "X-CSRF-Token": csrf}
    u = api("GET", "/user/by-id/" + user, auth=ADMIN_AUTH).json() or {}
    if pw is not None:
        u["Password"] = pw
    return api("PUT", "/user/by-id/" + user, u, auth=auth, headers=h)


def test_sessions_end(st):
    src = "127.0.0.31"
    _, b1, _ = login("bob", BOB_PW, source=src)
    _, b2, _ = login("bob", BOB_PW, source=src)
    _, c1, _ = login("dave", CAROL_PW, source=src)
    _, a1, a1csrf = login(ADMIN, ADMIN_PW, source=src)
    _, a2, _ = login(ADMIN, ADMIN_PW, source=src)
    if not T.ok(all((b1, b2, c1, a1, a2)), "setup: two sessions of bob, one of dave, two of "
                "the admin"):
        return
    r = put_password("dave", None, auth=ADMIN_AUTH)
    T.eq(r.status, 200, "admin updates dave without a password")
    T.ok(session_ok(c1), "an update without a password keeps dave's session")

    new_pw = "B0b-New-Passw0rd-after-reset"
    SECRETS.append(new_pw)
    r = put_password("bob", new_pw, auth=ADMIN_AUTH)
    T.eq(r.status, 200, "admin (Basic auth) sets a new password for bob")
    T.ok(not session_ok(b1) and not session_ok(b2), "both of bob's sessions ended")
    T.ok(session_ok(c1), "dave's session is untouched")
    T.ok(session_ok(a1) and session_ok(a2), "the admin's sessions are untouched")
    r = api("GET", "/user/by-id/bob", auth=basic("bob", BOB_TOKEN))
    T.ok(r.status in (200, 403), "bob's API token still authenticates (no 401)", r)
    _, b3, _ = login("bob", new_pw, source=src)
    T.ok(b3 is not None, "bob logs in with the new password")
    r, _, _ = login("bob", BOB_PW, source="127.0.0.32")
    T.eq(r.status, 401, "the old password is refused")

    # the admin changes their own password through a session: the other session ends, this one
    # stays (the browser that made the change keeps working)
    adm_pw = "Adm1n-Changed-Passw0rd-2026"
    SECRETS.append(adm_pw)
    r = put_password(ADMIN, adm_pw, cookie=a1, csrf=a1csrf)
    T.eq(r.status, 200, "the admin sets a new own password through session 1")
    T.ok(session_ok(a1), "session 1 (the one that made the change) continues")
    T.ok(not session_ok(a2), "session 2 ended")
    T.ok(session_ok(b3), "bob's new session is untouched")
    r = api("GET", "/user/all", auth=ADMIN_AUTH)
    T.eq(r.status, 200, "the admin's API token still works")


# ---------------------------------------------------------------- 4. log forging

def test_log_forging(st, d):
    forged = "x\nFAKE info  auth: 'admin' logged in"
    r = api("POST", "/auth/login", {"Username": forged, "Password": "wrong-password"},
            headers={"Origin": ORIGIN}, source="127.0.0.41")
    T.eq(r.status, 401, "login with a line break in Username: 401")
    r = api("POST", "/auth/login", {"Username": "esc\x1b[31mred\rCR\x7f", "Password": "x"},
            headers={"Origin": ORIGIN}, source="127.0.0.41")
    T.eq(r.status, 401, "login with ESC, CR and DEL in Username: 401")
    r = call("GET", "/api/v1/user/by-id/%0aFAKE%1b", auth=basic("x\ny", "z"),
             source="127.0.0.41")
    T.eq(r.status, 401, "Basic auth with a line break in the user id: 401")
    wgtest.wait_for(lambda: "esc" in d.log(), 5)
    log = d.log()
    lines = log.splitlines()
    T.ok(not any(ln.startswith("FAKE") for ln in lines),
         "no forged line starting with FAKE in the daemon log",
         "\n".join(ln for ln in lines if ln.startswith("FAKE")))
    T.ok("x\\nFAKE info" in log, "the name is logged escaped (x\\nFAKE …)",
         "\n".join(ln for ln in lines if "FAKE" in ln)[:500])
    T.ok("\x1b" not in log and "\r" not in log and "\x7f" not in log,
         "no ESC, CR or DEL byte reaches the log")
    T.ok("esc\\x1b[31mred\\rCR\\x7f" in log, "ESC, CR and DEL are shown as escapes",
         "\n".join(ln for ln in lines if "esc" in ln)[:500])


# ---------------------------------------------------------------- 7. API tokens

def test_basic_parallel(st):
    fns = [prepared_request(PORT, "GET", "/api/v1/user/all",
                            {"Authorization": basic(ADMIN, f"wrong-token-{i:04d}-abcdefgh")},
                            source="127.0.0.51") for i in range(60)]
    res = parallel(fns)
    s = statuses(res)
    T.ok(s.count(401) == 20 and s.count(429) + s.count("refused") == 40 and s.count(429) > 0,
         "60 parallel wrong API tokens from one address: 20 checked (401), the rest 429",
         summary(s))
    r429 = [r for r in res if isinstance(r, Resp) and r.status == 429]
    T.ok(r429 and all((r.header("Retry-After") or "").isdigit() for r in r429)
         and all((r.json() or {}).get("Code") == 429 for r in r429),
         "each 429 is the JSON error model with Retry-After", r429[:1])
    r = api("GET", "/user/all", auth=ADMIN_AUTH, source="127.0.0.51")
    is_error(r, 429, "the right token from the throttled address: 429")
    r = api("GET", "/user/all", auth=ADMIN_AUTH, source="127.0.0.52")
    T.eq(r.status, 200, "the right token from another address: 200")
    # successes do not count: 30 good requests from one address stay 200
    s = statuses(parallel([prepared_request(PORT, "GET", "/api/v1/user/all",
                                            {"Authorization": ADMIN_AUTH}, source="127.0.0.53")
                           for _ in range(30)]))
    T.eq(s.count(200), 30, "30 parallel requests with the right token: all 200")


def test_token_length(st):
    def new_user(ident, token):
        return api("POST", "/user/new", {"Identifier": ident, "Password": CAROL_PW,
                                         "ApiToken": token}, auth=ADMIN_AUTH)
    is_error(new_user("tok1", "a"), 400, '"ApiToken":"a" on create: 400 naming ApiToken',
             field="ApiToken")
    is_error(new_user("tok2", "x" * 17), 400, "17-character token: 400", field="ApiToken")
    T.eq(api("GET", "/user/by-id/tok1", auth=ADMIN_AUTH).status, 404,
         "the refused create stored nothing")
    r = new_user("tok3", "y" * 18)
    T.eq(r.status, 200, "18-character token: accepted")
    SECRETS.append("y" * 18)
    u = api("GET", "/user/by-id/tok3", auth=ADMIN_AUTH).json() or {}
    u["ApiToken"] = "short"
    is_error(api("PUT", "/user/by-id/tok3", u, auth=ADMIN_AUTH), 400,
             "PUT with a 5-character token: 400", field="ApiToken")
    T.eq(api("GET", "/user/all", auth=basic("tok3", "y" * 18)).status, 403,
         "the stored token is unchanged (authenticates, non-admin 403)")
    u["ApiToken"] = ""
    T.eq(api("PUT", "/user/by-id/tok3", u, auth=ADMIN_AUTH).status, 200,
         "PUT with \"\" still removes the token")


# ---------------------------------------------------------------- 8. login CSRF

def test_login_csrf(st):
    src = "127.0.0.61"
    body = json.dumps({"Username": ADMIN, "Password": st["admin_pw"]}).encode()

    def attempt(headers):
        return call("POST", LOGIN_PATH, raw=body, headers=headers, source=src)
    r = attempt({"Content-Type": "text/plain", "Origin": "https://evil.example"})
    T.ok(r.status in (403, 415) and not r.header("Set-Cookie"),
         "text/plain login from https://evil.example: refused, no cookie", r)
    r = attempt({"Content-Type": "text/plain", "Origin": ORIGIN})
    is_error(r, 415, "text/plain login, same origin: 415 naming Content-Type",
             field="Content-Type")
    T.ok(not r.header("Set-Cookie"), "…no cookie")
    r = attempt({"Content-Type": "application/json", "Origin": "https://evil.example"})
    is_error(r, 403, "JSON login from https://evil.example: 403 naming Origin", field="Origin")
    T.ok(not r.header("Set-Cookie"), "…no cookie")
    r = attempt({"Content-Type": "application/json", "Origin": "null"})
    is_error(r, 403, "JSON login with Origin: null: 403")
    r = attempt({"Content-Type": "application/json"})
    is_error(r, 403, "JSON login without Origin or Referer: 403")
    r = attempt({"Content-Type": "application/json", "Referer": "https://evil.example/x"})
    is_error(r, 403, "JSON login with a foreign Referer: 403", field="Referer")
    r = attempt({"Content-Type": "application/json",
                 "Origin": f"http://127.0.0.1:{PORT}.evil.example"})
    is_error(r, 403, "Origin that only starts with ours: 403")
    r = attempt({"Content-Type": "application/json; charset=utf-8", "Origin": ORIGIN})
    T.ok(r.status == 200 and r.header("Set-Cookie"), "JSON login, same Origin: 200", r)
    r = attempt({"Content-Type": "application/json", "Referer": ORIGIN + "/#/login"})
    T.ok(r.status == 200 and r.header("Set-Cookie"), "JSON login, same-origin Referer: 200", r)
    r = attempt({"Content-Type": "application/json", "Origin": EXTERNAL})
    T.ok(r.status == 200 and r.header("Set-Cookie"), "Origin = web.external_url: 200", r)
    r = call("POST", LOGIN_PATH, raw=body, host="::1", source="::1",
             headers={"Content-Type": "application/json", "Origin": f"http://[::1]:{PORT}"})
    T.ok(r.status == 200 and r.header("Set-Cookie"), "IPv6 client, same Origin: 200", r)


# ---------------------------------------------------------------- main

def setup_users(st):
    for ident, pw, tok in (("bob", BOB_PW, BOB_TOKEN), ("carol", CAROL_PW, None),
                           ("dave", CAROL_PW, None), ("erin", CAROL_PW, None)):
        body = {"Identifier": ident, "Password": pw}
        if tok:
            body["ApiToken"] = tok
        r = api("POST", "/user/new", body, auth=ADMIN_AUTH)
        T.eq(r.status, 200, f"setup: create {ident}")
    st["admin_pw"] = ADMIN_PW


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgph-")
    d = wgtest.Daemon(tmp, "auth-hardening", ns=None)
    d.truncate_log()
    st = {}
    try:
        if not T.ok(d.start(write_config(tmp), PORT), "daemon starts", d.log()[-2000:]):
            return T.done()
        T.section("setup", setup_users, st)
        T.section("1 login throttling, parallel", test_login_parallel, st)
        T.section("7 API tokens, parallel", test_basic_parallel, st)
        T.section("7 token length", test_token_length, st)
        T.section("8 login CSRF", test_login_csrf, st)
        T.section("4 log forging", test_log_forging, st, d)
        T.section("3 sessions end on password change", test_sessions_end, st)
        T.ok(d.running(), "daemon still running")
    finally:
        d.check_end(T, "auth hardening", SECRETS)
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgph", inner, timeout=900))
