#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Peer addresses an attacker with an admin token (or a careless script) could send (issue 12,
item 9; docs/http-hardening.md): POST /peer/new and PUT /peer/by-id with 0.0.0.0/0, a /16
over every other peer, the broadcast addresses, duplicates, 500 and 20,000 entries, the
interface's own address, and a UserIdentifier naming nobody. Expect 400 (or 409 naming the
address for overlaps) with {"Code","Message","Field":"Addresses"|"UserIdentifier"}, and
nothing stored or changed on the device.

Real daemon with the local backend (wireguard-go) in a private namespace "wgpq<pid>".
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q  # noqa: E402

PORT = 18961
TAG = wgtest.tag()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Addresses-Passw0rd!"
ADMIN_TOKEN = "T0k3nAddressesAbcdefghijklmnop"
T = wgtest.Tap()
API = wgtest.Client(PORT, basic(ADMIN, ADMIN_TOKEN), timeout=60)


def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(wgtest.config_core(ADMIN, ADMIN_PW, ADMIN_TOKEN) + f"""advanced:
  start_cidr_v4: 10.219.0.0/24
  start_cidr_v6: fd19:219::/64
  use_ip_v6: true
  start_listen_port: 51990
{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{PORT}
""")
    return path


def refused(r, status, field, contains, name):
    j = r.json() or {}
    return T.ok(r.status == status and j.get("Code") == status and j.get("Field") == field
                and contains in (j.get("Message") or ""), name,
                f"status {r.status}, body {r.body[:300]!r}")


def device_peers(name):
    out = subprocess.run(["wg", "show", name, "peers"], capture_output=True, text=True)
    return set(out.stdout.split())


def test_addresses(st):
    r = API.api("GET", "/interface/prepare")
    ifc = r.json() or {}
    name = f"wgq{TAG}0"
    ifc.update(Identifier=name)
    r = API.api("POST", "/interface/new", ifc)
    if not T.ok(r.status == 200, "setup: interface " + name, r):
        return
    st["iface"] = name
    T.ok("10.219.0.1/24" in ifc.get("Addresses", []), "interface address 10.219.0.1/24",
         ifc.get("Addresses"))
    r = API.api("POST", "/user/new", {"Identifier": "alice", "Password": "Al1ce-Passw0rd-long"})
    T.eq(r.status, 200, "setup: user alice")

    def prepared(**kw):
        p = API.api("GET", "/peer/prepare/" + q(name)).json() or {}
        p.update(kw)
        return p

    a = prepared(UserIdentifier="alice")
    r = API.api("POST", "/peer/new", a)
    T.ok(r.status == 200 and (r.json() or {}).get("Addresses") == a["Addresses"],
         "peer A with the prepared addresses: 200", r)
    a4 = [x for x in a["Addresses"] if "." in x][0]
    T.eq(a4, "10.219.0.2/32", "peer A has 10.219.0.2/32")

    def new(addrs, **kw):
        return API.api("POST", "/peer/new", prepared(Addresses=addrs, **kw))

    refused(new(["0.0.0.0/0"]), 400, "Addresses", "0.0.0.0/0", "0.0.0.0/0: 400")
    refused(new(["::/0"]), 400, "Addresses", "::/0", "::/0: 400")
    refused(new(["10.219.0.0/16"]), 409, "Addresses", "10.219.0.0/16",
            "a /16 over the interface and every peer: 409 naming the address")
    refused(new(["10.219.0.2/31"]), 409, "Addresses", "overlaps 10.219.0.2 ",
            "10.219.0.2/31 over peer A: 409 naming A's address")
    refused(new(["10.219.0.2/32"]), 409, "Addresses", "10.219.0.2",
            "peer A's own address: 409")
    refused(new(["10.219.0.1/32"]), 409, "Addresses", "10.219.0.1",
            "the interface's own address: 409")
    refused(new(["255.255.255.255/32"]), 400, "Addresses", "broadcast",
            "255.255.255.255/32: 400 broadcast")
    refused(new(["10.219.0.255/32"]), 400, "Addresses", "broadcast",
            "10.219.0.255/32 (the subnet's broadcast): 400")
    refused(new(["10.219.0.9/32", "10.219.0.9/32"]), 400, "Addresses", "listed twice",
            "the same address twice: 400")
    refused(new(["10.219.0.9/32", "10.219.0.9/24"]), 400, "Addresses", "listed twice",
            "the same address twice with different lengths: 400")
    refused(new(["10.219.0.9/32"] * 500), 400, "Addresses", "too many",
            "500 duplicates: 400")
    many = [f"10.{200 + i // 65536 % 50}.{i // 256 % 256}.{i % 256}/32" for i in range(20000)]
    refused(new(many), 400, "Addresses", "too many", "20,000 entries: 400")
    refused(new(many[:65]), 400, "Addresses", "at most 64", "65 entries: 400")
    refused(new(["10.219.0.9/32"], UserIdentifier="ghost"), 400, "UserIdentifier", "ghost",
            "UserIdentifier naming no user: 400")

    r = API.api("GET", "/peer/by-interface/" + q(name))
    T.ok(r.status == 200 and len(r.json() or []) == 1, "every refused peer stored nothing", r)
    T.eq(device_peers(name), {a["PublicKey"]}, "…and reached no device (wg show)")

    b = prepared(UserIdentifier="alice")
    r = API.api("POST", "/peer/new", b)
    T.ok(r.status == 200 and "10.219.0.3/32" in (r.json() or {}).get("Addresses", []),
         "peer B with the next prepared address: 200", r)
    sixty_four = [f"10.250.{i}.0/24" for i in range(64)]
    r = new(sixty_four)
    T.eq(r.status, 200, "64 distinct network routes: accepted")
    c = r.json() or {}
    refused(new(["10.250.3.77/32"]), 409, "Addresses", "10.250.3.0/24",
            "a host inside another peer's network route: 409 naming that route")
    r = API.api("PUT", "/peer/by-id/" + q(a["Identifier"]), dict(a, DisplayName="renamed"))
    T.eq(r.status, 200, "PUT peer A with its own addresses: 200 (no overlap with itself)")
    r = API.api("PUT", "/peer/by-id/" + q(b["Identifier"]),
                dict(b, Addresses=["10.219.0.2/32"]))
    refused(r, 409, "Addresses", "10.219.0.2", "PUT peer B onto A's address: 409")
    r = API.api("PUT", "/peer/by-id/" + q(b["Identifier"]), dict(b, UserIdentifier="ghost"))
    refused(r, 400, "UserIdentifier", "ghost", "PUT with an unknown user: 400")
    r = API.api("GET", "/peer/by-id/" + q(b["Identifier"]))
    T.ok(r.status == 200 and (r.json() or {}).get("Addresses") == b["Addresses"]
         and (r.json() or {}).get("UserIdentifier") == "alice",
         "the refused updates changed nothing", r)

    # A peer that names a user who is gone stays editable: only a changed UserIdentifier must
    # name a user. Such peers exist: a user's peers that were already disabled keep the
    # reference when the user is deleted (as in wg-portal, users/user_manager.go
    # handleUserDeletedEvent skips disabled peers), and taken-over wg-portal databases hold any
    # text there.
    r = API.api("POST", "/user/new", {"Identifier": "bob", "Password": "B0b-Passw0rd-long!"})
    T.eq(r.status, 200, "setup: user bob")
    d = prepared(UserIdentifier="bob", Disabled=True, DisabledReason="on hold")
    r = API.api("POST", "/peer/new", d)
    T.eq(r.status, 200, "peer D owned by bob, disabled: 200")
    T.eq(API.api("DELETE", "/user/by-id/bob").status, 204, "delete bob")
    r = API.api("GET", "/peer/by-id/" + q(d["Identifier"]))
    d = r.json() or {}
    T.ok(r.status == 200 and d.get("UserIdentifier") == "bob" and d.get("Disabled"),
         "peer D kept, disabled, still naming bob", r)
    r = API.api("PUT", "/peer/by-id/" + q(d.get("Identifier", "")),
                dict(d, Disabled=False, DisabledReason="", DisplayName="orphan"))
    T.ok(r.status == 200 and not (r.json() or {}).get("Disabled"),
         "an admin re-enables and renames the orphaned peer D: 200", r)
    r = API.api("PUT", "/peer/by-id/" + q(d.get("Identifier", "")),
                dict(d, UserIdentifier="ghost"))
    refused(r, 400, "UserIdentifier", "ghost", "moving D to another unknown user: 400")
    r = API.api("PUT", "/peer/by-id/" + q(d.get("Identifier", "")),
                dict(d, UserIdentifier="alice"))
    T.ok(r.status == 200 and (r.json() or {}).get("UserIdentifier") == "alice",
         "moving D to an existing user: 200", r)
    for p in (a, b, c, d):
        API.api("DELETE", "/peer/by-id/" + q(p.get("Identifier", "")))


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgpq-")
    d = wgtest.Daemon(tmp, "peer-addresses")
    d.truncate_log()
    st = {}
    try:
        if T.ok(d.start(write_config(tmp), PORT), "daemon starts", d.log()[-2000:]):
            T.section("9 peer addresses", test_addresses, st)
            if st.get("iface"):
                T.eq(API.api("DELETE", "/interface/by-id/" + q(st["iface"])).status, 204,
                     "cleanup: delete the interface")
            T.ok(d.running(), "daemon still running")
    finally:
        d.check_end(T, "peer addresses", [ADMIN_PW, ADMIN_TOKEN])
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpq", inner, iface_prefixes=("wgq{pid}",), timeout=600))
