"""Batch handlers: one command repeated through a whole pipeline (``GET k1``, ``GET k2``...,
the shape of cache warmers, bulk loaders and redis-benchmark), run in one go.

``dispatch.execute_batch`` calls them only when nothing gates or observes single commands
(plain client, no MONITOR, replies on, server not gated); each handler then checks what
its own command needs (no keyspace notifier, no key hooks, no AOF/replica propagation,
no lazily-expiring key involved...) and declines (returns None) otherwise, BEFORE changing
anything.  The result must be byte-identical to running the commands one by one: same
replies, same keyspace, same stats (hits/misses, dirty).  tests/commands/test_batched.py
checks each against the one-by-one path.

ZADD (the one-pair form into existing skiplist zsets) and LPUSH/RPUSH (one element into
existing lists) are here too.

The saving is the per-command dispatch work (lookup, arity, timing, stats) and, for GET and
SET, the per-command Python loop itself: the columns go through C-level map/zip/join.
"""

from itertools import chain

from ..datatypes.hashtype import Hash
from ..datatypes.listtype import ListValue
from ..datatypes.settype import Set
from ..datatypes.zset import ADDED, ZSet
from ..keyspace.blocking import parse_timeout
from ..protocol.encoder import bulk_strings, encode, encode_into, format_doubles
from ..protocol.replies import ReplyError
from .registry import batch

_flat = chain.from_iterable

_ONLY_BYTES = frozenset((bytes,))
_BYTES_OR_NONE = frozenset((bytes, type(None)))
_ONLY_NONE = frozenset((type(None),))
_INT_REPLY = b":%d\r\n"


@batch("get")
def get_batch(c, cols):
    if len(cols) != 2:
        return None
    server = c.server
    if server.notifier is not None:         # keymiss events, one per miss
        return None
    db = c.db
    keys = cols[1]
    expires = db.expires
    if expires and not expires.keys().isdisjoint(keys):
        return None                         # lazy expiry: leave it to GET itself
    vals = list(map(db.data.get, keys))
    m = len(vals)
    kinds = set(map(type, vals))
    if kinds == _ONLY_NONE:                 # all misses: no access time to record
        server.stats.keyspace_misses += m
        return (b"_\r\n" if c.resp3 else b"$-1\r\n") * m
    if kinds == _ONLY_BYTES:
        data = bulk_strings(vals)
        db.atime.update(dict.fromkeys(keys, db.lru_clock()))
        server.stats.keyspace_hits += m
        return data
    if kinds <= _BYTES_OR_NONE:
        null = b"_\r\n" if c.resp3 else b"$-1\r\n"
        out = [null if v is None else b"$%d\r\n%b\r\n" % (len(v), v) for v in vals]
        misses = vals.count(None)
        hits = [k for k, v in zip(keys, vals) if v is not None]
        if hits:
            db.atime.update(dict.fromkeys(hits, db.lru_clock()))
        server.stats.keyspace_hits += m - misses
        server.stats.keyspace_misses += misses
        return b"".join(out)
    return None                             # bytearray values, other types (WRONGTYPE)


def _quiet(server):
    """Nobody observes single writes: no notifier, key hooks (WATCH, tracking, blocked
    clients, field TTLs...) or propagation (AOF, replicas), and overwritten values are
    freed at once (lazyfree-lazy-server-del off: the batches store without looking)."""
    return (server.notifier is None and not server.key_hooks and not server.propagating
            and not server.config.lazyfree_lazy_server_del)


def _quiet_untimed_keys(c, cols, width):
    """The key column of a batch of ``width``-argument commands when nothing observes
    single writes (_quiet) and none of the keys has a TTL (lazy expiry stays with the
    command itself); else None."""
    if len(cols) != width or not _quiet(c.server):
        return None
    keys = cols[1]
    expires = c.db.expires
    if expires and not expires.keys().isdisjoint(keys):
        return None
    return keys


@batch("set")
def set_batch(c, cols):
    if len(cols) != 3:                      # SET key value, without options
        return None
    server = c.server
    if not _quiet(server):
        return None
    db = c.db
    keys = cols[1]
    db.data.update(zip(keys, cols[2]))      # in order: a repeated key ends with its last value
    db.atime.update(dict.fromkeys(keys, db.lru_clock()))
    expires = db.expires
    if expires and not expires.keys().isdisjoint(keys):
        pop = expires.pop
        for k in keys:
            pop(k, None)
    m = len(keys)
    server.dirty += m
    return b"+OK\r\n" * m


@batch("mset")
def mset_batch(c, cols):
    n = len(cols)
    if n < 3 or not n & 1:
        return None
    server = c.server
    if not _quiet(server):
        return None
    db = c.db
    data, expires = db.data, db.expires
    lru = db.lru_clock()
    atime = db.atime
    # The key/value pairs of all the commands in command order (rows of the argument
    # columns, flattened by C loops): dict.update keeps the last write of a repeated key.
    flat = _flat(zip(*cols[1:]))
    data.update(zip(flat, flat))
    atime.update(dict.fromkeys(_flat(cols[1::2]), lru))
    if expires:
        keys = set(_flat(cols[1::2]))
        if not expires.keys().isdisjoint(keys):
            for k in keys:
                expires.pop(k, None)
    m = len(cols[0])
    server.dirty += m * ((n - 1) // 2)
    return b"+OK\r\n" * m


def _incr_batch(c, cols, delta):
    keys = _quiet_untimed_keys(c, cols, 2)
    if keys is None:
        return None
    server = c.server
    db = c.db
    data = db.data
    spec = c.server.commands[cols[0][0]]
    lru = db.lru_clock()
    atime = db.atime
    m = len(keys)
    key = keys[0]
    if keys.count(key) == m:
        # one counter hit m times (a hot counter): one parse, the m replies by C loops
        v = data.get(key)
        if v is None:
            v = b"0"
        if type(v) is bytes and 0 < len(v) < 19 and v.isdigit() and (v[0] != 48 or len(v) == 1):
            start = int(v)                  # < 10**18, and m is far below 10**18: no overflow
            last = start + delta * m
            data[key] = b"%d" % last
            atime[key] = lru
            server.dirty += m
            return b"".join(map(_INT_REPLY.__mod__, range(start + delta, last + delta, delta)))
    out = []
    for i, key in enumerate(keys):
        v = data.get(key)
        if v is None:
            new = delta
        elif (type(v) is bytes and 0 < len(v) < 19 and v.isdigit() and (v[0] != 48 or len(v) == 1)):
            new = int(v) + delta            # < 10**18: no overflow possible
        else:
            # anything unusual (a negative or huge number, not a number, another type):
            # the command's own handler, with execute()'s error accounting
            try:
                out.append(b":%d\r\n" % spec.handler(c, [cols[0][i], key]))
            except ReplyError as e:
                spec.failed_calls += 1
                out.append(encode(server.error_reply(e.message), c.resp3))
            continue
        data[key] = b"%d" % new
        atime[key] = lru
        server.dirty += 1
        out.append(b":%d\r\n" % new)
    return b"".join(out)


@batch("incr")
def incr_batch(c, cols):
    return _incr_batch(c, cols, 1)


@batch("decr")
def decr_batch(c, cols):
    return _incr_batch(c, cols, -1)


@batch("zadd")
def zadd_batch(c, cols):
    """``ZADD key score member`` repeated, the form zsets.zadd runs without option parsing:
    every score a plain decimal (exact as a double, never a flag), every key an existing
    skiplist-encoded zset without a TTL (no encoding conversion, no lazy expiry; a non-empty
    zset has no blocked client waiting on it)."""
    keys = _quiet_untimed_keys(c, cols, 4)
    if keys is None:
        return None
    scores = cols[2]
    try:
        if not all(map(bytes.isdigit, scores)) or max(map(len, scores)) > 17:
            return None
    except TypeError:                       # not bytes
        return None
    server = c.server
    db = c.db
    data = db.data
    for k in set(keys):
        zv = data.get(k)
        if type(zv) is not ZSet or zv.lp is not None:
            return None
    db.atime.update(dict.fromkeys(keys, db.lru_clock()))
    out = []
    added = ADDED
    dirty = 0
    for key, sb, member in zip(keys, scores, cols[3]):
        outcome = data[key].add(member, float(sb))
        if outcome:
            dirty += 1
            out.append(b":1\r\n" if outcome == added else b":0\r\n")
        else:
            out.append(b":0\r\n")
    server.dirty += dirty
    return b"".join(out)


def _push_batch(c, cols, left):
    """``LPUSH/RPUSH key element`` repeated into existing lists without a TTL (the form
    lists._push runs without its generic helper; a non-empty list has no blocked client
    waiting on it)."""
    keys = _quiet_untimed_keys(c, cols, 3)
    if keys is None:
        return None
    server = c.server
    db = c.db
    data = db.data
    for k in set(keys):
        if type(data.get(k)) is not ListValue:
            return None
    db.atime.update(dict.fromkeys(keys, db.lru_clock()))
    out = [b":%d\r\n" % data[key].push_one(v, left) for key, v in zip(keys, cols[2])]
    server.dirty += len(keys)
    return b"".join(out)


@batch("lpush")
def lpush_batch(c, cols):
    return _push_batch(c, cols, True)


@batch("rpush")
def rpush_batch(c, cols):
    return _push_batch(c, cols, False)


# ---- collections: pops, HSET, SADD, reads repeated ------------------------------------------
# The writes below take only keys that exist with the right type, have no TTL and stay
# non-empty through the whole batch (no deletion, no new key, so no blocked client can be
# waiting on them and no encoding is chosen afresh); anything else is declined.


def _existing(data, keys, cls, need=None):
    """True when every key of ``keys`` holds a ``cls`` value and, with ``need``, more than
    as many elements as the batch removes from it (each key still holds one at the end)."""
    get = data.get
    if need is None:
        for k in set(keys):
            if type(get(k)) is not cls:
                return False
        return True
    m = len(keys)
    k0 = keys[0]
    if keys.count(k0) == m:
        v = get(k0)
        return type(v) is cls and len(v) > m
    counts = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    for k, n in counts.items():
        v = get(k)
        if type(v) is not cls or len(v) <= n:
            return False
    return True


def _touch(db, keys):
    lru = db.lru_clock()
    if len(keys) > 1 and keys.count(keys[0]) == len(keys):
        db.atime[keys[0]] = lru
    else:
        db.atime.update(dict.fromkeys(keys, lru))


def _list_pop_batch(c, cols, left):
    """``LPOP/RPOP key`` repeated on lists that keep at least one element."""
    keys = _quiet_untimed_keys(c, cols, 2)
    if keys is None:
        return None
    db = c.db
    data = db.data
    if not _existing(data, keys, ListValue, True):
        return None
    _touch(db, keys)
    m = len(keys)
    k0 = keys[0]
    if keys.count(k0) == m:
        # one list: a counted pop (its encoding check at the end gives the same result as
        # one per pop: the shrink condition only becomes true as the list shrinks)
        lv = data[k0]
        vals = lv.lpop(m) if left else lv.rpop(m)
    else:
        vals = [data[k].pop_one(left) for k in keys]
    c.server.dirty += m
    return bulk_strings(vals)


@batch("lpop")
def lpop_batch(c, cols):
    return _list_pop_batch(c, cols, True)


@batch("rpop")
def rpop_batch(c, cols):
    return _list_pop_batch(c, cols, False)


def _zpop_replies(pairs, head, resp3):
    """The replies of single pops: ``head`` (``*2``, or ``*3`` and the key) then member and
    score, as the encoder writes ``[m, s]`` / ``[key, m, s]``."""
    ss = format_doubles([s for _m, s in pairs])
    if resp3:
        fmt = head + b"$%d\r\n%b\r\n,%b\r\n"
        return b"".join([fmt % (len(m), m, s) for (m, _s), s in zip(pairs, ss)])
    fmt = head + b"$%d\r\n%b\r\n$%d\r\n%b\r\n"
    return b"".join([fmt % (len(m), m, len(s), s) for (m, _s), s in zip(pairs, ss)])


def _zpop_batch(c, keys, maximum):
    db = c.db
    data = db.data
    if not _existing(data, keys, ZSet, True):
        return None
    _touch(db, keys)
    m = len(keys)
    k0 = keys[0]
    if keys.count(k0) == m:
        pop = data[k0].pop_one
        pairs = [pop(maximum) for _ in range(m)]
    else:
        pairs = [data[k].pop_one(maximum) for k in keys]
    c.server.dirty += m
    return pairs


def _zpop_plain(c, cols, maximum):
    """``ZPOPMIN/ZPOPMAX key`` repeated on zsets that keep at least one member."""
    keys = _quiet_untimed_keys(c, cols, 2)
    if keys is None:
        return None
    pairs = _zpop_batch(c, keys, maximum)
    if pairs is None:
        return None
    return _zpop_replies(pairs, b"*2\r\n", c.resp3)


@batch("zpopmin")
def zpopmin_batch(c, cols):
    return _zpop_plain(c, cols, False)


@batch("zpopmax")
def zpopmax_batch(c, cols):
    return _zpop_plain(c, cols, True)


def _bzpop_batch(c, cols, maximum):
    """``BZPOPMIN/BZPOPMAX key timeout`` (one key) repeated on zsets that keep at least one
    member: none of them blocks, each pops like ZPOPMIN/ZPOPMAX and answers with the key."""
    keys = _quiet_untimed_keys(c, cols, 3)
    if keys is None:
        return None
    try:
        for t in set(cols[2]):
            parse_timeout(t)
    except (ReplyError, TypeError):         # an invalid timeout: its error, one by one
        return None
    k0 = keys[0]
    if keys.count(k0) != len(keys):
        return None
    pairs = _zpop_batch(c, keys, maximum)
    if pairs is None:
        return None
    return _zpop_replies(pairs, b"*3\r\n$%d\r\n%b\r\n" % (len(k0), k0), c.resp3)


@batch("bzpopmin")
def bzpopmin_batch(c, cols):
    return _bzpop_batch(c, cols, False)


@batch("bzpopmax")
def bzpopmax_batch(c, cols):
    return _bzpop_batch(c, cols, True)


@batch("hset")
def hset_batch(c, cols):
    """``HSET key field value`` repeated into existing hashes without field TTLs (what
    hashes.hset does for that form, minus the per-command dispatch)."""
    keys = _quiet_untimed_keys(c, cols, 4)
    if keys is None:
        return None
    db = c.db
    data = db.data
    get = data.get
    for k in set(keys):
        h = get(k)
        if type(h) is not Hash or h.fx is not None:
            return None
    _touch(db, keys)
    cfg = c.server.config
    out = [b":1\r\n" if data[k].set(f, v, cfg) else b":0\r\n"
           for k, f, v in zip(keys, cols[2], cols[3])]
    c.server.dirty += len(keys)
    return b"".join(out)


@batch("sadd")
def sadd_batch(c, cols):
    """``SADD key member`` repeated into existing sets."""
    keys = _quiet_untimed_keys(c, cols, 3)
    if keys is None:
        return None
    db = c.db
    data = db.data
    if not _existing(data, keys, Set):
        return None
    _touch(db, keys)
    cfg = c.server.config
    out = [b":1\r\n" if data[k].add(mb, cfg) else b":0\r\n" for k, mb in zip(keys, cols[2])]
    c.server.dirty += out.count(b":1\r\n")
    return b"".join(out)


@batch("spop")
def spop_batch(c, cols):
    """``SPOP key`` repeated on sets that keep at least one member (the same random picks
    as one by one: one draw per pop, in order)."""
    keys = _quiet_untimed_keys(c, cols, 2)
    if keys is None:
        return None
    db = c.db
    data = db.data
    if not _existing(data, keys, Set, True):
        return None
    _touch(db, keys)
    m = len(keys)
    k0 = keys[0]
    if keys.count(k0) == m:
        pop = data[k0].pop_random
        vals = [pop() for _ in range(m)]
    else:
        vals = [data[k].pop_random() for k in keys]
    c.server.dirty += m
    return bulk_strings(vals)


def _read_batch(c, cols):
    """A read-only command repeated (ZRANGE, LRANGE), its arity already checked: identical
    commands are answered once and the reply repeated; different ones run their handler in
    turn (without the per-command dispatch).  Keys with a TTL are left to the commands (lazy
    expiry).  Nothing but access times changes, so declining after a handler ran is fine."""
    expires = c.db.expires
    if expires and not expires.keys().isdisjoint(cols[1]):
        return None
    server = c.server
    spec = server.commands[cols[0][0]]
    handler = spec.handler
    resp3 = c.resp3
    m = len(cols[0])
    if all(col.count(col[0]) == m for col in cols[1:]):
        try:
            reply = handler(c, [col[0] for col in cols])
        except Exception:                   # errors are counted per command: one by one
            return None
        return encode(reply, resp3) * m
    out = []
    errors = []
    try:
        for argv in zip(*cols):
            try:
                reply = handler(c, list(argv))
            except ReplyError as e:
                errors.append(e.message)
                reply = ReplyError(e.message)
            encode_into(out, reply, resp3)
    except Exception:                       # a bug: let execute() report it, one by one
        return None
    for msg in errors:
        spec.failed_calls += 1
        server.error_reply(msg)             # the error stats
    return b"".join(out)


@batch("zrange")
def zrange_batch(c, cols):
    if len(cols) < 4:                       # arity -4
        return None
    return _read_batch(c, cols)


@batch("lrange")
def lrange_batch(c, cols):
    if len(cols) != 4:
        return None
    return _read_batch(c, cols)
