#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sign-in through OpenID Connect and plain OAuth2 against a real provider (npm oidc-provider,
tests/idp/idp.mjs) on another loopback address (127.0.0.2) than the daemon (127.0.0.1).

The provider's own login and consent pages are driven over HTTP with a cookie jar here (the
browser suite tests/ui/auth.mjs does the same in Chromium). Checks: the provider is down when
the daemon starts (clear error at /init, local login still works) and is used once it is up;
/init with redirect=false and =true (wg-portal's callback URL, PKCE S256, state, nonce, scope);
a full code flow: registration with field_map, admin by admin_flag and by admin_group_regex,
allowed_user_groups and allowed_domains, the session; the client secret with + : / and a space
in HTTP Basic (form-encoded); plain OAuth2 (client_secret_post, userinfo, no ID token,
registration disabled, a second source linked); tampered ID tokens (signature, audience,
expired, nonce), a state of another browser, a made-up state, an error from the provider;
return URLs of other origins refused; logout with the provider's end-session URL; audit.
Output is TAP; WGPORTAL_BIN selects the binary.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ldap_fixture  # noqa: E402  (free_port)
import wgtest  # noqa: E402
from signin import Browser  # noqa: E402

T = wgtest.Tap()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-OIDC-Passw0rd-2026!"
ADMIN_TOKEN = "T0k3nOidcAdm1nAbcdefghijklmnopqrs"
OIDC_SECRET = "S3cret+with:colon/slash and space"
OAUTH_SECRET = "oauth-post-secret-0123456789"
IDP_HOST = "127.0.0.2"


def write_config(tmp, port, idp_port):
    base = f"http://127.0.0.1:{port}"
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""advanced:
  start_cidr_v4: 10.215.0.0/24
  use_ip_v6: false
  api_admin_only: false
{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{port}
  external_url: {base}
auth:
  oidc:
    - provider_name: Keycloak
      display_name: "Company SSO"
      base_url: http://{IDP_HOST}:{idp_port}
      client_id: wgportal
      client_secret: "{OIDC_SECRET}"
      extra_scopes: [profile, email, phone, groups, wgportal]
      allowed_user_groups: [vpn-users]
      registration_enabled: true
      field_map:
        user_identifier: email
        user_groups: groups
      admin_mapping:
        admin_group_regex: "^wg-admins$"
  oauth:
    - provider_name: plain
      client_id: wgportal-oauth
      client_secret: "{OAUTH_SECRET}"
      auth_url: http://{IDP_HOST}:{idp_port}/auth
      token_url: http://{IDP_HOST}:{idp_port}/token
      user_info_url: http://{IDP_HOST}:{idp_port}/me
      scopes: [openid, email, profile]
      allowed_domains: [example.org]
      field_map:
        user_identifier: email
""")


class Idp:
    def __init__(self, tmp, port, wgportal):
        self.port, self.wgportal, self.tmp = port, wgportal, tmp
        self.proc = None

    def start(self):
        ready = os.path.join(self.tmp, "idp.ready")
        if os.path.exists(ready):
            os.unlink(ready)
        self.log = open(os.path.join(wgtest.LOGDIR, "idp-oidc.log"), "ab")
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tests", "idp", "idp.mjs"),
                                      "--host", IDP_HOST, "--port", str(self.port),
                                      "--wgportal", self.wgportal, "--ready-file", ready],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        return wgtest.wait_for(lambda: os.path.exists(ready) or self.proc.poll() is not None,
                               timeout=30) and self.proc.poll() is None

    def ctl(self, path, method="GET"):
        r = urllib.request.Request(f"http://{IDP_HOST}:{self.port}/__ctl/{path}", method=method,
                                   data=b"" if method == "POST" else None)
        return json.loads(urllib.request.urlopen(r, timeout=10).read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def ensure_idp_deps():
    r = subprocess.run([os.path.join(ROOT, "tests", "lib", "npm-ci-once.sh"),
                        os.path.join(ROOT, "tests", "idp"), "oidc-provider"], timeout=900)
    return r.returncode == 0


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpa-oidc-")
    port, idp_port = ldap_fixture.free_port(), ldap_fixture.free_port()
    base = f"http://127.0.0.1:{port}"
    admin = wgtest.Client(port, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    idp = Idp(tmp, idp_port, base)
    d = wgtest.Daemon(tmp, "auth-oidc")
    d.truncate_log()
    try:
        if not T.ok(ensure_idp_deps(), "npm ci in tests/idp (oidc-provider)"):
            return T.done()
        if not T.ok(d.start(write_config(tmp, port, idp_port), port, timeout=30),
                    "daemon starts while the provider is down", d.log()[-3000:]):
            return T.done()
        T.section("provider down", lambda: provider_down(base))
        T.ok(idp.start(), "oidc-provider listens on 127.0.0.2")
        time.sleep(5.5)   # the on-demand retry of a failed set-up waits 5 s
        T.section("init", lambda: init(base))
        T.section("code flow", lambda: code_flow(base, admin, idp))
        T.section("policies", lambda: policies(base, admin))
        T.section("plain OAuth2", lambda: plain_oauth(base, admin, idp))
        T.section("bad tokens", lambda: bad_tokens(base, idp))
        T.section("bad round trips", lambda: bad_round_trips(base, idp))
        T.section("logout", lambda: logout(base))
        T.section("audit", lambda: audit(admin))
        d.check_end(T, "OIDC daemon", [ADMIN_PW, ADMIN_TOKEN, OIDC_SECRET, OAUTH_SECRET])
    finally:
        if d.running():
            d.stop()
        idp.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


def login_state(url):
    frag = urllib.parse.urlsplit(url).fragment
    q = urllib.parse.parse_qs(frag.split("?", 1)[1] if "?" in frag else "")
    return (q.get("wgLoginState") or [None])[0], (q.get("wgLoginError") or [""])[0]


def provider_down(base):
    b = Browser()
    ret = urllib.parse.quote(base + "/#/login", safe="")
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/keycloak/init?redirect=true&return={ret}")
    state, why = login_state(url)
    T.ok(state == "err" and "not available" in why and "Company SSO" in why,
         "provider down: back on the login page with a clear reason", (url, why))
    st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=false")
    T.eq(st, 503, "provider down, redirect=false: 503 JSON")
    r = wgtest.Client(int(base.rsplit(":", 1)[1])).api(
        "POST", "/auth/login", {"Username": ADMIN, "Password": ADMIN_PW}, auth=None,
        headers={"Origin": base})
    T.eq(r.status, 200, "provider down: local login still works")
    r = wgtest.Client(int(base.rsplit(":", 1)[1])).api("GET", "/ui/settings", auth=None)
    names = [p["Name"] for p in (r.json() or {}).get("Providers", [])]
    T.eq(names, ["Company SSO", "plain"], "/ui/settings lists one button per provider "
         "(display_name, else provider_name)")


def init(base):
    b = Browser()
    st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=false")
    j = json.loads(body or b"{}")
    u = urllib.parse.urlsplit(j.get("RedirectUrl", ""))
    q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
    T.ok(st == 200 and u.netloc.startswith(IDP_HOST) and q.get("state") == j.get("State"),
         "redirect=false: JSON with RedirectUrl and State", j)
    T.eq(q.get("redirect_uri"), f"{base}/api/v0/auth/login/keycloak/callback",
         "redirect_uri is wg-portal's callback URL (lower-cased provider name)")
    T.eq((q.get("response_type"), q.get("client_id"), q.get("scope"),
          q.get("code_challenge_method"), len(q.get("code_challenge", "")),
          len(q.get("nonce", ""))),
         ("code", "wgportal", "openid profile email phone groups wgportal", "S256", 43, 43),
         "code flow with PKCE S256, nonce and openid + extra_scopes")
    T.ok(b.cookie("wgPortalLoginState"), "a browser binding cookie is set")
    st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=true")
    T.ok(st == 302 and h.get("Location", "").startswith(f"http://{IDP_HOST}"),
         "redirect=true: 302 to the provider")
    for bad in ("http://evil.example/#/login", "https://127.0.0.1/#/", "//evil.example/",
                "http://127.0.0.1:1@evil/"):
        st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=true&return="
                             + urllib.parse.quote(bad, safe=""))
        T.eq(st, 400, f"return '{bad}' (not this origin): 400")
    st, h, body = b.req(f"{base}/api/v0/auth/login/nosuch/init")
    T.eq(st, 404, "unknown provider: 404")


def flow(base, account, provider="keycloak", ret=True, browser=None, before_callback=None):
    """The whole browser round trip; returns (browser, final url)."""
    b = browser or Browser()
    q = "redirect=true" + ("&return=" + urllib.parse.quote(base + "/#/login?next=%2Fpeers",
                                                           safe="") if ret else "")
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/{provider}/init?{q}")
    if url.startswith(f"http://{IDP_HOST}") and b'value="login"' in body:
        st, h, body, url = b.submit_form(url, body, {"prompt": "login", "login": account,
                                                     "password": "anything"})
    if url.startswith(f"http://{IDP_HOST}") and b'value="consent"' in body:
        if before_callback:
            before_callback(b)
        st, h, body, url = b.submit_form(url, body, {"prompt": "consent"})
    return b, url, body


def session_user(base, b):
    st, h, body = b.req(f"{base}/api/v1/auth/session")
    return st, (json.loads(body or b"{}") or {}).get("User") or {}


def code_flow(base, admin, idp):
    b, url, _ = flow(base, "alice")
    state, why = login_state(url)
    T.ok(state == "success" and url.startswith(base + "/#/login?next=%2Fpeers"),
         "callback: back on the return page with wgLoginState=success", (url, why))
    st, u = session_user(base, b)
    T.ok(st == 200 and u.get("Identifier") == "alice@example.org",
         "a server-side session for the user (field_map.user_identifier = email)", (st, u))
    T.ok(u.get("IsAdmin") is True, "admin: admin_flag 'true' matches ^true$", u)
    full = admin.api("GET", "/user/by-id/alice@example.org").json() or {}
    T.eq((full.get("Firstname"), full.get("Lastname"), full.get("Phone"), full.get("Department"),
          full.get("AuthSources")),
         ("Alice", "Anders", "+49 30 1", "Networks", ["oauth"]),
         "registered with the userinfo claims merged into the ID token's")
    log = idp.ctl("log")
    T.ok(log and log[-1]["basic"], "token request of the OIDC client used HTTP Basic (the "
         "secret with + : / and space was form-encoded, or the provider had refused it)", log)
    T.ok(not b.cookie("wgPortalLoginState"), "the binding cookie is cleared after the callback")
    # admin by group regex, admin_flag "no" does not match ^true$
    b, url, _ = flow(base, "admins")
    st, u = session_user(base, b)
    T.ok(login_state(url)[0] == "success" and u.get("IsAdmin") is True,
         "admin_group_regex ^wg-admins$ on the groups claim makes an admin", (url, u))
    b, url, _ = flow(base, "bob")
    st, u = session_user(base, b)
    T.ok(u.get("Identifier") == "bob@example.org" and u.get("IsAdmin") is False,
         "bob: admin_flag false, no admin group: not admin", u)


def policies(base, admin):
    b, url, _ = flow(base, "mallory")
    state, why = login_state(url)
    T.ok(state == "err" and "allowed user groups" in why,
         "allowed_user_groups: a user outside vpn-users is refused with the reason", why)
    T.eq(admin.api("GET", "/user/by-id/mallory@example.org").status, 404,
         "the refused user is not registered")
    b, url, _ = flow(base, "carol", provider="plain")
    state, why = login_state(url)
    T.ok(state == "err" and "allowed domains" in why,
         "allowed_domains (plain OAuth2): elsewhere.net is refused", why)


def plain_oauth(base, admin, idp):
    # unknown users: registration is off for this provider
    b, url, _ = flow(base, "dora", provider="plain")
    state, why = login_state(url)
    T.ok(state == "err" and "registration disabled" in why,
         "plain OAuth2, unknown user, registration disabled: refused", why)
    b, url, _ = flow(base, "bob", provider="plain")
    T.eq(login_state(url)[0], "success", "plain OAuth2: a known user signs in via userinfo")
    st, u = session_user(base, b)
    T.eq(u.get("Identifier"), "bob@example.org", "plain OAuth2: session for bob")
    log = idp.ctl("log")
    T.ok(any(a["basic"] and not b["basic"] for a, b in zip(log, log[1:]))
         and not log[-1]["basic"],
         "a provider refusing Basic (invalid_client): the client retries with the secret in "
         "the body, and keeps doing so", log[-6:])


def bad_tokens(base, idp):
    for mode, words in (("sig", "signature"), ("aud", "audience"), ("exp", "expired"),
                        ("nonce", "nonce")):
        idp.ctl(f"fault?mode={mode}", "POST")
        b, url, _ = flow(base, "bob")
        state, why = login_state(url)
        T.ok(state == "err" and words in why,
             f"tampered ID token ({mode}): refused, reason names the {words}", (url, why))
        T.eq(session_user(base, b)[0], 401, f"tampered ID token ({mode}): no session")


def bad_round_trips(base, idp):
    # the callback arrives in a browser that did not start the flow
    def steal(b):
        b.jar.clear(domain="127.0.0.1")
    b, url, _ = flow(base, "bob", before_callback=steal)
    state, why = login_state(url)
    T.ok(state == "err" and "another browser" in why,
         "state of another browser (no binding cookie): refused", why)
    # a made-up state, and a provider error
    b = Browser()
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/keycloak/callback?code=x&state=madeup")
    T.ok(login_state(url)[0] == "err", "made-up state: refused")
    b = Browser()
    st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=false")
    state = json.loads(body)["State"]
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/keycloak/callback?state={state}"
                                "&error=access_denied&error_description=User+said+no")
    s, why = login_state(url)
    T.ok(s == "err" and "access_denied" in why and "User said no" in why,
         "an error from the provider is shown", why)
    # a state is single-use
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/keycloak/callback?state={state}&code=x")
    T.eq(login_state(url)[0], "err", "a state works once")
    # RFC 9207: an answer naming another issuer (mix-up)
    st, h, body = b.req(f"{base}/api/v0/auth/login/keycloak/init?redirect=false")
    state = json.loads(body)["State"]
    st, h, body, url = b.follow(f"{base}/api/v0/auth/login/keycloak/callback?state={state}"
                                "&code=x&iss=https%3A%2F%2Fevil.example")
    s, why = login_state(url)
    T.ok(s == "err" and "another provider" in why, "iss of another issuer: refused", why)


def logout(base):
    b, url, _ = flow(base, "alice")
    st, h, body = b.req(f"{base}/api/v1/auth/session")
    csrf = json.loads(body).get("CsrfToken")
    st, h, body = b.req(f"{base}/api/v1/auth/logout", data=b"", headers={"X-CSRF-Token": csrf})
    j = json.loads(body or b"{}")
    u = urllib.parse.urlsplit(j.get("RedirectUrl", ""))
    q = urllib.parse.parse_qs(u.query)
    T.ok(st == 200 and u.path == "/session/end" and q.get("id_token_hint") and
         q.get("post_logout_redirect_uri") == [base + "/"],
         "logout: RedirectUrl to the provider's end_session_endpoint (logout_idp_session)", j)
    T.eq(session_user(base, b)[0], 401, "logout: the session is gone")


def audit(admin):
    r = admin.api("GET", "/audit/all?per_page=300")
    msgs = [(e["User"], e["Message"]) for e in (r.json() or [])]
    T.ok(any(m.startswith("logged in via oidc keycloak") for _, m in msgs),
         "audit: OIDC login success", msgs[:8])
    T.ok(any(m.startswith("logged in via oauth plain") for _, m in msgs),
         "audit: OAuth2 login success", msgs[:8])
    T.ok(any(m.startswith("login failed via oidc keycloak") and "nonce" in m for _, m in msgs),
         "audit: a refused ID token", msgs[:8])


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpo", main, timeout=600))
