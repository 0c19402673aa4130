#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make soak: a mixed load for a bounded time, every response checked.

Boots one guest in a private network namespace (tools/harness/netns.py;
host 10.77.0.1, guest 10.77.0.2, nothing leaves it) on a
generated site, then runs --clients threads until --seconds have passed.
Each round a client picks one of: keep-alive GETs, a range, pipelined
requests, a conditional request, HEAD, a reset mid-response, a slow head
dropped half-way, garbage, a huge header. Every body is compared byte for
byte with the file put into the image. At the end the server must be
back to idle (tools/harness/web.py is_idle: nothing open but the
/_stats request, no page pinned beyond the NIC's, nothing queued or
waiting for the disk). Exit status 0 only if no response was wrong and
nothing leaked. Needs root (the namespace), like the integration tests.
"""
import argparse
import http.client
import os
import random
import socket
import struct
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "harness"))

import netns  # noqa: E402
import web  # noqa: E402
from web import GUEST  # noqa: E402

SIZES = {"k1.bin": 1024, "k4.bin": 4096, "k64.bin": 65536,
         "k300.bin": 300_000, "m1.bin": 1 << 20, "m4.bin": 4 << 20,
         "m10.bin": 10 << 20, "dir/index.html": 777}
CMDLINE = "header_timeout_ms=3000 idle_timeout_ms=20000"
TIMEOUT = 60
REPORT_EVERY = 30  # seconds between progress lines


class ConnectTimeout(OSError):
    """The handshake did not complete in TIMEOUT (told apart from a
    response that stops coming, in the report)."""


def create_connection(address, timeout=TIMEOUT, *args, **kw):
    try:
        return _create_connection(address, timeout, *args, **kw)
    except TimeoutError as e:
        raise ConnectTimeout("connect: %s" % e) from e


# http.client connects through socket.create_connection too.
_create_connection = socket.create_connection
socket.create_connection = create_connection


def refused(request):
    """Send a request the server is to refuse; what it answered before
    closing. It may close (and reset) before reading all of it."""
    s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
    out = b""
    try:
        s.sendall(request)
    except OSError:
        pass
    try:
        while len(out) < 65536:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    finally:
        s.close()
    return out


class Load:
    def __init__(self, files, deadline, seed):
        self.files = files
        self.paths = sorted(p for p in files if not p.startswith("/dir"))
        self.deadline = deadline
        self.start = time.monotonic()
        self.seed = seed
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def error(self, what):
        with self.lock:
            self.errors.append(what)

    def check(self, what, ok, detail=""):
        self.count(what)
        if not ok:
            self.error("%s %s" % (what, detail))

    # --- the actions -----------------------------------------------------

    def keep_alive(self, rng):
        c = http.client.HTTPConnection(GUEST, 80, timeout=TIMEOUT)
        try:
            for _ in range(rng.randint(1, 8)):
                path = rng.choice(self.paths)
                c.request("GET", path)
                r = c.getresponse()
                body = r.read()
                self.check("get", r.status == 200 and
                           body == self.files[path])
                self.count("bytes", len(body))
        finally:
            c.close()

    def ranged(self, rng):
        path = rng.choice(self.paths)
        data = self.files[path]
        first = rng.randrange(len(data))
        last = rng.randrange(first, len(data))
        status, _, body = web.get(path, headers={
            "Range": "bytes=%d-%d" % (first, last)})
        self.check("range", status == 206 and body == data[first:last + 1])

    def pipelined(self, rng):
        paths = [rng.choice(self.paths[:4]) for _ in range(rng.randint(2, 10))]
        got = web.pipeline(paths, TIMEOUT)
        for p, (head, body) in zip(paths, got):
            self.check("pipelined", head.startswith(b"HTTP/1.1 200 ") and
                       body == self.files[p])

    def conditional(self, rng):
        path = rng.choice(self.paths)
        self.current = path
        status, headers, body = web.get(path, method="HEAD")
        self.check("head", status == 200 and body == b"" and
                   int(headers["Content-Length"]) == len(self.files[path]))
        status, _, _ = web.get(path, headers={
            "If-None-Match": headers["ETag"]})
        self.check("304", status == 304)

    def reset_mid_response(self, rng):
        s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
        s.sendall(b"GET /m10.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(rng.randint(1, 200_000))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
        self.count("reset")

    def slow_head(self, rng):
        s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
        s.sendall(b"GET /k1.bin HTTP/1.1\r\nHo")
        time.sleep(rng.uniform(0.1, 1.0))
        s.close()
        self.count("slow_head")

    def garbage(self, rng):
        junk = rng.randbytes(rng.randint(1, 2000)) + b"\r\n\r\n"
        out = refused(junk)
        self.check("garbage", out == b"" or out[:10] in (b"HTTP/1.1 4",
                                                         b"HTTP/1.1 5"))

    def huge_header(self, rng):
        # Over the header limit but inside the request buffer, so the
        # server has read it all when it closes: a close with unread
        # data would be a reset, which may overtake the answer.
        out = refused(b"GET /k1.bin HTTP/1.1\r\nHost: x\r\nX-Big: " +
                      b"v" * rng.randint(17000, 24000) + b"\r\n\r\n")
        self.check("huge_header", out.startswith(b"HTTP/1.1 431 "), out[:40])

    def snapshot(self):
        """The server's view right after an error, for the report."""
        try:
            st = web.stats()
            self.error("  stats: %s" % {k: st[k] for k in (
                "http", "conn", "nic", "pcache", "fs")})
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.error("  stats: %r" % e)

    ACTIONS = [(keep_alive, 8), (ranged, 3), (pipelined, 3),
               (conditional, 2), (reset_mid_response, 1), (slow_head, 1),
               (garbage, 1), (huge_header, 1)]

    def client(self, i):
        rng = random.Random(self.seed * 1000 + i)
        actions = [a for a, w in self.ACTIONS for _ in range(w)]
        while time.monotonic() < self.deadline:
            action = rng.choice(actions)
            try:
                action(self, rng)
            except (OSError, http.client.HTTPException, ValueError) as e:
                self.error("%s at %.1fs: %r" % (
                    action.__name__, time.monotonic() - self.start, e))
                if len(self.errors) <= 3:
                    self.snapshot()


def run(args):
    tmp = tempfile.mkdtemp(prefix="petrel-soak-")
    site = os.path.join(tmp, "site")
    files = web.make_site(site, SIZES, seed=args.seed)
    img = web.make_image(site, os.path.join(tmp, "site.img"))
    ns = netns.NetNS(prefix="petrel-soak").create()
    try:
        g = web.start_guest(ns, tmp, img, CMDLINE, mem="128M")
        with ns.entered():
            status = soak(args, files, g)
        print("soak: tap: %s" % " ".join(ns.run(
            ["ip", "-s", "link", "show", ns.tap]).stdout.split()))
        return status
    finally:
        ns.destroy()


def soak(args, files, g):
    pins = web.other_pins(web.settle(lambda st: st["http"]["active"] == 1))
    start = time.monotonic()
    load = Load(files, start + args.seconds, args.seed)
    threads = [threading.Thread(target=load.client, args=(i,), daemon=True)
               for i in range(args.clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        alive = [t for t in threads if t.is_alive()]
        if alive:  # wait on a live one: a finished one returns at once
            alive[0].join(REPORT_EVERY)
        with load.lock:
            print("soak: %4.0fs %s, %d errors" % (
                time.monotonic() - start, load.counts, len(load.errors)),
                flush=True)
        if time.monotonic() > load.deadline + 2 * TIMEOUT:
            load.error("clients still running after the deadline")
            break
    st = web.settle(lambda st: web.is_idle(st, pins), 60)
    leak = not web.is_idle(st, pins)
    alive = g.proc.poll() is None and "PANIC" not in g.output()
    print("soak: done in %.0fs: %s" % (time.monotonic() - start, load.counts))
    print("soak: server %s; http %s; conn active %d, pinned beyond the NIC "
          "%d (idle %d)" % ("alive" if alive else "DEAD", st["http"],
                           st["conn"]["active"], web.other_pins(st), pins))
    for e in load.errors[:20]:
        print("soak: error: %s" % e)
    if load.errors or leak or not alive:
        print("soak: FAILED (%d errors%s)" % (len(load.errors),
                                              ", leak" if leak else ""))
        return 1
    print("soak: ok, every response byte-exact, nothing leaked")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float,
                   default=float(os.environ.get("SOAK_SECONDS", 600)))
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    ok, why = netns.available()
    if not ok:
        print("soak: cannot create a network namespace: %s" % why)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
