"""The server's RDB load path (``load_rdb(build=...)`` + the compact constructors it feeds)
against the general path (``read_rdb``'s neutral model + ``convert.from_model``): same keys,
values, encodings, TTLs and internal sizes, for files mixing every case the fast path takes
and every case it must hand back (long/compressed/integer strings, keys with opcodes, binary
hash data, repeated or unsorted listpack entries, multi-node lists, big intsets)."""

import gc
import random
import struct

import pytest

from ember.datatypes.hashtype import Hash
from ember.datatypes.quicklist import QuickList
from ember.datatypes.zset import ZSet
from ember.embedded import Ember
from ember.persistence import convert, snapshot
from ember.persistence.crc64 import crc64
from ember.persistence.encodings import lp_encode
from ember.persistence.rdb import (
    KeyEntry, KeyRun, RdbError, enc_len, enc_string, load_rdb, read_rdb, save_rdb,
)


_BUILD = convert.builders(None)


def _server(**overrides):
    e = Ember(**overrides)
    return e.server, snapshot.install(e.server)


def _canon(value, config):
    """Contents + everything observable about the representation."""
    if type(value) in (bytes, bytearray):
        return ("string", bytes(value))
    t, model = convert.to_model(value)
    extra = None
    if type(value) is QuickList:
        extra = value.nbytes
    elif type(value) is Hash:
        extra = type(value.v).__name__
    elif type(value) is ZSet:
        value.index._check()
        extra = value.index._lists
    if t == "hash":
        model = list(model.items())
    return (t, value.encoding(config), list(model), extra)


def _expected(path, config):
    out = {}
    for db, keys in read_rdb(path).dbs.items():
        for k, (t, v, exp) in keys.items():
            if t != "string":
                v = convert.from_model(t, v, config)
                if not len(v):
                    continue
            out[(db, k)] = (_canon(v, config), exp)
    return out


def _loaded(server):
    return {(db.id, k): (_canon(v, server.config), db.expires.get(k))
            for db in server.dbs for k, v in db.data.items()}


def _mixed_items(rnd, n, prefix=b""):
    items = []
    for i in range(n):
        k = prefix + b"k%d" % i
        x = rnd.random()
        exp = 4102444800000 + i if rnd.random() < 0.1 else None
        if x < 0.5:
            kind = rnd.random()
            if kind < 0.4:
                v = b"v%d" % i                                      # short raw
            elif kind < 0.6:
                v = b"value:%d:" % i + b"x" * rnd.randint(12, 60)  # LZF-compressed
            elif kind < 0.7:
                v = b"%d" % rnd.randint(-300, 300)                   # integer encodings
            elif kind < 0.8:
                v = b"%d" % rnd.randint(-(1 << 40), 1 << 40)
            elif kind < 0.9:
                v = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(64, 300)))
            else:
                v = b"y" * rnd.randint(64, 5000)                      # long, compressed
            items.append((k, "string", v, exp))
        elif x < 0.62:
            d = {}
            for j in range(rnd.randint(1, 12)):
                d[b"f%d" % j] = rnd.choice([b"v%d" % j, b"%d" % j, b"a\x00b", b"c\x01",
                                            b"z" * rnd.randint(0, 80), b""])
            items.append((k, "hash", d, exp))
        elif x < 0.74:
            n_el = rnd.choice([1, 3, 10, 200, 2000])
            items.append((k, "list", [rnd.choice([b"e%d" % j, b"%d" % (j * 997), b"-5",
                                                  b"w" * rnd.randint(0, 100)])
                                      for j in range(n_el)], exp))
        elif x < 0.87:
            if rnd.random() < 0.5:
                m = [b"%d" % rnd.randint(-(1 << 33), 1 << 33) for _ in range(rnd.choice([1, 5, 600]))]
            else:
                m = [b"m%d" % j for j in range(rnd.choice([1, 5, 200]))]
            items.append((k, "set", m, exp))
        else:
            pairs = [(b"m%d" % j if rnd.random() < 0.9 else b"%d" % j,
                      rnd.choice([j * 1.5, float(j), -j, 1e300, float("inf"), float("-inf"),
                                  0.1 * j]))
                     for j in range(rnd.choice([1, 4, 20, 200]))]
            items.append((k, "zset", pairs, exp))
    return items


def test_fast_load_matches_general_path(tmp_path):
    rnd = random.Random(7)
    path = str(tmp_path / "mixed.rdb")
    save_rdb(path, [(0, _mixed_items(rnd, 1500)), (3, _mixed_items(rnd, 300, b"d3"))])
    server, snap = _server()
    expected = _expected(path, server.config)
    assert snap.load(path) == (len(expected), 0)
    assert _loaded(server) == expected
    for db in server.dbs:
        assert set(db.atime) == set(db.data)
    # the fast form was really used: runs of keys, built by the compact constructors
    runs = [ev for ev in load_rdb(path, build=convert.builders(server.config))
            if type(ev) is KeyRun]
    assert sum(len(ev.keys) for ev in runs) == len(expected)
    assert sum(len(ev.expires) for ev in runs) == sum(1 for _, exp in expected.values() if exp)
    seen = []
    build = {name: (lambda v, name=name: seen.append(name) or convert._FROM[name](v, None))
             for name in convert._FROM}
    for _ in load_rdb(path, build=build):
        pass
    assert {"hash:flat", "zset:flat", "set:int", "list:lp", "set", "hash"} <= set(seen)


@pytest.mark.parametrize("overrides", [
    {"hash_max_listpack_entries": 4, "zset_max_listpack_entries": 3, "set_max_intset_entries": 4,
     "list_max_listpack_size": 5},
    {"hash_max_listpack_value": 2, "zset_max_listpack_value": 2, "list_max_listpack_size": -1},
])
def test_fast_load_matches_general_path_other_limits(tmp_path, overrides):
    rnd = random.Random(11)
    path = str(tmp_path / "limits.rdb")
    save_rdb(path, [(0, _mixed_items(rnd, 800))])
    server, snap = _server(**overrides)
    expected = _expected(path, server.config)
    snap.load(path)
    assert _loaded(server) == expected


def _rdb(body: bytes) -> bytes:
    data = b"REDIS0010" + body + b"\xff"
    return data + struct.pack("<Q", crc64(data))


def _lp_blob(items):
    blob = lp_encode(items)
    return enc_len(len(blob)) + blob


def test_repeated_and_unsorted_listpack_entries(tmp_path):
    """Files Redis would not write, read the way the general path reads them."""
    body = (b"\x10" + enc_string(b"h") + _lp_blob([b"a", b"1", b"b", b"2", b"a", b"3"])
            + b"\x11" + enc_string(b"zu") + _lp_blob([b"b", b"2", b"a", b"1", b"c", b"-1"])
            + b"\x11" + enc_string(b"zd") + _lp_blob([b"a", b"1", b"a", b"5", b"b", b"2"])
            + b"\x11" + enc_string(b"zi") + _lp_blob([b"x", b"inf", b"y", b"-inf"]))
    path = str(tmp_path / "odd.rdb")
    with open(path, "wb") as f:
        f.write(_rdb(body))
    server, snap = _server()
    expected = _expected(path, server.config)
    snap.load(path)
    assert _loaded(server) == expected
    data = server.dbs[0].data
    assert list(data[b"h"].items()) == [(b"a", b"3"), (b"b", b"2")]
    assert list(data[b"zu"]) == [(b"c", -1.0), (b"a", 1.0), (b"b", 2.0)]
    assert list(data[b"zd"]) == [(b"b", 2.0), (b"a", 5.0)]


def test_nan_score_in_listpack_refused(tmp_path):
    path = str(tmp_path / "nan.rdb")
    with open(path, "wb") as f:
        f.write(_rdb(b"\x11" + enc_string(b"z") + _lp_blob([b"a", b"nan"])))
    server, snap = _server()
    with pytest.raises(RdbError) as ei:
        snap.load(path)
    assert ei.value.key == b"z"


def test_string_runs_duplicates_and_errors(tmp_path):
    plain = b"".join(b"\x00" + enc_string(b"k%d" % i) + enc_string(b"v%d" % i)
                     for i in range(300))
    dup = plain + b"\x00" + enc_string(b"k7") + enc_string(b"again")
    server, snap = _server()
    with pytest.raises(RdbError) as ei:
        snap.load(_rdb(dup))
    assert ei.value.key == b"k7" and "duplicate" in ei.value.message
    # a repeat inside one run
    server, snap = _server()
    with pytest.raises(RdbError) as ei:
        snap.load(_rdb(plain + plain[:40]))
    assert "duplicate" in ei.value.message
    # corrupt LZF data inside a run: the general path reports it, with its offset
    good = b"\x00" + enc_string(b"lz") + enc_string(b"abc" * 20)
    assert good[4] == 0xC3
    i = len(plain) + 7
    bad = bytearray(plain + good + plain.replace(b"k", b"j"))
    bad[i] = 0x1F            # a literal run longer than the data left
    with pytest.raises(RdbError) as ei:
        list(load_rdb(_rdb(bytes(bad)), build=_BUILD))
    assert "LZF" in ei.value.message and ei.value.key == b"lz"
    # a file truncated in the middle of a run
    for cut in (len(plain) // 2, len(plain) - 3):
        with pytest.raises(RdbError):
            list(load_rdb(b"REDIS0010" + plain[:cut], build=_BUILD))


def test_string_runs_keep_merge_and_tracked_dicts(tmp_path):
    """DEBUG RELOAD NOFLUSH (merge) overwrites; maxmemory's TrackedDict sees every key."""
    path = str(tmp_path / "s.rdb")
    save_rdb(path, [(0, [(b"k%d" % i, "string", b"v%d" % i, None) for i in range(500)])])
    server, snap = _server(maxmemory="100mb")
    data = server.dbs[0].data
    assert type(data) is not dict           # eviction's size-tracking dict
    snap.load(path)
    assert len(data) == 500 and data.used > 500 * 20 and len(data.order) == 500
    snap.load(path, merge=True)
    assert len(server.dbs[0].data) == 500
    assert server.dbs[0].data[b"k3"] == b"v3"
    assert server.dbs[0].atime[b"k3"] is not None


def test_gc_state_restored_after_load(tmp_path):
    server, snap = _server()
    assert gc.isenabled()
    snap.load(_rdb(b"\x00" + enc_string(b"a") + enc_string(b"b")))
    assert gc.isenabled()
    with pytest.raises(RdbError):
        snap.load(_rdb(b"\x00" + enc_string(b"a") + enc_string(b"b") + b"\x42"))
    assert gc.isenabled()


@pytest.mark.parametrize("seed", range(3))
def test_loaded_list_size_is_the_listpack_size(seed):
    """``QuickList.loaded`` trusts the listpack's size: it must be what ember computes."""
    rnd = random.Random(seed)
    for _ in range(300):
        items = []
        for _ in range(rnd.randint(1, 40)):
            r = rnd.random()
            if r < 0.3:
                items.append(b"%d" % rnd.choice([0, 127, 128, -1, 4095, -4096, 4096, 32767,
                                                 -32769, 8388608, 2 ** 31, -2 ** 63, 2 ** 63,
                                                 rnd.randint(-10 ** 18, 10 ** 18)]))
            elif r < 0.4:
                items.append(rnd.choice([b"007", b"-0", b"+1", b"1 ", b"", b"-"]))
            else:
                items.append(b"s" * rnd.choice([0, 1, 63, 64, 100, 4095, 4096, 5000]))
        assert QuickList(items).nbytes == len(lp_encode(items))


def test_idle_opcode_and_access_times(tmp_path):
    body = (b"\x00" + enc_string(b"a") + enc_string(b"1")
            + b"\xf8" + enc_len(100) + b"\x00" + enc_string(b"old") + enc_string(b"x")
            + b"\xf8" + enc_len(7) + b"\x10" + enc_string(b"h") + _lp_blob([b"f", b"v"])
            + b"".join(b"\x00" + enc_string(b"k%d" % i) + enc_string(b"v") for i in range(200)))
    server, snap = _server()
    now = server.clock_ms()
    snap.load(_rdb(body))
    at = server.dbs[0].atime
    assert set(at) == set(server.dbs[0].data)
    assert now - 100_000 - 5000 <= at[b"old"] <= now - 100_000 + 5000
    assert now - 7000 - 5000 <= at[b"h"] <= now - 7000 + 5000
    assert now <= at[b"a"] <= now + 5000 and at[b"k5"] == at[b"a"]


@pytest.mark.parametrize("merge", [False, True])
def test_expired_keys_in_runs_are_skipped(tmp_path, merge):
    past, future = 1_000_000, 4102444800000
    items = []
    for i in range(300):
        exp = past if i % 3 == 0 else (future if i % 3 == 1 else None)
        if i % 2:
            items.append((b"s%d" % i, "string", b"v%d" % i, exp))
        else:
            items.append((b"h%d" % i, "hash", {b"f": b"%d" % i}, exp))
    path = str(tmp_path / "exp.rdb")
    save_rdb(path, [(0, items)])
    server, snap = _server()
    db = server.dbs[0]
    if merge:
        db.data[b"s3"] = b"kept"          # an expired key of the file must not replace it
    assert snap.load(path, merge=merge) == (200, 100)
    want = {k for k, _, _, exp in items if exp != past}
    assert set(db.data) == want | ({b"s3"} if merge else set())
    assert db.expires == {k: future for k, _, _, exp in items if exp == future}
    assert db.wheel.entries == 100
    if merge:
        assert db.data[b"s3"] == b"kept"
    assert set(db.atime) >= want


@pytest.mark.parametrize("n", [1, 5, 129, 300])
def test_zset_model_from_the_index_writes_what_sorting_writes(n):
    """The writer takes a ZSet's pairs as they are (SortedPairs): same bytes as sorting."""
    from ember.persistence.rdb import SortedPairs, dump_value
    rnd = random.Random(n)
    pairs = [(b"m%d" % rnd.randint(0, 10 ** 6), rnd.choice([1.5, -0.0, 0.0, 2.0, float("inf")]))
             for _ in range(n)]
    z = ZSet(pairs)
    tname, model = convert.to_model(z)
    assert tname == "zset" and type(model) is SortedPairs
    assert dump_value("zset", model) == dump_value("zset", list(dict(pairs).items()))
    long_member = ZSet([(b"x" * 100, 1.0), (b"a", 2.0)])
    assert dump_value("zset", convert.to_model(long_member)[1]) == dump_value(
        "zset", [(b"a", 2.0), (b"x" * 100, 1.0)])


def test_big_zset_from_flat_index_is_valid():
    flat = []
    for j in range(2500):
        flat += [b"m%05d" % j, b"%d" % (j // 3)]
    z = ZSet.from_flat(flat)
    z.index._check()
    assert list(z) == list(ZSet((flat[i], float(flat[i + 1])) for i in range(0, 5000, 2)))
    assert z.rank(b"m01000") == 1000 and z.rank(b"m02499") == 2499
    z.add(b"new", 0.5)
    z.index._check()
    assert z.rank(b"new") == 3
