"""Server-side request parser (sans-IO): bytes in, argv lists out.

Two implementations with identical observable behaviour:

* ``PyRequestParser`` -- pure Python, a faithful model of Redis' request reading
  (multibulk + inline), keeping partial-command state across feeds.
* ``FastRequestParser`` -- lets ``hiredis.Reader`` split well-formed ``*``-multibulk batches
  (the hot path: pipelined GET/SET), checks every result against the raw bytes (each
  command starts with ``*``, each argument with ``$``, canonical sizes), and hands anything
  else -- inline commands, malformed or partial commands, limits, unauthenticated clients --
  to an embedded ``PyRequestParser``, so error texts are always Redis'.

API (both)::

    p = FastRequestParser(max_bulk_len=512 * 1024 * 1024, max_query_buffer=1024 ** 3)
    p.authenticated = False     # Redis' unauthenticated limits (default True)
    p.feed(data)
    p.get_commands()            # -> [[b"SET", b"k", b"v"], ...]
    p.buffered()                # bytes held (unparsed input + args of a partial command)

Errors: ``get_commands`` returns the commands that precede a protocol error; the next call
raises ``ProtocolError("Protocol error: ...")`` (immediately when nothing precedes it).  The
parser stays failed: every later call raises again (Redis closes the connection).

While ``authenticated`` is False, ``get_commands`` returns at most one command per call, so a
pipelined ``AUTH`` changes the limits applied to the commands behind it, as in Redis (which
parses and executes one command at a time).

Redis facts reproduced (checked against redis-server 7.0):

* A buffer whose first byte is ``*`` is a multibulk request, anything else is inline.
* Header lines end at the first ``\\r`` and need one more byte after it, which is skipped
  whatever it is; the two bytes after bulk data are skipped blindly too.  A NUL byte before
  the ``\\r`` (or before the ``\\n`` of an inline line) hides the line end (Redis uses strchr):
  the request just waits -- until more than 64 KiB are buffered, which is "too big ...".
* Numbers follow string2ll (no sign ``+``, no leading zeros, no ``-0``, 64-bit).  Multibulk
  counts > INT_MAX are invalid, counts <= 0 make an empty command (ignored).  Bulk lengths
  must be 0..max_bulk_len.  Unauthenticated: count > 10 / bulk length > 16384 are refused.
* Inline lines (``\\n`` or ``\\r\\n``) are split with sdssplitargs rules; empty ones ignored.
* "too big" limits (64 KiB without line end): Redis checks them after each socket read, so
  which error a 64..80 KiB header line gets depends on read sizes.  Here a line is "too big"
  exactly when more than 65536 bytes precede its terminator (what Redis does when data
  trickles in), which makes the result independent of how the input was split into feeds.
* Declared sizes never allocate up front: argv lists grow as arguments arrive, a pending
  bulk is collected as a list of chunks and joined once.
* ``max_query_buffer`` is only recorded: the server enforces client-query-buffer-limit with
  ``buffered()``.
"""

import re
import struct
from itertools import chain

import hiredis

from .encoder import BULK_HEADS

__all__ = ["ProtocolError", "PyRequestParser", "FastRequestParser", "RequestParser", "parse_simple", "parse_uniform", "parse_fast"]

INLINE_MAX = 64 * 1024          # PROTO_INLINE_MAX_SIZE
INT_MAX = 2147483647
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384
_NO_LIMIT = 1 << 62

E_MBULK_LEN = "Protocol error: invalid multibulk length"
E_BULK_LEN = "Protocol error: invalid bulk length"
E_UNAUTH_MBULK = "Protocol error: unauthenticated multibulk length"
E_UNAUTH_BULK = "Protocol error: unauthenticated bulk length"
E_BIG_MBULK = "Protocol error: too big mbulk count string"
E_BIG_BULK = "Protocol error: too big bulk count string"
E_BIG_INLINE = "Protocol error: too big inline request"
E_QUOTES = "Protocol error: unbalanced quotes in request"


def _expected_dollar(byte):
    return "Protocol error: expected '$', got '%s'" % chr(byte)


class ProtocolError(Exception):
    """A request Redis would answer with "-ERR Protocol error: ..." and then disconnect.
    ``args[0]`` is the message without the "ERR " prefix."""


def _string2ll(s):
    """Redis' string2ll: a strict signed 64-bit decimal, or None."""
    n = len(s)
    if n == 0 or n > 20:
        return None
    if s.isdigit():
        if s[0] == 48 and n > 1:
            return None
        v = int(s)
        return v if v <= 9223372036854775807 else None
    if s[0] == 45 and n > 1 and s[1] != 48 and s[1:].isdigit():
        v = int(s)
        return v if v >= -9223372036854775808 else None
    return None


# Canonical header lines (string2ll-valid) -> value, for the common small sizes.
_MBULK_HDR = {b"*%d" % i: i for i in range(1025)}
# hiredis allocates an aggregate's element list up front: "*300000000\r\n" would make it
# allocate gigabytes before a single argument arrived.  Such headers go to the Python parser,
# which grows argv as arguments really arrive (as Redis caps its preallocation).
_HUGE_COUNT = re.compile(rb"[*~%|>][0-9]{6}").search
_HUGE_STAR = re.compile(rb"\*[0-9]{6}").search   # literal prefix: sre skips with memchr
_BULK_HDR = {b"$%d" % i: i for i in range(10000)}

_SPACE = frozenset(b" \t\n\v\f\r")     # C isspace()
_TOKEN_END = frozenset(b" \n\r\t")     # ends an unquoted token (NUL too)
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}


def split_args(line):
    """sdssplitargs: the argv of one inline line, or None for unbalanced quotes.
    (The line never holds NUL: such a line is never complete, see the module doc.)"""
    if b'"' not in line and b"'" not in line and b"\v" not in line and b"\f" not in line:
        return line.split()
    n = len(line)
    i = 0
    out = []
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return out
        cur = bytearray()
        inq = insq = False
        while True:
            c = line[i] if i < n else 0
            if inq:
                if (c == 92 and i + 3 < n and line[i + 1] == 120
                        and line[i + 2] in _HEX and line[i + 3] in _HEX):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    e = line[i]
                    cur.append(_ESCAPES.get(e, e))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif c == 0:
                    return None
                else:
                    cur.append(c)
            elif insq:
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        return None
                    i += 1
                    break
                elif c == 0:
                    return None
                else:
                    cur.append(c)
            else:
                if c == 0:
                    break
                if c in _TOKEN_END:
                    i += 1
                    break
                if c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        out.append(bytes(cur))


class PyRequestParser:
    """Pure-Python request parser (see the module docstring for the API and rules)."""

    __slots__ = ("max_bulk_len", "max_query_buffer", "authenticated", "_buf", "_pos",
                 "_chunks", "_size", "_need", "_argv", "_left", "_blen", "_argsum", "_err")

    def __init__(self, max_bulk_len=512 * 1024 * 1024, max_query_buffer=1024 * 1024 * 1024):
        self.max_bulk_len = max_bulk_len
        self.max_query_buffer = max_query_buffer
        self.authenticated = True
        self._err = None
        self._reset()

    def _reset(self):
        self._buf = b""         # unparsed bytes start at self._pos ...
        self._pos = 0
        self._chunks = []       # ... and continue with these (not joined yet)
        self._size = 0          # total unparsed bytes
        self._need = 0          # no progress possible while _size < _need
        self._argv = None       # argv of the multibulk command in progress
        self._left = 0          # arguments still expected
        self._blen = -1         # length of the bulk whose header was read, or -1
        self._argsum = 0        # bytes in _argv

    def feed(self, data):
        if not data:
            return
        if type(data) is not bytes:
            data = bytes(data)
        if self._size == 0:
            self._buf = data
            self._pos = 0
        else:
            self._chunks.append(data)
        self._size += len(data)

    def buffered(self):
        return self._size + self._argsum

    def get_commands(self):
        if self._err is not None:
            raise ProtocolError(self._err)
        cmds = self._run(_NO_LIMIT if self.authenticated else 1)
        if self._err is not None and not cmds:
            raise ProtocolError(self._err)
        return cmds

    def _detach(self):
        """Hand back the unparsed bytes (at a command boundary) and become empty."""
        data = self._buf[self._pos:] if self._pos else self._buf
        if self._chunks:
            data = b"".join([data] + self._chunks)
        self._reset()
        return data

    def _run(self, limit):
        """Parse up to ``limit`` commands; a protocol error is left in self._err."""
        if self._err is not None or self._size < self._need or self._size == 0:
            return []
        buf = self._buf
        pos = self._pos
        if self._chunks:
            self._chunks.insert(0, memoryview(buf)[pos:] if pos else buf)
            buf = b"".join(self._chunks)
            self._chunks = []
            pos = 0
        n = len(buf)
        out = []
        argv = resumed = self._argv
        k0 = len(argv) if argv is not None else 0
        left = self._left
        blen = self._blen
        auth = self.authenticated
        maxbulk = self.max_bulk_len
        find = buf.find
        need = 0
        err = None
        while True:
            if argv is None:
                if pos >= n:
                    break
                if buf[pos] != 42:
                    # ---- inline command -------------------------------------------
                    nl = find(b"\n", pos, pos + INLINE_MAX + 1)
                    if nl < 0 or find(b"\0", pos, nl) >= 0:
                        if n - pos > INLINE_MAX:
                            err = E_BIG_INLINE
                        else:
                            need = n + 1 if nl < 0 else pos + INLINE_MAX + 1
                        break
                    end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
                    args = split_args(buf[pos:end])
                    if args is None:
                        err = E_QUOTES
                        break
                    pos = nl + 1
                    if args:
                        out.append(args)
                        if len(out) >= limit:
                            break
                    continue
                # ---- multibulk header ---------------------------------------------
                nl = find(b"\r", pos, pos + INLINE_MAX + 1)
                if nl < 0:
                    if n - pos > INLINE_MAX:
                        err = E_BIG_MBULK
                    else:
                        need = n + 1
                    break
                if nl + 1 >= n:
                    if n - pos > INLINE_MAX and find(b"\0", pos, nl) >= 0:
                        err = E_BIG_MBULK
                    else:
                        need = nl + 2
                    break
                ll = _MBULK_HDR.get(buf[pos:nl])
                if ll is None:
                    ll = _string2ll(buf[pos + 1:nl])
                    if ll is None or ll > INT_MAX:
                        if find(b"\0", pos, nl) >= 0:
                            if n - pos > INLINE_MAX:
                                err = E_BIG_MBULK
                            else:
                                need = pos + INLINE_MAX + 1
                        else:
                            err = E_MBULK_LEN
                        break
                if ll > UNAUTH_MAX_MULTIBULK and not auth:
                    err = E_UNAUTH_MBULK
                    break
                pos = nl + 2
                if ll <= 0:
                    continue
                argv = []
                left = ll
                blen = -1
            # ---- arguments ----------------------------------------------------------
            while left:
                if blen < 0:
                    if pos >= n:
                        need = n + 1
                        break
                    nl = find(b"\r", pos, pos + INLINE_MAX + 1)
                    if nl < 0:
                        if n - pos > INLINE_MAX:
                            err = E_BIG_BULK
                        else:
                            need = n + 1
                        break
                    if nl + 1 >= n:
                        if n - pos > INLINE_MAX and find(b"\0", pos, nl) >= 0:
                            err = E_BIG_BULK
                        else:
                            need = nl + 2
                        break
                    ll = _BULK_HDR.get(buf[pos:nl])
                    if ll is not None:
                        if ll > maxbulk:
                            err = E_BULK_LEN
                            break
                    else:
                        if find(b"\0", pos, nl) >= 0:
                            if n - pos > INLINE_MAX:
                                err = E_BIG_BULK
                            else:
                                need = pos + INLINE_MAX + 1
                            break
                        if buf[pos] != 36:
                            err = _expected_dollar(buf[pos])
                            break
                        ll = _string2ll(buf[pos + 1:nl])
                        if ll is None or ll < 0 or ll > maxbulk:
                            err = E_BULK_LEN
                            break
                    if ll > UNAUTH_MAX_BULK and not auth:
                        err = E_UNAUTH_BULK
                        break
                    pos = nl + 2
                    blen = ll
                end = pos + blen
                if end + 2 > n:
                    need = end + 2
                    break
                argv.append(buf[pos:end])
                pos = end + 2
                blen = -1
                left -= 1
            if left:
                break
            out.append(argv)
            argv = None
            if len(out) >= limit:
                break
        # ---- save state ---------------------------------------------------------------
        self._err = err
        if argv is None:
            self._argsum = 0
        elif argv is resumed:
            if len(argv) > k0:
                self._argsum += sum(map(len, argv[k0:]))
        else:
            self._argsum = sum(map(len, argv))
        self._argv = argv
        self._left = left
        self._blen = blen
        if pos >= n:
            self._buf = b""
            self._pos = 0
            self._size = 0
            self._need = need - n
        else:
            self._buf = buf
            self._pos = pos
            self._size = n - pos
            self._need = need - pos if need else 0
        return out


# Sizes of canonical headers: "*<n>\r\n" and "$<len>\r\n" + the trailing "\r\n" of the data.
_HDR = [3 + len(str(i)) for i in range(1024)]
_ELT = [5 + len(str(i)) for i in range(10000)]
_HDR_get = _HDR.__getitem__
_ELT_get = _ELT.__getitem__
_chain = chain.from_iterable


def _verify(cmds, raw):
    """Check hiredis' results against the raw bytes: every command must be an array whose
    header byte is ``*`` and every argument a bulk whose header byte is ``$`` (hiredis also
    accepts RESP3 types, which Redis refuses).  hiredis only accepts canonical numbers and
    ``\\r\\n`` line ends, so positions follow from the lengths.  Returns (number of commands
    accepted, bytes they span)."""
    pos = 0
    k = 0
    try:
        for c in cmds:
            if raw[pos] != 42 or c.__class__ is not list:
                break
            m = len(c)
            if m == 0:
                break
            p = pos + (_HDR[m] if m < 1024 else 3 + len(str(m)))
            for a in c:
                if raw[p] != 36:
                    break
                ln = len(a)
                p += ln + (_ELT[ln] if ln < 10000 else 5 + len(str(ln)))
            else:
                pos = p
                k += 1
                continue
            break
    except (TypeError, IndexError):
        pass
    return k, pos


# "$<len>" for the lengths parse_simple accepts (an index past the end means "not simple").
_BULK_B = BULK_HEADS
_MBULK_COUNT = _MBULK_HDR.get


def parse_simple(data):
    """The one-command-per-read case (``-P 1``), without hiredis: ``[argv]`` when ``data`` is
    exactly one canonical multibulk command (``*<n>`` then ``$<len>`` + data per argument, every
    line ending in CRLF, arguments shorter than 10000 bytes), else None (the caller then
    uses the full parser).

    Sound because of how it checks: splitting on CRLF and verifying that every header equals
    the canonical header of the part after it proves ``data`` is byte for byte the canonical
    encoding of the argv returned, whatever bytes (CRLF included) the arguments hold; an
    argument containing CRLF simply fails the check and takes the general path.  Such a
    command is within every limit Redis applies, even to unauthenticated clients."""
    parts = data.split(b"\r\n")
    n = len(parts)
    try:
        if n == 6:
            if (parts[0] == b"*2" and not parts[5] and parts[1] == _BULK_B[len(parts[2])]
                    and parts[3] == _BULK_B[len(parts[4])]):
                return [[parts[2], parts[4]]]
        elif n == 8:
            if (parts[0] == b"*3" and not parts[7] and parts[1] == _BULK_B[len(parts[2])]
                    and parts[3] == _BULK_B[len(parts[4])] and parts[5] == _BULK_B[len(parts[6])]):
                return [[parts[2], parts[4], parts[6]]]
        elif n == 4:
            if parts[0] == b"*1" and not parts[3] and parts[1] == _BULK_B[len(parts[2])]:
                return [[parts[2]]]
        elif n > 8 and not (n & 1) and not parts[n - 1] and _MBULK_COUNT(parts[0]) == (n >> 1) - 1:
            end = n - 1
            args = parts[2:end:2]
            if parts[1:end:2] == list(map(_BULK_B.__getitem__, map(len, args))):
                return [args]
    except IndexError:      # an argument of 10000 bytes or more
        pass
    return None


_BULK_B_at = _BULK_B.__getitem__


def _uniform(parts):
    """The commands in ``parts`` (``data.split(b"\r\n")``) when ``data`` is a whole number
    of canonical multibulk commands that all have the same number of arguments k: returns
    ``(k, args)``, ``args`` being every argument of every command in order (so command j is
    ``args[j*k:(j+1)*k]``); else None.  Consumes ``parts``.  The work per command is done by
    C loops (split, slices, count, map, list comparison), whatever k: every "*k" header is
    checked by one slice + count, then, with those deleted, the list alternates "$<len>"
    header / argument and one comparison checks every header against the length of the part
    after it -- which proves ``data`` is byte for byte the canonical encoding of the commands
    returned (an argument holding CRLF fails the check and the caller takes the full parser)."""
    end = len(parts) - 1
    if parts[end]:
        return None
    head = parts[0]
    k = _MBULK_COUNT(head)
    if not k:
        return None
    step = 2 * k + 1
    m, rem = divmod(end, step)
    if rem or parts[0:end:step].count(head) != m:
        return None
    del parts[end]
    del parts[::step]
    args = parts[1::2]
    try:
        if parts[0::2] != list(map(_BULK_B_at, map(len, args))):
            return None
    except IndexError:      # an argument of 10000 bytes or more
        return None
    return k, args


def parse_uniform(data):
    """Argument columns (``cols[i]`` = argument i of every command) of a pipeline of complete
    commands that all have the same number of arguments (what redis-benchmark and most batch
    writers send), or None when ``data`` is anything else (the caller then uses hiredis or
    the Python parser).  See _uniform."""
    r = _uniform(data.split(b"\r\n"))
    if r is None:
        return None
    k, args = r
    return [args[i::k] for i in range(k)]


# The single-command route of parse_fast for commands of 5 or more arguments (MSET, HSET
# with several fields...): hiredis builds the argv in C, about half the cost of split +
# _uniform's checks at 21 arguments.  The reader is shared and left empty after every call.
_one_reader = hiredis.Reader()


def _parse_one(data):
    """argv when ``data`` is exactly one multibulk command as Redis would read it, else None.
    The caller has checked that ``data`` starts with "*", that the count has at most 5
    digits, that no other "*" follows (no second command, no nested array) and that
    ``data`` is under 1 MB (so every argument is within proto-max-bulk-len, whose minimum
    is 1 MB).  One C scan (translate) checks that no "+", "=" or "(" byte and no header
    byte of another aggregate type ("~", "%", ">", "|": hiredis allocates an aggregate's
    list up front, whatever its count) appears either.  Why this is enough:
    - hiredis accepts only canonical numbers (no sign, no leading zero, no space) and, like
      Redis, skips the two bytes after a bulk's data without looking at them;
    - it makes bytes only from "$", "+", "=" and "(" elements: with no "+", "=" or "(" byte
      in ``data`` every bytes element was a "$" bulk, and every other element type (":",
      ",", "#", "_", "-") gives something b"".join refuses;
    - has_data() is False only when the command used up all of ``data``."""
    global _one_reader
    if len(data.translate(None, b"+=(~%>|")) != len(data):
        return None
    reader = _one_reader
    reader.feed(data)
    try:
        argv = reader.gets()
        if argv.__class__ is list and argv and not reader.has_data():
            b"".join(argv)      # TypeError unless every element is bytes
            return argv
    except Exception:   # hiredis.ProtocolError, TypeError
        pass
    _one_reader = hiredis.Reader()      # it may hold the rest of data
    return None


_PROBE = [b"!"]


def _parse_many(data):
    """Argument columns of a pipeline of multibulk commands that all have the same number
    of arguments (the argv when there is only one), as Redis would read them, when hiredis
    can be proven exact on ``data`` (else None).  The caller has checked that ``data``
    starts with "*" and is under 1 MB.  The proof is _parse_one's, per command: no "+", "=", "(" or other aggregate type
    byte anywhere (memchr scans: cheaper than translate over a few KB), no "*" followed by
    6 digits (so no count hiredis would allocate a big list for; a "*" inside an argument is
    just data to hiredis), every element hiredis returns is a non-empty list of bytes (a
    nested array, integer, null or error makes b"".join refuse), and nothing is left over
    (has_data, and a probe command read back alone after them)."""
    global _one_reader
    find = data.find
    if (find(b"+") >= 0 or find(b"=") >= 0 or find(b"(") >= 0 or find(b"~") >= 0
            or find(b"%") >= 0 or find(b">") >= 0 or find(b"|") >= 0
            or _HUGE_STAR(data) is not None):
        return None
    reader = _one_reader
    reader.feed(data)
    gets = reader.gets
    try:
        cmds = list(iter(gets, False))      # (a C loop: no bytecodes per command)
        # has_data() is False also when hiredis took in the header (and some elements) of
        # a last, incomplete command; a probe command comes back alone only if it did not
        if not reader.has_data():
            reader.feed(b"*1\r\n$1\r\n!\r\n")
        if gets() == _PROBE and not reader.has_data():
            b"".join(map(b"".join, cmds))   # TypeError unless each is a list of bytes
            k = len(cmds[0])
            if k and list(map(len, cmds)).count(k) == len(cmds):
                return cmds[0] if len(cmds) == 1 else tuple(map(list, zip(*cmds)))
            return None
    except Exception:   # hiredis.ProtocolError, TypeError
        pass
    _one_reader = hiredis.Reader()      # it may hold the rest of data
    return None


# ---- pipelines of one fixed layout ------------------------------------------------------
# A pipeline whose commands all have the same number of arguments AND the same argument
# lengths (GET key:000000000042 x 16, MSET of fixed-width keys and values: what
# redis-benchmark -r and most bulk writers send) is m copies of one byte layout: the same
# header bytes at the same offsets, arguments in between.  _parse_fixed proves that with one
# big-int comparison -- data AND mask (0xff over every header byte, 0 over the arguments)
# equals the headers -- and cuts the arguments out with a struct.Struct of "Nx Ms" fields
# (C code throughout): ~35% less than split + _uniform for GET/SET x 16, ~30% for MSET x 16.

class _Layout:
    __slots__ = ("unpack", "size", "mask1", "stat1", "masks")

    def __init__(self, k, lens):
        fmt = ["="]
        stat = bytearray()
        mask = bytearray()
        for i, n in enumerate(lens):
            head = (b"*%d\r\n" % k if i == 0 else b"\r\n") + b"$%d\r\n" % n
            fmt.append("%dx%ds" % (len(head), n))
            stat += head + bytes(n)
            mask += b"\xff" * len(head) + bytes(n)
        fmt.append("2x")
        self.unpack = struct.Struct("".join(fmt)).iter_unpack
        self.size = len(stat) + 2
        self.stat1 = bytes(stat) + b"\r\n"
        self.mask1 = bytes(mask) + b"\xff\xff"
        self.masks = {}         # m -> (mask, headers) of m commands, as ints


_layouts = {}                   # argument lengths -> _Layout
_LAYOUTS_MAX = 256
_FIXED_MAX = 65536              # bytes: bigger pipelines take the other routes
_mask_bytes = [0]               # cached mask bytes in all layouts (bounded: _MASKS_MAX)
_MASKS_MAX = 4 << 20
_from_bytes = int.from_bytes


def _parse_fixed(data):
    """Argument columns when ``data`` is two or more commands of one layout (see above),
    each canonical multibulk; else None.  The caller has checked data[0] == "*" and
    len(data) < _FIXED_MAX."""
    k = _MBULK_COUNT(data[:data.find(b"\r")])
    if not k:
        return None
    parts = data.split(b"\r\n", 2 * k + 1)     # the first command, then the rest in one
    lens = tuple(map(len, parts[2:2 * k + 1:2]))
    lay = _layouts.get(lens)
    if lay is None:
        if len(parts) != 2 * k + 2 or len(lens) != k:
            return None
        try:
            if parts[1:2 * k + 1:2] != list(map(_BULK_B_at, lens)):
                return None
        except IndexError:      # an argument of 10000 bytes or more
            return None
        if len(_layouts) >= _LAYOUTS_MAX:
            _layouts.clear()
        lay = _layouts[lens] = _Layout(k, lens)
    m, rem = divmod(len(data), lay.size)
    if rem or m < 2:
        return None
    ints = lay.masks.get(m)
    if ints is None:
        ints = (_from_bytes(lay.mask1 * m, "little"), _from_bytes(lay.stat1 * m, "little"))
        if _mask_bytes[0] > _MASKS_MAX:
            for x in _layouts.values():
                x.masks.clear()
            _mask_bytes[0] = 0
        lay.masks[m] = ints
        _mask_bytes[0] += 2 * len(data)
    if _from_bytes(data, "little") & ints[0] != ints[1]:
        return None
    return tuple(map(list, zip(*lay.unpack(data))))


def parse_fast(data):
    """parse_simple and parse_uniform with one split: the argv (a list) when ``data`` is one
    canonical command, a tuple of argument columns when it is a uniform pipeline of two or
    more, else None.  (One command of 5 or more arguments, or a pipeline that starts with
    one: _parse_one/_parse_many, through hiredis.)"""
    try:
        long_one = data[2] != 13 or data[1] > 52    # not "*1\r" .. "*4\r": 5+ arguments
    except IndexError:
        return None
    if long_one and data[0] == 42 and not data[1:7].isdigit() and len(data) < 1048576:
        if data.find(b"*", 1) < 0:
            argv = _parse_one(data)
            if argv is not None:
                return argv
        else:       # a pipeline of long commands (MSET -P 16): hiredis, if proven exact
            if len(data) < _FIXED_MAX:
                cols = _parse_fixed(data)   # maybe one layout
                if cols is not None:
                    return cols
            cols = _parse_many(data)
            if cols is not None:
                return cols
    # At most 11 parts: a command of 1-4 arguments has at most 10, so 11 means more data (a
    # pipeline, or a longer command): _parse_fixed first, then the whole split.  (One split
    # with a bound costs a -P 1 read less than any probe for a second command.)
    parts = data.split(b"\r\n", 10)
    n = len(parts)
    if n == 11:
        if data[0] == 42 and len(data) < _FIXED_MAX:
            cols = _parse_fixed(data)       # maybe a pipeline of one layout
            if cols is not None:
                return cols
        parts = data.split(b"\r\n")
        n = len(parts)
    try:
        # (unpacking into locals: cheaper than indexing the list once per use)
        if n == 6:
            count, h1, a1, h2, a2, end = parts
            if count == b"*2" and not end and h1 == _BULK_B[len(a1)] and h2 == _BULK_B[len(a2)]:
                return [a1, a2]
            return None
        elif n == 8:
            count, h1, a1, h2, a2, h3, a3, end = parts
            if (count == b"*3" and not end and h1 == _BULK_B[len(a1)] and h2 == _BULK_B[len(a2)]
                    and h3 == _BULK_B[len(a3)]):
                return [a1, a2, a3]
            return None
        elif n == 4:
            count, h1, a1, end = parts
            if count == b"*1" and not end and h1 == _BULK_B[len(a1)]:
                return [a1]
            return None
        elif n == 10 and parts[0] == b"*4":     # ZADD key score member, HSET key field value
            # (10 parts are also three 1-argument commands: those go on to _uniform)
            if (not parts[9] and parts[1] == _BULK_B[len(parts[2])]
                    and parts[3] == _BULK_B[len(parts[4])] and parts[5] == _BULK_B[len(parts[6])]
                    and parts[7] == _BULK_B[len(parts[8])]):
                return [parts[2], parts[4], parts[6], parts[8]]
            return None
    except IndexError:      # an argument of 10000 bytes or more
        return None
    r = _uniform(parts)
    if r is None:
        return None
    k, args = r
    if len(args) == k:
        return args
    return tuple([args[i::k] for i in range(k)])


class FastRequestParser:
    """hiredis-accelerated request parser; observable behaviour identical to PyRequestParser."""

    __slots__ = ("max_bulk_len", "max_query_buffer", "authenticated", "_py", "_py_active",
                 "_chunks", "_size", "_reader", "uniform")

    def __init__(self, max_bulk_len=512 * 1024 * 1024, max_query_buffer=1024 * 1024 * 1024):
        self.max_bulk_len = max_bulk_len
        self.max_query_buffer = max_query_buffer
        self.authenticated = True
        self._py = PyRequestParser(max_bulk_len, max_query_buffer)
        self._py_active = False
        self._chunks = []
        self._size = 0
        self._reader = hiredis.Reader()
        # the argument columns of the batch get_commands just returned when it was a uniform
        # pipeline (parse_uniform), else None; the caller may use it for execute_batch
        self.uniform = None

    def feed(self, data):
        if self._py_active:
            self._py.feed(data)
        elif data:
            if type(data) is not bytes:
                data = bytes(data)
            self._chunks.append(data)
            self._size += len(data)

    def buffered(self):
        if self._py_active:
            return self._py.buffered()
        return self._size

    def _to_py(self, data):
        py = self._py
        py.max_bulk_len = self.max_bulk_len
        py.feed(data)
        self._py_active = True

    def get_commands(self):
        out = []
        self.uniform = None
        while True:
            if self._py_active:
                py = self._py
                if py._err is not None and not out:
                    raise ProtocolError(py._err)
                auth = self.authenticated
                py.authenticated = auth
                cmds = py._run(1)
                if py._err is not None:
                    out += cmds
                    if not out:
                        raise ProtocolError(py._err)
                    return out
                if not auth:
                    return out + cmds
                if py._argv is None and (py._size == 0 or (cmds and py._buf[py._pos] == 42)):
                    # at a command boundary with multibulk (or nothing) ahead: back to hiredis
                    self._py_active = False
                    rest = py._detach()
                    if rest:
                        self._chunks = [rest]
                        self._size = len(rest)
                    if cmds:
                        out += cmds
                    continue
                if not cmds:
                    return out
                out += cmds
                continue
            # ---- hiredis mode: self._reader is empty, self._chunks hold the input ---------
            size = self._size
            if size == 0:
                return out
            chunks = self._chunks
            raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            self._chunks = []
            self._size = 0
            if raw[0] != 42 or not self.authenticated or size > self.max_bulk_len:
                self._to_py(raw)
                continue
            cols = parse_uniform(raw)
            if cols is not None:
                cmds = list(map(list, zip(*cols)))
                if out:
                    out += cmds
                    return out
                self.uniform = cols
                return cmds
            # The -P 1 case: one aggregate header in the buffer.  hiredis parses it and a walk
            # over its few headers (_verify) proves it was plain multibulk, cheaper than the
            # batch checks below.  Anything unexpected falls through to the general path.
            # (A huge count after another aggregate type byte would make hiredis allocate.)
            if (raw.find(b"*", 1) < 0 and not raw[1:7].isdigit()
                    and len(raw.translate(None, b"~%|>")) == size):
                reader = self._reader
                reader.feed(raw)
                try:
                    c = reader.gets()
                    tail = reader.gets() if c is not False else None
                except Exception:       # hiredis.ProtocolError
                    c = tail = None
                if tail is False and c.__class__ is list:
                    k, pos = _verify((c,), raw)
                    if k == 1 and pos == size:
                        if out:
                            out.append(c)
                            return out
                        return [c]
                self._reader = hiredis.Reader()   # the general path re-reads raw from scratch
            # Rare cases: a huge aggregate count (to the Python parser) or a RESP3/simple
            # type byte anywhere (to the tier-2 header walk).
            special = len(raw.translate(None, b"+=(>~|%")) != size   # C table scan, no regex
            if _HUGE_STAR(raw) is not None or (special and _HUGE_COUNT(raw) is not None):
                self._to_py(raw)
                continue
            reader = self._reader
            reader.feed(raw)
            try:
                cmds = list(iter(reader.gets, False))   # a C loop
                c = False
            except Exception:       # hiredis.ProtocolError, MemoryError
                # the Python parser reads it all again, the commands before the bad one too
                cmds = []
                c = None
            # Tier 1 (no byte of a RESP3/simple type anywhere in raw): hiredis can only have
            # produced lists from '*' and bytes from '$', so sizes are exact -- check types
            # and the total.  Tier 2: walk the headers (_verify).
            k = -1
            if not special:
                try:
                    lens = list(map(len, cmds))
                    flat = list(_chain(cmds))
                    pos = (sum(map(_HDR_get, lens)) + len(b"".join(flat))
                           + sum(map(_ELT_get, map(len, flat))))
                    if 0 not in lens:
                        k = len(cmds)
                except (TypeError, IndexError):
                    pass
            if k < 0:
                k, pos = _verify(cmds, raw)
            if c is False and k == len(cmds) and pos == size:
                if out:
                    out += cmds
                    return out
                return cmds
            # partial command, something hiredis refused, or a result Redis would not give
            self._reader = hiredis.Reader()
            if k:
                out += cmds[:k] if k < len(cmds) else cmds
            self._to_py(raw[pos:] if pos else raw)


RequestParser = FastRequestParser
