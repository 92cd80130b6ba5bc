"""HyperLogLog in Redis' exact byte layout, so values move freely between ember and Redis.

Layout (a plain string value):
  "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | 8-byte little-endian cached
  cardinality (bit 7 of the last byte set = cache invalid) | registers
Dense: 16384 registers of 6 bits, register i at bit i*6, least significant bits first.
Sparse: opcodes ZERO 00xxxxxx (run 1..64), XZERO 01xxxxxx yyyyyyyy (run 1..16384),
VAL 1vvvvvll (value 1..32, run 1..4).  Updates edit the opcode stream in place exactly as
Redis does (split, then merge adjacent equal VALs), so the bytes match Redis' bytes.

Element hash: MurmurHash64A(seed 0xadc83b19); low 14 bits pick the register, the run of
zeros above them (+1, capped at 51) is the value.  Counting uses Ertl's improved estimator
(what Redis 5+ uses), so the numbers equal Redis' for the same registers.

Functions raise ``HLLError`` on a corrupted value; callers map it to INVALIDOBJ.
Invariant: a leaf module; works on ``bytearray`` values in place.
"""

import math
import re

P = 14
Q = 64 - P
REGISTERS = 1 << P
HDR = 16
DENSE_SIZE = HDR + (REGISTERS * 6 + 7) // 8
DENSE, SPARSE = 0, 1
MAGIC = b"HYLL"
ALPHA_INF = 0.721347520444481703680

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
SEED = 0xADC83B19


class HLLError(Exception):
    pass


def murmur64a(data: bytes, seed: int = SEED) -> int:
    n = len(data)
    m = _MUL
    h = (seed ^ ((n * m) & _M64)) & _M64
    nblocks = n >> 3
    if nblocks:
        ks = memoryview(bytes(data[:nblocks * 8])).cast("Q") if _LITTLE else None
        for i in range(nblocks):
            k = ks[i] if ks is not None else int.from_bytes(data[i * 8:i * 8 + 8], "little")
            k = (k * m) & _M64
            k ^= k >> 47
            k = (k * m) & _M64
            h ^= k
            h = (h * m) & _M64
    tail = n & 7
    if tail:
        h ^= int.from_bytes(data[nblocks * 8:], "little")
        h = (h * m) & _M64
    h ^= h >> 47
    h = (h * m) & _M64
    h ^= h >> 47
    return h


import sys as _sys  # noqa: E402
_LITTLE = _sys.byteorder == "little"


def pat_len(ele: bytes):
    """(register index, value) for an element."""
    h = murmur64a(ele)
    index = h & (REGISTERS - 1)
    h >>= P
    h |= 1 << Q
    # count = trailing zeros + 1
    count = ((h & -h).bit_length())
    return index, count


# ---- creation / validation ---------------------------------------------------------------
def new_sparse() -> bytearray:
    v = bytearray(MAGIC + bytes([SPARSE]) + bytes(11))
    v += bytes([0x40 | ((REGISTERS - 1) >> 8), (REGISTERS - 1) & 0xFF])
    return v


def is_valid(v) -> bool:
    if len(v) < HDR or not v.startswith(MAGIC):
        return False
    enc = v[4]
    if enc > SPARSE:
        return False
    if enc == DENSE and len(v) != DENSE_SIZE:
        return False
    return True


def invalidate_cache(v: bytearray):
    v[15] |= 0x80


def cache_valid(v) -> bool:
    return not (v[15] & 0x80)


def cached(v) -> int:
    return int.from_bytes(v[8:16], "little")


def set_cache(v: bytearray, card: int):
    v[8:16] = card.to_bytes(8, "little")


# ---- dense registers ------------------------------------------------------------------------
def dense_get(v, index: int) -> int:
    pos = HDR * 8 + index * 6
    b = pos >> 3
    fb = pos & 7
    b1 = v[b + 1] if b + 1 < len(v) else 0
    return ((v[b] >> fb) | (b1 << (8 - fb))) & 63


def dense_set(v: bytearray, index: int, val: int):
    pos = index * 6
    b = HDR + (pos >> 3)
    fb = pos & 7
    v[b] = (v[b] & ~(63 << fb) & 0xFF) | ((val << fb) & 0xFF)
    if fb > 2:
        v[b + 1] = (v[b + 1] & ~(63 >> (8 - fb)) & 0xFF) | (val >> (8 - fb))


def dense_add_reg(v: bytearray, index: int, count: int) -> int:
    if count > dense_get(v, index):
        dense_set(v, index, count)
        return 1
    return 0


# Bulk decode of the dense registers into one byte per register, with bytes tricks:
# every 3 bytes hold 4 registers.
_T_LO6 = bytes(b & 63 for b in range(256))
_T_HI2 = bytes(b >> 6 for b in range(256))
_T_LO4_SH2 = bytes((b & 15) << 2 for b in range(256))
_T_HI4 = bytes(b >> 4 for b in range(256))
_T_LO2_SH4 = bytes((b & 3) << 4 for b in range(256))
_T_HI6 = bytes(b >> 2 for b in range(256))


def _add_bytes(a: bytes, b: bytes) -> bytes:
    """Element-wise sum of two equal-length byte strings whose sums stay below 256."""
    n = len(a)
    return (int.from_bytes(a, "big") + int.from_bytes(b, "big")).to_bytes(n, "big")


def dense_registers(v) -> list:
    """Four byte strings (register 4k, 4k+1, 4k+2, 4k+3 for k in 0..4095)."""
    regs = bytes(v[HDR:DENSE_SIZE])
    b0, b1, b2 = regs[0::3], regs[1::3], regs[2::3]
    r0 = b0.translate(_T_LO6)
    r1 = _add_bytes(b0.translate(_T_HI2), b1.translate(_T_LO4_SH2))
    r2 = _add_bytes(b1.translate(_T_HI4), b2.translate(_T_LO2_SH4))
    r3 = b2.translate(_T_HI6)
    return [r0, r1, r2, r3]


def dense_to_raw(v) -> bytearray:
    r0, r1, r2, r3 = dense_registers(v)
    out = bytearray(REGISTERS)
    out[0::4] = r0
    out[1::4] = r1
    out[2::4] = r2
    out[3::4] = r3
    return out


def histogram_of_bytes(parts) -> list:
    histo = [0] * 64
    for part in parts:
        left = len(part)
        for val in range(64):
            if not left:
                break
            k = part.count(val)
            histo[val] += k
            left -= k
    return histo


# ---- sparse ----------------------------------------------------------------------------------
def sparse_runs(v):
    """Yield (value, runlen) for the opcode stream (value 0 for ZERO/XZERO)."""
    p = HDR
    end = len(v)
    while p < end:
        op = v[p]
        if op & 0x80:
            yield ((op >> 2) & 31) + 1, (op & 3) + 1
            p += 1
        elif op & 0x40:
            if p + 1 >= end:
                yield 0, (((op & 63) << 8)) + 1
                p += 1
            else:
                yield 0, (((op & 63) << 8) | v[p + 1]) + 1
                p += 2
        else:
            yield 0, (op & 63) + 1
            p += 1


def sparse_histogram(v) -> list:
    histo = [0] * 64
    idx = 0
    for val, run in sparse_runs(v):
        histo[val] += run
        idx += run
    if idx != REGISTERS:
        raise HLLError()
    return histo


def sparse_to_dense(v: bytearray) -> None:
    """Promote in place (header kept, encoding set to dense)."""
    dense = bytearray(DENSE_SIZE)
    dense[:HDR] = v[:HDR]
    dense[4] = DENSE
    idx = 0
    for val, run in sparse_runs(v):
        if idx + run > REGISTERS:
            raise HLLError()
        if val:
            for i in range(idx, idx + run):
                dense_set(dense, i, val)
        idx += run
    if idx != REGISTERS:
        raise HLLError()
    v[:] = dense


def _val_op(val, run):
    return 0x80 | ((val - 1) << 2) | (run - 1)


def _zero_ops(run):
    if run > 64:
        r = run - 1
        return bytes([0x40 | (r >> 8), r & 0xFF])
    return bytes([run - 1])


# Registers covered by a one-byte opcode (ZERO, VAL); 0 for an XZERO's first byte.
_T_SPAN = bytes(((b & 63) + 1) if b < 0x40 else (((b & 3) + 1) if b >= 0x80 else 0)
                for b in range(256))
_XZERO_AT = re.compile(rb"[\x40-\x7f]").search
_CHUNK = 64


def sparse_find(v, index: int):
    """(p, first, span, prev) of the opcode covering register ``index``: its position, its
    first register, its register count, and the position of the opcode before it (-1).
    Runs of one-byte opcodes are skipped a chunk at a time (register counts summed from a
    translated copy); only XZERO opcodes and the final chunk are walked one by one."""
    end = len(v)
    p = HDR
    first = 0
    prev = -1
    span_of = _T_SPAN
    while p < end:
        m = _XZERO_AT(v, p)
        seg_end = m.start() if m is not None else end
        q = p
        while q < seg_end:
            c_end = q + _CHUNK
            if c_end > seg_end:
                c_end = seg_end
            s = sum(v[q:c_end].translate(span_of))
            if first + s > index:
                while c_end - q > 8:
                    s = sum(v[q:q + 8].translate(span_of))
                    if first + s > index:
                        break
                    first += s
                    q += 8
                while True:
                    sp = span_of[v[q]]
                    if index < first + sp:
                        return q, first, sp, (q - 1 if q > p else prev)
                    first += sp
                    q += 1
            first += s
            q = c_end
        if seg_end > p:
            prev = seg_end - 1
        if m is None:
            break
        x = seg_end
        sp = (((v[x] & 63) << 8) | (v[x + 1] if x + 1 < end else 0)) + 1
        if index < first + sp:
            return x, first, sp, prev
        first += sp
        prev = x
        p = x + 2
    raise HLLError()


def sparse_set(v: bytearray, index: int, count: int, max_bytes: int) -> int:
    """hllSparseSet: 1 if updated, 0 if not; may promote ``v`` to dense in place."""
    if count > 32:
        sparse_to_dense(v)
        return dense_add_reg(v, index, count) or 1
    end = len(v)
    p, first, span, prev = sparse_find(v, index)
    op = v[p]
    is_val = op & 0x80
    is_xzero = (not is_val) and (op & 0x40)
    runlen = span
    done = False
    if is_val:
        oldcount = ((op >> 2) & 31) + 1
        if oldcount >= count:
            return 0
        if runlen == 1:
            v[p] = _val_op(count, 1)
            done = True
    elif runlen == 1:
        v[p] = _val_op(count, 1)
        done = True
    if not done:
        last = first + span - 1
        seq = bytearray()
        if not is_val:
            if index != first:
                seq += _zero_ops(index - first)
            seq.append(_val_op(count, 1))
            if index != last:
                seq += _zero_ops(last - index)
        else:
            curval = ((op >> 2) & 31) + 1
            if index != first:
                seq.append(_val_op(curval, index - first))
            seq.append(_val_op(count, 1))
            if index != last:
                seq.append(_val_op(curval, last - index))
        oldlen = 2 if is_xzero else 1
        delta = len(seq) - oldlen
        if delta > 0 and len(v) + delta > max_bytes:
            sparse_to_dense(v)
            return dense_add_reg(v, index, count) or 1
        v[p:p + oldlen] = seq
    # merge adjacent VAL opcodes with equal values (up to 5 opcodes from prev)
    end = len(v)
    p = prev if prev >= 0 else HDR
    scanlen = 5
    while p < end and scanlen:
        scanlen -= 1
        op = v[p]
        if not op & 0x80:
            p += 2 if op & 0x40 else 1
            continue
        if p + 1 < end and v[p + 1] & 0x80:
            op2 = v[p + 1]
            v1 = ((op >> 2) & 31) + 1
            v2 = ((op2 >> 2) & 31) + 1
            if v1 == v2:
                ln = (op & 3) + 1 + (op2 & 3) + 1
                if ln <= 4:
                    v[p + 1] = _val_op(v1, ln)
                    del v[p]
                    end -= 1
                    continue
        p += 1
    return 1


# ---- public operations --------------------------------------------------------------------
def add(v: bytearray, ele: bytes, max_bytes: int) -> int:
    index, count = pat_len(ele)
    if v[4] == DENSE:
        return dense_add_reg(v, index, count)
    if v[4] == SPARSE:
        return sparse_set(v, index, count, max_bytes)
    raise HLLError()


def add_all(v: bytearray, elements, max_bytes: int) -> int:
    """PFADD's loop (add() for each element, murmur64a inlined for elements shorter than
    16 bytes: at most one 8-byte block and a tail): the number of elements that changed a
    register."""
    updated = 0
    m = _MUL
    mask = _M64
    for ele in elements:
        n = len(ele)
        if n < 16:
            h = SEED ^ ((n * m) & mask)
            if n >= 8:
                k = (int.from_bytes(ele[:8], "little") * m) & mask
                k ^= k >> 47
                h = ((h ^ ((k * m) & mask)) * m) & mask
                if n > 8:
                    h = ((h ^ int.from_bytes(ele[8:], "little")) * m) & mask
            elif n:
                h = ((h ^ int.from_bytes(ele, "little")) * m) & mask
            h ^= h >> 47
            h = (h * m) & mask
            h ^= h >> 47
        else:
            h = murmur64a(ele)
        index = h & (REGISTERS - 1)
        h = (h >> P) | (1 << Q)
        count = (h & -h).bit_length()
        enc = v[4]
        if enc == DENSE:
            pos = index * 6
            b = HDR + (pos >> 3)
            fb = pos & 7
            if fb <= 2:
                old = (v[b] >> fb) & 63
            else:
                old = ((v[b] >> fb) | (v[b + 1] << (8 - fb))) & 63
            if count > old:
                dense_set(v, index, count)
                updated += 1
        elif enc == SPARSE:
            updated += sparse_set(v, index, count, max_bytes)
        else:
            raise HLLError()
    return updated


def histogram(v) -> list:
    if v[4] == DENSE:
        return histogram_of_bytes(dense_registers(v))
    if v[4] == SPARSE:
        return sparse_histogram(v)
    raise HLLError()


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if zp == z:
            return z / 3


def count_histogram(histo) -> int:
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    e = ALPHA_INF * m * m / z
    return int(math.floor(e + 0.5))


def count(v) -> int:
    return count_histogram(histogram(v))


def merge_into(raw: bytearray, v) -> None:
    """Registers of ``v`` max-merged into ``raw`` (one byte per register)."""
    if v[4] == DENSE:
        regs = dense_to_raw(v)
        if not any(raw):
            raw[:] = regs
            return
        for i, r in enumerate(regs):
            if r > raw[i]:
                raw[i] = r
        return
    if v[4] != SPARSE:
        raise HLLError()
    idx = 0
    for val, run in sparse_runs(v):
        if idx + run > REGISTERS:
            break
        if val:
            for i in range(idx, idx + run):
                if val > raw[i]:
                    raw[i] = val
        idx += run
    if idx != REGISTERS:
        raise HLLError()


def decode_sparse(v) -> bytes:
    parts = []
    p = HDR
    end = len(v)
    while p < end:
        op = v[p]
        if op & 0x80:
            parts.append(b"v:%d,%d" % (((op >> 2) & 31) + 1, (op & 3) + 1))
            p += 1
        elif op & 0x40:
            nxt = v[p + 1] if p + 1 < end else 0
            parts.append(b"Z:%d" % ((((op & 63) << 8) | nxt) + 1))
            p += 2
        else:
            parts.append(b"z:%d" % ((op & 63) + 1))
            p += 1
    return b" ".join(parts)
