"""keyspace/lazyfree.py: UNLINK, FLUSHALL/FLUSHDB ASYNC and lazyfree-lazy-user-del/-flush
free big values a slice at a time on the event loop, with Redis' counters."""

import time
from collections import namedtuple

import pytest
import redis

from ember.embedded import Ember
from ember.keyspace.lazyfree import THRESHOLD, free_effort
from helpers import RawConn, encode_command, have_redis

FILL = """
for i = 1, 10000 do redis.call('hset', 'bighash', 'f' .. i, 'v' .. i) end
for i = 1, 200 do redis.call('zadd', 'bigzset', i, 'm' .. i) end
for i = 1, 100000 do redis.call('rpush', 'biglist', 'v' .. i) end
for i = 1, 10 do redis.call('hset', 'smallhash', 'f' .. i, 'v' .. i) end
for i = 1, 100 do redis.call('rpush', 'smalllist', 'v' .. i) end
for i = 1, 1000 do redis.call('set', 'k' .. i, 'v') end
return 1
"""


Lazy = namedtuple("Lazy", "pending freed")


def _lazy(r):
    info = r.info("memory")
    return Lazy(info["lazyfree_pending_objects"], info["lazyfreed_objects"])


def _settle(r, timeout=10.0):
    end = time.time() + timeout
    while True:
        now = _lazy(r)
        if not now.pending or time.time() > end:
            return now
        time.sleep(0.02)


def _sequence(r):
    """What the counters say after each step (lazy freeing settled)."""
    out = []
    r.eval(FILL, 0)
    out.append(r.unlink("smallhash", "smalllist", "nosuchkey"))
    out.append(_settle(r))          # small values: freed at once, not counted
    out.append(r.unlink("bighash", "bigzset"))
    out.append(_settle(r))          # two big values
    r.config_set("lazyfree-lazy-user-del", "yes")
    out.append(r.delete("biglist"))
    out.append(_settle(r))          # DEL is UNLINK now
    r.config_set("lazyfree-lazy-user-del", "no")
    out.append(r.flushall(asynchronous=True))
    out.append(_settle(r))          # every key of the flushed database counts
    out.append(r.dbsize())
    r.mset({"a": 1, "b": 2})
    r.config_set("lazyfree-lazy-user-flush", "yes")
    out.append(r.flushdb())
    out.append(_settle(r))          # FLUSHDB without SYNC is ASYNC now
    r.set("c", 3)
    out.append(r.execute_command("FLUSHDB", "SYNC"))
    out.append(_settle(r))          # SYNC overrides the config
    r.config_set("lazyfree-lazy-user-flush", "no")
    return out


def _both(ember_server, redis_oracle, sequence):
    """``sequence`` run on ember and on the oracle; the oracle is shared, so its
    lazyfreed_objects are taken relative to where they stood."""
    e = redis.Redis(port=ember_server.port)
    o = redis.Redis(port=redis_oracle.port)
    o.flushall()
    before = _lazy(o).freed
    expect = [Lazy(x.pending, x.freed - before) if isinstance(x, Lazy) else x for x in sequence(o)]
    return sequence(e), expect


@pytest.mark.skipif(not have_redis(), reason="redis-server not installed")
def test_counters_match_redis(ember_server, redis_oracle):
    got, expect = _both(ember_server, redis_oracle, _sequence)
    assert got == expect
    assert got[3] == (0, 2) and got[7] == (0, 1003)     # the sequence does count


def _expire_sequence(r):
    out = []
    r.config_set("lazyfree-lazy-expire", "yes")
    r.eval("for i = 1, 10000 do redis.call('hset', 'eh', 'f' .. i, 'v') end "
           "for i = 1, 10 do redis.call('hset', 'es', 'f' .. i, 'v') end return 1", 0)
    r.pexpire("eh", 1)
    r.pexpire("es", 1)
    time.sleep(0.05)
    out.append((r.exists("eh"), r.exists("es")))   # lazy expiry on access
    out.append(_settle(r))
    r.config_set("lazyfree-lazy-expire", "no")
    r.eval("for i = 1, 10000 do redis.call('hset', 'eh', 'f' .. i, 'v') end return 1", 0)
    r.pexpire("eh", 1)
    time.sleep(0.05)
    out.append(r.exists("eh"))
    out.append(_settle(r))
    return out


@pytest.mark.skipif(not have_redis(), reason="redis-server not installed")
def test_lazy_expire_matches_redis(ember_server, redis_oracle):
    got, expect = _both(ember_server, redis_oracle, _expire_sequence)
    assert got == expect
    assert got[1] == (0, 1) and got[3] == (0, 1)


BIG = "for i = 1, 10000 do redis.call('hset', KEYS[1], 'f' .. i, 'v' .. i) end return 1"


def _server_del_sequence(r):
    """lazyfree-lazy-server-del: what the server deletes or overwrites on its own (SET,
    MSET, RENAME, COPY REPLACE, RESTORE REPLACE, STORE commands) is freed lazily; DEL
    (lazyfree-lazy-user-del), EXPIRE in the past (lazyfree-lazy-expire), RENAME's source
    and MOVE (nothing freed) are not."""
    out = []
    cases = [
        ("set", lambda: r.set("big", "x")),
        ("set-ex", lambda: r.set("big", "x", ex=100)),
        ("set-get-nx", lambda: r.set("big", "x", nx=True)),
        ("mset", lambda: r.mset({"big": "x", "a": "b"})),
        ("pipelined-sets", lambda: r.pipeline(transaction=False).set("big", "x").set("big2", "y").execute()),
        ("rename-over", lambda: r.rename("big2", "big")),
        ("rename-src", lambda: r.rename("big", "moved")),
        ("copy-replace", lambda: r.copy("big2", "big", replace=True)),
        ("restore-replace", lambda: r.restore("big", 0, r.dump("big2"), replace=True)),
        ("sort-store", lambda: r.sort("nolist", store="big")),
        ("sunionstore", lambda: r.sunionstore("big", ["nokey"])),
        ("zunionstore", lambda: r.zunionstore("big", ["nokey"])),
        ("del", lambda: r.delete("big")),
        ("expire-past", lambda: r.expire("big", -1)),
        ("move", lambda: r.move("big", 1)),
    ]
    for on in ("yes", "no"):
        r.config_set("lazyfree-lazy-server-del", on)
        for name, f in cases:
            r.flushall()
            r.eval(BIG, 1, "big")
            r.eval(BIG, 1, "big2")
            before = _settle(r).freed
            res = f()
            after = _settle(r)
            out.append((on, name, res, after.pending, after.freed - before))
    r.config_set("lazyfree-lazy-server-del", "no")
    r.flushall()
    return out


@pytest.mark.skipif(not have_redis(), reason="redis-server not installed")
def test_lazy_server_del_matches_redis(ember_server, redis_oracle):
    got, expect = _both(ember_server, redis_oracle, _server_del_sequence)
    assert [g[:3] for g in got] == [e[:3] for e in expect]
    assert [g[3:] for g in got] == [e[3:] for e in expect], list(zip(got, expect))
    lazily = [g[1] for g in got if g[4]]
    assert lazily == ["set", "set-ex", "mset", "pipelined-sets", "rename-over", "copy-replace",
                      "restore-replace", "sort-store", "sunionstore", "zunionstore"]


def _eviction_sequence(r):
    out = []
    r.config_set("maxmemory-policy", "allkeys-random")
    for on in ("no", "yes"):
        r.config_set("lazyfree-lazy-eviction", on)
        r.flushall()
        r.eval(BIG, 1, "big")
        before = _settle(r).freed
        evicted = r.info("stats")["evicted_keys"]
        r.config_set("maxmemory", 1)        # everything goes, and SET is refused after all
        try:
            out.append(r.set("x", "y"))
        except redis.ResponseError as e:
            out.append(str(e))
        finally:
            r.config_set("maxmemory", 0)
        out.append((on, r.info("stats")["evicted_keys"] - evicted, r.keys("*")))
        after = _settle(r)
        out.append((after.pending, after.freed - before))
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("lazyfree-lazy-eviction", "no")
    r.flushall()
    return out


@pytest.mark.skipif(not have_redis(), reason="redis-server not installed")
def test_lazy_eviction_matches_redis(ember_server, redis_oracle):
    got, expect = _both(ember_server, redis_oracle, _eviction_sequence)
    assert got == expect
    assert got[-1] == (0, 1) and got[2] == (0, 0) and got[1] == ("no", 1, [])


def test_flushall_async_returns_before_the_freeing(ember_server):
    c = RawConn(ember_server.port)
    r = redis.Redis(port=ember_server.port)
    r.eval("for i = 1, 200000 do redis.call('set', 'key:' .. i, 'v') end "
           "for i = 1, 20000 do redis.call('sadd', 'set', 'm' .. i) end return 1", 0)
    assert r.dbsize() == 200001
    # one read: FLUSHALL ASYNC, then what a client sees before the first freeing step
    c.send(encode_command("FLUSHALL", "ASYNC") + encode_command("DBSIZE")
           + encode_command("SET", "new", "1") + encode_command("INFO", "memory"))
    assert c.read_reply() == b"+OK\r\n"
    assert c.read_reply() == b":0\r\n"
    assert c.read_reply() == b"+OK\r\n"
    info = c.read_reply()
    assert b"lazyfree_pending_objects:200001\r\n" in info
    assert _settle(r) == (0, 200001)
    assert r.keys("*") == [b"new"]
    c.close()


def test_unlink_serves_other_clients_while_freeing(ember_server):
    r = redis.Redis(port=ember_server.port)
    r.eval("for i = 1, 300000 do redis.call('hset', 'h', 'f' .. i, 'v') end return 1", 0)
    c = RawConn(ember_server.port)
    c.send(encode_command("UNLINK", "h") + encode_command("INFO", "memory"))
    assert c.read_reply() == b":1\r\n"
    assert b"lazyfree_pending_objects:1\r\n" in c.read_reply()
    assert r.ping()
    assert r.exists("h") == 0
    assert _settle(r) == (0, 1)
    c.close()


def test_embedded_frees_at_once():
    c = Ember().client()
    c.execute("HSET", "h", *[str(i) for i in range(2000)])
    c.execute("SET", "k", "v")
    assert c.execute("UNLINK", "h", "nope") == 1
    assert c.execute("FLUSHALL", "ASYNC") == "OK"
    assert c.execute("DBSIZE") == 0
    assert c.server.lazyfree.pending == 0 and c.server.lazyfree.freed == 0
    assert not c.server.lazyfree.work


def test_free_effort_follows_the_encoding():
    c = Ember().client()
    c.execute("HSET", "small", "f", "v")
    c.execute("HSET", "big", *[str(i) for i in range(2 * 1000)])
    c.execute("ZADD", "z", *[x for i in range(200) for x in (str(i), "m%d" % i)])
    db = c.server.dbs[0]
    assert free_effort(db.data[b"small"]) == 1
    assert free_effort(db.data[b"big"]) == 1000 > THRESHOLD
    assert free_effort(db.data[b"z"]) == 200
    assert free_effort(b"x" * 100000) == 1
