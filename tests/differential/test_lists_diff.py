"""Differential tests of list commands: the same sequences to ember and to redis-server,
compared on raw reply bytes under RESP2 and RESP3 (harness: conftest.py here).

Not compared (oracle is Redis 7.0, ember targets 7.2): OBJECT ENCODING of lists (7.0 always
says quicklist, 7.2 starts with listpack), LPOS RANK -9223372036854775808 (7.2 rejects it)
and timeouts that overflow (7.0 says "negative", 7.2 "out of range").
"""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from diff_harness import normalise

CASES = {
    "push_pop": [
        ("RPUSH", "{k}l", "a", "b", "c"), ("LPUSH", "{k}l", "1", "2"), ("LRANGE", "{k}l", "0", "-1"),
        ("LPOP", "{k}l"), ("RPOP", "{k}l"), ("LPOP", "{k}l", "2"), ("RPOP", "{k}l", "10"),
        ("EXISTS", "{k}l"), ("LPOP", "{k}l"), ("LPOP", "{k}l", "2"), ("LPOP", "{k}l", "0"),
        ("RPUSH", "{k}l", "x"), ("LPOP", "{k}l", "0"), ("LPOP", "{k}l", "-1"), ("LPOP", "{k}l", "x"),
        ("LPOP", "{k}l", "1", "2"), ("LPUSH", "{k}l"), ("LPUSHX", "{k}n", "a"), ("RPUSHX", "{k}l", "y", "z"),
        ("LRANGE", "{k}l", "0", "-1"), ("LLEN", "{k}l"), ("LLEN", "{k}n"),
    ],
    "index_range": [
        ("RPUSH", "{k}l", "a", "b", "c", "d", "e", "10", "-3", "300000"),
        ("LINDEX", "{k}l", "0"), ("LINDEX", "{k}l", "-1"), ("LINDEX", "{k}l", "100"), ("LINDEX", "{k}l", "x"),
        ("LINDEX", "{k}n", "x"), ("LRANGE", "{k}l", "2", "4"), ("LRANGE", "{k}l", "-3", "100"),
        ("LRANGE", "{k}l", "5", "2"), ("LRANGE", "{k}l", "-100", "-50"), ("LRANGE", "{k}l", "x", "1"),
        ("LRANGE", "{k}n", "0", "-1"),
        ("LSET", "{k}l", "0", "A"), ("LSET", "{k}l", "-1", "Z"), ("LSET", "{k}l", "50", "A"),
        ("LSET", "{k}n", "0", "A"), ("LSET", "{k}l", "x", "A"), ("LRANGE", "{k}l", "0", "-1"),
    ],
    "insert_rem_trim": [
        ("RPUSH", "{k}l", "a", "b", "a", "c", "a", "d"),
        ("LINSERT", "{k}l", "BEFORE", "a", "X"), ("LINSERT", "{k}l", "after", "d", "Y"),
        ("LINSERT", "{k}l", "AFTER", "zz", "Y"), ("LINSERT", "{k}n", "AFTER", "a", "Y"),
        ("LINSERT", "{k}l", "MIDDLE", "a", "Y"), ("LRANGE", "{k}l", "0", "-1"),
        ("LREM", "{k}l", "-1", "a"), ("LREM", "{k}l", "1", "a"), ("LREM", "{k}l", "0", "q"),
        ("LREM", "{k}l", "x", "a"), ("LREM", "{k}n", "0", "a"), ("LRANGE", "{k}l", "0", "-1"),
        ("LTRIM", "{k}l", "1", "-2"), ("LRANGE", "{k}l", "0", "-1"), ("LTRIM", "{k}n", "0", "1"),
        ("LTRIM", "{k}l", "x", "1"), ("LTRIM", "{k}l", "3", "1"), ("EXISTS", "{k}l"),
        ("RPUSH", "{k}l", "a", "a", "a"), ("LREM", "{k}l", "0", "a"), ("EXISTS", "{k}l"),
    ],
    "lpos": [
        ("RPUSH", "{k}l", "a", "b", "c", "1", "2", "3", "c", "c"),
        ("LPOS", "{k}l", "c"), ("LPOS", "{k}l", "c", "RANK", "2"), ("LPOS", "{k}l", "c", "RANK", "-1"),
        ("LPOS", "{k}l", "c", "RANK", "-2", "COUNT", "5"), ("LPOS", "{k}l", "c", "COUNT", "0"),
        ("LPOS", "{k}l", "c", "COUNT", "0", "MAXLEN", "3"), ("LPOS", "{k}l", "c", "RANK", "-1", "MAXLEN", "2"),
        ("LPOS", "{k}l", "zz"), ("LPOS", "{k}l", "zz", "COUNT", "2"), ("LPOS", "{k}n", "a"),
        ("LPOS", "{k}n", "a", "COUNT", "0"), ("LPOS", "{k}l", "c", "RANK", "0"), ("LPOS", "{k}n", "c", "RANK", "0"),
        ("LPOS", "{k}l", "c", "COUNT", "-1"), ("LPOS", "{k}l", "c", "COUNT", "x"),
        ("LPOS", "{k}l", "c", "MAXLEN", "-1"), ("LPOS", "{k}l", "c", "RANK", "x"),
        ("LPOS", "{k}l", "c", "RANK"), ("LPOS", "{k}l", "c", "FOO", "1"), ("LPOS", "{k}l", "c", "RANK", "9", "COUNT", "1"),
    ],
    "moves": [
        ("RPUSH", "{k}a", "1", "2", "3"), ("LMOVE", "{k}a", "{k}b", "LEFT", "RIGHT"),
        ("LMOVE", "{k}a", "{k}b", "right", "left"), ("RPOPLPUSH", "{k}a", "{k}b"),
        ("EXISTS", "{k}a"), ("LRANGE", "{k}b", "0", "-1"), ("LMOVE", "{k}b", "{k}b", "LEFT", "RIGHT"),
        ("LRANGE", "{k}b", "0", "-1"), ("LMOVE", "{k}n", "{k}b", "LEFT", "LEFT"), ("RPOPLPUSH", "{k}n", "{k}b"),
        ("LMOVE", "{k}b", "{k}c", "UP", "LEFT"), ("LMOVE", "{k}n", "{k}c", "LEFT", "DOWN"),
        ("SET", "{k}s", "v"), ("LMOVE", "{k}b", "{k}s", "LEFT", "LEFT"), ("LMOVE", "{k}s", "{k}b", "LEFT", "LEFT"),
        ("LLEN", "{k}b"),
    ],
    "mpop": [
        ("RPUSH", "{k}b", "1", "2", "3", "4"), ("LMPOP", "2", "{k}a", "{k}b", "LEFT"),
        ("LMPOP", "2", "{k}a", "{k}b", "RIGHT", "COUNT", "2"), ("LMPOP", "1", "{k}b", "left", "count", "10"),
        ("LMPOP", "1", "{k}b", "LEFT"), ("LMPOP", "0", "{k}b", "LEFT"), ("LMPOP", "x", "{k}b", "LEFT"),
        ("LMPOP", "-1", "{k}b", "LEFT"), ("LMPOP", "2", "{k}b", "LEFT"), ("LMPOP", "5", "{k}b", "LEFT"),
        ("LMPOP", "1", "{k}b", "MIDDLE"), ("LMPOP", "1", "{k}b", "LEFT", "COUNT", "0"),
        ("LMPOP", "1", "{k}b", "LEFT", "COUNT", "x"), ("LMPOP", "1", "{k}b", "LEFT", "COUNT"),
        ("LMPOP", "1", "{k}b", "LEFT", "COUNT", "1", "COUNT", "1"), ("LMPOP", "1", "{k}b", "LEFT", "FOO"),
    ],
    "blocking_nonblocking_paths": [
        ("RPUSH", "{k}l", "a", "b"), ("BLPOP", "{k}n", "{k}l", "0"), ("BRPOP", "{k}l", "0"),
        ("BLPOP", "{k}l", "0.01"), ("BRPOP", "{k}l", "0.01"), ("BLMPOP", "0.01", "1", "{k}l", "LEFT"),
        ("BLMOVE", "{k}l", "{k}d", "LEFT", "LEFT", "0.01"), ("BRPOPLPUSH", "{k}l", "{k}d", "0.01"),
        ("RPUSH", "{k}l", "1", "2", "3"), ("BLMPOP", "0", "2", "{k}n", "{k}l", "RIGHT", "COUNT", "2"),
        ("BLMOVE", "{k}l", "{k}d", "LEFT", "RIGHT", "0"), ("BRPOPLPUSH", "{k}d", "{k}l", "0"),
        ("LRANGE", "{k}l", "0", "-1"), ("LRANGE", "{k}d", "0", "-1"),
        ("BLPOP", "{k}l", "-1"), ("BLPOP", "{k}l", "x"), ("BLPOP", "{k}l", " 1"), ("BLPOP", "{k}l", "nan"),
        ("BLMPOP", "x", "1", "{k}l", "LEFT"), ("BLMPOP", "0", "0", "{k}l", "LEFT"),
        ("BLMPOP", "-1", "1", "{k}l", "LEFT", "COUNT", "0"), ("BLMOVE", "{k}l", "{k}d", "MIDDLE", "LEFT", "-1"),
        ("BLMOVE", "{k}l", "{k}d", "LEFT", "LEFT", "-1"), ("BRPOPLPUSH", "{k}l", "{k}d", "x"),
        ("SET", "{k}s", "v"), ("BLPOP", "{k}n", "{k}s", "0"), ("BLPOP", "{k}n", "0.001"),
        ("MULTI",), ("BLPOP", "{k}n", "0"), ("BLMOVE", "{k}n", "{k}d", "LEFT", "LEFT", "0"),
        ("BRPOPLPUSH", "{k}n", "{k}d", "0"), ("BLMPOP", "0", "1", "{k}n", "LEFT"), ("BRPOP", "{k}n", "0"),
        ("EXEC",),
    ],
    "wrongtype": [
        ("SET", "{k}s", "v"),
        ("LPUSH", "{k}s", "a"), ("RPUSHX", "{k}s", "a"), ("LPOP", "{k}s"), ("LPOP", "{k}s", "2"),
        ("LLEN", "{k}s"), ("LRANGE", "{k}s", "0", "1"), ("LINDEX", "{k}s", "0"), ("LINDEX", "{k}s", "x"),
        ("LSET", "{k}s", "0", "x"), ("LSET", "{k}s", "x", "x"), ("LINSERT", "{k}s", "BEFORE", "a", "b"),
        ("LINSERT", "{k}s", "XX", "a", "b"), ("LREM", "{k}s", "0", "a"), ("LTRIM", "{k}s", "0", "1"),
        ("LPOS", "{k}s", "a"), ("LPOS", "{k}s", "a", "RANK", "0"), ("LMPOP", "1", "{k}s", "LEFT"),
        ("RPOPLPUSH", "{k}s", "{k}d"), ("TYPE", "{k}s"),
    ],
    "integers_and_big_values": [
        ("RPUSH", "{k}l", "0", "-0", "007", "127", "128", "-4096", "9223372036854775807",
         "9223372036854775808", "-9223372036854775808", "1.5", "", "x" * 70, "y" * 5000),
        ("LRANGE", "{k}l", "0", "-1"), ("LPOS", "{k}l", "-0"), ("LREM", "{k}l", "0", "007"),
        ("RPOP", "{k}l", "3"), ("LLEN", "{k}l"), ("TYPE", "{k}l"),
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_written_cases(differ, case):
    differ.run(CASES[case])


# ---- Hypothesis: random command sequences over a few keys -----------------------------------
KEYS = ["{k}a", "{k}b", "{k}c"]
VALS = ["a", "b", "c", "1", "2", "-1", ""]
IDX = st.sampled_from(["0", "1", "-1", "2", "-2", "5", "-7", "100"])
key = st.sampled_from(KEYS)
val = st.sampled_from(VALS)
side = st.sampled_from(["LEFT", "RIGHT"])

commands = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), key, val),
    st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), key, val, val, val),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), key),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), key, st.sampled_from(["0", "1", "2", "5"])),
    st.tuples(st.just("LRANGE"), key, IDX, IDX),
    st.tuples(st.just("LINDEX"), key, IDX),
    st.tuples(st.just("LSET"), key, IDX, val),
    st.tuples(st.just("LTRIM"), key, IDX, IDX),
    st.tuples(st.just("LREM"), key, st.sampled_from(["0", "1", "-1", "2", "-2"]), val),
    st.tuples(st.just("LINSERT"), key, st.sampled_from(["BEFORE", "AFTER"]), val, val),
    st.tuples(st.just("LPOS"), key, val, st.sampled_from(["RANK", "COUNT", "MAXLEN"]),
              st.sampled_from(["1", "2", "-1", "0", "3"])),
    st.tuples(st.just("LMOVE"), key, key, side, side),
    st.tuples(st.just("RPOPLPUSH"), key, key),
    st.tuples(st.just("LMPOP"), st.just("2"), key, key, side, st.just("COUNT"),
              st.sampled_from(["1", "2", "4"])),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]), key, key, st.just("0.001")),
    st.tuples(st.just("BLMOVE"), key, key, side, side, st.just("0.001")),
    st.tuples(st.just("LLEN"), key),
    st.tuples(st.just("SET"), key, val),
    st.tuples(st.just("DEL"), key),
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(seq=st.lists(commands, min_size=1, max_size=10))
def test_random_sequences(diff_conns, seq):
    from diff_harness import Differ
    for proto in (2, 3):
        e, r = diff_conns[proto]
        d = Differ(e, r, proto, 11, "h%d:" % proto)
        d.reset()
        for cmd in seq:
            got, want = d.both(*cmd)
            assert normalise(got) == normalise(want), (proto, cmd, got, want)
        for k in KEYS:
            got, want = d.both("LRANGE", k, "0", "-1")
            if want.startswith(b"*"):
                assert got == want, (proto, seq, got, want)
