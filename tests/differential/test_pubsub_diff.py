"""Differential tests for Pub/Sub and keyspace notifications: the same multi-connection
scripts against ember and the redis-server oracle, every frame compared as raw bytes, in
RESP2 and RESP3.

A script is a list of steps ``(conn, command, frames)``: ``conn`` names a connection,
``command`` is sent on it (or None to only read), then ``frames`` replies/pushes are read
from it.  Channel names carry a per-run prefix so nothing collides with other tests on the
shared servers.
"""

import re

import pytest

from helpers import RawConn, encode_command

_HELLO = re.compile(rb"^%7\r\n.*", re.S)


class Session:
    def __init__(self, port, proto):
        self.port = port
        self.proto = proto
        self.conns = {}

    def conn(self, name):
        c = self.conns.get(name)
        if c is None:
            c = self.conns[name] = RawConn(self.port, timeout=5)
            if self.proto == 3:
                c.call("HELLO", "3")
        return c

    def run(self, script):
        out = []
        for name, cmd, n in script:
            c = self.conn(name)
            if cmd is not None:
                c.send(encode_command(*cmd))
            out.append((name, cmd, [c.read_reply() for _ in range(n)]))
        return out

    def close(self):
        for c in self.conns.values():
            c.close()


def compare(redis_oracle, ember_shared, proto, script, setup=()):
    results = []
    for srv in (redis_oracle, ember_shared):
        admin = RawConn(srv.port)
        for cmd in setup:
            admin.call(*cmd)
        s = Session(srv.port, proto)
        try:
            results.append(s.run(script))
        finally:
            s.close()
            admin.call("CONFIG", "SET", "notify-keyspace-events", "")
            admin.close()
    want, got = results
    for (name, cmd, w), (_, _, g) in zip(want, got):
        assert g == w, (proto, name, cmd, g, w)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request):
    return request.param


def test_subscribe_publish_unsubscribe(redis_oracle, ember_shared, proto):
    ch1, ch2 = "pdiff:%d:one" % proto, "pdiff:%d:two" % proto
    pat = "pdiff:%d:o*" % proto
    script = [
        ("sub", ("UNSUBSCRIBE",), 1),
        ("sub", ("PUNSUBSCRIBE",), 1),
        ("sub", ("SUBSCRIBE", ch1, ch2, ch1), 3),
        ("sub", ("PSUBSCRIBE", pat), 1),
        ("sub", ("PING",), 1),
        ("sub", ("PING", "hi"), 1),
        ("pub", ("PUBLISH", ch1, "hello"), 1),
        ("sub", None, 2),
        ("pub", ("PUBLISH", ch2, ""), 1),
        ("sub", None, 1),
        ("pub", ("PUBSUB", "NUMSUB", ch1, ch2, "pdiff:none"), 1),
        ("pub", ("PUBSUB", "CHANNELS", "pdiff:%d:t*" % proto), 1),   # one match: Redis orders by hash
        ("sub", ("UNSUBSCRIBE", ch1, "pdiff:never"), 2),
        ("pub", ("PUBLISH", ch1, "again"), 1),
        ("sub", None, 1),
        ("sub", ("PUNSUBSCRIBE",), 1),
        ("sub", ("UNSUBSCRIBE",), 1),
        ("sub", ("UNSUBSCRIBE",), 1),
        ("pub", ("PUBLISH", ch1, "gone"), 1),
        ("sub", ("PING",), 1),
    ]
    if proto == 2:
        # RESP2 context rule, checked while subscribed.
        script.insert(4, ("sub", ("GET", "k"), 1))
    else:
        script.insert(4, ("sub", ("ECHO", "resp3 may"), 1))
    compare(redis_oracle, ember_shared, proto, script)


def test_sharded_channels(redis_oracle, ember_shared, proto):
    s1, s2 = "{sd%d}a" % proto, "{sd%d}b" % proto
    script = [
        ("sub", ("SUNSUBSCRIBE",), 1),
        ("sub", ("SSUBSCRIBE", s1), 1),
        ("sub", ("SSUBSCRIBE", s2), 1),
        ("sub", ("SUBSCRIBE", s1), 1),
        ("pub", ("SPUBLISH", s1, "m"), 1),
        ("sub", None, 1),
        ("pub", ("PUBLISH", s1, "n"), 1),
        ("sub", None, 1),
        ("pub", ("PUBSUB", "SHARDNUMSUB", s1, "{none}"), 1),
        ("sub", ("SUNSUBSCRIBE", s1), 1),
        ("sub", ("SUNSUBSCRIBE", s2), 1),
        ("sub", ("UNSUBSCRIBE", s1), 1),
    ]
    compare(redis_oracle, ember_shared, proto, script)


def test_keyspace_events(redis_oracle, ember_shared, proto):
    db = 11
    script = [
        ("sub", ("PSUBSCRIBE", "__key*@%d__:*" % db), 1),
        ("w", ("SELECT", db), 1),
        ("w", ("FLUSHDB",), 1),
        ("w", ("SET", "ke:a", "1"), 1),
        ("sub", None, 4),            # new + set, keyspace and keyevent
        ("w", ("SET", "ke:a", "2", "EX", "100"), 1),
        ("sub", None, 4),
        ("w", ("APPEND", "ke:a", "x"), 1),
        ("sub", None, 2),
        ("w", ("INCRBY", "ke:n", "5"), 1),
        ("sub", None, 4),
        ("w", ("GET", "ke:missing"), 1),
        ("sub", None, 2),
        ("w", ("RENAME", "ke:n", "ke:m"), 1),
        ("sub", None, 6),
        ("w", ("PERSIST", "ke:a"), 1),
        ("sub", None, 2),
        ("w", ("DEL", "ke:a", "ke:m", "ke:zz"), 1),
        ("sub", None, 4),
        ("w", ("PING",), 1),
    ]
    compare(redis_oracle, ember_shared, proto, script,
            setup=[("CONFIG", "SET", "notify-keyspace-events", "KEAmn")])


def test_tracking_invalidation(redis_oracle, ember_shared):
    script = [
        ("a", ("CLIENT", "TRACKING", "on"), 1),
        ("a", ("GET", "trk:diff"), 1),
        ("w", ("SET", "trk:diff", "1"), 1),
        ("a", None, 1),
        ("a", ("CLIENT", "TRACKINGINFO"), 1),
        ("a", ("GET", "trk:diff"), 1),
        ("a", ("SET", "trk:diff", "2"), 2),     # reply first, then the invalidation
        ("a", ("CLIENT", "TRACKING", "off"), 1),
        ("a", ("CLIENT", "GETREDIR"), 1),
        ("w", ("DEL", "trk:diff"), 1),
    ]
    compare(redis_oracle, ember_shared, 3, script)
