#!/usr/bin/env python3
"""The -P 1 request path of the bits_hll_geo_bench.py and streams_bench.py workloads,
in-process: bytes -> EmberProtocol.data_received -> parser -> dispatch -> handler ->
encoder -> a fake transport (bench/micro_request.py's), so that callgrind can count the
instructions of one request on a busy machine.  Arguments are drawn like redis-benchmark's
``-r 1000000`` (``__rand_int__`` -> 12 digits), from a fixed seed.

    PY=$(python3 -c 'import sys;print(sys.executable)')
    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect=functools_reduce --callgrind-out-file=/tmp/cg.out \\
        $PY bench/micro_bits_hll_geo.py pfadd_dense 2000
    # instructions per request = summary of /tmp/cg.out / 2000 (only the request loop counts)
    python bench/micro_bits_hll_geo.py all 5000      # wall-clock us/request, every workload

The data set is the benches' (dense HLL "hd" of 20000 elements, 64 KB bitmap "bm", 5000
geo points, a 20000-entry stream "s" with groups for XREADGROUP).
"""

import os
import random
import sys
import time
from functools import reduce

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

from ember.embedded import Ember  # noqa: E402
from ember.server.network import EmberProtocol, Network  # noqa: E402
from micro_request import FakeTransport, req  # noqa: E402


def rnd(rng):
    return b"%012d" % rng.randrange(1000000)


def workloads():
    """name -> (function(rng) -> argv)."""
    return {
        "get": lambda r: [b"GET", b"key:000000000001"],
        "pfadd": lambda r: [b"PFADD", b"h", rnd(r)],
        "pfadd_dense": lambda r: [b"PFADD", b"hd", rnd(r)],
        "pfcount_dense": lambda r: [b"PFCOUNT", b"hd"],
        "setbit": lambda r: [b"SETBIT", b"b:" + rnd(r), b"1000", b"1"],
        "getbit": lambda r: [b"GETBIT", b"bm", b"4242"],
        "bitcount": lambda r: [b"BITCOUNT", b"bm"],
        "geosearch": lambda r: [b"GEOSEARCH", b"geo", b"FROMLONLAT", b"13", b"38", b"BYRADIUS",
                                b"50", b"km", b"ASC", b"COUNT", b"10"],
        "xadd": lambda r: [b"XADD", b"sx", b"*", b"f", b"v"],
        "xrange": lambda r: [b"XRANGE", b"s", b"-", b"+", b"COUNT", b"10"],
        "xreadgroup_hist": lambda r: [b"XREADGROUP", b"GROUP", b"g", b"c", b"COUNT", b"10",
                                      b"STREAMS", b"s", b"0"],
        "xreadgroup_new": lambda r: [b"XREADGROUP", b"GROUP", b"g2", b"c", b"COUNT", b"1",
                                     b"STREAMS", b"s", b">"],
    }


def populate(cl, names=None):
    """The benches' data set (only the parts the workloads ``names`` read, when given:
    building all of it dominates a callgrind run)."""
    need = "".join(names) if names else "pfadd_dense pfcount_dense bitcount geosearch x"
    cl.execute("SET", "key:000000000001", "xxx")
    if "_dense" in need:
        populate_hll(cl)
    if "bit" in need:
        cl.execute("SET", "bm", bytes(random.Random(1).randrange(256) for _ in range(65536)))
    if "geo" in need:
        populate_geo(cl)
    if "x" in need:
        populate_stream(cl)


def populate_hll(cl):
    for i in range(0, 20000, 1000):
        cl.execute("PFADD", "hd", *[b"e%d" % j for j in range(i, i + 1000)])
    cl.execute("PFCOUNT", "hd")


def populate_geo(cl):
    rng = random.Random(2)
    for i in range(0, 5000, 500):
        args = []
        for j in range(i, i + 500):
            args += ["%.6f" % (13 + rng.uniform(-2, 2)), "%.6f" % (38 + rng.uniform(-2, 2)),
                     "m%d" % j]
        cl.execute("GEOADD", "geo", *args)


def populate_stream(cl):
    for i in range(20000):
        cl.execute("XADD", "s", "*", "f", "v")
    cl.execute("XGROUP", "CREATE", "s", "g", "0")
    cl.execute("XREADGROUP", "GROUP", "g", "c", "COUNT", "1000", "STREAMS", "s", ">")
    cl.execute("XGROUP", "CREATE", "s", "g2", "0")


def main():
    which, n = sys.argv[1], int(sys.argv[2])
    wl = workloads()
    names = list(wl) if which == "all" else which.split(",")
    e = Ember()
    server = e.server
    populate(e.client(), names)
    for name in names:
        proto = EmberProtocol(server, Network(server))
        t = FakeTransport()
        proto.connection_made(t)
        rng = random.Random(7)
        make = wl[name]
        reqs = [req(*make(rng)) for _ in range(n)]
        received = proto.data_received
        received(req(*make(random.Random(8))))   # warm-up (lazy tables) outside the count
        t0 = time.perf_counter()
        # functools.reduce runs the loop so that callgrind can count it alone
        reduce(lambda _, data: received(data), reqs, None)
        dt = time.perf_counter() - t0
        if which == "all":
            print("%-16s %7.2f us/request" % (name, dt / max(n, 1) * 1e6))


if __name__ == "__main__":
    main()
