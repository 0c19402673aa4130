# SPDX-License-Identifier: MIT
"""Mergeable RX buffers (VIRTIO_NET_F_MRG_RXBUF) in the running kernel.

By default the driver negotiates MRG_RXBUF and posts 2 KiB buffers, two
to a pool page, so a small frame pins half a page; with rx_buf=512 a
full-size frame spans three or four buffers that go up to lwIP as one
pbuf chain. Either way requests near the header limit, pipelined
requests and a request body that must be skipped to the byte arrive
exact; a device without the features (QEMU mrg_rxbuf=off,host_tso4=off)
still gets one page per frame and serves exact; a bad rx_buf= value is
named and the default used.
"""
import socket

import pytest

from web import (GUEST, fetch, read_responses, site_image, start_guest,
                 stats)

HEADERS_MAX = 16384  # app/http_param.h


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sizes = {"k3.txt": 3000, "m1.bin": 1 << 20}
    for i in range(12):
        sizes["p%d.txt" % i] = 500 + 997 * i
    return site_image(tmp_path_factory.mktemp("rxbuf"), sizes, seed=23)


def request(path, extra=b""):
    return b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), extra)


def exchange(data, n):
    s = socket.create_connection((GUEST, 80), timeout=60)
    try:
        s.sendall(data)
        return read_responses(s, n)
    finally:
        s.close()


def check_requests_exact(files):
    """Large heads, pipelined requests and a skipped body, all exact."""
    # A header section just under the limit (a filler field of ~16 KB:
    # many full-size frames), then one just over it.
    fill = b"X-Fill: " + b"a" * (HEADERS_MAX - 200) + b"\r\n"
    [(head, body)] = exchange(request("/k3.txt", fill), 1)
    assert head.startswith(b"HTTP/1.1 200") and body == files["/k3.txt"]
    over = b"X-Fill: " + b"a" * HEADERS_MAX + b"\r\n"
    [(head, _)] = exchange(request("/k3.txt", over), 1)
    assert head.startswith(b"HTTP/1.1 431")
    # Twelve pipelined requests in one burst.
    paths = ["/p%d.txt" % i for i in range(12)]
    got = exchange(b"".join(request(p) for p in paths), len(paths))
    for p, (head, body) in zip(paths, got):
        assert head.startswith(b"HTTP/1.1 200") and body == files[p], p
    # A 300 KB body the server reads and drops: the request after it is
    # only found if every byte of the body was counted.
    body = bytes(range(256)) * 1200
    first = request("/k3.txt", b"Content-Length: %d\r\n" % len(body)) + body
    got = exchange(first + request("/p3.txt"), 2)
    assert got[1][0].startswith(b"HTTP/1.1 200")
    assert got[1][1] == files["/p3.txt"]
    assert fetch("/m1.bin") == (200, files["/m1.bin"])


def test_mergeable_2k_buffers_by_default(guest):
    start, files = guest
    g = start("")
    g.wait_for(r"mrg-rxbuf on, 2048-byte rx buffers")
    check_requests_exact(files)
    st = stats()
    nic = st["nic"]
    print("default: merged %d, buffers posted %d held %d in %d pages"
          % (nic["rx_merged"], nic["rx_posted"], nic["rx_held"],
             nic["rx_pool_pages"]))
    # Two buffers a page: the posted ring takes half the pages it did
    # (besides the pages kept, bufferless, for the next refills); each
    # queue pair may have half of one page unused (PETREL_QUEUES=2).
    bufs = nic["rx_posted"] + nic["rx_held"]
    pairs = st["net_instances"]["count"]
    assert bufs <= 2 * (nic["rx_pool_pages"] - nic["rx_stashed"]) \
        <= bufs + 2 * pairs


def test_small_buffers_merge_frames(guest):
    start, files = guest
    g = start("rx_buf=512")
    g.wait_for(r"mrg-rxbuf on, 512-byte rx buffers")
    check_requests_exact(files)
    nic = stats()["nic"]
    print("rx_buf=512: merged %d frames, %d buffers, at most %d a frame"
          % (nic["rx_merged"], nic["rx_merged_bufs"],
             nic["rx_bufs_per_frame_max"]))
    # The 16 KB heads and the body came in full-size frames: 1,526
    # bytes with the header, three 512-byte buffers each (a shorter
    # last frame of a burst may take two).
    assert nic["rx_merged"] >= 100
    assert nic["rx_bufs_per_frame_max"] in (3, 4)
    assert nic["rx_merged_bufs"] >= 2 * nic["rx_merged"]


def test_device_without_mergeable_buffers(ns, site, tmp_path):
    files, img = site
    net = ["-netdev", ns.tap_netdev(),
           "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,"
           "mrg_rxbuf=off,host_tso4=off" + ns.mq_device_opts()]
    g = start_guest(ns, tmp_path, img, "", net_args=net)
    g.wait_for(r"mrg-rxbuf off, 4096-byte rx buffers")
    with ns.entered():
        check_requests_exact(files)
        nic = stats()["nic"]
    assert nic["rx_merged"] == 0
    assert (nic["rx_pool_pages"] - nic["rx_stashed"]
            == nic["rx_posted"] + nic["rx_held"])


def test_bad_rx_buf_named_and_default_used(guest):
    start, files = guest
    g = start("rx_buf=3000")
    g.wait_for(r"rx_buf=3000 is not a power of two; using 2048")
    g.wait_for(r"mrg-rxbuf on, 2048-byte rx buffers")
    assert fetch("/k3.txt") == (200, files["/k3.txt"])
