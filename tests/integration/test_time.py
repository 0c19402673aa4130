# SPDX-License-Identifier: MIT
"""Time, timers, threads and the main loop: selftest=timers (see
kernel/sched/timer_selftest.c). Timing upper bounds are generous sanity bounds
only: TCG is noisy."""
import re

from qemu import EXIT_SUCCESS

ROUNDS_SWITCHES = 4  # ping-pong: 4 stack switches per round trip


def test_timers_threads_mainloop(boot):
    g = boot("selftest=timers")
    g.wait_for(r"selftest: timers: done", 60)
    assert g.wait_exit(30) == EXIT_SUCCESS
    out = g.output()

    hz = int(re.search(r"tsc_hz (\d+)", out).group(1))
    assert hz > 100_000_000
    assert re.search(r"time: TSC [\d.]+ MHz \(PIT calibrated: yes\)", out)

    fired = re.findall(r"timer (\d+) ms fired at (\d+) us, order (\d+)", out)
    assert len(fired) == 3
    assert [int(ms) for ms, _, _ in fired] == [10, 20, 50]
    assert [int(o) for _, _, o in fired] == [0, 1, 2]
    for ms, us, _ in fired:
        assert int(us) >= int(ms) * 1000, "fired before its deadline"
        assert int(us) < 10_000_000

    slept = re.search(r"slept (\d+) ms: (\d+) us", out)
    assert int(slept.group(2)) >= int(slept.group(1)) * 1000
    assert int(slept.group(2)) < 10_000_000

    m = re.search(r"switches (\d+) \(rounds (\d+)\), threads live (\d+), "
                  r"halts (\d+), timer irqs (\d+)", out)
    switches, rounds, live, halts, irqs = map(int, m.groups())
    assert switches >= ROUNDS_SWITCHES * rounds
    assert live == 0  # all three threads exited and were reaped
    # The CPU slept between the timers and the LAPIC timer woke it.
    assert halts >= 1 and irqs >= 1


def test_acpi_and_boot_time(boot):
    g = boot("log=info")
    m = g.wait_for(r"boot: ready in (\d+) us", 60)
    assert 0 < int(m.group(1)) < 10_000_000
    out = g.output()
    assert re.search(r"acpi: MADT: \d+ CPU\(s\), LAPIC 0xfee00000, "
                     r"1 IOAPIC\(s\)", out)
    assert "ioapic: GSI 0-23 at 0xfec00000" in out
    assert re.search(r"mainloop: CPU 0 running", out), out
