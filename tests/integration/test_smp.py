# SPDX-License-Identifier: MIT
"""Multiprocessor boot: application processors started from the MADT at
-smp 1, 2 and 4 under MTTCG on q35 and pc, the smp selftest (smp_call on
every CPU, each AP's LAPIC timer, a shootdown storm read back on every
CPU, concurrent shootdowns with exact per-CPU counters), the proof that
the storm check sees stale TLB entries when shootdowns are skipped, the
lock-order selftest, a bad smp= value, and the per-CPU /_stats section
of a serving guest."""
import pytest

import web

READY = r"boot: ready in \d+ us"
PASSED = r"smp selftest: on on %d CPUs: passed"


@pytest.mark.parametrize("machine", ["q35", "pc"])
@pytest.mark.parametrize("cpus", [1, 2, 4])
def test_all_cpus_online_and_selftest(boot, machine, cpus):
    g = boot("smpselftest=on", machine=machine, smp=cpus)
    for c in range(1, cpus):
        g.wait_for(r"smp: CPU %d online \(APIC id \d+\)" % c, 60)
    g.wait_for(r"smp: %d CPUs? online \(%d listed" % (cpus, cpus), 60)
    g.wait_for(r"smp selftest: calls: 100 x smp_call on %d CPUs, every "
               r"CPU ran each: yes" % cpus, 60)
    if cpus > 1:
        g.wait_for(r"timers: %d of %d APs took a LAPIC timer interrupt"
                   % (cpus - 1, cpus - 1), 60)
    g.wait_for(r"storm: 300 remaps shot down on %d CPUs, 0 stale reads, "
               r"each AP acknowledged 300" % cpus, 60)
    n = 50 * cpus * (cpus - 1)
    g.wait_for(r"concurrent: %d CPUs x 50 shootdowns to all: %d sent, "
               r"%d acknowledged" % (cpus, n, n), 120)
    g.wait_for(PASSED % cpus, 60)
    g.wait_for(READY, 60)
    assert "FAILED" not in g.output()
    assert "PANIC" not in g.output()


def test_storm_check_sees_stale_entries_without_shootdown(boot):
    """smpselftest=stale remaps with a local invlpg only: the other CPU
    must read the old frame, so the storm's check is one that can fail."""
    g = boot("smpselftest=stale", smp=2)
    m = g.wait_for(r"stale: 300 remaps without shootdown on 2 CPUs: "
                   r"(\d+) stale reads", 60)
    assert int(m.group(1)) > 0
    g.wait_for(r"smp selftest: stale on 2 CPUs: passed", 30)


@pytest.mark.parametrize("cpus", [1, 2])
def test_lock_order_selftest_reports_both_violations(boot, cpus):
    g = boot("lockselftest=on", smp=cpus)
    g.wait_for(r"lockcheck: lock order violation on CPU 0: taking "
               r"test.inner \(rank 60\) while holding test.outer "
               r"\(rank 110\)", 60)
    g.wait_for(r"lockcheck: irq-unsafe lock on CPU 0: test.irq \(rank "
               r"110\) is taken in an interrupt handler and with "
               r"interrupts enabled", 30)
    g.wait_for(r"locktest_ipi", 30)  # the backtrace names the handler
    g.wait_for(r"rank inversion reported: yes, irq-unsafe lock reported: "
               r"yes: passed", 30)
    g.wait_for(READY, 60)


def test_lockcheck_panic_mode_stops_on_violation(boot):
    g = boot("lockselftest=on lockcheck=panic", smp=2)
    g.wait_for(r"PANIC: lockcheck: violation on test.inner", 60)
    assert g.wait_exit(60) != 0


@pytest.mark.parametrize("bad", ["smp=0", "smp=65", "smp=two"])
def test_bad_smp_option_named_and_ignored(boot, bad):
    g = boot(bad, smp=2)
    g.wait_for(r"cmdline: bad value '%s' for smp=" % bad.split("=")[1], 30)
    g.wait_for(r"smp: 2 CPUs online \(2 listed, smp=64\)", 60)
    g.wait_for(READY, 60)


def test_smp_option_caps_the_cpus(boot):
    g = boot("smp=2", smp=4)
    g.wait_for(r"smp: 2 CPUs online \(4 listed, smp=2\)", 60)
    g.wait_for(READY, 60)
    assert "CPU 2 online" not in g.output()


def test_grub_iso_boots_two_cpus(boot):
    import os
    from qemu import ISO
    if not os.path.exists(ISO):
        pytest.skip("no ISO: run make iso")
    g = boot(iso=True, smp=2, machine="pc")
    g.wait_for(r"smp: 2 CPUs online", 60)
    g.wait_for(READY, 60)


SIZES = {"small.txt": 1000, "big.bin": 300000}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("smp"), SIZES)


def test_per_cpu_stats_while_serving(ns, site, tmp_path):
    """A guest at -smp 2 with lockcheck=on serves byte-exact; /_stats
    lists both CPUs online, each running its own main loop (the AP's
    mostly halted), the requests and connections served (all on CPU 0
    with one queue pair; PETREL_QUEUES=2 spreads them over both), and
    no lock-order violation."""
    files, img = site
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "lockcheck=on", smp=2)
        for _ in range(3):
            web.fetch_concurrently(files, sorted(files) * 4)
        st = web.stats()["cpus"]
        assert st["online"] == 2
        assert st["lock_violations"] == 0
        assert st["0"]["online"] == 1 and st["1"]["online"] == 1
        assert st["0"]["loop_passes"] > 0
        assert st["1"]["loop_passes"] > 0  # its own main loop
        assert st["1"]["idle_us"] > 0  # halted, counted while halting
        n = len(files) * 4 * 3
        assert st["0"]["requests"] + st["1"]["requests"] >= n
        assert st["0"]["connections"] > 0
        if ns.queues == 1:  # one queue pair: the network is CPU 0's
            assert st["1"]["requests"] == 0 and st["1"]["connections"] == 0
        assert web.stats()["http"]["requests"] == (
            st["0"]["requests"] + st["1"]["requests"] + 1)  # + this one
        assert st["0"]["idle_wakeups"] > 0
        assert st["0"]["apic_id"] != st["1"]["apic_id"]
        assert "lockcheck: " not in g.output()


def test_cpu_that_never_acknowledges_panics_with_its_name(boot):
    """smpselftest=deaf: CPU 1 spins with interrupts off; the shootdown
    to it must end in a panic naming it, with a backtrace, within the
    bounded wait (SMP_ACK_TIMEOUT_MS), not hang."""
    g = boot("smpselftest=deaf", smp=2)
    g.wait_for(r"PANIC: smp: CPU 1 \(APIC id \d+\) did not acknowledge "
               r"the shootdown IPI from CPU 0 .* within 2000 ms", 60)
    g.wait_for(r"#\d+\s+[0-9a-f]+ tlb_shootdown\+", 30)
    assert g.wait_exit(60) != 0
    assert "the shootdown returned" not in g.output()
