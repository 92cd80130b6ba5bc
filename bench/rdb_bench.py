"""RDB benchmark: SAVE time, RDB size and load time, ember vs redis-server.

    python3 bench/rdb_bench.py [--keys 1000000] [--only redis|ember] [--no-pin]

Both servers get the same mixed dataset (70% strings, 10% small hashes, 8% small lists,
6% small sets (half integer sets), 6% small sorted sets; 10% of the keys with a TTL), sent
as one RESP stream through ``redis-cli --pipe``.  Then SAVE is timed from the client, the
dump's size is read from disk, and each server is restarted on its own dump to read the
load time from its "DB loaded from disk: N seconds" log line.  Each server runs pinned to
CPU 1 (taskset) and the client tools to CPU 0, one server at a time, so the two are measured
the same way.  Besides wall-clock times the server process' CPU time (user+system, from
/proc) is reported for SAVE and for loading (CPU of the restart minus that of an empty
start): on a shared, busy machine the CPU-time ratios are the stable ones to quote.  Not
part of the test run.
"""

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from helpers import ServerProcess, encode_command  # noqa: E402


def dataset(path, n, seed=1):
    """Write the fill commands for ``n`` keys as a RESP stream to ``path``."""
    rnd = random.Random(seed)
    with open(path, "wb") as f:
        out = []
        for i in range(n):
            x = rnd.random()
            k = "key:%d" % i
            if x < 0.70:
                out.append(encode_command("SET", k, "value:%d:%s" % (i, "x" * rnd.randint(0, 40))))
            elif x < 0.80:
                args = []
                for j in range(rnd.randint(1, 8)):
                    args += ["f%d" % j, "v%d" % (i + j)]
                out.append(encode_command("HSET", k, *args))
            elif x < 0.88:
                out.append(encode_command("RPUSH", k, *["e%d" % j
                                                        for j in range(rnd.randint(1, 10))]))
            elif x < 0.94:
                if i % 2:
                    out.append(encode_command("SADD", k, *range(rnd.randint(1, 10))))
                else:
                    out.append(encode_command("SADD", k, *["m%d" % j
                                                           for j in range(rnd.randint(1, 10))]))
            else:
                args = []
                for j in range(rnd.randint(1, 10)):
                    args += [repr(j * 1.5), "m%d" % j]
                out.append(encode_command("ZADD", k, *args))
            if rnd.random() < 0.10:
                out.append(encode_command("EXPIRE", k, 86400 + i % 1000))
            if len(out) >= 10000:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))


def load_seconds(log):
    m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", log)
    return float(m[-1]) if m else float("nan")


def wait_ready(s, timeout):
    """Wait until the server answers PING with +PONG (not -LOADING)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if s.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (s.kind, s.read_log()[-2000:]))
        try:
            with socket.create_connection(("127.0.0.1", s.port), timeout=1) as c:
                c.sendall(b"PING\r\n")
                if c.recv(100).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("%s did not become ready in %ds" % (s.kind, timeout))


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cli(port, *args, stdin=None, pin=True):
    cmd = (["taskset", "-c", "0"] if pin else []) + ["redis-cli", "-p", str(port)] + list(args)
    return subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, timeout=3600).stdout


def run(kind, data_path, pin):
    s = ServerProcess(kind)
    if pin:
        s.cmd = ["taskset", "-c", "1"] + s.cmd
    try:
        s.start(wait=False)
        wait_ready(s, 60)
        cpu_empty = cpu_seconds(s.proc.pid)
        t0 = time.perf_counter()
        with open(data_path, "rb") as f:
            out = cli(s.port, "--pipe", stdin=f, pin=pin)
        t_fill = time.perf_counter() - t0
        if "errors: 0" not in out:
            raise RuntimeError("fill of %s failed: %s" % (kind, out[-500:]))
        keys = int(cli(s.port, "DBSIZE", pin=pin))
        c0 = cpu_seconds(s.proc.pid)
        t0 = time.perf_counter()
        res = cli(s.port, "SAVE", pin=pin).strip()
        t_save = time.perf_counter() - t0
        cpu_save = cpu_seconds(s.proc.pid) - c0
        if res != "OK":
            raise RuntimeError("SAVE on %s answered %r" % (kind, res))
        size = os.path.getsize(os.path.join(s.dir, "dump.rdb"))
        s.stop()
        s.start(wait=False)
        wait_ready(s, 600)
        cpu_load = cpu_seconds(s.proc.pid) - cpu_empty
        got = int(cli(s.port, "DBSIZE", pin=pin))
        if got != keys:
            raise RuntimeError("%s reloaded %d keys of %d" % (kind, got, keys))
        t_load = load_seconds(s.read_log())
    finally:
        s.cleanup()
    return {"kind": kind, "keys": keys, "fill_s": t_fill, "save_s": t_save, "rdb_bytes": size,
            "load_s": t_load, "save_cpu": cpu_save, "load_cpu": cpu_load}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--only", choices=("redis", "ember"))
    ap.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    a = ap.parse_args()
    pin = not a.no_pin and shutil.which("taskset") is not None
    d = tempfile.mkdtemp(prefix="ember-rdbbench-")
    try:
        data = os.path.join(d, "fill.resp")
        dataset(data, a.keys)
        kinds = [a.only] if a.only else ["redis", "ember"]
        res = [run(k, data, pin) for k in kinds]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("%-6s %9s %9s %9s %9s %12s %9s %9s" % (
        "server", "keys", "fill s", "SAVE s", "SAVE cpu", "RDB bytes", "load s", "load cpu"))
    for x in res:
        print("%-6s %9d %9.2f %9.3f %9.3f %12d %9.3f %9.3f" % (
            x["kind"], x["keys"], x["fill_s"], x["save_s"], x["save_cpu"], x["rdb_bytes"],
            x["load_s"], x["load_cpu"]))
    if len(res) == 2:
        red, emb = res
        print("ember/redis: SAVE time x%.1f, RDB size x%.3f, load time x%.1f"
              % (emb["save_s"] / max(red["save_s"], 1e-9),
                 emb["rdb_bytes"] / max(red["rdb_bytes"], 1),
                 emb["load_s"] / max(red["load_s"], 1e-9)))
        print("ember/redis CPU time: SAVE x%.1f, load x%.1f"
              % (emb["save_cpu"] / max(red["save_cpu"], 1e-9),
                 emb["load_cpu"] / max(red["load_cpu"], 1e-9)))


if __name__ == "__main__":
    main()
