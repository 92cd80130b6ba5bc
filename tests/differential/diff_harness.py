"""Differential harness (import it as ``diff_harness``: several ``conftest`` modules exist in
the tree, so ``from conftest import ...`` resolves to whichever was loaded last): the same commands to ember and to the redis-server oracle, compared
on the raw reply bytes, under RESP2 and under RESP3 (after ``HELLO 3``).

    def test_x(differ):            # parametrised over protocol 2 and 3
        differ.run([("SET", "{k}a", "1"), ("GET", "{k}a")])

``{k}`` in an argument is replaced by a per-test key prefix; each test runs in its own logical
database (``differ.db``), flushed before and after.  Replies pass through ``normalise``
before comparison -- the *only* place known, documented differences between the oracle
(Redis 7.0.15) and ember's target (Redis 7.2) are forgiven:

* ``HELLO``'s ``version`` field (7.0.15 vs 7.2.x) and ``id`` field (client ids differ);
* HELLO's NOAUTH error: 7.2 spells the option "HELLO <proto> AUTH <user> <pass>";
* doubles: 7.0 prints some with ``%.17g`` while 7.2 prints the shortest round-trip form
  (RESP3 ``,`` replies only; bulk floats such as INCRBYFLOAT's are the same in both);
* 7.2's richer error text for SET ... GET on a non-string is identical to 7.0's WRONGTYPE, so
  nothing to forgive there.
* ACL NOPERM errors: 7.2 says "User <name> has no permissions to run the '<cmd>' command",
  "No permissions to access a key" / "... a channel" where 7.0 says "this user has ..." and
  "... one of the keys/channels used as arguments" (both mapped to the 7.2 wording, the user
  name dropped).

Replies that legitimately differ (INFO, random keys, timings) are not compared byte for byte:
wrap the command in ``Approx(cmd, tol)`` (integer reply, compared within ``tol``),
``Shape(cmd)`` (same RESP type and length only) or ``AsSet(cmd)`` (arrays compared as sets of
their element encodings, e.g. KEYS; SCAN's key array is compared as a set and its cursor must
be 0 on both sides when the whole keyspace fits in one COUNT).
"""

import re

import pytest

from helpers import RawConn


# ---- normalisation: the explicit list of forgiven 7.0-vs-7.2 differences -----------------
_HELLO_VERSION = re.compile(rb"(\$7\r\nversion\r\n)\$\d+\r\n[0-9.]+\r\n")
_DOUBLE = re.compile(rb"^,([^\r]*)\r\n", re.M)


def _canon_double(txt: bytes) -> bytes:
    try:
        return repr(float(txt)).encode()
    except ValueError:
        return txt


_HELLO_ID = re.compile(rb"(\$5\r\nproto\r\n:[23]\r\n\$2\r\nid\r\n):\d+\r\n")


_HELLO_NOAUTH_70 = b"otherwise the HELLO AUTH <user> <pass> option"
_HELLO_NOAUTH_72 = b"otherwise the HELLO <proto> AUTH <user> <pass> option"


_NOPERM_CMD = re.compile(rb"-NOPERM (?:this user|User [^ \r\n]+) has no permissions to run the '")
_NOPERM_70 = ((b"-NOPERM this user has no permissions to access one of the keys used as arguments",
               b"-NOPERM No permissions to access a key"),
              (b"-NOPERM this user has no permissions to access one of the channels used as arguments",
               b"-NOPERM No permissions to access a channel"))


def normalise(reply: bytes) -> bytes:
    reply = reply.replace(_HELLO_NOAUTH_70, _HELLO_NOAUTH_72)   # 7.2 added "<proto>"
    if b"NOPERM" in reply:
        reply = _NOPERM_CMD.sub(b"-NOPERM User has no permissions to run the '", reply)
        for old, new in _NOPERM_70:
            reply = reply.replace(old, new)
    reply = _HELLO_VERSION.sub(rb"\1$1\r\nX\r\n", reply)
    reply = _HELLO_ID.sub(rb"\1:0\r\n", reply)     # client ids differ by nature
    reply = _DOUBLE.sub(lambda m: b"," + _canon_double(m.group(1)) + b"\r\n", reply)
    return reply


# ---- comparison wrappers ---------------------------------------------------------------
class Approx:
    """An integer reply (``:n`` or the single integer of ``*1``), equal within ``tol``."""

    def __init__(self, *cmd, tol=2):
        self.cmd, self.tol = cmd, tol


class Shape:
    """Only the RESP type byte and the header line's count must match."""

    def __init__(self, *cmd):
        self.cmd = cmd


class AsSet:
    """Arrays compared as multisets of element encodings (KEYS, SCAN pages...)."""

    def __init__(self, *cmd):
        self.cmd = cmd


def split_elements(reply: bytes):
    """Top-level elements of an array/set/push reply as raw bytes (header dropped)."""
    conn = _BufConn(reply)
    head_end = reply.index(b"\r\n") + 2
    n = int(reply[1:head_end - 2])
    pos = head_end
    out = []
    for _ in range(max(n, 0)):
        end = conn.skip(pos)
        out.append(reply[pos:end])
        pos = end
    return out


class _BufConn(RawConn):
    def __init__(self, data):
        self.buf = data

    def _fill(self):
        raise ValueError("truncated reply")

    def skip(self, pos):
        return self._skip(pos)


def _int_of(reply: bytes) -> int:
    if reply.startswith(b":"):
        return int(reply[1:-2])
    raise AssertionError("not an integer reply: %r" % reply)


# Commands and key names that need the list type: skipped while ember has no lists.
LIST_COMMANDS = {"RPUSH", "LPUSH", "LRANGE", "LLEN"}
LIST_KEYS = {"{k}l", "{k}l2", "{k}list"}
_HAS = {}


class Differ:
    def __init__(self, e, r, proto, db, prefix):
        self.e, self.r, self.proto, self.db, self.prefix = e, r, proto, db, prefix

    def _sub(self, cmd):
        return [a.replace("{k}", self.prefix) if isinstance(a, str) else a for a in cmd]

    def both(self, *cmd):
        cmd = self._sub(cmd)
        return self.e.call(*cmd), self.r.call(*cmd)

    def check(self, *cmd):
        got, want = self.both(*cmd)
        assert normalise(got) == normalise(want), (self.proto, cmd, got, want)
        return got

    def has(self, name) -> bool:
        """Whether ember implements ``name`` (lists may not exist yet in this tree): asked
        on a separate connection, in a scratch database."""
        cache = _HAS
        if name not in cache:
            port = self.e.sock.getpeername()[1]
            probe = RawConn(port)
            try:
                probe.call("SELECT", "15")
                reply = probe.call(name, "__ember_probe__", "x")
                probe.call("DEL", "__ember_probe__")
            finally:
                probe.close()
            cache[name] = b"not implemented in ember" not in reply
        return cache[name]

    def _needs_missing(self, cmd) -> bool:
        name = cmd[0].upper()
        if name in LIST_COMMANDS or any(isinstance(a, str) and a in LIST_KEYS for a in cmd[1:]):
            return not self.has("rpush")
        return False

    def run(self, cmds):
        for cmd in cmds:
            if self._needs_missing(getattr(cmd, "cmd", cmd)):
                continue
            if isinstance(cmd, Approx):
                got, want = self.both(*cmd.cmd)
                if got.startswith(b":") and want.startswith(b":"):
                    assert abs(_int_of(got) - _int_of(want)) <= cmd.tol, (self.proto, cmd.cmd, got, want)
                else:
                    assert got == want, (self.proto, cmd.cmd, got, want)
            elif isinstance(cmd, Shape):
                got, want = self.both(*cmd.cmd)
                assert got[:1] == want[:1], (self.proto, cmd.cmd, got, want)
                if got[:1] in b"*~%>":
                    assert got.split(b"\r\n", 1)[0] == want.split(b"\r\n", 1)[0], (self.proto, cmd.cmd, got, want)
            elif isinstance(cmd, AsSet):
                got, want = self.both(*cmd.cmd)
                if got[:1] in b"*~" and want[:1] in b"*~":
                    if cmd.cmd[0].upper() in ("SCAN",) and got.startswith(b"*2\r\n"):
                        ge, we = split_elements(got), split_elements(want)
                        assert ge[0] == we[0] == b"$1\r\n0\r\n", (self.proto, cmd.cmd, got, want)
                        got, want = ge[1], we[1]
                    assert got[:1] == want[:1], (self.proto, cmd.cmd, got, want)
                    assert sorted(split_elements(got)) == sorted(split_elements(want)), \
                        (self.proto, cmd.cmd, got, want)
                else:
                    assert normalise(got) == normalise(want), (self.proto, cmd.cmd, got, want)
            else:
                self.check(*cmd)

    def reset(self):
        for conn in (self.e, self.r):
            conn.call("SELECT", str(self.db))
            conn.call("FLUSHDB")


_DIFF_DB = 11


@pytest.fixture(scope="module")
def diff_conns(redis_oracle, ember_shared):
    pairs = {}
    for proto in (2, 3):
        e, r = RawConn(ember_shared.port), RawConn(redis_oracle.port)
        if proto == 3:
            e.call("HELLO", "3")
            r.call("HELLO", "3")
        pairs[proto] = (e, r)
    yield pairs
    for e, r in pairs.values():
        for conn in (e, r):
            try:
                conn.call("SELECT", str(_DIFF_DB))
                conn.call("FLUSHDB")
            except (OSError, ConnectionError):
                pass
            conn.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def differ(request, diff_conns):
    proto = request.param
    e, r = diff_conns[proto]
    d = Differ(e, r, proto, _DIFF_DB, "d%d:" % proto)
    d.reset()
    yield d
    # a failed case may leave a connection in MULTI or in another db: start clean next time
    for conn in (e, r):
        try:
            conn.call("DISCARD")
        except (OSError, ConnectionError):
            pass
    d.reset()
