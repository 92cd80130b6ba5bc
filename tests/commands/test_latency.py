"""Latency tracking (INFO latencystats, LATENCY HISTOGRAM) and the latency monitor (LATENCY
LATEST/HISTORY/RESET/GRAPH/DOCTOR), in-process and side by side with redis-server."""

import re
import time

import pytest

from ember.clock import ManualClock
from ember.config import Config
from ember.embedded import Ember
from ember.protocol.replies import Map, ReplyError
from ember.server import latency
from helpers import ServerProcess, have_redis


def _items(m):
    return [(k, _items(v) if isinstance(v, Map) else v) for k, v in m.items]


# ---- the histogram arithmetic (HdrHistogram, 2 significant digits) --------------------------
def test_quantisation_is_hdr_two_digits():
    h = {}
    for v in (0, 1, 255, 256, 257, 8000, 8031, 8032, 33_554_432):
        latency.record(h, v)
    # below 256 every value is its own bucket; from 2^k up buckets are 2^(k-7) wide
    assert sorted(h) == [0, 1, 255, 257, 8031, 8063, 33_816_575]
    assert h[257] == 2 and h[8031] == 2


def test_percentile_and_log_buckets():
    h = {}
    for _ in range(98):
        latency.record(h, 8000)
    latency.record(h, 20_000)
    latency.record(h, 50_000_000)
    assert latency.percentile(h, 50) == 8031
    assert latency.percentile(h, 99) == 20095       # 99 of 100 reached at the 99th value
    assert latency.percentile(h, 99.9) == latency.percentile(h, 100) == 50_069_503
    # power-of-two steps labelled in usec, cumulative, empty steps left out
    assert latency.log_buckets(h) == [(8, 98), (33, 99), (67633, 100)]


def test_log_bucket_labels_are_redis_labels():
    # labels Redis 7 prints for LATENCY HISTOGRAM (2^k ns rounded up to its bucket, in usec)
    h = {}
    for k in range(10, 26):
        latency.record(h, 1 << k)
    labels = [b for b, _ in latency.log_buckets(h)]
    assert labels[:6] == [1, 2, 4, 8, 16, 33]
    assert 132 in labels and 2113 in labels and 33816 in labels


# ---- in-process ---------------------------------------------------------------------------
def test_info_latencystats_and_histogram():
    e = Ember()
    c = e.client()
    for _ in range(5):
        c.execute("SET", "k", "v")
    c.execute("GET", "k")
    c.execute("CONFIG", "GET", "maxmemory")
    info = c.execute("INFO", "latencystats").data.decode()
    fields = dict(line.split(":", 1) for line in info.splitlines()[1:] if line)
    assert re.fullmatch(r"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}",
                        fields["latency_percentiles_usec_set"])
    assert "latency_percentiles_usec_config|get" in fields
    h = dict(_items(c.execute("LATENCY", "HISTOGRAM", "set", "get", "nosuch", "lpush")))
    assert set(h) == {b"set", b"get"}
    sets = dict(h[b"set"])
    assert sets[b"calls"] == 5 and sets[b"histogram_usec"][-1][1] == 5
    counts = [n for _, n in sets[b"histogram_usec"]]
    assert counts == sorted(counts)             # cumulative
    # percentiles option
    c.execute("CONFIG", "SET", "latency-tracking-info-percentiles", "25 99.99 100")
    info = c.execute("INFO", "latencystats").data.decode()
    assert re.search(r"latency_percentiles_usec_get:p25=[\d.]+,p99\.99=[\d.]+,p100=[\d.]+", info)
    # CONFIG RESETSTAT forgets the histograms
    c.execute("CONFIG", "RESETSTAT")
    assert b"set" not in dict(_items(c.execute("LATENCY", "HISTOGRAM")))
    # tracking off: nothing recorded, nothing shown
    c.execute("CONFIG", "SET", "latency-tracking", "no")
    c.execute("SET", "k", "v")
    assert c.execute("INFO", "latencystats").data == b"# Latencystats\r\n"
    assert c.execute("LATENCY", "HISTOGRAM").items == []
    c.execute("CONFIG", "SET", "latency-tracking", "yes")
    assert b"set" not in dict(_items(c.execute("LATENCY", "HISTOGRAM")))


def test_pipelined_batches_are_tracked(ember_server):
    # a uniform pipeline runs through the batch path (dispatch.execute_batch): each command
    # of the batch is recorded
    from helpers import RawConn, encode_command
    conn = RawConn(ember_server.port)
    conn.send(b"".join(encode_command("SET", "k%d" % i, "v") for i in range(16)))
    for _ in range(16):
        conn.read_reply()
    raw = conn.call("LATENCY", "HISTOGRAM", "set")
    conn.close()
    assert b"$5\r\ncalls\r\n:16\r\n" in raw


def test_monitor_events_in_process():
    clock = ManualClock()
    cfg = Config()
    cfg.enable_debug_command = "yes"
    e = Ember(config=cfg, clock=clock)
    c = e.client()
    assert c.execute("LATENCY", "LATEST") == []
    assert "disabled" in c.execute("LATENCY", "DOCTOR").data.decode()
    c.execute("CONFIG", "SET", "latency-monitor-threshold", "5")
    c.execute("DEBUG", "SLEEP", "0.02")
    c.execute("DEBUG", "SLEEP", "0.01")       # same second: the larger sample stays
    clock._t += 3
    c.execute("DEBUG", "SLEEP", "0.006")
    c.execute("GET", "nokey")                 # fast and quick: no event
    latest = c.execute("LATENCY", "LATEST")
    assert [row[0] for row in latest] == [b"command"]
    name, ts, last, worst = latest[0]
    assert ts == int(clock.time()) and 6 <= last < 20 and worst >= 20
    hist = c.execute("LATENCY", "HISTORY", "command")
    assert [t for t, _ in hist] == [ts - 3, ts] and hist[0][1] >= 20
    graph = c.execute("LATENCY", "GRAPH", "COMMAND").data.decode()
    assert graph.startswith("command - high %d ms, low %d ms (all time high %d ms)\n"
                            % (hist[0][1], hist[1][1], worst))
    doctor = c.execute("LATENCY", "DOCTOR").data.decode()
    assert "command: 2 latency spikes" in doctor
    assert c.execute("LATENCY", "RESET", "nosuch") == 0
    assert c.execute("LATENCY", "RESET", "command", "command") == 1
    assert c.execute("LATENCY", "LATEST") == []
    with pytest.raises(ReplyError, match="No samples available for event 'command'"):
        c.execute("LATENCY", "GRAPH", "command")
    # the slowlog keeps its own threshold
    c.execute("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    c.execute("SLOWLOG", "RESET")
    c.execute("DEBUG", "SLEEP", "0.006")
    assert c.execute("SLOWLOG", "LEN") == 0
    assert len(c.execute("LATENCY", "HISTORY", "command")) == 1


def test_expire_cycle_event():
    clock = ManualClock()
    e = Ember(clock=clock)
    c = e.client()
    c.execute("CONFIG", "SET", "latency-monitor-threshold", "1")
    e.server.EXPIRE_PASS_SECONDS = 0.05
    for i in range(60000):
        c.execute("SET", "k%d" % i, "v", "PX", "10")
    clock._t += 5
    e.server.active_expire()
    assert b"expire-cycle" in [row[0] for row in c.execute("LATENCY", "LATEST")]


# ---- side by side with redis-server ---------------------------------------------------------
def _calls(port, *args):
    import redis
    r = redis.Redis(port=port)
    try:
        return r.execute_command(*args)
    finally:
        r.close()


@pytest.mark.skipif(not have_redis(), reason="redis-server not installed")
def test_same_shapes_as_redis():
    import redis
    with ServerProcess("ember", args=["--enable-debug-command", "yes"]) as es, \
            ServerProcess("redis", args=["--enable-debug-command", "yes"]) as rs:
        out = {}
        for name, port in (("ember", es.port), ("redis", rs.port)):
            r = redis.Redis(port=port)
            r.execute_command("CONFIG", "SET", "latency-monitor-threshold", "10")
            r.execute_command("CONFIG", "RESETSTAT")
            for _ in range(3):
                r.set("k", "v")
            r.execute_command("DEBUG", "SLEEP", "0.03")
            latest = r.execute_command("LATENCY", "LATEST")
            hist = r.execute_command("LATENCY", "HISTORY", "command")
            histo = r.execute_command("LATENCY", "HISTOGRAM", "set", "debug", "lpush")
            info = r.info("latencystats")
            reset = r.execute_command("LATENCY", "RESET")
            after = r.execute_command("LATENCY", "LATEST")
            try:
                r.execute_command("LATENCY", "GRAPH", "command")
                graph_err = None
            except redis.ResponseError as ex:
                graph_err = str(ex)
            r.close()
            out[name] = (latest, hist, histo, info, reset, after, graph_err)
        (el, eh, eg, ei, er, ea, ee), (rl, rh, rg, ri, rr, ra, re_) = out["ember"], out["redis"]
        assert [x[0] for x in el] == [x[0] for x in rl] == [b"command"]
        assert abs(el[0][1] - rl[0][1]) < 60 and 30 <= el[0][2] < 100 and el[0][3] == el[0][2]
        assert len(eh) == len(rh) == 1 and eh[0][1] >= 30
        # LATENCY HISTOGRAM: same commands, same calls, the same kind of labels
        assert sorted(eg) == sorted(rg)
        for k in eg:
            assert eg[k][b"calls"] == rg[k][b"calls"]
            assert list(eg[k][b"histogram_usec"].values())[-1] == eg[k][b"calls"]
        assert int(list(eg[b"debug"][b"histogram_usec"])[-1]) in (33816, 67633)
        assert set(ei) >= {"latency_percentiles_usec_set", "latency_percentiles_usec_debug"}
        assert set(ei["latency_percentiles_usec_set"]) == set(ri["latency_percentiles_usec_set"])
        assert (er, ea, ee) == (rr, ra, re_) == (1, [], "No samples available for event 'command'")


def test_graph_format_is_readable():
    mon = latency.LatencyMonitor(clock=lambda: 1000.0)
    mon.add("fork", 12)
    g = mon.graph("fork").decode().splitlines()
    assert g[0] == "fork - high 12 ms, low 12 ms (all time high 12 ms)"
    assert set(g[2]) == {"#"}


def test_fork_stats(tmp_path):
    import redis
    with ServerProcess("ember", dir=str(tmp_path)) as s:
        r = redis.Redis(port=s.port)
        assert r.info("stats")["total_forks"] == 0
        r.set("k", "v")
        r.bgsave()
        r.execute_command("CONFIG", "SET", "appendonly", "yes")    # starts a rewrite: a fork
        for _ in range(200):
            p = r.info("persistence")
            if not (p["rdb_bgsave_in_progress"] or p["aof_rewrite_in_progress"]
                    or p["aof_rewrite_scheduled"]):
                break
            time.sleep(0.05)
        st = r.info("stats")
        assert st["total_forks"] == 2 and st["latest_fork_usec"] > 0
        r.execute_command("CONFIG", "RESETSTAT")
        st = r.info("stats")
        assert st["total_forks"] == 0 and st["latest_fork_usec"] == 0
        r.close()
