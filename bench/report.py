#!/usr/bin/env python3
"""The benchmark report: ember vs redis-server per command and pipeline depth, as a Markdown
table and a chart (PNG), from bench/compare.py runs.

    pip install -e '.[bench]'                  # matplotlib, for the chart (optional)
    python bench/report.py                     # run the benches, write bench/results/report.*
    python bench/report.py --from bench/results/report.json   # redraw from a saved run
    python bench/report.py -n 20000 -P 1,16,64 --out /tmp/rep

Writes into --out (default bench/results/, not versioned):
  report.json  the rows (requests/s and p50 latency of each server, ratio), how they were made
  report.md    the Markdown table (README's "Benchmark report" section shows one)
  report.png   requests/s of both servers per command, one panel per pipeline depth, with
               the ember/redis ratio above each pair (needs matplotlib; skipped without it)

Workload: compare.py's side-by-side method (one server at a time on --server-cpu,
redis-benchmark on --client-cpu, -c 50), redis-benchmark's SET, GET, INCR, MSET (10 keys)
tests, then MGET of 10 keys, EXPIRE, HSET of 5 fields, HGET and HGETALL of those hashes,
all over -r 100000 random keys.  The figures move with the machine's load: quote ratios
measured in one run, and run it more than once.
"""

import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import run_matrix  # noqa: E402

TESTS = "set,get,incr,mset"
ARBITRARY = "mget10,expire,hset5,hget,hgetall"
LABELS = {"MSET (10 keys)": "MSET10"}


def label(test):
    return LABELS.get(test, test)


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def git_rev():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=20).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def markdown(rep):
    rows = rep["rows"]
    depths = sorted({r["depth"] for r in rows})
    tests = []
    for r in rows:
        if r["test"] not in tests:
            tests.append(r["test"])
    by = {(r["test"], r["depth"]): r for r in rows}
    out = ["| command | " + " | ".join("-P %d redis rps | -P %d ember rps | -P %d ember/redis" % (d, d, d)
                                       for d in depths) + " |",
           "|---|" + "---:|---:|---:|" * len(depths)]
    for t in tests:
        cells = []
        for d in depths:
            r = by.get((t, d))
            if r is None or r["ember_rps"] is None:
                cells += ["-", "-", "-"]
            else:
                cells += ["%.0f" % r["redis_rps"], "%.0f" % r["ember_rps"], "%.2f" % r["ratio"]]
        out.append("| %s | %s |" % (label(t), " | ".join(cells)))
    gm = [geomean([by[(t, d)]["ratio"] for t in tests if (t, d) in by]) for d in depths]
    out.append("| geometric mean | %s |" % " | ".join(
        "| | %s" % ("%.2f" % g if g else "-") for g in gm))
    lat = []
    for d in depths:
        r = by.get(("GET", d))
        if r and r["redis_p50_ms"] and r["ember_p50_ms"]:
            lat.append("-P %d: redis-server %.3f ms, ember %.3f ms" % (d, r["redis_p50_ms"], r["ember_p50_ms"]))
    meta = rep["meta"]
    notes = ["", "%s; -c %d, -n %d per test at -P 1 (x4 when pipelined), %s; ember %s, %s, "
             "Python %s." % (meta["date"], meta["clients"], meta["n"], meta["bench_args"],
                            meta["git"], meta["redis"], meta["python"])]
    if lat:
        notes.append("GET p50 latency with -c %d: %s." % (meta["clients"], "; ".join(lat)))
    cpu = rep.get("cpu_us") or {}
    if cpu:
        notes.append("Server CPU time per request: " + "; ".join(
            "-P %s: redis-server %.1f us, ember %.1f us" % (d, v["redis"], v["ember"])
            for d, v in sorted(cpu.items(), key=lambda kv: int(kv[0]))) + ".")
    return "\n".join(out) + "\n" + "\n".join(notes) + "\n"


def chart(rep, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = rep["rows"]
    depths = sorted({r["depth"] for r in rows})
    fig, axes = plt.subplots(len(depths), 1, figsize=(10, 3.6 * len(depths)), squeeze=False)
    for ax, d in zip(axes[:, 0], depths):
        rs = [r for r in rows if r["depth"] == d and r["ember_rps"]]
        x = range(len(rs))
        w = 0.38
        ax.bar([i - w / 2 for i in x], [r["redis_rps"] / 1000 for r in rs], w, label="redis-server",
               color="#c0392b")
        ax.bar([i + w / 2 for i in x], [r["ember_rps"] / 1000 for r in rs], w, label="ember",
               color="#2c7fb8")
        for i, r in zip(x, rs):
            top = max(r["redis_rps"], r["ember_rps"]) / 1000
            ax.annotate("%.2f" % r["ratio"], (i, top), ha="center", va="bottom", fontsize=8,
                        xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(list(x))
        ax.set_xticklabels([label(r["test"]) for r in rs], fontsize=8)
        ax.set_ylabel("thousand requests/s")
        ax.set_title("pipeline depth %d (-c %d); numbers: ember/redis-server" % (d, rep["meta"]["clients"]),
                     fontsize=10)
        ax.margins(y=0.15)
        ax.legend(fontsize=8, loc="upper right")
    meta = rep["meta"]
    fig.suptitle("ember vs redis-server (%s, ember %s; a shared machine: compare ratios)"
                 % (meta["date"], meta["git"]), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--from", dest="src", help="redraw from this report.json instead of running")
    ap.add_argument("-t", default=TESTS, help="redis-benchmark -t tests (default %(default)s)")
    ap.add_argument("-a", default=ARBITRARY, help="compare.ARBITRARY commands (default %(default)s)")
    ap.add_argument("-P", default="1,16", help="pipeline depths (default %(default)s)")
    ap.add_argument("-n", type=int, default=50000, help="requests per test at -P 1 (default %(default)s)")
    ap.add_argument("-c", type=int, default=50)
    ap.add_argument("-r", type=int, default=100000, help="random key space (redis-benchmark -r)")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--client-cpu", default="1")
    a = ap.parse_args()
    if a.src:
        with open(a.src) as f:
            rep = json.load(f)
    else:
        bench_args = ["-r", str(a.r)]
        rows, cpu = run_matrix(a.t, [x.upper() for x in a.a.split(",") if x], a.c,
                               [int(x) for x in a.P.split(",")], a.n, a.server_cpu, a.client_cpu,
                               bench_args=bench_args, log=lambda m: print(m, file=sys.stderr))
        rep = {"rows": rows, "cpu_us": cpu, "meta": {
            "date": datetime.date.today().isoformat(), "clients": a.c, "n": a.n,
            "bench_args": " ".join(bench_args), "git": git_rev(),
            "redis": version(["redis-server", "--version"]).split(" sha=")[0],
            "python": platform.python_version()}}
    os.makedirs(a.out, exist_ok=True)
    if not a.src:
        with open(os.path.join(a.out, "report.json"), "w") as f:
            json.dump(rep, f, indent=1)
    md = markdown(rep)
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write(md)
    print(md)
    png = os.path.join(a.out, "report.png")
    if chart(rep, png):
        print("chart: %s" % png)
    else:
        print("chart skipped: matplotlib is not installed (pip install -e '.[bench]')")


if __name__ == "__main__":
    main()
