"""Key-space commands (Redis group "generic"): DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, COPY,
MOVE, EXPIRE & co., OBJECT, DUMP/RESTORE, RANDOMKEY, TOUCH."""

import random
from itertools import islice

from .. import errors, glob
from ..keyspace import notify as N
from ..keyspace.db import type_name
from ..protocol.replies import ReplyError
from .args import ArgReader, parse_int
from .registry import command

_LLONG_MAX = (1 << 63) - 1


@command("del")
def del_(c, argv):
    """DEL key [key ...]"""
    if c.server.config.lazyfree_lazy_user_del:
        return unlink(c, argv)
    db = c.db
    n = 0
    for key in argv[1:]:
        if db.delete(key, False):
            n += 1
            c.server.notify(N.GENERIC, b"del", key, db)
    c.server.dirty += n
    return n


@command("unlink")
def unlink(c, argv):
    """UNLINK key [key ...]: DEL, with big values freed a slice at a time afterwards
    (keyspace/lazyfree.py)."""
    db = c.db
    server = c.server
    n = 0
    for key in argv[1:]:
        if db.delete(key, True):
            n += 1
            server.notify(N.GENERIC, b"del", key, db)
    server.dirty += n
    return n


@command("exists")
def exists(c, argv):
    """EXISTS key [key ...]"""
    db = c.db
    if c.server.notifier is not None:
        return _count_with_misses(c, argv)
    return sum(1 for key in argv[1:] if db.lookup(key) is not None)


@command("touch")
def touch(c, argv):
    """TOUCH key [key ...]"""
    db = c.db
    if c.server.notifier is not None:
        return _count_with_misses(c, argv)
    return sum(1 for key in argv[1:] if db.lookup(key) is not None)


def _count_with_misses(c, argv):
    n = 0
    for key in argv[1:]:
        if c.db.lookup(key) is not None:
            n += 1
        else:
            _miss(c, key)
    return n


def _miss(c, key):
    """A read found no key: the "keymiss" event (class m)."""
    n = c.server.notifier
    if n is not None and getattr(n, "flags", 0) & N.KEY_MISS:
        n(N.KEY_MISS, b"keymiss", key, c.db)


@command("type")
def type_(c, argv):
    """TYPE key"""
    v = c.db.lookup(argv[1])
    if v is None:
        _miss(c, argv[1])
        return "none"
    return type_name(v)


@command("keys")
def keys(c, argv):
    """KEYS pattern"""
    db = c.db
    pat = argv[1]
    now = c.server.now_ms
    exp = db.expires
    if pat == b"*":
        cand = list(db.data)
    else:
        m = glob.compile(pat)
        cand = [k for k in db.data if m(k)]
    if exp:
        cand = [k for k in cand if exp.get(k, now + 1) > now]
    return cand


def parse_scan_cursor(raw) -> int:
    """strtoul as Redis uses it: optional sign (a negative value wraps modulo 2**64), then
    decimal digits; "" is cursor 0; leading space, trailing junk or > 2**64-1 are invalid."""
    body = raw[1:] if raw[:1] in (b"+", b"-") else raw
    if not raw:
        return 0
    if not body or not body.isdigit() or len(body.lstrip(b"0")) > 20:
        raise ReplyError("ERR invalid cursor")
    v = int(body)
    if v >= 1 << 64:
        raise ReplyError("ERR invalid cursor")
    if raw[:1] == b"-":
        v = (-v) % (1 << 64)
    return v


def parse_scan_options(argv, start):
    """MATCH / COUNT / TYPE options shared by SCAN and the collection scans."""
    r = ArgReader(argv, start)
    pattern = None
    count = 10
    typ = None
    novalues = False
    while r.has_more():
        opt = r.next_upper()
        if opt == b"COUNT" and r.has_more():
            count = r.next_int()
            if count < 1:
                raise ReplyError(errors.SYNTAX)
        elif opt == b"MATCH" and r.has_more():
            pattern = r.next()
        elif opt == b"TYPE" and r.has_more():
            typ = r.next()
        elif opt == b"NOVALUES":
            novalues = True
        else:
            raise ReplyError(errors.SYNTAX)
    return pattern, count, typ, novalues


@command("scan")
def scan(c, argv):
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_scan_cursor(argv[1])
    pattern, count, typ, novalues = parse_scan_options(argv, 2)
    if novalues:
        raise ReplyError(errors.SYNTAX)
    db = c.db
    nxt, page = db.scans.page(db.data, cursor, count)
    m = glob.compile(pattern) if pattern is not None and pattern != b"*" else None
    typ_s = typ.decode("utf-8", "replace").lower() if typ is not None else None
    out = []
    data = db.data
    for k in page:
        if k not in data:
            continue
        if m is not None and not m(k):
            continue
        v = db.lookup(k)
        if v is None:
            continue
        if typ_s is not None and type_name(v) != typ_s:
            continue
        out.append(k)
    return [b"%d" % nxt, out]


@command("randomkey")
def randomkey(c, argv):
    """RANDOMKEY"""
    db = c.db
    for _ in range(100):
        n = len(db.data)
        if n == 0:
            return None
        k = next(islice(iter(db.data), random.randrange(n), None))
        if db.lookup(k) is not None:
            return k
    return next(iter(db.data), None)


def _copy_value(v):
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytearray(v)
    return v.copy()


def _rename(c, argv, nx):
    db = c.db
    src, dst = argv[1], argv[2]
    v = db.lookup(src)
    if v is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else "OK"
    exp = db.get_expire(src)
    if db.lookup(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.remove_raw(src)
    db.modified(src)
    db.set(dst, v)
    if exp is not None:
        db.set_expire(dst, exp)
    c.server.dirty += 1
    c.server.notify(N.GENERIC, b"rename_from", src, db)
    c.server.notify(N.GENERIC, b"rename_to", dst, db)
    c.server.key_moved(db, src, db, dst)
    return 1 if nx else "OK"


@command("rename")
def rename(c, argv):
    """RENAME key newkey"""
    return _rename(c, argv, False)


@command("renamenx")
def renamenx(c, argv):
    """RENAMENX key newkey"""
    return _rename(c, argv, True)


def _db_index(c, raw):
    idx = parse_int(raw)
    if idx < 0 or idx >= len(c.server.dbs):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    return idx


@command("copy")
def copy(c, argv):
    """COPY source destination [DB destination-db] [REPLACE]"""
    r = ArgReader(argv, 3)
    dst_db = c.db
    replace = False
    while r.has_more():
        opt = r.next_upper()
        if opt == b"REPLACE":
            replace = True
        elif opt == b"DB" and r.has_more():
            dst_db = c.server.dbs[_db_index(c, r.next())]
        else:
            raise ReplyError(errors.SYNTAX)
    src, dst = argv[1], argv[2]
    if dst_db is c.db and src == dst:
        raise ReplyError(errors.SAME_OBJECT)
    v = c.db.lookup(src)
    if v is None:
        return 0
    if dst_db.lookup(dst) is not None:
        if not replace:
            return 0
        dst_db.delete(dst)
    exp = c.db.get_expire(src)
    dst_db.set(dst, _copy_value(v))
    if exp is not None:
        dst_db.set_expire(dst, exp)
    c.server.dirty += 1
    c.server.notify(N.GENERIC, b"copy_to", dst, dst_db)
    return 1


@command("move")
def move(c, argv):
    """MOVE key db"""
    idx = _db_index(c, argv[2])
    src_db = c.db
    dst_db = c.server.dbs[idx]
    if dst_db is src_db:
        raise ReplyError(errors.SAME_OBJECT)
    key = argv[1]
    v = src_db.lookup(key)
    if v is None:
        return 0
    if dst_db.lookup(key) is not None:
        return 0
    exp = src_db.get_expire(key)
    src_db.remove_raw(key)
    src_db.modified(key)
    dst_db.set(key, v)
    if exp is not None:
        dst_db.set_expire(key, exp)
    c.server.dirty += 1
    c.server.notify(N.GENERIC, b"move_from", key, src_db)
    c.server.notify(N.GENERIC, b"move_to", key, dst_db)
    c.server.key_moved(src_db, key, dst_db, key)
    return 1


# ---- expiry ----------------------------------------------------------------------------
def _expire_generic(c, argv, unit_ms: int, absolute: bool):
    name = argv[0].decode("utf-8", "replace").lower()
    key = argv[1]
    when = parse_int(argv[2])
    nx = xx = gt = lt = False
    for raw in argv[3:]:
        opt = raw.upper()
        if opt == b"NX":
            nx = True
        elif opt == b"XX":
            xx = True
        elif opt == b"GT":
            gt = True
        elif opt == b"LT":
            lt = True
        else:
            raise ReplyError("ERR Unsupported option %s" % raw.decode("utf-8", "replace"))
    if nx and (xx or gt or lt):
        raise ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if gt and lt:
        raise ReplyError("ERR GT and LT options at the same time are not compatible")
    now = c.server.now_ms
    if unit_ms == 1000:
        if when > _LLONG_MAX // 1000 or when < -(_LLONG_MAX // 1000):
            raise ReplyError(errors.INVALID_EXPIRE.format(name))
        when *= 1000
    if not absolute:
        if when > _LLONG_MAX - now:
            raise ReplyError(errors.INVALID_EXPIRE.format(name))
        when += now
    db = c.db
    if db.lookup(key) is None:
        return 0
    cur = db.get_expire(key)
    if nx and cur is not None:
        return 0
    if xx and cur is None:
        return 0
    if gt and (cur is None or when <= cur):
        return 0
    if lt and cur is not None and when >= cur:
        return 0
    if when <= now and not c.server.loading and not c.master_link:
        db.delete(key, c.server.config.lazyfree_lazy_expire)    # (Redis: as an expiry)
        c.server.dirty += 1
        c.server.notify(N.GENERIC, b"del", key, db)
        c.server.propagate_as([b"DEL", key])
        return 1
    db.set_expire(key, when)
    db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.GENERIC, b"expire", key, db)
    c.server.propagate_as([b"PEXPIREAT", key, b"%d" % when])
    return 1


@command("expire")
def expire(c, argv):
    """EXPIRE key seconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 1000, False)


@command("pexpire")
def pexpire(c, argv):
    """PEXPIRE key milliseconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 1, False)


@command("expireat")
def expireat(c, argv):
    """EXPIREAT key unix-time-seconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 1000, True)


@command("pexpireat")
def pexpireat(c, argv):
    """PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]"""
    return _expire_generic(c, argv, 1, True)


def _ttl(c, key, ms: bool, absolute: bool):
    db = c.db
    if db.lookup(key) is None:
        _miss(c, key)
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    if absolute:
        return when if ms else when // 1000
    left = when - c.server.now_ms
    if left < 0:
        left = 0
    return left if ms else (left + 500) // 1000


@command("ttl")
def ttl(c, argv):
    """TTL key"""
    return _ttl(c, argv[1], False, False)


@command("pttl")
def pttl(c, argv):
    """PTTL key"""
    return _ttl(c, argv[1], True, False)


@command("expiretime")
def expiretime(c, argv):
    """EXPIRETIME key"""
    return _ttl(c, argv[1], False, True)


@command("pexpiretime")
def pexpiretime(c, argv):
    """PEXPIRETIME key"""
    return _ttl(c, argv[1], True, True)


@command("persist")
def persist(c, argv):
    """PERSIST key"""
    db = c.db
    if db.lookup(argv[1]) is None:
        return 0
    if db.persist(argv[1]):
        db.modified(argv[1])
        c.server.dirty += 1
        c.server.notify(N.GENERIC, b"persist", argv[1], db)
        return 1
    return 0


# ---- OBJECT ----------------------------------------------------------------------------
def string_encoding(v) -> str:
    if type(v) is bytearray:
        return "raw"
    if len(v) <= 20:
        try:
            parse_int(v)
            return "int"
        except ReplyError:
            pass
    return "embstr" if len(v) <= 44 else "raw"


def encoding_of(c, v) -> str:
    t = type(v)
    if t is bytes or t is bytearray:
        return string_encoding(v)
    return v.encoding(c.server.config)


def _lfu_policy(c):
    return "lfu" in str(c.server.config.maxmemory_policy)


@command("object|encoding")
def object_encoding(c, argv):
    """OBJECT ENCODING key"""
    v = c.db.data.get(argv[2]) if not c.db.expires else c.db.lookup(argv[2])
    if v is None:
        return None
    return encoding_of(c, v).encode()


@command("object|refcount")
def object_refcount(c, argv):
    """OBJECT REFCOUNT key"""
    v = c.db.lookup(argv[2])
    if v is None:
        return None
    if type(v) is bytes and string_encoding(v) == "int" and 0 <= int(v) < 10000 \
            and not _lfu_policy(c) and "lru" not in str(c.server.config.maxmemory_policy):
        return 2147483647
    return 1


@command("object|idletime")
def object_idletime(c, argv):
    """OBJECT IDLETIME key"""
    db = c.db
    key = argv[2]
    if db.expires:
        when = db.expires.get(key)
        if when is not None and when <= c.server.now_ms:
            db.lookup(key)
    if key not in db.data:
        return None
    if _lfu_policy(c):
        raise ReplyError("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
                         "that when switching between policies at runtime LRU and LFU data will take "
                         "some time to adjust.")
    last = db.atime.get(key, c.server.now_ms)
    return max(0, (c.server.now_ms - last) // 1000)


@command("object|freq")
def object_freq(c, argv):
    """OBJECT FREQ key"""
    db = c.db
    v = db.lookup(argv[2])
    if v is None:
        return None
    if not _lfu_policy(c):
        raise ReplyError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                         "Please note that when switching between policies at runtime LRU and LFU data "
                         "will take some time to adjust.")
    freq = c.server.subsystems.get("lfu_freq")
    return freq(db, argv[2]) if freq else 0


@command("object|help")
def object_help(c, argv):
    """OBJECT HELP"""
    return help_lines("OBJECT", [
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ])


def help_lines(container: str, lines):
    """The shape of every Redis ``X HELP`` reply: a header line, the entries, HELP itself."""
    out = ["%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % container]
    out.extend(lines)
    out.append("HELP")
    out.append("    Print this help.")
    return out
