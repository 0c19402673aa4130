# SPDX-License-Identifier: MIT
"""Receive-side isolation: hostile peers that send 1-byte TCP segments
past a sequence gap must not pin the RX pages other clients need.

Each such segment sits on lwIP's out-of-order queue and pins a whole RX
page. 64 connections x 64 segments is four times every RX page the NIC
may use, so without a budget the RX ring cannot be refilled and a normal
client stalls until the hostile connections time out. With the budget
(net/lwip-port/ooseq.h) each connection keeps its fair share and the
heaviest holders lose theirs first; the normal client's 10 MiB download
keeps at least half its rate alone, byte-exact.

The segments are crafted in Python and sent through a raw socket
(IP_HDRINCL) inside the test's namespace, on connections the host kernel
opened; their sequence numbers come from the SYN-ACKs, which a raw
receive socket sees too.
"""
import socket
import threading
import struct
import time

import pytest

import netns
import web
from web import GUEST, fetch, stats

HOSTILES = 64
SEGMENTS = 64  # per connection: as many as lwIP would queue for one
REFRESH_S = 0.5  # pause between two rounds of hostile segments
TIMEOUT = 120
SYN, ACK, PSH = 0x02, 0x10, 0x08


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("rxiso"),
                          {"m10.bin": 10 << 20, "k1.bin": 1024})


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_packet(sport, seq, ack, payload, flags=ACK | PSH):
    """An IPv4 + TCP packet from the host's address to the guest's port
    80 (IP checksum and ID filled in by the kernel: IP_HDRINCL)."""
    src = socket.inet_aton(netns.HOST_ADDR)
    dst = socket.inet_aton(GUEST)
    tcp = struct.pack("!HHIIBBHHH", sport, 80, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000,
                     64, socket.IPPROTO_TCP, 0, src, dst)
    return ip + tcp


def open_hostiles(n, seconds=30):
    """n connections opened by the host kernel, with the sequence numbers
    read from the guest's SYN-ACKs: [(socket, port, next seq, ack)]."""
    sniff = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_TCP)
    sniff.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sniff.settimeout(1)
    socks = {}
    try:
        for _ in range(n):
            s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
            socks[s.getsockname()[1]] = s
        found = {}
        deadline = time.monotonic() + seconds
        while len(found) < n and time.monotonic() < deadline:
            try:
                pkt = sniff.recv(65536)
            except socket.timeout:
                continue
            ihl = (pkt[0] & 15) * 4
            sport, dport, seq, ack, _, flags = struct.unpack(
                "!HHIIBB", pkt[ihl:ihl + 14])
            if (socket.inet_ntoa(pkt[12:16]) == GUEST and sport == 80 and
                    dport in socks and flags & (SYN | ACK) == SYN | ACK):
                found[dport] = (ack, (seq + 1) & 0xFFFFFFFF)
        assert len(found) == n, "saw %d of %d SYN-ACKs" % (len(found), n)
        return [(socks[p], p, nxt, ack) for p, (nxt, ack) in found.items()]
    except BaseException:
        for s in socks.values():
            s.close()
        raise
    finally:
        sniff.close()


def send_out_of_order(raw, hostiles):
    """SEGMENTS 1-byte segments per connection, every other byte from
    offset 1: byte 0 never comes, so none of them can be delivered. A
    short pause after each connection's burst keeps the tap's queue from
    overflowing, so that every connection's segments reach the guest."""
    for _, port, nxt, ack in hostiles:
        for k in range(SEGMENTS):
            raw.sendto(tcp_packet(port, (nxt + 1 + 2 * k) & 0xFFFFFFFF, ack,
                                  b"x"), (GUEST, 0))
        time.sleep(0.005)


def timed_download(files, rounds=5):
    """The median rate of `rounds` byte-exact 10 MiB downloads, MB/s (a
    median: the host runs other work, and one download is short)."""
    rates = []
    for _ in range(rounds):
        t0 = time.monotonic()
        status, body = fetch("/m10.bin", timeout=TIMEOUT)
        elapsed = time.monotonic() - t0
        assert status == 200 and body == files["/m10.bin"]
        rates.append(len(body) / elapsed / 1e6)
    return sorted(rates)[len(rates) // 2]


def test_out_of_order_floods_do_not_starve_a_download(ns, site, tmp_path):
    files, img = site
    # The hostile connections send no request: long timeouts keep them
    # (and their queues) alive for the whole test, as until an idle
    # timeout in the field.
    g = web.start_guest(ns, tmp_path, img,
                        "header_timeout_ms=600000 idle_timeout_ms=600000")
    with ns.entered():
        timed_download(files, 1)  # the file into the page cache
        alone = timed_download(files)
        before = stats()["nic"]
        hostiles = open_hostiles(HOSTILES)
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_RAW)
        try:
            send_out_of_order(raw, hostiles)
            time.sleep(1)
            held = stats()["nic"]
            # The download, with the flood sent again every REFRESH_S.
            t0 = time.monotonic()
            stop = threading.Event()

            def refresher():
                rounds = 0
                while not stop.is_set() and rounds < 200:
                    send_out_of_order(raw, hostiles)
                    rounds += 1
                    stop.wait(REFRESH_S)
            th = threading.Thread(target=refresher)
            th.start()
            try:
                attacked = timed_download(files)
            finally:
                stop.set()
                th.join(30)
            during = stats()["nic"]
            print("10 MiB alone %.1f MB/s, under %d x %d out-of-order "
                  "segments %.1f MB/s (%.2fx), %.1f s" % (
                      alone, HOSTILES, SEGMENTS, attacked, attacked / alone,
                      time.monotonic() - t0))
            print("RX pages: budget %d, held out of order %d by %d "
                  "connections; after the download %d; dropped over "
                  "share %d, trimmed %d; rx_posted %d, rx_held %d, "
                  "refill failures %d" % (
                      held["ooseq_budget"], held["ooseq_pages"],
                      held["ooseq_holders"], during["ooseq_pages"],
                      during["ooseq_over_share"], during["ooseq_trimmed"],
                      during["rx_posted"], during["rx_held"],
                      during["rx_refill_failed"] -
                      before["rx_refill_failed"]))
            assert held["ooseq_holders"] >= HOSTILES // 2, held
            assert held["ooseq_pages"] <= held["ooseq_budget"], held
            assert during["ooseq_over_share"] > before["ooseq_over_share"]
            assert attacked >= 0.5 * alone
        finally:
            raw.close()
            for s, _, _, _ in hostiles:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                s.close()
        st = web.settle(lambda st: st["nic"]["ooseq_pages"] == 0)
        assert st["nic"]["ooseq_pages"] == 0, st["nic"]
        assert fetch("/k1.bin") == (200, files["/k1.bin"])
    assert g.proc.poll() is None and "PANIC" not in g.output()
