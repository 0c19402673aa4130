#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""1 guest vs N guests behind HAProxy (make bench-cluster N=3).

One cluster (tools/cluster.py) of N guests is booted once; the "1 guest"
configuration puts all but g0 in maintenance through HAProxy's runtime
API, "N guests" enables them all, and the two alternate round by round.
Each round measures, with wrk from inside the namespace through HAProxy:
req/s for a 1 KiB file (CONNS_SMALL connections) and MB/s for a 1 MiB
file (CONNS_BULK connections), plus how busy the host's CPUs were
(/proc/stat) while it ran: the guests, HAProxy and wrk all share them,
so that column says what the host allowed. Medians over the rounds.

The guests run as the cluster runs them (access log to syslog on).
Every run is bounded (wrk -d, timeouts); the namespace and every process
are removed at the end (Cluster.stop).
"""
import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import benchlib  # noqa: E402
import cluster  # noqa: E402
import netns  # noqa: E402
import web  # noqa: E402

CONNS_SMALL = 32
CONNS_BULK = 8
SIZES = {"k1.bin": 1024, "m1.bin": 1 << 20}


class Runner:
    """Runs commands inside the cluster's namespace (benchlib's runner)."""

    def __init__(self, c):
        self.prefix = c.exec_prefix()

    def run(self, args, timeout):
        return netns.run_cmd(self.prefix + list(args), check=False,
                             timeout=timeout)


def cpu_times():
    """(busy, total) jiffies of all host CPUs."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def host_busy(fn):
    """fn()'s result and the host CPUs' busy share meanwhile (0..ncpu)."""
    b0, t0 = cpu_times()
    out = fn()
    b1, t1 = cpu_times()
    return out, (b1 - b0) / max(t1 - t0, 1) * os.cpu_count()


def set_active(c, n):
    """Guests g0..g(n-1) in rotation, the others in maintenance."""
    for i in range(c.n):
        c.haproxy_cmd("%s server guests/g%d" %
                      ("enable" if i < n else "disable", i))
    c.wait_servers(up=set(range(n)), down=set(range(n, c.n)))


def measure(c, runner, seconds):
    url = c.url
    small, busy_s = host_busy(lambda: benchlib.wrk(
        runner, url + "/k1.bin", CONNS_SMALL, seconds))
    bulk, busy_b = host_busy(lambda: benchlib.wrk(
        runner, url + "/m1.bin", CONNS_BULK, seconds))
    return {"rps": small["rps"], "rps_errors": small["errors"],
            "p99_ms": small["p99_ms"], "cpu_small": busy_s,
            "mbps": bulk["mbps"], "mbps_errors": bulk["errors"],
            "cpu_bulk": busy_b}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--guests", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="one round, 2 s a point")
    ap.add_argument("--mem", default="128M")
    ap.add_argument("--cmdline", default="")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 2
    if os.geteuid() != 0:
        sys.exit("bench-cluster: needs root for the namespace")
    work = tempfile.mkdtemp(prefix="petrel-bench-cluster-")
    _, img = web.site_image(work, SIZES)
    log = benchlib.Progress()
    c = cluster.Cluster(args.guests, "leastconn", img,
                        os.path.join(work, "cluster"), args.mem,
                        args.cmdline)
    results = {1: [], args.guests: []}
    try:
        log("booting %d guests" % args.guests)
        c.start()
        runner = Runner(c)
        for r in range(args.rounds):
            order = [1, args.guests] if r % 2 == 0 else [args.guests, 1]
            for n in order:
                set_active(c, n)
                res = measure(c, runner, args.seconds)
                results[n].append(res)
                log("round %d, %d guest(s): %.0f req/s (1 KiB), %.1f MB/s "
                    "(1 MiB), host CPUs busy %.2f / %.2f of %d"
                    % (r + 1, n, res["rps"], res["mbps"], res["cpu_small"],
                       res["cpu_bulk"], os.cpu_count()))
    finally:
        c.stop()
    print()
    print("| guests behind HAProxy | 1 KiB req/s | p99 ms | host CPUs busy "
          "| 1 MiB MB/s | host CPUs busy | errors |")
    print("|---|---|---|---|---|---|---|")
    for n in (1, args.guests):
        rs = results[n]
        med = {k: benchlib.median([x[k] for x in rs]) for k in rs[0]}
        print("| %d | %.0f | %.1f | %.2f of %d | %.1f | %.2f of %d | %d |"
              % (n, med["rps"], med["p99_ms"] or 0, med["cpu_small"],
                 os.cpu_count(), med["mbps"], med["cpu_bulk"],
                 os.cpu_count(),
                 sum(x["rps_errors"] + x["mbps_errors"] for x in rs)))
    print("\nmedians of %d alternated rounds, %d s per point, %d and %d "
          "connections; TCG guests, HAProxy and wrk share the host's %d "
          "CPUs" % (args.rounds, args.seconds, CONNS_SMALL, CONNS_BULK,
                    os.cpu_count()))


if __name__ == "__main__":
    main()
