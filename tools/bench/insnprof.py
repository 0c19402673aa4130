#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Guest instructions per request by function, exact, for two or more
boot configurations (default trace=off and trace=on), and where they
differ: where a feature's instructions go, counted, not guessed.

Each configuration boots the unikernel at -smp 1 under TCG with the
plugin tools/bench/insnprof.c (built here with gcc into
$BUILD/insnprof.so), warms it with 1 s of wrk, then counts every
translated block's executions over a bounded wrk run of 1 KiB GETs
(--seconds, --conns) and maps each instruction's address to its function
with nm. Counts are per request served (/_stats), so two configurations
compare directly; the first is the base of the difference table.

    tools/bench/insnprof.py [--seconds 3] [--conns 16] [--top 25]
                            [--out DIR] [APPEND ...]

APPEND: kernel options of one configuration each ("trace=off",
"trace=on"). The batching of requests moves with host load, so
functions of the request path outside the feature differ by a few
instructions between runs; the feature's own functions do not. Traffic
goes only to 10.77.0.2 inside the benchmark's namespace.
"""
import argparse
import bisect
import collections
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from guest import Guest, Namespace, GUEST_ADDR, BUILD  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_SRC = os.path.join(HERE, "insnprof.c")
PLUGIN = os.path.join(BUILD, "insnprof.so")
ELF = os.path.join(BUILD, "petrel.elf")  # the 64-bit kernel, its symbols
PATH = "/k1.bin"
DUMP_TIMEOUT = 30  # s for the plugin to write a snapshot


def build_plugin():
    if (os.path.exists(PLUGIN) and
            os.path.getmtime(PLUGIN) >= os.path.getmtime(PLUGIN_SRC)):
        return
    subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra",
                    "-Werror", "-fvisibility=hidden", "-o", PLUGIN,
                    PLUGIN_SRC, "-lpthread"], check=True, timeout=120)


class Symbols:
    """Guest address -> the function that holds it (nm -n)."""

    def __init__(self, elf):
        out = subprocess.run(["nm", "-n", elf], capture_output=True,
                             text=True, check=True, timeout=60).stdout
        self.syms = [(int(p[0], 16), p[2]) for p in
                     (line.split() for line in out.splitlines())
                     if len(p) == 3 and p[1] in "tTwW"]
        self.addrs = [a for a, _ in self.syms]

    def __call__(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.syms[i][1] if i >= 0 else "?"


class ProfiledGuest(Guest):
    """The benchmark guest with the counting plugin loaded."""

    def __init__(self, ns, image, append, out):
        super().__init__(ns, "petrel", image, mem="256M",
                         extra_append=append)
        self.out = out

    def cpu_args(self):
        return super().cpu_args() + ["-plugin",
                                     "%s,out=%s" % (PLUGIN, self.out)]


def snapshot(out, seq):
    """{block id: (count, [pc, ...])} of the plugin's dump number seq."""
    path = "%s.%d" % (out, seq)
    open(out + ".req", "w").close()
    deadline = time.monotonic() + DUMP_TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError("the plugin wrote no %s" % path)
        time.sleep(0.02)
    blocks = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            blocks[p[0]] = (int(p[1]), [int(x, 16) for x in p[2:]])
    return blocks


def profile(ns, image, append, seconds, conns, tmp, sym):
    """({function: instructions per request}, requests served)."""
    out = os.path.join(tmp, "blocks-%d" % abs(hash(append)))
    g = ProfiledGuest(ns, image, append, out)
    g.start()
    try:
        g.wait_http(PATH, timeout=90)
        url = "http://%s%s" % (GUEST_ADDR, PATH)
        benchlib.wrk(ns, url, conns, 1)
        s0 = benchlib.petrel_stats(ns, GUEST_ADDR)
        before = snapshot(out, 0)
        m = benchlib.wrk(ns, url, conns, seconds)
        after = snapshot(out, 1)
        s1 = benchlib.petrel_stats(ns, GUEST_ADDR)
    finally:
        g.stop()
    if m["errors"]:
        raise RuntimeError("%s: %d failed requests" % (append, m["errors"]))
    served = max(s1["http"]["requests"] - s0["http"]["requests"], 1)
    per = collections.Counter()
    for block, (count, pcs) in after.items():
        ran = count - before.get(block, (0,))[0]
        for pc in pcs if ran else ():
            per[sym(pc)] += ran
    return {f: n / served for f, n in per.items()}, served


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="*", metavar="APPEND",
                    default=["trace=off", "trace=on"])
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--top", type=int, default=25,
                    help="functions shown per table")
    args = ap.parse_args(argv)
    if args.seconds < 1 or args.conns < 1 or args.top < 1:
        ap.error("--seconds, --conns and --top must be at least 1")
    build_plugin()
    sym = Symbols(ELF)
    prof = {}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        image = web.site_image(tmp, {PATH[1:]: 1024}, seed=5)[1]
        for append in args.configs:
            prof[append], served = profile(ns, image, append, args.seconds,
                                           args.conns, tmp, sym)
            print("%-24s %8d requests, %9.0f instructions/request"
                  % (append, served, sum(prof[append].values())),
                  flush=True)
    base = args.configs[0]
    for append in args.configs[1:]:
        a, b = prof[base], prof[append]
        diff = {f: b.get(f, 0) - a.get(f, 0) for f in set(a) | set(b)}
        print("\n%s minus %s: %+.0f instructions/request"
              % (append, base, sum(diff.values())))
        print("%10s %10s %10s  %s" % ("diff", base[:10], append[:10],
                                       "function"))
        for f in sorted(diff, key=lambda f: -abs(diff[f]))[:args.top]:
            print("%+10.1f %10.1f %10.1f  %s" % (diff[f], a.get(f, 0),
                                                 b.get(f, 0), f))
    if len(args.configs) == 1:
        print("\n%10s  %s" % (base[:10], "function"))
        for f, n in sorted(prof[base].items(), key=lambda x: -x[1])[
                :args.top]:
            print("%10.1f  %s" % (n, f))


if __name__ == "__main__":
    main()
