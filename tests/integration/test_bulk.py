# SPDX-License-Identifier: MIT
"""Bulk responses over many keep-alive connections: no lost wake-ups.

16 clients fetch 256 KiB and 1 MiB files at once over keep-alive
connections, every body compared. That load runs out of lwIP's shared
TCP segment pool (MEMP_NUM_TCP_SEG is far below 16 send buffers) and
fills the driver's TX backlog, so sends are refused at both places.
Before the fix, a connection refused with nothing in flight waited for
its 1 s poll timer (net/conn.c), and those last in lwIP's PCB list were
refused TX room over and over until their RTO fired: responses stalled
for 0.75-3.5 s on a lossless link.

The assertions are on what the guest counted, not on time: every send
lwIP's memory stopped was rerun (none was found only by the poll timer,
none still waits), every connection the TX backlog refused was rerun
and none still waits, and on this lossless tap no retransmission timeout
fired and no segment was sent twice.
"""
import threading

import pytest

import web
from web import settle, site_image

CLIENTS = 16
ROUNDS = 2          # each client fetches every file this many times
TIMEOUT = 120       # seconds for one response; the whole run is bounded


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sizes = {"b%d.bin" % i: (256 << 10) + 4096 * i for i in range(4)}
    sizes.update({"m%d.bin" % i: (1 << 20) - 8192 * i for i in range(4)})
    return site_image(tmp_path_factory.mktemp("bulk"), sizes, seed=17)



def serve(files):
    """CLIENTS keep-alive connections, each fetching every file ROUNDS
    times starting at a different one; returns the guest's /_stats once
    nothing is queued any more."""
    paths = sorted(files) * ROUNDS
    errors, done = [], []
    threads = [threading.Thread(target=web.keepalive_fetch, args=(
        files, paths[i % len(files):] + paths[:i % len(files)], errors,
        done)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(len(paths) * TIMEOUT)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:5]
    assert len(done) == CLIENTS * len(paths)
    return settle(lambda st: st["conn"]["queued_bytes"] == 0 and
                  st["conn"]["active"] == 1, 30)


# model=threads writes through conn_write (copied, each writer asleep
# while lwIP refuses it): its wake-up is the same list's. With TSO, 64 KB
# segments keep lwIP's segment pool and the TX backlog far from full at
# this load (nothing is refused), so the rerun paths are driven as on a
# device without TSO.
@pytest.mark.parametrize("cmdline", ["tso=off", "tso=off model=threads"])
def test_refused_sends_are_rerun(guest, cmdline):
    start, files = guest
    g = start(cmdline)
    st = serve(files)
    conn, nic, tcp = st["conn"], st["nic"], st["net"]
    print("conn: %s\nnic: %s\nnet: %s" % (conn, nic, tcp))
    assert "PANIC" not in g.output()
    # The load reached the limits this test is about.
    assert tcp["tcp_seg_refused"] > 0 or nic["tx_refused"] > 0
    # lwIP's memory: no stopped send with nothing in flight had to wait
    # for the poll timer (before the fix: 6 in this test), each was
    # rerun by another's ACK, none waits now.
    assert conn["mem_wait_lost"] == 0
    assert conn["mem_waits"] == 0 or conn["mem_reruns"] > 0
    assert conn["mem_waiting"] == 0
    # The TX backlog: refused connections were rerun, none waits now.
    assert nic["tx_refused"] == 0 or nic["tx_reruns"] > 0
    assert nic["tx_room_waiting"] == 0
    # Nothing was lost on this tap: no timer had to resend anything.
    assert tcp["tcp_rto_expired"] == 0
    assert tcp["tcp_rexmit_segs"] == 0
    # Bytes per frame as /_stats reports it: full-MSS frames dominate.
    assert nic["tx_bytes_per_frame"] == nic["tx_bytes"] // nic["tx_packets"]
    assert nic["tx_bytes_per_frame"] > 1000
    assert web.stats()["http"]["status"]["200"] >= CLIENTS * ROUNDS * 8
