#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of tests/sim/pfsense_sim.py against spec/pfsense-rest.md section 8 (+ Addendum).

Starts the simulator as subprocesses on ephemeral ports (--port 0) (HTTPS with a self-signed
certificate generated here with the openssl CLI, HTTPS with a certificate the simulator generates,
plus plain-HTTP instances for other package versions / auth settings) and checks each checklist
item over the wire. TAP output; exit 1 on failure.
"""
import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "pfsense_sim.py")
sys.dont_write_bytecode = True          # keep tests/sim free of __pycache__
sys.path.insert(0, HERE)
import pfsense_sim as ps  # noqa: E402  (unit checks of the pure helpers)
import routeros_sim as rs  # noqa: E402  (key generation for the requests)

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE            # wg-portal's sample config skips verification too

# A known WireGuard key pair; checked with `wg pubkey` by the RouterOS simulator's self-test.
KNOWN_PRIV = "eOyxaWNoO1B3hWJZhAaO0HlmwuCwuvNk6+mWbDwStng="
KNOWN_PUB = "pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE="
PK1 = "K+9cvsvV89R9XmGM/nVQM4c7GaGTtsSUeEAOQ4J9Gms="
PK2 = "fJMCj5qimlKtRFgUdkYi3PNf5BpsC7puT7q1Hwg9EUs="
PK3 = "ab+c/d01234567890123456789012345678901234Ac="   # has + and / for query encoding
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
RW = {"X-API-Key": "sim-key-rw"}
RO = {"X-API-Key": "ro-key"}
W = "/api/v2/vpn/wireguard"

n_tests = 0
n_fail = 0


def ok(cond, name, info=None):
    global n_tests, n_fail
    n_tests += 1
    if cond:
        print("ok %d - %s" % (n_tests, name))
    else:
        n_fail += 1
        print("not ok %d - %s" % (n_tests, name))
        if info is not None:
            for line in str(info).splitlines()[:20]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


class SimProc:
    """One simulator on an ephemeral port (--port 0): the kernel picks a free port and the
    simulator writes it to the ready file, so concurrent runs never collide."""
    _n = 0

    def __init__(self, tmp, used, args, https=False):
        SimProc._n += 1
        self.ready = os.path.join(tmp, "ready-%d" % SimProc._n)
        self.errf = open(os.path.join(tmp, "sim-%d.err" % SimProc._n), "w+")
        self.https = https
        self.port = None
        cmd = [sys.executable, SIM, "--port", "0", "--ready-file", self.ready] + args
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.p.poll() is not None:
                break
            try:
                with open(self.ready) as f:
                    self.port = int(f.read().strip())
                break
            except (OSError, ValueError):
                time.sleep(0.05)
        self.base = "%s://127.0.0.1:%s" % ("https" if https else "http", self.port)

    def alive(self):
        return os.path.exists(self.ready) and self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.errf.seek(0)
        return self.errf.read()


class Resp:
    def __init__(self, st, h, raw):
        self.st, self.h, self.raw = st, h, raw
        try:
            self.j = json.loads(raw) if raw else None
        except ValueError:
            self.j = None

    @property
    def rid(self):
        return (self.j or {}).get("response_id") if isinstance(self.j, dict) else None

    @property
    def data(self):
        return self.j.get("data") if isinstance(self.j, dict) else None

    @property
    def msg(self):
        return self.j.get("message") if isinstance(self.j, dict) else None

    def __repr__(self):
        return "%s %s" % (self.st, self.raw[:600] if isinstance(self.raw, bytes) else self.raw)


def call(sim, method, path, body=None, headers=RW, raw=None, query=None, ctype=None,
         timeout=30):
    url = sim.base + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    hdrs = {"Accept": "application/json"}
    data = raw
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        hdrs["Content-Type"] = "application/json"
    if ctype is not None:
        if ctype:
            hdrs["Content-Type"] = ctype
        else:
            hdrs.pop("Content-Type", None)
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=CTX if sim.https else None) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        return Resp(None, None, repr(e).encode())


def bare_post(sim, path, raw):
    """A POST with a body and no Content-Type header at all (urllib would add one)."""
    conn = http.client.HTTPSConnection("127.0.0.1", sim.port, timeout=30, context=CTX) \
        if sim.https else http.client.HTTPConnection("127.0.0.1", sim.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        for k, v in dict(RW, Accept="application/json", **{"Content-Length": str(len(raw))}
                         ).items():
            conn.putheader(k, v)
        conn.endheaders(raw)
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        conn.close()


def ctl(sim, method, path, body=None):
    r = call(sim, method, "/__sim/" + path, body=body, headers={})
    if r.st != 200:
        raise RuntimeError("control %s %s -> %r" % (method, path, r))
    return r.j


def is_env(r, code, rid):
    """The pfrest envelope: HTTP status = code, lower-case status, data [] on errors."""
    j = r.j
    return (r.st == code and isinstance(j, dict)
            and list(j)[:5] == ["code", "status", "response_id", "message", "data"]
            and j["code"] == code and j["status"] == ps.REASON[code]
            and j["response_id"] == rid and (code == 200 or j["data"] == []))


def run(tmp):
    used = set()
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    keys = {"sim-key-rw": {"privileges": ["read", "write"]},
            "ro-key": {"privileges": ["read"]},
            "peers-only": {"privileges": ["api-v2-vpn-wireguard-peers-get"]},
            "all-key": {"privileges": ["page-all"]}}
    kf = os.path.join(tmp, "keys.json")
    with open(kf, "w") as f:
        json.dump(keys, f)
    uf = os.path.join(tmp, "users.json")
    with open(uf, "w") as f:
        json.dump({"admin": {"password": "pfsense", "privileges": ["read", "write"]}}, f)

    # ---- pure helpers ----
    ok(ps.php_json({"k": "ab/cd=", "u": "\u00e9"}) == b'{"k":"ab\\/cd=","u":"\\u00e9"}\n',
       "3: PHP json_encode: `/` escaped, non-ASCII as \\uXXXX, trailing newline")
    ok([ps.infer(x) for x in ("true", "false", "null", "3", "1.5", "10.0.0.1", "abc")] ==
       [True, False, None, 3, 1.5, "10.0.0.1", "abc"], "4: query type inference")
    ok(ps.php_loose_eq(51820, "51820") and ps.php_loose_eq("1e1", "10")
       and not ps.php_loose_eq("abc", 0) and ps.php_loose_eq(None, "")
       and ps.php_loose_eq(True, "x") and not ps.php_loose_eq("a", "b"),
       "10: PHP 8 loose == for the exact filter")
    ok(rs.wg_pubkey(KNOWN_PRIV) == KNOWN_PUB, "X25519 imported from routeros_sim derives the "
       "known public key")
    unclamped = base64.b64encode(b"\xff" * 32).decode()
    ok(ps.clamp_key(unclamped) == base64.b64encode(b"\xf8" + b"\xff" * 30 + b"\x7f").decode(),
       "7: private key clamping")

    main = SimProc(tmp, used, ["--https", "--cert", cert, "--key", key, "--pkg-version", "2.9.0",
                               "--keys", kf, "--users", uf, "--auth-methods", "key,basic,jwt",
                               "--apply-delay-ms", "400"], https=True)
    old = SimProc(tmp, used, ["--pkg-version", "2.8.0"])
    basic = SimProc(tmp, used, ["--auth-methods", "basic", "--https"], https=True)  # own cert
    flags = SimProc(tmp, used, ["--read-only", "--expose-sensitive", "--auto-name"])
    sims = [main, old, basic, flags]
    try:
        ok(all(s.alive() for s in sims), "simulators start (HTTPS with given and generated "
           "certificates, HTTP) and write the ready file")
        if not all(s.alive() for s in sims):
            return
        with open(main.ready) as f:
            ok(f.read().strip() == str(main.port), "ready file holds the port number")
        checks(main, old, basic, flags)
    finally:
        for s in sims:
            err = s.stop()
            if "Traceback" in err:
                ok(False, "simulator on %d logged no traceback" % s.port, err[-3000:])


def mk_tunnel(sim, **kw):
    body = {"privatekey": rs.wg_genkey()}
    body.update(kw)
    return call(sim, "POST", W + "/tunnel", body)


def mk_peer(sim, **kw):
    body = {"publickey": rs.wg_pubkey(rs.wg_genkey())}
    body.update(kw)
    return call(sim, "POST", W + "/peer", body)


def wait_applied(sim, gen, limit=5.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        st = ctl(sim, "GET", "stats")
        if st["generation"] >= gen and not st["dirty"]:
            return st
        time.sleep(0.05)
    return ctl(sim, "GET", "stats")


def checks(main, old, basic, flags):
    # ---------- 1: endpoints over HTTPS, HTML 404 for unknown paths ----------
    r = call(main, "GET", W + "/tunnels")
    ok(is_env(r, 200, "SUCCESS") and r.data == [] and r.msg == "",
       "1/3: HTTPS GET /tunnels -> envelope with data []", r)
    for ep in ("/tunnel/addresses", "/peers", "/peer/allowed_ips", "/settings", "/apply"):
        r = call(main, "GET", W + ep)
        ok(is_env(r, 200, "SUCCESS"), "1: GET %s answers" % ep, r)
    r = call(main, "GET", W + "/peer/0")
    ok(r.st == 404 and b"<html>" in r.raw and r.j is None
       and r.h.get("Content-Type", "").startswith("text/html"),
       "1: path-style id /peer/0 -> nginx HTML 404", r)
    r = call(main, "GET", "/api/v2/api/v2/vpn/wireguard/tunnels")
    ok(r.st == 404 and b"<html>" in r.raw, "1: doubled /api/v2 -> HTML 404", r)
    r = call(main, "GET", W + "/tunnels/")
    ok(r.st == 200, "1: trailing slash served like nginx does", r)

    # ---------- 2: auth ----------
    r = call(main, "GET", W + "/tunnels", headers={})
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED") and r.msg == "Authentication failed.",
       "2: no credentials -> 401 AUTH_AUTHENTICATION_FAILED", r)
    r = call(main, "GET", W + "/tunnels", headers={"X-API-Key": "nope"})
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED"), "2: unknown key -> 401", r)
    auth = "Basic " + base64.b64encode(b"admin:pfsense").decode()
    r = call(main, "GET", W + "/tunnels", headers={"Authorization": auth})
    ok(is_env(r, 200, "SUCCESS"), "2: Basic auth accepted when enabled", r)
    bad = "Basic " + base64.b64encode(b"admin:wrong").decode()
    r = call(main, "GET", W + "/tunnels", headers={"Authorization": bad})
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED"), "2: wrong Basic password -> 401", r)
    r = call(main, "POST", "/api/v2/auth/jwt", {}, headers={"Authorization": auth})
    tok = (r.data or {}).get("token") if isinstance(r.data, dict) else None
    ok(is_env(r, 200, "SUCCESS") and tok, "2: POST /auth/jwt with Basic -> token", r)
    r = call(main, "GET", W + "/tunnels", headers={"Authorization": "Bearer %s" % tok})
    ok(is_env(r, 200, "SUCCESS"), "2: Bearer token accepted", r)
    r = call(main, "GET", W + "/tunnels", headers={"Authorization": "Bearer x%s" % tok})
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED"), "2: bad Bearer token -> 401", r)
    r = call(main, "POST", W + "/tunnel", {"privatekey": rs.wg_genkey()}, headers=RO)
    ok(is_env(r, 403, "AUTH_AUTHORIZATION_FAILED") and r.msg ==
       "Authorization failed. You do not have sufficient privileges to access this resource.",
       "2: read-only key write -> 403 AUTH_AUTHORIZATION_FAILED", r)
    r = call(main, "POST", W + "/apply", {}, headers=RO)
    ok(is_env(r, 403, "AUTH_AUTHORIZATION_FAILED"), "2: read-only key cannot apply", r)
    r = call(main, "GET", W + "/tunnels", headers=RO)
    ok(is_env(r, 200, "SUCCESS"), "2: read-only key can read", r)
    r = call(main, "GET", W + "/peers", headers={"X-API-Key": "peers-only"})
    r2 = call(main, "GET", W + "/tunnels", headers={"X-API-Key": "peers-only"})
    ok(r.st == 200 and is_env(r2, 403, "AUTH_AUTHORIZATION_FAILED"),
       "2: per-endpoint pfSense privilege api-v2-vpn-wireguard-peers-get", (r, r2))
    r = call(main, "DELETE", W + "/tunnels", query={"all": "true"},
             headers={"X-API-Key": "all-key"})
    ok(is_env(r, 200, "SUCCESS"), "2: page-all grants everything", r)
    r = call(old, "GET", W + "/tunnels", headers={"X-API-Key": "sim-key-rw"})
    ok(is_env(r, 200, "SUCCESS"), "2: default key sim-key-rw (read+write) works", r)
    r = call(old, "GET", W + "/tunnels", headers={"Authorization": auth})
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED"),
       "2: Basic refused when only KeyAuth is enabled (default)", r)
    r = call(basic, "GET", W + "/tunnels", headers=RW)
    ok(is_env(r, 401, "AUTH_AUTHENTICATION_FAILED"),
       "2: --auth-methods basic -> X-API-Key refused with 401", r)
    r = call(basic, "GET", W + "/tunnels", headers={"Authorization": auth})
    ok(is_env(r, 200, "SUCCESS"), "2: --auth-methods basic accepts Basic (HTTPS, generated "
       "cert)", r)
    r = call(flags, "POST", W + "/tunnel", {"privatekey": rs.wg_genkey()})
    ok(is_env(r, 405, "ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE") and "read-only" in r.msg,
       "2: read-only mode -> 405 for writes", r)
    r = call(flags, "GET", W + "/tunnels")
    ok(is_env(r, 200, "SUCCESS"), "2: read-only mode still reads", r)
    ctl(old, "POST", "config", {"api_enabled": False})
    r = call(old, "GET", W + "/tunnels", headers={})
    ok(is_env(r, 503, "ENDPOINT_REST_API_IS_NOT_ENABLED") and
       r.msg == "The REST API is currently not enabled.",
       "2: API disabled -> 503 (checked before auth)", r)
    ctl(old, "POST", "config", {"api_enabled": True})

    # ---------- 3: envelope details ----------
    r = call(main, "POST", W + "/tunnels", {})
    ok(is_env(r, 405, "ENDPOINT_METHOD_NOT_ALLOWED") and r.msg ==
       "Resource at /api/v2/vpn/wireguard/tunnels does not support the requested HTTP "
       "method `POST`", "3/5: wrong method -> 405 with backticks instead of quotes", r)
    ok(r.raw.endswith(b"\n") and b"\\/api\\/v2" in r.raw, "3: raw reply escapes / and ends with "
       "a newline", r.raw[:200])
    r = call(main, "PATCH", W + "/apply", {})
    ok(is_env(r, 405, "ENDPOINT_METHOD_NOT_ALLOWED"), "5: PATCH /apply -> 405", r)
    r = call(main, "GET", W + "/tunnels", headers=dict(RW, Accept="text/html"))
    ok(is_env(r, 406, "ENDPOINT_ACCEPT_NOT_SUPPORTED"), "3: bad Accept -> 406", r)
    r = call(main, "POST", W + "/tunnel", raw=b"privatekey=x", ctype="text/plain")
    ok(is_env(r, 415, "CONTENT_HANDLER_DECODE_NOT_FOUND"), "3: bad Content-Type -> 415", r)
    r = call(main, "POST", W + "/tunnel", raw=b"{bad json", ctype="application/json")
    ok(is_env(r, 400, "JSON_CONTENT_HANDLER_COULD_NOT_DECODE_JSON"), "4: broken JSON -> 400", r)

    # ---------- 7: tunnel rules ----------
    pk0 = rs.wg_genkey()
    r = call(main, "POST", W + "/tunnel", {"privatekey": pk0, "id": 9, "unknown": 1,
                                          "disabled": "false",
                                          "addresses": [{"address": "10.11.12.1", "mask": 24}]})
    d = r.data or {}
    ok(is_env(r, 200, "SUCCESS") and d.get("id") == 0 and d.get("name") == "tun_wg0"
       and d.get("listenport") == "51820" and d.get("mtu") == 1420 and d.get("enabled") is True
       and d.get("descr") == "" and d.get("publickey") == rs.wg_pubkey(pk0)
       and "privatekey" not in d and d.get("addresses") == [
           {"parent_id": 0, "id": 0, "address": "10.11.12.1", "mask": 24, "descr": ""}],
       "7: create: defaults, auto name tun_wg0, id dropped, unknown keys ignored, real "
       "public key, private key hidden", r)
    ok(list(d)[:8] == ["id", "name", "enabled", "descr", "listenport", "publickey", "mtu",
                       "addresses"], "7: field order as pfrest", list(d))
    r = mk_tunnel(main, listenport="51821")
    ok(is_env(r, 200, "SUCCESS") and r.data["name"] == "tun_wg1", "7: next free tun_wgN", r)
    r = mk_tunnel(main, listenport="51820")
    ok(is_env(r, 400, "FIELD_MUST_BE_UNIQUE") and r.msg ==
       "Field `listenport` must be unique. Value is in use by object with ID `0`.",
       "7: duplicate listenport -> FIELD_MUST_BE_UNIQUE", r)
    r = mk_tunnel(main, listenport=51822)
    ok(is_env(r, 400, "FIELD_INVALID_TYPE") and
       r.msg == "Field `listenport` must be of type `string`", "4/7: int listenport -> 400", r)
    r = mk_tunnel(main, listenport="51822", mtu="1420")
    ok(is_env(r, 400, "FIELD_INVALID_TYPE") and r.msg == "Field `mtu` must be of type `integer`",
       "4/7: string mtu -> 400", r)
    r = mk_tunnel(main, listenport="51822", mtu=1420.0)
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "4: float mtu -> 400", r)
    r = mk_tunnel(main, listenport="51822", enabled="true")
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "4: string enabled -> 400", r)
    r = mk_tunnel(main, listenport="70000")
    ok(is_env(r, 400, "PORT_FIELD_INVALID"), "7: listenport out of range -> 400", r)
    r = call(main, "POST", W + "/tunnel", {"listenport": "51822"})
    ok(is_env(r, 400, "FIELD_IS_REQUIRED") and r.msg == "Field `privatekey` is required.",
       "7: privatekey required", r)
    r = call(main, "POST", W + "/tunnel", {"listenport": "51822", "privatekey": ""})
    ok(is_env(r, 400, "FIELD_EMPTY_NOT_ALLOWED"), "7: empty privatekey -> 400", r)
    r = call(main, "POST", W + "/tunnel", {"listenport": "51822", "privatekey": "x" * 44})
    ok(is_env(r, 400, "WIREGUARD_TUNNEL_INVALID_PRIVATE_KEY"), "7: invalid privatekey -> 400", r)
    uncl = base64.b64encode(b"\x07" + b"\x11" * 30 + b"\xff").decode()
    r = mk_tunnel(main, listenport="51822", privatekey=uncl)
    st = ctl(main, "GET", "state")
    t2 = [t for t in st["tunnels"] if t["listenport"] == "51822"]
    ok(r.st == 200 and t2 and t2[0]["privatekey"] == ps.clamp_key(uncl)
       and t2[0]["publickey"] == rs.wg_pubkey(uncl), "7: private key stored clamped", (r, t2))
    r = mk_tunnel(main, listenport="51823", addresses=[{"address": "10.0.0.1", "mask": 0}])
    ok(is_env(r, 400, "NUMERIC_RANGE_VALIDATOR_MINIMUM_CONSTRAINT") and r.msg.startswith(
        "Field `addresses` encountered a nested validation error: Field `mask` must be greater "
        "than or equal to `1`"), "7: tunnel address mask 0 -> nested 400", r)
    r = mk_tunnel(main, listenport="51823", addresses=[{"address": "fd00::1", "mask": 129}])
    ok(is_env(r, 400, "NUMERIC_RANGE_VALIDATOR_MAXIMUM_CONSTRAINT"), "7: mask 129 -> 400", r)
    r = mk_tunnel(main, listenport="51823", addresses=[{"address": "10.0.0.1", "mask": 24},
                                                       {"address": "10.0.0.1", "mask": 24}])
    ok(is_env(r, 400, "FIELD_MUST_BE_UNIQUE") and "nested validation error" in r.msg,
       "7: duplicate address+mask in one tunnel -> nested 400", r)
    r = mk_tunnel(main, listenport="51823", addresses=[{"address": "10.0.0.1/24", "mask": 24}])
    ok(is_env(r, 400, "IP_ADDRESS_VALIDATOR_FAILED"), "7: CIDR in address -> 400", r)
    r = mk_tunnel(main, listenport="51823", addresses="10.0.0.1/24")
    ok(is_env(r, 400, "FIELD_INVALID_MANY_VALUE"), "7: addresses as a string -> 400", r)
    ctl(main, "POST", "system-address", {"address": "192.168.1.1", "mask": 24})
    r = mk_tunnel(main, listenport="51823", addresses=[{"address": "192.168.1.1", "mask": 24}])
    ok(is_env(r, 400, "WIREGUARD_TUNNEL_ADDRESS_AND_MASK_ALREADY_IN_USE") and r.msg ==
       "Field `addresses` encountered a nested validation error: This tunnel`s `address` and "
       "`mask` is already in use on this system.", "7: injected address conflict -> nested 400",
       r)
    ctl(main, "POST", "system-address", {"clear": True})
    r = mk_tunnel(main, listenport="51824", name="tun_custom")
    ok(r.st == 200 and r.data["name"] == "tun_custom", "7: supplied name honoured by default",
       r)
    r = mk_tunnel(main, listenport="51825", name="tun_custom")
    ok(is_env(r, 400, "FIELD_MUST_BE_UNIQUE"), "7: duplicate supplied name -> 400", r)
    ctl(flags, "POST", "config", {"read_only": False})
    r = mk_tunnel(flags, name="wgportal0")
    ok(r.st == 200 and r.data["name"] == "tun_wg0" and "privatekey" in r.data,
       "7: --auto-name ignores the name; --expose-sensitive shows privatekey", r)

    # ---------- 9: PATCH ----------
    tid = call(main, "GET", W + "/tunnels", query={"name": "tun_wg0"}).data[0]["id"]
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "descr": "Road warriors"})
    ok(r.st == 200 and r.data["descr"] == "Road warriors" and r.data["mtu"] == 1420
       and r.data["addresses"][0]["address"] == "10.11.12.1" and
       r.data["publickey"] == rs.wg_pubkey(pk0),
       "9: PATCH is partial (other fields and addresses kept)", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "name": "tun_wg9"})
    ok(is_env(r, 400, "FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE"), "7: name immutable on PATCH", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "name": "tun_wg0", "mtu": 1380})
    ok(r.st == 200 and r.data["mtu"] == 1380, "7: same name on PATCH is fine", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "privatekey": ""})
    ok(is_env(r, 400, "FIELD_EMPTY_NOT_ALLOWED"),
       "9: PATCH with empty privatekey (hidden-key round trip) -> 400", r)
    r = call(main, "PATCH", W + "/tunnel", {"mtu": 1400})
    ok(is_env(r, 400, "MODEL_REQUIRES_ID") and r.msg == "Field `id` is required.",
       "9: PATCH without id -> MODEL_REQUIRES_ID", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": 77, "mtu": 1400})
    ok(is_env(r, 404, "MODEL_OBJECT_NOT_FOUND") and r.msg == "Object with ID `77` does not exist.",
       "9: PATCH unknown id -> 404", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": "0", "mtu": 1400})
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "4: string id in JSON body -> 400", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "addresses": [
        {"address": "10.11.13.1", "mask": 24}], "append": True})
    ok(r.st == 200 and [a["address"] for a in r.data["addresses"]] == ["10.11.12.1",
                                                                      "10.11.13.1"],
       "5/9: append=true adds to the array", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "addresses": [
        {"address": "10.11.12.1", "mask": 24}], "remove": True})
    ok(r.st == 200 and [a["address"] for a in r.data["addresses"]] == ["10.11.13.1"],
       "5/9: remove=true removes from the array", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "addresses": [
        {"address": "10.11.12.1", "mask": 24}]})
    ok(r.st == 200 and [a["address"] for a in r.data["addresses"]] == ["10.11.12.1"],
       "9: arrays replaced wholesale otherwise", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "append": "yes"})
    ok(is_env(r, 400, "ENDPOINT_APPEND_FIELD_INVALID_TYPE"), "5: append must be boolean", r)
    r = call(main, "GET", W + "/tunnel")
    ok(is_env(r, 400, "MODEL_REQUIRES_ID"), "9: singular GET without id -> 400", r)
    r = call(main, "GET", W + "/tunnel", query={"id": 7})
    ok(is_env(r, 404, "MODEL_OBJECT_NOT_FOUND"), "9: singular GET unknown id -> 404", r)
    r = call(main, "GET", W + "/tunnel", query={"id": tid})
    ok(r.st == 200 and r.data["name"] == "tun_wg0" and "privatekey" not in r.data,
       "9: singular GET by ?id= (query typed as int)", r)

    # ---------- 12: settings, assigned tunnels ----------
    r = call(main, "GET", W + "/settings")
    ok(r.st == 200 and r.data.get("enable") is False and r.data.get("keep_conf") is True
       and r.data.get("resolve_interval") == 300 and r.data.get("interface_group") == "all",
       "12: settings singleton defaults (enable false)", r)
    r = call(main, "PATCH", W + "/settings", {"enable": "true"})
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "12: settings strict types", r)
    r = call(main, "PATCH", W + "/settings", {"interface_group": "some"})
    ok(is_env(r, 400, "FIELD_INVALID_CHOICE"), "12: interface_group choices", r)
    r = call(main, "PATCH", W + "/settings", {"enable": True})
    ok(r.st == 200 and r.data["enable"] is True, "12: PATCH settings enable", r)
    ctl(main, "POST", "assign", {"tunnel": "tun_wg0"})
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "enabled": False})
    ok(is_env(r, 409, "WIREGUARD_TUNNEL_CANNOT_BE_DISABLED_WHILE_IN_USE_BY_INTERFACE"),
       "12: disabling an assigned tunnel -> 409", r)
    r = call(main, "PATCH", W + "/settings", {"enable": False})
    ok(r.st == 409, "12: disabling WireGuard while a tunnel is assigned -> 409", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "descr": "x", "addresses": [
        {"address": "10.11.12.1", "mask": 24}]})
    ok(r.st == 200 and r.data["addresses"] == [],
       "12: 2.9+: any update of an assigned tunnel scrubs its addresses", r)
    ctl(main, "POST", "assign", {"tunnel": "tun_wg0", "assigned": False})
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "addresses": [
        {"address": "10.11.12.1", "mask": 24}]})
    ok(r.st == 200 and len(r.data["addresses"]) == 1, "12: unassigned again: addresses kept", r)
    r = call(old, "POST", W + "/tunnel", {"privatekey": rs.wg_genkey(), "addresses": [
        {"address": "10.31.0.1", "mask": 24}]})
    ctl(old, "POST", "assign", {"tunnel": r.data["name"]})
    ctl(old, "POST", "config", {"reject_assigned_address_patch": True})
    r2 = call(old, "PATCH", W + "/tunnel", {"id": r.data["id"], "addresses": [
        {"address": "10.31.0.1", "mask": 24}]})
    ok(is_env(r2, 400, "WIREGUARD_TUNNEL_ADDRESS_AND_MASK_ALREADY_IN_USE"),
       "12: 2.8 (pfrest #902): resending an assigned tunnel's address -> 400", r2)
    r2 = call(old, "PATCH", W + "/tunnel", {"id": r.data["id"], "descr": "x"})
    ok(r2.st == 200, "12: #902 only hits PATCHes that send addresses", r2)
    ctl(old, "POST", "config", {"reject_assigned_address_patch": False})
    ctl(old, "POST", "assign", {"tunnel": r.data["name"], "assigned": False})
    call(old, "DELETE", W + "/tunnel", query={"id": r.data["id"], "apply": "true"})

    # ---------- 8: peer rules ----------
    r = call(main, "POST", W + "/peer", {"publickey": PK1, "tun": "tun_wg0",
                                        "presharedkey": PSK,
                                        "allowedips": [{"address": "10.11.12.2", "mask": 32}]})
    d = r.data or {}
    ok(is_env(r, 200, "SUCCESS") and d.get("enabled") is False and d.get("endpoint") is None
       and d.get("port") is None and d.get("persistentkeepalive") is None
       and d.get("descr") == "" and "presharedkey" not in d and d.get("allowedips") ==
       [{"parent_id": 0, "id": 0, "address": "10.11.12.2", "mask": 32, "descr": ""}],
       "8: peer defaults (enabled false, endpoint/port/keepalive null), PSK hidden", r)
    st = ctl(main, "GET", "state")
    ok(st["peers"][0]["presharedkey"] == PSK, "8: control state shows the stored PSK",
       st["peers"])
    r = mk_peer(main, tun="wg9")
    ok(is_env(r, 404, "FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND") and r.msg ==
       "Field `tun` could not locate `WireGuard Tunnel` object with `name` set to `wg9`",
       "8: unknown tun -> 404", r)
    r = mk_peer(main)
    ok(r.st == 200 and r.data["tun"] == "unassigned", "8: tun defaults to unassigned", r)
    r = mk_peer(main, tun="tun_wg0", endpoint="1.2.3.4:51820")
    ok(is_env(r, 400, "IP_ADDRESS_VALIDATOR_FAILED") and r.msg ==
       "Field `endpoint` must be a valid IPv4 address, received `1.2.3.4:51820`.",
       "8: endpoint host:port -> 400", r)
    r = mk_peer(main, tun="tun_wg0", endpoint="vpn.example.com", enabled=True)
    ok(r.st == 200 and r.data["port"] == "51820" and r.data["endpoint"] == "vpn.example.com",
       "8: FQDN endpoint, port defaults to 51820 when endpoint set", r)
    r = mk_peer(main, tun="tun_wg0", endpoint="2001:db8::1", port="1234", enabled=True,
                persistentkeepalive=25)
    ok(r.st == 200 and r.data["port"] == "1234" and r.data["persistentkeepalive"] == 25,
       "8: IPv6 endpoint + string port + int keepalive", r)
    r = mk_peer(main, persistentkeepalive=70000)
    ok(is_env(r, 400, "NUMERIC_RANGE_VALIDATOR_MAXIMUM_CONSTRAINT"), "8: keepalive > 65535", r)
    r = mk_peer(main, persistentkeepalive="25")
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "8: keepalive as string -> 400", r)
    r = mk_peer(main, endpoint="1.2.3.4", port=51820)
    ok(is_env(r, 400, "FIELD_INVALID_TYPE"), "8: int port -> 400", r)
    r = call(main, "POST", W + "/peer", {"tun": "tun_wg0"})
    ok(is_env(r, 400, "FIELD_IS_REQUIRED") and "publickey" in r.msg, "8: publickey required", r)
    r = call(main, "POST", W + "/peer", {"publickey": PK1, "tun": "tun_wg1"})
    ok(is_env(r, 400, "FIELD_MUST_BE_UNIQUE") and r.msg.endswith("object with ID `0`."),
       "8: publickey unique across tunnels", r)
    r = mk_peer(main, presharedkey="not-a-key")
    ok(is_env(r, 400, "WIREGUARD_PEER_PRESHAREDKEY_INVALID"), "8: bad PSK -> 400", r)
    r = mk_peer(main, allowedips=[{"address": "0.0.0.0", "mask": 0}], presharedkey="")
    ok(r.st == 200 and r.data["allowedips"][0]["mask"] == 0,
       "8: allowed IP mask 0 accepted, empty PSK accepted", r)
    r = mk_peer(main, allowedips=[{"address": "10.0.0.1", "mask": "32"}])
    ok(is_env(r, 400, "FIELD_INVALID_TYPE") and "nested validation error" in r.msg,
       "8: string mask -> nested FIELD_INVALID_TYPE", r)
    r = call(main, "PATCH", W + "/peer", {"id": 0, "descr": "alice"})
    st = ctl(main, "GET", "state")
    ok(r.st == 200 and st["peers"][0]["presharedkey"] == PSK and r.data["allowedips"],
       "9: peer PATCH without presharedkey keeps it", r)
    r = call(main, "PATCH", W + "/peer", {"id": 0, "presharedkey": ""})
    st = ctl(main, "GET", "state")
    ok(r.st == 200 and st["peers"][0]["presharedkey"] == "",
       "8/9: PATCH with empty presharedkey clears it (wg-portal import bug)", st["peers"][0])

    # ---------- 10: filters ----------
    r = call(main, "GET", W + "/peers", query={"publickey": PK1, "tun": "tun_wg0"})
    ok(r.st == 200 and len(r.data) == 1 and r.data[0]["id"] == 0, "10: exact filters ANDed", r)
    r = call(main, "GET", W + "/tunnels", query={"listenport": 51820})
    ok(r.st == 200 and [t["name"] for t in r.data] == ["tun_wg0"],
       "10: loose == (int query matches string listenport)", r)
    r = call(main, "GET", W + "/peers", query={"publickey": "nope"})
    ok(r.st == 200 and r.data == [], "10: no match -> []", r)
    r = call(main, "GET", W + "/peers", query={"publikey": "typo"})
    ok(r.st == 200 and len(r.data) >= 5, "4/10: unknown query field ignored (returns all)", r)
    r = call(main, "GET", W + "/tunnels", query={"name__startswith": "tun_wg"})
    ok(r.st == 200 and {t["name"] for t in r.data} == {"tun_wg0", "tun_wg1", "tun_wg2"},
       "10: __startswith", r)
    r = call(main, "GET", W + "/tunnels", query={"name__contains": "custom"})
    ok(r.st == 200 and [t["name"] for t in r.data] == ["tun_custom"], "10: __contains", r)
    r = call(main, "GET", W + "/peers", query={"endpoint__format": "ipv6"})
    ok(r.st == 200 and [p["endpoint"] for p in r.data] == ["2001:db8::1"], "10: __format", r)
    r = call(main, "GET", W + "/tunnels", query={"mtu__lt": 1400})
    ok(r.st == 200 and [t["name"] for t in r.data] == ["tun_wg0"], "10: __lt", r)
    r = call(main, "GET", W + "/peers", query={"endpoint": "null"})
    ok(r.st == 200 and all(p["endpoint"] is None for p in r.data) and r.data,
       "4/10: ?endpoint=null matches null endpoints", r)
    r = call(main, "GET", W + "/peers", query={"enabled": "true"})
    ok(r.st == 200 and r.data and all(p["enabled"] is True for p in r.data),
       "4/10: ?enabled=true is a boolean", r)
    pk3 = call(main, "POST", W + "/peer", {"publickey": PK3, "tun": "tun_wg1"})
    r = call(main, "GET", W + "/peers", query={"publickey": PK3})
    raw_plus = call(main, "GET", W + "/peers?publickey=" + PK3.replace("/", "%2F"))
    ok(pk3.st == 200 and len(r.data) == 1 and raw_plus.data == [],
       "4: %2B decodes to +, a raw + means space", (r, raw_plus))

    # ---------- 5: pagination, sorting ----------
    r = call(main, "GET", W + "/tunnels", query={"limit": 2, "offset": 1})
    ok(r.st == 200 and [t["id"] for t in r.data] == [1, 2], "5: limit/offset", r)
    r = call(main, "GET", W + "/tunnels", query={"sort_by": "listenport",
                                                 "sort_order": "SORT_DESC"})
    lps = [t["listenport"] for t in r.data]
    ok(r.st == 200 and lps == sorted(lps, reverse=True), "5: sort_by/sort_order", r)
    r = call(main, "GET", W + "/tunnels", query={"reverse": "true"})
    ok(r.st == 200 and [t["id"] for t in r.data] == sorted([t["id"] for t in r.data],
                                                            reverse=True), "5: reverse", r)
    r = call(main, "GET", W + "/tunnels", query={"limit": "x"})
    ok(is_env(r, 400, "ENDPOINT_LIMIT_FIELD_INVALID_TYPE"), "5: limit must be int", r)
    r = call(main, "GET", W + "/tunnels", query={"sort_by": "nofield"})
    ok(is_env(r, 400, "ENDPOINT_SORT_BY_FIELD_NON_EXISTENT_FIELD"), "5: sort_by unknown", r)
    r = call(main, "GET", W + "/tunnels", query={"sort_order": "UP"})
    ok(is_env(r, 400, "ENDPOINT_SORT_ORDER_FIELD_UNKNOWN_SORT_ORDER"), "5: sort_order", r)

    # ---------- 6: array positions, renumbering ----------
    n_before = len(call(main, "GET", W + "/peers").data)
    r = call(main, "DELETE", W + "/peer", query={"id": 0, "apply": "true"})
    ok(r.st == 200 and r.data["publickey"] == PK1, "6: DELETE ?id= returns the deleted object",
       r)
    r = call(main, "GET", W + "/peers")
    ok(len(r.data) == n_before - 1 and [p["id"] for p in r.data] == list(range(n_before - 1)),
       "6: ids renumber after delete", r)
    r = call(main, "DELETE", W + "/peer")
    ok(is_env(r, 400, "MODEL_REQUIRES_ID"), "6: DELETE without id -> 400", r)

    # ---------- child endpoints ----------
    r = call(main, "POST", W + "/tunnel/address", {"parent_id": tid, "address": "fd00::1",
                                                  "mask": 64})
    ok(r.st == 200 and r.data["parent_id"] == tid and r.data["id"] == 1,
       "6: POST tunnel/address adds a nested object with parent_id/id", r)
    r = call(main, "GET", W + "/tunnel/address", query={"parent_id": tid, "id": 1})
    ok(r.st == 200 and r.data["address"] == "fd00::1", "6: GET tunnel/address", r)
    r = call(main, "GET", W + "/tunnel/addresses", query={"parent_id": tid})
    ok(r.st == 200 and len(r.data) == 2, "6: GET tunnel/addresses filtered by parent_id", r)
    r = call(main, "DELETE", W + "/tunnel/address", query={"parent_id": tid, "id": 0})
    r2 = call(main, "GET", W + "/tunnel", query={"id": tid})
    ok(r.st == 200 and r2.data["addresses"] == [{"parent_id": tid, "id": 0, "address": "fd00::1",
                                                 "mask": 64, "descr": ""}],
       "6: nested ids renumber too", r2)
    r = call(main, "GET", W + "/peer/allowed_ips")
    ok(r.st == 200 and all("parent_id" in a for a in r.data), "6: GET peer/allowed_ips", r)

    # ---------- 11: staging and apply ----------
    wait_applied(main, 0, 2.0)
    ctl(main, "POST", "stats/reset")
    g0 = ctl(main, "GET", "stats")["generation"]
    st0 = ctl(main, "GET", "state")
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "descr": "staged"})
    s1 = ctl(main, "GET", "stats")
    a1 = call(main, "GET", W + "/apply")
    st1 = ctl(main, "GET", "state")
    ok(r.st == 200 and s1["dirty"] is True and a1.data == {"applied": False}
       and s1["generation"] == g0,
       "11: a write only stages: dirty, GET /apply -> applied false, generation unchanged",
       (s1, a1))
    ok((st1["applied_state"] or {}).get("tunnels", [{}])[tid].get("descr") ==
       ((st0["applied_state"] or {}).get("tunnels", [{}])[tid].get("descr")) and
       st1["tunnels"][tid]["descr"] == "staged",
       "11: applied_state keeps the old config until apply", st1["applied_state"])
    r = call(main, "POST", W + "/apply", {})
    s2 = ctl(main, "GET", "stats")
    ok(r.st == 200 and r.data == {"applied": False} and s2["dirty"] is True,
       "11: async apply with --apply-delay-ms still pending right after POST", (r, s2))
    s3 = wait_applied(main, g0 + 1)
    st3 = ctl(main, "GET", "state")
    a3 = call(main, "GET", W + "/apply")
    ok(s3["generation"] == g0 + 1 and s3["applies"] >= 1 and not s3["dirty"]
       and a3.data == {"applied": True}
       and st3["applied_state"]["tunnels"][tid]["descr"] == "staged",
       "11: apply completes: generation bumped, dirty cleared, applied_state updated", s3)
    r = call(main, "POST", W + "/apply", {"async": False})
    s4 = ctl(main, "GET", "stats")
    ok(r.data == {"applied": True} and s4["generation"] == g0 + 2,
       "11: async=false apply finishes before the reply", (r, s4))
    r = call(main, "POST", W + "/apply", {"async": "no"})
    ok(is_env(r, 400, "ENDPOINT_ASYNC_FIELD_INVALID_TYPE"), "5: async must be boolean", r)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "descr": "direct", "apply": True,
                                           "async": False})
    s5 = ctl(main, "GET", "stats")
    ok(r.st == 200 and s5["generation"] == g0 + 3 and not s5["dirty"],
       "11: apply=true on the write applies", s5)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "mtu": "bad"})
    s6 = ctl(main, "GET", "stats")
    ok(r.st == 400 and not s6["dirty"], "11: a refused write does not set dirty", s6)
    r = call(main, "PATCH", W + "/tunnel", {"id": tid, "apply": "true"})
    ok(r.st == 400, "5: apply must be boolean in JSON bodies", r)

    # ---------- 13: no runtime stats on config objects; v2.9 status endpoints ----------
    peers = call(main, "GET", W + "/peers").data
    ok(all(not ({"rx", "tx", "transfer_rx", "latest_handshake", "last_handshake"} & set(p))
           for p in peers), "13: config peers have no runtime fields", peers[:1])
    pkA = rs.wg_pubkey(rs.wg_genkey())
    r = call(main, "POST", W + "/peer", {"publickey": pkA, "tun": "tun_wg0", "enabled": True,
                                        "descr": "bob",
                                        "allowedips": [{"address": "10.11.12.9", "mask": 32}],
                                        "apply": True, "async": False})
    ctl(main, "POST", "peer-status", {"publickey": pkA, "transfer_rx": 11, "transfer_tx": 22,
                                      "latest_handshake": 1700000000,
                                      "endpoint": "192.0.2.5:51820"})
    r = call(main, "GET", "/api/v2/status/wireguard/peers")
    hit = [p for p in (r.data or []) if p.get("public_key") == pkA]
    ok(r.st == 200 and len(hit) == 1 and hit[0]["transfer_rx"] == 11 and
       hit[0]["transfer_tx"] == 22 and hit[0]["latest_handshake"] == 1700000000 and
       hit[0]["endpoint"] == "192.0.2.5:51820" and hit[0]["tunnel_device"] == "tun_wg0" and
       hit[0]["allowed_ips"] == ["10.11.12.9/32"] and hit[0]["persistent_keepalive"] == "off"
       and hit[0]["descr"] == "bob" and "preshared_key" not in hit[0],
       "13: 2.9 GET /status/wireguard/peers with control-API counters", r)
    ok(all(p["public_key"] != PK3 for p in r.data),
       "13: disabled peers are not in the running state", r)
    pkB = rs.wg_pubkey(rs.wg_genkey())
    call(main, "POST", W + "/peer", {"publickey": pkB, "tun": "tun_wg0", "enabled": True})
    r = call(main, "GET", "/api/v2/status/wireguard/peers", query={"public_key": pkB})
    ok(r.st == 200 and r.data == [], "13: unapplied peers are not in the status", r)
    r = call(main, "GET", "/api/v2/status/wireguard/tunnels")
    t0 = [t for t in (r.data or []) if t.get("name") == "tun_wg0"]
    ok(r.st == 200 and t0 and any(p["public_key"] == pkA for p in t0[0]["peers"]),
       "13: GET /status/wireguard/tunnels nests the peers", r)
    r = call(main, "POST", "/api/v2/status/wireguard/peers", {})
    ok(is_env(r, 405, "ENDPOINT_METHOD_NOT_ALLOWED"), "13: status endpoint is read-only", r)
    r = call(old, "GET", "/api/v2/status/wireguard/peers")
    ok(r.st == 404 and b"<html>" in r.raw, "13: pkg 2.8.0 -> status endpoints 404", r)
    r = call(old, "POST", "/__sim/peer-status", {"publickey": "nope"}, headers={})
    ok(r.st == 400, "control: peer-status for an unknown peer is refused", r)

    # ---------- 5: plural DELETE / PUT ----------
    r = call(main, "DELETE", W + "/peers")
    ok(is_env(r, 400, "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS") and r.msg ==
       "At least one query parameter is required to perform mass deletion.",
       "5: plural DELETE needs a query or all=true", r)
    r = call(main, "DELETE", W + "/peers", query={"tun": "unassigned"})
    r2 = call(main, "GET", W + "/peers")
    ok(r.st == 200 and r.data and all(p["tun"] == "unassigned" for p in r.data)
       and all(p["tun"] != "unassigned" for p in r2.data),
       "5: plural DELETE by query", (r, r2))
    r = call(main, "PUT", W + "/peers", {"publickey": PK2})
    ok(is_env(r, 400, "ENDPOINT_REQUEST_DATA_MUST_BE_INDEXED_ARRAY"), "5: PUT needs an array", r)
    r = call(main, "PUT", W + "/peers", [{"publickey": PK2, "tun": "tun_wg0"},
                                         {"publickey": PK2}])
    ok(is_env(r, 400, "FIELD_MUST_BE_UNIQUE"), "5: PUT validates uniqueness in the new set", r)
    r = call(main, "PUT", W + "/peers", [{"publickey": PK2, "tun": "tun_wg0"}])
    r2 = call(main, "GET", W + "/peers")
    ok(r.st == 200 and [p["publickey"] for p in r2.data] == [PK2], "5: PUT replaces the set", r2)

    sources(main, old)

    # ---------- 14: request log, faults, latency, down, lock ----------
    ctl(main, "POST", "log/clear")
    call(main, "GET", W + "/peers", query={"publickey": PK3, "tun": "tun_wg0"})
    call(main, "PATCH", W + "/peer", {"allowedips": [], "descr": "d", "id": 0})
    log = ctl(main, "GET", "log")
    ok(len(log) == 2 and log[0]["method"] == "GET" and log[0]["path"] == W + "/peers"
       and log[0]["query"] == {"publickey": PK3, "tun": "tun_wg0"}
       and log[1]["body"] == {"allowedips": [], "descr": "d", "id": 0}
       and list(log[1]["body"]) == ["allowedips", "descr", "id"] and log[1]["auth"] ==
       "key:sim-key-rw", "14: request log: method, path, decoded query, body with key order",
       log)
    ctl(main, "POST", "fault", {"match": "/peer", "method": "POST", "kind": "lock"})
    r = call(main, "GET", W + "/peers")
    ok(r.st == 200, "14: a lock fault does not hit reads", r)
    r = call(main, "POST", W + "/peer", {"publickey": PK1})
    st = ctl(main, "GET", "state")
    ok(is_env(r, 503, "MODEL_WRITE_CONFIG_LOCKED") and all(p["publickey"] != PK1
                                                           for p in st["peers"]),
       "14: lock fault -> 503 MODEL_WRITE_CONFIG_LOCKED, nothing written", r)
    r = call(main, "POST", W + "/peer", {"publickey": PK1})
    ok(r.st == 200, "14: the fault was used once (count 1)", r)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "status", "status": 502,
                                "body": {"x": 1}})
    r = call(main, "GET", W + "/tunnels")
    ok(r.st == 502 and r.j == {"x": 1}, "fault: status with a custom body", r)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "drop"})
    r = call(main, "GET", W + "/tunnels")
    ok(r.st is None, "fault: drop closes the connection", r)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "truncate"})
    r = call(main, "GET", W + "/tunnels")
    ok(r.st == 200 and r.j is None, "fault: truncate sends half a JSON body", r)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "garbage"})
    r = call(main, "GET", W + "/tunnels")
    ok(r.st == 200 and r.j is None and b"garbage" in r.raw, "fault: garbage", r)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "huge", "size": 300000})
    r = call(main, "GET", W + "/tunnels")
    ok(r.st == 200 and len(r.raw) == 300000 and isinstance(r.j, dict),
       "fault: huge streams a large valid body", (r.st, len(r.raw)))
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "delay", "delay_ms": 300})
    t = time.time()
    r = call(main, "GET", W + "/tunnels")
    ok(r.st == 200 and time.time() - t >= 0.28, "fault: delay", time.time() - t)
    ctl(main, "POST", "fault", {"match": "/tunnels", "kind": "status", "status": 500,
                                "count": 0})
    call(main, "GET", W + "/tunnels")
    r = call(main, "GET", W + "/tunnels")
    ctl(main, "POST", "faults/clear")
    r2 = call(main, "GET", W + "/tunnels")
    ok(r.st == 500 and r2.st == 200, "fault: count 0 lasts until faults/clear", (r, r2))
    ctl(main, "POST", "latency", {"ms": 250})
    t = time.time()
    r = call(main, "GET", W + "/apply")
    ok(r.st == 200 and time.time() - t >= 0.23, "14: latency", time.time() - t)
    ctl(main, "POST", "latency", {"ms": 0})
    ctl(main, "POST", "down", {"down": True})
    r = call(main, "GET", W + "/apply")
    s = ctl(main, "GET", "stats")
    ctl(main, "POST", "down", {"down": False})
    r2 = call(main, "GET", W + "/apply")
    ok(r.st is None and s["refused_down"] >= 1 and r2.st == 200,
       "control: down refuses /api/v2 by closing connections, control API still works",
       (r, s))

    # ---------- concurrency accounting ----------
    ctl(main, "POST", "stats/reset")
    ctl(main, "POST", "latency", {"ms": 300})
    res = []

    def worker():
        res.append(call(main, "GET", W + "/tunnels").st)
    ths = [threading.Thread(target=worker) for _ in range(4)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(30)
    ctl(main, "POST", "latency", {"ms": 0})
    s = ctl(main, "GET", "stats")
    ok(res == [200] * 4 and s["requests"] == 4 and s["max_in_flight"] >= 2
       and s["in_flight"] == 0 and s["by_method"] == {"GET": 4},
       "stats: requests, in_flight, max_in_flight, by_method", s)
    ok({"applies", "generation", "dirty"} <= set(s), "stats: applies, generation, dirty", s)

    # ---------- state ----------
    st = ctl(main, "GET", "state")
    ok(all(rs.key_ok(t["privatekey"]) for t in st["tunnels"]) and "presharedkey" in
       st["peers"][0] and st["applied_state"] and "tunnels" in st["applied_state"],
       "control state: private keys, preshared keys and applied_state", list(st))
    ctl(main, "POST", "reset")
    st = ctl(main, "GET", "state")
    ok(st["tunnels"] == [] and st["peers"] == [] and st["applied_state"] is None,
       "control reset empties the config", st)


def sources(main, old):
    """Behaviour read from pfrest's own source (tests/sim/README.md, pfSense part)."""
    # ---------- request data follows the Content-Type, not the method ----------
    for _ in range(3):
        mk_peer(main, tun="tun_wg0")
    all_peers = call(main, "GET", W + "/peers").data
    ok(len(all_peers) >= 2, "setup: at least two peers", all_peers)
    pk = all_peers[0]["publickey"]
    r = call(main, "GET", W + "/peers", query={"publickey": pk})
    ok(r.st == 200 and len(r.data) == 1, "decode: GET without Content-Type filters by query", r)
    r = call(main, "GET", W + "/peers", query={"publickey": pk}, ctype="application/json")
    ok(r.st == 200 and len(r.data) == len(all_peers),
       "decode: GET with Content-Type application/json ignores the query (returns all)", r)
    r = call(main, "GET", W + "/tunnel", query={"id": 0}, ctype="application/json")
    ok(is_env(r, 400, "MODEL_REQUIRES_ID"),
       "decode: singular GET with a JSON Content-Type loses its ?id=", r)
    g0 = ctl(main, "GET", "stats")
    r = call(main, "DELETE", W + "/peers", query={"publickey": pk}, ctype="application/json")
    ok(is_env(r, 400, "MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS") and
       len(call(main, "GET", W + "/peers").data) == len(all_peers),
       "decode: plural DELETE with a JSON Content-Type -> 400, nothing deleted", r)
    r = bare_post(main, W + "/apply", b'{"async":false}')
    ok(r.st == 200 and r.data == {"applied": True},
       "decode: POST without Content-Type reads its JSON body", r)
    r = call(main, "GET", W + "/tunnel", raw=b"id=0", ctype="application/x-www-form-urlencoded")
    ok(r.st == 200 and r.data["id"] == 0,
       "decode: urlencoded body is read when there is no query string", r)

    # ---------- plural DELETE ignores apply; singular DELETE honours it ----------
    g0 = ctl(main, "GET", "stats")
    r = call(main, "DELETE", W + "/peers", query={"publickey": pk, "apply": "true",
                                                 "async": "false"})
    g1 = ctl(main, "GET", "stats")
    ok(r.st == 200 and [x["publickey"] for x in r.data] == [pk] and g1["dirty"] is True
       and g1["generation"] == g0["generation"],
       "plural DELETE ?apply=true: deleted, staged, no apply", (r, g0, g1))
    r = call(main, "POST", W + "/apply", {"async": False})
    pk2 = call(main, "GET", W + "/peers").data[0]["publickey"]
    g0 = ctl(main, "GET", "stats")
    r = call(main, "DELETE", W + "/peer", query={"id": 0, "apply": "true", "async": "false"})
    g1 = ctl(main, "GET", "stats")
    ok(r.st == 200 and r.data["publickey"] == pk2 and g1["dirty"] is False
       and g1["generation"] == g0["generation"] + 1, "singular DELETE ?apply=true applies",
       (r, g1))
    n = len(call(old, "GET", W + "/peers").data)
    mk_peer(old)
    r = call(old, "DELETE", W + "/peers", query={"apply": "true"})
    ok(r.st == 200 and len(r.data) == n + 1 and call(old, "GET", W + "/peers").data == [],
       "plural DELETE ?apply=true alone: apply is a (skipped) filter, everything matches", r)

    # ---------- sensitive fields ----------
    rp = call(main, "POST", W + "/peer", {"publickey": rs.wg_pubkey(rs.wg_genkey()),
                                         "presharedkey": PSK})
    ok(rp.st == 200 and "presharedkey" not in rp.data,
       "sensitive: 2.9+ presharedkey hidden by default", rp)
    ctl(main, "POST", "config", {"override_sensitive": ["WireGuardPeer:presharedkey"]})
    r = call(main, "GET", W + "/peer", query={"id": rp.data["id"]})
    t = call(main, "GET", W + "/tunnels").data
    ok(r.data.get("presharedkey") == PSK and all("privatekey" not in x for x in t),
       "sensitive: override_sensitive_fields shows just that field", (r, t[:1]))
    ctl(main, "POST", "config", {"override_sensitive": [], "expose_sensitive": True})
    r = call(main, "GET", W + "/peer", query={"id": rp.data["id"]})
    t = call(main, "GET", W + "/tunnels").data
    ok(r.data.get("presharedkey") == PSK and all("privatekey" in x for x in t),
       "sensitive: expose_sensitive_fields shows keys", r)
    ctl(main, "POST", "config", {"expose_sensitive": False})
    call(main, "DELETE", W + "/peer", query={"id": rp.data["id"]})
    ctl(old, "POST", "config", {"expose_sensitive": True})
    r = mk_peer(old, presharedkey=PSK)
    ok(r.st == 200 and "presharedkey" not in r.data,
       "sensitive: before 2.9 presharedkey is write-only (hidden even when exposed)", r)
    ctl(old, "POST", "config", {"expose_sensitive": False})
    call(old, "DELETE", W + "/peers", query={"all": "true"})

    # ---------- status endpoints: per tunnel lists, and the union quirk ----------
    ctl(main, "POST", "reset", {"wg_enable": True})
    names = []
    for i, n in enumerate((2, 3)):
        t = mk_tunnel(main, listenport=str(52000 + i)).data
        names.append(t["name"])
        for _ in range(n):
            mk_peer(main, tun=t["name"], enabled=True,
                    allowedips=[{"address": "10.77.%d.%d" % (i, _ + 2), "mask": 32}])
    call(main, "POST", W + "/apply", {"async": False})
    r = call(main, "GET", "/api/v2/status/wireguard/tunnels")
    ok(r.st == 200 and [len(t["peers"]) for t in r.data] == [2, 3]
       and set(r.data[0]) == {"id", "name", "status", "public_key", "listen_port", "mtu",
                              "transfer_rx", "transfer_tx", "inpkts", "outpkts", "descr",
                              "peers"}
       and r.data[1]["peers"][0]["parent_id"] == 1 and r.data[0]["status"] == "up",
       "status: /status/wireguard/tunnels lists every tunnel's peers", r)
    r2 = call(main, "GET", "/api/v2/status/wireguard/peers")
    devs = [(p["tunnel_device"], p["id"]) for p in r2.data]
    ok(r2.st == 200 and devs == [(names[0], 0), (names[0], 1), (names[1], 2)],
       "status: /status/wireguard/peers drops the second tunnel's first peers (array union)",
       r2)
    p0 = r.data[0]["peers"][0]
    ok(p0["endpoint"] == "(none)" and p0["persistent_keepalive"] == "off"
       and p0["latest_handshake"] == 0 and "preshared_key" not in p0,
       "status: wg dump values ((none), off, 0), preshared_key hidden", p0)
    r = call(main, "GET", "/api/v2/status/wireguard/tunnels", query={"name": names[1]})
    ok(r.st == 200 and len(r.data) == 1 and len(r.data[0]["peers"]) == 3,
       "status: tunnels filtered by ?name=", r)


def main():
    if not shutil.which("openssl"):
        print("1..0 # SKIP openssl CLI missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="pfsim-test-")
    try:
        run(tmp)
    except Exception as e:  # a crash must be visible as a failing test, not a silent exit
        import traceback
        ok(False, "test run raised %r" % e, traceback.format_exc())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n_tests)
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
