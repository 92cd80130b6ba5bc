"""Lazy freeing: UNLINK, FLUSHALL/FLUSHDB ASYNC, and the lazyfree-lazy-user-del, -user-flush,
-expire, -eviction and -server-del settings (callers: commands/generic.py, keyspace/db.py,
keyspace/eviction.py).

Redis hands such values (and whole flushed tables) to a background thread, so the command
returns at once whatever the size.  ember cannot free Python objects without the GIL, so
``LazyFree`` frees them on the event loop a slice at a time instead: each step pops entries
off the detached containers for about a millisecond and gives the loop back (call_soon), so
clients are served in between.  Measured: FLUSHALL ASYNC of 1.25M keys stalled PINGs for
165 ms when freed at once.

What goes here follows Redis' rule (lazyfreeGetFreeEffort, LAZYFREE_THRESHOLD 64): a value
whose freeing costs more than 64 frees -- a hashtable, skiplist, quicklist or stream of that
size -- is freed lazily; a smaller one (listpack, intset, strings) at once.  A flushed
database always goes here.  INFO's lazyfree_pending_objects counts what is queued (keys of a
flushed database, or 1 per value) and lazyfreed_objects what was freed that way, as Redis'.

Without an event loop (embedded use) everything is freed at once, as before.
"""

import gc
import time
from collections import deque
from sys import getrefcount

THRESHOLD = 64
_STEP_NS = 1_000_000          # work per step before giving the loop back
_CHUNK = 512                  # pops between clock checks
_CONTAINERS = (dict, list, set, deque)
_PLAIN = frozenset((bytes, int, float, type(None), tuple))


def free_effort(v) -> int:
    """About how many separate frees ``v`` costs (Redis' lazyfreeGetFreeEffort)."""
    t = type(v)
    if t is bytes or t is int or t is bytearray:
        return 1
    try:
        enc = v.encoding()
    except (AttributeError, TypeError):
        return 1
    if enc in ("hashtable", "skiplist"):
        return len(v)
    if enc == "quicklist":
        return 1 + getattr(v, "nbytes", 0) // 8192     # about one node per 8 KB (fill -2)
    if enc == "stream":
        groups = getattr(v, "groups", None) or {}
        return (len(getattr(v, "_nodes", ())) + len(groups)
                + sum(len(getattr(g, "pel", ())) for g in groups.values()))
    return 1


def _owned_containers(v):
    """The big containers inside value ``v``, in the order to drain them.  A container that
    something else refers to too (a scan snapshot, a cache) is left alone: it goes when its
    last owner does."""
    if isinstance(v, deque):            # QuickList is the deque of its elements
        return [v]
    out = []
    for r in gc.get_referents(v):
        if isinstance(r, type):
            continue
        # owners: v, the referents list, the loop variable and getrefcount's argument
        if getrefcount(r) > 4:
            continue
        if isinstance(r, _CONTAINERS):
            if len(r) > _CHUNK:
                out.append(r)
        else:
            lists = getattr(r, "_lists", None)      # a sorted-set index (SortedList)
            if type(lists) is list and getrefcount(lists) <= 3:
                out.append(lists)
    return out


def _size(v):
    """len(v), an upper bound of free_effort (cheaper to ask first)."""
    try:
        return len(v)
    except TypeError:
        return THRESHOLD + 1


def _chunk_for(c):
    """Pops between clock checks for container ``c``: fewer when its items are containers
    themselves (a sorted-set index's sublists, a stream's nodes), judged by its last item."""
    if not c:
        return _CHUNK
    try:
        x = next(reversed(c.values())) if isinstance(c, dict) else c[-1]
    except (TypeError, IndexError):     # a set
        return _CHUNK
    t = type(x)
    if t is bytes or t is int or t is float or t is tuple or x is None:
        return _CHUNK
    try:
        n = len(x)
    except TypeError:
        n = len(gc.get_referents(x)) * 16   # an object: its fields, each maybe a container
    return max(1, min(_CHUNK, (16 * _CHUNK) // max(1, n)))


class LazyFree:
    __slots__ = ("server", "work", "pending", "freed", "scheduled")

    def __init__(self, server):
        self.server = server
        # [container, objects it stands for (counted when it is empty), whether it is a
        # keyspace table (values may be big themselves), pops per clock check]
        self.work = deque()
        self.pending = 0        # INFO lazyfree_pending_objects
        self.freed = 0          # INFO lazyfreed_objects
        self.scheduled = False

    def _loop(self):
        return getattr(getattr(self.server, "network", None), "loop", None)

    def free_value(self, v) -> bool:
        """Free ``v`` (already detached from the keyspace) lazily if it is big enough;
        returns whether it was queued.  The caller drops its own reference after."""
        if free_effort(v) <= THRESHOLD or self._loop() is None:
            return False
        parts = _owned_containers(v)
        if not parts:
            return False
        self.pending += 1
        work = self.work
        for p in parts:
            work.append([p, 0, False, _chunk_for(p)])
        work.append([[v], 1, False, 1])     # the (now small) value object itself, last
        self._schedule()
        return True

    def free_tables(self, nkeys, data, others):
        """A flushed database: its key table ``data`` (``nkeys`` keys) and ``others`` (tables
        that share its keys: expires, access times, the expiry wheel's), freed lazily and
        counted per key."""
        if self._loop() is None or not nkeys:
            return False
        self.pending += nkeys
        work = self.work
        work.append([data, 0, True, _CHUNK])
        for t in others:
            work.append([t, 0, False, _chunk_for(t)])
        work.append([[], nkeys, False, 1])  # credits the keys once all of the above is gone
        self._schedule()
        return True

    def _schedule(self):
        if not self.scheduled:
            loop = self._loop()
            if loop is not None:
                self.scheduled = True
                loop.call_soon(self.step)

    def step(self):
        """Free for about _STEP_NS, then yield to the loop (rescheduling if work is left)."""
        self.scheduled = False
        work = self.work
        end = time.perf_counter_ns() + _STEP_NS
        while work:
            item = work[0]
            c = item[0]
            pop = c.popitem if isinstance(c, dict) else c.pop
            n = min(len(c), item[3])
            big = None
            table = item[2]
            for _ in range(n):
                x = pop()
                if table:
                    x = x[1]        # (key, value)
                    # a big value inside a flushed table: its own turns, not one long free
                    if type(x) not in _PLAIN and _size(x) > THRESHOLD and free_effort(x) > THRESHOLD:
                        big = x
                        break
            x = None
            if big is not None:
                parts = _owned_containers(big)
                work.appendleft([[big], 0, False, 1])   # after its parts
                for p in reversed(parts):
                    work.appendleft([p, 0, False, _chunk_for(p)])
                big = None
            elif not c:
                work.popleft()
                if item[1]:
                    self.pending -= item[1]
                    self.freed += item[1]
            if time.perf_counter_ns() >= end:
                break
        if work:
            self._schedule()
        else:
            self.server._shrink_trim = True     # the cron gives the pages back (malloc_trim)
