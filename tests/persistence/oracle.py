"""Helpers to run a throw-away redis-server (the oracle) and snapshot its data."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

REDIS_SERVER = shutil.which("redis-server")
REDIS_CHECK_RDB = shutil.which("redis-check-rdb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Oracle:
    """Context manager: start redis-server in its own dir, yield a client."""

    def __init__(self, dir=None, dbfilename="dump.rdb", extra=()):
        self.dir = dir
        self.dbfilename = dbfilename
        self.extra = list(extra)
        self.proc = None
        self._tmp = None

    def __enter__(self):
        import redis
        if self.dir is None:
            self._tmp = tempfile.mkdtemp(prefix="ember-oracle-")
            self.dir = self._tmp
        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--dbfilename", self.dbfilename, "--save", "", "--appendonly", "no",
             "--sanitize-dump-payload", "yes", *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis(port=self.port, protocol=2)
        for _ in range(200):
            try:
                self.client.ping()
                break
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError("redis-server exited at startup")
                time.sleep(0.02)
        else:
            raise RuntimeError("redis-server did not start")
        return self

    def __exit__(self, *exc):
        try:
            self.client.close()
        except Exception:
            pass
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def rdb_path(self):
        return os.path.join(self.dir, self.dbfilename)


def _pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def _parse_id(b):
    a, c = b.split(b"-")
    return [int(a), int(c)]


def raw_client(r):
    """A client on the same server whose replies are not post-processed."""
    import redis
    kw = r.connection_pool.connection_kwargs
    c = redis.Redis(host=kw.get("host", "localhost"), port=kw["port"], protocol=2)
    c.response_callbacks.clear()
    return c


def snapshot_key(r, key):
    """Return (type, neutral-JSON-able value) read through commands (r: raw client)."""
    x = r.execute_command
    t = x("TYPE", key).decode()
    if t == "string":
        return t, x("GET", key)
    if t == "list":
        return t, x("LRANGE", key, 0, -1)
    if t == "set":
        return t, sorted(x("SMEMBERS", key))
    if t == "zset":
        return t, sorted((m, float(s)) for m, s in _pairs(x("ZRANGE", key, 0, -1, "WITHSCORES")))
    if t == "hash":
        return t, dict(sorted(_pairs(x("HGETALL", key))))
    if t == "stream":
        entries = [(_parse_id(i), _pairs(f)) for i, f in x("XRANGE", key, "-", "+")]
        info = r.execute_command("XINFO", "STREAM", key, "FULL")
        info = dict(_pairs(info))
        groups = []
        for g in info[b"groups"]:
            g = dict(_pairs(g))
            pel = {tuple(_parse_id(p[0])): [p[1], p[2], p[3]] for p in g[b"pending"]}
            cons = []
            for c in g[b"consumers"]:
                c = dict(_pairs(c))
                cons.append({"name": c[b"name"], "seen_time": c[b"seen-time"],
                             "pending": [_parse_id(p[0]) for p in c[b"pending"]]})
            groups.append({"name": g[b"name"], "last_id": _parse_id(g[b"last-delivered-id"]),
                           "entries_read": g[b"entries-read"],
                           "pel": sorted([list(k), v[0], v[1], v[2]] for k, v in pel.items()),
                           "consumers": sorted(cons, key=lambda c: c["name"])})
        value = {"entries": entries, "last_id": _parse_id(info[b"last-generated-id"]),
                 "first_id": _parse_id(info[b"recorded-first-entry-id"]),
                 "max_deleted_id": _parse_id(info[b"max-deleted-entry-id"]),
                 "entries_added": info[b"entries-added"],
                 "groups": sorted(groups, key=lambda g: g["name"])}
        return t, value
    raise ValueError(t)


def snapshot(r, dbs=range(16)):
    """{db: {key: [type, value, pexpireat-or-None]}} read through commands."""
    r = raw_client(r)
    out = {}
    for db in dbs:
        r.execute_command("SELECT", db)
        keys = r.execute_command("KEYS", "*")
        if not keys:
            continue
        d = {}
        for k in sorted(keys):
            t, v = snapshot_key(r, k)
            exp = r.execute_command("PEXPIRETIME", k)
            d[k] = [t, v, exp if exp >= 0 else None]
        out[db] = d
    r.close()
    return out


def neutral_to_snapshot(type_name, value):
    """Convert an ember.persistence neutral value to the snapshot() form."""
    if type_name in ("string", "list"):
        return value
    if type_name == "set":
        return sorted(value)
    if type_name == "zset":
        return sorted((m, float(s)) for m, s in value)
    if type_name == "hash":
        return dict(sorted(value.items()))
    if type_name == "stream":
        groups = []
        for g in value.groups:
            groups.append({
                "name": g.name, "last_id": list(g.last_id), "entries_read": g.entries_read if g.entries_read >= 0 else None,
                "pel": sorted([list(k), p.consumer, p.delivery_time, p.delivery_count]
                              for k, p in g.pel.items()),
                "consumers": sorted(({"name": c.name, "seen_time": c.seen_time,
                                      "pending": [list(p) for p in c.pending]}
                                     for c in g.consumers), key=lambda c: c["name"])})
        return {"entries": [([ms, seq], list(fv)) for ms, seq, fv in value.entries],
                "last_id": list(value.last_id), "first_id": list(value.first_id),
                "max_deleted_id": list(value.max_deleted_id),
                "entries_added": value.entries_added,
                "groups": sorted(groups, key=lambda g: g["name"])}
    raise ValueError(type_name)


def to_json(obj):
    """bytes -> latin-1 strings, tuples -> lists, dict keys stringified."""
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    if isinstance(obj, dict):
        return {to_json(k) if isinstance(k, bytes) else str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(x) for x in obj]
    return obj
