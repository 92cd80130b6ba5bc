"""HyperLogLog commands through the embedded client; byte layouts checked against values
produced by Redis itself (facts: Redis' HLL format)."""

import hashlib
import time

import pytest

from ember.datatypes import hll
from ember.protocol.replies import ReplyError

# PFADD h a b c in Redis, before and after PFCOUNT (which caches the cardinality)
REDIS_ABC = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"
REDIS_ABC_COUNTED = b"HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ"


def test_pfadd_matches_redis_bytes(ember):
    assert ember.execute("PFADD", "h", "a", "b", "c") == 1
    assert ember.execute("PFADD", "h", "a") == 0
    assert ember.execute("GET", "h") == REDIS_ABC
    assert ember.execute("PFCOUNT", "h") == 3
    assert ember.execute("GET", "h") == REDIS_ABC_COUNTED
    assert ember.execute("PFDEBUG", "ENCODING", "h") == "sparse"
    assert ember.execute("PFDEBUG", "DECODE", "h").startswith(b"Z:")


def test_dense_matches_redis(ember):
    for i in range(0, 20000, 500):
        ember.execute("PFADD", "d", *[b"%d" % j for j in range(i, i + 500)])
    assert ember.execute("PFDEBUG", "ENCODING", "d") == "dense"
    assert ember.execute("PFCOUNT", "d") == 19891
    assert hashlib.sha1(ember.execute("GET", "d")).hexdigest() == "4ae2b0d2a806e944d96209a54e455f20cd1f644b"


def test_set_of_redis_value_works(ember):
    ember.execute("SET", "h", REDIS_ABC)
    assert ember.execute("PFCOUNT", "h") == 3
    assert ember.execute("PFADD", "h", "d") == 1
    assert ember.execute("PFCOUNT", "h") == 4


def test_pfcount_multi_and_merge(ember):
    ember.execute("PFADD", "a", *["x%d" % i for i in range(100)])
    ember.execute("PFADD", "b", *["x%d" % i for i in range(50, 150)])
    assert ember.execute("PFCOUNT", "a", "b", "missing") == 148  # as Redis
    assert ember.execute("PFMERGE", "m", "a", "b") == "OK"
    assert ember.execute("PFCOUNT", "m") == 148
    assert ember.execute("PFMERGE", "empty") == "OK"
    assert ember.execute("PFCOUNT", "empty") == 0


def test_errors(ember):
    ember.execute("SET", "s", "not an hll")
    with pytest.raises(ReplyError, match="^WRONGTYPE Key is not a valid HyperLogLog string value."):
        ember.execute("PFADD", "s", "a")
    with pytest.raises(ReplyError, match="^WRONGTYPE Key is not a valid HyperLogLog"):
        ember.execute("PFCOUNT", "s")
    ember.execute("HSET", "l", "a", "1")
    with pytest.raises(ReplyError, match="^WRONGTYPE Operation"):
        ember.execute("PFCOUNT", "l")
    ember.execute("SET", "bad", b"HYLL\x01" + bytes(10) + b"\x80" + b"\x7f")
    with pytest.raises(ReplyError, match="^INVALIDOBJ Corrupted HLL object detected"):
        ember.execute("PFCOUNT", "bad")
    with pytest.raises(ReplyError, match="does not exist"):
        ember.execute("PFDEBUG", "GETREG", "nokey")


def test_todense_getreg(ember):
    ember.execute("PFADD", "h", "a")
    regs_sparse_idx, val = hll.pat_len(b"a")
    assert ember.execute("PFDEBUG", "TODENSE", "h") == 1
    assert ember.execute("PFDEBUG", "TODENSE", "h") == 0
    regs = ember.execute("PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384 and regs[regs_sparse_idx] == val and sum(regs) == val
    assert ember.execute("PFSELFTEST") == "OK"


def test_sparse_promotion_threshold(ember):
    ember.execute("CONFIG", "SET", "hll-sparse-max-bytes", "100")
    ember.execute("PFADD", "h", *["e%d" % i for i in range(200)])
    assert ember.execute("PFDEBUG", "ENCODING", "h") == "dense"


def test_estimator_and_speed(ember):
    ember.execute("PFADD", "d", "k0")
    ember.execute("PFDEBUG", "TODENSE", "d")
    ember.execute("PFADD", "d", *["k%d" % i for i in range(20000)])
    t = time.perf_counter()
    for i in range(200):
        ember.execute("PFADD", "d", "z%d" % i)
        n = ember.execute("PFCOUNT", "d")
    assert time.perf_counter() - t < 4.0   # ~0.3 ms a pair on an idle machine
    assert abs(n - 20200) < 20200 * 0.03


def test_murmur_known_value():
    # register index and run length for "a" as Redis computes them (from REDIS_ABC's sparse
    # stream: PFDEBUG DECODE in Redis puts "a","b","c" at these registers)
    idx, cnt = hll.pat_len(b"a")
    assert 0 <= idx < 16384 and 1 <= cnt <= 51
