"""Snapshots end to end: SAVE/BGSAVE/restart on real ember processes, RDB files crossing
between ember and redis-server (the oracle) in both directions, DEBUG RELOAD, a corrupt file
at start-up, and DUMP/RESTORE against the oracle (payloads and error texts)."""

import os
import re
import shutil
import signal
import struct
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from helpers import ServerProcess, have_redis  # noqa: E402
from oracle import neutral_to_snapshot, snapshot  # noqa: E402

redis = pytest.importorskip("redis")
from ember.persistence.rdb import create_dump_payload, parse_dump_payload, read_rdb  # noqa: E402

needs_redis = pytest.mark.skipif(not have_redis(), reason="redis-server not installed")


# ------------------------------------------------------------------ helpers

def _client(proc):
    return redis.Redis(port=proc.port, protocol=2)


def ember_state(r, dbs=range(16), absolute=False):
    """Like oracle.snapshot(), read from ember through DUMP (works for every type, whatever
    commands ember has so far).  TTLs as PTTL, or as PEXPIRETIME with ``absolute`` (exact
    across a restart however slow the restart is)."""
    raw = redis.Redis(port=r.connection_pool.connection_kwargs["port"], protocol=2)
    raw.response_callbacks.clear()
    out = {}
    for db in dbs:
        raw.execute_command("SELECT", db)
        keys = raw.execute_command("KEYS", "*")
        if not keys:
            continue
        d = {}
        for k in sorted(keys):
            t, v = parse_dump_payload(raw.execute_command("DUMP", k))
            pttl = raw.execute_command("PEXPIRETIME" if absolute else "PTTL", k)
            d[k] = [t, neutral_to_snapshot(t, v), pttl]
        out[db] = d
    raw.close()
    return out


def oracle_state(r, dbs=range(16)):
    """oracle.snapshot() with PTTL instead of PEXPIRETIME (comparable with ember_state)."""
    snap = snapshot(r, dbs)
    raw = redis.Redis(port=r.connection_pool.connection_kwargs["port"], protocol=2)
    for db, keys in snap.items():
        raw.execute_command("SELECT", db)
        for k, entry in keys.items():
            entry[2] = raw.execute_command("PTTL", k)
    raw.close()
    return snap


def same_state(a, b, ttl_tolerance_ms=5000):
    assert a.keys() == b.keys()
    for db in a:
        assert a[db].keys() == b[db].keys(), db
        for k in a[db]:
            ta, va, xa = a[db][k]
            tb, vb, xb = b[db][k]
            assert (ta, va) == (tb, vb), (db, k)
            if xa < 0 or xb < 0:
                assert xa == xb, (db, k, xa, xb)
            else:
                assert abs(xa - xb) <= ttl_tolerance_ms, (db, k, xa, xb)


def fill_all_types(r, prefix="", with_ttl=True):
    """Every type ember supports, small (listpack/intset) and big encodings, in 3 dbs."""
    p = prefix
    r.select(0) if hasattr(r, "select") else None
    r.set(p + "s:int", 12345)
    r.set(p + "s:neg", -9000000000)
    r.set(p + "s:short", "hello")
    r.set(p + "s:long", "abc" * 200)           # LZF-compressible
    r.set(p + "s:bin", bytes(range(256)))
    r.rpush(p + "l:small", *[b"a", b"1", b"-7", b"x" * 30])
    r.rpush(p + "l:big", *[("item-%d" % i) * 3 for i in range(3000)])
    r.hset(p + "h:small", mapping={"f1": "v1", "n": "42"})
    r.hset(p + "h:big", mapping={"f%d" % i: "v%d" % i for i in range(300)})
    r.hset(p + "h:longval", mapping={"f": "y" * 100})
    r.sadd(p + "set:int", *range(0, 100, 3))
    r.sadd(p + "set:str", "a", "b", "c")
    r.sadd(p + "set:big", *["m%d" % i for i in range(1000)])
    r.zadd(p + "z:small", {"a": 1, "b": 2.5, "c": -3})
    r.zadd(p + "z:big", {"m%d" % i: i / 7 for i in range(500)})
    r.zadd(p + "z:inf", {"lo": float("-inf"), "hi": float("inf")})
    if with_ttl:
        r.set(p + "ttl:s", "v", px=3_600_000)
        r.rpush(p + "ttl:l", "a", "b")
        r.pexpire(p + "ttl:l", 7_200_000)
        r.zadd(p + "ttl:z", {"a": 1})
        r.expire(p + "ttl:z", 100_000)
    if _ember_has_streams():
        for i in range(250):
            r.xadd(p + "x", {"f": i, "g": "v%d" % i}, id="%d-%d" % (1000 + i // 3, i % 3))
        r.xdel(p + "x", "1010-1")
        r.xgroup_create(p + "x", "grp", id="0")
        r.xreadgroup("grp", "alice", {p + "x": ">"}, count=5)
        r.xreadgroup("grp", "bob", {p + "x": ">"}, count=2)
        r.xack(p + "x", "grp", "1000-1")
        r.xgroup_create(p + "x", "late", id="$")
    r.execute_command("SELECT", 3)
    r.set(p + "db3:s", "three")
    r.hset(p + "db3:h", "f", "v")
    r.execute_command("SELECT", 15)
    r.sadd(p + "db15:set", "x")
    r.execute_command("SELECT", 0)


def _ember_has_streams():
    from ember.persistence import convert
    return "stream" in convert._FROM


def _restore_from(src, dst, dbs=(0, 3, 15)):
    """Copy every key of src into dst through DUMP/RESTORE (keeps TTLs)."""
    s = redis.Redis(port=src.connection_pool.connection_kwargs["port"], protocol=2)
    s.response_callbacks.clear()
    d = redis.Redis(port=dst.connection_pool.connection_kwargs["port"], protocol=2)
    for db in dbs:
        s.execute_command("SELECT", db)
        d.execute_command("SELECT", db)
        for k in s.execute_command("KEYS", "*"):
            pttl = s.execute_command("PTTL", k)
            d.execute_command("RESTORE", k, max(pttl, 0), s.execute_command("DUMP", k), "REPLACE")
    s.close()
    d.close()


def _wait(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def _shutdown(proc, *args):
    """SHUTDOWN over a raw connection (redis-py retries the dropped connection for seconds)."""
    from helpers import RawConn, encode_command
    c = RawConn(proc.port)
    c.send(encode_command("SHUTDOWN", *args))
    c.is_closed(10)
    c.close()
    proc.proc.wait(10)


def _bgsave_done(r):
    return r.info("persistence")["rdb_bgsave_in_progress"] == 0


# ------------------------------------------------------------------ restart

def _neutral_fill(r):
    """Fill ember without needing list/hash/set commands: RESTORE neutral payloads."""
    vals = {
        b"l": ("list", [b"a", b"b", b"123"]),
        b"lbig": ("list", [b"x%d" % i for i in range(2000)]),
        b"h": ("hash", {b"f": b"v", b"g": b"1"}),
        b"hbig": ("hash", {b"f%d" % i: b"v" for i in range(200)}),
        b"si": ("set", [b"1", b"2", b"3"]),
        b"ss": ("set", [b"a", b"b"]),
        b"z": ("zset", [(b"a", 1.0), (b"b", 2.0)]),
    }
    for k, (t, v) in vals.items():
        r.execute_command("RESTORE", k, 0, create_dump_payload(t, v))
    r.set("s", "v")
    r.set("n", 7)
    r.set("ttl", "x", px=500_000)
    r.execute_command("RESTORE", b"lttl", 900_000, create_dump_payload("list", [b"q"]))


def test_save_then_restart_keeps_data_and_ttls():
    with ServerProcess("ember") as e:
        r = _client(e)
        _neutral_fill(r)
        r.execute_command("SELECT", 5)
        r.set("five", "5")
        r.execute_command("SELECT", 0)
        assert r.info("persistence")["rdb_changes_since_last_save"] > 0
        before = ember_state(r, absolute=True)
        assert r.save() is True
        assert r.info("persistence")["rdb_changes_since_last_save"] == 0
        assert r.info("persistence")["rdb_saves"] == 1
        last = r.lastsave()
        r.close()
        e.stop()
        assert os.path.exists(os.path.join(e.dir, "dump.rdb"))
        e.start()
        r = _client(e)
        same_state(before, ember_state(r, absolute=True), ttl_tolerance_ms=0)
        info = r.info("persistence")
        assert info["rdb_last_load_keys_loaded"] == len(before[0]) + 1
        assert r.lastsave() >= last
        log = e.read_log()
        assert re.search(r"DB loaded from disk: \d+\.\d{3} seconds", log)
        assert "Done loading RDB, keys loaded: %d, keys expired: 0." % (len(before[0]) + 1) in log
        r.close()


def test_shutdown_saves_when_save_points_configured():
    with ServerProcess("ember", args=["--save", "3600", "1"]) as e:
        r = _client(e)
        r.set("k", "v")
        _shutdown(e)
        e.proc.wait(10)
        assert e.proc.returncode == 0
        assert read_rdb(os.path.join(e.dir, "dump.rdb")).dbs[0][b"k"][1] == b"v"
        assert "Saving the final RDB snapshot before exiting." in e.read_log()
        e.log.close()
        e.start()                                   # SIGTERM saves too (save points set)
        r = _client(e)
        assert r.get("k") == b"v"
        r.set("k2", "v2")
        e.stop()
        assert read_rdb(os.path.join(e.dir, "dump.rdb")).dbs[0][b"k2"][1] == b"v2"


def test_shutdown_nosave_and_sigterm_without_save_points():
    with ServerProcess("ember", args=["--save", "3600", "1"]) as e:
        r = _client(e)
        r.set("k", "v")
        _shutdown(e, "NOSAVE")
        e.proc.wait(10)
        assert not os.path.exists(os.path.join(e.dir, "dump.rdb"))
    with ServerProcess("ember") as e:          # --save "": SIGTERM does not save ...
        r = _client(e)
        r.set("k", "v")
        e.stop()
        assert not os.path.exists(os.path.join(e.dir, "dump.rdb"))
        e.start()
        r = _client(e)
        r.set("k", "v")
        _shutdown(e, "SAVE")
        e.proc.wait(10)
        assert os.path.exists(os.path.join(e.dir, "dump.rdb"))


# ------------------------------------------------------------------ oracle files

@needs_redis
def test_oracle_rdb_loads_in_ember():
    with ServerProcess("redis") as o, ServerProcess("ember") as e:
        ro = _client(o)
        fill_all_types(ro)
        assert ro.save() is True
        e.stop()
        shutil.copy(os.path.join(o.dir, "dump.rdb"), os.path.join(e.dir, "dump.rdb"))
        e.start()
        re_ = _client(e)
        same_state(oracle_state(ro), ember_state(re_))
        assert "Loading RDB produced by version 7.0" in e.read_log()
        ro.close()
        re_.close()


@needs_redis
def test_ember_rdb_loads_in_oracle():
    with ServerProcess("redis") as src, ServerProcess("ember") as e:
        rs = _client(src)
        fill_all_types(rs)
        re_ = _client(e)
        _restore_from(rs, re_)
        re_.set("native:s", "x" * 50)
        re_.zadd("native:z", {"a": 1, "b": 2})
        re_.set("native:ttl", "v", ex=1000)
        assert re_.save() is True
        expected = ember_state(re_)
        with ServerProcess("redis", dir=e.dir) as o:   # loads ember's dump.rdb at start
            ro = _client(o)
            same_state(expected, oracle_state(ro))
            ro.close()
        rs.close()
        re_.close()


@needs_redis
def test_ember_rdb_passes_redis_check_rdb(tmp_path):
    import subprocess
    with ServerProcess("ember") as e:
        r = _client(e)
        _neutral_fill(r)
        r.save()
        out = subprocess.run([shutil.which("redis-check-rdb"), os.path.join(e.dir, "dump.rdb")],
                             capture_output=True, text=True)
        assert "RDB looks OK" in out.stdout, out.stdout


# ------------------------------------------------------------------ BGSAVE

def test_bgsave_while_writing_and_schedule_points():
    with ServerProcess("ember") as e:
        r = _client(e)
        pipe = r.pipeline(transaction=False)
        for i in range(2000):
            pipe.set("k%d" % i, i)
        pipe.execute()
        r.config_set("rdb-key-save-delay", 200)        # 2000 keys x 200us = ~0.4 s
        assert r.bgsave() is True
        with pytest.raises(redis.ResponseError, match="Background save already in progress"):
            r.bgsave()
        with pytest.raises(redis.ResponseError, match="Background save already in progress"):
            r.save()
        info = r.info("persistence")
        assert info["rdb_bgsave_in_progress"] == 1
        assert info["rdb_current_bgsave_time_sec"] >= 0
        writes = 0
        while not _bgsave_done(r):
            r.set("during%d" % writes, "x")
            writes += 1
        assert writes > 0
        info = r.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_changes_since_last_save"] == writes
        assert info["rdb_last_bgsave_time_sec"] >= 0
        contents = read_rdb(os.path.join(e.dir, "dump.rdb"))
        assert len(contents.dbs[0]) == 2000                  # the fork-time snapshot
        assert contents.aux[b"redis-ver"] == b"7.2.4"
        assert set(contents.aux) >= {b"redis-bits", b"ctime", b"used-mem", b"aof-base"}
        log = e.read_log()
        assert re.search(r"Background saving started by pid \d+", log)
        assert "Background saving terminated with success" in log
        with pytest.raises(redis.ResponseError, match="syntax error"):
            r.execute_command("BGSAVE", "foo")
        r.config_set("rdb-key-save-delay", 0)
        # a due save point starts a BGSAVE from the cron
        r.config_set("save", "1 1")
        time.sleep(1.1)
        r.set("trigger", "1")
        assert _wait(lambda: "changes in 1 seconds. Saving..." in e.read_log())
        assert _wait(lambda: r.info("persistence")["rdb_changes_since_last_save"] == 0)
        r.close()


def test_kill9_during_bgsave_keeps_previous_dump():
    with ServerProcess("ember", args=["--save", "3600", "1"]) as e:
        r = _client(e)
        r.set("old", "1")
        assert r.save() is True
        path = os.path.join(e.dir, "dump.rdb")
        with open(path, "rb") as f:
            previous = f.read()
        pipe = r.pipeline(transaction=False)
        for i in range(500):
            pipe.set("new%d" % i, i)
        pipe.execute()
        r.config_set("rdb-key-save-delay", 20000)      # 500 x 20ms: the child is slow
        assert r.bgsave() is True
        m = None
        for _ in range(200):
            m = re.search(r"Background saving started by pid (\d+)", e.read_log())
            if m:
                break
            time.sleep(0.02)
        pid = int(m.group(1))
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        assert _wait(lambda: _bgsave_done(r))
        with open(path, "rb") as f:
            assert f.read() == previous
        assert not [n for n in os.listdir(e.dir) if n.startswith("temp-")]
        info = r.info("persistence")
        assert info["rdb_last_bgsave_status"] == "err"
        assert "Background saving terminated by signal 9" in e.read_log()
        # stop-writes-on-bgsave-error: writes are refused until a save succeeds
        with pytest.raises(redis.ResponseError, match="^MISCONF"):
            r.set("x", "1")
        assert r.get("old") == b"1"
        r.config_set("rdb-key-save-delay", 0)
        assert r.save() is True
        assert r.set("x", "1") is True
        r.close()


# ------------------------------------------------------------------ DEBUG RELOAD, corrupt

def test_debug_reload():
    with ServerProcess("ember", args=["--enable-debug-command", "yes"]) as e:
        r = _client(e)
        _neutral_fill(r)
        before = ember_state(r)
        assert r.execute_command("DEBUG", "RELOAD") == b"OK"
        same_state(before, ember_state(r))
        assert "DB reloaded by DEBUG RELOAD" in e.read_log()
        assert os.path.exists(os.path.join(e.dir, "dump.rdb"))
        r.close()


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_rdb_refuses_to_start(damage):
    with ServerProcess("ember") as e:
        r = _client(e)
        _neutral_fill(r)
        r.save()
        r.close()
        e.stop()
        path = os.path.join(e.dir, "dump.rdb")
        data = bytearray(open(path, "rb").read())
        if damage == "truncate":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0xFF
        open(path, "wb").write(bytes(data))
        e.log.close()
        e.start(wait=False)
        rc = e.proc.wait(20)
        assert rc != 0
        log = e.read_log()
        assert re.search(r"offset \d+", log), log[-1000:]
        assert "Ready to accept connections" not in log.split("oO0OoO0OoO0Oo")[-1]


# ------------------------------------------------------------------ DUMP / RESTORE vs oracle

@needs_redis
def test_dump_restore_roundtrip_with_oracle():
    """oracle DUMP -> ember RESTORE -> ember DUMP -> oracle RESTORE: same value, every type."""
    with ServerProcess("redis") as o, ServerProcess("ember") as e:
        ro, re_ = _client(o), _client(e)
        fill_all_types(ro, with_ttl=False)
        _restore_from(ro, re_, dbs=(0,))
        back = redis.Redis(port=o.port, protocol=2)
        back.execute_command("SELECT", 1)
        raw_e = redis.Redis(port=e.port, protocol=2)
        raw_e.response_callbacks.clear()
        for k in ro.keys("*"):
            payload = raw_e.execute_command("DUMP", k)
            back.execute_command("RESTORE", k, 0, payload)
        a = oracle_state(ro, dbs=(0,))[0]
        b = oracle_state(back, dbs=(1,))[1]
        assert a == b
        # types and TTL
        for k in ro.keys("*"):
            assert re_.type(k) == ro.type(k)
        for c in (ro, re_, back, raw_e):
            c.close()


@needs_redis
def test_restore_errors_match_oracle():
    from helpers import RawConn
    with ServerProcess("redis") as o, ServerProcess("ember") as e:
        ro = _client(o)
        ro.set("k", "v")
        good = ro.dump("k")
        body = b"\x00\x05hello\x0a\x00"
        from ember.persistence.crc64 import crc64
        ok_crc = body + struct.pack("<Q", crc64(body))
        bad_body = b"\x0e\x05hello\x0a\x00"
        bad_data = bad_body + struct.pack("<Q", crc64(bad_body))
        new_ver = b"\x00\x05hello\x0d\x00"
        new_ver = new_ver + struct.pack("<Q", crc64(new_ver))
        cases = [
            ("SET", "k", "v"),
            ("RESTORE", "k", "0", good),
            ("RESTORE", "k", "abc", good),
            ("RESTORE", "n1", "-1", good),
            ("RESTORE", "n1", "abc", good),
            ("RESTORE", "n1", "0", b"xx"),
            ("RESTORE", "n1", "0", good[:-1] + bytes([good[-1] ^ 1])),
            ("RESTORE", "n1", "0", new_ver),
            ("RESTORE", "n1", "0", bad_data),
            ("RESTORE", "n1", "0", good, "foo"),
            ("RESTORE", "n1", "0", good, "IDLETIME", "-1"),
            ("RESTORE", "n1", "0", good, "IDLETIME", "x"),
            ("RESTORE", "n1", "0", good, "IDLETIME", "1", "FREQ", "1"),
            ("RESTORE", "n1", "0", good, "FREQ", "256"),
            ("RESTORE", "n1", "0", good, "FREQ", "-1"),
            ("RESTORE", "n1", "0", good, "IDLETIME"),
            ("RESTORE", "n2", "0", ok_crc),
            ("GET", "n2"),
            ("RESTORE", "k", "0", good, "REPLACE", "ABSTTL", "IDLETIME", "30"),
            ("OBJECT", "IDLETIME", "k"),
            ("RESTORE", "n3", "1", good, "ABSTTL"),
            ("EXISTS", "n3"),
            ("SET", "n4", "v", "PX", "100000"),
            ("RESTORE", "n4", "1", good, "ABSTTL", "REPLACE"),
            ("EXISTS", "n4"),
            ("RESTORE", "n5", "100000", good),
            ("TTL", "n5"),
            ("RESTORE", "e1", "0", create_dump_payload("list", [])),
            ("RESTORE", "e2", "0", create_dump_payload("set", [])),
            ("RESTORE", "e3", "0", create_dump_payload("hash", {})),
            ("RESTORE", "e4", "0", create_dump_payload("zset", [])),
            ("DUMP", "missing"),
            ("DUMP", "k"),
            ("RESTORE", "k"),
        ]
        co, ce = RawConn(o.port), RawConn(e.port)
        for args in cases:
            assert ce.call(*args) == co.call(*args), args
        co.close()
        ce.close()
        ro.close()
