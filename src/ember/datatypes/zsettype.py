"""The sorted-set value stored in the keyspace, and the few operations the commands need on
top of the pure structure.

``datatypes.zset.ZSet`` already is a complete keyspace value (``type_name = "zset"``,
``encoding()``, ``copy()``, the listpack -> skiplist one-way conversion driven by the live
config), so the value class *is* ZSet: ``ZSetValue`` is an alias, which keeps every producer
(RESTORE, RDB loading, COPY) and every consumer agreeing on one class for WRONGTYPE checks.

What this module adds:
- ``lex_span``: the lex range with Redis' exact scan semantics (first member >= min in index
  order, then members while <= max), which only differs from bisection when scores are
  mixed (a case Redis leaves unspecified but answers deterministically for listpacks);
- ``window``: the LIMIT offset/count window over index positions;
- ``new_result``/``fit``: building the result of a *STORE command and choosing its encoding.

Invariant: a leaf module, no protocol or keyspace imports.
"""

from .zset import ZSet, ADDED, UPDATED, NOP, NAN  # noqa: F401 (re-exported)

ZSetValue = ZSet

_SMALL = 256   # up to this size lex ranges are found by a linear scan (Redis' listpack walk)


def new_result(pairs=()):
    """An empty (or pre-filled) skiplist zset for the result of a *STORE command."""
    z = ZSet()
    for m, s in pairs:
        z.add(m, s)
    return z


def fit(z, config):
    """zsetConvertToListpackIfNeeded: pick listpack for a finished small result."""
    z.maybe_shrink(config)
    return z


def _gte_min(m, lo, lo_ex):
    return lo is None or (m > lo if lo_ex else m >= lo)


def _lte_max(m, hi, hi_ex):
    return hi is None or (m < hi if hi_ex else m <= hi)


def lex_span(z, lo, lo_ex, hi, hi_ex, lo_kind=0, hi_kind=0):
    """Positions [i, j) of the index in the lex range.  ``lo``/``hi`` are member bytes with
    exclusivity flags; ``lo_kind``/``hi_kind`` are 0 for a value bound, -1 for "-" and +1
    for "+" ("+" as a minimum or "-" as a maximum give an empty range)."""
    if lo_kind == 1 or hi_kind == -1:
        return 0, 0
    lo_v = None if lo_kind == -1 else lo
    hi_v = None if hi_kind == 1 else hi
    if lo_v is not None and hi_v is not None:
        if lo_v > hi_v or (lo_v == hi_v and (lo_ex or hi_ex)):
            return 0, 0
    idx = z.index
    n = len(idx)
    if n == 0:
        return 0, 0
    if n <= _SMALL:
        members = [m for _, m in idx]
        i = 0
        while i < n and not _gte_min(members[i], lo_v, lo_ex):
            i += 1
        j = i
        while j < n and _lte_max(members[j], hi_v, hi_ex):
            j += 1
        return i, j
    # binary searches, assuming members ascend along the index (equal scores)
    a, b = 0, n
    while a < b:
        mid = (a + b) // 2
        if _gte_min(idx[mid][1], lo_v, lo_ex):
            b = mid
        else:
            a = mid + 1
    i = a
    a, b = i, n
    while a < b:
        mid = (a + b) // 2
        if _lte_max(idx[mid][1], hi_v, hi_ex):
            a = mid + 1
        else:
            b = mid
    return i, a


def window(z, i, j, reverse=False, offset=0, limit=-1):
    """(member, score) pairs of positions [i, j) after LIMIT offset/count, in the asked
    direction.  A negative offset gives nothing, a negative count means all (Redis)."""
    if offset < 0 or i >= j:
        return []
    if reverse:
        hi = j - offset
        lo = i if limit < 0 else max(i, hi - limit)
    else:
        lo = i + offset
        hi = j if limit < 0 else min(j, lo + limit)
    if hi <= lo:
        return []
    return [(m, s) for s, m in z.index.islice(lo, hi, reverse=reverse)]


def delete_span(z, i, j):
    """Remove positions [i, j); returns how many."""
    if i >= j:
        return 0
    return z._remove_slice(i, j)
