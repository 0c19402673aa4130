#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A cluster of petrel guests behind HAProxy, inside a private namespace.

    make cluster N=3 [BALANCE=leastconn] [SITE=folder]
    tools/cluster.py --guests 3 [--balance roundrobin|leastconn] ...

The script creates a network namespace with a bridge (10.77.0.1/24 on
the host side), one tap per guest on that bridge, and boots N guests at
10.77.0.11, .12, ... on a read-only image of the site. HAProxy (Debian's
package, started here with its own config file in the work folder and
stopped by PID) listens on 10.77.0.1:8080 inside the namespace and
balances over the guests (round-robin or least-connection), with a
health check on GET /_health every HEALTH_INTER_MS: a guest that dies is
out of rotation after HEALTH_FALL failed checks, one that comes back is
in again after HEALTH_RISE. Connection failures are redispatched to
another guest, so clients see at most the requests in flight on a dead
guest. HAProxy adds a W3C `traceparent` (continuing the client's trace
id if it sent one, with HAProxy's own span as the guests' parent) and an
RFC 9218 `Priority` header from its rules when the client sent none.

Logs: a syslog receiver (this file, --syslog-rx, run inside the
namespace) collects HAProxy's RFC 5424 log (trace id, span id, start
time in microseconds, timings) into haproxy.log and the guests' access
logs (access_log=syslog:...) into guests.log, in the work folder.

Network rule: everything stays inside the namespace (guests, bridge,
HAProxy, the receiver); the user reaches the cluster with the printed
`ip netns exec ... curl` command. Ctrl-C (or SIGTERM, or any exit)
stops every process the script started, by PID, and deletes the
namespace. The Cluster class is what tests/integration/test_cluster.py
and tools/bench/cluster.py use.
"""
import argparse
import contextlib
import csv
import ctypes
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "harness"))
import netns  # noqa: E402
import web  # noqa: E402
from qemu import Guest, stop_process  # noqa: E402

HOST_ADDR = "10.77.0.1"
PREFIX_LEN = 24
GUEST_BASE = 11  # guest i is 10.77.0.(11 + i)
BRIDGE = "pbr0"
HTTP_PORT = 8080
SYSLOG_PORT = 5514
HEALTH_PATH = "/_health"
HEALTH_INTER_MS = 500
HEALTH_FALL = 2
HEALTH_RISE = 2
BOOT_TIMEOUT = 120
READY_TIMEOUT = 60
MAC_PREFIX = "52:54:00:77:00:"
SYSLOG_MAX = 8192
CLOCK_TRIES = 5  # /_trace fetches per clock sample; the quickest is kept

HAPROXY_CFG = """\
# Written by tools/cluster.py for namespace {ns}; not a shared config.
global
    log {host}:{syslog_port} len 4096 format rfc5424 local1 info
    stats socket {workdir}/haproxy.sock mode 600 level admin
    maxconn 4096

defaults
    mode http
    log global
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A connection the dead guest refuses or drops is tried elsewhere.
    retries 3
    option redispatch 1

frontend web
    bind {host}:{http_port}
    # W3C Trace Context: continue a well-formed client traceparent's
    # trace id, else start a trace; HAProxy's span is the guests' parent.
    http-request set-var(txn.start_us) date(0,us)
    http-request set-var(txn.trace_id) req.hdr(traceparent),field(2,-) if {{ req.hdr(traceparent) -m reg ^00-[0-9a-f]{{32}}-[0-9a-f]{{16}}-[0-9a-f]{{2}}$ }}
    http-request set-var(txn.trace_id) uuid(4),regsub(-,,g) unless {{ var(txn.trace_id) -m found }}
    http-request set-var-fmt(txn.span_id) "%[uuid(4),field(1,-)]%[uuid(4),field(1,-)]"
    http-request set-header traceparent "00-%[var(txn.trace_id)]-%[var(txn.span_id)]-01"
    # RFC 9218 urgency from our rules, when the client sent no Priority:
    # a client class header first, then by path.
    acl has_prio req.hdr(priority) -m found
    http-request set-header Priority u=0 if !has_prio {{ req.hdr(x-priority-class) -i high }}
    http-request set-header Priority u=6 if !has_prio {{ req.hdr(x-priority-class) -i low }}
    http-request set-header Priority u=1 if !has_prio {{ path_end .html .css .js }} || !has_prio {{ path / }}
    http-request set-header Priority u=5 if !has_prio {{ path_end .bin .iso .img }}
    http-request set-var(txn.prio) req.hdr(priority)
    unique-id-format %[var(txn.trace_id)]
    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %{{+Q}}r trace=%ID span=%[var(txn.span_id)] prio=%[var(txn.prio)] start_us=%[var(txn.start_us)]"
    default_backend guests

backend guests
    balance {balance}
    option httpchk GET {health}
    http-check expect status 200
    default-server inter {inter} fall {fall} rise {rise}
{servers}
"""


def guest_addr(i):
    return "10.77.0.%d" % (GUEST_BASE + i)


def run(args, check=True):
    return netns.run_cmd(args, check=check)


class Cluster:
    """N guests behind HAProxy in a namespace of its own (see the module
    comment). start() brings all of it up; stop() takes all of it down
    and is safe to call twice or after a failed start."""

    def __init__(self, guests=3, balance="roundrobin", image=None,
                 workdir=None, mem="128M", cmdline="", smp=1):
        if balance not in ("roundrobin", "leastconn"):
            raise ValueError("balance: roundrobin or leastconn")
        self.n = guests
        self.balance = balance
        self.workdir = workdir or tempfile.mkdtemp(prefix="petrel-cluster-")
        self.image = image
        self.mem = mem
        self.cmdline = cmdline
        self.smp = smp
        self.ns = "petrel-cluster-%d-%s" % (os.getpid(), uuid.uuid4().hex[:6])
        self.created = False
        self.guests = [None] * guests
        self.haproxy = None
        self.syslog_rx = None
        self.url = "http://%s:%d" % (HOST_ADDR, HTTP_PORT)

    # -- the namespace and its bridge -----------------------------------
    def exec_prefix(self):
        return [netns.IP, "netns", "exec", self.ns]

    def _create_network(self):
        ns = [netns.IP, "-n", self.ns]
        run([netns.IP, "netns", "add", self.ns])
        self.created = True
        run(ns + ["link", "set", "lo", "up"])
        run(ns + ["link", "add", BRIDGE, "type", "bridge"])
        run(ns + ["addr", "add", "%s/%d" % (HOST_ADDR, PREFIX_LEN), "dev",
                  BRIDGE])
        run(ns + ["link", "set", BRIDGE, "up"])
        for i in range(self.n):
            tap = "ptap%d" % i
            run(ns + ["tuntap", "add", "dev", tap, "mode", "tap"])
            run(ns + ["link", "set", tap, "master", BRIDGE])
            run(ns + ["link", "set", tap, "up"])

    # -- processes ------------------------------------------------------
    def _start_syslog_rx(self):
        self.syslog_rx = subprocess.Popen(
            self.exec_prefix() + [sys.executable, os.path.abspath(__file__),
                                  "--syslog-rx", "%s:%d" % (HOST_ADDR,
                                                            SYSLOG_PORT),
                                  "--workdir", self.workdir],
            stdin=subprocess.DEVNULL)
        self._wait_file(os.path.join(self.workdir, "syslog-rx.ready"))

    def _wait_file(self, path, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > deadline:
                raise TimeoutError("%s never appeared" % path)
            time.sleep(0.05)

    def haproxy_config(self):
        servers = "\n".join(
            "    server g%d %s:80 check" % (i, guest_addr(i))
            for i in range(self.n))
        return HAPROXY_CFG.format(
            ns=self.ns, host=HOST_ADDR, syslog_port=SYSLOG_PORT,
            workdir=self.workdir, http_port=HTTP_PORT, balance=self.balance,
            health=HEALTH_PATH, inter=HEALTH_INTER_MS, fall=HEALTH_FALL,
            rise=HEALTH_RISE, servers=servers)

    def _start_haproxy(self):
        cfg = os.path.join(self.workdir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(self.haproxy_config())
        run(["haproxy", "-c", "-q", "-f", cfg])
        # -db: stay in the foreground, so the PID is HAProxy's own.
        self.haproxy = subprocess.Popen(
            self.exec_prefix() + ["haproxy", "-db", "-f", cfg],
            stdin=subprocess.DEVNULL,
            stdout=open(os.path.join(self.workdir, "haproxy.out"), "w"),
            stderr=subprocess.STDOUT)

    def guest_cmdline(self, i):
        return ("ip=%s/%d gw=%s access_log=syslog:%s:%d access_log_host=g%d "
                "%s" % (guest_addr(i), PREFIX_LEN, HOST_ADDR, HOST_ADDR,
                        SYSLOG_PORT, i, self.cmdline)).strip()

    def start_guest(self, i):
        """Boot guest i (again); returns once it serves."""
        g = Guest(self.workdir, self.guest_cmdline(i), mem=self.mem,
                  name="g%d" % i, prefix=self.exec_prefix(), smp=self.smp,
                  extra_args=[
                      "-netdev", "tap,id=n0,ifname=ptap%d,script=no,"
                      "downscript=no" % i,
                      "-device", "virtio-net-pci,netdev=n0,"
                      "disable-legacy=on,mac=%s%02x" % (MAC_PREFIX,
                                                        GUEST_BASE + i)] +
                  web.disk_args(self.image))
        self.guests[i] = g
        g.start()
        return g

    def wait_guest(self, i):
        g = self.guests[i]
        g.wait_for(r"http: listening on port 80", BOOT_TIMEOUT)
        g.wait_for(r"vnet: link up", BOOT_TIMEOUT)
        self.clock_sample(i)

    def clock_sample(self, i):
        """Record (host µs, guest µs) of guest i in clock.json, for
        tools/trace-merge --clock (a boot starts its list afresh)."""
        path = os.path.join(self.workdir, "clock.json")
        samples = {}
        if os.path.exists(path):
            with open(path) as f:
                samples = json.load(f)
        url = "http://%s/_trace" % guest_addr(i)
        best = None  # the quickest round trip is the best sample
        with self.entered():
            for _ in range(CLOCK_TRIES):
                t0 = time.time()
                with urllib.request.urlopen(url,
                                            timeout=READY_TIMEOUT) as r:
                    other = json.loads(r.read()).get("otherData", {})
                t1 = time.time()
                if "now_us" not in other:
                    return  # a kernel without /_trace: nothing to align
                if not best or t1 - t0 < best[0]:
                    best = (t1 - t0, [(t0 + t1) / 2 * 1e6, other["now_us"]])
        samples["g%d" % i] = [best[1]]
        with open(path, "w") as f:
            json.dump(samples, f)

    def kill_guest(self, i):
        """Stop guest i's QEMU at once (SIGKILL: a crash, not a close)."""
        g = self.guests[i]
        if g:
            stop_process(g.proc, sig=signal.SIGKILL)

    def start(self):
        try:
            os.makedirs(self.workdir, exist_ok=True)
            self._create_network()
            self._start_syslog_rx()
            for i in range(self.n):  # boot in parallel, then wait
                self.start_guest(i)
            for i in range(self.n):
                self.wait_guest(i)
            self._start_haproxy()
            self.wait_servers(up=set(range(self.n)))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for g in self.guests:
            if g:
                g.stop()
        stop_process(self.haproxy)
        stop_process(self.syslog_rx)
        if self.created:
            run([netns.IP, "netns", "del", self.ns], check=False)
            self.created = False

    def pids(self):
        """PIDs of every process this cluster started (for checks)."""
        procs = [g.proc for g in self.guests if g] + [self.haproxy,
                                                      self.syslog_rx]
        return [p.pid for p in procs if p]

    # -- HAProxy's view -------------------------------------------------
    def haproxy_cmd(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(os.path.join(self.workdir, "haproxy.sock"))
            s.sendall(command.encode() + b"\n")
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out.decode()
                out += chunk

    def server_status(self):
        """{guest index: "UP" | "DOWN" | ...} from HAProxy's show stat."""
        text = self.haproxy_cmd("show stat").lstrip("# ")
        out = {}
        for row in csv.DictReader(io.StringIO(text)):
            if row["pxname"] == "guests" and row["svname"].startswith("g"):
                out[int(row["svname"][1:])] = row["status"].split()[0]
        return out

    def wait_servers(self, up=(), down=(), timeout=READY_TIMEOUT):
        """Wait until HAProxy sees the guests in `up` UP and in `down`
        not UP; returns the last status (the caller asserts)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                st = self.server_status()
            except OSError:
                st = {}
            if all(st.get(i) == "UP" for i in up) and \
                    all(st.get(i, "DOWN") != "UP" for i in down):
                return st
            if time.monotonic() > deadline:
                raise TimeoutError("servers %s, wanted up %s down %s"
                                   % (st, sorted(up), sorted(down)))
            time.sleep(0.2)

    @contextlib.contextmanager
    def entered(self):
        """Run the body (and threads it starts) inside the namespace."""
        libc = ctypes.CDLL(None, use_errno=True)
        back = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/run/netns/%s" % self.ns, os.O_RDONLY)
        try:
            if libc.setns(target, netns.CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into " + self.ns)
            yield self
        finally:
            libc.setns(back, netns.CLONE_NEWNET)
            os.close(back)
            os.close(target)

    def curl_hint(self):
        return "ip netns exec %s curl -si %s/" % (self.ns, self.url)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def syslog_rx(bind, workdir):
    """Receive syslog datagrams on bind ("ip:port"); the guests' access
    lines (APP-NAME petrel) go to guests.log, the rest to haproxy.log,
    one message a line, flushed as they come. Runs until signalled."""
    host, port = bind.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    files = {name: open(os.path.join(workdir, name), "a", buffering=1)
             for name in ("guests.log", "haproxy.log")}
    open(os.path.join(workdir, "syslog-rx.ready"), "w").close()
    # SIGTERM from stop(); SIGINT when a terminal's Ctrl-C reaches the
    # whole process group: either ends it quietly.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *a: sys.exit(0))
    while True:
        data, _ = s.recvfrom(SYSLOG_MAX)
        msg = data.decode("utf-8", "replace").rstrip("\n")
        fields = msg.split(" ", 4)
        app = fields[3] if len(fields) > 3 else ""
        files["guests.log" if app == "petrel" else "haproxy.log"].write(
            msg.replace("\n", " ") + "\n")


def default_image(workdir, site):
    return web.make_image(site, os.path.join(workdir, "site.img"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--guests", type=int, default=3)
    ap.add_argument("--balance", default="roundrobin",
                    choices=("roundrobin", "leastconn"))
    ap.add_argument("--site", default=os.path.join(HERE, "demo-site"),
                    help="folder served (made into an ext2 image)")
    ap.add_argument("--image", help="a ready ext2 image instead of --site")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--cmdline", default="", help="more boot options")
    ap.add_argument("--workdir")
    ap.add_argument("--syslog-rx", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.syslog_rx:
        syslog_rx(args.syslog_rx, args.workdir)
        return
    if os.geteuid() != 0:
        sys.exit("cluster: needs root for the namespace")
    if not 1 <= args.guests <= 200:
        sys.exit("cluster: --guests must be 1..200")
    workdir = args.workdir or tempfile.mkdtemp(prefix="petrel-cluster-")
    image = args.image or default_image(workdir, args.site)
    c = Cluster(args.guests, args.balance, image, workdir, args.mem,
                args.cmdline)
    # SIGTERM and SIGHUP end it like Ctrl-C: through stop(). Ctrl-C is
    # set explicitly: started from a shell's background job, SIGINT comes
    # in ignored and Python then leaves it so.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *a: (_ for _ in ()).throw(
            KeyboardInterrupt()))
    try:
        print("cluster: booting %d guests in namespace %s ..."
              % (args.guests, c.ns), flush=True)
        c.start()
        print("cluster: up, %s over %s" % (args.balance, ", ".join(
            guest_addr(i) for i in range(args.guests))))
        print("cluster: try   %s" % c.curl_hint())
        print("cluster: logs  %s/haproxy.log, %s/guests.log"
              % (workdir, workdir))
        print("cluster: Ctrl-C stops it", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        c.stop()
        print("cluster: stopped; namespace %s deleted" % c.ns)


if __name__ == "__main__":
    main()
