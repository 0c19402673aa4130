# SPDX-License-Identifier: MIT
"""model=threads sendfile (issue 19): every `thread_send` x `ecem`
combination serves 1 and 10 MiB files byte-exact to 16 connections at
once, cold (every page from the disk) and warm (no disk read at all),
with one guest boot per combination; the counters show which server
ran: the copying threads copy, the sendfile threads queue page
references and sleep per send buffer (no DNS) or once per range (DNS,
the rest appended by the ACK path and the disk completions). Also: the
same under loss, duplication and reordering, and a reset in the middle
of a sendfile frees everything.
"""
import socket

import pytest

import faultnet
from web import (GUEST, fetch as get, fetch_concurrently, other_pins,
                 read_responses, reset_mid_response, settle, site_image,
                 stats)

MIB = 1 << 20
BIG = 10 * MIB
SNDBUF = 256 << 10  # sendfile_sndbuf default (app/body_thread.c)
# 16 connections at once: two 10 MiB and fourteen 1 MiB downloads.
LOAD = ["/m10a.bin", "/m10b.bin"] + ["/m1_%d.bin" % (i % 7)
                                     for i in range(14)]
LOAD_BYTES = 2 * BIG + 14 * MIB
COMBOS = [(send, ecem) for send in ("copy", "sendfile")
          for ecem in ("off", "ded", "dns", "all")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sizes = {"m10a.bin": BIG, "m10b.bin": BIG, "k1.bin": 1024,
             "odd.bin": 777777}
    sizes.update({"m1_%d.bin" % i: MIB for i in range(7)})
    return site_image(tmp_path_factory.mktemp("sendfile"), sizes, seed=19)


def delta(before, after, sect, *fields):
    return {f: after[sect][f] - before[sect][f] for f in fields}


HTTP_FIELDS = ("body_bytes", "thread_copied_bytes", "sendfile_calls",
               "sendfile_bytes", "sendfile_blocks_net",
               "sendfile_blocks_disk", "sendfile_blocks_dns",
               "sendfile_spliced_ack_bytes", "sendfile_spliced_disk_bytes",
               "thread_wakeups", "thread_blocks", "responses_spliced")


def load_round(files):
    """The 16 downloads at once; the counters they moved."""
    before = stats()
    fetch_concurrently(files, LOAD)
    after = stats()
    d = delta(before, after, "http", *HTTP_FIELDS)
    d.update(delta(before, after, "fs", "disk_bytes"))
    d.update(delta(before, after, "conn", "bytes_copied"))
    return d, after


def check_round(send, ecem, d):
    # The /_stats answers are not bodies of files: at least LOAD_BYTES.
    assert d["body_bytes"] >= LOAD_BYTES
    if send == "copy":
        assert d["thread_copied_bytes"] == LOAD_BYTES
        assert d["sendfile_calls"] == 0 and d["sendfile_bytes"] == 0
        return
    assert d["sendfile_calls"] == len(LOAD)
    assert d["sendfile_bytes"] == LOAD_BYTES
    assert d["thread_copied_bytes"] == 0
    assert d["bytes_copied"] == 0  # zero copy all the way
    spliced = d["sendfile_spliced_ack_bytes"] + d["sendfile_spliced_disk_bytes"]
    if ecem in ("dns", "all"):
        assert d["responses_spliced"] == len(LOAD)
        assert d["sendfile_blocks_net"] == d["sendfile_blocks_disk"] == 0
        assert d["sendfile_blocks_dns"] <= len(LOAD)
        # Each thread queued at most a send buffer itself.
        assert spliced >= LOAD_BYTES - len(LOAD) * SNDBUF
    else:
        assert d["responses_spliced"] == 0 and spliced == 0
        assert d["sendfile_blocks_dns"] == 0
        assert d["sendfile_blocks_net"] >= 2 * (BIG // SNDBUF)


def one_big(files):
    """Counters moved by one warm 10 MiB sendfile."""
    before = stats()
    assert get("/m10a.bin") == (200, files["/m10a.bin"])
    after = stats()
    return delta(before, after, "http", *HTTP_FIELDS), after


@pytest.mark.parametrize("send,ecem", COMBOS,
                         ids=["%s-%s" % c for c in COMBOS])
def test_combination_cold_and_warm(guest, send, ecem):
    start, files = guest
    g = start("model=threads thread_send=%s ecem=%s idle_timeout_ms=120000"
              % (send, ecem))
    cold, st = load_round(files)
    assert st["http"]["thread_send"] == send
    assert st["ecem"]["mode"] == ecem
    assert cold["disk_bytes"] >= LOAD_BYTES - 7 * MIB  # 1 MiB files shared
    check_round(send, ecem, cold)
    if send == "sendfile" and ecem in ("dns", "all"):
        # The disk completions resumed splices that found pages uncached.
        assert cold["sendfile_spliced_disk_bytes"] > 0
    warm, st = load_round(files)
    assert warm["disk_bytes"] == 0
    check_round(send, ecem, warm)
    if send == "sendfile":
        d, st = one_big(files)
        if ecem in ("dns", "all"):
            # Slept once, woken once, for the whole range.
            assert d["sendfile_blocks_dns"] == 1
            assert d["thread_wakeups"] == 1
            assert d["sendfile_spliced_ack_bytes"] >= BIG - SNDBUF
        else:
            # Woken once per send buffer drained to the low-water mark.
            assert d["thread_wakeups"] >= BIG // SNDBUF
            assert d["sendfile_blocks_net"] >= BIG // SNDBUF
    st = settle(lambda st: st["ecem"]["pairs_live"] == 0 and
                st["conn"]["queued_bytes"] == 0)
    assert st["ecem"]["pairs_live"] == 0
    assert other_pins(st) >= 0
    assert "PANIC" not in g.output()


LOSSY = [("sendfile", "off"), ("sendfile", "dns"), ("sendfile", "all"),
         ("copy", "ded")]


@pytest.mark.parametrize("send,ecem", LOSSY,
                         ids=["%s-%s" % c for c in LOSSY])
def test_byte_exact_under_loss(ns, guest, send, ecem):
    """1% loss, 1% duplicates, 3% reordered each way (faultnet's relay
    when the kernel has no sch_netem): retransmissions need the pages
    sendfile queued by reference, and the splice must go on after them."""
    start, files = guest
    relay, net_args = None, None
    if not ns.netem("loss", "1%", "duplicate", "1%", "delay", "1ms",
                    "reorder", "97%", "50%"):
        relay = faultnet.FrameRelay(ns.tap, loss=0.01, dup=0.01,
                                    reorder=0.03, seed=19).start()
        net_args = faultnet.netdev_args()
    try:
        g = start("model=threads thread_send=%s ecem=%s "
                  "idle_timeout_ms=120000" % (send, ecem), net_args=net_args)
        d, st = load_round(files)
    finally:
        if relay:
            relay.stop()
    if relay:
        counts = relay.counts()
        assert sum(c["dropped"] for c in counts.values()) > 0, counts
    check_round(send, ecem, d)
    assert "PANIC" not in g.output()


def no_conn_threads(st):
    """Only LAIO's spare stacks are left: every connection's thread is
    gone."""
    return st["kernel"]["threads_live"] == st["laio"]["workers"]


@pytest.mark.parametrize("ecem", ["off", "dns"])
def test_reset_mid_sendfile_frees_everything(guest, ecem):
    """Clients that reset in the middle of a 10 MiB sendfile (some while
    a splice waits for the disk: the pool is smaller than the file):
    the pages, the ECEM pairs and the connection threads all go."""
    start, files = guest
    start("model=threads thread_send=sendfile ecem=%s pool_mb=4" % ecem,
          mem="64M")
    assert get("/k1.bin") == (200, files["/k1.bin"])
    idle = settle(lambda st: st["conn"]["active"] == 1)
    pinned0 = other_pins(idle)
    reset_mid_response("/m10a.bin", 12, first=50000, step=40000)
    st = settle(lambda st: st["ecem"]["pairs_live"] == 0 and
                st["conn"]["active"] == 1 and other_pins(st) == pinned0 and
                no_conn_threads(st))
    # A client may reset on the head alone, before its thread ran.
    assert st["http"]["sendfile_calls"] >= 4
    if ecem == "dns":
        assert st["http"]["sendfile_blocks_dns"] >= 4
    else:
        assert st["http"]["sendfile_blocks_net"] + \
            st["http"]["sendfile_blocks_disk"] >= 4
    assert st["ecem"]["pairs_live"] == 0
    assert st["conn"]["active"] == 1 and st["http"]["active"] == 1
    assert st["conn"]["queued_bytes"] == 0
    assert other_pins(st) == pinned0
    assert no_conn_threads(st), st["kernel"]
    assert get("/m10b.bin") == (200, files["/m10b.bin"])


def test_bad_thread_send_named_and_default_kept(guest):
    start, files = guest
    g = start("model=threads thread_send=zerocopy")
    assert get("/m1_0.bin") == (200, files["/m1_0.bin"])
    st = stats()
    assert st["http"]["thread_send"] == "copy"
    assert st["http"]["thread_copied_bytes"] == MIB
    assert "bad value 'zerocopy' for thread_send=" in g.output()


def test_no_memory_for_a_thread_is_a_503(guest):
    """Each keep-alive connection keeps its body thread (stack and 64 KiB
    buffer) for its next request, so enough idle connections leave no
    heap for a new one: that request is answered 503 and counted, not
    reset, and once the connections go the server has memory again.
    Threads leave the heap a reserve, so with every thread held the next
    connection is a 503 as well and /_stats is still answered: without
    it the last thread could take the last pages (at -smp 2 with two
    queues at 48 MiB it did) and the next connection was reset."""
    start, files = guest
    start("model=threads idle_timeout_ms=120000 conn_max=2000", mem="48M")
    held, statuses = [], []
    try:
        for _ in range(1500):
            s = socket.create_connection((GUEST, 80), timeout=10)
            held.append(s)
            s.sendall(b"GET /k1.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            (head, body), = read_responses(s, 1)
            status = int(head.split()[1])
            statuses.append(status)
            if status == 503:
                break
            assert (status, body) == (200, files["/k1.bin"])
        assert statuses[-1] == 503, "heap never ran out: %d" % len(held)
        # Every thread still held: more new connections (on any CPU)
        # get their 503 too, and /_stats fits in what is left.
        for _ in range(4):
            assert get("/k1.bin")[0] == 503
        full = stats()
        assert full["http"]["active"] >= len(held) - 1
    finally:
        for s in held:
            s.close()
    print("503 after %d connections" % len(held))
    assert full["http"]["thread_setup_failed"] == 5
    st = settle(lambda st: st["http"]["active"] <= 1)
    assert st["http"]["thread_setup_failed"] == statuses.count(503) + 4 == 5
    assert get("/k1.bin") == (200, files["/k1.bin"])
