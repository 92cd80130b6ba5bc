"""Generate tests/persistence/fixtures/redis70.rdb and its JSON manifest.

Starts a private redis-server, fills every type in every encoding Redis 7.0
uses, SAVEs and copies dump.rdb next to a manifest of the expected contents
(read back through commands).  Run: python tests/persistence/make_fixtures.py
"""
from __future__ import annotations

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import Oracle, snapshot, to_json  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
EXPIRE_AT = 4102444800000  # 2100-01-01, far in the future


def fill(r):
    r.flushall()
    # strings: int-encoded, raw, LZF-compressible, incompressible, empty, binary
    r.set("s:int8", "-12")
    r.set("s:int16", "3000")
    r.set("s:int32", "-2000000000")
    r.set("s:int64", "9223372036854775807")
    r.set("s:notint", "0123")
    r.set("s:raw", "hello world")
    r.set("s:empty", "")
    r.set("s:lzf", "abcdefgh" * 200)
    r.set("s:incompressible", bytes(range(256)) + bytes(range(255, -1, -1)))
    r.set("s:binary", b"\x00\xff\r\n\x80")
    r.set("s:16k", ("0123456789abcdef" * 1024) + "tail")
    # lists: small (one listpack node), big (many nodes), big elements, ints of every width
    r.rpush("l:small", "a", "b", "1", "-1", "300", "70000", "5000000000", "")
    r.rpush("l:big", *[f"element-{i}" for i in range(3000)])
    r.rpush("l:bigelems", "x" * 70, "y" * 5000, "z" * 20000)
    r.rpush("l:ints", *[str(v) for v in (0, 127, 128, -4096, 4095, 4096, -32768, 32767,
                                         -8388608, 8388607, 2**31 - 1, -2**31, 2**63 - 1, -2**63)])
    # sets: intset (16/32/64-bit), hashtable small & big
    r.sadd("set:int16", 1, 2, 3, -5)
    r.sadd("set:int32", 1, 100000)
    r.sadd("set:int64", 1, 2**40)
    r.sadd("set:small", "a", "b", "c")
    r.sadd("set:big", *[f"m{i}" for i in range(1000)])
    r.sadd("set:bigints", *range(600))  # > 512 entries -> hashtable
    # zsets: listpack, skiplist
    r.zadd("z:small", {"a": 1, "b": 2.5, "c": -3, "d": 1e20, "e": float("inf"), "f": 0.1})
    r.zadd("z:big", {f"m{i}": i / 3 for i in range(500)})
    r.zadd("z:longmember", {"x" * 100: 1})
    # hashes: listpack, hashtable
    r.hset("h:small", mapping={"f1": "v1", "f2": "12", "f3": ""})
    r.hset("h:big", mapping={f"f{i}": f"v{i}" for i in range(300)})
    r.hset("h:longvalue", mapping={"a": "y" * 200})
    # streams
    for i in range(5):
        r.xadd("st:small", {"name": f"n{i}", "v": i}, id=f"{1000 + i}-0")
    r.xadd("st:small", {"other": "field"}, id="2000-5")
    for i in range(250):  # several listpack nodes
        r.xadd("st:big", {"a": i, "b": "x" * (i % 7)}, id=f"{10 + i}-{i % 3}")
    r.xdel("st:big", "20-1", "21-2")
    r.xgroup_create("st:big", "g1", id="0")
    r.xgroup_create("st:big", "g2", id="$")
    r.xreadgroup("g1", "alice", {"st:big": ">"}, count=3)
    r.xreadgroup("g1", "bob", {"st:big": ">"}, count=2)
    r.execute_command("XCLAIM", "st:big", "g1", "bob", 0, "10-0", "RETRYCOUNT", 5)
    r.xgroup_createconsumer("st:big", "g2", "idle")
    r.xadd("st:empty", {"a": 1}, id="5-5")
    r.xdel("st:empty", "5-5")
    # expiries (absolute, deterministic)
    r.set("e:str", "v")
    r.pexpireat("e:str", EXPIRE_AT)
    r.rpush("e:list", "a")
    r.pexpireat("e:list", EXPIRE_AT + 1)
    # other databases
    r.select(1)
    r.set("db1:key", "one")
    r.hset("db1:hash", "a", "b")
    r.pexpireat("db1:hash", EXPIRE_AT + 2)
    r.select(5)
    r.sadd("db5:set", "x")
    r.select(0)
    r.execute_command("FUNCTION", "LOAD",
                      "#!lua name=fixturelib\nredis.register_function('f1', function() return 1 end)")


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    with Oracle() as o:
        r = o.client
        fill(r)
        manifest = {"data": to_json(snapshot(r)),
                    "functions": [lib[b"library_code"].decode() if isinstance(lib, dict) else None
                                  for lib in []]}
        libs = r.execute_command("FUNCTION", "LIST", "WITHCODE")
        manifest["functions"] = [dict(zip(l[0::2], l[1::2]))[b"library_code"].decode() for l in libs]
        r.save()
        shutil.copy(o.rdb_path, os.path.join(FIXTURES, "redis70.rdb"))
    with open(os.path.join(FIXTURES, "redis70.json"), "w") as f:
        json.dump(manifest, f, sort_keys=True, separators=(",", ":"))
    print("wrote", os.path.join(FIXTURES, "redis70.rdb"),
          os.path.getsize(os.path.join(FIXTURES, "redis70.rdb")), "bytes")


if __name__ == "__main__":
    main()
