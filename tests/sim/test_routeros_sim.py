#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of tests/sim/routeros_sim.py against spec/routeros-rest.md section 8.

Starts the simulator as subprocesses on free ports in 19100-19199 (HTTPS with a self-signed
certificate generated here with the openssl CLI, plus plain-HTTP instances for other RouterOS
versions) and checks each checklist item over the wire with urllib. TAP output; exit 1 on failure.
"""
import base64
import http.client
import json
import os
import random
import shutil
import socket
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
SIM = os.path.join(HERE, "routeros_sim.py")
sys.path.insert(0, HERE)
import routeros_sim as rs  # noqa: E402  (unit checks of the key/duration code)

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE            # RouterOS certificates are not verified by default

# A known WireGuard key pair; the public key was checked with `wg pubkey` when this was written.
KNOWN_PRIV = "eOyxaWNoO1B3hWJZhAaO0HlmwuCwuvNk6+mWbDwStng="
KNOWN_PUB = "pXCEvTAloLfxooIg1KEFAipvK2VVM/AnapXRY5wb1xE="
PK1 = "K+9cvsvV89R9XmGM/nVQM4c7GaGTtsSUeEAOQ4J9Gms="
PK2 = "fJMCj5qimlKtRFgUdkYi3PNf5BpsC7puT7q1Hwg9EUs="
PK3 = "ab+c/d01234567890123456789012345678901234Ac="   # has + and / for query encoding

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


def free_port(used):
    ports = list(range(19100, 19200))
    random.shuffle(ports)
    for p in ports:
        if p in used:
            continue
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        used.add(p)
        return p
    raise RuntimeError("no free port in 19100-19199")


class SimProc:
    def __init__(self, tmp, used, args, https=False):
        self.port = free_port(used)
        self.ready = os.path.join(tmp, "ready-%d" % self.port)
        self.errf = open(os.path.join(tmp, "sim-%d.err" % self.port), "w+")
        self.https = https
        cmd = [sys.executable, SIM, "--port", str(self.port), "--ready-file", self.ready] + args
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.errf)
        deadline = time.time() + 20
        while time.time() < deadline and not os.path.exists(self.ready):
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        self.base = "%s://127.0.0.1:%d" % ("https" if https else "http", self.port)

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


def call(sim, method, path, body=None, user=("admin", "admin"), headers=None, raw=None,
         timeout=30):
    """(status, headers, parsed JSON or raw bytes). Transport errors -> (None, None, exc)."""
    url = sim.base + path
    data = raw
    hdrs = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        hdrs["Content-Type"] = "application/json"
    if user is not None:
        hdrs["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % user).encode()).decode()
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=CTX if sim.https else None) as r:
            st, h, b = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        st, h, b = e.code, e.headers, e.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        return None, None, e
    try:
        return st, h, json.loads(b) if b else b
    except ValueError:
        return st, h, b


def ctl(sim, method, path, body=None):
    st, _, b = call(sim, method, "/__sim/" + path, body=body, user=None)
    if st != 200:
        raise RuntimeError("control %s %s -> %s %r" % (method, path, st, b))
    return b


def all_strings(v):
    if isinstance(v, list):
        return all(all_strings(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(x, str) for x in v.values())
    return False


def E(status, detail=None):
    return rs.err_body(status, detail)


def run(tmp):
    used = set()
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    users = {
        "admin": {"password": "admin", "policies": rs.ALL_POLICIES},
        "ro": {"password": "ro", "policies": ["api", "rest-api", "read", "test"]},
        "norest": {"password": "x", "policies": ["api", "read", "write"]},
        "noapi": {"password": "x", "policies": ["rest-api", "read", "write"]},
        "notest": {"password": "x", "policies": ["api", "rest-api", "read", "write"]},
        "noread": {"password": "x", "policies": ["api", "rest-api", "write"]},
        "other": {"password": "o", "policies": rs.ALL_POLICIES},
    }
    uf = os.path.join(tmp, "users.json")
    with open(uf, "w") as f:
        json.dump(users, f)

    # ---- pure functions ----
    rfc_k = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    rfc_u = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    ok(rs.x25519(rfc_k, rfc_u).hex() ==
       "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
       "x25519 matches the RFC 7748 5.2 test vector")
    ok(rs.wg_pubkey(KNOWN_PRIV) == KNOWN_PUB, "x25519 public key of the known WireGuard key")
    if shutil.which("wg"):
        k = rs.wg_genkey()
        out = subprocess.run(["wg", "pubkey"], input=k + "\n", capture_output=True, text=True,
                             timeout=10).stdout.strip()
        ok(out == rs.wg_pubkey(k), "x25519 agrees with `wg pubkey` on a fresh key", (k, out))
    want = {"25s": "25s", "1m30s": "1m30s", "1h0m0s": "1h", "00:00:02": "2s", "90": "1m30s",
            "1d2h3m4s": "1d2h3m4s", "1w2d3h": "1w2d3h", "453us": "453us", "1ms200us": "1ms200us",
            "0s": "0s", "500ms": "500ms"}
    got = {k: rs.render_duration(rs.parse_duration(k)) for k in want}
    ok(got == want, "durations: input forms of item 12, compact rendering", got)
    ok(all(rs.parse_duration(x) is None for x in ("", "x", "1h1", "5y", "-3", "1:2")),
       "durations: garbage is refused")

    main = SimProc(tmp, used, ["--https", "--cert", cert, "--key", key, "--ros", "7.17",
                               "--users", uf, "--command-timeout", "2"], https=True)
    v16 = SimProc(tmp, used, ["--ros", "7.16"])
    v12 = SimProc(tmp, used, ["--ros", "7.12", "--reject-encoded-star"])
    v21 = SimProc(tmp, used, ["--ros", "7.21", "--https"], https=True)   # generated cert
    sims = [main, v16, v12, v21]
    try:
        ok(all(s.alive() for s in sims), "simulators start (HTTPS with given and generated "
           "certificates, HTTP) and write the ready file")
        if not all(s.alive() for s in sims):
            return
        with open(main.ready) as f:
            ok(f.read().strip() == str(main.port), "ready file holds the port number")
        checks(main, v16, v12, v21)
    finally:
        for s in sims:
            err = s.stop()
            if "Traceback" in err:
                ok(False, "simulator on %d logged no traceback" % s.port, err[-3000:])


def checks(main, v16, v12, v21):
    # ---------- 1. transport and auth ----------
    st, h, b = call(main, "GET", "/rest/system/resource")
    ok(st == 200 and isinstance(b, dict) and b.get("version") == "7.17 (stable)",
       "1: HTTPS /rest answers, singleton object", (st, b))
    st, h, b = call(v16, "GET", "/rest/system/resource")
    ok(st == 200 and b.get("version") == "7.16 (stable)", "1: plain HTTP /rest answers", (st, b))
    st, h, b = call(main, "GET", "/rest/interface", user=None)
    ok(st == 401 and b == E(401) and "Basic" in (h.get("WWW-Authenticate") or ""),
       "1: missing credentials -> 401 {error,message} with WWW-Authenticate", (st, b))
    st, _, b = call(main, "GET", "/rest/interface", user=("admin", "wrong"))
    ok(st == 401 and b == E(401), "1: wrong password -> 401", (st, b))
    st, _, b = call(main, "GET", "/rest/interface", user=("norest", "x"))
    ok(st == 401 and b == E(401), "1: no rest-api policy -> 401", (st, b))
    st, _, b = call(main, "GET", "/rest/interface", user=("noapi", "x"))
    ok(st == 500 and b == E(500, "std failure: not allowed (9)"),
       "1: no api policy -> 500 std failure: not allowed (9)", (st, b))
    st, _, b = call(main, "GET", "/rest/interface", user=("noread", "x"))
    ok(st == 500 and b == E(500, "not enough permissions (9)"),
       "1: no read policy -> 500 not enough permissions (9)", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wgro"}, user=("ro", "ro"))
    ok(st == 500 and b == E(500, "not enough permissions (9)"),
       "1: PUT without write -> 500 not enough permissions (9)", (st, b))
    st, _, b = call(main, "GET", "/rest/interface/wireguard?name=wgro")
    ok(st == 200 and b == [], "1: refused PUT created nothing", b)

    # ---------- 1: users and groups (clients read their own policies) ----------
    st, _, b = call(main, "GET", "/rest/user?name=ro&.proplist=name,group", user=("ro", "ro"))
    ok(st == 200 and len(b) == 1 and b[0].get("name") == "ro" and b[0].get("group") == "g-ro"
       and "password" not in b[0], "1: /user lists a user with its group, no password", b)
    st, _, b = call(main, "GET", "/rest/user/group?name=g-ro", user=("ro", "ro"))
    pol = (b[0].get("policy", "") if st == 200 and b else "").split(",")
    ok("read" in pol and "!write" in pol and "!sensitive" in pol and "write" not in pol,
       "1: /user/group policy: granted ones plain, denied ones with '!'", b)
    st, _, b = call(main, "GET", "/rest/user/group?name=full")
    ok(st == 200 and b and "!" not in b[0].get("policy", "x!"),
       "1: a user with every policy is in group full", b)
    st, _, b = call(main, "PUT", "/rest/user", {"name": "x", "group": "full"})
    ok(st == 406, "1: /user is read-only here (add refused)", (st, b))

    # ---------- 9, 4, 6: interface create ----------
    st, h, wg0 = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg0"})
    ok(st == 201 and isinstance(wg0, dict) and wg0.get("name") == "wg0",
       "6: PUT creates and returns the full object (201)", (st, wg0))
    wid = wg0[".id"]
    ok(h.get("Location", "").endswith("/rest/interface/wireguard/" + wid),
       "6: PUT reply has a Location header", dict(h))
    ok(rs.parse_id(wid) is not None and wid == "*%X" % rs.parse_id(wid),
       "4: id is * + upper-case hex", wid)
    ok(all_strings(wg0), "2: every reply value is a string", wg0)
    ok(wg0.get("listen-port") == "13231" and wg0.get("mtu") == "1420" and
       wg0.get("disabled") == "false" and wg0.get("running") == "true" and "comment" not in wg0,
       "9: defaults listen-port 13231, mtu 1420, disabled false, running true; comment omitted",
       wg0)
    ok(rs.key_ok(wg0.get("private-key", "")) and
       wg0.get("public-key") == rs.wg_pubkey(wg0["private-key"]),
       "9: generated key pair is a real Curve25519 pair", wg0)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid,
                    {"private-key": KNOWN_PRIV, "comment": "office", "mtu": 1400,
                     "listen-port": "51820", "disabled": "false"})
    ok(st == 200 and b.get("public-key") == KNOWN_PUB and b.get("mtu") == "1400" and
       b.get("comment") == "office" and b.get("listen-port") == "51820",
       "9/3/6: PATCH private-key derives public-key; JSON number accepted; full object back",
       (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, {"disabled": True})
    ok(st == 200 and b.get("disabled") == "true" and b.get("running") == "false",
       "3/9: JSON boolean accepted, running = !disabled", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, {"disabled": "no"})
    ok(st == 200 and b.get("disabled") == "false" and b.get("running") == "true",
       "3: yes/no accepted for booleans", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, {"listen-port": "0x1F90"})
    ok(st == 200 and b.get("listen-port") == "8080", "3: hex number string read like the console", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, raw=b'{"mtu":0x578}',
                    headers={"Content-Type": "application/json"})
    ok(st == 200 and b.get("mtu") == "1400", "3: hex JSON number accepted", (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, raw=b'{"mtu":1.4e3}',
                    headers={"Content-Type": "application/json"})
    ok(st == 400 and b == E(400, "Failed to parse json"), "3: exponent refused", (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, raw=b'{"mtu":',
                    headers={"Content-Type": "application/json"})
    ok(st == 400 and b == E(400, "Failed to parse json"), "invalid JSON -> Failed to parse json",
       (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, raw=b'{"mtu":"1400"}',
                    headers={"Content-Type": "text/plain"})
    ok(st == 415, "body without application/json -> 415", (st, b))

    # ---------- 4, 10: same object in /interface ----------
    st, _, b = call(main, "GET", "/rest/interface/%s?.proplist=name,rx-byte,tx-byte" % wid)
    ok(st == 200 and b == {"name": "wg0", "rx-byte": "0", "tx-byte": "0"},
       "4/10/5: GET /interface/<wg id> with .proplist (single record: only the listed props)",
       (st, b))
    st, _, b = call(main, "GET", "/rest/interface?type=wg")
    ok(st == 200 and [x[".id"] for x in b] == [wid] and b[0]["type"] == "wg" and
       all_strings(b), "10: WG interface mirrored in /interface with type wg", b)
    ctl(main, "POST", "iface-stats", {"name": "wg0", "rx-byte": 1234, "tx-byte": 5678})
    st, _, b = call(main, "GET", "/rest/interface/wg0?.proplist=rx-byte,tx-byte")
    ok(b == {"rx-byte": "1234", "tx-byte": "5678"}, "10/5: byte counters, GET by name", b)
    st, _, b = call(main, "GET", "/rest/interface/%%2A%s" % wid[1:])
    ok(st == 200 and b.get(".id") == wid, "5: %2A-encoded star accepted", (st, b))
    st, _, b = call(v12, "GET", "/rest/interface/%2A1")
    ok(st == 400 and b == E(400, "no such command prefix"),
       "5: --reject-encoded-star answers like RouterOS", (st, b))

    # ---------- 7: validation ----------
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg0"})
    ok(st == 400 and b == E(400, "failure: already have interface with such name"),
       "7: duplicate WG name refused", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "ether1"})
    ok(st == 400 and b == E(400, "failure: already have interface with such name"),
       "7: name unique across all interface types", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg9", "responder": "true"})
    ok(st == 400 and b == E(400, "unknown parameter responder"), "7: unknown property -> 400",
       (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg9", "public-key": PK1})
    ok(st == 400 and b == E(400, "unknown parameter public-key"), "7: read-only property refused",
       (st, b))
    for badkey in ("short", "*****", PK1[:-2] + "=="[:1] + "x", ""):
        st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg9", "private-key": badkey})
        ok(st == 400 and b == E(400, "invalid value for argument private-key"),
           "7: invalid private-key %r refused" % badkey, (st, b))
    st, _, b = call(main, "GET", "/rest/interface/wireguard?name=wg9")
    ok(b == [], "7: refused creates left nothing behind", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/" + wid, {"mtu": "70000"})
    ok(st == 400 and "out of range" in b.get("detail", ""), "7: out-of-range mtu refused", b)

    # ---------- peers (11, 7, 8) ----------
    st, _, p1 = call(main, "PUT", "/rest/interface/wireguard/peers",
                     {"name": "tmp-wg-K+9cvsvV", "interface": "wg0", "public-key": PK1,
                      "allowed-address": "0.0.0.0/0"})
    ok(st == 201 and all_strings(p1), "11: peer created", (st, p1))
    pid = p1[".id"]
    ok(p1.get("endpoint-address") == "" and p1.get("endpoint-port") == "0" and
       p1.get("disabled") == "false" and p1.get("responder") == "false" and
       p1.get("dynamic") == "false" and p1.get("rx") == "0" and p1.get("tx") == "0" and
       "last-handshake" not in p1 and "is-responder" not in p1,
       "11: peer defaults; last-handshake absent before a handshake", p1)
    body = {"name": "alice", "comment": "c1", "preshared-key": PK2, "public-key": PK1,
            "private-key": KNOWN_PRIV, "persistent-keepalive": "25s", "disabled": "false",
            "responder": "true", "client-endpoint": "vpn.example.com:51820",
            "client-address": "10.11.12.2/32", "client-keepalive": "0s", "client-dns": "1.1.1.1",
            "endpoint-address": "", "endpoint-port": "0",
            "allowed-address": "10.11.12.2/32,fd00::2/128"}
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid, body)
    ok(st == 200 and all(b.get(k) == v for k, v in body.items()),
       "6/11: PATCH with wg-portal's full body returns the updated object", (st, b))
    for pk, want in (("25", "25s"), ("00:01:30", "1m30s"), ("1h0m0s", "1h"), (30, "30s")):
        st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid,
                        {"persistent-keepalive": pk})
        ok(st == 200 and b.get("persistent-keepalive") == want,
           "12: persistent-keepalive %r -> %s" % (pk, want), b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid,
                    {"persistent-keepalive": "65536"})
    ok(st == 400, "12: persistent-keepalive above 65535s refused", b)
    for miss in ("interface", "public-key", "allowed-address"):
        bd = {"interface": "wg0", "public-key": PK3, "allowed-address": "10.0.0.3/32"}
        del bd[miss]
        st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers", bd)
        ok(st == 400 and b == E(400, "missing =%s=" % miss), "7: peer without %s refused" % miss,
           (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "nope", "public-key": PK3, "allowed-address": "10.0.0.3/32"})
    ok(st == 400 and b == E(400, "input does not match any value of interface"),
       "7: peer interface must exist", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "ether1", "public-key": PK3, "allowed-address": "10.0.0.3/32"})
    ok(st == 400, "7: peer interface must be a WireGuard interface", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "wg0", "public-key": "abc", "allowed-address": "10.0.0.3/32"})
    ok(st == 400 and b == E(400, "invalid value for argument public-key"),
       "7: bad public-key refused", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "wg0", "public-key": PK3, "allowed-address": "10.0.0.300/32"})
    ok(st == 400 and b == E(400, "invalid value for argument allowed-address"),
       "7: bad allowed-address refused", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "wg0", "public-key": PK1, "allowed-address": "10.0.0.3/32"})
    ok(st == 400, "7: duplicate public key on one interface refused", (st, b))
    st, _, b = call(main, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "wg0", "public-key": PK1, "allowed-address": "10.0.0.3/32",
                     "is-responder": "true"})
    ok(st == 400 and b == E(400, "unknown parameter is-responder"),
       "8: is-responder does not exist on 7.17", (st, b))
    st, _, p3 = call(main, "PUT", "/rest/interface/wireguard/peers",
                     {"interface": "wg0", "public-key": PK3, "allowed-address": "10.0.0.3"})
    ok(st == 201 and p3.get("allowed-address") == "10.0.0.3/32" and p3.get("name") == "peer1",
       "11: peer without prefix gets /32; auto name", p3)

    # version switch on other instances
    call(v12, "PUT", "/rest/interface/wireguard", {"name": "wgv"})
    st, _, b = call(v12, "PUT", "/rest/interface/wireguard/peers",
                    {"interface": "wgv", "public-key": PK1, "allowed-address": "10.9.9.1/32"})
    ok(st == 201, "8: 7.12 peer with base properties", (st, b))
    for sim, ver, field, good in ((v16, "7.16", "is-responder", True), (v16, "7.16", "responder", False),
                                  (v12, "7.12", "name", False), (v12, "7.12", "client-address", False),
                                  (v12, "7.12", "private-key", False), (v21, "7.21", "responder", True),
                                  (v21, "7.21", "client-allowed-address", True),
                                  (main, "7.17", "client-allowed-address", False)):
        call(sim, "PUT", "/rest/interface/wireguard", {"name": "wgv"})
        val = {"is-responder": "true", "responder": "true", "name": "n1",
               "client-address": "10.0.0.2/32", "private-key": KNOWN_PRIV,
               "client-allowed-address": "0.0.0.0/0"}[field]
        st, _, b = call(sim, "PUT", "/rest/interface/wireguard/peers",
                        {"interface": "wgv", "public-key": rs.wg_pubkey(rs.wg_genkey()),
                         "allowed-address": "10.9.9.9/32", field: val})
        if good:
            ok(st == 201 and b.get(field) == val, "8: %s exists on %s" % (field, ver), (st, b))
        else:
            ok(st == 400 and b == E(400, "unknown parameter %s" % field),
               "8: %s refused on %s" % (field, ver), (st, b))
    st, _, b = call(v12, "GET", "/rest/interface/wireguard/peers")
    ok(st == 200 and b and all("name" not in x and "responder" not in x and "client-dns" not in x
                               for x in b), "8: 7.12 peers have no name/responder/client-*", b)
    st, _, b = call(v21, "GET", "/rest/interface/wireguard/wgv")
    ok(b.get("vrf") == "main", "8: interface vrf on 7.21", b)
    st, _, b = call(v16, "GET", "/rest/interface/wireguard/wgv")
    ok("vrf" not in b, "8: no interface vrf before 7.21", b)

    # ---------- 11: RO counters / handshake hook ----------
    r = ctl(main, "POST", "peer-stats", {"public-key": PK1, "rx": 8395000, "tx": 58834536,
                                         "last-handshake-seconds": 90061,
                                         "current-endpoint-address": "192.0.2.5",
                                         "current-endpoint-port": 51820})
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/" + pid)
    ok(b.get("rx") == "8395000" and b.get("tx") == "58834536" and
       b.get("last-handshake") == "1d1h1m1s" and b.get("current-endpoint-address") == "192.0.2.5"
       and b.get("current-endpoint-port") == "51820", "11: peer-stats hook sets RO counters", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid, {"rx": "1"})
    ok(st == 400 and b == E(400, "unknown parameter rx"), "11: rx is read-only", (st, b))

    # ---------- 5: filters, proplist, get one ----------
    st, _, b = call(main, "GET", "/rest/interface/wireguard?.proplist=.id,name&name=wg")
    ok(st == 200 and b == [], "5: filter is exact match; no match -> []", b)
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers?.proplist=name,mtu,responder"
                    "&interface=wg0&public-key=" + urllib.parse.quote(PK3, safe=""))
    ok(b == [{".id": p3[".id"], "name": "peer1", "responder": "false"}],
       "5: ANDed filters, percent-decoded key, .id kept, unknown proplist names ignored", b)
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers?disabled=no&dynamic=false"
                    "&.proplist=.id")
    ok(sorted(x[".id"] for x in b) == sorted([pid, p3[".id"]]),
       "5: boolean filter accepts yes/no", b)
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/*FFFF")
    ok(st == 404 and b == E(404), "5: unknown id -> 404", (st, b))
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/alice?.proplist=public-key")
    ok(st == 200 and b == {"public-key": PK1}, "5: GET one by name", (st, b))
    st, _, b = call(main, "GET", "/rest/interface/wireguard/nosuch")
    ok(st == 400 and b == E(400, "no such command or directory (nosuch)"),
       "5: unknown name -> 400 no such command or directory", (st, b))

    # ---------- 13: sensitive ----------
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/" + pid, user=("ro", "ro"))
    ok(b.get("private-key") == "*****" and b.get("preshared-key") == "*****" and
       b.get("public-key") == PK1, "13: keys masked without sensitive policy", b)
    st, _, b = call(main, "GET", "/rest/interface/wireguard/" + wid, user=("ro", "ro"))
    ok(b.get("private-key") == "*****" and b.get("public-key") == KNOWN_PUB,
       "13: interface private key masked", b)
    ctl(main, "POST", "config", {"sensitive-mode": "omit"})
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/" + pid, user=("ro", "ro"))
    ok("private-key" not in b and "preshared-key" not in b, "13: omit mode drops the keys", b)
    ctl(main, "POST", "config", {"sensitive-mode": "mask"})
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid,
                    {"comment": "x"}, user=("ro", "ro"))
    ok(st == 400 and b == E(400, "missing or invalid resource identifier"),
       "1: PATCH without write -> 400 missing or invalid resource identifier", (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + pid,
                    {"preshared-key": "*****"})
    ok(st == 400, "13: writing back a masked key is refused", (st, b))

    # ---------- 11: dynamic peers ----------
    d = ctl(main, "POST", "dynamic-peer", {"interface": "wg0", "allowed-address": "10.0.0.9/32"})
    did = d[".id"]
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers/" + did)
    ok(b.get("dynamic") == "true", "11: dynamic peer visible with dynamic=true", b)
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + did, {"comment": "x"})
    ok(st == 400 and b == E(400, "missing or invalid resource identifier"),
       "11: PATCH of a dynamic peer refused", (st, b))
    st, _, b = call(main, "DELETE", "/rest/interface/wireguard/peers/" + did)
    st2, _, b2 = call(main, "GET", "/rest/interface/wireguard/peers/" + did)
    ok(st == 400 and st2 == 200, "11: DELETE of a dynamic peer refused, peer kept", (st, b, st2))

    # ---------- 14: addresses ----------
    st, _, a1 = call(main, "PUT", "/rest/ip/address", {"address": "10.11.12.1/24", "interface": "wg0"})
    ok(st == 201 and a1.get("network") == "10.11.12.0" and a1.get("actual-interface") == "wg0" and
       a1.get("dynamic") == "false" and a1.get("invalid") == "false" and
       a1.get("disabled") == "false", "14: IPv4 address with computed fields", a1)
    st, _, b = call(main, "PUT", "/rest/ip/address", {"address": "10.11.12.1/24", "interface": "wg0"})
    ok(st == 400 and b == E(400, "failure: already have such address"),
       "7: duplicate address on one interface refused", (st, b))
    st, _, a2 = call(main, "PUT", "/rest/ip/address", {"address": "10.20.0.1", "interface": "wg0"})
    ok(st == 201 and a2.get("address") == "10.20.0.1/32", "14: no prefix -> /32", a2)
    st, _, a6 = call(main, "PUT", "/rest/ipv6/address",
                     {"address": "fdfd:d3ad:c0de:1234::1/64", "interface": "wg0"})
    ok(st == 201 and a6.get("advertise") == "true" and a6.get("invalid") == "false" and
       "network" not in a6, "14: IPv6 address", a6)
    st, _, b = call(main, "PUT", "/rest/ipv6/address", {"address": "fd00::5", "interface": "wg0"})
    ok(st == 201 and b.get("address") == "fd00::5/128", "14: IPv6 without prefix -> /128", b)
    st, _, b = call(main, "PUT", "/rest/ip/address", {"address": "10.30.0.1/24"})
    ok(st == 400 and b == E(400, "missing =interface="), "7: address without interface refused", b)
    st, _, b = call(main, "PUT", "/rest/ip/address", {"interface": "wg0"})
    ok(st == 400 and b == E(400, "missing =address="), "7: address without address refused", b)
    st, _, b = call(main, "GET", "/rest/ip/address?.proplist=.id,address,network&disabled=false"
                    "&dynamic=false&interface=wg0")
    ok(sorted(x["address"] for x in b) == ["10.11.12.1/24", "10.20.0.1/32"] and
       all(set(x) == {".id", "address", "network"} for x in b),
       "5/14: wg-portal's address query", b)

    # ---------- 15: routes ----------
    st, _, b = call(main, "GET", "/rest/routing/table?.proplist=.id,dynamic,fib,name")
    ok(any(x["name"] == "main" and x["dynamic"] == "true" for x in b),
       "15: built-in dynamic main table", b)
    st, _, t1 = call(main, "PUT", "/rest/routing/table",
                     {"name": "wgportal-main", "comment": "Routing Table for wg0", "fib": "true"})
    ok(st == 201 and t1.get("fib") == "true" and t1.get("dynamic") == "false", "15: table created", t1)
    st, _, b = call(main, "PUT", "/rest/routing/table", {"name": "wgportal-main"})
    ok(st == 400, "15: duplicate table name refused", b)
    main_id = [x[".id"] for x in call(main, "GET", "/rest/routing/table?name=main")[2]][0]
    st, _, b = call(main, "DELETE", "/rest/routing/table/" + main_id)
    ok(st == 400, "15: dynamic main table cannot be removed", (st, b))
    pl = ".id,disabled,inactive,distance,dst-address,dynamic,gateway,immediate-gw,routing-table," \
         "scope,target-scope,client-dns,comment,disabled,responder"
    st, _, b = call(main, "GET", "/rest/ip/route?.proplist=%s&gateway=wg0" % pl)
    conn = [x for x in b if x.get("dynamic") == "true"]
    ok(len(conn) == 2 and {x["dst-address"] for x in conn} == {"10.11.12.0/24", "10.20.0.1/32"},
       "15: dynamic connected routes for interface addresses", b)
    st, _, r1 = call(main, "PUT", "/rest/ip/route",
                     {"gateway": "wg0", "dst-address": "10.0.0.0/24", "distance": "5",
                      "disabled": "false", "routing-table": "wgportal-main"})
    ok(st == 201 and r1.get("dynamic") == "false" and r1.get("inactive") == "false" and
       r1.get("routing-table") == "wgportal-main" and r1.get("immediate-gw") == "wg0",
       "15: static route via the WG interface", r1)
    st, _, b = call(main, "PUT", "/rest/ip/route", {"gateway": "wg0", "dst-address": "10.1.0.0/24",
                                                    "routing-table": "nope"})
    ok(st == 400 and b == E(400, "input does not match any value of routing-table"),
       "15: unknown routing table refused", (st, b))
    st, _, r6 = call(main, "PUT", "/rest/ipv6/route", {"gateway": "wg0", "dst-address": "fd00:1::/64"})
    ok(st == 201 and r6.get("dst-address") == "fd00:1::/64", "15: IPv6 route", r6)
    st, _, b = call(main, "DELETE", "/rest/ip/route/" + conn[0][".id"])
    ok(st == 400, "15: dynamic connected route cannot be removed", (st, b))
    st, _, b = call(main, "GET", "/rest/ip/route?gateway=ether1&dynamic=true")
    ok(len(b) == 1 and b[0]["dst-address"] == "192.168.88.0/24", "15: gateway filter", b)

    # ---------- 16: DNS ----------
    st, _, b = call(main, "GET", "/rest/ip/dns?.proplist=servers")
    ok(st == 200 and b == {"servers": ""}, "16: /ip/dns singleton GET with proplist", b)
    st, _, b = call(main, "POST", "/rest/ip/dns/set", {"servers": "8.8.8.8,1.1.1.1"})
    ok(st == 200 and b == [], "16: POST /ip/dns/set -> []", (st, b))
    st, _, b = call(main, "GET", "/rest/ip/dns?.proplist=servers")
    ok(b == {"servers": "8.8.8.8,1.1.1.1"}, "16: servers stored", b)
    st, _, b = call(main, "POST", "/rest/ip/dns/set", {"servers": ",1.1.1.1"})
    ok(st == 400, "16: leading comma in servers refused", (st, b))
    st, _, b = call(main, "PATCH", "/rest/ip/dns", {"servers": ""})
    ok(st == 400 and b == E(400, "missing or invalid resource identifier"),
       "16: PATCH on a singleton refused", (st, b))
    st, _, b = call(main, "DELETE", "/rest/ip/dns")
    ok(st == 406 and b == E(406, "no such command or directory (remove)"),
       "unsupported verb on a menu -> 406", (st, b))

    # ---------- 17: ping ----------
    ctl(main, "POST", "config", {"ping-timeout-ms": 50})
    st, _, b = call(main, "POST", "/rest/tool/ping",
                    {"address": "10.11.12.2", "count": 1, "interval": "00:00:02"})
    ok(st == 200 and isinstance(b, list) and len(b) == 1 and b[0].get("received") == "1" and
       b[0].get("sent") == "1" and b[0].get("avg-rtt") == "453us" and all_strings(b),
       "17: wg-portal's ping", (st, b))
    ctl(main, "POST", "ping-target", {"address": "10.11.12.3", "rtt-us": [453, 1200, 900]})
    st, _, b = call(main, "POST", "/rest/ping", {"address": "10.11.12.3", "count": "3",
                                                 "interval": "10ms"})
    ok(st == 200 and [x["seq"] for x in b] == ["0", "1", "2"] and
       [x["received"] for x in b] == ["1", "2", "3"] and b[1]["time"] == "1ms200us" and
       b[2]["min-rtt"] == "453us" and b[2]["max-rtt"] == "1ms200us" and b[2]["avg-rtt"] == "851us",
       "17: /ping with count returns cumulative probes", b)
    ctl(main, "POST", "ping-target", {"address": "10.11.12.4", "reachable": False})
    st, _, b = call(main, "POST", "/rest/tool/ping", {"address": "10.11.12.4", "count": 2,
                                                      "interval": "20ms"})
    ok(st == 200 and len(b) == 2 and all(x.get("status") == "timeout" for x in b) and
       b[1]["packet-loss"] == "100" and b[1]["received"] == "0" and
       not any(k in x for x in b for k in ("time", "avg-rtt", "min-rtt")),
       "17: unreachable target -> status timeout, no rtt fields", b)
    t0 = time.time()
    st, _, b = call(main, "POST", "/rest/tool/ping", {"address": "10.11.12.2"})
    el = time.time() - t0
    ok(st == 400 and b == E(400, "Session closed") and 1.8 <= el < 6,
       "17/18: ping without count holds until the command limit, then Session closed",
       (st, b, el))
    st, _, b = call(main, "POST", "/rest/tool/ping", {"address": "10.11.12.2", "count": 1},
                    user=("notest", "x"))
    ok(st == 500 and b == E(500, "not enough permissions (9)"), "1: ping without test policy",
       (st, b))
    st, _, b = call(main, "POST", "/rest/tool/ping", {"address": "10.11.12.2", "count": 1, "x": 1})
    ok(st == 400 and b == E(400, "unknown parameter x"), "17: unknown ping argument", (st, b))
    st, _, b = call(main, "GET", "/rest/tool/ping")
    ok(st == 400 and b == E(400, "no such command"), "command word via GET -> no such command",
       (st, b))

    # ---------- 18: command timeout, latency ----------
    ctl(main, "POST", "fault", {"match": "/ip/dns", "kind": "delay", "delay_ms": 3000})
    t0 = time.time()
    st, _, b = call(main, "GET", "/rest/ip/dns")
    el = time.time() - t0
    ok(st == 400 and b == E(400, "Session closed") and el < 3, "18: a command past the limit "
       "ends with Session closed at the limit", (st, b, el))
    ctl(main, "POST", "fault", {"match": "/ip/dns", "kind": "delay", "delay_ms": 500})
    t0 = time.time()
    st, _, b = call(main, "GET", "/rest/ip/dns")
    el = time.time() - t0
    ok(st == 200 and 0.45 <= el, "fault delay answers normally after the delay", (st, el))
    ctl(main, "POST", "latency", {"ms": 300})
    t0 = time.time()
    st, _, b = call(main, "GET", "/rest/ip/dns")
    el = time.time() - t0
    ok(st == 200 and el >= 0.28, "18: artificial latency", el)
    st, _, b = call(main, "GET", "/rest/ip/dns", timeout=0.1)
    ok(st is None, "18: latency makes a short client timeout fire", (st, b))

    # ---------- 19: concurrency ----------
    ctl(main, "POST", "stats/reset")
    res = []
    lock = threading.Lock()

    def worker():
        r = call(main, "GET", "/rest/interface/wireguard?.proplist=.id,name")
        with lock:
            res.append(r[0])
    ths = [threading.Thread(target=worker) for _ in range(12)]
    t0 = time.time()
    for t in ths:
        t.start()
    for t in ths:
        t.join(30)
    el = time.time() - t0
    stt = ctl(main, "GET", "stats")
    ok(res == [200] * 12 and stt["max_in_flight"] >= 10 and el < 12 * 0.3 * 0.6,
       "19: 12 parallel requests served in parallel", (res, stt, el))
    ok(stt["requests"] == 12 and stt["by_method"].get("GET") == 12 and stt["in_flight"] == 0,
       "stats count /rest requests only", stt)

    # writers by client address: several wgportal nodes must never write at once
    # (docs/cluster.md); reads and ping do not count, two addresses writing together do
    def send_from(src, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", main.port, context=CTX, timeout=10,
                                           source_address=(src, 0))
        hdrs = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=hdrs)
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status
    ctl(main, "POST", "stats/reset")
    w1 = [send_from("127.0.0.1", "PUT", "/rest/interface/wireguard", {"name": "wgw%d" % i})
          for i in range(2)]
    w1.append(send_from("127.0.0.2", "GET", "/rest/interface/wireguard"))
    w1.append(send_from("127.0.0.2", "POST", "/rest/interface/wireguard/print", {}))
    wr = ctl(main, "GET", "stats")["writers"]
    ok(w1 == [201, 201, 200, 200] and wr["max_concurrent"] == 1 and not wr["handoffs"] and
       list(wr["by_host"]) == ["127.0.0.1"] and wr["by_host"]["127.0.0.1"]["writes"] == 2,
       "writers: one address writing, reads and print from another not counted", (w1, wr))
    par = []
    ths = [threading.Thread(target=lambda s=s: par.append(
        send_from(s, "PATCH", "/rest/interface/wireguard/wgw0", {"mtu": "1400"})))
        for s in ("127.0.0.1", "127.0.0.2")]
    for t in ths:
        t.start()
    for t in ths:
        t.join(30)
    wr = ctl(main, "GET", "stats")["writers"]
    ok(par == [200, 200] and wr["max_concurrent"] == 2 and len(wr["handoffs"]) >= 1,
       "writers: two addresses writing at once are counted (max_concurrent 2, a handoff)", wr)
    for name in ("wgw0", "wgw1"):
        send_from("127.0.0.1", "DELETE", "/rest/interface/wireguard/" + name)
    ctl(main, "POST", "stats/reset")
    ok(ctl(main, "GET", "stats")["writers"]["max_concurrent"] == 0, "writers: reset", None)
    ctl(main, "POST", "latency", {"ms": 0})

    # per-user serialization (RouterOS runs one request per user at a time)
    ctl(v16, "POST", "config", {"serialize-user": True})
    ctl(v16, "POST", "latency", {"ms": 0})
    ctl(v16, "POST", "fault", {"match": "/system/resource", "kind": "delay", "delay_ms": 300,
                               "count": 3})
    ths = [threading.Thread(target=lambda: call(v16, "GET", "/rest/system/resource"))
           for _ in range(3)]
    t0 = time.time()
    for t in ths:
        t.start()
    for t in ths:
        t.join(30)
    el = time.time() - t0
    ok(el >= 0.85, "--serialize-user runs one user's requests one at a time", el)
    ctl(v16, "POST", "config", {"serialize-user": False})

    # ---------- 20: request log ----------
    ctl(main, "POST", "log/clear")
    raw_q = ".proplist=.id&interface=wg0&public-key=" + urllib.parse.quote(PK3, safe="")
    call(main, "GET", "/rest/interface/wireguard/peers?" + raw_q)
    call(main, "PATCH", "/rest/interface/wireguard/peers/" + p3[".id"], {"comment": "logged"})
    log = ctl(main, "GET", "log")
    ok(len(log) == 2 and log[0]["method"] == "GET" and
       log[0]["path"] == "/rest/interface/wireguard/peers" and
       log[0]["query"] == {".proplist": ".id", "interface": "wg0", "public-key": PK3} and
       log[0]["query_keys"] == [".proplist", "interface", "public-key"] and
       log[0]["raw_query"] == raw_q and "%2B" in log[0]["raw_query"],
       "20: log has decoded query, key order and raw query", log[:1])
    ok(log[1]["method"] == "PATCH" and log[1]["path"] == "/rest/interface/wireguard/peers/" +
       p3[".id"] and "*" in log[1]["raw_path"] and log[1]["body"] == {"comment": "logged"} and
       log[1]["status"] == 200, "20: log has literal * path and JSON body", log[1:])

    # ---------- faults ----------
    ctl(main, "POST", "fault", {"match": "/ip/address", "method": "GET", "kind": "status",
                                "status": 500, "body": {"error": 500, "message": "boom"}})
    st, _, b = call(main, "PUT", "/rest/ip/address", {"address": "10.40.0.1/24", "interface": "wg0"})
    ok(st == 201, "fault method filter: PUT not hit by a GET fault", (st, b))
    st, _, b = call(main, "GET", "/rest/ip/address")
    ok(st == 500 and b == {"error": 500, "message": "boom"}, "fault status with body", (st, b))
    st, _, b = call(main, "GET", "/rest/ip/address")
    ok(st == 200, "fault count 1: next request normal", st)
    ctl(main, "POST", "fault", {"match": "/ip/route", "kind": "drop"})
    st, _, b = call(main, "GET", "/rest/ip/route")
    ok(st is None, "fault drop: connection closed without reply", (st, b))
    ctl(main, "POST", "fault", {"kind": "truncate"})
    st, _, b = call(main, "GET", "/rest/interface")
    ok(st == 200 and isinstance(b, bytes) and b.startswith(b"[{"), "fault truncate: half JSON",
       (st, b[:80] if isinstance(b, bytes) else b))
    ctl(main, "POST", "fault", {"kind": "garbage"})
    st, _, b = call(main, "GET", "/rest/interface")
    ok(st == 200 and isinstance(b, bytes), "fault garbage: non-JSON body", (st, b))
    ctl(main, "POST", "fault", {"kind": "huge"})
    st, h, b = call(main, "GET", "/rest/interface", timeout=60)
    ok(st == 200 and isinstance(b, bytes) and len(b) == 64 * 1024 * 1024,
       "fault huge: 64 MiB body", (st, len(b) if isinstance(b, (bytes, list)) else b))
    ctl(main, "POST", "fault", {"kind": "status", "status": 503, "count": 0})
    ctl(main, "POST", "faults/clear")
    st, _, b = call(main, "GET", "/rest/system/resource")
    ok(st == 200, "faults/clear removes pending faults", st)
    ctl(main, "POST", "fault", {"match": "/interface/wireguard", "method": "PUT", "kind": "drop",
                                "apply": True})
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wglost"})
    st2, _, b2 = call(main, "GET", "/rest/interface/wireguard?name=wglost")
    ok(st is None and len(b2) == 1, "fault drop with apply: change made, reply lost", (st, b2))

    # ---------- down ----------
    ctl(main, "POST", "down", {"down": True})
    st, _, b = call(main, "GET", "/rest/system/resource", timeout=5)
    stt = ctl(main, "GET", "stats")
    ok(st is None and stt["refused_down"] >= 1, "down: /rest refused, control API works", (st, b))
    ctl(main, "POST", "down", {"down": False})
    st, _, b = call(main, "GET", "/rest/system/resource")
    ok(st == 200, "down false: back up", st)

    # ---------- keep-alive ----------
    conn = http.client.HTTPSConnection("127.0.0.1", main.port, context=CTX, timeout=10)
    auth = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
    sts = []
    for path in ("/rest/system/resource", "/rest/ip/address/*FFFF", "/rest/interface"):
        conn.request("GET", path, headers=auth)
        r = conn.getresponse()
        r.read()
        sts.append(r.status)
    conn.request("DELETE", "/rest/ip/address/" + a2[".id"], headers=auth)
    r = conn.getresponse()
    r.read()
    sts.append(r.status)
    conn.request("GET", "/rest/ip/address/" + a2[".id"], headers=auth)
    r = conn.getresponse()
    r.read()
    sts.append(r.status)
    conn.close()
    ok(sts == [200, 404, 200, 204, 404], "HTTP/1.1 keep-alive: five requests on one connection "
       "(incl. 204 and 404)", sts)

    # ---------- 6: delete semantics ----------
    st, h, b = call(main, "DELETE", "/rest/interface/wireguard/peers/" + p3[".id"])
    ok(st == 204 and b == b"", "6: DELETE -> 204, empty body", (st, b))
    st, _, b = call(main, "DELETE", "/rest/interface/wireguard/peers/" + p3[".id"])
    ok(st == 404 and b == E(404), "6: second DELETE -> 404", (st, b))
    st, _, b = call(main, "PATCH", "/rest/interface/wireguard/peers/" + p3[".id"], {"comment": "x"})
    ok(st == 404, "PATCH of unknown id -> 404", (st, b))

    # ---------- POST commands ----------
    st, _, b = call(main, "POST", "/rest/interface/print",
                    {".proplist": "name,type", ".query": ["type=ether", "type=loopback", "#|!"]})
    ok(st == 200 and {x["name"] for x in b} == {"wg0", "wgv", "wglost"} and
       all(set(x) == {"name", "type"} for x in b), "POST print with .query and .proplist", b)
    st, _, b = call(main, "POST", "/rest/ip/address/print", {"count-only": ""})
    ok(st == 200 and isinstance(b, dict) and b.get("ret", "").isdigit(), "print count-only", b)
    st, _, b = call(main, "POST", "/rest/ip/address/add", {"address": "10.50.0.1/24",
                                                          "interface": "wg0"})
    ok(st == 200 and rs.parse_id(b.get("ret", "")) is not None, "POST add -> {ret: id}", b)
    st, _, b = call(main, "POST", "/rest/ip/address/remove", {".id": b["ret"]})
    ok(st == 200 and b == [], "POST remove -> []", (st, b))
    st, _, b = call(main, "POST", "/rest/interface/remove", {".id": "ether1"})
    ok(st == 400 and b == E(400, "no such command or directory (remove)"),
       "POST /interface/remove -> no such command or directory (remove)", (st, b))
    st, _, b = call(main, "GET", "/rest/foo")
    ok(st == 400 and b == E(400, "no such command or directory (foo)"), "unknown menu -> 400",
       (st, b))
    st, _, b = call(main, "GET", "/rest/ip/address/print")
    ok(st == 400 and b == E(400, "no such command"), "GET of a command word -> no such command",
       (st, b))
    st, _, b = call(main, "PUT", "/rest/ip/dns", {"servers": ""})
    ok(st == 406, "PUT on a singleton -> 406", (st, b))
    st, _, b = call(main, "DELETE", "/rest/interface/ether1")
    ok(st == 400 and b == E(400, "missing or invalid resource identifier"),
       "DELETE of an ethernet interface refused", (st, b))

    # ---------- 10/14: interface delete cascades ----------
    ids_before = rs.parse_id(wid)
    st, _, b = call(main, "DELETE", "/rest/interface/wireguard/" + wid)
    ok(st == 204, "delete WG interface", (st, b))
    st, _, b = call(main, "GET", "/rest/interface?name=wg0")
    ok(b == [], "10: deleted WG interface gone from /interface", b)
    st, _, b = call(main, "GET", "/rest/ip/address/" + a1[".id"])
    ok(st == 200 and b.get("invalid") == "true" and b.get("interface") == wid,
       "14: its addresses are invalid, interface shown as the old id", b)
    st, _, b = call(main, "GET", "/rest/ip/route?gateway=wg0&dynamic=true")
    ok(b == [], "15: connected routes gone with the interface", b)
    st, _, b = call(main, "GET", "/rest/ip/route/" + r1[".id"])
    ok(b.get("inactive") == "true", "15: static route via the removed interface inactive", b)
    st, _, b = call(main, "PUT", "/rest/interface/wireguard", {"name": "wg0"})
    ok(st == 201 and rs.parse_id(b[".id"]) > ids_before, "4: ids are never reused", b)
    st, _, b = call(main, "GET", "/rest/interface/wireguard/peers?interface=wg0")
    ok(b == [], "peers of the removed interface are gone", b)

    # ---------- state ----------
    s = ctl(main, "GET", "state")
    ok(s["ros"] == "7.17" and any(rs.key_ok(w.get("private-key", "")) for w in s["wireguard"])
       and any(p.get("dynamic") == "true" for p in s["peers"]) is False
       and {"interfaces", "peers", "ip-addresses", "ipv6-addresses", "ip-routes",
            "routing-tables", "dns"} <= set(s),
       "control state: full internal state incl. keys", list(s))


def main():
    if not shutil.which("openssl"):
        print("1..0 # SKIP openssl CLI missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="rossim-test-")
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
