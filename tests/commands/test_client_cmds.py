"""CLIENT subcommands: embedded unit tests, plus LIST/KILL/PAUSE/REPLY/MONITOR over TCP
against a real ember process (redis-py and raw sockets)."""

import re
import socket
import threading
import time

import pytest

from ember.embedded import Ember
from ember.protocol.encoder import encode
from ember.protocol.replies import ReplyError, Verbatim


@pytest.fixture
def c():
    return Ember().client()


def err(c, *args):
    with pytest.raises(ReplyError) as ei:
        c.execute(*args)
    return ei.value.message


LINE_FIELDS = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
               "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl",
               "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp", "lib-name",
               "lib-ver"]


def parse_line(line):
    return dict(kv.split("=", 1) for kv in line.split(" "))


def test_id_name(c):
    assert isinstance(c.execute("CLIENT", "ID"), int)
    assert c.execute("CLIENT", "GETNAME") is None
    assert c.execute("CLIENT", "SETNAME", "conn-1") == "OK"
    assert c.execute("CLIENT", "GETNAME") == b"conn-1"
    assert err(c, "CLIENT", "SETNAME", "a b") == \
        "ERR Client names cannot contain spaces, newlines or special characters."
    assert c.execute("CLIENT", "SETNAME", "") == "OK"
    assert c.execute("CLIENT", "GETNAME") is None


def test_setinfo(c):
    assert c.execute("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == "OK"
    assert c.execute("CLIENT", "SETINFO", "lib-ver", "5.0") == "OK"
    assert err(c, "CLIENT", "SETINFO", "x", "y") == "ERR Unrecognized option 'x'"
    assert err(c, "CLIENT", "SETINFO", "lib-name", "a b") == \
        "ERR lib-name cannot contain spaces, newlines or special characters."
    assert err(c, "CLIENT", "SETINFO", "lib-ver", "a\nb") == \
        "ERR lib-ver cannot contain spaces, newlines or special characters."
    d = parse_line(c.execute("CLIENT", "INFO").data.decode().strip())
    assert d["lib-name"] == "redis-py" and d["lib-ver"] == "5.0"


def test_info_and_list_shape(c):
    r = c.execute("CLIENT", "INFO")
    assert isinstance(r, Verbatim) and r.data.endswith(b"\n")
    line = r.data.decode().strip()
    assert [kv.split("=", 1)[0] for kv in line.split(" ")] == LINE_FIELDS
    d = parse_line(line)
    assert d["cmd"] == "client|info" and d["flags"] == "N" and d["multi"] == "-1"
    assert d["resp"] == "2" and d["user"] == "default" and d["redir"] == "-1"
    e = c.server
    lst = c.execute("CLIENT", "LIST").data.decode().strip().split("\n")
    assert any(parse_line(x)["cmd"] == "client|list" for x in lst)
    cid = c.execute("CLIENT", "ID")
    only = c.execute("CLIENT", "LIST", "ID", cid, 99999).data.decode().strip().split("\n")
    assert len(only) == 1 and parse_line(only[0])["id"] == str(cid)
    assert c.execute("CLIENT", "LIST", "TYPE", "pubsub").data == b""
    assert len(c.execute("CLIENT", "LIST", "TYPE", "normal").data.decode().strip().split("\n")) == len(e.clients)
    assert err(c, "CLIENT", "LIST", "TYPE", "foo") == "ERR Unknown client type 'foo'"
    assert err(c, "CLIENT", "LIST", "ID", "x") == "ERR Invalid client ID"
    assert c.execute("CLIENT", "LIST", "ID", "0").data == b""
    assert err(c, "CLIENT", "LIST", "TYPE", "normal", "ID", "1") == "ERR syntax error"
    assert err(c, "CLIENT", "LIST", "FOO") == "ERR syntax error"


def test_flags_multi(c):
    c.execute("MULTI")
    r = c.execute("CLIENT", "INFO")   # queued
    assert r == "QUEUED"
    out = c.execute("EXEC")
    d = parse_line(out[0].data.decode().strip())
    assert "x" not in d["flags"]       # EXEC already ended the transaction
    c.execute("CLIENT", "NO-EVICT", "on")
    c.execute("CLIENT", "NO-TOUCH", "on")
    d = parse_line(c.execute("CLIENT", "INFO").data.decode().strip())
    assert d["flags"] == "eT"
    assert err(c, "CLIENT", "NO-EVICT", "maybe") == "ERR syntax error"
    assert err(c, "CLIENT", "NO-TOUCH", "maybe") == "ERR syntax error"


def test_kill_errors(c):
    assert err(c, "CLIENT", "KILL", "1.2.3.4:5") == "ERR No such client"
    assert err(c, "CLIENT", "KILL", "ID", "abc") == "ERR client-id should be greater than 0"
    assert err(c, "CLIENT", "KILL", "ID", "0") == "ERR client-id should be greater than 0"
    assert err(c, "CLIENT", "KILL", "TYPE", "foo") == "ERR Unknown client type 'foo'"
    assert err(c, "CLIENT", "KILL", "SKIPME", "maybe") == "ERR syntax error"
    assert err(c, "CLIENT", "KILL", "FOO", "bar") == "ERR syntax error"
    assert err(c, "CLIENT", "KILL", "ID", "1", "TYPE") == "ERR syntax error"
    assert err(c, "CLIENT", "KILL", "USER", "nobody") == "ERR No such user 'nobody'"
    assert c.execute("CLIENT", "KILL", "ID", "99999") == 0


def test_kill_embedded():
    e = Ember()
    a, b = e.client(), e.client()
    closed = []
    b.client.close = lambda: closed.append(True)
    assert a.execute("CLIENT", "KILL", "ID", b.client.id) == 1
    assert closed == [True]
    # SKIPME yes (default): a filter matching only the caller kills nobody
    assert a.execute("CLIENT", "KILL", "ID", a.client.id) == 0
    assert a.execute("CLIENT", "KILL", "ID", a.client.id, "SKIPME", "no") == 1
    assert a.client.closing


def test_reply_modes_embedded(c):
    # execute_raw needs the request parser; check the state machine directly
    assert c.execute("CLIENT", "REPLY", "ON") == "OK"
    c.execute("CLIENT", "REPLY", "OFF")
    assert c.client.reply_mode == 1
    assert c.execute("CLIENT", "REPLY", "ON") == "OK"
    assert encode(c.execute("CLIENT", "REPLY", "SKIP")) == b""
    assert c.client.reply_mode == 2
    c.client.reply_mode = 0
    assert err(c, "CLIENT", "REPLY", "FOO") == "ERR syntax error"


def test_pause_embedded():
    e = Ember()
    a, b = e.client(), e.client()
    assert err(a, "CLIENT", "PAUSE", "abc") == "ERR timeout is not an integer or out of range"
    assert err(a, "CLIENT", "PAUSE", "-1") == "ERR timeout is negative"
    assert err(a, "CLIENT", "PAUSE", "10", "FOO") == "ERR CLIENT PAUSE mode must be WRITE or ALL"
    assert a.execute("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
    assert e.server.gated and e.server.paused_writes()
    assert b.execute("GET", "k") is None            # reads pass
    from ember.commands.dispatch import execute as dispatch
    # the dispatch level parks the command (a network client waits for its reply; the
    # embedded client's own waiting is tested below)
    assert encode(dispatch(b.client, [b"SET", b"k", b"v"])) == b""  # parked
    assert b.client.paused
    resumed = []
    b.client.resume = lambda: resumed.append(list(b.client.pending))
    assert a.execute("CLIENT", "UNPAUSE") == "OK"
    assert not b.client.paused and resumed == [[[b"SET", b"k", b"v"]]]
    assert e.server.pause is None


def test_pause_expires_without_timer():
    e = Ember()
    a = e.client()
    a.execute("CLIENT", "PAUSE", "20")
    time.sleep(0.05)
    assert a.execute("PING") == "PONG"
    assert e.server.pause is None


def test_tracking_views_unblock_help(c):
    r = c.execute("CLIENT", "TRACKINGINFO")
    assert encode(r) == b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    assert encode(r, True) == b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    assert c.execute("CLIENT", "GETREDIR") == -1
    assert c.execute("CLIENT", "UNBLOCK", "999") == 0
    assert err(c, "CLIENT", "UNBLOCK", "abc") == "ERR value is not an integer or out of range"
    assert err(c, "CLIENT", "UNBLOCK", "1", "FOO") == "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
    h = c.execute("CLIENT", "HELP")
    assert h[0].startswith("CLIENT <subcommand>") and h[-2] == "HELP"


# ---- over TCP ------------------------------------------------------------------------------
def _have_parser():
    try:
        import ember.protocol.parser  # noqa: F401
        return True
    except ImportError:
        try:
            import ember.protocol._bootstrap_parser  # noqa: F401
            return True
        except ImportError:
            return False


needs_net = pytest.mark.skipif(not _have_parser(), reason="network parser not available yet")


@pytest.fixture
def net(ember_server):
    redis = pytest.importorskip("redis")
    return redis, ember_server.port


@needs_net
def test_list_and_kill_tcp(net):
    redis, port = net
    a = redis.Redis(port=port, protocol=2)
    b = redis.Redis(port=port, protocol=2, client_name="victim")
    b.ping()
    lst = a.client_list()
    me = [x for x in lst if x["cmd"] == "client|list"]
    assert len(me) == 1 and me[0]["laddr"] == "127.0.0.1:%d" % port
    victim = [x for x in lst if x["name"] == "victim"][0]
    assert re.match(r"127\.0\.0\.1:\d+$", victim["addr"]) and int(victim["fd"]) > 0
    assert a.client_kill(victim["addr"]) is True
    assert a.client_kill_filter(_id=a.client_id(), skipme=True) == 0
    time.sleep(0.1)
    assert not any(x["name"] == "victim" for x in a.client_list())


@needs_net
def test_pause_tcp(net):
    redis, port = net
    a = redis.Redis(port=port)
    b = redis.Redis(port=port)
    b.ping()
    a.client_pause(300, all=False)
    t = time.time()
    assert b.get("nokey") is None
    assert time.time() - t < 0.2
    b.set("k", "v")
    assert time.time() - t >= 0.25
    a.client_pause(10000, all=False)
    threading.Timer(0.2, lambda: a.client_unpause()).start()
    t = time.time()
    b.set("k", "w")
    assert 0.15 < time.time() - t < 5
    assert b.get("k") == b"w"


@needs_net
def test_reply_modes_tcp(net):
    _, port = net
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n"
              b"CLIENT REPLY SKIP\r\nPING\r\nECHO hi\r\n")
    data = b""
    deadline = time.time() + 3
    while not data.endswith(b"$2\r\nhi\r\n") and time.time() < deadline:
        data += s.recv(1000)
    assert data == b"+OK\r\n+PONG\r\n$2\r\nhi\r\n"
    s.close()


@needs_net
def test_monitor_tcp(net):
    redis, port = net
    mon = socket.create_connection(("127.0.0.1", port), timeout=5)
    mon.sendall(b"MONITOR\r\n")
    assert mon.recv(100) == b"+OK\r\n"
    r = redis.Redis(port=port, protocol=2)
    r.set("k", "v")
    data = b""
    deadline = time.time() + 3
    while b'"SET"' not in data and time.time() < deadline:
        data += mon.recv(1000)
    assert re.search(rb'\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "k" "v"\r\n', data)
    mon.close()


def test_embedded_paused_write_waits_for_the_pause_end():
    """An in-process client cannot be left without a reply: a write held by CLIENT PAUSE
    waits until the pause times out, then runs (reads go through at once)."""
    import time
    from ember.embedded import Ember
    e = Ember()
    a, b = e.client(), e.client()
    assert a.execute("CLIENT", "PAUSE", "200", "WRITE") == "OK"
    t = time.monotonic()
    assert b.execute("GET", "k") is None
    assert time.monotonic() - t < 0.1
    assert b.execute("SET", "k", "v") == "OK"
    assert time.monotonic() - t >= 0.19
    assert b.execute("GET", "k") == b"v"
