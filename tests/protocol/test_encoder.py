"""The encoder's C-loop paths (arrays of byte strings, member/score pairs) must write exactly
what the per-item path writes."""

import math

from hypothesis import given, settings, strategies as st

from ember.protocol.encoder import bulk_strings, encode, format_double, format_doubles


def reference(v, resp3):
    """One item at a time, the plain RESP rules."""
    if type(v) is bytes:
        return b"$%d\r\n%b\r\n" % (len(v), v)
    if type(v) is int:
        return b":%d\r\n" % v
    if type(v) is float:
        s = format_double(v)
        return b",%b\r\n" % s if resp3 else b"$%d\r\n%b\r\n" % (len(s), s)
    if v is None:
        return b"_\r\n" if resp3 else b"$-1\r\n"
    assert type(v) in (list, tuple)
    return b"*%d\r\n" % len(v) + b"".join(reference(x, resp3) for x in v)


_bytes = st.binary(max_size=20) | st.sampled_from([b"", b"x" * 9999, b"y" * 10000, b"z" * 12345])
_floats = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**18, 10**18).map(float) \
    | st.sampled_from([0.0, -0.0, 1e17, -1e17, 1e16, 99999999999999999.0, 0.1, 1e-7])
_items = st.one_of(_bytes, _floats, st.integers(-5, 20000), st.none())


@settings(max_examples=300, deadline=None)
@given(st.lists(_bytes, max_size=40), st.booleans())
def test_arrays_of_byte_strings(vals, resp3):
    assert encode(vals, resp3) == reference(vals, resp3)
    assert encode(tuple(vals), resp3) == reference(vals, resp3)
    assert bulk_strings(vals) == b"".join(reference(x, resp3) for x in vals)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([0, 1, 3, 1023, 1024, 9999, 10000]), st.integers(1, 120), st.data(),
       st.booleans())
def test_arrays_of_equal_length_byte_strings(width, n, data, resp3):
    """The one-length path (values joined by a shared separator), and its neighbours: one
    value of another length anywhere, bytearray/memoryview values."""
    vals = [bytes([i % 251]) * width for i in range(n)]
    assert encode(vals, resp3) == reference(vals, resp3)
    assert bulk_strings(vals) == b"".join(reference(x, resp3) for x in vals)
    odd = list(vals)
    odd[data.draw(st.integers(0, n - 1))] = b"q" * data.draw(st.integers(0, width + 2))
    assert encode(odd, resp3) == reference(odd, resp3)
    mixed = [bytearray(v) if i % 2 else memoryview(v) for i, v in enumerate(vals)]
    assert bulk_strings(mixed) == b"".join(reference(x, resp3) for x in vals)


def test_arrays_whose_ends_and_middle_agree():
    """First, middle and last of one length, another value not (one of 10000 bytes or more
    too: no "$<len>" head in the table)."""
    for odd in (b"", b"q" * 4, b"q" * 10000, b"q" * 12345):
        for i in (1, 3):
            vals = [b"abc"] * 5
            vals[i] = odd
            assert encode(vals, False) == reference(vals, False)
            assert bulk_strings(vals) == b"".join(reference(x, False) for x in vals)


def test_arrays_of_equal_length_non_bytes():
    """Values of one length that are not bytes-like still leave the C path (TypeError)."""
    for vals in (["abc", "def", "ghi"], [b"abc", "def", b"ghi"]):
        try:
            bulk_strings(vals)
        except TypeError:
            pass
        else:
            raise AssertionError("bulk_strings accepted %r" % (vals,))
    assert encode(["abc", "def", "ghi"], False) == b"*3\r\n+abc\r\n+def\r\n+ghi\r\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_bytes, _floats), max_size=20), st.booleans())
def test_member_score_pairs(pairs, resp3):
    flat = [x for p in pairs for x in p]
    assert encode(flat, resp3) == reference(flat, resp3)
    assert encode(tuple(flat), resp3) == reference(flat, resp3)


_scores = _floats.filter(lambda d: d == d)      # a zset holds no NaN


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_scores, _bytes), max_size=20))
def test_index_pairs_resp2(items):
    """ZRANGE WITHSCORES' wire form from (score, member) index items, cached by value: the
    same bytes as the member/score array, on a miss and on a hit alike."""
    from ember.protocol.encoder import index_pairs_resp2
    flat = [x for s, m in items for x in (m, s)]
    assert index_pairs_resp2(items) == reference(flat, False)
    assert index_pairs_resp2(items) == reference(flat, False)


@given(_bytes, _scores)
def test_popped_resp2(m, s):
    from ember.protocol.encoder import popped_resp2
    assert popped_resp2(m, s) == reference([m, s], False)
    assert popped_resp2(m, s, m + b"k") == reference([m + b"k", m, s], False)


@settings(max_examples=300, deadline=None)
@given(st.lists(_items, max_size=12), st.booleans())
def test_mixed_arrays(vals, resp3):
    assert encode(vals, resp3) == reference(vals, resp3)
    assert encode([vals, [b"a", 1.5, b"b", 2.0]], resp3) == reference([vals, [b"a", 1.5, b"b", 2.0]], resp3)


_entry = st.tuples(_bytes, st.lists(_bytes, max_size=6)).map(list)
_odd_entry = st.one_of(_entry, st.tuples(_bytes, st.none()).map(list),
                       st.tuples(_bytes, st.lists(_items, max_size=3)).map(list),
                       st.lists(_bytes, max_size=3), st.tuples(st.integers(0, 9), st.lists(_bytes)).map(list))


@settings(max_examples=300, deadline=None)
@given(st.lists(_entry, max_size=12), st.lists(_odd_entry, max_size=4), st.booleans())
def test_stream_entry_arrays(entries, odd, resp3):
    """[[id, [field, value, ...]], ...] (XRANGE & co.) in one pass; anything else in the
    list falls back to the per-item path with the same bytes."""
    assert encode(entries, resp3) == reference(entries, resp3)
    mixed = entries + odd
    assert encode(mixed, resp3) == reference(mixed, resp3)
    nested = [[b"key", entries], [b"key2", mixed]]   # XREAD / XREADGROUP replies
    assert encode(nested, resp3) == reference(nested, resp3)


_uniform_entries = st.integers(0, 4).flatmap(
    lambda m: st.lists(st.tuples(_bytes, st.lists(_bytes, min_size=m, max_size=m)).map(list),
                       min_size=1, max_size=20))


@settings(max_examples=300, deadline=None)
@given(_uniform_entries, st.lists(_odd_entry, max_size=2), st.booleans())
def test_stream_entry_arrays_uniform(entries, odd, resp3):
    """Entries with the same number of fields (the column-wise path), alone, nested as
    XREAD replies, and with one odd element in the array."""
    assert encode(entries, resp3) == reference(entries, resp3)
    mixed = entries + odd
    assert encode(mixed, resp3) == reference(mixed, resp3)
    nested = [[b"key", entries], [b"key2", mixed]]
    assert encode(nested, resp3) == reference(nested, resp3)
    assert encode([[b"k", entries]], resp3) == reference([[b"k", entries]], resp3)


@given(st.lists(_floats, max_size=30))
def test_format_doubles_is_format_double(ds):
    assert format_doubles(ds) == [format_double(d) for d in ds]
    assert format_doubles(tuple(ds)) == [format_double(d) for d in ds]


def test_format_double_values():
    assert format_double(5000.0) == b"5000" and format_double(-3.0) == b"-3"
    assert format_double(-0.0) == b"0" and format_double(1.5) == b"1.5"
    assert format_double(1e16) == b"10000000000000000" and format_double(1e17) == b"1e+17"
    assert format_double(math.inf) == b"inf" and format_double(-math.inf) == b"-inf"
    assert format_double(math.nan) == b"nan" and format_double(7) == b"7"


def test_double_caches_stay_bounded_and_exact():
    """The formatted-double caches (encoder._double_cache, _bulk_double_cache) are emptied
    when full and give the same bytes before and after."""
    from ember.protocol import encoder as E
    ds = [i / 4 for i in range(3 * E._DOUBLE_CACHE_MAX)] + [-0.0, 0.0, math.inf, -math.inf]
    for _ in range(2):
        assert format_doubles(ds) == [format_double(d) for d in ds]
        flat = [x for d in ds for x in (b"m", d)]
        assert encode(flat) == reference(flat, False)
        assert [encode(d) for d in ds[:50]] == [reference(d, False) for d in ds[:50]]
        assert len(E._double_cache) <= E._DOUBLE_CACHE_MAX
        assert len(E._bulk_double_cache) <= E._DOUBLE_CACHE_MAX
        items = [(d, b"m%d" % i) for i, d in enumerate(ds)]
        assert E.index_pairs_resp2(items) == reference([x for d, m in items for x in (m, d)], False)
        assert len(E._pair_wire_cache) <= E._DOUBLE_CACHE_MAX
    big = (1.5, b"x" * (E._PAIR_WIRE_MEMBER_MAX + 1))
    assert E.index_pairs_resp2([big]) == reference([big[1], big[0]], False)
    assert big not in E._pair_wire_cache
