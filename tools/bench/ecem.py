#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Repeat the ECEM paper's experiment (Lim and Park, JSS 2004, section 6)
in one run: clients downloading 10 MiB files over 10/30/60/120 concurrent
connections, with a warm cache (one file, cached) and a cold one (eight
files in a pool a quarter of their size), for both server models:

    event/off  vs event/dns       disk-to-network splicing (DNS)
    threads/off vs threads/ded    deferred event delivery (DED)

With --paper-dns, the paper's own DNS experiment instead (its Table 3:
an Apache-like server whose processes send each file with sendfile(),
with and without DNS), with the event model beside it:

    threads-sf/off vs threads-sf/dns   model=threads thread_send=sendfile
    event/off vs event/dns             for comparison

Each configuration is booted in turn, rounds alternating the order
(A B C D, then D C B A; with --paper-dns the same order every round,
A B A B), and loaded with one bounded wrk run per point from inside the
benchmark namespace. Printed per configuration and point
(medians over rounds): average response time, total transmit rate,
context switches, application wake-ups and guest vCPU time per response;
then the ratios DNS/off and DED/off (response time: candidate/baseline,
lower is better; rate: candidate/baseline, higher is better).

    tools/bench/ecem.py [--rounds 2] [--seconds 6] [--conns 10,30,60,120]
                        [--paper-dns] [--quick]

--quick: 2 rounds of 3 s per point (a first look, not a result). Every
wrk run is bounded by --seconds plus its timeout; every boot by 120 s.

Traffic goes only to 10.77.0.2 inside the namespace the run creates.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from guest import Guest, Namespace, GUEST_ADDR, BUILD  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

FILE_SIZE = 10 << 20
COLD_FILES = 8
COLD_POOL_MB = COLD_FILES * 10 // 4  # a quarter of the working set
CONFIGS = {
    "event/off": "model=event ecem=off",
    "event/dns": "model=event ecem=dns",
    "threads/off": "model=threads ecem=off",
    "threads/ded": "model=threads ecem=ded",
}
COMPARISONS = [("DNS/off", "event/dns", "event/off"),
               ("DED/off", "threads/ded", "threads/off")]
# The paper's DNS experiment: its server, sendfile() with and without DNS.
PAPER_DNS_CONFIGS = {
    "threads-sf/off": "model=threads thread_send=sendfile ecem=off",
    "threads-sf/dns": "model=threads thread_send=sendfile ecem=dns",
    "event/off": "model=event ecem=off",
    "event/dns": "model=event ecem=dns",
}
PAPER_DNS_COMPARISONS = [("sf DNS/off", "threads-sf/dns", "threads-sf/off"),
                         ("ev DNS/off", "event/dns", "event/off")]
# Table 3: average response time better by (%), DNS against plain
# sendfile(), 10 MB files, at 10/30/60/120 connections.
PAPER_TABLE3_DNS = {10: 8.1, 30: 7.2, 60: 7.0, 120: 6.9}
CACHES = ("warm", "cold")


def make_image(tmp):
    _, img = web.site_image(tmp, {
        "f%d.bin" % i: FILE_SIZE for i in range(COLD_FILES)}, seed=11)
    # wrk picks a random file per request on the cold runs.
    lua = benchlib.random_paths_script(tmp, "f", COLD_FILES)
    return img, lua


def stats(ns):
    return benchlib.petrel_stats(ns, GUEST_ADDR)


def median(values):
    """Median of the rounds that measured something (None: no response
    completed in that round)."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def measure(ns, img, lua, append, cache, conns, seconds):
    pool = " pool_mb=%d" % COLD_POOL_MB if cache == "cold" else ""
    g = Guest(ns, "petrel", img, mem="256M",
              extra_append=append + pool + " idle_timeout_ms=120000")
    g.start()
    try:
        g.wait_http("/f0.bin", timeout=120)
        if not g.find_vcpu_tid():
            raise RuntimeError("no vCPU thread found in QEMU")
        out = {}
        for n in conns:
            s0, c0 = stats(ns), g.cpu_seconds()
            m = benchlib.wrk(ns, "http://%s/f0.bin" % GUEST_ADDR, n,
                             seconds, script=lua if cache == "cold" else None,
                             timeout_s=60)
            s1, c1 = stats(ns), g.cpu_seconds()
            # Per MiB sent, not per response: a short run completes few
            # 10 MiB responses, but every byte it sent counts.
            mib = max((s1["conn"]["bytes_out"] -
                       s0["conn"]["bytes_out"]) / (1 << 20), 1e-9)

            def per_mib(sect, field):
                return (s1[sect][field] - s0[sect][field]) / mib
            m["vcpu_ms_per_mib"] = (c1["vcpu"] - c0["vcpu"]) * 1e3 / mib
            m["switches_per_mib"] = per_mib("kernel", "context_switches")
            m["wakeups_per_mib"] = per_mib("http", "app_wakeups")
            # The thread model's body threads resumed (sleep -> run).
            m["thread_wakeups_per_mib"] = per_mib("http", "thread_wakeups")
            m["deferred_per_mib"] = per_mib("ecem", "deferred")
            m["blocked_writes_per_mib"] = per_mib("http",
                                                  "thread_blocked_writes")
            out[str(n)] = m
        return out
    finally:
        g.stop()


def paper_table(ratios):
    """Average response time better by (%) beside the paper's Table 3."""
    print("\naverage response time better by %% (DNS against off); "
          "paper's Table 3 (sendfile server): %s" % ", ".join(
              "%d: %.1f" % kv for kv in PAPER_TABLE3_DNS.items()))
    for row in ratios:
        rt = row["resp_time"]
        print("%-10s %-5s %4d conns: %s  (paper %s)" % (
            row["comparison"], row["cache"], row["conns"],
            "%+.1f%%" % ((1 - rt) * 100) if rt else "n/a",
            "%.1f%%" % PAPER_TABLE3_DNS[row["conns"]]
            if row["conns"] in PAPER_TABLE3_DNS else "-"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--conns", default="10,30,60,120")
    ap.add_argument("--caches", default=",".join(CACHES))
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--extra", default="", help="boot options for all")
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    ap.add_argument("--paper-dns", action="store_true",
                    help="the paper's DNS experiment: sendfile threads "
                    "with and without DNS, and the event model")
    ap.add_argument("--quick", action="store_true",
                    help="2 rounds of 3 s per point")
    args = ap.parse_args(argv)
    configs, comparisons = CONFIGS, COMPARISONS
    if args.paper_dns:
        configs, comparisons = PAPER_DNS_CONFIGS, PAPER_DNS_COMPARISONS
        if args.configs == ",".join(CONFIGS):
            args.configs = ",".join(configs)
    if args.quick:
        args.rounds, args.seconds = 2, 3
    conns = [int(c) for c in args.conns.split(",")]
    runs = {(c, k): [] for c in args.configs.split(",")
            for k in args.caches.split(",")}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        img, lua = make_image(tmp)
        order = list(runs)
        for rnd in range(args.rounds):
            turn = order if rnd % 2 == 0 or args.paper_dns else order[::-1]
            for key in turn:
                print("round %d/%d: %-12s %s cache" % (
                    rnd + 1, args.rounds, key[0], key[1]), flush=True)
                runs[key].append(measure(ns, img, lua, "%s %s" % (
                    configs[key[0]], args.extra), key[1], conns,
                    args.seconds))
    med = {key: {str(n): {f: median(r[str(n)][f] for r in rs)
                          for f in rs[0][str(n)]
                          if not isinstance(rs[0][str(n)][f], str)}
                 for n in conns}
           for key, rs in runs.items()}
    print("\nmedians over %d rounds (wrk %ds per point, 10 MiB files)"
          % (args.rounds, args.seconds))
    print("%-14s %-5s %5s %5s %8s %7s %9s %8s %8s %8s %8s %9s" % (
        "config", "cache", "conns", "resp", "avg ms", "MB/s", "switch/MB",
        "wake/MB", "twake/MB", "defer/MB", "block/MB", "vCPU ms/MB"))
    for (cfg, cache), points in med.items():
        for n in conns:
            m = points[str(n)]
            print("%-14s %-5s %5d %5.0f %8.0f %7.1f %9.2f %8.2f %8.2f %8.2f"
                  " %8.2f %9.2f" % (
                      cfg, cache, n, m["requests"], m["avg_ms"] or 0,
                      m["mbps"], m["switches_per_mib"],
                      m["wakeups_per_mib"], m["thread_wakeups_per_mib"],
                      m["deferred_per_mib"], m["blocked_writes_per_mib"],
                      m["vcpu_ms_per_mib"]))
    print("\nratios (candidate / baseline)")
    ratios = []
    for what, cand, base in comparisons:
        if (cand, CACHES[0]) not in med and (cand, CACHES[1]) not in med:
            continue
        for cache in args.caches.split(","):
            for n in conns:
                c, b = med[(cand, cache)][str(n)], med[(base, cache)][str(n)]
                row = {"comparison": what, "cache": cache, "conns": n,
                       "resp_time": (c["avg_ms"] / b["avg_ms"]
                                     if c["avg_ms"] and b["avg_ms"]
                                     else None),
                       "rate": c["mbps"] / max(b["mbps"], 1e-9),
                       "switches": (c["switches_per_mib"] /
                                    max(b["switches_per_mib"], 1e-9)),
                       "thread_wakeups": (
                           c["thread_wakeups_per_mib"] /
                           b["thread_wakeups_per_mib"]
                           if b["thread_wakeups_per_mib"] else None),
                       "vcpu": (c["vcpu_ms_per_mib"] /
                                max(b["vcpu_ms_per_mib"], 1e-9))}
                ratios.append(row)
                rt = row["resp_time"]
                print("%-8s %-5s %4d conns: response time %s  rate x%.2f"
                      "  switches/MB x%.2f  vCPU/MB x%.2f" % (
                          what, cache, n,
                          "x%.2f" % rt if rt else "n/a (no response done)",
                          row["rate"], row["switches"], row["vcpu"]))
    if args.paper_dns:
        paper_table(ratios)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "ecem-%s.json" % time.strftime(
        "%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump({"rounds": args.rounds, "seconds": args.seconds,
                   "configs": configs, "ratios": ratios,
                   "medians": {"%s %s" % k: v for k, v in med.items()}},
                  f, indent=1)
    print("\nresults: %s" % path)


if __name__ == "__main__":
    main()
