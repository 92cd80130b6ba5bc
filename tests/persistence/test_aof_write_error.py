"""``appendfsync always`` when the AOF cannot be written: like Redis, the server exits (status
1) without acknowledging the write, so every acknowledged write is on disk.

The real-process test makes the write fail with a file size limit (``prlimit --fsize``:
past it write() fails with EFBIG; CPython ignores SIGXFSZ), which needs no privileges.  An
fsync failure cannot be produced that way, so it is injected in-process (``os.fdatasync``
replaced, and the exit function too, to observe it)."""

import errno
import os
import shutil
import socket

import pytest

from aof_util import client, start
from helpers import ServerProcess

from ember.config import Config
from ember.embedded import Ember
from ember.persistence import aof as aof_mod
from ember.protocol.replies import ReplyError

needs_prlimit = pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit not installed")


def _set_until_closed(port, pad, limit=10000):
    """SET w<i> "<i>:<pad>" one at a time until the server stops answering; returns the
    acked i."""
    acked = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        for i in range(limit):
            k = b"w%d" % i
            value = b"%d:" % i + pad
            s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(value), value))
            try:
                got = s.recv(100)
            except ConnectionResetError:
                break
            if not got:
                break
            assert got == b"+OK\r\n", got
            acked.append(i)
    return acked


@needs_prlimit
def test_always_write_error_exits_without_acknowledging(tmp_path):
    d = str(tmp_path)
    srv = ServerProcess("ember", dir=d, args=["--appendonly", "yes", "--appendfsync", "always"])
    srv.cmd = ["prlimit", "--fsize=%d" % (256 * 1024)] + srv.cmd
    srv.start()
    try:
        acked = _set_until_closed(srv.port, b"x" * 1000)
        assert 50 < len(acked) < 9000
        assert srv.proc.wait(20) == 1
        log = srv.read_log()
        assert "Error writing to the AOF file: File too large" in log
        assert "Can't recover from AOF write error when the AOF fsync policy is 'always'" in log
    finally:
        srv.stop()
    # without the limit: the truncated last command is dropped, every acknowledged write is
    # there, and the one the server died on was never acknowledged
    srv = start("ember", d, "--appendonly", "yes", "--appendfsync", "always")
    try:
        r = client(srv)
        for lo in range(0, len(acked), 500):
            chunk = acked[lo:lo + 500]
            vals = r.mget(["w%d" % i for i in chunk])
            assert vals == [b"%d:" % i + b"x" * 1000 for i in chunk]
        assert r.get("w%d" % (acked[-1] + 2)) is None
        r.close()
    finally:
        srv.stop()


class _Exited(Exception):
    pass


def _failing_fsync(fd):
    raise OSError(errno.EIO, os.strerror(errno.EIO))


def _aof_server(d, policy):
    cfg = Config()
    cfg.dir = d
    cfg.appendonly = True
    cfg.appendfsync = policy
    e = Ember(cfg)
    aof = aof_mod.install(e.server)
    assert aof.startup_load(e.server) and aof.fd is not None
    return e, aof


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_fsync_error_policy(tmp_path, monkeypatch, policy):
    """In-process (no event loop: the write path syncs inside the command)."""
    e, aof = _aof_server(str(tmp_path), policy)
    c = e.client()
    assert c.execute("SET", "before", "1") == "OK"
    codes = []
    logs = []

    def fake_exit(code):
        codes.append(code)
        raise _Exited()

    monkeypatch.setattr(aof_mod, "_exit", fake_exit)
    monkeypatch.setattr(aof_mod.os, "fdatasync", _failing_fsync)
    monkeypatch.setattr(e.server.log, "warning", logs.append)
    if policy == "always":
        with pytest.raises(_Exited):
            aof.feed(0, [b"SET", b"k", b"v"])
        assert codes == [1]
        assert ("Can't persist append only file: %s, AOF fsync policy is 'always'. Exiting..."
                % os.strerror(errno.EIO)) in logs
    else:
        aof.feed(0, [b"SET", b"k", b"v"])
        aof.flush(True)            # the once-a-second sync of everysec: logged, not fatal
        assert codes == []
        assert any(m.startswith("Can't persist append only file") for m in logs)


def test_write_error_in_process_always(tmp_path, monkeypatch):
    e, aof = _aof_server(str(tmp_path), "always")
    codes = []

    def fake_exit(code):
        codes.append(code)
        raise _Exited()

    def failing_write(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(aof_mod, "_exit", fake_exit)
    monkeypatch.setattr(aof_mod.os, "write", failing_write)
    with pytest.raises(_Exited):
        e.client().execute("SET", "k", "v")
    assert codes == [1]


def test_everysec_write_error_refuses_writes_until_the_aof_recovers(tmp_path, monkeypatch):
    """Redis answers writes with MISCONF while the AOF cannot be written (reads still work)
    and lifts it once a write succeeds again."""
    e, aof = _aof_server(str(tmp_path), "everysec")
    c = e.client()
    assert c.execute("SET", "before", "1") == "OK"
    real_write = aof_mod.os.write

    def failing_write(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(aof_mod.os, "write", failing_write)
    assert c.execute("SET", "k", "v") == "OK"      # accepted; the write to the file fails
    aof.flush(False)
    with pytest.raises(ReplyError) as ex:
        c.execute("SET", "k2", "v")
    assert str(ex.value) == "MISCONF Errors writing to the AOF file: " + os.strerror(errno.ENOSPC)
    assert c.execute("GET", "before") == b"1"
    monkeypatch.setattr(aof_mod.os, "write", real_write)
    aof.flush(False)                                # the pending data goes out: recovered
    assert e.server.write_blocked_reason is None
    assert c.execute("SET", "k3", "v") == "OK"
    aof.flush(True)
    with open(os.path.join(str(tmp_path), "appendonlydir", aof.manifest.incrs[-1][0]), "rb") as f:
        body = f.read()
    assert b"$1\r\nk\r\n" in body and b"$2\r\nk3\r\n" in body and b"k2" not in body
