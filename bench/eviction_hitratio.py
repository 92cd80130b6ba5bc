#!/usr/bin/env python3
"""LRU/LFU hit ratio of ember vs redis-server under the same policy and budget.

    python bench/eviction_hitratio.py                      # allkeys-lru and allkeys-lfu
    python bench/eviction_hitratio.py --policies allkeys-lru,allkeys-random --keys 20000
    python bench/eviction_hitratio.py --same-bytes         # identical maxmemory in bytes

A cache workload: reads of Zipf-distributed keys (exponent --alpha) over a key space 10x
what the budget holds; a miss is followed by a SET of the key (read-through cache).  Each
server is started on a free port with its own --dir, and killed when done.

"Same budget" means by default the same number of keys: ember's per-key cost in CPython is
~2.5x Redis', so each server's maxmemory is calibrated to hold --keys keys of this shape
(measured from INFO used_memory while writing); --same-bytes gives both servers the
maxmemory that holds --keys keys in redis-server instead.  The first --warmup reads fill the
cache and are not counted.  Target: ember within 5 points of redis-server.
"""

import argparse
import bisect
import os
import random
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


class Conn:
    """A tiny pipelining RESP client (replies of the few shapes used here)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _reply(self):
        line = self._line()
        t = line[:1]
        if t == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b":":
            return int(line[1:])
        if t == b"-":
            return RuntimeError(line.decode())
        return line[1:]

    def pipeline(self, cmds):
        out = []
        for args in cmds:
            out.append(b"*%d\r\n" % len(args))
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return [self._reply() for _ in cmds]

    def call(self, *args):
        return self.pipeline([args])[0]

    def info(self, section):
        text = self.call("INFO", section).decode()
        return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)


def start(kind, port, d):
    if kind == "ember":
        cmd = [sys.executable, "-m", "ember"]
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    else:
        cmd = [shutil.which("redis-server")]
        env = None
    cmd += ["--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
            "--appendonly", "no"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=d)
    for _ in range(200):
        try:
            c = Conn(port)
            c.call("PING")
            return p, c
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("%s did not start" % kind)


def per_key_bytes(c, value, n=5000):
    """Bytes per key as the server's own used_memory sees it (accounting on: a huge
    maxmemory)."""
    c.call("CONFIG", "SET", "maxmemory", "64gb")
    c.call("FLUSHALL")
    before = int(c.info("memory")["used_memory"])
    for i in range(0, n, 500):
        c.pipeline([("SET", "calib:%d" % j, value) for j in range(i, min(n, i + 500))])
    after = int(c.info("memory")["used_memory"])
    c.call("FLUSHALL")
    return before, (after - before) / n


class Zipf:
    def __init__(self, n, alpha, rng):
        acc = 0.0
        self.cdf = []
        for i in range(1, n + 1):
            acc += 1.0 / i ** alpha
            self.cdf.append(acc)
        self.total = acc
        self.rng = rng
        # Shuffle ranks over key ids so hot keys are not also the lowest-numbered ones.
        self.perm = list(range(n))
        rng.shuffle(self.perm)

    def draw(self):
        return self.perm[bisect.bisect_left(self.cdf, self.rng.random() * self.total)]


def run_workload(c, nkeys_space, alpha, reads, warmup, value, seed, batch=200):
    z = Zipf(nkeys_space, alpha, random.Random(seed))
    hits = misses = 0
    done = 0
    while done < warmup + reads:
        ids = [z.draw() for _ in range(batch)]
        keys = ["key:%d" % i for i in ids]
        replies = c.pipeline([("GET", k) for k in keys])
        miss = [k for k, r in zip(keys, replies) if r is None]
        if miss:
            rs = c.pipeline([("SET", k, value) for k in miss])
            errs = [r for r in rs if isinstance(r, Exception)]
            if errs:
                raise errs[0]
        if done >= warmup:
            hits += batch - len(miss)
            misses += len(miss)
        done += batch
    return hits / max(1, hits + misses)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu")
    ap.add_argument("--keys", type=int, default=10000, help="keys the budget holds")
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--reads", type=int, default=200000)
    ap.add_argument("--warmup", type=int, default=100000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--samples", type=int, default=5, help="maxmemory-samples")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--same-bytes", action="store_true")
    ap.add_argument("--servers", default="redis,ember")
    args = ap.parse_args()
    value = b"v" * args.value_size
    space = 10 * args.keys
    servers = {}
    try:
        for kind in args.servers.split(","):
            d = tempfile.mkdtemp(prefix="hitratio-%s-" % kind)
            port = free_port()
            p, c = start(kind, port, d)
            servers[kind] = (p, c, d)
        calib = {k: per_key_bytes(c, value) for k, (p, c, d) in servers.items()}
        for k, (base, per) in calib.items():
            print("%-6s used_memory at start %d, %.0f bytes/key" % (k, base, per))
        budgets = {}
        for k, (base, per) in calib.items():
            if args.same_bytes and "redis" in calib:
                rb, rp = calib["redis"]
                budgets[k] = rb + int(args.keys * rp)
            else:
                budgets[k] = base + int(args.keys * per)
        print("key space %d, budget ~%d keys, Zipf alpha %.2f, %d reads after %d warm-up"
              % (space, args.keys, args.alpha, args.reads, args.warmup))
        print("%-16s %s" % ("policy", "  ".join("%8s" % k for k in servers)) + "  diff(points)")
        for policy in args.policies.split(","):
            ratios = {}
            for k, (p, c, d) in servers.items():
                c.call("FLUSHALL")
                c.call("CONFIG", "SET", "maxmemory-policy", policy)
                c.call("CONFIG", "SET", "maxmemory-samples", str(args.samples))
                c.call("CONFIG", "SET", "maxmemory", str(budgets[k]))
                t = time.time()
                ratios[k] = run_workload(c, space, args.alpha, args.reads, args.warmup, value, args.seed)
                ratios[k + "_t"] = time.time() - t
                ratios[k + "_n"] = int(c.call("DBSIZE"))
            names = list(servers)
            diff = ""
            if len(names) == 2:
                diff = "%+.1f" % ((ratios[names[1]] - ratios[names[0]]) * 100)
            print("%-16s %s  %s   (keys held: %s; seconds: %s)" % (
                policy, "  ".join("%7.1f%%" % (ratios[k] * 100) for k in names), diff,
                ", ".join("%s %d" % (k, ratios[k + "_n"]) for k in names),
                ", ".join("%s %.0f" % (k, ratios[k + "_t"]) for k in names)))
    finally:
        for k, (p, c, d) in servers.items():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
