"""SORT and SORT_RO over lists, sets and sorted sets.

SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC]
     [ALPHA] [STORE destination]

Semantics follow Redis' sort.c:
- a BY pattern without '*' (conventionally "nosort") skips sorting; a sorted set then keeps
  its own order (reversed by DESC, LIMIT applied to that order), a list keeps list order;
  a set with no sort is sorted ALPHA when the result is stored, so replicas agree;
- numeric sorting reads each weight as a double (missing weights count as 0) and breaks ties
  by comparing the elements' bytes; a weight that is not a number fails the whole command;
- patterns replace the first '*' with the element; "key->field" reads a hash field; "#" is
  the element itself; a pattern whose key is missing or of the wrong type gives a null;
- STORE writes a list (or deletes the destination when the result is empty);
- sorting a sorted set converts it to the skiplist encoding (Redis does the same).

Values of other types are used through their public faces only: iteration for lists and
sets, ``get(field)`` for hashes, ``QuickList(values, cfg)`` to build the stored list.
"""

import functools

from .. import errors
from ..datatypes.zsettype import ZSetValue
from ..keyspace import notify as N
from ..protocol.replies import ReplyError
from .args import parse_int
from .registry import command

SCORE_ERR = "ERR One or more scores can't be converted into double"
_WS = b" \t\n\v\f\r"


def _strtod(b):
    """C strtod over the whole string (leading blanks allowed); None if invalid or NaN."""
    if not b:
        return 0.0
    s = bytes(b).lstrip(_WS)
    if not s or s[-1] in _WS or b"_" in s:
        return None
    try:
        v = float(s)
    except ValueError:
        if b"0x" not in s[:3].lower():
            return None
        try:
            v = float.fromhex(s.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            return None
    if v != v or (v in (float("inf"), float("-inf")) and b"inf" not in s.lower()):
        return None
    return v


def _members(v):
    """Elements of a list, set or zset value, in the value's own order."""
    if type(v) is ZSetValue:
        return v.members()
    f = getattr(v, "members", None)
    if callable(f):
        return list(f())
    return list(v)


def _hash_get(h, field):
    get = getattr(h, "get", None)
    if get is not None:
        try:
            return get(field)
        except TypeError:
            pass
    try:
        return h[field]
    except (KeyError, TypeError, IndexError):
        return None


def lookup_by_pattern(db, pattern, subst):
    """The value a BY/GET pattern designates for element ``subst`` (None if missing)."""
    if pattern == b"#":
        return subst
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        post = pattern[star + 1:arrow]
    else:
        post = pattern[star + 1:]
    key = pattern[:star] + subst + post
    v = db.lookup(key)
    if v is None:
        return None
    if field is None:
        t = type(v)
        if t is bytes:
            return v
        if t is bytearray:
            return bytes(v)
        return None
    if getattr(v, "type_name", None) != "hash":
        return None
    r = _hash_get(v, field)
    return bytes(r) if isinstance(r, bytearray) else r


def _sort_generic(c, argv, readonly):
    key = argv[1]
    db = c.db
    desc = alpha = False
    limit_start, limit_count = 0, -1
    dontsort = False
    sortby = None
    getops = []
    storekey = None
    j = 2
    n = len(argv)
    while j < n:
        left = n - j - 1
        o = argv[j].upper()
        if o == b"ASC":
            desc = False
        elif o == b"DESC":
            desc = True
        elif o == b"ALPHA":
            alpha = True
        elif o == b"LIMIT" and left >= 2:
            limit_start = parse_int(argv[j + 1])
            limit_count = parse_int(argv[j + 2])
            j += 2
        elif o == b"STORE" and left >= 1 and not readonly:
            storekey = argv[j + 1]
            j += 1
        elif o == b"BY" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in sortby:
                dontsort = True
            elif c.restricted and not c.server.subsystems["acl_reads_any_key"](c, argv):
                raise ReplyError("ERR BY option of SORT denied due to insufficient ACL permissions.")
            j += 1
        elif o == b"GET" and left >= 1:
            if c.restricted and not c.server.subsystems["acl_reads_any_key"](c, argv):
                raise ReplyError("ERR GET option of SORT denied due to insufficient ACL permissions.")
            getops.append(argv[j + 1])
            j += 1
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1

    v = db.lookup(key)
    if v is not None and getattr(v, "type_name", None) not in ("list", "set", "zset"):
        raise ReplyError(errors.WRONGTYPE)
    is_zset = type(v) is ZSetValue
    if v is not None and getattr(v, "type_name", None) == "set" and dontsort and storekey is not None:
        dontsort = False
        alpha = True
        sortby = None
    if is_zset:
        v.lp = None     # Redis converts a sorted set to skiplist for SORT

    if v is None:
        elems = []
    else:
        elems = _members(v)
    vlen = len(elems)
    start = 0 if limit_start < 0 else limit_start
    end = vlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vlen:
        start = vlen - 1
        end = vlen - 2
    if end >= vlen:
        end = vlen - 1

    if is_zset and dontsort:
        if desc:
            elems = elems[::-1]
        out = elems[start:end + 1] if end >= start else []
    else:
        if not dontsort:
            elems = _sorted(db, elems, sortby, alpha, desc)
        out = elems[start:end + 1] if end >= start else []

    if storekey is None:
        if not getops:
            return out
        reply = []
        for e in out:
            for g in getops:
                reply.append(lookup_by_pattern(db, g, e))
        return reply

    values = []
    for e in out:
        if getops:
            for g in getops:
                val = lookup_by_pattern(db, g, e)
                values.append(b"" if val is None else val)
        else:
            values.append(e)
    server = c.server
    if values:
        from ..datatypes.quicklist import QuickList
        db.set(storekey, QuickList(values, server.config))
        _signal_ready(c, storekey)
        server.notify(N.LIST, b"sortstore", storekey, db)
        server.dirty += len(values)
    elif db.delete(storekey):
        server.notify(N.GENERIC, b"del", storekey, db)
        server.dirty += 1
    return len(values)


def _signal_ready(c, key):
    try:
        from ..keyspace import blocking
    except ImportError:
        return
    fn = getattr(blocking, "signal_key_ready", None)
    if fn is not None:
        fn(c.db, key)


def _sorted(db, elems, sortby, alpha, desc):
    keyed = []
    if alpha:
        for e in elems:
            w = lookup_by_pattern(db, sortby, e) if sortby is not None else e
            keyed.append((e, w))
        if sortby is not None:
            def cmp(a, b):
                x, y = a[1], b[1]
                if x is None or y is None:
                    r = 0 if x is y else (-1 if x is None else 1)
                else:
                    r = (x > y) - (x < y)
                return -r if desc else r
        else:
            def cmp(a, b):
                r = (a[0] > b[0]) - (a[0] < b[0])
                return -r if desc else r
    else:
        for e in elems:
            w = lookup_by_pattern(db, sortby, e) if sortby is not None else e
            if w is None:
                score = 0.0
            else:
                score = _strtod(w)
                if score is None:
                    raise ReplyError(SCORE_ERR)
            keyed.append((e, score))

        def cmp(a, b):
            if a[1] > b[1]:
                r = 1
            elif a[1] < b[1]:
                r = -1
            else:
                r = (a[0] > b[0]) - (a[0] < b[0])
            return -r if desc else r
    keyed.sort(key=functools.cmp_to_key(cmp))
    return [e for e, _ in keyed]


@command("sort")
def sort(c, argv):
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
    [STORE destination]"""
    return _sort_generic(c, argv, False)


@command("sort_ro")
def sort_ro(c, argv):
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]"""
    return _sort_generic(c, argv, True)
