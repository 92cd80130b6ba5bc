"""ACL against redis-server 7.0.15: what 7.0 and 7.2 share (rule parsing and its errors,
GETUSER/LIST for rules 7.0 prints in the order 7.2 keeps, USERS, CAT, GENPASS, DELUSER,
DRYRUN errors, LOG arguments, AUTH/HELLO, a restricted user's replies, MULTI/EXEC re-checks,
redis.acl_check_cmd, ACL LOG entries; INFO's acl_access_denied_* are 7.2 only).  NOPERM texts are compared through
diff_harness.normalise (7.2 wording); what only 7.2 does is in tests/commands/test_acl.py."""

import pytest
import redis

from diff_harness import AsSet, Shape, normalise
from helpers import RawConn

USERS = ("acld_u", "acld_s", "acld_x", "acld_m", "acld_p")
HEX = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"


@pytest.fixture
def servers(redis_oracle, ember_shared):
    yield ember_shared, redis_oracle
    for s in (ember_shared, redis_oracle):
        c = RawConn(s.port)
        c.call("ACL", "DELUSER", *USERS)
        c.call("ACL", "LOG", "RESET")
        c.call("DEL", "acld:foo1", "acld:ro1", "acld:wo1", "acld:b")
        c.close()


class Pair:
    """The same connection (same user) on ember and on the oracle."""

    def __init__(self, servers, user=None, pw="pw", proto=2):
        self.e, self.r = RawConn(servers[0].port), RawConn(servers[1].port)
        if proto == 3:
            self.same("HELLO", "3")
        if user is not None:
            assert self.same("AUTH", user, pw) == b"+OK\r\n"

    def same(self, *cmd):
        got, want = self.e.call(*cmd), self.r.call(*cmd)
        assert normalise(got) == normalise(want), (cmd, got, want)
        return got

    def run(self, cmds):
        for cmd in cmds:
            if isinstance(cmd, Shape):
                got, want = self.e.call(*cmd.cmd), self.r.call(*cmd.cmd)
                assert got[:1] == want[:1], (cmd.cmd, got, want)
            elif isinstance(cmd, AsSet):
                got, want = self.e.call(*cmd.cmd), self.r.call(*cmd.cmd)
                assert sorted(got.split(b"\r\n")) == sorted(want.split(b"\r\n")), (cmd.cmd, got, want)
            else:
                self.same(*cmd)

    def close(self):
        self.e.close()
        self.r.close()


def log_of(server, n=20):
    r = redis.Redis(port=server.port)
    try:
        return [(e["reason"], e["context"], e["object"], e["username"], e["count"])
                for e in r.acl_log(n)]
    finally:
        r.close()


@pytest.mark.parametrize("proto", [2, 3])
def test_setuser_getuser_list(servers, proto):
    p = Pair(servers, proto=proto)
    p.run([
        ("ACL", "SETUSER", "acld_u", "reset", "on", ">pw", "~acld:foo*", "%R~acld:ro*",
         "%W~acld:wo*", "%R~acld:b", "%W~acld:b", "&ch*", "+@all", "-@dangerous"),
        ("ACL", "GETUSER", "acld_u"),
        ("ACL", "SETUSER", "acld_s", "reset", "+get", "~a*", "(+set ~b*)", "(~x", "%R~y", "+@hash)"),
        ("ACL", "GETUSER", "acld_s"),
        ("ACL", "SETUSER", "acld_x", ">a", ">b", ">a", "<b", "#" + HEX, "skip-sanitize-payload"),
        ("ACL", "GETUSER", "acld_x"),
        ("ACL", "SETUSER", "acld_x", "!" + HEX, "nopass", "allkeys", "allchannels", "allcommands"),
        ("ACL", "GETUSER", "acld_x"),
        ("ACL", "SETUSER", "acld_x", "resetpass", "resetkeys", "%RW~k", "resetchannels", "&c", "&c",
         "nocommands", "+select|0", "on"),
        ("ACL", "GETUSER", "acld_x"),
        ("ACL", "SETUSER", "acld_x", "clearselectors", "off"),
        ("ACL", "LIST"),
        ("ACL", "USERS"),
        ("ACL", "GETUSER", "nosuch"),
        ("ACL", "GETUSER", "default"),
    ])
    p.close()


@pytest.mark.parametrize("rule", [
    "bogus", "+nosuch", "+@nosuch", "+client|nosuch", "-select|0", "+config|get|x", "#abc",
    "!abc", "<nope", "%X~k", "%~k", "(bogus)", "(+get bogus)", "ON", "+GET", "~A", "&B"])
def test_setuser_rule_errors(servers, rule):
    p = Pair(servers)
    p.same("ACL", "SETUSER", "acld_x", "~k1", rule)
    p.same("ACL", "LIST")
    p.run([("ACL", "SETUSER", "acld_x", "~*", "~x"), ("ACL", "SETUSER", "acld_x", "&*", "&x"),
           ("ACL", "SETUSER", "acld_x", "(", "+get"), ("ACL", "SETUSER", "a b"),
           ("ACL", "SETUSER", "acld_x", "resetkeys", "%R~*", "~x"), ("ACL", "GETUSER", "acld_x")])
    p.close()


def test_other_subcommands(servers):
    p = Pair(servers)
    p.run([
        ("ACL", "SETUSER", "acld_u", "on", ">pw", "+@all", "-@dangerous", "~acld:foo*"),
        ("ACL", "WHOAMI"), ("ACL", "WHOAMI", "x"),
        # (categories holding 7.2/7.4 additions -- read, write, hash, admin, slow... -- differ)
        ("ACL", "CAT"), AsSet("ACL", "CAT", "keyspace"), AsSet("ACL", "CAT", "PUBSUB"),
        AsSet("ACL", "CAT", "scripting"), AsSet("ACL", "CAT", "list"),
        ("ACL", "CAT", "nosuch"), ("ACL", "CAT", "a", "b"),
        Shape("ACL", "GENPASS"), ("ACL", "GENPASS", "0"), ("ACL", "GENPASS", "4097"),
        ("ACL", "GENPASS", "x"),
        ("ACL", "DRYRUN", "acld_u", "GET", "acld:foo1"), ("ACL", "DRYRUN", "nouser", "GET", "x"),
        ("ACL", "DRYRUN", "acld_u", "nosuch"), ("ACL", "DRYRUN", "acld_u", "GET"),
        ("ACL", "DRYRUN", "acld_u", "client"), ("ACL", "DRYRUN", "acld_u", "client", "nosuch"),
        ("ACL", "LOG", "RESET"), ("ACL", "LOG"), ("ACL", "LOG", "x"), ("ACL", "LOG", "reset", "x"),
        ("ACL", "LOG", "0"), ("ACL", "LOG", "-1"),
        ("ACL", "SAVE"), ("ACL", "LOAD"), ("ACL", "NOSUCH"),
        ("ACL", "DELUSER", "default"), ("ACL", "DELUSER", "acld_u", "nosuch", "acld_u"),
        ("AUTH", "x"), ("AUTH", "acld_u", "x"),
    ])
    p.close()
    for i in (5, 256, 4096):
        assert len(RawConn(servers[0].port).call("ACL", "GENPASS", str(i)).split(b"\r\n")[1]) == (i + 3) // 4


def test_restricted_user_replies_log_and_counters(servers):
    admin = Pair(servers)
    admin.same("ACL", "SETUSER", "acld_u", "reset", "on", ">pw", "~acld:foo*", "%R~acld:ro*",
               "%W~acld:wo*", "&ch*", "+@all", "-@dangerous")
    u = Pair(servers, "acld_u")
    u.run([
        ("GET", "acld:bar"), ("GET", "acld:foo1"), ("SET", "acld:ro1", "x"), ("GET", "acld:ro1"),
        ("SET", "acld:wo1", "x"), ("GET", "acld:wo1"), ("COPY", "acld:ro1", "acld:wo1"),
        ("COPY", "acld:foo1", "acld:wo1"), ("LMOVE", "acld:ro1", "acld:wo1", "LEFT", "LEFT"),
        ("PUBLISH", "x", "m"), ("PUBLISH", "ch1", "m"), ("FLUSHALL",), ("CONFIG", "GET", "x"),
        ("SORT", "acld:foo1"), ("KEYS", "*x"), ("ACL", "WHOAMI"), ("ACL", "SETUSER", "acld_u"),
        ("EVAL", "return redis.acl_check_cmd('get','acld:bar')", "0"),
        ("EVAL", "return redis.acl_check_cmd('get','acld:foo')", "0"),
        ("EVAL", "return redis.acl_check_cmd('flushall')", "0"),
        ("EVAL", "return redis.acl_check_cmd('publish','ch','m')", "0"),
        ("EVAL", "return redis.acl_check_cmd('client','list')", "0"),
        ("EVAL", "return redis.call('set','acld:foo1','v')", "0"),
        ("MULTI",), ("GET", "acld:bar"), ("GET", "acld:foo1"), ("EXEC",),
        ("SUBSCRIBE", "ch1", "other"), ("PSUBSCRIBE", "c*"), ("SSUBSCRIBE", "zz"),
    ])
    # 7.2 words script denials differently (tests/commands/test_acl.py); the log is the same
    u.e.call("EVAL", "return redis.pcall('get','acld:bar')", "0")
    u.r.call("EVAL", "return redis.pcall('get','acld:bar')", "0")
    assert log_of(servers[0]) == log_of(servers[1])
    u.close()
    admin.close()


def test_selectors_most_relevant_denial(servers):
    admin = Pair(servers)
    admin.same("ACL", "SETUSER", "acld_s", "on", ">pw", "+get", "~a*", "(+set ~acld:b*)")
    u = Pair(servers, "acld_s")
    u.run([("GET", "a1"), ("SET", "acld:b", "v"), ("SET", "a1", "v"), ("DEL", "a1"),
           ("GET", "acld:b")])
    u.close()
    admin.close()


def test_exec_after_rules_changed(servers):
    admin = Pair(servers)
    admin.same("ACL", "SETUSER", "acld_m", "on", ">pw", "+@all", "~*", "&*")
    u = Pair(servers, "acld_m")
    u.run([("MULTI",), ("GET", "acld:foo1"), ("SET", "acld:b", "1"), ("PUBLISH", "c", "m"),
           ("PING",)])
    admin.same("ACL", "SETUSER", "acld_m", "-get", "resetkeys", "~acld:zz", "resetchannels")
    u.same("EXEC")
    u.run([("MULTI",), ("GET", "acld:zz"), ("EXEC",), ("MULTI",), ("SET", "acld:zz", "1")])
    admin.same("ACL", "SETUSER", "acld_m", "-set")
    u.same("EXEC")
    assert log_of(servers[0]) == log_of(servers[1])
    u.close()
    admin.close()


@pytest.mark.parametrize("proto", [2, 3])
def test_auth_and_hello(servers, proto):
    admin = Pair(servers)
    admin.same("ACL", "SETUSER", "acld_p", "on", ">pw", "+@all", "~*")
    c = Pair(servers, proto=proto)
    c.run([("AUTH", "acld_p", "wrong"), ("AUTH", "nosuch", "x"), ("HELLO", str(proto), "AUTH",
           "acld_p", "bad"), ("HELLO", str(proto), "AUTH", "acld_p", "pw"), ("ACL", "WHOAMI"),
           ("AUTH", "default", "whatever"), ("ACL", "WHOAMI")])
    admin.same("ACL", "SETUSER", "acld_p", "off")
    c.run([("AUTH", "acld_p", "pw"), ("ACL", "WHOAMI"), ("RESET",), ("ACL", "WHOAMI")])
    assert log_of(servers[0]) == log_of(servers[1])
    c.close()
    admin.close()


def test_sort_by_and_get_need_access_to_every_key(servers):
    admin = Pair(servers)
    admin.run([("ACL", "SETUSER", "acld_s", "on", ">pw", "+@all", "~acld:*"),
               ("ACL", "SETUSER", "acld_x", "on", ">pw", "+@all", "%R~*", "%W~acld:*"),
               ("RPUSH", "acld:b", "3", "1", "2")])
    for user in ("acld_s", "acld_x"):
        u = Pair(servers, user)
        u.run([("SORT", "acld:b", "BY", "w_*"), ("SORT", "acld:b", "GET", "#"),
               ("SORT", "acld:b", "BY", "nosort"), ("SORT_RO", "acld:b", "BY", "x*"),
               ("SORT", "acld:b", "GET", "w_*", "STORE", "acld:foo1")])
        u.close()
    admin.close()
