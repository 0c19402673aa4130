# SPDX-License-Identifier: MIT
"""Serving on every CPU: queue pair i, lwIP instance i and the pair's
MSI-X vectors on CPU i, whose main loop runs that instance's RX, TX,
lwIP timers and the HTTP server for the connections it accepted.

The guest boots under MTTCG (-smp N -accel tcg,thread=multi) with a
multiqueue tap (NetNS(queues=N): -netdev tap,queues=N,vhost=off,
-device virtio-net-pci,mq=on,vectors=2N+2) and net_queues= left at its
default (one instance per CPU). The tap steers each flow to a queue by
hash, so connections land on both CPUs; every response is checked
byte-exact, and /_stats' per-CPU section must show requests and frames
on each CPU, no queue interrupt taken on a CPU other than its pair's
(irqs_other_cpu), and no lock-order violation with lockcheck=on.
"""
import threading

import pytest

import web

SIZES = {"small.txt": 700, "page.html": 9000, "big.bin": 300000,
         "huge.bin": 2 << 20}
ROUNDS = 4
PER_ROUND = 16
KEEPALIVE_CONNS = 8
KEEPALIVE_REQUESTS = 6


@pytest.fixture
def site(tmp_path):
    return web.site_image(tmp_path, SIZES, seed=151)


def keepalive_clients(files, paths):
    """KEEPALIVE_CONNS connections at once, each GETting `paths` in
    turn, every body byte-exact."""
    errors, done = [], []
    threads = [threading.Thread(
        target=web.keepalive_fetch,
        args=(files, paths[i % len(paths):] + paths[:i % len(paths)],
              errors, done)) for i in range(KEEPALIVE_CONNS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(4 * web.TIMEOUT)
    assert not errors, errors
    assert len(done) == KEEPALIVE_CONNS * len(paths)


def load(files):
    """Short connections in rounds (the first from a cold page cache, so
    both CPUs wait for the disk), then keep-alive ones, all checked."""
    paths = sorted(files)
    for r in range(ROUNDS):
        web.fetch_concurrently(files, [paths[(r + i) % len(paths)]
                                       for i in range(PER_ROUND)])
    keepalive_clients(files, paths * (KEEPALIVE_REQUESTS // len(paths) + 1))


def cpus(st):
    c = st["cpus"]
    return [c[str(i)] for i in range(c["online"])]


def serve_on_cpus(mq_ns, site, tmp_path, n, extra=""):
    """Boot at -smp n with an n-queue tap, run the load, return the
    console output and /_stats."""
    files, img = site
    ns = mq_ns(n)
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "lockcheck=on " + extra,
                            smp=n)
        out = g.output()
        assert "%d queue pairs, one lwIP instance each" % n in out, out
        for i in range(n):
            assert "instance %d: queue pair %d on CPU %d" % (i, i, i) in out
        load(files)
        st = web.stats()
        return g.output(), st


def test_connections_served_on_both_cpus(mq_ns, site, tmp_path):
    out, st = serve_on_cpus(mq_ns, site, tmp_path, 2)
    per_cpu = cpus(st)
    assert len(per_cpu) == 2
    for i, c in enumerate(per_cpu):
        # each CPU polls its own instance, took connections, served
        # requests and moved frames on its own queue pair
        assert c["net_instances"] == 1, (i, c)
        assert c["requests"] > 0, (i, c)
        assert c["connections"] > 0, (i, c)
        assert c["rx_packets"] > 0 and c["tx_packets"] > 0, (i, c)
        assert c["loop_passes"] > 0, (i, c)
    assert sum(c["requests"] for c in per_cpu) == st["http"]["requests"]
    # a connection is accepted and served by one CPU: the HTTP server's
    # connections per CPU are the instance's accepted ones
    for c in per_cpu:
        assert c["connections"] == c["net_accepted"], per_cpu
    assert st["nic"]["irq_mode"] == "msix"
    assert st["nic"]["irqs"] > 0
    assert st["nic"]["irqs_other_cpu"] == 0, st["nic"]
    # no shared lock in steady state: refills take pages the pairs kept,
    # lwIP's headers blocks its instance kept
    assert st["nic"]["rx_pages_reused"] > 0, st["nic"]
    assert st["lwip_mem"]["cache_hits"] > 0, st["lwip_mem"]
    assert st["cpus"]["lock_violations"] == 0
    assert "lockcheck: " not in out
    # nothing shared per request: a CPU's opens of a file after its first
    # come from its own name cache, without the volume lock ...
    fs = st["fs"]
    assert fs["opens"] >= ROUNDS * PER_ROUND, fs
    assert fs["opens"] - fs["name_cache_hits"] <= 4 * len(SIZES), fs
    # ... and sealing a response header, whose page the other CPU used
    # for its own headers before, flushes only this CPU's TLB entry (a
    # shootdown per request before the sfbuf writer set)
    sf = st["sfbuf"]
    assert sf["seal_invalidations"] >= ROUNDS * PER_ROUND, sf
    assert sf["shootdown_ipis_sent"] * 4 < st["http"]["requests"], sf


def test_smoke_four_cpus_four_queues(mq_ns, site, tmp_path):
    out, st = serve_on_cpus(mq_ns, site, tmp_path, 4)
    per_cpu = cpus(st)
    assert len(per_cpu) == 4
    assert all(c["net_instances"] == 1 for c in per_cpu), per_cpu
    serving = [c for c in per_cpu if c["requests"] > 0]
    assert len(serving) >= 2, per_cpu
    assert sum(c["requests"] for c in per_cpu) == st["http"]["requests"]
    assert st["nic"]["irqs_other_cpu"] == 0, st["nic"]
    assert st["cpus"]["lock_violations"] == 0
    assert "lockcheck: " not in out


def test_one_cpu_runs_one_instance_by_default(mq_ns, site, tmp_path):
    """-smp 1 with a two-queue tap: net_queues= left at its default is
    one instance (one per CPU), on CPU 0, serving as before."""
    files, img = site
    ns = mq_ns(2)
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "lockcheck=on", smp=1)
        out = g.output()
        assert "1 queue pair, one lwIP instance each" in out
        assert "instance 0: queue pair 0 on CPU 0" in out
        web.fetch_concurrently(files, sorted(files) * 2)
        st = web.stats()
        c = cpus(st)
        assert len(c) == 1 and c[0]["net_instances"] == 1, c
        assert c[0]["requests"] == st["http"]["requests"] >= 2 * len(files)
        assert st["nic"]["irqs_other_cpu"] == 0
