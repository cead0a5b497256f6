#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""REST API v1 end-to-end test (spec/wg-portal-compat.md sections 2 and 3).

Starts the real daemon in a private network namespace "wgpa<pid>" (loopback only), talks to it
over HTTP from inside that namespace and checks every v1 endpoint: status codes, wg-portal's
message texts, headers, and that rejected writes leave the store unchanged.

The plumbing (TAP, HTTP client, daemon start/stop, the namespace) is tests/lib/wgtest.py:
in_netns creates the namespace and re-runs this file inside it (`ip netns exec`), so the cleanup
(namespace, UAPI sockets of our wga* interfaces) happens even if the inner run dies.
Output is TAP ("ok N - name", "1..N"); exit status 1 on any failure. WGPORTAL_BIN overrides the
binary (run-all passes build/san/wgportal for the sanitizer run); a sanitizer report in the
daemon's stderr (kept in build/test-logs/) fails the test.
"""
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q  # noqa: E402

PORT = 18851
TLS_PORT = 18852
# Names derived from the outer process id (wgtest.in_netns passes it to the inner run) so the
# outer cleanup can find what the daemon created.
TAG = wgtest.tag()
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Passw0rd-2026!"          # 20 characters
ADMIN_TOKEN = "T0k3nAdm1nAbcdefghijklmnopqrstuv"  # 32 characters
BOB_TOKEN = "b0b-token-0123456789abcdefghijk"
CAROL_TOKEN = "carol-token-0123456789abcdefghi"
USER_PW = "Us3r-Passw0rd-long-enough"
SAN_MARKERS = wgtest.SAN_MARKERS

T = wgtest.Tap()
ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)
# The main instance; test_second_instance has its own HTTPS client.
MAIN = wgtest.Client(PORT, ADMIN_AUTH, timeout=30)


# ---------------------------------------------------------------- HTTP

def call(method, path, body=None, client=None, **kw):
    """One request; path is sent exactly as given (already percent-encoded). auth=None sends
    no credentials, auth=<header value> other ones; the default is the admin's token."""
    return (client or MAIN).call(method, path, body, **kw)


def api(method, path, body=None, **kw):
    return call(method, "/api/v1" + path, body, **kw)


def is_error(r, status, msg=None, contains=None, name=""):
    j = r.json()
    good = (r.status == status and isinstance(j, dict) and j.get("Code") == status
            and r.header("Content-Type") == "application/json")
    if msg is not None:
        good = good and j.get("Message") == msg
    if contains is not None:
        good = good and contains in (j.get("Message") or "")
    return T.ok(good, name, f"status {r.status}, body {r.body[:400]!r}, "
                f"want {status} {msg or contains or ''!r}")


# ---------------------------------------------------------------- daemon

def write_config(tmp):
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
advanced:
  start_cidr_v4: 10.213.0.0/24
  use_ip_v6: false
  start_listen_port: 51900
{wgtest.database_yaml(tmp)}web:
  listening_address: 127.0.0.1:{PORT}
  request_logging: true
  expose_host_info: true
""")
    return path


# ---------------------------------------------------------------- sections

def test_conventions():
    r = api("GET", "/interface/all", auth=None)
    T.eq((r.status, r.body), (401, b'{"Code":401,"Message":"missing credentials"}\n'),
         "no credentials: 401 missing credentials, exact body")
    T.eq(r.header("Content-Type"), "application/json", "401: Content-Type application/json")
    T.ok(r.header("WWW-Authenticate") is None, "401: no WWW-Authenticate header")
    T.ok(re.fullmatch(r"[A-Z0-9]{8}", r.header("X-Request-Id") or "") is not None,
         "X-Request-Id is 8 chars A-Z0-9", r.header("X-Request-Id"))
    T.eq(r.header("Vary"), "Origin", "Vary: Origin on every answer")
    T.ok((r.header("X-Served-By") or "").find(", version ") > 0,
         "expose_host_info: X-Served-By header", r.header("X-Served-By"))
    ids = {api("GET", "/interface/all", auth=None).header("X-Request-Id") for _ in range(3)}
    T.eq(len(ids), 3, "X-Request-Id differs per request")

    is_error(api("GET", "/interface/all", auth=basic(ADMIN, "wrong-token")), 401,
             "invalid credentials", name="wrong token: 401 invalid credentials")
    is_error(api("GET", "/interface/all", auth=basic("nobody@example.com", ADMIN_TOKEN)), 401,
             "invalid credentials", name="unknown user: 401 invalid credentials")
    is_error(api("GET", "/interface/all", auth=basic(ADMIN, "")), 401,
             "missing credentials", name="empty password: 401 missing credentials")
    is_error(api("GET", "/interface/all", auth="Bearer xyz"), 401,
             "missing credentials", name="not Basic: 401 missing credentials")
    is_error(api("GET", "/interface/all", auth="Basic !!!notbase64"), 401,
             "missing credentials", name="undecodable Basic: 401 missing credentials")

    r = api("GET", "/no/such/path")
    T.eq((r.status, r.body, r.header("Content-Type")), (404, b"404 page not found", "text/plain"),
         "unknown path: 404 page not found text/plain")
    r = api("POST", "/interface/all", auth=None)
    T.ok(r.status == 405 and "GET" in (r.header("Allow") or ""),
         "wrong method: 405 with Allow (before auth)", r)
    r = api("PATCH", "/interface/by-id/x")
    T.ok(r.status == 405 and set((r.header("Allow") or "").replace(" ", "").split(","))
         == {"GET", "PUT", "DELETE"}, "405 Allow lists GET, PUT, DELETE for by-id", r.headers)
    r = api("OPTIONS", "/interface/all", auth=None,
            headers={"Origin": "http://ui.example", "Access-Control-Request-Method": "GET"})
    T.ok(r.status == 204 and r.header("Access-Control-Allow-Origin") == "*" and not r.body,
         "CORS preflight: 204 before auth", r)
    r = api("GET", "/interface/all", headers={"Origin": "http://ui.example"})
    T.eq(r.header("Access-Control-Allow-Origin"), "*", "Origin present: ACAO *")
    r = api("GET", "/interface/all")
    T.ok(r.header("Access-Control-Allow-Origin") is None, "no Origin: no ACAO header")
    r = call("GET", "/api/v1//interface/all?x=1")
    T.ok(r.status == 301 and r.header("Location") == "/api/v1/interface/all?x=1",
         "path with // is redirected 301 to the cleaned path", r.headers)
    r = call("GET", "/api/v1/interface/../interface/all")
    T.ok(r.status == 301 and r.header("Location") == "/api/v1/interface/all",
         "path with .. is redirected 301", r.headers)
    r = api("GET", "/interface/all")
    T.ok(r.status == 200 and r.body.endswith(b"\n") and r.json() == [],
         "admin: empty interface list is [] followed by newline", r)


def prepare_iface(name):
    r = api("GET", "/interface/prepare")
    T.eq(r.status, 200, "GET /interface/prepare: 200")
    j = r.json() or {}
    T.ok(len(j.get("PrivateKey", "")) == 44 and len(j.get("PublicKey", "")) == 44
         and j.get("Mode") == "server" and j.get("Addresses") == ["10.213.0.1/24"]
         and j.get("PeerDefNetwork") == ["10.213.0.0/24"] and j.get("ListenPort") == 51900,
         "prepare: fresh keys, server mode, first network of start_cidr_v4", j)
    r2 = api("GET", "/interface/prepare").json() or {}
    T.ok(r2.get("PrivateKey") != j.get("PrivateKey"), "prepare: new keys on every call")
    j["Identifier"] = name
    j["DisplayName"] = "Test " + name
    j["PeerDefEndpoint"] = "vpn.example.com:51900"
    return j


def test_interfaces(st):
    name = f"wga{TAG}0"
    body = prepare_iface(name)
    r = api("POST", "/interface/new", body)
    T.ok(r.status == 200, "POST /interface/new: 200", r)
    ifc = r.json() or {}
    T.ok(ifc.get("Identifier") == name and ifc.get("EnabledPeers") == 0
         and ifc.get("TotalPeers") == 0 and ifc.get("PublicKey") == body["PublicKey"],
         "created interface echoes the stored record", ifc)
    st["iface"] = ifc
    st["iface_name"] = name

    r = api("GET", "/interface/by-id/" + q(name))
    T.ok(r.status == 200 and r.json() == ifc, "GET /interface/by-id: the stored record", r)
    r = api("GET", "/interface/all")
    T.ok(r.status == 200 and [i.get("Identifier") for i in r.json() or []] == [name],
         "GET /interface/all lists it", r)

    is_error(api("POST", "/interface/new", body), 409,
             f"interface {name} already exists: duplicate entry",
             name="POST existing interface: 409 duplicate entry")
    bad = dict(body, Identifier=name + "x", PublicKey=prepare_iface_key())
    is_error(api("POST", "/interface/new", bad), 400,
             "creation not allowed: invalid public key for given privatekey: invalid data",
             name="POST with foreign PublicKey: 400 invalid data")
    is_error(api("GET", "/interface/by-id/" + q(name + "x")), 404,
             "failed to load interface: record not found",
             name="rejected create stored nothing (404)")
    is_error(api("POST", "/interface/new", dict(body, Identifier="")), 400,
             "creation not allowed: invalid interface identifier",
             name="POST with empty Identifier: 400")
    is_error(api("POST", "/interface/new", raw=b"{"), 400, contains="invalid JSON",
             name="malformed JSON: 400 naming the problem")
    is_error(api("POST", "/interface/new", raw=b'{"Identifier":"a","Identifier":"b"}'), 400,
             name="duplicate JSON keys: 400")
    r = api("POST", "/interface/new", dict(body, Identifier=name + "y", Bogus=1))
    j = r.json() or {}
    T.ok(r.status == 400 and ("Bogus" in (j.get("Message") or "") or j.get("Field") == "Bogus"),
         "unknown JSON field: 400 naming it", r)
    r = api("POST", "/interface/new", dict(body, Identifier=name + "y", ListenPort="x"))
    T.ok(r.status == 400, "wrong JSON type: 400", r)
    r = api("POST", "/interface/new", raw=b'{"a":' * 40 + b"1" + b"}" * 40)
    T.ok(r.status == 400, "deeply nested JSON: 400", r)
    T.eq(len(api("GET", "/interface/all").json() or []), 1, "rejected creates left one interface")

    # PUT checks; the stored record must not change on any rejection.
    before = api("GET", "/interface/by-id/" + q(name)).json()
    is_error(api("PUT", "/interface/by-id/" + q(name), dict(ifc, Identifier="other")), 400,
             "interface id mismatch", name="PUT id mismatch: 400 interface id mismatch")
    r = api("PUT", "/interface/by-id/" + q(name), dict(ifc, Addresses=["10.0.0.0/33"]))
    T.ok(r.status == 400, "PUT Addresses 10.0.0.0/33: 400", r)
    r = api("PUT", "/interface/by-id/" + q(name), dict(ifc, PrivateKey="not-a-key"))
    T.ok(r.status == 400, "PUT invalid PrivateKey: 400", r)
    r = api("PUT", "/interface/by-id/" + q(name), dict(ifc, DisplayName="a\nPostUp = id"))
    T.ok(r.status == 400, "PUT DisplayName with newline: 400", r)
    r = api("PUT", "/interface/by-id/" + q(name),
            raw=b'{"Identifier":"' + b"a" * (1024 * 1024 + 10) + b'"}')
    is_error(r, 413, name="PUT body over 1 MiB: 413")
    T.eq(api("GET", "/interface/by-id/" + q(name)).json(), before,
         "interface unchanged after rejected PUTs")
    is_error(api("PUT", "/interface/by-id/nosuch", dict(ifc, Identifier="nosuch")), 404,
             "unable to load existing interface nosuch: failed to load interface: record not found",
             name="PUT unknown interface: 404")

    r = api("PUT", "/interface/by-id/" + q(name), dict(ifc, DisplayName="Renamed"))
    T.ok(r.status == 200 and (r.json() or {}).get("DisplayName") == "Renamed",
         "PUT valid change: 200 with the new value", r)
    T.eq((api("GET", "/interface/by-id/" + q(name)).json() or {}).get("DisplayName"), "Renamed",
         "PUT change is stored")
    r = api("PUT", "/interface/by-id/" + q(name), dict(ifc, DisplayName="Renamed",
                                                       PeerDefEndpoint="vpn.example.com"))
    T.ok(r.status == 200 and (r.json() or {}).get("PeerDefEndpoint") == "vpn.example.com:51900",
         "PeerDefEndpoint without port is stored with :ListenPort appended (spec 7.14)", r)
    st["iface"] = api("GET", "/interface/by-id/" + q(name)).json()

    is_error(api("GET", "/interface/by-id/nosuch"), 404,
             "failed to load interface: record not found", name="GET unknown interface: 404")
    is_error(api("GET", "/interface/by-id/%20"), 400, "missing interface id",
             name="GET /interface/by-id/%20: 400 missing interface id")
    r = api("GET", "/interface/prepare").json() or {}
    T.ok(r.get("Identifier") != name and r.get("Addresses") == ["10.213.1.1/24"]
         and r.get("ListenPort") == 51901, "next prepare moves to the next network and port", r)

    # Paging additions.
    r = api("GET", "/interface/all?page=1&per_page=10")
    T.ok(r.status == 200 and r.header("X-Total-Count") == "1" and len(r.json() or []) == 1,
         "/interface/all paging: X-Total-Count", r.headers)
    T.ok(api("GET", "/interface/all").header("X-Total-Count") is None,
         "/interface/all without paging params: no X-Total-Count")
    T.eq(api("GET", "/interface/all?filter=zzz-no-match").json(), [], "filter without match: []")
    T.eq(api("GET", "/interface/all?per_page=5000").status, 400, "per_page > 1000: 400")


def prepare_iface_key():
    return (api("GET", "/interface/prepare").json() or {}).get("PublicKey", "")


def test_users(st):
    is_error(api("POST", "/user/new", {"Identifier": "bob", "Password": "short"}), 400,
             contains="password too weak", name="POST /user/new short password: 400")
    is_error(api("POST", "/user/new", {"Identifier": "bob"}), 400,
             "creation not allowed: missing password: invalid data",
             name="POST /user/new without password: 400 missing password")
    for rid in ("all", "new", "_WG_SYS_ADMIN_"):
        is_error(api("POST", "/user/new", {"Identifier": rid, "Password": USER_PW}), 400,
                 "creation not allowed: reserved user identifier: invalid data",
                 name=f"reserved user id '{rid}': 400")
    is_error(api("POST", "/user/new", {"Identifier": "", "Password": USER_PW}), 400,
             "missing user identifier", name="empty user id: 400")
    is_error(api("GET", "/user/by-id/bob"), 404, "unable to load user bob: record not found",
             name="rejected user creations stored nothing")

    r = api("POST", "/user/new", {"Identifier": "bob", "Password": USER_PW,
                                  "Email": "bob@example.com", "ApiToken": BOB_TOKEN})
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("Identifier") == "bob" and j.get("ApiToken") == BOB_TOKEN
         and "Password" not in j and j.get("IsAdmin") is False,
         "POST /user/new: 200, token echoed once, no Password", r)
    is_error(api("POST", "/user/new", {"Identifier": "bob", "Password": USER_PW}), 409,
             "user bob already exists\nduplicate entry", name="POST existing user: 409")
    r = api("GET", "/user/all")
    users = r.json() or []
    T.ok(r.status == 200 and {u.get("Identifier") for u in users} >= {ADMIN, "bob"}
         and all("ApiToken" not in u and "Password" not in u for u in users),
         "GET /user/all: both users, never ApiToken or Password", users)
    r = api("GET", "/user/all?sort=Identifier&order=desc")
    ids = [u.get("Identifier") for u in r.json() or []]
    T.ok(ids == sorted(ids, key=str.lower, reverse=True) and r.header("X-Total-Count") == "2",
         "/user/all sort+order desc with X-Total-Count", ids)
    T.eq(api("GET", "/user/all?sort=NoSuchField").status, 400, "unknown sort field: 400")
    r = api("GET", "/user/by-id/bob")
    T.ok(r.status == 200 and (r.json() or {}).get("Email") == "bob@example.com",
         "GET /user/by-id/bob as admin: 200", r)

    bob = basic("bob", BOB_TOKEN)
    is_error(api("GET", "/interface/all", auth=bob), 403, "not enough permissions",
             name="non-admin on admin route: 403 not enough permissions")
    is_error(api("POST", "/peer/new", {}, auth=bob), 403, "not enough permissions",
             name="non-admin POST /peer/new: 403 not enough permissions")
    is_error(api("GET", "/backend/all", auth=bob), 403, "not enough permissions",
             name="non-admin /backend/all: 403")
    is_error(api("GET", "/user/by-id/bob", auth=bob), 403,
             "only admins can access this endpoint\nno permission",
             name="api_admin_only: own user by-id 403 with the two-line message")
    is_error(api("GET", "/user/by-id/" + q(ADMIN), auth=bob), 403, "no permission",
             name="other user by-id as non-admin: 403 no permission")
    r = api("GET", "/provisioning/data/user-info", auth=bob)
    T.ok(r.status == 200 and (r.json() or {}).get("UserIdentifier") == "bob"
         and (r.json() or {}).get("Peers") == [], "user-info without query: the caller", r)
    is_error(api("GET", "/provisioning/data/user-info?UserId=" + q(ADMIN), auth=bob), 403,
             "no permission", name="user-info of another user as non-admin: 403")
    r = api("GET", "/provisioning/data/user-info?Email=bob%40example.com")
    T.ok(r.status == 200 and (r.json() or {}).get("UserIdentifier") == "bob",
         "user-info by Email (admin)", r)
    is_error(api("GET", "/provisioning/data/user-info?Email=none%40example.com"), 404,
             "unable to load user for email none@example.com: record not found",
             name="user-info unknown Email: 404")
    is_error(api("GET", "/provisioning/data/user-info?UserId=nobody"), 404,
             "unable to load user nobody: record not found", name="user-info unknown UserId: 404")

    me = api("GET", "/user/by-id/" + q(ADMIN)).json() or {}
    r = api("PUT", "/user/by-id/" + q(ADMIN), dict(me, IsAdmin=False))
    is_error(r, 400, contains="cannot remove own admin rights",
             name="PUT own IsAdmin false: 400 cannot remove own admin rights")
    T.eq((api("GET", "/user/by-id/" + q(ADMIN)).json() or {}).get("IsAdmin"), True,
         "admin still admin after the rejected PUT")
    is_error(api("PUT", "/user/by-id/bob", {"Identifier": "carl"}), 400,
             "user id mismatch: bob != carl: invalid data", name="PUT user id mismatch: 400")
    is_error(api("PUT", "/user/by-id/bob", {"Identifier": "bob", "Password": "short"}), 400,
             contains="password too weak", name="PUT short password: 400")
    bob_user = api("GET", "/user/by-id/bob").json() or {}
    bob_user.pop("ApiToken", None)
    r = api("PUT", "/user/by-id/bob", dict(bob_user, Firstname="Robert"))
    T.ok(r.status == 200 and (r.json() or {}).get("Firstname") == "Robert",
         "PUT /user/by-id/bob: 200", r)
    T.eq(api("GET", "/provisioning/data/user-info", auth=bob).status, 200,
         "PUT without ApiToken keeps the token (our deviation)")
    is_error(api("DELETE", "/user/by-id/" + q(ADMIN)), 400,
             "deletion not allowed: cannot delete own user: invalid data",
             name="DELETE own user: 400")
    is_error(api("DELETE", "/user/by-id/nosuch"), 404, contains="record not found",
             name="DELETE unknown user: 404 (recommended)")

    r = api("POST", "/user/new", {"Identifier": "carol", "Password": USER_PW,
                                  "ApiToken": CAROL_TOKEN})
    T.eq(r.status, 200, "create carol with a token")
    carol = basic("carol", CAROL_TOKEN)
    T.eq(api("GET", "/provisioning/data/user-info", auth=carol).status, 200, "carol can log in")
    cu = api("GET", "/user/by-id/carol").json() or {}
    cu.pop("ApiToken", None)
    r = api("PUT", "/user/by-id/carol", dict(cu, Disabled=True))
    T.ok(r.status == 200 and (r.json() or {}).get("DisabledReason") == "disabled through api",
         "disable carol: reason 'disabled through api'", r)
    is_error(api("GET", "/provisioning/data/user-info", auth=carol), 401, "invalid credentials",
             name="disabled user: 401 invalid credentials")
    T.eq(api("DELETE", "/user/by-id/carol").status, 204, "DELETE /user/by-id/carol: 204")
    is_error(api("GET", "/user/by-id/carol"), 404, "unable to load user carol: record not found",
             name="deleted user is gone")
    st["bob"] = bob


def peer_prepare(name):
    r = api("GET", "/peer/prepare/" + q(name))
    return r, r.json() or {}


def test_peers(st):
    name, ifc, bob = st["iface_name"], st["iface"], st["bob"]
    is_error(api("GET", "/peer/prepare/nosuch"), 404,
             "unable to find interface nosuch: record not found",
             name="prepare on unknown interface: 404")
    r, p = peer_prepare(name)
    T.ok(r.status == 200 and p.get("Identifier") == p.get("PublicKey")
         and len(p.get("PublicKey", "")) == 44 and len(p.get("PresharedKey", "")) == 44
         and p.get("Addresses") == ["10.213.0.2/32"] and p.get("Mode") == "client"
         and p.get("UserIdentifier") == ADMIN and p.get("InterfaceIdentifier") == name
         and p.get("DisplayName") == "Peer " + p.get("Identifier", "")[:8]
         and "ExpiresAt" not in p, "GET /peer/prepare: defaults of spec 3.3", p)
    T.ok((p.get("EndpointPublicKey") or {}).get("Value") == ifc.get("PublicKey")
         and (p.get("Endpoint") or {}).get("Value") == ifc.get("PeerDefEndpoint")
         and all((p.get(k) or {}).get("Overridable") is True
                 for k in ("Endpoint", "AllowedIPs", "Dns", "Mtu", "PersistentKeepalive")),
         "prepare: ConfigOptions from the interface, Overridable true", p)
    _, p2 = peer_prepare(name)
    T.eq(p2.get("Addresses"), p.get("Addresses"), "two prepares: same addresses (no reservation)")

    p["UserIdentifier"] = "bob"
    p["DisplayName"] = "Bob Laptop"
    r = api("POST", "/peer/new", p)
    T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == p["Identifier"],
         "POST /peer/new: 200", r)
    pid = p["Identifier"]
    st["peer"] = pid
    r = api("GET", "/peer/by-id/" + q(pid))
    stored = r.json() or {}
    T.ok(r.status == 200 and stored.get("DisplayName") == "Bob Laptop"
         and stored.get("Addresses") == ["10.213.0.2/32"],
         "GET /peer/by-id with %2F-encoded key: 200", r)
    _, p3 = peer_prepare(name)
    T.eq(p3.get("Addresses"), ["10.213.0.3/32"], "next prepare gets the next address")

    is_error(api("POST", "/peer/new", p), 409, f"peer {pid} already exists: duplicate entry",
             name="POST existing peer: 409 duplicate entry")
    r = api("POST", "/peer/new", dict(p3, Identifier=p["Identifier"]))
    is_error(r, 400, contains="peer id mismatch: ", name="POST Identifier != PublicKey: 400")
    r = api("POST", "/peer/new", dict(p3, Identifier="notakey", PublicKey="notakey"))
    T.ok(r.status == 400, "POST invalid key: 400", r)
    r = api("POST", "/peer/new", dict(p3, InterfaceIdentifier="nosuch"))
    is_error(r, 400, "creation not allowed: invalid interface: invalid data",
             name="POST unknown interface: 400 invalid interface")
    r = api("POST", "/peer/new", dict(p3, Addresses=p["Addresses"]))
    T.eq(r.status, 409, "POST with another peer's address: 409 collision")
    is_error(api("GET", "/peer/by-id/" + q(p3["Identifier"])), 404,
             f"unable to find peer {p3['Identifier']}: record not found",
             name="rejected peers were not stored")
    r = api("POST", "/peer/new", dict(p3, Addresses=["10.0.0.0/33"]))
    T.ok(r.status == 400, "POST with address 10.0.0.0/33: 400", r)

    # Listing.
    r = api("GET", "/peer/by-interface/" + q(name))
    T.ok(r.status == 200 and [x.get("Identifier") for x in r.json() or []] == [pid],
         "GET /peer/by-interface: the one peer", r)
    r = api("GET", "/peer/by-interface/" + q(name) + "?page=1&per_page=1&sort=DisplayName")
    T.ok(r.status == 200 and r.header("X-Total-Count") == "1" and len(r.json() or []) == 1,
         "peer list paging: X-Total-Count", r.headers)
    r = api("GET", "/peer/by-interface/" + q(name) + "?sort=NoSuchField")
    T.ok(r.status == 400, "peer list with unknown sort field: 400", r)
    r = api("GET", "/peer/by-interface/" + q(name) + "?filter=no-such-peer-name")
    T.ok(r.status == 200 and r.json() == [] and r.header("X-Total-Count") == "0",
         "peer list filter without match: [] and X-Total-Count 0", r)
    is_error(api("GET", "/peer/by-interface/nosuch"), 404,
             "failed to load interface: record not found", name="peers of unknown interface")
    r = api("GET", "/peer/by-user/bob")
    T.ok(r.status == 200 and [x.get("Identifier") for x in r.json() or []] == [pid],
         "GET /peer/by-user/bob (admin)", r)
    is_error(api("GET", "/peer/by-user/nobody"), 404, "unable to load user nobody: record not found",
             name="peers of unknown user: 404")
    is_error(api("GET", "/peer/by-user/bob", auth=bob), 403,
             "only admins can access this endpoint\nno permission",
             name="non-admin own peers with api_admin_only: 403")
    is_error(api("GET", "/peer/by-user/" + q(ADMIN), auth=bob), 403, "no permission",
             name="non-admin other user's peers: 403 no permission")
    is_error(api("GET", "/peer/by-id/" + q(pid), auth=bob), 403,
             "only admins can access this endpoint\nno permission",
             name="non-admin peer by-id with api_admin_only: 403")

    # Rejected updates leave the peer unchanged, the generated config too.
    conf_before = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid)).body
    is_error(api("PUT", "/peer/by-id/" + q(pid), dict(stored, Identifier=p3["Identifier"])),
             400, contains="mismatch", name="PUT peer path id != body Identifier: 400")
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, DisplayName="Evil\nPostUp = id"))
    T.ok(r.status == 400, "PUT DisplayName with newline: 400", r)
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, PresharedKey="bad=="))
    T.ok(r.status == 400, "PUT invalid PresharedKey: 400", r)
    T.eq(api("GET", "/peer/by-id/" + q(pid)).json(), stored, "peer unchanged after rejects")
    T.eq(api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid)).body, conf_before,
         "generated config unchanged after rejects")
    is_error(api("PUT", "/peer/by-id/" + q(p3["Identifier"]), p3), 404,
             f"unable to load existing peer {p3['Identifier']}: record not found",
             name="PUT unknown peer: 404")

    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, Disabled=True))
    T.ok(r.status == 200 and (r.json() or {}).get("Disabled") is True, "PUT Disabled true", r)
    T.eq((api("GET", "/interface/by-id/" + q(name)).json() or {}).get("EnabledPeers"), 0,
         "disabled peer not counted in EnabledPeers")
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, Disabled=False))
    T.ok(r.status == 200 and (r.json() or {}).get("Disabled") is False, "PUT Disabled false", r)
    st["peer_json"] = api("GET", "/peer/by-id/" + q(pid)).json()


def png_ok(data):
    return data[:8] == b"\x89PNG\r\n\x1a\n"


def test_provisioning(st):
    name, ifc, bob, pid = st["iface_name"], st["iface"], st["bob"], st["peer"]
    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid))
    text = r.body.decode(errors="replace")
    T.ok(r.status == 200 and r.header("Content-Type") == "text/plain"
         and r.header("Content-Disposition") is None, "peer-config: 200 text/plain", r.headers)
    lines = text.split("\n")
    T.ok(text.startswith("# AUTOGENERATED FILE - DO NOT EDIT\n# This file uses wgquick format.\n")
         and "# -WGP- version unknown\n" in text and text.endswith("\n")
         and not text.endswith("\n\n"), "peer-config: header lines, one trailing newline", text)
    T.ok("[Interface]" in lines and "[Peer]" in lines
         and lines.index("[Interface]") < lines.index("[Peer]")
         and f"# -WGP- Peer: {pid}" in lines and "# -WGP- Display name: Bob Laptop" in lines,
         "peer-config: [Interface] before [Peer], -WGP- lines", text)
    T.ok("Address = 10.213.0.2/32" in lines and f"Endpoint = {ifc['PeerDefEndpoint']}" in lines
         and f"PublicKey = {ifc['PublicKey']}" in lines
         and "# Interface hooks (optional)" in lines
         and any(x.startswith("PresharedKey = ") for x in lines),
         "peer-config: Address, Endpoint, PublicKey, PSK, hooks header", text)
    is_error(api("GET", "/provisioning/data/peer-config"), 400, "missing peer id",
             name="peer-config without PeerId: 400 missing peer id")
    is_error(api("GET", "/provisioning/data/peer-config?PeerId=%20"), 400, "missing peer id",
             name="peer-config blank PeerId: 400")
    is_error(api("GET", "/provisioning/data/peer-config?PeerId=" + q("A" * 43 + "=")), 404,
             contains="record not found", name="peer-config unknown peer: 404")
    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid), auth=bob)
    T.ok(r.status == 200 and r.body == text.encode(),
         "owner may download the config (provisioning ignores api_admin_only)", r)

    r = api("GET", "/provisioning/data/peer-qr?PeerId=" + q(pid))
    T.ok(r.status == 200 and r.header("Content-Type") == "image/png" and png_ok(r.body),
         "peer-qr: 200 image/png with PNG signature", r.headers)
    zbar = shutil.which("zbarimg")
    if zbar and r.status == 200:
        with tempfile.NamedTemporaryFile(suffix=".png", delete=False) as f:
            f.write(r.body)
        out = subprocess.run([zbar, "--raw", "-q", "-Sbinary", f.name], capture_output=True,
                             timeout=30)
        os.unlink(f.name)
        want = "".join(x.strip() + "\n" for x in text.split("\n")[:-1]
                       if not x.strip().startswith("#"))
        T.eq(out.stdout.decode(errors="replace"), want,
             "peer-qr decodes (zbarimg) to the config without comment lines")
    else:
        T.ok(True, "peer-qr decode skipped (no zbarimg)")

    # new-peer
    _, fresh = peer_prepare(name)
    key = fresh["PublicKey"]
    r = api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": name, "PublicKey": key})
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("Identifier") == key and j.get("PrivateKey") == ""
         and j.get("DisplayName") == "API Peer " + key[:8] and j.get("UserIdentifier") == ADMIN,
         "new-peer with PublicKey: stored, no private key, 'API Peer' name", r)
    r = api("GET", "/provisioning/data/peer-config?PeerId=" + q(key))
    # wg-portal writes "PrivateKey = " (wg-quick refuses it); ours is a marked comment line
    # (docs/wg-portal-behaviour.md, issue 13 item 3)
    text = r.body.decode()
    T.ok(r.status == 200 and "\n# PrivateKey = <" in text
         and not re.search(r"^PrivateKey\s*=", text, re.M),
         "its config: no PrivateKey line, a marked placeholder comment", r.body[:500])
    is_error(api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": name,
                                                      "PublicKey": key}), 409,
             f"failed to create new peer: peer {key} already exists: duplicate entry",
             name="new-peer duplicate key: 409")
    is_error(api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": "nosuch"}), 404,
             "failed to prepare new peer: unable to find interface nosuch: record not found",
             name="new-peer unknown interface: 404")
    r = api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": name, "Color": "red"})
    T.ok(r.status == 400 and "Color" in (r.body.decode()), "new-peer unknown field: 400", r)
    is_error(api("POST", "/provisioning/new-peer", {"InterfaceIdentifier": name}, auth=bob), 403,
             "no permission", name="non-admin new-peer without self-provisioning: 403")
    is_error(api("POST", "/provisioning/new-peer",
                 {"InterfaceIdentifier": name, "UserIdentifier": ADMIN}, auth=bob), 403,
             "no permission", name="non-admin new-peer for another user: 403")
    T.eq(api("DELETE", "/peer/by-id/" + q(key)).status, 204, "delete the provisioned peer")

    r = api("GET", "/provisioning/data/user-info?UserId=bob")
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("PeerCount") == 1 and (j.get("Peers") or [{}])[0].get(
         "IpAddresses") == ["10.213.0.2/32"] and "IsDisabled" not in j["Peers"][0],
         "user-info lists bob's peer (IsDisabled omitted when false)", j)


def test_metrics(st):
    name, pid, bob = st["iface_name"], st["peer"], st["bob"]
    is_error(api("GET", "/metrics/by-peer/" + q(pid)), 404,
             f"no stats found for peer {pid}: record not found",
             name="metrics/by-peer before first collection: 404")
    is_error(api("GET", "/metrics/by-interface/" + q(name)), 404,
             f"failed to fetch stats for interface {name}: record not found",
             name="metrics/by-interface before first collection: 404")
    r = api("GET", "/metrics/by-user/bob")
    j = r.json() or {}
    T.ok(r.status == 200 and j.get("UserIdentifier") == "bob" and j.get("PeerCount") == 1
         and j.get("PeerMetrics") == [] and j.get("BytesReceived") == 0,
         "metrics/by-user: PeerCount 1, no rows yet", r)
    T.eq(api("GET", "/metrics/by-user/bob", auth=bob).status, 200,
         "metrics/by-user self as non-admin: 200 (api_admin_only does not apply)")
    is_error(api("GET", "/metrics/by-user/" + q(ADMIN), auth=bob), 403, "no permission",
             name="metrics/by-user of another user: 403")
    is_error(api("GET", "/metrics/by-peer/" + q("B" * 43 + "=")), 404, contains="record not found",
             name="metrics/by-peer unknown peer: 404")
    is_error(api("GET", "/metrics/by-user/nobody"), 404, contains="record not found",
             name="metrics/by-user unknown user: 404")


def test_concurrency():
    """Thread per connection: parallel clients must all be answered (and nothing may crash)."""
    import threading
    results = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            try:
                st = api("GET", "/interface/all").status
            except OSError as e:
                st = repr(e)
            with lock:
                results.append(st)

    threads = [threading.Thread(target=worker) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    T.ok(len(results) == 240 and all(x == 200 for x in results),
         "240 requests from 24 parallel clients: all 200",
         [x for x in results if x != 200][:10])


def test_backends():
    r = api("GET", "/backend/all")
    j = r.json() or []
    local = [b for b in j if b.get("Identifier") == "local"]
    T.ok(r.status == 200 and len(local) == 1 and local[0].get("Type") == "local"
         and local[0].get("Default") is True and isinstance(local[0].get("Capabilities"), list)
         and "create_interface" in local[0]["Capabilities"]
         and isinstance(local[0].get("Reachable"), bool), "GET /backend/all lists local", j)


def link_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def test_device_errors(st):
    """A device that refuses a change: 502 with the reason, nothing stored, no device left."""
    taken = st["iface"]["ListenPort"]
    name = f"wga{TAG}p"
    body = dict(api("GET", "/interface/prepare").json() or {}, Identifier=name)
    body["ListenPort"] = taken  # already bound by the first interface's wireguard-go
    r = api("POST", "/interface/new", body)
    j = r.json() or {}
    T.ok(r.status == 502 and "creation failure" in (j.get("Message") or ""),
         "device refuses the listen port: 502 with the reason", r)
    is_error(api("GET", "/interface/by-id/" + q(name)), 404,
             "failed to load interface: record not found",
             name="refused create stored nothing")
    T.ok(not link_exists(name), "refused create left no device behind")

    dummy = f"wga{TAG}d"
    # this kernel has no dummy module: one end of a veth pair is a foreign link as good as any
    subprocess.run(["ip", "link", "add", dummy, "type", "veth", "peer", "name", dummy + "x"],
                   check=True)
    try:
        body = dict(api("GET", "/interface/prepare").json() or {}, Identifier=dummy)
        r = api("POST", "/interface/new", body)
        T.ok(r.status == 409 and "not a WireGuard interface" in (r.json() or {}).get("Message", ""),
             "name taken by a non-WireGuard link: 409 saying so", r)
        is_error(api("GET", "/interface/by-id/" + q(dummy)), 404,
                 "failed to load interface: record not found",
                 name="create over a foreign link stored nothing")
        out = subprocess.run(["ip", "-d", "link", "show", dummy], capture_output=True, text=True)
        T.ok(out.returncode == 0 and "veth" in out.stdout,
             "the foreign link is left untouched", out.stdout)
    finally:
        subprocess.run(["ip", "link", "del", dummy], capture_output=True)
    T.eq(len(api("GET", "/interface/all").json() or []), 1, "device errors left one interface")


def test_rekey_and_delete(st):
    name, pid = st["iface_name"], st["peer"]
    stored = api("GET", "/peer/by-id/" + q(pid)).json() or {}
    _, fresh = peer_prepare(name)
    newkey = fresh["PublicKey"]
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, PublicKey=newkey))
    T.ok(r.status == 400 and (r.json() or {}).get("Field") == "PrivateKey",
         "re-key keeping the old PrivateKey: 400 naming PrivateKey", r)
    T.eq(api("GET", "/peer/by-id/" + q(pid)).json(), stored, "peer unchanged after the reject")
    r = api("PUT", "/peer/by-id/" + q(pid), dict(stored, PublicKey=newkey,
                                                 PrivateKey=fresh["PrivateKey"]))
    rekeyed = T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == newkey,
                   "PUT with a new PublicKey re-keys the peer", r)
    is_error(api("GET", "/peer/by-id/" + q(pid)), 404, f"unable to find peer {pid}: record not found",
             name="old key is gone after re-key")
    if not rekeyed:
        newkey = pid  # keep going with the peer that still exists
    r = api("DELETE", "/peer/by-id/" + q(newkey))
    T.ok(r.status == 204 and r.body == b"" and r.header("Content-Type") is None,
         "DELETE /peer/by-id: 204, no body, no Content-Type", r)
    is_error(api("GET", "/peer/by-id/" + q(newkey)), 404,
             f"unable to find peer {newkey}: record not found", name="deleted peer: 404")
    is_error(api("DELETE", "/peer/by-id/" + q(newkey)), 404,
             f"unable to find peer {newkey}: record not found", name="DELETE again: 404")

    r = api("DELETE", "/interface/by-id/" + q(name))
    T.ok(r.status == 204 and r.body == b"", "DELETE /interface/by-id: 204", r)
    is_error(api("GET", "/interface/by-id/" + q(name)), 404,
             "failed to load interface: record not found", name="deleted interface: 404")
    is_error(api("DELETE", "/interface/by-id/" + q(name)), 404,
             f"unable to find interface {name}: failed to load interface: record not found",
             name="DELETE interface again: 404")
    T.eq(api("DELETE", "/user/by-id/bob").status, 204, "DELETE /user/by-id/bob: 204")


def write_tls_config(tmp):
    """Second instance: HTTPS on [::1], a base path and the non-default switches."""
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True,
                   timeout=60)
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
  self_provisioning_allowed: true
advanced:
  start_cidr_v4: 10.214.0.0/24
  use_ip_v6: false
  start_listen_port: 51950
  api_admin_only: false
statistics:
  collect_interface_data: false
  collect_peer_data: false
{wgtest.database_yaml(tmp)}web:
  listening_address: "[::1]:{TLS_PORT}"
  base_path: /wg/
  cert_file: {cert}
  key_file: {key}
""")
    return path, cert


def test_second_instance():
    """HTTPS, IPv6 listen address, base_path, disabled statistics, api_admin_only false and
    self-provisioning: switches that need their own daemon."""
    tmp = tempfile.mkdtemp(prefix="wgpa-api-tls-")
    d = wgtest.Daemon(tmp, "api-tls")
    d.truncate_log()
    try:
        cfg, cert = write_tls_config(tmp)
        if not T.ok(d.start(cfg, TLS_PORT, host="::1", timeout=20),
                    "HTTPS instance starts on [::1]", d.log()[-3000:]):
            return
        tls = wgtest.Client(TLS_PORT, ADMIN_AUTH, host="::1", tls=True, timeout=30)
        # the client does not verify; the certificate served must be the one configured
        with open(cert) as f:
            own = ssl.PEM_cert_to_DER_cert(f.read())
        served = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("::1", TLS_PORT),
                                                                     timeout=30))
        r = call("GET", "/wg/api/v1/interface/all", client=tls)
        T.ok(r.status == 200 and r.json() == [] and served == own,
             "HTTPS: GET <base_path>/api/v1/interface/all", r)
        r = call("GET", "/api/v1/interface/all", client=tls)
        T.eq(r.status, 404, "base_path set: /api/v1 without it is 404")
        is_error(call("GET", "/wg/api/v1/metrics/by-peer/" + q("C" * 43 + "="), client=tls), 500,
                 "peer statistics collection is disabled", name="collect_peer_data false: 500")
        is_error(call("GET", "/wg/api/v1/metrics/by-user/" + q(ADMIN), client=tls), 500,
                 "statistics collection is disabled", name="by-user with collection off: 500")
        is_error(call("GET", "/wg/api/v1/metrics/by-interface/x", client=tls), 500,
                 "interface statistics collection is disabled",
                 name="collect_interface_data false: 500")

        r = call("POST", "/wg/api/v1/user/new", {"Identifier": "dave", "Password": USER_PW,
                                                 "ApiToken": BOB_TOKEN}, client=tls)
        T.eq(r.status, 200, "HTTPS: create non-admin dave")
        dave = basic("dave", BOB_TOKEN)
        r = call("GET", "/wg/api/v1/user/by-id/dave", auth=dave, client=tls)
        T.ok(r.status == 200 and (r.json() or {}).get("Identifier") == "dave",
             "api_admin_only false: non-admin reads own user", r)

        ifc = call("GET", "/wg/api/v1/interface/prepare", client=tls).json() or {}
        name = f"wga{TAG}1"
        ifc.update(Identifier=name, PeerDefEndpoint="vpn.example.org:51950")
        r = call("POST", "/wg/api/v1/interface/new", ifc, client=tls)
        T.eq(r.status, 200, "HTTPS: create a server interface")
        r = call("POST", "/wg/api/v1/provisioning/new-peer", {"InterfaceIdentifier": name},
                 auth=dave, client=tls)
        j = r.json() or {}
        T.ok(r.status == 200 and j.get("UserIdentifier") == "dave"
             and j.get("DisplayName") == "API Peer " + j.get("Identifier", "")[:8]
             and len(j.get("PrivateKey", "")) == 44,
             "self_provisioning_allowed: non-admin new-peer creates own peer", r)
        pid = j.get("Identifier", "")
        r = call("GET", "/wg/api/v1/peer/by-id/" + q(pid), auth=dave, client=tls)
        T.eq(r.status, 200, "api_admin_only false: owner reads own peer by id")
        r = call("GET", "/wg/api/v1/provisioning/data/peer-config?PeerId=" + q(pid), auth=dave,
                 client=tls)
        T.ok(r.status == 200 and f"PrivateKey = {j.get('PrivateKey')}\n" in r.body.decode(),
             "owner downloads the config with the generated private key", r.body[:300])
        is_error(call("POST", "/wg/api/v1/provisioning/new-peer",
                      {"InterfaceIdentifier": name, "UserIdentifier": ADMIN}, auth=dave,
                      client=tls), 403, "no permission",
                 name="self-provisioning for another user: 403")
        T.eq(call("DELETE", "/wg/api/v1/interface/by-id/" + q(name), client=tls).status, 204,
             "HTTPS: delete the interface")
    finally:
        rc = d.stop()
        log = d.log()
        T.eq(rc, 0, "HTTPS instance exits 0 on SIGTERM")
        T.ok(not any(m in log for m in SAN_MARKERS), "HTTPS instance: no sanitizer report",
             "\n".join(x for x in log.splitlines() if any(m in x for m in SAN_MARKERS))[:2000])
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- main

def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgpa-api-")
    d = wgtest.Daemon(tmp, "api-main")
    d.truncate_log()  # the log is appended to: an old run's report must not count
    st = {}
    sections = [("conventions", test_conventions), ("interfaces", lambda: test_interfaces(st)),
                ("users", lambda: test_users(st)), ("peers", lambda: test_peers(st)),
                ("provisioning", lambda: test_provisioning(st)),
                ("metrics", lambda: test_metrics(st)), ("backends", test_backends),
                ("concurrency", test_concurrency),
                ("device errors", lambda: test_device_errors(st)),
                ("rekey/delete", lambda: test_rekey_and_delete(st))]
    try:
        if T.ok(d.start(write_config(tmp), PORT, timeout=20), "daemon starts and listens",
                d.log()[-3000:]):
            for label, fn in sections:
                T.section(label, fn)  # a crash of one section must not hide the others
            T.ok(d.running(), "daemon still running after all requests")
    finally:
        rc = d.stop()
        log = d.log()
        T.eq(rc, 0, "daemon exits 0 on SIGTERM")
        T.ok(not any(m in log for m in SAN_MARKERS), "no sanitizer report in the daemon's output",
             "\n".join(x for x in log.splitlines() if any(m in x for m in SAN_MARKERS))[:2000])
        secrets = [x for x in (ADMIN_TOKEN, BOB_TOKEN, CAROL_TOKEN, ADMIN_PW, USER_PW) if x in log]
        T.ok(not secrets, "no password or token in the daemon's log")
        shutil.rmtree(tmp, ignore_errors=True)
    T.section("second instance", test_second_instance)
    return T.done()


if __name__ == "__main__":
    # Interfaces live in the namespace and go with it; wireguard-go's UAPI sockets do not (the
    # directory is shared by all namespaces): in_netns removes ours by the wga<pid> prefix.
    sys.exit(wgtest.in_netns("wgpa", inner, iface_prefixes=("wga{pid}",), timeout=600))
