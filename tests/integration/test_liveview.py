# SPDX-License-Identifier: MIT
"""The demo site's live view (tools/demo-site/live.html, live.js) in a
real browser against a real guest.

One guest per module serves the demo site (plus a few files to load it
with, and a saved trace) on a tap inside a namespace this module makes;
headless Chromium runs inside the same namespace (tools/harness/
browser.py), so the page, its assets and its polls can only reach the
guest. The page writes what it drew into the DOM (data-value on each
series, data-points on each canvas, one <li> per waterfall row); the
tests read it through the DevTools protocol while the guest is under a
bounded load and compare it with the server's own counters. The
screenshot of the loaded page is kept in the test's tmp dir (printed).
"""
import json
import os
import re
import shutil
import threading
import time

import pytest

import browser
import netns
import web
from qemu import ROOT

GUEST = netns.GUEST_ADDR
DEMO_SITE = os.path.join(ROOT, "tools", "demo-site")
PAGE = "http://%s/live.html" % GUEST
LOAD_SIZES = {"load/k1.bin": 1024, "load/k16.bin": 16384,
              "load/m1.bin": 1 << 20}
LOAD_MAX_REQUESTS = 8000  # a few thousand: the load stops at this
LOAD_MAX_SECONDS = 90
LOAD_THREADS = 4
# Paced, so the load lasts (about 16 s before it reaches its cap) however
# fast the host is, while the page takes its polls.
LOAD_PERIOD_S = 1 / 120  # per thread: 4 x 120 = 480 requests/s
POLL_WAIT = 60  # seconds for the page to take a given number of polls
TRACE_SAMPLE = "/trace-sample.json"
TRACED = "/traced-once.txt"  # only test_trace_section_matches_the_server
TIMEOUT = 30

# What the page's assets are served as (app/mime.c).
TYPES = {"/live.html": "text/html; charset=utf-8",
         "/live.js": "text/javascript; charset=utf-8",
         "/live.css": "text/css; charset=utf-8",
         "/style.css": "text/css; charset=utf-8",
         "/index.html": "text/html; charset=utf-8"}

# A URL with a scheme, or one that starts with // (another host).
EXTERNAL = re.compile(
    r"""(?ix) \b(?:https?|wss?|ftp|file): |
    (?:src|href|action|srcset)\s*=\s*["']?\s*// |
    ["'`(]\s*//[a-z0-9-]+\.[a-z] |
    @import | url\(\s*["']?(?!data:)""")
# What a page loads by itself (links to follow are <a>, not loaded).
ASSET_URL = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*
                       ["']([^"']*)["']""", re.I | re.X)


def saved_trace():
    """A trace in /_trace's format (Chrome Trace Event JSON: an "M"
    thread_name per request track, "X" spans in microseconds) with
    requests 1-14 (parse, send), 7 and 8 with more spans (8's disk
    nested in a wait), 9 a poll of the page itself (left out of the
    waterfall), 10 without a name, plus events the page ignores."""
    ev = [{"ph": "M", "pid": 1, "name": "process_name",
           "args": {"name": "petrel"}},
          {"ph": "i", "pid": 1, "tid": 3, "ts": 50, "name": "mark"}]

    def request(rid, label, spans):
        if label:
            ev.append({"ph": "M", "pid": 1, "tid": rid,
                       "name": "thread_name", "args": {"name": label}})
        for name, ts, dur in spans:
            ev.append({"ph": "X", "pid": 1, "tid": rid, "name": name,
                       "cat": "app", "ts": ts, "dur": dur,
                       "args": {"req": rid, "trace_id": "%032x" % rid,
                                "cpu": 0, "urgency": 3}})
    for rid in range(1, 15):
        if rid not in (7, 8, 9, 10):
            request(rid, "GET /k%d #%d" % (rid, rid),
                    [("parse", 100 * rid, 4), ("send", 100 * rid + 4, 20)])
    request(7, "GET /load/k1.bin #7", [("parse", 2000, 5),
                                       ("open", 2005, 20),
                                       ("send", 2025, 30),
                                       ("done", 2055, 0)])
    request(8, "GET /load/m1.bin #8", [("parse", 3000, 5),
                                       ("open", 3005, 10),
                                       ("wait", 3015, 500),
                                       ("disk", 3020, 400),
                                       ("send", 3515, 900),
                                       ("ack", 4415, 50),
                                       ("done", 4465, 1)])
    request(9, "GET /_stats #9", [("parse", 5000, 3), ("send", 5003, 9)])
    request(10, None, [("parse", 4000, 2), ("newspan", 4002, 30)])
    return {"traceEvents": ev,
            "otherData": {"petrel_trace": 1, "now_us": 6000}}


@pytest.fixture(scope="module")
def server(tmp_path_factory, netns_ok):
    ok, why = netns_ok
    if not ok:
        pytest.skip("cannot create a network namespace: %s" % why)
    tmp = tmp_path_factory.mktemp("liveview")
    root = tmp / "site"
    shutil.copytree(DEMO_SITE, root)
    files = web.make_site(str(root), LOAD_SIZES, seed=18)
    files.update(web.write_files(str(root), {
        TRACE_SAMPLE[1:]: json.dumps(saved_trace()).encode(),
        TRACED[1:]: b"fetched once, by the trace test\n"}))
    img = web.make_image(root, tmp / "site.img")
    ns = netns.NetNS().create()
    try:
        g = web.start_guest(ns, tmp, img, "ecem=all")
        with ns.entered():
            yield ns, tmp, files, g
    finally:
        ns.destroy()


@pytest.fixture
def chromium(server, tmp_path):
    ok, why = browser.available()
    if not ok:
        pytest.skip(why)
    ns = server[0]
    b = browser.Browser(ns, tmp_path, GUEST)
    try:
        b.start()
        yield b
    finally:
        b.stop()


def demo_file(path):
    with open(os.path.join(DEMO_SITE, path.lstrip("/")), "rb") as f:
        return f.read()


def test_page_and_assets_served_with_types_and_no_external_urls(server):
    status, _, index = web.get("/")
    assert status == 200
    assert b'href="/live.html"' in index  # the demo index links the page
    page = demo_file("/live.html").decode()
    assets = set(ASSET_URL.findall(page))
    assert {"/live.js", "/live.css", "/style.css"} <= assets
    for path, ctype in TYPES.items():
        status, headers, body = web.get(path)
        assert (status, headers["Content-Type"]) == (200, ctype), path
        assert body == demo_file(path), path
        text = body.decode()
        assert not EXTERNAL.search(text), (path, EXTERNAL.search(text))
    for bad in ('<script src="//cdn.example/x.js">', "fetch('https://x')",
                "@import 'a.css';", "a { background: url(/x.png) }"):
        assert EXTERNAL.search(bad), bad  # the matcher itself works
    for url in assets:  # everything the page loads is on this server
        assert url.startswith("data:") or re.match(r"/(?!/)", url), url
        if url.startswith("/"):
            assert web.get(url)[0] == 200, url
    # The browser refuses anything from elsewhere.
    assert "default-src 'self'" in page


def series(b):
    """{data-key: (state, value, total)} as drawn, and the page's poll
    count, read from the DOM."""
    got = b.evaluate("""JSON.stringify({
        polls: +document.getElementById('status').dataset.polls,
        series: [...document.querySelectorAll('li.series')].map(l =>
            [l.dataset.key, l.dataset.state, l.dataset.value,
             l.dataset.total]),
        points: Object.fromEntries([...document.querySelectorAll(
            '#charts canvas')].map(c => [c.parentNode.id,
                                         +c.dataset.points]))})""")
    got = json.loads(got)
    out = {}
    for key, state, value, total in got["series"]:
        num = (lambda s: None if s in ("n/a", None) else float(s))
        out[key] = (state, num(value), num(total))
    return got["polls"], out, got["points"]


def wait_polls(b, n):
    """Wait until the page has taken at least n polls of /_stats."""
    polls = b.wait_for("+document.getElementById('status').dataset.polls"
                       " >= %d" % n, POLL_WAIT)
    assert polls, "the page took fewer than %d polls in %ds" % (n,
                                                                POLL_WAIT)


def paced_paths(files, stop, done):
    """The load files in turn (a 1 MiB one every 16th), one every
    LOAD_PERIOD_S at most, until `stop` is set or the shared budget of
    requests (`done`) or time runs out."""
    paths = sorted(p for p in files if p.startswith("/load/"))
    deadline = time.monotonic() + LOAD_MAX_SECONDS
    due = time.monotonic()
    i = 0
    while (not stop.is_set() and len(done) < LOAD_MAX_REQUESTS and
           time.monotonic() < deadline):
        due += LOAD_PERIOD_S
        stop.wait(max(0.0, due - time.monotonic()))
        yield paths[i % len(paths)] if i % 16 else "/load/m1.bin"
        i += 1


def load(files, stop, done, errors):
    """One client: keep-alive GETs of paced_paths, each checked
    byte-exact."""
    web.keepalive_fetch(files, paced_paths(files, stop, done), errors, done,
                        timeout=TIMEOUT)


PAIR_GAUGES = ("ecem.pairs_rr", "ecem.pairs_rw", "ecem.pairs_wr",
               "ecem.pairs_ww")
PAIR_POLLS = 8  # polls sampled for pairs under way


def pairs_drawn(drawn):
    """ECEM pairs in any state, as the page drew them at its last
    poll (0 when it drew none)."""
    return sum(drawn[k][1] or 0 for k in PAIR_GAUGES)


def canvas_ink(b, chart_id):
    """Pixels of the chart's canvas that are not blank (something was
    drawn there)."""
    return b.evaluate("""(() => {
        const c = document.querySelector('#%s canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width,
                                                  c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n; })()""" % chart_id)


def test_charts_move_under_load(server, chromium, tmp_path):
    _, _, files, g = server
    b = chromium
    b.open(PAGE)
    wait_polls(b, 2)
    polls0, before, points0 = series(b)
    assert before["http.requests"][0] == "ok", before

    stop, done, errors = threading.Event(), [], []
    started = time.monotonic()
    clients = [threading.Thread(target=load, args=(files, stop, done,
                                                   errors))
               for _ in range(LOAD_THREADS)]
    for t in clients:
        t.start()
    pairs_seen = []  # pairs in some state, as drawn at each poll
    try:
        wait_polls(b, polls0 + 3)
        polls1, during1, _ = series(b)
        for k in range(1, PAIR_POLLS + 1):
            wait_polls(b, polls1 + k)
            pairs_seen.append(pairs_drawn(series(b)[1]))
        polls2, during2, points2 = series(b)
        shot = b.screenshot(os.path.join(str(tmp_path), "liveview.png"))
        print("live view screenshot: %s" % shot)
    finally:
        stop.set()
        for t in clients:
            t.join(TIMEOUT + 5)
    print("load: %d requests in %.1f s; the page drew %.0f requests/s" % (
        len(done), time.monotonic() - started, during2["http.requests"][1]))
    assert not errors, errors[:5]
    # The numbers move: the counter rose poll to poll and rates are
    # positive while the load runs.
    for key in ("http.requests", "conn.bytes_out", "http.body_bytes",
                "sfbuf.hits"):
        assert during1[key][0] == during2[key][0] == "ok", key
        assert during2[key][2] > during1[key][2] > before[key][2], key
        assert during1[key][1] > 0 and during2[key][1] > 0, key
    for key in ("iobuf.pinned_pages", "iobuf.free_pages",
                "nic.rx_pool_pages", "ecem.pairs_live"):
        assert during2[key][0] == "ok" and during2[key][1] is not None, key
    # The ECEM pair-state gauges are drawn, and pairs were seen in some
    # state while 1 MiB responses were under way.
    for key in PAIR_GAUGES:
        assert during2[key][0] == "ok" and during2[key][1] is not None, key
    assert max(pairs_seen) > 0, pairs_seen
    assert during2["iobuf.free_pages"][1] > 0
    assert during2["iobuf.pinned_pages"][1] > 0
    for chart in ("chart-requests", "chart-bytes", "chart-sfbuf"):
        assert points2[chart] > points0[chart], chart
        assert canvas_ink(b, chart) > 100, chart
    with open(shot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

    # What the page showed is what the server counted: once the load
    # has stopped and the page polled again, its request total covers
    # every load request and is no more than the server's count now.
    wait_polls(b, polls2 + 2)
    _, after, _ = series(b)
    st = web.stats()
    total = after["http.requests"][2]
    assert before["http.requests"][2] + len(done) <= total
    assert total <= st["http"]["requests"]
    assert after["ecem.pairs_added"][2] > 0  # ecem=all, 1 MiB responses
    assert after["ecem.pairs_added"][2] <= st["ecem"]["pairs_added"]
    # At rest no pair is left in any state, on the server and as drawn.
    assert web.settle(lambda s: s["ecem"]["pairs_live"] == 0)[
        "ecem"]["pairs_live"] == 0
    wait_polls(b, series(b)[0] + 2)  # a poll taken after the settle
    rest = series(b)[1]
    assert pairs_drawn(rest) == 0, {k: rest[k] for k in PAIR_GAUGES}
    assert canvas_ink(b, "chart-ecem-now") > 100
    assert "PANIC" not in g.output()

    # Chromium asked only the guest, and only for the page, its assets
    # and the counters.
    urls = b.requested_urls()
    prefix = "http://%s/" % GUEST
    assert urls and all(u.startswith(prefix) for u in urls), urls
    assert {u[len(prefix) - 1:].split("?")[0] for u in urls} <= {
        "/live.html", "/live.js", "/live.css", "/style.css", "/_stats",
        "/_trace"}, urls


def test_trace_section_matches_the_server(server, chromium):
    """/_trace drawn as a waterfall when the server has it (a request
    made now shows with the spans the server gives for its id), else
    the page says tracing is not available."""
    b = chromium
    b.open(PAGE)
    state = b.wait_for("(s => s !== 'waiting' && s)(document."
                       "getElementById('trace').dataset.state)", POLL_WAIT)
    status = web.get("/_trace")[0]
    if status == 404:
        assert state == "unavailable"
        assert "not available" in b.evaluate(
            "document.getElementById('trace-status').textContent")
        return
    assert (status, state) == (200, "ok")
    assert web.fetch(TRACED)[0] == 200
    row = b.wait_for("""(() => { const r = [...document.querySelectorAll(
        '#trace-rows li')].find(l => l.dataset.label.startsWith(
        'GET %s #') && l.dataset.names.split(',').includes('done'));
        return r && JSON.stringify([+r.dataset.req,
        +r.dataset.spans, r.dataset.names]); })()""" % TRACED, POLL_WAIT)
    assert row, "%s (done) never showed in the waterfall" % TRACED
    req, spans, names = json.loads(row)
    status, _, body = web.get("/_trace?id=%d" % req)
    assert status == 200
    server_spans = [e["name"] for e in json.loads(body)["traceEvents"]
                    if e.get("ph") == "X"]
    assert spans == len(server_spans) > 0
    assert sorted(names.split(",")) == sorted(server_spans)
    assert {"parse", "send", "done"} <= set(server_spans)
    assert b.evaluate("+document.getElementById('waterfall')"
                      ".dataset.points") >= spans


def test_waterfall_draws_a_saved_trace(server, chromium):
    """live.html?trace= draws a trace file of /_trace's format: the 12
    latest requests, newest first, the page's own polls left out, every
    span of each drawn."""
    b = chromium
    b.open(PAGE + "?trace=" + TRACE_SAMPLE)
    assert b.wait_for("document.getElementById('trace').dataset.state "
                      "=== 'ok'", POLL_WAIT)
    rows = json.loads(b.evaluate("""JSON.stringify([...document.
        querySelectorAll('#trace-rows li')].map(l => [+l.dataset.req,
        l.dataset.label, +l.dataset.spans, l.dataset.names,
        +l.dataset.durUs]))"""))
    assert [r[0] for r in rows] == [10, 8, 7, 14, 13, 12, 11, 6, 5, 4, 3,
                                    2]
    assert rows[0][1:] == ["request 10", 2, "parse,newspan", 32]
    assert rows[1][1:] == ["GET /load/m1.bin #8", 7,
                           "parse,open,wait,disk,send,ack,done", 1466]
    assert rows[2][1:] == ["GET /load/k1.bin #7", 4,
                           "parse,open,send,done", 55]
    drawn = b.evaluate("+document.getElementById('waterfall')"
                       ".dataset.points")
    assert drawn == sum(r[2] for r in rows)
    legend = b.evaluate("[...document.querySelectorAll('#trace-legend li')]"
                        ".map(l => l.textContent).join(',')")
    assert set(legend.split(",")) == {"parse", "send", "open", "wait",
                                      "disk", "ack", "done", "newspan"}


def test_missing_trace_says_not_available(server, chromium):
    b = chromium
    b.open(PAGE + "?trace=/no-such-trace.json")
    assert b.wait_for("document.getElementById('trace').dataset.state "
                      "=== 'unavailable'", POLL_WAIT)
    assert "not available" in b.evaluate(
        "document.getElementById('trace-status').textContent")
