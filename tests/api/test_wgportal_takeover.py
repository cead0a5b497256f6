#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Switching from wg-portal v2 in one step (docs/wg-portal-import.md), through the daemon.

For each wg-portal release profile (tests/data/wgportal/fixture.py: v2.0 and v2.1 at schema 1,
v2.2.0 at schema 3, v2.3 at schema 4) a database as wg-portal leaves it is put where the config
points, and the daemon is started on it:
  - every user, login source, interface, address, peer (ConfigOption values and flags),
    secret (WG_ENC_ decrypted, plain ones too) and audit entry is there through the API;
  - the users' bcrypt passwords log in, their API tokens (plain and encrypted) authenticate;
  - wg-portal's data is untouched (SQLite: the original file kept, byte for byte, as the
    backup; servers: wg-portal's tables unchanged), a restart takes nothing over again.
Bad input: a wrong passphrase, none while secrets are encrypted, an unknown schema version:
the daemon refuses to start with a clear message and nothing changes.
wgportal --migrate-from: a wg-portal SQLite file into this engine, then our copy into a fresh
SQLite file (any two engines), with progress and verified counts; a non-empty destination and
a wrong passphrase are refused.
The engine is SQLite, or the server tests/db/run_engine.py started (WGPORTAL_TEST_DB). Runs in
a network namespace (local backend: the fixture's interfaces are restored with names of ours).
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "wgportal"))
import dbservers  # noqa: E402
import fixture  # noqa: E402
import wgtest  # noqa: E402
from signin import Authenticator, b64u  # noqa: E402

T = wgtest.Tap()
TAG = wgtest.tag()
PORT = 18993
PASS = "wg-portal passphrase 1"
ADMIN = "admin@example.com"
IFNAMES = (f"wgt{TAG}a"[:15], f"wgt{TAG}b"[:15])
SRV = dbservers.from_env()
ENGINE = SRV.engine if SRV else "sqlite"


def q(s):
    return wgtest.q(s)


class Db:
    """A wg-portal database on the engine under test: a SQLite file or a server database."""

    def __init__(self, tmp, label):
        self.tmp = tmp
        if SRV:
            self.name = f"wgpf_{TAG}_{label}".replace(".", "_").replace("-", "_")
            SRV.create_db(self.name)
            self.dsn = SRV.dsn_template() % self.name
        else:
            os.makedirs(os.path.join(tmp, "db"), exist_ok=True)
            self.path = os.path.join(tmp, "db", f"{label}.db")
            self.dsn = self.path

    def load(self, profile, passphrase=PASS, **kw):
        st, exp = fixture.build(ENGINE, profile, passphrase, ifnames=IFNAMES, **kw)
        fixture.load(ENGINE, st, (SRV, self.name) if SRV else self.path)
        return exp

    def snapshot(self):
        """What must not change: the file's bytes, or every row of wg-portal's tables."""
        if not SRV:
            with open(self.path, "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        out = []
        for t in fixture.TABLES:
            try:
                out.append(SRV.sql(f'SELECT * FROM {"public." if ENGINE == "postgres" else ""}'
                                   f'{t} ORDER BY 1', db=self.name))
            except subprocess.CalledProcessError:
                out.append(f"{t}: absent")
        return hashlib.sha256("\n".join(out).encode()).hexdigest()

    def ours_exists(self):
        """Whether anything of ours was created on the server (schema, prefixed tables)."""
        if ENGINE == "postgres":
            return SRV.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'wgportal'",
                           db=self.name).strip() != "0"
        return SRV.sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                       f"'{self.name}' AND table_name LIKE 'wgp\\_%'").strip() != "0"


def config(tmp, dsn, passphrase=PASS, engine=None, extra=""):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
advanced:
  start_cidr_v4: 10.233.0.0/24
  use_ip_v6: false
  start_listen_port: 52300
statistics:
  collect_interface_data: false
  collect_peer_data: false
database:
  type: {engine or ENGINE}
  dsn: "{dsn}"
  encryption_passphrase: "{passphrase}"
{extra}web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def call(method, path, body=None, auth=None, timeout=20):
    c = wgtest.Client(PORT, auth, timeout=timeout)
    # a login carries its same-origin Origin, as the UI's browser sends it (login CSRF check)
    headers = {"Origin": f"http://127.0.0.1:{PORT}"} if path.endswith("/auth/login") else None
    return c.call(method, path, body, headers=headers)


def admin():
    return wgtest.basic(ADMIN, fixture.TOKENS[ADMIN])


def utc(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else None


def opt(obj, field, zero):
    """A ConfigOption of the API: (Value, Overridable); false Overridable is omitted."""
    o = obj.get(field) or {}
    return (o.get("Value") or zero, bool(o.get("Overridable", False)))


def stored(dsn, table, column, ident):
    """A value of one of our tables that API v1 does not show, as text ("" for NULL)."""
    if not SRV:
        import sqlite3
        c = sqlite3.connect(dsn)
        v = c.execute(f"SELECT {column} FROM {table} WHERE identifier = ?", (ident,)).fetchone()
        c.close()
        return "" if not v or v[0] is None else str(v[0])
    name = dsn.split("dbname=")[-1] if ENGINE == "postgres" else dsn.rsplit("/", 1)[-1]
    table = f"wgportal.{table}" if ENGINE == "postgres" else f"wgp_{table}"
    return SRV.sql(f"SELECT {column} FROM {table} WHERE identifier = '{ident}'", db=name).strip()


def stored_create_default_peer(dsn, iface):
    """CreateDefaultPeer is not in API v1: read our interfaces table."""
    return stored(dsn, "interfaces", "create_default_peer", iface) in ("1", "True")


def check_passkeys(label, authn):
    """alice's passkeys from wg-portal: listed in her profile, and the real one (counter 5 in
    wg-portal) signs her in, its counter kept from then on (docs/auth.md)."""
    c = wgtest.Client(PORT, None, timeout=20)
    origin = {"Origin": f"http://127.0.0.1:{PORT}"}
    rp = "http://localhost:8888"   # web.external_url's default

    def sign_in(bump=1):
        opts = c.call("POST", "/api/v1/auth/webauthn/login/start").json() or {}
        return c.call("POST", "/api/v1/auth/webauthn/login/finish",
                      authn.get(opts, rp, bump=bump), headers=origin)

    r = sign_in()
    T.ok(r.status == 200 and ((r.json() or {}).get("User") or {}).get("Identifier") ==
         "alice@example.com", f"{label}: alice's passkey from wg-portal signs her in", r)
    cookie = next((v.split(";")[0] for k, v in r.headers if k.lower() == "set-cookie"), "")
    lst = c.call("GET", "/api/v1/auth/webauthn/credentials",
                 headers={"Cookie": cookie}).json() or []
    T.eq(sorted((k.get("Name"), k.get("ID")) for k in lst),
         sorted([("Phone", b64u(authn.cred_id)), ("YubiKey 5", "Y3JlZC1hbGljZQ")]),
         f"{label}: her profile lists both passkeys wg-portal had (ids base64url)")
    T.eq(sign_in().status, 200, f"{label}: and again (counter 7)")
    r = sign_in(bump=0)
    T.ok(r.status == 401 and "cloned" in (r.msg or ""),
         f"{label}: a counter that does not grow is refused: the counter is kept", r)


def check_data(label, exp):
    """Everything of the fixture through the API."""
    r = call("GET", "/api/v1/user/all", auth=admin())
    users = {u["Identifier"]: u for u in (r.json() or [])}
    T.eq(sorted(users), sorted(exp["users"]), f"{label}: the users")
    bad = []
    for uid, e in exp["users"].items():
        u = users.get(uid, {})
        got = (u.get("Email"), u.get("IsAdmin"), u.get("Disabled"), u.get("Locked"),
               sorted(u.get("AuthSources") or []), u.get("Firstname"), u.get("Notes"))
        want = (e["email"], e["is_admin"], e["disabled"], e["locked"], e["sources"],
                e["firstname"], e["notes"])
        if got != want:
            bad.append((uid, got, want))
    T.ok(not bad, f"{label}: user fields, login sources (several providers: one source)", bad)

    # passwords (bcrypt $2a$10$) and API tokens (plain, and encrypted in v2.3)
    r = call("POST", "/api/v1/auth/login", {"Username": ADMIN,
                                            "Password": fixture.PASSWORDS[ADMIN][0]})
    T.eq(r.status, 200, f"{label}: wg-portal's bcrypt password logs the admin in")
    r = call("POST", "/api/v1/auth/login", {"Username": "alice@example.com",
                                            "Password": fixture.PASSWORDS["alice@example.com"][0]})
    T.eq(r.status, 200, f"{label}: and alice")
    r = call("POST", "/api/v1/auth/login", {"Username": "alice@example.com",
                                            "Password": "not-her-password"})
    T.eq(r.status, 401, f"{label}: a wrong password does not")
    r = call("POST", "/api/v1/auth/login", {"Username": "dave@example.com",
                                            "Password": fixture.PASSWORDS["dave@example.com"][0]})
    T.eq(r.status, 401, f"{label}: the locked user cannot log in")
    T.eq(call("GET", "/api/v1/interface/all", auth=admin()).status, 200,
         f"{label}: the admin's API token works")
    alice = wgtest.basic("alice@example.com", fixture.TOKENS["alice@example.com"])
    r = call("GET", "/api/v1/interface/all", auth=alice)
    T.eq(r.status, 403, f"{label}: alice's token authenticates (403 = known, not an admin)")
    r = call("GET", "/api/v1/interface/all", auth=wgtest.basic("alice@example.com", "wrong"))
    T.eq(r.status, 401, f"{label}: a wrong token does not")

    bad = []
    for iid, e in exp["ifaces"].items():
        i = call("GET", "/api/v1/interface/by-id/" + q(iid), auth=admin()).json() or {}
        got = (i.get("PrivateKey"), i.get("PublicKey"), i.get("Addresses"), i.get("Disabled"),
               i.get("Mode"), i.get("Dns"), i.get("PeerDefAllowedIPs"), i.get("Backend") or "",
               i.get("FirewallMark"), i.get("DisplayName"))
        want = (e["priv"], e["pub"], e["addrs"], e["disabled"], e["mode"], e["dns"],
                e["allowed"], e["backend"] or "local", e["mark"], e["display"])
        if got != want:
            bad.append((iid, got, want))
    T.ok(not bad, f"{label}: interfaces: keys decrypted, addresses, lists with spaces trimmed",
         bad)

    bad = []
    for pid, e in exp["peers"].items():
        p = call("GET", "/api/v1/peer/by-id/" + q(pid), auth=admin()).json() or {}
        got = (p.get("InterfaceIdentifier"), p.get("UserIdentifier") or "",
               p.get("DisplayName") or "", p.get("PrivateKey") or "",
               p.get("PresharedKey") or "", p.get("Addresses"), p.get("Disabled"),
               (p.get("ExpiresAt") or "")[:10],
               opt(p, "Endpoint", ""), opt(p, "AllowedIPs", []),
               opt(p, "PersistentKeepalive", 0), opt(p, "Mtu", 0),
               p.get("Notes") or "")
        want = (e["iface"], e["user"], e["name"], e["priv"], e["psk"], e["addrs"], e["disabled"],
                e["expires"], e["endpoint"], e["allowed"], e["keepalive"], e["mtu"], e["notes"])
        if got != want:
            bad.append((pid[:8], got, want))
    T.ok(not bad, f"{label}: peers: ConfigOption <prefix>v/<prefix>o, secrets, addresses, "
         "expiry", bad)

    r = call("GET", "/api/v1/audit/all?per_page=200", auth=admin())
    entries = r.json() or []
    if isinstance(entries, dict):
        entries = entries.get("Items") or entries.get("items") or []
    mine = [(a.get("User"), a.get("Severity"), a.get("Origin"), a.get("Message"),
             a.get("CreatedAt")) for a in entries]
    want = [(a["user"], a["severity"], a["origin"], a["message"], utc(a["created"]))
            for a in exp["audit"]]
    T.ok(all(w in mine for w in want), f"{label}: audit entries with their times", mine[-5:])


def start(d, cfg):
    d.truncate_log()
    return d.start(cfg, PORT, timeout=40)


def refused(label, cfg, d, tmp, want):
    """The daemon must exit with a message containing want, changing nothing."""
    binary = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
    p = subprocess.run([binary, "--config", cfg], capture_output=True, text=True, timeout=60,
                       cwd=tmp)
    T.ok(p.returncode != 0 and want in p.stderr + p.stdout, f"{label}: refused to start "
         f"({want})", (p.returncode, (p.stderr + p.stdout)[-600:]))
    return p


def test_profile(profile, passphrase):
    tmp = tempfile.mkdtemp(prefix=f"wgpt-{profile}-")
    d = wgtest.Daemon(tmp, f"takeover-{ENGINE}-{profile}")
    db = Db(tmp, profile.replace(".", ""))
    authn = Authenticator("es256") if fixture.has(profile, "v2.1") else None
    if authn:
        exp = db.load(profile, passphrase, passkey=authn.wgportal_credential(5))
        authn.handle = b64u(b"webauthn-alice")   # the fixture's webauthn_id, decoded
    else:
        exp = db.load(profile, passphrase)
    before = db.snapshot()
    cfg = config(tmp, db.dsn, passphrase)
    label = f"{profile} (schema {exp['schema']})"
    try:
        if not T.ok(start(d, cfg), f"{label}: the daemon starts on wg-portal's database",
                    d.log()[-2000:]):
            return
        check_data(label, exp)
        if authn:
            check_passkeys(label, authn)
    finally:
        d.check_end(T, label, secrets=(passphrase, fixture.TOKENS[ADMIN]))
    # the logins of check_data replaced the bcrypt hashes they proved, and only those
    hashes = {u: stored(db.dsn, "users", "password_hash", u)
              for u in (ADMIN, "alice@example.com", "dave@example.com")}
    T.ok(hashes[ADMIN].startswith("$argon2id$") and
         hashes["alice@example.com"].startswith("$argon2id$") and
         hashes["dave@example.com"].startswith("$2"),
         f"{label}: a login with the right password upgrades its bcrypt hash to argon2id "
         "(the locked user's, never proved, stays)", {k: v[:10] for k, v in hashes.items()})
    got = {i: stored_create_default_peer(db.dsn, i) for i in IFNAMES}
    T.eq(got, {i: exp["ifaces"][i]["cdp"] for i in IFNAMES},
         f"{label}: create_default_peer (a later column: NULL in rows not saved since = false)")
    T.ok("took over wg-portal's" in d.log(), f"{label}: the take-over is logged", d.log()[-800:])
    if SRV:
        T.eq(db.snapshot(), before, f"{label}: wg-portal's tables are unchanged")
    else:
        bak = db.path + ".wg-portal-v2.bak"
        with open(bak, "rb") as f:
            T.eq(hashlib.sha256(f.read()).hexdigest(), before,
                 f"{label}: the original file is kept byte for byte as the backup")
        T.ok(not os.path.exists(db.path + ".wgportal-new"), f"{label}: no copy left behind")
    # the second start takes nothing over again
    try:
        T.ok(start(d, cfg), f"{label}: restarts", d.log()[-1500:])
        r = call("GET", "/api/v1/user/all", auth=admin())
        T.eq(len(r.json() or []), len(exp["users"]), f"{label}: restart: nothing imported twice")
    finally:
        d.check_end(T, f"{label} restart", secrets=(passphrase,))
    T.ok("took over" not in d.log(), f"{label}: restart: no second take-over", d.log()[-600:])
    shutil.rmtree(tmp, ignore_errors=True)


def listing(path):
    return sorted(os.listdir(os.path.dirname(path)))


def test_bad_input():
    tmp = tempfile.mkdtemp(prefix="wgpt-bad-")
    d = wgtest.Daemon(tmp, f"takeover-{ENGINE}-bad")
    cases = [("wrong passphrase", "v2.3", {}, "wrong passphrase 99",
              "database.encryption_passphrase does not decrypt wg-portal's secrets"),
             ("no passphrase", "v2.3", {}, "",
              "holds encrypted secrets (WG_ENC_): set database.encryption_passphrase"),
             ("schema version 5", "v2.3", {"schema_version": 5}, PASS,
              "schema version 5: not supported")]
    for label, profile, kw, passphrase, want in cases:
        db = Db(tmp, re.sub(r"\W", "", label)[:10])
        db.load(profile, PASS, **kw)
        before = db.snapshot()
        files = listing(db.path) if not SRV else None
        refused(label, config(tmp, db.dsn, passphrase), d, tmp, want)
        T.eq(db.snapshot(), before, f"{label}: wg-portal's data unchanged")
        if SRV:
            T.ok(not db.ours_exists(), f"{label}: nothing of ours was created")
        else:
            T.eq(listing(db.path), files, f"{label}: no file was created or renamed")
    shutil.rmtree(tmp, ignore_errors=True)


def migrate(cfg, src_type, src_dsn):
    binary = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
    return subprocess.run([binary, "--config", cfg, "--migrate-from", src_type, src_dsn],
                          capture_output=True, text=True, timeout=300)


def test_migrate_from():
    tmp = tempfile.mkdtemp(prefix="wgpt-mf-")
    d = wgtest.Daemon(tmp, f"takeover-{ENGINE}-migrate-from")
    src = os.path.join(tmp, "wg-portal.db")
    st, exp = fixture.build("sqlite", "v2.3", PASS, ifnames=IFNAMES, peers=1200)
    fixture.load("sqlite", st, src)
    with open(src, "rb") as f:
        before = hashlib.sha256(f.read()).hexdigest()
    # destination: a fresh database of this engine
    if SRV:
        name = f"wgpm_{TAG}"
        SRV.create_db(name)
        dst = SRV.dsn_template() % name
    else:
        dst = os.path.join(tmp, "dest.db")
    cfg = config(tmp, dst)
    p = migrate(cfg, "sqlite", src)
    T.ok(p.returncode == 0 and "verification: every count matches" in p.stdout,
         f"--migrate-from sqlite (wg-portal v2.3) into {ENGINE}: counts verified",
         (p.returncode, p.stdout[-800:], p.stderr[-800:]))
    T.ok(re.search(r"peers\s+1203\s+1203", p.stdout) and "copying peers: 1000 of 1203" in p.stderr,
         "progress on stderr, per-table counts on stdout", (p.stdout[-600:], p.stderr[-400:]))
    with open(src, "rb") as f:
        T.eq(hashlib.sha256(f.read()).hexdigest(), before, "the source file is unchanged")
    T.ok(PASS not in p.stdout + p.stderr and dbservers.PASSWORD not in p.stdout + p.stderr,
         "no passphrase or DSN password in the output")
    p = migrate(cfg, "sqlite", src)
    T.ok(p.returncode != 0 and "already holds" in p.stderr,
         "a second run into the now non-empty destination is refused", p.stderr[-400:])

    # ours (this engine) -> ours (a fresh SQLite file): any two engines
    copy = os.path.join(tmp, "copy.db")
    cfg2 = config(tmp, copy, engine="sqlite")
    p = migrate(cfg2, ENGINE, dst)
    T.ok(p.returncode == 0 and "wgportal (schema" in p.stdout and
         "verification: every count matches" in p.stdout,
         f"--migrate-from {ENGINE} (ours) into sqlite: counts verified",
         (p.returncode, p.stdout[-800:], p.stderr[-600:]))
    try:
        if T.ok(start(d, cfg2), "the daemon starts on the copy", d.log()[-1500:]):
            exp["peers"] = {k: v for k, v in list(exp["peers"].items())[:3]}
            check_data("copy of the copy", exp)
    finally:
        d.check_end(T, "copy of the copy", secrets=(PASS,))
    # a wrong passphrase opens nothing: the destination stays empty
    wrong = os.path.join(tmp, "wrong.db")
    p = migrate(config(tmp, wrong, passphrase="not the passphrase", engine="sqlite"), ENGINE, dst)
    T.ok(p.returncode != 0 and "database.encryption_passphrase" in p.stderr,
         "ours -> ours with a wrong passphrase is refused", p.stderr[-400:])
    p = migrate(config(tmp, os.path.join(tmp, "x.db"), engine="sqlite"), "mssql", "x")
    T.ok(p.returncode != 0 and "supported types: sqlite, postgres, mysql" in p.stderr,
         "--migrate-from mssql names the supported types", p.stderr[-300:])
    shutil.rmtree(tmp, ignore_errors=True)


def main(ns):
    print(f"# engine: {ENGINE}")
    for profile, passphrase in (("v2.0", ""), ("v2.1", PASS), ("v2.2.0", PASS), ("v2.3", PASS)):
        T.section(f"take-over {profile}", test_profile, profile, passphrase)
    T.section("bad input", test_bad_input)
    T.section("--migrate-from", test_migrate_from)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpt", main, iface_prefixes=("wgt{pid}",), timeout=900))
