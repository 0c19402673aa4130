# SPDX-License-Identifier: MIT
"""The host-side reference: the Linux guest's nginx.conf, run natively.

An upper bound without virtualization for the benchmark: the same nginx
configuration (tools/linux-guest/nginx.conf, with only its paths and the
pid file changed) runs on the host's kernel in one network namespace, and
the load generator in a second one, joined by a veth pair:

    client namespace 10.78.0.1/24 <-veth-> 10.78.0.2/24 server namespace

    with NsPair() as pair, HostNginx(pair, site_dir, tmp) as srv:
        srv.wait_http("/k1.bin")        # nginx start -> first 200, s
        benchlib.wrk(pair.client, srv.url("/k1.bin"), 16, 5)
        srv.cpu_seconds()               # nginx master + workers

nginx (Debian's package) runs in the foreground (daemon off) with its own
temporary prefix, config, pid and temp folders; stop() signals the master
by PID, then any worker PID still alive. Both namespaces are deleted on
exit. Traffic stays on the veth pair between them.
"""
import os
import signal
import subprocess
import time

from guest import GuestError, ROOT, wait_first_200
from netns import IP, NetNS, run_cmd
from qemu import stop_process

CLIENT_ADDR = "10.78.0.1"
SERVER_ADDR = "10.78.0.2"
PREFIX_LEN = 24
VETH_CLIENT = "bveth-c"
VETH_SERVER = "bveth-s"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
GUEST_CONF = os.path.join(ROOT, "tools", "linux-guest", "nginx.conf")
MIME_TYPES = "/etc/nginx/mime.types"
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class NsPair:
    """Client and server namespaces joined by a veth pair."""

    def __init__(self):
        # Namespaces with only their loopback up (no tap).
        self.client = NetNS(prefix="petrel-refc", tap=None)
        self.server = NetNS(prefix="petrel-refs", tap=None)

    def create(self):
        try:
            self.client.create()
            self.server.create()
            run_cmd([IP, "-n", self.client.name, "link", "add", VETH_CLIENT,
                     "type", "veth", "peer", "name", VETH_SERVER, "netns",
                     self.server.name])
            for ns, dev, addr in ((self.client, VETH_CLIENT, CLIENT_ADDR),
                                  (self.server, VETH_SERVER, SERVER_ADDR)):
                run_cmd([IP, "-n", ns.name, "addr", "add",
                         "%s/%d" % (addr, PREFIX_LEN), "dev", dev])
                run_cmd([IP, "-n", ns.name, "link", "set", dev, "up"])
        except BaseException:
            self.destroy()
            raise
        return self

    def destroy(self):
        # Deleting a namespace deletes its end of the veth, and the peer.
        self.client.destroy()
        self.server.destroy()

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()


def available():
    """(True, "") if nginx is installed, else (False, why)."""
    if not os.access(NGINX, os.X_OK):
        return False, "%s missing (tools/deps.sh installs nginx)" % NGINX
    return True, ""


def host_config(prefix, site):
    """The guest's nginx.conf with host paths: site root, pid file, MIME
    types and temp folders under `prefix`, and one worker (the guests
    of bench.py have one vCPU; `auto` would take every host CPU).
    Everything else is kept."""
    with open(GUEST_CONF) as f:
        conf = f.read()
    subs = [("pid /run/nginx.pid;", "pid %s/nginx.pid;" % prefix),
            ("include mime.types;", "include %s;" % MIME_TYPES),
            ("root /srv/site;", "root %s;" % site),
            ("worker_processes auto;", "worker_processes 1;")]
    for old, new in subs:
        if old not in conf:
            raise GuestError("%s: no %r to adapt" % (GUEST_CONF, old))
        conf = conf.replace(old, new)
    temps = "".join("\t%s_temp_path %s/%s;\n" % (d, prefix, d)
                    for d in TEMP_DIRS)
    return conf.replace("http {\n", "http {\n" + temps, 1)


class HostNginx:
    """nginx on the host kernel inside pair.server, serving `site`."""

    def __init__(self, pair, site, tmp):
        self.pair = pair
        self.tmp = os.path.abspath(tmp)
        self.site = os.path.abspath(site)
        if not self.site.startswith(self.tmp + os.sep):
            raise GuestError("site %s is not inside %s" % (site, tmp))
        self.prefix = os.path.join(tmp, "nginx-ref")
        self.log_path = os.path.join(self.prefix, "nginx.log")
        self.proc = None
        self.pid = None
        self.t_start = None
        self.boot_seconds = None

    def url(self, path):
        return "http://%s%s" % (SERVER_ADDR, path)

    def start(self):
        for d in TEMP_DIRS:
            os.makedirs(os.path.join(self.prefix, d), exist_ok=True)
        conf = os.path.join(self.prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(host_config(self.prefix, self.site))
        # Workers run as www-data: they must reach the site's files
        # (our temporary folders only; mkdtemp makes them 0700).
        path = self.site
        while path.startswith(self.tmp):
            os.chmod(path, os.stat(path).st_mode | 0o005)
            path = os.path.dirname(path)
        self.log = open(self.log_path, "w")
        self.t_start = time.monotonic()
        # `ip netns exec` execs nginx in place: this PID is the master's.
        self.proc = subprocess.Popen(
            self.pair.server.exec_prefix() + [
                NGINX, "-p", self.prefix, "-c", conf, "-e", "stderr"],
            stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        return self

    def tail(self, lines=20):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def wait_http(self, path="/", timeout=30.0):
        """Seconds from nginx's start to its first 200 for `path`."""
        def dead():
            if self.proc.poll() is None:
                return None
            return "nginx exited (status %d)" % self.proc.returncode
        t = wait_first_200(self.pair.client.exec_prefix(), SERVER_ADDR,
                           path, timeout, dead=dead, tail=self.tail)
        self.boot_seconds = t - self.t_start
        return self.boot_seconds

    def pids(self):
        """The master's PID and its children's (the workers)."""
        out = [self.pid]
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) \
                    as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return out

    def cpu_seconds(self):
        """{"server": s}: user+system CPU time of master and workers."""
        total = 0.0
        for pid in self.pids():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK")
        return {"server": total}

    def stop(self):
        """SIGTERM to the master by PID (SIGKILL after STOP_TIMEOUT), then
        SIGKILL to any of its workers still there."""
        if not self.proc:
            return
        workers = self.pids()[1:]
        stop_process(self.proc)
        for pid in workers:
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    if f.read().startswith(b"nginx: worker"):
                        os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
