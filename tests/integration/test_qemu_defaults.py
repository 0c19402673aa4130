# SPDX-License-Identifier: MIT
"""QEMU's everyday virtio options: transitional IDs and INTx.

`-drive if=virtio` and `-nic tap,model=virtio-net-pci` (no disable-legacy,
no vectors) give transitional functions, 1af4:1001 and 1af4:1000, that
also offer the modern capabilities; QEMU 7.2's -nic NIC has no MSI-X, so
it interrupts through its INTx pin. A device with vectors=0 has no MSI-X
either. Each guest boots on -machine pc (i440FX: PIRQs steered to IOAPIC
pins 10/11) or q35, serves its site byte-exact, and reports each device's
interrupt mode in the boot log and /_stats; the interrupt counters must
keep moving under load, since a lost level-triggered interrupt leaves a
line that never fires again.
"""
import re

import pytest

import web

SIZES = {"k4.bin": 4096, "k300.bin": 300_000, "m1.bin": 1 << 20}
# Two sets of several-MiB files: the second load must reach the disk too
# (the first set is cached by then).
LOAD1 = {"a%d.bin" % i: (2 << 20) + 4097 * i for i in range(4)}
LOAD2 = {"b%d.bin" % i: (3 << 20) - 4093 * i for i in range(4)}
CLIENTS_PER_SET = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("defaults"),
                          {**SIZES, **LOAD1, **LOAD2})


@pytest.fixture
def start(ns, site, tmp_path):
    """start(machine, disk, net_args, cmdline) boots on the site and
    returns (guest, files) once it serves; the test runs in the
    namespace."""
    files, img = site

    def boot(machine, disk, net_args, cmdline=""):
        g = web.start_guest(ns, tmp_path, img, "log=info " + cmdline,
                            net_args=net_args, disk=disk(img),
                            machine=machine)
        return g, files
    with ns.entered():
        yield boot


def function_line(out, cls):
    """The boot log's PCI line of the virtio function of class `cls`."""
    m = re.search(r"pci: (\S+) 1af4:(10[0-7][0-9a-f]) class %s( msix)?$"
                  % cls, out, re.M)
    assert m, out
    return m.group(1), m.group(2), bool(m.group(3))


def irq_modes(g, msix_allowed=True):
    """{"nic": mode, "disk": mode} from the boot log, checked against
    whether PCI listed the function with MSI-X (and virtio_msix=)."""
    out = g.output()
    modes = {}
    for dev, cls, pattern in (
            ("nic", "020000", r"vnet: %s: irq (\w+)$"),
            ("disk", "010000", r"vblk: %s: .* irq (\w+)")):
        bdf, _, msix = function_line(out, cls)
        m = re.search(pattern % re.escape(bdf), out, re.M)
        assert m, out
        assert m.group(1) == ("msix" if msix and msix_allowed else "intx")
        modes[dev] = m.group(1)
    assert "probe failed" not in out and "no disk" not in out
    return modes


def check_stats_modes(g, modes, intx_lines):
    """/_stats agrees with the boot log on each device's mode and on the
    number of INTx lines in use, and no line was masked for a storm."""
    st = web.stats()
    assert st["nic"]["irq_mode"] == modes["nic"]
    assert st["fs"]["disk_irq_mode"] == modes["disk"]
    gsis = re.findall(r"irq: \w+: INTx line \d+, GSI (\d+)", g.output())
    assert len(set(gsis)) == intx_lines
    assert st["kernel"]["intx_lines"] == intx_lines
    assert st["kernel"]["intx_storm_masked"] == 0
    return st


def check_site(files):
    for path in ("/k4.bin", "/k300.bin", "/m1.bin"):
        assert web.fetch(path) == (200, files[path]), path


def load(files, names):
    """CLIENTS_PER_SET concurrent byte-exact downloads over `names`;
    returns how much the NIC and disk interrupt counters moved."""
    before = web.stats()
    paths = ["/" + n for n in names]
    web.fetch_concurrently(files, (paths * CLIENTS_PER_SET)[:CLIENTS_PER_SET])
    after = web.stats()
    return (after["nic"]["irqs"] - before["nic"]["irqs"],
            after["fs"]["disk_interrupts"] - before["fs"]["disk_interrupts"])


def plain_disk(img):
    return web.disk_args(img, device=None)


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_plain_qemu_devices_serve(start, ns, machine):
    g, files = start(machine, plain_disk, ns.plain_nic_args())
    out = g.output()
    # Both functions are transitional: the case the drivers once skipped.
    assert function_line(out, "010000")[1] == "1001", out
    assert function_line(out, "020000")[1] == "1000", out
    modes = irq_modes(g)
    check_site(files)
    # Each INTx device on a line of its own (slots 1-3 differ in PIRQ).
    st = check_stats_modes(g, modes, list(modes.values()).count("intx"))
    assert st["nic"]["irqs"] > 0 and st["fs"]["disk_interrupts"] > 0
    nic_irqs, disk_irqs = load(files, LOAD1)
    assert nic_irqs > 0 and disk_irqs > 0
    st = web.stats()
    assert st["fs"]["disk_errors"] == 0
    assert st["kernel"]["intx_storm_masked"] == 0


# How INTx is forced: no MSI-X on the functions (QEMU vectors=0), or
# MSI-X present but left off by the kernel (boot option virtio_msix=off).
FORCED = [("q35", "vectors=0", ""), ("pc", "vectors=0", ""),
          ("q35", "", "virtio_msix=off")]


@pytest.mark.parametrize("machine,device_opt,cmdline", FORCED)
def test_forced_intx_shared_line_under_load(start, ns, machine, device_opt,
                                            cmdline):
    # addr 04.0 and 08.0 share INTA's line on both machines (SeaBIOS
    # swizzle), so one level-triggered line serves two devices.
    opt = "," + device_opt if device_opt else ""
    net = ["-netdev", ns.tap_netdev(),
           "-device", "virtio-net-pci,netdev=n0,addr=08.0" + opt]

    def disk(img):
        return web.disk_args(img, device="virtio-blk-pci,drive=d0,addr=04.0"
                             + opt)
    g, files = start(machine, disk, net, cmdline)
    assert irq_modes(g, msix_allowed=not cmdline) == {"nic": "intx",
                                                      "disk": "intx"}
    out = g.output()
    vnet = re.search(r"irq: vnet: INTx line (\d+), GSI (\d+), level, "
                     r"active-\w+, vector (\d+) \(shared\)$", out, re.M)
    vblk = re.search(r"irq: vblk: INTx line (\d+), GSI (\d+), level, "
                     r"active-\w+, vector (\d+)$", out, re.M)
    assert vnet and vblk, out
    assert vnet.groups() == vblk.groups()
    assert int(vnet.group(1)) in (10, 11)  # the PIRQ lines SeaBIOS uses
    check_site(files)
    check_stats_modes(g, {"nic": "intx", "disk": "intx"}, 1)
    # Interrupts still arrive after the first load: none was lost.
    for names in (LOAD1, LOAD2):
        nic_irqs, disk_irqs = load(files, names)
        assert nic_irqs > 0 and disk_irqs > 0, (names, nic_irqs, disk_irqs)
    assert web.stats()["kernel"]["intx_storm_masked"] == 0


def test_legacy_only_function_named_and_refused(boot, tmp_path):
    # disable-modern=on: a transitional ID without the modern
    # capabilities, which this kernel does not drive; it says so and the
    # boot goes on without a disk.
    disk = tmp_path / "disk.raw"
    disk.write_bytes(b"\0" * 65536)
    g = boot("log=info", machine="pc", extra_args=[
        "-drive", "if=none,id=d0,format=raw,readonly=on,file=%s" % disk,
        "-device", "virtio-blk-pci,drive=d0,disable-modern=on,addr=04.0"])
    g.wait_for(r"boot: ready in \d+ us")
    out = g.output()
    assert re.search(r"pci: 0000:00:04\.0 1af4:1001 class 010000", out)
    assert re.search(r"vblk: 0000:00:04\.0: cannot drive the device: "
                     r"ENODEV", out), out
    assert "no usable virtio 1.x capabilities" in out
