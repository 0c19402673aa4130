# SPDX-License-Identifier: MIT
"""Running a benchmark script from its smoke test: skip where no network
namespace can be made, run the script bounded in time, and load the one
results file it wrote."""
import glob
import json
import os
import subprocess
import sys

import pytest

from qemu import ROOT

BENCH_DIR = os.path.join(ROOT, "tools", "bench")
sys.path.insert(0, BENCH_DIR)
import guest  # noqa: E402

RUN_TIMEOUT = 300   # a bound on a hung run, not a timing assertion


def skip_without_netns():
    ok, why = guest.available()
    if not ok:
        pytest.skip("cannot create a network namespace (needs root or "
                    "CAP_NET_ADMIN): %s" % why)


def run(script, args, out, pattern):
    """(results, stdout) of tools/bench/`script` run with `args` writing
    into `out`, whose single file matching `pattern` is the results."""
    skip_without_netns()
    p = subprocess.run(
        [sys.executable, os.path.join(BENCH_DIR, script)] + args
        + ["--out", str(out)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT)
    assert p.returncode == 0, p.stdout[-3000:]
    found = glob.glob(os.path.join(str(out), pattern))
    assert len(found) == 1, found
    with open(found[0]) as f:
        return json.load(f), p.stdout
