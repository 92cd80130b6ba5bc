"""Set commands through the embedded client: replies, Redis 7.2 encodings, random picks."""

import pytest

from ember.protocol.replies import ReplyError, SetReply


def enc(x, key):
    return x("OBJECT", "ENCODING", key)


def test_basic(ember):
    x = ember.execute
    assert x("SADD", "s", "b", "a", "b") == 2
    assert x("SMEMBERS", "s") == SetReply([b"b", b"a"])     # listpack: insertion order
    assert x("SCARD", "s") == 2 and x("SISMEMBER", "s", "a") == 1
    assert x("SMISMEMBER", "s", "a", "z") == [1, 0]
    assert x("SREM", "s", "a", "z") == 1
    assert x("SREM", "s", "b") == 1 and x("EXISTS", "s") == 0


def test_encodings_72(ember):
    x = ember.execute
    x("SADD", "i", "3", "1", "2")
    assert enc(x, "i") == b"intset"
    assert x("SMEMBERS", "i") == SetReply([b"1", b"2", b"3"])
    x("SADD", "i", "a")
    assert enc(x, "i") == b"listpack"
    assert x("SMEMBERS", "i") == SetReply([b"1", b"2", b"3", b"a"])
    x("SADD", "l", *["m%d" % n for n in range(128)])
    assert enc(x, "l") == b"listpack"
    x("SADD", "l", "one-more")
    assert enc(x, "l") == b"hashtable"
    x("SADD", "v", "x" * 65)
    assert enc(x, "v") == b"hashtable"
    x("SADD", "big", *[str(n) for n in range(513)])
    assert enc(x, "big") == b"hashtable"
    x("SADD", "hint", *["m%d" % n for n in range(129)])     # size hint > listpack limit
    assert enc(x, "hint") == b"hashtable"
    x("SADD", "ints", *[str(n) for n in range(200)])
    x("SADD", "ints", "s")                                     # 200 >= 128: intset -> hashtable
    assert enc(x, "ints") == b"hashtable"


def test_spop_large_count_reencodes(ember):
    x = ember.execute
    x("SADD", "s", *["m%d" % n for n in range(300)])
    assert enc(x, "s") == b"hashtable"
    popped = x("SPOP", "s", "290")
    assert len(set(popped.items)) == 290
    assert x("SCARD", "s") == 10
    assert enc(x, "s") == b"listpack"


def test_random(ember):
    x = ember.execute
    members = [b"%d" % n for n in range(1000)]
    x("SADD", "s", *members)
    assert x("SRANDMEMBER", "s") in members
    r = x("SRANDMEMBER", "s", "10")
    assert len(set(r)) == 10
    assert len(x("SRANDMEMBER", "s", "-2000")) == 2000
    assert sorted(x("SRANDMEMBER", "s", "5000"), key=int) == members
    got = {x("SPOP", "s") for _ in range(10)}
    assert len(got) == 10 and x("SCARD", "s") == 990
    rest = x("SPOP", "s", "2000")
    assert len(rest.items) == 990 and x("EXISTS", "s") == 0
    with pytest.raises(ReplyError, match="must be positive"):
        x("SPOP", "s", "-1")


def test_algebra(ember):
    x = ember.execute
    x("SADD", "a", "1", "2", "3", "x")
    x("SADD", "b", "2", "3", "4")
    assert sorted(x("SINTER", "a", "b").items) == [b"2", b"3"]
    assert sorted(x("SUNION", "a", "b").items) == [b"1", b"2", b"3", b"4", b"x"]
    assert sorted(x("SDIFF", "a", "b").items) == [b"1", b"x"]
    assert x("SINTERCARD", "2", "a", "b", "LIMIT", "1") == 1
    assert x("SINTERSTORE", "d", "a", "b") == 2 and enc(x, "d") == b"intset"
    assert x("SUNIONSTORE", "d", "a", "b") == 5 and enc(x, "d") == b"listpack"
    assert x("SDIFFSTORE", "d", "a", "a") == 0 and x("EXISTS", "d") == 0
    assert x("SMOVE", "a", "n", "x") == 1 and enc(x, "n") == b"listpack"
    assert x("SMOVE", "a", "n", "x") == 0
    with pytest.raises(ReplyError, match="numkeys"):
        x("SINTERCARD", "0", "a")


def test_sscan_hashtable(ember):
    x = ember.execute
    x("SADD", "s", *["m%d" % n for n in range(1000)])
    seen, cursor = set(), b"0"
    while True:
        cursor, items = x("SSCAN", "s", cursor, "COUNT", "64")
        seen.update(items)
        if cursor == b"0":
            break
    assert len(seen) == 1000


def test_copy_independent(ember):
    x = ember.execute
    x("SADD", "s", "a", "b")
    x("COPY", "s", "t")
    x("SREM", "t", "a")
    assert x("SCARD", "s") == 2 and x("SCARD", "t") == 1
