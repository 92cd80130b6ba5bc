"""Unit tests for list commands and the blocking machinery through the embedded client."""

import pytest

from ember.clock import ManualClock
from ember.embedded import Ember
from ember.keyspace.blocking import blocked_count, parse_timeout
from ember.protocol.replies import NULL_ARRAY, NO_REPLY, ReplyError


@pytest.fixture
def clock():
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def e(clock):
    return Ember(clock=clock)


@pytest.fixture
def c(e):
    return e.client()


def err(c, *args):
    with pytest.raises(ReplyError) as ex:
        c.execute(*args)
    return ex.value.message


def L(c, key):
    return c.execute("LRANGE", key, 0, -1)


def test_push_pop_basic(c):
    assert c.execute("RPUSH", "l", "a", "b", "c") == 3
    assert c.execute("LPUSH", "l", "x", "y") == 5
    assert L(c, "l") == [b"y", b"x", b"a", b"b", b"c"]
    assert c.execute("LPOP", "l") == b"y"
    assert c.execute("RPOP", "l") == b"c"
    assert c.execute("LPOP", "l", 2) == [b"x", b"a"]
    assert c.execute("RPOP", "l", 5) == [b"b"]
    assert c.execute("EXISTS", "l") == 0
    assert c.execute("LPOP", "l") is None
    assert c.execute("LPOP", "l", 2) is NULL_ARRAY
    assert c.execute("LPOP", "l", 0) is NULL_ARRAY
    c.execute("RPUSH", "l", "a")
    assert c.execute("LPOP", "l", 0) == []
    assert err(c, "LPOP", "l", "-1") == "ERR value is out of range, must be positive"
    assert err(c, "LPOP", "l", "x") == "ERR value is out of range, must be positive"
    assert err(c, "LPOP", "l", "1", "2") == "ERR wrong number of arguments for 'lpop' command"


def test_pushx_and_wrongtype(c):
    assert c.execute("LPUSHX", "l", "a") == 0
    assert c.execute("RPUSHX", "l", "a") == 0
    assert c.execute("EXISTS", "l") == 0
    c.execute("RPUSH", "l", "a")
    assert c.execute("RPUSHX", "l", "b", "c") == 3
    assert c.execute("LPUSHX", "l", "z") == 4
    c.execute("SET", "s", "v")
    wt = "WRONGTYPE Operation against a key holding the wrong kind of value"
    for cmd in (("LPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LPOP", "s"), ("LLEN", "s"),
                ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "x"),
                ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1),
                ("LPOS", "s", "a"), ("LMOVE", "l", "s", "LEFT", "LEFT"), ("BLPOP", "s", 0),
                ("LMPOP", 1, "s", "LEFT")):
        assert err(c, *cmd) == wt, cmd
    assert c.execute("LLEN", "l") == 4      # the failed LMOVE did not pop


def test_index_range_set(c):
    c.execute("RPUSH", "l", *"abcde")
    assert c.execute("LINDEX", "l", 0) == b"a"
    assert c.execute("LINDEX", "l", -1) == b"e"
    assert c.execute("LINDEX", "l", 5) is None
    assert c.execute("LINDEX", "l", -6) is None
    assert c.execute("LINDEX", "nokey", "x") is None
    assert err(c, "LINDEX", "l", "x") == "ERR value is not an integer or out of range"
    assert c.execute("LRANGE", "l", 1, 2) == [b"b", b"c"]
    assert c.execute("LRANGE", "l", -2, 100) == [b"d", b"e"]
    assert c.execute("LRANGE", "l", -100, 0) == [b"a"]
    assert c.execute("LRANGE", "l", 3, 1) == []
    assert c.execute("LRANGE", "nokey", 0, -1) == []
    assert c.execute("LSET", "l", -1, "E") == "OK"
    assert c.execute("LSET", "l", 1, "B") == "OK"
    assert L(c, "l") == [b"a", b"B", b"c", b"d", b"E"]
    assert err(c, "LSET", "l", 5, "x") == "ERR index out of range"
    assert err(c, "LSET", "nokey", 0, "x") == "ERR no such key"
    assert err(c, "LSET", "l", "x", "x") == "ERR value is not an integer or out of range"
    assert c.execute("LLEN", "l") == 5
    assert c.execute("LLEN", "nokey") == 0


def test_insert_rem_trim(c):
    c.execute("RPUSH", "l", "a", "b", "a", "c", "a")
    assert c.execute("LINSERT", "l", "BEFORE", "b", "X") == 6
    assert c.execute("LINSERT", "l", "after", "c", "Y") == 7
    assert c.execute("LINSERT", "l", "AFTER", "zz", "Y") == -1
    assert c.execute("LINSERT", "nokey", "AFTER", "zz", "Y") == 0
    assert err(c, "LINSERT", "l", "MIDDLE", "a", "b") == "ERR syntax error"
    assert L(c, "l") == [b"a", b"X", b"b", b"a", b"c", b"Y", b"a"]
    assert c.execute("LREM", "l", -1, "a") == 1
    assert L(c, "l") == [b"a", b"X", b"b", b"a", b"c", b"Y"]
    assert c.execute("LREM", "l", 1, "a") == 1
    assert c.execute("LREM", "l", 0, "nothing") == 0
    assert c.execute("LREM", "nokey", 0, "a") == 0
    assert L(c, "l") == [b"X", b"b", b"a", b"c", b"Y"]
    assert c.execute("LTRIM", "l", 1, -2) == "OK"
    assert L(c, "l") == [b"b", b"a", b"c"]
    assert c.execute("LTRIM", "nokey", 0, 1) == "OK"
    assert c.execute("LTRIM", "l", 5, 10) == "OK"
    assert c.execute("EXISTS", "l") == 0
    c.execute("RPUSH", "l", "a", "a")
    assert c.execute("LREM", "l", 0, "a") == 2
    assert c.execute("EXISTS", "l") == 0


def test_lpos(c):
    c.execute("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert c.execute("LPOS", "l", "c") == 2
    assert c.execute("LPOS", "l", "c", "RANK", 2) == 6
    assert c.execute("LPOS", "l", "c", "RANK", -1) == 7
    assert c.execute("LPOS", "l", "c", "RANK", -1, "COUNT", 2) == [7, 6]
    assert c.execute("LPOS", "l", "c", "COUNT", 0) == [2, 6, 7]
    assert c.execute("LPOS", "l", "c", "COUNT", 0, "MAXLEN", 3) == [2]
    assert c.execute("LPOS", "l", "zz") is None
    assert c.execute("LPOS", "l", "zz", "COUNT", 1) == []
    assert c.execute("LPOS", "nokey", "zz") is None
    assert c.execute("LPOS", "nokey", "zz", "COUNT", 0) == []
    assert err(c, "LPOS", "l", "c", "RANK", 0).startswith("ERR RANK can't be zero")
    assert err(c, "LPOS", "l", "c", "COUNT", -1) == "ERR COUNT can't be negative"
    assert err(c, "LPOS", "l", "c", "MAXLEN", "x") == "ERR MAXLEN can't be negative"
    assert err(c, "LPOS", "l", "c", "RANK", "-9223372036854775808").startswith("ERR value is out of range")
    assert err(c, "LPOS", "l", "c", "FOO") == "ERR syntax error"


def test_lmove_rpoplpush(c):
    c.execute("RPUSH", "a", "1", "2", "3")
    assert c.execute("LMOVE", "a", "b", "LEFT", "RIGHT") == b"1"
    assert c.execute("RPOPLPUSH", "a", "b") == b"3"
    assert L(c, "b") == [b"3", b"1"]
    assert c.execute("LMOVE", "a", "a", "LEFT", "RIGHT") == b"2"      # rotation of one
    assert L(c, "a") == [b"2"]
    assert c.execute("LMOVE", "nokey", "b", "LEFT", "LEFT") is None
    assert err(c, "LMOVE", "a", "b", "UP", "LEFT") == "ERR syntax error"
    assert c.execute("RPOPLPUSH", "a", "b") == b"2"
    assert c.execute("EXISTS", "a") == 0


def test_lmpop(c):
    c.execute("RPUSH", "b", "1", "2", "3")
    assert c.execute("LMPOP", 2, "a", "b", "LEFT") == [b"b", [b"1"]]
    assert c.execute("LMPOP", 2, "a", "b", "RIGHT", "COUNT", 10) == [b"b", [b"3", b"2"]]
    assert c.execute("LMPOP", 1, "b", "LEFT") is NULL_ARRAY
    assert err(c, "LMPOP", 0, "b", "LEFT") == "ERR numkeys should be greater than 0"
    assert err(c, "LMPOP", "x", "b", "LEFT") == "ERR numkeys should be greater than 0"
    assert err(c, "LMPOP", 2, "b", "LEFT") == "ERR syntax error"
    assert err(c, "LMPOP", 1, "b", "LEFT", "COUNT", 0) == "ERR count should be greater than 0"
    assert err(c, "LMPOP", 1, "b", "LEFT", "COUNT", 1, "COUNT", 1) == "ERR syntax error"
    assert err(c, "LMPOP", 1, "b", "MIDDLE") == "ERR syntax error"


def test_encoding_listpack_to_quicklist_and_back(c):
    c.execute("RPUSH", "l", "a", "b")
    assert c.execute("OBJECT", "ENCODING", "l") in (b"listpack", "listpack")
    c.execute("RPUSH", "l", "x" * 9000)
    assert c.execute("OBJECT", "ENCODING", "l") in (b"quicklist", "quicklist")
    c.execute("RPOP", "l")
    assert c.execute("OBJECT", "ENCODING", "l") in (b"listpack", "listpack")
    c.execute("CONFIG", "SET", "list-max-listpack-size", "4")
    c.execute("RPUSH", "m", 1, 2, 3, 4)
    assert c.execute("OBJECT", "ENCODING", "m") in (b"listpack", "listpack")
    c.execute("RPUSH", "m", 5)
    assert c.execute("OBJECT", "ENCODING", "m") in (b"quicklist", "quicklist")
    c.execute("RPOP", "m", 3)
    assert c.execute("OBJECT", "ENCODING", "m") in (b"listpack", "listpack")


def test_timeout_parsing():
    assert parse_timeout(b"0") == 0
    assert parse_timeout(b"1.5") == 1.5
    assert parse_timeout(b"0.0001") == 0.001        # rounded up to a millisecond
    assert parse_timeout(b"-0.0001") == 0            # rounds to 0: block forever, as Redis
    assert parse_timeout(b"0x10") == 16
    for bad in (b"x", b" 1", b"1 ", b"nan", b"", b"1_0"):
        with pytest.raises(ReplyError) as ex:
            parse_timeout(bad)
        assert ex.value.message == "ERR timeout is not a float or out of range"
    with pytest.raises(ReplyError) as ex:
        parse_timeout(b"-1")
    assert ex.value.message == "ERR timeout is negative"


# ---- blocking (embedded: served replies arrive in client.pushes) -----------------------------
def test_blpop_immediate_and_blocking(e, c):
    c.execute("RPUSH", "l", "a")
    assert c.execute("BLPOP", "nokey", "l", 0) == [b"l", b"a"]
    w = e.client()
    assert w.execute("BLPOP", "l", "l2", 0) is NO_REPLY
    assert blocked_count(e.server) == 1
    assert w.client.blocked is not None
    c.execute("RPUSH", "l2", "x", "y")
    assert w.pushes == [b"*2\r\n$2\r\nl2\r\n$1\r\nx\r\n"]
    assert w.client.blocked is None and blocked_count(e.server) == 0
    assert L(c, "l2") == [b"y"]


def test_fifo_and_one_element_each(e, c):
    ws = [e.client() for _ in range(3)]
    for w in ws:
        assert w.execute("BRPOP", "q", 0) is NO_REPLY
    c.execute("LPUSH", "q", "1", "2")
    assert ws[0].pushes == [b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n"]
    assert ws[1].pushes == [b"*2\r\n$1\r\nq\r\n$1\r\n2\r\n"]
    assert ws[2].pushes == []
    assert c.execute("EXISTS", "q") == 0
    c.execute("RPUSH", "q", "3")
    assert ws[2].pushes == [b"*2\r\n$1\r\nq\r\n$1\r\n3\r\n"]


def test_timeout_via_cron(e, c, clock):
    w = e.client()
    assert w.execute("BLPOP", "q", "1.5") is NO_REPLY
    clock.advance(1.0)
    e.cron()
    assert w.pushes == []
    clock.advance(0.6)
    e.cron()
    assert w.pushes == [b"*-1\r\n"]
    assert blocked_count(e.server) == 0


def test_multi_does_not_block(c):
    c.execute("MULTI")
    c.execute("BLPOP", "q", 0)
    c.execute("BLMOVE", "q", "d", "LEFT", "LEFT", 0)
    c.execute("BRPOPLPUSH", "q", "d", 0)
    c.execute("BLMPOP", 0, 1, "q", "LEFT")
    assert c.execute("EXEC") == [NULL_ARRAY, None, None, NULL_ARRAY]


def test_lpush_in_multi_serves_after_exec(e, c):
    w = e.client()
    w.execute("BLPOP", "q", 0)
    c.execute("MULTI")
    c.execute("LPUSH", "q", "a")
    c.execute("LPUSH", "q", "b")
    c.execute("LPUSH", "q", "c")
    assert w.pushes == []
    c.execute("EXEC")
    assert w.pushes == [b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"]
    assert L(c, "q") == [b"b", b"a"]


def test_blmove_chain(e, c):
    w1 = e.client()
    w2 = e.client()
    w1.execute("BLMOVE", "a", "b", "LEFT", "RIGHT", 0)
    w2.execute("BLPOP", "b", 0)
    c.execute("RPUSH", "a", "v")
    assert w1.pushes == [b"$1\r\nv\r\n"]
    assert w2.pushes == [b"*2\r\n$1\r\nb\r\n$1\r\nv\r\n"]
    assert c.execute("EXISTS", "a", "b") == 0


def test_wrong_dst_type_errors_served_client(e, c):
    w = e.client()
    c.execute("SET", "dst", "x")
    w.execute("BRPOPLPUSH", "src", "dst", 0)
    c.execute("RPUSH", "src", "v")
    assert w.pushes == [b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"]
    assert L(c, "src") == [b"v"]


def test_wrong_type_key_keeps_client_blocked(e, c):
    w = e.client()
    w.execute("BLPOP", "k", 0)
    c.execute("SET", "k", "str")
    c.execute("DEL", "k")
    c.execute("RPUSH", "k", "v")
    assert w.pushes == [b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"]


def test_client_unblock(e, c):
    w = e.client()
    w.execute("BLPOP", "q", 0)
    assert c.execute("CLIENT", "UNBLOCK", w.client.id) == 1
    assert w.pushes == [b"*-1\r\n"]
    assert c.execute("CLIENT", "UNBLOCK", w.client.id) == 0
    w.execute("BLPOP", "q", 0)
    assert c.execute("CLIENT", "UNBLOCK", w.client.id, "ERROR") == 1
    assert w.pushes[-1] == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"


def test_close_while_blocked(e, c):
    w = e.client()
    w.execute("BLPOP", "q", 0)
    w.close()
    assert blocked_count(e.server) == 0
    c.execute("RPUSH", "q", "a")
    assert L(c, "q") == [b"a"]


def test_blmpop_served_with_count(e, c):
    w = e.client()
    w.execute("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
    c.execute("RPUSH", "b", "1", "2", "3")
    assert w.pushes == [b"*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"]


def test_rename_wakes_blocked(e, c):
    w = e.client()
    w.execute("BLPOP", "dst", 0)
    c.execute("RPUSH", "src", "v")
    c.execute("RENAME", "src", "dst")
    assert w.pushes == [b"*2\r\n$3\r\ndst\r\n$1\r\nv\r\n"]


def test_served_blpop_propagated_as_lpop(e, c):
    server = e.server
    seen = []
    server.propagate_hooks.append(lambda dbid, argv: seen.append(list(argv)))
    server.propagating = True
    w = e.client()
    w.execute("BLPOP", "q", 0)
    c.execute("RPUSH", "q", "a", "b")
    c.execute("BLPOP", "q", 0)
    c.execute("RPUSH", "m", "1", "2", "3")
    c.execute("LMPOP", 1, "m", "LEFT", "COUNT", 5)
    assert seen == [[b"RPUSH", b"q", b"a", b"b"], [b"LPOP", b"q"], [b"LPOP", b"q"],
                    [b"RPUSH", b"m", b"1", b"2", b"3"], [b"LPOP", b"m", b"3"]]


def test_notifications(e, c):
    events = []
    e.server.notifier = lambda cls, ev, key, db: events.append((ev, key))
    c.execute("RPUSH", "l", "a", "b")
    c.execute("LMOVE", "l", "m", "LEFT", "LEFT")
    c.execute("LSET", "m", 0, "z")
    c.execute("LTRIM", "l", 1, 0)
    assert events == [(b"rpush", b"l"), (b"lpush", b"m"), (b"lpop", b"l"), (b"lset", b"m"),
                      (b"ltrim", b"l"), (b"del", b"l")]
