#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark the I/O mechanisms against their baselines in one run.

Each configuration (a set of boot options) is booted in turn, in rounds
that alternate the order (A B C ... then ... C B A), and measured with
bounded wrk runs from inside the benchmark namespace: requests/s for a
1 KiB and a 1 MiB file, MB/s for a 10 MiB file, plus the guest's vCPU time
per request and the mechanism counters per request from /_stats. Medians
over the rounds; ratios against the baseline of each comparison.

    tools/bench/mech.py [--rounds 3] [--seconds 3] [--out build/bench]

Machines here are noisy (a guest against itself varies by 0.8-1.15x):
read the ratios with that in mind, and the CPU time per request, which is
steadier. Traffic goes only to 10.77.0.2 inside the namespace.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from guest import Guest, Namespace, GUEST_ADDR, BUILD  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

# name -> extra boot options
CONFIGS = {
    "default": "",
    "copy": "copy=on",
    "direct": "mapping=direct",
    "naive": "mapping=naive",
    "csum_sw": "csum=sw",
    "csum_cache": "csum=cache",
}
# (what is compared, candidate, baseline)
COMPARISONS = [
    ("zero-copy vs copy", "default", "copy"),
    ("sfbuf vs direct", "default", "direct"),
    ("sfbuf vs naive", "default", "naive"),
    ("csum cache vs sw", "csum_cache", "csum_sw"),
    ("csum offload vs sw", "default", "csum_sw"),
]
WORKLOADS = [("1KiB", "/k1.bin", 16), ("1MiB", "/m1.bin", 8),
             ("10MiB", "/m10.bin", 4)]


def make_image(tmp):
    return web.site_image(tmp, {
        "k1.bin": 1024, "m1.bin": 1 << 20, "m10.bin": 10 << 20}, seed=5)[1]


def stats(ns):
    return benchlib.petrel_stats(ns, GUEST_ADDR)


def wrk(ns, path, conns, seconds, script=None, timeout_s=10):
    """One bounded wrk run from inside the namespace; `script` is a Lua
    file (e.g. choosing among several paths)."""
    return benchlib.wrk(ns, "http://%s%s" % (GUEST_ADDR, path), conns,
                        seconds, script=script, timeout_s=timeout_s)


def measure(ns, img, name, append, seconds):
    g = Guest(ns, "petrel", img, mem="256M", extra_append=append)
    g.start()
    try:
        g.wait_http("/k1.bin", timeout=60)
        if not g.find_vcpu_tid():
            raise RuntimeError("no vCPU thread found in QEMU")
        for _, path, _ in WORKLOADS:
            ns.run(["curl", "-s", "-o", "/dev/null",
                    "http://%s%s" % (GUEST_ADDR, path)], timeout=60)
        result = {}
        for label, path, conns in WORKLOADS:
            s0, c0 = stats(ns), g.cpu_seconds()
            m = wrk(ns, path, conns, seconds)
            s1, c1 = stats(ns), g.cpu_seconds()
            n = max(m["requests"], 1)
            m["vcpu_us_per_req"] = (c1["vcpu"] - c0["vcpu"]) * 1e6 / n
            for key, (sect, field) in {
                    "pte_writes_per_req": ("sfbuf", "pte_writes"),
                    "invalidations_per_req": ("sfbuf", "invalidations"),
                    "sfbuf_misses_per_req": ("sfbuf", "misses"),
                    "bytes_copied_per_req": ("conn", "bytes_copied"),
                    "bytes_summed_per_req": ("csum", "data_bytes_summed"),
            }.items():
                m[key] = (s1[sect][field] - s0[sect][field]) / n
            result[label] = m
        return result
    finally:
        g.stop()


def median_table(runs):
    out = {}
    for name, rounds in runs.items():
        out[name] = {}
        for label, _, _ in WORKLOADS:
            keys = rounds[0][label].keys()
            out[name][label] = {k: benchlib.median(r[label][k]
                                                   for r in rounds)
                                for k in keys}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    args = ap.parse_args(argv)
    runs = {name: [] for name in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        img = make_image(tmp)
        order = list(CONFIGS)
        for rnd in range(args.rounds):
            for name in (order if rnd % 2 == 0 else order[::-1]):
                print("round %d/%d: %-10s %s" % (rnd + 1, args.rounds, name,
                                                 CONFIGS[name] or "(default)"),
                      flush=True)
                runs[name].append(measure(ns, img, name, CONFIGS[name],
                                          args.seconds))
    med = median_table(runs)
    print("\nmedians over %d rounds (wrk %ds per point)" % (args.rounds,
                                                           args.seconds))
    print("%-11s %-6s %10s %9s %9s %10s %9s %9s %9s" % (
        "config", "file", "req/s", "MB/s", "p99 ms", "vCPU us/r",
        "pte/req", "inval/r", "copied/r"))
    for name in CONFIGS:
        for label, _, _ in WORKLOADS:
            m = med[name][label]
            print("%-11s %-6s %10.0f %9.1f %9.1f %10.1f %9.2f %9.2f %9.0f" % (
                name, label, m["rps"], m["mbps"], m["p99_ms"],
                m["vcpu_us_per_req"], m["pte_writes_per_req"],
                m["invalidations_per_req"], m["bytes_copied_per_req"]))
    print("\nratios (candidate / baseline; vCPU: baseline / candidate)")
    ratios = []
    for what, cand, base in COMPARISONS:
        for label, _, _ in WORKLOADS:
            c, b = med[cand][label], med[base][label]
            row = {"comparison": what, "file": label,
                   "rps_ratio": c["rps"] / b["rps"],
                   "mbps_ratio": c["mbps"] / b["mbps"],
                   "vcpu_ratio": (b["vcpu_us_per_req"] /
                                  max(c["vcpu_us_per_req"], 1e-9))}
            ratios.append(row)
            print("%-20s %-6s req/s x%.2f  MB/s x%.2f  vCPU/req x%.2f" % (
                what, label, row["rps_ratio"], row["mbps_ratio"],
                row["vcpu_ratio"]))
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "mech-%s.json" % time.strftime(
        "%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump({"rounds": args.rounds, "seconds": args.seconds,
                   "configs": CONFIGS, "medians": med, "ratios": ratios,
                   "raw": runs}, f, indent=1)
    print("\nresults: %s" % path)


if __name__ == "__main__":
    main()
