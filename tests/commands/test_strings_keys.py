"""Unit tests for string, key and expiry commands through the embedded client."""

import pytest

from ember.clock import ManualClock
from ember.embedded import Ember
from ember.protocol.replies import Map, ReplyError


@pytest.fixture
def clock():
    return ManualClock(1_700_000_000.0)


@pytest.fixture
def c(clock):
    return Ember(clock=clock).client()


def err(c, *args):
    with pytest.raises(ReplyError) as e:
        c.execute(*args)
    return e.value.message


def test_set_get_options(c):
    assert c.execute("SET", "k", "v") == "OK"
    assert c.execute("GET", "k") == b"v"
    assert c.execute("SET", "k", "w", "NX") is None
    assert c.execute("SET", "k", "w", "XX", "GET") == b"v"
    assert c.execute("GET", "k") == b"w"
    assert c.execute("SET", "n", "1", "XX") is None
    assert err(c, "SET", "k", "v", "NX", "XX") == "ERR syntax error"
    assert err(c, "SET", "k", "v", "EX", "0") == "ERR invalid expire time in 'set' command"
    assert err(c, "SET", "k", "v", "EX", "x") == "ERR value is not an integer or out of range"
    assert err(c, "SET", "k", "v", "EX", "10", "PX", "10") == "ERR syntax error"
    assert err(c, "SET", "k", "v", "KEEPTTL", "EX", "10") == "ERR syntax error"


def test_expiry_with_manual_clock(c, clock):
    c.execute("SET", "k", "v", "EX", "10")
    assert c.execute("TTL", "k") == 10
    assert c.execute("PTTL", "k") == 10000
    clock.advance(9.5)
    assert c.execute("GET", "k") == b"v"
    clock.advance(0.6)
    assert c.execute("GET", "k") is None
    assert c.execute("TTL", "k") == -2


def test_active_expiry_frees_unread_keys(clock):
    e = Ember(clock=clock)
    c = e.client()
    for i in range(5000):
        c.execute("SET", "k%d" % i, "v", "PX", str(100 + i))
    assert c.execute("DBSIZE") == 5000 if "dbsize" in e.server.command_specs and e.server.command_specs["dbsize"].implemented else True
    clock.advance(10)
    for _ in range(10):
        e.cron()
    assert len(e.server.dbs[0].data) == 0
    assert e.server.stats.expired_keys == 5000


def test_expire_options(c, clock):
    c.execute("SET", "k", "v")
    assert c.execute("EXPIRE", "k", "100", "XX") == 0
    assert c.execute("EXPIRE", "k", "100", "NX") == 1
    assert c.execute("EXPIRE", "k", "50", "GT") == 0
    assert c.execute("EXPIRE", "k", "200", "GT") == 1
    assert c.execute("EXPIRE", "k", "300", "LT") == 0
    assert err(c, "EXPIRE", "k", "1", "NX", "XX") == \
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    assert err(c, "EXPIRE", "k", "1", "GT", "LT") == "ERR GT and LT options at the same time are not compatible"
    assert err(c, "EXPIRE", "k", "1", "FOO") == "ERR Unsupported option FOO"
    assert c.execute("EXPIRETIME", "k") == 1_700_000_200
    assert c.execute("PERSIST", "k") == 1
    assert c.execute("TTL", "k") == -1
    assert c.execute("EXPIRE", "k", "-1") == 1
    assert c.execute("EXISTS", "k") == 0


def test_incr_family(c):
    assert c.execute("INCR", "n") == 1
    assert c.execute("INCRBY", "n", "10") == 11
    assert c.execute("DECRBY", "n", "20") == -9
    c.execute("SET", "n", "9223372036854775807")
    assert err(c, "INCR", "n") == "ERR increment or decrement would overflow"
    c.execute("SET", "s", "abc")
    assert err(c, "INCR", "s") == "ERR value is not an integer or out of range"
    c.execute("SET", "s", " 1")
    assert err(c, "INCR", "s") == "ERR value is not an integer or out of range"
    assert c.execute("INCRBYFLOAT", "f", "0.1") == b"0.1"
    assert c.execute("INCRBYFLOAT", "f", "0.2") == b"0.3"
    assert err(c, "INCRBYFLOAT", "f", "nan") == "ERR value is not a valid float"


def test_append_setrange_getrange_encodings(c):
    c.execute("SET", "k", "12")
    assert c.execute("OBJECT", "ENCODING", "k") == b"int"
    assert c.execute("APPEND", "k", "3") == 3
    assert c.execute("OBJECT", "ENCODING", "k") == b"raw"
    c.execute("SET", "e", "x" * 44)
    assert c.execute("OBJECT", "ENCODING", "e") == b"embstr"
    c.execute("SET", "e", "x" * 45)
    assert c.execute("OBJECT", "ENCODING", "e") == b"raw"
    assert c.execute("SETRANGE", "z", "5", "ab") == 7
    assert c.execute("GET", "z") == b"\x00" * 5 + b"ab"
    assert c.execute("GETRANGE", "z", "-2", "-1") == b"ab"
    assert c.execute("GETRANGE", "z", "10", "20") == b""
    assert err(c, "SETRANGE", "z", "-1", "x") == "ERR offset is out of range"


def test_mset_msetnx_mget(c):
    assert c.execute("MSET", "a", "1", "b", "2") == "OK"
    assert c.execute("MSETNX", "a", "1", "c", "3") == 0
    assert c.execute("MGET", "a", "b", "c") == [b"1", b"2", None]
    assert err(c, "MSET", "a") == "ERR wrong number of arguments for 'mset' command"


def test_rename_copy_move(c):
    c.execute("SET", "a", "1", "EX", "100")
    assert c.execute("RENAME", "a", "b") == "OK"
    assert c.execute("TTL", "b") == 100
    assert err(c, "RENAME", "a", "b") == "ERR no such key"
    assert c.execute("COPY", "b", "c") == 1
    assert c.execute("COPY", "b", "c") == 0
    assert c.execute("COPY", "b", "c", "REPLACE") == 1
    assert err(c, "COPY", "b", "b") == "ERR source and destination objects are the same"
    assert c.execute("MOVE", "c", "1") == 1
    assert c.execute("EXISTS", "c") == 0
    c.execute("SELECT", "1")
    assert c.execute("GET", "c") == b"1"
    assert err(c, "SELECT", "16") == "ERR DB index is out of range"


def test_scan_returns_every_key_while_growing(c):
    for i in range(1000):
        c.execute("SET", "k%d" % i, "v")
    seen = set()
    cursor = b"0"
    n = 1000
    while True:
        cursor, keys = c.execute("SCAN", cursor, "COUNT", "50")
        seen.update(keys)
        for _ in range(30):  # grow the table while scanning
            c.execute("SET", "new%d" % n, "v")
            n += 1
        if cursor == b"0":
            break
    assert {b"k%d" % i for i in range(1000)} <= seen


def test_scan_match_type(c):
    c.execute("SET", "user:1", "a")
    c.execute("SET", "other", "b")
    cursor, keys = c.execute("SCAN", "0", "MATCH", "user:*", "COUNT", "1000")
    assert keys == [b"user:1"]
    cursor, keys = c.execute("SCAN", "0", "TYPE", "list", "COUNT", "1000")
    assert keys == []
    assert err(c, "SCAN", "abc") == "ERR invalid cursor"


def test_unknown_command_and_arity(c):
    assert err(c, "NOPE", "a", "b") == "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "
    assert err(c, "GET") == "ERR wrong number of arguments for 'get' command"


def test_transactions(c):
    assert c.execute("MULTI") == "OK"
    assert c.execute("SET", "a", "1") == "QUEUED"
    assert c.execute("INCR", "a") == "QUEUED"
    assert c.execute("EXEC") == ["OK", 2]
    c.execute("MULTI")
    with pytest.raises(ReplyError):
        c.execute("GET")
    assert err(c, "EXEC") == "EXECABORT Transaction discarded because of previous errors."


def test_watch_invalidated_by_other_client(clock):
    e = Ember(clock=clock)
    a, b = e.client(), e.client()
    a.execute("WATCH", "k")
    b.execute("SET", "k", "x")
    a.execute("MULTI")
    a.execute("SET", "k", "y")
    from ember.protocol.replies import NULL_ARRAY
    assert a.execute("EXEC") is NULL_ARRAY
    assert a.execute("GET", "k") == b"x"


def test_hello_and_auth():
    e = Ember(requirepass="secret")
    c = e.client()
    assert err(c, "GET", "x") == "NOAUTH Authentication required."
    assert err(c, "AUTH", "wrong") == "WRONGPASS invalid username-password pair or user is disabled."
    r = c.execute("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me")
    assert isinstance(r, Map) and dict(r.items)[b"proto"] == 3
    assert c.execute("GET", "x") is None


def test_lcs(c):
    c.execute("MSET", "k1", "ohmytext", "k2", "mynewtext")
    assert c.execute("LCS", "k1", "k2") == b"mytext"
    assert c.execute("LCS", "k1", "k2", "LEN") == 6
    r = c.execute("LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
    assert r == Map([(b"matches", [[[4, 7], [5, 8], 4]]), (b"len", 6)])
