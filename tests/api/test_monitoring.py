#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Monitoring end to end: ping checks on every backend and the Prometheus exporter (issue 7).

Topology (all inside the namespace in_netns creates for wgportal, plus two of ours):

   wgportal ns ── veth 10.78.0.1/24 fd78::1/64 ── ns wgpka<tag>: 10.78.0.2, fd78::2 (answers)
              └── veth 10.78.1.1/24             ── ns wgpkb<tag>: 10.78.1.2 (icmp_echo_ignore_all)

A local wireguard-go interface holds three peers whose CheckAliveAddress point there; a
RouterOS simulator (full user, and a user without 'test') and a pfSense simulator hold more.
Runs the daemon twice: raw sockets, then unprivileged datagram sockets (ping_group_range).
Ports are ephemeral.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402

PORT, MPORT = wgtest.free_ports(2)
ADMIN, ADMIN_PW, ADMIN_TOKEN = "admin@wgpk", "monitoring-password-1", "monitoring-token-0123456789"
T = wgtest.Tap()

# ---- a strict Prometheus text format 0.0.4 parser ------------------------------------------
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LNAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+|Inf|NaN)"


def parse_labels(s, line):
    """{a="x",b="y\\"z"} -> dict; raises on anything malformed."""
    out, i = {}, 0
    assert s[0] == "{", line
    i = 1
    while s[i] != "}":
        m = re.match(LNAME, s[i:])
        assert m, f"bad label name in {line!r}"
        key = m.group(0)
        i += len(key)
        assert s[i:i + 2] == '="', f"bad label in {line!r}"
        i += 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                assert nxt in '\\"n', f"bad escape in {line!r}"
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            else:
                assert s[i] != "\n", line
                val.append(s[i])
                i += 1
        i += 1
        assert key not in out, f"duplicate label {key} in {line!r}"
        out[key] = "".join(val)
        if s[i] == ",":
            i += 1
    return out, s[i + 1:]


def parse_prom(text):
    """Returns {name: {"type", "help", "samples": [(labels, value)]}}; asserts strictness."""
    fams, cur, seen_done = {}, None, set()
    assert text.endswith("\n"), "page ends with a newline"
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            m = re.fullmatch(rf"# HELP ({NAME}) (.*)", line)
            assert m, line
            name = m.group(1)
            assert name not in fams, f"family {name} declared twice"
            if cur:
                seen_done.add(cur)
            fams[name] = {"help": m.group(2), "type": None, "samples": []}
            cur = name
        elif line.startswith("# TYPE "):
            m = re.fullmatch(rf"# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)", line)
            assert m and m.group(1) == cur and fams[cur]["type"] is None, line
            fams[cur]["type"] = m.group(2)
        else:
            assert not line.startswith("#") and line, f"unexpected line {line!r}"
            m = re.match(NAME, line)
            assert m, line
            name, rest = m.group(0), line[len(m.group(0)):]
            labels = {}
            if rest.startswith("{"):
                labels, rest = parse_labels(rest, line)
            m2 = re.fullmatch(rf" ({VALUE})", rest)
            assert m2, f"bad value in {line!r}"
            assert name == cur and name not in seen_done, f"sample {name} outside its family"
            assert fams[cur]["type"], f"sample before TYPE: {line!r}"
            assert all(labels != l for l, _ in fams[cur]["samples"]), f"duplicate {line!r}"
            fams[cur]["samples"].append((labels, float(m2.group(1))))
    return fams


def metrics_page():
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", MPORT, timeout=10)
    try:
        c.request("GET", "/metrics")
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def sh(*cmd, check=True):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True)


# ---- setup -----------------------------------------------------------------------------------
def topology(tag):
    na, nb = f"wgpka{tag}", f"wgpkb{tag}"
    for ns in (na, nb):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "link", "add", f"wpa{tag}", "type", "veth", "peer", "name", "eth0", "netns", na)
    sh("ip", "link", "add", f"wpb{tag}", "type", "veth", "peer", "name", "eth0", "netns", nb)
    sh("ip", "addr", "add", "10.78.0.1/24", "dev", f"wpa{tag}")
    sh("ip", "addr", "add", "fd78::1/64", "dev", f"wpa{tag}", "nodad")
    sh("ip", "addr", "add", "10.78.1.1/24", "dev", f"wpb{tag}")
    sh("ip", "link", "set", f"wpa{tag}", "up")
    sh("ip", "link", "set", f"wpb{tag}", "up")
    sh("ip", "-n", na, "addr", "add", "10.78.0.2/24", "dev", "eth0")
    sh("ip", "-n", na, "addr", "add", "fd78::2/64", "dev", "eth0", "nodad")
    sh("ip", "-n", na, "link", "set", "eth0", "up")
    sh("ip", "-n", nb, "addr", "add", "10.78.1.2/24", "dev", "eth0")
    sh("ip", "-n", nb, "link", "set", "eth0", "up")
    # the namespace that drops pings: the kernel answers no echo requests there
    sh("ip", "netns", "exec", nb, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1")
    return na, nb


def write_config(tmp, mt_port, mt2_port, pf_port, unprivileged):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
  import_existing: false
advanced:
  start_cidr_v4: 10.216.0.0/24
  use_ip_v6: false
  start_listen_port: 51990
backend:
  mikrotik:
    - id: mt1
      api_url: http://127.0.0.1:{mt_port}/rest
      api_user: admin
      api_password: admin
      api_timeout: 20s
      concurrency: 3
    - id: mtnoping
      display_name: "Router \\"B\\"\\\\2"
      api_url: http://127.0.0.1:{mt2_port}/rest
      api_user: noping
      api_password: noping-pw
      api_timeout: 10s
  pfsense:
    - id: pf1
      api_url: http://127.0.0.1:{pf_port}
      api_key: sim-key-rw
{wgtest.database_yaml(tmp)}statistics:
  data_collection_interval: 1s
  ping_check_interval: 3s
  ping_check_workers: 3
  ping_unprivileged: {str(unprivileged).lower()}
  listening_address: 127.0.0.1:{MPORT}
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def api(cl, method, path, body=None):
    return cl.api(method, path, body)


def make_iface(cl, name, backend, peers, label):
    body = cl.api("GET", "/interface/prepare").json() or {}
    body.update(Identifier=name, Backend=backend, DisplayName=label)
    r = cl.api("POST", "/interface/new", body)
    T.ok(r.status == 200, f"setup: interface {name} on {backend}", r)
    ids = []
    for i, (check, pname) in enumerate(peers):
        p = cl.api("GET", "/peer/prepare/" + wgtest.q(name)).json() or {}
        p.update(DisplayName=pname, CheckAliveAddress=check, UserIdentifier=ADMIN)
        r = cl.api("POST", "/peer/new", p)
        T.ok(r.status == 200, f"setup: peer {i} on {name}", r)
        ids.append((r.json() or {}).get("Identifier"))
    return ids


def peer_metrics(cl, pid):
    r = cl.api("GET", "/metrics/by-peer/" + wgtest.q(pid))
    return r.json() if r.status == 200 else None


def run_phase(tmp, tag, label, unprivileged, mt, mt2, pf):
    # before the daemon starts, so every ping round sees it: one unreachable target, and slow
    # answers so that pings overlap and the concurrency cap is what limits them
    mt.ctl("POST", "ping-target", {"address": "10.79.0.3", "reachable": False})
    mt.ctl("POST", "ping-target", {"rtt-us": [300000]})
    mt.ctl("POST", "config", {"ping-timeout-ms": 300})  # as long as an answer
    mt.ctl("POST", "stats/reset", {})
    d = wgtest.Daemon(tmp, f"monitoring-{label}")
    d.truncate_log()
    cfg = write_config(tmp, mt.port, mt2.port, pf.port, unprivileged)
    if not T.ok(d.start(cfg, PORT), f"{label}: daemon listens"):
        d.stop()
        return
    cl = wgtest.Client(PORT, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    st = {}
    wg = f"wgpk{tag}"
    if label == "raw":
        st["local"] = make_iface(cl, wg, "local", [
            ("10.78.0.2", 'answers "A"\\1'), ("10.78.1.2", "drops ICMP"), ("fd78::2", "v6")], "L")
        st["mt"] = make_iface(cl, "wgpkm0", "mt1",
                              [(f"10.79.0.{i}", f"mt{i}") for i in range(2, 9)], "M")
        st["pf"] = make_iface(cl, "tun_wg0", "pf1", [("10.80.0.2", "pf")], "P")
        st["noping"] = make_iface(cl, "wgpkn0", "mtnoping", [("10.79.1.2", "np")], "N")
        with open(os.path.join(tmp, "ids"), "w") as f:
            f.write(repr(st))
    else:
        with open(os.path.join(tmp, "ids")) as f:
            st = eval(f.read())  # noqa: S307 - our own file
    a, b, c = st["local"]

    def backends():
        return {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}

    def settled():
        # a ping round of this daemon on both pinging backends, and a statistics sweep
        bl = backends()
        if any(((bl.get(x) or {}).get(k) or {}).get("Rounds", 0) < 1
               for x in ("local", "mt1") for k in ("PingChecks", "Statistics")):
            return None
        if label == "raw" and "ping" in (bl.get("mtnoping") or {}).get("Capabilities", []):
            return None
        ma, mb, mc = (peer_metrics(cl, x) for x in (a, b, c))
        mm = [peer_metrics(cl, x) for x in st["mt"]]
        if not all((ma, mb, mc)) or not all(mm):
            return None
        if ma.get("LastPing") is None or mc.get("LastPing") is None:
            return None
        if any(m.get("LastPing") is None for i, m in enumerate(mm) if i != 1):
            return None
        return ma, mb, mc, mm
    got = wgtest.wait_for(settled, timeout=30, step=0.5)
    if not T.ok(got, f"{label}: ping results arrive within 30 s",
                [peer_metrics(cl, x) for x in (a, b, c)]):
        d.check_end(T, label, [ADMIN_TOKEN, ADMIN_PW])
        return
    ma, mb, mc, mm = got
    T.ok(ma.get("LastPing", "") >= started and mc.get("LastPing", "") >= started,
         f"{label}: LastPing is from this run", (ma.get("LastPing"), started))
    T.ok(ma.get("IsPingable") is True and ma.get("LastPing"), f"{label}: local peer that "
         "answers: IsPingable true, LastPing set", ma)
    T.ok(mb.get("IsPingable") is False and mb.get("LastPing") is None,
         f"{label}: local peer whose namespace drops ICMP: IsPingable false, LastPing null", mb)
    T.ok(mc.get("IsPingable") is True, f"{label}: IPv6 peer answers: IsPingable true", mc)
    T.ok(ma.get("LastSessionStart") is not None and mb.get("LastSessionStart") is None,
         f"{label}: LastSessionStart set when the ping made the peer connected", (ma, mb))
    T.ok(all(m.get("IsPingable") is (i != 1) for i, m in enumerate(mm)),
         f"{label}: MikroTik peers pinged by the router: unreachable target false, others true",
         mm)
    pm = peer_metrics(cl, st["pf"][0])
    T.ok(pm is None or pm.get("IsPingable", "x") is None,
         f"{label}: pfSense peer: IsPingable null (or no statistics row)", pm)

    bl = {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}
    T.ok("ping" in bl.get("local", {}).get("Capabilities", []) and
         "ping" not in bl.get("pf1", {}).get("Capabilities", ["ping"]),
         f"{label}: /backend/all: local has 'ping', pfSense does not", bl)
    pc = (bl.get("local") or {}).get("PingChecks") or {}
    sc = (bl.get("local") or {}).get("Statistics") or {}
    T.ok(pc.get("Checked") == 3 and pc.get("Answered") == 2 and pc.get("Rounds", 0) >= 1 and
         pc.get("LastRoundAt") and isinstance(pc.get("DurationMs"), float),
         f"{label}: /backend/all local PingChecks: 3 checked, 2 answered, time and duration",
         pc)
    T.ok(sc.get("Rounds", 0) >= 1 and sc.get("LastRoundAt") and sc.get("Errors") == 0,
         f"{label}: /backend/all local Statistics: rounds, time, no errors", sc)
    mp = (bl.get("mt1") or {}).get("PingChecks") or {}
    T.ok(mp.get("Checked") == 7 and mp.get("Answered") == 6,
         f"{label}: /backend/all mt1 PingChecks: 7 checked, 6 answered", mp)
    if label == "raw":
        stats = mt.ctl("GET", "stats") or {}
        T.ok(0 < stats.get("max_in_flight", 0) <= 3,
             "raw: never more than concurrency=3 requests in flight at the router", stats)
        # pings (300 ms each) start only when one of the 2 allowed ends: any 3 consecutive
        # arrivals span at least 300 ms (3 workers would start 3 at once without the cap)
        ts = sorted(e["t"] for e in (mt.ctl("GET", "log") or [])
                    if e.get("path") == "/rest/tool/ping")
        spans = [b - a for a, b in zip(ts, ts[2:])]
        T.ok(len(ts) >= 7 and min(spans) >= 0.29 and
             any(b - a < 0.05 for a, b in zip(ts, ts[1:])),
             "raw: 3 workers, router concurrency 3: pings keep a slot free, 2 in flight at "
             "most (and 2 reached)", (len(ts), [round(x, 3) for x in spans[:12]]))

    # /metrics: strict parse; names, labels and values match the API
    status, ctype, text = metrics_page()
    T.ok(status == 200 and ctype.startswith("text/plain; version=0.0.4"),
         f"{label}: GET /metrics 200 text/plain version=0.0.4", (status, ctype))
    try:
        fams = parse_prom(text)
        T.ok(True, f"{label}: /metrics parses strictly")
    except AssertionError as e:
        T.ok(False, f"{label}: /metrics parses strictly", str(e))
        fams = {}
    want = {"wireguard_interface_received_bytes_total": "Bytes received througth the interface.",
            "wireguard_interface_sent_bytes_total": "Bytes sent through the interface.",
            "wireguard_peer_up": "Peer connection state (boolean: 1/0).",
            "wireguard_peer_last_handshake_seconds": "Seconds from the last handshake with the "
                                                     "peer.",
            "wireguard_peer_received_bytes_total": "Bytes received from the peer.",
            "wireguard_peer_sent_bytes_total": "Bytes sent to the peer."}
    T.ok(all(n in fams and fams[n]["type"] == "gauge" and fams[n]["help"] == h
             for n, h in want.items()),
         f"{label}: the six wg-portal metrics, gauges with their exact HELP texts",
         {n: (fams.get(n) or {}).get("help") for n in want})
    ups = {s[0].get("id"): (s[0], s[1]) for s in fams.get("wireguard_peer_up", {})
           .get("samples", [])}
    la = ups.get(a)
    T.ok(la and set(la[0]) == {"interface", "addresses", "id", "name", "user"} and
         la[0]["name"] == 'answers "A"\\1' and la[0]["interface"] == wg and
         la[0]["user"] == ADMIN and la[1] == 1.0,
         f"{label}: wireguard_peer_up of the answering peer: 5 labels, escaped name, value 1",
         la)
    T.ok(ups.get(b) and ups[b][1] == 0.0, f"{label}: peer_up of the silent peer is 0",
         ups.get(b))
    rx = {s[0].get("id"): s[1] for s in fams.get("wireguard_peer_received_bytes_total", {})
          .get("samples", [])}
    api_rx = {x: (peer_metrics(cl, x) or {}).get("BytesReceived") for x in (a, b, c)}
    T.ok(all(rx.get(x) == float(api_rx[x]) for x in (a, b, c) if api_rx[x] is not None),
         f"{label}: peer byte counters equal the API's BytesReceived", (rx, api_rx))
    T.ok(st["pf"][0] not in rx, f"{label}: pfSense peer has no byte series (not available)")
    addrs = (cl.api("GET", "/peer/by-id/" + wgtest.q(a)).json() or {}).get("Addresses")
    T.eq(la[0]["addresses"] if la else None, ",".join(addrs or []),
         f"{label}: addresses label = the peer's addresses comma-joined")
    T.ok("wgportal_backend_requests_total" in fams and "wgportal_round_duration_seconds" in fams
         and any(s[0].get("round") == "ping" and s[0].get("backend") == "local"
                 for s in fams["wgportal_round_duration_seconds"]["samples"]),
         f"{label}: wgportal_ backend request and round duration metrics present")
    T.ok(any(s[0].get("round") == "sync" and s[0].get("backend") == "local" and s[1] > 0
             for s in fams.get("wgportal_round_duration_seconds", {}).get("samples", [])),
         f"{label}: the last full sync per backend is exported (round=\"sync\")")
    syn = {x.get("Identifier"): x.get("Sync") for x in (cl.api("GET", "/backend/all").json() or [])}
    T.ok(isinstance(syn.get("local"), dict) and syn["local"].get("Rounds", 0) >= 1
         and syn["local"].get("DurationMs", 0) > 0,
         f"{label}: /backend/all shows the last full sync of the local backend", syn.get("local"))
    esc = [s for s in fams.get("wgportal_backend_up", {}).get("samples", [])
           if s[0].get("backend") == "mtnoping"]
    T.ok(esc, f"{label}: wgportal_backend_up per backend")
    if label == "raw":
        log = d.log()
        bl = {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}
        nb = bl.get("mtnoping") or {}
        T.ok("'test' policy" in (nb.get("PingError", "") + nb.get("LastError", "")) and
             "ping" not in nb.get("Capabilities", []),
             "raw: RouterOS user without 'test': capability absent, /backend/all names the "
             "'test' policy", nb)
    d.check_end(T, label, [ADMIN_TOKEN, ADMIN_PW, "noping-pw"])
    if label == "raw":
        log = d.log()
        n = log.count("lacks the 'test' policy: ping checks of peers cannot run: its peers")
        T.eq(n, 1, "raw: the missing 'test' policy is logged once by the checker")


def run_denied(tmp, tag, mt, mt2, pf):
    """Unprivileged sockets while ping_group_range excludes us: the capability goes, named."""
    # one router target answers after 8 s: every round outlasts the 3 s interval
    mt.ctl("POST", "ping-target", {"address": "10.79.0.2", "rtt-us": [8000000]})
    mt.ctl("POST", "log/clear", {})
    d = wgtest.Daemon(tmp, "monitoring-denied")
    d.truncate_log()
    cfg = write_config(tmp, mt.port, mt2.port, pf.port, True)
    if not T.ok(d.start(cfg, PORT), "denied: daemon listens"):
        d.stop()
        return
    cl = wgtest.Client(PORT, auth=wgtest.basic(ADMIN, ADMIN_TOKEN))
    with open(os.path.join(tmp, "ids")) as f:
        st = eval(f.read())  # noqa: S307 - our own file

    def local():
        bl = {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}
        lo = bl.get("local") or {}
        return lo if "ping" not in lo.get("Capabilities", ["ping"]) else None
    lo = wgtest.wait_for(local, timeout=20, step=0.5)
    T.ok(lo and "ping_group_range" in lo.get("PingError", ""),
         "denied: local loses 'ping'; PingError names net.ipv4.ping_group_range", lo)
    pm = peer_metrics(cl, st["local"][0])
    T.ok(pm is not None and pm.get("IsPingable", "x") is None,
         "denied: local peer IsPingable null while the capability is missing", pm)

    def skipped():
        bl = {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}
        pc = (bl.get("mt1") or {}).get("PingChecks") or {}
        return pc if pc.get("Skipped", 0) >= 1 and pc.get("Rounds", 0) >= 1 else None
    # while the slow ping runs, a change on the same router goes through at once: pings take
    # no instance lock and leave the router a free connection slot
    def slow_pings():
        return [e for e in (mt.ctl("GET", "log") or []) if e.get("path") == "/rest/tool/ping"
                and (e.get("body") or {}).get("address") == "10.79.0.2"] or None
    sp = wgtest.wait_for(slow_pings, timeout=15, step=0.2)
    p = cl.api("GET", "/peer/prepare/wgpkm0").json() or {}
    p.update(DisplayName="during a slow ping", CheckAliveAddress="10.79.0.9")
    r = cl.api("POST", "/peer/new", p)
    puts = [e for e in (mt.ctl("GET", "log") or []) if e.get("method") == "PUT" and
            e.get("path") == "/rest/interface/wireguard/peers"]
    T.ok(sp and r.status == 200 and puts and puts[-1]["t"] < sp[-1]["t"] + 7,
         "slow ping in flight: a peer created on the same router reaches it before the ping "
         "ends", (r, sp and sp[-1].get("t"), puts and puts[-1].get("t")))
    pc = wgtest.wait_for(skipped, timeout=40, step=0.5)
    T.ok(pc and pc.get("DurationMs", 0) >= 8000,
         "slow round: longer than the interval, the next tick is skipped (counted)", pc)
    T.ok("next round skipped" in d.log(), "slow round: the skip is logged")
    slow = [e for e in (mt.ctl("GET", "log") or []) if e.get("path") == "/rest/tool/ping" and
            (e.get("body") or {}).get("address") == "10.79.0.2"]
    rounds = (pc or {}).get("Rounds", 0)
    T.ok(rounds <= len(slow) <= rounds + 1,
         "slow round: never stacked (one ping of the slow target per round)", (rounds, len(slow)))
    d.check_end(T, "denied", [ADMIN_TOKEN, ADMIN_PW, "noping-pw"])
    n = d.log().count("ping_group_range): its peers are not ping-checked")
    T.eq(n, 1, "denied: the missing permission is logged once")


def main(ns):
    tag = wgtest.tag()
    tmp = tempfile.mkdtemp(prefix="wgpk-")
    users = os.path.join(tmp, "users.json")
    with open(users, "w") as f:
        f.write('{"admin": {"password": "admin", "policies": ["api","rest-api","read","write",'
                '"test","sensitive"]}, "noping": {"password": "noping-pw", "policies": '
                '["api","rest-api","read","write","sensitive"]}}')
    mt = wgtest.Sim("routeros_sim.py", ["--users", users], label="routeros-wgpk")
    mt2 = wgtest.Sim("routeros_sim.py", ["--users", users], label="routeros-wgpk-noping")
    # package 2.8.0: no status endpoint, so the pfSense peer has no statistics to export
    pf = wgtest.Sim("pfsense_sim.py", ["--pkg-version", "2.8.0"], label="pfsense-wgpk")
    na = nb = None
    try:
        T.ok(mt.start() and mt2.start() and pf.start(), "setup: simulators start")
        na, nb = topology(tag)
        run_phase(tmp, tag, "raw", False, mt, mt2, pf)
        sh("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
        run_phase(tmp, tag, "unprivileged", True, mt, mt2, pf)
        sh("sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
        run_denied(tmp, tag, mt, mt2, pf)
    finally:
        mt.stop()
        mt2.stop()
        pf.stop()
        for n in (na, nb):
            if n:
                sh("ip", "netns", "del", n, check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpk", main, iface_prefixes=("wgpk{pid}",)))
