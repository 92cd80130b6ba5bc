"""EVAL / EVALSHA / EVAL_RO / EVALSHA_RO / SCRIPT *, FUNCTION * / FCALL / FCALL_RO.

The Lua engine (scripting.runtime) is created on first use and kept in
``server.subsystems["lua"]``; the script cache maps sha1 hex -> (body, compiled function,
shebang flags).  A script's write commands are propagated one by one, wrapped in
MULTI/EXEC (effects replication).
"""

import hashlib

from ..protocol.replies import Map, ReplyError, NO_REPLY
from .args import parse_int
from .registry import command

_NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
_FLAG_ORDER = (b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster", b"allow-cross-slot-keys")
_SCRIPT_FLAGS = {b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster", b"allow-cross-slot-keys"}


class Scripts:
    def __init__(self, server):
        from ..scripting.runtime import LuaEngine
        from ..scripting.functions import Functions
        from ..scripting.runtime import RunContext, ScriptError
        self.engine = LuaEngine(server)
        self.RunContext, self.ScriptError = RunContext, ScriptError
        self.cache = {}
        self.functions = Functions()


def _state(server) -> Scripts:
    s = server.subsystems.get("lua")
    if s is None:
        s = server.subsystems["lua"] = Scripts(server)
        server.subsystems["functions_dump"] = lambda *a: [l.code for l in s.functions.libraries.values()]
        install(server)
        for code in server.subsystems.get("functions_rdb") or ():
            try:
                s.functions.create(s.engine, code, replace=True)
            except ReplyError:
                pass
    return s


# INFO memory estimates of the script caches, per Redis 7's accounting on this machine's
# oracle: an EVAL script costs ~117 bytes besides its body, a library ~96 besides its
# code, a function ~96
_SCRIPT_OVERHEAD, _LIB_OVERHEAD, _FUNC_OVERHEAD = 117, 96, 96


def _info_memory(server, section, fields):
    """INFO memory's script fields from the live caches.  ember runs EVAL scripts and
    functions in one Lua VM: its memory (collectgarbage "count") is reported as the eval VM,
    the functions VM keeps Redis' figure for an empty VM."""
    if section != "memory":
        return
    st = server.subsystems.get("lua")
    if st is None:
        return
    try:
        vm_eval = int(st.engine.memory_kb() * 1024)
    except Exception:       # e.g. the VM is out of memory
        vm_eval = fields["used_memory_vm_eval"]
    vm_total = vm_eval + fields["used_memory_vm_functions"]
    cache = st.cache
    scripts = sum(len(body) for body, _, _ in cache.values()) + _SCRIPT_OVERHEAD * len(cache)
    libs = st.functions.libraries
    funcs = (fields["used_memory_functions"] + sum(len(l.code) for l in libs.values())
             + _LIB_OVERHEAD * len(libs) + _FUNC_OVERHEAD * len(st.functions.functions))
    from .server import bytes_to_human as human
    fields.update({
        "used_memory_lua": vm_eval, "used_memory_vm_eval": vm_eval,
        "used_memory_lua_human": human(vm_eval),
        "used_memory_scripts_eval": scripts, "number_of_cached_scripts": len(cache),
        "number_of_functions": len(st.functions.functions), "number_of_libraries": len(libs),
        "used_memory_vm_total": vm_total, "used_memory_vm_total_human": human(vm_total),
        "used_memory_functions": funcs, "used_memory_scripts": scripts + funcs,
        "used_memory_scripts_human": human(scripts + funcs),
    })


def install(server):
    subs = server.subsystems.setdefault("info", [])
    if _info_memory not in subs:       # (called when the Lua state is made)
        subs.append(_info_memory)

    def load(srv, codes):
        st = _state(srv)
        st.functions.clear()
        for code in codes:
            try:
                st.functions.create(st.engine, code, replace=True)
            except ReplyError as e:
                srv.log.warning("Failed loading library: %s" % e.message)
    server.subsystems["functions_load"] = load


def _parse_shebang(body: bytes):
    """Flags of an EVAL script from ``#!lua flags=a,b``; None when there is no shebang."""
    if not body.startswith(b"#!"):
        return None
    line = body.split(b"\n", 1)[0]
    parts = line[2:].split()
    if not parts or parts[0] != b"lua":
        raise ReplyError("ERR Could not find engine '%s'" % (parts[0].decode() if parts else ""))
    flags = set()
    for p in parts[1:]:
        if not p.startswith(b"flags="):
            raise ReplyError("ERR Unknown lua shebang option: %s" % p.decode("utf-8", "replace"))
        for f in p[6:].split(b","):
            if not f:
                continue
            if f not in _SCRIPT_FLAGS:
                raise ReplyError("ERR Unexpected flag in script shebang: %s" % f.decode("utf-8", "replace"))
            flags.add(f)
    return flags


def _compile(st, body):
    sha = hashlib.sha1(body).hexdigest().encode()
    ent = st.cache.get(sha)
    if ent is not None:
        return sha, ent
    flags = _parse_shebang(body)
    code = body
    if flags is not None:
        code = b"--" + body   # keep line numbers: the shebang line becomes a comment
    fn, err = st.engine.compile(code, b"@user_script")
    if fn is None:
        raise ReplyError("ERR Error compiling script (new function): %s" % err)
    ent = (body, fn, flags)
    st.cache[sha] = ent
    return sha, ent


_SMALL = {b"%d" % i: i for i in range(100)}


def _numkeys(argv, i=2):
    n = _SMALL.get(argv[i])
    if n is None:
        n = parse_int(argv[i])
    if n > len(argv) - i - 1:
        raise ReplyError("ERR Number of keys can't be greater than number of args")
    if n < 0:
        raise ReplyError("ERR Number of keys can't be negative")
    return n


def _script_error(e, name):
    msg = e.message
    if e.source is not None:
        msg += " script: %s, on %s:%s." % (name.decode("utf-8", "replace"), e.source, e.line)
    else:
        msg += " script: %s" % name.decode("utf-8", "replace")
    return ReplyError(msg)


def _run(c, st, name, fn, flags, nkeys, params, readonly_cmd, is_function):
    """Run a script or function with flags: KEYS = params[:nkeys], ARGV = the rest."""
    server = c.server
    readonly = readonly_cmd or b"no-writes" in flags
    allow_oom = b"allow-oom" in flags
    if not allow_oom and not readonly and server.config.maxmemory:
        if not server.ensure_memory():
            raise ReplyError("OOM command not allowed when used memory > 'maxmemory'.")
    try:
        return st.engine.run(c, name, is_function, readonly, allow_oom, fn, nkeys, params)
    except st.ScriptError as e:
        raise _script_error(e, name) from None


def _eval(c, argv, readonly, by_sha):
    server = c.server
    st = server.subsystems.get("lua") or _state(server)
    n = _numkeys(argv)
    if by_sha:
        sha = argv[1]
        ent = st.cache.get(sha)
        if ent is None:
            sha = sha.lower()
            ent = st.cache.get(sha)
            if ent is None:
                raise ReplyError(_NOSCRIPT)
    else:
        sha, ent = _compile(st, argv[1])
    if ent[2] is not None:   # a shebang with flags
        return _run(c, st, sha, ent[1], ent[2], n, argv[3:], readonly, False)
    try:
        return st.engine.run(c, sha, False, readonly, False, ent[1], n, argv[3:])
    except st.ScriptError as e:
        raise _script_error(e, sha) from None


@command("eval")
def eval_(c, argv):
    """EVAL script numkeys [key ...] [arg ...]"""
    return _eval(c, argv, False, False)


@command("eval_ro")
def eval_ro(c, argv):
    """EVAL_RO script numkeys [key ...] [arg ...]"""
    return _eval(c, argv, True, False)


@command("evalsha")
def evalsha(c, argv):
    """EVALSHA sha1 numkeys [key ...] [arg ...]"""
    # _eval(c, argv, False, True) unrolled: the path job queues and locks take
    server = c.server
    st = server.subsystems.get("lua") or _state(server)
    n = _SMALL.get(argv[2])
    if n is None or n > len(argv) - 3:
        n = _numkeys(argv)
    sha = argv[1]
    ent = st.cache.get(sha)
    if ent is None:
        sha = sha.lower()
        ent = st.cache.get(sha)
        if ent is None:
            raise ReplyError(_NOSCRIPT)
    if ent[2] is not None:   # a shebang with flags
        return _run(c, st, sha, ent[1], ent[2], n, argv[3:], False, False)
    try:
        return st.engine.run(c, sha, False, False, False, ent[1], n, argv[3:])
    except st.ScriptError as e:
        raise _script_error(e, sha) from None


@command("evalsha_ro")
def evalsha_ro(c, argv):
    """EVALSHA_RO sha1 numkeys [key ...] [arg ...]"""
    return _eval(c, argv, True, True)


@command("script|load")
def script_load(c, argv):
    """SCRIPT LOAD script"""
    sha, _ = _compile(_state(c.server), argv[2])
    return sha


@command("script|exists")
def script_exists(c, argv):
    """SCRIPT EXISTS sha1 [sha1 ...]"""
    st = _state(c.server)
    return [1 if a.lower() in st.cache else 0 for a in argv[2:]]


@command("script|flush")
def script_flush(c, argv):
    """SCRIPT FLUSH [ASYNC|SYNC]"""
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC")):
        raise ReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    _state(c.server).cache.clear()
    return "OK"


@command("script|kill")
def script_kill(c, argv):
    """SCRIPT KILL"""
    st = c.server.subsystems.get("lua")
    err = st.engine.kill(False) if st else "NOTBUSY No scripts in execution right now."
    if err:
        raise ReplyError(err)
    return "OK"


@command("function|kill")
def function_kill(c, argv):
    """FUNCTION KILL"""
    st = c.server.subsystems.get("lua")
    err = st.engine.kill(True) if st else "NOTBUSY No scripts in execution right now."
    if err:
        raise ReplyError(err)
    return "OK"


@command("script|debug")
def script_debug(c, argv):
    """SCRIPT DEBUG YES|SYNC|NO"""
    m = argv[2].upper()
    if m == b"NO":
        return "OK"
    if m in (b"YES", b"SYNC"):
        raise ReplyError("ERR SCRIPT DEBUG is not supported by ember")
    raise ReplyError("ERR Use SCRIPT DEBUG YES/SYNC/NO")


@command("script|help")
def script_help(c, argv):
    """SCRIPT HELP"""
    return [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)", "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "KILL", "    Kill the currently executing Lua script.",
        "LOAD <script>", "    Load a script into the scripts cache without executing it.",
        "HELP", "    Print this help.",
    ]


# ---- functions ----------------------------------------------------------------------------
@command("function|load")
def function_load(c, argv):
    """FUNCTION LOAD [REPLACE] function-code"""
    replace = False
    args = argv[2:]
    if len(args) == 2 and args[0].upper() == b"REPLACE":
        replace = True
        args = args[1:]
    elif len(args) != 1:
        raise ReplyError("ERR Unknown option given: %s" % args[0].decode("utf-8", "replace"))
    st = _state(c.server)
    lib = st.functions.create(st.engine, args[0], replace=replace)
    c.server.dirty += 1
    return lib.name


@command("function|delete")
def function_delete(c, argv):
    """FUNCTION DELETE library-name"""
    st = _state(c.server)
    lib = st.functions.libraries.get(argv[2])
    if lib is None:
        raise ReplyError("ERR Library not found")
    st.functions.remove(lib)
    c.server.dirty += 1
    return "OK"


@command("function|flush")
def function_flush(c, argv):
    """FUNCTION FLUSH [ASYNC|SYNC]"""
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC")):
        raise ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    _state(c.server).functions.clear()
    c.server.dirty += 1
    return "OK"


@command("function|list")
def function_list(c, argv):
    """FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]"""
    from ..glob import match as glob_match
    pattern = None
    withcode = False
    i = 2
    while i < len(argv):
        a = argv[i].upper()
        if a == b"WITHCODE" and not withcode:
            withcode = True
        elif a == b"LIBRARYNAME" and pattern is None:
            if i + 1 >= len(argv):
                raise ReplyError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise ReplyError("ERR Unknown argument %s" % argv[i].decode("utf-8", "replace"))
        i += 1
    out = []
    for lib in _state(c.server).functions.libraries.values():
        if pattern is not None and not glob_match(pattern, lib.name):
            continue
        funcs = []
        for f in lib.functions.values():
            from ..protocol.replies import SetReply
            funcs.append(Map([(b"name", f.name), (b"description", f.description),
                              (b"flags", SetReply([x.decode() for x in _FLAG_ORDER
                                                   if x in f.flags]))]))
        items = [(b"library_name", lib.name), (b"engine", b"LUA"), (b"functions", funcs)]
        if withcode:
            items.append((b"library_code", lib.code))
        out.append(Map(items))
    return out


@command("function|dump")
def function_dump(c, argv):
    """FUNCTION DUMP"""
    from ..persistence.rdb import enc_string, RDB_VERSION
    from ..persistence.crc64 import crc64
    body = b"".join(b"\xf5" + enc_string(l.code, False)
                    for l in _state(c.server).functions.libraries.values())
    body += bytes([RDB_VERSION & 0xFF, RDB_VERSION >> 8])
    return body + crc64(body).to_bytes(8, "little")


@command("function|restore")
def function_restore(c, argv):
    """FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]"""
    from ..persistence.crc64 import crc64
    from ..persistence.rdb import load_value  # noqa: F401  (same module as DUMP payloads)
    policy = b"APPEND"
    if len(argv) == 4:
        policy = argv[3].upper()
        if policy not in (b"FLUSH", b"APPEND", b"REPLACE"):
            raise ReplyError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    elif len(argv) > 4:
        raise ReplyError("ERR syntax error")
    p = argv[2]
    if len(p) < 10 or int.from_bytes(p[-8:], "little") not in (0, crc64(p[:-8])):
        raise ReplyError("ERR DUMP payload version or checksum are wrong")
    codes = _decode_functions(p[:-10])
    st = _state(c.server)
    fns = st.functions
    old_libs, old_funcs = dict(fns.libraries), dict(fns.functions)
    try:
        if policy == b"FLUSH":
            fns.clear()
        for code in codes:
            from ..scripting.functions import parse_shebang
            _, opts = parse_shebang(code)
            if opts[b"name"] in fns.libraries and policy == b"APPEND":
                raise ReplyError("ERR Library %s already exists" % opts[b"name"].decode())
            fns.create(st.engine, code, replace=policy != b"APPEND")
    except ReplyError:
        fns.libraries, fns.functions = old_libs, old_funcs
        raise
    c.server.dirty += 1
    return "OK"


def _decode_functions(data):
    """Library codes from a FUNCTION DUMP body (RDB strings, possibly LZF-compressed or
    int-encoded, each after the FUNCTION2 opcode)."""
    from ..persistence.rdb import RdbError, _Reader
    codes = []
    r = _Reader(data)
    try:
        while r.pos < len(data):
            if r.byte() != 0xF5:
                raise ReplyError("ERR given type is not a function")
            codes.append(r.string())
    except (IndexError, ValueError, RdbError):
        raise ReplyError("ERR DUMP payload version or checksum are wrong") from None
    return codes


@command("function|stats")
def function_stats(c, argv):
    """FUNCTION STATS"""
    st = _state(c.server)
    ctx = st.engine.ctx
    running = None
    if ctx is not None:
        import time
        running = Map([(b"name", ctx.name), (b"command", [b"fcall", ctx.name]),
                       (b"duration_ms", int((time.monotonic() - ctx.start) * 1000))])
    return Map([(b"running_script", running),
                (b"engines", Map([(b"LUA", Map([(b"libraries_count", len(st.functions.libraries)),
                                                 (b"functions_count", len(st.functions.functions))]))]))])


@command("function|help")
def function_help(c, argv):
    """FUNCTION HELP"""
    return [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>", "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>", "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]", "    Return general information on all the libraries.",
        "FLUSH [ASYNC|SYNC]", "    Delete all the libraries.",
        "STATS", "    Return information about the current function running.",
        "KILL", "    Kill the current running function.",
        "DUMP", "    Return a serialized payload representing the current libraries.",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]", "    Restore the libraries represented by the given payload.",
        "HELP", "    Print this help.",
    ]


def _fcall(c, argv, readonly):
    # Redis' order: the function, then numkeys, then the *_ro check
    server = c.server
    st = server.subsystems.get("lua") or _state(server)
    f = st.functions.functions.get(argv[1])
    if f is None:
        raise ReplyError("ERR Function not found")
    n = _SMALL.get(argv[2])
    if n is None or n > len(argv) - 3:
        try:
            n = _numkeys(argv)
        except ReplyError as e:
            if e.message == "ERR value is not an integer or out of range":
                raise ReplyError("ERR Bad number of keys provided") from None
            raise
    flags = f.flags
    if readonly and b"no-writes" not in flags:
        raise ReplyError("ERR Can not execute a script with write flag using *_ro command.")
    if not flags and not server.config.maxmemory:   # no flags, no OOM pre-check to make
        try:
            return st.engine.run(c, f.name, True, readonly, False, f.fn, n, argv[3:])
        except st.ScriptError as e:
            raise _script_error(e, f.name) from None
    return _run(c, st, f.name, f.fn, flags, n, argv[3:], readonly, True)


@command("fcall")
def fcall(c, argv):
    """FCALL function numkeys [key ...] [arg ...]"""
    return _fcall(c, argv, False)


@command("fcall_ro")
def fcall_ro(c, argv):
    """FCALL_RO function numkeys [key ...] [arg ...]"""
    return _fcall(c, argv, True)
