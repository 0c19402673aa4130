# SPDX-License-Identifier: MIT
"""The mapping cache's shootdowns across CPUs (kernel/io/sfbuf_selftest.c):
readers on every AP map shared pool pages and check each page's pattern
while the boot CPU recycles the slots under them; no stale translation
may ever be read, and the shootdown counters must have moved. The
`stale` variant flushes locally only and must be caught."""
import re

import pytest

LINE = (r"sfbuf selftest: (\d+) CPUs, (\d+) slots, (\d+) pages: (\d+) checks, "
        r"(\d+) mismatches \(first \S+\), (\d+) recycled, (\d+) shootdowns, "
        r"(\d+) IPIs sent, (\d+) received, (\d+) avoided, (\d+) stale "
        r"flushes, (\d+) local invalidations.*: (passed|FAILED)")
KEYS = ("cpus", "slots", "pages", "checks", "mismatches", "recycled",
        "shootdowns", "sent", "received", "avoided", "stale_flushes",
        "local")


def run(boot, smp, mode):
    g = boot("sfbufselftest=%s sfbuf_slots=256 lockcheck=on" % mode,
             smp=smp)
    m = g.wait_for(LINE, 200)
    out = dict(zip(KEYS, (int(v) for v in m.groups()[:-1])))
    out["verdict"] = m.groups()[-1]
    return g, out


@pytest.mark.parametrize("smp", [2, 4])
def test_no_stale_mapping_read_under_recycling(boot, smp):
    g, r = run(boot, smp, "on")
    assert r["verdict"] == "passed", m_line(g)
    assert r["cpus"] == smp and r["slots"] == 256
    assert r["mismatches"] == 0
    readers = smp - 1
    assert r["checks"] >= readers * 2000 * 32
    # slots shared by readers were recycled under them: real IPIs, as
    # many received as sent, and every flush accounted for.
    assert r["recycled"] > 1000
    assert r["shootdowns"] > 0 and r["sent"] >= r["shootdowns"]
    assert r["received"] == r["sent"]
    assert r["local"] > 0
    assert "PANIC" not in g.output()
    assert not re.search(r"lock order violation|irq-unsafe lock",
                         g.output())
    print(m_line(g))


def m_line(g):
    return re.search(r"sfbuf selftest: .*", g.output()).group(0)


def test_local_only_flushes_are_caught(boot):
    g, r = run(boot, 2, "stale")
    assert r["verdict"] == "FAILED", r
    assert r["mismatches"] > 0
    assert r["shootdowns"] == 0
