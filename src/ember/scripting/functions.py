"""Redis Functions: libraries (``#!lua name=lib``), their registered functions and flags,
and the FUNCTION DUMP/RESTORE payload (RDB FUNCTION2 opcode + RDB version + CRC64, as DUMP).
"""

import re

from ..protocol.replies import ReplyError

_NAME_RE = re.compile(rb"^[A-Za-z0-9_]+$")
FLAGS = (b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster", b"allow-cross-slot-keys")


class Function:
    __slots__ = ("name", "fn", "flags", "description", "library")

    def __init__(self, name, fn, flags, description):
        self.name = name
        self.fn = fn
        self.flags = flags
        self.description = description
        self.library = None     # the library's name (not the Library: no reference cycle)


class Library:
    __slots__ = ("name", "engine", "code", "functions")

    def __init__(self, name, code, functions):
        self.name = name
        self.engine = b"LUA"
        self.code = code
        self.functions = functions


def parse_shebang(code: bytes):
    """(engine, {option: value}) from the first line of a library's code."""
    if not code.startswith(b"#!"):
        raise ReplyError("ERR Missing library metadata")
    line = code.split(b"\n", 1)[0]
    parts = line[2:].split()
    if not parts:
        raise ReplyError("ERR Missing library metadata")
    engine = parts[0]
    opts = {}
    for p in parts[1:]:
        if not p.startswith(b"name="):
            raise ReplyError("ERR Invalid metadata value given: %s" % p.decode("utf-8", "replace"))
        opts[b"name"] = p[5:]
    if b"name" not in opts:
        raise ReplyError("ERR Library name was not given")
    return engine, opts


def _flags_from(lua_flags):
    flags = []
    if lua_flags is None:
        return flags
    from lupa import lua51
    if lua51.lua_type(lua_flags) != "table":
        raise ReplyError("flags argument to redis.register_function must be a table representing function flags")
    for v in lua_flags.values():
        if v not in FLAGS:
            raise ReplyError("unknown flag given")
        if v not in flags:
            flags.append(v)
    return flags


def parse_registration(engine, args):
    from lupa import lua51
    if len(args) == 1 and lua51.lua_type(args[0]) == "table":
        t = args[0]
        name = fn = flags = desc = None
        for k, v in t.items():
            if k == b"function_name":
                name = v
            elif k == b"callback":
                fn = v
            elif k == b"flags":
                flags = v
            elif k == b"description":
                desc = v
            else:
                raise ReplyError("unknown argument given to redis.register_function")
        if not isinstance(name, bytes):
            raise ReplyError("redis.register_function must get a function name argument")
        if lua51.lua_type(fn) != "function":
            raise ReplyError("redis.register_function must get a callback argument")
        fl = _flags_from(flags)
    elif len(args) == 2:
        name, fn = args
        if not isinstance(name, bytes) or lua51.lua_type(fn) != "function":
            raise ReplyError("wrong arguments given to redis.register_function")
        fl = []
        desc = None
    else:
        raise ReplyError("wrong number of arguments to redis.register_function")
    if not _NAME_RE.match(name):
        raise ReplyError("Function names can only contain letters, numbers, or underscores(_) "
                         "and must be at least one character long")
    return Function(name, fn, fl, desc)


class Functions:
    """The libraries of a server and the function name index."""

    def __init__(self):
        self.libraries = {}
        self.functions = {}

    def create(self, engine, code, replace=False, check_only=False):
        eng, opts = parse_shebang(code)
        if eng.upper() != b"LUA":
            raise ReplyError("ERR Engine '%s' not found" % eng.decode("utf-8", "replace"))
        name = opts[b"name"]
        if not _NAME_RE.match(name):
            raise ReplyError("ERR Library names can only contain letters, numbers, or "
                             "underscores(_) and must be at least one character long")
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise ReplyError("ERR Library '%s' already exists" % name.decode("utf-8", "replace"))
        regs = engine.load_library(b"--" + code, b"@user_function")
        if not regs:
            raise ReplyError("ERR No functions registered")
        seen = set()
        for f in regs:
            if f.name in seen:
                raise ReplyError("ERR Function %s already exists" % f.name.decode())
            seen.add(f.name)
            other = self.functions.get(f.name)
            if other is not None and other.library != name:
                raise ReplyError("ERR Function %s already exists" % f.name.decode())
        lib = Library(name, code, {f.name: f for f in regs})
        for f in regs:
            f.library = name
        if check_only:
            return lib
        if old is not None:
            self.remove(old)
        self.add(lib)
        return lib

    def add(self, lib):
        self.libraries[lib.name] = lib
        for f in lib.functions.values():
            self.functions[f.name] = f

    def remove(self, lib):
        self.libraries.pop(lib.name, None)
        for n in lib.functions:
            self.functions.pop(n, None)

    def clear(self):
        self.libraries.clear()
        self.functions.clear()
