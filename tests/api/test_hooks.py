#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Interface hooks on the local backend (spec/wg-portal-compat.md; wg-portal runs PreUp/PostUp/
PreDown/PostDown as `bash -ce` with %i replaced, Pre* before and Post* after an enabled-state
change): which hooks run for create, update, disable, enable and delete, in which order and
around the device; a failing Pre hook refuses the change and changes nothing; a hook that never
ends is stopped after advanced.hook_timeout (ours) with its whole process group, the request
answers 504 naming the hook, and writes go on (the write lock is free again).

Real daemon with the local backend (wireguard-go) in a private namespace "wgph<pid>".
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q, wait_for  # noqa: E402

PORT = 18967
TAG = wgtest.tag()
IFACE = f"wgh{TAG}0"
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Hooks-Passw0rd!"
ADMIN_TOKEN = "T0k3nHooksAbcdefghijklmnopqr"
T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)


def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(wgtest.config_core(ADMIN, ADMIN_PW, ADMIN_TOKEN) + f"""advanced:
  start_cidr_v4: 10.221.0.0/24
  use_ip_v6: false
  start_listen_port: 51995
  hook_timeout: 2s
{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def link_up(name):
    out = subprocess.run(["ip", "-o", "link", "show", name], capture_output=True, text=True)
    return out.returncode == 0 and ",UP" in out.stdout


def read(path):
    try:
        with open(path) as f:
            return f.read().split()
    except OSError:
        return []


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (killed, waiting for its parent)
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_hooks(tmp):
    log = os.path.join(tmp, "hooks.log")
    # each hook records its name, %i, and whether the link exists and is up at that moment
    state = "$(ip -o link show %i 2>/dev/null | grep -q ,UP && echo up || echo down)"

    def hook(name):
        return f"echo {name}:%i:{state} >> {log}"
    ifc = API.api("GET", "/interface/prepare").json() or {}
    ifc.update(Identifier=IFACE, PreUp=hook("PreUp"), PostUp=hook("PostUp"),
               PreDown=hook("PreDown"), PostDown=hook("PostDown"))
    r = API.api("POST", "/interface/new", ifc)
    if not T.ok(r.status == 200, "create an enabled interface with four hooks", r):
        return
    T.eq(read(log), [f"PreUp:{IFACE}:down", f"PostUp:{IFACE}:up"],
         "create: PreUp before the device is up, PostUp after, %i = the interface name")

    ifc = API.api("GET", "/interface/by-id/" + q(IFACE)).json() or {}
    r = API.api("PUT", "/interface/by-id/" + q(IFACE), dict(ifc, Mtu=1380))
    T.ok(r.status == 200 and len(read(log)) == 2, "an update that keeps the state runs no hook",
         (r, read(log)))

    r = API.api("PUT", "/interface/by-id/" + q(IFACE), dict(ifc, Mtu=1380, Disabled=True))
    T.ok(r.status == 200 and read(log)[2:] == [f"PreDown:{IFACE}:up", f"PostDown:{IFACE}:down"],
         "disable: PreDown while up, PostDown after", (r, read(log)))

    # a failing PreUp: the change is refused and nothing changes
    ifc = API.api("GET", "/interface/by-id/" + q(IFACE)).json() or {}
    bad = dict(ifc, Disabled=False, PreUp=f"echo failing-PreUp >> {log}; exit 3")
    r = API.api("PUT", "/interface/by-id/" + q(IFACE), bad)
    j = r.json() or {}
    now = API.api("GET", "/interface/by-id/" + q(IFACE)).json() or {}
    T.ok(r.status >= 400 and "PreUp hook of interface" in (j.get("Message") or "")
         and "status 3" in j.get("Message", ""),
         "enable with a PreUp that exits 3: refused, the message names the hook and status", r)
    T.ok(now.get("Disabled") is True and now.get("PreUp") == ifc.get("PreUp")
         and not link_up(IFACE) and read(log)[-1] == "failing-PreUp"
         and "PostUp" not in " ".join(read(log)[4:]),
         "...and nothing changed: still disabled, old hook stored, link down, no PostUp", now)

    # a PreUp that never ends: stopped after hook_timeout (2 s) with what it started
    pids = os.path.join(tmp, "hang.pids")
    hang = dict(ifc, Disabled=False, PreUp=f"echo $$ >> {pids}; sleep 300 & echo $! >> {pids}; wait")
    t0 = time.monotonic()
    r = API.api("PUT", "/interface/by-id/" + q(IFACE), hang)
    took = time.monotonic() - t0
    j = r.json() or {}
    T.ok(r.status == 504 and "did not finish within 2000 ms" in (j.get("Message") or ""),
         "a PreUp that never ends: 504 naming advanced.hook_timeout", (r, f"{took:.1f} s"))
    ps = [int(p) for p in read(pids)]
    T.ok(len(ps) == 2 and wait_for(lambda: not any(alive(p) for p in ps), 10),
         "...bash and the sleep it started in the background are both stopped", ps)
    now = API.api("GET", "/interface/by-id/" + q(IFACE)).json() or {}
    T.ok(now.get("Disabled") is True and not link_up(IFACE),
         "...and the interface stays disabled", now)
    r = API.api("PUT", "/interface/by-id/" + q(IFACE), dict(now, Disabled=False))
    T.ok(r.status == 200 and link_up(IFACE) and read(log)[-2:] == [f"PreUp:{IFACE}:down",
                                                                  f"PostUp:{IFACE}:up"],
         "writes go on: enable with the stored hooks (PreUp, PostUp)", (r, read(log)))

    n = len(read(log))
    r = API.api("DELETE", "/interface/by-id/" + q(IFACE))
    T.ok(r.status == 204 and read(log)[n:] == [f"PreDown:{IFACE}:up", f"PostDown:{IFACE}:down"],
         "delete of an enabled interface: PreDown, then PostDown", (r, read(log)))


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgph-")
    d = wgtest.Daemon(tmp, "hooks")
    d.truncate_log()
    try:
        if T.ok(d.start(write_config(tmp), PORT), "daemon starts", d.log()[-2000:]):
            T.section("hooks", test_hooks, tmp)
        d.stop()
        log = d.log()
        T.ok("ERROR: AddressSanitizer" not in log and "runtime error:" not in log,
             "no sanitizer report in the daemon's output", log[-2000:])
    finally:
        d.stop()
        subprocess.run(["ip", "link", "del", IFACE], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgph", inner, iface_prefixes=("wgh{pid}",), timeout=600))
