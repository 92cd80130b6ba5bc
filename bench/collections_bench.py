#!/usr/bin/env python3
"""Side-by-side redis-benchmark of ember and redis-server on the collection commands.

    python bench/collections_bench.py                        # -c 50, -P 1 and -P 16
    python bench/collections_bench.py -P 1 -n 50000 --markdown collections.md
    python bench/collections_bench.py --only zadd,bzpopmin

Workloads (redis-benchmark's built-in tests, then its arbitrary-command mode, -r 100000):
  LPUSH, RPOP, LRANGE_100, SADD, SPOP, HSET          -t lpush,rpop,lrange_100,sadd,spop,hset
  ZADD       ZADD myzset __rand_int__ member:__rand_int__
  ZRANGE     ZRANGE zfill 5000 5009 WITHSCORES       (zfill pre-filled with 10,000 members)
  ZPOPMIN    ZPOPMIN zpop                            (zpop pre-filled with enough members
  BZPOPMIN   BZPOPMIN zpop 0                          that neither ever finds it empty)

One server at a time: the server on --server-cpu, redis-benchmark on --client-cpu (taskset).
Prints requests/s, the ember/redis ratio and the geometric mean per pipeline depth; targets
are ratio >= 0.5 at -P 1 and >= 0.25 at -P 16.  The machine is shared: run it more than once.
The same workloads in-process, for repeatable instruction counts: bench/micro_collections.py.
"""

import argparse
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_port, start  # noqa: E402
from resp_client import Conn  # noqa: E402

BUILTIN = "lpush,rpop,lrange_100,sadd,spop,hset"
ZFILL = 10_000
ARBITRARY = [
    ("ZADD", ["ZADD", "myzset", "__rand_int__", "member:__rand_int__"]),
    ("ZRANGE", ["ZRANGE", "zfill", "5000", "5009", "WITHSCORES"]),
    ("ZPOPMIN", ["ZPOPMIN", "zpop"]),
    ("BZPOPMIN", ["BZPOPMIN", "zpop", "0"]),
]
TARGET = {1: 0.5, 16: 0.25}


def prefill(port, pops):
    c = Conn(port)
    try:
        batch = []
        for key, count in (("zfill", ZFILL), ("zpop", pops)):
            for lo in range(0, count, 1000):
                args = ["ZADD", key]
                for i in range(lo, min(count, lo + 1000)):
                    args += [str(i), "member:%07d" % i]
                batch.append(args)
                if len(batch) == 50:
                    c.pipeline(batch)
                    batch = []
        if batch:
            c.pipeline(batch)
        assert c.call("ZCARD", "zpop") == pops, "prefill failed"
    finally:
        c.close()


def bench(port, args, clients, depth, n, cpu):
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(depth), "-n", str(n),
           "-r", "100000", "-q", "--csv"] + args
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", cpu] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    res = {}
    for line in out.stdout.splitlines():
        parts = [p.strip('"') for p in line.split('","')]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                res[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return res


def run_server(kind, a, depth, n, names):
    port = free_port()
    p, d = start(kind, port, a.server_cpu, a.ember_arg if kind == "ember" else [])
    res = {}
    try:
        builtin = [t for t in BUILTIN.split(",") if t in names]
        if builtin:
            for test, rps in bench(port, ["-t", ",".join(builtin)], a.c, depth, n, a.client_cpu).items():
                if "needed" not in test:          # skip the LPUSH that fills the LRANGE list
                    res[test.split(" ")[0]] = rps
        arb = [(name, args) for name, args in ARBITRARY if name.lower() in names]
        if any(name in ("ZRANGE", "ZPOPMIN", "BZPOPMIN") for name, _ in arb):
            prefill(port, 2 * n + 1000)
        for name, args in arb:
            r = bench(port, args, a.c, depth, n, a.client_cpu)
            res[name] = next(iter(r.values()), 0.0)
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-P", default="1,16", help="comma-separated pipeline depths")
    ap.add_argument("-n", type=int, default=100000, help="requests per test at -P 1 (x4 when pipelined)")
    ap.add_argument("--only", default="", help="comma-separated subset, e.g. zadd,lrange_100")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--ember-arg", action="append", default=[])
    ap.add_argument("--markdown")
    a = ap.parse_args()
    order = ["lpush", "rpop", "lrange_100", "sadd", "spop", "hset", "zadd", "zrange", "zpopmin", "bzpopmin"]
    names = set(a.only.lower().split(",")) if a.only else set(order)
    rows = []
    for depth in [int(x) for x in a.P.split(",")]:
        n = a.n * (4 if depth > 1 else 1)
        results = {kind: run_server(kind, a, depth, n, names) for kind in ("redis", "ember")}
        target = TARGET.get(depth, 0.25)
        print("\n-c %d -P %d -n %d   (target ratio >= %.2f)" % (a.c, depth, n, target))
        print("%-12s %12s %12s %7s" % ("test", "redis rps", "ember rps", "ratio"))
        ratios = []
        for name in order:
            key = name.upper()
            if name not in names or key not in results["redis"]:
                continue
            rv, ev = results["redis"][key], results["ember"].get(key, 0.0)
            r = ev / rv if rv else 0.0
            ratios.append(max(r, 1e-9))
            rows.append((key, depth, rv, ev, r, r >= target))
            print("%-12s %12.0f %12.0f %7.2f%s" % (key, rv, ev, r, "" if r >= target else "  BELOW TARGET"))
        if ratios:
            g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            print("geometric mean ratio (-P %d): %.2f" % (depth, g))
        sys.stdout.flush()
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| command | pipeline | redis-server rps | ember rps | ember/redis | target met |\n")
            f.write("|---|---|---|---|---|---|\n")
            for key, depth, rv, ev, r, ok in rows:
                f.write("| %s | %d | %.0f | %.0f | %.2f | %s |\n" % (key, depth, rv, ev, r, "yes" if ok else "no"))


if __name__ == "__main__":
    main()
