#!/usr/bin/env python3
"""Event-loop stalls while a dataset of container values grows (server/gcpolicy.py).

    python bench/gc_pause.py                       # 800,000 hashes, -c 50 -P 16, both servers
    python bench/gc_pause.py --type zset --keys 500000 --pipeline 1

For each server (redis-server, then ember; server on --server-cpu, load on --client-cpu)
redis-benchmark writes --requests commands over --keys random keys, each creating or
updating a small container value (HSET, RPUSH, SADD or ZADD), while one more connection
sends PING every 2 ms and times the reply.  Prints, per server: median, p99 and worst PING
time, how many PINGs took over 50 and over 200 ms, and the keys at the end.  Every PING waits
behind the requests already queued by the 50 loaders, so the median is the load's own
latency; stalls show as the worst and the counts above it.  Without server/gcpolicy.py,
CPython's full collections walked every value: worst PING 300-400 ms at 800,000 hashes.
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import free_port, start  # noqa: E402

COMMANDS = {
    "hash": ["hset", "h:__rand_int__", "f", "v"],
    "list": ["rpush", "l:__rand_int__", "v"],
    "set": ["sadd", "s:__rand_int__", "m"],
    "zset": ["zadd", "z:__rand_int__", "1", "m"],
}


def pinger(port, stop, out):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while not stop.is_set():
        t = time.perf_counter()
        s.sendall(b"PING\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                return
            buf += chunk
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.002)
    s.close()


def ask(port, line):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(line)
        time.sleep(0.2)
        return s.recv(65536)


def run(kind, a):
    port = free_port()
    p, d = start(kind, port, a.server_cpu, [], a.ember_python)
    try:
        stop = threading.Event()
        lat = []
        th = threading.Thread(target=pinger, args=(port, stop, lat), daemon=True)
        th.start()
        cmd = ["redis-benchmark", "-p", str(port), "-c", "50", "-P", str(a.pipeline),
               "-n", str(a.requests), "-r", str(a.keys), "-q"] + COMMANDS[a.type]
        if a.client_cpu:
            cmd = ["taskset", "-c", a.client_cpu] + cmd
        t0 = time.time()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
        took = time.time() - t0
        stop.set()
        th.join(5)
        keys = ask(port, b"DBSIZE\r\n").strip().lstrip(b":").decode()
    finally:
        p.terminate()
        p.wait(30)
    lat.sort()
    n = len(lat)
    return {"median": lat[n // 2], "p99": lat[int(n * 0.99)], "worst": lat[-1],
            "over50": sum(x > 50 for x in lat), "over200": sum(x > 200 for x in lat),
            "pings": n, "keys": keys, "seconds": took}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--type", choices=sorted(COMMANDS), default="hash")
    ap.add_argument("--keys", type=int, default=800000, help="random key space (-r)")
    ap.add_argument("--requests", type=int, default=2000000)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--ember-python", help="interpreter that runs ember (default: this one)")
    ap.add_argument("--only", choices=["redis", "ember"])
    a = ap.parse_args()
    print("%s values, %d requests over %d keys, -c 50 -P %d" % (a.type, a.requests, a.keys, a.pipeline))
    print("%-8s %9s %9s %9s %7s %8s %7s %9s %8s" % ("server", "median ms", "p99 ms", "worst ms",
                                                   ">50ms", ">200ms", "pings", "keys", "seconds"))
    for kind in ("redis", "ember"):
        if a.only and kind != a.only:
            continue
        r = run(kind, a)
        print("%-8s %9.1f %9.1f %9.1f %7d %8d %7d %9s %8.1f" % (
            kind, r["median"], r["p99"], r["worst"], r["over50"], r["over200"], r["pings"], r["keys"],
            r["seconds"]))


if __name__ == "__main__":
    main()
