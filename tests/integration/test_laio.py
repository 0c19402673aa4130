# SPDX-License-Identifier: MIT
"""LAIO, accept strategies and the defensible loop in the running kernel.

A working set larger than the page cache keeps many uncached reads (and
opens of uncached directories) in flight as LAIO continuations while a
client of a cached small file keeps being answered; every laio= and
accept_limit= value serves byte-exact; floods of connections and of
unfinished heads hit their budgets (counted by reason) and the server
keeps serving.
"""
import socket
import time

import pytest

from web import (GUEST, fetch as get, other_pins, site_image,
                 settle, start_clients, stats)

TIMEOUT = 60

BIG = 4 << 20
N_BIG = 6
N_DIRS = 12
PER_DIR = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sizes = {"k1.bin": 1024}
    for i in range(N_BIG):
        sizes["big%d.bin" % i] = BIG
    for d in range(N_DIRS):
        for f in range(PER_DIR):
            sizes["d%d/f%d.txt" % (d, f)] = 100 + 37 * f
    return site_image(tmp_path_factory.mktemp("laio"), sizes, seed=9)


def test_cached_client_served_while_uncached_reads_block(guest):
    start, files = guest
    # 24 MiB of large files, each fetched four times at once, through a
    # 4 MiB pool: nearly every window of theirs misses the cache. The
    # readahead cap is bounded by the pool (32 pages here): uncapped, 24
    # streams' 1 MiB windows would fill it and new clients be reset.
    start("laio=on pool_mb=4 idle_timeout_ms=120000", mem="64M")
    assert get("/k1.bin") == (200, files["/k1.bin"])  # now cached
    errors = []
    bigs = ["/big%d.bin" % i for i in range(N_BIG)]
    threads = start_clients(files, bigs * 4, errors)
    latencies = []
    while any(t.is_alive() for t in threads) and len(latencies) < 40:
        t0 = time.monotonic()
        assert get("/k1.bin", timeout=30) == (200, files["/k1.bin"])
        latencies.append(time.monotonic() - t0)
    for t in threads:
        t.join(TIMEOUT * 2)
    assert not errors
    st = stats()
    print("k1 latencies while big reads ran: max %.3fs median %.3fs over %d"
          % (max(latencies), sorted(latencies)[len(latencies) // 2],
             len(latencies)))
    print("laio:", st["laio"])
    assert len(latencies) >= 3
    assert st["laio"]["blocked"] > 0 and st["laio"]["fast"] > 0
    assert st["laio"]["live"] == 0
    assert st["laio"]["completed"] == st["laio"]["blocked"]
    assert st["pcache"]["evictions"] > 0
    # Fills leave the pool's headroom to response heads: with -smp 2 and
    # two queues, fills on both CPUs once took every page and a cached
    # client's head found none (a reset).
    assert st["http"]["aborted_no_head"] == 0
    assert st["iobuf"]["free_pages"] > 0


def test_uncached_opens_become_continuations(guest):
    start, files = guest
    start("laio=on")
    paths = [p for p in files if p.startswith("/d")]
    errors = []
    for t in start_clients(files, paths, errors):
        t.join(TIMEOUT)
    assert not errors
    st = stats()
    assert st["http"]["opens_blocked"] > 0
    assert st["laio"]["live"] == 0


@pytest.mark.parametrize("cmdline", ["laio=on accept_limit=0",
                                     "laio=off accept_limit=1",
                                     "laio=on accept_limit=1",
                                     "laio=off accept_limit=8"])
def test_byte_exact_for_laio_and_accept_limit(guest, cmdline):
    start, files = guest
    g = start(cmdline + " pool_mb=8", mem="64M")
    paths = (["/big%d.bin" % i for i in range(3)] +
             ["/d%d/f%d.txt" % (d, d % PER_DIR) for d in range(N_DIRS)] +
             ["/k1.bin"] * 8)
    # All connections at once, so a pass sees several handshakes.
    errors = []
    for t in start_clients(files, paths, errors):
        t.join(TIMEOUT * 2)
    assert not errors
    st = stats()
    if "laio=off" in cmdline:
        assert st["laio"]["calls"] == 0 and st["laio"]["direct"] > 0
    if "accept_limit=1" in cmdline:
        assert st["conn"]["accept_deferred"] > 0
    if "accept_limit=0" in cmdline:
        assert st["conn"]["accept_deferred"] == 0
    assert "PANIC" not in g.output()


def test_connection_flood_over_conn_max(guest):
    start, files = guest
    start("conn_max=40 idle_timeout_ms=60000")
    held = []
    try:
        for _ in range(100):
            try:
                held.append(socket.create_connection((GUEST, 80),
                                                     timeout=TIMEOUT))
            except ConnectionResetError:
                pass  # refused while the handshake completed: fine
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if get("/k1.bin", timeout=10) == (200, files["/k1.bin"]):
                break
        except OSError:
            pass
        time.sleep(0.5)
    st = settle(lambda st: st["http"]["active"] == 1)
    assert st["http"]["refused_conn_max"] >= 55
    assert st["http"]["active"] == 1


def test_unfinished_heads_hit_the_header_budget(guest):
    start, files = guest
    start("header_budget_kb=64 header_timeout_ms=3000")
    base = other_pins(stats())
    slow = []
    try:
        for i in range(40):
            try:
                s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
                s.sendall(b"GET /k1.bin HTTP/1.1\r\nX-Pad: " + b"a" * 6000)
                slow.append(s)
            except ConnectionResetError:
                pass  # refused: the budget is spent
        time.sleep(1)
    finally:
        for s in slow:
            s.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            st = stats()
            if (st["http"]["active"] == 1 and
                    other_pins(st) == base) or \
                    time.monotonic() > deadline:
                break
        except OSError:
            pass
        time.sleep(0.5)
    h = st["http"]
    assert h["header_budget_waits"] + h["refused_budget"] > 0
    assert st["http"]["active"] == 1
    assert other_pins(st) == base
    assert get("/k1.bin") == (200, files["/k1.bin"])
