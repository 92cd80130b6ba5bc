"""RDB benchmark: SAVE time, RDB size and load time, ember vs redis-server.

    python bench/rdb_bench.py [--keys 1000000] [--pipeline 1000]

Both servers get the same mixed dataset (70% strings, 10% small hashes, 8% small lists,
6% small sets (half integer sets), 6% small sorted sets; 10% of the keys with a TTL), then
SAVE is timed from the client, the dump's size is read from disk, and each server is
restarted on its own dump to read the load time from its "DB loaded from disk: N seconds"
log line.  Not part of the test run.
"""

import argparse
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "src"))

from helpers import ServerProcess  # noqa: E402


def fill(r, n, pipeline, seed=1):
    rnd = random.Random(seed)
    p = r.pipeline(transaction=False)
    queued = 0
    for i in range(n):
        x = rnd.random()
        k = "key:%d" % i
        if x < 0.70:
            p.set(k, "value:%d:%s" % (i, "x" * rnd.randint(0, 40)))
        elif x < 0.80:
            p.hset(k, mapping={"f%d" % j: "v%d" % (i + j) for j in range(rnd.randint(1, 8))})
        elif x < 0.88:
            p.rpush(k, *["e%d" % j for j in range(rnd.randint(1, 10))])
        elif x < 0.94:
            if i % 2:
                p.sadd(k, *range(rnd.randint(1, 10)))
            else:
                p.sadd(k, *["m%d" % j for j in range(rnd.randint(1, 10))])
        else:
            p.zadd(k, {"m%d" % j: j * 1.5 for j in range(rnd.randint(1, 10))})
        if rnd.random() < 0.10:
            p.expire(k, 86400 + i % 1000)
        queued += 1
        if queued >= pipeline:
            p.execute()
            queued = 0
    p.execute()


def load_seconds(log):
    m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", log)
    return float(m[-1]) if m else float("nan")


def run(kind, n, pipeline):
    import redis
    with ServerProcess(kind) as s:
        r = redis.Redis(port=s.port, socket_timeout=3600)
        t0 = time.perf_counter()
        fill(r, n, pipeline)
        t_fill = time.perf_counter() - t0
        keys = r.dbsize()
        t0 = time.perf_counter()
        r.save()
        t_save = time.perf_counter() - t0
        size = os.path.getsize(os.path.join(s.dir, "dump.rdb"))
        r.close()
        s.stop()
        s.log.close()
        t0 = time.perf_counter()
        s.start()
        t_start = time.perf_counter() - t0
        r = redis.Redis(port=s.port, socket_timeout=3600)
        assert r.dbsize() == keys, (r.dbsize(), keys)
        r.close()
        t_load = load_seconds(s.read_log())
    return {"kind": kind, "keys": keys, "fill_s": t_fill, "save_s": t_save, "rdb_bytes": size,
            "load_s": t_load, "restart_s": t_start}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--pipeline", type=int, default=1000)
    a = ap.parse_args()
    res = [run("redis", a.keys, a.pipeline), run("ember", a.keys, a.pipeline)]
    print("%-6s %9s %9s %9s %12s %9s" % ("server", "keys", "fill s", "SAVE s", "RDB bytes", "load s"))
    for x in res:
        print("%-6s %9d %9.2f %9.3f %12d %9.3f" % (x["kind"], x["keys"], x["fill_s"], x["save_s"],
                                                 x["rdb_bytes"], x["load_s"]))
    red, emb = res
    print("ember/redis: SAVE time x%.1f, RDB size x%.3f, load time x%.1f"
          % (emb["save_s"] / max(red["save_s"], 1e-9), emb["rdb_bytes"] / max(red["rdb_bytes"], 1),
             emb["load_s"] / max(red["load_s"], 1e-9)))


if __name__ == "__main__":
    main()
