# SPDX-License-Identifier: MIT
"""CPU traps: the fault report of each panic= self-test, and a clean idle.

Each panic= kind faults in its own named function (kernel/arch/trap_selftest.c)
once traps and paging are up; the report must name the exception, dump the
registers, walk the stack through that function into kmain, and end the
VM with the failure status. One boot per kind (each takes well under a
second under TCG).
"""
import re
import time

import pytest

from qemu import EXIT_FAILURE

# Where the page-fault and double-fault self-tests point (UNMAPPED_VA).
UNMAPPED = 0x00007F0000000000
PAGE_SIZE = 4096

HEX16 = r"[0-9a-f]{16}"
REGS = (r"^\[[ .0-9]+\] RIP=(%s) (\S+)\n" % HEX16
        + r"^\[[ .0-9]+\] RSP=(%s) RFLAGS=%s CS=0008 SS=0010\n" % (HEX16, HEX16)
        + r"^\[[ .0-9]+\] RAX=%s RBX=%s RCX=%s RDX=%s\n" % ((HEX16,) * 4)
        + r"^\[[ .0-9]+\] RSI=%s RDI=%s RBP=%s R8 =%s\n" % ((HEX16,) * 4)
        + r"^\[[ .0-9]+\] R9 =%s R10=%s R11=%s R12=%s\n" % ((HEX16,) * 4)
        + r"^\[[ .0-9]+\] R13=%s R14=%s R15=%s\n" % ((HEX16,) * 3)
        + r"^\[[ .0-9]+\] CR2=(%s) CR3=%s$" % (HEX16, HEX16))

# kind: (exception line, extra decoded lines)
KINDS = {
    "pagefault": (r"trap: page fault \(#PF, vector 14\), error code 0x2$",
                  [r"trap: page fault: write of 0x7f0000000000 by kernel "
                   r"code: page not present$",
                   r"trap: page fault: error code present=0 write=1 "
                   r"user=0 reserved=0 ifetch=0$"]),
    "ud": (r"trap: invalid opcode \(#UD, vector 6\), error code 0$", []),
    "divide": (r"trap: divide error \(#DE, vector 0\), error code 0$", []),
    "gp": (r"trap: general protection fault \(#GP, vector 13\), "
           r"error code 0x28$",
           [r"trap: selector: GDT index 5 \(selector 0x28\)$"]),
    "doublefault": (r"trap: double fault \(#DF, vector 8\), error code 0$",
                    []),
    "stack": (r"trap: double fault \(#DF, vector 8\), error code 0$", []),
}


def backtrace(out):
    """Function names of the backtrace frames, innermost first."""
    tail = out[out.index("backtrace:"):]
    return re.findall(r"#\d+\s+[0-9a-f]{16} (\w+)\+0x[0-9a-f]+", tail)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fault_report(boot, kind):
    head, details = KINDS[kind]
    g = boot("panic=%s" % kind)
    assert g.wait_exit(timeout=30) == EXIT_FAILURE
    out = g.output()
    assert re.search(head, out, re.M), out
    for line in details:
        assert re.search(line, out, re.M), out
    regs = re.search(REGS, out, re.M)
    assert regs, out
    rip, rip_sym, rsp, cr2 = regs.groups()
    fn = "selftest_fault_" + kind
    # The stack overflow faults in the recursion fn calls.
    inner = "selftest_stack_recurse" if kind == "stack" else fn
    assert rip_sym.startswith(inner + "+"), out
    if kind == "pagefault":
        assert int(cr2, 16) == UNMAPPED
    if kind == "doublefault":
        # The #PF could not be pushed below the unusable stack pointer; the
        # report ran on the #DF IST stack.
        assert int(rsp, 16) == UNMAPPED
        assert int(cr2, 16) == UNMAPPED - 8
    if kind == "stack":
        guard = int(re.search(r"recursing into the guard page at 0x([0-9a-f]+)",
                              out).group(1), 16)
        assert guard <= int(cr2, 16) < guard + PAGE_SIZE, out
        assert guard <= int(rsp, 16) < guard + PAGE_SIZE, out
    frames = backtrace(out)
    assert frames[0] == inner, out
    assert frames.index("kmain") > frames.index(fn), out


def test_assert_report(boot):
    g = boot("panic=assert")
    assert g.wait_exit(timeout=30) == EXIT_FAILURE
    out = g.output()
    assert re.search(r"PANIC: BUG at kernel/arch/trap_selftest\.c:\d+: ", out), out
    frames = backtrace(out)
    assert "selftest_fault_assert" in frames, out
    assert frames.index("kmain") > frames.index("selftest_fault_assert"), out


def test_bad_kind_named_and_idle_survives(boot):
    g = boot("panic=bogus")
    g.wait_for(r"cmdline: bad value 'bogus' for panic= \(expected "
               r"none\|pagefault\|ud\|divide\|gp\|doublefault\|assert\|"
               r"stack\); "
               r"using default 'none'")
    g.wait_for(r"boot: ready")
    # The firmware left the PIT running on vector 8 (#DF in long mode); if
    # the PIC were not masked the first tick (every 55 ms) would end the VM
    # with a fault report or a triple fault.
    time.sleep(0.5)
    assert g.proc.poll() is None, g.tail()
    assert "trap:" not in g.output()


@pytest.mark.parametrize("mapping", ["sfbuf", "naive", "direct"])
def test_write_to_sealed_buffer_faults(boot, mapping):
    """seal_selftest=on writes to a sealed iobuf after boot: with every
    mapping mode the write faults, the report names the buffer and its
    owner, the backtrace leads through the writer, and the run fails."""
    g = boot("seal_selftest=on mapping=%s" % mapping)
    assert g.wait_exit(timeout=30) == EXIT_FAILURE
    out = g.output()
    buf = re.search(r"seal_selftest: writing to sealed iobuf (0x[0-9a-f]+)",
                    out)
    assert buf, out
    assert re.search(r"iobuf: write to sealed iobuf %s at 0x[0-9a-f]+: "
                     r"page 0 of 1, 8 bytes, 1 references, owner none "
                     r"\(pool\)$" % buf.group(1), out, re.M), out
    assert re.search(r"trap: page fault: write of 0x[0-9a-f]+ by kernel "
                     r"code: protection violation$", out, re.M), out
    frames = backtrace(out)
    assert frames[0] == "write_sealed", out
    assert "seal_selftest" in frames, out
    assert "did not fault" not in out


def test_sealed_write_without_protection_is_caught_by_the_selftest(boot):
    """seal_protect=off: nothing stops the write; the self-test says so
    (which is what the protected runs above rule out)."""
    g = boot("seal_selftest=on seal_protect=off")
    assert g.wait_exit(timeout=30) == EXIT_FAILURE
    assert "a write to a sealed buffer did not fault" in g.output()
