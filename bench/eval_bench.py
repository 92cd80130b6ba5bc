"""EVALSHA / FCALL throughput of a small INCR+EXPIRE script: ember vs redis-server.

    python3 bench/eval_bench.py [--requests N] [--clients C] [--pipeline P] [--rounds R]
                                [--fcall]

Each round starts redis-server then ember (own free port and temp dir, pinned with taskset
to --server-cpu, redis-benchmark to --client-cpu, as bench/compare.py does), loads the
script with SCRIPT LOAD (or the same code as a library with FUNCTION LOAD for --fcall) and
runs ``EVALSHA <sha> 1 key:__rand_int__ 60`` (``FCALL incrx 1 key:__rand_int__ 60``).
Prints, per round, requests/s of both, the ember/redis ratio and each server's CPU time per
request; then the median ratio.  The machine is shared and noisy: quote the ratios of one
run, never absolute numbers.  Not part of the test suite.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import cpu_seconds, free_port, start  # noqa: E402

BODY = ("local n = redis.call('incr', KEYS[1]) "
        "redis.call('expire', KEYS[1], ARGV[1]) return n")
LIBRARY = ("#!lua name=evalbench\n"
           "redis.register_function('incrx', function(KEYS, ARGV) %s end)" % BODY)


def command(port, *args):
    """One command over a fresh connection; returns the raw reply bytes."""
    req = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(req)
        data = b""
        while not data.endswith(b"\r\n") or data.startswith(b"$") and data.count(b"\r\n") < 2:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def run(kind, a):
    port = free_port()
    p, d = start(kind, port, a.server_cpu, [])
    try:
        if a.fcall:
            command(port, "FUNCTION", "LOAD", "REPLACE", LIBRARY)
            call = ["FCALL", "incrx"]
        else:
            sha = command(port, "SCRIPT", "LOAD", BODY).split(b"\r\n")[1].decode()
            call = ["EVALSHA", sha]
        cmd = ["redis-benchmark", "-p", str(port), "-n", str(a.requests), "-c", str(a.clients),
               "-P", str(a.pipeline), "-r", "10000", "-q"] + call + ["1", "key:__rand_int__", "60"]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", a.client_cpu] + cmd
        c0 = cpu_seconds(p.pid)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
        cpu = cpu_seconds(p.pid) - c0
    finally:
        p.terminate()
        p.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    m = re.search(r"([\d.]+) requests per second", out.replace("\r", "\n"))
    return (float(m.group(1)) if m else 0.0), cpu / a.requests * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=50000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--pipeline", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fcall", action="store_true", help="FCALL of a library function")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    a = ap.parse_args()
    what = "FCALL" if a.fcall else "EVALSHA"
    print("%s incr+expire -P %d -c %d -n %d" % (what, a.pipeline, a.clients, a.requests))
    print("%5s %12s %12s %8s %14s %14s" % ("round", "redis rps", "ember rps", "ratio",
                                           "redis us/req", "ember us/req"))
    ratios = []
    for i in range(a.rounds):
        r, rcpu = run("redis", a)
        e, ecpu = run("ember", a)
        ratio = e / r if r else 0.0
        ratios.append(ratio)
        print("%5d %12.0f %12.0f %8.2f %14.1f %14.1f" % (i + 1, r, e, ratio, rcpu, ecpu))
    print("median ratio %.2f" % statistics.median(ratios))


if __name__ == "__main__":
    main()
