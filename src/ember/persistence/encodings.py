"""Compact blob encodings embedded in RDB values: listpack, ziplist, intset,
zipmap.  Decoders raise ValueError on malformed input."""
from __future__ import annotations

import struct

__all__ = [
    "lp_encode", "lp_decode", "ziplist_decode", "intset_encode", "intset_decode",
    "zipmap_decode", "as_int", "to_bytes",
]

_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1


def as_int(s: bytes):
    """Return the int value of *s* if it is a canonical 64-bit decimal integer
    (the form Redis' string2ll accepts and prints back identically), else None."""
    n = len(s)
    if n == 0 or n > 20:
        return None
    c = s[0]
    if not (48 <= c <= 57 or c == 45):  # digit or '-'
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    if not (_I64_MIN <= v <= _I64_MAX):
        return None
    if str(v).encode() != s:
        return None
    return v


def to_bytes(v) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode()


# --------------------------------------------------------------- listpack

def _backlen(l: int) -> bytes:
    if l <= 127:
        return bytes((l,))
    if l < 16383:
        return bytes((l >> 7, (l & 127) | 128))
    if l < 2097151:
        return bytes((l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128))
    if l < 268435455:
        return bytes((l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128))
    return bytes((l >> 28, ((l >> 21) & 127) | 128, ((l >> 14) & 127) | 128,
                  ((l >> 7) & 127) | 128, (l & 127) | 128))


def _backlen_size(l: int) -> int:
    if l <= 127:
        return 1
    if l < 16383:
        return 2
    if l < 2097151:
        return 3
    if l < 268435455:
        return 4
    return 5


# NUM_START[c]: 1 when a string starting with byte c may spell an integer ('-' or a digit)
NUM_START = bytes(1 if c == 45 or 48 <= c <= 57 else 0 for c in range(256))
# a short string entry: header byte (0x80 | n), the bytes, back-length n + 1
_LP_STR_HEAD = [bytes((0x80 | n,)) for n in range(64)]
_LP_STR_BACK = [bytes((n + 1,)) for n in range(64)]


def lp_entry(item) -> bytes:
    """Encode one listpack entry (encoding + data + backlen)."""
    if type(item) is int:
        v = item
    else:
        n = len(item)
        if n < 64 and (not n or not NUM_START[item[0]]):   # the common case: short text
            return _LP_STR_HEAD[n] + item + _LP_STR_BACK[n]
        v = as_int(item)
    if v is not None:
        if 0 <= v <= 127:
            e = bytes((v,))
        elif -4096 <= v <= 4095:
            u = v & 0x1FFF
            e = bytes((0xC0 | (u >> 8), u & 0xFF))
        elif -32768 <= v <= 32767:
            e = b"\xf1" + v.to_bytes(2, "little", signed=True)
        elif -8388608 <= v <= 8388607:
            e = b"\xf2" + v.to_bytes(3, "little", signed=True)
        elif -2147483648 <= v <= 2147483647:
            e = b"\xf3" + v.to_bytes(4, "little", signed=True)
        else:
            e = b"\xf4" + v.to_bytes(8, "little", signed=True)
    else:
        n = len(item)
        if n < 64:
            e = bytes((0x80 | n,)) + item
        elif n < 4096:
            e = bytes((0xE0 | (n >> 8), n & 0xFF)) + item
        else:
            e = b"\xf0" + n.to_bytes(4, "little") + item
    return e + _backlen(len(e))


def lp_from_entries(entries: list[bytes]) -> bytes:
    body = b"".join(entries)
    n = len(entries)
    total = 6 + len(body) + 1
    return struct.pack("<IH", total, n if n < 65535 else 65535) + body + b"\xff"


def lp_encode(items) -> bytes:
    return lp_from_entries([lp_entry(x) for x in items])


_SMALL_INTS = [b"%d" % i for i in range(128)]
_SMALL_INTS_AS_INTS = range(128)


def lp_decode(blob, as_bytes: bool = False) -> list:
    """Decode a listpack into a list of bytes (strings) and ints; with *as_bytes* integer
    entries come back as their decimal strings (what a list, set or hash holds)."""
    b = blob if type(blob) is bytes else bytes(blob)
    n = len(b)
    if n < 7:
        raise ValueError("listpack too short")
    total, count = _unpack_lp_header(b, 0)
    if total != n:
        raise ValueError("listpack total bytes mismatch")
    if b[n - 1] != 0xFF:
        raise ValueError("listpack missing terminator")
    out = []
    append = out.append
    pos = 6
    last = n - 1          # the terminator's offset
    frm = int.from_bytes
    small = _SMALL_INTS if as_bytes else _SMALL_INTS_AS_INTS
    while pos < last:
        c = b[pos]
        if c < 0x80:        # 7-bit unsigned int: encoding byte + 1 backlen byte
            append(small[c])
            pos += 2
            continue
        if c < 0xC0:        # string up to 63 bytes: encoding byte, data, 1 backlen byte
            p1 = pos + 1
            pos = p1 + c - 127
            append(b[p1:pos - 1])
            continue
        if c < 0xE0:        # 13-bit signed int
            v = ((c & 0x1F) << 8) | b[pos + 1]
            if v >= 4096:
                v -= 8192
            append(b"%d" % v if as_bytes else v)
            size = 2
        elif c < 0xF0:      # string up to 4095 bytes
            size = 2 + (((c & 0x0F) << 8) | b[pos + 1])
            append(b[pos + 2:pos + size])
        elif c == 0xF0:
            size = 5 + frm(b[pos + 1:pos + 5], "little")
            append(b[pos + 5:pos + size])
        elif 0xF1 <= c <= 0xF4:
            w = _INT_WIDTHS[c - 0xF1]
            v = frm(b[pos + 1:pos + 1 + w], "little", signed=True)
            append(b"%d" % v if as_bytes else v)
            size = 1 + w
        elif c == 0xFF:
            raise ValueError("listpack terminator before end")
        else:
            raise ValueError(f"invalid listpack entry encoding 0x{c:02x}")
        pos += size + (1 if size < 128 else _backlen_size(size))
    if pos != last:
        raise ValueError("listpack entry past end")
    if count != 65535 and count != len(out):
        raise ValueError("listpack element count mismatch")
    return out


_INT_WIDTHS = (2, 3, 4, 8)
_unpack_lp_header = struct.Struct("<IH").unpack_from


# --------------------------------------------------------------- ziplist

def ziplist_decode(blob) -> list:
    b = bytes(blob)
    n = len(b)
    if n < 11:
        raise ValueError("ziplist too short")
    zlbytes, zltail, zllen = struct.unpack_from("<IIH", b, 0)
    if zlbytes != n:
        raise ValueError("ziplist total bytes mismatch")
    out = []
    pos = 10
    frm = int.from_bytes
    while True:
        if pos >= n:
            raise ValueError("ziplist missing terminator")
        if b[pos] == 0xFF:
            if pos != n - 1:
                raise ValueError("ziplist terminator before end")
            break
        pos += 1 if b[pos] < 254 else 5
        if pos >= n:
            raise ValueError("ziplist entry past end")
        e = b[pos]
        top = e >> 6
        if top == 0:
            l = e & 0x3F
            pos += 1
        elif top == 1:
            l = ((e & 0x3F) << 8) | b[pos + 1]
            pos += 2
        elif top == 2:
            l = frm(b[pos + 1:pos + 5], "big")
            pos += 5
        else:
            pos += 1
            if e == 0xC0:
                v = frm(b[pos:pos + 2], "little", signed=True); pos += 2
            elif e == 0xD0:
                v = frm(b[pos:pos + 4], "little", signed=True); pos += 4
            elif e == 0xE0:
                v = frm(b[pos:pos + 8], "little", signed=True); pos += 8
            elif e == 0xF0:
                v = frm(b[pos:pos + 3], "little", signed=True); pos += 3
            elif e == 0xFE:
                v = frm(b[pos:pos + 1], "little", signed=True); pos += 1
            elif 0xF1 <= e <= 0xFD:
                v = (e & 0x0F) - 1
            else:
                raise ValueError(f"invalid ziplist entry encoding 0x{e:02x}")
            if pos > n - 1:
                raise ValueError("ziplist entry past end")
            out.append(v)
            continue
        if pos + l > n - 1:
            raise ValueError("ziplist entry past end")
        out.append(b[pos:pos + l])
        pos += l
    if zllen != 65535 and zllen != len(out):
        raise ValueError("ziplist element count mismatch")
    return out


# --------------------------------------------------------------- intset

def intset_encode(values: list[int]) -> bytes:
    vals = sorted(set(values))
    lo, hi = (vals[0], vals[-1]) if vals else (0, 0)
    if -32768 <= lo and hi <= 32767:
        w, fmt = 2, "h"
    elif -2147483648 <= lo and hi <= 2147483647:
        w, fmt = 4, "i"
    else:
        w, fmt = 8, "q"
    return struct.pack(f"<II{len(vals)}{fmt}", w, len(vals), *vals)


def intset_decode(blob) -> list[int]:
    b = bytes(blob)
    if len(b) < 8:
        raise ValueError("intset too short")
    w, count = struct.unpack_from("<II", b, 0)
    fmt = {2: "h", 4: "i", 8: "q"}.get(w)
    if fmt is None:
        raise ValueError("invalid intset encoding")
    if len(b) != 8 + w * count:
        raise ValueError("intset size mismatch")
    return list(struct.unpack_from(f"<{count}{fmt}", b, 8))


# --------------------------------------------------------------- zipmap

def zipmap_decode(blob) -> dict[bytes, bytes]:
    b = bytes(blob)
    n = len(b)
    pos = 1
    out = {}

    def length():
        nonlocal pos
        if pos >= n:
            raise ValueError("zipmap truncated")
        c = b[pos]
        if c < 254:
            pos += 1
            return c
        if c == 254:
            v = int.from_bytes(b[pos + 1:pos + 5], "little")
            pos += 5
            return v
        raise ValueError("zipmap bad length")

    while True:
        if pos >= n:
            raise ValueError("zipmap missing terminator")
        if b[pos] == 0xFF:
            break
        kl = length()
        k = b[pos:pos + kl]
        pos += kl
        vl = length()
        if pos >= n:
            raise ValueError("zipmap truncated")
        free = b[pos]
        pos += 1
        v = b[pos:pos + vl]
        pos += vl + free
        if pos > n - 1:
            raise ValueError("zipmap entry past end")
        out[k] = v
    return out
