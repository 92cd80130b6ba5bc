"""Differential tests: stream commands to ember and to the redis-server oracle (RESP2 and
RESP3), compared on the raw reply bytes.  Explicit IDs keep replies deterministic.

The oracle is Redis 7.0; where 7.2 differs (XINFO CONSUMERS ``inactive``, XINFO STREAM FULL
``active-time``, blocked XREADGROUP woken by a deleted key), the check lives in
tests/commands/test_streams.py instead, and replies with times (idle, delivery time) are
compared on shape only (digits masked).  7.2 also creates the consumer of an XREADGROUP that
reads nothing (7.0 does not): before each well-formed XREADGROUP the oracle alone gets
XGROUP CREATECONSUMER, which brings it to the 7.2 state.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import RawConn


@pytest.fixture(scope="module")
def conns(redis_oracle, ember_shared):
    pairs = {}
    for proto in (2, 3):
        e = RawConn(ember_shared.port)
        r = RawConn(redis_oracle.port)
        for conn in (e, r):
            conn.call("SELECT", "10")
            if proto == 3:
                conn.call("HELLO", "3")
        pairs[proto] = (e, r)
    yield pairs
    for e, r in pairs.values():
        e.close()
        r.close()


_TIME = re.compile(rb":(\d+)\r\n")


def mask_times(b):
    return _TIME.sub(b":T\r\n", b)


def _as_72(r, cmd):
    """XREADGROUP GROUP g c [...] STREAMS k.. id..: create the consumer on the 7.0 oracle
    first, as 7.2 does even when nothing is read (see the module docstring)."""
    if not cmd or cmd[0].upper() != "XREADGROUP" or len(cmd) < 4 or cmd[1].upper() != "GROUP":
        return
    up = [a.upper() for a in cmd]
    if "STREAMS" not in up:
        return
    rest = cmd[up.index("STREAMS") + 1:]
    if not rest or len(rest) % 2 or "$" in rest[len(rest) // 2:]:
        return
    for key in rest[:len(rest) // 2]:
        r.call("XGROUP", "CREATECONSUMER", key, cmd[2], cmd[3])


def _run(conns, proto, cmds, mask=False):
    e, r = conns[proto]
    bad = []
    for cmd in cmds:
        _as_72(r, cmd)
        got, want = e.call(*cmd), r.call(*cmd)
        if mask:
            got, want = mask_times(got), mask_times(want)
        if got != want:
            bad.append((cmd, got, want))
    for conn in (e, r):
        conn.call("FLUSHDB")
    assert not bad, (proto, bad)


S, S2, STR = "s", "s2", "str"

CASES = {
    "xadd_ids": [
        ("XADD", S, "1-1", "a", "1"), ("XADD", S, "1-1", "a", "1"), ("XADD", S, "0-0", "a", "1"),
        ("XADD", S, "0-1", "a", "1"), ("XADD", S, "1-*", "b", "2"), ("XADD", S, "1", "c", "3"),
        ("XADD", S, "2", "c", "3"), ("XADD", S, "2-*", "c", "3"), ("XADD", S, "abc", "a", "1"),
        ("XADD", S, "1-x", "a", "1"), ("XADD", S, "-1", "a", "1"), ("XADD", S, "3-1", "a"),
        ("XADD", S, "+", "a", "1"), ("XADD", S, "-", "a", "1"), ("XADD", S, " 5", "a", "1"),
        ("XADD", S, "+6-01", "a", "1"), ("XADD", S, "18446744073709551616-1", "a", "1"),
        ("XADD", S, "18446744073709551615-18446744073709551615", "a", "1"),
        ("XADD", S, "*", "a", "1"), ("XADD", S, "18446744073709551615-*", "a", "1"),
        ("XADD", "e", "0-*", "a", "1"), ("XADD", "e2", "NOMKSTREAM", "*", "a", "1"),
        ("EXISTS", "e2"), ("XLEN", S), ("XLEN", "nokey"), ("XRANGE", S, "-", "+"),
        ("SET", STR, "x"), ("XADD", STR, "1-1", "a", "b"), ("XLEN", STR), ("XRANGE", STR, "-", "+"),
    ],
    "xadd_trim": [
        *[("XADD", S, "%d-1" % i, "f", str(i)) for i in range(1, 11)],
        ("XADD", S, "MAXLEN", "5", "11-1", "f", "v"), ("XLEN", S),
        ("XADD", S, "MAXLEN", "=", "4", "12-1", "f", "v"),
        ("XADD", S, "MAXLEN", "~", "2", "13-1", "f", "v"), ("XLEN", S),
        ("XADD", S, "MINID", "12", "14-1", "f", "v"), ("XRANGE", S, "-", "+"),
        ("XADD", S, "MAXLEN", "-1", "15-1", "f", "v"),
        ("XADD", S, "MAXLEN", "x", "15-1", "f", "v"),
        ("XADD", S, "MAXLEN", "2", "LIMIT", "10", "15-1", "f", "v"),
        ("XADD", S, "MAXLEN", "~", "2", "LIMIT", "-1", "15-1", "f", "v"),
        ("XADD", S, "MAXLEN", "2", "MINID", "1", "15-1", "f", "v"),
        ("XADD", S, "MINID", "x", "15-1", "f", "v"),
        ("XTRIM", S, "MAXLEN", "2"), ("XTRIM", S, "MINID", "~", "100"), ("XTRIM", S, "MINID", "100"),
        ("XTRIM", S, "FOO", "1"), ("XTRIM", S), ("XTRIM", S, "MAXLEN", "1", "junk"),
        ("XTRIM", "nokey", "MAXLEN", "1"), ("XLEN", S), ("XINFO", "STREAM", S),
    ],
    "big_approx_trim": [
        *[("XADD", S, "%d-1" % i, "f", str(i)) for i in range(1, 251)],
        ("XTRIM", S, "MAXLEN", "~", "120"), ("XLEN", S),
        ("XTRIM", S, "MAXLEN", "~", "10", "LIMIT", "50"), ("XLEN", S),
        ("XTRIM", S, "MINID", "~", "230"), ("XLEN", S), ("XINFO", "STREAM", S),
        ("XADD", S, "MAXLEN", "~", "10", "300-1", "f", "v"), ("XLEN", S),
    ],
    "ranges": [
        *[("XADD", S, "%d-%d" % (i // 3 + 1, i % 3), "f", str(i), "g", "x") for i in range(12)],
        ("XRANGE", S, "-", "+", "COUNT", "3"), ("XRANGE", S, "2", "3"),
        ("XRANGE", S, "(2-1", "(4-0"), ("XRANGE", S, "(-", "+"), ("XRANGE", S, "(+", "+"),
        ("XRANGE", S, "-", "(0-0"), ("XRANGE", S, "(18446744073709551615-18446744073709551615", "+"),
        ("XREVRANGE", S, "+", "-", "COUNT", "4"), ("XREVRANGE", S, "(3-1", "(1-2"),
        ("XREVRANGE", S, "2", "3"), ("XRANGE", S, "-", "+", "COUNT", "0"),
        ("XRANGE", S, "-", "+", "COUNT", "-1"), ("XRANGE", S, "-", "+", "COUNT"),
        ("XRANGE", S, "-", "+", "LIMIT", "1"), ("XRANGE", S, "x", "+"),
        ("XDEL", S, "2-0", "2-1", "9-9"), ("XDEL", S, "bad"), ("XDEL", "nokey", "1-1"),
        ("XRANGE", S, "-", "+"), ("XREVRANGE", S, "+", "-", "COUNT", "2"),
        ("XINFO", "STREAM", S),
    ],
    "xread": [
        ("XADD", S, "1-1", "a", "1"), ("XADD", S, "2-1", "b", "2"), ("XADD", S2, "5-5", "c", "3"),
        ("XREAD", "STREAMS", S, S2, "0", "0"), ("XREAD", "COUNT", "1", "STREAMS", S, S2, "1-1", "0"),
        ("XREAD", "STREAMS", S, "$"), ("XREAD", "STREAMS", S, "2-1"), ("XREAD", "STREAMS", "nokey", "0"),
        ("XREAD", "STREAMS", S, S2, "0"), ("XREAD", "STREAMS", S, ">"), ("XREAD", "STREAMS", S, "x"),
        ("XREAD", "COUNT", "x", "STREAMS", S, "0"), ("XREAD", "COUNT", "-5", "STREAMS", S, "0"),
        ("XREAD", "BLOCK", "x", "STREAMS", S, "0"), ("XREAD", "BLOCK", "-1", "STREAMS", S, "0"),
        ("XREAD", "GROUP", "g", "c", "STREAMS", S, "0"), ("XREAD", "NOACK", "STREAMS", S, "0"),
        ("XREAD", "FOO", "STREAMS", S, "0"), ("XREAD", "COUNT", "1", "S", "0"),
        ("XREAD", "BLOCK", "10", "STREAMS", S, "0"), ("XREAD", "STREAMS", STR, "0"),
        ("SET", STR, "x"), ("XREAD", "STREAMS", STR, "0"),
        ("MULTI",), ("XREAD", "BLOCK", "0", "STREAMS", S, "$"), ("EXEC",),
    ],
    "groups": [
        ("XGROUP", "CREATE", S, "g", "$"), ("XGROUP", "CREATE", S, "g", "$", "MKSTREAM"),
        ("XGROUP", "CREATE", S, "g", "$"), ("XGROUP", "CREATE", S, "g2", "0", "ENTRIESREAD", "-2"),
        ("XGROUP", "CREATE", S, "g2", "0", "FOO"), ("XGROUP", "CREATE", S, "g3", "bad"),
        ("XGROUP", "CREATE", S, "g4", "0", "ENTRIESREAD", "0"),
        *[("XADD", S, "%d-1" % i, "f", str(i)) for i in range(1, 6)],
        ("XINFO", "GROUPS", S),
        ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", S, ">"),
        ("XGROUP", "SETID", S, "g", "0"),
        ("XREADGROUP", "GROUP", "g4", "bob", "STREAMS", S, ">"),
        ("XREADGROUP", "GROUP", "g4", "bob", "STREAMS", S, ">"),
        ("XREADGROUP", "GROUP", "g4", "bob", "STREAMS", S, "0"),
        ("XREADGROUP", "GROUP", "g4", "bob", "COUNT", "2", "STREAMS", S, "2-1"),
        ("XREADGROUP", "GROUP", "g4", "carol", "NOACK", "STREAMS", S, "0"),
        ("XREADGROUP", "GROUP", "g4", "bob", "STREAMS", S, "$"),
        ("XREADGROUP", "GROUP", "nog", "bob", "STREAMS", S, ">"),
        ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "nokey", ">"),
        ("XREADGROUP", "STREAMS", S, ">"), ("XREADGROUP", "GROUP", "g", "b", "STREAMS", S),
        ("XDEL", S, "2-1"), ("XREADGROUP", "GROUP", "g4", "bob", "STREAMS", S, "0"),
        ("XACK", S, "g4", "1-1", "3-1", "9-9"), ("XACK", S, "g4", "bad"), ("XACK", S, "nog", "1-1"),
        ("XACK", "nokey", "g", "bad"),
        ("XPENDING", S, "g4"), ("XPENDING", S, "nog"), ("XPENDING", "nokey", "g"),
        ("XPENDING", S, "g4", "-", "+"), ("XPENDING", S, "g4", "-", "+", "x"),
        ("XPENDING", S, "g4", "-", "+", "-1"), ("XPENDING", S, "g4", "-", "+", "10", "nobody"),
        ("XPENDING", S, "g4", "-", "+", "10", "bob", "extra"),
        ("XGROUP", "CREATECONSUMER", S, "g4", "dave"), ("XGROUP", "CREATECONSUMER", S, "g4", "dave"),
        ("XGROUP", "CREATECONSUMER", S, "nog", "dave"), ("XGROUP", "CREATECONSUMER", "nokey", "g", "x"),
        ("XGROUP", "DELCONSUMER", S, "g4", "bob"), ("XGROUP", "DELCONSUMER", S, "g4", "bob"),
        ("XGROUP", "DELCONSUMER", S, "nog", "bob"),
        ("XPENDING", S, "g4"), ("XGROUP", "SETID", S, "g4", "$", "ENTRIESREAD", "3"),
        ("XGROUP", "SETID", S, "nog", "$"), ("XGROUP", "SETID", "nokey", "g", "$"),
        ("XGROUP", "SETID", S, "g4", "0", "FOO", "1"), ("XINFO", "GROUPS", S),
        ("XGROUP", "DESTROY", S, "g2"), ("XGROUP", "DESTROY", S, "g2"), ("XGROUP", "DESTROY", "nokey", "g"),
        ("XGROUP", "FOO", S), ("XGROUP", "CREATE", "nokey", "g", "$"),
        ("XINFO", "GROUPS", "nokey"), ("XINFO", "CONSUMERS", S, "nog"), ("XINFO", "STREAM", "nokey"),
        ("XINFO", "STREAM", S, "FOO"), ("XINFO", "FOO", S),
        ("XGROUP", "CREATE", STR, "g", "$"), ("SET", STR, "x"), ("XGROUP", "CREATE", STR, "g", "$"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", STR, ">"),
    ],
    "claims": [
        *[("XADD", S, "%d-1" % i, "f", str(i)) for i in range(1, 8)],
        ("XGROUP", "CREATE", S, "g", "0"),
        ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", S, ">"),
        ("XCLAIM", S, "g", "bob", "0", "1-1", "2-1", "JUSTID"),
        ("XCLAIM", S, "g", "bob", "0", "3-1", "RETRYCOUNT", "7"),
        ("XCLAIM", S, "g", "bob", "0", "9-1", "FORCE"),
        ("XGROUP", "CREATE", S, "f", "0"), ("XCLAIM", S, "f", "x", "0", "2-1", "FORCE", "JUSTID"),
        ("XCLAIM", S, "f", "x", "0", "1-1", "FORCE"), ("XPENDING", S, "f", "-", "+", "10"),
        ("XCLAIM", S, "g", "bob", "x", "3-1"), ("XCLAIM", S, "g", "bob", "0", "3-1", "FOO"),
        ("XCLAIM", S, "g", "bob", "0", "3-1", "RETRYCOUNT", "x"),
        ("XCLAIM", S, "g", "bob", "0", "3-1", "IDLE", "x"),
        ("XCLAIM", S, "g", "bob", "0", "3-1", "TIME", "x"),
        ("XCLAIM", S, "nog", "bob", "0", "3-1"), ("XCLAIM", "nokey", "g", "bob", "0", "3-1"),
        ("XCLAIM", S, "g", "bob", "99999999", "4-1"),
        ("XDEL", S, "5-1"), ("XCLAIM", S, "g", "bob", "0", "5-1", "6-1"),
        ("XCLAIM", S, "g", "bob", "0", "LASTID", "9-9", "JUSTID"),
        ("XINFO", "GROUPS", S),
        ("XPENDING", S, "g"),
        ("XGROUP", "SETID", S, "g", "0"),
        ("XREADGROUP", "GROUP", "g", "carol", "COUNT", "1", "STREAMS", S, ">"),
        ("XPENDING", S, "g"),
        ("XDEL", S, "4-1"),
        ("XAUTOCLAIM", S, "g", "dave", "0", "0", "COUNT", "2"),
        ("XAUTOCLAIM", S, "g", "dave", "0", "(2-1", "COUNT", "2", "JUSTID"),
        ("XAUTOCLAIM", S, "g", "dave", "0", "0", "COUNT", "0"),
        ("XAUTOCLAIM", S, "g", "dave", "0", "0", "COUNT", "x"),
        ("XAUTOCLAIM", S, "g", "dave", "x", "0"), ("XAUTOCLAIM", S, "g", "dave", "0", "x"),
        ("XAUTOCLAIM", S, "g", "dave", "0", "0", "FOO"),
        ("XAUTOCLAIM", S, "nog", "dave", "0", "0"),
        ("XAUTOCLAIM", S, "g", "erin", "99999999", "0"),
        ("XPENDING", S, "g"),
    ],
    "multi_node_reads": [   # 250 entries: three nodes at the default 100 entries per node
        *[("XADD", S, "%d-%d" % (i // 2 + 1, i % 2), "f", str(i), "g", "x" * (i % 5))
          for i in range(250)],
        ("XRANGE", S, "-", "+", "COUNT", "150"), ("XRANGE", S, "40", "(110-1", "COUNT", "300"),
        ("XRANGE", S, "50-1", "100-1"), ("XRANGE", S, "(49-1", "50-1", "COUNT", "1"),
        ("XRANGE", S, "126", "+"), ("XRANGE", S, "200", "100"),
        ("XREAD", "COUNT", "120", "STREAMS", S, "30-0"), ("XREAD", "STREAMS", S, "99-1"),
        ("XGROUP", "CREATE", S, "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "210", "STREAMS", S, ">"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "120", "STREAMS", S, "0"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "120", "STREAMS", S, "60-1"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", S, "104-0"),
        ("XACK", S, "g", "10-0", "10-1", "11-0"), ("XDEL", S, "12-1", "51-0", "105-1"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", S, "9-1"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "200", "STREAMS", S, "0"),
        ("XTRIM", S, "MAXLEN", "190"),
        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "70", "STREAMS", S, "0"),
        ("XPENDING", S, "g"), ("XRANGE", S, "-", "+", "COUNT", "3"),
    ],
    "xsetid": [
        ("XSETID", "nokey", "1-1"), ("XADD", S, "5-1", "a", "1"), ("XSETID", S, "4-1"),
        ("XSETID", S, "5-1"), ("XSETID", S, "10-1", "ENTRIESADDED", "0"),
        ("XSETID", S, "10-1", "ENTRIESADDED", "-1"), ("XSETID", S, "10-1", "MAXDELETEDID", "11-1"),
        ("XSETID", S, "10-1", "ENTRIESADDED", "9", "MAXDELETEDID", "3-3"), ("XSETID", S, "x"),
        ("XSETID", S, "10-1", "FOO"), ("XINFO", "STREAM", S), ("XADD", S, "10-1", "a", "1"),
        ("XADD", S, "11-*", "a", "1"), ("XDEL", S, "5-1"), ("XSETID", S, "3-0"), ("XINFO", "STREAM", S),
        ("XSETID", S, "18446744073709551615-18446744073709551615"), ("XADD", S, "*", "a", "1"),
    ],
    "lag": [
        *[("XADD", S, "%d-1" % i, "f", str(i)) for i in range(1, 6)],
        ("XGROUP", "CREATE", S, "g", "0"), ("XGROUP", "CREATE", S, "h", "$"),
        ("XGROUP", "CREATE", S, "i", "2-1"), ("XINFO", "GROUPS", S),
        ("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", S, ">"), ("XINFO", "GROUPS", S),
        ("XDEL", S, "4-1"), ("XINFO", "GROUPS", S),
        ("XREADGROUP", "GROUP", "g", "a", "STREAMS", S, ">"), ("XINFO", "GROUPS", S),
        ("XTRIM", S, "MAXLEN", "0"), ("XINFO", "GROUPS", S), ("XINFO", "STREAM", S),
        ("XADD", S, "9-1", "f", "v"), ("XINFO", "GROUPS", S),
    ],
}


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_streams_diff(conns, proto, case):
    _run(conns, proto, CASES[case], mask=case in ("groups", "claims"))


def test_times_shape(conns):
    cmds = [("XADD", S, "1-1", "a", "1"), ("XGROUP", "CREATE", S, "g", "0"),
            ("XREADGROUP", "GROUP", "g", "c", "STREAMS", S, ">"),
            ("XPENDING", S, "g", "-", "+", "10"), ("XPENDING", S, "g", "IDLE", "0", "-", "+", "10"),
            ("XPENDING", S, "g", "IDLE", "99999999", "-", "+", "10", "c")]
    for proto in (2, 3):
        _run(conns, proto, cmds, mask=True)


# ---- Hypothesis: random command sequences with explicit IDs -----------------------------
_ids = st.builds(lambda a, b: "%d-%d" % (a, b), st.integers(0, 12), st.integers(0, 3))
_bound = st.one_of(_ids, st.sampled_from(["-", "+"]), _ids.map(lambda i: "(" + i))
_group = st.sampled_from(["g1", "g2"])
_cons = st.sampled_from(["c1", "c2"])
_ops = st.one_of(
    st.tuples(st.just("XADD"), st.just(S), _ids, st.just("f"), st.sampled_from(["1", "2"])),
    st.tuples(st.just("XADD"), st.just(S), st.just("MAXLEN"), st.integers(0, 4).map(str), _ids,
              st.just("f"), st.just("v")),
    st.tuples(st.just("XDEL"), st.just(S), _ids),
    st.tuples(st.just("XTRIM"), st.just(S), st.sampled_from(["MAXLEN", "MINID"]),
              st.sampled_from(["0", "1", "3", "5-0", "7"])),
    st.tuples(st.just("XRANGE"), st.just(S), _bound, _bound),
    st.tuples(st.just("XREVRANGE"), st.just(S), _bound, _bound, st.just("COUNT"),
              st.integers(0, 3).map(str)),
    st.tuples(st.just("XGROUP"), st.just("CREATE"), st.just(S), _group,
              st.sampled_from(["0", "$", "3-0"]), st.just("MKSTREAM")),
    st.tuples(st.just("XGROUP"), st.just("SETID"), st.just(S), _group, st.sampled_from(["0", "$", "4-1"])),
    st.tuples(st.just("XGROUP"), st.just("DELCONSUMER"), st.just(S), _group, _cons),
    st.tuples(st.just("XREADGROUP"), st.just("GROUP"), _group, _cons, st.just("COUNT"),
              st.integers(1, 3).map(str), st.just("STREAMS"), st.just(S), st.sampled_from([">", "0"])),
    st.tuples(st.just("XACK"), st.just(S), _group, _ids, _ids),
    st.tuples(st.just("XPENDING"), st.just(S), _group),
    st.tuples(st.just("XINFO"), st.just("GROUPS"), st.just(S)),
    st.tuples(st.just("XLEN"), st.just(S)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(cmds=st.lists(_ops, min_size=1, max_size=25))
def test_streams_sequences(conns, cmds):
    _run(conns, 2, cmds + [("XRANGE", S, "-", "+"), ("XINFO", "GROUPS", S), ("XPENDING", S, "g1"),
                           ("XINFO", "STREAM", S)])


# ---- node limits: which whole nodes `~` trimming removes -------------------------------------
def _radix_keys(reply):
    m = re.search(rb"\$15\r\nradix-tree-keys\r\n:(\d+)\r\n", reply)
    assert m, reply
    return int(m.group(1))


_NODE_VALUES = ["v", "1", "0", "127", "128", "-1", "-4097", "40000", "-9000000", "3000000000",
                "9223372036854775807", "9223372036854775808", "007", "-0", "1.5", "x" * 63,
                "y" * 64, "z" * 200, "w" * 4100]


@pytest.mark.parametrize("max_bytes,max_entries", [
    (4096, 100), (256, 100), (100, 0), (1, 100), (0, 7), (2000, 0), (600, 30)])
def test_node_limits_decide_approx_trimming(conns, max_bytes, max_entries):
    """stream-node-max-bytes and -entries decide where a node ends (the listpack size Redis
    would have, numbers stored as integers, entries with the master fields stored without
    them); MAXLEN/MINID ~ remove whole nodes only, so XLEN after approximate trims and
    XINFO's radix-tree-keys (the node count) show whether ember cut the nodes where Redis
    does.  A CONFIG SET applies to the appends that follow."""
    import random
    rng = random.Random(max_bytes * 1000 + max_entries)
    e, r = conns[2]
    bad = []

    def both(*cmd):
        got, want = e.call(*cmd), r.call(*cmd)
        if cmd[0] == "XINFO":
            got, want = _radix_keys(got), _radix_keys(want)
        if got != want:
            bad.append((cmd, got, want))

    try:
        for conn in (e, r):
            conn.call("CONFIG", "SET", "stream-node-max-bytes", str(max_bytes),
                      "stream-node-max-entries", str(max_entries))
        ms, seq = 1, 0
        for step in range(400):
            jump = rng.random()
            if jump < 0.05:
                ms += rng.choice([1, 200, 70000, 5000000000])
                seq = rng.choice([0, 5, 300])
            else:
                seq += 1
            fields = rng.choice([["f"], ["f"], ["f", "g"], ["g"], ["12", "-3"], ["k" * 70]])
            args = []
            for f in fields:
                args += [f, rng.choice(_NODE_VALUES if max_bytes != 100 else _NODE_VALUES[:-1])]
            both("XADD", S, "%d-%d" % (ms, seq), *args)
            if step % 37 == 36:
                both("XINFO", "STREAM", S)
                both("XTRIM", S, "MAXLEN", "~", str(rng.randrange(0, 120)))
                both("XLEN", S)
            if step % 53 == 52:
                both("XDEL", S, "%d-%d" % (ms, seq))     # the tail node loses an entry
                both("XTRIM", S, "MAXLEN", "=", str(rng.randrange(50, 150)))
            if step == 200:
                for conn in (e, r):
                    conn.call("CONFIG", "SET", "stream-node-max-bytes", "300",
                              "stream-node-max-entries", "50")
        both("XINFO", "STREAM", S)
        both("XTRIM", S, "MINID", "~", "%d-0" % ms)
        both("XLEN", S)
        both("XADD", S, "MAXLEN", "~", "3", "%d-0" % (ms + 1), "f", "v")
        both("XLEN", S)
        both("XRANGE", S, "-", "+", "COUNT", "2")
    finally:
        for conn in (e, r):
            conn.call("CONFIG", "SET", "stream-node-max-bytes", "4096",
                      "stream-node-max-entries", "100")
            conn.call("FLUSHDB")
    assert not bad, bad[:5]
