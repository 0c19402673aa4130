#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The unikernel against Linux+nginx on the same virtual hardware.

For each target (petrel: this unikernel; linux: the Debian kernel + nginx
guest of tools/linux-guest; host: the same nginx config run natively in a
namespace pair, the upper bound without virtualization) and each round,
in an order that alternates between rounds (A B C, then C B A):
boot-to-first-successful-response, then bounded wrk runs for every file
size x connection count: req/s, MB/s, p50/p99 latency and the server's
CPU time per request (guests: QEMU's vCPU thread; host: nginx's
processes); then short connections: 1 KiB with `Connection: close` at 16
connections in back-to-back 5 s wrk windows (the req/s series shows a
TIME_WAIT collapse; the steady state is the median of the later half).
Then, per guest, the image size and the smallest -m that still serves
the largest file (bisected over MEM_STEPS). Medians over the rounds,
ratios unikernel/Linux, the issue's targets met or missed.

    tools/bench/bench.py [--quick] [--bulk] [--only petrel,linux,host]
                         [--rounds N] [--seconds S] [--out DIR]

--bulk is issue 17's matrix: 256 KiB, 1 MiB and 10 MiB at 1, 16 and 64
connections, and a table of MB/s, p50/p99, guest vCPU per MiB and bytes
per frame side by side (with --quick: one round of 2 s points, no
Connection: close windows, no memory search). Bytes per frame: the
frames the server's side of the link counted (the tap for a guest: a
GSO frame counts once, as the guest handed it over) and, for petrel,
its own nic counters; petrel's retransmission timeouts, retransmitted
segments and refused frames per point come from /_stats as well.

Writes DIR/<timestamp>/results.json, results.csv (medians), rounds.csv
(every measurement), plot.png (gnuplot: both guests and the host per file
size), table.txt (the printed tables) and the guests' serial logs.

Rules: both guests run under guest.py's identical QEMU conditions on a tap
in a namespace made here; the host reference uses its own namespaces.
Traffic goes only to 10.77.0.2 / 10.78.0.2 inside them. Every wrk run and
every wait is bounded; guests and nginx are stopped by PID and the
namespaces deleted on exit, errors and SIGINT/SIGTERM/SIGHUP.
"""
import argparse
import csv
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import guest  # noqa: E402
import hostref  # noqa: E402
import web  # noqa: E402  tools/harness, put on the path by guest

SIZES = [("1KiB", 1 << 10), ("16KiB", 16 << 10), ("256KiB", 256 << 10),
         ("1MiB", 1 << 20), ("10MiB", 10 << 20)]
CONNS = [1, 16, 64]
QUICK_SIZES = ["1KiB", "256KiB", "10MiB"]
QUICK_CONNS = [1, 16]
BULK_SIZES = ["256KiB", "1MiB", "10MiB"]   # --bulk: issue 17's matrix
BULK_CONNS = [1, 16, 64]
TARGETS = ("petrel", "linux", "host")
GUESTS = ("petrel", "linux")
MEM = "128M"                    # -m of both guests during the load runs
MEM_STEPS = [3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128]   # MiB
BOOT_TIMEOUT = {"petrel": 60, "linux": 120, "host": 30}  # seconds
MEM_BOOT_TIMEOUT = {"petrel": 30, "linux": 60}
FETCH_TIMEOUT = 20              # seconds for one warm-up or check GET
# A guest whose warm-up GET stalls (a cold-cache stall seen in petrel:
# the same file offset never arrives, on every connection) is booted
# again, at most this many more times per round; each is recorded.
BOOT_RETRIES = 2
RESULTS = os.path.join(guest.BUILD, "bench-results")

# The targets, unikernel over Linux+nginx.
GOAL_RPS_1K = 3.0               # x req/s, 1 KiB files, 16 connections
GOAL_MBPS_10M = 1.5             # x MB/s, 10 MiB files
GOAL_BOOT = 0.1                 # boot-to-first-response, fraction of Linux
GOAL_IMAGE = 1 << 20            # bytes
# MiB of guest memory: the kernel sizes itself from the RAM found
# (kernel/mm/memplan.h) and serves down to MEM_MIN_MIB in kernel/param.h.
GOAL_MEM = 4
GOAL_RPS_CLOSE = 3.0            # x req/s, 1 KiB, Connection: close, steady

# Short connections: every request on a new connection the server closes.
CLOSE_FILE = "1KiB"
CLOSE_CONNS = 16
CLOSE_WINDOW_S = 5
CLOSE_WINDOWS = 8               # default; --quick 2
CLOSE_LUA = 'wrk.headers["Connection"] = "close"\n'

POINT_KEYS = ("rps", "mbps", "p50_ms", "p99_ms", "server_cpu_us_per_req",
              "server_cpu_ms_per_mb", "server_cpu_ms_per_mib",
              "qemu_cpu_us_per_req", "frames_per_mb", "bytes_per_frame",
              "guest_bytes_per_frame", "rto_expired", "rexmit_segs",
              "tx_refused", "requests", "errors")
# petrel's /_stats counters sampled around each point: (section, name)
GUEST_COUNTERS = {"tx_packets": ("nic", "tx_packets"),
                  "tx_bytes": ("nic", "tx_bytes"),
                  "tx_refused": ("nic", "tx_refused"),
                  "rto_expired": ("net", "tcp_rto_expired"),
                  "rexmit_segs": ("net", "tcp_rexmit_segs")}


def file_name(label):
    return label.lower() + ".bin"


class Terminated(Exception):
    pass


class WarmupError(guest.GuestError):
    """A warm-up GET did not return the whole file."""


def on_signal(signum, frame):
    raise Terminated("signal %d" % signum)


class Bench:
    """One run: its settings, the site, the namespaces and the results."""

    def __init__(self, args, outdir, progress):
        self.args = args
        self.out = outdir
        self.say = progress
        self.sizes = [(lb, n) for lb, n in SIZES if lb in args.sizes]
        self.ns = None
        self.pair = None
        self.site = None
        self.image = None
        self.rounds = []        # one dict per (round, target, point)
        self.boots = {t: [] for t in args.only}
        self.stats = []         # petrel's /_stats after each round
        self.served = {t: False for t in args.only}
        self.anomalies = []     # stalls and retries, for the report
        self.close = []         # one dict per (round, target)

    # -- the site ---------------------------------------------------------

    def make_site(self, tmp):
        files = {file_name(lb): n for lb, n in SIZES}
        self.site = os.path.join(tmp, "site")
        web.make_site(self.site, files, seed=5)
        with open(os.path.join(self.site, "index.html"), "w") as f:
            f.write("<html><body>petrel bench</body></html>\n")
        self.image = web.make_image(self.site, os.path.join(tmp, "site.img"))

    def warm(self, runner, base):
        """Fetch every file twice (page caches, TCG translations) and
        check its status and length."""
        for lb, n in self.sizes:
            for _ in range(2):
                code, got = benchlib.fetch(runner, base + "/" + file_name(lb),
                                           FETCH_TIMEOUT)
                if code != 200 or got != n:
                    raise WarmupError("GET %s: status %d, %d of %d bytes"
                                      % (lb, code, got, n))

    # -- one target, one round ------------------------------------------

    def guest_counters(self):
        """petrel's counters of GUEST_COUNTERS now, or None when
        /_stats does not answer (or lacks one: an older kernel)."""
        try:
            st = benchlib.petrel_stats(self.ns, guest.GUEST_ADDR)
            return {k: st[s][n] for k, (s, n) in GUEST_COUNTERS.items()}
        except (ValueError, KeyError, subprocess.SubprocessError):
            return None

    def measure(self, rnd, target, runner, base, cpu, link):
        """The wrk points of one round; cpu() -> (server s, QEMU s|None);
        link: (namespace, device, "rx"|"tx") that counts the frames the
        server sends (the tap for a guest, the veth for the host)."""
        for lb, nbytes in self.sizes:
            for conns in self.args.conns:
                g0 = self.guest_counters() if target == "petrel" else None
                s0, q0 = cpu()
                f0, b0 = benchlib.link_counters(*link)
                m = benchlib.wrk(runner, "%s/%s" % (base, file_name(lb)),
                                 conns, self.args.seconds)
                f1, b1 = benchlib.link_counters(*link)
                s1, q1 = cpu()
                g1 = self.guest_counters() if g0 else None
                m.update(guest_deltas(g0, g1))
                n, mb = m["requests"], m["bytes"] / 1e6
                # Frame sizes show segmentation offload (TSO/GSO) or not.
                m["frames_per_mb"] = (f1 - f0) / mb if mb else None
                m["bytes_per_frame"] = (b1 - b0) / max(f1 - f0, 1)
                m["server_cpu_s"] = s1 - s0
                m["server_cpu_us_per_req"] = ((s1 - s0) * 1e6 / n
                                              if n else None)
                m["server_cpu_ms_per_mb"] = ((s1 - s0) * 1e3 / mb
                                             if mb else None)
                m["server_cpu_ms_per_mib"] = ((s1 - s0) * 1e3 * (1 << 20) /
                                              m["bytes"] if mb else None)
                m["qemu_cpu_us_per_req"] = ((q1 - q0) * 1e6 / n
                                            if n and q0 is not None
                                            else None)
                m.update(round=rnd, target=target, file=lb,
                         file_bytes=nbytes, conns=conns)
                self.rounds.append(m)
                self.say("round %d %-6s %-6s x%-3d %9.0f req/s %8.1f MB/s"
                         " p50 %s p99 %s ms, %s us CPU/req, %.0f B/frame",
                         rnd, target, lb, conns, m["rps"], m["mbps"],
                         fmt(m["p50_ms"]), fmt(m["p99_ms"]),
                         fmt(m["server_cpu_us_per_req"], "%.0f"),
                         m["bytes_per_frame"])

    def measure_close(self, rnd, target, runner, base):
        """CLOSE_WINDOWS back-to-back wrk windows of Connection: close;
        each new connection may reuse a port the server still holds in
        TIME_WAIT."""
        if not self.args.close_windows:
            return
        script = os.path.join(self.out, "connection-close.lua")
        with open(script, "w") as f:
            f.write(CLOSE_LUA)
        wins = [benchlib.wrk(runner, "%s/%s" % (base, file_name(CLOSE_FILE)),
                             CLOSE_CONNS, CLOSE_WINDOW_S, script)
                for _ in range(self.args.close_windows)]
        rps = [w["rps"] for w in wins]
        steady = benchlib.median(rps[len(rps) // 2:])
        self.close.append({"round": rnd, "target": target,
                           "window_rps": rps, "steady_rps": steady,
                           "errors": sum(w["errors"] for w in wins)})
        self.say("round %d %-6s %s x%d Connection: close, req/s per %d s: "
                 "%s; steady %.0f", rnd, target, CLOSE_FILE, CLOSE_CONNS,
                 CLOSE_WINDOW_S, " ".join("%.0f" % r for r in rps), steady)

    def run_guest(self, rnd, kind):
        """Boot, warm up and measure one guest; boot again (at most
        BOOT_RETRIES times) if the warm-up stalls."""
        for attempt in range(BOOT_RETRIES + 1):
            try:
                return self.run_guest_once(rnd, kind, attempt)
            except WarmupError as e:
                self.anomalies.append({"round": rnd, "target": kind,
                                       "attempt": attempt,
                                       "what": "warm-up: %s" % e})
                self.say("round %d %-6s warm-up stalled (%s)%s", rnd, kind,
                         e, ", booting again" if attempt < BOOT_RETRIES
                         else "")
        raise guest.GuestError("%s: warm-up failed %d times"
                               % (kind, BOOT_RETRIES + 1))

    def run_guest_once(self, rnd, kind, attempt):
        log = os.path.join(self.out, "logs", "%s-round%d%s.serial.log"
                           % (kind, rnd, ".%d" % attempt if attempt else ""))
        with guest.Guest(self.ns, kind, self.image, mem=self.args.mem,
                         log_path=log) as g:
            boot = g.wait_http("/" + file_name(self.sizes[0][0]),
                               BOOT_TIMEOUT[kind])
            self.say("round %d %-6s boot to first response %.3f s (-m %s)",
                     rnd, kind, boot, self.args.mem)
            if not g.find_vcpu_tid():
                raise guest.GuestError("no vCPU thread in QEMU %d" % g.pid)
            base = "http://%s" % guest.GUEST_ADDR
            self.warm(self.ns, base)
            self.boots[kind].append(boot)

            def cpu():
                c = g.cpu_seconds()
                return c["vcpu"], c["qemu"]
            self.measure(rnd, kind, self.ns, base, cpu,
                         (self.ns.name, self.ns.tap, "rx"))
            self.measure_close(rnd, kind, self.ns, base)
            if kind == "petrel":
                self.stats.append(benchlib.petrel_stats(self.ns,
                                                        guest.GUEST_ADDR))
        self.served[kind] = True

    def run_host(self, rnd, tmp):
        with hostref.HostNginx(self.pair, self.site, tmp) as srv:
            boot = srv.wait_http("/" + file_name(self.sizes[0][0]),
                                 BOOT_TIMEOUT["host"])
            self.boots["host"].append(boot)
            self.say("round %d host   nginx start to first response %.3f s",
                     rnd, boot)
            base = "http://%s" % hostref.SERVER_ADDR
            self.warm(self.pair.client, base)
            self.measure(rnd, "host", self.pair.client, base,
                         lambda: (srv.cpu_seconds()["server"], None),
                         (self.pair.server.name, hostref.VETH_SERVER, "tx"))
            self.measure_close(rnd, "host", self.pair.client, base)
        self.served["host"] = True

    # -- smallest memory --------------------------------------------------

    def serves(self, kind, mib):
        """(ok, why): whether `kind` boots in -m MIB and serves the
        largest file, and if not, why not."""
        lb, n = SIZES[-1]
        log = os.path.join(self.out, "logs", "%s-m%d.serial.log"
                           % (kind, mib))
        with guest.Guest(self.ns, kind, self.image, mem="%dM" % mib,
                         log_path=log) as g:
            try:
                g.wait_http("/index.html", MEM_BOOT_TIMEOUT[kind])
            except guest.GuestError as e:
                return False, str(e).splitlines()[0].rstrip(":")
            code, got = benchlib.fetch(self.ns, "http://%s/%s" % (
                guest.GUEST_ADDR, file_name(lb)), FETCH_TIMEOUT)
            if code == 200 and got == n:
                return True, "serves"
            return False, "GET %s: status %d, %d of %d bytes" % (
                lb, code, got, n)

    def probe_memory(self, kind, mib, probes):
        ok, why = self.serves(kind, mib)
        if not ok and why.startswith("GET "):
            # Booted but the body stalled: not a memory verdict yet.
            self.anomalies.append({"target": kind, "mem_mib": mib,
                                   "what": "memory probe: %s" % why})
            self.say("min -m  %-6s %4d MiB: %s; booting again", kind, mib,
                     why)
            ok, why = self.serves(kind, mib)
        probes[mib] = {"serves": ok, "why": why}
        self.say("min -m  %-6s %4d MiB: %s", kind, mib, why)
        return ok

    def min_memory(self, kind):
        """Bisect MEM_STEPS (serving assumed monotonic in memory): the
        smallest step that serves, None if even the largest fails."""
        steps = self.args.mem_steps
        probes = {}
        lo, hi = -1, len(steps) - 1
        if not (self.served[kind] and steps[-1] == mem_mib(self.args.mem)):
            if not self.probe_memory(kind, steps[hi], probes):
                return None, probes
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self.probe_memory(kind, steps[mid], probes):
                hi = mid
            else:
                lo = mid
        return steps[hi], probes

    # -- the whole run ----------------------------------------------------

    def run(self, tmp):
        targets = list(self.args.only)
        for rnd in range(1, self.args.rounds + 1):
            order = targets if rnd % 2 else targets[::-1]
            for t in order:
                self.say("round %d/%d: %s", rnd, self.args.rounds, t)
                if t == "host":
                    self.run_host(rnd, tmp)
                else:
                    self.run_guest(rnd, t)
        mem = {}
        for kind in GUESTS:
            if kind in targets and not self.args.no_mem_search:
                m, probes = self.min_memory(kind)
                mem[kind] = {"min_mem_mib": m,
                             "probes": {str(k): v for k, v in
                                        sorted(probes.items())}}
                self.say("min -m  %-6s smallest that serves the %s file: "
                         "%s MiB", kind, SIZES[-1][0], m)
        return mem


def guest_deltas(g0, g1):
    """Per-point figures from petrel's counters before (g0) and after
    (g1) a wrk run; all None without them. The /_stats exchanges
    themselves are in the deltas (a few frames)."""
    keys = ("guest_bytes_per_frame", "rto_expired", "rexmit_segs",
            "tx_refused")
    if not g0 or not g1:
        return dict.fromkeys(keys)
    d = {k: g1[k] - g0[k] for k in g0}
    return {"guest_bytes_per_frame": (d["tx_bytes"] / d["tx_packets"]
                                      if d["tx_packets"] else None),
            "rto_expired": d["rto_expired"], "rexmit_segs": d["rexmit_segs"],
            "tx_refused": d["tx_refused"]}


def bulk_table(res):
    """Issue 17's matrix, petrel beside Linux per file size and
    connection count: MB/s, p50/p99, guest vCPU ms per MiB, bytes per
    frame (tap; petrel's own counters in brackets), and petrel's RTOs,
    retransmitted segments and refused frames. [] when no bulk size was
    measured."""
    L = []
    for lb in BULK_SIZES:
        for c in res["config"]["conns"]:
            p = find(res["medians"], "petrel", lb, c)
            li = find(res["medians"], "linux", lb, c)
            if not p and not li:
                continue
            if not L:
                L += ["", "bulk transfers (issue 17): petrel | Linux+nginx;"
                      " CPU = guest vCPU ms per MiB served; B/frame from "
                      "the tap [petrel's own count]",
                      "%-7s %5s %13s %6s %15s %17s %13s %18s %11s" % (
                          "file", "conns", "MB/s", "ratio", "p50 ms",
                          "p99 ms", "CPU ms/MiB", "B/frame", "rto/rx/ref")]

            def pair(key, spec):
                return "%s|%s" % (fmt(p and p[key], spec),
                                  fmt(li and li[key], spec))
            gbf = fmt(p and p["guest_bytes_per_frame"], "%.0f")
            L.append("%-7s %5d %13s %6s %15s %17s %13s %18s %11s" % (
                lb, c, pair("mbps", "%.1f"),
                fmt(ratio(p and p["mbps"], li and li["mbps"])),
                pair("p50_ms", "%.0f"), pair("p99_ms", "%.0f"),
                pair("server_cpu_ms_per_mib", "%.1f"),
                pair("bytes_per_frame", "%.0f") + " [%s]" % gbf,
                "%s/%s/%s" % (fmt(p and p["rto_expired"], "%d"),
                              fmt(p and p["rexmit_segs"], "%d"),
                              fmt(p and p["tx_refused"], "%d"))))
    return L


def mem_mib(mem):
    """QEMU -m value ("128M", "1G", "64") in MiB."""
    mem = mem.strip().upper()
    scale = {"M": 1, "G": 1024}.get(mem[-1], None)
    return int(mem[:-1]) * scale if scale else int(mem)


def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def image_sizes(targets):
    out = {}
    if "petrel" in targets:
        out["petrel"] = {"files": {"petrel32.elf": os.path.getsize(
            guest.PETREL_KERNEL)}}
    if "linux" in targets:
        out["linux"] = {"files": {
            n: os.path.getsize(os.path.join(guest.LINUX_DIR, n))
            for n in (guest.LINUX_KERNEL_NAME, guest.LINUX_INITRD_NAME)}}
    for v in out.values():
        v["bytes"] = sum(v["files"].values())
    return out


def medians(rows, targets, sizes, conns):
    out = []
    for t in targets:
        for lb, n in sizes:
            for c in conns:
                pts = [r for r in rows if r["target"] == t and
                       r["file"] == lb and r["conns"] == c]
                if not pts:
                    continue
                m = {"target": t, "file": lb, "file_bytes": n, "conns": c,
                     "rounds": len(pts)}
                for k in POINT_KEYS:
                    m[k] = benchlib.median(p[k] for p in pts)
                out.append(m)
    return out


def find(med, target, lb, conns):
    for m in med:
        if (m["target"], m["file"], m["conns"]) == (target, lb, conns):
            return m
    return None


def ratio_rows(med, sizes, conns):
    out = []
    for lb, _ in sizes:
        for c in conns:
            p, li, h = (find(med, t, lb, c) for t in TARGETS)
            if not p:
                continue
            row = {"file": lb, "conns": c}
            for k in ("rps", "mbps", "p50_ms", "p99_ms",
                      "server_cpu_us_per_req", "server_cpu_ms_per_mb"):
                row[k] = ratio(p[k], li[k]) if li else None
            row["rps_vs_host"] = ratio(p["rps"], h["rps"]) if h else None
            row["mbps_vs_host"] = ratio(p["mbps"], h["mbps"]) if h else None
            row["linux_mbps_vs_host"] = (ratio(li["mbps"], h["mbps"])
                                         if li and h else None)
            out.append(row)
    return out


def goals(ratios, boot, images, mem, conns):
    """The issue's targets: value, goal, met (None: not measured)."""
    def pick(lb, c):
        for r in ratios:
            if r["file"] == lb and r["conns"] == c:
                return r
        return None
    out = []
    r = pick("1KiB", 16)
    out.append({"target": "req/s 1 KiB x16, unikernel/Linux",
                "goal": ">= %.1f" % GOAL_RPS_1K,
                "value": r and r["rps"],
                "met": None if not r or r["rps"] is None
                else r["rps"] >= GOAL_RPS_1K})
    c10 = 16 if 16 in conns else conns[-1]
    r = pick("10MiB", c10)
    out.append({"target": "MB/s 10 MiB x%d, unikernel/Linux" % c10,
                "goal": ">= %.1f" % GOAL_MBPS_10M,
                "value": r and r["mbps"],
                "met": None if not r or r["mbps"] is None
                else r["mbps"] >= GOAL_MBPS_10M})
    b = ratio(boot.get("petrel"), boot.get("linux"))
    out.append({"target": "boot to first response, unikernel/Linux",
                "goal": "<= %.2f" % GOAL_BOOT, "value": b,
                "met": None if b is None else b <= GOAL_BOOT})
    img = images.get("petrel", {}).get("bytes")
    out.append({"target": "unikernel image, bytes",
                "goal": "<= %d" % GOAL_IMAGE, "value": img,
                "met": None if img is None else img <= GOAL_IMAGE})
    m = mem.get("petrel", {}).get("min_mem_mib")
    out.append({"target": "unikernel smallest -m that serves, MiB",
                "goal": "<= %d" % GOAL_MEM, "value": m,
                "met": None if "petrel" not in mem else
                (m is not None and m <= GOAL_MEM)})
    return out


def close_summary(close, targets):
    """Connection: close, per target: the median steady req/s over the
    rounds, and the goal row (unikernel/Linux)."""
    steady = {t: benchlib.median(c["steady_rps"] for c in close
                                 if c["target"] == t) for t in targets}
    r = ratio(steady.get("petrel"), steady.get("linux"))
    goal = {"target": "req/s 1 KiB x16 Connection: close, steady, "
            "unikernel/Linux", "goal": ">= %.1f" % GOAL_RPS_CLOSE,
            "value": r, "met": None if r is None else r >= GOAL_RPS_CLOSE}
    return {"steady_rps": steady, "rounds": close}, goal


def tables(res):
    """The printed report: medians, ratios, summary, targets."""
    L = []
    a = res["config"]
    L.append("medians over %d round(s), wrk %d s per point, -m %s; CPU = "
             "guest vCPU thread (host: nginx) per request"
             % (a["rounds"], a["seconds"], a["mem"]))
    L.append("%-7s %-7s %5s %10s %9s %9s %9s %11s %8s" % (
        "target", "file", "conns", "req/s", "MB/s", "p50 ms", "p99 ms",
        "CPU us/req", "B/frame"))
    for m in res["medians"]:
        L.append("%-7s %-7s %5d %10.0f %9.1f %9s %9s %11s %8.0f" % (
            m["target"], m["file"], m["conns"], m["rps"], m["mbps"],
            fmt(m["p50_ms"]), fmt(m["p99_ms"]),
            fmt(m["server_cpu_us_per_req"], "%.0f"), m["bytes_per_frame"]))
    if any(r["rps"] is not None for r in res["ratios"]):
        L.append("")
        L.append("ratios unikernel/Linux (req/s, MB/s: >1 is better; "
                 "latency, CPU/req: <1 is better); last column: "
                 "unikernel MB/s / host nginx MB/s")
        L.append("%-7s %5s %8s %8s %8s %8s %9s %9s" % (
            "file", "conns", "req/s", "MB/s", "p50", "p99", "CPU/req",
            "vs host"))
        for r in res["ratios"]:
            L.append("%-7s %5d %8s %8s %8s %8s %9s %9s" % (
                r["file"], r["conns"], fmt(r["rps"]), fmt(r["mbps"]),
                fmt(r["p50_ms"]), fmt(r["p99_ms"]),
                fmt(r["server_cpu_us_per_req"]), fmt(r["mbps_vs_host"])))
    L += bulk_table(res)
    L.append("")
    for t, b in res["boot_s"].items():
        extra = ""
        if t in res["image"]:
            extra += ", image %d bytes (%.0f KiB)" % (
                res["image"][t]["bytes"], res["image"][t]["bytes"] / 1024)
        if t in res["min_mem"]:
            extra += ", smallest -m that serves: %s MiB" % (
                res["min_mem"][t]["min_mem_mib"])
        what = "nginx start" if t == "host" else "boot"
        L.append("%-7s %s to first response %s s (median of %s)%s" % (
            t, what, fmt(b, "%.3f"), fmt_list(res["boot_s_rounds"][t]),
            extra))
    for c in res["connection_close"]["rounds"]:
        L.append("%-7s %s x%d Connection: close, round %d, req/s per %d s:"
                 " %s; steady %.0f" % (
                     c["target"], CLOSE_FILE, CLOSE_CONNS, c["round"],
                     CLOSE_WINDOW_S, " ".join("%.0f" % r
                                              for r in c["window_rps"]),
                     c["steady_rps"]))
    for an in res["anomalies"]:
        L.append("anomaly: %s %s" % (an["target"], an["what"]))
    L.append("")
    L.append("targets (issue 9):")
    for g in res["goals"]:
        v = g["value"]
        vs = "-" if v is None else ("%.3g" % v if isinstance(v, float)
                                    else str(v))
        met = {None: "not measured", True: "MET", False: "MISSED"}[g["met"]]
        L.append("  %-42s %-9s goal %-9s %s" % (g["target"], vs, g["goal"],
                                                met))
    return "\n".join(L)


def fmt_list(vals):
    return "/".join("%.3f" % v for v in vals)


def write_csv(path, rows, keys):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k))
                        for k in keys})


def plot(outdir, med, targets, conns, progress):
    """plot.png with gnuplot: MB/s and req/s over file size, one column
    of panels per connection count, one line per target."""
    gp = shutil.which("gnuplot")
    if not gp:
        progress("plot: gnuplot missing (tools/deps.sh installs it), none")
        return None
    # One data block per connection count (gnuplot's `index`).
    for t in targets:
        with open(os.path.join(outdir, "%s.dat" % t), "w") as f:
            f.write("# file_bytes conns rps mbps p99_ms\n")
            for c in conns:
                f.write("# connections %d\n" % c)
                for m in med:
                    if m["target"] == t and m["conns"] == c:
                        f.write("%d %d %f %f %s\n" % (
                            m["file_bytes"], c, m["rps"], m["mbps"],
                            "NaN" if m["p99_ms"] is None else m["p99_ms"]))
                f.write("\n\n")
    tics = ", ".join('"%s" %d' % (lb.replace("iB", ""), n)
                     for lb, n in SIZES)
    style = {"petrel": "lw 2 lc rgb '#1f77b4' pt 7",
             "linux": "lw 2 lc rgb '#d62728' pt 5",
             "host": "lw 1 dt 2 lc rgb '#7f7f7f' pt 1"}
    label = {"petrel": "petrel (unikernel)", "linux": "Linux + nginx guest",
             "host": "host nginx (no VM)"}
    s = ["set terminal pngcairo size %d,760 font ',10'"
         % (380 * len(conns) + 80),
         "set output '%s'" % os.path.join(outdir, "plot.png"),
         "set logscale xy", "set xtics (%s)" % tics, "set grid",
         "set xrange [600:20000000]", "set xlabel 'file size'",
         "set key font ',8'",
         "set multiplot layout 2,%d title 'petrel vs Linux+nginx, QEMU "
         "TCG (medians)'" % len(conns)]
    for col, ylab, key in ((4, "MB/s", "bottom right"),
                           (3, "req/s", "bottom left")):
        s.append("set key %s" % key)
        for i, c in enumerate(conns):
            s.append("set title '%s, %d connection%s'"
                     % (ylab, c, "" if c == 1 else "s"))
            s.append("set ylabel '%s'" % ylab)
            s.append("plot " + ", ".join(
                "'%s' index %d using 1:%d with linespoints %s title '%s'"
                % (os.path.join(outdir, "%s.dat" % t), i, col, style[t],
                   label[t]) for t in targets))
    s.append("unset multiplot")
    script = os.path.join(outdir, "plot.gp")
    with open(script, "w") as f:
        f.write("\n".join(s) + "\n")
    r = subprocess.run([gp, script], capture_output=True, text=True,
                       timeout=60)
    if r.returncode:
        progress("plot: gnuplot failed: %s", r.stderr.strip()[-500:])
        return None
    return os.path.join(outdir, "plot.png")


def host_info():
    q = subprocess.run([guest.QEMU, "--version"], capture_output=True,
                       text=True, timeout=20).stdout.splitlines()
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"machine": platform.machine(), "kernel": platform.release(),
            "cpus": os.cpu_count(), "qemu": q[0] if q else None,
            "accel": "tcg", "loadavg": load}


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="one round, 2 s per point, sizes %s, connections "
                    "%s" % (",".join(QUICK_SIZES),
                            ",".join(map(str, QUICK_CONNS))))
    ap.add_argument("--bulk", action="store_true",
                    help="issue 17's matrix: sizes %s, connections %s, "
                    "and the bulk table; with --quick also no "
                    "Connection: close windows and no memory search"
                    % (",".join(BULK_SIZES), ",".join(map(str, BULK_CONNS))))
    ap.add_argument("--only", default=",".join(TARGETS),
                    help="targets, comma-separated: petrel,linux,host")
    ap.add_argument("--rounds", type=int, help="rounds (default 3; "
                    "quick 1)")
    ap.add_argument("--seconds", type=int, help="wrk seconds per point "
                    "(default 4; quick 2)")
    ap.add_argument("--sizes", help="file sizes, e.g. 1KiB,10MiB")
    ap.add_argument("--conns", help="connection counts, e.g. 1,16,64")
    ap.add_argument("--mem", default=MEM, help="guest -m for the load runs")
    ap.add_argument("--mem-steps", default=",".join(map(str, MEM_STEPS)),
                    help="MiB values bisected for the smallest -m")
    ap.add_argument("--no-mem-search", action="store_true")
    ap.add_argument("--close-windows", type=int, help="%d s windows of "
                    "Connection: close (default %d; quick 2; 0: none)"
                    % (CLOSE_WINDOW_S, CLOSE_WINDOWS))
    ap.add_argument("--out", default=RESULTS, help="results folder")
    a = ap.parse_args(argv)
    a.only = [t for t in a.only.split(",") if t]
    bad = [t for t in a.only if t not in TARGETS]
    if bad or not a.only:
        ap.error("--only: %s; choose from %s" % (",".join(bad) or "empty",
                                                 ",".join(TARGETS)))
    a.only = [t for t in TARGETS if t in a.only]
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.seconds = a.seconds or (2 if a.quick else 4)
    if a.close_windows is None:
        a.close_windows = (0 if a.quick and a.bulk else 2 if a.quick
                           else CLOSE_WINDOWS)
    if a.quick and a.bulk:
        a.no_mem_search = True
    labels = [lb for lb, _ in SIZES]
    a.sizes = (a.sizes.split(",") if a.sizes else BULK_SIZES if a.bulk
               else QUICK_SIZES if a.quick else labels)
    if any(s not in labels for s in a.sizes):
        ap.error("--sizes: from %s" % ",".join(labels))
    a.conns = ([int(c) for c in a.conns.split(",")] if a.conns else
               BULK_CONNS if a.bulk else QUICK_CONNS if a.quick else CONNS)
    a.mem_steps = sorted(int(m) for m in a.mem_steps.split(","))
    if (a.rounds < 1 or a.seconds < 1 or min(a.conns) < 1 or
            a.close_windows < 0):
        ap.error("rounds, seconds and connections must be >= 1, "
                 "--close-windows >= 0")
    return a


def preflight(a, say):
    """Stop early, with the reason, if something the run needs is gone;
    the host reference is dropped (with a warning) when nginx is."""
    ok, why = guest.available()
    if not ok:
        raise SystemExit("bench: cannot create a network namespace (needs "
                         "root or CAP_NET_ADMIN): %s" % why)
    if "petrel" in a.only and not os.path.isfile(guest.PETREL_KERNEL):
        raise SystemExit("bench: %s missing: run make" % guest.PETREL_KERNEL)
    if "linux" in a.only and not os.path.isfile(os.path.join(
            guest.LINUX_DIR, guest.LINUX_INITRD_NAME)):
        raise SystemExit("bench: Linux guest missing: run make linux-guest")
    if "host" in a.only:
        ok, why = hostref.available()
        if not ok:
            say("host reference skipped: %s", why)
            a.only.remove("host")
    if not a.only:
        raise SystemExit("bench: nothing left to measure")


def main(argv=None):
    a = parse_args(argv)
    say = benchlib.Progress()
    preflight(a, say)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = os.path.join(a.out, stamp)
    os.makedirs(os.path.join(outdir, "logs"), exist_ok=True)
    say("bench: %s; %d round(s) x %d s per point; sizes %s; connections "
        "%s; results in %s", ",".join(a.only), a.rounds, a.seconds,
        ",".join(a.sizes), ",".join(map(str, a.conns)), outdir)
    info = host_info()
    b = Bench(a, outdir, say)
    try:
        with tempfile.TemporaryDirectory(prefix="petrel-bench-") as tmp:
            b.make_site(tmp)
            say("site image %s (%d KiB)", b.image,
                os.path.getsize(b.image) // 1024)
            with guest.Namespace() as ns:
                b.ns = ns
                say("namespace %s (tap %s, guest %s)", ns.name, ns.tap,
                    guest.GUEST_ADDR)
                if "host" in a.only:
                    b.pair = hostref.NsPair().create()
                try:
                    mem = b.run(tmp)
                finally:
                    if b.pair:
                        b.pair.destroy()
    except (KeyboardInterrupt, Terminated):
        say("bench: interrupted; guests stopped, namespaces deleted")
        return 130
    except (guest.GuestError, RuntimeError, ValueError,
            subprocess.SubprocessError) as e:
        say("bench: FAILED: %s", e)
        return 1
    with open("/proc/loadavg") as f:
        info["loadavg_end"] = f.read().split()[:3]

    sizes = b.sizes
    med = medians(b.rounds, a.only, sizes, a.conns)
    rat = ratio_rows(med, sizes, a.conns)
    boot = {t: benchlib.median(v) for t, v in b.boots.items()}
    images = image_sizes(a.only)
    res = {"schema": "petrel-bench/1", "started": stamp, "machine": info,
           "config": {"targets": a.only, "rounds": a.rounds,
                      "seconds": a.seconds, "sizes": a.sizes,
                      "conns": a.conns, "mem": a.mem,
                      "mem_steps_mib": a.mem_steps, "quick": a.quick,
                      "bulk": a.bulk,
                      "close_windows": a.close_windows,
                      "wrk_threads": benchlib.WRK_THREADS},
           "boot_s": boot, "boot_s_rounds": b.boots, "image": images,
           "min_mem": mem, "medians": med, "ratios": rat,
           "rounds": b.rounds, "petrel_stats": b.stats,
           "anomalies": b.anomalies}
    res["goals"] = goals(rat, boot, images, mem, a.conns)
    res["connection_close"], close_goal = close_summary(b.close, a.only)
    res["goals"].append(close_goal)
    text = tables(res)
    keys = ["target", "file", "file_bytes", "conns", "rounds"] + list(
        POINT_KEYS)
    write_csv(os.path.join(outdir, "results.csv"), med, keys)
    write_csv(os.path.join(outdir, "rounds.csv"), b.rounds,
              ["round"] + keys[:4] + list(POINT_KEYS) +
              ["seconds", "bytes", "server_cpu_s"])
    res["plot"] = plot(outdir, med, a.only, a.conns, say)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(text + "\n")
    print("\n" + text + "\n")
    say("results: %s", os.path.join(outdir, "results.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
