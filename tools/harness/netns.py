# SPDX-License-Identifier: MIT
"""A private network namespace with a tap device for one test or benchmark.

The one namespace helper of the integration tests and the benchmarks
(tools/bench: guest.Namespace, hostref's namespace pair).
NetNS().create() (or `with NetNS() as ns`) makes a namespace with a
unique name holding a tap device (host side 10.77.0.1/24, up; tap=None:
only the loopback; guest_mac: a permanent neighbour entry for the guest,
so no ARP delay enters a measurement); guests started with ns.guest() run
QEMU inside it (`ip netns exec NS qemu-system-x86_64 ...`, virtio-net on
that tap), so every packet of the test stays in the namespace. destroy()
stops those guests by PID, then deletes the namespace (and the tap with
it). available() tells whether namespaces can be made here at all, so
tests can skip with the reason instead of failing. With PETREL_PCAP set,
each namespace records its tap's packet headers with tcpdump (debugging;
PETREL_PCAP_FILTER narrows it, e.g. to "tcp[13] & 7 != 0").

Network rule: nothing here routes or forwards; traffic goes only between
the namespace's tap and the guest.
"""
import contextlib
import ctypes
import os
import subprocess
import time
import uuid

from qemu import Guest

HOST_ADDR = "10.77.0.1"
GUEST_ADDR = "10.77.0.2"
PREFIX_LEN = 24
TAP = "ptap0"
CLONE_NEWNET = 0x40000000
IP = "ip"
CMD_TIMEOUT = 20  # seconds for one `ip` command
# PETREL_PCAP=/tmp/cap makes each namespace record /tmp/cap.<name>.
PCAP_ENV = "PETREL_PCAP"
PCAP_FILTER_ENV = "PETREL_PCAP_FILTER"  # a tcpdump filter expression
PCAP_START_S = 0.5


def run_cmd(args, check=True, timeout=CMD_TIMEOUT):
    """Run a command on the host (bounded): CompletedProcess, text."""
    return subprocess.run(args, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, check=check)


def available():
    """(True, "") if a namespace with a tap can be made, else (False, why)."""
    probe = NetNS(prefix="petrel-probe")
    try:
        probe.create()
    except (OSError, subprocess.SubprocessError) as e:
        err = getattr(e, "stderr", "") or str(e)
        return False, err.strip()
    finally:
        probe.destroy()
    return True, ""


class NetNS:
    def __init__(self, prefix="petrel", tap=TAP, guest_mac=None,
                 queues=None):
        self.name = "%s-%d-%s" % (prefix, os.getpid(), uuid.uuid4().hex[:6])
        self.tap = tap
        # queues > 1: a multiqueue tap, and guests get that many virtio-net
        # queue pairs (mq=on, a vector per queue); the tap steers each
        # flow to one queue by hash. Not chosen: PETREL_QUEUES (1), so
        # PETREL_SMP=2 PETREL_QUEUES=2 spreads every test's connections.
        if queues is None:
            queues = int(os.environ.get("PETREL_QUEUES", "1") or "1")
        self.queues = queues
        self.guest_mac = guest_mac
        self.created = False
        self.guests = []
        self.pcap = None

    def exec_prefix(self):
        return [IP, "netns", "exec", self.name]

    def create(self):
        try:
            self._create()
        except BaseException:
            self.destroy()
            raise
        return self

    def _create(self):
        run_cmd([IP, "netns", "add", self.name])
        self.created = True
        ns = [IP, "-n", self.name]
        run_cmd(ns + ["link", "set", "lo", "up"])
        if not self.tap:
            return
        run_cmd(ns + ["tuntap", "add", "dev", self.tap, "mode", "tap",
                      "user", str(os.getuid())] +
                (["multi_queue"] if self.queues > 1 else []))
        run_cmd(ns + ["addr", "add", "%s/%d" % (HOST_ADDR, PREFIX_LEN),
                      "dev", self.tap])
        run_cmd(ns + ["link", "set", self.tap, "up"])
        if self.guest_mac:
            run_cmd(ns + ["neigh", "replace", GUEST_ADDR, "lladdr",
                          self.guest_mac, "dev", self.tap, "nud",
                          "permanent"])
        if os.environ.get(PCAP_ENV):
            self._capture(os.environ[PCAP_ENV] + "." + self.name)

    def _capture(self, path):
        """Record the tap's traffic (headers) to `path` for debugging."""
        self.pcap = subprocess.Popen(
            self.exec_prefix() + ["tcpdump", "-U", "-s", "128", "-i",
                                  self.tap, "-w", path] +
            os.environ.get(PCAP_FILTER_ENV, "").split(),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        time.sleep(PCAP_START_S)  # tcpdump opens the tap asynchronously

    def run(self, args, timeout=CMD_TIMEOUT, check=False):
        """Run a command inside the namespace (bounded); CompletedProcess."""
        return run_cmd(self.exec_prefix() + list(args), check=check,
                       timeout=timeout)

    @contextlib.contextmanager
    def entered(self):
        """Run the body with this thread inside the namespace, so sockets
        the test opens reach the guest; the original namespace is
        restored on exit. Processes started meanwhile inherit it too."""
        libc = ctypes.CDLL(None, use_errno=True)
        back = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/run/netns/%s" % self.name, os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into %s" % self.name)
            yield self
        finally:
            libc.setns(back, CLONE_NEWNET)
            os.close(back)
            os.close(target)

    def netem(self, *args):
        """Add a netem qdisc on the tap (delay, loss, duplicate, reorder).
        False when this kernel has no netem (then use drop_randomly)."""
        r = self.run(["tc", "qdisc", "add", "dev", self.tap, "root",
                      "netem"] + list(args))
        return r.returncode == 0

    def drop_randomly(self, percent):
        """Drop `percent`% of the packets in each direction between the
        namespace and the guest (nftables), for kernels without netem."""
        rules = ("table inet petrel_loss {\n"
                 " chain in { type filter hook input priority 0;"
                 " iifname %(tap)s numgen random mod 100 < %(p)d drop; }\n"
                 " chain out { type filter hook output priority 0;"
                 " oifname %(tap)s numgen random mod 100 < %(p)d drop; }\n"
                 "}\n" % {"tap": self.tap, "p": percent})
        r = subprocess.run(self.exec_prefix() + ["nft", "-f", "-"],
                           input=rules, capture_output=True, text=True,
                           timeout=CMD_TIMEOUT)
        if r.returncode:
            raise OSError("nft: %s" % r.stderr.strip())

    def tap_netdev(self, netdev_id="n0"):
        """A -netdev value on this namespace's tap. A multiqueue tap
        refuses QEMU's plain attach (EINVAL), and QEMU attaches with
        IFF_MULTI_QUEUE only when told queues > 1: so it is told, with
        no vhost (QEMU's own virtio-net moves the frames). A device
        without mq=on uses the first queue and QEMU detaches the rest."""
        netdev = "tap,id=%s,ifname=%s,script=no,downscript=no" % (
            netdev_id, self.tap)
        if self.queues > 1:
            netdev += ",queues=%d,vhost=off" % self.queues
        return netdev

    def mq_device_opts(self):
        """virtio-net-pci properties for one queue pair per tap queue:
        mq=on and an MSI-X vector for config, control queue and every
        queue; "" with one queue."""
        if self.queues == 1:
            return ""
        return ",mq=on,vectors=%d" % (2 * self.queues + 2)

    def plain_nic_args(self):
        """QEMU's everyday NIC option on this namespace's tap: no
        disable-legacy and no vectors, so the function is transitional
        (1af4:1000) and, in QEMU 7.2, comes without MSI-X (and with one
        queue pair, whatever queues the tap has)."""
        return ["-nic", self.tap_netdev().replace("tap,id=n0,", "tap,", 1)
                + ",model=virtio-net-pci"]

    def nic_args(self):
        """A modern virtio-net on this namespace's tap; with queues > 1,
        multiqueue: one tap queue per pair (tap_netdev, mq_device_opts)."""
        return ["-netdev", self.tap_netdev(),
                "-device", "virtio-net-pci,netdev=n0,disable-legacy=on" +
                self.mq_device_opts()]

    def guest(self, tmp_path, cmdline, name=None, extra_args=(),
              net_args=None, **kw):
        """Start a guest whose virtio-net is this namespace's tap (or
        the network given by net_args, e.g. faultnet.netdev_args())."""
        net = net_args or self.nic_args()
        g = Guest(tmp_path, cmdline, prefix=self.exec_prefix(),
                  extra_args=net + list(extra_args),
                  name=name or "ns-guest%d" % len(self.guests), **kw)
        self.guests.append(g)
        return g.start()

    def destroy(self):
        for g in self.guests:
            g.stop()
        self.guests = []
        if self.pcap:
            self.pcap.terminate()
            self.pcap.wait(timeout=CMD_TIMEOUT)
            self.pcap = None
        if self.created:
            run_cmd([IP, "netns", "del", self.name], check=False)
            self.created = False

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()
