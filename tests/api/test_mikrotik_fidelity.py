#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MikroTik: real-router fidelity and the read-only import (issue 11).

The daemon runs in a fresh network namespace "wgpk<pid>" against the RouterOS simulator
(RouterOS 7.17, attributes per /console/inspect; tests/sim/README.md). The router already holds
an interface with peers that wgportal did not create (keepalive 25s, a preshared key, an FQDN
endpoint, a disabled peer, a dynamic Back-to-Home peer), set up by the router's own admin.

Checked:
  - import is read-only: a start with core.import_existing and core.restore_state, a reconnect
    after the router was away, and the healer's ticks send no write (PUT/PATCH/DELETE or a
    command other than ping, counted in the simulator's log); the keepalive stays 25s;
  - a peer the router's admin deletes is re-created by the healer with one write, and only it;
  - a user with read-only policies who creates an interface is told that 'write' is missing,
    also when wgportal could not read the user's group at open;
  - endpoints: one comparison everywhere. A peer we dial whose router endpoint an admin changed
    to another name is corrected by the next interface save; the same IPv6 address written
    another way is not rewritten;
  - GET /interface/prepare?backend=<mikrotik> answers a name that is free on the router.
TAP output, exit status 1 on failure. The daemon's port is ephemeral.
"""
import json
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sim"))
import wgtest  # noqa: E402
from wgtest import basic, q, wait_for  # noqa: E402
from routeros_sim import wg_genkey, wg_pubkey  # noqa: E402

PORT = wgtest.free_port()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Mt-Fid-Adm1n-Passw0rd!"
ADMIN_TOKEN = "mtFidT0kenAbcdefghijklmnopqrstu1"
MT_USER, MT_PW = "wgportal", "Rt-Fid-pw-8812"
RO_USER, RO_PW = "reader", "Rt-Fid-ro-pw-1288"
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
ALL = ["api", "rest-api", "read", "write", "test", "sensitive"]

T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)
SECRETS = [ADMIN_PW, ADMIN_TOKEN, MT_PW, RO_PW, PSK]


def api(method, path, body=None):
    return API.api(method, path, body)


class Router:
    def __init__(self, users_file):
        self.sim = wgtest.Sim("routeros_sim.py", ["--https", "--ros", "7.17", "--users",
                                                  users_file], label="mtk")

    def rest(self, method, path, body=None):
        c = wgtest.Client(self.sim.port, auth=basic("admin", "admin"), tls=True)
        return c.call(method, "/rest" + path, body)

    def state(self):
        return self.sim.ctl("GET", "state") or {}

    def peer(self, key):
        return next((p for p in self.state().get("peers", []) if p.get("public-key") == key),
                    None)

    def log(self):
        """wgportal's requests only."""
        return [e for e in (self.sim.ctl("GET", "log") or []) if e.get("user") == MT_USER]

    def clear_log(self):
        self.sim.ctl("POST", "log/clear", {})


def writes(entries):
    return [(e["method"], e["path"], e.get("body")) for e in entries
            if e["method"] in ("PUT", "PATCH", "DELETE")
            or (e["method"] == "POST" and not e["path"].endswith("/ping"))]


def populate(rt, st):
    def ok2(r, what):
        if r.status not in (200, 201):
            raise RuntimeError("populate: %s -> %r" % (what, r))
        return r.json()
    ok2(rt.rest("PUT", "/interface/wireguard", {"name": "wgimp", "listen-port": "51830",
                                                 "private-key": wg_genkey(),
                                                 "comment": "Imported"}), "interface")
    ok2(rt.rest("PUT", "/ip/address", {"address": "10.170.0.1/24", "interface": "wgimp"}), "addr")
    keys = [wg_pubkey(wg_genkey()) for _ in range(3)]
    st["keys"] = keys
    ok2(rt.rest("PUT", "/interface/wireguard/peers", {
        "interface": "wgimp", "public-key": keys[0], "allowed-address": "10.170.0.2/32",
        "preshared-key": PSK, "persistent-keepalive": "25s", "name": "phone",
        "endpoint-address": "peer.example.com", "endpoint-port": "51821"}), "m1")
    ok2(rt.rest("PUT", "/interface/wireguard/peers", {
        "interface": "wgimp", "public-key": keys[1], "allowed-address": "10.170.0.3/32",
        "name": "tablet"}), "m2")
    ok2(rt.rest("PUT", "/interface/wireguard/peers", {
        "interface": "wgimp", "public-key": keys[2], "allowed-address": "10.170.0.4/32",
        "disabled": "true", "name": "old"}), "m3")
    # an interface the read-only user's backend imports (its keys show as *****)
    ok2(rt.rest("PUT", "/interface/wireguard", {"name": "wgview", "listen-port": "51831",
                                                 "private-key": wg_genkey()}), "view")
    st["dyn"] = wg_pubkey(wg_genkey())
    rt.sim.ctl("POST", "dynamic-peer", {"interface": "wgimp", "public-key": st["dyn"],
                                        "allowed-address": "192.168.170.9/32"})


def write_config(tmp, rt):
    common = f"""      api_url: https://127.0.0.1:{rt.sim.port}/rest
      api_verify_tls: false
      api_timeout: 3s
"""
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""  import_existing: true
  restore_state: true
advanced:
  start_cidr_v4: 10.175.0.0/24
  use_ip_v6: false
  start_listen_port: 51850
backend:
  default: mtk
  mikrotik:
    - id: mtk
      api_user: {MT_USER}
      api_password: "{MT_PW}"
      ignored_interfaces: [wgview]
{common}    - id: mtk-ro
      api_user: {RO_USER}
      api_password: "{RO_PW}"
      ignored_interfaces: [wgimp]
{common}statistics:
  data_collection_interval: 1s
  use_ping_checks: false
database:
  dsn: {tmp}/db/wgportal.sqlite
web:
  listening_address: 127.0.0.1:{PORT}
""")


def reachable(bid):
    for b in api("GET", "/backend/all").json() or []:
        if b.get("Identifier") == bid:
            return b.get("Reachable")
    return None


def sec_import(st, rt):
    m1 = rt.peer(st["keys"][0]) or {}
    T.ok(m1.get("persistent-keepalive") == "25s" and m1.get("preshared-key") == PSK
         and m1.get("endpoint-address") == "peer.example.com" and m1.get("name") == "phone",
         "import + restore at start: keepalive 25s, PSK, endpoint and name stay", m1)
    T.ok(api("GET", "/interface/by-id/wgimp").status == 200, "the interface is imported")
    time.sleep(12)      # statistics every second, the healer every 5 s on a router
    T.eq(writes(rt.log()), [], "start, statistics and healer: no write to the router")


def sec_reconnect(st, rt):
    rt.sim.ctl("POST", "down", {"down": True})
    T.ok(wait_for(lambda: reachable("mtk") is False, timeout=20, step=0.5),
         "the router going away is noticed")
    rt.sim.ctl("POST", "down", {"down": False})
    rt.clear_log()
    T.ok(wait_for(lambda: reachable("mtk") is True, timeout=30, step=0.5), "... and its return")
    time.sleep(8)
    T.eq(writes(rt.log()), [], "reconnect (import again) and the healer after it: no write")
    T.eq((rt.peer(st["keys"][0]) or {}).get("persistent-keepalive"), "25s",
         "... the keepalive is still the router's")


def sec_heal(st, rt):
    """restore_state re-creates what the store holds and the router lost, and nothing else."""
    key = st["keys"][1]
    pid = (rt.peer(key) or {}).get(".id", "*0")
    rt.clear_log()
    r = rt.rest("DELETE", "/interface/wireguard/peers/" + pid)
    T.ok(r.status in (200, 204), "another admin deletes an imported peer", r)
    back = wait_for(lambda: rt.peer(key), timeout=30, step=0.5)
    T.ok(back is not None, "the healer re-creates it on the router", back)
    w = writes(rt.log())
    T.ok(len(w) == 1 and w[0][0] == "PUT" and (w[0][2] or {}).get("public-key") == key,
         "... with one write: that peer's PUT (no other peer touched)", w)
    T.eq((rt.peer(st["keys"][0]) or {}).get("persistent-keepalive"), "25s",
         "... the other imported peers keep their keepalive")


def sec_readonly_user(st, rt):
    T.ok((api("GET", "/interface/by-id/wgview").json() or {}).get("Backend") == "mtk-ro",
         "the read-only user's backend imported wgview (private key hidden from it)")
    body = api("GET", "/interface/prepare?backend=mtk-ro").json() or {}
    body.update(Identifier="wgro1", Backend="mtk-ro")
    SECRETS.append(body.get("PrivateKey"))
    r = api("POST", "/interface/new", body)
    msg = r.msg or ""
    T.ok(r.status == 403 and "'write'" in msg and "'sensitive'" not in msg,
         "read-only user creating an interface: 403 naming the 'write' policy", r)


def sec_endpoints(st, rt):
    body = api("GET", "/interface/prepare?backend=mtk").json() or {}
    T.ok(body.get("Identifier") and body.get("Identifier") != "wgimp"
         and body.get("Backend") == "mtk", "prepare?backend=mtk: a name free on the router",
         body)
    body.update(Identifier="wgcli", Mode="client", Backend="mtk")
    SECRETS.append(body.get("PrivateKey"))
    r = api("POST", "/interface/new", body)
    T.ok(r.status == 200, "a client-mode interface on the router", r)
    peers = []
    for ep in ("vpn.example.com:51820", "[2001:db8::7]:51820"):
        p = api("GET", "/peer/prepare/wgcli").json() or {}
        p.update(Mode="server", Endpoint={"Value": ep, "Overridable": True},
                 AllowedIPs={"Value": ["10.180.%d.0/24" % len(peers)], "Overridable": True})
        SECRETS.extend([p.get("PrivateKey"), p.get("PresharedKey")])
        r = api("POST", "/peer/new", p)
        T.ok(r.status == 200, "peer we dial with endpoint %s" % ep, r)
        peers.append(p["Identifier"])
    st["cli_peers"] = peers
    m = rt.peer(peers[0]) or {}
    rt.rest("PATCH", "/interface/wireguard/peers/" + m.get(".id", "*0"),
            {"endpoint-address": "other.example.org"})
    m6 = rt.peer(peers[1]) or {}
    rt.rest("PATCH", "/interface/wireguard/peers/" + m6.get(".id", "*0"),
            {"endpoint-address": "2001:db8:0:0::7"})
    rt.clear_log()
    ifc = api("GET", "/interface/by-id/wgcli").json() or {}
    r = api("PUT", "/interface/by-id/wgcli", dict(ifc, DisplayName="client side"))
    T.ok(r.status == 200, "interface save (a full sync)", r)
    m = rt.peer(peers[0]) or {}
    T.ok(m.get("endpoint-address") == "vpn.example.com" and m.get("endpoint-port") == "51820",
         "a changed endpoint name is set back (a name is not equal to any endpoint)", m)
    touched = [e for e in rt.log() if e["method"] == "PATCH"
               and e["path"].endswith(m6.get(".id", "?"))]
    T.eq(touched, [], "the same IPv6 address written another way is not rewritten")


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpk-")
    os.makedirs(os.path.join(tmp, "db"))
    users = os.path.join(tmp, "users.json")
    with open(users, "w") as f:
        json.dump({"admin": {"password": "admin", "policies": ALL},
                   MT_USER: {"password": MT_PW, "policies": ALL},
                   RO_USER: {"password": RO_PW, "policies": ["api", "rest-api", "read",
                                                             "test"]}}, f)
    rt = Router(users)
    d = wgtest.Daemon(tmp, "mikrotik-fidelity")
    st = {}
    try:
        if not T.ok(rt.sim.start(), "RouterOS simulator starts (7.17)"):
            return T.done()
        populate(rt, st)
        rt.clear_log()
        # a router whose user table the users may not read: wgportal cannot learn the
        # policies at open and must find out from the answers
        rt.sim.ctl("POST", "fault", {"match": "/rest/user", "method": "GET", "kind": "status",
                                     "status": 500, "count": 0,
                                     "body": {"detail": "not enough permissions (9)",
                                              "error": 500,
                                              "message": "Internal Server Error"}})
        started = d.start(write_config(tmp, rt), PORT)
        rt.sim.ctl("POST", "faults/clear", {})
        if not T.ok(started, "daemon starts (import + restore)", d.log()[-3000:]):
            return T.done()
        T.section("import is read-only", sec_import, st, rt)
        T.section("reconnect", sec_reconnect, st, rt)
        T.section("healer", sec_heal, st, rt)
        T.section("read-only user", sec_readonly_user, st, rt)
        T.section("endpoints", sec_endpoints, st, rt)
        d.check_end(T, "mikrotik fidelity", secrets=[s for s in SECRETS if s])
    finally:
        if d.running():
            d.stop()
        rt.sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpk", main))
