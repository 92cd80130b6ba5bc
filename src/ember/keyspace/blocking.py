"""Clients blocked on keys (BLPOP & co., BZPOPMIN & co., XREAD/XREADGROUP BLOCK).

API for command modules:

    block(c, keys, timeout_s, retry, on_timeout_reply, type_name=None, nokey=False)
        Park ``c`` until one of ``keys`` (in c.db) becomes ready.  ``retry(c)`` re-attempts
        the operation and returns a reply, or None to stay blocked (Redis 7.2 re-executes
        the command the same way).  ``timeout_s``: float seconds, 0 = forever.  Inside
        MULTI/EXEC or a script the client does not block: ``on_timeout_reply`` is returned.
        ``type_name`` ("list", "zset", "stream"): a ready key holding another type does not
        wake the client (it stays blocked, as in Redis).  ``nokey`` (XREADGROUP, Redis'
        unblock_on_nokey): the client is also retried when one of its keys is deleted or
        stops holding ``type_name`` (DEL, overwrite, expiry, FLUSH*, SWAPDB), so its retry
        can answer the error the command gives then (NOGROUP, WRONGTYPE).
    signal_key_ready(db, key)
        Call after creating a key that clients may wait for (LPUSH, LMOVE dst, ZADD, XADD,
        RENAME/MOVE via ``server.subsystems["key_ready"]``).  O(1) when nobody waits.
    signal_db_ready(db)      (also ``server.subsystems["db_ready"]``: SWAPDB/FLUSH*)
    parse_timeout(raw) -> seconds (float), with Redis' error texts.
    blocked_count(server)    (INFO blocked_clients)

Serving (``server.serve_blocked``, called by dispatch after each command outside EXEC):
keys are processed in the order they became ready; for each key the clients blocked on it
are tried in the order they blocked (FIFO); a served client is removed from all its keys;
keys made ready while serving (BLMOVE pushing into a watched list) are served in the same
round.  A served command's effect is propagated (AOF/replicas) as the argv the retry hands
to ``server.propagate_as`` (e.g. BLPOP -> LPOP key).  Replies of served clients are sent with
``c.send``; their queued commands run (``c.resume()``) once the round is over.

Timeouts use ``loop.call_later`` when a network loop runs (~ms precision), else the cron.
The manager is installed lazily on first use, so the core needs no hook for it.
"""

import math

from ..protocol.encoder import encode
from ..protocol.replies import NO_REPLY, ReplyError

_LLONG_MAX = (1 << 63) - 1
UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


def parse_timeout(raw) -> float:
    """BLPOP-style timeout (seconds, may be fractional) -> seconds as float (ms precision,
    rounded up as Redis does).  Raises ReplyError with Redis' texts."""
    if raw.isdigit() and len(raw) < 10:
        return float(int(raw))      # whole seconds (BLPOP k 0): exact, nothing to round
    try:
        if not raw or raw[0] in b" \t\r\n" or raw[-1] in b" \t\r\n":
            raise ValueError
        s = raw.decode("ascii")
        low = s.lower()
        if "nan" in low:
            raise ValueError
        if "_" in s:
            raise ValueError
        if "0x" in low:
            v = float.fromhex(s)
        else:
            v = float(s)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise ReplyError("ERR timeout is not a float or out of range") from None
    if v == 0.0 and not s.startswith("-") and any(ch in "123456789" for ch in low.split("e")[0]):
        return 0.001   # underflows a double but not Redis' long double: 1 ms after rounding up
    ms = v * 1000.0
    if ms > _LLONG_MAX:
        raise ReplyError("ERR timeout is out of range")
    if ms == -math.inf:
        raise ReplyError("ERR timeout is negative")
    ms = math.ceil(ms)
    if ms < 0:
        raise ReplyError("ERR timeout is negative")
    return ms / 1000.0


class Blocked:
    """What a blocked client waits for (``client.blocked``)."""

    __slots__ = ("client", "db", "keys", "retry", "timeout_reply", "deadline", "timer",
                 "type_name", "seq", "nokey")

    def __init__(self, client, keys, retry, timeout_reply, deadline, type_name, seq,
                 nokey=False):
        self.client = client
        self.db = client.db
        self.keys = keys
        self.retry = retry
        self.timeout_reply = timeout_reply
        self.deadline = deadline        # absolute ms (server clock) or 0
        self.timer = None
        self.type_name = type_name
        self.seq = seq
        self.nokey = nokey


class BlockingManager:
    def __init__(self, server):
        self.server = server
        self.by_key = {}          # (dbid, key) -> {Blocked: None} (insertion-ordered: FIFO)
        self.clients = {}         # client id -> Blocked
        self.seq = 0
        self.serving = False
        self.nokey = {}           # (dbid, key) -> number of "nokey" waiters on it
        server.blocking = self
        server.serve_blocked = self.serve
        subs = server.subsystems
        subs["key_ready"] = self.signal
        subs["db_ready"] = self.signal_db
        subs["unblock"] = self.unblock_request
        subs["blocked_count"] = lambda: len(self.clients)
        subs.setdefault("client_close", []).append(self.on_client_close)
        subs.setdefault("cron", []).append(self.cron)
        subs.setdefault("flush", []).append(self._nokey_flush)
        subs.setdefault("swapdb", []).append(self._nokey_swapdb)
        subs.setdefault("info", []).append(self._info)

    def _info(self, server, section, fields):
        if section == "clients":
            fields["total_blocking_keys"] = sum(1 for w in self.by_key.values() if w)
            fields["total_blocking_keys_on_nokey"] = sum(1 for n in self.nokey.values() if n)

    # ---- blocking ----------------------------------------------------------------------
    def block(self, c, keys, timeout_s, retry, timeout_reply, type_name, nokey=False):
        server = self.server
        self.seq += 1
        deadline = 0
        if timeout_s > 0:
            deadline = server.now_ms + int(round(timeout_s * 1000))
        b = Blocked(c, list(dict.fromkeys(keys)), retry, timeout_reply, deadline, type_name,
                    self.seq, nokey)
        dbid = c.db.id
        by_key = self.by_key
        for k in b.keys:
            waiters = by_key.get((dbid, k))
            if waiters is None:
                by_key[(dbid, k)] = waiters = {}
            waiters[b] = None
        if nokey:
            nk = self.nokey
            if not nk:
                server.key_hooks.append(self._nokey_hook)
            for k in b.keys:
                nk[(dbid, k)] = nk.get((dbid, k), 0) + 1
        self.clients[c.id] = b
        c.blocked = b
        c.refresh_plain()
        if deadline:
            net = getattr(server, "network", None)
            loop = getattr(net, "loop", None) if net is not None else None
            if loop is not None:
                b.timer = loop.call_later(timeout_s, self._timer_fired, b)
        return NO_REPLY

    def _detach(self, b):
        """Remove ``b`` from every index (the client is no longer blocked)."""
        c = b.client
        if self.clients.get(c.id) is b:
            del self.clients[c.id]
        dbid = b.db.id
        by_key = self.by_key
        for k in b.keys:
            waiters = by_key.get((dbid, k))
            if waiters is not None:
                waiters.pop(b, None)
                if not waiters:
                    del by_key[(dbid, k)]
        if b.nokey:
            b.nokey = False
            nk = self.nokey
            for k in b.keys:
                left = nk.get((dbid, k), 0) - 1
                if left > 0:
                    nk[(dbid, k)] = left
                else:
                    nk.pop((dbid, k), None)
            if not nk and self._nokey_hook in self.server.key_hooks:
                self.server.key_hooks.remove(self._nokey_hook)
        if b.timer is not None:
            b.timer.cancel()
            b.timer = None
        if c.blocked is b:
            c.blocked = None
            c.refresh_plain()

    def _reply_and_resume(self, b, reply, resume=True):
        c = b.client
        self._detach(b)
        if isinstance(reply, ReplyError):
            reply = self.server.error_reply(reply.message)
        if not c.closing:
            c.send(encode(reply, c.resp3))
        if resume:
            c.resume()

    # ---- timeouts ----------------------------------------------------------------------
    def _timer_fired(self, b):
        b.timer = None
        if self.clients.get(b.client.id) is not b:
            return
        self.server.now_ms = self.server.clock_ms()
        self._reply_and_resume(b, b.timeout_reply)

    def cron(self, server=None):
        """Serve keys made ready outside a command (the active expiry cycle deleting a key
        an XREADGROUP waits on); fallback timeout check (no event loop, e.g. embedded with
        a manual clock)."""
        s = self.server
        if s.ready_keys and not s.in_exec and not self.serving:
            self.serve()
        if not self.clients:
            return
        now = self.server.clock_ms()
        due = [b for b in self.clients.values()
               if b.deadline and b.timer is None and b.deadline <= now]
        if due:
            self.server.now_ms = now
            for b in sorted(due, key=lambda x: x.seq):
                if self.clients.get(b.client.id) is b:
                    self._reply_and_resume(b, b.timeout_reply)

    # ---- readiness ---------------------------------------------------------------------
    def signal(self, db, key):
        if (db.id, key) in self.by_key:
            server = self.server
            rk = server.ready_keys
            if rk is None:
                server.ready_keys = rk = {}
            rk[(db.id, key)] = None

    # ---- "nokey" waiters (XREADGROUP): woken when their key goes away --------------------
    def _gone(self, db, key):
        v = db.data.get(key)
        if v is None:
            return True
        for b in self.by_key.get((db.id, key), ()):
            if b.nokey and b.type_name is not None and _type_name(v) != b.type_name:
                return True
        return False

    def _nokey_hook(self, db, key):
        """A key hook, installed while some client waits with ``nokey``."""
        if (db.id, key) in self.nokey and self._gone(db, key):
            self.signal(db, key)

    def _nokey_scan(self, dbs):
        ids = {db.id: db for db in dbs}
        for (dbid, key) in list(self.nokey):
            db = ids.get(dbid)
            if db is not None and self._gone(db, key):
                self.signal(db, key)

    def _nokey_flush(self, server, db):
        if self.nokey:
            self._nokey_scan(server.dbs if db is None else [db])

    def _nokey_swapdb(self, server, da, dbb):
        if self.nokey:
            self._nokey_scan([da, dbb])

    def signal_db(self, db):
        dbid = db.id
        for (i, k) in list(self.by_key):
            if i == dbid and k in db.data:
                self.signal(db, k)

    def serve(self):
        """Serve clients blocked on keys that became ready (see module docstring)."""
        server = self.server
        if self.serving:
            return
        self.serving = True
        served = []
        try:
            while server.ready_keys:
                ready = server.ready_keys
                server.ready_keys = None
                for dbid, key in ready:
                    self._serve_key(dbid, key, served)
        finally:
            self.serving = False
            server.ready_keys = None if not server.ready_keys else server.ready_keys
        for c in served:
            if c.blocked is None and not c.closing:
                c.resume()
        if server.ready_keys and not server.in_exec:
            self.serve()

    def _serve_key(self, dbid, key, served):
        waiters = self.by_key.get((dbid, key))
        if not waiters:
            return
        server = self.server
        db = server.dbs[dbid]
        for b in list(waiters):
            if self.clients.get(b.client.id) is not b:
                continue
            value = db.lookup(key)
            if value is None or (b.type_name is not None and _type_name(value) != b.type_name):
                if not b.nokey:
                    continue
            c = b.client
            saved_override = server.propagate_override
            server.propagate_override = None
            dirty = server.dirty
            try:
                reply = b.retry(c)
            except ReplyError as e:
                reply = e
            override = server.propagate_override
            server.propagate_override = saved_override
            # a retry that serves nothing may still have changed something (XREADGROUP
            # re-creating its consumer): that is propagated too
            if server.dirty != dirty and override:
                for argv in override:
                    server.propagate_raw(c.db.id, argv)
            if reply is None:
                continue
            self._reply_and_resume(b, reply, resume=False)
            served.append(c)

    # ---- disconnects & CLIENT UNBLOCK ---------------------------------------------------
    def on_client_close(self, c):
        b = self.clients.get(c.id)
        if b is not None:
            self._detach(b)

    def unblock_request(self, client, error=False) -> int:
        """CLIENT UNBLOCK: ``client`` is a Client or a client id.  1 if it was unblocked."""
        b = self.clients.get(getattr(client, "id", client))
        if b is None:
            return 0
        self._reply_and_resume(b, ReplyError(UNBLOCKED_ERROR) if error else b.timeout_reply)
        return 1


def _type_name(value):
    t = type(value)
    if t is bytes or t is bytearray:
        return "string"
    return value.type_name


def manager(server) -> BlockingManager:
    m = getattr(server, "blocking", None)
    if m is None:
        m = BlockingManager(server)
    return m


def install(server) -> BlockingManager:
    return manager(server)


def block(c, keys, timeout_s, retry, on_timeout_reply, type_name=None, nokey=False):
    """Block ``c`` on ``keys`` (see module docstring).  Returns the value the handler must
    return (NO_REPLY, or ``on_timeout_reply`` when blocking is not allowed here)."""
    server = c.server
    if c.in_exec or server.in_script or c.multi is not None:
        return on_timeout_reply
    return manager(server).block(c, keys, timeout_s, retry, on_timeout_reply, type_name, nokey)


def signal_key_ready(db, key):
    m = getattr(db.server, "blocking", None)
    if m is not None and m.by_key:
        m.signal(db, key)


def signal_db_ready(db):
    m = getattr(db.server, "blocking", None)
    if m is not None and m.by_key:
        m.signal_db(db)


def blocked_count(server) -> int:
    m = getattr(server, "blocking", None)
    return len(m.clients) if m is not None else 0
