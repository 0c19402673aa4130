# SPDX-License-Identifier: MIT
"""The access log (app/access_log.c): access_log=console lines match the
requests made (status, body bytes, path, request id, bytes on the wire);
access_log=syslog:IP:PORT sends RFC 5424 messages that a UDP receiver in
the test's namespace parses; a full ring drops and counts lines while
every response still arrives; a bad value is named and the log stays off.
"""
import datetime
import json
import re
import socket
import time

import pytest

import netns
import web
from web import get, pipeline, stats

SIZES = {"k1.bin": 1024, "k64.bin": 65536}
LINE = re.compile(
    r'access: (?P<peer>\S+) - - \[(?P<time>[^\]]+)\] "(?P<req>[^"]*)" '
    r'(?P<status>\d{3}) (?P<body>\d+|-) "(?P<ref>[^"]*)" "(?P<ua>[^"]*)" '
    r'id=(?P<id>\d+) trace=(?P<trace>[0-9a-f]{32}|-) us=(?P<us>\d+) '
    r'bytes=(?P<bytes>\d+)$', re.MULTILINE)
# RFC 5424 section 6: HEADER SP STRUCTURED-DATA [SP MSG]
SYSLOG = re.compile(
    r'^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) '
    r'(?P<procid>\S+) (?P<msgid>\S+) '
    r'(?P<sd>-|\[petrel@32473 id="(?P<id>\d+)" trace="(?P<trace>[^"]*)"\])'
    r' (?P<msg>.*)$', re.DOTALL)
SYSLOG_PORT = 5514
RING = 4
PIPELINED = 40
CPU_MAX = 64  # kernel/param.h: request ids are numbered per CPU


@pytest.fixture
def site(tmp_path):
    return web.site_image(tmp_path, SIZES)


def log_lines(g):
    return [m.groupdict() for m in LINE.finditer(g.output())]


def wait_lines(g, n, timeout=30):
    deadline = time.monotonic() + timeout
    while len(log_lines(g)) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    return log_lines(g)


def raw_exchange(request):
    """Send one request, read until the server closes: the bytes."""
    return web.raw(request)


def test_console_lines_match_requests(guest):
    start, files = guest
    g = start("access_log=console access_log_ring=%d" % RING)
    ua = {"User-Agent": "petrel-test/1", "Referer": "http://ref/x"}
    made = [("GET", "/k1.bin", 200, 1024),
            ("HEAD", "/k1.bin", 200, 0),
            ("GET", "/nope.bin", 404, None),
            ("GET", "/k64.bin", 200, 65536)]
    for method, path, status, size in made:
        st, _, body = get(path, method=method, headers=ua)
        assert st == status
        if size is not None:
            assert len(body) == size
    # A range and a request that does not parse, on raw sockets, so the
    # bytes on the wire can be compared with the line's bytes=.
    ranged = raw_exchange(b"GET /k64.bin HTTP/1.1\r\nHost: x\r\n"
                          b"Range: bytes=10-19\r\nConnection: close\r\n\r\n")
    bad = raw_exchange(b"GET /\x01 HTTP/1.1\r\n\r\n")
    lines = wait_lines(g, len(made) + 2)
    assert len(lines) == len(made) + 2, g.tail()
    # Lines come in the order the responses finished; with several
    # queues two CPUs answered, so a request's line may come after the
    # next one's: each is found by its request, not by its place.
    by_req = {(x["req"], x["status"]): x for x in lines}
    assert len(by_req) == len(lines), lines
    for method, path, status, size in made:
        line = by_req[("%s %s HTTP/1.1" % (method, path), str(status))]
        if status == 200 and method == "GET":
            assert line["body"] == str(size)
        if method == "HEAD":
            assert line["body"] == "-"
        assert line["peer"] == netns.HOST_ADDR
        assert line["ua"] == "petrel-test/1"
        assert line["ref"] == "http://ref/x"
        assert re.fullmatch(r"[0-9a-f]{32}", line["trace"])
        assert int(line["bytes"]) > int(line["body"].replace("-", "0"))
    r = by_req[("GET /k64.bin HTTP/1.1", "206")]
    assert r["body"] == "10"
    assert int(r["bytes"]) == len(ranged)
    assert ranged.endswith(files["/k64.bin"][10:20])
    b = by_req[("-", "400")]
    assert int(b["bytes"]) == len(bad) and bad.startswith(b"HTTP/1.1 400")
    # A client's W3C traceparent: its trace id is the line's.
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert get("/k1.bin", headers={"traceparent": tp})[0] == 200
    lines = wait_lines(g, len(made) + 3)
    assert lines[-1]["trace"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    # A fresh trace's id (derived from the request id when asked, not
    # stored) is the same in the line and in /_trace (trace=on).
    line = by_req[("GET /k64.bin HTTP/1.1", "200")]
    st, _, body = get("/_trace?id=%s" % line["id"])
    assert st == 200
    spans = [e for e in json.loads(body)["traceEvents"] if e["ph"] == "X"]
    assert spans and all(e["args"]["trace_id"] == line["trace"]
                         for e in spans), (line, spans)
    # Ids are unique, and each CPU's grow (CPU c numbers c+1,
    # c+1+CPU_MAX, ...; with several queues the connections, so the
    # ids of two CPUs interleave).
    ids = [int(x["id"]) for x in lines]
    assert len(set(ids)) == len(ids), ids
    for cpu in {(i - 1) % CPU_MAX for i in ids}:
        mine = [i for i in ids if (i - 1) % CPU_MAX == cpu]
        assert mine == sorted(mine), ids
    now = datetime.datetime.now(datetime.timezone.utc)
    t = datetime.datetime.strptime(lines[0]["time"], "%d/%b/%Y:%H:%M:%S %z")
    assert abs((now - t).total_seconds()) < 600
    st = stats()["access_log"]
    assert st["mode"] == "console" and st["ring"] == RING
    assert st["lines"] >= len(lines) and st["dropped"] == 0


def test_full_ring_drops_and_counts(guest):
    """Pipelined requests answered in one pass overflow a ring of 4: the
    responses all arrive, the lines that did not fit are counted."""
    start, files = guest
    g = start("access_log=console access_log_ring=%d" % RING)
    assert get("/k1.bin")[0] == 200
    out = pipeline(["/k1.bin"] * PIPELINED)
    assert len(out) == PIPELINED
    assert all(body == files["/k1.bin"] for _, body in out)
    st = stats()
    a = st["access_log"]
    assert a["dropped"] > 0, a
    # Every request is logged, dropped or waiting, except this /_stats
    # whose line is made after its body.
    assert a["lines"] + a["dropped"] + a["waiting"] == \
        st["http"]["requests"] - 1
    time.sleep(1)
    printed = [x for x in log_lines(g) if x["req"].startswith("GET /k1")]
    assert len(printed) == 1 + PIPELINED - a["dropped"]
    # One connection's requests: numbered on its CPU, in request order.
    ids = [int(x["id"]) for x in printed[1:]]
    assert len({(i - 1) % CPU_MAX for i in ids}) == 1, ids
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids


def test_syslog_rfc5424(guest):
    start, files = guest
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind((netns.HOST_ADDR, SYSLOG_PORT))
    rx.settimeout(30)
    try:
        start("access_log=syslog:%s:%d access_log_host=g-test"
              % (netns.HOST_ADDR, SYSLOG_PORT))
        paths = ["/k1.bin", "/k64.bin", "/nope"]
        for p in paths:
            get(p)
        msgs = []
        while len(msgs) < len(paths):
            data, src = rx.recvfrom(4096)
            assert src[0] == netns.GUEST_ADDR
            msgs.append(data.decode())
    finally:
        rx.close()
    now = datetime.datetime.now(datetime.timezone.utc)
    # Found by request: two CPUs' responses may finish out of order.
    by_req = {}
    for msg in msgs:
        m = SYSLOG.match(msg)
        assert m, msg
        line = LINE.search("access: " + m["msg"])
        assert line, m["msg"]
        by_req[line["req"]] = (m, line)
    assert len(by_req) == len(paths), msgs
    for path in paths:
        m, line = by_req["GET %s HTTP/1.1" % path]
        assert int(m["pri"]) == 16 * 8 + 6  # local0.info
        assert (m["host"], m["app"], m["procid"], m["msgid"]) == \
            ("g-test", "petrel", "-", "access")
        ts = datetime.datetime.fromisoformat(m["ts"].replace("Z", "+00:00"))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z",
                            m["ts"])
        assert abs((now - ts).total_seconds()) < 600
        assert line["id"] == m["id"] and line["trace"] == m["trace"]
        assert line["status"] == ("404" if path == "/nope" else "200")
    # The poller (CPU 0) counts a line after sending it; /_stats may be
    # answered on the other CPU in between.
    a = web.settle(lambda st: st["access_log"]["lines"] >= len(paths))
    a = a["access_log"]
    assert a["mode"] == "syslog" and a["lines"] >= len(paths)
    assert a["send_errors"] == 0


def test_bad_value_named_default_off(guest):
    start, _ = guest
    g = start("access_log=syslog:10.77.0:514")
    assert re.search(r"bad value 'syslog:10.77.0:514' for access_log=",
                     g.output())
    assert get("/k1.bin")[0] == 200
    a = stats()["access_log"]
    assert a["mode"] == "off" and a["lines"] == 0 and a["ring"] == 0
    assert not LINE.search(g.output())
