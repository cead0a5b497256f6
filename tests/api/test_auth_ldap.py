#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sign-in through LDAP against a real OpenLDAP slapd (tests/lib/ldap_fixture.py).

One slapd (plain, StartTLS and LDAPS with a test CA that also signs the required client
certificate) and the real daemon in a private network namespace, with three LDAP providers:
"corp" (ldap://, registration, sync every 2 s, disable_missing, auto_re_enable,
interface_filter), "tls-start" (StartTLS, cert_validation, client certificate; only erin) and
"tls-ldaps" (ldaps://, cert_validation, client certificate; only "o(k)*"); the CA comes from
LDAPTLS_CACERT. The sync of "corp" leaves erin and "o(k)*" out, so that they register through
the TLS providers.

Checks: the directory is down when the daemon starts (clear 503, local login still works) and
comes back (login and sync recover without a restart); registration with field_map and the
admin group; login name = stored id (user_identifier = mail); wrong password, disabled entry,
non-unique entry; RFC 4515 escaping (metacharacters in a real mail attribute sign in, filter
injections do not); StartTLS and LDAPS with client certificates; the sync creating, updating,
disabling ("missing in ldap", peers disabled) and re-enabling users, admin by group, and
interface_filter deciding self-provisioning; TOTP for a directory account (password from the
directory, code from the portal); a second daemon whose TLS providers cannot verify
the server or present no client certificate (clear error); failures audited; rate limit.
Output is TAP; WGPORTAL_BIN selects the binary.
"""
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ldap_fixture  # noqa: E402
import wgtest  # noqa: E402
from signin import totp  # noqa: E402

T = wgtest.Tap()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-LDAP-Passw0rd-2026!"
ADMIN_TOKEN = "T0k3nLdapAdm1nAbcdefghijklmnopqrs"
TAG = wgtest.tag() if hasattr(wgtest, "tag") else str(os.getpid())
IFACE = f"wgl{TAG}"[:15]
USERS = ldap_fixture.USERS
VPN_GROUP = "cn=vpn-users,ou=groups," + ldap_fixture.SUFFIX


def write_config(tmp, slapd, port, broken_tls=False):
    i = slapd.info()
    base = f"""      base_dn: {i['base_dn']}
      bind_user: {i['bind_user']}
      bind_pass: {i['bind_pass']}
      admin_group: {i['admin_group']}
      registration_enabled: true
      field_map:
        department: departmentNumber
"""
    tls = f"""      cert_validation: true
      tls_certificate_path: {i['client_cert']}
      tls_key_path: {i['client_key']}
"""
    if broken_tls:
        providers = f"""    - provider_name: no-client-cert
      url: {i['ldaps_url']}
      cert_validation: false
      login_filter: "{i['login_filter']}"
{base}    - provider_name: untrusted
      url: {i['url']}
      start_tls: true
      cert_validation: true
      tls_certificate_path: {i['client_cert']}
      tls_key_path: {i['client_key']}
      login_filter: "{i['login_filter']}"
{base}"""
    else:
        providers = f"""    - provider_name: corp
      url: {i['url']}
      login_filter: "(&(objectClass=inetOrgPerson)(mail={{{{login_identifier}}}})(!(employeeType=disabled))(!(uid=okstar))(!(uid=erin)))"
      sync_filter: "(&(objectClass=inetOrgPerson)(!(employeeType=disabled))(!(uid=okstar))(!(uid=erin)))"
      sync_interval: 2s
      disable_missing: true
      auto_re_enable: true
      interface_filter:
        {IFACE}: "(memberOf={VPN_GROUP})"
{base}    - provider_name: tls-start
      url: {i['url']}
      start_tls: true
      login_filter: "(&(mail={{{{login_identifier}}}})(uid=erin))"
{tls}{base}    - provider_name: tls-ldaps
      url: {i['ldaps_url']}
      login_filter: "(&(mail={{{{login_identifier}}}})(uid=okstar))"
{tls}{base}"""
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""  self_provisioning_allowed: true
  re_enable_peer_after_user_enable: true
advanced:
  start_cidr_v4: 10.214.0.0/24
  use_ip_v6: false
  start_listen_port: 51960
  api_admin_only: false
{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{port}
  external_url: http://127.0.0.1:{port}
webhook:
  url: http://127.0.0.1:9/hook
  timeout: 1s
auth:
  ldap:
{providers}""")


class Session:
    """A browser-like session: cookie jar of one cookie + CSRF token."""

    def __init__(self, port):
        self.c = wgtest.Client(port)
        self.cookie = None
        self.csrf = ""

    def login(self, user, password):
        return self.post("/auth/login", {"Username": user, "Password": password})

    def post(self, path, body):
        """A sign-in step (password, TOTP code) that may open the session."""
        r = self.c.api("POST", path, body, auth=None,
                       headers={"Origin": f"http://127.0.0.1:{self.c.port}"})
        for k, v in r.headers:
            if k.lower() == "set-cookie" and v.startswith("wgPortalSession="):
                self.cookie = v.split(";")[0]
        if r.status == 200:
            self.csrf = (r.json() or {}).get("CsrfToken", "")
        return r

    def api(self, method, path, body=None):
        h = {"Cookie": self.cookie or "", "X-CSRF-Token": self.csrf,
             "Origin": f"http://127.0.0.1:{self.c.port}"}
        return self.c.api(method, path, body, auth=None, headers=h)


def main(ns):
    # full stacks for LeakSanitizer, so tests/lsan.supp can tell libldap's known client
    # certificate leak from anything of ours (the fast unwinder stops inside GnuTLS)
    asan = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "fast_unwind_on_malloc=0"
    tmp = tempfile.mkdtemp(prefix="wgpa-ldap-")
    port = ldap_fixture.free_port()
    admin = wgtest.Client(port, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    slapd = ldap_fixture.Slapd(tmp)
    d = wgtest.Daemon(tmp, "auth-ldap")
    d.truncate_log()
    secrets = [ADMIN_PW, ADMIN_TOKEN, ldap_fixture.SERVICE_PW] + [v[1] for v in USERS.values()]
    try:
        slapd.start()   # creates the data, CA and certificates
        slapd.stop()    # ... and is down when the daemon starts
        os.environ["LDAPTLS_CACERT"] = slapd.ca
        if not T.ok(d.start(write_config(tmp, slapd, port), port, timeout=30),
                    "daemon starts while the directory is down", d.log()[-3000:]):
            return T.done()
        T.section("directory down at start", lambda: down_at_start(port, admin))
        slapd.start()
        T.section("directory back", lambda: directory_back(port))
        T.section("registration and mapping", lambda: registration(port, admin))
        T.section("refusals and escaping", lambda: refusals(port, admin))
        T.section("TLS providers", lambda: tls_providers(port, d))
        T.section("sync", lambda: sync(port, admin, slapd, tmp))
        T.section("interface filter", lambda: interface_filter(port, admin))
        T.section("TOTP for a directory account", lambda: ldap_totp(port))
        T.section("audit", lambda: audit(admin))
        d.check_end(T, "LDAP daemon", secrets)
        T.section("TLS refused", lambda: tls_refused(tmp, slapd))
    finally:
        if d.running():
            d.stop()
        slapd.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


def down_at_start(port, admin):
    s = Session(port)
    r = s.login("alice@example.org", USERS["alice"][1])
    T.ok(r.status == 503 and "cannot be reached" in (r.msg or ""),
         "directory down: LDAP login answers 503 with a clear message", r)
    r = Session(port).login(ADMIN, ADMIN_PW)
    T.eq(r.status, 200, "directory down: local login still works")


def directory_back(port):
    deadline = time.monotonic() + 20
    r = None
    while time.monotonic() < deadline:
        r = Session(port).login("alice@example.org", USERS["alice"][1])
        if r.status == 200:
            break
        time.sleep(0.3)
    T.eq(r.status if r else 0, 200, "directory back: the same daemon signs alice in")


def registration(port, admin):
    s = Session(port)
    r = s.login("alice@example.org", USERS["alice"][1])
    u = (r.json() or {}).get("User") or {}
    T.ok(r.status == 200 and u.get("Identifier") == "alice@example.org",
         "alice: login name = stored id (field_map.user_identifier = mail)", r)
    T.ok(u.get("IsAdmin") is True, "alice: admin through admin_group (memberOf)", u)
    T.eq(u.get("AuthSources"), ["ldap"], "alice: auth source ldap")
    full = admin.api("GET", "/user/by-id/alice@example.org").json() or {}
    T.eq((full.get("Email"), full.get("Firstname"), full.get("Lastname"), full.get("Phone"),
          full.get("Department")),
         ("alice@example.org", "Alice", "Anders", "+49 30 1234", "Networks"),
         "alice: field_map fills e-mail, names, phone and department")
    T.eq(s.api("GET", "/auth/session").status, 200, "alice: a server-side session")
    r = admin.api("GET", "/delivery/all?kind=webhook&filter=alice%40example.org")
    hooks = r.json() if isinstance(r.json(), list) else []
    T.ok(any(d.get("Event") == "create" and d.get("Entity") == "user" and
             d.get("Identifier") == "alice@example.org" for d in hooks),
         "alice: registration queues the user-create webhook like a local user", r)
    r = Session(port).login("Bob@Example.org", USERS["bob"][1])
    u = (r.json() or {}).get("User") or {}
    T.ok(r.status == 200 and u.get("IsAdmin") is False and u.get("Email") == "bob@example.org",
         "bob: signed in, not admin, e-mail lower-cased", r)
    T.eq(Session(port).login("bob@example.org", USERS["bob"][1]).status, 200,
         "bob: other letter case of the login finds the same directory entry")
    # erin only matches the StartTLS provider's filter (client certificate + CA check)
    r = Session(port).login("erin@example.org", USERS["erin"][1])
    T.eq(r.status, 200, "erin via StartTLS: signed in")


def refusals(port, admin):
    r = Session(port).login("alice@example.org", "wrong-password")
    T.ok(r.status == 401 and r.msg == "invalid credentials", "wrong LDAP password: 401", r)
    r = Session(port).login("carol@example.org", USERS["carol"][1])
    T.eq(r.status, 401, "disabled directory entry (excluded by the filter): 401")
    r = Session(port).login("dave@example.org", USERS["dave"][1])
    T.eq(r.status, 401, "login filter matching two entries: 401")
    T.eq(admin.api("GET", "/user/by-id/carol@example.org").status, 404,
         "refused users are not registered")
    for name in ("*", "alice@example.org)(|(mail=*", "*)(uid=*", "alice@example.org\\2a"):
        r = Session(port).login(name, USERS["alice"][1])
        T.eq(r.status, 401, f"filter injection '{name}': 401")
    r = Session(port).login("o(k)*@example.org", USERS["okstar"][1])
    T.ok(r.status == 200 and ((r.json() or {}).get("User") or {}).get("Identifier") ==
         "o(k)*@example.org", "mail with ( ) * escaped per RFC 4515 signs in (LDAPS provider)", r)
    # too many failures: the same 429 as for local accounts; the directory matches the name
    # in any letter case, so the account's budget is shared by all spellings
    for _ in range(5):
        Session(port).login("Erin@Example.org", "not-her-password")
    r = Session(port).login("erin@example.org", USERS["erin"][1])
    T.ok(r.status == 429 and r.header("Retry-After"),
         "LDAP logins share the login rate limit (in any letter case of the name)", r)


def tls_providers(port, d):
    log = d.log()
    T.ok("from ldap provider 'tls-start'" in log, "erin was registered through StartTLS",
         log[-1500:])
    T.ok("from ldap provider 'tls-ldaps'" in log, "o(k)* was registered through LDAPS",
         log[-1500:])


def user(admin, uid):
    return admin.api("GET", "/user/by-id/" + wgtest.q(uid)).json() or {}


def wait(pred, what, timeout=20):
    return T.ok(wgtest.wait_for(pred, timeout=timeout, step=0.3), what)


def sync(port, admin, slapd, tmp):
    wait(lambda: user(admin, "dave@example.org").get("Identifier"),
         "sync creates users the directory has (dave)")
    T.eq(user(admin, "carol@example.org").get("Identifier"), None,
         "sync leaves out entries outside sync_filter (carol)")
    T.eq(user(admin, "dave@example.org").get("AuthSources"), ["ldap"], "synced user: source ldap")
    # a peer for dave, to see the user lifecycle reach it
    ifc = admin.api("GET", "/interface/prepare").json()
    ifc.update(Identifier=IFACE, DisplayName="LDAP filtered")
    T.eq(admin.api("POST", "/interface/new", ifc).status, 200, "interface created")
    p = admin.api("GET", "/peer/prepare/" + IFACE).json()
    p["UserIdentifier"] = "dave@example.org"
    r = admin.api("POST", "/peer/new", p)
    T.eq(r.status, 200, "peer for dave created")
    peer_id = wgtest.q(p["Identifier"])
    slapd.modify("".join(f"dn: uid={u},ou=people,{ldap_fixture.SUFFIX}\nchangetype: modify\n"
                         "add: employeeType\nemployeeType: disabled\n\n" for u in ("dave", "dave2")))
    wait(lambda: user(admin, "dave@example.org").get("Disabled"),
         "disable_missing: dave gone from the directory is disabled")
    T.eq(user(admin, "dave@example.org").get("DisabledReason"), "missing in ldap",
         "disabled reason 'missing in ldap'")
    pr = admin.api("GET", "/peer/by-id/" + peer_id).json() or {}
    T.ok(pr.get("Disabled") and pr.get("DisabledReason") == "user disabled",
         "his peer is disabled too (3.8)", pr)
    slapd.modify(f"dn: uid=dave,ou=people,{ldap_fixture.SUFFIX}\nchangetype: modify\n"
                 "delete: employeeType\n")
    wait(lambda: user(admin, "dave@example.org").get("Disabled") is False,
         "auto_re_enable: dave is back and enabled")
    pr = admin.api("GET", "/peer/by-id/" + peer_id).json() or {}
    T.ok(not pr.get("Disabled"), "his peer is enabled again (re_enable_peer_after_user_enable)",
         pr)
    slapd.modify(f"dn: cn=wg-admins,ou=groups,{ldap_fixture.SUFFIX}\nchangetype: modify\n"
                 f"add: member\nmember: uid=bob,ou=people,{ldap_fixture.SUFFIX}\n")
    wait(lambda: user(admin, "Bob@Example.org").get("IsAdmin"),
         "sync: joining admin_group makes bob an admin")
    slapd.modify(f"dn: cn=wg-admins,ou=groups,{ldap_fixture.SUFFIX}\nchangetype: modify\n"
                 f"delete: member\nmember: uid=bob,ou=people,{ldap_fixture.SUFFIX}\n")
    wait(lambda: user(admin, "Bob@Example.org").get("IsAdmin") is False,
         "sync: leaving admin_group takes it back")
    if not os.environ.get("WGPORTAL_TEST_DB"):   # the flag is set in the SQLite file
        persisted_user(admin, slapd, os.path.join(tmp, "db", "wgportal.sqlite"))


def persisted_user(admin, slapd, db):
    """wg-portal's "persist local changes" (a user taken over with it): the sync leaves him as
    he is; alice, changed in the same round, shows that the round ran."""
    def flag(v):
        with sqlite3.connect(db, timeout=10) as c:
            c.execute("UPDATE users SET persist_local_changes = ? WHERE identifier = ?",
                      (v, "Bob@Example.org"))

    def dept(uid, value):
        return (f"dn: uid={uid},ou=people,{ldap_fixture.SUFFIX}\nchangetype: modify\n"
                f"replace: departmentNumber\ndepartmentNumber: {value}\n\n")

    flag(1)
    slapd.modify(dept("bob", "Persisted") + dept("alice", "Control"))
    wait(lambda: user(admin, "alice@example.org").get("Department") == "Control",
         "a sync round ran (alice's new department)")
    T.eq(user(admin, "Bob@Example.org").get("Department"), "Networks",
         "persist_local_changes (from wg-portal): the sync leaves bob as he is")
    flag(0)
    wait(lambda: user(admin, "Bob@Example.org").get("Department") == "Persisted",
         "without it the next round updates him")


def interface_filter(port, admin):
    body = {"InterfaceIdentifier": IFACE, "DisplayName": "self"}
    bob = Session(port)
    T.eq(bob.login("bob@example.org", USERS["bob"][1]).status, 200, "bob logs in")
    r = bob.api("POST", "/provisioning/new-peer", body)
    T.eq(r.status, 200, "interface_filter: bob (in vpn-users) may self-provision")
    dave = Session(port)
    T.eq(dave.login("dave@example.org", USERS["dave"][1]).status, 200, "dave logs in")
    r = dave.api("POST", "/provisioning/new-peer", body)
    T.eq(r.status, 403, "interface_filter: dave (not in vpn-users) may not")


def ldap_totp(port):
    """The second factor is the portal's, not the directory's: bob (LDAP) enrols and then
    signs in with the directory password followed by a code."""
    bob, pw = "bob@example.org", USERS["bob"][1]
    s = Session(port)
    s.login(bob, pw)
    sec = (s.api("POST", "/auth/totp/setup", {}).json() or {}).get("Secret", "")
    r = s.api("POST", "/auth/totp/confirm", {"Code": totp(sec)})
    codes = (r.json() or {}).get("RecoveryCodes") or []
    T.ok(r.status == 200 and len(codes) == 10, "bob (LDAP) enrols TOTP in the profile", r)
    s2 = Session(port)
    j = s2.login(bob, pw).json() or {}
    T.ok(j.get("SecondFactor") == "totp" and j.get("Ticket") and "User" not in j,
         "LDAP password of a TOTP user: a ticket, no session yet", j)
    T.eq(Session(port).login(bob, "wrong-password").status, 401,
         "a wrong LDAP password still fails before any code is asked")
    r = s2.post("/auth/login/totp", {"Ticket": j.get("Ticket", ""), "Code": totp(sec, step=1)})
    who = ((r.json() or {}).get("User") or {}).get("Identifier", "")
    T.ok(r.status == 200 and who.lower() == bob and
         s2.api("GET", "/auth/session").status == 200,
         "LDAP password + code: a session for bob", r)
    T.eq(s2.api("DELETE", "/auth/totp", {"Code": codes[0] if codes else ""}).status, 204,
         "bob turns TOTP off with a recovery code")
    T.ok((Session(port).login(bob, pw).json() or {}).get("User"),
         "bob: the directory password alone again")


def audit(admin):
    r = admin.api("GET", "/audit/all?per_page=200")
    msgs = [(e["User"], e["Message"]) for e in (r.json() or [])]
    T.ok(any(u == "alice@example.org" and m.startswith("logged in via ldap") for u, m in msgs),
         "audit: LDAP login success", msgs[:10])
    T.ok(any(u == "alice@example.org" and m.startswith("login failed") for u, m in msgs),
         "audit: LDAP login failure", msgs[:10])


def tls_refused(tmp0, slapd):
    tmp = tempfile.mkdtemp(prefix="wgpa-ldap2-")
    port = ldap_fixture.free_port()
    os.environ.pop("LDAPTLS_CACERT", None)
    d = wgtest.Daemon(tmp, "auth-ldap-tls")
    d.truncate_log()
    try:
        if not T.ok(d.start(write_config(tmp, slapd, port, broken_tls=True), port, timeout=30),
                    "second daemon starts"):
            return
        r = Session(port).login("alice@example.org", USERS["alice"][1])
        T.ok(r.status == 503, "no client certificate / untrusted CA: 503, not a password error",
             r)
        log = d.log()
        T.ok("TLS refused" in log and "untrusted" in log and "no-client-cert" in log,
             "the log names each provider and the TLS reason", log[-2000:])
        T.eq(Session(port).login(ADMIN, ADMIN_PW).status, 200, "local login still works")
    finally:
        d.check_end(T, "TLS daemon", [ADMIN_PW, ADMIN_TOKEN, ldap_fixture.SERVICE_PW])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpl", main, iface_prefixes=("wgl{pid}",), timeout=600))
