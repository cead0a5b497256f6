#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Connection loss: the database server (PostgreSQL or MariaDB, started by
tests/db/run_engine.py) stops and restarts under API load, writers and readers in parallel.

  - every answer is 200 or a clear 503 {"Code":503,"Message":"... database unavailable ..."},
    never a 500, a hang or a dead daemon;
  - nothing half-written: a user or peer whose creation got 503 does not exist afterwards,
    neither in the store nor (peer) on the WireGuard device; one that got 200 exists;
  - the daemon reconnects by itself: requests succeed again after the restart;
  - the DSN's password never reaches the log.
Runs in a network namespace (wgtest.in_netns) so the local backend has a real interface.
With SQLite (no server) it skips.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import dbservers  # noqa: E402
import wgtest  # noqa: E402

T = wgtest.Tap()
TAG = wgtest.tag()
PORT = 18991
ADMIN, TOKEN = "admin@example.com", "loss-test-token-0123456789"
AUTH = wgtest.basic(ADMIN, TOKEN)
IFACE = f"wgs{TAG}"[:15]
DEBUG_LINE = "  debug: true\n"  # database.debug: every statement logged


def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "loss-test-password-1"
  admin_api_token: "{TOKEN}"
advanced:
  start_cidr_v4: 10.231.0.0/24
  use_ip_v6: false
  start_listen_port: 52100
statistics:
  collect_interface_data: false
  collect_peer_data: false
{wgtest.database_yaml(tmp, extra=DEBUG_LINE)}web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


class Load:
    """Writer and reader threads recording (kind, id, status, body) of every request."""

    def __init__(self, client):
        self.client = client
        self.results = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.seq = 0

    def record(self, kind, ident, r):
        with self.lock:
            self.results.append((kind, ident, r.status, r.json() if r.body else None,
                                 time.time()))

    def call(self, method, path, body=None):
        """A request; a transport failure (timeout, reset) is recorded as its own status."""
        try:
            return self.client.call(method, path, body)
        except Exception as e:  # noqa: BLE001 - any of them is a failure of the daemon
            return wgtest.Resp(f"{type(e).__name__}", [], b"")

    def writer(self, n):
        while not self.stop.is_set():
            with self.lock:
                self.seq += 1
                ident = f"loss{n}-{self.seq}@example.com"
            r = self.call("POST", "/api/v1/user/new", {"Identifier": ident, "Email": ident,
                                                       "Password": "loss-Test-password-9"})
            self.record("user", ident, r)
            time.sleep(0.02)

    def peer_writer(self, template):
        """New peers from one prepared template with fresh keys and addresses of our own, so
        creations are in flight while the server goes away (a prepare would fail first)."""
        n = 10
        while not self.stop.is_set() and n < 250:
            priv = subprocess.run(["wg", "genkey"], capture_output=True, text=True).stdout.strip()
            pub = subprocess.run(["wg", "pubkey"], input=priv, capture_output=True,
                                 text=True).stdout.strip()
            p = dict(template, Identifier=pub, PublicKey=pub, PrivateKey=priv,
                     Addresses=[f"10.231.0.{n}/32"], DisplayName=f"loss peer {n}")
            n += 1
            r = self.call("POST", "/api/v1/peer/new", p)
            self.record("peer", pub, r)
            time.sleep(0.05)

    def reader(self):
        while not self.stop.is_set():
            r = self.call("GET", "/api/v1/user/all")
            self.record("read", None, r)
            time.sleep(0.01)

    def run(self, during, template):
        threads = [threading.Thread(target=self.writer, args=(i,)) for i in range(2)]
        threads += [threading.Thread(target=self.peer_writer, args=(template,)),
                    threading.Thread(target=self.reader)]
        for t in threads:
            t.start()
        try:
            during()
        finally:
            self.stop.set()
            for t in threads:
                t.join(60)


def device_peers():
    out = subprocess.run(["wg", "show", IFACE, "peers"], capture_output=True, text=True)
    return set(out.stdout.split())


def second_node_refused(tmp):
    """Only PostgreSQL coordinates nodes: a second wgportal on the same MariaDB database is
    refused at start (it would act alone and write to the devices too), pointing to
    PostgreSQL; the first keeps serving."""
    with open(os.path.join(tmp, "config.yaml")) as f:
        conf = f.read().replace(f"127.0.0.1:{PORT}", f"127.0.0.1:{PORT + 1}")
    path = os.path.join(tmp, "config-second.yaml")
    with open(path, "w") as f:
        f.write(conf)
    binary = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
    try:
        p = subprocess.run([binary, "--config", path], capture_output=True, text=True,
                           timeout=60)
        out, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = str(e.stdout or "") + str(e.stderr or ""), None
    T.ok(rc not in (0, None) and "in use by another wgportal" in out
         and "PostgreSQL" in out,
         "a second node on the same MariaDB database is refused at start", (rc, out[-600:]))


def main(ns):
    srv = dbservers.from_env()
    if srv is None:
        print("1..0 # SKIP needs a database server (tests/db/run_engine.py)")
        return 0
    tmp = tempfile.mkdtemp(prefix="wgpdb-loss-")
    d = wgtest.Daemon(tmp, f"dbloss-{srv.engine}")
    d.truncate_log()
    client = wgtest.Client(PORT, AUTH, timeout=20)
    try:
        if not T.ok(d.start(write_config(tmp), PORT, timeout=30), "daemon starts on " +
                    srv.engine, d.log()[-2000:]):
            return T.done()
        r = client.call("GET", "/api/v1/interface/prepare")
        body = dict(r.json() or {}, Identifier=IFACE)
        r = client.call("POST", "/api/v1/interface/new", body)
        T.eq(r.status, 200, "interface created before the outage")
        if srv.engine == "mysql":
            second_node_refused(tmp)

        outage = {}

        def stop_and_restart():
            time.sleep(1.0)
            outage["start"] = time.time()
            srv.stop()
            time.sleep(3.0)
            srv.start_again()
            outage["end"] = time.time()
            time.sleep(4.0)

        template = client.call("GET", "/api/v1/peer/prepare/" + wgtest.q(IFACE)).json() or {}
        load = Load(client)
        load.run(stop_and_restart, template)
        res = load.results
        statuses = {}
        for kind, _, status, _, _ in res:
            statuses[status] = statuses.get(status, 0) + 1
        T.ok(set(statuses) <= {200, 503}, "every answer is 200 or 503", statuses)
        bad_503 = [j for _, _, s, j, _ in res if s == 503 and not (
            isinstance(j, dict) and j.get("Code") == 503 and
            "database unavailable" in (j.get("Message") or ""))]
        T.ok(statuses.get(503, 0) > 0 and not bad_503,
             "during the outage: 503 with a JSON message naming the database", bad_503[:3])
        during = [s for _, _, s, _, t in res if outage["start"] + 0.5 < t < outage["end"] - 0.2]
        T.ok(during and all(s == 503 for s in during),
             "no request succeeds while the server is down", statuses)
        after = [s for kind, _, s, _, t in res if t > outage["end"] + 2.5]
        T.ok(after and all(s == 200 for s in after),
             "reconnected by itself: requests succeed again after the restart",
             after[:20])
        T.ok(d.running(), "daemon still running")

        # nothing half-written
        users = {(u.get("Identifier")) for u in client.call("GET", "/api/v1/user/all").json()}
        ok_users = {i for k, i, s, _, _ in res if k == "user" and s == 200}
        failed_users = {i for k, i, s, _, _ in res if k == "user" and s == 503}
        T.ok(ok_users and ok_users <= users, "every user answered 200 exists",
             sorted(ok_users - users)[:5])
        T.ok(failed_users and not (failed_users & users),
             "no user answered 503 exists", sorted(failed_users & users)[:5])
        peers = client.call("GET", "/api/v1/peer/by-interface/" + wgtest.q(IFACE)).json() or []
        stored = {p.get("Identifier") for p in peers}
        ok_peers = {i for k, i, s, _, _ in res if k == "peer" and s == 200}
        failed_peers = {i for k, i, s, _, _ in res if k == "peer" and s == 503}
        T.ok(ok_peers and ok_peers <= stored and ok_peers <= device_peers(),
             "every peer answered 200 is stored and on the device",
             (len(ok_peers), len(stored)))
        T.ok(failed_peers and not (failed_peers & stored) and not (failed_peers & device_peers()),
             "no peer answered 503 is stored or on the device",
             (len(failed_peers), sorted(failed_peers & (stored | device_peers()))[:3]))
        T.eq(stored, device_peers(), "store and device agree after the outage")
        print(f"# {srv.engine}: {len(res)} requests, {statuses.get(503, 0)} answered 503, "
              f"{len(failed_users)} user and {len(failed_peers)} peer creations refused")
    finally:
        d.check_end(T, "dbloss", secrets=(dbservers.PASSWORD, TOKEN))
    T.ok(re.search(r"info  database: SELECT .* FROM \S*users", d.log()) is not None,
         "database.debug: the statements are logged (text only: no secret above)")
    shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpd", main, iface_prefixes=("wgs{pid}",), timeout=600))
