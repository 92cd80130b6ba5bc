"""Bitmap commands through the embedded client."""

import time

import pytest

from ember.protocol.replies import ReplyError


def test_setbit_getbit(ember):
    assert ember.execute("SETBIT", "b", "7", "1") == 0
    assert ember.execute("SETBIT", "b", "7", "1") == 1
    assert ember.execute("GET", "b") == b"\x01"
    assert ember.execute("OBJECT", "ENCODING", "b") == b"raw"
    assert ember.execute("GETBIT", "b", "7") == 1
    assert ember.execute("GETBIT", "b", "700") == 0
    assert ember.execute("SETBIT", "b", "17", "1") == 0
    assert ember.execute("STRLEN", "b") == 3
    with pytest.raises(ReplyError, match="bit offset is not an integer"):
        ember.execute("SETBIT", "b", "-1", "1")
    with pytest.raises(ReplyError, match="bit offset is not an integer"):
        ember.execute("SETBIT", "b", str(512 * 1024 * 1024 * 8), "1")
    with pytest.raises(ReplyError, match="^ERR bit is not an integer"):
        ember.execute("SETBIT", "b", "1", "2")
    ember.execute("HSET", "h", "a", "1")
    with pytest.raises(ReplyError, match="WRONGTYPE"):
        ember.execute("SETBIT", "h", "1", "1")


@pytest.mark.parametrize("numpy_path", [True, False])
def test_bitcount_long_values(ember, numpy_path):
    """Long ranges take numpy's bitwise_count when numpy is there (8-byte words, the tail
    by int.bit_count), else the translate + Adler-32 path (chunks of 8190 bytes, 1 MB
    slices): compare with a plain big-int count, ranges crossing the chunk edges and
    unaligned starts/ends, all-ones chunks."""
    import random

    from ember.datatypes import bitops
    bitops.use_numpy(numpy_path)
    try:
        _bitcount_long_values(ember)
        if not numpy_path:
            assert bitops._np_words is False
        elif getattr(pytest.importorskip("numpy"), "bitwise_count", None) is not None:
            assert callable(bitops._np_words)   # the numpy path really ran
    finally:
        bitops.use_numpy(True)


def _bitcount_long_values(ember):
    import random
    rng = random.Random(5)
    value = rng.randbytes(3 * 8190 + 77) + b"\xff" * (2 * 8190 + 3)
    ember.execute("SET", "big", value)
    n = len(value)

    def ref(a, b):
        return int.from_bytes(value[a:b + 1], "big").bit_count()

    assert ember.execute("BITCOUNT", "big") == ref(0, n - 1)
    cases = [(0, 8189), (0, 8190), (8189, 8190 * 2), (255, 300), (1, n - 2), (8190 * 3, n - 1),
             (3, 2050), (7, 2054), (1, 2048), (0, 2047), (5, 2046)]
    cases += [tuple(sorted((rng.randrange(n), rng.randrange(n)))) for _ in range(20)]
    for a, b in cases:
        assert ember.execute("BITCOUNT", "big", str(a), str(b)) == ref(a, b), (a, b)
    ember.execute("SETBIT", "big", "12345", "1")   # bytearray values too
    value = ember.execute("GET", "big")
    assert ember.execute("BITCOUNT", "big", "0", "-1") == ref(0, n - 1)
    mb = 1024 * 1024 + 4321   # more than one 1 MB slice
    ember.execute("SETRANGE", "huge", str(mb - 3), b"\xff\x0f\x01")
    ember.execute("SETBIT", "huge", "5", "1")
    assert ember.execute("BITCOUNT", "huge") == 14
    assert ember.execute("BITCOUNT", "huge", "1", "-1") == 13


def test_bitcount_ranges(ember):
    ember.execute("SET", "s", "foobar")
    assert ember.execute("BITCOUNT", "s") == 26
    assert ember.execute("BITCOUNT", "s", "0", "0") == 4
    assert ember.execute("BITCOUNT", "s", "1", "1") == 6
    assert ember.execute("BITCOUNT", "s", "-2", "-1") == 7
    assert ember.execute("BITCOUNT", "s", "5", "30", "BIT") == 17
    assert ember.execute("BITCOUNT", "s", "-100", "100", "BIT") == 26
    assert ember.execute("BITCOUNT", "s", "3", "1") == 0
    assert ember.execute("BITCOUNT", "nokey") == 0
    with pytest.raises(ReplyError, match="syntax"):
        ember.execute("BITCOUNT", "s", "1")
    with pytest.raises(ReplyError, match="syntax"):
        ember.execute("BITCOUNT", "s", "1", "2", "WORD")
    # Redis 7.2: arguments are checked even when the key is missing
    with pytest.raises(ReplyError, match="syntax"):
        ember.execute("BITCOUNT", "nokey", "1")


def test_bitpos(ember):
    ember.execute("SET", "s", b"\xff\xf0\x00")
    assert ember.execute("BITPOS", "s", "0") == 12
    assert ember.execute("BITPOS", "s", "1", "2") == -1
    assert ember.execute("BITPOS", "s", "1", "0", "-1", "BIT") == 0
    assert ember.execute("BITPOS", "s", "0", "2", "7", "BIT") == -1
    ember.execute("SET", "f", b"\xff\xff")
    assert ember.execute("BITPOS", "f", "0") == 16          # no end: zero-padded on the right
    assert ember.execute("BITPOS", "f", "0", "0", "-1") == -1
    assert ember.execute("BITPOS", "nokey", "0") == 0
    assert ember.execute("BITPOS", "nokey", "1") == -1
    with pytest.raises(ReplyError, match="must be 1 or 0"):
        ember.execute("BITPOS", "s", "2")


def test_bitop(ember):
    ember.execute("SET", "a", b"\x0f\xf0")
    ember.execute("SET", "b", b"\xff")
    assert ember.execute("BITOP", "AND", "d", "a", "b") == 2
    assert ember.execute("GET", "d") == b"\x0f\x00"
    assert ember.execute("BITOP", "OR", "d", "a", "b", "missing") == 2
    assert ember.execute("GET", "d") == b"\xff\xf0"
    assert ember.execute("BITOP", "XOR", "d", "a", "b") == 2
    assert ember.execute("GET", "d") == b"\xf0\xf0"
    assert ember.execute("BITOP", "NOT", "d", "a") == 2
    assert ember.execute("GET", "d") == b"\xf0\x0f"
    assert ember.execute("BITOP", "AND", "d", "missing") == 0
    assert ember.execute("EXISTS", "d") == 0
    with pytest.raises(ReplyError, match="BITOP NOT must be called with a single source key."):
        ember.execute("BITOP", "NOT", "d", "a", "b")
    with pytest.raises(ReplyError, match="syntax"):
        ember.execute("BITOP", "NAND", "d", "a")


def test_bitfield(ember):
    assert ember.execute("BITFIELD", "k", "SET", "i8", "0", "-100", "GET", "u8", "0") == [0, 156]
    assert ember.execute("BITFIELD", "k", "INCRBY", "i8", "0", "-100") == [56]
    assert ember.execute("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1000") == [-128]
    assert ember.execute("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-1") == [None]
    assert ember.execute("BITFIELD", "k", "SET", "u4", "#3", "15", "GET", "u4", "#3", "GET", "u16", "0") == \
        [0, 15, 0x800F]
    ember.execute("DEL", "k")
    assert ember.execute("BITFIELD", "k", "SET", "i64", "0", "-1", "GET", "i64", "0", "GET", "u63", "1") == \
        [0, -1, (1 << 63) - 1]
    assert ember.execute("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u2", "0", "5") == [0]
    assert ember.execute("BITFIELD_RO", "nokey", "GET", "i8", "0") == [0]
    assert ember.execute("EXISTS", "nokey") == 0
    with pytest.raises(ReplyError, match="Invalid bitfield type"):
        ember.execute("BITFIELD", "k", "GET", "u64", "0")
    with pytest.raises(ReplyError, match="BITFIELD_RO only supports the GET subcommand"):
        ember.execute("BITFIELD_RO", "k", "SET", "i8", "0", "1")
    with pytest.raises(ReplyError, match="Invalid OVERFLOW type"):
        ember.execute("BITFIELD", "k", "OVERFLOW", "BOUNCE")


def test_bitcount_1mb_is_fast(ember):
    ember.execute("SET", "big", bytes(range(256)) * 4096)
    t = time.perf_counter()
    assert ember.execute("BITCOUNT", "big") == 4 * 1024 * 1024
    assert ember.execute("BITCOUNT", "big", "3", "-3", "BIT") == 4 * 1024 * 1024 - 2
    assert time.perf_counter() - t < 0.5
