#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
More-than-one-node benchmark (issue 17, docs/cluster.md), run by bench/run.sh; needs root.
Inside a fresh network namespace wgcb<pid>, the laboratory of tests/lib/clusterlab.py: a real
PostgreSQL 15, the RouterOS simulator and two nodes "a" and "b", each in its own namespace.

  1. Failover, 10 times: kill -9 of the leader -> another node leads (IsLeader), and -> a peer
     created through the survivor right after the kill is on the router (the issue's measure);
     the median, the worst and the 10 s target. The killed node is started again each time.
  2. A write on a follower -> the router (poll of the simulator every 2 ms), 30 peers, against
     the same write on the leader (which writes before it answers): p50/p95 and the ratio.
  3. API p99 under the bench load with two nodes against one, in the same run: 8 clients for
     BENCH_CLUSTER_SECONDS (default 15) each, 60 % 100-row peer pages, 20 % single peers, 20 %
     peer creations on the router's interface; first against node a alone (b stopped), then
     round-robin over a and b.
Never fails on speed; exits 1 only when something did not work.
"""
import base64
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import clusterlab  # noqa: E402
import wgtest  # noqa: E402
from wgtest import q  # noqa: E402

SECONDS = float(os.environ.get("BENCH_CLUSTER_SECONDS", "15"))
CLIENTS = 8
FIG = []
LAB = {}


def fig(name, value):
    FIG.append(f"{name}: {value}")
    print(f"  {name}: {value}", flush=True)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


class Counter:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            self.n += 1
            return self.n


SEQ = Counter()


def peer_body(iface):
    """A peer with a key of its own and an address nobody else takes (no prepare round trip,
    no 409 between parallel clients)."""
    n = SEQ.next()
    pub = base64.b64encode(os.urandom(32)).decode()
    return {"Identifier": pub, "PublicKey": pub, "InterfaceIdentifier": iface,
            "DisplayName": f"bench {n}", "Addresses": [f"10.217.{n // 250}.{n % 250 + 2}/32"]}


def router_peer(lab, key):
    r = lab.sim_rest.call("GET", "/rest/interface/wireguard/peers?public-key=" + q(key))
    return r.status == 200 and bool(r.json())


def wait_peer(lab, key, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if router_peer(lab, key):
            return True
        time.sleep(0.002)
    return False


def setup(tmp):
    lab = clusterlab.Lab(tmp, ["a", "b"])
    LAB["lab"] = lab
    if not lab.start():
        raise RuntimeError("the nodes did not start")
    lab.sim_rest = wgtest.Client(lab.sim.port, auth=wgtest.basic("admin", "admin"))
    if not clusterlab.wait(lambda: lab.active_leader() and lab.leader(), 20):
        raise RuntimeError("no leader")
    node = lab.node(lab.leader())
    p = node.api("GET", "/interface/prepare").json() or {}
    iface = f"wgb{lab.tag}"
    p.update({"Identifier": iface, "Backend": "mt1"})
    r = node.api("POST", "/interface/new", p)
    if r.status != 200:
        raise RuntimeError(f"interface: {r}")
    for _ in range(300):
        r = node.api("POST", "/peer/new", peer_body(iface))
        if r.status != 200:
            raise RuntimeError(f"peer: {r}")
    return lab, iface


def bench_failover(lab, iface, rounds=10):
    t_lead, t_router = [], []
    for i in range(rounds):
        lead = lab.leader()
        if not lead:
            raise RuntimeError("no leader before the kill")
        other = [n for n in lab.names if n != lead][0]
        body = peer_body(iface)
        t0 = time.monotonic()
        lab.kill(lead)
        r = lab.node(other).api("POST", "/peer/new", body)
        if r.status != 200:
            raise RuntimeError(f"create after kill: {r}")
        got = clusterlab.wait(lambda: lab.active_leader([other]), 20, 0.02)
        t1 = time.monotonic() - t0
        if not got or not wait_peer(lab, body["PublicKey"], 20):
            raise RuntimeError("failover did not complete within 20 s")
        t2 = time.monotonic() - t0
        t_lead.append(t1)
        t_router.append(t2)
        print(f"  failover {i + 1}: leads after {t1:.2f} s, peer on the router after {t2:.2f} s",
              flush=True)
        if not lab.start_node(lead):
            raise RuntimeError(f"{lead} did not start again")
        clusterlab.wait(lambda: len([x for x in (lab.node(other).cluster() or {}).get(
            "Nodes", []) if x["Running"]]) == 2, 10)
    fig("cluster_failover_lead_s_median_max", f"{statistics.median(t_lead):.2f} / "
        f"{max(t_lead):.2f}")
    fig("cluster_failover_peer_on_router_s_median_max", f"{statistics.median(t_router):.2f} / "
        f"{max(t_router):.2f} (target < 10)")


def bench_write_to_device(lab, iface, n=30):
    lead = lab.leader()
    fol = [x for x in lab.names if x != lead][0]
    out = {}
    for who in (fol, lead):
        times = []
        for _ in range(n):
            body = peer_body(iface)
            t0 = time.perf_counter()
            r = lab.node(who).api("POST", "/peer/new", body)
            if r.status != 200 or not wait_peer(lab, body["PublicKey"], 10):
                raise RuntimeError(f"write on {who} did not reach the router: {r}")
            times.append((time.perf_counter() - t0) * 1000)
        out[who] = times
    f, lt = out[fol], out[lead]
    fig("cluster_follower_write_to_router_ms_p50_p95", f"{pct(f, 50):.1f} / {pct(f, 95):.1f}")
    fig("cluster_leader_write_to_router_ms_p50_p95", f"{pct(lt, 50):.1f} / {pct(lt, 95):.1f}")
    fig("cluster_follower_vs_leader_p50_ratio", f"{pct(f, 50) / max(pct(lt, 50), 0.001):.2f}")


def load(lab, iface, nodes):
    lat, errors = [], []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    ids = [p["Identifier"] for p in
           lab.node(nodes[0]).api("GET", f"/peer/by-interface/{q(iface)}?per_page=300").json()]

    def client(k):
        i = k
        clients = {n: wgtest.Client(clusterlab.API_PORT, host=lab.node(n).ip,
                                    auth=wgtest.basic(clusterlab.ADMIN, clusterlab.ADMIN_TOKEN))
                   for n in nodes}
        while time.monotonic() < stop:
            c = clients[nodes[i % len(nodes)]]
            kind = i % 10
            t0 = time.perf_counter()
            if kind < 6:
                r = c.api("GET", f"/peer/by-interface/{q(iface)}?page={1 + i % 3}&per_page=100")
            elif kind < 8:
                r = c.api("GET", "/peer/by-id/" + q(ids[i % len(ids)]))
            else:
                r = c.api("POST", "/peer/new", peer_body(iface))
            el = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(el)
                if r.status != 200:
                    errors.append(r.status)
            i += CLIENTS
    ths = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    if errors:
        raise RuntimeError(f"load on {nodes}: {len(errors)} errors, e.g. {errors[:5]}")
    return lat


def bench_api(lab, iface):
    lab.node("b").daemon.stop()
    if not clusterlab.wait(lambda: lab.active_leader(["a"]), 20):
        raise RuntimeError("a did not lead alone")
    one = load(lab, iface, ["a"])
    if not lab.start_node("b") or not clusterlab.wait(lambda: lab.leader(["a", "b"]), 20):
        raise RuntimeError("b did not join again")
    two = load(lab, iface, ["a", "b"])
    fig("cluster_api_one_node_p50_p99_ms", f"{pct(one, 50):.1f} / {pct(one, 99):.1f} "
        f"({len(one) / SECONDS:.0f} req/s)")
    fig("cluster_api_two_nodes_p50_p99_ms", f"{pct(two, 50):.1f} / {pct(two, 99):.1f} "
        f"({len(two) / SECONDS:.0f} req/s)")
    fig("cluster_api_p99_ratio_two_vs_one", f"{pct(two, 99) / max(pct(one, 99), 0.001):.2f}")


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgcbench-")
    rc = 0
    try:
        lab, iface = setup(tmp)
        bench_write_to_device(lab, iface)
        bench_api(lab, iface)
        bench_failover(lab, iface)
        w = lab.writers()
        fig("cluster_router_max_concurrent_writers", w.get("max_concurrent"))
        if w.get("max_concurrent", 99) > 1:
            rc = 1
    except Exception as e:  # a broken run must not read as a fast one
        print(f"bench_cluster: {e!r}", flush=True)
        rc = 1
    finally:
        if "lab" in LAB:
            LAB["lab"].stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = os.environ.get("BENCH_CLUSTER_SUMMARY")
    if out:
        with open(out, "w") as f:
            f.write("\n".join(FIG) + ("\n" if FIG else ""))
    return rc


if __name__ == "__main__":
    tag = str(os.getpid())[-5:]
    sys.exit(wgtest.in_netns("wgcb", inner, iface_prefixes=(f"wc{tag}",), timeout=1200))
