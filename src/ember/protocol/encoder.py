"""RESP2/RESP3 reply encoder: the only place that knows how a reply looks on the wire.

``encode(value, resp3)`` returns bytes; ``encode_into(out, value, resp3)`` appends chunks to a
list (the network layer joins a whole pipelined batch and writes it once).  See
protocol.replies for the value model.  Invariant: pure functions, no ember imports above
protocol/.
"""

import math
from itertools import chain

from .replies import (
    BigNumber, Bool, Map, NoReply, NullArray, Push, Raw, ReplyError, SetReply, Verbatim,
)

OK = b"+OK\r\n"
_simple_cache = {}
_int_cache = [b":%d\r\n" % i for i in range(-1, 10001)]
_BULK_HDR = [b"$%d\r\n" % i for i in range(1024)]
_ARRAY_HDR = [b"*%d\r\n" % i for i in range(1024)]
BULK_HEADS = [b"$%d" % i for i in range(10000)]     # "$<len>" (no CRLF), shared with the parser
_bulk_head = BULK_HEADS.__getitem__
_chain = chain.from_iterable


# "\r\n$<len>\r\n": what separates two values of the same length in an array of bulk strings
_BULK_SEP = [b"\r\n$%d\r\n" % i for i in range(1024)]


def bulk_strings(vals) -> bytes:
    """The bulk-string encodings of ``vals`` concatenated, built by C loops (map, slice
    assignment, join: each "$<len>" head then its value, CRLF between all, one after the
    last).  Values all of one length (LRANGE of fixed-size items, GET batches of one
    value size...) are joined by their common "CRLF $<len> CRLF" instead: no per-item head
    (about half the instructions at 100 items).  Raises TypeError when an element is not
    bytes-like; callers fall back to per-item work."""
    if not vals:
        return b""
    k = len(vals[0])
    lens = None
    if k < 1024 and len(vals[-1]) == k and len(vals[len(vals) >> 1]) == k:
        # likely one length (the first, middle and last agree): prove it (a count over
        # lengths that differ would compare ints one by one, ~150 instructions each)
        lens = list(map(len, vals))
        if lens.count(k) == len(lens):
            return _BULK_HDR[k] + _BULK_SEP[k].join(vals) + b"\r\n"
    try:
        heads = list(map(_bulk_head, map(len, vals) if lens is None else lens))
    except IndexError:      # an element of 10000 bytes or more
        heads = [b"$%d" % len(x) for x in vals]
    parts = heads * 2       # a list of the right size, then filled by slices
    parts[::2] = heads
    parts[1::2] = vals
    parts.append(b"")
    return b"\r\n".join(parts)


def format_double(d: float) -> bytes:
    """Redis 7.2's double formatting for replies (shortest round-trip representation,
    inf/-inf/nan spelled as Redis does)."""
    try:
        integral = d.is_integer()
    except AttributeError:      # an int (Python 3.11 ints have no is_integer)
        if not isinstance(d, int):
            raise TypeError("not a number: %r" % (d,)) from None
        d = float(d)
        integral = d.is_integer()
    if integral:
        if -1e17 < d < 1e17:
            return b"%d" % d
    elif d != d:
        return b"nan"
    elif d == math.inf:
        return b"inf"
    elif d == -math.inf:
        return b"-inf"
    r = repr(d)
    if "e" in r:
        mant, exp = r.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-")
        if len(digits) < 2:
            digits = "0" + digits
        r = mant + "e" + sign + digits
    return r.encode()


# Formatted doubles by value: scores repeat (a range read again, pops of neighbouring
# integer scores), and a dict lookup costs far less than a float->int->digits conversion.
# Keys are floats only (callers check); -0.0 == 0.0 share an entry, which is right since
# both are written "0".  Emptied when full, so a stream of distinct scores keeps it small.
_DOUBLE_CACHE_MAX = 8192
_double_cache = {}
_double_cached = _double_cache.get


def format_doubles(ds) -> list:
    """``[format_double(d) for d in ds]`` for a list or tuple of floats: cached values by a
    C loop, the rest computed (and cached).  Raises TypeError when an element is not a
    number."""
    out = list(map(_double_cached, ds))
    if None in out:
        cache = _double_cache
        for i, b in enumerate(out):
            if b is None:
                d = ds[i]
                b = out[i] = format_double(d)
                if type(d) is float:
                    if len(cache) >= _DOUBLE_CACHE_MAX:
                        cache.clear()
                    cache[d] = b
    return out


_FLOAT_ONLY = {float}


_bulk_double_cache = {}     # float -> b"$<len>\r\n<digits>" (see _double_cache)
_bulk_double_cached = _bulk_double_cache.get


def _bulk_doubles(ds) -> list:
    """The bulk-string forms of the floats ``ds``, without their final CRLF: cached
    values by a C loop, the rest formatted (and cached)."""
    out = list(map(_bulk_double_cached, ds))
    if None in out:
        cache = _bulk_double_cache
        for i, b in enumerate(out):
            if b is None:
                d = ds[i]
                s = format_double(d)
                b = out[i] = b"$%d\r\n%b" % (len(s), s)
                if len(cache) >= _DOUBLE_CACHE_MAX:
                    cache.clear()
                cache[d] = b
    return out


def _scored_pairs(v):
    """RESP2 bytes of the elements of ``[m1, s1, m2, s2, ...]`` with bulk-string members and
    float scores (ZRANGE WITHSCORES & co.): all C loops; None for any other shape."""
    n = len(v)
    if n & 1:
        return None
    ss = v[1::2]
    if {*map(type, ss)} != _FLOAT_ONLY:     # an int is not written as a bulk string
        return None
    ms = v[0::2]
    try:
        heads = list(map(_bulk_head, map(len, ms)))
        parts = [b""] * (n + (n >> 1) + 1)  # head, member, score per pair; one CRLF last
        parts[0:-1:3] = heads
        parts[1:-1:3] = ms
        parts[2:-1:3] = _bulk_doubles(ss)
        return b"\r\n".join(parts)
    except (TypeError, IndexError):         # not bytes, or a member of 10000 bytes or more
        return None


# (score, member) -> b"$<len>\r\n<member>\r\n$<len>\r\n<score>\r\n": the RESP2 form of one pair
# of a member/score array, by value (see _double_cache; exact for the same reason: equal
# tuples have equal members and scores written alike).  Bounded, emptied when full; only
# members up to _PAIR_WIRE_MEMBER_MAX bytes are kept.
_PAIR_WIRE_MEMBER_MAX = 256
_pair_wire_cache = {}
_pair_wire_cached = _pair_wire_cache.get


def index_pairs_resp2(pairs) -> bytes:
    """The whole RESP2 reply ``[m1, s1, m2, s2, ...]`` (ZRANGE WITHSCORES & co.) for a list
    of (score, member) tuples, scores floats and members bytes (a zset's index items): the
    bytes of each pair come from the cache by a C loop, those missing are built and cached.
    When all are cached the join succeeds at once; a miss (None) makes it raise."""
    n = len(pairs)
    parts = [_ARRAY_HDR[n << 1] if n < 512 else b"*%d\r\n" % (n << 1)]
    parts += map(_pair_wire_cached, pairs)
    try:
        return b"".join(parts)
    except TypeError:
        pass
    cache = _pair_wire_cache
    for i, p in enumerate(pairs, 1):
        if parts[i] is None:
            s, m = p
            f = _double_cached(s)
            if f is None:       # not added to _double_cache: this pair's bytes are cached
                if s.is_integer() and -1e17 < s < 1e17:    # format_double's first case
                    f = b"%d" % s
                else:
                    f = format_double(s)
            k = len(m)
            b = parts[i] = b"\r\n".join(
                (BULK_HEADS[k] if k < 10000 else b"$%d" % k, m, BULK_HEADS[len(f)], f, b""))
            if k <= _PAIR_WIRE_MEMBER_MAX:    # bounded in bytes too
                if len(cache) >= _DOUBLE_CACHE_MAX:
                    cache.clear()
                cache[p] = b
    return b"".join(parts)


def popped_resp2(m: bytes, s: float, key=None) -> bytes:
    """The RESP2 reply of one popped element: ``[m, s]`` (ZPOPMIN/ZPOPMAX without a count),
    or ``[key, m, s]`` when ``key`` is given (BZPOPMIN/BZPOPMAX); joined from the
    BULK_HEADS table (a %-format costs about as much as all the rest)."""
    if s.is_integer() and -1e17 < s < 1e17:    # format_double's first case, inlined
        f = b"%d" % s
    else:
        f = format_double(s)
    k = len(m)
    hm = BULK_HEADS[k] if k < 10000 else b"$%d" % k
    if key is None:
        return b"\r\n".join((b"*2", hm, m, BULK_HEADS[len(f)], f, b""))
    k = len(key)
    return b"\r\n".join((b"*3", BULK_HEADS[k] if k < 10000 else b"$%d" % k, key,
                          hm, m, BULK_HEADS[len(f)], f, b""))


_entry_head = b"*2\r\n$%d\r\n%b\r\n*%d".__mod__
_LIST_ONLY = {list}
_BYTES_ONLY = {bytes}


def _entry_pairs(v):
    """The elements of ``[[id, [field, value, ...]], ...]`` (stream entries: XRANGE, XREAD,
    XREADGROUP, XCLAIM...) with byte strings only, encoded (the same bytes in RESP2 and
    RESP3); None for any other shape.  When every entry has the same number of fields (the
    usual case) the tokens are laid out by slice assignments, one per field column, and
    joined once: no Python loop per entry (from 8 entries: below, the loop is cheaper)."""
    e0 = v[0]       # a list (the caller checked)
    if len(e0) == 2:
        fv0 = e0[1]
        if type(fv0) is list and fv0 and type(fv0[0]) is not bytes:
            return None     # not entries, e.g. XREAD's [[key, entries]]
    if len(v) >= 8:
        return _entry_columns(v)
    return _entry_loop(v)


def _entry_columns(v):
    if {*map(type, v)} != _LIST_ONLY or {*map(len, v)} != {2}:
        return None
    ids, fvs = zip(*v)
    if {*map(type, ids)} != _BYTES_ONLY or {*map(type, fvs)} != _LIST_ONLY:
        return None
    widths = list(map(len, fvs))
    m = widths[0]
    if widths.count(m) == len(widths):
        flat = list(_chain(fvs))
        if flat and type(flat[0]) is not bytes:
            return None
        try:
            try:
                heads = list(map(_bulk_head, map(len, flat)))
            except IndexError:      # a value of 10000 bytes or more
                heads = [b"$%d" % len(x) for x in flat]
        except TypeError:       # an element without a length (None, an int...)
            return None
        k = 1 + 2 * m
        toks = [b""] * (len(ids) * k + 1)
        toks[0:-1:k] = map(_entry_head, zip(map(len, ids), ids, widths))
        for j in range(m):
            toks[1 + 2 * j:-1:k] = heads[j::m]
            toks[2 + 2 * j:-1:k] = flat[j::m]
        try:
            return b"\r\n".join(toks)
        except TypeError:       # an element that is not bytes-like
            return None
    return _entry_loop(v)


def _entry_loop(v):
    parts = []
    app = parts.append
    try:
        for e in v:
            if type(e) is not list or len(e) != 2:
                return None
            i, fv = e
            if type(i) is not bytes or type(fv) is not list:
                return None
            app(b"*2\r\n$%d\r\n%b\r\n*%d\r\n" % (len(i), i, len(fv)))
            app(bulk_strings(fv))
    except TypeError:
        return None
    return b"".join(parts)


def _error_bytes(msg: str) -> bytes:
    # Newlines inside an error would break the protocol: Redis replaces them with spaces.
    if "\r" in msg or "\n" in msg:
        msg = msg.replace("\r", " ").replace("\n", " ")
    if not msg.startswith("-"):
        msg = "-" + msg
    return msg.encode("utf-8", "replace") + b"\r\n"


def encode_into(out, v, resp3):
    t = type(v)
    if t is bytes:
        out.append(b"$%d\r\n%b\r\n" % (len(v), v))
    elif t is str:
        b = _simple_cache.get(v)
        if b is None:
            b = b"+" + v.encode() + b"\r\n"
            if len(_simple_cache) < 256:
                _simple_cache[v] = b
        out.append(b)
    elif t is int:
        if -1 <= v <= 10000:
            out.append(_int_cache[v + 1])
        else:
            out.append(b":%d\r\n" % v)
    elif v is None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")
    elif t is list or t is tuple:
        n = len(v)
        out.append(_ARRAY_HDR[n] if n < 1024 else b"*%d\r\n" % n)
        if n and type(v[0]) is list:
            b = _entry_pairs(v)
            if b is not None:
                out.append(b)
                return
        if n > 2:
            # an array of byte strings (LRANGE, SMEMBERS, HGETALL in RESP2...) in C loops:
            # len() or join() raise TypeError on anything that is not bytes-like
            if type(v[1]) is not float:
                if type(v[-1]) is float:    # [key, member, score] (BZPOPMIN & co.)
                    pass
                else:
                    try:
                        out.append(bulk_strings(v))
                        return
                    except TypeError:
                        pass
            elif not resp3:
                b = _scored_pairs(v)
                if b is not None:
                    out.append(b)
                    return
        for item in v:
            ti = type(item)
            if ti is bytes:
                k = len(item)
                out.append(_BULK_HDR[k] if k < 1024 else b"$%d\r\n" % k)
                out.append(item)
                out.append(b"\r\n")
            elif ti is float and not resp3:
                s = format_double(item)
                out.append(b"$%d\r\n%b\r\n" % (len(s), s))
            else:
                encode_into(out, item, resp3)
    elif t is bytearray or t is memoryview:
        out.append(b"$%d\r\n" % len(v))
        out.append(bytes(v))
        out.append(b"\r\n")
    elif t is float:
        s = format_double(v)
        if resp3:
            out.append(b",%b\r\n" % s)
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(s), s))
    elif t is Map:
        items = v.items
        out.append((b"%%%d\r\n" if resp3 else b"*%d\r\n") % (len(items) if resp3 else 2 * len(items)))
        for k, val in items:
            encode_into(out, k, resp3)
            encode_into(out, val, resp3)
    elif t is SetReply:
        out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(v.items))
        for item in v.items:
            encode_into(out, item, resp3)
    elif isinstance(v, ReplyError):
        out.append(_error_bytes(v.message))
    elif t is NullArray:
        out.append(b"_\r\n" if resp3 else b"*-1\r\n")
    elif t is Bool:
        if resp3:
            out.append(b"#t\r\n" if v.value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if v.value else b":0\r\n")
    elif t is Push:
        out.append((b">%d\r\n" if resp3 else b"*%d\r\n") % len(v.items))
        for item in v.items:
            encode_into(out, item, resp3)
    elif t is Verbatim:
        if resp3:
            out.append(b"=%d\r\n%b:%b\r\n" % (len(v.data) + 4, v.fmt, v.data))
        else:
            out.append(b"$%d\r\n%b\r\n" % (len(v.data), v.data))
    elif t is BigNumber:
        s = str(v.value).encode()
        out.append(b"(%b\r\n" % s if resp3 else b"$%d\r\n%b\r\n" % (len(s), s))
    elif t is Raw:
        out.append(v.data)
    elif t is NoReply:
        pass
    elif t is bool:
        raise TypeError("handlers must not return bool; use replies.TRUE/FALSE or int")
    elif isinstance(v, int):
        out.append(b":%d\r\n" % v)
    elif isinstance(v, (list, tuple)):
        encode_into(out, list(v), resp3)
    else:
        raise TypeError("cannot encode %r" % (v,))


def encode(v, resp3=False) -> bytes:
    if type(v) is Raw:      # pre-encoded (ZRANGE/ZPOPMIN replies of network clients...)
        return v.data
    out = []
    encode_into(out, v, resp3)
    return b"".join(out)
