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

from ..datatypes.listtype import ListValue
from ..datatypes.zset import ADDED, ZSet
from ..protocol.encoder import bulk_strings, encode
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
    clients, field TTLs...) or propagation (AOF, replicas)."""
    return server.notifier is None and not server.key_hooks and not server.propagating


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
