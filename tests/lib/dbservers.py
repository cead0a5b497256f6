# SPDX-License-Identifier: MIT
"""Real PostgreSQL 15 and MariaDB servers for the test suites (Debian's postgresql and
mariadb-server packages), each started in a temporary directory as its unprivileged system
user (postgres / mysql), listening on a unix socket in that directory (reachable from every
network namespace) and on a loopback port chosen at run time, and removed again by stop().

    srv = dbservers.start("postgres")     # or "mysql"
    srv.env()       # WGPORTAL_TEST_DB* variables for tests/lib/testlib.c and wgtest.py
    srv.create_db() # a fresh database for one daemon or test: (type, dsn)
    srv.stop() / srv.start_again()        # the connection-loss tests stop and restart it
    srv.remove()

Clients log in as the role/user "wgp" with a password: a normal account that may create
databases, like the one a wg-portal installation uses, never the superuser.
"""
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PG_BIN = "/usr/lib/postgresql/15/bin"
USER, PASSWORD = "wgp", "wgp-Test-pw1"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as(user, argv, **kw):
    return subprocess.run(["runuser", "-u", user, "--"] + argv, **kw)


class _Server:
    engine = None
    sysuser = None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix=f"wgp-{self.engine}-")
        os.chmod(self.dir, 0o755)
        pw = pwd.getpwnam(self.sysuser)
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.proc = None
        self.counter = 0

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def env(self):
        return {"WGPORTAL_TEST_DB": self.engine, "WGPORTAL_TEST_DB_DSN": self.dsn_template(),
                "WGPORTAL_TEST_DB_DIR": self.dir, "WGPORTAL_TEST_DB_PORT": str(self.port)}

    def create_db(self, name=None):
        name = name or f"wgpy_{os.getpid()}_{secrets.token_hex(4)}"
        self.sql(f"CREATE DATABASE {name}")
        return self.engine, self.dsn_template() % name


class Postgres(_Server):
    engine = "postgres"
    sysuser = "postgres"

    def __init__(self):
        super().__init__()
        data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("unused-superuser-pw\n")
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        _as("postgres", [f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile,
                         "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8",
                         "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # the role logs in with its password over the socket too (as a remote client would)
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write("local all postgres peer\n"
                    "local all all scram-sha-256\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        self.start_again()
        _as("postgres", [f"{PG_BIN}/psql", "-h", self.dir, "-p", str(self.port), "-d",
                         "postgres", "-qc",
                         f"CREATE ROLE {USER} LOGIN CREATEDB PASSWORD '{PASSWORD}'"],
            check=True, stdout=subprocess.DEVNULL)

    def start_again(self):
        data = os.path.join(self.dir, "data")
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        _as("postgres", [f"{PG_BIN}/pg_ctl", "-D", data, "-o", opts, "-w", "-t", "60",
                         "-l", os.path.join(self.dir, "server.log"), "start"],
            check=True, stdout=subprocess.DEVNULL)

    def stop(self, mode="fast"):
        data = os.path.join(self.dir, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            _as("postgres", [f"{PG_BIN}/pg_ctl", "-D", data, "-m", mode, "-w", "stop"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def dsn_template(self):
        return f"host={self.dir} port={self.port} user={USER} password={PASSWORD} dbname=%s"

    def url(self, name):
        return f"postgres://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def sql(self, statement, db="postgres"):
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        return subprocess.run([f"{PG_BIN}/psql", "-h", self.dir, "-p", str(self.port), "-U",
                                USER, "-d", db, "-qAtc", statement], env=env, check=True,
                               capture_output=True, text=True).stdout


class MariaDB(_Server):
    engine = "mysql"
    sysuser = "mysql"

    def __init__(self):
        super().__init__()
        self.sock = os.path.join(self.dir, "mysqld.sock")
        _as("mysql", ["mariadb-install-db", "--no-defaults", f"--datadir={self.dir}/data",
                      "--auth-root-authentication-method=socket", "--skip-test-db",
                      "--skip-name-resolve"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.start_again()
        self.root_sql(f"CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}';"
                      f"CREATE USER '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';"
                      f"GRANT ALL ON `wgp%`.* TO '{USER}'@'localhost';"
                      f"GRANT ALL ON `wgp%`.* TO '{USER}'@'127.0.0.1';")

    def running(self):
        try:
            with open(os.path.join(self.dir, "mysqld.pid")) as f:
                os.kill(int(f.read().strip()), 0)
            return True
        except (OSError, ValueError):
            return False

    def start_again(self):
        if self.running():
            return
        args = ["mariadbd", "--no-defaults", f"--datadir={self.dir}/data", f"--socket={self.sock}",
                f"--port={self.port}", "--bind-address=127.0.0.1",
                f"--pid-file={self.dir}/mysqld.pid", f"--log-error={self.dir}/server.log",
                "--innodb-flush-log-at-trx-commit=2", "--innodb-buffer-pool-size=64M",
                "--skip-log-bin", "--max-connections=200"]
        self.proc = subprocess.Popen(["runuser", "-u", "mysql", "--"] + args,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited: " + self.log_tail())
            if os.path.exists(self.sock) and subprocess.run(
                    ["mariadb-admin", "--no-defaults", f"--socket={self.sock}", "-uroot", "ping"],
                    capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("mariadbd did not start: " + self.log_tail())

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        """Stops the server by its pid file (it may have been started by another process
        of the suite) and waits until it is gone."""
        pid = None
        try:
            with open(os.path.join(self.dir, "mysqld.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            pass
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pid = None
        deadline = time.time() + 30
        while pid and time.time() < deadline:
            if self.proc:
                self.proc.poll()
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            if pid:
                os.kill(pid, signal.SIGKILL)
        if self.proc:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def dsn_template(self):
        return f"{USER}:{PASSWORD}@unix({self.sock})/%s"

    def tcp_dsn(self, name):
        return f"{USER}:{PASSWORD}@tcp(127.0.0.1:{self.port})/{name}?charset=utf8mb4&parseTime=True&loc=Local"

    def root_sql(self, statement):
        subprocess.run(["mariadb", "--no-defaults", f"--socket={self.sock}", "-uroot", "-e",
                        statement], check=True, capture_output=True)

    def sql(self, statement, db=""):
        return subprocess.run(["mariadb", "--no-defaults", f"--socket={self.sock}", f"-u{USER}",
                               f"-p{PASSWORD}", "-N", "-B", "-e", statement] + ([db] if db else []),
                              check=True, capture_output=True, text=True).stdout


def start(engine):
    return {"postgres": Postgres, "mysql": MariaDB}[engine]()


def from_env():
    """The server a runner started (tests/db/run_engine.py), for a test process it spawned:
    enough to create databases and to stop/start it; None when the engine is SQLite."""
    engine = os.environ.get("WGPORTAL_TEST_DB")
    if engine not in ("postgres", "mysql"):
        return None
    srv = object.__new__(Postgres if engine == "postgres" else MariaDB)
    srv.dir = os.environ["WGPORTAL_TEST_DB_DIR"]
    srv.port = int(os.environ["WGPORTAL_TEST_DB_PORT"])
    srv.proc = None
    srv.counter = 0
    if engine == "mysql":
        srv.sock = os.path.join(srv.dir, "mysqld.sock")
    return srv
