"""Client-side caching: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO, invalidation
pushes (RESP3) and the __redis__:invalidate channel (RESP2 redirect), over real TCP with
several connections; and redis-py's own client-side cache against a live ember."""

import time

import pytest

from helpers import RawConn, encode_command

INV = b">2\r\n$10\r\ninvalidate\r\n"


@pytest.fixture(scope="module")
def srv():
    from helpers import ServerProcess
    with ServerProcess("ember") as s:
        yield s


@pytest.fixture
def conns(srv):
    made = []

    def make(resp3=True):
        c = RawConn(srv.port, timeout=5)
        if resp3:
            assert c.call("HELLO", "3").startswith(b"%")
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


def client_id(c):
    return int(c.call("CLIENT", "ID")[1:-2])


def nothing_pending(c, wait=0.15):
    c.sock.settimeout(wait)
    try:
        data = c.sock.recv(65536)
    except OSError:
        data = b""
    finally:
        c.sock.settimeout(5)
    c.buf += data
    return c.buf == b""


def test_default_mode_invalidation_once(conns):
    a, w = conns(), conns()
    assert a.call("CLIENT", "TRACKING", "on") == b"+OK\r\n"
    w.call("SET", "tk1", "v")
    assert a.call("GET", "tk1") == b"$1\r\nv\r\n"
    w.call("SET", "tk1", "v2")
    assert a.read_reply() == INV + b"*1\r\n$3\r\ntk1\r\n"
    w.call("SET", "tk1", "v3")              # not read again: no second message
    assert nothing_pending(a)
    # MGET tracks each key; a DEL of one invalidates only that one.
    w.call("MSET", "tk2", "1", "tk3", "1")
    a.call("MGET", "tk2", "tk3")
    w.call("DEL", "tk3", "tk2")
    assert a.read_reply() == INV + b"*1\r\n$3\r\ntk3\r\n"
    assert a.read_reply() == INV + b"*1\r\n$3\r\ntk2\r\n"


def test_self_invalidation_after_reply_and_noloop(conns):
    a = conns()
    a.call("CLIENT", "TRACKING", "on")
    a.call("GET", "tk4")
    a.send(encode_command("SET", "tk4", "1"))
    assert a.read_reply() == b"+OK\r\n"
    assert a.read_reply() == INV + b"*1\r\n$3\r\ntk4\r\n"
    b = conns()
    b.call("CLIENT", "TRACKING", "on", "NOLOOP")
    b.call("GET", "tk5")
    assert b.call("SET", "tk5", "1") == b"+OK\r\n"
    assert nothing_pending(b)


def test_flush_invalidates_everything(conns):
    a, w = conns(), conns()
    a.call("CLIENT", "TRACKING", "on")
    a.call("GET", "tk6")
    w.call("FLUSHALL")
    assert a.read_reply() == INV + b"_\r\n"


def test_bcast_prefixes(conns):
    a, w = conns(), conns()
    assert a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "acct:") == b"+OK\r\n"
    w.call("SET", "user:1", "x")
    assert a.read_reply() == INV + b"*1\r\n$6\r\nuser:1\r\n"
    w.call("SET", "other", "x")
    assert nothing_pending(a)
    info = a.call("CLIENT", "TRACKINGINFO")
    assert info == (b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
                    b"$8\r\nprefixes\r\n*2\r\n$5\r\nuser:\r\n$5\r\nacct:\r\n")


def test_optin_optout(conns):
    a, w = conns(), conns()
    a.call("CLIENT", "TRACKING", "on", "OPTIN")
    a.call("GET", "tk7")                     # not cached: not tracked
    assert a.call("CLIENT", "CACHING", "yes") == b"+OK\r\n"
    a.call("GET", "tk8")                     # tracked
    a.call("GET", "tk9")                     # caching flag was consumed: not tracked
    w.call("MSET", "tk7", "1", "tk8", "1", "tk9", "1")
    assert a.read_reply() == INV + b"*1\r\n$3\r\ntk8\r\n"
    assert nothing_pending(a)
    b = conns()
    b.call("CLIENT", "TRACKING", "on", "OPTOUT")
    b.call("CLIENT", "CACHING", "no")
    b.call("GET", "tk10")                    # excluded
    b.call("GET", "tk11")
    w.call("MSET", "tk10", "1", "tk11", "1")
    assert b.read_reply() == INV + b"*1\r\n$4\r\ntk11\r\n"
    assert nothing_pending(b)


def test_resp2_redirect_channel(conns):
    sink = conns(resp3=False)
    sink_id = client_id(sink)
    sink.send(encode_command("SUBSCRIBE", "__redis__:invalidate"))
    assert sink.read_reply().startswith(b"*3\r\n$9\r\nsubscribe")
    a, w = conns(resp3=False), conns()
    assert a.call("CLIENT", "TRACKING", "on", "REDIRECT", sink_id) == b"+OK\r\n"
    assert a.call("CLIENT", "GETREDIR") == b":%d\r\n" % sink_id
    a.call("GET", "tk12")
    w.call("SET", "tk12", "1")
    assert sink.read_reply() == (b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
                                 b"*1\r\n$4\r\ntk12\r\n")
    assert nothing_pending(a)


def test_errors_and_info(conns):
    a = conns()
    assert a.call("CLIENT", "GETREDIR") == b":-1\r\n"
    assert a.call("CLIENT", "CACHING", "yes").startswith(b"-ERR CLIENT CACHING can be called only")
    assert a.call("CLIENT", "TRACKING", "on", "PREFIX", "x") == \
        b"-ERR PREFIX option requires BCAST mode to be enabled\r\n"
    assert a.call("CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT") == \
        b"-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"
    assert a.call("CLIENT", "TRACKING", "on", "REDIRECT", "999999") == \
        b"-ERR The client ID you want redirect to does not exist\r\n"
    assert a.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a") == (
        b"-ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single "
        b"client must not overlap.\r\n")
    assert a.call("CLIENT", "TRACKING", "maybe") == b"-ERR syntax error\r\n"
    a.call("CLIENT", "TRACKING", "on", "OPTIN")
    assert a.call("CLIENT", "TRACKING", "on", "OPTOUT").startswith(b"-ERR You can't switch OPTIN/OPTOUT")
    assert a.call("CLIENT", "CACHING", "no") == \
        b"-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n"
    assert b"flags=t" in a.call("CLIENT", "INFO")
    assert a.call("CLIENT", "TRACKING", "off") == b"+OK\r\n"
    assert a.call("CLIENT", "TRACKINGINFO") == (b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n"
                                                b"$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")


def test_expired_key_invalidates(conns):
    a, w = conns(), conns()
    a.call("CLIENT", "TRACKING", "on")
    w.call("SET", "tk13", "v", "PX", "50")
    a.call("GET", "tk13")
    time.sleep(0.3)          # active expiry (or the lazy one below) deletes it
    w.call("GET", "tk13")
    assert a.read_reply() == INV + b"*1\r\n$4\r\ntk13\r\n"


def test_redis_py_client_side_cache(srv):
    redis = pytest.importorskip("redis")
    try:
        from redis.cache import CacheConfig
    except ImportError:
        pytest.skip("redis-py without client-side caching")
    from redis.connection import CacheProxyConnection
    # redis-py only enables its cache for servers that report 7.4+; ember reports 7.2.
    saved = CacheProxyConnection.MIN_ALLOWED_VERSION
    CacheProxyConnection.MIN_ALLOWED_VERSION = "7.2.0"
    try:
        r = redis.Redis(port=srv.port, protocol=3, cache_config=CacheConfig())
        w = redis.Redis(port=srv.port)
        w.set("pycache", "1")

        def get_calls():
            stats = w.info("commandstats").get("cmdstat_get", {})
            return stats.get("calls", 0)
        assert r.get("pycache") == b"1"
        before = get_calls()
        for _ in range(5):
            assert r.get("pycache") == b"1"    # served from the local cache
        assert get_calls() == before
        assert r.get_cache().size >= 1
        w.set("pycache", "2")
        deadline = time.time() + 3
        while r.get("pycache") != b"2":
            assert time.time() < deadline, "cache never invalidated"
            time.sleep(0.02)
        assert get_calls() > before
        r.close()
        w.close()
    finally:
        CacheProxyConnection.MIN_ALLOWED_VERSION = saved
