"""Hash commands through the embedded client, including 7.4 field expiry (ManualClock)."""

import pytest

from ember.clock import ManualClock
from ember.embedded import Ember
from ember.protocol.replies import Map, ReplyError


@pytest.fixture
def clocked():
    clock = ManualClock()
    e = Ember(clock=clock)
    return e, e.client(), clock


def tick(e):
    """Run the server cron at the current (manual) time."""
    e.server.cron()


def test_basic(ember):
    x = ember.execute
    assert x("HSET", "h", "a", "1", "b", "2") == 2
    assert x("HSET", "h", "a", "3") == 0
    assert x("HGET", "h", "a") == b"3"
    assert x("HMGET", "h", "a", "zz") == [b"3", None]
    assert x("HGETALL", "h") == Map([(b"a", b"3"), (b"b", b"2")])
    assert x("HLEN", "h") == 2 and x("HSTRLEN", "h", "a") == 1
    assert x("HSETNX", "h", "a", "9") == 0 and x("HSETNX", "h", "c", "9") == 1
    assert x("HDEL", "h", "a", "b", "c", "zz") == 3
    assert x("EXISTS", "h") == 0
    with pytest.raises(ReplyError, match="wrong number"):
        x("HSET", "h", "a")


def test_incr(ember):
    x = ember.execute
    assert x("HINCRBY", "h", "n", "5") == 5
    assert x("HINCRBYFLOAT", "h", "n", "0.5") == b"5.5"
    with pytest.raises(ReplyError, match="hash value is not an integer"):
        x("HINCRBY", "h", "n", "1")
    x("HSET", "h", "m", "9223372036854775807")
    with pytest.raises(ReplyError, match="overflow"):
        x("HINCRBY", "h", "m", "1")


def test_encoding(ember):
    x = ember.execute
    x("CONFIG", "SET", "hash-max-listpack-entries", "2")
    x("HSET", "h", "a", "1", "b", "2")
    assert x("OBJECT", "ENCODING", "h") == b"listpack"
    x("HSET", "h", "c", "3")
    assert x("OBJECT", "ENCODING", "h") == b"hashtable"
    x("HDEL", "h", "a", "b")
    assert x("OBJECT", "ENCODING", "h") == b"hashtable"
    x("HSET", "v", "f", "x" * 65)
    assert x("OBJECT", "ENCODING", "v") == b"hashtable"


def test_hrandfield(ember):
    x = ember.execute
    x("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert x("HRANDFIELD", "h") in (b"a", b"b", b"c")
    assert sorted(x("HRANDFIELD", "h", "5")) == [b"a", b"b", b"c"]
    assert len(x("HRANDFIELD", "h", "-7")) == 7
    r = x("HRANDFIELD", "h", "2", "WITHVALUES")
    assert len(r) == 4 and dict(zip(r[::2], r[1::2])).items() <= {b"a": b"1", b"b": b"2", b"c": b"3"}.items()
    assert x("HRANDFIELD", "nokey", "2") == []


def test_hscan_big_and_novalues(ember):
    x = ember.execute
    for i in range(600):
        x("HSET", "h", "f%d" % i, "v")
    seen, cursor = set(), b"0"
    while True:
        cursor, items = x("HSCAN", "h", cursor, "COUNT", "100", "NOVALUES")
        seen.update(items)
        if cursor == b"0":
            break
    assert len(seen) == 600
    assert x("HSCAN", "h", "0", "MATCH", "f59?", "COUNT", "1000")[1][::2] == [b"f59%d" % i for i in range(10)]


def test_field_expiry_lazy(clocked):
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "a", "1", "b", "2")
    assert x("HEXPIRE", "h", "10", "FIELDS", "2", "a", "zz") == [1, -2]
    assert x("OBJECT", "ENCODING", "h") == b"listpackex"
    assert x("HTTL", "h", "FIELDS", "2", "a", "b") == [10, -1]
    assert x("HPTTL", "h", "FIELDS", "1", "a") == [10000]
    now = int(clock.time() * 1000)
    assert x("HPEXPIRETIME", "h", "FIELDS", "1", "a") == [now + 10000]
    assert x("HEXPIRETIME", "h", "FIELDS", "1", "a") == [(now + 10000 + 999) // 1000]
    clock.advance(10)
    assert x("HGET", "h", "a") is None
    assert x("HLEN", "h") == 1
    assert x("HGETALL", "h") == Map([(b"b", b"2")])
    assert x("HTTL", "h", "FIELDS", "1", "a") == [-2]


def test_field_expiry_conditions(clocked):
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "f", "v", "g", "w")
    assert x("HEXPIRE", "h", "100", "XX", "FIELDS", "1", "f") == [0]
    assert x("HEXPIRE", "h", "100", "GT", "FIELDS", "1", "f") == [0]
    assert x("HEXPIRE", "h", "100", "NX", "FIELDS", "1", "f") == [1]
    assert x("HEXPIRE", "h", "50", "NX", "FIELDS", "1", "f") == [0]
    assert x("HEXPIRE", "h", "200", "GT", "FIELDS", "1", "f") == [1]
    assert x("HEXPIRE", "h", "300", "LT", "FIELDS", "1", "f") == [0]
    assert x("HEXPIRE", "h", "100", "LT", "FIELDS", "1", "f") == [1]
    assert x("HPERSIST", "h", "FIELDS", "3", "f", "g", "zz") == [1, -1, -2]
    assert x("HEXPIRE", "h", "0", "FIELDS", "1", "f") == [2]
    assert x("HEXISTS", "h", "f") == 0
    now_s = int(clock.time())
    assert x("HEXPIREAT", "h", str(now_s - 1), "FIELDS", "1", "g") == [2]
    assert x("EXISTS", "h") == 0
    assert x("HEXPIRE", "h", "10", "FIELDS", "1", "g") == [-2]
    assert x("HTTL", "nokey", "FIELDS", "2", "a", "b") == [-2, -2]


def test_field_ttl_cleared_by_write(clocked):
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "a", "1", "n", "5")
    x("HEXPIRE", "h", "100", "FIELDS", "2", "a", "n")
    x("HSET", "h", "a", "2")
    assert x("HTTL", "h", "FIELDS", "1", "a") == [-1]
    x("HINCRBY", "h", "n", "1")
    assert x("HTTL", "h", "FIELDS", "1", "n") == [100]


def test_field_expiry_errors(ember):
    x = ember.execute
    x("HSET", "h", "a", "1")
    x("SET", "s", "v")
    cases = [
        (("HEXPIRE", "s", "abc", "FIELDS", "1", "a"), "WRONGTYPE"),
        (("HEXPIRE", "h", "abc", "FIELDS", "1", "a"), "ERR value is not an integer"),
        (("HEXPIRE", "h", "-1", "FIELDS", "1", "a"), "ERR invalid expire time, must be >= 0"),
        (("HEXPIRE", "h", "10", "FIELDS", "2", "a"), "ERR The `numfields` parameter must match"),
        (("HEXPIRE", "h", "10", "FIELDS", "0", "a"), "ERR Parameter `numFields` should be greater than 0"),
        (("HEXPIRE", "h", "10", "NOPE", "1", "a"), "ERR Mandatory argument FIELDS is missing"),
        (("HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "a"), "ERR Mandatory argument FIELDS"),
        (("HEXPIRE", "h", "1000000000000", "FIELDS", "1", "a"), "ERR invalid expire time in 'hexpire'"),
        (("HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a"), "ERR invalid expire time in 'hpexpireat'"),
        (("HTTL", "h", "FIELDS", "x", "a"), "ERR Number of fields must be a positive integer"),
        (("HPERSIST", "h", "FIELDS", "2", "a"), "ERR The `numfields` parameter must match"),
        (("HTTL", "s", "FIELDS", "1", "a"), "WRONGTYPE"),
    ]
    for args, msg in cases:
        with pytest.raises(ReplyError) as ei:
            x(*args)
        assert ei.value.message.startswith(msg), (args, ei.value.message)
    assert x("HPEXPIREAT", "h", "70368744177663", "FIELDS", "1", "a") == [1]


def test_field_expiry_active(clocked):
    e, c, clock = clocked
    x = c.execute
    events = []

    class Recorder:
        flags = (1 << 16) - 1

        def __call__(self, cls, ev, key, db):
            events.append((ev, key))

    e.server.notifier = Recorder()
    x("HSET", "h", "a", "1", "b", "2")
    x("HSET", "g", "a", "1", "b", "2")
    x("HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b")
    x("HPEXPIRE", "g", "100", "FIELDS", "1", "a")
    x("RENAME", "g", "g2")
    clock.advance(0.2)
    tick(e)
    assert (b"hexpired", b"h") in events and (b"del", b"h") in events
    assert b"h" not in e.server.dbs[0].data
    assert e.server.dbs[0].data[b"g2"].to_dict() == {b"b": b"2"}


def test_field_expiry_key_hook_only_while_field_ttls_are_tracked(clocked):
    e, c, clock = clocked
    x = c.execute
    hooks = e.server.key_hooks
    base = len(hooks)
    x("HSET", "h", "a", "1", "b", "2")
    assert len(hooks) == base
    x("HPEXPIRE", "h", "100", "FIELDS", "1", "a")
    fe = e.server.subsystems["hash_field_expiry"]
    assert fe.on_key in hooks
    x("RENAME", "h", "h2")                      # the hook re-tracks it under its new name
    clock.advance(0.2)
    tick(e)
    assert x("HGETALL", "h2") == Map([(b"b", b"2")])
    assert fe.on_key not in hooks and len(hooks) == base
    x("HPEXPIRE", "h2", "100", "FIELDS", "1", "b")   # back on with the next field TTL
    assert fe.on_key in hooks
    clock.advance(0.2)
    tick(e)
    assert x("EXISTS", "h2") == 0 and fe.on_key not in hooks


def test_copy_keeps_field_ttl(clocked):
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "a", "1", "b", "2")
    x("HEXPIRE", "h", "10", "FIELDS", "1", "a")
    x("COPY", "h", "h2")
    assert x("HTTL", "h2", "FIELDS", "1", "a") == [10]
    clock.advance(11)
    tick(e)
    assert e.server.dbs[0].data[b"h2"].to_dict() == {b"b": b"2"}


def _dbsize(e, i):
    return len(e.server.dbs[i].data)


@pytest.mark.parametrize("how", ["swapdb", "move", "copy_db", "swapdb_twice"])
def test_field_expiry_follows_the_hash_to_another_db(clocked, how):
    # Redis 7.4 keeps the hash-field expiry index with the db's contents (SWAPDB swaps it,
    # MOVE/COPY DB register the hash in the target db): the fields still expire actively
    # there, which DBSIZE shows without touching the key (no lazy expiry).
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "a", "1", "b", "2")
    x("HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b")
    if how == "swapdb":
        x("SWAPDB", "0", "1")
        where = 1
    elif how == "swapdb_twice":
        x("SWAPDB", "0", "1")
        x("SWAPDB", "1", "2")           # the hash now lives in db 2
        where = 2
    elif how == "move":
        assert x("MOVE", "h", "1") == 1
        where = 1
    else:
        assert x("COPY", "h", "h", "DB", "1") == 1
        where = 1
    assert _dbsize(e, where) == 1
    clock.advance(0.2)
    tick(e)
    assert _dbsize(e, where) == 0
    assert _dbsize(e, 0) == 0


def test_field_expiry_swapdb_then_write_under_the_old_db(clocked):
    # after SWAPDB, a new hash with the same name in the old db has its own TTLs
    e, c, clock = clocked
    x = c.execute
    x("HSET", "h", "a", "1", "b", "2")
    x("HPEXPIRE", "h", "100", "FIELDS", "1", "a")
    x("SWAPDB", "0", "1")
    x("HSET", "h", "a", "1", "b", "2")
    x("HPEXPIRE", "h", "300", "FIELDS", "1", "b")
    clock.advance(0.2)
    tick(e)
    assert e.server.dbs[1].data[b"h"].to_dict() == {b"b": b"2"}      # active, db 1
    assert e.server.dbs[0].data[b"h"].to_dict() == {b"a": b"1", b"b": b"2"}
    clock.advance(0.2)
    tick(e)
    assert e.server.dbs[0].data[b"h"].to_dict() == {b"a": b"1"}
