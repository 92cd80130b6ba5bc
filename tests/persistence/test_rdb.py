import io
import json
import os
import random
import shutil
import struct
import subprocess

import pytest

from ember.persistence import (
    RdbError, StreamConsumer, StreamGroup, StreamPending, StreamValue, create_dump_payload,
    crc64, dump_value, load_rdb, load_value, parse_dump_payload, read_rdb, save_rdb,
)
from ember.persistence import lzf
from ember.persistence.check import check_rdb_main
from ember.persistence.crc64 import crc64_bytewise, crc64_py
from ember.persistence.encodings import lp_decode, lp_encode
from oracle import REDIS_CHECK_RDB, REDIS_SERVER, Oracle, neutral_to_snapshot, snapshot, to_json

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "redis70.rdb")
MANIFEST = os.path.join(HERE, "fixtures", "redis70.json")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not installed")


# ---------------------------------------------------------------- primitives

def test_crc64_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    data = random.Random(7).randbytes(100_003)
    assert crc64(data) == crc64_bytewise(data)
    assert crc64(data[5000:], crc64(data[:5000])) == crc64(data)


def test_crc64_c_and_pure_python_agree():
    import importlib
    crcmod = importlib.import_module("ember.persistence.crc64")
    data = random.Random(8).randbytes(70_001)
    assert crc64_py(b"123456789") == 0xE9C6D914C4B8D9CA
    for n in (0, 1, 7, 8, 9, 100, 2047, 2048, 2049, 5000, 70_001):
        for init in (0, 0xDEADBEEF12345678):
            want = crc64_py(data[:n], init)
            assert crc64(data[:n], init) == want
            assert crc64(memoryview(data)[:n], init) == want
            assert crc64(bytearray(data[:n]), init) == want
    if crcmod.BACKEND == "python":
        pytest.skip("anycrc not installed: only the pure-Python CRC is in use")


def test_lzf_c_and_pure_python_interoperate():
    """Each implementation reads what the other writes (both are liblzf's format)."""
    if lzf.BACKEND == "python":
        pytest.skip("python-lzf not installed: only the pure-Python LZF is in use")
    rnd = random.Random(4)
    samples = [b"a" * 21, b"abcdefgh" * 200, os.urandom(300), b"x" * 70_000]
    samples += [bytes(rnd.choice(b"abcd") for _ in range(rnd.randint(21, 3000)))
                for _ in range(200)]
    samples += [b"".join(rnd.choice([b"foo", b"bar", b"bazqux", os.urandom(5)])
                         for _ in range(rnd.randint(5, 500))) for _ in range(100)]
    for s in samples:
        for c in (lzf.compress(s), lzf.compress_py(s)):
            if c is None:
                continue
            assert lzf.decompress(c, len(s)) == s
            assert lzf.decompress_py(c, len(s)) == s
            for bad in (len(s) - 1, len(s) + 1):
                with pytest.raises(lzf.LzfError):
                    lzf.decompress(c, bad)
                with pytest.raises(lzf.LzfError):
                    lzf.decompress_py(c, bad)
        # the bound: None when the output would not fit in len - 4 bytes (what Redis asks)
        for fn in (lzf.compress, lzf.compress_py):
            c = fn(s, len(s) - 4)
            assert c is None or len(c) <= len(s) - 4
    for fn in (lzf.decompress, lzf.decompress_py):
        with pytest.raises(lzf.LzfError):
            fn(b"\x20\x05", 10)


def test_lzf_roundtrip():
    rnd = random.Random(3)
    for _ in range(300):
        s = bytes(rnd.choice(b"abc") for _ in range(rnd.randint(1, 2000)))
        c = lzf.compress(s)
        assert lzf.decompress(c, len(s)) == s
    assert lzf.compress(os.urandom(100), 96) is None
    with pytest.raises(lzf.LzfError):
        lzf.decompress(b"\x20\x05", 10)


def test_listpack_roundtrip():
    items = [b"", b"a", b"x" * 63, b"y" * 64, b"z" * 5000, 0, 127, 128, -4096, 4095, -32768,
             8388607, 2**31 - 1, -2**63, 2**63 - 1, b"007", b"-0"]
    out = lp_decode(lp_encode(items))
    assert [x if isinstance(x, bytes) else str(x).encode() for x in out] == \
           [x if isinstance(x, bytes) else str(x).encode() for x in items]


# ---------------------------------------------------------------- fixture

def _contents_as_snapshot(contents):
    out = {}
    for db, keys in contents.dbs.items():
        out[str(db)] = {k: [t, neutral_to_snapshot(t, v), e] for k, (t, v, e) in sorted(keys.items())}
    return to_json(out)


def test_fixture_matches_manifest():
    with open(MANIFEST) as f:
        manifest = json.load(f)
    c = read_rdb(FIXTURE)
    assert c.version == 10
    assert c.aux[b"redis-ver"] == b"7.0.15"
    assert [f.decode() for f in c.functions] == manifest["functions"]
    got = json.loads(json.dumps(_contents_as_snapshot(c)))
    assert got == manifest["data"]


# ---------------------------------------------------------------- live oracle

@pytest.fixture(scope="module")
def oracle():
    if REDIS_SERVER is None:
        pytest.skip("redis-server not installed")
    from make_fixtures import fill
    with Oracle() as o:
        fill(o.client)
        yield o


def _raw(o):
    from oracle import raw_client
    return raw_client(o.client)


@needs_redis
def test_oracle_dump_payloads_parse(oracle):
    raw = _raw(oracle)
    expected = snapshot(oracle.client, dbs=[0])[0]
    for key, (t, v, _) in expected.items():
        payload = raw.execute_command("DUMP", key)
        tn, value = parse_dump_payload(payload)
        assert tn == t, key
        assert to_json(neutral_to_snapshot(tn, value)) == to_json(v), key


@needs_redis
@pytest.mark.parametrize("compress", [True, False])
def test_our_payloads_restore_in_oracle(oracle, compress):
    raw = _raw(oracle)
    expected = snapshot(oracle.client, dbs=[0])[0]
    for key, (t, v, _) in expected.items():
        tn, value = parse_dump_payload(raw.execute_command("DUMP", key))
        payload = create_dump_payload(tn, value, compress=compress)
        newkey = b"copy:" + key
        raw.execute_command("RESTORE", newkey, 0, payload, "REPLACE")
        from oracle import snapshot_key
        assert to_json(snapshot_key(raw, newkey)) == to_json([t, v]), key
        raw.execute_command("DEL", newkey)


def _sample_databases():
    sv = StreamValue(entries=[(1, 0, [(b"a", b"1")]), (2, 0, [(b"a", b"2")]),
                              (3, 1, [(b"b", b"x"), (b"c", b"")])],
                     last_id=(3, 1), first_id=(1, 0), entries_added=3)
    sv.groups.append(StreamGroup(b"g", (2, 0), 2, {(1, 0): StreamPending(b"c", 1700000000000, 3)},
                                 [StreamConsumer(b"c", 1700000000000, 1700000000000, [(1, 0)])]))
    db0 = [
        (b"str", "string", b"value", None),
        (b"int", "string", b"-123456", None),
        (b"long", "string", b"abc" * 1000, 4102444800000),
        (b"list", "list", [b"a", b"1", b"x" * 300] * 2000, None),
        (b"slist", "list", [b"a", b"b"], None),
        (b"iset", "set", [b"1", b"2", b"70000"], None),
        (b"set", "set", [b"a%d" % i for i in range(200)], None),
        (b"zs", "zset", [(b"a", 1.0), (b"b", 2.5), (b"c", float("-inf"))], None),
        (b"zb", "zset", [(b"m%d" % i, i * 0.25) for i in range(300)], None),
        (b"h", "hash", {b"a": b"1", b"b": b"two"}, None),
        (b"hb", "hash", {b"f%d" % i: b"v" * i for i in range(200)}, None),
        (b"stream", "stream", sv, None),
    ]
    db3 = [(b"other", "string", b"db3", 4102444800001)]
    return [(0, db0), (3, db3)]


@needs_redis
def test_saved_rdb_loads_in_oracle(tmp_path):
    path = tmp_path / "ours.rdb"
    dbs = _sample_databases()
    save_rdb(path, dbs, {"redis-ver": "7.2.4", "redis-bits": "64"},
             ["#!lua name=mylib\nredis.register_function('f', function() return 2 end)"])
    if REDIS_CHECK_RDB:
        res = subprocess.run([REDIS_CHECK_RDB, str(path)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
    # round trip through our reader
    c = read_rdb(path)
    assert c.dbs[0][b"list"][1] == dbs[0][1][3][2]
    assert c.dbs[3][b"other"] == ("string", b"db3", 4102444800001)
    with Oracle(dir=str(tmp_path), dbfilename="ours.rdb") as o:
        snap = snapshot(o.client)
        assert o.client.fcall("f", 0) == 2
    for db, items in dbs:
        assert set(snap[db]) == {k for k, *_ in items}
        for key, t, value, exp in items:
            st, sv, sexp = snap[db][key]
            assert st == t and sexp == exp
            assert to_json(sv) == to_json(neutral_to_snapshot(t, value)), key


@pytest.mark.parametrize("version", [10, 11])
def test_writer_roundtrip_versions(tmp_path, version):
    path = tmp_path / "v.rdb"
    dbs = _sample_databases()
    save_rdb(path, dbs, {"x": "1"}, [], version=version, compress=False)
    c = read_rdb(path)
    assert c.version == version
    for db, items in dbs:
        for key, t, value, exp in items:
            gt, gv, gexp = c.dbs[db][key]
            assert (gt, gexp) == (t, exp)
            assert to_json(neutral_to_snapshot(t, gv)) == to_json(neutral_to_snapshot(t, value))


# ---------------------------------------------------------------- corruption

def test_truncated_files_raise_with_offset(tmp_path):
    data = open(FIXTURE, "rb").read()
    for cut in [5, 9, 10, 100, len(data) // 2, len(data) - 9, len(data) - 1]:
        with pytest.raises(RdbError) as ei:
            list(load_rdb(data[:cut]))
        assert 0 <= ei.value.offset <= cut


def test_bit_flips_detected(tmp_path):
    data = open(FIXTURE, "rb").read()
    rnd = random.Random(11)
    for _ in range(40):
        pos = rnd.randrange(9, len(data))
        bad = bytearray(data)
        bad[pos] ^= 1 << rnd.randrange(8)
        with pytest.raises(RdbError) as ei:
            list(load_rdb(bytes(bad)))
        assert "offset" in str(ei.value)


def test_check_tool(tmp_path, capsys):
    assert check_rdb_main([FIXTURE]) == 0
    data = open(FIXTURE, "rb").read()
    p = tmp_path / "bad.rdb"
    p.write_bytes(data[: len(data) // 3])
    assert check_rdb_main([str(p)]) == 1
    out = capsys.readouterr().out
    assert "offset:" in out and "RDB ERROR" in out


def test_dump_payload_checks():
    p = create_dump_payload("string", b"hello")
    assert parse_dump_payload(p) == ("string", b"hello")
    with pytest.raises(ValueError, match="checksum"):
        parse_dump_payload(p[:-1] + bytes([p[-1] ^ 1]))
    body = dump_value("string", b"x")
    bad = body + struct.pack("<H", 13)
    bad += struct.pack("<Q", crc64(bad))
    with pytest.raises(ValueError, match="version"):
        parse_dump_payload(bad)


# ---------------------------------------------------------------- legacy encodings

def _zl_entry(item):
    if isinstance(item, int):
        if 0 <= item <= 12:
            return bytes([0xF1 + item])
        return b"\xe0" + item.to_bytes(8, "little", signed=True)
    assert len(item) < 64
    return bytes([len(item)]) + item


def _ziplist(items):
    body = b""
    prev = 0
    tail = 10
    for it in items:
        e = _zl_entry(it)
        e = bytes([prev]) + e
        prev = len(e)
        tail = 10 + len(body)
        body += e
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(items)) + body + b"\xff"


def _legacy_payload(tbyte, blob_fields):
    from ember.persistence.rdb import enc_raw_blob, enc_len
    body = bytes([tbyte]) + blob_fields
    body += struct.pack("<H", 9)
    return body + struct.pack("<Q", crc64(body))


@needs_redis
def test_legacy_ziplist_types(oracle):
    from ember.persistence.rdb import enc_raw_blob, enc_len
    raw = _raw(oracle)
    cases = {
        10: ("list", [b"a", 5, b"bc", 123456789]),
        13: ("hash", [b"f", b"v", b"n", 7]),
        12: ("zset", [b"m", 3, b"k", b"1.5"]),
    }
    for tbyte, (tn, items) in cases.items():
        payload = _legacy_payload(tbyte, enc_raw_blob(_ziplist(items), False))
        got_type, value = parse_dump_payload(payload)
        assert got_type == tn
        raw.execute_command("RESTORE", b"legacy", 0, payload, "REPLACE")
        from oracle import snapshot_key
        assert to_json(snapshot_key(raw, b"legacy")) == to_json([tn, neutral_to_snapshot(tn, value)])
    # quicklist v1 (ziplist nodes)
    payload = _legacy_payload(14, enc_len(2) + enc_raw_blob(_ziplist([b"a", 1]), False)
                              + enc_raw_blob(_ziplist([b"b"]), False))
    assert parse_dump_payload(payload) == ("list", [b"a", b"1", b"b"])
    raw.execute_command("RESTORE", b"legacy", 0, payload, "REPLACE")
    assert raw.execute_command("LRANGE", b"legacy", 0, -1) == [b"a", b"1", b"b"]
    raw.execute_command("DEL", b"legacy")


# ---------------------------------------------------------------- hash field TTLs (RDB 12)

def _hfe_value():
    from ember.persistence.rdb import HashTTLValue
    pairs = {b"a": b"1", b"b": b"two", b"c": b"x" * 30, b"d": b"4"}
    return HashTTLValue(pairs, {b"c": 1_900_000_000_500, b"a": 1_900_000_000_123})


def test_hash_field_ttls_listpack_ex_layout_and_roundtrip():
    from ember.persistence.rdb import HashTTLValue, T_HASH_LISTPACK_EX
    v = _hfe_value()
    blob = dump_value("hash", v, rdb_version=12, compress=False)
    assert blob[0] == T_HASH_LISTPACK_EX == 25
    assert struct.unpack_from("<Q", blob, 1)[0] == 1_900_000_000_123     # smallest expiry
    r = load_value(blob)
    assert r[0] == "hash" and r[2] == len(blob)
    assert r[1] == v
    # the listpack: triplets, timed fields first by expiry, then the others with 0
    from ember.persistence.rdb import _Reader
    rd = _Reader(blob, 9)
    items = lp_decode(rd.string())
    assert rd.pos == len(blob)
    assert items == [b"a", 1, 1_900_000_000_123, b"c", b"x" * 30, 1_900_000_000_500,
                     b"b", b"two", 0, b"d", 4, 0]


def test_hash_field_ttls_metadata_layout_and_roundtrip():
    from ember.persistence.rdb import T_HASH_METADATA
    v = _hfe_value()
    blob = dump_value("hash", v, rdb_version=12, compress=False, hash_max_listpack_entries=2)
    assert blob[0] == T_HASH_METADATA == 24
    smallest = struct.unpack_from("<Q", blob, 1)[0]
    assert smallest == 1_900_000_000_123
    # count, then (ttl, field, value) per field, ttl = expiry - smallest + 1 or 0
    want = (b"\x04" + b"\x01" + b"\x01a" + b"\xc0\x01"
            + b"\x00" + b"\x01b" + b"\x03two"
            + b"\x41\x7a" + b"\x01c" + bytes([30]) + b"x" * 30
            + b"\x00" + b"\x01d" + b"\xc0\x04")
    assert blob[9:] == want
    assert load_value(blob)[1] == v


def test_hash_field_ttls_need_version_12():
    v = _hfe_value()
    with pytest.raises(ValueError):
        dump_value("hash", v, rdb_version=11)
    p = create_dump_payload("hash", v)
    assert struct.unpack_from("<H", p, len(p) - 10)[0] == 12
    assert parse_dump_payload(p) == ("hash", v)
    # without TTLs the plain encodings and version 10 stay
    from ember.persistence.rdb import HashTTLValue
    plain = HashTTLValue({b"f": b"v"}, {})
    p = create_dump_payload("hash", plain)
    assert struct.unpack_from("<H", p, len(p) - 10)[0] == 10
    assert parse_dump_payload(p) == ("hash", {b"f": b"v"})


def test_hash_field_ttls_whole_file_v12(tmp_path):
    path = tmp_path / "hfe.rdb"
    v = _hfe_value()
    save_rdb(path, [(0, [(b"h", "hash", v, None), (b"s", "string", b"x", None)])], version=12)
    data = path.read_bytes()
    assert data[:9] == b"REDIS0012"
    out = read_rdb(data)
    assert out.version == 12
    assert out.dbs[0][b"h"] == ("hash", v, None)
    assert check_rdb_main([str(path)]) == 0


def test_hash_field_ttls_drop_expired_and_bad_data():
    from ember.persistence.rdb import HashTTLValue
    v = _hfe_value()
    assert v.drop_expired(1_900_000_000_200) == 1
    assert v.pairs == {b"b": b"two", b"c": b"x" * 30, b"d": b"4"}
    assert v.ttls == {b"c": 1_900_000_000_500}
    # not triplets
    bad = bytes([25]) + struct.pack("<Q", 5) + _short_str(lp_encode([b"a", b"1", 5, b"b"]))
    with pytest.raises(RdbError, match="triplets"):
        load_value(bad)
    bad = bytes([25]) + struct.pack("<Q", 5) + _short_str(lp_encode([b"a", b"1", b"soon"]))
    with pytest.raises(RdbError, match="expiry"):
        load_value(bad)
    for t in (22, 23):
        with pytest.raises(RdbError, match="pre-release"):
            load_value(bytes([t]) + b"\x00" * 16)
    assert len(HashTTLValue({b"a": b"1"}, {})) == 1


def _short_str(blob):
    assert len(blob) < 64
    return bytes([len(blob)]) + blob
