# SPDX-License-Identifier: MIT
"""Site images and HTTP helpers of the integration tests, tools/soak.py
and the benchmarks (make_site, make_image).

Everything that talks to a guest talks to the guest at netns.GUEST_ADDR, so callers must be
inside the test's namespace (NetNS.entered()). Every socket has a
timeout and every wait a deadline.
"""
import http.client
import json
import os
import random
import re
import socket
import struct
import subprocess
import threading
import time

import netns
from qemu import ROOT

MKIMAGE = os.path.join(ROOT, "tools", "mkimage.sh")
GUEST = netns.GUEST_ADDR
TIMEOUT = 30
MKIMAGE_TIMEOUT = 120


def write_files(root, contents):
    """Write {name: bytes} under root (folders made as needed); returns
    {"/name": data}."""
    for name, data in contents.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return {"/" + name: data for name, data in contents.items()}


def make_site(root, sizes, seed=99):
    """Write random files of the given sizes ({name: bytes}) under root
    (the same bytes for the same seed); returns {"/name": data}."""
    rng = random.Random(seed)
    return write_files(root, {name: rng.randbytes(size)
                              for name, size in sizes.items()})


def make_image(site, img, block_size=None):
    """The read-only ext2 image of folder `site` (tools/mkimage.sh);
    returns its path."""
    args = [MKIMAGE, str(site), str(img)]
    if block_size:
        args.append(str(block_size))
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL,
                   timeout=MKIMAGE_TIMEOUT)
    return str(img)


def disk_args(img_spec, device="virtio-blk-pci,drive=d0,disable-legacy=on"):
    """The image as drive d0 behind `device` (a -device value naming
    drive=d0), or, with device=None, QEMU's plain -drive if=virtio."""
    if device is None:
        return ["-drive", "if=virtio,format=raw,readonly=on,file=" + img_spec]
    return ["-drive", "if=none,id=d0,format=raw,readonly=on,file=" + img_spec,
            "-device", device]


def site_image(tmp, sizes, seed=7):
    """Random files ({name: size}) under tmp/site and the ext2 image of
    them: ({"/name": data}, image path)."""
    root = os.path.join(str(tmp), "site")
    files = make_site(root, sizes, seed)
    return files, make_image(root, os.path.join(str(tmp), "site.img"))


def start_guest(ns, tmp_path, img, cmdline, mem="256M", net_args=None,
                disk=None, machine="q35", smp=None):
    """Boot on image `img` with the namespace's static address; returns
    the guest once it serves. `disk` replaces disk_args(img); `smp`
    vCPUs (default: PETREL_SMP, else 1)."""
    g = ns.guest(tmp_path, "ip=%s/24 gw=%s %s" % (
        GUEST, netns.HOST_ADDR, cmdline), mem=mem,
        extra_args=disk if disk is not None else disk_args(img),
        net_args=net_args, machine=machine, smp=smp)
    g.wait_for(r"http: listening on port 80", 60)
    g.wait_for(r"vnet: link up", 30)
    return g


def get(path, method="GET", headers=None, timeout=TIMEOUT):
    """One request on a fresh connection: (status, headers, body)."""
    c = http.client.HTTPConnection(GUEST, 80, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def fetch(path, headers=None, timeout=2 * TIMEOUT):
    """GET on a fresh connection: (status, body)."""
    status, _, body = get(path, headers=headers, timeout=timeout)
    return status, body


def start_clients(files, paths, errors):
    """One thread a path, each GETting it and checking it byte-exact;
    failures go to `errors`. Returns the started threads."""
    def client(path):
        try:
            status, body = fetch(path)
            if (status, body) != (200, files[path]):
                errors.append("%s: %d, %d bytes" % (path, status, len(body)))
        except OSError as e:
            errors.append("%s: %r" % (path, e))
    threads = [threading.Thread(target=client, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    return threads


def fetch_concurrently(files, paths, timeout=4 * TIMEOUT):
    """start_clients, wait for them, and assert that none failed."""
    errors = []
    for t in start_clients(files, paths, errors):
        t.join(timeout)
    assert not errors, errors


def keepalive_fetch(files, paths, errors, done, timeout=4 * TIMEOUT):
    """GET `paths` (any iterable) in turn on one keep-alive connection,
    checking each body byte-exact: failures go to `errors`, each path
    answered to `done` (thread-safe appends, so many of these can share
    the lists)."""
    conn = http.client.HTTPConnection(GUEST, 80, timeout=timeout)
    try:
        for path in paths:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or body != files[path]:
                errors.append("%s: %d, %d bytes" % (path, r.status,
                                                    len(body)))
            done.append(path)
    except (OSError, http.client.HTTPException) as e:
        errors.append(repr(e))
    finally:
        conn.close()


def stats():
    status, _, body = get("/_stats")
    assert status == 200
    return json.loads(body)


def settle(predicate, seconds=15):
    """Poll /_stats until predicate(stats) holds or `seconds` pass;
    returns the last stats either way (the caller asserts)."""
    deadline = time.monotonic() + seconds
    while True:
        st = stats()
        if predicate(st) or time.monotonic() > deadline:
            return st
        time.sleep(0.3)


def raw(request, read_until_close=True, timeout=TIMEOUT):
    """Send raw bytes; return everything the server sends until it closes
    (or the timeout)."""
    s = socket.create_connection((GUEST, 80), timeout=timeout)
    try:
        s.sendall(request)
        if not read_until_close:
            return s.recv(65536)
        return recv_until_close(s)
    finally:
        s.close()


def recv_until_close(sock):
    """Everything sock receives until the peer closes."""
    out = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return out
        out += chunk


def pipeline(paths, timeout=TIMEOUT):
    """GET every path on one connection, all requests sent at once;
    [(head, body)] in order."""
    s = socket.create_connection((GUEST, 80), timeout=timeout)
    try:
        s.sendall(b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" %
                           p.encode() for p in paths))
        return read_responses(s, len(paths))
    finally:
        s.close()


def reset_mid_response(path, n, first=1000, step=100):
    """n clients that GET `path`, read first + i * step bytes of it and
    reset the connection (SO_LINGER 0: close sends RST, not FIN)."""
    for i in range(n):
        s = socket.create_connection((GUEST, 80), timeout=TIMEOUT)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        s.recv(first + i * step)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()


def read_responses(sock, n):
    """Parse n responses with Content-Length bodies from sock."""
    buf, out = b"", []
    while len(out) < n:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed after %d responses" % len(out))
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        while len(buf) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed inside body %d" % len(out))
            buf += chunk
        out.append((head, buf[:length]))
        buf = buf[length:]
    return out


def other_pins(st):
    """Pool pages pinned by anything but the NIC's receive buffers (the
    RX ring's buffers, and those lwIP holds, come and go with traffic,
    several to a page with mergeable RX buffers): at idle this is what
    a leak would raise."""
    return st["iobuf"]["pinned_pages"] - st["nic"]["rx_pool_pages"]


def is_idle(st, pins):
    """Only the /_stats request itself is open, and nothing is pinned,
    queued, or waiting for the disk beyond `pins`."""
    return (st["http"]["active"] == 1 and st["conn"]["active"] == 1 and
            st["conn"]["queued_bytes"] == 0 and other_pins(st) == pins and
            st["pcache"]["loading"] == 0 and
            st["fs"]["disk_in_flight"] == 0 and
            st["fs"]["disk_waiting"] == 0)
