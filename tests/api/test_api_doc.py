#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The API description (issue 13): the OpenAPI (Swagger 2.0) document that wgportal serves at
{base}/doc/v1_swagger.yaml (and .json), with its page at {base}/api/v1/doc.html, checked
against what the server answers.

Starts the daemon in a private network namespace "wgpd<pid>" under web.base_path /wg and:
  - loads the served YAML (PyYAML) and the JSON twin: same document, basePath rewritten;
  - every route of src/api/router.c is in the document (nothing undocumented);
  - every operation the document lists is called: at least once successfully, and without
    credentials / with an unknown id; every status the server answers must be one the
    document lists for that operation, and every JSON body must match the documented schema
    exactly (required fields present, types right, no field the document does not name).

Output is TAP; exit status 1 on any failure.
"""
import json
import os
import re
import shutil
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q, wait_for  # noqa: E402
from signin import Authenticator, totp  # noqa: E402

PORT = 18881
BASE = "/wg"
TAG = wgtest.tag()
IFACE = f"wgd{TAG}0"
ADMIN = "admin@wgportal.local"
ADMIN_PW = "Adm1n-Passw0rd-ApiDoc!"
ADMIN_TOKEN = "T0k3nApiDocAdminAbcdefghijklmnop"
BOB_TOKEN = "b0b-apidoc-token-0123456789abcd"
BOB_PW = "B0b-ApiDoc-Passw0rd-123"
COOKIE = "wgpdSess"
SAME_ORIGIN = {"Origin": f"http://127.0.0.1:{PORT}"}   # what a browser sends (login CSRF check)
RP_ORIGIN = "http://localhost:8888"   # web.external_url's default: the passkeys' origin

T = wgtest.Tap()
ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)
CLIENT = wgtest.Client(PORT, ADMIN_AUTH, timeout=60)
DOC = {}
SEEN = {}          # operationId -> set of statuses answered


def call(method, path, body=None, **kw):
    return CLIENT.call(method, BASE + path, body, **kw)


def api(method, path, body=None, **kw):
    if path == "/auth/login":   # as a browser does: its same-origin Origin (login CSRF check)
        kw["headers"] = dict({"Origin": f"http://127.0.0.1:{PORT}"}, **(kw.get("headers") or {}))
    return call(method, "/api/v1" + path, body, **kw)


# ---------------------------------------------------------------- schema checks

def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj:
        kind, name = obj["$ref"].split("/")[-2:]
        obj = DOC[kind][name]
    return obj


def check(schema, value, where, errs):
    schema = resolve(schema)
    if value is None:
        if not schema.get("x-nullable"):
            errs.append(f"{where}: null, not documented as nullable")
        return
    t = schema.get("type", "object" if "properties" in schema else None)
    if t == "object":
        if not isinstance(value, dict):
            errs.append(f"{where}: {type(value).__name__}, want object")
            return
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{where}.{k}: missing (documented as always present)")
        for k, v in value.items():
            if k not in props:
                errs.append(f"{where}.{k}: not in the document")
            else:
                check(props[k], v, f"{where}.{k}", errs)
    elif t == "array":
        if not isinstance(value, list):
            errs.append(f"{where}: {type(value).__name__}, want array")
            return
        for i, v in enumerate(value[:50]):
            check(schema.get("items", {}), v, f"{where}[{i}]", errs)
    elif t == "string":
        if not isinstance(value, str):
            errs.append(f"{where}: {value!r}, want string")
        elif "enum" in schema and value not in schema["enum"]:
            errs.append(f"{where}: {value!r} not in {schema['enum']}")
    elif t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errs.append(f"{where}: {value!r}, want integer")
    elif t == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errs.append(f"{where}: {value!r}, want number")
    elif t == "boolean":
        if not isinstance(value, bool):
            errs.append(f"{where}: {value!r}, want boolean")


def operation(op_id):
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if method != "parameters" and op.get("operationId") == op_id:
                return path, method.upper(), op
    raise KeyError(op_id)


def expect(op_id, r, label, want=None):
    """r must have a documented status (want: the one this call should get) and a body that
    matches the documented schema for it."""
    _, _, op = operation(op_id)
    SEEN.setdefault(op_id, set()).add(r.status)
    resp = resolve(op.get("responses", {}).get(str(r.status)))
    errs = []
    if resp is None:
        errs.append(f"status {r.status} not documented (documented: "
                    f"{sorted(op.get('responses', {}))})")
    elif want is not None and r.status != want:
        errs.append(f"status {r.status}, this call should get {want}")
    elif resp.get("schema"):
        s = resolve(resp["schema"])
        ctype = (r.header("Content-Type") or "").split(";")[0]
        produces = op.get("produces", DOC.get("produces", []))
        if s.get("type") in ("string", "file") and produces != ["application/json"]:
            if r.status < 300 and ctype not in produces:
                errs.append(f"Content-Type {ctype}, documented {produces}")
        else:
            body = r.json()
            if body is None and r.body:
                errs.append(f"not JSON: {r.body[:120]!r}")
            else:
                check(s, body, "body", errs)
    elif r.status != 204 and r.body and r.status >= 400:
        errs.append("error without the documented schema")
    T.ok(not errs, f"{op_id}: {label} -> {r.status} matches the document",
         "\n".join(errs[:12]) + f"\n{r.body[:300]!r}")
    return r


# ---------------------------------------------------------------- daemon

def write_config(tmp):
    return wgtest.config_file(tmp, ADMIN, ADMIN_PW, ADMIN_TOKEN, f"""  self_provisioning_allowed: true
  create_default_peer_on_user_creation: true
advanced:
  start_cidr_v4: 10.215.0.0/24
  use_ip_v6: false
  start_listen_port: 51970
  api_admin_only: false
database:
  dsn: {tmp}/db/wgportal.sqlite
statistics:
  data_collection_interval: 1s
web:
  listening_address: 127.0.0.1:{PORT}
  base_path: {BASE}
  session_identifier: {COOKIE}
""")


class Sess:
    def __init__(self, r):
        self.sid = (r.header("Set-Cookie") or "").split(";")[0].partition("=")[2]
        self.csrf = (r.json() or {}).get("CsrfToken", "")

    def req(self, method, path, body=None):
        h = {"Cookie": f"{COOKIE}={self.sid}", "X-CSRF-Token": self.csrf, **SAME_ORIGIN}
        return api(method, path, body, auth=None, headers=h)


# ---------------------------------------------------------------- sections

def diff(a, b, where=""):
    """Where two JSON-like values differ (for failure details)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}/{k}: only in one" for k in set(a) ^ set(b)]
        for k in set(a) & set(b):
            out += diff(a[k], b[k], f"{where}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [x for i, (p, q_) in enumerate(zip(a, b)) for x in diff(p, q_, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def test_document():
    r = call("GET", "/doc/v1_swagger.yaml", auth=None)
    T.ok(r.status == 200 and r.header("Content-Type") == "application/yaml",
         "GET {base}/doc/v1_swagger.yaml: 200 application/yaml (no auth)", r)
    doc = yaml.safe_load(r.body.decode())
    DOC.update(doc)
    T.ok(doc.get("swagger") == "2.0" and doc.get("basePath") == BASE + "/api/v1",
         "a Swagger 2.0 document whose basePath includes web.base_path", doc.get("basePath"))
    r = call("GET", "/doc/v1_swagger.json", auth=None)
    T.ok(r.status == 200 and r.json() == doc, "v1_swagger.json is the same document",
         "\n".join(diff(doc, r.json())[:10]))
    r = api("GET", "/doc.html", auth=None)
    T.ok(r.status == 200 and r.header("Content-Type", ).startswith("text/html")
         and b'<script src="doc.js">' in r.body and r.header("Content-Security-Policy"),
         "GET {base}/api/v1/doc.html: the page, under the UI's CSP", r)
    r = api("GET", "/doc.js", auth=None)
    T.ok(r.status == 200 and b"v1_swagger.json" in r.body, "its script", r)
    with open(os.path.join(ROOT, "src", "api", "doc", "v1_swagger.yaml")) as f:
        src = yaml.safe_load(f)
    src["basePath"] = doc["basePath"]
    T.ok(src == doc, "the served document is src/api/doc/v1_swagger.yaml")


def router_routes():
    """(METHOD, documented path) of every route in src/api/router.c: its two tables, entries
    { "GET", "/path/", "entity" or NULL, SCOPE_X, handler[, head check] } and, for the suffix
    table, { { ... }, "/suffix" }."""
    with open(os.path.join(ROOT, "src", "api", "router.c")) as f:
        src = f.read()
    entry = r'\{\s*"(\w+)",\s*"([^"]+)",\s*("\w+"|NULL),\s*SCOPE_\w+,\s*\w+(?:,\s*\w+)?\s*\}'
    out = set()
    for m in re.finditer(r'\{\s*' + entry + r',\s*"([^"]+)"\s*\}', src):
        out.add((m.group(1), m.group(2) + "{id}" + m.group(4)))
    src = re.sub(r'\{\s*' + entry + r',\s*"([^"]+)"\s*\}', "", src)
    for m in re.finditer(entry, src):
        out.add((m.group(1), m.group(2) + ("{id}" if m.group(3) != "NULL" else "")))
    return out


def test_routes_documented():
    routes = router_routes()
    documented = {(m.upper(), p) for p, item in DOC["paths"].items() for m in item
                  if m != "parameters"}
    T.ok(len(routes) > 40, f"router.c parsed: {len(routes)} routes")
    T.eq(sorted(routes - documented), [], "every route of the server is in the document")
    T.eq(sorted(documented - routes), [], "every documented operation is a route of the server")


def test_operations(tmp):
    A = ADMIN_AUTH
    # interfaces
    r = expect("interfacePrepare", api("GET", "/interface/prepare"), "admin", 200)
    ifc = dict(r.json() or {}, Identifier=IFACE, PeerDefEndpoint="vpn.doc.example")
    r = expect("interfaceNew", api("POST", "/interface/new", ifc), "create", 200)
    ifc = r.json() or ifc
    expect("interfaceNew", api("POST", "/interface/new", ifc), "duplicate", 409)
    expect("interfaceNew", api("POST", "/interface/new", dict(ifc, Identifier="x", Bogus=1)),
           "unknown field", 400)
    expect("interfaceAll", api("GET", "/interface/all?page=1&per_page=5"), "paged", 200)
    expect("interfaceAll", api("GET", "/interface/all?per_page=0"), "bad paging", 400)
    expect("interfaceAll", api("GET", "/interface/all", auth=None), "no credentials", 401)
    expect("interfaceGet", api("GET", "/interface/by-id/" + q(IFACE)), "admin", 200)
    expect("interfaceGet", api("GET", "/interface/by-id/nosuch"), "unknown", 404)
    expect("interfaceUpdate", api("PUT", "/interface/by-id/" + q(IFACE), ifc), "same body", 200)
    expect("interfaceUpdate", api("PUT", "/interface/by-id/" + q(IFACE),
                                  dict(ifc, Identifier="other")), "id mismatch", 400)
    expect("interfaceConfig", api("GET", f"/interface/by-id/{q(IFACE)}/config"), "admin", 200)
    expect("interfaceConfig", api("GET", "/interface/by-id/nosuch/config"), "unknown", 404)
    # peers
    r = expect("peerPrepare", api("GET", "/peer/prepare/" + q(IFACE)), "admin", 200)
    peer = dict(r.json() or {}, UserIdentifier=ADMIN, DisplayName="Doc Peer",
                ExpiresAt="2099-01-01")
    r = expect("peerNew", api("POST", "/peer/new", peer), "create", 200)
    peer = r.json() or peer
    pid = peer.get("Identifier", "")
    expect("peerNew", api("POST", "/peer/new", peer), "duplicate", 409)
    expect("peerPrepare", api("GET", "/peer/prepare/nosuch"), "unknown interface", 404)
    expect("peerByInterface", api("GET", f"/peer/by-interface/{q(IFACE)}?sort=DisplayName"),
           "sorted", 200)
    expect("peerByInterface", api("GET", f"/peer/by-interface/{q(IFACE)}?sort=Nope"),
           "bad sort", 400)
    expect("peerByUser", api("GET", "/peer/by-user/" + q(ADMIN)), "admin", 200)
    expect("peerByUser", api("GET", "/peer/by-user/nosuch"), "unknown user", 404)
    expect("peerGet", api("GET", "/peer/by-id/" + q(pid)), "admin", 200)
    expect("peerGet", api("GET", "/peer/by-id/" + q("A" * 43 + "=")), "unknown", 404)
    expect("peerUpdate", api("PUT", "/peer/by-id/" + q(pid), dict(peer, Notes="n")), "edit", 200)
    api("POST", "/user/new", {"Identifier": "gus", "Password": BOB_PW})
    r = expect("peerMultipleNew", api("POST", f"/peer/multiplenew/{q(IFACE)}",
                                      {"Identifiers": ["gus"], "Prefix": "Doc"}), "one user", 200)
    multi = (r.json() or [{}])[0]
    expect("peerMultipleNew", api("POST", "/peer/multiplenew/nosuch", {"Identifiers": ["g"]}),
           "unknown interface", 404)
    expect("interfaceApplyPeerDefaults",
           api("POST", f"/interface/by-id/{q(IFACE)}/apply-peer-defaults"), "admin", 200)
    ifc2 = api("GET", "/interface/by-id/" + q(IFACE)).json() or {}
    api("PUT", "/interface/by-id/" + q(IFACE), dict(ifc2, CreateDefaultPeer=False))
    expect("interfaceCreateDefaultPeers",
           api("POST", f"/interface/by-id/{q(IFACE)}/create-default-peers"), "not flagged", 400)
    api("PUT", "/interface/by-id/" + q(IFACE), dict(ifc2, CreateDefaultPeer=True))
    expect("interfaceCreateDefaultPeers",
           api("POST", f"/interface/by-id/{q(IFACE)}/create-default-peers"), "flagged", 200)
    # users
    r = expect("userNew", api("POST", "/user/new", {"Identifier": "bob", "Password": BOB_PW,
                                                    "ApiToken": BOB_TOKEN,
                                                    "Email": "bob@doc.example"}), "create", 200)
    expect("userNew", api("POST", "/user/new", {"Identifier": "bob", "Password": BOB_PW}),
           "duplicate", 409)
    expect("userAll", api("GET", "/user/all?sort=Identifier&order=desc"), "sorted", 200)
    expect("userGet", api("GET", "/user/by-id/bob"), "admin", 200)
    expect("userGet", api("GET", "/user/by-id/nosuch"), "unknown", 404)
    bob = api("GET", "/user/by-id/bob").json() or {}
    expect("userUpdate", api("PUT", "/user/by-id/bob", dict(bob, Firstname="Bob")), "edit", 200)
    expect("userUpdate", api("PUT", "/user/by-id/nosuch", dict(bob, Identifier="nosuch")),
           "unknown", 404)
    B = basic("bob", BOB_TOKEN)
    expect("userInterfaces", api("GET", "/user/by-id/bob/interfaces", auth=B), "self", 200)
    expect("userInterfaces", api("GET", "/user/by-id/" + q(ADMIN) + "/interfaces", auth=B),
           "other user", 403)
    expect("interfaceAll", api("GET", "/interface/all", auth=B), "non-admin", 403)
    # metrics (a collection round every second)
    wait_for(lambda: api("GET", "/metrics/by-interface/" + q(IFACE)).status == 200, 20)
    expect("metricsInterface", api("GET", "/metrics/by-interface/" + q(IFACE)), "admin", 200)
    expect("metricsInterface", api("GET", "/metrics/by-interface/nosuch"), "unknown", 404)
    expect("metricsInterfacePeers", api("GET", f"/metrics/by-interface/{q(IFACE)}/peers"
                                        "?page=1&per_page=10"), "page", 200)
    wait_for(lambda: api("GET", "/metrics/by-peer/" + q(pid)).status == 200, 20)
    expect("metricsPeer", api("GET", "/metrics/by-peer/" + q(pid)), "admin", 200)
    expect("metricsPeer", api("GET", "/metrics/by-peer/" + q("B" * 43 + "=")), "unknown", 404)
    expect("metricsUser", api("GET", "/metrics/by-user/" + q(ADMIN)), "admin", 200)
    expect("metricsUser", api("GET", "/metrics/by-user/" + q(ADMIN), auth=B), "other user", 403)
    # provisioning
    expect("provisioningUserInfo", api("GET", "/provisioning/data/user-info"), "caller", 200)
    expect("provisioningUserInfo", api("GET", "/provisioning/data/user-info?UserId=nosuch"),
           "unknown", 404)
    expect("provisioningPeerConfig", api("GET", "/provisioning/data/peer-config?PeerId="
                                         + q(pid)), "admin", 200)
    expect("provisioningPeerConfig", api("GET", "/provisioning/data/peer-config"), "no id", 400)
    expect("provisioningPeerQr", api("GET", "/provisioning/data/peer-qr?PeerId=" + q(pid)),
           "admin", 200)
    r = expect("provisioningNewPeer", api("POST", "/provisioning/new-peer",
                                          {"InterfaceIdentifier": IFACE}, auth=B), "self", 200)
    bobs_peer = r.json() or {}
    expect("provisioningNewPeer", api("POST", "/provisioning/new-peer",
                                      {"InterfaceIdentifier": "nosuch"}), "unknown", 404)
    expect("backendAll", api("GET", "/backend/all"), "admin", 200)
    expect("clusterGet", api("GET", "/cluster"), "admin", 200)
    expect("clusterGet", api("GET", "/cluster", auth=B), "non-admin", 403)
    # one node (SQLite) has no registry to remove from; tests/cluster removes a node
    expect("clusterNodeDelete", api("DELETE", "/cluster/node/elsewhere"), "one node", 404)
    # mail (queued only: nothing listens on mail.host's port 25 in this namespace)
    r = expect("peerConfigMail", api("POST", "/peer/config-mail",
                                     {"Identifiers": [bobs_peer.get("Identifier", "")]}),
               "owner has an address", 202)
    mail_id = str((((r.json() or {}).get("Deliveries") or [{}])[0]).get("Id", 0))
    expect("peerConfigMail", api("POST", "/peer/config-mail", {"Identifiers": []}), "none", 400)
    expect("peerConfigMail", api("POST", "/peer/config-mail", {"Identifiers": ["C" * 43 + "="]}),
           "unknown peer", 404)
    expect("deliveryAll", api("GET", "/delivery/all?kind=mail&page=1&per_page=5"), "admin", 200)
    expect("deliveryAll", api("GET", "/delivery/all?kind=fax"), "bad kind", 400)
    expect("deliveryAll", api("GET", "/delivery/all", auth=B), "non-admin", 403)
    expect("deliveryGet", api("GET", "/delivery/by-id/" + mail_id), "admin", 200)
    expect("deliveryGet", api("GET", "/delivery/by-id/" + mail_id, auth=B), "not asked by bob", 404)
    expect("deliveryGet", api("GET", "/delivery/by-id/x"), "bad id", 400)
    # session, account, audit
    expect("uiSettings", api("GET", "/ui/settings", auth=None), "anonymous", 200)
    expect("authSession", api("GET", "/auth/session", auth=None), "no cookie", 401)
    expect("authLogin", api("POST", "/auth/login", {"Username": "bob", "Password": "wrong-pw"},
                            auth=None), "wrong password", 401)
    expect("authLogin", api("POST", "/auth/login", {"Username": "bob"}, auth=None),
           "no password", 400)
    expect("authLogin", api("POST", "/auth/login", {"Username": "bob", "Password": BOB_PW},
                            auth=None, headers={"Origin": "http://elsewhere.example"}),
           "another site", 403)
    r = expect("authLogin", api("POST", "/auth/login", {"Username": "bob", "Password": BOB_PW},
                                auth=None), "bob", 200)
    s = Sess(r)
    expect("authSession", s.req("GET", "/auth/session"), "cookie", 200)
    expect("uiSettingsSession", s.req("GET", "/ui/settings/session"), "cookie", 200)
    expect("peerUpdate", s.req("PUT", "/peer/by-id/" + q(pid), peer), "not the owner", 403)
    expect("peerUpdate", s.req("PUT", "/peer/by-id/" + q(bobs_peer.get("Identifier", "")),
                               dict(bobs_peer, DisplayName="Bob's")), "owner", 200)
    expect("userChangePassword", s.req("POST", "/user/by-id/bob/change-password",
                                       {"OldPassword": "nope-nope-nope", "Password": BOB_PW + "x"}),
           "wrong current", 400)
    expect("userChangePassword", s.req("POST", "/user/by-id/bob/change-password",
                                       {"OldPassword": BOB_PW, "Password": BOB_PW + "x"}),
           "self", 200)
    expect("userChangePassword", api("POST", "/user/by-id/bob/change-password",
                                     {"OldPassword": "a", "Password": "b"}), "other user", 403)
    expect("userTokenCreate", s.req("POST", "/user/by-id/bob/api-token"), "self", 200)
    expect("userTokenDelete", api("DELETE", "/user/by-id/bob/api-token"), "admin", 204)
    expect("userTokenCreate", api("POST", "/user/by-id/nosuch/api-token"), "unknown", 404)
    test_signin_operations(s)
    expect("authLogout", s.req("POST", "/auth/logout"), "cookie", 204)
    expect("auditAll", api("GET", "/audit/all?page=1&per_page=5"), "admin", 200)
    expect("docHtml", api("GET", "/doc.html", auth=None), "anonymous", 200)
    r = expect("docJs", api("GET", "/doc.js", auth=None), "anonymous", 200)
    # deletions last
    expect("peerDelete", api("DELETE", "/peer/by-id/" + q(multi.get("Identifier", "x"))),
           "admin", 204)
    expect("peerDelete", api("DELETE", "/peer/by-id/" + q(multi.get("Identifier", "x"))),
           "gone", 404)
    expect("userDelete", api("DELETE", "/user/by-id/bob"), "admin", 204)
    expect("userDelete", api("DELETE", "/user/by-id/bob"), "gone", 404)
    expect("interfaceDelete", api("DELETE", "/interface/by-id/" + q(IFACE)), "admin", 204)
    expect("interfaceDelete", api("DELETE", "/interface/by-id/" + q(IFACE)), "gone", 404)
    del A


def test_signin_operations(s):
    """TOTP and passkeys of bob (docs/auth.md); his password is BOB_PW + "x" by now."""
    expect("authProviders", api("GET", "/auth/providers", auth=None), "none configured", 200)
    expect("totpStatus", s.req("GET", "/auth/totp"), "off", 200)
    expect("totpStatus", api("GET", "/auth/totp", auth=None), "no credentials", 401)
    r = expect("totpSetup", s.req("POST", "/auth/totp/setup", {}), "session", 200)
    sec = (r.json() or {}).get("Secret", "")
    expect("totpSetup", api("POST", "/auth/totp/setup", {}, auth=None), "cross-site", 403)
    expect("totpConfirm", s.req("POST", "/auth/totp/confirm",
                                {"Code": "000000" if totp(sec) != "000000" else "111111"}),
           "wrong code", 400)
    r = expect("totpConfirm", s.req("POST", "/auth/totp/confirm", {"Code": totp(sec)}), "code",
               200)
    codes = (r.json() or {}).get("RecoveryCodes") or ["", ""]
    # the password login now answers {SecondFactor, Ticket} (not a Session: not schema-checked)
    ticket = (api("POST", "/auth/login", {"Username": "bob", "Password": BOB_PW + "x"},
                  auth=None).json() or {}).get("Ticket", "")
    expect("authLoginTotp", api("POST", "/auth/login/totp", {"Ticket": ticket, "Code": "12345"},
                                auth=None, headers=SAME_ORIGIN), "malformed code", 401)
    r = expect("authLoginTotp", api("POST", "/auth/login/totp",
                                    {"Ticket": ticket, "Code": codes[0]}, auth=None,
                                    headers=SAME_ORIGIN), "recovery code", 200)
    s2 = Sess(r)
    expect("totpDisable", s2.req("DELETE", "/auth/totp", {"Code": "0000-0000-0000-0000"}),
           "wrong code", 400)
    expect("totpDisable", s2.req("DELETE", "/auth/totp", {"Code": codes[1]}), "recovery code",
           204)
    expect("userTotpReset", s2.req("DELETE", "/user/by-id/bob/totp"), "non-admin", 403)
    expect("userTotpReset", api("DELETE", "/user/by-id/bob/totp"), "admin", 204)
    # passkeys (auth.webauthn.enabled defaults to true)
    a = Authenticator("es256")
    r = expect("passkeyRegisterStart", s2.req("POST", "/auth/webauthn/register/start"),
               "session", 200)
    opts = r.json() or {}
    r = expect("passkeyRegisterFinish", s2.req("POST", "/auth/webauthn/register/finish"
                                               "?credential_name=Doc", a.create(opts, RP_ORIGIN)),
               "ES256", 200)
    kid = ((r.json() or [{}])[0]).get("ID", "x")
    expect("passkeyRegisterFinish", s2.req("POST", "/auth/webauthn/register/finish",
                                           a.create(opts, RP_ORIGIN)), "challenge used up", 400)
    expect("passkeyList", s2.req("GET", "/auth/webauthn/credentials"), "session", 200)
    expect("passkeyList", api("GET", "/auth/webauthn/credentials", auth=None), "no credentials",
           401)
    r = expect("passkeyLoginStart", api("POST", "/auth/webauthn/login/start", auth=None),
               "anonymous", 200)
    expect("passkeyLoginFinish", api("POST", "/auth/webauthn/login/finish", {}, auth=None,
                                     headers=SAME_ORIGIN), "malformed", 400)
    expect("passkeyLoginFinish", api("POST", "/auth/webauthn/login/finish",
                                     a.get(r.json(), RP_ORIGIN), auth=None, headers=SAME_ORIGIN),
           "ES256", 200)
    expect("passkeyRename", s2.req("PUT", "/auth/webauthn/credential/" + q(kid), {"Name": "D2"}),
           "own", 200)
    expect("passkeyRename", s2.req("PUT", "/auth/webauthn/credential/nosuch", {"Name": "x"}),
           "unknown", 404)
    expect("passkeyDelete", s2.req("DELETE", "/auth/webauthn/credential/" + q(kid)), "own", 200)
    expect("passkeyDelete", s2.req("DELETE", "/auth/webauthn/credential/" + q(kid)), "gone", 404)


def test_every_operation_called():
    ops = [op["operationId"] for item in DOC["paths"].values() for m, op in item.items()
           if m != "parameters"]
    # removing a node needs several nodes on PostgreSQL: tests/cluster/test_cluster.py
    missing = [o for o in ops if not any(200 <= s < 300 for s in SEEN.get(o, ()))
               and o != "clusterNodeDelete"]
    T.eq(missing, [], f"all {len(ops)} documented operations answered successfully at least once")


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgpd-")
    d = wgtest.Daemon(tmp, "apidoc")
    d.truncate_log()
    try:
        if T.ok(d.start(write_config(tmp), PORT, timeout=60), "daemon starts", d.log()[-2000:]):
            if T.section("document", test_document) is None and not DOC:
                return T.done()
            T.section("routes", test_routes_documented)
            T.section("operations", lambda: test_operations(tmp))
            T.section("coverage", test_every_operation_called)
    finally:
        d.check_end(T, "apidoc", secrets=(ADMIN_PW, ADMIN_TOKEN, BOB_TOKEN, BOB_PW))
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpd", inner, iface_prefixes=("wgd{pid}",), timeout=600))
