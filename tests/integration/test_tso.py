# SPDX-License-Identifier: MIT
"""TCP segmentation offload (net/virtio_net.c, lwIP patches 0020-0022).

With a device that offers VIRTIO_NET_F_HOST_TSO4 (QEMU's virtio-net on a
tap with a vnet header, the harness's default), lwIP builds TCP segments
of up to 44 MSS and the driver sends each as one frame with gso_type
TCPV4: the guest's counters show frames far above the 1514-byte MTU, and
tcpdump on the tap (the host keeps them as GSO packets) sees them too.
tso=off, a device without the feature (host_tso4=off) and a bad tso=
value keep today's 1460-byte segments. Every body is compared byte for
byte, also while frames in both directions are dropped, duplicated and
reordered on the tap (nftables in the test's namespace: this kernel has
no sch_netem), which makes the guest retransmit TSO segments, split to
the congestion window after a timeout.
"""
import os
import re
import signal
import subprocess
import time

import pytest

import web
from web import stats

MIB = 1 << 20
FRAME_MTU = 1514  # Ethernet header + 1500
TSO_SEG_MIN = 20000  # well above any one wire segment


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("tso"),
                          {"m1.bin": MIB, "m10.bin": 10 * MIB})


def nic():
    return stats()["nic"]


def no_tso_device_args(ns):
    """The harness's tap NIC with the offer of TSO (and mergeable RX
    buffers) switched off in QEMU's device."""
    return ["-netdev", ns.tap_netdev(),
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
            "host_tso4=off,mrg_rxbuf=off" + ns.mq_device_opts()]


def download_both(files):
    for path in ("/m1.bin", "/m10.bin"):
        status, body = web.fetch(path)
        assert status == 200
        assert body == files[path], path


def test_tso_on_by_default_sends_large_frames(guest):
    start, files = guest
    g = start("")
    g.wait_for(r"tso on", 5)
    before = nic()
    assert before["tso_on"] == 1
    download_both(files)
    after = nic()
    frames = after["tx_tso_frames"] - before["tx_tso_frames"]
    tso_bytes = after["tx_tso_bytes"] - before["tx_tso_bytes"]
    assert frames > 0
    assert after["tx_frame_max"] > TSO_SEG_MIN
    # most of the 11 MiB left in TSO frames, tens of KiB each
    assert tso_bytes > 8 * MIB
    assert tso_bytes / frames > TSO_SEG_MIN
    sent = after["tx_packets"] - before["tx_packets"]
    assert sent < (11 * MIB) // 1460 // 4


@pytest.mark.parametrize("cmdline,console", [
    ("tso=off", None),
    ("tso=maybe", r"tso.*maybe"),
])
def test_tso_off_keeps_mtu_frames(guest, cmdline, console):
    start, files = guest
    g = start(cmdline)
    if console:
        # a bad value is named on the console and the default (on) kept
        g.wait_for(console, 5)
        assert nic()["tso_on"] == 1
        download_both(files)
        return
    g.wait_for(r"tso off", 5)
    download_both(files)
    st = nic()
    assert st["tso_on"] == 0
    assert st["tx_tso_frames"] == 0
    assert st["tx_frame_max"] <= FRAME_MTU


def test_device_without_tso(ns, guest):
    start, files = guest
    g = start("", net_args=no_tso_device_args(ns))
    g.wait_for(r"tso off", 5)
    download_both(files)
    st = nic()
    assert st["tso_on"] == 0
    assert st["tx_tso_frames"] == 0
    assert st["tx_frame_max"] <= FRAME_MTU


# ---- under loss, duplication and reordering ----

SLOW_CLASS = "1:20"  # htb class of the delayed (reordered) frames
FAULT_ROUNDS = 3


def impair(ns):
    """Faults on the tap, in the namespace only. nftables: 2% of the
    guest's frames (whole TSO frames, as the host receives them) and 2%
    of the host's are dropped, 5% of the host's duplicated, and 10% of
    the host's sent through a slow htb class (nft sets skb->priority to
    it: this kernel has no tc classifier either), so they arrive after
    later ones."""
    tc = ["tc", "qdisc", "add", "dev", ns.tap, "root", "handle", "1:",
          "htb", "default", "10"]
    for args in (tc,
                 ["tc", "class", "add", "dev", ns.tap, "parent", "1:",
                  "classid", "1:10", "htb", "rate", "10gbit"],
                 ["tc", "class", "add", "dev", ns.tap, "parent", "1:",
                  "classid", SLOW_CLASS, "htb", "rate", "1mbit"]):
        r = ns.run(args)
        assert r.returncode == 0, r.stderr
    rules = ("table ip petrel_tso_faults {\n"
             " chain in { type filter hook input priority 0;\n"
             "  iifname %(tap)s numgen random mod 100 < 2 drop\n }\n"
             " chain out { type filter hook output priority 0;\n"
             "  oifname %(tap)s numgen random mod 100 < 2 drop\n"
             "  oifname %(tap)s numgen random mod 100 < 5"
             " dup to %(guest)s device %(tap)s\n"
             "  oifname %(tap)s numgen random mod 100 < 10"
             " meta priority set %(slow)s\n }\n"
             "}\n" % {"tap": ns.tap, "guest": web.GUEST, "slow": SLOW_CLASS})
    r = subprocess.run(ns.exec_prefix() + ["nft", "-f", "-"], input=rules,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def guest_data_frames(pcap):
    """(connection, first seq, end seq, IP length) of every data frame
    the guest sent, in capture order (tcpdump's relative sequence
    numbers)."""
    out = subprocess.run(
        ["tcpdump", "-nn", "-v", "-r", pcap, "src host %s and tcp src port 80"
         % web.GUEST], capture_output=True, text=True, timeout=120).stdout
    frames, iplen = [], None
    for line in out.splitlines():
        m = re.search(r"\blength (\d+)\)", line)
        if m and "proto TCP" in line:
            iplen = int(m.group(1))
            continue
        m = re.search(r"\.(\d+) > [\d.]+\.(\d+): .*seq (\d+):(\d+)", line)
        if m and iplen is not None:
            frames.append((m.group(2), int(m.group(3)), int(m.group(4)),
                           iplen))
            iplen = None
    return frames


def retransmitted(frames):
    """The frames that resend bytes the same connection sent before."""
    sent_to, again = {}, []
    for conn, first, end, iplen in frames:
        if first < sent_to.get(conn, 0):
            again.append((conn, first, end, iplen))
        sent_to[conn] = max(sent_to.get(conn, 0), end)
    return again


def test_tso_under_loss_duplication_reordering(ns, guest, tmp_path):
    start, files = guest
    pcap = str(tmp_path / "tso.pcap")
    dump = subprocess.Popen(
        ns.exec_prefix() + ["tcpdump", "-U", "-s", "96", "-i", ns.tap, "-w",
                            pcap, "tcp port 80"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # tcpdump opens the tap asynchronously
        start("idle_timeout_ms=120000")
        before = nic()
        impair(ns)
        for _ in range(FAULT_ROUNDS):
            web.fetch_concurrently(files, ["/m10.bin", "/m1.bin", "/m1.bin"])
        after = nic()
    finally:
        os.kill(dump.pid, signal.SIGTERM)
        dump.wait(30)
    assert after["tx_tso_frames"] > before["tx_tso_frames"]
    frames = guest_data_frames(pcap)
    again = retransmitted(frames)
    big = [f for f in frames if f[3] > FRAME_MTU]
    big_again = [f for f in again if f[3] > FRAME_MTU]
    print("guest data frames %d, above the MTU %d, retransmitted %d "
          "(above the MTU %d), largest %d" % (
              len(frames), len(big), len(again), len(big_again),
              max(f[3] for f in frames)))
    # the host received GSO frames (not segmented on the way) ...
    assert len(big) > len(frames) // 4
    # ... and the guest resent data, some of it as TSO frames
    assert again
    assert big_again
