"""The command table (commands.json + commands.table) against the tsv catalog and a live
redis-server 7.0.15 oracle."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from ember.commands import table as T
from ember.protocol.replies import Map, ReplyError, SetReply

TSV = "/work/shared/reference/redis-commands.tsv"


@pytest.fixture(scope="module")
def tbl():
    return T.load_table()


def tsv_rows():
    rows = {}
    with open(TSV) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            rows[r["command"].lower().replace(" ", "|")] = r
    return rows


# --------------------------------------------------------------------------------------
# Coverage and tsv agreement
# --------------------------------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists(TSV), reason="tsv catalog not available")
def test_covers_every_tsv_row(tbl):
    rows = tsv_rows()
    specs = {s.name: s for s in T.iter_specs(tbl)}
    assert set(rows) == set(specs)
    for name, r in rows.items():
        s = specs[name]
        assert s.arity == int(r["arity"]), name
        tsv_flags = {f for f in r["flags"].split(",") if f}
        assert tsv_flags <= s.flags, name
        assert set(s.flags) - tsv_flags <= {"movablekeys"}, name
        assert s.tier == int(r["tier"]), name
        assert s.docs["since"] == r["since"], name
        assert s.group == r["group"], name
        explicit = {"@" + c for c in r["acl_categories"].split(",") if c}
        assert explicit <= set(s.acl_categories), name
        if r["kind"] == "subcommand":
            assert s.parent is not None and s.parent.name == r["container"].lower()
        if r["doc_flags"]:
            assert s.docs["doc_flags"] == [r["doc_flags"]]


def test_spec_shape(tbl):
    get = tbl["get"]
    assert get.flags == {"readonly", "fast"}
    assert get.is_readonly and get.fast and not get.is_write
    assert (get.first_key, get.last_key, get.step) == (1, 1, 1)
    assert get.docs["summary"]
    cl = tbl["client"].subcommands[b"list"]
    assert cl.name == "client|list" and cl.parent is tbl["client"]
    assert cl.top_name == "client" and cl.admin
    assert tbl["set"].denyoom and tbl["set"].is_write
    assert tbl["publish"].may_replicate and "may_replicate" not in tbl["publish"].info_flags
    assert tbl["auth"].no_auth
    assert b"setinfo" in tbl["client"].subcommands
    assert "hexpire" in tbl and "waitaof" in tbl
    for s in T.iter_specs(tbl):
        assert s.docs["summary"] and s.docs["summary"].endswith("."), s.name


# --------------------------------------------------------------------------------------
# Key extraction (no oracle needed)
# --------------------------------------------------------------------------------------
def _gk(tbl, *argv, flags=False):
    return T.getkeys_reply(tbl, [a.encode() for a in argv], flags)


def test_getkeys_offline(tbl):
    assert _gk(tbl, "mset", "a", "1", "b", "2") == [b"a", b"b"]
    assert _gk(tbl, "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2") == [b"d", b"a", b"b"]
    assert _gk(tbl, "xread", "count", "2", "streams", "a", "b", "1", "2") == [b"a", b"b"]
    assert _gk(tbl, "eval", "x", "0") == []
    assert _gk(tbl, "set", "a", "b", "get", flags=True) == [[b"a", SetReply(["RW", "access", "update"])]]
    with pytest.raises(ReplyError, match="The command has no key arguments"):
        _gk(tbl, "ping", "x")
    with pytest.raises(ReplyError, match="Invalid command specified"):
        _gk(tbl, "client", "nosuch")
    with pytest.raises(ReplyError, match="Invalid number of arguments"):
        _gk(tbl, "get", "a", "b")
    with pytest.raises(ReplyError, match="Invalid arguments specified"):
        _gk(tbl, "lmpop", "0", "a", "left")
    assert T.key_positions(tbl["get"], [b"get", b"k"]) == [1]


# --------------------------------------------------------------------------------------
# Oracle comparison
# --------------------------------------------------------------------------------------
class _Set(list):
    pass


class _Map(list):
    pass


class _Simple(str):
    pass


class _Err(str):
    pass


class RawConn:
    def __init__(self, port, resp3):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")
        if resp3:
            self.call(b"HELLO", b"3")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return _Simple(rest.decode())
        if t == b"-":
            return _Err(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2]
        if t in (b"*", b"~"):
            n = int(rest)
            items = [self.read() for _ in range(n)]
            return _Set(items) if t == b"~" else items
        if t == b"%":
            return _Map([(self.read(), self.read()) for _ in range(int(rest))])
        if t == b"_":
            return None
        raise ValueError(line)

    def close(self):
        self.sock.close()


def norm_wire(v, unordered=False):
    """Decoded wire value -> comparable tagged structure."""
    if isinstance(v, _Map):
        return ("map", [(norm_wire(k), norm_wire(x)) for k, x in v])
    if isinstance(v, _Set):
        return ("set", [norm_wire(x) for x in v])
    if isinstance(v, list):
        return ("arr", [norm_wire(x) for x in v])
    if isinstance(v, _Simple):
        return ("simple", str(v))
    if isinstance(v, bytes):
        return ("bulk", v)
    return ("int", v) if isinstance(v, int) else ("other", v)


def norm_reply(v, resp3):
    """Our reply value -> the same tagged structure the wire would give."""
    if isinstance(v, Map):
        if resp3:
            return ("map", [(norm_reply(k, resp3), norm_reply(x, resp3)) for k, x in v.items])
        flat = []
        for k, x in v.items:
            flat += [norm_reply(k, resp3), norm_reply(x, resp3)]
        return ("arr", flat)
    if isinstance(v, SetReply):
        return ("set" if resp3 else "arr", [norm_reply(x, resp3) for x in v.items])
    if isinstance(v, (list, tuple)):
        return ("arr", [norm_reply(x, resp3) for x in v])
    if isinstance(v, str):
        return ("simple", v)
    if isinstance(v, bytes):
        return ("bulk", v)
    return ("int", v)


def sort_subs(node, path=()):
    """Subcommand order is Redis' dict order: sort both sides where it varies."""
    kind, val = node
    if kind in ("arr", "set", "map"):
        if kind == "map":
            val = [(k, sort_subs(x)) for k, x in val]
            if val and all(k[0] == "bulk" and b"|" in k[1] for k, _ in val):
                val = sorted(val, key=lambda kv: kv[0][1])
            return (kind, val)
        val = [sort_subs(x) for x in val]
        if kind == "set" or (val and all(x[0] == "arr" and x[1] and x[1][0][0] == "bulk"
                                         and b"|" in x[1][0][1] for x in val)):
            val = sorted(val, key=repr)
        return (kind, val)
    return node


def strip_arg_summaries(node):
    kind, val = node
    if kind == "map":
        return (kind, [(k, strip_arg_summaries(x)) for k, x in val
                       if not (k == ("bulk", b"summary") and ("bulk", b"type") in
                               [kk for kk, _ in val])])
    if kind in ("arr", "set"):
        # RESP2 flat argument maps: drop "summary" pairs of argument maps
        if kind == "arr" and ("bulk", b"type") in val[::2] and ("bulk", b"summary") in val[::2]:
            out = []
            for i in range(0, len(val), 2):
                if val[i] != ("bulk", b"summary"):
                    out += [val[i], strip_arg_summaries(val[i + 1])]
            return (kind, out)
        return (kind, [strip_arg_summaries(x) for x in val])
    return node


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture(scope="module")
def oracle_port():
    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("redis-server not on PATH")
    port = _free_port()
    tmp = tempfile.mkdtemp(prefix="ember-oracle-")
    proc = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        end = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.time() > end or proc.poll() is not None:
                    pytest.skip("could not start redis-server")
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


# Commands whose 7.0 metadata we deliberately replace with Redis 7.2/7.4 values.
CHANGED_SINCE_70 = {"blmove", "blpop", "brpop", "brpoplpush", "bzpopmax", "bzpopmin",
                    "wait", "zrank", "zrevrank"}

CHANGED_SUBS_SINCE_70 = {"command|getkeys", "command|getkeysandflags", "cluster|shards",
                         "cluster|slots"}


def compare_info(wire, ours, resp3):
    """Compare one COMMAND INFO entry; subcommands are matched by name, and those added or
    changed after 7.0 are skipped."""
    w, o = norm_wire(wire), norm_reply(ours, resp3)
    assert w[1][:9] == o[1][:9], wire[0]
    wsubs = {x[1][0][1]: x for x in w[1][9][1]}
    osubs = {x[1][0][1]: x for x in o[1][9][1]}
    assert set(wsubs) <= set(osubs), wire[0]
    for name, x in wsubs.items():
        if name.decode() not in CHANGED_SUBS_SINCE_70:
            assert x == osubs[name], name
    assert w[1][9][0] == o[1][9][0]


INFO_SAMPLE = ["get", "set", "client", "zunionstore", "xread", "migrate", "sort", "eval",
               "keys", "georadius", "xinfo", "object", "config", "publish", "spublish",
               "bitfield", "hset", "mset", "lmpop", "xreadgroup", "function", "script",
               "acl", "memory", "latency", "ping", "auth", "hello", "exec", "subscribe"]


@pytest.mark.parametrize("resp3", [False, True])
def test_command_info_matches_oracle(tbl, oracle_port, resp3):
    c = RawConn(oracle_port, resp3)
    try:
        for name in INFO_SAMPLE:
            wire = c.call(b"COMMAND", b"INFO", name.encode())[0]
            ours = T.command_info_reply(tbl[name])
            compare_info(wire, ours, resp3)
    finally:
        c.close()


def test_command_info_all_unchanged_commands(tbl, oracle_port):
    """Every command whose metadata did not change after 7.0 is identical to the oracle."""
    c = RawConn(oracle_port, True)
    try:
        wire_all = c.call(b"COMMAND", b"INFO")
    finally:
        c.close()
    checked = 0
    for wire in wire_all:
        name = wire[0].decode()
        if name in CHANGED_SINCE_70 or name not in tbl:
            continue
        compare_info(wire, T.command_info_reply(tbl[name]), True)
        checked += 1
    assert checked > 200


@pytest.mark.parametrize("resp3", [False, True])
def test_command_docs_matches_oracle_except_summaries(tbl, oracle_port, resp3):
    c = RawConn(oracle_port, resp3)
    try:
        names = ["get", "set", "georadius", "slaveof", "xadd", "zadd", "sort", "client|list"]
        if resp3:
            names.append("xinfo")  # RESP2 flattens the subcommand map; order is Redis' own
        for name in names:
            wire = c.call(b"COMMAND", b"DOCS", name.encode())
            assert norm_wire(wire)[0] in ("map", "arr")
            kind, items = norm_wire(wire)
            ours_name, ours_map = T.command_docs_reply(T.lookup(tbl, name.encode().split(b"|")))
            if resp3:
                (wk, wv), = items
            else:
                wk, wv = items
            assert wk == ("bulk", ours_name)
            ours = norm_reply(ours_map, resp3)

            def drop_summary(node):
                kind, val = node
                if kind == "map":
                    return (kind, [(k, drop_summary(x)) for k, x in val
                                   if k != ("bulk", b"summary")])
                if kind == "arr" and val[:1] == [("bulk", b"summary")]:
                    return (kind, [drop_summary(x) for x in val[2:]])
                if kind in ("arr", "set"):
                    return (kind, [drop_summary(x) for x in val])
                return node
            assert sort_subs(drop_summary(strip_arg_summaries(wv))) == \
                sort_subs(drop_summary(ours)), name
    finally:
        c.close()


GETKEYS_CASES = [
    ("GETKEYS", "get", "a", "b"),
    ("GETKEYS", "client", "list"),
    ("GETKEYS", "client", "nosuch"),
    ("GETKEYS", "eval", "x", "0"),
    ("GETKEYS", "eval", "x", "2", "a"),
    ("GETKEYS", "eval", "x", "2", "a", "b", "c"),
    ("GETKEYS", "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"),
    ("GETKEYS", "zunionstore", "d", "5", "a", "b"),
    ("GETKEYSANDFLAGS", "set", "a", "b", "get"),
    ("GETKEYSANDFLAGS", "set", "a", "b", "EX", "10"),
    ("GETKEYSANDFLAGS", "sort", "a", "by", "x", "store", "d", "get", "#"),
    ("GETKEYSANDFLAGS", "sort", "a", "limit", "0", "1", "store", "d", "store", "e"),
    ("GETKEYS", "sort_ro", "a", "by", "x"),
    ("GETKEYS", "migrate", "h", "1", "k", "0", "5", "keys", "a", "b"),
    ("GETKEYS", "migrate", "h", "1", "", "0", "5", "auth", "keys", "keys", "a", "b"),
    ("GETKEYS", "migrate", "h", "1", "k", "0", "5"),
    ("GETKEYS", "xread", "count", "2", "streams", "a", "b", "1", "2"),
    ("GETKEYS", "xreadgroup", "group", "g", "c", "streams", "a", "1"),
    ("GETKEYS", "spublish", "a", "b"),
    ("GETKEYSANDFLAGS", "bitfield", "a", "get", "u8", "0"),
    ("GETKEYSANDFLAGS", "bitfield", "a", "set", "u8", "0", "1"),
    ("GETKEYS", "object", "encoding", "a"),
    ("GETKEYS", "geosearchstore", "d", "s", "frommember", "m", "byradius", "1", "m"),
    ("GETKEYS", "lmpop", "0", "a", "left"),
    ("GETKEYS", "lmpop", "2", "a", "b", "left"),
    ("GETKEYS", "blmpop", "0", "2", "a", "b", "left"),
    ("GETKEYS", "mset", "a", "1", "b"),
    ("GETKEYS", "keys", "*"),
    ("GETKEYS", "georadius", "k", "1", "2", "3", "m", "store", "x", "storedist", "y"),
    ("GETKEYS", "fcall", "f", "1", "a"),
    ("GETKEYS", "rename", "a", "b"),
    ("GETKEYSANDFLAGS", "lmove", "a", "b", "left", "right"),
    ("GETKEYS", "xinfo", "stream", "s"),
    ("GETKEYS", "memory", "usage", "k"),
    ("GETKEYS", "zinterstore", "d", "0", "a"),
    ("GETKEYS", "sintercard", "2", "a", "b", "limit", "1"),
]


@pytest.mark.parametrize("resp3", [False, True])
def test_getkeys_matches_oracle(tbl, oracle_port, resp3):
    c = RawConn(oracle_port, resp3)
    try:
        for case in GETKEYS_CASES:
            sub, argv = case[0], [a.encode() for a in case[1:]]
            wire = c.call(b"COMMAND", sub.encode(), *argv)
            try:
                ours = T.getkeys_reply(tbl, argv, sub == "GETKEYSANDFLAGS")
            except ReplyError as e:
                assert isinstance(wire, _Err), (case, wire, e.message)
                assert wire == e.message, case
                continue
            assert not isinstance(wire, _Err), (case, wire)
            assert norm_wire(wire) == norm_reply(ours, resp3), case
    finally:
        c.close()
