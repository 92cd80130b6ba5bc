"""SET throughput with the AOF on: ember vs redis-server, appendfsync everysec and always.

    python3 bench/aof_bench.py [--requests N] [--clients C] [--pipeline P]

Uses redis-benchmark against each server (own free port and temp dir); prints ops/s and the
ember/redis ratio.  Not part of the test suite.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from helpers import ServerProcess  # noqa: E402


def run(kind, fsync, n, clients, pipeline):
    d = tempfile.mkdtemp(prefix="ember-aofbench-")
    srv = ServerProcess(kind, args=["--appendonly", "yes", "--appendfsync", fsync], dir=d).start()
    try:
        out = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-t", "set", "-n", str(n),
                              "-c", str(clients), "-P", str(pipeline), "-r", "100000", "-q"],
                             capture_output=True, text=True, timeout=600).stdout
        m = re.search(r"([\d.]+) requests per second", out.replace("\r", "\n"))
        return float(m.group(1)) if m else 0.0
    finally:
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--pipeline", type=int, default=1)
    a = ap.parse_args()
    print("%-10s %12s %12s %8s" % ("appendfsync", "ember ops/s", "redis ops/s", "ratio"))
    for fsync in ("everysec", "always"):
        n = a.requests if fsync == "everysec" else max(a.requests // 10, 1000)
        e = run("ember", fsync, n, a.clients, a.pipeline)
        r = run("redis", fsync, n, a.clients, a.pipeline)
        print("%-10s %12.0f %12.0f %8.2f" % (fsync, e, r, e / r if r else 0.0))


if __name__ == "__main__":
    main()
