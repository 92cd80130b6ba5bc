"""List value: a ``collections.deque`` subclass with Redis' list operations and encoding.

The elements live in the deque itself, so ``len()``, iteration, ``x in l`` and ``l[i]`` run
in C: O(1) at both ends, O(N/64) in the middle (CPython's deque is a list of 64-slot blocks).
Methods are named after the commands (lpush, lrange, ltrim, lrem, linsert, lpos ...) and
implement their index rules; argument validation and replies stay with the caller.

Invariants:
- elements are bytes-like; mutate only through the methods below (the inherited deque
  mutators ``append``/``pop``/``extend``... bypass the bookkeeping; call ``recount()``
  after using them);
- ``nbytes`` is what the whole list would occupy as one Redis listpack
  (6-byte header + entries + end byte), kept up to date incrementally;
- ``lp`` is True while OBJECT ENCODING reports "listpack", False for "quicklist".

Encoding (Redis 7.2): a list starts as listpack.  Before a push/insert/set the growth rule
is checked with the current ``list-max-listpack-size`` (``cfg.list_max_listpack_size``,
read live so CONFIG SET applies at once; no cfg means the default -2): fill < 0 limits the
listpack's bytes (4/8/16/32/64 KB), fill > 0 its entries (and 8 KB as a safety limit).
After a removal (pop, rem, trim, set) a quicklist turns back into a listpack once it is
below *half* the limit (hysteresis).  Redis additionally requires the quicklist to be a
single node; we do not model node boundaries and treat "under half the limit" as one
node, which differs only after pops from the head of a list that was split into nodes.
"""

from collections import deque
from itertools import islice

__all__ = ["QuickList", "lp_entry_size"]

_SIZE_LEVELS = (4096, 8192, 16384, 32768, 65536)
_SAFETY = 8192
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_NUM_START = frozenset(b"-0123456789")


def lp_entry_size(v) -> int:
    """Bytes one element takes in a Redis listpack (encoding + data + back-length)."""
    n = len(v)
    if n < 64 and (not n or v[0] not in _NUM_START):
        return n + 2        # a short string that cannot be an integer: 1 + n + 1
    if 0 < n <= 20:
        c = v[0]
        if 48 <= c <= 57 or c == 45:
            # Redis stores canonical int64 decimal strings as integers
            ok = False
            if c == 45:
                ok = n > 1 and v[1] != 48 and v[1:].isdigit()
            else:
                ok = v.isdigit() and (c != 48 or n == 1)
            if ok:
                i = int(v)
                if _I64_MIN <= i <= _I64_MAX:
                    if 0 <= i <= 127:
                        return 2
                    if -4096 <= i <= 4095:
                        return 3
                    if -32768 <= i <= 32767:
                        return 4
                    if -8388608 <= i <= 8388607:
                        return 5
                    if -2147483648 <= i <= 2147483647:
                        return 6
                    return 10
    if n < 64:
        e = n + 1
    elif n < 4096:
        e = n + 2
    else:
        e = n + 5
    if e < 128:
        return e + 1
    if e < 16384:
        return e + 2
    if e < 2097152:
        return e + 3
    if e < 268435456:
        return e + 4
    return e + 5


def _exceeds(fill: int, size: int, count: int) -> bool:
    """quicklistNodeExceedsLimit: would a listpack of this size/count be too big?"""
    if fill < 0:
        return size > _SIZE_LEVELS[min(-fill - 1, 4)]
    if size > _SAFETY:
        return True
    return count > (fill or 1)


class QuickList(deque):
    __slots__ = ("lp", "nbytes", "cfg")
    type_name = "list"

    def __init__(self, values=(), cfg=None):
        """A list holding values (e.g. loaded from RDB); encoding chosen from its size."""
        super().__init__(values)
        self.cfg = cfg
        self.lp = True
        self.nbytes = 7 + sum(map(lp_entry_size, self))
        if self and _exceeds(self._fill(), self.nbytes, len(self)):
            self.lp = False

    @classmethod
    def loaded(cls, values, cfg, nbytes=None):
        """A list holding ``values`` whose size as one listpack is already known (``nbytes``,
        e.g. the single listpack node of a quicklist read from an RDB: the same figure
        ``recount`` gives, without sizing every element); None: computed."""
        if nbytes is None:
            return cls(values, cfg)
        q = cls.__new__(cls)
        deque.__init__(q, values)
        q.cfg = cfg
        q.nbytes = nbytes
        q.lp = not (q and _exceeds(-2 if cfg is None else cfg.list_max_listpack_size,
                                   nbytes, len(q)))
        return q

    # ---- encoding ------------------------------------------------------------------------

    def _fill(self) -> int:
        cfg = self.cfg
        return -2 if cfg is None else cfg.list_max_listpack_size

    def encoding(self, *_ignored) -> str:
        """'listpack' or 'quicklist' (arguments accepted and ignored; tracked as it changes)."""
        return "listpack" if self.lp else "quicklist"

    def _grow(self, values) -> None:
        # listTypeTryConversionAppend: current bytes + raw lengths of what comes
        add = 0
        for v in values:
            add += len(v)
        if _exceeds(self._fill(), self.nbytes + add, len(self) + len(values)):
            self.lp = False

    def _shrunk(self) -> None:
        # listTypeTryConvertQuicklist(shrinking): under half the limit -> listpack again
        n = len(self)
        if not n or n > 16384:
            return
        fill = self._fill()
        if fill < 0:
            if self.nbytes <= _SIZE_LEVELS[min(-fill - 1, 4)] // 2:
                self.lp = True
        elif n <= (fill or 1) // 2 and (self.nbytes <= _SAFETY or n == 1):
            self.lp = True

    def recount(self) -> None:
        """Recompute ``nbytes`` after mutating through raw deque methods."""
        self.nbytes = 7 + sum(map(lp_entry_size, self))

    def copy(self) -> "QuickList":
        q = QuickList.__new__(QuickList)
        deque.__init__(q, self)
        q.cfg = self.cfg
        q.lp = self.lp
        q.nbytes = self.nbytes
        return q

    __copy__ = copy

    # ---- push / pop ----------------------------------------------------------------------

    def lpush(self, values) -> int:
        """Push each value at the head in turn (LPUSH a b c -> c b a ...).  Returns len."""
        if self.lp:
            self._grow(values)
        self.extendleft(values)
        self.nbytes += sum(map(lp_entry_size, values))
        return len(self)

    def rpush(self, values) -> int:
        """Append values at the tail.  Returns the new length."""
        if self.lp:
            self._grow(values)
        self.extend(values)
        self.nbytes += sum(map(lp_entry_size, values))
        return len(self)

    def push_one(self, value, left: bool) -> int:
        """LPUSH/RPUSH of a single value (the common case, without a values list)."""
        if self.lp:
            cfg = self.cfg
            if _exceeds(-2 if cfg is None else cfg.list_max_listpack_size,
                        self.nbytes + len(value), len(self) + 1):
                self.lp = False
        if left:
            self.appendleft(value)
        else:
            self.append(value)
        self.nbytes += lp_entry_size(value)
        return len(self)

    def pop_one(self, left: bool):
        """LPOP/RPOP without a count on a non-empty list: the element."""
        v = self.popleft() if left else self.pop()
        self.nbytes -= lp_entry_size(v)
        if not self.lp:
            self._shrunk()
        return v

    def lpop(self, count=None):
        """No count: the head element or None.  count: a list of up to count elements."""
        if count is None:
            if not self:
                return None
            v = self.popleft()
            self.nbytes -= lp_entry_size(v)
            if not self.lp:
                self._shrunk()
            return v
        n = min(count, len(self))
        if n <= 0:
            return []
        pl = self.popleft
        out = [pl() for _ in range(n)]
        self.nbytes -= sum(map(lp_entry_size, out))
        if not self.lp:
            self._shrunk()
        return out

    def rpop(self, count=None):
        """No count: the tail element or None.  count: a list of up to count elements,
        tail first."""
        if count is None:
            if not self:
                return None
            v = self.pop()
            self.nbytes -= lp_entry_size(v)
            if not self.lp:
                self._shrunk()
            return v
        n = min(count, len(self))
        if n <= 0:
            return []
        pr = self.pop
        out = [pr() for _ in range(n)]
        self.nbytes -= sum(map(lp_entry_size, out))
        if not self.lp:
            self._shrunk()
        return out

    # ---- index access --------------------------------------------------------------------

    def lindex(self, i: int):
        """Element at index i (negative from the tail) or None if out of range."""
        n = len(self)
        if i < 0:
            i += n
            if i < 0:
                return None
        elif i >= n:
            return None
        return self[i]

    def lset(self, i: int, value) -> bool:
        """Replace the element at index i; False if out of range (caller: ERR index)."""
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            return False
        if self.lp:
            self._grow((value,))
        old = self[i]
        self[i] = value
        self.nbytes += lp_entry_size(value) - lp_entry_size(old)
        if not self.lp:
            self._shrunk()
        return True

    def lrange(self, start: int, stop: int) -> list:
        """LRANGE: inclusive, negative from the end, clamped.  O(S + M) where S is the
        distance from the nearer end."""
        n = len(self)
        if start < 0:
            start += n
            if start < 0:
                start = 0
        if stop < 0:
            stop += n
        if stop >= n:
            stop = n - 1
        if start > stop or start >= n:
            return []
        if start == 0 and stop == n - 1:
            return list(self)
        if start <= n - 1 - stop:
            return list(islice(self, start, stop + 1))
        out = list(islice(reversed(self), n - 1 - stop, n - start))
        out.reverse()
        return out

    # ---- LTRIM / LREM / LINSERT / LPOS ---------------------------------------------------

    def ltrim(self, start: int, stop: int) -> int:
        """LTRIM: keep [start, stop] (inclusive, negatives from the end).  An empty result
        empties the list (the caller deletes the key).  Returns how many were removed."""
        n = len(self)
        if start < 0:
            start += n
            if start < 0:
                start = 0
        if stop < 0:
            stop += n
        if start > stop or start >= n:
            ltrim, rtrim = n, 0
        else:
            if stop >= n:
                stop = n - 1
            ltrim, rtrim = start, n - stop - 1
        removed = ltrim + rtrim
        if not removed:
            if not self.lp:
                self._shrunk()
            return 0
        if removed == n:
            self.clear()
            self.nbytes = 7
            return n
        kept = n - removed
        if removed <= kept:
            sz = 0
            pl, pr = self.popleft, self.pop
            for _ in range(ltrim):
                sz += lp_entry_size(pl())
            for _ in range(rtrim):
                sz += lp_entry_size(pr())
            self.nbytes -= sz
        else:
            keep = list(islice(self, ltrim, n - rtrim))
            self.clear()
            self.extend(keep)
            self.nbytes = 7 + sum(map(lp_entry_size, keep))
        if not self.lp:
            self._shrunk()
        return removed

    def lrem(self, count: int, value) -> int:
        """LREM: remove up to count occurrences from the head (count > 0), from the tail
        (count < 0) or all of them (0).  Returns how many were removed."""
        if value not in self:
            return 0
        n = len(self)
        if count == 0 or abs(count) * 8 > n:
            if count == 0:
                keep = [x for x in self if x != value]
            else:
                keep = []
                left = abs(count)
                it = self if count > 0 else reversed(self)
                for x in it:
                    if left and x == value:
                        left -= 1
                    else:
                        keep.append(x)
                if count < 0:
                    keep.reverse()
            removed = n - len(keep)
            self.clear()
            self.extend(keep)
        else:
            # few removals: deque.remove (C) finds and unlinks the first match each time
            removed = 0
            if count < 0:
                self.reverse()
            try:
                for _ in range(abs(count)):
                    self.remove(value)
                    removed += 1
            except ValueError:
                pass
            if count < 0:
                self.reverse()
        if removed:
            self.nbytes -= removed * lp_entry_size(value)
            if not self.lp:
                self._shrunk()
        return removed

    def linsert(self, before: bool, pivot, value) -> int:
        """LINSERT BEFORE|AFTER pivot value: the new length, or -1 if pivot is absent.
        (As in Redis, the growth check runs first, even if the pivot is not found.)"""
        if self.lp:
            self._grow((value,))
        try:
            i = self.index(pivot)
        except ValueError:
            return -1
        self.insert(i if before else i + 1, value)
        self.nbytes += lp_entry_size(value)
        return len(self)

    def lpos(self, value, rank: int = 1, count: int = 1, maxlen: int = 0) -> list:
        """LPOS positions (always a list; the caller replies nil/first/array).

        rank != 0 (the caller rejects 0): the |rank|-th match is the first reported,
        negative rank searches from the tail.  count 0 means all matches.  maxlen > 0
        compares at most that many elements.  Positions are from the head either way."""
        n = len(self)
        limit = n if maxlen <= 0 else min(maxlen, n)
        out = []
        if rank > 0:
            skip = rank - 1
            pos = 0
            idx = self.index
            while pos < limit:
                try:
                    pos = idx(value, pos, limit)
                except ValueError:
                    break
                if skip:
                    skip -= 1
                else:
                    out.append(pos)
                    if count and len(out) >= count:
                        break
                pos += 1
        else:
            skip = -rank - 1
            i = n - 1
            for x in islice(reversed(self), limit):
                if x == value:
                    if skip:
                        skip -= 1
                    else:
                        out.append(i)
                        if count and len(out) >= count:
                            break
                i -= 1
        return out
