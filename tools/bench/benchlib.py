# SPDX-License-Identifier: MIT
"""Helpers shared by the benchmarks in tools/bench (mech.py, bench.py).
Site images come from tools/harness/web.py (make_site, site_image).

    wrk(runner, url, conns, seconds[, script])      one bounded wrk run
    round_robin_script(folder, name, paths)         paths in turn (Lua)
    petrel_stats(runner, addr)                      the guest's /_stats JSON
    link_counters(ns, dev, "rx")                    a device's packets, bytes
    median(values)                                  None-tolerant median
    ICOUNT_CPU_ARGS                                 QEMU's -icount machine
    busy_instructions(stats0, stats1)               guest instructions between
    Progress()                                      "[  12.3s] ..." lines

A `runner` is anything with run(args, timeout) -> CompletedProcess that
runs a command inside a namespace (guest.Namespace, hostref's client).
Every command here is bounded by a timeout.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import time

WRK_THREADS = 1         # one load thread: the machine has two cores
WRK_TIMEOUT = 30        # s; a response slower than this is a timeout
WRK_SLACK = 60          # seconds wrk may take beyond its duration
CURL_TIMEOUT = 60

# wrk's binary units (format_binary) and time units (format_time_us).
_BYTES = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30,
          "TB": 1 << 40}
_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def random_paths_script(folder, name, count, seed=7):
    """A wrk Lua script requesting /<name>0.bin .. /<name>{count-1}.bin
    at random (a working set for cold-cache runs); returns its path."""
    path = os.path.join(folder, "%s.lua" % name)
    with open(path, "w") as f:
        f.write("math.randomseed(%d)\n"
                "request = function()\n"
                "  return wrk.format(nil, '/%s' .. math.random(0, %d) .. "
                "'.bin')\nend\n" % (seed, name, count - 1))
    return path


def round_robin_script(folder, name, paths):
    """A wrk Lua script requesting `paths` in turn, all connections of the
    thread sharing one cursor (a working set every file of which is
    requested equally often); returns its path."""
    path = os.path.join(folder, "%s.lua" % name)
    with open(path, "w") as f:
        f.write("local paths = {%s}\n"
                "local next_path = 0\n"
                "request = function()\n"
                "  next_path = next_path %% #paths + 1\n"
                "  return wrk.format(nil, paths[next_path])\nend\n"
                % ", ".join("'%s'" % p for p in paths))
    return path


def parse_wrk(out):
    """wrk --latency output -> dict (requests, seconds, bytes, rps, mbps,
    avg_ms, p50_ms, p99_ms, errors). Latencies are None when nothing
    completed;
    MB/s (10^6 bytes) counts every byte read, finished responses or not."""
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read",
                  out)
    if not m:
        raise ValueError("unexpected wrk output:\n%s" % out[-2000:])
    reqs = int(m.group(1))
    secs = float(m.group(2)) * _MS[m.group(3)] / 1e3
    nbytes = float(m.group(4)) * _BYTES[m.group(5)]

    def ms(pattern):
        v = re.search(pattern, out, re.M)
        return float(v.group(1)) * _MS[v.group(2)] if v and reqs else None

    def pct(p):
        return ms(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m|h)\s*$" % p)
    errors = 0
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+),"
                  r" timeout (\d+)", out)
    if e:
        errors += sum(int(x) for x in e.groups())
    e = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if e:
        errors += int(e.group(1))
    return {"requests": reqs, "seconds": secs, "bytes": nbytes,
            "rps": reqs / secs, "mbps": nbytes / secs / 1e6,
            "avg_ms": ms(r"^\s+Latency\s+([\d.]+)(us|ms|s|m|h)\s"),
            "p50_ms": pct(50), "p99_ms": pct(99), "errors": errors}


def wrk(runner, url, conns, seconds, script=None, timeout_s=WRK_TIMEOUT):
    """One bounded wrk run (WRK_THREADS threads, `conns` connections,
    `seconds` long, responses slower than timeout_s counted as timeouts,
    optional Lua `script`) from inside runner's namespace; parse_wrk's
    dict."""
    cmd = ["wrk", "-t%d" % min(WRK_THREADS, conns), "-c%d" % conns,
           "-d%ds" % seconds, "--timeout", "%ds" % timeout_s, "--latency"]
    if script:
        cmd += ["-s", script]
    r = runner.run(cmd + [url], timeout=seconds + timeout_s + WRK_SLACK)
    if r.returncode != 0:
        raise RuntimeError("wrk %s -c%d: status %d: %s"
                           % (url, conns, r.returncode, r.stderr.strip()))
    return parse_wrk(r.stdout)


def fetch(runner, url, timeout=CURL_TIMEOUT):
    """(HTTP status, bytes received) for one GET with curl, body dropped."""
    r = runner.run(["curl", "-s", "-o", "/dev/null", "-m", str(timeout),
                    "-w", "%{http_code} %{size_download}", url],
                   timeout=timeout + 10)
    parts = r.stdout.split()
    if len(parts) != 2:
        return 0, 0
    return int(parts[0]), int(parts[1])


def petrel_stats(runner, addr):
    """The unikernel's /_stats counters as a dict."""
    r = runner.run(["curl", "-s", "-m", "10", "http://%s/_stats" % addr],
                   timeout=20)
    return json.loads(r.stdout)


def link_counters(ns_name, dev, direction):
    """(packets, bytes) `dev` in namespace `ns_name` has counted in
    `direction` ("rx" or "tx"), from `ip -s -j link`."""
    r = subprocess.run(["ip", "-n", ns_name, "-s", "-j", "link", "show",
                        dev], capture_output=True, text=True, timeout=20,
                       check=True)
    st = json.loads(r.stdout)[0]["stats64"][direction]
    return st["packets"], st["bytes"]


# One guest instruction per virtual nanosecond: the guest's clock (TSC,
# PIT, LAPIC) counts its own instructions while it runs, so its busy time
# is an instruction count that host load does not disturb. sleep=on: while
# the guest halts, its clock follows the host's, as without icount. With
# sleep=off the clock jumps to the next timer deadline instead, so a host
# that delays the client a few ms lets seconds of guest time pass: lwIP
# and keep-alive timers fire early, connections time out (wrk counted
# failed requests) and busy instructions per 1 KiB request spread by 3%
# between runs, against 0.2% with sleep=on (measured, QEMU 7.2). icount
# needs the single-threaded TCG, hence one vCPU.
ICOUNT_CPU_ARGS = ["-smp", "1", "-accel", "tcg", "-icount",
                   "shift=0,sleep=on"]


def busy_instructions(stats0, stats1):
    """Guest instructions executed between two /_stats snapshots of a
    guest run under ICOUNT_CPU_ARGS: the uptime that was not spent
    halted, in virtual ns (= instructions), summed over the CPUs."""
    def busy_ns(st):
        cpus = st["cpus"]
        idle = sum(cpus[str(c)]["idle_us"] for c in range(cpus["online"]))
        return (st["kernel"]["uptime_us"] * cpus["online"] - idle) * 1000
    return busy_ns(stats1) - busy_ns(stats0)


def median(values):
    """Median of the values that are not None; None if there are none."""
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


class Progress:
    """Progress lines with the time since the start of the run."""

    def __init__(self, stream=None):
        self.t0 = time.monotonic()
        self.stream = stream or sys.stdout

    def __call__(self, fmt, *args):
        print("[%6.1fs] %s" % (time.monotonic() - self.t0,
                               fmt % args if args else fmt),
              file=self.stream, flush=True)
