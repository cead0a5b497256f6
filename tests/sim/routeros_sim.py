#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""RouterOS v7 REST API simulator for the MikroTik backend tests (spec/routeros-rest.md section 8).

Python 3 standard library only. It is deliberately strict: a fake that accepts anything proves
nothing, so unknown or version-gated properties, bad keys, missing required fields and duplicate
names/addresses are refused with RouterOS's texts, and every reply value is a string.

Where the spec marks behaviour [unverified], the choice made here is the one that exposes client
bugs (documented in tests/sim/README.md).

CLI (other test code depends on it, keep it stable):
  routeros_sim.py --port PORT [--bind 127.0.0.1] [--https [--cert C --key K]] [--ros 7.17]
                  [--users USERS.json] [--latency-ms N] [--ready-file PATH]
                  [--command-timeout SECONDS] [--serialize-user] [--sensitive-mode mask|omit]
                  [--reject-encoded-star] [--verbose]
Control API (no auth, JSON, outside /rest): see README.md and Control below.
"""
import argparse
import base64
import binascii
import hmac
import http.server
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

# --------------------------------------------------------------------------------------------
# X25519 (RFC 7748 section 5). RouterOS derives `public-key` from `private-key`; a fake that
# returns a random public key would let a client that never derives keys pass, so do it for real.
# --------------------------------------------------------------------------------------------
_P = 2 ** 255 - 19
_A24 = 121665


def x25519(scalar: bytes, u: bytes) -> bytes:
    k = bytearray(scalar)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    kn = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in range(254, -1, -1):          # Montgomery ladder, fixed 255 steps
        kt = (kn >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a = (x2 + z2) % _P
        aa = a * a % _P
        b = (x2 - z2) % _P
        bb = b * b % _P
        e = (aa - bb) % _P
        c = (x3 + z3) % _P
        d = (x3 - z3) % _P
        da = d * a % _P
        cb = c * b % _P
        x3 = (da + cb) * (da + cb) % _P
        z3 = x1 * (da - cb) * (da - cb) % _P
        x2 = aa * bb % _P
        z2 = e * (aa + _A24 * e) % _P
    if swap:
        x2, x3, z2, z3 = x3, x2, z3, z2
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(32, "little")


def wg_pubkey(priv_b64: str) -> str:
    return base64.b64encode(x25519(base64.b64decode(priv_b64), (9).to_bytes(32, "little"))).decode()


def wg_genkey() -> str:
    k = bytearray(secrets.token_bytes(32))
    k[0] &= 248                              # clamp like `wg genkey`
    k[31] = (k[31] & 127) | 64
    return base64.b64encode(bytes(k)).decode()


def key_ok(s: str) -> bool:
    if not isinstance(s, str) or len(s) != 44 or not s.endswith("="):
        return False
    try:
        return len(base64.b64decode(s, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


# --------------------------------------------------------------------------------------------
# Durations (spec 2.5 / checklist 12). Stored as integer microseconds.
# --------------------------------------------------------------------------------------------
_DUR_UNITS = {"w": 604800_000000, "d": 86400_000000, "h": 3600_000000, "m": 60_000000,
              "s": 1_000000, "ms": 1000, "us": 1, "\u00b5s": 1, "ns": 0}
_DUR_RE = re.compile(r"(\d+(?:\.\d+)?)(ms|us|\u00b5s|ns|w|d|h|m|s)")
_HMS_RE = re.compile(r"^(?:(\d+)d)?(\d+):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$")


def parse_duration(v):
    """Return microseconds or None. Accepts 25s, 1m30s, 1h0m0s, 1d2h, 00:00:02, plain seconds."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v * 1_000000 if v >= 0 else None
    if not isinstance(v, str) or not v:
        return None
    if v.isdigit():
        return int(v) * 1_000000
    m = _HMS_RE.match(v)
    if m:
        days, h, mi, s, frac = m.groups()
        us = ((int(days or 0) * 24 + int(h)) * 3600 + int(mi) * 60 + int(s)) * 1_000000
        if frac:
            us += int(frac.ljust(6, "0"))
        return us
    pos, total = 0, 0
    for mm in _DUR_RE.finditer(v):
        if mm.start() != pos:
            return None
        total += int(float(mm.group(1)) * _DUR_UNITS[mm.group(2)])
        pos = mm.end()
    return total if pos == len(v) and pos > 0 else None


def render_duration(us: int) -> str:
    """RouterOS compact form: 1w2d3h4m5s, sub-second as 1ms200us; zero is "0s"."""
    if us <= 0:
        return "0s"
    out = []
    for unit, size in (("w", 604800_000000), ("d", 86400_000000), ("h", 3600_000000),
                       ("m", 60_000000), ("s", 1_000000), ("ms", 1000), ("us", 1)):
        q, us = divmod(us, size)
        if q:
            out.append("%d%s" % (q, unit))
    return "".join(out)


def fmt_time(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
REASON = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
          403: "Forbidden", 404: "Not Found", 406: "Not Acceptable",
          415: "Unsupported Media Type", 500: "Internal Server Error", 502: "Bad Gateway",
          503: "Service Unavailable"}


def err_body(status, detail=None):
    d = {}
    if detail is not None:
        d["detail"] = detail
    d["error"] = status
    d["message"] = REASON.get(status, "Error")
    return d


class SimError(Exception):
    def __init__(self, status, detail=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail

    def body(self):
        return err_body(self.status, self.detail)


def bad(detail):
    return SimError(400, detail)


def unknown_param(name):
    return bad("unknown parameter %s" % name)


def invalid(name):
    return bad("invalid value for argument %s" % name)


NO_RID = "missing or invalid resource identifier"   # REST's text for refused PATCH/DELETE
NOT_ENOUGH = "not enough permissions (9)"            # missing read/write/test policy
NOT_ALLOWED = "std failure: not allowed (9)"         # missing api policy

# --------------------------------------------------------------------------------------------
# Request value conversion (spec 2.2: strings or JSON numbers/booleans; replies are strings)
# --------------------------------------------------------------------------------------------


def scalar(name, v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    raise invalid(name)


def conv_bool(name, v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.lower() in ("true", "yes"):
        return "true"
    if isinstance(v, str) and v.lower() in ("false", "no"):
        return "false"
    raise invalid(name)


def conv_int(name, v, lo, hi):
    if isinstance(v, bool):
        raise invalid(name)
    if isinstance(v, int):
        n = v
    elif isinstance(v, str):
        s = v.strip()
        try:
            if re.fullmatch(r"-?0[xX][0-9a-fA-F]+", s):
                n = int(s, 16)
            elif re.fullmatch(r"-?\d+", s):
                n = int(s, 10)
            else:
                raise invalid(name)
        except ValueError:
            raise invalid(name)
    else:
        raise invalid(name)
    if n < lo or n > hi:
        raise bad("value of %s out of range (%d..%d)" % (name, lo, hi))
    return str(n)


def conv_dur(name, v, lo_s, hi_s):
    us = parse_duration(v)
    if us is None:
        raise invalid(name)
    if us < lo_s * 1_000000 or us > hi_s * 1_000000:
        raise bad("value of %s out of range (%s..%s)" % (name, render_duration(int(lo_s * 1e6)),
                                                         render_duration(int(hi_s * 1e6))))
    return render_duration(us)


def conv_key(name, v, allow_empty):
    s = scalar(name, v)
    if s == "" and allow_empty:
        return ""
    if not key_ok(s):
        raise invalid(name)
    return s


def conv_ip(name, v, family=None, allow_empty=True):
    s = scalar(name, v)
    if s == "" and allow_empty:
        return ""
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        raise invalid(name)
    if family and ip.version != family:
        raise invalid(name)
    return str(ip)


def conv_iplist(name, v):
    s = scalar(name, v)
    if s == "":
        return ""
    # An empty element (",1.1.1.1", wg-portal's SetDNS bug) is refused [unverified]: the
    # console parses each element as an address and "" is not one.
    return ",".join(conv_ip(name, p, allow_empty=False) for p in s.split(","))


def conv_prefix(name, v, family=None):
    """Interface-style prefix (host bits kept): 10.0.0.1/24; /32 or /128 when omitted."""
    s = scalar(name, v).strip()
    try:
        ipi = ipaddress.ip_interface(s)
    except ValueError:
        raise invalid(name)
    if family and ipi.version != family:
        raise invalid(name)
    return str(ipi)


def conv_prefixlist(name, v, allow_empty=True):
    s = scalar(name, v)
    if s == "":
        if allow_empty:
            return ""
        raise invalid(name)
    return ",".join(conv_prefix(name, p) for p in s.split(","))


def conv_dst(name, v, family):
    s = scalar(name, v).strip()
    try:
        net = ipaddress.ip_network(s, strict=False)   # RouterOS stores the network address
    except ValueError:
        raise invalid(name)
    if net.version != family:
        raise invalid(name)
    return str(net)


_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$")


def conv_host(name, v):
    s = scalar(name, v)
    if s == "":
        return ""
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        pass
    if not _HOST_RE.match(s) or len(s) > 253:
        raise invalid(name)
    return s


def conv_name(name, v):
    s = scalar(name, v)
    if s == "" or len(s) > 255 or any(ord(c) < 32 for c in s):
        raise invalid(name)
    return s


def conv_str(name, v):
    return scalar(name, v)


# Field spec: (converter, since, until) where since/until are version tuples or None.
V715, V717, V721 = (7, 15), (7, 17), (7, 21)


def fld(conv, since=None, until=None):
    return (conv, since, until)


def active_fields(spec, ver):
    return {k: c for k, (c, since, until) in spec.items()
            if (since is None or ver >= since) and (until is None or ver < until)}


def B(n, v):
    return conv_bool(n, v)


WG_FIELDS = {
    "name": fld(conv_name),
    "comment": fld(conv_str),
    "disabled": fld(B),
    "listen-port": fld(lambda n, v: conv_int(n, v, 1, 65535)),
    "mtu": fld(lambda n, v: conv_int(n, v, 0, 65536)),
    "private-key": fld(lambda n, v: conv_key(n, v, False)),
    "vrf": fld(conv_str, V721),
}
IFACE_FIELDS = {  # generic /interface set
    "name": fld(conv_name), "comment": fld(conv_str), "disabled": fld(B),
    "mtu": fld(lambda n, v: conv_int(n, v, 0, 65536)),
}
PEER_FIELDS = {
    "interface": fld(conv_str),
    "public-key": fld(lambda n, v: conv_key(n, v, False)),
    "allowed-address": fld(lambda n, v: conv_prefixlist(n, v, False)),
    "endpoint-address": fld(conv_host),
    "endpoint-port": fld(lambda n, v: conv_int(n, v, 0, 65535)),
    "preshared-key": fld(lambda n, v: conv_key(n, v, True)),
    "persistent-keepalive": fld(lambda n, v: conv_dur(n, v, 0, 65535)),
    "comment": fld(conv_str),
    "disabled": fld(B),
    "name": fld(conv_name, V715),
    "private-key": fld(lambda n, v: conv_key(n, v, True), V715),
    "client-address": fld(conv_prefixlist, V715),
    "client-dns": fld(conv_iplist, V715),
    "client-endpoint": fld(conv_str, V715),
    "client-keepalive": fld(lambda n, v: conv_dur(n, v, 0, 65535), V715),
    "client-listen-port": fld(lambda n, v: conv_int(n, v, 0, 65535), V715),
    "is-responder": fld(B, V715, V717),
    "responder": fld(B, V717),
    "client-allowed-address": fld(conv_prefixlist, V721),
}
ADDR4_FIELDS = {
    "address": fld(lambda n, v: conv_prefix(n, v, 4)),
    "interface": fld(conv_str),
    "network": fld(lambda n, v: conv_ip(n, v, 4)),
    "comment": fld(conv_str),
    "disabled": fld(B),
}
ADDR6_FIELDS = {
    "address": fld(lambda n, v: conv_prefix(n, v, 6)),
    "interface": fld(conv_str),
    "advertise": fld(B),
    "eui-64": fld(B),
    "no-dad": fld(B),
    "from-pool": fld(conv_str),
    "comment": fld(conv_str),
    "disabled": fld(B),
}


def route_fields(family):
    return {
        "dst-address": fld(lambda n, v: conv_dst(n, v, family)),
        "gateway": fld(conv_str),
        "distance": fld(lambda n, v: conv_int(n, v, 1, 255)),
        "routing-table": fld(conv_str),
        "scope": fld(lambda n, v: conv_int(n, v, 0, 255)),
        "target-scope": fld(lambda n, v: conv_int(n, v, 0, 255)),
        "pref-src": fld(lambda n, v: conv_ip(n, v, family)),
        "suppress-hw-offload": fld(B),
        "comment": fld(conv_str),
        "disabled": fld(B),
    }


TABLE_FIELDS = {
    "name": fld(conv_name),
    # fib is a flag: "" (flag given without value) means set.
    "fib": fld(lambda n, v: "true" if v == "" else conv_bool(n, v)),
    "comment": fld(conv_str),
    "disabled": fld(B),
}
DNS_FIELDS = {
    "servers": fld(conv_iplist),
    "allow-remote-requests": fld(B),
    "cache-size": fld(lambda n, v: conv_int(n, str(v).removesuffix("KiB") if isinstance(v, str) else v,
                                            64, 4294967295)),
    "cache-max-ttl": fld(lambda n, v: conv_dur(n, v, 0, 4294967295)),
    "max-udp-packet-size": fld(lambda n, v: conv_int(n, v, 50, 65507)),
    "query-server-timeout": fld(lambda n, v: conv_dur(n, v, 0, 4294967295)),
    "query-total-timeout": fld(lambda n, v: conv_dur(n, v, 0, 4294967295)),
    "max-concurrent-queries": fld(lambda n, v: conv_int(n, v, 0, 4294967295)),
    "max-concurrent-tcp-sessions": fld(lambda n, v: conv_int(n, v, 0, 4294967295)),
    "use-doh-server": fld(conv_str),
    "verify-doh-cert": fld(B),
}
PING_ARGS = {"address", "count", "interval", "size", "src-address", "interface", "routing-table",
             "ttl", "do-not-fragment", "arp-ping", "dscp", "vrf", ".proplist"}


def apply_fields(fields, target, body, skip=(".id",)):
    """Validate every body property against `fields` into `target` (dict of strings)."""
    for k, v in body.items():
        if k in skip:
            continue
        conv = fields.get(k)
        if conv is None:
            raise unknown_param(k)
        target[k] = conv(k, v)


def parse_id(s):
    if len(s) >= 2 and s[0] == "*" and re.fullmatch(r"[0-9A-Fa-f]{1,8}", s[1:]):
        return int(s[1:], 16)
    return None


def fmt_id(n):
    return "*%X" % n


# --------------------------------------------------------------------------------------------
# The router state. All access under Sim.lock.
# --------------------------------------------------------------------------------------------


class Sim:
    def __init__(self, ros, users, sensitive_mode="mask", command_timeout=60.0, latency_ms=0,
                 serialize_user=False, reject_encoded_star=False):
        self.lock = threading.RLock()
        self.ros_str = ros
        parts = [int(p) for p in re.findall(r"\d+", ros)[:2]]
        self.ver = tuple(parts + [0] * (2 - len(parts)))
        self.users = users
        self.sensitive_mode = sensitive_mode
        self.command_timeout = float(command_timeout)
        self.latency_ms = int(latency_ms)
        self.serialize_user = serialize_user
        self.reject_encoded_star = reject_encoded_star
        self.user_locks = {}
        self.started = time.time()
        # control-plane state (own lock: must work while a /rest request holds self.lock)
        self.clock = threading.Lock()
        self.down = False
        self.faults = []
        self.log = []
        self.reset_stats()
        self.ping_targets = {}
        self.ping_default = {"reachable": True, "rtt-us": [453]}
        self.ping_timeout_ms = 1000
        self.reset_state()

    # ---- stats / log / faults ----
    def reset_stats(self):
        with self.clock:
            # requests still running when the counters are reset keep counting as in flight
            cur = getattr(self, "stats", {}).get("in_flight", 0)
            self.stats = {"requests": 0, "in_flight": cur, "max_in_flight": cur, "by_method": {},
                          "by_status": {}, "refused_down": 0}
            # writers by client address (several wgportal nodes: only the leader may write)
            busy = getattr(self, "writers_busy", {})
            self.writers_busy = {h: n for h, n in busy.items() if n > 0}
            self.writers = {"max_concurrent": len(self.writers_busy), "by_host": {},
                            "handoffs": [], "last": None, "last_end": 0.0}

    # A request that changes the router: PUT/PATCH/DELETE, or a POST command that does
    # (RouterOS REST runs console commands as POST <menu>/<command>; print and ping only read).
    WRITE_COMMANDS = ("add", "set", "remove", "enable", "disable", "unset", "move")

    @classmethod
    def is_write(cls, method, path):
        if method in ("PUT", "PATCH", "DELETE"):
            return True
        return method == "POST" and path.rstrip("/").rsplit("/", 1)[-1] in cls.WRITE_COMMANDS

    def writer_enter(self, host):
        now = time.time()
        with self.clock:
            w = self.writers
            self.writers_busy[host] = self.writers_busy.get(host, 0) + 1
            w["max_concurrent"] = max(w["max_concurrent"],
                                      sum(1 for n in self.writers_busy.values() if n > 0))
            h = w["by_host"].setdefault(host, {"writes": 0, "first": now, "last": now})
            h["writes"] += 1
            h["last"] = now
            if w["last"] is not None and w["last"] != host:
                w["handoffs"].append({"from": w["last"], "to": host, "at": now,
                                      "gap_ms": round((now - w["last_end"]) * 1000, 1)})
            w["last"] = host

    def writer_leave(self, host):
        with self.clock:
            self.writers_busy[host] = self.writers_busy.get(host, 1) - 1
            self.writers["last_end"] = time.time()

    def enter(self, method):
        with self.clock:
            s = self.stats
            s["requests"] += 1
            s["in_flight"] += 1
            s["max_in_flight"] = max(s["max_in_flight"], s["in_flight"])
            s["by_method"][method] = s["by_method"].get(method, 0) + 1

    def leave(self, status):
        with self.clock:
            self.stats["in_flight"] -= 1
            k = str(status)
            self.stats["by_status"][k] = self.stats["by_status"].get(k, 0) + 1

    def add_log(self, entry):
        with self.clock:
            self.log.append(entry)
            if len(self.log) > 20000:         # bounded: long benchmark runs must not grow forever
                del self.log[:5000]

    def take_fault(self, method, path):
        with self.clock:
            for f in self.faults:
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("match") and f["match"] not in path:
                    continue
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                return dict(f)
        return None

    def user_lock(self, name):
        with self.clock:
            return self.user_locks.setdefault(name, threading.Lock())

    # ---- state ----
    def reset_state(self):
        with self.lock:
            self.next_id = 1
            self.ifaces = {}      # id -> row
            self.peers = {}
            self.addr4 = {}
            self.addr6 = {}
            self.routes = {4: {}, 6: {}}
            self.conn_route_ids = {}   # (family, address id) -> route id (connected routes)
            self.tables = {}
            self.dns = {"servers": "", "allow-remote-requests": "false", "cache-size": "2048",
                        "cache-max-ttl": "1w", "max-udp-packet-size": "4096",
                        "query-server-timeout": "2s", "query-total-timeout": "10s",
                        "max-concurrent-queries": "100", "max-concurrent-tcp-sessions": "20",
                        "use-doh-server": "", "verify-doh-cert": "false"}
            self.identity = "MikroTik"
            main = self.new_id()
            self.tables[main] = {"name": "main", "fib": "true", "disabled": "false", "dynamic": True}
            e1 = self.new_id()
            self.ifaces[e1] = self.new_iface_row("ether1", "ether", mtu="1500")
            self.ifaces[e1]["mac-address"] = "0C:00:5E:00:53:01"
            lo = self.new_id()
            self.ifaces[lo] = self.new_iface_row("lo", "loopback", mtu="65536")
            a = self.new_id()
            self.addr4[a] = {"address": "192.168.88.1/24", "network": "192.168.88.0", "iface": e1,
                             "disabled": "false"}
            self.conn_route_ids[(4, a)] = self.new_id()
            # Objects created by clients start at *1A, like the spec's examples, so hex ids with
            # letters show up at once.
            self.next_id = max(self.next_id, 0x1A)

    def new_id(self):
        n = self.next_id
        self.next_id += 1
        return n

    def new_iface_row(self, name, typ, mtu):
        return {"name": name, "type": typ, "mtu": mtu, "disabled": "false",
                "created": time.time(), "link-downs": 0,
                "rx-byte": 0, "tx-byte": 0, "rx-packet": 0, "tx-packet": 0}

    def has_policy(self, user, pol):
        u = self.users.get(user)
        return bool(u) and pol in u["policies"]

    # ---- lookups ----
    def iface_by_name(self, name, wg_only=False):
        for i, r in self.ifaces.items():
            if r["name"] == name and (not wg_only or r["type"] == "wg"):
                return i
        return None

    def table_by_name(self, name):
        for i, r in self.tables.items():
            if r["name"] == name:
                return i
        return None

    def iface_name(self, iid):
        r = self.ifaces.get(iid)
        return r["name"] if r else fmt_id(iid)  # a removed interface shows as its id

    def iface_running(self, iid):
        r = self.ifaces.get(iid)
        return bool(r) and r["disabled"] == "false"


# --------------------------------------------------------------------------------------------
# Menus. Each exposes: rows() -> [(id, rendered)], get(id), name lookup, add/set/remove.
# --------------------------------------------------------------------------------------------


class Menu:
    name_key = None          # property usable as /<name> in the URL
    sensitive = ()
    singleton = False
    commands = ("print", "add", "set", "remove", "enable", "disable")
    can_add = True
    can_remove = True

    def __init__(self, sim):
        self.sim = sim

    def store(self):
        raise NotImplementedError

    def ids(self):
        return sorted(self.store().keys())

    def render(self, i):
        raise NotImplementedError

    def is_dynamic(self, i):
        return False

    def find(self, ref):
        """Record by "*ID" or (for named menus) name; None if absent."""
        n = parse_id(ref)
        if n is not None:
            return n if n in self.store() else None
        if self.name_key:
            for i in self.ids():
                if self.render(i).get(self.name_key) == ref:
                    return i
        return None


class WgMenu(Menu):
    name_key = "name"
    sensitive = ("private-key",)

    def store(self):
        return {i: r for i, r in self.sim.ifaces.items() if r["type"] == "wg"}

    def render(self, i):
        r = self.sim.ifaces[i]
        d = {".id": fmt_id(i), "name": r["name"], "disabled": r["disabled"],
             "listen-port": r["listen-port"], "mtu": r["mtu"], "private-key": r["private-key"],
             "public-key": r["public-key"], "running": "true" if r["disabled"] == "false" else "false"}
        if r.get("comment"):
            d["comment"] = r["comment"]
        if self.sim.ver >= V721:
            d["vrf"] = r.get("vrf", "main")
        return d

    def fields(self):
        return active_fields(WG_FIELDS, self.sim.ver)

    def _check(self, row, self_id):
        other = self.sim.iface_by_name(row["name"])
        if other is not None and other != self_id:
            raise bad("failure: already have interface with such name")
        if row.get("vrf", "main") != "main":
            raise bad("input does not match any value of vrf")

    def add(self, body):
        s = self.sim
        row = s.new_iface_row("", "wg", mtu="1420")
        row.update({"listen-port": "13231"})
        apply_fields(self.fields(), row, body)
        if not row["name"]:
            n = 1
            while s.iface_by_name("wireguard%d" % n) is not None:   # bounded by #interfaces
                n += 1
            row["name"] = "wireguard%d" % n
        if "private-key" not in row:
            row["private-key"] = wg_genkey()
        row["public-key"] = wg_pubkey(row["private-key"])
        self._check(row, None)
        i = s.new_id()
        s.ifaces[i] = row
        return i

    def set(self, i, body):
        row = dict(self.sim.ifaces[i])
        apply_fields(self.fields(), row, body)
        row["public-key"] = wg_pubkey(row["private-key"])
        self._check(row, i)
        self.sim.ifaces[i] = row

    def remove(self, i):
        s = self.sim
        del s.ifaces[i]
        # Peers go with their interface [unverified]; addresses stay, invalid, showing the old
        # id as their interface (what RouterOS does for addresses of removed interfaces).
        for p in [p for p, r in s.peers.items() if r["iface"] == i]:
            del s.peers[p]


class IfaceMenu(Menu):
    name_key = "name"
    commands = ("print", "set", "enable", "disable", "reset-counters")
    can_add = False
    can_remove = False

    def store(self):
        return self.sim.ifaces

    def render(self, i):
        r = self.sim.ifaces[i]
        running = r["disabled"] == "false"
        d = {".id": fmt_id(i), "name": r["name"], "type": r["type"], "mtu": r["mtu"],
             "actual-mtu": r["mtu"], "disabled": r["disabled"],
             "running": "true" if running else "false", "link-downs": str(r["link-downs"])}
        for k in ("rx-byte", "tx-byte", "rx-packet", "tx-packet"):
            d[k] = str(r[k])
            d["fp-" + k] = "0"
        for k in ("rx-drop", "tx-drop", "tx-queue-drop", "rx-error", "tx-error"):
            d[k] = "0"
        if running:
            d["last-link-up-time"] = fmt_time(r["created"])
        if r.get("comment"):
            d["comment"] = r["comment"]
        if "mac-address" in r:
            d["mac-address"] = r["mac-address"]
            d["l2mtu"] = "1514"
        return d

    def set(self, i, body):
        row = dict(self.sim.ifaces[i])
        apply_fields(active_fields(IFACE_FIELDS, self.sim.ver), row, body)
        other = self.sim.iface_by_name(row["name"])
        if other is not None and other != i:
            raise bad("failure: already have interface with such name")
        self.sim.ifaces[i] = row


class PeerMenu(Menu):
    sensitive = ("private-key", "preshared-key")

    @property
    def name_key(self):
        return "name" if self.sim.ver >= V715 else None

    def store(self):
        return self.sim.peers

    def is_dynamic(self, i):
        return self.sim.peers[i].get("dynamic", False)

    def render(self, i):
        s = self.sim
        r = s.peers[i]
        d = {".id": fmt_id(i), "interface": s.iface_name(r["iface"]),
             "dynamic": "true" if r.get("dynamic") else "false"}
        for k in ("public-key", "allowed-address", "endpoint-address", "endpoint-port",
                  "preshared-key", "persistent-keepalive", "disabled"):
            d[k] = r[k]
        if r.get("comment"):
            d["comment"] = r["comment"]
        d["rx"] = str(r.get("rx", 0))
        d["tx"] = str(r.get("tx", 0))
        d["current-endpoint-address"] = r.get("current-endpoint-address", "")
        d["current-endpoint-port"] = str(r.get("current-endpoint-port", 0))
        hs = r.get("hs")
        if hs is not None:     # absent until the first (simulated) handshake
            secs, since = hs
            if since is not None:
                secs += int(time.time() - since)
            d["last-handshake"] = render_duration(secs * 1_000000)
        if s.ver >= V715:
            for k in ("name", "private-key", "client-address", "client-dns", "client-endpoint",
                      "client-keepalive"):
                d[k] = r[k]
            if r.get("client-listen-port"):
                d["client-listen-port"] = r["client-listen-port"]
        if V715 <= s.ver < V717:
            d["is-responder"] = r["responder"]
        if s.ver >= V717:
            d["responder"] = r["responder"]
        if s.ver >= V721:
            d["client-allowed-address"] = r["client-allowed-address"]
        return d

    def fields(self):
        return active_fields(PEER_FIELDS, self.sim.ver)

    def _finish(self, row, body, self_id):
        s = self.sim
        if "interface" in body:
            iid = s.iface_by_name(row.pop("interface"), wg_only=True)
            if iid is None:
                raise bad("input does not match any value of interface")
            row["iface"] = iid
        if "is-responder" in row:
            row["responder"] = row.pop("is-responder")
        # Duplicate public keys on one interface are refused [unverified]: WireGuard keys peers
        # by public key, so a second row can never work.
        for p, o in s.peers.items():
            if p != self_id and o["iface"] == row["iface"] and o["public-key"] == row["public-key"]:
                raise bad("failure: peer with such public key already exists")

    def add(self, body, dynamic=False):
        s = self.sim
        row = {"endpoint-address": "", "endpoint-port": "0", "preshared-key": "",
               "persistent-keepalive": "0s", "disabled": "false", "private-key": "",
               "client-address": "", "client-dns": "", "client-endpoint": "",
               "client-keepalive": "0s", "responder": "false", "client-allowed-address": "::/0",
               "name": ""}
        apply_fields(self.fields(), row, body)
        for req in ("interface", "public-key", "allowed-address"):
            if req not in body:
                raise bad("missing =%s=" % req)
        self._finish(row, body, None)
        if not row["name"]:
            used = {r["name"] for r in s.peers.values()}
            n = 1
            while "peer%d" % n in used:         # bounded by #peers
                n += 1
            row["name"] = "peer%d" % n
        row["dynamic"] = dynamic
        i = s.new_id()
        s.peers[i] = row
        return i

    def set(self, i, body):
        row = dict(self.sim.peers[i])
        apply_fields(self.fields(), row, body)
        self._finish(row, body, i)
        self.sim.peers[i] = row

    def remove(self, i):
        del self.sim.peers[i]


class AddrMenu(Menu):
    def __init__(self, sim, family):
        super().__init__(sim)
        self.family = family

    def store(self):
        return self.sim.addr4 if self.family == 4 else self.sim.addr6

    def is_dynamic(self, i):
        return self.store()[i].get("dynamic", False)

    def render(self, i):
        s = self.sim
        r = self.store()[i]
        valid = r["iface"] in s.ifaces
        d = {".id": fmt_id(i), "address": r["address"], "interface": s.iface_name(r["iface"]),
             "actual-interface": s.iface_name(r["iface"]) if valid else "",
             "disabled": r["disabled"], "dynamic": "true" if r.get("dynamic") else "false",
             "invalid": "false" if valid else "true"}
        if self.family == 4:
            d["network"] = r["network"]
            d["slave"] = "false"
            d["vrf"] = "main"
        else:
            for k in ("advertise", "eui-64", "no-dad"):
                d[k] = r[k]
            d["deprecated"] = "false"
            d["link-local"] = "false"
            if r.get("from-pool"):
                d["from-pool"] = r["from-pool"]
        if r.get("comment"):
            d["comment"] = r["comment"]
        return d

    def fields(self):
        return active_fields(ADDR4_FIELDS if self.family == 4 else ADDR6_FIELDS, self.sim.ver)

    def _finish(self, row, body, self_id):
        s = self.sim
        if "interface" in body:
            iid = s.iface_by_name(row.pop("interface"))
            if iid is None:
                raise bad("input does not match any value of interface")
            row["iface"] = iid
        if "address" in body and "network" not in body and self.family == 4:
            row["network"] = str(ipaddress.ip_interface(row["address"]).network.network_address)
        ip = ipaddress.ip_interface(row["address"]).ip
        for o_id, o in self.store().items():
            if o_id != self_id and o["iface"] == row["iface"] and \
                    ipaddress.ip_interface(o["address"]).ip == ip:
                raise bad("failure: already have such address")

    def add(self, body):
        row = {"disabled": "false"}
        if self.family == 6:
            row.update({"advertise": "true", "eui-64": "false", "no-dad": "false", "from-pool": ""})
        apply_fields(self.fields(), row, body)
        for req in ("address", "interface"):
            if req not in body:
                raise bad("missing =%s=" % req)
        self._finish(row, body, None)
        i = self.sim.new_id()
        self.store()[i] = row
        return i

    def set(self, i, body):
        row = dict(self.store()[i])
        apply_fields(self.fields(), row, body)
        self._finish(row, body, i)
        self.store()[i] = row

    def remove(self, i):
        del self.store()[i]


class RouteMenu(Menu):
    def __init__(self, sim, family):
        super().__init__(sim)
        self.family = family

    def store(self):
        # static routes plus the dynamic connected routes of enabled, valid addresses
        s = self.sim
        out = dict(s.routes[self.family])
        addrs = s.addr4 if self.family == 4 else s.addr6
        for a_id, a in addrs.items():
            if a["disabled"] != "false" or not s.iface_running(a["iface"]):
                continue
            key = (self.family, a_id)
            if key not in s.conn_route_ids:
                s.conn_route_ids[key] = s.new_id()   # stable while the address exists
            ipi = ipaddress.ip_interface(a["address"])
            out[s.conn_route_ids[key]] = {
                "dst-address": str(ipi.network), "gateway": s.iface_name(a["iface"]),
                "distance": "0", "routing-table": "main", "scope": "10", "target-scope": "5",
                "disabled": "false", "dynamic": True, "connect": True,
                "local-address": "%s%%%s" % (ipi.ip, s.iface_name(a["iface"])),
                "suppress-hw-offload": "false", "pref-src": ""}
        return out

    def is_dynamic(self, i):
        return self.store()[i].get("dynamic", False)

    def _resolve(self, r):
        """(active, immediate-gw) for a route row."""
        s = self.sim
        if r["disabled"] != "false":
            return False, ""
        gw = r["gateway"]
        gw_ip, _, gw_if = gw.partition("%")
        try:
            ip = ipaddress.ip_address(gw_ip)
        except ValueError:
            iid = s.iface_by_name(gw)
            return (iid is not None and s.iface_running(iid)), (gw if iid is not None else "")
        addrs = s.addr4 if ip.version == 4 else s.addr6
        for a in addrs.values():
            if a["disabled"] == "false" and s.iface_running(a["iface"]) and \
                    ip in ipaddress.ip_interface(a["address"]).network and \
                    (not gw_if or s.iface_name(a["iface"]) == gw_if):
                return True, "%s%%%s" % (ip, s.iface_name(a["iface"]))
        return False, ""

    def render(self, i):
        r = self.store()[i]
        active, imm = self._resolve(r)
        d = {".id": fmt_id(i), "dst-address": r["dst-address"], "gateway": r["gateway"],
             "distance": r["distance"], "routing-table": r["routing-table"], "scope": r["scope"],
             "target-scope": r["target-scope"], "disabled": r["disabled"],
             "dynamic": "true" if r.get("dynamic") else "false",
             "active": "true" if active else "false", "inactive": "false" if active else "true",
             "ecmp": "false", "hw-offloaded": "false",
             "suppress-hw-offload": r["suppress-hw-offload"]}
        if imm:
            d["immediate-gw"] = imm
        if r.get("connect"):
            d["connect"] = "true"
            d["local-address"] = r["local-address"]
        else:
            d["static"] = "true"
        if r.get("pref-src"):
            d["pref-src"] = r["pref-src"]
        if r.get("comment"):
            d["comment"] = r["comment"]
        return d

    def fields(self):
        return active_fields(route_fields(self.family), self.sim.ver)

    def _finish(self, row):
        s = self.sim
        if s.table_by_name(row["routing-table"]) is None:
            raise bad("input does not match any value of routing-table")
        gw = row["gateway"]
        if gw:
            gw_ip, _, gw_if = gw.partition("%")
            try:
                ipaddress.ip_address(gw_ip)
                if gw_if and s.iface_by_name(gw_if) is None:
                    raise invalid("gateway")
            except ValueError:
                if s.iface_by_name(gw) is None:
                    raise invalid("gateway")

    def add(self, body):
        row = {"dst-address": "0.0.0.0/0" if self.family == 4 else "::/0", "gateway": "",
               "distance": "1", "routing-table": "main", "scope": "30", "target-scope": "10",
               "pref-src": "", "suppress-hw-offload": "false", "disabled": "false"}
        apply_fields(self.fields(), row, body)
        self._finish(row)
        i = self.sim.new_id()
        self.sim.routes[self.family][i] = row
        return i

    def set(self, i, body):
        row = dict(self.sim.routes[self.family][i])
        apply_fields(self.fields(), row, body)
        self._finish(row)
        self.sim.routes[self.family][i] = row

    def remove(self, i):
        del self.sim.routes[self.family][i]


class TableMenu(Menu):
    name_key = "name"

    def store(self):
        return self.sim.tables

    def is_dynamic(self, i):
        return self.sim.tables[i].get("dynamic", False)

    def render(self, i):
        r = self.sim.tables[i]
        d = {".id": fmt_id(i), "name": r["name"], "fib": r["fib"], "disabled": r["disabled"],
             "dynamic": "true" if r.get("dynamic") else "false", "invalid": "false"}
        if r.get("comment"):
            d["comment"] = r["comment"]
        return d

    def fields(self):
        return active_fields(TABLE_FIELDS, self.sim.ver)

    def _check(self, row, self_id):
        other = self.sim.table_by_name(row["name"])
        if other is not None and other != self_id:
            raise bad("failure: already have table with such name")   # [unverified] text

    def add(self, body):
        row = {"fib": "false", "disabled": "false"}
        apply_fields(self.fields(), row, body)
        if "name" not in body:
            raise bad("missing =name=")
        self._check(row, None)
        i = self.sim.new_id()
        self.sim.tables[i] = row
        return i

    def set(self, i, body):
        row = dict(self.sim.tables[i])
        apply_fields(self.fields(), row, body)
        self._check(row, i)
        self.sim.tables[i] = row

    def remove(self, i):
        del self.sim.tables[i]


class DnsMenu(Menu):
    singleton = True
    commands = ("print", "set")

    def render_one(self):
        d = dict(self.sim.dns)
        d["cache-size"] = d["cache-size"] + "KiB"
        d["cache-used"] = "24KiB"
        d["dynamic-servers"] = ""
        return d

    def set_one(self, body):
        row = dict(self.sim.dns)
        apply_fields(active_fields(DNS_FIELDS, self.sim.ver), row, body)
        self.sim.dns = row


class IdentityMenu(Menu):
    singleton = True
    commands = ("print", "set")

    def render_one(self):
        return {"name": self.sim.identity}

    def set_one(self, body):
        row = {"name": self.sim.identity}
        apply_fields({"name": conv_name}, row, body)
        self.sim.identity = row["name"]


class ResourceMenu(Menu):
    singleton = True
    commands = ("print",)

    def render_one(self):
        s = self.sim
        return {"uptime": render_duration(int(time.time() - s.started) * 1_000000),
                "version": "%s (stable)" % s.ros_str, "build-time": "2025-01-01 00:00:00",
                "factory-software": "7.1", "free-memory": "900000000",
                "total-memory": "1073741824", "cpu": "QEMU", "cpu-count": "1",
                "cpu-frequency": "2000", "cpu-load": "1", "free-hdd-space": "80000000",
                "total-hdd-space": "100000000", "architecture-name": "x86_64",
                "board-name": "CHR", "platform": "MikroTik"}


# RouterOS renders a group's policy as every policy it knows, the denied ones with "!".
POLICY_ORDER = ("local", "telnet", "ssh", "ftp", "reboot", "read", "write", "policy", "test",
                "winbox", "password", "web", "sniff", "sensitive", "api", "romon", "rest-api")
MODELLED_POLICIES = ("api", "rest-api", "read", "write", "test", "sensitive")


def user_group(sim, name):
    """Users with every modelled policy are in "full"; any other user has a group of its own."""
    pols = set(sim.users[name]["policies"])
    return "full" if pols >= set(MODELLED_POLICIES) else "g-" + name


class UserMenu(Menu):
    """/user (read-only here; passwords are never shown, as on RouterOS)."""
    name_key = "name"
    commands = ("print",)
    can_add = False
    can_remove = False

    def store(self):
        return {n + 1: u for n, u in enumerate(sorted(self.sim.users))}

    def render(self, i):
        name = self.store()[i]
        return {".id": fmt_id(i), "name": name, "group": user_group(self.sim, name),
                "address": "", "disabled": "false", "expired": "false",
                "inactivity-policy": "none", "inactivity-timeout": "10m"}


class GroupMenu(Menu):
    """/user/group: one row per group that a user is in (read-only here)."""
    name_key = "name"
    commands = ("print",)
    can_add = False
    can_remove = False

    def store(self):
        groups = {}
        for name in sorted(self.sim.users):
            groups.setdefault(user_group(self.sim, name), set(self.sim.users[name]["policies"]))
        return {n + 1: (g, groups[g]) for n, g in enumerate(sorted(groups))}

    def render(self, i):
        g, pols = self.store()[i]
        if g == "full":
            pols = set(POLICY_ORDER)
        else:
            pols = pols | (set(POLICY_ORDER) - set(MODELLED_POLICIES))
        policy = ",".join([p for p in POLICY_ORDER if p in pols] +
                          ["!" + p for p in POLICY_ORDER if p not in pols])
        return {".id": fmt_id(i), "name": g, "policy": policy, "skin": "default"}


class CommandMenu:
    """A command path such as /tool/ping: only POST runs it."""

    def __init__(self, name):
        self.name = name


DIRS = {"ip", "ipv6", "tool", "routing", "system", "interface"}


def build_menus(sim):
    return {
        "interface": IfaceMenu(sim),
        "interface/wireguard": WgMenu(sim),
        "interface/wireguard/peers": PeerMenu(sim),
        "ip/address": AddrMenu(sim, 4),
        "ipv6/address": AddrMenu(sim, 6),
        "ip/route": RouteMenu(sim, 4),
        "ipv6/route": RouteMenu(sim, 6),
        "routing/table": TableMenu(sim),
        "ip/dns": DnsMenu(sim),
        "system/identity": IdentityMenu(sim),
        "system/resource": ResourceMenu(sim),
        "user": UserMenu(sim),
        "user/group": GroupMenu(sim),
        "tool/ping": CommandMenu("ping"),
        "ping": CommandMenu("ping"),
    }


# --------------------------------------------------------------------------------------------
# JSON request parsing (RouterOS accepts octal/hex JSON numbers and refuses exponents)
# --------------------------------------------------------------------------------------------


def _no_float(s):
    if "e" in s or "E" in s:
        raise ValueError("exponent")
    return float(s)


def _reject_const(s):
    raise ValueError(s)


def _rewrite_numbers(text):
    """Turn bare 0x1F / 017 tokens outside strings into decimal so json can read them."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
            i += 1
            continue
        if c == '"':
            in_str = True
            out.append(c)
            i += 1
            continue
        m = re.compile(r"-?(0[xX][0-9a-fA-F]+|0[0-7]+)(?![0-9A-Za-z.])").match(text, i)
        if m and (i == 0 or text[i - 1] in " \t\r\n:,["):
            tok = m.group(0)
            neg = tok.startswith("-")
            body = tok.lstrip("-")
            val = int(body, 16) if body[1:2] in ("x", "X") else int(body, 8)
            out.append(str(-val if neg else val))
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_json_body(raw: bytes):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("Failed to parse json")
    for attempt in (text, None):
        src = attempt if attempt is not None else _rewrite_numbers(text)
        try:
            return json.loads(src, parse_float=_no_float, parse_constant=_reject_const)
        except ValueError:
            continue
    raise bad("Failed to parse json")


# --------------------------------------------------------------------------------------------
# .query stack evaluation for POST print (API query words)
# --------------------------------------------------------------------------------------------


def _bool_norm(v):
    return {"yes": "true", "no": "false"}.get(v, v)


def _num(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def eval_query(words, rec):
    stack = []
    for w in words:
        if not isinstance(w, str):
            raise invalid(".query")
        if w.startswith("#"):
            for op in w[1:]:
                if op == "!":
                    stack.append(not stack.pop()) if stack else stack.append(False)
                elif op in "|&":
                    if len(stack) < 2:
                        raise invalid(".query")
                    b, a = stack.pop(), stack.pop()
                    stack.append((a or b) if op == "|" else (a and b))
                elif op == ".":
                    stack.append(stack[-1] if stack else True)
                else:
                    raise invalid(".query")
            continue
        if w.startswith("-"):
            stack.append(w[1:] not in rec)
        elif w[:1] in "<>" and "=" in w:
            k, _, v = w[1:].partition("=")
            a, b = _num(rec.get(k)), _num(v)
            if a is None or b is None:
                a, b = rec.get(k), v
                if a is None:
                    stack.append(False)
                    continue
            stack.append(a < b if w[0] == "<" else a > b)
        elif "=" in w:
            k, _, v = w.partition("=")
            stack.append(k in rec and _bool_norm(rec[k]) == _bool_norm(v))
        else:
            stack.append(w in rec)
    return all(stack)


def apply_proplist(rec, plist, keep_id):
    if plist is None:
        return rec
    wanted = set(plist)
    return {k: v for k, v in rec.items() if k in wanted or (keep_id and k == ".id")}


def split_plist(v):
    if isinstance(v, list):
        return [str(x) for x in v]
    return [p for p in str(v).split(",") if p]


# --------------------------------------------------------------------------------------------
# Request context (deadline for the 60 s command limit)
# --------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self, sim, user):
        self.sim = sim
        self.user = user
        self.deadline = time.monotonic() + sim.command_timeout

    def sleep(self, seconds):
        """Sleep, or end the command like RouterOS does when it reaches the 60 s limit."""
        left = self.deadline - time.monotonic()
        if seconds >= left:
            time.sleep(max(0.0, left))
            raise bad("Session closed")
        if seconds > 0:
            time.sleep(seconds)

    def can(self, pol):
        return self.sim.has_policy(self.user, pol)


# --------------------------------------------------------------------------------------------
# The REST engine: returns (status, body object or None, headers)
# --------------------------------------------------------------------------------------------


class Engine:
    def __init__(self, sim):
        self.sim = sim
        self.menus = build_menus(sim)

    def hide(self, menu, rec, ctx):
        if ctx.can("sensitive"):
            return rec
        for k in menu.sensitive:
            if k in rec:
                if self.sim.sensitive_mode == "omit":
                    del rec[k]
                elif rec[k]:
                    rec[k] = "*****"
        return rec

    def resolve(self, segs):
        """(menu key, remaining segments) or raise 400 no such command or directory."""
        for n in range(len(segs), 0, -1):
            key = "/".join(segs[:n])
            if key in self.menus:
                return key, segs[n:]
        for n in range(1, len(segs) + 1):
            key = "/".join(segs[:n])
            if key not in DIRS:
                raise bad("no such command or directory (%s)" % segs[n - 1])
        # a bare directory such as /rest/ip
        raise bad("no such command")

    def run(self, method, segs, query_pairs, body, ctx, host):
        key, rest = self.resolve(segs)
        menu = self.menus[key]
        if len(rest) > 1:
            raise bad("no such command or directory (%s)" % rest[1])
        item = rest[0] if rest else None

        if isinstance(menu, CommandMenu):
            if method == "POST" and item is None:
                return self.ping(body, ctx)
            if method == "GET":
                raise bad("no such command")
            if item is not None:
                raise bad("no such command or directory (%s)" % item)
            raise SimError(406, "no such command or directory (%s)" % {
                "PUT": "add", "PATCH": "set", "DELETE": "remove"}.get(method, method.lower()))

        if method == "GET":
            self.need(ctx, "read")
            plist, filters = None, []
            for k, v in query_pairs:
                if k == ".proplist":
                    plist = split_plist(v)
                else:
                    filters.append((k, v))
            with self.sim.lock:
                if menu.singleton:
                    if item is not None:
                        if item in menu.commands:
                            raise bad("no such command")
                        raise bad("no such command or directory (%s)" % item)
                    return 200, apply_proplist(self.hide(menu, menu.render_one(), ctx),
                                               plist, False), {}
                if item is None:
                    out = []
                    for i in menu.ids():
                        rec = self.hide(menu, menu.render(i), ctx)
                        if all(k in rec and _bool_norm(rec[k]) == _bool_norm(v)
                               for k, v in filters):
                            out.append(apply_proplist(rec, plist, True))
                    return 200, out, {}
                if item in menu.commands:
                    raise bad("no such command")
                i = self.lookup(menu, item)
                return 200, apply_proplist(self.hide(menu, menu.render(i), ctx), plist, False), {}

        if method == "PUT":
            if menu.singleton or not menu.can_add or item is not None:
                raise SimError(406, "no such command or directory (add)")
            self.need(ctx, "write")
            with self.sim.lock:
                i = menu.add(self.obj(body))
                rec = self.hide(menu, menu.render(i), ctx)
            return 201, rec, {"Location": "%s/rest/%s/%s" % (host, key, fmt_id(i))}

        if method == "PATCH":
            if item is None:
                raise bad(NO_RID)       # PATCH works on records only; singletons use POST set
            if not ctx.can("write"):
                raise bad(NO_RID)
            with self.sim.lock:
                i = self.lookup(menu, item, not_found_404=True) if not menu.singleton else None
                if i is None:
                    raise bad(NO_RID)
                if menu.is_dynamic(i) or not hasattr(menu, "set"):
                    raise bad(NO_RID)
                menu.set(i, self.obj(body))
                return 200, self.hide(menu, menu.render(i), ctx), {}

        if method == "DELETE":
            if menu.singleton:
                raise SimError(406, "no such command or directory (remove)")
            if item is None:
                raise bad(NO_RID)
            if not ctx.can("write"):
                raise bad(NO_RID)
            with self.sim.lock:
                i = self.lookup(menu, item, not_found_404=True)
                if not menu.can_remove or menu.is_dynamic(i):
                    raise bad(NO_RID)
                menu.remove(i)
            return 204, None, {}

        if method == "POST":
            if item is None:
                raise bad("no such command")
            return self.command(menu, item, self.obj(body), ctx)

        raise SimError(406, "no such command or directory (%s)" % method.lower())

    def need(self, ctx, pol):
        if not ctx.can(pol):
            raise SimError(500, NOT_ENOUGH)

    @staticmethod
    def obj(body):
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise bad("Failed to parse json")
        return body

    def lookup(self, menu, item, not_found_404=True):
        i = menu.find(item)
        if i is None:
            if parse_id(item) is not None:
                raise SimError(404)
            raise bad("no such command or directory (%s)" % item)
        return i

    def lookup_many(self, menu, ids):
        out = []
        for ref in [r for r in str(ids).split(",") if r]:
            i = menu.find(ref)
            if i is None:
                raise bad("no such item")
            out.append(i)
        if not out:
            raise bad("missing =.id=")
        return out

    def command(self, menu, cmd, body, ctx):
        if cmd not in menu.commands:
            raise bad("no such command or directory (%s)" % cmd)
        s = self.sim
        if cmd == "print":
            self.need(ctx, "read")
            plist = split_plist(body[".proplist"]) if ".proplist" in body else None
            words = body.get(".query", [])
            if not isinstance(words, list):
                raise invalid(".query")
            for k in body:
                if k not in (".proplist", ".query", "count-only", "detail", "without-paging"):
                    raise unknown_param(k)
            with s.lock:
                if menu.singleton:
                    return 200, [apply_proplist(self.hide(menu, menu.render_one(), ctx),
                                                plist, False)], {}
                recs = [self.hide(menu, menu.render(i), ctx) for i in menu.ids()]
            recs = [r for r in recs if eval_query(words, r)]
            if "count-only" in body:
                return 200, {"ret": str(len(recs))}, {}
            return 200, [apply_proplist(r, plist, False) for r in recs], {}
        self.need(ctx, "write")
        with s.lock:
            if cmd == "set" and menu.singleton:
                menu.set_one(body)
                return 200, [], {}
            if cmd == "add":
                if not menu.can_add:
                    raise bad("no such command or directory (add)")
                return 200, {"ret": fmt_id(menu.add(body))}, {}
            ref = body.get(".id", body.get("numbers"))
            if ref is None:
                raise bad("missing =.id=" if cmd != "set" else "missing =numbers=")
            ids = self.lookup_many(menu, ref)
            rest = {k: v for k, v in body.items() if k not in (".id", "numbers")}
            for i in ids:
                if menu.is_dynamic(i):
                    raise bad("failure: can not change dynamic entry")   # [unverified] text
            if cmd == "set":
                for i in ids:
                    menu.set(i, rest)
            elif cmd == "remove":
                if rest:
                    raise unknown_param(next(iter(rest)))
                for i in ids:
                    menu.remove(i)
            elif cmd in ("enable", "disable"):
                for i in ids:
                    menu.set(i, {"disabled": "true" if cmd == "disable" else "false"})
            elif cmd == "reset-counters":
                for i in ids:
                    for k in ("rx-byte", "tx-byte", "rx-packet", "tx-packet"):
                        s.ifaces[i][k] = 0
            return 200, [], {}

    # ---- /tool/ping and /ping ----
    def ping(self, body, ctx):
        body = self.obj(body)
        self.need(ctx, "test")
        for k in body:
            if k not in PING_ARGS:
                raise unknown_param(k)
        if "address" not in body:
            raise bad("missing =address=")
        addr = conv_ip("address", body["address"], allow_empty=False)
        interval_us = 1_000000
        if "interval" in body:
            interval_us = parse_duration(body["interval"]) if not isinstance(body["interval"], int) \
                else body["interval"] * 1_000000
            if interval_us is None:
                raise invalid("interval")
            if interval_us < 10_000 or interval_us > 5_000000:
                raise bad("value of interval out of range (10ms..5s)")
        size = int(conv_int("size", body.get("size", 56), 14, 65535))
        plist = split_plist(body[".proplist"]) if ".proplist" in body else None
        count = int(conv_int("count", body["count"], 0, 4294967295)) if "count" in body else 0
        if count == 0:
            # RouterOS pings until stopped; REST ends every command at the 60 s limit.
            ctx.sleep(self.sim.command_timeout + 1)
        with self.sim.clock:
            tgt = dict(self.sim.ping_targets.get(addr, self.sim.ping_default))
            lost_wait = self.sim.ping_timeout_ms / 1000.0
        rtts = tgt.get("rtt-us") or [453]
        out, received, got = [], 0, []
        for seq in range(count):             # bounded: a long count hits the deadline below
            if seq:
                ctx.sleep(interval_us / 1e6)
            rec = {"seq": str(seq), "host": addr, "sent": str(seq + 1)}
            if tgt.get("reachable", True):
                rtt = int(rtts[seq % len(rtts)])
                ctx.sleep(rtt / 1e6)
                received += 1
                got.append(rtt)
                rec.update({"size": str(size), "ttl": "64", "time": render_duration(rtt)})
            else:
                ctx.sleep(min(lost_wait, interval_us / 1e6))
                rec["status"] = "timeout"
            rec["received"] = str(received)
            rec["packet-loss"] = str(100 * (seq + 1 - received) // (seq + 1))
            if got:
                rec["min-rtt"] = render_duration(min(got))
                rec["avg-rtt"] = render_duration(sum(got) // len(got))
                rec["max-rtt"] = render_duration(max(got))
            out.append(apply_proplist(dict(sorted(rec.items())), plist, False))
        return 200, out, {}


# --------------------------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------------------------


def sorted_obj(obj):
    """RouterOS emits keys alphabetically."""
    if isinstance(obj, dict):
        return {k: obj[k] for k in sorted(obj)}
    if isinstance(obj, list):
        return [sorted_obj(x) for x in obj]
    return obj


class DropConnection(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive
    timeout = 120                       # idle keep-alive connections end eventually
    # Headers and body go out in separate writes: with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a reply), a delay RouterOS does not have.
    disable_nagle_algorithm = True

    def version_string(self):
        return "RouterOS-sim"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("sim: %s %s\n" % (self.address_string(), fmt % args))

    # every verb goes through dispatch
    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_POST(self):
        self.dispatch("POST")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")

    # ---- low level ----
    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            for _ in range(100000):           # bounded chunk loop
                line = self.rfile.readline(1024)
                if not line:
                    raise DropConnection()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > 16 * 1024 * 1024:
                    raise DropConnection()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > 16 * 1024 * 1024:
            raise DropConnection()
        return self.rfile.read(n) if n else b""

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_raw(self, status, data: bytes, ctype="application/json", headers=None, length=None):
        self.send_response(status, REASON.get(status))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def send_json(self, status, obj, headers=None):
        if status == 204:
            self.send_raw(204, b"", headers=headers)
        else:
            self.send_raw(status, json.dumps(sorted_obj(obj), separators=(",", ":")).encode(),
                          headers=headers)

    # ---- dispatch ----
    def dispatch(self, method):
        try:
            raw_path, _, raw_query = self.path.partition("?")
            if raw_path == "/__sim" or raw_path.startswith("/__sim/"):
                return self.control(method, raw_path, raw_query)
            if raw_path != "/rest" and not raw_path.startswith("/rest/"):
                self.read_body()
                return self.send_raw(404, b"<html><body>Not Found</body></html>", "text/html")
            self.rest(method, raw_path, raw_query)
        except DropConnection:
            self.drop()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def rest(self, method, raw_path, raw_query):
        sim = self.server.sim
        sim.enter(method)
        status = "aborted"            # client went away before the reply was written
        writer = self.client_address[0] if sim.is_write(method, raw_path) else None
        entered = False
        try:
            if sim.down:
                with sim.clock:
                    sim.stats["refused_down"] += 1
                raise DropConnection()
            if writer:
                sim.writer_enter(writer)
                entered = True
            status = self.rest_inner(sim, method, raw_path, raw_query)
        except DropConnection:
            status = "dropped"
            raise
        finally:
            if entered:
                sim.writer_leave(writer)
            sim.leave(status)

    def rest_inner(self, sim, method, raw_path, raw_query):
        raw_body = self.read_body()
        segs_raw = [p for p in raw_path[len("/rest"):].split("/")]
        if segs_raw and segs_raw[0] == "":
            segs_raw = segs_raw[1:]
        if segs_raw and segs_raw[-1] == "":
            segs_raw = segs_raw[:-1]           # "/rest/interface/" is the menu itself
        encoded_star = any(p.upper().startswith("%2A") for p in segs_raw)
        segs = [urllib.parse.unquote(p) for p in segs_raw]
        dpath = "/rest" + ("/" + "/".join(segs) if segs else "")
        qpairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
        body_obj, body_err = None, None
        if raw_body:
            try:
                body_obj = parse_json_body(raw_body)
            except SimError as e:
                body_err = e
        entry = {"method": method, "path": dpath, "query": dict(qpairs),
                 "query_keys": [k for k, _ in qpairs], "raw_path": raw_path,
                 "raw_query": raw_query, "body": body_obj,
                 "content_type": self.headers.get("Content-Type"),
                 "user": None, "status": None, "t": time.time()}
        if body_err is not None:
            entry["body_raw"] = raw_body.decode("utf-8", "replace")[:4096]
        sim.add_log(entry)

        fault = sim.take_fault(method, dpath)
        if sim.latency_ms:
            time.sleep(sim.latency_ms / 1000.0)
        kind = fault["kind"] if fault else None
        apply_first = bool(fault and fault.get("apply"))
        if kind == "drop" and not apply_first:
            entry["status"] = "dropped"
            raise DropConnection()
        if kind == "status" and not apply_first:
            return self.send_fault_status(fault, entry)
        if kind == "garbage":
            entry["status"] = 200
            self.send_raw(200, b"<html><body>\x00\xff garbage, not JSON</body></html>")
            return 200
        if kind == "huge":
            return self.send_huge(fault, entry)
        if method == "OPTIONS":               # RouterOS answers CORS preflights with 503
            entry["status"] = 503
            self.send_raw(503, b"")
            return 503

        status, obj, headers = self.execute(sim, method, segs, qpairs, body_obj, body_err,
                                            raw_body, encoded_star, entry,
                                            fault if kind == "delay" else None)
        entry["status"] = status
        if kind == "drop":
            entry["status"] = "dropped-after-apply"
            raise DropConnection()
        if kind == "status":
            return self.send_fault_status(fault, entry)
        if kind == "truncate":
            data = b"" if obj is None else json.dumps(sorted_obj(obj), separators=(",", ":")).encode()
            half = data[: max(1, len(data) // 2)]
            if fault.get("mode") == "eof":    # announce the full length, then hang up
                self.send_raw(status if status != 204 else 200, half, length=len(data),
                              headers=headers)
                raise DropConnection()
            self.send_raw(status if status != 204 else 200, half, headers=headers)
            return status
        if status == 401:
            headers = dict(headers, **{"WWW-Authenticate": 'Basic realm="RouterOS"'})
        self.send_json(status, obj, headers)
        return status

    def send_fault_status(self, fault, entry):
        st = int(fault.get("status", 500))
        body = fault.get("body", err_body(st))
        entry["status"] = st
        if body is None:
            self.send_raw(st, b"")
        else:
            self.send_raw(st, json.dumps(body, separators=(",", ":")).encode())
        return st

    def send_huge(self, fault, entry):
        size = int(fault.get("size", 64 * 1024 * 1024))
        entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        # a valid-looking JSON array of strings streamed in 64 KiB pieces
        piece = b'"' + b"x" * (65536 - 3) + b'",'
        sent = 0
        self.wfile.write(b"[")
        sent += 1
        while sent < size - 1:                # bounded by size
            chunk = piece[: min(len(piece), size - 1 - sent)]
            self.wfile.write(chunk)
            sent += len(chunk)
        self.wfile.write(b"]")
        self.wfile.flush()
        self.close_connection = True
        return 200

    def auth(self, sim):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None
        try:
            user, _, pw = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        u = sim.users.get(user)
        if u is None or not hmac.compare_digest(u.get("password", "").encode(), pw.encode()):
            return None
        return user

    def execute(self, sim, method, segs, qpairs, body_obj, body_err, raw_body, encoded_star,
                entry, delay_fault):
        user = self.auth(sim)
        if user is None or not sim.has_policy(user, "rest-api"):
            return 401, err_body(401), {}
        entry["user"] = user
        if not sim.has_policy(user, "api"):
            return 500, err_body(500, NOT_ALLOWED), {}
        ulock = sim.user_lock(user) if sim.serialize_user else None
        ctx = Ctx(sim, user)
        if ulock is not None and not ulock.acquire(timeout=sim.command_timeout):
            # waited behind a request of the same user that hit the 60 s limit
            return 400, err_body(400, "Session closed"), {}
        try:
            if delay_fault is not None:
                ctx.sleep(float(delay_fault.get("delay_ms", 1000)) / 1000.0)
            if raw_body and method in ("PUT", "PATCH", "POST") and \
                    not (self.headers.get("Content-Type") or "").lower().startswith("application/json"):
                return 415, err_body(415), {}
            if body_err is not None:
                raise body_err
            if encoded_star and sim.reject_encoded_star:
                raise bad("no such command prefix")
            if not segs:
                raise bad("no such command")
            host = "%s://%s" % ("https" if self.server.tls else "http",
                                self.headers.get("Host", "127.0.0.1"))
            return self.server.engine.run(method, segs, qpairs, body_obj, ctx, host)
        except SimError as e:
            return e.status, e.body(), {}
        finally:
            if ulock is not None:
                ulock.release()

    # ---- control API ----
    def control(self, method, path, raw_query):
        sim = self.server.sim
        raw = self.read_body()
        try:
            req = json.loads(raw) if raw else {}
        except ValueError:
            return self.send_raw(400, b'{"error":"bad json"}')
        try:
            res = self.control_inner(sim, method, path, req)
        except (KeyError, TypeError, ValueError, SimError) as e:
            msg = e.detail if isinstance(e, SimError) else repr(e)
            return self.send_raw(400, json.dumps({"error": msg}).encode())
        if res is None:
            return self.send_raw(404, b'{"error":"no such control endpoint"}')
        self.send_raw(200, json.dumps(res, separators=(",", ":")).encode())

    def control_inner(self, sim, method, path, req):
        eng = self.server.engine
        if method == "GET" and path == "/__sim/stats":
            with sim.clock:
                out = json.loads(json.dumps(sim.stats))
                out["writers"] = json.loads(json.dumps(sim.writers))
                return out
        if method == "POST" and path == "/__sim/stats/reset":
            sim.reset_stats()
            return {"ok": True}
        if method == "GET" and path == "/__sim/log":
            with sim.clock:
                return list(sim.log)
        if method == "POST" and path == "/__sim/log/clear":
            with sim.clock:
                sim.log.clear()
            return {"ok": True}
        if method == "POST" and path == "/__sim/fault":
            kind = req["kind"]
            if kind not in ("status", "drop", "truncate", "garbage", "huge", "delay"):
                raise ValueError("kind")
            f = dict(req)
            f["count"] = int(req.get("count", 1))
            if f["count"] == 0:
                f["count"] = -1              # 0 or negative: until cleared
            with sim.clock:
                sim.faults.append(f)
            return {"ok": True}
        if method == "POST" and path == "/__sim/faults/clear":
            with sim.clock:
                sim.faults.clear()
            return {"ok": True}
        if method == "POST" and path == "/__sim/latency":
            sim.latency_ms = int(req["ms"])
            return {"ok": True}
        if method == "POST" and path == "/__sim/down":
            sim.down = bool(req.get("down", True))
            return {"ok": True}
        if method == "POST" and path == "/__sim/config":
            if "sensitive-mode" in req:
                if req["sensitive-mode"] not in ("mask", "omit"):
                    raise ValueError("sensitive-mode")
                sim.sensitive_mode = req["sensitive-mode"]
            if "command-timeout" in req:
                sim.command_timeout = float(req["command-timeout"])
            if "ping-timeout-ms" in req:
                sim.ping_timeout_ms = int(req["ping-timeout-ms"])
            if "serialize-user" in req:
                sim.serialize_user = bool(req["serialize-user"])
            return {"ok": True}
        if method == "POST" and path == "/__sim/users":
            sim.users = parse_users(req)
            return {"ok": True}
        if method == "POST" and path == "/__sim/ping-target":
            tgt = {"reachable": bool(req.get("reachable", True)),
                   "rtt-us": [int(x) for x in (req.get("rtt-us") if isinstance(req.get("rtt-us"), list)
                                               else [req.get("rtt-us", 453)])]}
            with sim.clock:
                if req.get("address") in (None, "", "default"):
                    sim.ping_default = tgt
                else:
                    sim.ping_targets[str(ipaddress.ip_address(req["address"]))] = tgt
            return {"ok": True}
        if method == "POST" and path == "/__sim/reset":
            sim.reset_state()
            return {"ok": True}
        if method == "POST" and path == "/__sim/peer-stats":
            with sim.lock:
                hits = [i for i, r in sim.peers.items() if r["public-key"] == req["public-key"]]
                if not hits:
                    raise ValueError("no peer with that public-key")
                for i in hits:
                    r = sim.peers[i]
                    if "rx" in req:
                        r["rx"] = int(req["rx"])
                    if "tx" in req:
                        r["tx"] = int(req["tx"])
                    if "last-handshake-seconds" in req:
                        v = req["last-handshake-seconds"]
                        r["hs"] = None if v is None else \
                            (int(v), time.time() if req.get("aging") else None)
                    if "current-endpoint-address" in req:
                        r["current-endpoint-address"] = str(req["current-endpoint-address"])
                    if "current-endpoint-port" in req:
                        r["current-endpoint-port"] = int(req["current-endpoint-port"])
            return {"ok": True, "ids": [fmt_id(i) for i in hits]}
        if method == "POST" and path == "/__sim/iface-stats":
            with sim.lock:
                i = sim.iface_by_name(req["name"])
                if i is None:
                    raise ValueError("no such interface")
                for k in ("rx-byte", "tx-byte", "rx-packet", "tx-packet", "link-downs"):
                    if k in req:
                        sim.ifaces[i][k] = int(req[k])
            return {"ok": True}
        if method == "POST" and path == "/__sim/dynamic-peer":
            body = {"interface": req["interface"],
                    "public-key": req.get("public-key") or wg_pubkey(wg_genkey()),
                    "allowed-address": req.get("allowed-address", "0.0.0.0/0")}
            for k in ("name", "comment", "endpoint-address", "endpoint-port"):
                if k in req and k in eng.menus["interface/wireguard/peers"].fields():
                    body[k] = req[k]
            with sim.lock:
                i = eng.menus["interface/wireguard/peers"].add(body, dynamic=True)
            return {"ok": True, ".id": fmt_id(i)}
        if method == "GET" and path == "/__sim/state":
            return self.state(sim, eng)
        return None

    def state(self, sim, eng):
        with sim.lock:
            m = eng.menus
            out = {"ros": sim.ros_str, "next-id": fmt_id(sim.next_id)}
            for key, name in (("interface", "interfaces"), ("interface/wireguard", "wireguard"),
                              ("interface/wireguard/peers", "peers"),
                              ("ip/address", "ip-addresses"), ("ipv6/address", "ipv6-addresses"),
                              ("ip/route", "ip-routes"), ("ipv6/route", "ipv6-routes"),
                              ("routing/table", "routing-tables")):
                out[name] = [sorted_obj(m[key].render(i)) for i in m[key].ids()]
            out["dns"] = sorted_obj(m["ip/dns"].render_one())
            with sim.clock:
                out["down"] = sim.down
                out["faults"] = list(sim.faults)
                out["latency_ms"] = sim.latency_ms
            return out


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, tls_ctx, verbose):
        self.sim = sim
        self.engine = Engine(sim)
        self.tls_ctx = tls_ctx
        self.tls = tls_ctx is not None
        self.verbose = verbose
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS handshake in the connection's own thread so a stalled client cannot block accept()
        if self.tls_ctx is not None:
            request.settimeout(30)
            try:
                request = self.tls_ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                try:
                    request.close()
                except OSError:
                    pass
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


ALL_POLICIES = ["api", "rest-api", "read", "write", "test", "sensitive"]


def parse_users(obj):
    if not isinstance(obj, dict) or not obj:
        raise ValueError("users must be a non-empty object")
    out = {}
    for name, u in obj.items():
        if not isinstance(u, dict):
            raise ValueError("user %s" % name)
        pols = u.get("policies", ALL_POLICIES)
        if isinstance(pols, str):
            pols = [p for p in pols.split(",") if p]
        out[str(name)] = {"password": str(u.get("password", "")), "policies": list(pols)}
    return out


def make_cert(tmpdir):
    cert, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "7", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return cert, key


def main(argv=None):
    ap = argparse.ArgumentParser(description="RouterOS v7 REST API simulator")
    ap.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ros", default="7.17", help="RouterOS version, e.g. 7.12, 7.16, 7.17, 7.21")
    ap.add_argument("--users", help='JSON file {"name":{"password":"..","policies":[..]}}')
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--command-timeout", type=float, default=60.0,
                    help="RouterOS ends REST commands after this many seconds (default 60)")
    ap.add_argument("--serialize-user", action="store_true",
                    help="run the requests of one user one at a time, like RouterOS")
    ap.add_argument("--sensitive-mode", choices=("mask", "omit"), default="mask",
                    help='how keys appear to users without "sensitive" (default: "*****")')
    ap.add_argument("--reject-encoded-star", action="store_true",
                    help='answer %%2A in ids with 400 "no such command prefix" like RouterOS')
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)

    if not re.fullmatch(r"7\.\d+(\.\d+)?", a.ros):
        ap.error("--ros must look like 7.17")
    if a.users:
        with open(a.users) as f:
            users = parse_users(json.load(f))
    else:
        users = {"admin": {"password": "admin", "policies": list(ALL_POLICIES)}}

    tmpdir = None
    tls_ctx = None
    if a.https:
        cert, key = a.cert, a.key
        if not cert or not key:
            tmpdir = tempfile.mkdtemp(prefix="rossim-")
            cert, key = make_cert(tmpdir)
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(cert, key)

    sim = Sim(a.ros, users, a.sensitive_mode, a.command_timeout, a.latency_ms,
              a.serialize_user, a.reject_encoded_star)
    srv = Server((a.bind, a.port), sim, tls_ctx, a.verbose)
    port = srv.server_address[1]

    def stop(*_):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if a.ready_file:
            tmp = a.ready_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % port)
            os.replace(tmp, a.ready_file)        # readers never see a half-written file
        if a.verbose:
            sys.stderr.write("sim: listening on %s:%d (%s, ROS %s)\n" %
                             (a.bind, port, "https" if a.https else "http", a.ros))
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
