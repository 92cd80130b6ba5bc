"""Keyspace notifications: notify-keyspace-events classes (K, E, g, $, x, m, n, A), the
events string and generic commands fire, and expired events from lazy and active expiry."""

import re

import pytest

from ember.clock import ManualClock
from ember.embedded import Ember

_MSG = re.compile(rb"\*4\r\n\$8\r\npmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n([^\r]*)\r\n")


def make(flags, clock=None):
    e = Ember(clock=clock)
    sub, w = e.client(), e.client()
    w.execute("CONFIG", "SET", "notify-keyspace-events", flags)
    sub.execute("PSUBSCRIBE", "__key*__:*")
    sub.pushes.clear()
    return e, sub, w


def events(sub):
    data = b"".join(sub.pushes)
    sub.pushes.clear()
    return [(ch.decode(), msg.decode()) for ch, msg in _MSG.findall(data)]


def keyevents(sub):
    return [(ch.split(":", 1)[1], key) for ch, key in events(sub) if ch.startswith("__keyevent")]


def test_off_by_default():
    e = Ember()
    sub, w = e.client(), e.client()
    sub.execute("PSUBSCRIBE", "*")
    sub.pushes.clear()
    w.execute("SET", "k", "v")
    assert sub.pushes == []
    assert e.server.notifier is None


def test_keyspace_and_keyevent_channels():
    e, sub, w = make("KEA")
    w.execute("SET", "k", "v")
    assert events(sub) == [("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")]
    w.execute("SELECT", "3")
    w.execute("DEL", "nokey")
    w.execute("SET", "k", "v")
    assert events(sub) == [("__keyspace@3__:k", "set"), ("__keyevent@3__:set", "k")]


def test_class_filtering():
    e, sub, w = make("Eg")          # generic only, keyevent only
    w.execute("SET", "k", "v")
    w.execute("EXPIRE", "k", "100")
    w.execute("APPEND", "k", "x")
    assert keyevents(sub) == [("expire", "k")]
    w.execute("CONFIG", "SET", "notify-keyspace-events", "K$")
    w.execute("APPEND", "k", "x")
    assert events(sub) == [("__keyspace@0__:k", "append")]
    w.execute("CONFIG", "SET", "notify-keyspace-events", "")
    w.execute("APPEND", "k", "x")
    assert events(sub) == []


@pytest.mark.parametrize("cmd,expected", [
    (("SET", "a", "1"), [("new", "a"), ("set", "a")]),
    (("SET", "a", "1", "EX", "100"), [("new", "a"), ("set", "a"), ("expire", "a")]),
    (("SETEX", "a", "100", "v"), [("new", "a"), ("set", "a"), ("expire", "a")]),
    (("APPEND", "a", "x"), [("new", "a"), ("append", "a")]),
    (("INCR", "a"), [("new", "a"), ("incrby", "a")]),
    (("INCRBYFLOAT", "a", "1.5"), [("new", "a"), ("incrbyfloat", "a")]),
    (("SETRANGE", "a", "0", "x"), [("new", "a"), ("setrange", "a")]),
    (("GET", "nx"), [("keymiss", "nx")]),
    (("MGET", "nx", "e"), [("keymiss", "nx")]),
    (("STRLEN", "nx"), [("keymiss", "nx")]),
    (("EXISTS", "nx"), [("keymiss", "nx")]),
    (("TYPE", "nx"), [("keymiss", "nx")]),
    (("TTL", "nx"), [("keymiss", "nx")]),
    (("GETSET", "n", "v"), [("keymiss", "n"), ("new", "n"), ("set", "n")]),
    (("SET", "e", "2"), [("set", "e")]),
    (("DEL", "e", "nx"), [("del", "e")]),
    (("COPY", "e", "c"), [("new", "c"), ("copy_to", "c")]),
    (("RENAME", "e", "r"), [("new", "r"), ("rename_from", "e"), ("rename_to", "r")]),
    (("EXPIRE", "e", "0"), [("del", "e")]),
    (("PERSIST", "t"), [("persist", "t")]),
])
def test_event_names(cmd, expected):
    e, sub, w = make("EAmn")
    w.execute("SET", "e", "1")
    w.execute("SET", "t", "1", "EX", "100")
    sub.pushes.clear()
    w.execute(*cmd)
    assert keyevents(sub) == expected


def test_move_events():
    e, sub, w = make("KEA")
    w.execute("SET", "m", "1")
    sub.pushes.clear()
    w.execute("MOVE", "m", "1")
    assert events(sub) == [("__keyspace@0__:m", "move_from"), ("__keyevent@0__:move_from", "m"),
                           ("__keyspace@1__:m", "move_to"), ("__keyevent@1__:move_to", "m")]


def test_expired_lazy_and_active():
    clock = ManualClock()
    e, sub, w = make("Ex", clock=clock)
    w.execute("SET", "lazy", "v", "PX", "100")
    w.execute("SET", "active", "v", "PX", "100")
    assert keyevents(sub) == []
    clock.advance(2.0)   # the active cycle works on whole past seconds
    assert w.execute("GET", "lazy") is None
    assert keyevents(sub) == [("expired", "lazy")]
    e.cron()
    assert keyevents(sub) == [("expired", "active")]
