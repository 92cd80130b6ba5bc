"""Sorted-set commands through the embedded client (RESP2 reply values and RESP3 shapes)."""

import pytest

from ember.protocol.encoder import encode
from ember.protocol.replies import NULL_ARRAY, ReplyError


@pytest.fixture
def z(ember):
    ember.execute("ZADD", "z", "1", "a", "2", "b", "3", "c")
    return ember


def test_zadd_options_and_errors(z):
    assert z.execute("ZADD", "z", "CH", "GT", "5", "a", "0", "b", "4", "d") == 2
    assert z.execute("ZADD", "z", "INCR", "1", "a") == 6.0
    assert z.execute("ZADD", "z", "INCR", "NX", "1", "a") is None
    for args, msg in [(("XX", "NX"), "XX and NX"), (("GT", "LT"), "GT, LT, and/or NX"),
                      (("INCR", "1", "a"), "single increment")]:
        with pytest.raises(ReplyError, match=msg):
            z.execute("ZADD", "z", *args, "1", "x")
    z.execute("ZADD", "z", "INF", "a")
    with pytest.raises(ReplyError, match="not a number"):
        z.execute("ZADD", "z", "INCR", "-inf", "a")
    with pytest.raises(ReplyError, match="valid float"):
        z.execute("ZADD", "z", "nan", "a")


def test_zrank_withscore_72(z):
    assert z.execute("ZRANK", "z", "b", "WITHSCORE") == [1, 2.0]
    assert z.execute("ZREVRANK", "z", "b", "WITHSCORE") == [1, 2.0]
    assert z.execute("ZRANK", "z", "nope", "WITHSCORE") is NULL_ARRAY
    assert z.execute("ZRANK", "nokey", "a") is None
    with pytest.raises(ReplyError, match="syntax"):
        z.execute("ZRANK", "z", "a", "WITHSCORES")


def test_ranges(z):
    assert z.execute("ZRANGE", "z", "(1", "+inf", "BYSCORE", "WITHSCORES") == [b"b", 2.0, b"c", 3.0]
    assert z.execute("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2") == [b"c", b"b"]
    assert z.execute("ZRANGE", "z", "[b", "+", "BYLEX") == [b"b", b"c"]
    with pytest.raises(ReplyError, match="LIMIT is only supported"):
        z.execute("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")
    with pytest.raises(ReplyError, match="WITHSCORES not supported"):
        z.execute("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES")
    with pytest.raises(ReplyError, match="not a float"):
        z.execute("ZCOUNT", "z", "x", "1")
    with pytest.raises(ReplyError, match="string range item"):
        z.execute("ZLEXCOUNT", "z", "x", "1")
    assert z.execute("ZRANGESTORE", "d", "z", "0", "0") == 1
    assert z.execute("ZRANGE", "d", "0", "-1") == [b"a"]


def test_resp3_shapes(z):
    z.execute("HELLO", "3")
    c = z.client
    assert encode(z.execute("ZRANGE", "z", "0", "0", "WITHSCORES"), True) == b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    assert encode(z.execute("ZPOPMIN", "z"), True) == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert encode(z.execute("ZPOPMIN", "z", "1"), True) == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert c.resp3


def test_empty_key_removed_and_notifications(z):
    events = []
    z.server.notifier = lambda cls, ev, key, db: events.append((ev, key))
    assert z.execute("ZREM", "z", "a", "b", "c") == 3
    assert z.execute("EXISTS", "z") == 0
    assert events == [(b"zrem", b"z"), (b"del", b"z")]


def test_setops_and_store(z):
    z.execute("ZADD", "y", "inf", "a", "5", "x")
    z.execute("ZADD", "w", "-inf", "a")
    assert z.execute("ZUNION", "2", "y", "w", "WITHSCORES") == [b"a", 0.0, b"x", 5.0]
    assert z.execute("ZINTER", "2", "z", "y", "WEIGHTS", "2", "0", "WITHSCORES") == [b"a", 2.0]
    assert z.execute("ZDIFFSTORE", "d", "2", "z", "y") == 2
    assert z.execute("ZINTERCARD", "2", "z", "y", "LIMIT", "1") == 1
    assert z.execute("ZINTERSTORE", "d", "2", "z", "nokey") == 0
    assert z.execute("EXISTS", "d") == 0


def test_encoding_hints_72(ember):
    ember.execute("CONFIG", "SET", "zset-max-listpack-entries", "2")
    ember.execute("ZADD", "h", "1", "a", "1", "a", "1", "a")      # 7.2: size hint of 3 pairs
    assert ember.execute("OBJECT", "ENCODING", "h") == b"skiplist"
    ember.execute("ZADD", "s", "1", "a", "2", "b")
    assert ember.execute("OBJECT", "ENCODING", "s") == b"listpack"
    ember.execute("ZADD", "s", "3", "c")
    assert ember.execute("OBJECT", "ENCODING", "s") == b"skiplist"
    ember.execute("ZPOPMIN", "s", "2")
    assert ember.execute("OBJECT", "ENCODING", "s") == b"skiplist"


def test_zscan_and_random(z):
    assert z.execute("ZSCAN", "z", "0", "MATCH", "b") == [b"0", [b"b", b"2"]]
    assert sorted(z.execute("ZRANDMEMBER", "z", "-5")) >= [b"a"] and len(z.execute("ZRANDMEMBER", "z", "-5")) == 5
    assert z.execute("ZRANDMEMBER", "z", "5", "WITHSCORES") == [b"c", 3.0, b"b", 2.0, b"a", 1.0]


def test_bzpop_immediate(z):
    assert z.execute("BZPOPMIN", "nokey", "z", "0") == [b"z", b"a", 1.0]
    assert z.execute("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5") == [b"z", [[b"c", 3.0], [b"b", 2.0]]]


def test_zrange_by_rank_walks_the_positional_tree(ember):
    """ZRANGE by rank on a zset big enough for several index sublists (the fast path walks
    the SortedList's positional tree itself): every window equals the sorted reference,
    for value replies and the RESP2 bytes of a network client, also after the tree has
    been updated in place by adds and removals."""
    import random
    rng = random.Random(5)
    ref = {}
    args = []
    for i in range(3000):
        m = b"m%05d" % rng.randrange(10 ** 5)
        s = float(rng.randrange(-200, 200)) if i % 3 else rng.uniform(-1e6, 1e6)
        ref[m] = s
        args += [repr(s).encode(), m]
    ember.execute("ZADD", "big", *args)
    c = ember.client
    for round_ in range(3):
        items = sorted((s, m) for m, s in ref.items())
        n = len(items)
        for _ in range(150):
            a = rng.randrange(-n - 5, n + 5)
            b = rng.randrange(-n - 5, n + 5)
            lo = max(a + n if a < 0 else a, 0)
            hi = min(b + n if b < 0 else b, n - 1)
            want = items[lo:hi + 1] if lo <= hi else []
            assert ember.execute("ZRANGE", "big", str(a), str(b)) == [m for _s, m in want]
            flat = [x for s, m in want for x in (m, s)]
            assert ember.execute("ZRANGE", "big", str(a), str(b), "WITHSCORES") == flat
            c.transport = object()      # a RESP2 network client: pre-encoded bytes
            try:
                got = ember.execute("ZRANGE", "big", str(a), str(b), "WITHSCORES")
            finally:
                c.transport = None
            assert encode(got) == encode(flat)
        for m in rng.sample(sorted(ref), 200):
            ember.execute("ZREM", "big", m)
            del ref[m]
        for _ in range(200):
            m = b"n%05d" % rng.randrange(10 ** 5)
            ref[m] = float(rng.randrange(-300, 300))
            ember.execute("ZADD", "big", repr(ref[m]), m)
