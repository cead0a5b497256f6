#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Database engine benchmark (issue 14), run by bench/run.sh; needs root. Inside a fresh network
namespace wgpdb<pid> (tests/lib/wgtest.in_netns), with a real PostgreSQL 15 and MariaDB
started for it (tests/lib/dbservers.py):

  1. A wg-portal v2.3 database with 10,000 peers (tests/data/wgportal/fixture.py: WG_ENC_ keys
     and preshared keys, bcrypt users, one interface) is taken over into each engine with
     `wgportal --migrate-from sqlite <file>`: the wall time of each (one transaction, counts
     verified), and the daemon's own take-over at start for SQLite (the file replaced in place).
  2. The daemon on each engine (local backend: the interface with its 10,000 peers restored on
     wireguard-go): GET /peer/by-interface/<if>?page=N&per_page=100 (200 requests, pages spread
     over the 10,000) and POST /peer/new (200 new peers, each one request), p50/p99 per engine.
Figures are printed as ratios against SQLite measured in the same run. Never fails on speed;
exits 1 only when something did not work.
"""
import base64
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "wgportal"))
import dbservers  # noqa: E402
import fixture  # noqa: E402
import wgtest  # noqa: E402

PORT = 19670
PEERS = int(os.environ.get("BENCH_DB_PEERS", "10000"))
REQS = int(os.environ.get("BENCH_DB_REQUESTS", "200"))
PASS = "bench passphrase"
ADMIN = "admin@example.com"
AUTH = wgtest.basic(ADMIN, fixture.TOKENS[ADMIN])
FIG = []
BIN = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))


def fig(name, value):
    FIG.append(f"{name}: {value}")
    print(f"  {name}: {value}", flush=True)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def config(tmp, engine, dsn, name):
    path = os.path.join(tmp, f"{name}.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
advanced:
  start_cidr_v4: 10.240.0.0/16
  use_ip_v6: false
statistics:
  collect_interface_data: false
  collect_peer_data: false
  use_ping_checks: false
database:
  type: {engine}
  dsn: "{dsn}"
  encryption_passphrase: "{PASS}"
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def new_peer(template, n):
    priv, pub = fixture.key_pair(500000 + n)
    return dict(template, Identifier=pub, PublicKey=pub, PrivateKey=priv,
                PresharedKey=base64.b64encode(hashlib.sha256(f"b{n}".encode()).digest()).decode(),
                Addresses=[f"10.200.{n // 250}.{n % 250 + 2}/32"], DisplayName=f"bench new {n}")


def measure(engine, cfg, tmp, iface, run):
    """p50/p99 (ms) of page reads and peer creations on a daemon with the config."""
    d = wgtest.Daemon(tmp, f"bench-db-{engine}")
    d.truncate_log()
    c = wgtest.Client(PORT, AUTH, timeout=120)
    t0 = time.time()
    if not d.start(cfg, PORT, timeout=600):
        print(f"bench_db: the daemon did not start on {engine}:\n{d.log()[-1500:]}")
        return None
    fig(f"db_start_with_{PEERS}_peers_s_{engine}", f"{time.time() - t0:.1f}")
    try:
        pages, creates = [], []
        total_pages = max(1, (PEERS + 3) // 100)
        for i in range(REQS):
            page = 1 + (i * 37) % total_pages
            t = time.perf_counter()
            r = c.call("GET", f"/api/v1/peer/by-interface/{wgtest.q(iface)}?page={page}"
                              "&per_page=100")
            pages.append((time.perf_counter() - t) * 1000)
            if r.status != 200 or len(r.json() or []) != 100:
                print(f"bench_db: page {page} on {engine}: {r.status} {r.body[:200]!r}")
                return None
        template = c.call("GET", f"/api/v1/peer/prepare/{wgtest.q(iface)}").json() or {}
        for i in range(REQS):
            body = new_peer(template, run * 10000 + i)
            t = time.perf_counter()
            r = c.call("POST", "/api/v1/peer/new", body)
            creates.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                print(f"bench_db: create on {engine}: {r.status} {r.body[:300]!r}")
                return None
        return dict(page=(pct(pages, 50), pct(pages, 99)),
                    create=(pct(creates, 50), pct(creates, 99)))
    finally:
        d.stop()


def main(ns):
    tmp = tempfile.mkdtemp(prefix="wgpdb-bench-")
    tag = wgtest.tag()
    ifnames = (f"wgd{tag}a"[:15], f"wgd{tag}b"[:15])
    print(f"== database benchmark: {PEERS} peers, {REQS} requests per figure", flush=True)
    t = time.time()
    st, _ = fixture.build("sqlite", "v2.3", PASS, peers=PEERS, ifnames=ifnames)
    src = os.path.join(tmp, "wg-portal.db")
    fixture.load("sqlite", st, src)
    print(f"  (wg-portal fixture with {PEERS + 3} peers built in {time.time() - t:.1f} s)")
    servers = {}
    ok = True
    try:
        for e in ("postgres", "mysql"):
            servers[e] = dbservers.start(e)
        dsns = {"sqlite": os.path.join(tmp, "ours.db")}
        for e, srv in servers.items():
            dsns[e] = srv.create_db()[1]
        # 1. migration time: --migrate-from into each engine, and the in-place take-over
        for e in ("sqlite", "postgres", "mysql"):
            cfg = config(tmp, e, dsns[e], f"mf-{e}")
            t = time.time()
            p = subprocess.run([BIN, "--config", cfg, "--migrate-from", "sqlite", src],
                               capture_output=True, text=True, timeout=1800)
            if p.returncode != 0 or "every count matches" not in p.stdout:
                print(f"bench_db: --migrate-from into {e} failed: {p.stderr[-800:]}")
                return 1
            fig(f"migrate_wgportal_{PEERS}_peers_s_{e}", f"{time.time() - t:.1f}")
        inplace = os.path.join(tmp, "inplace.db")
        shutil.copy(src, inplace)
        cfg = config(tmp, "sqlite", inplace, "inplace")
        d = wgtest.Daemon(tmp, "bench-db-takeover")
        d.truncate_log()
        t = time.time()
        if d.start(cfg, PORT, timeout=1800):
            took = [ln for ln in d.log().splitlines() if "took over" in ln]
            fig(f"takeover_at_start_{PEERS}_peers_s_sqlite", f"{time.time() - t:.1f} "
                "(take-over + restore of the interface)")
            print("  " + (took[0] if took else "(no take-over line)"))
        else:
            ok = False
        d.stop()
        # 2. API figures per engine
        res = {}
        for run, e in enumerate(("sqlite", "postgres", "mysql")):
            res[e] = measure(e, config(tmp, e, dsns[e], f"api-{e}"), tmp, ifnames[0], run)
            if res[e] is None:
                return 1
            fig(f"db_page100_p50_p99_ms_{e}", "%.2f / %.2f" % res[e]["page"])
            fig(f"db_peer_create_p50_p99_ms_{e}", "%.2f / %.2f" % res[e]["create"])
        for e in ("postgres", "mysql"):
            for what in ("page", "create"):
                b, x = res["sqlite"][what], res[e][what]
                fig(f"db_{what}_ratio_{e}_vs_sqlite",
                    f"p50 {x[0] / b[0]:.2f}x, p99 {x[1] / b[1]:.2f}x")
    finally:
        for srv in servers.values():
            srv.remove()
        summary = os.environ.get("BENCH_DB_SUMMARY")
        if summary:
            with open(summary, "w") as f:
                f.write("\n".join(FIG) + "\n")
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpdb", main, iface_prefixes=("wgd{pid}",), timeout=3600))
