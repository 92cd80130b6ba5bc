"""Raw bytes over TCP: inline commands, pipelining, protocol errors (reply text and closed
connection), the query-buffer and bulk-length limits, clients vanishing mid-command.

Exact bytes are checked against the redis-server oracle where it is installed; the ember-only
checks run regardless.
"""

import socket
import time

import pytest

from helpers import RawConn, ServerProcess, encode_command, have_redis


def _read_until_closed(sock, timeout=5.0):
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def _exchange(port, payload, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(payload)
        return _read_until_closed(s, timeout)
    finally:
        s.close()


def _alive(port):
    c = RawConn(port)
    try:
        return c.call("PING") == b"+PONG\r\n"
    finally:
        c.close()


@pytest.fixture(scope="module")
def servers(request):
    """(ember port, oracle port or None)."""
    ember = request.getfixturevalue("ember_shared")
    oracle = request.getfixturevalue("redis_oracle").port if have_redis() else None
    return ember.port, oracle


def _both(servers, fn):
    e, r = servers
    got = fn(e)
    if r is not None:
        want = fn(r)
        assert got == want, (got, want)
    return got


def test_inline_commands_like_telnet(servers):
    def run(port):
        c = RawConn(port)
        try:
            c.send(b"SELECT 13\r\nSET wire:inline \"hello world\"\r\nGET wire:inline\r\n"
                   b"PING\nECHO 'a b'\r\n\r\n   \r\nEXISTS wire:inline wire:nope\r\n"
                   b"SET wire:esc \"a\\x41\\n\"\r\nSTRLEN wire:esc\r\nDEL wire:inline wire:esc\r\n")
            return [c.read_reply() for _ in range(9)]
        finally:
            c.close()
    got = _both(servers, run)
    assert got[2] == b"$11\r\nhello world\r\n"
    assert got[4] == b"$3\r\na b\r\n"


def test_pipeline_1000_commands_in_one_write(servers):
    def run(port):
        c = RawConn(port)
        try:
            cmds = [encode_command("SELECT", "13"), encode_command("DEL", "wire:ctr")]
            for i in range(1000):
                cmds.append(encode_command("INCR", "wire:ctr") if i % 2 else
                            encode_command("SET", "wire:k%d" % i, "v%d" % i))
            cmds.append(encode_command("GET", "wire:ctr"))
            c.send(b"".join(cmds))
            replies = [c.read_reply() for _ in range(len(cmds))]
            c.send(b"".join(encode_command("DEL", "wire:k%d" % i) for i in range(0, 1000, 2)))
            for _ in range(500):
                c.read_reply()
            return replies
        finally:
            c.close()
    replies = _both(servers, run)
    assert replies[-1] == b"$3\r\n500\r\n"


def test_pipeline_of_inline_commands(servers):
    def run(port):
        c = RawConn(port)
        try:
            c.send(b"PING\r\n" * 1000)
            return b"".join(c.read_reply() for _ in range(1000))
        finally:
            c.close()
    assert _both(servers, run) == b"+PONG\r\n" * 1000


PROTOCOL_ERRORS = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b'SET "foo\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"ECHO 'a\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"A" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    (b"*" + b"1" * 70000, b"-ERR Protocol error: too big mbulk count string\r\n"),
    (b"*1\r\n$" + b"1" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
    # commands before the bad one are executed and answered first
    (b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n", b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
]


@pytest.mark.parametrize("payload,expected", PROTOCOL_ERRORS,
                         ids=[str(i) for i in range(len(PROTOCOL_ERRORS))])
def test_protocol_errors_reply_and_close(servers, payload, expected):
    def run(port):
        return _exchange(port, payload)
    data, closed = _both(servers, run)
    assert data == expected
    assert closed
    assert _alive(servers[0])


@pytest.fixture(scope="module")
def limited():
    """ember and (if present) redis-server with small query-buffer / bulk limits."""
    args = ["--client-query-buffer-limit", "1mb", "--proto-max-bulk-len", "1mb"]
    procs = [ServerProcess("ember", args=args)]
    if have_redis():
        procs.append(ServerProcess("redis", args=args))
    for p in procs:
        p.start()
    yield [p.port for p in procs], procs[0]
    for p in procs:
        p.cleanup()


def test_proto_max_bulk_len_enforced(limited):
    ports, _ = limited
    for port in ports:
        ok = RawConn(port)
        assert ok.call("SET", "x", "y" * 1000000) == b"+OK\r\n"     # just under 1mb
        ok.close()
        data, closed = _exchange(port, b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1048577\r\n")
        assert data == b"-ERR Protocol error: invalid bulk length\r\n" and closed, port
        assert _alive(port)


def test_query_buffer_limit_closes_slow_huge_bulk(limited):
    """A client trickling a bulk bigger than client-query-buffer-limit is disconnected (the
    server does not wait for the whole argument); others are unaffected."""
    ports, proc = limited
    for port in ports:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        # 1mb is also proto-max-bulk-len; announce a bulk of exactly that, then send more
        # than the limit across two arguments, slowly
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n")
        closed = False
        chunk = b"z" * 65536
        deadline = time.time() + 10
        sent = 0
        try:
            while time.time() < deadline and sent < 3 * 1048576:
                s.sendall(chunk)
                sent += len(chunk)
                time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        if not closed:
            data, closed = _read_until_closed(s, 3)
        s.close()
        assert closed, port
        assert _alive(port)
    assert "max query buffer" in proc.read_log()


def test_client_disconnecting_mid_command(servers):
    e, _ = servers
    for partial in (b"*3\r\n$3\r\nSET\r\n$7\r\nwire:mc\r\n$5\r\nab",
                    b"*3\r\n$3\r\nSET\r\n$7\r\nwire:mc\r\n",
                    b"*3\r\n$3\r\nSE",
                    b"*3",
                    b"SET wire:mc half",
                    b"*2\r\n$4\r\nECHO\r\n$100000\r\n" + b"x" * 50000):
        s = socket.create_connection(("127.0.0.1", e), timeout=5)
        s.sendall(partial)
        time.sleep(0.01)
        s.close()
    # an abortive close (RST) mid-command as well
    s = socket.create_connection(("127.0.0.1", e), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.sendall(b"*2\r\n$4\r\nECHO\r\n$10\r\nabc")
    s.close()
    c = RawConn(e)
    try:
        assert c.call("PING") == b"+PONG\r\n"
        assert c.call("SELECT", "0") == b"+OK\r\n"
        assert c.call("EXISTS", "wire:mc") == b":0\r\n"
    finally:
        c.close()


def test_client_closing_while_replies_are_pending(servers):
    """A client that pipelines a lot and closes without reading: the server carries on."""
    e, _ = servers
    s = socket.create_connection(("127.0.0.1", e), timeout=5)
    s.sendall(encode_command("SET", "wire:big", "x" * 100000) + encode_command("GET", "wire:big") * 200)
    s.close()
    c = RawConn(e)
    try:
        assert c.call("PING") == b"+PONG\r\n"
        assert c.call("DEL", "wire:big") in (b":0\r\n", b":1\r\n")
    finally:
        c.close()
