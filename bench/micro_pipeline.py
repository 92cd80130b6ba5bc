#!/usr/bin/env python3
"""In-process micro-benchmark of the request path without sockets: parse a 16-command
pipeline, dispatch every command, encode the replies and join them, as the network layer
does.  Prints microseconds per command for GET, SET and INCR (best of several rounds).

    python bench/micro_pipeline.py
    valgrind --tool=callgrind python bench/micro_pipeline.py --n 300 --rounds 1 --only get
        (instruction counts: repeatable on a busy machine; compare against --n 0)
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from ember.commands.dispatch import execute  # noqa: E402
from ember.embedded import Ember  # noqa: E402
from ember.protocol.encoder import encode_into  # noqa: E402
from ember.protocol.parser import FastRequestParser  # noqa: E402


def req(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def run(c, data, rounds=5, n=3000):
    p = FastRequestParser()
    best = 1e9
    server = c.server
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            p.feed(data)
            out = []
            server.now_ms = server.clock_ms()
            for argv in p.get_commands():
                encode_into(out, execute(c, argv), False)
            b"".join(out)
        best = min(best, (time.perf_counter() - t) / n / 16 * 1e6)
    return best


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only")
    a = ap.parse_args()
    c = Ember().client().client
    key = b"key:000000000001"
    execute(c, [b"SET", key, b"x" * 3])
    for name, data in (("GET", req(b"GET", key) * 16), ("SET", req(b"SET", key, b"xxx") * 16),
                       ("INCR", req(b"INCR", b"counter") * 16)):
        if a.only and a.only.upper() != name:
            continue
        print("%-5s %.2f us/command" % (name, run(c, data, a.rounds, a.n)))


if __name__ == "__main__":
    main()
