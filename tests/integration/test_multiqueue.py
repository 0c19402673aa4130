# SPDX-License-Identifier: MIT
"""virtio-net multiqueue with one lwIP instance per queue pair.

The guest gets a multiqueue tap (NetNS(queues=N): -netdev
tap,queues=N,vhost=off, -device virtio-net-pci,mq=on,vectors=2N+2) and
net_queues=N. The host's tap steers each flow to a queue by hash, so
connections spread over the instances; every response is checked
byte-exact, and /_stats' net_instances shows who served what. ARP frames
reach one queue only (the tap hashes them like any flow): the test
empties the host's neighbour cache between rounds, so the host asks
again, and the instances that did not get the request learn the host's
address from the copy the receiving one passes on (arp_taken). (Without
the copies the connections here still work: the tap's flow table sends
an ARP reply back to the queue that asked, so each instance would ask
for itself; the copies save those exchanges and do not depend on the
host's steering: with RSS, rss=on, the device steers and every ARP
frame lands on pair 0, and without the copies the other instances'
connections time out.) A device without MQ, and a bad net_queues=, fall back
to one instance.
"""
import http.client
import re

import pytest

import web

SIZES = {"small.txt": 700, "page.html": 9000, "big.bin": 300000}
KEEPALIVE_CONNS = 6
KEEPALIVE_REQUESTS = 8
SHORT_ROUNDS = 4
SHORT_PER_ROUND = 12


@pytest.fixture
def site(tmp_path):
    return web.site_image(tmp_path, SIZES, seed=15)


def keepalive(files, path, n):
    """n requests on one connection, each body checked."""
    c = http.client.HTTPConnection(web.GUEST, 80, timeout=web.TIMEOUT)
    try:
        for _ in range(n):
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            assert (r.status, body) == (200, files[path]), path
            assert r.getheader("Connection", "").lower() != "close"
    finally:
        c.close()


def instances(st):
    """The per-instance objects of /_stats, in order."""
    ni = st["net_instances"]
    return [ni[str(i)] for i in range(ni["count"])]


@pytest.mark.parametrize("queues,rss", [(2, False), (4, False), (4, True)])
def test_flows_spread_over_instances(mq_ns, site, tmp_path, queues, rss):
    files, img = site
    ns = mq_ns(queues)
    net = ns.nic_args()
    if rss:
        net[-1] += ",rss=on"
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "net_queues=%d" % queues,
                            net_args=net)
        out = g.output()
        assert re.search(r"queue pairs %d of %d, rss %s" % (
            queues, queues, "on" if rss else "off"), out), out
        assert "%d queue pairs, one lwIP instance each" % queues in out
        paths = sorted(files)
        for r in range(SHORT_ROUNDS):
            # The host forgets the guest: its next ARP request lands on
            # whichever queue the tap picks.
            ns.run(["ip", "neigh", "flush", "dev", ns.tap])
            web.fetch_concurrently(
                files, [paths[(r + i) % len(paths)]
                        for i in range(SHORT_PER_ROUND)])
        for i in range(KEEPALIVE_CONNS):
            keepalive(files, paths[i % len(paths)], KEEPALIVE_REQUESTS)
        st = web.stats()
        inst = instances(st)
        assert len(inst) == queues
        short = SHORT_ROUNDS * SHORT_PER_ROUND + KEEPALIVE_CONNS
        assert sum(i["accepted"] for i in inst) == st["conn"]["accepted"]
        assert st["conn"]["accepted"] >= short
        serving = [i for i in inst if i["accepted"] > 0]
        assert len(serving) >= 2, inst
        # each instance transmits on its own pair; all of them carried
        # frames of the connections they accepted
        assert all(i["tx_packets"] > 0 for i in serving), inst
        assert sum(i["arp_taken"] for i in inst) > 0, inst
        assert all(i["arp_lost"] == 0 for i in inst), inst
        r = ns.run(["ping", "-c", "4", "-i", "0.2", "-W", "2",
                    web.GUEST])
        assert " 0% packet loss" in r.stdout, r.stdout
        assert st["nic"]["irq_mode"] == "msix"


@pytest.mark.parametrize("nic", ["plain", "mq_off"])
def test_device_without_mq_runs_one_instance(mq_ns, site, tmp_path, nic):
    files, img = site
    ns = mq_ns(1)
    net_args = ns.plain_nic_args() if nic == "plain" else None
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "net_queues=4",
                            net_args=net_args)
        assert "1 queue pair, one lwIP instance each" in g.output()
        web.fetch_concurrently(files, sorted(files) * 3)
        keepalive(files, "/page.html", KEEPALIVE_REQUESTS)
        inst = instances(web.stats())
        assert len(inst) == 1 and inst[0]["accepted"] >= 4, inst


def test_bad_net_queues_named_default_used(mq_ns, site, tmp_path):
    files, img = site
    ns = mq_ns(2)
    with ns.entered():
        g = web.start_guest(ns, tmp_path, img, "net_queues=9", smp=1)
        assert re.search(r"bad value '9' for net_queues=", g.output())
        # the default: one instance per CPU online (one here)
        assert "1 queue pair, one lwIP instance each" in g.output()
        web.fetch_concurrently(files, sorted(files))
        assert web.stats()["net_instances"]["count"] == 1
