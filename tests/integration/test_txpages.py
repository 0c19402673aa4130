# SPDX-License-Identifier: MIT
"""A page outlives every descriptor that names it.

net/conn.c drops a sent page's reference when the peer acknowledges its
bytes; the NIC may still hold a frame naming that page (a retransmission
in the TX ring or in the driver's backlog when the ACK of the original
arrives). net/virtio_net.c therefore references every pool page a TX
descriptor names until the device returns the descriptor. With
iobuf_poison=on a freed pool page holds a tag (IOBUF_POISON, 8 bytes
repeated): a frame read from a freed page would carry it on the wire.

The site is served under loss, duplication and reordering
(faultnet.FrameRelay; this kernel has no sch_netem) over several
keep-alive connections, hundreds of responses; every body is compared,
and the guest's frames are recorded on the tap with tcpdump (full
payloads) and searched for the tag at every alignment.
"""
import http.client
import os
import signal
import struct
import subprocess
import threading
import time

import pytest

import faultnet
import web
from web import GUEST, settle, site_image, stats

IOBUF_POISON = struct.pack("<Q", 0xa55a454552465aa5)  # kernel/io/iobuf.h
# Any 8 bytes of poisoned memory are one of the tag's rotations.
POISON_ROTATIONS = [IOBUF_POISON[i:] + IOBUF_POISON[:i] for i in range(8)]
CLIENTS = 4
ROUNDS = 3  # each client GETs every file this many times
TIMEOUT = 120
PCAP_START_S = 1.0
SAMPLE_S = 0.5
# A device that takes its TX ring in bursts every few milliseconds, as a
# busy NIC would: frames wait in the ring (and the driver's backlog)
# long enough for the ACK of an original to arrive while its
# retransmission is still queued, the window this test is about.
SLOW_TX = ",tx=timer,x-txtimer=10000000,x-txburst=32"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # Many small responses (each response header is a pool page freed as
    # soon as it is acknowledged, and handed out again first) and a few
    # larger ones that keep the TX ring and the backlog busy.
    sizes = {"s%02d.bin" % i: 200 + 997 * i for i in range(40)}
    sizes.update({"m%d.bin" % i: (96 << 10) + 4099 * i for i in range(4)})
    assert all(s for s in sizes.values())
    files, img = site_image(tmp_path_factory.mktemp("txpages"), sizes,
                            seed=13)
    for data in files.values():  # the tag must be able to mean poison
        assert not any(r in data for r in POISON_ROTATIONS)
    return files, img



def sample_held(threads, held):
    """nic.tx_pages_held every SAMPLE_S while the clients run."""
    while any(t.is_alive() for t in threads):
        try:
            held.append(stats()["nic"]["tx_pages_held"])
        except (OSError, http.client.HTTPException):
            pass  # a lost /_stats exchange: try again
        time.sleep(SAMPLE_S)


def guest_payloads(pcap_path):
    """TCP payloads of the frames the guest sent (IPv4 source GUEST),
    from a classic little- or big-endian Ethernet pcap."""
    with open(pcap_path, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}[magic]
    assert struct.unpack(endian + "I", data[20:24])[0] == 1  # Ethernet
    guest = bytes(int(x) for x in GUEST.split("."))
    off, out = 24, []
    while off + 16 <= len(data):
        incl, orig = struct.unpack(endian + "II", data[off + 8:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        assert incl == orig, "capture truncated a frame"
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != 6 or ip[12:16] != guest:
            continue
        tcp = ip[ihl:total]
        out.append(tcp[(tcp[12] >> 4) * 4:])
    return out


def serve_under_faults(start, files, ns, tmp_path, cmdline):
    pcap = str(tmp_path / "guest.pcap")
    with ns.entered():
        relay = faultnet.FrameRelay(ns.tap, loss=0.02, dup=0.03,
                                    reorder=0.08, seed=21).start()
    dump = subprocess.Popen(
        ns.exec_prefix() + ["tcpdump", "-U", "-s", "0", "-i", ns.tap,
                            "-w", pcap, "tcp port 80"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        time.sleep(PCAP_START_S)  # tcpdump opens the tap asynchronously
        g = start("iobuf_poison=on idle_timeout_ms=120000 " + cmdline,
                  net_args=faultnet.netdev_args(SLOW_TX))
        assert "iobuf_poison=on" in g.output()
        paths = sorted(files) * ROUNDS
        errors, counts = [], []
        # Each client starts at a different file.
        step = len(paths) // CLIENTS
        threads = [threading.Thread(target=web.keepalive_fetch, args=(
            files, paths[i * step:] + paths[:i * step], errors, counts))
            for i in range(CLIENTS)]
        held = []
        sampler = threading.Thread(target=sample_held, args=(threads, held))
        for t in threads + [sampler]:
            t.start()
        for t in threads + [sampler]:
            t.join(4 * TIMEOUT)
        print("nic.tx_pages_held while serving: max %d over %d samples" %
              (max(held, default=0), len(held)))
        assert not any(t.is_alive() for t in threads)
        assert not errors, errors[:5]
        assert len(counts) == CLIENTS * len(paths)
        st = settle(lambda st: st["nic"]["tx_pages_held"] == 0, 30)
        assert "PANIC" not in g.output()
    finally:
        relay.stop()
        os.kill(dump.pid, signal.SIGTERM)
        dump.wait(30)
    faults = relay.counts()
    print("faults injected: %s" % faults)
    for d in faults.values():
        assert d["dropped"] and d["duplicated"] and d["reordered"]
    return st, guest_payloads(pcap)


@pytest.mark.parametrize("config", ["", "mapping=naive"])
def test_poisoned_pages_never_reach_the_wire(guest, ns, tmp_path, config):
    start, files = guest
    st, payloads = serve_under_faults(start, files, ns, tmp_path, config)
    nic = st["nic"]
    print("nic: %s iobuf: %s" % (nic, st["iobuf"]))
    sent = sum(len(p) for p in payloads)
    assert sent >= CLIENTS * ROUNDS * sum(map(len, files.values()))
    bad = [p for p in payloads if any(r in p for r in POISON_ROTATIONS)]
    assert not bad, "%d frames carried freed-page bytes" % len(bad)
    assert st["iobuf"]["frees"] > CLIENTS * ROUNDS * 40  # poison ran
    # Every page a frame named was referenced, and all went back.
    assert nic["tx_page_refs"] > 0
    assert nic["tx_pages_held"] == 0
    assert nic["tx_stale_pages"] == 0
