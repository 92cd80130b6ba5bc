#!/usr/bin/env python3
"""Memory per key: ember vs redis-server, from each process' RSS delta.

    python bench/memory_per_key.py                 # 1,000,000 keys per scenario
    python bench/memory_per_key.py -n 200000 --scenarios strings,hashes

Scenarios (a fresh server of each kind per scenario, own --dir, killed when done):
  strings      16-byte keys, 100-byte values
  strings-ttl  the same with EX 100000 on every key
  hashes       16-byte keys, hashes of 5 fields (8-byte fields, 10-byte values)
Prints bytes/key = (RSS after writing and a settle pause - RSS before) / n for each server,
the ember/redis RSS ratio, redis-server's used_memory delta per key (its allocator's count of
the dataset, what issue #8's "at most 2x redis-server's used memory" compares with) and
ember's RSS per key against it.  (ember's own used_memory is its RSS unless maxmemory is set.)
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eviction_hitratio import free_port, start  # noqa: E402


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def commands(scenario, n):
    value = b"x" * 100
    for i in range(n):
        key = b"key:%012d" % i
        if scenario == "strings":
            yield (b"SET", key, value)
        elif scenario == "strings-ttl":
            yield (b"SET", key, value, b"EX", b"100000")
        else:
            yield (b"HSET", key, b"field:01", b"value:%05d" % 1, b"field:02", b"value:%05d" % 2,
                   b"field:03", b"value:%05d" % 3, b"field:04", b"value:%05d" % 4,
                   b"field:05", b"value:%05d" % 5)


def measure(kind, scenario, n, batch=1000):
    d = tempfile.mkdtemp(prefix="memkey-%s-" % kind)
    port = free_port()
    p, c = start(kind, port, d)
    try:
        time.sleep(0.5)
        used0 = int(c.info("memory")["used_memory"])
        before = rss(p.pid)
        t = time.time()
        pending = []
        for cmd in commands(scenario, n):
            pending.append(cmd)
            if len(pending) == batch:
                c.pipeline(pending)
                pending = []
        if pending:
            c.pipeline(pending)
        secs = time.time() - t
        assert int(c.call("DBSIZE")) == n
        time.sleep(1.0)
        after = rss(p.pid)
        used = int(c.info("memory")["used_memory"]) - used0
        return (after - before) / n, secs, used / n
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--scenarios", default="strings,strings-ttl,hashes")
    ap.add_argument("--servers", default="redis,ember")
    args = ap.parse_args()
    kinds = args.servers.split(",")
    print("n = %d keys per scenario; bytes/key from the RSS delta" % args.n)
    both = "redis" in kinds and "ember" in kinds
    print("%-12s %s%s" % ("scenario", "  ".join("%14s" % k for k in kinds),
                          "  RSS ratio  redis used_memory/key  ember RSS / redis used" if both else ""))
    for sc in args.scenarios.split(","):
        res = {k: measure(k, sc, args.n) for k in kinds}
        extra = ""
        if both:
            e, r = res["ember"][0], res["redis"]
            extra = "  %8.2fx  %20.0f  %21.2fx" % (e / r[0], r[2], e / r[2])
        print("%-12s %s%s" % (sc, "  ".join("%8.0f (%3.0fs)" % res[k][:2] for k in kinds), extra))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
