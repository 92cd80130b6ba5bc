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

Both servers run at once, pinned to --server-cpu, redis-benchmark on --client-cpu (taskset);
each test runs on one server and then at once on the other (the first alternating per round),
for --rounds rounds, so that load from other processes hits both alike.  Prints, per test,
the median requests/s of each, the median of the per-round ember/redis ratios (each round's
ratio too), and the ratio of server CPU time per request (redis/ember, from /proc: less
sensitive to a busy machine than requests/s), and the geometric mean per pipeline depth;
targets are ratio >= 0.5 at -P 1 and >= 0.25 at -P 16.
The same workloads in-process, for repeatable instruction counts: bench/micro_collections.py
(handlers) and bench/micro_request.py c_<test> (the whole request path, sockets excepted).
"""

import argparse
import math
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import cpu_seconds, free_port, start  # noqa: E402
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


ORDER = ["lpush", "rpop", "lrange_100", "sadd", "spop", "hset", "zadd", "zrange", "zpopmin", "bzpopmin"]


def one_test(port, name, clients, depth, n, cpu):
    """requests/s of one workload (the LPUSH that fills LRANGE's list is not counted)."""
    if name.upper() in dict(ARBITRARY):
        r = bench(port, dict(ARBITRARY)[name.upper()], clients, depth, n, cpu)
        return next(iter(r.values()), 0.0)
    for test, rps in bench(port, ["-t", name], clients, depth, n, cpu).items():
        if "needed" not in test:
            return rps
    return 0.0


def run_depth(a, depth, n, names):
    """Both servers up at once; every test on each, back to back, for a.rounds rounds.
    Returns {server: {test: [rps per round]}}, {server: {test: cpu seconds per request}}."""
    kinds = ("redis", "ember")
    procs = {}
    rps = {k: {} for k in kinds}
    cpu = {k: {} for k in kinds}
    try:
        for kind in kinds:
            port = free_port()
            procs[kind] = (port,) + start(kind, port, a.server_cpu, a.ember_arg if kind == "ember" else [])
        if any(x in names for x in ("zrange", "zpopmin", "bzpopmin")):
            for kind in kinds:
                prefill(procs[kind][0], 2 * n * a.rounds + 1000)
        for r in range(a.rounds):
            for name in [x for x in ORDER if x in names]:
                for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                    port, p, _ = procs[kind]
                    c0 = cpu_seconds(p.pid)
                    v = one_test(port, name, a.c, depth, n, a.client_cpu)
                    rps[kind].setdefault(name, []).append(v)
                    cpu[kind].setdefault(name, []).append((cpu_seconds(p.pid) - c0) / n)
    finally:
        for port, p, d in procs.values():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
            shutil.rmtree(d, ignore_errors=True)
    return rps, cpu


def median(xs):
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-P", default="1,16", help="comma-separated pipeline depths")
    ap.add_argument("-n", type=int, default=100000, help="requests per test at -P 1 (x4 when pipelined)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated subset, e.g. zadd,lrange_100")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--ember-arg", action="append", default=[])
    ap.add_argument("--markdown")
    a = ap.parse_args()
    names = set(a.only.lower().split(",")) if a.only else set(ORDER)
    rows = []
    for depth in [int(x) for x in a.P.split(",")]:
        n = a.n * (4 if depth > 1 else 1)
        rps, cpu = run_depth(a, depth, n, names)
        target = TARGET.get(depth, 0.25)
        print("\n-c %d -P %d -n %d, %d rounds   (target ratio >= %.2f)" % (a.c, depth, n, a.rounds, target))
        print("%-11s %10s %10s %6s %-20s %9s" % ("test", "redis rps", "ember rps", "ratio",
                                                  " (per round)", "cpu ratio"))
        ratios = []
        for name in ORDER:
            if name not in rps["redis"]:
                continue
            rr, er = rps["redis"][name], rps["ember"][name]
            per = [e / r if r else 0.0 for r, e in zip(rr, er)]
            ratio = median(per)
            ce = median(cpu["ember"][name])
            cpu_ratio = median(cpu["redis"][name]) / ce if ce else 0.0
            ratios.append(max(ratio, 1e-9))
            rows.append((name.upper(), depth, median(rr), median(er), ratio, cpu_ratio, ratio >= target))
            print("%-11s %10.0f %10.0f %6.2f %-20s %9.2f%s" % (
                name.upper(), median(rr), median(er), ratio, " (" + " ".join("%.2f" % x for x in per) + ")",
                cpu_ratio, "" if ratio >= target else "  BELOW TARGET"))
        if ratios:
            g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            print("geometric mean ratio (-P %d): %.2f" % (depth, g))
        sys.stdout.flush()
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| command | pipeline | redis-server rps | ember rps | ember/redis | cpu/request redis/ember | target met |\n")
            f.write("|---|---|---|---|---|---|---|\n")
            for key, depth, rv, ev, r, cr, ok in rows:
                f.write("| %s | %d | %.0f | %.0f | %.2f | %.2f | %s |\n" % (key, depth, rv, ev, r, cr, "yes" if ok else "no"))


if __name__ == "__main__":
    main()
