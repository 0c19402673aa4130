# SPDX-License-Identifier: MIT
"""Small machines: the memory plan (kernel/mm/memplan.h) sizes the pool,
the RX pages, the mapping window, lwIP's memory and conn_max from the RAM
found, so a 5 MiB guest serves (slowly) byte-exact; below the floor the
kernel says so in one line and exits with a failure status, without a
panic or a backtrace."""
import re
import threading

import pytest

import web
from qemu import EXIT_FAILURE
from web import GUEST, fetch

TIMEOUT = 120
SIZES = {"k1.bin": 1024, "k64.bin": 65536, "m1.bin": 1 << 20,
         "m4.bin": 4 << 20, "odd.bin": 12345}
PLAN = (r"boot: memory plan: (\d+) KiB free: pool (\d+) KiB .*RX (\d+) "
        r"pages \((\d+) posted\), lwIP (\d+) KiB, conn_max (\d+)")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("memory"), SIZES)


def test_5m_guest_serves_byte_exact(ns, site, tmp_path):
    files, img = site
    g = web.start_guest(ns, tmp_path, img, "", mem="5M")
    free, pool, rx, posted, lwip, conns = map(int, g.wait_for(PLAN).groups())
    print("-m 5M plan: %d KiB free, pool %d KiB, RX %d pages (%d posted), "
          "lwIP %d KiB, conn_max %d" % (free, pool, rx, posted, lwip, conns))
    assert pool < 2048 and posted < rx <= pool // 4
    with ns.entered():
        for path, data in files.items():
            assert fetch(path, timeout=TIMEOUT) == (200, data), path
        errors = []

        def client(path):
            try:
                if fetch(path, timeout=TIMEOUT) != (200, files[path]):
                    errors.append(path)
            except OSError as e:
                errors.append("%s: %r" % (path, e))
        paths = ["/m1.bin", "/k64.bin", "/m4.bin", "/odd.bin"] * 2
        threads = [threading.Thread(target=client, args=(p,)) for p in paths]
        for t in threads:
            t.start()
        for t in threads:
            t.join(2 * TIMEOUT)
        assert not errors
        st = web.stats()
        assert st["iobuf"]["pool_pages"] * 4 == pool
        mem = st["lwip_mem"]
        print("lwIP memory: limit %d, peak %d, refused %d" % (
            mem["limit"], mem["peak"], mem["refused"]))
        assert mem["limit"] >> 10 == lwip
        assert 0 < mem["peak"] <= mem["limit"]
    assert g.proc.poll() is None and "PANIC" not in g.output()


def test_5m_two_cpus_two_queues_runs_the_pairs_memory_pays_for(
        mq_ns, site, tmp_path):
    """Each queue pair beyond the first runs its own lwIP, whose pools
    come from free frames: at -m 5M there is room for one. The guest
    says so and serves, instead of failing to boot."""
    files, img = site
    ns = mq_ns(2)
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "", mem="5M", smp=2)
        out = g.output()
        assert re.search(r"vnet: 2 queue pairs need \d+ KiB for their "
                         r"stacks and a spare; \d+ KiB free: 1 pair\(s\)",
                         out), out
        assert "queue pairs 1 of 2" in out
        for path, data in files.items():
            assert fetch(path, timeout=TIMEOUT) == (200, data), path
        assert web.stats()["cpus"]["online"] == 2
    assert g.proc.poll() is None and "PANIC" not in g.output()


@pytest.mark.parametrize("mem", ["4M", "2M"])
def test_below_the_floor_says_so_and_fails(boot, mem):
    g = boot("", mem=mem)
    assert g.wait_exit(60) == EXIT_FAILURE
    out = g.output()
    lines = [ln for ln in out.splitlines() if "FATAL" in ln]
    assert len(lines) == 1, out
    assert re.search(r"FATAL: .*too little memory.*petrel needs 5 MiB of "
                     r"RAM or more", lines[0]), out
    assert "PANIC" not in out and "backtrace" not in out
