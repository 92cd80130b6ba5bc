"""Lua <-> RESP2/RESP3 conversion rules and script error texts, byte for byte vs the oracle."""

import pytest

from helpers import RawConn, have_redis

pytestmark = pytest.mark.skipif(not have_redis(), reason="redis-server not installed")

SETUP = [
    ("DEL", "{c}h", "{c}s", "{c}z", "{c}str", "{c}l"),
    ("HSET", "{c}h", "f1", "v1", "f2", "v2"),
    ("SADD", "{c}s", "a"),
    ("ZADD", "{c}z", "1.5", "m"),
    ("SET", "{c}str", "hello"),
    ("RPUSH", "{c}l", "x", "y"),
]

SCRIPTS = [
    "return 1", "return -7", "return 3.99", "return -3.99", "return 'str'", "return true",
    "return false", "return nil", "return {}", "return {1, 'two', {3, false}, true}",
    "return {1, nil, 3}", "return {ok='fine'}", "return {err='My Error'}",
    "return {err='-NOPE bad'}", "return redis.status_reply('STATUS')",
    "return redis.error_reply('My Error')", "return redis.error_reply('-WRONG x')",
    "return {double=3.5}", "return {map={a=1}}", "return {set={a=true}}",
    "return {big_number='12345678901234567890'}", "return 0/0", "return 1/0",
    "return redis.call('hgetall', '{c}h')", "return redis.call('smembers', '{c}s')",
    "return redis.call('zscore', '{c}z', 'm')", "return redis.call('get', '{c}nokey')",
    "return type(redis.call('get', '{c}nokey'))", "return redis.call('ping')",
    "return type(redis.call('ping'))", "return redis.call('ping').ok",
    "return redis.call('lrange', '{c}l', 0, -1)", "return redis.call('exists', '{c}str')",
    "return redis.call('set', '{c}str', 'hello')",
    "redis.setresp(3) return redis.call('hgetall', '{c}h')",
    "redis.setresp(3) local r = redis.call('hgetall', '{c}h') return {type(r), type(r.map)}",
    "redis.setresp(3) return redis.call('zscore', '{c}z', 'm')",
    "redis.setresp(3) local r = redis.call('zscore', '{c}z', 'm') return {type(r), tostring(r.double)}",
    "redis.setresp(3) return redis.call('get', '{c}nokey')",
    "redis.setresp(3) return type(redis.call('get', '{c}nokey'))",
    "redis.setresp(3) return redis.call('smembers', '{c}s')",
    "redis.setresp(4)",
    "return redis.call('hset', '{c}h')",
    "return redis.call('nosuch')",
    "return redis.call('get', {})",
    "return redis.call()",
    "return redis.call('blpop', '{c}l', 0)",
    "return redis.call('eval', 'return 1', 0)",
    "return redis.pcall('incr', '{c}str')",
    "return foo",
    "x = 5",
    "return string.rep('x', 3) .. tostring(#KEYS) .. tostring(#ARGV)",
    "return redis.sha1hex('abc')",
    "return redis.sha1hex()",
    "redis.log(redis.LOG_WARNING)",
    "return {tostring(redis.REPL_ALL), tostring(redis.REPL_NONE)}",
    "return tonumber('0x10')",
    "return 'a' + 1",
    "return loadstring('return 5')()",
    "return os",
    "return math.huge",
    "return tostring(12345678901234)",
    "return 12345678901234567",
    "return 2^53",
]


@pytest.mark.parametrize("proto", [2, 3])
def test_conversions(ember_shared, redis_oracle, proto):
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    if proto == 3:
        a.call("HELLO", "3")
        b.call("HELLO", "3")
    for cmd in SETUP:
        a.call(*cmd)
        b.call(*cmd)
    bad = []
    for s in SCRIPTS:
        x = a.call("EVAL", s, "0")
        y = b.call("EVAL", s, "0")
        if x != y:
            bad.append((s, x, y))
    a.close()
    b.close()
    assert not bad, bad


NUMKEYS = [" 1", "1_0", "+1", "01", "-1", "1 ", "x", "0", "1", "2", "3", "4"]


def test_numkeys_and_keys_argv(ember_shared, redis_oracle):
    """numkeys parsing and the KEYS/ARGV split for EVAL, EVALSHA and FCALL."""
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    lib = ("#!lua name=nk\nredis.register_function('nk', function(k, a) "
           "return {#k, #a, k[1] or 'none', a[1] or 'none'} end)")
    body = "return {#KEYS, #ARGV, KEYS[1] or 'none', ARGV[1] or 'none', KEYS[#KEYS + 1] == nil}"
    for conn in (a, b):
        conn.call("FUNCTION", "LOAD", "REPLACE", lib)
        conn.call("SCRIPT", "LOAD", body)
    sha = a.call("SCRIPT", "LOAD", body).split(b"\r\n")[1].decode()
    bad = []
    for k in NUMKEYS:
        for cmd in (("EVAL", body), ("EVALSHA", sha), ("EVALSHA", sha.upper()),
                    ("EVALSHA", "f" * 40), ("FCALL", "nk"), ("FCALL", "nosuch")):
            x = a.call(*cmd, k, "{x}a", "{x}b", "c")
            y = b.call(*cmd, k, "{x}a", "{x}b", "c")
            if x != y:
                bad.append((cmd[0], k, x, y))
    a.close()
    b.close()
    assert not bad, bad


def test_fcall_ro_order(ember_shared, redis_oracle):
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    lib = ("#!lua name=ro\nredis.register_function('w', function(k, a) return #k end)\n"
           "redis.register_function{function_name='r', callback=function(k, a) return #k end, "
           "flags={'no-writes'}}")
    for conn in (a, b):
        conn.call("FUNCTION", "LOAD", "REPLACE", lib)
    for fn in ("w", "r", "nosuch"):
        for k in ("x", "5", "1", "-1"):
            assert a.call("FCALL_RO", fn, k, "a") == b.call("FCALL_RO", fn, k, "a"), (fn, k)
    a.close()
    b.close()
