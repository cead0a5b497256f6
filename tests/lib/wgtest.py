# SPDX-License-Identifier: MIT
"""Shared plumbing for the Python suites that drive a real wgportal daemon.

Import it with
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib")); import wgtest
and use:
  - Tap: TAP output ("ok N - name", "1..N"), exit status 1 on any failure.
  - Client(port): HTTP/HTTPS requests with Basic auth; Resp with .json()/.msg/.header().
  - Daemon: starts build/wgportal (or $WGPORTAL_BIN, the ASan build under run-all) with a config,
    waits until it listens, stops it with SIGTERM and checks the log for sanitizer reports and
    leaked secrets.
  - Sim: starts tests/sim/routeros_sim.py or pfsense_sim.py on a free port (--ready-file) and
    talks to its control API (/__sim/...).
  - in_netns(prefix, file, iface_prefixes): re-runs the calling script inside a fresh network
    namespace and removes it (and wireguard-go's shared UAPI sockets with our prefixes) afterwards.
Nothing here sends traffic anywhere but loopback.
"""
import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the engine runs of tests/db/run_engine.py go in parallel: each keeps its logs apart
LOGDIR = os.path.join(ROOT, "build", "test-logs", os.environ.get("WGPORTAL_TEST_DB", ""))
SAN_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
               "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if detail is not None:
                for line in str(detail).splitlines()[:20]:
                    print(f"#   {line}", flush=True)
        return bool(cond)

    def eq(self, got, want, name):
        return self.ok(got == want, name, f"got:  {got!r}\nwant: {want!r}")

    def comment(self, text):
        """A TAP comment line (figures for the reader; never counted)."""
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def section(self, label, fn, *args):
        """Runs one section; an exception fails it without hiding the sections after it."""
        try:
            return fn(*args)
        except Exception as e:
            import traceback
            self.ok(False, f"section '{label}' ran to completion",
                    repr(e) + "\n" + traceback.format_exc()[-1500:])
            return None

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body.decode())
        except Exception:
            return None

    @property
    def msg(self):
        j = self.json()
        return j.get("Message") if isinstance(j, dict) else None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def basic(user, secret):
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def q(s):
    """Percent-encode an id for one path segment ('/', '+', '=' escaped)."""
    return urllib.parse.quote(s, safe="")


class Client:
    """HTTP(S) client for one daemon; auth is an Authorization header value or None; source
    binds the client side to a local address (per-address limits)."""

    def __init__(self, port, auth=None, host="127.0.0.1", tls=False, timeout=60, source=None):
        self.port, self.auth, self.host, self.tls, self.timeout = port, auth, host, tls, timeout
        self.source = source

    def connection(self, source=None):
        src = source or self.source
        src = (src, 0) if src else None
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=ctx, source_address=src)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout,
                                          source_address=src)

    def call(self, method, path, body=None, auth="default", headers=None, raw=None, source=None):
        conn = self.connection(source)
        hdrs = dict(headers or {})
        a = self.auth if auth == "default" else auth
        if a:
            hdrs["Authorization"] = a
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def api(self, method, path, body=None, **kw):
        return self.call(method, "/api/v1" + path, body, **kw)


def free_ports(n, host="127.0.0.1"):
    """n distinct TCP ports the kernel calls free now (bound to port 0 together, then
    released): for daemons that take their ports from a config file. Other helpers run tests
    at the same time, so no test picks fixed ports."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host="127.0.0.1"):
    return free_ports(1, host)[0]


def config_file(tmp, admin, password, token, rest):
    """Writes tmp/config.yaml (0600): a core section with the bootstrap admin, then rest (more
    core keys first, indented, then the other sections). Returns the path."""
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        f.write(f'core:\n  admin_user: {admin}\n  admin_password: "{password}"\n'
                f'  admin_api_token: "{token}"\n' + rest)
    os.chmod(path, 0o600)
    return path


def wait_port(port, host="127.0.0.1", timeout=20, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_for(pred, timeout=10.0, step=0.1):
    """Polls pred() until it returns a truthy value (returned) or the timeout ends (None)."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(step)


class Daemon:
    """One wgportal process. label names its log file in build/test-logs/."""

    def __init__(self, tmp, label, ns=None):
        self.tmp, self.ns = tmp, ns
        os.makedirs(LOGDIR, exist_ok=True)
        flavour = "san" if "san" in os.environ.get("WGPORTAL_BIN", "") else "plain"
        self.log_path = os.path.join(LOGDIR, f"daemon-{flavour}-{label}.log")
        self.proc = None
        self.logf = None

    def start(self, config_path, port, host="127.0.0.1", timeout=30):
        binary = os.path.join(ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
        cmd = [binary, "--config", config_path]
        if self.ns:
            cmd = ["ip", "netns", "exec", self.ns] + cmd
        self.logf = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp"))
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT,
                                     cwd=self.tmp, env=env)
        return wait_port(port, host, timeout, self.proc)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, bounded wait, then SIGKILL. Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.logf.close()
        return self.proc.returncode

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def truncate_log(self):
        open(self.log_path, "wb").close()

    def check_end(self, tap, label, secrets=()):
        """Stops the daemon and checks exit status, sanitizer reports and leaked secrets."""
        rc = self.stop()
        log = self.log()
        tap.eq(rc, 0, f"{label}: daemon exits 0 on SIGTERM")
        bad = [x for x in log.splitlines() if any(m in x for m in SAN_MARKERS)]
        tap.ok(not bad, f"{label}: no sanitizer report in the daemon's output",
               "\n".join(bad)[:2000])
        leaked = [s for s in secrets if s and s in log]
        tap.ok(not leaked, f"{label}: no secret in the daemon's log",
               f"{len(leaked)} secret(s) found")


class Sim:
    """A device simulator (tests/sim/<script>) on a free loopback port."""

    def __init__(self, script, args=(), label=None):
        self.script, self.args = script, list(args)
        self.label = label or os.path.splitext(script)[0]
        self.proc = None
        self.port = None
        self.tmp = tempfile.mkdtemp(prefix="wgsim-")

    def start(self, timeout=30):
        ready = os.path.join(self.tmp, "port")
        os.makedirs(LOGDIR, exist_ok=True)
        self.logf = open(os.path.join(LOGDIR, f"sim-{self.label}.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "sim",
                                                                   self.script),
                                      "--port", "0", "--ready-file", ready] + self.args,
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with open(ready) as f:
                    self.port = int(f.read().strip())
                return True
            except (OSError, ValueError):
                time.sleep(0.05)
        return False

    def ctl(self, method, path, body=None):
        """Control API call (/__sim/...); returns the decoded JSON reply (or None)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30,
                                           context=ssl._create_unverified_context()) \
            if "--https" in self.args else http.client.HTTPConnection("127.0.0.1", self.port,
                                                                       timeout=30)
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, "/__sim/" + path.lstrip("/"), body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            raw = r.read()
            try:
                return json.loads(raw.decode()) if raw else None
            except ValueError:
                return None
        finally:
            conn.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc:
            self.logf.close()
        import shutil
        shutil.rmtree(self.tmp, ignore_errors=True)


def in_netns(prefix, main, iface_prefixes=(), timeout=1200):
    """Runs main(ns) inside a fresh namespace "<prefix><pid>" with loopback up.

    The outer process creates the namespace and re-runs the calling script inside it with
    WGT_INNER_NS set, so cleanup happens even if the inner run dies. iface_prefixes are
    formatted with the outer pid ("wgm{pid}") to find wireguard-go's UAPI sockets, which live in
    /var/run/wireguard for every namespace. Returns the exit status for sys.exit().
    """
    if os.environ.get("WGT_INNER_NS"):
        return main(os.environ["WGT_INNER_NS"])
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (network namespace)")
        return 0
    pid = os.getpid()
    ns = f"{prefix}{pid}"
    rc = 1
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        env = dict(os.environ, WGT_INNER_NS=ns, WGT_TAG=str(pid))
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable,
                             os.path.abspath(sys.argv[0])] + sys.argv[1:], env=env,
                            timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print(f"not ok 1 - suite finished within {timeout} s", flush=True)
        rc = 1
    finally:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        prefixes = tuple(p.format(pid=pid) for p in iface_prefixes)
        try:
            for f in os.listdir("/var/run/wireguard"):
                if prefixes and f.startswith(prefixes):
                    os.unlink(os.path.join("/var/run/wireguard", f))
        except OSError:
            pass
    return rc


def tag():
    """The outer process id inside in_netns (for names), else our own pid."""
    return os.environ.get("WGT_TAG", str(os.getpid()))


def database_yaml(tmp, extra=""):
    """The config's database section: a SQLite file under tmp, or, when tests/db/run_engine.py
    runs this suite against a server (WGPORTAL_TEST_DB), a database on that server created for
    tmp (the same one again for the same tmp, as the SQLite file would be).
    extra: more "  key: value" lines for the section."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import dbservers
    srv = dbservers.from_env()
    if srv is None:
        return f"database:\n  dsn: {tmp}/db/wgportal.sqlite\n{extra}"
    remembered = os.path.join(tmp, ".wgtest-database")
    if os.path.exists(remembered):
        with open(remembered) as f:
            engine, dsn = f.read().split("\n", 1)
    else:
        engine, dsn = srv.create_db()
        with open(remembered, "w") as f:
            f.write(f"{engine}\n{dsn}")
    dsn = dsn.replace("\\", "\\\\").replace('"', '\\"')
    return f'database:\n  type: {engine}\n  dsn: "{dsn}"\n{extra}'


def database_exec(tmp, statement, *values):
    """Runs one SQL statement on the suite's database (see database_yaml) while its daemon is
    stopped, for states the API refuses to create (e.g. data as a taken-over wg-portal
    database holds it). {name} in statement is our table "name" as the engine spells it
    (docs/database.md: schema wgportal on PostgreSQL, prefix wgp_ on MySQL); ? are replaced
    by the values as quoted SQL strings."""
    import re
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import dbservers
    srv = dbservers.from_env()
    quoted = iter("'" + str(v).replace("'", "''") + "'" for v in values)
    prefix = "" if srv is None else ("wgportal." if srv.engine == "postgres" else "wgp_")
    sql = re.sub(r"\{(\w+)\}", lambda m: prefix + m.group(1), statement)
    sql = re.sub(r"\?", lambda m: next(quoted), sql)
    if srv is None:
        import sqlite3
        db = sqlite3.connect(os.path.join(tmp, "db", "wgportal.sqlite"))
        try:
            db.execute(sql)
            db.commit()
        finally:
            db.close()
        return
    with open(os.path.join(tmp, ".wgtest-database")) as f:
        dsn = f.read().split("\n", 1)[1]
    name = re.search(r"dbname=(\S+)" if srv.engine == "postgres" else r"/(\w+)$", dsn).group(1)
    srv.sql(sql, db=name)


def raw_http(port, data, host="127.0.0.1", source=None, timeout=5.0, send_delay=None):
    """Sends data (bytes, or a list of byte chunks sent send_delay seconds apart) on one fresh
    connection and reads until the server closes it or timeout seconds pass without a byte.
    Returns (received bytes, closed_by_server)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        for i, chunk in enumerate(data if isinstance(data, list) else [data]):
            if i and send_delay:
                time.sleep(send_delay)
            try:
                s.sendall(chunk)
            except OSError:
                break
        got, closed = b"", False
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not b:
                closed = True
                break
            got += b
        return got, closed
    finally:
        s.close()


def http_statuses(raw):
    """The status codes of every HTTP response found in raw bytes, in order."""
    import re
    return [int(m) for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ", raw)]


def parallel(fns, timeout=120):
    """Runs the callables at the same moment (each thread waits at a barrier after its setup
    callable returned) and returns their results in order. fns: list of (setup, go) pairs;
    go(setup_result) runs after the barrier. An exception becomes the result."""
    import threading
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i, setup, go):
        try:
            ctx = setup() if setup else None
        except Exception as e:  # noqa: BLE001 - reported as the result
            ctx = e
        try:
            barrier.wait(timeout)
            out[i] = go(ctx) if not isinstance(ctx, Exception) else ctx
        except Exception as e:  # noqa: BLE001
            out[i] = e

    threads = [threading.Thread(target=run, args=(i, s, g)) for i, (s, g) in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return out


def prepared_request(port, method, path, headers, body=b"", host="127.0.0.1", source=None,
                     timeout=30):
    """(setup, go) for parallel(): setup connects (so the race starts at the request, not at
    the handshake), go sends and returns a Resp."""
    def setup():
        c = Client(port, host=host, timeout=timeout, source=source).connection()
        c.connect()
        return c

    def go(c):
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return Resp(r.status, r.getheaders(), r.read())
        finally:
            c.close()
    return setup, go


def config_core(admin, password, token):
    """The core: section every daemon test starts with (YAML text)."""
    return (f"core:\n  admin_user: {admin}\n  admin_password: \"{password}\"\n"
            f"  admin_api_token: \"{token}\"\n")
