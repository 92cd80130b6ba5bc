import os
import shutil
import socket
import subprocess
import time

import pytest

from ember import config as cfgmod
from ember.config import Config, ConfigFileError, PARAMS
from ember.protocol.replies import ReplyError


def test_defaults():
    c = Config()
    assert c.port == 6379 and c.databases == 16 and c.hz == 10
    assert c.proto_max_bulk_len == 512 * 1024 * 1024
    assert c.bind == ["*", "-::*"]
    d = dict(c.get([b"save", b"bind", b"client-output-buffer-limit", b"maxmemory"]))
    assert d[b"save"] == b"3600 1 300 100 60 10000"
    assert d[b"bind"] == b"* -::*"
    assert d[b"client-output-buffer-limit"] == (
        b"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
    assert d[b"maxmemory"] == b"0"


def test_every_param_has_attribute_and_formats():
    c = Config()
    for p in PARAMS:
        assert hasattr(c, p.attr)
        assert isinstance(c.format_value(p.name), str)


def test_notify_flags_roundtrip():
    for text, canon in [("KEA", "AKE"), ("Kgx$", "g$xK"), ("Kn", "nK"), ("AKEm", "AKEm"), ("", "")]:
        assert cfgmod.format_notify_keyspace_events(cfgmod.parse_notify_keyspace_events(text)) == canon
    with pytest.raises(ValueError):
        cfgmod.parse_notify_keyspace_events("Q")


def test_split_args():
    sa = cfgmod.split_args
    assert sa('a "b c" \'d e\'') == ["a", "b c", "d e"]
    assert sa('x "\\x41\\n"') == ["x", "A\n"]
    assert sa('x "unterminated') is None
    assert sa('x "a"b') is None
    assert sa('save ""') == ["save", ""]


def test_load_string_and_errors(tmp_path):
    c = Config()
    c.load_string('# c\nport 7000\nsave ""\nsave 5 5\nsave 10 1\nbind 127.0.0.1 ::1\n'
                  'hash-max-ziplist-entries 100\nmaxmemory 1gb\nrename-command FLUSHALL ""\n'
                  'slaveof 10.0.0.1 6380\nnotify-keyspace-events "KEA"\n')
    assert c.port == 7000
    assert c.save == [(5, 5), (10, 1)]
    assert c.bind == ["127.0.0.1", "::1"]
    assert c.hash_max_listpack_entries == 100
    assert c.maxmemory == 1024 ** 3
    assert c.rename_commands == [("FLUSHALL", "")]
    assert c.replicaof == ("10.0.0.1", 6380)
    assert c.notify_keyspace_events == cfgmod.NOTIFY_ALL | cfgmod.NOTIFY_KEYSPACE | cfgmod.NOTIFY_KEYEVENT
    with pytest.raises(ConfigFileError) as ei:
        Config().load_string("port 7001\nbogus-directive yes\n")
    assert str(ei.value) == ("\n*** FATAL CONFIG FILE ERROR (Redis 7.2.4) ***\n"
                             "Reading the configuration file, at line 2\n"
                             ">>> 'bogus-directive yes'\n"
                             "Bad directive or wrong number of arguments\n")
    for text, reason in [("port abc", "argument couldn't be parsed into an integer"),
                         ("save 1", "Invalid save parameters"),
                         ("port 1 2", "wrong number of arguments"),
                         ("daemonize maybe", "argument must be 'yes' or 'no'"),
                         ('port "abc', "Unbalanced quotes in configuration line")]:
        with pytest.raises(ConfigFileError) as ei:
            Config().load_string(text + "\n")
        assert ei.value.reason == reason and ei.value.linenum == 1


def test_include(tmp_path):
    inc = tmp_path / "inc.conf"
    inc.write_text("hz 20\n")
    main = tmp_path / "main.conf"
    main.write_text("include %s\nport 1234\n" % inc)
    c = Config()
    c.load_file(str(main))
    assert c.hz == 20 and c.port == 1234 and c.config_file == str(main)


def test_parse_argv(tmp_path):
    c = Config()
    c.parse_argv(["--port", "7000", "--save", "", "--bind", "127.0.0.1", "::1",
                  "--list-max-listpack-size", "-3"])
    assert c.port == 7000 and c.save == [] and c.bind == ["127.0.0.1", "::1"]
    assert c.list_max_listpack_size == -3
    c = Config()
    c.parse_argv(["--save", "--port", "7001"])
    assert c.save == [] and c.port == 7001
    f = tmp_path / "x.conf"
    f.write_text("port 1\nhz 30\n")
    c = Config()
    c.parse_argv([str(f), "--port", "2"])
    assert c.port == 2 and c.hz == 30 and c.config_file == str(f)
    with pytest.raises(ConfigFileError) as ei:
        Config().parse_argv(["--port", "7001", "--bogus", "1"])
    assert ei.value.linenum == 3 and ei.value.line == 'bogus "1"'


def test_get_patterns():
    c = Config()
    d = dict(c.get([b"maxmemory", b"maxmemory", b"maxmem*"]))
    assert set(d) == {b"maxmemory", b"maxmemory-clients", b"maxmemory-samples",
                      b"maxmemory-policy", b"maxmemory-eviction-tenacity"}
    assert dict(c.get([b"HZ"])) == {b"HZ": b"10"}
    assert dict(c.get([b"H?"])) == {b"hz": b"10"}
    assert b"slaveof" in dict(c.get([b"slave*"]))
    assert dict(c.get([b"rdb-key-save-delay"])) == {b"rdb-key-save-delay": b"0"}
    assert b"rdb-key-save-delay" not in dict(c.get([b"*"]))


def test_set_and_hooks():
    c = Config()
    seen = []
    c.on_change("hz", lambda cfg, name, old, new: seen.append((name, old, new)))
    c.set([(b"hz", b"20"), (b"maxmemory", b"1mb")])
    assert c.hz == 20 and c.maxmemory == 1024 * 1024 and seen == [("hz", 10, 20)]
    c.set([(b"hz", b"0")])
    assert c.hz == 1
    c.set([(b"maxmemory-clients", b"10%")])
    assert dict(c.get([b"maxmemory-clients"]))[b"maxmemory-clients"] == b"10%"
    c.set([(b"save", b"100 10 5 2")])
    assert c.save == [(100, 10), (5, 2)]
    c.set([(b"client-output-buffer-limit", b"pubsub 1mb 2k 3")])
    assert c.client_output_buffer_limit["pubsub"] == (1048576, 2000, 3)

    def boom(cfg, name, old, new):
        raise ReplyError("ERR Unable to listen on this port")
    c.on_change("port", boom)
    with pytest.raises(ReplyError) as ei:
        c.set([(b"maxmemory", b"5"), (b"port", b"7002")])
    assert ei.value.message == ("ERR CONFIG SET failed (possibly related to argument 'port') - "
                                "Unable to listen on this port")
    assert c.port == 6379 and c.maxmemory == 1024 * 1024


SET_ERROR_CASES = [
    [b"bogus", b"1"],
    [b"port", b"abc"],
    [b"port", b"99999"],
    [b"port", b"1", b"port", b"2"],
    [b"hz", b"1", b"HZ", b"2"],
    [b"maxmemory", b"1x"],
    [b"maxmemory", b"-1"],
    [b"maxmemory", b"+5"],
    [b"daemonize", b"yes"],
    [b"appendonly", b"maybe"],
    [b"appendonly", b"no", b"port", b"abc"],
    [b"maxmemory-policy", b"foo"],
    [b"oom-score-adj", b"foo"],
    [b"save", b"1"],
    [b"save", b"1 2 3"],
    [b"dir", b"/tmp"],
    [b"dbfilename", b"a/b"],
    [b"notify-keyspace-events", b"Q"],
    [b"client-output-buffer-limit", b"foo"],
    [b"client-output-buffer-limit", b"master 1 2 3"],
    [b"client-output-buffer-limit", b"normal x 2 3"],
    [b"oom-score-adj-values", b"1 2 x"],
    [b"proto-max-bulk-len", b"10"],
    [b"unixsocketperm", b"9"],
    [b"maxmemory-clients", b"101%"],
    [b"maxmemory-clients", b"-5%"],
    [b"maxmemory-clients", b"-5"],
    [b"lua-time-limit", b"x"],
    [b"latency-tracking-info-percentiles", b"200"],
    [b"latency-tracking-info-percentiles", b"abc"],
    [b"timeout", b"-1"],
    [b"timeout", b"05"],
    [b"timeout", b"-0"],
    [b"list-max-listpack-size", b"2147483648"],
    [b"slowlog-max-len", b"-1"],
    [b"maxclients", b"0"],
    [b"enable-debug-command", b"yes"],
    [b"proc-title-template", b"{bogus}"],
    [b"repl-diskless-load", b"x"],
]


# --- oracle ------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oracle():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    redis = pytest.importorskip("redis")
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    yield client
    proc.terminate()
    proc.wait()


# Present in 7.2 but not in the 7.0 oracle.
ONLY_72 = {"locale-collate", "cluster-announce-human-nodename", "set-max-listpack-entries",
           "set-max-listpack-value"}
# Values that legitimately differ from the oracle's.
DIFFERENT_VALUE = {"port", "dir", "save", "logfile"}


def test_config_get_all_names_match_oracle(oracle):
    theirs = {k.decode(): v.decode() for k, v in oracle.execute_command("CONFIG", "GET", "*").items()}
    ours = {k.decode(): v.decode() for k, v in Config().get([b"*"])}
    assert set(ours) - ONLY_72 == set(theirs)
    for name, value in theirs.items():
        if name not in DIFFERENT_VALUE:
            assert ours[name] == value, name


@pytest.mark.parametrize("pattern", [b"*max*", b"maxmemory", b"slave*", b"*-ziplist-*",
                                     b"H?", b"[a-c]*", b"*port", b"tls-*"])
def test_config_get_patterns_match_oracle(oracle, pattern):
    theirs = set(oracle.execute_command("CONFIG", "GET", pattern))
    ours = {k for k, v in Config().get([pattern])} | {v for k, v in Config().get([pattern])}
    ours_names = {k.decode() for k, _ in Config().get([pattern])} - ONLY_72
    their_names = {k.decode() for k in oracle.execute_command("CONFIG", "GET", pattern)}
    assert ours_names == their_names
    assert theirs  # sanity


@pytest.mark.parametrize("args", SET_ERROR_CASES, ids=lambda a: b" ".join(a).decode())
def test_config_set_errors_match_oracle(oracle, args):
    import redis
    with pytest.raises(redis.ResponseError) as ei:
        oracle.execute_command("CONFIG", "SET", *args)
    expected = "ERR " + str(ei.value) if not str(ei.value).startswith("ERR") else str(ei.value)
    c = Config()
    pairs = list(zip(args[0::2], args[1::2]))
    with pytest.raises(ReplyError) as mine:
        c.set(pairs, local_client=True)
    assert mine.value.message == expected


def test_config_set_values_match_oracle(oracle):
    c = Config()
    for name, value in [(b"maxmemory", b"5KB"), (b"maxmemory", b"5gB"), (b"maxmemory", b"k"),
                        (b"maxmemory", b"18446744073709551616"), (b"notify-keyspace-events", b"Kgx$"),
                        (b"latency-tracking-info-percentiles", b"50 99.90 1e1"),
                        (b"hz", b"1000"), (b"loglevel", b"NOTICE"), (b"protected-mode", b"YES"),
                        (b"oom-score-adj-values", b"1 2 3"), (b"maxmemory-clients", b"1g")]:
        oracle.execute_command("CONFIG", "SET", name, value)
        c.set([(name, value)])
        assert dict(c.get([name]))[name] == oracle.execute_command("CONFIG", "GET", name)[name]
    oracle.execute_command("CONFIG", "SET", "maxmemory", "0", "hz", "10")


def test_debian_conf_loads():
    path = "/etc/redis/redis.conf"
    if not os.path.exists(path):
        pytest.skip("no /etc/redis/redis.conf")
    c = Config()
    c.load_file(path)
    assert c.bind == ["127.0.0.1", "-::1"]
    assert c.auto_aof_rewrite_min_size == 64 * 1024 * 1024
    assert c.client_output_buffer_limit["slave"] == (256 * 1024 ** 2, 64 * 1024 ** 2, 60)


# --- rewrite -------------------------------------------------------------------------------

def test_rewrite_round_trip(tmp_path):
    f = tmp_path / "r.conf"
    f.write_text("# my comment\nport 6413\nsave 900 1\nsave 300 10\nhash-max-ziplist-entries 100\n"
                 "maxmemory 2mb\nrename-command FLUSHALL BAR\n\n# tail comment\nhz 10\n"
                 "slaveof 127.0.0.1 9")
    c = Config()
    c.load_file(str(f))
    c.set([(b"maxmemory", b"3000000"), (b"client-output-buffer-limit", b"pubsub 1mb 0 0"),
           (b"notify-keyspace-events", b"KEA"), (b"masterauth", b'a"b'), (b"hz", b"20"),
           (b"maxmemory-clients", b"5%"), (b"proto-max-bulk-len", b"1073741825"),
           (b"hash-max-listpack-value", b"1024"), (b"save", b"900 1")])
    c.rewrite()
    lines = f.read_text().split("\n")
    assert lines[:11] == ["# my comment", "port 6413", "save 900 1", "",
                          "hash-max-listpack-entries 100", "maxmemory 3000000",
                          "rename-command FLUSHALL BAR", "", "# tail comment", "hz 20",
                          "replicaof 127.0.0.1 9"]
    assert lines[11] == "" and lines[12] == "# Generated by CONFIG REWRITE"
    tail = set(lines[13:])
    for expected in ['hash-max-listpack-value 1kb', 'masterauth "a\\"b"',
                     'client-output-buffer-limit pubsub 1mb 0 0', 'maxmemory-clients 5%',
                     'latency-tracking-info-percentiles 50 99 99.9',
                     'notify-keyspace-events "AKE"', 'proto-max-bulk-len 1073741825']:
        assert expected in tail
    # round trip: loading the rewritten file gives the same values
    c2 = Config()
    c2.load_file(str(f))
    assert dict(c2.get([b"*"])) == dict(c.get([b"*"]))
    # a second rewrite is a fixed point
    before = f.read_text()
    c2.rewrite()
    assert f.read_text() == before
