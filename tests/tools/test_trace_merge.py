# SPDX-License-Identifier: MIT
"""tools/trace-merge on a recorded fixture (tests/tools/fixtures/cluster:
HAProxy's log, two guests' /_trace saved with --save, and the boot-time
clock samples of tools/cluster.py, from a real two-guest run) and on
synthetic clocks. Host only: `make test-tools`."""
import copy
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TOOL = os.path.join(ROOT, "tools", "trace-merge")
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures",
                   "cluster")
ALIGN_US = 10000  # guest spans inside HAProxy's, within the fetch error


def load_tool():
    loader = importlib.machinery.SourceFileLoader("trace_merge", TOOL)
    spec = importlib.util.spec_from_loader("trace_merge", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tm = load_tool()


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def guests():
    return {g: json.loads(fixture(g + ".trace.json")) for g in ("g0", "g1")}


def requests():
    return tm.parse_haproxy(fixture("haproxy.log").splitlines())


def test_parse_haproxy_log():
    reqs = requests()
    assert len(reqs) == 4
    r = reqs[0]
    assert r["server"] in ("g0", "g1") and r["status"] == 200
    assert len(r["trace"]) == 32 and len(r["span"]) == 16
    assert r["request"].startswith("GET /") and r["Ta"] >= 0
    assert r["start_us"] > 1.7e15  # epoch µs
    assert tm.parse_haproxy(["garbage", ""]) == []


def spans_by_pid(doc):
    out = {}
    for e in doc["traceEvents"]:
        if e["ph"] == "X":
            out.setdefault(e["pid"], []).append(e)
    return out


def test_merge_lines_up_haproxy_and_guest_spans():
    doc = tm.merge(requests(), guests(),
                   json.loads(fixture("clock.json")))
    json.dumps(doc)  # serialisable
    by_pid = spans_by_pid(doc)
    assert len(by_pid) == 4
    for pid, evs in by_pid.items():
        hap = [e for e in evs if e["name"] == "haproxy"]
        guest = [e for e in evs if e["cat"] != "haproxy"]
        assert len(hap) == 1 and guest, evs
        h = hap[0]
        for e in guest:
            # Same W3C trace; the guest's parent is HAProxy's span.
            assert e["args"]["trace_id"] == h["args"]["trace_id"]
            assert e["args"]["parent_id"] == h["args"]["span_id"]
            assert e["tid"] != h["tid"]
        first = min(e["ts"] for e in guest)
        assert h["ts"] - ALIGN_US <= first <= \
            h["ts"] + h["dur"] + ALIGN_US, (h, first)
        # Every event has what the Trace Event format requires.
        for e in evs:
            for k in ("name", "ph", "ts", "dur", "pid", "tid"):
                assert k in e
            assert e["ts"] >= 0
    names = [e for e in doc["traceEvents"] if e["ph"] == "M"]
    assert any(m["name"] == "process_name" for m in names)


def synthetic(rate):
    """A guest whose clock runs at `rate` of the host's: one span at
    guest µs 1e6 that really happened at host µs H0 + 1e6, fetched 20 s
    later; the boot sample at guest 0 = host H0."""
    h0 = 1.8e15
    doc = {"traceEvents": [{"ph": "X", "pid": 1, "tid": 5, "name": "parse",
                            "cat": "app", "ts": 1e6 * rate,
                            "dur": 100 * rate,
                            "args": {"trace_id": "a" * 32,
                                     "parent_id": "b" * 16}}],
           "otherData": {"petrel_trace": 1, "clock": "boot_us",
                         "now_us": 21e6 * rate,
                         "host_us_at_now": h0 + 21e6}}
    return doc, {"g": [[h0, 0.0]]}, h0 + 1e6


def test_clock_rate_fitted_from_boot_sample():
    doc, samples, truth = synthetic(0.97)
    span = tm.guest_spans(doc, tm.guest_clock(doc, "g", samples["g"]))
    e = span["a" * 32][0]
    assert abs(e["ts"] - truth) < 1 and abs(e["dur"] - 100) < 0.01
    # An offset alone is 3% of the 20 s since: 0.6 s off.
    off = tm.guest_spans(doc, tm.guest_clock(doc, "g"))["a" * 32][0]
    assert abs(off["ts"] - truth) > 500000


def test_rejects_foreign_or_unaligned_documents():
    doc, _, _ = synthetic(1.0)
    bad = copy.deepcopy(doc)
    del bad["otherData"]["petrel_trace"]
    with pytest.raises(ValueError):
        tm.guest_clock(bad, "g")
    bad = copy.deepcopy(doc)
    del bad["otherData"]["host_us_at_now"]
    with pytest.raises(ValueError, match="--save"):
        tm.guest_clock(bad, "g")


def test_command_line(tmp_path):
    out = tmp_path / "merged.json"
    r = subprocess.run(
        [sys.executable, TOOL, "--haproxy", os.path.join(FIX, "haproxy.log"),
         "--guest", "g0=" + os.path.join(FIX, "g0.trace.json"),
         "--guest", "g1=" + os.path.join(FIX, "g1.trace.json"),
         "--clock", os.path.join(FIX, "clock.json"), "-o", str(out)],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["otherData"]["requests"] == 4
    r = subprocess.run([sys.executable, TOOL, "--guest", "g0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
