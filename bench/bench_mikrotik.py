#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MikroTik backend benchmark: sync an interface with 1,000 peers against the RouterOS REST
simulator (tests/sim/routeros_sim.py, HTTPS) with 20 ms latency per request, at `concurrency` 1
and 5 (issue 4). For each concurrency, with a fresh simulator and database:

  create   1,000 x POST /peer/new through the API, one after the other (a script's way)
  restore  start-up with core.restore_state and the router emptied (interface and peers gone)
  import   start-up with core.import_existing and an empty database (router has the 1,000)
  stats    one statistics sweep of that interface (statistics.data_collection_interval)

Figures per phase: HTTP calls (the simulator's counters) per peer or per sweep, wall time, and
the most requests in flight at once, which must not exceed `concurrency` (the bench fails if it
does, and when the router or the API does not end up with the 1,000 peers). The calls are set
against what WireGuard Portal sends for the same operation (spec/routeros-rest.md section 6).
Ping checks are off (they go to the router too and are not part of a sync).
Timings are printed, never judged. The router is pre-populated through the API and the
simulator's REST at latency 0; latency 20 ms is switched on for the measured part only.

Runs inside a fresh network namespace "wgpmb<pid>" (loopback only); daemon port 19545.
Output ends with "== mikrotik bench summary", one "name: value" line per figure.
"""
import argparse
import base64
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import q, wait_for  # noqa: E402

PORT = 19545
ADMIN = "admin@wgportal.local"
ADMIN_PW = base64.b64encode(os.urandom(15)).decode()
TOKEN = base64.b64encode(os.urandom(24)).decode().replace("/", "x").replace("+", "y")
IFACE = "wgbench"
LATENCY_MS = 20

# wg-portal's calls for the same work (spec/routeros-rest.md 6), for a server interface with
# one IPv4 address and N client peers with one /32 each:
#   create peer: SavePeer = GET + PUT (tmp peer) + PATCH                                  = 3
#   restore:     GetInterface 1 (not found) + SaveInterface (GET, PUT, LOAD 3, PATCH, address
#                GETs 2, address PUT 1 = 9) + N x SavePeer 3 + GetPeers 1; then the route
#                update adds a table GET, 2 route GETs and one route PUT per /32 (+N)   = 3N + 11 (+N)
#   import:      GetInterfaces (1 + LOAD 3) + GetPeers 1                                   = 5
#   stats sweep: GetInterface (1 + LOAD 3) + GetPeers 1                                    = 5
WGP_CREATE_PER_PEER = 3
WGP_RESTORE = lambda n: 3 * n + 11  # noqa: E731
WGP_IMPORT = 5
WGP_STATS = 5


class Bench:
    def __init__(self, peers):
        self.n = peers
        self.figures = []
        self.failed = []
        self.raw = {}           # (concurrency, phase) -> our calls for the comparison

    def fig(self, name, value):
        self.figures.append((name, value))
        print(f"{name}: {value}", flush=True)

    def check(self, cond, what):
        if not cond:
            self.failed.append(what)
            print(f"bench: PROBLEM: {what}", flush=True)
        return cond


def write_config(path, tmp, port, conc, db, restore, imp, stats_interval):
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{TOKEN}"
  import_existing: {str(imp).lower()}
  restore_state: {str(restore).lower()}
advanced:
  start_cidr_v4: 10.240.0.0/16
  use_ip_v6: false
backend:
  mikrotik:
    - id: mt1
      api_url: https://127.0.0.1:{port}/rest
      api_user: admin
      api_password: admin
      api_verify_tls: false
      api_timeout: 30s
      concurrency: {conc}
database:
  dsn: {db}
statistics:
  data_collection_interval: {stats_interval}
  use_ping_checks: false
web:
  listening_address: 127.0.0.1:{PORT}
""")


def run_level(b, conc, tmp):
    """All phases at one concurrency; returns False when something went wrong."""
    sim = wgtest.Sim("routeros_sim.py", ["--https", "--ros", "7.17"], label=f"bench-mt-c{conc}")
    if not b.check(sim.start(), f"c={conc}: simulator starts"):
        return
    rest = wgtest.Client(sim.port, auth=wgtest.basic("admin", "admin"), tls=True, timeout=120)
    api = wgtest.Client(PORT, auth=wgtest.basic(ADMIN, TOKEN), timeout=120)
    cfg = os.path.join(tmp, f"config-c{conc}.yaml")
    db1 = os.path.join(tmp, f"db-c{conc}", "a.sqlite")
    d = None

    def start(restore, imp, db, stats_interval="1h"):
        write_config(cfg, tmp, sim.port, conc, db, restore, imp, stats_interval)
        dm = wgtest.Daemon(tmp, f"bench-mikrotik-c{conc}")
        t0 = time.monotonic()
        ok = dm.start(cfg, PORT, timeout=300)
        return dm, ok, time.monotonic() - t0

    def stats():
        return sim.ctl("GET", "stats") or {}

    def router_peers():
        st = sim.ctl("GET", "state") or {}
        return [p for p in st.get("peers", []) if p.get("interface") == IFACE]

    try:
        # ---- create: an empty interface, then 1,000 peers one request each at 20 ms
        d, ok, _ = start(False, False, db1)
        if not b.check(ok, f"c={conc}: daemon starts"):
            return
        body = api.api("GET", "/interface/prepare").json() or {}
        body.update(Identifier=IFACE, Backend="mt1", Addresses=["10.240.0.1/16"],
                    PeerDefNetwork=["10.240.0.0/16"], ListenPort=51999)
        r = api.api("POST", "/interface/new", body)
        if not b.check(r.status == 200, f"c={conc}: interface create ({r})"):
            return
        tmpl = api.api("GET", "/peer/prepare/" + q(IFACE)).json() or {}
        sim.ctl("POST", "latency", {"ms": LATENCY_MS})
        sim.ctl("POST", "stats/reset")
        t0 = time.monotonic()
        bad = 0
        for i in range(b.n):
            key = base64.b64encode(os.urandom(32)).decode()
            p = dict(tmpl, Identifier=key, PublicKey=key, PrivateKey="",
                     PresharedKey=base64.b64encode(os.urandom(32)).decode(),
                     DisplayName=f"bench {i}",
                     Addresses=[f"10.240.{1 + i // 250}.{1 + i % 250}/32"])
            r = api.api("POST", "/peer/new", p)
            bad += r.status != 200
        wall = time.monotonic() - t0
        st = stats()
        b.check(bad == 0, f"c={conc}: {bad} peer creates failed")
        b.raw[(conc, "create")] = st.get("requests", 0) / b.n
        b.fig(f"mt_c{conc}_create_calls_per_peer",
              f"{st.get('requests', 0) / b.n:.2f} (wg-portal {WGP_CREATE_PER_PEER})")
        b.fig(f"mt_c{conc}_create_wall_s", f"{wall:.1f} ({wall * 1000 / b.n:.1f} ms/peer, "
              f"{LATENCY_MS} ms latency per call)")
        b.fig(f"mt_c{conc}_create_max_in_flight", st.get("max_in_flight"))
        b.check(st.get("max_in_flight", 99) <= conc, f"c={conc}: create: in flight above {conc}")
        b.check(len(router_peers()) == b.n, f"c={conc}: router has {len(router_peers())} peers")
        d.stop()
        d = None

        # ---- restore: the router lost interface, address and peers; start with restore_state
        sim.ctl("POST", "latency", {"ms": 0})
        st = sim.ctl("GET", "state") or {}
        for a in st.get("ip-addresses", []):
            if a.get("interface") == IFACE:
                rest.call("DELETE", "/rest/ip/address/" + a[".id"])
        w = next((x for x in st.get("wireguard", []) if x.get("name") == IFACE), {})
        rest.call("DELETE", "/rest/interface/wireguard/" + w.get(".id", "*0"))
        b.check(not router_peers(), f"c={conc}: router emptied")
        sim.ctl("POST", "latency", {"ms": LATENCY_MS})
        sim.ctl("POST", "stats/reset")
        sim.ctl("POST", "log/clear")
        d, ok, wall = start(True, False, db1)
        st = stats()       # the healer's first look comes 1 s after the listener: not counted
        b.check(ok, f"c={conc}: daemon starts for the restore")
        log = sim.ctl("GET", "log") or []
        span = (log[-1]["t"] - log[0]["t"]) + LATENCY_MS / 1000 if log else 0
        b.check(len(router_peers()) == b.n,
                f"c={conc}: restore: router has {len(router_peers())} of {b.n} peers")
        b.raw[(conc, "restore")] = st.get("requests", 0) / b.n
        b.fig(f"mt_c{conc}_restore_calls_per_peer",
              f"{st.get('requests', 0) / b.n:.2f} ({st.get('requests')} calls incl. 3 for the "
              f"probe at open; wg-portal {WGP_RESTORE(b.n) / b.n:.2f} + 1 route PUT per peer)")
        b.fig(f"mt_c{conc}_restore_wall_s", f"{wall:.1f} (start to listening; router calls "
              f"span {span:.1f} s)")
        b.fig(f"mt_c{conc}_restore_max_in_flight", st.get("max_in_flight"))
        b.check(st.get("max_in_flight", 99) <= conc, f"c={conc}: restore: in flight above {conc}")
        d.stop()
        d = None

        # ---- import: empty database, router has the interface with 1,000 peers
        db2 = os.path.join(tmp, f"db-c{conc}", "b.sqlite")
        sim.ctl("POST", "stats/reset")
        d, ok, wall = start(False, True, db2, stats_interval="3s")
        st = stats()
        b.check(ok, f"c={conc}: daemon starts for the import")
        sim.ctl("POST", "log/clear")
        t_listen = time.time()
        n_api = len(api.api("GET", "/peer/by-interface/" + q(IFACE)).json() or [])
        b.check(n_api == b.n, f"c={conc}: import: the API lists {n_api} of {b.n} peers")
        b.raw[(conc, "import")] = st.get("requests", 0)
        b.fig(f"mt_c{conc}_import_calls", f"{st.get('requests')} (incl. 3 for the probe at "
              f"open; wg-portal {WGP_IMPORT} + its probe-less start)")
        b.fig(f"mt_c{conc}_import_wall_s", f"{wall:.1f} (start to listening)")
        b.fig(f"mt_c{conc}_import_max_in_flight", st.get("max_in_flight"))
        b.check(st.get("max_in_flight", 99) <= conc, f"c={conc}: import: in flight above {conc}")

        # ---- statistics: the first sweep (3 s after the listener), read from the sim log
        sim.ctl("POST", "stats/reset")
        ok = wait_for(lambda: api.api("GET", "/metrics/by-interface/" + q(IFACE)).status == 200,
                      timeout=20, step=0.2)
        b.check(ok, f"c={conc}: statistics row appears")
        time.sleep(0.3)
        log = [x for x in (sim.ctl("GET", "log") or []) if x["t"] >= t_listen]
        first = [x for x in log if log and x["t"] < log[0]["t"] + 2.5]
        span = (first[-1]["t"] - first[0]["t"]) + LATENCY_MS / 1000 if first else 0
        st = stats()
        b.raw[(conc, "stats")] = len(first)
        b.fig(f"mt_c{conc}_stats_sweep_calls", f"{len(first)} for {b.n} peers "
              f"(wg-portal {WGP_STATS})")
        b.fig(f"mt_c{conc}_stats_sweep_s", f"{span:.2f}")
        b.fig(f"mt_c{conc}_stats_max_in_flight", st.get("max_in_flight"))
        b.check(st.get("max_in_flight", 99) <= conc, f"c={conc}: stats: in flight above {conc}")
        d.stop()
        d = None
    finally:
        if d:
            d.stop()
        sim.stop()


def inner(ns):
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", type=int, default=int(os.environ.get("BENCH_MT_PEERS", "1000")))
    ap.add_argument("--summary", default=None, help="also write the summary lines here")
    args = ap.parse_args()
    b = Bench(args.peers)
    tmp = tempfile.mkdtemp(prefix="wgpmb-")
    t0 = time.monotonic()
    try:
        for conc in (1, 5):
            print(f"== mikrotik: {b.n} peers, {LATENCY_MS} ms latency, concurrency {conc}",
                  flush=True)
            try:
                run_level(b, conc, tmp)
            except Exception as e:  # a broken run must not read as a fast one
                b.check(False, f"c={conc}: {e!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    b.fig("mt_bench_wall_s", f"{time.monotonic() - t0:.0f}")
    lines = [f"{k}: {v}" for k, v in b.figures]
    ref = {"create": WGP_CREATE_PER_PEER, "restore": WGP_RESTORE(b.n) / b.n,
           "import": WGP_IMPORT, "stats": WGP_STATS}
    for phase in ("create", "restore", "import", "stats"):
        ours = max((v for (c, ph), v in b.raw.items() if ph == phase), default=None)
        if ours is None:
            continue
        word = "lower" if ours < ref[phase] else "higher" if ours > ref[phase] else "equal"
        note = " (ours includes 3 probe calls at open: /system/resource, /user, /user/group)" \
            if phase == "import" else ""
        lines.append(f"mt_vs_wg_portal_{phase}: ours {ours:g} vs wg-portal {ref[phase]:g} "
                     f"calls{' per peer' if phase in ('create', 'restore') else ''}: "
                     f"ours {word}{note}")
    if b.failed:
        lines.append(f"mt_bench: FAILED ({len(b.failed)} problems: {'; '.join(b.failed)[:300]})")
    print("== mikrotik bench summary")
    print("\n".join(lines), flush=True)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("\n".join(lines) + "\n")
    return 1 if b.failed else 0


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpmb", inner, timeout=900))
