# SPDX-License-Identifier: MIT
"""virtio-net + lwIP: addressing, ARP, ICMP echo, checksum offload, DHCP.

The tap tests run QEMU inside a private network namespace (netns.py:
host 10.77.0.1, guest 10.77.0.2) and send traffic only there; they skip
with the reason where namespaces cannot be made. The DHCP test uses QEMU
user networking, whose DHCP server is QEMU itself: nothing leaves QEMU.
"""
import re
import time

from netns import GUEST_ADDR, HOST_ADDR

STATIC = "log=info ip=%s/24 gw=%s net_stats=1" % (GUEST_ADDR, HOST_ADDR)
STATS = (r"vnet: stats: rx (\d+) pkts \d+ bytes drops (\d+) errors (\d+) "
         r".* \| tx (\d+) pkts \d+ bytes drops (\d+) .*"
         r"csum_offload (\d+) ")
USER_NET = ["-netdev", "user,id=n0",
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"]
REFUSED_PROBE = """
import socket, time
s = socket.socket()
s.settimeout(5)
t = time.monotonic()
try:
    s.connect(("%s", 81))  # nothing listens there
    print("connected")
except ConnectionRefusedError:
    print("refused %%.3f" %% (time.monotonic() - t))
except OSError as e:
    print("error", e)
""" % GUEST_ADDR


def static_guest(ns, tmp_path):
    g = ns.guest(tmp_path, STATIC)
    g.wait_for(r"net: en0 static address %s netmask 255\.255\.255\.0 "
               r"gw %s" % (re.escape(GUEST_ADDR), re.escape(HOST_ADDR)))
    g.wait_for(r"vnet: link up")
    return g


def last_stats(g, after, timeout=10.0):
    """Counters from the first stats report logged after `after` chars:
    one line per queue pair (PETREL_QUEUES), summed."""
    m = re.search(r"net: (\d+) queue pairs?, one lwIP instance", g.output())
    pairs = int(m.group(1)) if m else 1
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = re.findall(STATS, g.output()[after:])
        if len(lines) >= pairs:
            return [sum(int(line[i]) for line in lines[:pairs])
                    for i in range(len(lines[0]))]
        time.sleep(0.1)
    raise AssertionError("no stats line:\n" + g.tail())


def test_ping_arp_and_counters(ns, tmp_path):
    g = static_guest(ns, tmp_path)
    out = g.output()
    assert "net: lwIP 2.1." in out
    # tap gives the vnet header: both checksum offloads are negotiated
    assert re.search(r"vnet: \S+ tx-csum on, rx-csum on, link-status on",
                     out), out

    r = ns.run(["ping", "-c", "3", "-W", "2", GUEST_ADDR], timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 received" in r.stdout, r.stdout

    # The host learnt the guest's MAC through ARP.
    mac = re.search(r"en0 mac ([0-9a-f:]{17})", out).group(1)
    neigh = ns.run(["ip", "neigh", "show", GUEST_ADDR]).stdout
    assert "lladdr " + mac in neigh, neigh

    # Full-size and fragmented echoes: scatter-gather TX, reassembly.
    for size in (1472, 3000):
        r = ns.run(["ping", "-c", "2", "-W", "2", "-s", str(size),
                    GUEST_ADDR], timeout=30)
        assert r.returncode == 0, (size, r.stdout + r.stderr)

    mark = len(g.output())
    rx, rx_drops, rx_err, tx, tx_drops, _ = last_stats(g, mark)
    assert rx >= 3 + 2 * 3 and tx >= 3 + 2 * 3, g.tail()
    assert rx_err == 0 and tx_drops == 0, g.tail()


def test_tcp_reset_with_checksum_offload(ns, tmp_path):
    """A SYN to a closed port is answered by an RST whose checksum the
    device completed (NEEDS_CSUM); the host only accepts it if right."""
    g = static_guest(ns, tmp_path)
    for _ in range(3):
        r = ns.run(["/usr/bin/python3", "-c", REFUSED_PROBE], timeout=30)
        assert r.stdout.startswith("refused"), r.stdout + r.stderr
    mark = len(g.output())
    *_, csum_offload = last_stats(g, mark)
    assert csum_offload >= 3, g.tail()


def test_dhcp_on_user_networking(boot):
    g = boot("log=info", extra_args=USER_NET)
    g.wait_for(r"net: en0 DHCP bound address 10\.0\.2\.15 "
               r"netmask 255\.255\.255\.0 gw 10\.0\.2\.2", timeout=30)
    assert "vnet: link up" in g.output()


def test_bad_addresses_are_named_and_default_used(boot):
    g = boot("log=info ip=10.77.0.300/24 gw=10.77.0", extra_args=USER_NET)
    g.wait_for(r"boot: ready")
    out = g.output()
    assert re.search(r"bad value '10\.77\.0\.300/24' for ip= .*"
                     r"using default 'dhcp'", out), out
    assert re.search(r"bad value '10\.77\.0' for gw= .*"
                     r"using default 'none'", out), out
    assert re.search(r"en0 mac \S+, DHCP", out), out
    g.wait_for(r"DHCP bound address 10\.0\.2\.15", timeout=30)


def test_no_network_device(boot):
    g = boot("log=info")
    g.wait_for(r"boot: ready")
    out = g.output()
    assert "net: lwIP 2.1." in out
    assert "net: no virtio-net device; network off" in out
