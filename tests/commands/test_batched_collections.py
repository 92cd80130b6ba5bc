"""Batch handlers of the collection commands (commands/batched.py: LPOP/RPOP, ZPOPMIN/ZPOPMAX,
BZPOPMIN/BZPOPMAX, HSET, SADD, SPOP, ZRANGE, LRANGE): a uniform pipeline must give what the
commands give one by one.  Two checks: replies and contents against redis-server over TCP,
and, in-process, the batch handler against one-by-one execution on an identical server
(same random seed: SPOP), comparing the reply bytes, every key's DUMP (contents and
encoding), OBJECT ENCODING and the dirty counter."""

import random

import pytest

from ember.commands.dispatch import execute, execute_batch
from ember.embedded import Ember
from ember.protocol.encoder import encode
from helpers import RawConn, encode_command


def ttl_of(conn, k):
    """TTL's reply, positive values folded into one ("some TTL"): the two servers answer a
    moment apart, and a loaded machine can move a fresh 100 s TTL across a rounding step."""
    r = conn.call("TTL", k)
    if r.startswith(b":") and int(r[1:-2]) > 0:
        return b":<positive>\r\n"
    return r

SETUP = [
    ("RPUSH", "l1", "a", "b", "c", "d", "e"), ("RPUSH", "l2", "x" * 70, "y", "z"),
    ("RPUSH", "lone", "only"), ("RPUSH", "lbig") + tuple("v%d-%s" % (i, "x" * 40) for i in range(300)),
    ("RPUSH", "lttl", "a", "b"), ("PEXPIRE", "lttl", "100000"),
    ("ZADD", "z1", "1", "a", "2", "b", "2", "c", "3.5", "d", "-inf", "lo", "1125899906842624", "hi"),
    ("ZADD", "z2", "5", "m" * 70, "6", "n", "0.25", "o"),
    ("ZADD", "zone", "1", "a"), ("ZADD", "zttl", "1", "a", "2", "b"), ("PEXPIRE", "zttl", "100000"),
    ("HSET", "h1", "f", "1"), ("HSET", "h2", "g", "2", "h", "3"), ("HSET", "httl", "f", "1"),
    ("PEXPIRE", "httl", "100000"),
    ("SADD", "s1", "1", "2", "3"), ("SADD", "s2", "a", "b", "c", "d"),
    ("SADD", "sbig") + tuple("m%d" % i for i in range(200)), ("SADD", "sone", "x"),
    ("SET", "str", "v"),
]
KEYS = ["l1", "l2", "lone", "lbig", "lttl", "z1", "z2", "zone", "zttl", "h1", "h2", "httl",
        "s1", "s2", "sbig", "sone", "str", "fresh"]

CASES = {
    "rpop_one_key": [("RPOP", "l1")] * 4,
    "lpop_one_key": [("LPOP", "lbig")] * 16,
    "rpop_keys": [("RPOP", k) for k in ["l1", "l2", "l1", "lbig"]],
    "rpop_to_empty": [("RPOP", "l1")] * 6,
    "rpop_lone": [("RPOP", "lone"), ("RPOP", "l1")],
    "rpop_missing": [("RPOP", k) for k in ["l1", "fresh"]],
    "rpop_wrongtype": [("RPOP", k) for k in ["l1", "str"]],
    "rpop_ttl": [("RPOP", k) for k in ["l1", "lttl"]],
    "lpop_shrinks_to_listpack": [("LPOP", "lbig")] * 290,
    "zpopmin_one_key": [("ZPOPMIN", "z1")] * 5,
    "zpopmax_keys": [("ZPOPMAX", k) for k in ["z1", "z2", "z1"]],
    "zpopmin_to_empty": [("ZPOPMIN", "z2")] * 4,
    "zpopmin_wrongtype": [("ZPOPMIN", k) for k in ["z1", "str"]],
    "zpopmin_ttl": [("ZPOPMIN", k) for k in ["z1", "zttl"]],
    "bzpopmin_one_key": [("BZPOPMIN", "z1", "0")] * 3,
    "bzpopmax_timeouts": [("BZPOPMAX", "z1", t) for t in ["0", "1.5", "10"]],
    "bzpopmin_bad_timeout": [("BZPOPMIN", "z1", t) for t in ["0", "x", "-1"]],
    "bzpopmin_keys": [("BZPOPMIN", k, "0") for k in ["z1", "z2"]],
    "bzpopmin_to_empty": [("BZPOPMIN", "zone", "0.01")],
    "hset_one_key": [("HSET", "h1", "f%d" % (i % 5), "v%d" % i) for i in range(12)],
    "hset_keys": [("HSET", k, "f", "x") for k in ["h1", "h2", "h1"]],
    "hset_grows": [("HSET", "h1", "f%d" % i, "v") for i in range(140)] + [("HSET", "h2", "g", "w" * 80)],
    "hset_binary": [("HSET", "h1", "f\x00", "v"), ("HSET", "h1", "f", "\x01")],
    "hset_new_key": [("HSET", k, "f", "x") for k in ["h1", "fresh"]],
    "hset_wrongtype": [("HSET", k, "f", "x") for k in ["h1", "str"]],
    "hset_ttl": [("HSET", k, "f", "x") for k in ["h1", "httl"]],
    "sadd_intset": [("SADD", "s1", m) for m in ["4", "2", "5", "4"]],
    "sadd_intset_to_hashtable": [("SADD", "s1", m) for m in ["7", "x", "8"]],
    "sadd_keys": [("SADD", k, "q") for k in ["s1", "s2", "s2", "sbig"]],
    "sadd_grows": [("SADD", "s2", "e%d" % i) for i in range(140)],
    "sadd_new_key": [("SADD", k, "q") for k in ["s1", "fresh"]],
    "sadd_wrongtype": [("SADD", k, "q") for k in ["s1", "str"]],
    "zrange_same": [("ZRANGE", "z1", "0", "-1", "WITHSCORES")] * 4,
    "zrange_same_plain": [("ZRANGE", "z1", "1", "2")] * 3,
    "zrange_different": [("ZRANGE", "z1", "0", str(i), "WITHSCORES") for i in range(4)] +
                        [("ZRANGE", "z2", "0", "-1", "WITHSCORES")],
    "zrange_byscore": [("ZRANGE", "z1", "(1", "+inf", "BYSCORE", "LIMIT", "0", "2")] * 3,
    "zrange_errors": [("ZRANGE", k, "0", "1") for k in ["z1", "str", "fresh", "z2"]],
    "zrange_same_error": [("ZRANGE", "z1", "0", "x")] * 3,
    "zrange_bad_syntax": [("ZRANGE", "z1", "0", "1", "LIMIT")] * 2,
    "zrange_ttl": [("ZRANGE", k, "0", "1") for k in ["z1", "zttl"]],
    "zrange_arity": [("ZRANGE", "z1", "0")] * 2,
    "lrange_same": [("LRANGE", "lbig", "0", "99")] * 5,
    "lrange_different": [("LRANGE", k, "0", "-1") for k in ["l1", "l2", "fresh", "str"]],
    "lrange_arity": [("LRANGE", "l1", "0", "1", "2")] * 2,
}
# the cases the batch handler takes (the others it declines, and the commands run one by one)
TAKEN = {"rpop_one_key", "lpop_one_key", "rpop_keys", "lpop_shrinks_to_listpack",
         "zpopmin_one_key", "zpopmax_keys", "bzpopmin_one_key", "bzpopmax_timeouts",
         "hset_one_key", "hset_keys", "hset_grows", "hset_binary", "sadd_intset",
         "sadd_intset_to_hashtable", "sadd_keys", "sadd_grows", "zrange_same",
         "zrange_same_plain", "zrange_different", "zrange_byscore", "zrange_errors",
         "lrange_same", "lrange_different", "spop_one_key", "spop_keys", "spop_hashtable"}
# SPOP is random: in-process only, with the same seed on both sides
IN_PROCESS_ONLY = {
    "spop_one_key": [("SPOP", "s2")] * 3,
    "spop_keys": [("SPOP", k) for k in ["s1", "s2", "sbig", "s2"]],
    "spop_hashtable": [("SPOP", "sbig")] * 16,
    "spop_to_empty": [("SPOP", "s1")] * 3,
    "spop_wrongtype": [("SPOP", k) for k in ["s1", "str"]],
}


def _b(args):
    return [a.encode() if isinstance(a, str) else a for a in args]


def _server(resp3):
    e = Ember()
    cl = e.client()
    for cmd in SETUP:
        cl.execute(*cmd)
    if resp3:
        cl.execute("HELLO", "3")
    return e, cl


def _state(e, cl):
    out = []
    for k in KEYS:
        pttl = cl.execute("PTTL", k)        # the clock runs: whether there is a TTL
        out.append((k, cl.execute("DUMP", k),
                    cl.execute("OBJECT", "ENCODING", k) if cl.execute("EXISTS", k) else None,
                    pttl if pttl < 0 else "ttl"))
    return out, e.server.dirty


@pytest.mark.parametrize("name", sorted(CASES) + sorted(IN_PROCESS_ONLY))
@pytest.mark.parametrize("resp3", [False, True])
def test_batch_equals_one_by_one(name, resp3):
    cmds = [_b(c) for c in CASES.get(name) or IN_PROCESS_ONLY[name]]
    # the batch
    e, cl = _server(resp3)
    c = cl.client
    random.seed(7)
    e.server.now_ms = e.server.clock_ms()
    data = execute_batch(c, [list(col) for col in zip(*cmds)])
    assert (data is not None) == (name in TAKEN)
    if data is None:
        return
    batch_state = _state(e, cl)
    # one by one
    e, cl = _server(resp3)
    c = cl.client
    random.seed(7)
    e.server.now_ms = e.server.clock_ms()
    one = b"".join(encode(execute(c, argv), resp3) for argv in cmds)
    assert data == one
    assert batch_state == _state(e, cl)


def pipeline(conn, cmds):
    conn.send(b"".join(encode_command(*c) for c in cmds))   # one write: one uniform batch
    return [conn.read_reply() for _ in cmds]


STATE_7_0 = {"l": None, "z": ("ZRANGE", "0", "-1", "WITHSCORES"), "h": ("HGETALL",), "s": ("SMEMBERS",)}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("resp", [2, 3])
def test_batch_equals_redis(ember_shared, redis_oracle, name, resp):
    results = []
    for srv in (ember_shared, redis_oracle):
        conn = RawConn(srv.port)
        try:
            conn.call("HELLO", str(resp))
            for cmd in [("SELECT", "9"), ("FLUSHDB",)] + SETUP:
                conn.call(*cmd)
            replies = pipeline(conn, CASES[name])
            state = []
            for k in KEYS:
                state.append(ttl_of(conn, k))
                if k[0] == "l":
                    state.append(conn.call("LRANGE", k, "0", "-1"))
                elif k[0] == "z":
                    state.append(conn.call("ZRANGE", k, "0", "-1", "WITHSCORES"))
                elif k[0] == "h":
                    state.append(sorted(pipeline(conn, [("HGETALL", k)])[0].split(b"\r\n")))
                elif k[0] == "s":
                    state.append(sorted(conn.call("SMEMBERS", k).split(b"\r\n")))
                if k[0] in "zh":        # the 7.0 oracle agrees on these encodings
                    state.append(conn.call("OBJECT", "ENCODING", k))
            results.append((replies, state))
        finally:
            conn.close()
    assert results[0][0] == results[1][0]
    assert results[0][1] == results[1][1]


def test_batch_stats(ember_server):
    """Calls, failed calls and error stats count each command of a batch."""
    conn = RawConn(ember_server.port)
    try:
        conn.call("RPUSH", "l", *["v%d" % i for i in range(20)])
        conn.call("ZADD", "z", "1", "a", "2", "b")
        conn.call("SET", "s", "x")
        conn.call("CONFIG", "RESETSTAT")
        pipeline(conn, [("RPOP", "l")] * 7)
        pipeline(conn, [("ZRANGE", k, "0", "-1") for k in ["z", "s", "z", "s"]])
        info = conn.call("INFO", "all").decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        assert fields["cmdstat_rpop"].startswith("calls=7,")
        assert fields["cmdstat_zrange"].startswith("calls=4,")
        assert "failed_calls=2" in fields["cmdstat_zrange"]
        assert fields["errorstat_WRONGTYPE"] == "count=2"
        assert conn.call("LLEN", "l") == b":13\r\n"
    finally:
        conn.close()
