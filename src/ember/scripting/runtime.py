"""The Lua engine: one lupa Lua 5.1 state per server, sandboxed, with the ``redis`` API.

Sandbox: scripts run with an environment that is a read-only proxy of a private globals
table (never lupa's own globals, which hold ``python``): assigning a global fails with
"Attempt to modify a readonly table", reading an undefined one with "Script attempted to
access nonexistent global variable".  os/io/loadfile/dofile/require/getfenv/setfenv are
absent.  math.random is Redis' rand48: one sequence per process, never reseeded between scripts.

Errors: every Lua error is normalised by an xpcall handler into a table {err, source, line};
``ScriptError`` carries it and the command layer appends " script: <name>, on <source>:<line>."

Busy scripts: a count hook calls ``_hook`` every HOOK_EVERY instructions; past
busy-reply-threshold it marks the server busy (dispatch then answers BUSY) and lets
``busy.pump`` serve other clients' input synchronously, so SCRIPT KILL / FUNCTION KILL /
SHUTDOWN NOSAVE work while the event loop itself is occupied by the script.
"""

import hashlib
import math
import time

_perf = time.perf_counter_ns
_monotonic = time.monotonic
_NO_DIRECT = {}

from lupa import lua51

from ..protocol.replies import (
    BigNumber, Bool, Map, NullArray, Raw, ReplyError, SetReply, TRUE, FALSE, Verbatim,
)
from . import libs
from ..server.latency import LOW as _LAT_LOW

lua_type = lua51.lua_type
HOOK_EVERY = 100000
# up to this many keys+args are passed as Lua call arguments (Lua's C stack allows ~8000)
_MAX_VARARGS = 256

SETUP = r"""
local py, libs, EVERY = ...
local getinfo, sethook = debug.getinfo, debug.sethook
local type, tostring, error, rawget, rawset, xpcall, setmetatable, loadstring, setfenv =
      type, tostring, error, rawget, rawset, xpcall, setmetatable, loadstring, setfenv
local pairs, ipairs, unpack, select = pairs, ipairs, unpack, select

local REAL = {}
for _, n in ipairs({'assert','error','ipairs','next','pairs','pcall','rawequal','rawget',
    'rawset','select','setmetatable','getmetatable','tonumber','tostring','type','unpack',
    'xpcall','gcinfo','collectgarbage','print','_VERSION'}) do REAL[n] = _G[n] end
local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end
REAL.string = copy(string); REAL.table = copy(table); REAL.math = copy(math)
REAL.coroutine = copy(coroutine)

-- Redis' pcall: an error value that is a table with a string (or number) 'err' field is
-- handed to the caller as that field, so pcall(redis.call, ...) yields the message
local errval = py.errval
local function pfix(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then
    local m = errval(e)
    if m then return false, m end
  end
  if type(e) == 'table' then
    local m = e.err
    local t = type(m)
    if t == 'string' or t == 'number' then return false, m end
  end
  return false, e
end
local realpcall = pcall
REAL.pcall = function(...)
  if select('#', ...) == 0 then error("bad argument #1 to 'pcall' (value expected)", 2) end
  return pfix(realpcall(...))
end
local realxpcall = xpcall
REAL.xpcall = function(f, h)
  return realxpcall(f, function(e)
    if type(e) == 'userdata' then
      local m, str = errval(e)
      if m then e = str and m or {err = m} end
    end
    return h(e)
  end)
end
REAL._G = REAL

-- Redis' rand48 driven math.random
REAL.math.random, REAL.math.randomseed = libs.random, libs.randomseed

-- the library functions are Python callables (C functions for Lua); their errors arrive
-- as userdata values that errval() turns back into the message
REAL.bit = copy(libs.bit)
REAL.struct = {pack = libs.struct_pack, unpack = libs.struct_unpack, size = libs.struct_size}
local null = setmetatable({}, {__tostring = function() return 'null' end})
REAL.cjson = {encode = libs.cjson_encode, decode = libs.cjson_decode, null = null}
REAL.cmsgpack = {pack = libs.msgpack_pack, unpack = libs.msgpack_unpack}

local function userframe(level)
  while true do
    local i = getinfo(level + 1, 'Sl')
    if not i then return nil end
    if i.what ~= 'C' and type(i.source) == 'string' and i.source:sub(1, 6) == '@user_' then
      return i
    end
    level = level + 1
  end
end
local function where(level)
  local i = userframe(level + 1)
  if i then return i.source, i.currentline end
end

local redis = {}
local pycall = py.call
-- redis.call is the Python callable itself (a C function for Lua, so a tail call keeps the
-- caller's frame for error positions); a command error is raised as a Python _CallError,
-- which Lua sees as a userdata that pcall/xpcall/the handler turn into {err = message}
redis.call = py.rcall
redis.pcall = function(...)
  local ok, r = pycall(false, ...)
  if ok then return r end
  return {err = r}
end
redis.error_reply = function(s)
  if type(s) ~= 'string' then error('wrong number or type of arguments', 2) end
  return {err = py.errfmt(s)}
end
redis.status_reply = function(s)
  if type(s) ~= 'string' then error('wrong number or type of arguments', 2) end
  return {ok = s}
end
redis.sha1hex = py.sha1
redis.log = function(level, ...)
  if select('#', ...) == 0 then error({err = 'ERR redis.log() requires two arguments or more.'}) end
  if type(level) ~= 'number' then error({err = 'ERR First argument must be a number (log level).'}) end
  local parts = {}
  for i = 1, select('#', ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  py.log(level, table.concat(parts, ' '))
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.setresp = function(n)
  if n ~= 2 and n ~= 3 then error({err = 'ERR RESP version must be 2 or 3.'}) end
  py.setresp(n)
end
redis.set_repl = function(...)
  if select('#', ...) ~= 1 then error({err = 'ERR redis.set_repl() requires two arguments.'}) end
  -- as Redis: anything that is not a number counts as 0, fractions are truncated
  local n = tonumber((...)) or 0
  if n >= 0 then n = math.floor(n) else n = math.ceil(n) end
  if not (n >= 0 and n <= 3) then
    error({err = 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.'})
  end
  py.set_repl(n)
end
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = function(...)
  local ok, r = py.acl(...)
  if ok then return r end
  error({err = r})
end
redis.REDIS_VERSION = py.version
redis.REDIS_VERSION_NUM = py.version_num
REAL.redis = redis

-- the library-loading flavour of redis (FUNCTION LOAD): register_function, no call
local loadredis = {}
for _, k in ipairs({'log','LOG_DEBUG','LOG_VERBOSE','LOG_NOTICE','LOG_WARNING','setresp',
    'REDIS_VERSION','REDIS_VERSION_NUM','sha1hex','error_reply','status_reply'}) do
  loadredis[k] = redis[k]
end
loadredis.register_function = function(...)
  local ok, e = py.register(...)
  if not ok then error({err = 'ERR ' .. e}) end
end
setmetatable(loadredis, {__index = function(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})

setmetatable(REAL, {__index = function(t, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
local function readonly() error('Attempt to modify a readonly table', 2) end
local ENV = setmetatable({}, {__index = REAL, __newindex = readonly, __metatable = false})
REAL.loadstring = function(s, name)
  local f, e = loadstring(s, name)
  if f then setfenv(f, ENV) end
  return f, e
end

local function handler(e)
  if type(e) == 'userdata' then
    local m, str = errval(e)
    if m then e = str and m or {err = m} end
  end
  if type(e) ~= 'table' then e = {err = 'ERR ' .. tostring(e)} end
  if e.source == nil then
    local i = userframe(2)
    if i then e.source, e.line = i.source, i.currentline end
  end
  return e
end

local hook
-- functions of this runtime where a kill must not be raised: the error handler (an error
-- there would be 'error in error handling') and the runners after their xpcall returns
local nokill = {}
hook = function()
  local msg = py.hook()
  if msg then
    local cur = getinfo(2, 'f')
    if cur and nokill[cur.func] then return end
    -- from now on at every instruction, so a pcall in the script cannot swallow the kill
    sethook(hook, '', 1)
    local i = userframe(2)
    error({err = msg, source = i and i.source, line = i and i.currentline}, 0)
  end
end

local api = {}
api.compile = function(code, chunk)
  local f, e = loadstring(code, chunk)
  if not f then return nil, e end
  setfenv(f, ENV)
  return f
end
-- The count hook stays installed (it only asks Python whether to stop); a kill sets it to
-- every instruction and rearm() puts it back.  The runners return the script's value alone,
-- or (false, error table): Python tells the two apart by the tuple.  KEYS and ARGV are
-- built here from the call's arguments, which is much cheaper than tables made in Python.
api.rearm = function() sethook(hook, '', EVERY) end
api.run = function(f, nkeys, ...)
  local keys, argv = {...}, {}
  if nkeys == 0 then
    keys, argv = argv, keys
  else
    -- the tail moves to ARGV; KEYS keeps exactly 1..nkeys (its border is nkeys)
    for i = nkeys + 1, #keys do argv[i - nkeys] = keys[i]; keys[i] = nil end
  end
  REAL.KEYS = keys; REAL.ARGV = argv
  local ok, r = xpcall(f, handler)
  REAL.KEYS = nil; REAL.ARGV = nil
  if ok then return r end
  return false, r
end
api.run_t = function(f, keys, argv)
  REAL.KEYS = keys; REAL.ARGV = argv
  local ok, r = xpcall(f, handler)
  REAL.KEYS = nil; REAL.ARGV = nil
  if ok then return r end
  return false, r
end
-- FCALL: the function gets (keys, argv); one body reads them from upvalues (scripts
-- cannot nest, so one slot is enough) instead of a new closure per call
local cf, ck, ca
local function fbody() return cf(ck, ca) end
api.fcall = function(f, nkeys, ...)
  local keys, argv = {...}, {}
  if nkeys == 0 then
    keys, argv = argv, keys
  else
    for i = nkeys + 1, #keys do argv[i - nkeys] = keys[i]; keys[i] = nil end
  end
  cf, ck, ca = f, keys, argv
  local ok, r = xpcall(fbody, handler)
  cf, ck, ca = nil, nil, nil
  if ok then return r end
  return false, r
end
api.fcall_t = function(f, keys, argv)
  cf, ck, ca = f, keys, argv
  local ok, r = xpcall(fbody, handler)
  cf, ck, ca = nil, nil, nil
  if ok then return r end
  return false, r
end
api.load_library = function(code, chunk)
  local f, e = loadstring(code, chunk)
  if not f then return false, e end
  local env = setmetatable({redis = loadredis}, {__index = REAL, __newindex = readonly,
                                                  __metatable = false})
  setfenv(f, env)
  local ok, r = xpcall(f, handler)
  rawset(env, 'redis', nil)
  return ok, r
end
api.where = function()
  -- called from Python inside a library callable: level 3 is the callable's caller
  local i = getinfo(3, 'Sl')
  if i and i.currentline > 0 then return i.short_src .. ':' .. i.currentline .. ': ' end
  return ''
end
nokill[handler] = true; nokill[userframe] = true; nokill[where] = true
nokill[api.run] = true; nokill[api.fcall] = true; nokill[api.load_library] = true
nokill[api.run_t] = true; nokill[api.fcall_t] = true
sethook(hook, '', EVERY)
api.is_table = function(v) return type(v) == 'table' end
api.null = null
return api
"""


_BAD_ARG = b"ERR Lua redis lib command arguments must be strings or integers"


def _lua_argv(args):
    """The argv of a redis.call/pcall/acl_check_cmd: strings as they are, numbers as
    Redis converts them; None when an argument is of another Lua type."""
    argv = []
    for a in args:
        t = type(a)
        if t is bytes:
            argv.append(a)
        elif t is int:
            argv.append(b"%d" % a)
        elif t is float:
            argv.append(_num_str(a))
        else:
            return None
    return argv


class ScriptError(Exception):
    """A Lua error normalised to (message, source, line)."""

    def __init__(self, message, source=None, line=None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line


class RunContext:
    """The script or function being executed (SCRIPT KILL, FUNCTION STATS, BUSY)."""

    __slots__ = ("caller", "name", "is_function", "readonly", "allow_oom", "start",
                 "wrote", "killed", "busy", "repl", "multi_emitted", "resp", "client",
                 "code_name", "repl_saved")

    def __init__(self, caller, name, is_function, readonly, allow_oom):
        self.caller = caller
        self.name = name
        self.is_function = is_function
        self.readonly = readonly
        self.allow_oom = allow_oom
        self.start = time.monotonic()
        self.wrote = False
        self.killed = None
        self.busy = False
        self.repl = 3
        self.repl_saved = None    # server.propagating while set_repl() turned it off
        self.multi_emitted = False
        self.resp = 2
        self.client = None

    def busy_error(self):
        if self.is_function:
            return ("BUSY Redis is busy running a script. You can only call FUNCTION KILL "
                    "or SHUTDOWN NOSAVE.")
        return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


def _version_num(v):
    parts = [int(p) for p in (v.split(".") + ["0", "0"])[:3]]
    return (parts[0] << 16) | (parts[1] << 8) | parts[2]


class Rand48:
    """Redis' rand48 (redisLrand48) used for math.random."""

    def __init__(self):
        # the state rand48 starts from when never seeded; Redis keeps one generator for
        # the whole process and does not reseed it per script
        self.x = 0x1234ABCD330E

    def seed(self, s):
        s = int(s) & 0xFFFFFFFF
        self.x = (s << 16) | 0x330E

    def random(self, *args):
        """math.random: a draw is taken before the arguments are checked, as in Lua."""
        r = self.next()
        n = len(args)
        if n == 0:
            return r
        if n > 2:
            raise libs.LibError("wrong number of arguments")
        lo = 1
        hi = _trunc(libs._arg(args[0], 1, "random"))
        if n == 2:
            lo = hi
            hi = _trunc(libs._arg(args[1], 2, "random"))
        if lo > hi:
            raise libs.LibError("bad argument #%d to 'random' (interval is empty)" % n)
        return math.floor(r * (hi - lo + 1)) + lo

    def randomseed(self, s=None):
        self.seed(_trunc(libs._arg(s, 1, "randomseed")))

    def next(self):
        self.x = (0x5DEECE66D * self.x + 0xB) & ((1 << 48) - 1)
        r = self.x >> 17
        return (r % 2147483647) / 2147483647.0


def _trunc(x):
    return int(x) if type(x) is int else int(math.trunc(x))


class LuaEngine:
    _lua_resp3 = False
    _runs = 0

    def memory_kb(self):
        """The Lua VM's memory in KB (collectgarbage "count"), for INFO memory."""
        if self._gc_count is None:
            self._gc_count = self.lua.eval('function() return collectgarbage("count") end')
        return self._gc_count()
    def __init__(self, server):
        self.server = server
        self.lua = lua51.LuaRuntime(encoding=None, register_eval=False,
                                    register_builtins=False, unpack_returned_tuples=True)
        self.ctx = None
        self._gc_count = None
        self.rand = Rand48()
        self.pending = None     # library being loaded: list of registrations
        self.script_client = None
        self._spare_ctx = RunContext(None, b"", False, False, False)
        lua = self.lua
        py = lua.table_from({
            b"call": self._call, b"errfmt": _errfmt, b"sha1": _sha1hex,
            b"log": self._log, b"setresp": self._setresp, b"set_repl": self._set_repl,
            b"hook": self._hook,
            b"rcall": self._rcall, b"errval": _errval,
            b"register": self._register, b"acl": self._acl_check_cmd,
            b"version": server.redis_version.encode(),
            b"version_num": _version_num(server.redis_version),
        })
        L = self._libfn
        lb = lua.table_from({
            b"bit": lua.table_from({k.encode(): L(v) for k, v in libs.BIT.items()}),
            b"struct_pack": L(libs.struct_pack), b"struct_unpack": L(libs.struct_unpack),
            b"struct_size": L(libs.struct_size),
            b"cjson_encode": L(lambda v: libs.cjson_encode(lua, self.api.null, v)),
            b"cjson_decode": L(lambda s: libs.cjson_decode(lua, self.api.null, s)),
            b"msgpack_pack": L(libs.msgpack_pack),
            b"msgpack_unpack": L(lambda s: libs.msgpack_unpack(lua, s)),
            b"random": L(self.rand.random), b"randomseed": L(self.rand.randomseed),
        })
        self.api = lua.execute(SETUP, py, lb, HOOK_EVERY)
        self._compile = self.api.compile
        self._run = self.api.run
        self._fcall = self.api.fcall
        self._run_t = self.api.run_t
        self._fcall_t = self.api.fcall_t
        from ..commands.dispatch import lookup, call, _internal_error
        self._lookup, self._dispatch_call = lookup, call
        self._internal_error = _internal_error
        # redis.call's direct path: command name as sent -> spec, for commands without
        # subcommands that scripts may call (filled by _call on first use)
        self._direct_cache = {}
        self._direct = _NO_DIRECT
        self._gc_step = lua.eval("function() collectgarbage('step', 100) end")

    # ---- library calls ------------------------------------------------------------------
    def _libfn(self, f):
        """A library function as a Lua-callable: errors become _LibError (a string error
        prefixed with the caller's position, as luaL_error does for C functions)."""
        def call(*args):
            try:
                return f(*args)
            except libs.LibError as e:
                msg = str(e)
            except (TypeError, ValueError, OverflowError) as e:
                msg = "bad argument (%s)" % e
            raise _LibError(self.api.where() + msg.encode())
        return call

    def _log(self, level, msg):
        log = self.server.log
        text = msg.decode("utf-8", "replace")
        level = int(level)
        (log.debug if level <= 0 else log.verbose if level == 1 else
         log.notice if level == 2 else log.warning)(text)

    def _setresp(self, n):
        self.ctx.resp = int(n)
        if self.script_client is not None:
            self.script_client.resp3 = int(n) == 3

    def _set_repl(self, n):
        """redis.set_repl: the script's following writes go to the AOF only with the REPL_AOF
        bit (ember has no replicas, so every propagate hook is an AOF one).  Without it
        server.propagating is off until the bit comes back or the script ends, which keeps
        the per-call paths (the direct path, dispatch.call) untouched."""
        ctx = self.ctx
        n = ctx.repl = int(n)
        server = self.server
        if n & 1:
            if ctx.repl_saved is not None:
                server.propagating = ctx.repl_saved
                ctx.repl_saved = None
                if ctx.wrote and not ctx.multi_emitted:
                    # the MULTI was skipped with the unpropagated writes: the next write
                    # takes _call, which opens it, and brings the direct path back
                    self._direct = _NO_DIRECT
        elif ctx.repl_saved is None:
            ctx.repl_saved = server.propagating
            server.propagating = False

    # ---- compile & run -----------------------------------------------------------------
    def compile(self, code: bytes, chunk: bytes):
        r = self._compile(code, chunk)
        if type(r) is tuple:
            return None, r[1].decode("utf-8", "replace")
        return r, None

    def _new_script_client(self):
        from ..server.client import Client
        sc = self.script_client = Client(self.server, kind="lua")
        sc.authenticated = True
        sc.name = None
        sc.refresh_plain()
        return sc

    def run(self, caller, name, is_function, readonly, allow_oom, fn, nkeys, params):
        """Run a compiled chunk (or a registered function) for ``caller`` with
        KEYS = params[:nkeys] and ARGV = the rest; returns the reply value or raises
        ScriptError."""
        server = self.server
        if self.ctx is not None:
            raise ReplyError("ERR This Redis command is not allowed from script")
        sc = self.script_client
        if sc is None:
            sc = self._new_script_client()
        sc.db = caller.db
        sc.resp3 = False
        sc.user = caller.user
        # one RunContext object serves every run (runs never nest); all fields are reset
        ctx = self._spare_ctx
        ctx.caller = caller
        ctx.name = name
        ctx.is_function = function = is_function
        ctx.readonly = readonly
        ctx.allow_oom = allow_oom
        ctx.start = _monotonic()
        ctx.wrote = ctx.busy = ctx.multi_emitted = False
        ctx.killed = None
        ctx.repl = 3
        ctx.resp = 2
        ctx.client = sc
        self.ctx = ctx
        # a caller with ACL restrictions takes _call, which checks each command
        self._direct = _NO_DIRECT if caller.restricted else self._direct_cache
        server.in_script = True
        server.in_exec += 1
        try:
            if len(params) <= _MAX_VARARGS:
                # keys and args travel as Lua call arguments; Lua builds KEYS/ARGV
                r = (self._fcall if function else self._run)(fn, nkeys, *params)
            else:
                lua = self.lua
                r = (self._fcall_t if function else self._run_t)(
                    fn, lua.table_from(params[:nkeys]), lua.table_from(params[nkeys:]))
            t = type(r)
            if t is int or t is bytes:
                return r
            if t is tuple:
                raise self._error(r[1])
            self._lua_resp3 = ctx.resp == 3
            return self.to_reply(r, caller.resp3)
        finally:
            server.in_exec -= 1
            server.in_script = False
            self.ctx = None
            self._direct = _NO_DIRECT
            ctx.caller = None
            if ctx.repl_saved is not None:   # set_repl() without REPL_AOF: propagate again
                server.propagating = ctx.repl_saved
                ctx.repl_saved = None
            if ctx.multi_emitted:
                server.propagate_raw(caller.db.id, [b"EXEC"])
            if ctx.killed is not None:
                self.api.rearm()
            if ctx.busy:
                server.busy_script = None
                server._refresh_gate()
                from .busy import hand_over
                hand_over(server)
            # Lua's incremental GC runs on its own; an explicit step (~20 us) only now and then
            self._runs += 1
            if not self._runs & 255:
                self._gc_step()

    def load_library(self, code, chunk):
        """Run a library's code with the loading API; returns the registrations."""
        self.pending = []
        caller = self.script_client
        ctx = RunContext(caller, b"", True, True, True)
        ctx.start = time.monotonic()
        self.ctx = ctx
        try:
            r = self.api.load_library(code, chunk)
        finally:
            self.ctx = None
            regs, self.pending = self.pending, None
            if ctx.killed is not None:
                self.api.rearm()
        ok = r[0]
        if not ok:
            val = r[1] if len(r) > 1 else None
            if isinstance(val, bytes):
                raise ReplyError("ERR Error compiling function: " + val.decode("utf-8", "replace"))
            err = self._error(val)
            raise ReplyError("ERR Error registering functions: " + err.message)
        return regs

    def _register(self, *args):
        from .functions import parse_registration
        if self.pending is None:
            return False, b"redis.register_function can only be called on FUNCTION LOAD command"
        try:
            self.pending.append(parse_registration(self, args))
        except ReplyError as e:
            return False, e.message.encode()
        return True, None

    def _error(self, val):
        if lua_type(val) == "table":
            msg = val[b"err"]
            src = val[b"source"]
            line = val[b"line"]
            if isinstance(msg, bytes):
                m = msg.decode("utf-8", "replace")
            else:
                m = "ERR unknown error"
            return ScriptError(m, src.decode("utf-8", "replace") if isinstance(src, bytes) else None,
                               line)
        return ScriptError("ERR " + str(val))

    # ---- the busy / kill hook ----------------------------------------------------------
    def _hook(self):
        ctx = self.ctx
        if ctx is None:
            return None
        server = self.server
        if ctx.killed is None:
            threshold = server.config.busy_reply_threshold
            if threshold and (time.monotonic() - ctx.start) * 1000 >= threshold:
                if not ctx.busy:
                    ctx.busy = True
                    server.busy_script = self
                    server._refresh_gate()
                    server.log.warning("Slow script detected: still in execution after %d "
                                       "milliseconds. You can try killing the script using the "
                                       "%s command." % (threshold, "FUNCTION KILL" if ctx.is_function
                                                        else "SCRIPT KILL"))
                from .busy import pump
                pump(server, ctx)
            if server.shutdown_requested is not None and ctx.killed is None:
                ctx.killed = "ERR Script killed by user with SHUTDOWN NOSAVE..."
        if ctx.killed is not None:
            return ctx.killed.encode()
        return None

    def busy_error(self):
        ctx = self.ctx
        return ctx.busy_error() if ctx is not None else RunContext.busy_error(_Dummy)

    def kill(self, by_function: bool):
        """SCRIPT KILL / FUNCTION KILL: returns None on success or the error text."""
        ctx = self.ctx
        if ctx is None or not ctx.busy:
            return "NOTBUSY No scripts in execution right now."
        if ctx.is_function and not by_function:
            return "BUSY " "Redis is busy running a function. You can only call FUNCTION KILL command."
        if not ctx.is_function and by_function:
            return "NOTBUSY No scripts in execution right now."
        if ctx.wrote:
            return ("UNKILLABLE Sorry the script already executed write commands against the "
                    "dataset. You can either wait the script termination or kill the server in "
                    "a hard way using the SHUTDOWN NOSAVE command.")
        ctx.killed = ("ERR Script killed by user with FUNCTION KILL..." if by_function else
                      "ERR Script killed by user with SCRIPT KILL...")
        return None

    # ---- redis.call ----------------------------------------------------------------------
    def _rcall(self, *args):
        """redis.call.  The common case (a known plain command called with strings while a
        script runs, nothing gating the server) runs the handler here with call()'s
        bookkeeping inlined; everything else goes through _call, which has every check.
        ``_direct`` is the name -> spec cache while a script runs, an empty dict otherwise."""
        try:
            spec = self._direct[args[0]]
        except (KeyError, IndexError, TypeError):
            spec = None
        if spec is None:
            ok, r = self._call(True, *args)
            if ok:
                return r
            raise _CallError(r)
        for a in args:
            if a.__class__ is not bytes:   # numbers, tables...: converted or refused there
                ok, r = self._call(True, *args)
                if ok:
                    return r
                raise _CallError(r)
        n = len(args)
        arity = spec.arity
        if (n != arity) if arity > 0 else (n < -arity):
            raise _CallError(b"ERR Wrong number of args calling Redis command from script")
        server = self.server
        if server.gated:
            # maxmemory, replica, write blocks, busy: the full checks
            ok, r = self._call(True, *args)
            if ok:
                return r
            raise _CallError(r)
        ctx = self.ctx
        if spec.is_write and not ctx.wrote:
            # the script's first write (a read-only script never gets past this)
            if ctx.readonly:
                raise _CallError(b"ERR Write commands are not allowed from read-only scripts.")
            ctx.wrote = True
            if not ctx.multi_emitted and server.propagating and server.propagate_hooks:
                ctx.multi_emitted = True
                server.propagate_raw(ctx.caller.db.id, [b"MULTI"])
        sc = ctx.client
        argv = list(args)
        # dispatch.call() inlined (keep the two in step; the script client never tracks)
        dirty = server.dirty
        t0 = _perf()
        try:
            reply = spec.handler(sc, argv)
        except ReplyError as e:
            reply = server.error_reply(e.message)
            spec.failed_calls += 1
        except Exception as e:  # a bug must cost one error reply, never the script
            reply = self._internal_error(server, spec, argv, e)
        dt = _perf() - t0
        spec.usec_ns += dt
        spec.calls += 1
        sc.last_cmd = spec
        if server.latency_tracking:
            h = spec.lat_hist
            k = dt | _LAT_LOW[dt.bit_length()]
            h[k] = h.get(k, 0) + 1
        if dt >= server.slowlog_threshold_ns and not spec.skip_slowlog:
            server.slowlog_push(sc, spec, argv, dt)
        # _after_call() inlined: blocked clients are served after the script (in_exec)
        if server.dirty != dirty and server.propagating and spec.is_write:
            server.propagate(sc, spec, argv)
        if server.monitors:
            server.feed_monitors(sc, argv, server.now_ms)
        t = reply.__class__
        if t is int or t is bytes:
            return reply
        if t is ReplyError:
            raise _CallError(reply.message.encode())
        if isinstance(reply, ReplyError):
            raise _CallError(reply.message.encode())
        return self.to_lua(reply, sc.resp3)

    def _acl_check_cmd(self, *args):
        """redis.acl_check_cmd(command, arg...): may the user running the script run it?
        Returns (True, bool) or (False, error text)."""
        ctx = self.ctx
        if not args:
            return False, b"ERR Please specify at least one argument for this redis lib call"
        argv = _lua_argv(args)
        if argv is None:
            return False, _BAD_ARG
        server = self.server
        spec, _ = self._lookup(server, argv)
        if spec is None:
            return False, b"ERR Invalid command passed to redis.acl_check_cmd()"
        caller = ctx.caller if ctx is not None else None
        if caller is None or not caller.restricted:
            return True, True
        return True, server.acl.allowed(caller.user, spec, argv)

    def _call(self, raise_errors, *args):
        ctx = self.ctx
        server = self.server
        if ctx is None or ctx.client is None:
            return False, b"ERR redis.call is not available here"
        if not args:
            return False, b"ERR Please specify at least one argument for this redis lib call"
        argv = _lua_argv(args)
        if argv is None:
            return False, _BAD_ARG
        spec, msg = self._lookup(server, argv)
        if spec is None:
            return False, b"ERR Unknown Redis command called from script"
        n = len(argv)
        arity = spec.arity
        if (n != arity) if arity > 0 else (n < -arity):
            return False, b"ERR Wrong number of args calling Redis command from script"
        if spec.noscript or spec.blocking and spec.name in _REFUSED_BLOCKING:
            return False, b"ERR This Redis command is not allowed from script"
        if spec.parent is None and not spec.subcommands and len(self._direct_cache) < 1024:
            self._direct_cache[argv[0]] = spec
        if ctx.caller.restricted:   # ACL: the user running the script (commands/acl.py)
            denied = server.subsystems["acl_script_check"](ctx.caller, spec, argv)
            if denied is not None:
                return False, denied.encode()
        if spec.is_write:
            if ctx.readonly:
                return False, b"ERR Write commands are not allowed from read-only scripts."
            if server.write_blocked_reason is not None:
                return False, server.write_blocked_reason.encode()
            if server.is_readonly_replica():
                return False, b"READONLY You can't write against a read only replica."
        if (spec.denyoom and server.config.maxmemory and not ctx.allow_oom and not ctx.wrote
                and not server.ensure_memory()):
            return False, b"OOM command not allowed when used memory > 'maxmemory'."
        sc = ctx.client
        if spec.is_write:
            ctx.wrote = True
            if not ctx.multi_emitted and server.propagating and server.propagate_hooks:
                ctx.multi_emitted = True
                server.propagate_raw(ctx.caller.db.id, [b"MULTI"])
                if not ctx.caller.restricted:
                    self._direct = self._direct_cache   # (set_repl may have turned it off)
        reply = self._dispatch_call(sc, spec, argv)
        if isinstance(reply, ReplyError):
            return False, reply.message.encode()
        return True, self.to_lua(reply, sc.resp3)

    # ---- conversions -------------------------------------------------------------------
    def to_lua(self, v, resp3):
        t = type(v)
        if t is bytes:
            return v
        if t is int:
            return v
        if t is str:
            return self.lua.table_from({b"ok": v.encode()})
        if v is None or t is NullArray:
            return None if resp3 else False
        if t is list or t is tuple:
            return self.lua.table_from([self.to_lua(x, resp3) for x in v])
        if t is bytearray or t is memoryview:
            return bytes(v)
        if t is float:
            if resp3:
                return self.lua.table_from({b"double": v})
            from ..protocol.encoder import format_double
            return format_double(v)
        if t is Map:
            if resp3:
                m = self.lua.table()
                for k, val in v.items:
                    m[self.to_lua(k, resp3)] = self.to_lua(val, resp3)
                return self.lua.table_from({b"map": m})
            flat = []
            for k, val in v.items:
                flat.append(self.to_lua(k, resp3))
                flat.append(self.to_lua(val, resp3))
            return self.lua.table_from(flat)
        if t is SetReply:
            if resp3:
                s = self.lua.table()
                for k in v.items:
                    s[self.to_lua(k, resp3)] = True
                return self.lua.table_from({b"set": s})
            return self.lua.table_from([self.to_lua(x, resp3) for x in v.items])
        if t is Bool:
            return v.value if resp3 else (1 if v.value else 0)
        if t is BigNumber:
            s = str(v.value).encode()
            return self.lua.table_from({b"big_number": s}) if resp3 else s
        if t is Verbatim:
            if resp3:
                return self.lua.table_from({b"verbatim_string": self.lua.table_from(
                    {b"format": v.fmt, b"string": v.data})})
            return v.data
        if isinstance(v, ReplyError):
            return self.lua.table_from({b"err": v.message.encode()})
        if t is Raw:
            d = v.data
            if d[:1] == b",":
                f = float(d[1:-2])
                return self.to_lua(f, resp3)
            if d[:1] == b"$":
                return d[d.index(b"\r\n") + 2:-2]
            return d
        if isinstance(v, int):
            return int(v)
        return None

    def to_reply(self, v, resp3, depth=0):
        t = type(v)
        if t is bytes:
            return v
        if t is int:
            return v
        if t is float:
            if v != v:
                return -(1 << 63)
            try:
                return int(v)
            except OverflowError:
                return -(1 << 63)
        # booleans follow the script's protocol (redis.setresp), null the caller's
        if v is True:
            return TRUE if self._lua_resp3 else 1
        if v is False:
            return FALSE if self._lua_resp3 else None
        if v is None:
            return None
        if lua_type(v) != "table":
            return None
        if depth > 1000:
            return ReplyError("ERR reached lua stack limit")
        err = v[b"err"]
        if isinstance(err, bytes):
            if err[:1] == b"-":  # sent verbatim after the '-' Redis adds itself
                return Raw(b"-" + err.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n")
            return ReplyError(err.decode("utf-8", "replace"))
        ok = v[b"ok"]
        if isinstance(ok, bytes):
            return ok.decode("utf-8", "replace")
        d = v[b"double"]
        if d is not None and not isinstance(d, bytes) and lua_type(d) is None:
            return float(d)
        m = v[b"map"]
        if m is not None and lua_type(m) == "table":
            return Map([(self.to_reply(k, resp3, depth + 1), self.to_reply(x, resp3, depth + 1))
                        for k, x in m.items()])
        s = v[b"set"]
        if s is not None and lua_type(s) == "table":
            return SetReply([self.to_reply(k, resp3, depth + 1) for k in s.keys()])
        bn = v[b"big_number"]
        if isinstance(bn, bytes):
            return BigNumber(bn.decode())
        vs = v[b"verbatim_string"]
        if vs is not None and lua_type(vs) == "table":
            return Verbatim(vs[b"string"] or b"", vs[b"format"] or b"txt")
        out = []
        i = 1
        while True:
            x = v[i]
            if x is None:
                break
            out.append(self.to_reply(x, resp3, depth + 1))
            i += 1
        return out


class _CallError(Exception):
    """A redis.call command error on its way through Lua (as a userdata error value)."""


class _LibError(Exception):
    """A library function's error: a plain string error value for Lua."""


def _sha1hex(*args):
    if not args or args[0] is None:
        raise _CallError(b"ERR wrong number of arguments")
    s = args[0]
    t = type(s)
    if t is int:
        s = b"%d" % s
    elif t is float:
        s = _num_str(s)
    elif t is bool:
        s = b"true" if s else b"false"
    elif t is not bytes:
        s = str(s).encode()
    return hashlib.sha1(s).hexdigest().encode()


def _errval(e):
    if isinstance(e, _CallError):
        return e.args[0], False
    if isinstance(e, _LibError):
        return e.args[0], True
    return None


class _Dummy:
    is_function = False


_REFUSED_BLOCKING = frozenset(("blpop", "brpop", "brpoplpush", "blmove", "blmpop", "bzpopmin",
                               "bzpopmax", "bzmpop"))


def _errfmt(s: bytes) -> bytes:
    if s.startswith(b"-"):
        s = s[1:]
    if b" " not in s:
        s = b"ERR " + s
    return s


def _num_str(f: float) -> bytes:
    """Lua 5.1's number to string conversion (%.14g)."""
    if f == int(f) and abs(f) < 1e15:
        return b"%d" % int(f)
    return (b"%.14g" % f)
