# SPDX-License-Identifier: MIT
"""A laboratory of wgportal nodes on one PostgreSQL database (docs/cluster.md), for
tests/cluster/test_cluster.py and bench/bench_cluster.py.

    lab = clusterlab.Lab(tmp, ["a", "b", "c"])
    lab.start()                 # PostgreSQL, the RouterOS simulator, the network, every node
    lab.client("a").api("GET", "/cluster")
    lab.kill("a"); lab.start_node("a")
    lab.stop()                  # stops everything it started, removes what it created

Topology (inside the caller's own network namespace, see wgtest.in_netns):

      PostgreSQL 15 (unix socket in a temporary directory: reached from every namespace)
      RouterOS simulator on 0.0.0.0:<port>, reached by the nodes at 10.77.0.1
                  bridge wc<tag>br 10.77.0.1/24
        veth |                  | veth                 | veth
    netns wgc<tag>a       netns wgc<tag>b         netns wgc<tag>c
    10.77.0.11:8080       10.77.0.12:8080         10.77.0.13:8080
    node "a"              node "b"                node "c"       (each: wireguard-go inside)

Every node writes to the simulator from its own address, so the simulator's writer statistics
(/__sim/stats "writers") tell the nodes apart. Interface names carry the tag (wireguard-go's
UAPI sockets in /var/run/wireguard are shared by all namespaces).
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbservers  # noqa: E402
import wgtest  # noqa: E402

ADMIN = "admin@wgportal.local"
ADMIN_PW = "Cluster-Adm1n-Passw0rd!"
ADMIN_TOKEN = "clusterT0kenAbcdefghijklmnopqrs1"
SIM_USER, SIM_PW = "wgportal", "Rt-Cluster-pw-4711"
API_PORT = 8080
SECRETS = [ADMIN_PW, ADMIN_TOKEN, SIM_PW, dbservers.PASSWORD]


def run(*argv, check=True):
    return subprocess.run(list(argv), check=check, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)


class Node:
    def __init__(self, lab, name, index, binary):
        self.lab, self.name, self.index, self.binary = lab, name, index, binary
        self.ns = f"wgc{lab.tag}{name}"
        self.ip = f"10.77.0.{11 + index}"
        self.dir = os.path.join(lab.tmp, f"node-{name}")
        self.daemon = None
        self.client = wgtest.Client(API_PORT, host=self.ip,
                                    auth=wgtest.basic(ADMIN, ADMIN_TOKEN), timeout=30)

    def config(self, extra=""):
        os.makedirs(self.dir, exist_ok=True)
        path = os.path.join(self.dir, "config.yaml")
        with open(path, "w") as f:
            f.write(f"""core:
  admin_user: {ADMIN}
  admin_password: "{ADMIN_PW}"
  admin_api_token: "{ADMIN_TOKEN}"
advanced:
  start_cidr_v4: 10.216.0.0/16
  use_ip_v6: false
  start_listen_port: 51900
backend:
  default: mt1
  mikrotik:
    - id: mt1
      display_name: Sim router
      api_url: http://10.77.0.1:{self.lab.sim.port}/rest
      api_user: {SIM_USER}
      api_password: "{SIM_PW}"
      api_timeout: 5s
      concurrency: 3
statistics:
  data_collection_interval: 2s
  use_ping_checks: false
  listening_address: 127.0.0.1:8787
web:
  listening_address: {self.ip}:{API_PORT}
database:
  type: postgres
  dsn: "{self.lab.dsn}"
cluster:
  node_name: {self.name}
{extra}""")
        return path

    def start(self, extra="", timeout=60):
        env_bin = os.environ.get("WGPORTAL_BIN")
        os.environ["WGPORTAL_BIN"] = self.binary
        try:
            self.daemon = wgtest.Daemon(self.dir, f"cluster-{self.name}", ns=self.ns)
            return self.daemon.start(self.config(extra), API_PORT, host=self.ip,
                                     timeout=timeout)
        finally:
            if env_bin is None:
                os.environ.pop("WGPORTAL_BIN", None)
            else:
                os.environ["WGPORTAL_BIN"] = env_bin

    @property
    def pid(self):
        return self.daemon.proc.pid if self.daemon and self.daemon.proc else None

    def running(self):
        return self.daemon is not None and self.daemon.running()

    def api(self, method, path, body=None, **kw):
        return self.client.api(method, path, body, **kw)

    def cluster(self):
        try:
            r = self.api("GET", "/cluster")
            return r.json() if r.status == 200 else None
        except OSError:
            return None


class Lab:
    def __init__(self, tmp, names, binaries=None, sim_args=()):
        self.tmp = tmp
        self.tag = wgtest.tag()[-5:]
        self.names = list(names)
        plain = os.path.join(wgtest.ROOT, os.environ.get("WGPORTAL_BIN", "build/wgportal"))
        self.nodes = {}
        for i, n in enumerate(self.names):
            b = (binaries or {}).get(n, plain)
            self.nodes[n] = Node(self, n, i, b)
        self.sim_args = list(sim_args)
        self.pg = None
        self.sim = None
        self.bridge = f"wc{self.tag}br"
        self.dsn = None

    # ---- set-up ----
    def start_pg(self):
        self.pg = dbservers.start("postgres")
        _, self.dsn = self.pg.create_db()

    def start_net(self):
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", "10.77.0.1/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        for n in self.nodes.values():
            host, peer = f"vc{self.tag}{n.name}", f"vn{self.tag}{n.name}"
            run("ip", "netns", "add", n.ns)
            run("ip", "-n", n.ns, "link", "set", "lo", "up")
            run("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            run("ip", "link", "set", host, "master", self.bridge, "up")
            run("ip", "link", "set", peer, "netns", n.ns)
            run("ip", "-n", n.ns, "addr", "add", f"{n.ip}/24", "dev", peer)
            run("ip", "-n", n.ns, "link", "set", peer, "up")
            run("ip", "-n", n.ns, "route", "add", "default", "via", "10.77.0.1")

    def start_sim(self):
        users = os.path.join(self.tmp, "sim-users.json")
        with open(users, "w") as f:
            f.write('{"%s": {"password": "%s"}, "admin": {"password": "admin"}}'
                    % (SIM_USER, SIM_PW))
        self.sim = wgtest.Sim("routeros_sim.py", ["--bind", "0.0.0.0", "--users", users] +
                              self.sim_args, label=f"cluster-{self.tag}")
        return self.sim.start()

    def start(self, names=None):
        self.start_pg()
        self.start_net()
        if not self.start_sim():
            raise RuntimeError("the RouterOS simulator did not start")
        ok = True
        for n in names or self.names:
            ok = self.nodes[n].start() and ok
        return ok

    # ---- nodes ----
    def node(self, name):
        return self.nodes[name]

    def client(self, name):
        return self.nodes[name].client

    def start_node(self, name, extra="", timeout=60):
        return self.nodes[name].start(extra, timeout)

    def kill(self, name, sig=signal.SIGKILL):
        n = self.nodes[name]
        if n.pid:
            os.kill(n.pid, sig)
        if sig == signal.SIGKILL:
            n.daemon.proc.wait(10)

    def running(self):
        return [n for n in self.nodes.values() if n.running()]

    def leader(self, among=None):
        """The node every running node (or those named) reports as leader, None while they
        disagree or none leads."""
        seen = set()
        for n in among or [x.name for x in self.running()]:
            v = self.nodes[n].cluster()
            if not v or not v.get("Leader"):
                return None
            seen.add(v["Leader"])
        return seen.pop() if len(seen) == 1 else None

    def active_leader(self, among=None):
        """The running node that says it leads now (grace over), or None."""
        for n in among or [x.name for x in self.running()]:
            v = self.nodes[n].cluster()
            if v and v.get("IsLeader"):
                return n
        return None

    def writers(self):
        return (self.sim.ctl("GET", "stats") or {}).get("writers", {})

    def router_peers(self, iface=None):
        st = self.sim.ctl("GET", "state") or {}
        return [p for p in st.get("peers", []) if iface is None or p.get("interface") == iface]

    def router_has_peer(self, key):
        return any(p.get("public-key") == key for p in self.router_peers())

    def link_exists(self, node, iface):
        """Whether the link exists in the node's namespace (`wg show` would not tell:
        wireguard-go's UAPI sockets are shared by all namespaces)."""
        return subprocess.run(["ip", "-n", self.nodes[node].ns, "link", "show", iface],
                              capture_output=True).returncode == 0

    def wg_peers(self, node, iface):
        r = subprocess.run(["ip", "netns", "exec", self.nodes[node].ns, "wg", "show", iface,
                            "peers"], capture_output=True, text=True)
        return r.stdout.split() if r.returncode == 0 else None

    # ---- PostgreSQL ----
    def pg_pids(self):
        """Every process of the server (postmaster and its backends)."""
        try:
            with open(os.path.join(self.pg.dir, "data", "postmaster.pid")) as f:
                master = int(f.readline())
        except (OSError, ValueError):
            return []
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True,
                             text=True).stdout.split()
        return [master] + [int(p) for p in out]

    def pg_freeze(self, frozen):
        for p in self.pg_pids():
            try:
                os.kill(p, signal.SIGSTOP if frozen else signal.SIGCONT)
            except ProcessLookupError:
                pass

    def pg_restart(self):
        self.pg.stop("fast")
        self.pg.start_again()

    # ---- tear-down ----
    def stop_nodes(self, tap=None):
        logs = {}
        for n in self.nodes.values():
            if n.daemon is None:
                continue
            if tap is not None and n.running():
                n.daemon.check_end(tap, f"node {n.name}", SECRETS)
            else:
                n.daemon.stop()
            logs[n.name] = n.daemon.log()
        return logs

    def stop(self):
        for n in self.nodes.values():
            if n.daemon and n.running():
                n.daemon.stop()
        if self.sim:
            self.sim.stop()
        for n in self.nodes.values():
            subprocess.run(["ip", "netns", "del", n.ns], stderr=subprocess.DEVNULL)
        subprocess.run(["ip", "link", "del", self.bridge], stderr=subprocess.DEVNULL)
        if self.pg:
            self.pg_freeze(False)
            self.pg.remove()


def wait(pred, timeout, step=0.1):
    return wgtest.wait_for(pred, timeout, step)
