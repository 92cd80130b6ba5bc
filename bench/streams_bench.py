#!/usr/bin/env python3
"""Stream commands side by side: ember vs redis-server, with redis-benchmark's
arbitrary-command mode (``redis-benchmark -p P -n N -c 50 XADD s '*' f v``).

    python bench/streams_bench.py             # XADD, XRANGE (COUNT 10), XREADGROUP (COUNT 10)
    python bench/streams_bench.py -n 20000 -c 20 -P 1

Both servers run at once (free ports, temporary dirs) and every step runs on redis-server
then on ember, so that load drift on a shared machine skews one pair; the stream is pre-filled
(XADD through redis-benchmark) before the read benchmarks, and XREADGROUP reads history
(ID 0, so every call returns COUNT entries of the consumer's PEL).  Prints requests/s and
the ember/redis ratio.  Not part of the test suite; machines are noisy: quote ratios.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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
    d = tempfile.mkdtemp(prefix="streams-bench-")
    if kind == "redis":
        cmd = [shutil.which("redis-server")]
    else:
        cmd = [sys.executable, "-m", "ember"]
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "no"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d, env=env)
    wait_up(port)
    return p, d


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), capture_output=True,
                          text=True).stdout


def bench(port, n, clients, args, pipeline=1):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), "-c", str(clients),
                          "-P", str(pipeline), "-q"] + args,
                         capture_output=True, text=True).stdout
    m = re.findall(r"([\d.]+) requests per second", out)
    return float(m[-1]) if m else 0.0


def run_all(n, clients, pipeline):
    """Both servers up at once; each step runs on redis-server then right after on ember
    (a load change on a shared machine then skews one pair, not every ratio)."""
    servers = {}
    res = {"redis": {}, "ember": {}}

    def step(name, args, count=None):
        for kind, (port, _, _) in servers.items():
            res[kind][name] = bench(port, count(port) if count else n, clients, args, pipeline)

    try:
        for kind in ("redis", "ember"):
            port = free_port()
            servers[kind] = (port,) + start(kind, port)
        step("XADD", ["XADD", "s", "*", "f", "v"])
        step("XRANGE COUNT 10", ["XRANGE", "s", "-", "+", "COUNT", "10"])
        for port, _, _ in servers.values():
            cli(port, "XGROUP", "CREATE", "s", "g", "0")
            cli(port, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1000", "STREAMS", "s", ">")
            cli(port, "XGROUP", "CREATE", "s", "g2", "0")
        step("XREADGROUP COUNT 10 (history)",
             ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "s", "0"])
        step("XREADGROUP COUNT 1 (>)",
             ["XREADGROUP", "GROUP", "g2", "c", "COUNT", "1", "STREAMS", "s", ">"],
             lambda port: min(n, int(cli(port, "XLEN", "s") or 0) or n))
    finally:
        for _, p, d in servers.values():
            p.terminate()
            p.wait(10)
            shutil.rmtree(d, ignore_errors=True)
    return res["redis"], res["ember"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=50000)
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-P", type=int, default=1)
    a = ap.parse_args()
    if not shutil.which("redis-benchmark") or not shutil.which("redis-server"):
        sys.exit("redis-server and redis-benchmark are needed")
    r, e = run_all(a.n, a.c, a.P)
    print("%-32s %12s %12s %8s" % ("command", "redis rps", "ember rps", "ratio"))
    for k in r:
        ratio = e[k] / r[k] if r[k] else 0.0
        print("%-32s %12.0f %12.0f %8.2f" % (k, r[k], e[k], ratio))


if __name__ == "__main__":
    main()
