# SPDX-License-Identifier: MIT
"""Boot: banner, option handling, ready report, GRUB ISO."""
import os
import re
import subprocess

import pytest

from qemu import ISO, ROOT

READY = r"boot: ready in (\d+) us"


def test_banner_and_ready(boot):
    g = boot("log=info")
    g.wait_for(r"boot: petrel \d+\.\d+\.\d+")
    g.wait_for(READY)


def test_unknown_option_named_and_boot_continues(boot):
    g = boot("frobnicate=7 log=loud")
    g.wait_for(r"cmdline: unknown option 'frobnicate' ignored")
    g.wait_for(r"cmdline: bad value 'loud' for log= \(expected "
               r"err\|warn\|info\|debug\); using default 'info'")
    g.wait_for(READY)


def test_options_applied(boot):
    g = boot("log=debug")
    g.wait_for(r"config: .*log=debug")


@pytest.mark.skipif(not os.path.exists(ISO), reason="no ISO: run make iso")
def test_grub_iso_boots(boot):
    g = boot(iso=True)
    g.wait_for(r"boot: petrel \d+", 60)
    g.wait_for(READY, 60)


def test_make_debug_stops_at_kmain_with_symbols():
    """`make debug` boots under gdb: the breakpoint on kmain is hit with
    source lines, i.e. symbols and the 32->64-bit switch work in gdb."""
    out = subprocess.run(
        ["make", "-s", "debug", "GDB_ARGS=-batch -ex bt"], cwd=ROOT,
        capture_output=True, text=True, timeout=120).stdout
    assert re.search(r"#0\s+kmain \(magic=\d+, info_phys=\d+\) at "
                     r"kernel/kmain\.c:\d+", out), out
    assert "long_mode_entry" in out
