#!/usr/bin/env python3
"""Memory of one big collection: ember vs redis-server, from each process' RSS delta.

    python bench/collections_memory.py                     # 1,000,000 members each
    python bench/collections_memory.py -n 200000 --types zset

One key per scenario holding n members named member:%07d:
  hash   HSET h member:0000001 v1 ...   (values "v<i mod 1000>")
  set    SADD s member:0000001 ...
  zset   ZADD z <i> member:0000001 ...  (integer scores)
loaded with 1,000-member commands, 20 per pipeline.  A fresh server of each kind per
scenario (own --dir, free port, killed by pid when done).  Prints bytes/member =
(RSS after loading and a settle pause - RSS before) / n and the ember/redis ratio
(target <= 3x).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_port, start  # noqa: E402
from resp_client import Conn, RespError  # noqa: E402


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def server_pid(p):
    """compare.start may wrap the server in taskset, which execs: the pid is the server's."""
    return p.pid


def commands(kind, n, per=1000):
    for lo in range(0, n, per):
        hi = min(n, lo + per)
        if kind == "hash":
            args = [b"HSET", b"h"]
            for i in range(lo, hi):
                args += [b"member:%07d" % i, b"v%d" % (i % 1000)]
        elif kind == "set":
            args = [b"SADD", b"s"]
            for i in range(lo, hi):
                args.append(b"member:%07d" % i)
        else:
            args = [b"ZADD", b"z"]
            for i in range(lo, hi):
                args += [b"%d" % i, b"member:%07d" % i]
        yield args


CARD = {"hash": (b"HLEN", b"h"), "set": (b"SCARD", b"s"), "zset": (b"ZCARD", b"z")}


def measure(server, kind, n, cpu):
    port = free_port()
    p, d = start(server, port, cpu, [])
    try:
        c = Conn(port)
        time.sleep(0.5)
        before = rss(server_pid(p))
        t = time.time()
        batch = []
        for cmd in commands(kind, n):
            batch.append(cmd)
            if len(batch) == 20:
                for r in c.pipeline(batch):
                    if isinstance(r, RespError):
                        raise r
                batch = []
        if batch:
            c.pipeline(batch)
        secs = time.time() - t
        assert c.call(*CARD[kind]) == n, "wrong cardinality"
        time.sleep(1.0)
        after = rss(server_pid(p))
        c.close()
        return (after - before) / n, secs
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
    ap.add_argument("--types", default="hash,set,zset")
    ap.add_argument("--server-cpu", default="0")
    a = ap.parse_args()
    print("n = %d members per collection; bytes/member from the RSS delta (load time)" % a.n)
    print("%-6s %22s %22s %7s" % ("type", "redis-server", "ember", "ratio"))
    for kind in a.types.split(","):
        r = measure("redis", kind, a.n, a.server_cpu)
        e = measure("ember", kind, a.n, a.server_cpu)
        ratio = e[0] / r[0]
        print("%-6s %10.1f B (%5.1fs) %10.1f B (%5.1fs) %6.2fx%s" % (
            kind, r[0], r[1], e[0], e[1], ratio, "" if ratio <= 3 else "  ABOVE TARGET (3x)"))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
