#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MikroTik backend end to end: the real daemon, REST API v1, the RouterOS REST simulator.

The daemon runs in a fresh network namespace "wgpm<pid>" (loopback only) on ports 19500-19549;
the simulator (tests/sim/routeros_sim.py --https, self-signed) runs on a free port in the same
namespace. The daemon is configured with two MikroTik backends on that simulator: mt1 (a user
with every policy, concurrency 3, debug on) and mt2 (a user without the 'write' policy).

Checked through /api/v1 and the simulator's state: import of an existing router interface with
a dynamic (Back-to-Home style) peer, which stays read-only; interface create/update/delete with
addresses; hooks refused with 422; peer create/update/disable/enable/delete with allowed address,
preshared key and keepalive; the downloaded peer config (endpoint, keys); statistics; healing and
restore at restart after the router lost peers or the interface; a router that is down at start;
a user without 'write'; device faults mid-operation (500 and a dropped connection); the most
requests in flight never above `concurrency`; the debug log (method, path, status, duration, and
none of the secrets).

Fault outcome (decided, as for local): a peer create whose device call fails answers 502 and
the peer is NOT stored; the router does not keep it either (the failed create is undone at
once, or, when the router applied it and the answer was lost, by the healer within seconds).

TAP output; exit status 1 on failure. WGPORTAL_BIN selects the daemon (the ASan build too).
"""
import base64
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
from wgtest import q, wait_for  # noqa: E402
from routeros_sim import wg_genkey, wg_pubkey  # noqa: E402

PORT = 19500
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Mt-E2e-Adm1n-Passw0rd!"
ADMIN_TOKEN = "mtE2eT0kenAbcdefghijklmnopqrstu1"
MT_USER, MT_PW = "wgportal", "Rt-S3cret-pw-e2e-4711"
RO_USER, RO_PW = "noWriter", "Rt-NoWr1te-pw-e2e-0815"
CONCURRENCY = 3
T = wgtest.Tap()
C = wgtest.Client(PORT, auth=wgtest.basic(ADMIN, ADMIN_TOKEN), timeout=60)
SECRETS = [ADMIN_PW, ADMIN_TOKEN, MT_PW, RO_PW,
           base64.b64encode(f"{MT_USER}:{MT_PW}".encode()).decode(),
           base64.b64encode(f"{RO_USER}:{RO_PW}".encode()).decode()]
ALL_POLICIES = ["api", "rest-api", "read", "write", "test", "sensitive"]


# ---------------------------------------------------------------- helpers

class Router:
    """The simulator: control API plus its REST API as the router's own admin."""

    def __init__(self, sim):
        self.sim = sim
        self.rest = wgtest.Client(sim.port, auth=wgtest.basic("admin", "admin"), tls=True)

    def state(self):
        return self.sim.ctl("GET", "state") or {}

    def wg(self, name):
        return next((w for w in self.state().get("wireguard", []) if w.get("name") == name),
                    None)

    def peers(self, iface):
        return [p for p in self.state().get("peers", []) if p.get("interface") == iface]

    def peer(self, key):
        return next((p for p in self.state().get("peers", []) if p.get("public-key") == key),
                    None)

    def addrs(self, iface):
        return sorted(a["address"] for a in self.state().get("ip-addresses", [])
                      if a.get("interface") == iface and a.get("invalid") != "true")

    def call(self, method, path, body=None):
        return self.rest.call(method, "/rest" + path, body)


def api(method, path, body=None, **kw):
    return C.api(method, path, body, **kw)


def backend(bid):
    r = api("GET", "/backend/all")
    return next((b for b in (r.json() or []) if b.get("Identifier") == bid), {})


def write_config(tmp, label, import_existing=True, restore=True):
    path = os.path.join(tmp, f"config-{label}.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
  import_existing: {str(import_existing).lower()}
  restore_state: {str(restore).lower()}
advanced:
  start_cidr_v4: 10.215.0.0/24
  use_ip_v6: false
  start_listen_port: 51970
backend:
  default: local
  mikrotik:
    - id: mt1
      display_name: Sim RB5009
      api_url: https://127.0.0.1:{ST['sim'].port}/rest
      api_user: {MT_USER}
      api_password: "{MT_PW}"
      api_verify_tls: false
      api_timeout: 5s
      concurrency: {CONCURRENCY}
      debug: true
    - id: mt2
      display_name: Sim read-only user
      api_url: https://127.0.0.1:{ST['sim'].port}/rest
      api_user: {RO_USER}
      api_password: "{RO_PW}"
      api_verify_tls: false
      api_timeout: 5s
      concurrency: 2
database:
  dsn: {tmp}/db/wgportal.sqlite
statistics:
  data_collection_interval: 1s
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


ST = {}


def start_daemon(label, **kw):
    d = wgtest.Daemon(ST["tmp"], f"mikrotik-e2e-{label}")
    d.truncate_log()
    ok = d.start(write_config(ST["tmp"], label, **kw), PORT)
    T.ok(ok, f"{label}: daemon starts and listens", d.log()[-2000:])
    ST["daemon"] = d
    return d


def stop_daemon(label):
    d = ST.pop("daemon", None)
    if d:
        log = d.log()
        d.check_end(T, label, SECRETS + ST["keys"])
        ST["logs"].append(log)


def is_error(r, status, contains, name):
    msg = r.msg or ""
    return T.ok(r.status == status and contains.lower() in msg.lower(), name, r)


def new_peer(iface, **extra):
    r = api("GET", "/peer/prepare/" + q(iface))
    p = r.json() or {}
    p.update(extra)
    ST["keys"] += [p.get("PrivateKey", ""), p.get("PresharedKey", "")]
    return p


# ---------------------------------------------------------------- sections

def sec_import():
    """A router interface that exists before start, with a normal and a dynamic peer."""
    rt = ST["rt"]
    priv = wg_genkey()
    ST["keys"].append(priv)
    r = rt.call("PUT", "/interface/wireguard", {"name": "wgpmimp", "listen-port": "51990",
                                                 "private-key": priv, "comment": "imported"})
    T.eq(r.status, 201, "router: pre-existing interface created through its REST")
    rt.call("PUT", "/ip/address", {"address": "10.216.0.1/24", "interface": "wgpmimp"})
    psk = base64.b64encode(os.urandom(32)).decode()
    ST["keys"].append(psk)
    ST["imp_peer"] = wg_pubkey(wg_genkey())
    r = rt.call("PUT", "/interface/wireguard/peers",
                {"interface": "wgpmimp", "public-key": ST["imp_peer"], "preshared-key": psk,
                 "allowed-address": "10.216.0.2/32", "name": "laptop"})
    T.eq(r.status, 201, "router: a normal peer on it")
    ST["dyn_peer"] = wg_pubkey(wg_genkey())
    j = ST["sim"].ctl("POST", "dynamic-peer", {"interface": "wgpmimp",
                                              "public-key": ST["dyn_peer"],
                                              "allowed-address": "192.168.216.9/32"})
    T.ok(j and j.get(".id"), "router: a dynamic (Back-to-Home) peer on it", j)
    ST["dyn_before"] = rt.peer(ST["dyn_peer"])


def sec_backends():
    b = backend("mt1")
    T.ok(b.get("Type") == "mikrotik" and b.get("Reachable") is True
         and "RouterOS 7.17" in b.get("Implementation", ""),
         "backend/all: mt1 is a reachable RouterOS 7.17", b)
    T.ok("hooks" not in b.get("Capabilities", []) and "peer_statistics" in b.get("Capabilities", []),
         "backend/all: mt1 has peer statistics and no hooks", b.get("Capabilities"))
    b2 = backend("mt2")
    T.ok("'write' policy" in b2.get("LastError", "") and "cannot be created" in b2.get("LastError", ""),
         "backend/all: mt2's user lacks 'write': the last error names the policy and what it blocks",
         b2)


def sec_imported():
    r = api("GET", "/interface/by-id/wgpmimp")
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("Backend") == "mt1" and j.get("ListenPort") == 51990
         and j.get("Addresses") == ["10.216.0.1/24"] and j.get("DisplayName") == "imported",
         "import: the router interface is stored on mt1 with port, address and comment", j)
    peers = api("GET", "/peer/by-interface/wgpmimp").json() or []
    ids = sorted(p.get("Identifier") for p in peers)
    T.eq(ids, sorted([ST["imp_peer"], ST["dyn_peer"]]),
         "import: both router peers are listed (the dynamic one too)")
    normal = next((p for p in peers if p.get("Identifier") == ST["imp_peer"]), {})
    T.ok(normal.get("DisplayName") == "laptop" and normal.get("Addresses") == ["10.216.0.2/32"],
         "import: the normal peer keeps its name and address", normal)


def sec_dynamic_readonly():
    rt = ST["rt"]
    dyn = api("GET", "/peer/by-id/" + q(ST["dyn_peer"])).json() or {}
    before = dict(dyn)
    r = api("PUT", "/peer/by-id/" + q(ST["dyn_peer"]),
            dict(dyn, PersistentKeepalive={"Value": 21, "Overridable": True},
                 ExtraAllowedIPs=["10.99.0.0/24"]))
    T.ok(400 <= r.status < 500 and "dynamic" in (r.msg or "") and "read-only" in (r.msg or ""),
         "dynamic peer: an update is refused with a 4xx saying it is a read-only dynamic peer", r)
    T.ok("read-only" in dyn.get("Notes", ""), "dynamic peer: listed, its notes say read-only", dyn)
    r = api("PUT", "/peer/by-id/" + q(ST["dyn_peer"]), dict(dyn, Disabled=True,
                                                            DisabledReason="test"))
    T.ok(400 <= r.status < 500, "dynamic peer: disabling it is refused with a 4xx", r)
    r = api("DELETE", "/peer/by-id/" + q(ST["dyn_peer"]))
    T.ok(400 <= r.status < 500 and "read-only" in (r.msg or ""),
         "dynamic peer: a delete is refused with a 4xx", r)
    T.eq(rt.peer(ST["dyn_peer"]), ST["dyn_before"], "dynamic peer: unchanged on the router")
    after = api("GET", "/peer/by-id/" + q(ST["dyn_peer"])).json() or {}
    after.pop("UpdatedAt", None)
    before.pop("UpdatedAt", None)
    T.eq(after, before, "dynamic peer: the stored record is unchanged")


def sec_iface_create():
    rt = ST["rt"]
    body = api("GET", "/interface/prepare").json() or {}
    body.update(Identifier="wgpm0", DisplayName="MT office", Backend="mt1",
                PeerDefEndpoint="vpn.example.com:51970", ListenPort=51970, Mtu=1412)
    ST["keys"].append(body.get("PrivateKey", ""))
    r = api("POST", "/interface/new", body)
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("Backend") == "mt1", "POST /interface/new Backend mt1: 200", r)
    ST["iface"] = j
    w = rt.wg("wgpm0")
    T.ok(w is not None and w.get("listen-port") == "51970" and w.get("mtu") == "1412"
         and w.get("private-key") == body["PrivateKey"] and w.get("public-key") == body["PublicKey"]
         and w.get("disabled") == "false",
         "router: wgpm0 with the stored port, MTU and keys",
         (w, [(x["method"], x["path"], sorted((x.get("body") or {}).keys()), x["status"])
              for x in ST["sim"].ctl("GET", "log") or []
              if x["path"].startswith("/rest/interface/wireguard") and x["method"] != "GET"]))
    T.eq(rt.addrs("wgpm0"), body["Addresses"], "router: wgpm0 has the interface address")
    T.eq((w or {}).get("comment"), "MT office", "router: the display name is the interface comment")
    T.ok(any(i.get("name") == "wgpm0" and i.get("type") == "wg"
             for i in rt.state().get("interfaces", [])),
         "router: wgpm0 is listed in /interface with type wg")


def sec_hooks():
    rt = ST["rt"]
    body = api("GET", "/interface/prepare").json() or {}
    body.update(Identifier="wgpmhook", Backend="mt1", PostUp="echo up")
    r = api("POST", "/interface/new", body)
    T.ok(r.status == 422 and "hooks" in (r.msg or ""),
         "hooks on a MikroTik interface: 422 naming hooks", r)
    T.eq(api("GET", "/interface/by-id/wgpmhook").status, 404, "hooks: nothing stored")
    T.eq(rt.wg("wgpmhook"), None, "hooks: nothing created on the router")
    ifc = api("GET", "/interface/by-id/wgpm0").json() or {}
    r = api("PUT", "/interface/by-id/wgpm0", dict(ifc, PreDown="echo down"))
    T.ok(r.status == 422 and "hooks" in (r.msg or ""), "hooks added by an update: 422", r)
    T.eq(api("GET", "/interface/by-id/wgpm0").json(), ifc, "hooks update: store unchanged")


def sec_peer_create():
    rt = ST["rt"]
    p = new_peer("wgpm0", DisplayName="alice phone",
                 PersistentKeepalive={"Value": 25, "Overridable": True})
    T.ok(len(p.get("PresharedKey", "")) == 44, "peer prepare: with a preshared key", p)
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 200, "POST /peer/new on wgpm0: 200", r)
    ST["peer"] = r.json() or {}
    pid = p["Identifier"]
    rp = rt.peer(pid)
    T.ok(rp is not None and rp.get("interface") == "wgpm0"
         and rp.get("allowed-address") == ",".join(p["Addresses"])
         and rp.get("preshared-key") == p["PresharedKey"] and rp.get("disabled") == "false"
         and rp.get("endpoint-address") == "" and rp.get("responder") == "true",
         "router: the client peer with allowed address, PSK, no endpoint, responder", rp)
    # a peer we dial (mode server): endpoint and keepalive go to the router
    s = new_peer("wgpm0", DisplayName="branch office", Mode="server",
                 Endpoint={"Value": "203.0.113.5:51821", "Overridable": True},
                 AllowedIPs={"Value": ["10.230.0.0/16"], "Overridable": True},
                 PersistentKeepalive={"Value": 25, "Overridable": True})
    r = api("POST", "/peer/new", s)
    T.ok(r.status == 200, "POST /peer/new (a server-mode peer with endpoint): 200", r)
    rs = rt.peer(s["Identifier"]) or {}
    T.ok(rs.get("persistent-keepalive") == "25s" and rs.get("endpoint-address") == "203.0.113.5"
         and rs.get("endpoint-port") == "51821" and rs.get("allowed-address") == "10.230.0.0/16"
         and rs.get("responder") == "false" and rs.get("preshared-key") == s["PresharedKey"],
         "router: endpoint split into address/port, keepalive 25s, allowed network, PSK", rs)
    ST["server_peer"] = s

    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid))
    text = r.body.decode(errors="replace")
    conf = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            conf.setdefault(k.strip(), v.strip())
    w = rt.wg("wgpm0") or {}
    T.ok(r.status == 200 and conf.get("Endpoint") == "vpn.example.com:51970",
         "peer config: Endpoint is the interface's PeerDefEndpoint", text[-600:])
    T.ok(conf.get("PublicKey") == w.get("public-key"),
         "peer config: [Peer] PublicKey is the router interface's public key", conf)
    T.ok(conf.get("PrivateKey") and wg_pubkey(conf["PrivateKey"]) == rp.get("public-key"),
         "peer config: PrivateKey belongs to the router peer's public key")
    T.ok(conf.get("PresharedKey") == rp.get("preshared-key"),
         "peer config: PresharedKey matches the router's")
    T.eq(conf.get("Address"), ",".join(p["Addresses"]), "peer config: Address")


def sec_peer_update():
    rt = ST["rt"]
    pid = ST["peer"]["Identifier"]
    cur = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(cur, Disabled=True, DisabledReason="lost"))
    T.ok(r.status == 200, "disable the peer through the API: 200", r)
    T.eq((rt.peer(pid) or {}).get("disabled"), "true", "router: the peer is disabled (kept)")
    cur = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(cur, Disabled=False, DisabledReason=""))
    T.ok(r.status == 200, "enable the peer again: 200", r)
    T.eq((rt.peer(pid) or {}).get("disabled"), "false", "router: the peer is enabled again")
    cur = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid),
            dict(cur, DisplayName="alice tablet", ExtraAllowedIPs=["10.220.0.0/24"],
                 PersistentKeepalive={"Value": 15, "Overridable": True}, PresharedKey=""))
    T.ok(r.status == 200, "update keepalive, name, extra allowed IPs, drop the PSK: 200", r)
    rp = rt.peer(pid) or {}
    T.eq(rp.get("name"), "alice tablet", "router: the peer's name follows its display name")
    T.ok(sorted(rp.get("allowed-address", "").split(","))
         == sorted(cur["Addresses"] + ["10.220.0.0/24"]) and rp.get("preshared-key", "") == "",
         "router: allowed addresses and PSK updated", rp)
    cur = api("GET", "/peer/by-id/" + q(ST["server_peer"]["Identifier"])).json() or {}
    r = api("PUT", "/peer/by-id/" + q(cur.get("Identifier", "x")),
            dict(cur, PersistentKeepalive={"Value": 15, "Overridable": True},
                 Endpoint={"Value": "[2001:db8::5]:51822", "Overridable": True}))
    rs = rt.peer(ST["server_peer"]["Identifier"]) or {}
    T.ok(r.status == 200 and rs.get("persistent-keepalive") == "15s"
         and rs.get("endpoint-address") == "2001:db8::5" and rs.get("endpoint-port") == "51822",
         "server-mode peer update: keepalive 15s, IPv6 endpoint split correctly", (r, rs))

    ifc = api("GET", "/interface/by-id/wgpm0").json() or {}
    r = api("PUT", "/interface/by-id/wgpm0", dict(ifc, ListenPort=51975, Mtu=1400,
                                                  Addresses=["10.215.0.1/24", "10.215.9.1/24"]))
    T.ok(r.status == 200 and (r.json() or {}).get("Backend") == "mt1",
         "interface update (port, MTU, addresses): 200, still on mt1", r)
    w = rt.wg("wgpm0") or {}
    T.ok(w.get("listen-port") == "51975" and w.get("mtu") == "1400",
         "router: listen port and MTU updated", w)
    T.eq(rt.addrs("wgpm0"), ["10.215.0.1/24", "10.215.9.1/24"], "router: addresses updated")
    ifc = api("GET", "/interface/by-id/wgpm0").json() or {}
    r = api("PUT", "/interface/by-id/wgpm0", dict(ifc, Disabled=True, DisabledReason="x"))
    T.ok(r.status == 200 and (rt.wg("wgpm0") or {}).get("disabled") == "true",
         "interface disabled through the API: disabled on the router", r)
    ifc = api("GET", "/interface/by-id/wgpm0").json() or {}
    r = api("PUT", "/interface/by-id/wgpm0", dict(ifc, Disabled=False, DisabledReason=""))
    T.ok(r.status == 200 and (rt.wg("wgpm0") or {}).get("disabled") == "false"
         and rt.peer(pid) is not None,
         "interface enabled again: enabled on the router, peer still there", r)


def sec_stats():
    sim = ST["sim"]
    pid = ST["peer"]["Identifier"]
    sim.ctl("POST", "peer-stats", {"public-key": pid, "rx": 123456, "tx": 654321,
                                   "last-handshake-seconds": 90061,
                                   "current-endpoint-address": "198.51.100.7",
                                   "current-endpoint-port": 40001})
    sim.ctl("POST", "iface-stats", {"name": "wgpm0", "rx-byte": 777000, "tx-byte": 888000})

    def peer_ok():
        j = api("GET", "/metrics/by-peer/" + q(pid)).json() or {}
        return j if j.get("BytesReceived") == 123456 else None
    j = wait_for(peer_ok, timeout=10, step=0.3) or {}
    T.ok(j.get("BytesTransmitted") == 654321 and j.get("Endpoint") == "198.51.100.7:40001",
         "statistics: rx/tx and current endpoint of the router peer", j)
    hs = j.get("LastHandshake") or ""
    try:
        t = time.mktime(time.strptime(hs[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        age = time.time() - t
    except ValueError:
        age = -1
    T.ok(90061 - 5 <= age <= 90061 + 5,
         "statistics: last handshake '1d1h1m1s' ago (RouterOS d unit)", (hs, age))

    def iface_ok():
        j = api("GET", "/metrics/by-interface/wgpm0").json() or {}
        return j if j.get("BytesReceived") == 777000 else None
    j = wait_for(iface_ok, timeout=10, step=0.3) or {}
    T.eq(j.get("BytesTransmitted"), 888000, "statistics: interface counters from /interface")


def sec_dynamic_later():
    """A dynamic peer the router adds to a managed interface later: not stored, left alone,
    and the healer does not re-sync the interface over and over because of it."""
    rt, sim = ST["rt"], ST["sim"]
    key = wg_pubkey(wg_genkey())
    sim.ctl("POST", "dynamic-peer", {"interface": "wgpm0", "public-key": key,
                                     "allowed-address": "192.168.215.9/32"})
    before = rt.peer(key)
    mark = len(ST["daemon"].log())
    time.sleep(5.6)     # more than one healer look at a remote interface (every 5 s)
    heals = [x for x in ST["daemon"].log()[mark:].splitlines() if "heal: interface 'wgpm0'" in x]
    T.eq(heals, [], "dynamic peer added later: the healer does not re-sync the interface")
    T.eq(rt.peer(key), before, "dynamic peer added later: untouched on the router")
    T.eq(api("GET", "/peer/by-id/" + q(key)).status, 404, "dynamic peer added later: not stored")


def sec_heal():
    rt = ST["rt"]
    pid = ST["peer"]["Identifier"]
    rp = rt.peer(pid) or {}
    r = rt.call("DELETE", "/interface/wireguard/peers/" + rp.get(".id", "*0"))
    T.eq(r.status, 204, "router: the peer is removed behind wgportal's back")
    back = wait_for(lambda: rt.peer(pid), timeout=15, step=0.3)
    T.ok(back and sorted(back.get("allowed-address", "").split(","))
         == sorted(rp.get("allowed-address", "-").split(",")),
         "healing: the peer is re-created on the router", back)
    w = rt.wg("wgpm0") or {}
    for a in [x for x in rt.state().get("ip-addresses", []) if x.get("interface") == "wgpm0"]:
        rt.call("DELETE", "/ip/address/" + a[".id"])
    r = rt.call("DELETE", "/interface/wireguard/" + w.get(".id", "*0"))
    T.eq(r.status, 204, "router: the interface is removed behind wgportal's back")
    ok = wait_for(lambda: rt.wg("wgpm0") and rt.peer(pid) and
                  rt.addrs("wgpm0") == ["10.215.0.1/24", "10.215.9.1/24"], timeout=15, step=0.3)
    T.ok(ok, "healing: interface, addresses and peer are re-created", rt.state().get("wireguard"))
    T.eq((rt.wg("wgpm0") or {}).get("private-key"), w.get("private-key"),
         "healing: the re-created interface has the stored private key")


def sec_faults():
    rt, sim = ST["rt"], ST["sim"]
    sim.ctl("POST", "fault", {"match": "/interface/wireguard/peers", "method": "PUT",
                              "kind": "status", "status": 500,
                              "body": {"error": 500, "message": "Internal Server Error",
                                       "detail": "simulated flash failure"}, "count": 1})
    p = new_peer("wgpm0", DisplayName="fault 500")
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 502 and "500" in (r.msg or "") and "simulated flash failure" in (r.msg or ""),
         "device 500 on the peer PUT: 502 with the router's reason", r)
    T.eq(api("GET", "/peer/by-id/" + q(p["Identifier"])).status, 404,
         "device 500: the peer is not stored")
    T.eq(rt.peer(p["Identifier"]), None, "device 500: the router has no such peer")
    sim.ctl("POST", "faults/clear")

    sim.ctl("POST", "fault", {"match": "/interface/wireguard/peers", "method": "PUT",
                              "kind": "drop", "apply": True, "count": 1})
    p = new_peer("wgpm0", DisplayName="fault drop")
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 502, "connection dropped after the router applied the PUT: 502", r)
    T.eq(api("GET", "/peer/by-id/" + q(p["Identifier"])).status, 404,
         "dropped reply: the peer is not stored")
    gone = wait_for(lambda: rt.peer(p["Identifier"]) is None, timeout=10, step=0.3)
    T.ok(gone, "dropped reply: the router does not keep the peer (store and router agree)",
         rt.peer(p["Identifier"]))
    sim.ctl("POST", "faults/clear")
    p = new_peer("wgpm0", DisplayName="after faults")
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 200 and rt.peer(p["Identifier"]) is not None,
         "after the faults: a peer create works again", r)
    ST["peer2"] = p


def sec_nowrite():
    rt = ST["rt"]
    body = api("GET", "/interface/prepare").json() or {}
    body.update(Identifier="wgpmro", Backend="mt2")
    r = api("POST", "/interface/new", body)
    T.ok(r.status == 403 and "'write' policy" in (r.msg or "") and RO_USER in (r.msg or "")
         and "cannot be created" in (r.msg or ""),
         "user without 'write': 403 naming the user, the policy and what it blocks", r)
    T.eq(api("GET", "/interface/by-id/wgpmro").status, 404, "no 'write': nothing stored")
    T.eq(rt.wg("wgpmro"), None, "no 'write': nothing on the router")


def sec_in_flight():
    st = ST["sim"].ctl("GET", "stats") or {}
    T.ok(2 <= st.get("max_in_flight", 0) <= CONCURRENCY,
         f"simulator: most requests in flight {st.get('max_in_flight')}: parallel, never above "
         f"concurrency {CONCURRENCY}", st)


def sec_restore():
    """Restart after the router lost a peer: restored at start-up, before the API answers."""
    rt = ST["rt"]
    pid = ST["peer"]["Identifier"]
    stop_daemon("run 1")
    rp = rt.peer(pid) or {}
    rt.call("DELETE", "/interface/wireguard/peers/" + rp.get(".id", "*0"))
    T.eq(rt.peer(pid), None, "router: the peer was removed while wgportal was stopped")
    start_daemon("restore")
    T.ok(rt.peer(pid) is not None and sorted((rt.peer(pid) or {}).get("allowed-address", "")
                                             .split(","))
         == sorted(rp.get("allowed-address", "-").split(",")),
         "restore at start: the peer is back on the router",
         rt.peer(pid))
    stop_daemon("restore")

    w = rt.wg("wgpm0") or {}
    for a in [x for x in rt.state().get("ip-addresses", []) if x.get("interface") == "wgpm0"]:
        rt.call("DELETE", "/ip/address/" + a[".id"])
    rt.call("DELETE", "/interface/wireguard/" + w.get(".id", "*0"))
    T.eq(rt.wg("wgpm0"), None, "router: the interface was removed while wgportal was stopped")
    start_daemon("restore-iface")
    w2 = rt.wg("wgpm0") or {}
    T.ok(w2.get("private-key") == w.get("private-key") and w2.get("listen-port") == "51975"
         and rt.peer(pid) is not None and rt.peer(ST["peer2"]["Identifier"]) is not None,
         "restore at start: interface with its key, port and peers re-created", w2)
    T.eq(rt.addrs("wgpm0"), ["10.215.0.1/24", "10.215.9.1/24"],
         "restore at start: addresses re-created")
    T.eq(rt.peer(ST["dyn_peer"]), ST["dyn_before"], "restore: the dynamic peer is untouched")


def sec_down_at_start():
    rt, sim = ST["rt"], ST["sim"]
    stop_daemon("restore-iface")
    # an interface made on the router meanwhile: imported once the router answers again
    priv = wg_genkey()
    ST["keys"].append(priv)
    r = rt.call("PUT", "/interface/wireguard", {"name": "wgpmlate", "listen-port": "51991",
                                                 "private-key": priv})
    T.eq(r.status, 201, "router: a new interface wgpmlate while wgportal is stopped")
    sim.ctl("POST", "down", {"down": True})
    start_daemon("router-down")
    b = backend("mt1")
    T.ok(b.get("Reachable") is False and "cannot reach" in b.get("LastError", ""),
         "router down at start: mt1 unreachable with a clear last error", b)
    ifc = api("GET", "/interface/by-id/wgpm0").json() or {}
    T.eq(ifc.get("BackendAvailable"), False, "router down: its interfaces say backend unavailable")
    p = new_peer("wgpm0", DisplayName="while down")
    r = api("POST", "/peer/new", p)
    T.ok(r.status in (502, 504), "router down: a peer create answers 502/504", r)
    T.eq(api("GET", "/peer/by-id/" + q(p["Identifier"])).status, 404,
         "router down: the failed peer is not stored")
    sim.ctl("POST", "down", {"down": False})
    b = wait_for(lambda: backend("mt1").get("Reachable") and backend("mt1"), timeout=20,
                 step=0.5) or {}
    T.ok(b.get("Reachable") is True, "router back: mt1 becomes reachable by itself", b)
    j = wait_for(lambda: api("GET", "/interface/by-id/wgpmlate").json()
                 if api("GET", "/interface/by-id/wgpmlate").status == 200 else None,
                 timeout=10, step=0.5) or {}
    T.ok(j.get("Backend") == "mt1" and j.get("ListenPort") == 51991,
         "router back: the interface it got meanwhile is imported (core.import_existing)", j)
    p = new_peer("wgpm0", DisplayName="after down")
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 200 and rt.peer(p["Identifier"]) is not None,
         "router back: writes work again", r)


def sec_delete():
    rt = ST["rt"]
    pid = ST["peer"]["Identifier"]
    r = api("DELETE", "/peer/by-id/" + q(pid))
    T.ok(r.status == 204 and rt.peer(pid) is None, "peer delete: gone from the router", r)
    r = api("DELETE", "/interface/by-id/wgpm0")
    T.ok(r.status == 204 and rt.wg("wgpm0") is None and rt.peers("wgpm0") == []
         and rt.addrs("wgpm0") == [], "interface delete: interface, peers, addresses gone", r)
    time.sleep(2.5)
    T.eq(rt.wg("wgpm0"), None, "interface delete: not re-created by the healer")
    T.ok(rt.peer(ST["dyn_peer"]) is not None, "the dynamic peer on wgpmimp is still there")


def sec_log():
    stop_daemon("router-down")
    log = "\n".join(ST["logs"])
    lines = [x for x in log.splitlines() if "backend 'mt1': " in x and " ms)" in x]
    T.ok(any("GET /interface/wireguard/peers?... -> 200" in x for x in lines)
         and any("PUT /interface/wireguard/peers -> 201" in x for x in lines)
         and any("PATCH /interface/wireguard/peers/*" in x for x in lines),
         "debug: method, path, status and duration of the calls are logged", lines[:5])
    bad = [s[:6] for s in SECRETS + ST["keys"] if s and s in log]
    T.ok(not bad, "debug log: no password, Authorization, private or preshared key", bad)
    T.ok("Authorization" not in log and "Basic " not in log, "debug log: no Authorization header")


def inner(ns):
    ST["keys"] = []
    ST["logs"] = []
    ST["tmp"] = tempfile.mkdtemp(prefix="wgpm-e2e-")
    users = os.path.join(ST["tmp"], "users.json")
    with open(users, "w") as f:
        json.dump({"admin": {"password": "admin", "policies": ALL_POLICIES},
                   MT_USER: {"password": MT_PW, "policies": ALL_POLICIES},
                   RO_USER: {"password": RO_PW,
                             "policies": [p for p in ALL_POLICIES if p != "write"]}}, f)
    sim = wgtest.Sim("routeros_sim.py", ["--https", "--ros", "7.17", "--users", users],
                     label="routeros-mikrotik-e2e")
    ST["sim"] = sim
    if not T.ok(sim.start(), "simulator starts (HTTPS, self-signed)"):
        return T.done()
    ST["rt"] = Router(sim)
    try:
        T.section("import setup", sec_import)
        start_daemon("run 1")
        sim.ctl("POST", "stats/reset")
        for label, fn in (("backends", sec_backends), ("imported", sec_imported),
                          ("dynamic read-only", sec_dynamic_readonly),
                          ("interface create", sec_iface_create), ("hooks", sec_hooks),
                          ("peer create", sec_peer_create), ("peer update", sec_peer_update),
                          ("statistics", sec_stats), ("dynamic later", sec_dynamic_later),
                          ("healing", sec_heal),
                          ("faults", sec_faults), ("no write", sec_nowrite),
                          ("in flight", sec_in_flight), ("restore", sec_restore),
                          ("router down", sec_down_at_start), ("delete", sec_delete),
                          ("log", sec_log)):
            T.section(label, fn)
    finally:
        if ST.get("daemon"):
            ST["daemon"].stop()
        sim.stop()
        shutil.rmtree(ST["tmp"], ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpm", inner, timeout=400))
