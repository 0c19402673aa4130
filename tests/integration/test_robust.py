# SPDX-License-Identifier: MIT
"""Robustness: injected faults and hostile clients.

Faults: disk read errors (QEMU blkdebug), corrupt and truncated site
images, packet loss, duplication and reordering, a burst of small packets
against the RX ring, a buffer pool too small for the readers it serves.
Hostile clients: connection churn, slowloris, readers that stop reading,
garbage, huge headers, tiny segments to a paused reader.

After every scenario the server must be back to idle (web.is_idle: only
the /_stats request open, no page pinned beyond the NIC's own, nothing
queued or waiting for the disk) and serve a normal client byte-exact.
Boots are few (one guest per group of scenarios) and every loop is
bounded in count and time; nothing asserts on timing.
"""
import http.client
import os
import random
import re
import select
import socket
import struct
import subprocess
import threading
import time

import pytest

import faultnet
import netns
import web
from web import GUEST, get, settle, stats

TIMEOUT = 30
SIZES = {"k1.bin": 1024, "k64.bin": 65536, "m1.bin": 1 << 20,
         "m10.bin": 10 << 20, "odd.bin": 12345}
# Timeouts of the hostile guest: short so that the scenarios which wait
# for them stay quick, long enough that the test's own setup (500
# connections under TCG) fits well inside them.
HOSTILE = "header_timeout_ms=6000 idle_timeout_ms=6000"
CONN_HELD_PBUFS_MAX = 16  # kernel/param.h


def static_ip():
    return "ip=%s/24 gw=%s" % (GUEST, netns.HOST_ADDR)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("robust")
    root = tmp / "site"
    root.mkdir()
    files = web.make_site(str(root), SIZES, seed=10)
    return tmp, root, files, web.make_image(root, tmp / "site.img")


@pytest.fixture(scope="module")
def hostile(site, netns_ok):
    ok, why = netns_ok
    if not ok:
        pytest.skip("cannot create a network namespace: %s" % why)
    tmp, _, files, img = site
    ns = netns.NetNS().create()
    try:
        g = ns.guest(tmp, "%s %s" % (static_ip(), HOSTILE), mem="128M",
                     extra_args=web.disk_args(img), name="hostile")
        g.wait_for(r"http: listening on port 80", 60)
        g.wait_for(r"vnet: link up", 30)
        with ns.entered():
            base = settle(lambda st: st["http"]["active"] == 1)
            yield files, g, ns, web.other_pins(base)
    finally:
        ns.destroy()


def back_to_idle(files, g, pins, seconds=30):
    """Wait for the idle state, assert it, then serve a normal client."""
    st = settle(lambda st: web.is_idle(st, pins), seconds)
    assert st["http"]["active"] == 1, st["http"]
    assert st["conn"]["active"] == 1, st["conn"]
    assert st["conn"]["queued_bytes"] == 0, st["conn"]
    assert web.other_pins(st) == pins, (st["iobuf"], st["nic"])
    assert st["pcache"]["loading"] == 0, st["pcache"]
    assert (st["fs"]["disk_in_flight"], st["fs"]["disk_waiting"]) == (0, 0)
    status, _, body = get("/m1.bin")
    assert status == 200 and body == files["/m1.bin"]
    assert g.proc.poll() is None and "PANIC" not in g.output()
    return st


def connect_many(n, deadline_s=20):
    """n non-blocking connects; returns (connected sockets, failures)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((GUEST, 80))
        socks.append(s)
    poller = select.poll()
    pending = {s.fileno(): s for s in socks}
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    deadline = time.monotonic() + deadline_s
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(500):
            poller.unregister(fd)
            pending.pop(fd)
    good, failed = [], 0
    for s in socks:
        if s.fileno() in pending or \
                s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            failed += 1
            s.close()
        else:
            good.append(s)
    return good, failed


def reset(s):
    # SO_LINGER 0: close sends RST instead of FIN.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def read_until_close(s, limit=1 << 20, seconds=TIMEOUT):
    """What the server sends until it closes or resets (bounded)."""
    s.setblocking(True)
    s.settimeout(seconds)
    out = b""
    try:
        while len(out) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass  # a reset after the answer is a fine way to end
    return out


# --- hostile clients -------------------------------------------------------


def test_10000_connections_opened_and_dropped(hostile):
    """Bursts of 250 connections, each ended in one of four ways: FIN at
    once, RST at once, FIN half-way through a request head, RST while
    the response is on its way."""
    files, g, _, pins = hostile
    before = stats()["conn"]["accepted"]
    connected = failed = 0
    deadline = time.monotonic() + 150
    for burst in range(40):
        if time.monotonic() > deadline:
            break
        socks, f = connect_many(250)
        failed += f
        connected += len(socks)
        for i, s in enumerate(socks):
            try:
                if i % 4 == 2:
                    s.send(b"GET /k64.bin HTTP/1.1\r\nHo")
                elif i % 4 == 3:
                    s.send(b"GET /k64.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass
            if i % 2:
                reset(s)
            else:
                s.close()
    assert (connected, failed) == (10000, 0)
    st = back_to_idle(files, g, pins)
    assert st["conn"]["accepted"] - before >= 10000


def test_slowloris_500_while_a_normal_client_is_served(hostile):
    files, g, _, pins = hostile
    before = stats()["http"]
    slow, failed = connect_many(500)
    assert failed == 0
    for s in slow:
        s.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    try:
        status, _, body = get("/k64.bin")
        assert status == 200 and body == files["/k64.bin"]
        # All 500 were being held while the normal client got in.
        st = stats()["http"]
        assert st["active"] >= 501, st
        # Then the header deadline closes every one of them.
        st = settle(lambda st: st["http"]["timeouts_header"] -
                    before["timeouts_header"] >= 500, 60)
        assert st["http"]["timeouts_header"] - before["timeouts_header"] \
            >= 500
    finally:
        for s in slow:
            s.close()
    back_to_idle(files, g, pins)


def test_readers_that_stop_reading_a_10mib_response(hostile):
    """Zero window: the response's pages stay pinned until the send
    timeout (idle_timeout_ms) gives up on the reader; others are served
    meanwhile."""
    files, g, _, pins = hostile
    before = stats()["http"]["timeouts_send"]
    stuck = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(TIMEOUT)
            s.connect((GUEST, 80))
            s.sendall(b"GET /m10.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1000)
            stuck.append(s)
        status, _, body = get("/m1.bin")
        assert status == 200 and body == files["/m1.bin"]
        st = stats()
        assert st["http"]["active"] >= 9
        assert web.other_pins(st) > pins  # their windows, still held
        st = settle(lambda st: st["http"]["timeouts_send"] - before >= 8, 60)
        assert st["http"]["timeouts_send"] - before == 8
    finally:
        for s in stuck:
            s.close()
    back_to_idle(files, g, pins)


def test_random_garbage_requests(hostile):
    """300 connections of random bytes or of a valid request with random
    bytes flipped; every answer is a well-formed status line (or the
    connection just closes), never a crash."""
    files, g, _, pins = hostile
    rng = random.Random(2024)
    valid = b"GET /k1.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\n\r\n"
    statuses = {}
    for batch in range(6):
        socks, failed = connect_many(50)
        assert failed == 0
        for i, s in enumerate(socks):
            if i % 2:
                junk = rng.randbytes(rng.randint(1, 4000))
                if i % 4 == 1:
                    junk += b"\r\n\r\n"
            else:
                junk = bytearray(valid)
                for _ in range(rng.randint(1, 6)):
                    junk[rng.randrange(len(junk))] = rng.randrange(256)
                junk = bytes(junk)
            try:
                s.sendall(junk)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        for s in socks:
            out = read_until_close(s)
            s.close()
            if out:
                m = re.match(rb"HTTP/1\.1 (\d{3}) ", out)
                assert m, out[:80]
                code = int(m.group(1))
                statuses[code] = statuses.get(code, 0) + 1
    assert statuses.get(400, 0) > 100, statuses
    back_to_idle(files, g, pins)


def huge_header_cases():
    line = b"GET /k1.bin HTTP/1.1\r\nHost: x\r\n"
    return [
        ("one 64 KiB field", line + b"X-Big: " + b"v" * 65536 +
         b"\r\n\r\n", 431),
        ("200 fields", line + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 90) for i in range(200)) +
         b"\r\n", 431),
        ("64 KiB request line", b"GET /" + b"a" * 65536 +
         b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("valid, then huge on the same connection",
         line + b"\r\n" + line + b"X-Big: " + b"v" * 40000 + b"\r\n\r\n",
         431),
    ]


@pytest.mark.parametrize("name,request_bytes,status",
                         huge_header_cases(),
                         ids=[c[0] for c in huge_header_cases()])
def test_huge_headers_refused(hostile, name, request_bytes, status):
    files, g, _, pins = hostile
    s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
    try:
        s.sendall(request_bytes)
    except OSError:
        pass  # the server may close before reading it all
    out = read_until_close(s)
    s.close()
    assert b"HTTP/1.1 %d " % status in out, out[:200]
    back_to_idle(files, g, pins)


def test_endless_header_stream_is_cut_off(hostile):
    """A head that never ends (16 MiB offered): answered 431 and closed
    long before, never buffered."""
    files, g, _, pins = hostile
    s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: ")
    sent = 0
    try:
        while sent < 16 << 20:
            s.sendall(b"v" * 65536)
            sent += 65536
    except OSError:
        pass
    out = read_until_close(s)
    s.close()
    assert sent < 16 << 20
    assert out.startswith(b"HTTP/1.1 431 "), out[:80]
    back_to_idle(files, g, pins)


def test_50_clients_with_headers_just_under_the_limit(hostile):
    files, g, _, pins = hostile
    head = (b"GET /k1.bin HTTP/1.1\r\nHost: x\r\n" +
            b"".join(b"X-%02d: %s\r\n" % (i, b"v" * 140) for i in range(95)) +
            b"\r\n")
    assert len(head) < 16384
    socks, failed = connect_many(50)
    assert failed == 0
    for s in socks:
        s.setblocking(True)
        s.settimeout(TIMEOUT)
        s.sendall(head)
    for s in socks:
        (resp_head, body), = web.read_responses(s, 1)
        s.close()
        assert resp_head.startswith(b"HTTP/1.1 200 ")
        assert body == files["/k1.bin"]
    back_to_idle(files, g, pins)


def test_tiny_segments_to_a_reader_that_does_not_read(hostile):
    """A pipelining client that reads nothing fills its request buffer,
    so the server stops reading it; then it trickles one-byte segments.
    Each would pin a whole RX page: the stack must refuse them beyond a
    few instead of letting one client drain the NIC's receive pages."""
    files, g, ns, pins = hostile
    ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_autocorking=0"])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(TIMEOUT)
    s.connect((GUEST, 80))
    before = stats()["nic"]
    try:
        s.sendall(b"GET /m10.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        s.sendall(b"GET /k1.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 800)
        time.sleep(0.5)
        s.setblocking(False)
        # Well inside the send timeout, which would end the client.
        sent, deadline = 0, time.monotonic() + 3
        while sent < 3000 and time.monotonic() < deadline:
            try:
                s.send(b"G")
                sent += 1
                if sent % 2 == 0:
                    time.sleep(0.001)
            except BlockingIOError:
                time.sleep(0.005)
        st = stats()
        assert st["nic"]["rx_held"] <= 4 * CONN_HELD_PBUFS_MAX, st["nic"]
        assert st["nic"]["rx_refill_failed"] == before["rx_refill_failed"]
        assert st["conn"]["recv_refused"] > 0
        status, _, body = get("/k64.bin")
        assert status == 200 and body == files["/k64.bin"]
    finally:
        s.close()
    back_to_idle(files, g, pins)


def tap_tx_dropped(ns):
    out = ns.run(["ip", "-s", "link", "show", ns.tap]).stdout
    m = re.search(r"TX:.*\n\s*\d+\s+\d+\s+\d+\s+(\d+)", out)
    return int(m.group(1)) if m else 0


def test_burst_of_small_packets_exhausts_the_rx_ring_and_recovers(hostile):
    """20,000 small UDP datagrams and 2,000 flood pings, sent faster than
    the guest drains its 256-entry RX ring (the tap then drops what QEMU
    cannot deliver): the ring refills and the server answers."""
    files, g, ns, pins = hostile
    before = stats()["nic"]
    drops_before = tap_tx_dropped(ns)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setblocking(False)
    sent = 0
    for i in range(20000):
        try:
            u.sendto(b"x" * 18, (GUEST, 9 + i % 64))
            sent += 1
        except BlockingIOError:
            pass  # our own socket buffer is full: a dropped datagram
    u.close()
    ns.run(["ping", "-f", "-c", "2000", "-s", "16", "-w", "30", GUEST],
           timeout=60)
    st = back_to_idle(files, g, pins)
    received = st["nic"]["rx_packets"] - before["rx_packets"]
    print("burst: %d datagrams sent, %d frames received by the guest, "
          "%d dropped at the tap" % (sent, received,
                                     tap_tx_dropped(ns) - drops_before))
    assert received > 0


# --- disk faults -----------------------------------------------------------


def first_block(img, path, n=0):
    out = subprocess.run(["debugfs", "-R", "bmap %s %d" % (path, n), img],
                             check=True, capture_output=True,
                             text=True).stdout
    return int(out.split()[-1])


def test_disk_read_errors_give_500_while_others_are_served(site, ns,
                                                           tmp_path):
    """blkdebug fails every read of the first block of /k64.bin and of a
    block 2 MiB into /m10.bin: the first gets 500 (nothing sent yet),
    the second is cut off mid-body (its 200 is already out); every
    other file is served byte-exact in between, again and again."""
    _, _, files, img = site
    conf = tmp_path / "blkdebug.conf"
    rules = ""
    for path, block in (("/k64.bin", 0), ("/m10.bin", 512)):
        sector = first_block(img, path, block) * 8
        rules += ('[inject-error]\nevent = "read_aio"\nerrno = "5"\n'
                  'sector = "%d"\n\n' % sector)
    conf.write_text(rules)
    g = ns.guest(tmp_path, "%s %s" % (static_ip(), HOSTILE),
                 extra_args=web.disk_args("blkdebug:%s:%s" % (conf, img)))
    g.wait_for(r"http: listening on port 80", 60)
    g.wait_for(r"vnet: link up", 30)
    with ns.entered():
        pins = web.other_pins(settle(lambda st: st["http"]["active"] == 1))
        good = ["/k1.bin", "/m1.bin", "/odd.bin"]
        for _ in range(5):
            assert get("/k64.bin")[0] == 500
            for path in good:
                status, _, body = get(path)
                assert status == 200 and body == files[path], path
            with pytest.raises((OSError, http.client.HTTPException)):
                get("/m10.bin")
        st = back_to_idle(files, g, pins)
        assert st["http"]["status"]["500"] == 5
        assert st["http"]["aborted_mid_body"] >= 5
        assert st["fs"]["disk_errors"] >= 10
    assert re.search(r"vblk: read of sector \d+ failed", g.output())


@pytest.mark.parametrize("damage,message", [
    ("magic", r"ext2: bad magic 0x0000"),
    ("truncated", r"ext2: volume of \d+ blocks larger than the device"),
    ("group table", r"ext2: (group \d+: bitmaps|bad group size|inode count)"),
])
def test_damaged_image_reported_and_503_served(site, ns, tmp_path, damage,
                                               message):
    _, root, _, _ = site
    img = web.make_image(root, tmp_path / "bad.img")
    with open(img, "r+b") as f:
        if damage == "magic":
            f.seek(1024 + 56)  # s_magic
            f.write(b"\x00\x00")
        elif damage == "truncated":
            f.truncate(os.path.getsize(img) // 2)
        else:
            f.seek(4096 + 0)  # group 0 descriptor: block bitmap number
            f.write(struct.pack("<III", 0xFFFFFFF0, 0xFFFFFFF1, 0xFFFFFFF2))
    g = ns.guest(tmp_path, static_ip(), extra_args=web.disk_args(img))
    g.wait_for(message, 60)
    g.wait_for(r"fs: no volume: mount failed \(\w+\)", 30)
    g.wait_for(r"http: listening on port 80", 30)
    with ns.entered():
        for path in ("/", "/k1.bin", "/nothing"):
            assert get(path)[0] == 503
        assert stats()["http"]["status"]["503"] == 3
    assert g.proc.poll() is None and "PANIC" not in g.output()


# --- network faults --------------------------------------------------------


def test_loss_duplication_reordering_byte_exact(site, ns, tmp_path):
    """2% loss, 2% duplicates, 5% reordered in each direction. With
    sch_netem these go on the tap; without it (this project's CI kernel)
    faultnet.FrameRelay injects them between QEMU and the tap."""
    _, _, files, img = site
    relay = None
    net_args = None
    if not ns.netem("loss", "2%", "duplicate", "2%", "delay", "2ms",
                    "reorder", "95%", "50%"):
        print("no sch_netem: faults injected by faultnet.FrameRelay")
        with ns.entered():
            relay = faultnet.FrameRelay(ns.tap, loss=0.02, dup=0.02,
                                        reorder=0.05, seed=5).start()
        net_args = faultnet.netdev_args()
    try:
        # Loss backs lwIP's retransmission timer off to seconds: room
        # for that in the send-progress timeout.
        g = ns.guest(tmp_path, "%s idle_timeout_ms=120000" % static_ip(),
                     extra_args=web.disk_args(img), net_args=net_args)
        g.wait_for(r"http: listening on port 80", 60)
        with ns.entered():
            # lwIP retransmits one segment per timeout: a loss it cannot
            # repair by fast retransmit costs it a second or more, so
            # the files stay small enough for the test to stay quick.
            for path in ("/m1.bin", "/k64.bin", "/odd.bin", "/k1.bin"):
                status, _, body = get(path, timeout=120)
                assert status == 200 and body == files[path], path
            st = settle(lambda st: web.is_idle(st, 0), 30)
            assert st["http"]["active"] == 1 and st["conn"]["active"] == 1
    finally:
        if relay:
            relay.stop()
            counts = relay.counts()
            print("faults injected: %s" % counts)
    if relay:
        for d in counts.values():
            assert d["dropped"] and d["duplicated"] and d["reordered"]


# --- buffer pool exhaustion ------------------------------------------------


def slow_reader(path, want, errors, chunk=16384, pause=0.004,
                rcvbuf=32768):
    try:
        s = socket.create_connection((GUEST, 80), timeout=60)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n" % path.encode())
        out = bytearray()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            data = s.recv(chunk)
            if not data:
                break
            out += data
            time.sleep(pause)
        s.close()
        head, _, body = bytes(out).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200 ") or body != want:
            errors.append((path, head[:40], len(body)))
    except OSError as e:
        errors.append((path, repr(e)))


def test_pool_exhaustion_by_slow_readers_applies_backpressure(site, ns,
                                                              tmp_path):
    """-m 16M and a 2 MiB pool (512 pages, of which the memory plan gives
    the NIC a quarter, where it used to take half); 8 slow readers of
    10 MiB and 8 of 1 MiB, each reading 16 KiB every 8 ms and started
    0.3 s apart, pin more than that in unacknowledged windows. The server
    must wait for acknowledgements (nomem_waits) instead of failing or
    crashing, and every reader gets every byte."""
    _, _, files, img = site
    g = ns.guest(tmp_path, "%s pool_mb=2 idle_timeout_ms=60000" %
                 static_ip(), mem="16M", extra_args=web.disk_args(img))
    g.wait_for(r"http: listening on port 80", 60)
    with ns.entered():
        pins = web.other_pins(settle(lambda st: st["http"]["active"] == 1))
        errors = []
        paths = ["/m10.bin", "/m1.bin"] * 8
        threads = [threading.Thread(target=slow_reader,
                                    args=(p, files[p], errors, 16384, 0.008))
                   for p in paths]
        # Started apart, readers of one file hold different pages: the
        # windows add up instead of sharing the same cached pages.
        for t in threads:
            t.start()
            time.sleep(0.3)
        for t in threads:
            t.join(180)
        assert not errors
        st = back_to_idle(files, g, pins)
        print("pool: %d pages, pin_waits %d, nomem_waits %d, "
              "alloc_failures %d, evictions %d" % (
                  st["iobuf"]["pool_pages"], st["http"]["pin_waits"],
                  st["http"]["nomem_waits"], st["iobuf"]["alloc_failures"],
                  st["pcache"]["evictions"]))
        # The memory plan leaves the NIC a quarter of this pool (it used
        # to take half), so the pinned-page budget (pin_waits) is what
        # the readers meet first now; either wait is back-pressure.
        assert (st["http"]["pin_waits"] + st["http"]["nomem_waits"] +
                st["iobuf"]["alloc_failures"]) > 0
