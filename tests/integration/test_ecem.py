# SPDX-License-Identifier: MIT
"""ECEM in the running kernel: every `ecem=` mode serves byte-exact, with
a page cache smaller than the files (cold reads, evictions) and with
delay on the link, and the counters move as designed: with disk-to-
network splicing the body after the first window is appended from the
ACK path (or a disk completion), and the application is woken about
once per 10 MiB response; without it, once per window.
"""
import threading
import time

import pytest

import faultnet
from web import (fetch as get, fetch_concurrently, get as get_full, other_pins,
                 reset_mid_response, settle, site_image, start_clients,
                 stats)

WINDOW = 256 << 10  # send_window default (app/server.c)
BIG = 10 << 20


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_image(tmp_path_factory.mktemp("ecem"), {
        "k1.bin": 1024, "m1.bin": 1 << 20, "m10.bin": BIG,
        "odd.bin": 777777}, seed=3)


def one_big_response(files):
    """Counters moved by exactly one 10 MiB GET."""
    before = stats()
    assert get("/m10.bin") == (200, files["/m10.bin"])
    after = stats()
    return {k: after["http"][k] - before["http"][k]
            for k in ("app_wakeups", "responses_spliced",
                      "spliced_ack_bytes", "spliced_disk_bytes")}, after


@pytest.mark.parametrize("mode", ["off", "dns", "all"])
def test_modes_byte_exact_and_counters(guest, mode):
    start, files = guest
    g = start("ecem=%s" % mode)
    fetch_concurrently(files, ["/m10.bin", "/m1.bin", "/odd.bin",
                               "/k1.bin", "/m1.bin"])
    d, st = one_big_response(files)
    assert st["ecem"]["mode"] == mode
    assert st["ecem"]["pairs_live"] == 0
    if mode == "off":
        # One wake-up for the request, one per window after the first.
        assert d["app_wakeups"] >= BIG // WINDOW // 2
        assert d["responses_spliced"] == 0
        assert d["spliced_ack_bytes"] + d["spliced_disk_bytes"] == 0
    else:
        assert d["responses_spliced"] == 1
        assert d["app_wakeups"] <= 2
        spliced = d["spliced_ack_bytes"] + d["spliced_disk_bytes"]
        assert spliced == BIG - WINDOW
        assert d["spliced_ack_bytes"] > spliced // 2  # a hot file
        assert st["ecem"]["acks_spliced"] > 0
    assert "PANIC" not in g.output()


def test_dns_cold_small_cache_with_delay(ns, guest):
    """Pool of 4 MiB for 12 MiB of files: the splice keeps finding its
    pages uncached, starts the reads and is resumed by the disk.
    (readahead=0: 1 MiB readahead windows would have the pages in before
    the splice asks, and nothing would be resumed by the disk.)"""
    start, files = guest
    relay, net_args = None, None
    if not ns.netem("delay", "5ms"):
        # No sch_netem in this kernel: the frame relay delays instead.
        relay = faultnet.FrameRelay(ns.tap, delay_ms=5).start()
        net_args = faultnet.netdev_args()
    try:
        start("ecem=all pool_mb=4 idle_timeout_ms=120000 readahead=0",
              mem="64M", net_args=net_args)
        fetch_concurrently(files, ["/m10.bin", "/m1.bin", "/m10.bin",
                                   "/odd.bin"])
        d, st = one_big_response(files)
    finally:
        if relay:
            relay.stop()
    assert st["pcache"]["evictions"] > 0
    assert d["responses_spliced"] == 1
    assert d["app_wakeups"] <= 2
    assert d["spliced_disk_bytes"] > 0
    assert d["spliced_ack_bytes"] + d["spliced_disk_bytes"] == BIG - WINDOW
    assert st["ecem"]["pairs_live"] == 0
    assert st["iobuf"]["pinned_pages"] < st["iobuf"]["pool_pages"]


def test_dns_cold_splice_never_waits_in_loop(guest):
    """A cold 10 MiB file maps its blocks through single and double
    indirect blocks nobody has read yet; the splice runs in the main loop
    (the ACK path), which must hand those metadata reads off instead of
    spinning on the disk."""
    start, files = guest
    g = start("ecem=dns pool_mb=4", mem="64M")
    before = stats()
    assert get("/m10.bin") == (200, files["/m10.bin"])
    assert get("/odd.bin") == (200, files["/odd.bin"])
    st = stats()
    assert st["http"]["responses_spliced"] == 2
    assert st["fs"]["sync_reads_in_loop"] == 0
    # The indirect blocks were read, asynchronously: m10.bin has a single
    # indirect block, a double one and two under it; odd.bin one.
    assert st["fs"]["bmap_async_reads"] - before["fs"]["bmap_async_reads"] \
        == 5
    assert "PANIC" not in g.output()


def test_reset_during_spliced_response_leaks_nothing(guest):
    start, files = guest
    start("ecem=dns pool_mb=4", mem="64M")
    assert get("/k1.bin") == (200, files["/k1.bin"])
    pinned0 = other_pins(stats())
    reset_mid_response("/m10.bin", 20, first=50000, step=20000)
    st = settle(lambda st: st["ecem"]["pairs_live"] == 0 and
                st["conn"]["active"] == 1 and other_pins(st) == pinned0)
    assert st["ecem"]["pairs_live"] == 0
    assert st["conn"]["active"] == 1
    assert other_pins(st) == pinned0
    assert get("/m1.bin") == (200, files["/m1.bin"])


PAIR_STATES = ("pairs_rr", "pairs_rw", "pairs_wr", "pairs_ww")


def test_pair_state_gauges_move_under_load_and_rest_at_zero(ns, guest):
    """/_stats counts the pairs now in each state: under concurrent
    10 MiB downloads over a delayed link (a small cache, so some reads
    are cold) pairs are seen waiting, for the ACKs at least, and the
    states add up to the live pairs; at rest every gauge is 0."""
    start, files = guest
    relay, net_args = None, None
    if not ns.netem("delay", "5ms"):
        relay = faultnet.FrameRelay(ns.tap, delay_ms=5).start()
        net_args = faultnet.netdev_args()
    samples, errors = [], []
    try:
        start("ecem=all pool_mb=4", mem="64M", net_args=net_args)
        threads = start_clients(files, ["/m10.bin"] * 4, errors)
        while any(t.is_alive() for t in threads) and len(samples) < 400:
            samples.append(stats())
            time.sleep(0.05)
        for t in threads:
            t.join(120)
        rest = settle(lambda st: st["ecem"]["pairs_live"] == 0)
    finally:
        if relay:
            relay.stop()
    assert not errors, errors[:3]
    seen = {k: max(st["ecem"][k] for st in samples) for k in PAIR_STATES}
    print("most pairs seen in each state: %s (%d samples)" % (seen,
                                                               len(samples)))
    assert seen["pairs_rw"] > 0, seen
    for st in samples:
        if st["cpus"]["online"] == 1:  # one CPU: one consistent snapshot
            assert sum(st["ecem"][k] for k in PAIR_STATES) == \
                st["ecem"]["pairs_live"], st["ecem"]
    assert rest["ecem"]["pairs_live"] == 0
    assert all(rest["ecem"][k] == 0 for k in PAIR_STATES), rest["ecem"]


def test_prio_orders_the_splices_of_a_pass_by_urgency(guest):
    """prio=on: the splices the ACKs of one poll pass call for run from
    the pass's work list, most urgent connection first
    (`conn.splices_ordered`; the urgent one went ahead of less urgent
    ones: `prio.u0.ready_jumped`), not in the ACKs' arrival order. Four
    u=7 downloads and one u=0 download of 10 MiB at once, byte-exact,
    every body after the first window still spliced from ACKs."""
    start, files = guest
    start("ecem=dns prio=on")
    assert get("/m10.bin") == (200, files["/m10.bin"])  # hot in the cache
    before, errors = stats(), []

    def client(urgency):
        try:
            status, _, body = get_full("/m10.bin",
                                       headers={"Priority": urgency})
            if (status, body) != (200, files["/m10.bin"]):
                errors.append("%s: %d, %d bytes" % (urgency, status,
                                                     len(body)))
        except OSError as e:
            errors.append("%s: %r" % (urgency, e))
    threads = [threading.Thread(target=client, args=(u,))
               for u in ("u=7", "u=7", "u=0", "u=7", "u=7")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    after = stats()
    assert not errors, errors
    d = {k: after["http"][k] - before["http"][k]
         for k in ("responses_spliced", "spliced_ack_bytes")}
    ordered = after["conn"]["splices_ordered"] - \
        before["conn"]["splices_ordered"]
    jumped = after["prio"]["u0"]["ready_jumped"] - \
        before["prio"]["u0"]["ready_jumped"]
    print("splices run by urgency: %d, the urgent one ahead %d times, "
          "%d bytes spliced from ACKs" % (ordered, jumped,
                                          d["spliced_ack_bytes"]))
    assert d["responses_spliced"] == 5
    assert d["spliced_ack_bytes"] > 0
    assert ordered > 0
    assert jumped > 0


@pytest.mark.parametrize("mode", ["off", "ded", "all"])
def test_threads_model_byte_exact(guest, mode):
    """model=threads: a thread per connection reads each 64 KiB into its
    own buffer and writes it with blocking copies."""
    start, files = guest
    g = start("model=threads ecem=%s pool_mb=4" % mode, mem="64M")
    fetch_concurrently(files, ["/m10.bin", "/m1.bin", "/m10.bin",
                               "/odd.bin", "/k1.bin", "/m1.bin"])
    d, st = one_big_response(files)
    h = st["http"]
    assert h["thread_copied_bytes"] >= 2 * BIG + 2 * (1 << 20)
    assert st["conn"]["bytes_copied"] >= h["thread_copied_bytes"]
    assert h["thread_blocked_reads"] > 0  # the cache is smaller
    assert h["responses_spliced"] == 0
    assert st["kernel"]["context_switches"] > 0
    assert st["ecem"]["pairs_live"] == 0
    print("threads ecem=%s: %s %s" % (mode, h, st["ecem"]))
    if mode == "off":
        # The woken thread finds the send buffer full and blocks again.
        assert st["ecem"]["deferred"] == 0
        assert h["thread_blocked_writes"] > 0
    else:
        # Completions that found no send space waited for an ACK, and
        # the writes after them went through without blocking.
        assert st["ecem"]["deferred"] > 0
        assert st["ecem"]["deferred_delivered"] > 0
        assert h["thread_blocks_avoided"] > 0
    assert "PANIC" not in g.output()
