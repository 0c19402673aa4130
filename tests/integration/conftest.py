# SPDX-License-Identifier: MIT
"""pytest fixtures: `boot` starts a guest and guarantees it is stopped."""
import os

import pytest

from qemu import Guest, KERNEL


def pytest_sessionstart(session):
    if not os.path.exists(KERNEL):
        raise pytest.UsageError("%s missing: run `make` first" % KERNEL)


@pytest.fixture
def boot(tmp_path):
    guests = []

    def start(cmdline="", **kw):
        kw.setdefault("name", "guest%d" % len(guests))
        g = Guest(tmp_path, cmdline, **kw)
        guests.append(g)
        return g.start()

    yield start
    for g in guests:
        g.stop()
