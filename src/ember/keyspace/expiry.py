"""Active expiry: a timing wheel of keys with a TTL, drained by the server's cron.

Redis samples random keys from its expires table; a Python dict cannot be sampled in O(1),
so ember files each key with a TTL into a one-second bucket of a wheel (a dict of
bucket -> list of keys plus a heap of bucket numbers).  The cron drains due buckets within a
time budget and deletes keys whose recorded expiry (the ``expires`` dict, the source of
truth) has passed.  Entries left behind when a TTL changes or is removed are skipped when
their bucket comes up; once such stale entries outnumber the live TTLs, the cron compacts
the wheel a slice at a time (``compact``), never in one long pass: a cache that keeps
refreshing a million TTLs must not stall the server for a rebuild.

Invariant: every key in ``db.expires`` has an entry in a bucket at or before its expiry
second, so active expiry can never miss a key forever.
"""

import heapq


class ExpiryWheel:
    __slots__ = ("buckets", "heap", "entries", "_todo", "_pos")

    # a compaction slice: entries filtered between two deadline checks
    SLICE = 2048

    def __init__(self):
        self.buckets = {}
        self.heap = []
        self.entries = 0
        self._todo = None   # buckets (newest first) left to compact in the current pass
        self._pos = 0       # next index to filter in the bucket at _todo[-1]

    def add(self, key, when_ms: int):
        b = when_ms // 1000
        lst = self.buckets.get(b)
        if lst is None:
            self.buckets[b] = [key]
            heapq.heappush(self.heap, b)
        else:
            lst.append(key)
        self.entries += 1

    def clear(self):
        self.buckets = {}
        self.heap = []
        self.entries = 0
        self._todo = None
        self._pos = 0

    def rebuild(self, expires: dict):
        self.clear()
        for k, w in expires.items():
            self.add(k, w)

    def has_due(self, now_ms: int) -> bool:
        return bool(self.heap) and self.heap[0] < now_ms // 1000

    def due_entries(self, now_ms: int) -> int:
        """Entries filed in whole past seconds: keys already due (and stale entries)."""
        due = now_ms // 1000
        buckets = self.buckets
        return sum(len(buckets[b]) for b in self.heap if b < due)

    def drain(self, db, now_ms: int, budget: int, deadline=None) -> tuple:
        """Expire due keys of ``db``; examine at most ``budget`` entries and stop once
        ``deadline()`` (checked every 64 entries) says time is up.
        Returns (examined, expired)."""
        examined = expired = 0
        heap = self.heap
        expires = db.expires
        due = now_ms // 1000
        while heap and heap[0] < due and examined < budget:
            # Only whole past seconds: every live entry of such a bucket is due.
            b = heap[0]
            lst = self.buckets[b]
            while lst and examined < budget:
                if deadline is not None and not (examined & 63) and examined and deadline():
                    budget = examined
                    break
                key = lst.pop()
                self.entries -= 1
                examined += 1
                when = expires.get(key)
                if when is not None and when <= now_ms:
                    db.delete_expired(key)
                    expired += 1
            if lst:
                break
            heapq.heappop(heap)
            del self.buckets[b]
        return examined, expired

    def needs_compaction(self, live: int) -> bool:
        """True when a compaction pass is running or stale entries outnumber live TTLs."""
        return self._todo is not None or self.entries > 2 * live + 1024

    def compact(self, expires: dict, deadline) -> bool:
        """Advance the compaction pass: drop the entries of keys whose TTL now files them in
        another bucket (or that have none) and repeats within a bucket, a slice at a time,
        until ``deadline()``.  Returns True when the pass is complete.  Each live key keeps
        its entry in the bucket of its expiry second, so the invariant holds at every step."""
        if self._todo is None:
            self._todo = sorted(self.buckets, reverse=True)
            self._pos = 0
        todo = self._todo
        buckets = self.buckets
        get = expires.get
        step = self.SLICE
        while todo:
            b = todo[-1]
            lst = buckets.get(b)
            pos = self._pos
            if lst is None or pos >= len(lst):
                todo.pop()
                self._pos = 0
                continue
            chunk = lst[pos:pos + step]
            lo, hi = b * 1000, b * 1000 + 1000
            # dict.fromkeys drops repeats inside the slice; then keep keys filed here
            keep = [k for k in dict.fromkeys(chunk) if lo <= get(k, -1) < hi]
            lst[pos:pos + step] = keep
            self.entries -= len(chunk) - len(keep)
            self._pos = pos + len(keep)
            if deadline():
                return False
        self._todo = None
        return True
