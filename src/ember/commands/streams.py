"""Stream commands (Redis group "stream").

Values are ``datatypes.stream.Stream``; IDs are packed ints (``ms << 64 | seq``) inside and
"ms-seq" bulk strings on the wire.  Every handler parses all of its arguments before it
touches the keyspace, in the order Redis reports errors.  A stream that becomes empty is
kept (streams are never deleted by XDEL/XTRIM), as in Redis.

Replies: an entry is ``[id, [f1, v1, ...]]`` (a deleted entry read from a consumer's history
is ``[id, nil]``); XREAD/XREADGROUP answer an array of ``[key, entries]`` in RESP2 and a map
key -> entries in RESP3, and a null array when nothing was read.

Propagation (AOF / replicas) follows Redis: ``*`` IDs and ``~`` trims are rewritten to the
exact values used; XREADGROUP / XCLAIM / XAUTOCLAIM effects go out as
``XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last``, group
position changes as ``XGROUP SETID key group id ENTRIESREAD n``.
"""

from .. import errors
from ..datatypes.stream import (INVALID_ENTRIES_READ, MAX_ID, U64, Group, Stream, id_bytes,
                                ids_from, pack, unpack)
from ..keyspace import notify as N
from ..keyspace.blocking import signal_key_ready
from ..protocol.encoder import BULK_HEADS, bulk_strings, encode
from ..protocol.replies import NULL_ARRAY, Map, Raw, ReplyError
from .args import parse_int
from .registry import command

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
XADD_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
XGROUP_NOKEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                "may want to use the MKSTREAM option to create an empty stream automatically.")
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
TIMEOUT_NOT_INT = "ERR timeout is not an integer or out of range"


def _s(b) -> str:
    return b.decode("utf-8", "replace")


def nogroup_key(key, group):
    return "NOGROUP No such key '%s' or consumer group '%s'" % (_s(key), _s(group))


def nogroup_for(key, group):
    return "NOGROUP No such consumer group '%s' for key name '%s'" % (_s(group), _s(key))


# ---- ID parsing -----------------------------------------------------------------------------
_SPACES = b" \t\n\v\f\r"


def _u64(b):
    """Redis' string2ull: a strict integer first (negative: invalid), else C strtoull()
    over the whole text (leading spaces, a sign; "-n" wraps around, as in C)."""
    if not b:
        return None
    try:
        v = parse_int(b)
        return v if v >= 0 else None
    except ReplyError:
        pass
    s = b.lstrip(_SPACES)
    neg = s[:1] == b"-"
    if s[:1] in (b"+", b"-"):
        s = s[1:]
    if not s or not s.isdigit():
        return None
    v = int(s)
    if v > U64:
        return None
    return (-v) & U64 if neg else v


def parse_id(b, missing_seq=0, strict=False):
    """An ID argument -> packed int.  ``-``/``+`` are the minimum/maximum unless ``strict``;
    "ms" alone means ms-``missing_seq``."""
    if len(b) > 127:
        raise ReplyError(INVALID_ID)
    if len(b) == 1:
        if b == b"-":
            if strict:
                raise ReplyError(INVALID_ID)
            return 0
        if b == b"+":
            if strict:
                raise ReplyError(INVALID_ID)
            return MAX_ID
    dash = b.find(b"-")
    if dash < 0:
        ms = _u64(b)
        if ms is None:
            raise ReplyError(INVALID_ID)
        return pack(ms, missing_seq)
    ms = _u64(b[:dash])
    seq = _u64(b[dash + 1:])
    if ms is None or seq is None:
        raise ReplyError(INVALID_ID)
    return pack(ms, seq)


def parse_interval(b, missing_seq, start):
    """A range bound: an ID, ``-``/``+``, or ``(ID`` (exclusive)."""
    if len(b) > 1 and b[:1] == b"(":
        i = parse_id(b[1:], missing_seq, strict=True)
        if start:
            if i == MAX_ID:
                raise ReplyError("ERR invalid start ID for the interval")
            return i + 1 if (i & U64) != U64 else pack((i >> 64) + 1, 0)
        if i == 0:
            raise ReplyError("ERR invalid end ID for the interval")
        return i - 1 if (i & U64) else pack((i >> 64) - 1, U64)
    return parse_id(b, missing_seq)


def _incr(i):
    return i + 1 if (i & U64) != U64 else pack((i >> 64) + 1, 0)


def _parse_xadd_id(b):
    """XADD's ID: ('auto', None) for ``*``, ('ms', ms) for ``ms-*``, ('id', packed)."""
    if b == b"*":
        return "auto", None
    if len(b) > 2 and b.endswith(b"-*"):
        ms = _u64(b[:-2])
        if ms is None or len(b) > 127:
            raise ReplyError(INVALID_ID)
        return "ms", ms
    i = parse_id(b, 0, strict=True)
    return "id", i


# ---- helpers --------------------------------------------------------------------------------
def _get(c, key):
    return c.db.get_typed(key, Stream)


def _node_max(c):
    return c.server.config.stream_node_max_entries


def _entry(i, fv):
    return [id_bytes(i), list(fv)]


def _entries(items):
    return [[id_bytes(i), list(fv)] for i, fv in items]


def ids_bytes(ids) -> list:
    """``[id_bytes(i) for i in ids]`` inlined (a comprehension measured faster than one
    %-format of all the halves built with map)."""
    return [b"%d-%d" % (i >> 64, i & U64) for i in ids]


def _entries_of(ids, fvs) -> list:
    """Reply entries ``[[id, [f, v, ...]], ...]`` from parallel lists (Stream.span)."""
    return list(map(list, zip(ids_bytes(ids), map(list, fvs))))


# ---- entries straight to RESP bytes ----------------------------------------------------------
# A client on a connection (``c.transport`` set) only ever has its replies encoded, so the
# read commands hand it the bytes of the entries array (Raw) instead of building nested lists
# for the encoder to walk: same bytes in RESP2 and RESP3.  Each entry's encoding is made at
# its first such read and kept in the stream (Stream.span_memo): a consumer group, another
# group, a re-delivery or an XRANGE reading it again only join bytes.  Other clients
# (scripts, embedded, AOF loading) get the lists.  tests/commands/test_streams.py compares
# the two.
def _entry_wire(i, fv) -> bytes:
    idb = b"%d-%d" % (i >> 64, i & U64)
    return b"*2\r\n$%d\r\n%b\r\n*%d\r\n%b" % (len(idb), idb, len(fv), bulk_strings(fv))


def _wire(memos) -> bytes:
    """The entries array from the entries' encodings."""
    memos.insert(0, b"*%d\r\n" % len(memos))
    return b"".join(memos)


def _signal_ready(c, key):
    """Wake clients blocked on ``key`` (blocking installs itself on the server on first
    use: nothing to do before that)."""
    m = getattr(c.server, "blocking", None)
    if m is not None and m.by_key:
        signal_key_ready(c.db, key)


def _modified(c, key, n=1):
    c.db.modified(key)
    c.server.dirty += n


# ---- trimming arguments (XADD / XTRIM) -------------------------------------------------------
class TrimArgs:
    __slots__ = ("strategy", "approx", "maxlen", "minid", "limit", "limit_given", "nomkstream")

    def __init__(self):
        self.strategy = None
        self.approx = False
        self.maxlen = None
        self.minid = None
        self.limit = 0
        self.limit_given = False
        self.nomkstream = False


def _parse_trim(c, argv, i, xadd):
    """Options starting at ``argv[i]``; returns (TrimArgs, index of the first non-option)."""
    t = TrimArgs()
    n = len(argv)
    while i < n:
        o = argv[i].upper()
        more = n - i - 1
        if xadd and o == b"NOMKSTREAM":
            t.nomkstream = True
        elif more >= 1 and o in (b"MAXLEN", b"MINID"):
            if t.strategy is not None and t.strategy != o:
                raise ReplyError("ERR syntax error, MAXLEN and MINID options at the same time "
                                 "are not compatible")
            nxt = argv[i + 1]
            if more >= 2 and nxt in (b"~", b"="):
                t.approx = nxt == b"~"
                i += 1
            else:
                t.approx = False
            i += 1
            t.strategy = o
            if o == b"MAXLEN":
                v = parse_int(argv[i])
                if v < 0:
                    raise ReplyError("ERR The MAXLEN argument must be >= 0.")
                t.maxlen = v
            else:
                t.minid = parse_id(argv[i], 0, strict=True)
        elif more >= 1 and o == b"LIMIT":
            v = parse_int(argv[i + 1])
            if v < 0:
                raise ReplyError("ERR The LIMIT argument must be >= 0.")
            t.limit = v
            t.limit_given = True
            i += 1
        else:
            if xadd:
                break
            raise ReplyError(errors.SYNTAX)
        i += 1
    if t.limit_given and not t.approx:
        raise ReplyError("ERR syntax error, LIMIT cannot be used without the special ~ option")
    if t.strategy is None and not xadd:
        raise ReplyError(errors.SYNTAX)
    if t.approx and not t.limit_given:
        nm = _node_max(c)
        t.limit = 100 * nm if nm > 0 else 10000
        if t.limit <= 0 or t.limit > 1000000:
            t.limit = 10000
    elif not t.approx:
        t.limit = 0
    return t, i


_NO_TRIM = TrimArgs()    # XADD without options (read only)


def _trim(s, t):
    if t.strategy == b"MAXLEN":
        return s.trim(maxlen=t.maxlen, approx=t.approx, limit=t.limit)
    return s.trim(minid=t.minid, approx=t.approx, limit=t.limit)


def _trim_rewrite(s, t):
    """The exact trim arguments an approximate trim amounted to (for propagation)."""
    if t.strategy == b"MAXLEN":
        return [b"MAXLEN", b"=", b"%d" % len(s)]
    return [b"MINID", b"=", id_bytes(s.first_id() if len(s) else s.last_id)]


# ---- XADD / XLEN / XDEL / XTRIM --------------------------------------------------------------
@command("xadd")
def xadd(c, argv):
    """XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ..."""
    a = argv[2]
    if a == b"*" or a[:1].isdigit():    # no option (none starts so): the common form
        t, i = _NO_TRIM, 2
    else:
        t, i = _parse_trim(c, argv, 2, True)
    nfv = len(argv) - i - 1
    if nfv < 2 or nfv % 2:
        raise ReplyError(errors.wrong_arity("xadd"))
    kind, idv = _parse_xadd_id(argv[i])
    if kind == "id" and idv == 0:
        raise ReplyError(XADD_ZERO)
    key = argv[1]
    db = c.db
    server = c.server
    s = _get(c, key)
    created = False
    cfg = server.config
    if s is None:
        if t.nomkstream:
            return None
        s = Stream(cfg.stream_node_max_entries, cfg.stream_node_max_bytes)
        created = True
    else:   # the node limits in force now (CONFIG SET applies to the next appends)
        limits = s.limits
        if (limits[0] != cfg.stream_node_max_entries
                or limits[1] != cfg.stream_node_max_bytes):
            s.set_node_limits(cfg.stream_node_max_entries, cfg.stream_node_max_bytes)
    if s.last_id == MAX_ID:
        raise ReplyError(EXHAUSTED)
    if kind == "auto":
        new = s.next_id(server.now_ms)
        if new is None:
            raise ReplyError(EXHAUSTED)
    elif kind == "ms":
        new = s.id_for_ms(idv)
        if new is None:
            raise ReplyError(XADD_TOO_SMALL)
    else:
        new = idv
        if new <= s.last_id:
            raise ReplyError(XADD_TOO_SMALL)
    s.append(new, tuple(argv[i + 1:]))
    if created:
        db.add(key, s)
    else:
        db.modified(key)
    server.dirty += 1
    server.notify(N.STREAM, b"xadd", key, db)
    idb = b"%d-%d" % (new >> 64, new & U64)
    removed = 0
    if t.strategy is not None:
        removed = _trim(s, t)
        if removed:
            server.notify(N.STREAM, b"xtrim", key, db)
    if server.propagating and (kind != "id" or (t.approx and t.strategy is not None)):
        out = [argv[0], key]
        if t.nomkstream:
            out.append(b"NOMKSTREAM")
        if t.strategy is not None:
            if t.approx:
                out.extend(_trim_rewrite(s, t))
            else:
                out.extend([t.strategy, b"=", argv_threshold(t)])
        out.append(idb)
        out.extend(argv[i + 1:])
        server.propagate_as(out)
    _signal_ready(c, key)
    return idb


def argv_threshold(t):
    return b"%d" % t.maxlen if t.strategy == b"MAXLEN" else id_bytes(t.minid)


@command("xlen")
def xlen(c, argv):
    """XLEN key"""
    s = _get(c, argv[1])
    return len(s) if s is not None else 0


@command("xdel")
def xdel(c, argv):
    """XDEL key id [id ...]"""
    ids = [parse_id(b, 0, strict=True) for b in argv[2:]]
    key = argv[1]
    s = _get(c, key)
    if s is None:
        return 0
    n = 0
    for i in ids:
        if s.delete(i):
            n += 1
    if n:
        _modified(c, key, n)
        c.server.notify(N.STREAM, b"xdel", key, c.db)
    return n


@command("xtrim")
def xtrim(c, argv):
    """XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]"""
    t, _ = _parse_trim(c, argv, 2, False)
    key = argv[1]
    s = _get(c, key)
    if s is None:
        return 0
    n = _trim(s, t)
    if n:
        _modified(c, key, n)
        c.server.notify(N.STREAM, b"xtrim", key, c.db)
        if t.approx:
            c.server.propagate_as([argv[0], key] + _trim_rewrite(s, t))
    return n


# ---- XRANGE / XREVRANGE ----------------------------------------------------------------------
def _range(c, argv, rev):
    key = argv[1]
    if rev:
        hi = parse_interval(argv[2], U64, False)
        lo = parse_interval(argv[3], 0, True)
    else:
        lo = parse_interval(argv[2], 0, True)
        hi = parse_interval(argv[3], U64, False)
    count = None
    j = 4
    n = len(argv)
    while j < n:
        if argv[j].upper() == b"COUNT" and j + 1 < n:
            count = parse_int(argv[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise ReplyError(errors.SYNTAX)
    s = _get(c, key)
    if s is None:
        return []
    if count == 0:
        return NULL_ARRAY
    if count is None:
        count = len(s)
    if c.transport is not None:
        return Raw(_wire(s.span_memo(lo, hi, count, _entry_wire, rev)[1]))
    return _entries_of(*s.span(lo, hi, count, rev))


@command("xrange")
def xrange_(c, argv):
    """XRANGE key start end [COUNT count]"""
    return _range(c, argv, False)


@command("xrevrange")
def xrevrange(c, argv):
    """XREVRANGE key end start [COUNT count]"""
    return _range(c, argv, True)


# ---- XREAD / XREADGROUP ----------------------------------------------------------------------
GT_GROUP = MAX_ID  # the ">" marker, as Redis encodes it


def _parse_block(b):
    try:
        v = parse_int(b, TIMEOUT_NOT_INT)
    except ReplyError:
        raise ReplyError(TIMEOUT_NOT_INT) from None
    if v < 0:
        raise ReplyError(errors.TIMEOUT_NEGATIVE)
    return v


def _xread_generic(c, argv, xreadgroup):
    count = 0
    block = None
    group = consumer = None
    noack = False
    streams_at = None
    n = len(argv)
    j = 1
    while j < n:
        o = argv[j].upper()
        more = n - j - 1
        if o == b"BLOCK" and more:
            block = _parse_block(argv[j + 1])
            j += 1
        elif o == b"COUNT" and more:
            count = parse_int(argv[j + 1])
            if count < 0:
                count = 0
            j += 1
        elif o == b"STREAMS" and more:
            streams_at = j + 1
            break
        elif o == b"GROUP" and more >= 2:
            if not xreadgroup:
                raise ReplyError("ERR The GROUP option is only supported by XREADGROUP. "
                                 "You called XREAD instead.")
            group = argv[j + 1]
            consumer = argv[j + 2]
            j += 2
        elif o == b"NOACK":
            if not xreadgroup:
                raise ReplyError("ERR The NOACK option is only supported by XREADGROUP. "
                                 "You called XREAD instead.")
            noack = True
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    if streams_at is None:
        raise ReplyError(errors.SYNTAX)
    nargs = n - streams_at
    if nargs % 2:
        raise ReplyError("ERR Unbalanced XREAD list of streams: for each stream key an ID or "
                         "'$' must be specified.")
    nstreams = nargs // 2
    if xreadgroup and group is None:
        raise ReplyError("ERR Missing GROUP option for XREADGROUP")
    keys = argv[streams_at:streams_at + nstreams]
    ids = []
    groups = []
    for k in range(nstreams):
        key = keys[k]
        s = _get(c, key)
        g = None
        if xreadgroup:
            g = s.groups.get(group) if s is not None else None
            if g is None:
                raise ReplyError("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP "
                                 "with GROUP option" % (_s(key), _s(group)))
        groups.append(g)
        b = argv[streams_at + nstreams + k]
        if b == b"$":
            if xreadgroup:
                raise ReplyError("ERR The $ ID is meaningless in the context of XREADGROUP: you "
                                 "want to read the history of this consumer by specifying a "
                                 "proper ID, or use the > ID to get new messages. The $ ID would "
                                 "just return an empty result set.")
            ids.append(s.last_id if s is not None else 0)
            continue
        if b == b">":
            if not xreadgroup:
                raise ReplyError("ERR The > ID can be specified only when calling XREADGROUP "
                                 "using the GROUP <group> <consumer> option.")
            ids.append(GT_GROUP)
            continue
        ids.append(parse_id(b, 0, strict=True))
    req = _ReadReq(keys, ids, count, group, consumer, noack, xreadgroup)
    props = []
    reply = req.serve(c, props, first=True)
    if props:
        c.server.propagate_as(*props)
    if reply is not None:
        return reply
    if block is None or c.in_exec or c.server.in_script:
        return NULL_ARRAY
    return _block(c, req, block)


class _ReadReq:
    __slots__ = ("keys", "ids", "count", "group", "consumer", "noack", "xreadgroup")

    def __init__(self, keys, ids, count, group, consumer, noack, xreadgroup):
        self.keys = keys
        self.ids = ids
        self.count = count
        self.group = group
        self.consumer = consumer
        self.noack = noack
        self.xreadgroup = xreadgroup

    def serve(self, c, props, first):
        """Serve what can be served now: a reply, or None (nothing to read)."""
        server = c.server
        db = c.db
        now = server.now_ms
        out = []
        count = self.count or None
        wire = c.transport is not None      # entries as RESP bytes (see _wire)
        for k, key in enumerate(self.keys):
            s = _get(c, key)
            if s is None:
                if not first and self.xreadgroup:
                    raise ReplyError("NOGROUP No such key '%s' or consumer group '%s' in "
                                     "XREADGROUP with GROUP option" % (_s(key), _s(self.group)))
                continue
            gt = self.ids[k]
            if self.xreadgroup:
                g = s.groups.get(self.group)
                if g is None:
                    raise ReplyError("NOGROUP No such key '%s' or consumer group '%s' in "
                                     "XREADGROUP with GROUP option" % (_s(key), _s(self.group)))
                history = gt != GT_GROUP
                sync = history
                if not history and len(s):
                    last = s.last_entry()[0]
                    if last > g.last_id:
                        sync = True
                        gt = g.last_id
                # Redis 7.2 creates the consumer even when there is nothing to read
                # (7.0 only when it serves something); seen-time records every attempt.
                cons = g.consumers.get(self.consumer)
                if cons is None:
                    cons = g.consumer(self.consumer, now)
                    server.dirty += 1
                    server.notify(N.STREAM, b"xgroup-createconsumer", key, db)
                    props.append([b"XGROUP", b"CREATECONSUMER", key, self.group, self.consumer])
                cons.seen_time = now
                if not sync:
                    continue
                p = props if server.propagating else None
                if history:
                    items = _serve_history(s, g, cons, gt, count, now, key, p, wire)
                else:
                    items = _serve_new(s, g, cons, gt, count, now, self.noack, key, p, wire)
                server.dirty += 1
                db.modified(key) if items else None
                out.append((key, items))
            else:
                if not len(s) or s.last_entry()[0] <= gt:
                    continue
                if gt == MAX_ID:
                    continue
                lo = _incr(gt)
                n = count if count is not None else len(s)
                out.append((key, _wire(s.span_memo(lo, MAX_ID, n, _entry_wire)[1]) if wire
                            else _entries_of(*s.span(lo, MAX_ID, n))))
        if not out:
            return None
        if wire:
            resp3 = c.resp3
            parts = [(b"%%%d\r\n" if resp3 else b"*%d\r\n") % len(out)]
            pair = b"" if resp3 else b"*2\r\n"     # RESP2: [key, entries] per stream
            for key, items in out:
                n = len(key)
                parts += (pair, BULK_HEADS[n] if n < 10000 else b"$%d" % n, b"\r\n", key,
                          b"\r\n", items if type(items) is bytes else encode(items, resp3))
            return Raw(b"".join(parts))
        if c.resp3:
            return Map(out)
        return [[k, v] for k, v in out]


def _claim_argv(key, g, i, rec):
    return [b"XCLAIM", key, g.name, rec[0], b"0", id_bytes(i), b"TIME", b"%d" % rec[1],
            b"RETRYCOUNT", b"%d" % rec[2], b"FORCE", b"JUSTID", b"LASTID", id_bytes(g.last_id)]


def _setid_argv(key, g):
    return [b"XGROUP", b"SETID", key, g.name, id_bytes(g.last_id), b"ENTRIESREAD",
            b"%d" % g.entries_read]


def _serve_new(s, g, cons, gt, count, now, noack, key, props, wire):
    """``props`` is None when nothing propagates (no argv is built then); ``wire``: the
    entries as RESP bytes."""
    lo = _incr(gt)
    n = count if count is not None else len(s)
    ids, got = s.span_memo(lo, MAX_ID, n, _entry_wire) if wire else s.span(lo, MAX_ID, n)
    claims = []
    for i in ids:
        s.note_delivered(g, i)
        if not noack:
            g.add_pending(i, cons, now)
            cons.active_time = now
            if props is not None:
                claims.append(_claim_argv(key, g, i, g.pel[i]))
    if props is not None:
        # Propagated XCLAIMs carry the group's final last ID.
        last = id_bytes(g.last_id)
        for a in claims:
            a[-1] = last
        props.extend(claims)
        if ids:
            props.append(_setid_argv(key, g))
    return _wire(got) if wire else _entries_of(ids, got)


def _serve_history(s, g, cons, gt, count, now, key, props, wire):
    """``props`` is None when nothing propagates (no argv is built then); ``wire``: the
    entries as RESP bytes (when none was deleted)."""
    ids = ids_from(cons.pending, _incr(gt) if gt != MAX_ID else MAX_ID, count)
    if not ids:
        return []
    eids, got = (s.span_memo(ids[0], ids[-1], len(ids), _entry_wire) if wire
                 else s.span(ids[0], ids[-1], len(ids)))
    if eids == ids:     # every entry still in the stream (no XDEL/trim since delivery)
        for rec in map(g.pel.__getitem__, ids):
            rec[1] = now
            rec[2] += 1
        if props is not None:
            pel = g.pel
            props.extend([_claim_argv(key, g, i, pel[i]) for i in ids])
        return _wire(got) if wire else _entries_of(eids, got)
    return _serve_history_slow(s, g, ids, now, key, props)


def _serve_history_slow(s, g, ids, now, key, props):
    out = []
    pel = g.pel
    get = s.get
    for i in ids:
        fv = get(i)
        if fv is None:
            out.append([id_bytes(i), NULL_ARRAY])
            continue
        out.append([b"%d-%d" % (i >> 64, i & U64), list(fv)])
        rec = pel[i]
        rec[1] = now
        rec[2] += 1
        if props is not None:
            props.append(_claim_argv(key, g, i, rec))
    return out


def _block(c, req, block_ms):
    try:
        from ..keyspace import blocking
    except ImportError:
        return NULL_ARRAY
    # A "$" ID was resolved when the command ran: later entries are what the client waits for.

    def retry(cl):
        props = []
        r = req.serve(cl, props, first=False)
        if props:     # also when nothing was served: a re-created consumer (CREATECONSUMER)
            cl.server.propagate_as(*props)
        return r

    # XREADGROUP waits on the group too: deleting the key (or changing its type) wakes it
    # with the error the command gives then, as Redis 7.2 re-runs it.
    return blocking.block(c, req.keys, block_ms / 1000.0, retry, NULL_ARRAY, "stream",
                          req.xreadgroup)


@command("xread")
def xread(c, argv):
    """XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"""
    return _xread_generic(c, argv, False)


@command("xreadgroup")
def xreadgroup(c, argv):
    """XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
    STREAMS key [key ...] id [id ...]"""
    return _xread_generic(c, argv, True)


def _bad_sub(container, argv):
    return ("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
            % (_s(argv[1]), container))


# ---- XGROUP ----------------------------------------------------------------------------------
def _parse_entries_read(b):
    v = parse_int(b)
    if v < 0 and v != INVALID_ENTRIES_READ:
        raise ReplyError("ERR value for ENTRIESREAD must be positive or -1")
    return v


@command("xgroup|create")
def xgroup_create(c, argv):
    """XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]"""
    key, gname, idb = argv[2], argv[3], argv[4]
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    j = 5
    n = len(argv)
    while j < n:
        o = argv[j].upper()
        if o == b"MKSTREAM":
            mkstream = True
        elif o == b"ENTRIESREAD" and j + 1 < n:
            entries_read = _parse_entries_read(argv[j + 1])
            j += 1
        else:
            raise ReplyError(_bad_sub("XGROUP", argv))
        j += 1
    s = _get(c, key)
    if idb != b"$":
        gid = parse_id(idb, 0)
    else:
        gid = None
    if s is None:
        if not mkstream:
            raise ReplyError(XGROUP_NOKEY)
    if gid is None:
        gid = s.last_id if s is not None else 0
    if s is not None and gname in s.groups:
        raise ReplyError(BUSYGROUP)
    db = c.db
    if s is None:
        s = Stream(_node_max(c), c.server.config.stream_node_max_bytes)
        db.add(key, s)
    else:
        db.modified(key)
    s.groups[gname] = Group(gname, gid, entries_read)
    c.server.dirty += 1
    c.server.notify(N.STREAM, b"xgroup-create", key, db)
    return "OK"


def _group_target(c, argv):
    key, gname = argv[2], argv[3]
    s = _get(c, key)
    if s is None:
        raise ReplyError(XGROUP_NOKEY)
    return key, gname, s


@command("xgroup|setid")
def xgroup_setid(c, argv):
    """XGROUP SETID key group id|$ [ENTRIESREAD entries-read]"""
    entries_read = INVALID_ENTRIES_READ
    n = len(argv)
    if n == 7 and argv[5].upper() == b"ENTRIESREAD":
        entries_read = _parse_entries_read(argv[6])
    elif n != 5:
        raise ReplyError(_bad_sub("XGROUP", argv))
    key, gname, s = _group_target(c, argv)
    g = s.groups.get(gname)
    if g is None:
        raise ReplyError(nogroup_for(key, gname))
    idb = argv[4]
    gid = s.last_id if idb == b"$" else parse_id(idb, 0)
    g.last_id = gid
    g.entries_read = entries_read
    _modified(c, key)
    c.server.notify(N.STREAM, b"xgroup-setid", key, c.db)
    return "OK"


@command("xgroup|destroy")
def xgroup_destroy(c, argv):
    """XGROUP DESTROY key group"""
    key, gname, s = _group_target(c, argv)
    if s.groups.pop(gname, None) is None:
        return 0
    _modified(c, key)
    c.server.notify(N.STREAM, b"xgroup-destroy", key, c.db)
    _signal_ready(c, key)   # clients blocked in XREADGROUP on the group get NOGROUP
    return 1


@command("xgroup|createconsumer")
def xgroup_createconsumer(c, argv):
    """XGROUP CREATECONSUMER key group consumer"""
    key, gname, s = _group_target(c, argv)
    g = s.groups.get(gname)
    if g is None:
        raise ReplyError(nogroup_for(key, gname))
    cname = argv[4]
    if cname in g.consumers:
        return 0
    g.consumer(cname, c.server.now_ms)
    _modified(c, key)
    c.server.notify(N.STREAM, b"xgroup-createconsumer", key, c.db)
    return 1


@command("xgroup|delconsumer")
def xgroup_delconsumer(c, argv):
    """XGROUP DELCONSUMER key group consumer"""
    key, gname, s = _group_target(c, argv)
    g = s.groups.get(gname)
    if g is None:
        raise ReplyError(nogroup_for(key, gname))
    cname = argv[4]
    if cname not in g.consumers:
        return 0
    n = g.delete_consumer(cname)
    _modified(c, key)
    c.server.notify(N.STREAM, b"xgroup-delconsumer", key, c.db)
    return n


_XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a consumer group on a stream, starting at the given ID ('$' is the last",
    "    entry). Options: MKSTREAM creates an empty stream when the key is missing;",
    "    ENTRIESREAD <n> sets the group's count of entries read (for the lag).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Add a consumer to a group (it is also created on its first XREADGROUP).",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove a consumer and its pending entries from a group.",
    "DESTROY <key> <groupname>",
    "    Remove a consumer group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Move the group's last delivered ID (and optionally its entries-read counter).",
    "HELP",
    "    Print this help.",
]

_XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    List the consumers of a group with their pending count and idle times.",
    "GROUPS <key>",
    "    List the consumer groups of a stream.",
    "STREAM <key> [FULL [COUNT <count>]]",
    "    Describe a stream; FULL adds its entries, groups, PELs and consumers (COUNT",
    "    limits the entries and PEL items listed, default 10, 0 for all).",
    "HELP",
    "    Print this help.",
]


@command("xgroup|help")
def xgroup_help(c, argv):
    """XGROUP HELP"""
    return list(_XGROUP_HELP)


@command("xinfo|help")
def xinfo_help(c, argv):
    """XINFO HELP"""
    return list(_XINFO_HELP)


# ---- XACK / XPENDING -------------------------------------------------------------------------
@command("xack")
def xack(c, argv):
    """XACK key group id [id ...]"""
    key, gname = argv[1], argv[2]
    s = _get(c, key)
    g = s.groups.get(gname) if s is not None else None
    if g is None:
        return 0
    ids = [parse_id(b, 0, strict=True) for b in argv[3:]]
    n = 0
    for i in ids:
        if g.ack(i):
            n += 1
    if n:
        _modified(c, key, n)
    return n


@command("xpending")
def xpending(c, argv):
    """XPENDING key group [[IDLE min-idle-time] start end count [consumer]]"""
    key, gname = argv[1], argv[2]
    n = len(argv)
    justinfo = n == 3
    minidle = 0
    cname = None
    if not justinfo:
        if n < 6:
            raise ReplyError(errors.SYNTAX)
        j = 3
        if argv[3].upper() == b"IDLE":
            minidle = parse_int(argv[4])
            if minidle < 0:
                minidle = 0
            j = 5
            if n < 8:
                raise ReplyError(errors.SYNTAX)
        lo = parse_interval(argv[j], 0, True)
        hi = parse_interval(argv[j + 1], U64, False)
        count = parse_int(argv[j + 2])
        if count < 0:
            count = 0
        if n > j + 3:
            cname = argv[j + 3]
    s = _get(c, key)
    g = s.groups.get(gname) if s is not None else None
    if g is None:
        raise ReplyError(nogroup_key(key, gname))
    if justinfo:
        if not g.pel:
            return [0, None, None, NULL_ARRAY]
        per = []
        for name in sorted(g.consumers):
            cons = g.consumers[name]
            if cons.pending:
                per.append([name, b"%d" % len(cons.pending)])
        return [len(g.pel), id_bytes(g.pel_ids[0]), id_bytes(g.pel_ids[-1]), per]
    if cname is not None:
        cons = g.consumers.get(cname)
        if cons is None:
            return []
        source = cons.pending
    else:
        source = g.pel_ids
    now = c.server.now_ms
    out = []
    if count == 0 or lo > hi:
        return out
    for i in source.irange(lo, hi):
        if len(out) >= count:
            break
        rec = g.pel[i]
        idle = now - rec[1]
        if minidle and idle < minidle:
            continue
        out.append([id_bytes(i), rec[0], idle if idle > 0 else 0, rec[2]])
    return out


# ---- XCLAIM / XAUTOCLAIM ---------------------------------------------------------------------
def _get_consumer(c, key, g, cname, now, props):
    cons = g.consumers.get(cname)
    if cons is None:
        cons = g.consumer(cname, now)
        c.server.dirty += 1
        c.server.notify(N.STREAM, b"xgroup-createconsumer", key, c.db)
        props.append([b"XGROUP", b"CREATECONSUMER", key, g.name, cname])
    cons.seen_time = now
    return cons


@command("xclaim")
def xclaim(c, argv):
    """XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
    [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]"""
    key, gname, cname = argv[1], argv[2], argv[3]
    s = _get(c, key)
    g = s.groups.get(gname) if s is not None else None
    minidle = parse_int(argv[4], "ERR Invalid min-idle-time argument for XCLAIM")
    if minidle < 0:
        minidle = 0
    n = len(argv)
    ids = []
    j = 5
    while j < n:
        try:
            ids.append(parse_id(argv[j], 0, strict=True))
        except ReplyError:
            break
        j += 1
    now = c.server.now_ms
    deliverytime = -1
    retrycount = -1
    force = justid = False
    lastid = None
    while j < n:
        o = argv[j].upper()
        more = n - j - 1
        if o == b"FORCE":
            force = True
        elif o == b"JUSTID":
            justid = True
        elif o == b"IDLE" and more:
            j += 1
            deliverytime = now - parse_int(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif o == b"TIME" and more:
            j += 1
            deliverytime = parse_int(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif o == b"RETRYCOUNT" and more:
            j += 1
            retrycount = parse_int(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif o == b"LASTID" and more:
            j += 1
            lastid = parse_id(argv[j], 0, strict=True)
        else:
            raise ReplyError("ERR Unrecognized XCLAIM option '%s'" % _s(argv[j]))
        j += 1
    if deliverytime != -1:
        if deliverytime < 0 or deliverytime > now:
            deliverytime = now
    else:
        deliverytime = now
    if g is None:
        raise ReplyError(nogroup_key(key, gname))
    server = c.server
    props = []
    dirty0 = server.dirty
    if lastid is not None and lastid > g.last_id:
        g.last_id = lastid
        server.dirty += 1
        props.append(_setid_argv(key, g))
    cons = _get_consumer(c, key, g, cname, now, props)
    out = []
    for i in ids:
        rec = g.pel.get(i)
        exists = s.get(i) is not None
        if force and rec is None:
            if not exists:
                continue
            g.pel[i] = rec = [cname, now, 1]
            g.pel_ids.add(i)
            cons.pending.add(i)
        if rec is None:
            continue
        if not exists:
            props.append(_claim_argv(key, g, i, rec))
            g.ack(i)
            server.dirty += 1
            continue
        if minidle and now - rec[1] < minidle:
            continue
        g.assign(i, cons)
        rec[1] = deliverytime
        if retrycount != -1:
            rec[2] = retrycount
        elif not justid:
            rec[2] += 1
        cons.active_time = now
        out.append(id_bytes(i) if justid else _entry(i, s.get(i)))
        props.append(_claim_argv(key, g, i, rec))
        server.dirty += 1
    if server.dirty != dirty0:
        c.db.modified(key)
        server.propagate_as(*props)
    return out


@command("xautoclaim")
def xautoclaim(c, argv):
    """XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]"""
    key, gname, cname = argv[1], argv[2], argv[3]
    s = _get(c, key)
    g = s.groups.get(gname) if s is not None else None
    minidle = parse_int(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
    if minidle < 0:
        minidle = 0
    start = parse_interval(argv[5], 0, True)
    count = 100
    justid = False
    n = len(argv)
    j = 6
    while j < n:
        o = argv[j].upper()
        if o == b"COUNT" and j + 1 < n:
            count = parse_int(argv[j + 1], "ERR COUNT must be > 0")
            if count < 1 or count > (1 << 63) // 10:
                raise ReplyError("ERR COUNT must be > 0")
            j += 1
        elif o == b"JUSTID":
            justid = True
        else:
            raise ReplyError(errors.SYNTAX)
        j += 1
    if g is None:
        raise ReplyError(nogroup_key(key, gname))
    server = c.server
    now = server.now_ms
    props = []
    dirty0 = server.dirty
    cons = _get_consumer(c, key, g, cname, now, props)
    attempts = count * 10
    claimed = []
    deleted = []
    it = iter(list(g.pel_ids.irange(start, None)))
    nxt = 0
    exhausted = True
    for i in it:
        if not attempts or not count:
            nxt = i
            exhausted = False
            break
        attempts -= 1
        rec = g.pel[i]
        fv = s.get(i)
        if fv is None:
            props.append(_claim_argv(key, g, i, rec))
            g.ack(i)
            server.dirty += 1
            deleted.append(id_bytes(i))
            count -= 1
            continue
        if minidle and now - rec[1] < minidle:
            continue
        g.assign(i, cons)
        rec[1] = now
        if not justid:
            rec[2] += 1
        cons.active_time = now
        claimed.append(id_bytes(i) if justid else _entry(i, fv))
        props.append(_claim_argv(key, g, i, rec))
        server.dirty += 1
        count -= 1
    if exhausted:
        nxt = 0
    if server.dirty != dirty0:
        c.db.modified(key)
        server.propagate_as(*props)
    return [id_bytes(nxt), claimed, deleted]


# ---- XSETID ----------------------------------------------------------------------------------
@command("xsetid")
def xsetid(c, argv):
    """XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"""
    key = argv[1]
    newid = parse_id(argv[2], 0, strict=True)
    entries_added = -1
    max_del = 0
    n = len(argv)
    j = 3
    while j < n:
        o = argv[j].upper()
        if o == b"ENTRIESADDED" and j + 1 < n:
            entries_added = parse_int(argv[j + 1])
            if entries_added < 0:
                raise ReplyError("ERR entries_added must be positive")
            j += 2
        elif o == b"MAXDELETEDID" and j + 1 < n:
            max_del = parse_id(argv[j + 1], 0, strict=True)
            if newid < max_del:
                raise ReplyError("ERR The ID specified in XSETID is smaller than the provided "
                                 "max_deleted_entry_id")
            j += 2
        else:
            raise ReplyError(errors.SYNTAX)
    s = _get(c, key)
    if s is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    if entries_added != -1 and len(s) > entries_added:
        raise ReplyError("ERR The entries_added specified in XSETID is smaller than the target "
                         "stream length")
    if len(s):
        if newid < s.last_entry()[0]:
            raise ReplyError("ERR The ID specified in XSETID is smaller than the target stream "
                             "top item")
    s.last_id = newid
    if entries_added != -1:
        s.entries_added = entries_added
    if max_del:
        s.max_deleted = max_del
    _modified(c, key)
    c.server.notify(N.STREAM, b"xsetid", key, c.db)
    return "OK"


# ---- XINFO -----------------------------------------------------------------------------------
def _radix_sizes(s):
    k = s.node_count()
    return k, (k + 1 if k else 1)


def _entries_read_reply(g):
    return g.entries_read if g.entries_read != INVALID_ENTRIES_READ else None


@command("xinfo|stream")
def xinfo_stream(c, argv):
    """XINFO STREAM key [FULL [COUNT count]]"""
    key = argv[2]
    full = False
    count = 10
    n = len(argv)
    if n > 3:
        if argv[3].upper() != b"FULL":
            raise ReplyError(_bad_sub("XINFO", argv))
        full = True
        if n == 6 and argv[4].upper() == b"COUNT":
            count = parse_int(argv[5])
            if count < 0:
                count = 0
        elif n != 4:
            raise ReplyError(_bad_sub("XINFO", argv))
    s = _get(c, key)
    if s is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    rk, rn = _radix_sizes(s)
    items = [
        (b"length", len(s)),
        (b"radix-tree-keys", rk),
        (b"radix-tree-nodes", rn),
        (b"last-generated-id", id_bytes(s.last_id)),
        (b"max-deleted-entry-id", id_bytes(s.max_deleted)),
        (b"entries-added", s.entries_added),
        (b"recorded-first-entry-id", id_bytes(s.first_id())),
    ]
    if not full:
        fe = s.first_entry()
        le = s.last_entry()
        items.append((b"groups", len(s.groups)))
        items.append((b"first-entry", _entry(*fe) if fe else None))
        items.append((b"last-entry", _entry(*le) if le else None))
        return Map(items)
    lim = count or None
    items.append((b"entries", _entries(s.range(0, MAX_ID, lim))))
    groups = []
    for gname in sorted(s.groups):
        g = s.groups[gname]
        pel = []
        for i in g.pel_ids:
            if lim is not None and len(pel) >= lim:
                break
            rec = g.pel[i]
            pel.append([id_bytes(i), rec[0], rec[1], rec[2]])
        consumers = []
        for cn in sorted(g.consumers):
            cons = g.consumers[cn]
            cp = []
            for i in cons.pending:
                if lim is not None and len(cp) >= lim:
                    break
                rec = g.pel[i]
                cp.append([id_bytes(i), rec[1], rec[2]])
            consumers.append(Map([
                (b"name", cn), (b"seen-time", cons.seen_time), (b"active-time", cons.active_time),
                (b"pel-count", len(cons.pending)), (b"pending", cp)]))
        groups.append(Map([
            (b"name", gname), (b"last-delivered-id", id_bytes(g.last_id)),
            (b"entries-read", _entries_read_reply(g)), (b"lag", s.group_lag(g)),
            (b"pel-count", len(g.pel)), (b"pending", pel), (b"consumers", consumers)]))
    items.append((b"groups", groups))
    return Map(items)


@command("xinfo|groups")
def xinfo_groups(c, argv):
    """XINFO GROUPS key"""
    s = _get(c, argv[2])
    if s is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    out = []
    for gname in sorted(s.groups):
        g = s.groups[gname]
        out.append(Map([
            (b"name", gname), (b"consumers", len(g.consumers)), (b"pending", len(g.pel)),
            (b"last-delivered-id", id_bytes(g.last_id)),
            (b"entries-read", _entries_read_reply(g)), (b"lag", s.group_lag(g))]))
    return out


@command("xinfo|consumers")
def xinfo_consumers(c, argv):
    """XINFO CONSUMERS key group"""
    key, gname = argv[2], argv[3]
    s = _get(c, key)
    if s is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    g = s.groups.get(gname)
    if g is None:
        raise ReplyError(nogroup_for(key, gname))
    now = c.server.now_ms
    out = []
    for cn in sorted(g.consumers):
        cons = g.consumers[cn]
        idle = now - cons.seen_time
        inactive = now - cons.active_time if cons.active_time != -1 else -1
        out.append(Map([
            (b"name", cn), (b"pending", len(cons.pending)), (b"idle", max(idle, 0)),
            (b"inactive", max(inactive, 0) if inactive != -1 else -1)]))
    return out
