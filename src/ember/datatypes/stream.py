"""The stream type: an append-only log of (ID, field/value pairs) plus consumer groups.

Layout (the shape of Redis' radix tree of listpacks, flattened to two levels):
- an ID is one packed int ``ms << 64 | seq`` (so IDs compare as ints);
- entries live in ``Node``s of at most ``node_max`` appended entries: a node holds a list of
  packed IDs and a parallel list of flat ``(f1, v1, f2, v2, ...)`` tuples; ``_firsts`` holds
  each node's first live ID, so a range lookup is two bisects: O(log N + M);
- XADD only appends to the tail node; a new node is started when the tail node has received
  ``node_max`` entries (deleted ones count, as in a listpack), which is what makes ``~``
  trimming remove the same whole nodes as Redis.

Invariants: nodes are never empty (a node whose last entry goes is dropped); ``_firsts[i]``
is ``_nodes[i].ids[0]``; ``length`` is the number of live entries; ``last_id`` never moves
back (except through XSETID, which checks); ``max_deleted`` is only raised by XDEL.

Consumer groups: ``groups`` maps name -> ``Group``; a group's PEL is a dict
id -> [consumer name, delivery time ms, delivery count] with a sorted index of its IDs, and
each ``Consumer`` keeps the sorted set of IDs it owns.  This module knows nothing of the
protocol or the keyspace.
"""

from bisect import bisect_left, bisect_right

from sortedcontainers import SortedList

U64 = (1 << 64) - 1
MAX_ID = (U64 << 64) | U64
INVALID_ENTRIES_READ = -1   # a group's "entries_read" when it cannot be known


def pack(ms: int, seq: int) -> int:
    return (ms << 64) | seq


def unpack(i: int):
    return i >> 64, i & U64


def id_bytes(i: int) -> bytes:
    return b"%d-%d" % (i >> 64, i & U64)


class Node:
    __slots__ = ("ids", "fvs", "added")

    def __init__(self):
        self.ids = []
        self.fvs = []
        self.added = 0   # entries ever appended (deleted ones still occupy a listpack slot)


class Consumer:
    __slots__ = ("name", "seen_time", "active_time", "pending")

    def __init__(self, name, seen_time, active_time=-1):
        self.name = name
        self.seen_time = seen_time
        self.active_time = active_time
        self.pending = SortedList()

    def copy(self):
        c = Consumer(self.name, self.seen_time, self.active_time)
        c.pending = SortedList(self.pending)
        return c


class Group:
    __slots__ = ("name", "last_id", "entries_read", "pel", "pel_ids", "consumers")

    def __init__(self, name, last_id, entries_read=INVALID_ENTRIES_READ):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel = {}               # id -> [consumer name, delivery time, delivery count]
        self.pel_ids = SortedList()
        self.consumers = {}

    def copy(self):
        g = Group(self.name, self.last_id, self.entries_read)
        g.pel = {k: list(v) for k, v in self.pel.items()}
        g.pel_ids = SortedList(self.pel_ids)
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
            self.pel[i] = [consumer.name, now, 1]
            self.pel_ids.add(i)
        else:
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
                 "groups", "node_max")

    def __init__(self, node_max=100):
        self._firsts = []
        self._nodes = []
        self.length = 0
        self.last_id = 0
        self.max_deleted = 0
        self.entries_added = 0
        self.groups = {}
        self.node_max = max(1, node_max) if node_max else 1 << 62

    def encoding(self, config=None) -> str:
        return "stream"

    def __len__(self):
        return self.length

    def copy(self):
        s = Stream.__new__(Stream)
        s._firsts = list(self._firsts)
        nodes = []
        for n in self._nodes:
            m = Node()
            m.ids = list(n.ids)
            m.fvs = list(n.fvs)
            m.added = n.added
            nodes.append(m)
        s._nodes = nodes
        s.length = self.length
        s.last_id = self.last_id
        s.max_deleted = self.max_deleted
        s.entries_added = self.entries_added
        s.groups = {k: g.copy() for k, g in self.groups.items()}
        s.node_max = self.node_max
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
        """Append an entry whose ID is greater than ``last_id`` (the caller checked)."""
        nodes = self._nodes
        if nodes and nodes[-1].added < self.node_max:
            n = nodes[-1]
        else:
            n = Node()
            nodes.append(n)
            self._firsts.append(i)
        n.ids.append(i)
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
    def from_model(cls, sv, node_max=100):
        s = cls(node_max)
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
