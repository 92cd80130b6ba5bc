#!/usr/bin/env python3
"""In-process micro-benchmark of the collection workloads of bench/collections_bench.py,
without sockets: each round executes a 16-command pipeline shaped like redis-benchmark's
(same commands, same argument shapes, random integers from -r 100000) through
``commands.dispatch.execute`` and encodes the replies as the network layer does.  Prints
microseconds per command (best of several rounds).

    python bench/micro_collections.py
    python bench/micro_collections.py --only zadd,zrange
    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect=functools_reduce --callgrind-out-file=/tmp/cg.out \\
        python bench/micro_collections.py --n 100 --rounds 1 --only zadd
        (counts only the timed loop: instructions per command = total / (16 * n);
        repeatable on a busy machine)
"""

import os
import random
import sys
import time
from functools import reduce

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from ember.commands.dispatch import execute  # noqa: E402
from ember.embedded import Ember  # noqa: E402
from ember.protocol.encoder import encode_into  # noqa: E402

RAND = 100000


def _pipeline(c, cmds):
    out = []
    server = c.server
    server.now_ms = server.clock_ms()
    for argv in cmds:
        encode_into(out, execute(c, argv), False)
    b"".join(out)
    return c


def rnd():
    return b"%012d" % random.randrange(RAND)


def _zfill(key, n):
    return [[b"ZADD", key] + [x for i in range(n) for x in (b"%d" % i, b"member:%07d" % i)]]


def workloads(size):
    """name -> (setup commands, function producing one command); ``size`` is how many
    elements the pre-filled RPOP list, SPOP set, ZADD zset and ZPOPMIN zset start with."""
    return {
        "get": ([[b"SET", b"key:000000000001", b"xxx"]], lambda: [b"GET", b"key:000000000001"]),
        "lpush": ([], lambda: [b"LPUSH", b"mylist", b"xxx"]),
        "rpop": ([[b"RPUSH", b"mylist"] + [b"xxx"] * size], lambda: [b"RPOP", b"mylist"]),
        "lrange_100": ([[b"RPUSH", b"mylist"] + [b"xxx"] * 600], lambda: [b"LRANGE", b"mylist", b"0", b"99"]),
        "sadd": ([], lambda: [b"SADD", b"myset", b"element:" + rnd()]),
        "spop": ([[b"SADD", b"myset"] + [b"element:%d" % i for i in range(size)]],
                 lambda: [b"SPOP", b"myset"]),
        "hset": ([], lambda: [b"HSET", b"myhash", b"element:" + rnd(), b"xxx"]),
        "zadd": (_zfill(b"myzset", size), lambda: [b"ZADD", b"myzset", rnd(), b"member:" + rnd()]),
        "zrange": (_zfill(b"zfill", 10000), lambda: [b"ZRANGE", b"zfill", b"5000", b"5009", b"WITHSCORES"]),
        "zpopmin": (_zfill(b"zpop", size), lambda: [b"ZPOPMIN", b"zpop"]),
        "bzpopmin": (_zfill(b"zpop", size), lambda: [b"BZPOPMIN", b"zpop", b"0"]),
    }


def run(c, make, rounds, n, depth=16):
    server = c.server
    best = 1e9
    for _ in range(rounds):
        batches = [[make() for _ in range(depth)] for _ in range(n)]
        t = time.perf_counter()
        # functools.reduce runs the loop so that callgrind can count it alone:
        # --collect-atstart=no --toggle-collect=functools_reduce (see the module doc)
        reduce(_pipeline, batches, c)
        best = min(best, (time.perf_counter() - t) / max(n, 1) / depth * 1e6)
    return best


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="pipelines of 16 commands per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--size", type=int, default=100000, help="elements pre-filled (see workloads)")
    a = ap.parse_args()
    random.seed(1)
    wl = workloads(a.size)
    names = a.only.lower().split(",") if a.only else list(wl)
    for name in names:
        setup, make = wl[name]
        c = Ember().client().client
        for argv in setup:
            execute(c, argv)
        print("%-11s %6.2f us/command" % (name, run(c, make, a.rounds, a.n)))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
