# SPDX-License-Identifier: MIT
"""Packet loss, duplication, reordering and delay between a guest and its
tap.

`tc qdisc ... netem` does this in the kernel, but not every kernel has
sch_netem (this project's CI machine does not). FrameRelay is the
fallback: the guest's virtio-net uses QEMU's `dgram` backend, so every
Ethernet frame goes over UDP on the namespace's loopback to this relay,
which forwards it to and from the namespace's tap, dropping, duplicating
and holding back frames at the given rates (seeded, so a run can be
repeated). ARP is passed untouched: losing it only adds seconds of ARP
retries and tests nothing of ours.

Everything stays inside the test's namespace: the relay's sockets and
the tap are opened while the calling thread is inside it (NetNS.entered).
"""
import collections
import errno
import fcntl
import os
import random
import select
import socket
import struct
import threading
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_MULTI_QUEUE = 0x0100
QEMU_PORT = 40001  # QEMU's end of the dgram link, on the namespace's lo
RELAY_PORT = 40002
ETH_P_ARP = 0x0806
HOLD_MS = 20  # a held-back frame goes out after this at the latest
FRAME_MAX = 65536


def netdev_args(device_opts=""):
    """QEMU arguments for a virtio-net on the relay's dgram link;
    device_opts are more virtio-net-pci properties (",tx=timer...")."""
    return ["-netdev", "dgram,id=n0,local.type=inet,local.host=127.0.0.1,"
            "local.port=%d,remote.type=inet,remote.host=127.0.0.1,"
            "remote.port=%d" % (QEMU_PORT, RELAY_PORT),
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on" +
            device_opts]


def open_tap(tap):
    """An fd on `tap`. A multiqueue tap (PETREL_QUEUES > 1) refuses a
    plain attach with EINVAL: the relay attaches as its one queue, so
    every frame the host sends still reaches it. (The guest behind the
    relay has one queue pair whatever the tap has.)"""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    try:
        for flags in (IFF_TAP | IFF_NO_PI,
                      IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE):
            try:
                fcntl.ioctl(fd, TUNSETIFF,
                            struct.pack("16sH", tap.encode(), flags))
                return fd
            except OSError as e:
                if e.errno != errno.EINVAL or flags & IFF_MULTI_QUEUE:
                    raise
    except BaseException:
        os.close(fd)
        raise


class Direction:
    """One way through the relay, with its own fault counters."""

    def __init__(self, name, send, rng, loss, dup, reorder, delay_ms=0):
        self.name, self.rng = name, rng
        self.loss, self.dup, self.reorder = loss, dup, reorder
        self.delay = delay_ms / 1000
        self.wire = send
        self.delayed = collections.deque()  # (deadline, frame), in order
        self.held = None  # (frame, deadline)
        self.counts = {"frames": 0, "dropped": 0, "duplicated": 0,
                       "reordered": 0}

    def frame(self, data):
        self.counts["frames"] += 1
        if len(data) >= 14 and struct.unpack("!H", data[12:14])[0] == \
                ETH_P_ARP:
            self.send(data)
            return
        r = self.rng.random()
        if r < self.loss:
            self.counts["dropped"] += 1
            return
        if self.held is None and r < self.loss + self.reorder:
            # Hold it back: the next frame overtakes it.
            self.counts["reordered"] += 1
            self.held = (data, time.monotonic() + HOLD_MS / 1000)
            return
        self.send(data)
        if r > 1 - self.dup:
            self.counts["duplicated"] += 1
            self.send(data)
        self.release()

    def send(self, data):
        if not self.delay:
            self.wire(data)
            return
        self.delayed.append((time.monotonic() + self.delay, data))

    def release(self, now=None):
        if self.held and (now is None or now >= self.held[1]):
            data, self.held = self.held[0], None
            self.send(data)
        now = time.monotonic() if now is None else now
        while self.delayed and self.delayed[0][0] <= now:
            self.wire(self.delayed.popleft()[1])

    def next_deadline(self):
        return self.delayed[0][0] if self.delayed else None


class FrameRelay:
    def __init__(self, tap, loss=0.0, dup=0.0, reorder=0.0, seed=1,
                 delay_ms=0):
        """Open `tap` and the UDP socket; call inside the namespace."""
        self.tap_fd = open_tap(tap)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", RELAY_PORT))
        qemu = ("127.0.0.1", QEMU_PORT)
        rng = random.Random(seed)
        self.to_host = Direction("guest->host",
                                 lambda d: self._write_tap(d), rng,
                                 loss, dup, reorder, delay_ms)
        self.to_guest = Direction("host->guest",
                                  lambda d: self._send_udp(d, qemu), rng,
                                  loss, dup, reorder, delay_ms)
        self.stop_flag = False
        self.errors = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _write_tap(self, data):
        try:
            os.write(self.tap_fd, data)
        except OSError:
            self.errors += 1

    def _send_udp(self, data, addr):
        try:
            self.udp.sendto(data, addr)
        except OSError:
            self.errors += 1  # QEMU not up yet

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        while not self.stop_flag:
            wait = HOLD_MS / 1000
            for d in (self.to_host, self.to_guest):
                t = d.next_deadline()
                if t is not None:
                    wait = max(0, min(wait, t - time.monotonic()))
            ready, _, _ = select.select([self.udp, self.tap_fd], [], [],
                                        wait)
            if self.udp in ready:
                self.to_host.frame(self.udp.recv(FRAME_MAX))
            if self.tap_fd in ready:
                self.to_guest.frame(os.read(self.tap_fd, FRAME_MAX))
            now = time.monotonic()
            self.to_host.release(now)
            self.to_guest.release(now)

    def counts(self):
        return {d.name: dict(d.counts) for d in (self.to_host,
                                                  self.to_guest)}

    def stop(self):
        self.stop_flag = True
        self.thread.join(5)
        self.udp.close()
        os.close(self.tap_fd)
