"""Request parser: unit rules (exact Redis error texts), split-point invariance, Py/Fast
equivalence (Hypothesis) and a live differential against redis-server."""

import socket
import time

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from ember.protocol.parser import (
    FastRequestParser, ProtocolError, PyRequestParser, parse_fast, parse_simple, parse_uniform,
    split_args,
)
from helpers import ServerProcess, have_redis

PARSERS = [PyRequestParser, FastRequestParser]


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def run(cls, chunks, auth=True, **kw):
    """Feed chunks, draining after each; returns (commands, error message or None)."""
    p = cls(**kw)
    p.authenticated = auth
    cmds = []
    if isinstance(chunks, bytes):
        chunks = [chunks]
    try:
        for ch in chunks:
            p.feed(ch)
            while True:
                got = p.get_commands()
                if not got:
                    break
                cmds.extend(got)
    except ProtocolError as e:
        return cmds, e.args[0]
    return cmds, None


def split_at(data, offsets):
    offsets = sorted(set(o for o in offsets if 0 < o < len(data)))
    bounds = [0] + offsets + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


PING = enc("PING")
BIG = 65536

# (input, expected commands, expected error)
CASES = [
    # multibulk basics
    (PING * 3, [[b"PING"]] * 3, None),
    (enc("SET", "k", "v") + enc("GET", "k"), [[b"SET", b"k", b"v"], [b"GET", b"k"]], None),
    (b"*1\r\n$0\r\n\r\n", [[b""]], None),
    (b"*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n", [[b"ECHO", b"a\x00b"]], None),
    (b"*0\r\n" + PING, [[b"PING"]], None),
    (b"*-1\r\n*-5\r\n" + PING, [[b"PING"]], None),
    (b"*-9223372036854775808\r\n" + PING, [[b"PING"]], None),
    # header / terminator bytes are skipped blindly
    (b"*1\r\n$4\r\nPINGXY" + PING, [[b"PING"], [b"PING"]], None),
    (b"*1\rX$4\rYPINGAB" + PING, [[b"PING"], [b"PING"]], None),
    # waiting
    (b"*1\r", [], None),
    (b"*1\r\n$4\r\nPING\r", [], None),
    (b"*2147483647\r\n$1\r\na\r\n", [], None),
    (b"*1\r\n$536870912\r\n", [], None),
    # NUL hides the line end (strchr): wait, then too big
    (b"*1\x00\r\n$4\r\nPING\r\n" + PING, [], None),
    (b"PING\x00\r\n" + PING, [], None),
    (b"*1\x00" + b"x" * 70000, [], "Protocol error: too big mbulk count string"),
    (b"*1\r\n$4\x00" + b"x" * 70000, [], "Protocol error: too big bulk count string"),
    (b"PING\x00" + b"x" * 70000, [], "Protocol error: too big inline request"),
    # multibulk length
    (b"*abc\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*+1\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*01\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*-0\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*1 \r\n", [], "Protocol error: invalid multibulk length"),
    (b"*2147483648\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*-9223372036854775809\r\n", [], "Protocol error: invalid multibulk length"),
    (b"*99999999999999999999\r\n", [], "Protocol error: invalid multibulk length"),
    (PING + b"*x\r\n" + PING, [[b"PING"]], "Protocol error: invalid multibulk length"),
    # expected '$'
    (b"*1\r\nX\r\n", [], "Protocol error: expected '$', got 'X'"),
    (b"*1\r\n\r\n", [], "Protocol error: expected '$', got '\r'"),
    (b"*1\r\n+PING\r\n", [], "Protocol error: expected '$', got '+'"),
    (b"*1\r\n:1\r\n", [], "Protocol error: expected '$', got ':'"),
    (b"*1\r\n*1\r\n$1\r\na\r\n", [], "Protocol error: expected '$', got '*'"),
    (b"*2147483647\r\n" + PING, [], "Protocol error: expected '$', got '*'"),
    (b"*1\r\nX", [], None),
    # bulk length
    (b"*1\r\n$-1\r\n", [], "Protocol error: invalid bulk length"),
    (b"*1\r\n$-100\r\n", [], "Protocol error: invalid bulk length"),
    (b"*1\r\n$abc\r\n", [], "Protocol error: invalid bulk length"),
    (b"*1\r\n$03\r\nfoo\r\n", [], "Protocol error: invalid bulk length"),
    (b"*1\r\n$\r\n", [], "Protocol error: invalid bulk length"),
    (b"*1\r\n$536870913\r\n", [], "Protocol error: invalid bulk length"),
    # too big header lines (> 64 KiB before the \r)
    (b"*" + b"1" * 65535, [], None),
    (b"*" + b"1" * 65536, [], "Protocol error: too big mbulk count string"),
    (b"*" + b"1" * 70000 + b"\r\n", [], "Protocol error: too big mbulk count string"),
    (b"*1\r\n$" + b"1" * 70000, [], "Protocol error: too big bulk count string"),
    # inline
    (b"PING\r\n\r\n   \r\n\nPING\n", [[b"PING"], [b"PING"]], None),
    (b"SET a b\r\n", [[b"SET", b"a", b"b"]], None),
    (b"  SET\t a  \t b \r\n", [[b"SET", b"a", b"b"]], None),
    (b"GET a\rb\n", [[b"GET", b"a", b"b"]], None),
    (b"a\vb \va\n", [[b"a\vb", b"a"]], None),
    (b'ECHO "a\\x41\\n\\r\\t\\b\\a\\z\\"q"\r\n', [[b"ECHO", b"aA\n\r\t\b\az\"q"]], None),
    (b'ECHO "\\x4"\r\n', [[b"ECHO", b"x4"]], None),
    (b"ECHO 'it\\'s' 'a\\nb'\r\n", [[b"ECHO", b"it's", b"a\\nb"]], None),
    (b'ECHO foo"bar baz"qux\r\n', None, "Protocol error: unbalanced quotes in request"),
    (b'ECHO foo"bar baz" qux\r\n', [[b"ECHO", b"foobar baz", b"qux"]], None),
    (b'ECHO ""\r\n', [[b"ECHO", b""]], None),
    (b'ECHO "a"\x0bb\r\n', [[b"ECHO", b"a", b"b"]], None),
    (b'PING "a"b\r\n', [], "Protocol error: unbalanced quotes in request"),
    (b"PING 'a\r\n", [], "Protocol error: unbalanced quotes in request"),
    (b'PING "a\\"\r\n', [], "Protocol error: unbalanced quotes in request"),
    (b"PING\r\nPING 'x'y\r\n", [[b"PING"]], "Protocol error: unbalanced quotes in request"),
    (b"$4\r\n", [[b"$4"]], None),
    (b"A" * 65536 + b"\n", [[b"A" * 65536]], None),
    (b"A" * 65537, [], "Protocol error: too big inline request"),
    (b"A" * 70000 + b"\n", [], "Protocol error: too big inline request"),
    # mixing
    (PING + b"PING\r\n" + PING + b"ECHO x\n" + PING,
     [[b"PING"], [b"PING"], [b"PING"], [b"ECHO", b"x"], [b"PING"]], None),
]


@pytest.mark.parametrize("cls", PARSERS)
@pytest.mark.parametrize("data,cmds,err", CASES, ids=[str(i) for i in range(len(CASES))])
def test_cases(cls, data, cmds, err):
    got, got_err = run(cls, data)
    assert got_err == err
    if cmds is not None:
        assert got == cmds


@pytest.mark.parametrize("cls", PARSERS)
def test_unauthenticated_limits(cls):
    assert run(cls, b"*10\r\n" + b"$1\r\na\r\n" * 10, auth=False) == ([[b"a"] * 10], None)
    assert run(cls, b"*11\r\n", auth=False) == ([], "Protocol error: unauthenticated multibulk length")
    assert run(cls, b"*-20\r\n" + PING, auth=False) == ([[b"PING"]], None)
    assert run(cls, enc("ECHO", "a" * 16384), auth=False)[1] is None
    assert run(cls, b"*2\r\n$4\r\nECHO\r\n$16385\r\n", auth=False) == (
        [], "Protocol error: unauthenticated bulk length")
    # a bad count is still "invalid" first
    assert run(cls, b"*2147483648\r\n", auth=False)[1] == "Protocol error: invalid multibulk length"


@pytest.mark.parametrize("cls", PARSERS)
def test_unauthenticated_one_at_a_time(cls):
    """A pipelined AUTH lifts the limits for the commands behind it (Redis parses one at a
    time)."""
    p = cls()
    p.authenticated = False
    p.feed(enc("AUTH", "pw") + enc("ECHO", "a" * 20000) + enc(*["x"] * 11))
    assert p.get_commands() == [[b"AUTH", b"pw"]]
    p.authenticated = True
    assert p.get_commands() == [[b"ECHO", b"a" * 20000], [b"x"] * 11]
    assert p.get_commands() == []


@pytest.mark.parametrize("cls", PARSERS)
def test_error_after_commands_raises_next_call(cls):
    p = cls()
    p.feed(PING + PING + b"*1\r\n+x\r\n" + PING)
    assert p.get_commands() == [[b"PING"], [b"PING"]]
    for _ in range(2):
        with pytest.raises(ProtocolError) as ei:
            p.get_commands()
        assert ei.value.args[0] == "Protocol error: expected '$', got '+'"


@pytest.mark.parametrize("cls", PARSERS)
def test_max_bulk_len(cls):
    assert run(cls, enc("SET", "k", "v" * 100), max_bulk_len=100)[1] is None
    assert run(cls, enc("SET", "k", "v" * 101), max_bulk_len=100)[1] == "Protocol error: invalid bulk length"


@pytest.mark.parametrize("cls", PARSERS)
def test_huge_declared_sizes_do_not_allocate(cls):
    p = cls()
    p.feed(b"*2000000000\r\n")
    assert p.get_commands() == []
    for _ in range(100):
        p.feed(b"$3\r\nabc\r\n")
        assert p.get_commands() == []
    assert 300 <= p.buffered() < 10_000

    p = cls()
    p.feed(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\n")
    chunk = b"x" * 65536
    t = time.perf_counter()
    for _ in range(200):
        p.feed(chunk)
        assert p.get_commands() == []
    assert time.perf_counter() - t < 2.0          # no re-joining per feed
    assert 200 * 65536 <= p.buffered() < 200 * 65536 + 100


@pytest.mark.parametrize("cls", PARSERS)
def test_big_bulk_completes(cls):
    value = bytes(range(256)) * 4096
    data = enc("SET", "k", value) + PING
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    assert run(cls, chunks) == ([[b"SET", b"k", value], [b"PING"]], None)


@pytest.mark.parametrize("cls", PARSERS)
def test_buffered(cls):
    p = cls()
    assert p.buffered() == 0
    p.feed(b"*2\r\n$3\r\nGET\r\n$5\r\nab")
    p.get_commands()
    assert p.buffered() > 0
    p.feed(b"cde\r\n")
    assert p.get_commands() == [[b"GET", b"abcde"]]
    assert p.buffered() == 0


@pytest.mark.parametrize("cls", PARSERS)
def test_fast_path_tricky_payloads(cls):
    """Values holding RESP type bytes (tier-2 verification in the Fast parser)."""
    vals = [b"a=b+c(d)>e~f|g%h", b"\r\n+OK\r\n", b"=5\r\ntxt:a\r\n", b"*1\r\n$1\r\na\r\n", b"$" * 50]
    data = b"".join(enc("SET", "k%d" % i, v) for i, v in enumerate(vals))
    assert run(cls, data) == ([[b"SET", b"k%d" % i, v] for i, v in enumerate(vals)], None)


RESP3_IN_REQUESTS = [
    (b"*2\r\n$4\r\nECHO\r\n=5\r\ntxt:a\r\n", "Protocol error: expected '$', got '='"),
    (b"*3\r\n$4\r\nECHO\r\n=9\r\ntxt:aaaaa\r\n+aaaaaaaaaaaaa\r\n", "Protocol error: expected '$', got '='"),
    (b"*2\r\n$4\r\nECHO\r\n(12\r\n", "Protocol error: expected '$', got '('"),
    (b"*2\r\n$4\r\nECHO\r\n_\r\n", "Protocol error: expected '$', got '_'"),
    (b"*2\r\n$4\r\nECHO\r\n~1\r\n$1\r\na\r\n", "Protocol error: expected '$', got '~'"),
    (b"*2\r\n$4\r\nECHO\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n", "Protocol error: expected '$', got '%'"),
]


@pytest.mark.parametrize("cls", PARSERS)
@pytest.mark.parametrize("data,err", RESP3_IN_REQUESTS, ids=[str(i) for i in range(len(RESP3_IN_REQUESTS))])
def test_resp3_types_refused(cls, data, err):
    assert run(cls, PING + data + PING) == ([[b"PING"]], err)


@pytest.mark.parametrize("cls", PARSERS)
@pytest.mark.parametrize("data", [b">1\r\n$4\r\nPING\r\n", b"~1\r\n$4\r\nPING\r\n",
                                  b"|1\r\n$1\r\na\r\n$1\r\nb\r\n" + PING, b"%1\r\n$1\r\na\r\n$1\r\nb\r\n"])
def test_resp3_top_level_is_inline(cls, data):
    # Only '*' starts a multibulk request: these are inline lines.
    assert run(cls, PING + data) == run(PyRequestParser, [PING, data])
    assert run(cls, PING + data)[0][1] == [data.split(b"\r\n")[0]]


SAMPLE_STREAMS = [
    enc("SET", "key:000123", "x" * 100) + enc("GET", "key:000123") + b"PING\r\n" + enc("MSET", "a", "", "b", "c=d+"),
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nvvvXY*0\r\n*-1\r\nECHO 'a b' \"c\\x41\"\n" + PING,
    PING + b"*1\r\n$4\r\nPING\r\n*2\r\n$1\r\na\r\n+b\r\n",
    b"*1\rX$4\rYPINGAB" + PING + b"SET a \"b\r\n",
    enc("ECHO", "=5\r\ntxt:a\r\n") + enc("ECHO", "") + b"\r\n\n" + enc("ECHO", "(1") + b"*1\r\n$-1\r\n",
]


@pytest.mark.parametrize("cls", PARSERS)
@pytest.mark.parametrize("stream", SAMPLE_STREAMS, ids=[str(i) for i in range(len(SAMPLE_STREAMS))])
def test_every_split_point(cls, stream):
    whole = run(PyRequestParser, stream)
    for i in range(1, len(stream)):
        assert run(cls, split_at(stream, [i])) == whole, i
    for i in range(1, len(stream), 7):
        for j in range(i + 1, len(stream), 5):
            assert run(cls, split_at(stream, [i, j])) == whole, (i, j)
    assert run(cls, [stream[i:i + 1] for i in range(len(stream))]) == whole


# ---- Hypothesis ----------------------------------------------------------------------------

_ATOMS = [b"*", b"$", b"\r\n", b"\r", b"\n", b"1", b"2", b"3", b"0", b"-", b"-1", b"10", b"11",
          b" ", b"a", b"'", b'"', b"\\", b"\\x41", b"+", b":", b"=", b"\x00", b"\t", b"\v",
          b"PING", b"SET", b"*1\r\n", b"*2\r\n", b"*3\r\n", b"$1\r\n", b"$3\r\n", b"$0\r\n",
          b"*0\r\n", b"*-1\r\n", b"$-1\r\n", b"$16385\r\n", b"=5\r\ntxt:a", b"(12",
          PING, enc("SET", "k", "v"), enc("GET", "key")]

streams = st.lists(st.sampled_from(_ATOMS), max_size=30).map(b"".join)


@st.composite
def mutated(draw):
    cmds = draw(st.lists(st.lists(st.binary(max_size=12), min_size=1, max_size=4), min_size=1, max_size=5))
    data = bytearray(b"".join(enc(*c) for c in cmds))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.integers(0, 2))
        i = draw(st.integers(0, len(data)))
        b = draw(st.sampled_from(b"*$+:=(~>%|\r\n\x000123-aX \"'"))
        if op == 0 and i < len(data):
            data[i] = b
        elif op == 1:
            data.insert(i, b)
        elif i < len(data):
            del data[i]
    return bytes(data)


def _splits(draw_data, data):
    offs = draw_data.draw(st.lists(st.integers(0, max(len(data), 1)), max_size=6))
    return split_at(data, offs)


@settings(max_examples=int(__import__("os").environ.get("EMBER_HYP_EXAMPLES", 400)), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(streams, mutated()), st.data(), st.booleans())
def test_py_fast_equivalent(data, draw_data, auth):
    one = run(PyRequestParser, data, auth=auth)
    assert run(FastRequestParser, data, auth=auth) == one
    chunks = _splits(draw_data, data)
    if one[1] is None or "too big" not in one[1]:
        assert run(PyRequestParser, chunks, auth=auth) == one
    assert run(FastRequestParser, chunks, auth=auth) == run(PyRequestParser, chunks, auth=auth)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=6), max_size=12), st.data())
def test_valid_commands_roundtrip(cmds, draw_data):
    data = b"".join(enc(*c) for c in cmds)
    chunks = _splits(draw_data, data)
    for cls in PARSERS:
        assert run(cls, chunks) == (cmds, None)


_LINE_CHARS = b" \t\v\f\"'\\xnrtab01Af"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(_LINE_CHARS)), max_size=20).map(bytes))
def test_inline_both(line):
    data = line + b"\r\n"
    assert run(FastRequestParser, data) == run(PyRequestParser, data)


# ---- live differential against redis-server ------------------------------------------------

# Lines of more than 64 KiB that do end in the buffer are left out: which "too big"/"invalid"
# error Redis gives them depends on its 16 KiB read boundaries (see the parser's docstring).
MALFORMED = [d for d, _, e in CASES if e is not None and not (len(d) > BIG and b"\n" in d)] + [d for d, _ in RESP3_IN_REQUESTS] + [
    b"*1\r\n$4\r\nPINGXY*x\r\n",
    enc("SET", "k", "vvv") + b"*1\r\n$x\r\n",
]


def _exchange(port, data, wait=0.5):
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.settimeout(wait)
        s.sendall(data)
        out = b""
        closed = False
        try:
            while True:
                x = s.recv(65536)
                if not x:
                    closed = True
                    break
                out += x
        except socket.timeout:
            pass
        except ConnectionResetError:    # closed with our input unread
            closed = True
        return out, closed
    finally:
        s.close()


@pytest.fixture(scope="module")
def oracle_pw():
    if not have_redis():
        pytest.skip("redis-server not installed")
    with ServerProcess("redis", args=["--requirepass", "pw"]) as s:
        yield s


@pytest.mark.parametrize("data", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_live_error_texts(redis_oracle, data):
    cmds, err = run(FastRequestParser, data)
    assert err is not None
    out, closed = _exchange(redis_oracle.port, data)
    expect = ("-ERR " + err.replace("\r", " ").replace("\n", " ")).encode("latin-1") + b"\r\n"
    assert out.endswith(expect), (out[-200:], expect)
    assert closed


@pytest.mark.parametrize("data", [b"*11\r\n", b"*2\r\n$4\r\nECHO\r\n$16385\r\n", b"*-20\r\n" + PING,
                                  b"*10\r\n" + b"$1\r\na\r\n" * 10], ids=["11", "16385", "neg", "10"])
def test_live_unauthenticated(oracle_pw, data):
    cmds, err = run(FastRequestParser, data, auth=False)
    out, closed = _exchange(oracle_pw.port, data)
    if err is None:
        assert not closed and out.count(b"\r\n") == len(cmds) and out.startswith(b"-")
    else:
        assert closed and out == ("-ERR " + err + "\r\n").encode()


@pytest.fixture(scope="module")
def ember_pw():
    with ServerProcess("ember", args=["--requirepass", "pw"]) as s:
        yield s


@pytest.mark.parametrize("data", [enc("MSET", *["k"] * 10), enc("MSET", *["k"] * 9),
                                  enc("SET", "k", "x" * 16385), enc("SET", "k", "x" * 16384),
                                  enc("MSET", *["k"] * 9) * 2, enc("GET", "k") * 3],
                         ids=["11", "10", "16385", "16384", "10x2", "getx3"])
def test_live_unauthenticated_complete_commands(oracle_pw, ember_pw, data):
    """Whole commands from a client that has not authenticated take the server's fast paths
    only within Redis' unauthenticated limits: same replies, same close, as redis-server."""
    assert _exchange(ember_pw.port, data) == _exchange(oracle_pw.port, data)


@pytest.mark.parametrize("data", [b"*1\r", b"*1\r\n$4\r\nPING\r", b"*1\x00\r\n$4\r\nPING\r\n" + PING,
                                  b"PING\x00\r\n" + PING, b"*" + b"1" * 65535, b"*2147483647\r\n$1\r\na\r\n"],
                         ids=["cr", "bulkcr", "nul", "nulinline", "64k", "intmax"])
def test_live_waits(redis_oracle, data):
    assert run(FastRequestParser, data) == ([], None)
    assert _exchange(redis_oracle.port, data, wait=0.3) == (b"", False)


def test_live_blind_skips(redis_oracle):
    data = b"*2\r\n$4\rXECHO\r\n$3\r\nfooAB*2\r\n$4\r\nECHO\r\n$1\r\nz\r\n"
    assert run(FastRequestParser, data) == ([[b"ECHO", b"foo"], [b"ECHO", b"z"]], None)
    assert _exchange(redis_oracle.port, data, wait=0.3) == (b"$3\r\nfoo\r\n$1\r\nz\r\n", False)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(list(_LINE_CHARS) + [ord("\r")]), max_size=16).map(bytes))
def test_live_inline_split(redis_oracle, line):
    """sdssplitargs against the oracle: RPUSH the parsed arguments, read them back."""
    import hiredis
    data = b"DEL L\r\nRPUSH L x " + line + b"\r\n" + enc("LRANGE", "L", "0", "-1")
    cmds, err = run(PyRequestParser, data)
    if err is not None:
        out, closed = _exchange(redis_oracle.port, data)
    else:
        out, closed = _read_replies(redis_oracle.port, data, 3)
    if err is not None:
        assert closed and out.endswith(("-ERR " + err + "\r\n").encode())
        return
    r = hiredis.Reader()
    r.feed(out)
    replies = [r.gets() for _ in range(3)]
    assert replies[2] == cmds[1][2:]


def _read_replies(port, data, n):
    import hiredis
    s = socket.create_connection(("127.0.0.1", port))
    try:
        s.settimeout(5)
        s.sendall(data)
        r = hiredis.Reader()
        out = b""
        got = 0
        while got < n:
            x = s.recv(65536)
            if not x:
                break
            out += x
            r.feed(x)
            while r.gets() is not False:
                got += 1
        return out, False
    finally:
        s.close()


def _py_complete(data):
    """What the full parser makes of data: its commands when data is exactly complete
    commands with no error, else None."""
    p = PyRequestParser()
    p.feed(data)
    try:
        cmds = p.get_commands()
        p.get_commands()
    except ProtocolError:
        return None
    return cmds if p.buffered() == 0 else None


@settings(max_examples=int(__import__("os").environ.get("EMBER_HYP_EXAMPLES", 400)), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(), streams,
                 st.lists(st.binary(max_size=20), min_size=1, max_size=8).map(lambda a: enc(*a))))
def test_parse_simple_agrees_with_full_parser(data):
    """parse_simple (the -P 1 fast path) either declines or returns exactly what the full
    parser returns for the same bytes, and only for a single command."""
    got = parse_simple(data)
    if got is not None:
        assert len(got) == 1
        assert got == _py_complete(data)


@pytest.mark.parametrize("args", [[b"PING"], [b"GET", b"k"], [b"SET", b"k", b"v"],
                                  [b"MSET", b"a", b"1", b"b", b"2"], [b"SET", b"k", b"a\r\nb"],
                                  [b"SET", b"k", b"x" * 9999], [b"SET", b"k", b"x" * 10000]])
def test_parse_simple_cases(args):
    data = enc(*args)
    got = parse_simple(data)
    if b"\r\n" in b"".join(args) or max(map(len, args)) >= 10000:
        assert got is None          # declined: the general parser handles it
    else:
        assert got == [args]
    assert parse_simple(data[:-1]) is None
    assert parse_simple(data + data) is None


@st.composite
def uniform_pipelines(draw):
    k = draw(st.integers(1, 4))
    cmds = draw(st.lists(st.lists(st.binary(max_size=12), min_size=k, max_size=k), min_size=1, max_size=8))
    return b"".join(enc(*c) for c in cmds)


@st.composite
def mutated_uniform(draw):
    data = bytearray(draw(uniform_pipelines()))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.sampled_from(b"*$+:\r\n\x0001-aX"))
    return bytes(data)


@settings(max_examples=int(__import__("os").environ.get("EMBER_HYP_EXAMPLES", 400)), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(uniform_pipelines(), mutated_uniform(), streams, mutated()))
def test_parse_uniform_agrees_with_full_parser(data):
    """parse_uniform (same-arity pipelines) either declines or returns exactly the full
    parser's commands for the same bytes."""
    cols = parse_uniform(data)
    if cols is not None:
        assert list(map(list, zip(*cols))) == _py_complete(data)


def test_parse_uniform_declines_mixed_and_partial():
    a, b = enc("GET", "k"), enc("SET", "k", "v")
    assert parse_uniform(a * 3) == [[b"GET"] * 3, [b"k"] * 3]
    assert parse_uniform(a + b) is None
    assert parse_uniform(a * 3 + a[:-2]) is None
    assert parse_uniform(enc("SET", "k", "x" * 10000)) is None


@st.composite
def long_commands(draw):
    """One command of 4 to 24 arguments (parse_fast's hiredis route), sometimes mutated with
    bytes that change its meaning: other RESP type bytes, line-end damage, a second command,
    a nested aggregate, bytes where the blind CRLF after a bulk goes."""
    args = draw(st.lists(st.binary(max_size=12), min_size=4, max_size=24))
    data = bytearray(enc(*args))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.sampled_from(b"*$+=(:,#_-!~%>|\r\n\x000123456789aX"))
    if draw(st.booleans()):
        data += draw(st.sampled_from([b"", b"PING\r\n", b"*1\r\n$4\r\nPING\r\n", b"\r\n", b"*", b"$1"]))
    return bytes(data)


@st.composite
def long_pipelines(draw):
    """Pipelines whose first command has 4+ arguments (parse_fast's hiredis pipeline route):
    mostly of one arity, sometimes mixed, with "*" inside arguments, mutated like
    long_commands, sometimes with an empty, null, nested or huge-count command in between."""
    k = draw(st.integers(4, 12))
    arities = st.just(k) if draw(st.booleans()) else st.integers(1, 12)
    cmds = draw(st.lists(arities.flatmap(lambda n: st.lists(
        st.one_of(st.binary(max_size=10), st.sampled_from([b"*", b"*12", b"*1234567", b"a*b"])),
        min_size=n, max_size=n)), min_size=1, max_size=6))
    cmds[0] = (cmds[0] + [b"x"] * k)[:max(k, len(cmds[0]))]
    parts = [enc(*c) for c in cmds]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(1, len(parts))), draw(st.sampled_from(
            [b"*0\r\n", b"*-1\r\n", b"*1\r\n*1\r\n$1\r\na\r\n", b"*2000000\r\n", b"*123456\r\n",
             b"*1\r\n+PING\r\n", b"*1\r\n$-1\r\n", b"PING\r\n"])))
    data = bytearray(b"".join(parts))
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.sampled_from(b"*$+=(:,#_-!~%>|\r\n\x000123456789aX"))
    return bytes(data)


@st.composite
def fixed_pipelines(draw):
    """Pipelines of one layout (same arity, same argument lengths: parse_fast's struct
    route), arguments holding any bytes (CRLF, "*", "$" included), sometimes mutated at a
    header byte or anywhere, truncated, or with a command of another layout appended."""
    lens = draw(st.lists(st.integers(0, 14), min_size=1, max_size=8))
    m = draw(st.integers(1, 8))
    alphabet = st.sampled_from(b"ab*$\r\n:0-")
    cmds = [[bytes(draw(st.lists(alphabet, min_size=n, max_size=n))) for n in lens] for _ in range(m)]
    data = bytearray(b"".join(enc(*c) for c in cmds))
    choice = draw(st.integers(0, 4))
    if choice == 1:
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.sampled_from(b"*$+:\r\n0123456789aX"))
    elif choice == 2:
        data = data[:draw(st.integers(1, len(data)))]
    elif choice == 3:
        data += enc(*[b"x" * (n + 1) for n in lens])
    return bytes(data)


@settings(max_examples=int(__import__("os").environ.get("EMBER_HYP_EXAMPLES", 400)), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(long_commands(), long_pipelines(), uniform_pipelines(), mutated_uniform(), streams,
                 mutated(), fixed_pipelines()))
def test_parse_fast_agrees_with_full_parser(data):
    """parse_fast (what the server tries first on every read) either declines or returns
    exactly the full parser's commands: one argv (list) for one command, argument columns
    (tuple) for a uniform pipeline."""
    got = parse_fast(data)
    if got is None:
        return
    want = _py_complete(data)
    if type(got) is list:
        assert want == [got]
    else:
        assert type(got) is tuple and list(map(list, zip(*got))) == want


@pytest.mark.parametrize("data", [
    enc("MSET", "a", "1", "b", "2") + b"PING\r\n",          # leftover inline command
    enc("MSET", "a", "1", "b", "2")[:-1],                     # partial
    b"*4\r\n$4\r\nMSET\r\n+a\r\n$1\r\n1\r\n$1\r\nb\r\n",     # simple string element
    b"*4\r\n$4\r\nMSET\r\n:1\r\n$1\r\n1\r\n$1\r\nb\r\n",      # integer element
    b"*4\r\n$4\r\nMSET\r\n~3000000000\r\n",                   # huge nested aggregate
    b"*4\r\n$4\r\nMSET\r\n$01\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n",  # leading zero
    # pipelines (the hiredis pipeline route)
    enc("MSET", "a", "1", "b", "2") + b"*1\r\n+PING\r\n",       # simple string element
    enc("MSET", "a", "1", "b", "2") + b"*0\r\n" + enc("MSET", "a", "1", "b", "2"),  # empty
    enc("MSET", "a", "1", "b", "2") + b"*-1\r\n" + enc("MSET", "a", "1", "b", "2"),
    enc("MSET", "a", "1", "b", "2") + b"*2000000\r\n$1\r\na\r\n",  # huge count
    enc("MSET", "a", "1", "b", "2") + b"*2\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n",  # nested
    enc("MSET", "a", "1", "b", "2") * 2 + b"*2\r\n$3\r\nGET\r\n",      # partial
])
def test_parse_fast_declines_what_redis_reads_otherwise(data):
    assert parse_fast(data) is None
    # and the shared hiredis reader is left empty for the next call
    args = [b"MSET", b"k1", b"v1", b"k2", b"v2"]
    assert parse_fast(enc(*args)) == args


def test_parse_fast_fixed_layout_route():
    """A pipeline of one layout takes the struct route (_parse_fixed) and gives the same
    columns as the full parser; any header byte changed, a partial last command or a
    command of other lengths sends it elsewhere."""
    from ember.protocol import parser as P
    crlf = b"".join(enc(b"SET", b"key:%012d" % i, b"v\r\n*%d" % (i % 10)) for i in range(16))
    assert P._parse_fixed(crlf) is None     # the first command's layout is read by a split
    cmds = [[b"SET", b"key:%012d" % i, b"v*$%d" % (i % 10)] for i in range(16)]
    data = b"".join(enc(*c) for c in cmds)
    cols = P._parse_fixed(data)
    assert cols == tuple(map(list, zip(*cmds))) == parse_fast(data)
    for i in range(len(data)):
        if data[i:i + 1] in b"*$0123456789\r\n" and P._parse_fixed(data[:i] + b"7" + data[i + 1:]):
            # only an argument byte may change (a digit inside a key or value)
            bad = data[:i] + b"7" + data[i + 1:]
            assert list(map(list, zip(*P._parse_fixed(bad)))) == _py_complete(bad)
    assert P._parse_fixed(data[:-1]) is None
    assert P._parse_fixed(data + enc(b"SET", b"k", b"v")) is None
    assert P._parse_fixed(enc(*cmds[0])) is None                 # one command: not a pipeline
    assert P._parse_fixed(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n" * 2) == ([b"GET", b"GET"], [b"a", b"a"])
    assert P._parse_fixed(b"*1\r\n$0\r\n\r\n" * 3) == ([b"", b"", b""],)


def test_parse_fast_fixed_layout_caches_are_bounded():
    from ember.protocol import parser as P
    for n in range(P._LAYOUTS_MAX + 10):
        data = enc(b"GET", b"k" * (n % 9000 + 1)) * 2
        assert P._parse_fixed(data) == ([b"GET", b"GET"], [b"k" * (n % 9000 + 1)] * 2)
    assert len(P._layouts) <= P._LAYOUTS_MAX
    assert P._mask_bytes[0] <= P._MASKS_MAX + P._FIXED_MAX * 2


def test_parse_fast_blind_bytes_after_a_bulk_as_redis():
    """Redis skips the two bytes after a bulk's data without looking at them; so does the
    hiredis route (and the full parser agrees)."""
    data = b"*4\r\n$4\r\nMSET\r\n$1\r\naXY$1\r\n1\r\n$1\r\nb\r\n"
    assert _py_complete(data) == [[b"MSET", b"a", b"1", b"b"]]
    assert parse_fast(data) in (None, [b"MSET", b"a", b"1", b"b"])


def test_parse_fast_four_arguments_and_three_pings():
    """A 4-argument command (ZADD key score member) takes the split route; ten CRLF parts
    are also three 1-argument commands, which stay a uniform pipeline."""
    assert parse_fast(enc("ZADD", "z", "1", "m")) == [b"ZADD", b"z", b"1", b"m"]
    assert parse_fast(enc("PING") * 3) == ([b"PING"] * 3,)
    assert parse_fast(enc("ZADD", "z", "1", "m\r\nx")) is None
    assert parse_fast(enc("ZADD", "z", "1", "m") * 2) == ([b"ZADD"] * 2, [b"z"] * 2, [b"1"] * 2, [b"m"] * 2)
