#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Start the unikernel or the Linux baseline guest under identical conditions.

Both kinds get the same QEMU machine (q35, -cpu max, -smp 1, -m M, TCG),
the same read-only raw site image on modern virtio-blk and a modern
virtio-net (disable-legacy=on) on a tap device inside a network namespace
this module creates (host side 10.77.0.1/24, guest 10.77.0.2, fixed guest
MAC with a permanent neighbour entry so no ARP delay enters a
measurement). Only the kernel, initrd and command line differ.

Library use (the benchmark orchestrator):

    with Namespace() as ns, Guest(ns, "linux", image, mem="64M") as g:
        boot_s = g.wait_http("/", timeout=60)   # QEMU start -> first 200
        ns.run(["wrk", ...])                    # load from inside the ns
        g.cpu_seconds()                         # QEMU process and vCPU

Command line (prints the boot-to-first-response time; --hold keeps the
guest up until Ctrl-C for manual runs):

    tools/bench/guest.py --kind linux|petrel --image IMG [--mem 64M] [--hold]

Rules: traffic goes only to 10.77.0.x inside the namespace; every wait is
bounded; stop() kills only the QEMU this object started (by PID) and the
namespace is deleted on exit, on exceptions and on SIGINT/SIGTERM/SIGHUP.
Needs root (or CAP_NET_ADMIN) for the namespace and tap.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
import benchlib  # noqa: E402
import netns  # noqa: E402
import qemu  # noqa: E402
from netns import (GUEST_ADDR, HOST_ADDR, PREFIX_LEN,  # noqa: E402,F401
                   available)
from qemu import BUILD, QEMU, ROOT, STOP_TIMEOUT  # noqa: E402,F401

GUEST_MAC = "52:54:00:77:00:02"
HTTP_PORT = 80

KINDS = ("linux", "petrel")
PETREL_KERNEL = qemu.KERNEL
LINUX_DIR = os.path.join(BUILD, "linux-guest")
LINUX_KERNEL_NAME = "vmlinuz"
LINUX_INITRD_NAME = "initramfs.cpio.gz"
LINUX_BUILD = os.path.join(ROOT, "tools", "linux-guest", "build.sh")
# quiet: a TCG serial console is slow; panic=-1 + -no-reboot: a dead init
# ends QEMU; mitigations=off: the unikernel has no user/kernel boundary
# to protect, so the baseline does not pay for one either.
LINUX_APPEND = "console=ttyS0 quiet panic=-1 mitigations=off"

PROBE_INTERVAL = 0.01   # seconds between two HTTP attempts
# A SYN sent before the guest's NIC is up is lost: a short connect
# timeout keeps the measurement's resolution near PROBE_CONNECT.
PROBE_CONNECT = 0.05    # seconds for one TCP handshake
PROBE_RESPONSE = 5.0    # seconds for the response's status line
VCPU_COMM = "CPU 0/TCG"  # thread names need -name ...,debug-threads=on
# Single-threaded TCG (-icount) runs every vCPU on one thread.
VCPU_COMM_RR = "ALL CPUs/TCG"

# Runs inside the namespace: GET PATH from the guest until a 200 or the
# deadline; prints the CLOCK_MONOTONIC time of the first 200 (the clock is
# system-wide, so the parent can subtract its own start time).
PROBE = r"""
import socket, sys, time
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + float(sys.argv[4])
interval, conn_tmo = float(sys.argv[5]), float(sys.argv[6])
resp_tmo = float(sys.argv[7])
req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
       % (path, host)).encode()
last = "no attempt"
while time.monotonic() < deadline:
    try:
        with socket.create_connection((host, port), timeout=conn_tmo) as s:
            s.settimeout(resp_tmo)
            s.sendall(req)
            line = s.makefile("rb").readline(256)
        if line.startswith(b"HTTP/1.") and line.split()[1:2] == [b"200"]:
            print("ok %.6f" % time.monotonic(), flush=True)
            sys.exit(0)
        last = "status line %r" % line[:80]
    except OSError as e:
        last = str(e)
    time.sleep(interval)
print("timeout: last attempt: %s" % last, flush=True)
sys.exit(1)
"""


class GuestError(RuntimeError):
    pass


class Namespace(netns.NetNS):
    """The benchmark's namespace (tools/harness/netns.py): the guest's MAC
    is a permanent neighbour, so no ARP delay enters a measurement."""

    def __init__(self, prefix="petrel-bench"):
        super().__init__(prefix, guest_mac=GUEST_MAC)


def build_linux(timeout=600):
    """Build (or reuse) the Linux guest. Returns (status, output): status 0
    built, 2 Debian packages could not be downloaded, other: error."""
    try:
        p = subprocess.run([LINUX_BUILD, LINUX_DIR], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return 1, "build timed out after %ds: %s" % (timeout, e.output)
    return p.returncode, p.stdout


def wait_first_200(exec_prefix, addr, path="/", timeout=60.0, dead=None,
                   tail=None, port=HTTP_PORT):
    """CLOCK_MONOTONIC time of the first HTTP 200 for `path` from `addr`,
    probed every PROBE_INTERVAL from the namespace `exec_prefix` runs in.
    dead() returns why the server is gone (or None); tail() text for the
    error. GuestError when the server dies or `timeout` seconds pass."""
    probe = subprocess.Popen(
        list(exec_prefix) + [
            sys.executable, "-c", PROBE, addr, str(port), path,
            str(timeout), str(PROBE_INTERVAL), str(PROBE_CONNECT),
            str(PROBE_RESPONSE)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + timeout + STOP_TIMEOUT
    try:
        while probe.poll() is None:
            why = dead() if dead else None
            if why:
                raise GuestError("%s before serving HTTP:\n%s"
                                 % (why, tail() if tail else ""))
            if time.monotonic() > deadline:
                raise GuestError("HTTP probe hung")
            time.sleep(0.02)
        out = probe.stdout.read().strip()
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.wait()
    if probe.returncode != 0 or not out.startswith("ok "):
        raise GuestError("no HTTP 200 for %s within %.0fs (%s):\n%s"
                         % (path, timeout, out, tail() if tail else ""))
    return float(out.split()[1])


class Guest(qemu.Guest):
    """One QEMU guest of a given kind on a Namespace's tap: the harness's
    machine plus -smp 1, named vCPU threads, the site image on
    virtio-blk and a virtio-net with a fixed MAC. icount: run the guest
    under benchlib.ICOUNT_CPU_ARGS (its busy time counts instructions)."""

    def __init__(self, ns, kind, image, mem="128M", log_path=None,
                 extra_append="", qemu=QEMU, linux_dir=LINUX_DIR,
                 icount=False):
        if kind not in KINDS:
            raise GuestError("kind %r: one of %s" % (kind, ", ".join(KINDS)))
        if not os.path.isfile(image):
            raise GuestError("site image %s: no such file" % image)
        super().__init__(None, mem=mem, prefix=ns.exec_prefix(), qemu=qemu,
                         log_path=log_path or os.path.join(
                             BUILD, "%s-%s.serial.log" % (kind, ns.name)))
        self.ns = ns
        self.kind = kind
        self.image = os.path.abspath(image)
        self.extra_append = extra_append
        self.linux_dir = linux_dir
        self.vcpu_tid = None
        self.boot_seconds = None
        self.icount = icount

    def cpu_args(self):
        if self.icount:
            return list(benchlib.ICOUNT_CPU_ARGS)
        return super().cpu_args()

    def boot_files(self):
        """(kernel, initrd or None, command line) for this kind."""
        if self.kind == "petrel":
            append = "ip=%s/%d gw=%s" % (GUEST_ADDR, PREFIX_LEN, HOST_ADDR)
            files = (PETREL_KERNEL, None)
        else:
            append = "%s petrel.ip=%s/%d petrel.gw=%s" % (
                LINUX_APPEND, GUEST_ADDR, PREFIX_LEN, HOST_ADDR)
            files = (os.path.join(self.linux_dir, LINUX_KERNEL_NAME),
                     os.path.join(self.linux_dir, LINUX_INITRD_NAME))
        for f in files:
            if f and not os.path.isfile(f):
                raise GuestError("%s missing: build the %s guest first"
                                 % (f, self.kind))
        if self.extra_append:
            append += " " + self.extra_append
        return files[0], files[1], append

    def boot_args(self):
        kernel, initrd, append = self.boot_files()
        args = ["-smp", "1", "-name", "%s,debug-threads=on" % self.kind,
                "-drive", "if=none,id=site,format=raw,readonly=on,file="
                + self.image,
                "-device", "virtio-blk-pci,drive=site,disable-legacy=on",
                "-netdev", self.ns.tap_netdev("net0"),
                "-device", "virtio-net-pci,netdev=net0,disable-legacy=on,"
                "mac=" + GUEST_MAC + self.ns.mq_device_opts(),
                "-kernel", kernel, "-append", append]
        if initrd:
            args += ["-initrd", initrd]
        return args

    def find_vcpu_tid(self, timeout=5.0):
        """TID of QEMU's vCPU thread ("CPU 0/TCG", "ALL CPUs/TCG" under
        icount), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                for tid in os.listdir("/proc/%d/task" % self.pid):
                    with open("/proc/%d/task/%s/comm"
                              % (self.pid, tid)) as f:
                        if f.read().strip() in (VCPU_COMM, VCPU_COMM_RR):
                            self.vcpu_tid = int(tid)
                            return self.vcpu_tid
            except OSError:
                pass
            time.sleep(0.05)
        return None

    def cpu_seconds(self):
        """{"qemu": s, "vcpu": s or None}: user+system CPU time so far."""
        def stat(path):
            with open(path) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # utime and stime are fields 14 and 15 (index 11, 12 here).
            return (int(fields[11]) + int(fields[12])) / os.sysconf(
                "SC_CLK_TCK")
        out = {"qemu": stat("/proc/%d/stat" % self.pid), "vcpu": None}
        if self.vcpu_tid:
            out["vcpu"] = stat("/proc/%d/task/%d/stat"
                               % (self.pid, self.vcpu_tid))
        return out

    def wait_http(self, path="/", timeout=60.0):
        """Seconds from QEMU start to the first 200 for `path`, probed from
        inside the namespace; GuestError if QEMU dies or time runs out."""
        def dead():
            if self.proc.poll() is None:
                return None
            return "QEMU exited (status %d)" % self.proc.returncode
        t = wait_first_200(self.ns.exec_prefix(), GUEST_ADDR, path, timeout,
                           dead=dead, tail=self.tail)
        self.boot_seconds = t - self.t_start
        return self.boot_seconds


class _Terminated(Exception):
    pass


def _on_signal(signum, frame):
    raise _Terminated("signal %d" % signum)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=KINDS, required=True)
    ap.add_argument("--image", required=True, help="raw ext2 site image")
    ap.add_argument("--mem", default="128M", help="guest memory (-m)")
    ap.add_argument("--path", default="/", help="URL path to probe")
    ap.add_argument("--timeout", type=float, default=90.0,
                    help="seconds to wait for the first response")
    ap.add_argument("--log", help="serial console log file")
    ap.add_argument("--append", default="", help="extra kernel options")
    ap.add_argument("--linux-dir", default=LINUX_DIR,
                    help="folder with the Linux guest's vmlinuz and "
                    "initramfs.cpio.gz (tools/linux-guest/build.sh OUT_DIR)")
    ap.add_argument("--hold", action="store_true",
                    help="keep the guest running until Ctrl-C")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)

    # Ctrl-C set explicitly: started from a shell's background job,
    # SIGINT comes in ignored and Python then leaves it so.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    result = {"kind": args.kind, "mem": args.mem, "ok": False}
    status = 1
    try:
        with Namespace() as ns, Guest(ns, args.kind, args.image, args.mem,
                                      args.log, args.append,
                                      linux_dir=args.linux_dir) as g:
            result.update(namespace=ns.name, qemu_pid=g.pid,
                          serial_log=g.log_path)
            result["vcpu_tid"] = g.find_vcpu_tid()
            result["boot_to_first_response_s"] = round(
                g.wait_http(args.path, args.timeout), 3)
            result["cpu_s"] = g.cpu_seconds()
            result["ok"] = True
            status = 0
            if not args.json:
                print("guest: %s (-m %s) first HTTP 200 after %.3f s; "
                      "QEMU pid %d vCPU tid %s; namespace %s; log %s"
                      % (args.kind, args.mem,
                         result["boot_to_first_response_s"], g.pid,
                         result["vcpu_tid"], ns.name, g.log_path),
                      flush=True)
            if args.hold:
                print("guest: try `ip netns exec %s curl http://%s/`; "
                      "Ctrl-C stops" % (ns.name, GUEST_ADDR), flush=True)
                while g.proc.poll() is None:
                    time.sleep(0.5)
    except GuestError as e:
        result["error"] = str(e)
        if not args.json:
            print("guest: %s" % e, file=sys.stderr)
    except (KeyboardInterrupt, _Terminated):
        result["error"] = "interrupted"
        status = 130
    if args.json:
        print(json.dumps(result))
    return status


if __name__ == "__main__":
    sys.exit(main())
