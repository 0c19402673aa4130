# SPDX-License-Identifier: MIT
"""Boot a guest under QEMU (TCG) and read its serial console.

The one QEMU launcher of the integration tests (tests/integration) and
the benchmarks (tools/bench/guest.py subclasses Guest for its Linux and
petrel kinds); both put tools/harness on sys.path.

Guest(...).start() launches QEMU (optionally behind a command prefix such
as `ip netns exec NS`) with the serial console written to a log file;
wait_for() polls that file for a regular expression. Every wait is
bounded; stop() kills only the QEMU process this object started.
"""
import itertools
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
KERNEL = os.path.join(BUILD, "petrel32.elf")
ISO = os.path.join(BUILD, "petrel.iso")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL
# CPUs per guest when a test does not choose: PETREL_SMP=2 runs the whole
# suite on two vCPUs (MTTCG).
DEFAULT_SMP = int(os.environ.get("PETREL_SMP", "1") or "1")

# isa-debug-exit: QEMU exits with (code << 1) | 1 (kernel/core/qemu_exit.h).
EXIT_SUCCESS = 1
EXIT_FAILURE = 3


class BootTimeout(AssertionError):
    pass


def stop_process(proc, timeout=STOP_TIMEOUT, sig=signal.SIGTERM):
    """Stop a process this harness started, by its Popen (so by PID):
    `sig` (SIGTERM), then SIGKILL after `timeout` seconds."""
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_monitors = itertools.count()
HMP_PROMPT = b"(qemu) "


def _read_until(sock, marker):
    data = b""
    while not data.endswith(marker):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("monitor closed: %r" % data)
        data += chunk
    return data


class Guest:
    def __init__(self, tmp_path, cmdline="", mem="128M", iso=False,
                 extra_args=(), name="guest", prefix=(), log_path=None,
                 qemu=QEMU, machine="q35", monitor=False, smp=None):
        self.log_path = log_path or os.path.join(str(tmp_path),
                                                 name + ".serial.log")
        # A human monitor on a Unix socket (hmp()); its path is short
        # because socket paths are limited to 108 bytes.
        self.monitor_path = None
        if monitor:
            self.monitor_path = os.path.join(
                tempfile.gettempdir(), "petrel-mon-%d-%d.sock"
                % (os.getpid(), next(_monitors)))
        self.cmdline = cmdline
        self.mem = mem
        self.iso = iso
        self.extra_args = list(extra_args)
        # Words in front of the QEMU command, e.g. ["ip", "netns", "exec",
        # NS]; it must exec QEMU so that stop() signals QEMU itself.
        self.prefix = list(prefix)
        self.qemu = qemu
        # "q35" (PCIe, ICH9) or "pc" (i440FX/PIIX3: conventional PCI,
        # where QEMU's virtio devices are transitional).
        self.machine = machine
        # vCPUs: more than one runs them in parallel host threads (MTTCG).
        self.smp = DEFAULT_SMP if smp is None else int(smp)
        self.proc = None
        self.pid = None
        self.t_start = None

    def cpu_args(self):
        """-smp N; with N > 1 the vCPUs run on parallel host threads."""
        if self.smp <= 1:
            return []
        return ["-smp", str(self.smp), "-accel", "tcg,thread=multi"]

    def machine_args(self):
        """The QEMU machine every guest gets: q35 (or `machine`), TCG, no default
        devices, serial console to the log, isa-debug-exit."""
        return [self.qemu, "-machine", self.machine, "-cpu", "max", "-m", self.mem,
                "-display", "none", "-no-reboot", "-nodefaults",
                "-serial", "file:" + self.log_path,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] + \
            self.cpu_args()

    def boot_args(self):
        if self.iso:
            return ["-cdrom", ISO, "-boot", "d"]
        return ["-kernel", KERNEL, "-append", self.cmdline]

    def command(self):
        cmd = self.prefix + self.machine_args() + self.boot_args()
        if self.monitor_path:
            cmd += ["-monitor",
                    "unix:%s,server=on,wait=off" % self.monitor_path]
        return cmd + self.extra_args

    def hmp(self, command, timeout=10.0):
        """Run one human-monitor command; returns what it printed."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(self.monitor_path)
            _read_until(s, HMP_PROMPT)
            s.sendall(command.encode() + b"\n")
            out = _read_until(s, HMP_PROMPT)
        return out.decode("utf-8", "replace")

    def start(self):
        cmd = self.command()
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        open(self.log_path, "w").close()
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        return self

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for(self, pattern, timeout=30.0):
        """Return the first match of `pattern` in the console output."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.output())
            if m:
                return m
            if self.proc.poll() is not None:
                m = regex.search(self.output())
                if m:
                    return m
                raise BootTimeout("QEMU exited (status %d) before %r:\n%s"
                                  % (self.proc.returncode, pattern,
                                     self.tail()))
            if time.monotonic() > deadline:
                raise BootTimeout("no %r within %.0fs:\n%s"
                                  % (pattern, timeout, self.tail()))
            time.sleep(0.05)

    def wait_exit(self, timeout=30.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BootTimeout("QEMU still running after %.0fs:\n%s"
                              % (timeout, self.tail()))

    def tail(self, lines=40):
        out = self.output().splitlines()[-lines:]
        qemu = b""
        if self.proc and self.proc.poll() is not None and self.proc.stdout:
            qemu = self.proc.stdout.read() or b""
        text = "\n".join(out)
        if qemu:
            text += "\n[qemu] " + qemu.decode("utf-8", "replace")
        return text

    def stop(self):
        """Stop the QEMU this object started (stop_process)."""
        stop_process(self.proc)
        if self.monitor_path and os.path.exists(self.monitor_path):
            os.unlink(self.monitor_path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
