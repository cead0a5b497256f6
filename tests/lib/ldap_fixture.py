#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A real OpenLDAP slapd for the sign-in tests, in a temporary directory on loopback.

What it serves (dc=example,dc=org, memberof overlay so entries carry memberOf):
  - ldap://127.0.0.1:<port> (plain and StartTLS) and ldaps://127.0.0.1:<tls_port>, with a
    server certificate from a test CA made here (ca.pem; SAN 127.0.0.1 and localhost); TLS
    sessions must present a client certificate from the test CA (client.pem/client.key;
    stranger.pem/stranger.key come from another CA and are refused), so a passing TLS login
    proves the client certificate was sent;
  - a service account cn=wgportal,ou=services (password SERVICE_PW) that may read everything;
  - people (ou=people): alice (admin group), bob, carol (employeeType=disabled), dave (two
    entries share his mail: a non-unique login), "o(k)*" whose mail holds filter
    metacharacters; passwords in USERS;
  - groups (ou=groups): wg-admins (alice), vpn-users (alice, bob, o(k)*).

Use from Python:  s = Slapd(tmpdir); s.start(); ...; s.stop(); s.start() (same ports, data kept)
Use from node:    python3 tests/lib/ldap_fixture.py DIR  -> prints one JSON line with ports and
                  paths once slapd answers, then runs until stdin closes or SIGTERM.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

SUFFIX = "dc=example,dc=org"
SERVICE_DN = "cn=wgportal,ou=services," + SUFFIX
SERVICE_PW = "svc-Secret-4-wgportal"
ADMIN_GROUP = "cn=wg-admins,ou=groups," + SUFFIX
USERS = {
    # uid: (mail, password, given, sn, phone, extra attributes)
    "alice": ("alice@example.org", "Alice-LDAP-pass-1", "Alice", "Anders", "+49 30 1234", []),
    "bob": ("Bob@Example.org", "Bob-LDAP-pass-22", "Bob", "Berg", "", []),
    "carol": ("carol@example.org", "Carol-LDAP-pass-3", "Carol", "Cole", "",
              ["employeeType: disabled"]),
    "dave": ("dave@example.org", "Dave-LDAP-pass-4", "Dave", "Dunn", "", []),
    "dave2": ("dave@example.org", "Dave-LDAP-pass-4", "Dave", "Double", "", []),
    "okstar": ("o(k)*@example.org", "Star-LDAP-pass-5", "Oscar", "Kay", "", []),
    "erin": ("erin@example.org", "Erin-LDAP-pass-6", "Erin", "Eck", "", []),
}
LOGIN_FILTER = "(&(objectClass=inetOrgPerson)(mail={{login_identifier}})(!(employeeType=disabled)))"
SYNC_FILTER = "(&(objectClass=inetOrgPerson)(!(employeeType=disabled)))"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def _run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def make_ca(d):
    """Test CA, server certificate (127.0.0.1, localhost) and client certificate."""
    if os.path.exists(os.path.join(d, "server.pem")):
        return
    ossl = ["openssl"]
    _run(ossl + ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "2", "-subj", "/CN=wgportal test CA",
                 "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem"])
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                 "extendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        with open(f"{d}/{name}.ext", "w") as f:
            f.write(ext)
        _run(ossl + ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-subj", f"/CN={name}", "-keyout", f"{d}/{name}.key",
                     "-out", f"{d}/{name}.csr"])
        _run(ossl + ["x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem",
                     "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-days", "2",
                     "-extfile", f"{d}/{name}.ext", "-out", f"{d}/{name}.pem"])
    # a client certificate from a CA the server does not know: "TLSVerifyClient demand" refuses
    # it, which proves that the configured client certificate is really presented
    _run(ossl + ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "2", "-subj", "/CN=stranger",
                 "-keyout", f"{d}/stranger.key", "-out", f"{d}/stranger.pem"])
    os.chmod(f"{d}/server.key", 0o644)   # slapd may drop privileges; it runs as us here


def ldif():
    out = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\n"
           "dc: example\n"]
    for ou in ("people", "groups", "services"):
        out.append(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}\n")
    out.append(f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\n"
               f"objectClass: simpleSecurityObject\ncn: wgportal\nuserPassword: {SERVICE_PW}\n")
    for uid, (mail, pw, given, sn, phone, extra) in USERS.items():
        e = [f"dn: uid={uid},ou=people,{SUFFIX}", "objectClass: inetOrgPerson", f"uid: {uid}",
             f"cn: {given} {sn}", f"sn: {sn}", f"givenName: {given}", f"mail: {mail}",
             f"userPassword: {pw}", "departmentNumber: Networks"]
        if phone:
            e.append(f"telephoneNumber: {phone}")
        out.append("\n".join(e + extra) + "\n")
    for cn, members in (("wg-admins", ["alice"]), ("vpn-users", ["alice", "bob", "okstar"])):
        m = "\n".join(f"member: uid={u},ou=people,{SUFFIX}" for u in members)
        out.append(f"dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n{m}\n")
    return "\n".join(out)


class Slapd:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "slapd")
        self.port = free_port()
        self.tls_port = free_port()
        self.proc = None
        self.ca = os.path.join(self.dir, "ca.pem")

    @property
    def url(self):
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self):
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def _configure(self):
        d = self.dir
        os.makedirs(f"{d}/data", exist_ok=True)
        make_ca(d)
        conf = f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {d}/slapd.pid
TLSCACertificateFile {d}/ca.pem
TLSCertificateFile {d}/server.pem
TLSCertificateKeyFile {d}/server.key
TLSVerifyClient demand
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "cn=root,{SUFFIX}"
rootpw root-pw
directory {d}/data
overlay memberof
# the service account reads at most 3 entries per plain search, as Active Directory's
# MaxPageSize limits every account (there 1000): the sync must page (RFC 2696) to see all
limits dn.exact="{SERVICE_DN}" size.soft=3 size.hard=3 size.pr=1000 size.prtotal=unlimited
access to attrs=userPassword
  by dn.exact="{SERVICE_DN}" none
  by anonymous auth
  by * none
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
"""
        with open(f"{d}/slapd.conf", "w") as f:
            f.write(conf)
        if not os.path.exists(f"{d}/data/data.mdb"):
            with open(f"{d}/seed.ldif", "w") as f:
                f.write(ldif())
            # slapadd does not run overlays: seed through a short-lived slapd instead
            self._launch()
            try:
                _run(["ldapadd", "-x", "-H", self.url, "-D", f"cn=root,{SUFFIX}",
                      "-w", "root-pw", "-f", f"{d}/seed.ldif"])
            finally:
                self.stop()

    def _launch(self):
        d = self.dir
        self.log = open(f"{d}/slapd.log", "ab")
        self.proc = subprocess.Popen(
            ["/usr/sbin/slapd", "-d", "0", "-f", f"{d}/slapd.conf",
             "-h", f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.tls_port}/"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("slapd exited: " + open(f"{d}/slapd.log").read()[-1500:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.3).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("slapd did not listen within 20 s")

    def start(self):
        if self.proc is None and not os.path.exists(f"{self.dir}/slapd.conf"):
            self._configure()
        self._launch()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def modify(self, ldif_text):
        """Applies an LDIF change as the directory's root (the test changing the directory)."""
        subprocess.run(["ldapmodify", "-x", "-H", self.url, "-D", f"cn=root,{SUFFIX}",
                        "-w", "root-pw"], input=ldif_text.encode(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def info(self):
        return {"url": self.url, "ldaps_url": self.ldaps_url, "ca": self.ca,
                "client_cert": os.path.join(self.dir, "client.pem"),
                "client_key": os.path.join(self.dir, "client.key"),
                "stranger_cert": os.path.join(self.dir, "stranger.pem"),
                "stranger_key": os.path.join(self.dir, "stranger.key"),
                "base_dn": SUFFIX, "bind_user": SERVICE_DN, "bind_pass": SERVICE_PW,
                "admin_group": ADMIN_GROUP, "login_filter": LOGIN_FILTER,
                "sync_filter": SYNC_FILTER,
                "users": {u: {"mail": v[0], "password": v[1]} for u, v in USERS.items()}}


if __name__ == "__main__":
    s = Slapd(sys.argv[1])
    s.start()
    print(json.dumps(s.info()), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (s.stop(), sys.exit(0)))
    try:
        sys.stdin.read()
    finally:
        s.stop()
