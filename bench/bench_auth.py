#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sign-in time per method, as ratios against the local password sign-in of the same run.

Starts a real slapd (tests/lib/ldap_fixture.py), npm oidc-provider on 127.0.0.2
(tests/idp/idp.mjs) and wgportal in a private network namespace, then signs in N times with
each method over HTTP, from the first request to the session cookie:
  password       local account, argon2id (the reference)
  ldap           search + bind over ldap://
  ldaps_cert     the same over ldaps:// with certificate validation and a client certificate
  oidc           the authorization-code flow with PKCE through the provider (its session
                 remembered after the first login, as a browser's would be), ID token checked
  oauth2         plain OAuth2 (token + userinfo)
  passkey        WebAuthn start + finish with a software ES256 authenticator
  password_totp  password, then the one-time code (one fresh user per round: codes are
                 single-use per 30 s step)
Prints median and 90th percentile in ms and the ratio to "password"; --summary writes
"name: value" lines for bench/run.sh. Never fails on speed; exit 1 only when a sign-in fails.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ldap_fixture  # noqa: E402
import wgtest  # noqa: E402
from signin import Authenticator, Browser, Session, totp  # noqa: E402

ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Bench-Passw0rd-2026!"
ADMIN_TOKEN = "T0k3nBenchAdm1nAbcdefghijklmnopqr"
USER_PW = "Us3r-Bench-Passw0rd-long!"


def config(tmp, port, idp_port, ldap):
    i = ldap.info()
    common = f"""      base_dn: {i['base_dn']}
      bind_user: {i['bind_user']}
      bind_pass: {i['bind_pass']}
      admin_group: {i['admin_group']}
      registration_enabled: true
"""
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""database:
  dsn: {tmp}/db/wgportal.sqlite
web:
  listening_address: 127.0.0.1:{port}
  external_url: http://localhost:{port}
auth:
  oidc:
    - provider_name: keycloak
      base_url: http://127.0.0.2:{idp_port}
      client_id: wgportal
      client_secret: "S3cret+with:colon/slash and space"
      extra_scopes: [profile, email]
      registration_enabled: true
      field_map:
        user_identifier: email
  oauth:
    - provider_name: plain
      client_id: wgportal-oauth
      client_secret: "oauth-post-secret-0123456789"
      auth_url: http://127.0.0.2:{idp_port}/auth
      token_url: http://127.0.0.2:{idp_port}/token
      user_info_url: http://127.0.0.2:{idp_port}/me
      scopes: [openid, email, profile]
      registration_enabled: true
      field_map:
        user_identifier: email
  ldap:
    - provider_name: corp
      url: {i['url']}
      login_filter: "(&(mail={{{{login_identifier}}}})(uid=alice))"
{common}    - provider_name: corp-tls
      url: {i['ldaps_url']}
      cert_validation: true
      tls_certificate_path: {i['client_cert']}
      tls_key_path: {i['client_key']}
      login_filter: "(&(mail={{{{login_identifier}}}})(uid=bob))"
{common}""")


def timed(n, fn):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        ok = fn()
        dt = (time.perf_counter() - t0) * 1000
        if not ok:
            raise RuntimeError("a sign-in failed")
        out.append(dt)
    return out


def oidc_round(base, b, provider, account):
    # a new wgportal session each round; the provider's session stays, as in a browser
    for dom in ("localhost.local", "localhost"):
        try:
            b.jar.clear(domain=dom)
        except KeyError:
            pass
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/{provider}/init?redirect=true")
    if "127.0.0.2" in url and b'value="login"' in body:
        st, h, body, url = b.submit_form(url, body, {"prompt": "login", "login": account,
                                                     "password": "x"})
    if "127.0.0.2" in url and b'value="consent"' in body:
        st, h, body, url = b.submit_form(url, body, {"prompt": "consent"})
    if "wgLoginState=success" not in url:
        print(f"bench_auth: {provider} round ended at {url[:300]} ({st})")
    return "wgLoginState=success" in url


def run(ns, args):
    tmp = tempfile.mkdtemp(prefix="wgpb-auth-")
    port, idp_port = ldap_fixture.free_port(), ldap_fixture.free_port()
    base = f"http://127.0.0.1:{port}"
    origin = f"http://localhost:{port}"
    admin = wgtest.Client(port, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    slapd = ldap_fixture.Slapd(tmp)
    d = wgtest.Daemon(tmp, "bench-auth")
    idp = None
    results = {}
    try:
        slapd.start()
        os.environ["LDAPTLS_CACERT"] = slapd.ca
        if not d.start(config(tmp, port, idp_port, slapd), port, timeout=30):
            print("bench_auth: daemon did not start\n" + d.log()[-2000:])
            return 1
        idp = subprocess.Popen(["node", os.path.join(ROOT, "tests/idp/idp.mjs"), "--host",
                                "127.0.0.2", "--port", str(idp_port), "--wgportal", origin],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wgtest.wait_port(idp_port, "127.0.0.2", 30)
        time.sleep(5.5)   # the provider was down at start: the next set-up try is on demand
        n = args.rounds
        users = {"alice": ldap_fixture.USERS["alice"], "bob": ldap_fixture.USERS["bob"]}
        pw_login = lambda u, p: Session(port).api("POST", "/auth/login",  # noqa: E731
                                                  {"Username": u, "Password": p}).status == 200
        results["password"] = timed(n, lambda: pw_login(ADMIN, ADMIN_PW))
        results["ldap"] = timed(n, lambda: pw_login(users["alice"][0], users["alice"][1]))
        results["ldaps_cert"] = timed(n, lambda: pw_login("Bob@Example.org", users["bob"][1]))
        b = Browser()
        # the UI's origin (external_url): the binding cookie must come back to the same host
        results["oidc"] = timed(n, lambda: oidc_round(origin, b, "keycloak", "bob"))
        results["oauth2"] = timed(n, lambda: oidc_round(origin, b, "plain", "bob"))
        # passkey of the admin (registered once through a session)
        s = Session(port)
        s.api("POST", "/auth/login", {"Username": ADMIN, "Password": ADMIN_PW})
        a = Authenticator("es256")
        s.api("POST", "/auth/webauthn/register/finish",
              a.create(s.api("POST", "/auth/webauthn/register/start").json(), origin))

        def passkey():
            c = Session(port)
            opts = c.api("POST", "/auth/webauthn/login/start").json()
            return c.api("POST", "/auth/webauthn/login/finish", a.get(opts, origin)).status == 200
        results["passkey"] = timed(n, passkey)
        # password + TOTP: a fresh user per round
        secrets = []
        for i in range(n):
            uid = f"totp{i}"
            admin.api("POST", "/user/new", {"Identifier": uid, "Password": USER_PW})
            c = Session(port)
            c.api("POST", "/auth/login", {"Username": uid, "Password": USER_PW})
            sec = c.api("POST", "/auth/totp/setup", {}).json()["Secret"]
            c.api("POST", "/auth/totp/confirm", {"Code": totp(sec)})
            secrets.append((uid, sec))
        it = iter(secrets)

        def pw_totp():
            uid, sec = next(it)
            c = Session(port)
            t = c.api("POST", "/auth/login", {"Username": uid, "Password": USER_PW}).json()
            return c.api("POST", "/auth/login/totp", {"Ticket": t["Ticket"],
                                                      "Code": totp(sec, step=1)}).status == 200
        results["password_totp"] = timed(n, pw_totp)
    finally:
        d.stop()
        if idp:
            idp.terminate()
            idp.wait(timeout=10)
        slapd.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ref = statistics.median(results["password"])
    lines = []
    print(f"{'method':15} {'median ms':>10} {'p90 ms':>8} {'x password':>11}")
    for k, v in results.items():
        v = sorted(v)
        med, p90 = statistics.median(v), v[int(len(v) * 0.9) - 1]
        print(f"{k:15} {med:10.1f} {p90:8.1f} {med / ref:11.2f}")
        lines.append(f"signin_{k}_ms: {med:.1f} (x{med / ref:.2f} of password, p90 {p90:.1f})")
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--summary")
    a = ap.parse_args()
    sys.exit(wgtest.in_netns("wgpba", lambda ns: run(ns, a), timeout=900))
