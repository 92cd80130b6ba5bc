"""server/gcpolicy.py: the server process freezes what survives the middle generation, which
is only safe because ember's code makes no reference cycles.  The first test is the guard:
a wide workload over real connections, with the collector off, must leave nothing for a
collection to find."""

import asyncio
import gc

import pytest

from ember.config import Config
from ember.server import gcpolicy
from ember.server.app import Server
from ember.server.network import EmberProtocol, Network


def _req(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


async def _ask(port, *cmds, read=True):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"".join(_req(*c) for c in cmds))
    await w.drain()
    data = b""
    if read:
        try:
            data = await asyncio.wait_for(r.read(65536), 2)
        except asyncio.TimeoutError:
            pass
    w.close()
    return data


async def _workload(port):
    await _ask(port, ("SET", "s", "v"), ("SET", "t", "v", "PX", "5"), ("INCR", "n"), ("GET", "s"),
               ("MSET", "a", "1", "b", "2", "c", "3"), ("APPEND", "s", "x"), ("GETRANGE", "s", 0, 1))
    await _ask(port, ("HSET", "h", "f", "v", "g", "w"), ("HGETALL", "h"), ("HEXPIRE", "h", 100, "FIELDS", 1, "f"),
               ("RPUSH", "l", "a", "b", "c"), ("LRANGE", "l", 0, -1), ("LPOP", "l"),
               ("SADD", "st", "a", "b", 1, 2), ("SINTER", "st", "st"), ("SPOP", "st"),
               ("ZADD", "z", 1, "a", 2, "b"), ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZPOPMIN", "z"),
               ("XADD", "x", "*", "f", "v"), ("XGROUP", "CREATE", "x", "g", "0"),
               ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"), ("XACK", "x", "g", "0-1"),
               ("PFADD", "hl", "a", "b"), ("SETBIT", "bt", 7, 1), ("GEOADD", "geo", 13.3, 52.5, "berlin"),
               ("GEOADD", "geo", 13.3, 52.6, "b2", 13.3, 52.4, "b3"),
               ("GEOSEARCH", "geo", "FROMLONLAT", 13, 52, "BYRADIUS", 100, "km"),
               ("GEOSEARCH", "geo", "FROMLONLAT", 13.3, 52.5, "BYBOX", 400, 400, "km", "COUNT", 2, "ASC"),
               ("GEOSEARCH", "geo", "FROMMEMBER", "berlin", "BYRADIUS", 50, "km", "COUNT", 1, "ANY"))
    # errors, MULTI/EXEC, WATCH, scripts and functions (loaded, replaced, deleted)
    await _ask(port, ("NOSUCH",), ("INCR", "h"), ("GET",), ("MULTI",), ("INCR", "n"), ("EXEC",),
               ("WATCH", "n"), ("MULTI",), ("SET", "n", 1), ("EXEC",), ("MULTI",), ("NOSUCH",), ("EXEC",),
               ("EVAL", "return redis.call('incr', KEYS[1])", 1, "n"), ("EVAL", "return redis.call('incr', 'h')", 0),
               ("EVAL", "error(", 0), ("EVAL", "return cjson.encode({1, 2.5, {a = {3}}})", 0),
               ("EVAL", "return cmsgpack.pack(cjson.decode('[1, {\"a\": 2}]'))", 0), ("EVAL", "return {1, {2, 'x'}, redis.error_reply('E')}", 0),
               ("FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nredis.register_function('f1', function() return 1 end)"),
               ("FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nredis.register_function('f1', function() return 2 end)"),
               ("FCALL", "f1", 0), ("FUNCTION", "DELETE", "lib"), ("SCRIPT", "FLUSH"))
    await _ask(port, ("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f2', function() return 2 end)"),
               ("FUNCTION", "DUMP"), ("FUNCTION", "FLUSH"), ("SCRIPT", "FLUSH", "ASYNC"),
               ("COPY", "h", "h2"), ("RENAME", "h2", "h3"), ("MOVE", "h3", 1), ("SWAPDB", 0, 1), ("SWAPDB", 0, 1),
               ("SELECT", 1), ("FLUSHDB", "ASYNC"), ("SELECT", 0), ("RESET",), ("CLIENT", "NO-EVICT", "on"),
               ("OBJECT", "FREQ", "h"), ("MEMORY", "USAGE", "z"), ("LATENCY", "LATEST"), ("ACL", "WHOAMI"),
               ("WAIT", 0, 0), ("RANDOMKEY",), ("KEYS", "*"), ("TYPE", "x"), ("XINFO", "STREAM", "x", "FULL"))
    await _ask(port, ("HELLO", 3), ("HGETALL", "h"), ("CLIENT", "SETNAME", "x"), ("CLIENT", "LIST"),
               ("SCAN", 0, "COUNT", 5), ("SORT", "l", "ALPHA"), ("DUMP", "h"), ("OBJECT", "ENCODING", "z"),
               ("INFO",), ("CONFIG", "GET", "*"), ("COMMAND", "INFO", "get"), ("SLOWLOG", "GET"))
    # a blocked client that disconnects, and one that is served
    await _ask(port, ("BLPOP", "nolist", 0), read=False)
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(_req("BZPOPMIN", "zq", 0))
    await w.drain()
    await asyncio.sleep(0.05)
    await _ask(port, ("ZADD", "zq", 1, "m"))
    assert (await asyncio.wait_for(r.read(100), 2)).startswith(b"*3")
    w.close()
    # pub/sub, MONITOR, CLIENT KILL, protocol errors, a command cut off mid-way
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(_req("SUBSCRIBE", "ch") + _req("PSUBSCRIBE", "p*"))
    await w.drain()
    await asyncio.sleep(0.05)
    await _ask(port, ("PUBLISH", "ch", "m"), ("PUBLISH", "px", "m"))
    await asyncio.wait_for(r.read(1000), 2)
    w.close()
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(_req("MONITOR"))
    await w.drain()
    await asyncio.sleep(0.05)
    await _ask(port, ("PING",))
    w.close()
    await _ask(port, ("CLIENT", "KILL", "TYPE", "pubsub"))
    for junk in (b"*1\r\n$-5\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nab", b"\x00\xff junk\r\n"):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(junk)
        await w.drain()
        await asyncio.sleep(0.02)
        w.close()
    await asyncio.sleep(0.1)    # let the server see every close


def test_no_reference_cycles_from_a_wide_workload():
    async def main():
        cfg = Config()
        cfg.set([(b"port", b"0"), (b"bind", b"127.0.0.1"), (b"save", b""), (b"appendonly", b"no")])
        server = Server(cfg)
        net = Network(server)
        # port 0 would mean "no TCP" to the server: listen on an ephemeral port ourselves
        loop = asyncio.get_running_loop()
        net.loop = loop
        net.stop_event = asyncio.Event()
        srv = await loop.create_server(lambda: EmberProtocol(server, net), "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        try:
            await _workload(port)             # warm-up: first-use caches, imports
            gc.collect()
            gc.disable()
            try:
                await _workload(port)
                found = gc.collect()
            finally:
                gc.enable()
        finally:
            srv.close()
        return found

    try:
        import uvloop        # what the server runs on (asyncio's own transports make cycles)
        run = uvloop.run
    except ImportError:
        run = asyncio.run
    assert run(main()) == 0


def test_install_freezes_survivors_of_the_middle_generation():
    gcpolicy.uninstall()
    before = gc.get_freeze_count()
    try:
        gcpolicy.install()
        assert gcpolicy.installed()
        assert gc.get_freeze_count() >= before
        keep = [[i] for i in range(5000)]
        gc.collect(1)
        frozen = gc.get_freeze_count()
        assert frozen >= before + 5000
        assert not gcpolicy.before_fork()      # nothing to hand back after the fork
        keep.append([0])
        del keep
    finally:
        gcpolicy.uninstall()
    assert not gcpolicy.installed()
    assert gc.get_freeze_count() == 0


def test_full_collect_reaches_frozen_cycles(ember):
    gcpolicy.uninstall()
    try:
        gcpolicy.install()
        a, b = [], []
        a.append(b)
        b.append(a)
        gc.collect(1)                          # both survive it: frozen
        del a, b
        assert gc.collect() == 0               # a collection cannot see them
        assert gcpolicy.full_collect() >= 2    # MEMORY PURGE's collection can
        assert gcpolicy.installed()
        assert ember.execute("MEMORY", "PURGE") == "OK"
    finally:
        gcpolicy.uninstall()


@pytest.mark.parametrize("installed", [False, True])
def test_before_fork_contract(installed):
    gcpolicy.uninstall()
    try:
        if installed:
            gcpolicy.install()
        unfreeze = gcpolicy.before_fork()
        assert unfreeze is (not installed)
        assert gc.get_freeze_count() > 0       # the child's collector has nothing to walk
        gcpolicy.after_fork(unfreeze)
        if not installed:
            assert gc.get_freeze_count() == 0  # handed back: the process keeps its usual collector
        else:
            assert gc.get_freeze_count() > 0   # stays frozen: that is the policy
    finally:
        gcpolicy.uninstall()
