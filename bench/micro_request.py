#!/usr/bin/env python3
"""The whole Python side of a request, in-process: bytes -> EmberProtocol.data_received ->
parser -> dispatch -> encoder -> transport.write, with a fake transport (no sockets, no
syscalls).  Made for instruction counts, which stay repeatable on a busy machine:

    PY=$(python3 -c 'import sys;print(sys.executable)')
    for n in 0 2000; do PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=cg.$n \\
        $PY bench/micro_request.py get 1 $n; done
    # instructions per request = (summary of cg.2000 - summary of cg.0) / 2000

Arguments: WORKLOAD PIPELINE REQUESTS, WORKLOAD one of get set incr ping mset hset lpush rpop
lrange, or the bench/collections_bench.py workloads as redis-benchmark sends them (random
integers below 100000, fixed seed; containers pre-filled so that pops never find them empty):
c_lpush c_rpop c_lrange_100 c_sadd c_spop c_hset c_zadd c_zrange c_zpopmin c_bzpopmin;
also c_zadd_big (ZADD into a zset of ~50,000 members) and c_zrange_cold (ZRANGE WITHSCORES
of 10 members at a random rank of a 200,000-member zset: the pair cache mostly misses).
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from ember.embedded import Ember  # noqa: E402
from ember.server.network import EmberProtocol, Network  # noqa: E402


class FakeSock:
    family = 2

    def fileno(self):
        return 99

    def setsockopt(self, *a):
        pass


class FakeTransport:
    def __init__(self):
        self.writes = 0

    def get_extra_info(self, k):
        return {"socket": FakeSock(), "peername": ("127.0.0.1", 5555),
                "sockname": ("127.0.0.1", 6379)}[k]

    def write(self, d):
        self.writes += 1

    def get_write_buffer_size(self):
        return 0

    def is_closing(self):
        return False

    def close(self):
        pass


def req(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


WORKLOADS = {
    "get": req(b"GET", b"key:000000000001"),
    "set": req(b"SET", b"key:000000000001", b"xxx"),
    "incr": req(b"INCR", b"counter"),
    "ping": req(b"PING"),
    "mset": req(b"MSET", *[b"key:%012d" % i if j == 0 else b"xxx" for i in range(10) for j in range(2)]),
    "hset": req(b"HSET", b"myhash", b"element:1", b"xxx"),
    "lpush": req(b"LPUSH", b"mylist", b"xxx"),
    "rpop": req(b"RPOP", b"mylist"),
    "lrange": req(b"LRANGE", b"mylist", b"0", b"99"),
}


def _r():
    return b"%012d" % random.randrange(100000)


def _zrange_at(r):
    return req(b"ZRANGE", b"zbig", b"%d" % r, b"%d" % (r + 9), b"WITHSCORES")


# name -> (setup commands, function producing one request); shapes as redis-benchmark's
COLLECTIONS = {
    "c_lpush": ([], lambda: req(b"LPUSH", b"mylist", b"xxx")),
    "c_rpop": ([[b"RPUSH", b"mylist"] + [b"xxx"] * 50000] * 4, lambda: req(b"RPOP", b"mylist")),
    "c_lrange_100": ([[b"RPUSH", b"mylist"] + [b"xxx"] * 600], lambda: req(b"LRANGE", b"mylist", b"0", b"99")),
    "c_sadd": ([], lambda: req(b"SADD", b"myset", b"element:" + _r())),
    "c_spop": ([[b"SADD", b"myset"] + [b"element:%d" % i for i in range(j, j + 50000)]
                for j in range(0, 200000, 50000)], lambda: req(b"SPOP", b"myset")),
    "c_hset": ([], lambda: req(b"HSET", b"myhash", b"element:" + _r(), b"xxx")),
    "c_zadd": ([], lambda: req(b"ZADD", b"myzset", _r(), b"member:" + _r())),
    # ZADD into a zset of 50,000 members, the size the bench's zset reaches after a few runs
    # (about half the requests then update an existing member)
    "c_zadd_big": (lambda: [[b"ZADD", b"myzset"] + [x for i in range(5000) for x in (_r(), b"member:" + _r())]
                            for j in range(10)], lambda: req(b"ZADD", b"myzset", _r(), b"member:" + _r())),
    "c_zrange": ([[b"ZADD", b"zfill"] + [x for i in range(10000) for x in (b"%d" % i, b"member:%07d" % i)]],
                 lambda: req(b"ZRANGE", b"zfill", b"5000", b"5009", b"WITHSCORES")),
    "c_zrange_cold": ([[b"ZADD", b"zbig"] + [x for i in range(j, j + 50000) for x in (b"%d.%d" % (i, i % 7), b"member:%07d" % i)]
                       for j in range(0, 200000, 50000)],
                      lambda: _zrange_at(random.randrange(199990))),
    "c_zpopmin": ([[b"ZADD", b"zpop"] + [x for i in range(j, j + 50000) for x in (b"%d" % i, b"member:%07d" % i)]
                   for j in range(0, 200000, 50000)], lambda: req(b"ZPOPMIN", b"zpop")),
    "c_bzpopmin": ([[b"ZADD", b"zpop"] + [x for i in range(j, j + 50000) for x in (b"%d" % i, b"member:%07d" % i)]
                    for j in range(0, 200000, 50000)], lambda: req(b"BZPOPMIN", b"zpop", b"0")),
}


def main():
    which, depth, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if which in COLLECTIONS:
        return collections(which, depth, n)
    e = Ember()
    server = e.server
    proto = EmberProtocol(server, Network(server))
    t = FakeTransport()
    proto.connection_made(t)
    cl = e.client()
    cl.execute("SET", "key:000000000001", "xxx")
    for i in range(100):
        cl.execute("RPUSH", "mylist", "xxx")
    data = WORKLOADS[which] * depth
    received = proto.data_received
    for _ in range(n):
        received(data)


def collections(which, depth, n):
    """Requests made up front (outside the measured difference: the n=0 run makes them too
    when given the same n through BENCH_MAKE, see the module doc)."""
    random.seed(1)
    setup, make = COLLECTIONS[which]
    e = Ember()
    server = e.server
    proto = EmberProtocol(server, Network(server))
    t = FakeTransport()
    proto.connection_made(t)
    cl = e.client()
    for argv in (setup() if callable(setup) else setup):     # (after the seed)
        cl.execute(*argv)
    datas = [b"".join(make() for _ in range(depth)) for _ in range(int(os.environ.get("BENCH_MAKE", n)))]
    received = proto.data_received
    for data in datas[:n]:
        received(data)


if __name__ == "__main__":
    main()
