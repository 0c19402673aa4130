#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Trace-driven page-cache comparison: cache_policy=lru against
cache_policy=gds (GreedyDual-Size) on one Zipf request trace (issue 16).

The site: files whose sizes follow a web-like distribution (SURGE,
Barford and Crovella 1998: a lognormal body with a Pareto tail, capped
at an eighth of the pool), drawn until the site holds about SITE_FACTOR
times the page-cache pool. The trace: requests over those files with
Zipf(alpha) popularity, popularity ranks shuffled independently of size.
Both come from --seed, so every run and both policies see the same
bytes and the same request sequence.

Each round boots a fresh guest with `pool_mb=N cache_policy=P`, rounds
alternating lru gds lru gds; CONNS keep-alive connections take requests
from the trace in order (a shared cursor), so each policy replays the
same sequence. The first --warmup requests fill the cache; over the rest
we measure the hit ratio (fs reads served wholly from the cache / fs
reads, a read being one send window of a response: 256 KiB by default),
the byte hit ratio (page-cache hit bytes / looked-up bytes), req/s, MB/s and guest vCPU time
per request, all as /_stats and /proc deltas. Every body is compared
with the generated file; a mismatch or an error fails the run. Printed:
per-policy medians and the GDS/LRU ratios; JSON under
$(BUILD)/bench-results/.

    tools/bench/cache_trace.py [--quick] [--rounds 2] [--pool-mb 8]

Every replay is bounded by the trace's length and by --replay-seconds.
Traffic goes only to 10.77.0.2 inside the namespace the run creates.
"""
import argparse
import bisect
import http.client
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from guest import Guest, Namespace, GUEST_ADDR, BUILD  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

POLICIES = ("lru", "gds")
SITE_FACTOR = 4         # site bytes / pool bytes
CONNS = 8
# SURGE's file-size model (bytes): lognormal body, Pareto tail.
BODY_MU, BODY_SIGMA = 9.357, 1.318
TAIL_SHARE, TAIL_ALPHA, TAIL_K = 0.07, 1.1, 133000
MIN_FILE = 16
REQUEST_TIMEOUT = 30    # s for one response
GUEST_MEM = "128M"
FULL = {"requests": 40000, "warmup": 10000, "replay_seconds": 240}
QUICK = {"requests": 3000, "warmup": 1000, "replay_seconds": 90}


def file_sizes(rng, total, max_file):
    """Sizes drawn from the web-like model until they add up to `total`."""
    sizes = []
    while sum(sizes) < total:
        if rng.random() < TAIL_SHARE:
            s = TAIL_K / (1.0 - rng.random()) ** (1.0 / TAIL_ALPHA)
        else:
            s = rng.lognormvariate(BODY_MU, BODY_SIGMA)
        sizes.append(int(min(max(s, MIN_FILE), max_file)))
    return sizes


def zipf_trace(rng, paths, alpha, count):
    """`count` paths, the i-th most popular with weight 1/i^alpha; which
    file holds which rank is shuffled (popularity independent of size)."""
    ranked = list(paths)
    rng.shuffle(ranked)
    cum = list(itertools.accumulate(1.0 / (i + 1) ** alpha
                                    for i in range(len(ranked))))
    return [ranked[bisect.bisect(cum, rng.random() * cum[-1])]
            for _ in range(count)]


def make_workload(tmp, pool_mb, alpha, requests, seed):
    """(files {"/name": bytes}, image path, trace [paths])."""
    rng = random.Random(seed)
    sizes = file_sizes(rng, SITE_FACTOR * pool_mb << 20,
                       (pool_mb << 20) // 8)
    names = {"f%04d.bin" % i: s for i, s in enumerate(sizes)}
    files, img = web.site_image(tmp, names, seed=seed)
    return files, img, zipf_trace(rng, sorted(files), alpha, requests)


class Replay:
    """CONNS keep-alive clients walking one trace in order, checking each
    body against `files`. Runs inside the namespace (ns.entered())."""

    def __init__(self, files, conns):
        self.files = files
        self.clients = [None] * conns
        self.lock = threading.Lock()

    def get(self, slot, path):
        """One GET on slot's connection; a connection the guest closed
        between two requests is reopened once."""
        for attempt in (0, 1):
            c = self.clients[slot]
            if c is None:
                c = self.clients[slot] = http.client.HTTPConnection(
                    GUEST_ADDR, 80, timeout=REQUEST_TIMEOUT)
            try:
                c.request("GET", path)
                r = c.getresponse()
                return r.status, r.read(), attempt
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError):
                self.drop(slot)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def drop(self, slot):
        if self.clients[slot]:
            self.clients[slot].close()
            self.clients[slot] = None

    def run(self, trace, deadline):
        """Replay `trace`; stop early at `deadline` (monotonic). Returns
        counts: requests, bytes, bad (status or body wrong), errors,
        reconnects, seconds, done (whole trace replayed)."""
        cursor = iter(trace)
        out = {"requests": 0, "bytes": 0, "bad": 0, "errors": 0,
               "reconnects": 0, "first_bad": None}

        def worker(slot):
            while time.monotonic() < deadline:
                with self.lock:
                    path = next(cursor, None)
                if path is None:
                    return
                try:
                    status, body, retried = self.get(slot, path)
                    ok = status == 200 and body == self.files[path]
                except (OSError, http.client.HTTPException) as e:
                    # A timed-out or half-read connection is not reused.
                    self.drop(slot)
                    ok, body, retried = False, b"", 0
                    status = repr(e)
                    with self.lock:
                        out["errors"] += 1
                with self.lock:
                    out["requests"] += 1
                    out["bytes"] += len(body)
                    out["reconnects"] += retried
                    if not ok:
                        out["bad"] += 1
                        out["first_bad"] = out["first_bad"] or (
                            "%s: status %s, %d bytes (file %d)"
                            % (path, status, len(body),
                               len(self.files[path])))
        t0 = time.monotonic()
        threads = [threading.Thread(target=worker, args=(i,))
                   for i in range(len(self.clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(deadline - time.monotonic(), 0) + 2 * REQUEST_TIMEOUT)
        out["seconds"] = time.monotonic() - t0
        out["done"] = out["requests"] == len(trace)
        return out

    def close(self):
        for c in self.clients:
            if c:
                c.close()


def deltas(s0, s1):
    """The cache figures between two /_stats snapshots."""
    def d(group, key):
        return s1[group][key] - s0[group][key]
    reads, hits = d("fs", "reads"), d("fs", "read_hits")
    hb, mb = d("pcache", "hit_bytes"), d("pcache", "miss_bytes")
    return {"fs_reads": reads, "fs_read_hits": hits,
            "hit_ratio": hits / reads if reads else None,
            "byte_hit_ratio": hb / (hb + mb) if hb + mb else None,
            "hit_bytes": hb, "miss_bytes": mb,
            "disk_requests": d("fs", "disk_requests"),
            "disk_bytes": d("fs", "disk_bytes"),
            "evictions": d("pcache", "evictions")}


def measure(ns, img, files, trace, warmup, policy, pool_mb,
            replay_seconds):
    """Boot with `policy`, replay the warm-up, then measure the rest."""
    g = Guest(ns, "petrel", img, mem=GUEST_MEM,
              extra_append="pool_mb=%d cache_policy=%s "
              "idle_timeout_ms=120000" % (pool_mb, policy))
    g.start()
    replay = Replay(files, CONNS)
    try:
        g.wait_http("/_stats", timeout=120)
        if not g.find_vcpu_tid():
            raise RuntimeError("no vCPU thread found in QEMU")
        with ns.entered():
            st = web.stats()
            if st["pcache"]["policy"] != policy:
                raise RuntimeError("guest reports policy %r, booted with "
                                   "%r" % (st["pcache"]["policy"], policy))
            deadline = time.monotonic() + replay_seconds
            warm = replay.run(trace[:warmup], deadline)
            s0, c0 = web.stats(), g.cpu_seconds()
            meas = replay.run(trace[warmup:], deadline)
            s1, c1 = web.stats(), g.cpu_seconds()
    finally:
        replay.close()
        g.stop()
    n = max(meas["requests"], 1)
    m = deltas(s0, s1)
    m.update(requests=meas["requests"], seconds=meas["seconds"],
             rps=meas["requests"] / meas["seconds"],
             mbps=meas["bytes"] / meas["seconds"] / 1e6,
             vcpu_us_per_req=(c1["vcpu"] - c0["vcpu"]) * 1e6 / n,
             disk_kib_per_req=m["disk_bytes"] / 1024 / n,
             complete=warm["done"] and meas["done"],
             bad=warm["bad"] + meas["bad"],
             errors=warm["errors"] + meas["errors"],
             reconnects=warm["reconnects"] + meas["reconnects"],
             verified=warm["requests"] + meas["requests"] - warm["bad"] -
             meas["bad"], first_bad=warm["first_bad"] or meas["first_bad"],
             policy_reported=policy)
    return m


FIGURES = ("hit_ratio", "byte_hit_ratio", "rps", "mbps", "vcpu_us_per_req",
           "disk_kib_per_req", "disk_requests", "evictions")


def report(med):
    print("\npage-cache policies on one Zipf trace (medians)")
    print("%-6s %9s %9s %8s %7s %10s %11s %9s" % (
        "policy", "hit ratio", "byte hit", "req/s", "MB/s", "vCPU us/r",
        "disk KiB/r", "evictions"))
    for p in POLICIES:
        m = med[p]
        print("%-6s %9.3f %9.3f %8.0f %7.1f %10.0f %11.1f %9.0f" % (
            p, m["hit_ratio"] or 0, m["byte_hit_ratio"] or 0, m["rps"],
            m["mbps"], m["vcpu_us_per_req"], m["disk_kib_per_req"],
            m["evictions"]))
    ratios = {k: (med["gds"][k] / med["lru"][k]
                  if med["gds"][k] is not None and med["lru"][k] else None)
              for k in FIGURES}
    print("GDS/LRU: " + "  ".join(
        "%s x%.3f" % (k, v) if v is not None else "%s n/a" % k
        for k, v in ratios.items()))
    return ratios


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="short trace: %(requests)d requests, %(warmup)d "
                    "of them warm-up" % QUICK)
    ap.add_argument("--rounds", type=int, default=2,
                    help="boots of each policy, alternating")
    ap.add_argument("--pool-mb", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=0.9, help="Zipf alpha")
    ap.add_argument("--requests", type=int, help="trace length")
    ap.add_argument("--warmup", type=int, help="requests before measuring")
    ap.add_argument("--replay-seconds", type=int,
                    help="bound on one boot's replay")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(BUILD, "bench-results"))
    args = ap.parse_args(argv)
    preset = QUICK if args.quick else FULL
    requests = args.requests or preset["requests"]
    warmup = preset["warmup"] if args.warmup is None else args.warmup
    replay_seconds = args.replay_seconds or preset["replay_seconds"]
    if not 0 <= warmup < requests or args.rounds < 1 or args.pool_mb < 4:
        ap.error("need 0 <= warmup < requests, rounds >= 1, pool >= 4 MiB")
    progress = benchlib.Progress()
    runs = {p: [] for p in POLICIES}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        files, img, trace = make_workload(tmp, args.pool_mb, args.alpha,
                                          requests, args.seed)
        site = sum(len(b) for b in files.values())
        measured = trace[warmup:]
        distinct = len(set(measured))
        progress("site: %d files, %.1f MiB (%.1fx the %d MiB pool), "
                 "largest %d B; trace: %d requests (%d warm-up), alpha %.2f,"
                 " %d files touched after warm-up; namespace %s",
                 len(files), site / 2**20, site / (args.pool_mb << 20),
                 args.pool_mb, max(len(b) for b in files.values()),
                 requests, warmup, args.alpha, distinct, ns.name)
        for rnd in range(args.rounds):
            for policy in POLICIES:
                m = measure(ns, img, files, trace, warmup, policy,
                            args.pool_mb, replay_seconds)
                runs[policy].append(m)
                progress("round %d/%d %s: %d requests, hit %.3f, byte hit "
                         "%.3f, %.0f req/s, %.0f vCPU us/req, %d bad, "
                         "%d errors%s", rnd + 1, args.rounds, policy,
                         m["requests"], m["hit_ratio"] or 0,
                         m["byte_hit_ratio"] or 0, m["rps"],
                         m["vcpu_us_per_req"], m["bad"], m["errors"],
                         "" if m["complete"] else " (replay cut by time)")
    med = {p: {k: benchlib.median(r[k] for r in rs) for k in FIGURES}
           for p, rs in runs.items()}
    ratios = report(med)
    bad = sum(r["bad"] for rs in runs.values() for r in rs)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "cache-trace-%s.json"
                        % time.strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump({"schema": "petrel-cache-trace/1",
                   "config": {"pool_mb": args.pool_mb, "alpha": args.alpha,
                              "requests": requests, "warmup": warmup,
                              "rounds": args.rounds, "conns": CONNS,
                              "seed": args.seed, "files": len(files),
                              "site_bytes": site,
                              "measured_distinct_files": distinct,
                              "replay_seconds": replay_seconds},
                   "medians": med, "ratios": ratios, "runs": runs},
                  f, indent=1)
    print("results: %s" % path)
    if bad:
        first = next(r["first_bad"] for rs in runs.values() for r in rs
                     if r["first_bad"])
        print("FAIL: %d responses wrong, first: %s" % (bad, first))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
