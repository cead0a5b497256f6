#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Attacks on the HTTP transport, sent over real sockets to the real daemon (issue 12, items
2, 5 and 6; docs/http-hardening.md), on the API listener and on the Prometheus exporter:

  2. slow clients: one header line per second, a body dribbled byte by byte, and 640 such
     connections from 5 addresses (127.0.0.2-6) while a normal client from 127.0.0.1 is timed
     (its p99 is printed as a TAP comment); connections per address (IPv4, IPv6 /64);
  5. framing: two different Content-Length headers, Content-Length with Transfer-Encoding,
     unknown transfer codings: 400 and a closed connection, nothing smuggled behind;
  6. bodies before authentication: the 401 comes on the head, before any body byte; the login
     takes small bodies only; 120 unauthenticated 1 MiB uploads do not grow the daemon.

Runs in a private network namespace "wght<pid>" (loopback, plus an IPv6 /64 the test adds).
Every load loop has a fixed duration. Output is TAP; WGPORTAL_BIN selects the binary.
"""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, http_statuses, raw_http  # noqa: E402

PORT = 18941
MPORT = 18942
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Transp0rt-Passw0rd!"
ADMIN_TOKEN = "T0k3nTransp0rtAbcdefghijklmnop"
ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)
NET6 = "fd12:3456:789a:1"
T = wgtest.Tap()
API = wgtest.Client(PORT, ADMIN_AUTH, timeout=30)


def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(wgtest.config_core(ADMIN, ADMIN_PW, ADMIN_TOKEN) + f"""advanced:
  start_cidr_v4: 10.218.0.0/24
  use_ip_v6: false
database:
  dsn: {tmp}/db/wgportal.sqlite
statistics:
  listening_address: ":{MPORT}"
web:
  listening_address: ":{PORT}"
  request_logging: false
""")
    return path


def head(method, path, extra=(), version="HTTP/1.1"):
    lines = [f"{method} {path} {version}", "Host: 127.0.0.1"] + list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# ---------------------------------------------------------------- 5. framing

def test_framing(st):
    smuggled = head("GET", "/api/v1/user/all", [f"Authorization: {ADMIN_AUTH}"])
    body = b'{"Username":"a","Password":"b"}'
    for port, label, path in ((PORT, "API", "/api/v1/auth/login"),
                              (MPORT, "metrics", "/metrics")):
        # two different lengths: MHD takes the first; the rest would be a second request
        req = head("POST" if port == PORT else "GET", path,
                   ["Content-Type: application/json", "Origin: http://127.0.0.1",
                    f"Content-Length: {len(body)}", f"Content-Length: {len(body) + len(smuggled)}"]
                   ) + body + smuggled
        got, closed = raw_http(port, req)
        T.ok(http_statuses(got) == [400] and closed,
             f"{label}: two different Content-Length headers: one 400, connection closed",
             got[:300])
        req = head("POST" if port == PORT else "GET", path,
                   ["Content-Type: application/json", "Content-Length: 5",
                    "Transfer-Encoding: chunked"]) + b"0\r\n\r\n" + smuggled
        got, closed = raw_http(port, req)
        T.ok(http_statuses(got) == [400] and closed,
             f"{label}: Content-Length with Transfer-Encoding: one 400, connection closed",
             got[:300])
        req = head("POST" if port == PORT else "GET", path,
                   ["Transfer-Encoding: gzip, chunked"]) + b"0\r\n\r\n"
        got, closed = raw_http(port, req)
        T.ok(http_statuses(got) == [400] and closed,
             f"{label}: Transfer-Encoding other than chunked: 400, closed", got[:300])
        req = head("POST" if port == PORT else "GET", path, ["Transfer-Encoding: chunked"],
                   version="HTTP/1.0") + b"0\r\n\r\n"
        got, closed = raw_http(port, req)
        T.ok(http_statuses(got) == [400] and closed,
             f"{label}: Transfer-Encoding in HTTP/1.0: 400, closed", got[:300])
    # the same length twice is no conflict; a plain keep-alive pair still gets two answers
    req = (head("GET", "/api/v1/user/all", [f"Authorization: {ADMIN_AUTH}",
                                            "Content-Length: 0", "Content-Length: 0"]) +
           head("GET", "/api/v1/user/all", [f"Authorization: {ADMIN_AUTH}", "Connection: close"]))
    got, closed = raw_http(PORT, req)
    T.eq(http_statuses(got), [200, 200], "two pipelined requests (same Content-Length twice): "
         "both answered")
    r = API.api("GET", "/user/by-id/%ff%fe")
    T.ok(r.status == 404 and "??" in ((r.json() or {}).get("Message") or ""),
         "an id that is not UTF-8: 404 whose Message names it (found by fuzz_query)", r)
    body = json.dumps({"Identifier": "chunky", "Password": "Chunky-Passw0rd-long-enough"})
    chunked = f"{len(body):x}\r\n{body}\r\n0\r\n\r\n".encode()
    req = head("POST", "/api/v1/user/new", [f"Authorization: {ADMIN_AUTH}",
                                            "Content-Type: application/json",
                                            "Transfer-Encoding: chunked",
                                            "Connection: close"]) + chunked
    got, _ = raw_http(PORT, req)
    T.eq(http_statuses(got), [200], "a well-formed chunked body is still accepted")


# ---------------------------------------------------------------- 6. bodies before auth

def test_body_before_auth(st):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        s.sendall(head("POST", "/api/v1/user/new", ["Content-Type: application/json",
                                                     "Content-Length: 1048576"]))
        t0 = time.monotonic()
        got = b""
        try:
            while b"\r\n\r\n" not in got:
                b = s.recv(4096)
                if not b:
                    break
                got += b
        except socket.timeout:
            pass
        T.ok(http_statuses(got) == [401],
             "unauthenticated POST announcing 1 MiB: 401 on the head, before any body byte",
             got[:200])
        T.ok(time.monotonic() - t0 < 4.5, "…without waiting for the body")
    finally:
        s.close()
    # the login takes small bodies only (its JSON is two short strings)
    big = json.dumps({"Username": "x", "Password": "p" * 8000}).encode()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    try:
        s.sendall(head("POST", "/api/v1/auth/login", ["Content-Type: application/json",
                                                       "Origin: http://127.0.0.1",
                                                       f"Content-Length: {len(big)}"]))
        got = s.recv(4096)
    except OSError as e:
        got = repr(e).encode()
    finally:
        s.close()
    T.ok(http_statuses(got) == [413], "login announcing 8 KB: 413 on the head", got[:200])
    # an authenticated request still takes a large body (the 1 MiB limit)
    r = API.api("POST", "/user/new", {"Identifier": "big", "Password": "Big-Passw0rd-long-enough",
                                      "Notes": "n" * 200000})
    T.eq(r.status, 200, "an authenticated 200 KB body is read as before")
    got, _ = raw_http(PORT, head("POST", "/api/v1/user/new",
                                 [f"Authorization: {ADMIN_AUTH}", "Connection: close",
                                  "Content-Type: application/json",
                                  f"Content-Length: {1024 * 1024 + 1}"]) + b" " * (1024 * 1024 + 1))
    T.eq(http_statuses(got), [413], "an authenticated body of 1 MiB + 1: 413 (after the body, "
         "so the client reads it)")
    chunk = b" " * 65536
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 17 + b"0\r\n\r\n"
    got, _ = raw_http(PORT, head("POST", "/api/v1/user/new",
                                 [f"Authorization: {ADMIN_AUTH}", "Connection: close",
                                  "Content-Type: application/json",
                                  "Transfer-Encoding: chunked"]) + body)
    T.eq(http_statuses(got), [413], "an authenticated chunked body over 1 MiB: 413")

    # 120 unauthenticated connections each sending 1 MiB: memory stays flat
    pid = st["daemon"].proc.pid
    rss0 = rss_kib(pid)
    payload = b"x" * (1024 * 1024)
    results = []

    def upload(i):
        try:
            got, _ = raw_http(PORT, [head("POST", "/api/v1/user/new",
                                          ["Content-Type: application/json",
                                           "Content-Length: 1048576"]), payload],
                              source=f"127.0.0.{20 + i % 4}", timeout=10)
            results.append(http_statuses(got)[:1] or ["reset"])
        except OSError:
            results.append(["reset"])
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(120)]
    peak = rss0
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            peak = max(peak, rss_kib(pid))
            t.join(0.05)
    grow = (peak - rss0) / 1024
    T.comment(f"RSS before {rss0 / 1024:.1f} MiB, peak during 120 x 1 MiB unauthenticated "
              f"uploads +{grow:.1f} MiB")
    T.ok(grow < 40, "120 unauthenticated 1 MiB uploads: the daemon grows by less than 40 MiB",
         f"+{grow:.1f} MiB")
    T.ok(all(r[0] in (401, "reset") for r in results) and len(results) == 120,
         "…each got its 401 (or a reset after the 401 while still sending)",
         [r for r in results if r[0] not in (401, "reset")][:5])


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------- 2. slow clients

def closed_after(port, first, piece, bound):
    """Sends first, then piece(i) once a second; returns the seconds until the server closed
    the connection, or None when it was still open after bound seconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    t0 = time.monotonic()
    try:
        s.sendall(first)
        i = 0
        while time.monotonic() - t0 < bound:
            try:
                s.sendall(piece(i))
                r, _, _ = select.select([s], [], [], 1.0)
                if r and not s.recv(4096):
                    return time.monotonic() - t0
            except OSError:
                return time.monotonic() - t0
            i += 1
        return None
    finally:
        s.close()


def slow_head(path):
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode(),
            lambda i: f"X-Slow-{i}: {'a' * 10}\r\n".encode())


def test_slow_single(st):
    t = closed_after(PORT, *slow_head("/api/v1/user/all"), 40)
    T.ok(t is not None and t < 20, "API: one header line per second: closed by the server "
         "(head deadline 10 s)", f"closed after {t}")
    t = closed_after(MPORT, *slow_head("/metrics"), 40)
    T.ok(t is not None and t < 20, "exporter: one header line per second: closed (10 s)",
         f"closed after {t}")
    # a body dribbled at 10 bytes per second after a complete, authenticated head
    t = closed_after(PORT, head("POST", "/api/v1/user/new",
                                [f"Authorization: {ADMIN_AUTH}", "Content-Type: application/json",
                                 "Content-Length: 100000"]), lambda i: b" " * 10, 50)
    T.ok(t is not None and t < 45, "API: a body dribbled at 10 bytes/s: closed (body "
         "deadline 30 s)", f"closed after {t}")


def refused_of(n, port, sources, dst="127.0.0.1"):
    """Opens n idle connections from the sources (round robin) and counts those the server
    closed at once; also returns the status of a request from 127.0.0.1 meanwhile."""
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    socks, refused = [], 0
    try:
        for i in range(n):
            s = socket.socket(fam, socket.SOCK_STREAM)
            socks.append(s)
            s.bind((sources[i % len(sources)], 0))
            s.connect((dst, port))
        time.sleep(0.5)
        for s in socks:
            r, _, _ = select.select([s], [], [], 0)
            try:
                if r and not s.recv(1):
                    refused += 1
            except OSError:
                refused += 1
        return refused, wgtest.Client(PORT, ADMIN_AUTH).api("GET", "/user/all").status
    finally:
        for s in socks:
            s.close()


def test_per_address(st):
    refused, other = refused_of(40, PORT, ["127.0.0.7"])
    T.eq(refused, 8, "40 idle connections from one address: the 8 beyond 32 are closed at once")
    T.eq(other, 200, "a client from another address is served meanwhile")
    refused, _ = refused_of(40, PORT, [f"{NET6}::{i}" for i in range(1, 5)], dst="::1")
    T.eq(refused, 8, "40 connections from 4 addresses of one IPv6 /64: 8 beyond 32 closed")
    refused, _ = refused_of(10, MPORT, ["127.0.0.8"])
    T.eq(refused, 2, "exporter: 10 connections from one address, the 2 beyond 8 closed")


class SlowFlood:
    """Keeps per_source slow connections from each source address open against port: each
    sends a request line, then one header line per second. A connection the server closes is
    reopened after a second. Runs until stop() (bounded by the caller)."""

    def __init__(self, port, path, sources, per_source):
        self.port, self.path = port, path
        self.slots = [[src, None, 0.0, 0] for src in sources for _ in range(per_source)]
        self.done = threading.Event()
        self.opened = self.closed_by_server = self.max_held = 0
        self.thread = threading.Thread(target=self.run)

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join(30)
        for slot in self.slots:
            if slot[1]:
                slot[1].close()

    def drop(self, slot, now):
        slot[1].close()
        slot[1], slot[2] = None, now + 1.0
        self.closed_by_server += 1

    def run(self):
        while not self.done.is_set():
            now = time.monotonic()
            for slot in self.slots:
                src, s, retry, n = slot
                if s is None:
                    if now < retry:
                        continue
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.setblocking(False)
                    try:
                        s.bind((src, 0))
                        s.connect_ex(("127.0.0.1", self.port))
                    except OSError:
                        s.close()
                        slot[2] = now + 1.0
                        continue
                    slot[1], slot[3] = s, 0
                    self.opened += 1
                    continue
                line = (f"GET {self.path} HTTP/1.1\r\nHost: x\r\n" if n == 0
                        else f"X-Slow-{n}: 1\r\n").encode()
                try:
                    s.send(line)
                    slot[3] = n + 1
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    self.drop(slot, now)
            open_socks = [slot[1] for slot in self.slots if slot[1]]
            for i in range(0, len(open_socks), 500):
                r, _, _ = select.select(open_socks[i:i + 500], [], [], 0)
                for s in r:
                    slot = next(x for x in self.slots if x[1] is s)
                    try:
                        if not s.recv(4096):
                            self.drop(slot, now)
                    except OSError:
                        self.drop(slot, now)
            held = sum(1 for slot in self.slots if slot[1] and slot[3] > 1)
            self.max_held = max(self.max_held, held)
            self.done.wait(max(0.0, 1.0 - (time.monotonic() - now)))


def timed_requests(fn, seconds):
    """Calls fn() (returns True for a good answer) sequentially for the given seconds."""
    lat, bad = [], []
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        try:
            ok = fn()
        except OSError as e:
            ok = repr(e)
        lat.append(time.monotonic() - t0)
        if ok is not True:
            bad.append(ok)
        time.sleep(0.05)
    return lat, bad


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p / 100))] if v else float("nan")


def flood_and_measure(port, path, label, fn):
    flood = SlowFlood(port, path, [f"127.0.0.{i}" for i in range(2, 7)], 128)
    flood.start()
    try:
        time.sleep(3)  # let the flood reach its peak
        lat, bad = timed_requests(fn, 20)
    finally:
        flood.stop()
    T.comment(f"{label}: 640 slow connections (5 addresses x 128); {flood.opened} opened, "
              f"{flood.closed_by_server} closed by the server, up to {flood.max_held} held; "
              f"normal client: {len(lat)} requests, p50 {pct(lat, 50) * 1000:.1f} ms, "
              f"p99 {pct(lat, 99) * 1000:.1f} ms, max {max(lat or [0]) * 1000:.1f} ms")
    T.ok(flood.max_held >= 30, f"{label}: the flood held slow connections open",
         flood.max_held)
    T.ok(len(lat) >= 20 and not bad,
         f"{label}: every request of a normal client is served during the flood",
         f"{len(bad)} of {len(lat)} failed: {bad[:3]}")
    return lat


def test_flood(st):
    def api_get():
        return wgtest.Client(PORT, ADMIN_AUTH, timeout=10).api("GET", "/user/all").status == 200

    def scrape():
        r = wgtest.Client(MPORT, None, timeout=10).call("GET", "/metrics")
        return r.status == 200 and b"wgportal" in r.body
    st["p99_api"] = pct(flood_and_measure(PORT, "/api/v1/user/all", "API", api_get), 99)
    st["p99_metrics"] = pct(flood_and_measure(MPORT, "/metrics", "exporter", scrape), 99)


# ---------------------------------------------------------------- main

def inner(ns):
    subprocess.run(["ip", "addr", "add", f"{NET6}::1/64", "dev", "lo"], check=False)
    for i in range(2, 5):
        subprocess.run(["ip", "addr", "add", f"{NET6}::{i}/64", "dev", "lo"], check=False)
    time.sleep(1.5)  # IPv6 duplicate address detection on lo is immediate; be safe
    tmp = tempfile.mkdtemp(prefix="wght-")
    d = wgtest.Daemon(tmp, "http-hardening")
    d.truncate_log()
    st = {"daemon": d}
    try:
        if not T.ok(d.start(write_config(tmp), PORT) and wgtest.wait_port(MPORT),
                    "daemon starts (API and exporter)", d.log()[-2000:]):
            return T.done()
        T.section("5 framing", test_framing, st)
        T.section("6 bodies before authentication", test_body_before_auth, st)
        T.section("2 connections per address", test_per_address, st)
        T.section("2 slow head and body", test_slow_single, st)
        T.section("2 flood of slow connections", test_flood, st)
        T.ok(d.running(), "daemon still running")
    finally:
        d.check_end(T, "http hardening", [ADMIN_PW, ADMIN_TOKEN])
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wght", inner, timeout=900))
