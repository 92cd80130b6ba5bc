"""Fuzzing the request path with random and mutated requests.

(a) The parsers directly (pure Python and hiredis-backed), fed in random splits: nothing but
    ProtocolError ever escapes, and both give the same commands and the same error.
(b) A live ember server over TCP: after every case a fresh connection still gets PONG
    promptly (no crash, no hang), and the server's RSS stays bounded.

Mutations start from a corpus of valid requests: flip a byte, truncate, duplicate a slice,
insert CR/LF, swap a number for a huge / negative / INT_MAX+1 one.  Deterministic
(``derandomize=True``) and bounded to a few seconds.
"""

import re
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import RawConn, ServerProcess, encode_command
from ember.protocol.parser import FastRequestParser, ProtocolError, PyRequestParser

CORPUS = [
    encode_command("PING"),
    encode_command("SET", "fz:k", "value"),
    encode_command("GET", "fz:k"),
    encode_command("MSET", "fz:a", "1", "fz:b", "2"),
    encode_command("ECHO", "x" * 300),
    encode_command("SET", "fz:e", ""),
    encode_command("INCRBY", "fz:n", "-5"),
    encode_command("DEL", "fz:a", "fz:b", "fz:k", "fz:e", "fz:n"),
    encode_command("EXPIRE", "fz:k", "1000", "NX"),
    b"PING\r\n",
    b"SET fz:q \"a b\\x41\" \r\n",
    b"ECHO 'single quoted'\n",
    b"MGET fz:a fz:b\r\nPING\r\n",
    encode_command("PING") + encode_command("ECHO", "pipelined") + b"PING\r\n",
]

NUMBERS = [b"0", b"-1", b"2147483648", b"99999999999999999999", b"9223372036854775807",
           b"536870913", b"1048577", b"300000000", b"+1", b"007", b""]

_NUM = re.compile(rb"\d+")


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "dup", "crlf", "number", "junk", "concat"]))
        n = len(data)
        if n == 0:
            data += draw(st.sampled_from(CORPUS))
            continue
        i = draw(st.integers(0, n - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[i:]
        elif op == "dup":
            j = draw(st.integers(i, n))
            data[j:j] = data[i:j]
        elif op == "crlf":
            data[i:i] = draw(st.sampled_from([b"\r", b"\n", b"\r\n", b"\r\r\n", b"\0"]))
        elif op == "number":
            nums = list(_NUM.finditer(bytes(data)))
            if nums:
                m = nums[draw(st.integers(0, len(nums) - 1))]
                data[m.start():m.end()] = draw(st.sampled_from(NUMBERS))
        elif op == "junk":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            data += draw(st.sampled_from(CORPUS))
    return bytes(data)


request = st.one_of(mutated(), st.binary(max_size=64),
                    st.lists(st.sampled_from(CORPUS), min_size=1, max_size=5).map(b"".join))


def _parse(cls, data, cuts, authenticated):
    """Feed ``data`` split at ``cuts``; returns (commands, error text or None)."""
    p = cls(max_bulk_len=1024 * 1024)
    p.authenticated = authenticated
    out = []
    prev = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        p.feed(data[prev:cut])
        prev = cut
        try:
            while True:     # commands before an error come first; the error on the next call
                cmds = p.get_commands()
                if not cmds:
                    break
                out += cmds
        except ProtocolError as e:
            return out, str(e)
    return out, None


@settings(max_examples=400, derandomize=True, deadline=None)
@given(data=request, cuts=st.lists(st.integers(0, 400), max_size=4), auth=st.booleans())
def test_parsers_raise_only_protocol_error_and_agree(data, cuts, auth):
    cuts = [c for c in cuts if c <= len(data)]
    py = _parse(PyRequestParser, data, cuts, auth)
    fast = _parse(FastRequestParser, data, cuts, auth)
    if auth:
        assert py == fast, (data, cuts)
    # the result is independent of how the input was split
    whole = _parse(PyRequestParser, data, [], auth)
    if auth:
        assert whole == py, (data, cuts)


# ---- live server --------------------------------------------------------------------------
def _rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@pytest.fixture(scope="module")
def fuzz_server():
    with ServerProcess("ember") as s:
        yield s


def _pong(port):
    c = RawConn(port, timeout=5)
    try:
        return c.call("PING") == b"+PONG\r\n"
    finally:
        c.close()


@settings(max_examples=120, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=request, wait=st.booleans())
def test_live_server_survives_garbage(fuzz_server, data, wait):
    port = fuzz_server.port
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
        if wait:
            # read whatever comes back for a moment (replies, an error, or a close)
            s.settimeout(0.02)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        s.close()
    assert fuzz_server.proc.poll() is None, fuzz_server.read_log()[-2000:]
    assert _pong(port)


def test_live_server_memory_bounded(fuzz_server):
    """Headers announcing huge counts / lengths must not make the server allocate them."""
    port = fuzz_server.port
    pid = fuzz_server.proc.pid
    assert _pong(port)
    before = _rss_kb(pid)
    socks = []
    for hdr in (b"*300000000\r\n", b"*2147483647\r\n$4\r\nECHO\r\n", b"*1\r\n$536870912\r\nab",
                b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n", b"~300000000\r\n", b"%300000000\r\n",
                b"*1048576\r\n" + b"$1\r\nx\r\n" * 1000):
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(hdr)
            socks.append(s)
    time.sleep(0.2)
    assert _pong(port)
    grown = _rss_kb(pid) - before
    for s in socks:
        s.close()
    assert grown < 100 * 1024, "RSS grew by %d kB" % grown
    assert _pong(port)
