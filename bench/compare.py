#!/usr/bin/env python3
"""Side-by-side redis-benchmark of ember and redis-server.

    python bench/compare.py                       # SET,GET,INCR,MSET; -c 50; -P 1 and -P 16
    python bench/compare.py -t lpush,rpop -P 1 -n 200000
    python bench/compare.py --markdown report.md  # also write a Markdown table

Both servers run on one core (taskset -c 0) and redis-benchmark on the other (-c 1), one
server at a time, in the same run.  Prints requests/s for each, the ember/redis ratio, the
geometric mean of the ratios per pipeline depth, and each server's CPU time per request
(from /proc/<pid>/stat).  Machines are shared and noisy: quote ratios, not absolutes.
"""

import argparse
import math
import os
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


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def start(kind, port, server_cpu, extra):
    d = tempfile.mkdtemp(prefix="bench-")
    if kind == "redis":
        cmd = [shutil.which("redis-server")]
    else:
        cmd = [sys.executable, "-m", "ember"]
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", d] + extra
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", server_cpu] + cmd
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=d)
    wait_up(port)
    return p, d


def run_bench(port, tests, clients, pipeline, n, client_cpu, extra_args):
    cmd = ["redis-benchmark", "-p", str(port), "-t", tests, "-c", str(clients), "-P", str(pipeline),
           "-n", str(n), "-q", "--csv"] + extra_args
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", client_cpu] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    res = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split('","')]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                res[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", default="set,get,incr,mset")
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-P", default="1,16", help="comma-separated pipeline depths")
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--ember-arg", action="append", default=[])
    ap.add_argument("--markdown")
    ap.add_argument("bench_args", nargs="*", help="extra redis-benchmark args after --")
    a = ap.parse_args()
    rows = []
    for depth in [int(x) for x in a.P.split(",")]:
        n = a.n * (4 if depth > 1 else 1)
        results = {}
        cpu = {}
        for kind in ("redis", "ember"):
            port = free_port()
            p, d = start(kind, port, a.server_cpu, a.ember_arg if kind == "ember" else [])
            try:
                c0 = cpu_seconds(p.pid)
                results[kind] = run_bench(port, a.t, a.c, depth, n, a.client_cpu, a.bench_args)
                cpu[kind] = cpu_seconds(p.pid) - c0
            finally:
                p.terminate()
                p.wait(10)
                shutil.rmtree(d, ignore_errors=True)
        ratios = []
        total_req = {k: n * max(1, len(results[k])) for k in results}
        print("\n-c %d -P %d -n %d" % (a.c, depth, n))
        print("%-28s %14s %14s %8s" % ("test", "redis rps", "ember rps", "ratio"))
        for test, rv in results["redis"].items():
            ev = results["ember"].get(test)
            if not ev:
                print("%-28s %14.0f %14s %8s" % (test, rv, "-", "-"))
                continue
            r = ev / rv
            ratios.append(r)
            rows.append((test, depth, rv, ev, r))
            print("%-28s %14.0f %14.0f %8.2f" % (test, rv, ev, r))
        if ratios:
            g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            print("geometric mean ratio (-P %d): %.2f" % (depth, g))
        for k in ("redis", "ember"):
            print("%s CPU time per request: %.2f us" % (k, 1e6 * cpu[k] / total_req[k]))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| test | pipeline | redis-server rps | ember rps | ember/redis |\n|---|---|---|---|---|\n")
            for test, depth, rv, ev, r in rows:
                f.write("| %s | %d | %.0f | %.0f | %.2f |\n" % (test, depth, rv, ev, r))


if __name__ == "__main__":
    main()
