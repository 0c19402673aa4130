# SPDX-License-Identifier: MIT
"""A disk that stops answering: the waiting requests fail after
disk_timeout_ms (503, or the connection cut once a head went out), the
device is marked failed in /_stats, new requests that need the disk get
503 at once, cached files and /_stats are still served, and the kernel
does not panic.

The stall is a QEMU blkdebug breakpoint, set through the human monitor
(`qemu-io d0 "break read_aio TAG"`): it suspends the next read that
reaches the image until `resume TAG`, so that request stays outstanding
in the device for as long as the test wants (the reads after it are
answered: the driver must time out on the oldest request, not on a
device that is silent altogether).
"""
import http.client
import time

import pytest

import netns
from web import GUEST, disk_args, fetch as get, settle, site_image, stats

TIMEOUT_MS = 2000
SLACK_S = 10  # TCG on a busy host


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_image(tmp_path_factory.mktemp("stall"), {
        "small.txt": 3000, "big.bin": 8 << 20, "other.bin": 300000},
        seed=13)


def outcome(path, timeout):
    """GET on a fresh connection: the status, "cut" if the connection
    ended without a whole response, "no answer" after `timeout`."""
    c = http.client.HTTPConnection(GUEST, 80, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        if r.status == 200 and len(body) != int(r.getheader("Content-Length")):
            return "cut"
        return r.status
    except (http.client.HTTPException, ConnectionError):
        return "cut"
    except TimeoutError:
        return "no answer"
    finally:
        c.close()


@pytest.mark.parametrize("mode,head_first", [
    ("ecem=off", False), ("ecem=dns", False), ("ecem=off", True),
    ("ecem=dns", True)])
def test_stalled_disk_fails_requests_not_the_kernel(ns, site, tmp_path,
                                                    mode, head_first):
    """head_first: the first half of big.bin is cached, so the 200 and
    some of the body go out before the read that stalls; the connection
    is then cut instead of answered 503. (big.bin is 8 MiB so that
    readahead, at most two 1 MiB windows past the half, leaves most of
    the second half on the disk.)"""
    files, img = site
    conf = tmp_path / "blkdebug.conf"
    conf.write_text("")  # rules come later, through the monitor
    g = ns.guest(tmp_path, "ip=%s/24 gw=%s disk_timeout_ms=%d %s" % (
        GUEST, netns.HOST_ADDR, TIMEOUT_MS, mode), mem="128M",
        extra_args=disk_args("blkdebug:%s:%s" % (conf, img)), monitor=True)
    g.wait_for(r"http: listening on port 80", 60)
    g.wait_for(r"vnet: link up", 30)
    tags = ["stall"]
    try:
        with ns.entered():
            assert get("/small.txt") == (200, files["/small.txt"])
            if head_first:
                half = len(files["/big.bin"]) // 2
                assert get("/big.bin", headers={
                    "Range": "bytes=0-%d" % (half - 1)}) == (
                    206, files["/big.bin"][:half])
            st = stats()
            assert st["fs"]["disk_state"] == "ok"
            for tag in tags:
                out = g.hmp('qemu-io d0 "break read_aio %s"' % tag)
                assert "rror" not in out, out
            t0 = time.monotonic()
            first = outcome("/big.bin", TIMEOUT_MS / 1000 + SLACK_S)
            waited = time.monotonic() - t0
            assert first == ("cut" if head_first else 503)
            assert TIMEOUT_MS / 1000 * 0.9 <= waited
            assert waited < TIMEOUT_MS / 1000 + SLACK_S
            st = stats()
            assert st["fs"]["disk_state"] == "failed"
            assert st["fs"]["disk_timeouts"] >= 1
            # Cached: still served, byte-exact.
            assert get("/small.txt") == (200, files["/small.txt"])
            # Needs the disk: refused at once, no new wait.
            t0 = time.monotonic()
            assert outcome("/other.bin", SLACK_S) == 503
            refused_in = time.monotonic() - t0
            assert refused_in < 2
            st = stats()
            assert st["http"]["status"]["503"] >= 1
            # The device may still answer the requests it was given up
            # for: that must change nothing.
            for tag in tags:
                g.hmp('qemu-io d0 "resume %s"' % tag)
            st = settle(lambda st: st["fs"]["disk_late"] > 0)
            assert st["fs"]["disk_late"] > 0
            assert st["fs"]["disk_state"] == "failed"
            assert get("/small.txt") == (200, files["/small.txt"])
            print("%s: first answer %r after %.2fs, refused in %.3fs; fs %s"
                  % (mode, first, waited, refused_in,
                     {k: v for k, v in st["fs"].items()
                      if k.startswith(("disk", "pages"))}))
    finally:
        for tag in tags:
            try:
                g.hmp('qemu-io d0 "resume %s"' % tag, timeout=2)
            except OSError:
                pass
    out = g.output()
    assert "PANIC" not in out
    assert "disk failed" in out
