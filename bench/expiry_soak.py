#!/usr/bin/env python3
"""Active-expiry soak: load N keys (default 1,000,000) that all expire within 10 s, never
read them, and watch RSS and PING latency for a minute.

    python bench/expiry_soak.py [--keys 1000000] [--seconds 60]

Prints RSS (MB) before loading, after loading and every 5 s, the number of keys left, and the
worst PING round-trip seen.  The foundation issue's target: memory back near the baseline
within a minute and PING under 10 ms throughout.
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from helpers import ServerProcess, RawConn, encode_command  # noqa: E402


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--server", default="ember", choices=["ember", "redis"])
    a = ap.parse_args()
    with ServerProcess(a.server) as s:
        pid = s.proc.pid
        conn = RawConn(s.port, timeout=120)
        base = rss_mb(pid)
        print("baseline RSS %.1f MB" % base)
        batch = 10000
        t0 = time.time()
        for start in range(0, a.keys, batch):
            req = b"".join(encode_command("SET", "key:%010d" % i, "x" * 20, "PX", str(random.randint(1000, 10000)))
                           for i in range(start, min(a.keys, start + batch)))
            conn.send(req)
            for _ in range(min(batch, a.keys - start)):
                conn.read_reply()
        print("loaded %d keys in %.1f s, RSS %.1f MB" % (a.keys, time.time() - t0, rss_mb(pid)))
        ping = RawConn(s.port)
        # the server's own view of its stalls (LATENCY LATEST at the end): which event,
        # if any, took 5 ms or more while the keys expired
        ping.call("CONFIG", "SET", "latency-monitor-threshold", "5")
        worst = 0.0
        t_start = time.time()
        next_report = t_start
        while time.time() - t_start < a.seconds:
            t = time.perf_counter()
            ping.call("PING")
            worst = max(worst, time.perf_counter() - t)
            if time.time() >= next_report:
                dbsize = int(ping.call("DBSIZE")[1:-2])
                print("t=%4.0fs keys=%8d RSS %.1f MB worst PING so far %.1f ms"
                      % (time.time() - t_start, dbsize, rss_mb(pid), worst * 1000))
                next_report += 5
            time.sleep(0.02)
        print("final RSS %.1f MB (baseline %.1f MB), worst PING %.1f ms" % (rss_mb(pid), base, worst * 1000))
        print("LATENCY LATEST (event, time, latest ms, max ms):", ping.call("LATENCY", "LATEST"))


if __name__ == "__main__":
    main()
