"""ACL (Redis 7.2 behaviour) on embedded servers: rules and their descriptions, permission
checks and their error texts, EXEC re-checks, scripts, ACL LOG, requirepass, config-file
users and ACL files, and the fast path staying untouched for full-permission users.
Differences from the 7.0 oracle are tested here; tests/differential/test_acl_diff.py has
what 7.0 and 7.2 share; tests/test_acl_network.py has disconnections and redis-py."""

import os

import pytest

from ember.commands.acl import AclStartupError
from ember.config import Config
from ember.embedded import Ember
from ember.protocol.replies import Map, ReplyError
from ember.server.app import Server


@pytest.fixture
def db():
    return Ember()


def login(db, user, pw="pw"):
    c = db.client()
    assert c.execute("AUTH", user, pw) == "OK"
    return c


def err(c, *args):
    r = c.execute(*args, raise_errors=False)
    assert isinstance(r, ReplyError), r
    return r.message


def info_text(c):
    r = c.execute("INFO", "stats")
    return bytes(getattr(r, "data", r)).decode()


def getuser(c, name):
    return dict(c.execute("ACL", "GETUSER", name).items)


# ---- rules and their descriptions (7.2 keeps command rules in order) --------------------
@pytest.mark.parametrize("rules,expected", [
    (["+@all", "-@hash", "-@slow", "+hget"], "+@all -@hash -@slow +hget"),
    (["+@all", "-@hash", "-@slow", "+hget", "-@hash"], "+@all -@slow +hget -@hash"),
    (["+@all", "-@slow", "+hget", "-@hash", "+@hash"], "+@all -@slow +hget +@hash"),
    (["+@all", "-@slow", "-@all"], "-@all"),
    (["-@string", "-@slow", "+@all"], "+@all"),
    (["-@all", "+@HASH", "+@hash", "+@HaSh"], "-@all +@hash"),
    (["-@all", "+HGET", "+hget", "+hGeT"], "-@all +hget"),
    (["-@all", "+@hash", "+@slow", "+@set", "+@set", "+@slow", "+@hash"],
     "-@all +@set +@slow +@hash"),
    (["-@all", "+hget", "-hset", "+hset", "-hget"], "-@all +hset -hget"),
    (["-@all", "+client|list", "+client|list", "+config|get", "+config", "+acl|list", "-acl"],
     "-@all +client|list +config -acl"),
    (["-@all", "+select|0", "+select|0", "+debug|segfault", "+debug"], "-@all +select|0 +debug"),
    (["-@all", "-@dangerous"], "-@all -@dangerous"),
    (["-@all", "+config", "+config|get", "-config|set", "+config"], "-@all +config"),
    (["nocommands", "+get", "allcommands"], "+@all"),
])
def test_command_rules_keep_their_order(db, rules, expected):
    c = db.client()
    c.execute("ACL", "SETUSER", "adv", "reset", *rules)
    assert getuser(c, "adv")[b"commands"] == expected.encode()


def test_setuser_describe_and_getuser(db):
    c = db.client()
    c.execute("ACL", "SETUSER", "u", "on", ">pw", "~foo*", "%R~ro*", "%W~wo*", "%R~a", "%W~a",
              "&ch", "+@all", "-@dangerous", "(~x* +set)")
    line = [l for l in c.execute("ACL", "LIST") if l.startswith(b"user u ")][0]
    assert line == (b"user u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 "
                    b"~foo* %R~ro* %W~wo* ~a resetchannels &ch +@all -@dangerous "
                    b"(~x* resetchannels -@all +set)")
    u = getuser(c, "u")
    assert u[b"flags"].items == [b"on"]
    assert u[b"keys"] == b"~foo* %R~ro* %W~wo* ~a"
    assert u[b"channels"] == b"&ch"
    assert [dict(s.items) for s in u[b"selectors"]] == [
        {b"commands": b"-@all +set", b"keys": b"~x*", b"channels": b""}]
    assert c.execute("ACL", "GETUSER", "nosuch") is None


def test_setuser_errors_leave_the_user_unchanged(db):
    c = db.client()
    c.execute("ACL", "SETUSER", "e", "+get")
    for rule, reason in [
            ("bogus", "Syntax error"),
            ("+nosuch", "Unknown command or category name in ACL"),
            ("+client|nosuch", "Unknown command or category name in ACL"),
            ("-select|0", "Unknown command or category name in ACL"),
            ("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
            ("#abc", "The password hash must be exactly 64 characters and contain only "
                     "lowercase hexadecimal characters"),
            ("<nope", "The password you are trying to remove from the user does not exist"),
            ("%X~k", "Syntax error"), ("(bogus)", "Syntax error")]:
        assert err(c, "ACL", "SETUSER", "e", "+set", rule) == (
            "ERR Error in ACL SETUSER modifier '%s': %s" % (rule, reason))
    assert err(c, "ACL", "SETUSER", "e", "~*", "~x").endswith(
        "Try 'resetkeys' to start with an empty list of patterns")
    assert err(c, "ACL", "SETUSER", "e", "&*", "&x").endswith(
        "Try 'resetchannels' to start with an empty list of channels")
    assert err(c, "ACL", "SETUSER", "e", "(", "+get") == (
        "ERR Unmatched parenthesis in acl selector starting at '('.")
    assert getuser(c, "e")[b"commands"] == b"-@all +get"


def test_passwords_and_flags(db):
    c = db.client()
    c.execute("ACL", "SETUSER", "p", ">a", ">b", ">a", "<b", "skip-sanitize-payload")
    u = getuser(c, "p")
    assert u[b"flags"].items == [b"off", b"skip-sanitize-payload"]
    assert u[b"passwords"] == [b"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"]
    c.execute("ACL", "SETUSER", "p", "nopass")
    assert getuser(c, "p")[b"flags"].items == [b"off", b"nopass", b"skip-sanitize-payload"]
    c.execute("ACL", "SETUSER", "p", "reset")
    assert c.execute("ACL", "LIST")[1] == b"user p off sanitize-payload resetchannels -@all"


def test_acl_pubsub_default_allchannels(db):
    c = db.client()
    c.execute("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    c.execute("ACL", "SETUSER", "ch", "(+get)")
    assert c.execute("ACL", "LIST")[0] == b"user ch off &* -@all (&* -@all +get)"


# ---- enforcement: the 7.2 error texts -------------------------------------------------
def test_noperm_texts_and_key_permissions(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "u1", "on", ">pw", "+@all", "-@dangerous", "~foo*",
                  "%R~ro*", "%W~wo*", "&ch*")
    u = login(db, "u1")
    assert err(u, "GET", "bar") == "NOPERM No permissions to access a key"
    assert u.execute("GET", "foo1") is None
    assert err(u, "SET", "ro1", "x") == "NOPERM No permissions to access a key"
    assert u.execute("SET", "wo1", "x") == "OK"
    assert err(u, "GET", "wo1") == "NOPERM No permissions to access a key"
    assert u.execute("COPY", "ro1", "wo1") == 0          # RO source, OW destination
    assert err(u, "PUBLISH", "x", "m") == "NOPERM No permissions to access a channel"
    assert u.execute("PUBLISH", "ch1", "m") == 0
    assert err(u, "FLUSHALL") == "NOPERM User u1 has no permissions to run the 'flushall' command"
    assert err(u, "CONFIG", "GET", "x") == (
        "NOPERM User u1 has no permissions to run the 'config|get' command")
    assert u.execute("ACL", "WHOAMI") == b"u1"


def test_selectors_any_selector_allows(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "s", "on", ">pw", "+get", "~a*", "(+set ~b*)")
    u = login(db, "s")
    assert u.execute("GET", "a1") is None
    assert u.execute("SET", "b1", "v") == "OK"
    assert err(u, "DEL", "a1") == "NOPERM User s has no permissions to run the 'del' command"
    # the most relevant denial wins: the key error of the selector that allows SET
    assert err(u, "SET", "a1", "v") == "NOPERM No permissions to access a key"


def test_pubsub_channel_rules(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "ps", "on", ">pw", "+@all", "~*", "&news.*")
    u = login(db, "ps")
    assert err(u, "SUBSCRIBE", "news.1", "other") == "NOPERM No permissions to access a channel"
    assert err(u, "PSUBSCRIBE", "news.1*") == "NOPERM No permissions to access a channel"
    u.execute("PSUBSCRIBE", "news.*")          # a pattern must be one of the user's, literally
    u.execute("SSUBSCRIBE", "news.x")


def test_multi_queue_time_and_exec_time_checks(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "m", "on", ">pw", "+@all", "~*", "&*")
    u = login(db, "m")
    u.execute("MULTI")
    u.execute("GET", "x")
    u.execute("SET", "y", "1")
    u.execute("PUBLISH", "c", "m")
    admin.execute("ACL", "SETUSER", "m", "-get", "resetkeys", "~z", "resetchannels")
    replies = u.execute("EXEC")
    prefix = ("NOPERM ACLs rules changed between the moment the transaction was accumulated "
              "and the EXEC call. This command is no longer allowed for the following reason: ")
    assert [r.message for r in replies] == [
        prefix + "no permission to execute the command or subcommand",
        prefix + "no permission to touch the specified keys",
        prefix + "no permission to access one of the channels used as arguments"]
    u.execute("MULTI")
    assert err(u, "GET", "z") == "NOPERM User m has no permissions to run the 'get' command"
    assert err(u, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
    log = [dict(e.items) for e in admin.execute("ACL", "LOG")]
    assert [(e[b"context"], e[b"object"], e[b"count"]) for e in log] == [
        (b"multi", b"get", 2), (b"multi", b"c", 1), (b"multi", b"y", 1)]


def test_scripts_check_the_callers_permissions(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "sc", "on", ">pw", "+@all", "-@dangerous", "~foo*", "&ch")
    u = login(db, "sc")
    e = err(u, "EVAL", "return redis.call('get','bar')", 0)
    assert e.startswith("ERR ACL failure in script: User sc has no permissions to access the "
                        "'bar' key script: ")
    assert u.execute("EVAL", "return redis.pcall('flushall')['err']", 0) == (
        b"ERR ACL failure in script: User sc has no permissions to run the 'flushall' command")
    assert err(u, "EVAL", "return redis.call('publish','x','m')", 0).startswith(
        "ERR ACL failure in script: User sc has no permissions to access the 'x' channel")
    assert u.execute("EVAL", "return redis.call('set','foo1','v')", 0) == "OK"
    checks = ("return {redis.acl_check_cmd('get','foo'), redis.acl_check_cmd('get','bar'),"
              " redis.acl_check_cmd('flushall'), redis.acl_check_cmd('publish','ch','m')}")
    assert u.execute("EVAL", checks, 0) == [1, None, None, 1]
    assert err(u, "EVAL", "return redis.acl_check_cmd('nosuch')", 0).startswith(
        "ERR Invalid command passed to redis.acl_check_cmd()")
    assert admin.execute("EVAL", "return redis.acl_check_cmd('flushall')", 0) == 1
    entry = dict(admin.execute("ACL", "LOG", "1")[0].items)
    assert entry[b"context"] == b"lua"


def test_functions_check_the_callers_permissions(db):
    admin = db.client()
    admin.execute("FUNCTION", "LOAD", "#!lua name=acllib\n"
                  "redis.register_function{function_name='rd', flags={'no-writes'},"
                  " callback=function(keys) return redis.call('get', keys[1]) end}")
    admin.execute("ACL", "SETUSER", "f", "on", ">pw", "+@all", "~ok*")
    u = login(db, "f")
    assert u.execute("FCALL", "rd", 1, "ok1") is None
    assert err(u, "FCALL", "rd", 1, "no1") == "NOPERM No permissions to access a key"
    admin.execute("ACL", "SETUSER", "f", "%R~no*")
    # FCALL's key spec is RW: a read-only pattern does not let the call through
    assert err(u, "FCALL", "rd", 1, "no1") == "NOPERM No permissions to access a key"
    assert u.execute("FCALL_RO", "rd", 1, "no1") is None    # FCALL_RO's key spec is RO


# ---- DRYRUN, CAT, GENPASS, USERS, DELUSER ------------------------------------------------
def test_dryrun(db):
    c = db.client()
    c.execute("ACL", "SETUSER", "d", "on", "+@all", "-@dangerous", "~foo*", "&ch")
    assert c.execute("ACL", "DRYRUN", "d", "GET", "foo") == "OK"
    assert c.execute("ACL", "DRYRUN", "d", "GET", "bar") == (
        b"User d has no permissions to access the 'bar' key")
    assert c.execute("ACL", "DRYRUN", "d", "FLUSHALL") == (
        b"User d has no permissions to run the 'flushall' command")
    assert c.execute("ACL", "DRYRUN", "d", "PUBLISH", "x", "m") == (
        b"User d has no permissions to access the 'x' channel")
    assert err(c, "ACL", "DRYRUN", "nouser", "GET", "x") == "ERR User 'nouser' not found"
    assert err(c, "ACL", "DRYRUN", "d", "nosuch") == "ERR Command 'nosuch' not found"
    assert err(c, "ACL", "DRYRUN", "d", "GET") == "ERR wrong number of arguments for 'get' command"
    assert c.execute("ACL", "LOG") == []      # dry runs are not logged


def test_cat_genpass_users_deluser(db):
    c = db.client()
    cats = c.execute("ACL", "CAT")
    assert cats[:3] == [b"keyspace", b"read", b"write"] and len(cats) == 21
    read = c.execute("ACL", "CAT", "read")
    assert b"get" in read and b"set" not in read and b"object|freq" in read
    assert err(c, "ACL", "CAT", "nosuch") == "ERR Unknown category 'nosuch'"
    assert len(c.execute("ACL", "GENPASS")) == 64
    assert len(c.execute("ACL", "GENPASS", "5")) == 2
    assert err(c, "ACL", "GENPASS", "0").startswith("ERR ACL GENPASS argument must be")
    c.execute("ACL", "SETUSER", "b")
    c.execute("ACL", "SETUSER", "a")
    assert c.execute("ACL", "USERS") == [b"a", b"b", b"default"]
    assert err(c, "ACL", "DELUSER", "a", "default") == "ERR The 'default' user cannot be removed"
    assert c.execute("ACL", "DELUSER", "a", "nosuch", "b") == 2
    assert err(c, "ACL", "SETUSER", "a b") == "ERR Usernames can't contain spaces or null characters"


# ---- AUTH, HELLO, requirepass and the default user ---------------------------------------
def test_auth_hello_and_log(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "h", "on", ">pw", "+@all", "~*")
    c = db.client()
    assert err(c, "AUTH", "h", "wrong") == (
        "WRONGPASS invalid username-password pair or user is disabled.")
    assert err(c, "HELLO", "3", "AUTH", "nobody", "x").startswith("WRONGPASS")
    assert dict(c.execute("HELLO", "3", "AUTH", "h", "pw").items)[b"proto"] == 3
    assert c.execute("ACL", "WHOAMI") == b"h"
    admin.execute("ACL", "SETUSER", "h", "off")
    assert err(db.client(), "AUTH", "h", "pw").startswith("WRONGPASS")
    log = [dict(e.items) for e in admin.execute("ACL", "LOG")]
    # entries group by reason, context, object and username (within 60 s)
    assert [(e[b"reason"], e[b"object"], e[b"username"], e[b"count"]) for e in log] == [
        (b"auth", b"AUTH", b"h", 2), (b"auth", b"HELLO", b"nobody", 1)]
    assert sorted(log[0]) == sorted([
        b"count", b"reason", b"context", b"object", b"username", b"age-seconds",
        b"client-info", b"entry-id", b"timestamp-created", b"timestamp-last-updated"])
    assert [e[b"entry-id"] for e in log] == [0, 1]
    assert b" cmd=auth user=default " in log[0][b"client-info"]
    info = info_text(admin)
    assert "acl_access_denied_auth:3" in info
    admin.execute("CONFIG", "RESETSTAT")
    assert "acl_access_denied_auth:0" in info_text(admin)


def test_log_grouping_count_and_reset(db):
    admin = db.client()
    admin.execute("ACL", "SETUSER", "g", "on", ">pw", "+get", "~a")
    u = login(db, "g")
    for _ in range(3):
        err(u, "GET", "b")
    err(u, "SET", "a", "1")
    err(u, "GET", "b")
    log = [dict(e.items) for e in admin.execute("ACL", "LOG")]
    assert [(e[b"reason"], e[b"object"], e[b"count"]) for e in log] == [
        (b"key", b"b", 4), (b"command", b"set", 1)]
    assert log[0][b"timestamp-last-updated"] >= log[0][b"timestamp-created"]
    assert len(admin.execute("ACL", "LOG", "1")) == 1
    info = info_text(admin)
    assert "acl_access_denied_key:4" in info and "acl_access_denied_cmd:1" in info
    admin.execute("CONFIG", "SET", "acllog-max-len", "1")
    err(u, "GET", "c")
    assert len(admin.execute("ACL", "LOG")) == 1
    assert admin.execute("ACL", "LOG", "RESET") == "OK"
    assert admin.execute("ACL", "LOG") == []
    assert err(admin, "ACL", "LOG", "x") == "ERR value is not an integer or out of range"


def test_requirepass_is_the_default_users_password(db):
    admin = db.client()
    admin.execute("CONFIG", "SET", "requirepass", "zz")
    u = getuser(admin, "default")
    assert u[b"flags"].items == [b"on"]
    assert len(u[b"passwords"]) == 1
    c = db.client()
    assert err(c, "PING") == "NOAUTH Authentication required."
    assert err(c, "AUTH", "bad").startswith("WRONGPASS")
    assert c.execute("AUTH", "zz") == "OK"
    admin.execute("CONFIG", "SET", "requirepass", "")
    assert getuser(admin, "default")[b"flags"].items == [b"on", b"nopass"]
    assert err(admin, "AUTH", "x").startswith("ERR AUTH <password> called without any password")
    admin.execute("ACL", "SETUSER", "default", "off")
    assert err(db.client(), "PING") == "NOAUTH Authentication required."
    admin.execute("ACL", "SETUSER", "default", "on")
    assert db.client().execute("PING") == "PONG"


def test_unauthenticated_clients_follow_the_default_user(db):
    admin = db.client()
    admin.execute("CONFIG", "SET", "requirepass", "foo")
    c = db.client()
    assert err(c, "PING") == "NOAUTH Authentication required."
    admin.execute("AUTH", "foo")
    admin.execute("CONFIG", "SET", "requirepass", "")
    assert c.execute("PING") == "PONG"          # as redis-server: authRequired is dynamic
    assert c.execute("ACL", "WHOAMI") == b"default"
    assert err(c, "HELLO", "3").startswith("NOAUTH HELLO must be called")
    admin.execute("CONFIG", "SET", "requirepass", "bar")
    assert err(c, "PING") == "NOAUTH Authentication required."


def test_full_permission_users_stay_on_the_fast_path(db):
    admin = db.client()
    assert admin.client.plain and not admin.client.restricted
    admin.execute("ACL", "SETUSER", "full", "on", ">pw", "+@all", "~*", "&*")
    full = login(db, "full")
    assert full.client.plain
    admin.execute("ACL", "SETUSER", "full", "-debug")
    assert full.client.restricted and not full.client.plain
    admin.execute("ACL", "SETUSER", "full", "+debug")
    assert full.client.plain
    admin.execute("ACL", "SETUSER", "default", "-@dangerous")
    assert admin.client.restricted and not admin.client.plain
    assert db.client().client.restricted       # new connections start as "default"
    assert err(admin, "FLUSHALL").startswith("NOPERM User default")
    admin.execute("RESET")
    assert admin.client.restricted
    full.execute("ACL", "SETUSER", "default", "+@all")
    assert not admin.client.restricted and admin.client.plain


# ---- config-file users, ACL files -------------------------------------------------------
def test_user_directives_in_the_config_file(tmp_path):
    conf = tmp_path / "ember.conf"
    conf.write_text("requirepass secret\nuser alice on >pw ~a* +get\nuser default on nopass +@all ~* &*\n")
    cfg = Config()
    cfg.load_file(str(conf))
    c = Ember(cfg).client()
    assert c.execute("ACL", "LIST") == [
        b"user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* "
        b"resetchannels -@all +get",
        b"user default on nopass sanitize-payload ~* &* +@all"]
    assert c.execute("AUTH", "alice", "pw") == "OK"
    # CONFIG REWRITE writes the users as 'user' lines
    c.execute("AUTH", "default", "x")
    c.execute("CONFIG", "REWRITE")
    text = conf.read_text()
    assert "user alice on #30c9" in text
    assert "user default on nopass sanitize-payload ~* &* +@all" in text


def test_bad_user_directive_or_both_sources_stop_start_up(tmp_path):
    cfg = Config()
    cfg.load_string("user bob +nosuch\n")
    with pytest.raises(AclStartupError) as e:
        Server(cfg)
    assert e.value.args == ("Error loading ACL rule '+nosuch' for the user named 'bob': Unknown "
                            "command or category name in ACL",
                            "Critical error while loading ACLs. Exiting.")
    cfg = Config()
    cfg.load_string("aclfile %s\n" % (tmp_path / "bad.acl"))
    (tmp_path / "bad.acl").write_text("user x +nosuch\n")
    with pytest.raises(AclStartupError) as e:
        Server(cfg)
    assert e.value.args[0] == (
        "Aborting Redis startup because of ACL errors: %s:1: Error in applying operation "
        "'+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no "
        "change to the previously active ACL rules was performed" % (tmp_path / "bad.acl"))
    cfg = Config()
    cfg.load_string("user bob on\naclfile %s\n" % (tmp_path / "x.acl"))
    with pytest.raises(AclStartupError, match="not both"):
        Server(cfg)


def test_aclfile_save_and_load(tmp_path):
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\nuser a on >x ~k* +get\n")
    cfg = Config()
    cfg.load_string("aclfile %s\n" % path)
    c = Ember(cfg).client()
    assert c.execute("ACL", "USERS") == [b"a", b"default"]
    c.execute("ACL", "SETUSER", "b", "on", ">y", "+@read")
    assert c.execute("ACL", "SAVE") == "OK"
    assert path.read_text() == (
        "user a on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~k* "
        "resetchannels -@all +get\n"
        "user b on #a1fce4363854ff888cff4b8e7875d600c2682390412a8cf79b37d0b11148b0fa "
        "resetchannels -@all +@read\n"
        "user default on nopass ~* &* +@all\n")
    path.write_text("user a on >x ~k* +get\nuser a off\nbogus line\nuser c +nosuch\nuser d (+get\n")
    p = str(path)
    assert err(c, "ACL", "LOAD") == (
        "ERR WARNING: Duplicate user 'a' found on line 2. %s:3 should start with user keyword "
        "followed by the username. %s:4: Error in applying operation '+nosuch': Unknown command "
        "or category name in ACL. %s:5: Unmatched parenthesis in selector definition.WARNING: "
        "ACL errors detected, no change to the previously active ACL rules was performed"
        % (p, p, p))
    assert c.execute("ACL", "USERS") == [b"a", b"b", b"default"]
    path.write_text("user z on >x\n")
    assert c.execute("ACL", "LOAD") == "OK"
    assert c.execute("ACL", "USERS") == [b"default", b"z"]


def test_save_and_load_need_an_aclfile(db):
    c = db.client()
    for sub in ("SAVE", "LOAD"):
        assert err(c, "ACL", sub).startswith(
            "ERR This Redis instance is not configured to use an ACL file.")
