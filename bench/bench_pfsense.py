#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
pfSense backend benchmark: sync 500 peers at 20 ms latency (issue 5).

Runs inside a fresh network namespace wgpfb<pid> (tests/lib/wgtest.in_netns; loopback only):
the pfrest v2 simulator (tests/sim/pfsense_sim.py, HTTPS, package 2.9.0, --latency-ms 20 before
every /api/v2 request) and the real daemon (build/wgportal or $WGPORTAL_BIN) with one
backend.pfsense entry.

  1. 500 peers are created through REST API v1 with the simulator at 0 ms (setup, not timed),
     then the firewall is emptied (/__sim/reset) and the daemon restarted with
     core.restore_state: true at 20 ms: the start-up sync puts the tunnel and all 500 peers
     back. Measured: HTTP calls and applies the simulator counted, and the wall time from the
     daemon's start until the firewall runs all 500 peers (applied state, polled).
  2. The reference, in the same run on the same simulator (reset, 20 ms): WireGuard Portal's
     restore sequence of spec/pfsense-rest.md section 6 replayed call by call over one
     keep-alive HTTPS connection: GetInterface, SaveInterface (lookup, POST tunnel, POST apply),
     SavePeer per peer (lookup, POST peer, POST apply), GetPeers.
  3. One peer created through the API at 20 ms: calls and wall time against wg-portal's 3.

Figures are printed and written to --summary as "name: value" lines; nothing fails on speed.
Exit status 1 only when a step could not run or the firewall did not end with the 500 peers.
Bounded: every wait has a deadline; the whole run takes about 2 minutes at 20 ms.
Ports: daemon 19590 (inside the namespace), simulator on a free port.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402

PORT = 19590
ADMIN = "admin@wgportal.local"
KEY = "bench-pf-key-71c0e2d95a3b48f6"
N = 500
LAT = 20
W = "/api/v2/vpn/wireguard"


def log(msg):
    print(msg, flush=True)


def write_config(tmp, sim_port, pw, token, restore):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{pw}"
  admin_api_token: "{token}"
  import_existing: false
  restore_state: {"true" if restore else "false"}
advanced:
  start_cidr_v4: 10.160.0.0/20
  use_ip_v6: false
backend:
  default: pfb
  pfsense:
    - id: pfb
      api_url: https://127.0.0.1:{sim_port}
      api_key: {KEY}
      api_verify_tls: false
      api_timeout: 30s
      concurrency: 5
statistics:
  data_collection_interval: 1h
database:
  dsn: {tmp}/wgportal.sqlite
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


class Rest:
    """wg-portal's client: one keep-alive HTTPS connection, X-API-Key, JSON with sorted keys."""

    def __init__(self, port):
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=60,
                                                context=ssl._create_unverified_context())
        self.calls = 0

    def call(self, method, path, body=None):
        hdrs = {"X-API-Key": KEY, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, sort_keys=True).encode()
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=hdrs)
        r = self.conn.getresponse()
        raw = r.read()
        self.calls += 1
        if r.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {r.status} {raw[:200]!r}")
        return json.loads(raw.decode())["data"]


def q(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


def wgportal_restore(sim, tunnel, peers):
    """spec/pfsense-rest.md 6, Startup/restore for one interface and its DB peers."""
    c = Rest(sim.port)
    t0 = time.monotonic()
    # GetInterface
    found = c.call("GET", f"{W}/tunnels?name={tunnel['name']}")
    if found:
        c.call("GET", f"{W}/tunnel?id={found[0]['id']}")
    # SaveInterface: lookup, create, apply
    c.call("GET", f"{W}/tunnels?name={tunnel['name']}")
    c.call("POST", f"{W}/tunnel", {"addresses": tunnel["addresses"], "descr": "",
                                   "disabled": "false", "listenport": tunnel["listenport"],
                                   "mtu": 1420, "name": tunnel["name"],
                                   "privatekey": tunnel["privatekey"]})
    c.call("POST", f"{W}/apply", {})
    # SavePeer per DB peer: lookup, create, apply
    for p in peers:
        c.call("GET", f"{W}/peers?publickey={q(p['publickey'])}&tun={tunnel['name']}")
        c.call("POST", f"{W}/peer", {"allowedips": p["allowedips"], "descr": p["descr"],
                                     "enabled": True, "persistentkeepalive": 0,
                                     "presharedkey": p["presharedkey"],
                                     "publickey": p["publickey"], "tun": tunnel["name"]})
        c.call("POST", f"{W}/apply", {})
    # GetPeers (nothing to delete: the firewall has only DB peers now)
    c.call("GET", f"{W}/peers")
    return c.calls, time.monotonic() - t0


def applied_peers(sim):
    st = sim.ctl("GET", "state") or {}
    return len(((st.get("applied_state") or {}).get("peers")) or []), st


def main(ns, args):
    tmp = tempfile.mkdtemp(prefix="wgpfb-")
    pw = base64.b16encode(os.urandom(10)).decode()
    token = base64.b16encode(os.urandom(16)).decode()
    keys = os.path.join(tmp, "keys.json")
    with open(keys, "w") as f:
        json.dump({KEY: {"privileges": ["read", "write"]}}, f)
    sim = wgtest.Sim("pfsense_sim.py", ["--https", "--pkg-version", "2.9.0", "--wg-enable",
                                        "--keys", keys], label="bench-pfsense")
    d = wgtest.Daemon(tmp, "bench-pfsense")
    api = wgtest.Client(PORT, wgtest.basic(ADMIN, token), timeout=120)
    figures = []
    ok = False
    try:
        if not sim.start():
            log("bench_pfsense: simulator did not start")
            return 1
        # ---- setup: 500 peers in the store (and on the firewall), 0 ms latency
        if not d.start(write_config(tmp, sim.port, pw, token, False), PORT):
            log("bench_pfsense: daemon did not start\n" + d.log()[-2000:])
            return 1
        body = api.api("GET", "/interface/prepare").json() or {}
        body.update(Identifier="tun_wg0", ListenPort=51820, Addresses=["10.160.0.1/20"],
                    PeerDefNetwork=["10.160.0.0/20"], PeerDefEndpoint="vpn.example.com:51820")
        r = api.api("POST", "/interface/new", body)
        if r.status != 200:
            log(f"bench_pfsense: interface create failed: {r}")
            return 1
        t0 = time.monotonic()
        for i in range(N):
            p = api.api("GET", "/peer/prepare/tun_wg0").json() or {}
            r = api.api("POST", "/peer/new", p)
            if r.status != 200:
                log(f"bench_pfsense: peer {i} create failed: {r}")
                return 1
        log(f"setup: {N} peers created through the API at 0 ms in "
            f"{time.monotonic() - t0:.1f} s")
        n, st = applied_peers(sim)
        fw_tunnel = dict((st.get("tunnels") or [{}])[0])
        fw_peers = [dict(p) for p in st.get("peers") or []]
        if n != N:
            log(f"bench_pfsense: firewall has {n} peers after setup, want {N}")
            return 1

        # ---- one peer through the API at 20 ms (per-peer cost)
        sim.ctl("POST", "latency", {"ms": LAT})
        sim.ctl("POST", "stats/reset", {})
        a0 = (sim.ctl("GET", "stats") or {}).get("applies", 0)
        p = api.api("GET", "/peer/prepare/tun_wg0").json() or {}
        t0 = time.monotonic()
        r = api.api("POST", "/peer/new", p)
        t_one = time.monotonic() - t0
        s = sim.ctl("GET", "stats") or {}
        one_calls, one_applies = s.get("requests"), s.get("applies", 0) - a0
        api.api("DELETE", "/peer/by-id/" + wgtest.q(p["Identifier"]))
        log(f"one peer via API at {LAT} ms: {one_calls} calls, {one_applies} apply, "
            f"{t_one * 1000:.0f} ms [wg-portal: 3 calls, 1 apply]")
        figures += [("pfsense_peer_create_calls", f"{one_calls} (wg-portal 3)"),
                    ("pfsense_peer_create_ms", f"{t_one * 1000:.0f}")]
        d.stop()

        # ---- wgportal: restore 500 peers onto the emptied firewall at 20 ms
        sim.ctl("POST", "latency", {"ms": 0})
        sim.ctl("POST", "reset", {"wg_enable": True})
        sim.ctl("POST", "latency", {"ms": LAT})
        sim.ctl("POST", "stats/reset", {})
        a0 = (sim.ctl("GET", "stats") or {}).get("applies", 0)
        d2 = wgtest.Daemon(tmp, "bench-pfsense-restore")
        t0 = time.monotonic()
        if not d2.start(write_config(tmp, sim.port, pw, token, True), PORT, timeout=300):
            log("bench_pfsense: daemon (restore) did not start\n" + d2.log()[-2000:])
            return 1
        done = wgtest.wait_for(lambda: applied_peers(sim)[0] >= N, timeout=args.deadline,
                               step=0.2)
        t_ours = time.monotonic() - t0
        s = sim.ctl("GET", "stats") or {}
        ours_calls, ours_applies = s.get("requests"), s.get("applies", 0) - a0
        d2.stop()
        if not done:
            log(f"bench_pfsense: restore did not finish within {args.deadline} s "
                f"({applied_peers(sim)[0]} peers applied)")
            return 1
        log(f"wgportal restore of {N} peers at {LAT} ms: {ours_calls} HTTP calls, "
            f"{ours_applies} applies, {t_ours:.1f} s (daemon start to all peers running)")

        # ---- reference: wg-portal's sequence (section 6) on the same simulator
        sim.ctl("POST", "latency", {"ms": 0})
        sim.ctl("POST", "reset", {"wg_enable": True})
        sim.ctl("POST", "latency", {"ms": LAT})
        sim.ctl("POST", "stats/reset", {})
        a0 = (sim.ctl("GET", "stats") or {}).get("applies", 0)
        tunnel = {"name": "tun_wg0", "listenport": fw_tunnel.get("listenport", "51820"),
                  "privatekey": fw_tunnel.get("privatekey"),
                  "addresses": [{"address": a["address"], "descr": "", "mask": a["mask"]}
                                for a in fw_tunnel.get("addresses", [])]}
        peers = [{"publickey": p["publickey"], "presharedkey": p.get("presharedkey") or "",
                  "descr": p.get("descr") or "",
                  "allowedips": [{"address": a["address"], "descr": "", "mask": a["mask"]}
                                 for a in p.get("allowedips", [])]} for p in fw_peers]
        ref_calls, t_ref = wgportal_restore(sim, tunnel, peers)
        s = sim.ctl("GET", "stats") or {}
        ref_applies = s.get("applies", 0) - a0
        n_ref = applied_peers(sim)[0]
        log(f"wg-portal sequence (spec 6) for {N} peers at {LAT} ms: {ref_calls} HTTP calls "
            f"(simulator counted {s.get('requests')}), {ref_applies} applies, {t_ref:.1f} s, "
            f"{n_ref} peers running")

        lower = lambda a, b: "wgportal lower" if a < b else ("equal" if a == b else "wg-portal lower")  # noqa: E731
        log(f"sync {N} peers: calls {ours_calls} vs {ref_calls} ({lower(ours_calls, ref_calls)},"
            f" x{ref_calls / max(ours_calls, 1):.1f}), applies {ours_applies} vs {ref_applies} "
            f"({lower(ours_applies, ref_applies)}), wall {t_ours:.1f} s vs {t_ref:.1f} s "
            f"({lower(t_ours, t_ref)}, x{t_ref / max(t_ours, 1e-9):.1f})")
        figures += [("pfsense_sync500_calls", f"{ours_calls} (wg-portal {ref_calls})"),
                    ("pfsense_sync500_applies", f"{ours_applies} (wg-portal {ref_applies})"),
                    ("pfsense_sync500_wall_s", f"{t_ours:.1f} (wg-portal {t_ref:.1f})"),
                    ("pfsense_sync500_wall_ratio", f"{t_ref / max(t_ours, 1e-9):.1f}x faster")]
        ok = n_ref == N
    finally:
        for x in (d,):
            if x.running():
                x.stop()
        sim.stop()
        if args.summary:
            with open(args.summary, "w") as f:
                for k, v in figures:
                    f.write(f"{k}: {v}\n")
        log("== pfsense bench summary")
        for k, v in figures:
            log(f"{k}: {v}")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--summary", help="write name: value lines here")
    ap.add_argument("--deadline", type=float, default=240, help="max seconds for the restore")
    a = ap.parse_args()
    sys.exit(wgtest.in_netns("wgpfb", lambda ns: main(ns, a), timeout=480))
