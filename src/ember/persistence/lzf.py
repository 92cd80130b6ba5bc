"""LZF compression compatible with liblzf (the variant Redis uses for RDB).

Format: a sequence of chunks.  A control byte ``c < 32`` introduces a literal
run of ``c + 1`` bytes.  Otherwise ``len = c >> 5`` (7 means "add the next
byte"), the back-reference offset is ``((c & 0x1f) << 8 | next_byte) + 1`` and
``len + 2`` bytes are copied from that distance back (copies may overlap).
"""
from __future__ import annotations

__all__ = ["compress", "decompress", "LzfError"]

_MAX_LIT = 32
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)  # 264


class LzfError(ValueError):
    pass


def decompress(data, expected_len: int | None = None) -> bytes:
    """Decompress *data*; if *expected_len* is given the output must match it."""
    src = bytes(data)
    n = len(src)
    out = bytearray()
    i = 0
    while i < n:
        ctrl = src[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise LzfError("literal run past end of input")
            out += src[i:i + run]
            i += run
        else:
            length = ctrl >> 5
            if length == 7:
                if i >= n:
                    raise LzfError("truncated back-reference")
                length += src[i]
                i += 1
            if i >= n:
                raise LzfError("truncated back-reference")
            ref = len(out) - (((ctrl & 0x1F) << 8) | src[i]) - 1
            i += 1
            if ref < 0:
                raise LzfError("back-reference before start of output")
            length += 2
            dist = len(out) - ref
            if dist >= length:
                out += out[ref:ref + length]
            else:  # overlapping copy: repeat the period
                chunk = out[ref:]
                reps, rem = divmod(length, dist)
                out += chunk * reps + chunk[:rem]
        if expected_len is not None and len(out) > expected_len:
            raise LzfError("output longer than expected")
    if expected_len is not None and len(out) != expected_len:
        raise LzfError("decompressed length mismatch")
    return bytes(out)


def compress(data, max_out: int | None = None) -> bytes | None:
    """Compress *data*.  Returns None when the result would exceed *max_out*
    bytes (liblzf returns 0 in that case), or when the input is empty."""
    src = bytes(data)
    n = len(src)
    if n == 0:
        return None
    limit = max_out if max_out is not None else n + n // 32 + 2
    out = bytearray()
    table: dict = {}
    lit_start = 0
    i = 0
    end = n - 2  # need 3 bytes to hash
    while i < end:
        key = src[i:i + 3]
        ref = table.get(key)
        table[key] = i
        if ref is not None and i - ref <= _MAX_OFF:
            # extend the match
            maxlen = min(_MAX_REF, n - i)
            length = 3
            while length < maxlen and src[ref + length] == src[i + length]:
                length += 1
            # flush pending literals
            p = lit_start
            while p < i:
                run = min(_MAX_LIT, i - p)
                out.append(run - 1)
                out += src[p:p + run]
                p += run
            off = i - ref - 1
            l2 = length - 2
            if l2 < 7:
                out.append((l2 << 5) | (off >> 8))
            else:
                out.append((7 << 5) | (off >> 8))
                out.append(l2 - 7)
            out.append(off & 0xFF)
            if len(out) > limit:
                return None
            # index a couple of positions inside the match (as liblzf does)
            nxt = i + length
            j = nxt - 2
            if j > i and j < end:
                table[src[j:j + 3]] = j
            j += 1
            if j > i and j < end:
                table[src[j:j + 3]] = j
            i = nxt
            lit_start = i
        else:
            i += 1
    p = lit_start
    while p < n:
        run = min(_MAX_LIT, n - p)
        out.append(run - 1)
        out += src[p:p + run]
        p += run
    if len(out) > limit:
        return None
    return bytes(out)
