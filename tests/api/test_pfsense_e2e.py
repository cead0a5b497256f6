#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfSense backend end to end through REST API v1 (issue 5, spec/backends.md "pfSense").

The real daemon (build/wgportal, or $WGPORTAL_BIN) runs in a private network namespace
"wgpq<pid>" with `backend.pfsense` entries pointing at pfrest v2 simulators
(tests/sim/pfsense_sim.py) over HTTPS on loopback inside that namespace:
  pfq       package 2.9.0 (status endpoint: statistics), read+write key, debug logging on
  pfq-old   package 2.8.0 (no statistics), api_url given with the /api/v2 suffix (normalised)
  pfq-ro    the 2.9.0 firewall again, with a read-only API key
  pfq-late  a firewall that is down at start and comes up later (recovers by itself)
Checked through the API and the simulator's state (/__sim/state: the staged config and the
applied_state): tunnel and peer create/update/disable/enable/delete reach the firewall and are
applied, the peer config download, ids that shift after a delete, read-only key -> 403, null
statistics with a capability flag without the status endpoint and real values with it, a peer
created while the firewall is unreachable fails cleanly (502) with nothing half-written, and no
API key or WireGuard key in the (debug) log. TAP output, exit status 1 on failure.
Daemon and late-firewall ports are ephemeral.
"""
import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "sim"))
import wgtest  # noqa: E402
from wgtest import basic, q  # noqa: E402
from routeros_sim import wg_genkey  # noqa: E402

# LATE_PORT: the firewall that is down at start (its simulator is started later)
PORT, LATE_PORT = wgtest.free_ports(2)
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Passw0rd-pfq-2026!"
ADMIN_TOKEN = "T0k3nPfqAbcdefghijklmnopqrstuvw"
KEY_RW = "pfq-rw-key-6f1c2a9e44d07b3c"
KEY_RO = "pfq-ro-key-0b8d51e7a2c94f16"

T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)
SECRETS = [KEY_RW, KEY_RO, ADMIN_TOKEN, ADMIN_PW]


def api(method, path, body=None):
    return API.api(method, path, body)


def is_error(r, status, contains=None, name=""):
    j = r.json()
    good = (r.status == status and isinstance(j, dict) and j.get("Code") == status
            and r.header("Content-Type") == "application/json")
    if contains is not None:
        good = good and contains in (j.get("Message") or "")
    return T.ok(good, name, f"status {r.status}, body {r.body[:400]!r}, want {status} "
                f"{contains or ''!r}")


class Firewall:
    """One pfrest simulator: control API plus direct REST calls (another admin's client)."""

    def __init__(self, label, args):
        self.sim = wgtest.Sim("pfsense_sim.py", ["--https", "--bind", "127.0.0.1"] + args,
                              label=label)

    def start(self):
        return self.sim.start()

    @property
    def port(self):
        return self.sim.port

    def state(self):
        return self.sim.ctl("GET", "state") or {}

    def ctl(self, method, path, body=None):
        return self.sim.ctl(method, path, body)

    def rest(self, method, path, body=None, key=KEY_RW):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                           context=ssl._create_unverified_context())
        hdrs = {"X-API-Key": key, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, "/api/v2" + path, body=data, headers=hdrs)
            r = conn.getresponse()
            return r.status, json.loads(r.read().decode() or "null")
        finally:
            conn.close()


def find(rows, **kw):
    for r in rows or []:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def aips(fp):
    return [(a["address"], a["mask"]) for a in (fp or {}).get("allowedips", [])]


def applied(st):
    return (st.get("applied_state") or {})


def write_keys(tmp):
    path = os.path.join(tmp, "keys.json")
    with open(path, "w") as f:
        json.dump({KEY_RW: {"privileges": ["read", "write"]},
                   KEY_RO: {"privileges": ["read"]}}, f)
    return path


def write_config(tmp, fw, old, late_port):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
  import_existing: false
  restore_state: false
advanced:
  log_level: debug
  start_cidr_v4: 10.151.0.0/24
  use_ip_v6: false
  start_listen_port: 51820
backend:
  default: pfq
  pfsense:
    - id: pfq
      display_name: Main pfSense
      api_url: https://127.0.0.1:{fw.port}
      api_key: {KEY_RW}
      api_verify_tls: false
      api_timeout: 5s
      concurrency: 3
      debug: true
    - id: pfq-old
      api_url: https://127.0.0.1:{old.port}/api/v2
      api_key: {KEY_RW}
      api_verify_tls: false
      api_timeout: 5s
    - id: pfq-ro
      api_url: https://127.0.0.1:{fw.port}
      api_key: {KEY_RO}
      api_verify_tls: false
      api_timeout: 5s
    - id: pfq-late
      api_url: https://127.0.0.1:{late_port}
      api_key: {KEY_RW}
      api_verify_tls: false
      api_timeout: 3s
statistics:
  data_collection_interval: 1s
database:
  dsn: {tmp}/db/wgportal.sqlite
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def backends():
    return {b.get("Identifier"): b for b in (api("GET", "/backend/all").json() or [])}


def make_iface(name, backend, port, net):
    body = api("GET", "/interface/prepare").json() or {}
    body.update(Identifier=name, DisplayName="pfq " + name, Backend=backend, ListenPort=port,
                Addresses=[net + ".1/24"], PeerDefNetwork=[net + ".0/24"],
                PeerDefEndpoint="vpn.pfq.example:%d" % port)
    SECRETS.append(body.get("PrivateKey"))
    return api("POST", "/interface/new", body), body


def make_peer(iface, name, addr=None):
    p = api("GET", "/peer/prepare/" + q(iface)).json() or {}
    p["DisplayName"] = name
    if addr:
        p["Addresses"] = [addr]
    SECRETS.append(p.get("PrivateKey"))
    SECRETS.append(p.get("PresharedKey"))
    return api("POST", "/peer/new", p), p


# ---------------------------------------------------------------- sections

def test_backends(st):
    b = backends()
    pfq, old, ro = b.get("pfq") or {}, b.get("pfq-old") or {}, b.get("pfq-ro") or {}
    caps = set(pfq.get("Capabilities") or [])
    T.ok(pfq.get("Type") == "pfsense" and pfq.get("Reachable") is True
         and pfq.get("Default") is True and {"peer_statistics", "preshared_keys_write_only",
                                              "private_key_hidden", "create_interface"} <= caps
         and "read_only" not in caps, "backend/all: pfq reachable, 2.9.0 capabilities", pfq)
    T.ok(old.get("Reachable") is True and "peer_statistics" not in
         (old.get("Capabilities") or []),
         "backend/all: pfq-old (api_url with /api/v2, normalised) reachable, no statistics", old)
    # a read-only key is learnt from its first refused write (test_readonly): opening the
    # backend writes nothing, not even a probe
    T.ok(ro.get("Reachable") is True and "read_only" not in (ro.get("Capabilities") or []),
         "backend/all: pfq-ro readable, not probed with a write at start", ro)
    late = b.get("pfq-late") or {}
    T.ok(late.get("Reachable") is False and late.get("LastError"),
         "backend/all: pfq-late down at start is listed unreachable with a reason", late)


def test_tunnel(st, fw):
    r, body = make_iface("tun_wg0", "pfq", 51820, "10.151.0")
    T.ok(r.status == 200 and (r.json() or {}).get("Backend") == "pfq",
         "POST /interface/new on pfq: 200", r)
    s = fw.state()
    t = find(applied(s).get("tunnels"), name="tun_wg0")
    T.ok(t is not None and t.get("publickey") == body["PublicKey"]
         and t.get("listenport") == "51820" and s.get("dirty") is False,
         "tunnel tun_wg0 is on the firewall and applied (public key, port)", t)
    T.ok(t is not None and [(a["address"], a["mask"]) for a in t.get("addresses", [])]
         == [("10.151.0.1", 24)], "tunnel address applied", t)
    st["iface"] = r.json() or {}
    r2, _ = make_iface("wg-bad", "pfq", 51821, "10.152.0")
    is_error(r2, 400, "tun_wg", "identifier that pfSense cannot name: 400 naming tun_wg<N>")
    T.eq(api("GET", "/interface/by-id/wg-bad").status, 404, "... and nothing stored")


def peer_on_fw(s, pub, which="applied"):
    src = applied(s) if which == "applied" else s
    return find(src.get("peers"), publickey=pub)


def test_peers(st, fw):
    r, p = make_peer("tun_wg0", "alice", "10.151.0.2/32")
    T.ok(r.status == 200, "POST /peer/new on pfq: 200", r)
    pid = p["Identifier"]
    st["alice"] = p
    s = fw.state()
    fp = peer_on_fw(s, p["PublicKey"])
    T.ok(fp is not None and fp.get("tun") == "tun_wg0" and fp.get("enabled") is True
         and [(a["address"], a["mask"]) for a in fp.get("allowedips", [])]
         == [("10.151.0.2", 32)] and fp.get("presharedkey") == p["PresharedKey"]
         and s.get("dirty") is False,
         "peer applied on the firewall (tun, enabled, allowed IP, PSK), nothing staged", fp)

    stored = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, Addresses=["10.151.0.3/32"]))
    s = fw.state()
    T.ok(r.status == 200 and aips(peer_on_fw(s, p["PublicKey"])) == [("10.151.0.3", 32)]
         and s.get("dirty") is False, "PUT Addresses: applied allowed IPs", r)
    T.eq((peer_on_fw(s, p["PublicKey"]) or {}).get("presharedkey"), p["PresharedKey"],
         "update keeps the write-only PSK (wgportal's copy, not cleared)")
    T.eq((peer_on_fw(s, p["PublicKey"]) or {}).get("descr"), "alice",
         "display name is the peer's descr on the firewall")
    stored = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, DisplayName="alice-phone"))
    s = fw.state()
    T.ok(r.status == 200 and (peer_on_fw(s, p["PublicKey"]) or {}).get("descr")
         == "alice-phone", "PUT DisplayName: applied descr", r)
    a0 = s.get("applies")
    stored = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, Disabled=True))
    s = fw.state()
    T.ok(r.status == 200 and (peer_on_fw(s, p["PublicKey"]) or {}).get("enabled") is False,
         "disable: the peer stays on the firewall, enabled false (applied)", r)
    T.ok(s.get("applies", 0) - (a0 or 0) == 1, "one apply for the change",
         (a0, s.get("applies")))
    stored = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, Disabled=False))
    s = fw.state()
    T.ok(r.status == 200 and (peer_on_fw(s, p["PublicKey"]) or {}).get("enabled") is True,
         "enable: enabled true (applied)", r)
    T.ok((peer_on_fw(s, p["PublicKey"], "config") or {}) == (peer_on_fw(s, p["PublicKey"])),
         "staged config equals the applied state")

    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid))
    text = r.body.decode(errors="replace")
    T.ok(r.status == 200 and "Endpoint = vpn.pfq.example:51820" in text
         and ("PublicKey = " + st["iface"].get("PublicKey", "?")) in text
         and ("PresharedKey = " + p["PresharedKey"]) in text,
         "peer config: the tunnel's endpoint, public key and the PSK", text[:600])

    # the peer's statistics come from the 2.9.0 status endpoint
    now = int(time.time())
    fw.ctl("POST", "peer-status", {"publickey": p["PublicKey"], "transfer_rx": 123456,
                                   "transfer_tx": 654321, "latest_handshake": now - 5,
                                   "endpoint": "198.51.100.7:40123"})
    m = wgtest.wait_for(lambda: (lambda j: j if (j or {}).get("BytesReceived") == 123456
                                 else None)(api("GET", "/metrics/by-peer/" + q(pid)).json()),
                        timeout=20, step=0.5)
    T.ok(m is not None and m.get("BytesTransmitted") == 654321 and m.get("LastHandshake")
         and m.get("StatsAvailable") is not False,
         "2.9.0: rx/tx/handshake from the status endpoint in /metrics/by-peer", m)

    r = api("DELETE", "/peer/by-id/" + q(pid))
    s = fw.state()
    T.ok(r.status == 204 and peer_on_fw(s, p["PublicKey"]) is None
         and peer_on_fw(s, p["PublicKey"], "config") is None and s.get("dirty") is False,
         "DELETE peer: gone from config and applied state", r)


def test_ids_shift(st, fw):
    peers = []
    for i, n in enumerate(("p-a", "p-b", "p-c")):
        r, p = make_peer("tun_wg0", n, "10.151.0.%d/32" % (10 + i))
        T.ok(r.status == 200, f"create {n}", r)
        peers.append(p)
    s = fw.state()
    first = peer_on_fw(s, peers[0]["PublicKey"], "config")
    # another admin deletes the first of them directly on the firewall: ids after it shift
    status, _ = fw.rest("DELETE", "/vpn/wireguard/peer?id=%d&apply=true" % first["id"])
    T.eq(status, 200, "direct DELETE of p-a on the firewall (ids shift down)")
    s = fw.state()
    b_before = peer_on_fw(s, peers[1]["PublicKey"])
    c = peers[2]
    stored = api("GET", "/peer/by-id/" + q(c["Identifier"])).json() or {}
    r = api("PUT", "/peer/by-id/" + q(c["Identifier"]), dict(stored, Addresses=["10.151.0.22/32"]))
    s = fw.state()
    T.ok(r.status == 200 and aips(peer_on_fw(s, c["PublicKey"])) == [("10.151.0.22", 32)],
         "update of p-c through wgportal lands on p-c", r)
    T.eq(peer_on_fw(s, peers[1]["PublicKey"]), b_before, "p-b (now at p-c's old id) unchanged")
    for p in peers[1:]:
        api("DELETE", "/peer/by-id/" + q(p["Identifier"]))
    api("DELETE", "/peer/by-id/" + q(peers[0]["Identifier"]))
    s = fw.state()
    T.ok(not [x for x in s.get("peers", []) if x.get("tun") == "tun_wg0"],
         "all test peers deleted", s.get("peers"))


def test_readonly(st, fw):
    before = fw.state()
    r, _ = make_iface("tun_wg5", "pfq-ro", 51825, "10.155.0")
    is_error(r, 403, "read-only", "create on the read-only backend: 403 JSON")
    T.ok("core.restore_state" in (r.msg or ""), "403 message names core.restore_state", r)
    T.eq(api("GET", "/interface/by-id/tun_wg5").status, 404, "... and nothing stored")
    after = fw.state()
    T.ok(find(after.get("tunnels"), name="tun_wg5") is None
         and after.get("generation") == before.get("generation"),
         "... and nothing written on the firewall")
    b = backends().get("pfq-ro") or {}
    T.ok(b.get("Reachable") is True, "read-only backend stays reachable (readable)", b)
    T.ok("read_only" in (b.get("Capabilities") or [])
         and "core.restore_state" in (b.get("LastError") or ""),
         "backend/all: pfq-ro now flagged read_only, naming core.restore_state", b)
    r, _ = make_iface("tun_wg5", "pfq-ro", 51825, "10.155.0")
    is_error(r, 403, "read-only", "a second create: refused by wgportal itself")
    T.eq(fw.state().get("generation"), before.get("generation"),
         "... still nothing written on the firewall")


def test_old_package(st, old):
    # pfSense names a new tunnel itself (the lowest free tun_wgN on that firewall), and an
    # identifier is one per store: tun_wg0 is pfq's. Another admin made tun_wg0 here, so
    # this firewall's next tunnel is tun_wg1, which prepare answers for this backend.
    if api("GET", "/interface/by-id/tun_wg0").status == 200:
        pr = api("GET", "/interface/prepare?backend=pfq-old")
        is_error(pr, 409, "tun_wg0", "prepare?backend=pfq-old while the firewall would name "
                 "its next tunnel tun_wg0, pfq's: 409 naming it")
    s, _ = old.rest("POST", "/vpn/wireguard/tunnel",
                    {"privatekey": wg_genkey(),
                     "listenport": "51839", "descr": "another admin's"})
    T.ok(s == 200, "another admin's tunnel on the 2.8.0 firewall", s)
    pr = api("GET", "/interface/prepare?backend=pfq-old")
    T.ok(pr.status == 200 and (pr.json() or {}).get("Identifier") == "tun_wg1",
         "prepare?backend=pfq-old: tun_wg1, the name this firewall gives next", pr)
    r, _ = make_iface("tun_wg1", "pfq-old", 51830, "10.153.0")
    T.ok(r.status == 200, "interface on the 2.8.0 firewall: 200", r)
    name = (r.json() or {}).get("Identifier", "tun_wg1")
    r, p = make_peer(name, "old-peer")
    T.ok(r.status == 200, "peer on the 2.8.0 firewall: 200", r)
    pid = p.get("Identifier", "")
    time.sleep(2.5)       # a few statistics sweeps
    m = api("GET", "/metrics/by-peer/" + q(pid)).json() or {}
    T.ok(m.get("BytesReceived") is None and m.get("BytesTransmitted") is None
         and m.get("LastHandshake") is None and m.get("StatsAvailable") is False,
         "2.8.0: rx/tx/handshake null with StatsAvailable false (never 0 / never)", m)
    T.ok((applied(old.state()).get("peers") or [{}])[0].get("publickey") == p.get("PublicKey"),
         "peer applied on the 2.8.0 firewall")


def test_unreachable_create(st, fw):
    s0 = fw.state()
    fw.ctl("POST", "down", {"down": True})
    r, p = make_peer("tun_wg0", "while-down", "10.151.0.40/32")
    is_error(r, 502, None, "peer create while the firewall is unreachable: 502 JSON")
    T.ok(r.msg and "key" not in (r.msg or "").lower().replace("public key", ""),
         "... with a reason and no key material", r.msg)
    fw.ctl("POST", "down", {"down": False})
    T.eq(api("GET", "/peer/by-id/" + q(p["Identifier"])).status, 404,
         "after it is back: no such peer in the store")
    s = fw.state()
    T.ok(peer_on_fw(s, p["PublicKey"], "config") is None and s.get("dirty") is False
         and s.get("generation") == s0.get("generation"),
         "... none on the firewall, no staged change, no apply", s.get("peers"))

    # the simulator stopped altogether (connection refused), then back
    r2, p2 = None, None
    fw.ctl("POST", "fault", {"match": "/vpn/wireguard/peer", "method": "POST",
                             "kind": "status", "status": 503, "count": 1,
                             "body": {"code": 503, "status": "service unavailable",
                                      "response_id": "MODEL_WRITE_CONFIG_LOCKED",
                                      "message": "Could not obtain a lock", "data": []}})
    r2, p2 = make_peer("tun_wg0", "while-locked", "10.151.0.41/32")
    fw.ctl("POST", "faults/clear", {})
    is_error(r2, 502, "MODEL_WRITE_CONFIG_LOCKED", "config lock on create: 502 naming it")
    s = fw.state()
    T.ok(api("GET", "/peer/by-id/" + q(p2["Identifier"])).status == 404
         and peer_on_fw(s, p2["PublicKey"], "config") is None and s.get("dirty") is False,
         "... nothing stored, nothing on the firewall, nothing staged")
    # the firewall writes and applies the create, but the answer never arrives (connection
    # cut, and cut again for a repeat): wgportal reports the failure, so the peer must not
    # stay on the firewall once it answers again
    fw.ctl("POST", "fault", {"match": "/vpn/wireguard/peer", "method": "POST", "kind": "drop",
                             "apply": True, "count": 1})
    fw.ctl("POST", "fault", {"match": "/vpn/wireguard/", "kind": "drop", "count": 4})
    r4, p4 = make_peer("tun_wg0", "answer-lost", "10.151.0.43/32")
    fw.ctl("POST", "faults/clear", {})
    T.ok(r4.status >= 500 and isinstance(r4.json(), dict), "create whose answer is lost: 5xx JSON", r4)
    T.eq(api("GET", "/peer/by-id/" + q(p4["Identifier"])).status, 404,
         "... not in the store")
    gone = wgtest.wait_for(lambda: peer_on_fw(fw.state(), p4["PublicKey"], "config") is None
                           and fw.state().get("dirty") is False, timeout=20, step=0.5)
    if not gone:   # compensation may wait for the next call on the backend
        make_peer("tun_wg0", "nudge", "10.151.0.44/32")
        gone = peer_on_fw(fw.state(), p4["PublicKey"], "config") is None
    T.ok(gone, "... and not left on the firewall (removed again, applied)",
         peer_on_fw(fw.state(), p4["PublicKey"], "config"))
    # and the next create works
    r3, p3 = make_peer("tun_wg0", "after", "10.151.0.42/32")
    T.ok(r3.status == 200 and peer_on_fw(fw.state(), p3["PublicKey"]) is not None,
         "create after recovery: 200, applied", r3)


def test_late_backend(st, late):
    T.ok(late.start(), "pfq-late firewall comes up")
    b = wgtest.wait_for(lambda: (backends().get("pfq-late") or {}).get("Reachable") is True,
                        timeout=30, step=0.5)
    T.ok(b is True, "pfq-late becomes reachable by itself", backends().get("pfq-late"))


def check_log(st, d):
    log = d.log()
    T.ok("GET /vpn/wireguard/peers" in log or "/vpn/wireguard/peers" in log,
         "debug log has the pfSense requests", log[-2000:])
    T.ok("core.restore_state" in log and "read-only" in log,
         "log says in plain words the pfq-ro key is read-only, naming core.restore_state")
    T.ok("api_url should not include /api/v2" in log or "api_url ends in /api/v2" in log,
         "log warns about the /api/v2 suffix of pfq-old (and it still works, above)")
    T.ok("X-API-Key" not in log, "log has no X-API-Key header")


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpq-")
    os.makedirs(os.path.join(tmp, "db"))
    keys = write_keys(tmp)
    fw = Firewall("pfq-290", ["--pkg-version", "2.9.0", "--wg-enable", "--keys", keys])
    old = Firewall("pfq-280", ["--pkg-version", "2.8.0", "--wg-enable", "--keys", keys])
    late = Firewall("pfq-late", ["--pkg-version", "2.9.0", "--keys", keys, "--port",
                                 str(LATE_PORT)])
    d = wgtest.Daemon(tmp, "pfsense-e2e")
    st = {}
    try:
        if not (T.ok(fw.start() and old.start(), "simulators start (HTTPS)")):
            return T.done()
        ok = d.start(write_config(tmp, fw, old, LATE_PORT), PORT)
        if not T.ok(ok, "daemon starts with four backend.pfsense entries", d.log()[-3000:]):
            return T.done()
        T.section("backends", test_backends, st)
        T.section("tunnel", test_tunnel, st, fw)
        if st.get("iface"):
            T.section("peers", test_peers, st, fw)
            T.section("ids shift", test_ids_shift, st, fw)
            T.section("unreachable create", test_unreachable_create, st, fw)
        T.section("read-only key", test_readonly, st, fw)
        T.section("2.8.0 without statistics", test_old_package, st, old)
        T.section("down at start", test_late_backend, st, late)
        T.section("log", check_log, st, d)
        d.check_end(T, "pfsense e2e", secrets=[s for s in SECRETS if s])
    finally:
        if d.running():
            d.stop()
        for f in (fw, old, late):
            f.sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpq", main))
