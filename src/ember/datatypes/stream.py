"""The stream type: an append-only log of (ID, field/value pairs) plus consumer groups.

Layout (the shape of Redis' radix tree of listpacks, flattened to two levels):
- an ID is one packed int ``ms << 64 | seq`` (so IDs compare as ints);
- entries live in ``Node``s of at most ``node_max`` appended entries: a node holds a list of
  packed IDs, a parallel list of flat ``(f1, v1, f2, v2, ...)`` tuples and one of
  per-entry memos (bytes a reader chose to cache, e.g. the entry's reply encoding, or None:
  see ``span``); ``_firsts`` holds
  each node's first live ID, so a range lookup is two bisects: O(log N + M);
- XADD only appends to the tail node; a new node is started when the tail node has received
  ``node_max`` entries (deleted ones count, as in a listpack) or when the size its listpack
  would have in Redis (``Node.lp_bytes``, see ``_lp_str``/``_lp_int``) plus the new
  entry's field and value lengths reaches ``node_max_bytes``, as Redis decides it: that is
  what makes ``~`` trimming remove the same whole nodes as Redis.

Invariants: nodes are never empty (a node whose last entry goes is dropped); ``_firsts[i]``
is ``_nodes[i].ids[0]``; ``length`` is the number of live entries; ``last_id`` never moves
back (except through XSETID, which checks); ``max_deleted`` is only raised by XDEL.

Consumer groups: ``groups`` maps name -> ``Group``; a group's PEL is a dict
id -> [consumer name, delivery time ms, delivery count] with a sorted index of its IDs, and
each ``Consumer`` keeps the sorted set of IDs it owns (both zset's ``_Index``, a SortedList
whose ``add`` is short when the ID goes at the end, as new deliveries do).  This module knows nothing of the
protocol or the keyspace.
"""

import re
from bisect import bisect_left, bisect_right
from itertools import islice

from .zset import _Index as SortedIds   # SortedList with a short path for appends

U64 = (1 << 64) - 1
MAX_ID = (U64 << 64) | U64
INVALID_ENTRIES_READ = -1   # a group's "entries_read" when it cannot be known


def pack(ms: int, seq: int) -> int:
    return (ms << 64) | seq


def unpack(i: int):
    return i >> 64, i & U64


def id_bytes(i: int) -> bytes:
    return b"%d-%d" % (i >> 64, i & U64)


# ---- the size of a node's listpack in Redis (what stream-node-max-bytes limits) -------------
# Redis stores a node as a listpack: a 6-byte header, an end byte, and elements, each an
# encoding (integers in 1, 2, 3, 4, 5 or 9 bytes; strings with a 1, 2 or 5 byte header)
# followed by its length as a 1..5 byte "backlen".  A string that is a canonical int64 is
# stored as an integer.  A node's elements: its master entry (live count, deleted count,
# field count, the fields, a 0) then per entry: flags, ms and seq relative to the node's
# first ID, either the values (same fields as the master) or field count + fields and
# values, and the entry's element count.
_INT64 = re.compile(rb"-?[1-9][0-9]{0,18}|0").fullmatch
_NUMLIKE = re.compile(rb"-?[0-9]").match
_LP_HEADER_END = 7


def _lp_int(v: int) -> int:
    """Bytes of an integer element (encoding + backlen)."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


def _lp_str(x) -> int:
    """Bytes of a string element (an integer element when it is a canonical int64)."""
    n = len(x)
    if n <= 20 and _INT64(x) is not None:
        v = int(x)
        if -(1 << 63) <= v < (1 << 63):
            return _lp_int(v)
    if n < 64:
        return n + 2
    e = n + 2 if n < 4096 else n + 5
    if e <= 127:
        return e + 1
    if e < 16383:
        return e + 2
    if e < 2097151:
        return e + 3
    if e < 268435455:
        return e + 4
    return e + 5


def _lp_strs(xs) -> int:
    """Total bytes of string elements: short non-numeric ones (the usual case) in C loops."""
    if max(map(len, xs)) < 64 and not any(map(_NUMLIKE, xs)):
        return sum(map(len, xs)) + 2 * len(xs)
    return sum(map(_lp_str, xs))


class Node:
    __slots__ = ("ids", "fvs", "memo", "added", "master_id", "master_fields", "lp_fixed")

    def __init__(self, first_id=0, fv=()):
        self.ids = []
        self.fvs = []
        self.memo = []
        self.added = 0   # entries ever appended (deleted ones still occupy a listpack slot)
        self.master_id = first_id
        self.master_fields = fv[0::2]
        # listpack bytes except the live and deleted counters, which change in place
        self.lp_fixed = (_LP_HEADER_END + _lp_int(len(self.master_fields)) + 2
                         + (_lp_strs(self.master_fields) if fv else 0))

    def lp_bytes(self) -> int:
        """The size of this node's listpack in Redis."""
        live = len(self.ids)
        return self.lp_fixed + _lp_int(live) + _lp_int(self.added - live)

    def entry_bytes(self, i, fv) -> int:
        """Bytes that appending entry ``i`` (fields and values ``fv``) adds."""
        mid = self.master_id
        d = (i >> 64) - (mid >> 64)
        n = 4 if 0 <= d < 128 else 2 + _lp_int(d)
        d = (i & U64) - (mid & U64)
        n += 2 if 0 <= d < 128 else _lp_int(d)
        fields = fv[0::2]
        nf = len(fields)
        if fields == self.master_fields:
            vals = fv[1::2]
            return n + (_lp_str(vals[0]) if nf == 1 else _lp_strs(vals)) + _lp_int(nf + 3)
        return n + _lp_int(nf) + _lp_strs(fv) + _lp_int(2 * nf + 4)


# ids_from reads sortedcontainers' SortedList layout (``_lists``/``_maxes``: the same in
# every 2.x release; pyproject keeps sortedcontainers below 3).  Should an install lack it,
# the public ``irange`` answers instead (slower: it walks the positional index).
_SORTED_LAYOUT = all(hasattr(SortedIds([0]), a) for a in ("_lists", "_maxes"))


def ids_from(ids, lo, count):
    """The first ``count`` (None: all) values >= ``lo`` of the sorted set ``ids`` (a
    SortedList: read through its documented layout, sublists ``_lists`` and their maxima
    ``_maxes``, so no positional index is built), as a list."""
    if not _SORTED_LAYOUT:
        return list(islice(ids.irange(lo), count))
    maxes = ids._maxes
    k = bisect_left(maxes, lo)
    out = []
    lists = ids._lists
    nl = len(lists)
    if k == nl:
        return out
    sub = lists[k]
    p = bisect_left(sub, lo)
    if count is None:
        count = len(ids)
    while True:
        out += sub[p:p + count - len(out)]
        k += 1
        if len(out) >= count or k == nl:
            return out
        sub = lists[k]
        p = 0


class Consumer:
    __slots__ = ("name", "seen_time", "active_time", "pending")

    def __init__(self, name, seen_time, active_time=-1):
        self.name = name
        self.seen_time = seen_time
        self.active_time = active_time
        self.pending = SortedIds()

    def copy(self):
        c = Consumer(self.name, self.seen_time, self.active_time)
        c.pending = SortedIds(self.pending)
        return c


class Group:
    __slots__ = ("name", "last_id", "entries_read", "pel", "pel_ids", "consumers")

    def __init__(self, name, last_id, entries_read=INVALID_ENTRIES_READ):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel = {}               # id -> [consumer name, delivery time, delivery count]
        self.pel_ids = SortedIds()
        self.consumers = {}

    def copy(self):
        g = Group(self.name, self.last_id, self.entries_read)
        g.pel = {k: list(v) for k, v in self.pel.items()}
        g.pel_ids = SortedIds(self.pel_ids)
        g.consumers = {k: c.copy() for k, c in self.consumers.items()}
        return g

    # ---- consumers -------------------------------------------------------------------
    def consumer(self, name, now, create=True):
        """The consumer ``name`` (created when missing and ``create``); None otherwise."""
        c = self.consumers.get(name)
        if c is None and create:
            c = self.consumers[name] = Consumer(name, now)
        return c

    def delete_consumer(self, name) -> int:
        """Drop a consumer and its pending entries; returns how many it had pending."""
        c = self.consumers.pop(name)
        n = len(c.pending)
        for i in c.pending:
            del self.pel[i]
            self.pel_ids.remove(i)
        return n

    # ---- the PEL ---------------------------------------------------------------------
    def add_pending(self, i, consumer, now):
        """Deliver ``i`` to ``consumer`` (new or re-assigned), delivery count reset to 1
        for a new entry."""
        rec = self.pel.get(i)
        if rec is None:
            # a new PEL entry: no consumer has it pending (each consumer's set is a subset
            # of the PEL), so no membership test
            self.pel[i] = [consumer.name, now, 1]
            self.pel_ids.add(i)
            consumer.pending.add(i)
            return
        if rec[0] != consumer.name:
            old = self.consumers.get(rec[0])
            if old is not None:
                old.pending.discard(i)
            rec[0] = consumer.name
        rec[1] = now
        rec[2] = 1
        if i not in consumer.pending:
            consumer.pending.add(i)

    def assign(self, i, consumer):
        """Move the pending entry ``i`` to ``consumer`` (XCLAIM)."""
        rec = self.pel[i]
        if rec[0] != consumer.name:
            old = self.consumers.get(rec[0])
            if old is not None:
                old.pending.discard(i)
            rec[0] = consumer.name
            consumer.pending.add(i)

    def ack(self, i) -> bool:
        rec = self.pel.pop(i, None)
        if rec is None:
            return False
        self.pel_ids.remove(i)
        c = self.consumers.get(rec[0])
        if c is not None:
            c.pending.discard(i)
        return True

    def pending_range(self, lo, hi, count=None):
        out = []
        for i in self.pel_ids.irange(lo, hi):
            if count is not None and len(out) >= count:
                break
            out.append(i)
        return out


class Stream:
    type_name = "stream"
    __slots__ = ("_firsts", "_nodes", "length", "last_id", "max_deleted", "entries_added",
                 "groups", "node_max", "node_max_bytes", "limits")

    def __init__(self, node_max=100, node_max_bytes=4096):
        self._firsts = []
        self._nodes = []
        self.length = 0
        self.last_id = 0
        self.max_deleted = 0
        self.entries_added = 0
        self.groups = {}
        self.set_node_limits(node_max, node_max_bytes)

    def set_node_limits(self, node_max, node_max_bytes):
        """stream-node-max-entries / -bytes for the next appends (0: no entry limit; 0 or
        more than 1 GB: 1 GB, Redis' listpack ceiling)."""
        self.limits = (node_max, node_max_bytes)
        self.node_max = max(1, node_max) if node_max else 1 << 62
        if not node_max_bytes or node_max_bytes > 1 << 30:
            node_max_bytes = 1 << 30
        self.node_max_bytes = node_max_bytes

    def encoding(self, config=None) -> str:
        return "stream"

    def __len__(self):
        return self.length

    def copy(self):
        s = Stream.__new__(Stream)
        s._firsts = list(self._firsts)
        nodes = []
        for n in self._nodes:
            m = Node.__new__(Node)
            m.ids = list(n.ids)
            m.memo = list(n.memo)
            m.fvs = list(n.fvs)
            m.added = n.added
            m.master_id = n.master_id
            m.master_fields = n.master_fields
            m.lp_fixed = n.lp_fixed
            nodes.append(m)
        s._nodes = nodes
        s.length = self.length
        s.last_id = self.last_id
        s.max_deleted = self.max_deleted
        s.entries_added = self.entries_added
        s.groups = {k: g.copy() for k, g in self.groups.items()}
        s.node_max = self.node_max
        s.node_max_bytes = self.node_max_bytes
        s.limits = self.limits
        return s

    # ---- IDs -------------------------------------------------------------------------
    def first_id(self) -> int:
        return self._firsts[0] if self._firsts else 0

    def node_count(self) -> int:
        return len(self._nodes)

    def next_id(self, now_ms):
        """The ID ``*`` would generate now, or None when the stream has exhausted IDs."""
        ms, seq = unpack(self.last_id)
        if now_ms > ms:
            return pack(now_ms, 0)
        if seq == U64:
            if ms == U64:
                return None
            return pack(ms + 1, 0)
        return pack(ms, seq + 1)

    def id_for_ms(self, ms):
        """The ID ``ms-*`` stands for, or None when it cannot be greater than the last."""
        lms, lseq = unpack(self.last_id)
        if ms == lms:
            if lseq == U64:
                return None
            return pack(ms, lseq + 1)
        if ms < lms:
            return None
        return pack(ms, 0)

    # ---- entries ---------------------------------------------------------------------
    def append(self, i, fv):
        """Append an entry whose ID is greater than ``last_id`` (the caller checked).  As
        Redis: a new node when the tail node's listpack plus the lengths of the new fields
        and values reaches node_max_bytes, or when it has node_max entries."""
        nodes = self._nodes
        n = nodes[-1] if nodes else None
        if n is not None:
            added = n.added
            if added >= self.node_max:
                n = None
            else:   # n.lp_bytes(), inlined
                live = len(n.ids)
                size = (n.lp_fixed + (2 if live < 128 else _lp_int(live))
                        + (2 if added - live < 128 else _lp_int(added - live)))
                if size + sum(map(len, fv)) >= self.node_max_bytes:
                    n = None
        if n is None:
            n = Node(i, fv)
            nodes.append(n)
            self._firsts.append(i)
        n.lp_fixed += n.entry_bytes(i, fv)
        n.ids.append(i)
        n.memo.append(None)
        n.fvs.append(fv)
        n.added += 1
        self.length += 1
        self.last_id = i
        self.entries_added += 1

    def _locate(self, i):
        """(node index, position) of the first entry with ID >= i."""
        k = bisect_right(self._firsts, i) - 1
        if k < 0:
            return 0, 0
        n = self._nodes[k]
        p = bisect_left(n.ids, i)
        if p == len(n.ids):
            return k + 1, 0
        return k, p

    def get(self, i):
        k = bisect_right(self._firsts, i) - 1
        if k < 0:
            return None
        n = self._nodes[k]
        p = bisect_left(n.ids, i)
        if p < len(n.ids) and n.ids[p] == i:
            return n.fvs[p]
        return None

    def range(self, lo, hi, count=None, rev=False):
        """Entries (id, fv) with lo <= id <= hi, ascending (or descending when ``rev``,
        starting from ``hi``), at most ``count``."""
        out = []
        if lo > hi or not self.length:
            return out
        nodes = self._nodes
        if not rev:
            k, p = self._locate(lo)
            while k < len(nodes):
                n = nodes[k]
                ids = n.ids
                fvs = n.fvs
                while p < len(ids):
                    i = ids[p]
                    if i > hi or (count is not None and len(out) >= count):
                        return out
                    out.append((i, fvs[p]))
                    p += 1
                k += 1
                p = 0
            return out
        k = bisect_right(self._firsts, hi) - 1
        if k < 0:
            return out
        p = bisect_right(nodes[k].ids, hi) - 1
        while k >= 0:
            n = nodes[k]
            ids = n.ids
            fvs = n.fvs
            while p >= 0:
                i = ids[p]
                if i < lo or (count is not None and len(out) >= count):
                    return out
                out.append((i, fvs[p]))
                p -= 1
            k -= 1
            if k >= 0:
                p = len(nodes[k].ids) - 1
        return out

    def _segments(self, lo, hi, count, rev):
        """The entries lo <= id <= hi, at most ``count``, ascending (descending from ``hi``
        when ``rev``), as (node, p, q) slices of nodes, in reading order."""
        out = []
        if lo > hi or not self.length or count <= 0:
            return out
        nodes = self._nodes
        if not rev:
            k, p = self._locate(lo)
            nn = len(nodes)
            while k < nn:
                n = nodes[k]
                nids = n.ids
                q = len(nids)
                if q - p > count:
                    q = p + count
                if nids[q - 1] > hi:
                    q = bisect_right(nids, hi, p, q)
                    out.append((n, p, q))
                    break
                out.append((n, p, q))
                count -= q - p
                if not count:
                    break
                k += 1
                p = 0
            return out
        k = bisect_right(self._firsts, hi) - 1
        if k < 0:
            return out
        q = bisect_right(nodes[k].ids, hi)      # end (exclusive) in node k
        while k >= 0:
            n = nodes[k]
            nids = n.ids
            p = q - count if q > count else 0
            if nids[p] < lo:
                out.append((n, bisect_left(nids, lo, p, q), q))
                break
            out.append((n, p, q))
            count -= q - p
            if not count:
                break
            k -= 1
            if k >= 0:
                q = len(nodes[k].ids)
        return out

    def span(self, lo, hi, count, rev=False):
        """(ids, fvs): two lists with the entries lo <= id <= hi, at most ``count``,
        ascending (descending from ``hi`` when ``rev``) -- what ``range`` gives, copied
        node by node with slices."""
        ids_out = []
        fvs_out = []
        for n, p, q in self._segments(lo, hi, count, rev):
            if rev:
                ids_out += n.ids[p:q][::-1]
                fvs_out += n.fvs[p:q][::-1]
            else:
                ids_out += n.ids[p:q]
                fvs_out += n.fvs[p:q]
        return ids_out, fvs_out

    def span_memo(self, lo, hi, count, make, rev=False):
        """(ids, memos): as ``span``, with each entry's memo instead of its fields; a missing
        memo is ``make(id, fv)``, kept for the next readers.  One ``make`` per stream, as
        the memos of all readers share the slot."""
        ids_out = []
        out = []
        for n, p, q in self._segments(lo, hi, count, rev):
            ms = n.memo[p:q]
            if None in ms:
                memo = n.memo
                ids = n.ids
                fvs = n.fvs
                for j in range(p, q):
                    if memo[j] is None:
                        memo[j] = ms[j - p] = make(ids[j], fvs[j])
            if rev:
                ids_out += n.ids[p:q][::-1]
                out += ms[::-1]
            else:
                ids_out += n.ids[p:q]
                out += ms
        return ids_out, out

    def first_entry(self):
        if not self._nodes:
            return None
        n = self._nodes[0]
        return n.ids[0], n.fvs[0]

    def last_entry(self):
        if not self._nodes:
            return None
        n = self._nodes[-1]
        return n.ids[-1], n.fvs[-1]

    def entries(self):
        for n in self._nodes:
            yield from zip(n.ids, n.fvs)

    def delete(self, i) -> bool:
        """XDEL one entry (raises ``max_deleted``)."""
        k = bisect_right(self._firsts, i) - 1
        if k < 0:
            return False
        n = self._nodes[k]
        p = bisect_left(n.ids, i)
        if p == len(n.ids) or n.ids[p] != i:
            return False
        del n.ids[p]
        del n.memo[p]
        del n.fvs[p]
        if not n.ids:
            del self._nodes[k]
            del self._firsts[k]
        elif p == 0:
            self._firsts[k] = n.ids[0]
        self.length -= 1
        if i > self.max_deleted:
            self.max_deleted = i
        return True

    def trim(self, maxlen=None, minid=None, approx=False, limit=0) -> int:
        """Remove entries from the head while the stream is longer than ``maxlen`` or its
        first ID is below ``minid``.  With ``approx`` only whole nodes go, and at most
        ``limit`` entries (0: no limit).  Returns the number removed."""
        removed = 0
        nodes = self._nodes
        drop_nodes = 0
        for n in nodes:
            cnt = len(n.ids)
            if maxlen is not None:
                if self.length - removed <= maxlen:
                    break
                whole = self.length - removed - cnt >= maxlen
            else:
                if n.ids[0] >= minid:
                    break
                whole = n.ids[-1] < minid
            if limit and removed + cnt > limit:
                break
            if whole:
                removed += cnt
                drop_nodes += 1
                continue
            if approx:
                break
            # Partial node: exact trimming removes individual entries.
            if maxlen is not None:
                cut = self.length - removed - maxlen
            else:
                cut = bisect_left(n.ids, minid)
            del n.ids[:cut]
            del n.memo[:cut]
            del n.fvs[:cut]
            removed += cut
            break
        if drop_nodes:
            del nodes[:drop_nodes]
            del self._firsts[:drop_nodes]
        if nodes:
            self._firsts[0] = nodes[0].ids[0]
        self.length -= removed
        return removed

    # ---- counters used by consumer-group lag (Redis 7 semantics) ---------------------
    def has_tombstones(self, start=0, end=MAX_ID) -> bool:
        md = self.max_deleted
        if not self.length or not md:
            return False
        if self.first_id() > md:
            return False
        return start <= md <= end

    def estimate_entries_read(self, i) -> int:
        """The logical position (entries_read counter) of ID ``i``, or INVALID."""
        if not self.entries_added:
            return 0
        if not self.length and i <= self.last_id:
            return self.entries_added
        if i == self.last_id:
            return self.entries_added
        if i > self.last_id:
            return INVALID_ENTRIES_READ
        first = self.first_id()
        if not self.max_deleted or self.max_deleted < first:
            if i < first:
                return self.entries_added - self.length
            if i == first:
                return self.entries_added - self.length + 1
        return INVALID_ENTRIES_READ

    def group_lag(self, g):
        """XINFO's lag of group ``g``: an int, or None when it cannot be computed."""
        if not self.entries_added:
            return 0
        if g.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones(g.last_id):
            return self.entries_added - g.entries_read
        er = self.estimate_entries_read(g.last_id)
        if er != INVALID_ENTRIES_READ:
            return self.entries_added - er
        return None

    def note_delivered(self, g, i):
        """Group ``g`` delivered entry ``i`` with ``>``: advance its last ID and counter."""
        if i > g.last_id:
            if g.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones(i):
                g.entries_read += 1
            elif self.entries_added:
                g.entries_read = self.estimate_entries_read(i)
            g.last_id = i

    # ---- persistence model (persistence.rdb.StreamValue) ----------------------------
    def to_model(self, model_cls, group_cls, consumer_cls, pending_cls):
        sv = model_cls()
        sv.entries = [(i >> 64, i & U64, [(fv[j], fv[j + 1]) for j in range(0, len(fv), 2)])
                      for i, fv in self.entries()]
        sv.last_id = unpack(self.last_id)
        sv.first_id = unpack(self.first_id())
        sv.max_deleted_id = unpack(self.max_deleted)
        sv.entries_added = self.entries_added
        groups = []
        for name in sorted(self.groups):
            g = self.groups[name]
            mg = group_cls(name, unpack(g.last_id), g.entries_read)
            for i in g.pel_ids:
                rec = g.pel[i]
                mg.pel[unpack(i)] = pending_cls(rec[0], rec[1], rec[2])
            for cname in sorted(g.consumers):
                c = g.consumers[cname]
                mc = consumer_cls(cname, c.seen_time, c.active_time)
                mc.pending = [unpack(i) for i in c.pending]
                mg.consumers.append(mc)
            groups.append(mg)
        sv.groups = groups
        return sv

    @classmethod
    def from_model(cls, sv, node_max=100, node_max_bytes=4096):
        s = cls(node_max, node_max_bytes)
        for ms, seq, fvs in sv.entries:
            flat = []
            for f, v in fvs:
                flat.append(f)
                flat.append(v)
            s.append(pack(ms, seq), tuple(flat))
        s.last_id = pack(*sv.last_id)
        s.max_deleted = pack(*sv.max_deleted_id)
        s.entries_added = sv.entries_added
        for mg in sv.groups:
            g = Group(mg.name, pack(*mg.last_id), mg.entries_read)
            for sid, pe in mg.pel.items():
                i = pack(*sid)
                g.pel[i] = [pe.consumer, pe.delivery_time, pe.delivery_count]
                g.pel_ids.add(i)
            for mc in mg.consumers:
                c = Consumer(mc.name, mc.seen_time, mc.active_time)
                for sid in mc.pending:
                    i = pack(*sid)
                    c.pending.add(i)
                    if i in g.pel:
                        g.pel[i][0] = mc.name
                g.consumers[mc.name] = c
            s.groups[mg.name] = g
        return s
