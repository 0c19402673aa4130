#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Network queues: req/s and guest vCPU time per request at net_queues=N.

Boots the unikernel once per configuration on a tap in a private
namespace (a multiqueue tap when queues > 1), warms the file, runs wrk
from inside the namespace, and reports req/s, vCPU microseconds per
request (summed over QEMU's "CPU n/TCG" threads) and how the accepted
connections spread over the stack instances (/_stats net_instances).

    tools/bench/netq.py [--kernel K]... [--queues 1,2,4] [--smp 1]
                        [--conns 32] [--seconds 10] [--size 1024]

--kernel may be given several times (e.g. another tree's build) to
compare images at one queue. Traffic stays in the namespace (10.77.0.x);
every run is bounded by --seconds; the namespace and QEMU are removed on
exit. Needs root. Not a test: run it on a quiet host and say how busy it
was.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "harness"))
import netns  # noqa: E402
import qemu  # noqa: E402
import web  # noqa: E402

WRK_THREADS = 2
BOOT_TIMEOUT = 60


class Guest(qemu.Guest):
    def __init__(self, kernel, smp, **kw):
        super().__init__(**kw)
        self.kernel = kernel
        self.smp = smp

    def boot_args(self):
        return ["-smp", str(self.smp), "-name", "petrel,debug-threads=on",
                "-kernel", self.kernel, "-append", self.cmdline]


def vcpu_seconds(pid):
    """User+system seconds of QEMU's vCPU threads so far."""
    total = 0.0
    task = "/proc/%d/task" % pid
    for tid in os.listdir(task):
        try:
            with open("%s/%s/comm" % (task, tid)) as f:
                if not re.match(r"CPU \d+/TCG", f.read().strip()):
                    continue
            with open("%s/%s/stat" % (task, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf(
            "SC_CLK_TCK")
    return total


def wrk(ns, conns, seconds, url):
    r = ns.run(["wrk", "-t%d" % WRK_THREADS, "-c%d" % conns,
                "-d%ds" % seconds, url], timeout=seconds + 30)
    m = re.search(r"(\d+) requests in", r.stdout)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
    sock = re.search(r"Socket errors: (.*)", r.stdout)
    return int(m.group(1)) if m else 0, (errs.group(1) if errs else "0"), \
        (sock.group(1) if sock else "")


def run_one(args, kernel, queues, img, tmp):
    ns = netns.NetNS(prefix="netq", queues=queues).create()
    try:
        net = ns.nic_args()
        cmd = "ip=%s/24 gw=%s net_queues=%d %s" % (
            netns.GUEST_ADDR, netns.HOST_ADDR, queues, args.append)
        g = Guest(kernel, args.smp, tmp_path=tmp, cmdline=cmd, mem=args.mem,
                  prefix=ns.exec_prefix(), name="netq-q%d" % queues,
                  extra_args=net + web.disk_args(img))
        ns.guests.append(g)
        g.start()
        g.wait_for(r"http: listening on port 80", BOOT_TIMEOUT)
        url = "http://%s/f.bin" % netns.GUEST_ADDR
        wrk(ns, args.conns, 2, url)  # warm: page cache, ARP, TIME_WAITs
        before = vcpu_seconds(g.pid)
        t0 = time.monotonic()
        n, non2xx, sockerr = wrk(ns, args.conns, args.seconds, url)
        wall = time.monotonic() - t0
        vcpu = vcpu_seconds(g.pid) - before
        with ns.entered():
            st = web.stats()
        inst = st.get("net_instances", {})
        spread = [inst[str(i)]["accepted"] for i in range(inst.get("count",
                                                                     0))]
        return {"kernel": kernel, "queues": queues, "smp": args.smp,
                "requests": n, "req_s": round(n / args.seconds),
                "vcpu_s": round(vcpu, 2), "wall_s": round(wall, 1),
                "vcpu_us_per_req": round(vcpu * 1e6 / n, 1) if n else None,
                "non2xx": non2xx, "socket_errors": sockerr,
                "accepted_per_instance": spread}
    finally:
        ns.destroy()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", action="append",
                    help="kernel image (default build/petrel32.elf)")
    ap.add_argument("--queues", default="1,2", help="e.g. 1,2,4")
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--size", type=int, default=1024, help="file bytes")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--append", default="", help="more kernel options")
    args = ap.parse_args(argv)
    if not 1 <= args.seconds <= 120 or not 1 <= args.conns <= 1024:
        ap.error("--seconds 1..120, --conns 1..1024")
    kernels = args.kernel or [qemu.KERNEL]
    tmp = tempfile.mkdtemp(prefix="netq-")
    _, img = web.site_image(tmp, {"f.bin": args.size})
    for kernel in kernels:
        for q in [int(x) for x in args.queues.split(",")]:
            print(json.dumps(run_one(args, kernel, q, img, tmp)), flush=True)


if __name__ == "__main__":
    main()
