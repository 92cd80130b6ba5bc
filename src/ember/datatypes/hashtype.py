"""The hash value (Redis type "hash"), with optional per-field expiry (Redis 7.4 HFE).

Layout: ``d`` maps field -> value (a dict keeps insertion order, which is the order a
listpack-encoded hash replies in).  Field TTLs live apart, only once some field has one:
``ttl`` maps field -> absolute expiry (ms) and ``heap`` is a min-heap of (when, field) whose
stale entries (field gone or its TTL changed) are skipped when they surface.

Invariants:
- every field in ``ttl`` is in ``d``;
- ``big`` (hashtable encoding) never goes back to False, as in Redis;
- the encoding is decided at write time with the limits in force then (Redis does the same:
  lowering hash-max-listpack-* does not convert existing hashes).
"""

import heapq


class Hash:
    type_name = "hash"
    __slots__ = ("d", "big", "ttl", "heap", "ex", "scans", "where")

    def __init__(self):
        self.d = {}
        self.big = False         # True: "hashtable" encoding
        self.ttl = None          # field -> when_ms, or None when no field has a TTL
        self.heap = None
        self.ex = False          # listpack that has carried field TTLs ("listpackex")
        self.scans = None        # per-hash ScanSnapshots for HSCAN on a hashtable
        self.where = None        # (db id, key) the active-expiry tracker last saw it under

    # ---- encoding ----------------------------------------------------------------------
    def encoding(self, config=None) -> str:
        if self.big:
            return "hashtable"
        return "listpackex" if self.ex else "listpack"

    def convert_for_args(self, config, args, npairs):
        """HSET-style pre-check: any argument too long -> hashtable (before inserting, so a
        long field converts even if the field already exists).  ``npairs`` is unused: the
        entry limit is checked after each insert (the 7.0 oracle does not convert on the
        number of pairs alone)."""
        if self.big:
            return
        limit = config.hash_max_listpack_value
        for a in args:
            if len(a) > limit:
                self.big = True
                return

    # ---- fields ------------------------------------------------------------------------
    def __len__(self):
        return len(self.d)

    def get(self, field):
        return self.d.get(field)

    def set(self, field, value, config) -> bool:
        """Set ``field``; a new value clears its TTL.  True when the field is new."""
        d = self.d
        if not self.big:
            limit = config.hash_max_listpack_value
            if len(field) > limit or len(value) > limit:
                self.big = True
        new = field not in d
        d[field] = value
        if self.ttl is not None and not new:
            self.ttl.pop(field, None)
        if new and not self.big and len(d) > config.hash_max_listpack_entries:
            self.big = True
        return new

    def set_keep_ttl(self, field, value, config):
        """Overwrite the value of an existing field keeping its TTL (HINCRBY & co.)."""
        ttl = self.ttl.get(field) if self.ttl is not None else None
        new = self.set(field, value, config)
        if ttl is not None:
            self.ttl[field] = ttl
        return new

    def delete(self, field) -> bool:
        if field in self.d:
            del self.d[field]
            if self.ttl is not None:
                self.ttl.pop(field, None)
            return True
        return False

    # ---- field expiry --------------------------------------------------------------------
    def get_ttl(self, field):
        return self.ttl.get(field) if self.ttl is not None else None

    def set_ttl(self, field, when):
        if self.ttl is None:
            self.ttl = {}
            self.heap = []
        if not self.big:
            self.ex = True
        self.ttl[field] = when
        heap = self.heap
        heapq.heappush(heap, (when, field))
        if len(heap) > 2 * len(self.ttl) + 32:
            self._rebuild_heap()

    def persist(self, field) -> bool:
        if self.ttl is not None and self.ttl.pop(field, None) is not None:
            return True
        return False

    def _rebuild_heap(self):
        self.heap = [(w, f) for f, w in self.ttl.items()]
        heapq.heapify(self.heap)

    def next_expiry(self):
        """Earliest field expiry (ms) or None."""
        ttl = self.ttl
        if not ttl:
            return None
        heap = self.heap
        while heap:
            when, f = heap[0]
            if ttl.get(f) == when:
                return when
            heapq.heappop(heap)
        return None

    def expire_due(self, now, limit=None):
        """Delete the fields whose expiry is <= now; return them (at most ``limit``)."""
        ttl = self.ttl
        if not ttl:
            return ()
        heap = self.heap
        out = []
        d = self.d
        while heap and heap[0][0] <= now:
            when, f = heapq.heappop(heap)
            if ttl.get(f) != when:
                continue
            del ttl[f]
            del d[f]
            out.append(f)
            if limit is not None and len(out) >= limit:
                break
        return out

    def has_ttls(self) -> bool:
        return bool(self.ttl)

    # ---- whole value ---------------------------------------------------------------------
    def copy(self):
        h = Hash()
        h.d = dict(self.d)
        h.big = self.big
        h.ex = self.ex
        if self.ttl:
            h.ttl = dict(self.ttl)
            h._rebuild_heap()
        return h

    def items(self):
        return self.d.items()

    def __repr__(self):
        return "Hash(%r, ttl=%r)" % (self.d, self.ttl)
