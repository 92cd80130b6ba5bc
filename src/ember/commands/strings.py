"""String commands (Redis group "string").

Values are ``bytes`` (or ``bytearray`` after in-place edits, see keyspace.db).  Integers are
stored as their decimal bytes; INCR & co. parse them with Redis' strict rules.
"""

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .. import errors
from ..keyspace import notify as N
from ..protocol.replies import NULL_ARRAY, Map, ReplyError
from .args import ArgReader, parse_int, parse_float
from .registry import command

MAX_STRING = 512 * 1024 * 1024
_LLONG_MAX = (1 << 63) - 1
_LLONG_MIN = -(1 << 63)


# ---- expiry option parsing shared by SET / GETEX ------------------------------------
def parse_expire_option(c, unit: bytes, raw: bytes, cmdname: str) -> int:
    """EX/PX/EXAT/PXAT value -> absolute ms.  Redis' checks and error texts."""
    v = parse_int(raw)
    if v <= 0:
        raise ReplyError(errors.INVALID_EXPIRE.format(cmdname))
    if unit in (b"EX", b"EXAT"):
        if v > _LLONG_MAX // 1000:
            raise ReplyError(errors.INVALID_EXPIRE.format(cmdname))
        v *= 1000
    if unit in (b"EX", b"PX"):
        if v > _LLONG_MAX - c.server.now_ms:
            raise ReplyError(errors.INVALID_EXPIRE.format(cmdname))
        v += c.server.now_ms
    return v


def _miss(c, key):
    """A read found no key: the "keymiss" event (class m)."""
    n = c.server.notifier
    if n is not None and getattr(n, "flags", 0) & N.KEY_MISS:
        n(N.KEY_MISS, b"keymiss", key, c.db)


@command("get")
def get(c, argv):
    """GET key"""
    db = c.db
    key = argv[1]
    expires = db.expires
    v = db.lookup(key) if expires and key in expires else db.data.get(key)
    server = c.server
    if v is None:
        server.stats.keyspace_misses += 1
        if server.notifier is not None:
            _miss(c, key)
        return None
    server.stats.keyspace_hits += 1
    # db.lru_clock(), inlined (the call cost more than the rest of a hit)
    now = server.now_ms
    lru = db.lru
    if not 0 <= now - lru < 1000:
        db.lru = lru = now
    db.atime[key] = lru
    t = type(v)
    if t is bytes:
        return v
    if t is bytearray:
        return bytes(v)
    raise ReplyError(errors.WRONGTYPE)


@command("set")
def set_(c, argv):
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
    PXAT unix-time-milliseconds | KEEPTTL]"""
    db = c.db
    key = argv[1]
    value = argv[2]
    server = c.server
    if len(argv) == 3 and not server.config.lazyfree_lazy_server_del:
        # (the store below drops an overwritten value at once; db.set frees it lazily)
        notifier = server.notifier
        if notifier is not None and getattr(notifier, "flags", 0) & N.NEW and db.lookup(key) is None:
            notifier(N.NEW, b"new", key, db)
        db.data[key] = value
        now = server.now_ms     # db.lru_clock(), inlined
        lru = db.lru
        if not 0 <= now - lru < 1000:
            db.lru = lru = now
        db.atime[key] = lru
        expires = db.expires
        if expires:
            expires.pop(key, None)
        if server.key_hooks:
            db.modified(key)
        server.dirty += 1
        if notifier is not None:
            notifier(N.STRING, b"set", key, db)
        return "OK"
    nx = xx = get_old = keepttl = False
    expire_at = None
    unit = None
    i = 3
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        if opt == b"NX" and not xx:
            nx = True
        elif opt == b"XX" and not nx:
            xx = True
        elif opt == b"GET":
            get_old = True
        elif opt == b"KEEPTTL" and unit is None:
            keepttl = True
        elif opt in (b"EX", b"PX", b"EXAT", b"PXAT") and unit in (None, opt) and not keepttl and i + 1 < n:
            unit = opt  # repeating the same unit is allowed (the last value wins), as in Redis
            i += 1
            raw = argv[i]
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    if unit is not None:
        expire_at = parse_expire_option(c, unit, raw, "set")
    old = db.lookup(key)
    if get_old and old is not None and type(old) is not bytes and type(old) is not bytearray:
        raise ReplyError(errors.WRONGTYPE)
    if get_old and old is None:
        _miss(c, key)
    if (nx and old is not None) or (xx and old is None):
        if get_old:
            return bytes(old) if old is not None else None
        return None
    db.set(key, value, keepttl=keepttl)
    c.server.dirty += 1
    c.server.notify(N.STRING, b"set", key, db)
    if expire_at is not None:
        db.set_expire(key, expire_at)
        c.server.notify(N.GENERIC, b"expire", key, db)
        if unit != b"PXAT":   # AOF/replicas get an absolute time (Redis 7)
            c.server.propagate_as([b"SET", key, value, b"PXAT", b"%d" % expire_at])
    if get_old:
        return bytes(old) if old is not None else None
    return "OK"


@command("setnx")
def setnx(c, argv):
    """SETNX key value"""
    db = c.db
    if db.lookup(argv[1]) is not None:
        return 0
    db.set(argv[1], argv[2])
    c.server.dirty += 1
    c.server.notify(N.STRING, b"set", argv[1], db)
    return 1


def _setex(c, argv, unit, name):
    key = argv[1]
    when = parse_expire_option(c, unit, argv[2], name)
    db = c.db
    db.set(key, argv[3])
    db.set_expire(key, when)
    c.server.dirty += 1
    c.server.notify(N.STRING, b"set", key, db)
    c.server.notify(N.GENERIC, b"expire", key, db)
    c.server.propagate_as([b"SET", key, argv[3], b"PXAT", b"%d" % when])
    return "OK"


@command("setex")
def setex(c, argv):
    """SETEX key seconds value"""
    return _setex(c, argv, b"EX", "setex")


@command("psetex")
def psetex(c, argv):
    """PSETEX key milliseconds value"""
    return _setex(c, argv, b"PX", "psetex")


@command("getset")
def getset(c, argv):
    """GETSET key value"""
    db = c.db
    old = db.get_string(argv[1])
    if old is None:
        _miss(c, argv[1])
    db.set(argv[1], argv[2])
    c.server.dirty += 1
    c.server.notify(N.STRING, b"set", argv[1], db)
    return bytes(old) if old is not None else None


@command("getdel")
def getdel(c, argv):
    """GETDEL key"""
    db = c.db
    old = db.get_string(argv[1])
    if old is None:
        _miss(c, argv[1])
        return None
    db.delete(argv[1])
    c.server.dirty += 1
    c.server.notify(N.GENERIC, b"del", argv[1], db)
    return bytes(old)


@command("getex")
def getex(c, argv):
    """GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"""
    db = c.db
    key = argv[1]
    unit = raw = None
    persist = False
    i = 2
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        if opt in (b"EX", b"PX", b"EXAT", b"PXAT") and unit in (None, opt) and not persist and i + 1 < n:
            unit = opt
            i += 1
            raw = argv[i]
        elif opt == b"PERSIST" and unit is None:
            persist = True
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    v = db.get_string(key)
    if v is None:
        _miss(c, key)
        return None
    # Redis validates the time only once the key is known to exist and be a string
    when = parse_expire_option(c, unit, raw, "getex") if unit is not None else None
    if when is not None:
        if when <= c.server.now_ms:
            db.delete(key)
            c.server.dirty += 1
            c.server.notify(N.GENERIC, b"del", key, db)
            c.server.propagate_as([b"DEL", key])
        else:
            db.set_expire(key, when)
            db.modified(key)
            c.server.dirty += 1
            c.server.notify(N.GENERIC, b"expire", key, db)
            c.server.propagate_as([b"PEXPIREAT", key, b"%d" % when])
    elif persist and db.persist(key):
        db.modified(key)
        c.server.dirty += 1
        c.server.propagate_as([b"PERSIST", key])
        c.server.notify(N.GENERIC, b"persist", key, db)
    return bytes(v)


@command("mget")
def mget(c, argv):
    """MGET key [key ...]"""
    db = c.db
    out = []
    stats = c.server.stats
    for key in argv[1:]:
        v = db.lookup(key)
        t = type(v)
        if t is bytes:
            out.append(v)
            stats.keyspace_hits += 1
        elif t is bytearray:
            out.append(bytes(v))
            stats.keyspace_hits += 1
        else:
            if v is None:
                stats.keyspace_misses += 1
                _miss(c, key)
            out.append(None)
    return out


@command("mset")
def mset(c, argv):
    """MSET key value [key value ...]"""
    if len(argv) % 2 == 0:
        raise ReplyError(errors.wrong_arity("mset"))
    db = c.db
    server = c.server
    if server.notifier is None and not server.key_hooks and not server.config.lazyfree_lazy_server_del:
        # nobody listens for changes: plain dict stores (what db.set does, minus the hooks)
        # (C loops: zip over one iterator pairs key/value in order, so a repeated key ends
        # with its last value, as one by one)
        pairs = iter(argv)
        next(pairs)
        db.data.update(zip(pairs, pairs))
        keys = argv[1::2]
        db.atime.update(dict.fromkeys(keys, db.lru_clock()))
        expires = db.expires
        if expires and not expires.keys().isdisjoint(keys):
            for k in keys:
                expires.pop(k, None)
    else:
        for i in range(1, len(argv), 2):
            db.set(argv[i], argv[i + 1])
            server.notify(N.STRING, b"set", argv[i], db)
    server.dirty += (len(argv) - 1) // 2
    return "OK"


@command("msetnx")
def msetnx(c, argv):
    """MSETNX key value [key value ...]"""
    if len(argv) % 2 == 0:
        raise ReplyError(errors.wrong_arity("msetnx"))
    db = c.db
    for i in range(1, len(argv), 2):
        if db.lookup(argv[i]) is not None:
            return 0
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        c.server.notify(N.STRING, b"set", argv[i], db)
    c.server.dirty += (len(argv) - 1) // 2
    return 1


@command("append")
def append(c, argv):
    """APPEND key value"""
    db = c.db
    key = argv[1]
    v = db.get_string(key)
    if v is None:
        db.add(key, argv[2])
        new_len = len(argv[2])
    else:
        _check_size(c, len(v) + len(argv[2]))
        if type(v) is bytes:
            v = bytearray(v)
            db.data[key] = v
        v += argv[2]
        new_len = len(v)
        db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.STRING, b"append", key, db)
    return new_len


def _check_size(c, size):
    if size > c.server.config.proto_max_bulk_len:
        raise ReplyError(errors.STRING_TOO_LONG)


@command("strlen")
def strlen(c, argv):
    """STRLEN key"""
    v = c.db.get_string(argv[1])
    if v is None:
        _miss(c, argv[1])
        return 0
    return len(v)


@command("incr")
def incr(c, argv, delta=1):
    """INCR key  (DECR, INCRBY and DECRBY call it with their ``delta``: INCR, the common
    one, then runs in one frame)"""
    db = c.db
    server = c.server
    key = argv[1]
    v = db.data.get(key)
    if v is not None and db.expires and key in db.expires:
        v = db.lookup(key)   # lazy expiry
    if v is None:
        cur = 0
    elif type(v) is bytes and (n := len(v)) < 19 and v.isdigit() and (v[0] != 48 or n == 1):
        cur = int(v)         # the common case, without parse_int's general checks
        # (isdigit() is False for b"": no length test needed for that)
    elif type(v) is bytes or type(v) is bytearray:
        cur = parse_int(bytes(v)) if len(v) <= 20 else _raise(errors.NOT_INTEGER)
    else:
        raise ReplyError(errors.WRONGTYPE)
    new = cur + delta
    if new > _LLONG_MAX or new < _LLONG_MIN:
        raise ReplyError(errors.OVERFLOW)
    if server.notifier is None:
        db.data[key] = b"%d" % new
        now = server.now_ms     # db.lru_clock(), inlined
        lru = db.lru
        if not 0 <= now - lru < 1000:
            db.lru = lru = now
        db.atime[key] = lru
        if server.key_hooks:
            db.modified(key)
    else:
        db.set(key, b"%d" % new, keepttl=True)   # db.set sends the "new" event
        server.notify(N.STRING, b"incrby", key, db)
    server.dirty += 1
    return new


def _raise(msg):
    raise ReplyError(msg)


@command("decr")
def decr(c, argv):
    """DECR key"""
    return incr(c, argv, -1)


@command("incrby")
def incrby(c, argv):
    """INCRBY key increment"""
    return incr(c, argv, parse_int(argv[2]))


@command("decrby")
def decrby(c, argv):
    """DECRBY key decrement"""
    d = parse_int(argv[2])
    if d == _LLONG_MIN:
        raise ReplyError("ERR decrement would overflow")
    return incr(c, argv, -d)


def _round_ld(x: Fraction) -> Fraction:
    """Round an exact value to the nearest x87 80-bit long double (64-bit significand,
    ties to even), which is what Redis' INCRBYFLOAT computes in."""
    if not x:
        return Fraction(0)
    neg = x < 0
    n, d = abs(x.numerator), x.denominator
    e = n.bit_length() - d.bit_length()
    while True:
        shift = 63 - e
        num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
        q, r = divmod(num, den)
        if q >= 1 << 64:
            e += 1
        elif q < 1 << 63:
            e -= 1
        else:
            break
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    v = Fraction(q) / (1 << shift) if shift >= 0 else Fraction(q << -shift)
    return -v if neg else v


def format_long_double(d: Fraction) -> bytes:
    """Redis' ld2string(LD_STR_HUMAN): %.17Lf of the exact binary value (ties to even),
    with trailing zeros (and the dot) removed."""
    neg = d < 0
    scaled = abs(d) * 10 ** 17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if 2 * r > scaled.denominator or (2 * r == scaled.denominator and q & 1):
        q += 1
    ip, fp = divmod(q, 10 ** 17)
    s = "%d.%017d" % (ip, fp)
    s = s.rstrip("0").rstrip(".")
    if neg and s != "0":
        s = "-" + s
    return s.encode()


def parse_long_double(b) -> Fraction:
    """strtold as Redis' string2ld uses it: no leading/trailing space, whole string consumed,
    no NaN, no overflow; the value rounded to long double.  Infinity parses (the sum is then
    refused by the caller)."""
    if not b or b[0] in _SPACES or b[-1] in _SPACES or len(b) > 5000:
        raise ValueError
    low = bytes(b).lower()
    if b"nan" in low or b"_" in low:
        raise ValueError
    body = low.lstrip(b"+-")
    if body in (b"inf", b"infinity"):
        return _LD_INF if not low.startswith(b"-") else -_LD_INF
    try:
        if body.startswith(b"0x"):
            v = Fraction(float.fromhex(low.decode()))
        else:
            float(low)      # strtold's decimal syntax is float()'s
            v = Fraction(Decimal(low.decode()))
    except (InvalidOperation, ValueError, OverflowError):
        raise ValueError from None
    if v and abs(v) < _LD_TRUE_MIN / 2:
        raise ValueError    # ERANGE with 0 (underflow)
    v = _round_ld(v)
    if abs(v) > _LD_MAX:
        raise ValueError    # ERANGE with HUGE_VAL
    return v


_SPACES = b" \t\r\n\v\f"
_LD_TRUE_MIN = Fraction(1, 1 << 16445)      # smallest subnormal long double


_LD_MAX = Fraction((1 << 64) - 1) * (Fraction(2) ** (16383 - 63))
_LD_INF = _LD_MAX * 2


@command("incrbyfloat")
def incrbyfloat(c, argv):
    """INCRBYFLOAT key increment"""
    db = c.db
    key = argv[1]
    v = db.get_string(key)
    try:
        cur = parse_long_double(v) if v is not None else Fraction(0)
    except ValueError:
        raise ReplyError(errors.NOT_FLOAT) from None
    try:
        inc = parse_long_double(argv[2])
    except ValueError:
        raise ReplyError(errors.NOT_FLOAT) from None
    new = _round_ld(cur + inc)
    if abs(new) > _LD_MAX:
        raise ReplyError(errors.INCR_FLOAT_NAN)
    out = format_long_double(new)
    db.set(key, out, keepttl=True)
    c.server.dirty += 1
    c.server.notify(N.STRING, b"incrbyfloat", key, db)
    c.server.propagate_as([b"SET", key, out, b"KEEPTTL"])
    return out


@command("getrange", "substr")
def getrange(c, argv):
    """GETRANGE key start end"""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    v = c.db.get_string(argv[1])
    if v is None:
        _miss(c, argv[1])
        return b""
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(0, n + start)
    if end < 0:
        end = max(0, n + end)
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return bytes(v[start:end + 1])


@command("setrange")
def setrange(c, argv):
    """SETRANGE key offset value"""
    db = c.db
    key = argv[1]
    offset = parse_int(argv[2])
    value = argv[3]
    if offset < 0:
        raise ReplyError(errors.OFFSET_OUT_OF_RANGE)
    v = db.get_string(key)
    if v is None:
        if not value:
            return 0
        _check_size(c, offset + len(value))
        new = bytearray(offset + len(value))
        new[offset:] = value
        db.set(key, new)
        c.server.dirty += 1
        c.server.notify(N.STRING, b"setrange", key, db)
        return len(new)
    if not value:
        return len(v)
    _check_size(c, offset + len(value))
    if type(v) is bytes:
        v = bytearray(v)
        db.data[key] = v
    if len(v) < offset:
        v.extend(bytes(offset - len(v)))
    v[offset:offset + len(value)] = value
    db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.STRING, b"setrange", key, db)
    return len(v)


@command("lcs")
def lcs(c, argv):
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"""
    # Redis checks the key types before parsing the options, with its own error text
    for key in (argv[1], argv[2]):
        v = c.db.lookup(key)
        if v is not None and type(v) is not bytes and type(v) is not bytearray:
            raise ReplyError("ERR The specified keys must contain string values")
    r = ArgReader(argv, 3)
    want_len = want_idx = with_len = False
    minlen = 0
    while r.has_more():
        opt = r.next_upper()
        if opt == b"IDX":
            want_idx = True
        elif opt == b"LEN":
            want_len = True
        elif opt == b"WITHMATCHLEN":
            with_len = True
        elif opt == b"MINMATCHLEN" and r.has_more():
            minlen = r.next_int()
            if minlen < 0:
                minlen = 0
        else:
            raise ReplyError(errors.SYNTAX)
    a = c.db.get_string(argv[1])
    if a is None:
        _miss(c, argv[1])
    b = c.db.get_string(argv[2])
    if b is None:
        _miss(c, argv[2])
    if want_len and want_idx:
        raise ReplyError("ERR If you want both the length and indexes, please just use IDX.")
    a = bytes(a) if a is not None else b""
    b = bytes(b) if b is not None else b""
    if (len(a) + 1) * (len(b) + 1) * 4 > c.server.config.proto_max_bulk_len:
        raise ReplyError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    la, lb = len(a), len(b)
    # dp[i][j] = LCS length of a[:i], b[:j]
    dp = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(1, la + 1):
        ai = a[i - 1]
        row, prev = dp[i], dp[i - 1]
        for j in range(1, lb + 1):
            if ai == b[j - 1]:
                row[j] = prev[j - 1] + 1
            else:
                x, y = prev[j], row[j - 1]
                row[j] = x if x > y else y
    total = dp[la][lb]
    if want_len:
        return total
    # Walk back from the end, collecting the LCS and (for IDX) the matching ranges.
    i, j = la, lb
    res = bytearray(total)
    k = total
    matches = []
    cur = None  # [a_start, a_end, b_start, b_end]
    while i > 0 and j > 0:
        if a[i - 1] == b[j - 1]:
            k -= 1
            res[k] = a[i - 1]
            if cur is not None and cur[0] == i and cur[2] == j:
                cur[0] -= 1
                cur[2] -= 1
            else:
                if cur is not None:
                    matches.append(cur)
                cur = [i - 1, i - 1, j - 1, j - 1]
            i -= 1
            j -= 1
        elif dp[i - 1][j] > dp[i][j - 1]:
            i -= 1
        else:
            j -= 1
    if cur is not None:
        matches.append(cur)
    if not want_idx:
        return bytes(res)
    out = []
    for m in matches:
        mlen = m[1] - m[0] + 1
        if mlen < minlen:
            continue
        item = [[m[0], m[1]], [m[2], m[3]]]
        if with_len:
            item.append(mlen)
        out.append(item)
    return Map([(b"matches", out), (b"len", total)])
