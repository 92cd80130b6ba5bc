"""Uniform pipelines (one command repeated) run by the batch handlers (commands/batched.py)
must give exactly what running the commands one by one gives: replies compared byte for
byte with redis-server, plus the keyspace and the stats afterwards."""

import pytest

from ember.embedded import Ember
from ember.protocol.replies import ReplyError
from helpers import RawConn, encode_command


def ttl_of(conn, k):
    """TTL's reply, positive values folded into one ("some TTL"): the two servers answer a
    moment apart, and a loaded machine can move a fresh 100 s TTL across a rounding step."""
    r = conn.call("TTL", k)
    if r.startswith(b":") and int(r[1:-2]) > 0:
        return b":<positive>\r\n"
    return r


def pipeline(conn, cmds):
    conn.send(b"".join(encode_command(*c) for c in cmds))   # one write: one uniform batch
    return [conn.read_reply() for _ in cmds]


def prepare(conn, setup):
    for c in [("SELECT", "9"), ("FLUSHDB",)] + setup:
        conn.call(*c)


SETUP = [("SET", "a", "1"), ("SET", "b", "hello"), ("SET", "n", "-5"), ("SET", "big", "9223372036854775806"),
         ("SET", "ttl", "7"), ("PEXPIRE", "ttl", "100000"), ("RPUSH", "list", "x"),
         ("SET", "ba", "ab"), ("SETRANGE", "ba", "1", "c"), ("SET", "long", "v" * 12000),
         ("SET", "z", "00"), ("SET", "e", "")]

CASES = {
    "get_hits": [("GET", k) for k in ["a", "b", "a", "e", "long", "n"]],
    "get_all_misses": [("GET", k) for k in ["nope", "nope2", "nope"]],
    "get_misses": [("GET", k) for k in ["a", "nope", "b", "nope2"]],
    "get_wrongtype": [("GET", k) for k in ["a", "list", "b"]],
    "get_ttl_key": [("GET", k) for k in ["a", "ttl", "b"]],
    "get_bytearray": [("GET", k) for k in ["ba", "a"]],
    "set": [("SET", k, v) for k, v in [("a", "x"), ("new", "y"), ("a", "z"), ("ttl", "w"), ("list", "q")]],
    "mset": [("MSET", "a", "1", "b", "2"), ("MSET", "b", "3", "ttl", "4"), ("MSET", "c", "5", "c", "6")],
    "incr": [("INCR", k) for k in ["a", "a", "new", "b", "n", "big", "big", "list", "ttl", "z", "e", "new"]],
    "decr": [("DECR", k) for k in ["a", "new", "n", "b", "new"]],
    # one key repeated: the hot-counter path (one parse, replies by C loops)
    "incr_same_key": [("INCR", "a")] * 16,
    "incr_same_new_key": [("INCR", "new")] * 5,
    "decr_same_key_through_zero": [("DECR", "a")] * 4,
    "incr_same_key_not_a_number": [("INCR", "b")] * 3,
    "incr_same_key_leading_zero": [("INCR", "z")] * 3,
    "incr_same_key_overflow": [("INCR", "big")] * 3,
    "incr_same_key_ttl": [("INCR", "ttl")] * 3,
    "get_same_key": [("GET", "a")] * 16,
    "mset_wide": [("MSET",) + tuple(x for i in range(10) for x in ("k%d" % i, "v%d" % j)) for j in range(4)],
}
CHECK = ["a", "b", "c", "n", "big", "ttl", "new", "list", "z", "e", "ba", "k0", "k9"]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("resp", [2, 3])
def test_batch_equals_redis(ember_shared, redis_oracle, name, resp):
    cmds = CASES[name]
    results = []
    for srv in (ember_shared, redis_oracle):
        conn = RawConn(srv.port)
        try:
            conn.call("HELLO", str(resp))
            prepare(conn, SETUP)
            replies = pipeline(conn, cmds)
            state = [conn.call("TYPE", k) for k in CHECK]
            state += [conn.call("GET", k) for k in CHECK if k != "list"]
            state += [ttl_of(conn, k) for k in CHECK]
            results.append((replies, state))
        finally:
            conn.close()
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]


def test_batch_stats(ember_server):
    """Hits, misses, calls and dirty count each command of a batch."""
    conn = RawConn(ember_server.port)
    try:
        conn.call("SET", "a", "1")
        conn.call("CONFIG", "RESETSTAT")
        pipeline(conn, [("GET", "a"), ("GET", "x"), ("GET", "a"), ("GET", "y"), ("GET", "a")])
        pipeline(conn, [("SET", "k%d" % i, "v") for i in range(7)])
        info = conn.call("INFO", "all").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        assert fields["keyspace_hits"] == "3"
        assert fields["keyspace_misses"] == "2"
        assert fields["cmdstat_get"].startswith("calls=5,")
        assert fields["cmdstat_set"].startswith("calls=7,")
        assert conn.call("DBSIZE") == b":8\r\n"
    finally:
        conn.close()


def test_batch_respects_observers(ember_server):
    """With MONITOR, keyspace notifications or WATCH active the commands still behave one by
    one (events per command, WATCH dirtied)."""
    mon = RawConn(ember_server.port)
    sub = RawConn(ember_server.port)
    conn = RawConn(ember_server.port)
    try:
        conn.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub.call("SUBSCRIBE", "__keyevent@0__:set")
        pipeline(conn, [("SET", "k%d" % i, "v") for i in range(3)])
        events = [sub.read_reply() for _ in range(3)]
        assert [e.rsplit(b"\r\n", 2)[-2] for e in events] == [b"k0", b"k1", b"k2"]
        conn.call("CONFIG", "SET", "notify-keyspace-events", "")
        assert mon.call("MONITOR") == b"+OK\r\n"
        pipeline(conn, [("GET", "k%d" % i) for i in range(3)])
        seen = [mon.read_reply() for _ in range(3)]
        assert all(b'"GET"' in s for s in seen)
        w = RawConn(ember_server.port)
        w.call("WATCH", "k1")
        w.call("MULTI")
        w.call("GET", "k1")
        pipeline(conn, [("SET", "k%d" % i, "new") for i in range(3)])
        assert w.call("EXEC") == b"*-1\r\n"
        w.close()
    finally:
        for x in (mon, sub, conn):
            x.close()


ZSETUP = [("ZADD", "big", "1", "m" * 70), ("ZADD", "big", "2", "b"), ("ZADD", "big2", "5", "m" * 70),
          ("ZADD", "small", "1", "a"), ("SET", "str", "x"), ("ZADD", "zttl", "1", "m" * 70),
          ("PEXPIRE", "zttl", "100000")]
ZCASES = {
    "zadd_skiplist": [("ZADD", k, s, m) for k, s, m in
                      [("big", "3", "c"), ("big", "2", "b"), ("big", "7", "b"), ("big2", "0", "x"),
                       ("big", "00012", "d"), ("big", "3", "c"), ("big2", "99999999999999999", "y")]],
    "zadd_listpack": [("ZADD", k, "4", "q") for k in ["big", "small", "big"]],
    "zadd_new_key": [("ZADD", k, "4", "q") for k in ["big", "fresh", "big"]],
    "zadd_wrongtype": [("ZADD", k, "4", "q") for k in ["big", "str", "big"]],
    "zadd_ttl": [("ZADD", k, "4", "q") for k in ["big", "zttl"]],
    "zadd_float_scores": [("ZADD", "big", s, "q") for s in ["1", "1.5", "+inf", "3"]],
    "zadd_flags": [("ZADD", "big", "NX", "q"), ("ZADD", "big", "XX", "b"), ("ZADD", "big", "CH", "b")],
}
ZCHECK = ["big", "big2", "small", "fresh", "zttl"]


@pytest.mark.parametrize("name", sorted(ZCASES))
@pytest.mark.parametrize("resp", [2, 3])
def test_zadd_batch_equals_redis(ember_shared, redis_oracle, name, resp):
    results = []
    for srv in (ember_shared, redis_oracle):
        conn = RawConn(srv.port)
        try:
            conn.call("HELLO", str(resp))
            prepare(conn, ZSETUP)
            replies = pipeline(conn, ZCASES[name])
            state = [conn.call("ZRANGE", k, "0", "-1", "WITHSCORES") for k in ZCHECK]
            state += [conn.call("OBJECT", "ENCODING", k) for k in ZCHECK]
            state += [ttl_of(conn, k) for k in ZCHECK]
            results.append((replies, state))
        finally:
            conn.close()
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]


def test_zadd_batch_runs_and_counts(ember_server):
    conn = RawConn(ember_server.port)
    try:
        conn.call("ZADD", "z", "1", "m" * 70)
        conn.call("CONFIG", "RESETSTAT")
        assert pipeline(conn, [("ZADD", "z", str(i), "e%d" % (i % 3)) for i in range(6)]) == \
            [b":1\r\n"] * 3 + [b":0\r\n"] * 3
        info = conn.call("INFO", "all").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        assert fields["cmdstat_zadd"].startswith("calls=6,")
        assert conn.call("ZCARD", "z") == b":4\r\n"
        assert conn.call("ZSCORE", "z", "e0") == b"$1\r\n3\r\n"
    finally:
        conn.close()


LSETUP = [("RPUSH", "l1", "a"), ("RPUSH", "l2", "x" * 70), ("SET", "str", "x"),
          ("RPUSH", "lttl", "a"), ("PEXPIRE", "lttl", "100000")]
LCASES = {
    "lpush": [("LPUSH", k, v) for k, v in [("l1", "b"), ("l2", "c"), ("l1", "d" * 80), ("l1", "")]],
    "rpush": [("RPUSH", k, v) for k, v in [("l1", "b"), ("l2", "c"), ("l1", "e")]],
    "lpush_grows": [("LPUSH", "l1", "v%d" % i) for i in range(200)],     # listpack -> quicklist
    "lpush_new_key": [("LPUSH", k, "v") for k in ["l1", "fresh", "l1"]],
    "lpush_wrongtype": [("LPUSH", k, "v") for k in ["l1", "str", "l1"]],
    "rpush_ttl": [("RPUSH", k, "v") for k in ["l1", "lttl"]],
}
LCHECK = ["l1", "l2", "fresh", "lttl"]


@pytest.mark.parametrize("name", sorted(LCASES))
@pytest.mark.parametrize("resp", [2, 3])
def test_push_batch_equals_redis(ember_shared, redis_oracle, name, resp):
    results = []
    for srv in (ember_shared, redis_oracle):
        conn = RawConn(srv.port)
        try:
            conn.call("HELLO", str(resp))
            prepare(conn, LSETUP)
            replies = pipeline(conn, LCASES[name])
            state = [conn.call("LRANGE", k, "0", "-1") for k in LCHECK]
            state += [ttl_of(conn, k) for k in LCHECK]
            if srv is ember_shared:
                encodings = [conn.call("OBJECT", "ENCODING", k) for k in LCHECK]
            results.append((replies, state))
        finally:
            conn.close()
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]
    # encodings: the 7.0 oracle has no listpack lists, so compare with ember one by one
    one = Ember().client()
    for cmd in LSETUP + LCASES[name]:
        try:
            one.execute(*cmd)
        except ReplyError:
            pass
    expected = [one.execute("OBJECT", "ENCODING", k) if one.execute("EXISTS", k) else None for k in LCHECK]
    assert [None if e.startswith((b"$-1", b"_")) else e.split(b"\r\n")[1] for e in encodings] == expected
