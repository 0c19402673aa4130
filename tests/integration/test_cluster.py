# SPDX-License-Identifier: MIT
"""make cluster (tools/cluster.py): three small guests behind HAProxy in
a namespace of their own. The cluster comes up and balances (each
guest's request counter moved, health checks aside); HAProxy's trace id
reaches the guest's access log (a client's traceparent is continued) and
its priority rules set RFC 9218 urgencies; killing a guest under bounded
load fails at most the requests in flight on it, the health check takes
it out, and it rejoins when booted again; on exit (also Ctrl-C of the
command) the namespace and every process are gone.
"""
import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import web

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools"))
import cluster  # noqa: E402

GUESTS = 3
SIZES = {"k1.bin": 1024, "k64.bin": 65536, "page.html": 2000}
CLIENTS = 4
LOAD_REQUESTS = 40  # per client: the load is bounded in count ...
LOAD_SECONDS = 90  # ... and in time
TIMEOUT = 30


@pytest.fixture(scope="module")
def cl(tmp_path_factory, netns_ok):
    ok, why = netns_ok
    if not ok:
        pytest.skip("cannot create a network namespace: %s" % why)
    tmp = tmp_path_factory.mktemp("cluster")
    files, img = web.site_image(tmp, SIZES)
    c = cluster.Cluster(GUESTS, "roundrobin", img, str(tmp / "work"),
                        mem="128M")
    c.start()
    c.files = files
    try:
        with c.entered():
            yield c
    finally:
        c.stop()


def via_haproxy(path, headers=None):
    conn = http.client.HTTPConnection(cluster.HOST_ADDR, cluster.HTTP_PORT,
                                      timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def guest_stats(i):
    conn = http.client.HTTPConnection(cluster.guest_addr(i), 80,
                                      timeout=TIMEOUT)
    try:
        conn.request("GET", "/_stats")
        import json
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def served(i):
    """Requests guest i answered, health checks left out."""
    h = guest_stats(i)["http"]
    return h["requests"] - h["health_checks"]


def wait_log(path, pattern, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            m = re.search(pattern, open(path).read())
            if m:
                return m
        time.sleep(0.2)
    raise AssertionError("no %r in %s" % (pattern, path))


def test_balances_across_guests(cl):
    before = [served(i) for i in range(GUESTS)]
    n = 10 * GUESTS
    for k in range(n):
        path = "/k1.bin" if k % 2 else "/k64.bin"
        assert via_haproxy(path) == (200, cl.files[path])
    moved = [served(i) - before[i] for i in range(GUESTS)]
    # Each moved by its share (the /_stats probes themselves count one).
    for m in moved:
        assert m >= n // GUESTS - 1, moved
    assert sum(moved) >= n


def test_trace_and_priority_headers(cl):
    work = cl.workdir
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert via_haproxy("/k1.bin", {"traceparent": tp})[0] == 200
    # HAProxy logs the client's trace id and its own span ...
    m = wait_log(os.path.join(work, "haproxy.log"),
                 r'"GET /k1.bin HTTP/1.1" '
                 r'trace=0af7651916cd43dd8448eb211c80319c '
                 r'span=([0-9a-f]{16}) prio=u=5')
    # ... and the guest's access line carries the same trace id.
    wait_log(os.path.join(work, "guests.log"),
             r'\] \S+ - - \[[^\]]+\] "GET /k1.bin HTTP/1.1" 200 1024 .*'
             r'trace=0af7651916cd43dd8448eb211c80319c')
    assert m
    # Without a traceparent HAProxy starts one; the guest continues it.
    assert via_haproxy("/page.html",
                       {"X-Priority-Class": "high"})[0] == 200
    m = wait_log(os.path.join(work, "haproxy.log"),
                 r'"GET /page.html HTTP/1.1" trace=([0-9a-f]{32}) '
                 r'span=[0-9a-f]{16} prio=u=0')
    wait_log(os.path.join(work, "guests.log"),
             r'"GET /page.html HTTP/1.1" 200 2000 .*trace=' + m.group(1))
    # The client's own Priority is kept; a rule sets none over it.
    assert via_haproxy("/k64.bin", {"Priority": "u=2"})[0] == 200
    wait_log(os.path.join(work, "haproxy.log"),
             r'"GET /k64.bin HTTP/1.1" trace=[0-9a-f]{32} '
             r'span=[0-9a-f]{16} prio=u=2 ')


def load(files, stop, results):
    """One client: bounded sequential GETs through HAProxy, each a new
    connection; each result is "ok" or the error."""
    deadline = time.monotonic() + LOAD_SECONDS
    for k in range(LOAD_REQUESTS):
        if stop.is_set() or time.monotonic() > deadline:
            return
        path = "/k64.bin" if k % 2 else "/k1.bin"
        try:
            got = via_haproxy(path)
            results.append("ok" if got == (200, files[path]) else
                           "bad %s %d" % (path, got[0]))
        except (OSError, http.client.HTTPException) as e:
            results.append(repr(e))


def test_guest_dies_and_rejoins(cl):
    victim = 1
    stop = threading.Event()
    results = []
    threads = [threading.Thread(target=load, args=(cl.files, stop, results))
               for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    while len(results) < CLIENTS * 5 and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    cl.kill_guest(victim)
    killed_at = len(results)
    st = cl.wait_servers(up={0, 2}, down={victim}, timeout=TIMEOUT)
    assert st[victim] != "UP"
    for t in threads:
        t.join(LOAD_SECONDS + TIMEOUT)
    failed = [r for r in results if r != "ok"]
    print("kill: %d requests, %d at the kill, %d failed: %s"
          % (len(results), killed_at, len(failed), failed))
    assert len(results) > killed_at + CLIENTS, "load ended at the kill"
    # At most the requests in flight on the dead guest: one a client.
    assert len(failed) <= CLIENTS, failed
    # Served by the others meanwhile, byte-exact.
    assert via_haproxy("/k1.bin") == (200, cl.files["/k1.bin"])
    # Back again: the health check puts it in rotation, and it serves.
    cl.start_guest(victim)
    cl.wait_guest(victim)
    cl.wait_servers(up=set(range(GUESTS)), timeout=TIMEOUT)
    before = served(victim)
    for _ in range(3 * GUESTS):
        assert via_haproxy("/k1.bin") == (200, cl.files["/k1.bin"])
    assert served(victim) - before >= 2


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def netns_list():
    return subprocess.run(["ip", "netns", "list"], capture_output=True,
                          text=True, timeout=20).stdout


def test_stop_removes_namespace_and_processes(tmp_path, netns_ok):
    """The class: stop() after a full start. The command: Ctrl-C."""
    ok, why = netns_ok
    if not ok:
        pytest.skip(why)
    files, img = web.site_image(tmp_path, {"k1.bin": 1024})
    c = cluster.Cluster(1, "leastconn", img, str(tmp_path / "w1"))
    c.start()
    pids = c.pids()
    assert len(pids) == 3 and c.ns in netns_list()
    c.stop()
    assert c.ns not in netns_list()
    assert all(gone(p) for p in pids)

    cmd = subprocess.Popen(
        [sys.executable, cluster.__file__, "--guests", "1", "--image", img,
         "--workdir", str(tmp_path / "w2")], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        out = ""
        deadline = time.monotonic() + cluster.BOOT_TIMEOUT
        while "Ctrl-C stops it" not in out:
            assert time.monotonic() < deadline and cmd.poll() is None, out
            out += cmd.stdout.readline()
        ns = re.search(r"ip netns exec (\S+) curl", out).group(1)
        assert ns in netns_list()
        cmd.send_signal(signal.SIGINT)
        out += cmd.communicate(timeout=60)[0]
    finally:
        if cmd.poll() is None:
            cmd.kill()
            cmd.wait()
    assert "namespace %s deleted" % ns in out
    assert ns not in netns_list()
    # Nothing left running in the work folder's QEMU or HAProxy.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True,
                        text=True, timeout=20).stdout
    assert str(tmp_path / "w2") not in ps


def test_trace_merge_end_to_end(cl):
    """tools/trace-merge on the live cluster: each request through
    HAProxy has its HAProxy span and the serving guest's spans in one
    process, same trace id, the guest's parent being HAProxy's span."""
    for path in ("/k1.bin", "/page.html", "/k64.bin"):
        assert via_haproxy(path)[0] == 200
    time.sleep(1.5)  # HAProxy logs when the response is done
    out = os.path.join(cl.workdir, "merged.json")
    args = [sys.executable, os.path.join(cluster.HERE, "trace-merge"),
            "--haproxy", os.path.join(cl.workdir, "haproxy.log"),
            "--clock", os.path.join(cl.workdir, "clock.json"), "-o", out]
    for i in range(GUESTS):
        args += ["--guest", "g%d=http://%s/_trace" % (i,
                                                       cluster.guest_addr(i))]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    import json
    doc = json.load(open(out))
    by_pid = {}
    for e in doc["traceEvents"]:
        if e["ph"] == "X":
            by_pid.setdefault(e["pid"], []).append(e)
    joined = 0
    for evs in by_pid.values():
        hap = [e for e in evs if e["name"] == "haproxy"][0]
        guest = [e for e in evs if e["cat"] != "haproxy"]
        if not guest:
            continue  # its guest was the one killed earlier (ring gone)
        joined += 1
        assert all(e["args"]["parent_id"] == hap["args"]["span_id"]
                   for e in guest)
        first = min(e["ts"] for e in guest)
        # Clock alignment: within the fetch's error of HAProxy's span.
        assert hap["ts"] - 20000 <= first <= \
            hap["ts"] + hap["dur"] + 20000, (hap, first)
    assert joined >= 3
