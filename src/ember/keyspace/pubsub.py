"""Pub/Sub state: who listens to which channel, pattern or shard channel, and delivery.

Invariants:
- ``channels[ch]`` / ``shard[ch]`` / ``patterns[p]`` are insertion-ordered dicts
  client -> None; an entry is removed as soon as its last subscriber leaves, so
  ``len(channels)`` is the number of active channels (PUBSUB NUMSUB / INFO);
- a client's own sets (``c.channels``, ``c.patterns``, ``c.shard_channels``) mirror these
  tables exactly; every change calls ``c.refresh_plain()`` (RESP2 subscribers leave
  dispatch's fast path);
- a message is encoded once per protocol version per publish, not once per receiver;
- delivery goes through ``client.send`` so the network layer applies its output-buffer
  limits (a slow subscriber is disconnected, not buffered without bound);
- on a network server, messages for a client that is not itself executing are queued and
  written once per event-loop iteration (one write per subscriber for a whole pipelined
  batch of PUBLISHes, as Redis does from beforeSleep); a client's messages never overtake
  each other (once queued, later ones queue behind them).
"""

from ..glob import compile as glob_compile


def _bulk(b):
    return b"$%d\r\n%b\r\n" % (len(b), b)


def message_frames(kind, channel, payload, pattern=None):
    """(RESP2 bytes, RESP3 bytes) of one message/pmessage/smessage frame."""
    if pattern is None:
        body = _bulk(kind) + _bulk(channel) + _bulk(payload)
        return b"*3\r\n" + body, b">3\r\n" + body
    body = _bulk(kind) + _bulk(pattern) + _bulk(channel) + _bulk(payload)
    return b"*4\r\n" + body, b">4\r\n" + body


class PubSub:
    __slots__ = ("channels", "patterns", "shard", "server", "outq", "_loop")

    def __init__(self, server):
        self.server = server
        self.outq = {}       # client -> [frames] waiting for the end of this loop iteration
        self._loop = None
        self.channels = {}   # channel -> {client: None}
        self.patterns = {}   # pattern -> [matcher, {client: None}]
        self.shard = {}      # shard channel -> {client: None}

    # ---- subscriptions ------------------------------------------------------------------
    def subscribe(self, c, ch) -> bool:
        mine = c.channels
        if mine is None:
            mine = c.channels = {}
        if ch in mine:
            return False
        mine[ch] = None
        self.channels.setdefault(ch, {})[c] = None
        return True

    def unsubscribe(self, c, ch) -> bool:
        mine = c.channels
        if not mine or ch not in mine:
            return False
        del mine[ch]
        subs = self.channels.get(ch)
        if subs is not None:
            subs.pop(c, None)
            if not subs:
                del self.channels[ch]
        return True

    def psubscribe(self, c, pat) -> bool:
        mine = c.patterns
        if mine is None:
            mine = c.patterns = {}
        if pat in mine:
            return False
        mine[pat] = None
        entry = self.patterns.get(pat)
        if entry is None:
            entry = self.patterns[pat] = [glob_compile(pat), {}]
        entry[1][c] = None
        return True

    def punsubscribe(self, c, pat) -> bool:
        mine = c.patterns
        if not mine or pat not in mine:
            return False
        del mine[pat]
        entry = self.patterns.get(pat)
        if entry is not None:
            entry[1].pop(c, None)
            if not entry[1]:
                del self.patterns[pat]
        return True

    def ssubscribe(self, c, ch) -> bool:
        mine = c.shard_channels
        if mine is None:
            mine = c.shard_channels = {}
        if ch in mine:
            return False
        mine[ch] = None
        self.shard.setdefault(ch, {})[c] = None
        return True

    def sunsubscribe(self, c, ch) -> bool:
        mine = c.shard_channels
        if not mine or ch not in mine:
            return False
        del mine[ch]
        subs = self.shard.get(ch)
        if subs is not None:
            subs.pop(c, None)
            if not subs:
                del self.shard[ch]
        return True

    def drop_client(self, c):
        """Forget every subscription of ``c`` (disconnect, RESET)."""
        for ch in list(c.channels or ()):
            self.unsubscribe(c, ch)
        for p in list(c.patterns or ()):
            self.punsubscribe(c, p)
        for ch in list(c.shard_channels or ()):
            self.sunsubscribe(c, ch)
        c.channels = c.patterns = c.shard_channels = None
        c.refresh_plain()

    # ---- delivery -----------------------------------------------------------------------
    def deliver(self, c, data):
        q = self.outq
        lst = q.get(c)
        if lst is not None:
            lst.append(data)
            return
        if c.pending_buf is not None or c.transport is None:
            c.send(data)       # executing now (keeps reply order) or not a socket
            return
        loop = self._loop
        if loop is None:
            net = getattr(self.server, "network", None)
            loop = self._loop = getattr(net, "loop", None)
            if loop is None:
                c.send(data)
                return
        if not q:
            loop.call_soon(self.flush)
        q[c] = [data]

    def flush(self):
        q, self.outq = self.outq, {}
        for c, frames in q.items():
            if not c.closing:
                c.send(frames[0] if len(frames) == 1 else b"".join(frames))

    def publish(self, channel, payload) -> int:
        """Deliver to channel subscribers then pattern subscribers; returns receivers."""
        n = 0
        subs = self.channels.get(channel)
        if subs:
            r2, r3 = message_frames(b"message", channel, payload)
            deliver = self.deliver
            for c in list(subs):
                if not c.closing:
                    deliver(c, r3 if c.resp3 else r2)
                n += 1
        if self.patterns:
            for pat, (matcher, clients) in list(self.patterns.items()):
                if matcher(channel):
                    r2, r3 = message_frames(b"pmessage", channel, payload, pat)
                    for c in list(clients):
                        if not c.closing:
                            self.deliver(c, r3 if c.resp3 else r2)
                        n += 1
        if n:
            self.server.stats.pubsub_messages += 1
        return n

    def spublish(self, channel, payload) -> int:
        subs = self.shard.get(channel)
        if not subs:
            return 0
        r2, r3 = message_frames(b"smessage", channel, payload)
        n = 0
        for c in list(subs):
            if not c.closing:
                self.deliver(c, r3 if c.resp3 else r2)
            n += 1
        return n


class KeyspaceNotifier:
    """``server.notifier``: turns ``notify(cls, event, key, db)`` into __keyspace@N__ /
    __keyevent@N__ messages according to ``notify-keyspace-events`` (``flags``)."""

    __slots__ = ("pubsub", "flags")

    def __init__(self, pubsub, flags):
        self.pubsub = pubsub
        self.flags = flags

    def __call__(self, cls, event, key, db):
        flags = self.flags
        if not flags & cls:
            return
        if type(key) is not bytes:
            key = bytes(key)
        dbid = db.id if db is not None else 0
        ps = self.pubsub
        if flags & 1:     # K
            ps.publish(b"__keyspace@%d__:%b" % (dbid, key), event)
        if flags & 2:     # E
            ps.publish(b"__keyevent@%d__:%b" % (dbid, event), key)
