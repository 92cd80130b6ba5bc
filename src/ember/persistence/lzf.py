"""LZF compression compatible with liblzf (the variant Redis uses for RDB).

Format: a sequence of chunks.  A control byte ``c < 32`` introduces a literal
run of ``c + 1`` bytes.  Otherwise ``len = c >> 5`` (7 means "add the next
byte"), the back-reference offset is ``((c & 0x1f) << 8 | next_byte) + 1`` and
``len + 2`` bytes are copied from that distance back (copies may overlap).
"""
from __future__ import annotations

__all__ = ["compress", "decompress", "compress_py", "decompress_py", "LzfError", "BACKEND"]

_MAX_LIT = 32
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)  # 264


class LzfError(ValueError):
    pass


def decompress_py(data, expected_len: int | None = None) -> bytes:
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


def compress_py(data, max_out: int | None = None) -> bytes | None:
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


# ---- the C implementation (liblzf through the python-lzf package), when installed -------

try:
    import lzf as _clzf
    _clzf.compress, _clzf.decompress
except (ImportError, AttributeError):  # pragma: no cover - exercised when the package is absent
    _clzf = None

if _clzf is not None:
    _c_compress = _clzf.compress
    _c_decompress = _clzf.decompress
    # liblzf's own decompress(data, max_out): None when the output would not fit, ValueError
    # on corrupt input (the RDB loader's inline path calls it directly)
    c_decompress = _c_decompress

    def compress(data, max_out: int | None = None) -> bytes | None:
        """Compress *data* (liblzf).  None when the result would exceed *max_out* bytes
        or the input is empty."""
        if not data:
            return None
        if type(data) is not bytes:
            data = bytes(data)
        if max_out is None:
            n = len(data)
            out = _c_compress(data, n + n // 16 + 64)   # room for liblzf's worst case
            return out if out is not None and len(out) <= n + n // 32 + 2 else None
        if max_out <= 0:
            return None
        return _c_compress(data, max_out)

    def decompress(data, expected_len: int | None = None) -> bytes:
        """Decompress *data* (liblzf); the output must be *expected_len* bytes long."""
        if expected_len is None:
            return decompress_py(data)
        if expected_len <= 0:
            if data:
                raise LzfError("decompressed length mismatch")
            return b""
        if type(data) is not bytes:
            data = bytes(data)
        try:
            # one spare byte: an output longer than announced is detected, not truncated
            out = _c_decompress(data, expected_len + 1)
        except ValueError as e:
            raise LzfError(str(e)) from None
        if out is None or len(out) != expected_len:
            raise LzfError("decompressed length mismatch")
        return out

    BACKEND = "liblzf"
else:  # pragma: no cover
    compress = compress_py
    decompress = decompress_py
    c_decompress = None
    BACKEND = "python"
