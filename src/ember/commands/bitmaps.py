"""Bitmap commands (Redis group "bitmap"): SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
BITFIELD_RO.  The algorithms live in datatypes.bitops; this module parses and replies.

Writes turn the stored ``bytes`` into a ``bytearray`` edited in place (OBJECT ENCODING then
says "raw", as Redis' dbUnshareStringValue does), then signal the key and bump dirty.
"""

from .. import errors
from ..datatypes import bitops
from ..keyspace import notify as N
from ..protocol.replies import ReplyError
from .args import parse_int
from .registry import command

BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range"
BIT_VALUE_ERR = "ERR bit is not an integer or out of range"
BITFIELD_TYPE_ERR = ("ERR Invalid bitfield type. Use something like i16 u8. "
                     "Note that u64 is not supported but i64 is.")


def _check_size(c, size):
    if size > c.server.config.proto_max_bulk_len:
        raise ReplyError(errors.STRING_TOO_LONG)


def parse_bit_offset(c, raw, hash_ok=False, bits=0) -> int:
    usehash = hash_ok and raw[:1] == b"#"
    try:
        off = parse_int(raw[1:] if usehash else raw, BIT_OFFSET_ERR)
    except ReplyError:
        raise ReplyError(BIT_OFFSET_ERR) from None
    if usehash:
        off *= bits
    if off < 0 or (off >> 3) >= c.server.config.proto_max_bulk_len:
        raise ReplyError(BIT_OFFSET_ERR)
    return off


def _writable(c, key, need_bytes):
    """The string at ``key`` as a bytearray at least ``need_bytes`` long (created if
    missing).  Returns (buf, dirty) where dirty says it was created or grown."""
    db = c.db
    v = db.get_string(key)
    if v is None:
        buf = bytearray(need_bytes)
        db.set(key, buf)
        return buf, True
    grown = False
    if type(v) is bytes:
        v = bytearray(v)
        db.data[key] = v
    if len(v) < need_bytes:
        v.extend(bytes(need_bytes - len(v)))
        grown = True
    return v, grown


@command("setbit")
def setbit(c, argv):
    """SETBIT key offset value"""
    key = argv[1]
    off = parse_bit_offset(c, argv[2])
    try:
        on = parse_int(argv[3])
    except ReplyError:
        raise ReplyError(BIT_VALUE_ERR) from None
    if on & ~1:
        raise ReplyError(BIT_VALUE_ERR)
    buf, dirty = _writable(c, key, (off >> 3) + 1)
    old = bitops.setbit(buf, off, on)
    if dirty or old != on:
        c.db.modified(key)
        c.server.notify(N.STRING, b"setbit", key, c.db)
        c.server.dirty += 1
    return old


@command("getbit")
def getbit(c, argv):
    """GETBIT key offset"""
    off = parse_bit_offset(c, argv[2])
    v = c.db.get_string(argv[1])
    if v is None:
        return 0
    return bitops.getbit(v, off)


def _range_args(argv, i):
    """Parse [start end [BYTE|BIT]] from argv[i:]; returns (start, end, bit_mode)."""
    n = len(argv) - i
    if n == 0:
        return None, None, False
    if n not in (2, 3):
        raise ReplyError(errors.SYNTAX)
    start = parse_int(argv[i])
    end = parse_int(argv[i + 1])
    bit_mode = False
    if n == 3:
        u = argv[i + 2].upper()
        if u == b"BIT":
            bit_mode = True
        elif u != b"BYTE":
            raise ReplyError(errors.SYNTAX)
    return start, end, bit_mode


@command("bitcount")
def bitcount(c, argv):
    """BITCOUNT key [start end [BYTE | BIT]]"""
    n = len(argv)
    if n == 3 or n > 5:
        raise ReplyError(errors.SYNTAX)
    start = end = None
    bit_mode = False
    if n >= 4:
        start = parse_int(argv[2])
        end = parse_int(argv[3])
        if n == 5:
            u = argv[4].upper()
            if u == b"BIT":
                bit_mode = True
            elif u != b"BYTE":
                raise ReplyError(errors.SYNTAX)
    v = c.db.get_string(argv[1])
    if v is None:
        return 0
    return bitops.bitcount(v, start, end, bit_mode)


@command("bitpos")
def bitpos(c, argv):
    """BITPOS key bit [start [end [BYTE | BIT]]]"""
    n = len(argv)
    try:
        bit = parse_int(argv[2])
    except ReplyError:
        raise ReplyError(errors.NOT_INTEGER) from None
    if bit not in (0, 1):
        raise ReplyError("ERR The bit argument must be 1 or 0.")
    start = end = None
    bit_mode = False
    if n > 6:
        raise ReplyError(errors.SYNTAX)
    if n >= 4:
        start = parse_int(argv[3])
    if n >= 5:
        end = parse_int(argv[4])
    if n == 6:
        u = argv[5].upper()
        if u == b"BIT":
            bit_mode = True
        elif u != b"BYTE":
            raise ReplyError(errors.SYNTAX)
    v = c.db.get_string(argv[1])
    if v is None:
        return -1 if bit else 0
    if start is None:
        start = 0
    return bitops.bitpos(v, bit, start, end, bit_mode)


@command("bitop")
def bitop(c, argv):
    """BITOP <AND | OR | XOR | NOT> destkey key [key ...]"""
    op = argv[1].upper()
    if op not in (b"AND", b"OR", b"XOR", b"NOT"):
        raise ReplyError(errors.SYNTAX)
    if op == b"NOT" and len(argv) != 4:
        raise ReplyError("ERR BITOP NOT must be called with a single source key.")
    db = c.db
    values = []
    for k in argv[3:]:
        v = db.get_string(k)
        values.append(b"" if v is None else v)
    res = bitops.bitop(op, values)
    dest = argv[2]
    if res:
        db.set(dest, bytearray(res))
        c.server.notify(N.STRING, b"set", dest, db)
        c.server.dirty += 1
    elif db.delete(dest):
        c.server.notify(N.GENERIC, b"del", dest, db)
        c.server.dirty += 1
    return len(res)


# ---- BITFIELD -----------------------------------------------------------------------------
def _parse_type(raw):
    if len(raw) >= 2 and raw[0] in (105, 117):  # 'i' / 'u'
        signed = raw[0] == 105
        try:
            bits = parse_int(raw[1:])
        except ReplyError:
            bits = -1
        if (signed and 1 <= bits <= 64) or (not signed and 1 <= bits <= 63):
            return signed, bits
    raise ReplyError(BITFIELD_TYPE_ERR)


def _bitfield(c, argv, readonly):
    ops = []   # (kind, signed, bits, offset, value, overflow)
    i = 2
    n = len(argv)
    owtype = bitops.WRAP
    has_write = False
    while i < n:
        sub = argv[i].upper()
        remargs = n - i - 1
        if sub == b"GET" and remargs >= 2:
            signed, bits = _parse_type(argv[i + 1])
            off = parse_bit_offset(c, argv[i + 2], True, bits)
            ops.append((0, signed, bits, off, 0, owtype))
            i += 3
        elif sub in (b"SET", b"INCRBY") and remargs >= 3:
            signed, bits = _parse_type(argv[i + 1])
            off = parse_bit_offset(c, argv[i + 2], True, bits)
            val = parse_int(argv[i + 3])
            ops.append((1 if sub == b"SET" else 2, signed, bits, off, val, owtype))
            has_write = True
            i += 4
        elif sub == b"OVERFLOW" and remargs >= 1:
            o = argv[i + 1].upper()
            if o == b"WRAP":
                owtype = bitops.WRAP
            elif o == b"SAT":
                owtype = bitops.SAT
            elif o == b"FAIL":
                owtype = bitops.FAIL
            else:
                raise ReplyError("ERR Invalid OVERFLOW type specified")
            i += 2
        else:
            raise ReplyError(errors.SYNTAX)
    if readonly and has_write:
        raise ReplyError("ERR BITFIELD_RO only supports the GET subcommand")
    db = c.db
    key = argv[1]
    if has_write:
        top = max(op[3] + op[2] - 1 for op in ops if op[0])
        buf, _ = _writable(c, key, (top >> 3) + 1)
    else:
        buf = db.get_string(key)
        if buf is None:
            buf = b""
    out = []
    changes = 0
    for kind, signed, bits, off, val, ow in ops:
        if kind == 0:
            out.append(bitops.get_field(buf, off, bits, signed))
            continue
        old = bitops.get_field(buf, off, bits, signed)
        if signed:
            if kind == 2:
                of, new = bitops.signed_overflow(old, val, bits, ow)
                ret = new
            else:
                of, new = bitops.signed_overflow(val, 0, bits, ow)
                ret = old
        else:
            if kind == 2:
                of, new = bitops.unsigned_overflow(old, val, bits, ow)
                ret = new
            else:
                of, new = bitops.unsigned_overflow(val & ((1 << 64) - 1), 0, bits, ow)
                ret = old
        if of and ow == bitops.FAIL:
            out.append(None)
        else:
            bitops.set_field(buf, off, bits, new)
            out.append(ret)
        changes += 1
    if changes:
        db.modified(key)
        c.server.notify(N.STRING, b"setbit", key, db)
        c.server.dirty += changes
    return out


@command("bitfield")
def bitfield(c, argv):
    """BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>]
    <SET encoding offset value | INCRBY encoding offset increment> ...]"""
    return _bitfield(c, argv, False)


@command("bitfield_ro")
def bitfield_ro(c, argv):
    """BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]"""
    return _bitfield(c, argv, True)
