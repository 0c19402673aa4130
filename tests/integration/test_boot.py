# SPDX-License-Identifier: MIT
"""Boot: banner, option handling, ready report, GRUB ISO."""
import os

import pytest

from qemu import ISO

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
