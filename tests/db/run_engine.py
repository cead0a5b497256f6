#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the store unit tests and the API suites against one real database server.

Usage: tests/db/run_engine.py postgres|mysql [--group store|api] [name ...]
(names: only the runs whose path contains one of them, e.g. test_server; --group: only the
store group (unit tests, connection loss, take-over) or the API group, so that make test can
run the two on separate servers at the same time: tests/db/suite-<engine>[-api].sh)

Starts the server (tests/lib/dbservers.py: Debian's PostgreSQL 15 or MariaDB, a temporary
directory, the unprivileged system user, a unix socket and a loopback port chosen now), then
runs with WGPORTAL_TEST_DB* set, so every store and daemon of those suites uses a fresh
database on it:
  - the unit tests that open stores (plain build, and the ASan+UBSan build of test_store),
  - tests/db/test_server.py (connection loss: the server stopped and restarted under load),
  - the API suites of API_PY (plain daemon): every suite whose store queries differ by engine.
Their TAP output is passed through; the exit status is non-zero if any of them failed.
The server is stopped and its directory removed at the end.
"""
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import dbservers  # noqa: E402

UNIT = ["test_store", "test_store_cluster", "test_session", "test_ping", "test_metrics",
        "test_store_auth"]
SAN_UNIT = ["test_store"]
PY = ["tests/db/test_server.py", "tests/api/test_wgportal_takeover.py"]
API_PY = ["tests/api/test_api.py", "tests/api/test_ui_api.py", "tests/api/test_monitoring.py",
          "tests/api/test_auth_factors.py", "tests/api/test_auth_ldap.py",
          "tests/api/test_auth_oidc.py", "tests/api/test_mail_webhooks.py",
          "tests/api/test_lifecycle.py", "tests/api/test_peer_addresses.py"]


def main():
    engine = sys.argv[1]
    # run-all.sh's timeout (or ^C) ends a suite with SIGTERM: leave through the finally below,
    # which stops the server, instead of leaving it running
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.time()
    srv = dbservers.start(engine)
    print(f"# {engine} server in {srv.dir} (port {srv.port}), started in "
          f"{time.time() - t0:.1f} s", flush=True)
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP", **srv.env())
    failed = 0
    args = sys.argv[2:]
    group = None
    if args[:1] == ["--group"] and len(args) > 1:
        group, args = args[1], args[2:]
    runs = []
    if group in (None, "store"):
        runs += [[os.path.join(ROOT, "build", "tests", t)] for t in UNIT]
        runs += [[os.path.join(ROOT, "build", "san", "tests", t)] for t in SAN_UNIT]
        runs += [[sys.executable, os.path.join(ROOT, p)] for p in PY]
    if group in (None, "api"):
        runs += [[sys.executable, os.path.join(ROOT, p)] for p in API_PY]
    if args:
        runs = [a for a in runs if any(n in a[-1] for n in args)]
    try:
        for argv in runs:
            if not os.path.exists(argv[-1]):
                print(f"not ok - {os.path.relpath(argv[-1], ROOT)} is missing (build first)")
                failed += 1
                continue
            t = time.time()
            print(f"# == {engine}: {os.path.relpath(argv[-1], ROOT)}", flush=True)
            rc = subprocess.run(argv, env=env, cwd=ROOT).returncode
            print(f"# {os.path.relpath(argv[-1], ROOT)}: exit {rc}, {time.time() - t:.1f} s",
                  flush=True)
            failed += rc != 0
    finally:
        srv.remove()
    print(f"# {engine}: all runs took {time.time() - t0:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
