# SPDX-License-Identifier: MIT
"""Multi-segment readahead from virtio-blk in the running kernel.

A cold download of a 10 MiB file is byte-exact and reaches the disk as
requests of many pages each (one segment per page, DMA straight into the
page cache), with a readahead window that grew to the `readahead=` cap;
with readahead=0 the same download is one page per request. A bad
readahead= value is named on the console and the default used. A small
pool under several concurrent streams shrinks windows on waste and still
serves every byte.
"""
import re

import pytest

from web import fetch, fetch_concurrently, site_image, stats

BIG = 10 << 20


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sizes = {"big.bin": BIG, "small.txt": 3000}
    for i in range(4):
        sizes["s%d.bin" % i] = 3 << 20
    return site_image(tmp_path_factory.mktemp("readahead"), sizes, seed=17)


def disk_figures(st):
    fs = st["fs"]
    return fs["disk_requests"], fs["disk_bytes"], fs["disk_segments_max"]


def test_cold_10mib_download_uses_multi_page_requests(guest):
    start, files = guest
    g = start("")
    req0, bytes0, _ = disk_figures(stats())
    assert fetch("/big.bin") == (200, files["/big.bin"])
    st = stats()
    req1, bytes1, seg_max = disk_figures(st)
    requests, nbytes = req1 - req0, bytes1 - bytes0
    pc = st["pcache"]
    print("cold 10 MiB: %d requests, %d bytes, %.0f bytes/request, "
          "%d segments max; windows %d, grows %d, window max %d pages"
          % (requests, nbytes, nbytes / requests, seg_max,
             pc["readahead_windows"], pc["readahead_grows"],
             pc["readahead_window_max"]))
    assert nbytes >= BIG
    # A page per request would be 2,560 requests: expect many pages each
    # (metadata reads for the indirect blocks are among them).
    assert nbytes / requests >= 64 << 10
    # A full window is 1 MiB; pool pages next to each other in memory
    # share a segment, so few segments can carry it.
    assert st["fs"]["disk_request_bytes_max"] >= 512 << 10
    assert 1 <= seg_max <= 128
    assert pc["readahead_grows"] >= 2
    assert pc["readahead_window_max"] == 256
    assert pc["readahead_issued"] >= BIG // 4096 - 1
    assert re.search(r"vblk: .* (\d+) segments/request", g.output())


def test_readahead_off_reads_page_by_page(guest):
    start, files = guest
    start("readahead=0")
    req0, _, _ = disk_figures(stats())
    assert fetch("/s0.bin") == (200, files["/s0.bin"])
    st = stats()
    req1, _, _ = disk_figures(st)
    pages = (3 << 20) // 4096
    assert req1 - req0 >= pages
    assert st["fs"]["disk_request_bytes_max"] <= 64 << 10  # metadata
    assert st["pcache"]["readahead_issued"] == 0
    assert st["pcache"]["readahead_windows"] == 0


def test_bad_readahead_value_named_and_default_used(guest):
    start, files = guest
    g = start("readahead=lots")
    g.wait_for(r"cmdline: bad value 'lots' for readahead=")
    assert fetch("/big.bin") == (200, files["/big.bin"])
    assert stats()["pcache"]["readahead_window_max"] == 256


def test_small_pool_concurrent_streams_stay_exact(guest):
    start, files = guest
    # 6 MiB of pool for four 3 MiB streams and the 10 MiB file, twice
    # over: their windows cannot all stay cached.
    g = start("pool_mb=6", mem="64M")
    # The cap is bounded by the pool: 1536 pages / 32.
    g.wait_for(r"readahead=256 pages clamped to 48: 1/32 of a 1536-page pool")
    paths = ["/s%d.bin" % i for i in range(4)] + ["/big.bin"]
    fetch_concurrently(files, paths * 2)
    assert fetch("/small.txt") == (200, files["/small.txt"])
    pc = stats()["pcache"]
    print("small pool: issued %d used %d wasted %d shrinks %d nomem %d"
          % (pc["readahead_issued"], pc["readahead_used"],
             pc["readahead_wasted"], pc["readahead_shrinks"], pc["nomem"]))
    assert pc["readahead_used"] > 0
    assert 0 < pc["readahead_window_max"] <= 48
