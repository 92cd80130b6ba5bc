"""Server commands through the embedded client (fast), plus INFO field names and a few
TCP behaviours against a real ember process and the redis-server oracle."""

import os
import re
import tempfile
import time

import pytest

from ember.config import Config
from ember.embedded import Ember
from ember.protocol.encoder import encode
from ember.protocol.replies import Map, ReplyError, Verbatim


def make(debug="no", **kw):
    cfg = Config()
    cfg.enable_debug_command = debug
    e = Ember(config=cfg, **kw)
    return e, e.client()


@pytest.fixture
def c():
    return make()[1]


def err(c, *args):
    with pytest.raises(ReplyError) as ei:
        c.execute(*args)
    return ei.value.message


# ---- keyspace commands --------------------------------------------------------------
def test_dbsize_flushdb_flushall(c):
    c.execute("SET", "a", "1")
    c.execute("SET", "b", "2")
    assert c.execute("DBSIZE") == 2
    c.execute("SELECT", 1)
    c.execute("SET", "c", "3")
    assert c.execute("FLUSHDB", "SYNC") == "OK"
    assert c.execute("DBSIZE") == 0
    c.execute("SELECT", 0)
    assert c.execute("DBSIZE") == 2
    assert err(c, "FLUSHDB", "FOO") == "ERR syntax error"
    assert err(c, "FLUSHALL", "ASYNC", "SYNC") == "ERR syntax error"
    assert c.execute("FLUSHALL", "async") == "OK"
    assert c.execute("DBSIZE") == 0


def test_flush_dirties_watchers():
    e, c = make()
    other = e.client()
    c.execute("SET", "k", "1")
    c.execute("WATCH", "k")
    other.execute("FLUSHALL")
    c.execute("MULTI")
    c.execute("PING")
    assert c.execute("EXEC") is not None and repr(c.execute("PING")) == "'PONG'"


def test_swapdb():
    e, c = make()
    other = e.client()
    other.execute("SELECT", 1)
    c.execute("SET", "a", "0")
    c.execute("PEXPIRE", "a", 100000)
    other.execute("SET", "b", "1")
    assert c.execute("SWAPDB", 0, 1) == "OK"
    # clients keep their Database objects; the contents moved
    assert c.execute("GET", "b") == b"1"
    assert c.execute("GET", "a") is None
    assert other.execute("GET", "a") == b"0"
    assert other.execute("PTTL", "a") > 0
    assert err(c, "SWAPDB", "x", 1) == "ERR invalid first DB index"
    assert err(c, "SWAPDB", 0, "y") == "ERR invalid second DB index"
    assert err(c, "SWAPDB", 0, 16) == "ERR DB index is out of range"
    assert err(c, "SWAPDB", -1, 0) == "ERR DB index is out of range"
    assert c.execute("SWAPDB", 3, 3) == "OK"


def test_swapdb_dirties_watchers():
    e, c = make()
    other = e.client()
    other.execute("SELECT", 1)
    other.execute("SET", "k", "x")
    c.execute("WATCH", "k")          # k missing in db0, present in db1
    other.execute("SWAPDB", 0, 1)
    c.execute("MULTI")
    c.execute("PING")
    assert encode(c.execute("EXEC")) == b"*-1\r\n"


def test_time_lastsave_role(c):
    sec, usec = c.execute("TIME")
    assert abs(int(sec) - time.time()) < 5 and 0 <= int(usec) < 1_000_000
    assert isinstance(c.execute("LASTSAVE"), int)
    assert c.execute("ROLE") == [b"master", 0, []]


# ---- INFO -----------------------------------------------------------------------------
def info_dict(text):
    out = {}
    section = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            section = line[2:]
            out[section] = {}
        elif line:
            k, v = line.split(":", 1)
            out[section][k] = v
    return out


def test_info_sections(c):
    r = c.execute("INFO")
    assert isinstance(r, Verbatim)
    d = info_dict(r.data.decode())
    assert list(d) == ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                       "Modules", "Errorstats", "Cluster", "Keyspace"]
    assert d["Server"]["redis_version"] == "7.2.4"
    assert "ember_version" in d["Server"]
    assert int(d["Server"]["process_id"]) == os.getpid()
    assert int(d["Memory"]["used_memory"]) > 0
    d = info_dict(c.execute("INFO", "everything").data.decode())
    assert "Commandstats" in d and "Latencystats" in d
    d = info_dict(c.execute("INFO", "CPU", "keyspace", "server").data.decode())
    assert list(d) == ["Server", "CPU", "Keyspace"]
    assert c.execute("INFO", "nosuchsection").data == b""


def test_info_keyspace_commandstats_errorstats(c):
    c.execute("SET", "a", "1")
    c.execute("SET", "b", "1")
    c.execute("EXPIRE", "b", 100)
    err(c, "INCR", "a", "x")            # arity: rejected
    c.execute("SET", "s", "x")
    err(c, "INCR", "s")                  # failed
    d = info_dict(c.execute("INFO", "keyspace", "commandstats", "errorstats", "stats").data.decode())
    m = re.match(r"keys=3,expires=1,avg_ttl=(\d+)$", d["Keyspace"]["db0"])
    assert m and 90000 < int(m.group(1)) <= 100000
    assert d["Commandstats"]["cmdstat_set"].startswith("calls=3,usec=")
    incr = d["Commandstats"]["cmdstat_incr"]
    assert re.match(r"calls=1,usec=\d+,usec_per_call=[\d.]+,rejected_calls=1,failed_calls=1$", incr)
    assert d["Errorstats"]["errorstat_ERR"] == "count=2"
    assert int(d["Stats"]["total_commands_processed"]) >= 5
    assert int(d["Stats"]["total_error_replies"]) == 2
    assert c.execute("CONFIG", "RESETSTAT") == "OK"
    d = info_dict(c.execute("INFO", "commandstats", "errorstats").data.decode())
    assert d["Errorstats"] == {}
    assert "cmdstat_set" not in d["Commandstats"]


# ---- CONFIG -----------------------------------------------------------------------------
def test_config_get_set(c):
    assert c.execute("CONFIG", "GET", "hz") == Map([(b"hz", b"10")])
    assert c.execute("CONFIG", "SET", "hz", "20", "maxclients", "50") == "OK"
    assert c.execute("CONFIG", "GET", "hz") == Map([(b"hz", b"20")])
    assert c.client.server.config.maxclients == 50
    assert err(c, "CONFIG", "SET", "hz") == "ERR wrong number of arguments for 'config|set' command"
    assert err(c, "CONFIG", "SET", "hz", "1", "x") == "ERR wrong number of arguments for 'config|set' command"
    assert err(c, "CONFIG", "SET", "hz", "x").startswith(
        "ERR CONFIG SET failed (possibly related to argument 'hz')")
    assert err(c, "CONFIG", "REWRITE") == "ERR The server is running without a config file"
    assert c.execute("CONFIG", "HELP")[0].startswith("CONFIG <subcommand>")


def test_config_set_loglevel_takes_effect():
    e, c = make()

    class Log:
        level = None

        def set_level(self, lv):
            self.level = lv

        def __getattr__(self, name):
            return lambda *a: None
    e.server.log = Log()
    c.execute("CONFIG", "SET", "loglevel", "warning")
    assert e.server.log.level == "warning"


def test_config_rewrite(tmp_path):
    path = tmp_path / "ember.conf"
    path.write_text("port 7777\nhz 10\n")
    cfg = Config()
    cfg.load_file(str(path))
    c = Ember(config=cfg).client()
    c.execute("CONFIG", "SET", "hz", "33")
    assert c.execute("CONFIG", "REWRITE") == "OK"
    assert "hz 33" in path.read_text()


# ---- SHUTDOWN -------------------------------------------------------------------------
def test_shutdown_embedded():
    e, c = make()
    assert err(c, "SHUTDOWN", "ABORT") == "ERR No shutdown in progress."
    assert err(c, "SHUTDOWN", "SAVE", "NOSAVE") == "ERR syntax error"
    assert err(c, "SHUTDOWN", "NOSAVE", "ABORT") == "ERR syntax error"
    assert err(c, "SHUTDOWN", "FOO") == "ERR syntax error"
    c.execute("SHUTDOWN", "NOSAVE", "NOW")
    assert e.server.shutdown_requested["save"] is False
    assert c.execute("SHUTDOWN", "ABORT") == "OK"
    assert e.server.shutdown_requested is None


# ---- DEBUG ----------------------------------------------------------------------------
def test_debug_gated(c):
    assert err(c, "DEBUG", "SLEEP", "0").startswith(
        'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local"')


@pytest.mark.parametrize("resp3", [False, True])
def test_debug_protocol(resp3):
    e, c = make("yes")
    c.client.resp3 = resp3
    expect2 = {
        "string": b"$11\r\nHello World\r\n", "integer": b":12345\r\n", "double": b"$5\r\n3.141\r\n",
        "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n", "null": b"$-1\r\n",
        "array": b"*3\r\n:0\r\n:1\r\n:2\r\n", "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
        "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
        "attrib": b"$39\r\nSome real reply following the attribute\r\n",
        "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n", "true": b":1\r\n", "false": b":0\r\n",
    }
    expect3 = {
        "string": b"$11\r\nHello World\r\n", "integer": b":12345\r\n", "double": b",3.141\r\n",
        "bignum": b"(1234567999999999999999999999999999999\r\n", "null": b"_\r\n",
        "array": b"*3\r\n:0\r\n:1\r\n:2\r\n", "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
        "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
        "attrib": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                  b"$39\r\nSome real reply following the attribute\r\n",
        "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n", "true": b"#t\r\n", "false": b"#f\r\n",
    }
    for t, wire in (expect3 if resp3 else expect2).items():
        assert encode(c.execute("DEBUG", "PROTOCOL", t), resp3) == wire, t
    if resp3:
        assert encode(c.execute("DEBUG", "PROTOCOL", "push"), True) == \
            b"$40\r\nSome real reply following the push reply\r\n"
        assert c.pushes[-1] == b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
    else:
        assert err(c, "DEBUG", "PROTOCOL", "push") == "ERR RESP2 is not supported by this command"
    assert err(c, "DEBUG", "PROTOCOL", "nope").startswith("ERR Wrong protocol type name.")


def test_debug_misc():
    e, c = make("local")
    assert c.execute("DEBUG", "DIGEST") == "0" * 40
    c.execute("SET", "foo", "bar")
    d1 = c.execute("DEBUG", "DIGEST")
    assert len(d1) == 40 and d1 != "0" * 40
    dv = c.execute("DEBUG", "DIGEST-VALUE", "foo", "missing")
    assert len(dv[0]) == 40 and dv[1] == b"0" * 40
    c.execute("SET", "foo", "baz")
    assert c.execute("DEBUG", "DIGEST") != d1
    assert re.match(r"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ "
                    r"lru_seconds_idle:\d+$", c.execute("DEBUG", "OBJECT", "foo"))
    assert err(c, "DEBUG", "OBJECT", "nokey") == "ERR no such key"
    t = time.time()
    assert c.execute("DEBUG", "SLEEP", "0.05") == "OK"
    assert time.time() - t >= 0.04
    assert c.execute("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    assert e.server.active_expire_enabled is False
    assert err(c, "DEBUG", "POPULATE", "x") == "ERR value is out of range, must be positive"
    assert err(c, "DEBUG", "POPULATE", "-1") == "ERR value is out of range, must be positive"
    assert c.execute("DEBUG", "SLEEP", "junk") == "OK"
    assert c.execute("DEBUG", "POPULATE", "10") == "OK"
    assert c.execute("DBSIZE") == 11
    assert c.execute("GET", "key:3") == b"value:3"
    assert c.execute("DEBUG", "HELP")[0].startswith("DEBUG <subcommand>")
    assert err(c, "DEBUG", "RELOAD").startswith("ERR")


# ---- SLOWLOG ------------------------------------------------------------------------------
def test_slowlog():
    e, c = make()
    c.client.name = b"me"
    assert c.execute("SLOWLOG", "LEN") == 0
    c.execute("CONFIG", "SET", "slowlog-log-slower-than", "0")
    c.execute("SET", "k", "x" * 200)
    c.execute("MSET", *[str(i) for i in range(40)])
    entries = c.execute("SLOWLOG", "GET", "-1")
    assert len(entries) == 3
    assert c.execute("SLOWLOG", "LEN") == 4       # SLOWLOG GET itself was logged
    eid, ts, dur, args, addr, name = entries[0]
    assert args == [b"MSET"] + [str(i).encode() for i in range(30)] + [b"... (10 more arguments)"]
    set_entry = entries[1][3]
    assert set_entry[2] == b"x" * 128 + b"... (72 more bytes)"
    assert addr == b"embedded:0" and name == b"me"
    assert entries[0][0] > entries[1][0]
    assert len(c.execute("SLOWLOG", "GET", "1")) == 1
    assert err(c, "SLOWLOG", "GET", "-2") == "ERR count should be greater than or equal to -1"
    c.execute("CONFIG", "SET", "slowlog-max-len", "2")
    assert c.execute("SLOWLOG", "LEN") <= 3
    c.execute("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    assert c.execute("SLOWLOG", "RESET") == "OK"
    c.execute("PING")
    assert c.execute("SLOWLOG", "LEN") == 0
    assert c.execute("SLOWLOG", "HELP")[0].startswith("SLOWLOG <subcommand>")


# ---- MONITOR (feed format) ----------------------------------------------------------------
def test_monitor_embedded():
    e = Ember()
    mon, c = e.client(), e.client()
    assert mon.execute("MONITOR") == "OK"
    c.execute("SET", "k", 'a "b"\n')
    c.execute("CONFIG", "GET", "hz")        # admin commands are not shown
    lines = [p.decode() for p in mon.pushes]
    assert len(lines) == 1
    assert re.match(r'\+\d+\.\d{6} \[0 embedded:0\] "SET" "k" "a \\"b\\"\\n"\r\n$', lines[0])
    mon.close()
    assert e.server.monitors == []


# ---- misc ---------------------------------------------------------------------------------
def test_lolwut_memory_latency(c):
    assert c.execute("LOLWUT").data.endswith(b"Redis ver. 7.2.4\n")
    c.execute("SET", "k", "v")
    assert isinstance(c.execute("MEMORY", "USAGE", "k"), int)
    assert c.execute("MEMORY", "USAGE", "nokey") is None
    assert err(c, "MEMORY", "USAGE", "k", "SAMPLES") == "ERR syntax error"
    stats = dict(c.execute("MEMORY", "STATS").items)
    assert stats[b"keys.count"] == 1 and b"db.0" in stats
    assert isinstance(c.execute("MEMORY", "DOCTOR"), Verbatim)
    assert c.execute("MEMORY", "PURGE") == "OK"
    assert c.execute("LATENCY", "LATEST") == []
    assert c.execute("LATENCY", "HISTORY", "command") == []
    assert c.execute("LATENCY", "RESET") == 0
    assert err(c, "LATENCY", "GRAPH", "x") == "ERR No samples available for event 'x'"
    h = c.execute("LATENCY", "HISTOGRAM", "set", "nosuch")
    assert [k for k, _ in h.items] == [b"set"]
    assert dict(h.items[0][1].items)[b"calls"] == 1
    for cmd in ("MEMORY", "LATENCY"):
        assert c.execute(cmd, "HELP")[0].startswith(cmd + " <subcommand>")


def test_command(c):
    n = c.execute("COMMAND", "COUNT")
    assert n == len(c.execute("COMMAND")) > 200
    info = c.execute("COMMAND", "INFO", "get", "nosuch", "config|get")
    assert info[0][0] == b"get" and info[0][1] == 2 and info[1] is None and info[2][0] == b"config|get"
    docs = c.execute("COMMAND", "DOCS", "get", "nosuch")
    assert [k for k, _ in docs.items] == [b"get"]
    assert c.execute("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == [b"a", b"b"]
    assert err(c, "COMMAND", "GETKEYS", "NOSUCH") == "ERR Invalid command specified"
    gk = c.execute("COMMAND", "GETKEYSANDFLAGS", "SET", "k", "v")
    assert gk[0][0] == b"k"
    names = c.execute("COMMAND", "LIST")
    assert b"get" in names and b"client|list" in names
    assert c.execute("COMMAND", "LIST", "FILTERBY", "PATTERN", "xa*") == [b"xack", b"xadd", b"xautoclaim"]
    assert b"get" in c.execute("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read")
    assert c.execute("COMMAND", "LIST", "FILTERBY", "MODULE", "x") == []
    assert err(c, "COMMAND", "LIST", "FILTERBY", "FOO", "x") == "ERR syntax error"
    assert c.execute("COMMAND", "HELP")[0].startswith("COMMAND <subcommand>")


# ---- over TCP / against the oracle ------------------------------------------------------------
def _have_parser():
    try:
        import ember.protocol.parser  # noqa: F401
        return True
    except ImportError:
        try:
            import ember.protocol._bootstrap_parser  # noqa: F401
            return True
        except ImportError:
            return False


needs_net = pytest.mark.skipif(not _have_parser(), reason="network parser not available yet")

_72_ADDITIONS = {"ember_version", "listener0", "listener1", "total_blocking_keys",
                 "client_query_buffer_limit_disconnections", "client_output_buffer_limit_disconnections",
                 "total_blocking_keys_on_nokey", "eventloop_cycles", "eventloop_duration_sum",
                 "eventloop_duration_cmd_sum", "instantaneous_eventloop_cycles_per_sec",
                 "instantaneous_eventloop_duration_usec", "acl_access_denied_auth",
                 "acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel"}


def _field_names(port):
    from helpers import RawConn
    conn = RawConn(port)
    raw = conn.call("INFO", "everything")
    conn.close()
    body = raw.split(b"\r\n", 1)[1][:-2].decode()
    names = []
    for line in body.split("\r\n"):
        if not line or line.startswith("cmdstat_") or line.startswith("errorstat_") \
                or line.startswith("latency_percentiles") or line.startswith("db"):
            continue
        names.append(line.split(":", 1)[0])
    return names


@needs_net
def test_info_fields_match_oracle(ember_server, redis_oracle):
    redis = pytest.importorskip("redis")
    e = redis.Redis(port=ember_server.port)
    mine = [n for n in _field_names(ember_server.port) if n not in _72_ADDITIONS]
    assert mine == _field_names(redis_oracle.port)
    d = e.info("server")
    assert d["tcp_port"] == ember_server.port and d["redis_version"] == "7.2.4"
    assert e.info("clients")["connected_clients"] >= 1


@needs_net
def test_shutdown_over_tcp():
    redis = pytest.importorskip("redis")
    from helpers import ServerProcess
    with ServerProcess("ember") as s:
        r = redis.Redis(port=s.port)
        with pytest.raises(redis.ConnectionError):
            r.execute_command("SHUTDOWN", "NOSAVE")
        s.proc.wait(10)
        assert s.proc.returncode == 0


@needs_net
def test_info_io_and_eventloop_counters(ember_server):
    """total_reads/writes_processed count the reads and writes of the connections; the
    eventloop_* fields (7.2) are real: cycles (reads + timer callbacks), the loop thread's
    busy time, and per-second rates sampled by the cron."""
    import time
    redis = pytest.importorskip("redis")
    r = redis.Redis(port=ember_server.port)
    before = r.info("stats")
    for i in range(50):
        r.set("k%d" % i, "v")
    p = r.pipeline(transaction=False)
    for i in range(20):
        p.get("k%d" % i)
    p.execute()                     # one read (or a few), one write
    time.sleep(0.5)                 # a few cron samples
    after = r.info("stats")
    reads = after["total_reads_processed"] - before["total_reads_processed"]
    writes = after["total_writes_processed"] - before["total_writes_processed"]
    assert 51 <= reads <= 60 and 51 <= writes <= 60, (reads, writes)
    assert after["eventloop_cycles"] - before["eventloop_cycles"] >= reads + 3   # + cron ticks
    assert after["eventloop_duration_sum"] > before["eventloop_duration_sum"] > 0
    assert after["eventloop_duration_cmd_sum"] <= after["eventloop_duration_sum"]
    assert after["instantaneous_eventloop_cycles_per_sec"] >= 5        # hz 10 at least
    assert after["instantaneous_eventloop_duration_usec"] > 0
    # traffic of the last moments shows in the sampled rates (hz 10, 16 samples)
    r.set("big", "x" * 4096)
    for _ in range(3):
        p = r.pipeline(transaction=False)
        for _ in range(50):
            p.get("big")
        p.execute()
        time.sleep(0.2)
        now = r.info("stats")
        if float(now["instantaneous_input_kbps"]) > 0 and float(now["instantaneous_output_kbps"]) > 1:
            break
    assert float(now["instantaneous_input_kbps"]) > 0 and float(now["instantaneous_output_kbps"]) > 1
    mem = r.info("memory")
    assert mem["mem_clients_normal"] >= 1024 * r.info("clients")["connected_clients"]
    r.config_resetstat()
    assert r.info("stats")["total_reads_processed"] <= 2
