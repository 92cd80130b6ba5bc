"""Hash commands (Redis group "hash"), including Redis 7.4's per-field expiration.

Field expiry: an expired field is invisible to every command.  ``_load`` (every handler's
way in) deletes due fields of the hash it touches first (lazy expiry: ``hexpired`` event,
HDEL propagated, the key deleted when that empties it), and ``FieldExpiry`` -- installed on
the server the first time a field gets a TTL -- deletes them actively from the cron
(``server.subsystems["cron"]``).  It keeps a heap of (earliest field expiry, key) per db,
swapped by SWAPDB with the db's contents; stale entries are checked against the hash when
they surface, and a key hook re-registers hashes that RENAME/MOVE/COPY put under a new name
or in another db.  The hook is installed with the first tracked hash
and removed again once the heap has drained (no field TTL left to watch), so writes stop
paying for it.
"""

import heapq
import math

from .. import errors, glob
from ..datatypes.hashtype import Hash, _F, _V     # _F/_V: the packed layout's markers
from ..keyspace import notify as N
from ..keyspace.scan import ScanSnapshots
from ..protocol.replies import Map, ReplyError
from .args import parse_int
from .generic import parse_scan_cursor, parse_scan_options
from .registry import command
from .strings import format_long_double, parse_long_double, _LD_MAX, _round_ld

_LLONG_MAX = (1 << 63) - 1
_LLONG_MIN = -(1 << 63)
EXPIRE_TIME_MAX = (1 << 46) - 1      # Redis 7.4's ceiling for a field's expiry (ms)
ACTIVE_BUDGET = 1000                 # fields expired per cron tick

NOT_INT_HASH = "ERR hash value is not an integer"
NOT_FLOAT_HASH = "ERR hash value is not a float"
FIELDS_MISSING = "ERR Mandatory argument FIELDS is missing or not at the right position"
NUMFIELDS_WRITE = "ERR Parameter `numFields` should be greater than 0"
NUMFIELDS_READ = "ERR Number of fields must be a positive integer"
NUMFIELDS_MISMATCH = "ERR The `numfields` parameter must match the number of arguments"
NEGATIVE_EXPIRE = "ERR invalid expire time, must be >= 0"
OUT_OF_RANGE = "ERR value is out of range"
RANGE_LONG = ("ERR value is out of range, value must between -9223372036854775807 and "
              "9223372036854775807")


# ---- field expiry -------------------------------------------------------------------------
class FieldExpiry:
    """Active expiry of hash fields for one server.

    One min-heap of (earliest field expiry, key) per db, kept with the db's contents: SWAPDB
    swaps the heaps as it swaps the dicts (as Redis 7.4 keeps its field-expiry index in the
    db).  ``fx.where`` is (heap, key) -- the heap object itself, not a db number -- so a hash
    whose db was swapped is still known to be tracked, and one that RENAME/MOVE/COPY put
    under another name or db is not (the key hook tracks it again)."""

    def __init__(self, server):
        self.server = server
        self.heaps = {}          # db id -> [(when, key), ...]
        self.hooked = False
        subs = server.subsystems
        subs.setdefault("cron", []).append(self.cron)
        subs.setdefault("swapdb", []).append(self.on_swapdb)

    def _heap(self, dbi):
        heap = self.heaps.get(dbi)
        if heap is None:
            heap = self.heaps[dbi] = []
        return heap

    def track(self, db, key, h):
        when = h.next_expiry()
        if when is not None:
            heap = self._heap(db.id)
            heapq.heappush(heap, (when, key))
            h.fx.where = (heap, key)
            if not self.hooked:
                self.server.key_hooks.append(self.on_key)
                self.hooked = True

    def on_key(self, db, key):
        v = db.data.get(key)
        if type(v) is Hash:
            fx = v.fx
            if fx is not None:
                w = fx.where
                if w is None or w[0] is not self.heaps.get(db.id) or w[1] != key:
                    self.track(db, key, v)

    def on_swapdb(self, server, da, dbb):
        ha = self.heaps.pop(da.id, None)
        hb = self.heaps.pop(dbb.id, None)
        if hb is not None:
            self.heaps[da.id] = hb
        if ha is not None:
            self.heaps[dbb.id] = ha

    def tracked(self):
        """(db id, key) of every heap entry (stale ones included)."""
        for dbi, heap in self.heaps.items():
            for _, key in heap:
                yield dbi, key

    def unhook(self):
        """No hash is tracked any more: stop paying for the key hook on every write."""
        if self.hooked:
            try:
                self.server.key_hooks.remove(self.on_key)
            except ValueError:
                pass
            self.hooked = False

    def cron(self, server=None):
        server = self.server
        if server.paused_writes() or not getattr(server, "active_expire_enabled", True):
            return
        now = server.now_ms
        budget = ACTIVE_BUDGET
        for dbi, heap in list(self.heaps.items()):
            db = server.dbs[dbi]
            while heap and heap[0][0] <= now and budget > 0:
                _, key = heapq.heappop(heap)
                h = db.data.get(key)
                if type(h) is not Hash or h.fx is None:
                    continue
                if db.expires and key in db.expires and db.expires[key] <= now:
                    continue  # the key itself expires: the keyspace's cycle owns that
                nxt = h.next_expiry()
                if nxt is None:
                    continue
                if nxt <= now:
                    budget -= len(expire_fields(server, db, key, h, now, budget))
                    if db.data.get(key) is not h:
                        continue
                    nxt = h.next_expiry()
                if nxt is not None:
                    heapq.heappush(heap, (nxt, key))
                    h.fx.where = (heap, key)
        if not any(self.heaps.values()):
            self.unhook()


def field_expiry(server) -> FieldExpiry:
    fe = server.subsystems.get("hash_field_expiry")
    if fe is None:
        fe = server.subsystems["hash_field_expiry"] = FieldExpiry(server)
    return fe


def expire_fields(server, db, key, h, now, limit=None):
    """Delete ``h``'s due fields, with the events and propagation of Redis' field expiry."""
    gone = h.expire_due(now, limit)
    if gone:
        server.dirty += 1
        server.notify(N.HASH, b"hexpired", key, db)
        server.propagate_raw(db.id, [b"HDEL", key] + list(gone))
        if not h:
            db.remove_raw(key)
            db.modified(key)
            server.notify(N.GENERIC, b"del", key, db)
        else:
            db.modified(key)
    return gone


# ---- lookups ------------------------------------------------------------------------------
def _load(c, key):
    """The live hash at ``key`` (due fields removed), None, or WRONGTYPE."""
    db = c.db
    h = db.lookup(key)
    if h is None:
        return None
    if type(h) is not Hash:
        raise ReplyError(errors.WRONGTYPE)
    fx = h.fx
    if fx is not None:
        heap = fx.heap
        if heap and heap[0][0] <= c.server.now_ms:
            expire_fields(c.server, db, key, h, c.server.now_ms)
            if not h:
                return None
    return h


def _load_or_create(c, key):
    h = _load(c, key)
    if h is None:
        h = Hash()
        c.db.add(key, h)
        return h, True
    return h, False


def _written(c, key, event):
    db = c.db
    db.modified(key)
    c.server.dirty += 1
    c.server.notify(N.HASH, event, key, db)


# ---- basic commands -----------------------------------------------------------------------
def _hset_pairs(c, argv, name):
    if len(argv) < 4 or len(argv) % 2:
        raise ReplyError(errors.wrong_arity(name))
    key = argv[1]
    h, _ = _load_or_create(c, key)
    cfg = c.server.config
    h.convert_for_args(cfg, argv[2:], (len(argv) - 2) // 2)
    added = h.set_pairs(argv, 2, cfg)
    _written(c, key, b"hset")
    return added


@command("hset")
def hset(c, argv):
    """HSET key field value [field value ...]"""
    if len(argv) == 4:
        # One pair on an existing hash without field TTLs: what _load + _written do, inline.
        db = c.db
        key = argv[1]
        h = db.data.get(key)
        if type(h) is Hash and h.fx is None and not (db.expires and key in db.expires):
            server = c.server
            added = 1 if h.set(argv[2], argv[3], server.config) else 0
            now = server.now_ms
            lru = db.lru
            if not 0 <= now - lru < 1000:
                db.lru = lru = now
            db.atime[key] = lru
            if server.key_hooks:
                db.modified(key)
            server.dirty += 1
            if server.notifier is not None:
                server.notifier(N.HASH, b"hset", key, db)
            return added
    return _hset_pairs(c, argv, "hset")


@command("hmset")
def hmset(c, argv):
    """HMSET key field value [field value ...]"""
    _hset_pairs(c, argv, "hmset")
    return "OK"


@command("hsetnx")
def hsetnx(c, argv):
    """HSETNX key field value"""
    key = argv[1]
    h = _load(c, key)
    if h is not None and h.get(argv[2]) is not None:
        return 0
    if h is None:
        h, _ = _load_or_create(c, key)
    cfg = c.server.config
    h.convert_for_args(cfg, argv[2:4], 1)
    h.set(argv[2], argv[3], cfg)
    _written(c, key, b"hset")
    return 1


@command("hget")
def hget(c, argv):
    """HGET key field"""
    db = c.db
    key = argv[1]
    if db.expires and key in db.expires:
        h = _load(c, key)
    else:
        # db.lookup and _load inline (no key TTL to check)
        h = db.data.get(key)
        if h is None:
            return None
        if type(h) is not Hash:
            raise ReplyError(errors.WRONGTYPE)
        if h.fx is not None:
            h = _load(c, key)
        else:
            now = c.server.now_ms
            lru = db.lru
            if not 0 <= now - lru < 1000:
                db.lru = lru = now
            db.atime[key] = lru
    if h is None:
        return None
    v = h.v
    f = argv[2]
    if type(v) is bytes:            # Hash.get inline
        i = v.find(_F + f + _V)
        if i < 0 or 0 in f:
            return None
        i += len(f) + 2
        return v[i:v.find(_F, i)]
    return v.get(f)


@command("hmget")
def hmget(c, argv):
    """HMGET key field [field ...]"""
    h = _load(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hdel")
def hdel(c, argv):
    """HDEL key field [field ...]"""
    key = argv[1]
    h = _load(c, key)
    if h is None:
        return 0
    n = 0
    for f in argv[2:]:
        if h.delete(f):
            n += 1
    if n:
        db = c.db
        c.server.dirty += n
        c.server.notify(N.HASH, b"hdel", key, db)
        if not h:
            db.delete(key)
            c.server.notify(N.GENERIC, b"del", key, db)
        else:
            db.modified(key)
    return n


@command("hlen")
def hlen(c, argv):
    """HLEN key"""
    h = _load(c, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen")
def hstrlen(c, argv):
    """HSTRLEN key field"""
    h = _load(c, argv[1])
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hexists")
def hexists(c, argv):
    """HEXISTS key field"""
    h = _load(c, argv[1])
    return 1 if h is not None and h.get(argv[2]) is not None else 0


@command("hkeys")
def hkeys(c, argv):
    """HKEYS key"""
    h = _load(c, argv[1])
    return [] if h is None else h.keys()


@command("hvals")
def hvals(c, argv):
    """HVALS key"""
    h = _load(c, argv[1])
    return [] if h is None else h.values()


@command("hgetall")
def hgetall(c, argv):
    """HGETALL key"""
    h = _load(c, argv[1])
    return Map([] if h is None else h.items())


@command("hincrby")
def hincrby(c, argv):
    """HINCRBY key field increment"""
    key, field = argv[1], argv[2]
    incr = parse_int(argv[3])
    h = _load(c, key)
    cur = 0
    if h is not None:
        v = h.get(field)
        if v is not None:
            cur = parse_int(v, NOT_INT_HASH)
    new = cur + incr
    if new > _LLONG_MAX or new < _LLONG_MIN:
        raise ReplyError(errors.OVERFLOW)
    if h is None:
        h, _ = _load_or_create(c, key)
    h.set_keep_ttl(field, b"%d" % new, c.server.config)
    _written(c, key, b"hincrby")
    return new


def _is_inf(b):
    try:
        return b[:1] not in (b" ", b"\t", b"\n", b"\r") and float(b) in (math.inf, -math.inf)
    except ValueError:
        return False


@command("hincrbyfloat")
def hincrbyfloat(c, argv):
    """HINCRBYFLOAT key field increment"""
    key, field = argv[1], argv[2]
    if _is_inf(argv[3]):
        raise ReplyError("ERR value is NaN or Infinity")
    try:
        incr = parse_long_double(argv[3])
    except ValueError:
        raise ReplyError(errors.NOT_FLOAT) from None
    h = _load(c, key)
    cur = 0
    if h is not None:
        v = h.get(field)
        if v is not None:
            try:
                cur = parse_long_double(v)
            except ValueError:
                raise ReplyError(NOT_FLOAT_HASH) from None
    new = _round_ld(cur + incr)
    if abs(new) > _LD_MAX:
        raise ReplyError(errors.INCR_FLOAT_NAN)
    out = format_long_double(new)
    if h is None:
        h, _ = _load_or_create(c, key)
    h.set_keep_ttl(field, out, c.server.config)
    _written(c, key, b"hincrbyfloat")
    c.server.propagate_as([b"HSET", key, field, out])
    return out


# ---- HRANDFIELD -----------------------------------------------------------------------------
@command("hrandfield")
def hrandfield(c, argv):
    """HRANDFIELD key [count [WITHVALUES]]"""
    if len(argv) == 2:
        h = _load(c, argv[1])
        if h is None:
            return None
        return h.random_field()
    count = parse_int(argv[2])
    if count == _LLONG_MIN:
        raise ReplyError(RANGE_LONG)
    withvalues = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != b"WITHVALUES"):
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 4:
        withvalues = True
        if count < -(_LLONG_MAX // 2) or count > _LLONG_MAX // 2:
            raise ReplyError(OUT_OF_RANGE)
    h = _load(c, argv[1])
    if h is None or count == 0:
        return []
    pairs = h.random_pairs(count)
    if not withvalues:
        return [f for f, _ in pairs]
    if c.resp3:
        return [[f, v] for f, v in pairs]
    return [x for kv in pairs for x in kv]


# ---- HSCAN ----------------------------------------------------------------------------------
@command("hscan")
def hscan(c, argv):
    """HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]"""
    cursor = parse_scan_cursor(argv[2])
    h = _load(c, argv[1])
    if h is None:
        return [b"0", []]
    pattern, count, typ, novalues = parse_scan_options(argv, 3)
    if typ is not None:
        raise ReplyError(errors.SYNTAX)
    m = None
    if pattern is not None and not glob.matches_everything(pattern):
        m = glob.compile(pattern)
    if not h.big:
        nxt, page = 0, h.keys()
        get = h.get
    else:
        d = h.table()
        ex = h.table_extra()
        if ex.scans is None:
            ex.scans = ScanSnapshots()
        nxt, page = ex.scans.page(d, cursor, count)
        get = d.get
    out = []
    for f in page:
        v = get(f)
        if v is None or (m is not None and not m(f)):
            continue
        out.append(f)
        if not novalues:
            out.append(v)
    return [b"%d" % nxt, out]


# ---- field expiration (Redis 7.4) ---------------------------------------------------------
def _fields_arg(argv, at, numfields_err):
    """``FIELDS numfields field...`` starting at ``argv[at]`` -> the field list."""
    if at >= len(argv) or argv[at].upper() != b"FIELDS":
        raise ReplyError(FIELDS_MISSING)
    if at + 1 >= len(argv):
        raise ReplyError(numfields_err)
    try:
        n = parse_int(argv[at + 1])
    except ReplyError:
        raise ReplyError(numfields_err) from None
    if n < 1:
        raise ReplyError(numfields_err)
    if n != len(argv) - at - 2:
        raise ReplyError(NUMFIELDS_MISMATCH)
    return argv[at + 2:]


def _hexpire(c, argv, unit_ms, absolute):
    name = argv[0].decode("utf-8", "replace").lower()
    db = c.db
    key = argv[1]
    h = db.lookup(key)
    if h is not None and type(h) is not Hash:
        raise ReplyError(errors.WRONGTYPE)
    now = c.server.now_ms
    when = parse_int(argv[2])
    if when < 0:
        raise ReplyError(NEGATIVE_EXPIRE)
    if unit_ms == 1000:
        if when > EXPIRE_TIME_MAX // 1000:
            raise ReplyError(errors.INVALID_EXPIRE.format(name))
        when *= 1000
    base = 0 if absolute else now
    if when > EXPIRE_TIME_MAX - base:
        raise ReplyError(errors.INVALID_EXPIRE.format(name))
    when += base
    cond = None
    at = 3
    if len(argv) > 3 and argv[3].upper() in (b"NX", b"XX", b"GT", b"LT"):
        cond = argv[3].upper()
        at = 4
    fields = _fields_arg(argv, at, NUMFIELDS_WRITE)
    h = _load(c, key)
    if h is None:
        return [-2] * len(fields)
    out = []
    updated = []
    deleted = []
    for f in fields:
        if h.get(f) is None:
            out.append(-2)
            continue
        cur = h.get_ttl(f)
        if ((cond == b"NX" and cur is not None) or (cond == b"XX" and cur is None)
                or (cond == b"GT" and (cur is None or when <= cur))
                or (cond == b"LT" and cur is not None and when >= cur)):
            out.append(0)
            continue
        if when <= now:
            h.delete(f)
            deleted.append(f)
            out.append(2)
        else:
            h.set_ttl(f, when)
            updated.append(f)
            out.append(1)
    if not updated and not deleted:
        return out
    server = c.server
    server.dirty += 1
    props = []
    if deleted:
        server.notify(N.HASH, b"hdel", key, db)
        props.append([b"HDEL", key] + deleted)
    if updated:
        server.notify(N.HASH, b"hexpire", key, db)
        props.append([b"HPEXPIREAT", key, b"%d" % when, b"FIELDS", b"%d" % len(updated)] + updated)
        field_expiry(server).track(db, key, h)
    if not h:
        db.delete(key)
        server.notify(N.GENERIC, b"del", key, db)
        props = [[b"DEL", key]]
    else:
        db.modified(key)
    server.propagate_as(*props)
    return out


@command("hexpire")
def hexpire(c, argv):
    """HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"""
    return _hexpire(c, argv, 1000, False)


@command("hpexpire")
def hpexpire(c, argv):
    """HPEXPIRE key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"""
    return _hexpire(c, argv, 1, False)


@command("hexpireat")
def hexpireat(c, argv):
    """HEXPIREAT key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"""
    return _hexpire(c, argv, 1000, True)


@command("hpexpireat")
def hpexpireat(c, argv):
    """HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]"""
    return _hexpire(c, argv, 1, True)


def _field_ttls(c, argv, fmt):
    db = c.db
    h = db.lookup(argv[1])
    if h is not None and type(h) is not Hash:
        raise ReplyError(errors.WRONGTYPE)
    fields = _fields_arg(argv, 2, NUMFIELDS_READ)
    h = _load(c, argv[1])
    if h is None:
        return [-2] * len(fields)
    now = c.server.now_ms
    out = []
    for f in fields:
        if h.get(f) is None:
            out.append(-2)
            continue
        when = h.get_ttl(f)
        out.append(-1 if when is None else fmt(when, now))
    return out


@command("httl")
def httl(c, argv):
    """HTTL key FIELDS numfields field [field ...]"""
    return _field_ttls(c, argv, lambda w, now: (w - now + 999) // 1000)


@command("hpttl")
def hpttl(c, argv):
    """HPTTL key FIELDS numfields field [field ...]"""
    return _field_ttls(c, argv, lambda w, now: w - now)


@command("hexpiretime")
def hexpiretime(c, argv):
    """HEXPIRETIME key FIELDS numfields field [field ...]"""
    return _field_ttls(c, argv, lambda w, now: (w + 999) // 1000)


@command("hpexpiretime")
def hpexpiretime(c, argv):
    """HPEXPIRETIME key FIELDS numfields field [field ...]"""
    return _field_ttls(c, argv, lambda w, now: w)


@command("hpersist")
def hpersist(c, argv):
    """HPERSIST key FIELDS numfields field [field ...]"""
    db = c.db
    key = argv[1]
    h = db.lookup(key)
    if h is not None and type(h) is not Hash:
        raise ReplyError(errors.WRONGTYPE)
    fields = _fields_arg(argv, 2, NUMFIELDS_READ)
    h = _load(c, key)
    if h is None:
        return [-2] * len(fields)
    out = []
    changed = False
    for f in fields:
        if h.get(f) is None:
            out.append(-2)
        elif h.persist(f):
            out.append(1)
            changed = True
        else:
            out.append(-1)
    if changed:
        _written(c, key, b"hpersist")
    return out
