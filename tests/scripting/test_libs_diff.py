"""Lua libraries (cjson, cmsgpack, struct, bit), math.random and pcall(redis.call) compared
byte for byte with the oracle redis-server."""

import pytest

from helpers import RawConn, ServerProcess, have_redis

pytestmark = pytest.mark.skipif(not have_redis(), reason="redis-server not installed")

LIBS = [
    "return cjson.encode({1,2,3,'x'})",
    "return cjson.encode({a=1})",
    "return cjson.encode({a={b={1,2,{c='d'}}}})",
    "return cjson.encode('he said \"hi\"\\n')",
    "return cjson.encode(3.25)",
    "return cjson.encode(true)",
    "return cjson.encode(cjson.null)",
    "return cjson.decode('[1,2,3,\"x\"]')",
    "return cjson.decode('{\"a\":[1,2,{\"b\":\"c\"}]}').a[3].b",
    "return cjson.encode(cjson.decode('{\"k\":[1,2,3]}'))",
    "return cjson.encode(cjson.decode('[1,\"two\",[3]]'))",
    "return tostring(cjson.decode('null') == cjson.null)",
    "local t = cjson.decode('[1,null,3]') return {t[1], tostring(t[2] == cjson.null), t[3]}",
    "return cjson.decode('x')",
    "local x = cjson.encode(function() end)",
    "local ok, e = pcall(cjson.decode, 'x') return e",
    "return cmsgpack.pack({1,2,'a'})",
    "return cmsgpack.pack(1, 'abc', -5, 300, 70000, -200)",
    "return cmsgpack.pack({a=1})",
    "return cmsgpack.pack(true, false)",
    "return cmsgpack.unpack(cmsgpack.pack({1,2,'a'}))",
    "return {cmsgpack.unpack(cmsgpack.pack(1,2,3))}",
    "return cmsgpack.unpack(cmsgpack.pack({x={1,2}})).x",
    "return cmsgpack.pack(string.rep('a', 40))",
    "return cmsgpack.unpack(cmsgpack.pack(-1000000000))",
    "return struct.pack('>I2', 5)",
    "return struct.pack('<i4 h', -2, 7)",
    "return struct.pack('BBB', 1, 2, 3)",
    "return {struct.unpack('>I2', 'ab')}",
    "return {struct.unpack('<i4', struct.pack('<i4', -123456))}",
    "return {struct.unpack('BB', 'xyz', 2)}",
    "return struct.size('>I2i')",
    "return struct.size('bhd')",
    "local x = struct.pack('>I2')",
    "local x = struct.unpack('I4', 'a')",
    "return bit.band(7, 3)",
    "return bit.band(0xff, 0x0f, 0x3)",
    "return bit.bor(1, 2, 4)",
    "return bit.bxor(5, 3)",
    "return bit.bnot(0)",
    "return bit.lshift(1, 31)",
    "return bit.rshift(-1, 28)",
    "return bit.arshift(-256, 4)",
    "return bit.tobit(0xffffffff + 1)",
    "return bit.tobit(2^32 + 5)",
    "return bit.tohex(255)",
    "return bit.tohex(-1, -4)",
    "return bit.tohex(0x1234abcd, 4)",
    "return bit.rol(0x12345678, 8)",
    "return bit.bswap(0x12345678)",
    "local x = bit.band('x')",
]

PCALL = [
    "local ok, e = pcall(redis.call, 'nosuchcmd') return {tostring(ok), type(e), tostring(e)}",
    "local ok, e = pcall(redis.call, 'incr') return {tostring(ok), type(e), e}",
    "redis.call('set','{t}x','a') local ok, e = pcall(redis.call, 'incr','{t}x') return e",
    "local ok, e = pcall(redis.call) return e",
    "local ok, e = pcall(redis.call, {}) return e",
    "local ok, e = pcall(error, {err='x'}) return {type(e), e}",
    "local ok, e = pcall(error, {err=5}) return {type(e), tostring(e)}",
    "local ok, e = pcall(error, {foo=1}) return {type(e)}",
    "local ok, e = xpcall(function() redis.call('nosuch') end, function(x) return x end) "
    "return {type(e), e.err}",
    "local ok, e = pcall(function() return redis.call('nosuch') end) return {type(e), e}",
    "return pcall(redis.call, 'nosuchcmd')",
    "return {pcall(function() return 1, 2 end)}",
    "return redis.call('nosuchcmd')",
    "local function f() return redis.call('nosuch') end\nlocal y = 1\nreturn f()",
    "local e = redis.pcall('nosuchcmd') return {type(e), e.err}",
    "error({err='My Error'})",
]


def _diff(ember_shared, redis_oracle, scripts):
    a, b = RawConn(redis_oracle.port), RawConn(ember_shared.port)
    bad = []
    for s in scripts:
        x, y = a.call("eval", s, "0"), b.call("eval", s, "0")
        if x != y:
            bad.append((s, x, y))
    a.close(); b.close()
    assert not bad, bad


def test_libraries(ember_shared, redis_oracle):
    _diff(ember_shared, redis_oracle, LIBS)


def test_pcall_redis_call(ember_shared, redis_oracle):
    _diff(ember_shared, redis_oracle, PCALL)


def test_math_random_sequence():
    # one rand48 sequence per process, never reseeded between scripts: fresh servers
    scripts = ["return tostring(math.random())", "return tostring(math.random())",
               "return {math.random(10), math.random(5, 10), math.random(100)}",
               "return {tostring(math.random()), math.random(1, 1000000)}",
               "math.randomseed(5) return {tostring(math.random()), tostring(math.random())}",
               "return tostring(math.random())",
               "return math.random(0)", "return math.random(3, 1)",
               "return math.random(1, 2, 3)", "return {math.random(2.9)}"]
    with ServerProcess("redis") as r, ServerProcess("ember") as e:
        a, b = RawConn(r.port), RawConn(e.port)
        for s in scripts:
            assert b.call("eval", s, "0") == a.call("eval", s, "0"), s
        a.close(); b.close()
