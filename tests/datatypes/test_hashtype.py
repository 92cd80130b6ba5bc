"""The hash value's two representations (packed bytes / dict): same answers as a dict model,
encodings as Redis decides them, field TTL bookkeeping."""

import random
from collections import Counter
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from ember.datatypes.hashtype import PACK_MAX, Hash, pack

CFG = SimpleNamespace(hash_max_listpack_entries=128, hash_max_listpack_value=64)


def make(pairs, cfg=CFG):
    h = Hash()
    for f, v in pairs:
        h.set(f, v, cfg)
    return h


def test_small_hash_is_one_packed_bytes_object():
    h = make([(b"field:01", b"value:0001"), (b"field:02", b"value:0002")])
    assert type(h.v) is bytes
    assert h.v == b"\x00field:01\x01value:0001\x00field:02\x01value:0002\x00"
    assert h.encoding() == "listpack"
    assert len(h) == 2 and h
    assert h.get(b"field:02") == b"value:0002"
    assert h.get(b"field:0") is None and h.get(b"value:0001") is None


def test_a_value_equal_to_a_field_name_is_not_a_field():
    h = make([(b"a", b"b"), (b"b", b"x"), (b"c", b"a")])
    assert h.get(b"b") == b"x"
    assert h.get(b"x") is None
    assert h.set(b"x", b"1", CFG) is True
    assert h.set(b"b", b"2", CFG) is False
    assert h.items() == [(b"a", b"b"), (b"b", b"2"), (b"c", b"a"), (b"x", b"1")]
    assert h.delete(b"x") and not h.delete(b"x")
    assert h.delete(b"a")
    assert h.items() == [(b"b", b"2"), (b"c", b"a")]
    assert h.get(b"b") == b"2"


def test_empty_fields_and_values():
    h = make([(b"", b""), (b"k", b""), (b"", b"v")])
    assert h.items() == [(b"", b"v"), (b"k", b"")]
    assert h.get(b"") == b"v" and h.get(b"k") == b""
    assert h.delete(b"")
    assert h.items() == [(b"k", b"")]


def test_binary_data_keeps_a_dict_reported_as_listpack():
    for f, v in ((b"a\x00b", b"1"), (b"a", b"\x01"), (b"\x01", b"x")):
        h = make([(b"x", b"y"), (f, v)])
        assert type(h.v) is dict, (f, v)
        assert h.encoding() == "listpack"
        assert h.get(f) == v and h.items() == [(b"x", b"y"), (f, v)]
    assert pack([b"f", b"\x00"]) is None and pack([b"\x01", b"v"]) is None


def test_a_field_argument_spanning_elements_matches_nothing():
    h = make([(b"a", b"1"), (b"b", b"2")])
    assert type(h.v) is bytes
    span = b"a\x011\x00b"                  # \0 span \1 occurs in the packed form
    assert (b"\x00" + span + b"\x01") in h.v
    assert h.get(span) is None and span not in h
    assert h.delete(span) is False
    assert h.set(span, b"3", CFG) is True      # a new (binary) field: the hash becomes a dict
    assert h.items() == [(b"a", b"1"), (b"b", b"2"), (span, b"3")]


def test_conversion_to_hashtable_by_entries_and_by_length():
    cfg = SimpleNamespace(hash_max_listpack_entries=3, hash_max_listpack_value=8)
    h = make([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")], cfg)
    assert h.encoding() == "listpack"
    h.set(b"d", b"4", cfg)
    assert h.encoding() == "hashtable" and type(h.v) is dict
    h.delete(b"d")
    h.delete(b"c")
    assert h.encoding() == "hashtable"                  # never goes back
    g = make([(b"a", b"1")], cfg)
    g.set(b"b", b"123456789", cfg)
    assert g.encoding() == "hashtable"
    assert g.items() == [(b"a", b"1"), (b"b", b"123456789")]


def test_set_pairs_packs_a_new_hash_in_one_go_and_handles_duplicates():
    h = Hash()
    args = [b"HSET", b"k", b"f1", b"v1", b"f2", b"v2", b"f1", b"v3"]
    assert h.set_pairs(args, 2, CFG) == 2
    assert h.items() == [(b"f1", b"v3"), (b"f2", b"v2")]
    g = Hash()
    assert g.set_pairs([b"f1", b"v1", b"f2", b"v2"], 0, CFG) == 2
    assert g.v == b"\x00f1\x01v1\x00f2\x01v2\x00"
    assert g.set_pairs([b"f2", b"x", b"f3", b"y"], 0, CFG) == 1
    assert g.items() == [(b"f1", b"v1"), (b"f2", b"x"), (b"f3", b"y")]


def test_a_big_listpack_hash_is_kept_as_a_dict():
    cfg = SimpleNamespace(hash_max_listpack_entries=1000, hash_max_listpack_value=64)
    h = Hash()
    for i in range(200):
        h.set(b"field:%04d" % i, b"v" * 60, cfg)
    assert PACK_MAX < 200 * 72
    assert type(h.v) is dict and h.encoding() == "listpack"
    assert len(h) == 200 and h.get(b"field:0199") == b"v" * 60


def test_field_ttls_and_their_state_go_with_the_last_ttl():
    h = make([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    h.set_ttl(b"a", 100)
    h.set_ttl(b"b", 200)
    assert h.encoding() == "listpackex" and h.has_ttls()
    assert h.next_expiry() == 100
    assert h.set_keep_ttl(b"a", b"9", CFG) is False
    assert h.get_ttl(b"a") == 100 and h.get(b"a") == b"9"
    h.set(b"b", b"new", CFG)                            # a new value clears the TTL
    assert h.get_ttl(b"b") is None
    assert h.expire_due(99) == []
    assert h.expire_due(150) == [b"a"]
    assert h.items() == [(b"b", b"new"), (b"c", b"3")]
    assert h.fx is None and not h.has_ttls() and h.next_expiry() is None
    assert h.encoding() == "listpackex"                 # stays, as in Redis
    h.set_ttl(b"c", 300)
    assert h.persist(b"c") and not h.persist(b"c")
    assert h.fx is None


def test_copy_is_independent():
    h = make([(b"a", b"1")])
    h.set_ttl(b"a", 50)
    g = h.copy()
    g.set(b"a", b"2", CFG)
    assert h.get(b"a") == b"1" and h.get_ttl(b"a") == 50
    assert g.get(b"a") == b"2" and g.get_ttl(b"a") is None


def test_from_dict_and_the_views():
    h = Hash.from_dict({b"a": b"1", b"b": b"2"}, CFG)
    assert type(h.v) is bytes and h.encoding() == "listpack"
    d = h.to_dict()                                     # a copy: the hash stays packed
    d[b"c"] = b"3"
    assert h.get(b"c") is None and len(h) == 2 and type(h.v) is bytes
    big = Hash.from_dict({b"a": b"x" * 65}, CFG)
    assert big.encoding() == "hashtable"
    big.table()[b"b"] = b"2"                            # the live dict of a hashtable
    assert big.get(b"b") == b"2" and len(big) == 2


_elem = st.binary(max_size=6) | st.sampled_from([b"\x00", b"\x01", b"a\x011\x00b", b"a", b"1"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["set", "del", "get"]), _elem, _elem), max_size=40))
def test_matches_a_dict_model(ops):
    cfg = SimpleNamespace(hash_max_listpack_entries=16, hash_max_listpack_value=5)
    h = Hash()
    model = {}
    for op, f, v in ops:
        if op == "set":
            assert h.set(f, v, cfg) == (f not in model)
            model[f] = v
        elif op == "del":
            assert h.delete(f) == (f in model)
            model.pop(f, None)
        assert h.get(f) == model.get(f)
        assert len(h) == len(model)
    assert h.items() == list(model.items())
    assert h.keys() == list(model) and h.values() == list(model.values())
    assert h.to_dict() == model


def _big(n, cfg=CFG):
    h = Hash()
    for i in range(n):
        h.set(b"f%d" % i, b"v%d" % i, cfg)
    return h


def test_random_field_is_uniform_across_deletes_and_re_adds():
    # the sampler's stale entries (deleted, deleted and re-added) must not bias the picks
    h = _big(200)
    assert h.encoding() == "hashtable" and type(h.v) is dict
    assert h.random_field() is not None                 # builds the sampler
    for i in range(0, 200, 2):
        h.delete(b"f%d" % i)
    for i in range(0, 40, 2):                           # deleted and re-added: 2 entries each
        h.set(b"f%d" % i, b"x", CFG)
    for i in range(0, 20, 2):                           # deleted twice, re-added twice: 3 entries
        h.delete(b"f%d" % i)
        h.set(b"f%d" % i, b"y", CFG)
    live = set(h.keys())
    assert len(live) == 120
    random.seed(7)
    counts = Counter(h.random_field() for _ in range(120 * 400))
    assert set(counts) == live
    # each field expects 400 picks; 5 sigma is ~100
    assert min(counts.values()) > 280 and max(counts.values()) < 520, counts.most_common(3)
    re_added = sum(counts[b"f%d" % i] for i in range(0, 40, 2))
    assert 20 * 400 * 0.85 < re_added < 20 * 400 * 1.15


def test_random_pairs_shapes():
    random.seed(3)
    h = _big(1000)
    d = h.to_dict()
    for count in (1, 10, 249, 250, 999):
        pairs = h.random_pairs(count)
        assert len(pairs) == count and len({f for f, _ in pairs}) == count
        assert all(d[f] == v for f, v in pairs)
    assert h.random_pairs(1000) == list(d.items()) == h.random_pairs(5000)
    rep = h.random_pairs(-3000)
    assert len(rep) == 3000 and all(d[f] == v for f, v in rep)
    assert len({f for f, _ in rep}) < 1000                  # repeats allowed (and likely)
    small = Hash.from_dict({b"a": b"1", b"b": b"2"}, CFG)
    assert sorted(small.random_pairs(5)) == [(b"a", b"1"), (b"b", b"2")]
    assert len(small.random_pairs(-5)) == 5 and type(small.v) is bytes
    assert small.random_field() in (b"a", b"b")


def test_random_field_sampler_is_dropped_when_mostly_stale():
    h = _big(300)
    h.random_field()
    for i in range(250):
        h.delete(b"f%d" % i)
    assert h.extra.keys is None                          # rebuilt at the next pick
    assert h.random_field() in set(h.keys())
    assert len(h.extra.keys) == 50
    for i in range(1000):                               # churn: bounded by the length check
        h.set(b"g%d" % i, b"x", CFG)
        h.delete(b"g%d" % i)
        assert h.extra.keys is None or len(h.extra.keys) <= 2 * len(h) + 17
