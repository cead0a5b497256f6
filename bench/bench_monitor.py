#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Monitoring benchmark (issue 7), run by bench/run.sh; needs root. Inside a fresh network
namespace wgpkb<pid> (tests/lib/wgtest.in_netns):

  1. Ping round over 1,000 local peers with 10 workers: a wireguard-go interface with 1,000
     peers (allowed IPs 10.81.x.y/32, imported at start), the range made local with one
     `local` route so the kernel answers every echo. Figures: the round's wall time (the
     daemon's own measurement in GET /backend/all) and the daemon's CPU per round (utime+stime
     over 3 rounds). Reference in the same run: the same 1,000 addresses pinged with
     `ping -c1 -W2`, 10 in parallel (xargs -P10), as a shell script would.
  2. GET /metrics with 10,000 peers (imported from a wireguard-go interface set with
     `wg setconf`, statistics rows written by the collector): p50/max over 20 scrapes, page
     size. Reference: `wg show <if> dump` of the same interface (what a classic exporter runs).

Prints figures, never fails on speed; exits 1 only when something did not work (daemon down,
rounds never finished, a page without the 10,000 peers). Every wait is bounded.
"""
import base64
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402

PORT, MPORT = 19660, 19661
ADMIN, TOKEN = "admin@wgpk.bench", base64.b16encode(os.urandom(16)).decode().lower()
PW = base64.b16encode(os.urandom(10)).decode().lower()
FIG = []


def fig(name, value):
    FIG.append(f"{name}: {value}")
    print(f"  {name}: {value}", flush=True)


def sh(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kw)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def key():
    return base64.b64encode(os.urandom(32)).decode()


def wg_iface(name, n, addr_of):
    """wireguard-go in the foreground (we own its PID), n peers set with wg setconf."""
    proc = subprocess.Popen(["wireguard-go", "-f", name], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ,
                                                                WG_PROCESS_FOREGROUND="1"))
    sock = f"/var/run/wireguard/{name}.sock"
    if not wgtest.wait_for(lambda: os.path.exists(sock), timeout=10):
        proc.kill()
        raise RuntimeError(f"wireguard-go {name} did not start")
    lines = ["[Interface]", f"PrivateKey = {key()}", "ListenPort = 0", ""]
    for i in range(n):
        lines += ["[Peer]", f"PublicKey = {key()}", f"AllowedIPs = {addr_of(i)}/32", ""]
    path = os.path.join(tempfile.gettempdir(), f"{name}.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    sh("wg", "setconf", name, path)
    os.unlink(path)
    sh("ip", "link", "set", name, "up")
    return proc


def config(tmp, label, ping, interval, collect):
    path = os.path.join(tmp, f"config-{label}.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{PW}"
  admin_api_token: "{TOKEN}"
  import_existing: true
  restore_state: false
database:
  dsn: {tmp}/{label}.sqlite
statistics:
  use_ping_checks: {str(ping).lower()}
  ping_check_workers: 10
  ping_check_interval: {interval}
  data_collection_interval: {collect}
  listening_address: 127.0.0.1:{MPORT}
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def backends(cl):
    return {x.get("Identifier"): x for x in (cl.api("GET", "/backend/all").json() or [])}


def bench_ping(tmp, tag):
    print("== ping round: 1,000 local peers, 10 workers", flush=True)
    addr = lambda i: f"10.81.{i // 250}.{i % 250 + 1}"  # noqa: E731
    sh("ip", "route", "add", "local", "10.81.0.0/16", "dev", "lo", "table", "local")
    wgp = wg_iface(f"wgpa{tag}", 1000, addr)
    d = wgtest.Daemon(tmp, "bench-monitor-ping")
    try:
        if not d.start(config(tmp, "ping", True, "5s", "1h"), PORT, timeout=60):
            print("bench_monitor: daemon did not start", flush=True)
            return False
        cl = wgtest.Client(PORT, auth=wgtest.basic(ADMIN, TOKEN))

        def rounds(k):
            pc = (backends(cl).get("local") or {}).get("PingChecks") or {}
            return pc if pc.get("Rounds", 0) >= k and pc.get("Checked") == 1000 else None
        first = wgtest.wait_for(lambda: rounds(1), timeout=60, step=0.2)
        if not first:
            print("bench_monitor: no complete ping round of 1,000 peers within 60 s",
                  backends(cl).get("local"), flush=True)
            return False
        c0, k0 = cpu_s(d.proc.pid), first["Rounds"]
        last = wgtest.wait_for(lambda: rounds(k0 + 3), timeout=60, step=0.2)
        if not last:
            print("bench_monitor: ping rounds stopped", flush=True)
            return False
        cpu = (cpu_s(d.proc.pid) - c0) / (last["Rounds"] - k0)
        fig("ping_round_1000_wall_ms", f"{last['DurationMs']:.1f}")
        fig("ping_round_1000_answered", last["Answered"])
        fig("ping_round_1000_cpu_ms", f"{cpu * 1e3:.1f}")
        fig("ping_round_skipped", last.get("Skipped"))
    finally:
        d.stop()
        wgp.terminate()
        wgp.wait(timeout=10)
    t0 = time.monotonic()
    subprocess.run(f"seq 0 999 | awk '{{printf \"10.81.%d.%d\\n\", int($1/250), $1%250+1}}' | "
                   "xargs -P10 -n1 ping -c1 -W2 -q >/dev/null 2>&1", shell=True, timeout=600)
    ref = (time.monotonic() - t0) * 1e3
    fig("ping_round_1000_ref_ping_xargs_ms", f"{ref:.1f}")
    fig("ping_round_vs_ref_ratio", f"{last['DurationMs'] / ref:.3f}")
    return True


def scrape():
    c = http.client.HTTPConnection("127.0.0.1", MPORT, timeout=30)
    try:
        t0 = time.monotonic()
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read()
        return r.status, body, (time.monotonic() - t0) * 1e3
    finally:
        c.close()


def bench_metrics(tmp, tag):
    print("== /metrics with 10,000 peers", flush=True)
    name = f"wgpm{tag}"
    wgp = wg_iface(name, 10000, lambda i: f"10.90.{i // 250}.{i % 250 + 1}")
    d = wgtest.Daemon(tmp, "bench-monitor-metrics")
    try:
        # statistics every 15 s: the scrapes below run between two sweeps (a scrape that
        # meets a sweep waits for its batch write on the store)
        if not d.start(config(tmp, "metrics", False, "1m", "15s"), PORT, timeout=120):
            print("bench_monitor: daemon did not start", flush=True)
            return False

        def full():
            st, body, _ = scrape()
            return body if st == 200 and body.count(b"\nwireguard_peer_up{") >= 10000 else None
        body = wgtest.wait_for(full, timeout=120, step=0.5)
        if not body:
            print("bench_monitor: /metrics never showed 10,000 peers", flush=True)
            return False
        c0 = cpu_s(d.proc.pid)
        runs = [scrape() for _ in range(21)]
        cpu_ms = (cpu_s(d.proc.pid) - c0) * 1e3 / 21
        times = sorted(x[2] for x in runs[1:])
        # each page carries the previous scrape's server-side render time
        render = sorted(float(re.search(rb"\nwgportal_metrics_render_seconds ([0-9.]+)\n",
                                        x[1]).group(1)) * 1e3 for x in runs[1:])
        fig("metrics_10000_peers_render_p50_ms", f"{render[10]:.1f}")
        fig("metrics_10000_peers_render_max_ms", f"{render[-1]:.1f}")
        fig("metrics_10000_peers_cpu_ms_per_scrape", f"{cpu_ms:.1f}")
        fig("metrics_10000_peers_scrape_p50_ms", f"{times[10]:.1f}")
        fig("metrics_10000_peers_scrape_max_ms", f"{times[-1]:.1f}")
        fig("metrics_10000_peers_bytes", len(body))
        ref = []
        for _ in range(5):
            t0 = time.monotonic()
            sh("wg", "show", name, "dump")
            ref.append((time.monotonic() - t0) * 1e3)
        ref.sort()
        fig("metrics_ref_wg_show_dump_ms", f"{ref[2]:.1f}")
        fig("metrics_render_vs_wg_show_dump_ratio", f"{render[10] / ref[2]:.3f}")
        fig("metrics_cpu_vs_wg_show_dump_ratio", f"{cpu_ms / ref[2]:.3f}")
        print(f"  load average: {os.getloadavg()[0]:.1f} (timings on a loaded machine)", flush=True)
        print("  target: /metrics < 50 ms with 10,000 peers (render; CPU per scrape on a loaded "
              "machine)", flush=True)
    finally:
        d.stop()
        wgp.terminate()
        wgp.wait(timeout=10)
    return True


def main(ns):
    tag = wgtest.tag()
    tmp = tempfile.mkdtemp(prefix="wgpk-bench-")
    ok = bench_ping(tmp, tag) and bench_metrics(tmp, tag)
    summary = os.environ.get("BENCH_MONITOR_SUMMARY")
    if summary:
        with open(summary, "w") as f:
            f.write("\n".join(FIG) + ("\n" if FIG else ""))
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpkb", main, iface_prefixes=("wgpa{pid}", "wgpm{pid}")))
