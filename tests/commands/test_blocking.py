"""Blocking list commands over real TCP against ``python -m ember``: several connections
(redis-py and raw sockets), FIFO fairness, timeouts, disconnects, CLIENT UNBLOCK, MULTI,
BLMOVE chains, pipelined commands queued behind a blocked one."""

import threading
import time

import pytest
import redis

from helpers import RawConn, ServerProcess, encode_command


@pytest.fixture(scope="module")
def srv():
    with ServerProcess("ember") as s:
        yield s


@pytest.fixture
def r(srv):
    cl = redis.Redis(port=srv.port, socket_timeout=10)
    cl.flushall()
    yield cl
    cl.close()


def blocked(r) -> int:
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, n, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if blocked(r) == n:
            return
        time.sleep(0.01)
    raise AssertionError("blocked_clients never reached %d (is %d)" % (n, blocked(r)))


def send_blocking(srv, r, *cmd, resp3=False):
    """Open a raw connection, send a blocking command, wait until the server parks it."""
    before = blocked(r)
    conn = RawConn(srv.port)
    if resp3:
        conn.call("HELLO", "3")
    conn.send(encode_command(*cmd))
    wait_blocked(r, before + 1)
    return conn


def test_fifo_fairness(srv, r):
    conns = [send_blocking(srv, r, "BLPOP", "q", "0") for _ in range(3)]
    r.rpush("q", "a", "b")
    assert conns[0].read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert conns[1].read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nb\r\n"
    wait_blocked(r, 1)
    r.rpush("q", "c")
    assert conns[2].read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
    assert r.exists("q") == 0
    for c in conns:
        c.close()


def test_multiple_keys_served_by_first_ready(srv, r):
    a = send_blocking(srv, r, "BRPOP", "k1", "k2", "0")
    b = send_blocking(srv, r, "BRPOP", "k2", "0")
    r.rpush("k2", "x")
    assert a.read_reply() == b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n"
    assert blocked(r) == 1
    r.rpush("k2", "y")
    assert b.read_reply() == b"*2\r\n$2\r\nk2\r\n$1\r\ny\r\n"
    a.close()
    b.close()


def test_float_timeout(r):
    t0 = time.time()
    assert r.blpop(["nokey"], timeout=0.2) is None
    dt = time.time() - t0
    assert 0.18 <= dt < 1.0
    t0 = time.time()
    assert r.execute_command("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0.05") is None
    assert time.time() - t0 < 0.5


def test_timeout_reply_resp2_and_resp3(srv, r):
    c2 = RawConn(srv.port)
    assert c2.call("BLPOP", "nokey", "0.01") == b"*-1\r\n"
    assert c2.call("BLMPOP", "0.01", "1", "nokey", "LEFT") == b"*-1\r\n"
    c3 = RawConn(srv.port)
    c3.call("HELLO", "3")
    assert c3.call("BLPOP", "nokey", "0.01") == b"_\r\n"
    assert c3.call("BRPOPLPUSH", "nokey", "d", "0.01") == b"_\r\n"
    c2.close()
    c3.close()


def test_errors(r):
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.execute_command("BLPOP", "q", "-1")
    with pytest.raises(redis.ResponseError, match="timeout is not a float or out of range"):
        r.execute_command("BLPOP", "q", "abc")


def test_disconnect_while_blocked(srv, r):
    c = send_blocking(srv, r, "BLPOP", "q", "0")
    c.close()
    wait_blocked(r, 0)
    r.rpush("q", "v")
    assert r.lrange("q", 0, -1) == [b"v"]


def test_client_unblock(srv, r):
    c = RawConn(srv.port)
    cid = int(c.call("CLIENT", "ID")[1:-2])
    c.send(encode_command("BLPOP", "q", "0"))
    wait_blocked(r, 1)
    assert r.client_unblock(cid) == 1
    assert c.read_reply() == b"*-1\r\n"
    assert r.client_unblock(cid) == 0
    c.send(encode_command("BLPOP", "q", "0"))
    wait_blocked(r, 1)
    assert r.client_unblock(cid, error=True) == 1
    assert c.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert c.call("PING") == b"+PONG\r\n"
    c.close()


def test_multi_does_not_block(r):
    p = r.pipeline(transaction=True)
    p.blpop(["q"], timeout=0)
    p.brpoplpush("q", "d", timeout=0)
    t0 = time.time()
    assert p.execute() == [None, None]
    assert time.time() - t0 < 1.0
    assert blocked(r) == 0


def test_lpush_inside_multi_wakes_after_exec(srv, r):
    c = send_blocking(srv, r, "BLPOP", "q", "0")
    p = r.pipeline(transaction=True)
    p.lpush("q", "a")
    p.lpush("q", "b")
    p.lpush("q", "c")
    p.execute()
    assert c.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nc\r\n"
    assert r.lrange("q", 0, -1) == [b"b", b"a"]
    c.close()


def test_blmove_chain(srv, r):
    c1 = send_blocking(srv, r, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
    c2 = send_blocking(srv, r, "BLMOVE", "b", "c", "LEFT", "RIGHT", "0")
    c3 = send_blocking(srv, r, "BLPOP", "c", "0")
    r.rpush("a", "v")
    assert c1.read_reply() == b"$1\r\nv\r\n"
    assert c2.read_reply() == b"$1\r\nv\r\n"
    assert c3.read_reply() == b"*2\r\n$1\r\nc\r\n$1\r\nv\r\n"
    assert r.exists("a", "b", "c") == 0
    wait_blocked(r, 0)
    for c in (c1, c2, c3):
        c.close()


def test_pipelined_commands_wait_behind_blocked(srv, r):
    c = RawConn(srv.port)
    c.send(encode_command("BLPOP", "q", "0") + encode_command("SET", "after", "1")
           + encode_command("GET", "after"))
    wait_blocked(r, 1)
    assert r.get("after") is None
    r.rpush("q", "x")
    assert c.read_reply() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert c.read_reply() == b"+OK\r\n"
    assert c.read_reply() == b"$1\r\n1\r\n"
    c.close()


def test_redis_py_threads(srv, r):
    results = []

    def worker():
        cl = redis.Redis(port=srv.port, socket_timeout=10)
        results.append(cl.brpop(["jobs"], timeout=5))
        cl.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    wait_blocked(r, 4)
    r.lpush("jobs", *[str(i) for i in range(4)])
    for t in threads:
        t.join(10)
    assert sorted(v for _, v in results) == [b"0", b"1", b"2", b"3"]


def test_blmpop_and_timeout_precision(srv, r):
    c = send_blocking(srv, r, "BLMPOP", "0", "2", "x", "y", "LEFT", "COUNT", "3")
    r.rpush("y", "1", "2")
    assert c.read_reply() == b"*2\r\n$1\r\ny\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    t0 = time.time()
    assert c.call("BLPOP", "x", "0.05") == b"*-1\r\n"
    assert 0.04 <= time.time() - t0 < 0.3
    c.close()


def test_zset_pop_not_woken_by_another_type(srv, r):
    # a list pushed to the key a BZPOPMIN waits on does not wake it (Redis serves only the
    # blocked clients of the key's type); a zset added after the list is deleted does
    c = send_blocking(srv, r, "BZPOPMIN", "k", "0")
    r.rpush("k", "a")
    time.sleep(0.05)
    assert blocked(r) == 1
    r.delete("k")
    r.zadd("k", {"m": 2})
    assert c.read_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n2\r\n"
    c.close()


def test_zset_pop_timeout_parsing(r):
    # the same timeout rules as the list commands (hex, rounding up to a millisecond)
    r.zadd("z", {"a": 1, "b": 2})
    assert r.execute_command("BZPOPMIN", "z", "0x10") == (b"z", b"a", 1.0)
    assert r.execute_command("BZPOPMAX", "z", "0.0001") == (b"z", b"b", 2.0)
    t0 = time.time()
    assert r.execute_command("BZPOPMIN", "z", "0.0001") is None
    assert time.time() - t0 < 0.5
    with pytest.raises(redis.ResponseError, match="timeout is negative"):
        r.execute_command("BZPOPMIN", "z", "-1")


def test_info_total_blocking_keys(srv, r):
    """INFO clients: total_blocking_keys counts keys with blocked clients,
    total_blocking_keys_on_nokey those with an XREADGROUP waiter (woken if the key goes)."""
    r.xgroup_create("s", "g", id="$", mkstream=True)
    a = send_blocking(srv, r, "BLPOP", "q1", "q2", "0")
    b = send_blocking(srv, r, "BLPOP", "q2", "0")
    c = send_blocking(srv, r, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
    info = r.info("clients")
    assert info["total_blocking_keys"] == 3 and info["total_blocking_keys_on_nokey"] == 1
    r.rpush("q1", "x")
    assert a.read_reply() == b"*2\r\n$2\r\nq1\r\n$1\r\nx\r\n"
    r.delete("s")
    c.read_reply()
    wait_blocked(r, 1)
    info = r.info("clients")
    assert info["total_blocking_keys"] == 1 and info["total_blocking_keys_on_nokey"] == 0
    r.rpush("q2", "y")
    assert b.read_reply() == b"*2\r\n$2\r\nq2\r\n$1\r\ny\r\n"
    for conn in (a, b, c):
        conn.close()
