# SPDX-License-Identifier: MIT
"""The sampling profiler (profile=HZ, GET /_profile, tools/profile-report):
under load at -smp 2 every CPU is sampled, the folded stacks name kernel
functions from the main loop down to the network stack and the idle
halt, ?ms=N narrows to the recent samples, /_stats counts them, and
tools/profile-report reads the answer. Off by default (404), and a bad
profile= value is named on the console with the default kept.
"""
import json
import os
import re
import subprocess
import time

import pytest

from web import fetch, fetch_concurrently, get, site_image, stats

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "tools", "profile-report")
LINE = re.compile(r"^cpu(\d+)((;[A-Za-z0-9_.$]+)+) (\d+)$")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return site_image(tmp_path_factory.mktemp("profile"), {
        "k1.bin": 1024, "m1.bin": 1 << 20}, seed=11)


def folded(query=""):
    status, headers, body = get("/_profile" + query)
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain")
    lines = body.decode().splitlines()
    for line in lines:
        assert LINE.match(line), line
    return lines


def count(lines):
    return sum(int(line.rsplit(" ", 1)[1]) for line in lines)


def test_samples_every_cpu_through_the_stack(guest, tmp_path):
    start, files = guest
    start("profile=1000", smp=2)
    before = stats()["profile"]
    assert before["hz"] == 1000
    for _ in range(5):
        fetch_concurrently(files, ["/k1.bin"] * 20 + ["/m1.bin"] * 4)
    time.sleep(0.5)  # some idle too
    lines = folded()
    after = stats()["profile"]
    assert after["samples"] > before["samples"]
    cpus = {int(LINE.match(line).group(1)) for line in lines}
    assert cpus == {0, 1}, cpus
    frames = {f for line in lines for f in LINE.match(line).group(2)[1:]
              .split(";")}
    assert "mainloop_run" in frames
    assert "smp_idle_halt" in frames
    # The request path was sampled: lwIP's TCP and the HTTP server.
    assert any("tcp_" in f for f in frames), sorted(frames)[:50]
    assert any(f.startswith(("hc_", "http_", "serve_", "answer"))
               for f in frames), sorted(frames)[:50]
    # The last 200 ms hold fewer samples than everything held.
    assert 0 < count(folded("?ms=200")) < count(lines)
    for bad in ("?ms=", "?ms=0", "?ms=x1"):
        assert get("/_profile" + bad)[0] == 400, bad
    path = tmp_path / "p.folded"
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([REPORT, str(path), "--json"], capture_output=True,
                         text=True, check=True)
    rep = json.loads(out.stdout)
    assert rep["samples"] == count(lines)
    assert 0 < rep["idle"] < rep["samples"]
    assert rep["self"] and rep["total"]["mainloop_run"] > 0


def test_off_by_default_and_bad_value_named(guest):
    start, files = guest
    g = start("profile=fast")
    g.wait_for(r"cmdline: bad value 'fast' for profile=")
    assert get("/_profile")[0] == 404
    assert stats()["profile"] == {"hz": 0, "samples": 0, "deep_stacks": 0}
    assert fetch("/k1.bin") == (200, files["/k1.bin"])
