"""Set commands (Redis group "set").

The value is ``datatypes.settype.Set``; encodings and their conversions follow Redis 7.2.
Replies listing members return a ``SetReply`` (RESP3 ``~``) except SRANDMEMBER with a count
(an array: it may repeat members), as Redis does.  SPOP is propagated as SREM (or DEL when it
empties the set), so replicas and the AOF replay the members actually popped.
"""

import random

from .. import errors, glob
from ..datatypes.settype import Set, HASHTABLE
from ..keyspace import notify as N
from ..keyspace.scan import ScanSnapshots
from ..protocol.replies import ReplyError, SetReply
from .args import parse_int
from .generic import parse_scan_cursor, parse_scan_options
from .registry import command

_LLONG_MAX = (1 << 63) - 1
_LLONG_MIN = -(1 << 63)
SPOP_MOVE_STRATEGY_MUL = 5
SREM_BATCH = 1024
RANGE_LONG = ("ERR value is out of range, value must between -9223372036854775807 and "
              "9223372036854775807")


def _get(db, key):
    v = db.lookup(key)
    if v is None or type(v) is Set:
        return v
    raise ReplyError(errors.WRONGTYPE)


def _removed_all(c, key, event):
    """``key``'s set lost members (``event``); delete it if it is now empty."""
    db = c.db
    s = db.data.get(key)
    c.server.notify(N.SET, event, key, db)
    if s is not None and not len(s):
        db.delete(key)
        c.server.notify(N.GENERIC, b"del", key, db)
    else:
        db.modified(key)


@command("sadd")
def sadd(c, argv):
    """SADD key member [member ...]"""
    db = c.db
    key = argv[1]
    s = db.lookup(key)
    if len(argv) == 3 and type(s) is Set:
        # one member into an existing set: the common case, without the loop
        m = argv[2]
        if m in s.pos:
            return 0
        server = c.server
        if s.enc == HASHTABLE:      # Set.add without the encoding checks
            items = s.items
            s.pos[m] = len(items)
            items.append(m)
        else:
            s.add(m, server.config)
        if server.key_hooks:
            db.modified(key)
        server.dirty += 1
        if server.notifier is not None:
            server.notify(N.SET, b"sadd", key, db)
        return 1
    if s is None:
        s = Set.create(argv[2], len(argv) - 2, c.server.config)
        db.add(key, s)
    elif type(s) is not Set:
        raise ReplyError(errors.WRONGTYPE)
    cfg = c.server.config
    n = 0
    for m in argv[2:]:
        if s.add(m, cfg):
            n += 1
    if n:
        db.modified(key)
        c.server.dirty += n
        c.server.notify(N.SET, b"sadd", key, db)
    return n


@command("srem")
def srem(c, argv):
    """SREM key member [member ...]"""
    db = c.db
    key = argv[1]
    s = _get(db, key)
    if s is None:
        return 0
    n = 0
    for m in argv[2:]:
        if s.remove(m):
            n += 1
            if not len(s):
                break
    if n:
        c.server.dirty += n
        _removed_all(c, key, b"srem")
    return n


@command("scard")
def scard(c, argv):
    """SCARD key"""
    s = _get(c.db, argv[1])
    return 0 if s is None else len(s)


@command("sismember")
def sismember(c, argv):
    """SISMEMBER key member"""
    s = _get(c.db, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@command("smismember")
def smismember(c, argv):
    """SMISMEMBER key member [member ...]"""
    s = _get(c.db, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("smembers")
def smembers(c, argv):
    """SMEMBERS key"""
    s = _get(c.db, argv[1])
    return SetReply([] if s is None else s.members())


@command("srandmember")
def srandmember(c, argv):
    """SRANDMEMBER key [count]"""
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2:
        s = _get(c.db, argv[1])
        return None if s is None else s.random()
    count = parse_int(argv[2])
    if count == _LLONG_MIN:
        raise ReplyError(RANGE_LONG)
    s = _get(c.db, argv[1])
    if s is None or count == 0:
        return []
    if count < 0:
        items = s.items
        n = len(items)
        rr = random.randrange
        return [items[rr(n)] for _ in range(-count)]
    if count >= len(s):
        return s.members()
    return s.sample(count)


@command("spop")
def spop(c, argv):
    """SPOP key [count]"""
    db = c.db
    key = argv[1]
    server = c.server
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2:
        s = db.lookup(key)
        if s is None:
            return None
        if type(s) is not Set:
            raise ReplyError(errors.WRONGTYPE)
        m = s.pop_random()
        server.dirty += 1
        if server.notifier is not None:
            server.notify(N.SET, b"spop", key, db)
        if not s.items:
            db.delete(key)
            server.notify(N.GENERIC, b"del", key, db)
        elif server.key_hooks:
            db.modified(key)
        if server.propagating:
            server.propagate_as([b"SREM", key, m])
        return m
    count = parse_int(argv[2], "ERR value is out of range, must be positive")
    if count < 0:
        raise ReplyError("ERR value is out of range, must be positive")
    s = _get(db, key)
    if s is None or count == 0:
        return SetReply([])
    size = len(s)
    server.dirty += min(count, size)
    if count >= size:
        out = s.members()
        db.delete(key)
        server.notify(N.SET, b"spop", key, db)
        server.notify(N.GENERIC, b"del", key, db)
        server.propagate_as([b"DEL", key])
        return SetReply(out)
    out = [s.pop_random() for _ in range(count)]
    if count * SPOP_MOVE_STRATEGY_MUL > size and s.enc == HASHTABLE:
        s.rebuild(server.config)
    db.modified(key)
    server.notify(N.SET, b"spop", key, db)
    server.propagate_as(*[[b"SREM", key] + out[i:i + SREM_BATCH]
                          for i in range(0, len(out), SREM_BATCH)])
    return SetReply(out)


@command("smove")
def smove(c, argv):
    """SMOVE source destination member"""
    db = c.db
    src_key, dst_key, m = argv[1], argv[2], argv[3]
    src = db.lookup(src_key)
    if src is None:
        return 0
    dst = db.lookup(dst_key)
    if type(src) is not Set or (dst is not None and type(dst) is not Set):
        raise ReplyError(errors.WRONGTYPE)
    if src is dst:
        return 1 if m in src else 0
    if not src.remove(m):
        return 0
    server = c.server
    server.notify(N.SET, b"srem", src_key, db)
    if not len(src):
        db.delete(src_key)
        server.notify(N.GENERIC, b"del", src_key, db)
    else:
        db.modified(src_key)
    if dst is None:
        dst = Set.create(m, 1, server.config)
        db.add(dst_key, dst)
    server.dirty += 1
    if dst.add(m, server.config):
        server.dirty += 1
        db.modified(dst_key)
        server.notify(N.SET, b"sadd", dst_key, db)
    return 1


# ---- algebra --------------------------------------------------------------------------------
def _load_sets(db, keys):
    """The sets at ``keys`` (None for missing ones); WRONGTYPE if any is not a set."""
    out = []
    for k in keys:
        out.append(_get(db, k))
    return out


def _inter(sets, limit=0):
    if any(s is None for s in sets):
        return []
    sets = sorted(sets, key=len)
    first, rest = sets[0], sets[1:]
    out = []
    for m in first.members():
        for s in rest:
            if m not in s:
                break
        else:
            out.append(m)
            if limit and len(out) >= limit:
                break
    return out


def _union(sets):
    seen = {}
    for s in sets:
        if s is not None:
            for m in s.members():
                seen[m] = None
    return list(seen)


def _diff(sets):
    first = sets[0]
    if first is None:
        return []
    others = [s for s in sets[1:] if s is not None and len(s)]
    return [m for m in first.members() if not any(m in s for s in others)]


def _store(c, dst_key, members, event):
    db = c.db
    server = c.server
    if members:
        s = Set.build(members, server.config)
        db.set(dst_key, s)
        server.notify(N.SET, event, dst_key, db)
    else:
        if db.delete(dst_key):
            server.notify(N.GENERIC, b"del", dst_key, db)
    server.dirty += 1
    return len(members)


@command("sinter")
def sinter(c, argv):
    """SINTER key [key ...]"""
    return SetReply(_inter(_load_sets(c.db, argv[1:])))


@command("sinterstore")
def sinterstore(c, argv):
    """SINTERSTORE destination key [key ...]"""
    return _store(c, argv[1], _inter(_load_sets(c.db, argv[2:])), b"sinterstore")


@command("sunion")
def sunion(c, argv):
    """SUNION key [key ...]"""
    return SetReply(_union(_load_sets(c.db, argv[1:])))


@command("sunionstore")
def sunionstore(c, argv):
    """SUNIONSTORE destination key [key ...]"""
    return _store(c, argv[1], _union(_load_sets(c.db, argv[2:])), b"sunionstore")


@command("sdiff")
def sdiff(c, argv):
    """SDIFF key [key ...]"""
    return SetReply(_diff(_load_sets(c.db, argv[1:])))


@command("sdiffstore")
def sdiffstore(c, argv):
    """SDIFFSTORE destination key [key ...]"""
    return _store(c, argv[1], _diff(_load_sets(c.db, argv[2:])), b"sdiffstore")


@command("sintercard")
def sintercard(c, argv):
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    try:
        numkeys = parse_int(argv[1])
    except ReplyError:
        numkeys = 0
    if numkeys <= 0:
        raise ReplyError("ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise ReplyError("ERR Number of keys can't be greater than number of args")
    keys = argv[2:2 + numkeys]
    i = 2 + numkeys
    limit = 0
    while i < len(argv):
        if argv[i].upper() == b"LIMIT" and i + 1 < len(argv):
            try:
                limit = parse_int(argv[i + 1])
            except ReplyError:
                limit = -1
            if limit < 0:
                raise ReplyError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise ReplyError(errors.SYNTAX)
    return len(_inter(_load_sets(c.db, keys), limit))


@command("sscan")
def sscan(c, argv):
    """SSCAN key cursor [MATCH pattern] [COUNT count]"""
    cursor = parse_scan_cursor(argv[2])
    s = _get(c.db, argv[1])
    if s is None:
        return [b"0", []]
    pattern, count, typ, novalues = parse_scan_options(argv, 3)
    if typ is not None or novalues:
        raise ReplyError(errors.SYNTAX)
    m = None
    if pattern is not None and not glob.matches_everything(pattern):
        m = glob.compile(pattern)
    if s.enc != HASHTABLE:
        nxt, page = 0, s.members()
    else:
        if s.scans is None:
            s.scans = ScanSnapshots()
        nxt, page = s.scans.page(s.items, cursor, count)
    out = [x for x in page if x in s and (m is None or m(x))]
    return [b"%d" % nxt, out]
