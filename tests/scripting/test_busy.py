"""Busy scripts over real TCP: BUSY replies, SCRIPT KILL, UNKILLABLE, SHUTDOWN NOSAVE."""

import threading
import time

import pytest

from helpers import RawConn, ServerProcess

BUSY = (b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        b"SHUTDOWN NOSAVE.\r\n")


@pytest.fixture
def srv():
    with ServerProcess("ember", args=["--busy-reply-threshold", "100"]) as s:
        yield s


def _start(port, *cmd):
    """Run a command on its own connection in a thread; returns (thread, result list)."""
    out = []
    conn = RawConn(port, timeout=20)

    def run():
        try:
            out.append(conn.call(*cmd))
        except OSError as e:
            out.append(e)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out, conn


def _wait_busy(c, deadline=10.0):
    # c is connected (and served) before the script starts: a connection whose accept
    # races with the script's start may only be served once the script ends
    end = time.time() + deadline
    while time.time() < end:
        r = c.call("PING")
        if r.startswith(b"-BUSY"):
            return r
        time.sleep(0.05)
    raise AssertionError("server never became busy")


def test_busy_then_script_kill(srv):
    c = RawConn(srv.port)
    assert c.call("PING") == b"+PONG\r\n"
    t, out, conn = _start(srv.port, "EVAL", "while true do end", "0")
    r = _wait_busy(c)
    assert r == BUSY
    assert c.call("GET", "x") == BUSY
    # a connection opened while the script runs is served too
    c2 = RawConn(srv.port)
    assert c2.call("PING") == BUSY
    assert c.call("SCRIPT", "KILL") == b"+OK\r\n"
    t.join(10)
    assert out and out[0].startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    assert c.call("PING") == b"+PONG\r\n"
    assert c2.call("PING") == b"+PONG\r\n"
    assert conn.call("PING") == b"+PONG\r\n"
    assert c.call("SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"
    # after a kill the hook is back to its usual period: scripts with pcall work, and the
    # next busy script is detected and killed the same way
    assert c.call("EVAL", "local ok, e = pcall(error, 'x') return e", "0") == b"$1\r\nx\r\n"
    t, out, conn = _start(srv.port, "EVAL", "local i = 0 while true do i = i + 1 end", "0")
    assert _wait_busy(c) == BUSY
    assert c.call("SCRIPT", "KILL") == b"+OK\r\n"
    t.join(10)
    assert out and out[0].startswith(b"-ERR Script killed by user with SCRIPT KILL...")
    assert c.call("EVAL", "return 7", "0") == b":7\r\n"


def test_script_that_wrote_is_unkillable_and_shutdown_nosave(srv):
    c = RawConn(srv.port)
    assert c.call("PING") == b"+PONG\r\n"
    t, out, conn = _start(srv.port, "EVAL", "redis.call('set','k','v') while true do end", "0")
    r = _wait_busy(c)
    assert r == BUSY
    assert c.call("SCRIPT", "KILL").startswith(b"-UNKILLABLE Sorry the script already executed "
                                                b"write commands against the dataset.")
    assert c.call("SHUTDOWN") == BUSY
    c.send(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")
    srv.proc.wait(10)
    assert srv.proc.returncode is not None
    t.join(5)


def test_function_busy_and_function_kill(srv):
    c = RawConn(srv.port)
    lib = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"
    assert c.call("FUNCTION", "LOAD", lib) == b"$4\r\nspin\r\n"
    c2 = RawConn(srv.port)
    assert c2.call("PING") == b"+PONG\r\n"
    t, out, conn = _start(srv.port, "FCALL", "spin", "0")
    r = _wait_busy(c2)
    assert r == (b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 b"SHUTDOWN NOSAVE.\r\n")
    assert c2.call("SCRIPT", "KILL").startswith(b"-BUSY")
    assert c2.call("FUNCTION", "KILL") == b"+OK\r\n"
    t.join(10)
    assert out and out[0].startswith(b"-ERR Script killed by user with FUNCTION KILL...")
    assert c2.call("PING") == b"+PONG\r\n"
