#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""LAIO and accept strategies against their baselines, in one run.

Part 1, file I/O: a disk-bound workload (32 files of 1 MiB, requested at
random, through a pool a quarter of their size) and a cached one (one
1 MiB file), each served by event+LAIO (`laio=on`), the event loop with
blocking calls (`laio=off`) and `model=threads`.
Part 2, accepts: a cached 1 KiB file at 64 and 512 connections with
`accept_limit` 1, 8 and 0 (unlimited).

Configurations are booted in turn, rounds alternating the order; one
bounded wrk run per point from inside the benchmark namespace. Printed
(medians): req/s, MB/s, p99 latency, guest vCPU time per request and the
LAIO counters per request; then ratios against the baseline of each part
(laio=off; accept_limit=0).

    tools/bench/laio.py [--rounds 2] [--seconds 5]

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

MIB = 1 << 20
DISK_FILES = 32
DISK_POOL_MB = DISK_FILES // 4
IO_CONNS = 16
IO_CONFIGS = {"laio": "laio=on", "blocking": "laio=off",
              "threads": "model=threads"}
IO_BASE = "blocking"
WORKLOADS = {"disk": "pool_mb=%d" % DISK_POOL_MB, "cached": ""}
ACCEPT_LIMITS = (1, 8, 0)
ACCEPT_CONNS = (64, 512)
LAIO_FIELDS = ("calls", "fast", "blocked", "fallbacks")


def make_image(tmp):
    files = {"f%d.bin" % i: MIB for i in range(DISK_FILES)}
    files["k1.bin"] = 1024
    _, img = web.site_image(tmp, files, seed=13)
    lua = benchlib.random_paths_script(tmp, "f", DISK_FILES, seed=3)
    return img, lua


def stats(ns):
    return benchlib.petrel_stats(ns, GUEST_ADDR)


def measure(ns, img, append, points, seconds):
    """Boot with `append`, then run each (label, path, conns, script)."""
    g = Guest(ns, "petrel", img, mem="256M",
              extra_append=append + " idle_timeout_ms=120000")
    g.start()
    try:
        g.wait_http("/k1.bin", timeout=120)
        if not g.find_vcpu_tid():
            raise RuntimeError("no vCPU thread found in QEMU")
        out = {}
        for label, path, conns, script in points:
            s0, c0 = stats(ns), g.cpu_seconds()
            m = benchlib.wrk(ns, "http://%s%s" % (GUEST_ADDR, path), conns,
                             seconds, script=script, timeout_s=30)
            s1, c1 = stats(ns), g.cpu_seconds()
            n = max(m["requests"], 1)
            m["vcpu_us_per_req"] = (c1["vcpu"] - c0["vcpu"]) * 1e6 / n
            for f in LAIO_FIELDS:
                m["laio_%s_per_req" % f] = (s1["laio"][f] -
                                            s0["laio"][f]) / n
            m["accept_deferred"] = (s1["conn"]["accept_deferred"] -
                                    s0["conn"]["accept_deferred"])
            out[label] = m
        return out
    finally:
        g.stop()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run_rounds(ns, img, configs, points, rounds, seconds):
    """{name: {label: medians}} over alternating rounds."""
    runs = {name: [] for name in configs}
    order = list(configs)
    for rnd in range(rounds):
        for name in (order if rnd % 2 == 0 else order[::-1]):
            print("round %d/%d: %s" % (rnd + 1, rounds, name), flush=True)
            runs[name].append(measure(ns, img, configs[name], points,
                                      seconds))
    return {name: {label: {k: median(r[label][k] for r in rs)
                           for k in rs[0][label]}
                   for label in rs[0]}
            for name, rs in runs.items()}


def report(title, med, base):
    print("\n%s (medians)" % title)
    print("%-22s %-12s %9s %8s %9s %9s %8s %8s" % (
        "config", "point", "req/s", "MB/s", "p99 ms", "vCPU us/r",
        "fast/r", "block/r"))
    ratios = []
    for name, points in med.items():
        for label, m in points.items():
            print("%-22s %-12s %9.0f %8.1f %9.0f %9.0f %8.2f %8.2f" % (
                name, label, m["rps"], m["mbps"], m["p99_ms"] or 0,
                m["vcpu_us_per_req"], m["laio_fast_per_req"],
                m["laio_blocked_per_req"]))
    print("ratios against %s:" % base)
    for name, points in med.items():
        if name == base:
            continue
        for label, m in points.items():
            b = med[base][label]
            row = {"config": name, "point": label,
                   "rps": m["rps"] / max(b["rps"], 1e-9),
                   "mbps": m["mbps"] / max(b["mbps"], 1e-9),
                   "p99": ((m["p99_ms"] / b["p99_ms"])
                           if m["p99_ms"] and b["p99_ms"] else None),
                   "vcpu": (m["vcpu_us_per_req"] /
                            max(b["vcpu_us_per_req"], 1e-9))}
            ratios.append(row)
            print("  %-20s %-12s req/s x%.2f  MB/s x%.2f  p99 %s  "
                  "vCPU/req x%.2f" % (
                      name, label, row["rps"], row["mbps"],
                      "x%.2f" % row["p99"] if row["p99"] else "n/a",
                      row["vcpu"]))
    return ratios


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    args = ap.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        img, lua = make_image(tmp)
        io_configs = {"%s/%s" % (c, w): "%s %s" % (IO_CONFIGS[c], opt)
                      for w, opt in WORKLOADS.items() for c in IO_CONFIGS}
        io_med = {}
        for w in WORKLOADS:
            cfgs = {k: v for k, v in io_configs.items()
                    if k.endswith("/" + w)}
            points = [("%d conns" % IO_CONNS, "/f0.bin", IO_CONNS,
                       lua if w == "disk" else None)]
            med = run_rounds(ns, img, cfgs, points, args.rounds, args.seconds)
            io_med.update(med)
            results[w] = report("file I/O, %s workload" % w, med,
                                "%s/%s" % (IO_BASE, w))
        acc_cfgs = {"accept_limit=%d" % a: "accept_limit=%d" % a
                    for a in ACCEPT_LIMITS}
        acc_points = [("%d conns" % c, "/k1.bin", c, None)
                      for c in ACCEPT_CONNS]
        acc_med = run_rounds(ns, img, acc_cfgs, acc_points, args.rounds,
                             args.seconds)
        results["accept"] = report("accept strategies, 1 KiB cached",
                                   acc_med, "accept_limit=0")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "laio-%s.json" % time.strftime(
        "%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump({"rounds": args.rounds, "seconds": args.seconds,
                   "ratios": results, "io": io_med, "accept": acc_med},
                  f, indent=1)
    print("\nresults: %s" % path)


if __name__ == "__main__":
    main()
