"""FUNCTION LOAD/REPLACE/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS, FCALL/FCALL_RO and flags,
compared byte for byte with the oracle."""

import pytest

from helpers import RawConn, have_redis

pytestmark = pytest.mark.skipif(not have_redis(), reason="redis-server not installed")

LIB1 = ("#!lua name=lib1\n"
        "redis.register_function('echo1', function(keys, args) return args[1] end)\n"
        "redis.register_function{function_name='ro1', callback=function(keys, args) "
        "return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}\n"
        "redis.register_function('w1', function(keys, args) "
        "return redis.call('set', keys[1], args[1]) end)\n")
LIB1B = LIB1.replace("return args[1]", "return 'v2'")
LIB2 = ("#!lua name=lib2\n"
        "redis.register_function{function_name='oom1', callback=function() return 1 end, "
        "flags={'allow-oom', 'no-writes'}}\n")

SEQ = [
    ("FUNCTION", "FLUSH"),
    ("FUNCTION", "LOAD", LIB1),
    ("FUNCTION", "LOAD", LIB1),
    ("FUNCTION", "LOAD", "REPLACE", LIB1B),
    ("FCALL", "echo1", "0", "hello"),
    ("FUNCTION", "LOAD", LIB2),
    # (the order of functions inside a library is Redis' hash order: list one-function
    # libraries only)
    ("FUNCTION", "LIST", "LIBRARYNAME", "lib2"),
    ("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib2"),
    ("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"),
    ("FCALL", "w1", "1", "{f}k", "val"),
    ("FCALL", "ro1", "1", "{f}k"),
    ("FCALL_RO", "ro1", "1", "{f}k"),
    ("FCALL_RO", "w1", "1", "{f}k", "x"),
    ("FCALL", "nosuch", "0"),
    ("FCALL", "echo1", "5", "a"),
    ("FCALL", "echo1", "x"),
    ("FUNCTION", "STATS"),
    ("FUNCTION", "DELETE", "lib2"),
    ("FUNCTION", "DELETE", "lib2"),
    ("FCALL", "oom1", "0"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('echo1', function() end)"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nreturn 1"),
    ("FUNCTION", "LOAD", "#!lua\nreturn 1"),
    ("FUNCTION", "LOAD", "#!nolang name=x\nreturn 1"),
    ("FUNCTION", "LOAD", "no shebang"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('f', function() end, 1)"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function{function_name='f', "
                         "callback=function() end, flags={'bogus'}}"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nredis.call('ping')"),
    ("FUNCTION", "LOAD", "#!lua name=bad\nsyntax error here"),
    ("FUNCTION", "LOAD", "#!lua name=b-d\nredis.register_function('f', function() end)"),
    ("FUNCTION", "RESTORE", "garbage"),
    ("FUNCTION", "FLUSH", "BOGUS"),
    ("FUNCTION", "LIST", "BOGUS"),
    ("FUNCTION", "FLUSH", "ASYNC"),
    ("FUNCTION", "LIST"),
    ("FCALL", "echo1", "0", "x"),
]


def test_function_sequence(ember_shared, redis_oracle):
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    bad = []
    for cmd in SEQ:
        x, y = a.call(*cmd), b.call(*cmd)
        if x != y:
            bad.append((cmd, x, y))
    a.call("FUNCTION", "FLUSH")
    b.call("FUNCTION", "FLUSH")
    a.close()
    b.close()
    assert not bad, bad


def test_dump_restore_policies(ember_shared, redis_oracle):
    for port in (redis_oracle.port, ember_shared.port):
        c = RawConn(port)
        c.call("FUNCTION", "FLUSH")
        assert c.call("FUNCTION", "LOAD", LIB1) == b"$4\r\nlib1\r\n"
        c.call("FUNCTION", "LOAD", LIB2)
        dump = c.call("FUNCTION", "DUMP")
        payload = dump[dump.index(b"\r\n") + 2:-2]
        # which library is named depends on Redis' hash order
        assert c.call("FUNCTION", "RESTORE", payload) in (
            b"-ERR Library lib1 already exists\r\n", b"-ERR Library lib2 already exists\r\n")
        assert c.call("FUNCTION", "RESTORE", payload, "BOGUS").startswith(b"-ERR Wrong restore")
        assert c.call("FUNCTION", "RESTORE", payload, "REPLACE") == b"+OK\r\n"
        c.call("FUNCTION", "DELETE", "lib2")
        assert c.call("FUNCTION", "RESTORE", payload, "FLUSH") == b"+OK\r\n"
        assert c.call("FCALL", "echo1", "0", "z") == b"$1\r\nz\r\n"
        c.call("FUNCTION", "FLUSH")
        assert c.call("FUNCTION", "RESTORE", payload) == b"+OK\r\n"
        assert c.call("FCALL", "oom1", "0") == b":1\r\n"
        bad = payload[:-1] + bytes([payload[-1] ^ 1])
        assert c.call("FUNCTION", "RESTORE", bad) == (
            b"-ERR DUMP payload version or checksum are wrong\r\n")
        c.call("FUNCTION", "FLUSH")
        c.close()


def test_dump_interop(ember_shared, redis_oracle):
    """A payload dumped by the oracle (RDB 10) restores on ember (ember dumps RDB 11, as
    Redis 7.2 does, which the 7.0 oracle refuses)."""
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    for src, dst in ((a, b),):
        src.call("FUNCTION", "FLUSH")
        dst.call("FUNCTION", "FLUSH")
        src.call("FUNCTION", "LOAD", LIB1)
        dump = src.call("FUNCTION", "DUMP")
        payload = dump[dump.index(b"\r\n") + 2:-2]
        assert dst.call("FUNCTION", "RESTORE", payload) == b"+OK\r\n"
        assert dst.call("FCALL", "echo1", "0", "q") == b"$1\r\nq\r\n"
        src.call("FUNCTION", "FLUSH")
        dst.call("FUNCTION", "FLUSH")


OOM_LIB = ("#!lua name=oomlib\n"
           "redis.register_function('plain', function(k, a) return redis.call('set', k[1], 'v') end)\n"
           "redis.register_function{function_name='ro', callback=function(k, a) "
           "return redis.call('get', k[1]) end, flags={'no-writes'}}\n"
           "redis.register_function{function_name='aoom', callback=function(k, a) "
           "return redis.call('set', k[1], 'v') end, flags={'allow-oom'}}\n")
OOM_CMDS = [
    ("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "{o}k"),
    ("EVAL", "return redis.call('get', KEYS[1])", "1", "{o}k"),
    ("EVAL", "return 1", "0"),
    ("EVAL", "#!lua\nreturn 1", "0"),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "{o}k"),
    ("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'v')", "1", "{o}k"),
    ("EVAL", "return redis.pcall('set', KEYS[1], 'v')['err']", "1", "{o}k"),
    ("FCALL", "plain", "1", "{o}k"),
    ("FCALL", "ro", "1", "{o}k"),
    ("FCALL_RO", "ro", "1", "{o}k"),
    ("FCALL", "aoom", "1", "{o}k"),
]


def test_scripts_over_maxmemory():
    """OOM rules of scripts and functions (checked before the run or per redis.call) once
    used memory is over maxmemory: own servers, since maxmemory 1 breaks everything else."""
    from helpers import ServerProcess
    with ServerProcess("redis") as r, ServerProcess("ember") as e:
        a, b = RawConn(r.port), RawConn(e.port)
        for conn in (a, b):
            conn.call("FUNCTION", "LOAD", OOM_LIB)
            conn.call("SET", "{o}k", "x")
            conn.call("CONFIG", "SET", "maxmemory", "1")
        bad = [(cmd, x, y) for cmd in OOM_CMDS
               for x, y in [(a.call(*cmd), b.call(*cmd))] if x != y]
        for conn in (a, b):
            conn.call("CONFIG", "SET", "maxmemory", "0")
            conn.close()
        assert not bad, bad
