#!/usr/bin/env python3
"""Time per operation of collection commands through a live server as N grows 10^3 .. 10^6.

    python bench/complexity.py                     # ember only
    python bench/complexity.py --servers ember,redis --max 100000

For each N a zset, a list, a set and a hash of N members (member:%07d) are loaded with pipelined
commands, then each operation is sent OPS times in pipelines of 1,000 and timed end to end
and reported twice: the server's own time per call (INFO commandstats usec_per_call) and the
end-to-end time per call (network and this Python client's parsing included).
A flat column is O(1), a slowly growing one O(log N); a column that grows ~10x per row is O(N).
"lindex mid" is O(N) in Redis as well and is there as a yardstick.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_port, start  # noqa: E402
from resp_client import Conn, RespError  # noqa: E402

OPS = 10000
PIPE = 1000


def server_usec(c):
    """Total usec and calls of the data commands from INFO commandstats."""
    usec = calls = 0
    for line in c.call("INFO", "commandstats").decode().split("\r\n"):
        if line.startswith("cmdstat_") and not line.startswith(("cmdstat_info", "cmdstat_config")):
            f = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            usec += int(f["usec"])
            calls += int(f["calls"])
    return usec, calls


def run(c, cmds):
    """(server us per call from INFO commandstats, end-to-end wall us per call)."""
    c.call("CONFIG", "RESETSTAT")
    t = time.perf_counter()
    for i in range(0, len(cmds), PIPE):
        for r in c.pipeline(cmds[i:i + PIPE]):
            if isinstance(r, RespError):
                raise r
    wall = (time.perf_counter() - t) / len(cmds) * 1e6
    usec, calls = server_usec(c)
    return usec / max(1, calls), wall


def load(c, n):
    c.call("FLUSHALL")
    batch = []
    for lo in range(0, n, 1000):
        hi = min(n, lo + 1000)
        ms = [b"member:%07d" % i for i in range(lo, hi)]
        z = [b"ZADD", b"z"]
        for i, m in zip(range(lo, hi), ms):
            z += [b"%d" % i, m]
        h = [b"HSET", b"h"]
        for m in ms:
            h += [m, b"v"]
        batch += [z, [b"RPUSH", b"l"] + ms, [b"SADD", b"s"] + ms, h]
        if len(batch) >= 60:
            c.pipeline(batch)
            batch = []
    if batch:
        c.pipeline(batch)
    assert c.call("ZCARD", "z") == n and c.call("LLEN", "l") == n and c.call("SCARD", "s") == n
    assert c.call("HLEN", "h") == n


def measure(c, n, rng):
    load(c, n)
    res = {}
    mem = lambda: b"member:%07d" % rng.randrange(n)  # noqa: E731
    res["zadd"] = run(c, [(b"ZADD", b"z", b"%d" % rng.randrange(n), b"new:%d" % i) for i in range(OPS)])
    res["zrank"] = run(c, [(b"ZRANK", b"z", mem()) for _ in range(OPS)])
    res["zrange rank"] = run(c, [(b"ZRANGE", b"z", b"%d" % r, b"%d" % (r + 9))
                                 for r in (rng.randrange(n) for _ in range(OPS))])
    res["zrange score"] = run(c, [(b"ZRANGE", b"z", b"%d" % rng.randrange(n), b"+inf", b"BYSCORE",
                                   b"LIMIT", b"0", b"10") for _ in range(OPS)])
    res["lindex ends"] = run(c, [(b"LINDEX", b"l", b"0" if i & 1 else b"-1") for i in range(OPS)])
    res["lpush+rpop"] = run(c, [(b"LPUSH", b"l", b"x") if i & 1 else (b"RPOP", b"l") for i in range(OPS)])
    res["lindex mid"] = run(c, [(b"LINDEX", b"l", b"%d" % (n // 2))] * (OPS // 10))
    res["srandmember"] = run(c, [(b"SRANDMEMBER", b"s")] * OPS)
    res["srandmem 5"] = run(c, [(b"SRANDMEMBER", b"s", b"5")] * OPS)
    res["zrandmember"] = run(c, [(b"ZRANDMEMBER", b"z")] * OPS)
    res["hrandfield"] = run(c, [(b"HRANDFIELD", b"h")] * OPS)
    res["hrandf 5"] = run(c, [(b"HRANDFIELD", b"h", b"5", b"WITHVALUES")] * OPS)
    res["hrandf -5"] = run(c, [(b"HRANDFIELD", b"h", b"-5")] * OPS)
    # deletes leave stale entries in ember's sampler: picks must stay O(1) expected
    res["hdel+hrandf"] = run(c, [(b"HDEL", b"h", mem()) if i & 1 else (b"HRANDFIELD", b"h")
                                 for i in range(OPS)])
    res["spop"] = run(c, [(b"SPOP", b"s")] * min(OPS, n // 2))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--max", type=int, default=1_000_000)
    ap.add_argument("--servers", default="ember")
    ap.add_argument("--server-cpu", default="0")
    a = ap.parse_args()
    sizes = [n for n in (10**3, 10**4, 10**5, 10**6) if n <= a.max]
    for kind in a.servers.split(","):
        port = free_port()
        p, d = start(kind, port, a.server_cpu, [])
        try:
            c = Conn(port)
            rows = [(n, measure(c, n, random.Random(n))) for n in sizes]
            c.close()
        finally:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
            shutil.rmtree(d, ignore_errors=True)
        cols = list(rows[0][1])
        for which, title in ((0, "server us per call (INFO commandstats)"),
                             (1, "end-to-end us per call (client included)")):
            print("\n%s: %s, pipelines of %d" % (kind, title, PIPE))
            print("%9s " % "N" + " ".join("%12s" % k for k in cols))
            for n, r in rows:
                print("%9d " % n + " ".join("%12.2f" % r[k][which] for k in cols))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
