#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Accept strategies under connection churn (issue 19; Brecht, Pariag and
Gammo, "accept()able Strategies for Improving Web Server Performance",
USENIX 2004).

httperf, the paper's load generator, offers sessions at a fixed rate from
inside the benchmark namespace to the guest at 10.77.0.2 (nothing else):

  churn  one request per connection (Connection: close, so the server
         closes first and keeps the TIME_WAIT, as HTTP/1.0 servers did);
  mix    sessions of 2-4 requests on one persistent connection, which
         the client closes after the last reply.

Files of 1-16 KiB in a SPECweb99-like mix (class 1 sizes, 1-9 KiB, are
85% of the requests, 10-16 KiB the rest; within a class, smaller files
are more popular). For each server model (event, threads) the saturation
point is found first (accept_limit=0, rates raised by 1.5x until the
reply rate fails to follow twice in a row; the best rate seen), then every accept_limit (0, 1, 8, 64) is
offered 0.5x, 1x, 1.5x, 2x and 3x of it, each guest booted afresh, the
configurations alternated across rounds (A B C D, then D C B A); medians.

Per point: replies/s (replies / httperf's test duration), p50 and p99
connection time (merged from httperf's connection-lifetime histogram,
1 ms bins, printed at -v -v), httperf's errors (client-timo, connrefused,
connreset, fd-unavail, addrunavail) and the guest's vCPU time per reply.
Offered load comes from CLIENTS httperf processes: one process can hold
only FD_SETSIZE (1024) sockets, and past saturation more connections
than that are outstanding. Each run is bounded by its session count,
httperf's --timeout, and a wall-clock guard.

The client namespace sets tcp_max_tw_buckets=0 and a wide port range: a
client that closes first (mix) would otherwise hold its ports for 60 s
and run out (addrunavail) long before the server does.

    tools/bench/accept.py [--quick] [--rounds 2] [--seconds 4]
                          [--models event,threads] [--limits 0,1,8,64]
                          [--loads 0.5,1,1.5,2,3] [--out build/bench]
                          [--saturation threads:mix=300,...]
    tools/bench/accept.py --report build/bench/accept-*.json

--quick: one round, limits 0 and 8, loads 0.5x and 2x, 1 s per point.
--saturation skips the search where the point is known; --report prints
the tables of a results file, also of a run that was stopped (the file is
saved after every configuration).
The machine is shared and TCG is slow: read the shape, not the digits.
"""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from guest import Guest, Namespace, GUEST_ADDR, BUILD  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

MODELS = ("event", "threads")
LIMITS = (0, 1, 8, 64)
LOADS = (0.5, 1.0, 1.5, 2.0, 3.0)
WORKLOADS = ("churn", "mix")
CLIENTS = 4                 # httperf processes (FD_SETSIZE each)
HTTPERF_TIMEOUT = 3.0       # s without progress: the connection failed
GUARD_SLACK = 30            # s beyond offering + timeouts: kill httperf
MEM = "128M"
# SPECweb99's class 1 (1-9 KiB) and the 10-16 KiB part of class 2.
CLASS1 = [k << 10 for k in range(1, 10)]
CLASS2 = [k << 10 for k in (10, 12, 14, 16)]
CLASS1_SHARE = 0.85
SESSIONS_IN_LOG = 900       # distinct sessions (httperf: < 1000); cycled
MIX_CALLS = (2, 4)          # requests per mix session, uniform
SEARCH_START = 300          # sessions/s, first saturation step
SEARCH_STEP = 1.5
SEARCH_STEPS = 9
SEARCH_KEEPS_UP = 0.9       # replies >= this share of offered: not saturated
SEARCH_FAILED_MAX = 0.01    # more sessions failed than this: saturated
SEARCH_MIN_S = 2            # seconds per search step at least
DRAIN_S = 16                # bound on waiting for idle (idle timeout 15 s)
# A guest back at idle: these return to their values after the warm-up.
IDLE_KEYS = (("http", "active"), ("conn", "active"), ("net", "tcp_active"),
             ("lwip_mem", "used"), ("conn", "queued_bytes"),
             ("kernel", "threads_live"))


def file_name(size):
    return "f%d.bin" % (size >> 10)


def make_image(tmp):
    return web.site_image(tmp, {file_name(s): s for s in CLASS1 + CLASS2},
                          seed=19)[1]


def pick_uri(rng):
    """One request of the mix: class, then a file, Zipf-like within it."""
    sizes = CLASS1 if rng.random() < CLASS1_SHARE else CLASS2
    weights = [1.0 / (i + 1) for i in range(len(sizes))]
    return "/" + file_name(rng.choices(sizes, weights)[0])


def write_session_log(folder, workload, seed=99):
    """httperf --wsesslog file: one request per session (churn) or 2-4
    requests one after the other (mix). Returns (path, mean calls)."""
    rng = random.Random(seed)
    path = os.path.join(folder, "%s.log" % workload)
    calls = 0
    with open(path, "w") as f:
        for _ in range(SESSIONS_IN_LOG):
            n = 1 if workload == "churn" else rng.randint(*MIX_CALLS)
            calls += n
            for _ in range(n):
                f.write(pick_uri(rng) + "\n")
            f.write("\n")
    return path, calls / SESSIONS_IN_LOG


def prepare_client(ns):
    """Client-side sysctls of our own namespace (see the docstring)."""
    r = ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_max_tw_buckets=0",
                "net.ipv4.ip_local_port_range=1024 65535"], timeout=20)
    if r.returncode != 0:
        raise RuntimeError("sysctl in the namespace: %s" % r.stderr)


_NUM = r"([\d.]+)"


def parse_httperf(out):
    """One httperf run's summary (httperf 0.9.0 -v -v output)."""
    m = re.search(r"Total: connections (\d+) requests (\d+) replies (\d+) "
                  r"test-duration " + _NUM + " s", out)
    if not m:
        raise ValueError("unexpected httperf output:\n%s" % out[-2000:])
    r = {"connections": int(m.group(1)), "requests": int(m.group(2)),
         "replies": int(m.group(3)), "duration_s": float(m.group(4))}
    m = re.search(r"Reply status: 1xx=(\d+) 2xx=(\d+) 3xx=(\d+) 4xx=(\d+) "
                  r"5xx=(\d+)", out)
    r["replies_2xx"] = int(m.group(2)) if m else 0
    r["replies_other"] = (sum(int(x) for x in m.groups()) - r["replies_2xx"]
                          if m else 0)
    errs = {}
    for line in re.findall(r"^Errors: (.*)$", out, re.M):
        for k, v in re.findall(r"([a-z-]+) (\d+)", line):
            errs[k.replace("-", "_")] = int(v)
    r["errors"] = errs
    m = re.search(r"Session rate \[sess/s\]: .*\((\d+)/(\d+)\)", out)
    r["sessions_ok"], r["sessions"] = ((int(m.group(1)), int(m.group(2)))
                                       if m else (None, None))
    hist = {}
    m = re.search(r"Connection lifetime histogram \(time in ms\):\n"
                  r"((?:\s*(?:[\d.]+\s+\d+|:)\n)*)", out)
    if m:
        for ms, n in re.findall(r"([\d.]+)\s+(\d+)", m.group(1)):
            hist[float(ms)] = hist.get(float(ms), 0) + int(n)
    r["lifetime_hist"] = hist
    m = re.search(r"Connection time \[ms\]: min " + _NUM + " avg " + _NUM
                  + " max " + _NUM + " median " + _NUM, out)
    r["conn_avg_ms"] = float(m.group(2)) if m else None
    return r


def percentile(hist, p):
    """The p-th percentile of a {bin ms: count} histogram (httperf's
    1 ms bins, named by their middle)."""
    total = sum(hist.values())
    if not total:
        return None
    want, seen = p / 100.0 * total, 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= want:
            return ms
    return max(hist)


def httperf(ns, log, rate, seconds, workload, timeout=HTTPERF_TIMEOUT):
    """Offer `rate` sessions/s for `seconds` from CLIENTS httperf
    processes in the namespace; their summaries merged."""
    sessions = max(1, int(round(rate * seconds / CLIENTS)))
    per_rate = rate / CLIENTS
    cmd = ["httperf", "-v", "-v", "--server", GUEST_ADDR, "--port", "80",
           "--timeout", "%g" % timeout, "--max-connections", "1",
           "--rate", "%.3f" % per_rate,
           "--wsesslog", "%d,0,%s" % (sessions, log)]
    if workload == "churn":
        cmd += ["--add-header", "Connection: close\\n"]
    guard = seconds + timeout * (MIX_CALLS[1] + 1) + GUARD_SLACK
    procs = [subprocess.Popen(ns.exec_prefix() + cmd + ["--client",
                                                         "%d/%d" % (i,
                                                                    CLIENTS)],
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for i in range(CLIENTS)]
    outs = []
    deadline = time.monotonic() + guard
    try:
        for p in procs:
            try:
                out, _ = p.communicate(
                    timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise RuntimeError("httperf ran past its %.0f s guard"
                                   % guard)
            if p.returncode != 0:
                raise RuntimeError("httperf status %d:\n%s"
                                   % (p.returncode, out[-2000:]))
            outs.append(out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    parts = [parse_httperf(o) for o in outs]
    total = {k: sum(p[k] for p in parts)
             for k in ("connections", "requests", "replies", "replies_2xx",
                       "replies_other")}
    total["duration_s"] = max(p["duration_s"] for p in parts)
    total["sessions"] = sum(p["sessions"] or 0 for p in parts)
    total["sessions_ok"] = sum(p["sessions_ok"] or 0 for p in parts)
    errs = {}
    hist = {}
    for p in parts:
        for k, v in p["errors"].items():
            errs[k] = errs.get(k, 0) + v
        for k, v in p["lifetime_hist"].items():
            hist[k] = hist.get(k, 0) + v
    total["errors"] = errs
    total["offered_sessions_per_s"] = rate
    total["reply_rate"] = total["replies"] / max(total["duration_s"], 1e-9)
    total["p50_ms"] = percentile(hist, 50)
    total["p99_ms"] = percentile(hist, 99)
    total["hist_conns"] = sum(hist.values())
    return total


STATS_FETCHES = [0]     # /_stats GETs so far: each is one 200 served


def stats(ns):
    """The guest's /_stats. Its own 200 is counted once it is answered,
    so in a later snapshot, not in this one."""
    STATS_FETCHES[0] += 1
    return benchlib.petrel_stats(ns, GUEST_ADDR)


def idle_view(st):
    return {"%s.%s" % k: st[k[0]][k[1]] for k in IDLE_KEYS}


def wait_idle(ns, baseline):
    """Wait (bounded) until the guest's connection state is back to the
    warm-up's idle values; returns (seconds waited, what is still off)."""
    t0 = time.monotonic()
    while True:
        view = idle_view(stats(ns))
        off = {k: v for k, v in view.items() if v > baseline[k]}
        if not off or time.monotonic() - t0 > DRAIN_S:
            return time.monotonic() - t0, off
        time.sleep(0.5)


def boot(ns, img, model, limit):
    g = Guest(ns, "petrel", img, mem=MEM,
              extra_append="model=%s accept_limit=%d" % (model, limit))
    g.start()
    try:
        g.wait_http("/" + file_name(CLASS1[0]), timeout=60)
        if not g.find_vcpu_tid():
            raise RuntimeError("no vCPU thread found in QEMU")
        for s in CLASS1 + CLASS2:   # page cache warm: no disk in the runs
            status, n = benchlib.fetch(ns, "http://%s/%s"
                                       % (GUEST_ADDR, file_name(s)))
            if status != 200 or n != s:
                raise RuntimeError("warm-up %s: %d, %d bytes"
                                   % (file_name(s), status, n))
    except BaseException:
        g.stop()
        raise
    return g


def point(ns, g, log, rate, seconds, workload, baseline):
    s0, c0 = stats(ns), g.cpu_seconds()
    fetches0 = STATS_FETCHES[0]
    m = httperf(ns, log, rate, seconds, workload)
    drain_s, off = wait_idle(ns, baseline)
    s1, c1 = stats(ns), g.cpu_seconds()
    served = (s1["http"]["status"].get("200", 0)
              - s0["http"]["status"].get("200", 0))
    m.update(
        # minus the /_stats answers: s0's and wait_idle's, not s1's
        guest_200=served - (STATS_FETCHES[0] - fetches0),
        vcpu_us_per_reply=((c1["vcpu"] - c0["vcpu"]) * 1e6
                           / max(m["replies"], 1)),
        # model=threads with no heap for a connection's thread: a 503
        guest_503=(s1["http"]["status"].get("503", 0)
                   - s0["http"]["status"].get("503", 0)),
        guest_no_thread=(s1["http"]["thread_setup_failed"]
                         - s0["http"]["thread_setup_failed"]),
        guest_refused=s1["conn"]["refused"] - s0["conn"]["refused"],
        guest_resets=s1["conn"]["resets"] - s0["conn"]["resets"],
        accept_deferred=(s1["conn"]["accept_deferred"]
                         - s0["conn"]["accept_deferred"]),
        tw_recycled=(s1["net"]["tcp_time_wait_recycled"]
                     - s0["net"]["tcp_time_wait_recycled"]),
        tw_reopened=(s1["net"]["tcp_time_wait_reopened"]
                     - s0["net"]["tcp_time_wait_reopened"]),
        drain_s=drain_s, not_idle=off)
    return m


def find_saturation(ns, img, model, logs, seconds, steps, progress):
    """Sessions/s each workload peaks at (accept_limit=0): the best
    session completion rate while raising the offer by SEARCH_STEP."""
    g = boot(ns, img, model, 0)
    try:
        baseline = idle_view(stats(ns))
        sat = {}
        for wl, (log, calls) in logs.items():
            rate, best, trace, behind = SEARCH_START, 0.0, [], 0
            for _ in range(steps):
                m = point(ns, g, log, rate, max(seconds, SEARCH_MIN_S), wl,
                          baseline)
                got = m["reply_rate"] / calls
                failed = m["sessions"] - m["sessions_ok"]
                trace.append((rate, round(got, 1), failed))
                progress("search %s %s: offered %.0f sess/s -> %.0f "
                         "(%.0f replies/s)", model, wl, rate, got,
                         m["reply_rate"])
                best = max(best, got)
                # Two steps behind in a row: one may be the host's noise.
                if (got < SEARCH_KEEPS_UP * rate or
                        failed > SEARCH_FAILED_MAX * m["sessions"]):
                    behind += 1
                    if behind == 2:
                        break
                else:
                    behind = 0
                rate *= SEARCH_STEP
            sat[wl] = {"sessions_per_s": best, "trace": trace}
        return sat
    finally:
        g.stop()


def measure(ns, img, model, limit, logs, sat, loads, seconds, progress):
    g = boot(ns, img, model, limit)
    try:
        baseline = idle_view(stats(ns))
        res = {}
        for wl, (log, _) in logs.items():
            res[wl] = {}
            for load in loads:
                rate = load * sat[wl]["sessions_per_s"]
                m = point(ns, g, log, rate, seconds, wl, baseline)
                progress("%s limit=%d %s %.1fx (%.0f sess/s): %.0f "
                         "replies/s p50 %s p99 %s ms errors %s%s",
                         model, limit, wl, load, rate, m["reply_rate"],
                         m["p50_ms"], m["p99_ms"],
                         {k: v for k, v in m["errors"].items()
                          if v and k != "total"},
                         " NOT IDLE %s" % m["not_idle"]
                         if m["not_idle"] else "")
                res[wl]["%g" % load] = m
        return res
    finally:
        g.stop()


NUMERIC = ("reply_rate", "p50_ms", "p99_ms", "vcpu_us_per_reply",
           "replies", "guest_200", "guest_refused", "guest_resets",
           "accept_deferred", "tw_recycled", "drain_s")
ERRORS = ("client_timo", "connrefused", "connreset", "fd_unavail",
          "addrunavail")


def medians(runs):
    """{model: {limit: {wl: {load: {key: median}}}}} over the rounds."""
    out = {}
    for (model, limit), rr in runs.items():
        per = out.setdefault(model, {}).setdefault(str(limit), {})
        for wl in rr[0]:
            per[wl] = {}
            for load in rr[0][wl]:
                pts = [r[wl][load] for r in rr]
                m = {k: benchlib.median(p[k] for p in pts) for k in NUMERIC}
                for e in ERRORS:
                    m[e] = benchlib.median(p["errors"].get(e, 0)
                                           for p in pts)
                m["offered"] = pts[0]["offered_sessions_per_s"]
                m["not_idle"] = [p["not_idle"] for p in pts if p["not_idle"]]
                per[wl][load] = m
    return out


def degradation(med, loads):
    """Per model, workload and limit: the peak reply rate, the load it
    came at, and the share of it kept at the highest offered load."""
    rows = []
    top = "%g" % max(loads)
    for model, per in med.items():
        for limit, wls in per.items():
            for wl, pts in wls.items():
                peak_load = max(pts, key=lambda k: pts[k]["reply_rate"])
                peak = pts[peak_load]["reply_rate"]
                rows.append({"model": model, "limit": int(limit),
                             "workload": wl, "peak": peak,
                             "peak_load": peak_load,
                             "at_top": pts[top]["reply_rate"],
                             "kept": (pts[top]["reply_rate"] / peak
                                      if peak else None)})
    return rows


def report(med, sat, rows, loads, args):
    print("\nmedians over %d rounds, %d s of offered load per point, %d "
          "httperf clients, --timeout %g" % (args.rounds, args.seconds,
                                              CLIENTS, HTTPERF_TIMEOUT))
    for model in med:
        for wl in WORKLOADS:
            if wl not in sat.get(model, {}):
                continue
            print("\n%s, %s (saturation %.0f sessions/s)" % (
                model, wl, sat[model][wl]["sessions_per_s"]))
            print("%5s %5s %8s %9s %8s %8s %7s %7s %7s %7s %9s" % (
                "limit", "load", "offered", "replies/s", "p50 ms", "p99 ms",
                "timo", "refused", "reset", "fd-un", "vCPU us/r"))
            for limit in med[model]:
                for load, m in med[model][limit][wl].items():
                    print("%5s %5s %8.0f %9.0f %8s %8s %7.0f %7.0f %7.0f "
                          "%7.0f %9.1f" % (
                              limit, load + "x", m["offered"],
                              m["reply_rate"],
                              "-" if m["p50_ms"] is None
                              else "%.0f" % m["p50_ms"],
                              "-" if m["p99_ms"] is None
                              else "%.0f" % m["p99_ms"],
                              m["client_timo"], m["connrefused"],
                              m["connreset"], m["fd_unavail"],
                              m["vcpu_us_per_reply"]))
    print("\npeak and degradation (kept = replies/s at %gx / peak)"
          % max(loads))
    for r in rows:
        print("  %-7s %-5s limit=%-3d peak %6.0f replies/s at %sx, "
              "%6.0f at %gx: kept %5.1f%%" % (
                  r["model"], r["workload"], r["limit"], r["peak"],
                  r["peak_load"], r["at_top"], max(loads),
                  100 * (r["kept"] or 0)))


class _Terminated(Exception):
    pass


def _on_signal(signum, frame):
    raise _Terminated("signal %d" % signum)


def summarize(saved, progress=None):
    """Medians and degradation rows of a results dict (also a partial
    one, from a run that was stopped): only configurations with every
    round measured."""
    rounds = saved["rounds"]
    runs = {tuple(k.rsplit("/", 1)): r for k, r in saved["raw"].items()
            if len(r) >= rounds or saved.get("partial")}
    runs = {(m, int(lim)): r for (m, lim), r in runs.items() if r}
    med = medians(runs)
    return med, degradation(med, saved["loads"])


def save(path, saved):
    with open(path + ".tmp", "w") as f:
        json.dump(saved, f, indent=1)
    os.replace(path + ".tmp", path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="one round, limits 0 and 8, loads 0.5x and 2x, "
                    "1 s per point")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--seconds", type=int,
                    help="seconds of offered load per point")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--limits")
    ap.add_argument("--loads")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--out", default=os.path.join(BUILD, "bench"))
    ap.add_argument("--saturation", metavar="M:W=R,...",
                    help="skip the search for these: sessions/s for model "
                    "M and workload W (e.g. threads:mix=300)")
    ap.add_argument("--report", metavar="JSON",
                    help="print the tables of a results file (also one a "
                    "stopped run left, partial) and exit")
    args = ap.parse_args(argv)
    if args.report:
        with open(args.report) as f:
            saved = json.load(f)
        med, rows = summarize(saved)
        args.rounds, args.seconds = saved["rounds"], saved["seconds"]
        report(med, saved["saturation"], rows, saved["loads"], args)
        return
    q = args.quick
    args.rounds = args.rounds or (1 if q else 2)
    args.seconds = args.seconds or (1 if q else 4)
    models = args.models.split(",")
    limits = [int(x) for x in (args.limits or ("0,8" if q else ",".join(
        str(x) for x in LIMITS))).split(",")]
    loads = [float(x) for x in (args.loads or ("0.5,2" if q else ",".join(
        "%g" % x for x in LOADS))).split(",")]
    workloads = args.workloads.split(",")
    fixed = {}
    for item in (args.saturation.split(",") if args.saturation else []):
        try:
            key, rate = item.split("=")
            m, wl = key.split(":")
            fixed[(m, wl)] = float(rate)
        except ValueError:
            ap.error("--saturation: model:workload=sessions/s, not %r"
                     % item)
    if set(models) - set(MODELS) or set(workloads) - set(WORKLOADS):
        ap.error("models: %s; workloads: %s" % (MODELS, WORKLOADS))
    if args.rounds < 1 or args.seconds < 1 or not loads or not limits:
        ap.error("--rounds, --seconds >= 1; some loads and limits")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    progress = benchlib.Progress()
    configs = [(m, lim) for m in models for lim in limits]
    runs = {c: [] for c in configs}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "accept-%s.json"
                        % time.strftime("%Y%m%d-%H%M%S"))
    saved = {"rounds": args.rounds, "seconds": args.seconds,
             "clients": CLIENTS, "timeout_s": HTTPERF_TIMEOUT,
             "models": models, "limits": limits, "loads": loads,
             "workloads": workloads, "partial": True, "saturation": {},
             "raw": {"%s/%d" % c: r for c, r in runs.items()}}
    with tempfile.TemporaryDirectory() as tmp, Namespace() as ns:
        prepare_client(ns)
        img = make_image(tmp)
        logs = {wl: write_session_log(tmp, wl) for wl in workloads}
        saved["calls_per_session"] = {wl: c for wl, (_, c) in logs.items()}
        for m in models:
            given = {wl: r for (gm, wl), r in fixed.items() if gm == m}
            search = {wl: logs[wl] for wl in logs if wl not in given}
            saved["saturation"][m] = find_saturation(
                ns, img, m, search, args.seconds,
                4 if q else SEARCH_STEPS, progress) if search else {}
            for wl, r in given.items():
                saved["saturation"][m][wl] = {"sessions_per_s": r,
                                              "trace": "given"}
        sat = saved["saturation"]
        # Saved after every configuration: a stopped run can still be
        # read (--report).
        for rnd in range(args.rounds):
            for model, limit in (configs if rnd % 2 == 0
                                 else configs[::-1]):
                progress("round %d/%d: model=%s accept_limit=%d",
                         rnd + 1, args.rounds, model, limit)
                runs[(model, limit)].append(
                    measure(ns, img, model, limit, logs, sat[model],
                            loads, args.seconds, progress))
                save(path, saved)
    saved["partial"] = False
    med, rows = summarize(saved)
    report(med, sat, rows, loads, args)
    saved.update(medians=med, degradation=rows)
    save(path, saved)
    print("\nresults: %s" % path)


if __name__ == "__main__":
    main()
