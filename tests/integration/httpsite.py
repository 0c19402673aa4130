# SPDX-License-Identifier: MIT
"""A generated site on a guest in the test's namespace, and plain HTTP
helpers against it: shared by the mechanism test modules.

make_site() writes files of random bytes and the ext2 image holding them;
start_guest() boots the kernel on that image with a static address in a
namespace (tests/integration/netns.py) and waits until it serves; get()
and stats() talk to 10.77.0.2 (the calling thread must be inside the
namespace: NetNS.entered()).
"""
import http.client
import json
import os
import random
import subprocess

import netns
from qemu import ROOT

MKIMAGE = os.path.join(ROOT, "tools", "mkimage.sh")
GUEST = netns.GUEST_ADDR
TIMEOUT = 60


def make_site(tmp, sizes, seed=7):
    """{path: bytes} for `sizes` ({name: size}) and the image's path."""
    root = tmp / "site"
    root.mkdir()
    rng = random.Random(seed)
    files = {}
    for name, size in sizes.items():
        files["/" + name] = rng.randbytes(size)
        (root / name).write_bytes(files["/" + name])
    img = str(tmp / "site.img")
    subprocess.run([MKIMAGE, str(root), img], check=True,
                   stdout=subprocess.DEVNULL)
    return files, img


def start_guest(ns, tmp_path, img, cmdline, mem="256M"):
    g = ns.guest(tmp_path, "ip=%s/24 gw=%s %s" % (
        GUEST, netns.HOST_ADDR, cmdline), mem=mem, extra_args=[
            "-drive", "if=none,id=d0,format=raw,readonly=on,file=" + img,
            "-device", "virtio-blk-pci,drive=d0,disable-legacy=on"])
    g.wait_for(r"http: listening on port 80", 60)
    g.wait_for(r"vnet: link up", 30)
    return g


def get(path, headers=None, timeout=TIMEOUT):
    c = http.client.HTTPConnection(GUEST, 80, timeout=timeout)
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def stats():
    return json.loads(get("/_stats")[1])


def pinned_outside_rx(st):
    """Pinned pool pages other than the RX ring's, which refills on its
    own schedule: the figure a leak check compares."""
    return st["iobuf"]["pinned_pages"] - st["iobuf"]["rx_ring_pages"]
