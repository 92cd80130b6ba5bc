"""Sorted set: a dict (member -> score) plus one SortedList of (score, member) tuples.

Order is Redis' order: by score, then by member bytes.  Python compares the tuples natively
(float, then bytes), so the sorted index needs no key function and every comparison runs in C.
``-0.0 == 0.0`` for Python as for Redis, so the two are the same score and tie on the member.

Invariants:
- ``scores`` and ``index`` hold exactly the same (member, score) pairs;
- scores are floats and never NaN (``add``/``zadd``/``incr`` refuse NaN; ±inf are fine);
- callers treat ``scores`` and ``index`` as read-only and mutate through the methods.

Complexity (N = size, M = elements returned/removed): add/update/remove O(log N); score
O(1); rank O(log N); range by rank, score or lex O(log N + M); counts by score or lex
O(log N); pop O(M log N); random member O(log N) (positional access into the SortedList).

Encoding (OBJECT ENCODING): ``lp`` is None when the set is "skiplist" and, when it is
"listpack", a reference to a config-like object with ``zset_max_listpack_entries`` and
``zset_max_listpack_value`` (ember's Config).  Adding a new member checks the limits as
they are *now* (CONFIG SET applies immediately, like Redis) and drops to skiplist for good;
nothing converts back except ``maybe_shrink`` (Redis does that only for the *STORE commands
and RDB loading).  ``create``, ``reserve`` and ``maybe_shrink`` mirror Redis'
zsetTypeCreate / zsetTypeMaybeConvert / zsetConvertToListpackIfNeeded.  The storage is
the same in both modes; only the reported name differs.

Lex ranges assume all scores are equal (as Redis documents).  When they are, bisection
uses the tuples directly; when they are not, the result is unspecified by Redis and we
binary-search on the member alone (O(log^2 N)), which is close to what Redis' walk does.
"""

from bisect import bisect_left, bisect_right, insort
from math import inf, nextafter
import random as _random

from sortedcontainers import SortedList

__all__ = [
    "ZSet", "ADDED", "UPDATED", "NOP", "NAN", "LEX_MIN", "LEX_MAX",
    "parse_lex_bound", "normalize_rank_range",
]

# outcomes of add()/zadd()
NOP = 0
ADDED = 1
UPDATED = 2
NAN = 3

class _LexSentinel:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


LEX_MIN = _LexSentinel("LEX_MIN")   # '-'
LEX_MAX = _LexSentinel("LEX_MAX")   # '+'


def parse_lex_bound(b: bytes):
    """b'-' / b'+' / b'[x' / b'(x' -> bound tuple (value, exclusive); None if malformed.

    value is bytes or LEX_MIN / LEX_MAX.  The caller replies with Redis' error on None.
    """
    if not b:
        return None
    c = b[0]
    if c == 43 and len(b) == 1:     # '+'
        return (LEX_MAX, False)
    if c == 45 and len(b) == 1:     # '-'
        return (LEX_MIN, False)
    if c == 91:                     # '['
        return (bytes(b[1:]), False)
    if c == 40:                     # '('
        return (bytes(b[1:]), True)
    return None


def normalize_rank_range(start: int, stop: int, n: int):
    """ZRANGE/LRANGE index rules: negative from the end, clamp.  Returns (lo, hi) with hi
    exclusive, or None if the range is empty."""
    if start < 0:
        start += n
        if start < 0:
            start = 0
    if stop < 0:
        stop += n
    if stop >= n:
        stop = n - 1
    if start > stop or start >= n:
        return None
    return start, stop + 1


class _Index(SortedList):
    """The SortedList of (score, member) with cheaper ``add`` and pops at the ends: the
    common case (no sublist to split or merge, no positional index to maintain) is done
    here in a few steps, anything else goes to SortedList's own code.  Relies on
    sortedcontainers' documented layout (``_lists``/``_maxes``/``_index``/``_len``/
    ``_load``: a list of sorted sublists, their maxima, the lazily built positional tree)."""

    # sublists of 128..256 items instead of SortedList's 1000..2000: insort's list.insert
    # moves the tail pointer by pointer, and ZADD/ZPOPMIN on big zsets pay less for it;
    # positional lookups walk a deeper tree (zsets._rank_reply walks it inline)
    DEFAULT_LOAD_FACTOR = 128

    def add(self, value):
        _maxes = self._maxes
        if not _maxes:
            SortedList.add(self, value)
            return
        pos = bisect_right(_maxes, value)
        if pos == len(_maxes):
            pos -= 1
            sub = self._lists[pos]
            sub.append(value)
            _maxes[pos] = value
        else:
            sub = self._lists[pos]
            insort(sub, value)
        if self._index or len(sub) > self._load << 1:
            self._expand(pos)
        self._len += 1

    def move(self, old, new):
        """Replace ``old`` (present) by ``new`` (absent): remove + add in one call, and
        without the maxima bisection of the add when ``new`` stays in ``old``'s sublist.
        Anything but the common case (a positional index to maintain, a sublist to merge)
        goes to SortedList's remove."""
        _maxes = self._maxes
        pos = bisect_left(_maxes, old)
        sub = self._lists[pos]
        if self._index or len(sub) <= (self._load >> 1) + 1:
            SortedList.remove(self, old)
            self.add(new)
            return
        i = bisect_left(sub, old)
        del sub[i]
        # sub keeps more than half the load: no merge; the maximum follows
        if (pos == 0 or _maxes[pos - 1] < new) and (new < sub[-1] or pos == len(_maxes) - 1):
            insort(sub, new)            # still within this sublist's bounds: no count changes
            _maxes[pos] = sub[-1]
            return
        _maxes[pos] = sub[-1]
        self._len -= 1
        self.add(new)

    @classmethod
    def from_sorted(cls, values: list):
        """An index over ``values``, a sorted list it takes ownership of (what SortedList's
        constructor builds from it, without sorting again)."""
        n = len(values)
        if not n:
            return cls()
        idx = object.__new__(cls)          # SortedList.__init__'s fields, set directly
        load = idx._load = cls.DEFAULT_LOAD_FACTOR
        if n <= load:
            idx._lists = [values]
            idx._maxes = [values[-1]]
        else:
            lists = idx._lists = [values[i:i + load] for i in range(0, n, load)]
            idx._maxes = [sub[-1] for sub in lists]
        idx._len = n
        idx._index = []
        idx._offset = 0
        return idx

    def span(self, a: int, b: int) -> list:
        """Items at positions [a, b) (0 <= a < b <= len), ascending: one positional lookup,
        then slices of the sublists (islice would look up both ends)."""
        need = b - a
        pos, i = self._pos(a)
        lists = self._lists
        out = lists[pos][i:i + need]
        while len(out) < need:
            pos += 1
            out += lists[pos][:need - len(out)]
        return out

    def pop_first(self):
        sub = self._lists[0]
        if self._index or len(sub) <= (self._load >> 1) + 1:
            return SortedList.pop(self, 0)
        v = sub[0]
        del sub[0]
        self._len -= 1
        return v

    def pop_last(self):
        sub = self._lists[-1]
        if self._index or len(sub) <= (self._load >> 1) + 1:
            return SortedList.pop(self, -1)
        v = sub.pop()
        self._maxes[-1] = sub[-1]
        self._len -= 1
        return v


class ZSet:
    __slots__ = ("scores", "index", "lp")
    type_name = "zset"

    def __init__(self, pairs=None, lp=None):
        """pairs: iterable of (member, score); later duplicates win.  lp: see module doc."""
        self.lp = lp
        if pairs:
            d = {}
            for m, s in pairs:
                s = float(s)
                if s != s:
                    raise ValueError("NaN score")
                d[m] = s
            self.scores = d
            self.index = _Index([(s, m) for m, s in d.items()])
        else:
            self.scores = {}
            self.index = _Index()

    @classmethod
    def from_flat(cls, flat, config=None):
        """A zset from ``[m1, s1, m2, s2, ...]`` (members bytes, scores anything ``float``
        takes: bytes digits, ints), e.g. a listpack read from an RDB, encoded as RDB loading
        does (``maybe_shrink``).  The usual input (distinct members, in (score, member)
        order, no NaN) is taken as it is; anything else goes through the general
        constructor, which sorts and keeps the last score of a repeated member."""
        members = flat[0::2]
        scores = list(map(float, flat[1::2]))
        n = len(members)
        z = cls.__new__(cls)
        z.lp = None
        d = z.scores = dict(zip(members, scores))
        total = sum(scores)
        if len(d) != n or total != total:   # a repeated member, a NaN (or inf and -inf)
            z = cls(zip(members, scores))   # ValueError on NaN
            z.maybe_shrink(config)
            return z
        pairs = list(zip(scores, members))
        if n > 1:
            pairs.sort()           # linear on the sorted input RDB files hold
        z.index = _Index.from_sorted(pairs)
        if config is not None and n <= config.zset_max_listpack_entries and (
                not n or max(map(len, members)) <= config.zset_max_listpack_value):
            z.lp = config
        return z

    # ---- encoding ------------------------------------------------------------------------

    @classmethod
    def create(cls, cfg, size_hint: int = 0, maxlen_hint: int = 0):
        """An empty zset whose encoding follows Redis' zsetTypeCreate for the hints."""
        if (cfg is not None and size_hint <= cfg.zset_max_listpack_entries
                and maxlen_hint <= cfg.zset_max_listpack_value):
            return cls(lp=cfg)
        return cls()

    def reserve(self, size_hint: int) -> None:
        """zsetTypeMaybeConvert: about to add size_hint elements to an existing zset."""
        lp = self.lp
        if lp is not None and size_hint > lp.zset_max_listpack_entries:
            self.lp = None

    def maybe_shrink(self, cfg) -> None:
        """zsetConvertToListpackIfNeeded: back to listpack if small enough (STORE, RDB)."""
        if self.lp is not None or cfg is None:
            return
        if len(self.scores) <= cfg.zset_max_listpack_entries:
            limit = cfg.zset_max_listpack_value
            if all(len(m) <= limit for m in self.scores):
                self.lp = cfg

    def encoding(self, *_ignored) -> str:
        """'listpack' or 'skiplist'; arguments (a config, or limits) are accepted and ignored:
        the state is tracked as the set changes (see the module doc)."""
        return "skiplist" if self.lp is None else "listpack"

    def _grow_check(self, member) -> None:
        lp = self.lp
        if (len(self.scores) > lp.zset_max_listpack_entries
                or len(member) > lp.zset_max_listpack_value):
            self.lp = None

    # ---- basics --------------------------------------------------------------------------

    def __len__(self):
        return len(self.scores)

    def __bool__(self):
        return bool(self.scores)

    def __contains__(self, member):
        return member in self.scores

    def __iter__(self):
        """(member, score) pairs in ascending order (the shape RDB and replies want)."""
        for s, m in self.index:
            yield m, s

    def __reversed__(self):
        for s, m in reversed(self.index):
            yield m, s

    def __eq__(self, other):
        return isinstance(other, ZSet) and self.scores == other.scores

    def __repr__(self):
        return f"ZSet({list(self)!r})"

    def copy(self) -> "ZSet":
        z = ZSet.__new__(ZSet)
        z.scores = self.scores.copy()
        z.index = self.index.copy()
        z.lp = self.lp
        return z

    def score(self, member):
        """Score or None.  O(1)."""
        return self.scores.get(member)

    # ---- add / update / remove -----------------------------------------------------------

    def add(self, member, score: float) -> int:
        """Set member's score.  Returns ADDED, UPDATED (score changed) or NOP.  (The hot
        path of ZADD: _Index.move moves an existing member.)"""
        if score != score:
            return NAN
        d = self.scores
        cur = d.get(member)
        if cur is None:
            d[member] = score
            self.index.add((score, member))
            if self.lp is not None:
                self._grow_check(member)
            return ADDED
        if cur == score:
            return NOP
        self.index.move((cur, member), (score, member))
        d[member] = score
        return UPDATED

    def zadd(self, member, score: float, nx=False, xx=False, gt=False, lt=False, incr=False):
        """ZADD semantics for one element.  Returns (outcome, score) where outcome is ADDED,
        UPDATED, NOP (skipped by NX/XX/GT/LT or unchanged) or NAN (INCR produced NaN; the
        set is untouched).  score is the element's score afterwards (None if absent), which
        is what ZADD INCR replies (nil when outcome is NOP because of a flag)."""
        if score != score:
            return NAN, None
        d = self.scores
        cur = d.get(member)
        if cur is None:
            if xx:
                return NOP, None
            d[member] = score
            self.index.add((score, member))
            if self.lp is not None:
                self._grow_check(member)
            return ADDED, score
        if nx:
            return NOP, None
        if incr:
            score = cur + score
            if score != score:
                return NAN, None
        if (lt and score >= cur) or (gt and score <= cur):
            return NOP, None
        if score == cur:
            return NOP, cur
        self.index.move((cur, member), (score, member))
        d[member] = score
        return UPDATED, score

    def incr(self, member, delta: float) -> float:
        """ZINCRBY: new score; raises ValueError (set untouched) if the result is NaN."""
        cur = self.scores.get(member)
        new = delta if cur is None else cur + delta
        if new != new:
            raise ValueError("resulting score is not a number (NaN)")
        self.add(member, new)
        return new

    def remove(self, member) -> bool:
        s = self.scores.pop(member, None)
        if s is None:
            return False
        self.index.remove((s, member))
        return True

    def _remove_slice(self, lo: int, hi: int) -> int:
        if hi <= lo:
            return 0
        idx = self.index
        d = self.scores
        if lo == 0 and hi == len(idx):
            n = len(idx)
            d.clear()
            idx.clear()
            return n
        for _s, m in idx.islice(lo, hi):
            del d[m]
        del idx[lo:hi]
        return hi - lo

    # ---- rank ----------------------------------------------------------------------------

    def rank(self, member, reverse: bool = False):
        """0-based rank (ascending, or descending if reverse) or None.  O(log N)."""
        s = self.scores.get(member)
        if s is None:
            return None
        r = self.index.index((s, member))
        return len(self.scores) - 1 - r if reverse else r

    # ---- score bounds --------------------------------------------------------------------

    def _score_slice(self, lo_score, hi_score, lo_excl=False, hi_excl=False):
        """Positions [lo, hi) of the ascending index whose scores are within the bounds."""
        idx = self.index
        n = len(idx)
        if lo_excl:
            if lo_score == inf:
                return 0, 0
            lo_score = nextafter(lo_score, inf)
        lo = 0 if lo_score == -inf else idx.bisect_left((lo_score, b""))
        if hi_excl:
            hi = 0 if hi_score == -inf else idx.bisect_left((hi_score, b""))
        elif hi_score == inf:
            hi = n
        else:
            hi = idx.bisect_left((nextafter(hi_score, inf), b""))
        return lo, hi

    def count_by_score(self, lo, hi, lo_excl=False, hi_excl=False) -> int:
        a, b = self._score_slice(lo, hi, lo_excl, hi_excl)
        return b - a if b > a else 0

    def range_by_score(self, lo, hi, lo_excl=False, hi_excl=False, reverse=False,
                       offset=0, count=-1):
        """Elements with lo <= score <= hi (bounds exclusive on request), ascending, or
        descending if reverse (the bounds stay (lo, hi): the caller swaps ZREVRANGEBYSCORE's
        max/min).  offset/count as LIMIT: offset < 0 gives nothing, count < 0 means all.
        Returns a list of (member, score)."""
        a, b = self._score_slice(lo, hi, lo_excl, hi_excl)
        return self._window(a, b, reverse, offset, count)

    def _window(self, a, b, reverse, offset, count):
        if b <= a or offset < 0:
            return []
        if reverse:
            b -= offset
        else:
            a += offset
        if count >= 0:
            if reverse:
                a = max(a, b - count)
            else:
                b = min(b, a + count)
        if b <= a:
            return []
        return [(m, s) for s, m in self.index.islice(a, b, reverse=reverse)]

    def remove_range_by_score(self, lo, hi, lo_excl=False, hi_excl=False) -> int:
        a, b = self._score_slice(lo, hi, lo_excl, hi_excl)
        return self._remove_slice(a, b)

    # ---- rank ranges ---------------------------------------------------------------------

    def range_by_rank(self, start: int, stop: int, reverse: bool = False):
        """ZRANGE start stop [REV]: inclusive, negative from the end, clamped.  Returns
        (member, score) pairs; rank 0 is the lowest score, or the highest if reverse."""
        n = len(self.index)
        r = normalize_rank_range(start, stop, n)
        if r is None:
            return []
        a, b = r
        if reverse:
            a, b = n - b, n - a
        return [(m, s) for s, m in self.index.islice(a, b, reverse=reverse)]

    def remove_range_by_rank(self, start: int, stop: int) -> int:
        r = normalize_rank_range(start, stop, len(self.index))
        return 0 if r is None else self._remove_slice(*r)

    def at(self, i: int):
        """(member, score) at ascending position i (negative ok).  O(log N)."""
        s, m = self.index[i]
        return m, s

    # ---- lex ranges ----------------------------------------------------------------------

    def _lex_pos(self, value, excl: bool) -> int:
        """First position whose member is >= value (> value if excl)."""
        idx = self.index
        n = len(idx)
        if value is LEX_MIN:
            return 0
        if value is LEX_MAX:
            return n
        if not n:
            return 0
        first = idx[0][0]
        if first == idx[-1][0]:       # all scores equal: the tuples bisect directly
            return (idx.bisect_right if excl else idx.bisect_left)((first, value))
        # mixed scores (unspecified by Redis): binary search on members alone
        lo, hi = 0, n
        if excl:
            while lo < hi:
                mid = (lo + hi) // 2
                if idx[mid][1] <= value:
                    lo = mid + 1
                else:
                    hi = mid
        else:
            while lo < hi:
                mid = (lo + hi) // 2
                if idx[mid][1] < value:
                    lo = mid + 1
                else:
                    hi = mid
        return lo

    def _lex_slice(self, lo, hi):
        """lo, hi: bound tuples from parse_lex_bound.  Returns positions [a, b)."""
        a = self._lex_pos(lo[0], lo[1])
        # end: first position beyond hi ('(' x -> first >= x, '[' x -> first > x)
        hv = hi[0]
        if hv is LEX_MIN:
            b = 0
        else:
            b = self._lex_pos(hv, not hi[1])
        return a, b

    def count_by_lex(self, lo, hi) -> int:
        a, b = self._lex_slice(lo, hi)
        return b - a if b > a else 0

    def range_by_lex(self, lo, hi, reverse=False, offset=0, count=-1):
        """ZRANGEBYLEX: members within the bound tuples (see parse_lex_bound).  Ordering,
        offset and count as range_by_score.  Returns (member, score) pairs."""
        a, b = self._lex_slice(lo, hi)
        return self._window(a, b, reverse, offset, count)

    def remove_range_by_lex(self, lo, hi) -> int:
        a, b = self._lex_slice(lo, hi)
        return self._remove_slice(a, b)

    # ---- pop / random --------------------------------------------------------------------

    def pop_one(self, maximum: bool = False):
        """Remove and return the lowest (highest if maximum) (member, score); the set must
        not be empty.  O(log N), without the positional index a range needs."""
        idx = self.index
        if maximum:
            s, m = idx.pop_last()
        else:
            sub = idx._lists[0]             # _Index.pop_first's common case, inlined
            if idx._index or len(sub) <= (idx._load >> 1) + 1:
                s, m = idx.pop_first()
            else:
                s, m = sub[0]
                del sub[0]
                idx._len -= 1
        del self.scores[m]
        return m, s

    def pop_min(self, count: int = 1):
        """Remove and return up to count (member, score) pairs, lowest first."""
        if count == 1 and self.scores:
            return [self.pop_one(False)]
        n = min(count, len(self.index))
        if n <= 0:
            return []
        out = [(m, s) for s, m in self.index.islice(0, n)]
        self._remove_slice(0, n)
        return out

    def pop_max(self, count: int = 1):
        """Remove and return up to count (member, score) pairs, highest first."""
        if count == 1 and self.scores:
            return [self.pop_one(True)]
        total = len(self.index)
        n = min(count, total)
        if n <= 0:
            return []
        out = [(m, s) for s, m in self.index.islice(total - n, total, reverse=True)]
        self._remove_slice(total - n, total)
        return out

    def random_member(self, rng=_random):
        """One random (member, score) or None if empty.  O(log N)."""
        n = len(self.index)
        if not n:
            return None
        s, m = self.index[rng.randrange(n)]
        return m, s

    def random_members(self, count: int, rng=_random):
        """ZRANDMEMBER count: count >= 0 -> up to count distinct elements in random order;
        count < 0 -> exactly -count elements, repeats allowed.  O(k log N)."""
        idx = self.index
        n = len(idx)
        if not n or count == 0:
            return []
        if count < 0:
            rr = rng.randrange
            out = []
            for _ in range(-count):
                s, m = idx[rr(n)]
                out.append((m, s))
            return out
        if count >= n:
            out = [(m, s) for s, m in idx]
            rng.shuffle(out)
            return out
        out = []
        for i in rng.sample(range(n), count):
            s, m = idx[i]
            out.append((m, s))
        return out

    # ---- misc ----------------------------------------------------------------------------

    def members(self):
        """Members in ascending order (no scores)."""
        return [m for _s, m in self.index]
