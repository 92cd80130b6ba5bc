"""redis-py (sync and asyncio, RESP2 and RESP3) against a real ember server: connecting with
its defaults (HELLO, CLIENT SETINFO) and the string/key/connection/server calls."""

import asyncio

import pytest

redis = pytest.importorskip("redis")


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request, ember_shared):
    client = redis.Redis(port=ember_shared.port, protocol=request.param)
    client.flushall()
    yield client
    client.close()


def test_strings(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.set("k", "w", nx=True) is None
    assert r.set("k", "w", xx=True, get=True) == b"v"
    assert r.getex("k", ex=100) == b"w"
    assert 99 <= r.ttl("k") <= 100
    assert r.getdel("k") == b"w"
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b", "c") == [b"1", b"2", None]
    assert r.msetnx({"a": "x", "z": "y"}) is False
    assert r.incr("a") == 2
    assert r.incrby("a", 5) == 7
    assert r.decr("a") == 6
    assert r.incrbyfloat("f", 1.5) == 1.5
    assert r.append("s", "abc") == 3
    assert r.strlen("s") == 3
    assert r.getrange("s", 0, 1) == b"ab"
    assert r.setrange("s", 1, "ZZ") == 3
    assert r.setex("e", 10, "v") is True
    assert r.psetex("p", 10000, "v") is True
    assert r.setnx("n", "v") is True
    assert r.getset("n", "w") == b"v"
    r.mset({"k1": "ohmytext", "k2": "mynewtext"})
    assert r.lcs("k1", "k2") == b"mytext"


def test_keys_and_expiry(r):
    r.set("a", "1")
    assert r.exists("a", "a", "b") == 2
    assert r.type("a") in (b"string", "string")
    assert r.expire("a", 100) is True
    assert r.expire("a", 50, gt=True) is False
    assert r.pexpire("a", 200000) is True
    assert r.persist("a") is True
    assert r.ttl("a") == -1
    assert r.expireat("a", 4102444800) is True
    assert r.expiretime("a") == 4102444800
    assert r.rename("a", "b") is True
    assert r.renamenx("b", "c") is True
    assert r.copy("c", "d") is True
    assert r.move("d", 1) is True
    assert sorted(r.keys("*")) == [b"c"]
    assert r.randomkey() == b"c"
    assert r.touch("c", "x") == 1
    assert r.unlink("c") == 1
    assert r.dbsize() == 0
    for i in range(100):
        r.set("key:%d" % i, i)
    assert len(list(r.scan_iter(match="key:*", count=7))) == 100
    assert r.object("encoding", "key:1") in (b"int", "int")


def test_connection_and_server(r):
    assert r.ping() is True
    assert r.echo("hi") == b"hi"
    assert r.client_setname("me") is True
    assert r.client_getname() in (b"me", "me")
    assert isinstance(r.client_id(), int)
    assert any(c["name"] == "me" for c in r.client_list())
    info = r.info()
    assert info["redis_version"].startswith("7.2")
    assert "ember_version" in info
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_set("maxmemory-policy", "allkeys-lru") is True
    r.config_set("maxmemory-policy", "noeviction")
    assert isinstance(r.time(), tuple)
    assert r.dbsize() == 0
    assert r.flushdb() is True
    assert r.command_count() > 200
    assert r.lastsave() is not None
    p = r.pipeline(transaction=True)
    p.set("x", 1).incr("x").get("x")
    assert p.execute() == [True, 2, b"2"]


def test_asyncio_client(ember_shared):
    import redis.asyncio as aredis

    async def main():
        for proto in (2, 3):
            c = aredis.Redis(port=ember_shared.port, protocol=proto)
            await c.set("ak", "v")
            assert await c.get("ak") == b"v"
            assert await c.incr("ac") >= 1
            await c.delete("ak", "ac")
            await c.aclose()

    asyncio.run(main())
