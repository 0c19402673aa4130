# SPDX-License-Identifier: MIT
"""A disk-bound low-priority flood with a trickle of urgent requests:
the load of tests/integration/test_prio.py and tools/bench/prio.py.

site(): N low files of LOW_SIZE and M high files of HIGH_SIZE, all
distinct, so each GET of the run reads cold from the disk (every boot
starts with an empty page cache). throttled_disk(): the image behind
QEMU's I/O throttling, so the disk, not the CPU or the network, is the
bottleneck as on a real disk (the image itself sits in the host's page
cache). run(): `low_conns` threads each fetch low files (`Priority:
u=7`) one after another on fresh connections until none are left or
`seconds` pass; once the disk queue is deep, high files (`Priority:
u=0`) are fetched one at a time every `interval` seconds. Every body is
checked byte for byte. Callers must be inside the namespace
(NetNS.entered()).
"""
import http.client
import threading
import time

import web

MIB = 1 << 20
LOW_SIZE = MIB
HIGH_SIZE = 64 << 10
LOW_URGENCY = "u=7"
HIGH_URGENCY = "u=0"
TIMEOUT = 120  # seconds for one response, on a slow busy host


def site(tmp, n_low, n_high, seed=18):
    """({"/name": bytes}, image path, low paths, high paths)."""
    sizes = {"low/l%03d.bin" % i: LOW_SIZE for i in range(n_low)}
    sizes.update({"high/h%03d.bin" % i: HIGH_SIZE for i in range(n_high)})
    sizes["warm.txt"] = 100
    files, img = web.site_image(tmp, sizes, seed=seed)
    low = sorted(p for p in files if p.startswith("/low/"))
    high = sorted(p for p in files if p.startswith("/high/"))
    return files, img, low, high


def throttled_disk(img, iops, bytes_per_s):
    """QEMU arguments: `img` as drive d0 answering at most `iops`
    requests and `bytes_per_s` bytes a second: a seek-bound disk, where
    each request costs about the same whatever its size."""
    return ["-drive", "if=none,id=d0,format=raw,readonly=on,file=%s,"
            "throttling.iops-total=%d,throttling.bps-total=%d"
            % (img, iops, bytes_per_s),
            "-device", "virtio-blk-pci,drive=d0,disable-legacy=on"]


def timed_get(path, urgency):
    """GET on a fresh connection with `Priority: urgency`:
    (seconds, status, body)."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection(web.GUEST, 80, timeout=TIMEOUT)
    try:
        c.request("GET", path, headers={"Priority": urgency})
        r = c.getresponse()
        body = r.read()
        return time.monotonic() - t0, r.status, body
    finally:
        c.close()


def _flood(files, queue, lock, stop, errors, done):
    while not stop.is_set():
        with lock:
            if not queue:
                return
            path = queue.pop(0)
        try:
            _, status, body = timed_get(path, LOW_URGENCY)
            if status != 200 or body != files[path]:
                errors.append("%s: %d, %d bytes" % (path, status, len(body)))
            done.append(path)
        except (OSError, http.client.HTTPException) as e:
            errors.append("%s: %r" % (path, e))


def disk_queue_deep(depth):
    """Whether at least `depth` disk requests are outstanding in the
    guest (in the device or waiting for it)."""
    fs = web.stats()["fs"]
    return fs["disk_waiting"] + fs["disk_in_flight"] >= depth


def run(files, low, high, low_conns, interval, seconds, queue_depth=8,
        warmup=3.0):
    """The flood and the trickle, which starts once `queue_depth` disk
    requests are outstanding (or after `warmup` seconds); returns
    {"high": [seconds...], "low_done": n, "errors": [...],
    "high_started_at_depth": bool}."""
    queue, lock, stop = list(low), threading.Lock(), threading.Event()
    errors, done, lat = [], [], []
    threads = [threading.Thread(target=_flood,
                                args=(files, queue, lock, stop, errors, done))
               for _ in range(low_conns)]
    deadline = time.monotonic() + seconds
    for t in threads:
        t.start()
    deep, warm_end = False, time.monotonic() + warmup
    while time.monotonic() < warm_end and not deep:
        deep = disk_queue_deep(queue_depth)
        if not deep:
            time.sleep(0.05)
    try:
        for path in high:
            if time.monotonic() > deadline:
                break
            took, status, body = timed_get(path, HIGH_URGENCY)
            if status != 200 or body != files[path]:
                errors.append("%s: %d, %d bytes" % (path, status, len(body)))
            lat.append(took)
            time.sleep(interval)
    finally:
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
    return {"high": lat, "low_done": len(done), "errors": errors,
            "high_started_at_depth": deep}
