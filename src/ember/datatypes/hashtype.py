"""The hash value (Redis type "hash"), with optional per-field expiry (Redis 7.4 HFE).

Representation (``v``), chosen for memory: a dict of five fields costs ~240 bytes plus ~48
per field and value object; the packed form below stores the same hash in one bytes object.

- **packed** (``type(v) is bytes``), used while the encoding is listpack and the hash fits:
  each field preceded by NUL and each value by SOH, and a final NUL::

      \0 field1 \1 value1 \0 field2 \1 value2 \0

  No field or value of a packed hash contains NUL or SOH, so ``\0 f \1`` occurs exactly
  where field ``f`` is (a field argument holding NUL is never looked up: it cannot match a
  real field, but the search could match across elements), and its value runs to the next
  NUL.  Reads are two or three C-level bytes operations (find, slice; split for whole-hash
  replies); a write builds a new bytes object (O(size), as a listpack insert is in Redis).
  The empty hash is ``\0``.
- **dict** field -> value otherwise: always for the hashtable encoding, and for a listpack
  hash with a NUL or SOH byte in a field or value (binary data), or grown past ``PACK_MAX``
  bytes.

Both keep insertion order (new fields at the end, updates in place), the order a
listpack-encoded hash replies in.  Callers use the methods (``get``, ``set``, ``items``...),
never the representation (``table()`` hands out the dict of a hashtable-encoded hash).

``enc``: 0 listpack, 1 listpackex (a listpack that has carried field TTLs), 2 hashtable.
Hashtable never goes back (as in Redis), and the encoding is decided at write time with the
limits in force then (lowering hash-max-listpack-* does not convert existing hashes).

Field TTLs live apart, only while some field has one: ``fx`` is a ``FieldTTLs`` (``ttl``
field -> absolute expiry in ms, ``heap`` a min-heap of (when, field) whose stale entries are
skipped when they surface, ``where`` the (per-db heap, key) the active-expiry tracker saw
the hash under, see commands/hashes.py FieldExpiry) or None; every field in ``fx.ttl`` is in the hash, and ``fx`` is dropped when its last
TTL goes.
"""

import heapq
import random

_random = random.random

_F = b"\x00"             # precedes every field, and ends the packed form
_V = b"\x01"             # precedes every value
_ANY = b"\x00\x01"
PACK_MAX = 8192          # bytes: a bigger listpack hash is kept as a dict (cheaper writes)
_ENCODINGS = ("listpack", "listpackex", "hashtable")


def pack(flat):
    """``[f1, v1, f2, v2, ...]`` -> the packed bytes, or None when an element holds NUL or
    SOH."""
    m = len(flat) >> 1
    out = [_F, None, _V, None] * m
    out.append(_F)
    out[1::2] = flat
    p = b"".join(out)
    if p.count(_F) != m + 1 or p.count(_V) != m:
        return None
    return p


def _flat(v):
    """Packed bytes -> ``[f1, v1, ...]``."""
    if len(v) == 1:
        return []
    return v[1:-1].replace(_V, _F).split(_F)


class FieldTTLs:
    __slots__ = ("ttl", "heap", "where")

    def __init__(self):
        self.ttl = {}
        self.heap = []
        self.where = None


class TableExtra:
    """What a dict-represented hash carries only once asked for (one slot for both):

    - ``scans``: HSCAN's per-hash ScanSnapshots (commands/hashes.py);
    - ``keys``/``dead``: the random-field sampler of HRANDFIELD.  A dict cannot be indexed,
      so ``keys`` lists the fields in the order they were added (built from the dict at the
      first pick, then appended to on every new field, never removed from) and ``dead``
      counts, per field, the entries of ``keys`` made stale by deleting it.  A live field
      with ``k`` deletions has ``k + 1`` entries, so a pick takes a random entry, rejects it
      unless the field is live, and keeps it with probability ``1 / (k + 1)``: every live
      field is picked with the same probability.  ``keys`` is dropped (and rebuilt at the
      next pick) once more than half of it is stale, so a pick costs O(1) expected time
      and the rebuild O(N) is paid at most once per N deletions."""
    __slots__ = ("scans", "keys", "dead")

    def __init__(self):
        self.scans = None
        self.keys = None
        self.dead = None


class Hash:
    type_name = "hash"
    __slots__ = ("v", "enc", "fx", "extra")

    def __init__(self):
        self.v = _F
        self.enc = 0
        self.fx = None           # FieldTTLs while some field has a TTL
        self.extra = None        # TableExtra of a dict-represented hash, once needed

    @classmethod
    def from_dict(cls, d, config=None):
        """A hash holding ``d``'s pairs, encoded as a write with ``config``'s limits would
        (no config: listpack)."""
        h = cls()
        if config is not None:
            lim = config.hash_max_listpack_value
            if len(d) > config.hash_max_listpack_entries:
                h.enc = 2
            else:
                for k, v in d.items():
                    if len(k) > lim or len(v) > lim:
                        h.enc = 2
                        break
        h._store(dict(d))
        return h

    @classmethod
    def from_flat(cls, flat, config=None):
        """Like ``from_dict`` for ``[f1, v1, f2, v2, ...]`` (bytes, an even count, e.g. a
        listpack read from an RDB), without building a dict when the hash can stay packed.
        A field given twice keeps its first position and its last value."""
        n = len(flat) >> 1
        h = cls()
        if not n:
            return h
        if config is not None and (n > config.hash_max_listpack_entries
                                   or max(map(len, flat)) > config.hash_max_listpack_value):
            h.enc = 2
            it = iter(flat)
            h.v = dict(zip(it, it))
            return h
        out = [_F, None, _V, None] * n       # pack(), inline
        out.append(_F)
        out[1::2] = flat
        p = b"".join(out)
        # no element holds NUL/SOH (the counts), distinct fields (the layout's "one \0 f \1
        # per field" invariant), and not past PACK_MAX (as _store decides)
        if (len(p) <= PACK_MAX and p.count(_F) == n + 1 and p.count(_V) == n
                and (n == 1 or len(set(flat[::2])) == n)):
            h.v = p
            return h
        h._store(dict(zip(*[iter(flat)] * 2)))
        return h

    def _store(self, d):
        """Keep dict ``d`` packed when the encoding allows it."""
        if self.enc != 2 and d:
            flat = [x for kv in d.items() for x in kv]
            p = pack(flat) if sum(map(len, flat)) + len(flat) < PACK_MAX else None
            if p is not None:
                self.v = p
                return
        self.v = d

    def _unpack(self) -> dict:
        """Switch to the dict representation (encoding unchanged); returns the dict."""
        v = self.v
        if type(v) is bytes:
            it = iter(_flat(v))
            v = self.v = dict(zip(it, it))
        return v

    def _to_hashtable(self) -> dict:
        self.enc = 2
        return self._unpack()

    # ---- views ---------------------------------------------------------------------------
    def table(self) -> dict:
        """The field -> value dict of a hashtable-encoded hash (which is always a dict;
        HSCAN pages over it).  Read it only: writes go through the methods."""
        assert self.enc == 2
        return self.v

    def table_extra(self) -> TableExtra:
        ex = self.extra
        if ex is None:
            ex = self.extra = TableExtra()
        return ex

    @property
    def big(self):
        return self.enc == 2

    @big.setter
    def big(self, yes):
        if yes:
            self._to_hashtable()
        elif self.enc == 2:
            self.enc = 0

    @property
    def ex(self):
        return self.enc == 1

    @property
    def ttl(self):
        fx = self.fx
        return None if fx is None else fx.ttl

    @property
    def heap(self):
        fx = self.fx
        return None if fx is None else fx.heap

    # ---- encoding ----------------------------------------------------------------------
    def encoding(self, config=None) -> str:
        return _ENCODINGS[self.enc]

    def convert_for_args(self, config, args, npairs):
        """HSET-style pre-check: any argument too long -> hashtable (before inserting, so a
        long field converts even if the field already exists).  ``npairs`` is unused: the
        entry limit is checked after each insert (the 7.0 oracle does not convert on the
        number of pairs alone)."""
        if self.enc == 2:
            return
        limit = config.hash_max_listpack_value
        for a in args:
            if len(a) > limit:
                self._to_hashtable()
                return

    # ---- fields ------------------------------------------------------------------------
    def __len__(self):
        v = self.v
        if type(v) is bytes:
            return v.count(_F) - 1
        return len(v)

    def __bool__(self):
        v = self.v
        return len(v) > 1 if type(v) is bytes else bool(v)

    def __contains__(self, field):
        return self.get(field) is not None

    def get(self, field):
        v = self.v
        if type(v) is not bytes:
            return v.get(field)
        i = v.find(_F + field + _V)
        if i < 0 or 0 in field:
            return None
        i += len(field) + 2
        return v[i:v.find(_F, i)]

    def set(self, field, value, config) -> bool:
        """Set ``field``; a new value clears its TTL.  True when the field is new."""
        v = self.v
        if type(v) is bytes:
            limit = config.hash_max_listpack_value
            if len(field) > limit or len(value) > limit:
                v = self._to_hashtable()
            elif 0 in field or 1 in field or 0 in value or 1 in value:
                v = self._unpack()      # binary data: a dict from now on
            else:
                i = v.find(_F + field + _V)
                if i >= 0:
                    i += len(field) + 2
                    self.v = v[:i] + value + v[v.find(_F, i):]
                    if self.fx is not None:
                        self._drop_ttl(field)
                    return False
                if v.count(_F) > config.hash_max_listpack_entries:
                    v = self._to_hashtable()
                elif len(v) + len(field) + len(value) + 2 > PACK_MAX:
                    v = self._unpack()
                else:
                    self.v = b"".join((v, field, _V, value, _F))
                    return True
        elif self.enc != 2:
            limit = config.hash_max_listpack_value
            if len(field) > limit or len(value) > limit:
                self.enc = 2
        new = field not in v
        v[field] = value
        if new:
            if self.enc != 2 and len(v) > config.hash_max_listpack_entries:
                self.enc = 2
            ex = self.extra
            if ex is not None and ex.keys is not None:
                ex.keys.append(field)
                if len(ex.keys) > 2 * len(v) + 16:
                    ex.keys = ex.dead = None          # mostly stale: rebuilt when needed
        elif self.fx is not None:
            self._drop_ttl(field)
        return new

    def set_pairs(self, args, start, config) -> int:
        """HSET's ``field value ...`` from ``args[start:]`` (lengths already checked with
        ``convert_for_args``); returns how many fields were new."""
        v = self.v
        n = len(args) - start
        if (type(v) is bytes and len(v) == 1 and n > 2
                and n >> 1 <= config.hash_max_listpack_entries):
            # A new hash: pack it in one go when the fields are distinct.
            flat = args[start:]
            if len(set(flat[::2])) == n >> 1:
                p = pack(flat)
                if p is not None and len(p) <= PACK_MAX:
                    self.v = p
                    return n >> 1
        added = 0
        for i in range(start, len(args), 2):
            if self.set(args[i], args[i + 1], config):
                added += 1
        return added

    def set_keep_ttl(self, field, value, config):
        """Overwrite the value of an existing field keeping its TTL (HINCRBY & co.)."""
        fx = self.fx
        self.fx = None
        try:
            return self.set(field, value, config)
        finally:
            self.fx = fx

    def delete(self, field) -> bool:
        v = self.v
        if type(v) is bytes:
            i = v.find(_F + field + _V)
            if i < 0 or 0 in field:
                return False
            self.v = v[:i] + v[v.find(_F, i + len(field) + 2):]
        elif field in v:
            del v[field]
            ex = self.extra
            if ex is not None and ex.keys is not None:
                dead = ex.dead
                dead[field] = dead.get(field, 0) + 1
                if len(ex.keys) > 2 * len(v) + 16:
                    ex.keys = ex.dead = None
        else:
            return False
        if self.fx is not None:
            self._drop_ttl(field)
        return True

    def keys(self):
        v = self.v
        if type(v) is bytes:
            return _flat(v)[::2]
        return list(v)

    def values(self):
        v = self.v
        if type(v) is bytes:
            return _flat(v)[1::2]
        return list(v.values())

    def items(self):
        """A list of (field, value) pairs in the hash's order."""
        v = self.v
        if type(v) is bytes:
            it = iter(_flat(v))
            return list(zip(it, it))
        return list(v.items())

    # ---- random fields (HRANDFIELD) ------------------------------------------------------
    def _sampler(self, d):
        ex = self.extra
        if ex is None:
            ex = self.extra = TableExtra()
        keys = ex.keys
        if keys is None:
            keys = ex.keys = list(d)
            ex.dead = {}
        return keys, ex.dead

    def random_field(self):
        """One live field, uniformly at random (None when empty); O(1) expected."""
        v = self.v
        if type(v) is bytes:
            keys = _flat(v)[::2]
            return keys[int(_random() * len(keys))] if keys else None
        if not v:
            return None
        keys, dead = self._sampler(v)
        n = len(keys)
        while True:
            f = keys[int(_random() * n)]
            if f in v:
                k = dead.get(f) if dead else None
                if not k or _random() * (k + 1) < 1:
                    return f

    def random_pairs(self, count):
        """HRANDFIELD with a count, as (field, value) pairs: ``count`` > 0 -> min(count,
        len) distinct fields (the whole hash in its order when count >= len); ``count`` < 0
        -> exactly -count uniform picks, repeats allowed.  O(|count|) expected for a big
        hash, O(len) only when the reply is a large part of the hash."""
        v = self.v
        if type(v) is bytes:
            it = iter(_flat(v))
            pairs = list(zip(it, it))
            if count < 0:
                return random.choices(pairs, k=-count)
            if count >= len(pairs):
                return pairs
            return random.sample(pairs, count)
        n = len(v)
        if count >= n:
            return list(v.items())
        if count < 0 or 4 * count < n:
            pick = self.random_field
            if count < 0:
                fields = [pick() for _ in range(-count)]
            else:
                seen = set()
                fields = []
                while len(fields) < count:
                    f = pick()
                    if f not in seen:
                        seen.add(f)
                        fields.append(f)
            return [(f, v[f]) for f in fields]
        return random.sample(list(v.items()), count)   # a large part of the hash: O(len)

    def to_dict(self) -> dict:
        """A new dict of the pairs."""
        v = self.v
        if type(v) is bytes:
            it = iter(_flat(v))
            return dict(zip(it, it))
        return dict(v)

    # ---- field expiry --------------------------------------------------------------------
    def _drop_ttl(self, field):
        fx = self.fx
        if fx.ttl.pop(field, None) is not None and not fx.ttl:
            self.fx = None

    def get_ttl(self, field):
        fx = self.fx
        return None if fx is None else fx.ttl.get(field)

    def set_ttl(self, field, when):
        fx = self.fx
        if fx is None:
            fx = self.fx = FieldTTLs()
        if self.enc == 0:
            self.enc = 1
        fx.ttl[field] = when
        heap = fx.heap
        heapq.heappush(heap, (when, field))
        if len(heap) > 2 * len(fx.ttl) + 32:
            self._rebuild_heap()

    def persist(self, field) -> bool:
        fx = self.fx
        if fx is not None and field in fx.ttl:
            self._drop_ttl(field)
            return True
        return False

    def _rebuild_heap(self):
        fx = self.fx
        fx.heap = [(w, f) for f, w in fx.ttl.items()]
        heapq.heapify(fx.heap)

    def next_expiry(self):
        """Earliest field expiry (ms) or None."""
        fx = self.fx
        if fx is None:
            return None
        ttl = fx.ttl
        heap = fx.heap
        while heap:
            when, f = heap[0]
            if ttl.get(f) == when:
                return when
            heapq.heappop(heap)
        return None

    def expire_due(self, now, limit=None):
        """Delete the fields whose expiry is <= now; return them (at most ``limit``)."""
        fx = self.fx
        if fx is None:
            return ()
        ttl = fx.ttl
        heap = fx.heap
        out = []
        while heap and heap[0][0] <= now:
            when, f = heapq.heappop(heap)
            if ttl.get(f) != when:
                continue
            self.delete(f)          # drops the TTL too (and fx with the last one)
            out.append(f)
            if limit is not None and len(out) >= limit:
                break
        return out

    def has_ttls(self) -> bool:
        return self.fx is not None

    # ---- whole value ---------------------------------------------------------------------
    def copy(self):
        h = Hash()
        v = self.v
        h.v = v if type(v) is bytes else dict(v)
        h.enc = self.enc
        fx = self.fx
        if fx is not None:
            h.fx = FieldTTLs()
            h.fx.ttl = dict(fx.ttl)
            h._rebuild_heap()
        return h

    def __repr__(self):
        return "Hash(%r, enc=%s, ttl=%r)" % (self.items(), self.encoding(), self.ttl)
