"""Redis RDB format: value encoding, DUMP payloads, whole-file reader/writer.

Neutral value model (type name -> Python value):

* ``"string"``: ``bytes``
* ``"list"``:   ``list[bytes]``
* ``"set"``:    ``list[bytes]`` (any iterable of bytes is accepted when writing)
* ``"zset"``:   ``list[tuple[bytes, float]]``
* ``"hash"``:   ``dict[bytes, bytes]``
* ``"stream"``: :class:`StreamValue`

* a hash some of whose fields have a TTL (Redis 7.4): :class:`HashTTLValue`

Reading covers everything Redis 7.2 and older write (RDB versions 1..11) and the two hash
types with field expiry of version 12 (Redis 7.4).  Writing emits version 10 by default
(what Redis 7.0 writes); version 11 adds SET_LISTPACK and STREAM_LISTPACKS_3; version 12 is
needed (and used by ``create_dump_payload`` / the snapshot writer) only when a hash has field
TTLs.

Hashes with field TTLs (RDB version 12, the layout Redis 7.4 writes):

* ``HASH_LISTPACK_EX`` (25), for a hash small enough for a listpack: the smallest field
  expiry as 8 bytes little-endian (unix ms), then one listpack string holding triplets
  ``field, value, expiry`` (expiry an integer entry in unix ms, 0 for a field without TTL).
  ember writes the fields with a TTL first, by ascending expiry, then the others (the order
  Redis keeps them in); any order is accepted when reading.
* ``HASH_METADATA`` (24), for a hashtable-encoded hash: the smallest field expiry as 8 bytes
  little-endian, the number of fields (length encoding), then per field a length-encoded
  ``ttl`` (0: no TTL, otherwise ``expiry - smallest + 1``), the field and the value (strings).

The pre-release variants (22, 23) are refused.  Reading returns every field; dropping the
fields already expired is the loader's job (``HashTTLValue.drop_expired``).
"""
from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterable, Iterator, NamedTuple

from . import lzf
from .crc64 import crc64
from .fileio import atomic_write

_lzf_decompress = lzf.decompress
_lzf_compress = lzf.compress
from .encodings import (
    NUM_START, as_int, intset_decode, intset_encode, lp_decode, lp_entry, lp_from_entries,
    to_bytes, ziplist_decode, zipmap_decode,
)

__all__ = [
    "RdbError", "StreamValue", "StreamGroup", "StreamConsumer", "StreamPending",
    "EncodingOptions", "dump_value", "load_value", "create_dump_payload",
    "parse_dump_payload", "RdbWriter", "save_rdb", "load_rdb", "read_rdb", "RdbContents",
    "Aux", "Function", "SelectDb", "ResizeDb", "KeyEntry", "ModuleAux",
    "RDB_VERSION", "MAX_READ_VERSION", "RDB_VERSION_HFE", "HashTTLValue", "value_rdb_version",
    "NeedsNewerVersion", "KeyRun", "SortedPairs",
]

RDB_VERSION = 10
RDB_VERSION_HFE = 12      # the first version with hash field expiry (Redis 7.4)
MAX_READ_VERSION = 12

# opcodes
OP_FUNCTION_PRE_GA = 0xF6
OP_FUNCTION2 = 0xF5
OP_MODULE_AUX = 0xF7
OP_IDLE = 0xF8
OP_FREQ = 0xF9
OP_AUX = 0xFA
OP_RESIZEDB = 0xFB
OP_EXPIRETIME_MS = 0xFC
OP_EXPIRETIME = 0xFD
OP_SELECTDB = 0xFE
OP_EOF = 0xFF

# value types
T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2 = 0, 1, 2, 3, 4, 5
T_MODULE_PRE_GA, T_MODULE_2 = 6, 7
T_HASH_ZIPMAP, T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST = 9, 10, 11, 12, 13
T_LIST_QUICKLIST, T_STREAM_LISTPACKS, T_HASH_LISTPACK, T_ZSET_LISTPACK = 14, 15, 16, 17
T_LIST_QUICKLIST_2, T_STREAM_LISTPACKS_2, T_SET_LISTPACK, T_STREAM_LISTPACKS_3 = 18, 19, 20, 21
T_HASH_METADATA_PRE_GA, T_HASH_LISTPACK_EX_PRE_GA, T_HASH_METADATA, T_HASH_LISTPACK_EX = 22, 23, 24, 25

TYPE_NAMES = {
    T_STRING: "string", T_LIST: "list", T_SET: "set", T_ZSET: "zset", T_HASH: "hash",
    T_ZSET_2: "zset", T_HASH_ZIPMAP: "hash", T_LIST_ZIPLIST: "list", T_SET_INTSET: "set",
    T_ZSET_ZIPLIST: "zset", T_HASH_ZIPLIST: "hash", T_LIST_QUICKLIST: "list",
    T_STREAM_LISTPACKS: "stream", T_HASH_LISTPACK: "hash", T_ZSET_LISTPACK: "zset",
    T_LIST_QUICKLIST_2: "list", T_STREAM_LISTPACKS_2: "stream", T_SET_LISTPACK: "set",
    T_STREAM_LISTPACKS_3: "stream", T_HASH_METADATA: "hash", T_HASH_LISTPACK_EX: "hash",
}

QUICKLIST_NODE_PLAIN = 1
QUICKLIST_NODE_PACKED = 2
STREAM_FLAG_DELETED = 1
STREAM_FLAG_SAMEFIELDS = 2


class RdbError(Exception):
    """Corrupt, truncated or unsupported RDB data.  ``offset`` is the byte
    offset (in the file or payload) where the problem was detected; ``key``
    is the key being read at that moment, when known."""

    def __init__(self, offset: int, message: str, key: bytes | None = None):
        self.offset = offset
        self.message = message
        self.key = key
        super().__init__(str(self))

    def __str__(self):
        s = f"at offset {self.offset}: {self.message}"
        if self.key is not None:
            s += f" (key {self.key!r})"
        return s


# ------------------------------------------------------------------ streams

StreamID = tuple  # (ms, seq)


@dataclass
class StreamPending:
    consumer: bytes
    delivery_time: int  # ms unix time of last delivery
    delivery_count: int


@dataclass
class StreamConsumer:
    name: bytes
    seen_time: int  # ms
    active_time: int  # ms (RDB 11; equals seen_time when read from older files)
    pending: list = field(default_factory=list)  # list[StreamID]


@dataclass
class StreamGroup:
    name: bytes
    last_id: StreamID
    entries_read: int  # -1 means unknown ("invalid")
    pel: dict = field(default_factory=dict)  # StreamID -> StreamPending
    consumers: list = field(default_factory=list)  # list[StreamConsumer]


@dataclass
class StreamValue:
    """entries: list of (ms, seq, [(field, value), ...]) in ID order."""
    entries: list = field(default_factory=list)
    last_id: StreamID = (0, 0)
    first_id: StreamID = (0, 0)
    max_deleted_id: StreamID = (0, 0)
    entries_added: int = 0
    groups: list = field(default_factory=list)  # list[StreamGroup]


class NeedsNewerVersion(ValueError):
    """A value cannot be written in the RDB version being written (a hash with field TTLs
    in a version < 12): the writer must start again with a newer version."""


@dataclass
class HashTTLValue:
    """A hash with per-field expiry: ``pairs`` field -> value in the hash's order, ``ttls``
    field -> absolute expiry (unix ms) for the fields that have one.  ``items()`` makes it
    usable wherever a plain hash model (a dict) is."""
    pairs: dict = field(default_factory=dict)
    ttls: dict = field(default_factory=dict)

    def items(self):
        return self.pairs.items()

    def __len__(self):
        return len(self.pairs)

    def drop_expired(self, now_ms: int) -> int:
        """Remove the fields whose expiry is at or before ``now_ms``; returns how many."""
        gone = [f for f, when in self.ttls.items() if when <= now_ms]
        for f in gone:
            del self.ttls[f]
            del self.pairs[f]
        return len(gone)


class SortedPairs(list):
    """A zset model that needs no sorting: ``(member, score)`` pairs already in (score,
    member) order, members bytes, scores floats (never NaN), e.g. read off a sorted index."""


_first = itemgetter(0)


def value_rdb_version(type_name: str, value, version: int = RDB_VERSION) -> int:
    """The RDB version needed to write ``value``: ``version``, or 12 for a hash with
    field TTLs."""
    if type(value) is HashTTLValue and value.ttls and version < RDB_VERSION_HFE:
        return RDB_VERSION_HFE
    return version


@dataclass
class EncodingOptions:
    """Thresholds deciding compact encodings (Redis defaults)."""
    list_max_listpack_size: int = -2
    set_max_intset_entries: int = 512
    set_max_listpack_entries: int = 128
    set_max_listpack_value: int = 64
    hash_max_listpack_entries: int = 128
    hash_max_listpack_value: int = 64
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64
    stream_node_max_bytes: int = 4096
    stream_node_max_entries: int = 100
    compress: bool = True


_DEFAULT_OPTS = EncodingOptions()
_LIST_SIZE_LIMITS = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}

# ------------------------------------------------------------------ encoding

_pack_B = struct.Struct("B").pack
_pack_b = struct.Struct("<b").pack
_pack_h = struct.Struct("<h").pack
_pack_i = struct.Struct("<i").pack
_pack_q = struct.Struct("<q").pack
_pack_uq = struct.Struct("<Q").pack
_pack_be32 = struct.Struct(">I").pack
_pack_be64 = struct.Struct(">Q").pack


def enc_len(n: int) -> bytes:
    if n < 64:
        return _pack_B(n)
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + _pack_be32(n)
    return b"\x81" + _pack_be64(n)


_LEN6 = [bytes((n,)) for n in range(64)]


def enc_string(s: bytes, compress: bool = True) -> bytes:
    n = len(s)
    if n <= 11:
        if n and NUM_START[s[0]]:
            v = as_int(s)
            if v is not None:
                if -128 <= v <= 127:
                    return b"\xc0" + _pack_b(v)
                if -32768 <= v <= 32767:
                    return b"\xc1" + _pack_h(v)
                if -2147483648 <= v <= 2147483647:
                    return b"\xc2" + _pack_i(v)
        return _LEN6[n] + s
    if n > 20 and compress:
        c = _lzf_compress(s, n - 4)
        if c is not None:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    if n < 64:
        return _LEN6[n] + s
    return enc_len(n) + s


def enc_raw_blob(s: bytes, compress: bool) -> bytes:
    """Like enc_string but never int-encodes (for ziplist/listpack blobs)."""
    n = len(s)
    if compress and n > 20:
        c = lzf.compress(s, n - 4)
        if c is not None:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    return enc_len(n) + s


def _score_item(score: float):
    if score != score:
        raise ValueError("NaN score")
    if score == float("inf"):
        return b"inf"
    if score == float("-inf"):
        return b"-inf"
    if score == int(score) and abs(score) < 1e17:
        return int(score)
    return repr(float(score)).encode()


def _sid(i: StreamID) -> bytes:
    return struct.pack(">QQ", i[0], i[1])


def _stream_nodes(entries, opts: EncodingOptions) -> list[bytes]:
    """Encode stream entries as (key, listpack) pairs -> flat list of bytes."""
    out = []
    i = 0
    n = len(entries)
    maxb = opts.stream_node_max_bytes
    maxe = opts.stream_node_max_entries
    while i < n:
        ms0, seq0, fields0 = entries[i]
        mfields = [f for f, _ in fields0]
        ents = [lp_entry(0), lp_entry(0), lp_entry(len(mfields))]  # count/deleted patched below
        ents += [lp_entry(f) for f in mfields]
        ents.append(lp_entry(0))
        size = sum(map(len, ents))
        count = 0
        while i < n:
            ms, seq, fv = entries[i]
            fnames = [f for f, _ in fv]
            if fnames == mfields:
                parts = [STREAM_FLAG_SAMEFIELDS, ms - ms0, seq - seq0] + [v for _, v in fv]
                parts.append(len(fv) + 3)
            else:
                parts = [0, ms - ms0, seq - seq0, len(fv)]
                for f, v in fv:
                    parts += [f, v]
                parts.append(2 * len(fv) + 4)
            enc = [lp_entry(p) for p in parts]
            esize = sum(map(len, enc))
            if count and ((maxe and count >= maxe) or (maxb and size + esize >= maxb)):
                break
            ents += enc
            size += esize
            count += 1
            i += 1
        ents[0] = lp_entry(count)
        out.append(enc_raw_blob(_sid((ms0, seq0)), False))
        out.append(enc_raw_blob(lp_from_entries(ents), opts.compress))
    return out


def _dump_stream(v: StreamValue, version: int, opts: EncodingOptions) -> bytes:
    nodes = _stream_nodes(v.entries, opts)
    parts = [enc_len(len(nodes) // 2)] + nodes
    parts.append(enc_len(len(v.entries)))
    parts += [enc_len(v.last_id[0]), enc_len(v.last_id[1])]
    parts += [enc_len(v.first_id[0]), enc_len(v.first_id[1])]
    parts += [enc_len(v.max_deleted_id[0]), enc_len(v.max_deleted_id[1])]
    parts.append(enc_len(v.entries_added))
    parts.append(enc_len(len(v.groups)))
    for g in v.groups:
        parts.append(enc_string(g.name, opts.compress))
        parts += [enc_len(g.last_id[0]), enc_len(g.last_id[1])]
        er = g.entries_read
        parts.append(enc_len(er if er is not None and er >= 0 else 0xFFFFFFFFFFFFFFFF))
        parts.append(enc_len(len(g.pel)))
        for sid in sorted(g.pel):
            p = g.pel[sid]
            parts.append(_sid(sid) + struct.pack("<q", p.delivery_time) + enc_len(p.delivery_count))
        parts.append(enc_len(len(g.consumers)))
        for c in g.consumers:
            parts.append(enc_string(c.name, opts.compress))
            parts.append(struct.pack("<q", c.seen_time))
            if version >= 11:
                parts.append(struct.pack("<q", c.active_time))
            parts.append(enc_len(len(c.pending)))
            parts += [_sid(s) for s in sorted(c.pending)]
    return b"".join(parts)


def _dump_hash_ttl(value: HashTTLValue, opts: EncodingOptions) -> bytes:
    comp = opts.compress
    ttls = value.ttls
    items = [(bytes(k), bytes(v)) for k, v in value.pairs.items()]
    smallest = min(ttls.values())
    lim = opts.hash_max_listpack_value
    if (len(items) <= opts.hash_max_listpack_entries
            and all(len(k) <= lim and len(v) <= lim for k, v in items)):
        timed = sorted(((ttls[k], k, v) for k, v in items if k in ttls), key=lambda t: t[0])
        ents = []
        for when, k, v in timed:
            ents += (lp_entry(k), lp_entry(v), lp_entry(when))
        for k, v in items:
            if k not in ttls:
                ents += (lp_entry(k), lp_entry(v), lp_entry(0))
        return (bytes((T_HASH_LISTPACK_EX,)) + _pack_uq(smallest)
                + enc_raw_blob(lp_from_entries(ents), comp))
    parts = [bytes((T_HASH_METADATA,)), _pack_uq(smallest), enc_len(len(items))]
    for k, v in items:
        when = ttls.get(k)
        parts.append(enc_len(0 if when is None else when - smallest + 1))
        parts.append(enc_string(k, comp))
        parts.append(enc_string(v, comp))
    return b"".join(parts)


def dump_value(type_name: str, value, *, rdb_version: int = RDB_VERSION,
               options: EncodingOptions | None = None, **thresholds) -> bytes:
    """Encode a value as RDB type byte + payload, choosing encodings like Redis."""
    opts = options or _DEFAULT_OPTS
    if thresholds:
        opts = EncodingOptions(**{**opts.__dict__, **thresholds})
    comp = opts.compress
    if type_name == "string":
        return b"\x00" + enc_string(bytes(value), comp)
    if type_name == "list":
        limit = _LIST_SIZE_LIMITS.get(opts.list_max_listpack_size, 8192)
        count_limit = opts.list_max_listpack_size if opts.list_max_listpack_size > 0 else None
        nodes = []
        cur: list[bytes] = []
        cur_size = 7
        for item in value:
            e = lp_entry(item)
            if cur and ((count_limit and len(cur) >= count_limit)
                        or (not count_limit and cur_size + len(e) > limit)):
                nodes.append(lp_from_entries(cur))
                cur, cur_size = [], 7
            cur.append(e)
            cur_size += len(e)
        if cur:
            nodes.append(lp_from_entries(cur))
        parts = [bytes((T_LIST_QUICKLIST_2,)), enc_len(len(nodes))]
        for nd in nodes:
            parts.append(b"\x02")
            parts.append(enc_raw_blob(nd, comp))
        return b"".join(parts)
    if type_name == "set":
        members = list(dict.fromkeys(bytes(m) for m in value))
        n = len(members)
        if n <= opts.set_max_intset_entries:
            ints = [as_int(m) for m in members]
            if n and all(i is not None for i in ints):
                return bytes((T_SET_INTSET,)) + enc_raw_blob(intset_encode(ints), comp)
        if (rdb_version >= 11 and n <= opts.set_max_listpack_entries
                and all(len(m) <= opts.set_max_listpack_value for m in members)):
            return bytes((T_SET_LISTPACK,)) + enc_raw_blob(
                lp_from_entries([lp_entry(m) for m in members]), comp)
        return b"".join([bytes((T_SET,)), enc_len(n)] + [enc_string(m, comp) for m in members])
    if type_name == "zset":
        if type(value) is SortedPairs:
            items = value
        else:
            items = sorted(((bytes(m), float(s)) for m, s in value), key=lambda t: (t[1], t[0]))
        if (len(items) <= opts.zset_max_listpack_entries
                and (not items or max(map(len, map(_first, items)))
                     <= opts.zset_max_listpack_value)):
            ents = []
            for m, s in items:
                ents.append(lp_entry(m))
                ents.append(lp_entry(_score_item(s)))
            return bytes((T_ZSET_LISTPACK,)) + enc_raw_blob(lp_from_entries(ents), comp)
        parts = [bytes((T_ZSET_2,)), enc_len(len(items))]
        for m, s in reversed(items):
            parts.append(enc_string(m, comp))
            parts.append(struct.pack("<d", s))
        return b"".join(parts)
    if type_name == "hash":
        if type(value) is HashTTLValue and value.ttls:
            if rdb_version < RDB_VERSION_HFE:
                raise NeedsNewerVersion("hash field TTLs need RDB version %d" % RDB_VERSION_HFE)
            return _dump_hash_ttl(value, opts)
        items = [(bytes(k), bytes(v)) for k, v in value.items()]
        lim = opts.hash_max_listpack_value
        if (len(items) <= opts.hash_max_listpack_entries
                and all(len(k) <= lim and len(v) <= lim for k, v in items)):
            ents = []
            for k, v in items:
                ents.append(lp_entry(k))
                ents.append(lp_entry(v))
            return bytes((T_HASH_LISTPACK,)) + enc_raw_blob(lp_from_entries(ents), comp)
        parts = [bytes((T_HASH,)), enc_len(len(items))]
        for k, v in items:
            parts.append(enc_string(k, comp))
            parts.append(enc_string(v, comp))
        return b"".join(parts)
    if type_name == "stream":
        t = T_STREAM_LISTPACKS_3 if rdb_version >= 11 else T_STREAM_LISTPACKS_2
        return bytes((t,)) + _dump_stream(value, rdb_version, opts)
    raise ValueError(f"unknown type name {type_name!r}")


# ------------------------------------------------------------------ decoding

class _Reader:
    __slots__ = ("buf", "pos", "end", "base")

    def __init__(self, buf, pos=0, end=None, base=0):
        if type(buf) is not bytes:
            buf = bytes(buf)      # slices of bytes are the strings handed out
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.base = base  # added to offsets in errors

    def err(self, msg, at=None):
        return RdbError((self.pos if at is None else at) + self.base, msg)

    def read(self, n: int) -> bytes:
        p = self.pos
        e = p + n
        if e > self.end:
            raise self.err(f"unexpected end of data (wanted {n} bytes)")
        self.pos = e
        return self.buf[p:e]

    def byte(self) -> int:
        p = self.pos
        if p >= self.end:
            raise self.err("unexpected end of data")
        self.pos = p + 1
        return self.buf[p]

    def length_or_enc(self):
        """Return (value, is_encoded)."""
        c = self.byte()
        t = c >> 6
        if t == 0:
            return c & 0x3F, False
        if t == 1:
            return ((c & 0x3F) << 8) | self.byte(), False
        if t == 3:
            return c & 0x3F, True
        if c == 0x80:
            return int.from_bytes(self.read(4), "big"), False
        if c == 0x81:
            return int.from_bytes(self.read(8), "big"), False
        raise self.err(f"invalid length encoding 0x{c:02x}", self.pos - 1)

    def length(self) -> int:
        p = self.pos
        if p < self.end:
            c = self.buf[p]
            if c < 64:
                self.pos = p + 1
                return c
        v, enc = self.length_or_enc()
        if enc:
            raise self.err("unexpected encoded length", self.pos - 1)
        return v

    def string(self) -> bytes:
        buf = self.buf
        p = self.pos
        end = self.end
        if p >= end:
            raise self.err("unexpected end of data")
        c = buf[p]
        if c < 64:  # the common case: a short raw string
            e = p + 1 + c
            if e > end:
                raise self.err(f"unexpected end of data (wanted {c} bytes)", p + 1)
            self.pos = e
            return buf[p + 1:e]
        if c < 0xC0:
            v, _ = self.length_or_enc()
            return self.read(v)
        self.pos = p + 1
        if c == 0xC3:
            clen = self.length()
            ulen = self.length()
            data = self.read(clen)
            try:
                return _lzf_decompress(data, ulen)
            except lzf.LzfError as e:
                raise self.err(f"invalid LZF data: {e}", p) from None
        if c == 0xC0:
            return b"%d" % int.from_bytes(self.read(1), "little", signed=True)
        if c == 0xC1:
            return b"%d" % int.from_bytes(self.read(2), "little", signed=True)
        if c == 0xC2:
            return b"%d" % int.from_bytes(self.read(4), "little", signed=True)
        raise self.err(f"unknown string encoding {c & 0x3F}", p)

    def double_str(self) -> float:
        n = self.byte()
        if n == 253:
            return float("nan")
        if n == 254:
            return float("inf")
        if n == 255:
            return float("-inf")
        s = self.read(n)
        try:
            return float(bytes(s))
        except ValueError:
            raise self.err("invalid double value", self.pos - n) from None

    def double_bin(self) -> float:
        return struct.unpack("<d", self.read(8))[0]

    def ms_time(self) -> int:
        return int.from_bytes(self.read(8), "little", signed=True)

    def stream_id(self) -> StreamID:
        b = self.read(16)
        return int.from_bytes(b[:8], "big"), int.from_bytes(b[8:], "big")

    def blob(self, decoder, what):
        start = self.pos
        data = self.string()
        try:
            return decoder(data)
        except ValueError as e:
            raise self.err(f"invalid {what}: {e}", start) from None
        except IndexError:
            raise self.err(f"invalid {what}: truncated", start) from None


def _pairs(items, conv_second):
    if len(items) % 2:
        raise ValueError("odd number of elements")
    it = iter(items)
    return [(to_bytes(a), conv_second(b)) for a, b in zip(it, it)]


def _lp_decode_bytes(blob):
    return lp_decode(blob, True)


def _lp_hash(blob):
    items = lp_decode(blob, True)
    if len(items) & 1:
        raise ValueError("odd number of elements")
    it = iter(items)
    return dict(zip(it, it))


def _lp_flat_pairs(blob):
    items = lp_decode(blob, True)
    if len(items) & 1:
        raise ValueError("odd number of elements")
    return items


def _score(v) -> float:
    return float(v) if isinstance(v, int) else float(bytes(v))


def _read_stream(r: _Reader, t: int) -> StreamValue:
    sv = StreamValue()
    nodes = r.length()
    entries = sv.entries
    for _ in range(nodes):
        kstart = r.pos
        key = r.string()
        if len(key) != 16:
            raise r.err("stream node key is not a 128-bit ID", kstart)
        mms, mseq = int.from_bytes(key[:8], "big"), int.from_bytes(key[8:], "big")
        items = r.blob(lp_decode, "stream listpack")
        if not items:
            raise r.err("empty stream listpack node", kstart)
        try:
            count, deleted, nf = items[0], items[1], items[2]
            mfields = [to_bytes(x) for x in items[3:3 + nf]]
            i = 3 + nf + 1  # skip master terminator
            n = len(items)
            while i < n:
                flags, dms, dseq = items[i], items[i + 1], items[i + 2]
                i += 3
                if flags & STREAM_FLAG_SAMEFIELDS:
                    vals = items[i:i + nf]
                    i += nf
                    fv = [(mfields[j], to_bytes(vals[j])) for j in range(nf)]
                else:
                    k = items[i]
                    i += 1
                    raw = items[i:i + 2 * k]
                    i += 2 * k
                    fv = [(to_bytes(raw[j]), to_bytes(raw[j + 1])) for j in range(0, 2 * k, 2)]
                i += 1  # lp-count
                if i > n:
                    raise ValueError("entry past end of node")
                if not flags & STREAM_FLAG_DELETED:
                    entries.append(((mms + dms) & 0xFFFFFFFFFFFFFFFF,
                                    (mseq + dseq) & 0xFFFFFFFFFFFFFFFF, fv))
        except (ValueError, IndexError, TypeError) as e:
            raise r.err(f"invalid stream listpack: {e or 'truncated'}", kstart) from None
    length = r.length()
    sv.last_id = (r.length(), r.length())
    if t >= T_STREAM_LISTPACKS_2:
        sv.first_id = (r.length(), r.length())
        sv.max_deleted_id = (r.length(), r.length())
        sv.entries_added = r.length()
    else:
        sv.first_id = tuple(entries[0][:2]) if entries else (0, 0)
        sv.entries_added = length
    if length != len(entries):
        raise r.err(f"stream length {length} does not match {len(entries)} entries")
    ngroups = r.length()
    for _ in range(ngroups):
        name = r.string()
        last = (r.length(), r.length())
        if t >= T_STREAM_LISTPACKS_2:
            er = r.length()
            er = -1 if er == 0xFFFFFFFFFFFFFFFF else er
        else:
            er = sv.entries_added if last == sv.last_id else -1
        g = StreamGroup(name, last, er)
        for _ in range(r.length()):
            sid = r.stream_id()
            dt = r.ms_time()
            dc = r.length()
            g.pel[sid] = StreamPending(b"", dt, dc)
        for _ in range(r.length()):
            cname = r.string()
            seen = r.ms_time()
            active = r.ms_time() if t >= T_STREAM_LISTPACKS_3 else seen
            c = StreamConsumer(cname, seen, active)
            for _ in range(r.length()):
                at = r.pos
                sid = r.stream_id()
                p = g.pel.get(sid)
                if p is None:
                    raise r.err("consumer pending ID missing from group PEL", at)
                p.consumer = cname
                c.pending.append(sid)
            g.consumers.append(c)
        sv.groups.append(g)
    return sv


def _read_hash_listpack_ex(r: _Reader) -> HashTTLValue:
    r.read(8)                 # the smallest expiry: derived again from the triplets
    start = r.pos
    items = r.blob(lp_decode, "hash listpack-ex")
    if len(items) % 3:
        raise r.err("invalid hash listpack-ex: not a list of triplets", start)
    pairs = {}
    ttls = {}
    for i in range(0, len(items), 3):
        k, v, when = to_bytes(items[i]), to_bytes(items[i + 1]), items[i + 2]
        if type(when) is not int or when < 0:
            raise r.err("invalid hash listpack-ex: bad field expiry", start)
        if k in pairs:
            raise r.err("invalid hash listpack-ex: duplicate field", start)
        pairs[k] = v
        if when:
            ttls[k] = when
    return HashTTLValue(pairs, ttls)


def _read_hash_metadata(r: _Reader) -> HashTTLValue:
    smallest = int.from_bytes(r.read(8), "little")
    pairs = {}
    ttls = {}
    for _ in range(r.length()):
        t = r.length()
        at = r.pos
        k = r.string()
        v = r.string()
        if k in pairs:
            raise r.err("duplicate hash field", at)
        pairs[k] = v
        if t:
            ttls[k] = smallest + t - 1
    return HashTTLValue(pairs, ttls)


def _skip_module_value(r: _Reader):
    while True:
        op = r.length()
        if op == 0:
            return
        if op in (1, 2):
            r.length()
        elif op == 3:
            r.read(4)
        elif op == 4:
            r.read(8)
        elif op == 5:
            r.string()
        else:
            raise r.err(f"unknown module value opcode {op}")


def _read_value(r: _Reader, t: int):
    if t == T_STRING:
        return r.string()
    if t == T_LIST or t == T_SET:
        return _read_strings(r, r.length())
    if t == T_ZSET:
        out = []
        for _ in range(r.length()):
            m = r.string()
            out.append((m, r.double_str()))
        return out
    if t == T_ZSET_2:
        out = []
        for _ in range(r.length()):
            m = r.string()
            out.append((m, r.double_bin()))
        return out
    if t == T_HASH:
        out = {}
        for _ in range(r.length()):
            k = r.string()
            out[k] = r.string()
        return out
    if t == T_LIST_QUICKLIST_2:
        out = []
        for _ in range(r.length()):
            at = r.pos
            container = r.length()
            if container == QUICKLIST_NODE_PLAIN:
                out.append(r.string())
            elif container == QUICKLIST_NODE_PACKED:
                items = r.blob(_lp_decode_bytes, "quicklist listpack node")
                if not items:
                    raise r.err("empty quicklist node", at)
                out += items
            else:
                raise r.err(f"invalid quicklist container {container}", at)
        return out
    if t == T_LIST_QUICKLIST:
        out = []
        for _ in range(r.length()):
            out += [to_bytes(x) for x in r.blob(ziplist_decode, "quicklist ziplist node")]
        return out
    if t == T_LIST_ZIPLIST:
        return [to_bytes(x) for x in r.blob(ziplist_decode, "ziplist")]
    if t == T_SET_INTSET:
        return [b"%d" % x for x in r.blob(intset_decode, "intset")]
    if t == T_SET_LISTPACK:
        return r.blob(_lp_decode_bytes, "set listpack")
    if t in (T_ZSET_LISTPACK, T_ZSET_ZIPLIST):
        dec = lp_decode if t == T_ZSET_LISTPACK else ziplist_decode
        return r.blob(lambda d: _pairs(dec(d), _score), "zset listpack")
    if t == T_HASH_LISTPACK:
        return r.blob(_lp_hash, "hash listpack")
    if t == T_HASH_ZIPLIST:
        return r.blob(lambda d: dict(_pairs(ziplist_decode(d), to_bytes)), "hash ziplist")
    if t == T_HASH_LISTPACK_EX:
        return _read_hash_listpack_ex(r)
    if t == T_HASH_METADATA:
        return _read_hash_metadata(r)
    if t in (T_HASH_METADATA_PRE_GA, T_HASH_LISTPACK_EX_PRE_GA):
        raise r.err("pre-release hash field expiry format (type %d) is not supported" % t,
                    r.pos - 1)
    if t == T_HASH_ZIPMAP:
        return r.blob(zipmap_decode, "zipmap")
    if t in (T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2, T_STREAM_LISTPACKS_3):
        return _read_stream(r, t)
    if t in (T_MODULE_PRE_GA, T_MODULE_2):
        raise r.err("module values are not supported", r.pos - 1)
    raise r.err(f"unknown value type {t}", r.pos - 1)


def _read_value_fast(r: _Reader, t: int):
    """(type name, value) for ``load_rdb(build=...)``.  Differs from the neutral model for:

    * ``"hash:flat"``  a listpack hash: ``[f1, v1, f2, v2, ...]`` as stored (bytes);
    * ``"zset:flat"``  a listpack zset: ``[m1, s1, m2, s2, ...]``, scores as their bytes
      (an integer entry as its decimal digits), in the listpack's order;
    * ``"set:int"``    an intset: the integers, ascending;
    * ``"list:lp"``    a quicklist: ``(elements, nbytes)``, ``nbytes`` the size of its
      listpack when it is a single packed node (else None)."""
    if t == T_HASH_LISTPACK:
        return "hash:flat", r.blob(_lp_flat_pairs, "hash listpack")
    if t == T_ZSET_LISTPACK:
        return "zset:flat", r.blob(_lp_flat_pairs, "zset listpack")
    if t == T_SET_INTSET:
        return "set:int", r.blob(intset_decode, "intset")
    if t == T_LIST_QUICKLIST_2:
        at = r.pos
        n = r.length()
        if n == 1 and r.pos < r.end and r.buf[r.pos] == QUICKLIST_NODE_PACKED:
            r.pos += 1
            start = r.pos
            blob = r.string()
            try:
                items = _lp_decode_bytes(blob)
            except ValueError as e:
                raise r.err(f"invalid quicklist listpack node: {e}", start) from None
            except IndexError:
                raise r.err("invalid quicklist listpack node: truncated", start) from None
            if not items:
                raise r.err("empty quicklist node", start)
            return "list:lp", (items, len(blob))
        r.pos = at
        return "list:lp", (_read_value(r, t), None)
    return TYPE_NAMES[t], _read_value(r, t)


def _read_strings(r: _Reader, n: int) -> list:
    """``n`` strings (short raw ones read inline)."""
    buf = r.buf
    end = r.end
    out = []
    append = out.append
    string = r.string
    p = r.pos
    for _ in range(n):
        if p < end:
            c = buf[p]
            if c < 64:
                e = p + 1 + c
                if e <= end:
                    append(buf[p + 1:e])
                    p = e
                    continue
        r.pos = p
        append(string())
        p = r.pos
    r.pos = p
    return out


def load_value(data, pos: int = 0):
    """Decode type byte + payload at *pos*.  Returns (type_name, value, newpos)."""
    r = _Reader(data, pos)
    t = r.byte()
    if t not in TYPE_NAMES:
        if t in (T_HASH_METADATA_PRE_GA, T_HASH_LISTPACK_EX_PRE_GA):
            raise r.err("pre-release hash field expiry format (type %d) is not supported" % t,
                        pos)
        if t in (T_MODULE_PRE_GA, T_MODULE_2):
            raise r.err("module values are not supported", pos)
        raise r.err(f"unknown value type {t}", pos)
    v = _read_value(r, t)
    return TYPE_NAMES[t], v, r.pos


# ------------------------------------------------------------------ DUMP

def create_dump_payload(type_name: str, value, *, rdb_version: int = RDB_VERSION, **kw) -> bytes:
    """DUMP payload; the version is raised to 12 when the value needs it (field TTLs)."""
    rdb_version = value_rdb_version(type_name, value, rdb_version)
    body = dump_value(type_name, value, rdb_version=rdb_version, **kw)
    body += struct.pack("<H", rdb_version)
    return body + struct.pack("<Q", crc64(body))


def parse_dump_payload(payload, *, max_version: int = MAX_READ_VERSION):
    """Verify and decode a DUMP payload.  Raises ValueError on bad version or
    checksum, RdbError (a ValueError subclass is not implied) on bad body."""
    p = bytes(payload)
    if len(p) < 10:
        raise ValueError("DUMP payload version or checksum are wrong")
    ver = struct.unpack_from("<H", p, len(p) - 10)[0]
    crc = struct.unpack_from("<Q", p, len(p) - 8)[0]
    if ver > max_version or crc64(memoryview(p)[:-8]) != crc:
        raise ValueError("DUMP payload version or checksum are wrong")
    type_name, value, end = load_value(p[:-10])
    if end != len(p) - 10:
        raise RdbError(end, "trailing bytes after value in DUMP payload")
    return type_name, value


# ------------------------------------------------------------------ writer

class RdbWriter:
    """Streaming RDB writer onto a binary file object; the CRC-64 is computed
    as data is flushed."""

    def __init__(self, fp, *, compress: bool = True, checksum: bool = True,
                 options: EncodingOptions | None = None, flush_bytes: int = 1 << 20):
        self.fp = fp
        self.checksum = checksum
        self.opts = options or EncodingOptions(compress=compress)
        if options is None:
            self.opts.compress = compress
        self.version = RDB_VERSION
        self._buf: list[bytes] = []
        self._size = 0
        self._crc = 0
        self._flush_bytes = flush_bytes

    def _w(self, b: bytes):
        self._buf.append(b)
        self._size += len(b)
        if self._size >= self._flush_bytes:
            self._flush()

    def _flush(self):
        if self._buf:
            data = b"".join(self._buf)
            if self.checksum:
                self._crc = crc64(data, self._crc)
            self.fp.write(data)
            self._buf = []
            self._size = 0

    def header(self, version: int = RDB_VERSION):
        self.version = version
        self._w(b"REDIS%04d" % version)

    def aux(self, key, value):
        self._w(b"\xfa" + enc_string(to_bytes(key), self.opts.compress)
                + enc_string(to_bytes(value), self.opts.compress))

    def function(self, code: bytes):
        self._w(b"\xf5" + enc_string(to_bytes(code), self.opts.compress))

    def select_db(self, i: int):
        self._w(b"\xfe" + enc_len(i))

    def resize_db(self, size: int, expires_size: int):
        self._w(b"\xfb" + enc_len(size) + enc_len(expires_size))

    def raw(self, data: bytes):
        """Append already-encoded bytes (e.g. several ``encode_key`` results joined)."""
        self._w(data)

    def encode_key(self, type_name: str, key: bytes, value, expire_ms=None, lru_idle=None,
                   lfu_freq=None) -> bytes:
        """The bytes of one key entry (opcodes, type, key, value), not written."""
        comp = self.opts.compress
        if type_name == "string" and expire_ms is None and lru_idle is None and lfu_freq is None:
            return b"\x00" + enc_string(key, comp) + enc_string(value, comp)
        parts = []
        if expire_ms is not None:
            parts.append(b"\xfc" + _pack_q(expire_ms))
        if lru_idle is not None:
            parts.append(b"\xf8" + enc_len(lru_idle))
        if lfu_freq is not None:
            parts.append(b"\xf9" + _pack_B(lfu_freq))
        v = dump_value(type_name, value, rdb_version=self.version, options=self.opts)
        parts.append(v[:1])
        parts.append(enc_string(key, comp))
        parts.append(v[1:])
        return b"".join(parts)

    def key(self, type_name: str, key: bytes, value, expire_ms=None, lru_idle=None, lfu_freq=None):
        self._w(self.encode_key(type_name, key, value, expire_ms, lru_idle, lfu_freq))

    def finish(self):
        self._w(b"\xff")
        self._flush()
        self.fp.write(struct.pack("<Q", self._crc if self.checksum else 0))


def save_rdb(path, databases_iter, aux: dict | None = None, functions: Iterable = (), *,
             compress: bool = True, checksum: bool = True, version: int = RDB_VERSION,
             options: EncodingOptions | None = None):
    """Write a complete RDB file atomically (temp file, fsync, rename, fsync dir).

    databases_iter yields (db_index, items) where items is an iterable of
    (key, type_name, value, expire_ms) tuples, or a sized collection (list) of
    them (then RESIZEDB is emitted with exact counts)."""
    def fill(fp):
        w = RdbWriter(fp, compress=compress, checksum=checksum, options=options)
        w.header(version)
        for k, v in (aux or {}).items():
            w.aux(k, v)
        for code in functions:
            w.function(code)
        for db, items in databases_iter:
            w.select_db(db)
            if isinstance(items, (list, tuple)):
                w.resize_db(len(items), sum(1 for it in items if it[3] is not None))
            for key, type_name, value, expire_ms in items:
                w.key(type_name, key, value, expire_ms)
        w.finish()

    d = os.path.dirname(os.path.abspath(os.fspath(path)))
    fd, tmp = tempfile.mkstemp(prefix="temp-", suffix=".rdb", dir=d)
    os.close(fd)
    atomic_write(path, fill, tmp)


# ------------------------------------------------------------------ reader

class Aux(NamedTuple):
    key: bytes
    value: bytes


class Function(NamedTuple):
    code: bytes


class SelectDb(NamedTuple):
    db: int


class ResizeDb(NamedTuple):
    db: int
    size: int
    expires_size: int


class ModuleAux(NamedTuple):
    module_id: int
    when: int


class KeyEntry(NamedTuple):
    db: int
    key: bytes
    type_name: str
    value: Any
    expire_ms: int | None
    lru_idle: int | None
    lfu_freq: int | None


_new_tuple = tuple.__new__   # KeyEntry without the namedtuple's Python-level __new__


class KeyRun(NamedTuple):
    """``load_rdb(..., build=...)``: consecutive keys without an idle or freq opcode, in file
    order: ``keys[i]`` holds ``values[i]`` (a string, or what ``build`` made of the value);
    ``expires`` lists ``(key, unix ms)`` for those of them that had an expiry opcode.  Empty
    collections are left out (as Redis skips them)."""
    db: int
    keys: list
    values: list
    expires: list


_c_lzf = lzf.c_decompress        # liblzf's decompress, or None (pure-Python backend)


def _scan_strings(buf, pos: int, end: int, keys: list, values: list) -> int:
    """Append to ``keys``/``values`` the plain string entries starting at ``pos`` whose key is
    a short raw string and whose value is a short raw, small int or short LZF string; return
    the offset of the first entry not taken.  Stops ~140 bytes before ``end`` so that no read
    below needs a bound check; anything unusual (including bad LZF data) is left to the
    general path, which reports it."""
    kapp = keys.append
    vapp = values.append
    dec = _c_lzf
    safe = end - 140      # an entry taken here spans at most 2 + 63 + 4 + 63 bytes
    while pos < safe:
        if buf[pos]:
            break
        c = buf[pos + 1]
        if c >= 64:
            break
        e = pos + 2 + c
        c2 = buf[e]
        if c2 < 64:
            p2 = e + 1 + c2
            kapp(buf[pos + 2:e])
            vapp(buf[e + 1:p2])
        elif c2 == 0xC3 and dec is not None:
            clen = buf[e + 1]
            ulen = buf[e + 2]
            if clen >= 64 or ulen >= 64 or not ulen:
                break
            p2 = e + 3 + clen
            try:
                v = dec(buf[e + 3:p2], ulen + 1)
            except ValueError:
                break
            if v is None or len(v) != ulen:
                break
            kapp(buf[pos + 2:e])
            vapp(v)
        elif c2 == 0xC0:
            p2 = e + 2
            x = buf[e + 1]
            kapp(buf[pos + 2:e])
            vapp(b"%d" % (x - 256 if x > 127 else x))
        else:
            break
        pos = p2
    return pos


def _read_source(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as f:
        return f.read()


_RUN_TYPES = frozenset((T_STRING, T_LIST, T_SET, T_ZSET_2, T_HASH, T_SET_INTSET,
                        T_LIST_QUICKLIST_2, T_HASH_LISTPACK, T_ZSET_LISTPACK))


def _collect_run(r: _Reader, build: dict, keys: list, values: list, expires: list):
    """Read into ``keys``/``values``/``expires`` (see KeyRun) the entries from ``r.pos`` that
    have at most an expiry opcode and a type in _RUN_TYPES; stop before anything else."""
    buf = r.buf
    end = r.end
    kapp = keys.append
    vapp = values.append
    string = r.string
    pos = r.pos
    while pos < end:
        t = buf[pos]
        if t == T_STRING:
            pos = _scan_strings(buf, pos, end, keys, values)
            if pos >= end:
                break
            t = buf[pos]
        when = None
        if t == OP_EXPIRETIME_MS:
            if pos + 11 > end:
                break
            when = int.from_bytes(buf[pos + 1:pos + 9], "little", signed=True)
            t = buf[pos + 9]
            if t not in _RUN_TYPES:
                break
            p = pos + 10
        elif t in _RUN_TYPES:
            p = pos + 1
            if p >= end:
                break
        else:
            break
        c = buf[p]
        if c < 64 and p + 1 + c <= end:      # the key: a short raw string, as a rule
            r.pos = p + 1 + c
            key = buf[p + 1:p + 1 + c]
        else:
            r.pos = p
            key = string()
        at = r.pos
        try:
            if t == T_STRING:
                value = string()
            else:
                tname, value = _read_value_fast(r, t)
                if not (value[0] if t == T_LIST_QUICKLIST_2 else value):
                    pos = r.pos
                    continue           # an empty collection: skipped
                value = build[tname](value)
        except RdbError as e:
            e.key = key
            raise
        except ValueError as e:
            raise RdbError(at, "bad value: %s" % e, key) from None
        kapp(key)
        vapp(value)
        if when is not None:
            expires.append((key, when))
        pos = r.pos
    r.pos = pos


def load_rdb(source, *, verify_checksum: bool = True, build: dict | None = None) -> Iterator:
    """Parse an RDB file (path, binary file object or bytes), yielding
    Aux, Function, SelectDb, ResizeDb, ModuleAux and KeyEntry events.
    Raises RdbError(offset, message) on any corruption or truncation; the
    checksum is verified when EOF is reached.

    ``build`` is how the server's loader reads (same checks, far fewer Python objects): a
    dict type name -> function making the stored value from what ``_read_value_fast``
    returns (``"hash:flat"``... and the neutral names).  Then most keys come in ``KeyRun``
    events, values built; KeyEntry (neutral values) only for keys with an idle/freq opcode
    and for the types outside _RUN_TYPES (streams, hashes with field TTLs, legacy encodings).
    A ValueError from a builder is reported as an RdbError naming the key.
    """
    buf = _read_source(source)
    r = _Reader(buf)
    if len(buf) < 9 or buf[:5] != b"REDIS":
        raise RdbError(0, "wrong signature (not an RDB file)")
    try:
        version = int(buf[5:9])
    except ValueError:
        raise RdbError(5, "invalid RDB version field") from None
    if version < 1 or version > MAX_READ_VERSION:
        raise RdbError(5, f"unsupported RDB version {version}")
    r.pos = 9
    db = 0
    expire = idle = freq = None
    string = r.string
    names = TYPE_NAMES
    end = r.end
    fast = build is not None
    while True:
        if fast and expire is None and idle is None and freq is None:
            keys = []
            values = []
            exps = []
            _collect_run(r, build, keys, values, exps)
            if keys:
                yield KeyRun(db, keys, values, exps)
        at = r.pos
        # fast path: a string key without opcodes before it, key and value short raw strings
        if at + 2 < end and buf[at] == 0:
            c = buf[at + 1]
            if c < 64:
                e = at + 2 + c
                if e < end:
                    c2 = buf[e]
                    if c2 < 64 and e + 1 + c2 <= end:
                        r.pos = e + 1 + c2
                        yield _new_tuple(KeyEntry, (db, buf[at + 2:e], "string",
                                                    buf[e + 1:e + 1 + c2], expire, idle, freq))
                        if expire is not None or idle is not None or freq is not None:
                            expire = idle = freq = None
                        continue
        op = r.byte()
        if op in names:
            key = string()
            if op == T_STRING:
                try:
                    value = string()
                except RdbError as e:
                    e.key = key
                    raise
                tname = "string"
            else:
                try:
                    tname, value = names[op], _read_value(r, op)
                except RdbError as e:
                    e.key = key
                    raise
            yield _new_tuple(KeyEntry, (db, key, tname, value, expire, idle, freq))
            if expire is not None or idle is not None or freq is not None:
                expire = idle = freq = None
        elif op == OP_EXPIRETIME_MS:
            expire = int.from_bytes(r.read(8), "little", signed=True)
        elif op == OP_EXPIRETIME:
            expire = int.from_bytes(r.read(4), "little", signed=True) * 1000
        elif op == OP_SELECTDB:
            db = r.length()
            yield SelectDb(db)
        elif op == OP_RESIZEDB:
            yield ResizeDb(db, r.length(), r.length())
        elif op == OP_AUX:
            yield Aux(string(), string())
        elif op == OP_IDLE:
            idle = r.length()
        elif op == OP_FREQ:
            freq = r.byte()
        elif op == OP_FUNCTION2:
            yield Function(string())
        elif op == OP_FUNCTION_PRE_GA:
            raise RdbError(at, "pre-release function format not supported")
        elif op == OP_MODULE_AUX:
            mid = r.length()
            r.length()  # when_opcode
            when = r.length()
            _skip_module_value(r)
            yield ModuleAux(mid, when)
        elif op == OP_EOF:
            if version >= 5:
                cpos = r.pos
                stored = int.from_bytes(r.read(8), "little")
                if verify_checksum and stored != 0:
                    actual = crc64(memoryview(buf)[:cpos])
                    if actual != stored:
                        raise RdbError(cpos, f"checksum mismatch (stored {stored:016x},"
                                             f" computed {actual:016x})")
            if r.pos != len(buf):
                raise RdbError(r.pos, "trailing data after EOF")
            return
        elif op in (T_MODULE_PRE_GA, T_MODULE_2):
            raise RdbError(at, "module values are not supported")
        elif op in (T_HASH_METADATA_PRE_GA, T_HASH_LISTPACK_EX_PRE_GA):
            raise RdbError(at, "pre-release hash field expiry format (type %d) is not supported"
                           % op)
        else:
            raise RdbError(at, f"unknown opcode or value type {op}")


@dataclass
class RdbContents:
    version: int = 0
    aux: dict = field(default_factory=dict)
    functions: list = field(default_factory=list)
    # db -> {key: (type_name, value, expire_ms)}
    dbs: dict = field(default_factory=dict)


def read_rdb(source, **kw) -> RdbContents:
    """Load a whole RDB file into an RdbContents (convenience for tests/tools)."""
    buf = _read_source(source)
    out = RdbContents(version=int(buf[5:9]) if buf[:5] == b"REDIS" and buf[5:9].isdigit() else 0)
    for ev in load_rdb(buf, **kw):
        if isinstance(ev, KeyEntry):
            out.dbs.setdefault(ev.db, {})[ev.key] = (ev.type_name, ev.value, ev.expire_ms)
        elif isinstance(ev, Aux):
            out.aux[ev.key] = ev.value
        elif isinstance(ev, Function):
            out.functions.append(ev.code)
    return out
