#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A full disk under the SQLite database (issue 12, item 10; docs/http-hardening.md).

The test mounts a 16 MiB tmpfs (inside `ip netns exec`, which gives this run its own mount
namespace, so the mount goes away with it), puts the database there, fills the file system and
keeps writing: every refused write must be 507 with the store's clear message (never a 502, as
if a device had failed), reads keep working, nothing half-written remains, and once space is
free again writes succeed. Output is TAP; WGPORTAL_BIN selects the binary.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic  # noqa: E402

PORT = 18971
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-DiskFull-Passw0rd!"
ADMIN_TOKEN = "T0k3nDiskFullAbcdefghijklmnopq"
T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)


def write_config(tmp, db):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(wgtest.config_core(ADMIN, ADMIN_PW, ADMIN_TOKEN) + f"""advanced:
  start_cidr_v4: 10.221.0.0/24
  use_ip_v6: false
database:
  dsn: {db}
web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def fill(path):
    """Writes zeros into path until the file system is full."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    except OSError:
        return  # already full
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)


def test_full(st, mnt):
    notes = "n" * 150000
    r = API.api("POST", "/user/new", {"Identifier": "before", "Password": "B3fore-Passw0rd-long",
                                      "Notes": notes})
    T.eq(r.status, 200, "a user created while there is space")
    T.comment("before filling: " + ", ".join(f"{n} {os.path.getsize(os.path.join(mnt, n))} B"
                                            for n in sorted(os.listdir(mnt))))
    filler = os.path.join(mnt, "filler")
    fill(filler)
    st_vfs = os.statvfs(mnt)
    T.ok(st_vfs.f_bavail * st_vfs.f_frsize < 65536, "the file system is full",
         st_vfs.f_bavail * st_vfs.f_frsize)
    statuses, first_bad = [], None
    for i in range(40):  # bounded: a WAL with room left takes a few writes to run out
        r = API.api("POST", "/user/new", {"Identifier": f"full{i}",
                                          "Password": "Fu11-Passw0rd-long-enough", "Notes": notes})
        statuses.append(r.status)
        if r.status != 200:
            first_bad = (i, r)
            break
    if not T.ok(first_bad is not None, "writes fail once the disk is full", statuses):
        return
    i, r = first_bad
    j = r.json() or {}
    T.ok(r.status == 507 and j.get("Code") == 507 and "full" in (j.get("Message") or ""),
         "the refused write: 507 with the store's message (not a 502)", r)
    T.comment(f"first refused write after {i} accepted: {r.status} {j.get('Message')!r}")
    r = API.api("GET", "/user/all")
    T.ok(r.status == 200 and any(u.get("Identifier") == "before" for u in r.json() or []),
         "reads still work while the disk is full", r)
    r = API.api("GET", f"/user/by-id/full{i}")
    T.eq(r.status, 404, "the refused user was not stored (nothing half-written)")
    r = API.call("POST", "/api/v1/auth/login", {"Username": ADMIN, "Password": ADMIN_PW},
                 headers={"Origin": f"http://127.0.0.1:{PORT}"})
    T.ok(r.status in (200, 507), "a login while the disk is full: 200 or 507, never 502", r)
    if os.path.exists(filler):
        os.unlink(filler)
    r = API.api("POST", "/user/new", {"Identifier": "after", "Password": "Aft3r-Passw0rd-long"})
    T.eq(r.status, 200, "with space again, writes succeed")
    names = {u.get("Identifier") for u in API.api("GET", "/user/all").json() or []}
    want = {"before", "after"} | {f"full{k}" for k in range(i)}
    T.ok(want <= names and f"full{i}" not in names, "every acknowledged user is there, the "
         "refused one is not", sorted(names))


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgdf-")
    mnt = os.path.join(tmp, "full")
    os.makedirs(mnt)
    # a private mount namespace of our own (ip netns exec made one; be explicit anyway)
    r = subprocess.run(["mount", "--make-rprivate", "/"], capture_output=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "wgdf", mnt],
                       capture_output=True, text=True)
    if not T.ok(r.returncode == 0, "mount a 16 MiB tmpfs for the database", r.stderr):
        return T.done()
    d = wgtest.Daemon(tmp, "disk-full")
    d.truncate_log()
    try:
        if T.ok(d.start(write_config(tmp, os.path.join(mnt, "wgportal.sqlite")), PORT),
                "daemon starts with its database on the tmpfs", d.log()[-2000:]):
            T.section("10 disk full", test_full, {}, mnt)
            T.ok(d.running(), "daemon still running")
    finally:
        d.check_end(T, "disk full", [ADMIN_PW, ADMIN_TOKEN])
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgdf", inner, timeout=300))
