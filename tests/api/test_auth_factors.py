#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Passkeys and the TOTP second factor over the REST API, with a software authenticator.

The authenticator here (python3-cryptography: P-256 and Ed25519 keys) builds real WebAuthn
responses: attestation objects in CBOR, clientDataJSON, assertion signatures. Checks:
passkey options (RP id = host of web.external_url, resident key and user verification
required, attestation none, ES256/EdDSA/RS256); registration (ES256 and EdDSA, names, default
name, wrong origin, stale or foreign challenge, a credential id registered twice); discoverable
sign-in with counters, a cloned authenticator (counter not growing), a foreign user handle, a
tampered signature, an unknown credential, a challenge used twice in parallel; rename/delete
only by the owner; passkey sign-in skips TOTP. TOTP: enrolment with a QR code that decodes to
the otpauth URI (zbarimg), confirmation, 409 for a second enrolment, the second step of a
password login, wrong codes, replay (also two parallel logins with one code), recovery codes
once, ticket reuse and expiry, the account limit, disabling with a code, the admin reset,
auth.totp.required_for_admins (enrolment at login). Output is TAP.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ldap_fixture  # noqa: E402  (free_port)
import wgtest  # noqa: E402
from signin import Authenticator, Session, b64u, totp, unb64u  # noqa: E402

T = wgtest.Tap()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Factors-Passw0rd-2026!"
ADMIN_TOKEN = "T0k3nFactorsAdm1nAbcdefghijklmnop"
USER_PW = "Us3r-Factors-Passw0rd-long!"


def write_config(tmp, port):
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""advanced:
  api_admin_only: false
{wgtest.database_yaml(tmp, '  encryption_passphrase: "a passphrase for the secrets at rest"' + chr(10))}web:
  listening_address: 127.0.0.1:{port}
  external_url: http://localhost:{port}
  site_title: Factor Portal
auth:
  webauthn:
    enabled: true
  totp:
    required_for_admins: true
""")


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpa-factors-")
    port = ldap_fixture.free_port()
    origin = f"http://localhost:{port}"
    admin = wgtest.Client(port, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    d = wgtest.Daemon(tmp, "auth-factors")
    d.truncate_log()
    try:
        if not T.ok(d.start(write_config(tmp, port), port, timeout=30), "daemon starts",
                    d.log()[-2000:]):
            return T.done()
        for u in ("carol", "dave", "erin"):
            r = admin.api("POST", "/user/new", {"Identifier": u, "Password": USER_PW,
                                                "Email": f"{u}@example.org"})
            T.eq(r.status, 200, f"user {u} created")
        st = {}
        T.section("totp enrolment", lambda: totp_enrol(port, st))
        T.section("totp login", lambda: totp_login(port, st))
        T.section("totp admin", lambda: totp_admin(port, admin))
        T.section("passkey registration", lambda: passkey_register(port, origin, st))
        T.section("passkey login", lambda: passkey_login(port, origin, st))
        T.section("passkey management", lambda: passkey_manage(port, origin, st))
        T.section("totp disable", lambda: totp_disable(port, st))
        T.section("totp limit", lambda: totp_limit(port))
        d.check_end(T, "factors daemon", [ADMIN_PW, ADMIN_TOKEN, USER_PW])
    finally:
        if d.running():
            d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


def login(port, user, pw=USER_PW):
    s = Session(port)
    r = s.api("POST", "/auth/login", {"Username": user, "Password": pw})
    return s, r


def totp_enrol(port, st):
    s, r = login(port, "carol")
    T.ok(r.status == 200 and (r.json() or {}).get("User"), "no TOTP yet: the password alone signs in")
    T.eq(s.api("GET", "/auth/totp").json(),
         {"Enabled": False, "Pending": False, "RecoveryCodesLeft": 0, "Required": False},
         "GET /auth/totp: off")
    r = s.api("POST", "/auth/totp/setup", {})
    j = r.json() or {}
    T.ok(r.status == 200 and len(j.get("Secret", "")) == 32 and
         j.get("Uri", "").startswith("otpauth://totp/Factor%20Portal:carol?secret=" + j["Secret"]),
         "setup: a 160-bit base32 secret and its otpauth URI", j)
    png = base64.b64decode(j.get("QrCode", "").split(",", 1)[-1] or b"")
    qr = subprocess.run(["zbarimg", "--raw", "-q", "-"], input=png, capture_output=True)
    T.eq(qr.stdout.decode().strip(), j.get("Uri"), "the QR code (PNG) decodes to the URI")
    r = s.api("POST", "/auth/totp/confirm", {"Code": "000000" if totp(j["Secret"]) != "000000"
                                             else "111111"})
    T.eq(r.status, 400, "confirm with a wrong code: 400")
    T.eq(s.api("GET", "/auth/totp").json().get("Pending"), True, "enrolment pending")
    r = s.api("POST", "/auth/totp/confirm", {"Code": totp(j["Secret"])})
    codes = (r.json() or {}).get("RecoveryCodes") or []
    T.ok(r.status == 200 and len(codes) == 10 and all(len(c) == 19 for c in codes),
         "confirm: ten recovery codes, shown once", r)
    T.eq(s.api("POST", "/auth/totp/setup", {}).status, 409,
         "a second enrolment while TOTP is on: 409")
    T.eq(s.api("GET", "/auth/totp").json().get("RecoveryCodesLeft"), 10, "state: on, 10 codes")
    r = wgtest.Client(port).api("POST", "/auth/totp/setup", {}, auth=None)
    T.eq(r.status, 403, "setup without an Origin: 403 (login CSRF check)")
    r = Session(port).api("POST", "/auth/totp/setup", {})
    T.eq(r.status, 401, "setup without a session or ticket: 401")
    st["secret"], st["codes"] = j["Secret"], codes


def second_step(port, user, code):
    s, r = login(port, user)
    j = r.json() or {}
    if j.get("SecondFactor") != "totp":
        return s, r, None
    return s, s.api("POST", "/auth/login/totp", {"Ticket": j["Ticket"], "Code": code}), j["Ticket"]


def totp_login(port, st):
    s, r = login(port, "carol")
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("SecondFactor") == "totp" and j.get("Ticket") and
         "User" not in j, "password of a TOTP user: no session yet, a ticket", j)
    T.eq(s.api("GET", "/auth/session").status, 401, "the ticket is not a session")
    r = s.api("POST", "/auth/login/totp", {"Ticket": j["Ticket"], "Code": "12345"})
    T.eq(r.status, 401, "a malformed code: 401")
    # the confirmation used the current time step; the next one is the last unused one in
    # the window: two logins racing with it, exactly one wins
    code = totp(st["secret"], step=1)
    tickets = []
    for _ in range(2):
        _, r = login(port, "carol")
        tickets.append(r.json()["Ticket"])
    res = []
    ths = [threading.Thread(target=lambda t=t: res.append(
        Session(port).api("POST", "/auth/login/totp", {"Ticket": t, "Code": code}).status))
        for t in tickets]
    [t.start() for t in ths]
    [t.join() for t in ths]
    T.eq(sorted(res), [200, 401], "two parallel logins with one code: one 200, one 401")
    r = s.api("POST", "/auth/login/totp", {"Ticket": j["Ticket"], "Code": code})
    T.ok(r.status == 401 and "used already" in (r.msg or ""),
         "the same code again (replay): 401 'used already'", r)
    s3, r3, t3 = second_step(port, "carol", st["codes"][0].lower().replace("-", " "))
    T.eq(r3.status, 200, "a recovery code (any case, spaces) instead of the code")
    T.eq(s3.api("GET", "/auth/session").status, 200, "ticket + code: a session")
    r = s3.api("POST", "/auth/login/totp", {"Ticket": t3, "Code": st["codes"][1]})
    T.eq(r.status, 401, "a ticket is single-use")
    s4, r4, _ = second_step(port, "carol", st["codes"][0])
    T.eq(r4.status, 401, "a recovery code works once")
    r = Session(port).api("POST", "/auth/login/totp", {"Ticket": "x" * 43, "Code": code})
    T.eq(r.status, 401, "a made-up ticket: 401")


def carol(port, st, i):
    """carol's session, through her i-th recovery code."""
    s, r, _ = second_step(port, "carol", st["codes"][i])
    T.eq(r.status, 200, f"carol signs in with recovery code {i}")
    return s


def totp_limit(port):
    """Last: wrong codes count towards the account's login limit (dave, TOTP set up again)."""
    d, _ = login(port, "dave")
    sec = d.api("POST", "/auth/totp/setup", {}).json().get("Secret")
    d.api("POST", "/auth/totp/confirm", {"Code": totp(sec)})
    wrong = "999999" if totp(sec, step=1) != "999999" else "888888"
    statuses = []
    for _ in range(6):
        _, r, _ = second_step(port, "dave", wrong)
        statuses.append(r.status)
    T.ok(statuses[:5] == [401] * 5 and statuses[5] == 429,
         "five wrong codes, then the account's login limit (429)", statuses)


def totp_admin(port, admin):
    s, r = login(port, ADMIN, ADMIN_PW)
    j = r.json() or {}
    T.ok(j.get("SecondFactor") == "totp-enrol", "required_for_admins: an admin without TOTP "
         "must enrol at login", j)
    r = s.api("POST", "/auth/totp/setup", {"Ticket": j["Ticket"]})
    sec = (r.json() or {}).get("Secret")
    T.ok(r.status == 200 and sec, "the login ticket authorises the enrolment")
    r = s.api("POST", "/auth/login/totp", {"Ticket": j["Ticket"], "Code": totp(sec)})
    k = r.json() or {}
    T.ok(r.status == 200 and k.get("User", {}).get("IsAdmin") and len(k.get("RecoveryCodes", []))
         == 10, "the code confirms the enrolment and opens the session (recovery codes once)", k)
    # an admin resets a user who lost the device
    d, r = login(port, "dave")
    d.api("POST", "/auth/totp/setup", {})
    sec = d.api("POST", "/auth/totp/setup", {}).json().get("Secret")
    d.api("POST", "/auth/totp/confirm", {"Code": totp(sec)})
    _, r = login(port, "dave")
    T.eq((r.json() or {}).get("SecondFactor"), "totp", "dave has TOTP")
    T.eq(admin.api("DELETE", "/user/by-id/dave/totp").status, 204, "admin reset: 204")
    _, r = login(port, "dave")
    T.ok(r.status == 200 and (r.json() or {}).get("User"), "after the reset dave signs in "
         "with the password alone", r)
    T.eq(wgtest.Client(port, auth=None).api("DELETE", "/user/by-id/dave/totp", auth=None).status,
         401, "the reset needs an admin")


def passkey_register(port, origin, st):
    s, _ = login(port, "erin")
    r = s.api("POST", "/auth/webauthn/register/start")
    o = (r.json() or {}).get("publicKey") or {}
    T.ok(r.status == 200 and o.get("rp") == {"id": "localhost", "name": "Factor Portal"} and
         [p["alg"] for p in o.get("pubKeyCredParams", [])] == [-7, -8, -257] and
         o.get("authenticatorSelection", {}).get("residentKey") == "required" and
         o.get("authenticatorSelection", {}).get("userVerification") == "required" and
         o.get("attestation") == "none" and
         re.fullmatch(rb"[0-9a-f]{64}", unb64u(o["user"]["id"])) is not None,
         "options: RP id = host of external_url, RP name = site_title, ES256/EdDSA/RS256, "
         "resident key and user verification required, the user handle in wg-portal's form "
         "(64 hex digits)", o)
    a = Authenticator("es256")
    bad = a.create(r.json(), "http://evil.example")
    hdrs = {"Cookie": s.cookie, "X-CSRF-Token": s.csrf, "Origin": s.origin}
    r = s.c.api("POST", "/auth/webauthn/register/finish?credential_name=Laptop", bad, auth=None,
                headers=hdrs)
    T.ok(r.status == 400 and "origin" in (r.msg or ""), "another origin: 400 naming it", r)
    r = s.c.api("POST", "/auth/webauthn/register/finish", a.create({"publicKey": o}, origin),
                auth=None, headers=hdrs)
    T.eq(r.status, 400, "the challenge was used up by the refused attempt: 400")
    opts = s.api("POST", "/auth/webauthn/register/start").json()
    r = s.c.api("POST", "/auth/webauthn/register/finish?credential_name=Laptop",
                a.create(opts, origin), auth=None, headers=hdrs)
    lst = r.json() or []
    T.ok(r.status == 200 and [k["Name"] for k in lst] == ["Laptop"] and
         lst[0]["ID"] == b64u(a.cred_id), "ES256 passkey registered with its name", r)
    b = Authenticator("eddsa")
    opts = s.api("POST", "/auth/webauthn/register/start").json()
    T.eq([c["id"] for c in opts["publicKey"]["excludeCredentials"]], [b64u(a.cred_id)],
         "excludeCredentials lists the user's passkeys")
    r = s.api("POST", "/auth/webauthn/register/finish", b.create(opts, origin))
    T.eq([k["Name"] for k in (r.json() or [])], ["Laptop", "Passkey 2"],
         "EdDSA passkey, default name 'Passkey 2'")
    c = carol(port, st, 1)   # carol has TOTP; her passkey must skip it
    copts = c.api("POST", "/auth/webauthn/register/start").json()
    erin_handle = a.handle
    r = c.api("POST", "/auth/webauthn/register/finish", a.create(copts, origin))
    a.handle = erin_handle
    T.eq(r.status, 409, "the same credential for another user: 409")
    cp = Authenticator("es256")
    copts = c.api("POST", "/auth/webauthn/register/start").json()
    T.eq(c.api("POST", "/auth/webauthn/register/finish", cp.create(copts, origin)).status, 200,
         "carol registers her own")
    st.update(erin_a=a, erin_b=b, carol_key=cp, erin=s)


def passkey_login(port, origin, st):
    a, b, cp = st["erin_a"], st["erin_b"], st["carol_key"]
    anon = Session(port)
    opts = anon.api("POST", "/auth/webauthn/login/start").json()
    T.ok(opts["publicKey"]["rpId"] == "localhost" and opts["publicKey"]["allowCredentials"] == []
         and opts["publicKey"]["userVerification"] == "required",
         "login options: discoverable (no allowCredentials), user verification required")
    r = anon.api("POST", "/auth/webauthn/login/finish", a.get(opts, origin))
    T.ok(r.status == 200 and r.json()["User"]["Identifier"] == "erin",
         "ES256 passkey signs erin in", r)
    T.eq(anon.api("GET", "/auth/session").status, 200, "a server-side session")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    r = Session(port).api("POST", "/auth/webauthn/login/finish", b.get(opts, origin))
    T.eq(r.status, 200, "EdDSA passkey signs in")
    # a clone: the counter does not grow
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    r = Session(port).api("POST", "/auth/webauthn/login/finish", a.get(opts, origin, bump=0))
    T.ok(r.status == 401 and "cloned" in (r.msg or ""), "counter not growing: refused (clone)", r)
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    r = Session(port).api("POST", "/auth/webauthn/login/finish",
                          a.get(opts, origin, handle=b64u(os.urandom(32))))
    T.eq(r.status, 401, "a user handle of someone else: 401")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    resp = a.get(opts, origin)
    sig = bytearray(unb64u(resp["response"]["signature"]))
    sig[-3] ^= 1
    resp["response"]["signature"] = b64u(bytes(sig))
    T.eq(Session(port).api("POST", "/auth/webauthn/login/finish", resp).status, 401,
         "a tampered signature: 401")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    T.eq(Session(port).api("POST", "/auth/webauthn/login/finish",
                           Authenticator().get(opts, origin)).status, 401,
         "an unknown credential: 401")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    T.eq(Session(port).api("POST", "/auth/webauthn/login/finish",
                           a.get(opts, "http://evil.example")).status, 401,
         "an assertion from another origin: 401")
    # one challenge, two assertions in parallel: one wins
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    r1, r2 = a.get(opts, origin), a.get(opts, origin)
    res = []
    ths = [threading.Thread(target=lambda x=x: res.append(
        Session(port).api("POST", "/auth/webauthn/login/finish", x).status)) for x in (r1, r2)]
    [t.start() for t in ths]
    [t.join() for t in ths]
    T.eq(sorted(res), [200, 401], "one challenge used twice in parallel: one 200, one 401")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    r = Session(port).api("POST", "/auth/webauthn/login/finish", cp.get(opts, origin))
    T.ok(r.status == 200 and "SecondFactor" not in (r.json() or {}),
         "carol (TOTP on) signs in with her passkey without a code", r)
    r = Session(port).api("POST", "/auth/webauthn/login/finish", {"id": "x"})
    T.eq(r.status, 400, "a malformed assertion: 400")


def passkey_manage(port, origin, st):
    s, a = st["erin"], st["erin_a"]
    c = carol(port, st, 2)
    cid = b64u(a.cred_id)
    T.eq(c.api("PUT", "/auth/webauthn/credential/" + cid, {"Name": "mine"}).status, 404,
         "another user cannot rename erin's passkey")
    T.eq(c.api("DELETE", "/auth/webauthn/credential/" + cid).status, 404,
         "nor delete it")
    r = s.api("PUT", "/auth/webauthn/credential/" + cid, {"Name": "  Work\u200b laptop \n"})
    T.eq([k["Name"] for k in (r.json() or [])][0], "Work laptop", "rename (name cleaned)")
    T.ok((r.json() or [])[0]["LastUsedAt"], "the list shows the last use")
    r = s.api("DELETE", "/auth/webauthn/credential/" + cid)
    T.eq([k["Name"] for k in (r.json() or [])], ["Passkey 2"], "delete")
    opts = Session(port).api("POST", "/auth/webauthn/login/start").json()
    T.eq(Session(port).api("POST", "/auth/webauthn/login/finish", a.get(opts, origin)).status,
         401, "a deleted passkey no longer signs in")


def totp_disable(port, st):
    s = carol(port, st, 3)
    T.eq(s.api("DELETE", "/auth/totp", {"Code": "000000"}).status, 400,
         "disable with a wrong code: 400")
    T.eq(s.api("DELETE", "/auth/totp", {"Code": st["codes"][4]}).status, 204,
         "disable with a recovery code: 204")
    T.eq(s.api("GET", "/auth/totp").json().get("Enabled"), False, "TOTP is off")
    _, r = login(port, "carol")
    T.ok(r.status == 200 and (r.json() or {}).get("User"), "carol: the password alone again", r)


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpf", main, timeout=600))
