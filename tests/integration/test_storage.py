# SPDX-License-Identifier: MIT
"""Storage end to end: virtio-blk, page cache and ext2 in the real kernel.

The kernel's fscheck=on option reads every file of the volume through the
page cache and prints its CRC-32; the tests compare that listing with the
files they put into the image, and check that bad images and disk errors
are reported while the kernel keeps running.
"""
import os
import random
import re
import subprocess
import zlib

import pytest

from web import disk_args, make_image
READY = r"boot: ready in \d+ us"
FILE_LINE = re.compile(r"fscheck: file ([0-9a-f]{8}) (\d+) (\S+)")


def make_site(root):
    rng = random.Random(1234)
    sizes = {"empty": 0, "one": 1, "a4095": 4095, "a4096": 4096,
             "a4097": 4097, "mid.bin": 200_000, "big.bin": 3 << 20}
    os.makedirs(os.path.join(root, "d1", "d2", "d3"))
    for name, size in sizes.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(rng.randbytes(size))
    with open(os.path.join(root, "d1", "d2", "d3", "deep.txt"), "w") as f:
        f.write("deep\n" * 1000)
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>hi</h1>\n")
    # A sparse file: holes must read as zeros.
    with open(os.path.join(root, "sparse.bin"), "wb") as f:
        f.seek(5 << 20)
        f.write(b"end")
    os.symlink("index.html", os.path.join(root, "link.html"))


def host_listing(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                data = f.read()
            rel = "/" + os.path.relpath(path, root)
            out[rel] = ("%08x" % zlib.crc32(data), len(data))
    return out


def guest_listing(output):
    return {m.group(3): (m.group(1), int(m.group(2)))
            for m in FILE_LINE.finditer(output)}


def image(tmp_path, site, block_size=4096, name="site.img"):
    return make_image(site, tmp_path / name, block_size)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    make_site(str(root))
    return root


@pytest.mark.parametrize("block_size", [1024, 4096])
def test_every_file_read_back_exactly(boot, tmp_path, site, block_size):
    img = image(tmp_path, site, block_size)
    g = boot("fscheck=on", extra_args=disk_args(img))
    g.wait_for(r"fscheck: done, 0 failed", 120)
    g.wait_for(READY)
    assert guest_listing(g.output()) == host_listing(str(site))
    out = g.output()
    assert re.search(r"fscheck: warm \d+ files", out)
    assert re.search(r"vblk: .* irq msix", out)


def test_unsupported_feature_refused_kernel_stays_up(boot, tmp_path, site):
    img = str(tmp_path / "ext4.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-O", "extent",
                    "-d", str(site), img, "16M"], check=True)
    g = boot("fscheck=on", extra_args=disk_args(img))
    g.wait_for(r"unsupported incompatible feature: extents?")
    g.wait_for(r"fs: no volume: mount failed \(EOPNOTSUPP\)")
    g.wait_for(READY)
    assert g.proc.poll() is None


def test_corrupt_image_reported_kernel_stays_up(boot, tmp_path, site):
    img = image(tmp_path, site)
    with open(img, "r+b") as f:
        f.seek(1024 + 56)  # s_magic
        f.write(b"\x00\x00")
    g = boot("fscheck=on", extra_args=disk_args(img))
    g.wait_for(r"fs: no volume: mount failed \(EINVAL\)")
    g.wait_for(r"fscheck: no volume mounted")
    g.wait_for(READY)
    assert g.proc.poll() is None


def first_block(img, path):
    out = subprocess.run(["debugfs", "-R", "bmap %s 0" % path, img],
                         check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1])


def test_injected_read_error_reported_others_served(boot, tmp_path, site):
    img = image(tmp_path, site)
    victim = first_block(img, "/mid.bin")
    conf = tmp_path / "blkdebug.conf"
    conf.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\n'
                    'sector = "%d"\n' % (victim * 8))
    g = boot("fscheck=on", extra_args=disk_args(
        "blkdebug:%s:%s" % (conf, img)))
    g.wait_for(r"fscheck: done, 1 failed", 120)
    g.wait_for(READY)
    out = g.output()
    assert re.search(r"vblk: read of sector \d+ failed: status 1", out)
    assert re.search(r"fscheck: error EIO /mid.bin", out)
    listing = guest_listing(out)
    expected = host_listing(str(site))
    del expected["/mid.bin"]
    assert listing == expected
