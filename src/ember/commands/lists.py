"""List commands (Redis group "list"), blocking ones included.

Values are ``datatypes.listtype.ListValue`` (see there for the 7.2 listpack/quicklist
encoding rules).  Every handler parses its arguments in the order Redis does (so the same
bad command gets the same error), then touches the keyspace.

Invariants: an emptied list is deleted (with a "del" notification) by the command that
emptied it; a list key created by a push is signalled to the blocking machinery
(keyspace.blocking) so BLPOP & co. waiting on it are served after the command; blocking
commands that find data right away are propagated as their non-blocking equivalent
(BLPOP -> LPOP key, BLMOVE -> LMOVE, BRPOPLPUSH -> RPOPLPUSH, BLMPOP/LMPOP -> [LR]POP key n).
"""

from .. import errors
from ..datatypes.listtype import ListValue
from ..keyspace import notify as N
from ..keyspace.blocking import block, parse_timeout, signal_key_ready
from ..protocol.replies import NULL_ARRAY, ReplyError
from .args import parse_int
from .registry import command

_LONG_MAX = (1 << 63) - 1
_RANGE_ERR = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
_POSITIVE_ERR = "ERR value is out of range, must be positive"


# ---- helpers ---------------------------------------------------------------------------------
def _positive(raw, msg=_POSITIVE_ERR) -> int:
    """getPositiveLongFromObjectOrReply: 0..LONG_MAX, any failure -> ``msg``."""
    try:
        v = parse_int(raw)
    except ReplyError:
        raise ReplyError(msg) from None
    if v < 0:
        raise ReplyError(msg)
    return v


def _at_least_one(raw, msg) -> int:
    try:
        v = parse_int(raw)
    except ReplyError:
        raise ReplyError(msg) from None
    if v < 1:
        raise ReplyError(msg)
    return v


def _where(raw) -> bool:
    """LEFT -> True, RIGHT -> False, else syntax error."""
    w = raw.upper()
    if w == b"LEFT":
        return True
    if w == b"RIGHT":
        return False
    raise ReplyError(errors.SYNTAX)


def _removed(server, db, key, lv, event):
    """Bookkeeping after elements left ``lv``: event, delete when emptied, touch."""
    server.notify(N.LIST, event, key, db)
    if not lv:
        db.delete(key)
        server.notify(N.GENERIC, b"del", key, db)
    else:
        db.modified(key)


def _push_into(server, db, key, lv, values, left):
    """Push ``values`` into the list at ``key`` (``lv`` or a new list when None)."""
    if lv is None:
        lv = ListValue((), server.config)
        if left:
            lv.lpush(values)
        else:
            lv.rpush(values)
        db.add(key, lv)
        signal_key_ready(db, key)
    else:
        if left:
            lv.lpush(values)
        else:
            lv.rpush(values)
        db.modified(key)
    server.notify(N.LIST, b"lpush" if left else b"rpush", key, db)
    return lv


# ---- push ------------------------------------------------------------------------------------
def _push(c, argv, left, exists_only):
    db = c.db
    key = argv[1]
    if len(argv) == 3:
        # one element into an existing list: the common case, without the generic helper
        lv = db.lookup(key)
        if type(lv) is ListValue:
            n = lv.push_one(argv[2], left)
            server = c.server
            if server.key_hooks:
                db.modified(key)
            if server.notifier is not None:
                server.notify(N.LIST, b"lpush" if left else b"rpush", key, db)
            server.dirty += 1
            return n
        if lv is not None:
            raise ReplyError(errors.WRONGTYPE)
        if exists_only:
            return 0
        lv = _push_into(c.server, db, key, None, (argv[2],), left)
        c.server.dirty += 1
        return 1
    lv = db.get_typed(key, ListValue)
    if lv is None and exists_only:
        return 0
    values = argv[2:]
    lv = _push_into(c.server, db, key, lv, values, left)
    c.server.dirty += len(values)
    return len(lv)


@command("lpush")
def lpush(c, argv):
    """LPUSH key element [element ...]"""
    return _push(c, argv, True, False)


@command("rpush")
def rpush(c, argv):
    """RPUSH key element [element ...]"""
    return _push(c, argv, False, False)


@command("lpushx")
def lpushx(c, argv):
    """LPUSHX key element [element ...]"""
    return _push(c, argv, True, True)


@command("rpushx")
def rpushx(c, argv):
    """RPUSHX key element [element ...]"""
    return _push(c, argv, False, True)


# ---- pop -------------------------------------------------------------------------------------
def _pop(c, argv, left):
    if len(argv) == 2:
        # no count: the common case, without the generic helpers
        db = c.db
        key = argv[1]
        lv = db.lookup(key)
        if lv is None:
            return None
        if type(lv) is not ListValue:
            raise ReplyError(errors.WRONGTYPE)
        v = lv.pop_one(left)
        server = c.server
        server.dirty += 1
        if server.notifier is not None:
            server.notify(N.LIST, b"lpop" if left else b"rpop", key, db)
        if not lv:
            db.delete(key)
            server.notify(N.GENERIC, b"del", key, db)
        elif server.key_hooks:
            db.modified(key)
        return v
    if len(argv) > 3:
        raise ReplyError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    count = _positive(argv[2]) if len(argv) == 3 else None
    db = c.db
    key = argv[1]
    lv = db.get_typed(key, ListValue)
    if lv is None:
        return NULL_ARRAY if count is not None else None
    if count == 0:
        return []
    server = c.server
    if count is None:
        v = lv.lpop() if left else lv.rpop()
        server.dirty += 1
    else:
        v = lv.lpop(count) if left else lv.rpop(count)
        server.dirty += len(v)
    _removed(server, db, key, lv, b"lpop" if left else b"rpop")
    return v


@command("lpop")
def lpop(c, argv):
    """LPOP key [count]"""
    return _pop(c, argv, True)


@command("rpop")
def rpop(c, argv):
    """RPOP key [count]"""
    return _pop(c, argv, False)


# ---- reads -----------------------------------------------------------------------------------
@command("llen")
def llen(c, argv):
    """LLEN key"""
    lv = c.db.get_typed(argv[1], ListValue)
    return 0 if lv is None else len(lv)


@command("lindex")
def lindex(c, argv):
    """LINDEX key index"""
    lv = c.db.get_typed(argv[1], ListValue)
    if lv is None:
        return None
    return lv.lindex(parse_int(argv[2]))


@command("lrange")
def lrange(c, argv):
    """LRANGE key start stop"""
    # plain non-negative indexes are read here (parse_int's first test, inlined)
    a = argv[2]
    if a.isdigit() and len(a) < 19 and (a[0] != 48 or len(a) == 1):
        start = int(a)
    else:
        start = parse_int(a)
    b = argv[3]
    if b.isdigit() and len(b) < 19 and (b[0] != 48 or len(b) == 1):
        stop = int(b)
    else:
        stop = parse_int(b)
    lv = c.db.lookup(argv[1])
    if lv is None:
        return []
    if type(lv) is not ListValue:
        raise ReplyError(errors.WRONGTYPE)
    return lv.lrange(start, stop)


@command("lpos")
def lpos(c, argv):
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    rank = 1
    count = -1
    maxlen = 0
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        more = i + 1 < n
        if opt == b"RANK" and more:
            i += 1
            rank = parse_int(argv[i])
            if rank < -_LONG_MAX:
                raise ReplyError(_RANGE_ERR)
            if rank == 0:
                raise ReplyError("ERR RANK can't be zero: use 1 to start from the first match, "
                                 "2 from the second ... or use negative to start from the end "
                                 "of the list")
        elif opt == b"COUNT" and more:
            i += 1
            count = _positive(argv[i], "ERR COUNT can't be negative")
        elif opt == b"MAXLEN" and more:
            i += 1
            maxlen = _positive(argv[i], "ERR MAXLEN can't be negative")
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    lv = c.db.get_typed(argv[1], ListValue)
    if lv is None:
        return [] if count != -1 else None
    found = lv.lpos(argv[2], rank, 1 if count == -1 else count, maxlen)
    if count != -1:
        return found
    return found[0] if found else None


# ---- in-place edits --------------------------------------------------------------------------
@command("lset")
def lset(c, argv):
    """LSET key index element"""
    db = c.db
    key = argv[1]
    lv = db.get_typed(key, ListValue)
    if lv is None:
        raise ReplyError("ERR no such key")
    index = parse_int(argv[2])
    if not lv.lset(index, argv[3]):
        raise ReplyError("ERR index out of range")
    db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.LIST, b"lset", key, db)
    return "OK"


@command("linsert")
def linsert(c, argv):
    """LINSERT key <BEFORE | AFTER> pivot element"""
    w = argv[2].upper()
    if w == b"BEFORE":
        before = True
    elif w == b"AFTER":
        before = False
    else:
        raise ReplyError(errors.SYNTAX)
    db = c.db
    key = argv[1]
    lv = db.get_typed(key, ListValue)
    if lv is None:
        return 0
    n = lv.linsert(before, argv[3], argv[4])
    if n == -1:
        return -1
    db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.LIST, b"linsert", key, db)
    return n


@command("ltrim")
def ltrim(c, argv):
    """LTRIM key start stop"""
    start = parse_int(argv[2])
    stop = parse_int(argv[3])
    db = c.db
    key = argv[1]
    lv = db.get_typed(key, ListValue)
    if lv is None:
        return "OK"
    removed = lv.ltrim(start, stop)
    server = c.server
    _removed(server, db, key, lv, b"ltrim")
    server.dirty += removed
    return "OK"


@command("lrem")
def lrem(c, argv):
    """LREM key count element"""
    count = parse_int(argv[2])
    db = c.db
    key = argv[1]
    lv = db.get_typed(key, ListValue)
    if lv is None:
        return 0
    removed = lv.lrem(count, argv[3])
    if removed:
        server = c.server
        server.dirty += removed
        _removed(server, db, key, lv, b"lrem")
    return removed


# ---- moves -----------------------------------------------------------------------------------
def _move(c, src, dst, wherefrom, whereto):
    """Pop from ``src`` and push into ``dst``; the element, or None if ``src`` is missing."""
    db = c.db
    slv = db.get_typed(src, ListValue)
    if slv is None:
        return None
    dlv = db.get_typed(dst, ListValue)
    server = c.server
    v = slv.lpop() if wherefrom else slv.rpop()
    if dlv is None and dst == src:
        dlv = slv
    _push_into(server, db, dst, dlv, (v,), whereto)
    server.notify(N.LIST, b"lpop" if wherefrom else b"rpop", src, db)
    if not slv:
        db.delete(src)
        server.notify(N.GENERIC, b"del", src, db)
    else:
        db.modified(src)
    server.dirty += 1
    return v


@command("lmove")
def lmove(c, argv):
    """LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>"""
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    return _move(c, argv[1], argv[2], wherefrom, whereto)


@command("rpoplpush")
def rpoplpush(c, argv):
    """RPOPLPUSH source destination"""
    return _move(c, argv[1], argv[2], False, True)


def _blmove(c, src, dst, wherefrom, whereto, timeout, prop):
    def attempt(cl):
        v = _move(cl, src, dst, wherefrom, whereto)
        if v is not None:
            cl.server.propagate_as(prop)
        return v

    v = attempt(c)
    if v is not None:
        return v
    if c.in_exec or c.server.in_script:
        return None          # a blocking move that may not block replies a null bulk
    return block(c, [src], timeout, attempt, NULL_ARRAY, "list")


@command("blmove")
def blmove(c, argv):
    """BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"""
    wherefrom = _where(argv[3])
    whereto = _where(argv[4])
    timeout = parse_timeout(argv[5])
    prop = [b"LMOVE", argv[1], argv[2], argv[3], argv[4]]
    return _blmove(c, argv[1], argv[2], wherefrom, whereto, timeout, prop)


@command("brpoplpush")
def brpoplpush(c, argv):
    """BRPOPLPUSH source destination timeout"""
    timeout = parse_timeout(argv[3])
    prop = [b"RPOPLPUSH", argv[1], argv[2]]
    return _blmove(c, argv[1], argv[2], False, True, timeout, prop)


# ---- multi-key pops --------------------------------------------------------------------------
def _mpop(c, keys, left, count, single):
    """Pop from the first non-empty list among ``keys``: [key, value] (``single``, BLPOP)
    or [key, [values...]] (LMPOP); None when all are empty.  Propagated as [LR]POP."""
    db = c.db
    server = c.server
    for key in keys:
        lv = db.get_typed(key, ListValue)
        if lv is None:
            continue
        if single:
            v = lv.lpop() if left else lv.rpop()
            server.dirty += 1
            _removed(server, db, key, lv, b"lpop" if left else b"rpop")
            server.propagate_as([b"LPOP" if left else b"RPOP", key])
            return [key, v]
        vals = lv.lpop(count) if left else lv.rpop(count)
        server.dirty += len(vals)
        _removed(server, db, key, lv, b"lpop" if left else b"rpop")
        server.propagate_as([b"LPOP" if left else b"RPOP", key, b"%d" % len(vals)])
        return [key, vals]
    return None


def _bpop(c, argv, left):
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    r = _mpop(c, keys, left, 1, True)
    if r is not None:
        return r
    return block(c, keys, timeout, lambda cl: _mpop(cl, keys, left, 1, True), NULL_ARRAY, "list")


@command("blpop")
def blpop(c, argv):
    """BLPOP key [key ...] timeout"""
    return _bpop(c, argv, True)


@command("brpop")
def brpop(c, argv):
    """BRPOP key [key ...] timeout"""
    return _bpop(c, argv, False)


def _parse_mpop(argv, numkeys_idx):
    """numkeys key [key ...] <LEFT | RIGHT> [COUNT count] -> (keys, left, count)."""
    numkeys = _at_least_one(argv[numkeys_idx], "ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(argv):
        raise ReplyError(errors.SYNTAX)
    left = _where(argv[where_idx])
    count = -1
    j = where_idx + 1
    n = len(argv)
    while j < n:
        if count == -1 and argv[j].upper() == b"COUNT" and j + 1 < n:
            j += 1
            count = _at_least_one(argv[j], "ERR count should be greater than 0")
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    if count == -1:
        count = 1
    return argv[numkeys_idx + 1:where_idx], left, count


@command("lmpop")
def lmpop(c, argv):
    """LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"""
    keys, left, count = _parse_mpop(argv, 1)
    r = _mpop(c, keys, left, count, False)
    return NULL_ARRAY if r is None else r


@command("blmpop")
def blmpop(c, argv):
    """BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"""
    keys, left, count = _parse_mpop(argv, 2)
    timeout = parse_timeout(argv[1])
    r = _mpop(c, keys, left, count, False)
    if r is not None:
        return r
    return block(c, keys, timeout, lambda cl: _mpop(cl, keys, left, count, False),
                 NULL_ARRAY, "list")
