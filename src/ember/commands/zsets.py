"""Sorted-set commands (Redis group "sorted-set").

Values are ``datatypes.zsettype.ZSetValue``.  Every handler parses all of its arguments
before touching the keyspace.  A zset that becomes empty is deleted (with a "del"
notification), as Redis does.

Replies with scores: RESP2 flattens (member, score) pairs into one array (scores as bulk
strings); RESP3 answers an array of [member, double] pairs.  ZPOPMIN/ZPOPMAX without a count
and BZPOPMIN/BZPOPMAX answer one flat triple/pair in both protocols; ZMPOP/BZMPOP always nest.
"""

import math

from .. import errors, glob
from ..datatypes import zsettype as ZT
from ..datatypes.zset import normalize_rank_range
from ..datatypes.zsettype import ZSetValue
from ..keyspace import notify as N
from ..keyspace.blocking import block, parse_timeout, signal_key_ready
from ..protocol.encoder import index_pairs_resp2, popped_resp2
from ..protocol.replies import NULL_ARRAY, Raw, ReplyError
from .args import ArgReader, parse_float, parse_int
from .generic import parse_scan_cursor, parse_scan_options
from .registry import command

_LONG_MAX = (1 << 63) - 1
_LONG_MIN = -(1 << 63)

NAN_SCORE = "ERR resulting score is not a number (NaN)"
MINMAX_NOT_FLOAT = "ERR min or max is not a float"
MINMAX_NOT_LEX = "ERR min or max not valid string range item"
_WS = b" \t\n\v\f\r"


# ---- parsing helpers ----------------------------------------------------------------------
def parse_score(b, err=errors.NOT_FLOAT) -> float:
    """A score argument, as Redis' getDoubleFromObject reads it (strict; overflow to
    infinity or underflow to zero is an error)."""
    v = parse_float(b, err)
    if v in (math.inf, -math.inf):
        if b"inf" not in b.lower():
            raise ReplyError(err)
    elif v == 0.0:
        digits = b.lower().split(b"e")[0]
        if any(ch in b"123456789" for ch in digits):
            raise ReplyError(err)
    return v


def _strtod(b):
    """C strtod() over the whole string, as zslParseRange uses it: leading whitespace is
    allowed, an empty string reads as 0, NaN is rejected.  None when invalid."""
    if not b:
        return 0.0
    s = b.lstrip(_WS)
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
    if v != v:
        return None
    return v


def parse_score_range(bmin, bmax):
    """(min, min_exclusive, max, max_exclusive) of a ZRANGEBYSCORE-style range."""
    out = []
    for b in (bmin, bmax):
        ex = b[:1] == b"("
        v = _strtod(b[1:] if ex else b)
        if v is None:
            raise ReplyError(MINMAX_NOT_FLOAT)
        out.append(v)
        out.append(ex)
    return out[0], out[1], out[2], out[3]


def _lex_item(b):
    if b == b"-":
        return None, False, -1
    if b == b"+":
        return None, False, 1
    if b[:1] == b"(":
        return b[1:], True, 0
    if b[:1] == b"[":
        return b[1:], False, 0
    raise ReplyError(MINMAX_NOT_LEX)


def parse_lex_range(bmin, bmax):
    """(lo, lo_ex, hi, hi_ex, lo_kind, hi_kind) for ZSetValue.lex_span."""
    lo, lo_ex, lo_kind = _lex_item(bmin)
    hi, hi_ex, hi_kind = _lex_item(bmax)
    return lo, lo_ex, hi, hi_ex, lo_kind, hi_kind


# ---- keyspace helpers -----------------------------------------------------------------------
def _get(c, key):
    return c.db.get_typed(key, ZSetValue)


def _touched(c, key, zv, event, n):
    """Bookkeeping after removing ``n`` members from ``zv`` at ``key``."""
    if not n:
        return
    server = c.server
    db = c.db
    server.notify(N.ZSET, event, key, db)
    if len(zv) == 0:
        db.delete(key)
        server.notify(N.GENERIC, b"del", key, db)
    else:
        db.modified(key)
    server.dirty += n


def store_zset(c, dst, zv, event):
    """Store a freshly built zset at ``dst`` (or delete ``dst`` when it is empty)."""
    server = c.server
    db = c.db
    if len(zv):
        ZT.fit(zv, server.config)
        db.set(dst, zv)
        signal_key_ready(db, dst)
        server.notify(N.ZSET, event, dst, db)
        server.dirty += 1
        return len(zv)
    if db.delete(dst):
        server.notify(N.GENERIC, b"del", dst, db)
        server.dirty += 1
    return 0


def pairs_reply(c, pairs, withscores=True):
    if not withscores:
        return [m for m, _ in pairs]
    if c.resp3:
        return [[m, s] for m, s in pairs]
    out = []
    for m, s in pairs:
        out.append(m)
        out.append(s)
    return out


def _nested_pairs(pairs):
    return [[m, s] for m, s in pairs]


# ---- ZADD / ZINCRBY ---------------------------------------------------------------------------
def _zadd_generic(c, argv, start, incr):
    nx = xx = gt = lt = ch = False
    i = start
    n = len(argv)
    while i < n:
        o = argv[i].upper()
        if o == b"NX":
            nx = True
        elif o == b"XX":
            xx = True
        elif o == b"GT":
            gt = True
        elif o == b"LT":
            lt = True
        elif o == b"CH":
            ch = True
        elif o == b"INCR":
            incr = True
        else:
            break
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise ReplyError(errors.SYNTAX)
    elements //= 2
    if nx and xx:
        raise ReplyError("ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise ReplyError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 1:
        raise ReplyError("ERR INCR option supports a single increment-element pair")
    scores = [parse_score(argv[i + 2 * k]) for k in range(elements)]
    members = [argv[i + 2 * k + 1] for k in range(elements)]

    key = argv[1]
    db = c.db
    server = c.server
    zv = _get(c, key)
    added = updated = processed = 0
    score = None
    created = False
    if zv is None:
        if xx:
            return None if incr else 0
        zv = ZSetValue.create(server.config, elements, max(len(m) for m in members))
        created = True
    else:
        zv.reserve(elements)
    try:
        for sc, m in zip(scores, members):
            outcome, new = zv.zadd(m, sc, nx, xx, gt, lt, incr)
            if outcome == ZT.NAN:
                raise ReplyError(NAN_SCORE)
            if outcome == ZT.ADDED:
                added += 1
            elif outcome == ZT.UPDATED:
                updated += 1
            if new is not None:
                processed += 1
                score = new
    finally:
        if created and len(zv):
            db.add(key, zv)
            signal_key_ready(db, key)
        if added or updated:
            if not created:
                db.modified(key)
            server.notify(N.ZSET, b"zincr" if incr else b"zadd", key, db)
            server.dirty += added + updated
    if incr:
        return score if processed else None
    return added + updated if ch else added


@command("zadd")
def zadd(c, argv):
    """ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"""
    if len(argv) == 4:
        sb = argv[2]
        if sb.isdigit() and len(sb) <= 17:
            # The common form, ZADD key score member into an existing zset, with a plain
            # decimal score (exactly representable, never a flag): no option parsing.
            key = argv[1]
            db = c.db
            zv = db.lookup(key)
            if type(zv) is ZSetValue:
                if zv.lp is not None:
                    zv.reserve(1)
                outcome = zv.add(argv[3], float(sb))
                if outcome:         # ADDED or UPDATED (a digit score is never NaN)
                    server = c.server
                    if server.key_hooks:
                        db.modified(key)
                    if server.notifier is not None:
                        server.notify(N.ZSET, b"zadd", key, db)
                    server.dirty += 1
                    return 1 if outcome == ZT.ADDED else 0
                return 0
    return _zadd_generic(c, argv, 2, False)


@command("zincrby")
def zincrby(c, argv):
    """ZINCRBY key increment member"""
    return _zadd_generic(c, [argv[0], argv[1], argv[2], argv[3]], 2, True)


# ---- simple reads -------------------------------------------------------------------------------
@command("zcard")
def zcard(c, argv):
    """ZCARD key"""
    zv = _get(c, argv[1])
    return 0 if zv is None else len(zv)


@command("zscore")
def zscore(c, argv):
    """ZSCORE key member"""
    zv = _get(c, argv[1])
    return None if zv is None else zv.scores.get(argv[2])


@command("zmscore")
def zmscore(c, argv):
    """ZMSCORE key member [member ...]"""
    zv = _get(c, argv[1])
    if zv is None:
        return [None] * (len(argv) - 2)
    d = zv.scores
    return [d.get(m) for m in argv[2:]]


def _zrank(c, argv, reverse):
    if len(argv) > 4:
        raise ReplyError(errors.wrong_arity(argv[0].decode("utf-8", "replace")))
    withscore = False
    if len(argv) == 4:
        if argv[3].upper() != b"WITHSCORE":
            raise ReplyError(errors.SYNTAX)
        withscore = True
    zv = _get(c, argv[1])
    missing = NULL_ARRAY if withscore else None
    if zv is None:
        return missing
    r = zv.rank(argv[2], reverse)
    if r is None:
        return missing
    return [r, zv.scores[argv[2]]] if withscore else r


@command("zrank")
def zrank(c, argv):
    """ZRANK key member [WITHSCORE]"""
    return _zrank(c, argv, False)


@command("zrevrank")
def zrevrank(c, argv):
    """ZREVRANK key member [WITHSCORE]"""
    return _zrank(c, argv, True)


@command("zcount")
def zcount(c, argv):
    """ZCOUNT key min max"""
    rng = parse_score_range(argv[2], argv[3])
    zv = _get(c, argv[1])
    lo, lo_ex, hi, hi_ex = rng
    return 0 if zv is None else zv.count_by_score(lo, hi, lo_ex, hi_ex)


@command("zlexcount")
def zlexcount(c, argv):
    """ZLEXCOUNT key min max"""
    rng = parse_lex_range(argv[2], argv[3])
    zv = _get(c, argv[1])
    if zv is None:
        return 0
    i, j = ZT.lex_span(zv, *rng)
    return j - i


# ---- ZRANGE family ---------------------------------------------------------------------------
RANK, SCORE, LEX = 0, 1, 2


def _zrange_generic(c, argv, start, store, rangetype=None, reverse=None):
    """Shared by ZRANGE, ZRANGESTORE and the legacy ZRANGEBY*/ZREV* commands.  ``start`` is
    the index of the source key; ``rangetype``/``reverse`` are fixed for legacy commands."""
    key = argv[start]
    minidx, maxidx = start + 1, start + 2
    withscores = False
    offset, limit = 0, -1
    has_limit = False
    fixed_dir = reverse is not None
    fixed_type = rangetype is not None
    j = start + 3
    n = len(argv)
    while j < n:
        left = n - j - 1
        o = argv[j].upper()
        if not store and o == b"WITHSCORES":
            withscores = True
        elif o == b"LIMIT" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            has_limit = True
            j += 2
        elif not fixed_dir and reverse is None and o == b"REV":
            reverse = True
        elif not fixed_type and rangetype is None and o == b"BYLEX":
            rangetype = LEX
        elif not fixed_type and rangetype is None and o == b"BYSCORE":
            rangetype = SCORE
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    reverse = bool(reverse)
    if rangetype is None:
        rangetype = RANK
    if has_limit and rangetype == RANK:
        raise ReplyError("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    if withscores and rangetype == LEX:
        raise ReplyError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    if reverse and rangetype != RANK:
        minidx, maxidx = maxidx, minidx
    if rangetype == RANK:
        rstart = parse_int(argv[minidx])
        rend = parse_int(argv[maxidx])
    elif rangetype == SCORE:
        srange = parse_score_range(argv[minidx], argv[maxidx])
    else:
        lrange = parse_lex_range(argv[minidx], argv[maxidx])

    zv = _get(c, key)
    if zv is None:
        pairs = []
    elif rangetype == RANK:
        pairs = zv.range_by_rank(rstart, rend, reverse)
    elif rangetype == SCORE:
        lo, lo_ex, hi, hi_ex = srange
        pairs = zv.range_by_score(lo, hi, lo_ex, hi_ex, reverse, offset, limit)
    else:
        pairs = ZT.window(zv, *ZT.lex_span(zv, *lrange), reverse, offset, limit)

    if store is not None:
        return store_zset(c, store, ZT.new_result(pairs), b"zrangestore")
    return pairs_reply(c, pairs, withscores)


def _rank_reply(c, zv, start, stop, reverse, withscores):
    """ZRANGE by rank straight into the reply shape (no intermediate pair list);
    _Index.span inlined."""
    idx = zv.index
    n = idx._len
    r = normalize_rank_range(start, stop, n)
    if r is None:
        return []
    start, stop = r[0], r[1] - 1
    if reverse:
        start, stop = n - 1 - stop, n - 1 - start
    need = stop - start + 1
    lists = idx._lists
    first = lists[0]
    if start < len(first):
        pos = 0
        it = first[start:start + need]
    else:
        # SortedList._pos without its frame and checks: down the positional tree (built
        # lazily, in place) to the sublist holding ``start``
        tree = idx._index
        if not tree:
            idx._build_index()
        i = start
        node = 0
        child = 1
        size = len(tree)
        while child < size:
            left = tree[child]
            if i < left:
                node = child
            else:
                i -= left
                node = child + 1
            child = (node << 1) + 1
        pos = node - idx._offset
        it = lists[pos][i:i + need]
    while len(it) < need:
        pos += 1
        it += lists[pos][:need - len(it)]
    if reverse:
        it.reverse()
    if not withscores:
        return [m for _s, m in it]
    if c.resp3:
        return [[m, s] for s, m in it]
    if c.transport is not None:
        # a RESP2 network client: the reply bytes straight from the index items (scripts
        # and the embedded client get the values)
        return Raw(index_pairs_resp2(it))
    out = []
    add = out.append
    for s, m in it:
        add(m)
        add(s)
    return out


@command("zrange")
def zrange(c, argv):
    """ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    n = len(argv)
    if n == 4 or (n == 5 and argv[4].upper() == b"WITHSCORES"):
        # by rank, the common form: nothing else to parse; plain non-negative indexes are
        # read here (parse_int's first test, inlined)
        a = argv[2]
        b = argv[3]
        if a.isdigit() and len(a) < 19 and (a[0] != 48 or len(a) == 1):
            start = int(a)
        else:
            start = parse_int(a)
        if b.isdigit() and len(b) < 19 and (b[0] != 48 or len(b) == 1):
            stop = int(b)
        else:
            stop = parse_int(b)
        zv = c.db.lookup(argv[1])
        if zv is None:
            return []
        if type(zv) is not ZSetValue:
            raise ReplyError(errors.WRONGTYPE)
        return _rank_reply(c, zv, start, stop, False, n == 5)
    return _zrange_generic(c, argv, 1, None)


@command("zrangestore")
def zrangestore(c, argv):
    """ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 2, argv[1])


@command("zrevrange")
def zrevrange(c, argv):
    """ZREVRANGE key start stop [WITHSCORES]"""
    return _zrange_generic(c, argv, 1, None, RANK, True)


@command("zrangebyscore")
def zrangebyscore(c, argv):
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, None, SCORE, False)


@command("zrevrangebyscore")
def zrevrangebyscore(c, argv):
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, None, SCORE, True)


@command("zrangebylex")
def zrangebylex(c, argv):
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, None, LEX, False)


@command("zrevrangebylex")
def zrevrangebylex(c, argv):
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    return _zrange_generic(c, argv, 1, None, LEX, True)


# ---- removals ----------------------------------------------------------------------------------
@command("zrem")
def zrem(c, argv):
    """ZREM key member [member ...]"""
    key = argv[1]
    zv = _get(c, key)
    if zv is None:
        return 0
    n = 0
    for m in argv[2:]:
        if zv.remove(m):
            n += 1
            if not len(zv):
                break
    _touched(c, key, zv, b"zrem", n)
    return n


@command("zremrangebyrank")
def zremrangebyrank(c, argv):
    """ZREMRANGEBYRANK key start stop"""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    key = argv[1]
    zv = _get(c, key)
    if zv is None:
        return 0
    n = zv.remove_range_by_rank(start, end)
    _touched(c, key, zv, b"zremrangebyrank", n)
    return n


@command("zremrangebyscore")
def zremrangebyscore(c, argv):
    """ZREMRANGEBYSCORE key min max"""
    rng = parse_score_range(argv[2], argv[3])
    key = argv[1]
    zv = _get(c, key)
    if zv is None:
        return 0
    lo, lo_ex, hi, hi_ex = rng
    n = zv.remove_range_by_score(lo, hi, lo_ex, hi_ex)
    _touched(c, key, zv, b"zremrangebyscore", n)
    return n


@command("zremrangebylex")
def zremrangebylex(c, argv):
    """ZREMRANGEBYLEX key min max"""
    rng = parse_lex_range(argv[2], argv[3])
    key = argv[1]
    zv = _get(c, key)
    if zv is None:
        return 0
    n = ZT.delete_span(zv, *ZT.lex_span(zv, *rng))
    _touched(c, key, zv, b"zremrangebylex", n)
    return n


# ---- pops ----------------------------------------------------------------------------------------
def pop_from(c, key, zv, count, maximum):
    """Pop ``count`` elements of ``zv`` stored at ``key`` with the bookkeeping."""
    pairs = zv.pop_max(count) if maximum else zv.pop_min(count)
    _touched(c, key, zv, b"zpopmax" if maximum else b"zpopmin", len(pairs))
    return pairs


def _pop_one(c, db, key, zv, maximum):
    """Pop one element of the (non-empty) ``zv`` stored at ``key``, with the bookkeeping of
    ``_touched`` inlined (the hot path of ZPOPMIN/BZPOPMIN)."""
    m, s = zv.pop_one(maximum)
    server = c.server
    if server.notifier is not None:
        server.notify(N.ZSET, b"zpopmax" if maximum else b"zpopmin", key, db)
    if not zv.scores:
        db.delete(key)
        server.notify(N.GENERIC, b"del", key, db)
    elif server.key_hooks:
        db.modified(key)
    server.dirty += 1
    return m, s


def _zpop_one(c, key, maximum):
    """ZPOPMIN/ZPOPMAX key (no count)."""
    db = c.db
    zv = db.lookup(key)
    if zv is None:
        return []
    if type(zv) is not ZSetValue:
        raise ReplyError(errors.WRONGTYPE)
    m, s = _pop_one(c, db, key, zv, maximum)     # a stored zset is never empty
    if c.transport is not None and not c.resp3:
        return Raw(popped_resp2(m, s))
    return [m, s]


def _zpop(c, argv, maximum):
    if len(argv) == 2:
        return _zpop_one(c, argv[1], maximum)
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    count = None
    if len(argv) == 3:
        count = parse_int(argv[2], "ERR value is out of range, must be positive")
        if count < 0:
            raise ReplyError("ERR value is out of range, must be positive")
    key = argv[1]
    zv = _get(c, key)
    if zv is None or count == 0:
        return []
    pairs = pop_from(c, key, zv, 1 if count is None else count, maximum)
    if count is None:
        return [pairs[0][0], pairs[0][1]]
    return pairs_reply(c, pairs)


@command("zpopmin")
def zpopmin(c, argv):
    """ZPOPMIN key [count]"""
    if len(argv) == 2:
        return _zpop_one(c, argv[1], False)
    return _zpop(c, argv, False)


@command("zpopmax")
def zpopmax(c, argv):
    """ZPOPMAX key [count]"""
    if len(argv) == 2:
        return _zpop_one(c, argv[1], True)
    return _zpop(c, argv, True)


def _parse_mpop(argv, idx):
    """numkeys key... MIN|MAX [COUNT n] starting at argv[idx]; returns (keys, maximum, count)."""
    msg = "ERR numkeys should be greater than 0"
    numkeys = parse_int(argv[idx], msg)
    if numkeys < 1:
        raise ReplyError(msg)
    if numkeys > len(argv) - idx - 2:
        raise ReplyError(errors.SYNTAX)
    keys = argv[idx + 1: idx + 1 + numkeys]
    r = ArgReader(argv, idx + 1 + numkeys)
    where = r.next_upper()
    if where not in (b"MIN", b"MAX"):
        raise ReplyError(errors.SYNTAX)
    count = -1
    while r.has_more():
        o = r.next_upper()
        if o == b"COUNT" and count == -1 and r.has_more():
            cmsg = "ERR count should be greater than 0"
            count = parse_int(r.next(), cmsg)
            if count < 1:
                raise ReplyError(cmsg)
        else:
            raise ReplyError(errors.SYNTAX)
    return keys, where == b"MAX", count


def mpop_first(c, keys, maximum, count):
    """Pop from the first non-empty zset of ``keys``; None if all are empty."""
    for key in keys:
        zv = _get(c, key)
        if zv is not None and len(zv):
            pairs = pop_from(c, key, zv, 1 if count < 0 else count, maximum)
            c.server.propagate_as([b"ZPOPMAX" if maximum else b"ZPOPMIN", key,
                                   b"%d" % len(pairs)])
            return [key, _nested_pairs(pairs)]
    return None


@command("zmpop")
def zmpop(c, argv):
    """ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]"""
    keys, maximum, count = _parse_mpop(argv, 1)
    r = mpop_first(c, keys, maximum, count)
    return NULL_ARRAY if r is None else r


def _block(c, keys, timeout, retry):
    # a key of another type made ready (e.g. by LPUSH) does not wake a zset pop, as in Redis
    return block(c, keys, timeout, retry, NULL_ARRAY, "zset")


def _bzpop_first(c, keys, maximum):
    """BZPOPMIN/BZPOPMAX: [key, member, score] from the first non-empty zset, or None."""
    db = c.db
    for key in keys:
        zv = db.lookup(key)
        if zv is not None:
            if type(zv) is not ZSetValue:
                raise ReplyError(errors.WRONGTYPE)
            if zv.scores:
                m, s = _pop_one(c, db, key, zv, maximum)
                if c.server.propagating:
                    c.server.propagate_as([b"ZPOPMAX" if maximum else b"ZPOPMIN", key])
                if c.transport is not None and not c.resp3:
                    return Raw(popped_resp2(m, s, key))
                return [key, m, s]
    return None


def _bzpop_one(c, argv, maximum):
    """BZPOPMIN/BZPOPMAX key timeout, a timeout in whole seconds, on a stored zset: the pop
    of _bzpop_first; None for anything else (-> _bzpop)."""
    t = argv[2]
    if not (t.isdigit() and len(t) < 10):       # parse_timeout's first case: valid
        return None
    key = argv[1]
    db = c.db
    zv = db.lookup(key)
    if type(zv) is not ZSetValue:
        return None
    m, s = _pop_one(c, db, key, zv, maximum)     # a stored zset is never empty
    server = c.server
    if server.propagating:
        server.propagate_as([b"ZPOPMAX" if maximum else b"ZPOPMIN", key])
    if c.transport is not None and not c.resp3:
        return Raw(popped_resp2(m, s, key))
    return [key, m, s]


def _bzpop(c, argv, maximum):
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    r = _bzpop_first(c, keys, maximum)
    if r is not None:
        return r
    if c.multi is not None or c.in_exec or c.server.in_script:
        return NULL_ARRAY
    return _block(c, keys, timeout, lambda cl: _bzpop_first(cl, keys, maximum))


@command("bzpopmin")
def bzpopmin(c, argv):
    """BZPOPMIN key [key ...] timeout"""
    if len(argv) == 3:
        r = _bzpop_one(c, argv, False)
        if r is not None:
            return r
    return _bzpop(c, argv, False)


@command("bzpopmax")
def bzpopmax(c, argv):
    """BZPOPMAX key [key ...] timeout"""
    if len(argv) == 3:
        r = _bzpop_one(c, argv, True)
        if r is not None:
            return r
    return _bzpop(c, argv, True)


@command("bzmpop")
def bzmpop(c, argv):
    """BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]"""
    timeout = parse_timeout(argv[1])
    keys, maximum, count = _parse_mpop(argv, 2)

    def attempt(c=c):
        return mpop_first(c, keys, maximum, count)

    r = attempt()
    if r is not None:
        return r
    if c.multi is not None or c.in_exec or c.server.in_script:
        return NULL_ARRAY
    return _block(c, keys, timeout, attempt)


# ---- ZUNION / ZINTER / ZDIFF ---------------------------------------------------------------
UNION, INTER, DIFF = 0, 1, 2
_OP_NAMES = {UNION: b"zunionstore", INTER: b"zinterstore", DIFF: b"zdiffstore"}


def _source_pairs(v):
    """(member -> score) view of a zset or a set input (set members score 1)."""
    if v is None:
        return {}
    if type(v) is ZSetValue:
        return v.scores
    return dict.fromkeys(_set_members(v), 1.0)


def _set_members(v):
    for name in ("members", "__iter__"):
        f = getattr(v, name, None)
        if f is not None:
            return list(f())
    return []


def _combine(c, argv, numidx, op, dst=None, card_only=False):
    numkeys = parse_int(argv[numidx])
    if numkeys < 1:
        cmdname = argv[0].decode("utf-8", "replace").lower()
        raise ReplyError("ERR at least 1 input key is needed for '%s' command" % cmdname)
    if numkeys > len(argv) - numidx - 1:
        raise ReplyError(errors.SYNTAX)
    db = c.db
    srcs = []
    for key in argv[numidx + 1: numidx + 1 + numkeys]:
        v = db.lookup(key)
        if v is not None and getattr(v, "type_name", None) not in ("zset", "set"):
            raise ReplyError(errors.WRONGTYPE)
        srcs.append(v)
    weights = [1.0] * numkeys
    agg = b"SUM"
    withscores = False
    limit = 0
    j = numidx + 1 + numkeys
    n = len(argv)
    while j < n:
        remaining = n - j
        o = argv[j].upper()
        if op != DIFF and not card_only and remaining >= numkeys + 1 and o == b"WEIGHTS":
            j += 1
            for i in range(numkeys):
                weights[i] = parse_score(argv[j], "ERR weight value is not a float")
                j += 1
        elif op != DIFF and not card_only and remaining >= 2 and o == b"AGGREGATE":
            a = argv[j + 1].upper()
            if a not in (b"SUM", b"MIN", b"MAX"):
                raise ReplyError(errors.SYNTAX)
            agg = a
            j += 2
        elif dst is None and not card_only and o == b"WITHSCORES":
            withscores = True
            j += 1
        elif card_only and remaining >= 2 and o == b"LIMIT":
            limit = parse_int(argv[j + 1], "ERR LIMIT can't be negative")
            if limit < 0:
                raise ReplyError("ERR LIMIT can't be negative")
            j += 2
        else:
            raise ReplyError(errors.SYNTAX)

    inputs = [(_source_pairs(v), w) for v, w in zip(srcs, weights)]
    result = {}
    if op == DIFF:
        first = inputs[0][0]
        others = [d for d, _ in inputs[1:] if d]
        for m, s in first.items():
            if not any(m in d for d in others):
                result[m] = s
    elif op == INTER:
        order = sorted(inputs, key=lambda t: len(t[0]))
        if order[0][0]:
            base, w0 = order[0]
            rest = order[1:]
            if card_only:
                count = 0
                for m in base:
                    if all(m in d for d, _ in rest):
                        count += 1
                        if limit and count >= limit:
                            break
                return count
            for m, s in base.items():
                score = _weighted(s, w0)
                for d, w in rest:
                    other = d.get(m)
                    if other is None:
                        break
                    score = _aggregate(score, _weighted(other, w), agg)
                else:
                    result[m] = score
        elif card_only:
            return 0
    else:
        order = sorted(inputs, key=lambda t: len(t[0]))
        for d, w in order:
            for m, s in d.items():
                score = _weighted(s, w)
                cur = result.get(m)
                result[m] = score if cur is None else _aggregate(cur, score, agg)

    zv = ZT.new_result(result.items())
    if dst is not None:
        return store_zset(c, dst, zv, _OP_NAMES[op])
    return pairs_reply(c, list(zv), withscores)


def _weighted(s, w):
    v = s * w
    return 0.0 if v != v else v


def _aggregate(a, b, agg):
    if agg == b"SUM":
        v = a + b
        return 0.0 if v != v else v
    if agg == b"MIN":
        return b if b < a else a
    return b if b > a else a


@command("zunion")
def zunion(c, argv):
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _combine(c, argv, 1, UNION)


@command("zinter")
def zinter(c, argv):
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"""
    return _combine(c, argv, 1, INTER)


@command("zdiff")
def zdiff(c, argv):
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    return _combine(c, argv, 1, DIFF)


@command("zunionstore")
def zunionstore(c, argv):
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE SUM|MIN|MAX]"""
    return _combine(c, argv, 2, UNION, dst=argv[1])


@command("zinterstore")
def zinterstore(c, argv):
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE SUM|MIN|MAX]"""
    return _combine(c, argv, 2, INTER, dst=argv[1])


@command("zdiffstore")
def zdiffstore(c, argv):
    """ZDIFFSTORE destination numkeys key [key ...]"""
    return _combine(c, argv, 2, DIFF, dst=argv[1])


@command("zintercard")
def zintercard(c, argv):
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    return _combine(c, argv, 1, INTER, card_only=True)


# ---- ZRANDMEMBER / ZSCAN -----------------------------------------------------------------------
@command("zrandmember")
def zrandmember(c, argv):
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    key = argv[1]
    if len(argv) == 2:
        zv = _get(c, key)
        if zv is None:
            return None
        return zv.random_member()[0]
    count = parse_int(argv[2])
    if count == _LONG_MIN:
        raise ReplyError("ERR value is out of range, value must between %d and %d"
                         % (-_LONG_MAX, _LONG_MAX))
    withscores = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHSCORES"):
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 4:
        withscores = True
        if count < -_LONG_MAX // 2 or count > _LONG_MAX // 2:
            raise ReplyError("ERR value is out of range")
    zv = _get(c, key)
    if zv is None or count == 0:
        return []
    if count >= len(zv):
        pairs = list(reversed(zv))   # the whole set, highest first, as Redis answers
    else:
        pairs = zv.random_members(count)
    return pairs_reply(c, pairs, withscores)


@command("zscan")
def zscan(c, argv):
    """ZSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_scan_cursor(argv[2])
    zv = _get(c, argv[1])
    if zv is None:
        return [b"0", []]
    pattern, count, typ, novalues = parse_scan_options(argv, 3)
    if typ is not None or novalues:
        raise ReplyError(errors.SYNTAX)
    if zv.lp is not None:
        nxt, page = 0, zv.members()
    else:
        nxt, page = c.db.scans.page(zv.scores, cursor, count)
    m = glob.compile(pattern) if pattern is not None and pattern != b"*" else None
    d = zv.scores
    out = []
    for member in page:
        s = d.get(member)
        if s is None or (m is not None and not m(member)):
            continue
        out.append(member)
        out.append(_score_bytes(s))
    return [b"%d" % nxt, out]


def _score_bytes(s):
    from ..protocol.encoder import format_double
    return format_double(s)
