"""The extra Lua libraries Redis scripts expect: bit, struct, cjson, cmsgpack.

Written for ember in Python and exposed to Lua through small Lua wrappers (see
runtime.SETUP).  Lua strings arrive here as ``bytes`` (the runtime has no encoding), Lua
numbers as int/float, Lua tables as lupa table objects.  Errors are raised as
``LibError``; the Lua wrapper turns them into Lua errors.
"""

import json
import math
import struct as _struct

from lupa import lua51

lua_type = lua51.lua_type


class LibError(Exception):
    pass


# ---- bit (LuaBitOp semantics: 32-bit signed results) ---------------------------------
def _arg(x, i, name):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return x
    if isinstance(x, bytes):
        try:
            return float(x) if not x.strip().isdigit() else int(x)
        except ValueError:
            pass
    t = "nil" if x is None else "boolean" if isinstance(x, bool) else "string" \
        if isinstance(x, bytes) else lua_type(x) or "userdata"
    raise LibError("bad argument #%d to '%s' (number expected, got %s)" % (i, name, t))


def _tobit(x):
    x = int(math.fmod(float(x), 4294967296.0)) if isinstance(x, float) else int(x)
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def _bit_fold(op, start):
    def f(*args):
        acc = start
        for a in args:
            acc = op(acc, _tobit(a) & 0xFFFFFFFF)
        return _tobit(acc)
    return f


def _tohex(x, n=8):
    x = _tobit(x) & 0xFFFFFFFF
    n = int(n)
    upper = n < 0
    n = min(abs(n), 8)
    s = "%08x" % x
    s = s[8 - n:] if n else ""
    return (s.upper() if upper else s).encode()


def _rol(x, n):
    x = _tobit(x) & 0xFFFFFFFF
    n = int(n) & 31
    return _tobit(((x << n) | (x >> (32 - n))) & 0xFFFFFFFF)


def _ror(x, n):
    return _rol(x, 32 - (int(n) & 31))


def _arshift(x, n):
    return _tobit(_tobit(x) >> (int(n) & 31))


def _bswap(x):
    x = _tobit(x) & 0xFFFFFFFF
    return _tobit(int.from_bytes(x.to_bytes(4, "little"), "big"))


def _checked(name, f):
    def g(*args):
        return f(*[_arg(a, i + 1, name) for i, a in enumerate(args)])
    return g


BIT = {
    "tobit": _tobit,
    "tohex": _tohex,
    "bnot": lambda x: _tobit(~(_tobit(x) & 0xFFFFFFFF)),
    "band": _bit_fold(lambda a, b: a & b, 0xFFFFFFFF),
    "bor": _bit_fold(lambda a, b: a | b, 0),
    "bxor": _bit_fold(lambda a, b: a ^ b, 0),
    "lshift": lambda x, n: _tobit((_tobit(x) & 0xFFFFFFFF) << (int(n) & 31)),
    "rshift": lambda x, n: _tobit((_tobit(x) & 0xFFFFFFFF) >> (int(n) & 31)),
    "arshift": _arshift,
    "rol": _rol,
    "ror": _ror,
    "bswap": _bswap,
}
BIT = {k: _checked(k, f) for k, f in BIT.items()}


# ---- struct (the Lua "struct" library format language) ---------------------------------
def _parse_fmt(fmt):
    """Yield (code, size_or_None) and endianness changes for a struct format."""
    i = 0
    n = len(fmt)
    while i < n:
        ch = chr(fmt[i])
        i += 1
        j = i
        while j < n and 48 <= fmt[j] <= 57:
            j += 1
        num = int(fmt[i:j]) if j > i else None
        i = j
        yield ch, num


_INT_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "i": 4, "I": 4}


def struct_pack(fmt, *args):
    little = True
    out = bytearray()
    ai = 0

    def nxt():
        nonlocal ai
        if ai >= len(args):
            raise LibError("bad argument #%d to 'pack' (number expected, got nil)" % (ai + 2))
        v = args[ai]
        ai += 1
        return v
    for ch, num in _parse_fmt(fmt):
        if ch in " !":
            continue
        if ch in "<":
            little = True
        elif ch == ">":
            little = False
        elif ch == "=":
            little = True
        elif ch == "x":
            out += b"\0" * (num or 1)
        elif ch in _INT_SIZES:
            size = num if (ch in "iI" and num) else _INT_SIZES[ch]
            v = int(nxt())
            out += (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little" if little else "big")
        elif ch in "fd":
            out += _struct.pack(("<" if little else ">") + ch, float(nxt()))
        elif ch == "c":
            s = nxt()
            s = s if isinstance(s, bytes) else str(s).encode()
            if num is None:
                num = 1
            if num == 0:
                num = len(s)
            out += s[:num].ljust(num, b"\0")
        elif ch == "s":
            s = nxt()
            s = s if isinstance(s, bytes) else str(s).encode()
            out += s + b"\0"
        else:
            raise LibError("invalid format option '%s'" % ch)
    return bytes(out)


def struct_unpack(fmt, data, pos=1):
    little = True
    i = int(pos) - 1
    res = []
    last_int = None
    for ch, num in _parse_fmt(fmt):
        if ch in " !":
            continue
        if ch == "<" or ch == "=":
            little = True
        elif ch == ">":
            little = False
        elif ch == "x":
            i += num or 1
        elif ch in _INT_SIZES:
            size = num if (ch in "iI" and num) else _INT_SIZES[ch]
            if i + size > len(data):
                raise LibError("bad argument #2 to 'unpack' (data string too short)")
            v = int.from_bytes(data[i:i + size], "little" if little else "big",
                               signed=ch in "bhli")
            i += size
            res.append(v)
            last_int = v
        elif ch in "fd":
            size = 4 if ch == "f" else 8
            if i + size > len(data):
                raise LibError("bad argument #2 to 'unpack' (data string too short)")
            res.append(_struct.unpack(("<" if little else ">") + ch, data[i:i + size])[0])
            i += size
        elif ch == "c":
            if num is None:
                num = 1
            if num == 0:
                if last_int is None or not res:
                    raise LibError("format 'c0' needs a previous size")
                num = res.pop()
            if i + num > len(data):
                raise LibError("bad argument #2 to 'unpack' (data string too short)")
            res.append(data[i:i + num])
            i += num
        elif ch == "s":
            e = data.find(b"\0", i)
            if e < 0:
                raise LibError("unfinished string in data")
            res.append(data[i:e])
            i = e + 1
        else:
            raise LibError("invalid format option '%s'" % ch)
    res.append(i + 1)
    return tuple(res)


def struct_size(fmt):
    size = 0
    for ch, num in _parse_fmt(fmt):
        if ch in _INT_SIZES:
            size += num if (ch in "iI" and num) else _INT_SIZES[ch]
        elif ch == "f":
            size += 4
        elif ch == "d":
            size += 8
        elif ch == "x":
            size += num or 1
        elif ch == "c":
            if not num:
                raise LibError("options 'c0' - 's' have undefined sizes")
            size += num
        elif ch == "s":
            raise LibError("options 'c0' - 's' have undefined sizes")
    return size


# ---- Lua table <-> Python -----------------------------------------------------------------
def _is_array(t):
    n = 0
    for k in t.keys():
        if not isinstance(k, (int, float)) or k != int(k) or k < 1:
            return 0, False
        n = max(n, int(k))
    return n, True


_RAWEQUAL = {}


def _rawequal(lua, a, b):
    f = _RAWEQUAL.get(id(lua))
    if f is None:
        f = _RAWEQUAL[id(lua)] = lua.eval("rawequal")
    return f(a, b)


def lua_to_py(v, null, depth=0, lua=None):
    if depth > 1000:
        raise LibError("Cannot serialise, excessive nesting (1001)")
    if lua_type(v) == "table":
        if _rawequal(lua, v, null):
            return None
        n, arr = _is_array(v)
        if arr and n > 0:
            return [lua_to_py(v[i], null, depth + 1, lua) for i in range(1, n + 1)]
        out = {}
        for k, val in v.items():
            if isinstance(k, bytes):
                k = k.decode("utf-8", "surrogateescape")
            elif isinstance(k, float) and k == int(k):
                k = str(int(k))
            else:
                k = str(k)
            out[k] = lua_to_py(val, null, depth + 1, lua)
        return out
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    if lua_type(v) in ("function", "userdata", "thread"):
        raise LibError("Cannot serialise %s: type not supported" % lua_type(v))
    return v


def _num(v):
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return int(v)
    return v


class _Enc(json.JSONEncoder):
    def default(self, o):
        return super().default(o)


def _json_numbers(x):
    if isinstance(x, float):
        if x != x or x in (math.inf, -math.inf):
            raise LibError("Cannot serialise number: must not be NaN or Inf")
        return _num(x)
    if isinstance(x, list):
        return [_json_numbers(i) for i in x]
    if isinstance(x, dict):
        return {k: _json_numbers(i) for k, i in x.items()}
    return x


def cjson_encode(lua, null, v):
    py = lua_to_py(v, null, 0, lua)
    s = json.dumps(_json_numbers(py), separators=(",", ":"), ensure_ascii=False)
    return s.encode("utf-8", "surrogateescape")


def py_to_lua(lua, null, v):
    if v is None:
        return null
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    if isinstance(v, bool):
        return v
    if isinstance(v, list):
        return lua.table_from([py_to_lua(lua, null, i) for i in v])
    if isinstance(v, dict):
        return lua.table_from({k.encode("utf-8", "surrogateescape"): py_to_lua(lua, null, i)
                               for k, i in v.items()})
    return v


def cjson_decode(lua, null, s):
    if not isinstance(s, bytes):
        raise LibError("bad argument #1 to 'decode' (string expected)")
    try:
        v = json.loads(s.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError) as e:
        raise LibError("Expected value but found invalid token at character %d"
                       % (getattr(e, "pos", 0) + 1))
    return py_to_lua(lua, null, v)


# ---- cmsgpack ---------------------------------------------------------------------------
def _mp_pack(v, out, depth=0):
    t = lua_type(v)
    if v is None:
        out += b"\xc0"
    elif v is True:
        out += b"\xc3"
    elif v is False:
        out += b"\xc2"
    elif isinstance(v, float) and (v != int(v) if v == v and abs(v) != math.inf else True):
        f32 = _struct.unpack(">f", _struct.pack(">f", v))[0] if abs(v) < 3.4e38 or v != v else None
        if f32 == v:
            out += b"\xca" + _struct.pack(">f", v)
        else:
            out += b"\xcb" + _struct.pack(">d", v)
    elif isinstance(v, (int, float)):
        v = int(v)
        if 0 <= v < 128:
            out.append(v)
        elif -32 <= v < 0:
            out.append(v & 0xFF)
        elif v >= 0:
            for code, fmt, lim in ((0xcc, ">B", 1 << 8), (0xcd, ">H", 1 << 16),
                                   (0xce, ">I", 1 << 32), (0xcf, ">Q", 1 << 64)):
                if v < lim:
                    out += bytes([code]) + _struct.pack(fmt, v)
                    break
        else:
            for code, fmt, lim in ((0xd0, ">b", 1 << 7), (0xd1, ">h", 1 << 15),
                                   (0xd2, ">i", 1 << 31), (0xd3, ">q", 1 << 63)):
                if v >= -lim:
                    out += bytes([code]) + _struct.pack(fmt, v)
                    break
    elif isinstance(v, bytes):
        n = len(v)
        if n < 32:
            out.append(0xa0 | n)
        elif n < 256:
            out += b"\xd9" + bytes([n])
        elif n < 65536:
            out += b"\xda" + _struct.pack(">H", n)
        else:
            out += b"\xdb" + _struct.pack(">I", n)
        out += v
    elif t == "table":
        if depth > 16:
            out += b"\xc0"
            return
        n, arr = _is_array(v)
        if arr and all(v[i] is not None for i in range(1, n + 1)):
            if n < 16:
                out.append(0x90 | n)
            elif n < 65536:
                out += b"\xdc" + _struct.pack(">H", n)
            else:
                out += b"\xdd" + _struct.pack(">I", n)
            for i in range(1, n + 1):
                _mp_pack(v[i], out, depth + 1)
        else:
            items = list(v.items())
            n = len(items)
            if n < 16:
                out.append(0x80 | n)
            elif n < 65536:
                out += b"\xde" + _struct.pack(">H", n)
            else:
                out += b"\xdf" + _struct.pack(">I", n)
            for k, val in items:
                _mp_pack(k, out, depth + 1)
                _mp_pack(val, out, depth + 1)
    else:
        out += b"\xc0"


def msgpack_pack(*args):
    if not args:
        raise LibError("MessagePack pack needs input.")
    out = bytearray()
    for a in args:
        _mp_pack(a, out)
    return bytes(out)


def _mp_unpack(lua, d, i):
    b = d[i]
    i += 1
    if b < 0x80:
        return b, i
    if b >= 0xe0:
        return b - 256, i
    if 0xa0 <= b <= 0xbf:
        n = b & 0x1f
        return d[i:i + n], i + n
    if 0x90 <= b <= 0x9f:
        return _mp_arr(lua, d, i, b & 0x0f)
    if 0x80 <= b <= 0x8f:
        return _mp_map(lua, d, i, b & 0x0f)
    if b == 0xc0:
        return None, i
    if b == 0xc2:
        return False, i
    if b == 0xc3:
        return True, i
    fixed = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b", 0xd1: ">h",
             0xd2: ">i", 0xd3: ">q", 0xca: ">f", 0xcb: ">d"}
    if b in fixed:
        fmt = fixed[b]
        n = _struct.calcsize(fmt)
        if i + n > len(d):
            raise IndexError
        return _struct.unpack(fmt, d[i:i + n])[0], i + n
    lens = {0xd9: ">B", 0xda: ">H", 0xdb: ">I", 0xc4: ">B", 0xc5: ">H", 0xc6: ">I"}
    if b in lens:
        fmt = lens[b]
        k = _struct.calcsize(fmt)
        n = _struct.unpack(fmt, d[i:i + k])[0]
        i += k
        if i + n > len(d):
            raise IndexError
        return d[i:i + n], i + n
    if b in (0xdc, 0xdd, 0xde, 0xdf):
        fmt = ">H" if b in (0xdc, 0xde) else ">I"
        k = _struct.calcsize(fmt)
        n = _struct.unpack(fmt, d[i:i + k])[0]
        i += k
        return (_mp_arr if b in (0xdc, 0xdd) else _mp_map)(lua, d, i, n)
    raise ValueError("unsupported msgpack type 0x%02x" % b)


def _mp_arr(lua, d, i, n):
    t = lua.table()
    for k in range(1, n + 1):
        v, i = _mp_unpack(lua, d, i)
        t[k] = v
    return t, i


def _mp_map(lua, d, i, n):
    t = lua.table()
    for _ in range(n):
        k, i = _mp_unpack(lua, d, i)
        v, i = _mp_unpack(lua, d, i)
        if k is not None:
            t[k] = v
    return t, i


def msgpack_unpack(lua, data):
    if not isinstance(data, bytes):
        raise LibError("bad argument #1 to 'unpack' (string expected)")
    out = []
    i = 0
    try:
        while i < len(data):
            v, i = _mp_unpack(lua, data, i)
            out.append(v)
    except (IndexError, _struct.error):
        raise LibError("Missing bytes in input.")
    except ValueError as e:
        raise LibError(str(e))
    return tuple(out)
