#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Mail and webhooks end to end (issue 16; spec/wg-portal-compat.md 1.6.7, 1.6.10, 6).

Real parts, all on loopback inside a private network namespace "wgpm<pid>":
  - SMTP: Debian's python3-aiosmtpd (tests/lib/smtp_server.py, run with /usr/bin/python3) in
    three flavours: plain, STARTTLS and implicit TLS, with and without AUTH (PLAIN, LOGIN,
    CRAM-MD5), the TLS ones with a certificate of a test CA made here with openssl. Received
    mails are parsed with Python's email package: headers, MIME structure, the attachment
    (byte for byte the GET /provisioning/data/peer-config answer) and the inline QR code
    (decoded with zbarimg to the same config).
  - A webhook receiver (http.server) that records every request, checks the
    X-Wgportal-Signature HMAC, and answers 500 or hangs on demand.
  - The daemon with wireguard-go interfaces, restarted with different mail.* / webhook.* keys.

Also measured and printed as "# figure:" lines: the time from the API call to the mail in
the SMTP server and to the webhook at the receiver, and the retries of a failing receiver.
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import wgtest  # noqa: E402
from wgtest import basic, q  # noqa: E402

TAG = wgtest.tag()
ADMIN = "admin@wgpm.test"
ADMIN_PW = "Mail-Admin-Passw0rd-2026"
ADMIN_TOKEN = "mail-admin-token-0123456789abcdef"
BOB_TOKEN = "bob-mail-token-0123456789abcdefg"
USER_PW = "User-Passw0rd-long-enough"
SMTP_USER, SMTP_PW = "mailer@wgpm.test", "smtp-S3cret-pw"
HOOK_AUTH = "Bearer hook-auth-S3cret-0123"
HOOK_SECRET = "hook-signing-S3cret-4567"
IFACE = f"wgm{TAG}"[:15]
IMPORT_IFACE = f"wgmi{TAG}"[:15]
DEBIAN_PY = "/usr/bin/python3"

T = wgtest.Tap()
ADMIN_AUTH = basic(ADMIN, ADMIN_TOKEN)
FIGURES = []
SECRETS = [SMTP_PW, HOOK_AUTH.split()[1], HOOK_SECRET, ADMIN_TOKEN]


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT = free_port()
API = wgtest.Client(PORT, ADMIN_AUTH, timeout=30)


def api(method, path, body=None, **kw):
    return API.api(method, path, body, **kw)


def is_error(r, status, contains=None, field=None, name=""):
    j = r.json() or {}
    good = r.status == status and j.get("Code") == status
    if contains is not None:
        good = good and contains in (j.get("Message") or "")
    if field is not None:
        good = good and j.get("Field") == field
    return T.ok(good, name, f"status {r.status}, body {r.body[:400]!r}, want {status} "
                f"{contains!r} field {field!r}")


def figure(text):
    FIGURES.append(text)
    print(f"# figure: {text}", flush=True)


# ---------------------------------------------------------------- webhook receiver

class Receiver:
    """Records POSTs; plan is a list of actions for the next requests: an int (status) or
    ("hang", seconds). With the plan empty it answers 204."""

    def __init__(self, port=0):
        self.requests, self.plan, self.lock = [], [], threading.Lock()
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rec.lock:
                    action = rec.plan.pop(0) if rec.plan else 204
                    rec.requests.append({"t": time.time(), "headers": dict(self.headers),
                                         "body": body, "answered": action})
                if isinstance(action, tuple) and action[0] == "hang":
                    time.sleep(action[1])
                    action = 204
                # ("echo", status): answer with the request body (a careless receiver)
                reply = body if isinstance(action, tuple) else \
                    b"receiver down\n" if action == 500 else b""
                status = action[1] if isinstance(action, tuple) else action
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def events(self, since=0):
        with self.lock:
            return [dict(r, json=json.loads(r["body"])) for r in self.requests[since:]]

    def wait(self, pred, timeout=20):
        return wgtest.wait_for(lambda: [e for e in self.events() if pred(e)], timeout)

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def signature_ok(e, secret=HOOK_SECRET):
    want = "sha256=" + hmac.new(secret.encode(), e["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(e["headers"].get("X-Wgportal-Signature", ""), want)


# ---------------------------------------------------------------- SMTP server

class Smtp:
    def __init__(self, tmp, label, mode="none", auth=None, certs=None, port=0):
        self.dir = os.path.join(tmp, "smtp-" + label)
        self.maildir = os.path.join(self.dir, "mail")
        os.makedirs(self.dir, exist_ok=True)
        ready = os.path.join(self.dir, "port")
        args = [DEBIAN_PY, os.path.join(ROOT, "tests", "lib", "smtp_server.py"), "--port",
                str(port), "--ready-file", ready, "--maildir", self.maildir, "--mode", mode]
        if certs:
            args += ["--cert", certs["srv"], "--key", certs["key"]]
        if auth:
            args += ["--auth", f"{auth[0]}:{auth[1]}"]
        os.makedirs(wgtest.LOGDIR, exist_ok=True)
        self.log = open(os.path.join(wgtest.LOGDIR, f"smtp-{label}.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                self.port = int(open(ready).read())
                break
            except (OSError, ValueError):
                time.sleep(0.05)

    def mails(self):
        out = []
        try:
            names = sorted(n for n in os.listdir(self.maildir) if n.endswith(".eml"))
        except OSError:
            return out
        for n in names:
            raw = open(os.path.join(self.maildir, n), "rb").read()
            meta = json.load(open(os.path.join(self.maildir, n[:-4] + ".json")))
            out.append({"raw": raw, "meta": meta,
                        "msg": email.message_from_bytes(raw, policy=email.policy.default)})
        return out

    def wait(self, n, timeout=20):
        return wgtest.wait_for(lambda: len(self.mails()) >= n and self.mails(), timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


def make_certs(tmp):
    d = os.path.join(tmp, "pki")
    os.makedirs(d)
    run = lambda *a: subprocess.run(a, cwd=d, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", "/CN=wgportal test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out",
        "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext")
    return {"ca": os.path.join(d, "ca.pem"), "srv": os.path.join(d, "srv.pem"),
            "key": os.path.join(d, "srv.key")}


# ---------------------------------------------------------------- daemon

class World:
    """The temporary directory, the daemon and its current config."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.daemon = None
        self.n = 0

    def start(self, mail=None, webhook=None, env=None, expect_fail=False, extra="", stats=""):
        self.n += 1
        mail = mail or {}
        lines = [f"core:\n  admin_user: {ADMIN}\n  admin_password: \"{ADMIN_PW}\"\n"
                 f"  admin_api_token: \"{ADMIN_TOKEN}\"\n  import_existing: true\n"
                 f"advanced:\n  start_cidr_v4: 10.231.0.0/24\n  use_ip_v6: false\n"
                 f"  start_listen_port: 52310\n"
                 + wgtest.database_yaml(self.tmp) +
                 f"web:\n  listening_address: 127.0.0.1:{PORT}\n"
                 f"  external_url: https://vpn.wgpm.test\n  site_title: WG <Portal> & Co\n"
                 f"statistics:\n  data_collection_interval: 1s\n{stats}"
                 f"backend:\n  ignored_local_interfaces: []\n"]
        lines.append("mail:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in mail.items())
                     if mail else "")
        lines.append("webhook:\n" + "".join(f"  {k}: {json.dumps(v)}\n"
                                            for k, v in webhook.items()) if webhook else "")
        lines.append(extra)
        path = os.path.join(self.tmp, f"config-{self.n}.yaml")
        with open(path, "w") as f:
            f.write("".join(lines))
        saved = dict(os.environ)
        os.environ.update(env or {})
        try:
            self.daemon = wgtest.Daemon(self.tmp, f"mail-{TAG}-{self.n}")
            self.daemon.truncate_log()
            up = self.daemon.start(path, PORT, timeout=40 if not expect_fail else 10)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if expect_fail:
            rc = self.daemon.proc.wait(timeout=20) if not up else None
            return rc, self.daemon.log()
        T.ok(up, f"daemon #{self.n} starts and listens", self.daemon.log()[-2000:])
        return up

    def stop(self, label):
        if self.daemon and self.daemon.running():
            self.daemon.check_end(T, label, SECRETS + list(PRIVATE_KEYS))
        self.daemon = None


PRIVATE_KEYS = set()


def delivery(did, timeout=30, states=("sent", "failed")):
    """Polls GET /delivery/by-id until its status is one of states."""
    def probe():
        r = api("GET", f"/delivery/by-id/{did}")
        j = r.json() or {}
        return j if j.get("Status") in states else None
    return wgtest.wait_for(probe, timeout, 0.05)


def create_iface():
    body = api("GET", "/interface/prepare").json()
    body.update(Identifier=IFACE, DisplayName="Mail test interface", ListenPort=52311)
    r = api("POST", "/interface/new", body)
    T.ok(r.status == 200, "interface created", r)
    PRIVATE_KEYS.add(body["PrivateKey"])
    return body


def create_peer(user, name):
    body = api("GET", f"/peer/prepare/{q(IFACE)}").json()
    body.update(UserIdentifier=user, DisplayName=name)
    r = api("POST", "/peer/new", body)
    T.ok(r.status == 200, f"peer '{name}' created", r)
    PRIVATE_KEYS.add(body["PrivateKey"])
    return body


def create_user(uid, email_addr, first="", last="", token=None):
    body = {"Identifier": uid, "Password": USER_PW, "Email": email_addr, "Firstname": first,
            "Lastname": last}
    if token:
        body["ApiToken"] = token
    r = api("POST", "/user/new", body)
    T.ok(r.status == 200, f"user '{uid}' created", r)
    return r.json() or {}


# ---------------------------------------------------------------- sections

PEER_FIELDS = ["CreatedBy", "UpdatedBy", "CreatedAt", "UpdatedAt", "Endpoint",
               "EndpointPublicKey", "AllowedIPsStr", "ExtraAllowedIPsStr", "PresharedKey",
               "PersistentKeepalive", "DisplayName", "Identifier", "UserIdentifier",
               "InterfaceIdentifier", "AutomaticallyCreated", "PrivateKey", "PublicKey",
               "InterfaceType", "Addresses", "CheckAliveAddress", "DnsStr", "DnsSearchStr",
               "Mtu"]
IFACE_FIELDS = ["CreatedBy", "UpdatedBy", "CreatedAt", "UpdatedAt", "Identifier", "PrivateKey",
                "PublicKey", "ListenPort", "Addresses", "DnsStr", "DnsSearchStr", "Mtu",
                "FirewallMark", "RoutingTable", "PreUp", "PostUp", "PreDown", "PostDown",
                "SaveConfig", "DisplayName", "Type", "DriverType"]
USER_FIELDS = ["CreatedBy", "UpdatedBy", "CreatedAt", "UpdatedAt", "Identifier", "Email",
               "AuthSources", "IsAdmin"]


def check_envelope(e, event, entity, ident, name):
    j = e["json"]
    h = e["headers"]
    T.ok(list(j.keys()) == ["event", "entity", "identifier", "payload"] and
         (j["event"], j["entity"], j["identifier"]) == (event, entity, ident),
         f"{name}: envelope event/entity/identifier in wg-portal's order", j)
    T.ok(not e["body"].endswith(b"\n") and b": " not in e["body"][:40] and
         h.get("Content-Type") == "application/json" and h.get("Authorization") == HOOK_AUTH,
         f"{name}: compact JSON without newline, Content-Type, Authorization verbatim",
         (e["body"][:80], h))
    T.ok(signature_ok(e) and (h.get("X-Wgportal-Delivery") or "").isdigit(),
         f"{name}: X-Wgportal-Signature is the HMAC-SHA256 of the body, delivery id header", h)


def test_import_sends_nothing(w, rcv):
    # the interface made before the start was imported (core.import_existing): no webhook
    time.sleep(1.5)
    T.ok(not [e for e in rcv.events() if IMPORT_IFACE in e["body"].decode()],
         "imported interface and peer: no webhook (wg-portal never sends one for imports)")
    r = api("GET", "/interface/by-id/" + IMPORT_IFACE)
    T.eq(r.status, 200, "the pre-existing interface was imported")
    got = rcv.wait(lambda e: e["json"]["entity"] == "user" and e["json"]["identifier"] == ADMIN)
    T.ok(got and got[0]["json"]["event"] == "create" and got[0]["json"]["payload"]["IsAdmin"],
         "the bootstrap admin's creation is a user create webhook (spec 6.1)")


def test_webhook_models(w, rcv, st):
    t0 = time.time()
    ifc = create_iface()
    got = rcv.wait(lambda e: e["json"]["entity"] == "interface")
    T.ok(got, "interface create webhook arrives")
    if not got:
        return
    figure(f"webhook: API call to receiver {1000 * (got[0]['t'] - t0):.0f} ms "
           "(interface create, the API answer included)")
    e = got[0]
    check_envelope(e, "create", "interface", IFACE, "interface create")
    p = e["json"]["payload"]
    T.ok([k for k in IFACE_FIELDS if k in p] == IFACE_FIELDS and
         list(p.keys())[:len(IFACE_FIELDS)] == IFACE_FIELDS,
         "interface payload: wg-portal's fields in its order (models/interface.go)", list(p))
    T.ok(p["DisplayName"] == IFACE and p["Type"] == "server" and p["DriverType"] == "" and
         p["PrivateKey"] == ifc["PrivateKey"] and p["Addresses"] == ifc["Addresses"] and
         p["ListenPort"] == 52311 and "Disabled" not in p and
         p["PeerDefNetworkStr"] == ",".join(ifc["PeerDefNetwork"]) and
         p["CreatedAt"].endswith("Z") and p["CreatedBy"] == "",
         "interface payload: DisplayName quirk (the identifier), plain values, joined "
         "PeerDef strings, RFC 3339 times, Disabled left out", p)
    T.ok("Password" not in json.dumps(p) and "Overridable" not in json.dumps(p),
         "interface payload: no ConfigOption objects", p)

    n = len(rcv.events())
    alice = create_user("alice", "alice@wgpm.test", "Alice & <Al>", "O'Neil")
    got = rcv.wait(lambda e: e["json"]["entity"] == "user" and e["json"]["identifier"] == "alice")
    T.ok(got, "user create webhook arrives")
    if got:
        check_envelope(got[0], "create", "user", "alice", "user create")
        u = got[0]["json"]["payload"]
        T.ok(list(u.keys())[:len(USER_FIELDS)] == USER_FIELDS and
             u["AuthSources"] == [{"Source": "db", "ProviderName": ""}] and
             u["Firstname"] == "Alice & <Al>" and "Phone" not in u and "Notes" not in u and
             not any(k in u for k in ("Password", "ApiToken", "PasswordHash")),
             "user payload: models/user.go fields, omitempty strings left out, no secrets", u)
        T.ok(b"\\u0026" in got[0]["body"] and b"\\u003c" in got[0]["body"],
             "webhook JSON escapes & < > like Go's json.Marshal", got[0]["body"][:200])
    create_user("bob", "bob@wgpm.test", "Bob", "B", token=BOB_TOKEN)
    create_user("nomail", "", "No", "Mail")
    st["alice"] = alice

    peer = create_peer("alice", "Alice Laptop")
    st["peer"] = peer
    got = rcv.wait(lambda e: e["json"]["entity"] == "peer" and
                   e["json"]["identifier"] == peer["Identifier"])
    T.ok(got, "peer create webhook arrives")
    if got:
        check_envelope(got[0], "create", "peer", peer["Identifier"], "peer create")
        p = got[0]["json"]["payload"]
        T.ok(list(p.keys()) == PEER_FIELDS,
             "peer payload: exactly models/peer.go's fields in order (omitempty ones absent)",
             list(p))
        T.ok(p["PrivateKey"] == peer["PrivateKey"] and p["PublicKey"] == peer["PublicKey"] and
             p["PresharedKey"] == peer["PresharedKey"] and
             p["AllowedIPsStr"] == ",".join(peer["AllowedIPs"]["Value"]) and
             p["Endpoint"] == peer["Endpoint"]["Value"] and
             p["InterfaceType"] == "client" and p["Addresses"] == peer["Addresses"] and
             p["PersistentKeepalive"] == peer["PersistentKeepalive"]["Value"] and
             p["Mtu"] == peer["Mtu"]["Value"] and p["UserIdentifier"] == "alice",
             "peer payload: plain values of the ConfigOptions, the peer's mode as "
             "InterfaceType, keys as wg-portal sends them", p)
    # disable -> update with Disabled time; then the same peer twice more, in order
    upd = dict(peer, Disabled=True, DisabledReason="test")
    t0 = time.time()
    T.eq(api("PUT", "/peer/by-id/" + q(peer["Identifier"]), upd).status, 200, "peer disabled")
    t_answer = time.time() - t0
    first = rcv.wait(lambda e: e["json"]["entity"] == "peer" and e["json"]["event"] == "update")
    if first:
        figure(f"webhook: peer update API answer {1000 * t_answer:.0f} ms; API call to "
               f"receiver {1000 * (first[0]['t'] - t0):.0f} ms")
    upd2 = dict(peer, Disabled=False, DisplayName="Alice Laptop 2")
    T.eq(api("PUT", "/peer/by-id/" + q(peer["Identifier"]), upd2).status, 200,
         "peer enabled again")
    got = rcv.wait(lambda e: e["json"]["entity"] == "peer" and e["json"]["event"] == "update",
                   timeout=20)
    got = wgtest.wait_for(lambda: len([e for e in rcv.events() if e["json"]["entity"] == "peer"
                                       and e["json"]["event"] == "update"]) >= 2 and
                          [e for e in rcv.events() if e["json"]["entity"] == "peer" and
                           e["json"]["event"] == "update"], 20)
    T.ok(got and "Disabled" in got[0]["json"]["payload"] and
         got[0]["json"]["payload"]["DisabledReason"] == "test" and
         "Disabled" not in got[1]["json"]["payload"] and
         got[1]["json"]["payload"]["DisplayName"] == "Alice Laptop 2",
         "peer updates arrive in order; Disabled is an RFC 3339 time only while disabled",
         [g["json"]["payload"].get("Disabled") for g in (got or [])])
    st["bob_peer"] = create_peer("bob", "Bob Phone")
    st["nomail_peer"] = create_peer("nomail", "No Mail Peer")
    # a peer whose user id is an address without a user record (only a database taken over
    # from wg-portal has those: the API refuses unknown users); its user id is rewritten in
    # the database while the daemon is stopped (set_orphan)
    st["orphan_peer"] = create_peer("bob", "Carol Tablet")
    st["nouser_peer"] = create_peer("", "Nobody's Peer")


def parts_of(msg):
    return [(p.get_content_type(), p.get_filename(), p.get("Content-ID"),
             p.get_content_disposition()) for p in msg.walk()]


def qr_decode(png, tmp):
    path = os.path.join(tmp, f"qr-{time.time_ns()}.png")
    with open(path, "wb") as f:
        f.write(png)
    r = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", path], capture_output=True)
    return r.stdout


def test_config_mail(w, smtp, st, tmp, label):
    peer = st["peer"]
    pid = peer["Identifier"]
    before = len(smtp.mails())
    t0 = time.time()
    r = api("POST", "/peer/config-mail", {"Identifiers": [pid], "LinkOnly": False})
    t_answer = time.time() - t0
    j = r.json() or {}
    T.ok(r.status == 202 and j.get("Deliveries") and j["Deliveries"][0]["Status"] == "queued"
         and j["Deliveries"][0]["Recipient"] == "alice@wgpm.test",
         f"{label}: POST /peer/config-mail answers 202 with the queued delivery", r)
    if r.status != 202:
        return None
    did = j["Deliveries"][0]["Id"]
    d = delivery(did)
    T.ok(d and d["Status"] == "sent" and d["Attempts"] == 1 and d["LastError"] == "",
         f"{label}: delivery log shows the mail sent on the first attempt", d)
    mails = smtp.wait(before + 1)
    T.ok(mails, f"{label}: the SMTP server received the mail")
    if not mails:
        return None
    m = mails[-1]
    figure(f"mail ({label}): API answer {1000 * t_answer:.0f} ms; API call to SMTP server "
           f"{1000 * (m['meta']['received_at'] - t0):.0f} ms")
    return m, d


def check_attachment_mail(m, st, tmp, label):
    msg = m["msg"]
    peer = st["peer"]
    pid = peer["Identifier"]
    fname = (api("GET", "/peer/by-id/" + q(pid)).json() or {}).get("Filename")
    T.ok(msg["Subject"] == "WireGuard VPN Configuration" and msg["To"] == "alice@wgpm.test" and
         msg["From"] == msg["Reply-To"] and "noreply@wgpm.test" in msg["From"] and
         msg["Date"] and msg["Message-ID"] and msg["MIME-Version"] == "1.0",
         f"{label}: headers Subject, From = Reply-To (mail.from), To, Date, Message-ID",
         dict(msg.items()))
    T.ok(m["meta"]["mail_from"] == "noreply@wgpm.test" and
         m["meta"]["rcpt_tos"] == ["alice@wgpm.test"],
         f"{label}: SMTP envelope MAIL FROM / RCPT TO", m["meta"])
    types = [p[0] for p in parts_of(msg)]
    T.eq(types, ["multipart/mixed", "multipart/related", "multipart/alternative", "text/plain",
                 "text/html", "image/png", "text/plain"],
         f"{label}: mixed > related > alternative(text, html) + inline PNG, + attachment")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    T.ok("Hello Alice & <Al> O'Neil," in text and f"({fname})" in text and
         "This mail was generated by WG <Portal> & Co." in text,
         f"{label}: text part rendered from mail_with_attachment.gotpl", text[:400])
    T.ok("Hello Alice &amp; &lt;Al&gt; O&#39;Neil" in html and 'src="cid:WireGuardQRCode.png"'
         in html and "<!--" not in html and "WG &lt;Portal&gt; &amp; Co" in html,
         f"{label}: HTML part escaped as html/template does, comments dropped", html[:300])
    att = [p for p in msg.walk() if p.get_content_disposition() == "attachment"]
    inl = [p for p in msg.walk() if p.get_content_disposition() == "inline"]
    conf = api("GET", "/provisioning/data/peer-config?PeerId=" + q(pid)).body
    qr = api("GET", "/provisioning/data/peer-qr?PeerId=" + q(pid)).body
    T.ok(att and att[0].get_filename() == fname and fname.endswith(".conf") and
         att[0].get_payload(decode=True) == conf,
         f"{label}: attachment <Filename> is byte for byte GET peer-config",
         att and (att[0].get_payload(decode=True), conf))
    T.ok(inl and inl[0].get("Content-ID") == "<WireGuardQRCode.png>" and
         inl[0].get_payload(decode=True) == qr,
         f"{label}: inline WireGuardQRCode.png (Content-ID) is the peer-qr PNG")
    if inl:
        decoded = qr_decode(inl[0].get_payload(decode=True), tmp)
        # spec 4.5: comment lines removed, every other line trimmed
        want = "".join(line.strip() + "\n" for line in conf.decode().split("\n")[:-1]
                       if not line.strip().startswith("#")).encode()
        T.ok(decoded.rstrip(b"\n") == want.rstrip(b"\n") and
             peer["PrivateKey"].encode() in decoded,
             f"{label}: zbarimg decodes the QR code to the same config", decoded[:200])


def test_link_mail(w, smtp, st):
    pid = st["peer"]["Identifier"]
    before = len(smtp.mails())
    r = api("POST", "/peer/config-mail", {"Identifiers": [pid], "LinkOnly": True})
    T.ok(r.status == 202 and r.json()["Deliveries"][0]["LinkOnly"] is True,
         "LinkOnly: queued", r)
    mails = smtp.wait(before + 1)
    if not T.ok(mails, "LinkOnly: mail received"):
        return
    msg = mails[-1]["msg"]
    T.eq([p[0] for p in parts_of(msg)], ["multipart/alternative", "text/plain", "text/html"],
         "LinkOnly: text + HTML only, no attachment, no QR code")
    text = msg.get_body(("plain",)).get_content()
    T.ok("https://vpn.wgpm.test/#/peers" in text and st["peer"]["PrivateKey"] not in
         mails[-1]["raw"].decode(errors="replace"),
         "LinkOnly: the body links to the portal and carries no key", text[:500])


def test_mail_bad_input(w, smtp, st):
    count = lambda: int(api("GET", "/delivery/all?kind=mail&per_page=1")  # noqa: E731
                        .header("X-Total-Count") or -1)
    n0 = count()
    is_error(api("POST", "/peer/config-mail", {}), 400, "missing peer identifiers",
             "Identifiers", "config-mail without Identifiers: 400 naming the field")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": []}), 400,
             "missing peer identifiers", "Identifiers", "empty Identifiers: 400")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": "x"}), 400, None, "Identifiers",
             "Identifiers not an array: 400")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": [st["peer"]["Identifier"]],
                                               "Style": "raw"}), 400, "unknown field",
             "Style", "unknown field: 400 naming it")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": [st["peer"]["Identifier"]],
                                               "LinkOnly": "yes"}), 400, None, "LinkOnly",
             "LinkOnly not a bool: 400")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": ["A" * 43 + "="]}), 404,
             "record not found", None, "unknown peer: 404")
    is_error(api("POST", "/peer/config-mail",
                 {"Identifiers": [st["peer"]["Identifier"], st["nomail_peer"]["Identifier"]]}),
             400, "has no valid email address, no email is sent", "Identifiers",
             "a peer whose user has no e-mail: 400, and nothing queued for the other one")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": [st["nouser_peer"]["Identifier"]]}),
             400, "has no user linked, no email is sent", "Identifiers",
             "a peer without user: 400")
    bob = basic("bob", BOB_TOKEN)
    T.eq(count(), n0, "rejected requests queued nothing")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": [st["bob_peer"]["Identifier"]]},
                 auth=bob), 403, "only admins can access this endpoint", None,
             "advanced.api_admin_only: a non-admin's API token may not send mails")
    # the UI's way: a session (cookie + CSRF token), as wg-portal's own UI call
    r = api("POST", "/auth/login", {"Username": "bob", "Password": USER_PW}, auth=None,
            headers={"Origin": f"http://127.0.0.1:{PORT}"})
    cookie = (r.header("Set-Cookie") or "").split(";")[0]
    hdr = {"Cookie": cookie, "X-CSRF-Token": (r.json() or {}).get("CsrfToken", "")}
    r = api("POST", "/peer/config-mail", {"Identifiers": [st["bob_peer"]["Identifier"]]},
            auth=None, headers=hdr)
    T.eq(r.status, 202, "a non-admin session mails the config of their own peer")
    if r.status == 202:
        did = r.json()["Deliveries"][0]["Id"]
        T.eq(api("GET", f"/delivery/by-id/{did}", auth=None, headers=hdr).status, 200,
             "the requester sees their mail's status")
        T.eq((delivery(did) or {}).get("Status"), "sent", "bob's mail sent")
        is_error(api("GET", f"/delivery/by-id/{did - 1}", auth=None, headers=hdr), 404,
                 "not found", None, "another delivery is not visible to bob")
    is_error(api("POST", "/peer/config-mail", {"Identifiers": [st["peer"]["Identifier"]]},
                 auth=None, headers=hdr), 403, "no permission", None,
             "a non-admin session cannot mail someone else's peer")
    is_error(api("GET", "/delivery/all", auth=bob), 403, "not enough permissions", None,
             "GET /delivery/all is for admins")
    is_error(api("GET", "/delivery/all?kind=fax"), 400, None, "kind", "bad kind: 400")
    is_error(api("GET", "/delivery/all?status=lost"), 400, None, "status", "bad status: 400")
    is_error(api("GET", "/delivery/by-id/abc"), 400, "invalid delivery id", None,
             "bad delivery id: 400")
    is_error(api("GET", "/delivery/by-id/999999"), 404, "not found", None,
             "unknown delivery id: 404")
    # header injection: an e-mail with a line break never reaches a header
    r = api("POST", "/user/new", {"Identifier": "mallory", "Password": USER_PW,
                                  "Email": "m@wgpm.test\r\nBcc: victim@example.com"})
    if r.status == 200:
        p = create_peer("mallory", "Mallory")
        is_error(api("POST", "/peer/config-mail", {"Identifiers": [p["Identifier"]]}), 400,
                 "no valid email address", "Identifiers",
                 "an e-mail with CR/LF is no recipient (no header injection)")
    else:
        T.ok(r.status == 400, "an e-mail with CR/LF is refused when the user is stored", r)


def test_delivery_log(w, st):
    r = api("GET", "/delivery/all")
    rows = r.json() or []
    T.ok(r.status == 200 and r.header("X-Total-Count") and
         {x["Kind"] for x in rows} == {"mail", "webhook"} and
         all(set(x) >= {"Id", "Kind", "Event", "Entity", "Identifier", "Status", "Attempts",
                        "LastError", "CreatedAt", "SentAt"} for x in rows),
         "GET /delivery/all: mails and webhooks with status, attempts, times", rows[:2])
    body = r.body.decode()
    T.ok(not any(k in body for k in PRIVATE_KEYS) and "payload" not in body.lower()
         and HOOK_AUTH not in body,
         "the delivery log never shows payloads, keys or the Authorization value")
    r = api("GET", "/delivery/all?kind=webhook&status=sent&per_page=2&page=1")
    rows = r.json() or []
    T.ok(r.status == 200 and len(rows) == 2 and all(x["Kind"] == "webhook" and
                                                    x["Status"] == "sent" for x in rows),
         "kind/status filters and paging", rows)


def test_failing_receiver(w, rcv, st):
    """Receiver answers 500 twice, then hangs past webhook.timeout, then 204."""
    pid = st["peer"]["Identifier"]
    n0 = len(rcv.events())
    rcv.plan[:] = [500, 500, ("hang", 3)]
    t0 = time.time()
    upd = dict(st["peer"], DisplayName="Retry 1")
    T.eq(api("PUT", "/peer/by-id/" + q(pid), upd).status, 200, "update with failing receiver")
    upd["DisplayName"] = "Retry 2"
    T.eq(api("PUT", "/peer/by-id/" + q(pid), upd).status, 200, "second update queued behind")
    got = wgtest.wait_for(lambda: len([e for e in rcv.events(n0)
                                       if e["answered"] == 204]) >= 2 and rcv.events(n0), 40)
    T.ok(got, "both updates delivered after the receiver recovers")
    if not got:
        return
    names = [(e["json"]["payload"]["DisplayName"], e["answered"]) for e in got]
    T.eq(names, [("Retry 1", 500), ("Retry 1", 500), ("Retry 1", ("hang", 3)),
                 ("Retry 1", 204), ("Retry 2", 204)],
         "retries of the first event, and the second waits for it (order per object)")
    ids = {e["headers"]["X-Wgportal-Delivery"] for e in got[:4]}
    T.eq(len(ids), 1, "a retry carries the same X-Wgportal-Delivery id")
    gaps = [got[i + 1]["t"] - got[i]["t"] for i in range(3)]
    figure("failing receiver: attempts at +" + ", +".join(f"{g:.1f} s" for g in gaps) +
           f" (500, 500, hang past the 1 s timeout, then 204); delivered "
           f"{got[3]['t'] - t0:.1f} s after the API call")
    T.ok(0.8 <= gaps[0] and gaps[1] >= 1.8 and gaps[2] >= 3.5,
         "backoff: about 1 s, 2 s, then 4 s after the 1 s timeout", gaps)
    rows = api("GET", "/delivery/all?kind=webhook&per_page=5").json() or []
    first = [x for x in rows if x["Id"] == int(got[0]["headers"]["X-Wgportal-Delivery"])]
    T.ok(first and first[0]["Attempts"] == 4 and first[0]["Status"] == "sent" and
         first[0]["ResponseCode"] == 204,
         "the delivery log shows 4 attempts for the retried event", first)
    # a 400 is final; the receiver echoes the body (with the private key) in its answer
    n1 = len(rcv.events())
    rcv.plan[:] = [("echo", 400)]
    upd["DisplayName"] = "Refused"
    T.eq(api("PUT", "/peer/by-id/" + q(pid), upd).status, 200, "update refused by receiver")
    upd["DisplayName"] = "After refused"
    T.eq(api("PUT", "/peer/by-id/" + q(pid), upd).status, 200, "next update")
    got = wgtest.wait_for(lambda: len(rcv.events(n1)) >= 2 and rcv.events(n1), 20)
    T.ok(got and [e["json"]["payload"]["DisplayName"] for e in got] == ["Refused",
                                                                         "After refused"],
         "a 4xx is not retried, and the next event of the peer follows", got and len(got))
    if got:
        did = int(got[0]["headers"]["X-Wgportal-Delivery"])
        d = api("GET", f"/delivery/by-id/{did}").json() or {}
        T.ok(d.get("Status") == "failed" and d.get("Attempts") == 1 and
             d.get("LastError") == "HTTP 400 Bad Request" and d.get("ResponseCode") == 400,
             "failed with the receiver's status line; its body (our payload) is not kept", d)


def test_restart_keeps_queue(w, st, tmp, mail, hook):
    """Receiver and SMTP server down; changes and a mail are queued; the daemon restarts;
    after they come back everything is delivered: nothing is lost over a restart."""
    rcv = Receiver()
    hook = dict(hook, url=rcv.url())
    dead_port = free_port()   # nothing listens here yet
    w.start(dict(mail, port=dead_port), hook)
    rcv_port = rcv.port
    rcv.stop()
    pid = st["peer"]["Identifier"]
    upd = dict(st["peer"], DisplayName="While down")
    t0 = time.time()
    T.eq(api("PUT", "/peer/by-id/" + q(pid), upd).status, 200,
         "an update is accepted while the receiver is down (sending never blocks a request)")
    T.ok(time.time() - t0 < 2, "the request did not wait for the receiver")
    r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
    T.eq(r.status, 202, "a mail is accepted while the SMTP server is unreachable")
    did = r.json()["Deliveries"][0]["Id"] if r.status == 202 else 0
    d = delivery(did, 15, ("retrying",))
    T.ok(d and d["Attempts"] >= 1 and d["LastError"] and d["NextAttemptAt"],
         "unreachable SMTP server: retrying, the connect error and the next attempt shown", d)
    w.stop("before restart")
    # both come back on the same ports, then the daemon
    smtp = Smtp(tmp, "revived", port=dead_port)
    T.ok(smtp.port == dead_port, "SMTP server up on the formerly dead port")
    back = Receiver(port=rcv_port)
    w.start(dict(mail, port=dead_port), hook)
    got = back.wait(lambda e: e["json"]["event"] == "update" and
                    e["json"]["payload"]["DisplayName"] == "While down", 30)
    T.ok(got and signature_ok(got[0]), "after the restart the queued webhook is delivered")
    d = delivery(did, 60)
    T.ok(d and d["Status"] == "sent" and smtp.mails(),
         "after the restart the queued mail is sent", d)
    w.stop("after restart")
    smtp.stop()
    back.stop()


def test_smtp_variants(w, st, tmp, certs, hook):
    """STARTTLS and implicit TLS with AUTH PLAIN / LOGIN / CRAM-MD5 against the test CA."""
    rcv = Receiver()
    hook = dict(hook, url=rcv.url())
    pid = st["peer"]["Identifier"]
    ca_env = {"SSL_CERT_FILE": certs["ca"]}
    cases = [("starttls", "plain", True), ("starttls", "login", True),
             ("starttls", "crammd5", True), ("tls", "plain", True), ("tls", "crammd5", True)]
    servers = {m: Smtp(tmp, f"{m}-auth", m, (SMTP_USER, SMTP_PW), certs)
               for m in ("starttls", "tls")}
    noauth = Smtp(tmp, "tls-noauth", "tls", None, certs)
    try:
        for mode, auth, _ in cases:
            smtp = servers[mode]
            n = len(smtp.mails())
            mail = {"host": "127.0.0.1", "port": smtp.port, "encryption": mode,
                    "cert_validation": True, "username": SMTP_USER, "password": SMTP_PW,
                    "auth_type": auth, "from": "WG Portal <noreply@wgpm.test>"}
            w.start(mail, hook, env=ca_env)
            t0 = time.time()
            r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
            d = delivery(r.json()["Deliveries"][0]["Id"]) if r.status == 202 else None
            mails = smtp.wait(n + 1)
            ok = d and d["Status"] == "sent" and mails
            T.ok(ok, f"{mode} + AUTH {auth}: sent, certificate checked against the test CA", d)
            if ok:
                meta = mails[-1]["meta"]
                T.ok(meta["tls"] and meta["auth_mechanism"] == {"plain": "PLAIN", "login":
                                                                "LOGIN", "crammd5":
                                                                "CRAM-MD5"}[auth] and
                     meta["login"] == SMTP_USER,
                     f"{mode} + AUTH {auth}: the server saw TLS and that mechanism", meta)
                figure(f"mail ({mode}, AUTH {auth}): API call to SMTP server "
                       f"{1000 * (meta['received_at'] - t0):.0f} ms")
            w.stop(f"{mode}-{auth}")
        # wrong password: the server's answer, no retry
        smtp = servers["starttls"]
        w.start({"host": "127.0.0.1", "port": smtp.port, "encryption": "starttls",
                 "username": SMTP_USER, "password": "wrong-password", "auth_type": "login",
                 "from": "noreply@wgpm.test"}, hook, env=ca_env)
        r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
        d = delivery(r.json()["Deliveries"][0]["Id"]) if r.status == 202 else None
        T.ok(d and d["Status"] == "failed" and d["Attempts"] == 1 and
             d["LastError"].startswith("535") and d["ResponseCode"] == 535 and
             "wrong-password" not in json.dumps(d),
             "wrong password: failed at once with the server's 535 answer", d)
        log = w.daemon.log()
        w.stop("wrong password")
        T.ok("wrong-password" not in log, "the wrong password is not in the log")
        # certificate checks: without the CA -> failed; cert_validation false -> sent
        w.start({"host": "127.0.0.1", "port": noauth.port, "encryption": "tls",
                 "cert_validation": True, "from": "noreply@wgpm.test"}, hook)
        r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
        d = delivery(r.json()["Deliveries"][0]["Id"]) if r.status == 202 else None
        T.ok(d and d["Status"] == "failed" and "certificate" in d["LastError"].lower(),
             "cert_validation true and an unknown CA: failed, the TLS reason shown", d)
        w.stop("untrusted certificate")
        n = len(noauth.mails())
        w.start({"host": "127.0.0.1", "port": noauth.port, "encryption": "tls",
                 "cert_validation": False, "from": "noreply@wgpm.test"}, hook)
        r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
        d = delivery(r.json()["Deliveries"][0]["Id"]) if r.status == 202 else None
        T.ok(d and d["Status"] == "sent" and noauth.wait(n + 1),
             "cert_validation false: sent over TLS without checking the certificate", d)
        w.stop("no certificate check")
    finally:
        for s_ in list(servers.values()) + [noauth]:
            s_.stop()
        rcv.stop()


def set_orphan(tmp, peer_id, user_id):
    wgtest.database_exec(tmp, "UPDATE {peers} SET user_id = ? WHERE identifier = ?", user_id,
                         peer_id)


def test_templates_and_peer_email(w, st, tmp, mail, hook):
    smtp = Smtp(tmp, "templates")
    mail = dict(mail, port=smtp.port)
    try:
        set_orphan(tmp, st["orphan_peer"]["Identifier"], "carol@wgpm.test")
        # an empty templates_path is created and filled with the built-ins (template.go:42-57)
        tdir = os.path.join(tmp, "templates")
        w.start(dict(mail, templates_path=tdir), hook)
        is_error(api("POST", "/peer/config-mail",
                     {"Identifiers": [st["orphan_peer"]["Identifier"]]}),
                 400, "has no valid email address", "Identifiers",
                 "user id that is an address, no such user, allow_peer_email false: 400")
        names = sorted(os.listdir(tdir)) if os.path.isdir(tdir) else []
        T.eq(names, ["mail_with_attachment.gohtml", "mail_with_attachment.gotpl",
                     "mail_with_link.gohtml", "mail_with_link.gotpl"],
             "templates_path created and filled with the four built-in templates")
        w.stop("templates filled")
        # wg-portal's own link templates plus a custom attachment text template
        for f in ("mail_with_link.gotpl", "mail_with_link.gohtml"):
            shutil.copy(os.path.join(ROOT, "tests", "data", "gotpl", "wg-portal", f),
                        os.path.join(tdir, f))
        with open(os.path.join(tdir, "mail_with_attachment.gotpl"), "w") as f:
            f.write("{{- /* custom */ -}}\nHi {{with .User}}{{.Firstname}}{{else}}you{{end}}!"
                    "\n{{range $k, $v := .User}}{{end}}Your file: {{.ConfigFileName}} "
                    "{{printf \"%q\" .PortalName}}\n")
        w.start(dict(mail, templates_path=tdir, allow_peer_email=True), hook)
        pid = st["peer"]["Identifier"]
        n = len(smtp.mails())
        r = api("POST", "/peer/config-mail", {"Identifiers": [pid]})
        mails = smtp.wait(n + 1)
        T.ok(r.status == 202 and mails, "mail with a custom template sent", r)
        if mails:
            text = mails[-1]["msg"].get_body(("plain",)).get_content().replace("\r\n", "\n")
            T.ok(text.startswith("Hi Alice & <Al>!\nYour file: ") and
                 '"WG <Portal> & Co"' in text,
                 "the templates_path file replaced the built-in text template", text)
        r = api("POST", "/peer/config-mail", {"Identifiers": [pid], "LinkOnly": True})
        mails = smtp.wait(n + 2)
        if T.ok(r.status == 202 and mails, "wg-portal's own link templates accepted and sent"):
            html = mails[-1]["msg"].get_body(("html",)).get_content()
            text = mails[-1]["msg"].get_body(("plain",)).get_content()
            T.ok("Scan the attached Qrcode" in text and "configuration file (" in html,
                 "wg-portal's link templates render as in wg-portal", text[:300])
        # allow_peer_email: the peer's user id is an address and no such user exists
        n = len(smtp.mails())
        r = api("POST", "/peer/config-mail", {"Identifiers": [st["orphan_peer"]["Identifier"]]})
        mails = smtp.wait(n + 1)
        T.ok(r.status == 202 and r.json()["Deliveries"][0]["Recipient"] == "carol@wgpm.test"
             and mails and mails[-1]["meta"]["rcpt_tos"] == ["carol@wgpm.test"],
             "allow_peer_email: mailed to the user identifier", r)
        w.stop("custom templates")
        # a template with a syntax error stops the start with the file and line
        with open(os.path.join(tdir, "mail_with_link.gohtml"), "w") as f:
            f.write("<p>\n{{if .User}}\n{{.User.Email}\n</p>\n")
        rc, log = w.start(dict(mail, templates_path=tdir), hook, expect_fail=True)
        T.ok(rc not in (None, 0) and "mail_with_link.gohtml:3" in log and
             "templates_path" in log,
             "a template syntax error is a start-up error naming the file and line",
             log[-600:])
        w.daemon = None
    finally:
        smtp.stop()


def test_bad_from(w, st, mail, hook):
    """A mail.from that is no address does not stop the start (wg-portal fails only when it
    sends); the mails fail with the reason."""
    w.start(dict(mail, **{"from": "WG Portal <not-an-address>"}), hook)
    T.ok("mail.from" in w.daemon.log(), "start-up warns about mail.from")
    r = api("POST", "/peer/config-mail", {"Identifiers": [st["peer"]["Identifier"]]})
    d = delivery(r.json()["Deliveries"][0]["Id"]) if r.status == 202 else None
    T.ok(d and d["Status"] == "failed" and "mail.from" in d["LastError"],
         "unusable mail.from: the mail fails at once, naming mail.from", d)
    w.stop("bad from")


def test_peer_metric(w, rcv, st, mail, hook):
    """connect / disconnect from the ping checker (statistics.go:369-393)."""
    w.start(mail, hook, stats="  use_ping_checks: true\n  ping_check_interval: 1s\n")
    p = create_peer("bob", "Pinged")
    n = len(rcv.events())
    T.eq(api("PUT", "/peer/by-id/" + q(p["Identifier"]), dict(p, CheckAliveAddress="127.0.0.1"))
         .status, 200, "peer gets a CheckAliveAddress that answers")
    got = rcv.wait(lambda e: e["json"]["entity"] == "peer_metric" and
                   e["json"]["identifier"] == p["Identifier"], 30)
    T.ok(got and got[0]["json"]["event"] == "connect", "peer_metric connect arrives",
         got and got[0]["json"])
    if got:
        check_envelope(got[0], "connect", "peer_metric", p["Identifier"], "peer_metric")
        pl = got[0]["json"]["payload"]
        T.ok(list(pl) == ["Status", "Peer"] and pl["Status"]["IsConnected"] is True and
             pl["Status"]["IsPingable"] is True and "LastPing" in pl["Status"] and
             list(pl["Status"])[:3] == ["UpdatedAt", "IsConnected", "IsPingable"] and
             pl["Peer"]["Identifier"] == p["Identifier"] and
             pl["Peer"]["CheckAliveAddress"] == "127.0.0.1",
             "peer_metric payload: {Status: PeerStatus, Peer: Peer} (peer_metrics.go)", pl)
    T.eq(api("PUT", "/peer/by-id/" + q(p["Identifier"]), dict(p, CheckAliveAddress="192.0.2.1"))
         .status, 200, "the CheckAliveAddress no longer answers (no route in the namespace)")
    got = rcv.wait(lambda e: e["json"]["entity"] == "peer_metric" and
                   e["json"]["event"] == "disconnect", 30)
    T.ok(got and got[0]["json"]["payload"]["Status"]["IsConnected"] is False and
         "LastPing" not in got[0]["json"]["payload"]["Status"],
         "peer_metric disconnect arrives when the peer stops answering", got and got[0]["json"])
    evs = [e["json"]["event"] for e in rcv.events(n) if e["json"]["identifier"] == p["Identifier"]]
    T.ok(evs.index("update") < evs.index("connect") < evs.index("disconnect"),
         "the peer's update, connect and disconnect arrive in order", evs)
    w.stop("peer_metric")


def test_deletes(w, rcv, st, mail, hook):
    w.start(mail, hook)
    n = len(rcv.events())
    pid = st["bob_peer"]["Identifier"]
    T.eq(api("DELETE", "/peer/by-id/" + q(pid)).status, 204, "peer deleted")
    T.eq(api("DELETE", "/user/by-id/alice").status, 204, "user alice deleted")
    T.eq(api("DELETE", "/interface/by-id/" + IFACE).status, 204, "interface deleted")
    got = wgtest.wait_for(lambda: [e["json"] for e in rcv.events(n)
                                   if e["json"]["entity"] == "interface"], 20)
    evs = [(e["json"]["event"], e["json"]["entity"], e["json"]["identifier"])
           for e in rcv.events(n)]
    T.ok(got and ("delete", "peer", pid) in evs and ("delete", "user", "alice") in evs and
         ("delete", "interface", IFACE) in evs and
         ("update", "peer", st["peer"]["Identifier"]) in evs,
         "delete events for peer, user (its peer disabled: update) and interface", evs)
    T.ok(not [e for e in evs if e[0] == "delete" and e[1] == "peer" and
              e[2] == st["nomail_peer"]["Identifier"]],
         "peers removed with their interface send no event of their own", evs)
    w.stop("deletes")


# ---------------------------------------------------------------- main

def setup_import_iface(tmp):
    """A wireguard-go interface with a peer before the daemon starts (imported). Returns the
    wireguard-go process (ours: stopped at the end)."""
    log = open(os.path.join(tmp, "wireguard-go.log"), "wb")
    proc = subprocess.Popen(["wireguard-go", "-f", IMPORT_IFACE], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, WG_PROCESS_FOREGROUND="1"))
    sock = f"/var/run/wireguard/{IMPORT_IFACE}.sock"
    wgtest.wait_for(lambda: os.path.exists(sock), 5)
    keyfile = os.path.join(tmp, "import.key")
    key = subprocess.run(["wg", "genkey"], capture_output=True, text=True).stdout.strip()
    with open(keyfile, "w") as f:
        f.write(key + "\n")
    pub = subprocess.run(["wg", "pubkey"], input=key, capture_output=True, text=True).stdout
    subprocess.run(["wg", "set", IMPORT_IFACE, "private-key", keyfile, "listen-port", "52399",
                    "peer", pub.strip(), "allowed-ips", "10.232.0.2/32"], check=True)
    subprocess.run(["ip", "addr", "add", "10.232.0.1/24", "dev", IMPORT_IFACE], check=True)
    subprocess.run(["ip", "link", "set", IMPORT_IFACE, "up"], check=True)
    return proc


def inner(ns):
    tmp = tempfile.mkdtemp(prefix="wgpm-")
    w = World(tmp)
    st = {}
    certs = make_certs(tmp)
    rcv = Receiver()
    plain = Smtp(tmp, "plain")
    T.ok(plain.port, "aiosmtpd (plain, no auth) listens")
    hook = {"url": rcv.url(), "authentication": HOOK_AUTH, "timeout": "1s",
            "signing_secret": HOOK_SECRET}
    mail = {"host": "127.0.0.1", "port": plain.port, "from": "WG Portal <noreply@wgpm.test>"}
    wg_proc = None
    try:
        wg_proc = setup_import_iface(tmp)
        w.start(mail, hook)
        T.section("import sends nothing", test_import_sends_nothing, w, rcv)
        T.section("webhook models", test_webhook_models, w, rcv, st)
        res = T.section("config mail (plain)", test_config_mail, w, plain, st, tmp, "plain")
        if res:
            T.section("attachment mail content", check_attachment_mail, res[0], st, tmp,
                      "plain")
        T.section("link mail", test_link_mail, w, plain, st)
        T.section("mail bad input", test_mail_bad_input, w, plain, st)
        T.section("delivery log", test_delivery_log, w, st)
        T.section("failing receiver", test_failing_receiver, w, rcv, st)
        w.stop("plain")
        T.section("restart keeps the queue", test_restart_keeps_queue, w, st, tmp, mail, hook)
        T.section("SMTP over TLS with auth", test_smtp_variants, w, st, tmp, certs, hook)
        T.section("templates and allow_peer_email", test_templates_and_peer_email, w, st, tmp,
                  mail, hook)
        T.section("bad mail.from", test_bad_from, w, st, mail, hook)
        T.section("peer_metric", test_peer_metric, w, rcv, st, mail, hook)
        T.section("deletes", test_deletes, w, rcv, st, mail, hook)
    finally:
        for s in (plain,):
            s.stop()
        if w.daemon:
            w.daemon.stop()
        rcv.stop()
        if wg_proc:
            wg_proc.terminate()
            wg_proc.wait(timeout=10)
        for f in FIGURES:
            print(f"# figure: {f}")
        shutil.rmtree(tmp, ignore_errors=True)
    return T.done()


if __name__ == "__main__":
    sys.exit(wgtest.in_netns("wgpm", inner, iface_prefixes=("wgm{pid}", "wgmi{pid}"),
                             timeout=900))
