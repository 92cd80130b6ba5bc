"""Pure bit-string algorithms behind SETBIT/BITCOUNT/BITPOS/BITOP/BITFIELD.

Bits are numbered as Redis numbers them: bit 0 is the most significant bit of byte 0.
Everything works on whole byte ranges with ``int.from_bytes`` / ``bytes.lstrip`` /
``int.bit_count`` so that a megabyte costs milliseconds, never a per-bit Python loop.

Invariant: a leaf module (no ember imports); callers pass ``bytes``/``bytearray``.
"""

_M64 = (1 << 64) - 1


def getbit(v, offset: int) -> int:
    byte = offset >> 3
    if byte >= len(v):
        return 0
    return (v[byte] >> (7 - (offset & 7))) & 1


def setbit(buf: bytearray, offset: int, on: int) -> int:
    """Set the bit (``buf`` already long enough); returns the old bit."""
    byte = offset >> 3
    shift = 7 - (offset & 7)
    old = (buf[byte] >> shift) & 1
    if on:
        buf[byte] |= 1 << shift
    else:
        buf[byte] &= ~(1 << shift) & 0xFF
    return old


try:
    from zlib import adler32 as _adler32
except ImportError:   # a Python built without zlib: the int path below does it all
    _adler32 = None

_POPCNT = bytes(bin(b).count("1") for b in range(256))

# numpy (a declared dependency, but ember still runs without it): numpy.bitwise_count over 64-bit words
# is a SIMD popcount, ~100k instructions for 64 KB against ~850k for translate + Adler-32.
# Imported on the first long count only (the import takes ~0.1 s), so a server that never
# counts a long range never loads it.  None: not tried yet; False: unavailable.
NUMPY_MIN = 2048
_np_words = None


def _load_numpy():
    global _np_words
    try:
        import numpy as np
        bc = np.bitwise_count
    except (ImportError, AttributeError):   # no numpy, or numpy < 2.0
        _np_words = False
        return
    fb = np.frombuffer
    u64 = np.uint64

    def words(v, start, nwords):
        """Set bits in the ``nwords`` 8-byte words of ``v`` from byte ``start``."""
        return int(bc(fb(v, u64, nwords, start)).sum(dtype=u64))
    _np_words = words


def use_numpy(on: bool):
    """Tests: force the numpy path off (False) or back to its lazy default (True)."""
    global _np_words
    _np_words = None if on else False
_ADLER_CHUNK = 8190      # 8 * 8190 < 65521: a chunk's byte sum never wraps Adler-32's A
_BIG_CHUNK = 128 * _ADLER_CHUNK


def popcount(v, start: int = 0, end: int = None) -> int:
    """Number of set bits in bytes [start, end) (numpy's bitwise_count from NUMPY_MIN bytes
    when numpy is installed, see above).

    Short ranges: ``int.from_bytes(...).bit_count()``.  Long ones: ``translate`` maps each
    byte to its bit count, and Adler-32's first sum (started at 0) adds those up in C; a
    chunk of 8190 bytes sums to at most 65520, below Adler's modulus, so the low 16 bits
    are the exact sum.  About 10 instructions per byte instead of 20."""
    if end is None:
        end = len(v)
    n = end - start
    if n <= 0:
        return 0
    if n < 256:
        return int.from_bytes(v[start:end], "little").bit_count()
    if n >= NUMPY_MIN:
        if _np_words is None:
            _load_numpy()
        if _np_words is not False:
            nw = n >> 3
            mid = start + (nw << 3)
            total = _np_words(v, start, nw)
            if mid < end:
                total += int.from_bytes(v[mid:end], "little").bit_count()
            return total
    if _adler32 is None:
        return int.from_bytes(v[start:end], "little").bit_count()
    total = 0
    ad = _adler32
    step = _ADLER_CHUNK
    for lo in range(start, end, _BIG_CHUNK):
        hi = lo + _BIG_CHUNK
        if hi > end:
            hi = end
        if lo == 0 and hi == len(v):
            t = v.translate(_POPCNT)
        else:
            t = v[lo:hi].translate(_POPCNT)
        if len(t) <= step:
            total += ad(t, 0) & 0xFFFF
        else:
            mv = memoryview(t)
            for j in range(0, len(t), step):
                total += ad(mv[j:j + step], 0) & 0xFFFF
    return total


def normalize_range(start: int, end: int, total: int):
    """Redis' negative-index rules; returns (start, end) inclusive or None if empty."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    if start > end:
        return None
    return start, end


def bitcount(v, start=None, end=None, bit_mode=False) -> int:
    n = len(v)
    if start is None:
        return popcount(v)
    if start < 0 and end < 0 and start > end:
        return 0
    total = n * 8 if bit_mode else n
    r = normalize_range(start, end, total)
    if r is None:
        return 0
    start, end = r
    if not bit_mode:
        return popcount(v, start, end + 1)
    fb, lb = start >> 3, end >> 3
    x = int.from_bytes(v[fb:lb + 1], "big")
    width = (lb - fb + 1) * 8
    # keep bits [start - fb*8, end - fb*8] counted from the MSB
    lo_cut = width - 1 - (end - fb * 8)
    x >>= lo_cut
    x &= (1 << (end - start + 1)) - 1
    return x.bit_count()


def _first_bit(seg, bit: int) -> int:
    """Position of the first ``bit`` in ``seg`` or -1."""
    if bit:
        rest = seg.lstrip(b"\x00")
        if not rest:
            return -1
        return (len(seg) - len(rest)) * 8 + 8 - rest[0].bit_length()
    rest = seg.lstrip(b"\xff")
    if not rest:
        return -1
    return (len(seg) - len(rest)) * 8 + 8 - ((~rest[0]) & 0xFF).bit_length()


def bitpos(v, bit: int, start=None, end=None, bit_mode=False) -> int:
    """BITPOS over an existing string ``v``."""
    n = len(v)
    end_given = end is not None
    total = n * 8 if bit_mode else n
    if start is None:
        start = 0
    if end is None:
        end = total - 1
    r = normalize_range(start, end, total)
    if r is None:
        return -1
    start, end = r
    if bit_mode:
        fmask = (~((1 << (8 - (start & 7))) - 1)) & 0xFF   # bits before start in first byte
        lmask = (1 << (7 - (end & 7))) - 1                 # bits after end in last byte
        sb, eb = start >> 3, end >> 3
    else:
        fmask = lmask = 0
        sb, eb = start, end
    seg = v[sb:eb + 1]
    if fmask or lmask:
        seg = bytearray(seg)
        if bit:
            seg[0] &= ~fmask & 0xFF
            seg[-1] &= ~lmask & 0xFF
        else:
            seg[0] |= fmask
            seg[-1] |= lmask
    pos = _first_bit(seg, bit)
    if pos == -1:
        if bit or end_given:
            return -1
        return (eb + 1) * 8
    return pos + sb * 8


def bitop(op: bytes, values) -> bytes:
    """AND/OR/XOR/NOT over the values (missing keys as empty strings)."""
    maxlen = max((len(v) for v in values), default=0)
    if maxlen == 0:
        return b""
    if op == b"NOT":
        x = int.from_bytes(values[0], "big")
        return (x ^ ((1 << (8 * maxlen)) - 1)).to_bytes(maxlen, "big")
    ints = [int.from_bytes(bytes(v).ljust(maxlen, b"\x00"), "big") for v in values]
    acc = ints[0]
    if op == b"AND":
        for x in ints[1:]:
            acc &= x
    elif op == b"OR":
        for x in ints[1:]:
            acc |= x
    else:
        for x in ints[1:]:
            acc ^= x
    return acc.to_bytes(maxlen, "big")


# ---- BITFIELD ------------------------------------------------------------------------------
def get_field(v, offset: int, bits: int, signed: bool) -> int:
    fb = offset >> 3
    lb = (offset + bits - 1) >> 3
    chunk = bytes(v[fb:lb + 1])
    width = (lb - fb + 1) * 8
    if len(chunk) < lb - fb + 1:
        chunk = chunk.ljust(lb - fb + 1, b"\x00")
    x = int.from_bytes(chunk, "big")
    x >>= width - (offset & 7) - bits
    x &= (1 << bits) - 1
    if signed and x >> (bits - 1):
        x -= 1 << bits
    return x


def set_field(buf: bytearray, offset: int, bits: int, value: int) -> None:
    """Write the low ``bits`` of ``value`` (buffer already long enough)."""
    fb = offset >> 3
    lb = (offset + bits - 1) >> 3
    width = (lb - fb + 1) * 8
    shift = width - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    x = int.from_bytes(buf[fb:lb + 1], "big")
    x = (x & ~mask) | ((value << shift) & mask)
    buf[fb:lb + 1] = x.to_bytes(lb - fb + 1, "big")


WRAP, SAT, FAIL = 0, 1, 2


def signed_overflow(value: int, incr: int, bits: int, owtype: int):
    """(overflowed, result) for value+incr in a signed field of ``bits``."""
    mx = (1 << (bits - 1)) - 1
    mn = -mx - 1
    # Redis computes the headroom in int64 arithmetic, which wraps for extreme values
    # (e.g. SET i8 of -9223372036854775807 saturates to +127): reproduce that.
    maxincr = _wrap64(mx - value)
    minincr = _wrap64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        over = True
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        over = False
    else:
        return False, value + incr
    if owtype == WRAP:
        r = (value + incr) & ((1 << bits) - 1)
        if r >> (bits - 1):
            r -= 1 << bits
        return True, r
    if owtype == SAT:
        return True, mx if over else mn
    return True, None


def _wrap64(x: int) -> int:
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >> 63 else x


def unsigned_overflow(value: int, incr: int, bits: int, owtype: int):
    """(overflowed, result) for value+incr in an unsigned field; ``value`` may be any
    uint64 (SET of an out-of-range number passes it as value with incr 0)."""
    mx = (1 << bits) - 1
    total = value + incr
    if value <= mx and 0 <= total <= mx:
        return False, total
    if owtype == WRAP:
        return True, (total & _M64) & mx
    if owtype == SAT:
        return True, mx if (value > mx or total > mx) else 0
    return True, None
