"""Hash field TTLs (Redis 7.4 HFE) survive RDB save/load, DEBUG RELOAD, DUMP/RESTORE, AOF
propagation and AOF rewrites (both base formats); expired fields are never loaded."""

import os
import shutil
import tempfile
import time

import pytest

from aof_util import client, start
from ember.clock import ManualClock
from ember.embedded import Ember
from ember.persistence import snapshot

T0 = 1_800_000_000.0          # the manual clock's start (s)
MS = int(T0 * 1000)


def _server(tmp_path):
    e = Ember(clock=ManualClock(T0))
    snap = snapshot.install(e.server)
    return e, e.client(), snap


def _hgetall(c, key):
    return list(c.execute("HGETALL", key).items)


def _fill(c):
    c.execute("HSET", "small", "a", "1", "b", "2", "c", "3")
    c.execute("HPEXPIREAT", "small", MS + 100_000, "FIELDS", 1, "a")
    c.execute("HPEXPIREAT", "small", MS + 5_000, "FIELDS", 1, "b")
    args = []
    for i in range(600):
        args += ["f%d" % i, "v%d" % i]
    c.execute("HSET", "big", *args)
    c.execute("HPEXPIREAT", "big", MS + 200_000, "FIELDS", 2, "f1", "f2")
    c.execute("HPEXPIREAT", "big", MS + 3_000, "FIELDS", 1, "f3")
    c.execute("HSET", "gone", "x", "1", "y", "2")
    c.execute("HPEXPIREAT", "gone", MS + 1_000, "FIELDS", 2, "x", "y")
    c.execute("HSET", "plain", "p", "q")
    c.execute("SET", "s", "v")


def test_rdb_save_and_load_keep_field_ttls(tmp_path):
    e, c, snap = _server(tmp_path)
    _fill(c)
    assert c.execute("OBJECT", "ENCODING", "small") == b"listpackex"
    path = str(tmp_path / "dump.rdb")
    snap.write(path)
    with open(path, "rb") as f:
        assert f.read(9) == b"REDIS0012"
    # load 10 s later: "b", "f3" and the whole of "gone" have expired meanwhile
    e2 = Ember(clock=ManualClock(T0 + 10))
    s2 = snapshot.install(e2.server)
    loaded, expired = s2.load(path)
    assert loaded == 4
    c2 = e2.client()
    assert c2.execute("EXISTS", "gone") == 0
    assert _hgetall(c2, "small") == [(b"a", b"1"), (b"c", b"3")]
    assert c2.execute("HPEXPIRETIME", "small", "FIELDS", 3, "a", "b", "c") == [MS + 100_000, -2, -1]
    assert c2.execute("OBJECT", "ENCODING", "small") == b"listpackex"
    assert c2.execute("HLEN", "big") == 599
    assert c2.execute("HPEXPIRETIME", "big", "FIELDS", 3, "f1", "f2", "f3") == [
        MS + 200_000, MS + 200_000, -2]
    assert c2.execute("OBJECT", "ENCODING", "big") == b"hashtable"
    assert _hgetall(c2, "plain") == [(b"p", b"q")]
    # the loaded TTLs are tracked by active expiry
    e2.server.clock.advance(100)
    e2.cron()
    assert e2.server.dbs[0].data[b"small"].get(b"a") is None     # not by a lookup


def test_rdb_without_field_ttls_stays_version_10(tmp_path):
    e, c, snap = _server(tmp_path)
    c.execute("HSET", "h", "a", "1")
    c.execute("HPEXPIRE", "h", 1000, "FIELDS", 1, "a")
    c.execute("HPERSIST", "h", "FIELDS", 1, "a")
    path = str(tmp_path / "dump.rdb")
    snap.write(path)
    with open(path, "rb") as f:
        assert f.read(9) == b"REDIS0010"


def test_debug_reload_keeps_field_ttls(tmp_path):
    from ember.config import Config
    cfg = Config()
    cfg.enable_debug_command = "yes"
    cfg.dir = str(tmp_path)
    e = Ember(config=cfg, clock=ManualClock(T0))
    snapshot.install(e.server)
    c = e.client()
    c.execute("HSET", "h", "a", "1", "b", "2")
    c.execute("HPEXPIREAT", "h", MS + 50_000, "FIELDS", 1, "a")
    assert c.execute("DEBUG", "RELOAD") == "OK"
    assert os.path.exists(tmp_path / "dump.rdb")
    assert c.execute("HPEXPIRETIME", "h", "FIELDS", 2, "a", "b") == [MS + 50_000, -1]


def test_dump_restore_keeps_field_ttls():
    e = Ember(clock=ManualClock(T0))
    c = e.client()
    c.execute("HSET", "h", "a", "1", "b", "2", "c", "3")
    c.execute("HPEXPIREAT", "h", MS + 50_000, "FIELDS", 1, "a")
    c.execute("HPEXPIREAT", "h", MS + 2_000, "FIELDS", 1, "b")
    payload = c.execute("DUMP", "h")
    assert payload[-10:-8] == b"\x0c\x00"          # payload version 12
    assert c.execute("RESTORE", "h2", 0, payload) == "OK"
    assert c.execute("HPEXPIRETIME", "h2", "FIELDS", 3, "a", "b", "c") == [
        MS + 50_000, MS + 2_000, -1]
    # restored later: the field that expired meanwhile is not restored
    e.server.clock.advance(5)
    assert c.execute("RESTORE", "h3", 0, payload) == "OK"
    assert _hgetall(c, "h3") == [(b"a", b"1"), (b"c", b"3")]
    # every field expired: nothing to restore
    c.execute("HSET", "all", "x", "1")
    c.execute("HPEXPIREAT", "all", MS + 6_000, "FIELDS", 1, "x")
    p2 = c.execute("DUMP", "all")
    e.server.clock.advance(5)
    with pytest.raises(Exception, match="Bad data format"):
        c.execute("RESTORE", "all2", 0, p2)
    # a plain hash still dumps as version 10
    c.execute("HSET", "p", "f", "v")
    assert c.execute("DUMP", "p")[-10:-8] == b"\x0a\x00"


@pytest.fixture
def tmpd():
    d = tempfile.mkdtemp(prefix="ember-hfe-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _files(adir, suffix):
    out = b""
    for name in sorted(os.listdir(adir)):
        if name.endswith(suffix):
            with open(os.path.join(adir, name), "rb") as f:
                out += f.read()
    return out


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_propagation_and_rewrite_keep_field_ttls(tmpd, preamble):
    args = ("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    srv = start("ember", tmpd, *args)
    try:
        r = client(srv)
        r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
        r.execute_command("HEXPIRE", "h", 1000, "FIELDS", 1, "a")
        r.execute_command("HPEXPIRE", "h", 2_000_000, "FIELDS", 1, "b")
        want = r.execute_command("HPEXPIRETIME", "h", "FIELDS", 3, "a", "b", "c")
        adir = os.path.join(tmpd, "appendonlydir")
        incr = _files(adir, ".incr.aof")
        # relative expiries are logged as absolute HPEXPIREAT, like Redis
        assert b"HPEXPIREAT" in incr and b"HEXPIRE\r\n" not in incr
        assert b"HPEXPIRE\r\n" not in incr
        srv.stop()
        srv = start("ember", tmpd, *args)
        r = client(srv)
        assert r.execute_command("HPEXPIRETIME", "h", "FIELDS", 3, "a", "b", "c") == want
        # rewrite: the base file carries the TTLs (RDB 12 or HPEXPIREAT commands)
        r.bgrewriteaof()
        deadline = time.time() + 30
        while time.time() < deadline:
            info = r.info("persistence")
            if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
                break
            time.sleep(0.05)
        assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        if preamble == "yes":
            assert _files(adir, ".base.rdb").startswith(b"REDIS0012")
        else:
            assert b"HPEXPIREAT" in _files(adir, ".base.aof")
        srv.stop()
        srv = start("ember", tmpd, *args)
        r = client(srv)
        assert r.execute_command("HPEXPIRETIME", "h", "FIELDS", 3, "a", "b", "c") == want
        assert r.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"3"}
    finally:
        srv.cleanup()
