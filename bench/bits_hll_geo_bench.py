#!/usr/bin/env python3
"""redis-benchmark (arbitrary-command mode) of bitmap, HyperLogLog and geo commands on
ember and on redis-server (both running, each case on redis then on ember); prints
requests/s and the ember/redis ratio.

    python bench/bits_hll_geo_bench.py              # -n 20000 -c 20 -P 1
    python bench/bits_hll_geo_bench.py -n 50000 -P 16
    python bench/bits_hll_geo_bench.py --only GEOSEARCH,BITCOUNT   # cases whose name starts so

Data set up before the runs: a dense HLL "hd" (20000 elements), a 64 KB bitmap "bm", and a
geo set "geo" of 5000 points around (13, 38).  Not part of the test suite.
"""

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from helpers import RawConn  # noqa: E402

CASES = [
    ("PFADD", ["PFADD", "h", "__rand_int__"]),
    ("PFADD dense", ["PFADD", "hd", "__rand_int__"]),
    ("PFCOUNT dense", ["PFCOUNT", "hd"]),
    ("SETBIT", ["SETBIT", "b:__rand_int__", "1000", "1"]),
    ("GETBIT", ["GETBIT", "bm", "4242"]),
    ("BITCOUNT 64KB", ["BITCOUNT", "bm"]),
    ("GEOSEARCH 50km", ["GEOSEARCH", "geo", "FROMLONLAT", "13", "38", "BYRADIUS", "50", "km",
                        "ASC", "COUNT", "10"]),
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_up(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server on %d did not start" % port)


def start(kind, port):
    d = tempfile.mkdtemp(prefix="bench-")
    cmd = [shutil.which("redis-server")] if kind == "redis" else [sys.executable, "-m", "ember"]
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", d]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=d)
    wait_up(port)
    return p, d


def populate(port):
    c = RawConn(port)
    c.call("FLUSHALL")
    for i in range(0, 20000, 1000):
        c.call("PFADD", "hd", *[b"e%d" % j for j in range(i, i + 1000)])
    c.call("SET", "bm", bytes(random.Random(1).randrange(256) for _ in range(65536)))
    rng = random.Random(2)
    for i in range(0, 5000, 500):
        args = []
        for j in range(i, i + 500):
            args += ["%.6f" % (13 + rng.uniform(-2, 2)), "%.6f" % (38 + rng.uniform(-2, 2)), "m%d" % j]
        c.call("GEOADD", "geo", *args)
    c.close()


def bench(port, argv, n, clients, pipeline):
    cmd = ["redis-benchmark", "-p", str(port), "-n", str(n), "-c", str(clients), "-P", str(pipeline),
           "-r", "1000000", "-q", "--csv"] + argv
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split('","')]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                return float(parts[1])
            except ValueError:
                pass
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("-c", type=int, default=20)
    ap.add_argument("-P", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated case-name prefixes")
    a = ap.parse_args()
    cases = CASES
    if a.only:
        prefixes = [p.strip().upper() for p in a.only.split(",") if p.strip()]
        cases = [cs for cs in CASES if any(cs[0].upper().startswith(p) for p in prefixes)]
    results = {}
    # Both servers up at once, each case run on redis-server then right after on ember, so
    # that a load change on a shared machine skews one case's pair, not every ratio.
    servers = {}
    try:
        for kind in ("redis", "ember"):
            port = free_port()
            servers[kind] = (port,) + start(kind, port)
            populate(port)
        for name, argv in cases:
            for kind in ("redis", "ember"):
                results[(kind, name)] = bench(servers[kind][0], argv, a.n, a.c, a.P)
    finally:
        for port, proc, d in servers.values():
            proc.terminate()
            proc.wait(10)
            shutil.rmtree(d, ignore_errors=True)
    print("%-16s %12s %12s %8s" % ("command", "redis rps", "ember rps", "ratio"))
    for name, _ in cases:
        r, e = results[("redis", name)], results[("ember", name)]
        print("%-16s %12.0f %12.0f %8.3f" % (name, r, e, e / r if r else float("nan")))


if __name__ == "__main__":
    main()
