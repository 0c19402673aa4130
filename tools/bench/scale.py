#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Multicore scaling (issue 15): petrel at -smp 1 against -smp 2 (and 4),
against the Linux+nginx guest at the same -smp, and the mapping table.

Every guest gets QEMU's MTTCG (-accel tcg,thread=multi), -smp N and a
tap with as many queues as CPUs (-netdev tap,queues=N,vhost=off;
-device virtio-net-pci,mq=on,vectors=2N+2; a plain single-queue tap at
N=1), the site image on virtio-blk, and is otherwise guest.py's
machine. The Linux guest runs nginx with `worker_processes auto` (one
worker per vCPU, each on its own reuseport socket), boots with
tsc=reliable (see LINUX_APPEND) and prints how many queues its
virtio-net enabled and how many nginx workers run; both are recorded
(Linux enables one queue pair per CPU by itself: no ethtool -L needed).

Per point (file x connections), one bounded wrk run from inside the
namespace: req/s, MB/s, p50/p99, and the guest vCPU time per request,
summed over QEMU's "CPU n/TCG" threads (/proc/PID/task/*/stat). For
petrel, /_stats before and after: requests served, per-CPU requests when
the kernel has a per-CPU request counter ("not available" otherwise, never
estimated) and connections accepted per network instance when it runs
several. Configurations alternate within a round (petrel -smp 1, Linux
-smp 1, petrel -smp 2, Linux -smp 2, ..., then the mapping modes), every
one booted afresh; the rounds repeat that order; medians over rounds.

The mapping table: petrel at --mapping-smp (2) with mapping=sfbuf, naive
and direct serving the 1 MiB file: shootdown IPIs, shootdowns and local
invalidations per MiB (the delta of /_stats "sfbuf" counters over the wrk
run), vCPU ms per MiB.

The doorbell table (--doorbell 1,32; none by default): petrel at each
-smp with tx_kick_batch=N (1: a TX notification after every frame, as
before doorbell batching; 32: once per main-loop pass), each size at the
first --conns: req/s, vCPU and whole-QEMU CPU per request, TX kicks and
interrupts per request, and each batch's ratios to the first.

    tools/bench/scale.py [--quick] [--smp 1,2[,4]] [--rounds N]
                         [--seconds S] [--sizes 1KiB,1MiB] [--conns 32]
                         [--only petrel,linux] [--mapping sfbuf,naive,direct]
                         [--doorbell 1,32]
                         [--kernel K] [--out DIR]
    tools/bench/scale.py --report DIR/scale-<stamp>.json

Writes DIR/scale-<stamp>.json (settings, host load before and after,
every measurement, medians, ratios, targets) and DIR/scale-<stamp>.txt
(the printed tables); serial logs in DIR/scale-<stamp>-logs/.

Rules: traffic goes only to 10.77.0.2 inside a namespace made here per
guest and deleted after it; every wrk run and every wait is bounded;
QEMU is stopped by PID. Needs root. Not a test: the host is shared, so
read the shape and say how busy it was (the load average is recorded).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import guest  # noqa: E402
import netns  # noqa: E402  tools/harness, put on the path by guest
import qemu  # noqa: E402
import web  # noqa: E402

SIZES = {"1KiB": 1 << 10, "1MiB": 1 << 20}
SIDES = ("petrel", "linux")
MAPPINGS = ("sfbuf", "naive", "direct")
MEM = "256M"
# Under TCG the vCPU threads start at different host times, so a Linux
# guest at -smp 2 or more finds its TSCs unsynchronized and falls back to
# the HPET, whose every read is an emulated MMIO access: 2x fewer req/s
# at -smp 2 here. The vCPUs share the host's TSC, so it is reliable; at
# -smp 1 Linux uses the TSC anyway and this changes nothing.
LINUX_APPEND = "tsc=reliable"
BOOT_TIMEOUT = {"petrel": 60, "linux": 240}     # s; TCG Linux at -smp 4
FETCH_TIMEOUT = 20
VCPU_THREAD = re.compile(r"CPU (\d+)/TCG$")     # -name ...,debug-threads=on
RESULTS = os.path.join(guest.BUILD, "bench-results")
# The Linux guest's /init line (tools/linux-guest/init).
LINUX_QUEUES = re.compile(r"linux-guest: (\d+) CPUs, eth0 (\d+) rx / (\d+) "
                          r"tx queues")
LINUX_WORKERS = re.compile(r"linux-guest: nginx workers (\d+)")
PETREL_PAIRS = re.compile(r"vnet: .* queue pairs (\d+) of (\d+)")
LINUX_READY_TIMEOUT = 20    # s from the first 200 to /init's workers line

# The targets.
GOAL_SCALE_RPS = 1.6        # petrel req/s, 1 KiB, -smp 2 over -smp 1
GOAL_VS_LINUX = 10.0        # petrel/Linux req/s, 1 KiB, same -smp
GOAL_VCPU_COST = 1.15       # petrel vCPU/request, -smp 2 over -smp 1
GOAL_SPREAD = 0.60          # busiest CPU's share of requests at -smp 2
GOAL_IPI_CUT = 0.90         # sfbuf's IPIs at most 10% of naive's

SCALARS = ("rps", "mbps", "p50_ms", "p99_ms", "vcpu_us_per_req",
           "vcpu_ms_per_mib", "qemu_us_per_req", "requests", "errors",
           "served", "ipis_per_mib", "shootdowns_per_mib",
           "local_inval_per_mib", "avoided_per_mib", "host_busy_pct",
           "guest_idle_pct", "kicks_per_req", "irqs_per_req")
SFBUF_KEYS = ("shootdown_ipis_sent", "shootdowns", "local_invalidations",
              "shootdowns_avoided", "gets", "misses")


class Terminated(Exception):
    pass


def on_signal(signum, frame):
    raise Terminated("signal %d" % signum)


def file_name(label):
    return label.lower() + ".bin"


# -- the machine: a multiqueue tap and an N-CPU guest on it ---------------

class MqNamespace(guest.Namespace):
    """guest.Namespace whose tap has `queues` queues (IFF_MULTI_QUEUE when
    more than one): QEMU opens one file per queue and the tap steers each
    flow to one of them by hash. The harness's NetNS is made without a
    tap and the tap added here, so the shared harness is not changed."""

    def __init__(self, queues):
        netns.NetNS.__init__(self, "petrel-scale", tap=None,
                             guest_mac=guest.GUEST_MAC)
        self.queues = queues

    def _create(self):
        super()._create()       # the namespace and its loopback
        self.tap = netns.TAP
        ns = [netns.IP, "-n", self.name]
        netns.run_cmd(ns + ["tuntap", "add", "dev", self.tap, "mode", "tap",
                            "user", str(os.getuid())] +
                      (["multi_queue"] if self.queues > 1 else []))
        netns.run_cmd(ns + ["addr", "add", "%s/%d" % (
            netns.HOST_ADDR, netns.PREFIX_LEN), "dev", self.tap])
        netns.run_cmd(ns + ["link", "set", self.tap, "up"])
        netns.run_cmd(ns + ["neigh", "replace", netns.GUEST_ADDR, "lladdr",
                            self.guest_mac, "dev", self.tap, "nud",
                            "permanent"])


def nic_args(tap, queues):
    """virtio-net on `tap` with `queues` queue pairs: mq=on and a vector
    each for config, control queue and every queue; vhost off so QEMU's
    own virtio-net moves the frames for both guests alike."""
    netdev = "tap,id=net0,ifname=%s,script=no,downscript=no" % tap
    device = "virtio-net-pci,netdev=net0,disable-legacy=on,mac=%s" % (
        guest.GUEST_MAC)
    if queues > 1:
        netdev += ",queues=%d,vhost=off" % queues
        device += ",mq=on,vectors=%d" % (2 * queues + 2)
    return ["-netdev", netdev, "-device", device]


class ScaleGuest(guest.Guest):
    """guest.Guest at -smp N under MTTCG on a MqNamespace of N queues."""

    def __init__(self, ns, kind, image, smp, mem, log_path, append="",
                 kernel=None):
        super().__init__(ns, kind, image, mem=mem, log_path=log_path,
                         extra_append=append)
        self.smp = smp
        self.kernel = kernel

    def cpu_args(self):
        # MTTCG at every N, so -smp 1 differs from -smp 2 only in CPUs.
        return ["-smp", str(self.smp), "-accel", "tcg,thread=multi"]

    def boot_files(self):
        kernel, initrd, append = super().boot_files()
        if self.kind == "petrel" and self.kernel:
            kernel = self.kernel
        return kernel, initrd, append

    def boot_args(self):
        kernel, initrd, append = self.boot_files()
        args = ["-name", "%s,debug-threads=on" % self.kind,
                "-drive", "if=none,id=site,format=raw,readonly=on,file="
                + self.image,
                "-device", "virtio-blk-pci,drive=site,disable-legacy=on"]
        args += nic_args(self.ns.tap, self.ns.queues)
        args += ["-kernel", kernel, "-append", append]
        if initrd:
            args += ["-initrd", initrd]
        return args

    def vcpu_seconds(self):
        """{vCPU index: user+system seconds so far} of QEMU's vCPU
        threads."""
        out = {}
        task = "/proc/%d/task" % self.pid
        tick = os.sysconf("SC_CLK_TCK")
        for tid in os.listdir(task):
            try:
                with open("%s/%s/comm" % (task, tid)) as f:
                    m = VCPU_THREAD.match(f.read().strip())
                if not m:
                    continue
                with open("%s/%s/stat" % (task, tid)) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue    # a thread that just ended
            # utime and stime: fields 14 and 15 of stat (11, 12 here)
            out[int(m.group(1))] = (int(fields[11]) + int(fields[12])) / tick
        return out


# -- /_stats readers -------------------------------------------------------

def host_cpu_ticks():
    """(busy, total) jiffies of the whole host, from /proc/stat's "cpu"
    line (idle and iowait are not busy)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def as_cpu_list(section):
    """A per-CPU section as a list of dicts by CPU index: a JSON array,
    or an object whose members "0", "1", ... are the CPUs; else None."""
    if isinstance(section, list):
        items = section
    elif isinstance(section, dict):
        keys = sorted((k for k in section if k.isdigit()), key=int)
        items = [section[k] for k in keys]
    else:
        return None
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    return items


def per_cpu_counter(st, name, sections=("cpu", "cpus", "per_cpu")):
    """[count per CPU] of counter `name` from the first of `sections` of
    /_stats whose every CPU has it; None when no section has it."""
    for s in sections:
        items = as_cpu_list(st.get(s))
        if items and all(name in i for i in items):
            return [i[name] for i in items]
    return None


def instance_accepted(st):
    """[connections accepted per network instance], or None when the
    kernel runs one stack (no "net_instances" section)."""
    return per_cpu_counter(st, "accepted", ("net_instances",))


def list_delta(a, b):
    if a is None or b is None or len(a) != len(b):
        return None
    return [y - x for x, y in zip(a, b)]


def petrel_view(st):
    """What a point needs from one /_stats: requests, per-CPU requests,
    accepted per instance, the sfbuf counters and mode, CPUs online."""
    sf = st.get("sfbuf", {})
    return {"requests": st["http"]["requests"],
            "cpu_requests": per_cpu_counter(st, "requests"),
            "instance_accepted": instance_accepted(st),
            "cpu_idle_us": per_cpu_counter(st, "idle_us"),
            "sfbuf": {k: sf.get(k) for k in SFBUF_KEYS},
            "mapping": sf.get("mode"),
            "cpus_online": st.get("cpus", {}).get("online"),
            "tx_kicks": st.get("nic", {}).get("tx_kicks"),
            "irqs": st.get("nic", {}).get("irqs"),
            "lock_violations": st.get("cpus", {}).get("lock_violations")}


def petrel_deltas(v0, v1, mib):
    """The point's counters from two petrel_view()s; `mib` MiB read."""
    out = {"served": v1["requests"] - v0["requests"],
           "cpu_requests": list_delta(v0["cpu_requests"],
                                      v1["cpu_requests"]),
           "instance_accepted": list_delta(v0["instance_accepted"],
                                           v1["instance_accepted"]),
           "mapping": v1["mapping"], "cpus_online": v1["cpus_online"],
           "lock_violations": v1["lock_violations"]}
    sf = {}
    for k in SFBUF_KEYS:
        a, b = v0["sfbuf"][k], v1["sfbuf"][k]
        sf[k] = None if a is None or b is None else b - a
    out["sfbuf"] = sf

    def per_req(k):
        a, b, n = v0[k], v1[k], out["served"]
        return (b - a) / n if n and a is not None and b is not None \
            else None
    out["kicks_per_req"] = per_req("tx_kicks")
    out["irqs_per_req"] = per_req("irqs")

    def per_mib(k):
        return sf[k] / mib if mib and sf[k] is not None else None
    out["ipis_per_mib"] = per_mib("shootdown_ipis_sent")
    out["shootdowns_per_mib"] = per_mib("shootdowns")
    out["local_inval_per_mib"] = per_mib("local_invalidations")
    out["avoided_per_mib"] = per_mib("shootdowns_avoided")
    return out


def petrel_queue_pairs(console):
    """The virtio-net queue pairs petrel runs, from its console ("queue
    pairs U of M"); 1 for a kernel without multiqueue (no such line)."""
    m = PETREL_PAIRS.search(console)
    return int(m.group(1)) if m else 1


# -- one configuration -----------------------------------------------------

class Scale:
    """One run: settings, site, results."""

    def __init__(self, args, logdir, say):
        self.a = args
        self.logdir = logdir
        self.say = say
        self.image = None
        self.points = []        # every measurement
        self.boots = []         # one per guest booted
        self.linux_queues = []  # what the Linux guest reported

    def make_site(self, tmp):
        site = os.path.join(tmp, "site")
        web.make_site(site, {file_name(lb): SIZES[lb] for lb in SIZES},
                      seed=15)
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write("<html><body>petrel scale bench</body></html>\n")
        self.image = web.make_image(site, os.path.join(tmp, "site.img"))

    def warm(self, ns, g, sizes, conns):
        """Fetch every file twice (length checked), then a short wrk run
        per file so TCG has translated the serving path on every CPU."""
        base = "http://%s/" % guest.GUEST_ADDR
        for lb in sizes:
            for _ in range(2):
                code, got = benchlib.fetch(ns, base + file_name(lb),
                                           FETCH_TIMEOUT)
                if code != 200 or got != SIZES[lb]:
                    raise guest.GuestError(
                        "%s -smp %d: GET %s: status %d, %d of %d bytes"
                        % (g.kind, g.smp, lb, code, got, SIZES[lb]))
            if self.a.warm_seconds:
                benchlib.wrk(ns, base + file_name(lb), conns,
                             self.a.warm_seconds)

    def point(self, ns, g, lb, conns, tags):
        """One wrk run of `conns` connections on file `lb`; the row."""
        petrel = g.kind == "petrel"
        v0 = petrel_view(benchlib.petrel_stats(ns, guest.GUEST_ADDR)) \
            if petrel else None
        c0, q0 = g.vcpu_seconds(), g.cpu_seconds()["qemu"]
        h0, t0 = host_cpu_ticks(), time.monotonic()
        m = benchlib.wrk(ns, "http://%s/%s" % (guest.GUEST_ADDR,
                                               file_name(lb)),
                         conns, self.a.seconds)
        h1, wall = host_cpu_ticks(), time.monotonic() - t0
        c1, q1 = g.vcpu_seconds(), g.cpu_seconds()["qemu"]
        if sorted(c0) != list(range(g.smp)) or sorted(c1) != sorted(c0):
            raise guest.GuestError("QEMU %d: vCPU threads %s, expected "
                                   "CPU 0..%d/TCG" % (g.pid, sorted(c1),
                                                      g.smp - 1))
        per = [c1[i] - c0[i] for i in sorted(c0)]
        n, mib = m["requests"], m["bytes"] / (1 << 20)
        m.update(tags, kind=g.kind, smp=g.smp, file=lb, conns=conns,
                 vcpu_s=sum(per), vcpu_s_per_cpu=per, qemu_s=q1 - q0)
        m["vcpu_us_per_req"] = sum(per) * 1e6 / n if n else None
        m["vcpu_ms_per_mib"] = sum(per) * 1e3 / mib if mib else None
        m["qemu_us_per_req"] = (q1 - q0) * 1e6 / n if n else None
        # how busy the whole host was: near 100% with the guest idle
        # means the host (client, QEMU's I/O thread) set the pace
        m["host_busy_pct"] = 100.0 * (h1[0] - h0[0]) / (h1[1] - h0[1]) \
            if h1[1] > h0[1] else None
        if petrel:
            v1 = petrel_view(benchlib.petrel_stats(ns, guest.GUEST_ADDR))
            m.update(petrel_deltas(v0, v1, mib))
            idle = list_delta(v0["cpu_idle_us"], v1["cpu_idle_us"])
            # the guest's own halted time (its clock; the stats fetch
            # adds a little beyond wrk's run)
            m["guest_idle_pct"] = 100.0 * sum(idle) / (
                len(idle) * wall * 1e6) if idle and wall > 0 else None
        self.points.append(m)
        return m

    def boot(self, kind, smp, rnd, append="", tag=""):
        """A namespace of `smp` queues and a guest on it, booted and
        serving: (ns, guest); the caller closes both."""
        ns = MqNamespace(smp).create()
        log = os.path.join(self.logdir, "%s-smp%d%s-round%d.serial.log"
                           % (kind, smp, tag, rnd))
        if kind == "linux":
            append = (LINUX_APPEND + " " + append).strip()
        elif smp > 1:
            # a queue pair per CPU, whatever the kernel's default (a
            # kernel without multiqueue names the option and goes on)
            append = ("net_queues=%d %s" % (smp, append)).strip()
        g = ScaleGuest(ns, kind, self.image, smp, self.a.mem, log, append,
                       self.a.kernel)
        try:
            g.start()
            boot_s = g.wait_http("/" + file_name(self.a.sizes[0]),
                                 BOOT_TIMEOUT[kind])
        except BaseException:
            g.stop()
            ns.destroy()
            raise
        self.boots.append({"kind": kind, "smp": smp, "round": rnd,
                           "tag": tag, "boot_s": boot_s,
                           "queue_pairs": petrel_queue_pairs(g.output())
                           if kind == "petrel" else None})
        if kind == "linux":
            self.record_linux_queues(g, smp, rnd)
        return ns, g

    def record_linux_queues(self, g, smp, rnd):
        """The queue pairs and nginx workers the Linux guest reported
        (nginx serves before /init has counted its workers: wait for
        that line, bounded)."""
        try:
            w = g.wait_for(LINUX_WORKERS.pattern, LINUX_READY_TIMEOUT)
        except qemu.BootTimeout:
            w = None
        q = LINUX_QUEUES.search(g.output())
        rec = {"smp": smp, "round": rnd,
               "cpus": int(q.group(1)) if q else None,
               "rx_queues": int(q.group(2)) if q else None,
               "tx_queues": int(q.group(3)) if q else None,
               "nginx_workers": int(w.group(1)) if w else None}
        self.linux_queues.append(rec)
        if rec["rx_queues"] != smp or rec["nginx_workers"] != smp:
            self.say("linux -smp %d: %s rx queues, %s nginx workers "
                     "(expected %d each)", smp, rec["rx_queues"],
                     rec["nginx_workers"], smp)

    def run_config(self, kind, smp, rnd):
        ns, g = self.boot(kind, smp, rnd)
        try:
            self.say("round %d %-6s -smp %d up after %.2f s (QEMU %d)",
                     rnd, kind, smp, self.boots[-1]["boot_s"], g.pid)
            self.warm(ns, g, self.a.sizes, self.a.conns[0])
            for lb in self.a.sizes:
                for c in self.a.conns:
                    m = self.point(ns, g, lb, c, {"round": rnd,
                                                  "table": "scale"})
                    self.say("round %d %-6s -smp %d %-5s x%-3d %8.0f req/s "
                             "%7.1f MB/s vCPU %s us/req (per CPU %s s), "
                             "host %s%% busy%s%s",
                             rnd, kind, smp, lb, c, m["rps"], m["mbps"],
                             fmt(m["vcpu_us_per_req"], "%.0f"),
                             "/".join("%.1f" % s
                                      for s in m["vcpu_s_per_cpu"]),
                             fmt(m["host_busy_pct"], "%.0f"),
                             ", guest %s%% idle" % fmt(
                                 m.get("guest_idle_pct"), "%.0f")
                             if "served" in m else "",
                             " served %d" % m["served"]
                             if "served" in m else "")
        finally:
            g.stop()
            ns.destroy()

    def run_mapping(self, mode, rnd):
        smp, lb, c = self.a.mapping_smp, "1MiB", self.a.conns[0]
        ns, g = self.boot("petrel", smp, rnd, "mapping=%s" % mode,
                          "-" + mode)
        try:
            self.warm(ns, g, [lb], c)
            m = self.point(ns, g, lb, c, {"round": rnd, "table": "mapping",
                                          "mode": mode})
            if m["mapping"] != mode:
                raise guest.GuestError("mapping=%s booted, /_stats says "
                                       "%s" % (mode, m["mapping"]))
            self.say("round %d mapping=%-6s -smp %d %s x%d %7.1f MB/s, "
                     "%s IPIs/MiB, %s vCPU ms/MiB", rnd, mode, smp, lb, c,
                     m["mbps"], fmt(m["ipis_per_mib"], "%.1f"),
                     fmt(m["vcpu_ms_per_mib"], "%.1f"))
        finally:
            g.stop()
            ns.destroy()

    def run_doorbell(self, batch, smp, rnd):
        c = self.a.conns[0]
        ns, g = self.boot("petrel", smp, rnd, "tx_kick_batch=%d" % batch,
                          "-kick%d" % batch)
        try:
            self.warm(ns, g, self.a.sizes, c)
            for lb in self.a.sizes:
                m = self.point(ns, g, lb, c, {"round": rnd,
                                              "table": "doorbell",
                                              "batch": batch})
                self.say("round %d tx_kick_batch=%-3d -smp %d %-5s x%d "
                         "%8.0f req/s vCPU %s us/req, QEMU %s us/req, "
                         "%s kicks/req", rnd, batch, smp, lb, c, m["rps"],
                         fmt(m["vcpu_us_per_req"], "%.1f"),
                         fmt(m["qemu_us_per_req"], "%.1f"),
                         fmt(m["kicks_per_req"], "%.3f"))
        finally:
            g.stop()
            ns.destroy()

    def run(self):
        """Every round: the scaling configurations (petrel and Linux
        alternating at each -smp), then the mapping modes, then the
        doorbell batches alternating at each -smp."""
        for rnd in range(self.a.rounds):
            for smp in self.a.smp:
                for kind in self.a.only:
                    self.run_config(kind, smp, rnd)
            if "petrel" in self.a.only:
                for mode in self.a.mapping:
                    self.run_mapping(mode, rnd)
                for smp in self.a.smp:
                    for batch in self.a.doorbell:
                        self.run_doorbell(batch, smp, rnd)


# -- summaries -------------------------------------------------------------

def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def sum_lists(lists):
    """Element-wise sum of equal-length lists (None when any is None or
    there are none)."""
    if not lists or any(x is None for x in lists) or \
            len({len(x) for x in lists}) != 1:
        return None
    return [sum(col) for col in zip(*lists)]


def shares(counts):
    """Each element's share of the total, or None."""
    if not counts or not sum(counts):
        return None
    return [c / sum(counts) for c in counts]


def medians(points, table, keys):
    """One row per distinct `keys` tuple of `table`'s points: the median
    of every scalar over the rounds, and the per-CPU lists summed over the
    rounds (a share needs counts, not medians)."""
    groups = {}
    for p in points:
        if p["table"] == table:
            groups.setdefault(tuple(p.get(k) for k in keys), []).append(p)
    out = []
    for key, ps in groups.items():
        row = dict(zip(keys, key))
        row["rounds"] = len(ps)
        for s in SCALARS:
            row[s] = benchlib.median(p.get(s) for p in ps)
        for s in ("vcpu_s_per_cpu", "cpu_requests", "instance_accepted"):
            row[s] = sum_lists([p.get(s) for p in ps])
        row["vcpu_share"] = shares(row["vcpu_s_per_cpu"])
        row["request_share"] = shares(row["cpu_requests"])
        row["accepted_share"] = shares(row["instance_accepted"])
        out.append(row)
    return out


def find(rows, **want):
    for r in rows:
        if all(r.get(k) == v for k, v in want.items()):
            return r
    return None


def goal(what, value, target, met):
    return {"what": what, "value": value, "target": target,
            "met": None if value is None else met(value)}


def ratio_rows(med, a):
    """Scaling and petrel/Linux ratios per file and connections, with
    the issue's targets."""
    rows, goals = [], []
    base = a.smp[0]
    for lb in a.sizes:
        for c in a.conns:
            for smp in a.smp:
                p = find(med, kind="petrel", smp=smp, file=lb, conns=c)
                li = find(med, kind="linux", smp=smp, file=lb, conns=c)
                p1 = find(med, kind="petrel", smp=base, file=lb, conns=c)
                l1 = find(med, kind="linux", smp=base, file=lb, conns=c)
                g = lambda r, k: r[k] if r else None  # noqa: E731
                row = {"file": lb, "conns": c, "smp": smp,
                       "petrel_rps_vs_smp1": ratio(g(p, "rps"),
                                                   g(p1, "rps")),
                       "linux_rps_vs_smp1": ratio(g(li, "rps"),
                                                  g(l1, "rps")),
                       "petrel_vs_linux_rps": ratio(g(p, "rps"),
                                                    g(li, "rps")),
                       "petrel_vs_linux_mbps": ratio(g(p, "mbps"),
                                                     g(li, "mbps")),
                       "petrel_vcpu_per_req_vs_smp1": ratio(
                           g(p, "vcpu_us_per_req"),
                           g(p1, "vcpu_us_per_req")),
                       "linux_vs_petrel_vcpu_per_req": ratio(
                           g(li, "vcpu_us_per_req"),
                           g(p, "vcpu_us_per_req")),
                       "busiest_cpu_request_share":
                       max(p["request_share"]) if p and
                       p["request_share"] else None}
                rows.append(row)
                goals += row_goals(row, lb, c, smp, base)
    return rows, goals


def row_goals(row, lb, c, smp, base):
    out = []
    if lb != "1KiB":
        return out
    where = "1 KiB x%d" % c
    if smp == 2 and base == 1:
        out.append(goal("petrel req/s -smp 2 / -smp 1, %s" % where,
                        row["petrel_rps_vs_smp1"], ">= %.2g" %
                        GOAL_SCALE_RPS, lambda v: v >= GOAL_SCALE_RPS))
        out.append(goal("petrel vCPU/request -smp 2 / -smp 1, %s" % where,
                        row["petrel_vcpu_per_req_vs_smp1"],
                        "<= %.2f" % GOAL_VCPU_COST,
                        lambda v: v <= GOAL_VCPU_COST))
        out.append(goal("petrel busiest CPU's share of requests -smp 2, "
                        "%s" % where, row["busiest_cpu_request_share"],
                        "<= %.2f" % GOAL_SPREAD,
                        lambda v: v <= GOAL_SPREAD))
    out.append(goal("petrel/Linux req/s -smp %d, %s" % (smp, where),
                    row["petrel_vs_linux_rps"], ">= %.3g" % GOAL_VS_LINUX,
                    lambda v: v >= GOAL_VS_LINUX))
    return out


def mapping_goal(mrows):
    s, n = find(mrows, mode="sfbuf"), find(mrows, mode="naive")
    cut = None
    if s and n and s["ipis_per_mib"] is not None and n["ipis_per_mib"]:
        cut = 1 - s["ipis_per_mib"] / n["ipis_per_mib"]
    return goal("sfbuf shootdown IPIs fewer than naive (fraction)", cut,
                ">= %.2f" % GOAL_IPI_CUT, lambda v: v >= GOAL_IPI_CUT)


def doorbell_table(rows, a):
    """The doorbell rows, with each batch's ratios to the first batch at
    the same -smp and file (req/s: >1 better; CPU: <1 better)."""
    first = a["doorbell"][0]
    L = ["", "TX doorbell batching, petrel x%d (tx_kick_batch=N; ratios to "
         "N=%d)" % (a["conns"][0], first),
         "%5s %3s %-5s %9s %9s %9s %9s %9s %8s %8s %8s" % (
             "batch", "smp", "file", "req/s", "vCPU/req", "QEMU/req",
             "kicks/req", "irqs/req", "req/s x", "vCPU x", "QEMU x")]
    for r in rows:
        b = find(rows, batch=first, smp=r["smp"], file=r["file"]) or {}
        L.append("%5d %3d %-5s %9.0f %9s %9s %9s %9s %8s %8s %8s" % (
            r["batch"], r["smp"], r["file"], r["rps"],
            fmt(r["vcpu_us_per_req"], "%.1f"),
            fmt(r["qemu_us_per_req"], "%.1f"),
            fmt(r["kicks_per_req"], "%.3f"), fmt(r["irqs_per_req"], "%.3f"),
            fmt(ratio(r["rps"], b.get("rps"))),
            fmt(ratio(r["vcpu_us_per_req"], b.get("vcpu_us_per_req"))),
            fmt(ratio(r["qemu_us_per_req"], b.get("qemu_us_per_req")))))
    return L


def share_text(sh):
    return "/".join("%.0f" % (100 * s) for s in sh) if sh else "n/a"


def tables(res):
    """The printed report."""
    a = res["config"]
    L = ["scaling: medians over %d round(s), wrk %d s per point (%d "
         "thread), -m %s, MTTCG, tap queues = CPUs" % (
             a["rounds"], a["seconds"], a["wrk_threads"], a["mem"]),
         "vCPU = user+system time summed over QEMU's \"CPU n/TCG\" "
         "threads; splits in % per CPU (requests: petrel /_stats, "
         "n/a = no per-CPU request counter)",
         "host busy = the whole host's CPU time in use during the run; "
         "guest idle = petrel's halted time over its CPUs",
         "%-6s %3s %-5s %5s %9s %8s %8s %8s %9s %9s %-9s %-9s %5s %5s" % (
             "side", "smp", "file", "conns", "req/s", "MB/s", "p50 ms",
             "p99 ms", "vCPU/req", "vCPU/MiB", "vCPU %", "req %", "host",
             "guest"),
         "%-6s %3s %-5s %5s %9s %8s %8s %8s %9s %9s %-9s %-9s %5s %5s" % (
             "", "", "", "", "", "", "", "", "us", "ms", "", "", "busy%",
             "idle%")]
    for m in res["medians"]:
        L.append("%-6s %3d %-5s %5d %9.0f %8.1f %8s %8s %9s %9s %-9s %-9s "
                 "%5s %5s"
                 % (m["kind"], m["smp"], m["file"], m["conns"], m["rps"],
                    m["mbps"], fmt(m["p50_ms"]), fmt(m["p99_ms"]),
                    fmt(m["vcpu_us_per_req"], "%.0f"),
                    fmt(m["vcpu_ms_per_mib"], "%.1f"),
                    share_text(m["vcpu_share"]),
                    share_text(m["request_share"])
                    if m["kind"] == "petrel" else "-",
                    fmt(m.get("host_busy_pct"), "%.0f"),
                    fmt(m.get("guest_idle_pct"), "%.0f")))
        if m["kind"] == "petrel" and m["accepted_share"]:
            L.append("%-6s %3s connections accepted per network instance: "
                     "%s %%" % ("", "", share_text(m["accepted_share"])))
    L += ["", "ratios (req/s: >1 better; vCPU/req: <1 better)",
          "%-5s %5s %3s %11s %11s %11s %11s %12s %12s" % (
              "file", "conns", "smp", "petrel/smp1", "linux/smp1",
              "petrel/lnx", "MB/s p/lnx", "vCPU/req p", "vCPU lnx/p")]
    for r in res["ratios"]:
        L.append("%-5s %5d %3d %11s %11s %11s %11s %12s %12s" % (
            r["file"], r["conns"], r["smp"], fmt(r["petrel_rps_vs_smp1"]),
            fmt(r["linux_rps_vs_smp1"]), fmt(r["petrel_vs_linux_rps"]),
            fmt(r["petrel_vs_linux_mbps"]),
            fmt(r["petrel_vcpu_per_req_vs_smp1"]),
            fmt(r.get("linux_vs_petrel_vcpu_per_req"))))
    if res["mapping"]:
        L += ["", "mapping at -smp %d, 1 MiB x%d (per MiB read by wrk)" % (
            a["mapping_smp"], a["conns"][0]),
            "%-7s %8s %9s %12s %11s %11s %10s %9s" % (
                "mode", "MB/s", "IPIs/MiB", "shootdn/MiB", "local/MiB",
                "avoided/MiB", "vCPU ms/MiB", "served")]
        for m in res["mapping"]:
            L.append("%-7s %8.1f %9s %12s %11s %11s %10s %9s" % (
                m["mode"], m["mbps"], fmt(m["ipis_per_mib"], "%.1f"),
                fmt(m["shootdowns_per_mib"], "%.1f"),
                fmt(m["local_inval_per_mib"], "%.1f"),
                fmt(m["avoided_per_mib"], "%.1f"),
                fmt(m["vcpu_ms_per_mib"], "%.1f"),
                fmt(m["served"], "%.0f")))
    if res.get("doorbell"):
        L += doorbell_table(res["doorbell"], a)
    L.append("")
    for smp in a["smp"]:
        pairs = sorted({b.get("queue_pairs") or 1 for b in res["boots"]
                        if b["kind"] == "petrel" and b["smp"] == smp})
        if pairs:
            L.append("petrel -smp %d: virtio-net queue pairs in use %s"
                     % (smp, "/".join(map(str, pairs))))
    if res["linux_queues"]:
        for q in res["linux_queues"]:
            L.append("linux -smp %d round %d: %s CPUs, eth0 %s rx / %s tx "
                     "queues, %s nginx workers" % (
                         q["smp"], q["round"], q["cpus"], q["rx_queues"],
                         q["tx_queues"], q["nginx_workers"]))
    h = res["host"]
    L += ["", "host: %d CPUs, load average %s before, %s after; %s other "
          "QEMU processes running at the start" % (
              h["cpus"], " ".join(h["loadavg_before"]),
              " ".join(h["loadavg_after"]), h["other_qemu"]),
          "", "targets (issue 15):"]
    for g in res["goals"]:
        met = {None: "not measured", True: "MET", False: "MISSED"}[g["met"]]
        L.append("  %-58s %8s  goal %-7s %s" % (
            g["what"], fmt(g["value"]), g["target"], met))
    spread = [m for m in res["medians"]
              if m["kind"] == "petrel" and m["smp"] > 1]
    if spread and not any(m["request_share"] for m in spread):
        L.append("  per-CPU requests: not available (this kernel's /_stats "
                 "has no per-CPU request counter)")
    return "\n".join(L)


# -- host and command line -------------------------------------------------

def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[:3]


def qemu_processes():
    """PIDs of the QEMU processes running on this host now."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().startswith("qemu-system"):
                    pids.append(int(d))
        except OSError:
            continue
    return pids


def host_info():
    q = subprocess.run([guest.QEMU, "--version"], capture_output=True,
                       text=True, timeout=20).stdout.splitlines()
    return {"cpus": os.cpu_count(), "qemu": q[0] if q else None,
            "loadavg_before": loadavg(), "other_qemu": len(qemu_processes())}


def int_list(text):
    return [int(x) for x in text.split(",") if x]


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="one round, 2 s per point, 1 s warm-up")
    ap.add_argument("--smp", default="1,2",
                    help="-smp values, the first the baseline (1,2,4)")
    ap.add_argument("--only", default=",".join(SIDES),
                    help="sides: petrel,linux")
    ap.add_argument("--rounds", type=int, help="default 3; quick 1")
    ap.add_argument("--seconds", type=int, help="wrk seconds per point "
                    "(default 5; quick 2)")
    ap.add_argument("--warm-seconds", type=int, help="wrk warm-up per "
                    "file after boot (default 2; quick 1; 0: none)")
    ap.add_argument("--sizes", default=",".join(SIZES),
                    help="files: %s" % ",".join(SIZES))
    ap.add_argument("--conns", default="32", help="e.g. 32,64")
    ap.add_argument("--mapping", default=",".join(MAPPINGS),
                    help="mapping modes for the table (empty: none)")
    ap.add_argument("--mapping-smp", type=int, default=2)
    ap.add_argument("--doorbell", default="",
                    help="tx_kick_batch values for the doorbell table, "
                    "the first the baseline (e.g. 1,32; empty: none)")
    ap.add_argument("--mem", default=MEM, help="guest -m")
    ap.add_argument("--kernel", help="petrel kernel (default %s)"
                    % guest.PETREL_KERNEL)
    ap.add_argument("--wrk-threads", type=int, default=1,
                    help="wrk threads (the host has few cores)")
    ap.add_argument("--out", default=RESULTS, help="results folder")
    ap.add_argument("--report", metavar="JSON",
                    help="print the tables of a results file and exit")
    a = ap.parse_args(argv)
    if a.report:
        return a
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.seconds = a.seconds or (2 if a.quick else 5)
    if a.warm_seconds is None:
        a.warm_seconds = 1 if a.quick else 2
    a.smp, a.conns = int_list(a.smp), int_list(a.conns)
    a.only = [s for s in SIDES if s in a.only.split(",")]
    a.sizes = [s for s in a.sizes.split(",") if s]
    a.mapping = [m for m in a.mapping.split(",") if m]
    a.doorbell = int_list(a.doorbell)
    if any(s not in SIZES for s in a.sizes) or not a.sizes:
        ap.error("--sizes: from %s" % ",".join(SIZES))
    if any(m not in MAPPINGS for m in a.mapping):
        ap.error("--mapping: from %s" % ",".join(MAPPINGS))
    if a.mapping and "1MiB" not in SIZES:
        ap.error("the mapping table serves 1MiB")
    if not a.only or not a.smp or not a.conns:
        ap.error("--only, --smp and --conns must not be empty")
    if not (1 <= a.rounds <= 20 and 1 <= a.seconds <= 120 and
            0 <= a.warm_seconds <= 30 and all(1 <= c <= 1024
                                               for c in a.conns) and
            all(1 <= s <= 8 for s in a.smp + [a.mapping_smp]) and
            all(1 <= b <= 1024 for b in a.doorbell) and
            1 <= a.wrk_threads <= 8):
        ap.error("rounds 1..20, seconds 1..120, warm 0..30, conns 1..1024,"
                 " smp 1..8, doorbell 1..1024, wrk threads 1..8")
    return a


def preflight(a):
    ok, why = guest.available()
    if not ok:
        raise SystemExit("scale: cannot create a network namespace (needs "
                         "root or CAP_NET_ADMIN): %s" % why)
    kernel = a.kernel or guest.PETREL_KERNEL
    if "petrel" in a.only and not os.path.isfile(kernel):
        raise SystemExit("scale: %s missing: run make" % kernel)
    if "linux" in a.only and not os.path.isfile(os.path.join(
            guest.LINUX_DIR, guest.LINUX_INITRD_NAME)):
        raise SystemExit("scale: Linux guest missing: run make linux-guest")


def summarize(a, s, info, stamp):
    med = medians(s.points, "scale", ("kind", "smp", "file", "conns"))
    med.sort(key=lambda m: (a.sizes.index(m["file"]), m["conns"],
                            m["smp"], SIDES.index(m["kind"])))
    mrows = medians(s.points, "mapping", ("mode",))
    mrows.sort(key=lambda m: MAPPINGS.index(m["mode"]))
    drows = medians(s.points, "doorbell", ("batch", "smp", "file"))
    drows.sort(key=lambda m: (m["smp"], a.sizes.index(m["file"]),
                              a.doorbell.index(m["batch"])))
    rows, goals = ratio_rows(med, a)
    if a.mapping:
        goals.append(mapping_goal(mrows))
    return {"schema": "petrel-scale/1", "started": stamp, "host": info,
            "config": {"smp": a.smp, "sides": a.only, "rounds": a.rounds,
                       "seconds": a.seconds, "warm_seconds": a.warm_seconds,
                       "sizes": a.sizes, "conns": a.conns, "mem": a.mem,
                       "mapping_modes": a.mapping,
                       "mapping_smp": a.mapping_smp, "quick": a.quick,
                       "doorbell": a.doorbell,
                       "kernel": a.kernel or guest.PETREL_KERNEL,
                       "wrk_threads": a.wrk_threads},
           "medians": med, "ratios": rows, "mapping": mrows,
           "doorbell": drows,
           "goals": goals, "boots": s.boots,
           "linux_queues": s.linux_queues, "points": s.points}


def main(argv=None):
    a = parse_args(argv)
    if a.report:
        with open(a.report) as f:
            print(tables(json.load(f)))
        return 0
    preflight(a)
    benchlib.WRK_THREADS = a.wrk_threads
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    say = benchlib.Progress()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(a.out, "scale-%s" % stamp)
    os.makedirs(base + "-logs", exist_ok=True)
    info = host_info()
    say("scale: %s at -smp %s, %d round(s) x %d s, files %s, connections "
        "%s, mapping %s; load average %s; results %s.json", ",".join(a.only),
        ",".join(map(str, a.smp)), a.rounds, a.seconds, ",".join(a.sizes),
        ",".join(map(str, a.conns)), ",".join(a.mapping) or "none",
        " ".join(info["loadavg_before"]), base)
    s = Scale(a, base + "-logs", say)
    try:
        with tempfile.TemporaryDirectory(prefix="petrel-scale-") as tmp:
            s.make_site(tmp)
            s.run()
    except (KeyboardInterrupt, Terminated):
        say("scale: interrupted; guests stopped, namespaces deleted")
        return 130
    except (guest.GuestError, RuntimeError, ValueError, KeyError,
            subprocess.SubprocessError) as e:
        say("scale: FAILED: %s", e)
        return 1
    info["loadavg_after"] = loadavg()
    res = summarize(a, s, info, stamp)
    text = tables(res)
    with open(base + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(base + ".txt", "w") as f:
        f.write(text + "\n")
    print("\n" + text + "\n")
    say("results: %s.json", base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
