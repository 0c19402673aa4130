# SPDX-License-Identifier: MIT
"""The shared storage layers on every CPU (fs/fsselftest.c): a thread on
each CPU reads every file of the volume's root through the page cache,
cold with all CPUs on the same pages at once, warm, and cold again, under
lockcheck=panic. Every CPU must read the same bytes in every round, and
each file's CRC-32 must equal that of the host's file."""
import re
import zlib

import pytest
import web

SUMMARY = (r"fsselftest: (\d+) CPUs x (\d+) files x 3 rounds: (\d+) bytes, "
           r"(\d+) disagreements, (\d+) errors, (\d+) misses, (\d+) waits, "
           r"(\d+) handovers, (\d+) lock violations: (passed|FAILED)")
FILE = r"fsselftest: file (\S+) size (\d+) crc32 ([0-9a-f]{8})"

SIZES = {"a.bin": 1 << 20, "b.bin": 300000, "c.bin": 4096, "d.bin": 1,
         "e.bin": 70000, "f.bin": 2 << 20}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return web.site_image(tmp_path_factory.mktemp("fssmp"), SIZES)


@pytest.mark.parametrize("smp", [1, 2, 4])
def test_every_cpu_reads_the_same_bytes(boot, site, smp):
    files, img = site
    g = boot("fsselftest=on lockcheck=panic readahead=64", smp=smp,
             extra_args=web.disk_args(img), mem="256M")
    m = g.wait_for(SUMMARY, 300)
    cpus, nfiles, nbytes, differ, errors, misses, waits, handovers, \
        violations = (int(v) for v in m.groups()[:-1])
    print(m.group(0))
    assert m.group(10) == "passed", g.output()[-3000:]
    assert cpus == smp and nfiles == len(files)
    assert differ == 0 and errors == 0 and violations == 0
    assert nbytes == 3 * smp * sum(len(d) for d in files.values())
    # each file's bytes are the host's
    got = {p: (int(s), c) for p, s, c in re.findall(FILE, g.output())}
    for path, data in files.items():
        assert got[path] == (len(data), "%08x" % zlib.crc32(data)), path
    # the two cold rounds went to the disk
    assert misses >= 2
    if smp > 1:
        # completions reaped on CPU 0 went back to the CPUs that asked
        assert handovers > 0
    assert "lockcheck: " not in g.output()
    assert "PANIC" not in g.output()
