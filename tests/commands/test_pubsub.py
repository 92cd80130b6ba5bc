"""Pub/Sub: SUBSCRIBE family, PUBLISH, PUBSUB introspection, RESP2 context rules, cleanup on
disconnect / RESET, INFO fields, and client-output-buffer-limit enforcement (TCP)."""

import socket
import time

import pytest

from ember.embedded import Ember
from ember.protocol.replies import NO_REPLY, ReplyError

from helpers import RawConn, ServerProcess, encode_command


@pytest.fixture
def e():
    return Ember()


def frames(cl):
    out = b"".join(cl.pushes)
    cl.pushes.clear()
    return out


def test_subscribe_publish_resp2(e):
    a, b = e.client(), e.client()
    assert a.execute("SUBSCRIBE", "x", "y") is NO_REPLY
    assert frames(a) == (b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n"
                         b"*3\r\n$9\r\nsubscribe\r\n$1\r\ny\r\n:2\r\n")
    assert b.execute("PUBLISH", "x", "hello") == 1
    assert frames(a) == b"*3\r\n$7\r\nmessage\r\n$1\r\nx\r\n$5\r\nhello\r\n"
    assert b.execute("PUBLISH", "nobody", "hello") == 0
    # RESP2 subscribed clients may only run the pub/sub commands, PING, QUIT, RESET.
    with pytest.raises(ReplyError, match="only \\(P\\|S\\)SUBSCRIBE"):
        a.execute("GET", "k")
    assert a.execute("PING") is not None


def test_patterns_and_counts(e):
    a, b = e.client(), e.client()
    a.execute("SUBSCRIBE", "news.1")
    a.execute("PSUBSCRIBE", "news.*", "n?ws.[0-9]")
    assert frames(a).endswith(b"*3\r\n$10\r\npsubscribe\r\n$10\r\nn?ws.[0-9]\r\n:3\r\n")
    assert b.execute("PUBLISH", "news.1", "m") == 3
    got = frames(a)
    assert got.startswith(b"*3\r\n$7\r\nmessage\r\n$6\r\nnews.1\r\n$1\r\nm\r\n")
    assert b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$6\r\nnews.1\r\n$1\r\nm\r\n" in got
    assert b.execute("PUBSUB", "NUMPAT") == 2
    assert b.execute("PUBSUB", "NUMSUB", "news.1", "zz") == [b"news.1", 1, b"zz", 0]
    assert b.execute("PUBSUB", "CHANNELS") == [b"news.1"]
    assert b.execute("PUBSUB", "CHANNELS", "x*") == []
    a.execute("PUNSUBSCRIBE", "news.*")
    assert frames(a) == b"*3\r\n$12\r\npunsubscribe\r\n$6\r\nnews.*\r\n:2\r\n"
    assert b.execute("PUBSUB", "NUMPAT") == 1


def test_unsubscribe_from_nothing(e):
    a = e.client()
    for cmd in ("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"):
        a.execute(cmd)
        name = cmd.lower().encode()
        assert frames(a) == b"*3\r\n$%d\r\n%s\r\n$-1\r\n:0\r\n" % (len(name), name)
    a.execute("HELLO", "3")
    a.execute("UNSUBSCRIBE")
    assert frames(a) == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


def test_resp3_push_and_commands_allowed(e):
    a, b = e.client(), e.client()
    a.execute("HELLO", "3")
    a.execute("SUBSCRIBE", "c")
    assert frames(a) == b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    assert a.execute("SET", "k", "v") == "OK"     # RESP3: any command is allowed
    b.execute("PUBLISH", "c", "m")
    assert frames(a) == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"


def test_sharded(e):
    a, b = e.client(), e.client()
    a.execute("SUBSCRIBE", "plain")
    a.execute("SSUBSCRIBE", "s1", "s2")
    assert frames(a).endswith(b"*3\r\n$10\r\nssubscribe\r\n$2\r\ns2\r\n:2\r\n")
    assert b.execute("SPUBLISH", "s1", "m") == 1
    assert frames(a) == b"*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\nm\r\n"
    assert b.execute("PUBLISH", "s1", "m") == 0
    assert b.execute("PUBSUB", "SHARDCHANNELS") == [b"s1", b"s2"]
    assert b.execute("PUBSUB", "SHARDNUMSUB", "s1", "x") == [b"s1", 1, b"x", 0]
    a.execute("SUNSUBSCRIBE", "s1")
    assert frames(a) == b"*3\r\n$12\r\nsunsubscribe\r\n$2\r\ns1\r\n:1\r\n"


def test_cleanup_on_close_and_reset(e):
    a, b = e.client(), e.client()
    a.execute("SUBSCRIBE", "x")
    a.execute("PSUBSCRIBE", "p*")
    a.execute("SSUBSCRIBE", "s")
    a.execute("RESET")
    assert not a.client.in_pubsub_context() and a.client.plain
    assert b.execute("PUBSUB", "NUMPAT") == 0
    assert b.execute("PUBSUB", "CHANNELS") == []
    a.execute("SUBSCRIBE", "x")
    a.close()
    assert b.execute("PUBSUB", "NUMSUB", "x") == [b"x", 0]
    assert b.execute("PUBLISH", "x", "m") == 0


def test_info_fields(e):
    a, b = e.client(), e.client()
    a.execute("SUBSCRIBE", "x", "y")
    a.execute("PSUBSCRIBE", "p*")
    info = b.execute("INFO", "stats").data.decode()
    assert "pubsub_channels:2\r\n" in info
    assert "pubsub_patterns:1\r\n" in info


def test_pubsub_help_and_errors(e):
    b = e.client()
    assert b.execute("PUBSUB", "HELP")[0].startswith(b"PUBSUB <subcommand>")
    with pytest.raises(ReplyError, match="wrong number of arguments for 'CHANNELS'"):
        b.execute("PUBSUB", "CHANNELS", "a", "b")


def test_output_limits_hook_counts_and_closes(e):
    """The hook the network layer calls after each write: hard limit -> closed at once."""
    server = e.server
    e.client().execute("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1000 500 10")
    a = e.client()
    a.execute("SUBSCRIBE", "x")
    closed = []
    a.client.close = lambda: closed.append(True)
    check = server.subsystems["output_limits"]
    check(a.client, 400)
    check(a.client, 600)            # over soft: only starts the clock
    assert not closed and a.client.obuf_soft_since is not None
    check(a.client, 100)
    assert a.client.obuf_soft_since is None
    check(a.client, 1000)           # hard
    assert closed and a.client.closing
    assert server.stats.client_output_buffer_limit_disconnections == 1


# ---- TCP ---------------------------------------------------------------------------------
def read_frames(conn, n):
    return [conn.read_reply() for _ in range(n)]


def test_tcp_fanout_and_disconnect_cleanup(ember_server):
    subs = [RawConn(ember_server.port) for _ in range(5)]
    for s in subs:
        s.send(encode_command("SUBSCRIBE", "fan"))
        assert s.read_reply().startswith(b"*3\r\n$9\r\nsubscribe")
    pub = RawConn(ember_server.port)
    assert pub.call("PUBLISH", "fan", "hello") == b":5\r\n"
    for s in subs:
        assert s.read_reply() == b"*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$5\r\nhello\r\n"
    subs[0].close()
    deadline = time.time() + 5
    while time.time() < deadline and pub.call("PUBSUB", "NUMSUB", "fan") != b"*2\r\n$3\r\nfan\r\n:4\r\n":
        time.sleep(0.02)
    assert pub.call("PUBLISH", "fan", "x") == b":4\r\n"
    for s in subs[1:]:
        s.close()
    pub.close()


def _rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_output_buffer_limit_disconnects_slow_subscriber():
    with ServerProcess("ember", args=["--client-output-buffer-limit", "pubsub", "4mb", "1mb", "2"]) as srv:
        sub = socket.socket()
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.connect(("127.0.0.1", srv.port))
        sub.sendall(encode_command("SUBSCRIBE", "big"))
        time.sleep(0.2)
        pub = RawConn(srv.port)
        rss0 = _rss_kb(srv.proc.pid)
        payload = b"x" * (256 * 1024)
        receivers = []
        for i in range(120):    # 30 MB offered to a subscriber that never reads
            receivers.append(pub.call("PUBLISH", "big", payload))
        assert receivers[0] == b":1\r\n"
        assert receivers[-1] == b":0\r\n"          # the subscriber was dropped
        info = pub.call("INFO", "stats")
        assert b"client_output_buffer_limit_disconnections:1\r\n" in info
        assert _rss_kb(srv.proc.pid) - rss0 < 40 * 1024
        pub.close()
        sub.close()
        assert "scheduled to be closed ASAP for overcoming of output buffer limits" in srv.read_log()


@pytest.mark.slow
def test_output_buffer_soft_limit_after_seconds():
    with ServerProcess("ember", args=["--client-output-buffer-limit", "pubsub", "0", "256kb", "1"]) as srv:
        sub = socket.socket()
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sub.connect(("127.0.0.1", srv.port))
        sub.sendall(encode_command("SUBSCRIBE", "soft"))
        time.sleep(0.2)
        pub = RawConn(srv.port)
        payload = b"y" * (64 * 1024)
        for _ in range(120):    # well past the soft limit (and the kernel buffers)
            assert pub.call("PUBLISH", "soft", payload) == b":1\r\n"
        time.sleep(1.3)
        # Still connected until a write notices the soft limit has been exceeded > 1 s.
        pub.call("PUBLISH", "soft", payload)
        time.sleep(0.1)
        assert pub.call("PUBLISH", "soft", payload) == b":0\r\n"
        pub.close()
        sub.close()
