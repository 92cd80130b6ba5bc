"""EVALSHA throughput of a small INCR+EXPIRE script: ember vs redis-server.

    python3 bench/eval_bench.py [--requests N] [--clients C] [--pipeline P]

The script is loaded with SCRIPT LOAD on each server (own free port and temp dir), then
redis-benchmark runs EVALSHA <sha> 1 key:__rand_int__ 60; prints ops/s and the ember/redis
ratio.  Not part of the test suite.
"""

import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from helpers import RawConn, ServerProcess  # noqa: E402

SCRIPT = ("local n = redis.call('incr', KEYS[1]) "
          "redis.call('expire', KEYS[1], ARGV[1]) return n")


def run(kind, n, clients, pipeline):
    with ServerProcess(kind) as srv:
        c = RawConn(srv.port)
        reply = c.call("SCRIPT", "LOAD", SCRIPT)
        sha = reply.split(b"\r\n")[1].decode()
        c.close()
        out = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-n", str(n),
                              "-c", str(clients), "-P", str(pipeline), "-r", "10000", "-q",
                              "EVALSHA", sha, "1", "key:__rand_int__", "60"],
                             capture_output=True, text=True, timeout=600).stdout
        m = re.search(r"([\d.]+) requests per second", out.replace("\r", "\n"))
        return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--pipeline", type=int, default=1)
    a = ap.parse_args()
    e = run("ember", a.requests, a.clients, a.pipeline)
    r = run("redis", a.requests, a.clients, a.pipeline)
    print("%-22s %12s %12s %8s" % ("EVALSHA incr+expire", "ember ops/s", "redis ops/s", "ratio"))
    print("%-22s %12.0f %12.0f %8.2f" % ("-P %d" % a.pipeline, e, r, e / r if r else 0.0))


if __name__ == "__main__":
    main()
