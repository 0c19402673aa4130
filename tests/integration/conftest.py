# SPDX-License-Identifier: MIT
"""pytest fixtures: `boot` starts a guest and guarantees it is stopped.

The harness modules (qemu, netns, web) live in tools/harness, shared
with the benchmarks and tools/soak.py; this puts them on the path of
every test module."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools", "harness"))
import netns  # noqa: E402
import web  # noqa: E402
from qemu import Guest, KERNEL  # noqa: E402


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


@pytest.fixture(scope="session")
def netns_ok():
    """Whether network namespaces work here; checked once per session."""
    return netns.available()


@pytest.fixture
def mq_ns(netns_ok):
    """make(queues) -> a namespace with a multiqueue tap; deleted after."""
    ok, why = netns_ok
    if not ok:
        pytest.skip("cannot create a network namespace: %s" % why)
    made = []

    def make(queues):
        n = netns.NetNS(queues=queues).create()
        made.append(n)
        return n
    yield make
    for n in made:
        n.destroy()


@pytest.fixture
def ns(netns_ok):
    """A fresh namespace with a tap (tools/harness/netns.py); its
    guests are stopped and the namespace deleted afterwards. Skips, with
    the reason, where namespaces cannot be created (no privilege)."""
    ok, why = netns_ok
    if not ok:
        pytest.skip("cannot create a network namespace (needs root or "
                    "CAP_NET_ADMIN): %s" % why)
    n = netns.NetNS().create()
    yield n
    n.destroy()


@pytest.fixture
def guest(ns, site, tmp_path):
    """(start, files) for a module that defines a `site` fixture (its
    files and image, web.site_image): start(cmdline, mem) boots a guest
    on that image in the test's namespace, where the test then runs."""
    files, img = site

    def start(cmdline, mem="256M", net_args=None, smp=None):
        return web.start_guest(ns, tmp_path, img, cmdline, mem, net_args,
                               smp=smp)
    with ns.entered():
        yield start, files
