#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What an admin touches, as in wg-portal (issue 13): lifecycle, defaults, self-service, and
generated files that the WireGuard tools accept.

Starts the real daemon in a private network namespace "wgpl<pid>" (local backend with
wireguard-go, loopback only) and checks, each numbered like the issue's items:
  1 expiry: an expired peer is disabled (reason "expired"), leaves the device, audit "system";
  2 config keys: default peers (user creation, login, interface creation, the explicit
    action), advanced.config_storage_path (written 0600, rewritten, removed), the interface
    config endpoint, web.frontend_filepath, the "not supported yet" log lines, a bare 0;
  3 a peer made with the owner's public key: no private key line, a marked placeholder;
  4 no empty value lines: `wg-quick strip` + `wg setconf` accept every generated file;
  5 changing the own password (current password, ends other sessions);
  6 the audit log names the acting user (or "system") and display names, users recorded;
  7 self-service: the interfaces a user may use, editing and deleting own peers;
  8 the peer search matches the user column;
and the missing wg-portal actions "add multiple peers" and "apply peer defaults".

The plumbing is tests/lib/wgtest.py. Output is TAP; exit status 1 on any failure.
WGPORTAL_BIN overrides the binary (run-all passes build/san/wgportal too).
"""
import datetime
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q, wait_for  # noqa: E402

PORT = 18871
TAG = wgtest.tag()
IF_A = f"wgl{TAG}a"          # server interface: SaveConfig, default peers, no endpoint
IF_B = f"wgl{TAG}b"          # client interface: never offered to users
SCRATCH = f"wgl{TAG}s"       # plain wireguard-go device for `wg setconf` checks
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Passw0rd-Lifecycle!"
ADMIN_TOKEN = "T0k3nLifecycleAdminAbcdefghijkl"
BOB_TOKEN = "b0b-lifecycle-token-0123456789ab"
BOB_PW = "B0b-Lifecycle-Passw0rd-1"
BOB_PW2 = "B0b-Lifecycle-Passw0rd-2"
USER_PW = "Us3r-Lifecycle-Passw0rd"
COOKIE = "wgplSess"

T = wgtest.Tap()
MAIN = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)
BOB = basic("bob", BOB_TOKEN)
WAIT = 20   # seconds for background work (the ASan build is slow)


def api(method, path, body=None, **kw):
    return MAIN.api(method, path, body, **kw)


def call(method, path, body=None, **kw):
    return MAIN.call(method, path, body, **kw)


def sh(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, timeout=60)


# ---------------------------------------------------------------- sessions

class Session:
    def __init__(self, sid, csrf):
        self.sid, self.csrf = sid, csrf

    def req(self, method, path, body=None):
        h = {"Cookie": f"{COOKIE}={self.sid}"}
        if method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        return api(method, path, body, auth=None, headers=h)


def login(user, pw):
    # as a browser does: the login carries its same-origin Origin (login CSRF check)
    r = api("POST", "/auth/login", {"Username": user, "Password": pw}, auth=None,
            headers={"Origin": f"http://127.0.0.1:{PORT}"})
    if r.status != 200:
        return r, None
    cookie = (r.header("Set-Cookie") or "").split(";")[0]
    return r, Session(cookie.partition("=")[2], (r.json() or {}).get("CsrfToken", ""))


# ---------------------------------------------------------------- helpers

def peers_of(iface):
    return api("GET", "/peer/by-interface/" + q(iface)).json() or []


def new_peer(iface, name, user="", **extra):
    prep = api("GET", "/peer/prepare/" + q(iface)).json() or {}
    prep.update(DisplayName=name, UserIdentifier=user, **extra)
    r = api("POST", "/peer/new", prep)
    T.ok(r.status == 200, f"setup: peer '{name}' on {iface}", r)
    return r.json() or prep


def device_peers(iface):
    return sh("wg", "show", iface, "peers").stdout.decode()


def audit_rows(filter_text):
    return api("GET", "/audit/all?per_page=1000&filter=" + q(filter_text)).json() or []


def wg_tools_accept(text, label):
    """`wg-quick strip` and then `wg setconf` on a scratch device take the file as it is."""
    d = tempfile.mkdtemp(prefix="wgpl-conf-")
    path = os.path.join(d, "wgt0.conf")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    s = sh("wg-quick", "strip", path)
    ok = s.returncode == 0
    detail = s.stderr.decode()
    if ok:
        # the real device holds the file's port; the scratch device checks the syntax only
        with open(os.path.join(d, "stripped"), "wb") as f:
            f.write(re.sub(rb"(?m)^ListenPort = .*\n", b"", s.stdout))
        w = sh("wg", "setconf", SCRATCH, os.path.join(d, "stripped"))
        ok, detail = w.returncode == 0, w.stderr.decode()
    shutil.rmtree(d, ignore_errors=True)
    empty = [x for x in text.splitlines() if re.match(r"^[A-Za-z]+\s*=\s*$", x)]
    T.ok(ok and not empty, f"{label}: wg-quick strip + wg setconf accept it, no empty value line",
         detail + "\n" + "\n".join(empty) + "\n" + text[-600:])


# ---------------------------------------------------------------- daemon

def write_config(tmp):
    database = wgtest.database_yaml(tmp, "  slow_query_threshold: 0\n")
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""  self_provisioning_allowed: true
  create_default_peer_on_user_creation: true
  create_default_peer_on_login: true
advanced:
  start_cidr_v4: 10.214.0.0/24
  use_ip_v6: false
  start_listen_port: 51960
  expiry_check_interval: 1s
  config_storage_path: {tmp}/conf/wg
backend:
  local_resolvconf_prefix: "tun."
{database}web:
  listening_address: 127.0.0.1:{PORT}
  session_identifier: {COOKIE}
  session_secret: not-used-by-wg-portal-either
  csrf_secret: not-used-by-wg-portal-either
  frontend_filepath: {tmp}/ui
""")


# ---------------------------------------------------------------- sections

def test_config_notes(d, tmp):
    log = d.log()
    T.ok("'database.slow_query_threshold': a bare 0 is taken as" in log,
         "item 2: a bare 0 duration is taken as \"0\" with a warning", log[-2000:])
    lines = [x for x in log.splitlines() if "is not supported yet" in x]
    T.ok(sum("backend.local_resolvconf_prefix" in x for x in lines) == 1,
         "item 2: a key not acted on is logged once as 'not supported yet'", lines)
    quiet = ("advanced.config_storage_path", "advanced.expiry_check_interval",
             "database.slow_query_threshold", "web.frontend_filepath", "web.session_secret",
             "web.csrf_secret", "core.create_default_peer")
    T.ok(not [x for x in lines if any(k in x for k in quiet)],
         "item 2: implemented keys and wg-portal's inert secrets are not 'not supported'", lines)

    idx = os.path.join(tmp, "ui", "index.html")
    T.ok(os.path.isfile(idx), "item 2: web.frontend_filepath: the embedded UI was copied there")
    with open(os.path.join(tmp, "ui", "custom.txt"), "w") as f:
        f.write("served from disk\n")
    r = call("GET", "/custom.txt", auth=None)
    T.ok(r.status == 200 and r.body == b"served from disk\n",
         "item 2: web.frontend_filepath: files are served from that folder", r)


def test_default_peers_and_files(st, tmp):
    prep = api("GET", "/interface/prepare").json() or {}
    T.ok(prep.get("CreateDefaultPeer") is True and prep.get("SaveConfig") is True,
         "prepare: CreateDefaultPeer and SaveConfig preset from the config (spec 3.2)", prep)
    prep.update(Identifier=IF_A, DisplayName="Lifecycle A", PeerDefEndpoint="")
    r = api("POST", "/interface/new", prep)
    T.ok(r.status == 200 and (r.json() or {}).get("CreateDefaultPeer") is True,
         "create server interface A (no endpoint for peers)", r)
    st["a"] = r.json() or {}
    got = wait_for(lambda: [p for p in peers_of(IF_A) if p.get("UserIdentifier") == ADMIN], WAIT)
    T.ok(got and got[0]["DisplayName"].startswith("Default Peer ")
         and got[0].get("Notes") == f"Default peer created for user {ADMIN}",
         "item 2: interface creation makes default peers for existing users (spec 3.9)", got)

    r = api("POST", "/user/new", {"Identifier": "dora", "Password": USER_PW})
    T.eq(r.status, 200, "create user dora")
    got = wait_for(lambda: [p for p in peers_of(IF_A) if p.get("UserIdentifier") == "dora"], WAIT)
    T.ok(got and got[0]["DisplayName"] == "Default Peer " + got[0]["Identifier"][:8],
         "item 2: user creation makes a default peer (create_default_peer_on_user_creation)",
         peers_of(IF_A))
    st["dora_peer"] = (got or [{}])[0]

    r = api("POST", "/user/new", {"Identifier": "erin", "Password": USER_PW, "Locked": True})
    T.eq(r.status, 200, "create user erin, locked")
    time.sleep(1.5)
    T.ok(not [p for p in peers_of(IF_A) if p.get("UserIdentifier") == "erin"],
         "item 2: a locked user gets no default peer")
    erin = api("GET", "/user/by-id/erin").json() or {}
    T.eq(api("PUT", "/user/by-id/erin", dict(erin, Locked=False)).status, 200, "unlock erin")
    r, _ = login("erin", USER_PW)
    T.eq(r.status, 200, "erin logs in")
    got = wait_for(lambda: [p for p in peers_of(IF_A) if p.get("UserIdentifier") == "erin"], WAIT)
    T.ok(got, "item 2: a web login of a user without peers makes a default peer "
         "(create_default_peer_on_login)", peers_of(IF_A))

    r = api("POST", f"/interface/by-id/{q(IF_A)}/create-default-peers")
    T.ok(r.status == 200 and (r.json() or {}).get("Created") == 0,
         "create-default-peers action: every eligible user has one already (0 created)", r)
    api("POST", "/user/new", {"Identifier": "fred", "Password": USER_PW})
    fred_peers = wait_for(lambda: [p for p in peers_of(IF_A) if p.get("UserIdentifier") == "fred"],
                          WAIT) or []
    for p in fred_peers:
        api("DELETE", "/peer/by-id/" + q(p["Identifier"]))
    r = api("POST", f"/interface/by-id/{q(IF_A)}/create-default-peers")
    T.ok(r.status == 200 and (r.json() or {}).get("Created") == 1
         and [p for p in peers_of(IF_A) if p.get("UserIdentifier") == "fred"],
         "create-default-peers action: the user who lost theirs gets a new one", r)

    # item 2: advanced.config_storage_path
    path = os.path.join(tmp, "conf", "wg", IF_A + ".conf")
    keys = [p["PublicKey"] for p in peers_of(IF_A)]
    ok = wait_for(lambda: os.path.exists(path) and all(k in open(path).read() for k in keys), WAIT)
    T.ok(ok, "item 2: config_storage_path: <id>.conf written with every peer", path)
    if ok:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        T.eq(oct(mode), oct(0o600), "config_storage_path: the file is 0600 (it holds the key)")
        text = open(path).read()
        T.ok("# -WGP- Interface: " + IF_A in text and "SaveConfig = true" in text
             and "PrivateKey = " + st["a"]["PrivateKey"] in text,
             "config_storage_path: the interface file of spec 4.7", text[:800])
        wg_tools_accept(text, "item 4: the stored interface file")
        r = api("GET", f"/interface/by-id/{q(IF_A)}/config")
        T.ok(r.status == 200 and r.header("Content-Type") == "text/plain"
             and r.body.decode() == text, "GET /interface/by-id/{id}/config: the same file", r)
    p = new_peer(IF_A, "File Peer")
    T.ok(wait_for(lambda: os.path.exists(path) and p["PublicKey"] in open(path).read(), WAIT),
         "config_storage_path: a new peer rewrites the file")
    api("PUT", "/peer/by-id/" + q(p["Identifier"]), dict(p, Disabled=True))
    T.ok(wait_for(lambda: p["PublicKey"] not in open(path).read(), WAIT),
         "config_storage_path: a disabled peer leaves the file")
    api("DELETE", "/peer/by-id/" + q(p["Identifier"]))


def test_generated_files(st):
    # item 4: the interface has no "Endpoint for peers"
    dora = st["dora_peer"]
    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(dora["Identifier"]))
    text = r.body.decode()
    T.ok(r.status == 200 and "Endpoint" not in text and "\nPrivateKey = " in text,
         "item 4: no 'Endpoint = ' line when the interface has no endpoint for peers", text)
    wg_tools_accept(text, "item 4: peer config without endpoint")

    # ?style=raw (spec 4.2): only what `wg setconf` reads, so it takes the file unstripped
    r = api("GET", "/provisioning/data/peer-config?style=raw&PeerId=" + q(dora["Identifier"]))
    raw = r.body.decode()
    T.ok(r.status == 200 and raw.splitlines()[1] == "# This file uses raw format."
         and not re.search(r"^(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown)\b", raw, re.M)
         and raw.split("[Peer]")[1] == text.split("[Peer]")[1],
         "style=raw: no wg-quick-only line, the [Peer] section as in wg-quick style", raw)
    d = tempfile.mkdtemp(prefix="wgpl-raw-")
    with open(os.path.join(d, "raw.conf"), "w") as f:
        f.write(raw)
    w = sh("wg", "setconf", SCRATCH, os.path.join(d, "raw.conf"))
    shutil.rmtree(d, ignore_errors=True)
    T.ok(w.returncode == 0, "style=raw: `wg setconf` takes the file as it is", w.stderr)
    qr = api("GET", "/provisioning/data/peer-qr?style=raw&PeerId=" + q(dora["Identifier"]))
    T.ok(qr.status == 200 and qr.body[:4] == b"\x89PNG", "style=raw: its QR code renders")
    r = api("GET", "/provisioning/data/peer-config?style=ini&PeerId=" + q(dora["Identifier"]))
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "style",
         "an unknown style: 400 naming style", r)

    # item 3: a peer created with the owner's public key
    pub = (api("GET", "/peer/prepare/" + q(IF_A)).json() or {}).get("PublicKey")
    r = api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": IF_A, "PublicKey": pub})
    T.ok(r.status == 200 and (r.json() or {}).get("PrivateKey") == "",
         "item 3: new-peer with the owner's public key stores no private key", r)
    text = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pub)).body.decode()
    T.ok(not re.search(r"^PrivateKey", text, re.M)
         and re.search(r"^# PrivateKey = <.*insert it here", text, re.M),
         "item 3: its config has a clearly marked placeholder, no 'PrivateKey = ' line", text)
    wg_tools_accept(text, "item 3: config with the private-key placeholder")
    qr = api("GET", "/provisioning/data/peer-qr?PeerId=" + q(pub))
    T.ok(qr.status == 200 and qr.body[:4] == b"\x89PNG", "item 3: its QR code renders")
    api("DELETE", "/peer/by-id/" + q(pub))


def test_multi_and_defaults(st):
    for u in ("gus", "hal"):
        api("POST", "/user/new", {"Identifier": u, "Password": USER_PW})
    r = api("POST", f"/peer/multiplenew/{q(IF_A)}", {"Identifiers": ["gus", "hal"],
                                                     "Prefix": "Team"})
    j = r.json() or []
    T.ok(r.status == 200 and len(j) == 2 and [p["UserIdentifier"] for p in j] == ["gus", "hal"]
         and all(p["DisplayName"] == "Team Peer " + p["Identifier"][:8] for p in j)
         and j[0]["Addresses"] != j[1]["Addresses"],
         "add multiple peers: one per user, prefix, distinct addresses", j)
    r = api("POST", "/peer/multiplenew/nosuch", {"Identifiers": ["gus"]})
    T.eq(r.status, 404, "add multiple peers on an unknown interface: 404")
    r = api("POST", f"/peer/multiplenew/{q(IF_A)}", {"Identifiers": ["nobody-here"]})
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "UserIdentifier",
         "add multiple peers for a user that does not exist: 400 (owners must exist)", r)
    r = api("POST", f"/peer/multiplenew/{q(IF_A)}", {"Identifiers": []})
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "Identifiers",
         "add multiple peers without users: 400 naming Identifiers", r)

    pinned = dict(j[0], Endpoint={"Value": "pinned.example:1", "Overridable": False})
    T.eq(api("PUT", "/peer/by-id/" + q(pinned["Identifier"]), pinned).status, 200,
         "pin one peer's endpoint (Overridable false)")
    ifc = api("GET", "/interface/by-id/" + q(IF_A)).json() or {}
    ifc.update(PeerDefEndpoint="vpn.lifecycle.example", PeerDefDns=["10.214.0.1"])
    T.eq(api("PUT", "/interface/by-id/" + q(IF_A), ifc).status, 200, "new peer defaults")
    r = api("POST", f"/interface/by-id/{q(IF_A)}/apply-peer-defaults")
    n = (r.json() or {}).get("Changed")
    peers = {p["Identifier"]: p for p in peers_of(IF_A)}
    other = peers.get(j[1]["Identifier"], {})
    mine = peers.get(j[0]["Identifier"], {})
    T.ok(r.status == 200 and n == len(peers)
         and other.get("Endpoint", {}).get("Value") == "vpn.lifecycle.example:51960"
         and other.get("Dns", {}).get("Value") == ["10.214.0.1"]
         and mine.get("Endpoint", {}).get("Value") == "pinned.example:1"
         and mine.get("Dns", {}).get("Value") == ["10.214.0.1"],
         "apply peer defaults: copies into Overridable fields only", (r, other, mine))
    ifc["PeerDefEndpoint"] = ""
    api("PUT", "/interface/by-id/" + q(IF_A), ifc)
    test_concurrent_allocation()


def test_concurrent_allocation():
    """Server-allocated addresses under concurrency: each new user's default peer is made by a
    background job while six "add multiple peers" run at once. Every request gets the next
    free address instead of a 409 for an address another creation took after its prepare."""
    import threading
    users = [f"conc{i}" for i in range(12)]
    before = {p["Identifier"] for p in peers_of(IF_A)}
    results = []

    def multi(pair):
        results.append(api("POST", f"/peer/multiplenew/{q(IF_A)}", {"Identifiers": pair}))
    for u in users:
        api("POST", "/user/new", {"Identifier": u, "Password": USER_PW})
    threads = [threading.Thread(target=multi, args=(users[i:i + 2],))
               for i in range(0, len(users), 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    T.ok(all(r.status == 200 for r in results) and len(results) == 6,
         "6 concurrent 'add multiple peers' beside the default-peer jobs: all 200",
         [r for r in results if r.status != 200])
    # a user's default-peer job may have run before or after its multi peer (after it, the
    # user already has a peer there and gets none): one or two peers per user
    new = [p for p in peers_of(IF_A) if p["Identifier"] not in before]
    per_user = {u: sum(p["UserIdentifier"] == u for p in new) for u in users}
    addrs = [a for p in peers_of(IF_A) for a in p["Addresses"]]
    T.ok(all(1 <= n <= 2 for n in per_user.values()) and len(addrs) == len(set(addrs)),
         "every concurrently created peer has its own address", (per_user, sorted(addrs)))
    # two prepares before either create hand out the same next free address (as wg-portal);
    # posted back unchanged, the second create gets the next free one instead of a 409
    pa = api("GET", "/peer/prepare/" + q(IF_A)).json() or {}
    pb = api("GET", "/peer/prepare/" + q(IF_A)).json() or {}
    T.ok(pa.get("Addresses") and pa.get("Addresses") == pb.get("Addresses"),
         "two prepares at once: the same address", (pa.get("Addresses"), pb.get("Addresses")))
    ra, rb = api("POST", "/peer/new", pa), api("POST", "/peer/new", pb)
    ja, jb = ra.json() or {}, rb.json() or {}
    T.ok(ra.status == 200 and rb.status == 200 and ja.get("Addresses") == pa["Addresses"]
         and jb.get("Addresses") and jb["Addresses"] != pa["Addresses"],
         "both created unchanged: the second gets the next free address", (ra, rb))
    # addresses the client chose (not the prepared ones) keep wg-portal's answer
    pc = api("GET", "/peer/prepare/" + q(IF_A)).json() or {}
    rc = api("POST", "/peer/new", dict(pc, Addresses=jb.get("Addresses")))
    T.ok(rc.status == 409 and (rc.json() or {}).get("Field") == "Addresses",
         "a prepared peer whose addresses the client changed to a taken one: 409", rc)
    for p in (ja, jb):
        api("DELETE", "/peer/by-id/" + q(p.get("Identifier", "")))
    # users first: a default-peer job still pending then finds no owner and creates nothing
    for u in users:
        api("DELETE", "/user/by-id/" + q(u))
    for p in peers_of(IF_A):
        if p["Identifier"] not in before:
            api("DELETE", "/peer/by-id/" + q(p["Identifier"]))


def test_expiry(st):
    yesterday = (datetime.datetime.now(datetime.timezone.utc).date()
                 - datetime.timedelta(days=1)).isoformat()
    tomorrow = (datetime.datetime.now(datetime.timezone.utc).date()
                + datetime.timedelta(days=2)).isoformat()
    old = new_peer(IF_A, "Expired Laptop", ExpiresAt=yesterday)
    fresh = new_peer(IF_A, "Valid Laptop", ExpiresAt=tomorrow)

    def expired():
        p = api("GET", "/peer/by-id/" + q(old["Identifier"])).json() or {}
        return p if p.get("Disabled") else None
    p = wait_for(expired, WAIT)
    T.ok(p and p.get("DisabledReason") == "expired" and p.get("ExpiresAt") == yesterday,
         "item 1: the sweep disables an expired peer with reason 'expired'", p)
    T.ok(wait_for(lambda: old["PublicKey"] not in device_peers(IF_A), WAIT),
         "item 1: the expired peer is taken off the device")
    f = api("GET", "/peer/by-id/" + q(fresh["Identifier"])).json() or {}
    T.ok(not f.get("Disabled") and fresh["PublicKey"] in device_peers(IF_A),
         "item 1: a peer that expires later stays enabled and on the device", f)
    rows = [a for a in audit_rows("Expired Laptop") if "expired" in a.get("Message", "")]
    T.ok(rows and rows[0].get("User") == "system",
         "item 1/6: the sweep's audit entry names 'system' and the display name", rows)
    again = dict(api("GET", "/peer/by-id/" + q(old["Identifier"])).json() or {}, Disabled=False,
                 DisabledReason="")
    T.eq(api("PUT", "/peer/by-id/" + q(old["Identifier"]), again).status, 200,
         "re-enable the expired peer")
    T.ok(wait_for(expired, WAIT), "item 1: re-enabling a still-expired peer lasts until the "
         "next sweep (spec 3.7)")
    api("DELETE", "/peer/by-id/" + q(old["Identifier"]))
    api("DELETE", "/peer/by-id/" + q(fresh["Identifier"]))


def test_audit():
    p = new_peer(IF_A, "Audit Peer")
    pid = p["Identifier"]
    api("PUT", "/peer/by-id/" + q(pid), dict(p, Disabled=True, DisabledReason="holiday"))
    api("PUT", "/peer/by-id/" + q(pid), dict(p, Disabled=False))
    api("DELETE", "/peer/by-id/" + q(pid))
    rows = audit_rows("'Audit Peer'")
    msgs = [a.get("Message", "") for a in rows]
    want = ["created on", "disabled (holiday)", "enabled", "deleted from"]
    T.ok(all(any(w in m for m in msgs) for w in want) and all(a.get("User") == ADMIN
                                                              for a in rows),
         "item 6: peer create/disable/enable/delete recorded with the acting user and the "
         "display name", rows)
    T.ok(all(pid not in m for m in msgs), "item 6: messages name the peer, not its full key",
         msgs)
    api("POST", "/user/new", {"Identifier": "ivy", "Password": USER_PW})
    ivy = api("GET", "/user/by-id/ivy").json() or {}
    api("PUT", "/user/by-id/ivy", dict(ivy, Disabled=True))
    api("PUT", "/user/by-id/ivy", dict(ivy, Disabled=False))
    api("DELETE", "/user/by-id/ivy")
    msgs = [(a.get("User"), a.get("Message", "")) for a in audit_rows("user ivy")]
    T.ok(all(any(w in m for _, m in msgs) for w in ("created", "disabled", "enabled", "deleted"))
         and all(u == ADMIN for u, _ in msgs),
         "item 6: user create/disable/enable/delete recorded with the acting user", msgs)
    ifc_rows = [a for a in audit_rows(IF_A) if a.get("Origin") == "interface"]
    T.ok(ifc_rows and all(a.get("User") == ADMIN for a in ifc_rows),
         "item 6: interface entries name the acting user", ifc_rows)


def test_self_service(st):
    r = api("POST", "/user/new", {"Identifier": "bob", "Password": BOB_PW, "ApiToken": BOB_TOKEN})
    T.eq(r.status, 200, "create bob")
    prep = api("GET", "/interface/prepare").json() or {}
    prep.update(Identifier=IF_B, Mode="client", CreateDefaultPeer=False)
    T.eq(api("POST", "/interface/new", prep).status, 200, "create client interface B")
    _, bob = login("bob", BOB_PW)
    r = bob.req("GET", "/user/by-id/bob/interfaces")
    j = r.json() or []
    T.ok(r.status == 200 and [i.get("Identifier") for i in j] == [IF_A]
         and all(set(i) == {"Identifier", "DisplayName", "Mode", "Disabled"} for i in j),
         "item 7: the interfaces bob may use: server interfaces, public fields only", j)
    T.eq(bob.req("GET", "/user/by-id/" + q(ADMIN) + "/interfaces").status, 403,
         "item 7: another user's interface list: 403")
    r = bob.req("POST", "/provisioning/new-peer", {"InterfaceIdentifier": IF_A,
                                                   "DisplayName": "Bob Phone"})
    T.eq(r.status, 200, "bob provisions a peer on A")
    mine = r.json() or {}
    edit = dict(mine, DisplayName="Bob Tablet", AllowedIPs={"Value": ["0.0.0.0/0"]},
                Addresses=["10.214.0.250/32"])
    r = bob.req("PUT", "/peer/by-id/" + q(mine["Identifier"]), edit)
    got = r.json() or {}
    T.ok(r.status == 200 and got.get("DisplayName") == "Bob Tablet"
         and got.get("Addresses") == mine["Addresses"]
         and got.get("AllowedIPs") == mine["AllowedIPs"],
         "item 7: bob edits his own peer: name taken, fields wg-portal does not let users edit "
         "ignored", got)
    r = bob.req("PUT", "/peer/by-id/" + q(st["dora_peer"]["Identifier"]),
                dict(st["dora_peer"], DisplayName="mine now"))
    T.ok(r.status == 403 and (r.json() or {}).get("Message") == "no permission",
         "item 7: another user's peer: 403 no permission", r)
    T.eq(bob.req("DELETE", "/peer/by-id/" + q(st["dora_peer"]["Identifier"])).status, 403,
         "item 7: deleting another user's peer: 403")
    T.eq(bob.req("DELETE", "/peer/by-id/" + q(mine["Identifier"])).status, 204,
         "item 7: bob deletes his own peer")
    T.eq(api("GET", "/peer/by-id/" + q(mine["Identifier"])).status, 404, "it is gone")
    st["bob_session"] = bob


def test_password(st):
    s1 = st["bob_session"]
    _, s2 = login("bob", BOB_PW)
    path = "/user/by-id/bob/change-password"
    r = s1.req("POST", path, {"OldPassword": "wrong-password-123", "Password": BOB_PW2})
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "OldPassword",
         "item 5: a wrong current password: 400 naming OldPassword", r)
    r = s1.req("POST", path, {"OldPassword": BOB_PW, "Password": "short"})
    T.ok(r.status == 400 and "too short" in ((r.json() or {}).get("Message") or ""),
         "item 5: a short new password: 400", r)
    r = s1.req("POST", path, {"OldPassword": BOB_PW, "Password": BOB_PW2,
                              "PasswordRepeat": BOB_PW2 + "x"})
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "PasswordRepeat",
         "item 5: repeat differs: 400", r)
    T.eq(s1.req("POST", "/user/by-id/" + q(ADMIN) + "/change-password",
                {"OldPassword": BOB_PW, "Password": BOB_PW2}).status, 403,
         "item 5: another user's password: 403")
    r = s1.req("POST", path, {"OldPassword": BOB_PW, "Password": BOB_PW2,
                              "PasswordRepeat": BOB_PW2})
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "bob",
         "item 5: change the own password with the current one", r)
    T.eq(s2.req("GET", "/auth/session").status, 401, "item 5: the other session ended")
    T.eq(s1.req("GET", "/auth/session").status, 200, "item 5: this session stays")
    T.eq(login("bob", BOB_PW)[0].status, 401, "item 5: the old password no longer works")
    T.eq(login("bob", BOB_PW2)[0].status, 200, "item 5: the new one does")
    T.ok(any(a.get("User") == "bob" for a in audit_rows("password changed")),
         "item 5/6: the change is in the audit log under bob")
    r = api("POST", path, {"OldPassword": BOB_PW2, "Password": BOB_PW}, auth=BOB)
    T.eq(r.status, 200, "item 5: also with the API token (Basic auth)")


def test_search():
    r = api("GET", f"/peer/by-interface/{q(IF_A)}?filter=dora")
    j = r.json() or []
    T.ok(r.status == 200 and j and all(p["UserIdentifier"] == "dora" for p in j)
         and r.header("X-Total-Count") == str(len(j)),
         "item 8: the peer search matches the user column", j)


# ---------------------------------------------------------------- main

def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgpl-")
    d = wgtest.Daemon(tmp, "lifecycle")
    d.truncate_log()
    st = {}
    scratch = subprocess.Popen(["wireguard-go", "-f", SCRATCH], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL,
                               env=dict(os.environ, WG_PROCESS_FOREGROUND="1"))
    try:
        T.ok(wait_for(lambda: os.path.exists(f"/var/run/wireguard/{SCRATCH}.sock"), 15),
             "setup: scratch wireguard-go device for wg setconf")
        if T.ok(d.start(write_config(tmp), PORT, timeout=60), "daemon starts and listens",
                d.log()[-3000:]):
            for label, fn in [("config notes", lambda: test_config_notes(d, tmp)),
                              ("defaults and files", lambda: test_default_peers_and_files(st, tmp)),
                              ("generated files", lambda: test_generated_files(st)),
                              ("multi and apply defaults", lambda: test_multi_and_defaults(st)),
                              ("expiry", lambda: test_expiry(st)),
                              ("audit", test_audit),
                              ("self-service", lambda: test_self_service(st)),
                              ("password", lambda: test_password(st)),
                              ("search", test_search)]:
                T.section(label, fn)
            path = os.path.join(tmp, "conf", "wg", IF_A + ".conf")
            T.eq(api("DELETE", "/interface/by-id/" + q(IF_A)).status, 204, "delete interface A")
            T.ok(wait_for(lambda: not os.path.exists(path), WAIT),
                 "item 2: config_storage_path: the file goes with its interface")
    finally:
        d.check_end(T, "lifecycle", secrets=(ADMIN_PW, ADMIN_TOKEN, BOB_TOKEN, BOB_PW, BOB_PW2,
                                             USER_PW))
        scratch.terminate()
        try:
            scratch.wait(timeout=10)
        except subprocess.TimeoutExpired:
            scratch.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpl", inner, iface_prefixes=("wgl{pid}",), timeout=900))
