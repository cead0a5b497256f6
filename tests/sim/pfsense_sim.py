#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pfSense REST API v2 ("pfrest") simulator for the pfSense backend tests
(spec/pfsense-rest.md section 8 and the Addendum).

Python 3 standard library only; the openssl CLI is needed only for --https without --cert/--key.
It is deliberately strict: JSON bodies are type-checked per field like pfrest's Field classes,
ids are array positions that renumber after a delete, private keys are hidden, preshared keys are
write-only and every write is only staged until an apply. A fake that accepts anything proves
nothing. Where the spec leaves a text open, the choice is listed in tests/sim/README.md.

CLI (the C backend tests depend on it, keep it stable):
  pfsense_sim.py --port PORT [--bind 127.0.0.1] [--https [--cert C --key K]]
                 [--pkg-version 2.8.0|2.9.0] [--keys KEYS.json] [--users USERS.json]
                 [--auth-methods key,basic,jwt] [--latency-ms N] [--ready-file PATH]
                 [--apply-delay-ms N] [--expose-sensitive] [--read-only] [--api-disabled]
                 [--auto-name] [--wg-enable] [--verbose]
Control API (no auth, JSON, outside /api/v2): see README.md and Handler.control_inner.
"""
import argparse
import base64
import binascii
import copy
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

# The X25519 code lives in the RouterOS simulator next to this file; import it from this script's
# own directory so both fakes derive public keys with the same tested implementation.
sys.dont_write_bytecode = True          # keep tests/sim free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from routeros_sim import key_ok, wg_pubkey  # noqa: E402

API = "/api/v2"
W = API + "/vpn/wireguard"

REASON = {200: "ok", 400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found",
          405: "method not allowed", 406: "not acceptable", 409: "conflict",
          415: "unsupported media type", 422: "unprocessable entity",
          500: "internal server error", 502: "bad gateway", 503: "service unavailable",
          504: "gateway timeout"}

# nginx answers paths that are not a pfrest endpoint itself, so the body is HTML, not the envelope
NGINX_404 = (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
             b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
             b"</body>\r\n</html>\r\n")

# Control parameters of Endpoint.inc; they are never model fields or query filters.
CONTROL_PARAMS = {"apply", "async", "placement", "append", "remove", "limit", "offset", "sort_by",
                  "sort_order", "sort_flags", "reverse", "all", "dry_run"}
# The ones Endpoint::validate_endpoint_fields removes from the request data (README "Request
# data"). `apply`, `placement` and `all` stay in it: on a plural DELETE they count as query
# parameters (so `?apply=true` alone matches every object) and are then skipped as filters on
# fields the model does not have.
STRIPPED_PARAMS = {"async", "reverse", "sort_by", "sort_order", "sort_flags", "append", "remove",
                   "limit", "offset", "dry_run"}


# --------------------------------------------------------------------------------------------
# Envelope and errors
# --------------------------------------------------------------------------------------------

class ApiError(Exception):
    """A pfrest Response error: becomes the envelope with data [] and HTTP status = code."""

    def __init__(self, code, response_id, message="", headers=None):
        super().__init__(message)
        self.code = code
        self.response_id = response_id
        self.message = message
        self.headers = headers or {}


def php_message(msg):
    # pfrest's Response replaces both quote kinds by backticks before encoding
    return msg.replace('"', "`").replace("'", "`")


def envelope(code, response_id, message, data):
    return {"code": code, "status": REASON.get(code, "unknown"), "response_id": response_id,
            "message": php_message(message), "data": data}


def php_json(obj):
    """json_encode with PHP defaults: compact, `/` escaped as `\\/`, non-ASCII as \\uXXXX, plus the
    PHP_EOL pfrest appends. A `/` only occurs inside JSON strings, so a plain replace is exact."""
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")
            + "\n").encode()


def php_type(v):
    """PHP gettype() names; pfrest's FIELD_INVALID_TYPE message uses them."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    return "array"


def invalid_type(name, want):
    return ApiError(400, "FIELD_INVALID_TYPE", "Field `%s` must be of type `%s`" % (name, want))


def required(name):
    return ApiError(400, "FIELD_IS_REQUIRED", "Field `%s` is required." % name)


def empty_not_allowed(name):
    return ApiError(400, "FIELD_EMPTY_NOT_ALLOWED", "Field `%s` cannot be empty." % name)


def not_unique(name, other_id):
    return ApiError(400, "FIELD_MUST_BE_UNIQUE",
                    "Field '%s' must be unique. Value is in use by object with ID '%d'."
                    % (name, other_id))


def nested(field, err):
    # NestedModelField keeps the inner response_id and code and prefixes the message
    return ApiError(err.code, err.response_id,
                    "Field `%s` encountered a nested validation error: %s" % (field, err.message))


def range_min(name, lo):
    return ApiError(400, "NUMERIC_RANGE_VALIDATOR_MINIMUM_CONSTRAINT",
                    "Field `%s` must be greater than or equal to `%d`." % (name, lo))


def range_max(name, hi):
    return ApiError(400, "NUMERIC_RANGE_VALIDATOR_MAXIMUM_CONSTRAINT",
                    "Field `%s` must be less than or equal to `%d`." % (name, hi))


# --------------------------------------------------------------------------------------------
# Value checks (pfSense is_port, is_ipaddr, is_fqdn, wg_is_valid_key)
# --------------------------------------------------------------------------------------------

_FQDN_RE = re.compile(r"^(?:(?:[a-z0-9_]|[a-z0-9_][a-z0-9_\-]*[a-z0-9_])\.)*"
                      r"(?:[a-z0-9_]|[a-z0-9_][a-z0-9_\-]*[a-z0-9_])\.?$", re.I)


def is_port(v):
    return isinstance(v, str) and v.isdigit() and v.isascii() and 1 <= int(v) <= 65535


def is_ipv4(v):
    try:
        ipaddress.IPv4Address(v)
        return True
    except ValueError:
        return False


def is_ipv6(v):
    try:
        ipaddress.IPv6Address(v.split("%")[0])
        return True
    except ValueError:
        return False


def is_fqdn(v):
    return isinstance(v, str) and len(v) <= 253 and bool(_FQDN_RE.match(v))


def clamp_key(k):
    b = bytearray(base64.b64decode(k))
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return base64.b64encode(bytes(b)).decode()


def ip_validate(field, value, allow_fqdn):
    if is_ipv4(value) or is_ipv6(value) or (allow_fqdn and is_fqdn(value)):
        return
    # The allowed-kinds list is built with PHP's array union `+` on lists, which keeps only the
    # first element, so the text always says "IPv4 address" (spec section 3).
    raise ApiError(400, "IP_ADDRESS_VALIDATOR_FAILED",
                   "Field `%s` must be a valid IPv4 address, received `%s`." % (field, value))


def port_validate(field, value):
    if not is_port(value):
        raise ApiError(400, "PORT_FIELD_INVALID",
                       "Field `%s` contains invalid port value `%s`. Valid options are: a TCP/UDP "
                       "port number" % (field, value))


# --------------------------------------------------------------------------------------------
# PHP loose comparison (the exact query filter uses `==`)
# --------------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def php_numeric(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str) and _NUM_RE.match(v):
        return float(v)
    return None


def php_truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, str):
        return v not in ("", "0")
    if isinstance(v, (list, dict)):
        return len(v) > 0
    return bool(v)


def php_loose_eq(a, b):
    """PHP 8 `==` for the scalar/array kinds that occur here."""
    if isinstance(a, bool) or isinstance(b, bool):
        return php_truthy(a) == php_truthy(b)
    if a is None or b is None:
        other = b if a is None else a
        if other is None:
            return True
        if isinstance(other, str):
            return other == ""
        return not php_truthy(other)
    if isinstance(a, str) and isinstance(b, str):
        na, nb = php_numeric(a), php_numeric(b)
        if na is not None and nb is not None:
            return na == nb
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        num, s = (a, b) if isinstance(a, (int, float)) else (b, a)
        if isinstance(s, str):
            ns = php_numeric(s)
            if ns is not None:
                return float(num) == ns
            return str(num) == s             # PHP 8: non-numeric string compares as string
        return False
    return a == b


def filter_match(value, op, want):
    if op == "exact":
        return php_loose_eq(value, want)
    if op == "except":
        return not php_loose_eq(value, want)
    if op in ("contains", "startswith", "endswith"):
        if isinstance(value, list):
            return op == "contains" and any(php_loose_eq(x, want) for x in value)
        if value is None or isinstance(value, dict):
            return False
        sv = value if isinstance(value, str) else json.dumps(value)
        sw = want if isinstance(want, str) else json.dumps(want)
        return {"contains": sw in sv, "startswith": sv.startswith(sw),
                "endswith": sv.endswith(sw)}[op]
    if op == "in":
        opts = want if isinstance(want, list) else str(want).split(",")
        return any(php_loose_eq(value, o) for o in opts)
    if op in ("lt", "lte", "gt", "gte"):
        a, b = php_numeric(value), php_numeric(want)
        if a is None or b is None:
            return False
        return {"lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[op]
    if op == "regex":
        try:
            return value is not None and re.search(str(want), str(value)) is not None
        except re.error:
            raise ApiError(400, "REGEX_QUERY_FILTER_INVALID_PATTERN",
                           "Query filter `regex` received an invalid pattern `%s`." % want)
    if op == "format":
        s = value if isinstance(value, str) else None
        if s is None:
            return False
        f = str(want)
        if f == "ipv4":
            return is_ipv4(s)
        if f == "ipv6":
            return is_ipv6(s)
        if f in ("ip", "ipaddr"):
            return is_ipv4(s) or is_ipv6(s)
        if f in ("subnet", "subnetv4", "subnetv6"):
            a, _, m = s.partition("/")
            if not m.isdigit():
                return False
            v4, v6 = is_ipv4(a) and int(m) <= 32, is_ipv6(a) and int(m) <= 128
            return {"subnet": v4 or v6, "subnetv4": v4, "subnetv6": v6}[f]
        if f in ("fqdn", "hostname"):
            return is_fqdn(s)
        if f == "port":
            return is_port(s)
        if f in ("numeric", "integer"):
            return s.isdigit()
        return False
    return False


FILTER_OPS = ("exact", "startswith", "endswith", "contains", "in", "lt", "lte", "gt", "gte",
              "format", "regex", "except")


# --------------------------------------------------------------------------------------------
# Query string type inference (pfrest's URL content handler)
# --------------------------------------------------------------------------------------------

def infer(v):
    if v == "true":
        return True
    if v == "false":
        return False
    if v == "null":
        return None
    if v.isdigit() and v.isascii():
        return int(v)
    if re.fullmatch(r"\d+\.\d+", v):
        return float(v)
    return v


def parse_query(raw_query):
    """Decoded pairs (with `+` as space, like PHP) and the typed data dict (last key wins, `k[]`
    collects a list)."""
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    data = {}
    for k, v in pairs:
        if k.endswith("[]"):
            data.setdefault(k[:-2], [])
            if isinstance(data[k[:-2]], list):
                data[k[:-2]].append(infer(v))
            continue
        data[k] = infer(v)
    return pairs, data


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def check_type(name, v, want, allow_null=False):
    if v is None and allow_null:
        return
    if php_type(v) != want:
        raise invalid_type(name, want)


class NestedSpec:
    """A NestedModelField child (tunnel address, peer allowed IP)."""

    def __init__(self, field, mask_min, verbose):
        self.field = field
        self.mask_min = mask_min
        self.verbose = verbose


TUNNEL_ADDR = NestedSpec("addresses", 1, "WireGuard Tunnel Address")
PEER_AIP = NestedSpec("allowedips", 0, "WireGuard Peer Allowed IP")


def validate_nested_item(spec, item, existing_items, self_index=None, system_addresses=()):
    """Validate one child object; errors are raised unprefixed (callers wrap with nested())."""
    if not isinstance(item, dict):
        item = {}                          # a PHP list has no named keys: every field is absent
    out = {}
    a = item.get("address")
    if a is None:
        raise required("address")
    check_type("address", a, "string")
    if a == "":
        raise empty_not_allowed("address")
    if not (is_ipv4(a) or is_ipv6(a)):
        ip_validate("address", a, False)
    out["address"] = a
    m = item.get("mask")
    if m is None:
        raise required("mask")
    check_type("mask", m, "integer")
    if m < spec.mask_min:
        raise range_min("mask", spec.mask_min)
    if m > 128:
        raise range_max("mask", 128)
    if is_ipv4(a) and m > 32:
        # not in the spec text; a /33 IPv4 prefix is meaningless and pfSense refuses it
        raise range_max("mask", 32)
    out["mask"] = m
    d = item.get("descr", "")
    if d is None:
        d = ""
    check_type("descr", d, "string")
    out["descr"] = d
    for j, other in enumerate(existing_items):
        if j != self_index and other["address"] == a and other["mask"] == m:
            raise not_unique("address", j)
    for sa in system_addresses:
        if sa["address"] == a and sa["mask"] == m:
            raise ApiError(400, "WIREGUARD_TUNNEL_ADDRESS_AND_MASK_ALREADY_IN_USE",
                           "This tunnel's `address` and `mask` is already in use on this system.")
    return out


def validate_nested_list(spec, value, system_addresses=()):
    if not isinstance(value, list):
        if isinstance(value, dict):
            value = list(value.values())    # a JSON object is a PHP array too
        else:
            raise ApiError(400, "FIELD_INVALID_MANY_VALUE",
                           "Field `%s` must be of type `array`." % spec.field)
    if len(value) > 128:
        raise ApiError(400, "LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT",
                       "Field `%s` must contain no more than `128` items." % spec.field)
    out = []
    for item in value:
        try:
            out.append(validate_nested_item(spec, item, out, None, system_addresses))
        except ApiError as e:
            raise nested(spec.field, e)
    return out


def merge_array(spec, stored, new, append, remove, system_addresses=()):
    """PATCH on an array field: replace, or append/remove with the control parameters."""
    items = validate_nested_list(spec, new, system_addresses if not remove else ())
    if append:
        merged = [dict(x) for x in stored]
        for it in items:
            try:
                merged.append(validate_nested_item(spec, it, merged, None, ()))
            except ApiError as e:
                raise nested(spec.field, e)
        return merged
    if remove:
        return [x for x in stored
                if not any(x["address"] == it["address"] and x["mask"] == it["mask"]
                           for it in items)]
    return items


class Sim:
    def __init__(self, opts):
        self.lock = threading.RLock()          # model state
        self.clock = threading.Lock()          # control-plane state (stats, log, faults)
        self.o = opts
        self.pkg = opts["pkg_version"]
        self.keys = opts["keys"]
        self.users = opts["users"]
        self.auth_methods = opts["auth_methods"]
        self.latency_ms = opts["latency_ms"]
        self.apply_delay_ms = opts["apply_delay_ms"]
        self.expose_sensitive = opts["expose_sensitive"]
        self.override_sensitive = set(opts.get("override_sensitive", ()))
        self.read_only = opts["read_only"]
        self.api_enabled = not opts["api_disabled"]
        self.auto_name = opts["auto_name"]
        self.jwt = {}                          # token -> (user, expiry)
        self.down = False
        self.faults = []
        self.log = []
        self.timers = []
        self.reset_stats()
        self.reset_state(opts["wg_enable"])

    # ---- control plane ----
    def reset_stats(self):
        with self.clock:
            cur = getattr(self, "stats", {}).get("in_flight", 0)
            self.stats = {"requests": 0, "in_flight": cur, "max_in_flight": cur, "by_method": {},
                          "by_status": {}, "refused_down": 0, "apply_requests": 0}

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
                if f["kind"] == "lock" and method in ("GET", "HEAD", "OPTIONS"):
                    continue                  # the config lock is only taken by writes
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                return dict(f)
        return None

    # ---- model state ----
    def reset_state(self, wg_enable=False):
        with self.lock:
            self.tunnels = []
            self.peers = []
            self.settings = {"enable": bool(wg_enable), "keep_conf": True,
                             "resolve_interval_track": False, "resolve_interval": 300,
                             "interface_group": "all", "hide_secrets": False,
                             "hide_peers": False}
            self.dirty = False
            self.generation = 0
            self.applies = 0
            self.applied = None            # snapshot of the config as of the last apply
            self.assigned = set()          # tunnel names assigned to a pfSense interface
            self.system_addresses = []     # {"address","mask"} configured elsewhere on pfSense
            self.peer_runtime = {}         # publickey -> status counters (v2.9 endpoints)
            self.reject_assigned_address_patch = False

    def snapshot(self):
        return {"tunnels": copy.deepcopy(self.tunnels), "peers": copy.deepcopy(self.peers),
                "settings": dict(self.settings)}

    def mark_dirty(self):
        self.dirty = True

    def do_apply(self):
        with self.lock:
            self.applied = self.snapshot()
            self.applied["running"] = bool(self.settings["enable"])
            self.applies += 1
            self.generation += 1
            self.dirty = False

    def request_apply(self, async_):
        """Apply now, or (async with --apply-delay-ms) after the delay, like pfrest's dispatcher
        running in the background. Returns whether the apply has completed."""
        with self.clock:
            self.stats["apply_requests"] += 1
        d = self.apply_delay_ms / 1000.0
        if d <= 0:
            self.do_apply()
            return True
        if not async_:
            time.sleep(d)
            self.do_apply()
            return True
        t = threading.Timer(d, self.do_apply)
        t.daemon = True
        with self.clock:
            self.timers = [x for x in self.timers if x.is_alive()][-1000:]
            self.timers.append(t)
        t.start()
        return False

    # ---- lookups ----
    def tunnel_index(self, name):
        for i, t in enumerate(self.tunnels):
            if t["name"] == name:
                return i
        return None

    def next_tunnel_name(self):
        used = {t["name"] for t in self.tunnels}
        for n in range(0, 100000):             # bounded: more tunnels than this cannot exist
            if "tun_wg%d" % n not in used:
                return "tun_wg%d" % n
        raise ApiError(500, "ENDPOINT_RECEIVED_UNEXPECTED_ERROR", "no free tunnel name")

    # ---- rendering ----
    def shows(self, model_field):
        """Model::is_field_hidden for a sensitive field (README "Sensitive fields")."""
        return self.expose_sensitive or model_field in self.override_sensitive

    def render_tunnel(self, i, t, full=False):
        out = {"id": i, "name": t["name"], "enabled": t["enabled"], "descr": t["descr"],
               "listenport": t["listenport"], "publickey": t["publickey"]}
        if full or self.shows("WireGuardTunnel:privatekey"):
            out["privatekey"] = t["privatekey"]
        out["mtu"] = t["mtu"]
        out["addresses"] = [dict({"parent_id": i, "id": j}, **a)
                            for j, a in enumerate(t["addresses"])]
        return out

    def render_peer(self, i, p, full=False):
        out = {"id": i, "enabled": p["enabled"], "tun": p["tun"], "endpoint": p["endpoint"],
               "port": p["port"], "descr": p["descr"],
               "persistentkeepalive": p["persistentkeepalive"], "publickey": p["publickey"]}
        # write-only before 2.9 (never shown), sensitive from 2.9 (hidden unless exposed)
        if full or (ver_tuple(self.pkg) >= (2, 9, 0) and self.shows("WireGuardPeer:presharedkey")):
            out["presharedkey"] = p["presharedkey"]
        out["allowedips"] = [dict({"parent_id": i, "id": j}, **a)
                             for j, a in enumerate(p["allowedips"])]
        return out

    def render_settings(self):
        s = dict(self.settings)
        if s["resolve_interval_track"]:
            s["resolve_interval"] = None       # conditional field: only when not tracking
        return s

    # ---- tunnel validation ----
    def build_tunnel(self, body, cur, self_idx, append=False, remove=False):
        """Return the new stored tunnel from a POST (cur None) or PATCH body."""
        t = copy.deepcopy(cur) if cur else {"name": None, "enabled": True, "descr": "",
                                             "listenport": "51820", "privatekey": None,
                                             "mtu": 1420, "addresses": []}
        # name: read-only, auto-assigned, not editable. A read-only Field skips the type and
        # emptiness checks and Model::to_internal stores any non-null value, so a supplied name
        # is kept as sent (README "Read-only fields").
        if "name" in body and body["name"] is not None:
            n = body["name"]
            if cur is not None:
                if n != cur["name"]:
                    raise ApiError(400, "FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE",
                                   "Field `name` is not editable but the requested value `%s` "
                                   "differs from its current value `%s`." % (n, cur["name"]))
            elif not self.auto_name:
                t["name"] = n
        if t["name"] is None:
            t["name"] = self.next_tunnel_name()
        for j, o in enumerate(self.tunnels):
            if j != self_idx and o["name"] == t["name"]:
                raise not_unique("name", j)
        if "enabled" in body and body["enabled"] is not None:
            check_type("enabled", body["enabled"], "boolean")
            t["enabled"] = body["enabled"]
        if "descr" in body:
            d = "" if body["descr"] is None else body["descr"]
            check_type("descr", d, "string")
            t["descr"] = d
        if "listenport" in body:
            lp = "51820" if body["listenport"] is None else body["listenport"]
            check_type("listenport", lp, "string")
            if lp == "":
                raise empty_not_allowed("listenport")
            t["listenport"] = lp
        for j, o in enumerate(self.tunnels):
            if j != self_idx and o["listenport"] == t["listenport"]:
                raise not_unique("listenport", j)
        port_validate("listenport", t["listenport"])
        if "privatekey" in body:
            t["privatekey"] = body["privatekey"]
        if t["privatekey"] is None:
            raise required("privatekey")
        check_type("privatekey", t["privatekey"], "string")
        if t["privatekey"] == "":
            raise empty_not_allowed("privatekey")
        if not key_ok(t["privatekey"]):
            raise ApiError(400, "WIREGUARD_TUNNEL_INVALID_PRIVATE_KEY",
                           "Field `privatekey` must be a valid WireGuard private key.")
        t["privatekey"] = clamp_key(t["privatekey"])
        if "mtu" in body:
            m = 1420 if body["mtu"] is None else body["mtu"]
            check_type("mtu", m, "integer")
            t["mtu"] = m
        if cur is not None and cur["name"] in self.assigned and \
                ver_tuple(self.pkg) >= (2, 9, 0):
            # 2.9+ pre_validate_update: an assigned tunnel takes its addresses from the
            # pfSense interface, so every update scrubs the field (README "Tunnels")
            body = dict(body, addresses=[])
        if "addresses" in body:
            v = [] if body["addresses"] is None else body["addresses"]
            if cur is not None and self.reject_assigned_address_patch and \
                    cur["name"] in self.assigned:
                # pfrest #902: the assigned interface's own address counts as "in use"
                sysaddr = list(self.system_addresses) + cur["addresses"]
            else:
                sysaddr = self.system_addresses
            if cur is not None:
                t["addresses"] = merge_array(TUNNEL_ADDR, cur["addresses"], v, append, remove,
                                             sysaddr)
            else:
                t["addresses"] = validate_nested_list(TUNNEL_ADDR, v, sysaddr)
        if not t["enabled"] and t["name"] in self.assigned:
            raise ApiError(409, "WIREGUARD_TUNNEL_CANNOT_BE_DISABLED_WHILE_IN_USE_BY_INTERFACE",
                           "Field `enabled` cannot be `false` because this WireGuard Tunnel is in "
                           "use by an existing interface object.")
        t["publickey"] = wg_pubkey(t["privatekey"])   # recomputed on every validation
        return t

    # ---- peer validation ----
    def build_peer(self, body, cur, self_idx, append=False, remove=False, peer_set=None):
        peers = self.peers if peer_set is None else peer_set
        p = copy.deepcopy(cur) if cur else {"enabled": False, "tun": "unassigned",
                                             "endpoint": None, "port": None, "descr": "",
                                             "persistentkeepalive": None, "publickey": None,
                                             "presharedkey": "", "allowedips": []}
        if "enabled" in body and body["enabled"] is not None:
            check_type("enabled", body["enabled"], "boolean")
            p["enabled"] = body["enabled"]
        if "tun" in body:
            tun = "unassigned" if body["tun"] is None else body["tun"]
            check_type("tun", tun, "string")
            if tun == "":
                raise empty_not_allowed("tun")
            p["tun"] = tun
        if p["tun"] != "unassigned" and self.tunnel_index(p["tun"]) is None:
            raise ApiError(404, "FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND",
                           "Field `tun` could not locate `WireGuard Tunnel` object with `name` "
                           "set to `%s`" % p["tun"])
        if "endpoint" in body:
            ep = body["endpoint"]
            check_type("endpoint", ep, "string", allow_null=True)
            if ep == "":
                raise empty_not_allowed("endpoint")
            if ep is not None:
                ip_validate("endpoint", ep, True)
            p["endpoint"] = ep
        # port only exists while an endpoint is set (Field conditions ['!endpoint' => null])
        if p["endpoint"] is None:
            p["port"] = None
        else:
            if "port" in body and body["port"] is not None:
                check_type("port", body["port"], "string")
                if body["port"] == "":
                    raise empty_not_allowed("port")
                p["port"] = body["port"]
            if p["port"] is None:
                p["port"] = "51820"
            port_validate("port", p["port"])
        if "descr" in body:
            d = "" if body["descr"] is None else body["descr"]
            check_type("descr", d, "string")
            p["descr"] = d
        if "persistentkeepalive" in body:
            k = body["persistentkeepalive"]
            check_type("persistentkeepalive", k, "integer", allow_null=True)
            if k is not None:
                if k < 0:
                    raise range_min("persistentkeepalive", 0)
                if k > 65535:
                    raise range_max("persistentkeepalive", 65535)
            p["persistentkeepalive"] = k
        if "publickey" in body:
            p["publickey"] = body["publickey"]
        if p["publickey"] is None:
            raise required("publickey")
        check_type("publickey", p["publickey"], "string")
        if p["publickey"] == "":
            raise empty_not_allowed("publickey")
        for j, o in enumerate(peers):
            if j != self_idx and o["publickey"] == p["publickey"]:
                raise not_unique("publickey", j)
        if "presharedkey" in body:
            psk = body["presharedkey"]
            check_type("presharedkey", psk, "string", allow_null=True)
            psk = "" if psk is None else psk
            if psk != "" and not key_ok(psk):
                raise ApiError(400, "WIREGUARD_PEER_PRESHAREDKEY_INVALID",
                               "Field `presharedkey` must be a valid WireGuard pre-shared key.")
            p["presharedkey"] = psk
        if "allowedips" in body:
            v = [] if body["allowedips"] is None else body["allowedips"]
            if cur is not None:
                p["allowedips"] = merge_array(PEER_AIP, cur["allowedips"], v, append, remove)
            else:
                p["allowedips"] = validate_nested_list(PEER_AIP, v)
        return p

    # ---- v2.9 status (README "Status endpoints") ----
    def wg_dump(self):
        """What `wg show all dump` reports, as the status models read it: the running tunnels
        (applied, enabled, service on) with their applied, enabled peers."""
        a = self.applied
        out = []
        if not a or not a.get("running"):
            return out
        for t in a["tunnels"]:
            if not t["enabled"]:
                continue
            peers = []
            for p in a["peers"]:
                if not p["enabled"] or p["tun"] != t["name"]:
                    continue
                rt = self.peer_runtime.get(p["publickey"], {})
                ep = rt.get("endpoint")
                if ep is None and p["endpoint"] is not None:
                    # wg shows the configured endpoint until the peer roams
                    host = p["endpoint"]
                    ep = ("[%s]:%s" if ":" in host else "%s:%s") % (host, p["port"])
                aips = ["%s/%d" % (x["address"], x["mask"]) for x in p["allowedips"]]
                ka = p["persistentkeepalive"]
                peers.append({"tunnel_device": t["name"], "public_key": p["publickey"],
                              "preshared_key": p["presharedkey"] or "(none)",
                              "endpoint": ep if ep is not None else "(none)",
                              "allowed_ips": aips or ["(none)"],
                              "latest_handshake": int(rt.get("latest_handshake") or 0),
                              "transfer_rx": int(rt.get("transfer_rx", 0)),
                              "transfer_tx": int(rt.get("transfer_tx", 0)),
                              "persistent_keepalive": str(ka) if ka else "off",
                              "descr": p["descr"]})
            out.append({"name": t["name"], "status": "up", "public_key": t["publickey"],
                        "listen_port": t["listenport"], "mtu": t["mtu"],
                        "transfer_rx": sum(x["transfer_rx"] for x in peers),
                        "transfer_tx": sum(x["transfer_tx"] for x in peers),
                        "inpkts": 0, "outpkts": 0, "descr": t["descr"], "peers": peers})
        return out

    def render_status_peer(self, p):
        o = dict(p)
        if not self.shows("WireGuardPeerStatus:preshared_key"):
            del o["preshared_key"]
        return o

    def status_tunnels(self):
        """GET /status/wireguard/tunnels: each tunnel with its complete peer list."""
        out = []
        for i, t in enumerate(self.wg_dump()):
            o = dict(t)
            o["peers"] = [dict({"parent_id": i, "id": j}, **self.render_status_peer(p))
                          for j, p in enumerate(t["peers"])]
            out.append(dict({"id": i}, **o))
        return out

    def status_peers(self):
        """GET /status/wireguard/peers: pfrest joins the tunnels' lists with PHP's array union
        `$peers + $tunnel['peers']`, which keeps a key only when no earlier tunnel had it: from
        the second tunnel on, a peer survives only if its index is past the count so far."""
        joined = {}
        for t in self.wg_dump():
            for j, p in enumerate(t["peers"]):
                if j not in joined:
                    joined[j] = p
        return [dict({"id": j}, **self.render_status_peer(joined[j])) for j in sorted(joined)]


# --------------------------------------------------------------------------------------------
# Endpoint table
# --------------------------------------------------------------------------------------------

class Ep:
    def __init__(self, url, kind, methods, model, since=None):
        self.url = url
        self.kind = kind        # singular | plural | child | childplural | singleton | status
        self.methods = methods
        self.model = model      # tunnel | peer | settings | apply | status_* | jwt
        self.since = since

    def priv(self, method):
        # Endpoint::get_method_priv_name: URL with / and _ turned into -, plus the method
        return self.url.strip("/").replace("/", "-").replace("_", "-") + "-" + method.lower()


ENDPOINTS = {e.url: e for e in [
    Ep(W + "/tunnel", "singular", ("GET", "POST", "PATCH", "DELETE"), "tunnel"),
    Ep(W + "/tunnels", "plural", ("GET", "PUT", "DELETE"), "tunnel"),
    Ep(W + "/tunnel/address", "child", ("GET", "POST", "PATCH", "DELETE"), "tunnel"),
    Ep(W + "/tunnel/addresses", "childplural", ("GET", "DELETE"), "tunnel"),
    Ep(W + "/peer", "singular", ("GET", "POST", "PATCH", "DELETE"), "peer"),
    Ep(W + "/peers", "plural", ("GET", "PUT", "DELETE"), "peer"),
    Ep(W + "/peer/allowed_ip", "child", ("GET", "POST", "PATCH", "DELETE"), "peer"),
    Ep(W + "/peer/allowed_ips", "childplural", ("GET", "DELETE"), "peer"),
    Ep(W + "/settings", "singleton", ("GET", "PATCH"), "settings"),
    Ep(W + "/apply", "singleton", ("GET", "POST"), "apply"),
    Ep(API + "/status/wireguard/tunnels", "status", ("GET",), "status_tunnels", (2, 9)),
    Ep(API + "/status/wireguard/peers", "status", ("GET",), "status_peers", (2, 9)),
    Ep(API + "/auth/jwt", "jwt", ("POST",), "jwt"),
]}

TUNNEL_FIELDS = ["id", "name", "enabled", "descr", "listenport", "publickey", "privatekey", "mtu",
                 "addresses"]
PEER_FIELDS = ["id", "enabled", "tun", "endpoint", "port", "descr", "persistentkeepalive",
               "publickey", "presharedkey", "allowedips"]
CHILD_FIELDS = ["parent_id", "id", "address", "mask", "descr"]
STATUS_PEER_FIELDS = ["id", "tunnel_device", "public_key", "preshared_key", "endpoint",
                      "allowed_ips", "latest_handshake", "transfer_rx", "transfer_tx",
                      "persistent_keepalive", "descr"]
STATUS_TUNNEL_FIELDS = ["id", "name", "status", "public_key", "listen_port", "mtu", "transfer_rx",
                        "transfer_tx", "inpkts", "outpkts", "descr", "peers"]


def ver_tuple(s):
    parts = [int(x) for x in re.findall(r"\d+", s)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


# --------------------------------------------------------------------------------------------
# Engine: one pfrest request (already authenticated)
# --------------------------------------------------------------------------------------------

def ctl_bool(data, name, default):
    if name not in data or data[name] is None:
        return default
    if not isinstance(data[name], bool):
        raise ApiError(400, "ENDPOINT_%s_FIELD_INVALID_TYPE" % name.upper(),
                       "Field `%s` must be of type `boolean`." % name)
    return data[name]


def ctl_int(data, name, default):
    if name not in data or data[name] is None:
        return default
    v = data[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise ApiError(400, "ENDPOINT_%s_FIELD_INVALID_TYPE" % name.upper(),
                       "Field `%s` must be of type `integer`." % name)
    return v


def get_id(data, name="id"):
    if name not in data or data[name] is None or data[name] == "":
        if name == "id":
            raise ApiError(400, "MODEL_REQUIRES_ID", "Field `id` is required.")
        raise ApiError(400, "MODEL_REQUIRES_PARENT_ID", "Field `parent_id` is required.")
    v = data[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise invalid_type(name, "integer")
    return v


class Engine:
    def __init__(self, sim):
        self.sim = sim

    def store(self, model):
        return self.sim.tunnels if model == "tunnel" else self.sim.peers

    def render(self, model, i, obj):
        s = self.sim
        return s.render_tunnel(i, obj) if model == "tunnel" else s.render_peer(i, obj)

    def build(self, model, body, cur, idx, append=False, remove=False, peer_set=None):
        s = self.sim
        if model == "tunnel":
            return s.build_tunnel(body, cur, idx, append, remove)
        return s.build_peer(body, cur, idx, append, remove, peer_set)

    def not_found(self, i):
        return ApiError(404, "MODEL_OBJECT_NOT_FOUND", "Object with ID `%s` does not exist." % i)

    def finish_write(self, data, default_async=True):
        """Stage the change; run the apply when `apply` is true (default false)."""
        self.sim.mark_dirty()
        if ctl_bool(data, "apply", False):
            self.sim.request_apply(ctl_bool(data, "async", default_async))

    def query_list(self, rows, data, fields):
        """Filters, sort, reverse and pagination of a plural GET/DELETE; rows are rendered."""
        limit = ctl_int(data, "limit", 0)
        offset = ctl_int(data, "offset", 0)
        reverse = ctl_bool(data, "reverse", False)
        sort_by = data.get("sort_by")
        if sort_by is not None:
            sort_by = sort_by if isinstance(sort_by, list) else [sort_by]
            for sb in sort_by:
                if not isinstance(sb, str):
                    raise ApiError(400, "ENDPOINT_SORT_BY_FIELD_INVALID_TYPE",
                                   "Field `sort_by` must be of type `string`.")
                if sb not in fields:
                    raise ApiError(400, "ENDPOINT_SORT_BY_FIELD_NON_EXISTENT_FIELD",
                                   "Field `sort_by` must be a valid field in the Model.")
        sort_order = data.get("sort_order", "SORT_ASC")
        if sort_order is None:
            sort_order = "SORT_ASC"
        if not isinstance(sort_order, str):
            raise ApiError(400, "ENDPOINT_SORT_ORDER_FIELD_INVALID_TYPE",
                           "Field `sort_order` must be of type `string`.")
        if sort_order not in ("SORT_ASC", "SORT_DESC"):
            raise ApiError(400, "ENDPOINT_SORT_ORDER_FIELD_UNKNOWN_SORT_ORDER",
                           "Field `sort_order` must be one of: ['SORT_ASC', 'SORT_DESC'].")
        filters = []
        for k, v in data.items():
            if k in CONTROL_PARAMS:
                continue
            name, _, op = k.partition("__")
            op = op or "exact"
            if name not in fields or op not in FILTER_OPS:
                continue                       # unknown fields are ignored, not refused
            filters.append((name, op, v))
        out = [r for r in rows if all(filter_match(r.get(n), op, v) for n, op, v in filters)]
        if sort_by:
            def key(r):
                return tuple((r.get(f) is not None, php_numeric(r.get(f)) or 0,
                              str(r.get(f))) for f in sort_by)
            out.sort(key=key, reverse=(sort_order == "SORT_DESC"))
        if reverse:
            out.reverse()
        if offset:
            out = out[offset:]
        if limit:
            out = out[:limit]
        return out

    def run(self, ep, method, data):
        s = self.sim
        with s.lock:
            if ep.model == "apply":
                if method == "GET":
                    return {"applied": not s.dirty}
                done = s.request_apply(ctl_bool(data, "async", True))
                return {"applied": done and not s.dirty}
            if ep.model == "settings":
                return self.settings(method, data)
            if ep.model in ("status_peers", "status_tunnels"):
                if ep.model == "status_tunnels":
                    rows, fields = s.status_tunnels(), STATUS_TUNNEL_FIELDS
                else:
                    rows, fields = s.status_peers(), STATUS_PEER_FIELDS
                return self.query_list(rows, data, fields)
            if ep.kind == "singular":
                return self.singular(ep.model, method, data)
            if ep.kind == "plural":
                return self.plural(ep.model, method, data)
            if ep.kind == "child":
                return self.child(ep.model, method, data)
            if ep.kind == "childplural":
                return self.childplural(ep.model, method, data)
        raise ApiError(500, "ENDPOINT_RECEIVED_UNEXPECTED_ERROR", "unhandled endpoint")

    def settings(self, method, data):
        s = self.sim
        if method == "GET":
            return s.render_settings()
        new = dict(s.settings)
        for k in ("enable", "keep_conf", "resolve_interval_track", "hide_secrets", "hide_peers"):
            if k in data and data[k] is not None:
                check_type(k, data[k], "boolean")
                new[k] = data[k]
        if "resolve_interval" in data and data["resolve_interval"] is not None:
            check_type("resolve_interval", data["resolve_interval"], "integer")
            new["resolve_interval"] = data["resolve_interval"]
        if "interface_group" in data and data["interface_group"] is not None:
            check_type("interface_group", data["interface_group"], "string")
            if data["interface_group"] not in ("all", "unassigned", "none"):
                raise ApiError(400, "FIELD_INVALID_CHOICE",
                               "Field `interface_group` must be one of [all, unassigned, none]")
            new["interface_group"] = data["interface_group"]
        if not new["enable"] and s.assigned:
            raise ApiError(409, "WIREGUARD_SETTINGS_CANNOT_DISABLE_WHILE_TUNNELS_ASSIGNED",
                           "Field `enable` cannot be `false` while WireGuard tunnels are assigned "
                           "to pfSense interfaces.")
        s.settings = new
        self.finish_write(data)
        return s.render_settings()

    def singular(self, model, method, data):
        st = self.store(model)
        if method == "GET":
            i = get_id(data)
            if not 0 <= i < len(st):
                raise self.not_found(i)
            return self.render(model, i, st[i])
        dry = ctl_bool(data, "dry_run", False)    # validated, reported, not written
        if method == "POST":
            body = {k: v for k, v in data.items() if k != "id"}   # POST drops any id
            obj = self.build(model, body, None, None)
            if dry:
                return self.render(model, len(st), obj)
            pos = ctl_int(data, "placement", None)
            if pos is not None and 0 <= pos <= len(st):
                st.insert(pos, obj)
                i = pos
            else:
                st.append(obj)
                i = len(st) - 1
            self.finish_write(data)
            return self.render(model, i, obj)
        if method == "PATCH":
            i = get_id(data)
            if not 0 <= i < len(st):
                raise self.not_found(i)
            append = ctl_bool(data, "append", False)
            remove = ctl_bool(data, "remove", False)
            obj = self.build(model, data, st[i], i, append, remove)
            if dry:
                return self.render(model, i, obj)
            st[i] = obj
            self.finish_write(data)
            return self.render(model, i, obj)
        if method == "DELETE":
            i = get_id(data)
            if not 0 <= i < len(st):
                raise self.not_found(i)
            out = self.render(model, i, st[i])
            if dry:
                return out
            del st[i]                          # later objects shift down: ids are positions
            self.finish_write(data)
            return out
        raise ApiError(405, "ENDPOINT_METHOD_NOT_ALLOWED", "method")

    def plural(self, model, method, data):
        s = self.sim
        st = self.store(model)
        fields = TUNNEL_FIELDS if model == "tunnel" else PEER_FIELDS
        rows = [self.render(model, i, o) for i, o in enumerate(st)]
        if method == "GET":
            return self.query_list(rows, data, fields)
        if method == "PUT":
            if not isinstance(data, list):
                raise ApiError(400, "ENDPOINT_REQUEST_DATA_MUST_BE_INDEXED_ARRAY",
                               "PUT requests to 'many' endpoints must contain an indexed array of "
                               "objects to replace.")
            new = []
            saved = s.tunnels if model == "tunnel" else None
            try:
                for item in data:
                    body = item if isinstance(item, dict) else {}
                    body = {k: v for k, v in body.items() if k != "id"}
                    if model == "tunnel":
                        # uniqueness is checked against the new set, not the replaced one
                        s.tunnels = new
                        new.append(self.build(model, body, None, None))
                    else:
                        new.append(self.build(model, body, None, None, peer_set=new))
            finally:
                if saved is not None:
                    s.tunnels = saved
            if model == "tunnel":
                s.tunnels = new
            else:
                s.peers = new
            s.mark_dirty()
            return [self.render(model, i, o) for i, o in enumerate(new)]
        if method == "DELETE":
            victims = self.delete_many_victims(rows, data, fields)
            if ctl_bool(data, "dry_run", False):
                return victims
            ids = {r["id"] for r in victims}
            kept = [o for i, o in enumerate(st) if i not in ids]
            if model == "tunnel":
                s.tunnels = kept
            else:
                s.peers = kept
            if victims:
                s.mark_dirty()                 # each Model::delete(apply: false): staged only
            return victims
        raise ApiError(405, "ENDPOINT_METHOD_NOT_ALLOWED", "method")

    def delete_many_victims(self, rows, data, fields):
        """Endpoint::delete on a plural endpoint (README "Plural DELETE"): `all=true` takes
        everything; otherwise the request data left after the control parameters are removed
        is the query, which must not be empty; `apply` is part of that query, never an apply."""
        if data.get("all") is True:
            return rows
        query = {k: v for k, v in data.items() if k not in STRIPPED_PARAMS}
        if not query:
            raise ApiError(400, "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS",
                           "At least one query parameter is required to perform mass deletion.")
        return self.query_list(rows, data, fields)

    def child_spec(self, model):
        return TUNNEL_ADDR if model == "tunnel" else PEER_AIP

    def child(self, model, method, data):
        s = self.sim
        st = self.store(model)
        spec = self.child_spec(model)
        pid = get_id(data, "parent_id")
        if not 0 <= pid < len(st):
            raise ApiError(404, "MODEL_PARENT_NOT_FOUND",
                           "Parent object with ID `%d` does not exist." % pid)
        parent = st[pid]
        items = parent[spec.field]
        sysaddr = s.system_addresses if model == "tunnel" else ()

        def rend(j):
            return dict({"parent_id": pid, "id": j}, **items[j])
        if method == "GET":
            j = get_id(data)
            if not 0 <= j < len(items):
                raise self.not_found(j)
            return rend(j)
        if method == "POST":
            body = {k: v for k, v in data.items() if k not in ("id", "parent_id")}
            new = validate_nested_item(spec, body, items, None, sysaddr)
            items.append(new)
            self.finish_write(data)
            return rend(len(items) - 1)
        if method == "PATCH":
            j = get_id(data)
            if not 0 <= j < len(items):
                raise self.not_found(j)
            merged = dict(items[j])
            for k in ("address", "mask", "descr"):
                if k in data:
                    merged[k] = data[k]
            items[j] = validate_nested_item(spec, merged, items, j, sysaddr)
            self.finish_write(data)
            return rend(j)
        if method == "DELETE":
            j = get_id(data)
            if not 0 <= j < len(items):
                raise self.not_found(j)
            out = rend(j)
            del items[j]
            self.finish_write(data)
            return out
        raise ApiError(405, "ENDPOINT_METHOD_NOT_ALLOWED", "method")

    def childplural(self, model, method, data):
        st = self.store(model)
        spec = self.child_spec(model)
        rows = [dict({"parent_id": i, "id": j}, **a)
                for i, o in enumerate(st) for j, a in enumerate(o[spec.field])]
        if method == "GET":
            return self.query_list(rows, data, CHILD_FIELDS)
        victims = self.delete_many_victims(rows, data, CHILD_FIELDS)
        if ctl_bool(data, "dry_run", False):
            return victims
        gone = {(r["parent_id"], r["id"]) for r in victims}
        for i, o in enumerate(st):
            o[spec.field] = [a for j, a in enumerate(o[spec.field]) if (i, j) not in gone]
        if victims:
            self.sim.mark_dirty()
        return victims


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class DropConnection(Exception):
    pass


def _no_constant(c):
    # PHP json_decode has no NaN/Infinity; Python would accept them
    raise ValueError(c)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, like nginx
    timeout = 120                       # idle keep-alive connections end eventually

    def version_string(self):
        return "nginx"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("pfsim: %s %s\n" % (self.address_string(), fmt % args))

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
                try:
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    raise DropConnection()
                if size == 0:
                    for _ in range(100):      # trailers
                        if self.rfile.readline(1024) in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > 16 * 1024 * 1024:
                    raise DropConnection()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise DropConnection()
        if n < 0 or n > 16 * 1024 * 1024:
            raise DropConnection()
        return self.rfile.read(n) if n else b""

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send_raw(self, status, data, ctype="application/json", headers=None, length=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def dispatch(self, method):
        try:
            raw_path, _, raw_query = self.path.partition("?")
            if raw_path == "/__sim" or raw_path.startswith("/__sim/"):
                return self.control(method, raw_path)
            self.api(method, raw_path, raw_query)
        except DropConnection:
            self.drop()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def api(self, method, raw_path, raw_query):
        sim = self.server.sim
        sim.enter(method)
        status = "aborted"
        try:
            if sim.down:
                with sim.clock:
                    sim.stats["refused_down"] += 1
                status = "refused-down"
                raise DropConnection()
            status = self.api_inner(sim, method, raw_path, raw_query)
        except DropConnection:
            if status == "aborted":
                status = "dropped"
            raise
        finally:
            sim.leave(status)

    def find_endpoint(self, sim, path):
        p = urllib.parse.unquote(path)
        if p.endswith("/") and len(p) > 1:
            p = p[:-1]                         # nginx serves the endpoint's index.php either way
        ep = ENDPOINTS.get(p)
        if ep is None:
            return None
        if ep.since and ver_tuple(sim.pkg)[:2] < ep.since:
            return None                        # an older package has no such endpoint file
        return ep

    def api_inner(self, sim, method, raw_path, raw_query):
        raw_body = self.read_body()
        pairs, qdata = parse_query(raw_query)
        dpath = urllib.parse.unquote(raw_path)
        body_obj, body_err = None, None
        if raw_body:
            try:
                body_obj = json.loads(raw_body.decode("utf-8"), parse_constant=_no_constant)
            except (ValueError, UnicodeDecodeError):
                body_err = True
        entry = {"method": method, "path": dpath, "query": {k: v for k, v in pairs},
                 "query_keys": [k for k, _ in pairs], "raw_query": raw_query,
                 "body": body_obj, "content_type": self.headers.get("Content-Type"),
                 "auth": None, "status": None, "t": time.time()}
        if body_err:
            entry["body_raw"] = raw_body.decode("utf-8", "replace")[:4096]
        sim.add_log(entry)

        fault = sim.take_fault(method, dpath)
        if sim.latency_ms:
            time.sleep(sim.latency_ms / 1000.0)
        kind = fault["kind"] if fault else None
        after = bool(fault and fault.get("apply"))
        if kind == "delay":
            time.sleep(float(fault.get("delay_ms", 1000)) / 1000.0)
        if kind == "drop" and not after:
            entry["status"] = "dropped"
            raise DropConnection()
        if kind == "status" and not after:
            return self.send_fault_status(fault, entry)
        if kind == "garbage":
            entry["status"] = 200
            self.send_raw(200, b"<html><body>\x00\xff garbage, not JSON</body></html>")
            return 200
        if kind == "huge":
            return self.send_huge(fault, entry)

        ep = self.find_endpoint(sim, raw_path)
        if ep is None:
            entry["status"] = 404
            self.send_raw(404, NGINX_404, "text/html")
            return 404
        if kind == "lock":
            time.sleep(float(fault.get("delay_ms", 0)) / 1000.0)   # pfrest retries ~60 times
            code, obj, headers = 503, envelope(503, "MODEL_WRITE_CONFIG_LOCKED",
                                               "Could not obtain a lock on the configuration. "
                                               "Please try again later.", []), {}
        else:
            code, obj, headers = self.process(sim, ep, method, qdata, body_obj, body_err,
                                              raw_body, entry)
        entry["status"] = code
        if kind == "drop":
            entry["status"] = "dropped-after-apply"
            raise DropConnection()
        if kind == "status":
            return self.send_fault_status(fault, entry)
        data = php_json(obj)
        if kind == "truncate":
            half = data[: max(1, len(data) // 2)]
            if fault.get("mode") == "eof":    # announce the full length, then hang up
                self.send_raw(code, half, length=len(data), headers=headers)
                raise DropConnection()
            self.send_raw(code, half, headers=headers)
            return code
        self.send_raw(code, data, headers=headers)
        return code

    def send_fault_status(self, fault, entry):
        st = int(fault.get("status", 500))
        body = fault.get("body", envelope(st, "ENDPOINT_RECEIVED_UNEXPECTED_ERROR",
                                          "Simulated fault", []))
        entry["status"] = st
        if body is None:
            self.send_raw(st, b"")
        elif isinstance(body, str):
            self.send_raw(st, body.encode(), "text/html")
        else:
            self.send_raw(st, php_json(body))
        return st

    def send_huge(self, fault, entry):
        size = max(80, int(fault.get("size", 64 * 1024 * 1024)))
        entry["status"] = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        # one envelope whose data is a single long string, exactly `size` bytes in total
        head = b'{"code":200,"status":"ok","response_id":"SUCCESS","message":"","data":["'
        tail = b'"]}\n'
        fill = max(0, size - len(head) - len(tail))
        self.wfile.write(head)
        piece = b"x" * 65536
        sent = 0
        while sent < fill:                    # bounded by size
            n = min(len(piece), fill - sent)
            self.wfile.write(piece[:n])
            sent += n
        self.wfile.write(tail)
        self.wfile.flush()
        self.close_connection = True
        return 200

    # ---- auth ----
    def basic_user(self, sim):
        h = self.headers.get("Authorization", "")
        if not h.lower().startswith("basic "):
            return None
        try:
            user, _, pw = base64.b64decode(h[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        u = sim.users.get(user)
        if u is None or not hmac.compare_digest(u["password"].encode(), pw.encode()):
            return None
        return ("basic:" + user, u["privileges"])

    def authenticate(self, sim, methods):
        """Auth::attempt_multi_auth: the first enabled method the client uses decides."""
        for m in methods:
            if m == "key":
                k = self.headers.get("X-API-Key")
                if k is None:
                    continue
                for name, info in sim.keys.items():
                    if hmac.compare_digest(name.encode(), k.encode()):
                        return ("key:" + name, info["privileges"])
                return None
            if m == "basic":
                if self.headers.get("Authorization", "").lower().startswith("basic "):
                    return self.basic_user(sim)
            if m == "jwt":
                h = self.headers.get("Authorization", "")
                if h.lower().startswith("bearer "):
                    tok = h[7:].strip()
                    with sim.clock:
                        hit = sim.jwt.get(tok)
                    if hit is None or hit[1] < time.time():
                        return None
                    u = sim.users.get(hit[0])
                    return ("jwt:" + hit[0], u["privileges"]) if u else None
        return None

    @staticmethod
    def authorized(privs, ep, method):
        if "page-all" in privs or ep.priv(method) in privs:
            return True
        if method == "GET":
            return "read" in privs
        return "write" in privs

    def process(self, sim, ep, method, qdata, body_obj, body_err, raw_body, entry):
        """Endpoint::process_request order: enabled, auth, Accept, method, request data, run."""
        try:
            if not sim.api_enabled:
                raise ApiError(503, "ENDPOINT_REST_API_IS_NOT_ENABLED",
                               "The REST API is currently not enabled.")
            if method != "OPTIONS":
                methods = ["basic"] if ep.kind == "jwt" else sim.auth_methods
                who = self.authenticate(sim, methods)
                if who is None:
                    raise ApiError(401, "AUTH_AUTHENTICATION_FAILED", "Authentication failed.")
                entry["auth"] = who[0]
                if ep.kind != "jwt" and not self.authorized(who[1], ep, method):
                    raise ApiError(403, "AUTH_AUTHORIZATION_FAILED",
                                   "Authorization failed. You do not have sufficient privileges "
                                   "to access this resource.")
            acc = (self.headers.get("Accept") or "").strip()
            if acc and not any(a.split(";")[0].strip().lower() in
                               ("application/json", "*/*", "application/*")
                               for a in acc.split(",")):
                raise ApiError(406, "ENDPOINT_ACCEPT_NOT_SUPPORTED",
                               "The requested Accept value '%s' is not supported by this endpoint."
                               % acc)
            if method == "OPTIONS":
                return 200, envelope(200, "SUCCESS", "", []), \
                    {"Allow": ", ".join(ep.methods + ("OPTIONS",))}
            if method not in ep.methods:
                raise ApiError(405, "ENDPOINT_METHOD_NOT_ALLOWED",
                               "Resource at %s does not support the requested HTTP method '%s'"
                               % (ep.url, method))
            if sim.read_only and method != "GET" and ep.kind != "jwt":
                raise ApiError(405, "ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE",
                               "Resource at %s cannot support the requested HTTP method `%s` "
                               "because the REST API is currently in read-only mode."
                               % (ep.url, method))
            # The Content-Type header picks the decoder, whatever the method (README "Request
            # data"): without one, GET/DELETE read the query string and POST/PUT/PATCH a JSON
            # body; with application/json a GET or DELETE decodes its (empty) body and never
            # looks at the query string.
            mime = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if not mime:
                mime = ("application/x-www-form-urlencoded" if method in ("GET", "DELETE")
                        else "application/json")
            entry["decoded_as"] = mime
            if mime == "application/x-www-form-urlencoded":
                # the query string, or the body when there is none
                data = qdata if entry["raw_query"] else parse_query(raw_body.decode("utf-8",
                                                                           "replace"))[1]
            elif mime == "application/json":
                if body_err:
                    raise ApiError(400, "JSON_CONTENT_HANDLER_COULD_NOT_DECODE_JSON",
                                   "Request body could not be decoded as JSON.")
                data = {} if body_obj is None else body_obj
                if isinstance(data, list) and not (ep.kind == "plural" and method == "PUT"):
                    data = {}                  # a PHP list has no field names
                elif not isinstance(data, (dict, list)):
                    data = {}
            elif mime == "application/octet-stream":
                raise ApiError(415, "CONTENT_HANDLER_CANNOT_DECODE_CONTENT",
                               "Content handler `%s` does not support decoding content. Change "
                               "the value of your `Content-Type` header to a valid option and "
                               "try again." % mime)
            else:
                raise ApiError(415, "CONTENT_HANDLER_DECODE_NOT_FOUND",
                               "No content handler exists for `%s`. Change the value of your "
                               "`Content-Type` header to a valid option and try again." % mime)
            if ep.kind == "plural" and method == "PUT" and isinstance(data, dict):
                raise ApiError(400, "ENDPOINT_REQUEST_DATA_MUST_BE_INDEXED_ARRAY",
                               "PUT requests to 'many' endpoints must contain an indexed array of "
                               "objects to replace.")
            if isinstance(data, dict):
                # Endpoint::validate_endpoint_fields checks the control parameters' types first
                for b in ("async", "reverse", "append", "remove"):
                    ctl_bool(data, b, False)
                for n in ("limit", "offset"):
                    ctl_int(data, n, 0)
                if ctl_bool(data, "dry_run", False) and method == "GET":
                    raise ApiError(400, "ENDPOINT_DRY_RUN_NOT_SUPPORTED_ON_GET",
                                   "The `dry_run` parameter is not supported on GET requests.")
                if "apply" in data and data["apply"] is not None and \
                        not isinstance(data["apply"], bool):
                    raise ApiError(400, "MODEL_APPLY_FIELD_INVALID_TYPE",
                                   "Field `apply` must be of type `boolean`.")
                if "placement" in data and data["placement"] is not None:
                    ctl_int(data, "placement", None)
            if ep.kind == "jwt":
                tok = secrets.token_urlsafe(32)
                with sim.clock:
                    sim.jwt[tok] = (entry["auth"].split(":", 1)[1], time.time() + 3600)
                return 200, envelope(200, "SUCCESS", "", {"token": tok}), {}
            res = self.server.engine.run(ep, method, data)
            return 200, envelope(200, "SUCCESS", "", res if res else []), {}
        except ApiError as e:
            return e.code, envelope(e.code, e.response_id, e.message, []), e.headers

    # ---- control API ----
    def control(self, method, path):
        sim = self.server.sim
        raw = self.read_body()
        try:
            req = json.loads(raw) if raw else {}
        except ValueError:
            return self.send_raw(400, b'{"error":"bad json"}')
        try:
            res = self.control_inner(sim, method, path, req)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            return self.send_raw(400, json.dumps({"error": repr(e)}).encode())
        if res is None:
            return self.send_raw(404, b'{"error":"no such control endpoint"}')
        self.send_raw(200, json.dumps(res, separators=(",", ":")).encode())

    def control_inner(self, sim, method, path, req):
        if method == "GET" and path == "/__sim/stats":
            with sim.clock:
                out = json.loads(json.dumps(sim.stats))
            with sim.lock:
                out.update(applies=sim.applies, generation=sim.generation, dirty=sim.dirty)
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
            if req["kind"] not in ("status", "drop", "truncate", "garbage", "huge", "delay",
                                   "lock"):
                raise ValueError("kind")
            f = dict(req)
            f["count"] = int(req.get("count", 1))
            if f["count"] <= 0:
                f["count"] = -1               # 0 or negative: until cleared
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
        if method == "POST" and path == "/__sim/peer-status":
            with sim.lock:
                pk = req["publickey"]
                if not any(p["publickey"] == pk for p in sim.peers):
                    raise ValueError("no peer with that publickey")
                rt = sim.peer_runtime.setdefault(pk, {})
                for k in ("transfer_rx", "transfer_tx", "latest_handshake"):
                    if k in req:
                        rt[k] = None if req[k] is None else int(req[k])
                if "endpoint" in req:
                    rt["endpoint"] = None if req["endpoint"] is None else str(req["endpoint"])
            return {"ok": True}
        if method == "POST" and path == "/__sim/config":
            with sim.lock:
                for k, attr in (("expose_sensitive", "expose_sensitive"),
                                ("read_only", "read_only"), ("api_enabled", "api_enabled"),
                                ("auto_name", "auto_name"),
                                ("reject_assigned_address_patch",
                                 "reject_assigned_address_patch")):
                    if k in req:
                        setattr(sim, attr, bool(req[k]))
                if "override_sensitive" in req:
                    sim.override_sensitive = set(str(x) for x in req["override_sensitive"])
                if "auth_methods" in req:
                    sim.auth_methods = parse_methods(req["auth_methods"])
                if "apply_delay_ms" in req:
                    sim.apply_delay_ms = int(req["apply_delay_ms"])
                if "pkg_version" in req:
                    ver_tuple(str(req["pkg_version"]))
                    sim.pkg = str(req["pkg_version"])
                if "keys" in req:
                    sim.keys = parse_keys(req["keys"])
            return {"ok": True}
        if method == "POST" and path == "/__sim/assign":
            with sim.lock:
                name = req["tunnel"]
                if sim.tunnel_index(name) is None:
                    raise ValueError("no such tunnel")
                if req.get("assigned", True):
                    sim.assigned.add(name)
                else:
                    sim.assigned.discard(name)
            return {"ok": True}
        if method == "POST" and path == "/__sim/system-address":
            with sim.lock:
                if req.get("clear"):
                    sim.system_addresses = []
                else:
                    a, m = str(req["address"]), int(req["mask"])
                    if not (is_ipv4(a) or is_ipv6(a)):
                        raise ValueError("address")
                    sim.system_addresses.append({"address": a, "mask": m})
            return {"ok": True}
        if method == "POST" and path == "/__sim/reset":
            sim.reset_state(bool(req.get("wg_enable", False)))
            return {"ok": True}
        if method == "GET" and path == "/__sim/state":
            with sim.lock:
                out = {"pkg_version": sim.pkg,
                       "tunnels": [sim.render_tunnel(i, t, True) for i, t in
                                   enumerate(sim.tunnels)],
                       "peers": [sim.render_peer(i, p, True) for i, p in enumerate(sim.peers)],
                       "settings": dict(sim.settings), "dirty": sim.dirty,
                       "generation": sim.generation, "applies": sim.applies,
                       "assigned": sorted(sim.assigned),
                       "system_addresses": list(sim.system_addresses),
                       "peer_runtime": copy.deepcopy(sim.peer_runtime),
                       "config": {"expose_sensitive": sim.expose_sensitive,
                                  "override_sensitive": sorted(sim.override_sensitive),
                                  "read_only": sim.read_only, "api_enabled": sim.api_enabled,
                                  "auto_name": sim.auto_name, "auth_methods": sim.auth_methods,
                                  "apply_delay_ms": sim.apply_delay_ms}}
                a = sim.applied
                out["applied_state"] = None if a is None else {
                    "running": a["running"], "settings": dict(a["settings"]),
                    "tunnels": [sim.render_tunnel(i, t, True) for i, t in enumerate(a["tunnels"])],
                    "peers": [sim.render_peer(i, p, True) for i, p in enumerate(a["peers"])]}
            with sim.clock:
                out["down"] = sim.down
                out["faults"] = list(sim.faults)
                out["latency_ms"] = sim.latency_ms
            return out
        return None


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, tls_ctx, verbose):
        self.sim = sim
        self.engine = Engine(sim)
        self.tls_ctx = tls_ctx
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


def parse_methods(v):
    names = v if isinstance(v, list) else [x for x in str(v).split(",") if x.strip()]
    alias = {"key": "key", "keyauth": "key", "basic": "basic", "basicauth": "basic",
             "jwt": "jwt", "jwtauth": "jwt", "bearer": "jwt"}
    out = []
    for n in names:
        m = alias.get(str(n).strip().lower())
        if m is None:
            raise ValueError("unknown auth method %r" % n)
        if m not in out:
            out.append(m)
    if not out:
        raise ValueError("no auth method")
    return out


def parse_privs(p):
    if isinstance(p, str):
        p = [x for x in p.split(",") if x]
    if not isinstance(p, list) or not all(isinstance(x, str) for x in p):
        raise ValueError("privileges must be a list of strings")
    return list(p)


def parse_keys(obj):
    if not isinstance(obj, dict):
        raise ValueError("keys must be an object")
    return {str(k): {"privileges": parse_privs((v or {}).get("privileges", ["read", "write"]))}
            for k, v in obj.items()}


def parse_users(obj):
    if not isinstance(obj, dict):
        raise ValueError("users must be an object")
    return {str(k): {"password": str(v.get("password", "")),
                     "privileges": parse_privs(v.get("privileges", ["read", "write"]))}
            for k, v in obj.items()}


def make_cert(tmpdir):
    cert, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "7", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return cert, key


def main(argv=None):
    ap = argparse.ArgumentParser(description="pfSense REST API v2 (pfrest) simulator")
    ap.add_argument("--port", type=int, required=True, help="TCP port (0 = any free port)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--https", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--pkg-version", default="2.10.0",
                    help="pfSense-pkg-RESTAPI version; 2.9.0+ has the WireGuard status endpoints")
    ap.add_argument("--keys", help='JSON file {"<key>": {"privileges": ["read","write"]}}')
    ap.add_argument("--users", help='JSON file {"<user>": {"password": "..", "privileges": [..]}}'
                                    ' for Basic/JWT (default admin/pfsense, read+write)')
    ap.add_argument("--auth-methods", default="key",
                    help="enabled methods in order: key,basic,jwt (default key)")
    ap.add_argument("--latency-ms", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--apply-delay-ms", type=int, default=0,
                    help="an async apply completes after this delay (dirty until then)")
    ap.add_argument("--expose-sensitive", action="store_true",
                    help="show sensitive fields (setting expose_sensitive_fields)")
    ap.add_argument("--override-sensitive", default="",
                    help="comma list like WireGuardPeer:presharedkey (override_sensitive_fields)")
    ap.add_argument("--read-only", action="store_true", help="REST API read-only mode")
    ap.add_argument("--api-disabled", action="store_true", help="REST API not enabled (503)")
    ap.add_argument("--auto-name", action="store_true",
                    help="ignore a client-supplied tunnel name on create, always tun_wgN")
    ap.add_argument("--wg-enable", action="store_true",
                    help="start with WireGuard settings enable=true (pfSense default: false)")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)

    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", a.pkg_version):
        ap.error("--pkg-version must look like 2.8.0")
    try:
        methods = parse_methods(a.auth_methods)
        if a.keys:
            with open(a.keys) as f:
                keys = parse_keys(json.load(f))
        else:
            keys = {"sim-key-rw": {"privileges": ["read", "write"]}}
        if a.users:
            with open(a.users) as f:
                users = parse_users(json.load(f))
        else:
            users = {"admin": {"password": "pfsense", "privileges": ["read", "write"]}}
    except (OSError, ValueError) as e:
        ap.error(str(e))

    tmpdir = None
    tls_ctx = None
    if a.https:
        cert, key = a.cert, a.key
        if not cert or not key:
            tmpdir = tempfile.mkdtemp(prefix="pfsim-")
            cert, key = make_cert(tmpdir)
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(cert, key)

    sim = Sim({"pkg_version": a.pkg_version, "keys": keys, "users": users,
               "auth_methods": methods, "latency_ms": a.latency_ms,
               "apply_delay_ms": a.apply_delay_ms, "expose_sensitive": a.expose_sensitive,
               "override_sensitive": [x for x in a.override_sensitive.split(",") if x],
               "read_only": a.read_only, "api_disabled": a.api_disabled,
               "auto_name": a.auto_name, "wg_enable": a.wg_enable})
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
            sys.stderr.write("pfsim: listening on %s:%d (%s, pkg %s)\n" %
                             (a.bind, port, "https" if a.https else "http", a.pkg_version))
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
