"""Stream commands through the embedded client with a manual clock (deterministic IDs and
idle times), the Stream structure against a list model, notifications, propagation, and
blocking XREAD over TCP."""

import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from ember.clock import ManualClock
from ember.datatypes.stream import MAX_ID, Stream, id_bytes, pack
from ember.embedded import Ember
from ember.protocol.encoder import encode
from ember.protocol.replies import NULL_ARRAY, Map, Raw, ReplyError

T0 = 1_700_000_000_000


@pytest.fixture
def env():
    clock = ManualClock()
    e = Ember(clock=clock)
    return e, clock, e.client()


def test_auto_ids_follow_clock(env):
    e, clock, c = env
    assert c.execute("XADD", "s", "*", "f", "v") == b"%d-0" % T0
    assert c.execute("XADD", "s", "*", "f", "v") == b"%d-1" % T0
    clock.advance(0.005)
    assert c.execute("XADD", "s", "*", "f", "v") == b"%d-0" % (T0 + 5)
    clock.advance(-1)  # the clock going back never moves IDs back
    assert c.execute("XADD", "s", "*", "f", "v") == b"%d-1" % (T0 + 5)
    assert c.execute("XADD", "s", "%d-*" % (T0 + 5), "f", "v") == b"%d-2" % (T0 + 5)
    assert c.execute("XADD", "s", "%d-*" % (T0 + 9), "f", "v") == b"%d-0" % (T0 + 9)
    with pytest.raises(ReplyError, match="equal or smaller"):
        c.execute("XADD", "s", "5-*", "f", "v")
    assert c.execute("XLEN", "s") == 6
    assert c.execute("TYPE", "s") == "stream"
    assert c.execute("OBJECT", "ENCODING", "s") == b"stream"


def test_xadd_errors_and_nomkstream(env):
    _, _, c = env
    with pytest.raises(ReplyError, match="greater than 0-0"):
        c.execute("XADD", "s", "0-0", "f", "v")
    with pytest.raises(ReplyError, match="Invalid stream ID"):
        c.execute("XADD", "s", "1-x", "f", "v")
    with pytest.raises(ReplyError, match="wrong number of arguments"):
        c.execute("XADD", "s", "1-1", "f")
    with pytest.raises(ReplyError, match="LIMIT cannot be used"):
        c.execute("XADD", "s", "MAXLEN", "1", "LIMIT", "5", "*", "f", "v")
    assert c.execute("XADD", "s", "NOMKSTREAM", "*", "f", "v") is None
    assert c.execute("EXISTS", "s") == 0
    c.execute("XADD", "s", "18446744073709551615-18446744073709551615", "f", "v")
    with pytest.raises(ReplyError, match="exhausted"):
        c.execute("XADD", "s", "*", "f", "v")


def test_trim_and_ranges(env):
    _, _, c = env
    for i in range(1, 11):
        c.execute("XADD", "s", "%d-0" % i, "n", str(i))
    assert c.execute("XTRIM", "s", "MAXLEN", "8") == 2
    assert c.execute("XTRIM", "s", "MINID", "5") == 2
    assert [r[0] for r in c.execute("XRANGE", "s", "(5", "+", "COUNT", "2")] == [b"6-0", b"7-0"]
    assert [r[0] for r in c.execute("XREVRANGE", "s", "+", "(8", "COUNT", "5")] == [b"10-0", b"9-0"]
    assert c.execute("XRANGE", "s", "-", "+", "COUNT", "0") is NULL_ARRAY
    assert c.execute("XRANGE", "nokey", "-", "+") == []
    assert c.execute("XDEL", "s", "6-0", "6-0", "99-0") == 1
    info = dict(c.execute("XINFO", "STREAM", "s").items)
    assert info[b"max-deleted-entry-id"] == b"6-0"
    assert info[b"recorded-first-entry-id"] == b"5-0"
    assert info[b"entries-added"] == 10
    # An emptied stream is kept.
    c.execute("XTRIM", "s", "MAXLEN", "0")
    assert c.execute("EXISTS", "s") == 1
    info = dict(c.execute("XINFO", "STREAM", "s").items)
    assert info[b"first-entry"] is None and info[b"recorded-first-entry-id"] == b"0-0"


def test_approx_trim_removes_whole_nodes(env):
    _, _, c = env
    for i in range(1, 251):
        c.execute("XADD", "s", "%d-0" % i, "f", "v")
    assert c.execute("XTRIM", "s", "MAXLEN", "~", "120") == 100
    assert c.execute("XTRIM", "s", "MAXLEN", "~", "120") == 0
    assert c.execute("XLEN", "s") == 150


def test_group_flow_with_idle_times(env):
    e, clock, c = env
    for i in range(1, 6):
        c.execute("XADD", "s", "%d-0" % i, "f", str(i))
    c.execute("XGROUP", "CREATE", "s", "g", "0")
    r = c.execute("XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    assert [x[0] for x in r[0][1]] == [b"1-0", b"2-0", b"3-0"]
    clock.advance(2.5)
    assert c.execute("XPENDING", "s", "g") == [3, b"1-0", b"3-0", [[b"alice", b"3"]]]
    assert c.execute("XPENDING", "s", "g", "IDLE", "2000", "-", "+", "10") == [
        [b"1-0", b"alice", 2500, 1], [b"2-0", b"alice", 2500, 1], [b"3-0", b"alice", 2500, 1]]
    assert c.execute("XPENDING", "s", "g", "IDLE", "3000", "-", "+", "10") == []
    # XCLAIM respects min-idle; JUSTID does not bump the delivery count.
    assert c.execute("XCLAIM", "s", "g", "bob", "3000", "1-0") == []
    assert c.execute("XCLAIM", "s", "g", "bob", "2000", "1-0", "JUSTID") == [b"1-0"]
    assert c.execute("XCLAIM", "s", "g", "bob", "0", "2-0", "IDLE", "500") == [[b"2-0", [b"f", b"2"]]]
    assert c.execute("XPENDING", "s", "g", "-", "+", "10", "bob") == [
        [b"1-0", b"bob", 0, 1], [b"2-0", b"bob", 500, 2]]
    clock.advance(1)
    cons = {m.items[0][1]: dict(m.items) for m in c.execute("XINFO", "CONSUMERS", "s", "g")}
    assert cons[b"alice"][b"idle"] == 3500 and cons[b"alice"][b"inactive"] == 3500
    assert cons[b"bob"][b"idle"] == 1000 and cons[b"bob"][b"inactive"] == 1000
    c.execute("XGROUP", "CREATECONSUMER", "s", "g", "carol")
    cons = {m.items[0][1]: dict(m.items) for m in c.execute("XINFO", "CONSUMERS", "s", "g")}
    assert cons[b"carol"][b"inactive"] == -1
    # XAUTOCLAIM: cursor, deleted IDs (7.0+ third element).
    c.execute("XDEL", "s", "3-0")
    r = c.execute("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "1")
    assert r == [b"2-0", [[b"1-0", [b"f", b"1"]]], []]
    r = c.execute("XAUTOCLAIM", "s", "g", "carol", "0", r[0], "JUSTID")
    assert r == [b"0-0", [b"2-0"], [b"3-0"]]
    assert c.execute("XACK", "s", "g", "1-0", "2-0", "3-0") == 2
    groups = [dict(m.items) for m in c.execute("XINFO", "GROUPS", "s")]
    assert groups == [{b"name": b"g", b"consumers": 3, b"pending": 0, b"last-delivered-id": b"3-0",
                       b"entries-read": 3, b"lag": None}]
    full = dict(c.execute("XINFO", "STREAM", "s", "FULL").items)
    g = dict(full[b"groups"][0].items)
    assert [dict(x.items)[b"active-time"] for x in g[b"consumers"]] == [
        T0, T0 + 2500, T0 + 3500]


def test_xreadgroup_history_and_noack(env):
    _, _, c = env
    c.execute("XADD", "s", "1-0", "f", "1")
    c.execute("XADD", "s", "2-0", "f", "2")
    c.execute("XGROUP", "CREATE", "s", "g", "0")
    c.execute("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    c.execute("XDEL", "s", "1-0")
    assert c.execute("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0") == [
        [b"s", [[b"1-0", NULL_ARRAY], [b"2-0", [b"f", b"2"]]]]]
    c.execute("XADD", "s", "3-0", "f", "3")
    c.execute("XREADGROUP", "GROUP", "g", "b", "NOACK", "STREAMS", "s", ">")
    assert c.execute("XPENDING", "s", "g")[0] == 2
    assert c.execute("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">") is NULL_ARRAY
    with pytest.raises(ReplyError, match="NOGROUP"):
        c.execute("XREADGROUP", "GROUP", "zz", "b", "STREAMS", "s", ">")


def test_resp3_shapes(env):
    _, _, c = env
    c.execute("XADD", "s", "1-0", "f", "v")
    c.execute("HELLO", "3")
    r = c.execute("XREAD", "STREAMS", "s", "0")
    assert isinstance(r, Map)
    assert encode(r, True) == b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert encode(c.execute("XREAD", "STREAMS", "s", "$"), True) == b"_\r\n"


@pytest.mark.parametrize("resp3", [False, True])
def test_entries_as_bytes_match_the_lists(resp3):
    """A client on a connection gets entry arrays as RESP bytes (streams._wire); the
    others get lists: same bytes once encoded, for equal and mixed widths, long values,
    empty strings, deleted history entries, several streams."""
    e = Ember(clock=ManualClock())
    lists = e.client()
    wire = e.client()
    wire.client.transport = object()    # what makes a client "on a connection"
    if resp3:
        lists.execute("HELLO", "3")
        wire.execute("HELLO", "3")
    for k in range(1, 40):
        fv = ["f", "v%d" % k] if k % 5 else ["a", "", "b" * (k * 400), "c", "d", "%d" % k]
        lists.execute("XADD", "s", "%d-%d" % (k // 3 + 1, k % 3), *fv)
    lists.execute("XADD", "t", "5-5", "x", "y")
    lists.execute("XGROUP", "CREATE", "s", "g", "0")
    lists.execute("XGROUP", "CREATE", "s", "h", "0")
    # deliveries are state changes: one group per client, compared by shape
    queries = [("XRANGE", "s", "-", "+"), ("XRANGE", "s", "(2-1", "9", "COUNT", "7"),
               ("XRANGE", "s", "3", "3"), ("XRANGE", "s", "50", "+"),
               ("XREVRANGE", "s", "+", "-"), ("XREVRANGE", "s", "9-2", "(2-0", "COUNT", "6"),
               ("XREVRANGE", "s", "1", "0"), ("XREAD", "COUNT", "4", "STREAMS", "s", "t", "3", "0"),
               ("XREAD", "STREAMS", "s", "t", "$", "0")]
    for q in queries:
        got = wire.execute(*q)
        want = lists.execute(*q)
        assert type(got) is Raw, q
        assert got.data == encode(want, resp3), q
    for q in [("COUNT", "6", "STREAMS", "s", ">"), ("STREAMS", "s", "0"),
              ("COUNT", "3", "STREAMS", "s", "0"), ("COUNT", "2", "STREAMS", "s", "t", ">", ">")]:
        if q[-1] == ">" and q[-2] == ">":
            lists.execute("XGROUP", "CREATE", "t", "g", "0")
            lists.execute("XGROUP", "CREATE", "t", "h", "0")
        want = lists.execute("XREADGROUP", "GROUP", "g", "c", *q)
        got = wire.execute("XREADGROUP", "GROUP", "h", "c", *q)
        assert type(got) is Raw
        assert got.data == encode(want, resp3), q
        if q == ("STREAMS", "s", "0"):
            lists.execute("XDEL", "s", "2-0", "1-2")   # history with deleted entries next
    assert wire.execute("XRANGE", "nokey", "-", "+") == []


def test_lag_and_setid(env):
    _, _, c = env
    for i in range(1, 6):
        c.execute("XADD", "s", "%d-0" % i, "f", "v")
    c.execute("XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "0")
    assert dict(c.execute("XINFO", "GROUPS", "s")[0].items)[b"lag"] == 5
    c.execute("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">")
    assert dict(c.execute("XINFO", "GROUPS", "s")[0].items)[b"lag"] == 3
    c.execute("XGROUP", "SETID", "s", "g", "$")
    d = dict(c.execute("XINFO", "GROUPS", "s")[0].items)
    assert d[b"entries-read"] is None and d[b"lag"] == 0
    c.execute("XSETID", "s", "9-0", "ENTRIESADDED", "20", "MAXDELETEDID", "8-0")
    info = dict(c.execute("XINFO", "STREAM", "s").items)
    assert info[b"last-generated-id"] == b"9-0" and info[b"entries-added"] == 20
    with pytest.raises(ReplyError, match="smaller than the target stream top item"):
        c.execute("XSETID", "s", "4-0")


def test_block_inside_multi_returns_nil(env):
    _, _, c = env
    c.execute("MULTI")
    c.execute("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    assert c.execute("EXEC") == [NULL_ARRAY]


def test_notifications(env):
    e, _, c = env
    events = []
    e.server.notifier = lambda cls, ev, key, db: events.append(ev)
    c.execute("XADD", "s", "MAXLEN", "1", "1-0", "f", "v")
    c.execute("XADD", "s", "MAXLEN", "1", "2-0", "f", "v")
    c.execute("XDEL", "s", "2-0")
    c.execute("XGROUP", "CREATE", "s", "g", "0")
    c.execute("XGROUP", "CREATECONSUMER", "s", "g", "a")
    c.execute("XGROUP", "SETID", "s", "g", "0")
    c.execute("XGROUP", "DELCONSUMER", "s", "g", "a")
    c.execute("XSETID", "s", "5-0")
    c.execute("XGROUP", "DESTROY", "s", "g")
    assert events == [b"xadd", b"xadd", b"xtrim", b"xdel", b"xgroup-create",
                      b"xgroup-createconsumer", b"xgroup-setid", b"xgroup-delconsumer",
                      b"xsetid", b"xgroup-destroy"]


def test_propagation(env):
    e, clock, c = env
    server = e.server
    out = []
    server.propagating = True
    server.propagate_hooks.append(lambda dbid, argv: out.append(list(argv)))
    c.execute("XADD", "s", "*", "f", "v")
    assert out[-1] == [b"XADD", b"s", b"%d-0" % T0, b"f", b"v"]
    c.execute("XGROUP", "CREATE", "s", "g", "0")
    out.clear()
    c.execute("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    assert out == [
        [b"XGROUP", b"CREATECONSUMER", b"s", b"g", b"a"],
        [b"XCLAIM", b"s", b"g", b"a", b"0", b"%d-0" % T0, b"TIME", b"%d" % T0, b"RETRYCOUNT", b"1",
         b"FORCE", b"JUSTID", b"LASTID", b"%d-0" % T0],
        [b"XGROUP", b"SETID", b"s", b"g", b"%d-0" % T0, b"ENTRIESREAD", b"1"]]
    out.clear()
    for i in range(3):
        c.execute("XADD", "t", "%d-0" % (i + 1), "f", "v")
    c.execute("XTRIM", "t", "MAXLEN", "~", "1")
    assert out[-1][0] == b"XADD"  # one node: an approximate trim removes nothing
    c.execute("XTRIM", "t", "MAXLEN", "~", "0")
    assert out[-1] == [b"XTRIM", b"t", b"MAXLEN", b"=", b"0"]


# ---- the structure against a list model ---------------------------------------------------
_op = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 3)),
    st.tuples(st.just("del"), st.integers(0, 60)),
    st.tuples(st.just("trim"), st.integers(0, 40), st.booleans()),
    st.tuples(st.just("minid"), st.integers(0, 60), st.booleans()),
)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(_op, max_size=60), node_max=st.integers(1, 5),
       lo=st.integers(0, 70), hi=st.integers(0, 70), count=st.one_of(st.none(), st.integers(1, 5)))
def test_stream_structure_model(ops, node_max, lo, hi, count):
    s = Stream(node_max)
    model = []
    nxt = 1
    for op in ops:
        if op[0] == "add":
            for _ in range(op[1]):
                s.append(pack(nxt, 0), (b"f", b"%d" % nxt))
                model.append(nxt)
                nxt += 1
        elif op[0] == "del":
            assert s.delete(pack(op[1], 0)) == (op[1] in model)
            if op[1] in model:
                model.remove(op[1])
        elif op[0] == "trim":
            n = s.trim(maxlen=op[1], approx=op[2])
            if not op[2]:
                assert n == max(0, len(model) - op[1])
            assert len(model) - n >= op[1] or n == 0 or not op[2] or True
            del model[:n]
        else:
            n = s.trim(minid=pack(op[1], 0), approx=op[2])
            if not op[2]:
                assert n == len([m for m in model if m < op[1]])
            del model[:n]
        assert len(s) == len(model)
        assert [i >> 64 for i, _ in s.entries()] == model
        for n in s._nodes:
            assert len(n.memo) == len(n.ids) == len(n.fvs)
    want = [m for m in model if lo <= m <= hi]
    got = [i >> 64 for i, _ in s.range(pack(lo, 0), pack(hi, 0), count)]
    assert got == (want[:count] if count else want)
    got = [i >> 64 for i, _ in s.range(pack(lo, 0), pack(hi, 0), count, rev=True)]
    want = want[::-1]
    assert got == (want[:count] if count else want)
    assert s.first_id() == (pack(model[0], 0) if model else 0)
    cp = s.copy()
    assert list(cp.entries()) == list(s.entries())
    assert id_bytes(MAX_ID) == b"18446744073709551615-18446744073709551615"


# ---- blocking over TCP ----------------------------------------------------------------------
def _have_blocking():
    try:
        from ember.keyspace import blocking  # noqa: F401
        return hasattr(blocking, "block")
    except ImportError:
        return False


@pytest.mark.skipif(not _have_blocking(), reason="keyspace.blocking not present yet")
def test_xread_block_over_tcp(ember_server):
    from helpers import RawConn
    a = RawConn(ember_server.port)
    b = RawConn(ember_server.port)
    try:
        t0 = time.time()
        assert a.call("XREAD", "BLOCK", "100", "STREAMS", "bs", "$") == b"*-1\r\n"
        assert time.time() - t0 >= 0.09
        a.send(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$2\r\nbs\r\n$1\r\n$\r\n")
        time.sleep(0.1)
        assert b.call("XADD", "bs", "7-0", "f", "v") == b"$3\r\n7-0\r\n"
        assert a.read_reply() == (b"*1\r\n*2\r\n$2\r\nbs\r\n*1\r\n*2\r\n$3\r\n7-0\r\n*2\r\n"
                                  b"$1\r\nf\r\n$1\r\nv\r\n")
        # XREADGROUP BLOCK is woken the same way and records the delivery.
        b.call("XGROUP", "CREATE", "bs", "g", "$")
        a.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n"
               b"$4\r\n2000\r\n$7\r\nSTREAMS\r\n$2\r\nbs\r\n$1\r\n>\r\n")
        time.sleep(0.1)
        b.call("XADD", "bs", "8-0", "f", "w")
        assert b"8-0" in a.read_reply()
        assert b.call("XPENDING", "bs", "g").startswith(b"*4\r\n:1\r\n")
    finally:
        a.close()
        b.close()


# ---- Redis 7.2 consumer and unblocking rules (7.0, the oracle, differs: written tests) -------
def test_xreadgroup_creates_consumer_without_reading(env):
    """7.2 (redis#11099): XREADGROUP creates the consumer even when it reads nothing
    (7.0 created it only when serving entries); XINFO CONSUMERS' idle counts from that
    attempt, inactive stays -1 until something is read."""
    e, clock, c = env
    c.execute("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    assert c.execute("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">") is NULL_ARRAY
    clock.advance(1.5)
    cons = [dict(m.items) for m in c.execute("XINFO", "CONSUMERS", "s", "g")]
    assert cons == [{b"name": b"alice", b"pending": 0, b"idle": 1500, b"inactive": -1}]
    # the attempt refreshes idle, not inactive; a read refreshes both
    assert c.execute("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">") is NULL_ARRAY
    c.execute("XADD", "s", "5-0", "f", "v")
    clock.advance(0.5)
    cons = dict(c.execute("XINFO", "CONSUMERS", "s", "g")[0].items)
    assert (cons[b"idle"], cons[b"inactive"]) == (500, -1)
    c.execute("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    clock.advance(0.25)
    cons = dict(c.execute("XINFO", "CONSUMERS", "s", "g")[0].items)
    assert (cons[b"idle"], cons[b"inactive"]) == (250, 250)


def test_xreadgroup_consumer_creation_propagates(env):
    e, clock, c = env
    seen = []
    e.server.propagate_hooks.append(lambda dbid, argv: seen.append(list(argv)))
    e.server.propagating = True
    c.execute("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    seen.clear()
    c.execute("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    assert seen == [[b"XGROUP", b"CREATECONSUMER", b"s", b"g", b"bob"]]
    seen.clear()
    c.execute("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    assert seen == []


def test_xreadgroup_deliveries_propagate(env):
    """Entries read with > propagate as XCLAIM ... FORCE JUSTID LASTID <group's last ID>
    plus XGROUP SETID; re-reading history propagates the new delivery count and time."""
    e, clock, c = env
    c.execute("XADD", "s", "1-1", "f", "v")
    c.execute("XADD", "s", "2-1", "f", "w")
    c.execute("XGROUP", "CREATE", "s", "g", "0")
    seen = []
    e.server.propagate_hooks.append(lambda dbid, argv: seen.append(list(argv)))
    e.server.propagating = True
    c.execute("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    t = b"%d" % T0
    claim = [b"XCLAIM", b"s", b"g", b"bob", b"0"]
    tail = [b"FORCE", b"JUSTID", b"LASTID", b"2-1"]
    assert seen == [[b"XGROUP", b"CREATECONSUMER", b"s", b"g", b"bob"],
                    claim + [b"1-1", b"TIME", t, b"RETRYCOUNT", b"1"] + tail,
                    claim + [b"2-1", b"TIME", t, b"RETRYCOUNT", b"1"] + tail,
                    [b"XGROUP", b"SETID", b"s", b"g", b"2-1", b"ENTRIESREAD", b"2"]]
    seen.clear()
    clock.advance(0.5)
    assert c.execute("XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", "0") == [
        [b"s", [[b"1-1", [b"f", b"v"]]]]]
    assert seen == [claim + [b"1-1", b"TIME", b"%d" % (T0 + 500), b"RETRYCOUNT", b"2"] + tail]


_NOGROUP_KS = (b"-NOGROUP No such key 'ks' or consumer group 'g' in XREADGROUP with GROUP "
               b"option\r\n")


@pytest.mark.skipif(not _have_blocking(), reason="keyspace.blocking not present yet")
@pytest.mark.parametrize("how", ["del", "set", "destroy", "flushdb", "swapdb", "expire"])
def test_blocked_xreadgroup_woken_when_key_or_group_goes(ember_server, how):
    """7.2 re-runs a blocked XREADGROUP when its key is deleted or changes type (and when
    its group is destroyed): the client gets the error the command gives then -- NOGROUP,
    or WRONGTYPE after an overwrite -- instead of waiting forever.  (7.0, the oracle, answers
    "UNBLOCKED the stream key no longer exists" or "NOGROUP the consumer group this client
    was blocked on no longer exists".)  A plain XREAD on the same key keeps waiting."""
    from helpers import RawConn
    a, b, x = RawConn(ember_server.port), RawConn(ember_server.port), RawConn(ember_server.port)
    try:
        for conn in (a, b, x):
            conn.call("SELECT", "9")
        b.call("FLUSHDB")
        b.call("XADD", "ks", "1-0", "f", "v")
        b.call("XGROUP", "CREATE", "ks", "g", "$")
        a.send(b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nBLOCK\r\n"
               b"$1\r\n0\r\n$7\r\nSTREAMS\r\n$2\r\nks\r\n$1\r\n>\r\n")
        t_x = time.time()
        x.send(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$4\r\n1500\r\n$7\r\nSTREAMS\r\n"
               b"$2\r\nks\r\n$1\r\n$\r\n")
        time.sleep(0.1)
        if how == "del":
            b.call("DEL", "ks")
        elif how == "set":
            b.call("SET", "ks", "x")
        elif how == "destroy":
            b.call("XGROUP", "DESTROY", "ks", "g")
        elif how == "flushdb":
            b.call("FLUSHDB")
        elif how == "swapdb":
            b.call("SWAPDB", "9", "10")
        else:
            b.call("PEXPIRE", "ks", "20")
        a.sock.settimeout(5)
        reply = a.read_reply()
        if how == "set":
            assert reply.startswith(b"-WRONGTYPE")
        else:
            assert reply == _NOGROUP_KS
        assert x.read_reply() == b"*-1\r\n"      # XREAD waited for its whole timeout
        assert time.time() - t_x >= 1.45
        assert a.call("PING") == b"+PONG\r\n"
    finally:
        b.call("SWAPDB", "9", "10") if how == "swapdb" else None
        b.call("FLUSHDB")
        for conn in (a, b, x):
            conn.close()


@pytest.mark.skipif(not _have_blocking(), reason="keyspace.blocking not present yet")
def test_consumer_recreated_by_blocked_retry_reaches_the_aof(tmp_path):
    """A blocked XREADGROUP whose consumer was deleted meanwhile re-creates it when its key
    is signalled, even if another waiter took the new entry and it reads nothing: that
    change goes to the AOF as XGROUP CREATECONSUMER, so a restart has the consumer."""
    from helpers import RawConn, ServerProcess
    from ember.persistence.aof import parse_commands

    def xreadgroup_block(consumer):
        return (b"*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$2\r\n%s\r\n"
                b"$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n>\r\n" % consumer)

    srv = ServerProcess("ember", args=["--appendonly", "yes"], dir=str(tmp_path)).start()
    a, b, x = RawConn(srv.port), RawConn(srv.port), RawConn(srv.port)
    try:
        x.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        a.send(xreadgroup_block(b"ca"))
        time.sleep(0.05)
        b.send(xreadgroup_block(b"cb"))
        deadline = time.time() + 5
        while b"blocked_clients:2" not in x.call("INFO", "clients") and time.time() < deadline:
            time.sleep(0.02)
        assert x.call("XGROUP", "DELCONSUMER", "s", "g", "cb") == b":0\r\n"
        x.call("XADD", "s", "5-0", "f", "v")
        assert b"5-0" in a.read_reply()          # the first waiter takes the entry
        assert x.call("XINFO", "CONSUMERS", "s", "g").count(b"$4\r\nname\r\n") == 2
        srv.stop()
        aof = tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof"
        cmds = [argv for argv, _, _ in parse_commands(aof.read_bytes())]
        assert [b"XGROUP", b"CREATECONSUMER", b"s", b"g", b"cb"] in cmds
        srv = ServerProcess("ember", args=["--appendonly", "yes"], dir=str(tmp_path)).start()
        y = RawConn(srv.port)
        names = y.call("XINFO", "CONSUMERS", "s", "g")
        y.close()
        assert b"$2\r\nca\r\n" in names and b"$2\r\ncb\r\n" in names
    finally:
        for conn in (a, b, x):
            conn.close()
        srv.stop()
