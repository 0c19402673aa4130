# SPDX-License-Identifier: MIT
"""Smoke test of the guest-versus-Linux benchmark (tools/bench/bench.py).

Runs the harness in its quickest mode against the unikernel only (one
round, two file sizes, one connection count, 1 s per wrk point, a short
memory bisection) and checks that it writes a well-formed results.json
and CSV with nonzero figures, and leaves no namespace behind. Figures are
not compared with any bound: the machine is shared and TCG is slow.
Skipped, with the reason, where network namespaces cannot be made.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from qemu import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import guest  # noqa: E402

BENCH = os.path.join(ROOT, "tools", "bench", "bench.py")
RUN_TIMEOUT = 240   # a bound on a hung run, not a timing assertion


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    ok, why = guest.available()
    if not ok:
        pytest.skip("cannot create a network namespace (needs root or "
                    "CAP_NET_ADMIN): %s" % why)
    out = tmp_path_factory.mktemp("bench")
    p = subprocess.run(
        [sys.executable, BENCH, "--quick", "--only", "petrel",
         "--sizes", "1KiB,1MiB", "--conns", "4", "--seconds", "1",
         "--mem-steps", "8,128", "--out", str(out)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT)
    assert p.returncode == 0, p.stdout[-3000:]
    runs = os.listdir(str(out))
    assert len(runs) == 1, runs
    return out / runs[0], p.stdout


def test_results_json_is_well_formed_with_nonzero_figures(result):
    folder, _ = result
    with open(folder / "results.json") as f:
        res = json.load(f)
    assert res["schema"] == "petrel-bench/1"
    assert res["config"]["targets"] == ["petrel"]
    assert res["boot_s"]["petrel"] > 0
    assert res["image"]["petrel"]["bytes"] > 0
    assert res["min_mem"]["petrel"]["min_mem_mib"] in (8, 128)
    med = res["medians"]
    assert {(m["file"], m["conns"]) for m in med} == {("1KiB", 4),
                                                      ("1MiB", 4)}
    for m in med:
        assert m["target"] == "petrel"
        assert m["requests"] > 0, m
        for k in ("rps", "mbps", "p50_ms", "p99_ms",
                  "server_cpu_us_per_req", "qemu_cpu_us_per_req"):
            assert m[k] > 0, (k, m)
        assert m["p50_ms"] <= m["p99_ms"]
        # petrel's own counters around each point (issue 17)
        assert m["guest_bytes_per_frame"] > 0, m
        assert m["server_cpu_ms_per_mib"] > 0, m
        for k in ("rto_expired", "rexmit_segs", "tx_refused"):
            assert m[k] >= 0, (k, m)
    assert len(res["rounds"]) == 2
    assert res["petrel_stats"] and isinstance(res["petrel_stats"][0], dict)
    assert [g["met"] for g in res["goals"]][:3] == [None, None, None]
    # Connection: close, two 5 s windows (--quick), served throughout.
    close = res["connection_close"]["rounds"]
    assert [c["target"] for c in close] == ["petrel"]
    assert len(close[0]["window_rps"]) == 2, close
    assert min(close[0]["window_rps"]) > 0 and close[0]["errors"] == 0


def test_csv_matches_json_and_run_cleaned_up(result):
    folder, out = result
    with open(folder / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for r in rows:
        assert float(r["rps"]) > 0 and float(r["mbps"]) > 0
    with open(folder / "rounds.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 2
    assert "boot to first response" in out
    assert "bulk transfers (issue 17)" in out  # 1MiB is a bulk size
    assert "results: " in out
    name = out.split("namespace ", 1)[1].split()[0]
    assert name.startswith("petrel-bench-")
    assert not os.path.exists("/run/netns/" + name)


def test_plot_written(result):
    folder, _ = result
    if not shutil.which("gnuplot"):
        pytest.skip("gnuplot missing (tools/deps.sh installs gnuplot-nox)")
    with open(folder / "plot.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
