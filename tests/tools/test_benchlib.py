# SPDX-License-Identifier: MIT
"""tools/bench's instruction-count mode (benchlib.busy_instructions,
benchlib.ICOUNT_CPU_ARGS, guest.Guest(icount=True)) on synthetic /_stats
snapshots and without booting anything. Host only: `make test-tools`."""
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import benchlib  # noqa: E402
import guest  # noqa: E402


def snapshot(uptime_us, idle_us):
    """The parts of /_stats busy_instructions reads: the uptime and each
    CPU's halted microseconds."""
    cpus = {"online": len(idle_us)}
    for cpu, idle in enumerate(idle_us):
        cpus[str(cpu)] = {"idle_us": idle, "requests": 0}
    return {"kernel": {"uptime_us": uptime_us}, "cpus": cpus}


def test_busy_instructions_is_uptime_not_halted():
    # 1 s passed, 0.25 s of it halted: 750 ms busy = 750 million virtual
    # ns, one instruction each under -icount shift=0.
    s0 = snapshot(2_000_000, [1_000_000])
    s1 = snapshot(3_000_000, [1_250_000])
    assert benchlib.busy_instructions(s0, s1) == 750_000_000


def test_busy_instructions_sums_the_cpus():
    s0 = snapshot(1_000, [100, 200])
    s1 = snapshot(2_000, [600, 200])
    # CPU 0 busy 500 us, CPU 1 busy 1000 us
    assert benchlib.busy_instructions(s0, s1) == 1_500_000


def test_icount_machine_is_one_vcpu_counting_instructions():
    args = benchlib.ICOUNT_CPU_ARGS
    icount = args[args.index("-icount") + 1].split(",")
    assert "shift=0" in icount and "sleep=on" in icount
    assert args[args.index("-smp") + 1] == "1"
    assert args[args.index("-accel") + 1] == "tcg"  # not thread=multi


class FakeNamespace:
    name = "petrel-bench-test"

    def exec_prefix(self):
        return ["true"]


def test_guest_takes_the_icount_machine(tmp_path):
    image = tmp_path / "site.img"
    image.write_bytes(b"\0" * 512)
    plain = guest.Guest(FakeNamespace(), "petrel", str(image))
    counted = guest.Guest(FakeNamespace(), "petrel", str(image), icount=True)
    assert "-icount" not in plain.machine_args()
    cmd = counted.machine_args()
    assert cmd[-len(benchlib.ICOUNT_CPU_ARGS):] == benchlib.ICOUNT_CPU_ARGS
