#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfSense: real-package fidelity and the read-only import (issue 11).

The daemon runs in a fresh network namespace "wgpi<pid>" against the pfrest simulator in its
default mode, which behaves like pfSense-pkg-RESTAPI 2.10 (tests/sim/README.md). The firewall
already holds two tunnels with peers that wgportal did not create (a preshared key, a keepalive,
an FQDN endpoint, a disabled peer), put there by another admin through the REST API.

Checked:
  - import is read-only: a start with core.import_existing and core.restore_state, a reconnect
    after the firewall was away, and the healer's ticks send no write at all (every request
    counted in the simulator's log), and the peers keep their PSK and keepalive;
  - GET and DELETE requests carry no body and no JSON content type (pfrest decodes by type);
  - a new tunnel is created without the read-only `name` (pfSense assigns tun_wgN), and
    GET /interface/prepare (default backend and ?backend=) answers that next free tun_wgN;
  - peer statistics of the second tunnel come through (/status/wireguard/tunnels, not the
    peers endpoint whose array union drops them);
  - API v1 updates, disables and deletes interfaces and peers on the new tunnel, each applied;
  - a peer and a tunnel deleted through the API are gone from the running state: the plural
    DELETE is followed by a confirmed apply;
  - a peer another admin deletes is re-created by the healer with one write, and only it;
  - changing an imported peer's display name writes only its description, never the PSK.
TAP output, exit status 1 on failure. The daemon's port is ephemeral.
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
from wgtest import basic, q, wait_for  # noqa: E402
from routeros_sim import wg_genkey, wg_pubkey  # noqa: E402

PORT = wgtest.free_port()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Passw0rd-pfi-2026!"
ADMIN_TOKEN = "T0k3nPfiAbcdefghijklmnopqrstuvw"
KEY = "pfi-rw-key-5d2e71c0a9b84f33"          # wgportal's key
OTHER = "pfi-admin-key-8a41c6e2f0d95b17"     # another admin's client
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
W = "/vpn/wireguard"

T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)
SECRETS = [KEY, OTHER, ADMIN_TOKEN, ADMIN_PW, PSK]
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def api(method, path, body=None):
    return API.api(method, path, body)


class Firewall:
    def __init__(self, keys_file):
        self.sim = wgtest.Sim("pfsense_sim.py", ["--https", "--bind", "127.0.0.1", "--wg-enable",
                                                 "--keys", keys_file], label="pfi")

    def rest(self, method, path, body=None, query=""):
        """Another admin's client: JSON bodies with their type, GET/DELETE without one."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.sim.port, timeout=30,
                                           context=ssl._create_unverified_context())
        hdrs = {"X-API-Key": OTHER, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        try:
            conn.request(method, "/api/v2" + path + query, body=data, headers=hdrs)
            r = conn.getresponse()
            return r.status, json.loads(r.read().decode() or "null")
        finally:
            conn.close()

    def state(self):
        return self.sim.ctl("GET", "state") or {}

    def log(self):
        """wgportal's requests only."""
        return [e for e in (self.sim.ctl("GET", "log") or []) if e.get("auth") == "key:" + KEY]

    def clear_log(self):
        self.sim.ctl("POST", "log/clear", {})


def writes(entries):
    return [(e["method"], e["path"], e.get("body")) for e in entries if e["method"] in WRITES]


def find(rows, **kw):
    return next((r for r in rows or [] if all(r.get(k) == v for k, v in kw.items())), None)


def populate(fw, st):
    """Two tunnels and five peers, as another admin would have set them up."""
    def ok2(res, what):
        if res[0] != 200:
            raise RuntimeError("populate: %s -> %r" % (what, res))
        return res[1]["data"]
    t0 = ok2(fw.rest("POST", W + "/tunnel", {"privatekey": wg_genkey(), "descr": "Office",
                                             "listenport": "51820", "addresses": [
                                                 {"address": "10.160.0.1", "mask": 24}]}), "tun0")
    t1 = ok2(fw.rest("POST", W + "/tunnel", {"privatekey": wg_genkey(), "descr": "Lab",
                                             "listenport": "51821", "addresses": [
                                                 {"address": "10.161.0.1", "mask": 24}]}), "tun1")
    st["tun"] = [t0["name"], t1["name"]]
    keys = [wg_pubkey(wg_genkey()) for _ in range(5)]
    st["keys"] = keys
    ok2(fw.rest("POST", W + "/peer", {"tun": t0["name"], "publickey": keys[0], "enabled": True,
                                      "descr": "laptop", "presharedkey": PSK,
                                      "persistentkeepalive": 25,
                                      "endpoint": "peer1.example.com", "port": "51821",
                                      "allowedips": [{"address": "10.160.0.2", "mask": 32}]}), "p1")
    ok2(fw.rest("POST", W + "/peer", {"tun": t0["name"], "publickey": keys[1], "enabled": True,
                                      "allowedips": [{"address": "10.160.0.3", "mask": 32}]}), "p2")
    ok2(fw.rest("POST", W + "/peer", {"tun": t0["name"], "publickey": keys[2], "enabled": False,
                                      "descr": "old phone",
                                      "allowedips": [{"address": "10.160.0.4", "mask": 32}]}), "p3")
    ok2(fw.rest("POST", W + "/peer", {"tun": t1["name"], "publickey": keys[3], "enabled": True,
                                      "descr": "lab-a",
                                      "allowedips": [{"address": "10.161.0.2", "mask": 32}]}), "q1")
    ok2(fw.rest("POST", W + "/peer", {"tun": t1["name"], "publickey": keys[4], "enabled": True,
                                      "descr": "lab-b", "persistentkeepalive": 15,
                                      "allowedips": [{"address": "10.161.0.3", "mask": 32}]}), "q2")
    ok2(fw.rest("POST", W + "/apply", {"async": False}), "apply")
    fw.sim.ctl("POST", "peer-status", {"publickey": keys[3], "transfer_rx": 4242,
                                       "transfer_tx": 2424, "latest_handshake": int(time.time()),
                                       "endpoint": "198.51.100.3:40000"})


def write_config(tmp, fw):
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""  import_existing: true
  restore_state: true
advanced:
  start_cidr_v4: 10.165.0.0/24
  use_ip_v6: false
  start_listen_port: 51840
backend:
  default: pfi
  pfsense:
    - id: pfi
      api_url: https://127.0.0.1:{fw.sim.port}
      api_key: {KEY}
      api_verify_tls: false
      api_timeout: 3s
statistics:
  data_collection_interval: 1s
database:
  dsn: {tmp}/db/wgportal.sqlite
web:
  listening_address: 127.0.0.1:{PORT}
""")


def backend_reachable():
    for b in api("GET", "/backend/all").json() or []:
        if b.get("Identifier") == "pfi":
            return b.get("Reachable")
    return None


# ---------------------------------------------------------------- sections

def sec_import(st, fw):
    s = fw.state()
    p1 = find(s["peers"], publickey=st["keys"][0])
    T.ok(p1 and p1.get("presharedkey") == PSK and p1.get("persistentkeepalive") == 25,
         "import + restore at start: the imported peer keeps its PSK and keepalive", p1)
    ifs = {i["Identifier"]: i for i in api("GET", "/interface/all").json() or []}
    T.ok(set(st["tun"]) <= set(ifs), "both tunnels imported", sorted(ifs))
    # healer ticks on remote devices every 5 s, statistics every second
    time.sleep(12)
    log = fw.log()
    T.eq(writes(log), [], "start, statistics and healer: no write to the firewall")
    bad = [(e["method"], e["path"], e.get("content_type")) for e in log
           if e["method"] in ("GET", "DELETE") and e.get("content_type")]
    T.eq(bad, [], "GET/DELETE carry no Content-Type (pfrest decodes them from the query)")
    bodies = [(e["method"], e["path"]) for e in log
              if e["method"] in ("GET", "DELETE") and e.get("body") is not None]
    T.eq(bodies, [], "GET/DELETE carry no body")


def sec_stats(st, fw):
    keys = st["keys"]
    m = wait_for(lambda: (lambda j: j if (j or {}).get("BytesReceived") == 4242 else None)(
        api("GET", "/metrics/by-peer/" + q(keys[3])).json()), timeout=15, step=0.5)
    T.ok(m is not None and m.get("BytesTransmitted") == 2424,
         "statistics of the second tunnel's first peer (/status/wireguard/tunnels)",
         api("GET", "/metrics/by-peer/" + q(keys[3])).json())


def sec_reconnect(st, fw):
    fw.sim.ctl("POST", "down", {"down": True})
    T.ok(wait_for(lambda: backend_reachable() is False, timeout=20, step=0.5),
         "the firewall going away is noticed")
    fw.sim.ctl("POST", "down", {"down": False})
    fw.clear_log()
    T.ok(wait_for(lambda: backend_reachable() is True, timeout=30, step=0.5),
         "... and its return")
    time.sleep(8)
    T.eq(writes(fw.log()), [], "reconnect (import again) and the healer after it: no write")
    p1 = find(fw.state()["peers"], publickey=st["keys"][0])
    T.ok(p1 and p1.get("presharedkey") == PSK and p1.get("persistentkeepalive") == 25,
         "... the PSK and keepalive are still the firewall's", p1)


def sec_heal(st, fw):
    """restore_state re-creates what the store holds and the firewall lost, and nothing else."""
    key = st["keys"][1]
    p2 = find(fw.state()["peers"], publickey=key) or {}
    fw.clear_log()
    res = fw.rest("DELETE", W + "/peer", query="?id=%s&apply=true" % p2.get("id", -1))
    T.ok(res[0] == 200, "another admin deletes an imported peer", res)
    back = wait_for(lambda: find(fw.state()["applied_state"]["peers"], publickey=key),
                    timeout=30, step=0.5)
    T.ok(back is not None, "the healer re-creates it on the firewall", back)
    w = writes(fw.log())
    T.ok(len(w) == 1 and w[0][0] == "POST" and (w[0][2] or {}).get("publickey") == key,
         "... with one write: that peer's POST (no other peer touched)", w)
    p1 = find(fw.state()["peers"], publickey=st["keys"][0])
    T.ok(p1 and p1.get("presharedkey") == PSK and p1.get("persistentkeepalive") == 25,
         "... the other imported peers keep their PSK and keepalive", p1)


def sec_user_edit(st, fw):
    key = st["keys"][0]
    fw.clear_log()
    stored = api("GET", "/peer/by-id/" + q(key)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(key), dict(stored, DisplayName="laptop (Anna)"))
    patches = [e for e in fw.log() if e["method"] == "PATCH"]
    T.ok(r.status == 200 and len(patches) == 1
         and set(patches[0]["body"]) <= {"id", "descr", "apply", "async"},
         "renaming an imported peer writes its description only", (r, patches))
    p1 = find(fw.state()["applied_state"]["peers"], publickey=key)
    T.ok(p1 and p1.get("descr") == "laptop (Anna)" and p1.get("presharedkey") == PSK
         and p1.get("persistentkeepalive") == 25, "... applied; PSK and keepalive untouched", p1)


def sec_prepare_create(st, fw):
    r = api("GET", "/interface/prepare")
    body = r.json() or {}
    T.ok(r.status == 200 and body.get("Identifier") == "tun_wg2" and body.get("Backend") == "pfi",
         "prepare on a pfSense default backend: the next free tun_wgN", body)
    r2 = api("GET", "/interface/prepare?backend=pfi")
    T.eq((r2.json() or {}).get("Identifier"), "tun_wg2", "prepare?backend=pfi: tun_wg2")
    r3 = api("GET", "/interface/prepare?backend=local")
    T.ok(r3.status == 200 and not (r3.json() or {}).get("Identifier", "").startswith("tun_wg")
         and (r3.json() or {}).get("Backend") == "local", "prepare?backend=local: a local name",
         r3)
    r4 = api("GET", "/interface/prepare?backend=nope")
    T.ok(r4.status == 400 and "backend" in (r4.msg or "").lower(),
         "prepare?backend=<unknown>: 400 naming the backend", r4)
    fw.clear_log()
    SECRETS.append(body.get("PrivateKey"))
    body["Identifier"] = "tun_wg2"        # the name pfSense will assign, whatever prepare said
    r = api("POST", "/interface/new", body)
    posts = [e for e in fw.log() if e["method"] == "POST" and e["path"].endswith(W + "/tunnel")]
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "tun_wg2",
         "prepare -> new on pfSense: 200", r)
    T.ok(posts and "name" not in posts[0]["body"],
         "the tunnel create does not send the read-only name", posts)
    s = fw.state()
    T.ok(find(s["applied_state"]["tunnels"], name="tun_wg2") is not None and not s["dirty"],
         "tun_wg2 is on the firewall and applied", [t["name"] for t in s["tunnels"]])
    st["new"] = "tun_wg2"


def sec_crud(st, fw):
    """Update and disable through API v1 against the real package: each lands and is applied."""
    name = st["new"]

    def tunnel():
        s = fw.state()
        return find(s["applied_state"]["tunnels"], name=name) or {}, s["dirty"]
    ifc = api("GET", "/interface/by-id/" + name).json() or {}
    r = api("PUT", "/interface/by-id/" + name, dict(ifc, ListenPort=51877, DisplayName="Branch"))
    t, dirty = tunnel()
    T.ok(r.status == 200 and t.get("listenport") == "51877" and t.get("descr") == "Branch"
         and not dirty, "interface update: port and description applied", (r, t))
    ifc = api("GET", "/interface/by-id/" + name).json() or {}
    r = api("PUT", "/interface/by-id/" + name, dict(ifc, Disabled=True, DisabledReason="test"))
    t, dirty = tunnel()
    T.ok(r.status == 200 and t.get("enabled") is False and not dirty,
         "interface disabled: the tunnel is disabled and applied", (r, t))
    ifc = api("GET", "/interface/by-id/" + name).json() or {}
    r = api("PUT", "/interface/by-id/" + name, dict(ifc, Disabled=False, DisabledReason=""))
    t, dirty = tunnel()
    T.ok(r.status == 200 and t.get("enabled") is True and not dirty,
         "interface enabled again: applied", (r, t))

    p = api("GET", "/peer/prepare/" + name).json() or {}
    SECRETS.extend([p.get("PrivateKey"), p.get("PresharedKey")])
    r = api("POST", "/peer/new", dict(p, DisplayName="branch-peer"))
    key = p.get("Identifier", "")

    def peer():
        s = fw.state()
        return find(s["applied_state"]["peers"], publickey=key) or {}, s["dirty"]
    fp, dirty = peer()
    T.ok(r.status == 200 and fp.get("tun") == name and fp.get("descr") == "branch-peer"
         and fp.get("presharedkey") == p.get("PresharedKey") and not dirty,
         "peer create on it: applied with its PSK", (r, fp))
    stored = api("GET", "/peer/by-id/" + q(key)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(key), dict(stored, DisplayName="branch-peer-2",
                                                  ExtraAllowedIPs=["192.168.77.0/24"]))
    fp, dirty = peer()
    T.ok(r.status == 200 and fp.get("descr") == "branch-peer-2"
         and {"address": "192.168.77.0", "mask": 24} in [
             {"address": a.get("address"), "mask": a.get("mask")} for a in fp.get("allowedips", [])]
         and fp.get("presharedkey") == p.get("PresharedKey") and not dirty,
         "peer update: name and allowed IPs applied, PSK kept", (r, fp))
    stored = api("GET", "/peer/by-id/" + q(key)).json() or {}
    r = api("PUT", "/peer/by-id/" + q(key), dict(stored, Disabled=True))
    fp, dirty = peer()
    T.ok(r.status == 200 and fp.get("enabled") is False and not dirty,
         "peer disabled: applied", (r, fp))
    r = api("DELETE", "/peer/by-id/" + q(key))
    fp, dirty = peer()
    T.ok(r.status == 204 and not fp and not dirty, "peer deleted: gone and applied", r)


def sec_deletes(st, fw):
    key = st["keys"][1]
    fw.clear_log()
    r = api("DELETE", "/peer/by-id/" + q(key))
    s = fw.state()
    T.ok(r.status == 204 and find(s["peers"], publickey=key) is None
         and find(s["applied_state"]["peers"], publickey=key) is None and not s["dirty"],
         "peer deleted through the API: gone from the config and the running state", r)
    T.ok(any(e["method"] == "POST" and e["path"].endswith("/apply") for e in fw.log()),
         "... an apply followed the (plural) DELETE", [w[:2] for w in writes(fw.log())])
    r = api("DELETE", "/interface/by-id/" + st["new"])
    s = fw.state()
    T.ok(r.status == 204 and find(s["tunnels"], name=st["new"]) is None
         and find(s["applied_state"]["tunnels"], name=st["new"]) is None and not s["dirty"],
         "tunnel deleted through the API: gone and applied", r)


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpi-")
    os.makedirs(os.path.join(tmp, "db"))
    keys = os.path.join(tmp, "keys.json")
    with open(keys, "w") as f:
        json.dump({KEY: {"privileges": ["read", "write"]},
                   OTHER: {"privileges": ["read", "write"]}}, f)
    fw = Firewall(keys)
    d = wgtest.Daemon(tmp, "pfsense-fidelity")
    st = {}
    try:
        if not T.ok(fw.sim.start(), "pfrest simulator starts (default: real package mode)"):
            return T.done()
        populate(fw, st)
        fw.clear_log()
        if not T.ok(d.start(write_config(tmp, fw), PORT), "daemon starts (import + restore)",
                    d.log()[-3000:]):
            return T.done()
        T.section("import is read-only", sec_import, st, fw)
        T.section("statistics", sec_stats, st, fw)
        T.section("reconnect", sec_reconnect, st, fw)
        T.section("healer", sec_heal, st, fw)
        T.section("user edit", sec_user_edit, st, fw)
        T.section("prepare and create", sec_prepare_create, st, fw)
        if st.get("new"):
            T.section("update, disable, delete", sec_crud, st, fw)
            T.section("deletes", sec_deletes, st, fw)
        d.check_end(T, "pfsense fidelity", secrets=[s for s in SECRETS if s])
    finally:
        if d.running():
            d.stop()
        fw.sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpi", main))
