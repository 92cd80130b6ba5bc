"""AOF durability under SIGKILL, with real processes.

``appendfsync always``: every write the client saw acknowledged survives a SIGKILL at a random
moment (20 kills here; 200 in tests/soak/test_aof_soak.py, run with
``python3 -m pytest -q -m slow tests/soak/test_aof_soak.py``).  Each restart checks the writes
of the run just killed, and the last one checks those of every run again.  The writer is a
plain socket (aof_util.Writer), so a kill is noticed at once.  ``everysec``: at most about one
second of acknowledged writes is lost.  BGREWRITEAOF while writing keeps every write.
"""

import os
import random
import shutil
import tempfile
import time

import pytest

from aof_util import Writer, client, kill9, missing, start


def kill_cycles(runs, fsync="always", max_delay=0.4, seed=None):
    """Start ember, let a writer run, SIGKILL at a random moment, restart on the same dir and
    check every acknowledged write of every earlier run.  Returns (acked, lost) per run."""
    rnd = random.Random(seed)
    d = tempfile.mkdtemp(prefix="ember-aofcrash-")
    args = ("--appendonly", "yes", "--appendfsync", fsync)
    history = []
    everything = []     # (prefix, acked) of every run: all checked again after the last one
    try:
        srv = start("ember", d, *args)
        for run in range(runs + 1):
            r = client(srv)
            if run == runs and fsync == "always":
                history = everything
            for prefix, acked in history:
                lost = missing(r, prefix, acked)
                if fsync == "always":
                    assert not lost, "run %s: %d acknowledged writes lost, first %s" % (
                        prefix, len(lost), lost[:5])
                else:
                    yield prefix, acked, lost
            history = []
            r.close()
            if run == runs:
                break
            prefix = "r%d:" % run
            w = Writer(srv.port, prefix)
            w.start()
            time.sleep(0.05 + rnd.random() * max_delay)
            kill9(srv)
            w.join(10)
            assert w.error is not None
            history.append((prefix, w.acked))
            everything.append((prefix, w.acked))
            srv = start("ember", d, *args)
    finally:
        try:
            srv.stop()
        except Exception:
            pass
        shutil.rmtree(d, ignore_errors=True)


def test_always_sigkill_keeps_every_acknowledged_write():
    for _ in kill_cycles(20):
        pass


def test_everysec_loses_at_most_about_a_second():
    results = list(kill_cycles(2, fsync="everysec", max_delay=1.5))
    assert len(results) == 2
    for prefix, acked, lost in results:
        # the writer's rate: writes per second over the run
        if lost:
            assert lost == acked[-len(lost):], "lost writes are not the latest ones"
        assert len(lost) <= max(len(acked) // 2, 5000)


def test_bgrewriteaof_during_writes_keeps_every_write():
    d = tempfile.mkdtemp(prefix="ember-aofrw-")
    args = ("--appendonly", "yes", "--appendfsync", "always")
    srv = start("ember", d, *args)
    try:
        r = client(srv)
        w = Writer(srv.port, "w:")
        w.start()
        for _ in range(3):
            time.sleep(0.15)
            assert r.bgrewriteaof()
            deadline = time.time() + 10
            while r.info("persistence")["aof_rewrite_in_progress"] and time.time() < deadline:
                time.sleep(0.02)
            assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        time.sleep(0.1)
        kill9(srv)
        w.join(10)
        acked = w.acked
        assert len(acked) > 20
        adir = os.path.join(d, "appendonlydir")
        with open(os.path.join(adir, "appendonly.aof.manifest")) as f:
            manifest = f.read()
        names = [line.split()[1] for line in manifest.splitlines() if line.strip()]
        assert names[0] == "appendonly.aof.4.base.rdb"
        for n in names:
            assert os.path.exists(os.path.join(adir, n))
        assert not [f for f in os.listdir(adir) if f.startswith("temp-")]
        assert sorted(os.listdir(adir)) == sorted(names + ["appendonly.aof.manifest"])
        srv = start("ember", d, *args)
        r = client(srv)
        assert missing(r, "w:", acked) == []
        assert r.info("persistence")["aof_enabled"] == 1
    finally:
        srv.cleanup()
        shutil.rmtree(d, ignore_errors=True)
