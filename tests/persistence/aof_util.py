"""Shared helpers for the AOF tests: start ember / redis-server on a directory, dump a
dataset in a comparable form, a writer thread recording acknowledged writes."""

import os
import signal
import socket
import sys
import threading

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from helpers import ServerProcess, have_redis  # noqa: E402,F401


def start(kind, d, *args):
    return ServerProcess(kind, args=list(args), dir=d).start()


def client(srv):
    return redis.Redis(port=srv.port, socket_timeout=10)


def kill9(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(10)
    if getattr(srv, "log", None):
        srv.log.close()


def dataset(r, dbs=(0, 1, 2)):
    """{(db, key): (type, value, has_ttl)} read with ordinary commands."""
    out = {}
    for db in dbs:
        r.execute_command("SELECT", db)
        for key in r.scan_iter(count=1000):
            t = r.type(key).decode()
            if t == "string":
                v = r.get(key)
            elif t == "list":
                v = tuple(r.lrange(key, 0, -1))
            elif t == "set":
                v = frozenset(r.smembers(key))
            elif t == "hash":
                v = tuple(sorted(r.hgetall(key).items()))
            elif t == "zset":
                v = tuple(r.zrange(key, 0, -1, withscores=True))
            elif t == "stream":
                v = (tuple((i, tuple(sorted(f.items()))) for i, f in r.xrange(key)),
                     tuple(sorted((g["name"], g["last-delivered-id"], g["pending"])
                                  for g in r.xinfo_groups(key))))
            else:
                v = None
            out[(db, key)] = (t, v, r.pttl(key) > 0)
    r.execute_command("SELECT", 0)
    return out


def fill_all_types(r, prefix="k"):
    r.execute_command("SELECT", 0)
    r.set(prefix + ":s", "hello")
    r.set(prefix + ":int", 12345)
    r.set(prefix + ":ex", "v", ex=1000)
    r.setex(prefix + ":setex", 1000, "v")
    r.incrbyfloat(prefix + ":f", 1.5)
    r.append(prefix + ":s", " world")
    r.rpush(prefix + ":l", *[b"e%d" % i for i in range(200)])
    r.lpush(prefix + ":small", "a", "b", "c")
    r.lpop(prefix + ":l")
    r.sadd(prefix + ":set", *range(50))
    r.sadd(prefix + ":sset", "a", "b", "c")
    r.srem(prefix + ":set", 3)
    r.hset(prefix + ":h", mapping={"f%d" % i: "v%d" % i for i in range(300)})
    r.hset(prefix + ":sh", mapping={"a": "1", "b": "2"})
    r.hincrby(prefix + ":sh", "a", 5)
    r.zadd(prefix + ":z", {"m%d" % i: i * 1.5 for i in range(200)})
    r.zadd(prefix + ":sz", {"a": 1, "b": float("inf"), "c": -2.25})
    r.zincrby(prefix + ":sz", 2, "a")
    r.expire(prefix + ":sz", 5000)
    for i in range(20):
        r.xadd(prefix + ":x", {"f": i, "g": "x" * i})
    r.xgroup_create(prefix + ":x", "g1", id="0")
    r.xreadgroup("g1", "alice", {prefix + ":x": ">"}, count=3)
    r.setbit(prefix + ":bits", 100, 1)
    r.pfadd(prefix + ":hll", "a", "b", "c")
    r.execute_command("SELECT", 1)
    r.set(prefix + ":db1", "one")
    r.rpush(prefix + ":db1l", "x")
    r.execute_command("SELECT", 2)
    with r.pipeline(transaction=True) as p:
        p.set(prefix + ":m1", 1)
        p.incr(prefix + ":m1")
        p.sadd(prefix + ":m2", "z")
        p.execute()
    r.execute_command("SELECT", 0)
    r.delete(prefix + ":small")


class Writer(threading.Thread):
    """SET <prefix><i> <i> as fast as possible, one at a time, recording each acknowledged i.

    A plain socket (not redis-py): when the server dies the writer stops at once, instead of
    spending seconds in the client library's reconnect-and-retry logic."""

    def __init__(self, port, prefix):
        super().__init__(daemon=True)
        self.port = port
        self.prefix = prefix
        self.acked = []
        self.stop = False
        self.error = None

    def run(self):
        sock = None
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            pre = self.prefix.encode()
            i = 0
            buf = b""
            while not self.stop:
                key = b"%s%d" % (pre, i)
                val = b"%d" % i
                sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                             % (len(key), key, len(val), val))
                while b"\r\n" not in buf:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise ConnectionError("server closed the connection")
                    buf += chunk
                line, _, buf = buf.partition(b"\r\n")
                if line != b"+OK":
                    raise RuntimeError("SET answered %r" % line)
                self.acked.append(i)
                i += 1
        except (ConnectionError, OSError) as e:
            self.error = e
        finally:
            if sock is not None:
                sock.close()


def missing(r, prefix, acked):
    """The acknowledged i whose key is absent or wrong."""
    out = []
    for s in range(0, len(acked), 1000):
        chunk = acked[s:s + 1000]
        vals = r.mget(["%s%d" % (prefix, i) for i in chunk])
        out.extend(i for i, v in zip(chunk, vals) if v != str(i).encode())
    return out
