#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Request priorities (issue 18): urgent cold requests under a
low-priority flood, prio=on against prio=off, in one run.

The flood (tools/harness/prioload.py): 64 client threads each GETting
distinct 1 MiB files one after another on fresh connections with
`Priority: u=7`; every file is read once per boot, so every read is cold.
The trickle: one cold 64 KiB file every 0.25 s with `Priority: u=0`, each
on a fresh connection; every body is checked byte for byte. (wrk's
keep-alive flood at 64 connections on this throttled disk stalls the
guest, prio=off and main's kernel alike.) The disk is QEMU's throttled
(seek-bound: iops) drive, as in tests/integration/test_prio.py. Resets
of flood connections (responses starved past their no-progress
deadline) are counted, a wrong body ends the run. Configurations alternate over the
rounds; printed: the trickle's p50/p99 (client) and mean (guest,
/_stats prio.u0), the flood's MB/s and the disk counters, medians over
rounds, and the p99 ratio on/off (target: at most 1/5).

    tools/bench/prio.py [--rounds 2] [--seconds 20] [--conns 64]

Traffic goes only to 10.77.0.2 inside the namespace the run creates.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import netns  # noqa: E402
import prioload  # noqa: E402
import web  # noqa: E402

LOW_FILES = 300
HIGH_FILES = 100
DISK_IOPS = 40
DISK_BPS = 32 << 20
INTERVAL = 0.25
CONFIGS = {"on": "prio=on", "off": "prio=off"}


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def measure(ns, tmp, site, append, conns, seconds):
    files, img, low, high = site
    g = web.start_guest(ns, tmp, img, append,
                        disk=prioload.throttled_disk(img, DISK_IOPS,
                                                     DISK_BPS))
    try:
        assert web.fetch("/warm.txt")[0] == 200
        t0 = time.monotonic()
        out = prioload.run(files, low, high, conns, INTERVAL, seconds,
                           queue_depth=conns // 4, warmup=2.0)
        took = time.monotonic() - t0
        pr = web.stats()["prio"]
        # A wrong body ends the run; a reset (a starved low-priority
        # response passing its no-progress deadline) is counted.
        wrong = [e for e in out["errors"] if "bytes" in e]
        if wrong:
            raise RuntimeError(wrong[:5])
        lat, u0, u7 = out["high"], pr["u0"], pr["u7"]
        return {"p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
                "n": len(lat),
                "guest_u0_ms": u0["response_us"] / max(u0["responses"], 1)
                / 1e3,
                "guest_u7_ms": u7["response_us"] / max(u7["responses"], 1)
                / 1e3,
                "flood_mbps": out["low_done"] * prioload.LOW_SIZE / took
                / 1e6,
                "errors": len(out["errors"]),
                "u0_jumped": u0["disk_jumped"],
                "u7_overtaken": u7["disk_overtaken"],
                "u7_aged": u7["disk_aged"]}
    finally:
        g.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--conns", type=int, default=64)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="petrel-prio-")
    site = prioload.site(tmp, LOW_FILES, HIGH_FILES)
    runs = {name: [] for name in CONFIGS}
    ns = netns.NetNS(prefix="petrel-prio").create()
    try:
        with ns.entered():
            for rnd in range(a.rounds):
                order = list(CONFIGS) if rnd % 2 == 0 else \
                    list(CONFIGS)[::-1]
                for name in order:
                    print("round %d/%d: prio=%s" % (rnd + 1, a.rounds,
                                                    name), flush=True)
                    m = measure(ns, os.path.join(tmp, "r%d%s" % (rnd, name)),
                                site, CONFIGS[name], a.conns, a.seconds)
                    print("  " + ", ".join("%s %.1f" % kv for kv in
                                           sorted(m.items())), flush=True)
                    runs[name].append(m)
    finally:
        ns.destroy()
    med = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for name, rs in runs.items()}
    print("\nurgent cold 64 KiB requests under a u=7 flood of cold 1 MiB "
          "files at %d connections (medians of %d rounds)" % (a.conns,
                                                              a.rounds))
    print("%-6s %8s %8s %10s %10s %10s %9s %9s %7s" % (
        "prio", "p50 ms", "p99 ms", "guest u0", "guest u7", "flood MB/s",
        "u0 jump", "u7 aged", "resets"))
    for name, m in med.items():
        print("%-6s %8.0f %8.0f %10.0f %10.0f %10.1f %9.0f %9.0f %7.0f" % (
            name, m["p50_ms"], m["p99_ms"], m["guest_u0_ms"],
            m["guest_u7_ms"], m["flood_mbps"], m["u0_jumped"],
            m["u7_aged"], m["errors"]))
    ratio = med["on"]["p99_ms"] / max(med["off"]["p99_ms"], 1e-9)
    print("p99 on/off: %.2f (target <= 0.20: %s)"
          % (ratio, "met" if ratio <= 0.2 else "not met"))


if __name__ == "__main__":
    main()
