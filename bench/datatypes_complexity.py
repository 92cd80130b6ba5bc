"""Time per operation of ember's zset and list structures as N grows 10^3 .. 10^6.

    python3 bench/datatypes_complexity.py [--max 1000000] [--memory]

Flat (O(1)) or slowly growing (O(log N)) columns are what we want; a column that grows
10x per row would be O(N).  --memory also reports tracemalloc bytes per zset member.
"""

import argparse
import os
import random
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))

from ember.datatypes.zset import ZSet  # noqa: E402
from ember.datatypes.quicklist import QuickList  # noqa: E402

OPS = 20000


def per_op(fn, ops=OPS):
    t = time.perf_counter()
    fn(ops)
    return (time.perf_counter() - t) / ops * 1e9


def members(n):
    return [b"member:%d" % i for i in range(n)]


def bench_zset(n, rng):
    z = ZSet((m, rng.random() * n) for m in members(n))
    probe = [b"member:%d" % rng.randrange(n) for _ in range(OPS)]
    new = [b"new:%d" % i for i in range(OPS)]
    res = {}

    def add(k):
        for i in range(k):
            z.add(new[i], rng.random() * n)
    res["zadd"] = per_op(add)

    def rank(k):
        for i in range(k):
            z.rank(probe[i])
    res["zrank"] = per_op(rank)

    def by_score(k):
        for _ in range(k):
            lo = rng.random() * n
            z.range_by_score(lo, lo + 10 * n, offset=0, count=10)
    res["zrangebyscore(10)"] = per_op(by_score)

    def by_rank(k):
        for _ in range(k):
            a = rng.randrange(len(z))
            z.range_by_rank(a, a + 9)
    res["zrange(10)"] = per_op(by_rank)

    def count(k):
        for _ in range(k):
            lo = rng.random() * n
            z.count_by_score(lo, lo + n / 2)
    res["zcount"] = per_op(count)

    def rnd(k):
        for _ in range(k):
            z.random_member()
    res["zrandmember"] = per_op(rnd)
    return res


def bench_list(n):
    q = QuickList(members(n))
    res = {}
    vals = [b"v%d" % i for i in range(OPS)]

    def push(k):
        lp, rp = q.lpush, q.rpush
        for i in range(0, k, 2):
            lp((vals[i],))
            rp((vals[i + 1],))
    res["push"] = per_op(push)

    def pop(k):
        lp, rp = q.lpop, q.rpop
        for _ in range(0, k, 2):
            lp()
            rp()
    res["pop"] = per_op(pop)

    def ends(k):
        li = q.lindex
        for _ in range(0, k, 2):
            li(0)
            li(-1)
    res["lindex ends"] = per_op(ends)

    def mid(k):
        li = q.lindex
        h = len(q) // 2
        for _ in range(k):
            li(h)
    res["lindex middle"] = per_op(mid, 2000)
    return res


def memory(n):
    ms = members(n)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    z = ZSet()
    for i, m in enumerate(ms):
        z.add(m, float(i) + 0.5)
    zs = tracemalloc.get_traced_memory()[0] - base
    del z
    d = {}
    base = tracemalloc.get_traced_memory()[0]
    for i, m in enumerate(ms):
        d[m] = float(i) + 0.5
    ds = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"\nmemory, {n:,} members (member bytes excluded, shared with the caller):")
    print(f"  ZSet          {zs / n:6.1f} bytes/member")
    print(f"  dict alone    {ds / n:6.1f} bytes/member  (member -> float)")
    print(f"  index part    {(zs - ds) / n:6.1f} bytes/member  "
          f"((score, member) tuple 56 B + list slot 8 B + SortedList index)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=1_000_000)
    ap.add_argument("--memory", action="store_true")
    a = ap.parse_args()
    rng = random.Random(1)
    sizes = [n for n in (10**3, 10**4, 10**5, 10**6) if n <= a.max]
    rows = [(n, bench_zset(n, rng), bench_list(n)) for n in sizes]
    zcols = list(rows[0][1])
    lcols = list(rows[0][2])
    print("ns per operation")
    print(f"{'N':>9} " + " ".join(f"{c:>17}" for c in zcols))
    for n, z, _ in rows:
        print(f"{n:>9} " + " ".join(f"{z[c]:>17.0f}" for c in zcols))
    print()
    print(f"{'N':>9} " + " ".join(f"{c:>14}" for c in lcols))
    for n, _, l in rows:
        print(f"{n:>9} " + " ".join(f"{l[c]:>14.0f}" for c in lcols))
    if a.memory:
        memory(sizes[-1])


if __name__ == "__main__":
    main()
