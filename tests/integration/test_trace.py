# SPDX-License-Identifier: MIT
"""Causeway tracing in the running kernel (kernel/io/trace.h, GET
/_trace): each request's spans are recorded in causal order on its own
track, for a page-cache hit, a cold miss (a disk span inside the read)
and an ECEM DNS splice; a client's W3C traceparent is continued (same
trace-id, its span as parent, the answer's traceresponse naming this
server's span) and a malformed one ignored; /_trace is valid Chrome
Trace Event JSON (required fields, complete events with a duration,
spans nested in the request's `done` and never half over each other,
as Perfetto draws a track), and tools/trace-report reads it; trace=off
records nothing, sample:N about one request in N, and a bad trace=
value is named on the console and the default used.
"""
import json
import os
import subprocess

import pytest

from web import fetch, get, site_image, stats

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
CPU_MAX = 64  # kernel/param.h
REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "tools", "trace-report")
CATS = {"parse": "app", "open": "fs", "laio": "laio", "read": "fs",
        "disk": "disk", "wait": "app", "send": "net", "ecem": "ecem",
        "splice": "ecem", "ack": "net", "done": "app"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_image(tmp_path_factory.mktemp("trace"), {
        "k1.bin": 1024, "k1b.bin": 1024, "cold.bin": 300 << 10,
        "m4.bin": 4 << 20, "tp.bin": 2048, "bad.bin": 2048}, seed=5)


def trace(query=""):
    status, _, body = get("/_trace" + query)
    assert status == 200, status
    return json.loads(body)


def check_format(doc):
    """The Trace Event format as Perfetto reads it, and our otherData."""
    assert doc["displayTimeUnit"] == "ms"
    other = doc["otherData"]
    assert other["petrel_trace"] == 1 and other["clock"] == "boot_us"
    assert other["now_us"] > 0 and other["dropped"] >= 0
    for ev in doc["traceEvents"]:
        for field in ("ph", "pid", "name"):
            assert field in ev, ev
        assert ev["ph"] in ("X", "M"), ev
        if ev["ph"] == "M":
            continue
        for field in ("ts", "dur", "tid", "cat", "args"):
            assert field in ev, ev
        assert ev["dur"] >= 0 and ev["ts"] > 0
        assert ev["ts"] + ev["dur"] <= other["now_us"] + 1
        assert CATS[ev["name"]] == ev["cat"], ev
        a = ev["args"]
        assert a["req"] == ev["tid"]
        assert len(a["trace_id"]) == 32 and int(a["trace_id"], 16)
        assert len(a["span_id"]) == 16 and int(a["span_id"], 16)
        assert 0 <= a["urgency"] <= 7 and a["cpu"] >= 0


def tracks(doc):
    """{request id: (name, [X events in start order])}."""
    names = {ev["tid"]: ev["args"]["name"] for ev in doc["traceEvents"]
             if ev["ph"] == "M" and ev["name"] == "thread_name"}
    spans = {}
    for ev in doc["traceEvents"]:
        if ev["ph"] == "X":
            spans.setdefault(ev["tid"], []).append(ev)
    return {tid: (names.get(tid), sorted(evs, key=lambda e: e["ts"]))
            for tid, evs in spans.items()}


def track_of(doc, path):
    """The newest request for `path`: (id, spans). Newest by its first
    span, not by id: each CPU numbers its own requests (CPU c gives
    c+1, c+1+CPU_MAX, ...), so ids from two CPUs are not in time order."""
    found = [(evs[0]["ts"], tid, evs) for tid, (name, evs)
             in tracks(doc).items()
             if name and name.startswith("GET %s #" % path)]
    assert found, "no track for %s" % path
    _, tid, evs = max(found)
    return tid, evs


def cpu_of(req_id):
    """The CPU that numbered request `req_id` (kernel/io/causal.c)."""
    return (req_id - 1) % CPU_MAX


def names(evs):
    return [e["name"] for e in evs]


def check_nested(evs):
    """Every span lies within the request's `done`, and the app's steps
    (parse, open, read/splice) follow each other without overlap."""
    done = [e for e in evs if e["name"] == "done"]
    assert len(done) == 1, names(evs)
    lo, hi = done[0]["ts"], done[0]["ts"] + done[0]["dur"]
    for e in evs:
        assert lo - 0.001 <= e["ts"] and e["ts"] + e["dur"] <= hi + 0.001, e
    steps = [e for e in evs if e["name"] in ("parse", "open", "read",
                                              "splice", "wait")]
    for a, b in zip(steps, steps[1:]):
        assert a["ts"] + a["dur"] <= b["ts"] + 0.001, (a, b)
    # Perfetto draws a track as a stack: two spans are disjoint or one
    # holds the other, never half over each other.
    for i, a in enumerate(evs):
        for b in evs[i + 1:]:
            a_end, b_end = a["ts"] + a["dur"], b["ts"] + b["dur"]
            disjoint = a_end <= b["ts"] + 0.001 or b_end <= a["ts"] + 0.001
            assert disjoint or within(a, b) or within(b, a), (a, b)


def first(evs, name):
    return next(e for e in evs if e["name"] == name)


def within(inner, outer):
    return (outer["ts"] - 0.001 <= inner["ts"] and
            inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 0.001)


def report(doc, tmp_path):
    """tools/trace-report --json on the trace, kept as a test artifact."""
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(doc))
    r = subprocess.run([REPORT, "--json", str(path)], capture_output=True,
                       text=True, timeout=60, check=True)
    return json.loads(r.stdout)


def test_spans_hit_miss_traceparent_and_format(guest, tmp_path):
    start, files = guest
    g = start("trace=bogus")
    assert "bad value 'bogus' for trace=" in g.output()

    assert fetch("/cold.bin") == (200, files["/cold.bin"])
    assert fetch("/k1.bin") == (200, files["/k1.bin"])
    assert fetch("/k1.bin") == (200, files["/k1.bin"])
    sent = "00-%s-%s-01" % (TRACE_ID, PARENT)
    status, head, body = get("/tp.bin", headers={"traceparent": sent})
    assert (status, body) == (200, files["/tp.bin"])
    # The answer names the trace and this server's span (traceresponse).
    version, resp_trace, resp_span, flags = head["traceresponse"].split("-")
    assert (version, resp_trace, flags) == ("00", TRACE_ID, "01")
    bad = "00-%s-%s-01" % (TRACE_ID.upper(), PARENT)
    assert fetch("/bad.bin", {"traceparent": bad}) == (200,
                                                       files["/bad.bin"])
    doc = trace()
    check_format(doc)
    assert doc["otherData"]["mode"] == "on"

    # Cold miss: the file's pages came from the disk, inside the read.
    _, evs = track_of(doc, "/cold.bin")
    order = names(evs)
    for want in ("parse", "open", "read", "disk", "send", "ack", "done"):
        assert want in order, order
    assert (order.index("parse") < order.index("open") <
            order.index("read") < order.index("send") < order.index("ack"))
    assert all(within(d, first(evs, "read")) for d in evs
               if d["name"] == "disk" and d["ts"] >= first(evs, "read")["ts"])
    check_nested(evs)

    # Cached hit: the same steps, and no disk.
    tid, evs = track_of(doc, "/k1.bin")
    order = names(evs)
    assert "disk" not in order, order
    assert [n for n in order if n != "wait"][:3] == ["done", "parse", "open"] \
        or order.index("parse") < order.index("open") < order.index("read")
    for want in ("parse", "open", "read", "send", "ack", "done"):
        assert want in order, order
    check_nested(evs)
    # Recorded on the connection's CPU, the one that numbered it.
    assert first(evs, "parse")["args"]["cpu"] == cpu_of(tid)

    # One request alone; an unknown one is a 404, a bad id a 400.
    one = trace("?id=%d" % tid)
    check_format(one)
    assert set(tracks(one)) == {tid}
    assert sorted(names(tracks(one)[tid][1])) == sorted(names(evs))
    assert get("/_trace?id=999999999")[0] == 404
    assert get("/_trace?id=12x")[0] == 400

    # The N requests that began last (here /tp.bin and /bad.bin), with
    # their spans only; a bad N (or N with id=) is a 400, and the server
    # goes on answering.
    last = trace("?last=2")
    check_format(last)
    got = sorted(n.rsplit(" #", 1)[0] for n, _ in tracks(last).values())
    assert got == ["GET /bad.bin", "GET /tp.bin"], tracks(last)
    for want in ("/tp.bin", "/bad.bin"):
        t, evs = track_of(doc, want)
        assert sorted(names(tracks(last)[t][1])) == sorted(names(evs))
    assert set(tracks(trace("?last=100"))) == set(tracks(doc))
    for bad in ("0", "", "101", "-1", "2x", "99999999999999999999"):
        assert get("/_trace?last=" + bad)[0] == 400, bad
    assert get("/_trace?last=2&id=%d" % tid)[0] == 400
    assert get("/_trace?last=1")[0] == 200

    # traceparent continued: its trace-id, its span as parent, ours new.
    _, evs = track_of(doc, "/tp.bin")
    for e in evs:
        assert e["args"]["trace_id"] == TRACE_ID
        assert e["args"]["parent_id"] == PARENT
        assert e["args"]["span_id"] == resp_span != PARENT
    # Malformed (upper case): ignored, a fresh trace.
    _, evs = track_of(doc, "/bad.bin")
    for e in evs:
        assert e["args"]["trace_id"] != TRACE_ID.lower()
        assert "parent_id" not in e["args"]
    # A fresh trace per request.
    ids = {evs[0]["args"]["trace_id"] for _, evs in tracks(doc).values()}
    assert len(ids) == len(tracks(doc))

    # The report sees every request whole and the disk's share.
    rep = report(doc, tmp_path)
    assert rep["requests"] == rep["complete"] == 5
    assert {"app", "fs", "disk", "net"} <= set(rep["categories"])
    assert rep["categories"]["disk"]["exclusive_us"] > 0
    assert rep["spans"]["done"]["count"] == 5
    assert 0.99 < sum(c["share"] for c in rep["categories"].values()) < 1.01

    st = stats()["trace"]
    assert st["mode"] == "on"
    assert st["requests_traced"] == 5
    assert st["traceparent_continued"] == 1
    assert st["traceparent_invalid"] == 1
    assert st["events"] >= sum(len(e) for _, e in tracks(doc).values())
    assert st["dropped"] == 0
    # A client that sent no traceparent takes no part in tracing: its
    # answer has no traceresponse (the request is still recorded).
    status, head, _ = get("/k1.bin")
    assert status == 200 and "traceresponse" not in head
    assert stats()["trace"]["requests_traced"] == 6
    assert "PANIC" not in g.output()


def test_dns_splice_and_sampling(guest):
    start, files = guest
    g = start("ecem=dns trace=sample:4")
    # A front end's "sampled" flag is obeyed whatever the sampling.
    sent = "00-%s-%s-01" % (TRACE_ID, PARENT)
    assert fetch("/m4.bin", {"traceparent": sent}) == (200, files["/m4.bin"])
    doc = trace()
    check_format(doc)
    assert doc["otherData"]["mode"] == "sample:4"
    _, evs = track_of(doc, "/m4.bin")
    order = names(evs)
    for want in ("parse", "open", "ecem", "splice", "send", "ack", "done"):
        assert want in order, order
    assert order.count("splice") > 2  # the ACK path appended the rest
    ecem = first(evs, "ecem")
    assert all(within(e, ecem) for e in evs if e["name"] == "splice")
    check_nested(evs)
    assert evs[0]["args"]["trace_id"] == TRACE_ID

    before = stats()["trace"]
    for _ in range(40):
        assert fetch("/k1b.bin") == (200, files["/k1b.bin"])
    after = stats()["trace"]
    traced = after["requests_traced"] - before["requests_traced"]
    skipped = after["requests_skipped"] - before["requests_skipped"]
    assert traced + skipped == 40
    assert 6 <= traced <= 14, traced  # about 1 in 4
    assert len([t for t, (n, _) in tracks(trace()).items()
                if n and n.startswith("GET /k1b.bin")]) == traced
    assert "PANIC" not in g.output()


def test_trace_off_records_nothing(guest):
    start, files = guest
    g = start("trace=off")
    assert fetch("/cold.bin") == (200, files["/cold.bin"])
    assert fetch("/k1.bin", {"traceparent": "00-%s-%s-01" % (
        TRACE_ID, PARENT)}) == (200, files["/k1.bin"])
    assert "traceresponse" not in get("/k1.bin")[1]
    st = stats()["trace"]
    assert st["mode"] == "off"
    assert st["events"] == 0 and st["requests_traced"] == 0
    doc = trace()
    check_format(doc)
    assert [e for e in doc["traceEvents"] if e["ph"] == "X"] == []
    assert doc["otherData"]["mode"] == "off"
    assert "PANIC" not in g.output()
