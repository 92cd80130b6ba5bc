"""AOF: format helpers, SET/SETEX/GETEX propagation, loading (truncated, legacy, redis-server's
files), ember-check-aof, CONFIG SET appendonly, interop with the oracle in both directions."""

import io
import os
import shutil
import tempfile
import time

import pytest

from aof_util import ServerProcess, client, dataset, fill_all_types, have_redis, kill9, start
from ember.embedded import Ember
from ember.persistence.aof import (Manifest, encode_command, parse_commands, scan_valid)
from ember.persistence.check_aof import check

needs_redis = pytest.mark.skipif(not have_redis(), reason="redis-server not installed")


@pytest.fixture
def tmpd():
    d = tempfile.mkdtemp(prefix="ember-aof-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _wait_rewrite(r):
    deadline = time.time() + 15
    while time.time() < deadline:
        info = r.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return info
        time.sleep(0.02)
    raise AssertionError("rewrite did not finish")


# ---- pure helpers ---------------------------------------------------------------------

def test_parse_and_scan():
    data = (encode_command([b"SET", b"a", b"1"]) + b"#TS:123\r\n"
            + encode_command([b"MULTI"]) + encode_command([b"INCR", b"a"])
            + encode_command([b"EXEC"]))
    assert [a for a, _, _ in parse_commands(data)] == [
        [b"SET", b"a", b"1"], [b"MULTI"], [b"INCR", b"a"], [b"EXEC"]]
    assert scan_valid(data) == (len(data), None)
    first = len(encode_command([b"SET", b"a", b"1"]) + b"#TS:123\r\n")
    assert scan_valid(data[:-3]) == (first, "truncated")
    assert scan_valid(data[:-len(encode_command([b"EXEC"]))]) == (first, "multi")
    assert scan_valid(data + b"garbage")[1] == "format"


def test_manifest_roundtrip():
    text = (b"file appendonly.aof.2.base.rdb seq 2 type b\n"
            b"file appendonly.aof.2.incr.aof seq 2 type i\n"
            b"file appendonly.aof.3.incr.aof seq 3 type i\n")
    m = Manifest.parse(text)
    assert m.base == ("appendonly.aof.2.base.rdb", 2)
    assert [s for _, s in m.incrs] == [2, 3]
    assert m.encode() == text


def test_set_ex_and_getex_propagate_absolute_times():
    db = Ember()
    server = db.server
    seen = []
    server.propagate_hooks.append(lambda dbid, argv: seen.append(argv))
    server.propagating = True
    c = db.client()
    c.execute("SET", "k", "v", "EX", "100")
    c.execute("SETEX", "k2", "100", "v")
    c.execute("PSETEX", "k3", "100000", "v")
    c.execute("GETEX", "k", "PX", "5000")
    c.execute("GETEX", "k", "PERSIST")
    c.execute("SET", "k4", "v", "PXAT", "99999999999999")
    assert [a[:4] for a in seen[:3]] == [[b"SET", b"k", b"v", b"PXAT"], [b"SET", b"k2", b"v", b"PXAT"],
                                         [b"SET", b"k3", b"v", b"PXAT"]]
    assert abs(int(seen[0][4]) - (time.time() * 1000 + 100000)) < 5000
    assert seen[3][:2] == [b"PEXPIREAT", b"k"]
    assert seen[4] == [b"PERSIST", b"k"]
    assert seen[5] == [b"SET", b"k4", b"v", b"PXAT", b"99999999999999"]


# ---- processes ------------------------------------------------------------------------

@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_restart_bgrewrite_and_reload(tmpd, preamble):
    args = ("--appendonly", "yes", "--aof-use-rdb-preamble", preamble,
            "--aof-timestamp-enabled", "yes")
    srv = start("ember", tmpd, *args)
    try:
        r = client(srv)
        fill_all_types(r, "a")
        assert r.bgrewriteaof() 
        _wait_rewrite(r)
        fill_all_types(r, "b")
        before = dataset(r)
        info = r.info("persistence")
        assert info["aof_enabled"] == 1 and info["aof_rewrites"] == 1
        assert info["aof_last_bgrewrite_status"] == "ok"
        srv.stop()
        adir = os.path.join(tmpd, "appendonlydir")
        ext = "rdb" if preamble == "yes" else "aof"
        assert sorted(os.listdir(adir)) == ["appendonly.aof.2.base." + ext, "appendonly.aof.2.incr.aof",
                                            "appendonly.aof.manifest"]
        with open(os.path.join(adir, "appendonly.aof.2.incr.aof"), "rb") as f:
            assert f.read().startswith(b"#TS:")
        srv = start("ember", tmpd, *args)
        assert dataset(client(srv)) == before
    finally:
        srv.cleanup()


def _write_some(tmpd, n=10):
    srv = start("ember", tmpd, "--appendonly", "yes")
    r = client(srv)
    for i in range(n):
        r.set("k%d" % i, i)
    srv.stop()
    adir = os.path.join(tmpd, "appendonlydir")
    return os.path.join(adir, "appendonly.aof.1.incr.aof"), os.path.join(adir, "appendonly.aof.manifest")


def test_truncated_tail_loaded_when_allowed(tmpd):
    incr, manifest = _write_some(tmpd)
    size = os.path.getsize(incr)
    with open(incr, "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$1\r\nx")
    out = io.StringIO()
    assert not check(manifest, out=out)
    srv = start("ember", tmpd, "--appendonly", "yes", "--aof-load-truncated", "yes")
    try:
        r = client(srv)
        assert r.dbsize() == 10 and r.get("k9") == b"9"
        assert os.path.getsize(incr) == size
        assert "Truncating the AOF appendonly.aof.1.incr.aof at offset %d" % size in srv.read_log()
        r.set("after", 1)
    finally:
        srv.stop()
    assert check(manifest, out=io.StringIO())


def test_truncated_tail_refused_when_not_allowed(tmpd):
    incr, manifest = _write_some(tmpd)
    with open(incr, "ab") as f:
        f.write(b"*2\r\n$4\r\nINCR\r\n")
    srv = ServerProcess("ember", args=["--appendonly", "yes", "--aof-load-truncated", "no"], dir=tmpd)
    with pytest.raises(RuntimeError, match="Unexpected end of file"):
        srv.start()
    srv.cleanup()
    out = io.StringIO()
    assert check(manifest, fix=True, out=out)
    assert "Successfully truncated" in out.getvalue()
    srv = start("ember", tmpd, "--appendonly", "yes", "--aof-load-truncated", "no")
    try:
        assert client(srv).dbsize() == 10
    finally:
        srv.cleanup()


def test_legacy_single_file(tmpd):
    with open(os.path.join(tmpd, "appendonly.aof"), "wb") as f:
        f.write(encode_command([b"SET", b"a", b"1"]) + encode_command([b"SELECT", b"1"])
                + encode_command([b"RPUSH", b"l", b"x", b"y"]))
    srv = start("ember", tmpd, "--appendonly", "yes")
    try:
        r = client(srv)
        assert r.get("a") == b"1"
        r.execute_command("SELECT", 1)
        assert r.lrange("l", 0, -1) == [b"x", b"y"]
        r.set("b", 2)
        srv.stop()
        assert os.path.exists(os.path.join(tmpd, "appendonlydir", "appendonly.aof.manifest"))
        srv.start()
        r = client(srv)
        assert r.get("a") == b"1"
        r.execute_command("SELECT", 1)
        assert r.get("b") == b"2"
    finally:
        srv.cleanup()


def test_config_set_appendonly_at_runtime(tmpd):
    srv = start("ember", tmpd, "--appendonly", "no")
    try:
        r = client(srv)
        fill_all_types(r, "pre")
        assert r.config_set("appendonly", "yes")
        r.set("during", 1)
        _wait_rewrite(r)
        r.set("post", 2)
        before = dataset(r)
        kill9(srv)
        srv = start("ember", tmpd, "--appendonly", "yes")
        assert dataset(client(srv)) == before
    finally:
        srv.cleanup()


@needs_redis
def test_redis_server_aof_loads_in_ember(tmpd):
    rd = os.path.join(tmpd, "redis")
    os.makedirs(rd)
    srv = start("redis", rd, "--appendonly", "yes", "--aof-timestamp-enabled", "yes")
    try:
        r = client(srv)
        fill_all_types(r, "a")
        r.bgrewriteaof()
        _wait_rewrite(r)
        fill_all_types(r, "b")
        before = dataset(r)
    finally:
        srv.cleanup()
    ed = os.path.join(tmpd, "ember")
    os.makedirs(ed)
    shutil.copytree(os.path.join(rd, "appendonlydir"), os.path.join(ed, "appendonlydir"))
    srv = start("ember", ed, "--appendonly", "yes")
    try:
        assert dataset(client(srv)) == before
    finally:
        srv.cleanup()


@needs_redis
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_ember_aof_loads_in_redis_server(tmpd, preamble):
    ed = os.path.join(tmpd, "ember")
    os.makedirs(ed)
    args = ("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    srv = start("ember", ed, *args)
    try:
        r = client(srv)
        fill_all_types(r, "a")
        r.bgrewriteaof()
        _wait_rewrite(r)
        fill_all_types(r, "b")
        before = dataset(r)
    finally:
        srv.cleanup()
    rd = os.path.join(tmpd, "redis")
    os.makedirs(rd)
    shutil.copytree(os.path.join(ed, "appendonlydir"), os.path.join(rd, "appendonlydir"))
    srv = start("redis", rd, *args)
    try:
        assert dataset(client(srv)) == before
    finally:
        srv.cleanup()


def test_script_set_repl_decides_what_reaches_the_aof(tmpd):
    srv = start("ember", tmpd, "--appendonly", "yes")
    try:
        r = client(srv)
        assert r.eval("redis.call('SET', 'a', '1') redis.set_repl(redis.REPL_NONE) "
                      "redis.call('SET', 'b', '2') redis.set_repl(redis.REPL_ALL) "
                      "redis.call('SET', 'c', '3') return 1", 0) == 1
        # the setting ends with its script; REPL_REPLICA alone keeps writes out of the AOF
        r.eval("redis.call('SET', 'd', '4')", 0)
        r.eval("redis.set_repl(redis.REPL_REPLICA) redis.call('SET', 'e', '5') "
               "redis.set_repl(redis.REPL_AOF) redis.call('SET', 'f', '6')", 0)
        assert r.mget("a", "b", "c", "d", "e", "f") == [b"1", b"2", b"3", b"4", b"5", b"6"]
        srv.stop()
        with open(os.path.join(tmpd, "appendonlydir", "appendonly.aof.1.incr.aof"), "rb") as f:
            cmds = [a for a, _, _ in parse_commands(f.read())]
        assert [b"SET", b"b", b"2"] not in cmds and [b"SET", b"e", b"5"] not in cmds
        srv = start("ember", tmpd, "--appendonly", "yes")
        r = client(srv)
        assert r.mget("a", "b", "c", "d", "e", "f") == [b"1", None, b"3", b"4", None, b"6"]
    finally:
        srv.cleanup()


def test_functions_survive_a_crash_through_the_aof(tmpd):
    """FUNCTION LOAD/DELETE go to the AOF as Redis propagates them, FCALL as its effects;
    both before and after a rewrite (the rewrite's base carries the libraries)."""
    lib = "#!lua name=%s\nredis.register_function('%s', function(k, a) return redis.call('incr', k[1]) end)"
    srv = start("ember", tmpd, "--appendonly", "yes", "--appendfsync", "always")
    try:
        r = client(srv)
        r.execute_command("FUNCTION", "LOAD", lib % ("gone", "g"))
        r.execute_command("FUNCTION", "LOAD", lib % ("kept", "f"))
        r.execute_command("FCALL", "f", 1, "n")
        r.bgrewriteaof()
        _wait_rewrite(r)
        r.execute_command("FUNCTION", "LOAD", lib % ("late", "h"))
        r.execute_command("FUNCTION", "DELETE", "gone")
        r.execute_command("FCALL", "h", 1, "n")
        kill9(srv)
        srv = start("ember", tmpd, "--appendonly", "yes")
        r = client(srv)
        from helpers import RawConn
        raw = RawConn(srv.port).call("FUNCTION", "LIST")
        assert b"$4\r\nkept\r\n" in raw and b"$4\r\nlate\r\n" in raw and b"gone" not in raw
        assert r.get("n") == b"2"
        assert r.execute_command("FCALL", "f", 1, "n") == 3
    finally:
        srv.cleanup()
