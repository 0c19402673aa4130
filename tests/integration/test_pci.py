# SPDX-License-Identifier: MIT
"""PCI enumeration and the virtio modern transport probe at boot.

One guest with a virtio-net and a virtio-blk device, both modern-only
(disable-legacy=on, so they show as 1af4:1041 and 1af4:1042; QEMU's
default would be the transitional IDs 1000/1001).
"""
import re

READY = r"boot: ready"
VERSION_1 = 1 << 32
EVENT_IDX = 1 << 29


SECTOR0 = b"PETREL-SELFTEST"


def virtio_guest(boot, tmp_path, cmdline="log=info"):
    disk = tmp_path / "disk.raw"
    disk.write_bytes(SECTOR0 + b"\0" * (65536 - len(SECTOR0)))
    return boot(cmdline, extra_args=[
        "-netdev", "user,id=n0",
        "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,addr=02.0",
        "-drive", "if=none,id=d0,file=%s,format=raw,readonly=on" % disk,
        "-device", "virtio-blk-pci,drive=d0,disable-legacy=on,addr=03.0",
    ])


def test_pci_lists_virtio_devices_and_probes_them(boot, tmp_path):
    g = virtio_guest(boot, tmp_path)
    g.wait_for(READY)
    out = g.output()
    # Each function is listed once, with vendor:device and class.
    assert len(re.findall(r"pci: 0000:00:02\.0 ", out)) == 1, out
    assert re.search(r"pci: 0000:00:02\.0 1af4:1041 class 020000 msix", out)
    assert re.search(r"pci: 0000:00:03\.0 1af4:1042 class 010000 msix", out)
    assert re.search(r"pci: 0000:00:00\.0 8086:29c0 class 060000", out)
    m = re.search(r"pci: (\d+) functions", out)
    assert m and int(m.group(1)) == len(re.findall(r"pci: 0000:", out))

    # QEMU gives virtio-blk one request queue per vCPU (num-queues
    # defaults to -smp), so PETREL_SMP=2 sees two.
    for bdf, name, nq in (("02.0", "net", 3), ("03.0", "block", g.smp)):
        m = re.search(r"virtio: 0000:00:%s %s features (0x[0-9a-f]+) "
                      r"queues (\d+) \(queue 0 max (\d+)\)$"
                      % (re.escape(bdf), name), out, re.M)
        assert m, out
        features = int(m.group(1), 16)
        assert features & VERSION_1 and features & EVENT_IDX
        assert int(m.group(2)) == nq
        assert int(m.group(3)) > 0
    assert "probe failed" not in out


def test_no_virtio_devices(boot):
    g = boot("log=info")
    g.wait_for(READY)
    out = g.output()
    assert "virtio:" not in out
    assert re.search(r"pci: \d+ functions", out)
