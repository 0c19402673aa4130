# SPDX-License-Identifier: MIT
"""The Linux baseline guest (Debian kernel, busybox, nginx) and the shared
benchmark launcher tools/bench/guest.py.

Builds the guest (or reuses build/linux-guest), boots it with a generated
site image on a tap inside a namespace the launcher creates, fetches files
of several sizes with curl from inside the namespace and compares them
byte for byte. Skipped, with the reason, where namespaces cannot be made
or the Debian packages cannot be downloaded. One boot for the fetches and
one for the Ctrl-C clean-up; each wait is bounded.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from qemu import ROOT, stop_process

sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import guest  # noqa: E402
import web  # noqa: E402

BOOT_TIMEOUT = 90       # Linux under TCG: about 5 s here, 10+ s loaded
CURL_TIMEOUT = 30
READY_TIMEOUT = 20      # s from the first 200 to /init's ready marker
SIZES = {"one.bin": 1, "k1.bin": 1024, "k64.bin": 65536 + 7,
         "m1.bin": 1 << 20, "m5.bin": 5 << 20}
INDEX = b"<html><body>linux guest</body></html>\n"


def make_site(root):
    files = web.write_files(root, {"index.html": INDEX,
                                   "sub/page.html": b"<p>sub</p>\n"})
    files.update(web.make_site(root, SIZES, seed=7))
    return files


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    ok, why = guest.available()
    if not ok:
        pytest.skip("cannot create a network namespace: %s" % why)
    status, out = guest.build_linux()
    if status == 2:
        pytest.skip("Debian packages for the Linux guest cannot be "
                    "downloaded:\n%s" % out[-2000:])
    assert status == 0, "tools/linux-guest/build.sh failed:\n%s" % out
    tmp = tmp_path_factory.mktemp("linux-guest")
    files = make_site(str(tmp / "site"))
    return tmp, web.make_image(tmp / "site", tmp / "site.img"), files


def curl(ns, path, out):
    """(HTTP status, curl's stderr) for one GET from inside `ns`."""
    p = ns.run(["curl", "-sS", "--max-time", str(CURL_TIMEOUT), "-o",
                str(out), "-w", "%{http_code}",
                "http://%s%s" % (guest.GUEST_ADDR, path)],
               timeout=CURL_TIMEOUT + 5)
    return p.stdout.strip(), p.stderr


def test_linux_guest_serves_the_site_byte_exact(site, capsys):
    tmp, img, files = site
    with guest.Namespace() as ns, \
            guest.Guest(ns, "linux", img, mem="128M",
                        log_path=str(tmp / "linux.serial.log")) as g:
        boot = g.wait_http("/index.html", BOOT_TIMEOUT)
        # nginx may answer before /init's next 50 ms poll has seen it
        # listening and printed the marker: wait for it, bounded
        g.wait_for(r"linux-guest: ready 10\.77\.0\.2/24", READY_TIMEOUT)
        assert g.find_vcpu_tid() is not None
        cpu = g.cpu_seconds()
        assert 0 < cpu["vcpu"] <= cpu["qemu"]

        for path, data in sorted(files.items()):
            out = tmp / ("got" + path.replace("/", "_"))
            code, err = curl(ns, path, out)
            assert code == "200", "%s: %s %s" % (path, code, err)
            got = out.read_bytes()
            assert len(got) == len(data), path
            assert got == data, "%s differs" % path
        code, _ = curl(ns, "/sub/", tmp / "dirindex")
        assert code == "403"  # no index.html there, no autoindex
        code, _ = curl(ns, "/missing.bin", tmp / "missing")
        assert code == "404"
        assert "FAILED" not in g.output()
    with capsys.disabled():
        print("\nlinux guest: first HTTP 200 after %.2f s (QEMU CPU %.2f s)"
              % (boot, cpu["qemu"]))
    assert not os.path.exists("/run/netns/" + ns.name)
    assert g.proc.poll() is not None


CLEANUP_TIMEOUT = 90  # seconds for the launcher to stop QEMU and the netns


def test_launcher_cleans_up_on_ctrl_c(site):
    tmp, img, _ = site
    log = str(tmp / "hold.serial.log")
    p = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "bench", "guest.py"),
         "--kind", "linux", "--image", img, "--timeout", str(BOOT_TIMEOUT),
         "--log", log, "--hold"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        deadline = time.monotonic() + BOOT_TIMEOUT + 30
        while "first HTTP 200" not in line:
            line = p.stdout.readline()
            assert line or p.poll() is None, "launcher exited early"
            assert time.monotonic() < deadline, "no first response"
        qemu_pid = int(line.split("QEMU pid ")[1].split()[0])
        ns_name = line.split("namespace ")[1].split(";")[0]
        assert os.path.exists("/run/netns/" + ns_name)
        p.send_signal(signal.SIGINT)
        # A bound on a hung cleanup, not a timing assertion: on a loaded
        # host stopping QEMU and the namespace took over 30 s once.
        assert p.wait(timeout=CLEANUP_TIMEOUT) == 130
    finally:
        # SIGKILL alone would leave the launcher's QEMU and namespace
        # behind: let it clean up on SIGINT, and only then insist.
        stop_process(p, CLEANUP_TIMEOUT, signal.SIGINT)
    assert not os.path.exists("/run/netns/" + ns_name)
    assert not os.path.exists("/proc/%d" % qemu_pid)


def test_launcher_rejects_bad_input(tmp_path):
    with pytest.raises(guest.GuestError, match="no such file"):
        guest.Guest(guest.Namespace(), "linux", str(tmp_path / "nope.img"))
    img = tmp_path / "x.img"
    img.write_bytes(b"\0" * 4096)
    with pytest.raises(guest.GuestError, match="kind"):
        guest.Guest(guest.Namespace(), "bsd", str(img))
