#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
REST API v1 benchmark for wgportal (Python 3 stdlib only; http.client with keep-alive).

Run by bench/run.sh *inside* the benchmark's network namespace, against a wgportal that
run.sh started there (local backend, wireguard-go). Measures:

  - resident memory (VmRSS) of the idle daemon, and of an idle `wireguard-go` for one
    interface started here as the reference;
  - 1,000 peers created one request each (GET /peer/prepare + POST /peer/new), against
    1,000 `wg set <if> peer <key> allowed-ips <ip>/32` invocations on a second interface;
  - growing the interface to 10,000 peers over 4 parallel keep-alive connections;
  - p50/p99/max of a 100-row page (GET /peer/by-interface/<if>?page=N&per_page=100);
  - one full GET /peer/by-interface/<if> of 10,000 peers;
  - VmRSS with 10,000 peers.

Nothing here fails on speed: the figures are printed (and written to --summary as
"name: value" lines for run.sh's summary block), never asserted, because timings depend on
the machine and on what else runs on it. The script fails (exit 1) only when the daemon does
not answer as the API says (wrong status, wrong page size), so a broken run is not mistaken
for a slow one. Every loop is bounded both in count and in time (--deadline-* options).
"""
import argparse
import base64
import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time

API = "/api/v1"


def log(msg):
    print(msg, flush=True)


def pct(values, p):
    """Nearest-rank percentile of a list of numbers (p in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100.0 * len(s)) - 1))
    return s[k]


def rss_kb(pid, field="VmRSS"):
    """VmRSS (or VmHWM) of a process in kB, None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def mb(kb):
    return float("nan") if kb is None else kb / 1024.0


def find_wggo_pid(ifname):
    """PID of the wireguard-go process serving ifname (wgportal starts it), None if none."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"wireguard-go" and ifname.encode() in argv[1:]:
            return int(d)
    return None


class ApiError(Exception):
    pass


class Client:
    """One keep-alive HTTP/1.1 connection. Counts reconnects: a keep-alive connection that
    the server closes is itself a finding (every request would pay a TCP handshake)."""

    def __init__(self, host, port, user, token, timeout=60):
        self.host, self.port, self.timeout = host, port, timeout
        cred = base64.b64encode(f"{user}:{token}".encode()).decode()
        self.headers = {"Authorization": "Basic " + cred, "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.conn = None
        self.reconnects = 0
        self.server_closes = 0
        self.last_used = time.monotonic()
        self._open()

    def _open(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(self, method, path, body=None):
        """Returns (status, headers dict (lower-case names), body bytes, seconds). The time runs
        from sending the request to having read the whole body (JSON decoding not included)."""
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":")).encode()
        for attempt in (0, 1):
            t0 = time.perf_counter()
            try:
                self.conn.request(method, API + path, body=body, headers=self.headers)
                resp = self.conn.getresponse()
                data = resp.read()
                dt = time.perf_counter() - t0
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                if attempt:
                    raise
                # A server may close a connection left idle (this one waits through the
                # growth phase); only a close of a connection in use counts as a finding.
                if time.monotonic() - self.last_used < 5:
                    self.reconnects += 1
                self._open()
                continue
            self.last_used = time.monotonic()
            if resp.will_close:
                self.server_closes += 1
                self._open()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, dt
        raise ApiError("unreachable")

    def json(self, method, path, body=None, want=200):
        st, hdr, data, dt = self.request(method, path, body)
        if st != want:
            raise ApiError(f"{method} {path}: expected {want}, got {st}: {data[:300]!r}")
        return json.loads(data), data, dt

    def close(self):
        self.conn.close()


class Summary:
    """The "name: value" lines that run.sh prints in its summary block; written to the file
    after every figure so that a run that dies half-way still reports what it measured."""

    def __init__(self, path):
        self.path, self.lines, self.cuts = path, [], []

    def cut(self, what):
        """A loop stopped by its time bound: reported, never a failure (no timing asserts);
        the figures after it describe the smaller set that was reached."""
        self.cuts.append(what)
        log(f"NOTE: time bound reached: {what}")
        self.add("api_time_bound_hit", "; ".join(self.cuts))

    def add(self, name, text):
        self.lines = [x for x in self.lines if not x.startswith(name + ": ")]
        self.lines.append(f"{name}: {text}")
        log(f"  -> {name}: {text}")
        if self.path:
            with open(self.path, "w") as f:
                f.write("\n".join(self.lines) + "\n")


def wait_api(cli, seconds):
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            st, _, data, _ = cli.request("GET", "/interface/all")
            if st == 200:
                return
            last = f"status {st}: {data[:200]!r}"
        except OSError as e:
            last = str(e)
            cli._open()
        time.sleep(0.2)
    raise ApiError(f"API not ready after {seconds}s ({last})")


def ip_to_int(a):
    p = [int(x) for x in a.split(".")]
    return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]


def int_to_ip(n):
    return f"{n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="admin@wgportal.local")
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True, help="wgportal's PID (for VmRSS)")
    ap.add_argument("--iface", required=True, help="interface to create through the API")
    ap.add_argument("--ref-iface", required=True, help="reference interface (wireguard-go + wg set)")
    ap.add_argument("--tmp", required=True, help="scratch directory")
    ap.add_argument("--summary", default="", help="file for the name: value summary lines")
    ap.add_argument("--peers", type=int, default=1000, help="peers created one request each")
    ap.add_argument("--total", type=int, default=10000, help="peers on the interface at the end")
    ap.add_argument("--workers", type=int, default=4, help="connections for the growth phase")
    ap.add_argument("--pages", type=int, default=500, help="page requests timed")
    ap.add_argument("--per-page", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--deadline-create", type=float, default=600, help="s for the 1,000 peers")
    ap.add_argument("--deadline-grow", type=float, default=1200, help="s for the growth phase")
    ap.add_argument("--deadline-pages", type=float, default=300, help="s for the page requests")
    a = ap.parse_args()

    random.seed(a.seed)
    S = Summary(a.summary)
    problems = []          # daemon problems: (request, expected, actual)
    cli = Client(a.host, a.port, a.user, a.token)
    try:
        run(a, S, problems, cli)
    except ApiError as e:
        problems.append(str(e))
        log(f"bench_api: FAILED: {e}")
    finally:
        cli.close()
        if problems:
            S.add("api_problems", f"{len(problems)} (see log: 'PROBLEM' lines)")
            for p in problems:
                log(f"PROBLEM: {p}")
    return 1 if problems else 0


def run(a, S, problems, cli):
    wait_api(cli, 30)
    log(f"bench_api: API up on {a.host}:{a.port}, daemon pid {a.pid}")

    # ---- idle resident memory -------------------------------------------------------------
    # Settle one second so the figure is the idle daemon, not start-up transients.
    time.sleep(1.0)
    rss_idle, hwm_idle = rss_kb(a.pid), rss_kb(a.pid, "VmHWM")

    # Reference: an idle wireguard-go for one interface, started here in the same netns.
    # -f keeps it in the foreground so its PID is the one we started (no daemonising fork).
    ref_sock = f"/var/run/wireguard/{a.ref_iface}.sock"
    ref_proc = subprocess.Popen(["wireguard-go", "-f", a.ref_iface], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        t_end = time.monotonic() + 10
        while not os.path.exists(ref_sock) and time.monotonic() < t_end and ref_proc.poll() is None:
            time.sleep(0.05)
        if not os.path.exists(ref_sock):
            raise ApiError(f"reference wireguard-go {a.ref_iface} did not start")
        time.sleep(1.0)
        rss_wggo = rss_kb(ref_proc.pid)
        ratio = rss_idle / rss_wggo if rss_idle and rss_wggo else float("nan")
        log(f"rss idle: wgportal {mb(rss_idle):.1f} MB, wireguard-go (one idle interface) "
            f"{mb(rss_wggo):.1f} MB, ratio {ratio:.2f}")
        S.add("rss_idle_mb", f"{mb(rss_idle):.1f} (target < 20; wireguard-go idle "
              f"{mb(rss_wggo):.1f}, ratio {ratio:.2f}; start-up peak {mb(hwm_idle):.1f})")
        run_api(a, S, problems, cli, ref_proc)
    finally:
        if ref_proc.poll() is None:
            ref_proc.terminate()
            try:
                ref_proc.wait(5)
            except subprocess.TimeoutExpired:
                ref_proc.kill()
                ref_proc.wait(5)


def create_peer(cli, iface, override_addr=None):
    """prepare + new; returns (peer, prepare_s, post_s). The prepared body is posted as is
    (override_addr replaces Addresses, for the parallel phase: see grow())."""
    st, _, body, t_prep = cli.request("GET", f"/peer/prepare/{iface}")
    if st != 200:
        raise ApiError(f"GET /peer/prepare/{iface}: expected 200, got {st}: {body[:300]!r}")
    if override_addr is not None:
        p = json.loads(body)
        p["Addresses"] = [override_addr]
        body = json.dumps(p, separators=(",", ":")).encode()
    st, _, data, t_post = cli.request("POST", "/peer/new", body)
    if st != 200:
        raise ApiError(f"POST /peer/new: expected 200, got {st}: {data[:300]!r}")
    return json.loads(data), t_prep, t_post


def wg_peer_count(iface):
    r = subprocess.run(["wg", "show", iface, "peers"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"wg show failed: {r.stderr.strip()}"
    return len(r.stdout.split())


def run_api(a, S, problems, cli, ref_proc):
    # ---- interface ------------------------------------------------------------------------
    ifc, _, t_prep = cli.json("GET", "/interface/prepare")
    ifc.update({"Identifier": a.iface, "DisplayName": a.iface, "ListenPort": 51999,
                "PeerDefNetwork": ["10.232.0.0/16"], "PeerDefAllowedIPs": ["10.232.0.0/16"],
                "Addresses": ["10.232.0.1/16"]})
    created, _, t_new = cli.json("POST", "/interface/new", ifc)
    if created.get("Identifier") != a.iface:
        problems.append(f"POST /interface/new: expected Identifier {a.iface}, got "
                        f"{created.get('Identifier')!r}")
    log(f"interface {a.iface}: prepare {t_prep * 1e3:.1f} ms, create {t_new * 1e3:.1f} ms")
    S.add("api_create_iface_ms", f"{t_new * 1e3:.1f} (POST /interface/new, starts wireguard-go)")

    # ---- 1,000 peers, one request each ------------------------------------------------------
    n = a.peers
    prep_t, post_t, used = [], [], set()
    t0 = time.perf_counter()
    deadline = time.monotonic() + a.deadline_create
    for i in range(n):
        if time.monotonic() > deadline:
            S.cut(f"create: only {i} of {n} peers within {a.deadline_create:.0f}s")
            break
        p, tp, tq = create_peer(cli, a.iface)
        prep_t.append(tp)
        post_t.append(tq)
        for ad in p.get("Addresses", []):
            used.add(ad.split("/")[0])
    wall = time.perf_counter() - t0
    done = len(post_t)
    if done == 0:
        raise ApiError("no peer created")
    post_sum = sum(post_t)
    rps_post = done / post_sum
    rps_pair = done / wall
    log(f"create {done} peers one request each: wall {wall:.2f} s; POST /peer/new "
        f"{rps_post:.1f} req/s (p50 {pct(post_t, 50) * 1e3:.2f} ms, p99 {pct(post_t, 99) * 1e3:.2f}"
        f" ms); prepare+new pairs {rps_pair:.1f}/s; prepare p50 {pct(prep_t, 50) * 1e3:.2f} ms")
    S.add("api_create_peer_rps", f"{rps_post:.1f} req/s ({done} POST /peer/new, p50 "
          f"{pct(post_t, 50) * 1e3:.2f} ms, p99 {pct(post_t, 99) * 1e3:.2f} ms)")
    S.add("api_create_pair_rps", f"{rps_pair:.1f} pairs/s (GET /peer/prepare + POST /peer/new)")
    S.add("api_create_wall_s", f"{wall:.2f} ({done} pairs, one keep-alive connection)")
    # Per-request cost should not grow with the number of peers already there; the first
    # and last tenth of the POSTs show whether it does (a figure, not an assertion).
    tenth = max(1, done // 10)
    S.add("api_create_post_p50_first_last_ms", f"{pct(post_t[:tenth], 50) * 1e3:.2f} / "
          f"{pct(post_t[-tenth:], 50) * 1e3:.2f} (first / last {tenth} POST /peer/new)")
    S.add("api_prepare_p50_ms_1k", f"{pct(prep_t, 50) * 1e3:.2f} (GET /peer/prepare, <= {done} peers)")
    if len(used) != done:
        problems.append(f"prepare/new: {done} peers got {len(used)} distinct addresses "
                        f"(expected {done})")
    dev = wg_peer_count(a.iface)
    log(f"device {a.iface}: {dev} peers (wg show)")
    if dev != done:
        problems.append(f"after {done} POST /peer/new: expected {done} peers on the device "
                        f"(wg show {a.iface} peers), got {dev}")

    # ---- reference: 1,000 `wg set` invocations on a wireguard-go interface ------------------
    keyfile = os.path.join(a.tmp, "wgset-keys.txt")
    with open(keyfile, "w") as f:
        for i in range(n):
            k = base64.b64encode(os.urandom(32)).decode()
            f.write(f"{k} {int_to_ip(ip_to_int('10.233.0.0') + 1 + i)}\n")
    script = ('while read -r k ip; do wg set "$1" peer "$k" allowed-ips "$ip/32" || exit 1; '
              'done < "$2"')
    t0 = time.perf_counter()
    r = subprocess.run(["sh", "-c", script, "sh", a.ref_iface, keyfile], timeout=600)
    wg_wall = time.perf_counter() - t0
    ref_peers = wg_peer_count(a.ref_iface)
    if r.returncode != 0 or ref_peers != n:
        raise ApiError(f"reference wg set loop failed (rc {r.returncode}, {ref_peers} peers)")
    wg_per = wg_wall / n
    api_per = post_sum / done
    log(f"reference: {n} x wg set on {a.ref_iface}: wall {wg_wall:.2f} s, {wg_per * 1e3:.2f} ms each; "
        f"wgportal POST /peer/new {api_per * 1e3:.2f} ms each")
    S.add("wg_set_per_peer_ms", f"{wg_per * 1e3:.2f} ({n} wg set invocations, wall {wg_wall:.2f} s)")
    S.add("api_vs_wg_set_ratio", f"{api_per / wg_per:.2f} (wgportal POST per peer / wg set per "
          f"peer; pair: {(wall / done) / wg_per:.2f}; < 1 = wgportal faster)")

    # ---- grow to 10,000 peers over parallel keep-alive connections --------------------------
    # Addresses: prepare does not reserve (spec 3.4: two prepares in a row return the same
    # address), so parallel prepares would race for one address. Each posted peer therefore
    # gets the next free address from a client-side counter that starts above every address
    # used so far; the key pair and everything else come from prepare as in phase 1.
    remaining = a.total - done
    next_ip = [max(ip_to_int(x) for x in used | {"10.232.0.1"}) + 1]
    lock = threading.Lock()
    todo = [remaining]
    g_prep, g_post, g_err = [], [], []
    g_deadline = time.monotonic() + a.deadline_grow

    def worker():
        c = Client(a.host, a.port, a.user, a.token)
        try:
            while time.monotonic() < g_deadline:
                with lock:
                    if todo[0] <= 0 or len(g_err) > 0:
                        return
                    todo[0] -= 1
                    ip = int_to_ip(next_ip[0])
                    next_ip[0] += 1
                try:
                    _, tp, tq = create_peer(c, a.iface, ip + "/32")
                except (ApiError, OSError) as e:
                    with lock:
                        g_err.append(str(e))
                    return
                with lock:
                    g_prep.append(tp)
                    g_post.append(tq)
        finally:
            with lock:
                g_reconnects.append(c.reconnects + c.server_closes)
            c.close()

    g_reconnects = []
    threads = [threading.Thread(target=worker) for _ in range(max(1, a.workers))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.deadline_grow + 120)
    g_wall = time.perf_counter() - t0
    g_done = len(g_post)
    if g_err:
        problems.append(f"grow: {g_err[0]}")
    if g_done < remaining and not g_err:
        S.cut(f"grow: only {g_done} of {remaining} peers within {a.deadline_grow:.0f}s")
    g_rate = g_done / g_wall if g_wall > 0 else 0
    log(f"grow by {g_done} peers over {a.workers} connections: wall {g_wall:.2f} s, "
        f"{g_rate:.1f} peers/s; POST p50 {pct(g_post, 50) * 1e3:.2f} ms p99 "
        f"{pct(g_post, 99) * 1e3:.2f} ms; prepare p50 {pct(g_prep, 50) * 1e3:.2f} ms")
    S.add("api_grow_rps", f"{g_rate:.1f} peers/s ({g_done} prepare+new over {a.workers} "
          f"connections, wall {g_wall:.2f} s)")
    gt = max(1, g_done // 10)
    if g_post:
        S.add("api_grow_post_p50_first_last_ms", f"{pct(g_post[:gt], 50) * 1e3:.2f} / "
              f"{pct(g_post[-gt:], 50) * 1e3:.2f} (first / last {gt} POST /peer/new, "
              f"{a.workers} in parallel)")
    last = g_prep[-1000:] if g_prep else []
    S.add("api_prepare_p50_ms_10k", f"{pct(last, 50) * 1e3:.2f} (GET /peer/prepare, last 1000 "
          f"of the growth phase, {a.workers} in parallel)")
    total = done + g_done
    dev = wg_peer_count(a.iface)
    S.add("device_peers", f"{dev} (wg show {a.iface} peers; expected {total})")
    if dev != total:
        problems.append(f"after {total} peers created: expected {total} peers on the device, "
                        f"got {dev}")

    time.sleep(1.0)
    rss_grown = rss_kb(a.pid)
    log(f"rss after growing to {total} peers: {mb(rss_grown):.1f} MB")

    # ---- page latency -----------------------------------------------------------------------
    pp = a.per_page
    npages = max(1, total // pp)
    base = f"/peer/by-interface/{a.iface}"
    # First one sequential sweep over every page (not timed into the figures): the pages must
    # partition the peers (no duplicates, none missing), else paging is broken.
    seen, bad_sweep = set(), 0
    for page in range(1, npages + 1):
        st, hdr, data, _ = cli.request("GET", f"{base}?page={page}&per_page={pp}")
        rows = json.loads(data) if st == 200 else []
        if st != 200 or len(rows) != pp:
            bad_sweep += 1
            if bad_sweep <= 3:
                problems.append(f"GET {base}?page={page}&per_page={pp}: expected 200 with {pp} "
                                f"peers, got {st} with {len(rows)}")
        seen.update(r.get("Identifier") for r in rows)
        if page == 1 and hdr.get("x-total-count") not in (None, str(total)):
            problems.append(f"GET {base}?page=1: X-Total-Count expected {total}, got "
                            f"{hdr.get('x-total-count')}")
    log(f"page sweep: {npages} pages, {len(seen)} distinct peers (expected {npages * pp}), "
        f"{bad_sweep} bad pages")
    if len(seen) != npages * pp:
        problems.append(f"page sweep: {npages} pages of {pp} gave {len(seen)} distinct peers, "
                        f"expected {npages * pp} (duplicates or missing rows across pages)")
    S.add("api_page_sweep", f"{npages} pages x {pp}: {len(seen)} distinct peers "
          f"(expected {npages * pp}), {bad_sweep} bad pages")

    lat, bad = [], 0
    p_deadline = time.monotonic() + a.deadline_pages
    for i in range(a.pages):
        if time.monotonic() > p_deadline:
            S.cut(f"pages: only {i} of {a.pages} within {a.deadline_pages:.0f}s")
            break
        page = random.randint(1, npages)
        st, hdr, data, dt = cli.request("GET", f"{base}?page={page}&per_page={pp}")
        lat.append(dt)
        rows = json.loads(data) if st == 200 else []
        if st != 200 or len(rows) != pp or any(r.get("InterfaceIdentifier") != a.iface
                                               for r in rows):
            bad += 1
            if bad <= 3:
                problems.append(f"GET {base}?page={page}&per_page={pp}: expected 200 with {pp} "
                                f"peers of {a.iface}, got {st} with {len(rows)}")
    ms = [x * 1e3 for x in lat]
    log(f"page latency ({len(ms)} x {pp} rows, random page 1..{npages}, one connection): "
        f"p50 {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms, max {max(ms):.2f} ms, "
        f"{len(data)} bytes/page, {bad} bad answers")
    S.add("api_page_p50_ms", f"{pct(ms, 50):.2f} ({len(ms)} requests of {pp} rows from {total} peers)")
    S.add("api_page_p99_ms", f"{pct(ms, 99):.2f} (target < 20)")
    S.add("api_page_max_ms", f"{max(ms):.2f}")
    S.add("api_page_bad", f"{bad} of {len(ms)} answers without {pp} peers of the interface")

    rss_paged = rss_kb(a.pid)

    # ---- one full list ----------------------------------------------------------------------
    full = []
    for _ in range(3):
        st, hdr, data, dt = cli.request("GET", base)
        rows = json.loads(data) if st == 200 else []
        full.append(dt)
        if st != 200 or len(rows) != total:
            problems.append(f"GET {base}: expected 200 with {total} peers, got {st} with "
                            f"{len(rows)}")
            break
    log(f"full list GET {base}: {len(data)} bytes, "
        + ", ".join(f"{x * 1e3:.1f} ms" for x in full))
    S.add("api_full_list_ms", f"{full[0] * 1e3:.1f} ({total} peers, {len(data) / 1e6:.1f} MB; "
          f"best of {len(full)}: {min(full) * 1e3:.1f})")

    # ---- resident memory with 10,000 peers ---------------------------------------------------
    time.sleep(1.0)
    rss_10k, hwm = rss_kb(a.pid), rss_kb(a.pid, "VmHWM")
    wpid = find_wggo_pid(a.iface)
    wg_10k = rss_kb(wpid) if wpid else None
    ref_rss = rss_kb(ref_proc.pid)
    log(f"rss with {total} peers: wgportal {mb(rss_10k):.1f} MB (peak {mb(hwm):.1f} MB); "
        f"its wireguard-go {mb(wg_10k):.1f} MB; reference wireguard-go with {n} peers "
        f"{mb(ref_rss):.1f} MB")
    S.add("rss_10k_mb", f"{mb(rss_10k):.1f} (peak {mb(hwm):.1f}; before the full lists "
          f"{mb(rss_paged):.1f}, right after creating {total} peers {mb(rss_grown):.1f}; "
          f"wireguard-go of {a.iface} with {total} peers {mb(wg_10k):.1f})")
    S.add("api_keepalive_reconnects", f"{cli.reconnects + cli.server_closes + sum(g_reconnects)}"
          " (connections the server closed; 0 expected)")


if __name__ == "__main__":
    sys.exit(main())
