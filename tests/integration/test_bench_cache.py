# SPDX-License-Identifier: MIT
"""Smoke test of the page-cache trace benchmark (tools/bench/cache_trace.py).

Runs the script in its quickest form (a short trace, one boot of each
policy) and checks that it produced figures for both policies, that each
guest reported the policy it was booted with, that the whole trace was
replayed with every body byte-exact, and that the site really did not fit
(evictions, disk reads). A second run with one expected file altered
shows that the byte check fails the run. Which policy wins is not
asserted: the machine is shared and the figures are noisy.
Skipped, with the reason, where network namespaces cannot be made.
"""
import os
import sys

import pytest

from benchrun import run, skip_without_netns
from qemu import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import cache_trace  # noqa: E402


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run("cache_trace.py", ["--quick", "--rounds", "1"],
               tmp_path_factory.mktemp("cache"), "cache-trace-*.json")


def test_both_policies_measured_on_the_whole_trace(result):
    res, out = result
    cfg = res["config"]
    assert res["schema"] == "petrel-cache-trace/1"
    # The site is about 4x the pool (it must not fit).
    assert cfg["site_bytes"] >= 4 * (cfg["pool_mb"] << 20)
    measured = cfg["requests"] - cfg["warmup"]
    assert set(res["runs"]) == {"lru", "gds"}
    for policy, runs in res["runs"].items():
        assert len(runs) == 1
        r = runs[0]
        assert r["policy_reported"] == policy
        assert r["complete"], r
        assert r["requests"] == measured
        assert r["bad"] == 0 and r["errors"] == 0, r["first_bad"]
        assert r["verified"] == cfg["requests"]
        assert r["fs_reads"] >= measured
        assert 0 < r["fs_read_hits"] < r["fs_reads"]
        assert 0 < r["hit_ratio"] < 1 and 0 < r["byte_hit_ratio"] < 1
        assert r["evictions"] > 0 and r["disk_requests"] > 0
        assert r["rps"] > 0 and r["vcpu_us_per_req"] > 0
    for k in ("hit_ratio", "byte_hit_ratio", "rps"):
        assert res["ratios"][k] > 0
        assert res["medians"]["lru"][k] > 0 and res["medians"]["gds"][k] > 0
    assert "GDS/LRU:" in out
    name = out.split("namespace ", 1)[1].split()[0]
    assert name.startswith("petrel-bench-")
    assert not os.path.exists("/run/netns/" + name)


def test_a_wrong_body_fails_the_run(tmp_path, monkeypatch, capsys):
    """The replay compares bodies with the files: alter the expected
    bytes of the trace's first file and the run must report it."""
    skip_without_netns()
    real = cache_trace.make_workload

    def altered(*args):
        files, img, trace = real(*args)
        first = trace[0]
        files[first] = bytes([files[first][0] ^ 1]) + files[first][1:]
        return files, img, trace
    monkeypatch.setattr(cache_trace, "make_workload", altered)
    status = cache_trace.main(["--rounds", "1", "--requests", "200",
                               "--warmup", "50", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1, out
    assert "responses wrong, first: /f" in out
