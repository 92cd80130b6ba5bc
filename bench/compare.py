#!/usr/bin/env python3
"""Side-by-side redis-benchmark of ember and redis-server.

    python bench/compare.py                       # SET,GET,INCR,MSET; -c 50; -P 1 and -P 16
    python bench/compare.py -t lpush,rpop -P 1 -n 200000
    python bench/compare.py --markdown report.md  # also write a Markdown table
    python bench/compare.py -t set,get -a hgetall --json out.json -- -r 100000
    python bench/report.py                        # the readable report (table + chart)

Both servers run on one core (taskset -c 0) and redis-benchmark on the other (-c 1), one
server at a time, in the same run.  Prints requests/s for each, the ember/redis ratio, the
geometric mean of the ratios per pipeline depth, and each server's CPU time per request
(from /proc/<pid>/stat).  Machines are shared and noisy: quote ratios, not absolutes.
--rounds R (default 3) repeats each depth with fresh servers, alternating which of the two
goes first, and prints the median ratio with the per-round ratios beside it.
--ember-python PATH runs ember with another interpreter (its environment must have ember's
dependencies installed), e.g. to compare CPython builds.  --ember-cmd CMD runs CMD in ember's
place: "python bench/baseline_server.py" measures the bare uvloop + hiredis floor.

-a/--arbitrary adds commands redis-benchmark has no -t test for (names in ARBITRARY), run
after the -t tests on the same server (pass -r N after -- so they touch N random keys; the
-t tests then fill the keys that MGET and EXPIRE read, HSET5 the hashes HGETALL reads).
"""

import argparse
import json
import math
import os
import shlex
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
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
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


def start(kind, port, server_cpu, extra, python=None, ember_cmd=None):
    d = tempfile.mkdtemp(prefix="bench-")
    if kind == "redis":
        cmd = [shutil.which("redis-server")]
    elif ember_cmd:
        cmd = shlex.split(ember_cmd)
        if cmd[0] in ("python", "python3"):
            cmd[0] = python or sys.executable
        cmd = [os.path.join(ROOT, c) if c.startswith("bench/") else c for c in cmd]
    else:
        cmd = [python or sys.executable, "-m", "ember"]
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", d] + extra
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", server_cpu] + cmd
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=d)
    try:
        wait_up(port)
    except BaseException:
        p.kill()
        p.wait()
        raise
    return p, d


# Commands without a redis-benchmark -t test: name -> argv (the session use case).
ARBITRARY = {
    "HSET5": ["HSET", "sess:__rand_int__", "field:01", "value:0001", "field:02", "value:0002",
              "field:03", "value:0003", "field:04", "value:0004", "field:05", "value:0005"],
    "HGET": ["HGET", "sess:__rand_int__", "field:03"],
    "HGETALL": ["HGETALL", "sess:__rand_int__"],
    "MGET10": ["MGET"] + ["key:__rand_int__"] * 10,
    "EXPIRE": ["EXPIRE", "key:__rand_int__", "100000"],
}


def run_bench(port, tests, clients, pipeline, n, client_cpu, extra_args, latency=None):
    """requests/s per test name (and, into ``latency`` if given, the p50 latency in ms)."""
    cmd = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-P", str(pipeline),
           "-n", str(n), "-q", "--csv"]
    if tests:
        cmd[1:1] = ["-t", tests]
    cmd += extra_args
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", client_cpu] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout
    res = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split('","')]
        if len(parts) >= 2 and parts[0] != "test":
            try:
                res[parts[0]] = float(parts[1])
                if latency is not None and len(parts) >= 5:
                    latency[parts[0]] = float(parts[4])
            except ValueError:
                pass
    return res


def measure(kind, tests, arbitrary, clients, depth, n, server_cpu, client_cpu, ember_args, bench_args,
            python=None, ember_cmd=None):
    """One fresh server of ``kind``: the -t ``tests`` then each ARBITRARY command.
    Returns ({test: rps}, {test: p50 ms}, server CPU seconds, requests sent)."""
    port = free_port()
    p, d = start(kind, port, server_cpu, ember_args if kind == "ember" else [], python, ember_cmd)
    try:
        c0 = cpu_seconds(p.pid)
        lat = {}
        res = run_bench(port, tests, clients, depth, n, client_cpu, bench_args, lat) if tests else {}
        for name in arbitrary:
            r = run_bench(port, "", clients, depth, n, client_cpu, bench_args + ARBITRARY[name], lat)
            for test, rps in r.items():
                res[name] = rps
                lat[name] = lat.pop(test)
        cpu = cpu_seconds(p.pid) - c0
    finally:
        p.terminate()
        p.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    return res, lat, cpu, n * max(1, len(res))


def _median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def run_matrix(tests, arbitrary, clients, depths, n, server_cpu="0", client_cpu="1", ember_args=(),
               bench_args=(), log=print, rounds=1, python=None, ember_cmd=None):
    """Both servers, one after the other, at each pipeline depth (n x4 when pipelined), for
    ``rounds`` rounds: each round starts a fresh redis-server and a fresh ember back to back
    (the order alternates between rounds), so that load from other processes tends to hit
    both.  A row's rps, p50 and ratio are the medians over the rounds (the ratio is the median
    of the per-round ratios, not the ratio of the medians).  ``python`` is the interpreter that
    runs ember (default: this one).
    Returns rows: dicts with test, depth, n, redis/ember rps and p50 ms, ratio, the per-round
    ratios (``ratios``); and per depth the CPU time per request of each server (``cpu_us``,
    over all rounds)."""
    rows = []
    cpu_us = {}
    for depth in depths:
        nn = n * (4 if depth > 1 else 1)
        per_round = []
        for r in range(rounds):
            order = ("redis", "ember") if r % 2 == 0 else ("ember", "redis")
            per_round.append({kind: measure(kind, tests, arbitrary, clients, depth, nn, server_cpu,
                                            client_cpu, list(ember_args), list(bench_args), python,
                                            ember_cmd)
                              for kind in order})
        cpu_us[depth] = {k: 1e6 * sum(g[k][2] for g in per_round) / sum(g[k][3] for g in per_round)
                         for k in ("redis", "ember")}
        for test in per_round[0]["redis"][0]:
            rv = [g["redis"][0].get(test) for g in per_round]
            ev = [g["ember"][0].get(test) for g in per_round]
            ratios = [(e / r) if e and r else None for r, e in zip(rv, ev)]
            rows.append({"test": test, "depth": depth, "n": nn, "clients": clients,
                         "redis_rps": _median(rv), "ember_rps": _median(ev),
                         "ratio": _median(ratios), "ratios": ratios,
                         "redis_p50_ms": _median([g["redis"][1].get(test) for g in per_round]),
                         "ember_p50_ms": _median([g["ember"][1].get(test) for g in per_round])})
        if log:
            log("-P %d done" % depth)
    return rows, cpu_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-t", default="set,get,incr,mset")
    ap.add_argument("-a", "--arbitrary", default="", help="comma-separated names from ARBITRARY: "
                    + ",".join(ARBITRARY).lower())
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-P", default="1,16", help="comma-separated pipeline depths")
    ap.add_argument("-n", type=int, default=200000)
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    ap.add_argument("--ember-arg", action="append", default=[])
    ap.add_argument("--rounds", type=int, default=3,
                    help="fresh servers per depth, alternating which goes first; medians are printed")
    ap.add_argument("--ember-python", help="interpreter that runs ember (default: this one)")
    ap.add_argument("--ember-cmd", help="run this command in ember's place (it gets --port, --bind, "
                    "--save, --appendonly and --dir), e.g. \"python bench/baseline_server.py\"")
    ap.add_argument("--markdown")
    ap.add_argument("--json", help="also write the rows as JSON (bench/report.py reads it)")
    ap.add_argument("bench_args", nargs="*", help="extra redis-benchmark args after --")
    a = ap.parse_args()
    arbitrary = [x.upper() for x in a.arbitrary.split(",") if x]
    for name in arbitrary:
        if name not in ARBITRARY:
            ap.error("unknown arbitrary command %r" % name)
    depths = [int(x) for x in a.P.split(",")]
    rows, cpu_us = run_matrix(a.t, arbitrary, a.c, depths, a.n, a.server_cpu, a.client_cpu,
                              a.ember_arg, a.bench_args, log=None, rounds=a.rounds,
                              python=a.ember_python, ember_cmd=a.ember_cmd)
    for depth in depths:
        print("\n-c %d -P %d -n %d, median of %d rounds" % (a.c, depth, a.n * (4 if depth > 1 else 1),
                                                          a.rounds))
        print("%-28s %14s %14s %8s   %s" % ("test", "redis rps", "ember rps", "ratio", "rounds"))
        ratios = []
        for r in rows:
            if r["depth"] != depth:
                continue
            if r["ratio"] is None:
                print("%-28s %14.0f %14s %8s" % (r["test"], r["redis_rps"], "-", "-"))
                continue
            ratios.append(r["ratio"])
            print("%-28s %14.0f %14.0f %8.2f   %s" % (
                r["test"], r["redis_rps"], r["ember_rps"], r["ratio"],
                " ".join("%.2f" % x if x is not None else "-" for x in r["ratios"])))
        if ratios:
            g = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            print("geometric mean ratio (-P %d): %.2f" % (depth, g))
        for k in ("redis", "ember"):
            print("%s CPU time per request: %.2f us" % (k, cpu_us[depth][k]))
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("| test | pipeline | redis-server rps | ember rps | ember/redis |\n|---|---|---|---|---|\n")
            for r in rows:
                if r["ratio"] is not None:
                    f.write("| %s | %d | %.0f | %.0f | %.2f |\n" % (r["test"], r["depth"], r["redis_rps"],
                                                                 r["ember_rps"], r["ratio"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"clients": a.c, "rows": rows, "cpu_us": cpu_us}, f, indent=1)


if __name__ == "__main__":
    main()
