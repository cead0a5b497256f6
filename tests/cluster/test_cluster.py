#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""More than one node (docs/cluster.md): three wgportal nodes on one real PostgreSQL 15, each in
its own network namespace with wireguard-go, and the RouterOS simulator (tests/lib/clusterlab.py
draws the topology). Node "b" runs the ASan+UBSan build when it exists.

Checked through the nodes' REST APIs, the simulator's state and writer statistics, and `wg`:
  - one leader, named alike by every node; /backend/all and the interfaces say who serves what;
  - an interface and peers created, changed and deleted through followers reach the router
    (the leader applies them at once, by LISTEN/NOTIFY) and every node's API shows them; the
    change time other nodes' UIs poll moves;
  - a local interface belongs to its node: created in that node's namespace only, a peer added
    through another node reaches it;
  - sessions, throttles and audit are shared: a UI session made on one node works on another,
    failed logins counted on one node throttle on another;
  - kill -9 of the leader: another node leads within 10 s and a peer created through it reaches
    the router; the dead node's name can be used again at once;
  - a frozen leader (SIGSTOP) loses the lead, and after SIGCONT writes nothing to the router;
  - PostgreSQL frozen: every request is answered within 2 s (503 or from memory); PostgreSQL
    restarted under parallel writes: every acknowledged write is stored and on the router, the
    nodes reconnect and a leader leads again;
  - the simulator never saw two nodes writing at once (writers.max_concurrent <= 1);
  - a node that stopped can be removed from the registry, a running one cannot; a second node
    with a running node's name is refused; SQLite shows one node and refuses a second process.
Figures (failover time, follower write -> router) are printed as TAP comments; bench/bench_cluster.py
measures them properly.

TAP output; exit status 1 on failure.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import clusterlab  # noqa: E402
from signin import Authenticator  # noqa: E402
import wgtest  # noqa: E402
from wgtest import q  # noqa: E402

T = wgtest.Tap()
ST = {"keys": []}


def lab():
    return ST["lab"]


def wait(pred, timeout, step=0.1):
    return clusterlab.wait(pred, timeout, step)


def new_peer(node, iface, **extra):
    r = lab().node(node).api("GET", "/peer/prepare/" + q(iface))
    p = r.json() or {}
    p.update(extra)
    ST["keys"] += [p.get("PrivateKey", ""), p.get("PresharedKey", "")]
    return p


def create_peer(node, iface, **extra):
    """Prepare + create; a 409 means another writer took the prepared address meanwhile (the
    tests write in parallel): prepare again."""
    for _ in range(5):
        p = new_peer(node, iface, **extra)
        r = lab().node(node).api("POST", "/peer/new", p)
        if r.status != 409:
            break
    return r, p


def followers():
    lead = lab().leader()
    return lead, [n.name for n in lab().running() if n.name != lead]


# ---------------------------------------------------------------- sections

def sec_start():
    L = lab()
    ok = L.start()
    T.ok(ok, "PostgreSQL, the simulator and three nodes in their own namespaces start",
         "\n".join(n.daemon.log()[-1500:] for n in L.nodes.values() if n.daemon))
    lead = wait(lambda: L.active_leader() and L.leader(), 20)
    T.ok(lead, "one leader, named alike by all three nodes, leads within 20 s", lead)
    views = {n: L.node(n).cluster() or {} for n in L.names}
    T.ok(all(len(v.get("Nodes", [])) == 3 and all(x["Running"] for x in v["Nodes"]) and
             v.get("Enabled") and v.get("Engine") == "postgres" for v in views.values()),
         "GET /cluster on every node: three running nodes, PostgreSQL", views)
    T.ok(all(sum(1 for x in v["Nodes"] if x["Leader"]) == 1 for v in views.values()),
         "exactly one node flagged as leader in every view", views)
    T.ok(all(x["HeartbeatAgeMs"] < 3000 for v in views.values() for x in v["Nodes"]),
         "heartbeats are fresh (< 3 s by the database's clock)", views)
    T.ok(sum(1 for v in views.values() if v.get("IsLeader")) == 1,
         "exactly one node says IsLeader", views)
    for n in L.names:
        b = {x["Identifier"]: x for x in L.node(n).api("GET", "/backend/all").json() or []}
        T.ok(b.get("mt1", {}).get("ServedBy") == lead and
             b.get("mt1", {}).get("ServedHere") == (n == lead) and
             b.get("local", {}).get("ServedBy") == n and b.get("local", {}).get("ServedHere"),
             f"/backend/all on {n}: mt1 served by the leader, local by {n} itself", b)
    ST["lead"] = lead


def sec_remote():
    L = lab()
    lead, fol = followers()
    f1, f2 = fol[0], fol[1]
    iface = f"wgr{L.tag}"
    ST["iface"] = iface
    c0 = (L.node(f2).cluster() or {}).get("LastChange", 0)
    p = L.node(f1).api("GET", "/interface/prepare").json() or {}
    p.update({"Identifier": iface, "DisplayName": "cluster test", "Backend": "mt1"})
    ST["keys"].append(p.get("PrivateKey", ""))
    r = L.node(f1).api("POST", "/interface/new", p)
    T.eq(r.status, 200, f"interface on mt1 created through follower {f1}")
    T.ok(wait(lambda: any(w.get("name") == iface for w in
                          (L.sim.ctl("GET", "state") or {}).get("wireguard", [])), 10),
         "... and the leader puts it on the router")
    T.ok(r.json() and r.json().get("ServedBy") == lead and r.json().get("Node") == "",
         "... the answer says the leader serves it (no node: a remote backend's)", r)
    r, peer = create_peer(f1, iface)
    t0 = time.monotonic()
    T.eq(r.status, 200, f"peer created through follower {f1}")
    got = wait(lambda: L.router_has_peer(peer["PublicKey"]), 10, 0.01)
    T.ok(got, "... reaches the router (LISTEN/NOTIFY to the leader)")
    T.comment(f"follower write -> router: {(time.monotonic() - t0) * 1000:.0f} ms "
              "(one sample; bench/bench_cluster.py for the median)")
    r = L.node(f2).api("GET", "/peer/by-id/" + q(peer["Identifier"]))
    T.ok(r.status == 200 and r.json().get("InterfaceIdentifier") == iface,
         f"... and node {f2}'s API shows it", r)
    T.ok(wait(lambda: (L.node(f2).cluster() or {}).get("LastChange", 0) > c0, 5),
         f"... and {f2}'s change time (polled by its UI) moved")
    ST["peer"] = peer
    r, lp = create_peer(lead, iface)
    T.ok(r.status == 200 and L.router_has_peer(lp["PublicKey"]),
         "peer created through the leader is on the router when the answer comes", r)
    upd = dict(lp, Disabled=True, DisabledReason="cluster test")
    r = L.node(f2).api("PUT", "/peer/by-id/" + q(lp["Identifier"]), upd)
    T.eq(r.status, 200, f"peer disabled through follower {f2}")
    T.ok(wait(lambda: any(x.get("public-key") == lp["PublicKey"] and x.get("disabled") == "true"
                          for x in L.router_peers()), 10),
         "... and disabled on the router")
    r = L.node(f1).api("DELETE", "/peer/by-id/" + q(lp["Identifier"]))
    T.ok(r.status in (200, 204), f"peer deleted through follower {f1}", r)
    T.ok(wait(lambda: not L.router_has_peer(lp["PublicKey"]), 10),
         "... and removed from the router")


def sec_local():
    L = lab()
    a, b = L.names[0], L.names[1]
    iface = f"wc{L.tag}{a}"
    ST["local_iface"] = iface
    p = L.node(a).api("GET", "/interface/prepare").json() or {}
    p.update({"Identifier": iface, "Backend": "local", "ListenPort": 51990})
    ST["keys"].append(p.get("PrivateKey", ""))
    r = L.node(a).api("POST", "/interface/new", p)
    T.ok(r.status == 200 and (r.json() or {}).get("Node") == a,
         f"local interface created through {a} belongs to node {a}", r)
    T.ok(L.link_exists(a, iface) and L.wg_peers(a, iface) is not None and
         not L.link_exists(b, iface), f"... exists in {a}'s namespace (wireguard-go) and not "
         f"in {b}'s")
    r = L.node(b).api("GET", "/interface/by-id/" + q(iface))
    T.ok(r.status == 200 and r.json().get("Node") == a and r.json().get("ServedBy") == a,
         f"{b} shows it as node {a}'s", r)
    r, peer = create_peer(b, iface)
    T.eq(r.status, 200, f"peer on {a}'s interface created through {b}")
    T.ok(wait(lambda: peer["PublicKey"] in (L.wg_peers(a, iface) or []), 10),
         f"... reaches wireguard-go in {a}'s namespace")
    r = L.node(b).api("POST", "/interface/new", dict(p, Identifier=f"wc{L.tag}x", Node="zz",
                                                      ListenPort=51991))
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "Node",
         "an interface for an unknown node: 400 naming Node", r)
    cur = L.node(b).api("GET", "/interface/by-id/" + q(iface)).json() or {}
    r = L.node(b).api("PUT", "/interface/by-id/" + q(iface), dict(cur, Node=b))
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "Node",
         f"moving {a}'s interface to {b}: 400 naming Node", r)
    r = L.node(b).api("PUT", "/interface/by-id/" + q(iface), dict(cur, DisplayName="renamed"))
    T.ok(r.status == 200 and (r.json() or {}).get("Node") == a,
         f"an update through {b} keeps it {a}'s", r)


def sec_shared_state():
    L = lab()
    a, b, c = L.names
    r = L.node(a).api("POST", "/auth/login", {"Username": clusterlab.ADMIN,
                                                "Password": clusterlab.ADMIN_PW}, auth=None,
                       headers={"Origin": f"http://{L.node(a).ip}:{clusterlab.API_PORT}"})
    T.eq(r.status, 200, f"UI login on {a}")
    cookie = (r.header("Set-Cookie") or "").split(";")[0]
    ST["keys"] += [cookie.split("=", 1)[-1], (r.json() or {}).get("CsrfToken", "")]
    r = L.node(b).api("GET", "/auth/session", auth=None, headers={"Cookie": cookie})
    T.ok(r.status == 200 and (r.json() or {}).get("User", {}).get("Identifier") ==
         clusterlab.ADMIN, f"... the session works on {b} (sessions live in the database)", r)
    # sign-in round trips live in the database too (docs/auth.md): a passkey registration
    # begun on one node finishes on another, and so does a passkey sign-in
    csrf = (r.json() or {}).get("CsrfToken", "")
    sess = {"Cookie": cookie, "X-CSRF-Token": csrf}
    rp, authn = "http://localhost:8888", Authenticator("es256")   # web.external_url's default

    def hdr(n, extra=None):
        return dict({"Origin": f"http://{L.node(n).ip}:{clusterlab.API_PORT}"}, **(extra or {}))

    opts = L.node(a).api("POST", "/auth/webauthn/register/start", auth=None,
                         headers=hdr(a, sess)).json() or {}
    r = L.node(b).api("POST", "/auth/webauthn/register/finish?credential_name=Cluster",
                      authn.create(opts, rp), auth=None, headers=hdr(b, sess))
    T.eq(r.status, 200, f"a passkey registration begun on {a} finishes on {b}")
    opts = L.node(b).api("POST", "/auth/webauthn/login/start", auth=None).json() or {}
    r = L.node(c).api("POST", "/auth/webauthn/login/finish", authn.get(opts, rp), auth=None,
                      headers=hdr(c))
    T.ok(r.status == 200 and ((r.json() or {}).get("User") or {}).get("Identifier") ==
         clusterlab.ADMIN, f"a passkey sign-in begun on {b} finishes on {c}", r)
    user = "throttle-me@example.com"
    seen = []
    for i in range(5):
        n = a if i < 3 else b
        r = L.node(n).api("POST", "/auth/login", {"Username": user, "Password": "wrong-pw"},
                          auth=None, headers={"Origin":
                                              f"http://{L.node(n).ip}:{clusterlab.API_PORT}"})
        seen.append(r.status)
    r = L.node(c).api("POST", "/auth/login", {"Username": user, "Password": "wrong-pw"},
                      auth=None, headers={"Origin": f"http://{L.node(c).ip}:{clusterlab.API_PORT}"})
    T.ok(seen == [401] * 5 and r.status == 429 and r.header("Retry-After"),
         f"5 failed logins for one account over {a} and {b}: the 6th on {c} is 429 "
         "(throttles live in the database)", (seen, r))
    r = L.node(c).api("GET", "/audit/all?per_page=50")
    msgs = " ".join(e.get("Message", "") for e in r.json() or [])
    T.ok(r.status == 200 and ST["peer"]["Identifier"][:8] in msgs,
         f"the audit entry of a change made on another node is in {c}'s audit log", msgs[:500])


def sec_failover():
    L = lab()
    lead = L.leader()
    T.ok(lead, "a leader before the kill", lead)
    survivors = [n for n in L.names if n != lead]
    t0 = time.monotonic()
    L.kill(lead)
    # the write goes to a survivor at once: it is stored and reaches the router once a
    # survivor leads (the new leader restores everything when it takes over)
    r, p = None, None
    while time.monotonic() - t0 < 10:
        r, p = create_peer(survivors[0], ST["iface"])
        if r.status == 200:
            break
        time.sleep(0.2)
    T.eq(r.status if r else None, 200, f"peer created through {survivors[0]} right after kill -9 "
         f"of the leader {lead}")
    new = wait(lambda: L.active_leader(survivors), 15, 0.05)
    t_lead = time.monotonic() - t0
    on_router = wait(lambda: L.router_has_peer(p["PublicKey"]), 15, 0.05)
    t_router = time.monotonic() - t0
    T.ok(new and t_lead < 10, f"another node ({new}) leads within 10 s of kill -9", t_lead)
    T.ok(on_router and t_router < 10, "... and the peer created through a survivor is on the "
         "router within 10 s", t_router)
    T.comment(f"failover: new leader after {t_lead:.2f} s, peer on the router after "
              f"{t_router:.2f} s (one sample; bench/bench_cluster.py for the median of 10)")
    ok = L.start_node(lead)
    T.ok(ok, f"{lead} starts again under its name at once (its session ended with it)")
    T.ok(wait(lambda: len([x for x in (L.node(lead).cluster() or {}).get("Nodes", [])
                           if x["Running"]]) == 3, 10),
         "... and the cluster shows three running nodes again")
    T.ok(L.leader() == new, f"... {new} stays the leader", L.leader())


def sec_frozen_leader():
    L = lab()
    lead = L.leader()
    others = [n for n in L.names if n != lead]
    host = L.node(lead).ip
    # the leader is busy writing when it freezes: peers created through it, each a router
    # call that the simulator holds for 200 ms
    L.sim.ctl("POST", "latency", {"ms": 200})
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            try:
                create_peer(lead, ST["iface"])
            except Exception:
                pass
    th = threading.Thread(target=busy)
    th.start()
    time.sleep(1.0)
    L.kill(lead, signal.SIGSTOP)
    t_stop = time.time()
    new = wait(lambda: L.active_leader(others), 20, 0.1)
    T.ok(new, f"leader {lead} frozen (SIGSTOP): {new} leads (the server ended the idle session)",
         new)
    r, p = create_peer(others[0], ST["iface"])
    T.ok(r.status == 200 and wait(lambda: L.router_has_peer(p["PublicKey"]), 10),
         "... a peer created meanwhile reaches the router")
    t_cont = time.time()
    L.kill(lead, signal.SIGCONT)
    # at once, before its coordinator has noticed anything: the busy thread goes on too
    r, p2 = create_peer(lead, ST["iface"])
    T.ok(r.status == 200 and wait(lambda: L.router_has_peer(p2["PublicKey"]), 10),
         f"after SIGCONT {lead} takes requests at once; its peer reaches the router through "
         f"{new}", r)
    time.sleep(1.5)
    stop.set()
    th.join(30)
    L.sim.ctl("POST", "latency", {"ms": 0})
    h = L.writers().get("by_host", {}).get(host, {})
    T.ok(h.get("writes") and h.get("last", 0) < t_cont,
         f"{lead} wrote nothing to the router after it was thawed (the fence: its lease ran out)",
         (h, t_stop, t_cont))
    v = L.node(lead).cluster() or {}
    T.ok(not v.get("IsLeader") and v.get("Leader") in (new, ""),
         f"{lead} knows it is not the leader", v)
    T.ok("is no longer the leader" in L.node(lead).daemon.log(),
         f"{lead}'s log says why it stopped writing")


def timed(fn):
    t = time.monotonic()
    try:
        r = fn()
        st = r.status
        msg = r.msg if st >= 400 else ""
    except Exception as e:  # a hang ends in the client's timeout
        st, msg = None, repr(e)
    return st, time.monotonic() - t, msg


def sec_pg_frozen():
    L = lab()
    iface = ST["iface"]
    L.pg_freeze(True)
    results = []
    lock = threading.Lock()

    def worker(n, kind):
        node = L.node(n)
        for _ in range(3):
            if kind == "list":
                res = timed(lambda: node.api("GET", "/peer/by-interface/" + q(iface)))
            elif kind == "create":
                p = {"Identifier": "", "InterfaceIdentifier": iface}
                res = timed(lambda: node.api("POST", "/peer/new", p))
            else:
                res = timed(lambda: node.api("GET", "/cluster"))
            with lock:
                results.append((n, kind) + res)
            time.sleep(0.3)
    try:
        time.sleep(0.5)
        ths = [threading.Thread(target=worker, args=(n, k)) for n in L.names
               for k in ("list", "create", "cluster")]
        for t in ths:
            t.start()
        for t in ths:
            t.join(60)
    finally:
        L.pg_freeze(False)
    slow = [x for x in results if x[3] >= 2.0 or x[2] is None]
    T.ok(results and not slow, f"PostgreSQL frozen: all {len(results)} requests to the three "
         "nodes answered within 2 s", slow or max(x[3] for x in results))
    T.ok(all(x[2] == 503 and "database" in (x[4] or "").lower() for x in results),
         "... with 503 and a message naming the database (API tokens are checked in it)",
         [x for x in results if x[2] != 503][:5] or results[:2])
    T.comment("PostgreSQL frozen: slowest answer %.2f s" % max(x[3] for x in results))
    T.ok(wait(lambda: all((L.node(n).api("GET", "/peer/by-interface/" + q(iface)).status ==
                           200) for n in L.names), 20, 0.5),
         "after the server thaws, every node answers again")
    T.ok(wait(lambda: L.active_leader() and L.leader(), 20), "... and a leader leads")


def sec_pg_restart():
    L = lab()
    iface = ST["iface"]
    acked, odd, lock, stop = [], [], threading.Lock(), threading.Event()
    statuses = {}

    def writer(n):
        node = L.node(n)
        while not stop.is_set():
            try:
                r = node.api("GET", "/peer/prepare/" + q(iface))
                p = r.json() if r.status == 200 else None
                if p:
                    ST["keys"] += [p.get("PrivateKey", ""), p.get("PresharedKey", "")]
                    r = node.api("POST", "/peer/new", p)
                st = r.status
            except Exception:
                st, p = None, None
            with lock:
                statuses[st] = statuses.get(st, 0) + 1
                if st == 200:
                    acked.append(p)
                elif st not in (409, 503):
                    odd.append((st, r.msg if st else None))
            time.sleep(0.05)
    ths = [threading.Thread(target=writer, args=(n,)) for n in L.names for _ in range(2)]
    for t in ths:
        t.start()
    time.sleep(2)
    L.pg_restart()
    time.sleep(4)
    stop.set()
    for t in ths:
        t.join(60)
    T.comment(f"PostgreSQL restarted under load: answers {statuses}")
    # 409: two nodes prepared the same free address at once, one of them stores it
    T.ok(len(acked) > 10 and set(statuses) <= {200, 409, 503} and statuses.get(503),
         "parallel peer creates on all nodes across a PostgreSQL restart: 200, 503 while it "
         "is down (or 409: the same address prepared on two nodes), never a hang",
         (statuses, odd[:5]))
    lead = wait(lambda: L.active_leader() and L.leader(), 25)
    T.ok(lead, "the nodes reconnect and a leader leads again", lead)
    missing = wait(lambda: [p for p in acked if L.node(L.names[-1]).api(
        "GET", "/peer/by-id/" + q(p["Identifier"])).status != 200] or None, 1) or \
        [p for p in acked if L.node(L.names[-1]).api(
            "GET", "/peer/by-id/" + q(p["Identifier"])).status != 200]
    T.ok(not missing, f"every one of the {len(acked)} acknowledged peers is stored",
         [p["Identifier"] for p in missing][:5])
    keys = {p["PublicKey"] for p in acked}
    T.ok(wait(lambda: keys <= {x.get("public-key") for x in L.router_peers()}, 20, 0.5),
         "... and on the router", len(keys - {x.get("public-key") for x in L.router_peers()}))
    views = [L.node(n).cluster() or {} for n in L.names]
    T.ok(all(v.get("DatabaseOk") for v in views), "every node's coordination session is back",
         [v.get("DatabaseError") for v in views])


def sec_writers():
    w = lab().writers()
    T.ok(w.get("max_concurrent", 99) <= 1 and w.get("by_host"),
         "the router never saw two nodes writing at once (simulator writers.max_concurrent <= 1)",
         w)
    T.comment("writer handoffs: " + ", ".join(f"{h['from']}->{h['to']} (gap {h['gap_ms']} ms)"
                                              for h in w.get("handoffs", [])))


def extra_node(name, port, label):
    """A fourth daemon, in b's namespace on its own port, with node name `name`."""
    L = lab()
    host = L.node(L.names[1])
    d = tempfile.mkdtemp(prefix=f"wgc-{label}-", dir=L.tmp)
    with open(L.node(L.names[0]).config()) as f:
        text = f.read()
    text = text.replace(f"{L.node(L.names[0]).ip}:{clusterlab.API_PORT}", f"{host.ip}:{port}")
    text = text.replace(f"node_name: {L.names[0]}", f"node_name: {name}")
    text = text.replace("127.0.0.1:8787", f"127.0.0.1:{port + 1}")
    cfg = os.path.join(d, "config.yaml")
    with open(cfg, "w") as f:
        f.write(text)
    dm = wgtest.Daemon(d, f"cluster-{label}", ns=host.ns)
    ok = dm.start(cfg, port, host=host.ip, timeout=20)
    return dm, ok


def sec_registry():
    L = lab()
    a = L.names[0]
    dm, ok = extra_node("d", 8098, "extra")
    T.ok(ok, "a fourth node 'd' joins")
    T.ok(wait(lambda: any(x["Name"] == "d" and x["Running"] for x in
                          (L.node(a).cluster() or {}).get("Nodes", [])), 10),
         f"{a} lists 'd' as running")
    r = L.node(a).api("DELETE", "/cluster/node/d")
    T.ok(r.status == 400, "a running node cannot be removed from the list", r)
    T.eq(dm.stop(), 0, "'d' stops on SIGTERM")
    T.ok(wait(lambda: any(x["Name"] == "d" and not x["Running"] and x["StoppedAt"] for x in
                          (L.node(a).cluster() or {}).get("Nodes", [])), 10),
         f"{a} lists 'd' as stopped")
    r = L.node(a).api("DELETE", "/cluster/node/d")
    T.eq(r.status, 204, "DELETE /cluster/node/d removes the stopped node")
    T.ok(wait(lambda: not any(x["Name"] == "d" for x in
                              (L.node(a).cluster() or {}).get("Nodes", [])), 10),
         "... it is gone from the list")
    r = L.node(a).api("DELETE", "/cluster/node/nobody")
    T.eq(r.status, 404, "removing an unknown node: 404")
    dm, ok = extra_node(a, 8099, "clash")
    try:
        dm.proc.wait(15)
    except subprocess.TimeoutExpired:
        pass
    rc = dm.stop()
    T.ok(rc not in (0, None) and f"a running node already has the name '{a}'" in dm.log(),
         f"a second node named '{a}' is refused with a clear message", dm.log()[-800:])


def sec_sqlite():
    d = tempfile.mkdtemp(prefix="wgc-sqlite-", dir=ST["tmp"])
    db = os.path.join(d, "db", "wgportal.sqlite")
    cfgs = []
    for i, port in enumerate((18931, 18932)):
        path = os.path.join(d, f"c{i}.yaml")
        dsn = db if i == 0 else os.path.join(d, "link.sqlite")
        with open(path, "w") as f:
            f.write(f"""core:
  admin_user: {clusterlab.ADMIN}
  admin_password: "{clusterlab.ADMIN_PW}"
  admin_api_token: "{clusterlab.ADMIN_TOKEN}"
web:
  listening_address: 127.0.0.1:{port}
statistics:
  listening_address: 127.0.0.1:{port + 100}
database:
  dsn: {dsn}
""")
        cfgs.append(path)
    first = wgtest.Daemon(d, "cluster-sqlite-1")
    T.ok(first.start(cfgs[0], 18931), "SQLite: a first node starts")
    c = wgtest.Client(18931, auth=wgtest.basic(clusterlab.ADMIN, clusterlab.ADMIN_TOKEN))
    v = c.api("GET", "/cluster").json() or {}
    T.ok(v.get("Enabled") is False and v.get("Engine") == "sqlite" and
         len(v.get("Nodes", [])) == 1 and v.get("Leader") == v.get("Node") and v.get("IsLeader"),
         "SQLite: GET /cluster shows one node, leading", v)
    os.symlink(db, os.path.join(d, "link.sqlite"))
    second = wgtest.Daemon(d, "cluster-sqlite-2")
    second.start(cfgs[1], 18932, timeout=10)
    try:
        second.proc.wait(10)
    except subprocess.TimeoutExpired:
        pass
    rc = second.stop()
    log = second.log()
    T.ok(rc not in (0, None) and "in use by another wgportal" in log and
         f"pid {first.proc.pid}" in log and "PostgreSQL" in log,
         "SQLite: a second node on the same file (through a symlink) is refused, naming the "
         "holder's pid and PostgreSQL", log[-600:])
    first.check_end(T, "SQLite first node", clusterlab.SECRETS)


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgcluster-")
    ST["tmp"] = tmp
    san = os.path.join(ROOT, "build", "san", "wgportal")
    bins = {"b": san} if os.path.exists(san) and not os.environ.get("WGPORTAL_BIN") else None
    ST["lab"] = clusterlab.Lab(tmp, ["a", "b", "c"], binaries=bins)
    try:
        T.section("start", sec_start)
        T.section("remote", sec_remote)
        T.section("local", sec_local)
        T.section("shared state", sec_shared_state)
        T.section("failover", sec_failover)
        T.section("frozen leader", sec_frozen_leader)
        T.section("PostgreSQL frozen", sec_pg_frozen)
        T.section("PostgreSQL restart", sec_pg_restart)
        T.section("writers", sec_writers)
        T.section("registry", sec_registry)
        lab().stop_nodes(T)
        secrets = clusterlab.SECRETS + [k for k in ST["keys"] if k]
        for n in lab().nodes.values():
            log = n.daemon.log() if n.daemon else ""
            leaked = [s for s in secrets if s and s in log]
            T.ok(not leaked, f"node {n.name}: no key, token or password in its log",
                 f"{len(leaked)} found")
        T.section("sqlite", sec_sqlite)
    finally:
        lab().stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    tag = os.getpid()
    sys.exit(wgtest.in_netns("wgc", inner, iface_prefixes=(f"wc{str(tag)[-5:]}",),
                             timeout=900))
