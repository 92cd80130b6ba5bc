#!/usr/bin/env python3
"""In-process micro-benchmark of the small-hash commands (the session use case: hashes of 5
fields), without sockets: parse a 16-command pipeline, dispatch, encode, as the network layer
does.  Prints microseconds per command (best of several rounds).

    python bench/hash_micro.py
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \\
        python bench/hash_micro.py --n 200 --rounds 1 --only hget
        (instruction counts, repeatable on a busy machine; subtract a --n 0 run)

Workloads (keys sess:0..N, each a 5-field hash of 8-byte fields and 10-byte values):
  HSET-NEW   HSET of 5 fields on a key that does not exist (the key is deleted in between)
  HSET-UPD   HSET of 1 existing field
  HGET       HGET of the 3rd field
  HMGET      HMGET of 2 fields
  HGETALL    HGETALL
  HINCRBY    HINCRBY of a 6th, numeric field
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from ember.commands.dispatch import execute  # noqa: E402
from ember.embedded import Ember  # noqa: E402
from ember.protocol.encoder import encode_into  # noqa: E402
from ember.protocol.parser import FastRequestParser  # noqa: E402

FIELDS = [(b"field:%02d" % i, b"value:%04d" % i) for i in range(1, 6)]


def req(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipeline(name):
    out = []
    for i in range(16):
        key = b"sess:%d" % i
        if name == "HSET-NEW":
            out.append(req(b"DEL", key))
            out.append(req(b"HSET", key, *[x for fv in FIELDS for x in fv]))
        elif name == "HSET-UPD":
            out.append(req(b"HSET", key, b"field:02", b"value:%04d" % i))
        elif name == "HGET":
            out.append(req(b"HGET", key, b"field:03"))
        elif name == "HMGET":
            out.append(req(b"HMGET", key, b"field:01", b"field:04"))
        elif name == "HGETALL":
            out.append(req(b"HGETALL", key))
        elif name == "HINCRBY":
            out.append(req(b"HINCRBY", key, b"count:00", b"1"))
    return b"".join(out), len(out)


def run(c, data, ncmd, rounds, n):
    p = FastRequestParser()
    server = c.server
    best = 1e9
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            p.feed(data)
            out = []
            server.now_ms = server.clock_ms()
            for argv in p.get_commands():
                encode_into(out, execute(c, argv), False)
            b"".join(out)
        best = min(best, (time.perf_counter() - t) / n / ncmd * 1e6)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", help="comma-separated subset, e.g. hget,hgetall")
    a = ap.parse_args()
    c = Ember().client().client
    for i in range(16):
        execute(c, [b"HSET", b"sess:%d" % i] + [x for fv in FIELDS for x in fv])
    only = set(a.only.upper().split(",")) if a.only else None
    for name in ("HSET-NEW", "HSET-UPD", "HGET", "HMGET", "HGETALL", "HINCRBY"):
        if only and name not in only:
            continue
        data, ncmd = pipeline(name)
        us = run(c, data, ncmd, a.rounds, a.n)
        print("%-9s %.2f us/command" % (name, us))


if __name__ == "__main__":
    main()
