# SPDX-License-Identifier: MIT
"""IO-Lite + sf_buf mechanisms in the running kernel.

Every value of mapping=, copy= and csum= is exercised on a representative
subset of the configuration matrix, each config serving a generated site
byte-exact; counters prove the mechanisms did what they claim: a hot file
needs no new mappings, the default path copies and sums no file byte,
cached checksums are reused, eviction never breaks a referenced page.
"""
import pytest

from web import (fetch as get, fetch_concurrently, pipeline, site_image,
                 stats)

TIMEOUT = 60

CONFIGS = [
    "mapping=sfbuf copy=off csum=offload",   # the default
    "mapping=naive copy=on csum=sw",
    "mapping=direct copy=off csum=cache",
    "mapping=sfbuf copy=on csum=cache",
    "mapping=naive copy=off csum=offload",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    files = {"k1.bin": 1024, "k64.bin": 65536, "m1.bin": 1 << 20,
             "m10.bin": 10 << 20, "odd.bin": 12345}
    # 16 MiB in 16 files: 4x a window of 1024 pages.
    files.update(("w%d.bin" % i, 1 << 20) for i in range(16))
    return site_image(tmp_path_factory.mktemp("mech"), files)


def fetch_all(files):
    """Every file but the working-set ones (/w*.bin, for the window)."""
    for path, data in files.items():
        if path.startswith("/w"):
            continue
        status, body = get(path)
        assert status == 200 and body == data, path
    status, body = get("/m1.bin", {"Range": "bytes=4000-70000"})
    assert status == 206 and body == files["/m1.bin"][4000:70001]


@pytest.mark.parametrize("config", CONFIGS)
def test_matrix_serves_byte_exact(guest, config):
    start, files = guest
    g = start(config)
    fetch_all(files)
    # Pipelined requests on one connection, and concurrent clients.
    paths = ["/k1.bin", "/odd.bin", "/k64.bin"] * 3
    responses = pipeline(paths, timeout=TIMEOUT)
    assert len(responses) == len(paths)
    for path, (head, body) in zip(paths, responses):
        assert head.startswith(b"HTTP/1.1 200 "), (path, head[:40])
        assert body == files[path], path
    fetch_concurrently(files, ["/m1.bin", "/k64.bin"] * 8, TIMEOUT)
    st = stats()
    mapping, copy, csum = (kv.split("=")[1] for kv in config.split())
    assert st["sfbuf"]["mode"] == mapping
    assert st["csum"]["mode"] == csum
    if copy == "on":
        assert st["conn"]["bytes_copied"] >= sum(
            len(d) for p, d in files.items() if not p.startswith("/w"))
    else:
        assert st["conn"]["bytes_copied"] == 0
    if mapping == "naive":
        assert st["sfbuf"]["invalidations"] > 0
    assert "PANIC" not in g.output()


def test_hot_file_needs_no_new_mappings(guest):
    """The default window (SFBUF_WINDOW_SLOTS, smaller than the pool) is
    first churned by a file larger than what is left of it, so the cache
    is full and recycling; a 1 MiB file that fits is then served again
    and again from the mappings it already has."""
    start, files = guest
    start("mapping=sfbuf")
    st = stats()["sfbuf"]
    assert st["slots"] < stats()["iobuf"]["pool_pages"]
    for path in ["/m10.bin"] + ["/w%d.bin" % i for i in range(8)]:
        assert get(path) == (200, files[path]), path
    assert get("/m1.bin") == (200, files["/m1.bin"])
    before = stats()["sfbuf"]
    assert before["recycled"] > 0  # the window is full: a cache now
    for _ in range(3):
        assert get("/m1.bin") == (200, files["/m1.bin"])
    after = stats()["sfbuf"]
    # RX pages come and go too, so allow a handful of new mappings for
    # them, but the 256 pages of the file must all be cache hits. The
    # heads' seals and unseals write PTEs of mappings that already exist
    # (counted apart, see DESIGN's sf_buf section): not new mappings.
    d = {k: after[k] - before[k] for k in
         ("pte_writes", "seal_protects", "unseal_upgrades", "invalidations",
          "hits")}
    assert d["pte_writes"] - d["seal_protects"] - d["unseal_upgrades"] \
        < 16, d
    assert d["invalidations"] < 16, d
    assert d["hits"] >= 3 * 256, d


def test_file_larger_than_the_window_recycles(guest):
    """sfbuf_slots=1024 (4 MiB of window, a quarter of it held by posted
    RX pages): the 10 MiB file cannot stay mapped, so serving it again
    recycles idle mappings, each with one local invalidation."""
    start, files = guest
    start("sfbuf_slots=1024")
    assert get("/m10.bin") == (200, files["/m10.bin"])
    before = stats()["sfbuf"]
    assert before["slots"] == 1024
    assert get("/m10.bin") == (200, files["/m10.bin"])
    after = stats()["sfbuf"]
    pages = len(files["/m10.bin"]) // 4096
    assert after["recycled"] - before["recycled"] >= pages // 2
    assert after["invalidations"] - before["invalidations"] >= pages // 2
    assert after["busy_max"] <= 1024


def test_working_set_four_times_the_window(guest):
    """16 clients over a working set of 4x the window, byte-exact, with
    the mappings recycled and no slot in use ever taken."""
    start, files = guest
    start("sfbuf_slots=1024")
    paths = ["/w%d.bin" % i for i in range(16)]
    assert sum(len(files[p]) for p in paths) >= 4 * 1024 * 4096
    for k in range(2):  # each of 16 clients on its own file, then another
        fetch_concurrently(files, paths[5 * k:] + paths[:5 * k], 4 * TIMEOUT)
    st = stats()["sfbuf"]
    assert st["recycled"] > 4096
    assert st["busy_max"] <= st["slots"] == 1024


def test_default_path_copies_and_sums_no_file_byte(guest):
    start, files = guest
    start("")
    fetch_all(files)
    st = stats()
    assert st["csum"]["mode"] == "offload"
    assert st["conn"]["bytes_copied"] == 0
    assert st["csum"]["data_bytes_summed"] == 0


def test_checksum_cache_sums_a_hot_file_once(guest):
    start, files = guest
    start("csum=cache")
    assert get("/m1.bin") == (200, files["/m1.bin"])
    first = stats()["csum"]
    for _ in range(3):
        assert get("/m1.bin") == (200, files["/m1.bin"])
    again = stats()["csum"]
    assert first["data_bytes_summed"] >= len(files["/m1.bin"])
    # Later serves hit the cache for most segments (a segment that
    # straddles pages differently from last time is a new key, and where
    # the send buffer cuts a page depends on timing: 14% re-summed on a
    # quiet host, up to 37% seen on a loaded one; without the cache, all).
    resummed = (again["data_bytes_summed"] - first["data_bytes_summed"]) / 3
    assert resummed < len(files["/m1.bin"]) / 2
    segments = len(files["/m1.bin"]) // 1460
    assert again["cache_hits"] - first["cache_hits"] > 3 * segments // 2


def test_eviction_under_a_working_set_larger_than_the_pool(guest):
    start, files = guest
    start("pool_mb=4", mem="64M")
    for _ in range(2):
        fetch_concurrently(
            files, ["/m10.bin", "/m1.bin", "/m10.bin", "/k64.bin"], TIMEOUT)
    st = stats()
    assert st["pcache"]["evictions"] > 0
    assert st["iobuf"]["pool_pages"] == 1024


def test_loss_byte_exact(ns, guest):
    """5% of the packets dropped each way: retransmissions come from the
    pages the connection still holds referenced."""
    start, files = guest
    # lwIP's retransmission timer backs off to seconds under loss: give
    # the send-progress timeout room so it does not end the transfer.
    start("idle_timeout_ms=120000")
    ns.drop_randomly(5)
    for path in ["/m1.bin", "/k64.bin", "/odd.bin"]:
        assert get(path) == (200, files[path]), path


def test_reordering_and_duplication_byte_exact(ns, guest):
    start, files = guest
    start("idle_timeout_ms=120000")
    if not ns.netem("delay", "3ms", "reorder", "25%", "50%", "duplicate",
                    "2%", "loss", "5%"):
        pytest.skip("this kernel has no netem qdisc (sch_netem): "
                    "reordering and duplication cannot be injected")
    for path in ["/m1.bin", "/k64.bin", "/odd.bin"]:
        assert get(path) == (200, files[path]), path


SEND_SLOTS = 192  # beyond RX's slots: sends overflow it, RX keeps room


def test_naive_mapping_waits_when_every_slot_is_busy(guest):
    """mapping=naive maps a page once per get, so zero-copy sends to
    several clients hold more mappings than a small window has: the
    sends wait for acknowledgements to give slots back (map_waits)
    instead of the kernel panicking, and every byte is served.
    Every posted 2 KiB RX buffer holds a slot of its own while posted
    (naive maps per get: 254 at one queue pair and at two), so the
    window is what RX holds at idle (read from a first boot) plus
    SEND_SLOTS. A fixed 320 left the sends 50 spare slots: at two CPUs
    the senders of one CPU took the slots the other's frames gave back,
    its RX refills were refused until its ring ran nearly dry
    (rx_posted 10 of 254) and a connection stalled past the idle
    timeout about 1 run in 4. Senders now leave RX a reserve
    (sfbuf_get_held_rx), and the sends' share of the window no longer
    depends on how many slots the rings pin."""
    start, files = guest
    g = start("mapping=naive")
    rx_held = stats()["sfbuf"]["busy"]
    g.stop()
    slots = rx_held + SEND_SLOTS
    g = start("mapping=naive sfbuf_slots=%d" % slots)
    before = stats()
    assert before["sfbuf"]["slots"] == slots
    fetch_concurrently(files, ["/m10.bin", "/m1.bin"] * 4, 4 * TIMEOUT)
    st = stats()
    print("naive, %d slots (%d held by RX at idle): map_waits %d, "
          "held_refused %d, busy_max %d, "
          "held_wakes %d, map_wakes %d, mem_wait_lost %d, resets %d"
          % (slots, rx_held, st["conn"]["map_waits"],
             st["sfbuf"]["held_refused"],
             st["sfbuf"]["busy_max"], st["sfbuf"].get("held_wakes", -1),
             st["conn"].get("map_wakes", -1), st["conn"]["mem_wait_lost"],
             st["conn"]["resets"]))
    assert st["conn"]["map_waits"] > before["conn"]["map_waits"]
    # A send waiting for a slot is woken by whichever CPU's put frees
    # one (the window is shared), never left for the poll timer, and no
    # connection runs into the send timeout.
    assert st["conn"]["mem_wait_lost"] == before["conn"]["mem_wait_lost"]
    assert st["conn"]["resets"] == before["conn"]["resets"]
    assert st["sfbuf"]["busy_max"] <= slots
    assert g.proc.poll() is None and "PANIC" not in g.output()
