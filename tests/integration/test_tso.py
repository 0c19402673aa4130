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
    return ["-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no"
            % ns.tap,
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
            "host_tso4=off,mrg_rxbuf=off"]


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
