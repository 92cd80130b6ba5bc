"""ACL over real connections (one ember process for the module): redis-py with a restricted
user, disconnections Redis does (ACL DELUSER; revoked channel permissions of a subscriber;
CLIENT KILL USER), what it does not (SETUSER off or a new password keep connections),
CLIENT LIST's user field."""

import time

import pytest
import redis

from helpers import ServerProcess


@pytest.fixture(scope="module")
def server():
    with ServerProcess("ember") as s:
        yield s


@pytest.fixture
def admin(server):
    r = redis.Redis(port=server.port)
    yield r
    for name in r.acl_users():
        if name not in ("default", b"default"):
            r.acl_deluser(name)
    r.acl_log_reset()
    r.close()


def user_conn(server, name, pw="pw", **kw):
    return redis.Redis(port=server.port, username=name, password=pw, **kw)


def raw_user(server, name, pw="pw"):
    c = redis.Connection(port=server.port, username=name, password=pw, protocol=2)
    c.connect()
    return c


def is_closed(conn) -> bool:
    try:
        conn.send_command("PING")
        conn.read_response()
        return False
    except (redis.ConnectionError, OSError):
        return True


def test_redis_py_with_a_restricted_user(server, admin):
    admin.acl_setuser("app", enabled=True, passwords=["+pw"], keys=["app:*"],
                      commands=["+@read", "+@write", "-@dangerous", "+ping", "+publish", "+acl|whoami"], channels=["app.*"])
    r = user_conn(server, "app")
    assert r.ping() is True
    assert r.set("app:1", "v") is True
    assert r.get("app:1") == b"v"
    with pytest.raises(redis.exceptions.NoPermissionError, match="No permissions to access a key"):
        r.get("other")
    with pytest.raises(redis.exceptions.NoPermissionError,
                       match="User app has no permissions to run the 'flushall' command"):
        r.flushall()
    assert r.publish("app.news", "x") == 0
    with pytest.raises(redis.exceptions.NoPermissionError, match="access a channel"):
        r.publish("news", "x")
    assert r.acl_whoami() in ("app", b"app")   # redis-py versions differ in decoding
    info = admin.acl_getuser("app")
    assert info["enabled"] is True
    assert info["keys"] == ["~app:*"] and info["channels"] == ["&app.*"]
    assert info["categories"] == ["-@all", "+@read", "+@write", "-@dangerous"]
    assert info["commands"] == ["+ping", "+publish", "+acl|whoami"]
    log = admin.acl_log()
    assert {e["reason"] for e in log} == {"key", "command", "channel"}
    stats = admin.info("stats")
    assert stats["acl_access_denied_cmd"] >= 1 and stats["acl_access_denied_key"] >= 1
    r.close()


def test_client_list_and_kill_user(server, admin):
    admin.execute_command("ACL", "SETUSER", "k", "on", ">pw", "+@all", "~*", "&*")
    c1, c2 = raw_user(server, "k"), raw_user(server, "k")
    users = {cl["user"] for cl in admin.client_list()}
    assert "k" in users
    assert admin.execute_command("CLIENT", "KILL", "USER", "k") == 2
    assert is_closed(c1) and is_closed(c2)
    with pytest.raises(redis.ResponseError, match="No such user 'nobody'"):
        admin.execute_command("CLIENT", "KILL", "USER", "nobody")


def test_deluser_disconnects_but_off_and_new_password_do_not(server, admin):
    admin.execute_command("ACL", "SETUSER", "d", "on", ">pw", "+@all", "~*")
    c = raw_user(server, "d")
    admin.execute_command("ACL", "SETUSER", "d", "off", "resetpass", ">other")
    assert not is_closed(c)
    admin.execute_command("ACL", "DELUSER", "d")
    assert is_closed(c)


def test_revoked_channels_disconnect_subscribers(server, admin):
    admin.execute_command("ACL", "SETUSER", "s", "on", ">pw", "+@all", "allchannels")
    sub = raw_user(server, "s")
    psub = raw_user(server, "s")
    other = raw_user(server, "s")
    sub.send_command("SUBSCRIBE", "news.1")
    sub.read_response()
    psub.send_command("PSUBSCRIBE", "news.*")
    psub.read_response()
    # a pattern stays allowed only if the user has it literally
    admin.execute_command("ACL", "SETUSER", "s", "resetchannels", "&news.*")
    time.sleep(0.05)
    assert not is_closed(other)
    other.disconnect()
    sub.send_command("PING")
    assert sub.read_response() == [b"pong", b""]
    admin.execute_command("ACL", "SETUSER", "s", "resetchannels", "&news.1")
    assert is_closed(psub)
    sub.send_command("PING")
    assert sub.read_response() == [b"pong", b""]
    admin.execute_command("ACL", "SETUSER", "s", "resetchannels")
    assert is_closed(sub)


def test_deluser_of_self_closes_after_the_reply(server, admin):
    admin.execute_command("ACL", "SETUSER", "me", "on", ">pw", "+@all", "~*")
    c = raw_user(server, "me")
    c.send_command("ACL", "DELUSER", "me")
    assert c.read_response() == 1
    assert is_closed(c)
